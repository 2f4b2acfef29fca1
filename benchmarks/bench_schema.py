"""Benchmark: ``load_trial`` on 10^6 daily rows (50,000 patients x 20 ICU days).

Writes a valid synthetic folder to a temporary directory, then times reading + every check
(valid folder), and the same folder with 1% or all of the FiO2 cells given in percent (the
error path, where pandera collects every failure case and trialkit builds the messages).
Prints a table; no assertion. Run: ``.venv/bin/python benchmarks/bench_schema.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

N_PATIENTS, N_DAYS = 50_000, 20
REPEATS = 2


def write_folder(root: Path, rng: np.random.Generator, *, percent_fio2: float = 0.0) -> None:
    """A valid folder; ``percent_fio2`` is the share of FiO2 cells written in percent."""
    ids = np.array([f"P{i:06d}" for i in range(N_PATIENTS)])
    pd.DataFrame(
        {
            "patient_id": ids,
            "site": rng.choice(list("ABCDEF"), N_PATIENTS),
            "arm": rng.choice(["iloprost", "placebo"], N_PATIENTS),
            "randomized": "2021-03-02",
            "mitt": 1,
            "per_protocol": 1,
            "exclusion_reason": "",
            "age": rng.integers(18, 95, N_PATIENTS),
            "sex": rng.choice(["F", "M"], N_PATIENTS),
            "weight_kg": rng.normal(78, 15, N_PATIENTS).clip(40, 200).round(1),
            "lactate_mmol_l": rng.gamma(3, 1.2, N_PATIENTS).clip(0, 39).round(1),
            "death_day": "",
            "icu_discharge_day": N_DAYS,
            "last_contact_day": 90,
            "withdrawn": 0,
            "withdrawal_reason": "",
        }
    ).to_csv(root / "patients.csv", index=False)
    n = N_PATIENTS * N_DAYS
    fio2 = rng.uniform(0.21, 1, n).round(2)
    fio2[rng.random(n) < percent_fio2] *= 100
    norepinephrine = rng.exponential(0.2, n).clip(0, 4).round(2) * (rng.random(n) < 0.6)
    pd.DataFrame(
        {
            "patient_id": np.repeat(ids, N_DAYS),
            "day": np.tile(np.arange(N_DAYS), N_PATIENTS),
            "pao2_mmhg": rng.uniform(40, 400, n).round(),
            "fio2": fio2,
            "mech_vent": rng.integers(0, 2, n),
            "platelets_10e9_l": rng.uniform(5, 500, n).round(),
            "bilirubin_mg_dl": rng.gamma(2, 1, n).clip(0, 50).round(1),
            "map_mmhg": rng.uniform(40, 110, n).round(),
            "norepinephrine_ug_kg_min": norepinephrine,
            "epinephrine_ug_kg_min": 0.0,
            "dopamine_ug_kg_min": 0.0,
            "dobutamine_ug_kg_min": 0.0,
            "gcs": rng.integers(3, 16, n),
            "creatinine_mg_dl": rng.gamma(2, 0.8, n).clip(0, 20).round(2),
            "urine_ml_24h": rng.uniform(0, 4000, n).round(),
            "rrt": rng.integers(0, 2, n),
            "vasopressor": (norepinephrine > 0).astype(int),
        }
    ).to_csv(root / "daily.csv", index=False)
    pd.DataFrame(
        {
            "patient_id": ids[:5000],
            "day": rng.integers(0, N_DAYS, 5000),
            "term": "Bleeding",
            "serious": rng.integers(0, 2, 5000),
            "related": rng.integers(0, 2, 5000),
        }
    ).to_csv(root / "events.csv", index=False)


_MEASURE = """
import resource, sys, time
from trialkit.schema import DataError, load_trial
start, cpu = time.perf_counter(), time.process_time()
try:
    outcome = f"{len(load_trial(sys.argv[1], spec='imicro').daily):,} daily rows loaded"
except DataError as exc:
    outcome = f"{len(exc.problems)} problem(s) reported"
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{seconds:.2f}|{cpu:.2f}|{peak:.0f}|{outcome}")
"""


def main() -> None:
    rng = np.random.default_rng(20261123)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = (("valid folder", 0.0), ("1% FiO2 in percent", 0.01), ("all FiO2 in percent", 1.0))
        for i, (label, share) in enumerate(cases):
            root = Path(tmp) / f"case{i}"
            root.mkdir()
            write_folder(root, rng, percent_fio2=share)
            for _ in range(REPEATS):
                # A fresh process per run: its peak memory is load_trial's, not the writer's.
                res = subprocess.run(
                    [sys.executable, "-c", _MEASURE, str(root)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                seconds, cpu, peak, outcome = res.stdout.strip().split("|")
                rows.append((label, float(seconds), float(cpu), float(peak), outcome))
    print(f"load_trial, {N_PATIENTS:,} patients x {N_DAYS} days = {N_PATIENTS * N_DAYS:,} rows")
    print("(wall-clock seconds vary with other load on the machine; CPU seconds less so)")
    print(f"{'case':<22}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}  outcome")
    for label, seconds, cpu, peak, outcome in rows:
        print(f"{label:<22}{seconds:>8.2f}{cpu:>8.2f}{peak:>9.0f}  {outcome}")


if __name__ == "__main__":
    main()
