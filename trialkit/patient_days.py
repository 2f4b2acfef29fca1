"""A trial's daily rows grouped by patient: id lookup, one row per patient-day, and blocks.

The endpoint rules of :mod:`trialkit.endpoints` reduce daily rows per patient.  Rows come in
(patient, day) order in the files trialkit reads and writes (otherwise :class:`PatientDays`
puts them in that order once), so each patient's rows are one contiguous run.  The rules walk
the rows in blocks of about 65,000 that never split a patient: every temporary array stays
small (in cache, and reused by the allocator rather than fresh pages from the system, which
is what made whole-table passes grow faster than the table), and a per-patient sum is a
``bincount`` over the block's few patients.  Time and memory grow linearly with the rows.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import DataError

BLOCK = 1 << 16
"""Rows per block (a block extends to the end of its last patient's rows)."""


def column_values(column: pd.Series) -> Any:
    """A column's values without a copy: its numpy array or its extension array."""
    return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as a numpy array, NaN where missing (numpy columns: not copied)."""
    col = frame[column]
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub":
        return col.to_numpy()
    return pd.to_numeric(col).to_numpy(dtype=float, na_value=np.nan)


def days(frame: pd.DataFrame, table: str) -> np.ndarray:
    """The ``day`` column as int64: whole days since randomization, never empty."""
    column = frame["day"]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
        return column.to_numpy().astype(np.int64, copy=False)
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return column.to_numpy(dtype=np.int64)  # nullable integers, as load_trial reads them
    day = pd.to_numeric(column).to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(day) | (day != np.round(day))
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise DataError(
            f"{table}: column 'day', rows {rows}: values {day[bad][:5].tolist()} "
            "(rule: a whole number of days since randomization, never empty)"
        )
    return day.astype(np.int64)


def _addresses(values: np.ndarray) -> np.ndarray:
    """The object references of an object array as integers, without touching the objects.

    Equal references are one object, so equal values; the reverse need not hold (two equal
    strings can be two objects).  A copy, so that it does not outlive ``values``' memory.
    """
    values = np.ascontiguousarray(values)
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    raw = (ctypes.c_ssize_t * values.size).from_address(values.ctypes.data)
    return np.frombuffer(raw, dtype=np.intp).copy()


def run_starts(values: np.ndarray) -> np.ndarray:
    """The start of each run of equal neighbours in ``values`` (row 0 always starts one).

    Object arrays (text ids) are compared by reference, in one integer pass: a boundary
    between two equal values held as different objects is kept, so the runs may be cut finer
    than the values require but never join two different values.  Ids as ``load_trial``
    returns them are one object per patient, so the runs are the patients' runs; ids read
    one object per row fall back to comparing the values.
    """
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    new = np.empty(values.size, dtype=bool)
    new[0] = True
    if values.dtype == object:
        ref = _addresses(values)
        np.not_equal(ref[1:], ref[:-1], out=new[1:])
        if np.count_nonzero(new) <= values.size // 2:
            return np.flatnonzero(new)
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return np.flatnonzero(new)


def id_codes(ids: pd.Series) -> np.ndarray:
    """Integer codes of an id column: equal ids, equal codes; numbered in order of first
    appearance and -1 where missing, exactly as ``pandas.factorize(ids)[0]``.

    Rows of one patient come together: the ids are coded once per run
    (:func:`run_starts`).  Runs whose ids increase (rows sorted by id, as trialkit writes
    them) are numbered as they come; otherwise text ids held one object per patient are coded
    by reference after one check that no two of those objects are equal (a set of the
    distinct objects).  Either way no text is hashed per row; anything else is
    ``pandas.factorize`` of the runs or of the rows.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return ids.cat.codes.to_numpy().astype(np.intp)
    values = ids.to_numpy()
    if values.dtype != object or values.size < 2:
        return pd.factorize(values)[0]
    starts = run_starts(values)
    if starts.size > values.size // 2:
        return pd.factorize(values)[0]
    lengths = np.diff(np.append(starts, values.size))
    heads = values[starts]
    try:  # rows sorted by id, as trialkit writes them: each run is a new patient
        increasing = bool(np.all(heads[1:] > heads[:-1]))
    except TypeError:  # mixed types, or a missing id among text
        increasing = False
    if increasing:
        return np.repeat(np.arange(heads.size), lengths)
    # One code per object, numbered in order of first appearance; then one per value.
    by_object = pd.factorize(_addresses(heads))[0]
    objects = heads[np.unique(by_object, return_index=True)[1]]
    distinct = not pd.isna(objects).any() and len(set(objects.tolist())) == objects.size
    if not distinct:  # equal ids held as different objects, or missing ids
        by_object = pd.factorize(objects)[0][by_object]
    return np.repeat(by_object, lengths)


def lookup(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """``index.get_indexer(ids)``, with one lookup per category or per run of equal ids.

    Daily rows come grouped by patient: comparing neighbours (:func:`run_starts`) is much
    cheaper than hashing every id (text ids above all), and rows in the order of ``index``
    need no lookup at all.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        at = index.get_indexer(ids.cat.categories)
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, at[codes], -1)
    if not isinstance(ids.dtype, np.dtype):
        # Arrow-backed or nullable ids: factorized without making Python objects of them.
        codes, uniques = pd.factorize(ids)
        return np.where(codes >= 0, index.get_indexer(uniques)[codes], -1)
    values = ids.to_numpy()
    if values.size > 1:
        starts = run_starts(values)
        if starts.size <= values.size // 2:
            runs = values[starts]
            if runs.size == len(index) and np.array_equal(runs, index.to_numpy()):
                at = np.arange(runs.size)
            else:
                at = index.get_indexer(runs)
            return np.repeat(at, np.diff(np.append(starts, values.size)))
    return index.get_indexer(values)


def positions(index: pd.Index, frame: pd.DataFrame, table: str) -> np.ndarray:
    """Row of ``patients`` (``index``) for each row of ``frame``; unknown ids are an error."""
    ids = frame["patient_id"]
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        values = ids.to_numpy()
        if values.dtype.kind in "iu" and (
            values.size == 0 or (values.min() >= 0 and values.max() < len(index))
        ):
            return values.astype(np.intp, copy=False)
    pos = lookup(index, ids)
    if (pos < 0).any():
        rows = frame.index[pos < 0][:5].tolist()
        bad = ids.to_numpy()[pos < 0][:5].tolist()
        raise DataError(
            f"{table}: column 'patient_id', rows {rows}: ids {bad} are not in patients "
            "(rule: every row belongs to a randomized patient)"
        )
    return pos


def _in_order(pos: np.ndarray, day: np.ndarray) -> bool:
    """Whether rows are in (patient, day) order (equal days allowed), block by block."""
    for r0 in range(0, max(pos.size - 1, 0), BLOCK):
        step = np.diff(pos[r0 : r0 + BLOCK + 1])
        if not np.all((step > 0) | ((step == 0) & (np.diff(day[r0 : r0 + BLOCK + 1]) >= 0))):
            return False
    return True


def _first_repeat(pos: np.ndarray, day: np.ndarray) -> int | None:
    """The first row, in input order, whose patient already has a row on its day."""
    if pos.size < 2:
        return None
    low = int(day.min())
    key = pos.astype(np.int64) * (int(day.max()) - low + 1) + (day - low)
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(np.diff(key[order]) == 0)
    return int(order[dup + 1].min()) if dup.size else None


class PatientDays:
    """The rows of a daily table as patient rows and days, in (patient, day) order.

    Parameters
    ----------
    pos, day : numpy.ndarray
        Each row's patient (row number in ``patients``) and day, in the table's order.
    n_patients : int
        The number of patients (rows of ``patients``).
    """

    def __init__(self, pos: np.ndarray, day: np.ndarray, n_patients: int) -> None:
        self._given = pos, day
        self.n = n_patients
        self.order = None if _in_order(pos, day) else np.lexsort((day, pos))
        self.pos = pos if self.order is None else pos[self.order]
        self.day = day if self.order is None else day[self.order]
        rows = self.pos.size
        targets = np.arange(BLOCK, rows, BLOCK)
        cuts = np.searchsorted(self.pos, self.pos[targets - 1], side="right")
        self._bounds = np.unique(np.concatenate(([0], cuts, [rows])))

    @classmethod
    def of(cls, index: pd.Index, frame: pd.DataFrame, table: str) -> PatientDays:
        """The rows of ``frame`` (``patient_id``, ``day``) against the patients ``index``."""
        return cls(positions(index, frame, table), days(frame, table), len(index))

    def arrange(self, values: np.ndarray) -> np.ndarray:
        """A column of the table in the rows' (patient, day) order."""
        return values if self.order is None else values[self.order]

    def blocks(self) -> Iterator[tuple[slice, int, int]]:
        """``(rows, first patient, last patient + 1)`` for blocks of whole patients."""
        for r0, r1 in zip(self._bounds[:-1], self._bounds[1:], strict=True):
            if r1 > r0:
                yield slice(int(r0), int(r1)), int(self.pos[r0]), int(self.pos[r1 - 1]) + 1

    def one_row_per_day(
        self, index: pd.Index, table: str, keep: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> None:
        """Refuse a patient with two rows on one day (among the rows whose days ``keep``
        selects): which row's value counts would be arbitrary."""
        for rows, _, _ in self.blocks():
            p, d = self.pos[rows], self.day[rows]
            if keep is not None:
                sel = keep(d)
                p, d = p[sel], d[sel]
            if np.any((np.diff(p) == 0) & (np.diff(d) == 0)):
                pos, day = self._given
                if keep is None:
                    at = _first_repeat(pos, day)
                else:
                    sel = np.flatnonzero(keep(day))
                    at = sel[_first_repeat(pos[sel], day[sel])]
                raise DataError(
                    f"{table}: patient {index[pos[at]]!r} has more than one row on day "
                    f"{day[at]} (rule: one row per patient per day)"
                )

    def per_patient(self, rows: slice, p0: int, p1: int, where: np.ndarray, weights=None):
        """Per patient of a block (``p0..p1-1``): the count (or weighted sum) of its rows
        selected by ``where``."""
        local = self.pos[rows][where] - p0
        w = None if weights is None else weights[where]
        return np.bincount(local, weights=w, minlength=p1 - p0)
