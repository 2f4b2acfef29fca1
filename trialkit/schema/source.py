"""Where a table's rows sit in its file, to word the place of a problem.

A table is read into a frame whose rows are numbered 0..n-1 in file order (the positions).
Messages name the place a person opens the file at: the physical **line** of a CSV file
(header = line 1, blank lines and line breaks inside quoted values counted), the **row** of
a Parquet file (1 = the first row). The line of each row is worked out only when a message
needs it, so a valid file pays nothing for it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

_CHUNK = 1 << 26  # bytes per pass of the line scan: 64 MB of file, ~200 MB of temporaries
_NL, _CR, _QUOTE = 10, 13, 34


@dataclass
class Source:
    """One input file: its name in messages, its path and how to locate its rows."""

    file: str
    path: Path
    unit: str = "row"
    n_rows: int | None = None  # rows the reader returned (set once the file is read)
    #: Rows of a column already reported while reading (a control character, a line
    #: break): later checks of that column leave them out.
    skip: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)

    def skipped(self, column: str) -> np.ndarray:
        """Row positions of ``column`` reported while reading."""
        parts = self.skip.get(column, [])
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def numbers(self, rows: ArrayLike) -> np.ndarray:
        """Row numbers (1 = the first row) of row positions."""
        return np.asarray(rows, dtype=np.int64) + 1

    def label(self, rows: ArrayLike) -> str:
        """``"line 4"``, ``"lines 2, 3, 4, 5, 6 (+3 more)"`` or ``"row 7"``."""
        return numbered(self.numbers(rows), self.unit)


def numbered(numbers: ArrayLike, unit: str = "line") -> str:
    """The first five distinct numbers in order, then how many more."""
    ordered = np.unique(np.asarray(numbers, dtype=np.int64))
    head = ", ".join(str(x) for x in ordered[:5])
    more = f" (+{len(ordered) - 5} more)" if len(ordered) > 5 else ""
    return f"{unit}{'' if len(ordered) == 1 else 's'} {head}{more}"


@dataclass
class CsvSource(Source):
    """A CSV file: rows are located by the physical line on which their record starts."""

    unit: str = "line"
    _lines: np.ndarray | None = field(default=None, repr=False)

    def numbers(self, rows: ArrayLike) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self._lines is None:
            self._lines = record_lines(self.path)
            if self.n_rows is not None and len(self._lines) != self.n_rows:
                # A stray quote inside an unquoted value: parity no longer tells which
                # line breaks end records. Python's csv module reads such a file as the
                # reader did; it is slower, and only runs on this rare error path.
                self._lines = python_records(self.path)[0]
        lines = self._lines
        inside = rows < len(lines)
        out = np.where(inside, lines[np.minimum(rows, max(len(lines) - 1, 0))], -1)
        # Defensive: a position past the records found (should not happen) is given as
        # its line in a file without quotes, never as a wrong line.
        return np.where(inside, out, rows + 2)


def record_lines(path: Path) -> np.ndarray:
    """Line (1-based) on which each data record starts, header and blank lines skipped.

    A line break ends a record unless an odd number of double quotes precedes it (it is
    then inside a quoted value; a doubled quote ``""`` inside a value keeps the parity).
    Vectorized over 64 MB chunks: about a second per GB.
    """
    terms: list[np.ndarray] = []  # byte offset of each record-ending line break
    term_nl: list[np.ndarray] = []  # its index among all line breaks (0-based)
    term_cr: list[np.ndarray] = []  # a CR just before it (CRLF line ends)
    parity, n_nl, offset, last_byte = 0, 0, 0, -1
    size = path.stat().st_size
    with path.open("rb") as fh:
        while True:
            data = fh.read(_CHUNK)
            if not data:
                break
            buf = np.frombuffer(data, dtype=np.uint8)
            nl = np.flatnonzero(buf == _NL)
            keep = np.ones(len(nl), dtype=bool)
            if data.count(b'"'):
                # uint8 cumsum wraps at 256, an even number: the parity survives.
                cum = np.cumsum(buf == _QUOTE, dtype=np.uint8)
                keep = ((cum[nl] + parity) & 1) == 0
                parity = (parity + int(cum[-1])) & 1
            before = np.where(nl > 0, buf[np.maximum(nl - 1, 0)], last_byte)
            terms.append(nl[keep] + offset)
            term_nl.append(np.arange(n_nl, n_nl + len(nl))[keep])
            term_cr.append(before[keep] == _CR)
            n_nl += len(nl)
            offset += len(buf)
            last_byte = int(buf[-1])
    t = np.concatenate(terms) if terms else np.zeros(0, np.int64)
    t_nl = np.concatenate(term_nl) if term_nl else np.zeros(0, np.int64)
    t_cr = np.concatenate(term_cr) if term_cr else np.zeros(0, bool)
    prev = np.concatenate(([-1], t[:-1]))
    length = t - prev - 1
    blank = (length == 0) | ((length == 1) & t_cr)
    start = np.concatenate(([1], t_nl[:-1] + 2))
    # A last record without a line break after it.
    tail = size - (int(t[-1]) + 1 if len(t) else 0)
    if tail > 0 and not (tail == 1 and last_byte == _CR):
        start = np.append(start, int(t_nl[-1]) + 2 if len(t) else 1)
        blank = np.append(blank, False)
    records = start[~blank]
    return records[1:]  # the first record is the header


def python_records(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Start line and field count of each data record, read by Python's csv module.

    Returns ``(lines, n_fields, open_at)``: ``open_at`` is the line on which the record
    starts that the file ends inside of (a quote never closed), else 0. The records are
    read as pyarrow reads them; a second, strict pass finds the unclosed quote.
    """
    starts: list[int] = []
    counts: list[int] = []
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        line = 1
        for i, rec in enumerate(reader):
            if rec and i > 0:
                starts.append(line)
                counts.append(len(rec))
            line = reader.line_num + 1
    open_at = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        line = 1
        try:
            for _ in reader:
                line = reader.line_num + 1
        except csv.Error as exc:
            # Other strict complaints ('"a"b') are values pyarrow reads without fuss.
            if "unexpected end of data" in str(exc):
                open_at = line
    return np.asarray(starts, np.int64), np.asarray(counts, np.int64), open_at


def open_quote(path: Path, line: int, delimiter: str = ",") -> tuple[int, int] | None:
    """``(line, field index)`` of a quote opened on ``line`` and not closed on it.

    Reads the record's first lines (at most 50): the quoted value that runs over a line
    break is where an unbalanced quote starts.
    """
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(line - 1):
            if not fh.readline():
                return None
        field_index, inside, opened = 0, False, None
        for k in range(50):
            text = fh.readline()
            if not text:
                break
            i, at_start = 0, True
            while i < len(text):
                ch = text[i]
                if inside:
                    if ch == '"':
                        if text[i + 1 : i + 2] == '"':
                            i += 1
                        else:
                            inside = False
                elif ch == '"' and at_start:
                    inside, opened = True, (line + k, field_index)
                elif ch == delimiter:
                    field_index += 1
                    at_start = True
                    i += 1
                    continue
                elif ch in "\r\n":
                    break
                at_start = False
                i += 1
            if inside and opened is not None:
                return opened
            if not inside:
                return None
    return opened


def record_pieces(path: Path, start: int, piece: int) -> Iterator[memoryview]:
    """The file from byte ``start`` on, in pieces of whole records of about ``piece`` bytes.

    A piece ends just after a line break with an even number of double quotes before it
    in the piece (a piece starts where a record does, so the count starts at 0): never
    inside a quoted value. The file is read once, into two buffers used in turn (fresh
    64 MB buffers cost a page fault per 4 kB each time, about a second at 10^7 rows): each
    piece is a view that stays valid until the piece after the next is asked for, so a
    reader must copy what it keeps (pyarrow's CSV reader does).
    """
    buffers = [bytearray(piece), bytearray(piece)]
    k, kept = 0, 0  # bytes of an unfinished record at the start of buffers[k]
    with path.open("rb") as fh:
        fh.seek(start)
        while True:
            buf = buffers[k]
            if kept == len(buf):  # a record longer than the buffer: a larger one
                larger = bytearray(2 * len(buf))
                larger[:kept] = buf
                buffers[k] = buf = larger
            n = fh.readinto(memoryview(buf)[kept:])
            end = kept + n
            if n == 0 or end < len(buf):  # the end of the file: what is left is one piece
                if end:
                    yield memoryview(buf)[:end]
                return
            cut = _last_record_end(buf, end)
            if cut == 0:  # no record ends in this buffer: read on
                kept = end
                continue
            yield memoryview(buf)[:cut]  # no copy: pyarrow reads the view as it is
            other = buffers[1 - k]
            if len(other) < end - cut:
                buffers[1 - k] = other = bytearray(len(buf))
            other[: end - cut] = buf[cut:end]
            kept, k = end - cut, 1 - k


def _last_record_end(buf: bytearray, end: int) -> int:
    """Offset just after the last line break of ``buf[:end]`` outside quotes (0: none)."""
    nl = buf.rfind(b"\n", 0, end)
    if buf.find(b'"', 0, end) < 0:
        return nl + 1
    while nl >= 0 and buf.count(b'"', 0, nl) & 1:
        nl = buf.rfind(b"\n", 0, nl)
    return nl + 1
