"""SOFA-2's rules across a patient's days against a brute-force oracle.

The oracle reads footnotes c and q of the SOFA-2 table (Ranzani et al., JAMA 2025;
``shared/reference/sofa2.md``) one patient at a time, in plain Python loops over the days:

* sedation, ``sedation="last_gcs"`` (footnote c): on a sedated day the brain scores the GCS
  band of the patient's latest earlier day that was not sedated and had a GCS (or, where
  the GCS is missing, the best motor response); 0 if there is none; a delirium drug that
  day scores at least 1;
* intermittent RRT (footnote q): ``"bridge"``, a day without RRT scores 4 when the
  patient's RRT days before and after it are at most ``rrt_gap_days`` days apart (day
  numbers, not rows: a missing day counts); ``"carry"``, a day without RRT scores 4 when
  the patient's latest earlier RRT day is at most ``rrt_gap_days`` days before it.

The tables are random (seeded): many patients, rows shuffled, days missing, so that the
vectorised rules' row order, patient boundaries and day gaps are all exercised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_sofa2 import NORMAL  # tests/ is on sys.path (pytest rootdir, no package)

from trialkit.sofa import sofa
from trialkit.sofa.sofa2 import GCS_CUTS, GCS_MOTOR_CUTS


def _band(x: float, cuts: tuple[float, ...]) -> int:
    return sum(x < c for c in cuts)


def _table(seed: int, patients: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(patients):
        n = int(rng.integers(1, 15))
        # Days with gaps: each patient's day numbers rise by 1-3.
        day_numbers = np.cumsum(rng.integers(1, 4, n)) - 1
        for d in day_numbers:
            gcs = float(rng.integers(3, 16)) if rng.random() < 0.8 else np.nan
            motor = float(rng.integers(1, 7)) if rng.random() < 0.5 else np.nan
            rows.append({
                **NORMAL,
                "patient_id": f"P{p:04d}",
                "day": int(d),
                "gcs": gcs,
                "gcs_motor": motor,
                "sedated": int(rng.random() < 0.35),
                "delirium_drug": int(rng.random() < 0.1),
                "rrt": int(rng.random() < 0.25),
                "rrt_nonrenal": int(rng.random() < 0.05),
            })  # fmt: skip
    table = pd.DataFrame(rows)
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _brain_oracle(table: pd.DataFrame) -> pd.Series:
    out = pd.Series(0, index=table.index)
    for _, rows in table.groupby("patient_id"):
        last = None  # the band of the latest non-sedated day with a GCS or motor response
        for i, r in rows.sort_values("day").iterrows():
            own = None
            if not np.isnan(r.gcs):
                own = _band(r.gcs, GCS_CUTS)
            elif not np.isnan(r.gcs_motor):
                own = _band(r.gcs_motor, GCS_MOTOR_CUTS)
            if r.sedated == 1:
                score = 0 if last is None else last
            else:
                score = 0 if own is None else own
                if own is not None:
                    last = own
            out[i] = max(score, int(r.delirium_drug == 1))
    return out


def _kidney_oracle(table: pd.DataFrame, reading: str, gap: int) -> pd.Series:
    out = pd.Series(0, index=table.index)
    for _, rows in table.groupby("patient_id"):
        rows = rows.sort_values("day")
        on = (rows.rrt == 1) & (rows.rrt_nonrenal != 1)
        on_days = rows.day[on].tolist()
        for i, r in rows.iterrows():
            if on[i]:
                out[i] = 4
                continue
            before = [d for d in on_days if d <= r.day]
            after = [d for d in on_days if d >= r.day]
            if reading == "carry":
                hit = bool(before) and r.day - before[-1] <= gap
            else:
                hit = bool(before) and bool(after) and after[0] - before[-1] - 1 <= gap
            out[i] = 4 if hit else 0
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sedation_last_gcs_matches_the_brute_force_oracle(seed):
    table = _table(seed)
    got = sofa(table, version="sofa2")["sofa_cns"].astype(int)
    pd.testing.assert_series_equal(got, _brain_oracle(table), check_names=False)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("reading", ["bridge", "carry"])
@pytest.mark.parametrize("gap", [0, 1, 2, 4])
def test_intermittent_rrt_matches_the_brute_force_oracle(seed, reading, gap):
    table = _table(seed)
    got = sofa(table, version="sofa2", intermittent_rrt=reading, rrt_gap_days=gap)
    pd.testing.assert_series_equal(
        got["sofa_renal"].astype(int), _kidney_oracle(table, reading, gap), check_names=False
    )


def test_sorted_and_shuffled_tables_score_alike():
    table = _table(4)
    ordered = table.sort_values(["patient_id", "day"]).reset_index(drop=True)
    a = sofa(table, version="sofa2").sort_values(["patient_id", "day"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, sofa(ordered, version="sofa2"))
