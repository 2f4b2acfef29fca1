"""2x2 measures, survival and regression estimators at 10^4 to 10^6 patients.

Run: ``.venv/bin/python benchmarks/bench_binary_survival_regression.py [--max-n 1000000]``

Prints one row per function and size: wall-clock and CPU seconds (the machine is shared; CPU
time is the steadier figure). Never asserts on time. Data: a two-arm trial with 6 sites,
baseline SOFA, day-28 death with censoring, 0-28 free days, and for the mixed model 4 daily
visits per patient (4 x n rows, capped at 10^6 rows).

Peers measured in the same run: lifelines ``logrank_test`` beside :func:`logrank` (same
data, the arms split beforehand, as lifelines takes them), median CPU seconds of interleaved
repeats; the two statistics are checked to agree.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from lifelines.statistics import logrank_test

from trialkit.stats import (
    adjusted_mean_difference,
    cox_hazard_ratio,
    fisher_exact,
    kaplan_meier,
    km_at,
    logrank,
    mantel_haenszel_rr,
    mixed_model_repeated,
    proportional_odds,
)


def trial(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    site = rng.integers(0, 6, n)
    base = rng.integers(2, 17, n)
    t_death = rng.exponential(60 / (1 + 0.05 * base) * np.where(arm == 1, 1.1, 1.0))
    day = np.minimum(np.ceil(t_death), 28)
    dead = (t_death <= 28).astype(int)
    y = 3 + 0.6 * base + 0.2 * arm + rng.normal(0, 2, n)
    fd = np.where(
        dead == 1, 0, np.clip(np.round(18 + 3 * arm - 0.5 * base + rng.normal(0, 6, n)), 0, 28)
    )
    return pd.DataFrame(
        {
            "arm": arm,
            "site": site.astype(str),
            "base": base,
            "day": day,
            "dead": dead,
            "y": y,
            "fd": fd,
        }
    )


def visits(d: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(d)
    long = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 4),
            "visit": np.tile(np.arange(4), n),
            "arm": np.repeat(d.arm.to_numpy(), 4),
        }
    )
    u = np.repeat(rng.normal(0, 1.5, n), 4)
    long["marker"] = 10 - long.visit * (1 - 0.3 * long.arm) + u + rng.normal(0, 1, len(long))
    return long


def timed(fn, *args, **kwargs) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(*args, **kwargs)
    return time.perf_counter() - w, time.process_time() - c


def logrank_vs_lifelines(n: int, repeats: int = 5) -> None:
    """logrank against lifelines' logrank_test on the same patients, interleaved repeats."""
    d = trial(n)
    g = d.arm.to_numpy() == 1
    t, e = d.day.to_numpy(), d.dead.to_numpy()
    runs = {
        "trialkit logrank": lambda: logrank(t, e, g.astype(int)).statistic.item(),
        "lifelines logrank_test": lambda: logrank_test(t[g], t[~g], e[g], e[~g]).test_statistic,
    }
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    wall: dict[str, list[float]] = {k: [] for k in runs}
    stat = {}
    for _ in range(repeats):
        for label, fn in runs.items():
            w, c = time.perf_counter(), time.process_time()
            stat[label] = fn()
            wall[label].append(time.perf_counter() - w)
            cpu[label].append(time.process_time() - c)
    print(f"log-rank test, {n:,} patients, median of {repeats} interleaved repeats")
    for label in runs:
        print(
            f"  {label:<24} {np.median(wall[label]):7.3f} s wall {np.median(cpu[label]):7.3f} s CPU"
            f"  chi2 = {stat[label]:.10g}"
        )
    ratio = np.median(cpu["lifelines logrank_test"]) / np.median(cpu["trialkit logrank"])
    print(f"  lifelines / trialkit CPU time: {ratio:.1f}x\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=1_000_000)
    args = ap.parse_args()
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.max_n]
    logrank_vs_lifelines(sizes[-1])
    rows = []
    for n in sizes:
        d = trial(n)
        a, n1 = int(d.dead[d.arm == 1].sum()), int((d.arm == 1).sum())
        b, n2 = int(d.dead[d.arm == 0].sum()), int((d.arm == 0).sum())
        cases = [
            ("fisher_exact (counts of n patients)", fisher_exact, (a, n1, b, n2), {}),
            (
                "mantel_haenszel_rr (patient rows, 6 sites)",
                mantel_haenszel_rr,
                (d.dead, np.ones(n), d.arm, d.site),
                {},
            ),
            ("kaplan_meier (2 arms)", kaplan_meier, (d.day, d.dead, d.arm), {}),
            ("km_at (days 7, 14, 28)", km_at, (d.day, d.dead, d.arm), {"times": [7, 14, 28]}),
            ("logrank", logrank, (d.day, d.dead, d.arm), {}),
            (
                "cox_hazard_ratio (arm + base, site strata)",
                cox_hazard_ratio,
                (d.day, d.dead, d.arm),
                {"covariates": d[["base"]], "strata": d.site},
            ),
            (
                "adjusted_mean_difference (base + site)",
                adjusted_mean_difference,
                (d, "y", "arm", ["base"]),
                {"categorical": ["site"]},
            ),
            (
                "proportional_odds (base + site)",
                proportional_odds,
                (d, "fd", "arm", ["base"]),
                {"categorical": ["site"]},
            ),
        ]
        # Mixed model: 4 visits per patient, so at most 250,000 patients (10^6 rows).
        m = min(n, 250_000)
        cases.append(
            (
                f"mixed_model_repeated ({4 * m:,} rows)",
                mixed_model_repeated,
                (visits(d.iloc[:m]), "marker", "arm", "visit", "id"),
                {},
            )
        )
        for label, fn, fargs, kw in cases:
            wall, cpu = timed(fn, *fargs, **kw)
            rows.append({"function": label, "n_patients": n, "wall_s": wall, "cpu_s": cpu})
            print(f"{label:48s} {n:>9,d} {wall:8.2f} s wall {cpu:8.2f} s CPU", flush=True)
    print()
    table = pd.DataFrame(rows)
    table["function"] = table["function"].str.replace(r" \(\d[\d,]* rows\)", "", regex=True)
    print("CPU seconds by number of patients (mixed model: 4 rows per patient, at most 10^6 rows)")
    print(table.pivot(index="function", columns="n_patients", values="cpu_s").round(2))


if __name__ == "__main__":
    main()
