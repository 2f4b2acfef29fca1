"""Rank-based two-sample estimators: the Hodges-Lehmann shift with the Wilcoxon rank-sum test.

The confidence interval and the estimate are order statistics of the ``n_x * n_y`` pairwise
differences ``x_i - y_j``.  They are found by selection over the *implicit* sorted matrix of
differences (counting with ``searchsorted`` on the two sorted samples), never by building it,
so that ``10^6`` patients per arm take about a second.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.stats._checks import check_conf_level

__all__ = ["hodges_lehmann", "van_elteren"]

ArrayLike = Sequence[float] | np.ndarray | pd.Series

# Windows of candidate differences at most this large are written out and partitioned.
_MATERIALIZE = 1 << 21
# Random pairs drawn per selection round to place the two pivots around the target rank.
_SAMPLE = 1 << 17
# R computes the exact null distribution in memory; so do we, up to this many support points.
_EXACT_MAX_SUPPORT = 10**8


# --------------------------------------------------------------------------- input checks
def _as_sample(a: ArrayLike, name: str, func: str) -> np.ndarray:
    """A 1-d float array without missing values (dropped with a warning, as R drops them)."""
    try:
        if isinstance(a, pd.Series | pd.Index):
            arr = a.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{func}: '{name}' must be numeric ({err})") from None
    arr = arr.ravel()
    missing = np.isnan(arr)
    if missing.any():
        warnings.warn(
            f"{func}: dropped {int(missing.sum())} missing value(s) from '{name}'",
            stacklevel=3,
        )
        arr = arr[~missing]
    if np.isinf(arr).any():
        bad = np.flatnonzero(np.isinf(arr))[:5].tolist()
        raise ValueError(f"{func}: '{name}' has infinite values (positions {bad})")
    if arr.size == 0:
        raise ValueError(f"{func}: '{name}' has no non-missing observations")
    return arr


def _tie_term(sorted_values: np.ndarray) -> float:
    """``sum(t**3 - t)`` over the groups of tied values of a sorted array."""
    if sorted_values.size < 2:
        return 0.0
    edges = np.flatnonzero(np.diff(sorted_values) != 0)
    t = np.diff(np.concatenate(([-1], edges, [sorted_values.size - 1]))).astype(float)
    return float(np.sum(t**3 - t))


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


# -------------------------------------------------- selection over implicit pairwise sums
def _tie_blocks(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position of sorted ``b``: where its run of equal values starts and ends."""
    new_run = np.concatenate(([True], b[1:] != b[:-1]))
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    ends = np.append(starts[1:], b.size)
    return starts[run], ends[run]


def _row_positions(
    a: np.ndarray,
    b: np.ndarray,
    p: float,
    strict: bool,
    blocks: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Per row ``i``, how many ``j`` have ``a[i] + b[j] < p`` (strict) or ``<= p``.

    ``searchsorted`` compares ``b[j]`` with ``p - a[i]``, which can disagree with the rounded
    sum ``a[i] + b[j]`` in the last bit; a fix-up (skipping runs of tied ``b``, given by
    ``blocks``) makes the count agree with the sums exactly: rounding is monotone, so each
    row is still a prefix.  ``blocks=None`` means the sums are exact (integer data).  The
    keys are passed in ascending order, which lets numpy's binary search reuse the previous
    position (several times faster).
    """
    side = "left" if strict else "right"
    pos = np.searchsorted(b, p - a[::-1], side=side)[::-1]
    if blocks is None:
        return pos
    starts, ends = blocks
    m = b.size
    below = np.less if strict else np.less_equal
    for _ in range(64):
        j_prev = np.maximum(pos - 1, 0)
        back = (pos > 0) & ~below(a + b[j_prev], p)
        j_at = np.minimum(pos, m - 1)
        fwd = (pos < m) & below(a + b[j_at], p)
        if not (back.any() or fwd.any()):
            return pos
        pos = np.where(back, starts[j_prev], np.where(fwd, ends[j_at], pos))
    raise RuntimeError("pairwise-difference count did not converge")  # pragma: no cover


def _window_values(a: np.ndarray, b: np.ndarray, lo: np.ndarray, width: np.ndarray) -> np.ndarray:
    """All sums ``a[i] + b[j]`` with ``lo[i] <= j < lo[i] + width[i]``."""
    total = int(width.sum())
    rows = np.repeat(np.arange(a.size), width)
    start = np.cumsum(width) - width
    cols = np.arange(total) - np.repeat(start - lo, width)
    return a[rows] + b[cols]


def _kth_pairwise_sum(
    a: np.ndarray,
    b: np.ndarray,
    k: int,
    rng: np.random.Generator,
    blocks: tuple[np.ndarray, np.ndarray] | None,
    window: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """The ``k``-th smallest (1-based) of ``a[i] + b[j]`` for sorted ``a`` and ``b``.

    Floyd-Rivest style selection on the implicit ``len(a) x len(b)`` matrix, whose rows and
    columns are sorted (Johnson & Mizoguchi 1978; Monahan 1984): each row keeps a window of
    candidate columns; a random sample of candidates places two pivots just below and above
    the target rank; exact counts (O(n log m) by ``searchsorted``) shrink every window to
    the values between the pivots.  A few rounds leave a small window that is partitioned.
    Ties (integer data) are resolved by a three-way split at the sampled target value.
    """
    n, m = a.size, b.size
    if window is None:
        lo, hi = np.zeros(n, dtype=np.int64), np.full(n, m, dtype=np.int64)
    else:
        lo, hi = window
    below = int(lo.sum())
    prev_total = None
    for _ in range(200):
        width = hi - lo
        total = int(width.sum())
        t = k - below  # rank inside the window
        if total <= _MATERIALIZE:
            vals = _window_values(a, b, lo, width)
            return float(np.partition(vals, t - 1)[t - 1])
        v = _sample_window(a, b, lo, width, total, rng)
        s = v.size
        f = t / total
        if prev_total is not None and total > prev_total // 2:
            # Little progress: the window is dominated by tied values. Split three ways at
            # the sampled value nearest the target rank.
            piv = float(v[min(s - 1, max(0, round(s * f) - 1))])
            lt = _row_positions(a, b, piv, True, blocks)
            le = _row_positions(a, b, piv, False, blocks)
            c_lt, c_le = int(lt.sum()), int(le.sum())
            if c_lt < k <= c_le:
                return piv
            if k <= c_lt:
                hi = np.minimum(hi, lt)
            else:
                lo = np.maximum(lo, le)
                below = int(lo.sum())
            prev_total = total
            continue
        prev_total = total
        half = 4.0 * math.sqrt(s * f * (1.0 - f)) + 2.0
        i_a, i_b = math.floor(s * f - half), math.ceil(s * f + half)
        if i_a >= 0:
            pa = float(v[i_a])
            lt = _row_positions(a, b, pa, True, blocks)
            if k <= int(lt.sum()):
                hi = np.minimum(hi, lt)
                continue
            lo = np.maximum(lo, lt)
        if i_b < s:
            pb = float(v[i_b])
            le = _row_positions(a, b, pb, False, blocks)
            if k > int(le.sum()):
                lo = np.maximum(lo, le)
                below = int(lo.sum())
                continue
            hi = np.minimum(hi, le)
        below = int(lo.sum())
        if i_a >= 0 and i_b < s and v[i_a] == v[i_b]:
            return float(v[i_a])
    raise RuntimeError("selection of a pairwise difference did not converge")  # pragma: no cover


def _sample_window(
    a: np.ndarray, b: np.ndarray, lo: np.ndarray, width: np.ndarray, total: int, rng
) -> np.ndarray:
    """Sorted sums ``a[i] + b[j]`` at ``_SAMPLE`` uniformly drawn cells of the windows."""
    cum = np.cumsum(width)
    # Sorted draws make the lookups below sequential in memory (several times faster).
    u = np.sort(rng.integers(0, total, _SAMPLE))
    rows = np.searchsorted(cum, u, side="right")
    cols = lo[rows] + u - (cum[rows] - width[rows])
    return np.sort(a[rows] + b[cols])


def _common_window(
    a: np.ndarray,
    b: np.ndarray,
    k_min: int,
    k_max: int,
    rng: np.random.Generator,
    blocks: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """One selection round shared by several ranks: a window holding ranks k_min..k_max.

    The CI limits and the estimate sit close together among the n_x n_y differences, so
    the first (most expensive) narrowing serves all of them.  None if the sampled pivots
    missed (then each rank starts from the full matrix).
    """
    n, m = a.size, b.size
    total = n * m
    v = _sample_window(a, b, np.zeros(n, dtype=np.int64), np.full(n, m), total, rng)
    s = v.size
    f_a, f_b = k_min / total, k_max / total
    i_a = math.floor(s * f_a - 4.0 * math.sqrt(s * f_a * (1 - f_a)) - 2.0)
    i_b = math.ceil(s * f_b + 4.0 * math.sqrt(s * f_b * (1 - f_b)) + 2.0)
    if i_a < 0 or i_b >= s:
        return None
    lt = _row_positions(a, b, float(v[i_a]), True, blocks)
    le = _row_positions(a, b, float(v[i_b]), False, blocks)
    if int(lt.sum()) < k_min and k_max <= int(le.sum()):
        return lt, le
    return None


class _Differences:
    """The multiset ``{x_i - y_j}``, sorted implicitly; order statistics on demand."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        xs, zs = np.sort(x), np.sort(-y)  # x_i + (-y_j) rounds exactly as R's x - y
        # The shorter sample indexes the rows: a count costs O(rows * log(columns)).
        self.a, self.b = (xs, zs) if xs.size <= zs.size else (zs, xs)
        self.size = x.size * y.size
        self._rng = np.random.default_rng(20260423)  # pivots only; the result is exact
        exact_sums = bool(
            np.all(np.abs(self.a) < 2**50)
            and np.all(np.abs(self.b) < 2**50)
            and np.all(self.a == np.round(self.a))
            and np.all(self.b == np.round(self.b))
        )
        self.blocks = None if exact_sums else _tie_blocks(self.b)
        self._window: tuple[tuple[np.ndarray, np.ndarray], int, int] | None = None

    def focus(self, ranks: list[int]) -> None:
        """Narrow the search once for all the ranks about to be asked for."""
        self._window = None
        if self.size > _MATERIALIZE:
            k_min, k_max = min(ranks), max(ranks)
            window = _common_window(self.a, self.b, k_min, k_max, self._rng, self.blocks)
            if window is not None:
                self._window = (window, k_min, k_max)

    def kth(self, k: int) -> float:
        """The ``k``-th smallest difference, ``1 <= k <= n_x * n_y``."""
        if self.size <= _MATERIALIZE:
            return float(np.partition(np.add.outer(self.a, self.b).ravel(), k - 1)[k - 1])
        window = None
        if self._window is not None and self._window[1] <= k <= self._window[2]:
            window = self._window[0]
        return _kth_pairwise_sum(self.a, self.b, k, self._rng, self.blocks, window)

    def next_after(self, value: float, k: int) -> float:
        """The ``(k+1)``-th smallest difference given that ``value`` is the ``k``-th."""
        le = _row_positions(self.a, self.b, value, False, self.blocks)
        if int(le.sum()) >= k + 1:
            return value
        rows = np.flatnonzero(le < self.b.size)
        return float(np.min(self.a[rows] + self.b[le[rows]]))

    def median(self) -> float:
        """Median of the differences: the Hodges-Lehmann estimate."""
        half = self.size // 2
        if self.size % 2:
            return self.kth(half + 1)
        low = self.kth(half)
        return 0.5 * (low + self.next_after(low, half))


# ------------------------------------------------------------------------- Hodges-Lehmann
def _rank_sum(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """R's ``W`` (midrank sum of x minus ``n_x (n_x + 1) / 2``) and the pooled tie term.

    ``xs`` and ``ys`` are sorted, so the stable sort of their concatenation is a merge.
    """
    pooled = np.concatenate((xs, ys))
    order = np.argsort(pooled, kind="stable")
    v = pooled[order]
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    t = np.diff(np.append(starts, v.size)).astype(float)
    n_x_group = np.add.reduceat((order < xs.size).astype(float), starts)
    midrank = starts + (t + 1) / 2
    w = float(np.dot(n_x_group, midrank)) - xs.size * (xs.size + 1) / 2
    return w, float(np.sum(t**3 - t))


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
    ValueError
        Empty sample, infinite values, ``conf_level`` outside (0, 1); in the normal
        approximation, samples that are each constant (every pairwise difference is the
        same, the statistic cannot be standardized at it: R stops with "cannot compute
        confidence interval when all observations are tied").

    Notes
    -----
    Cost: O((n_x + n_y) log(n_x + n_y)) per count of differences below a value, a few
    counts per order statistic (selection on the implicit sorted matrix of differences,
    Johnson & Mizoguchi 1978; Monahan 1984), never the :math:`n_x n_y` matrix.

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
    xv = _as_sample(x, "x", func)
    yv = _as_sample(y, "y", func)
    n_x, n_y = xv.size, yv.size
    size = n_x * n_y
    xs, ys = np.sort(xv), np.sort(yv)
    w, ties_pooled = _rank_sum(xs, ys)
    has_ties = ties_pooled > 0
    if exact is None:
        exact = n_x < 50 and n_y < 50
    if exact and has_ties:
        warnings.warn(
            f"{func}: cannot compute exact p-value and confidence interval with ties; "
            "using the normal approximation",
            stacklevel=2,
        )
    diffs = _Differences(xv, yv)
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
        diffs.focus([qu, size - qu + 1])
        ci_low, ci_high = diffs.kth(qu), diffs.kth(size - qu + 1)
        if achieved - alpha > alpha / 2:
            warnings.warn(f"{func}: requested conf_level not achievable", stacklevel=2)
            conf_level = 1.0 - achieved
        estimate = diffs.median()
        method = "exact"
    else:
        sigma = _sigma(n_x, n_y, ties_pooled)
        dz = w - size / 2
        corr = math.copysign(0.5, dz) if (correct and dz != 0) else 0.0
        z = (dz - corr) / sigma if sigma > 0 else math.nan
        p_value = float(2.0 * stats.norm.sf(abs(z)))
        mumin, mumax = float(xs[0] - ys[-1]), float(xs[-1] - ys[0])
        if mumin == mumax:
            raise ValueError(
                f"{func}: x and y are each constant (every difference x - y is {mumin:g}); "
                "the rank-sum statistic cannot be standardized at that shift, so there is no "
                "normal-approximation confidence interval (R's wilcox.test stops here too)"
            )
        # Ties within each sample; between samples they occur only at jump points.
        sigma_ci = _sigma(n_x, n_y, _tie_term(xs) + _tie_term(ys))
        z_hi = float(stats.norm.isf(alpha / 2))

        # R's root() first returns an end point when the statistic evaluated there is
        # already past zq; the statistic at an end point is at least as extreme as just
        # inside it, so clipping the rank to [1, size] is the same rule.
        r_low, r_high = (
            min(max(_inversion_rank(size, sigma_ci, zq, correct), 1), size) for zq in (z_hi, -z_hi)
        )
        diffs.focus([r_low, r_high, size // 2, size // 2 + 1])
        ci_low, ci_high = diffs.kth(r_low), diffs.kth(r_high)
        estimate = diffs.median()
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
def _float_key(v: float) -> int:
    """Order-preserving map of a double onto the integers (for bisection over floats)."""
    i = int(np.float64(v).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def _key_float(k: int) -> float:
    i = k if k >= 0 else (-k) | -0x8000000000000000
    return float(np.int64(i).view(np.float64))


class _Strata:
    """Per stratum: sorted ``x`` and ``-y``, the van Elteren weight and its count terms."""

    def __init__(self, x, y, sx, sy) -> None:
        self.parts = []
        for s in np.unique(np.concatenate((sx, sy))):
            xs, ys = x[sx == s], y[sy == s]
            if xs.size == 0 or ys.size == 0:
                continue  # a stratum with one arm carries no information on the shift
            n = xs.size + ys.size
            diffs = _Differences(xs, ys)
            # Bisection probes shifts that are not differences: sums are then not exact
            # even for integer data, so the count always needs its fix-up.
            diffs.blocks = _tie_blocks(diffs.b)
            self.parts.append((diffs, 1.0 / (n + 1), xs.size * ys.size, np.sort(xs), np.sort(ys)))

    def centred_count(self, d: float) -> float:
        """``sum_s w_s (#{x - y > d in s} - n_xs n_ys / 2)``: the statistic just right of d."""
        total = 0.0
        for diffs, w, size, _, _ in self.parts:
            le = int(_row_positions(diffs.a, diffs.b, d, False, diffs.blocks).sum())
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
    xv, yv = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
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
    xv, yv = _as_sample(xv[keep_x], "x", func), _as_sample(yv[keep_y], "y", func)
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
