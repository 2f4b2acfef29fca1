"""The descriptive tables and figures of the notebooks on 10^6 patients: wall time.

Each function of :mod:`trialkit.tables` and the data preparation of :mod:`trialkit.plots`
runs on a synthetic two-arm population of ``n`` patients (default 10^6; events 10^6;
daily rows for days 0-7 of every patient). Figures are drawn with the Agg backend and not
saved. Prints a table; asserts nothing about time.

Run: ``.venv/bin/python benchmarks/bench_tables_plots.py [n_patients]``
"""

from __future__ import annotations

import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trialkit import plots, tables

ARMS = ("iloprost", "placebo")
SEED = 20251123


def population(n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    dead = rng.random(n) < 0.4
    death_day = np.where(dead, rng.integers(0, 28, n), np.nan)
    patients = pd.DataFrame(
        {
            "patient_id": np.arange(n),
            "arm": np.where(rng.random(n) < 0.5, *ARMS),
            "mitt": (rng.random(n) < 0.98).astype(int),
            "exclusion_reason": "",
            "age": rng.normal(65, 12, n).round(),
            "sex": np.where(rng.random(n) < 0.6, "M", "F"),
            "lactate_mmol_l": rng.gamma(3, 1.5, n).round(1),
            "delta_sofa": np.where(dead, 24, rng.integers(-12, 8, n)) - rng.integers(6, 18, n),
            "death_d28": dead.astype(int),
            "vent_free_d28": np.where(dead, 0, rng.integers(0, 29, n)),
            "death_day": death_day,
            "icu_discharge_day": np.where(dead, np.nan, rng.integers(2, 20, n)),
        }
    )
    patients.loc[patients["mitt"] == 0, "exclusion_reason"] = "consent withdrawn"
    days = np.tile(np.arange(8), n)
    pid = np.repeat(patients["patient_id"].to_numpy(), 8)
    alive = ~(np.repeat(death_day, 8) <= days)
    daily = pd.DataFrame(
        {
            "patient_id": pid[alive],
            "day": days[alive],
            "sofa_total": rng.integers(0, 20, alive.sum()),
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": rng.integers(0, n, n),
            "day": rng.integers(0, 35, n),
            "term": rng.choice(["bleeding", "arrhythmia", "hypotension", "ischaemia"], n),
            "serious": (rng.random(n) < 0.3).astype(int),
        }
    )
    return patients, daily, events


def timed(label: str, fn, rows: int) -> dict:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    plt.close("all")
    return {"step": label, "rows": rows, "seconds": round(seconds, 2)}


def main(n: int) -> None:
    patients, daily, events = population(n)
    mitt = patients[patients["mitt"] == 1]
    steps = [
        ("consort_counts", lambda: tables.consort_counts(patients, analysed="mitt", arms=ARMS), n),
        (
            "median_iqr_by_arm",
            lambda: tables.median_iqr_by_arm(mitt, "delta_sofa", arms=ARMS),
            len(mitt),
        ),
        ("n_percent_by_arm", lambda: tables.n_percent_by_arm(mitt, "death_d28", arms=ARMS), n),
        (
            "table_one (3 variables)",
            lambda: tables.table_one(
                mitt,
                ["age", "sex", "lactate_mmol_l"],
                arms=ARMS,
                categorical=["sex"],
                nonnormal=["lactate_mmol_l"],
            ),
            len(mitt),
        ),
        ("events_by_term", lambda: tables.events_by_term(events, mitt, arms=ARMS), len(events)),
        ("plots.daily_status (days 0-7)", lambda: plots.daily_status(daily, mitt), len(daily)),
        (
            "plots.daily_sofa_by_arm",
            lambda: plots.daily_sofa_by_arm(daily, mitt, arms=ARMS),
            len(daily),
        ),
        (
            "plots.free_days_distribution",
            lambda: plots.free_days_distribution(
                mitt, "vent_free_d28", arms=ARMS, dead="death_d28"
            ),
            len(mitt),
        ),
    ]
    table = pd.DataFrame([timed(*s) for s in steps])
    print(f"trialkit tables and figures, {n:,} patients (wall time, one run)")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
