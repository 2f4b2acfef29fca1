"""Benchmark trialkit.design beside R (rpact), on the COMBAT-SHINE design.

Run:  .venv/bin/python benchmarks/bench_design.py
Prints a table. R is optional: without Rscript and rpact the R column says "n/a".

1. 10,000 simulated COMBAT-SHINE two-stage trials per scenario (n 380, blinded futility
   interim at 200, futility if Z < 0, O'Brien-Fleming-type efficacy bound), patient-level
   in Python, versus rpact::getSimulationMeans (which draws stage-wise summary statistics).
2. Group-sequential boundaries (4 looks, beta spending) versus getDesignGroupSequential.
3. sample_size_means over 10^6 input combinations (vectorized root search).
4. The same design with patient-level outcomes from the COMBAT-SHINE twin
   (trialkit.simulate.twin_outcomes) instead of a normal law: 1,000 trials under the null,
   i.e. 380,000 simulated patients with daily ICU data, SOFA and endpoints.

Times are wall seconds (the simulations run as tasks on an in-process dask cluster).

README rows (``benchmarks/_readme.py``):

* ``70-design-normal``: 1. beside rpact's ``getSimulationMeans`` in the same run (the ratio
  is rpact over trialkit; "rpact not installed" without it);
* ``71-design-twin``: 4., its time and the type I error it estimates (with its Monte Carlo
  95% interval) against the nominal one-sided 0.025; no peer.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import _readme  # benchmarks/_readme.py (``row`` is a local name in main)
import numpy as np
from _readme import ratio, seconds

from trialkit.design import (
    group_sequential,
    normal_outcomes,
    sample_size_means,
    simulate_operating_characteristics,
)
from trialkit.simulate import twin_outcomes

N_SIMS = 10_000
N_TWIN = 1_000  # patient-level twin trials: each has daily ICU data behind its endpoint
EFFECTS = (0.0, 0.668, 1.336)  # no effect, 10% and 20% reduction of 6.68

R_CODE = f"""
suppressPackageStartupMessages(library(rpact))
d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.1, sided = 1,
  typeOfDesign = "asOF", informationRates = c(200 / 380, 1), futilityBounds = 0,
  bindingFutility = FALSE)
tm <- system.time(s <- getSimulationMeans(d, alternative = c({", ".join(map(str, EFFECTS))}),
  stDev = 3.96, plannedSubjects = c(200, 380), maxNumberOfIterations = {N_SIMS}, seed = 1))
cat("sim", tm[["elapsed"]], s$overallReject, s$futilityPerStage[1, ],
  s$expectedNumberOfSubjects, "\\n")
tg <- system.time(for (i in 1:20) getDesignGroupSequential(kMax = 4, alpha = 0.025, beta = 0.1,
  sided = 1, typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1),
  typeBetaSpending = "bsOF", bindingFutility = FALSE))
cat("gs", tg[["elapsed"]] / 20, "\\n")
"""


def run_r() -> dict[str, list[float]] | None:
    if shutil.which("Rscript") is None:
        return None
    done = subprocess.run(["Rscript", "-e", R_CODE], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    out = {}
    for line in done.stdout.splitlines():
        key, *values = line.split()
        out[key] = [float(v) for v in values]
    return out


def main() -> None:
    design = group_sequential([200 / 380, 1], futility=[0.0])
    start = time.perf_counter()
    oc = simulate_operating_characteristics(
        [-e for e in EFFECTS],
        n_per_arm=190,
        interim_per_arm=100,
        futility_z=0.0,
        interim_efficacy_z=float(design["efficacy_z"].iloc[0]),
        final_z=float(design["efficacy_z"].iloc[1]),
        alternative="less",
        generator=normal_outcomes(6.68, 3.96),
        n_sims=N_SIMS,
        seed=1,
        progress=False,
    )
    py_sim = time.perf_counter() - start

    start = time.perf_counter()
    oc_twin = simulate_operating_characteristics(
        [0.0],
        n_per_arm=190,
        interim_per_arm=100,
        futility_z=0.0,
        interim_efficacy_z=float(design["efficacy_z"].iloc[0]),
        final_z=float(design["efficacy_z"].iloc[1]),
        alternative="less",
        generator=twin_outcomes("combat_shine", "mean_sofa"),
        n_sims=N_TWIN,
        seed=1,
        progress=False,
    )
    py_twin = time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(20):
        group_sequential([0.25, 0.5, 0.75, 1], futility="obf")
    py_gs = (time.perf_counter() - start) / 20

    rng = np.random.default_rng(1)
    deltas = rng.uniform(0.5, 2.0, 1_000_000)
    start = time.perf_counter()
    n = sample_size_means(deltas, 3.96)
    py_ss = time.perf_counter() - start

    r = run_r()
    k = len(EFFECTS)
    r_sim = r["sim"] if r else None

    def fmt(x: float | None, spec: str = ".3f") -> str:
        return "n/a" if x is None else format(x, spec)

    print(f"trialkit.design benchmark ({N_SIMS:,} COMBAT-SHINE trials per scenario)\n")
    print(f"{'task':<58}{'Python':>10}{'R rpact':>10}")
    print("-" * 78)
    print(
        f"{f'simulate {k} scenarios x {N_SIMS:,} trials (s)':<58}"
        f"{py_sim:>10.2f}{fmt(r_sim[0] if r_sim else None, '.2f'):>10}"
    )
    print(
        f"{'group-sequential design, 4 looks, beta spending (s)':<58}"
        f"{py_gs:>10.3f}{fmt(r['gs'][0] if r else None):>10}"
    )
    print(f"{'sample_size_means, 10^6 input rows (s)':<58}{py_ss:>10.2f}{'-':>10}")
    print(f"  (rows returned: {len(n):,})")
    print()
    print(
        f"{'reduction':>10}{'P(reject) py':>14}{'R':>8}{'analytic':>10}"
        f"{'P(futile) py':>14}{'R':>8}{'E[N] py':>9}{'R':>8}"
    )
    for i, row in enumerate(oc.itertuples()):
        rv = [r_sim[1 + i], r_sim[1 + k + i], r_sim[1 + 2 * k + i]] if r_sim else [None] * 3
        print(
            f"{-row.effect:>10.3f}{row.estimate:>14.4f}{fmt(rv[0], '.4f'):>8}"
            f"{row.analytic_power:>10.4f}{row.p_stop_futility:>14.4f}{fmt(rv[1], '.4f'):>8}"
            f"{row.expected_n:>9.1f}{fmt(rv[2], '.1f'):>8}"
        )
    print("\nMonte Carlo SE of a probability near 0.5 with 10,000 trials: 0.005.")
    row = oc_twin.iloc[0]
    print(
        f"\nTwin-driven (trialkit.simulate.twin_outcomes), null scenario, {N_TWIN:,} trials: "
        f"{py_twin:.1f} s; type I error {row.estimate:.4f} "
        f"(95% MC CI {row.ci_low:.4f} to {row.ci_high:.4f}), "
        f"P(futile) {row.p_stop_futility:.4f}, E[N] {row.expected_n:.1f}"
    )
    readme_rows(py_sim, r_sim[0] if r_sim else None, py_twin, row)


def readme_rows(py_sim: float, r_sim: float | None, py_twin: float, null: object) -> None:
    """The README's two rows: normal outcomes beside rpact, twin-driven outcomes alone."""
    k = len(EFFECTS)
    reference = (
        f"rpact `getSimulationMeans` {seconds(r_sim)} s {ratio(r_sim, py_sim)}"
        if r_sim is not None
        else "rpact not installed"
    )
    _readme.row(
        "70-design-normal",
        f"COMBAT-SHINE two-stage design, {k} scenarios × {N_SIMS:,} trials, normal outcomes",
        "n 380, interim 200",
        f"{seconds(py_sim)} s wall",
        reference,
    )
    _readme.row(
        "71-design-twin",
        f"the same design, {N_TWIN:,} trials under the null with patient-level outcomes "
        "from the twin",
        f"{380 * N_TWIN:,} simulated patients",
        f"{seconds(py_twin)} s wall; type I error {null.estimate:.3f} (Monte Carlo 95% CI "
        f"{null.ci_low:.3f} to {null.ci_high:.3f}) for a nominal 0.025",
    )


if __name__ == "__main__":
    main()
