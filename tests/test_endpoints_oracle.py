"""The vectorized endpoint rules against a day-by-day oracle written from their docstrings.

trialkit.endpoints reduces daily rows per patient without a patients x days grid (counts of
the days a death or discharge rule fills, last scores carried over interval overlaps); the
oracle below walks each patient's days one at a time, as the docstrings state the rules.
Hypothesis draws small cohorts with gaps, missing scores, deaths and discharges before,
inside and after the window, in any row order.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trialkit.endpoints import delta_sofa, free_days, mean_daily_sofa

WORST = 24.0
SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def cohort(draw):
    n = draw(st.integers(1, 5))
    ids = [f"p{i}" for i in range(n)]
    maybe_day = st.one_of(st.none(), st.integers(0, 14))
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "death_day": [draw(maybe_day) for _ in ids],
            "icu_discharge_day": [draw(maybe_day) for _ in ids],
        },
        dtype=object,
    )
    patients["death_day"] = pd.to_numeric(patients["death_day"])
    patients["icu_discharge_day"] = pd.to_numeric(patients["icu_discharge_day"])
    rows = []
    for pid in ids:
        for day in sorted(draw(st.sets(st.integers(0, 12), max_size=10))):
            score = draw(st.one_of(st.just(math.nan), st.integers(0, 24).map(float)))
            rows.append((pid, day, score, draw(st.sampled_from([0, 1, math.nan]))))
    daily = pd.DataFrame(rows, columns=["patient_id", "day", "sofa_total", "mech_vent"])
    daily = daily.sample(frac=1, random_state=draw(st.integers(0, 1000))).reset_index(drop=True)
    return daily, patients


def _scores(daily, pid):
    d = daily[daily.patient_id == pid]
    return {int(k): v for k, v in zip(d.day, d.sofa_total, strict=True) if not math.isnan(v)}


def _day_value(scores, p, d, death, discharge):
    """The docstring's S_d: observed, else the death rule, else the discharge rule, else None."""
    if d in scores:
        return scores[d]
    dead = not math.isnan(p.death_day) and p.death_day <= d
    gone = not dead and not math.isnan(p.icu_discharge_day) and p.icu_discharge_day <= d
    if not (dead or gone):
        return None  # alive, in ICU, no score: not imputed
    rule = death if dead else discharge
    if rule == "exclude":
        return "exclude"
    if rule == "worst":
        return WORST
    if rule == "zero":
        return 0.0
    earlier = [scores[k] for k in sorted(scores) if k <= d]
    return earlier[-1] if earlier else None  # "last"


def oracle_mean(daily, patients, window, days, death, discharge):
    out = []
    for p in patients.itertuples():
        scores = _scores(daily, p.patient_id)
        values = []
        for d in range(window[0], window[1] + 1):
            v = scores.get(d) if days == "icu" else _day_value(scores, p, d, death, discharge)
            values.append(v)
        if "exclude" in values:
            out.append(math.nan)
            continue
        kept = [v for v in values if v is not None]
        out.append(sum(kept) / len(kept) if kept else math.nan)
    return out


def oracle_delta(daily, patients, day, baseline_day, death, discharge):
    out = []
    for p in patients.itertuples():
        scores = _scores(daily, p.patient_id)
        v = _day_value(scores, p, day, death, discharge)
        base = scores.get(baseline_day, math.nan)
        out.append(math.nan if v in (None, "exclude") else v - base)
    return out


rules = st.tuples(
    st.sampled_from(["worst", "last", "exclude"]),
    st.sampled_from(["last", "zero", "worst", "exclude"]),
)


@SETTINGS
@given(cohort(), st.integers(0, 12), st.integers(0, 12), st.sampled_from(["icu", "all"]), rules)
def test_mean_daily_sofa_matches_the_day_by_day_oracle(data, a, b, days, rule):
    daily, patients = data
    window = (min(a, b), max(a, b))
    got = mean_daily_sofa(
        daily,
        patients,
        window=window,
        days=days,
        death=rule[0],
        discharge=rule[1],
        max_score=WORST,
    )
    expected = oracle_mean(daily, patients, window, days, *rule)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-12)


@SETTINGS
@given(cohort(), st.integers(0, 12), st.integers(0, 12), rules)
def test_delta_sofa_matches_the_day_by_day_oracle(data, day, baseline_day, rule):
    daily, patients = data
    got = delta_sofa(
        daily,
        patients,
        day=day,
        baseline_day=baseline_day,
        death=rule[0],
        discharge=rule[1],
        max_score=WORST,
    )
    expected = oracle_delta(daily, patients, day, baseline_day, *rule)
    np.testing.assert_array_equal(got.to_numpy(), expected)


@SETTINGS
@given(cohort(), st.integers(1, 14))
def test_free_days_matches_the_day_by_day_oracle(data, horizon):
    daily, patients = data
    daily = pd.concat([daily, daily.iloc[:2]], ignore_index=True)  # a day recorded twice
    got = free_days(daily, patients, support="mech_vent", horizon=horizon)
    expected = []
    for p in patients.itertuples():
        d = daily[daily.patient_id == p.patient_id]
        on = {int(k) for k, f in zip(d.day, d.mech_vent, strict=True) if f == 1}
        dead = not math.isnan(p.death_day) and p.death_day <= horizon
        expected.append(0.0 if dead else horizon - len(on & set(range(1, horizon + 1))))
    np.testing.assert_array_equal(got.to_numpy(), expected)
