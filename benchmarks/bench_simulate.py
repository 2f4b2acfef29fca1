"""How fast the synthetic twins are: one trial, many trials, large trials.

Plain script (no timed assertions anywhere): ``.venv/bin/python benchmarks/bench_simulate.py``.
Prints, per trial and size, the time to draw one trial in memory (``twin``), to draw it and
derive every endpoint (``simulate_endpoints``, the path for power simulations), and the
number of daily rows. The last size per trial gives about 10^6 daily rows (one run; on the
2-core development machine: 8-13 s and 0.8 GB peak resident memory, measured
with ``/usr/bin/time -v``, because trajectories are drawn in blocks of 4,096 patients).
"""

from __future__ import annotations

import time

from trialkit.simulate import simulate_endpoints, twin


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    print(f"{'trial':<14}{'patients':>10}{'daily rows':>12}{'twin s':>10}{'+endpoints s':>14}")
    for trial in ("imicro", "combat_shine"):
        big = 130_000 if trial == "imicro" else 90_000  # about 10^6 daily rows
        for n in (None, 1_000, 10_000, big):
            kw = {} if n is None else {"randomized": (n // 2, n // 2)}
            repeat = 1 if n == big else 3
            t = twin(trial, 1, **kw)
            s_twin = best_of(lambda kw=kw, trial=trial: twin(trial, 1, **kw), repeat)
            s_end = best_of(lambda kw=kw, trial=trial: simulate_endpoints(trial, 1, **kw), repeat)
            print(
                f"{trial:<14}{len(t.patients):>10}{len(t.daily):>12}{s_twin:>10.3f}{s_end:>14.3f}"
            )


if __name__ == "__main__":
    main()
