"""What every SOFA version shares: reading and checking the input columns, scoring cut
points, and following each patient's days (for carrying a value forward)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import DAILY, DAILY_LABELS, DataError
from trialkit.schema.schemas import extremes

COMPONENTS: tuple[str, ...] = ("resp", "coag", "liver", "cardio", "cns", "renal")
"""The six organ systems, in the order of Vincent's table."""

MISSING_RULES: tuple[str, ...] = ("normal", "locf", "na")

# Plausible ranges, taken from the data contract (trialkit.schema.DAILY) so that whatever
# load_trial accepts, sofa() accepts. They are checked again here because sofa() also takes
# frames that never went through load_trial, and a unit mix-up gives a plausible-looking
# but wrong score rather than an error.
# name -> (low, high, rule, likely cause of values above high)
_RANGES: dict[str, tuple[float, float, str, str]] = {
    c.name: (float(c.lo), float(c.hi), f"plausible range {c.range_text}", c.hint)
    for c in DAILY
    if c.kind == "number" and c.lo is not None and c.hi is not None
} | {c.name: (0.0, 1.0, "a 0/1 flag", "") for c in DAILY if c.kind == "flag"}

#: The labels of each category column of the data contract (e.g. ``resp_support``).
CATEGORIES: dict[str, tuple[str, ...]] = DAILY_LABELS

# Rows scored at a time: every temporary of a block stays in cache, whatever the table's size.
_BLOCK = 1 << 16

Scores = dict[str, tuple[np.ndarray, np.ndarray]]
"""Per system: its score (int8, 0 where not scorable) and where it cannot be scored (bool)."""


# --- cut points ---------------------------------------------------------------------------


def count_up(x: np.ndarray, cuts: Iterable[tuple[float, bool]]) -> np.ndarray:
    """One point per cut reached: ``x > cut`` where strict, else ``x >= cut`` (NaN: 0)."""
    score = np.zeros(x.shape, dtype=np.int8)
    for cut, strict in cuts:
        score += (x > cut) if strict else (x >= cut)
    return score


def count_below(x: np.ndarray, cuts: Iterable[float]) -> np.ndarray:
    """One point per cut that ``x`` falls below (``x < cut``; NaN: 0)."""
    score = np.zeros(x.shape, dtype=np.int8)
    for cut in cuts:
        score += x < cut
    return score


def count_at_most(x: np.ndarray, cuts: Iterable[float]) -> np.ndarray:
    """One point per cut that ``x`` reaches from above (``x <= cut``, SOFA-2; NaN: 0)."""
    score = np.zeros(x.shape, dtype=np.int8)
    for cut in cuts:
        score += x <= cut
    return score


def count_above(x: np.ndarray, cuts: Iterable[float]) -> np.ndarray:
    """One point per cut that ``x`` exceeds (``x > cut``, SOFA-2; NaN: 0)."""
    score = np.zeros(x.shape, dtype=np.int8)
    for cut in cuts:
        score += x > cut
    return score


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` rounded to 6 decimals, so that a ratio on a cut point in decimal
    arithmetic stays on it (in binary floating point 112 / 0.28 is 399.99999999999994)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(num / den, 6)


# --- the input columns --------------------------------------------------------------------


def unit_column(daily: pd.DataFrame, stem: str, problems: list[str]) -> str | None:
    """The one column of a unit pair (``<stem>_mg_dl`` or ``<stem>_umol_l``) in ``daily``."""
    have = [c for c in (f"{stem}_mg_dl", f"{stem}_umol_l") if c in daily.columns]
    if len(have) == 1:
        return have[0]
    if not have:
        problems.append(
            f"daily: no {stem} column: give {stem}_mg_dl or {stem}_umol_l "
            "(rule: SOFA needs one, with its unit in the name)"
        )
    else:
        problems.append(
            f"daily: both {stem}_mg_dl and {stem}_umol_l are present "
            "(rule: one unit per measurement, so the cut points are not ambiguous)"
        )
    return None


def missing_columns(
    daily: pd.DataFrame, need: Mapping[str, Iterable[str]], problems: list[str], why: str = ""
) -> None:
    """A problem for each needed column ``daily`` lacks (``need``: system -> columns)."""
    for comp, cols in need.items():
        for col in cols:
            if col not in daily.columns:
                problems.append(
                    f"daily: missing column {col!r} (rule: needed for the {comp} "
                    f"{why or 'SOFA'} component)"
                )


def _as_array(column: pd.Series) -> np.ndarray:
    """A numeric column as a numpy array: the column's own memory when it is numpy-backed."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return column.to_numpy()
    # Nullable, Arrow-backed or text columns: converted once (text is an error).
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def numeric(
    daily: pd.DataFrame, columns: Iterable[str], check: bool = True
) -> dict[str, np.ndarray]:
    """Each column as a numeric array, checked against its plausible range (``check``;
    else see :func:`in_range`); every problem reported.  Numpy-backed columns are not
    copied (the table as loaded is never consolidated or copied here)."""
    problems: list[str] = []
    out: dict[str, np.ndarray] = {}
    for col in columns:
        try:
            x = _as_array(daily[col])
        except (TypeError, ValueError):
            bad = pd.to_numeric(daily[col], errors="coerce").isna() & daily[col].notna()
            rows = list(daily.index[bad.to_numpy()][:5])
            problems.append(
                f"daily: column {col!r}, rows {rows}: text in a number column "
                f"(e.g. {daily[col][bad].iloc[0]!r}; a decimal comma?)"
            )
            continue
        lo, hi, rule, hint = _RANGES[col]
        if check and not in_range({col: x}):
            with np.errstate(invalid="ignore"):
                bad = (x < lo) | (x > hi)
            rows = list(daily.index[bad][:5])
            cause = f"; {hint}" if hint and (x > hi).any() else ""
            values = x[bad][:5].astype(float).tolist()
            problems.append(
                f"daily: column {col!r}, rows {rows}: values {values} (rule: {rule}){cause}"
            )
        out[col] = x
    if problems:
        raise DataError(problems)
    return out


def in_range(values: Mapping[str, np.ndarray]) -> bool:
    """Whether every value lies in its column's plausible range (NaN ignored).

    Two reductions per column instead of a mask; :func:`trialkit.sofa.daily_scores` calls it
    on each block of rows just before scoring it, while the block is in cache.  (All
    missing: the reductions are NaN, and NaN is not out of range.)
    """
    for col, x in values.items():
        lo, hi = _RANGES[col][:2]
        if not x.size:
            continue
        low, high = extremes(x)
        if low < lo or high > hi:
            return False
    return True


def category_codes(daily: pd.DataFrame, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """Each category column as int8 codes (position in :data:`CATEGORIES`; -1 missing);
    labels outside the contract are reported (file, rows, values, the allowed labels)."""
    problems: list[str] = []
    out: dict[str, np.ndarray] = {}
    for col in columns:
        labels = CATEGORIES[col]
        s = daily[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            raw, uniques = s.cat.codes.to_numpy(), s.cat.categories
            if list(uniques) == list(labels):  # as load_trial returns it: the codes are ours
                out[col] = raw.astype(np.int8, copy=False)
                continue
        else:
            # One hashing pass over the rows, then the few distinct labels are looked up.
            raw, uniques = pd.factorize(s.to_numpy(dtype=object))
        codes = np.append(pd.Index(labels).get_indexer(uniques), -1)[raw]
        bad = (codes < 0) & (raw >= 0)
        if bad.any():
            rows = list(daily.index[bad][:5])
            found = sorted({str(v) for v in s[bad].tolist()})[:5]
            problems.append(
                f"daily: column {col!r}, rows {rows}: labels {found} (rule: one of "
                f"{', '.join(labels)})"
            )
        out[col] = codes.astype(np.int8, copy=False)
    if problems:
        raise DataError(problems)
    return out


# --- each patient's days ------------------------------------------------------------------


def _is_sorted(codes: np.ndarray, day: np.ndarray) -> bool:
    """Whether rows are in (patient, day) order already (ties in input order)."""
    if codes.size < 2:
        return True
    dc, dd = np.diff(codes), np.diff(day)
    return bool(np.all((dc > 0) | ((dc == 0) & (dd >= 0))))


@dataclass
class Days:
    """The rows in (patient, day) order, to follow each patient from day to day.

    ``order`` sorts the rows (None: already sorted); positions below are in that order.
    ``first`` and ``last`` are the positions of the first and last row of each row's patient.
    """

    order: np.ndarray | None
    first: np.ndarray
    last: np.ndarray
    day: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, day: np.ndarray) -> Days:
        order = None if _is_sorted(codes, day) else np.lexsort((day, codes))
        c = codes if order is None else codes[order]
        n = c.size
        start = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
        stop = np.r_[start[1:], n]
        lengths = stop - start
        return cls(
            order,
            np.repeat(start, lengths),
            np.repeat(stop - 1, lengths),
            np.asarray(day if order is None else day[order], dtype=np.int64),
        )

    def sort(self, x: np.ndarray) -> np.ndarray:
        return x if self.order is None else x[self.order]

    def put_at(self, target: np.ndarray, rows: np.ndarray, x: Any) -> None:
        """Set ``target`` (input order) at the rows given as sorted positions."""
        target[rows if self.order is None else self.order[rows]] = x

    def put(self, target: np.ndarray, x_sorted: np.ndarray) -> None:
        """Write values given in sorted order back into ``target`` (input order)."""
        if self.order is None:
            target[:] = x_sorted
        else:
            target[self.order] = x_sorted

    def last_at_or_before(self, valid_sorted: np.ndarray) -> np.ndarray:
        """Per row, the position of the patient's latest valid row at or before it (-1)."""
        pos = np.where(valid_sorted, np.arange(valid_sorted.size), -1)
        np.maximum.accumulate(pos, out=pos)
        pos[pos < self.first] = -1  # an earlier patient's row is not this patient's
        return pos


def locf(scores: Scores, days: Days) -> None:
    """Carry each system's last scorable value forward within patient, in day order (in
    place; rows with nothing to carry score 0 and stay absent)."""
    for score, absent in scores.values():
        s, a = days.sort(score), days.sort(absent)
        last = days.last_at_or_before(~a)
        ok = last >= 0
        days.put(score, np.where(ok, s[np.maximum(last, 0)], 0).astype(np.int8))
        days.put(absent, ~ok)


# --- a version's registration -------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """A SOFA version, as :data:`trialkit.sofa.VERSIONS` registers it.

    Everything else is shared: column extraction and range checks, block-wise scoring, the
    missing-data rules, totals and the output frame.

    Attributes
    ----------
    title : str
        The score and its reference, for messages and pages.
    options : callable
        ``options(keywords) -> options``: the version's own keyword arguments of
        :func:`trialkit.sofa.sofa`, checked (a ``ValueError`` names a wrong one).
    needed : callable
        ``needed(daily, include, options) -> {system: [column, ...]}``: the input columns of
        each included system; raises a ``DataError`` naming every missing one.
    score : callable
        ``score(values, need, options) -> {system: (score, absent)}`` for one block of rows;
        ``values`` maps column -> array (category columns as int8 codes).
    across_days : callable, optional
        ``across_days(scores, values, days, options)``: rules that look at a patient's other
        days (in place, on the whole table), run before the missing-data rule.
    uses_days : callable
        ``uses_days(options, need) -> bool``: whether ``across_days`` has work to do (it then
        needs ``patient_id`` and ``day``).
    """

    title: str
    options: Callable[[Mapping[str, Any]], Any]
    needed: Callable[[pd.DataFrame, tuple[str, ...], Any], dict[str, list[str]]]
    score: Callable[[dict[str, np.ndarray], dict[str, list[str]], Any], Scores]
    across_days: Callable[[Scores, dict[str, np.ndarray], Days, Any], None] | None = None
    uses_days: Callable[[Any, dict[str, list[str]]], bool] = field(
        default=lambda options, need: False
    )
