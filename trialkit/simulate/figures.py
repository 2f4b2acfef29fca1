"""The published figures a twin is compared with, estimated as the notebooks estimate them.

A calibration needs, for any trial and any realisation of its twin, the numbers that the
report would put beside each figure of ``published.toml``. :func:`figure_plan` says, for each
figure, which notebook reproduces it and how (the estimator, the population, the numbers it
prints); :func:`figure_estimates` computes those numbers on a trial with the estimators of
:mod:`trialkit.stats` on :func:`trialkit.endpoints.analysis_set`, as the notebooks record
them, and gives each figure the verdict of :func:`trialkit.results.reconcile`.

The notebooks' conventions, which these functions follow (the analysis ids are those of
``reports/<trial>/results.csv``):

============================ ================================= ===============================
figure id                    estimate (analysis id)            notebook
============================ ================================= ===============================
``randomized``,              patients randomized / analysed,    01_population
``analysed``,                total and per arm
``<stage>_<arm>``            (``population.<id>``)
``<eid>_<arm>`` (median)     median with quartiles, type 7      02, 04, 05
                             (``<eid>.median.<arm>``)
``<eid>_<arm>`` (estimate)   mean (``<eid>.mean.<arm>``)        05_mean_daily_sofa
``<eid>_difference``         Hodges-Lehmann shift with the      02, 04, 05
                             Wilcoxon CI and P, or the spec's
                             ``adjusted_mean_difference`` (OLS
                             with its covariates and factors)
``<eid>_<arm>`` (death)      patients (with n and %) or the %   03_mortality
                             alone when only a % is printed
``<eid>_rr``,                crude log-Wald risk ratio          03_mortality
``<eid>_rr_crude``           (``<eid>.rr``, ``<eid>.rr_crude``)
``<eid>_<arm>`` (SAE)        percentage (``<eid>.percent.*``)   06_safety
``<eid>_<arm>_count``        patients (``<eid>.patients.*``)    06_safety
``<eid>_comparison``         Fisher's exact test                06_safety
============================ ================================= ===============================

Figures without an endpoint other than the population counts (a planned sample size) are
design figures: the design notebooks compute them from the design, not from the data, so a
twin cannot move them and they are left out (``reproduced = False`` with the reason).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trialkit.results import reconcile
from trialkit.schema import Trial
from trialkit.spec import Spec

#: What a figure is, as :func:`figure_plan` classifies it.
FIGURE_KINDS = (
    "population",
    "count",
    "percent",
    "median",
    "mean",
    "difference",
    "risk_ratio",
    "test",
)
#: The kinds whose numbers follow from the conditioned counts and the arm sizes alone: a twin's
#: continuous parameters cannot move them.
FIXED_KINDS = ("population", "count", "percent", "risk_ratio", "test")
BINARY_RULES = ("dead_by", "serious_adverse_event")
PLAN_COLUMNS = (
    "figure_id",
    "kind",
    "endpoint",
    "arm",
    "population",
    "estimator",
    "analysis_id",
    "reproduced",
    "reason",
)
ESTIMATE_COLUMNS = (
    "figure_id",
    "kind",
    "analysis_id",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "q1",
    "q3",
    "n",
    "percent",
    "verdict",
    "why",
)


def _row(
    fid: str,
    kind: str = "",
    endpoint: str = "",
    arm: str = "",
    population: str = "",
    estimator: str = "",
    analysis_id: str = "",
    reason: str = "",
) -> dict[str, Any]:
    return {
        "figure_id": fid,
        "kind": kind,
        "endpoint": endpoint,
        "arm": arm,
        "population": population,
        "estimator": estimator,
        "analysis_id": analysis_id,
        "reproduced": not reason,
        "reason": reason,
    }


def _population_row(spec: Spec, fid: str) -> dict[str, Any] | None:
    counted = "analysed" if "analysed" in spec.populations else "primary"
    for stage in ("randomized", "analysed"):
        for arm in ("", *spec.arms):
            if fid == (f"{stage}_{arm}" if arm else stage):
                pop = "randomized" if stage == "randomized" else counted
                return _row(fid, "population", "", arm, pop, "n", f"population.{fid}")
    return None


def _endpoint_row(spec: Spec, fid: str, fig: Mapping[str, Any]) -> dict[str, Any]:
    eid = str(fig["endpoint"])
    if eid not in spec.endpoints:
        return _row(fid, endpoint=eid, reason=f"endpoint {eid!r} is not in the spec")
    rule, pop = spec.rule(eid), spec.population_of(eid)
    arm = str(fig.get("arm", ""))
    if arm and arm not in spec.arms:
        return _row(fid, endpoint=eid, arm=arm, reason=f"arm {arm!r} is not one of {spec.arms}")
    if rule in BINARY_RULES:
        sae = rule == "serious_adverse_event"
        if arm:
            if sae and fid == f"{eid}_{arm}_count":
                return _row(fid, "count", eid, arm, pop, "events", f"{eid}.patients.{arm}")
            if fid == f"{eid}_{arm}":
                if sae or "events" not in fig:
                    return _row(fid, "percent", eid, arm, pop, "percent", f"{eid}.percent.{arm}")
                return _row(fid, "count", eid, arm, pop, "events", f"{eid}.deaths.{arm}")
        elif sae and fid == f"{eid}_comparison":
            return _row(fid, "test", eid, "", pop, "fisher_exact", f"{eid}.fisher")
        elif not sae and fid in (f"{eid}_rr", f"{eid}_rr_crude"):
            return _row(
                fid, "risk_ratio", eid, "", pop, "risk_ratio", f"{eid}.{fid[len(eid) + 1 :]}"
            )
        return _row(
            fid,
            endpoint=eid,
            arm=arm,
            reason=f"no notebook records an estimate of {eid} against this id",
        )
    if arm and fid == f"{eid}_{arm}":
        if "median" in fig:
            return _row(fid, "median", eid, arm, pop, "median", f"{eid}.median.{arm}")
        if "estimate" in fig:
            return _row(fid, "mean", eid, arm, pop, "mean", f"{eid}.mean.{arm}")
    if not arm and fid == f"{eid}_difference":
        if spec.analysis_of(eid) == "adjusted_mean_difference":
            opts = spec.endpoints[eid]
            adjusted = bool(opts.get("covariates") or opts.get("factors"))
            kind = "adjusted" if adjusted else "unadjusted"
            return _row(
                fid, "difference", eid, "", pop, "adjusted_mean_difference", f"{eid}.{kind}"
            )
        return _row(fid, "difference", eid, "", pop, "hodges_lehmann", f"{eid}.hodges_lehmann")
    return _row(
        fid,
        endpoint=eid,
        arm=arm,
        reason=f"no notebook records an estimate of {eid} against this id",
    )


def figure_plan(spec: Spec, published: Mapping[str, Any]) -> pd.DataFrame:
    """How each published figure is reproduced: its kind, estimator, population and the
    analysis id a notebook records it under.

    Parameters
    ----------
    spec : Spec
        The trial's analysis plan (endpoints, their rules, populations and analyses).
    published : mapping
        :func:`trialkit.published.load_published` of the trial's data folder.

    Returns
    -------
    DataFrame
        One row per figure, in file order: ``figure_id, kind`` (``FIGURE_KINDS``, empty
        when not reproduced), ``endpoint, arm, population`` (a population name of the spec,
        or ``"randomized"``), ``estimator`` (``n, events, percent, median, mean,
        hodges_lehmann, adjusted_mean_difference, risk_ratio, fisher_exact``),
        ``analysis_id`` (the notebooks' id), ``reproduced`` and ``reason`` (why a figure is
        left out: a design figure, an endpoint the spec lacks, an id no notebook records).

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> pub = {"figures": {"death_d28_rr": {"endpoint": "death_d28", "estimate": 1.08},
    ...                    "planned_n": {"n": 236}}}
    >>> plan = figure_plan(load_spec("imicro"), pub)
    >>> plan[["figure_id", "kind", "estimator", "reproduced"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'figure_id': 'death_d28_rr', 'kind': 'risk_ratio', 'estimator': 'risk_ratio',
      'reproduced': True},
     {'figure_id': 'planned_n', 'kind': '', 'estimator': '', 'reproduced': False}]
    """
    rows = []
    for fid, fig in published.get("figures", {}).items():
        if "endpoint" in fig:
            rows.append(_endpoint_row(spec, fid, fig))
            continue
        row = _population_row(spec, fid)
        rows.append(
            row
            if row is not None
            else _row(
                fid, reason="a design figure (no endpoint): computed from the design, not the data"
            )
        )
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


class _Columns:
    """The analysis set as arrays, with each population's mask computed once: the figures of
    a calibration are estimated thousands of times, and pandas indexing per figure would
    dominate the cost."""

    def __init__(self, ends: pd.DataFrame, spec: Spec) -> None:
        self.ends, self.spec = ends, spec
        self.arm = ends["arm"].to_numpy()
        self._masks: dict[str, np.ndarray] = {}
        self._cols: dict[str, np.ndarray] = {}

    def mask(self, population: str) -> np.ndarray:
        if population not in self._masks:
            if population == "randomized":
                m = np.ones(len(self.ends), bool)
            else:
                flag = self.spec.populations.get(population, population)
                m = pd.to_numeric(self.ends[flag], errors="coerce").fillna(0).to_numpy() == 1
            self._masks[population] = m
        return self._masks[population]

    def col(self, name: str) -> np.ndarray:
        if name not in self._cols:
            self._cols[name] = pd.to_numeric(self.ends[name], errors="coerce").to_numpy(float)
        return self._cols[name]

    def values(self, eid: str, population: str, arm: str) -> np.ndarray:
        v = self.col(eid)[self.mask(population) & (self.arm == arm)]
        return v[~np.isnan(v)]

    def counts(self, eid: str, population: str) -> list[tuple[int, int]]:
        """(events, patients with a value) per arm, as tables.n_percent_by_arm counts them."""
        out = []
        for arm in self.spec.arms:
            v = self.values(eid, population, arm)
            out.append((int((v > 0).sum()), int(v.size)))
        return out


def _estimate(spec: Spec, plan: Mapping[str, Any], cols: _Columns) -> dict[str, float]:
    from trialkit import stats

    nan = math.nan
    out = {k: nan for k in ("estimate", "ci_low", "ci_high", "p_value", "q1", "q3", "n", "percent")}
    eid, arm, how, pop = plan["endpoint"], plan["arm"], plan["estimator"], plan["population"]
    arms = spec.arms
    if how == "n":
        m = cols.mask(pop)
        out["estimate"] = float(m.sum() if not arm else (m & (cols.arm == arm)).sum())
    elif how in ("events", "percent"):
        (a, n1), (b, n2) = cols.counts(eid, pop)
        k, m = (a, n1) if arm == arms[0] else (b, n2)
        pct = 100.0 * k / m if m else nan
        if how == "percent":
            out["estimate"] = pct
        else:
            out["estimate"] = float(k)
            if plan["analysis_id"].startswith(f"{eid}.deaths."):  # notebook 03 prints n (%)
                out["n"], out["percent"] = float(m), pct
    elif how in ("median", "mean"):
        v = cols.values(eid, pop, arm)
        if how == "mean":
            out["estimate"] = float(v.mean()) if v.size else nan
        elif v.size:
            q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])  # type 7, as R's quantile
            out |= {"estimate": float(med), "q1": float(q1), "q3": float(q3)}
    else:
        if how in ("risk_ratio", "fisher_exact"):
            (a, n1), (b, n2) = cols.counts(eid, pop)
            fn = stats.risk_ratio if how == "risk_ratio" else stats.fisher_exact
            res = fn(a, n1, b, n2)
        elif how == "hodges_lehmann":
            res = stats.hodges_lehmann(
                cols.values(eid, pop, arms[0]), cols.values(eid, pop, arms[1])
            )
        else:
            opts = spec.endpoints[eid]
            covariates = list(opts.get("covariates", []))
            factors = list(opts.get("factors", []))
            used = cols.ends.loc[cols.mask(pop), ["arm", eid, *covariates, *factors]]
            used = used.dropna(subset=[eid, *covariates, *factors])
            res = stats.adjusted_mean_difference(
                used, eid, "arm", covariates, categorical=factors, arm_1=arms[0]
            )
        row = res.iloc[0]
        for k in ("estimate", "ci_low", "ci_high", "p_value"):
            out[k] = float(row[k]) if k in res.columns and pd.notna(row[k]) else nan
    return out


def figure_estimates(
    trial: Trial,
    published: Mapping[str, Any],
    *,
    plan: pd.DataFrame | None = None,
    ends: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each reproduced figure's numbers on a trial, and its verdict, as the report records
    them.

    The numbers are those a notebook records against the figure (see the module's table):
    one arm's median with its type-7 quartiles, one arm's mean, a count with its denominator
    and percentage, the Hodges-Lehmann shift (:func:`trialkit.stats.hodges_lehmann`) or the
    spec's adjusted mean difference (:func:`trialkit.stats.adjusted_mean_difference`, rows
    missing the endpoint or a covariate dropped) with CI and P, the crude log-Wald risk ratio
    (:func:`trialkit.stats.risk_ratio`) and Fisher's exact test
    (:func:`trialkit.stats.fisher_exact`) on the counts of the endpoint's population. The
    verdict is :func:`trialkit.results.reconcile`'s: every printed number within half its
    printed precision.

    Parameters
    ----------
    trial : Trial
        A loaded or simulated trial; its ``spec`` gives the endpoints and populations.
    published : mapping
        :func:`trialkit.published.load_published` of the data folder.
    plan : DataFrame, optional
        :func:`figure_plan` of the spec and figures (computed when not given).
    ends : DataFrame, optional
        :func:`trialkit.endpoints.analysis_set` of the trial (computed when not given).

    Returns
    -------
    DataFrame
        One row per reproduced figure: ``figure_id, kind, analysis_id, estimate, ci_low,
        ci_high, p_value, q1, q3, n, percent`` (NaN where the estimator gives none),
        ``verdict`` (``agrees`` or ``differs``) and ``why`` (the numbers that differ).

    Examples
    --------
    >>> from trialkit.published import load_published
    >>> from trialkit.resources import bundled_data
    >>> from trialkit.simulate import twin
    >>> est = figure_estimates(twin("imicro"), load_published(bundled_data("imicro")))
    >>> row = est.set_index("figure_id").loc["death_d28_rr_crude"]
    >>> round(float(row["estimate"]), 4), str(row["verdict"])
    (1.0929, 'agrees')
    """
    from trialkit.endpoints import analysis_set

    spec = trial.spec
    plan = figure_plan(spec, published) if plan is None else plan
    ends = analysis_set(trial, spec) if ends is None else ends
    figures = published.get("figures", {})
    rows = []
    cols = _Columns(ends, spec)
    for p in plan[plan["reproduced"]].to_dict("records"):
        got = _estimate(spec, p, cols)
        parts = {k: got[k] for k in ("q1", "q3", "n", "percent")}
        verdict, why = reconcile(
            got["estimate"],
            got["ci_low"],
            got["ci_high"],
            got["p_value"],
            figures[p["figure_id"]],
            **parts,
        )
        rows.append(
            {
                "figure_id": p["figure_id"],
                "kind": p["kind"],
                "analysis_id": p["analysis_id"],
                **got,
                "verdict": verdict,
                "why": why,
            }
        )
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
