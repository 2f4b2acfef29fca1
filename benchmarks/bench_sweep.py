"""Benchmark distributed execution: twin-driven operating characteristics and the sweep.

Run:  .venv/bin/python benchmarks/bench_sweep.py
Prints tables; asserts nothing about time, only that every run gives the same numbers.

1. The COMBAT-SHINE two-stage design (190 per arm, interim at 100, futility if Z < 0,
   O'Brien-Fleming-type efficacy bound) with patient-level outcomes from the COMBAT-SHINE twin
   (trialkit.simulate.twin_outcomes), under the null and a -6 latent effect, in blocks of 25
   trials: in this process, then as Dask tasks on a local cluster of 1 and of 2 worker
   processes (one thread each).
2. The I-MICRO sweep of the primary endpoint (252 combinations, 10,000 bootstrap resamples
   each), the same three ways.
3. The cost of a task on the scheduler (empty tasks), the per-trial cost split between
   drawing the twin, scoring SOFA and endpoints, and the test, and from these a projection
   of 10^5 trials x 20 scenarios on 1, 8 and 64 workers.

The machine is shared (2 cores): the table gives wall time, the CPU time of this process
(scheduler and client included) and of the workers, and the 1-minute load average before and
after each run; runs are interleaved and repeated, and the medians are shown.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from trialkit.design import group_sequential, simulate_operating_characteristics
from trialkit.distributed import open_client, run_tasks
from trialkit.published import load_published
from trialkit.resources import bundled_data
from trialkit.schema import load_trial
from trialkit.simulate import twin, twin_outcomes
from trialkit.sweep import sweep

N_TWIN = 100  # trials per scenario
BLOCK = 25  # trials per block: one task of about a second
REPEATS = 2
EMPTY_TASKS = 500


def _worker_cpu() -> float:
    return time.process_time()


def _measure(run: Callable[[], pd.DataFrame], client) -> dict:
    load0 = os.getloadavg()[0]
    workers0 = sum(client.run(_worker_cpu).values()) if client is not None else 0.0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    workers = (sum(client.run(_worker_cpu).values()) - workers0) if client is not None else 0.0
    return {"wall": wall, "cpu_main": cpu, "cpu_workers": workers, "load_before": load0,
            "load_after": os.getloadavg()[0], "result": out}  # fmt: skip


def _noop(x: int) -> int:
    return x


def _warm_up() -> None:
    """Import in a worker what the tasks use (seconds of CPU that no task should carry)."""
    import trialkit.design.operating
    import trialkit.simulate
    import trialkit.stats.median
    import trialkit.stats.rank
    import trialkit.stats.regression
    import trialkit.sweep  # noqa: F401


def main() -> None:
    gs = group_sequential([100 / 190, 1], futility=[0.0])
    twin_gen = twin_outcomes("combat_shine", "mean_sofa")

    def oc(client=None) -> pd.DataFrame:
        return simulate_operating_characteristics(
            [0.0, -6.0], n_per_arm=190, interim_per_arm=100, futility_z=0.0,
            interim_efficacy_z=float(gs["efficacy_z"].iloc[0]),
            final_z=float(gs["efficacy_z"].iloc[1]), alternative="less", generator=twin_gen,
            n_sims=N_TWIN, seed=1, trials_per_block=BLOCK, blocks_per_task=1, client=client,
            progress=False,
        )  # fmt: skip

    folder = bundled_data("imicro")
    trial, published = load_trial(folder, "imicro"), load_published(folder)

    def sw(client=None) -> pd.DataFrame:
        return sweep(trial, published=published, client=client, progress=False)

    started = {}
    clients = {}
    contexts = []
    for workers in (1, 2):
        t0 = time.perf_counter()
        ctx = open_client(workers=workers)
        clients[workers] = ctx.__enter__()
        contexts.append(ctx)
        # every worker imports what the tasks need before anything is timed
        run_tasks(_noop, list(range(4 * workers)), client=clients[workers], progress=False)
        clients[workers].run(_warm_up)
        started[workers] = time.perf_counter() - t0

    rows = []
    try:
        for rep in range(REPEATS):
            for name, job in (("twin OC", oc), ("sweep", sw)):
                for where in ("in process", 1, 2):
                    client = None if where == "in process" else clients[where]
                    m = _measure(lambda job=job, client=client: job(client), client)
                    rows.append({"task": name, "run": where, "repeat": rep, **m})
        # the scheduler's own cost per task, with nothing to compute
        overhead = {}
        for workers, client in clients.items():
            t0 = time.perf_counter()
            run_tasks(_noop, list(range(EMPTY_TASKS)), client=client, progress=False)
            overhead[workers] = (time.perf_counter() - t0) / EMPTY_TASKS
    finally:
        for ctx in reversed(contexts):
            ctx.__exit__(None, None, None)

    # identical numbers whatever ran them
    for name in ("twin OC", "sweep"):
        results = [r["result"] for r in rows if r["task"] == name]
        for other in results[1:]:
            pd.testing.assert_frame_equal(other, results[0])

    # where a trial's time goes: one block of BLOCK trials, drawn and analysed in steps
    from trialkit.design.operating import _z_from_t
    from trialkit.endpoints import analysis_set

    need = BLOCK * 190
    t0 = time.process_time()
    drawn = twin("combat_shine", 7, **{"effect_sofa": 0.0, "condition": False, "exclusions": (),
                                       "randomized": (need + 95, need + 95)})  # fmt: skip
    t_draw = time.process_time() - t0
    t0 = time.process_time()
    ends = analysis_set(drawn)
    t_ends = time.process_time() - t0
    x = ends.loc[ends.arm == "iloprost", "mean_sofa"].dropna().to_numpy()[:need]
    y = ends.loc[ends.arm == "placebo", "mean_sofa"].dropna().to_numpy()[:need]
    t0 = time.process_time()
    for _ in range(100):
        _z_from_t(x.reshape(BLOCK, 190)[:, :100], y.reshape(BLOCK, 190)[:, :100])
        _z_from_t(x.reshape(BLOCK, 190), y.reshape(BLOCK, 190))
    t_test = (time.process_time() - t0) / 100

    table = pd.DataFrame(rows).drop(columns="result")
    med = table.groupby(["task", "run"], sort=False)[
        ["wall", "cpu_main", "cpu_workers", "load_before", "load_after"]
    ].median()
    print(f"Distributed execution on this machine ({os.cpu_count()} cores, shared); medians of "
          f"{REPEATS} interleaved repeats\n")  # fmt: skip
    print(f"twin OC: COMBAT-SHINE design, twin outcomes, 2 scenarios x {N_TWIN} trials in blocks "
          f"of {BLOCK} ({2 * N_TWIN // BLOCK} tasks)")  # fmt: skip
    print("sweep: I-MICRO primary endpoint, 252 combinations (36 tasks), 10,000 resamples\n")
    print(f"{'task':<9}{'run':>12}{'wall s':>9}{'CPU main s':>12}{'CPU workers s':>15}"
          f"{'load before':>13}{'after':>7}{'speed-up':>10}")  # fmt: skip
    print("-" * 87)
    for (task, run), r in med.iterrows():
        one = med.loc[(task, 1), "wall"]
        speed = f"{one / r.wall:.2f}x" if run == 2 else ""
        label = run if run == "in process" else f"{run} worker{'s' if run == 2 else ''}"
        print(f"{task:<9}{label:>12}{r.wall:>9.1f}{r.cpu_main:>12.1f}{r.cpu_workers:>15.1f}"
              f"{r.load_before:>13.2f}{r.load_after:>7.2f}{speed:>10}")  # fmt: skip
    print("\nEvery run gave identical results (pandas.testing.assert_frame_equal).")
    print("Local cluster start-up (workers importing trialkit): "
          + ", ".join(f"{w} worker(s) {s:.1f} s" for w, s in started.items()))  # fmt: skip

    twin_runs = table[(table.task == "twin OC") & (table.run == "in process")]
    per_trial = statistics.median(twin_runs.cpu_main) / (2 * N_TWIN)
    per_task = min(overhead.values())
    print(f"\nPer simulated 380-patient twin trial, in process: {per_trial * 1e3:.1f} ms CPU")
    print(f"  of which, for one block of {BLOCK}: drawing the twin "
          f"{t_draw / BLOCK * 1e3:.1f} ms, SOFA and endpoints (analysis_set) "
          f"{t_ends / BLOCK * 1e3:.1f} ms, the two t-tests {t_test / BLOCK * 1e6:.1f} µs")
    print("Scheduler cost per task (empty tasks, wall): "
          + ", ".join(f"{w} worker(s) {o * 1e3:.2f} ms" for w, o in overhead.items()))

    # Projection, not a measurement: W workers share N trials of cost c each, in tasks of
    # BLOCK * k trials; the scheduler handles tasks one at a time at cost s each, so the wall
    # time is about max(N c / W, N s / (BLOCK k)) plus start-up. 40 blocks per task keeps the
    # scheduler far from being the bottleneck (2,000 tasks for 2 x 10^6 trials).
    n_trials, per = 100_000 * 20, BLOCK * 40
    print(f"\nProjected wall time for 10^5 trials x 20 scenarios ({n_trials:,} twin trials, "
          f"{n_trials // per:,} tasks of {per} trials; projected from the in-process CPU cost "
          "per trial and the scheduler cost per task, assuming one free core per worker):")
    for w in (1, 8, 64):
        hours = max(n_trials * per_trial / w, n_trials / per * per_task) / 3600
        print(f"  {w:>3} worker(s): {hours:6.2f} h")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
