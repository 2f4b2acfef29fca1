"""Run every benchmark script in this folder, one after the other (``make bench``).

Each script runs in a fresh interpreter, so that one benchmark's memory and imports do not
colour the next (bench_import.py measures imports; the 10^7-row benchmarks hold GBs).
Benchmarks print tables; they never assert on time (timings belong here, not in tests).

Run: ``.venv/bin/python benchmarks/run_all.py [bench_name ...]`` (default: all)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem in names or s.name in names]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        if subprocess.run([sys.executable, str(script)], check=False).returncode:
            failed.append(script.name)
        print(f"--- {script.name}: {time.perf_counter() - start:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
