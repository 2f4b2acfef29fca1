"""Argument checks shared by the estimators of :mod:`trialkit.stats`.

One place for them so every estimator refuses the same bad input with the same words.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd


def check_conf_level(conf_level: float, where: str) -> float:
    """Return ``conf_level`` as a float if it is a number in (0, 1), else raise ``ValueError``."""
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float | np.floating):
        raise ValueError(f"{where}: conf_level must be a number in (0, 1), got {conf_level!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"{where}: conf_level must be a number in (0, 1), got {conf_level!r}")
    return float(conf_level)


def as_group(values: Sequence | np.ndarray | pd.Series, where: str, arm_1=None) -> np.ndarray:
    """Return a boolean array, True for arm 1, from a 0/1 (or boolean) vector or two labels.

    With ``arm_1=None`` the values must be 0/1 or True/False (1 = arm 1, the experimental arm).
    With ``arm_1`` given, the vector may hold any two labels and ``arm_1`` names arm 1.
    """
    v = pd.Series(np.asarray(values) if not isinstance(values, pd.Series) else values.to_numpy())
    if len(v) == 0:
        raise ValueError(f"{where}: group is empty")
    if v.isna().any():
        rows = np.flatnonzero(v.isna().to_numpy())[:5].tolist()
        raise ValueError(f"{where}: group has missing values (rows {rows})")
    levels = pd.unique(v)
    if arm_1 is not None:
        if arm_1 not in set(levels):
            raise ValueError(f"{where}: arm_1={arm_1!r} is not a value of group {list(levels)}")
        if len(levels) > 2:
            raise ValueError(f"{where}: group must have two arms, found {list(levels)}")
        return (v == arm_1).to_numpy()
    if not set(levels) <= {0, 1}:
        raise ValueError(
            f"{where}: group must be coded 0/1 (1 = arm 1) or name arm 1 with arm_1=; "
            f"found values {list(levels)[:6]}"
        )
    return v.astype(int).to_numpy() == 1


def _not_numeric(arr: np.ndarray) -> str | None:
    """What makes ``arr`` non-numeric (booleans, text, dates ...), or None if it is numeric."""
    kind = arr.dtype.kind
    if kind in "iuf":
        return None
    if kind == "b":
        return "booleans"
    if kind == "O":
        for v in arr.ravel():
            if v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)):
                continue
            return f"{type(v).__name__} values such as {v!r}"
        return None
    if kind in "US":
        return f"text such as {str(arr.ravel()[0])!r}" if arr.size else "text"
    return {"M": "dates", "m": "durations", "c": "complex numbers"}.get(
        kind, f"values of type {arr.dtype}"
    )


def as_numeric(a, name: str, where: str) -> np.ndarray:
    """``a`` as a 1-d float array, missing values as NaN; non-numeric input is a ``TypeError``.

    As R's ``wilcox.test`` ("'x' must be numeric"): text that looks like a number, booleans,
    categories and dates are refused rather than converted.
    """
    if isinstance(a, pd.Series | pd.Index):
        dtype = a.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            problem: str | None = "categories"
        elif pd.api.types.is_bool_dtype(dtype):
            problem = "booleans"
        elif pd.api.types.is_numeric_dtype(dtype):
            problem = None
        else:
            problem = _not_numeric(np.asarray(a, dtype=object))
        values = a.to_numpy(dtype=float, na_value=np.nan) if problem is None else None
    else:
        arr = np.asarray(a)
        problem = _not_numeric(arr)
        if problem is None and isinstance(a, list | tuple):
            # numpy turns [True, 2.5] into [1.0, 2.5]: look at the elements themselves.
            if any(isinstance(v, bool | np.bool_) for v in a):
                problem = "booleans"
        values = arr.astype(float, copy=False) if problem is None else None
    if values is None:
        raise TypeError(f"{where}: '{name}' must be numeric, got {problem}")
    return values.ravel()


def as_sample(a, name: str, where: str) -> np.ndarray:
    """A numeric 1-d float sample without missing values (dropped with a warning, as R does).

    Raises ``TypeError`` for non-numeric input, ``ValueError`` for infinite values or when
    nothing is left.
    """
    arr = as_numeric(a, name, where)
    if np.isfinite(arr).all():  # one pass in the usual case
        if arr.size == 0:
            raise ValueError(f"{where}: '{name}' has no non-missing observations")
        return arr
    missing = np.isnan(arr)
    if missing.any():
        warnings.warn(
            f"{where}: dropped {int(missing.sum())} missing value(s) from '{name}'", stacklevel=3
        )
        arr = arr[~missing]
    if np.isinf(arr).any():
        bad = np.flatnonzero(np.isinf(arr))[:5].tolist()
        raise ValueError(f"{where}: '{name}' has infinite values (positions {bad})")
    if arr.size == 0:
        raise ValueError(f"{where}: '{name}' has no non-missing observations")
    return arr


def numeric(
    values: Sequence | np.ndarray | pd.Series, name: str, where: str, *, allow_nan: bool
) -> np.ndarray:
    """A 1-d float array; non-numbers and infinities are refused with the rows named."""
    v = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce").to_numpy(float)
    raw = pd.Series(np.asarray(values).ravel())
    bad = (np.isnan(v) & raw.notna().to_numpy()) | np.isinf(v)
    if bad.any():
        raise ValueError(
            f"{where}: {name} must be numeric and finite; rows {np.flatnonzero(bad)[:5].tolist()}"
        )
    if not allow_nan and np.isnan(v).any():
        raise ValueError(
            f"{where}: {name} has missing values; rows {np.flatnonzero(np.isnan(v))[:5].tolist()}"
        )
    return v


def check_better(better: str, where: str, name: str = "better") -> str:
    """``better`` checked: "higher" or "lower" (ValueError naming ``where``)."""
    if better not in ("higher", "lower"):
        raise ValueError(f"{where}: {name} must be 'higher' or 'lower', got {better!r}")
    return better
