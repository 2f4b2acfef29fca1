"""The fit report of a twin's current parameters as a page (:func:`twin_fit_report`,
``data/<trial>/fit_report.md``): every printed number beside the twin's, the verdicts and
their reasons (:mod:`.agreement`), the death-timing trade-off, the knobs and the realism
checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from trialkit.simulate.agreement import (
    figure_reasons,
    figure_summary,
    not_reproducible,
    report_table,
    seed_agreement,
)
from trialkit.simulate.figures import figure_estimates, figure_plan
from trialkit.simulate.params import TwinParams, swaps_apply
from trialkit.spec import Spec


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
) -> tuple[list[str], dict[str, list[tuple[float, float]]]]:  # fmt: skip
    """The death-timing trade-off section, and the ranges of ``early_death_tau`` each median
    figure's printed upper quartile needs, by figure id (both empty without a change score's
    median figure). The section: per ``early_death_tau``, the share of deaths before
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
        return [], {}
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
    ], ranges


def _timing_note(fid: str, needs: Mapping[str, list[tuple[float, float]]], tau: float) -> str:
    """Why a median figure's upper quartile is missed, from the trade-off: the range of
    ``early_death_tau`` it needs when that range excludes the twin's, and the figures whose
    needs exclude that range (``""`` when the twin's law is within it)."""
    mine = needs.get(fid, [])
    if not mine or any(lo <= tau <= hi for lo, hi in mine):
        return ""
    clash = [
        f"{other}'s needs {' or '.join(_tau_range(r) for r in rs)}"
        for other, rs in needs.items()
        if other != fid and rs and not _intersect([mine, rs])
    ]
    return (
        f"when deaths happen (the trade-off below): its Q3 needs early_death_tau "
        f"{' or '.join(_tau_range(r) for r in mine)}, the twin's is {tau:g}"
        + (f", where {', '.join(clash)}" if clash else "")
    )


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


def _conditioning_lines(
    spec: Spec, params: TwinParams, published: Mapping[str, Any], plan: pd.DataFrame, of: int
) -> list[str]:
    """What the exchanges of a conditioned realisation did (none: no line)."""
    from trialkit.simulate.draws import twin

    if not swaps_apply(params):
        return []
    plain = twin(spec, params.seed, params=replace(params, swaps=()))
    agree = int((figure_estimates(plain, published, plan=plan)["verdict"] == "agrees").sum())
    seeds = sorted({s for _, s, _ in params.swaps})
    n = len(plain.patients)
    return [
        f"- the realisation is conditioned (`swaps` in `twin.toml`, "
        f"`trialkit.simulate.condition`): {len(params.swaps)} of its {n} patients are exchanged "
        "for patients of the same arm, populations, withdrawal, deaths and serious events "
        f"drawn from the same model at seeds {seeds[0]}-{seeds[-1]}, so every count is "
        f"unchanged; seed {params.seed} without the exchanges: {agree} of {of} figures agree.",
    ]


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
    (``not_reproducible``: a risk ratio no count pair gives by a count-only method, a
    Hodges-Lehmann interval around 0 that tied deaths exclude;
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
    # A missed upper quartile that another law of the day of death meets says so, and which
    # figures that law would cost (the trade-off section below).
    section, needs = _tradeoff(spec, params, published, plan, taus, tau_seeds)
    q3_missed = set(table.loc[(table["statistic"] == "q3") & ~table["met"], "figure_id"])
    notes = {fid: _timing_note(fid, needs, float(params.early_death_tau)) for fid in q3_missed}
    summary["reason"] = [
        "; ".join(x for x in (r.reason, notes.get(r.figure_id, "")) if x)
        if r.verdict == "differs" else r.reason
        for r in summary.itertuples()
    ]  # fmt: skip
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
        *_conditioning_lines(spec, params, published, plan, len(est)),
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
    lines += section
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
