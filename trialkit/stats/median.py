"""Difference in medians between two arms: median (quantile) regression and the bootstrap."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, sparse, stats

from trialkit.stats._checks import as_sample as _as_sample
from trialkit.stats._checks import check_conf_level

__all__ = ["bootstrap_median_difference", "median_difference_quantreg"]

ArrayLike = Sequence[float] | np.ndarray | pd.Series


def _hall_sheather(tau: float, n: int, alpha: float = 0.05) -> float:
    """Hall-Sheather (1988) bandwidth on the quantile scale, as ``quantreg::bandwidth.rq``."""
    x0 = stats.norm.ppf(tau)
    f0 = stats.norm.pdf(x0)
    return (
        n ** (-1 / 3)
        * stats.norm.ppf(1 - alpha / 2) ** (2 / 3)
        * ((1.5 * f0**2) / (2 * x0**2 + 1)) ** (1 / 3)
    )


def _lad_fit(x: np.ndarray, y: np.ndarray, tau: float, j: int) -> tuple[np.ndarray, float, float]:
    """Regression quantile by the linear program of Koenker & Bassett, solved by HiGHS.

    ``min tau * sum(u) + (1 - tau) * sum(v)`` subject to ``X b + u - v = y``, ``u, v >= 0``.
    The simplex returns an exact basic (vertex) solution, like R's Barrodale-Roberts
    ``rq.fit.br``; statsmodels' iteratively reweighted ``QuantReg`` stops near, not at, a
    vertex (up to 1.4e-5 off R's unique solutions on the data of tests/test_stats_median.py,
    and anywhere inside a non-unique optimum), hence the LP.

    The optimum need not be unique (with a binary arm indicator and an even number of
    patients in an arm it never is).  Two more programs find the smallest and largest
    coefficient ``j`` over the optimal face (for ``y ~ group`` it is known:
    :func:`_two_group_extremes`).  Returns a solution, and that range; when the
    range is not a point the solution is the middle of the two extreme optimal solutions
    (itself optimal), which for ``y ~ group`` is the difference of the conventional
    sample medians.
    """
    n, p = x.shape
    a_eq = sparse.hstack([sparse.csr_matrix(x), sparse.identity(n), -sparse.identity(n)]).tocsr()
    cost = np.concatenate([np.zeros(p), np.full(n, tau), np.full(n, 1 - tau)])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)

    def solve(c: np.ndarray, bnds: list) -> optimize.OptimizeResult:
        res = optimize.linprog(c, A_eq=a_eq, b_eq=y, bounds=bnds, method="highs-ds")
        if res.status != 0:  # pragma: no cover - the LAD problem is feasible and bounded
            raise RuntimeError(f"median regression LP failed: {res.message}")
        return res

    first = solve(cost, bounds)
    if p == 2 and j == 1 and tau == 0.5 and np.isin(x[:, 1], (0.0, 1.0)).all():
        # y ~ group: the optimal face is known, the range programs are not needed.
        low, high = _two_group_extremes(y, x[:, 1])
    else:
        # The optimal face: every variable with a positive reduced cost is zero on it.
        # Fixing those (instead of bounding the objective) keeps the two range programs
        # small and free of the solver's feasibility tolerance on a dense objective row.
        fixed = first.lower.marginals[p:] > 1e-9
        face = bounds[:p] + [(0, 0) if f else (0, None) for f in fixed]
        unit = np.zeros(cost.size)
        unit[j] = 1.0
        low, high = solve(unit, face).x, solve(-unit, face).x
    lo, hi = float(low[j]), float(high[j])
    if hi - lo <= 1e-9 * (1.0 + abs(first.x[j])):
        # + 0.0: a zero coefficient is 0, not the -0 the simplex returns on some machines
        # and not on others (a page would print "-0").
        vertex = first.x[:p] + 0.0
        return vertex, float(vertex[j]), float(vertex[j])
    return 0.5 * (low[:p] + high[:p]), lo, hi


def _two_group_extremes(y: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two optimal solutions ``(b0, b1)`` of the median regression ``y ~ group`` (an
    intercept and a 0/1 arm indicator) with the smallest and the largest ``b1``.

    The absolute deviations split by arm, ``sum |y0 - b0| + sum |y1 - (b0 + b1)|``: the
    optimal ``b0`` are the medians of arm 0 (one order statistic for an odd count, the closed
    interval between the two middle ones for an even count), the optimal ``b0 + b1`` those of
    arm 1. ``b1`` is smallest at arm 0's highest median and arm 1's lowest, largest at arm 0's
    lowest and arm 1's highest: what the two range programs of :func:`_lad_fit` find.
    """
    (a_lo, a_hi), (c_lo, c_hi) = _median_interval(y[group == 0]), _median_interval(y[group == 1])
    return np.array([a_hi, c_lo - a_hi]), np.array([a_lo, c_hi - a_lo])


def _median_interval(values: np.ndarray) -> tuple[float, float]:
    """The smallest and largest minimiser of ``sum |values - m|``: the two middle order
    statistics (the same one for an odd count)."""
    ordered = np.sort(values)
    n = ordered.size
    return float(ordered[(n - 1) // 2]), float(ordered[n // 2])


def _kernel_sandwich(x: np.ndarray, resid: np.ndarray, tau: float) -> np.ndarray:
    """Powell kernel sandwich covariance, as R ``summary.rq(se = "ker")`` (quantreg 5.x).

    ``cov = tau (1 - tau) (X'FX)^{-1} X'X (X'FX)^{-1}``, ``F = diag(phi(u/h)/h)`` with the
    Hall-Sheather bandwidth rescaled by ``min(sd(u), IQR(u)/1.34)``.  statsmodels' own
    ``vcov="robust"`` uses a single density at zero and a different scale, so it does not
    reproduce R; the algebra below is R's line by line.
    """
    n = x.shape[0]
    h = _hall_sheather(tau, n)
    while tau - h < 0 or tau + h > 1:
        h /= 2
    q75, q25 = np.quantile(resid, [0.75, 0.25])  # type 7, R's default
    scale = min(float(np.std(resid, ddof=1)), (q75 - q25) / 1.34)
    h = (stats.norm.ppf(tau + h) - stats.norm.ppf(tau - h)) * scale
    f = stats.norm.pdf(resid / h) / h
    fxx_inv = np.linalg.inv((x * f[:, None]).T @ x)
    return tau * (1 - tau) * fxx_inv @ (x.T @ x) @ fxx_inv


def median_difference_quantreg(
    y: ArrayLike,
    group: ArrayLike,
    covariates: pd.DataFrame | None = None,
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Difference in medians (arm 1 minus arm 0) by median regression, optionally adjusted.

    Fits the conditional median :math:`Q_{0.5}(y \mid g, z) = \beta_0 + \Delta g + z'\gamma`
    by least absolute deviations (statsmodels ``QuantReg``, ``q=0.5``) and returns
    :math:`\hat\Delta`, as R ``quantreg::rq(y ~ group + covariates, tau = 0.5)``.  The
    standard error is R's ``summary(fit, se = "ker")``: the Powell kernel sandwich

    .. math:: \widehat{\mathrm{cov}} = \tau(1-\tau)\,(X'FX)^{-1}X'X(X'FX)^{-1},
       \quad F = \operatorname{diag}\{\phi(\hat u_i/h)/h\},

    with the Hall-Sheather bandwidth.  The interval is :math:`\hat\Delta \pm t_{n-p,
    1-\alpha/2}\,\mathrm{se}` and the p-value uses the same t distribution (R's summary
    table).  R's default for ``n < 1001`` is the rank-inversion interval (``se = "rank"``),
    which has no standard error; it is not reproduced here.

    The fit is the exact linear program (scipy's HiGHS simplex), a vertex solution like R's
    ``rq.fit.br``; without covariates (``y ~ group``) the range of optimal differences is
    read off the two arms' medians instead of two more programs.  The solution need not be
    unique: without covariates, an arm with an even number of patients and distinct middle
    values makes any difference between the two candidate medians optimal.  R then reports
    one end of that range (and warns "Solution may be nonunique"); this function reports the
    range (``estimate_min``, ``estimate_max``), warns, and returns its middle, which for
    ``y ~ group`` is the difference of the conventional sample medians.  The standard error
    uses the residuals of the reported solution.

    Parameters
    ----------
    y : array-like of float
        Outcome, one value per patient.
    group : array-like of {0, 1}
        Arm indicator, 1 = experimental arm.
    covariates : pandas.DataFrame, optional
        Adjustment variables (e.g. ``site``, ``baseline_sofa``), one row per patient.
        Non-numeric columns become treatment-coded dummies (first level dropped), as R's
        model formula does for factors.
    conf_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, se, statistic`` (t), ``df``,
        ``estimate_min, estimate_max`` (the range of optimal solutions, equal to
        ``estimate`` when it is unique), ``n_x, n_y`` (arm 1, arm 0), ``conf_level``,
        ``method``.

    Raises
    ------
    ValueError
        Lengths differ, ``group`` not 0/1, only one arm, fewer observations than
        parameters, or a singular design.

    References
    ----------
    Koenker R, Bassett G (1978). Regression quantiles. Econometrica 46:33-50.  Powell JL
    (1991). Estimation of monotonic regression models under quantile restrictions.
    Koenker R (2005). Quantile Regression, section 3.4. Cambridge University Press.

    Examples
    --------
    >>> import numpy as np
    >>> from trialkit.stats import median_difference_quantreg
    >>> y = [3, 5, 1, 4, 8, 2, 7, 6, 9, 0]
    >>> g = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    >>> float(median_difference_quantreg(y, g)["estimate"].round(6).item())  # 4 - 6
    -2.0
    """
    func = "median_difference_quantreg"
    yv = np.asarray(pd.to_numeric(pd.Series(np.asarray(y)), errors="raise"), dtype=float)
    try:
        gv = np.asarray(group, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{func}: group must be 0/1 (1 = experimental arm)") from None
    if yv.shape != gv.shape:
        raise ValueError(f"{func}: y has {yv.size} values but group has {gv.size}")
    frame = pd.DataFrame({"y": yv, "group": gv})
    if covariates is not None:
        cov = pd.DataFrame(covariates).reset_index(drop=True)
        if len(cov) != yv.size:
            raise ValueError(f"{func}: covariates has {len(cov)} rows but y has {yv.size}")
        cov = pd.get_dummies(cov, drop_first=True, dtype=float)
        frame = pd.concat([frame, cov], axis=1)
    complete = frame.notna().all(axis=1).to_numpy()
    if not complete.all():
        warnings.warn(
            f"{func}: dropped {int((~complete).sum())} row(s) with missing values",
            stacklevel=2,
        )
        frame = frame.loc[complete]
    bad = ~frame["group"].isin([0.0, 1.0])
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise ValueError(f"{func}: group must be 0/1 (1 = experimental arm); rows {rows}")
    n_x = int((frame["group"] == 1).sum())
    n_y = int((frame["group"] == 0).sum())
    if n_x == 0 or n_y == 0:
        raise ValueError(f"{func}: both arms need observations (arm 1: {n_x}, arm 0: {n_y})")
    x = np.column_stack([np.ones(len(frame)), frame.drop(columns="y").to_numpy(dtype=float)])
    n, p = x.shape
    if n <= p or np.linalg.matrix_rank(x) < p:
        raise ValueError(f"{func}: design with {p} columns is singular for {n} observations")
    yv = frame["y"].to_numpy(dtype=float)
    beta, est_min, est_max = _lad_fit(x, yv, 0.5, j=1)
    if est_max > est_min:
        warnings.warn(
            f"{func}: the median-regression solution is not unique; every difference in "
            f"[{est_min:.6g}, {est_max:.6g}] minimizes the absolute deviations; reporting "
            "the middle (R's rq reports one end point, with 'Solution may be nonunique')",
            stacklevel=2,
        )
    resid = yv - x @ beta
    se = float(math.sqrt(_kernel_sandwich(x, resid, 0.5)[1, 1]))
    est = float(beta[1])
    df = n - p
    t = est / se
    half = stats.t.ppf(0.5 + conf_level / 2, df) * se
    return pd.DataFrame(
        {
            "estimate": [est],
            "ci_low": [est - half],
            "ci_high": [est + half],
            "p_value": [float(2 * stats.t.sf(abs(t), df))],
            "se": [se],
            "statistic": [t],
            "df": [df],
            "estimate_min": [est_min],
            "estimate_max": [est_max],
            "n_x": [n_x],
            "n_y": [n_y],
            "conf_level": [conf_level],
            "method": ["median regression, kernel SE (R se='ker')"],
        }
    )


def _median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) - np.median(y, axis=axis)


def bootstrap_median_difference(
    x: ArrayLike,
    y: ArrayLike,
    *,
    seed: int | np.random.Generator,
    n_resamples: int = 10_000,
    method: Literal["percentile", "bca"] = "percentile",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Bootstrap confidence interval for the difference in medians ``median(x) - median(y)``.

    Each arm is resampled with replacement separately (a bootstrap stratified by arm, as
    R ``boot(..., strata = arm)``), ``n_resamples`` times, vectorized
    (``scipy.stats.bootstrap``).  ``"percentile"``: the :math:`\alpha/2` and
    :math:`1-\alpha/2` quantiles of the replicates :math:`\hat\theta^*_b`.  ``"bca"``
    (Efron 1987): the quantiles at :math:`\Phi\{z_0 + (z_0 + z_\alpha)/(1 - a(z_0 +
    z_\alpha))\}`, with bias correction :math:`z_0` and jackknife acceleration :math:`a`.

    R ``boot.ci`` differs in two details, both far inside Monte Carlo error with continuous
    data: it interpolates order statistics on the normal scale, and its default BCa
    acceleration is a regression estimate (``empinf(type = "reg")``) while scipy uses the
    jackknife (``empinf(type = "jack")`` in R).  With integer outcomes the bootstrap
    distribution of a median has atoms; scipy counts replicates equal to the estimate as
    half below the estimate in :math:`z_0`, R counts them as not below.

    Parameters
    ----------
    x, y : array-like of float
        The two arms; missing values are dropped with a warning.
    seed : int or numpy.random.Generator
        Required, so that every run gives the same interval.
    n_resamples : int, default 10000
        Bootstrap replicates.
    method : {"percentile", "bca"}, default "percentile"
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (observed difference in medians), ``ci_low, ci_high``,
        ``se`` (bootstrap standard error), ``n_x, n_y, n_resamples, conf_level, method``.

    References
    ----------
    Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap, ch. 13-14.
    Davison AC, Hinkley DV (1997). Bootstrap Methods and their Application, section 5.3.

    Examples
    --------
    >>> from trialkit.stats import bootstrap_median_difference
    >>> res = bootstrap_median_difference([3, 5, 1, 4, 8], [2, 7, 6, 9, 0, 4], seed=1,
    ...                                   n_resamples=2000)
    >>> float(res["estimate"].item())
    -1.0
    """
    func = "bootstrap_median_difference"
    methods = {"percentile": "percentile", "bca": "BCa"}
    if method not in methods:
        raise ValueError(f"{func}: method must be 'percentile' or 'bca', got {method!r}")
    if not (isinstance(n_resamples, int | np.integer) and n_resamples >= 100):
        raise ValueError(f"{func}: n_resamples must be an integer >= 100, got {n_resamples!r}")
    conf_level = check_conf_level(conf_level, func)
    xv = _as_sample(x, "x", func)
    yv = _as_sample(y, "y", func)
    if method == "bca" and min(xv.size, yv.size) < 2:
        raise ValueError(f"{func}: BCa needs at least 2 observations per arm (jackknife)")
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        # A degenerate bootstrap distribution (e.g. one value per arm) gives NaN limits;
        # scipy warns, the NaN says it.
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        res = stats.bootstrap(
            (xv, yv),
            _median_difference,
            n_resamples=int(n_resamples),
            vectorized=True,
            paired=False,
            confidence_level=conf_level,
            method=methods[method],
            rng=rng,
        )
    return pd.DataFrame(
        {
            "estimate": [float(np.median(xv) - np.median(yv))],
            "ci_low": [float(res.confidence_interval.low)],
            "ci_high": [float(res.confidence_interval.high)],
            "se": [float(res.standard_error)],
            "n_x": [xv.size],
            "n_y": [yv.size],
            "n_resamples": [int(n_resamples)],
            "conf_level": [conf_level],
            "method": [f"bootstrap {method}"],
        }
    )
