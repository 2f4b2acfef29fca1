"""The hierarchy of a generalized pairwise comparison and each level's values per patient.

The format of a hierarchy (a list of dicts, as the spec holds it in TOML) is described in
:mod:`trialkit.stats.wins`, which does the comparison.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from trialkit.stats._checks import check_better, numeric

KINDS = ("time", "numeric", "binary")


def _ck(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    """Complex keys: numpy orders them by real part (the block), then imaginary (the value)."""
    out = np.empty(np.broadcast(re, im).shape, complex)
    out.real, out.imag = re, im
    return out


# -- the hierarchy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level of a hierarchy (see the module docstring for the meaning of each field)."""

    column: str
    kind: str = "numeric"
    better: str | None = None
    threshold: float = 0.0
    horizon: float | None = None
    followup: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.column


def parse_hierarchy(levels: Sequence[Mapping | Level]) -> list[Level]:
    """Validate a hierarchy given as dicts (or :class:`Level`) and return :class:`Level` objects.

    Unknown keys are refused with a did-you-mean, as the spec does.

    Examples
    --------
    >>> parse_hierarchy([{"column": "death_day", "kind": "time", "horizon": 28}])[0].better
    'higher'
    """
    where = "hierarchy"
    if isinstance(levels, Mapping | str) or not isinstance(levels, Sequence) or not levels:
        raise ValueError(f"{where}: must be a non-empty list of levels (dicts), got {levels!r}")
    allowed = [f.name for f in fields(Level)]
    out = []
    for k, lev in enumerate(levels, 1):
        at = f"{where} level {k}"
        if isinstance(lev, Level):
            lev = {f: getattr(lev, f) for f in allowed}
        if not isinstance(lev, Mapping):
            raise ValueError(f"{at}: must be a dict, got {lev!r}")
        for key in lev:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                raise ValueError(
                    f"{at}: unknown key {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {allowed}")
                )
        if not isinstance(lev.get("column"), str):
            raise ValueError(f"{at}: 'column' (a column name) is required")
        kind = lev.get("kind", "numeric")
        if kind not in KINDS:
            raise ValueError(f"{at}: kind must be one of {KINDS}, got {kind!r}")
        better = lev.get("better", "higher" if kind == "time" else None)
        if better is None:
            raise ValueError(f"{at}: 'better' ('higher' or 'lower') is required for {kind} levels")
        check_better(better, at)
        threshold = lev.get("threshold", 0.0)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"{at}: threshold must be a number >= 0, got {threshold!r}")
        if not (np.isfinite(threshold) and threshold >= 0):
            raise ValueError(f"{at}: threshold must be a number >= 0, got {threshold!r}")
        if kind == "binary" and threshold:
            raise ValueError(f"{at}: a binary level takes no threshold")
        horizon, followup = lev.get("horizon"), lev.get("followup")
        if kind == "time":
            if isinstance(horizon, bool) or not isinstance(horizon, int | float):
                raise ValueError(f"{at}: a time level needs a numeric 'horizon' (e.g. 28)")
            if followup is not None and not isinstance(followup, str):
                raise ValueError(f"{at}: 'followup' must be a column name")
        elif horizon is not None or followup is not None:
            raise ValueError(f"{at}: 'horizon' and 'followup' apply to time levels only")
        out.append(
            Level(
                column=lev["column"],
                kind=kind,
                better=better,
                threshold=float(threshold),
                horizon=None if horizon is None else float(horizon),
                followup=followup,
                label=lev.get("label"),
            )
        )
    return out


# -- per-level values -----------------------------------------------------------------------------


@dataclass
class _Values:
    """A level's values for every patient: ``v`` oriented (higher is better; NaN = missing)
    for numeric levels; for time levels ``dead`` (event by the horizon) and ``s`` (the event
    day, the day censored, or just past the horizon for complete follow-up)."""

    level: Level
    v: np.ndarray | None = None
    dead: np.ndarray | None = None
    s: np.ndarray | None = None

    @property
    def is_equivalence(self) -> bool:
        """Whether "tied at this level" is an equivalence relation (ties form classes)."""
        if self.level.threshold:
            return False
        if self.v is not None:
            return not np.isnan(self.v).any()
        censored = ~self.dead & (self.s <= self.level.horizon)
        return not censored.any()

    def classes(self) -> tuple[np.ndarray, np.ndarray]:
        """Class of each patient (same class: same values at this level) and one row per class."""
        if self.v is not None:  # on the reals, so that every missing value is one class
            uniq, inv = np.unique(self.v, return_inverse=True)
            return inv.ravel(), uniq.astype(complex)
        uniq, inv = np.unique(_ck(self.s, self.dead.astype(float)), return_inverse=True)
        return inv.ravel(), uniq

    def class_key(self) -> np.ndarray:
        """For equivalence levels: one number per patient, equal exactly when tied."""
        return self.v if self.v is not None else self.s


def _level_values(data: pd.DataFrame, level: Level, where: str) -> _Values:
    at = f"{where}: level {level.name!r}"
    if level.column not in data.columns:
        raise ValueError(f"{at}: column {level.column!r} is not in data {list(data.columns)}")
    raw = numeric(data[level.column], level.column, at, allow_nan=True)
    if level.kind in ("numeric", "binary"):
        if level.kind == "binary":
            bad = ~np.isnan(raw) & ~np.isin(raw, (0.0, 1.0))
            if bad.any():
                raise ValueError(
                    f"{at}: a binary level takes 0/1 (or missing); rows "
                    f"{np.flatnonzero(bad)[:5].tolist()}"
                )
        return _Values(level, v=raw if level.better == "higher" else -raw)
    horizon = level.horizon
    if (raw[~np.isnan(raw)] < 0).any():
        raise ValueError(f"{at}: event days must be >= 0")
    dead = ~np.isnan(raw) & (raw <= horizon)
    # Followed to the horizon: counts as outliving it, so it beats an event on the horizon day.
    s = np.where(dead, raw, np.nextafter(horizon, np.inf))
    if level.followup is not None:
        if level.followup not in data.columns:
            raise ValueError(f"{at}: followup column {level.followup!r} is not in data")
        fu = numeric(data[level.followup], level.followup, at, allow_nan=True)
        missing = ~dead & np.isnan(fu)
        if missing.any():
            raise ValueError(
                f"{at}: patients without an event by the horizon need a follow-up day in "
                f"{level.followup!r}; rows {np.flatnonzero(missing)[:5].tolist()}"
            )
        # An event after the horizon means event-free through it, whatever the follow-up says.
        after = ~np.isnan(raw) & (raw > horizon)
        censored = ~dead & ~after & (fu < horizon)
        s = np.where(censored, fu, s)
    return _Values(level, dead=dead, s=s)
