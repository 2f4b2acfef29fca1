"""SOFA-2 beside Vincent 1996 on 10^5 and 10^6 patient-days: CPU time of each, same table.

Data: the I-MICRO twin (:func:`trialkit.simulate.twin`, ``condition=False``) of ~13,000
patients (~10^5 patient-days, every SOFA-2 column), tiled into new patients (ids prefixed by
the copy number, so that they stay sorted as in a written file): the frames
:func:`trialkit.schema.load_trial` returns for such a folder (ids as text, one shared object
per patient; ``resp_support`` and ``ecmo`` categorical).

Rows, per size (CPU seconds, median of the repeats, the two versions timed alternately in
the same run; the machine is shared):

* ``daily_scores``: the scores alone (no copy of the table), each version with its defaults
  (SOFA-2: sedation and intermittent-RRT rules across days, so the ids are coded too);
* ``ids coded``: the same, given the patients' integer codes (as ``analysis_set`` passes
  them): SOFA-2's scoring itself;
* ``sofa()``: the daily SOFA frame (a copy of the table plus seven columns);
* ``analysis_set``: what a report derives (SOFA and every I-MICRO endpoint), with the spec's
  ``[sofa] version`` set to each; the patients' row numbers are looked up once there and
  shared with SOFA-2's rules across days.

Where the time goes at 10^6 rows (cProfile, 2026-12-02, after the changes below). SOFA-2
reads 29 input columns where SOFA-1 reads 15: the range checks, which are the first read of
each column from memory, take 0.039 s of SOFA-2's 0.16 s (``ids coded``), the rules across
days and the patients' day order 0.036 s, the scoring itself the rest. What made it faster:
ufuncs' ``where=`` (25 times slower than a masked assignment in numpy) replaced; each
fallback (SpO2/FiO2, the GCS motor response, MAP alone under a ceiling, the RRT criteria,
"nothing to score from") computed on the rows it applies to only; the text patient ids coded
once per run of rows (:func:`trialkit.patient_days.id_codes`, 0.05 s where
``pandas.factorize`` takes 0.13 s); ``resp_support`` and ``ecmo`` read as category codes;
the sedation and intermittent-RRT rules touching only the rows they change.

The ratio column is SOFA-2's time over SOFA-1's.  Prints a table; asserts nothing.

README row (``benchmarks/_readme.py``, key ``30-sofa2``), at the largest size measured:
SOFA-2's and SOFA-1's CPU seconds and their ratio for ``ids coded``, ``sofa()`` and
``analysis_set``. No peer outside trialkit: each version is the other's reference.

Run: ``.venv/bin/python benchmarks/bench_sofa.py [--max-rows 1000000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import pandas as pd
from _readme import ratio, row, seconds, size  # benchmarks/_readme.py

from trialkit.endpoints import analysis_set
from trialkit.simulate import twin
from trialkit.sofa import daily_scores, sofa
from trialkit.spec import load_spec

SEED = 20260101
BASE_PATIENTS = 6600  # per arm: about 10^5 patient-days


def tiled(daily: pd.DataFrame, rows: int) -> pd.DataFrame:
    copies = -(-rows // len(daily))
    parts = []
    for k in range(copies):
        part = daily.copy()
        part["patient_id"] = f"{k:04d}-" + part["patient_id"].astype(str)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True).iloc[:rows].copy()
    # One shared text object per patient, as load_trial returns the ids (via categories).
    out["patient_id"] = out["patient_id"].astype("category").astype(object)
    return out


def cpu(f, *args) -> float:
    t0 = time.process_time()
    f(*args)
    return time.process_time() - t0


def main(max_rows: int, repeats: int) -> None:
    base = twin("imicro", SEED, condition=False, randomized=(BASE_PATIENTS, BASE_PATIENTS))
    daily = base.daily
    sizes = [n for n in (10**5, 10**6, 10**7) if n <= max_rows]
    print(f"base twin: {len(daily)} patient-days, {daily.shape[1]} columns")
    print(f"{'rows':>9} {'call':<14} {'sofa1 s':>9} {'sofa2 s':>9} {'ratio':>6}")
    spec = load_spec("imicro")
    medians: dict[str, tuple[float, float]] = {}  # at the size last measured
    for n in sizes:
        d = tiled(daily, n)
        copies = -(-n // len(daily))
        trial = replace(base, patients=tiled(base.patients, copies * len(base.patients)),
                        daily=d, events=base.events.iloc[:0])  # fmt: skip
        codes = pd.factorize(d["patient_id"])[0]
        calls = {
            "daily_scores": lambda v, d=d: daily_scores(d, version=v),
            # the scoring alone: the ids coded beforehand, as analysis_set has them
            "ids coded": lambda v, d=d, c=codes: daily_scores(d, version=v, patient_codes=c),
            "sofa()": lambda v, d=d: sofa(d, version=v),
            # what a report runs: SOFA and every endpoint of the spec, scored with each version
            "analysis_set": lambda v, t=trial: analysis_set(t, spec.with_sofa(version=v)),
        }
        for name, call in calls.items():
            call("sofa1"), call("sofa2")  # warm-up
            t1, t2 = [], []
            for _ in range(repeats):  # alternately, so that the load hits both alike
                t1.append(cpu(call, "sofa1"))
                t2.append(cpu(call, "sofa2"))
            a, b = float(np.median(t1)), float(np.median(t2))
            medians[name] = a, b
            print(f"{n:>9} {name:<14} {a:>9.3f} {b:>9.3f} {b / a:>6.2f}")
        del d
    readme_row(sizes[-1], medians)


def readme_row(n: int, medians: dict[str, tuple[float, float]]) -> None:
    """The README's row: SOFA-2 / SOFA-1 CPU seconds and ratio of three calls at size ``n``."""

    def pair(name: str, unit: str = "", note: str = "") -> str:
        a, b = medians[name]
        r = ratio(b, a).strip("()")
        return f"{seconds(b)} s / {seconds(a)} s{unit} ({r}{', ' + note if note else ''})"

    row(
        "30-sofa2",
        "SOFA-2 beside SOFA-1: the scores with the ids coded; `sofa(version=…)`; "
        "`analysis_set` with each version",
        size(n, "patient-days"),
        f"{pair('ids coded', ' CPU')}; {pair('sofa()', note='coding the text ids included')}; "
        f"{pair('analysis_set')}",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    main(args.max_rows, args.repeats)
