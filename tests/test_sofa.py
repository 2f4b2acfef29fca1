"""SOFA scoring: hand-computed cases on both sides of every cut point, in both unit systems.

Expected scores are read off Vincent et al. 1996 (table in shared/reference/trials.md) with the
conventions of :func:`trialkit.sofa.sofa` (intervals closed at the lower bound, SI top bands
open as printed). ``test_sofa_matches_R_findInterval`` checks the same scoring against an
independent implementation in R (tests/R/sofa.R).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialkit.schema import DataError
from trialkit.sofa import sofa

# A patient-day with no organ dysfunction: every component scores 0.
NORMAL = {
    "patient_id": 1,
    "day": 0,
    "pao2_mmhg": 100.0,
    "fio2": 0.21,  # P/F 476
    "mech_vent": 0,
    "platelets_10e9_l": 200.0,
    "bilirubin_mg_dl": 0.5,
    "map_mmhg": 80.0,
    "norepinephrine_ug_kg_min": 0.0,
    "epinephrine_ug_kg_min": 0.0,
    "dopamine_ug_kg_min": 0.0,
    "dobutamine_ug_kg_min": 0.0,
    "gcs": 15,
    "creatinine_mg_dl": 0.8,
    "urine_ml_24h": 1500.0,
}
SI = {"bilirubin_umol_l": 8.0, "creatinine_umol_l": 70.0}


def day_with(si: bool = False, **changes) -> pd.DataFrame:
    row = dict(NORMAL)
    if si:
        row.pop("bilirubin_mg_dl")
        row.pop("creatinine_mg_dl")
        row.update(SI)
    row.update(changes)
    return pd.DataFrame([row])


def score_of(component: str, si: bool = False, **changes) -> int:
    out = sofa(day_with(si, **changes))
    return int(out[f"sofa_{component}"].iloc[0])


@pytest.mark.parametrize(
    ("pao2", "fio2", "vent", "expected"),
    [
        (400.0, 1.0, 1, 0),
        (399.9, 1.0, 1, 1),
        (300.0, 1.0, 1, 1),
        (299.9, 1.0, 1, 2),
        (200.0, 1.0, 1, 2),
        (199.9, 1.0, 1, 3),
        (100.0, 1.0, 1, 3),
        (99.9, 1.0, 1, 4),
        # without respiratory support the score stops at 2
        (199.9, 1.0, 0, 2),
        (99.9, 1.0, 0, 2),
        (50.0, 1.0, 0, 2),
        # a ratio on a cut point in decimal arithmetic (binary float gives 399.99999999999994)
        (112.0, 0.28, 1, 0),
        (56.0, 0.28, 1, 2),
        (80.0, 0.4, 1, 2),  # 200 exactly
        (79.9, 0.4, 1, 3),
    ],
)
def test_respiration_cut_points(pao2, fio2, vent, expected):
    assert score_of("resp", pao2_mmhg=pao2, fio2=fio2, mech_vent=vent) == expected


@pytest.mark.parametrize(
    ("platelets", "expected"),
    [(150, 0), (149.9, 1), (100, 1), (99.9, 2), (50, 2), (49.9, 3), (20, 3), (19.9, 4), (0, 4)],
)
def test_coagulation_cut_points(platelets, expected):
    assert score_of("coag", platelets_10e9_l=platelets) == expected


@pytest.mark.parametrize(
    ("bilirubin", "expected"),
    [
        (1.19, 0),
        (1.2, 1),
        (1.99, 1),
        (2.0, 2),
        (5.99, 2),
        (6.0, 3),
        (11.99, 3),
        (12.0, 4),
        (30.0, 4),
    ],
)
def test_liver_cut_points_mg_dl(bilirubin, expected):
    assert score_of("liver", bilirubin_mg_dl=bilirubin) == expected


@pytest.mark.parametrize(
    ("bilirubin", "expected"),
    [
        (19.9, 0),
        (20, 1),
        (32.9, 1),
        (33, 2),
        (101.9, 2),
        (102, 3),
        (204, 3),
        (204.1, 4),
        (500, 4),
    ],
)
def test_liver_cut_points_umol_l(bilirubin, expected):
    assert score_of("liver", si=True, bilirubin_umol_l=bilirubin) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"map_mmhg": 70.0}, 0),
        ({"map_mmhg": 69.9}, 1),
        ({"dopamine_ug_kg_min": 0.5}, 2),
        ({"dopamine_ug_kg_min": 5.0}, 2),
        ({"dopamine_ug_kg_min": 5.1}, 3),
        ({"dopamine_ug_kg_min": 15.0}, 3),
        ({"dopamine_ug_kg_min": 15.1}, 4),
        ({"dobutamine_ug_kg_min": 0.1}, 2),
        ({"dobutamine_ug_kg_min": 9.0}, 2),  # any dose of dobutamine scores 2, never more
        ({"epinephrine_ug_kg_min": 0.01}, 3),
        ({"epinephrine_ug_kg_min": 0.1}, 3),
        ({"epinephrine_ug_kg_min": 0.11}, 4),
        ({"norepinephrine_ug_kg_min": 0.01}, 3),
        ({"norepinephrine_ug_kg_min": 0.1}, 3),
        ({"norepinephrine_ug_kg_min": 0.11}, 4),
        # the highest applicable score wins
        ({"map_mmhg": 60.0, "dobutamine_ug_kg_min": 5.0}, 2),
        ({"map_mmhg": 55.0, "norepinephrine_ug_kg_min": 0.05, "dopamine_ug_kg_min": 3.0}, 3),
        ({"norepinephrine_ug_kg_min": 0.05, "dopamine_ug_kg_min": 20.0}, 4),
        ({"norepinephrine_ug_kg_min": np.nan, "map_mmhg": 65.0}, 1),  # missing dose: not given
    ],
)
def test_cardiovascular_cut_points(changes, expected):
    assert score_of("cardio", **changes) == expected


@pytest.mark.parametrize(
    ("gcs", "expected"),
    [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)],
)
def test_cns_cut_points(gcs, expected):
    assert score_of("cns", gcs=gcs) == expected


@pytest.mark.parametrize(
    ("creatinine", "urine", "expected"),
    [
        (1.19, 1500, 0),
        (1.2, 1500, 1),
        (1.99, 1500, 1),
        (2.0, 1500, 2),
        (3.49, 1500, 2),
        (3.5, 1500, 3),
        (4.99, 1500, 3),
        (5.0, 1500, 4),
        (0.8, 500, 0),
        (0.8, 499, 3),
        (0.8, 200, 3),
        (0.8, 199, 4),
        (1.2, 450, 3),  # the worse of creatinine and urine
        (5.0, 450, 4),
        (np.nan, 150, 4),  # urine alone scores when creatinine is missing
        (2.5, np.nan, 2),
    ],
)
def test_renal_cut_points_mg_dl(creatinine, urine, expected):
    assert score_of("renal", creatinine_mg_dl=creatinine, urine_ml_24h=urine) == expected


@pytest.mark.parametrize(
    ("creatinine", "expected"),
    [
        (109.9, 0),
        (110, 1),
        (170.9, 1),
        (171, 2),
        (299.9, 2),
        (300, 3),
        (440, 3),
        (440.1, 4),
        (900, 4),
    ],
)
def test_renal_cut_points_umol_l(creatinine, expected):
    assert score_of("renal", si=True, creatinine_umol_l=creatinine) == expected


def test_total_is_the_sum_and_modified_score_leaves_cns_out():
    day = day_with(
        pao2_mmhg=90.0,
        fio2=0.5,
        mech_vent=1,  # P/F 180 -> 3
        platelets_10e9_l=90.0,  # 2
        bilirubin_mg_dl=2.0,  # 2
        norepinephrine_ug_kg_min=0.3,  # 4
        gcs=14,  # 1
        urine_ml_24h=450.0,  # 3
    )
    full = sofa(day)
    assert full.filter(like="sofa_").iloc[0].tolist() == [3, 2, 2, 4, 1, 3, 15]
    modified = sofa(day, exclude=("cns",))
    assert "sofa_cns" not in modified.columns
    assert int(modified["sofa_total"].iloc[0]) == 14


def test_rescoring_replaces_earlier_sofa_columns():
    once = sofa(day_with(gcs=3))
    twice = sofa(once, exclude=["cns"])
    assert "sofa_cns" not in twice.columns
    assert int(twice["sofa_total"].iloc[0]) == 0


def test_input_is_not_modified_and_index_is_kept():
    day = pd.concat([day_with(gcs=8), day_with(gcs=12)]).set_axis([10, 20])
    before = day.copy()
    out = sofa(day)
    pd.testing.assert_frame_equal(day, before)
    assert list(out.index) == [10, 20]
    assert out["sofa_cns"].tolist() == [3, 2]
    assert str(out["sofa_total"].dtype) == "Int8"


def missing_days() -> pd.DataFrame:
    """Two patients, rows out of order; platelets missing on some days."""
    rows = [
        dict(NORMAL, patient_id="B", day=0, platelets_10e9_l=np.nan),
        dict(NORMAL, patient_id="A", day=2, platelets_10e9_l=np.nan),
        dict(NORMAL, patient_id="A", day=0, platelets_10e9_l=40.0),  # 3
        dict(NORMAL, patient_id="A", day=1, platelets_10e9_l=np.nan),
        dict(NORMAL, patient_id="A", day=3, platelets_10e9_l=120.0),  # 1
        dict(NORMAL, patient_id="B", day=1, platelets_10e9_l=np.nan),
        dict(NORMAL, patient_id="A", day=4, platelets_10e9_l=np.nan),
    ]
    return pd.DataFrame(rows)


def test_missing_normal_scores_zero():
    out = sofa(missing_days(), missing="normal")
    assert out["sofa_coag"].tolist() == [0, 0, 3, 0, 1, 0, 0]
    assert out["sofa_total"].tolist() == [0, 0, 3, 0, 1, 0, 0]


def test_missing_locf_carries_within_patient_in_day_order():
    out = sofa(missing_days(), missing="locf")
    # B has no earlier value (0), and never inherits A's; A day 1-2 carry day 0, day 4 day 3.
    assert out["sofa_coag"].tolist() == [0, 3, 3, 3, 1, 0, 1]


def test_missing_na_makes_the_total_missing():
    out = sofa(missing_days(), missing="na")
    assert out["sofa_coag"].isna().tolist() == [True, True, False, True, False, True, True]
    assert out["sofa_total"].isna().tolist() == [True, True, False, True, False, True, True]
    assert out["sofa_resp"].notna().all()


def test_component_missing_only_when_nothing_scores_it():
    nothing = {c: np.nan for c in NORMAL if c.endswith("_ug_kg_min")}
    out = sofa(
        pd.concat(
            [
                day_with(map_mmhg=np.nan, **nothing),  # cardio missing
                day_with(map_mmhg=np.nan, **dict(nothing, norepinephrine_ug_kg_min=0.2)),
                day_with(creatinine_mg_dl=np.nan, urine_ml_24h=np.nan),  # renal missing
                day_with(pao2_mmhg=np.nan),  # resp missing
                day_with(fio2=np.nan),  # resp missing
            ]
        ),
        missing="na",
    )
    assert out["sofa_cardio"].tolist()[:2] == [pd.NA, 4]
    assert out["sofa_renal"].isna().tolist() == [False, False, True, False, False]
    assert out["sofa_resp"].isna().tolist() == [False, False, False, True, True]


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"fio2": 40.0}, "fio2"),  # percent instead of fraction
        ({"gcs": 16}, "gcs"),
        ({"mech_vent": 2}, "mech_vent"),
        ({"creatinine_mg_dl": 150.0}, "creatinine_mg_dl"),  # µmol/L under a mg/dL name
        ({"bilirubin_mg_dl": 120.0}, "bilirubin_mg_dl"),
        ({"norepinephrine_ug_kg_min": 50.0}, "norepinephrine_ug_kg_min"),  # ng, not µg
        ({"platelets_10e9_l": -1.0}, "platelets_10e9_l"),
        ({"creatinine_mg_dl": "1,2"}, "creatinine_mg_dl"),  # decimal comma
    ],
)
def test_implausible_values_are_refused_with_the_column_named(changes, column):
    with pytest.raises(DataError, match=column):
        sofa(day_with(**changes))


def test_every_problem_is_reported_at_once():
    with pytest.raises(DataError) as err:
        sofa(day_with(fio2=60.0, gcs=0).drop(columns=["urine_ml_24h"]))
    text = str(err.value)
    assert "urine_ml_24h" in text
    assert len(err.value.problems) == 1  # a missing column stops before the value checks
    with pytest.raises(DataError) as err:
        sofa(day_with(fio2=60.0, gcs=0))
    assert {"fio2", "gcs"} <= {p.split("'")[1] for p in err.value.problems}


def test_unit_columns_must_be_one_or_the_other():
    both = day_with(bilirubin_umol_l=10.0)
    with pytest.raises(DataError, match="both bilirubin_mg_dl and bilirubin_umol_l"):
        sofa(both)
    neither = day_with().drop(columns=["creatinine_mg_dl"])
    with pytest.raises(DataError, match="creatinine_mg_dl or creatinine_umol_l"):
        sofa(neither)
    # an excluded system needs no columns
    assert "sofa_cns" not in sofa(day_with().drop(columns=["gcs"]), exclude=("cns",))


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown SOFA system"):
        sofa(day_with(), exclude=("brain",))
    with pytest.raises(ValueError, match="missing must be one of"):
        sofa(day_with(), missing="zero")
    with pytest.raises(DataError, match="patient_id"):
        sofa(day_with().drop(columns=["patient_id"]), missing="locf")


# --- independent reference: base R, findInterval (tests/R/sofa_endpoints.R) ----------------
# Output of `Rscript tests/R/sofa_endpoints.R` (R 4.x), 60 deterministic patient-days.
# fmt: off
R_RESP = [
    2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 4, 3, 2, 0, 0, 0, 1, 1, 1, 0, 3, 2, 2, 2, 2, 0, 0, 0, 0, 0, 2,
    0, 1, 1, 1, 1, 1, 0, 0, 2, 3, 3, 2, 3, 0, 0, 0, 0, 0, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 4
]
R_COAG = [
    4, 3, 2, 2, 1, 1, 0, 0, 3, 2, 2, 1, 1, 0, 0, 4, 3, 2, 1, 1, 0, 0, 4, 3, 2, 2, 1, 0, 0, 4, 3,
    2, 2, 1, 1, 0, 0, 3, 2, 2, 1, 1, 0, 0, 4, 3, 2, 1, 1, 0, 0, 4, 3, 2, 2, 1, 0, 0, 4, 3
]
R_LIVER = [
    0, 1, 2, 2, 3, 3, 3, 3, 4, 0, 2, 2, 2, 3, 3, 3, 4, 4, 0, 2, 2, 2, 3, 3, 3, 4, 4, 0, 2, 2, 3,
    3, 3, 3, 4, 4, 1, 2, 2, 3, 3, 3, 3, 4, 4, 1, 2, 2, 3, 3, 3, 3, 4, 0, 1, 2, 2, 3, 3, 3
]
R_LIVER_SI = [
    0, 2, 2, 3, 3, 4, 4, 1, 2, 3, 3, 3, 4, 0, 2, 2, 3, 3, 4, 4, 2, 2, 3, 3, 3, 4, 1, 2, 3, 3, 3,
    4, 0, 2, 2, 3, 3, 4, 4, 2, 2, 3, 3, 3, 4, 1, 2, 3, 3, 3, 4, 0, 2, 2, 3, 3, 4, 4, 2, 2
]
R_CARDIO = [
    2, 1, 0, 0, 3, 1, 3, 2, 4, 1, 0, 1, 3, 0, 2, 1, 4, 0, 4, 1, 0, 2, 1, 1, 3, 0, 1, 1, 4, 0, 3,
    0, 3, 1, 1, 2, 4, 1, 1, 0, 1, 1, 2, 0, 3, 1, 0, 0, 4, 2, 0, 1, 3, 0, 3, 1, 4, 0, 0, 1
]
R_CNS = [
    4, 3, 1, 4, 2, 0, 3, 2, 4, 3, 1, 3, 2, 4, 3, 1, 4, 2, 0, 3, 2, 4, 3, 1, 3, 2, 4, 3, 1, 4, 2,
    0, 3, 2, 4, 3, 1, 3, 2, 4, 3, 1, 4, 2, 0, 3, 2, 4, 3, 1, 3, 2, 4, 3, 1, 4, 2, 0, 3, 2
]
R_RENAL = [
    4, 4, 4, 3, 3, 4, 1, 3, 0, 2, 4, 1, 3, 4, 2, 3, 0, 4, 4, 3, 3, 3, 2, 3, 1, 3, 4, 2, 3, 0, 2,
    4, 1, 4, 4, 4, 3, 3, 3, 4, 2, 3, 0, 2, 4, 1, 3, 0, 2, 3, 4, 4, 4, 3, 3, 0, 2, 4, 1, 3
]
R_RENAL_SI = [
    4, 4, 4, 3, 3, 3, 2, 2, 2, 3, 3, 3, 4, 4, 0, 0, 0, 4, 4, 3, 3, 3, 3, 3, 3, 3, 4, 4, 0, 0, 1,
    1, 2, 4, 4, 4, 3, 3, 3, 4, 4, 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 3, 4, 4, 0, 0, 0, 1, 2
]
R_TOTAL = [
    16, 14, 11, 13, 14, 11, 12, 10, 15, 8, 13, 11, 13, 11, 10, 12, 16, 13, 10, 10, 10, 13, 15, 13,
    14, 11, 14, 6, 10, 10, 15, 9, 13, 12, 15, 14, 10, 12, 10, 15, 13, 12, 11, 11, 15, 9, 9, 7, 13,
    13, 12, 16, 20, 10, 12, 10, 10, 7, 11, 16
]
# fmt: on


def r_grid_days() -> pd.DataFrame:
    """The same 60 patient-days as tests/R/sofa_endpoints.R, from the same integer formulas."""
    i = np.arange(60)
    return pd.DataFrame(
        {
            "patient_id": 1,
            "day": i,
            "pao2_mmhg": 40.0 + (i * 37) % 360,
            "fio2": 0.21 + ((i * 13) % 80) / 100,
            "mech_vent": (i % 3 != 0).astype(int),
            "platelets_10e9_l": ((i * 29) % 210).astype(float),
            "bilirubin_mg_dl": ((i * 17) % 150) / 10,
            "map_mmhg": 50.0 + (i * 11) % 40,
            "norepinephrine_ug_kg_min": np.where(i % 4 == 0, ((i * 7) % 20) / 100, 0.0),
            "epinephrine_ug_kg_min": np.where(i % 5 == 0, ((i * 3) % 15) / 100, 0.0),
            "dopamine_ug_kg_min": np.where(i % 6 == 0, (i % 20).astype(float), 0.0),
            "dobutamine_ug_kg_min": np.where(i % 7 == 0, 5.0, 0.0),
            "gcs": 3 + (i * 5) % 13,
            "creatinine_mg_dl": ((i * 23) % 60) / 10,
            "urine_ml_24h": ((i * 97) % 1600).astype(float),
        }
    )


def test_sofa_matches_R_findInterval():
    got = sofa(r_grid_days())
    for column, expected in [
        ("sofa_resp", R_RESP),
        ("sofa_coag", R_COAG),
        ("sofa_liver", R_LIVER),
        ("sofa_cardio", R_CARDIO),
        ("sofa_cns", R_CNS),
        ("sofa_renal", R_RENAL),
        ("sofa_total", R_TOTAL),
    ]:
        assert got[column].tolist() == expected, column


def test_sofa_si_units_match_R_findInterval():
    i = np.arange(60)
    days = r_grid_days().drop(columns=["bilirubin_mg_dl", "creatinine_mg_dl"])
    days["bilirubin_umol_l"] = ((i * 41) % 260).astype(float)
    days["creatinine_umol_l"] = ((i * 37) % 500).astype(float)
    got = sofa(days)
    assert got["sofa_liver"].tolist() == R_LIVER_SI
    assert got["sofa_renal"].tolist() == R_RENAL_SI


def test_sofa1_ignores_sofa2_columns_and_options():
    # Vincent 1996 reads none of SOFA-2's columns or options (one spec serves both scores).
    from trialkit.sofa import VERSIONS

    assert set(VERSIONS) == {"sofa1", "sofa2"}
    plain = sofa(day_with(gcs=9))
    extra = day_with(gcs=9).assign(sedated=1, resp_support="imv", delirium_drug=1)
    same = sofa(extra, sedation="zero", ceiling=False)
    assert plain.filter(like="sofa_").equals(same.filter(like="sofa_"))
