"""Restricted mean survival time (RMST): the area under the Kaplan-Meier curve up to a horizon,
per arm and as a difference, with the variance of the *estimator*, as R ``survival``.

lifelines' ``restricted_mean_survival_time(return_variance=True)`` returns the variance of the
truncated survival time ``min(T, tau)`` itself (lifelines issue #1682), a quantity that does not
shrink with the sample size; it is not a standard error and is not used here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialkit.stats._checks import check_conf_level

__all__ = ["rmst", "rmst_difference"]

ArrayLike = Sequence | np.ndarray | pd.Series


def _taus(tau, where: str) -> np.ndarray:
    t = np.atleast_1d(np.asarray(tau, dtype=float))
    if t.size == 0 or not np.isfinite(t).all() or (t <= 0).any():
        raise ValueError(f"{where}: tau must be one or more positive numbers, got {tau!r}")
    return t


def _area_and_variance(curve: pd.DataFrame, tau: float) -> tuple[float, float]:
    """R ``survival:::survmean``: rectangles under the step curve and Greenwood-type variance."""
    keep = curve["time"].to_numpy() <= tau
    t = curve["time"].to_numpy()[keep]
    s = curve["estimate"].to_numpy()[keep]
    n = curve["n_risk"].to_numpy(float)[keep]
    d = curve["n_event"].to_numpy(float)[keep]
    widths = np.diff(np.concatenate(([0.0], t, [tau])))
    heights = np.concatenate(([1.0], s))
    rectangles = widths * heights
    # Area from each time t_j to tau: the rectangles after it.
    after = np.cumsum(rectangles[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_var = np.where(n - d > 0, d / (n * (n - d)), 0.0)
    return float(rectangles.sum()), float(np.sum(after**2 * hazard_var))


def rmst(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    tau: float | Sequence[float],
    conf_level: float = 0.95,
    arm_1=None,
) -> pd.DataFrame:
    r"""Restricted mean survival time per arm with its standard error, as R ``survfit``.

    .. math::

        \widehat{RMST}(\tau) = \int_0^\tau \hat S(t)\,dt, \qquad
        \widehat{\mathrm{Var}} = \sum_{t_j \le \tau}
            \frac{d_j}{n_j (n_j - d_j)} \Bigl(\int_{t_j}^{\tau} \hat S(u)\,du\Bigr)^2,

    :math:`\hat S` the Kaplan-Meier curve, :math:`d_j` events among :math:`n_j` at risk at
    :math:`t_j` (a term with :math:`n_j = d_j` is 0), the Greenwood-type variance of the
    estimator (Klein & Moeschberger 2003, 4.5) that R ``print(survfit(...), rmean = tau)``
    reports as ``se(rmean)``. The CI is Wald. Beyond an arm's last follow-up the curve is held
    at its last value (as R); a warning says so
    when that value is not 0.

    Parameters
    ----------
    time, event : array-like
        Follow-up time (>= 0) and 1 = event, 0 = censored.
    group : array-like, optional
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``; one row per arm, or one overall.
    tau : float or sequence of float
        Horizon(s), e.g. 28 or [28, 90].
    conf_level : float
        Confidence level.
    arm_1 : optional
        Label of arm 1 when ``group`` holds labels.

    Returns
    -------
    pandas.DataFrame
        One row per arm and horizon: ``group`` (if given), ``tau, estimate, se, ci_low,
        ci_high, n, events`` (by tau), ``conf_level, method``.

    References
    ----------
    Royston P, Parmar MKB. Restricted mean survival time. BMC Med Res Methodol 2013;13:152.
    Klein JP, Moeschberger ML. Survival Analysis, 2nd ed. Springer 2003. Miller RG. Survival
    Analysis. Wiley 1981, p 71. Agrees with R ``survival`` 3.5 (``tests/R/rmst.R``).

    Examples
    --------
    >>> rmst([2, 3, 3, 5, 8, 10], [1, 1, 0, 1, 0, 1], tau=6)[["estimate", "se"]].round(4)
       estimate      se
    0    4.6111  0.6467
    """
    from scipy.stats import norm

    from trialkit.stats.survival import _check_survival, _curve, _groups

    where = "rmst"
    t, e = _check_survival(time, event, where)
    conf_level = check_conf_level(conf_level, where)
    z = float(norm.isf((1 - conf_level) / 2))
    taus = _taus(tau, where)
    rows = []
    for k, mask in _groups(group, len(t), arm_1, where):
        curve = _curve(t[mask], e[mask])
        last = float(t[mask].max())
        for ta in taus:
            if ta > last and curve["estimate"].iloc[-1] > 0:
                warnings.warn(
                    f"{where}: tau={ta:g} is beyond the last follow-up ({last:g})"
                    + ("" if k is None else f" of arm {k}")
                    + "; the curve is held at its last value up to tau",
                    RuntimeWarning,
                    stacklevel=2,
                )
            area, var = _area_and_variance(curve, float(ta))
            se = math.sqrt(var)
            row = {} if k is None else {"group": k}
            row.update(
                tau=float(ta),
                estimate=area,
                se=se,
                ci_low=area - z * se,
                ci_high=area + z * se,
                n=int(mask.sum()),
                events=int((e[mask] & (t[mask] <= ta)).sum()),
                conf_level=conf_level,
                method="Kaplan-Meier area, Greenwood-type variance",
            )
            rows.append(row)
    return pd.DataFrame(rows)


def rmst_difference(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    tau: float | Sequence[float],
    conf_level: float = 0.95,
    arm_1=None,
) -> pd.DataFrame:
    r"""Difference in restricted mean survival time, arm 1 minus arm 0, at one or more horizons.

    :math:`\hat\Delta = \widehat{RMST}_1(\tau) - \widehat{RMST}_0(\tau)` with
    :math:`SE = \sqrt{SE_1^2 + SE_0^2}` (independent arms; each SE as :func:`rmst`), Wald CI
    and z-test. The ratio :math:`\widehat{RMST}_1/\widehat{RMST}_0` is given beside it with a
    log-scale interval (delta method), as R ``survRM2::rmst2`` reports.

    Parameters
    ----------
    time, event, group, tau, conf_level, arm_1
        As :func:`rmst`; ``group`` is required.

    Returns
    -------
    pandas.DataFrame
        One row per horizon: ``tau, estimate, ci_low, ci_high, p_value, se, rmst_1, se_1,
        rmst_0, se_0, ratio, ratio_ci_low, ratio_ci_high, n_1, n_0, conf_level, method``.
        The unit is that of ``time`` (days of life gained within the horizon).

    References
    ----------
    Royston P, Parmar MKB. BMC Med Res Methodol 2013;13:152. Uno H, Claggett B, Tian L, et al.
    Moving beyond the hazard ratio in quantifying the between-group difference in survival
    analysis. J Clin Oncol 2014;32:2380-2385.

    Examples
    --------
    >>> res = rmst_difference([2, 3, 3, 5, 8, 10, 4, 6, 9, 12, 12, 15],
    ...                       [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1],
    ...                       [0] * 6 + [1] * 6, tau=10)
    >>> res[["estimate", "rmst_1", "rmst_0"]].round(3)
       estimate  rmst_1  rmst_0
    0     2.403   8.792   6.389
    """
    from scipy.stats import norm

    from trialkit.stats.survival import _check_two_arms

    where = "rmst_difference"
    t, e, g = _check_two_arms(time, event, group, arm_1, conf_level, where)
    z = float(norm.isf((1 - conf_level) / 2))
    per_arm = rmst(t, e, g.astype(int), tau=tau, conf_level=conf_level)
    rows = []
    for ta, part in per_arm.groupby("tau", sort=True):
        a1 = part[part["group"] == 1].iloc[0]
        a0 = part[part["group"] == 0].iloc[0]
        diff = a1["estimate"] - a0["estimate"]
        se = math.hypot(a1["se"], a0["se"])
        p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else math.nan
        ratio = a1["estimate"] / a0["estimate"]
        se_log = math.hypot(a1["se"] / a1["estimate"], a0["se"] / a0["estimate"])
        rows.append(
            {
                "tau": float(ta),
                "estimate": diff,
                "ci_low": diff - z * se,
                "ci_high": diff + z * se,
                "p_value": p,
                "se": se,
                "rmst_1": a1["estimate"],
                "se_1": a1["se"],
                "rmst_0": a0["estimate"],
                "se_0": a0["se"],
                "ratio": ratio,
                "ratio_ci_low": ratio * math.exp(-z * se_log),
                "ratio_ci_high": ratio * math.exp(z * se_log),
                "n_1": int(a1["n"]),
                "n_0": int(a0["n"]),
                "conf_level": conf_level,
                "method": "RMST difference (Kaplan-Meier), Wald CI",
            }
        )
    return pd.DataFrame(rows)
