"""Subgroup effects and their interaction tests: CPU time by patients per level.

For two levels of ``n`` patients each (half per arm, integer outcomes as SOFA points, and a
0/1 outcome), times :func:`trialkit.stats.subgroups.subgroup_effects` with each measure,
and, as the peer measured in the same run, the estimators it calls once per level
(``risk_ratio``, ``hodges_lehmann``): the overhead of the subgroup machinery over them, and
the cost of the Hodges-Lehmann permutation test (B = 200 and 2000 permutations; up to 8192
pairs per level the differences of a block of permutations are materialized, beyond each
permutation counts on the implicit matrix). CPU time (``time.process_time``), median of 3
repeats (one at 10^4 per level); the machine is shared, so read ratios rather than absolute
times. Asserts nothing.

Run: ``.venv/bin/python benchmarks/bench_subgroups.py``
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
import pandas as pd

from trialkit.stats import hodges_lehmann, risk_ratio
from trialkit.stats.subgroups import subgroup_effects

SEED = 20251123


def frame(n_per_level: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2 * n_per_level
    return pd.DataFrame(
        {
            "arm": np.tile([1, 0], n // 2),
            "sub": np.repeat(["low", "high"], n_per_level),
            "dead": (rng.random(n) < 0.4).astype(int),
            "y": rng.integers(-12, 12, n).astype(float),
        }
    )


def cpu(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    for n in (100, 1_000, 10_000):
        d = frame(n)
        low = d[d["sub"] == "low"]
        x, y = low.y[low.arm == 1], low.y[low.arm == 0]
        a, b = int(low.dead[low.arm == 1].sum()), int(low.dead[low.arm == 0].sum())
        peer_rr = 2 * cpu(lambda x=x, y=y, a=a, b=b: risk_ratio(a, len(x), b, len(y)))
        peer_hl = 2 * cpu(lambda x=x, y=y: hodges_lehmann(x, y))
        row = {"patients per level": n, "2 x risk_ratio": peer_rr, "2 x hodges_lehmann": peer_hl}
        row["risk_ratio + Q"] = cpu(lambda d=d: subgroup_effects(d, "dead", "arm", "sub"))
        row["mean_difference + F"] = cpu(
            lambda d=d: subgroup_effects(d, "y", "arm", "sub", measure="mean_difference")
        )
        for b in (200, 2000):
            row[f"HL + permutation B={b}"] = cpu(
                lambda d=d, b=b: subgroup_effects(
                    d, "y", "arm", "sub", measure="hodges_lehmann", n_permutations=b, seed=1
                ),
                repeats=1 if n == 10_000 else 3,
            )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("patients per level")
    print("CPU seconds (median of 3; 1 run at 10^4 per level with permutations)")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
