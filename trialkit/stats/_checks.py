"""Argument checks shared by the estimators of :mod:`trialkit.stats`.

One place for them so every estimator refuses the same bad input with the same words.
"""

from __future__ import annotations

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
