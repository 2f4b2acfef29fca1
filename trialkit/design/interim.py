"""Interim-analysis quantities: the drift of a design, conditional and predictive power."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.design._common import check_open_unit, check_positive, tidy
from trialkit.design.group_sequential import boundary_crossing

__all__ = ["conditional_power", "drift_means", "futility_bound_from_cp", "predictive_power"]


def drift_means(delta: Any, sd: Any, n_total: Any, *, ratio: Any = 1.0) -> np.ndarray:
    """Drift of a two-arm comparison of means: the expected Z at full information.

    .. math:: \\theta = \\frac{\\delta}{\\sigma}\\sqrt{\\frac{n_x n_y}{n_x + n_y}},
              \\qquad n_x = \\frac{r}{1 + r} N,\\ n_y = \\frac{1}{1 + r} N.

    Parameters
    ----------
    delta : float or array_like
        True difference in means, in the direction the test rejects for.
    sd : float or array_like
        Common standard deviation.
    n_total : float or array_like
        Planned number of patients at the final analysis.
    ratio : float or array_like, default 1
        Allocation ratio n_experimental / n_control.

    Returns
    -------
    numpy.ndarray
        The drift (a 0-d array for scalar input).

    References
    ----------
    Lan KKG, Wittes J. The B-value: a tool for monitoring data. Biometrics 1988;44:579-85.

    Examples
    --------
    >>> from trialkit.design import drift_means
    >>> round(float(drift_means(1.336, 3.96, 380)), 4)
    3.2883
    """
    sd = check_positive("sd", sd)
    n = check_positive("n_total", n_total)
    r = check_positive("ratio", ratio)
    return np.asarray(delta, dtype=float) / sd * np.sqrt(n * r / (1 + r) ** 2)


def _final_z(alpha: np.ndarray, final_z: Any) -> np.ndarray:
    if final_z is None:
        return stats.norm.isf(alpha)
    c = np.asarray(final_z, dtype=float)
    if np.any(~np.isfinite(c)):
        raise ValueError("final_z must be finite")
    return c


def _check_z(z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    if np.any(~np.isfinite(z)):
        raise ValueError("z must be finite (the interim Z statistic)")
    return z


def _drift(theta: Any, alpha: np.ndarray, beta: Any, design_theta: Any) -> tuple[Any, str]:
    """The assumed drift and where it came from; ``None`` for the trend (it needs z)."""
    if isinstance(theta, str):
        if theta == "trend":
            return None, "trend"
        if theta == "design":
            if design_theta is None:
                beta = check_open_unit("beta", beta)
                return stats.norm.isf(alpha) + stats.norm.isf(beta), "design"
            return np.asarray(design_theta, dtype=float), "design"
        raise ValueError(f"theta must be 'trend', 'design' or a number; got {theta!r}")
    return np.asarray(theta, dtype=float), "given"


def conditional_power(
    z: Any,
    info_rate: Any,
    *,
    theta: str | Any = "trend",
    alpha: Any = 0.025,
    beta: Any = 0.1,
    design_theta: Any = None,
    final_z: Any = None,
    future_info_rates: Sequence[float] | None = None,
    future_efficacy_z: Sequence[float] | None = None,
    future_futility_z: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Conditional power at an interim analysis.

    The probability of rejecting H0 at a later analysis, given the interim Z, under an
    assumed drift (Lan & Wittes' B-value formulation): with one analysis remaining by
    the closed form, with several by the group-sequential recursion on the remaining
    looks.

    Parameters
    ----------
    z : float or array_like
        Interim Z statistic (positive favours the experimental arm).
    info_rate : float or array_like
        Information fraction t at the interim, in (0, 1).
    theta : {"trend", "design"} or float, default "trend"
        Drift assumed for the rest of the trial (expected Z at full information, see
        :func:`drift_means`): ``"trend"`` the current estimate z/√t, ``"design"`` the
        design alternative, or a number.
    alpha : float, default 0.025
        One-sided level of the final test (two-sided 0.05 halves to 0.025).
    beta : float, default 0.1
        Type II error of the design; with ``theta="design"`` and no ``design_theta`` the
        design drift of a fixed design, z_{1−α} + z_{1−β}.
    design_theta : float, optional
        The design drift, e.g. ``drift_means(delta, sd, n_total)`` or
        ``group_sequential(...).attrs["drift"]``.
    final_z : float, optional
        Critical value of the final analysis; default z_{1−α} (a fixed design or a
        futility-only interim). Pass the last ``efficacy_z`` of a group-sequential design.
    future_info_rates : sequence of float, optional
        Information fractions of all remaining looks (after ``info_rate``, ending at 1),
        for a design with more than one look left; ``final_z`` is then not used.
    future_efficacy_z : sequence of float, optional
        Efficacy bounds of those looks (``efficacy_z`` of :func:`group_sequential`).
    future_futility_z : sequence of float, optional
        Futility bounds of those looks (``-inf`` where none; the last does not matter),
        to count a later futility stop as not rejecting, as rpact's
        ``getConditionalPower`` does; default none. The ``futility_z`` column of
        :func:`group_sequential` fits as it is.

    Returns
    -------
    pandas.DataFrame
        One row per broadcast input: ``estimate`` (conditional power), ``ci_low, ci_high``
        (NaN), ``z, info_rate, theta`` (the drift used), ``theta_source, final_z,
        method``.

    Notes
    -----
    With B(t) = Z(t)√t and B(1) − B(t) ~ N(θ(1 − t), 1 − t),

    .. math:: CP_\\theta = 1 - \\Phi\\left(\\frac{c - Z(t)\\sqrt t - \\theta(1 - t)}
              {\\sqrt{1 - t}}\\right),

    and the current trend is θ = Z(t)/√t. With looks t_j > t left, given B(t) = b the
    process W(s) = B(t + s) − b − θs is a fresh Brownian motion, so the remaining looks
    form a group-sequential design in u_j = (t_j − t)/(1 − t) with drift θ√(1 − t) and
    bounds (e_j√t_j − b)/√(t_j − t), evaluated by :func:`boundary_crossing`.

    References
    ----------
    Lan KKG, Wittes J. Biometrics 1988;44:579-85. Proschan MA, Lan KKG, Wittes JT.
    *Statistical Monitoring of Clinical Trials: A Unified Approach*. Springer, 2006,
    ch. 3. Jennison C, Turnbull BW. *Group Sequential Methods*, 2000, ch. 10.

    Examples
    --------
    >>> from trialkit.design import conditional_power
    >>> round(float(conditional_power(1.0, 0.5, theta="trend")["estimate"].iloc[0]), 4)
    0.2201
    """
    z = _check_z(z)
    t = check_open_unit("info_rate", info_rate)
    alpha = check_open_unit("alpha", alpha)
    drift, source = _drift(theta, alpha, beta, design_theta)
    if source == "trend":
        drift = z / np.sqrt(t)
    if future_info_rates is None:
        if future_efficacy_z is not None or future_futility_z is not None:
            raise ValueError("future_efficacy_z and future_futility_z need future_info_rates")
        c = _final_z(alpha, final_z)
        cp = stats.norm.sf((c - z * np.sqrt(t) - drift * (1 - t)) / np.sqrt(1 - t))
    else:
        if final_z is not None:
            raise ValueError("give either final_z or the future looks, not both")
        cp, c = _remaining_looks(
            z, t, drift, future_info_rates, future_efficacy_z, future_futility_z
        )
    return tidy(
        {
            "estimate": cp,
            "z": z,
            "info_rate": t,
            "theta": drift,
            "theta_source": source,
            "final_z": c,
            "method": "conditional power (B-value)",
        }
    )


def _remaining_looks(
    z: np.ndarray,
    t: np.ndarray,
    drift: Any,
    future_t: Sequence[float],
    future_e: Sequence[float] | None,
    future_f: Sequence[float] | None,
) -> tuple[np.ndarray, float]:
    """Conditional power over several remaining looks (see :func:`conditional_power`)."""
    tj = np.asarray(future_t, dtype=float)
    if future_e is None:
        raise ValueError("future_efficacy_z is needed with future_info_rates")
    ej = np.asarray(future_e, dtype=float)
    fj = np.full(tj.shape, -np.inf) if future_f is None else np.asarray(future_f, dtype=float)
    if not (tj.ndim == 1 and ej.shape == tj.shape and fj.shape == tj.shape):
        raise ValueError(
            "future_info_rates, future_efficacy_z and future_futility_z need one value per look"
        )
    z, t, drift = np.broadcast_arrays(z, t, drift)
    cp = np.empty(z.shape)
    for i in np.ndindex(z.shape):
        if not (tj[0] > t[i] and tj[-1] == 1 and np.all(np.diff(tj) > 0)):
            raise ValueError(
                f"future_info_rates must increase from above info_rate ({t[i]}) to 1; got {tj}"
            )
        b, s = z[i] * np.sqrt(t[i]), tj - t[i]
        scale = np.sqrt(s)
        cp[i] = boundary_crossing(
            s / s[-1],
            (ej * np.sqrt(tj) - b) / scale,
            (fj * np.sqrt(tj) - b) / scale,
            drift=drift[i] * np.sqrt(s[-1]),
        ).attrs["power"]
    return cp, float(ej[-1])


def predictive_power(
    z: Any, info_rate: Any, *, alpha: Any = 0.025, final_z: Any = None
) -> pd.DataFrame:
    """Bayesian predictive power at an interim analysis, flat prior on the drift.

    Conditional power averaged over the posterior of the drift given the interim data.

    Parameters
    ----------
    z : float or array_like
        Interim Z statistic.
    info_rate : float or array_like
        Information fraction t at the interim, in (0, 1).
    alpha : float, default 0.025
        One-sided level of the final test.
    final_z : float, optional
        Critical value of the final analysis; default z_{1−α}.

    Returns
    -------
    pandas.DataFrame
        ``estimate`` (predictive power), ``ci_low, ci_high`` (NaN), ``z, info_rate,
        final_z, method``.

    Notes
    -----
    Under a flat prior θ | Z(t) ~ N(Z(t)/√t, 1/t), so B(1) | Z(t) ~ N(Z(t)/√t, (1−t)/t)
    and

    .. math:: PP = \\Phi\\left(\\frac{Z(t) - c\\sqrt t}{\\sqrt{1 - t}}\\right).

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Blackburn PR. Monitoring clinical trials: conditional
    or predictive power? Control Clin Trials 1986;7:8-17. Proschan MA, Lan KKG, Wittes JT.
    *Statistical Monitoring of Clinical Trials*, 2006, §3.4.

    Examples
    --------
    >>> from trialkit.design import predictive_power
    >>> round(float(predictive_power(1.0, 0.5)["estimate"].iloc[0]), 4)
    0.2926
    """
    z = _check_z(z)
    t = check_open_unit("info_rate", info_rate)
    alpha = check_open_unit("alpha", alpha)
    c = _final_z(alpha, final_z)
    pp = stats.norm.cdf((z - c * np.sqrt(t)) / np.sqrt(1 - t))
    return tidy(
        {
            "estimate": pp,
            "z": z,
            "info_rate": t,
            "final_z": c,
            "method": "predictive power (flat prior)",
        }
    )


def futility_bound_from_cp(
    threshold: Any,
    info_rate: Any,
    *,
    theta: str | Any = "trend",
    alpha: Any = 0.025,
    beta: Any = 0.1,
    design_theta: Any = None,
    final_z: Any = None,
) -> np.ndarray:
    r"""The interim Z below which conditional power falls under ``threshold``.

    A rule "stop for futility if conditional power < γ" is a futility bound on the Z
    scale; this gives it, so the rule can be fed to :func:`group_sequential`,
    :func:`boundary_crossing` or :func:`simulate_operating_characteristics`.

    Parameters
    ----------
    threshold : float or array_like
        Conditional-power threshold γ in (0, 1).
    info_rate : float or array_like
        Information fraction t of the interim.
    theta, alpha, beta, design_theta, final_z
        As in :func:`conditional_power`.

    Returns
    -------
    numpy.ndarray
        The bound a_1 (0-d for scalar input): CP(a_1) = γ.

    Notes
    -----
    Inverting :func:`conditional_power` with :math:`z_{1-\gamma} = \Phi^{-1}(1-\gamma)`:
    under the trend :math:`a_1 = \sqrt t\,(c - \sqrt{1 - t}\, z_{1-\gamma})`; under a
    fixed drift θ, :math:`a_1 = (c - \theta(1 - t) - \sqrt{1 - t}\, z_{1-\gamma})/\sqrt t`.

    References
    ----------
    Proschan MA, Lan KKG, Wittes JT. *Statistical Monitoring of Clinical Trials*, 2006,
    ch. 3. Lachin JM. A review of methods for futility stopping based on conditional
    power. Stat Med 2005;24:2747-64.

    Examples
    --------
    >>> from trialkit.design import futility_bound_from_cp
    >>> round(float(futility_bound_from_cp(0.2, 0.5)), 4)
    0.9651
    """
    gamma = check_open_unit("threshold", threshold)
    t = check_open_unit("info_rate", info_rate)
    alpha = check_open_unit("alpha", alpha)
    c = _final_z(alpha, final_z)
    q = stats.norm.isf(gamma)
    drift, source = _drift(theta, alpha, beta, design_theta)
    if source == "trend":
        return np.sqrt(t) * (c - np.sqrt(1 - t) * q)
    return (c - drift * (1 - t) - np.sqrt(1 - t) * q) / np.sqrt(t)
