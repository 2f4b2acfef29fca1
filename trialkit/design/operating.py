"""Monte Carlo operating characteristics of a two-stage design with an interim analysis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint
from tqdm.auto import tqdm

from trialkit.design.group_sequential import boundary_crossing
from trialkit.design.interim import drift_means

__all__ = ["OutcomeGenerator", "normal_outcomes", "simulate_operating_characteristics"]

_CELLS_PER_CHUNK = 4_000_000  # patients simulated at once per arm: bounds memory at ~32 MB


class OutcomeGenerator(Protocol):
    """Draws patient-level outcomes for many simulated trials at once.

    Called as ``generator(rng, effect, n_trials, n_per_arm)``; returns two arrays of shape
    ``(n_trials, n_per_arm)``, experimental arm first, patients in order of enrolment (the
    first columns are the interim cohort). ``effect`` is the scenario value passed to
    :func:`simulate_operating_characteristics`; the generator decides what it means.
    """

    def __call__(
        self, rng: np.random.Generator, effect: float, n_trials: int, n_per_arm: int
    ) -> tuple[np.ndarray, np.ndarray]: ...


def normal_outcomes(mean: float = 0.0, sd: float = 1.0) -> OutcomeGenerator:
    """Normal outcomes: control N(mean, sd²), experimental N(mean + effect, sd²).

    Parameters
    ----------
    mean : float, default 0
        Control-arm mean.
    sd : float, default 1
        Standard deviation in both arms.

    Returns
    -------
    OutcomeGenerator
        A generator for :func:`simulate_operating_characteristics`; ``sd`` is kept as its
        ``sd`` attribute so the analytic power can be shown beside the simulated one.

    Examples
    --------
    >>> import numpy as np
    >>> from trialkit.design import normal_outcomes
    >>> x, y = normal_outcomes(6.68, 3.96)(np.random.default_rng(1), -1.336, 3, 5)
    >>> x.shape, y.shape
    ((3, 5), (3, 5))
    """
    if not (np.isfinite(sd) and sd > 0):
        raise ValueError(f"sd must be positive and finite; got {sd}")

    def draw(
        rng: np.random.Generator, effect: float, n_trials: int, n_per_arm: int
    ) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(mean + effect, sd, size=(n_trials, n_per_arm))
        y = rng.normal(mean, sd, size=(n_trials, n_per_arm))
        return x, y

    draw.sd = sd  # type: ignore[attr-defined]
    return draw


def _z_from_t(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pooled two-sample t statistic per row, mapped to the Z scale through its p-value.

    The mapping keeps the exact t-test level at every look while the bounds stay on the
    Z scale of the group-sequential design.
    """
    n_x, n_y = x.shape[1], y.shape[1]
    df = n_x + n_y - 2
    pooled = ((n_x - 1) * x.var(axis=1, ddof=1) + (n_y - 1) * y.var(axis=1, ddof=1)) / df
    t = (x.mean(axis=1) - y.mean(axis=1)) / np.sqrt(pooled * (1 / n_x + 1 / n_y))
    # through the lower tail of -t, so that large t stays finite instead of ndtri(1) = inf
    return -special.ndtri(special.stdtr(df, -t))


def simulate_operating_characteristics(
    effects: Sequence[float] | float,
    *,
    n_per_arm: int,
    interim_per_arm: int,
    futility_z: float = -np.inf,
    interim_efficacy_z: float = np.inf,
    final_z: float | None = None,
    alpha: float = 0.025,
    alternative: str = "greater",
    generator: OutcomeGenerator | Callable[..., tuple[np.ndarray, np.ndarray]] | None = None,
    n_sims: int = 10_000,
    seed: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulate a two-arm, two-stage trial with an interim analysis, under effect scenarios.

    Each simulated trial enrols ``interim_per_arm`` patients per arm, looks (stops for
    futility if Z < ``futility_z``, for efficacy if Z ≥ ``interim_efficacy_z``), and
    otherwise completes ``n_per_arm`` per arm and rejects H0 if Z ≥ ``final_z``. Z is
    the pooled two-sample t statistic mapped to the normal scale through its p-value.
    All trials of a scenario are drawn at once (in memory-bounded chunks).

    Parameters
    ----------
    effects : float or sequence of float
        Scenarios, passed to the generator (for the default: the true difference in
        means, experimental − control). Include 0 for the type I error.
    n_per_arm : int
        Patients per arm at the final analysis.
    interim_per_arm : int
        Patients per arm at the interim (2 ≤ interim_per_arm < n_per_arm).
    futility_z : float, default -inf
        Stop for futility at the interim if Z is below this (-inf: no futility stop).
    interim_efficacy_z : float, default inf
        Stop for efficacy at the interim if Z reaches this (inf: futility-only interim).
    final_z : float, optional
        Critical value at the final analysis; default z_{1−α}.
    alpha : float, default 0.025
        One-sided level, used when ``final_z`` is not given.
    alternative : {"greater", "less"}, default "greater"
        Direction of benefit: "less" when a lower outcome is better (SOFA), so that
        Z = −t and effects that lower the mean are the ones rejected for.
    generator : OutcomeGenerator, optional
        Patient-level outcome generator; default :func:`normal_outcomes` (0, 1). A
        patient-level twin from ``trialkit.simulate`` can be plugged in here.
    n_sims : int, default 10000
        Trials simulated per scenario.
    seed : int, optional
        Seed; each scenario draws from its own child stream (by position in ``effects``),
        so the same seed and scenarios give the same results.
    progress : bool, default True
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``effect``, ``estimate`` (probability of rejecting H0:
        the type I error at effect 0, the power otherwise), ``ci_low, ci_high`` (95%
        Wilson interval for the Monte Carlo error), ``mc_se``, ``p_reject_interim``,
        ``p_stop_futility``, ``p_stop_interim``, ``expected_n`` (both arms),
        ``analytic_power`` (normal theory from :func:`boundary_crossing`, when the
        generator exposes its ``sd``; NaN otherwise), ``n_sims, method``.

    Notes
    -----
    With information fraction t = m/n the analytic counterpart is
    :func:`boundary_crossing` ``([t, 1], [e_1, c], [a_1, c], drift=δ/σ·√(n/2))``.

    References
    ----------
    Jennison C, Turnbull BW. *Group Sequential Methods*, 2000, ch. 7 and 10. Wassmer G,
    Brannath W. *Group Sequential and Confirmatory Adaptive Designs*, 2016 (the
    ``rpact::getSimulationMeans`` counterpart).

    Examples
    --------
    >>> from trialkit.design import normal_outcomes, simulate_operating_characteristics
    >>> oc = simulate_operating_characteristics(
    ...     [0.0, -1.336], n_per_arm=190, interim_per_arm=100, futility_z=0.0,
    ...     alternative="less", generator=normal_outcomes(6.68, 3.96), n_sims=2000,
    ...     seed=1, progress=False)
    >>> oc[["effect", "estimate", "p_stop_futility"]].round(2).values.tolist()
    [[0.0, 0.03, 0.51], [-1.34, 0.91, 0.01]]
    """
    effects = np.atleast_1d(np.asarray(effects, dtype=float))
    if effects.ndim != 1 or not np.all(np.isfinite(effects)):
        raise ValueError("effects must be a finite number or a 1-d sequence of them")
    if not (
        isinstance(n_per_arm, int | np.integer) and isinstance(interim_per_arm, int | np.integer)
    ):
        raise TypeError("n_per_arm and interim_per_arm must be integers (patients)")
    if not 2 <= interim_per_arm < n_per_arm:
        raise ValueError(
            f"need 2 <= interim_per_arm < n_per_arm; got {interim_per_arm} and {n_per_arm}"
        )
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less'; got {alternative!r}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha (one-sided) must lie in (0, 0.5); got {alpha}")
    if futility_z >= interim_efficacy_z:
        raise ValueError("futility_z must lie below interim_efficacy_z")
    if not (isinstance(n_sims, int | np.integer) and n_sims > 0):
        raise ValueError(f"n_sims must be a positive integer; got {n_sims}")
    c = stats.norm.isf(alpha) if final_z is None else float(final_z)
    generator = normal_outcomes() if generator is None else generator
    sign = 1.0 if alternative == "greater" else -1.0
    m, n = int(interim_per_arm), int(n_per_arm)
    chunk = max(1, _CELLS_PER_CHUNK // n)
    streams = np.random.SeedSequence(seed).spawn(effects.size)
    rows = []
    with tqdm(total=n_sims * effects.size, disable=not progress, desc="trials") as bar:
        for effect, stream in zip(effects, streams, strict=True):
            rng = np.random.default_rng(stream)
            counts = np.zeros(3)  # rejected at interim, stopped for futility, rejected at end
            for start in range(0, n_sims, chunk):
                size = min(chunk, n_sims - start)
                x, y = generator(rng, float(effect), size, n)
                if x.shape != (size, n) or y.shape != (size, n):
                    raise ValueError(
                        f"the generator returned shapes {x.shape} and {y.shape}; "
                        f"expected ({size}, {n}) for each arm"
                    )
                z1 = sign * _z_from_t(x[:, :m], y[:, :m])
                win_early = z1 >= interim_efficacy_z
                stop_futile = z1 < futility_z
                go_on = ~(win_early | stop_futile)
                z2 = sign * _z_from_t(x[go_on], y[go_on])
                counts += (win_early.sum(), stop_futile.sum(), (z2 >= c).sum())
                bar.update(size)
            rows.append(
                _summary(
                    effect, counts, n_sims, m, n, c, futility_z, interim_efficacy_z, sign, generator
                )
            )
    return pd.DataFrame(rows)


def _summary(
    effect: float,
    counts: np.ndarray,
    n_sims: int,
    m: int,
    n: int,
    c: float,
    futility_z: float,
    interim_efficacy_z: float,
    sign: float,
    generator: Any,
) -> dict[str, Any]:
    early, futile, late = counts
    rejected = early + late
    low, high = proportion_confint(rejected, n_sims, alpha=0.05, method="wilson")
    p = rejected / n_sims
    stopped = (early + futile) / n_sims
    sd = getattr(generator, "sd", None)
    analytic = np.nan
    if sd is not None:
        drift = float(drift_means(sign * effect, sd, 2 * n))
        analytic = boundary_crossing(
            [m / n, 1.0], [interim_efficacy_z, c], [futility_z, c], drift=drift
        ).attrs["power"]
    return {
        "effect": effect,
        "estimate": p,
        "ci_low": low,
        "ci_high": high,
        "mc_se": np.sqrt(p * (1 - p) / n_sims),
        "p_reject_interim": early / n_sims,
        "p_stop_futility": futile / n_sims,
        "p_stop_interim": stopped,
        "expected_n": 2 * (m * stopped + n * (1 - stopped)),
        "analytic_power": analytic,
        "n_sims": n_sims,
        "method": "Monte Carlo, two-stage design (pooled t at each look)",
    }
