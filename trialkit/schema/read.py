"""Reading a CSV file into a text-safe frame indexed by file line, and parsing its cells."""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trialkit.schema.columns import _TEXT_KINDS, NA_VALUES, ColumnDef
from trialkit.schema.messages import _report

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_COMMA_RULE = "decimal comma? write numbers with a decimal point (1.5, not 1,5)"
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_RAGGED = (
    "{n} fields where the header names {k}: a comma inside a value? "
    "(a decimal comma, or text that needs quotes)"
)


def _read(path: Path, file: str, defs: Sequence[ColumnDef], problems: list[str]):
    """Read one CSV as text-safe frame indexed by file line number, or None if unreadable."""
    if not path.is_file():
        problems.append(f"{file}: file missing (looked for {path})")
        return None
    text_cols = {d.name for d in defs if d.kind in _TEXT_KINDS}
    try:
        # The header as written: pandas would rename a repeated column ("gcs.1") silently.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        names = [c.strip() for c in header]
        repeated = [c for c in dict.fromkeys(names) if c and names.count(c) > 1]
        for c in repeated:
            problems.append(
                f"{file}, column {c}: named {names.count(c)} times in the header (line 1); "
                "each column once"
            )
        if repeated:
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: a first row with one field too many must not silently
            # turn patient_id into the index.
            raw = pd.read_csv(
                path,
                dtype={c: str for c in header if c.strip() in text_cols},
                na_values=list(NA_VALUES),
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8-sig",
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            problems.append(f"{file}, line 2: {_RAGGED.format(n=len(header) + 1, k=len(header))}")
            return None
    except pd.errors.EmptyDataError:
        problems.append(f"{file}: file is empty (expected a header line naming the columns)")
        return None
    except UnicodeDecodeError:
        problems.append(f"{file}: not UTF-8 text; save it as 'CSV UTF-8 (comma delimited)'")
        return None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            k, line, n = m.groups()
            problems.append(f"{file}, line {line}: {_RAGGED.format(n=n, k=k)}")
        else:
            problems.append(f"{file}: cannot be read as CSV ({exc})")
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw.columns) == 1 and ";" in raw.columns[0]:
        problems.append(
            f"{file}: columns are separated by ';' — trialkit reads comma-separated files "
            "with a decimal point"
        )
        return None
    # Blank lines are kept while reading so that the index maps to file lines, then dropped.
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    blank = raw.isna().all(axis=1).to_numpy()
    return raw[~blank] if blank.any() else raw


def _parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a column pandas could not read as numbers; also the cells that failed."""
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
    raw: pd.DataFrame, file: str, defs: Sequence[ColumnDef], problems: list[str]
) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    """Typed columns; unparseable cells are reported, set missing and listed in ``skip``.

    ``raw`` is updated in place (only the columns that change) and returned: rebuilding a
    10^6-row frame would copy every column again.
    """
    out: dict[str, pd.Series] = {}
    skip: dict[str, pd.Index] = {}
    declared = {d.name: d for d in defs}
    for col in raw.columns:
        s = raw[col]
        d = declared.get(col)
        if d is None or d.kind in ("id", "text", "category"):
            if d is None and not pd.api.types.is_object_dtype(s):
                out[col] = s
                continue
            text = _strip(s)
            out[col] = text if d is not None else _undeclared(text, file, col, problems)
            continue
        if d.kind == "date":
            out[col], skip[col] = _parse_date(s, file, col, problems)
            continue
        num, bad = _parse_number(s)
        if bad.any():
            cells = s[bad].astype(str)
            if d.kind == "flag":
                _report(problems, file, col, cells, f"{col} is a 0/1 flag (1 = yes, 0 = no)")
            else:
                comma = cells.str.match(_DECIMAL_COMMA)
                _report(problems, file, col, cells[comma], _COMMA_RULE)
                _report(
                    problems,
                    file,
                    col,
                    cells[~comma],
                    f"text in a number column ({d.unit or 'number'})",
                )
            skip[col] = cells.index
        out[col] = num
    for col, values in out.items():
        if values is not raw[col]:
            raw[col] = values
    return raw, skip


def _strip(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blank -> NaN (object dtype)."""
    # Ids repeat (20 ICU days per patient): strip the distinct values only, 20x faster.
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    clean = pd.Index(uniques.astype(str)).str.strip()
    values = np.where(clean == "", np.nan, clean.to_numpy(dtype=object))
    out = np.append(values, np.nan)[codes]  # code -1 (missing) picks the trailing NaN
    return pd.Series(out, index=s.index, dtype=object)


def _undeclared(text: pd.Series, file: str, col: str, problems: list[str]) -> pd.Series:
    """An extra column: numbers if every cell is a number, else text (a decimal comma is
    reported rather than silently turning a number column into text)."""
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if not bad.any():
        return num.astype("float64")
    cells = text[bad].astype(str)
    comma = cells.str.match(_DECIMAL_COMMA)
    if comma.all():
        _report(problems, file, col, cells, _COMMA_RULE)
    return text


def _parse_date(
    s: pd.Series, file: str, col: str, problems: list[str]
) -> tuple[pd.Series, pd.Index]:
    text = s.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (text.notna() & parsed.isna()).fillna(False).astype(bool)
    cells = text[bad].astype(str)
    iso = cells.str.match(_ISO_SHAPE)
    _report(problems, file, col, cells[iso], "impossible date: no such day in the calendar")
    _report(problems, file, col, cells[~iso], "dates must be written YYYY-MM-DD (ISO 8601)")
    return parsed.astype("datetime64[ns]"), cells.index
