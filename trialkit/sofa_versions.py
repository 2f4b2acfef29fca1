"""SOFA-2 beside SOFA: both scores from the same raw data, how far they agree, which organ
systems move, and what the switch does to a trial's SOFA endpoints.

SOFA-2 (Ranzani et al., JAMA 2025) keeps the six systems and the 0-4 range of each but moves
thresholds (and writes them "≤" where Vincent 1996 wrote "<"), scores norepinephrine and
epinephrine as one sum, adds advanced respiratory support, ECMO, mechanical circulatory
support, other vasoactive agents, the criteria for renal replacement therapy, delirium drugs
and a sedation rule. A trial designed on the 1996 score and re-read under SOFA-2 changes in
two ways: every patient-day's score moves (:func:`paired_scores`, :func:`agreement`,
:func:`system_shifts`), and so do the endpoints built from those scores and the comparison
of the arms (:func:`rederive`).

Both versions are scored with the spec's own ``[sofa]`` options (the systems left out, the
missing-value rule, SOFA-2's footnote options); only ``version`` differs, so that every
difference shown is the score's and nothing else's.

References
----------
Vincent JL, Moreno R, Takala J, et al. The SOFA (Sepsis-related Organ Failure Assessment)
score to describe organ dysfunction/failure. Intensive Care Med 1996;22:707-10.
Ranzani OT, Singer M, Salluh JIF, et al. Development and validation of the Sequential Organ
Failure Assessment (SOFA)-2 score. JAMA 2025.
Bland JM, Altman DG. Statistical methods for assessing agreement between two methods of
clinical measurement. Lancet 1986;1:307-10.
McGraw KO, Wong SP. Forming inferences about some intraclass correlation coefficients.
Psychol Methods 1996;1:30-46.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from trialkit.endpoints import analysis_set, in_population
from trialkit.schema import Trial
from trialkit.sofa import COMPONENTS, VERSIONS, daily_scores
from trialkit.spec import Spec
from trialkit.sweep import SWEPT_RULES, estimate, prescribed_estimator
from trialkit.tables import median_iqr_by_arm

__all__ = [
    "SYSTEM_NAMES",
    "agreement",
    "describe_shifts",
    "paired_scores",
    "rederive",
    "rederive_table",
    "shift_table",
    "system_shifts",
    "version_name",
]

#: Organ systems as a clinician names them, in the order of the SOFA table.
SYSTEM_NAMES = {
    "resp": "respiratory",
    "coag": "coagulation",
    "liver": "liver",
    "cardio": "cardiovascular",
    "cns": "brain (CNS)",
    "renal": "kidney",
    "total": "total",
}
_VERSIONS = ("sofa1", "sofa2")


def _versioned(spec: Spec, version: str) -> Spec:
    return spec if spec.sofa_version == version else spec.with_sofa(version=version)


def paired_scores(daily: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Every patient-day scored under both versions, one row per patient-day and system.

    Both scores use the spec's ``[sofa]`` options (systems left out, missing-value rule,
    SOFA-2's footnotes); only the version differs.

    Parameters
    ----------
    daily : pandas.DataFrame
        The ``daily`` table of the data model, with the SOFA-2 columns (the codebook's
        optional daily columns).
    spec : Spec
        The trial's spec.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``day``, ``system`` (each scored system, then ``total``), ``sofa1``
        and ``sofa2`` (nullable integers: missing under ``missing="na"``) and ``difference``
        (SOFA-2 − SOFA); ``len(daily) × (systems + 1)`` rows.

    Raises
    ------
    trialkit.schema.DataError
        ``daily`` lacks a column SOFA-2 needs under the spec's options (each is named).

    Examples
    --------
    >>> from trialkit.simulate import twin
    >>> trial = twin("imicro")
    >>> paired = paired_scores(trial.daily, trial.spec)
    >>> paired.groupby("system", sort=False)["difference"].mean().round(2).index.tolist()
    ['resp', 'coag', 'liver', 'cardio', 'cns', 'renal', 'total']
    """
    options = {k: v for k, v in spec.sofa_options.items() if k != "version"}
    systems = [c for c in COMPONENTS if c not in options.get("exclude", ())]
    scored = {}
    for version in _VERSIONS:
        scores, total = daily_scores(daily, version=version, **options)
        scored[version] = {**scores, "total": total}
    n = len(daily)
    names = [*systems, "total"]
    out = pd.DataFrame(
        {
            "patient_id": np.tile(daily["patient_id"].to_numpy(), len(names)),
            "day": np.tile(daily["day"].to_numpy(), len(names)),
            "system": pd.Categorical(np.repeat(names, n), categories=names),
        }
    )
    for version in _VERSIONS:
        score = np.concatenate([scored[version][s][0] for s in names])
        absent = np.concatenate([scored[version][s][1] for s in names])
        out[version] = pd.arrays.IntegerArray(score.astype(np.int16), absent)
    out["difference"] = out["sofa2"] - out["sofa1"]
    return out


def agreement(paired: pd.DataFrame, system: str = "total") -> pd.DataFrame:
    """How far the two versions agree on one system's (or the total's) daily scores.

    Over the patient-days scored by both, with :math:`d_i` = SOFA-2 − SOFA:

    * bias :math:`\\bar d` and the Bland-Altman 95% limits of agreement
      :math:`\\bar d \\pm 1.96\\, s_d` (Bland & Altman 1986);
    * the share of days with the same score, and within one point;
    * the intraclass correlation for absolute agreement of single scores, ICC(A,1)
      (McGraw & Wong 1996; two-way model, :func:`pingouin.intraclass_corr`; NaN with fewer
      than 3 days or no spread).

    A patient contributes all of their days, which are not independent of each other: the
    figures describe the patient-days of this trial; no interval or test is given for them.

    Returns
    -------
    pandas.DataFrame
        One row: ``system``, ``patient_days``, ``mean_sofa1``, ``mean_sofa2``, ``bias``,
        ``sd_difference``, ``loa_low``, ``loa_high``, ``identical``, ``within_1``,
        ``icc_a1``, ``higher``, ``lower`` (shares of days SOFA-2 scores above or below).

    Examples
    --------
    >>> paired = pd.DataFrame({"system": "total", "sofa1": [2, 5, 8, 3],
    ...                        "sofa2": [3, 5, 9, 3]})
    >>> row = agreement(paired).iloc[0]
    >>> float(row.bias), float(row.identical)
    (0.5, 0.5)
    """
    import pingouin as pg

    one = paired.loc[paired["system"] == system, ["sofa1", "sofa2"]].dropna()
    x = one["sofa1"].to_numpy(dtype=float)
    y = one["sofa2"].to_numpy(dtype=float)
    d = y - x
    n = d.size
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    icc = math.nan
    if n >= 3 and np.ptp(np.concatenate([x, y])) > 0:  # pingouin needs 3 targets
        long = pd.DataFrame(
            {
                "day": np.tile(np.arange(n), 2),
                "version": np.repeat(list(_VERSIONS), n),
                "score": np.concatenate([x, y]),
            }
        )
        table = pg.intraclass_corr(long, targets="day", raters="version", ratings="score")
        icc = float(table.set_index("Type").loc["ICC(A,1)", "ICC"])
    bias = float(d.mean()) if n else math.nan
    return pd.DataFrame(
        [
            {
                "system": system,
                "patient_days": n,
                "mean_sofa1": float(x.mean()) if n else math.nan,
                "mean_sofa2": float(y.mean()) if n else math.nan,
                "bias": bias,
                "sd_difference": sd,
                "loa_low": bias - 1.96 * sd,
                "loa_high": bias + 1.96 * sd,
                "identical": float((d == 0).mean()) if n else math.nan,
                "within_1": float((np.abs(d) <= 1).mean()) if n else math.nan,
                "icc_a1": icc,
                "higher": float((d > 0).mean()) if n else math.nan,
                "lower": float((d < 0).mean()) if n else math.nan,
            }
        ]
    )


def system_shifts(paired: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement` for every system and the total, the systems that move most first
    (by the share of days whose score changes), the total last.

    Examples
    --------
    >>> paired = pd.DataFrame({"system": ["coag", "coag", "renal", "renal", "total", "total"],
    ...                        "sofa1": [1, 2, 0, 3, 1, 5], "sofa2": [1, 2, 1, 4, 2, 6]})
    >>> system_shifts(paired)["system"].tolist()
    ['renal', 'coag', 'total']
    """
    systems = [s for s in pd.unique(paired["system"]) if s != "total"]
    rows = pd.concat([agreement(paired, s) for s in systems], ignore_index=True)
    rows = rows.assign(changed=1 - rows["identical"]).sort_values(
        ["changed", "system"], ascending=[False, True], kind="stable"
    )
    rows = rows.drop(columns="changed")
    if (paired["system"] == "total").any():
        rows = pd.concat([rows, agreement(paired, "total")], ignore_index=True)
    return rows.reset_index(drop=True)


def rederive(
    trial: Trial,
    spec: Spec | None = None,
    *,
    population: str | None = None,
    seed: int = 20251123,
) -> pd.DataFrame:
    """The trial's SOFA endpoints derived and compared under SOFA and under SOFA-2.

    Each endpoint whose rule is built from daily scores (:data:`trialkit.sweep.SWEPT_RULES`:
    ΔSOFA, mean daily SOFA) is derived from the same raw data under both versions, with the
    spec's options (death and discharge rules, days, covariates: a baseline score among the
    covariates is re-scored too), and the arms compared by the spec's prescribed analysis
    (:func:`trialkit.sweep.estimate`).

    Parameters
    ----------
    trial : Trial
        The validated trial, with the SOFA-2 columns.
    spec : Spec, optional
        Default: the trial's spec.
    population : str, optional
        The population to analyse; default: each endpoint's own.
    seed : int
        Seed of a bootstrap, when the spec's analysis is one.

    Returns
    -------
    pandas.DataFrame
        Two rows per endpoint (``sofa1``, then ``sofa2``): ``endpoint``, ``version``,
        ``score`` (its name, e.g. "modified SOFA-2"), ``median_<k>``, ``q1_<k>``, ``q3_<k>``
        and ``n_<k>`` for the arms (``k`` = ``x``, ``y``: experimental, control),
        ``estimate``, ``ci_low``, ``ci_high``, ``p_value``, ``method`` and ``changed``
        (patients whose value of the endpoint differs between the versions).

    Examples
    --------
    >>> from trialkit.simulate import twin
    >>> trial = twin("imicro")
    >>> rederive(trial)[["endpoint", "version"]].values.tolist()[:2]
    [['delta_sofa', 'sofa1'], ['delta_sofa', 'sofa2']]
    """
    spec = trial.spec if spec is None else spec
    eids = spec.with_rule(*SWEPT_RULES)
    specs = {v: _versioned(spec, v) for v in _VERSIONS}
    sets = {v: analysis_set(trial, s) for v, s in specs.items()}
    rows: list[dict[str, Any]] = []
    for eid in eids:
        pop = population or spec.population_of(eid)
        frames = {v: in_population(sets[v], specs[v], pop) for v in _VERSIONS}
        values = [f.set_index("patient_id")[eid] for f in frames.values()]
        a, b = values[0].align(values[1])
        changed = int((a.isna() != b.isna()).sum() + ((a != b) & a.notna() & b.notna()).sum())
        for version, frame in frames.items():
            row: dict[str, Any] = {
                "endpoint": eid,
                "version": version,
                "score": specs[version].score_name,
            }
            arms = median_iqr_by_arm(frame, eid, arms=spec.arms).set_index("arm")
            for k, arm in zip("xy", spec.arms, strict=True):
                row |= {f"{s}_{k}": float(arms.loc[arm, s]) for s in ("median", "q1", "q3")}
                row[f"n_{k}"] = int(arms.loc[arm, "n"])
            got = estimate(prescribed_estimator(spec, eid), frame, eid, specs[version], seed)
            row |= {k: got[k] for k in ("estimate", "ci_low", "ci_high", "p_value", "method")}
            row["changed"] = changed
            rows.append(row)
    return pd.DataFrame(rows)


def version_name(version: str) -> str:
    """A version's name as the references give it ("SOFA-2 (Ranzani et al. 2025)")."""
    return VERSIONS[version].name


# --- for the page ---------------------------------------------------------------------------


def _pct(share: float) -> str:
    return "" if math.isnan(share) else f"{100 * share:.0f}%"


def shift_table(shifts: pd.DataFrame) -> pd.DataFrame:
    """:func:`system_shifts` as a clinician reads it: system names, scores to 2 decimals,
    shares in %, the limits of agreement as one interval."""
    return pd.DataFrame(
        {
            "system": [SYSTEM_NAMES.get(s, s) for s in shifts["system"]],
            "patient-days": shifts["patient_days"].astype(int),
            "mean SOFA": shifts["mean_sofa1"].round(2),
            "mean SOFA-2": shifts["mean_sofa2"].round(2),
            "SOFA-2 − SOFA": shifts["bias"].round(2),
            "95% limits of agreement": [
                f"{lo:.2f} to {hi:.2f}"
                for lo, hi in zip(shifts["loa_low"], shifts["loa_high"], strict=True)
            ],
            "same score": shifts["identical"].map(_pct),
            "SOFA-2 higher": shifts["higher"].map(_pct),
            "SOFA-2 lower": shifts["lower"].map(_pct),
            "ICC(A,1)": shifts["icc_a1"].round(2),
        }
    )


def describe_shifts(shifts: pd.DataFrame) -> str:
    """Sentences saying which systems move most and which way, and what that does to the
    total, from :func:`system_shifts` (Markdown; no text from a user's file)."""
    parts = []
    systems = shifts[shifts["system"] != "total"]
    moving = systems[systems["identical"] < 1]
    for r in moving.head(3).itertuples():
        way = "lower" if r.lower > r.higher else "higher"
        share = r.lower if way == "lower" else r.higher
        parts.append(
            f"the **{SYSTEM_NAMES.get(r.system, r.system)}** score changes on "
            f"{_pct(1 - r.identical)} of patient-days, {way} under SOFA-2 on {_pct(share)} "
            f"(mean {r.bias:+.2f} points)"
        )
    text = ("Of the systems, " + "; ".join(parts) + ".") if parts else (
        "No system's score changes between the versions on these patient-days.")  # fmt: skip
    total = shifts[shifts["system"] == "total"]
    if len(total):
        t = total.iloc[0]
        text += (
            f" The total is the same on {_pct(t.identical)} of patient-days and within one "
            f"point on {_pct(t.within_1)}; on average SOFA-2 scores {t.bias:+.2f} points "
            f"(95% limits of agreement {t.loa_low:.1f} to {t.loa_high:.1f}), so a "
            "difference between arms measured in SOFA is not the same number in SOFA-2."
        )
    return text


def rederive_table(
    again: pd.DataFrame, spec: Spec, published: dict[str, Any] | None = None
) -> pd.DataFrame:
    """:func:`rederive` as a clinician reads it: each endpoint under each score, the arms'
    medians (IQR), the comparison with its 95% CI and P, and the published figure of the
    comparison (when the data folder's ``published.toml`` has one)."""
    figures = (published or {}).get("figures", {})
    arm_1, arm_2 = spec.arms

    def iqr(r: Any, k: str) -> str:
        return f"{r[f'median_{k}']:.1f} ({r[f'q1_{k}']:.1f} to {r[f'q3_{k}']:.1f})"

    rows = []
    for _, r in again.iterrows():
        fig = figures.get(f"{r['endpoint']}_difference", {})
        shown = ""
        if "estimate" in fig and r["version"] == spec.sofa_version:
            shown = f"{fig['estimate']}"
            if "ci_low" in fig and "ci_high" in fig:
                shown += f" ({fig['ci_low']} to {fig['ci_high']})"
        rows.append(
            {
                "endpoint": spec.label(r["endpoint"]),
                "score": r["score"],
                f"{arm_1}: median (IQR)": iqr(r, "x"),
                f"{arm_2}: median (IQR)": iqr(r, "y"),
                "difference (95% CI)": f"{r['estimate']:.2f} ({r['ci_low']:.2f} to "
                f"{r['ci_high']:.2f})",
                "P": f"{r['p_value']:.3f}",
                "published": shown,
                "patients whose value changes": int(r["changed"]),
            }
        )
    return pd.DataFrame(rows)
