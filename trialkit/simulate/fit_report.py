"""The fit report of a twin calibration: each printed number beside the twin's, over the
chosen seed and other seeds, and why a figure cannot be met (:func:`seed_agreement`,
:func:`report_table`, :func:`not_reproducible`, :func:`figure_reasons`); the report of a
twin's current parameters as a page (:func:`twin_fit_report`, ``data/<trial>/fit_report.md``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialkit.simulate.figures import figure_estimates, figure_plan
from trialkit.simulate.params import TwinParams
from trialkit.spec import Spec


def seed_agreement(
    spec: Spec | str,
    params: TwinParams,
    published: Mapping[str, Any],
    seeds: Sequence[int],
) -> pd.DataFrame:
    """Which published figures each realisation of a twin reproduces.

    Parameters
    ----------
    spec : Spec or str
        The trial.
    params : TwinParams
        The twin's parameters (its seed is replaced by each of ``seeds``).
    published : mapping
        The figures (:func:`trialkit.published.load_published`).
    seeds : sequence of int
        The realisations.

    Returns
    -------
    DataFrame
        One row per seed and reproduced figure: ``seed`` and the columns of
        :func:`figure_estimates` (``figure_id, verdict, why``,
        the estimates). ``groupby("seed")["verdict"].apply(lambda v: (v == "agrees").sum())``
        counts the agreeing figures of each realisation.
    """
    from trialkit.endpoints import analysis_set
    from trialkit.simulate.draws import _spec, twin

    spec = _spec(spec)
    plan = figure_plan(spec, published)
    out = []
    for seed in seeds:
        t = twin(spec, int(seed), params=params)
        est = figure_estimates(t, published, plan=plan, ends=analysis_set(t, spec))
        out.append(est.assign(seed=int(seed)))
    if not out:
        return pd.DataFrame(columns=["seed"])
    frame = pd.concat(out, ignore_index=True)
    return frame[["seed", *(c for c in frame.columns if c != "seed")]]


def _analysed_n(spec: Spec, params: TwinParams, figures: Mapping[str, Any]) -> tuple[int, int]:
    if all(f"analysed_{a}" in figures for a in spec.arms):
        e, c = (int(figures[f"analysed_{a}"]["n"]) for a in spec.arms)
    else:
        e, c = (
            r - sum(x.arm == a for x in params.exclusions)
            for a, r in zip(spec.arms, params.randomized, strict=True)
        )
    return e, c


def not_reproducible(
    spec: Spec, plan: pd.DataFrame, figures: Mapping[str, Any], params: TwinParams
) -> dict[str, str]:
    """Why a figure cannot be met, where arithmetic tells: a risk ratio printed beside rounded
    percentages or derived counts (:func:`risk_ratio_verdict`)."""
    from trialkit.simulate.compatibility import risk_ratio_verdict

    out = {}
    n = _analysed_n(spec, params, figures)
    for p in plan[plan["kind"] == "risk_ratio"].to_dict("records"):
        fid = p["figure_id"]
        if "ci_low" not in figures[fid] or "ci_high" not in figures[fid]:
            continue
        try:
            v = risk_ratio_verdict(fid, figures, n, spec.arms).iloc[0]
        except ValueError:  # the arm figures print neither counts nor percentages
            continue
        if v["verdict"] == "not reproducible":
            out[fid] = "not reproducible: " + str(v["reason"])
    return out


def _number(row: Mapping[str, Any], key: str, point: str | None) -> float:
    return float(row["estimate"] if key == point else row.get(key, math.nan))


def _chance(values: np.ndarray, target: float, tol: float) -> float:
    """P(|X - target| <= tol) for X normal with the mean and SD of ``values``; the share of
    ``values`` within tol when they do not vary."""
    from scipy import stats

    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    if not np.isfinite(sd) or sd < 1e-9:
        return float(np.mean(np.abs(values - target) <= tol * (1 + 1e-9))) if len(values) else 1.0
    mu = float(np.mean(values))
    return float(
        stats.norm.cdf((target + tol - mu) / sd) - stats.norm.cdf((target - tol - mu) / sd)
    )


_PRINTED = ("estimate", "median", "events", "q1", "q3", "ci_low", "ci_high", "n", "percent",
            "p_value")  # fmt: skip


def _met(realised: Any, target: float, tol: float) -> bool:
    return bool(abs(realised - target) <= tol * (1 + 1e-9))


def numbers_met(est: pd.DataFrame, published: Mapping[str, Any], figure_ids: Iterable[str]) -> int:
    """How many printed numbers of these figures the realisation ``est`` prints as published
    (each within half its printed precision)."""
    from trialkit.published import precision
    from trialkit.results import published_point

    figures, wanted = published.get("figures", {}), set(figure_ids)
    met = 0
    for r in est.to_dict("records"):
        if r["figure_id"] not in wanted:
            continue
        fig = figures[r["figure_id"]]
        point = published_point(fig)
        for key in (k for k in _PRINTED if k in fig):
            tol = precision(dict(fig), key) / 2
            met += _met(_number(r, key, point), float(fig[key]), tol)
    return met


def report_table(
    plan: pd.DataFrame,
    published: Mapping[str, Any],
    est: pd.DataFrame,
    tab: pd.DataFrame,
    other: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    reasons: Mapping[str, str],
) -> pd.DataFrame:
    """One row per printed number (and per extra target): target, realised, tolerance, met,
    and over the check seeds the mean, the share meeting it and the normal-approximation
    chance of meeting it."""
    from trialkit.published import precision
    from trialkit.results import published_point

    figures = published.get("figures", {})
    info = plan.set_index("figure_id")
    by_seed = [o[0].set_index("figure_id") for o in other]
    rows = []
    for r in est.to_dict("records"):
        fid = r["figure_id"]
        fig, point = figures[fid], published_point(figures[fid])
        for key in (k for k in _PRINTED if k in fig):
            tol, target = precision(dict(fig), key) / 2, float(fig[key])
            realised = _number(r, key, point)
            values = np.array([_number(o.loc[fid].to_dict(), key, point) for o in by_seed])
            rows.append(
                {
                    "id": f"{fid}.{key}",
                    "figure_id": fid,
                    "statistic": key,
                    "endpoint": info.loc[fid, "endpoint"],
                    "arm": info.loc[fid, "arm"],
                    "population": info.loc[fid, "population"],
                    "target": target,
                    "realised": realised,
                    "tolerance": tol,
                    "met": _met(realised, target, tol),
                    "miss": realised - target,
                    "mean_other": float(np.mean(values)) if len(values) else math.nan,
                    "sd_other": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                    "share_met_other": float(np.mean(np.abs(values - target) <= tol * (1 + 1e-9)))
                    if len(values)
                    else math.nan,
                    "chance": _chance(values, target, tol),
                    "kind": r["kind"],
                    "verdict": r["verdict"],
                    "reason": reasons.get(fid, ""),
                }
            )
    for i, t in enumerate(tab.to_dict("records") if len(tab) else []):
        values = np.array([o[1].iloc[i]["realised"] for o in other])
        tol, target = float(t["tolerance"]), float(t["target"])
        rows.append(
            {
                "id": t["id"],
                "figure_id": "",
                "statistic": t["statistic"],
                "endpoint": t["endpoint"],
                "arm": t["arm"],
                "population": t["population"],
                "target": target,
                "realised": t["realised"],
                "tolerance": tol,
                "met": bool(t["met"]),
                "miss": t["realised"] - target,
                "mean_other": float(np.mean(values)) if len(values) else math.nan,
                "sd_other": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                "share_met_other": float(np.mean(np.abs(values - target) <= tol + 1e-9))
                if len(values)
                else math.nan,
                "chance": _chance(values, target, tol),
                "kind": "target",
                "verdict": "agrees" if t["met"] else "differs",
                "reason": "",
            }
        )
    return pd.DataFrame(rows)


def _width_note(numbers: pd.DataFrame) -> str:
    """The printed interval's width against the twin's mean width over the check seeds (the
    mean of a width is the difference of the limits' means): a width outside the printed one
    by more than the rounding says the twin's spread, not its location, is off."""
    by = numbers.set_index("statistic")
    if not {"ci_low", "ci_high"} <= set(by.index):
        return ""
    lo, hi = by.loc["ci_low"], by.loc["ci_high"]
    printed = float(hi["target"] - lo["target"])
    slack = float(hi["tolerance"] + lo["tolerance"])
    twin = float(hi["mean_other"] - lo["mean_other"])
    if not math.isfinite(twin) or abs(twin - printed) <= slack:
        return ""
    way = "narrower" if twin < printed else "wider"
    return (
        f"; the printed interval is {printed:g} wide ({printed - slack:g} to "
        f"{printed + slack:g} with its rounding), the twin's {twin:.3g} on average: "
        f"{abs(1 - twin / printed):.0%} {way}, so the twin's between-patient spread of this "
        "endpoint (or the printed method's standard error) differs"
    )


def _why_not(
    rows: pd.DataFrame, n_seeds: int, n_other: int, numbers: pd.DataFrame | None = None
) -> str:
    """Why a figure's numbers are not met: the model never gives one, or the figure is
    printed finer than one trial's sampling error (and where the twin's law is off)."""
    never = rows[(rows["sd_other"].fillna(0) < 1e-9) & (rows["share_met_other"] == 0)]
    if len(never):
        parts = ", ".join(
            f"{r.statistic} {r.mean_other:g} (published {r.target:g})" for r in never.itertuples()
        )
        return (
            f"every realisation of this twin gives {parts} over the {n_other} check seeds: "
            "the model, as parameterised, does not reach the published number"
        )
    chance = float(rows["chance"].prod())
    off = rows[
        (rows["sd_other"] > 0)
        & ((rows["target"] - rows["mean_other"]).abs() > 2 * rows["sd_other"])
    ]
    tail = ""
    if len(off):
        tail = "; the published number lies more than 2 SD from the twin's mean for " + ", ".join(
            f"{r.statistic} ({r.mean_other:.3g} +/- {r.sd_other:.2g} vs {r.target:g})"
            for r in off.itertuples()
        )
    searched = f"; {n_seeds} seeds were searched" if n_seeds else ""
    tail += _width_note(numbers) if numbers is not None else ""
    return (
        f"printed finer than one trial's sampling error: a realisation of this twin prints "
        f"the {', '.join(rows['statistic'])} missed here as published with a chance of about "
        f"{chance:.1g} (normal approximations over the {n_other} check seeds, multiplied as "
        f"if independent{searched}){tail}"
    )


def figure_summary(
    est: pd.DataFrame,
    other: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    before: pd.DataFrame,
    table: pd.DataFrame,
    reasons: Mapping[str, str],
    n_seeds: int,
    *,
    explained: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per reproduced figure: its verdict for the chosen seed (``not reproducible``
    when arithmetic excludes it: ``reasons``), the share of the check seeds that agree with
    the fitted and with the starting parameters, the chance a realisation agrees, and the
    reason when it does not (``reasons``, else ``explained``: why this realisation misses a
    figure that other parameters could meet, else the chance of meeting it)."""
    rows = []
    for r in est.itertuples():
        mine = [o[0].set_index("figure_id").loc[r.figure_id, "verdict"] for o in other]
        start = before.loc[before["figure_id"] == r.figure_id, "verdict"]
        numbers = table[table["figure_id"] == r.figure_id]
        reason = reasons.get(r.figure_id, "")
        if not reason and r.verdict != "agrees":
            reason = (explained or {}).get(r.figure_id, "")
        if not reason and r.verdict != "agrees":
            reason = _why_not(numbers[~numbers["met"]], n_seeds, len(other), numbers)
        rows.append(
            {
                "figure_id": r.figure_id,
                "kind": r.kind,
                "verdict": "not reproducible" if reasons.get(r.figure_id) else r.verdict,
                "agree_other": float(np.mean([v == "agrees" for v in mine])) if mine else math.nan,
                "start_agree_other": float((start == "agrees").mean()) if len(start) else math.nan,
                "chance": float(numbers["chance"].prod()),
                "why": r.why,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


def seed_summary(
    seed: int,
    est: pd.DataFrame,
    check_seeds: Sequence[int],
    other: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    before: pd.DataFrame,
) -> pd.DataFrame:
    """Figures agreeing per realisation: ``seed, role`` (``chosen``, ``check``: the fitted
    parameters on other seeds, ``start``: the starting parameters on those seeds), ``agree,
    of``."""
    rows = [
        {
            "seed": int(seed),
            "role": "chosen",
            "agree": int((est["verdict"] == "agrees").sum()),
            "of": len(est),
        }
    ]
    rows += [
        {
            "seed": int(s),
            "role": "check",
            "agree": int((o[0]["verdict"] == "agrees").sum()),
            "of": len(o[0]),
        }
        for s, o in zip(check_seeds, other, strict=True)
    ]
    for s, g in before.groupby("seed", sort=False):
        rows.append(
            {
                "seed": int(s),
                "role": "start",
                "agree": int((g["verdict"] == "agrees").sum()),
                "of": len(g),
            }
        )
    return pd.DataFrame(rows)


def figure_reasons(
    trial: Any, ends: pd.DataFrame, plan: pd.DataFrame, figures: Mapping[str, Any]
) -> dict[str, str]:
    """Why a change score's median figure misses its upper quartile in this realisation
    (:func:`trialkit.simulate.death_timing.death_timing_reason`), by figure id."""
    from trialkit.simulate.death_timing import death_timing_reason

    out = {}
    for p in plan[plan["kind"] == "median"].to_dict("records"):
        why = death_timing_reason(trial, ends, p["endpoint"], p["arm"], figures[p["figure_id"]])
        if why:
            out[p["figure_id"]] = "death timing: " + why
    return out


def _fmt(value: Any, step: float | None) -> str:
    from trialkit.published import format_number

    return format_number(float(value), step)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out


def _tradeoff(
    spec: Spec, params: TwinParams, published: Mapping[str, Any], plan: pd.DataFrame,
    taus: Sequence[float], seeds: Sequence[int],
) -> list[str]:  # fmt: skip
    """The death-timing trade-off section: per ``early_death_tau``, the share of deaths before
    the outcome day, each arm's upper quartile of every median figure (the change score's,
    which the worst-value rule ties to early deaths, and the others', which the timing of
    deaths moves too), the figures that agree; then the range of ``early_death_tau`` each
    printed upper quartile needs (:func:`trialkit.simulate.death_timing.tau_ranges`) and
    whether one range serves them all."""
    from dataclasses import replace

    from trialkit.simulate.death_timing import death_share_by_day, tau_ranges

    medians = [
        p
        for p in plan[plan["kind"] == "median"].to_dict("records")
        if "q3" in published["figures"][p["figure_id"]]
    ]
    changes = [p for p in medians if spec.rule(p["endpoint"]) == "delta_sofa"]
    if not changes:
        return []
    # The change score's figures first: the worst-value rule is why the section exists.
    medians = changes + [p for p in medians if p not in changes]
    day = int(spec.endpoint_options(changes[0]["endpoint"]).get("day", 7))
    last = min(28, params.horizon)
    grid = sorted({float(t) for t in taus} | {float(params.early_death_tau)})
    rows, q3s = [], {p["figure_id"]: [] for p in medians}
    # The twin's own law beside the others, in order.
    for tau in grid:
        got = seed_agreement(spec, replace(params, early_death_tau=tau), published, seeds)
        row = [f"{tau:g}" + (" (current)" if tau == params.early_death_tau else "")]
        row.append(f"{death_share_by_day(tau, day - 1, last=last):.0%}")
        for p in medians:
            g = got[got["figure_id"] == p["figure_id"]]
            printed = published["figures"][p["figure_id"]]["q3"]
            share = (g["verdict"] == "agrees").mean()
            q3s[p["figure_id"]].append(float(g["q3"].mean()))
            row.append(f"{g['q3'].mean():.2f} (printed {printed:g}), {share:.0%}")
        per_seed = got.groupby("seed")["verdict"].apply(lambda v: int((v == "agrees").sum()))
        row.append(f"{per_seed.mean():.1f} of {got['figure_id'].nunique()}")
        rows.append(row)
    header = [
        "early_death_tau",
        f"deaths by day 28 that come before day {day} (model)",
        *(f"{p['figure_id']}: mean Q3, figure agrees" for p in medians),
        "figures agreeing (mean)",
    ]
    needs, ranges = [], {}
    for p in medians:
        printed = float(published["figures"][p["figure_id"]]["q3"])
        ranges[p["figure_id"]] = tau_ranges(grid, q3s[p["figure_id"]], printed)
        needs.append(
            f"- {p['figure_id']} (Q3 printed {printed:g}): "
            + (" or ".join(_tau_range(r) for r in ranges[p["figure_id"]]) or "no tried law")
        )
    common = _intersect(list(ranges.values()))
    verdict = (
        f"One law serves every upper quartile: {' or '.join(_tau_range(r) for r in common)}."
        if common
        else "No single law of the day of death gives every printed upper quartile: with the "
        "other parameters as they are, the figures above pull `early_death_tau` apart, and the "
        "spec's author chooses which to meet."
    )
    return [
        "## When deaths happen: the trade-off",
        "",
        f"Under the worst-value rule only deaths before day {day} reach the printed upper "
        "quartiles of the change; when deaths happen also moves the other medians' upper "
        "quartiles. The same parameters drawn with other laws of the day of death "
        f"(`early_death_tau`, seeds {seeds[0]}-{seeds[-1]}): the spec's author chooses "
        "(`trialkit calibrate --fix early_death_tau=...`).",
        "",
        *_md_table(header, rows),
        "",
        "The `early_death_tau` each printed upper quartile needs (the mean Q3 above crosses it "
        "there, taken as monotone between the laws tried):",
        "",
        *needs,
        "",
        verdict,
        "",
    ]


def _tau_range(r: tuple[float, float]) -> str:
    lo, hi = r
    if lo <= 0:
        return f"below {hi:g}"
    if math.isinf(hi):
        return f"above {lo:g}"
    return f"{lo:g} to {hi:g}"


def _intersect(sets: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The common part of unions of closed ranges (an empty list when there is none)."""
    common = sets[0] if sets else []
    for other in sets[1:]:
        common = [
            (max(a, c), min(b, d)) for a, b in common for c, d in other if max(a, c) <= min(b, d)
        ]
    return common


def twin_fit_report(
    spec: Spec | str,
    published: Mapping[str, Any],
    *,
    params: TwinParams | None = None,
    check_seeds: Sequence[int] = range(10_001, 10_021),
    taus: Sequence[float] = (2.0, 4.0, 7.0),
    tau_seeds: Sequence[int] = range(1, 11),
    command: str = "",
) -> str:
    """The fit report of a twin's parameters and seed, as a Markdown page.

    For the realisation ``params.seed`` (default the trial's ``twin.toml``): every printed
    number of every figure the notebooks reproduce beside the twin's, its tolerance (half
    the printed precision) and verdict; the reasons a figure is not met, derived
    (``not_reproducible``: a risk ratio no count pair gives by a count-only method;
    ``figure_reasons``: upper quartiles and the timing of deaths; otherwise the chance that
    a realisation prints the figure, over ``check_seeds``); the figures agreeing for the
    seed and, as a distribution, for ``check_seeds``; the death-timing trade-off (``taus``
    and the twin's own ``early_death_tau``, x ``tau_seeds``); the knobs' values and meaning;
    the realism checks (:func:`trialkit.simulate.realism_checks`). Same inputs, same bytes.

    Parameters
    ----------
    spec : Spec or str
        The trial.
    published : mapping
        :func:`trialkit.published.load_published` of its figures.
    params : TwinParams, optional
        The twin's parameters (default :func:`trialkit.simulate.twin_params`).
    check_seeds, taus, tau_seeds
        Other realisations, and the death-timing trade-off's laws and seeds.
    command : str
        The command that wrote the page, quoted in it.

    Returns
    -------
    str
        The page.
    """
    from trialkit.endpoints import analysis_set
    from trialkit.published import precision
    from trialkit.simulate.death_timing import realism_checks
    from trialkit.simulate.draws import _spec, twin
    from trialkit.simulate.knobs import KNOBS
    from trialkit.simulate.params import twin_params

    spec = _spec(spec)
    params = twin_params(spec) if params is None else params
    figures = published.get("figures", {})
    plan = figure_plan(spec, published)
    t = twin(spec, params.seed, params=params)
    ends = analysis_set(t, spec)
    est = figure_estimates(t, published, plan=plan, ends=ends)
    others = seed_agreement(spec, params, published, check_seeds)
    other = [
        (g.drop(columns="seed"), pd.DataFrame()) for _, g in others.groupby("seed", sort=False)
    ]
    # Arithmetic that excludes a figure makes it "not reproducible"; the death-timing reason
    # explains a figure that a different law of the day of death could meet ("differs").
    fixed = not_reproducible(spec, plan, figures, params)
    timing = figure_reasons(t, ends, plan, figures)
    table = report_table(plan, published, est, pd.DataFrame(), other, fixed)
    summary = figure_summary(est, other, others, table, fixed, 0, explained=timing)
    agree = int((est["verdict"] == "agrees").sum())
    per_seed = others.groupby("seed")["verdict"].apply(lambda v: int((v == "agrees").sum()))
    dist = ", ".join(
        f"{k} figures: {n} seed{'' if n == 1 else 's'}"
        for k, n in per_seed.value_counts().sort_index().items()
    )
    n_fixed = int(summary["verdict"].eq("not reproducible").sum())
    lines = [
        f"# {spec.name} twin: fit report",
        "",
        f"The twin's current parameters (`twin.toml`, seed {params.seed}) against every figure "
        "of `published.toml` that the notebooks reproduce. Written by "
        + (f"`{command}`" if command else "`trialkit.simulate.twin_fit_report`")
        + "; tests/test_calibration.py regenerates it and compares, so it cannot go stale.",
        "",
        "## Agreement",
        "",
        f"- seed {params.seed}: **{agree} of {len(est)}** figures agree (every printed number "
        f"within half its printed precision); {n_fixed} of the others cannot be reproduced by "
        "the report's method (below).",
        f"- {len(per_seed)} other seeds ({check_seeds[0]}-{check_seeds[-1]}): median "
        f"{per_seed.median():g}, min {per_seed.min()}, max {per_seed.max()} ({dist}).",
        "",
        "## Every printed number",
        "",
        "Tolerance: half the printed precision. `other seeds`: the share of the "
        f"{len(per_seed)} other seeds that print the number as published.",
        "",
    ]
    rows = []
    for r in table.to_dict("records"):
        step = precision(dict(figures[r["figure_id"]]), r["statistic"])
        rows.append([
            r["figure_id"], r["statistic"], f"{r['target']:g}", _fmt(r["realised"], step / 10),
            f"{r['tolerance']:g}", "yes" if r["met"] else "no", f"{r['share_met_other']:.0%}",
        ])  # fmt: skip
    lines += _md_table(
        ["figure", "number", "target", "realised", "tolerance", "met", "other seeds"], rows
    )
    lines += ["", "## Figures, verdicts and reasons", ""]
    rows = [
        [r.figure_id, r.verdict, f"{r.agree_other:.0%}", r.reason if r.verdict != "agrees" else ""]
        for r in summary.itertuples()
    ]
    lines += _md_table(["figure", "verdict", "other seeds agree", "why not"], rows)
    lines += [""]
    lines += _tradeoff(spec, params, published, plan, taus, tau_seeds)
    lines += ["## The model's knobs (what `trialkit calibrate` fits)", ""]
    lines += _md_table(
        ["knob", "value", "meaning"],
        [
            [
                k.name,
                f"{k.value(params, params):g}",
                k.meaning,
            ]
            for k in KNOBS.values()
        ],
    )
    lines += [
        "",
        "`sofa_level` and `sofa_spread` are a shift and a scale of the twin's `base_mean`, "
        "`base_load` and `base_sd`: 0 and 1 are the current values.",
        "",
        "## Realism checks",
        "",
    ]
    checks = realism_checks(t)
    lines += _md_table(["check", "arm", "value", "criterion", "holds"], checks.to_numpy().tolist())
    return "\n".join(lines) + "\n"
