"""Problem messages: file, column, lines and the rule broken, in clinical prose."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from trialkit.schema.columns import ColumnDef, _num
from trialkit.schema.source import Source

# C0 control characters and DEL; tab, line feed and carriage return are layout.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {0: "NUL", 127: "DEL"}
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


def _char_names(values: Sequence[str]) -> str:
    """``"NUL, 0x1B"``: the control characters found, by name or code."""
    codes = sorted({ord(ch) for v in values for ch in _CONTROL_RE.findall(v)})
    return ", ".join(_CONTROL_NAMES.get(c, f"0x{c:02X}") for c in codes[:3])


def _show(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return repr(str(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return _num(float(value))
    return repr(str(value))


def _found(values: ArrayLike, most: int = 3) -> str:
    # pd.unique keeps first-seen order and hashes in C: only a few values are formatted.
    first = pd.unique(np.asarray(values, dtype=object))[: most + 1]
    seen = list(dict.fromkeys(_show(v) for v in first))
    extra = ", …" if len(seen) > most else ""
    return ", ".join(seen[:most]) + extra


def _problem(
    src: Source | str,
    column: str | None,
    rule: str,
    rows: ArrayLike | None = None,
    found: ArrayLike | None = None,
) -> str:
    """``"<file>, column <c>, line(s) <n>: <rule> (found <values>)"``.

    ``rows`` are row positions (0..n-1 in file order) of ``src``, worded as its file lines
    (CSV) or row numbers (Parquet); with ``src`` a bare file name they are left out.
    """
    file = src if isinstance(src, str) else src.file
    if column is None:
        where = file
    else:
        where = f"{file}, {'columns' if ', ' in column else 'column'} {column}"
    if rows is not None and not isinstance(src, str):
        where += f", {src.label(rows)}"
    text = f"{where}: {rule}"
    if found is not None:
        text += f" (found {_found(found)})"
    return text


def _range_rule(d: ColumnDef, values: pd.Series) -> str:
    v = pd.to_numeric(values, errors="coerce")
    rule = f"{d.name} must lie in the plausible range {d.range_text}"
    if d.lo is not None and (v < d.lo).any():
        if d.below:
            rule = d.below
        elif d.lo == 0:
            rule += f"; {d.name} cannot be negative"
    if d.hint and d.hi is not None and (v > d.hi).any():
        rule += f"; {d.hint}"
    return rule


def _category_rule(d: ColumnDef) -> str:
    labels = ", ".join(repr(v) for v in d.values)
    if d.name == "arm":
        return f"unknown arm label: the spec knows only {labels} (labels are case-sensitive)"
    return f"{d.name} must be one of {labels}"


def _rule(d: ColumnDef | None, column: str, check: str, values: pd.Series) -> str:
    if check == "not_nullable":
        return f"empty cell: {column} is required on every row"
    if check == "field_uniqueness":
        return f"duplicate {column}: each patient has exactly one row"
    if d is None:
        return f"failed check {check}"
    if check == "flag":
        return f"{column} is a 0/1 flag (1 = yes, 0 = no): no other value is allowed"
    if check == "category":
        return _category_rule(d)
    if check == "range":
        return _range_rule(d, values)
    if check == "whole":
        return f"{column} must be a whole number"
    return f"failed check {check}"


def _messages(
    fc: pd.DataFrame,
    src: Source,
    defs: Sequence[ColumnDef],
    skip: dict[str, pd.Index],
) -> list[str]:
    """Clinical messages from pandera's failure cases, one per (column, rule)."""
    by_name = {d.name: d for d in defs}
    order = {d.name: i for i, d in enumerate(defs)}
    out: list[tuple[int, str]] = []
    dup_rows = fc[fc["check"] == "multiple_fields_uniqueness"]
    if len(dup_rows):
        keys = ", ".join(dict.fromkeys(dup_rows["column"].astype(str)))
        # One failure case per key column and line: rebuild "P01 day 3" for a few lines.
        first = dup_rows[dup_rows["index"].isin(dup_rows["index"].unique()[:4])]
        found = first.groupby("index", sort=True)["failure_case"].agg(
            lambda v: " day ".join(_num(x) if isinstance(x, float) else str(x) for x in v)
        )
        rule = f"duplicate ({keys}): one row per patient per day"
        out.append((len(order), _problem(src, keys, rule, dup_rows["index"], found)))
    rest = fc[fc["check"] != "multiple_fields_uniqueness"]
    for (column, check), grp in rest.groupby(["column", "check"], sort=False):
        rows = pd.Index(grp["index"].astype(int))
        if column in skip:
            rows = rows.difference(skip[column])
            grp = grp[grp["index"].astype(int).isin(rows)]
        if not len(rows):
            continue
        values = grp["failure_case"]
        rule = _rule(by_name.get(column), column, check, values)
        found = None if check == "not_nullable" else values
        out.append((order.get(column, len(order)), _problem(src, column, rule, rows, found)))
    return [m for _, m in sorted(out, key=lambda t: t[0])]


def _report(problems: list[str], src: Source, col: str, cells: pd.Series, rule: str) -> None:
    """One problem for these offending cells (index = row positions), if there are any."""
    if len(cells):
        problems.append(_problem(src, col, rule, cells.index, cells))
