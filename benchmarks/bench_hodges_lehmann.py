"""Hodges-Lehmann shift with CI (trialkit vs R ``wilcox.test``) and the bootstrap of a median
difference.  Prints a table; never asserts on time.

Run: ``.venv/bin/python benchmarks/bench_hodges_lehmann.py [--skip-r] [--max-n 1000000]``

Targets (issue 4): at most 1/50 of R's time at 10^5 per arm, under 2 s at 10^6 per arm;
bootstrap of the median difference, 10,000 resamples at n = 236, under 1 s.  R is timed on the
same data (written as binary doubles) at 10^4 and 10^5 per arm only: at 10^6 its ``uniroot``
over repeated ranking of 2 * 10^6 values takes minutes.  Both wall-clock and CPU seconds are
shown for both (the machine is shared; CPU time is the steadier figure, and the ratio
uses it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

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


def _time_trialkit(x: np.ndarray, y: np.ndarray, repeats: int) -> tuple[float, float, object]:
    best_wall, best_cpu, res = np.inf, np.inf, None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        res = hodges_lehmann(x, y)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, res


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
    ap.add_argument("--max-n", type=int, default=10**6)
    args = ap.parse_args()
    rng = np.random.default_rng(20261123)

    print("Hodges-Lehmann estimate + 95% CI + Wilcoxon p (normal approximation)")
    head = (
        f"{'data':<11}{'n/arm':>9}{'wall s':>9}{'cpu s':>8}{'R wall':>9}{'R cpu':>8}"
        f"{'R/tk cpu':>10}{'max |diff| vs R':>17}{'|p - p_R|':>11}"
    )
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in ("continuous", "integer"):
            for n in (10**4, 10**5, 10**6):
                if n > args.max_n:
                    continue
                x, y = _data(kind, n, rng)
                wall, cpu, res = _time_trialkit(x, y, repeats=3 if n < 10**6 else 2)
                r_wall, r_cpu, ratio, diff, pdiff = "n/a", "n/a", "", "", ""
                if not args.skip_r and n <= 10**5:
                    got = _time_r(x, y, Path(tmpdir))
                    if got is not None:
                        secs, cpu_r, (est, lo, hi, p) = got
                        row = res.iloc[0]
                        # Estimates and limits agree within R's uniroot tolerance (1e-4).
                        d = max(
                            abs(row["estimate"] - est),
                            abs(row["ci_low"] - lo),
                            abs(row["ci_high"] - hi),
                        )
                        r_wall, r_cpu = f"{secs:.2f}", f"{cpu_r:.2f}"
                        ratio, diff = f"{cpu_r / cpu:.0f}x", f"{d:.1e}"
                        pdiff = f"{abs(row['p_value'] - p):.0e}"
                print(
                    f"{kind:<11}{n:>9,}{wall:>9.3f}{cpu:>8.3f}{r_wall:>9}{r_cpu:>8}{ratio:>10}"
                    f"{diff:>17}{pdiff:>11}"
                )

    print()
    print("Bootstrap CI of the difference in medians, 10,000 resamples, 118 + 118 patients")
    head = f"{'method':<12}{'wall s':>9}{'cpu s':>8}"
    print(head)
    print("-" * len(head))
    x, y = rng.normal(1.0, 4.0, 118), rng.normal(0.0, 4.0, 118)
    for method in ("percentile", "bca"):
        best_wall, best_cpu = np.inf, np.inf
        for _ in range(3):
            w0, c0 = time.perf_counter(), time.process_time()
            bootstrap_median_difference(x, y, seed=1, n_resamples=10_000, method=method)
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        print(f"{method:<12}{best_wall:>9.3f}{best_cpu:>8.3f}")


if __name__ == "__main__":
    main()
