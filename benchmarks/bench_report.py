"""The whole report of each bundled trial (``trialkit report --trial T``), cold then warm.

For each trial (I-MICRO and COMBAT-SHINE, their bundled twins), ``trialkit report --trial T``
runs twice, each time in a fresh interpreter into a new temporary folder: first cold (the
operating system's file cache, the bytecode and matplotlib's caches as the machine has them),
then warm (the same run again: what a second report costs). Measured for each run: wall
seconds, and CPU seconds of the report and everything it waited for (``RUSAGE_CHILDREN``:
the trialkit process, its kernels, their rendering to HTML), and the number of notebooks it
executed (the ``.ipynb`` files it wrote). The notebooks run two at a time (the report's
default ``--jobs 2``), so wall time is below CPU time on an idle 2-core machine; each of the
two workers runs its notebooks in one kernel, reset between them (``--fresh-kernels`` is not
measured: a kernel per notebook, ~2x the CPU).

Where the time goes (2026-12-02, reused kernels, on this shared 2-vCPU machine, whose two
vCPUs gave two CPU-bound processes together little more than one (each ran at about half
speed); load average 1.1-2.5 during the runs): I-MICRO warm 24.4 s CPU, 17.1 s wall (was
34.6 s CPU, 32.1 s wall at load 1.8-2.4 before the changes of issue 16 item 4; alternated
with the earlier code, medians of 3: 25.6 s CPU, 16.7 s wall against 31.6 s, 21.3 s);
COMBAT-SHINE warm 26.4 s CPU, 21.8 s wall (was 40.2 s CPU, 25.9 s wall; alternated,
medians of 2: 30.5 s CPU, 19.6 s wall against 37.2 s, 28.2 s). The notebooks' own computing
in a kernel with its imports done is ~13 s CPU for I-MICRO (one notebook after another in
one interpreter, without the kernels' gc.freeze, which took another 0.3-0.6 s off each of
02, 04, 13 and 16): 14, the multiverse, 2.7 s (the sweep's 252 combinations: the
median regressions, the bootstrap, the analysis sets), 16 2.1 s (its six seaborn heatmaps
each draw the figure), 13 1.4 s, 02 1.3 s, 04 1.3 s, 05 1.2 s, 15 1.1 s (the permutation
test), the others 0.1-0.6 s; much of it is the figures' rendering to PNG. Two kernel
starts (0.5-0.7 s CPU each) with their imports (each alone: pingouin with seaborn and
statsmodels 1.5 s, statsmodels.api 1.3 s, lifelines 1.2 s, scipy.stats 0.7 s, pandas 0.6 s,
matplotlib.pyplot 0.5 s); the report's own process ~8 s CPU: the HTML export ~0.1-0.6 s a
page (~3.5 s in all, half of it bleach and BeautifulSoup), its imports, loading the data
(0.35 s), then, after the last notebook, the manuscript tables (1.3 s, 0.75 s of it
tableone's import of scipy.stats) and the index (0.95 s, matplotlib's import and its
figure). The notebooks start longest first (``trialkit.report.COST_HINTS``), so the two
workers end within about a second of each other.

Floor, measured in the same run: one ``python3`` Jupyter kernel started, one empty cell
executed, the kernel shut down (``jupyter_client``, in a fresh interpreter, CPU seconds of
that interpreter and of the kernel, without the interpreter's own start-up; median of
``--kernel-repeats``), times the number of notebooks: what the report would cost if its
notebooks computed nothing.

README rows (``benchmarks/_readme.py``, keys ``10-report-imicro`` and
``11-report-combat_shine``): the warm run's wall and CPU seconds and the cold run's wall
seconds, beside the kernel-start floor times the number of notebooks (the ratio is the
report's CPU time over the floor's). Prints a table; asserts nothing about time; fails when
a report fails.

Run: ``.venv/bin/python benchmarks/bench_report.py [--trial imicro] [--kernel-repeats 3]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _readme import ratio, row, seconds  # benchmarks/_readme.py

from trialkit.spec import load_spec

TRIALS = {"imicro": "10-report-imicro", "combat_shine": "11-report-combat_shine"}

# Started by the parent in a fresh interpreter; times only the kernel's life (its own CPU and
# the kernel's, which it waits for), not the interpreter's start or the import.
KERNEL = """
import resource, time
from jupyter_client.manager import start_new_kernel
def children():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
w0, c0, k0 = time.perf_counter(), time.process_time(), children()
km, kc = start_new_kernel(kernel_name="python3")
kc.execute_interactive("pass", timeout=120)
kc.stop_channels()
km.shutdown_kernel()
print(time.perf_counter() - w0, time.process_time() - c0 + children() - k0)
"""


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for, so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def report_run(trial: str, out: Path) -> tuple[float, float, int]:
    """Run one report into ``out``: wall seconds, CPU seconds, notebooks executed."""
    cmd = [sys.executable, "-m", "trialkit", "report", "--trial", trial, "--out", str(out)]
    w0, c0 = time.perf_counter(), children_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - w0, children_cpu() - c0
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench_report: {' '.join(cmd[2:])} failed (exit {done.returncode})")
    return wall, cpu, len(list(out.glob("*/*.ipynb")))


def kernel_start(repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one kernel's start, empty cell and shutdown."""
    walls, cpus = [], []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", KERNEL], capture_output=True, text=True, check=True
        ).stdout.split()
        walls.append(float(out[0]))
        cpus.append(float(out[1]))
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", action="append", choices=list(TRIALS), help="default: both")
    ap.add_argument("--kernel-repeats", type=int, default=3)
    args = ap.parse_args(argv)
    trials = args.trial or list(TRIALS)

    results = {}
    with tempfile.TemporaryDirectory(prefix="trialkit_bench_report_") as tmp:
        for trial in trials:
            for run in ("cold", "warm"):
                wall, cpu, n = report_run(trial, Path(tmp) / f"{trial}_{run}")
                results[trial, run] = wall, cpu, n
                print(f"  {trial:<14} {run:<5} {wall:8.1f} s wall {cpu:8.1f} s CPU  "
                      f"{n} notebooks", flush=True)  # fmt: skip
    k_wall, k_cpu = kernel_start(args.kernel_repeats)

    print(f"\ntrialkit report per bundled trial (cold, then warm); kernel floor median of "
          f"{args.kernel_repeats}")  # fmt: skip
    print(f"{'trial':<14}{'run':<6}{'wall s':>9}{'CPU s':>9}{'notebooks':>11}{'floor CPU s':>13}")
    for (trial, run), (wall, cpu, n) in results.items():
        print(f"{trial:<14}{run:<6}{wall:>9.1f}{cpu:>9.1f}{n:>11}{n * k_cpu:>13.1f}")
    print(f"one kernel start, empty cell, shutdown: {k_wall:.2f} s wall, {k_cpu:.2f} s CPU")

    for trial in trials:
        wall, cpu, n = results[trial, "warm"]
        cold_wall = results[trial, "cold"][0]
        spec = load_spec(trial)
        row(
            TRIALS[trial],
            f"the whole {spec.name} report (`trialkit report --trial {trial}`: {n} "
            "notebooks, HTML, index), warm",
            "bundled twin",
            f"{seconds(wall)} s wall, {seconds(cpu)} s CPU (cold: {seconds(cold_wall)} s wall)",
            f"{n} Jupyter kernel starts ({seconds(k_cpu)} s CPU each): "
            f"{seconds(n * k_cpu)} s CPU {ratio(cpu, n * k_cpu)}",
        )


if __name__ == "__main__":
    main()
