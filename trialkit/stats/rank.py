"""Rank-based two-sample estimators: the Hodges-Lehmann shift with the Wilcoxon rank-sum test.

The confidence interval and the estimate are order statistics of the ``n_x * n_y`` pairwise
differences ``x_i - y_j``.  They are found on the *implicit* sorted matrix of differences
(:class:`trialkit.stats._pairwise.PairSums`: one counting pass over the rows per order
statistic, a thin band of differences around it), never by building it; the rank sum comes
from a merge of one sorted sample with the other, chunk by chunk (from their distinct values
when they have many ties), so memory stays within a few copies of the data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.stats._checks import as_numeric, as_sample, check_conf_level
from trialkit.stats._pairwise import (
    _CHUNK,
    _MERGE_RATIO,
    PairSums,
    _float_key,
    _key_float,
    chunk_bounds,
    chunk_rows,
    sliced_searchsorted,
)

__all__ = ["hodges_lehmann", "van_elteren"]

ArrayLike = Sequence[float] | np.ndarray | pd.Series

# R computes the exact null distribution in memory; so do we, up to this many support points.
_EXACT_MAX_SUPPORT = 10**8


# ----------------------------------------------------- exact null distribution of W (R's pwilcox)
def _rank_sum_pmf(n_x: int, n_y: int) -> np.ndarray:
    """Null probabilities of the Mann-Whitney count ``W = 0, ..., n_x * n_y`` without ties.

    The frequencies are the coefficients of the Gaussian binomial
    ``prod_{i=1}^{m} (1 - q^{n+i}) / (1 - q^i)`` (Harding 1984); each factor is applied as
    a multiplication and a strided cumulative sum, normalized as it goes so that it cannot
    overflow.  Lower-tail probabilities come from low-degree coefficients, which involve no
    cancellation of large numbers.
    """
    m, n = sorted((n_x, n_y))
    size = m * n + 1
    c = np.zeros(size)
    c[0] = 1.0
    for i in range(1, m + 1):
        k = n + i
        if k < size:
            c[k:] = c[k:] - c[: size - k].copy()
        pad = (-size) % i
        c = np.cumsum(np.concatenate((c, np.zeros(pad))).reshape(-1, i), axis=0).ravel()[:size]
        c *= i / (n + i)
    return np.maximum(c, 0.0)


def _tie_blocks(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position of sorted ``b``: where its run of equal values starts and ends."""
    new_run = np.concatenate(([True], b[1:] != b[:-1]))
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    ends = np.append(starts[1:], b.size)
    return starts[run], ends[run]


# --------------------------------------------------------------------- ranks and ties
def _runs(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and lengths of the runs of equal values (length >= 2) of a sorted array.

    Indexes only the tied positions or only the run boundaries, whichever are fewer, so that
    neither all-distinct nor heavily tied data need an index array the size of the sample.
    """
    if s.size < 2:
        return s[:0], np.zeros(0, dtype=np.int64)
    eq = s[1:] == s[:-1]
    n_eq = int(np.count_nonzero(eq))
    if n_eq == 0:
        return s[:0], np.zeros(0, dtype=np.int64)
    if n_eq <= eq.size // 2:
        idx = np.flatnonzero(eq)  # s[idx] == s[idx + 1]
        new = np.flatnonzero(np.diff(idx) != 1) + 1
        first = np.concatenate(([0], new))
        last = np.concatenate((new, [idx.size]))
        return s[idx[first]], last - first + 1
    starts = np.concatenate(([0], np.flatnonzero(~eq) + 1))
    lengths = np.diff(np.append(starts, s.size))
    keep = lengths >= 2
    return s[starts[keep]], lengths[keep]


def _cubes(t: np.ndarray) -> float:
    """``sum(t**3 - t)``, the tie term of the rank-sum variance, in value order."""
    t = t.astype(float)
    return float(np.sum(t**3 - t))


def _tie_term(sorted_values: np.ndarray) -> float:
    """``sum(t**3 - t)`` over the groups of tied values of a sorted array."""
    return _cubes(_runs(sorted_values)[1])


def _rank_stats(
    xs: np.ndarray, zs: np.ndarray, x_ties: bool = True, z_ties: bool = True
) -> tuple[int, float, float]:
    """Twice R's ``W``, the pooled tie term and the within-sample one, from sorted x and -y.

    ``W = #{x_i > y_j} + #{x_i = y_j} / 2`` counts, for each ``x_i``, the ``z = -y`` above
    ``-x_i``: one position per value of x (a merge of each chunk of x with the slice of z it
    falls in, :func:`~trialkit.stats._pairwise.sliced_searchsorted`), no merged sample, no
    ranks.  Returned as the integer ``2 W``; the pooled tie term ``sum(t^3 - t)`` runs over
    the groups of equal values of the pooled sample (``t`` = copies in x + copies in y), the
    within-sample one is ``_tie_term(xs) + _tie_term(zs)``.  ``x_ties=False`` (``z_ties``)
    says that x (-y) has no tied values, which saves looking for them.
    """
    n, m = xs.size, zs.size
    rows = chunk_rows(n, _CHUNK)
    starts = np.arange(0, n, rows)
    stops = np.minimum(starts + rows, n)
    # Keys -x_i ascend along a chunk read backwards.
    lo, hi = chunk_bounds(zs, -xs[stops - 1], -xs[starts], "right")
    work = np.empty((_MERGE_RATIO + 1) * min(rows, n))  # the merges' scratch
    twice_w = 0
    cross_x: list[np.ndarray] = []
    cross_n: list[np.ndarray] = []
    cross_y: list[np.ndarray] = []
    for c in range(starts.size):
        keys = -xs[starts[c] : stops[c]][::-1]
        le = sliced_searchsorted(zs, keys, "right", int(lo[c]), int(hi[c]), work)  # #{y >= x}
        twice_w += 2 * (m * keys.size - int(le.sum()))
        # A key equal to a z is equal to the last z at most it (le ascends: le[0] is least).
        if le[0] > 0:
            tied = np.flatnonzero(zs[le - 1] == keys)
        else:
            tied = np.flatnonzero((le > 0) & (zs[np.maximum(le - 1, 0)] == keys))
        if tied.size:
            equal = le[tied] - np.searchsorted(zs, keys[tied], side="left")  # #{y == x}
            twice_w += int(equal.sum())
            # One entry per tied value (keys are sorted): its copies in x and in y.
            k = keys[tied]
            first = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
            cross_x.append(-k[first])
            cross_n.append(np.diff(np.append(first, k.size)))
            cross_y.append(equal[first])
    vx, cx = _runs(xs) if x_ties else _runs(xs[:0])
    vz, cz = _runs(zs) if z_ties else _runs(zs[:0])
    within = _cubes(cx) + _cubes(cz)
    vy, cy = -vz[::-1], cz[::-1]
    values, t = [vx, vy], [cx, cy]
    if cross_x:
        # A value in both samples: its copies in x plus its copies in y (a run of x split by
        # a chunk boundary appears twice: its copies in x are summed).
        cv, first, at = np.unique(np.concatenate(cross_x), return_index=True, return_inverse=True)
        copies_x = np.bincount(at, weights=np.concatenate(cross_n)).astype(np.int64)
        copies_y = np.concatenate(cross_y)[first]
        only_x, only_y = ~np.isin(vx, cv), ~np.isin(vy, cv)
        values = [cv, vx[only_x], vy[only_y]]
        t = [copies_x + copies_y, cx[only_x], cy[only_y]]
    order = np.argsort(np.concatenate(values), kind="stable")
    return twice_w, _cubes(np.concatenate(t)[order]), within


def _table_stats(
    x_table: tuple[np.ndarray, np.ndarray], z_table: tuple[np.ndarray, np.ndarray]
) -> tuple[int, float, float]:
    """As :func:`_rank_stats`, from the distinct values and multiplicities of x and of -y.

    For samples with many ties (integer scores): each distinct value of the shorter table
    is looked up in the other one, so the work is in the number of distinct values.  The
    tie terms sum the same ``t^3 - t`` in the same order (ascending value of the pooled
    sample; of x and of -y for the within-sample terms) as :func:`_rank_stats`, so they
    are the same doubles.
    """
    vx, cx = x_table
    vz, cz = z_table
    vy, cy = -vz[::-1], cz[::-1]  # y ascending
    n_x = int(cx.sum())
    if vx.size <= vy.size:
        keys, c_keys, other, c_other = vx, cx, vy, cy
    else:
        keys, c_keys, other, c_other = vy, cy, vx, cx
    cum = np.concatenate(([0], np.cumsum(c_other)))
    left = np.searchsorted(other, keys, side="left")
    right = np.searchsorted(other, keys, side="right")
    equal = cum[right] - cum[left]  # copies of each key in the other sample
    if keys is vx:
        beaten = cum[left]  # #{y < x}
    else:
        beaten = n_x - cum[right]  # #{x > y}
    twice_w = 2 * int(np.dot(c_keys, beaten)) + int(np.dot(c_keys, equal))
    both = equal > 0
    rest = np.ones(other.size, dtype=bool)
    rest[left[both]] = False  # values of the other sample that are also keys
    key_only = ~both & (c_keys >= 2)
    other_only = rest & (c_other >= 2)
    values = np.concatenate((keys[both], keys[key_only], other[other_only]))
    t = np.concatenate((c_keys[both] + equal[both], c_keys[key_only], c_other[other_only]))
    order = np.argsort(values, kind="stable")
    within = _cubes(cx[cx >= 2]) + _cubes(cz[cz >= 2])
    return twice_w, _cubes(t[order]), within


def _rank_sum(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """R's ``W`` (midrank sum of x minus ``n_x (n_x + 1) / 2``) and the pooled tie term.

    ``xs`` and ``ys`` are sorted ascending.
    """
    twice_w, ties, _ = _rank_stats(xs, -ys[::-1])
    return twice_w / 2, ties


# ------------------------------------------------------------------------- Hodges-Lehmann
def _sigma(n_x: int, n_y: int, ties: float) -> float:
    n = n_x + n_y
    return math.sqrt((n_x * n_y / 12.0) * ((n + 1) - ties / (n * (n - 1))))


def _inversion_rank(size: int, sigma: float, zq: float, correct: bool) -> int:
    """Rank of the difference at which R's ``uniroot`` of ``W(d) - zq`` lands.

    Between consecutive distinct differences the statistic is constant: ``C(d) - size/2``
    where ``C(d) = #{x_i - y_j > d}``, standardized by the tie-corrected sigma of the two
    samples (cross-sample ties occur only at the jump points).  It is non-increasing in
    ``d``, so the root is the smallest difference ``d`` with ``C(d) < c*``, where ``c*``
    is the least count whose statistic reaches ``zq``; that difference is the order
    statistic of rank ``size - c* + 1``.
    """

    def stat(c: int) -> float:
        dz = c - size / 2
        corr = math.copysign(0.5, dz) if (correct and dz != 0) else 0.0
        return (dz - corr) / sigma

    c = min(size, max(0, math.floor(size / 2 + zq * sigma) - 2))
    while c > 0 and stat(c - 1) >= zq:
        c -= 1
    while c <= size and stat(c) < zq:
        c += 1
    return size - c + 1


def _limits_and_median(diffs: PairSums, r_low: int, r_high: int) -> tuple[float, float, float]:
    """The differences of ranks ``r_low`` and ``r_high`` and the median of all of them."""
    size = diffs.size
    middle = [size // 2 + 1] if size % 2 else [size // 2, size // 2 + 1]
    d = diffs.order_statistics([r_low, r_high, *middle])
    median = d[middle[0]] if size % 2 else 0.5 * (d[middle[0]] + d[middle[1]])
    return d[r_low], d[r_high], median


def hodges_lehmann(
    x: ArrayLike,
    y: ArrayLike,
    *,
    conf_level: float = 0.95,
    exact: bool | None = None,
    correct: bool = True,
) -> pd.DataFrame:
    r"""Hodges-Lehmann location shift ``x - y`` with its CI and the Wilcoxon rank-sum test.

    Reproduces R's ``wilcox.test(x, y, conf.int=TRUE, conf.level=, exact=, correct=)``
    (two-sided).  The estimate is the median of the :math:`n_x n_y` pairwise differences

    .. math:: \hat\Delta = \operatorname{median}_{i,j}(x_i - y_j),

    and :math:`W = \#\{x_i > y_j\} + \tfrac12 \#\{x_i = y_j\}` (R's statistic).

    *Exact* (R's default when both samples have fewer than 50 values and there are no
    ties): the p-value comes from the exact null distribution of ``W`` and the interval is
    :math:`[D_{(q)}, D_{(n_x n_y - q + 1)}]` of the sorted differences with ``q`` R's
    ``qwilcox((1 - conf_level)/2, n_x, n_y)`` (``q = 1`` if that is 0).  When the
    requested level cannot be reached (tiny samples) R warns and reports the achieved
    level; so does this function, in ``conf_level``.

    *Normal approximation* (otherwise): :math:`z = (W - n_x n_y/2 - c)/\sigma` with the
    tie-corrected :math:`\sigma^2 = \frac{n_x n_y}{12}\{(N + 1) - \sum(t^3 - t)/(N(N-1))\}`
    and continuity correction :math:`c = \operatorname{sign}(W - n_x n_y/2)/2` when
    ``correct``.  R inverts the same statistic, recomputed at every shift ``d``, with
    ``uniroot``; it is a step function jumping only at pairwise differences, so the limits
    returned here are the exact jump points R's root finder converges to (R agrees within
    its ``tol.root = 1e-4``; with integer data, such as SOFA points or free days, the
    limits are integers).  The estimate is R's root of the uncorrected statistic.  When
    :math:`n_x n_y` is even and the two middle differences differ, that statistic is zero
    on the whole interval between them and R's ``uniroot`` stops at an arbitrary point of
    it; this function returns the midpoint, the median of the differences (the textbook
    Hodges-Lehmann estimate, and what R's exact branch returns).

    Parameters
    ----------
    x, y : array-like of float
        The two samples (e.g. the experimental and the control arm).  Missing values are
        dropped with a warning, as R drops them; infinite values are an error.
    conf_level : float, default 0.95
        Two-sided confidence level, in (0, 1).
    exact : bool or None, default None
        ``None``: exact when both samples have fewer than 50 values and no value is tied.
        ``True`` with ties falls back to the normal approximation with a warning, as R.
    correct : bool, default True
        Continuity correction in the normal approximation (p-value and interval).

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, statistic`` (R's ``W``),
        ``n_x, n_y`` (non-missing), ``conf_level`` (achieved, if R would lower it),
        ``method`` (``"exact"`` or ``"normal approximation"``).

    Raises
    ------
    TypeError
        ``x`` or ``y`` is not numeric (text, even text of numbers, booleans, categories,
        dates), as R's "'x' must be numeric": nothing is converted.
    ValueError
        Empty sample, infinite values, ``conf_level`` outside (0, 1); in the normal
        approximation, samples that are each constant (every pairwise difference is the
        same, the statistic cannot be standardized at it: R stops with "cannot compute
        confidence interval when all observations are tied").

    Notes
    -----
    Cost: two sorts, then four passes over the observations, each a merge of the sorted x,
    chunk by chunk, with the slice of the sorted -y it falls in: one for ``W``, one per
    order statistic (the two limits and the estimate) on the implicit sorted matrix of
    differences (:mod:`trialkit.stats._pairwise`; Johnson & Mizoguchi 1978; Monahan 1984),
    never the :math:`n_x n_y` matrix.  Samples with many ties (integer scores) take ``W``
    and the order statistics from their distinct values.  At 10^7 per arm this is about
    three times one sort of the 2 x 10^7 values (the merges under half of it, the two sorts
    a fifth), five times at 10^6, less than one sort for integer scores; memory 1.1 to 1.3
    times the inputs from 10^6 per arm on (benchmarks/bench_hodges_lehmann.py).

    References
    ----------
    Hodges JL, Lehmann EL (1963). Estimates of location based on rank tests. Ann Math
    Stat 34:598-611.  Bauer DF (1972). Constructing confidence sets using rank statistics.
    JASA 67:687-690.  R Core Team, ``stats::wilcox.test`` (R 4.2 source).

    Examples
    --------
    >>> from trialkit.stats import hodges_lehmann
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.07, 3.14, 1.26]
    >>> res = hodges_lehmann(x, y)  # R: estimate 0.57, CI -0.37 to 1.183, p 0.1359
    >>> res[["estimate", "ci_low", "ci_high", "p_value"]].round(4).to_numpy().tolist()
    [[0.57, -0.37, 1.183, 0.1359]]
    >>> res["method"].item()
    'exact'
    """
    func = "hodges_lehmann"
    conf_level = check_conf_level(conf_level, func)
    xs = np.sort(as_sample(x, "x", func))
    # -y sorted in place: the differences are x_i + (-y_j), rounded exactly as R's x - y.
    zs = np.negative(as_sample(y, "y", func))
    zs.sort()
    n_x, n_y = xs.size, zs.size
    size = n_x * n_y
    diffs = PairSums(xs, zs)
    x_side, z_side = diffs.sides
    if x_side.cum is not None or z_side.cum is not None:
        # Many ties: the rank sum from the distinct values (the tables PairSums built).
        twice_w, ties_pooled, ties_within = _table_stats(x_side.table(), z_side.table())
    else:
        twice_w, ties_pooled, ties_within = _rank_stats(
            xs, zs, x_side.distinct < n_x, z_side.distinct < n_y
        )
    w = twice_w / 2
    has_ties = ties_pooled > 0
    if exact is None:
        exact = n_x < 50 and n_y < 50
    if exact and has_ties:
        warnings.warn(
            f"{func}: cannot compute exact p-value and confidence interval with ties; "
            "using the normal approximation",
            stacklevel=2,
        )
    alpha = 1.0 - conf_level

    if exact and not has_ties:
        if size + 1 > _EXACT_MAX_SUPPORT:
            raise ValueError(
                f"{func}: exact distribution for n_x={n_x}, n_y={n_y} is too large; use exact=False"
            )
        pmf = _rank_sum_pmf(n_x, n_y)
        cdf = np.cumsum(pmf)
        # Lower tail by symmetry: low-degree terms are the accurate ones.
        tail = cdf[round(size - w)] if w > size / 2 else cdf[round(w)]
        p_value = min(2.0 * float(tail), 1.0)
        # R's qwilcox: smallest q with P(W <= q) >= p, with a fuzz of 10 * DBL_EPSILON.
        qu = int(np.searchsorted(cdf, alpha / 2 - 10 * np.finfo(float).eps, side="left"))
        qu = max(qu, 1)
        achieved = 2.0 * float(cdf[qu - 1])
        ci_low, ci_high, estimate = _limits_and_median(diffs, qu, size - qu + 1)
        if achieved - alpha > alpha / 2:
            warnings.warn(f"{func}: requested conf_level not achievable", stacklevel=2)
            conf_level = 1.0 - achieved
        method = "exact"
    else:
        sigma = _sigma(n_x, n_y, ties_pooled)
        dz = w - size / 2
        corr = math.copysign(0.5, dz) if (correct and dz != 0) else 0.0
        z = (dz - corr) / sigma if sigma > 0 else math.nan
        p_value = float(2.0 * stats.norm.sf(abs(z)))
        mumin, mumax = diffs.low, diffs.high
        if mumin == mumax:
            raise ValueError(
                f"{func}: x and y are each constant (every difference x - y is {mumin:g}); "
                "the rank-sum statistic cannot be standardized at that shift, so there is no "
                "normal-approximation confidence interval (R's wilcox.test stops here too)"
            )
        # Ties within each sample; between samples they occur only at jump points.
        sigma_ci = _sigma(n_x, n_y, ties_within)
        z_hi = float(stats.norm.isf(alpha / 2))

        # R's root() first returns an end point when the statistic evaluated there is
        # already past zq; the statistic at an end point is at least as extreme as just
        # inside it, so clipping the rank to [1, size] is the same rule.
        r_low, r_high = (
            min(max(_inversion_rank(size, sigma_ci, zq, correct), 1), size) for zq in (z_hi, -z_hi)
        )
        ci_low, ci_high, estimate = _limits_and_median(diffs, r_low, r_high)
        method = "normal approximation"

    return pd.DataFrame(
        {
            "estimate": [estimate],
            "ci_low": [ci_low],
            "ci_high": [ci_high],
            "p_value": [p_value],
            "statistic": [w],
            "n_x": [n_x],
            "n_y": [n_y],
            "conf_level": [conf_level],
            "method": [method],
        }
    )


# ---------------------------------------------------------------------------- van Elteren
class _Strata:
    """Per stratum: sorted ``x`` and ``-y``, the van Elteren weight and its count terms."""

    def __init__(self, x, y, sx, sy) -> None:
        self.parts = []
        for s in np.unique(np.concatenate((sx, sy))):
            xs, ys = x[sx == s], y[sy == s]
            if xs.size == 0 or ys.size == 0:
                continue  # a stratum with one arm carries no information on the shift
            n = xs.size + ys.size
            xs, ys = np.sort(xs), np.sort(ys)
            diffs = PairSums(xs, np.sort(-ys))
            self.parts.append((diffs, 1.0 / (n + 1), xs.size * ys.size, xs, ys))

    def centred_count(self, d: float) -> float:
        """``sum_s w_s (#{x - y > d in s} - n_xs n_ys / 2)``: the statistic just right of d."""
        total = 0.0
        for diffs, w, size, _, _ in self.parts:
            le = diffs.count(d)  # exact count of differences <= d (rounded as R's)
            total += w * ((size - le) - size / 2)
        return total

    def smallest_below(self, threshold: float, strict: bool) -> float:
        """Smallest d with ``centred_count(d) < threshold`` (``<=`` if not strict).

        The count is a non-increasing step function of d that jumps at within-stratum
        differences; bisection over the ordered doubles lands exactly on the jump.
        """
        lo = min(float(p[3][0] - p[4][-1]) for p in self.parts)
        hi = max(float(p[3][-1] - p[4][0]) for p in self.parts)

        def ok(d: float) -> bool:
            c = self.centred_count(d)
            return c < threshold if strict else c <= threshold

        if ok(lo):
            return lo
        k_lo, k_hi = _float_key(lo), _float_key(hi)  # ok(hi) holds: no difference exceeds hi
        while k_hi - k_lo > 1:
            mid = (k_lo + k_hi) // 2
            if ok(_key_float(mid)):
                k_hi = mid
            else:
                k_lo = mid
        return _key_float(k_hi)


def van_elteren(
    x: ArrayLike,
    y: ArrayLike,
    strata_x: ArrayLike,
    strata_y: ArrayLike,
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Van Elteren's stratified Wilcoxon test (e.g. by site), with the shift it implies.

    Within each stratum :math:`s` with :math:`n_s` patients the Wilcoxon rank sum of ``x``
    is weighted by :math:`1/(n_s + 1)`, which makes every stratum's contribution comparable
    and is locally most powerful for a common shift (van Elteren 1960):

    .. math:: T = \sum_s \frac{W_s}{n_s + 1},\quad E(T) = \sum_s \frac{n_{xs}}{2},\quad
       \mathrm{Var}(T) = \sum_s \frac{n_{xs} n_{ys}}{12 (n_s + 1)^2}
       \Big\{(n_s + 1) - \frac{\sum (t^3 - t)}{n_s (n_s - 1)}\Big\},

    :math:`z = (T - E(T)) / \sqrt{\mathrm{Var}(T)}` (tie-corrected, no continuity
    correction), two-sided normal p-value.  This is R ``coin::independence_test(y ~ arm |
    site, ytrafo = <rank / (n_s + 1) within site>, teststat = "scalar", distribution =
    "asymptotic")``.  (``coin::wilcox_test(y ~ arm | site)`` is a different test: it
    ignores a user ``ytrafo`` and ranks the pooled sample, unweighted.)

    The estimate is the common shift :math:`\Delta` that makes the statistic zero when
    ``x - Delta`` is compared with ``y`` within every stratum, and the interval inverts
    the same statistic at :math:`\pm z_{1-\alpha/2}` (as ``wilcox.test`` does without
    strata; with a single stratum and no continuity correction it is that interval).  The
    statistic is a step function jumping at within-stratum differences; the limits are its
    exact jump points (bisection over the doubles), and where it is zero on an interval the
    estimate is the interval's middle.

    Parameters
    ----------
    x, y : array-like of float
        Outcomes in the two arms.
    strata_x, strata_y : array-like
        Stratum (e.g. site) of each value of ``x`` and ``y``.  Strata with patients from
        one arm only carry no information and are left out (counted in ``n_strata``).
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, ci_low, ci_high, p_value, statistic`` (z), ``n_x, n_y``,
        ``n_strata`` (used), ``conf_level``, ``method``.

    Raises
    ------
    TypeError
        ``x`` or ``y`` is not numeric (as :func:`hodges_lehmann`).
    ValueError
        Lengths of a sample and its strata differ, missing strata, no stratum with both
        arms, or no variation within any stratum.

    References
    ----------
    van Elteren PH (1960). On the combination of independent two-sample tests of
    Wilcoxon. Bull Int Stat Inst 37:351-361.  Lehmann EL (1975). Nonparametrics, ch. 3.3.
    Hothorn T, Hornik K, van de Wiel MA, Zeileis A (2006). A Lego system for conditional
    inference. Am Stat 60:257-263 (coin).

    Examples
    --------
    >>> from trialkit.stats import van_elteren
    >>> res = van_elteren([5, 7, 9, 4, 6], [3, 4, 8, 1, 2, 2], ["a", "a", "a", "b", "b"],
    ...                   ["a", "a", "b", "b", "b", "a"])
    >>> res[["estimate", "statistic"]].round(4).to_numpy().tolist()
    [[3.0, 1.8549]]
    """
    func = "van_elteren"
    conf_level = check_conf_level(conf_level, func)
    xv, yv = as_numeric(x, "x", func), as_numeric(y, "y", func)
    sx, sy = pd.Series(np.asarray(strata_x)), pd.Series(np.asarray(strata_y))
    for name, v, s in (("x", xv, sx), ("y", yv, sy)):
        if v.size != s.size:
            raise ValueError(f"{func}: '{name}' has {v.size} values but its strata {s.size}")
        if s.isna().any():
            rows = np.flatnonzero(s.isna())[:5].tolist()
            raise ValueError(f"{func}: strata of '{name}' are missing at positions {rows}")
    keep_x, keep_y = ~np.isnan(xv), ~np.isnan(yv)
    for name, keep in (("x", keep_x), ("y", keep_y)):
        if not keep.all():
            warnings.warn(
                f"{func}: dropped {int((~keep).sum())} missing value(s) from '{name}'",
                stacklevel=2,
            )
    xv, yv = as_sample(xv[keep_x], "x", func), as_sample(yv[keep_y], "y", func)
    codes, _ = pd.factorize(pd.concat([sx[keep_x], sy[keep_y]], ignore_index=True))
    cx, cy = codes[: xv.size], codes[xv.size :]

    strata = _Strata(xv, yv, cx, cy)
    if not strata.parts:
        raise ValueError(f"{func}: no stratum has patients from both arms")
    stat, var, var_ci = 0.0, 0.0, 0.0
    for _, w, size, xs, ys in strata.parts:
        u, ties = _rank_sum(xs, ys)
        stat += w * (u - size / 2)
        var += w**2 * _sigma(xs.size, ys.size, ties) ** 2
        # Ties between the arms occur only at the jump points of the inverted statistic.
        var_ci += w**2 * _sigma(xs.size, ys.size, _tie_term(xs) + _tie_term(ys)) ** 2
    if var <= 0 or var_ci <= 0:
        raise ValueError(f"{func}: no variation within any stratum; the test is undefined")
    z = stat / math.sqrt(var)
    zq = float(stats.norm.isf((1 - conf_level) / 2))
    sd = math.sqrt(var_ci)
    lo = strata.smallest_below(zq * sd, strict=True)
    hi = strata.smallest_below(-zq * sd, strict=True)
    tol = 1e-9 * sum(p[2] * p[1] for p in strata.parts)  # rounding of the weighted sums
    est = 0.5 * (
        strata.smallest_below(tol, strict=False) + strata.smallest_below(-tol, strict=True)
    )
    return pd.DataFrame(
        {
            "estimate": [est],
            "ci_low": [lo],
            "ci_high": [hi],
            "p_value": [float(2 * stats.norm.sf(abs(z)))],
            "statistic": [z],
            "n_x": [xv.size],
            "n_y": [yv.size],
            "n_strata": [len(strata.parts)],
            "conf_level": [conf_level],
            "method": ["van Elteren (asymptotic)"],
        }
    )
