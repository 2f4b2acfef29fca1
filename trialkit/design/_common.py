"""Helpers shared by the design modules: argument checks and tidy one-row-per-case frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["check_open_unit", "check_positive", "tidy"]


def check_open_unit(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array, raising if any element is outside (0, 1)."""
    arr = np.asarray(value, dtype=float)
    bad = ~((arr > 0) & (arr < 1))
    if bad.any():
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {arr[bad].ravel()[:5]}")
    return arr


def check_positive(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array, raising if any element is not a positive finite number."""
    arr = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        raise ValueError(f"{name} must be positive and finite; got {arr[bad].ravel()[:5]}")
    return arr


def tidy(columns: dict[str, Any]) -> pd.DataFrame:
    """Broadcast scalar and array columns against each other into one row per case.

    Design quantities are computed for every combination the caller broadcasts (a
    sensitivity grid); scalars give the usual pingouin-style single row. ``ci_low`` and
    ``ci_high`` are NaN unless given: a planned quantity has no sampling uncertainty, but
    the columns keep design rows stackable with estimates.
    """
    columns = {"ci_low": np.nan, "ci_high": np.nan, **columns}
    keys = list(columns)
    arrays = np.broadcast_arrays(*(np.asarray(columns[k]) for k in keys))
    data = {k: a.ravel() for k, a in zip(keys, arrays, strict=True)}
    order = ["estimate", "ci_low", "ci_high"]
    rest = [k for k in keys if k not in order]
    return pd.DataFrame(data)[[k for k in order if k in data] + rest]
