"""SOFA and every I-MICRO endpoint on ~1,000,000 patient-days: time and peak memory.

Generates ~50,000 patients with ICU stays of 1-39 days (mean 20: about 10^6 patient-days),
runs :func:`trialkit.endpoints.analysis_set` with the I-MICRO spec (daily SOFA, ΔSOFA, mean
daily SOFA, free days x3, death, days out of ICU, SAE), and beside it a naive per-patient
``groupby().apply`` of the same rules written row by row in Python. The naive version is run
on a subsample and scaled up linearly (it is far too slow for the full set); the two are also
checked to agree on that subsample. Prints a table; asserts nothing about time.

Run: ``.venv/bin/python benchmarks/bench_endpoints.py [n_patients]``
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from trialkit.endpoints import analysis_set
from trialkit.schema import Trial
from trialkit.sofa import sofa
from trialkit.spec import load_spec

SEED = 20260101


def generate(n_patients: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic patients, daily rows and events with the columns of the data model."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n_patients)
    stay = rng.integers(1, 40, n_patients)  # ICU days 0..stay-1
    dies = rng.random(n_patients) < 0.4
    death_day = np.where(dies, stay - 1 + rng.integers(0, 3, n_patients), np.nan)
    discharge = np.where(dies & (death_day == stay - 1), np.nan, stay - 1)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "arm": np.where(rng.random(n_patients) < 0.5, "iloprost", "placebo"),
            "site": rng.integers(1, 20, n_patients).astype(str),
            "mitt": (rng.random(n_patients) < 0.98).astype(int),
            "per_protocol": (rng.random(n_patients) < 0.9).astype(int),
            "age": rng.normal(65, 12, n_patients).round(),
            "death_day": death_day,
            "icu_discharge_day": discharge,
            "last_contact_day": np.where(dies, death_day, 28),
        }
    )
    pid = np.repeat(ids, stay)
    day = np.arange(len(pid)) - np.repeat(np.cumsum(stay) - stay, stay)
    n = len(pid)

    def drug(p_given: float, scale: float) -> np.ndarray:
        dose = rng.exponential(scale, n).clip(0, 8 * scale)
        return np.where(rng.random(n) < p_given, dose, 0.0).round(3)

    def gappy(x: np.ndarray) -> np.ndarray:
        return np.where(rng.random(n) < 0.05, np.nan, x)

    daily = pd.DataFrame(
        {
            "patient_id": pid,
            "day": day,
            "pao2_mmhg": gappy(rng.uniform(50, 300, n).round(1)),
            "fio2": gappy(rng.uniform(0.21, 1.0, n).round(2)),
            "mech_vent": (rng.random(n) < 0.5).astype(int),
            "platelets_10e9_l": gappy(rng.uniform(5, 400, n).round()),
            "bilirubin_mg_dl": gappy(rng.lognormal(0.2, 0.9, n).clip(0.1, 50).round(1)),
            "map_mmhg": gappy(rng.normal(72, 10, n).round()),
            "norepinephrine_ug_kg_min": drug(0.6, 0.15),
            "epinephrine_ug_kg_min": drug(0.1, 0.1),
            "dopamine_ug_kg_min": drug(0.05, 6.0),
            "dobutamine_ug_kg_min": drug(0.1, 4.0),
            "gcs": gappy(rng.integers(3, 16, n).astype(float)),
            "creatinine_mg_dl": gappy(rng.lognormal(0.3, 0.6, n).clip(0.2, 20).round(2)),
            "urine_ml_24h": gappy(rng.uniform(50, 3000, n).round()),
            "rrt": (rng.random(n) < 0.15).astype(int),
            "vasopressor": (rng.random(n) < 0.6).astype(int),
        }
    )
    n_events = n_patients // 3
    events = pd.DataFrame(
        {
            "patient_id": rng.integers(0, n_patients, n_events),
            "day": rng.integers(0, 35, n_events),
            "term": "event",
            "serious": (rng.random(n_events) < 0.5).astype(int),
            "related": (rng.random(n_events) < 0.3).astype(int),
        }
    )
    return patients, daily, events


# --- the naive version: one patient at a time, one row at a time --------------------------


def _naive_sofa_row(r: pd.Series) -> int:
    def up(x, cuts):
        return 0 if pd.isna(x) else sum(x >= c for c in cuts)

    def down(x, cuts):
        return 0 if pd.isna(x) else sum(x < c for c in cuts)

    pf = round(r.pao2_mmhg / r.fio2, 6) if not (pd.isna(r.pao2_mmhg) or pd.isna(r.fio2)) else None
    resp = down(pf, (400, 300, 200, 100)) if pf is not None else 0
    if r.mech_vent != 1:
        resp = min(resp, 2)
    ne, epi, dopa, dobu = (
        0.0 if pd.isna(v) else v
        for v in (
            r.norepinephrine_ug_kg_min,
            r.epinephrine_ug_kg_min,
            r.dopamine_ug_kg_min,
            r.dobutamine_ug_kg_min,
        )
    )
    if dopa > 15 or epi > 0.1 or ne > 0.1:
        cardio = 4
    elif dopa > 5 or epi > 0 or ne > 0:
        cardio = 3
    elif dopa > 0 or dobu > 0:
        cardio = 2
    elif not pd.isna(r.map_mmhg) and r.map_mmhg < 70:
        cardio = 1
    else:
        cardio = 0
    urine = (
        0
        if pd.isna(r.urine_ml_24h)
        else (4 if r.urine_ml_24h < 200 else 3 * (r.urine_ml_24h < 500))
    )
    return (
        resp
        + down(r.platelets_10e9_l, (150, 100, 50, 20))
        + up(r.bilirubin_mg_dl, (1.2, 2.0, 6.0, 12.0))
        + cardio
        + down(r.gcs, (15, 13, 10, 6))
        + max(up(r.creatinine_mg_dl, (1.2, 2.0, 3.5, 5.0)), urine)
    )


def _naive_patient(g: pd.DataFrame, p: pd.Series, sae: set) -> pd.Series:
    g = g.sort_values("day")
    score = dict(zip(g["day"], g.apply(_naive_sofa_row, axis=1), strict=True))
    dead_by = lambda d: not pd.isna(p.death_day) and p.death_day <= d  # noqa: E731

    def on_day(d):
        if d in score:
            return score[d]
        if dead_by(d):
            return 24
        if not pd.isna(p.icu_discharge_day) and p.icu_discharge_day <= d:
            earlier = [score[k] for k in score if k <= d]
            return earlier[-1] if earlier else np.nan
        return np.nan

    icu = [score[d] for d in range(1, 8) if d in score]

    def free(col):
        if dead_by(28):
            return 0
        return 28 - sum(1 for d, v in zip(g["day"], g[col], strict=True) if 1 <= d <= 28 and v == 1)

    out = (
        0
        if dead_by(28)
        else 28 - min(max(p.icu_discharge_day, 0), 28)
        if not pd.isna(p.icu_discharge_day)
        else 0
    )
    return pd.Series(
        {
            "delta_sofa": on_day(7) - score.get(0, np.nan),
            "mean_sofa": np.mean(icu) if icu else np.nan,
            "death_d28": float(dead_by(28)),
            "vent_free_d28": free("mech_vent"),
            "vaso_free_d28": free("vasopressor"),
            "rrt_free_d28": free("rrt"),
            "icu_free_d28": out,
            "sae": float(p.patient_id in sae),
        }
    )


def naive(patients: pd.DataFrame, daily: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    sae = set(events.loc[(events.serious == 1) & events.day.between(0, 28), "patient_id"])
    by_id = patients.set_index("patient_id", drop=False)
    return daily.groupby("patient_id").apply(
        lambda g: _naive_patient(g, by_id.loc[g.name], sae), include_groups=False
    )


# --- measurement ----------------------------------------------------------------------------


def timed(f, repeat: int = 3):
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the result.

    CPU time is shown too because the machine is shared: wall time grows with the load.
    """
    wall, cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = f()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return (wall, cpu), result


def peak_mb(f) -> float:
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(n_patients: int = 50_000, n_naive: int = 500) -> None:
    spec = load_spec("imicro")
    patients, daily, events = generate(n_patients)
    trial = Trial(patients=patients, daily=daily, events=events, spec=spec)
    input_mb = (
        daily.memory_usage(deep=True).sum() + patients.memory_usage(deep=True).sum()
    ) / 2**20

    t_sofa, _ = timed(lambda: sofa(daily))
    t_all, data = timed(lambda: analysis_set(trial))
    mem_sofa = peak_mb(lambda: sofa(daily))
    mem_all = peak_mb(lambda: analysis_set(trial))

    sub_ids = patients["patient_id"].iloc[:n_naive]
    sub_p = patients[patients.patient_id.isin(sub_ids)]
    sub_d = daily[daily.patient_id.isin(sub_ids)]
    sub_e = events[events.patient_id.isin(sub_ids)]
    t_naive_sub, slow = timed(lambda: naive(sub_p, sub_d, sub_e), repeat=1)
    scale = len(daily) / len(sub_d)
    fast = data.set_index("patient_id").loc[slow.index, slow.columns]
    agree = np.allclose(fast.to_numpy(float), slow.to_numpy(float), equal_nan=True)

    naive_wall, naive_cpu = (t * scale for t in t_naive_sub)
    rows = [
        ("sofa() only", len(daily), *t_sofa, mem_sofa, ""),
        ("analysis_set(), I-MICRO spec", len(daily), *t_all, mem_all, ""),
        (
            "naive groupby-apply",
            len(daily),
            naive_wall,
            naive_cpu,
            np.nan,
            f"{n_naive} patients ({len(sub_d):,} rows) x {scale:.0f}",
        ),
    ]
    columns = ["what", "patient_days", "wall_s", "cpu_s", "peak_MB", "note"]
    table = pd.DataFrame(rows, columns=columns)
    print(f"{n_patients:,} patients, {len(daily):,} patient-days; inputs {input_mb:.0f} MB")
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    print(f"speed-up over naive (CPU time): {naive_cpu / t_all[1]:,.0f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # kB on Linux
    print(
        f"peak_MB: allocated during the call (tracemalloc), inputs excluded; "
        f"process max RSS {rss:,.0f} MB"
    )
    print(f"vectorized and naive agree on the subsample: {agree}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
