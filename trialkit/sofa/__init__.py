"""Daily SOFA scores from raw ICU measurements, vectorized: Vincent 1996 and SOFA-2 (2025).

:func:`sofa` takes the ``daily`` table of the data model and returns a new frame with one
column per organ system and the total, under either version (``version="sofa1"`` or
``"sofa2"``) into the same columns, so every endpoint works on either score. Every boundary
convention is written in its docstring; the cut points live in the version modules
(``trialkit.sofa.sofa1``, ``trialkit.sofa.sofa2``), so they can be read against the
published tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from trialkit.patient_days import id_codes
from trialkit.schema import DataError
from trialkit.sofa import sofa1, sofa2
from trialkit.sofa._common import (
    _BLOCK,
    CATEGORIES,
    COMPONENTS,
    MISSING_RULES,
    Days,
    Scores,
    Version,
    category_codes,
    in_range,
    locf,
    numeric,
)
from trialkit.sofa.sofa1 import CATECHOLAMINES

__all__ = [
    "CATECHOLAMINES",
    "COMPONENTS",
    "MISSING_RULES",
    "SOFA2_OPTIONS",
    "VERSIONS",
    "Version",
    "daily_scores",
    "sofa",
]

VERSIONS: dict[str, Version] = {
    "sofa1": Version("SOFA (Vincent et al. 1996)", sofa1.options, sofa1.needed, sofa1.score),
    "sofa2": Version(
        "SOFA-2 (Ranzani et al. 2025)",
        sofa2.options,
        sofa2.needed,
        sofa2.score,
        sofa2.across_days,
        sofa2.uses_days,
    ),
}
"""Each SOFA version (:class:`Version`): its options, its input columns per system, its
block scoring function and its rules across a patient's days. A version shares everything
else: column extraction and range checks, block-wise scoring, the missing-data rules, totals
and the output frame."""

#: The SOFA-2 keyword arguments of :func:`sofa` and their defaults (a spec's ``[sofa]``
#: table may set them; Vincent 1996 ignores them). Text options take the values of
#: ``trialkit.sofa.sofa2.CHOICES``.
SOFA2_OPTIONS: dict[str, Any] = dict(sofa2.OPTIONS)


def daily_scores(
    daily: pd.DataFrame,
    *,
    version: str = "sofa1",
    exclude: Iterable[str] = (),
    missing: str = "normal",
    patient_codes: np.ndarray | None = None,
    **options: Any,
) -> tuple[Scores, tuple[np.ndarray, np.ndarray]]:
    """The scores of :func:`sofa` as arrays, without copying ``daily``.

    Returns ``{system: (score, absent)}`` for the included systems and the total as
    ``(score, absent)``: int8 scores (0 where absent) and boolean masks of the values that are
    missing under ``missing`` (always False for ``"normal"`` and ``"locf"``).  Arguments as
    :func:`sofa`; ``patient_codes`` (integer codes of ``patient_id``, as
    :mod:`trialkit.endpoints` has them) saves coding the ids when a rule follows a patient's
    days (``missing="locf"``; SOFA-2's sedation and intermittent-RRT rules).

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
    v = VERSIONS[version]
    opts = v.options(options)
    include = tuple(c for c in COMPONENTS if c not in exclude)
    need = v.needed(daily, include, opts)
    across = v.across_days is not None and v.uses_days(opts, need)
    if missing == "locf" or across:
        absent_cols = [c for c in ("patient_id", "day") if c not in daily.columns]
        if absent_cols:
            why = "missing='locf'" if missing == "locf" else f"{version}'s rules across days"
            raise DataError(f"daily: missing column(s) {absent_cols} (rule: {why} needs them)")
    columns = dict.fromkeys(c for cols in need.values() for c in cols)
    numbers = [c for c in columns if c not in CATEGORIES]
    # The ranges are checked block by block as the rows are scored (one read of each column
    # from memory); out of range anywhere, numeric() then names every problem.
    values = numeric(daily, numbers, check=False)
    checked = {c: values[c] for c in numbers}
    values |= category_codes(daily, [c for c in columns if c in CATEGORIES])
    n = len(daily)
    scores: Scores = {c: (np.zeros(n, dtype=np.int8), np.zeros(n, dtype=bool)) for c in include}
    for lo in range(0, n, _BLOCK):
        if not in_range({c: x[lo : lo + _BLOCK] for c, x in checked.items()}):
            numeric(daily, numbers)  # raises, with every problem
        block = {c: x[lo : lo + _BLOCK] for c, x in values.items()}
        for comp, (score, absent) in v.score(block, need, opts).items():
            scores[comp][0][lo : lo + score.size] = score
            scores[comp][1][lo : lo + score.size] = absent
    if missing == "locf" or across:
        codes = id_codes(daily["patient_id"]) if patient_codes is None else patient_codes
        days = Days.of(codes, daily["day"].to_numpy())
        if across:
            v.across_days(scores, values, days, opts)
        if missing == "locf":
            locf(scores, days)
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
    **options: Any,
) -> pd.DataFrame:
    """Sequential Organ Failure Assessment per patient-day: Vincent 1996 or SOFA-2 (2025).

    Returns a copy of ``daily`` with ``sofa_<system>`` columns for the included organ
    systems and ``sofa_total``, their sum, under either version into the same columns:

    .. math:: \\text{SOFA} = \\sum_{s \\in S} \\text{score}_s,
              \\qquad \\text{score}_s \\in \\{0, 1, 2, 3, 4\\}

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per patient-day with the columns of the data model: ``pao2_mmhg``,
        ``fio2`` (fraction), ``mech_vent`` (0/1), ``platelets_10e9_l``, ``bilirubin_mg_dl``
        *or* ``bilirubin_umol_l``, ``map_mmhg``, the four ``*_ug_kg_min`` catecholamines,
        ``gcs``, ``creatinine_mg_dl`` *or* ``creatinine_umol_l``, ``urine_ml_24h``, and
        ``patient_id`` and ``day`` when ``missing="locf"``; SOFA-2 needs its own columns
        too (see the notes). Only the columns of the included systems are needed. Never
        modified, never copied but once (into the result).
    version : {"sofa1", "sofa2"}
        The score: ``"sofa1"``, Vincent et al. 1996; ``"sofa2"``, Ranzani et al. 2025 (see
        :data:`VERSIONS`).
    exclude : iterable of str
        Systems left out, from ``resp, coag, liver, cardio, cns, renal``.
        ``exclude=("cns",)`` gives the five-system modified SOFA (0-20) of LeoPARDS and
        COMBAT-SHINE, under either version. Excluded systems have no column in the result
        (so a reader, and :mod:`trialkit.endpoints`, can tell the maximum score from the
        columns present), add nothing to the total and need none of their columns.
    missing : {"normal", "locf", "na"}
        A system that cannot be scored on a day (see below) scores 0 (``"normal"``, as most
        trials and MIMIC's SOFA code do), carries its last score from an earlier day of the
        same patient forward (``"locf"``, in day order whatever the row order; 0 before the
        patient's first scored day), or stays missing (``"na"``: the system's column and the
        total are ``<NA>``). LOCF carries the system's score, not each measurement, so that
        a score is never assembled from measurements of different days (PaO2 of one day
        with FiO2 of another). ``"locf"`` is SOFA-2's own rule (footnote b: 0 on the first
        day, then the last observation carried forward); the default stays ``"normal"`` for
        both versions, so that switching the version changes the score and nothing else.
    **options
        SOFA-2's footnotes (:data:`SOFA2_OPTIONS`; ignored by ``"sofa1"``, so that one spec
        serves both scores), each defaulting to the footnote's reading:

        * ``spo2_fallback=True`` -- SpO2/FiO2 bands when PaO2 is missing and SpO2 < 98 %
          (footnote f); False: such a day's respiration is missing.
        * ``ceiling=True`` -- on days with ``treatment_ceiling == 1`` (support limited by a
          ceiling of treatment or unavailable, footnotes h and m) respiration scores 3-4 by
          its ratio alone and cardiovascular at least its MAP-alone score (>= 70, 60-69,
          50-59, 40-49, < 40 mmHg: 0-4).
        * ``dopamine_alone="no_ne_epi"`` -- dopamine's own bands (<= 20, > 20-40, > 40
          µg/kg/min: 2, 3, 4; footnote l) on days without norepinephrine or epinephrine,
          another agent alongside scoring at least 2; ``"only_agent"``: only when dopamine
          is the only vasoactive agent (clifpy's reading); ``"never"``: dopamine is one more
          "other agent".
        * ``norepinephrine_salt="base"`` -- the salt the norepinephrine column is dosed as:
          ``"base"``, ``"bitartrate_monohydrate"`` (2 mg = 1 mg base),
          ``"anhydrous_bitartrate"`` (1.89 mg), ``"hydrochloride"`` (1.22 mg); the dose is
          converted to base (footnote k).
        * ``delirium=True`` -- ``delirium_drug == 1`` scores the brain at least 1 (footnote e).
        * ``sedation="last_gcs"`` -- on ``sedated == 1`` days the brain scores the patient's
          last GCS from a day without sedation (footnote c), 0 if there is none;
          ``"zero"``: 0 on sedated days (clifpy's reading: no pre-sedation GCS is looked for
          before the day); ``"as_recorded"``: the ``gcs`` column as given (the presumed
          GCS of Vincent 1996).
        * ``urine="rate"`` -- urine criteria from the day's mean output ``urine_ml_24h /
          weight_kg / 24`` mL/kg/h (see the notes); ``"none"``: creatinine and RRT only.
        * ``rrt_criteria=True`` -- score 4 without RRT when its criteria are met
          (footnote p): (creatinine > 1.2 mg/dL (110 µmol/L) or urine < 0.3 mL/kg/h) and
          (potassium >= 6.0 mmol/L or (pH <= 7.20 and bicarbonate <= 12 mmol/L)).
        * ``intermittent_rrt="bridge"`` with ``rrt_gap_days=2`` -- a day without RRT
          between two RRT days of the patient at most ``rrt_gap_days`` apart scores 4
          (footnote q: between sessions, until RRT stops); ``"carry"``: the
          ``rrt_gap_days`` days after any RRT day score 4 (clifpy's 3-day carry-forward is
          ``rrt_gap_days=2``); ``"none"``: RRT days only.

    Returns
    -------
    pandas.DataFrame
        A new frame: ``daily``'s columns (any earlier ``sofa_*`` columns dropped) followed
        by ``sofa_<system>`` and ``sofa_total``, as nullable ``Int8``.

    Raises
    ------
    trialkit.schema.DataError
        A needed column is missing (SOFA-2: every one it needs under the options given,
        with the options that do without it), both unit versions of bilirubin or
        creatinine are given, a column holds text, a category column a label outside the
        contract, or a value lies outside the plausible range of the data contract
        (``trialkit.schema.DAILY``: FiO2 above 1, GCS outside 3-15, a flag other than 0/1,
        a catecholamine dose in ng rather than µg/kg/min, a negative value, bilirubin or
        creatinine in µmol/L under a mg/dL name). The message names the column, the first
        rows and the rule.
    ValueError
        An unknown ``version``, system in ``exclude``, ``missing`` rule or SOFA-2 option,
        or an option of the wrong type.

    Notes
    -----
    **Vincent 1996** (``"sofa1"``). Conventions (the published table leaves them open; they
    are fixed here):

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

    **SOFA-2** (``"sofa2"``; the table and footnotes of ``shared/reference/sofa2.md``).
    Bands are inclusive at their upper limit ("<=", unlike 1996's "<"): a value on a limit
    scores the band it closes.

    * Respiration: PaO2/FiO2 <= 300, <= 225, <= 150, <= 75 score 1-4; without PaO2 and
      with SpO2 < 98 %, SpO2/FiO2 <= 300, <= 250, <= 200, <= 120 (``spo2_fallback``; SpO2
      read with the same ``fio2``). Scores 3-4 need advanced support, ``resp_support`` in
      ``hfnc, niv, imv`` (HFNC, CPAP, BiPAP, non-invasive or invasive ventilation, home
      ventilation; ``mech_vent`` is not read), else at most 2 (unless ``ceiling``). ECMO
      for either indication scores 4 (footnote i). Missing when neither ratio can be formed
      and there is no ECMO. Ratios rounded to 6 decimals as in 1996.
    * Hemostasis: platelets <= 150, <= 100, <= 80, <= 50 (10^9/L) score 1-4.
    * Liver: bilirubin > 1.2, > 3.0, > 6.0, > 12.0 mg/dL (> 20.6, > 51.3, > 102.6,
      > 205 µmol/L) score 1-4.
    * Cardiovascular, from NE + Epi, the sum of the day's highest norepinephrine (as base)
      and epinephrine doses in µg/kg/min (an upper bound of the highest concurrent sum,
      which daily data cannot see): 1 if MAP < 70 and no agent; 2 if NE + Epi <= 0.2 or any
      other agent (dopamine, dobutamine, vasopressin, phenylephrine, milrinone,
      ``other_vasoactive``); 3 if NE + Epi > 0.2-0.4, or <= 0.2 with another agent; 4 if
      NE + Epi > 0.4, or > 0.2-0.4 with another agent, or mechanical circulatory support
      (``mech_circ_support``, or ``ecmo == "cardiovascular"``: footnotes i, n). Dopamine on
      its own as ``dopamine_alone`` says; ``ceiling`` as above. Missing when MAP and every
      dose are missing and no device or other agent is recorded.
    * Brain: GCS 13-14, 9-12, 6-8, 3-5 score 1-4; where ``gcs`` is missing and a
      ``gcs_motor`` column is given, the best motor response 5, 4, 3, <= 2 scores 1-4
      (footnote d: used only when the full GCS is missing); ``sedation`` and ``delirium``
      as above (the delirium rule applies after the sedation rule).
    * Kidney: creatinine > 1.2, > 2.0, > 3.5 mg/dL (> 110, > 170, > 300 µmol/L) score 1-3;
      4 on RRT (``rrt == 1``, chronic RRT included; not when ``rrt_nonrenal == 1``, a
      column used where present: footnote o), under ``intermittent_rrt``, or when
      ``rrt_criteria`` are met. Urine (``urine="rate"``): daily data hold one 24-h volume,
      so the hourly windows are approximated by the day's mean rate r = urine / weight /
      24: r < 0.5 mL/kg/h scores 2 (a 24-h mean below 0.5 puts at least one 12-h half
      below 0.5), r < 0.3 scores 3 (the 24-h criterion itself; anuria gives r = 0); 1 (a
      6-12-h episode) cannot be seen and is never given; for the RRT criteria "< 0.3
      mL/kg/h for > 6 h" is read as r < 0.3. The daily reading is thus a lower bound of the
      hourly one. Rates rounded to 6 decimals. Missing when creatinine and the rate are
      both missing and no RRT rule applies.
    * What daily data cannot observe is the data collector's: infusions counted only when
      given for >= 1 hour, transient changes within 1 hour ignored (footnotes g, j); the
      day's worst values recorded.
    * The rules across a patient's days (``sedation="last_gcs"``, ``intermittent_rrt``)
      need ``patient_id`` and ``day``, and follow day order whatever the row order.

    References
    ----------
    Vincent JL, Moreno R, Takala J, et al. The SOFA (Sepsis-related Organ Failure
    Assessment) score to describe organ dysfunction/failure. Intensive Care Med
    1996;22:707-10.

    Ranzani OT, Singer M, Salluh JIF, et al. Development and validation of the Sequential
    Organ Failure Assessment (SOFA)-2 score. JAMA 2025. doi:10.1001/jama.2025.20516.

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

    SOFA-2 reads its own columns too (here a patient on HFNC, vasopressin beside
    norepinephrine, a delirium drug, potassium 6.2 mmol/L with 0.23 mL/kg/h of urine: the
    RRT criteria score the kidney 4; without them the urine scores 3):

    >>> day2 = day.assign(resp_support="hfnc", ecmo="none", spo2_pct=93.0,
    ...     treatment_ceiling=0, vasopressin_u_min=0.03, phenylephrine_ug_kg_min=0.0,
    ...     milrinone_ug_kg_min=0.0, other_vasoactive=0, mech_circ_support=0,
    ...     delirium_drug=1, sedated=0, rrt=0, weight_kg=80.0, potassium_mmol_l=6.2,
    ...     ph=7.31, bicarbonate_mmol_l=18.0)
    >>> sofa(day2, version="sofa2").filter(like="sofa_").iloc[0].tolist()
    [2, 2, 1, 4, 1, 4, 14]
    >>> int(sofa(day2, version="sofa2", rrt_criteria=False)["sofa_renal"].iloc[0])
    3
    """
    scores, (total, total_absent) = daily_scores(
        daily, version=version, exclude=exclude, missing=missing, **options
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
