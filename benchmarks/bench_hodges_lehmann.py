"""Hodges-Lehmann shift with CI and Wilcoxon p: trialkit against the numpy sort floor and R.

Rows, per kind of data and size (10^5, 10^6, 10^7 per arm):

* ``trialkit``: :func:`trialkit.stats.hodges_lehmann` (normal approximation, 95% CI);
* ``sort floor``: one ``numpy.sort`` of the 2n values (the least any rank method does),
  interleaved with the trialkit runs so that both see the same load on the shared machine;
* ``R wilcox.test``: ``wilcox.test(x, y, conf.int = TRUE)`` on the same data (written as
  binary doubles) at 10^5 per arm where ``Rscript`` is installed; at 10^6 its ``uniroot``
  over repeated ranking of 2 x 10^6 values takes minutes.  The estimate and limits are
  checked to agree within R's ``tol.root = 1e-4``, the p-value to 1e-6.

``x_floor`` is trialkit's CPU time over the floor's; ``mem_x`` the peak memory allocated
during the call (tracemalloc) over the inputs' size.  Medians of the repeats (CPU seconds; the
machine is shared).  Then the bootstrap of a median difference (10,000 resamples, 118 + 118
patients).  Prints tables; asserts nothing.

Where the time goes (cProfile, 10^7 per arm, normal data, ~1.9 s): the four merge passes
(``W`` and the three order statistics; numpy's stable argsort of each chunk of keys with its
slice of the other sample, as int64 bits where all have one sign) a little under half, the
two sorts of the inputs a fifth, the sums at the passes' positions 7%, reading the three
bands and selecting in them 11%, the estimated counts 2%.  (It was 23 of 28 s in binary
searches and the fix-up of their float rounding; then, at 4.0 s, half in binary searches and
a ninth in the estimates' searches over all of the other sample and their BLAS dot products;
integer scores spent four fifths of their time finding every value's position for ``W``, now
read from the distinct values.)

Run: ``.venv/bin/python benchmarks/bench_hodges_lehmann.py [--skip-r] [--max-n 10000000]``
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from _measure import peak_mb  # benchmarks/_measure.py (scripts run from this folder)
from _readme import multiple, scaling, seconds, size  # benchmarks/_readme.py
from _readme import ratio as times
from _readme import row as readme_row

from trialkit.stats import bootstrap_median_difference, hodges_lehmann

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[3])
x <- readBin(args[1], "double", n); y <- readBin(args[2], "double", n)
t <- system.time(r <- wilcox.test(x, y, conf.int = TRUE))
cat(sprintf("%.6f %.6f %.17g %.17g %.17g %.17g\n", t[["elapsed"]],
            t[["user.self"]] + t[["sys.self"]], r$estimate, r$conf.int[1], r$conf.int[2],
            r$p.value))
"""


def _data(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if kind == "continuous":
        return rng.normal(0.1, 1.0, n), rng.normal(0.0, 1.0, n)
    # Integer outcomes with heavy ties, like SOFA points (0-19).
    return rng.integers(0, 20, n).astype(float), rng.integers(0, 19, n).astype(float)


def _cpu(f) -> tuple[float, float, object]:
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    out = f()
    return time.process_time() - c0, time.perf_counter() - w0, out


def _time_r(x: np.ndarray, y: np.ndarray, tmp: Path) -> tuple[float, float, list[float]] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    fx, fy, fr = tmp / "x.bin", tmp / "y.bin", tmp / "hl.R"
    x.astype("<f8").tofile(fx)
    y.astype("<f8").tofile(fy)
    fr.write_text(R_SCRIPT)
    out = subprocess.run(
        [rscript, str(fr), str(fx), str(fy), str(x.size)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), [float(v) for v in out[2:]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-r", action="store_true", help="do not time R")
    ap.add_argument("--max-n", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(20261123)

    print("Hodges-Lehmann estimate + 95% CI + Wilcoxon p (normal approximation), CPU seconds")
    head = (
        f"{'data':<11}{'n/arm':>12}{'trialkit':>10}{'floor':>8}{'x_floor':>9}{'mem_x':>7}"
        f"{'R cpu':>9}{'R/tk':>7}{'max |diff| vs R':>17}{'|p - p_R|':>11}"
    )
    print(head)
    print("-" * len(head))
    measured: dict[tuple[str, int], tuple[float, float, float, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in ("continuous", "integer"):
            for n in (10**5, 10**6, 10**7):
                if n > args.max_n:
                    continue
                x, y = _data(kind, n, rng)
                repeats = args.repeats if n < 10**7 else max(1, args.repeats - 1)
                hl, floor, res = [], [], None
                for _ in range(repeats):  # interleaved: both see the same load
                    c, _, res = _cpu(lambda x=x, y=y: hodges_lehmann(x, y))
                    hl.append(c)
                    floor.append(_cpu(lambda x=x, y=y: np.sort(np.concatenate((x, y))))[0])
                cpu, fl = float(np.median(hl)), float(np.median(floor))
                mem = peak_mb(lambda x=x, y=y: hodges_lehmann(x, y)) / (
                    (x.nbytes + y.nbytes) / 2**20
                )
                r_cpu, ratio, diff, pdiff = "n/a", "", "", ""
                cpu_r = None
                if not args.skip_r and n <= 10**5:
                    got = _time_r(x, y, Path(tmpdir))
                    if got is not None:
                        _, cpu_r, (est, lo, hi, p) = got
                        row = res.iloc[0]
                        d = max(
                            abs(row["estimate"] - est),
                            abs(row["ci_low"] - lo),
                            abs(row["ci_high"] - hi),
                        )
                        r_cpu, ratio, diff = f"{cpu_r:.2f}", f"{cpu_r / cpu:.0f}x", f"{d:.1e}"
                        pdiff = f"{abs(row['p_value'] - p):.0e}"
                print(
                    f"{kind:<11}{n:>12,}{cpu:>10.3f}{fl:>8.3f}{cpu / fl:>8.1f}x{mem:>6.1f}x"
                    f"{r_cpu:>9}{ratio:>7}{diff:>17}{pdiff:>11}",
                    flush=True,
                )
                measured[(kind, n)] = (cpu, fl, mem, cpu_r)
                del x, y, res

    print()
    print("Bootstrap CI of the difference in medians, 10,000 resamples, 118 + 118 patients")
    head = f"{'method':<12}{'wall s':>9}{'cpu s':>8}"
    print(head)
    print("-" * len(head))
    x, y = rng.normal(1.0, 4.0, 118), rng.normal(0.0, 4.0, 118)
    boot: dict[str, float] = {}
    for method in ("percentile", "bca"):
        best_wall, best_cpu = np.inf, np.inf
        for _ in range(3):
            w0, c0 = time.perf_counter(), time.process_time()
            bootstrap_median_difference(x, y, seed=1, n_resamples=10_000, method=method)
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        print(f"{method:<12}{best_wall:>9.3f}{best_cpu:>8.3f}")
        boot[method] = best_cpu
    _readme_rows(measured, boot)


def _readme_rows(
    measured: dict[tuple[str, int], tuple[float, float, float, float | None]],
    boot: dict[str, float],
) -> None:
    """The README rows: 10^5 per arm beside R, the largest size beside the sort floor (with
    the scaling over the sizes measured), and the bootstrap."""
    task = "Hodges-Lehmann with CI and Wilcoxon p"
    if ("continuous", 10**5) in measured:
        cpu, _, _, cpu_r = measured[("continuous", 10**5)]
        ref = f"R `wilcox.test`: {seconds(cpu_r)} s {times(cpu_r, cpu)}" if cpu_r else "—"
        readme_row("50-hl-1e5", task, size(10**5, "per arm"), f"{seconds(cpu)} s CPU", ref)
    sizes = sorted(n for k, n in measured if k == "continuous")
    if sizes:
        n = sizes[-1]
        cpu, fl, mem, _ = measured[("continuous", n)]
        parts = [f"{seconds(cpu)} s CPU, memory {multiple(mem)} the inputs"]
        if ("integer", n) in measured:
            parts.append(f"integer scores {seconds(measured[('integer', n)][0])} s")
        trend = scaling(sizes, [measured[("continuous", m)][0] for m in sizes])
        if trend:
            parts.append(trend)
        readme_row("51-hl-1e6", task, size(n, "per arm"), "; ".join(parts),
                   f"numpy sort of the inputs: {seconds(fl)} s {times(cpu, fl)}")  # fmt: skip
    if boot:
        readme_row(
            "52-bootstrap",
            "bootstrap median difference, 10,000 resamples (percentile or BCa)",
            "n = 236",
            f"{seconds(boot.get('percentile', float('nan')))} s / "
            f"{seconds(boot.get('bca', float('nan')))} s CPU",
        )


if __name__ == "__main__":
    main()
