"""SOFA and every I-MICRO endpoint on 10^5, 10^6 and 10^7 patient-days: time, memory, scaling.

Data: the I-MICRO twin (:func:`trialkit.simulate.twin`, ``condition=False``) of ~13,000
patients (~10^5 patient-days), tiled into new patients (ids prefixed by the copy number, so
they stay sorted as in a written file) to 10^6 and 10^7 patient-days: the frames
:func:`trialkit.schema.load_trial` returns for such a folder, consolidated blocks.

Rows, per size (CPU seconds are the median of the repeats; the machine is shared):

* ``sofa()``: the daily SOFA frame (a copy of the table plus seven columns);
* ``daily.copy()``: the peer for ``sofa()``, copying the table and nothing else;
* ``analysis_set()``: every endpoint of the I-MICRO spec (daily SOFA, delta SOFA, mean daily
  SOFA, three free-days counts, death, days out of ICU, serious adverse events);
* ``naive groupby-apply``: the same rules written patient by patient, row by row, timed on
  500 patients and scaled to the size (the two are checked to agree on those patients).

``extra_x`` is the peak memory allocated during the call (tracemalloc, which numpy reports
to) over the daily table's own size.  The last lines fit the scaling exponent ``b`` of
``time ~ rows^b`` from 10^6 to 10^7 rows and over all sizes.  Prints tables; asserts nothing.

README row (``benchmarks/_readme.py``, key ``20-endpoints``): ``analysis_set()`` at the
largest size measured (CPU seconds, extra memory over the table) and its scaling exponent
over all sizes, beside the naive groupby-apply scaled to that size (the ratio is naive over
``analysis_set``; the row says so if the two disagreed on the subsample).

Run: ``.venv/bin/python benchmarks/bench_endpoints.py [--max-rows 10000000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import gc
import time
from dataclasses import replace

import numpy as np
import pandas as pd
from _measure import peak_mb  # benchmarks/_measure.py (scripts run from this folder)
from _readme import multiple, ratio, row, scaling, seconds, size

from trialkit.endpoints import analysis_set
from trialkit.schema import Trial
from trialkit.simulate import twin
from trialkit.sofa import sofa

SEED = 20260101
BASE_PATIENTS = 6600  # per arm: about 10^5 patient-days


def tiled(base: Trial, copies: int) -> Trial:
    """``copies`` copies of a trial's patients, each copy new patients (ids prefixed)."""

    def renamed(frame: pd.DataFrame, k: int) -> pd.DataFrame:
        frame = frame.copy()
        frame["patient_id"] = f"{k:04d}-" + frame["patient_id"].astype(str)
        return frame

    def stack(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([renamed(frame, k) for k in range(copies)], ignore_index=True)

    return replace(
        base, patients=stack(base.patients), daily=stack(base.daily), events=stack(base.events)
    )


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


def cpu_seconds(f, repeats: int) -> tuple[float, float, object]:
    """Median CPU and wall seconds of ``repeats`` runs, and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        result = f()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall)), result


def naive_seconds(trial: Trial, fast: pd.DataFrame, n_patients: int = 500) -> tuple[float, bool]:
    """CPU seconds of the naive rules on ``n_patients`` patients, and whether they agree."""
    ids = trial.patients["patient_id"].iloc[:n_patients]
    sub_p = trial.patients[trial.patients.patient_id.isin(ids)]
    sub_d = trial.daily[trial.daily.patient_id.isin(ids)]
    sub_e = trial.events[trial.events.patient_id.isin(ids)]
    c0 = time.process_time()
    slow = naive(sub_p, sub_d, sub_e)
    seconds = time.process_time() - c0
    got = fast.set_index("patient_id").loc[slow.index, slow.columns]
    agree = np.allclose(got.to_numpy(float), slow.to_numpy(float), equal_nan=True)
    return seconds * len(trial.daily) / len(sub_d), agree


def exponent(rows: list[int], seconds: list[float]) -> float:
    return float(np.polyfit(np.log(rows), np.log(seconds), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-rows", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    base = twin("imicro", SEED, randomized=(BASE_PATIENTS, BASE_PATIENTS), condition=False)
    copies = [k for k in (1, 10, 100) if k * len(base.daily) <= args.max_rows * 1.05]
    results = []
    agree_all = True
    for k in copies:
        trial = tiled(base, k)
        daily = trial.daily
        rows = len(daily)
        table_mb = daily.memory_usage(deep=True).sum() / 2**20
        repeats = args.repeats if k < 100 else max(1, args.repeats - 1)
        runs = {
            "sofa()": lambda trial=trial: sofa(trial.daily),
            "daily.copy() (peer)": lambda trial=trial: trial.daily.copy(),
            "analysis_set()": lambda trial=trial: analysis_set(trial),
        }
        fast = None
        for what, f in runs.items():
            cpu, wall, out = cpu_seconds(f, repeats)
            if what == "analysis_set()":
                fast = out
            results.append((what, rows, cpu, wall, peak_mb(f) / table_mb, table_mb))
            print(f"  {what:<22} {rows:>11,} rows {cpu:7.2f} s CPU {wall:7.2f} s wall", flush=True)
        naive_cpu, agree = naive_seconds(trial, fast)
        agree_all &= agree
        results.append(("naive groupby-apply", rows, naive_cpu, np.nan, np.nan, table_mb))
        del trial, daily, fast
    table = pd.DataFrame(
        results, columns=["what", "patient_days", "cpu_s", "wall_s", "extra_x", "table_MB"]
    )
    print()
    print(f"I-MICRO endpoints, twin tiled to each size; median of {args.repeats} runs")
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    print()
    for what in ("sofa()", "daily.copy() (peer)", "analysis_set()"):
        t = table[table.what == what]
        if len(t) >= 2:
            r, c = t.patient_days.tolist(), t.cpu_s.tolist()
            print(
                f"scaling exponent of {what}: {exponent(r[-2:], c[-2:]):.2f} "
                f"({r[-2]:,} -> {r[-1]:,} rows), {exponent(r, c):.2f} over all sizes"
            )
    fast_cpu = table[table.what == "analysis_set()"].cpu_s.to_numpy()
    slow_cpu = table[table.what == "naive groupby-apply"].cpu_s.to_numpy()
    print(f"speed-up of analysis_set over naive (CPU): {np.median(slow_cpu / fast_cpu):,.0f}x")
    print(f"vectorized and naive agree on the subsamples: {agree_all}")
    readme_row(table, agree_all)


def readme_row(table: pd.DataFrame, agree: bool) -> None:
    """The README's row: analysis_set at the largest size beside the naive version."""
    fast = table[table.what == "analysis_set()"]
    slow = table[table.what == "naive groupby-apply"]
    big, naive_big = fast.iloc[-1], slow.iloc[-1]
    cells = [f"{seconds(big.cpu_s)} s CPU", f"extra memory {multiple(big.extra_x)} the table"]
    if trend := scaling(fast.patient_days.tolist(), fast.cpu_s.tolist(), "rows"):
        cells.append(trend)
    reference = (
        f"naive per-patient `groupby().apply` (500 patients, scaled): "
        f"{seconds(naive_big.cpu_s)} s CPU {ratio(naive_big.cpu_s, big.cpu_s)}"
    )
    if not agree:
        reference += "; DISAGREES with `analysis_set` on the subsample"
    row(
        "20-endpoints",
        "SOFA + every I-MICRO endpoint (`analysis_set`)",
        size(big.patient_days, "patient-days"),
        ", ".join(cells),
        reference,
    )


if __name__ == "__main__":
    main()
