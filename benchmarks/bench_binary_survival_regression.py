"""2x2 measures, survival and regression estimators at 10^4 to 10^6 patients.

Run: ``.venv/bin/python benchmarks/bench_binary_survival_regression.py [--max-n 1000000]``

Prints one row per function and size: wall-clock and CPU seconds (the machine is shared; CPU
time is the steadier figure). Never asserts on time. Data: a two-arm trial with 6 sites,
baseline SOFA, day-28 death with censoring, 0-28 free days, and for the mixed model 4 daily
visits per patient (4 x n rows, capped at 10^6 rows).

Peers measured in the same run, at the largest size: lifelines ``logrank_test`` beside
:func:`logrank` (same data, the arms split beforehand, as lifelines takes them) and lifelines
``CoxPHFitter`` (Efron ties, as trialkit) beside :func:`cox_hazard_ratio` (arm + baseline SOFA,
site strata), median CPU seconds of interleaved repeats; the statistics and the hazard ratios
are printed beside each other to be seen to agree.

README row (``benchmarks/_readme.py``, key ``60-survival``): log-rank and Cox CPU seconds at
the largest size (the medians of the interleaved repeats) and their scaling exponents over the
table's sizes from 10^5 up (at 10^4 the fixed costs and the first call's imports dominate),
beside lifelines' two (the ratio is lifelines over trialkit).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _readme import ratio, row, scaling, seconds, size  # benchmarks/_readme.py
from lifelines import CoxPHFitter
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


def logrank_vs_lifelines(n: int, repeats: int = 5) -> tuple[float, float]:
    """logrank against lifelines' logrank_test on the same patients, interleaved repeats.

    Returns the median CPU seconds of trialkit's and of lifelines'.
    """
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
    return float(np.median(cpu["trialkit logrank"])), float(
        np.median(cpu["lifelines logrank_test"])
    )


def cox_vs_lifelines(n: int, repeats: int = 3) -> tuple[float, float]:
    """cox_hazard_ratio against lifelines' CoxPHFitter (Efron ties, site strata), interleaved.

    Returns the median CPU seconds of trialkit's and of lifelines'.
    """
    d = trial(n)
    frame = d[["day", "dead", "arm", "base", "site"]]
    runs = {
        "trialkit cox_hazard_ratio": lambda: cox_hazard_ratio(
            d.day, d.dead, d.arm, covariates=d[["base"]], strata=d.site
        )["estimate"].item(),
        "lifelines CoxPHFitter": lambda: (
            CoxPHFitter().fit(frame, "day", "dead", strata=["site"]).hazard_ratios_["arm"]
        ),
    }
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    hr = {}
    for _ in range(repeats):
        for label, fn in runs.items():
            c = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hr[label] = fn()
            cpu[label].append(time.process_time() - c)
    print(f"Cox (arm + base, site strata, Efron), {n:,} patients, median of {repeats} repeats")
    for label in runs:
        print(f"  {label:<26} {np.median(cpu[label]):7.3f} s CPU  HR(arm) = {hr[label]:.10g}")
    print()
    return float(np.median(cpu["trialkit cox_hazard_ratio"])), float(
        np.median(cpu["lifelines CoxPHFitter"])
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=1_000_000)
    args = ap.parse_args()
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.max_n]
    logrank_s = logrank_vs_lifelines(sizes[-1])
    cox_s = cox_vs_lifelines(sizes[-1])
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
    readme_row(sizes, table, logrank_s, cox_s)


def readme_row(
    sizes: list[int],
    table: pd.DataFrame,
    logrank_s: tuple[float, float],
    cox_s: tuple[float, float],
) -> None:
    """The README's row: log-rank and Cox at the largest size beside lifelines' two."""
    trends = []
    for what, label in (("logrank", "log-rank"), ("cox_hazard_ratio", "Cox")):
        # From 10^5 up: at 10^4 a single call is milliseconds of fixed cost and first imports.
        t = table[table.function.str.startswith(what) & (table.n_patients >= 100_000)]
        if trend := scaling(t.n_patients.tolist(), t.cpu_s.tolist()):
            trends.append(f"{label} {trend}")
    (lr, lr_peer), (cox, cox_peer) = logrank_s, cox_s
    row(
        "60-survival",
        "log-rank / Cox (Efron, strata)",
        size(sizes[-1], "patients"),
        f"{seconds(lr)} s / {seconds(cox)} s CPU" + "".join(f"; {t}" for t in trends),
        f"lifelines `logrank_test` {seconds(lr_peer)} s {ratio(lr_peer, lr)}; "
        f"`CoxPHFitter` {seconds(cox_peer)} s {ratio(cox_peer, cox)}",
    )


if __name__ == "__main__":
    main()
