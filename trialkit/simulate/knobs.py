"""The knobs a twin calibration turns: a few interpretable parameters of the model, each
with its range and its meaning (:data:`KNOBS`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialkit.simulate.params import TwinParams
from trialkit.spec import SpecError


@dataclass(frozen=True)
class Knob:
    """One fitted quantity: a :class:`TwinParams` field, or a shift or scale of organ tuples.

    ``lo`` and ``hi`` bound it; ``log`` puts it on a log scale in the optimiser.
    """

    name: str
    lo: float
    hi: float
    log: bool
    meaning: str

    def value(self, p: TwinParams, start: TwinParams) -> float:
        if self.name == "sofa_level":
            return float(np.mean(np.subtract(p.base_mean, start.base_mean)))
        if self.name == "sofa_spread":
            return float(np.mean(np.divide(p.base_load, start.base_load)))
        return float(getattr(p, self.name))

    def changes(self, v: float, start: TwinParams) -> dict[str, Any]:
        if self.name == "sofa_level":
            return {
                "base_mean": tuple(
                    round(float(np.clip(m + v, 0.0, 4.9)), 3) for m in start.base_mean
                )
            }
        if self.name == "sofa_spread":
            return {
                "base_load": tuple(round(x * v, 3) for x in start.base_load),
                "base_sd": tuple(round(x * v, 3) for x in start.base_sd),
            }
        return {self.name: round(float(v), 3)}

    def to_unit(self, v: float) -> float:
        f = math.log if self.log else float
        return (f(v) - f(self.lo)) / (f(self.hi) - f(self.lo))

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            return math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


#: The knobs a fit may move, with their ranges and meaning.
KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob(
            "sofa_level",
            -1.5,
            1.5,
            False,
            "shift of every organ's mean latent score at baseline (base_mean), SOFA points per "
            "organ: the level of the scores",
        ),
        Knob(
            "sofa_spread",
            0.5,
            2.0,
            True,
            "scale of the between-patient spread of the baseline scores (base_load and base_sd)",
        ),
        Knob(
            "recovery_rate",
            0.05,
            0.8,
            True,
            "median daily rate of recovery towards the residual scores: how fast SOFA falls",
        ),
        Knob(
            "recovery_sd",
            0.05,
            1.5,
            True,
            "between-patient SD of the log recovery rate: spread of the course, independent of "
            "the baseline",
        ),
        Knob("noise_sd", 0.05, 1.2, True, "SD of the day-to-day AR(1) noise of the organ scores"),
        Knob(
            "early_death_tau",
            1.5,
            40.0,
            True,
            "scale (days) of the truncated geometric law of the day of death: small = deaths early",
        ),
        Knob(
            "effect_sofa",
            -5.0,
            5.0,
            False,
            "treatment effect on the latent organ scores, SOFA points at full size (from day 7)",
        ),
    )
}
DEFAULT_FREE = tuple(KNOBS)


def check_knobs(free: Sequence[str] | None, fixed: Mapping[str, float]) -> list[str]:
    """The knobs to fit: ``free`` (default every knob) less the ``fixed`` ones; an unknown
    knob, one both free and fixed, or a fixed value outside its range is a SpecError."""
    unknown = sorted((set(fixed) | set(free or ())) - set(KNOBS))
    if unknown:
        raise SpecError(f"calibrate: unknown knob(s) {unknown}; knobs are {', '.join(KNOBS)}")
    both = sorted(set(free or ()) & set(fixed))
    if both:
        raise SpecError(f"calibrate: knob(s) {both} both free and fixed; fix a knob or free it")
    for name, v in fixed.items():
        k = KNOBS[name]
        if isinstance(v, bool) or not isinstance(v, int | float) or not k.lo <= v <= k.hi:
            raise SpecError(f"calibrate: {name} = {v!r} must be a number in {k.lo}..{k.hi}")
    return [k for k in (free if free is not None else DEFAULT_FREE) if k not in fixed]
