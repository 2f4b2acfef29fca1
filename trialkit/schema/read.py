"""Reading a table (CSV or Parquet) with Arrow, and parsing its cells into typed columns.

CSV files are read by ``pyarrow.csv`` (multithreaded, types inferred for the number
columns, text columns kept as text, ``patient_id`` dictionary-encoded); Parquet files by
``pyarrow.parquet``. Either way the result is one pandas frame with consolidated blocks
(one float64 block for the clinical values, one int64 block for whole-number columns),
its rows numbered 0..n-1 in file order; :class:`~trialkit.schema.source.Source` words a
row position as a file line or a Parquet row. Cells that do not parse are reported here
(text in a number column, a decimal comma, a control character, a value running over a
line break, a date that is not YYYY-MM-DD), with their file, column and line.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trialkit.schema.columns import _TEXT_KINDS, NA_VALUES, ColumnDef
from trialkit.schema.messages import _problem, _report
from trialkit.schema.source import CsvSource, Source, open_quote, python_records

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_COMMA_RULE = "decimal comma? write numbers with a decimal point (1.5, not 1,5)"
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_RAGGED = (
    "{n} fields where the header names {k}: a comma inside a value? "
    "(a decimal comma, or text that needs quotes)"
)
# C0 control characters and DEL; tab, line feed and carriage return are layout.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_RE = re.compile(_CONTROL)
_CONTROL_RULE = (
    "control character inside a value ({chars}): no one types these; the file is damaged "
    "or was exported as binary (a NUL byte can cut a number short: 15\\x000 is not 150); "
    "fix the export"
)
_BREAK_RULE = (
    "a quoted value runs over a line break here (an unbalanced quote?): the quote that "
    "opens it is not closed on its line, so the next lines are read into this one value; "
    'close the quote, or double a quote inside a value ("")'
)
_FREE_TEXT_BREAK_RULE = (
    "a quoted value runs over line breaks and holds what look like whole rows (an "
    'unbalanced quote?): close the quote, or double a quote inside a value ("")'
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
_WHOLE_KINDS = frozenset({"flag", "day"})  # kept as int64 when read so (no missing cells)
_CONTROL_NAMES = {0: "NUL", 127: "DEL"}


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
        table = _read_parquet(path, src, problems)
    else:
        src = CsvSource(path.name, path)
        table = _read_csv(path, src, defs, problems)
    if table is None:
        return None, src
    src.n_rows = table.num_rows
    return _to_frame(table, defs, src, problems), src


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


def _read_csv(
    path: Path, src: Source, defs: Sequence[ColumnDef], problems: list[str]
) -> pa.Table | None:
    names = _header(path, src, problems)
    if names is None:
        return None
    declared = {d.name: d for d in defs}
    types: dict[str, pa.DataType] = {}
    for raw in names:
        d = declared.get(raw.strip())
        if d is not None and d.kind == "id":
            # Ids repeat (one per ICU day): a dictionary holds each distinct id once.
            types[raw] = pa.dictionary(pa.int32(), pa.string())
        elif d is not None and d.kind in _TEXT_KINDS:
            types[raw] = pa.string()
    ragged: list[int] = []

    def invalid(row) -> str:
        ragged.append(row.actual_columns)
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types=types,
        null_values=list(NA_VALUES),
        strings_can_be_null=True,
        # "TRUE" in a 0/1 column is a problem to report, not a boolean to infer.
        true_values=[],
        false_values=[],
        timestamp_parsers=[],
    )
    parse = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid)
    try:
        table = pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            problems.append(f"{src.file}: {_NOT_UTF8.format(where=_utf8_where(path))}")
        else:
            problems.append(f"{src.file}: cannot be read as CSV ({exc})")
        return None
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


def _ragged(path: Path, src: Source, k: int, problems: list[str]) -> None:
    """Records with another number of fields than the header: their lines, by count."""
    lines, counts, error, error_line = python_records(path)
    if error is not None:
        problems.append(_quote_problem(path, src, error_line))
    bad = counts != k
    for n in dict.fromkeys(counts[bad].tolist()):
        at = lines[counts == n]
        problems.append(
            f"{src.file}, {_numbered(at)}: {_RAGGED.format(n=n, k=k)}"
            + _quote_hint(path, at[0], lines)
        )
    if not bad.any() and error is None:
        problems.append(f"{src.file}: rows with another number of fields than the header")


def _numbered(lines: np.ndarray) -> str:
    from trialkit.schema.source import numbered

    return numbered(lines, "line")


def _quote_hint(path: Path, line: int, starts: np.ndarray) -> str:
    """When the first bad record spans several lines: where its quoted value opens."""
    later = starts[starts > line]
    if len(later) and later[0] == line + 1:
        return ""
    opened = open_quote(path, int(line))
    if opened is None:
        return ""
    return (
        f"; a quoted value opened on line {opened[0]} (field {opened[1] + 1}) runs over a "
        "line break: an unbalanced quote?"
    )


def _quote_problem(path: Path, src: Source, line: int) -> str:
    """The file ends inside a quoted value: name the line and column where it opens."""
    opened = open_quote(path, line)
    names = next(csv.reader([path.open(encoding="utf-8-sig", errors="replace").readline()]))
    if opened is None:
        return (
            f"{src.file}, line {line}: the file ends inside a quoted value that starts in "
            "the record on this line (an unbalanced quote): close the quote, or double a "
            'quote inside a value ("")'
        )
    at, field = opened
    column = names[field].strip() if field < len(names) else f"field {field + 1}"
    return (
        f"{src.file}, column {column}, line {at}: a quoted value starts here and is never "
        "closed (an unbalanced quote): every line after it is read into this one value; "
        'close the quote, or double a quote inside a value ("")'
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


def _char_names(values: Sequence[str]) -> str:
    codes = sorted({ord(ch) for v in values for ch in _CONTROL_RE.findall(v)})
    return ", ".join(_CONTROL_NAMES.get(c, f"0x{c:02X}") for c in codes[:3])


# --- Parquet -------------------------------------------------------------------------------


def _read_parquet(path: Path, src: Source, problems: list[str]) -> pa.Table | None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        problems.append(f"{src.file}: cannot be read as Parquet ({exc})")
        return None
    names = [c.strip() for c in table.column_names]
    repeated = [c for c in dict.fromkeys(names) if names.count(c) > 1]
    for c in repeated:
        problems.append(f"{src.file}, column {c}: named {names.count(c)} times; each column once")
    nested = [n for n, t in zip(names, table.schema.types, strict=True) if pa.types.is_nested(t)]
    for c in nested:
        problems.append(f"{src.file}, column {c}: a nested column (list, struct or map); "
                        "give one value per cell")  # fmt: skip
    if repeated or nested:
        return None
    table = table.rename_columns(names)
    # The same missing-value spellings as in a CSV file ("NA" ...) in text columns.
    for i, t in enumerate(table.schema.types):
        if _is_text_type(t) and not pa.types.is_dictionary(t):
            col = table.column(i)
            na = pc.is_in(col, value_set=pa.array(list(NA_VALUES), col.type))
            table = table.set_column(i, names[i], pc.if_else(na, None, col))
    return table


# --- Arrow to pandas -------------------------------------------------------------------------


def _is_number_type(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_text_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text_type(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _column_type(d: ColumnDef | None, col: pa.ChunkedArray) -> pa.DataType | None:
    """The Arrow type a column is cast to before it becomes a pandas column (None: as is).

    Numbers become float64; 0/1 flags and days stay int64 when read as whole numbers with
    no missing cell (the contract's int64 for flags; days become nullable Int64 later).
    Text stays text: a number column read as text holds cells to report.
    """
    t = col.type
    if d is not None and d.kind in _TEXT_KINDS:
        if d.kind == "date" and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            return pa.timestamp("ns")
        if pa.types.is_null(t):
            return pa.string()
        return None if _is_text_type(t) else pa.string()
    if pa.types.is_boolean(t):
        # Parquet may store a 0/1 flag as a boolean; elsewhere true/false is not a number.
        return pa.int64() if d is not None and d.kind == "flag" else pa.string()
    if _is_text_type(t):
        return pa.string() if pa.types.is_dictionary(t) else None
    if pa.types.is_null(t):
        return pa.float64()
    if not _is_number_type(t):
        return pa.string()  # a date or time in a Parquet number column
    whole = d is not None and d.kind in _WHOLE_KINDS
    if whole and pa.types.is_integer(t) and col.null_count == 0:
        return pa.int64()
    return pa.float64()


def _to_frame(
    table: pa.Table, defs: Sequence[ColumnDef], src: Source, problems: list[str]
) -> pd.DataFrame:
    """A pandas frame with consolidated blocks; index = row positions (blank rows dropped)."""
    declared = {d.name: d for d in defs}
    for i, name in enumerate(table.column_names):
        target = _column_type(declared.get(name), table.column(i))
        if target is not None and table.column(i).type != target:
            table = table.set_column(i, name, table.column(i).cast(target))
    keep = None
    if table.num_columns and all(c.null_count for c in table.columns):
        # A line of empty cells (",,,,") is a blank line too.
        blank = pc.is_null(table.column(0))
        for c in table.columns[1:]:
            blank = pc.and_(blank, pc.is_null(c))
        if pc.any(blank).as_py():
            keep = np.flatnonzero(~blank.to_numpy(zero_copy_only=False))
            table = table.take(pa.array(keep))
    # One block per dtype, Arrow memory released column by column as it is converted.
    frame = table.to_pandas(self_destruct=True, split_blocks=False, date_as_object=False)
    del table
    if keep is not None:
        frame.index = pd.Index(keep)
    _line_breaks(frame, declared, src, problems)
    return frame


def _line_breaks(
    frame: pd.DataFrame, declared: dict[str, ColumnDef], src: Source, problems: list[str]
) -> None:
    """A line break inside a value outside free text is a quote left open (CSV only)."""
    if not isinstance(src, CsvSource):
        return
    k = len(frame.columns)
    for col in frame.columns:
        s = frame[col]
        d = declared.get(col)
        values = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else None
        if values is None and not pd.api.types.is_object_dtype(s):
            continue
        text = pd.Series(values if values is not None else s, dtype=object)
        has_break = text.str.contains("[\r\n]", regex=True, na=False)
        if not has_break.any():
            continue
        if values is not None:
            hit = s.cat.codes.isin(np.flatnonzero(has_break.to_numpy()))
            cells = s[hit.to_numpy()]
        else:
            cells = s[has_break.to_numpy()]
        if d is not None and d.kind == "text":
            # Free text may hold a line break; whole rows inside one value may not.
            rows = (
                cells.astype(str)
                .str.split(r"\r?\n")
                .map(lambda parts: any(p.count(",") >= k - 1 for p in parts[1:]))
            )
            cells = cells[rows.to_numpy(dtype=bool)]
            rule = _FREE_TEXT_BREAK_RULE
        else:
            rule = _BREAK_RULE
        if len(cells):
            problems.append(_problem(src, col, rule, cells.index[:1]))


# --- parsing cells ---------------------------------------------------------------------------


def _parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a column read as text; also the cells that failed."""
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(str)
    if pd.api.types.is_numeric_dtype(s):
        # Kept as read (int or float): _finish sets the final dtype once the table is valid.
        return s, pd.Series(np.zeros(len(s), dtype=bool), index=s.index)
    text = s.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = text.notna() & num.isna()
    return num, bad.fillna(False).astype(bool)


def _parse(
    raw: pd.DataFrame, src: Source, defs: Sequence[ColumnDef], problems: list[str]
) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    """Typed columns; unparseable cells are reported, set missing and listed in ``skip``.

    ``raw`` is updated in place (only the columns that change) and returned: rebuilding a
    10^7-row frame would copy every column again.
    """
    out: dict[str, pd.Series] = {}
    skip: dict[str, pd.Index] = {}
    declared = {d.name: d for d in defs}
    raw_columns: dict[str, pd.Series] = {}
    for col in raw.columns:
        s = raw_columns[col] = raw[col]
        d = declared.get(col)
        if d is None or d.kind in ("id", "text", "category"):
            if d is None and not _is_text(s):
                out[col] = s
                continue
            text = _strip(s)
            skip_rows = _control(text, src, col, problems)
            if len(skip_rows):
                skip[col] = skip_rows
            out[col] = text if d is not None else _undeclared(text, src, col, problems)
            continue
        if d.kind == "date":
            out[col], skip[col] = _parse_date(s, src, col, problems)
            continue
        num, bad = _parse_number(s)
        if bad.any():
            cells = s[bad].astype(str)
            control = cells.str.contains(_CONTROL, regex=True)
            if control.any():
                rule = _CONTROL_RULE.format(chars=_char_names(cells[control].tolist()))
                _report(problems, src, col, cells[control], rule)
                cells_left = cells[~control]
            else:
                cells_left = cells
            # A value broken over lines is reported once, as a quote problem.
            cells_left = cells_left[~cells_left.str.contains("[\r\n]", regex=True)]
            if d.kind == "flag":
                _report(problems, src, col, cells_left, f"{col} is a 0/1 flag (1 = yes, 0 = no)")
            else:
                comma = cells_left.str.match(_DECIMAL_COMMA)
                _report(problems, src, col, cells_left[comma], _COMMA_RULE)
                _report(
                    problems,
                    src,
                    col,
                    cells_left[~comma],
                    f"text in a number column ({d.unit or 'number'})",
                )
            skip[col] = cells.index
        out[col] = num
    for col, values in out.items():
        # Only changed columns are put back: replacing one splits its block.
        if values is not raw_columns[col]:
            raw[col] = values
    return raw, skip


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


def _strip(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blank -> missing; categories stay categories."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        # Only the distinct values are stripped (one per patient, not one per ICU day);
        # " P01 " and "P01" then share one category.
        cats = pd.Index(s.cat.categories.astype(str)).str.strip()
        codes, uniques = pd.factorize(cats.where(cats != "", None), use_na_sentinel=True)
        old = s.cat.codes.to_numpy()
        new = np.where(old >= 0, np.append(codes, -1)[old], -1)
        return pd.Series(
            pd.Categorical.from_codes(new, categories=pd.Index(uniques, dtype=object)),
            index=s.index,
        )
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    clean = pd.Index(uniques.astype(str)).str.strip()
    values = np.where(clean == "", np.nan, clean.to_numpy(dtype=object))
    out = np.append(values, np.nan)[codes]  # code -1 (missing) picks the trailing NaN
    return pd.Series(out, index=s.index, dtype=object)


def _control(text: pd.Series, src: Source, col: str, problems: list[str]) -> pd.Index:
    """Report text cells holding control characters; their rows (to skip later checks)."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        cats = pd.Series(text.cat.categories, dtype=object)
        bad_cat = cats.str.contains(_CONTROL, regex=True, na=False).to_numpy()
        if not bad_cat.any():
            return pd.Index([])
        hit = text.cat.codes.isin(np.flatnonzero(bad_cat)).to_numpy()
    else:
        hit = text.str.contains(_CONTROL, regex=True, na=False).to_numpy(dtype=bool)
        if not hit.any():
            return pd.Index([])
    cells = text[hit].astype(str)
    _report(problems, src, col, cells, _CONTROL_RULE.format(chars=_char_names(cells.tolist())))
    return cells.index


def _undeclared(text: pd.Series, src: Source, col: str, problems: list[str]) -> pd.Series:
    """An extra column: numbers if every cell is a number, else text (a decimal comma is
    reported rather than silently turning a number column into text)."""
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if not bad.any():
        return num.astype("float64")
    cells = text[bad].astype(str)
    comma = cells.str.match(_DECIMAL_COMMA)
    if comma.all():
        _report(problems, src, col, cells, _COMMA_RULE)
    return text


def _parse_date(
    s: pd.Series, src: Source, col: str, problems: list[str]
) -> tuple[pd.Series, pd.Index]:
    if pd.api.types.is_datetime64_any_dtype(s):  # a Parquet date or timestamp column
        return s.astype("datetime64[ns]"), pd.Index([])
    text = s.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (text.notna() & parsed.isna()).fillna(False).astype(bool)
    cells = text[bad].astype(str)
    iso = cells.str.match(_ISO_SHAPE)
    _report(problems, src, col, cells[iso], "impossible date: no such day in the calendar")
    _report(problems, src, col, cells[~iso], "dates must be written YYYY-MM-DD (ISO 8601)")
    return parsed.astype("datetime64[ns]"), cells.index
