"""Fixed-design sample size and power: two means (t-test) and two proportions (normal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import elementwise

from trialkit.design._common import check_open_unit, check_positive, tidy

__all__ = [
    "power_means",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
]

_N_MIN, _N_MAX = 2.0, 1e7  # the search interval of R's power.t.test


def _t_power(n_y: Any, delta: Any, sd: Any, alpha: Any, ratio: Any) -> np.ndarray:
    """Power of the two-sided pooled two-sample t-test, upper rejection region only.

    Counting only the upper tail is R's ``strict = FALSE`` default; the lower tail adds
    less than alpha/2 and is negligible at any realistic power.
    """
    n_x = ratio * n_y
    df = n_x + n_y - 2.0
    ncp = np.abs(delta) / (sd * np.sqrt(1.0 / n_x + 1.0 / n_y))
    return stats.nct.sf(stats.t.isf(alpha / 2.0, df), df, ncp)


def _secant(
    f: Callable[..., np.ndarray], x: np.ndarray, args: tuple[np.ndarray, ...], maxiter: int = 30
) -> np.ndarray:
    """Vectorized secant iteration, evaluating only the elements not yet converged.

    Returns NaN where it did not converge (the caller falls back to bracketing).
    """
    x0 = np.array(x, dtype=float)
    x1 = x0 * (1 + 1e-4)
    f0, f1 = f(x0, *args), f(x1, *args)
    active = np.ones(x0.shape, dtype=bool)
    out = np.full(x0.shape, np.nan)
    for _ in range(maxiter):
        with np.errstate(divide="ignore", invalid="ignore"):
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        done = np.abs(x2 - x1) <= 1e-12 * np.abs(x1)
        idx = np.flatnonzero(active)
        out[idx[done]] = x2[done]
        keep = ~done & np.isfinite(x2)
        active[idx[~keep]] = False
        if not keep.any():
            break
        x0, f0, x1 = x1[keep], f1[keep], x2[keep]
        f1 = f(x1, *(a[idx[keep]] for a in args))
    return out


def power_means(
    n_per_arm: Any,
    delta: Any,
    sd: Any,
    *,
    alpha: Any = 0.05,
    ratio: Any = 1.0,
) -> pd.DataFrame:
    """Power of a two-sided two-sample t-test, as R's ``power.t.test(n, delta, sd)``.

    Parameters
    ----------
    n_per_arm : float or array_like
        Patients in the control arm (in each arm when ``ratio = 1``); may be fractional.
    delta : float or array_like
        True difference in means (experimental − control); its sign is ignored.
    sd : float or array_like
        Common standard deviation.
    alpha : float or array_like, default 0.05
        Two-sided significance level.
    ratio : float or array_like, default 1
        Allocation ratio n_experimental / n_control.

    Returns
    -------
    pandas.DataFrame
        One row per broadcast combination of the inputs: ``estimate`` (the power),
        ``ci_low, ci_high`` (NaN), ``n_x, n_y, delta, sd, alpha, ratio, method``.

    Notes
    -----
    With :math:`n_x = r n_y`, :math:`\\nu = n_x + n_y - 2` and noncentrality
    :math:`\\lambda = |\\delta| / (\\sigma\\sqrt{1/n_x + 1/n_y})`,

    .. math:: 1 - \\beta = 1 - F_{t,\\nu,\\lambda}\\bigl(t_{1-\\alpha/2,\\nu}\\bigr),

    the upper rejection region only (R's ``strict = FALSE``).

    References
    ----------
    R Core Team, ``stats::power.t.test``. Chow SC, Shao J, Wang H. *Sample Size
    Calculations in Clinical Research*, 2nd ed. Chapman & Hall, 2008, §3.2.

    Examples
    --------
    >>> from trialkit.design import power_means
    >>> round(float(power_means(190, 1.336, 3.96)["estimate"].iloc[0]), 4)
    0.9066
    """
    n_y = np.asarray(n_per_arm, dtype=float)
    if np.any(~np.isfinite(n_y) | (n_y * (1 + np.asarray(ratio, dtype=float)) <= 2)):
        raise ValueError("n_per_arm must be finite and leave at least one degree of freedom")
    sd = check_positive("sd", sd)
    ratio = check_positive("ratio", ratio)
    alpha = check_open_unit("alpha", alpha)
    power = _t_power(n_y, delta, sd, alpha, ratio)
    return tidy(
        {
            "estimate": power,
            "n_x": ratio * n_y,
            "n_y": n_y,
            "delta": delta,
            "sd": sd,
            "alpha": alpha,
            "ratio": ratio,
            "method": "two-sample t-test (power.t.test)",
        }
    )


def sample_size_means(
    delta: Any,
    sd: Any,
    *,
    power: Any = 0.9,
    alpha: Any = 0.05,
    ratio: Any = 1.0,
) -> pd.DataFrame:
    """Sample size of a two-arm trial compared by a two-sided two-sample t-test.

    Solves :func:`power_means` for n, as R's ``power.t.test(delta=, sd=, power=)``
    does, but to machine precision (R's ``uniroot`` stops at a tolerance of about
    1e-4, so its unrounded n can differ in the fifth significant digit; the rounded n
    agrees).

    Parameters
    ----------
    delta : float or array_like
        Difference in means to detect (experimental − control); the sign is ignored.
    sd : float or array_like
        Common standard deviation.
    power : float or array_like, default 0.9
        Target power.
    alpha : float or array_like, default 0.05
        Two-sided significance level.
    ratio : float or array_like, default 1
        Allocation ratio n_experimental / n_control.

    Returns
    -------
    pandas.DataFrame
        One row per broadcast combination: ``estimate`` (= ``n_total``), ``ci_low,
        ci_high`` (NaN), ``n_per_arm`` (control arm, rounded up; each arm when
        ``ratio = 1``), ``n_x, n_y`` (experimental and control, each rounded up),
        ``n_total``, ``n_unrounded`` (control arm, R's ``$n``), ``delta, sd, power,
        alpha, ratio, method``.

    Notes
    -----
    n is the root in :math:`n_y` of
    :math:`1 - F_{t,\\nu,\\lambda}(t_{1-\\alpha/2,\\nu}) = 1 - \\beta` with
    :math:`\\nu = (1 + r) n_y - 2` and
    :math:`\\lambda = |\\delta| / (\\sigma \\sqrt{1/(r n_y) + 1/n_y})`, found by
    vectorized secant steps from Guenther's approximation
    :math:`n_y \\approx (1 + 1/r)(z_{1-\\alpha/2} + z_{1-\\beta})^2 \\sigma^2/\\delta^2
    + z_{1-\\alpha/2}^2/(2(1 + r))`, with a bracketing search on R's interval [2, 1e7]
    wherever the secant fails. About four noncentral-t evaluations per row.

    References
    ----------
    R Core Team, ``stats::power.t.test``. Chow SC, Shao J, Wang H. *Sample Size
    Calculations in Clinical Research*, 2nd ed. Chapman & Hall, 2008, §3.2. Guenther WC.
    Sample size formulas for normal theory t tests. Am Stat 1981;35:243-4.

    Examples
    --------
    COMBAT-SHINE's planned 380, reconstructed: a 20% reduction of the LeoPARDS mean
    daily SOFA 6.68 (SD 3.96).

    >>> from trialkit.design import sample_size_means
    >>> row = sample_size_means(0.2 * 6.68, 3.96, power=0.9, alpha=0.05)
    >>> int(row["n_per_arm"].iloc[0]), int(row["n_total"].iloc[0])
    (186, 372)
    """
    delta = np.abs(np.asarray(delta, dtype=float))
    if np.any(~np.isfinite(delta) | (delta == 0)):
        raise ValueError("delta must be a finite, non-zero difference in means")
    sd = check_positive("sd", sd)
    ratio = check_positive("ratio", ratio)
    alpha = check_open_unit("alpha", alpha)
    power = check_open_unit("power", power)
    if np.any(power <= alpha / 2):
        raise ValueError("power must exceed alpha/2, the power of the test when delta = 0")
    delta, sd, power, alpha, ratio = (
        a.ravel() for a in np.broadcast_arrays(delta, sd, power, alpha, ratio)
    )

    def gap(n: np.ndarray, *args: np.ndarray) -> np.ndarray:
        return _t_power(n, *args[:4]) - args[4]

    args = (delta, sd, alpha, ratio, power)
    # Start from Guenther's normal approximation (within about one patient) and polish
    # by secant steps: a handful of noncentral-t evaluations instead of a bracketing
    # search's dozens, which matters for 10^6-row sensitivity grids.
    z_sum = stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)
    start = (1 + 1 / ratio) * (z_sum * sd / delta) ** 2 + stats.norm.isf(alpha / 2) ** 2 / (
        2 * (1 + ratio)
    )
    start = np.clip(start, _N_MIN + 0.5, _N_MAX / 2)
    n_y = _secant(gap, start, args)
    bad = ~(np.isfinite(n_y) & (n_y >= _N_MIN) & (n_y <= _N_MAX))
    if bad.any():  # secant strayed: fall back to a safe bracketing search there
        low, high = np.full(bad.sum(), _N_MIN), np.full(bad.sum(), _N_MAX)
        sub = tuple(a[bad] for a in args)
        if np.any(gap(low, *sub) >= 0):
            raise ValueError("the target power is reached with fewer than 2 patients per arm")
        if np.any(gap(high, *sub) < 0):
            raise ValueError("the target power needs more than 1e7 patients per arm")
        res = elementwise.find_root(
            gap,
            (low, high),
            args=sub,
            tolerances={"xrtol": 1e-13},
        )
        n_y[bad] = res.x
    n_x_int = np.ceil(ratio * n_y - 1e-9)
    n_y_int = np.ceil(n_y - 1e-9)
    return tidy(
        {
            "estimate": n_x_int + n_y_int,
            "n_per_arm": n_y_int.astype(int),
            "n_x": n_x_int.astype(int),
            "n_y": n_y_int.astype(int),
            "n_total": (n_x_int + n_y_int).astype(int),
            "n_unrounded": n_y,
            "delta": delta,
            "sd": sd,
            "power": power,
            "alpha": alpha,
            "ratio": ratio,
            "method": "two-sample t-test (power.t.test)",
        }
    )


def _prop_z(p1: np.ndarray, p2: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, ...]:
    q_alpha = stats.norm.isf(alpha / 2)
    pbar = (p1 + p2) / 2
    null_sd = np.sqrt(2 * pbar * (1 - pbar))
    alt_sd = np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return q_alpha, null_sd, alt_sd


def _check_props(p1: Any, p2: Any) -> tuple[np.ndarray, np.ndarray]:
    p1 = check_open_unit("p1", p1)
    p2 = check_open_unit("p2", p2)
    if np.any(p1 == p2):
        raise ValueError("p1 and p2 must differ")
    return p1, p2


def power_proportions(n_per_arm: Any, p1: Any, p2: Any, *, alpha: Any = 0.05) -> pd.DataFrame:
    """Power of the two-sided comparison of two proportions, as R's ``power.prop.test``.

    Parameters
    ----------
    n_per_arm : float or array_like
        Patients per arm.
    p1, p2 : float or array_like
        True event probabilities in the two arms.
    alpha : float or array_like, default 0.05
        Two-sided significance level.

    Returns
    -------
    pandas.DataFrame
        ``estimate`` (the power), ``ci_low, ci_high`` (NaN), ``n_per_arm, p1, p2, alpha,
        method``; one row per broadcast combination.

    Notes
    -----
    With :math:`\\bar p = (p_1 + p_2)/2`, :math:`\\bar q = 1 - \\bar p`,

    .. math:: 1 - \\beta = \\Phi\\left(\\frac{\\sqrt{n}\\,|p_1 - p_2| - z_{1-\\alpha/2}
              \\sqrt{2\\bar p\\bar q}}{\\sqrt{p_1q_1 + p_2q_2}}\\right)

    (upper region only, R's ``strict = FALSE``).

    References
    ----------
    R Core Team, ``stats::power.prop.test``. Fleiss JL, Levin B, Paik MC. *Statistical
    Methods for Rates and Proportions*, 3rd ed. Wiley, 2003, §4.2.

    Examples
    --------
    >>> from trialkit.design import power_proportions
    >>> round(float(power_proportions(300, 0.49, 0.44)["estimate"].iloc[0]), 4)
    0.2317
    """
    p1, p2 = _check_props(p1, p2)
    n = check_positive("n_per_arm", n_per_arm)
    alpha = check_open_unit("alpha", alpha)
    q_alpha, null_sd, alt_sd = _prop_z(p1, p2, alpha)
    power = stats.norm.cdf((np.sqrt(n) * np.abs(p1 - p2) - q_alpha * null_sd) / alt_sd)
    return tidy(
        {
            "estimate": power,
            "n_per_arm": n,
            "p1": p1,
            "p2": p2,
            "alpha": alpha,
            "method": "two proportions, normal approximation (power.prop.test)",
        }
    )


def sample_size_proportions(
    p1: Any, p2: Any, *, power: Any = 0.9, alpha: Any = 0.05
) -> pd.DataFrame:
    """Patients per arm to compare two proportions, as R's ``power.prop.test(p1, p2, power)``.

    Parameters
    ----------
    p1, p2 : float or array_like
        Event probabilities to distinguish.
    power : float or array_like, default 0.9
        Target power.
    alpha : float or array_like, default 0.05
        Two-sided significance level.

    Returns
    -------
    pandas.DataFrame
        ``estimate`` (= ``n_total``), ``ci_low, ci_high`` (NaN), ``n_per_arm`` (rounded
        up), ``n_total``, ``n_unrounded`` (R's ``$n``), ``p1, p2, power, alpha, method``.

    Notes
    -----
    Solving the power formula of :func:`power_proportions` for n gives the closed form

    .. math:: n = \\left(\\frac{z_{1-\\alpha/2}\\sqrt{2\\bar p\\bar q}
              + z_{1-\\beta}\\sqrt{p_1q_1 + p_2q_2}}{|p_1 - p_2|}\\right)^2,

    which R reaches by ``uniroot`` (to about 1e-4).

    References
    ----------
    R Core Team, ``stats::power.prop.test``. Fleiss JL, Levin B, Paik MC. *Statistical
    Methods for Rates and Proportions*, 3rd ed. Wiley, 2003, §4.2.

    Examples
    --------
    >>> from trialkit.design import sample_size_proportions
    >>> int(sample_size_proportions(0.5, 0.4, power=0.9)["n_per_arm"].iloc[0])
    519
    """
    p1, p2 = _check_props(p1, p2)
    power = check_open_unit("power", power)
    alpha = check_open_unit("alpha", alpha)
    q_alpha, null_sd, alt_sd = _prop_z(p1, p2, alpha)
    n = ((q_alpha * null_sd + stats.norm.ppf(power) * alt_sd) / np.abs(p1 - p2)) ** 2
    n_int = np.ceil(n - 1e-9).astype(int)
    return tidy(
        {
            "estimate": 2 * n_int,
            "n_per_arm": n_int,
            "n_total": 2 * n_int,
            "n_unrounded": n,
            "p1": p1,
            "p2": p2,
            "power": power,
            "alpha": alpha,
            "method": "two proportions, normal approximation (power.prop.test)",
        }
    )
