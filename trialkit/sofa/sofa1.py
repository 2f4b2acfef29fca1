"""SOFA of Vincent et al. 1996: its cut points, its input columns and its block scorer.

Registered as ``"sofa1"`` in :data:`trialkit.sofa.VERSIONS`; the conventions are written in
the notes of :func:`trialkit.sofa.sofa`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import DataError
from trialkit.sofa._common import (
    Scores,
    count_below,
    count_up,
    missing_columns,
    ratio,
    unit_column,
)

CATECHOLAMINES: tuple[str, ...] = (
    "norepinephrine_ug_kg_min",
    "epinephrine_ug_kg_min",
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
)

# A cut is (value, strict): a measurement scores one point more for every cut it reaches,
# ">= value" when strict is False (interval closed at its lower bound), "> value" when True.
UP_CUTS: dict[str, tuple[tuple[float, bool], ...]] = {
    "bilirubin_mg_dl": ((1.2, False), (2.0, False), (6.0, False), (12.0, False)),
    # The SI column of Vincent's table is written 20-32 / 33-101 / 102-204 / > 204.
    "bilirubin_umol_l": ((20.0, False), (33.0, False), (102.0, False), (204.0, True)),
    "creatinine_mg_dl": ((1.2, False), (2.0, False), (3.5, False), (5.0, False)),
    # 110-170 / 171-299 / 300-440 / > 440.
    "creatinine_umol_l": ((110.0, False), (171.0, False), (300.0, False), (440.0, True)),
}
# Falling measurements score one point more for every cut they fall below ("< value").
PF_CUTS = (400.0, 300.0, 200.0, 100.0)
PLATELET_CUTS = (150.0, 100.0, 50.0, 20.0)
GCS_CUTS = (15.0, 13.0, 10.0, 6.0)
URINE_3, URINE_4 = 500.0, 200.0


def options(given: Mapping[str, Any]) -> None:
    """Vincent 1996 has no options of its own; the keywords of other versions are ignored
    (so that one spec's ``[sofa]`` table serves both scores)."""
    return None


def needed(daily: pd.DataFrame, include: tuple[str, ...], _: Any = None) -> dict[str, list[str]]:
    """The input columns of each included component, or a DataError naming what is missing."""
    problems: list[str] = []
    need: dict[str, list[str]] = {
        "resp": ["pao2_mmhg", "fio2", "mech_vent"],
        "coag": ["platelets_10e9_l"],
        "cardio": ["map_mmhg", *CATECHOLAMINES],
        "cns": ["gcs"],
    }
    if "liver" in include:
        need["liver"] = [c for c in [unit_column(daily, "bilirubin", problems)] if c]
    if "renal" in include:
        creat = unit_column(daily, "creatinine", problems)
        need["renal"] = [c for c in [creat] if c] + ["urine_ml_24h"]
    need = {k: v for k, v in need.items() if k in include}
    missing_columns(daily, need, problems)
    if problems:
        raise DataError(problems)
    return need


def score(v: dict[str, np.ndarray], need: dict[str, list[str]], _: Any = None) -> Scores:
    """Vincent 1996 component scores of one block of rows (see :func:`trialkit.sofa.sofa`)."""
    scores: Scores = {}
    if "resp" in need:
        pf = ratio(v["pao2_mmhg"], v["fio2"])
        resp = count_below(pf, PF_CUTS)
        # Scores 3-4 need respiratory support; a missing flag counts as no support.
        resp[(v["mech_vent"] != 1) & (resp > 2)] = 2  # (ufuncs' where= is slow)
        scores["resp"] = resp, np.isnan(pf)
    if "coag" in need:
        x = v["platelets_10e9_l"]
        scores["coag"] = count_below(x, PLATELET_CUTS), np.isnan(x)
    if "liver" in need:
        col = need["liver"][0]
        scores["liver"] = count_up(v[col], UP_CUTS[col]), np.isnan(v[col])
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
        scores["cns"] = count_below(x, GCS_CUTS), np.isnan(x)
    if "renal" in need:
        col = need["renal"][0]
        creat, urine = v[col], v["urine_ml_24h"]
        renal = count_up(creat, UP_CUTS[col])
        renal[(urine < URINE_3) & (renal < 3)] = 3
        renal[urine < URINE_4] = 4
        scores["renal"] = renal, np.isnan(creat) & np.isnan(urine)
    return scores
