"""Fitting a twin's parameters to every published figure: simulated method of moments.

The procedure (:func:`fit_twin`), for any spec and its ``published.toml``:

1. **Structure and counts.** The arm sizes and exclusions come from the population figures
   (``randomized_<arm>``, ``analysed_<arm>``); the per-arm counts (deaths by day 28 and by the
   end of follow-up, patients with a serious event) from the count and percentage figures.
   The intercepts and treatment log-odds ratios of the model's Bernoulli parts are solved so
   that the expected counts equal the targets, and every realisation is then drawn
   conditional on them (exact; :func:`trialkit.simulate.calibrate` step 1).
2. **Moments.** Every other number the notebooks reproduce and the twin's continuous
   parameters move (an arm's median and quartiles, an arm's mean, a difference with its CI
   and P: :data:`MOVABLE_KINDS`) is a moment :math:`m_j`, estimated on the twin exactly as
   the report estimates it (:func:`trialkit.simulate.figures.figure_estimates`). A CI enters
   as its width (the estimate carries its location), a P value on the normal scale
   :math:`z = \\Phi^{-1}(1 - P/2)`. User targets (``calibration.csv`` rows) are moments too.
3. **Loss, with common random numbers.** For parameters :math:`\\theta` the moments are
   averaged over :math:`K` fixed seeds (``fit_seeds``; the same seeds at every
   :math:`\\theta`, so that differences between parameter values are not drowned by
   sampling noise), and

   .. math::

       L(\\theta) = \\sum_j \\Big(\\frac{\\bar m_j(\\theta) - t_j}{s_j}\\Big)^2
       + \\lambda^2 \\sum_i (u_i - u_i^0)^2,

   with :math:`t_j` the printed number, :math:`s_j` the between-seed SD of :math:`m_j` at
   the start (the sampling error of one trial of this size; at least half the printed
   precision) and :math:`u_i \\in [0, 1]` the knob :math:`i` on its range (log scale for
   rates and scales). The second term (:math:`\\lambda` = ``ridge``) keeps a knob that no
   figure informs at its start value.
4. **Optimisation.** :func:`scipy.optimize.least_squares` (trust-region reflective, bounds
   [0, 1]) with a secant Jacobian (``secant_jacobian``). With common random numbers and
   SOFA's integer scores the moments are step functions of :math:`\\theta` (a median or a
   Hodges-Lehmann shift of integers moves in half points): an infinitesimal or a small
   forward difference usually falls on a plateau and gives a zero gradient, and the
   optimiser stops where it started. So each knob's difference starts at ``diff_step`` of its
   range and doubles, up to half the range, until some moment moves by one trial's sampling
   SD: the slope of the moments over a step wide enough to cross their steps.
5. **Rounding and the seed.** The fitted values are rounded (3 decimals) so that the
   ``twin.toml`` written reproduces them exactly, then among ``seeds`` the realisation that
   prints the most of the primary endpoint's numbers as published, then with the most
   agreeing figures (:func:`trialkit.results.reconcile`, ties broken by the smallest
   standardized distance), is the twin's seed: a twin that met more secondary figures but
   turned the primary result (its estimate, interval or P) would teach the wrong trial. The
   same parameters are drawn with ``check_seeds`` (20 other seeds): how many figures agree
   for each is the measure of robustness, reported beside the chosen seed's.

The knobs (:data:`KNOBS`) are few and interpretable; ``free`` chooses which move and
``fixed`` sets others (``fixed={"early_death_tau": 7}``: the spec's author decides when
deaths happen, :func:`trialkit.simulate.compatibility.death_timing_tradeoff`).

References
----------
McFadden D. A method of simulated moments for estimation of discrete response models without
numerical integration. Econometrica 1989;57:995-1026. Gourieroux C, Monfort A. Simulation-based
econometric methods. Oxford 1996 (common random numbers). Branch MA, Coleman TF, Li Y. A
subspace, interior and conjugate gradient method for large-scale bound-constrained
minimization problems. SIAM J Sci Comput 1999;21:1-23 (the TRF method of least_squares).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from trialkit.simulate.agreement import (
    figure_reasons,
    figure_summary,
    not_reproducible,
    numbers_met,
    report_table,
    seed_agreement,
    seed_summary,
)
from trialkit.simulate.figures import figure_estimates, figure_plan
from trialkit.simulate.knobs import KNOBS, Knob, check_knobs
from trialkit.simulate.params import Exclusion, TwinParams
from trialkit.spec import Spec, SpecError

#: Figure kinds whose numbers the continuous parameters move (the moments of the fit).
MOVABLE_KINDS = ("median", "mean", "difference")


@dataclass
class Calibration:
    """The result of :func:`fit_twin`.

    Attributes
    ----------
    params : TwinParams
        The calibrated parameters with the chosen seed.
    table : DataFrame
        The fit report, one row per number: ``id, figure_id, statistic, endpoint, arm,
        population, target, realised, tolerance, met, miss`` for the chosen seed,
        ``mean_other, share_met_other`` over the check seeds, ``kind``, ``verdict`` (of the
        figure), ``reason`` (why a figure cannot be met, when known).
    figures : DataFrame
        One row per reproduced figure: ``figure_id, kind, verdict`` (chosen seed),
        ``agree_other`` (share of check seeds), ``start_agree_other`` (the starting
        parameters' share) and ``reason``.
    seeds : DataFrame
        ``seed, role`` (``chosen``, ``check``, ``start``), ``agree, of``: figures agreeing per
        realisation.
    knobs : DataFrame
        ``knob, meaning, start, fitted, lo, hi, free``.
    summary : dict
        ``loss_start, loss_end, evaluations, cpu_seconds, message, seed, fit_seeds``.
    """

    params: TwinParams
    table: pd.DataFrame
    figures: pd.DataFrame
    seeds: pd.DataFrame
    knobs: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def describe(self, name: str) -> str:
        """The fit in a few lines (what ``trialkit calibrate`` prints): cost, loss, knobs,
        figures agreeing for the chosen seed and over the check seeds, and each figure not
        met with its reason."""
        s, seeds = self.summary, self.seeds
        fixed = dict(s.get("fixed", {}))
        chosen = seeds[seeds["role"] == "chosen"].iloc[0]
        check = seeds.loc[seeds["role"] == "check", "agree"]
        start = seeds.loc[seeds["role"] == "start", "agree"]
        lines = [
            f"trialkit calibrate: {name}, {len(self.figures)} published figures reproduced by "
            f"the notebooks; {s['twins_drawn']} twins drawn in {s['cpu_seconds']:.0f} s CPU",
            f"  loss {s['loss_start']:.2f} -> {s['loss_end']:.2f} ({s['message']})",
        ]
        shown = self.knobs[self.knobs["free"] | self.knobs["knob"].isin(fixed)]
        for k in shown.itertuples():
            held = " (fixed)" if k.knob in fixed else ""
            lines.append(f"  {k.knob}: {k.start:.3g} -> {k.fitted:.3g}{held}")
        lines.append(
            f"  seed {int(chosen['seed'])}: {int(chosen['agree'])} of {int(chosen['of'])} "
            "figures agree"
        )
        if len(check):
            dist = ", ".join(f"{v}: {n}" for v, n in check.value_counts().sort_index().items())
            lines.append(
                f"  {len(check)} other seeds: median {check.median():g} agree (min "
                f"{check.min()}, max {check.max()}; figures agreeing: seeds = {dist})"
            )
        if len(start):
            lines.append(
                f"  the starting parameters on the same seeds: median {start.median():g} "
                f"(min {start.min()}, max {start.max()})"
            )
        for r in self.figures.itertuples():
            if r.verdict != "agrees":
                lines.append(
                    f"  {r.verdict}: {r.figure_id} (other seeds agree {r.agree_other:.0%}): "
                    + (r.reason or r.why)
                )
        return "\n".join(lines)


def _probit_p(p: float) -> float:
    from scipy import stats

    return float(stats.norm.isf(min(max(p, 1e-12), 1.0) / 2))


def moment_table(plan: pd.DataFrame, published: Mapping[str, Any]) -> pd.DataFrame:
    """The numbers of the movable figures as moments: ``figure_id, key, target, step``.

    ``key`` is a figure's number (``estimate, median, q1, q3``), ``ci_width`` for a CI
    (``ci_high - ci_low``) or ``z`` for a P value (:math:`\\Phi^{-1}(1 - P/2)`).
    """
    from trialkit.published import precision

    figures = published.get("figures", {})
    rows = []
    for p in plan[plan["kind"].isin(MOVABLE_KINDS)].to_dict("records"):
        fig = figures[p["figure_id"]]
        for key in ("estimate", "median", "q1", "q3"):
            if key in fig:
                rows.append((p["figure_id"], key, float(fig[key]), precision(dict(fig), key)))
        if "ci_low" in fig and "ci_high" in fig:
            step = max(precision(dict(fig), "ci_low"), precision(dict(fig), "ci_high"))
            rows.append((p["figure_id"], "ci_width", float(fig["ci_high"] - fig["ci_low"]), step))
        if "p_value" in fig:
            p_step = precision(dict(fig), "p_value")
            z = _probit_p(float(fig["p_value"]))
            dz = abs(_probit_p(float(fig["p_value"]) + p_step / 2) - z)
            rows.append((p["figure_id"], "z", z, 2 * dz))
    return pd.DataFrame(rows, columns=["figure_id", "key", "target", "step"])


def _moment_values(est: pd.DataFrame, moments: pd.DataFrame) -> np.ndarray:
    e = est.set_index("figure_id")
    out = np.empty(len(moments))
    for i, (fid, key) in enumerate(zip(moments["figure_id"], moments["key"], strict=True)):
        r = e.loc[fid]
        if key == "ci_width":
            out[i] = r["ci_high"] - r["ci_low"]
        elif key == "z":
            out[i] = _probit_p(r["p_value"])
        else:
            out[i] = r["estimate"] if key in ("estimate", "median") else r[key]
    return out


def structure_from_figures(spec: Spec, base: TwinParams, figures: Mapping[str, Any]) -> dict:
    """Arm sizes and exclusions from the population figures, where they differ from ``base``.

    ``randomized_<arm>`` (both arms) set ``randomized``; else ``randomized`` (the total) splits
    it as evenly as possible. ``analysed_<arm>`` set the exclusions: ``randomized - analysed``
    patients of the arm are left out of the analysed population (reason not published).
    """
    e, c = spec.arms
    out: dict[str, Any] = {}
    rand = base.randomized
    if all(f"randomized_{a}" in figures for a in spec.arms):
        rand = tuple(int(figures[f"randomized_{a}"]["n"]) for a in spec.arms)
    elif "randomized" in figures and int(figures["randomized"]["n"]) != sum(base.randomized):
        n = int(figures["randomized"]["n"])
        rand = ((n + 1) // 2, n // 2)
    if tuple(rand) != tuple(base.randomized):
        out["randomized"] = tuple(rand)
    if all(f"analysed_{a}" in figures for a in spec.arms):
        want = [
            r - int(figures[f"analysed_{a}"]["n"]) for a, r in zip(spec.arms, rand, strict=True)
        ]
        have = [sum(x.arm == a for x in base.exclusions) for a in spec.arms]
        if any(w < 0 for w in want):
            raise SpecError(
                f"published: more patients analysed than randomized in an arm "
                f"({dict(zip(spec.arms, rand, strict=True))} randomized)"
            )
        if want != have:
            out["exclusions"] = tuple(
                Exclusion(arm=a, reason="not in the analysed population (reason not published)")
                for a, k in zip((e, c), want, strict=True)
                for _ in range(k)
            )
    return out


def count_targets_from_figures(plan: pd.DataFrame, published: Mapping[str, Any]) -> list[dict]:
    """The count and percentage figures as calibration targets (``calibration.csv`` rows)."""
    figures = published.get("figures", {})
    out = []
    for p in plan[plan["kind"].isin(("count", "percent"))].to_dict("records"):
        fig = figures[p["figure_id"]]
        stat = "count" if p["kind"] == "count" else "percent"
        value = fig["events"] if stat == "count" else fig["percent"]
        out.append(
            {
                "id": p["figure_id"],
                "statistic": stat,
                "endpoint": p["endpoint"],
                "arm": p["arm"],
                "population": p["population"],
                "target": float(value),
                "tolerance": 0.0,
            }
        )
    return out


class _Evaluator:
    """Moments of the twin at parameters u (unit scale), averaged over fixed seeds."""

    def __init__(
        self,
        spec: Spec,
        start: TwinParams,
        knobs: Sequence[Knob],
        fixed: Mapping[str, float],
        published: Mapping[str, Any],
        plan: pd.DataFrame,
        moments: pd.DataFrame,
        targets: list[dict],
        seeds: Sequence[int],
    ) -> None:
        self.spec, self.start, self.knobs = spec, start, list(knobs)
        self.fixed, self.published, self.plan = dict(fixed), published, plan
        self.moments, self.targets, self.seeds = moments, targets, list(seeds)
        self.cache: dict[tuple, np.ndarray] = {}
        self.evaluations = 0

    def params(self, u: Sequence[float]) -> TwinParams:
        p = self.start
        values = {k.name: k.from_unit(x) for k, x in zip(self.knobs, u, strict=True)}
        for name, v in {**values, **self.fixed}.items():
            p = replace(p, **KNOBS[name].changes(v, self.start))
        return p

    def draw(
        self, p: TwinParams, seed: int, plan: pd.DataFrame | None = None
    ) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
        """The moments of one realisation, its figure estimates (of ``plan``, default the
        movable figures) and its target table."""
        from trialkit.endpoints import analysis_set
        from trialkit.simulate.calibration import calibration_table
        from trialkit.simulate.draws import twin

        t = twin(self.spec, int(seed), params=p)
        ends = analysis_set(t, self.spec)
        est = figure_estimates(
            t, self.published, plan=self.plan if plan is None else plan, ends=ends
        )
        tab = calibration_table(t, self.targets) if self.targets else pd.DataFrame()
        m = _moment_values(est, self.moments)
        if len(tab):
            m = np.r_[m, tab["realised"].to_numpy(float)]
        self.evaluations += 1
        return m, est, tab

    def mean_moments(self, u: Sequence[float]) -> np.ndarray:
        key = tuple(np.round(np.asarray(u, float), 10))
        if key not in self.cache:
            p = self.params(u)
            self.cache[key] = np.mean([self.draw(p, s)[0] for s in self.seeds], axis=0)
        return self.cache[key]


def secant_jacobian(
    fun: Any,
    u: np.ndarray,
    step: float,
    n_moments: int,
    *,
    widest: float = 0.5,
    move: float = 1.0,
) -> np.ndarray:
    """Forward (backward at the upper bound) secants of ``fun`` on the unit scale, each
    knob's step doubled from ``step`` up to ``widest`` until one of the first ``n_moments``
    residuals moves by ``move`` or more.

    Piecewise-constant moments (common random numbers, integer scores) make a small step see
    a zero slope, or only the jitter of a moment the knob hardly drives; the residuals are in
    units of one trial's sampling SD, so the secant is widened until some moment moves by that
    much (``move``): the slope over a step wide enough to cross the moments' steps (a small
    move of a moment the knob hardly drives is jitter, not a slope).

    Examples
    --------
    A staircase of step 1 seen from 0.3 with a first step of 0.05: 0.05 and 0.1 stay on the
    plateau, 0.2 reaches the next step, a slope of 1 / 0.2 = 5:

    >>> f = lambda u: np.array([np.floor(u[0] * 4), 0.0])
    >>> secant_jacobian(f, np.array([0.3]), 0.05, 1).round(3).tolist()
    [[5.0], [0.0]]
    """
    u = np.asarray(u, float)
    f0 = np.asarray(fun(u), float)
    jac = np.zeros((f0.size, u.size))
    for i in range(u.size):
        h = step
        while True:
            sign = 1.0 if u[i] + h <= 1.0 else -1.0  # stay inside the bounds [0, 1]
            v = u.copy()
            v[i] += sign * h
            col = (np.asarray(fun(v), float) - f0) / (sign * h)
            if np.max(np.abs(col[:n_moments] * h), initial=0.0) >= move or h >= widest:
                break
            h = min(2 * h, widest)
        jac[:, i] = col
    return jac


def _standardized(est: pd.DataFrame, moments: pd.DataFrame) -> float:
    m = _moment_values(est, moments)
    return float(np.sum(((m - moments["target"].to_numpy()) / moments["step"].to_numpy()) ** 2))


def fit_twin(
    spec: Spec | str,
    published: Mapping[str, Any],
    *,
    targets: list[dict[str, Any]] | None = None,
    free: Sequence[str] | None = None,
    fixed: Mapping[str, float] | None = None,
    seeds: Sequence[int] = range(1, 101),
    check_seeds: Sequence[int] = range(10_001, 10_021),
    fit_seeds: Sequence[int] = range(20_001, 20_009),
    ridge: float = 0.2,
    diff_step: float = 0.05,
    max_evaluations: int = 30,
    start: TwinParams | None = None,
    **scenario: Any,
) -> Calibration:
    """Fit a twin to every published figure the notebooks reproduce (see the module text).

    Parameters
    ----------
    spec : Spec or str
        The trial; its twin's starting parameters are :func:`trialkit.simulate.twin_params`
        (a bundled trial's ``twin.toml``, else the model's defaults) with ``scenario``.
    published : mapping
        :func:`trialkit.published.load_published` of the figures to fit.
    targets : list of dict, optional
        Further targets (``calibration.csv`` rows, :func:`read_targets`): counts are
        conditioned on, the rest are moments.
    free : sequence of str, optional
        The knobs to fit (``trialkit.simulate.knobs.KNOBS``; default all but those in
        ``fixed``).
    fixed : mapping, optional
        Knobs set to a value and not fitted, e.g. ``{"early_death_tau": 7.0}``.
    seeds : sequence of int
        Candidate seeds of the twin: the one printing the most of the primary endpoint's
        numbers as published, then with the most agreeing figures, is chosen.
    check_seeds : sequence of int
        Other seeds: the agreement of each is reported (robustness).
    fit_seeds : sequence of int
        The common random numbers of the loss (K seeds).
    ridge : float
        :math:`\\lambda`, the pull of each knob towards its start (unit scale).
    diff_step : float
        First secant step on the unit scale (``secant_jacobian`` widens it).
    max_evaluations : int
        Budget of loss evaluations of the optimiser (each is ``len(fit_seeds)`` twins),
        Jacobian evaluations excluded.
    start : TwinParams, optional
        Starting parameters instead of :func:`twin_params`.

    Returns
    -------
    Calibration
        Parameters, fit report, per-figure and per-seed agreement, knobs and a summary.

    Raises
    ------
    trialkit.spec.SpecError
        An unknown knob, a knob both free and fixed, a value outside a knob's range.
    """
    from scipy import optimize

    from trialkit.endpoints import analysis_set
    from trialkit.simulate.calibration import _count_targets, _fit_counts
    from trialkit.simulate.draws import _spec, twin
    from trialkit.simulate.params import twin_params

    cpu0 = time.process_time()
    spec = _spec(spec)
    fixed = dict(fixed or {})
    free = check_knobs(free, fixed)
    figures = published.get("figures", {})
    plan = figure_plan(spec, published)
    original = start if start is not None else twin_params(spec, **scenario)
    original = replace(original, swaps=())  # the model's draws: exchanges are chosen after
    base = replace(original, **structure_from_figures(spec, original, figures))
    all_targets = count_targets_from_figures(plan, published) + list(targets or [])
    base = replace(base, **_fit_counts(spec, base, _count_targets(spec, base, all_targets)))
    moment_targets = [t for t in (targets or []) if not _conditioned(spec, t)]
    moments = moment_table(plan, published)
    knobs = [KNOBS[k] for k in free]
    movable = plan[plan["kind"].isin(MOVABLE_KINDS)]
    ev = _Evaluator(
        spec, base, knobs, fixed, published, movable, moments, moment_targets, fit_seeds
    )
    goal = np.r_[moments["target"].to_numpy(float), [float(t["target"]) for t in moment_targets]]
    steps = np.r_[
        moments["step"].to_numpy(float),
        [max(2 * float(t.get("tolerance", 0)), 1e-3) for t in moment_targets],
    ]
    u0 = np.array([k.to_unit(min(max(k.value(base, base), k.lo), k.hi)) for k in knobs])
    # The scale of each moment: its SD over the fit seeds at the start (one trial's sampling
    # error), at least half its printed precision.
    p0 = ev.params(u0)
    at_start = np.array([ev.draw(p0, s)[0] for s in ev.seeds]).reshape(len(ev.seeds), -1)
    spread = at_start.std(axis=0, ddof=1) if len(ev.seeds) > 1 else np.zeros(len(goal))
    scale = np.maximum(spread, steps / 2)
    ev.cache[tuple(np.round(u0, 10))] = at_start.mean(axis=0)

    def residuals(u: np.ndarray) -> np.ndarray:
        return np.r_[(ev.mean_moments(u) - goal) / scale, ridge * (np.asarray(u) - u0)]

    loss_start = float(np.sum(residuals(u0) ** 2))
    message, u_best = "nothing to fit (no free knob or no moment)", u0
    if knobs and len(goal):
        res = optimize.least_squares(
            residuals,
            u0,
            bounds=(0.0, 1.0),
            method="trf",
            jac=lambda u: secant_jacobian(residuals, u, diff_step, len(goal)),
            x_scale=1.0,
            max_nfev=max_evaluations,
            xtol=1e-3,
            ftol=1e-4,
        )
        message = str(res.message)
        # The best point evaluated (forward-difference points included), not always the last.
        u_best = np.array(min(ev.cache, key=lambda k: float(np.sum(residuals(np.array(k)) ** 2))))
    params = ev.params(u_best)  # rounded by Knob.changes: what twin.toml will hold
    loss_end = float(np.sum(residuals(u_best) ** 2))

    # The seed: the most printed numbers of the primary endpoint's figures met first, then
    # the most agreeing figures (and targets met), then the smallest distance.
    primary = plan.loc[plan["endpoint"] == spec.primary, "figure_id"]
    best: tuple[tuple[int, int, float], int] | None = None
    for seed in seeds:
        _, est, tab = ev.draw(params, seed, plan=plan)
        on_primary = numbers_met(est, published, primary)
        agree = int((est["verdict"] == "agrees").sum()) + (int(tab["met"].sum()) if len(tab) else 0)
        key = (-on_primary, -agree, _standardized(est, moments))
        if best is None or key < best[0]:
            best = (key, int(seed))
    if best is None:
        raise ValueError("calibrate: no candidate seeds given")
    params = replace(params, seed=best[1])
    _, est, tab = ev.draw(params, params.seed, plan=plan)
    other = [ev.draw(params, s, plan=plan)[1:] for s in check_seeds]
    before = seed_agreement(spec, original, published, check_seeds)
    reasons = not_reproducible(spec, plan, figures, params)
    chosen = twin(spec, params.seed, params=params)
    timing = figure_reasons(chosen, analysis_set(chosen, spec), plan, figures)
    table = report_table(plan, published, est, tab, other, reasons)
    fig_rows = figure_summary(est, other, before, table, reasons, len(seeds), explained=timing)
    seed_rows = seed_summary(params.seed, est, check_seeds, other, before)
    knob_rows = [
        {
            "knob": k.name,
            "meaning": k.meaning,
            "start": k.value(original, original),
            "fitted": k.value(params, original),
            "lo": k.lo,
            "hi": k.hi,
            "free": k.name in free,
        }
        for k in KNOBS.values()
    ]
    return Calibration(
        params=params,
        table=table,
        figures=fig_rows,
        seeds=seed_rows,
        knobs=pd.DataFrame(knob_rows),
        summary={
            "loss_start": loss_start,
            "loss_end": loss_end,
            "twins_drawn": ev.evaluations,
            "cpu_seconds": time.process_time() - cpu0,
            "message": message,
            "seed": params.seed,
            "seeds_searched": len(seeds),
            "fit_seeds": list(fit_seeds),
            "moments": len(goal),
            "free": list(free),
            "fixed": dict(fixed),
        },
    )


def _conditioned(spec: Spec, target: Mapping[str, Any]) -> bool:
    """A target met by construction: a size, or a count or percentage of a conditioned
    (binary) endpoint."""
    from trialkit.simulate.figures import BINARY_RULES

    stat, eid = target["statistic"], target.get("endpoint", "")
    if stat == "n" or eid == "excluded":
        return True
    return stat in ("count", "percent") and eid in spec.endpoints and spec.rule(eid) in BINARY_RULES
