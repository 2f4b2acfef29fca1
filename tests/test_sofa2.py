"""SOFA-2 scoring: hand-scored cases on both sides of every limit of every system, each
footnote's option, the data contract's SOFA-2 columns, the twins, and clifpy as reference.

Expected scores are read off the SOFA-2 table and footnotes of Ranzani et al., JAMA 2025
(``shared/reference/sofa2.md``: bands written "<= upper limit", inclusive, where Vincent 1996
wrote "<"); each case names the row or footnote it reads. The independent implementation is
clifpy's ``calculate_sofa2_daily`` (clifpy 2.1.0, DuckDB SQL on CLIF tables), run by
``tests/reference/clifpy/run_clifpy.py`` on 3,625 patient-days; its output is committed
beside the script and every disagreement is listed, with its cause, in
``tests/reference/clifpy/disagreements.csv``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialkit.endpoints import analysis_set
from trialkit.schema import DataError, load_trial
from trialkit.schema.columns import DAILY, SOFA2_DAILY
from trialkit.simulate import twin
from trialkit.sofa import COMPONENTS, SOFA2_OPTIONS, daily_scores, sofa
from trialkit.spec import SpecError, load_spec

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "tests" / "reference" / "clifpy"
FIXTURE = ROOT / "tests" / "fixtures" / "tiny"

# A patient-day with no organ dysfunction under SOFA-2: every system scores 0.
NORMAL = {
    "patient_id": "P1",
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
    "gcs": 15.0,
    "creatinine_mg_dl": 0.8,
    "urine_ml_24h": 1920.0,  # 1.0 mL/kg/h at 80 kg
    "rrt": 0,
    "vasopressor": 0,
    "resp_support": "none",
    "ecmo": "none",
    "spo2_pct": 97.0,
    "mech_circ_support": 0,
    "vasopressin_u_min": 0.0,
    "phenylephrine_ug_kg_min": 0.0,
    "milrinone_ug_kg_min": 0.0,
    "other_vasoactive": 0,
    "potassium_mmol_l": 4.0,
    "ph": 7.40,
    "bicarbonate_mmol_l": 24.0,
    "delirium_drug": 0,
    "sedated": 0,
    "weight_kg": 80.0,
    "treatment_ceiling": 0,
}
SI = {"bilirubin_umol_l": 8.0, "creatinine_umol_l": 70.0}
SYSTEMS = [f"sofa_{c}" for c in COMPONENTS]


def day_with(si: bool = False, **changes) -> pd.DataFrame:
    row = dict(NORMAL)
    if si:
        row.pop("bilirubin_mg_dl")
        row.pop("creatinine_mg_dl")
        row.update(SI)
    row.update(changes)
    return pd.DataFrame([row])


def score_of(component: str, si: bool = False, options: dict | None = None, **changes) -> int:
    out = sofa(day_with(si, **changes), version="sofa2", **(options or {}))
    return int(out[f"sofa_{component}"].iloc[0])


def days(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([{**NORMAL, **r} for r in rows])


def test_a_normal_day_scores_zero_in_every_system():
    out = sofa(day_with(), version="sofa2")
    assert out[[*SYSTEMS, "sofa_total"]].iloc[0].tolist() == [0] * 7


# --- respiratory: PaO2/FiO2 > 300 | <= 300 | <= 225 | <= 150 + support | <= 75 + support ---


@pytest.mark.parametrize(
    ("pao2", "fio2", "support", "expected"),
    [
        (150.5, 0.5, "imv", 0),  # 301
        (150.0, 0.5, "imv", 1),  # 300: "<= 300" (1996: < 400 scores 1 too)
        (112.6, 0.5, "imv", 1),  # 225.2
        (112.5, 0.5, "imv", 2),  # 225
        (75.1, 0.5, "imv", 2),  # 150.2
        (75.0, 0.5, "imv", 3),  # 150 with advanced support
        (37.6, 0.5, "imv", 3),  # 75.2
        (37.5, 0.5, "imv", 4),  # 75 with advanced support
        # footnote g: HFNC, CPAP/BiPAP/NIV count as advanced support
        (75.0, 1.0, "hfnc", 4),
        (75.0, 0.5, "niv", 3),
        # footnote h: without advanced support at most 2
        (75.0, 0.5, "none", 2),
        (30.0, 0.5, "none", 2),
        # a ratio on a limit in decimal arithmetic: 84 / 0.28 is 300.00000000000006 in binary
        (84.0, 0.28, "imv", 1),
        (63.0, 0.21, "none", 1),
    ],
)
def test_respiration_limits(pao2, fio2, support, expected):
    got = score_of(
        "resp", pao2_mmhg=pao2, fio2=fio2, resp_support=support, mech_vent=int(support == "imv")
    )
    assert got == expected


def test_respiration_inclusive_limits_differ_from_1996_strict_ones():
    # P/F 300 and 200: SOFA-2 "<= 300" scores 1, "<= 225" gives 200 a 2; 1996 "< 300" gives
    # 300 a 1 and 200 a 2 too, but "< 200" gives 199 a 3 with a ventilator.
    row = day_with(pao2_mmhg=99.5, fio2=0.5, resp_support="imv", mech_vent=1)  # 199
    assert int(sofa(row)["sofa_resp"].iloc[0]) == 3
    assert int(sofa(row, version="sofa2")["sofa_resp"].iloc[0]) == 2


@pytest.mark.parametrize(
    ("spo2", "fio2", "support", "expected"),
    [
        # footnote f: SpO2/FiO2 > 300 | <= 300 | <= 250 | <= 200 + support | <= 120 + support
        (96.3, 0.32, "imv", 0),  # 300.9
        (96.0, 0.32, "imv", 1),  # 300
        (80.3, 0.32, "imv", 1),  # 250.9
        (80.0, 0.32, "imv", 2),  # 250
        (80.4, 0.4, "imv", 2),  # 201
        (80.0, 0.4, "imv", 3),  # 200
        (48.4, 0.4, "imv", 3),  # 121
        (48.0, 0.4, "imv", 4),  # 120
        (48.0, 0.4, "none", 2),  # without support at most 2
    ],
)
def test_spo2_fio2_limits_when_pao2_is_missing(spo2, fio2, support, expected):
    assert (
        score_of("resp", pao2_mmhg=np.nan, spo2_pct=spo2, fio2=fio2, resp_support=support)
        == expected
    )


def test_spo2_is_used_only_below_98_and_only_without_pao2():
    # SpO2 98 %: not used, the day's respiration is missing (0 under missing="normal").
    row = day_with(pao2_mmhg=np.nan, spo2_pct=98.0, fio2=0.5, resp_support="imv")
    assert sofa(row, version="sofa2", missing="na")["sofa_resp"].isna().all()
    row = day_with(pao2_mmhg=np.nan, spo2_pct=97.0, fio2=1.0, resp_support="imv")  # S/F 97
    assert score_of("resp", pao2_mmhg=np.nan, spo2_pct=97.0, fio2=1.0, resp_support="imv") == 4
    # PaO2 given: its ratio wins, whatever SpO2 says.
    assert score_of("resp", pao2_mmhg=200.0, spo2_pct=80.0, fio2=0.5, resp_support="imv") == 0
    # spo2_fallback=False: a missing PaO2 is a missing day.
    out = sofa(row, version="sofa2", missing="na", spo2_fallback=False)
    assert out["sofa_resp"].isna().all()


@pytest.mark.parametrize(
    ("ecmo", "resp", "cardio"),
    [
        ("respiratory", 4, 0),  # footnote i: 4 in respiration, not scored in cardiovascular
        ("cardiovascular", 4, 4),  # footnote i: scored in both; footnote n: VA-ECMO
        ("none", 0, 0),
    ],
)
def test_ecmo_by_indication(ecmo, resp, cardio):
    out = sofa(day_with(ecmo=ecmo), version="sofa2")
    assert (int(out["sofa_resp"].iloc[0]), int(out["sofa_cardio"].iloc[0])) == (resp, cardio)


def test_ceiling_of_treatment_scores_the_ratio_and_map_alone():
    # footnote h: support withheld by a ceiling of treatment: the ratio alone.
    assert score_of("resp", pao2_mmhg=35.0, fio2=0.5, treatment_ceiling=1) == 4
    assert score_of("resp", pao2_mmhg=35.0, fio2=0.5, treatment_ceiling=0) == 2
    assert (
        score_of("resp", options={"ceiling": False}, pao2_mmhg=35.0, fio2=0.5, treatment_ceiling=1)
        == 2
    )
    # footnote m: MAP >= 70 | 60-69 | 50-59 | 40-49 | < 40 score 0-4.
    for mapp, expected in [
        (70, 0),
        (69.9, 1),
        (60, 1),
        (59.9, 2),
        (50, 2),
        (49.9, 3),
        (40, 3),
        (39.9, 4),
    ]:
        assert score_of("cardio", map_mmhg=mapp, treatment_ceiling=1) == expected, mapp
        assert score_of("cardio", map_mmhg=mapp) == int(mapp < 70)
    # a ceiling never lowers what the drugs score
    assert score_of("cardio", map_mmhg=65, norepinephrine_ug_kg_min=0.5, treatment_ceiling=1) == 4


# --- hemostasis: platelets > 150 | <= 150 | <= 100 | <= 80 | <= 50 -------------------------


@pytest.mark.parametrize(
    ("platelets", "expected", "sofa1"),
    [
        (150.1, 0, 0),
        (150.0, 1, 0),  # "<= 150"; 1996 "< 150" scores 0
        (100.1, 1, 1),
        (100.0, 2, 1),  # 1996 "< 100" scores 1
        (80.1, 2, 2),
        (80.0, 3, 2),  # a band 1996 does not have
        (50.1, 3, 2),
        (50.0, 4, 2),  # 1996: < 50 scores 3, < 20 scores 4
        (19.0, 4, 4),
    ],
)
def test_hemostasis_limits(platelets, expected, sofa1):
    assert score_of("coag", platelets_10e9_l=platelets) == expected
    assert int(sofa(day_with(platelets_10e9_l=platelets))["sofa_coag"].iloc[0]) == sofa1


# --- liver: bilirubin <= 1.2 | <= 3.0 | <= 6.0 | <= 12.0 | > 12.0 mg/dL --------------------


@pytest.mark.parametrize(
    ("bili", "expected"),
    [(1.2, 0), (1.21, 1), (3.0, 1), (3.01, 2), (6.0, 2), (6.01, 3), (12.0, 3), (12.01, 4)],
)
def test_liver_limits_mg_dl(bili, expected):
    assert score_of("liver", bilirubin_mg_dl=bili) == expected


@pytest.mark.parametrize(
    ("bili", "expected"),
    [
        (20.6, 0),
        (20.7, 1),
        (51.3, 1),
        (51.4, 2),
        (102.6, 2),
        (102.7, 3),
        (205.0, 3),
        (205.1, 4),
    ],
)
def test_liver_limits_umol_l(bili, expected):
    assert score_of("liver", si=True, bilirubin_umol_l=bili) == expected


def test_bilirubin_on_the_1996_cut_point_scores_lower():
    # 1.2 mg/dL: 1996 "1.2-1.9" scores 1; SOFA-2 "<= 1.2" scores 0. 2.0: 2 and 1.
    assert int(sofa(day_with(bilirubin_mg_dl=1.2))["sofa_liver"].iloc[0]) == 1
    assert score_of("liver", bilirubin_mg_dl=1.2) == 0
    assert int(sofa(day_with(bilirubin_mg_dl=2.0))["sofa_liver"].iloc[0]) == 2
    assert score_of("liver", bilirubin_mg_dl=2.0) == 1


# --- cardiovascular -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"map_mmhg": 70.0}, 0),  # MAP >= 70, no vasoactive
        ({"map_mmhg": 69.9}, 1),  # MAP < 70, no vasoactive
        ({"norepinephrine_ug_kg_min": 0.01}, 2),  # NE + Epi <= 0.2
        ({"norepinephrine_ug_kg_min": 0.2}, 2),
        ({"norepinephrine_ug_kg_min": 0.1, "epinephrine_ug_kg_min": 0.1}, 2),  # sum 0.2
        ({"norepinephrine_ug_kg_min": 0.21}, 3),  # > 0.2-0.4
        ({"norepinephrine_ug_kg_min": 0.2, "epinephrine_ug_kg_min": 0.2}, 3),  # sum 0.4
        ({"epinephrine_ug_kg_min": 0.4}, 3),
        ({"norepinephrine_ug_kg_min": 0.41}, 4),  # > 0.4
        ({"norepinephrine_ug_kg_min": 0.3, "epinephrine_ug_kg_min": 0.11}, 4),  # sum 0.41
        # "any other vasopressor or inotrope": 2 alone, +1 beside NE + Epi
        ({"vasopressin_u_min": 0.03}, 2),
        ({"dobutamine_ug_kg_min": 5.0}, 2),
        ({"phenylephrine_ug_kg_min": 1.0}, 2),
        ({"milrinone_ug_kg_min": 0.25}, 2),
        ({"other_vasoactive": 1}, 2),
        ({"norepinephrine_ug_kg_min": 0.2, "vasopressin_u_min": 0.03}, 3),  # <= 0.2 + other
        ({"norepinephrine_ug_kg_min": 0.21, "vasopressin_u_min": 0.03}, 4),  # > 0.2 + other
        ({"norepinephrine_ug_kg_min": 0.1, "dopamine_ug_kg_min": 5.0}, 3),  # dopamine: other
        # footnote n: mechanical circulatory support
        ({"mech_circ_support": 1}, 4),
    ],
)
def test_cardiovascular_limits(changes, expected):
    assert score_of("cardio", **changes) == expected


@pytest.mark.parametrize(
    ("dopamine", "expected"),
    [(2.0, 2), (20.0, 2), (20.1, 3), (40.0, 3), (40.1, 4)],  # footnote l
)
def test_dopamine_alone_has_its_own_limits(dopamine, expected):
    assert score_of("cardio", dopamine_ug_kg_min=dopamine) == expected
    assert score_of("cardio", options={"dopamine_alone": "never"}, dopamine_ug_kg_min=dopamine) == 2


def test_dopamine_with_another_agent_under_each_reading():
    # Dopamine 30 with dobutamine, no NE or Epi: "no_ne_epi" keeps dopamine's band (3);
    # "only_agent" (clifpy's reading) makes it one more "other agent" (2).
    row = {"dopamine_ug_kg_min": 30.0, "dobutamine_ug_kg_min": 5.0}
    assert score_of("cardio", **row) == 3
    assert score_of("cardio", options={"dopamine_alone": "only_agent"}, **row) == 2
    assert (
        score_of("cardio", options={"dopamine_alone": "only_agent"}, dopamine_ug_kg_min=30.0) == 3
    )


@pytest.mark.parametrize(
    ("salt", "dose", "expected"),
    # footnote k: 1 mg base = 2 mg bitartrate monohydrate = 1.89 mg anhydrous bitartrate =
    # 1.22 mg hydrochloride; 0.5 as tartrate is 0.25 base (> 0.2: 3), 0.4 is 0.2 (2).
    [
        ("base", 0.5, 4),
        ("bitartrate_monohydrate", 0.5, 3),
        ("bitartrate_monohydrate", 0.4, 2),
        ("anhydrous_bitartrate", 0.378, 2),
        ("anhydrous_bitartrate", 0.38, 3),
        ("hydrochloride", 0.488, 3),
        ("hydrochloride", 0.49, 4),
    ],
)
def test_norepinephrine_is_dosed_as_base(salt, dose, expected):
    assert (
        score_of("cardio", options={"norepinephrine_salt": salt}, norepinephrine_ug_kg_min=dose)
        == expected
    )


def test_cardiovascular_missing_only_when_nothing_is_recorded():
    nothing = {
        c: np.nan
        for c in (
            "map_mmhg",
            "norepinephrine_ug_kg_min",
            "epinephrine_ug_kg_min",
            "dopamine_ug_kg_min",
            "dobutamine_ug_kg_min",
            "vasopressin_u_min",
            "phenylephrine_ug_kg_min",
            "milrinone_ug_kg_min",
        )
    }
    assert sofa(day_with(**nothing), version="sofa2", missing="na")["sofa_cardio"].isna().all()
    out = sofa(day_with(**nothing, mech_circ_support=1), version="sofa2", missing="na")
    assert int(out["sofa_cardio"].iloc[0]) == 4


# --- brain: GCS 15 | 13-14 or delirium drug | 9-12 | 6-8 | 3-5 -----------------------------


@pytest.mark.parametrize(
    ("gcs", "expected", "sofa1"),
    [
        (15, 0, 0),
        (14, 1, 1),
        (13, 1, 1),
        (12, 2, 2),
        (10, 2, 2),
        (9, 2, 3),
        (8, 3, 3),
        (6, 3, 3),
        (5, 4, 4),
        (3, 4, 4),
    ],
)
def test_brain_limits(gcs, expected, sofa1):
    # GCS 9: 1996's 6-9 band scores 3, SOFA-2's 9-12 band 2.
    assert score_of("cns", gcs=float(gcs)) == expected
    assert int(sofa(day_with(gcs=float(gcs)))["sofa_cns"].iloc[0]) == sofa1


def test_delirium_drug_scores_at_least_one():
    # footnote e: 1 even with GCS 15; no effect from GCS 12 down.
    assert score_of("cns", delirium_drug=1) == 1
    assert score_of("cns", gcs=12.0, delirium_drug=1) == 2
    assert score_of("cns", options={"delirium": False}, delirium_drug=1) == 0
    # with no GCS the drug alone is observed and scores 1 (clifpy: the day is missing)
    out = sofa(day_with(gcs=np.nan, delirium_drug=1), version="sofa2", missing="na")
    assert int(out["sofa_cns"].iloc[0]) == 1


@pytest.mark.parametrize(("motor", "expected"), [(6, 0), (5, 1), (4, 2), (3, 3), (2, 4), (1, 4)])
def test_best_motor_response_when_the_full_gcs_is_missing(motor, expected):
    # footnote d; the motor response is not used when the full GCS is there.
    assert score_of("cns", gcs=np.nan, gcs_motor=float(motor)) == expected
    assert score_of("cns", gcs=15.0, gcs_motor=float(motor)) == 0


def test_sedation_scores_the_last_gcs_before_sedation():
    # footnote c: day 0 GCS 8 (3), sedated on days 1-2 (their GCS 3 not assessable),
    # GCS 14 on day 3 (1), sedated again on day 4.
    rows = days(
        {"day": 0, "gcs": 8.0},
        {"day": 1, "gcs": 3.0, "sedated": 1},
        {"day": 2, "gcs": np.nan, "sedated": 1},
        {"day": 3, "gcs": 14.0},
        {"day": 4, "gcs": 3.0, "sedated": 1},
    )
    assert sofa(rows, version="sofa2")["sofa_cns"].tolist() == [3, 3, 3, 1, 1]
    # rows in any order, two patients: the same per patient and day
    other = rows.assign(patient_id="P2", gcs=rows["gcs"].where(rows["day"] != 0, 5.0))
    mixed = pd.concat([rows, other]).sample(frac=1, random_state=3)
    out = sofa(mixed, version="sofa2").sort_values(["patient_id", "day"])
    assert out["sofa_cns"].tolist() == [3, 3, 3, 1, 1, 4, 4, 4, 1, 1]
    # unknown GCS before sedation: 0 ("if unknown, 0"); clifpy's reading "zero"; as recorded
    assert sofa(rows.iloc[1:], version="sofa2")["sofa_cns"].tolist() == [0, 0, 1, 1]
    assert sofa(rows, version="sofa2", sedation="zero")["sofa_cns"].tolist() == [3, 0, 0, 1, 0]
    as_recorded = sofa(rows, version="sofa2", sedation="as_recorded", missing="na")
    assert as_recorded["sofa_cns"].tolist() == [3, 4, pd.NA, 1, 4]


def test_sedated_with_a_delirium_drug_scores_at_least_one():
    rows = days({"day": 0, "gcs": 15.0}, {"day": 1, "sedated": 1, "delirium_drug": 1})
    assert sofa(rows, version="sofa2")["sofa_cns"].tolist() == [0, 1]


# --- kidney -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("creat", "expected", "sofa1"),
    # creatinine <= 1.20 | <= 2.0 | <= 3.5 | > 3.5 mg/dL; 4 only with RRT or its criteria
    [
        (1.2, 0, 1),
        (1.21, 1, 1),
        (2.0, 1, 2),
        (2.01, 2, 2),
        (3.5, 2, 3),
        (3.51, 3, 3),
        (5.0, 3, 4),
        (9.0, 3, 4),
    ],
)
def test_kidney_creatinine_limits(creat, expected, sofa1):
    assert score_of("renal", creatinine_mg_dl=creat) == expected
    assert int(sofa(day_with(creatinine_mg_dl=creat))["sofa_renal"].iloc[0]) == sofa1


@pytest.mark.parametrize(
    ("creat", "expected"),
    [(110.0, 0), (110.5, 1), (170.0, 1), (170.5, 2), (300.0, 2), (300.5, 3)],
)
def test_kidney_creatinine_limits_umol_l(creat, expected):
    assert score_of("renal", si=True, creatinine_umol_l=creat) == expected


@pytest.mark.parametrize(
    ("urine", "weight", "expected"),
    # mean rate urine / weight / 24: < 0.5 mL/kg/h scores 2 (>= 12 h), < 0.3 scores 3
    [
        (960.0, 80.0, 0),
        (959.0, 80.0, 2),
        (576.0, 80.0, 2),
        (575.0, 80.0, 3),
        (0.0, 80.0, 3),
        (600.0, 50.0, 0),
        (599.0, 50.0, 2),
        (360.0, 50.0, 2),
        (359.0, 50.0, 3),
        (1199.0, 100.0, 2),
        (719.0, 100.0, 3),
    ],
)
def test_kidney_urine_output_per_kg_and_hour(urine, weight, expected):
    assert score_of("renal", urine_ml_24h=urine, weight_kg=weight) == expected
    assert score_of("renal", options={"urine": "none"}, urine_ml_24h=urine, weight_kg=weight) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # footnote p: (creatinine > 1.2 or urine < 0.3 mL/kg/h) and (K >= 6.0 or
        # (pH <= 7.20 and bicarbonate <= 12))
        ({"creatinine_mg_dl": 1.3, "potassium_mmol_l": 6.0}, 4),
        ({"creatinine_mg_dl": 1.3, "potassium_mmol_l": 5.9}, 1),
        ({"creatinine_mg_dl": 1.2, "potassium_mmol_l": 6.5}, 0),
        ({"urine_ml_24h": 575.0, "potassium_mmol_l": 6.0}, 4),
        ({"urine_ml_24h": 576.0, "potassium_mmol_l": 6.0}, 2),
        ({"creatinine_mg_dl": 1.3, "ph": 7.20, "bicarbonate_mmol_l": 12.0}, 4),
        ({"creatinine_mg_dl": 1.3, "ph": 7.21, "bicarbonate_mmol_l": 12.0}, 1),
        ({"creatinine_mg_dl": 1.3, "ph": 7.20, "bicarbonate_mmol_l": 12.1}, 1),
        ({"creatinine_mg_dl": 1.3, "ph": 7.0, "bicarbonate_mmol_l": np.nan}, 1),
        ({"rrt": 1}, 4),  # receiving RRT, chronic included
        ({"rrt": 1, "rrt_nonrenal": 1}, 0),  # footnote o: RRT for non-renal reasons only
    ],
)
def test_kidney_rrt_and_its_criteria(changes, expected):
    assert score_of("renal", **changes) == expected


def test_rrt_criteria_option():
    row = {"creatinine_mg_dl": 1.3, "potassium_mmol_l": 6.5}
    assert score_of("renal", options={"rrt_criteria": False}, **row) == 1


def test_intermittent_rrt_between_sessions():
    # footnote q: RRT on days 0, 2, 5 and 9 of one patient, stopped after day 9.
    on = {0, 2, 5, 9}
    rows = days(*({"day": d, "rrt": int(d in on)} for d in range(12)))
    renal = sofa(rows, version="sofa2")["sofa_renal"].tolist()
    assert renal == [4, 4, 4, 4, 4, 4, 0, 0, 0, 4, 0, 0]  # gaps of 1, 2 bridged; 3 not
    wide = sofa(rows, version="sofa2", rrt_gap_days=3)["sofa_renal"].tolist()
    assert wide == [4] * 10 + [0, 0]
    carry = sofa(rows, version="sofa2", intermittent_rrt="carry")["sofa_renal"].tolist()
    assert carry == [4, 4, 4, 4, 4, 4, 4, 4, 0, 4, 4, 4]  # clifpy: 3 days incl. the RRT day
    none = sofa(rows, version="sofa2", intermittent_rrt="none")["sofa_renal"].tolist()
    assert none == [4 * (d in on) for d in range(12)]
    # another patient's RRT day never bridges
    two = pd.concat([rows.iloc[:2], rows.iloc[2:3].assign(patient_id="P2")])
    assert sofa(two, version="sofa2")["sofa_renal"].tolist() == [4, 0, 4]


# --- footnote b, the whole score and its columns ------------------------------------------


def test_missing_values_day_one_zero_then_last_observation_carried_forward():
    rows = days(
        {"day": 0, "platelets_10e9_l": np.nan},
        {"day": 1, "platelets_10e9_l": 70.0},
        {"day": 2, "platelets_10e9_l": np.nan},
    )
    assert sofa(rows, version="sofa2", missing="locf")["sofa_coag"].tolist() == [0, 3, 3]
    assert sofa(rows, version="sofa2")["sofa_coag"].tolist() == [0, 3, 0]


def test_same_columns_for_both_versions_and_the_modified_score():
    rows = day_with(gcs=3.0)
    one, two = sofa(rows), sofa(rows, version="sofa2")
    assert list(one.columns) == list(two.columns)
    assert one[SYSTEMS].dtypes.tolist() == two[SYSTEMS].dtypes.tolist()
    modified = sofa(rows, version="sofa2", exclude=("cns",))
    assert "sofa_cns" not in modified and int(modified["sofa_total"].iloc[0]) == 0


def test_missing_columns_are_named_with_the_options_that_do_without_them():
    one_only = pd.DataFrame([{k: NORMAL[k] for k in list(NORMAL)[:17]}])
    assert int(sofa(one_only)["sofa_total"].iloc[0]) == 0
    with pytest.raises(DataError) as info:
        sofa(one_only, version="sofa2")
    text = str(info.value)
    for col in (
        "resp_support",
        "ecmo",
        "spo2_pct",
        "treatment_ceiling",
        "vasopressin_u_min",
        "phenylephrine_ug_kg_min",
        "milrinone_ug_kg_min",
        "other_vasoactive",
        "mech_circ_support",
        "delirium_drug",
        "sedated",
        "weight_kg",
        "potassium_mmol_l",
        "ph",
        "bicarbonate_mmol_l",
    ):
        assert f"missing column {col!r}" in text, col
    assert "spo2_fallback=False" in text
    # only the included systems' columns, and only those the options use
    keep = pd.DataFrame([{k: NORMAL[k] for k in ("platelets_10e9_l", "bilirubin_mg_dl")}])
    out = sofa(keep, version="sofa2", exclude=("resp", "cardio", "cns", "renal"))
    assert out["sofa_total"].tolist() == [0]
    lean = one_only.assign(
        resp_support="none",
        ecmo="none",
        vasopressin_u_min=0.0,
        phenylephrine_ug_kg_min=0.0,
        milrinone_ug_kg_min=0.0,
        other_vasoactive=0,
        mech_circ_support=0,
    )
    out = sofa(
        lean,
        version="sofa2",
        spo2_fallback=False,
        ceiling=False,
        delirium=False,
        sedation="as_recorded",
        urine="none",
        rrt_criteria=False,
    )
    assert out["sofa_total"].tolist() == [0]


def test_bad_options_and_labels_are_refused():
    with pytest.raises(ValueError, match="did you mean 'sedation'"):
        sofa(day_with(), version="sofa2", sedaton="zero")
    with pytest.raises(ValueError, match="sedation must be one of"):
        sofa(day_with(), version="sofa2", sedation="presumed")
    with pytest.raises(ValueError, match="rrt_gap_days must be a whole number"):
        sofa(day_with(), version="sofa2", rrt_gap_days=-1)
    with pytest.raises(ValueError, match="ceiling must be True or False"):
        sofa(day_with(), version="sofa2", ceiling="yes")
    with pytest.raises(ValueError, match="version must be one of"):
        sofa(day_with(), version="sofa3")
    with pytest.raises(DataError, match=r"'resp_support', rows \[0\]: labels \['HFNC'\]"):
        sofa(day_with(resp_support="HFNC"), version="sofa2")
    with pytest.raises(DataError, match=r"'ph', rows .*plausible range 6\.5 to 8"):
        sofa(day_with(ph=74.0), version="sofa2")
    # Vincent 1996 ignores SOFA-2's options (one spec's [sofa] table serves both scores)
    assert int(sofa(day_with(), sedation="zero")["sofa_total"].iloc[0]) == 0


def test_categorical_columns_score_as_text_does():
    rows = pd.concat(
        [
            day_with(resp_support=s, pao2_mmhg=30.0, fio2=0.5)
            for s in ("none", "hfnc", "niv", "imv")
        ],
        ignore_index=True,
    )
    cat = rows.astype({"resp_support": "category", "ecmo": "category"})
    expected = [2, 4, 4, 4]
    assert sofa(rows, version="sofa2")["sofa_resp"].tolist() == expected
    assert sofa(cat, version="sofa2")["sofa_resp"].tolist() == expected


def test_daily_scores_takes_the_patient_codes_it_is_given():
    rows = days({"day": 0, "gcs": 8.0}, {"day": 1, "sedated": 1})
    scores, _ = daily_scores(rows, version="sofa2", patient_codes=np.array([0, 0]))
    assert scores["cns"][0].tolist() == [3, 3]


def test_options_registry_matches_the_spec_checks():
    from trialkit.spec import _sofa_checks

    checks = _sofa_checks()
    assert set(SOFA2_OPTIONS) <= set(checks)
    for name, default in SOFA2_OPTIONS.items():
        assert checks[name][0](default) == "", name


# --- clifpy, an independent implementation ------------------------------------------------

#: trialkit's options that read the footnotes as clifpy 2.1.0 does (treatment_ceiling has no
#: CLIF counterpart; dopamine's bands only when dopamine is the only agent; sedated days 0,
#: no pre-sedation GCS looked for before the day; RRT carried 3 days including the RRT day;
#: calculate_sofa2_daily's missing rule: 0 on day 1, then the last score carried forward).
CLIFPY_READING = {
    "ceiling": False,
    "dopamine_alone": "only_agent",
    "sedation": "zero",
    "intermittent_rrt": "carry",
    "rrt_gap_days": 2,
    "missing": "locf",
}


@pytest.fixture(scope="module")
def clifpy_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = pd.read_csv(REFERENCE / "input_daily.csv", dtype={"patient_id": str})
    expected = pd.read_csv(REFERENCE / "clifpy_expected.csv", dtype={"patient_id": str})
    return daily, expected


def _against_clifpy(daily: pd.DataFrame, expected: pd.DataFrame, **options) -> pd.DataFrame:
    ours = sofa(daily, version="sofa2", **options)[["patient_id", "day", *SYSTEMS, "sofa_total"]]
    both = ours.merge(expected, on=["patient_id", "day"], suffixes=("", "_clifpy"), how="outer")
    assert len(both) == len(daily) == len(expected)
    return both


def test_sofa2_matches_clifpy_calculate_sofa2_daily(clifpy_pair):
    # clifpy 2.1.0 on 3,625 patient-days (954 patients; tests/reference/clifpy/run_clifpy.py)
    daily, expected = clifpy_pair
    both = _against_clifpy(daily, expected, **CLIFPY_READING)
    found = []
    for s in SYSTEMS:
        differ = both[s].astype(int) != both[f"{s}_clifpy"]
        for _, r in both[differ].iterrows():
            found.append((r["patient_id"], int(r["day"]), s, int(r[s]), int(r[f"{s}_clifpy"])))
    listed = pd.read_csv(REFERENCE / "disagreements.csv", dtype={"patient_id": str})
    assert sorted(found) == sorted(
        listed[["patient_id", "day", "system", "trialkit", "clifpy"]].itertuples(
            index=False, name=None
        )
    )
    # every listed disagreement has the cause it names
    rows = listed.merge(daily, on=["patient_id", "day"])
    brain = rows["cause"].str.startswith("delirium drug on a day without GCS")
    assert brain.all()
    assert (rows["gcs"].isna() & (rows["delirium_drug"] == 1) & (rows["trialkit"] == 1)).all()
    totals = both["sofa_total"].astype(int) == both["sofa_total_clifpy"]
    assert (~totals).sum() == len(listed)


def test_against_clifpy_the_defaults_differ_only_by_their_documented_readings(clifpy_pair):
    daily, _ = clifpy_pair
    base = sofa(daily, version="sofa2", **CLIFPY_READING)
    defaults = sofa(daily, version="sofa2", missing="locf")
    # each default reading changes its own system only, and together they are the default
    moved: dict[str, int] = {}
    for option, system in (
        ("dopamine_alone", "sofa_cardio"),
        ("sedation", "sofa_cns"),
        ("intermittent_rrt", "sofa_renal"),
        ("ceiling", None),
    ):
        one = sofa(daily, version="sofa2", **{**CLIFPY_READING, option: SOFA2_OPTIONS[option]})
        changed = [s for s in SYSTEMS if (one[s] != base[s]).any()]
        assert changed == ([system] if system and changed else []), option
        if system:
            assert (one[system] == defaults[system]).all(), option
            moved[option] = int((one[system] != base[system]).sum())
    # recorded in tests/reference/clifpy/README.md
    assert moved == {"dopamine_alone": 3, "sedation": 27, "intermittent_rrt": 69}


# --- the data contract and the twins -------------------------------------------------------


def test_sofa2_columns_are_optional_in_the_contract():
    assert all(not c.required for c in SOFA2_DAILY)
    assert {c.name for c in SOFA2_DAILY} <= {c.name for c in DAILY}
    load_trial(FIXTURE, spec="imicro")  # a folder without them still validates


def _fixture_with_sofa2(tmp_path: Path, **changes: object) -> Path:
    folder = tmp_path / "imicro"
    shutil.copytree(FIXTURE, folder)
    daily = pd.read_csv(folder / "daily.csv", dtype=str, keep_default_na=False)
    extra = {k: v for k, v in NORMAL.items() if k in {c.name for c in SOFA2_DAILY}}
    for k, v in {**extra, **changes}.items():
        daily[k] = str(v)
    daily.to_csv(folder / "daily.csv", index=False, lineterminator="\n")
    return folder


def test_a_folder_with_the_sofa2_columns_validates_and_scores(tmp_path):
    trial = load_trial(_fixture_with_sofa2(tmp_path), spec="imicro")
    assert trial.daily["resp_support"].tolist() == ["none"] * len(trial.daily)
    out = sofa(trial.daily, version="sofa2")
    assert len(out) == len(trial.daily)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("resp_support", "HFNC", "one of: `none`, `hfnc`, `niv`, `imv`"),
        ("ph", "74", "plausible range 6.5 to 8"),
        ("potassium_mmol_l", "18", "mg/dL"),
        ("spo2_pct", "0.95", "SpO2 is a percentage"),
        ("vasopressin_u_min", "2.4", "units per hour"),
        ("sedated", "2", "0/1"),
    ],
)
def test_sofa2_columns_are_checked_by_load_trial(tmp_path, column, value, rule):
    folder = _fixture_with_sofa2(tmp_path, **{column: value})
    with pytest.raises(DataError) as info:
        load_trial(folder, spec="imicro")
    text = str(info.value)
    assert f"daily.csv, column {column}" in text and rule.split(":")[0] in text, text


@pytest.fixture(scope="module", params=["imicro", "combat_shine"])
def bundled(request):
    return load_trial(ROOT / "data" / request.param)


def test_twins_carry_every_sofa2_column_sofa2_needs(bundled):
    cols = {c.name for c in SOFA2_DAILY} - {"gcs_motor", "rrt_nonrenal"}
    assert cols <= set(bundled.daily.columns)
    out = sofa(bundled.daily, version="sofa2", **bundled.spec.sofa_options)
    assert out["sofa_total"].notna().all()


def test_twins_sofa2_values_agree_with_the_raw_values(bundled):
    d = bundled.daily
    assert ((d["resp_support"] == "imv") == (d["mech_vent"] == 1)).all()
    non_vent = d[d["mech_vent"] == 0]
    assert set(non_vent["resp_support"]) == {"none", "hfnc", "niv"}
    # HFNC/NIV for hypoxaemic patients: their PaO2/FiO2 is lower than on no support
    pf = non_vent["pao2_mmhg"] / non_vent["fio2"]
    assert (
        pf[non_vent["resp_support"] != "none"].median()
        < pf[non_vent["resp_support"] == "none"].median()
    )
    # ECMO: rare, only for the sickest, respiratory ECMO only under ventilation
    patients = d.loc[d["ecmo"] != "none", "patient_id"].nunique()
    assert 0 < patients <= 0.05 * d["patient_id"].nunique()
    assert (d.loc[d["ecmo"] == "respiratory", "mech_vent"] == 1).all()
    # vasopressin only as a second agent beside norepinephrine >= 0.25
    assert (d.loc[d["vasopressin_u_min"] > 0, "norepinephrine_ug_kg_min"] >= 0.25).all()
    assert (
        d.loc[(d[["phenylephrine_ug_kg_min", "vasopressin_u_min"]] > 0).any(axis=1), "vasopressor"]
        == 1
    ).all()
    # sedation only under ventilation; delirium drugs only without sedation
    assert (d.loc[d["sedated"] == 1, "mech_vent"] == 1).all()
    assert not ((d["sedated"] == 1) & (d["delirium_drug"] == 1)).any()
    # SpO2 rises with PaO2; potassium higher and pH, bicarbonate lower in renal failure
    assert d["spo2_pct"].corr(d["pao2_mmhg"], method="spearman") > 0.8
    failing = (d["creatinine_mg_dl"] >= 3.5) & (d["rrt"] == 0)
    normal = d["creatinine_mg_dl"] < 1.2
    assert (
        d.loc[failing, "potassium_mmol_l"].mean() > d.loc[normal, "potassium_mmol_l"].mean() + 0.5
    )
    assert d.loc[failing, "ph"].mean() < d.loc[normal, "ph"].mean()
    assert d.loc[failing, "bicarbonate_mmol_l"].mean() < d.loc[normal, "bicarbonate_mmol_l"].mean()
    # weight: the patient's baseline weight
    w = d.merge(bundled.patients[["patient_id", "weight_kg"]], on="patient_id")
    assert (w["weight_kg_x"] == w["weight_kg_y"]).all()
    # a ceiling of treatment only over the last days of an ICU death
    last = d.groupby("patient_id")["day"].transform("max")
    dead = d["patient_id"].map(bundled.patients.set_index("patient_id")["death_day"])
    ceiling = d["treatment_ceiling"] == 1
    assert ((dead[ceiling] - d.loc[ceiling, "day"]) <= 1).all() and (last[ceiling] >= 0).all()


def test_twin_in_memory_equals_the_bundled_files(bundled):
    t = twin(bundled.spec.id)
    pd.testing.assert_frame_equal(t.daily, bundled.daily, check_dtype=False)


# --- the spec chooses ----------------------------------------------------------------------


def test_spec_sofa_version_sofa2_selects_it_for_a_trial():
    raw = load_spec("imicro").raw
    spec = load_spec({**raw, "sofa": {**raw["sofa"], "version": "sofa2", "sedation": "zero"}})
    trial = load_trial(ROOT / "data" / "imicro")
    data = analysis_set(trial, spec)
    day0 = sofa(trial.daily, version="sofa2", sedation="zero")
    day0 = day0[day0["day"] == 0].set_index("patient_id")["sofa_total"]
    got = data.set_index("patient_id")["baseline_sofa_total"]
    assert (got.loc[day0.index] == day0.astype(float)).all()
    assert not (got == analysis_set(trial)["baseline_sofa_total"].to_numpy()).all()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("version", "sofa3", "did you mean 'sofa2'"),
        ("sedation", "last", "did you mean 'last_gcs'"),
        ("ceiling", "yes", "must be true or false"),
        ("rrt_gap_days", 1.5, "must be a whole number"),
        ("spo2_fallbak", True, "did you mean 'spo2_fallback'"),
    ],
)
def test_spec_refuses_a_wrong_sofa_key(key, value, message):
    raw = load_spec("imicro").raw
    with pytest.raises(SpecError, match=message):
        load_spec({**raw, "sofa": {**raw["sofa"], key: value}})
