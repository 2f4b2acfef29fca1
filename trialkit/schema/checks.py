"""Checks of one table: the columns present, then every cell rule through pandera."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pandera.errors import SchemaErrors

from trialkit.schema.columns import ColumnDef
from trialkit.schema.messages import _messages
from trialkit.schema.parse import parse
from trialkit.schema.schemas import _pandera_schema
from trialkit.schema.source import Source


def _check_columns(
    raw: pd.DataFrame, src: Source, defs: Sequence[ColumnDef], problems: list[str]
) -> None:
    """Missing columns (with a hint when only the case differs) and either/or pairs."""
    file = src.file
    present = set(raw.columns)
    lower = {c.lower(): c for c in raw.columns}
    for d in defs:
        if d.required and d.name not in present:
            near = lower.get(d.name.lower())
            hint = f" (found {near!r}: names are case-sensitive)" if near else ""
            problems.append(f"{file}, column {d.name}: missing column{hint}")
    pairs: dict[str, list[str]] = {}
    for d in defs:
        if d.pair:
            pairs.setdefault(d.pair, []).append(d.name)
    for names in pairs.values():
        given = [n for n in names if n in present]
        either = " or ".join(names)
        if not given:
            problems.append(
                f"{file}, column {either}: missing column (give exactly one of the pair)"
            )
        elif len(given) > 1:
            problems.append(
                f"{file}, columns {' and '.join(given)}: give exactly one of the pair, "
                "not both (one unit per variable)"
            )


def _validate_table(
    raw: pd.DataFrame | None,
    src: Source,
    defs: Sequence[ColumnDef],
    problems: list[str],
    *,
    unique: Sequence[str] = (),
    allow_empty: bool = False,
) -> pd.DataFrame | None:
    """Parse and check one table read by :func:`read_table`; None if it cannot be used."""
    if raw is None:
        return None
    file = src.file
    _check_columns(raw, src, defs, problems)
    if raw.empty:
        if not allow_empty:
            problems.append(f"{file}: no data rows (only the header)")
        return raw if allow_empty else None
    typed, skip = parse(raw, src, defs, problems)
    # Missing columns were reported above (with a case hint): check the ones present, and
    # a composite key only when all of its columns are there.
    present = [d for d in defs if d.name in typed.columns]
    key = unique if set(unique) <= set(typed.columns) else ()
    schema = _pandera_schema(present, Path(file).stem, unique=key)
    try:
        schema.validate(typed, lazy=True, inplace=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["check"] != "column_in_dataframe"]
        problems.extend(_messages(fc, src, defs, skip))
    return typed
