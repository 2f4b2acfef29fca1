"""Win statistics and the worst-rank analysis at 10^4 to 10^6 patients per arm (trialkit, by
sorting) against the brute-force pair matrix (numpy, O(n m) time and memory) at small n.
Prints tables; never asserts on time.

Run: ``.venv/bin/python benchmarks/bench_composite.py [--max-n 1000000] [--repeats 3]``

Data: a septic-shock-like trial: death by day 28 in 40% / 43% (earlier worse, follow-up
complete), then ΔSOFA (integer points, lower better) with a 1-point clinical threshold. The
pair matrix is the peer: it is what a direct implementation (BuyseTest, WINS) computes, in C;
here in vectorized numpy, which is its floor in Python. CPU seconds are the steadier figure on
a shared machine; each cell is the median of the repeats. O(n log n) shows as time per
patient growing only with log n (about x1.2 per tenfold n, not x10).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from trialkit.stats.composite import worst_rank
from trialkit.stats.wins import win_statistics

HIERARCHY = [
    {"column": "death_day", "kind": "time", "horizon": 28},
    {"column": "delta_sofa", "kind": "numeric", "better": "lower", "threshold": 1},
]


def _trial(n: int, rng: np.random.Generator) -> pd.DataFrame:
    arm = np.r_[np.ones(n), np.zeros(n)].astype(int)
    dead = rng.random(2 * n) < np.where(arm == 1, 0.40, 0.43)
    death = np.where(dead, rng.integers(0, 29, 2 * n), np.nan)
    sofa = rng.integers(-8, 12, 2 * n).astype(float)
    return pd.DataFrame({"arm": arm, "death_day": death, "delta_sofa": sofa})


def _brute(df: pd.DataFrame) -> tuple[float, float]:
    """Wins and losses of arm 1 from the full n x m pair matrices."""
    x, y = df[df.arm == 1], df[df.arm == 0]
    s1 = np.where(x.death_day.isna(), np.inf, x.death_day.to_numpy())[:, None]
    s0 = np.where(y.death_day.isna(), np.inf, y.death_day.to_numpy())[None, :]
    win = s1 > s0
    loss = s1 < s0
    tied = ~win & ~loss
    d = x.delta_sofa.to_numpy()[:, None] - y.delta_sofa.to_numpy()[None, :]
    win |= tied & (d < -1)
    loss |= tied & (d > 1)
    return float(win.sum()), float(loss.sum())


def _time(fn, repeats: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-n", type=int, default=10**6)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(20261201)

    print("Win ratio / win odds / net benefit with CIs (2 levels), and worst rank + CI + Wilcoxon")
    head = (
        f"{'n/arm':>9}{'wins cpu s':>12}{'us/patient':>12}{'worst-rank cpu s':>18}"
        f"{'brute cpu s':>13}{'brute/tk':>10}{'counts equal':>14}"
    )
    print(head)
    print("-" * len(head))
    for n in (10**3, 3 * 10**3, 10**4, 10**5, 10**6):
        if n > args.max_n:
            continue
        df = _trial(n, rng)
        reps = args.repeats if n < 10**6 else max(1, args.repeats - 1)
        _, cpu_w, res = _time(lambda df=df: win_statistics(df, HIERARCHY, group="arm"), reps)
        _, cpu_r, _ = _time(
            lambda df=df: worst_rank("delta_sofa", "death_day", "arm", data=df), reps
        )
        brute, ratio, same = "", "", ""
        if n <= 3 * 10**3:  # the pair matrices take 9e6 cells x 5 arrays at 3000 per arm
            _, cpu_b, (w, l_) = _time(lambda df=df: _brute(df), reps)
            row = res.iloc[0]
            brute, ratio = f"{cpu_b:.3f}", f"{cpu_b / cpu_w:.1f}x"
            same = str(w == row["wins"] and l_ == row["losses"])
        print(
            f"{n:>9,}{cpu_w:>12.3f}{1e6 * cpu_w / (2 * n):>12.2f}{cpu_r:>18.3f}"
            f"{brute:>13}{ratio:>10}{same:>14}"
        )


if __name__ == "__main__":
    main()
