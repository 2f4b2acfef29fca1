"""Daily SOFA scores from raw ICU measurements (Vincent 1996), vectorized.

:func:`sofa` takes the ``daily`` table of the data model and returns a new frame with one
column per organ system and the total. Every boundary convention is written in its docstring;
the cut points live in the tables below, so they can be read against the published table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from trialkit.schema import DAILY, DataError

COMPONENTS: tuple[str, ...] = ("resp", "coag", "liver", "cardio", "cns", "renal")
"""The six organ systems, in the order of Vincent's table."""

MISSING_RULES: tuple[str, ...] = ("normal", "locf", "na")

CATECHOLAMINES: tuple[str, ...] = (
    "norepinephrine_ug_kg_min",
    "epinephrine_ug_kg_min",
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
)

# A cut is (value, strict): a measurement scores one point more for every cut it reaches,
# ">= value" when strict is False (interval closed at its lower bound), "> value" when True.
_UP_CUTS: dict[str, tuple[tuple[float, bool], ...]] = {
    "bilirubin_mg_dl": ((1.2, False), (2.0, False), (6.0, False), (12.0, False)),
    # The SI column of Vincent's table is written 20-32 / 33-101 / 102-204 / > 204.
    "bilirubin_umol_l": ((20.0, False), (33.0, False), (102.0, False), (204.0, True)),
    "creatinine_mg_dl": ((1.2, False), (2.0, False), (3.5, False), (5.0, False)),
    # 110-170 / 171-299 / 300-440 / > 440.
    "creatinine_umol_l": ((110.0, False), (171.0, False), (300.0, False), (440.0, True)),
}
# Falling measurements score one point more for every cut they fall below ("< value").
_PF_CUTS = (400.0, 300.0, 200.0, 100.0)
_PLATELET_CUTS = (150.0, 100.0, 50.0, 20.0)
_GCS_CUTS = (15.0, 13.0, 10.0, 6.0)
_URINE_3, _URINE_4 = 500.0, 200.0

# Plausible ranges, taken from the data contract (trialkit.schema.DAILY) so that whatever
# load_trial accepts, sofa() accepts. They are checked again here because sofa() also takes
# frames that never went through load_trial, and a unit mix-up gives a plausible-looking
# but wrong score rather than an error.
# name -> (low, high, rule, likely cause of values above high)
_RANGES: dict[str, tuple[float, float, str, str]] = {
    c.name: (float(c.lo), float(c.hi), f"plausible range {c.range_text}", c.hint)
    for c in DAILY
    if c.kind == "number" and c.lo is not None and c.hi is not None
} | {c.name: (0.0, 1.0, "a 0/1 flag", "") for c in DAILY if c.kind == "flag"}


# Rows scored at a time: every temporary of a block stays in cache, whatever the table's size.
_BLOCK = 1 << 16

_Scores = dict[str, tuple[np.ndarray, np.ndarray]]
"""Per system: its score (int8, 0 where not scorable) and where it cannot be scored (bool)."""


def _count_up(x: np.ndarray, cuts: Iterable[tuple[float, bool]]) -> np.ndarray:
    score = np.zeros(x.shape, dtype=np.int8)
    for cut, strict in cuts:
        score += (x > cut) if strict else (x >= cut)
    return score


def _count_below(x: np.ndarray, cuts: Iterable[float]) -> np.ndarray:
    score = np.zeros(x.shape, dtype=np.int8)
    for cut in cuts:
        score += x < cut
    return score


def _unit_column(daily: pd.DataFrame, stem: str, problems: list[str]) -> str | None:
    have = [c for c in (f"{stem}_mg_dl", f"{stem}_umol_l") if c in daily.columns]
    if len(have) == 1:
        return have[0]
    if not have:
        problems.append(
            f"daily: no {stem} column: give {stem}_mg_dl or {stem}_umol_l "
            "(rule: SOFA needs one, with its unit in the name)"
        )
    else:
        problems.append(
            f"daily: both {stem}_mg_dl and {stem}_umol_l are present "
            "(rule: one unit per measurement, so the cut points are not ambiguous)"
        )
    return None


def _needed_columns(daily: pd.DataFrame, include: tuple[str, ...]) -> dict[str, list[str]]:
    """The input columns of each included component, or a DataError naming what is missing."""
    problems: list[str] = []
    need: dict[str, list[str]] = {
        "resp": ["pao2_mmhg", "fio2", "mech_vent"],
        "coag": ["platelets_10e9_l"],
        "cardio": ["map_mmhg", *CATECHOLAMINES],
        "cns": ["gcs"],
    }
    if "liver" in include:
        need["liver"] = [c for c in [_unit_column(daily, "bilirubin", problems)] if c]
    if "renal" in include:
        creat = _unit_column(daily, "creatinine", problems)
        need["renal"] = [c for c in [creat] if c] + ["urine_ml_24h"]
    need = {k: v for k, v in need.items() if k in include}
    for comp, cols in need.items():
        for col in cols:
            if col not in daily.columns:
                problems.append(
                    f"daily: missing column {col!r} (rule: needed for the {comp} SOFA component)"
                )
    if problems:
        raise DataError(problems)
    return need


def _as_array(column: pd.Series) -> np.ndarray:
    """A numeric column as a numpy array: the column's own memory when it is numpy-backed."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return column.to_numpy()
    # Nullable, Arrow-backed or text columns: converted once (text is an error).
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _numeric(daily: pd.DataFrame, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """Each column as a numeric array, checked against its plausible range; every problem
    reported.  Numpy-backed columns are not copied (the table as loaded is never
    consolidated or copied here)."""
    problems: list[str] = []
    out: dict[str, np.ndarray] = {}
    for col in columns:
        try:
            x = _as_array(daily[col])
        except (TypeError, ValueError):
            bad = pd.to_numeric(daily[col], errors="coerce").isna() & daily[col].notna()
            rows = list(daily.index[bad.to_numpy()][:5])
            problems.append(
                f"daily: column {col!r}, rows {rows}: text in a number column "
                f"(e.g. {daily[col][bad].iloc[0]!r}; a decimal comma?)"
            )
            continue
        lo, hi, rule, hint = _RANGES[col]
        # Two reductions (NaN ignored) instead of a mask, unless something is out of range.
        # (All missing: the reductions are NaN, and NaN is not out of range.)
        if x.size and (np.fmin.reduce(x) < lo or np.fmax.reduce(x) > hi):
            with np.errstate(invalid="ignore"):
                bad = (x < lo) | (x > hi)
            rows = list(daily.index[bad][:5])
            cause = f"; {hint}" if hint and (x > hi).any() else ""
            values = x[bad][:5].astype(float).tolist()
            problems.append(
                f"daily: column {col!r}, rows {rows}: values {values} (rule: {rule}){cause}"
            )
        out[col] = x
    if problems:
        raise DataError(problems)
    return out


def _score_sofa1(v: dict[str, np.ndarray], need: dict[str, list[str]]) -> _Scores:
    """Vincent 1996 component scores of one block of rows (see :func:`sofa`'s notes)."""
    scores: _Scores = {}
    if "resp" in need:
        # Rounded so that a ratio on a cut point in decimal arithmetic stays on it:
        # in binary floating point 112 / 0.28 is 399.99999999999994.
        with np.errstate(divide="ignore", invalid="ignore"):
            pf = np.round(v["pao2_mmhg"] / v["fio2"], 6)
        resp = _count_below(pf, _PF_CUTS)
        # Scores 3-4 need respiratory support; a missing flag counts as no support.
        np.minimum(resp, 2, out=resp, where=v["mech_vent"] != 1)
        scores["resp"] = resp, np.isnan(pf)
    if "coag" in need:
        x = v["platelets_10e9_l"]
        scores["coag"] = _count_below(x, _PLATELET_CUTS), np.isnan(x)
    if "liver" in need:
        col = need["liver"][0]
        scores["liver"] = _count_up(v[col], _UP_CUTS[col]), np.isnan(v[col])
    if "cardio" in need:
        # A comparison with NaN is False: a missing dose counts as no drug.
        ne, epi, dopa, dobu = (v[c] for c in CATECHOLAMINES)
        mapp = v["map_mmhg"]
        cardio = (mapp < 70).view(np.int8)  # 1, then the higher bands overwrite
        cardio[(dopa > 0) | (dobu > 0)] = 2
        cardio[(dopa > 5) | (epi > 0) | (ne > 0)] = 3
        cardio[(dopa > 15) | (epi > 0.1) | (ne > 0.1)] = 4
        # No drug recorded and no MAP: nothing to score from.
        absent = np.isnan(mapp)
        for c in CATECHOLAMINES:
            absent &= np.isnan(v[c])
        scores["cardio"] = cardio, absent
    if "cns" in need:
        x = v["gcs"]
        scores["cns"] = _count_below(x, _GCS_CUTS), np.isnan(x)
    if "renal" in need:
        col = need["renal"][0]
        creat, urine = v[col], v["urine_ml_24h"]
        renal = _count_up(creat, _UP_CUTS[col])
        renal[(urine < _URINE_3) & (renal < 3)] = 3
        renal[urine < _URINE_4] = 4
        scores["renal"] = renal, np.isnan(creat) & np.isnan(urine)
    return scores


VERSIONS: dict[str, tuple[Callable, Callable]] = {"sofa1": (_needed_columns, _score_sofa1)}
"""Each SOFA version: (its input columns per system, its block scoring function). A version
shares everything else: column extraction and range checks, block-wise scoring, the
missing-data rules, totals and the output frame."""


def _is_sorted(codes: np.ndarray, day: np.ndarray) -> bool:
    """Whether rows are in (patient, day) order already (ties in input order)."""
    if codes.size < 2:
        return True
    dc, dd = np.diff(codes), np.diff(day)
    return bool(np.all((dc > 0) | ((dc == 0) & (dd >= 0))))


def _patient_codes(patient: pd.Series) -> np.ndarray:
    if isinstance(patient.dtype, pd.CategoricalDtype):
        return patient.cat.codes.to_numpy()
    return pd.factorize(patient)[0]


def _locf(scores: _Scores, codes: np.ndarray, day: np.ndarray) -> None:
    """Carry each system's last scorable value forward within patient, in day order (in
    place; rows with nothing to carry score 0 and stay absent)."""
    n = codes.size
    order = None if _is_sorted(codes, day) else np.lexsort((day, codes))
    c = codes if order is None else codes[order]
    start = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
    group_start = np.repeat(start, np.diff(np.r_[start, n]))
    pos = np.arange(n)
    for comp, (score, absent) in scores.items():
        s, a = (score, absent) if order is None else (score[order], absent[order])
        last = np.where(a, -1, pos)
        np.maximum.accumulate(last, out=last)
        # An index from an earlier patient is not this patient's value.
        ok = last >= group_start
        filled = np.where(ok, s[np.maximum(last, 0)], 0).astype(np.int8)
        if order is None:
            scores[comp] = filled, ~ok
        else:
            score[order], absent[order] = filled, ~ok


def daily_scores(
    daily: pd.DataFrame,
    *,
    version: str = "sofa1",
    exclude: Iterable[str] = (),
    missing: str = "normal",
    patient_codes: np.ndarray | None = None,
) -> tuple[_Scores, tuple[np.ndarray, np.ndarray]]:
    """The scores of :func:`sofa` as arrays, without copying ``daily``.

    Returns ``{system: (score, absent)}`` for the included systems and the total as
    ``(score, absent)``: int8 scores (0 where absent) and boolean masks of the values that are
    missing under ``missing`` (always False for ``"normal"`` and ``"locf"``).  Arguments as
    :func:`sofa`; ``patient_codes`` (integer codes of ``patient_id``, as
    :mod:`trialkit.endpoints` has them) saves factorizing the ids for ``missing="locf"``.

    The table is read column by column without a copy (numpy-backed columns) and scored in
    blocks of rows, so that memory beyond the result stays a few megabytes.

    Examples
    --------
    >>> import pandas as pd
    >>> day = pd.DataFrame({"platelets_10e9_l": [160.0, 40.0, None]})
    >>> scores, (total, total_absent) = daily_scores(
    ...     day, exclude=("resp", "liver", "cardio", "cns", "renal"), missing="na")
    >>> scores["coag"][0].tolist(), scores["coag"][1].tolist(), total.tolist()
    ([0, 3, 0], [False, False, True], [0, 3, 0])
    """
    exclude = tuple(exclude)
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {list(VERSIONS)}, got {version!r}")
    unknown = sorted(set(exclude) - set(COMPONENTS))
    if unknown:
        raise ValueError(f"exclude: unknown SOFA system(s) {unknown}; known: {list(COMPONENTS)}")
    if missing not in MISSING_RULES:
        raise ValueError(f"missing must be one of {list(MISSING_RULES)}, got {missing!r}")
    include = tuple(c for c in COMPONENTS if c not in exclude)
    if missing == "locf":
        absent_cols = [c for c in ("patient_id", "day") if c not in daily.columns]
        if absent_cols:
            raise DataError(
                f"daily: missing column(s) {absent_cols} (rule: missing='locf' needs them)"
            )
    needed, score_block = VERSIONS[version]
    need = needed(daily, include)
    values = _numeric(daily, dict.fromkeys(c for cols in need.values() for c in cols))
    n = len(daily)
    scores: _Scores = {c: (np.zeros(n, dtype=np.int8), np.zeros(n, dtype=bool)) for c in include}
    for lo in range(0, n, _BLOCK):
        block = {c: x[lo : lo + _BLOCK] for c, x in values.items()}
        for comp, (score, absent) in score_block(block, need).items():
            scores[comp][0][lo : lo + score.size] = score
            scores[comp][1][lo : lo + score.size] = absent
    if missing == "locf":
        codes = _patient_codes(daily["patient_id"]) if patient_codes is None else patient_codes
        _locf(scores, codes, daily["day"].to_numpy())
    total = np.zeros(n, dtype=np.int8)
    total_absent = np.zeros(n, dtype=bool)
    for score, absent in scores.values():
        score[absent] = 0
        total += score
        if missing == "na":
            total_absent |= absent
        else:
            absent[:] = False
    if missing == "na":
        total[total_absent] = 0
    return scores, (total, total_absent)


def sofa(
    daily: pd.DataFrame,
    *,
    version: str = "sofa1",
    exclude: Iterable[str] = (),
    missing: str = "normal",
) -> pd.DataFrame:
    """Sequential Organ Failure Assessment score per patient-day (Vincent et al. 1996).

    Returns a copy of ``daily`` with ``sofa_<system>`` columns for the included organ
    systems and ``sofa_total``, their sum:

    .. math:: \\text{SOFA} = \\sum_{s \\in S} \\text{score}_s,
              \\qquad \\text{score}_s \\in \\{0, 1, 2, 3, 4\\}

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per patient-day with the columns of the data model: ``pao2_mmhg``,
        ``fio2`` (fraction), ``mech_vent`` (0/1), ``platelets_10e9_l``, ``bilirubin_mg_dl``
        *or* ``bilirubin_umol_l``, ``map_mmhg``, the four ``*_ug_kg_min`` catecholamines,
        ``gcs``, ``creatinine_mg_dl`` *or* ``creatinine_umol_l``, ``urine_ml_24h``, and
        ``patient_id`` and ``day`` when ``missing="locf"``. Only the columns of the included
        systems are needed. Never modified, never copied but once (into the result).
    version : {"sofa1"}
        The score: ``"sofa1"``, Vincent et al. 1996 (see :data:`VERSIONS`).
    exclude : iterable of str
        Systems left out, from ``resp, coag, liver, cardio, cns, renal``.
        ``exclude=("cns",)`` gives the five-system modified SOFA (0-20) of LeoPARDS and
        COMBAT-SHINE. Excluded systems have no column in the result (so a reader, and
        :mod:`trialkit.endpoints`, can tell the maximum score from the columns present) and
        add nothing to the total.
    missing : {"normal", "locf", "na"}
        A system that cannot be scored on a day (see below) scores 0 (``"normal"``, as most
        trials and MIMIC's SOFA code do), carries its last score from an earlier day of the
        same patient forward (``"locf"``, in day order whatever the row order; 0 before the
        patient's first scored day), or stays missing (``"na"``: the system's column and the
        total are ``<NA>``). LOCF carries the system's score, not each measurement, so that
        a score is never assembled from measurements of different days (PaO2 of one day
        with FiO2 of another).

    Returns
    -------
    pandas.DataFrame
        A new frame: ``daily``'s columns (any earlier ``sofa_*`` columns dropped) followed
        by ``sofa_<system>`` and ``sofa_total``, as nullable ``Int8``.

    Raises
    ------
    trialkit.schema.DataError
        A needed column is missing, both unit versions of bilirubin or creatinine are given,
        a column holds text, or a value lies outside the plausible range of the data
        contract (``trialkit.schema.DAILY``: FiO2 above 1, GCS outside 3-15, a flag other
        than 0/1, a catecholamine dose in ng rather than µg/kg/min, a negative value,
        bilirubin or creatinine in µmol/L under a mg/dL name). The message names the
        column, the first rows and the rule.
    ValueError
        An unknown ``version``, system in ``exclude`` or ``missing`` rule.

    Notes
    -----
    Conventions (the published table leaves them open; they are fixed here):

    * Intervals are closed at their lower bound: a value on a cut point scores the higher
      band for rising measurements (bilirubin 1.2 mg/dL scores 1, 2.0 scores 2; creatinine
      3.5 mg/dL scores 3) and the lower band for falling ones (platelets 150 scores 0,
      149.9 scores 1; PaO2/FiO2 400 scores 0, 399.9 scores 1; GCS 15 scores 0, 14 scores 1).
    * Respiration: PaO2/FiO2 < 400, < 300, < 200, < 100 score 1-4. Scores 3 and 4 need
      ``mech_vent == 1``; otherwise the score is at most 2. A missing ``mech_vent`` counts
      as no support. Missing when PaO2 or FiO2 is missing. The ratio is rounded to 6
      decimals first, so that 112 mmHg / 0.28 is 400 (scores 0), as in decimal arithmetic.
    * Cardiovascular (doses in µg/kg/min; the highest applicable score wins): 4 if
      dopamine > 15 or epinephrine > 0.1 or norepinephrine > 0.1; 3 if dopamine > 5 or
      epinephrine or norepinephrine > 0 (and <= 0.1); 2 if dopamine > 0 (<= 5) or any
      dobutamine; 1 if MAP < 70 mmHg. A missing dose means the drug was not given; the
      system is missing only when MAP and all four doses are missing.
    * Renal: the worse of creatinine (1.2, 2.0, 3.5, 5.0 mg/dL score 1-4) and urine output
      (< 500 mL/24 h scores 3, < 200 scores 4). Missing only when both are missing. RRT is
      not scored (Vincent 1996 does not score it).
    * SI units are scored with the SI cut points of the table, used directly rather than
      converted: bilirubin 20, 33, 102 µmol/L score 1-3 and > 204 scores 4; creatinine 110,
      171, 300 µmol/L score 1-3 and > 440 scores 4 (the top band is open, as printed: 204
      scores 3, 204.5 scores 4). The unit is read from the column name.
    * CNS: GCS 13-14, 10-12, 6-9, < 6 score 1-4.
    * Doses are taken as given for at least one hour, as the table requires; checking the
      duration is the data collector's job.

    References
    ----------
    Vincent JL, Moreno R, Takala J, et al. The SOFA (Sepsis-related Organ Failure
    Assessment) score to describe organ dysfunction/failure. Intensive Care Med
    1996;22:707-10.

    Examples
    --------
    >>> import pandas as pd
    >>> from trialkit.sofa import sofa
    >>> day = pd.DataFrame({"patient_id": [1], "day": [0], "pao2_mmhg": [90.0],
    ...     "fio2": [0.5], "mech_vent": [1], "platelets_10e9_l": [90.0],
    ...     "bilirubin_mg_dl": [2.0], "map_mmhg": [65.0],
    ...     "norepinephrine_ug_kg_min": [0.3], "epinephrine_ug_kg_min": [0.0],
    ...     "dopamine_ug_kg_min": [0.0], "dobutamine_ug_kg_min": [0.0], "gcs": [14],
    ...     "creatinine_mg_dl": [1.1], "urine_ml_24h": [450.0]})
    >>> sofa(day).filter(like="sofa_").iloc[0].tolist()
    [3, 2, 2, 4, 1, 3, 15]
    >>> int(sofa(day, exclude=("cns",))["sofa_total"].iloc[0])
    14
    """
    scores, (total, total_absent) = daily_scores(
        daily, version=version, exclude=exclude, missing=missing
    )
    # One copy of each input column, into a frame built from columns (pandas would copy a
    # table of many single-column blocks by consolidating it first, several times slower).
    columns: dict[str, object] = {}
    for c in daily.columns:
        if not str(c).startswith("sofa_"):
            col = daily[c]
            columns[c] = (
                col.array.copy()
                if not isinstance(col.dtype, np.dtype)
                else (col.to_numpy(copy=True))
            )
    for comp, (score, absent) in scores.items():
        columns[f"sofa_{comp}"] = pd.arrays.IntegerArray(score, absent)
    columns["sofa_total"] = pd.arrays.IntegerArray(total, total_absent)
    return pd.DataFrame(columns, index=daily.index, copy=False)
