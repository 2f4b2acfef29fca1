"""One home for a row of the README's speed table (imported by the benchmark scripts).

A benchmark that feeds the README's "## Speed" table calls :func:`row` at the end of its run
with the numbers it measured in that run; :func:`row` prints one machine-readable line,
``README-ROW {json}``, to stdout. ``benchmarks/run_all.py`` captures every script's stdout,
collects these lines (:func:`parse_rows`), and after a full run in which no script failed
writes the table (:func:`table`, the rows sorted by key) and its intro paragraph
(:func:`intro`) between the README's two marker lines (:func:`rewrite`).

The key of a row is its sort key: it fixes the row's place in the table, whatever order the
scripts run in. :data:`ROWS` lists every key a full run must produce and the script that
reports it; a key not listed there is refused, so that a typo cannot add a stray row or drop
a real one. Reserved for ``bench_hodges_lehmann.py`` (its rows are added there, not here):

* ``50-hl-1e5``: Hodges-Lehmann with CI and Wilcoxon p, 10^5 per arm, beside R
  ``wilcox.test``;
* ``51-hl-1e6``: the same at 10^6 per arm, beside the numpy sort of the inputs;
* ``52-bootstrap``: the bootstrap median difference, 10,000 resamples.

Formatting, as the README had it by hand: seconds to two significant figures (never fewer
than the integer digits: 0.071, 2.9, 43, 339), ratios as ``(891×)`` (three figures below
2), memory as a multiple of the input, sizes near a power of ten as ``10^6``, and the scaling
exponent ``b`` of ``time ~ size^b`` where a benchmark measures more than one size.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PREFIX = "README-ROW "
BEGIN = "<!-- speed-table: begin (benchmarks/run_all.py rewrites what lies between these lines) -->"
END = "<!-- speed-table: end -->"
DASH = "—"  # the reference cell of a row without a peer

# Every row of a full run: key (its place in the table) -> the script that reports it.
ROWS: dict[str, str] = {
    "10-report-imicro": "bench_report.py",
    "11-report-combat_shine": "bench_report.py",
    "11a-report-all": "bench_report.py",
    "12-imports": "bench_import.py",
    "20-endpoints": "bench_endpoints.py",
    "30-sofa2": "bench_sofa.py",
    "40-load-csv": "bench_schema.py",
    "41-load-parquet": "bench_schema.py",
    "50-hl-1e5": "bench_hodges_lehmann.py",
    "51-hl-1e6": "bench_hodges_lehmann.py",
    "52-bootstrap": "bench_hodges_lehmann.py",
    "60-survival": "bench_binary_survival_regression.py",
    "70-design-normal": "bench_design.py",
    "71-design-twin": "bench_design.py",
}


class ReadmeError(ValueError):
    """The README cannot be rewritten (markers missing or misplaced), or a row is malformed."""


@dataclass(frozen=True)
class Row:
    """One line of the speed table: what was measured, on what, trialkit's figure, the peer's."""

    key: str
    task: str
    size: str
    trialkit: str
    reference: str = DASH

    def markdown(self) -> str:
        # A "|" inside a cell would split it; none of ours has one, but a figure must not
        # silently shift the columns.
        cells = [c.replace("|", r"\|") for c in (self.task, self.size, self.trialkit)]
        return "| " + " | ".join([*cells, self.reference.replace("|", r"\|")]) + " |"


def row(key: str, task: str, size: str, trialkit: str, reference: str = DASH) -> Row:
    """Print one README row as ``README-ROW {json}`` on stdout (flushed) and return it.

    Parameters
    ----------
    key
        The row's sort key, one of :data:`ROWS`.
    task, size
        What was measured and on how much data (Markdown, as the table shows it).
    trialkit
        trialkit's figures, measured in this run.
    reference
        The peer's figures measured in the same run (with the ratio), or ``—`` for none.
    """
    if key not in ROWS:
        raise ReadmeError(f"unknown README row key {key!r} (known: {', '.join(ROWS)})")
    r = Row(key, task, size, trialkit, reference)
    print(PREFIX + json.dumps(asdict(r), ensure_ascii=False), flush=True)
    return r


def parse_rows(text: str) -> list[Row]:
    """The rows printed in ``text`` (a script's stdout), in the order printed."""
    rows = []
    for line in text.splitlines():
        if not line.startswith(PREFIX):
            continue
        try:
            fields = json.loads(line[len(PREFIX) :])
            rows.append(Row(**fields))
        except (ValueError, TypeError) as exc:
            raise ReadmeError(f"malformed README row: {line!r} ({exc})") from exc
    return rows


# --- numbers as the README writes them -------------------------------------------------------


def seconds(x: float, figures: int = 2) -> str:
    """``x`` to ``figures`` significant figures, all integer digits kept: 0.071, 2.9, 339."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = figures - 1 - math.floor(math.log10(abs(x)))
    if digits <= 0:
        return f"{x:,.0f}"
    # Rounding can carry into a new digit (9.96 -> 10): format what was rounded.
    rounded = round(x, digits)
    digits = max(figures - 1 - math.floor(math.log10(abs(rounded))), 0)
    return f"{rounded:,.{digits}f}"


def ratio(a: float, b: float) -> str:
    """``a / b`` as the README writes it, ``(891×)``; three figures below 2 (``(1.24×)``)."""
    if not (b and math.isfinite(a) and math.isfinite(b)):
        return "(n/a)"
    r = a / b
    return f"({seconds(r, 3 if r < 2 else 2)}×)"


def multiple(x: float) -> str:
    """A multiple of the input (memory over the table, the CSV): ``0.16×``, ``8.1×``."""
    return f"{seconds(x)}×"


def size(n: float, unit: str = "") -> str:
    """``10^6`` for a count within 5% of a power of ten, else ``380,000``; then ``unit``."""
    k = round(math.log10(n)) if n > 0 else 0
    text = f"10^{k}" if n > 0 and abs(n / 10**k - 1) <= 0.05 else f"{n:,.0f}"
    return f"{text} {unit}".rstrip()


def exponent(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares ``b`` of ``log(time) = a + b log(size)`` over the sizes measured."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def scaling(sizes: Sequence[float], times: Sequence[float], var: str = "n") -> str:
    """``time ~ n^1.02 (10^5 → 10^7)``, fitted over every size given; "" for fewer than two.

    Also "" when a time is not positive (a clock too coarse for the call): no exponent then.
    """
    if len(set(sizes)) < 2 or min(times) <= 0:
        return ""
    b = exponent(sizes, times)
    return f"time ~ {var}^{b:.2f} ({size(min(sizes))} → {size(max(sizes))})"


# --- the table and the README ----------------------------------------------------------------


def table(rows: Iterable[Row]) -> str:
    """The Markdown table of ``rows``, sorted by key (no trailing newline)."""
    lines = ["| task | size | trialkit | reference |", "|---|---|---|---|"]
    lines += [r.markdown() for r in sorted(rows, key=lambda r: r.key)]
    return "\n".join(lines)


def intro(date: str, cores: int | None, load_start: float, load_end: float) -> str:
    """The paragraph above the table: when, on how many cores, under what load (wrapped)."""
    text = (
        f"Measured by `make bench` (every script in `benchmarks/`, one run) on {date}, on "
        f"{cores or 'an unknown number of'} cores; the one-minute load average was "
        f"{load_start:.1f} at the start and {load_end:.1f} at the end (it counts the "
        "benchmarks' own processes), and CPU seconds are given beside wall time. Each "
        "reference was measured in the same run as the trialkit figure beside it."
    )
    # break_on_hyphens=False keeps "2026-12-02" and the like on one line.
    return textwrap.fill(text, width=92, break_on_hyphens=False, break_long_words=False)


def block(rows: Iterable[Row], date: str, cores: int | None, load: tuple[float, float]) -> str:
    """What lies between the markers: the intro, a blank line, the table (newline-ended)."""
    return f"{intro(date, cores, *load)}\n\n{table(rows)}\n"


def _marker_lines(lines: list[str], path: Path) -> tuple[int, int]:
    found = {}
    for marker in (BEGIN, END):
        at = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == marker]
        if len(at) != 1:
            raise ReadmeError(
                f"{path}: the marker line {marker!r} must appear exactly once, on a line of "
                f"its own (found {len(at)}); the speed table is not rewritten"
            )
        found[marker] = at[0]
    if found[BEGIN] > found[END]:
        raise ReadmeError(f"{path}: the speed-table end marker comes before the begin marker")
    return found[BEGIN], found[END]


def check(path: Path) -> None:
    """Raise :class:`ReadmeError` unless ``path`` has both marker lines, in order."""
    with open(path, encoding="utf-8", newline="") as fh:
        _marker_lines(fh.readlines(), Path(path))


def rewrite(path: Path, content: str) -> None:
    """Replace what lies between the marker lines of ``path`` with ``content``, atomically.

    Everything outside the markers (the marker lines included) keeps its bytes; the new file
    is written beside the old one and moved over it (``os.replace``), with the old one's
    permissions, so that a reader never sees half a README.
    """
    path = Path(path)
    # newline="" keeps each line's own ending, so the untouched part is byte-identical.
    with open(path, encoding="utf-8", newline="") as fh:
        lines = fh.readlines()
    begin, end = _marker_lines(lines, path)
    eol = re.search(r"\r?\n$", lines[begin])
    new = content.replace("\n", eol.group(0)) if eol else content
    text = "".join(lines[: begin + 1]) + new + "".join(lines[end:])
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
