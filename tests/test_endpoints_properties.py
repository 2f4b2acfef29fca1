"""Properties that must hold for any input (hypothesis): ranges, monotonicity, sums, order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trialkit.endpoints import delta_sofa, free_days, mean_daily_sofa
from trialkit.sofa import COMPONENTS, sofa

# Kept small so the whole file runs in a few seconds; each property runs on fresh examples.
FEW = settings(max_examples=40, deadline=None)
# Raw daily rows are costly to draw (15 measurements a row): fewer examples.
FEWER = settings(max_examples=20, deadline=None)


def maybe(strategy: st.SearchStrategy, p_missing: bool = True) -> st.SearchStrategy:
    return st.one_of(st.just(np.nan), strategy) if p_missing else strategy


def measure(lo: float, hi: float) -> st.SearchStrategy:
    return maybe(st.floats(lo, hi, allow_nan=False))


@st.composite
def daily_rows(draw, si: bool | None = None) -> pd.DataFrame:
    """Raw daily rows for up to 4 patients, each measurement possibly missing."""
    si = draw(st.booleans()) if si is None else si
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        row = {
            "patient_id": draw(st.sampled_from("ABCD")),
            "day": i,  # unique per patient by construction
            "pao2_mmhg": draw(measure(20, 600)),
            "fio2": draw(measure(0.21, 1.0)),
            "mech_vent": draw(maybe(st.sampled_from([0, 1]))),
            "platelets_10e9_l": draw(measure(0, 600)),
            "map_mmhg": draw(measure(20, 140)),
            "norepinephrine_ug_kg_min": draw(measure(0, 2)),
            "epinephrine_ug_kg_min": draw(measure(0, 1)),
            "dopamine_ug_kg_min": draw(measure(0, 25)),
            "dobutamine_ug_kg_min": draw(measure(0, 20)),
            "gcs": draw(maybe(st.integers(3, 15))),
            "urine_ml_24h": draw(measure(0, 5000)),
        }
        if si:
            row["bilirubin_umol_l"] = draw(measure(0, 500))
            row["creatinine_umol_l"] = draw(measure(0, 1200))
        else:
            row["bilirubin_mg_dl"] = draw(measure(0, 30))
            row["creatinine_mg_dl"] = draw(measure(0, 12))
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1, random_state=draw(st.integers(0, 10**6)))


@FEWER
@given(daily_rows(), st.sampled_from(["normal", "locf", "na"]), st.booleans())
def test_total_is_the_sum_of_the_components_and_within_range(daily, missing, modified):
    exclude = ("cns",) if modified else ()
    out = sofa(daily, exclude=exclude, missing=missing)
    parts = [f"sofa_{c}" for c in COMPONENTS if c not in exclude]
    comps = out[parts].astype("Float64")
    assert comps.stack().between(0, 4).all()
    complete = comps.notna().all(axis=1)
    total = out["sofa_total"].astype("Float64")
    assert (total[complete] == comps[complete].sum(axis=1)).all()
    assert total.isna().equals(~complete)
    assert total.dropna().between(0, 4 * len(parts)).all()
    if missing != "na":
        assert complete.all()


@FEWER
@given(daily_rows(), st.sampled_from(["normal", "locf", "na"]))
def test_sofa_does_not_depend_on_row_order(daily, missing):
    shuffled = daily.sample(frac=1, random_state=1)
    a = sofa(daily, missing=missing).loc[daily.index]
    b = sofa(shuffled, missing=missing).loc[daily.index]
    pd.testing.assert_frame_equal(a, b)


@FEWER
@given(daily_rows())
def test_complete_rows_score_the_same_under_every_missing_rule(daily):
    full = daily.fillna({c: 0 for c in daily.columns if c.endswith("_ug_kg_min")})
    full = full.dropna()
    if full.empty:
        return
    scored = [sofa(full, missing=m)["sofa_total"].tolist() for m in ("normal", "locf", "na")]
    assert scored[0] == scored[1] == scored[2]


# --- endpoints ---------------------------------------------------------------------------


@st.composite
def support_cohort(draw):
    """Patients with support flags on days 0..horizon+3, some deaths and losses."""
    horizon = draw(st.integers(1, 40))
    n = draw(st.integers(1, 8))
    ids = [f"p{i}" for i in range(n)]
    death = [draw(maybe(st.integers(0, horizon + 5))) for _ in ids]
    contact = [draw(st.integers(0, horizon + 5)) for _ in ids]
    rows = []
    for pid in ids:
        for day in draw(st.sets(st.integers(0, horizon + 3), max_size=horizon + 4)):
            rows.append((pid, day, draw(maybe(st.sampled_from([0, 1])))))
    daily = pd.DataFrame(rows, columns=["patient_id", "day", "mech_vent"])
    patients = pd.DataFrame({"patient_id": ids, "death_day": death, "last_contact_day": contact})
    return daily, patients, horizon


@FEW
@given(support_cohort(), st.sampled_from([0, -1]))
def test_free_days_lie_in_range_and_deaths_get_the_death_value(cohort, death_value):
    daily, patients, horizon = cohort
    got = free_days(daily, patients, horizon=horizon, death_value=death_value).to_numpy()
    died = patients["death_day"].to_numpy(dtype=float) <= horizon
    assert (got[died] == death_value).all()
    alive = got[~died]
    alive = alive[~np.isnan(alive)]
    assert ((alive >= 0) & (alive <= horizon)).all()


@FEW
@given(support_cohort(), st.data())
def test_more_support_days_never_give_more_free_days(cohort, data):
    daily, patients, horizon = cohort
    more = daily.copy()
    switch = data.draw(st.lists(st.booleans(), min_size=len(more), max_size=len(more)))
    more.loc[np.array(switch, dtype=bool), "mech_vent"] = 1  # support added, never removed
    before = free_days(daily, patients, horizon=horizon).to_numpy()
    after = free_days(more, patients, horizon=horizon).to_numpy()
    known = ~np.isnan(before)
    assert (after[known] <= before[known]).all()


@st.composite
def score_cohort(draw):
    n = draw(st.integers(1, 6))
    ids = [f"p{i}" for i in range(n)]
    rows = [
        (pid, day, draw(maybe(st.integers(0, 24))))
        for pid in ids
        for day in draw(st.sets(st.integers(0, 10)))
    ]
    daily = pd.DataFrame(rows, columns=["patient_id", "day", "sofa_total"])
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "death_day": [draw(maybe(st.integers(0, 12))) for _ in ids],
            "icu_discharge_day": [draw(maybe(st.integers(0, 12))) for _ in ids],
        }
    )
    return daily, patients


@FEW
@given(
    score_cohort(),
    st.sampled_from(["worst", "last", "exclude"]),
    st.sampled_from(["last", "zero", "worst", "exclude"]),
)
def test_score_endpoints_stay_within_the_score_range(cohort, death, discharge):
    daily, patients = cohort
    options = {"death": death, "discharge": discharge, "max_score": 24}
    delta = delta_sofa(daily, patients, day=7, **options).dropna()
    assert delta.between(-24, 24).all()
    for days in ("icu", "all"):
        mean = mean_daily_sofa(daily, patients, window=(1, 7), days=days, **options).dropna()
        assert mean.between(0, 24).all()


@FEW
@given(score_cohort())
def test_worst_death_rule_never_scores_below_last(cohort):
    daily, patients = cohort
    worst = delta_sofa(daily, patients, death="worst", max_score=24)
    last = delta_sofa(daily, patients, death="last", max_score=24)
    both = worst.notna() & last.notna()
    assert (worst[both] >= last[both]).all()
