"""The whole report of each bundled trial (``trialkit report --trial T``), cold then warm.

For each trial (I-MICRO and COMBAT-SHINE, their bundled twins, and both at once with
``--trial all``), ``trialkit report --trial T`` runs twice, each time in a fresh interpreter
into a new temporary folder: first cold (the operating system's file cache, the bytecode and
matplotlib's caches as the machine has them), then warm (the same run again: what a second
report costs). Measured for each run: wall seconds, and CPU seconds of the report and
everything it waited for (``RUSAGE_CHILDREN``: the trialkit process, its kernels, their
rendering to HTML), and the number of notebooks it executed (the ``.ipynb`` files it wrote).
The notebooks run two at a time (the report's default ``--jobs 2``), so wall time is below
CPU time on an idle 2-core machine; each of the two workers runs its notebooks in one
kernel, reset between them (``--fresh-kernels`` is not measured: a kernel per notebook, ~2x
the CPU).

Where the time goes (2026-12-03, quiet machine, load average ~1): I-MICRO warm 13.8 s wall,
22.5 s CPU; COMBAT-SHINE 13.3 s, 21.5 s; both in one run (``--trial all``) 23.1 s, 37.9 s
(on 2026-12-02, before the two changes below: I-MICRO 17.1 s, COMBAT-SHINE 21.8 s). Split
for I-MICRO: the kernels 15-16 s CPU (two starts with their imports, ~2.5 s each; the
notebooks' own computing: 14, the multiverse, ~3 s; 16, 13 and 02 ~1.6 s each; the others
0.3-1.3 s), the report's own process 6.3-6.8 s (its imports and the data 0.8 s before the
first kernel starts; the HTML pages ~2.6 s, a quarter of it bleach's sanitising of the code
cells; after the last notebook, the manuscript tables 1.1 s, most of it tableone's import of
scipy.stats, and the front page 0.8 s, most of it matplotlib's import). Two changes of
2026-12-03: the pages are rendered by the main thread while the worker's kernel goes on
(it had waited 0.1-0.5 s after each notebook; alternated, 4 pairs, median 13.3 s against
14.2 s), and notebook 16's six heatmaps are drawn without seaborn drawing the whole figure
inside each call (1.7 s CPU to 0.5 s). Computing the manuscript tables while the kernels
start was tried and made the report slower (3 alternated pairs: 13.9-14.7 s against
12.2-13.0 s): the two cores are busy then, and the report's process took 2 s more CPU.
The notebooks start longest first (``trialkit.report.COST_HINTS``), so the two workers end
within about a second of each other.

Peer, measured in the same run: the notebooks' code without Jupyter (:data:`PLAIN`), each
notebook that applies run cell after cell in one plain interpreter with the report's
parameters and its figures rendered to PNG, its imports paid once: what the report's kernels,
pages, front page and manuscript tables cost beyond the analyses themselves (2026-12-03:
I-MICRO 11.3 s CPU against the report's 21-22 s).

Floor, measured in the same run: one ``python3`` Jupyter kernel started, one empty cell
executed, the kernel shut down (``jupyter_client``, in a fresh interpreter, CPU seconds of
that interpreter and of the kernel, without the interpreter's own start-up; median of
``--kernel-repeats``), times the number of notebooks: what the report would cost if its
notebooks computed nothing.

README rows (``benchmarks/_readme.py``, keys ``10-report-imicro``,
``11-report-combat_shine`` and ``11a-report-all``): the warm run's wall and CPU seconds and
the cold run's wall seconds, beside the plain run and the kernel-start floor times the
number of notebooks (each ratio is the report's CPU time over the peer's). Prints a table;
asserts nothing about time; fails when a report or the plain run fails.

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

TRIALS = {
    "imicro": "10-report-imicro",
    "combat_shine": "11-report-combat_shine",
    "all": "11a-report-all",  # both bundled trials in one run
}

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


# The notebooks' code without Jupyter: each notebook that applies, cell after cell, in one plain
# interpreter (its imports paid once), with the parameters the report gives it; a line magic
# dropped; at each cell's end every open figure rendered to PNG as the inline backend renders
# it, then closed; printed text discarded (no display formatting, no HTML page).
PLAIN = """
import contextlib, io, json, os, sys, tempfile
from pathlib import Path
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
from trialkit import parameters as params, report
runs = report._resolve_trials(sys.argv[1], None)
notebooks = report.find_notebooks(report.bundled_notebooks())
ran = 0
with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
    for run in runs:
        cwd = Path(tmp) / run.spec.id
        cwd.mkdir()
        os.chdir(cwd)
        given = report.kernel_parameters(run, cwd)
        for nb in notebooks:
            if report.missing_requirements(nb, run.spec, run.data):
                continue
            ns = {"__name__": "__main__"}
            for cell in json.loads(nb.path.read_text(encoding="utf-8"))["cells"]:
                if cell["cell_type"] != "code":
                    continue
                src = "".join(cell["source"])
                if "parameters" in cell["metadata"].get("tags", []):
                    src = params.with_values(src, given)
                src = "\\n".join(x for x in src.splitlines() if not x.lstrip().startswith("%"))
                exec(compile(src, nb.name, "exec"), ns)
                for number in plt.get_fignums():
                    plt.figure(number).savefig(io.BytesIO(), format="png", bbox_inches="tight")
                plt.close("all")
            ran += 1
print(ran, file=sys.stderr)
"""


def plain_run(trial: str) -> tuple[float, int]:
    """CPU seconds of the notebooks' code in one plain interpreter (:data:`PLAIN`), and the
    number of notebooks it ran."""
    c0 = children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", PLAIN, trial], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench_report: the plain run of {trial} failed")
    return children_cpu() - c0, int(done.stderr.split()[-1])


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
    ap.add_argument("--trial", action="append", choices=list(TRIALS), help="default: all three")
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
    plain = {trial: plain_run(trial) for trial in trials}

    print(f"\ntrialkit report per bundled trial (cold, then warm); kernel floor median of "
          f"{args.kernel_repeats}")  # fmt: skip
    print(f"{'trial':<14}{'run':<6}{'wall s':>9}{'CPU s':>9}{'notebooks':>11}{'floor CPU s':>13}")
    for (trial, run), (wall, cpu, n) in results.items():
        print(f"{trial:<14}{run:<6}{wall:>9.1f}{cpu:>9.1f}{n:>11}{n * k_cpu:>13.1f}")
    print(f"one kernel start, empty cell, shutdown: {k_wall:.2f} s wall, {k_cpu:.2f} s CPU")
    for trial, (cpu, n) in plain.items():
        print(f"{trial}: the notebooks' code in one plain interpreter, {n} notebooks: "
              f"{cpu:.1f} s CPU")  # fmt: skip

    for trial in trials:
        wall, cpu, n = results[trial, "warm"]
        cold_wall = results[trial, "cold"][0]
        what = "both bundled trials'" if trial == "all" else f"the whole {load_spec(trial).name}"
        plain_cpu, plain_n = plain[trial]
        if plain_n != n:
            raise SystemExit(f"bench_report: {trial}: the plain run ran {plain_n} notebooks, "
                             f"the report {n}")  # fmt: skip
        row(
            TRIALS[trial],
            f"{what} report (`trialkit report --trial {trial}`: {n} "
            "notebooks, HTML, index), warm",
            "bundled twins" if trial == "all" else "bundled twin",
            f"{seconds(wall)} s wall, {seconds(cpu)} s CPU (cold: {seconds(cold_wall)} s wall)",
            f"the notebooks' code in one plain interpreter (no Jupyter, no pages): "
            f"{seconds(plain_cpu)} s CPU {ratio(cpu, plain_cpu)}; {n} Jupyter kernel starts "
            f"({seconds(k_cpu)} s CPU each): {seconds(n * k_cpu)} s CPU {ratio(cpu, n * k_cpu)}",
        )


if __name__ == "__main__":
    main()
