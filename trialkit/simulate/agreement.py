"""How a twin's figures agree with a publication's: each printed number beside the twin's,
over the chosen seed and other seeds (:func:`seed_agreement`, :func:`report_table`), and why
a figure cannot be met (:func:`not_reproducible`: arithmetic, also on a trial's own data with
:func:`not_reproducible_from_data`; :func:`figure_reasons`: when
deaths happen; otherwise the chance a realisation meets it). The fit (:mod:`.fit`) and the
fit report (:mod:`.fit_report`) both use them.
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


def _analysed_published(spec: Spec, figures: Mapping[str, Any]) -> tuple[int, int]:
    e, c = (int(figures[f"analysed_{a}"]["n"]) for a in spec.arms)
    return e, c


def _analysed_n(spec: Spec, params: TwinParams, figures: Mapping[str, Any]) -> tuple[int, int]:
    if all(f"analysed_{a}" in figures for a in spec.arms):
        e, c = _analysed_published(spec, figures)
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
    percentages or derived counts (:func:`risk_ratio_verdict`), a Hodges-Lehmann interval
    around 0 on a free-days endpoint whose tied deaths exclude it
    (:func:`tied_interval_verdict`)."""
    n = _analysed_n(spec, params, figures)
    tied = {fid: (n, deaths) for fid, deaths in _tied_deaths(spec, plan, figures, params).items()}
    return _excluded(spec, plan, figures, n, tied)


def not_reproducible_from_data(
    spec: Spec, published: Mapping[str, Any], data: Any
) -> dict[str, str]:
    """Why a figure cannot be met, by the arithmetic of ``not_reproducible`` (risk ratios,
    Hodges-Lehmann intervals around 0 of free-days endpoints), with the counts of a trial's
    own data instead of a twin's.

    The risk ratios are judged against the published counts or percentages, with the
    published analysed numbers (``analysed_<arm>``) as denominators where the figures give
    them, else the data's. A Hodges-Lehmann interval of a free-days endpoint is judged
    with the data's patients who have a value in each arm and, as the tied group, those who
    died by the endpoint's horizon (each scored the endpoint's death value).

    Parameters
    ----------
    spec : Spec
        The trial.
    published : mapping
        Its figures (:func:`trialkit.published.load_published`).
    data : Trial
        Its data (:func:`trialkit.schema.load_trial`).

    Returns
    -------
    dict
        Figure id -> ``"not reproducible: <the arithmetic>"``, for each figure that no data
        with these counts can give by the published method.

    Examples
    --------
    >>> from trialkit.published import load_published
    >>> from trialkit.resources import bundled_data
    >>> from trialkit.schema import load_trial
    >>> data = load_trial(bundled_data("imicro"), spec="imicro")
    >>> why = not_reproducible_from_data(data.spec, load_published(bundled_data("imicro")), data)
    >>> sorted(why)
    ['death_d28_rr', 'vaso_free_d28_difference']
    """
    from trialkit.endpoints import analysis_set

    figures = published.get("figures", {})
    plan = figure_plan(spec, published)
    sets: dict[str, pd.DataFrame] = {}

    def ends(population: str) -> pd.DataFrame:
        if population not in sets:
            sets[population] = analysis_set(data, spec, population=population)
        return sets[population]

    def per_arm(table: pd.DataFrame, which: pd.Series) -> tuple[int, int]:
        first, second = (int((which & (table["arm"] == a)).sum()) for a in spec.arms)
        return first, second

    primary = ends("primary")
    n = (
        _analysed_published(spec, figures)
        if all(f"analysed_{a}" in figures for a in spec.arms)
        else per_arm(primary, pd.Series(True, index=primary.index))
    )
    tied = {}
    for p in _free_days_intervals(spec, plan, figures):
        eid, table = p["endpoint"], ends(p["population"])
        horizon = int(spec.endpoints[eid].get("horizon", 28))
        valued = table[eid].notna()
        died = valued & (table["death_day"] <= horizon)
        tied[p["figure_id"]] = (per_arm(table, valued), per_arm(table, died))
    return _excluded(spec, plan, figures, n, tied)


def _excluded(
    spec: Spec,
    plan: pd.DataFrame,
    figures: Mapping[str, Any],
    n: tuple[int, int],
    tied: Mapping[str, tuple[tuple[int, int], tuple[int, int]]],
) -> dict[str, str]:
    """The risk ratios that the arm figures exclude (denominators ``n``) and the intervals
    that their tied groups exclude (``tied``: figure id -> (patients, tied) per arm)."""
    from trialkit.simulate.compatibility import risk_ratio_verdict, tied_interval_verdict

    out = {}
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
    for fid, (sizes, deaths) in tied.items():
        v = tied_interval_verdict(fid, figures[fid], sizes, deaths).iloc[0]
        if v["verdict"] == "not reproducible":
            out[fid] = "not reproducible: " + str(v["reason"])
    return out


def _free_days_intervals(
    spec: Spec, plan: pd.DataFrame, figures: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The plan's Hodges-Lehmann figures, with both limits printed, of free-days endpoints
    analysed in the randomized (mITT) population."""
    rows = plan[plan["reproduced"] & (plan["estimator"] == "hodges_lehmann")]
    return [
        p
        for p in rows.to_dict("records")
        if spec.rule(p["endpoint"]) == "free_days"
        and spec.populations.get(p["population"]) == "mitt"
        and "ci_low" in figures[p["figure_id"]]
        and "ci_high" in figures[p["figure_id"]]
    ]


def _tied_deaths(
    spec: Spec, plan: pd.DataFrame, figures: Mapping[str, Any], params: TwinParams
) -> dict[str, tuple[int, int]]:
    """The Hodges-Lehmann figures of free-days endpoints in the analysed population whose
    deaths (all scored the same value) the twin is conditioned on, with those counts."""
    out: dict[str, tuple[int, int]] = {}
    if not params.condition:
        return out
    for p in _free_days_intervals(spec, plan, figures):
        eid, fid = p["endpoint"], p["figure_id"]
        horizon = int(spec.endpoints[eid].get("horizon", 28))
        deaths = (
            params.target_deaths_28
            if horizon == 28
            else params.target_deaths_horizon
            if horizon == params.horizon
            else None
        )
        if deaths is not None:
            out[fid] = (int(deaths[0]), int(deaths[1]))
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
