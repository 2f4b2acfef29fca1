"""Fragility index and reverse fragility index of a two-by-two comparison.

The fragility index (Walsh et al. 2014) is the least number of patients whose outcome would
have to change, from no event to event in the arm with fewer events, for a significant result
to lose significance; the reverse fragility index (Khan et al. 2020) is the least number whose
outcome would have to change for a non-significant result to become significant.

Critique, stated wherever the index is shown: it is a re-expression of the p-value for a given
sample size, not new information (for a fixed trial size it is nearly a one-to-one function of
p, Carter et al. 2017; Potter 2020); it depends on the test used (Fisher, chi-squared with or
without continuity correction) and on the arbitrary threshold alpha; it counts changes in one
arm only and ignores losses to follow-up of a size that would matter; it exists only for a
binary outcome in two arms; and a small index is expected for any trial whose p-value is near
alpha, well designed or not. It is a teaching device, not a quality score.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

__all__ = ["fragility_index"]

TESTS = ("fisher", "chi2", "chi2_yates")


def _p_function(
    test: str | Callable, where: str
) -> tuple[Callable[[int, int, int, int], float], str]:
    if callable(test):
        return test, getattr(test, "__name__", "user test")
    if test not in TESTS:
        raise ValueError(f"{where}: test must be one of {TESTS} or a function, got {test!r}")
    from scipy.stats import chi2_contingency, fisher_exact

    if test == "fisher":
        return (
            lambda a, n1, b, n2: float(fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue),
            "Fisher exact",
        )

    def chi2(a: int, n1: int, b: int, n2: int) -> float:
        if a + b in (0, n1 + n2):
            return 1.0  # no variation in the outcome: nothing to test
        table = [[a, n1 - a], [b, n2 - b]]
        return float(chi2_contingency(table, correction=test == "chi2_yates").pvalue)

    return chi2, "Pearson chi-squared" + (" with Yates correction" if test == "chi2_yates" else "")


def _walk(p_of, a, n1, b, n2, arm: int, step: int, alpha: float, want_significant: bool):
    """Change one patient at a time in ``arm`` (``step`` = +1 adds an event, -1 removes one)
    until the test crosses alpha; returns (changes, final a, final b, final p) or None."""
    k = 0
    while True:
        k += 1
        aa, bb = (a + step * k, b) if arm == 1 else (a, b + step * k)
        if not (0 <= aa <= n1 and 0 <= bb <= n2):
            return None
        p = p_of(aa, n1, bb, n2)
        if (p < alpha) == want_significant:
            return k, aa, bb, p


def fragility_index(
    a: int,
    n1: int,
    b: int,
    n2: int,
    *,
    alpha: float = 0.05,
    test: str | Callable[[int, int, int, int], float] = "fisher",
) -> pd.DataFrame:
    """Fragility index (significant result) or reverse fragility index (non-significant).

    Significant (p < alpha), Walsh's rule: in the arm with fewer events, change patients one at
    a time from no event to event, recomputing the test, until p >= alpha; the index is the
    number changed. (With equal event counts both arms are tried and the smaller index kept.)

    Not significant, reverse index: widen the gap one patient at a time, either by removing
    events from the arm with fewer events or by adding events to the arm with more, until
    p < alpha; the smaller of the two counts is reported and ``change`` says which.

    The test is the one the analysis used: Fisher's exact test (default, as Walsh), Pearson's
    chi-squared without (``"chi2"``) or with Yates' correction (``"chi2_yates"``), or any
    function ``p(a, n1, b, n2)``. See the module notes for the critique of the index.

    Parameters
    ----------
    a, n1 : int
        Events and patients in arm 1.
    b, n2 : int
        Events and patients in arm 2.
    alpha : float
        Significance threshold.
    test : {"fisher", "chi2", "chi2_yates"} or callable
        The test.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (the index; NaN if no change in one arm reaches the other side,
        with ``change`` saying so), ``ci_low, ci_high`` (NaN: an index has no sampling
        interval), ``p_value`` (observed), ``p_final`` (after the changes), ``index``
        ("fragility" or "reverse fragility"), ``arm_changed`` (1 or 2), ``change``, ``a_final,
        b_final``, ``fragility_quotient`` (index / (n1 + n2)), ``a, n1, b, n2, alpha, test``.

    References
    ----------
    Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized
    controlled trial results is frequently fragile: a case for a Fragility Index. J Clin
    Epidemiol 2014;67:622-628. Khan MS, Fonarow GC, Friede T, et al. Application of the reverse
    fragility index to statistically nonsignificant randomized clinical trial results. JAMA
    Netw Open 2020;3:e2012469. Carter RE, McKie PM, Storlie CB. The fragility index: a
    P-value in sheep's clothing? Eur Heart J 2017;38:346-348. Potter GE. Dismantling the
    fragility index: a demonstration of statistical reasoning. Stat Med 2020;39:3720-3731.
    Agrees with the same walk written in R with ``fisher.test`` / ``chisq.test``
    (``tests/R/fragility.R``).

    Examples
    --------
    0/5 against 5/5 (Fisher p = 2/252): one more event in arm 1 gives p = 0.048, two give 0.167.

    >>> fragility_index(0, 5, 5, 5)[["estimate", "p_final", "index"]]
       estimate   p_final      index
    0       2.0  0.166667  fragility
    """
    from trialkit.stats.binary import _check_counts

    where = "fragility_index"
    a, n1, b, n2 = _check_counts(a, n1, b, n2, where)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"{where}: alpha must be a number in (0, 1), got {alpha!r}")
    p_of, label = _p_function(test, where)
    p0 = p_of(a, n1, b, n2)
    significant = p0 < alpha
    if significant:
        arms = [1] if a < b else [2] if b < a else [1, 2]
        tries = [(arm, +1, "no event -> event") for arm in arms]
    else:
        low, high = (1, 2) if a <= b else (2, 1)
        tries = [(low, -1, "event -> no event"), (high, +1, "no event -> event")]
    best = None
    for arm, step, what in tries:
        found = _walk(p_of, a, n1, b, n2, arm, step, alpha, want_significant=not significant)
        if found is not None and (best is None or found[0] < best[0][0]):
            best = (found, arm, what)
    if best is None:
        k = aa = bb = p_final = math.nan
        arm, what = math.nan, "no change in one arm crosses alpha"
    else:
        (k, aa, bb, p_final), arm, what = best
    row = {
        "estimate": float(k),
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": p0,
        "p_final": p_final,
        "index": "fragility" if significant else "reverse fragility",
        "arm_changed": arm,
        "change": what,
        "a_final": aa,
        "b_final": bb,
        "fragility_quotient": float(k) / (n1 + n2),
        "a": a,
        "n1": n1,
        "b": b,
        "n2": n2,
        "alpha": float(alpha),
        "test": label,
    }
    return pd.DataFrame([row])
