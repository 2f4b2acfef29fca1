"""Endpoint rules on small hand-made patients; every expected value is computed by hand in the
comment beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_sofa import NORMAL  # tests/ is on sys.path (pytest rootdir, no package)

from trialkit.endpoints import (
    RULES,
    analysis_set,
    days_alive_out_of_icu,
    dead_by,
    delta_sofa,
    free_days,
    mean_daily_sofa,
    serious_adverse_event,
)
from trialkit.schema import DataError, Trial
from trialkit.sofa import sofa
from trialkit.spec import SpecError, load_spec

NAN = np.nan

# --- a SOFA cohort, days 0-7 ---------------------------------------------------------------
# P1 survivor in ICU every day; P2 dies on day 3; P3 discharged alive on day 5; P4 dies on
# day 7 with a score recorded that day; P5 has no baseline; P6 discharged day 3, dies day 5;
# P7 alive in ICU but day 7 not recorded.
SCORES = {
    "P1": {d: 10 - d for d in range(8)},
    "P2": {0: 12, 1: 14, 2: 16},
    "P3": {0: 8, 1: 6, 2: 5, 3: 4, 4: 2},
    "P4": {**{d: 10 for d in range(7)}, 7: 20},
    "P5": {d: 5 for d in range(1, 8)},
    "P6": {0: 9, 1: 7, 2: 5},
    "P7": {d: 6 for d in range(7)},
}
PATIENTS = pd.DataFrame(
    {
        "patient_id": list(SCORES),
        "death_day": [NAN, 3, NAN, 7, NAN, 5, NAN],
        "icu_discharge_day": [12, NAN, 5, NAN, 9, 3, NAN],
        "last_contact_day": [28, 3, 28, 7, 28, 5, 28],
    }
)


def sofa_days(scores: dict = SCORES) -> pd.DataFrame:
    rows = [(p, d, s) for p, days in scores.items() for d, s in days.items()]
    return pd.DataFrame(rows, columns=["patient_id", "day", "sofa_total"])


@pytest.mark.parametrize(
    ("death", "discharge", "expected"),
    [
        # P1 3-10; P2 24-12 | 16-12 | NaN; P3 2-8 | 0-8 | 24-8 | NaN; P4 20-10 (observed);
        # P5 no baseline; P6 dead by day 7: 24-9 | 5-9; P7 not recorded on day 7.
        ("worst", "last", [-7, 12, -6, 10, NAN, 15, NAN]),
        ("last", "last", [-7, 4, -6, 10, NAN, -4, NAN]),
        ("exclude", "last", [-7, NAN, -6, 10, NAN, NAN, NAN]),
        ("worst", "zero", [-7, 12, -8, 10, NAN, 15, NAN]),
        ("worst", "worst", [-7, 12, 16, 10, NAN, 15, NAN]),
        ("worst", "exclude", [-7, 12, NAN, 10, NAN, 15, NAN]),
    ],
)
def test_delta_sofa_death_and_discharge_rules(death, discharge, expected):
    got = delta_sofa(sofa_days(), PATIENTS, day=7, death=death, discharge=discharge, max_score=24)
    assert got.name == "delta_sofa_total_d7"
    assert list(got.index) == list(SCORES)
    np.testing.assert_array_equal(got.to_numpy(), expected)


def test_delta_sofa_other_days():
    # day 2: every patient but P5 (no baseline) is observed: P1 8-10, P2 16-12, P3 5-8,
    # P4 0, P6 5-9, P7 0. Day 4 from baseline day 1: P2 dead (24-14), P6 discharged on
    # day 3 and alive on day 4, last score 5 (5-7).
    got = delta_sofa(sofa_days(), PATIENTS, day=2, max_score=24)
    np.testing.assert_array_equal(got, [-2, 4, -3, 0, NAN, -4, 0])
    got = delta_sofa(sofa_days(), PATIENTS, day=4, baseline_day=1, max_score=24)
    np.testing.assert_array_equal(got, [-3, 10, -4, 0, 0, -2, 0])


@pytest.mark.parametrize(
    ("days", "death", "discharge", "expected"),
    [
        # ICU days 1-7 only: P1 (9+..+3)/7, P2 (14+16)/2, P3 (6+5+4+2)/4, P4 (6*10+20)/7,
        # P5 5, P6 (7+5)/2, P7 6 (days 1-6).
        ("icu", "worst", "last", [6, 15, 4.25, 80 / 7, 5, 6, 6]),
        # Every day: P2 14+16+5*24; P3 17 + 3*2 (last); P6 7+5, days 3-4 discharged (last: 5),
        # days 5-7 dead (24); P7 day 7 unrecorded and alive in ICU: left out.
        ("all", "worst", "last", [6, 150 / 7, 23 / 7, 80 / 7, 5, 94 / 7, 6]),
        ("all", "worst", "zero", [6, 150 / 7, 17 / 7, 80 / 7, 5, 84 / 7, 6]),
        ("all", "last", "last", [6, 110 / 7, 23 / 7, 80 / 7, 5, 37 / 7, 6]),
        ("all", "exclude", "last", [6, NAN, 23 / 7, 80 / 7, 5, NAN, 6]),
        ("all", "worst", "exclude", [6, 150 / 7, NAN, 80 / 7, 5, NAN, 6]),
    ],
)
def test_mean_daily_sofa_day_sets_and_rules(days, death, discharge, expected):
    got = mean_daily_sofa(
        sofa_days(),
        PATIENTS,
        window=(1, 7),
        days=days,
        death=death,
        discharge=discharge,
        max_score=24,
    )
    assert got.name == "mean_sofa_total_d1_7"
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-12)


def test_mean_daily_sofa_window_without_scores_is_nan():
    # Nobody has a score after day 7; "all" still scores the dead (P2, P4, P6: 24).
    got = mean_daily_sofa(sofa_days(), PATIENTS, window=(8, 10), max_score=24)
    assert got.isna().all()
    got = mean_daily_sofa(sofa_days(), PATIENTS, window=(8, 10), days="all", max_score=24)
    # P1 in ICU, unrecorded (NaN); P3 discharged: last 2; P5 discharged day 9: last 5
    np.testing.assert_array_equal(got, [NAN, 24, 2, 24, 5, 24, NAN])


def test_worst_score_is_inferred_from_the_sofa_columns():
    raw = pd.DataFrame(
        {
            "patient_id": ["A", "A"],
            "day": [0, 1],
            "pao2_mmhg": [90.0, 90.0],
            "fio2": [0.5, 0.5],
            "mech_vent": [1, 1],
            "platelets_10e9_l": [200.0, 200.0],
            "bilirubin_umol_l": [10.0, 10.0],
            "map_mmhg": [65.0, 65.0],
            "norepinephrine_ug_kg_min": [0.2, 0.2],
            "epinephrine_ug_kg_min": [0.0, 0.0],
            "dopamine_ug_kg_min": [0.0, 0.0],
            "dobutamine_ug_kg_min": [0.0, 0.0],
            "gcs": [8, 8],
            "creatinine_umol_l": [80.0, 80.0],
            "urine_ml_24h": [1000.0, 1000.0],
        }
    )
    patients = pd.DataFrame({"patient_id": ["A"], "death_day": [2], "icu_discharge_day": [NAN]})
    # full SOFA day 0: resp 3 + cardio 4 + cns 3 = 10; worst 24. Modified: 7, worst 20.
    full = delta_sofa(sofa(raw), patients, day=2)
    modified = delta_sofa(sofa(raw, exclude=("cns",)), patients, day=2)
    cardio = delta_sofa(sofa(raw), patients, day=2, score="sofa_cardio")
    assert (full.iloc[0], modified.iloc[0], cardio.iloc[0]) == (14, 13, 0)
    with pytest.raises(ValueError, match="max_score"):
        delta_sofa(sofa_days(), PATIENTS)


def test_score_rules_refuse_bad_input():
    with pytest.raises(ValueError, match="death must be one of"):
        delta_sofa(sofa_days(), PATIENTS, death="best", max_score=24)
    with pytest.raises(ValueError, match="days must be one of"):
        mean_daily_sofa(sofa_days(), PATIENTS, days="some")
    with pytest.raises(ValueError, match="window"):
        mean_daily_sofa(sofa_days(), PATIENTS, window=(7, 1))
    stranger = pd.concat([sofa_days(), pd.DataFrame([["Q9", 0, 3]], columns=sofa_days().columns)])
    with pytest.raises(DataError, match="Q9"):
        delta_sofa(stranger, PATIENTS, max_score=24)
    twice = pd.concat([sofa_days(), sofa_days().iloc[[1]]])
    with pytest.raises(DataError, match=r"P1.* more than one row on day 1"):
        mean_daily_sofa(twice, PATIENTS)
    with pytest.raises(DataError, match="duplicated ids"):
        delta_sofa(sofa_days(), pd.concat([PATIENTS, PATIENTS]), max_score=24)
    with pytest.raises(DataError, match="sofa_total"):
        delta_sofa(sofa_days().drop(columns="sofa_total"), PATIENTS, max_score=24)


# --- free days ------------------------------------------------------------------------------
# F1 ventilated days 0-2, off 3-4, again 5-6, discharged day 10; F2 dies on day 3;
# F3 ventilated 1-5, dies on day 29 (after the horizon); F4 never ventilated; F5 alive, last
# contact day 20; F6 ventilated on day 0 only; F7 flag missing on day 1, ventilated on day 2.
VENT = {
    "F1": {0: 1, 1: 1, 2: 1, 3: 0, 4: 0, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0, 10: 0},
    "F2": {0: 1, 1: 1, 2: 1, 3: 1},
    "F3": {d: int(1 <= d <= 5) for d in range(12)},
    "F4": {d: 0 for d in range(5)},
    "F5": {0: 1, 1: 1},
    "F6": {0: 1, 1: 0},
    "F7": {0: 0, 1: NAN, 2: 1, 3: 0},
}
FREE_PATIENTS = pd.DataFrame(
    {
        "patient_id": list(VENT),
        "death_day": [NAN, 3, 29, NAN, NAN, NAN, NAN],
        "icu_discharge_day": [10, NAN, 11, 4, 1, 1, 3],
        "last_contact_day": [28, 3, 29, 28, 20, 28, 28],
    }
)


def vent_days() -> pd.DataFrame:
    rows = [(p, d, f) for p, days in VENT.items() for d, f in days.items()]
    return pd.DataFrame(rows, columns=["patient_id", "day", "mech_vent"])


@pytest.mark.parametrize(
    ("death_value", "expected"),
    [
        # F1 28-4 (days 1,2,5,6); F2 dead; F3 28-5; F4 28; F5 lost; F6 28 (day 0 not counted);
        # F7 28-1 (a missing flag is not support)
        (0, [24, 0, 23, 28, NAN, 28, 27]),
        (-1, [24, -1, 23, 28, NAN, 28, 27]),
    ],
)
def test_free_days_support_stopping_and_restarting(death_value, expected):
    got = free_days(vent_days(), FREE_PATIENTS, horizon=28, death_value=death_value)
    assert got.name == "mech_vent_free_days_d28"
    np.testing.assert_array_equal(got, expected)


def test_free_days_horizon_and_death_at_the_horizon():
    # horizon 5: F1 5-3 (days 1,2,5); F2 dead; F3 5-5 = 0; F5 last contact 20 >= 5; F7 5-1.
    got = free_days(vent_days(), FREE_PATIENTS, horizon=5)
    np.testing.assert_array_equal(got, [2, 0, 0, 5, 4, 5, 4])
    # horizon 29: F3 dies on day 29, within the horizon; F1 has last contact day 28 < 29.
    got = free_days(vent_days(), FREE_PATIENTS, horizon=29)
    np.testing.assert_array_equal(got, [NAN, 0, 0, NAN, NAN, NAN, NAN])


def test_free_days_counts_a_day_recorded_twice_once():
    twice = pd.concat([vent_days(), vent_days().iloc[[1]]])  # F1 day 1 again
    np.testing.assert_array_equal(free_days(twice, FREE_PATIENTS)[["F1"]], [24])


def test_free_days_needs_the_support_column():
    with pytest.raises(DataError, match="rrt"):
        free_days(vent_days(), FREE_PATIENTS, support="rrt")


# --- vital status, ICU stay, adverse events ---------------------------------------------------
STATUS = pd.DataFrame(
    {
        "patient_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
        "death_day": [3, 28, 29, NAN, NAN, NAN, 40],
        "icu_discharge_day": [NAN, 10, 5, 0, 30, NAN, 5],
        "last_contact_day": [3, 28, 29, 90, 20, 90, 40],
    }
)


def test_dead_by_day_28_and_90():
    # S1 3<=28; S2 28<=28; S3 29>28; S4 alive, seen day 90; S5 alive, last seen day 20; S7 40.
    np.testing.assert_array_equal(dead_by(STATUS, day=28), [1, 1, 0, 0, NAN, 0, 0])
    np.testing.assert_array_equal(dead_by(STATUS, day=90), [1, 1, 1, 0, NAN, 0, 1])
    assert dead_by(STATUS, day=90).name == "dead_by_d90"


def test_days_alive_out_of_icu():
    # S1, S2 dead; S3 dead day 29 > 28: 28-5; S4 discharged day 0: 28; S5 lost; S6 alive
    # never discharged: 0; S7 28-5.
    got = days_alive_out_of_icu(STATUS, horizon=28)
    np.testing.assert_array_equal(got, [0, 0, 23, 28, NAN, 0, 23])
    got = days_alive_out_of_icu(STATUS.iloc[[0, 2, 3]], horizon=90, death_value=-1)
    np.testing.assert_array_equal(got, [-1, -1, 90])


EVENTS = pd.DataFrame(
    {
        "patient_id": ["E1", "E2", "E3", "E4", "E4"],
        "day": [2, 1, 29, 7, 8],
        "term": ["shock", "nausea", "bleeding", "bleeding", "arrhythmia"],
        "serious": [1, 0, 1, 1, 1],
        "related": [0, 0, 1, 1, 0],
    }
)
EVENT_PATIENTS = pd.DataFrame({"patient_id": ["E1", "E2", "E3", "E4", "E5"]})


@pytest.mark.parametrize(
    ("window", "related", "expected"),
    [
        ((0, 28), False, [1, 0, 0, 1, 0]),  # E2 not serious, E3 on day 29
        ((0, 28), True, [0, 0, 0, 1, 0]),
        ((0, 7), True, [0, 0, 0, 1, 0]),  # day 7 is inside (0, 7)
        ((0, 6), False, [1, 0, 0, 0, 0]),
        ((8, 30), True, [0, 0, 1, 0, 0]),
    ],
)
def test_serious_adverse_event_windows(window, related, expected):
    got = serious_adverse_event(EVENTS, EVENT_PATIENTS, window=window, related=related)
    np.testing.assert_array_equal(got, expected)


def test_serious_adverse_event_refuses_strangers_and_undated_events():
    with pytest.raises(DataError, match="E4"):
        serious_adverse_event(EVENTS, EVENT_PATIENTS.iloc[:3])
    undated = EVENTS.assign(day=[2, 1, 29, NAN, 8])
    with pytest.raises(DataError, match="'day'"):
        serious_adverse_event(undated, EVENT_PATIENTS)


# --- analysis_set ---------------------------------------------------------------------------
def raw_trial(spec_name: str = "imicro") -> Trial:
    """Three patients with raw daily data: T1 survives, T2 dies on day 3, T3 discharged day 5."""
    # a day without organ dysfunction (every SOFA system 0), no support
    base = {k: v for k, v in NORMAL.items() if k not in ("patient_id", "day")}
    base.update(rrt=0, vasopressor=0)
    rows = []
    for day in range(8):  # T1: ventilated days 0-2 (P/F 180: resp 3), GCS 9 (cns 3)
        vent = int(day <= 2)
        rows.append(dict(base, patient_id="T1", day=day, mech_vent=vent, pao2_mmhg=90.0,
                         fio2=0.5, gcs=9))  # fmt: skip
    for day in range(3):  # T2: norepinephrine 0.3 (cardio 4)
        rows.append(dict(base, patient_id="T2", day=day, norepinephrine_ug_kg_min=0.3,
                         vasopressor=1))  # fmt: skip
    for day in range(5):  # T3: platelets 40 (coag 3)
        rows.append(dict(base, patient_id="T3", day=day, platelets_10e9_l=40.0))
    patients = pd.DataFrame(
        {
            "patient_id": ["T1", "T2", "T3"],
            "arm": ["iloprost", "placebo", "iloprost"],
            "site": ["s1", "s1", "s2"],
            "mitt": [1, 1, 0],
            "per_protocol": [1, 0, 0],
            "age": [61, 70, 55],
            "death_day": [NAN, 3, NAN],
            "icu_discharge_day": [8, NAN, 5],
            "last_contact_day": [90, 3, 90],
        }
    )
    events = pd.DataFrame(
        {"patient_id": ["T2"], "day": [1], "term": ["shock"], "serious": [1], "related": [0]}
    )
    spec = load_spec(spec_name)
    return Trial(patients=patients, daily=pd.DataFrame(rows), events=events, spec=spec)


def test_analysis_set_imicro_one_row_per_patient_with_every_endpoint():
    trial = raw_trial()
    data = analysis_set(trial)
    assert list(data["patient_id"]) == ["T1", "T2", "T3"]
    assert list(data.columns[:3]) == ["patient_id", "arm", "site"]
    assert {"mitt", "per_protocol", "age", "death_day"} <= set(data.columns)
    assert list(data.columns[-len(trial.spec.endpoints) :]) == list(trial.spec.endpoints)
    # baseline (day 0): T1 resp 3 + cns 3; T2 cardio 4; T3 coag 3
    assert data["baseline_sofa_total"].tolist() == [6, 4, 3]
    assert data["baseline_sofa_resp"].tolist() == [3, 0, 0]
    # ΔSOFA day 7: T1 off the ventilator from day 3 (P/F 180 unsupported: 2) 5-6; T2 dead
    # (worst 24) 24-4; T3 discharged day 5 (last: 3) 0.
    assert data["delta_sofa"].tolist() == [-1, 20, 0]
    # mean days 1-7, ICU days: T1 (6+6+5*5)/7; T2 4; T3 3
    np.testing.assert_allclose(data["mean_sofa"], [37 / 7, 4, 3])
    assert data["death_d28"].tolist() == [0, 1, 0]
    assert data["vent_free_d28"].tolist() == [26, 0, 28]
    assert data["vaso_free_d28"].tolist() == [28, 0, 28]
    assert data["icu_free_d28"].tolist() == [20, 0, 23]
    assert data["sae"].tolist() == [0, 1, 0]
    # the same values as calling the rules directly
    direct = free_days(trial.daily, trial.patients, support="mech_vent", horizon=28)
    np.testing.assert_array_equal(data["vent_free_d28"], direct)


def test_analysis_set_population_filters_rows_only():
    trial = raw_trial()
    everyone = analysis_set(trial)
    primary = analysis_set(trial, population="primary")  # mitt
    pp = analysis_set(trial, population="per_protocol")
    assert primary["patient_id"].tolist() == ["T1", "T2"]
    assert pp["patient_id"].tolist() == ["T1"]
    pd.testing.assert_frame_equal(primary, everyone.iloc[:2])
    with pytest.raises(SpecError, match="no flag column"):
        analysis_set(trial, population="itt")


def test_analysis_set_combat_shine_uses_the_modified_score():
    data = analysis_set(raw_trial("combat_shine"))
    assert "baseline_sofa_cns" not in data.columns
    # T1 baseline without CNS: 3. Mean days 1-90 over ICU days: (3+3+2*5)/7
    assert data["baseline_sofa_total"].tolist() == [3, 4, 3]
    np.testing.assert_allclose(data["mean_sofa"], [16 / 7, 4, 3])
    assert data["death_d90"].tolist() == [0, 1, 0]
    assert data["vent_free_d90"].tolist() == [88, 0, 90]


def test_analysis_set_runs_a_new_spec_without_new_code():
    trial = raw_trial()
    spec = load_spec(
        {
            "trial": {"id": "x", "experimental": "iloprost", "control": "placebo"},
            "populations": {"primary": "mitt"},
            "sofa": {"exclude": ["cns", "resp"], "missing": "na"},
            "endpoints": {
                "d2": {"rule": "delta_sofa", "day": 2, "death": "last"},
                "rrt_free_7": {"rule": "free_days", "support": "rrt", "horizon": 7},
            },
        }
    )
    data = analysis_set(trial, spec)
    # four systems: T1 0 on day 2 and day 0; T2 dead on day 3, observed on day 2: 0.
    assert data["d2"].tolist() == [0, 0, 0]
    assert data["rrt_free_7"].tolist() == [7, 0, 7]
    assert "baseline_sofa_resp" not in data.columns


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        # refused when the spec is read (the spec schema knows the rules and their options)
        ({"rule": "no_such_rule"}, "rule: must be one of .* got 'no_such_rule'"),
        ({"rule": "dead_by", "horizon": 28}, r"\[endpoints.bad\] horizon: unknown key"),
        # refused when the data is derived (the column is the data's business)
        ({"rule": "free_days", "support": "ecmo"}, "ecmo"),
    ],
)
def test_analysis_set_names_the_bad_endpoint(endpoint, message):
    with pytest.raises((SpecError, DataError), match=message):
        spec = load_spec(
            {
                "trial": {"id": "x", "experimental": "iloprost", "control": "placebo"},
                "populations": {"primary": "mitt"},
                "endpoints": {"bad": endpoint},
            }
        )
        analysis_set(raw_trial(), spec)


def test_analysis_set_names_bad_rows_by_their_real_ids():
    trial = raw_trial()
    twice = Trial(
        trial.patients, pd.concat([trial.daily, trial.daily.iloc[[3]]]), trial.events, trial.spec
    )
    with pytest.raises(DataError, match="patient 'T1' has more than one row on day 3"):
        analysis_set(twice)
    stranger = trial.daily.iloc[[0]].assign(patient_id="T9")
    lost = Trial(trial.patients, pd.concat([trial.daily, stranger]), trial.events, trial.spec)
    with pytest.raises(DataError, match="T9"):
        analysis_set(lost)
    stray_event = trial.events.assign(patient_id="T8")
    with pytest.raises(DataError, match=r"events.*T8"):
        analysis_set(Trial(trial.patients, trial.daily, stray_event, trial.spec))


def test_every_shipped_endpoint_rule_exists():
    for name in ("imicro", "combat_shine"):
        spec = load_spec(name)
        assert {e["rule"] for e in spec.endpoints.values()} <= set(RULES)


# --- independent reference: base R, patient-by-patient loops (tests/R/sofa_endpoints.R) -------
# Output of `Rscript tests/R/sofa_endpoints.R` (R 4.x), 30 deterministic patients.
# fmt: off
R_DELTA_WORST_LAST = [
    -4, 3, -4, np.nan, 21, 19, 3, -4, 4, np.nan, 15, 14, np.nan, -19, np.nan, 12, -4, 9, 3,
    np.nan, 19, np.nan, -10, 4, 21, 6, -4, -13, -4, np.nan
]
R_DELTA_LAST_ZERO = [
    -4, -10, -4, np.nan, 21, 18, -10, -4, -16, np.nan, -5, 0, np.nan, -20, np.nan, -5, -4, -7,
    -20, np.nan, 9, np.nan, -15, 0, 21, -5, -4, -15, -4, np.nan
]
R_MEAN_ICU = [
    13.33333333333333, 13, 11.83333333333333, 8.75000000000000, 12, 15.50000000000000, 13, 14,
    9.33333333333333, 12.50000000000000, 14.75000000000000, np.nan, 12.71428571428571, 12,
    10.50000000000000, 12.50000000000000, 13.16666666666667, 15.20000000000000, 23, 13,
    12.50000000000000, 11.28571428571429, 14, np.nan, 11, 9.50000000000000, 9.50000000000000,
    13.66666666666667, 12.16666666666667, 12
]
R_MEAN_ALL_WORST_LAST = [
    13.33333333333333, 13, 11.83333333333333, 8, 12, 16.71428571428572, 13, 14, 17.71428571428572,
    12.50000000000000, 16.50000000000000, 24, 12.71428571428571, 4.14285714285714,
    10.50000000000000, 14.42857142857143, 13.16666666666667, 16.66666666666667, 23, 13,
    20.16666666666667, 11.28571428571429, 11.42857142857143, 24, 11, 10.57142857142857,
    9.50000000000000, 7.83333333333333, 12.16666666666667, 14
]
R_MEAN_ALL_LAST_ZERO = [
    13.33333333333333, 2.16666666666667, 11.83333333333333, 5, 12, 16.57142857142857,
    1.85714285714286, 14, 6.28571428571429, 12.50000000000000, 9.83333333333333, 10,
    12.71428571428571, 3.42857142857143, 10.50000000000000, 7.14285714285714, 13.16666666666667,
    14, 3.28571428571429, 13, 13.50000000000000, 11.28571428571429, 10, 20, 11, 2.71428571428571,
    9.50000000000000, 6.83333333333333, 12.16666666666667, 13
]
R_FREE_28 = [
    26, 28, 0, 26, 24, 0, 27, 25, 0, 24, np.nan, 0, 25, 27, 0, 26, 23, 0, 27, 24, 0, np.nan, 25,
    0, 25, 27, 0, 26, 24, 0
]
R_DEAD_28 = [
    0, 0, 1, 0, 0, 1, 0, 0, 1, 0, np.nan, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, np.nan, 0, 1, 0, 0, 1, 0,
    0, 1
]
R_OUT_OF_ICU_28 = [
    20, 25, 0, 23, 16, 0, 26, 19, 0, 17, np.nan, 0, 20, 25, 0, 23, 16, 0, 26, 19, 0, np.nan, 22,
    0, 20, 25, 0, 23, 16, 0
]
# fmt: on
# fmt: off
# fmt: on


def r_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same 30 patients as tests/R/sofa_endpoints.R, from the same integer formulas."""
    k = np.arange(1, 31)
    stay = 1 + (k * 7) % 12
    dead = k % 3 == 0
    death_day = np.where(dead, stay - 1 + k % 2, np.nan)
    last_contact = np.where(dead, death_day, np.where(k % 11 == 0, 20, 28))
    patients = pd.DataFrame(
        {
            "patient_id": k,
            "death_day": death_day,
            "icu_discharge_day": np.where(dead, np.nan, stay),
            "last_contact_day": last_contact,
        }
    )
    rows = [
        (p, d, (p * 5 + d * 3) % 25, int((p + d) % 4 < 2))
        for p, s in zip(k, stay, strict=True)
        for d in range(s)
        if (p + d) % 9 != 4 and not (d == 0 and p % 10 == 0)
    ]
    daily = pd.DataFrame(rows, columns=["patient_id", "day", "sofa_total", "mech_vent"])
    return daily, patients


def test_endpoints_match_R_loops():
    daily, patients = r_cohort()
    cases = [
        (delta_sofa(daily, patients, day=7, death="worst", discharge="last", max_score=24),
         R_DELTA_WORST_LAST),
        (delta_sofa(daily, patients, day=7, death="last", discharge="zero", max_score=24),
         R_DELTA_LAST_ZERO),
        (mean_daily_sofa(daily, patients, window=(1, 7)), R_MEAN_ICU),
        (mean_daily_sofa(daily, patients, window=(1, 7), days="all", death="worst",
                         discharge="last", max_score=24), R_MEAN_ALL_WORST_LAST),
        (mean_daily_sofa(daily, patients, window=(1, 7), days="all", death="last",
                         discharge="zero", max_score=24), R_MEAN_ALL_LAST_ZERO),
        (free_days(daily, patients, horizon=28), R_FREE_28),
        (dead_by(patients, day=28), R_DEAD_28),
        (days_alive_out_of_icu(patients, horizon=28), R_OUT_OF_ICU_28),
    ]  # fmt: skip
    for got, expected in cases:
        np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-13, err_msg=got.name)
