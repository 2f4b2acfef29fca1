"""Run every benchmark script in this folder and rewrite the README's speed table (``make bench``).

Each script runs in a fresh interpreter, so that one benchmark's memory and imports do not
colour the next (bench_import.py measures imports; the 10^7-row benchmarks hold GBs).
Benchmarks print tables; they never assert on time (timings belong here, not in tests).

Each script's stdout is echoed live and captured. The scripts that feed the README's
"## Speed" table print one ``README-ROW {json}`` line per row at the end of their run
(``benchmarks/_readme.py``: the row keys, which script reports each, the formatting). After
a full run (no script named) in which every script succeeded and every key of
``_readme.ROWS`` was reported exactly once, the README is rewritten between its two marker
lines: a paragraph with the run's date, the core count and the load average at the start and
at the end, then the table, its rows sorted by key. The README is read when the run ends (it
may have been edited meanwhile), only what lies between the markers changes, and the new file
replaces the old one atomically.

A partial run (scripts named), a failed script, a missing, unknown or repeated key, or
``--no-readme`` leaves the README untouched: the rows collected are printed as the table
they make. Exit status 1 when a script failed or a full run missed a row; 2 when the
README's markers are missing (checked before the first script runs and again at the end).

Run: ``.venv/bin/python benchmarks/run_all.py [--readme PATH | --no-readme] [bench_name ...]``
(default: every ``bench_*.py`` and the repository's README.md)
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import _readme  # benchmarks/_readme.py (this script runs from this folder)

HERE = Path(__file__).parent
README = HERE.parent / "README.md"


def load_average() -> float:
    """The one-minute load average (nan where the system has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def run_script(script: Path) -> tuple[int, str]:
    """Run ``script`` in a fresh interpreter: its exit status and its stdout (echoed live)."""
    # Unbuffered, so that a script's tables still appear as they are printed, not at its end.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    lines = []
    with subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env, bufsize=1,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    return proc.returncode, "".join(lines)


def problems(rows: list[_readme.Row], full: bool) -> list[str]:
    """What keeps ``rows`` from being the README's table: unknown, repeated, missing keys."""
    count = Counter(r.key for r in rows)
    out = [f"unknown row key {k!r}" for k in count if k not in _readme.ROWS]
    out += [f"row {k!r} reported {n} times" for k, n in count.items() if n > 1]
    if full:
        out += [
            f"row {k!r} not reported (by {script})"
            for k, script in _readme.ROWS.items()
            if k not in count
        ]
    return out


def main(argv: list[str] | None = None, here: Path = HERE) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="scripts to run (bench_x or bench_x.py); default all")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--readme", type=Path, default=README, help="the README to rewrite")
    where.add_argument("--no-readme", action="store_true", help="print the table only")
    args = ap.parse_args(argv)

    scripts = sorted(here.glob("bench_*.py"))
    if args.names:
        known = {s.stem for s in scripts} | {s.name for s in scripts}
        unknown = [n for n in args.names if n not in known]
        if unknown:
            ap.error(f"no such benchmark: {', '.join(unknown)}")
        scripts = [s for s in scripts if s.stem in args.names or s.name in args.names]
    full = not args.names
    if full and not args.no_readme:
        # Before the hour of benchmarks, not after it: a README that cannot take the table.
        try:
            _readme.check(args.readme)
        except (_readme.ReadmeError, OSError) as exc:
            print(f"README: {exc}", file=sys.stderr)
            return 2

    date = datetime.date.today().isoformat()
    load_start = load_average()
    failed, rows = [], []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        status, out = run_script(script)
        if status:
            failed.append(script.name)
        try:
            rows += _readme.parse_rows(out)
        except _readme.ReadmeError as exc:
            print(f"{script.name}: {exc}", file=sys.stderr)
            failed.append(script.name)
        print(f"--- {script.name}: {time.perf_counter() - start:.0f} s", flush=True)
    load_end = load_average()

    content = _readme.block(rows, date, os.cpu_count(), (load_start, load_end))
    print("\n=== the README's speed table from this run ===")
    print(content, end="", flush=True)
    trouble = problems(rows, full)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    for p in trouble:
        print(f"README: {p}", file=sys.stderr)
    if failed or trouble:
        if full and not args.no_readme:
            print(f"README: {args.readme} left as it was", file=sys.stderr)
        return 1
    if not full or args.no_readme:
        return 0
    try:
        _readme.rewrite(args.readme, content)
    except (_readme.ReadmeError, OSError) as exc:
        print(f"README: {exc}", file=sys.stderr)
        return 2
    print(f"\nREADME: the speed table of {args.readme} rewritten ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
