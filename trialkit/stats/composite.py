"""Death and a measured endpoint in one comparison: the probability index, Lachin's worst-rank
analysis and the desirability of outcome ranking (DOOR).

All three estimate the same kind of quantity, the *probability index*

.. math:: \\theta = P(X \\succ Y) + \\tfrac12 P(X \\sim Y),

the chance that a random patient of arm 1 has a better outcome than a random patient of arm 2,
ties counted half (the Mann-Whitney parameter, also called the AUC, the concordance or, with
ties split, the "win probability"). They differ only in how an outcome is ordered: by a number
(:func:`probability_index`), by death first and then the endpoint (:func:`worst_rank`), or by
ordinal categories the caller assigns (:func:`door`). 0.5 means no difference.

Every count is done by sorting (O(n log n)); the ``n_x * n_y`` pairs are never formed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialkit.stats._checks import as_group, check_better, check_conf_level, numeric
from trialkit.stats.rank import _rank_sum, _rank_sum_pmf, _sigma

__all__ = ["door", "probability_index", "worst_rank", "worst_rank_scores"]

ArrayLike = Sequence | np.ndarray | pd.Series
CI_METHODS = ("logit", "wald")


# -- input ---------------------------------------------------------------------------------------


def column(data: pd.DataFrame | None, v, name: str, where: str) -> np.ndarray:
    """``data[v]`` when ``data`` is given and ``v`` names a column, else ``v`` as an array."""
    if data is not None and isinstance(v, str):
        if v not in data.columns:
            raise ValueError(f"{where}: {name}={v!r} is not a column of data {list(data.columns)}")
        return data[v].to_numpy()
    if data is not None and not isinstance(v, str):
        arr = np.asarray(v)
        if arr.shape[:1] != (len(data),):
            raise ValueError(f"{where}: {name} has {len(arr)} values but data has {len(data)} rows")
        return arr
    if isinstance(v, str):
        raise ValueError(f"{where}: {name}={v!r} is a column name but no data= was given")
    return np.asarray(v)


def _split(score: np.ndarray, group, arm_1, where: str) -> tuple[np.ndarray, np.ndarray]:
    g = as_group(group, where, arm_1)
    if len(g) != len(score):
        raise ValueError(f"{where}: group has {len(g)} values but the outcome has {len(score)}")
    x, y = score[g], score[~g]
    if x.size == 0 or y.size == 0:
        raise ValueError(f"{where}: both arms need patients; group has one arm only")
    return x, y


# -- the probability index and its variance ------------------------------------------------------


def placements(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per patient, the share of the other arm it beats, ties counted half.

    ``px[i] = (#{y < x_i} + #{y = x_i} / 2) / n_y`` and ``py[j] = (#{x > y_j} + #{x = y_j} / 2)
    / n_x`` (the share of arm 1 that beats ``y_j``): DeLong's structural components, by
    binary search on the sorted samples.
    """
    xs, ys = np.sort(x), np.sort(y)
    lo, hi = np.searchsorted(ys, x, "left"), np.searchsorted(ys, x, "right")
    px = (lo + 0.5 * (hi - lo)) / ys.size
    lo, hi = np.searchsorted(xs, y, "left"), np.searchsorted(xs, y, "right")
    py = ((xs.size - hi) + 0.5 * (hi - lo)) / xs.size
    return px, py


def pindex_se(px: np.ndarray, py: np.ndarray) -> float:
    """DeLong / Brunner-Munzel standard error of the probability index from the placements."""
    if px.size < 2 or py.size < 2:
        return math.nan
    return math.sqrt(np.var(px, ddof=1) / px.size + np.var(py, ddof=1) / py.size)


def pindex_interval(
    theta: float, se: float, conf_level: float, ci: str, where: str
) -> tuple[float, float]:
    """Wald or logit-transformed interval for a probability index (or a win probability)."""
    from scipy.special import expit, logit
    from scipy.stats import norm

    z = float(norm.isf((1 - conf_level) / 2))
    if not np.isfinite(se):
        return math.nan, math.nan
    if ci == "wald":
        return theta - z * se, theta + z * se
    if theta <= 0 or theta >= 1:
        warnings.warn(
            f"{where}: the estimate is {theta:g}, complete separation of the arms; the logit "
            "interval is undefined (NaN). ci='wald' gives a degenerate interval instead.",
            RuntimeWarning,
            stacklevel=3,
        )
        return math.nan, math.nan
    half = z * se / (theta * (1 - theta))
    return float(expit(logit(theta) - half)), float(expit(logit(theta) + half))


def _wilcoxon(
    x: np.ndarray, y: np.ndarray, exact: bool | None, correct: bool
) -> tuple[float, float, str]:
    """R's ``wilcox.test(x, y, exact=, correct=)``: W and the two-sided p-value."""
    from scipy.stats import norm

    xs, ys = np.sort(x), np.sort(y)
    w, ties = _rank_sum(xs, ys)
    size = x.size * y.size
    if exact is None:
        exact = x.size < 50 and y.size < 50
    if exact and ties == 0:
        cdf = np.cumsum(_rank_sum_pmf(x.size, y.size))
        tail = cdf[round(size - w)] if w > size / 2 else cdf[round(w)]
        return w, min(2.0 * float(tail), 1.0), "exact"
    sigma = _sigma(x.size, y.size, ties)
    dz = w - size / 2
    corr = math.copysign(0.5, dz) if (correct and dz != 0) else 0.0
    p = float(2 * norm.sf(abs(dz - corr) / sigma)) if sigma > 0 else 1.0
    return w, p, "normal approximation"


def _pindex_frame(
    x: np.ndarray,
    y: np.ndarray,
    conf_level: float,
    ci: str,
    exact: bool | None,
    correct: bool,
    method: str,
    where: str,
    **extra,
) -> pd.DataFrame:
    px, py = placements(x, y)
    theta = float(px.mean())
    se = pindex_se(px, py)
    lo, hi = pindex_interval(theta, se, conf_level, ci, where)
    w, p, test = _wilcoxon(x, y, exact, correct)
    row = {
        "estimate": theta,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "statistic": w,
        "se": se,
        "n_x": x.size,
        "n_y": y.size,
        **extra,
        "conf_level": conf_level,
        "ci_method": ci,
        "test": f"Wilcoxon rank-sum ({test})",
        "method": method,
    }
    return pd.DataFrame([row])


def _check_common(conf_level: float, ci: str, where: str) -> float:
    conf_level = check_conf_level(conf_level, where)
    if ci not in CI_METHODS:
        raise ValueError(f"{where}: ci must be one of {CI_METHODS}, got {ci!r}")
    return conf_level


def probability_index(
    x: ArrayLike,
    y: ArrayLike,
    *,
    better: str = "higher",
    conf_level: float = 0.95,
    ci: str = "logit",
    exact: bool | None = None,
    correct: bool = True,
) -> pd.DataFrame:
    r"""Probability index :math:`P(X > Y) + \frac12 P(X = Y)` with its CI and the Wilcoxon test.

    With the placements :math:`V_i = \{\#(y < x_i) + \frac12\#(y = x_i)\}/n_y` of arm 1 and
    :math:`W_j = \{\#(x > y_j) + \frac12\#(x = y_j)\}/n_x` of arm 2,

    .. math::

        \hat\theta = \bar V = \frac{U}{n_x n_y}, \qquad
        \widehat{\mathrm{Var}}(\hat\theta) = \frac{s_V^2}{n_x} + \frac{s_W^2}{n_y},

    :math:`s^2` the sample variances (denominator :math:`n - 1`): the variance of the
    two-sample U-statistic of DeLong, DeLong & Clarke-Pearson (1988), which is also the
    variance Brunner & Munzel (2000) use (their test statistic is
    :math:`(\hat\theta - \frac12)/\widehat{SE}`). It does not assume the null, so the interval
    is valid when the arms differ in spread as well as location.

    ``ci="logit"`` (default): :math:`\operatorname{expit}\{\operatorname{logit}\hat\theta \pm
    z\,\widehat{SE}/(\hat\theta(1-\hat\theta))\}`, range-preserving (inside (0, 1)) and better
    in small samples and near 0 or 1 (Pauly, Asendorf & Konietschke 2016); on the odds scale
    it is the win-odds interval of Brunner, Vandemeulebroecke & Mütze (2021).
    ``ci="wald"``: :math:`\hat\theta \pm z\,\widehat{SE}`, as R ``pROC::ci.auc(method =
    "delong")``.

    ``p_value`` is the Wilcoxon-Mann-Whitney test of R ``wilcox.test(x, y, exact=,
    correct=)`` (exact when both arms have fewer than 50 patients and nothing is tied).

    Parameters
    ----------
    x, y : array-like of float
        Outcomes of arm 1 and arm 2 (no missing values).
    better : {"higher", "lower"}
        Which direction is the better outcome (for SOFA points, days dead: "lower").
    conf_level : float
        Confidence level.
    ci : {"logit", "wald"}
        The interval (see above).
    exact, correct : optional
        Passed to the Wilcoxon test as in R.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, statistic`` (R's ``W`` = the
        Mann-Whitney U, oriented so that larger means arm 1 better), ``se, n_x, n_y,
        conf_level, ci_method, test, method``.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated
    receiver operating characteristic curves. Biometrics 1988;44:837-845. Brunner E, Munzel U.
    The nonparametric Behrens-Fisher problem. Biom J 2000;42:17-25. Pauly M, Asendorf T,
    Konietschke F. Permutation-based inference for the AUC. Biom J 2016;58:1319-1337. Agrees
    with R ``pROC::ci.auc(method="delong")`` and ``wilcox.test`` (``tests/R/composite.R``).

    Examples
    --------
    >>> res = probability_index([3, 5, 7, 9], [1, 4, 5, 6])
    >>> res[["estimate", "statistic"]].to_numpy().tolist()
    [[0.71875, 11.5]]
    """
    where = "probability_index"
    conf_level = _check_common(conf_level, ci, where)
    sign = 1.0 if check_better(better, where) == "higher" else -1.0
    xv = sign * numeric(x, "x", where, allow_nan=False)
    yv = sign * numeric(y, "y", where, allow_nan=False)
    if xv.size == 0 or yv.size == 0:
        raise ValueError(f"{where}: both samples need at least one value")
    return _pindex_frame(
        xv, yv, conf_level, ci, exact, correct, "probability index (DeLong variance)", where
    )


# -- worst rank ---------------------------------------------------------------------------------


def _worst_rank_key(
    value: np.ndarray, death_day: np.ndarray, better: str, horizon: float | None, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """A number whose order is Lachin's: deaths below survivors, earlier deaths lower."""
    dead = ~np.isnan(death_day)
    if horizon is not None:
        dead &= death_day <= horizon
    if (death_day[~np.isnan(death_day)] < 0).any():
        raise ValueError(f"{where}: death_day must be >= 0")
    alive_missing = ~dead & np.isnan(value)
    if alive_missing.any():
        raise ValueError(
            f"{where}: survivors need an endpoint value; rows "
            f"{np.flatnonzero(alive_missing)[:5].tolist()} are alive with a missing value"
        )
    oriented = value if better == "higher" else -value
    key = np.empty(value.size)
    dead_days = np.unique(death_day[dead], return_inverse=True)
    key[dead] = dead_days[1]  # dense ranks 0..k-1: the day order, ties kept
    alive_vals = np.unique(oriented[~dead], return_inverse=True)
    key[~dead] = dead_days[0].size + alive_vals[1]
    return key, dead


def worst_rank_scores(
    value: ArrayLike,
    death_day: ArrayLike,
    *,
    data: pd.DataFrame | None = None,
    better: str = "lower",
    horizon: float | None = None,
) -> np.ndarray:
    """Lachin's worst ranks of the pooled sample (1 = worst outcome; ties get midranks).

    Deaths rank below every survivor, an earlier death below a later one (deaths on the same
    day tie); survivors rank by the endpoint, the worse value lower. Column names or arrays,
    as in :func:`worst_rank`.

    Examples
    --------
    >>> worst_rank_scores([4, 12, 2, 2, 0], [np.nan, 3, np.nan, 5, np.nan]).tolist()
    [3.0, 1.0, 4.0, 2.0, 5.0]
    """
    from scipy.stats import rankdata

    where = "worst_rank_scores"
    v = numeric(column(data, value, "value", where), "value", where, allow_nan=True)
    d = numeric(column(data, death_day, "death_day", where), "death_day", where, allow_nan=True)
    if v.size != d.size:
        raise ValueError(f"{where}: value has {v.size} entries but death_day has {d.size}")
    key, _ = _worst_rank_key(v, d, check_better(better, where), horizon, where)
    return rankdata(key)


def worst_rank(
    value: ArrayLike | str,
    death_day: ArrayLike | str,
    group: ArrayLike | str,
    *,
    data: pd.DataFrame | None = None,
    better: str = "lower",
    horizon: float | None = None,
    arm_1=None,
    conf_level: float = 0.95,
    ci: str = "logit",
    exact: bool | None = None,
    correct: bool = True,
) -> pd.DataFrame:
    r"""Lachin's worst-rank analysis of an endpoint truncated by death.

    Every patient who died (by ``horizon``, if given) is ranked below every survivor, earlier
    deaths below later ones (same day: tied); survivors are ranked by the endpoint. The arms
    are compared by the Wilcoxon rank-sum test on these ranks (Lachin 1999), and the effect
    is the probability index of the worst-rank order,

    .. math:: \theta = P(X \succ Y) + \tfrac12 P(X \sim Y),

    the chance that a random patient of arm 1 fares better than one of arm 2 (survived when
    the other died, died later, or survived with a better value), with the interval of
    :func:`probability_index` (DeLong variance, logit-transformed by default).

    The analysis needs no value for the dead (it is ignored) and makes no assumption about
    what the dead "would have scored"; what it estimates mixes survival and the endpoint in
    the order stated, and it is decided mostly by deaths when deaths are common.

    Parameters
    ----------
    value : array-like or str
        The endpoint (e.g. ΔSOFA); required for survivors, ignored for deaths.
    death_day : array-like or str
        Day of death, NaN for patients alive at the end of follow-up.
    group : array-like or str
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    data : pandas.DataFrame, optional
        One row per patient; ``value``, ``death_day`` and ``group`` then name its columns.
    better : {"lower", "higher"}
        Which endpoint values are better among survivors ("lower" for SOFA points).
    horizon : float, optional
        Only deaths on or before this day count as deaths (later deaths need a value).
    arm_1 : optional
        The label of arm 1 when ``group`` holds labels.
    conf_level, ci, exact, correct
        As :func:`probability_index`.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value`` (Wilcoxon on the worst ranks, as R
        ``wilcox.test``), ``statistic`` (W), ``se, n_x, n_y, deaths_x, deaths_y,
        conf_level, ci_method, test, method``.

    References
    ----------
    Lachin JM. Worst-rank score analysis with informatively missing observations in clinical
    trials. Control Clin Trials 1999;20:408-422. Interval as :func:`probability_index`.

    Examples
    --------
    >>> res = worst_rank([4, 12, 2, 2, 0, 6], [np.nan, 3, np.nan, 5, np.nan, np.nan],
    ...                  [1, 1, 1, 0, 0, 0])
    >>> res[["estimate", "deaths_x", "deaths_y"]].to_numpy().tolist()
    [[0.4444444444444444, 1.0, 1.0]]
    """
    where = "worst_rank"
    conf_level = _check_common(conf_level, ci, where)
    v = numeric(column(data, value, "value", where), "value", where, allow_nan=True)
    d = numeric(column(data, death_day, "death_day", where), "death_day", where, allow_nan=True)
    g = column(data, group, "group", where)
    if not v.size == d.size:
        raise ValueError(f"{where}: value has {v.size} entries but death_day has {d.size}")
    key, dead = _worst_rank_key(v, d, check_better(better, where), horizon, where)
    x, y = _split(key, g, arm_1, where)
    dx, dy = _split(dead.astype(float), g, arm_1, where)
    return _pindex_frame(
        x,
        y,
        conf_level,
        ci,
        exact,
        correct,
        "worst rank (Lachin 1999), probability index",
        where,
        deaths_x=float(dx.sum()),
        deaths_y=float(dy.sum()),
    )


# -- DOOR -----------------------------------------------------------------------------------------


def door(
    category: ArrayLike | str,
    group: ArrayLike | str,
    *,
    data: pd.DataFrame | None = None,
    better: str = "lower",
    arm_1=None,
    conf_level: float = 0.95,
    ci: str = "logit",
) -> pd.DataFrame:
    r"""DOOR probability: the chance of a more desirable outcome on arm 1, ties counted half.

    The desirability of outcome ranking (Evans et al. 2015) orders patients by ordinal
    categories (for example 1 = alive without organ support by day 28, 2 = alive with support,
    3 = dead, with finer ranks as the protocol defines them); the caller assigns the
    categories, this function estimates

    .. math:: \theta_{DOOR} = P(C_1 \text{ more desirable than } C_2)
              + \tfrac12 P(C_1 = C_2)

    with the interval of :func:`probability_index` (DeLong variance; logit by default, which
    keeps the interval inside (0, 1)). 0.5 means no difference. ``p_value`` is the Wilcoxon
    rank-sum test with ties (normal approximation, continuity-corrected, as R).

    Parameters
    ----------
    category : array-like or str
        DOOR category (rank) of each patient; ordinal, numbers.
    group : array-like or str
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    data : pandas.DataFrame, optional
        One row per patient; ``category`` and ``group`` then name its columns.
    better : {"lower", "higher"}
        "lower": category 1 is the most desirable (Evans et al.).
    arm_1, conf_level, ci
        As :func:`probability_index`.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, statistic, se, n_x, n_y,
        conf_level, ci_method, test, method``.

    References
    ----------
    Evans SR, Rubin D, Follmann D, et al. Desirability of outcome ranking (DOOR) and response
    adjusted for duration of antibiotic risk (RADAR). Clin Infect Dis 2015;61:800-806.

    Examples
    --------
    >>> door([1, 2, 3, 1, 2, 2, 3, 3], [1, 1, 1, 1, 0, 0, 0, 0])["estimate"].item()
    0.75
    """
    where = "door"
    conf_level = _check_common(conf_level, ci, where)
    c = numeric(column(data, category, "category", where), "category", where, allow_nan=False)
    sign = 1.0 if check_better(better, where) == "higher" else -1.0
    x, y = _split(sign * c, column(data, group, "group", where), arm_1, where)
    return _pindex_frame(x, y, conf_level, ci, None, True, "DOOR probability", where)
