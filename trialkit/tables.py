"""Descriptive tables by arm: Table 1, the CONSORT flow counts, median (IQR) and n (%).

These functions describe; they do not test. Comparisons between arms (estimates with
confidence intervals and p-values) live in :mod:`trialkit.stats`. Every function takes a
patient-level frame with an arm column and returns a tidy :class:`pandas.DataFrame`
with one row per arm (or per CONSORT box), the arms in the spec's order (experimental
first), so that a notebook can display it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from trialkit.results import PART_KEYS
from trialkit.spec import Spec

__all__ = [
    "arm_order",
    "assumptions_table",
    "consort_counts",
    "events_by_term",
    "format_median_iqr",
    "median_iqr_by_arm",
    "n_percent_by_arm",
    "reconciliation",
    "table_one",
]


def arm_order(data: pd.DataFrame, arm: str, arms: Sequence[str] | None, where: str) -> list[str]:
    """The arm labels to report, in order; refuse a missing column, empty or unknown labels.

    ``arms`` (the spec's order, experimental first) wins; without it, sorted labels.
    ``where`` names the caller in the error message.
    """
    if arm not in data.columns:
        raise ValueError(f"{where}: no arm column {arm!r}; columns are {list(data.columns)}")
    labels = data[arm]
    if labels.isna().any():
        rows = list(labels.index[labels.isna()][:5])
        raise ValueError(
            f"{where}: column {arm!r} is empty in row(s) {rows}; every row needs an arm"
        )
    if arms is None:
        return sorted(labels.unique().tolist())
    arms = list(arms)
    unknown = sorted(set(labels.unique()) - set(arms))
    if unknown:
        raise ValueError(f"{where}: column {arm!r} has label(s) {unknown} outside the arms {arms}")
    return arms


def _check_column(data: pd.DataFrame, column: str, where: str) -> None:
    if column not in data.columns:
        raise ValueError(f"{where}: no column {column!r}; columns are {list(data.columns)}")


def _as_flag(values: pd.Series, column: str, where: str) -> pd.Series:
    """A 0/1 (or boolean) column as booleans; anything else is an error that names the rows."""
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & ~numeric.isin([0, 1])
    if bad.any():
        rows = list(values.index[bad][:5])
        seen = values[bad].unique()[:5].tolist()
        raise ValueError(f"{where}: column {column!r} must be 0/1; row(s) {rows} hold {seen}")
    return numeric.eq(1)


def consort_counts(
    patients: pd.DataFrame,
    *,
    analysed: str,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    reason: str | None = "exclusion_reason",
    followup_days: int | None = None,
    enrolment: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The CONSORT flow counted from the data: (enrolment), randomized, (follow-up), excluded
    from the analysis (by reason), analysed.

    Parameters
    ----------
    patients : DataFrame
        One row per randomized patient.
    analysed : str
        The 0/1 flag column of the analysis population (e.g. ``"mitt"``). A randomized
        patient with flag 0 is counted as excluded after randomization.
    arm : str
        The arm column.
    arms : sequence of str, optional
        Arm labels in reporting order (experimental first); default sorted labels.
    reason : str or None
        Column that gives the reason for exclusion. Excluded patients with no reason, or a
        frame without this column, are counted under ``"reason not recorded"``.
    followup_days : int, optional
        The trial's follow-up: adds the ``followup`` stage, the patients who withdrew
        consent (``withdrawn`` = 1) and those lost to follow-up (alive at a last contact
        before this day, not withdrawn), per arm.
    enrolment : mapping, optional
        ``{"screened": n, "eligible": n}`` where the spec gives them (the data hold only
        randomized patients): stages ``screened`` and ``eligible`` with a total only.

    Returns
    -------
    DataFrame
        One row per box: ``stage`` (``screened``, ``eligible``, ``randomized``,
        ``followup``, ``excluded``, ``analysed``), ``reason`` (the kind of exclusion or loss;
        empty otherwise), one count column per arm (0 for the enrolment stages, which come
        before allocation) and ``total``. Exclusion reasons are sorted by their total,
        largest first.

    Notes
    -----
    CONSORT 2010 (Schulz KF et al. BMJ 2010;340:c332), item 13: for each group, the
    numbers randomly assigned, receiving treatment, and analysed, with losses and
    exclusions after randomization and their reasons.

    Examples
    --------
    >>> p = pd.DataFrame({"arm": ["a", "a", "b"], "mitt": [1, 0, 1],
    ...                   "exclusion_reason": [None, "consent withdrawn", None]})
    >>> consort_counts(p, analysed="mitt", arms=["a", "b"])[["stage", "a", "b", "total"]]
            stage  a  b  total
    0  randomized  2  1      3
    1    excluded  1  0      1
    2    analysed  1  1      2
    """
    where = "consort_counts"
    order = arm_order(patients, arm, arms, where)
    _check_column(patients, analysed, where)
    if patients[analysed].isna().any():
        rows = list(patients.index[patients[analysed].isna()][:5])
        raise ValueError(f"{where}: flag {analysed!r} is empty in row(s) {rows}")
    in_set = _as_flag(patients[analysed], analysed, where)
    if reason is not None and reason in patients.columns:
        why = patients[reason].astype("string").str.strip().replace("", pd.NA)
    else:
        why = pd.Series(pd.NA, index=patients.index, dtype="string")
    why = why.fillna("reason not recorded")

    arm_cat = pd.Categorical(patients[arm], categories=order)
    randomized = pd.Series(arm_cat).value_counts().reindex(order)
    analysed_n = pd.Series(arm_cat[in_set.to_numpy()]).value_counts().reindex(order)
    excluded = (
        pd.DataFrame({"reason": why[~in_set], "arm": arm_cat[(~in_set).to_numpy()]})
        .groupby(["reason", "arm"], observed=False)
        .size()
        .unstack("arm", fill_value=0)
        .reindex(columns=order, fill_value=0)
    )
    excluded = excluded.loc[excluded.sum(axis=1).sort_values(ascending=False, kind="stable").index]

    rows = []
    for stage in ("screened", "eligible"):
        if enrolment and enrolment.get(stage) is not None:
            rows.append({"stage": stage, "reason": "", "total": int(enrolment[stage])})
    rows.append({"stage": "randomized", "reason": "", **randomized.to_dict()})
    if followup_days is not None:
        withdrew = pd.Series(False, index=patients.index)
        if "withdrawn" in patients.columns:
            withdrew = _as_flag(patients["withdrawn"], "withdrawn", where)
        died = pd.to_numeric(patients.get("death_day"), errors="coerce").notna()
        contact = pd.to_numeric(patients.get("last_contact_day"), errors="coerce")
        lost = ~withdrew & ~died & (contact < followup_days)
        for what, mask in (("withdrew consent", withdrew), ("lost to follow-up", lost)):
            n = pd.Series(arm_cat[mask.to_numpy()]).value_counts().reindex(order)
            rows.append({"stage": "followup", "reason": what, **n.to_dict()})
    rows += [
        {"stage": "excluded", "reason": str(r), **excluded.loc[r].to_dict()} for r in excluded.index
    ]
    rows.append({"stage": "analysed", "reason": "", **analysed_n.to_dict()})
    out = pd.DataFrame(rows, columns=["stage", "reason", *order, "total"])
    out[order] = out[order].fillna(0).astype(int)
    arm_rows = ~out["stage"].isin(["screened", "eligible"])
    out.loc[arm_rows, "total"] = out.loc[arm_rows, order].sum(axis=1)
    out["total"] = out["total"].astype(int)
    return out


def median_iqr_by_arm(
    data: pd.DataFrame,
    value: str,
    *,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Median and interquartile range of one endpoint in each arm.

    Quartiles are the linear-interpolation sample quantiles (Hyndman & Fan type 7, R's
    default ``quantile(x, type = 7)``):
    :math:`Q(p) = x_{(j)} + (h - j)(x_{(j+1)} - x_{(j)})` with :math:`h = (n - 1)p + 1`,
    :math:`j = \\lfloor h \\rfloor`. Missing values are left out and counted.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    value : str
        The numeric endpoint column.
    arm, arms
        Arm column and arm labels in reporting order.

    Returns
    -------
    DataFrame
        One row per arm: ``arm, n, n_missing, median, q1, q3``.

    References
    ----------
    Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat 1996;50:361-5.

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 3, "y": [1, 2, 3, 4, 5, 6, None]})
    >>> median_iqr_by_arm(d, "y", arms=["a", "b"])
      arm  n  n_missing  median    q1    q3
    0   a  4          0     2.5  1.75  3.25
    1   b  2          1     5.5  5.25  5.75
    """
    where = f"median_iqr_by_arm({value!r})"
    order = arm_order(data, arm, arms, where)
    _check_column(data, value, where)
    y = data[value]
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise ValueError(f"{where}: column {value!r} must be numeric, not {y.dtype}")
    groups = y.groupby(pd.Categorical(data[arm], categories=order), observed=False)
    out = pd.DataFrame(
        {
            "arm": order,
            "n": groups.count().to_numpy(),
            "n_missing": groups.size().to_numpy() - groups.count().to_numpy(),
            "median": groups.quantile(0.5).to_numpy(),
            "q1": groups.quantile(0.25).to_numpy(),
            "q3": groups.quantile(0.75).to_numpy(),
        }
    )
    return out


def format_median_iqr(summary: pd.DataFrame, *, decimals: int = 1) -> pd.Series:
    """``"median (q1 to q3)"`` strings from :func:`median_iqr_by_arm`, as papers print them.

    Examples
    --------
    >>> s = pd.DataFrame({"median": [-4.0], "q1": [-7.0], "q3": [7.0]})
    >>> format_median_iqr(s, decimals=0).tolist()
    ['-4 (-7 to 7)']
    """

    def fmt(x: float) -> str:
        s = f"{x:.{decimals}f}"
        # "-0.0" would show a sign that rounding has taken away.
        return s.lstrip("-") if float(s) == 0 else s

    return pd.Series(
        [
            f"{fmt(m)} ({fmt(a)} to {fmt(b)})" if np.isfinite(m) else "—"
            for m, a, b in zip(summary["median"], summary["q1"], summary["q3"], strict=True)
        ],
        index=summary.index,
        name="median (IQR)",
    )


def n_percent_by_arm(
    data: pd.DataFrame,
    flag: str,
    *,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    decimals: int = 0,
) -> pd.DataFrame:
    """Patients with an event, n (%) of those with a known value, in each arm.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    flag : str
        A 0/1 (or boolean) column; missing values are left out of the denominator and
        counted in ``n_missing``.
    arm, arms
        Arm column and arm labels in reporting order.
    decimals : int
        Decimals of the percentage in ``summary``.

    Returns
    -------
    DataFrame
        One row per arm: ``arm, events, n, n_missing, percent, summary`` where
        ``percent = 100 * events / n`` and ``summary`` is ``"events (percent%)"``.
        ``events`` and ``n`` are the cells a 2×2 comparison
        (:func:`trialkit.stats.risk_ratio`) needs.

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a", "a", "b", "b"], "dead": [1, 0, 0, 0]})
    >>> n_percent_by_arm(d, "dead", arms=["a", "b"])
      arm  events  n  n_missing  percent  summary
    0   a       1  2          0     50.0  1 (50%)
    1   b       0  2          0      0.0   0 (0%)
    """
    where = f"n_percent_by_arm({flag!r})"
    order = arm_order(data, arm, arms, where)
    _check_column(data, flag, where)
    known = data[flag].notna()
    hit = _as_flag(data[flag], flag, where)
    key = pd.Categorical(data[arm], categories=order)
    events = hit.groupby(key, observed=False).sum().to_numpy().astype(int)
    n = known.groupby(key, observed=False).sum().to_numpy().astype(int)
    size = known.groupby(key, observed=False).size().to_numpy().astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.where(n > 0, 100.0 * events / np.maximum(n, 1), np.nan)
    summary = [
        f"{e} ({p:.{decimals}f}%)" if k > 0 else "—"
        for e, p, k in zip(events, percent, n, strict=True)
    ]
    return pd.DataFrame(
        {
            "arm": order,
            "events": events,
            "n": n,
            "n_missing": size - n,
            "percent": percent,
            "summary": summary,
        }
    )


def table_one(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    nonnormal: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    decimals: int = 1,
) -> pd.DataFrame:
    """Table 1: baseline characteristics by arm, with missing counts and SMDs (tableone).

    Continuous variables are summarised as mean (SD), or median [Q1, Q3] for those in
    ``nonnormal``; categorical ones as n (%). No p-values: in a randomized trial a
    baseline difference is chance by construction (CONSORT 2010, item 15), so balance is
    shown with the standardized mean difference instead,

    .. math:: d = \\frac{\\bar x_2 - \\bar x_1}{\\sqrt{(s_1^2 + s_2^2)/2}}

    for continuous variables, and Yang & Dalton's multinomial generalisation
    :math:`d = \\sqrt{(p_1 - p_2)^T S^{-1} (p_1 - p_2)}` for categorical ones (the
    definition of R's ``tableone::ExtractSmd``), signed as arm 2 minus arm 1 where a sign exists.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    columns : sequence of str
        Baseline variables, in display order.
    arm, arms
        Arm column and arm labels in reporting order.
    categorical, nonnormal : sequence of str
        Subsets of ``columns``.
    labels : mapping, optional
        Display names (``{"lactate_mmol_l": "Lactate, mmol/L"}``).
    decimals : int
        Decimals of the summaries.

    Returns
    -------
    DataFrame
        tableone's table: rows ``variable, level``; columns ``Missing``, one per arm and
        ``SMD (arm1,arm2)``.

    References
    ----------
    Pollard TJ et al. tableone: an open source Python package for producing summary
    statistics for research papers. JAMIA Open 2018;1:26-31.
    Yang D, Dalton JE. A unified approach to measuring the effect size between two groups
    using SAS. SAS Global Forum 2012, paper 335.

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a", "b"] * 5, "age": range(50, 60)})
    >>> table_one(d, ["age"], arms=["a", "b"]).shape
    (2, 4)
    """
    from tableone import TableOne

    where = "table_one"
    order = arm_order(data, arm, arms, where)
    if len(order) != 2:
        raise ValueError(f"{where}: needs exactly two arms for the SMD, got {order}")
    for c in columns:
        _check_column(data, c, where)
    for name, subset in (("categorical", categorical), ("nonnormal", nonnormal)):
        extra = sorted(set(subset) - set(columns))
        if extra:
            raise ValueError(f"{where}: {name} names {extra}, which are not in columns")
    t = TableOne(
        data[[*columns, arm]],
        columns=list(columns),
        categorical=list(categorical),
        nonnormal=list(nonnormal),
        groupby=arm,
        order={arm: order},
        rename=dict(labels or {}),
        smd=True,
        missing=True,
        overall=False,
        pval=False,
        decimals=decimals,
        dip_test=False,
        normal_test=False,
        tukey_test=False,
    )
    table = t.tableone.copy()
    # Drop tableone's "Grouped by <arm>" header level: the arm names already say it.
    table.columns = table.columns.droplevel(0)
    return table


#: The baseline characteristics a Table 1 shows when the data have them, with their labels.
BASELINE_CANDIDATES: dict[str, str] = {
    "age": "Age, years",
    "sex": "Sex",
    "weight_kg": "Weight, kg",
    "infection_source": "Source of infection",
    "lactate_mmol_l": "Lactate, mmol/L",
    "baseline_sofa_total": "{score} score, day 0",
    "baseline_sofa_cardio": "Cardiovascular SOFA, day 0",
    "baseline_sofa_resp": "Respiratory SOFA, day 0",
    "baseline_sofa_renal": "Renal SOFA, day 0",
}
_CATEGORICAL = ("sex", "infection_source")


def baseline_table(data: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Table 1 of a trial: :func:`table_one` of the baseline characteristics its data have.

    The one home of Table 1's choice of rows, so that the population page and the manuscript
    tables show the same: :data:`BASELINE_CANDIDATES` present in ``data`` (an analysis set of
    :func:`trialkit.endpoints.analysis_set`), lactate and the SOFA scores as median [Q1, Q3],
    sex and source of infection as n (%), the rest as mean (SD).

    Examples
    --------
    >>> from trialkit.endpoints import analysis_set
    >>> from trialkit.schema import load_trial
    >>> from trialkit.spec import load_spec
    >>> spec = load_spec("imicro")
    >>> t1 = baseline_table(analysis_set(load_trial("data/imicro"), spec, population="primary"),
    ...                     spec)
    >>> t1.index[0][0]
    'n'
    """
    labels = {c: text.format(score=spec.score_name) for c, text in BASELINE_CANDIDATES.items()}
    columns = [c for c in labels if c in data.columns]
    nonnormal = [c for c in columns if c.startswith("baseline_sofa") or c == "lactate_mmol_l"]
    return table_one(data, columns, arms=spec.arms,
                     categorical=[c for c in columns if c in _CATEGORICAL],
                     nonnormal=nonnormal, labels=labels)  # fmt: skip


def events_by_term(
    events: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    window: Sequence[int] = (0, 28),
    serious_only: bool = True,
) -> pd.DataFrame:
    """Patients with at least one adverse event of each term, per arm: the safety table.

    A patient counts once per term however many times the event recurred; the
    denominator is every patient of the arm in ``patients`` (the safety population), so
    percentages of different terms do not add up.

    Parameters
    ----------
    events : DataFrame
        ``patient_id, day, term, serious`` (0/1), one row per event.
    patients : DataFrame
        The population: ``patient_id`` and the arm column. Events of other patients are
        left out.
    arm, arms
        Arm column and arm labels in reporting order.
    window : (first, last)
        Days counted, both ends included.
    serious_only : bool
        Count only events with ``serious == 1``.

    Returns
    -------
    DataFrame
        One row per term, most frequent first, then ``"any"``: for each arm the number of
        patients (``<arm>``) and ``<arm> (%)`` as ``"n (p%)"``, and ``total``.

    Examples
    --------
    >>> e = pd.DataFrame({"patient_id": [1, 1, 2], "day": [1, 2, 3],
    ...                   "term": ["bleeding", "bleeding", "shock"], "serious": [1, 1, 1]})
    >>> p = pd.DataFrame({"patient_id": [1, 2, 3], "arm": ["a", "b", "b"]})
    >>> events_by_term(e, p, arms=["a", "b"])[["term", "a", "b", "total"]]
           term  a  b  total
    0  bleeding  1  0      1
    1     shock  0  1      1
    2       any  1  1      2
    """
    where = "events_by_term"
    order = arm_order(patients, arm, arms, where)
    for c in ("patient_id", "day", "term", *(["serious"] if serious_only else [])):
        _check_column(events, c, where)
    _check_column(patients, "patient_id", where)
    first, last = window
    keep = events["day"].between(first, last)
    if serious_only:
        keep &= _as_flag(events["serious"], "serious", where)
    hits = events.loc[keep, ["patient_id", "term"]].merge(
        patients[["patient_id", arm]], on="patient_id", how="inner"
    )
    any_event = hits.assign(term="any")
    hits = pd.concat([hits, any_event]).drop_duplicates(["patient_id", "term"])
    # The arm as a Series, not a bare Categorical: with exactly two rows pandas would take a
    # two-element key list holding a Categorical for one key per row (TypeError).
    arm_key = pd.Series(pd.Categorical(hits[arm], categories=order), index=hits.index)
    counts = (
        hits.groupby([hits["term"], arm_key], observed=False)
        .size()
        .unstack(fill_value=0)
        .reindex(columns=order, fill_value=0)
    )
    counts.columns = order
    if "any" not in counts.index:
        counts.loc["any"] = 0
    terms = counts.drop(index="any")
    terms = terms.loc[terms.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    counts = pd.concat([terms, counts.loc[["any"]]])
    size = pd.Categorical(patients[arm], categories=order).value_counts().reindex(order)
    out = counts.rename_axis("term").reset_index()
    for a in order:
        pct = out[a] * (100.0 / size[a]) if size[a] else pd.Series(np.nan, index=out.index)
        out[f"{a} (%)"] = [f"{n} ({p:.0f}%)" for n, p in zip(out[a], pct, strict=True)]
    out["total"] = out[order].sum(axis=1)
    return out


def assumptions_table(spec: Spec, ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The spec's assumptions (choices the publications leave open) as a table to show.

    Parameters
    ----------
    spec : trialkit.spec.Spec
        The trial's analysis plan.
    ids : sequence of str, optional
        The assumptions that apply to an analysis, in this order; ids the spec does not
        have are skipped (a user's spec may make no such assumption). Default: all.

    Returns
    -------
    DataFrame
        ``id, assumption`` with the text on one line.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> assumptions_table(load_spec("imicro"), ["imicro-delta-death"])["id"].tolist()
    ['imicro-delta-death']
    """
    by_id = {a["id"]: " ".join(a["text"].split()) for a in spec.assumptions}
    chosen = list(by_id) if ids is None else [i for i in ids if i in by_id]
    return pd.DataFrame({"id": chosen, "assumption": [by_id[i] for i in chosen]})


def _estimate_text(values: Sequence[float], digits: int) -> str:
    """``est, low, high, p, q1, q3, n, percent`` as one line: 48/114 (42.1%), -4 (IQR -7 to
    6), 1 (0 to 3) P = 0.131."""
    est, low, high, p, q1, q3, n, percent = values

    def num(v: float) -> str:
        s = f"{v:.{digits}g}"
        return s.lstrip("-") if float(s) == 0 else s

    point = num(est) if np.isfinite(est) else ""
    if np.isfinite(n):  # a count printed over its denominator: "48/114"
        point = f"{point}/{num(n)}" if point else num(n)
    parts = [point] if point else []
    if np.isfinite(percent):
        parts.append(f"({num(percent)}%)")
    if np.isfinite(q1) and np.isfinite(q3):
        parts.append(f"(IQR {num(q1)} to {num(q3)})")
    if np.isfinite(low) and np.isfinite(high):
        parts.append(f"({num(low)} to {num(high)})")
    if np.isfinite(p):
        parts.append(f"P = {num(p)}")
    return " ".join(parts) if parts else "—"


def reconciliation(rows: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """Recorded estimates beside the published figures, one readable line each.

    Parameters
    ----------
    rows : DataFrame
        Rows as :func:`trialkit.results.record` returns them (or ``results.csv``):
        ``label, estimate, ci_low, ci_high, p_value``, the ``published_`` counterparts,
        ``verdict`` and ``note``; and, where recorded, ``kind``, ``why`` and the numbers
        printed beside a point (``q1, q3, n, percent`` and their ``published_`` columns).
    digits : int
        Significant digits of the numbers shown.

    Returns
    -------
    DataFrame
        ``label, trialkit, published, verdict, why, note`` where the two middle columns
        read ``"1.09 (0.801 to 1.49) P = 0.57"``, ``"-4 (IQR -7 to 6)"`` or
        ``"48/114 (42.1%)"``; parts that are missing are left out, and ``"—"`` stands for
        nothing at all. A check (``kind`` ``"check"``) shows its verdict as
        ``"check: agrees"``, so that it is not read as a reproduction.

    Examples
    --------
    >>> r = pd.DataFrame({"label": ["RR"], "estimate": [1.0934], "ci_low": [0.8013],
    ...     "ci_high": [1.4912], "p_value": [float("nan")], "published_estimate": [1.08],
    ...     "published_ci_low": [0.8], "published_ci_high": [1.5],
    ...     "published_p": [float("nan")], "verdict": ["differs"], "note": [""],
    ...     "why": ["estimate 1.093 vs 1.08 published (printed to 0.01)"]})
    >>> reconciliation(r).iloc[0, :4].tolist()
    ['RR', '1.09 (0.801 to 1.49)', '1.08 (0.8 to 1.5)', 'differs']
    """
    needed = ["label", "estimate", "ci_low", "ci_high", "p_value", "verdict", "note"]
    needed += [f"published_{c}" for c in ("estimate", "ci_low", "ci_high", "p")]
    missing = [c for c in needed if c not in rows.columns]
    if missing:
        raise ValueError(f"reconciliation: rows lack column(s) {missing}")
    parts = list(PART_KEYS)
    our_cols = ["estimate", "ci_low", "ci_high", "p_value", *parts]
    pub_cols = ["published_estimate", "published_ci_low", "published_ci_high", "published_p"]
    pub_cols += [f"published_{c}" for c in parts]
    # Rows recorded before the parts existed show without them (reindex: NaN).
    num = rows.reindex(columns=our_cols + pub_cols).astype(float)
    ours = [_estimate_text(v, digits) for v in num[our_cols].itertuples(index=False)]
    theirs = [_estimate_text(v, digits) for v in num[pub_cols].itertuples(index=False)]
    blank = pd.Series("", index=rows.index)
    kind = rows["kind"].fillna("") if "kind" in rows.columns else blank
    verdict = rows["verdict"].where(kind != "check", "check: " + rows["verdict"].astype(str))
    why = rows["why"].fillna("") if "why" in rows.columns else blank
    return pd.DataFrame(
        {
            "label": rows["label"].to_numpy(),
            "trialkit": ours,
            "published": theirs,
            "verdict": verdict.to_numpy(),
            "why": why.to_numpy(),
            "note": rows["note"].fillna("").to_numpy(),
        }
    )
