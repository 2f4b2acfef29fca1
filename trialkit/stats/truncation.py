"""Truncation by death: the survivors-only comparison and its principal-stratum bounds.

Comparing an endpoint among survivors compares different people: if the treatment keeps alive
patients who would have died on control, its survivors include sicker patients, and the
difference is no longer protected by randomization. The survivor average causal effect (SACE),
the effect among patients who would survive on either arm ("always-survivors"), is not
identified, but under monotonicity (the treatment kills no one who would survive on control) it
is bounded (Zhang & Rubin 2003): the control survivors are all always-survivors; among the
treated survivors a share ``pi = p_0 / p_1`` are, and the bounds put them at the bottom or at
the top of the treated survivors' outcomes (trimming, as Lee 2009).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialkit.stats._checks import as_group, check_conf_level, numeric
from trialkit.stats.composite import column

__all__ = ["survivor_bounds"]

ArrayLike = Sequence | np.ndarray | pd.Series


def _trimmed_means(values: np.ndarray, counts: np.ndarray, q: np.ndarray) -> tuple:
    """Mean of the lowest and of the highest ``q`` of each row's first ``counts`` values.

    ``values`` is sorted ascending along rows (NaN padding after the ``counts`` values); ``q``
    (at most ``counts``) may be fractional: the boundary value enters with that fraction.
    """
    whole = np.floor(q).astype(int)
    frac = q - whole
    filled = np.where(np.isnan(values), 0.0, values)
    csum = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(filled, 1)], 1)
    rows = np.arange(values.shape[0])
    nxt = filled[rows, np.minimum(whole, values.shape[1] - 1)]
    low = (csum[rows, whole] + frac * nxt) / q
    total = csum[rows, counts]
    top_start = counts - whole  # index of the first fully kept top value
    prev = filled[rows, np.maximum(top_start - 1, 0)]
    high = (total - csum[rows, top_start] + frac * prev) / q
    return low, high


def _bounds(y_t: np.ndarray, n_t: np.ndarray, y_c: np.ndarray, n_c: np.ndarray):
    """Bounds for (treated - control) when the treated survivors hold the protected patients.

    Rows are samples (the data, or bootstrap replicates); ``y`` sorted, NaN for deaths.
    """
    s_t, s_c = np.sum(~np.isnan(y_t), 1), np.sum(~np.isnan(y_c), 1)
    # Survivors kept, pi * s_t = s_c * n_t / n_c, computed so that whole numbers stay whole.
    q = np.minimum(s_c * n_t / n_c, s_t)
    low, high = _trimmed_means(y_t, s_t, q)
    mean_c = np.nanmean(y_c, 1)
    return low - mean_c, high - mean_c, q / s_t


def _imbens_manski(lo, hi, se_lo, se_hi, conf_level) -> tuple[float, float]:
    """Imbens & Manski (2004) interval for a partially identified parameter."""
    from scipy import optimize
    from scipy.stats import norm

    width = max(hi - lo, 0.0)
    s = max(se_lo, se_hi)
    if not (np.isfinite(s) and s > 0):
        return math.nan, math.nan
    c = optimize.brentq(
        lambda c: norm.cdf(c + width / s) - norm.cdf(-c) - conf_level, 0.0, 10.0, xtol=1e-12
    )
    return lo - c * se_lo, hi + c * se_hi


def survivor_bounds(
    value: ArrayLike | str,
    death_day: ArrayLike | str,
    group: ArrayLike | str,
    *,
    data: pd.DataFrame | None = None,
    horizon: float | None = None,
    arm_1=None,
    monotonicity: str = "arm_1",
    conf_level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 20261201,
) -> pd.DataFrame:
    r"""Survivors-only difference (arm 1 - arm 2) and the Zhang-Rubin bounds on the SACE.

    Survivors only: :math:`\bar Y_1^{S} - \bar Y_0^{S}` with Welch's t interval: what a
    comparison restricted to survivors reports.

    SACE bounds under monotonicity ``"arm_1"`` (arm 1 kills no one who would survive on arm
    2, so :math:`p_1 \ge p_0`): the arm-2 survivors are always-survivors; a share
    :math:`\pi = p_0/p_1` of the arm-1 survivors are. With :math:`\bar Y_{1,\text{low}}(\pi)`
    and :math:`\bar Y_{1,\text{high}}(\pi)` the means of the lowest and highest
    :math:`\pi` share of the arm-1 survivors' values (the boundary patient counted
    fractionally),

    .. math::

        \bar Y_{1,\text{low}}(\pi) - \bar Y_0^{S} \;\le\; \text{SACE} \;\le\;
        \bar Y_{1,\text{high}}(\pi) - \bar Y_0^{S}.

    ``monotonicity="arm_2"`` (arm 1 may only harm) trims the arm-2 survivors instead. The
    bounds are sharp: nothing in the data narrows them without a further assumption. When the
    observed survival contradicts the assumed direction, :math:`\pi` is capped at 1 (no
    trimming: the bounds collapse onto the survivors-only difference) with a warning.

    The interval is that of Imbens & Manski (2004) for the SACE (not for the bounds), with
    standard errors of the two bounds from ``n_boot`` bootstrap resamples within arm (deaths
    resampled too, so the survival shares vary), seeded.

    Parameters
    ----------
    value : array-like or str
        The endpoint; required for survivors, ignored for deaths.
    death_day : array-like or str
        Day of death, NaN if alive.
    group : array-like or str
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    data : pandas.DataFrame, optional
        One row per patient; the three arguments then name its columns.
    horizon : float, optional
        Only deaths by this day truncate the endpoint.
    arm_1 : optional
        Label of arm 1.
    monotonicity : {"arm_1", "arm_2"}
        Which arm can only save lives (see above).
    conf_level : float
        Confidence level of the Welch and Imbens-Manski intervals.
    n_boot : int
        Bootstrap resamples for the standard errors of the bounds.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``analysis`` = "survivors only" and "SACE bounds": ``estimate`` (the
        survivors-only difference; NaN for the bounds row, whose parameter is not identified),
        ``ci_low, ci_high, p_value`` (Welch; Imbens-Manski for the bounds), ``bound_low,
        bound_high, se_low, se_high, pi`` (share of the trimmed arm's survivors kept),
        ``n_x, n_y`` (survivors), ``surv_x, surv_y`` (survival proportions), ``conf_level,
        method``.

    References
    ----------
    Zhang JL, Rubin DB. Estimation of causal effects via principal stratification when some
    outcomes are truncated by "death". J Educ Behav Stat 2003;28:353-368. Lee DS. Training,
    wages, and sample selection: estimating sharp bounds on treatment effects. Rev Econ Stud
    2009;76:1071-1102. Imbens GW, Manski CF. Confidence intervals for partially identified
    parameters. Econometrica 2004;72:1845-1857.

    Examples
    --------
    Arm 1: survivors 1, 2, 3, 4 and one death; arm 2: survivors 2, 2, 5 and two deaths.
    :math:`\pi = 0.6/0.8 = 0.75`: three of the four arm-1 survivors are always-survivors, so
    the SACE lies between (1 + 2 + 3)/3 - 3 = -1 and (2 + 3 + 4)/3 - 3 = 0.

    >>> res = survivor_bounds([1, 2, 3, 4, 0, 2, 2, 5, 0, 0], [np.nan] * 4 + [3] +
    ...                       [np.nan] * 3 + [2, 6], [1] * 5 + [0] * 5, n_boot=200)
    >>> res[["analysis", "estimate", "bound_low", "bound_high", "pi"]].round(3)
             analysis  estimate  bound_low  bound_high    pi
    0  survivors only      -0.5        NaN         NaN   NaN
    1     SACE bounds       NaN       -1.0         0.0  0.75
    """
    from scipy.stats import ttest_ind

    where = "survivor_bounds"
    conf_level = check_conf_level(conf_level, where)
    if monotonicity not in ("arm_1", "arm_2"):
        raise ValueError(f"{where}: monotonicity must be 'arm_1' or 'arm_2', got {monotonicity!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 50:
        raise ValueError(f"{where}: n_boot must be an integer >= 50, got {n_boot!r}")
    v = numeric(column(data, value, "value", where), "value", where, allow_nan=True)
    d = numeric(column(data, death_day, "death_day", where), "death_day", where, allow_nan=True)
    g = as_group(column(data, group, "group", where), where, arm_1)
    if not v.size == d.size == g.size:
        raise ValueError(f"{where}: value, death_day and group must have the same length")
    dead = ~np.isnan(d) if horizon is None else (~np.isnan(d) & (d <= horizon))
    missing = ~dead & np.isnan(v)
    if missing.any():
        raise ValueError(
            f"{where}: survivors need an endpoint value; rows "
            f"{np.flatnonzero(missing)[:5].tolist()} are alive with a missing value"
        )
    y = np.where(dead, np.nan, v)
    y1, y0 = y[g], y[~g]
    s1, s0 = y1[~np.isnan(y1)], y0[~np.isnan(y0)]
    if s1.size < 2 or s0.size < 2:
        raise ValueError(f"{where}: each arm needs at least two survivors")
    surv_1, surv_0 = s1.size / y1.size, s0.size / y0.size
    welch = ttest_ind(s1, s0, equal_var=False)
    ci = welch.confidence_interval(conf_level)
    naive = float(s1.mean() - s0.mean())

    treated_saves = monotonicity == "arm_1"
    if (surv_1 < surv_0) if treated_saves else (surv_0 < surv_1):
        warnings.warn(
            f"{where}: observed survival ({surv_1:.3f} in arm 1, {surv_0:.3f} in arm 2) "
            f"contradicts monotonicity={monotonicity!r}; no trimming (pi = 1), the bounds "
            "collapse onto the survivors-only difference",
            RuntimeWarning,
            stacklevel=2,
        )
    rng = np.random.default_rng(seed)

    def samples(arr: np.ndarray) -> np.ndarray:
        """Row 0: the data; rows 1..n_boot: resamples; each row sorted, deaths (NaN) last."""
        idx = rng.integers(0, arr.size, (n_boot, arr.size))
        return np.sort(np.vstack([arr, arr[idx]]), 1)

    b1, b0 = samples(y1), samples(y0)
    n1, n0 = np.full(n_boot + 1, y1.size), np.full(n_boot + 1, y0.size)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample with no survivor
        if treated_saves:
            low, high, share = _bounds(b1, n1, b0, n0)
        else:  # trim arm 2: bounds of (arm 2 - arm 1), negated and swapped
            lo_c, hi_c, share = _bounds(b0, n0, b1, n1)
            low, high = -hi_c, -lo_c
    ok = np.isfinite(low[1:]) & np.isfinite(high[1:])
    se_lo, se_hi = float(np.std(low[1:][ok], ddof=1)), float(np.std(high[1:][ok], ddof=1))
    im_lo, im_hi = _imbens_manski(float(low[0]), float(high[0]), se_lo, se_hi, conf_level)
    common = {
        "n_x": int(s1.size),
        "n_y": int(s0.size),
        "surv_x": surv_1,
        "surv_y": surv_0,
        "conf_level": conf_level,
    }
    nan = math.nan
    rows = [
        {
            "analysis": "survivors only",
            "estimate": naive,
            "ci_low": float(ci.low),
            "ci_high": float(ci.high),
            "p_value": float(welch.pvalue),
            "bound_low": nan,
            "bound_high": nan,
            "se_low": nan,
            "se_high": nan,
            "pi": nan,
            **common,
            "method": "difference in survivors' means, Welch t",
        },
        {
            "analysis": "SACE bounds",
            "estimate": nan,
            "ci_low": im_lo,
            "ci_high": im_hi,
            "p_value": nan,
            "bound_low": float(low[0]),
            "bound_high": float(high[0]),
            "se_low": se_lo,
            "se_high": se_hi,
            "pi": float(share[0]),
            **common,
            "method": f"Zhang-Rubin bounds, monotonicity {monotonicity}, Imbens-Manski CI "
            f"({n_boot} bootstrap resamples)",
        },
    ]
    return pd.DataFrame(rows)
