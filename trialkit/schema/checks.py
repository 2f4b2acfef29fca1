"""Checks of one table: the columns present, then every cell rule through pandera."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trialkit.schema.columns import MAX_DAY, ColumnDef, _num
from trialkit.schema.messages import _messages, _problem
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
    from pandera.errors import SchemaErrors

    schema = _pandera_schema(present, Path(file).stem, frame=typed)
    try:
        with warnings.catch_warnings():
            # pandera's own concat of failure cases of categorical columns (pandas 2.x).
            warnings.filterwarnings("ignore", category=FutureWarning, module="pandera")
            schema.validate(typed, lazy=True, inplace=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["check"] != "column_in_dataframe"]
        problems.extend(_messages(fc, src, defs, skip))
    if key:
        _duplicate_keys(typed, src, tuple(key), problems)
    return typed


def _duplicate_keys(
    df: pd.DataFrame, src: Source, key: tuple[str, str], problems: list[str]
) -> None:
    """One row per (patient_id, day): every row of a repeated pair, located.

    pandera's composite-key check hashes the object ids of every row (3.7 s at 10^7
    rows); here each row gets an int64 key from the patient's code and the day's rank,
    a file sorted by patient and day is confirmed in one pass, any other is sorted once.
    """
    ids, days = df[key[0]], df[key[1]]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        pid = ids.cat.codes.to_numpy().astype(np.int64)
    else:
        pid = pd.factorize(ids)[0].astype(np.int64)
    d = days.to_numpy()
    if d.dtype == np.int64 and len(d) and 0 <= d.min() and d.max() <= MAX_DAY:
        day_rank, n_days = d, int(d.max()) + 1  # whole days in range: the day is its rank
    else:
        day_rank, day_values = pd.factorize(days, sort=True)
        n_days = max(len(day_values), 1)
    ok = (pid >= 0) & (day_rank >= 0)  # a missing id or day is reported on its own
    k = pid * n_days + day_rank
    if ok.all():  # the usual case: no copy of the keys, row i is position i
        rows = None
    else:
        rows = np.flatnonzero(ok)
        k = k[ok]
    if len(k) < 2 or (k[1:] > k[:-1]).all():
        return
    order = np.argsort(k, kind="stable")
    sk = k[order]
    same = sk[1:] == sk[:-1]
    if not same.any():
        return
    hit = np.zeros(len(sk), dtype=bool)
    hit[1:] |= same
    hit[:-1] |= same
    dup = np.sort(order[hit] if rows is None else rows[order[hit]])
    first = dup[:4]
    found = [
        f"{p} day {_num(float(d))}"
        for p, d in zip(ids.to_numpy()[first], days.to_numpy()[first], strict=True)
    ]
    keys = ", ".join(key)
    rule = f"duplicate ({keys}): one row per patient per day"
    problems.append(_problem(src, keys, rule, df.index[dup], found))
