"""Parsing the cells of a table read as text where they did not read as numbers or dates.

A number column that Arrow read as numbers costs nothing here; one read as text holds
cells to report (text, a decimal comma), each with its file line. Ids and labels lose
surrounding blanks; a blank cell is missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trialkit.schema.columns import ColumnDef
from trialkit.schema.messages import _report
from trialkit.schema.source import Source

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_COMMA_RULE = "decimal comma? write numbers with a decimal point (1.5, not 1,5)"
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


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


def parse(
    raw: pd.DataFrame, src: Source, defs: Sequence[ColumnDef], problems: list[str]
) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    """Typed columns; unparseable cells are reported, set missing and listed in ``skip``.

    ``raw`` is updated in place (only the columns that change: replacing a column splits
    its block) and returned: rebuilding a 10^7-row frame would copy every column again.
    Rows of a column already reported while reading (``src.skip``) are skipped too.
    """
    out: dict[str, pd.Series] = {}
    skip: dict[str, pd.Index] = {}
    declared = {d.name: d for d in defs}
    originals: dict[str, pd.Series] = {}
    for col in raw.columns:
        s = originals[col] = raw[col]
        d = declared.get(col)
        done = pd.Index(src.skipped(col))
        if len(done):
            skip[col] = done
        if d is None or d.kind in ("id", "text", "category"):
            if d is None and not _is_text(s):
                continue
            text = _strip(s)
            out[col] = text if d is not None else _undeclared(text, src, col, problems, done)
            continue
        if d.kind == "date":
            out[col], bad_dates = _parse_date(s, src, col, problems, done)
            skip[col] = bad_dates.union(done)
            continue
        num, bad = _parse_number(s)
        if bad.any():
            cells = s[bad].astype(str)
            cells_left = cells[~cells.index.isin(done)]
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
            skip[col] = cells.index.union(done)
        if num is not s:
            out[col] = num
    for col, values in out.items():
        if values is not originals[col]:
            raw[col] = values
    return raw, skip


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


def _strip(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blank -> missing; categories stay categories."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        # Only the distinct values are stripped (one per patient, not one per ICU day);
        # " P01 " and "P01" then share one category. Most files need none: asked in C++.
        padded = pc.match_substring_regex(
            pa.array(s.cat.categories.to_numpy(dtype=object), pa.string(), from_pandas=True),
            r"^\s|\s$|^$",
        )
        if not pc.any(pc.fill_null(padded, False)).as_py():
            return s
        cats = pd.Index(s.cat.categories.astype(str)).str.strip()
        codes, uniques = pd.factorize(cats.where(cats != "", None), use_na_sentinel=True)
        if len(uniques) == len(cats) and (codes == np.arange(len(cats))).all():
            if (cats == s.cat.categories).all():
                return s  # nothing to strip: the column is left as read
            return s.cat.rename_categories(cats)
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


def _undeclared(
    text: pd.Series, src: Source, col: str, problems: list[str], done: pd.Index
) -> pd.Series:
    """An extra column: numbers if every cell is a number, else text (a decimal comma is
    reported rather than silently turning a number column into text)."""
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if not bad.any():
        return num.astype("float64")
    cells = text[bad].astype(str)
    cells = cells[~cells.index.isin(done)]
    comma = cells.str.match(_DECIMAL_COMMA)
    if len(cells) and comma.all():
        _report(problems, src, col, cells, _COMMA_RULE)
    return text


def _parse_date(
    s: pd.Series, src: Source, col: str, problems: list[str], done: pd.Index
) -> tuple[pd.Series, pd.Index]:
    if pd.api.types.is_datetime64_any_dtype(s):  # a Parquet date or timestamp column
        return s.astype("datetime64[ns]"), pd.Index([])
    if isinstance(s.dtype, pd.CategoricalDtype):
        # Each distinct date is parsed once (a few hundred randomization days, not n).
        days, cells = _parse_date(
            pd.Series(s.cat.categories, dtype=object), src, col, [], pd.Index([])
        )
        codes = s.cat.codes.to_numpy()
        parsed = np.append(days.to_numpy(), np.datetime64("NaT", "ns"))[codes]
        bad = np.isin(codes, cells.to_numpy()) & (codes >= 0)
        out = pd.Series(parsed, index=s.index, dtype="datetime64[ns]")
        text_cells = pd.Series(s.cat.categories[codes[bad]], index=s.index[bad], dtype=object)
        left = text_cells[~text_cells.index.isin(done)].astype(str).str.strip()
        iso = left.str.match(_ISO_SHAPE)
        _report(problems, src, col, left[iso], "impossible date: no such day in the calendar")
        _report(problems, src, col, left[~iso], "dates must be written YYYY-MM-DD (ISO 8601)")
        return out, text_cells.index
    text = s.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (text.notna() & parsed.isna()).fillna(False).astype(bool)
    cells = text[bad].astype(str)
    left = cells[~cells.index.isin(done)]
    iso = left.str.match(_ISO_SHAPE)
    _report(problems, src, col, left[iso], "impossible date: no such day in the calendar")
    _report(problems, src, col, left[~iso], "dates must be written YYYY-MM-DD (ISO 8601)")
    return parsed.astype("datetime64[ns]"), cells.index
