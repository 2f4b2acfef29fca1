"""pandera schemas built from the column declarations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trialkit.schema.columns import _DAILY_KEY, DAILY, EVENTS, PATIENTS, ColumnDef, _with_arms
from trialkit.spec import Spec

if TYPE_CHECKING:  # pragma: no cover
    import pandera.pandas as pa


def _checks(d: ColumnDef) -> list[pa.Check]:
    # The error string is the rule's key: _messages() turns it back into clinical prose.
    import pandera.pandas as pa  # imported when a table is validated: 0.45 s at import time

    checks: list[pa.Check] = []
    if d.kind == "flag":
        # Two comparisons beat a hash-based isin on 10^6 floats by ~4x.
        checks.append(pa.Check(lambda s: (s == 0) | (s == 1), error="flag"))
    if d.kind == "category" and d.values:
        checks.append(pa.Check.isin(list(d.values), error="category"))
    if d.lo is not None and d.hi is not None:
        checks.append(pa.Check.in_range(d.lo, d.hi, error="range"))
    elif d.lo is not None:
        checks.append(pa.Check.ge(d.lo, error="range"))
    elif d.hi is not None:
        checks.append(pa.Check.le(d.hi, error="range"))
    if d.whole or d.kind == "day":
        checks.append(pa.Check(lambda s: s % 1 == 0, error="whole"))
    return checks


def extremes(values: np.ndarray) -> tuple[object, object]:
    """The least and greatest of a numeric array, missing values skipped (NaN if all are).

    Floats through ``fmin``/``fmax`` (NaN-skipping); integers and flags have no NaN and the
    plain reductions are faster.  Not for an empty array.
    """
    if values.dtype.kind == "f":
        return np.fmin.reduce(values), np.fmax.reduce(values)
    return values.min(), values.max()


def plainly_valid(column: pd.Series, d: ColumnDef) -> bool:
    """Whether a numeric column's least and greatest values alone show that it meets every
    value rule of ``d`` (range; flag and whole number for integer columns), so that the
    per-row checks would find nothing.

    Two reductions instead of pandera's comparisons, masks and failure-case bookkeeping
    for each rule (about 1.5 s of a 10^7-row load): :func:`_pandera_schema` then leaves
    these checks out for such a column, and pandera checks the rest (missing values, ids,
    labels, any column these reductions cannot clear) and words every failure as before.
    """
    if d.kind not in ("flag", "day", "number") or not pd.api.types.is_numeric_dtype(column):
        return False
    integer = pd.api.types.is_integer_dtype(column.dtype)
    if not integer and (d.kind in ("flag", "day") or d.whole):
        return False  # 0.5 or 2.5 lie within a range: only the per-row check can tell
    if len(column) == 0:
        return True
    if isinstance(column.dtype, np.dtype):
        low, high = extremes(column.to_numpy())
    else:  # nullable integers (days): pandas skips the missing ones
        low, high = column.min(), column.max()
    if pd.isna(low):
        return True  # nothing but missing values: the nullable check is pandera's
    lo = 0 if d.kind == "flag" else d.lo
    hi = 1 if d.kind == "flag" else d.hi
    return bool((lo is None or low >= lo) and (hi is None or high <= hi))


def _pandera_schema(
    defs: Sequence[ColumnDef],
    name: str,
    unique: Sequence[str] = (),
    frame: pd.DataFrame | None = None,
) -> pa.DataFrameSchema:
    """The schema of these columns; given the ``frame`` it will validate, the value checks
    of columns that :func:`plainly_valid` clears are left out."""
    # dtype=None: values are checked after trialkit's own parsing step, which already
    # turned text into numbers and dates (with clinical messages for what did not parse).
    import pandera.pandas as pa

    def checks(d: ColumnDef) -> list[pa.Check]:
        if frame is not None and d.name in frame.columns and plainly_valid(frame[d.name], d):
            return []
        return _checks(d)

    return pa.DataFrameSchema(
        {
            d.name: pa.Column(
                None,
                checks=checks(d),
                nullable=d.nullable,
                required=d.required,
                unique=d.name == "patient_id" and name == "patients",
                report_duplicates="all",
                title=d.meaning,
            )
            for d in defs
        },
        name=name,
        unique=list(unique) or None,
        report_duplicates="all",
    )


def patients_schema(spec: Spec) -> pa.DataFrameSchema:
    """pandera schema of ``patients.csv`` (arm labels from ``spec``), after parsing.

    Checks values (ranges, flags, labels, unique ``patient_id``); :func:`load_trial` adds
    the parsing and cross-table checks. See :func:`daily_schema` for an example.
    """
    return _pandera_schema(_with_arms(PATIENTS, spec), "patients")


def daily_schema() -> pa.DataFrameSchema:
    """pandera schema of ``daily.csv`` (one row per patient per ICU day), after parsing.

    Each check's ``error`` is the rule's key (``range``, ``flag``, ``whole``, ...), which
    :func:`load_trial` turns into a clinical message.

    Examples
    --------
    >>> from trialkit.schema import daily_schema, load_trial
    >>> trial = load_trial("tests/fixtures/tiny", spec="imicro")
    >>> daily_schema().validate(trial.daily, lazy=True).shape
    (22, 17)
    """
    return _pandera_schema(DAILY, "daily", unique=_DAILY_KEY)


def events_schema() -> pa.DataFrameSchema:
    """pandera schema of ``events.csv`` (adverse events), after parsing.

    See :func:`daily_schema` for an example.
    """
    return _pandera_schema(EVENTS, "events")
