"""Reading a table (CSV or Parquet) with Arrow, and parsing its cells into typed columns.

CSV files are read by ``pyarrow.csv`` with all threads: types inferred for the number
columns, text columns dictionary-encoded (one string per distinct id or label). A file
larger than two pieces is read in pieces of whole records (:data:`PIECE_BYTES`), each
copied into the consolidated blocks and freed, so the peak is the frame plus one piece,
not the frame plus pyarrow's buffers for the whole file; a piece that reads differently
from the first (a type change, a problem to report) sends the file back to one whole
read, which words every problem. Parquet files are read by ``pyarrow.parquet``.

Either way the result is one pandas frame with consolidated blocks (one float64 block for
the clinical values, one int64 block for whole-number columns), its rows numbered 0..n-1
in file order; :class:`~trialkit.schema.source.Source` words a row position as a file line
or a Parquet row. The file's own problems are reported here: empty, not UTF-8 (with line
and column), tab- or semicolon-separated (a European export named as such), a column
named twice, rows with another number of fields, a quote never closed (line and column).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trialkit.schema.ahead import read_ahead
from trialkit.schema.columns import _TEXT_KINDS, NA_VALUES, ColumnDef
from trialkit.schema.frame import (
    POOL,
    Blocks,
    _is_number_type,
    _is_text_type,
    blank_rows,
    cast_columns,
    odd_text,
    to_frame,
)
from trialkit.schema.messages import _CONTROL_RE, _CONTROL_RULE, _char_names
from trialkit.schema.parse import _DECIMAL_COMMA
from trialkit.schema.source import (
    CsvSource,
    Source,
    numbered,
    open_quote,
    python_records,
    record_pieces,
)

#: Bytes per piece of a large CSV file (read by pyarrow with all threads, then copied).
PIECE_BYTES = 64 << 20
#: Rows per piece of a large Parquet file.
PIECE_ROWS = 1 << 20

_RAGGED = (
    "{n} fields where the header names {k}: a comma inside a value? "
    "(a decimal comma, or text that needs quotes)"
)
_EUROPEAN = (
    "columns are separated by ';' and numbers are written with decimal commas (a European "
    "spreadsheet export, found {example!r} on line 2) — trialkit reads comma-separated files "
    "with a decimal point: export as 'CSV UTF-8 (comma delimited)' with a decimal point, or "
    "convert the file with pandas.read_csv(path, sep=';', decimal=',').to_csv(path, "
    "index=False)"
)
_SEMICOLON = (
    "columns are separated by ';' — trialkit reads comma-separated files with a decimal "
    "point: export as 'CSV UTF-8 (comma delimited)'"
)
_TAB = (
    "columns are separated by tabs (a tab-separated file, found {n} tab-separated names on "
    "line 1) — trialkit reads comma-separated files: export as 'CSV UTF-8 (comma "
    "delimited)', or convert it with pandas.read_csv(path, sep='\\t').to_csv(path, "
    "index=False)"
)
_NOT_UTF8 = "not UTF-8 text{where}; save it as 'CSV UTF-8 (comma delimited)'"


# --- finding the file --------------------------------------------------------------------


def find_file(folder: Path, file: str, problems: list[str]) -> Path | None:
    """``folder/file``, or the Parquet (or CSV) file of the same table; None if missing."""
    given = folder / file
    other = given.with_suffix(".parquet" if given.suffix != ".parquet" else ".csv")
    found = [p for p in (given, other) if p.is_file()]
    if len(found) == 2:
        problems.append(
            f"{file}: both {given.name} and {other.name} are in the folder; keep one "
            "(trialkit will not guess which is current)"
        )
        return None
    if not found:
        problems.append(f"{file}: file missing (looked for {given}, or {other.name})")
        return None
    return found[0]


def read_table(
    path: Path, defs: Sequence[ColumnDef], problems: list[str]
) -> tuple[pd.DataFrame | None, Source]:
    """Read one table file into a frame (row positions as index), or None if unreadable."""
    if path.suffix == ".parquet":
        src: Source = Source(path.name, path)
        try:
            pf = pq.ParquetFile(path)
            big = pf.metadata.num_rows > 2 * PIECE_ROWS
            usable = _parquet_columns_ok(pf.schema_arrow, src, problems)
        except (pa.ArrowException, OSError) as exc:
            problems.append(f"{src.file}: cannot be read as Parquet ({exc})")
            return None, src
        if not usable:
            return None, src
        if big:
            frame = _read_parquet_in_pieces(path, src, defs, problems)
            if frame is not None:
                return frame, src
        table = _read_parquet(path, src, problems)
    else:
        src = CsvSource(path.name, path)
        names = _header(path, src, problems)
        if names is None:
            return None, src
        if path.stat().st_size > 2 * PIECE_BYTES:
            frame = _read_csv_in_pieces(path, src, defs, names, problems)
            if frame is not None:
                return frame, src
        table = _read_csv(path, src, defs, names, problems)
    if table is None:
        return None, src
    src.n_rows = table.num_rows
    return to_frame(table, defs, src, problems), src


# --- CSV -----------------------------------------------------------------------------------


def _header(path: Path, src: Source, problems: list[str]) -> list[str] | None:
    """Column names of line 1 as written, or None (and a problem) if the file is unusable."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 20)
        second = fh.readline(1 << 20)
    if not first.strip(b"\xef\xbb\xbf \t\r\n"):
        problems.append(f"{src.file}: file is empty (expected a header line naming the columns)")
        return None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(f"{src.file}: {_NOT_UTF8.format(where=' (line 1)')}")
        return None
    names = next(csv.reader([text]), [])
    if len(names) == 1:
        line2 = second.decode("utf-8", errors="replace")
        if text.count("\t"):
            problems.append(f"{src.file}: {_TAB.format(n=text.count(chr(9)) + 1)}")
            return None
        if text.count(";"):
            cells = [c.strip() for c in line2.split(";")]
            comma = [c for c in cells if _DECIMAL_COMMA.match(c)]
            rule = _EUROPEAN.format(example=comma[0]) if comma else _SEMICOLON
            problems.append(f"{src.file}: {rule}")
            return None
    stripped = [c.strip() for c in names]
    control = [c for c in stripped if _CONTROL_RE.search(c)]
    if control:
        chars = _char_names(control)
        problems.append(
            f"{src.file}, line 1: {_CONTROL_RULE.format(chars=chars)} (found {control[0]!r})"
        )
        return None
    repeated = [c for c in dict.fromkeys(stripped) if c and stripped.count(c) > 1]
    for c in repeated:
        problems.append(
            f"{src.file}, column {c}: named {stripped.count(c)} times in the header (line 1); "
            "each column once"
        )
    return None if repeated else names


def _text_types(names: list[str], defs: Sequence[ColumnDef]) -> dict[str, pa.DataType]:
    """Arrow types of the text columns, by their names as written (the rest is inferred)."""
    declared = {d.name: d for d in defs}
    types: dict[str, pa.DataType] = {}
    for raw in names:
        d = declared.get(raw.strip())
        if d is not None and d.kind in _TEXT_KINDS:
            # Ids repeat (one per ICU day), labels too: a dictionary holds each once.
            types[raw] = pa.dictionary(pa.int32(), pa.string())
    return types


def _convert_options(types: dict[str, pa.DataType]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=types,
        null_values=list(NA_VALUES),
        strings_can_be_null=True,
        # "TRUE" in a 0/1 column is a problem to report, not a boolean to infer.
        true_values=[],
        false_values=[],
        timestamp_parsers=[],
    )


def _read_csv(
    path: Path, src: Source, defs: Sequence[ColumnDef], names: list[str], problems: list[str]
) -> pa.Table | None:
    """The whole file in one read (small files, and every file with a problem)."""
    ragged: list[int] = []

    def invalid(row) -> str:
        ragged.append(row.actual_columns)
        return "skip"

    convert = _convert_options(_text_types(names, defs))
    parse = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid)
    try:
        table = pacsv.read_csv(path, parse_options=parse, convert_options=convert, memory_pool=POOL)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            problems.append(f"{src.file}: {_NOT_UTF8.format(where=_utf8_where(path))}")
        else:
            problems.append(f"{src.file}: cannot be read as CSV ({exc})")
        return None
    # The parser's buffers are free now: give them back before the table is converted.
    POOL.release_unused()
    if ragged:
        _ragged(path, src, len(names), problems)
        return None
    if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in table.schema.types):
        problems.append(f"{src.file}: {_NOT_UTF8.format(where=_utf8_where(path))}")
        return None
    table = table.rename_columns([c.strip() for c in table.column_names])
    # A number column read as a date or a time (pyarrow infers them) is re-read as text,
    # so that the message shows the cells as written.
    odd = [
        name
        for name, t in zip(table.column_names, table.schema.types, strict=True)
        if not (_is_number_type(t) or _is_text_type(t) or pa.types.is_null(t))
    ]
    if odd:
        raw_names = {c.strip(): c for c in names}
        again = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=[raw_names[c] for c in odd],
                column_types={raw_names[c]: pa.string() for c in odd},
                null_values=list(NA_VALUES),
                strings_can_be_null=True,
            ),
        )
        for c in odd:
            table = table.set_column(table.column_names.index(c), c, again.column(raw_names[c]))
    return table


def _read_csv_in_pieces(
    path: Path, src: Source, defs: Sequence[ColumnDef], names: list[str], problems: list[str]
) -> pd.DataFrame | None:
    """A large CSV file read piece by piece (64 MB of whole records each) into blocks.

    Each piece is read by pyarrow with all threads and copied into the consolidated
    blocks, then freed: the peak is the frame plus two pieces (the one copied, the next
    being parsed meanwhile by :func:`~trialkit.schema.ahead.read_ahead`), not the frame
    plus pyarrow's buffers for the whole file (about twice the Arrow table).
    """
    first = len(_first_line_bytes(path))
    stripped = [c.strip() for c in names]
    types = _text_types(names, defs)
    state: dict[str, object] = {}

    def pieces():
        for piece in record_pieces(path, first, PIECE_BYTES):
            ragged: list[int] = []

            def invalid(row, ragged=ragged) -> str:
                ragged.append(row.actual_columns)
                return "skip"

            state.setdefault("bytes", len(piece))
            try:
                table = pacsv.read_csv(
                    pa.BufferReader(pa.py_buffer(piece)),
                    read_options=pacsv.ReadOptions(column_names=names),
                    parse_options=pacsv.ParseOptions(
                        newlines_in_values=True, invalid_row_handler=invalid
                    ),
                    # Later pieces are read as the first was typed (see _fill_blocks).
                    convert_options=_convert_options(state.get("types", types)),
                    memory_pool=POOL,
                )
            except pa.ArrowInvalid:
                yield None
                return
            del piece
            POOL.release_unused()
            yield None if ragged else table.rename_columns(stripped)

    def estimate(first_rows: int) -> int:
        size = path.stat().st_size - first
        return int(first_rows * size / max(int(state["bytes"]), 1) * 1.05) + 1024

    def typed(schema: pa.Schema) -> None:
        state["types"] = dict(zip(names, schema.types, strict=True))

    return _fill_blocks(pieces(), estimate, defs, src, problems, typed=typed, strict=True)


def _read_parquet_in_pieces(
    path: Path, src: Source, defs: Sequence[ColumnDef], problems: list[str]
) -> pd.DataFrame | None:
    """A large Parquet file read in batches of 2^20 rows into blocks (as for CSV)."""
    pf = pq.ParquetFile(path)
    stripped = [c.strip() for c in pf.schema_arrow.names]

    def pieces():
        for batch in pf.iter_batches(batch_size=PIECE_ROWS):
            yield _na_text(pa.Table.from_batches([batch]).rename_columns(stripped))

    rows = pf.metadata.num_rows
    return _fill_blocks(pieces(), lambda _: rows, defs, src, problems, strict=False)


def _fill_blocks(
    pieces, estimate, defs, src: Source, problems: list[str], *, typed=None, strict: bool
) -> pd.DataFrame | None:
    """Tables read piece by piece, cast and copied into one set of blocks, each freed.

    Anything unusual gives None and the caller reads the file whole, which words every
    problem: a piece that could not be read, a CSV column read as neither number nor
    text (``strict``: the whole read re-reads it as text), a type that changes from one
    piece to the next (a missing flag, text in a number column), a blank row.
    """
    declared = {d.name: d for d in defs}
    found: list[str] = []  # kept only if every piece reads: the whole read finds them again
    blocks: Blocks | None = None
    # The next piece is parsed in a thread while this one is copied (read_ahead); the first
    # is parsed before the thread starts, so that ``typed`` sets the types the rest are read
    # with. Leaving early stops the thread (closing).
    with closing(read_ahead(pieces)) as ahead:
        for table in ahead:
            if table is None or (
                strict
                and not all(
                    _is_number_type(t) or _is_text_type(t) or pa.types.is_null(t)
                    for t in table.schema.types
                )
            ):
                return _whole(src)
            table = cast_columns(table, declared)
            if blocks is None:
                if typed is not None:
                    typed(table.schema)
                blocks = Blocks(table.schema, estimate(table.num_rows))
            elif table.schema != blocks.schema:
                return _whole(src)
            if blank_rows(table) is not None:
                return _whole(src)
            odd_text(table, declared, src, found, offset=blocks.n)
            blocks.add(table)
    if blocks is None:
        return None
    src.n_rows = blocks.n
    problems.extend(found)
    return blocks.frame()


def _whole(src: Source) -> None:
    src.skip.clear()  # the whole read reports these rows again
    return None


def _first_line_bytes(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.readline(1 << 20)


def _ragged(path: Path, src: Source, k: int, problems: list[str]) -> None:
    """Records with another number of fields than the header: their lines, by count."""
    lines, counts, open_at = python_records(path)
    names = [c.strip() for c in next(csv.reader([_first_line(path)]), [])]
    if open_at:
        # The file ends inside a quoted value: that record is the quote's, not a count's.
        problems.append(_quote_problem(path, src, open_at, names))
    bad = (counts != k) & (lines != open_at)
    for n in dict.fromkeys(counts[bad].tolist()):
        at = lines[bad & (counts == n)]
        problems.append(
            f"{src.file}, {numbered(at)}: {_RAGGED.format(n=n, k=k)}"
            + _quote_hint(path, int(at[0]), lines, names)
        )
    if not bad.any() and not open_at:
        problems.append(f"{src.file}: rows with another number of fields than the header")


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        return fh.readline()


def _column_name(names: list[str], field: int) -> str:
    return names[field] if field < len(names) else f"field {field + 1}"


def _quote_hint(path: Path, line: int, starts: np.ndarray, names: list[str]) -> str:
    """When the bad record spans several lines: where its quoted value opens."""
    later = starts[starts > line]
    if len(later) and later[0] == line + 1:
        return ""
    opened = open_quote(path, line)
    if opened is None:
        return ""
    return (
        f"; a quoted value opened on line {opened[0]} in column "
        f"{_column_name(names, opened[1])} runs over a line break: an unbalanced quote?"
    )


def _quote_problem(path: Path, src: Source, line: int, names: list[str]) -> str:
    """The file ends inside a quoted value: name the line and column where it opens."""
    opened = open_quote(path, line)
    if opened is None:
        return (
            f"{src.file}, line {line}: the file ends inside a quoted value that starts in "
            "the record on this line (an unbalanced quote): close the quote, or double a "
            'quote inside a value ("")'
        )
    at, field = opened
    return (
        f"{src.file}, column {_column_name(names, field)}, line {at}: a quoted value starts "
        "here and is never closed (an unbalanced quote): every line after it is read into "
        'this one value; close the quote, or double a quote inside a value ("")'
    )


def _utf8_where(path: Path) -> str:
    """`` (line N, column C)`` of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line, carry = 0, 1, b""
    with path.open("rb") as fh:
        while True:
            data = fh.read(1 << 24)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                bad = exc.start - len(carry)
                head = data[: max(bad, 0)]
                line += head.count(b"\n")
                start = head.rfind(b"\n") + 1
                end = data.find(b"\n", max(bad, 0))
                text = data[start : end if end >= 0 else len(data)].decode(
                    "utf-8", errors="replace"
                )
                return f" (line {line}{_column_of(path, text)})"
            if not data:
                return ""
            line += data.count(b"\n")
            offset += len(data)
            carry = b""


def _column_of(path: Path, text: str) -> str:
    with path.open(encoding="utf-8", errors="replace") as fh:
        names = next(csv.reader([fh.readline()]), [])
    cells = next(csv.reader([text]), [])
    for i, cell in enumerate(cells):
        if "\ufffd" in cell and i < len(names):
            return f", column {names[i].strip().lstrip(chr(0xFEFF))}"
    return ""


# --- Parquet -------------------------------------------------------------------------------


def _read_parquet(path: Path, src: Source, problems: list[str]) -> pa.Table | None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        problems.append(f"{src.file}: cannot be read as Parquet ({exc})")
        return None
    if not _parquet_columns_ok(table.schema, src, problems):
        return None
    return _na_text(table.rename_columns([c.strip() for c in table.column_names]))


def _parquet_columns_ok(schema: pa.Schema, src: Source, problems: list[str]) -> bool:
    names = [c.strip() for c in schema.names]
    repeated = [c for c in dict.fromkeys(names) if names.count(c) > 1]
    for c in repeated:
        problems.append(f"{src.file}, column {c}: named {names.count(c)} times; each column once")
    nested = [n for n, t in zip(names, schema.types, strict=True) if pa.types.is_nested(t)]
    for c in nested:
        problems.append(f"{src.file}, column {c}: a nested column (list, struct or map); "
                        "give one value per cell")  # fmt: skip
    return not (repeated or nested)


def _na_text(table: pa.Table) -> pa.Table:
    """The same missing-value spellings as in a CSV file ("NA" ...) in text columns."""
    for i, t in enumerate(table.schema.types):
        if _is_text_type(t) and not pa.types.is_dictionary(t):
            col = table.column(i)
            na = pc.is_in(col, value_set=pa.array(list(NA_VALUES), col.type))
            table = table.set_column(i, table.column_names[i], pc.if_else(na, None, col))
    return table
