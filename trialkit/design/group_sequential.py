"""Group-sequential designs: Lan-DeMets spending, boundaries by recursive integration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["boundary_crossing", "group_sequential", "spending_function"]

_SPENDING = ("obf", "pocock", "hsd")
_GRID_R = 32  # Jennison & Turnbull's r; r = 16 already gives ~1e-6 accuracy
_Z_MAX = 40.0


def spending_function(
    kind: str, total: float, *, gamma: float | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """Lan-DeMets error-spending function ``f(t)`` with ``f(0) = 0`` and ``f(1) = total``.

    Parameters
    ----------
    kind : {"obf", "pocock", "hsd"}
        O'Brien-Fleming-type, Pocock-type or Hwang-Shih-DeCani spending.
    total : float
        The error to spend by t = 1 (alpha for efficacy, beta for futility).
    gamma : float, optional
        Hwang-Shih-DeCani parameter (required for ``"hsd"``; -4 resembles O'Brien-Fleming,
        1 resembles Pocock, 0 spends linearly).

    Returns
    -------
    callable
        ``f(t)`` for information fractions ``t`` in [0, 1].

    Notes
    -----
    O'Brien-Fleming-type: :math:`f(t) = 2\\{1 - \\Phi(\\Phi^{-1}(1 - a/2)/\\sqrt t)\\}`;
    Pocock-type: :math:`f(t) = a\\log\\{1 + (e - 1)t\\}`; Hwang-Shih-DeCani:
    :math:`f(t) = a(1 - e^{-\\gamma t})/(1 - e^{-\\gamma})` (:math:`a t` when
    :math:`\\gamma = 0`). These are rpact's ``asOF``/``asP``/``asHSD`` (and ``bs*``).

    References
    ----------
    Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. Biometrika
    1983;70:659-63. Hwang IK, Shih WJ, DeCani JS. Group sequential designs using a family
    of type I error probability spending functions. Stat Med 1990;9:1439-45.

    Examples
    --------
    >>> from trialkit.design import spending_function
    >>> f = spending_function("hsd", 0.025, gamma=1)
    >>> round(float(f(0.25)), 6)
    0.008748
    """
    if kind not in _SPENDING:
        raise ValueError(f"spending must be one of {_SPENDING}; got {kind!r}")
    if not 0 < total < 1:
        raise ValueError(f"the error to spend must lie in (0, 1); got {total}")
    if kind == "obf":
        q = stats.norm.isf(total / 2)
        return lambda t: 2 * stats.norm.sf(q / np.sqrt(np.asarray(t, dtype=float)))
    if kind == "pocock":
        return lambda t: total * np.log1p((np.e - 1) * np.asarray(t, dtype=float))
    if gamma is None or not np.isfinite(gamma):
        raise ValueError("Hwang-Shih-DeCani spending needs a finite gamma")
    if gamma == 0:
        return lambda t: total * np.asarray(t, dtype=float)
    return lambda t: total * np.expm1(-gamma * np.asarray(t, dtype=float)) / np.expm1(-gamma)


# --- Recursive numerical integration (Jennison & Turnbull 2000, ch. 19) -------------------


@dataclass
class _Stage:
    """Sub-density of Z_k on the continuation region: grid points and weight x density."""

    t: float
    z: np.ndarray
    wh: np.ndarray


def _grid(mean: float, low: float, high: float, r: int = _GRID_R) -> tuple[np.ndarray, np.ndarray]:
    """Simpson grid on [low, high], dense near ``mean`` and thin in the tails (J&T §19.2)."""
    i = np.arange(1, 6 * r)
    x = np.where(
        i < r,
        -3 - 4 * np.log(r / np.minimum(i, r)),
        np.where(
            i <= 5 * r, -3 + 3 * (i - r) / (2 * r), 3 + 4 * np.log(r / np.maximum(6 * r - i, 1))
        ),
    )
    x = mean + x
    if low > x[0]:
        x = np.concatenate(([low], x[x > low]))
    if high < x[-1]:
        x = np.concatenate((x[x < high], [high]))
    if x.size < 2 or x[-1] <= x[0]:
        return np.array([]), np.array([])
    mid = (x[:-1] + x[1:]) / 2
    z = np.empty(2 * x.size - 1)
    z[0::2], z[1::2] = x, mid
    w = np.zeros_like(z)
    d = np.diff(x) / 6  # Simpson on each [x_j, x_j+1] with its midpoint
    w[0:-1:2] += d
    w[2::2] += d
    w[1::2] += 4 * d
    return z, w


def _first(t: float, drift: float, low: float, high: float) -> _Stage:
    z, w = _grid(drift * np.sqrt(t), low, high)
    return _Stage(t, z, w * stats.norm.pdf(z - drift * np.sqrt(t)))


def _exit(prev: _Stage | None, t: float, drift: float, bound: float, upper: bool) -> float:
    """P(continue to look k, then Z_k beyond ``bound``) under ``drift`` (E Z at t = 1)."""
    if not np.isfinite(bound):
        return 0.0 if (bound > 0) == upper else float(prev.wh.sum() if prev else 1.0)
    if prev is None:
        mean = drift * np.sqrt(t)
        return float(stats.norm.sf(bound - mean) if upper else stats.norm.cdf(bound - mean))
    if prev.z.size == 0:
        return 0.0
    dt = t - prev.t
    shift = (prev.z * np.sqrt(prev.t) + drift * dt - bound * np.sqrt(t)) / np.sqrt(dt)
    tail = stats.norm.cdf(shift) if upper else stats.norm.sf(shift)
    return float(prev.wh @ tail)


def _advance(prev: _Stage | None, t: float, drift: float, low: float, high: float) -> _Stage:
    if prev is None:
        return _first(t, drift, low, high)
    z, w = _grid(drift * np.sqrt(t), low, high)
    if z.size == 0 or prev.z.size == 0:
        return _Stage(t, np.array([]), np.array([]))
    dt = t - prev.t
    kernel = stats.norm.pdf(
        (z[:, None] * np.sqrt(t) - prev.z[None, :] * np.sqrt(prev.t) - drift * dt) / np.sqrt(dt)
    )
    return _Stage(t, z, w * np.sqrt(t / dt) * (kernel @ prev.wh))


def _crossing(
    t: np.ndarray, low: np.ndarray, high: np.ndarray, drift: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of first crossing the upper and the lower bound."""
    up, down = np.zeros(t.size), np.zeros(t.size)
    prev = None
    for k in range(t.size):
        up[k] = _exit(prev, t[k], drift, high[k], upper=True)
        down[k] = _exit(prev, t[k], drift, low[k], upper=False) if np.isfinite(low[k]) else 0.0
        if k + 1 < t.size:
            prev = _advance(prev, t[k], drift, low[k], high[k])
    return up, down


def _solve_bound(prev: _Stage | None, t: float, drift: float, target: float, upper: bool) -> float:
    """The bound at which the exit probability equals ``target``."""
    if target <= 0:
        return np.inf if upper else -np.inf
    sign = 1.0 if upper else -1.0
    f = lambda b: _exit(prev, t, drift, b, upper) - target  # noqa: E731
    lo, hi = -_Z_MAX, _Z_MAX
    if f(sign * -_Z_MAX) < 0:
        # Less probability reaches this look than there is error to spend: under a large
        # trial drift while searching the beta-spending design; every path stops here.
        return sign * -np.inf
    return optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-14)


def _check_info(info_rates: Sequence[float]) -> np.ndarray:
    t = np.asarray(info_rates, dtype=float)
    if t.ndim != 1 or t.size < 1:
        raise ValueError("info_rates must be a non-empty 1-d sequence")
    if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0) and t[0] > 0 and t[-1] == 1):
        raise ValueError(f"info_rates must increase strictly within (0, 1] and end at 1; got {t}")
    return t


def _efficacy_bounds(t: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """Upper bounds under H0 with no futility stopping (non-binding futility)."""
    bounds = np.empty(t.size)
    prev = None
    for k in range(t.size):
        bounds[k] = _solve_bound(prev, t[k], 0.0, spend[k] - (spend[k - 1] if k else 0.0), True)
        if bounds[k] == -np.inf:
            raise ValueError(f"alpha spending cannot be met at look {k + 1}")
        prev = _advance(prev, t[k], 0.0, -np.inf, bounds[k])
    return bounds


def _beta_spending_futility(
    t: np.ndarray, upper: np.ndarray, beta_spend: np.ndarray, drift: float
) -> tuple[np.ndarray, float]:
    """Futility bounds spending beta under ``drift``; returns bounds and the final gap.

    The last futility bound is the efficacy bound (the trial ends with a decision);
    the gap is the beta that drift leaves over at the final look (zero at the design drift).
    """
    low = np.empty(t.size)
    prev = None
    for k in range(t.size - 1):
        target = beta_spend[k] - (beta_spend[k - 1] if k else 0.0)
        low[k] = min(_solve_bound(prev, t[k], drift, target, False), upper[k])
        prev = _advance(prev, t[k], drift, low[k], upper[k])
    low[-1] = upper[-1]
    last = _exit(prev, t[-1], drift, upper[-1], upper=False)
    return low, last - (beta_spend[-1] - (beta_spend[-2] if t.size > 1 else 0.0))


def _power_drift(t: np.ndarray, low: np.ndarray, high: np.ndarray, power: float) -> float:
    f = lambda d: _crossing(t, low, high, d)[0].sum() - power  # noqa: E731
    return optimize.brentq(f, 0.0, 20.0, xtol=1e-12)


def boundary_crossing(
    info_rates: Sequence[float],
    efficacy_z: Sequence[float],
    futility_z: Sequence[float] | None = None,
    *,
    drift: float = 0.0,
) -> pd.DataFrame:
    """Probabilities of stopping at each look of a group-sequential design.

    Parameters
    ----------
    info_rates : sequence of float
        Information fractions of the looks, increasing, ending at 1.
    efficacy_z : sequence of float
        Upper (efficacy) bounds on the Z scale, one per look (``inf`` for none).
    futility_z : sequence of float, optional
        Lower (futility) bounds, one per look; ``-inf`` or omitted for none. Treated as
        binding: stopping for futility counts as not rejecting.
    drift : float, default 0
        Expected Z at full information, :math:`\\theta\\sqrt{I_{max}}`; 0 gives the
        type I error, the design drift the power.

    Returns
    -------
    pandas.DataFrame
        One row per look: ``look, info_rate, p_efficacy, p_futility`` (probability of
        stopping there first), ``cum_efficacy``; ``attrs["power"]`` is the total.

    Notes
    -----
    Z_k = S_k / sqrt(t_k) with independent increments S_k − S_{k−1} ~ N(θ Δ_k, Δ_k);
    the sub-densities on the continuation regions are propagated by Simpson's rule on
    Jennison & Turnbull's grid (their §19.2, r = 32).

    References
    ----------
    Armitage P, McPherson CK, Rowe BC. Repeated significance tests on accumulating data.
    JRSS A 1969;132:235-44. Jennison C, Turnbull BW. *Group Sequential Methods with
    Applications to Clinical Trials*. Chapman & Hall/CRC, 2000, ch. 19.

    Examples
    --------
    >>> from trialkit.design import boundary_crossing
    >>> out = boundary_crossing([0.5, 1], [2.797, 1.977])
    >>> round(float(out["cum_efficacy"].iloc[-1]), 4)
    0.025
    """
    t = _check_info(info_rates)
    high = np.asarray(efficacy_z, dtype=float)
    low = np.full(t.size, -np.inf) if futility_z is None else np.asarray(futility_z, dtype=float)
    if high.shape != t.shape or low.shape != t.shape:
        raise ValueError("efficacy_z and futility_z need one value per look")
    if np.any(low > high):
        raise ValueError("futility_z must not exceed efficacy_z at any look")
    up, down = _crossing(t, low, high, float(drift))
    out = pd.DataFrame(
        {
            "look": np.arange(1, t.size + 1),
            "info_rate": t,
            "p_efficacy": up,
            "p_futility": down,
            "cum_efficacy": np.cumsum(up),
        }
    )
    out.attrs["power"] = float(up.sum())
    return out


def group_sequential(
    info_rates: Sequence[float],
    *,
    alpha: float = 0.025,
    beta: float = 0.1,
    spending: str = "obf",
    gamma: float | None = None,
    futility: str | Sequence[float] | None = None,
    gamma_futility: float | None = None,
) -> pd.DataFrame:
    """One-sided group-sequential design with Lan-DeMets alpha spending.

    Efficacy bounds spend alpha by the chosen function under H0 ignoring futility
    stopping, so futility bounds are non-binding (a trial that continues past a futility
    bound keeps its type I error). Futility bounds are either given on the Z scale or
    found by beta spending under the design alternative, as rpact's
    ``getDesignGroupSequential(sided = 1, bindingFutility = FALSE, typeBetaSpending=)``.

    Parameters
    ----------
    info_rates : sequence of float
        Information fractions of the looks, strictly increasing, ending at 1.
    alpha : float, default 0.025
        One-sided type I error.
    beta : float, default 0.1
        Type II error of the design (power 1 − beta); sets the drift and beta spending.
    spending : {"obf", "pocock", "hsd"}, default "obf"
        Alpha-spending function (see :func:`spending_function`).
    gamma : float, optional
        Hwang-Shih-DeCani parameter for ``spending="hsd"``.
    futility : {"obf", "pocock", "hsd"} or sequence of float, optional
        Beta-spending function, or futility bounds on the Z scale for looks 1..K−1
        (``-inf`` for none at a look). None: no futility bounds.
    gamma_futility : float, optional
        Hwang-Shih-DeCani parameter for ``futility="hsd"``.

    Returns
    -------
    pandas.DataFrame
        One row per look: ``look, info_rate, efficacy_z, efficacy_p`` (nominal one-sided
        p-value of the bound), ``futility_z`` (``-inf`` where none; at the last look the
        efficacy bound), ``alpha_spent`` (cumulative), ``beta_spent`` (cumulative; NaN
        unless beta spending), ``rejection_prob`` and ``futility_prob`` (probability of
        stopping at that look under the design drift). ``attrs`` holds ``drift`` (E Z
        at full information giving power 1 − beta with the futility bounds applied),
        ``inflation_factor`` (maximum over fixed-design sample size) and the inputs.

    Notes
    -----
    Bound b_k solves :math:`P_0(Z_j < b_j, j < k;\\ Z_k \\ge b_k) = f(t_k) - f(t_{k-1})`.
    With beta spending, a_k solves
    :math:`P_\\theta(a_j < Z_j < b_j, j < k;\\ Z_k \\le a_k) = g(t_k) - g(t_{k-1})` and θ
    is the drift at which a_K = b_K. The inflation factor is
    :math:`\\theta^2 / (z_{1-\\alpha} + z_{1-\\beta})^2`.

    References
    ----------
    Lan KKG, DeMets DL. Biometrika 1983;70:659-63. Pampallona S, Tsiatis AA, Kim K.
    Interim monitoring of group sequential trials using spending functions for the type I
    and type II error probabilities. Drug Inf J 2001;35:1113-21. Jennison C, Turnbull BW.
    *Group Sequential Methods*, 2000, ch. 7 and 19. Wassmer G, Brannath W. *Group
    Sequential and Confirmatory Adaptive Designs in Clinical Trials*. Springer, 2016.

    Examples
    --------
    >>> from trialkit.design import group_sequential
    >>> d = group_sequential([200 / 380, 1], spending="obf", futility=[0.0])
    >>> d[["efficacy_z", "futility_z"]].round(4).values.tolist()
    [[2.8774, 0.0], [1.9712, 1.9712]]
    """
    t = _check_info(info_rates)
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha (one-sided) must lie in (0, 0.5); got {alpha}")
    if not 0 < beta < 1 - alpha:
        raise ValueError(f"beta must lie in (0, 1 - alpha); got {beta}")
    alpha_spend = spending_function(spending, alpha, gamma=gamma)(t)
    alpha_spend[-1] = alpha  # exact at t = 1, whatever the rounding inside f
    high = _efficacy_bounds(t, alpha_spend)
    beta_spend = np.full(t.size, np.nan)
    if futility is None:
        low = np.full(t.size, -np.inf)
        low[-1] = high[-1]
        drift = _power_drift(t, low, high, 1 - beta)
    elif isinstance(futility, str):
        beta_spend = spending_function(futility, beta, gamma=gamma_futility)(t)
        beta_spend[-1] = beta

        def gap(d: float) -> float:
            return _beta_spending_futility(t, high, beta_spend, d)[1]

        drift = optimize.brentq(gap, 1e-6, 20.0, xtol=1e-12)
        low = _beta_spending_futility(t, high, beta_spend, drift)[0]
        if np.any(low[:-1] >= high[:-1]):
            raise ValueError(
                "beta spending puts a futility bound above the efficacy bound at look "
                f"{int(np.argmax(low[:-1] >= high[:-1])) + 1}; spend less beta early"
            )
    else:
        given = np.asarray(futility, dtype=float)
        if given.shape != (t.size - 1,):
            raise ValueError(f"futility needs {t.size - 1} Z values (looks 1..K-1); got {given}")
        if np.any(given >= high[:-1]):
            raise ValueError("a futility bound must lie below the efficacy bound of its look")
        low = np.append(given, high[-1])
        drift = _power_drift(t, low, high, 1 - beta)
    up, down = _crossing(t, low, high, drift)
    down[-1] = 0.0  # at the last look not rejecting is not a futility stop
    out = pd.DataFrame(
        {
            "look": np.arange(1, t.size + 1),
            "info_rate": t,
            "efficacy_z": high,
            "efficacy_p": stats.norm.sf(high),
            "futility_z": low,
            "alpha_spent": alpha_spend,
            "beta_spent": beta_spend,
            "rejection_prob": up,
            "futility_prob": down,
        }
    )
    fixed = stats.norm.isf(alpha) + stats.norm.isf(beta)
    out.attrs.update(
        drift=float(drift),
        inflation_factor=float(drift**2 / fixed**2),
        alpha=alpha,
        beta=beta,
        spending=spending,
        gamma=gamma,
        futility=futility if isinstance(futility, str | None) else list(futility),
        gamma_futility=gamma_futility,
    )
    return out
