"""Time to event: Kaplan-Meier curves with R's confidence intervals, the log-rank test and the
Cox hazard ratio, arm 1 over arm 0.

``group`` is 0/1 with 1 = arm 1 (the experimental arm), or any two labels with ``arm_1=``
naming arm 1. Estimation rests on lifelines; the interval transforms are R's. Results agree with
R ``survival`` (``survfit``, ``survdiff``, ``coxph``) to 1e-4 or better (``tests/R/survival.R``).

Note on intervals. R ``survfit`` uses ``conf.type="log"`` by default,
:math:`\\exp(\\log\\hat S \\pm z\\,\\sigma)`, with :math:`\\sigma^2` Greenwood's sum; lifelines
(and Stata, SAS) use log(-log). The two differ most in the tails; trialkit defaults to R's
"log" and offers "log-log" and "plain", each as R computes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.stats._checks import as_group, check_conf_level

__all__ = ["cox_hazard_ratio", "kaplan_meier", "km_at", "logrank"]

ArrayLike = Sequence | np.ndarray | pd.Series
CONF_TYPES = ("log", "log-log", "plain")


def _check_survival(time: ArrayLike, event: ArrayLike, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Float times >= 0 and boolean events, or a ``ValueError`` naming the rows at fault."""
    t = pd.to_numeric(pd.Series(np.asarray(time).ravel()), errors="coerce").to_numpy(float)
    e_raw = pd.Series(np.asarray(event).ravel())
    if len(t) == 0:
        raise ValueError(f"{where}: time is empty; there is nothing to estimate")
    if len(e_raw) != len(t):
        raise ValueError(f"{where}: time has {len(t)} values but event has {len(e_raw)}")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ValueError(
            f"{where}: time must be a finite number >= 0; rows {np.flatnonzero(bad)[:5].tolist()}"
        )
    e = pd.to_numeric(e_raw, errors="coerce").to_numpy(float)
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"{where}: event must be 0 (censored) or 1 (event); "
            f"rows {np.flatnonzero(bad)[:5].tolist()}"
        )
    return t, e == 1


def _check_two_arms(
    time: ArrayLike, event: ArrayLike, group: ArrayLike, arm_1, conf_level: float, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, e = _check_survival(time, event, where)
    check_conf_level(conf_level, where)
    g = as_group(group, where, arm_1)
    if len(g) != len(t):
        raise ValueError(f"{where}: group has {len(g)} values but time has {len(t)}")
    if g.all() or not g.any():
        raise ValueError(f"{where}: both arms need patients; group has one arm only")
    return t, e, g


def _check_conf(conf_level: float, conf_type: str, where: str) -> float:
    check_conf_level(conf_level, where)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"{where}: conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    return stats.norm.ppf(0.5 + conf_level / 2)


def _groups(
    group: ArrayLike | None, n: int, arm_1, where: str
) -> list[tuple[int | None, np.ndarray]]:
    if group is None:
        return [(None, np.ones(n, bool))]
    g = as_group(group, where, arm_1)
    if len(g) != n:
        raise ValueError(f"{where}: group has {len(g)} values but time has {n}")
    return [(k, g == bool(k)) for k in (0, 1) if (g == bool(k)).any()]


def _confint(
    surv: np.ndarray, se_cumhaz: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``survival:::survfit_confint`` for the log, log-log and plain transforms."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            s = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(s) - z * se_cumhaz), np.minimum(
                np.exp(np.log(s) + z * se_cumhaz), 1
            )
        if conf_type == "log-log":
            s = np.where((surv == 0) | (surv == 1), np.nan, surv)
            half = z * se_cumhaz / np.log(s)
            lls = np.log(-np.log(s))
            return np.exp(-np.exp(lls - half)), np.exp(-np.exp(lls + half))
        half = z * se_cumhaz * surv
        return np.maximum(surv - half, 0), np.minimum(surv + half, 1)


def _curve(t: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    """One KM curve at every distinct time, with Greenwood's sum for the cumulative hazard."""
    from lifelines import KaplanMeierFitter  # about a second to import: only where used

    km = KaplanMeierFitter().fit(t, e)
    table = km.event_table
    table = table[table["removed"] > 0]  # lifelines adds a time-0 row even with no one there
    n_risk = table["at_risk"].to_numpy(float)
    d = table["observed"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    return pd.DataFrame(
        {
            "time": table.index.to_numpy(float),
            "n_risk": n_risk.astype(int),
            "n_event": d.astype(int),
            "n_censor": table["censored"].to_numpy(int),
            "estimate": km.survival_function_.loc[table.index].iloc[:, 0].to_numpy(float),
            "se_cumhaz": np.sqrt(np.cumsum(terms)),
        }
    )


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    conf_level: float = 0.95,
    conf_type: str = "log",
    arm_1=None,
) -> pd.DataFrame:
    r"""Kaplan-Meier survival curve(s) with pointwise confidence intervals, as R ``survfit``.

    .. math::

        \hat S(t) = \prod_{t_j \le t}\Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
        \sigma^2(t) = \sum_{t_j \le t} \frac{d_j}{n_j (n_j - d_j)} \text{ (Greenwood)}.

    Intervals: "log" :math:`\hat S e^{\pm z\sigma}` (upper limit capped at 1; R's default);
    "log-log" :math:`\hat S^{\exp(\pm z\sigma/\log\hat S)}`; "plain"
    :math:`\hat S \pm z\sigma\hat S` clipped to [0, 1]. Where :math:`\hat S = 0` (and, for
    log-log, :math:`\hat S = 1`) the transform is undefined and the limits are NaN, as in R.

    Parameters
    ----------
    time : array-like
        Follow-up time (>= 0), e.g. days from randomization to death or last contact.
    event : array-like
        1 = event (death) at ``time``, 0 = censored.
    group : array-like, optional
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``. One curve per arm, or one overall.
    conf_level : float
        Confidence level of the pointwise intervals.
    conf_type : {"log", "log-log", "plain"}
        Transform of the interval (see above).
    arm_1 : optional
        Label of arm 1 when ``group`` holds labels.

    Returns
    -------
    pandas.DataFrame
        One row per arm and distinct time (event or censoring), as R
        ``summary(survfit(...), censored=TRUE)``: ``group`` (if given), ``time, n_risk,
        n_event, n_censor, estimate`` (survival just after ``time``), ``std_err`` (Greenwood
        SE of the survival), ``ci_low, ci_high, conf_type, conf_level``. The curve starts at
        1 before the first time; prepend ``time = 0, estimate = 1`` to plot it.

    References
    ----------
    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481. Greenwood M. Reports on Public Health
    and Medical Subjects 1926;33. Therneau TM. A Package for Survival Analysis in R.

    Examples
    --------
    >>> km = kaplan_meier([9, 13, 13, 18, 23], [1, 1, 0, 1, 1])
    >>> km[["time", "n_risk", "estimate", "ci_low", "ci_high"]].round(3)
       time  n_risk  estimate  ci_low  ci_high
    0   9.0       5       0.8   0.516      1.0
    1  13.0       4       0.6   0.293      1.0
    2  18.0       2       0.3   0.063      1.0
    3  23.0       1       0.0     NaN      NaN
    """
    where = "kaplan_meier"
    t, e = _check_survival(time, event, where)
    z = _check_conf(conf_level, conf_type, where)
    frames = []
    for k, mask in _groups(group, len(t), arm_1, where):
        c = _curve(t[mask], e[mask])
        c["std_err"] = c["se_cumhaz"] * c["estimate"]
        c["ci_low"], c["ci_high"] = _confint(
            c["estimate"].to_numpy(), c["se_cumhaz"].to_numpy(), z, conf_type
        )
        if k is not None:
            c.insert(0, "group", k)
        frames.append(c.drop(columns="se_cumhaz"))
    out = pd.concat(frames, ignore_index=True)
    out["conf_type"], out["conf_level"] = conf_type, conf_level
    return out


def km_at(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    times: ArrayLike = (28,),
    conf_level: float = 0.95,
    conf_type: str = "log",
    arm_1=None,
) -> pd.DataFrame:
    r"""Kaplan-Meier survival and numbers at risk at given times, as R
    ``summary(survfit(...), times=times, extend=TRUE)``.

    :math:`\hat S(\tau)` is the curve's value at the last distinct time :math:`\le \tau` (1
    before the first); the number at risk at :math:`\tau` counts patients with
    time :math:`\ge \tau` (the row under a KM plot). Beyond the last follow-up the curve stays
    at its last value with 0 at risk.

    Parameters
    ----------
    time, event, group, conf_level, conf_type, arm_1
        As :func:`kaplan_meier`.
    times : array-like
        Times at which to read the curve(s), e.g. ``[28]`` or ``[0, 7, 14, 21, 28]``.

    Returns
    -------
    pandas.DataFrame
        One row per arm and time: ``group`` (if given), ``time, n_risk, estimate, ci_low,
        ci_high, conf_type, conf_level``.

    References
    ----------
    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481.

    Examples
    --------
    >>> km_at([9, 13, 13, 18, 23], [1, 1, 0, 1, 1], times=[0, 15])[["time", "n_risk", "estimate"]]
       time  n_risk  estimate
    0   0.0       5       1.0
    1  15.0       2       0.6
    """
    where = "km_at"
    t, e = _check_survival(time, event, where)
    z = _check_conf(conf_level, conf_type, where)
    tau = np.atleast_1d(np.asarray(times, float))
    if len(tau) == 0 or not np.isfinite(tau).all():
        raise ValueError(f"{where}: times must be one or more finite numbers, got {times!r}")
    frames = []
    for k, mask in _groups(group, len(t), arm_1, where):
        c = _curve(t[mask], e[mask])
        idx = np.searchsorted(c["time"].to_numpy(), tau, side="right") - 1
        before = idx < 0
        surv = np.where(before, 1.0, c["estimate"].to_numpy()[idx])
        se = np.where(before, 0.0, c["se_cumhaz"].to_numpy()[idx])
        lo, hi = _confint(surv, se, z, conf_type)
        # Before the first observed time R reads the curve's implicit start: S = 1, limits 1.
        lo, hi = np.where(before, 1.0, lo), np.where(before, 1.0, hi)
        sorted_t = np.sort(t[mask])
        n_risk = len(sorted_t) - np.searchsorted(sorted_t, tau, side="left")
        f = pd.DataFrame(
            {"time": tau, "n_risk": n_risk, "estimate": surv, "ci_low": lo, "ci_high": hi}
        )
        if k is not None:
            f.insert(0, "group", k)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["conf_type"], out["conf_level"] = conf_type, conf_level
    return out


def logrank(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    conf_level: float = 0.95,
    arm_1=None,
) -> pd.DataFrame:
    r"""Log-rank test of arm 1 against arm 0, with observed and expected events as R ``survdiff``.

    At each distinct event time :math:`t_j` with :math:`d_j` events among :math:`n_j` at risk,
    :math:`n_{1j}` of them in arm 1:

    .. math::

        E_1 = \sum_j d_j \frac{n_{1j}}{n_j}, \quad
        V = \sum_j d_j \frac{n_{1j}}{n_j}\Bigl(1-\frac{n_{1j}}{n_j}\Bigr)\frac{n_j-d_j}{n_j-1},
        \quad X^2 = \frac{(O_1 - E_1)^2}{V} \sim \chi^2_1.

    The estimate is the Peto (one-step) hazard ratio :math:`\exp\{(O_1-E_1)/V\}` with CI
    :math:`\exp\{(O_1-E_1)/V \pm z/\sqrt V\}`: the effect size that goes with this test,
    close to the Cox estimate when the hazard ratio is near 1 (use :func:`cox_hazard_ratio`
    as the primary estimate).

    Parameters
    ----------
    time, event : array-like
        Follow-up time and event indicator (1 = event).
    group : array-like
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    conf_level : float
        Confidence level for the Peto hazard ratio.
    arm_1 : optional
        Label of arm 1 when ``group`` holds labels.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high`` (Peto HR), ``statistic`` (chi-squared, 1 df),
        ``df, p_value, observed_1, expected_1, observed_0, expected_0, variance, n_1, n_0,
        method``.

    References
    ----------
    Peto R, Peto J. Asymptotically efficient rank invariant test procedures. J R Stat Soc A
    1972;135:185-207. Agrees with R ``survdiff`` (and lifelines ``logrank_test``).

    Examples
    --------
    >>> res = logrank([5, 8, 12, 23, 9, 13, 18, 31], [1, 1, 1, 1, 1, 1, 0, 1],
    ...               [0, 0, 0, 0, 1, 1, 1, 1])
    >>> res[["statistic", "p_value", "observed_1", "expected_1"]].round(3)
       statistic  p_value  observed_1  expected_1
    0      1.808    0.179           3       4.588
    """
    t, e, g = _check_two_arms(time, event, group, arm_1, conf_level, "logrank")
    where = "logrank"
    # Risk sets by reverse cumulative sums over the sorted distinct times: O(n log n), one pass;
    # the statistic is computed here, once (lifelines' logrank_test would redo all of it).
    ut, inv = np.unique(t, return_inverse=True)
    n_at = np.cumsum(np.bincount(inv, minlength=len(ut))[::-1])[::-1].astype(float)
    n1_at = np.cumsum(np.bincount(inv, weights=g, minlength=len(ut))[::-1])[::-1]
    d = np.bincount(inv, weights=e, minlength=len(ut))
    frac = n1_at / n_at
    with np.errstate(divide="ignore", invalid="ignore"):
        ties = np.where(n_at > 1, (n_at - d) / (n_at - 1), 0.0)
    e1 = float((d * frac).sum())
    v = float((d * frac * (1 - frac) * ties).sum())
    o1, o_all = float(e[g].sum()), float(e.sum())
    z = stats.norm.ppf(0.5 + conf_level / 2)
    if v > 0:
        log_hr = (o1 - e1) / v
        est, lo, hi = (
            np.exp(log_hr),
            np.exp(log_hr - z / np.sqrt(v)),
            np.exp(log_hr + z / np.sqrt(v)),
        )
        chisq = (o1 - e1) ** 2 / v
        p_value = float(stats.chi2.sf(chisq, 1))
    else:
        warnings.warn(
            f"{where}: no information (variance 0): no events?", RuntimeWarning, stacklevel=2
        )
        est = lo = hi = chisq = p_value = np.nan
    row = {
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "statistic": chisq,
        "df": 1,
        "p_value": p_value,
        "observed_1": int(o1),
        "expected_1": e1,
        "observed_0": int(o_all - o1),
        "expected_0": o_all - e1,
        "variance": v,
        "n_1": int(g.sum()),
        "n_0": int((~g).sum()),
        "conf_level": conf_level,
        "method": "log-rank (Peto O-E/V hazard ratio)",
    }
    return pd.DataFrame([row])


def cox_hazard_ratio(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    covariates: pd.DataFrame | None = None,
    strata: ArrayLike | None = None,
    conf_level: float = 0.95,
    arm_1=None,
) -> pd.DataFrame:
    r"""Cox proportional-hazards ratio of arm 1 over arm 0: Efron ties, Wald CI and p, as ``coxph``.

    .. math::

        h(t \mid x) = h_{0s}(t)\exp(\beta\,\mathrm{arm}_1 + \gamma^\top z), \qquad
        \mathrm{HR} = e^{\hat\beta}, \quad
        e^{\hat\beta \pm z_{1-\alpha/2}\,\widehat{SE}(\hat\beta)},

    :math:`\hat\beta` maximizing the partial likelihood with Efron's handling of tied times,
    with a separate baseline hazard :math:`h_{0s}` per stratum :math:`s` when ``strata`` is
    given. The p-value is the Wald test of :math:`\beta = 0`.

    Parameters
    ----------
    time, event : array-like
        Follow-up time and event indicator (1 = event).
    group : array-like
        Arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    covariates : pandas.DataFrame, optional
        Adjustment covariates, one row per patient (aligned by position). Numeric columns enter
        linearly; text/categorical columns are dummy-coded against their first level.
    strata : array-like, optional
        Stratum (e.g. site) of each patient: one baseline hazard per stratum.
    conf_level : float
        Confidence level.
    arm_1 : optional
        Label of arm 1 when ``group`` holds labels.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (HR), ``ci_low, ci_high, p_value, coef`` (log HR), ``se, n,
        events, events_1, events_0, n_1, n_0, method``. If one arm has no event the partial
        likelihood has no maximum (the HR is 0 or Inf): the estimate is returned as such, the
        rest NaN, with a warning.

    References
    ----------
    Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220. Efron B. The
    efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
    1977;72:557-565. Fitted by lifelines ``CoxPHFitter``; agrees with R ``coxph``.

    Examples
    --------
    >>> res = cox_hazard_ratio([5, 8, 12, 23, 9, 13, 18, 31], [1, 1, 1, 1, 1, 1, 0, 1],
    ...                        [0, 0, 0, 0, 1, 1, 1, 1])
    >>> res[["estimate", "ci_low", "ci_high", "p_value"]].round(3)
       estimate  ci_low  ci_high  p_value
    0     0.323   0.057    1.817      0.2
    """
    t, e, g = _check_two_arms(time, event, group, arm_1, conf_level, "cox_hazard_ratio")
    where = "cox_hazard_ratio"
    df = pd.DataFrame({"__time": t, "__event": e.astype(int), "__arm_1": g.astype(float)})
    if covariates is not None:
        cov = pd.DataFrame(covariates).reset_index(drop=True)
        if len(cov) != len(t):
            raise ValueError(f"{where}: covariates have {len(cov)} rows but time has {len(t)}")
        if cov.isna().any(axis=None):
            cols = cov.columns[cov.isna().any()].tolist()
            raise ValueError(f"{where}: covariates {cols} have missing values")
        cov = pd.get_dummies(cov, drop_first=True, dtype=float)
        df = pd.concat([df, cov.add_prefix("cov:")], axis=1)
    strata_cols = None
    if strata is not None:
        s = pd.Series(np.asarray(strata).ravel())
        if len(s) != len(t) or s.isna().any():
            raise ValueError(f"{where}: strata must have one non-missing value per patient")
        df["__stratum"] = pd.factorize(s)[0]
        strata_cols = ["__stratum"]
    from lifelines import CoxPHFitter  # about a second to import: only where used

    e1, e0 = int(e[g].sum()), int(e[~g].sum())
    base = {
        "n": len(t),
        "events": e1 + e0,
        "events_1": e1,
        "events_0": e0,
        "n_1": int(g.sum()),
        "n_0": int((~g).sum()),
        "conf_level": conf_level,
        "method": "Cox PH, Efron ties, Wald CI" + (", stratified" if strata_cols else ""),
    }
    if e1 == 0 or e0 == 0:
        warnings.warn(
            f"{where}: arm {1 if e1 == 0 else 0} has no events, so the hazard ratio has no finite "
            "estimate (monotone likelihood); estimate is 0 or Inf and the rest NaN. Report the "
            "events by arm and the log-rank test instead.",
            RuntimeWarning,
            stacklevel=2,
        )
        est = 0.0 if e1 == 0 else np.inf
        nan = {k: np.nan for k in ("ci_low", "ci_high", "p_value", "coef", "se")}
        return pd.DataFrame([{"estimate": est, **nan, **base}])
    cph = CoxPHFitter().fit(
        df,
        duration_col="__time",
        event_col="__event",
        strata=strata_cols,
        # lifelines' own heuristic picks its per-time path above ~2e5 rows even with 28
        # distinct days; with heavy ties (integer days) the batch path is ~10x faster at 1e6.
        batch_mode=True if len(np.unique(t)) <= 0.1 * len(t) else None,
        fit_options={"precision": 1e-10},
    )
    coef = float(cph.params_["__arm_1"])
    se = float(cph.standard_errors_["__arm_1"])
    z = stats.norm.ppf(0.5 + conf_level / 2)
    row = {
        "estimate": np.exp(coef),
        "ci_low": np.exp(coef - z * se),
        "ci_high": np.exp(coef + z * se),
        "p_value": 2 * stats.norm.sf(abs(coef) / se),
        "coef": coef,
        "se": se,
        **base,
    }
    return pd.DataFrame([row])
