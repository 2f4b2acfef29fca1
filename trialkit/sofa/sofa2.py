"""SOFA-2 of Ranzani et al. 2025: its bands, footnotes, options, input columns and scorers.

Registered as ``"sofa2"`` in :data:`trialkit.sofa.VERSIONS`. Every band is written as in the
published table, with its inclusive "<=" upper limits (``shared/reference/sofa2.md``); every
footnote is an option below (:data:`OPTIONS`, keyword arguments of
:func:`trialkit.sofa.sofa` and keys of a spec's ``[sofa]`` table) or a choice written in the
notes of :func:`trialkit.sofa.sofa`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import DataError
from trialkit.sofa._common import (
    CATEGORIES,
    Days,
    Scores,
    count_above,
    count_at_most,
    count_below,
    missing_columns,
    ratio,
    unit_column,
)

# --- the table (Ranzani 2025), read as "<= upper limit" -------------------------------------

PF_CUTS = (300.0, 225.0, 150.0, 75.0)  # PaO2/FiO2 <= cut: one point each
SF_CUTS = (300.0, 250.0, 200.0, 120.0)  # SpO2/FiO2 (footnote f)
SPO2_MAX = 98.0  # SpO2/FiO2 only below this SpO2 (%)
PLATELET_CUTS = (150.0, 100.0, 80.0, 50.0)  # <= cut
# Rising measurements: one point per upper limit exceeded ("> cut").
UP_CUTS: dict[str, tuple[float, ...]] = {
    "bilirubin_mg_dl": (1.2, 3.0, 6.0, 12.0),
    "bilirubin_umol_l": (20.6, 51.3, 102.6, 205.0),
    "creatinine_mg_dl": (1.2, 2.0, 3.5),  # 4 only with RRT or its criteria
    "creatinine_umol_l": (110.0, 170.0, 300.0),
}
GCS_CUTS = (15.0, 13.0, 9.0, 6.0)  # < cut: 15 | 13-14 | 9-12 | 6-8 | 3-5
GCS_MOTOR_CUTS = (6.0, 5.0, 4.0, 3.0)  # footnote d: 6 | 5 | 4 | 3 | <= 2
NE_EPI_LOW, NE_EPI_HIGH = 0.2, 0.4  # norepinephrine + epinephrine, µg/kg/min
DOPAMINE_CUTS = (20.0, 40.0)  # footnote l, dopamine alone: <= 20 | > 20-40 | > 40
MAP_CUTS = (70.0, 60.0, 50.0, 40.0)  # footnote m, MAP alone: < cut
URINE_2, URINE_3 = 0.5, 0.3  # mL/kg/h
RRT_CREATININE = {"creatinine_mg_dl": 1.2, "creatinine_umol_l": 110.0}  # footnote p: > this
RRT_POTASSIUM, RRT_PH, RRT_BICARBONATE = 6.0, 7.20, 12.0  # K >= ; pH <= and HCO3 <=

#: Norepinephrine salts and the mass of each equal to 1 mg of base (footnote k).
NOREPINEPHRINE_SALTS: dict[str, float] = {
    "base": 1.0,
    "bitartrate_monohydrate": 2.0,
    "anhydrous_bitartrate": 1.89,
    "hydrochloride": 1.22,
}

_AGENTS = (  # "any other vasopressor or inotrope" besides norepinephrine and epinephrine
    "dobutamine_ug_kg_min",
    "vasopressin_u_min",
    "phenylephrine_ug_kg_min",
    "milrinone_ug_kg_min",
)
_NE, _EPI, _DOPA = "norepinephrine_ug_kg_min", "epinephrine_ug_kg_min", "dopamine_ug_kg_min"
_SUPPORT_NONE = CATEGORIES["resp_support"].index("none")
_ECMO = CATEGORIES["ecmo"]
_ECMO_CV = _ECMO.index("cardiovascular")


# --- the options --------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """The SOFA-2 options of :func:`trialkit.sofa.sofa` (each a footnote; see its notes)."""

    spo2_fallback: bool = True
    ceiling: bool = True
    dopamine_alone: str = "no_ne_epi"
    norepinephrine_salt: str = "base"
    delirium: bool = True
    sedation: str = "last_gcs"
    urine: str = "rate"
    rrt_criteria: bool = True
    intermittent_rrt: str = "bridge"
    rrt_gap_days: int = 2


#: Each option and its default: the reading of the footnote (see :func:`trialkit.sofa.sofa`).
OPTIONS: dict[str, Any] = {f.name: f.default for f in fields(Options)}

#: The values each text option accepts.
CHOICES: dict[str, tuple[str, ...]] = {
    "dopamine_alone": ("no_ne_epi", "only_agent", "never"),
    "norepinephrine_salt": tuple(NOREPINEPHRINE_SALTS),
    "sedation": ("last_gcs", "zero", "as_recorded"),
    "urine": ("rate", "none"),
    "intermittent_rrt": ("bridge", "carry", "none"),
}


def options(given: Mapping[str, Any]) -> Options:
    """The options from keyword arguments, each checked (ValueError names a wrong one)."""
    problems = []
    for key, value in given.items():
        if key not in OPTIONS:
            hint = difflib.get_close_matches(key, list(OPTIONS), n=1)
            problems.append(
                f"unknown SOFA-2 option {key!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {list(OPTIONS)}")
            )
            continue
        default = OPTIONS[key]
        if isinstance(default, bool):
            if not isinstance(value, bool | np.bool_):
                problems.append(f"{key} must be True or False, got {value!r}")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                problems.append(f"{key} must be a whole number >= 0, got {value!r}")
        elif value not in CHOICES[key]:
            problems.append(f"{key} must be one of {list(CHOICES[key])}, got {value!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return Options(**given)


# --- the input columns --------------------------------------------------------------------


def needed(daily: pd.DataFrame, include: tuple[str, ...], o: Options) -> dict[str, list[str]]:
    """The input columns of each included system under these options; a DataError names
    every missing one and the option that makes it needed."""
    problems: list[str] = []
    ceiling = ["treatment_ceiling"] if o.ceiling else []
    need: dict[str, list[str]] = {
        "resp": ["pao2_mmhg", "fio2", "resp_support", "ecmo"]
        + (["spo2_pct"] if o.spo2_fallback else [])
        + ceiling,
        "coag": ["platelets_10e9_l"],
        "cardio": [
            *("map_mmhg", _NE, _EPI, _DOPA, *_AGENTS, "other_vasoactive"),
            *("mech_circ_support", "ecmo", *ceiling),
        ],
        "cns": ["gcs"]
        + (["delirium_drug"] if o.delirium else [])
        + (["sedated"] if o.sedation != "as_recorded" else []),
    }
    if "liver" in include:
        need["liver"] = [c for c in [unit_column(daily, "bilirubin", problems)] if c]
    if "renal" in include:
        creat = unit_column(daily, "creatinine", problems)
        need["renal"] = (
            [c for c in [creat] if c]
            + ["urine_ml_24h", "rrt"]
            + (["weight_kg"] if o.urine == "rate" else [])
            + (["potassium_mmol_l", "ph", "bicarbonate_mmol_l"] if o.rrt_criteria else [])
        )
    need = {k: v for k, v in need.items() if k in include}
    missing_columns(daily, need, problems, "SOFA-2")
    if problems:
        problems.append(
            "daily: SOFA-2 columns are described in the codebook (trialkit.schema."
            "codebook_markdown); an option can do without some (spo2_fallback=False, "
            "ceiling=False, delirium=False, sedation='as_recorded', urine='none', "
            "rrt_criteria=False)"
        )
        raise DataError(problems)
    # Used where present: the motor response when the full GCS is missing (footnote d) and
    # RRT given for non-renal reasons only (footnote o).
    if "cns" in need and "gcs_motor" in daily.columns:
        need["cns"].append("gcs_motor")
    if "renal" in need and "rrt_nonrenal" in daily.columns:
        need["renal"].append("rrt_nonrenal")
    return need


def uses_days(o: Options, need: dict[str, list[str]]) -> bool:
    return ("cns" in need and o.sedation == "last_gcs") or (
        "renal" in need and o.intermittent_rrt != "none"
    )


# --- scoring ------------------------------------------------------------------------------


def _gcs_score(v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The brain score from the GCS alone, or the motor response where it is missing."""
    gcs = v["gcs"]
    score = count_below(gcs, GCS_CUTS)
    absent = np.isnan(gcs)
    if "gcs_motor" in v:
        rows = np.flatnonzero(absent)  # only these rows are read: the fallback is seldom needed
        motor = v["gcs_motor"][rows]
        ok = ~np.isnan(motor)
        score[rows[ok]] = count_below(motor[ok], GCS_MOTOR_CUTS)
        absent[rows[ok]] = False
    return score, absent


def _urine_rate(v: dict[str, np.ndarray], o: Options) -> np.ndarray:
    """Mean urine output over the day in mL/kg/h (NaN when not scored)."""
    if o.urine != "rate":
        return np.full(v["urine_ml_24h"].shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(v["urine_ml_24h"] / v["weight_kg"] / 24.0, 6)


def score(v: dict[str, np.ndarray], need: dict[str, list[str]], o: Options) -> Scores:
    """SOFA-2 system scores of one block of rows (see :func:`trialkit.sofa.sofa`'s notes)."""
    scores: Scores = {}
    if "resp" in need:
        fio2 = v["fio2"]
        pf = ratio(v["pao2_mmhg"], fio2)
        resp = count_at_most(pf, PF_CUTS)
        absent = np.isnan(pf)
        if o.spo2_fallback:
            # Only the rows without PaO2/FiO2 are read: the fallback is seldom needed.
            rows = np.flatnonzero(absent)
            spo2 = v["spo2_pct"][rows]
            sf = ratio(spo2, fio2[rows])
            ok = (spo2 < SPO2_MAX) & ~np.isnan(sf)
            resp[rows[ok]] = count_at_most(sf[ok], SF_CUTS)
            absent[rows[ok]] = False
        # Scores 3-4 need advanced support (footnote h), unless a ceiling of treatment or
        # unavailability withheld it.
        capped = v["resp_support"] <= _SUPPORT_NONE  # "none" or missing
        if o.ceiling:
            capped &= v["treatment_ceiling"] != 1
        resp[capped & (resp > 2)] = 2  # (a masked assignment: ufuncs' where= is slow)
        ecmo = v["ecmo"] > 0  # for either indication (footnote i)
        resp[ecmo] = 4
        scores["resp"] = resp, absent & ~ecmo
    if "coag" in need:
        x = v["platelets_10e9_l"]
        scores["coag"] = count_at_most(x, PLATELET_CUTS), np.isnan(x)
    if "liver" in need:
        col = need["liver"][0]
        scores["liver"] = count_above(v[col], UP_CUTS[col]), np.isnan(v[col])
    if "cardio" in need:
        scores["cardio"] = _cardio(v, o)
    if "cns" in need:
        cns, absent = _gcs_score(v)
        if o.sedation != "as_recorded":
            # Sedated: the GCS cannot be assessed; "zero" scores 0 here, "last_gcs" is
            # completed across days (the last GCS before sedation; 0 if none).
            sedated = v["sedated"] == 1
            cns[sedated] = 0
            absent &= ~sedated
        if o.delirium:
            drug = v["delirium_drug"] == 1
            np.maximum(cns, drug, out=cns)
            absent &= ~drug
        scores["cns"] = cns, absent
    if "renal" in need:
        scores["renal"] = _renal(v, need["renal"][0], o)
    return scores


def _cardio(v: dict[str, np.ndarray], o: Options) -> tuple[np.ndarray, np.ndarray]:
    # A comparison with NaN is False: a missing dose counts as no drug.
    ne, salt = v[_NE], NOREPINEPHRINE_SALTS[o.norepinephrine_salt]
    # fmax: a missing dose is 0. Rounded so that 0.1 + 0.1 + 0.1 is 0.3, as on paper.
    ne_epi = np.fmax(ne if salt == 1.0 else ne / salt, 0.0) + np.fmax(v[_EPI], 0.0)
    ne_epi = np.round(ne_epi, 6)
    dopa = v[_DOPA]
    others = v["other_vasoactive"] == 1
    for c in _AGENTS:
        others |= v[c] > 0
    other_any = others | (dopa > 0)
    mapp = v["map_mmhg"]
    # NE + Epi bands e = 0 (none), 1 (<= 0.2), 2 (> 0.2-0.4), 3 (> 0.4) score e + 1, one
    # more with another agent (at most 4); another agent alone scores 2; else MAP < 70, 1.
    e = count_above(ne_epi, (0.0, NE_EPI_LOW, NE_EPI_HIGH))
    on = e > 0
    band = np.minimum(e + 1 + other_any, 4).astype(np.int8)
    band *= on | other_any
    cardio = np.maximum(band, mapp < 70, dtype=np.int8)
    if o.dopamine_alone != "never":
        alone = (dopa > 0) & ~on
        if o.dopamine_alone == "only_agent":
            alone &= ~others
        band = 2 + count_above(dopa, DOPAMINE_CUTS)
        np.maximum(cardio, band * alone, out=cardio)
    device = (v["mech_circ_support"] == 1) | (v["ecmo"] == _ECMO_CV)
    cardio[device] = 4
    if o.ceiling:
        rows = np.flatnonzero(v["treatment_ceiling"] == 1)  # few: scored on those rows only
        cardio[rows] = np.maximum(cardio[rows], count_below(mapp[rows], MAP_CUTS))
    # Nothing to score from: no MAP, no device, no agent. Read on the rows without a MAP only.
    absent = np.isnan(mapp)
    rows = np.flatnonzero(absent)
    none = ~device[rows] & ~others[rows]
    for c in (_NE, _EPI, _DOPA, *_AGENTS):
        none &= np.isnan(v[c][rows])
    absent[rows] = none
    return cardio, absent


def _renal(v: dict[str, np.ndarray], col: str, o: Options) -> tuple[np.ndarray, np.ndarray]:
    creat = v[col]
    renal = count_above(creat, UP_CUTS[col])
    rate = _urine_rate(v, o)
    np.maximum(renal, np.int8(2) * (rate < URINE_2), out=renal)
    np.maximum(renal, np.int8(3) * (rate < URINE_3), out=renal)
    rrt = _rrt_on(v)
    four = rrt.copy()
    if o.rrt_criteria:
        # Hyperkalaemia or acidaemia first: rare, so the rest is read on those rows only.
        potassium, ph = v["potassium_mmol_l"], v["ph"]
        rows = np.flatnonzero((potassium >= RRT_POTASSIUM) | (ph <= RRT_PH))
        high = (creat[rows] > RRT_CREATININE[col]) | (rate[rows] < URINE_3)
        acid = (ph[rows] <= RRT_PH) & (v["bicarbonate_mmol_l"][rows] <= RRT_BICARBONATE)
        four[rows] |= high & ((potassium[rows] >= RRT_POTASSIUM) | acid)
    renal[four] = 4
    return renal, np.isnan(creat) & np.isnan(rate) & ~four


def _rrt_on(v: dict[str, np.ndarray]) -> np.ndarray:
    """RRT that counts: given that day, and not for non-renal reasons only (footnote o)."""
    on = v["rrt"] == 1
    if "rrt_nonrenal" in v:
        on &= v["rrt_nonrenal"] != 1
    return on


def across_days(scores: Scores, v: dict[str, np.ndarray], days: Days, o: Options) -> None:
    """The rules that look at a patient's other days (in place, on the whole table).

    Sedation follows the patients' days with one running maximum over the table; the RRT
    rules work from the RRT rows alone. Each then scores only the rows it changes (sedated
    days, days between or after RRT sessions).
    """
    if "cns" in scores and o.sedation == "last_gcs" and "sedated" in v:
        sedated = days.sort(v["sedated"] == 1)
        if sedated.any():
            gcs = {k: days.sort(v[k]) for k in ("gcs", "gcs_motor") if k in v}
            assessed = ~np.isnan(gcs["gcs"])
            if "gcs_motor" in gcs:
                assessed |= ~np.isnan(gcs["gcs_motor"])
            rows = np.flatnonzero(sedated)
            last = days.last_at_or_before(~sedated & assessed)[rows]
            seen = last >= 0
            before = np.zeros(rows.size, dtype=np.int8)
            before[seen] = _gcs_score({k: x[last[seen]] for k, x in gcs.items()})[0]
            if o.delirium:
                np.maximum(before, days.sort(v["delirium_drug"])[rows] == 1, out=before)
            days.put_at(scores["cns"][0], rows, before)
    if "renal" in scores and o.intermittent_rrt != "none":
        on = np.flatnonzero(days.sort(_rrt_on(v)))  # the RRT days, in (patient, day) order
        if on.size:
            rows = (_bridged if o.intermittent_rrt == "bridge" else _carried)(on, days, o)
            days.put_at(scores["renal"][0], rows, 4)
            days.put_at(scores["renal"][1], rows, False)


def _bridged(on: np.ndarray, days: Days, o: Options) -> np.ndarray:
    """The days without RRT between two RRT days of a patient at most ``rrt_gap_days``
    apart: the rows strictly between consecutive RRT rows of one patient (sorted
    positions, from the RRT rows alone)."""
    a, b = on[:-1], on[1:]
    keep = (days.first[b] <= a) & (days.day[b] - days.day[a] - 1 <= o.rrt_gap_days)
    a, b = a[keep], b[keep]
    return _ranges(a + 1, b)


def _carried(on: np.ndarray, days: Days, o: Options) -> np.ndarray:
    """The days without RRT at most ``rrt_gap_days`` after one of the patient's RRT days."""
    # Each RRT row reaches the patient's later rows up to its next RRT row.
    stop = np.minimum(np.r_[on[1:], days.day.size], days.last[on] + 1)
    rows = _ranges(on + 1, stop)
    start = np.repeat(on, stop - on - 1)
    return rows[days.day[rows] - days.day[start] <= o.rrt_gap_days]


def _ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The positions ``start[i] <= p < stop[i]`` of every range, concatenated."""
    lengths = np.maximum(stop - start, 0)
    offsets = np.repeat(start - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return np.arange(lengths.sum()) + offsets
