"""Two-by-two measures for a binary outcome in two arms: risk ratio, risk difference, odds ratio,
Fisher's exact test, the chi-squared test and the Mantel-Haenszel risk ratio across strata.

Every function takes the counts of one comparison, arm 1 over arm 2: ``a`` events among ``n1``
patients of arm 1 (the experimental arm) and ``b`` events among ``n2`` patients of arm 2 (the
control arm), and returns a one-row :class:`pandas.DataFrame` with ``estimate, ci_low, ci_high,
p_value`` plus the counts and the ``method``. Results agree with R ``epitools``,
``stats::fisher.test``, ``stats::chisq.test``, ``stats::prop.test`` and
``stats::mantelhaen.test`` (see ``tests/R/binary.R``).

Zero cells. A log-Wald interval divides by each count it takes the log of, so with a zero
count it is undefined. R epitools then returns the estimate (0 or Inf) with a lower limit of 0
and an upper limit NaN: an artefact of ``exp(-Inf - Inf)`` and ``exp(-Inf + Inf)``, not an
interval. Here the estimate is kept, both limits are NaN and a :class:`RuntimeWarning` says
what to do instead: ``correction=0.5`` adds 0.5 to every cell of a table that has a zero
(Haldane-Anscombe), and ``odds_ratio(..., method="exact")`` or ``risk_difference(...,
method="newcombe")`` give intervals that need no correction. Nothing is corrected unless asked.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep

from trialkit.stats._checks import as_group, check_conf_level

__all__ = [
    "chi2_test",
    "fisher_exact",
    "mantel_haenszel_rr",
    "odds_ratio",
    "risk_difference",
    "risk_ratio",
]


# -- input checks ------------------------------------------------------------------------------


def _check_counts(a: float, n1: float, b: float, n2: float, where: str) -> tuple[int, ...]:
    """Return the four counts as ints, or raise ``ValueError`` naming the rule broken."""
    out = []
    for name, v in (("a", a), ("n1", n1), ("b", b), ("n2", n2)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {name} must be a count, got {v!r}") from None
        if not np.isfinite(f) or f < 0 or f != int(f):
            raise ValueError(f"{where}: {name} must be a non-negative integer count, got {v!r}")
        out.append(int(f))
    a_, n1_, b_, n2_ = out
    if n1_ == 0 or n2_ == 0:
        arm = "1 (n1)" if n1_ == 0 else "2 (n2)"
        raise ValueError(f"{where}: arm {arm} has no patients; a comparison needs both arms")
    if a_ > n1_:
        raise ValueError(f"{where}: a={a_} events exceed n1={n1_} patients in arm 1")
    if b_ > n2_:
        raise ValueError(f"{where}: b={b_} events exceed n2={n2_} patients in arm 2")
    return a_, n1_, b_, n2_


def _check_method(method: str, allowed: dict[str, str], where: str) -> str:
    key = str(method).lower()
    if key not in allowed:
        raise ValueError(f"{where}: method must be one of {sorted(allowed)}, got {method!r}")
    return allowed[key]


def _frame(
    estimate: float,
    lo: float,
    hi: float,
    p: float,
    counts: tuple[int, ...],
    conf_level: float,
    method: str,
    **extra: float | str,
) -> pd.DataFrame:
    a, n1, b, n2 = counts
    row = {
        "estimate": float(estimate),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
        **extra,
        "a": a,
        "n1": n1,
        "b": b,
        "n2": n2,
        "risk_1": a / n1,
        "risk_2": b / n2,
        "conf_level": conf_level,
        "method": method,
    }
    return pd.DataFrame([row])


def _zero_cell_warning(where: str, cells: str) -> None:
    warnings.warn(
        f"{where}: the log-Wald interval is undefined with a zero cell ({cells}); ci_low, "
        "ci_high and p_value are NaN. Ask for correction=0.5 (Haldane-Anscombe) or use an "
        "interval that needs no correction (odds_ratio method='exact', risk_difference "
        "method='newcombe').",
        RuntimeWarning,
        stacklevel=3,
    )


def _log_wald(log_est: float, se: float, conf_level: float) -> tuple[float, float, float]:
    z = stats.norm.ppf(0.5 + conf_level / 2)
    p = 2 * stats.norm.sf(abs(log_est) / se) if se > 0 else (1.0 if log_est == 0 else 0.0)
    return float(np.exp(log_est - z * se)), float(np.exp(log_est + z * se)), float(p)


def _cells(counts: tuple[int, ...], correction: float, where: str) -> tuple[np.ndarray, str]:
    """Cells (a, n1 - a, b, n2 - b), with ``correction`` added to each if one is zero."""
    if correction < 0:
        raise ValueError(f"{where}: correction must be >= 0, got {correction}")
    a, n1, b, n2 = counts
    cells = np.array([a, n1 - a, b, n2 - b], float)
    if correction and (cells == 0).any():
        return cells + correction, f" (+{correction:g} to each cell)"
    return cells, ""


# -- measures -----------------------------------------------------------------------------------


def risk_ratio(
    a: int,
    n1: int,
    b: int,
    n2: int,
    *,
    conf_level: float = 0.95,
    method: str = "wald",
    correction: float = 0.0,
) -> pd.DataFrame:
    r"""Risk ratio of arm 1 over arm 2 with a log-Wald (Katz) confidence interval.

    .. math::

        \widehat{RR} = \frac{a/n_1}{b/n_2}, \qquad
        \widehat{SE}(\log \widehat{RR}) = \sqrt{\frac1a - \frac1{n_1} + \frac1b - \frac1{n_2}},

    CI :math:`\exp(\log\widehat{RR} \pm z_{1-\alpha/2}\,\widehat{SE})` and the Wald p-value
    :math:`2\Phi(-|\log\widehat{RR}|/\widehat{SE})`.

    ``method="score"`` gives Koopman's asymptotic score interval: the risk ratios
    :math:`\phi` not rejected by the score test of :math:`p_1 = \phi p_2`,
    :math:`(\hat p_1 - \phi\hat p_2)^2 / \{\tilde p_1(1-\tilde p_1)/n_1 +
    \phi^2\tilde p_2(1-\tilde p_2)/n_2\} \le \chi^2_{1,1-\alpha}` (tildes: MLEs under the
    constraint). It needs no correction for zero cells (lower limit 0 when ``a = 0``, upper
    limit Inf when ``b = 0``) and keeps its coverage in small samples, where the log-Wald
    interval does not; its p-value is the score test at :math:`\phi = 1`, Pearson's
    chi-squared without continuity correction.

    Parameters
    ----------
    a, n1 : int
        Events and patients in arm 1 (experimental).
    b, n2 : int
        Events and patients in arm 2 (control).
    conf_level : float
        Confidence level of the interval.
    method : {"wald", "katz", "score"}
        "wald" and "katz" name the same log-Wald interval (Katz et al. 1978); "score" is
        Koopman's score interval.
    correction : float
        Added to each of the four cells (events and non-events of both arms) only when one of
        them is zero; 0.5 is the Haldane-Anscombe correction. Default 0: no correction, and a
        zero ``a`` or ``b`` gives NaN limits with a warning (see the module notes).

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, a, n1, b, n2, risk_1, risk_2,
        conf_level, method``. The counts are those given; the estimate uses the corrected
        cells when a correction was applied.

    References
    ----------
    Katz D, Baptista J, Azen SP, Pike MC. Obtaining confidence intervals for the risk ratio
    in cohort studies. Biometrics 1978;34:469-474. Koopman PAR. Confidence intervals for the
    ratio of two binomial proportions. Biometrics 1984;40:513-517 (computed by statsmodels
    ``confint_proportions_2indep``). Fagerland MW, Lydersen S, Laake P. Recommended confidence
    intervals for two independent binomial proportions. Stat Methods Med Res 2015;24:224-254.
    Agrees with R ``epitools::riskratio(method="wald")`` and a by-hand score inversion in R.

    Examples
    --------
    I-MICRO day-28 mortality, 48/114 iloprost vs 47/122 placebo:

    >>> risk_ratio(48, 114, 47, 122)[["estimate", "ci_low", "ci_high"]].round(3)
       estimate  ci_low  ci_high
    0     1.093   0.801    1.491
    """
    where = "risk_ratio"
    counts = _check_counts(a, n1, b, n2, where)
    conf_level = check_conf_level(conf_level, where)
    label = _check_method(
        method, {"wald": "log-Wald", "katz": "log-Wald", "score": "Koopman score"}, where
    )
    if label == "Koopman score":
        return _risk_ratio_score(counts, conf_level)
    cells, suffix = _cells(counts, correction, where)
    label += suffix
    ca, cc, cb, cd = cells
    m1, m2 = ca + cc, cb + cd
    with np.errstate(divide="ignore", invalid="ignore"):
        est = (ca / m1) / (cb / m2)
    if ca == 0 or cb == 0:
        _zero_cell_warning(where, f"a={counts[0]}, b={counts[2]}")
        return _frame(est, np.nan, np.nan, np.nan, counts, conf_level, label)
    se = np.sqrt(1 / ca - 1 / m1 + 1 / cb - 1 / m2)
    lo, hi, p = _log_wald(np.log(est), se, conf_level)
    return _frame(est, lo, hi, p, counts, conf_level, label)


def _risk_ratio_score(counts: tuple[int, ...], conf_level: float) -> pd.DataFrame:
    a, n1, b, n2 = counts
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.float64(a / n1) / np.float64(b / n2)
    if a + b == 0:
        warnings.warn(
            "risk_ratio: no events in either arm; the risk ratio is undefined",
            RuntimeWarning,
            stacklevel=3,
        )
        return _frame(np.nan, np.nan, np.nan, np.nan, counts, conf_level, "Koopman score")
    if b == n2:
        # statsmodels' closed-form roots collapse here (3/10 vs 20/20 gives 0.767 to 0.767
        # where the score inversion gives 0.108 to 0.603); refuse rather than mislead.
        raise ValueError(
            "risk_ratio: method='score' is not available when every patient of arm 2 had the "
            f"event (b = n2 = {n2}); use method='wald'"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels' roots at a zero cell
        lo, hi = confint_proportions_2indep(
            a, n1, b, n2, method="score", compare="ratio", correction=False, alpha=1 - conf_level
        )
    # The closed-form roots leave rounding noise where the limit is exactly 0 or Inf.
    lo = 0.0 if a == 0 else float(lo)
    hi = np.inf if b == 0 else float(hi)
    pooled = (a + b) / (n1 + n2)
    if pooled == 1:
        p = 1.0
    else:
        chi2 = (a / n1 - b / n2) ** 2 / (pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(stats.chi2.sf(chi2, 1))
    return _frame(est, lo, hi, p, counts, conf_level, "Koopman score")


def risk_difference(
    a: int,
    n1: int,
    b: int,
    n2: int,
    *,
    conf_level: float = 0.95,
    method: str = "wald",
) -> pd.DataFrame:
    r"""Risk difference of arm 1 minus arm 2 with a Wald or a Newcombe hybrid score interval.

    .. math::

        \widehat{RD} = \hat p_1 - \hat p_2, \qquad
        \text{Wald: } \widehat{RD} \pm z\sqrt{\frac{\hat p_1(1-\hat p_1)}{n_1}
                                          + \frac{\hat p_2(1-\hat p_2)}{n_2}}

    Newcombe's method 10 combines the Wilson score limits :math:`(l_i, u_i)` of each arm:
    :math:`\widehat{RD} - \sqrt{(\hat p_1-l_1)^2 + (u_2-\hat p_2)^2}` to
    :math:`\widehat{RD} + \sqrt{(u_1-\hat p_1)^2 + (\hat p_2-l_2)^2}`. It stays inside
    [-1, 1], is never degenerate and needs no correction for zero cells; the Wald interval
    collapses to a point when both risks are 0 or 1 (a warning says so).

    Parameters
    ----------
    a, n1, b, n2 : int
        Events and patients in arm 1 and arm 2.
    conf_level : float
        Confidence level.
    method : {"wald", "newcombe"}
        The interval. ``p_value`` is the unpooled Wald z-test for "wald"; the Newcombe
        interval inverts no single test, so its ``p_value`` is NaN (use :func:`chi2_test`).

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, a, n1, b, n2, risk_1, risk_2,
        conf_level, method``.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Stat Med 1998;17:873-890 (method 10; Table II example (a)
    56/70 vs 48/80 gives 0.0524 to 0.3339). Computed by statsmodels
    ``confint_proportions_2indep``.

    Examples
    --------
    >>> risk_difference(56, 70, 48, 80, method="newcombe")[["ci_low", "ci_high"]].round(4)
       ci_low  ci_high
    0  0.0524   0.3339
    """
    where = "risk_difference"
    counts = _check_counts(a, n1, b, n2, where)
    conf_level = check_conf_level(conf_level, where)
    key = _check_method(method, {"wald": "wald", "newcombe": "newcomb"}, where)
    a_, n1_, b_, n2_ = counts
    p1, p2 = a_ / n1_, b_ / n2_
    lo, hi = confint_proportions_2indep(
        a_, n1_, b_, n2_, method=key, compare="diff", alpha=1 - conf_level
    )
    if key == "newcomb":
        return _frame(p1 - p2, lo, hi, np.nan, counts, conf_level, "Newcombe hybrid score")
    se = np.sqrt(p1 * (1 - p1) / n1_ + p2 * (1 - p2) / n2_)
    if se == 0:
        warnings.warn(
            f"{where}: both risks are 0 or 1, so the Wald interval has zero width; use "
            "method='newcombe'",
            RuntimeWarning,
            stacklevel=2,
        )
        p = 1.0 if p1 == p2 else 0.0
    else:
        p = 2 * stats.norm.sf(abs(p1 - p2) / se)
    return _frame(p1 - p2, lo, hi, p, counts, conf_level, "Wald")


def odds_ratio(
    a: int,
    n1: int,
    b: int,
    n2: int,
    *,
    conf_level: float = 0.95,
    method: str = "wald",
    correction: float = 0.0,
) -> pd.DataFrame:
    r"""Odds ratio of arm 1 over arm 2: log-Wald (Woolf) or conditional maximum likelihood.

    With :math:`c = n_1 - a`, :math:`d = n_2 - b`:

    .. math::

        \widehat{OR} = \frac{a\,d}{b\,c}, \qquad
        \widehat{SE}(\log\widehat{OR}) = \sqrt{\frac1a + \frac1b + \frac1c + \frac1d}.

    ``method="exact"`` gives what R ``fisher.test`` gives: the conditional MLE (the odds ratio
    whose noncentral hypergeometric mean equals ``a``), the interval that inverts the two
    one-sided exact tests at :math:`\alpha/2` each, and Fisher's two-sided p-value.

    Parameters
    ----------
    a, n1, b, n2 : int
        Events and patients in arm 1 and arm 2.
    conf_level : float
        Confidence level.
    method : {"wald", "woolf", "exact", "fisher"}
        "wald"/"woolf": log-Wald interval with Wald p. "exact"/"fisher": as ``fisher.test``
        (with no event in either arm the estimate is NaN, with a warning: see
        :func:`fisher_exact`).
    correction : float
        For "wald" only: added to each cell when one of them is zero (0.5 = Haldane-Anscombe).

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, a, n1, b, n2, risk_1, risk_2,
        conf_level, method``.

    References
    ----------
    Woolf B. On estimating the relation between blood group and disease. Ann Hum Genet
    1955;19:251-253. Cornfield J. A statistical problem arising from retrospective studies.
    Proc Third Berkeley Symp 1956;4:135-148 (exact conditional interval). Agrees with R
    ``epitools::oddsratio(method="wald")`` and ``stats::fisher.test``.

    Examples
    --------
    >>> odds_ratio(17, 114, 8, 122, method="exact")[["estimate", "p_value"]].round(3)
       estimate  p_value
    0     2.488    0.055
    """
    where = "odds_ratio"
    counts = _check_counts(a, n1, b, n2, where)
    conf_level = check_conf_level(conf_level, where)
    kind = _check_method(
        method, {"wald": "wald", "woolf": "wald", "exact": "exact", "fisher": "exact"}, where
    )
    if kind == "exact":
        return _fisher(counts, conf_level, where)
    a_, n1_, b_, n2_ = counts
    cells, suffix = _cells(counts, correction, where)
    label = "log-Wald" + suffix
    ca, cc, cb, cd = cells
    with np.errstate(divide="ignore", invalid="ignore"):
        est = (ca * cd) / (cb * cc)
    if (cells == 0).any():
        _zero_cell_warning(where, f"a={a_}, n1-a={n1_ - a_}, b={b_}, n2-b={n2_ - b_}")
        return _frame(est, np.nan, np.nan, np.nan, counts, conf_level, label)
    se = np.sqrt((1 / cells).sum())
    lo, hi, p = _log_wald(np.log(est), se, conf_level)
    return _frame(est, lo, hi, p, counts, conf_level, label)


# -- exact conditional inference ----------------------------------------------------------------


class _NoncentralHypergeometric:
    """Distribution of ``a`` given all margins, under odds ratio ``psi`` (as R fisher.test).

    scipy has ``nchypergeom_fisher`` and ``contingency.odds_ratio(kind="conditional")``, but
    they evaluate the distribution point by point (90 s for a 236,000-patient table); one
    vector of log hypergeometric weights, reused for every ``psi``, takes milliseconds.
    """

    def __init__(self, a: int, n1: int, b: int, n2: int):
        m = a + b
        self.lo, self.hi = max(0, m - n2), min(n1, m)
        self.x = np.arange(self.lo, self.hi + 1)
        self.logw = stats.hypergeom.logpmf(self.x, n1 + n2, m, n1)

    def pmf(self, log_psi: float) -> np.ndarray:
        d = self.logw + log_psi * self.x
        return np.exp(d - special.logsumexp(d))

    def mean(self, log_psi: float) -> float:
        return float(self.pmf(log_psi) @ self.x)

    def sf(self, q: int, log_psi: float) -> float:
        """P(X >= q)."""
        return float(self.pmf(log_psi)[self.x >= q].sum())

    def cdf(self, q: int, log_psi: float) -> float:
        """P(X <= q)."""
        return float(self.pmf(log_psi)[self.x <= q].sum())

    def solve(self, f) -> float:
        """Root in log(psi) of an increasing or decreasing ``f``, bracket widened as needed."""
        lim = 2.0
        while np.sign(f(-lim)) == np.sign(f(lim)):
            lim *= 2
            if lim > 1e4:
                raise RuntimeError("conditional odds ratio: no root found")
        return float(np.exp(optimize.brentq(f, -lim, lim, xtol=1e-12, rtol=1e-12)))


def fisher_exact(a: int, n1: int, b: int, n2: int, *, conf_level: float = 0.95) -> pd.DataFrame:
    r"""Fisher's exact test with the conditional MLE odds ratio and its exact interval.

    Given the margins, ``a`` follows Fisher's noncentral hypergeometric distribution
    :math:`P(X=x) \propto \binom{n_1}{x}\binom{n_2}{m-x}\psi^x` (:math:`m=a+b`). The estimate
    solves :math:`E_\psi[X] = a`; the limits solve :math:`P_\psi(X \ge a) = \alpha/2` and
    :math:`P_\psi(X \le a) = \alpha/2`. The two-sided p-value sums the probabilities (at
    :math:`\psi=1`) of tables no more likely than the observed one, as R does.

    Parameters
    ----------
    a, n1, b, n2 : int
        Events and patients in arm 1 and arm 2.
    conf_level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (conditional MLE odds ratio), ``ci_low, ci_high, p_value`` and
        the counts. The estimate is 0 or Inf when ``a`` sits at the edge of its range.

    Warns
    -----
    RuntimeWarning
        When the margins allow a single table (no event in either arm, or every patient
        with the event): the conditional likelihood is then flat in the odds ratio, so the
        estimate is NaN with interval (0, Inf) and p = 1. R's ``fisher.test`` gives the
        same interval and p but an estimate of 0 (its ``mle()`` tests the lower edge of the
        range first, and here both edges coincide): a convention, not an estimate.

    References
    ----------
    Fisher RA. Statistical Methods for Research Workers, 1934. Agrees with R
    ``stats::fisher.test`` (whose root finding is to about 1e-4 in the odds ratio).

    Examples
    --------
    I-MICRO severe adverse events, 17/114 vs 8/122:

    >>> fisher_exact(17, 114, 8, 122)["p_value"].round(4).item()
    0.0552
    """
    where = "fisher_exact"
    counts = _check_counts(a, n1, b, n2, where)
    return _fisher(counts, check_conf_level(conf_level, where), where)


def _fisher(counts: tuple[int, ...], conf_level: float, where: str) -> pd.DataFrame:
    """:func:`fisher_exact` on checked counts (``where`` names the public caller)."""
    a_, n1_, b_, n2_ = counts
    p = stats.fisher_exact([[a_, n1_ - a_], [b_, n2_ - b_]]).pvalue
    dist = _NoncentralHypergeometric(*counts)
    alpha = (1 - conf_level) / 2
    if dist.lo == dist.hi:  # a single possible table: the margins say nothing about psi
        warnings.warn(
            f"{where}: only one table has these margins (no event in either arm, or every "
            "patient with the event), so the data say nothing about the odds ratio: the "
            "estimate is NaN, the interval (0, Inf), p = 1. R's fisher.test reports the "
            "estimate as 0 here, an artefact of its edge rule, not an estimate.",
            RuntimeWarning,
            stacklevel=3,
        )
        est, lo, hi = np.nan, 0.0, np.inf
    else:
        est = (
            0.0
            if a_ == dist.lo
            else np.inf
            if a_ == dist.hi
            else dist.solve(lambda t: dist.mean(t) - a_)
        )
        lo = 0.0 if a_ == dist.lo else dist.solve(lambda t: dist.sf(a_, t) - alpha)
        hi = np.inf if a_ == dist.hi else dist.solve(lambda t: dist.cdf(a_, t) - alpha)
    return _frame(est, lo, hi, p, counts, conf_level, "Fisher exact (conditional MLE)")


def chi2_test(
    a: int, n1: int, b: int, n2: int, *, correct: bool = True, conf_level: float = 0.95
) -> pd.DataFrame:
    r"""Pearson's chi-squared test of a 2x2 table, with Yates' continuity correction by default.

    .. math::

        X^2 = \sum_{cells} \frac{(|O - E| - c)^2}{E}, \quad c = \min(0.5, |O - E|)
        \text{ (Yates) or } 0,

    referred to :math:`\chi^2_1`. The estimate is the risk difference with the interval R
    ``prop.test`` reports beside this test: Wald, widened by
    :math:`\min(0.5, |\hat p_1 - \hat p_2|/(1/n_1 + 1/n_2))\,(1/n_1+1/n_2)` when corrected,
    clipped to [-1, 1].

    Parameters
    ----------
    a, n1, b, n2 : int
        Events and patients in arm 1 and arm 2.
    correct : bool
        Apply Yates' continuity correction (R's default).
    conf_level : float
        Confidence level of the risk-difference interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (risk difference), ``ci_low, ci_high, p_value, statistic, df,
        min_expected`` (the smallest expected count: below 5 the approximation is doubtful and
        :func:`fisher_exact` is the better test) and the counts. When no one, or everyone, had
        an event the statistic is undefined: NaN with a warning, as R.

    References
    ----------
    Yates F. Contingency tables involving small numbers and the chi-squared test. Suppl J R
    Stat Soc 1934;1:217-235. Agrees with R ``stats::chisq.test`` and ``stats::prop.test``.

    Examples
    --------
    >>> chi2_test(17, 114, 8, 122)["p_value"].round(4).item()
    0.0611
    """
    where = "chi2_test"
    counts = _check_counts(a, n1, b, n2, where)
    conf_level = check_conf_level(conf_level, where)
    a_, n1_, b_, n2_ = counts
    table = np.array([[a_, n1_ - a_], [b_, n2_ - b_]])
    p1, p2 = a_ / n1_, b_ / n2_
    delta, inv_n = p1 - p2, 1 / n1_ + 1 / n2_
    yates = min(0.5, abs(delta) / inv_n) if correct else 0.0
    z = stats.norm.ppf(0.5 + conf_level / 2)
    width = z * np.sqrt(p1 * (1 - p1) / n1_ + p2 * (1 - p2) / n2_) + yates * inv_n
    lo, hi = max(delta - width, -1.0), min(delta + width, 1.0)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if (expected == 0).any():
        warnings.warn(
            f"{where}: every patient, or no patient, had the event; the chi-squared statistic "
            "is undefined (NaN)",
            RuntimeWarning,
            stacklevel=2,
        )
        stat = p = np.nan
    else:
        res = stats.chi2_contingency(table, correction=correct)
        stat, p = res.statistic, res.pvalue
    method = "Pearson chi-squared" + (" with Yates correction" if correct else "")
    return _frame(
        delta,
        lo,
        hi,
        p,
        counts,
        conf_level,
        method,
        statistic=float(stat),
        df=1,
        min_expected=float(expected.min()),
    )


# -- stratified ---------------------------------------------------------------------------------


def mantel_haenszel_rr(
    events: Sequence | np.ndarray | pd.Series,
    n: Sequence | np.ndarray | pd.Series,
    group: Sequence | np.ndarray | pd.Series,
    strata: Sequence | np.ndarray | pd.Series,
    *,
    conf_level: float = 0.95,
    correct: bool = True,
    arm_1=None,
) -> pd.DataFrame:
    r"""Mantel-Haenszel risk ratio of arm 1 over arm 2 across strata (sites), Greenland-Robins CI.

    For stratum :math:`i` with :math:`a_i/n_{1i}` events in arm 1, :math:`b_i/n_{0i}` in arm 2,
    :math:`N_i = n_{1i}+n_{0i}`, :math:`m_i = a_i+b_i`:

    .. math::

        \widehat{RR}_{MH} = \frac{\sum a_i n_{0i}/N_i}{\sum b_i n_{1i}/N_i}, \qquad
        \widehat{Var}(\log\widehat{RR}_{MH}) =
        \frac{\sum (n_{1i} n_{0i} m_i - a_i b_i N_i)/N_i^2}
             {\left(\sum a_i n_{0i}/N_i\right)\left(\sum b_i n_{1i}/N_i\right)}.

    ``p_value`` is the Cochran-Mantel-Haenszel test of no association in any stratum (as R
    ``mantelhaen.test``, continuity-corrected by default); it tests the same null as RR = 1.

    Parameters
    ----------
    events, n : array-like
        Events and patients of each row. Rows may be cells (one per stratum and arm) or
        patients (events 0/1, n 1); rows of the same stratum and arm are summed.
    group : array-like
        Arm of each row: 0/1 (1 = arm 1), or any two labels with ``arm_1`` naming arm 1.
    strata : array-like
        Stratum (site) of each row.
    conf_level : float
        Confidence level.
    correct : bool
        Continuity correction of the CMH test (R's default).
    arm_1 : optional
        The label of arm 1 when ``group`` is not 0/1.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, statistic, n_strata`` and the pooled
        counts ``a, n1, b, n2``. Strata holding only one arm carry no information on the
        comparison and are dropped with a warning.

    References
    ----------
    Greenland S, Robins JM. Estimation of a common effect parameter from sparse follow-up
    data. Biometrics 1985;41:55-68. Mantel N, Haenszel W. J Natl Cancer Inst 1959;22:719-748.

    Examples
    --------
    Three sites, one row per site and arm:

    >>> res = mantel_haenszel_rr(
    ...     events=[10, 9, 8, 11, 12, 7],
    ...     n=[40, 41, 30, 39, 44, 42],
    ...     group=[1, 0, 1, 0, 1, 0],
    ...     strata=["A", "A", "B", "B", "C", "C"],
    ... )
    >>> res[["estimate", "ci_low", "ci_high"]].round(3)
       estimate  ci_low  ci_high
    0     1.206   0.763    1.906
    """
    where = "mantel_haenszel_rr"
    conf_level = check_conf_level(conf_level, where)
    arrays = {}
    for name, v in (("events", events), ("n", n), ("strata", strata)):
        arr = np.asarray(v)
        if arr.ndim != 1 or len(arr) == 0:
            raise ValueError(f"{where}: {name} must be a non-empty 1-d array")
        arrays[name] = arr
    g = as_group(group, where, arm_1)
    if not len(arrays["events"]) == len(arrays["n"]) == len(g) == len(arrays["strata"]):
        raise ValueError(f"{where}: events, n, group and strata must have the same length")
    e = pd.to_numeric(pd.Series(arrays["events"]), errors="coerce").to_numpy(float)
    nn = pd.to_numeric(pd.Series(arrays["n"]), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(e) | ~np.isfinite(nn) | (e < 0) | (e > nn) | (e != np.round(e))
    bad |= nn != np.round(nn)
    if bad.any():
        raise ValueError(
            f"{where}: events and n must be counts with 0 <= events <= n; "
            f"rows {np.flatnonzero(bad)[:5].tolist()} break this"
        )
    cells = (
        pd.DataFrame({"s": arrays["strata"], "g": g, "e": e, "n": nn})
        .groupby(["s", "g"], sort=True)[["e", "n"]]
        .sum()
        .unstack("g", fill_value=0.0)
    )
    for col in [("e", True), ("e", False), ("n", True), ("n", False)]:
        if col not in cells:
            cells[col] = 0.0
    a, n1 = cells[("e", True)].to_numpy(), cells[("n", True)].to_numpy()
    b, n0 = cells[("e", False)].to_numpy(), cells[("n", False)].to_numpy()
    keep = (n1 > 0) & (n0 > 0)
    if not keep.any():
        raise ValueError(f"{where}: no stratum holds patients of both arms")
    if not keep.all():
        dropped = cells.index[~keep].tolist()[:10]
        warnings.warn(f"{where}: strata {dropped} hold one arm only and are left out", stacklevel=2)
    a, n1, b, n0 = a[keep], n1[keep], b[keep], n0[keep]
    big_n, m = n1 + n0, a + b
    r, s = (a * n0 / big_n).sum(), (b * n1 / big_n).sum()
    counts = (int(a.sum()), int(n1.sum()), int(b.sum()), int(n0.sum()))
    tables = np.stack([np.stack([a, n1 - a], -1), np.stack([b, n0 - b], -1)], 1)
    test = StratifiedTable(np.moveaxis(tables, 0, -1)).test_null_odds(correction=correct)
    extra = {"statistic": float(test.statistic), "n_strata": int(keep.sum())}
    label = "Mantel-Haenszel (Greenland-Robins CI, CMH test)"
    with np.errstate(divide="ignore", invalid="ignore"):
        est = r / s
    if r == 0 or s == 0:
        _zero_cell_warning(where, "no events in one arm across all strata")
        return _frame(est, np.nan, np.nan, test.pvalue, counts, conf_level, label, **extra)
    var = ((n1 * n0 * m - a * b * big_n) / big_n**2).sum() / (r * s)
    lo, hi, _ = _log_wald(np.log(est), np.sqrt(var), conf_level)
    return _frame(est, lo, hi, test.pvalue, counts, conf_level, label, **extra)
