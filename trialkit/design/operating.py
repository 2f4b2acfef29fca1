"""Monte Carlo operating characteristics of a two-stage design with an interim analysis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint

from trialkit.design.group_sequential import boundary_crossing
from trialkit.design.interim import drift_means

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["OutcomeGenerator", "normal_outcomes", "simulate_operating_characteristics"]

# Patients simulated at once per arm: the default block bounds memory at ~32 MB.
_CELLS_PER_CHUNK = 4_000_000


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
    client: Client | None = None,
    trials_per_block: int | None = None,
    blocks_per_task: int | None = None,
) -> pd.DataFrame:
    """Simulate a two-arm, two-stage trial with an interim analysis, under effect scenarios.

    Each simulated trial enrols ``interim_per_arm`` patients per arm, looks (stops for
    futility if Z < ``futility_z``, for efficacy if Z ≥ ``interim_efficacy_z``), and
    otherwise completes ``n_per_arm`` per arm and rejects H0 if Z ≥ ``final_z``. Z is
    the pooled two-sample t statistic mapped to the normal scale through its p-value.
    The trials of a scenario are drawn in blocks (vectorized within a block), in this
    process or as Dask tasks on ``client``, with the same numbers either way.

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
        and each block of trials from its own stream within it (see Notes), so the same
        seed, scenarios and ``trials_per_block`` give the same results however the work is
        run.
    progress : bool, default True
        Show a tqdm progress bar.
    client : distributed.Client, optional
        Run the blocks as tasks on this Dask client (:func:`trialkit.distributed.open_client`:
        a local cluster, or a running scheduler); None: in this process.
    trials_per_block : int, optional
        Trials drawn at once, each block from its own random stream: part of the simulation's
        definition, like the seed (another value gives other, equally valid, draws). Default:
        as many as fit in about 32 MB of outcomes (``4,000,000 // n_per_arm``). An expensive
        generator (the patient-level twin) wants small blocks, e.g. 25, so that a task takes
        seconds, not hours, and a cluster has enough tasks to share out.
    blocks_per_task : int, optional
        Blocks per Dask task (the chunking): changes how the work is shared out, never the
        result. Default: about four tasks per worker of ``client``.

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

    Random streams: ``SeedSequence(seed)`` spawns one child per scenario; block 0 of a
    scenario draws from the scenario's stream itself and block *k* ≥ 1 from that stream's
    *k*-th spawned child (so that a simulation of one block, any ``n_sims`` up to
    ``trials_per_block``, gives the numbers it gave before blocks existed). A block's
    outcomes depend only on (seed, scenario, block); each block returns three whole counts
    (rejected at the interim, stopped for futility, rejected at the end) and a scenario's
    counts are their sum, so the result is identical for any number of workers and any
    ``blocks_per_task`` (``tests/test_distributed.py``).

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
    block = max(1, _CELLS_PER_CHUNK // n) if trials_per_block is None else trials_per_block
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ValueError(f"trials_per_block must be a positive integer; got {trials_per_block}")
    streams = np.random.SeedSequence(seed).spawn(effects.size)
    starts = range(0, n_sims, int(block))
    blocks = []  # (scenario, its seed, trials): every block of every scenario, in order
    for i, stream in enumerate(streams):
        seeds = [stream, *stream.spawn(len(starts) - 1)]
        blocks += [(i, s, min(block, n_sims - a)) for s, a in zip(seeds, starts, strict=True)]
    design = _Looks(generator, m, n, c, futility_z, interim_efficacy_z, sign)
    if blocks_per_task is None:
        workers = len(client.scheduler_info().get("workers", {})) if client is not None else 1
        blocks_per_task = max(1, -(-len(blocks) // (4 * max(workers, 1))))
    if not (isinstance(blocks_per_task, int | np.integer) and blocks_per_task >= 1):
        raise ValueError(f"blocks_per_task must be a positive integer; got {blocks_per_task}")
    if client is None:
        blocks_per_task = 1  # in process: a finer progress bar, the same numbers
    tasks = [
        [(float(effects[i]), s, size) for i, s, size in blocks[a : a + blocks_per_task]]
        for a in range(0, len(blocks), blocks_per_task)
    ]
    from trialkit.distributed import run_tasks

    counted = run_tasks(
        _count_blocks,
        tasks,
        client=client,
        shared={"design": design},
        progress=progress,
        desc="trials",
        weights=[sum(size for *_, size in task) for task in tasks],
    )
    counts = np.zeros((effects.size, 3), dtype=np.int64)
    scenario = [i for i, _, _ in blocks]
    for task_counts, a in zip(counted, range(0, len(blocks), blocks_per_task), strict=True):
        for j, block_counts in enumerate(task_counts):
            counts[scenario[a + j]] += block_counts
    rows = [
        _summary(
            effect,
            counts[i].astype(float),
            n_sims,
            m,
            n,
            c,
            futility_z,
            interim_efficacy_z,
            sign,
            generator,
        )
        for i, effect in enumerate(effects)
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class _Looks:
    """What a block of simulated trials needs besides its random stream."""

    generator: Any
    m: int
    n: int
    c: float
    futility_z: float
    interim_efficacy_z: float
    sign: float


def _count_blocks(
    task: Sequence[tuple[float, np.random.SeedSequence, int]], design: _Looks
) -> list[np.ndarray]:
    """For each (effect, seed, trials) block: trials rejected at the interim, stopped for
    futility, rejected at the end (a Dask task; module-level so that it pickles)."""
    out = []
    m, n = design.m, design.n
    for effect, seed, size in task:
        x, y = design.generator(np.random.default_rng(seed), effect, size, n)
        if x.shape != (size, n) or y.shape != (size, n):
            raise ValueError(
                f"the generator returned shapes {x.shape} and {y.shape}; "
                f"expected ({size}, {n}) for each arm"
            )
        z1 = design.sign * _z_from_t(x[:, :m], y[:, :m])
        win_early = z1 >= design.interim_efficacy_z
        stop_futile = z1 < design.futility_z
        go_on = ~(win_early | stop_futile)
        z2 = design.sign * _z_from_t(x[go_on], y[go_on])
        out.append(np.array([win_early.sum(), stop_futile.sum(), (z2 >= design.c).sum()], np.int64))
    return out


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
