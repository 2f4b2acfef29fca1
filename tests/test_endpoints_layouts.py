"""analysis_set and sofa give the same answer whatever the daily table's layout.

The fast paths of trialkit.patient_days and trialkit.sofa (ids looked up once per run or per
category, rows walked in blocks of whole patients, columns read without copying) must not
change a single value: ids as text, categories or Arrow strings; rows shuffled; one pandas
block per column or one for all; days as nullable or plain integers; blocks cut after every
few rows.  Reference: the same call on the bundled I-MICRO data as load_trial reads it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import trialkit.patient_days as patient_days
from trialkit.endpoints import analysis_set
from trialkit.resources import bundled_data
from trialkit.schema import DataError, load_trial
from trialkit.sofa import sofa


@pytest.fixture(scope="module")
def trial():
    return load_trial(bundled_data("imicro"))


@pytest.fixture(scope="module")
def reference(trial):
    return analysis_set(trial)


def _fragmented(frame: pd.DataFrame) -> pd.DataFrame:
    """The same table with one pandas block per column (as pandas' concat and assign leave)."""
    out = pd.DataFrame({c: frame[c].array.copy() for c in frame.columns}, copy=False)
    assert out._mgr.nblocks == frame.shape[1]
    return out


LAYOUTS = {
    "category ids": lambda d: d.assign(patient_id=d["patient_id"].astype("category")),
    "arrow ids": lambda d: d.assign(patient_id=d["patient_id"].astype("string[pyarrow]")),
    "shuffled rows": lambda d: d.sample(frac=1, random_state=3),
    "one block per column": _fragmented,
    "plain int days": lambda d: d.assign(day=d["day"].astype(np.int64)),
    "float days": lambda d: d.assign(day=d["day"].astype(float)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_analysis_set_does_not_depend_on_the_daily_layout(trial, reference, layout):
    daily = LAYOUTS[layout](trial.daily)
    pd.testing.assert_frame_equal(analysis_set(replace(trial, daily=daily)), reference)


@pytest.mark.parametrize("missing", ["normal", "locf", "na"])
def test_blocks_cut_anywhere_give_the_same_endpoints(trial, monkeypatch, missing):
    spec = replace(trial.spec, sofa={**trial.spec.sofa, "missing": missing})
    expected = analysis_set(trial, spec)
    monkeypatch.setattr(patient_days, "BLOCK", 7)
    shuffled = replace(trial, daily=trial.daily.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(analysis_set(shuffled, spec), expected)


def test_sofa_returns_a_copy_and_leaves_its_input_alone(trial):
    daily = _fragmented(trial.daily)
    before = daily.copy()
    out = sofa(daily)
    pd.testing.assert_frame_equal(daily, before)
    pd.testing.assert_frame_equal(out, sofa(trial.daily))
    out.loc[out.index[0], "pao2_mmhg"] = -1.0
    out.loc[out.index[0], "sofa_total"] = 99
    pd.testing.assert_frame_equal(daily, before)
    assert not np.shares_memory(out["gcs"].to_numpy(), daily["gcs"].to_numpy())


def test_a_repeated_patient_day_is_named_in_any_row_order(trial):
    daily = trial.daily
    twice = pd.concat([daily, daily.iloc[[5]]], ignore_index=True)
    pid, day = daily["patient_id"].iloc[5], daily["day"].iloc[5]
    for rows in (twice, twice.sample(frac=1, random_state=2)):
        with pytest.raises(DataError, match=f"patient '{pid}' has more than one row on day {day}"):
            analysis_set(replace(trial, daily=rows))
