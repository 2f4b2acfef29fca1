"""Benchmark: ``load_trial`` against the I/O floors measured in the same run.

A valid synthetic folder (20 ICU days per patient) is written once per size into
``/tmp/trialkit_bench_schema/<rows>/`` and reused by later runs. Each measurement runs in
a fresh Python process, so that its peak memory (``ru_maxrss``) is that of the one thing it
does; the table shows the peak and the part of it above the process after its imports.

Floors, on the same ``daily.csv``: ``pyarrow.csv.read_csv`` (an Arrow table, no pandas
frame) and ``pandas.read_csv`` (default C engine). ``load_trial`` reads and checks the
three tables (patients, daily, events) and returns pandas frames with the documented
dtypes. The same folder as Parquet files (written once beside it) is read by
``load_trial`` and, as its floor, by ``pyarrow.parquet.read_table(daily.parquet)``. The
error-path rows (1% or all of the FiO2 cells in percent) show the cost of collecting and
wording every failure.

Wall-clock seconds vary with other load on a shared machine; CPU seconds less so (both
are shown; pyarrow reads with two threads, so its CPU time exceeds its wall time).
Prints a table; no assertion.

README rows (``benchmarks/_readme.py``), the valid folder at the largest size measured,
wall seconds (medians) and the memory above imports over the CSV's size:

* ``40-load-csv``: ``load_trial`` of the CSV folder beside ``pyarrow.csv.read_csv`` (the
  ratio is load_trial over it) and ``pandas.read_csv``, with load_trial's scaling exponent
  over the sizes measured;
* ``41-load-parquet``: ``load_trial`` of the Parquet folder beside
  ``pyarrow.parquet.read_table``.

Each row also gives what the frames returned hold (an object column counted as its pointers
plus each distinct object once) and what their float64 columns hold, over the CSV's size:
what a peak of "2x the CSV" must fit before any working memory of the read. The 12 clinical
number columns of this file are float64 by the data contract; narrower floats would move
values that sit on a SOFA threshold (float32(0.1) is above 0.1, so a noradrenaline dose of
0.1 ug/kg/min would score 4 instead of 3).

Where the peak is (10^7 rows, 2026-12-03; the resident memory sampled every 20 ms with the
main thread's stack): 1,926 MB above the imports, of which the frames returned hold 1,428
MB and their float64 columns 927 MB (1.6x the 580 MB CSV). The read peaks at 1,892 MB as
it copies its last pieces into the blocks (the blocks full, the piece copied and the next
one parsed ahead); the cross-table checks then peak at 1,929 MB on the temporaries of
``_stay_end`` and ``_in_range`` over the whole daily table. A peak of 2x the CSV is out of
reach with float64 values: with the narrowest other columns (0/1 flags as int8, days as
int16, patient ids as int32 codes, against int64, Int64 and text objects now) the frames
would still hold about 1,120 MB (1.94x), which leaves less than one piece of the read.

Run: ``.venv/bin/python benchmarks/bench_schema.py [--rows 1e6,1e7] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from _readme import multiple, ratio, row, scaling, seconds, size  # benchmarks/_readme.py

N_DAYS = 20
ROOT = Path("/tmp/trialkit_bench_schema")
VERSION = "2"  # bump when the generated data change


def write_folder(root: Path, n_rows: int, seed: int = 20261123, percent_fio2: float = 0.0):
    """A valid folder; ``percent_fio2`` is the share of FiO2 cells written in percent."""
    rng = np.random.default_rng(seed)
    n_patients = n_rows // N_DAYS
    ids = pa.array([f"P{i:07d}" for i in range(n_patients)])
    death = np.where(rng.random(n_patients) < 0.3, N_DAYS - 1, -1)
    patients = {
        "patient_id": ids,
        "site": rng.choice(list("ABCDEF"), n_patients),
        "arm": rng.choice(["iloprost", "placebo"], n_patients),
        "randomized": np.full(n_patients, "2021-03-02"),
        "mitt": np.ones(n_patients, np.int8),
        "per_protocol": np.ones(n_patients, np.int8),
        "exclusion_reason": pa.nulls(n_patients, pa.string()),
        "age": rng.integers(18, 95, n_patients),
        "sex": rng.choice(["F", "M"], n_patients),
        "weight_kg": rng.normal(78, 15, n_patients).clip(40, 200).round(1),
        "lactate_mmol_l": rng.gamma(3, 1.2, n_patients).clip(0, 39).round(1),
        "death_day": pa.array(death, mask=death < 0),
        "icu_discharge_day": pa.array(np.full(n_patients, N_DAYS - 1), mask=death >= 0),
        "last_contact_day": np.where(death >= 0, death, 90),
        "withdrawn": np.zeros(n_patients, np.int8),
        "withdrawal_reason": pa.nulls(n_patients, pa.string()),
    }
    pacsv.write_csv(pa.table(patients), root / "patients.csv")
    # Written in slices: the whole daily table as Arrow would need several GB at 10^7 rows.
    step = 50_000
    writer = None
    for start in range(0, n_patients, step):
        part = ids[start : start + step]
        k = len(part) * N_DAYS
        fio2 = rng.uniform(0.21, 1, k).round(2)
        fio2[rng.random(k) < percent_fio2] *= 100
        norepinephrine = rng.exponential(0.2, k).clip(0, 4).round(2) * (rng.random(k) < 0.6)
        table = pa.table(
            {
                "patient_id": pa.array(np.repeat(np.asarray(part, dtype=object), N_DAYS)),
                "day": np.tile(np.arange(N_DAYS), len(part)),
                "pao2_mmhg": rng.uniform(40, 400, k).round(),
                "fio2": fio2,
                "mech_vent": rng.integers(0, 2, k),
                "platelets_10e9_l": rng.uniform(5, 500, k).round(),
                "bilirubin_mg_dl": rng.gamma(2, 1, k).clip(0, 50).round(1),
                "map_mmhg": rng.uniform(40, 110, k).round(),
                "norepinephrine_ug_kg_min": norepinephrine,
                "epinephrine_ug_kg_min": np.zeros(k),
                "dopamine_ug_kg_min": np.zeros(k),
                "dobutamine_ug_kg_min": np.zeros(k),
                "gcs": rng.integers(3, 16, k),
                "creatinine_mg_dl": rng.gamma(2, 0.8, k).clip(0, 20).round(2),
                "urine_ml_24h": rng.uniform(0, 4000, k).round(),
                "rrt": rng.integers(0, 2, k),
                "vasopressor": (norepinephrine > 0).astype(np.int64),
            }
        )
        if writer is None:
            writer = pacsv.CSVWriter(root / "daily.csv", table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    n_events = max(n_patients // 10, 10)
    pd.DataFrame(
        {
            "patient_id": np.asarray(ids[:n_events], dtype=object),
            "day": rng.integers(0, N_DAYS - 1, n_events),
            "term": "Bleeding",
            "serious": rng.integers(0, 2, n_events),
            "related": rng.integers(0, 2, n_events),
        }
    ).to_csv(root / "events.csv", index=False)


def parquet_copy(root: Path) -> Path:
    """The folder as Parquet files, beside it (written once, in batches: no whole table)."""
    dst = root.with_name(root.name + "_parquet")
    marker = dst / f".version-{VERSION}"
    if marker.exists():
        return dst
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("patients", "daily", "events"):
        reader = pacsv.open_csv(root / f"{name}.csv")
        with pq.ParquetWriter(dst / f"{name}.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    marker.touch()
    return dst


def folder(n_rows: int, percent_fio2: float = 0.0) -> Path:
    """The folder for this size and case, written on first use and reused afterwards."""
    root = ROOT / f"{n_rows}" / (f"fio2_{percent_fio2:g}" if percent_fio2 else "valid")
    # The spec is picked by name in load_trial(..., spec="imicro"); the folder name is free.
    marker = root / f".version-{VERSION}"
    if not marker.exists():
        root.mkdir(parents=True, exist_ok=True)
        write_folder(root, n_rows, percent_fio2=percent_fio2)
        marker.touch()
    return root


_MEASURE = r"""
import resource, sys, time
what, where = sys.argv[1], sys.argv[2]
if what == "load_trial":
    from trialkit.schema import DataError, load_trial
elif what == "pyarrow":
    import pyarrow.csv
elif what == "parquet":
    import pyarrow.parquet
else:
    import pandas
def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20
base = rss_mb()
start, cpu = time.perf_counter(), time.process_time()
data = None
if what == "load_trial":
    try:
        data = load_trial(where, spec='imicro')
        outcome = f"{len(data.daily):,} daily rows loaded"
    except DataError as exc:
        outcome = f"{len(exc.problems)} problem(s) reported"
elif what == "pyarrow":
    outcome = f"{pyarrow.csv.read_csv(where + '/daily.csv').num_rows:,} rows (Arrow table)"
elif what == "parquet":
    table = pyarrow.parquet.read_table(where + '/daily.parquet')
    outcome = f"{table.num_rows:,} rows (Arrow table)"
else:
    outcome = f"{len(pandas.read_csv(where + '/daily.csv')):,} rows (pandas frame)"
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
held = floats = 0.0  # MB: the frames returned, and their float64 columns
for frame in () if data is None else (data.patients, data.daily, data.events):
    usage = frame.memory_usage(deep=False, index=True)  # an object column: its pointers
    held += usage.sum() / 2**20
    floats += usage[frame.columns[frame.dtypes == "float64"]].sum() / 2**20
    for name in frame.columns[frame.dtypes == object]:
        # Each distinct object once (deep=True counts a patient's id once per day).
        distinct = {id(v): v for v in frame[name].to_numpy()}
        held += sum(sys.getsizeof(v) for v in distinct.values()) / 2**20
print(f"{seconds:.2f}|{cpu:.2f}|{peak:.0f}|{peak - base:.0f}|{held:.0f}|{floats:.0f}|{outcome}")
"""


def measure(what: str, root: Path) -> tuple[float, float, float, float, float, float, str]:
    res = subprocess.run(
        [sys.executable, "-c", _MEASURE, what, str(root)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    *numbers, outcome = res.stdout.strip().split("|")
    return (*map(float, numbers), outcome)  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e6,1e7", help="daily rows, comma-separated")
    parser.add_argument("--repeats", type=int, default=2, help="runs per measurement (median)")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.rows.split(",")]
    table = []
    for n in sizes:
        cases = [("valid folder", 0.0)]
        if n <= 1_000_000:
            cases += [("1% FiO2 in percent", 0.01), ("all FiO2 in percent", 1.0)]
        for label, share in cases:
            root = folder(n, share)
            csv_mb = (root / "daily.csv").stat().st_size / 2**20
            whats = [("pyarrow", root), ("pandas", root), ("load_trial", root)]
            if share == 0:
                pq_root = parquet_copy(root)
                whats += [("parquet", pq_root), ("load_trial parquet", pq_root)]
            else:
                whats = [("load_trial", root)]
            runs: dict[str, list] = {w: [] for w, _ in whats}
            for _ in range(args.repeats):
                for w, where in whats:  # interleaved: a burst of load hits every reader
                    runs[w].append(measure(w.split()[0], where))
            for w, _ in whats:
                r = runs[w]
                med = [float(np.median([x[i] for x in r])) for i in range(6)]
                table.append((n, csv_mb, label, w, *med, r[-1][6]))
    print(
        f"load_trial vs the I/O floors ({N_DAYS} ICU days per patient; medians of "
        f"{args.repeats} run(s), each in a fresh process)"
    )
    print("(peak = ru_maxrss of the process; above = peak minus the process after imports; "
          "held = the frames load_trial returns, their float64 columns in brackets, "
          "measured after the peak)")
    head = f"{'rows':>11} {'csv MB':>7}  {'case':<20}{'reader':<19}"
    print(head + f"{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'above MB':>9}{'held MB':>15}  outcome")
    floors: dict[tuple[int, str], tuple[float, float]] = {}
    for n, csv_mb, label, w, wall, cpu, peak, above, held, floats, outcome in table:
        if w in ("pyarrow", "parquet"):
            floors[n, w] = (wall, above)
        kept = f"{held:.0f} ({floats:.0f})" if held else "-"
        print(f"{n:>11,} {csv_mb:>7.0f}  {label:<20}{w:<19}{wall:>8.2f}{cpu:>8.2f}{peak:>9.0f}"
              f"{above:>9.0f}{kept:>15}  {outcome}")  # fmt: skip
    for n, csv_mb, label, w, wall, _, _, above, *_ in table:
        floor = {"load_trial": "pyarrow", "load_trial parquet": "parquet"}.get(w)
        if label == "valid folder" and (n, floor) in floors:
            fw, fm = floors[n, floor]
            what = "pyarrow.csv.read_csv" if floor == "pyarrow" else "pyarrow.parquet.read_table"
            print(f"{n:>11,} rows: {w} / {what} = {wall / fw:.2f}x wall; memory above "
                  f"imports {above:.0f} MB = {above / csv_mb:.2f}x the CSV ({fm / csv_mb:.2f}x "
                  f"for {what})")  # fmt: skip
    readme_rows(table)


def readme_rows(table: list[tuple]) -> None:
    """The README's two rows: the valid folder at the largest size, CSV and Parquet."""
    valid = {(n, w): (csv_mb, wall, above, held, floats)
             for n, csv_mb, label, w, wall, _, _, above, held, floats, _ in table
             if label == "valid folder"}  # fmt: skip
    sizes = sorted({n for n, _ in valid})
    n = sizes[-1]

    def wall(w: str) -> float:
        return valid[n, w][1]

    def memory(w: str) -> str:
        csv_mb, _, above, *_ = valid[n, w]
        return f"{above:,.0f} MB ({multiple(above / csv_mb)} the CSV)"

    def held(w: str) -> str:
        # What the 2x-the-CSV target meets before any working memory: the frames returned.
        csv_mb, _, _, frames, floats = valid[n, w]
        return (f"; the frames returned hold {frames:,.0f} MB ({multiple(frames / csv_mb)}), "
                f"their float64 columns alone {multiple(floats / csv_mb)}")  # fmt: skip

    lt, pa_s, pd_s = wall("load_trial"), wall("pyarrow"), wall("pandas")
    trend = scaling(sizes, [valid[k, "load_trial"][1] for k in sizes], "rows")
    row(
        "40-load-csv",
        "validate + load a folder (`load_trial`); memory above the imports",
        f"{size(n, 'daily rows')} ({valid[n, 'load_trial'][0]:,.0f} MB CSV)",
        f"{seconds(lt)} s wall, {memory('load_trial')}" + (f", {trend}" if trend else "")
        + held("load_trial"),
        f"`pyarrow.csv.read_csv` {seconds(pa_s)} s {ratio(lt, pa_s)}, {memory('pyarrow')}; "
        f"`pandas.read_csv` {seconds(pd_s)} s {ratio(lt, pd_s)}",
    )
    lp, pq_s = wall("load_trial parquet"), wall("parquet")
    row(
        "41-load-parquet",
        "the same folder as Parquet",
        size(n, "daily rows"),
        f"{seconds(lp)} s wall, {memory('load_trial parquet')}" + held("load_trial parquet"),
        f"`pyarrow.parquet.read_table` {seconds(pq_s)} s {ratio(lp, pq_s)}, {memory('parquet')}",
    )


if __name__ == "__main__":
    main()
