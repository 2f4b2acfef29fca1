"""What importing trialkit for a notebook costs beyond pandas, numpy and matplotlib.

Each measurement is a fresh interpreter (``python -c``), so nothing is cached in the process;
the operating system's file cache is warm after the first repeat, as it is for a report that
runs many notebooks.  Rows, each the median of ``--repeats`` runs (interleaved, so a burst of
load on the shared machine hits every row alike):

* ``python`` — the bare interpreter;
* ``pandas + numpy + matplotlib`` — the peer: what every notebook imports anyway
  (``matplotlib.pyplot`` included, as the notebooks draw);
* ``notebook imports`` — the peer and then what a report notebook imports from trialkit:
  ``from trialkit import load_spec, plots, stats, tables``, ``trialkit.endpoints``,
  ``trialkit.notebook``, ``trialkit.published``, ``trialkit.schema``, ``trialkit.design``;
* one row per heavy library (statsmodels.api, lifelines, scipy.stats, scipy.optimize,
  pandera) after the peer.

The figure of interest is ``notebook imports`` after the peer (target: at most 0.5 s), in
CPU seconds of the child (wall time grows with the load of the shared machine).  The
last column lists which heavy libraries the notebook imports pulled in.  Prints a table;
asserts nothing about time.  ``python -X importtime`` shows where the time goes.

README row (``benchmarks/_readme.py``, key ``12-imports``): ``notebook imports`` after the
peer, beside the peer itself (the imports every notebook pays anyway), median CPU seconds.

Run: ``.venv/bin/python benchmarks/bench_import.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from _readme import row, seconds  # benchmarks/_readme.py

PEER = "import numpy, pandas, matplotlib, matplotlib.pyplot"
NOTEBOOK = (
    "from trialkit import load_spec, plots, stats, tables; import trialkit.endpoints, "
    "trialkit.notebook, trialkit.published, trialkit.schema, trialkit.design"
)
HEAVY = ("statsmodels.api", "lifelines", "scipy.stats", "scipy.optimize", "pandera")

# Times the imports inside the child (CPU seconds: steadier than wall time on a shared
# machine), so interpreter start-up is left out.
CHILD = """
import sys, time
t0 = time.process_time()
{before}
t1 = time.process_time()
{code}
t2 = time.process_time()
print(t1 - t0, t2 - t1, ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def _run(before: str, code: str) -> tuple[float, float, str]:
    src = CHILD.format(before=before or "pass", code=code or "pass", heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", src], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), out[2] if len(out) > 2 else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    cases = {
        "pandas + numpy + matplotlib (peer)": ("", PEER),
        "notebook imports, after the peer": (PEER, NOTEBOOK),
        "trialkit.stats alone, after the peer": (PEER, "import trialkit.stats"),
        **{f"{m}, after the peer": (PEER, f"import {m}") for m in HEAVY},
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    loaded: dict[str, str] = {}
    _run(PEER, NOTEBOOK)  # warm the file cache
    for _ in range(args.repeats):
        for label, (before, code) in cases.items():
            _, t, heavy = _run(before, code)
            times[label].append(t)
            loaded[label] = heavy
    print(
        f"import CPU seconds, median of {args.repeats} fresh interpreters "
        f"(Python {sys.version.split()[0]})"
    )
    head = f"{'what':<40}{'median s':>10}{'min s':>8}{'max s':>8}  heavy modules loaded"
    print(head)
    print("-" * len(head))
    for label in cases:
        v = times[label]
        print(
            f"{label:<40}{statistics.median(v):>10.3f}{min(v):>8.3f}{max(v):>8.3f}  "
            f"{loaded[label] or '-'}"
        )
    extra = statistics.median(times["notebook imports, after the peer"])
    print(f"\nnotebook imports beyond pandas + numpy + matplotlib: {extra:.3f} s (target <= 0.5)")
    peer = statistics.median(times["pandas + numpy + matplotlib (peer)"])
    row(
        "12-imports",
        "a report notebook's imports from trialkit, beyond pandas + numpy + matplotlib",
        "a fresh interpreter",
        f"{seconds(extra)} s CPU",
        f"`import numpy, pandas, matplotlib.pyplot` itself: {seconds(peer)} s CPU",
    )


if __name__ == "__main__":
    main()
