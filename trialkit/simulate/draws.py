"""Drawing twins: a synthetic trial in memory, its endpoints, and an outcome generator for
design simulations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import Trial
from trialkit.simulate.condition import apply_swaps
from trialkit.simulate.model import _generate
from trialkit.simulate.params import TwinParams, swaps_apply, twin_params
from trialkit.spec import Spec, load_spec


def _spec(spec: Spec | str) -> Spec:
    """A spec, or a shipped id / spec file read as one."""
    return spec if isinstance(spec, Spec) else load_spec(spec)


def _sorted(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["patient_id"] + [c for c in ("day", "term", "serious") if c in frame.columns]
    cols = ["patient_id"] + [c for c in frame.columns if c != "patient_id"]
    return frame[cols].sort_values(keys, kind="mergesort").reset_index(drop=True)


def twin(
    spec: Spec | str,
    seed: int | None = None,
    *,
    params: TwinParams | None = None,
    **scenario: Any,
) -> Trial:
    """Draw a synthetic trial from the generative model.

    Parameters
    ----------
    spec : Spec or str
        The trial's spec (or its id or file): arm labels, SOFA variant and horizon come from
        it. A bundled trial's twin uses the calibrated parameters of its ``twin.toml``; any
        other spec gets :func:`trialkit.simulate.default_params`.
    seed : int, optional
        Seed of the random generator; None gives the twin's own seed.
    params : TwinParams, optional
        The model's parameters (e.g. from :func:`trialkit.simulate.calibrate`); default
        :func:`trialkit.simulate.twin_params` of the spec with ``scenario`` applied.
    **scenario
        Any :class:`TwinParams` field to change, e.g. ``effect_sofa=0``,
        ``randomized=(500, 500)``, ``condition=False``.

    A conditioned twin's ``swaps`` (:mod:`trialkit.simulate.condition`) are applied to the
    draw they were found for only (its seed and parameters,
    :func:`trialkit.simulate.params.params_fingerprint`): another seed, a scenario or edited
    parameters give a plain realisation of the model.

    Returns
    -------
    Trial
        Frames as :func:`trialkit.schema.load_trial` would give them for the written CSVs.

    Examples
    --------
    >>> from trialkit.simulate import twin
    >>> t = twin("imicro")                          # the bundled realisation
    >>> t.patients.groupby("arm")["mitt"].sum().to_dict()
    {'iloprost': 114, 'placebo': 122}
    >>> null = twin("imicro", seed=7, effect_sofa=0.0, effect_death_log_or=0.0, condition=False)
    """
    spec = _spec(spec)
    p = twin_params(spec, **scenario) if params is None else replace(params, **scenario)
    drawn = p.seed if seed is None else int(seed)
    frames = _generate(p, spec, drawn)
    # The exchanges of a conditioned twin belong to the draw they were found for: another
    # seed or other parameters (a scenario, an edited twin file) give a plain draw.
    if swaps_apply(p, drawn):  # the model's draw ignores swaps: p draws the pool too
        frames = apply_swaps(frames, p.swaps, lambda s: _generate(p, spec, s))
    frames = {k: _sorted(k, v) for k, v in frames.items()}
    extra = {k: v for k, v in frames.items() if k not in ("patients", "daily", "events")}
    return Trial(
        patients=frames["patients"],
        daily=frames["daily"],
        events=frames["events"],
        spec=spec,
        tables=extra,
    )


def simulate_endpoints(spec: Spec | str, seed: int, **scenario: Any) -> pd.DataFrame:
    """Per-patient endpoint values of one simulated trial, without writing files.

    The fast path for power simulations: :func:`twin` then
    :func:`trialkit.endpoints.analysis_set`, all in memory.
    """
    from trialkit.endpoints import analysis_set

    spec = _spec(spec)
    return analysis_set(twin(spec, seed, **scenario), spec)


def twin_outcomes(
    spec: Spec | str,
    endpoint: str,
    *,
    effect: str = "effect_sofa",
    population: str | None = None,
    **scenario: Any,
) -> Callable[[np.random.Generator, float, int, int], tuple[np.ndarray, np.ndarray]]:
    """An outcome generator for :func:`trialkit.design.simulate_operating_characteristics`
    that draws patients from the trial's twin instead of a normal law.

    The operating characteristics of a design then rest on the same generative model as the
    bundled data: skewed scores, deaths and discharges that shorten the ICU stay, all the
    features a normal approximation leaves out.

    Parameters
    ----------
    spec : Spec or str
        The trial (its calibrated twin and its endpoint rules).
    endpoint : str
        The endpoint id of the spec whose per-patient values are the outcome, e.g.
        ``"mean_sofa"``.
    effect : str, default ``"effect_sofa"``
        The :class:`TwinParams` field that a scenario's ``effect`` sets (the effect on the
        model's scale: for ``effect_sofa`` a shift of the latent organ trajectories in the
        experimental arm, not the difference in the endpoint itself: in COMBAT-SHINE one unit
        moves the mean daily modified SOFA by about 0.2 points, measured at 2,000 per arm).
    population : str, optional
        Restrict to a population flag of the spec (default: every simulated patient).
    **scenario
        Other :class:`TwinParams` fields. Every other treatment effect is 0 unless given here,
        so ``effect = 0`` is a true null scenario (the calibrated twins carry non-zero effects
        to reproduce the published arms).

    Returns
    -------
    callable
        ``draw(rng, effect, n_trials, n_per_arm) -> (x, y)``, arrays of shape
        ``(n_trials, n_per_arm)``, experimental arm first. All trials are drawn in one
        vectorized call of :func:`twin` (patients are independent, so trial ``i`` is the
        ``i``-th block of ``n_per_arm`` patients of each arm). A patient without a value
        (e.g. no ICU day in the window) is left out and replaced by the next one, as a trial
        enrols until it has its evaluable patients.

    Examples
    --------
    >>> import numpy as np
    >>> draw = twin_outcomes("combat_shine", "mean_sofa")
    >>> x, y = draw(np.random.default_rng(1), 0.0, 2, 20)
    >>> x.shape, y.shape, bool(np.isfinite(x).all())
    ((2, 20), (2, 20), True)
    """
    from trialkit.endpoints import analysis_set

    spec = _spec(spec)
    if endpoint not in spec.endpoints:
        raise KeyError(f"spec {spec.id!r} has no endpoint {endpoint!r}")
    if effect not in {f.name for f in fields(TwinParams)}:
        raise TypeError(f"{effect!r} is not a TwinParams field")
    nulls = {f.name: 0.0 for f in fields(TwinParams) if f.name.startswith("effect_")}
    base = {**nulls, "exclusions": (), **scenario, "condition": False}

    def draw(
        rng: np.random.Generator, effect_value: float, n_trials: int, n_per_arm: int
    ) -> tuple[np.ndarray, np.ndarray]:
        need = n_trials * n_per_arm
        spare = max(10, int(0.02 * need))  # for the few patients without a value
        trial = twin(
            spec,
            int(rng.integers(2**31 - 1)),
            **{**base, effect: float(effect_value)},
            randomized=(need + spare, need + spare),
        )
        ends = analysis_set(trial, spec, population=population)
        arms = []
        for arm in spec.arms:
            values = ends.loc[ends["arm"] == arm, endpoint].dropna().to_numpy(dtype=float)
            if values.size < need:
                raise RuntimeError(
                    f"twin_outcomes: only {values.size} of {need} {arm} patients have "
                    f"{endpoint!r}; the spare of {spare} was not enough"
                )
            arms.append(values[:need].reshape(n_trials, n_per_arm))
        return arms[0], arms[1]

    return draw
