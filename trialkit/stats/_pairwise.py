"""Counts and order statistics of the pairwise sums of two sorted samples, never the matrix.

The Hodges-Lehmann estimate and its confidence limits are order statistics of the
:math:`n_x n_y` differences :math:`x_i - y_j`, computed here as :math:`a_i + b_j` with
``a = sort(x)`` and ``b = sort(-y)`` (``x + (-y)`` rounds exactly as R's ``x - y``).  The
implicit matrix of sums has sorted rows and columns, so the number of sums at most ``p`` in
row ``i`` is a position in ``b``, and these positions fall as ``i`` rises (a staircase).

:class:`PairSums` finds a few order statistics of nearby ranks with one pass over the rows:

1. an *estimated* count, from a subsample of rows read in a table of ``b`` (interpolated
   between the subsampled rows and between the table's entries; see :class:`_Estimate`),
   places a pivot ``p`` a margin below the ranks and ``t`` a margin above them;
2. one exact pass counts the sums ``<= p`` and collects the sums in ``(p, t]``, a thin band
   of about twice the margin (a fraction of a sum per row);
3. the order statistics are order statistics of the band (``numpy.partition``).

When the estimate misses (a rank is outside the band) the margin grows and the pass is
repeated: the result never depends on the estimate, only the time does.  A pass takes the
rows in chunks; the keys ``p - a_i`` of a chunk are sorted and their positions lie in a slice
of ``b`` bounded by the positions of the chunk's first and last row, so they are found by a
*merge* of the two sorted runs (:func:`sliced_searchsorted`: linear, where binary searches
pay ``log2`` of the slice per row), while the chunk and its slice are in cache.

Counts are exact for the rounded sums.  The position of a key compares ``b_j`` with
``p - a_i``, which can disagree with ``fl(a_i + b_j) <= p`` in the last bit; a fix-up moves
the position over the runs of tied ``b`` concerned until the two agree (rounding is
monotone, so each row's sums ``<= p`` are still a prefix).  Integer data need no fix-up:
their sums are exact and the pivots are taken half-way between integers.  Samples with many
ties are collapsed to their distinct values with multiplicities, so that a tie group of sums
is one entry of the band.

References: Johnson DB, Mizoguchi T (1978). Selecting the Kth element in X + Y and
X1 + X2 + ... + Xm. SIAM J Comput 7:147-153.  Monahan JF (1984). Algorithm 616: fast
computation of the Hodges-Lehmann location estimator. ACM TOMS 10:265-270.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

# Up to this many (distinct) sums the whole matrix is written out and partitioned.
_MATERIALIZE = 1 << 21
# Rows per chunk of a counting pass: a merge with a short slice of b that stays in cache,
# few Python calls.
_CHUNK = 1 << 14
_CHUNK_MIN = 1 << 12
# Rows of the subsample behind the estimated count, and values of b in its table: about
# _ESTIMATE_SCALE n^(3/4) of each, within [_ESTIMATE_MIN, _ESTIMATE_ROWS / _ESTIMATE_COLS]
# (more: smaller margins, slower estimates; a 1 MB table stays in cache).
_ESTIMATE_ROWS = 1 << 17
_ESTIMATE_COLS = 1 << 17
_ESTIMATE_MIN = 1 << 12
_ESTIMATE_SCALE = 1.0
# Random pairs whose sorted sums bracket a rank before the estimated count is solved.
_SAMPLE = 1 << 14
# A band larger than this many distinct sums is refused (memory) and the margin shrinks.
_BAND_MAX = 1 << 24
# The band's buffer is taken with at most this many entries (32 MB); beyond it grows by half.
_BUFFER = 1 << 22
# Sums read at once per row of the band (most rows hold one or two); longer rows are finished
# by a binary search.
_WINDOW = 4
_ATTEMPTS = 8
# Collapse a sample to distinct values when it has at most this fraction of them.
_COMPRESS = 0.25
# Integers up to this size add exactly in double precision, half-integers included.
_EXACT_LIMIT = 2.0**50
# Positions of fewer keys than this, or in a slice of b longer than _MERGE_RATIO times the
# keys, come from binary searches; others from a merge (see sliced_searchsorted).
_MERGE_MIN = 512
_MERGE_RATIO = 3
# Merge doubles of one sign as int64 (see _as_ordered).
_INT_MERGE = True
_LOW_BITS = np.int64(0x7FFFFFFFFFFFFFFF)


class _Side:
    """One sorted sample: its distinct values and multiplicities, or all values (no ties)."""

    __slots__ = ("cum", "distinct", "n", "values")

    def __init__(self, sorted_values: np.ndarray) -> None:
        self.n = sorted_values.size
        new = np.empty(self.n, dtype=bool)
        new[:1] = True
        np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
        n_distinct = int(np.count_nonzero(new))
        self.distinct = n_distinct  # n: no ties
        if n_distinct <= _COMPRESS * self.n:
            starts = np.flatnonzero(new)
            self.values = sorted_values[starts]
            # cum[i]: how many values precede distinct value i (cum[0] = 0, cum[-1] = n).
            self.cum: np.ndarray | None = np.append(starts, self.n)
        else:
            self.values, self.cum = sorted_values, None

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values, ascending, and their multiplicities (int64)."""
        if self.cum is not None:
            return self.values, np.diff(self.cum)
        v = self.values
        new = np.empty(v.size, dtype=bool)
        new[:1] = True
        np.not_equal(v[1:], v[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        return v[starts], np.diff(np.append(starts, v.size))

    def upto(self, pos: np.ndarray) -> np.ndarray:
        """Number of values among the first ``pos`` (distinct) values."""
        return pos if self.cum is None else self.cum[pos]

    def weights(self, idx: np.ndarray) -> np.ndarray | None:
        """Multiplicities of the (distinct) values at ``idx``; None when all are 1."""
        return None if self.cum is None else self.cum[idx + 1] - self.cum[idx]

    def is_integral(self) -> bool:
        v = self.values
        if v.size == 0:
            return True
        if not (abs(v[0]) < _EXACT_LIMIT and abs(v[-1]) < _EXACT_LIMIT):
            return False
        head = v[:: max(1, v.size // 256)]  # most continuous data fail here, cheaply
        return bool(np.all(head == np.round(head)) and np.all(v == np.round(v)))


def sliced_searchsorted(
    b: np.ndarray,
    keys: np.ndarray,
    side: str,
    lo: int,
    hi: int,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """``searchsorted(b, keys, side)`` for ascending keys whose positions lie in ``[lo, hi]``.

    Both arrays are sorted, so the positions are a merge: a *stable* sort of
    ``[b[lo:hi], keys]`` (numpy's timsort finds the two sorted runs and merges them in
    linear time) places each key after every ``b_j`` with ``not key < b_j``, as ties keep
    their input order; its place in the merged order minus its place among the keys is then
    the number of ``b_j <= key``, ``side="right"``.  For ``side="left"`` the keys come
    first, and are placed before the ``b_j`` equal to them.  The comparisons are numpy's own
    (those of ``searchsorted``: ``-0.0 == 0.0``, infinities ordered), so the positions are
    the binary search's, bit for bit.  A binary search costs ``log2(hi - lo)`` dependent
    steps per key; the merge about two comparisons per key and value: it is the faster when
    the slice is not much longer than the keys (few keys, or a long slice: the search).
    ``work``, a float scratch array of at least ``hi - lo + keys.size`` values, saves the
    allocation of the merged array.
    """
    width, nk = hi - lo, keys.size
    if not _merges(width, nk):
        pos = np.searchsorted(b[lo:hi], keys, side=side)
        pos += lo
        return pos
    if work is None or work.size < width + nk:
        work = np.empty(width + nk)
    _key_slot(work, width, nk, side)[:] = keys
    return _merged(b, lo, hi, nk, side, work, np.arange(nk))


def _merges(width: int, nk: int) -> bool:
    """Whether positions of ``nk`` keys in a slice of ``width`` values come from a merge."""
    return nk >= _MERGE_MIN and width <= _MERGE_RATIO * nk


def _key_slot(work: np.ndarray, width: int, nk: int, side: str) -> np.ndarray:
    """The part of the merge's scratch that holds the keys (written there by the caller)."""
    return work[width : width + nk] if side == "right" else work[:nk]


def _merged(
    b: np.ndarray, lo: int, hi: int, nk: int, side: str, work: np.ndarray, ramp: np.ndarray
) -> np.ndarray:
    """Positions of the keys in their slot of ``work`` merged with ``b[lo:hi]``.

    ``ramp`` is ``arange`` of at least ``nk``.  See :func:`sliced_searchsorted`.
    """
    width = hi - lo
    cat = work[: width + nk]
    if side == "right":
        cat[:width] = b[lo:hi]
        pos = np.flatnonzero(np.argsort(_as_ordered(cat, width), kind="stable") >= width)
    else:
        cat[nk:] = b[lo:hi]
        pos = np.flatnonzero(np.argsort(_as_ordered(cat, nk), kind="stable") < nk)
    pos -= ramp[:nk]  # merged place - place among the keys = values before the key
    pos += lo
    return pos


def _as_ordered(cat: np.ndarray, split: int) -> np.ndarray:
    """``cat`` (two sorted runs split at ``split``) as integers in the same order, if it can be.

    Doubles of one sign, zeros excluded, compare as their bit patterns read as int64 do:
    in the same order when positive, in the reverse order when negative, which flipping the
    63 low bits (in place) restores; equal doubles have equal bits (no -0.0 next to 0.0, no
    NaN).  A stable sort of the integers is then the stable sort of the doubles, and skips
    the NaN-aware comparisons of floats.  Otherwise ``cat`` itself.
    """
    if not _INT_MERGE or cat.size == 0:
        return cat
    ends = (
        (cat[0], cat[split - 1], cat[split], cat[-1]) if 0 < split < cat.size else (cat[0], cat[-1])
    )
    low, high = min(ends), max(ends)
    if low > 0.0:
        return cat.view(np.int64)
    if high < 0.0:
        bits = cat.view(np.int64)
        bits ^= _LOW_BITS
        return bits
    return cat


def chunk_rows(n: int, chunk: int) -> int:
    """Rows per chunk of a pass over ``n`` rows: ``chunk``, or fewer for short samples, where
    a chunk's scratch (a few arrays of its size) would be a large part of the memory."""
    return max(1, min(chunk, max(_CHUNK_MIN, n // 16)))


def chunk_bounds(
    b: np.ndarray, first_keys: np.ndarray, last_keys: np.ndarray, side: str
) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``b`` of each chunk's smallest and largest key (slice bounds)."""
    return np.searchsorted(b, first_keys, side=side), np.searchsorted(b, last_keys, side=side)


def _spread(n: int, k: int) -> np.ndarray:
    """About ``k`` indices spread evenly over ``0..n-1``, both ends included, ascending."""
    idx = np.linspace(0, n - 1, k).round().astype(np.int64)
    keep = np.empty(idx.size, dtype=bool)  # rounding can repeat an index; sorted already
    keep[0] = True
    np.not_equal(idx[1:], idx[:-1], out=keep[1:])
    return idx[keep]


class _Estimate:
    """The count of sums ``<= p`` estimated on a grid: a subsample of rows, a table of ``b``.

    The position in ``b`` of every row between two subsampled rows is interpolated linearly
    in the row index (a trapezoid rule that counts each row once).  The position of a
    subsampled row is read from a table of ``cols`` values of ``b`` with their exact counts
    ``#{b <= v}`` and ``#{b < v}``, interpolated linearly in the value between two entries:
    the table stays in cache, where a binary search over all of ``b`` misses it at every
    step.  On integer data the counts are step functions of the key, which a line through
    the table would cut half-way up every step: there the key is rounded down (the count
    at ``p`` is the count at ``floor(p)``) and the line runs to the integer below the next
    entry, which it meets exactly.  With every row sampled and every distinct value of
    ``b`` in the table the estimate is exact up to last-bit rounding.
    """

    def __init__(self, sums: PairSums, rows: int, cols: int) -> None:
        a, b = sums.a, sums.b
        na = a.values.size
        if na <= rows:
            picked = np.arange(na)
            omega = np.ones(na) if a.cum is None else np.diff(a.cum).astype(float)
            row_error = 0.0
        else:
            picked = _spread(na, rows)
            gap = np.diff(picked)
            omega = np.zeros(picked.size)
            if a.cum is None:
                # Rows s_k .. s_{k+1}-1 at positions C_k + (C_{k+1} - C_k)(i - s_k)/gap_k.
                omega[:-1] += (gap + 1) / 2
                omega[1:] += (gap - 1) / 2
            else:
                row_w = np.diff(a.cum).astype(float)
                block = np.repeat(np.arange(gap.size), gap)
                frac = (np.arange(na - 1) - np.repeat(picked[:-1], gap)) / np.repeat(gap, gap)
                w = row_w[:-1]
                omega[:-1] += np.bincount(block, w * (1 - frac), minlength=gap.size)
                omega[1:] += np.bincount(block, w * frac, minlength=gap.size)
            omega[-1] += 1.0 if a.cum is None else float(a.cum[-1] - a.cum[-2])
            # The positions between two picks, r rows apart, stray from the line by a random
            # walk in both samples' spacings: s.d. ~0.32 r sqrt(m (1 + m/n)) (m = b.n,
            # n = a.n; measured on normal, Cauchy, lognormal, uniform, integer and mixed data,
            # 10^4 to 10^7 per arm: at most ~1.7 times this).
            row_error = 0.32 * (a.n / picked.size) * math.sqrt(b.n * (1.0 + b.n / a.n))
        nb = b.values.size
        if nb <= cols:
            idx = np.arange(nb)
            col_error = 0.0
        else:
            idx = _spread(nb, cols)
            # Measured on the same data: the table's error is at most about the rows' one with
            # the roles of the samples swapped (mostly a third of it).
            col_error = 0.32 * (b.n / idx.size) * math.sqrt(a.n * (1.0 + a.n / b.n))
        self.error = math.hypot(row_error, col_error)
        grid = b.values[idx]  # holds b's smallest and largest value
        size = grid.size + 1
        # Gap g lies between grid[g-1] and grid[g]; g = 0 and g = len(grid) are outside the
        # table, where the count is 0 and b.n.  Across a gap the count rises from
        # #{b <= grid[g-1]} to #{b < grid[g]} (by nothing between consecutive values of b),
        # linearly from the gap's left end to its right end (both halved: a difference of
        # two halves cannot overflow).
        base = np.empty(size)
        base[0] = 0.0
        base[1:] = b.upto(idx + 1)
        slope = np.empty(size)
        slope[:-1] = b.upto(idx)
        slope[-1] = b.n
        slope -= base  # the rise
        left_half = np.empty(size)
        left_half[0] = grid[0]
        left_half[1:] = grid
        left_half *= 0.5
        span = np.empty(size)
        span[:-1] = grid
        span[-1] = grid[-1]
        self._integral = sums.exact
        if self._integral:
            span[1:-1] -= 1.0  # the last integer of the gap: #{b <= grid[g] - 1} = lt
        span *= 0.5
        span -= left_half
        with np.errstate(over="ignore"):  # a subnormal gap: no slope (the gap's left count)
            np.divide(slope, span, out=slope, where=span > 0)
        slope[(span <= 0) | ~np.isfinite(slope)] = 0.0  # also the ends, consecutive integers
        del span
        self._grid, self._base, self._slope, self._left_half = grid, base, slope, left_half
        self._a_desc = a.values[picked[::-1]]  # keys p - a ascend
        self._omega = np.ascontiguousarray(omega[::-1])
        self._sums = sums
        self.seen: dict[float, float] = {}  # every estimate made, reused as brackets

    def __call__(self, p: float) -> float:
        if p not in self.seen:
            self.seen[p] = self._count(p)
        return self.seen[p]

    def _count(self, p: float) -> float:
        if math.isinf(p):
            return 0.0 if p < 0 else float(self._sums.size)
        key = float(math.floor(p)) if self._integral else p
        with np.errstate(over="ignore", invalid="ignore"):  # only keys beyond the doubles
            keys = key - self._a_desc
            g = sliced_searchsorted(self._grid, keys, "right", 0, self._grid.size)
            # Within gap g the key is at least its left end, at most its right end.
            keys *= 0.5
            keys -= self._left_half[g]
            keys *= self._slope[g]
            keys += self._base[g]
            # Not a dot product: BLAS starts its threads for it, which costs more than the sum
            # (and stalls when the machine is busy).
            keys *= self._omega
            total = float(keys.sum())
        if not math.isfinite(total):  # a key overflowed: read it at the middle of its gap
            keys = self._base[g] + 0.5 * np.diff(np.append(self._base, self._sums.b.n))[g]
            total = float((self._omega * keys).sum())
        return total

    def bracket(self, rank: float, lo: float, hi: float) -> tuple[float, float]:
        """The tightest of ``[lo, hi]`` and the values already estimated around ``rank``."""
        for p, c in self.seen.items():
            if c < rank and p > lo:
                lo = p
            elif c >= rank and p < hi:
                hi = p
        return lo, hi

    def guess(self, rank: float) -> float | None:
        """The secant through the two estimates nearest ``rank`` (in count), if it is defined."""
        near = sorted(self.seen.items(), key=lambda pc: abs(pc[1] - rank))[:2]
        if len(near) < 2 or near[0][1] == near[1][1] or math.isinf(near[0][0] - near[1][0]):
            return None
        (p0, c0), (p1, c1) = near
        return p0 + (rank - c0) * (p1 - p0) / (c1 - c0)


class PairSums:
    """The multiset ``{a_i + b_j}`` of two sorted samples: counts and order statistics.

    Parameters
    ----------
    a_sorted, b_sorted : numpy.ndarray
        Two samples, each sorted ascending, finite.  Neither is modified nor copied
        (unless collapsed to distinct values).
    """

    def __init__(self, a_sorted: np.ndarray, b_sorted: np.ndarray) -> None:
        first, second = _Side(a_sorted), _Side(b_sorted)
        self.sides = (first, second)  # in the order given (the rank sum needs to know)
        # A pass costs one search per row: the side with fewer distinct values.
        self.a, self.b = (
            (first, second)
            if first.values.size <= second.values.size
            else (
                second,
                first,
            )
        )
        self.size = self.a.n * self.b.n
        self._entries_per_sum = self.a.values.size * self.b.values.size / self.size
        self.exact = self.a.is_integral() and self.b.is_integral()
        self.low = float(self.a.values[0] + self.b.values[0])
        self.high = float(self.a.values[-1] + self.b.values[-1])
        self._rng = np.random.default_rng(20260423)  # pivots only; results are exact
        self._estimate: _Estimate | None = None
        self._sorted_sample: np.ndarray | None = None

    # ------------------------------------------------------------------------ counting
    def _exact_at(self, p: float) -> bool:
        """Whether ``b_j <= p - a_i`` decides ``a_i + b_j <= p`` without rounding."""
        if p == 0.0:
            return True  # -a_i is exact, and fl(a + b) has the sign of a + b
        return self.exact and abs(p) < _EXACT_LIMIT and 2.0 * p == math.floor(2.0 * p)

    def _fix(self, a_rows: np.ndarray, pos: np.ndarray, p: float, strict: bool) -> np.ndarray:
        """Move ``pos`` (in place) to the exact counts of ``a_rows + b <= p`` (``< p``).

        Returns the sums at the final positions, ``a_rows + b[pos]`` (meaningless where
        ``pos == m``): the band's first candidates, computed here anyway.
        """
        b = self.b.values
        m = b.size
        below = np.less if strict else np.less_equal
        front = a_rows + b[np.minimum(pos, m - 1)]
        back = (pos > 0) & ~below(a_rows + b[np.maximum(pos - 1, 0)], p)
        fwd = (pos < m) & below(front, p)
        moved_back, moved_fwd = np.flatnonzero(back), np.flatnonzero(fwd)
        for _ in range(64):
            if moved_back.size == 0 and moved_fwd.size == 0:
                return front
            # The whole run of a tied b value is on one side of p: jump over it.
            pos[moved_back] = np.searchsorted(b, b[pos[moved_back] - 1], side="left")
            pos[moved_fwd] = np.searchsorted(b, b[pos[moved_fwd]], side="right")
            todo = np.concatenate((moved_back, moved_fwd))
            q, ai = pos[todo], a_rows[todo]
            at = ai + b[np.minimum(q, m - 1)]
            front[todo] = at
            moved_back = todo[(q > 0) & ~below(ai + b[np.maximum(q - 1, 0)], p)]
            moved_fwd = todo[(q < m) & below(at, p)]
        raise RuntimeError("pairwise-sum count did not converge")  # pragma: no cover

    def positions(self, rows: np.ndarray, p: float, strict: bool = False) -> np.ndarray:
        """Exact ``#{j: a_i + b_j <= p}`` (``< p`` if strict) for the given rows, ascending."""
        a_rows = self.a.values[rows]
        side = "left" if strict else "right"
        pos = np.searchsorted(self.b.values, p - a_rows[::-1], side=side)[::-1].copy()
        if not self._exact_at(p):
            self._fix(a_rows, pos, p, strict)
        return pos

    def _pass(
        self, p: float, strict: bool = False, exact: bool = True
    ) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """``(i0, i1, positions, fronts)`` for consecutive chunks of rows.

        ``positions`` are the exact counts at ``p`` per row (``exact=False``: the binary
        search's ``#{j: b_j <= p - a_i}``, which can differ for sums within rounding of
        ``p``), ``fronts`` the sums at those positions (the smallest sum above ``p`` where
        ``positions < m``).
        """
        av, bv = self.a.values, self.b.values
        n = av.size
        rows = chunk_rows(n, _CHUNK)
        starts = np.arange(0, n, rows)
        stops = np.minimum(starts + rows, n)
        side = "left" if strict else "right"
        # Keys p - a_i fall along a chunk: its last row has the smallest key.
        lo, hi = chunk_bounds(bv, p - av[stops - 1], p - av[starts], side)
        exact = not exact or self._exact_at(p)  # whether to skip the fix-up
        rows = min(rows, n)
        work = np.empty((_MERGE_RATIO + 1) * rows)  # the merges' scratch
        ramp = np.arange(rows)
        m = bv.size
        for c in range(starts.size):
            i0, i1 = int(starts[c]), int(stops[c])
            a_rows = av[i0:i1]
            j0, j1, nk = int(lo[c]), int(hi[c]), i1 - i0
            if _merges(j1 - j0, nk):
                # The keys p - a_i, ascending, written straight into the merge's scratch.
                np.subtract(p, a_rows[::-1], out=_key_slot(work, j1 - j0, nk, side))
                pos = _merged(bv, j0, j1, nk, side, work, ramp)[::-1]
            else:
                pos = sliced_searchsorted(bv, p - a_rows[::-1], side, j0, j1)[::-1]
            if exact:
                # Row i0 has the largest position: clamp only if some row counts all of b.
                front = a_rows + bv[pos if pos[0] < m else np.minimum(pos, m - 1)]
            else:
                pos = pos.copy()
                front = self._fix(a_rows, pos, p, strict)
            yield i0, i1, pos, front

    def _weigh(self, i0: int, i1: int, pos: np.ndarray) -> int:
        """The number of sums counted by ``pos`` in rows ``i0..i1-1`` (multiplicities)."""
        counted = self.b.upto(pos)
        if self.a.cum is None:
            return int(counted.sum())
        return int(np.dot(np.diff(self.a.cum[i0 : i1 + 1]), counted))

    def count(self, p: float, strict: bool = False) -> int:
        """Exact ``#{(i, j): a_i + b_j <= p}`` (``< p`` if strict), rounded sums."""
        return sum(self._weigh(i0, i1, pos) for i0, i1, pos, _ in self._pass(p, strict))

    # ----------------------------------------------------------------- the band (p, t]
    def _mult(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Multiplicities of the sums at ``(rows, cols)`` (weighted sides only)."""
        wa, wb = self.a.weights(rows), self.b.weights(cols)
        if wa is None:
            return wb
        return wa if wb is None else wa * wb

    def band(
        self, p: float, t: float, exact: bool = True, expect: int = 0
    ) -> tuple[int, np.ndarray | None, np.ndarray | None]:
        """Count of sums ``<= p`` and the sums above it up to ``t``, with multiplicities.

        One pass over the rows; each chunk's band is read while the chunk is in cache: the
        sums at the rows' positions (computed by the pass) pick the rows with a sum in
        ``(p, t]``; their second sums pick the few rows with more (a row of a thin band
        holds one), whose next ``_WINDOW - 1`` sums are read at once, and the rare rows
        whose window is still at most ``t`` are finished by one binary search per pass.  A
        row's sums ascend (rounding is monotone), so the sums at most ``t`` of a window are
        a prefix of it.  The band is
        None when it would exceed ``_BAND_MAX`` sums; ``expect`` (its estimated size) sizes
        the buffer that collects it.  With ``exact=False`` the count is the binary search's
        (see :meth:`_pass`): the pairs counted have sums at most ``p`` plus a few ulps, the
        band holds every other pair with a sum at most ``t`` (sums compared exactly).
        """
        av, bv = self.a.values, self.b.values
        m = bv.size
        weighted = self.a.cum is not None or self.b.cum is not None
        count = 0
        values = _Collector(np.float64, expect)
        mults = _Collector(np.int64, expect if weighted else 0)
        steps = np.arange(1, _WINDOW)
        long_rows: list[np.ndarray] = []
        long_cols: list[np.ndarray] = []
        for i0, i1, pos, front in self._pass(p, exact=exact):
            count += self._weigh(i0, i1, pos)
            if values.size > _BAND_MAX:
                continue
            # Row i0 has the largest position: test pos < m only if it reaches the end.
            rows = np.flatnonzero(front <= t if pos[0] < m else (pos < m) & (front <= t))
            if rows.size == 0:
                continue
            col = pos[rows]
            values.add(front[rows])
            if weighted:
                mults.add(self._mult(rows + i0, col))
            # The second sum of each row of the band (most hold one: few go further).
            a_band = av[i0:i1][rows]
            col += 1
            if col[0] < m:  # rows ascend, columns descend: col[0] is the largest
                sums = a_band + bv[col]
                inside = sums <= t
            else:
                sums = a_band + bv[np.minimum(col, m - 1)]
                inside = (col < m) & (sums <= t)
            more = np.flatnonzero(inside)
            if more.size == 0:
                continue
            rows, col = rows[more], col[more]
            values.add(sums[more])
            if weighted:
                mults.add(self._mult(rows + i0, col))
            # Then the next _WINDOW - 1 sums of those rows at once.
            cols = col[:, None] + steps
            if col[0] + _WINDOW <= m:
                sums = a_band[more][:, None] + bv[cols]
                inside = sums <= t
            else:
                sums = a_band[more][:, None] + bv[np.minimum(cols, m - 1)]
                inside = (cols < m) & (sums <= t)
            values.add(sums[inside])
            if weighted:
                mults.add(
                    self._mult(
                        np.broadcast_to((rows + i0)[:, None], cols.shape)[inside], cols[inside]
                    )
                )
            long = np.flatnonzero(inside[:, -1])
            if long.size:
                long_rows.append(rows[long] + i0)
                long_cols.append(col[long] + _WINDOW)
        if long_rows and values.size <= _BAND_MAX:
            # The rows still at most t after their window, all at once (a few per chunk).
            rows, col = np.concatenate(long_rows), np.concatenate(long_cols)
            width = np.maximum(self.positions(rows, t) - col, 0)
            if values.size + int(width.sum()) > _BAND_MAX:
                return count, None, None
            r, c = _cells(rows, col, width)
            values.add(av[r] + bv[c])
            if weighted:
                mults.add(self._mult(r, c))
        if values.size > _BAND_MAX:
            return count, None, None
        return count, values.result(), mults.result() if weighted else None

    # ------------------------------------------------------------------ order statistics
    def _estimator(self) -> _Estimate:
        if self._estimate is None:
            # About a dozen estimates cost ~ rows + cols; the bands they place are read at a
            # cost ~ their width, which goes as n^(3/2) / rows: the two balance near
            # rows ~ n^(3/4) (measured: n^(3/4), capped, from 10^5 to 10^7 per arm).
            na, nb = self.a.values.size, self.b.values.size
            rows = min(_ESTIMATE_ROWS, max(_ESTIMATE_MIN, round(_ESTIMATE_SCALE * na**0.75)))
            cols = min(_ESTIMATE_COLS, max(_ESTIMATE_MIN, round(_ESTIMATE_SCALE * nb**0.75)))
            self._estimate = _Estimate(self, rows, cols)
        return self._estimate

    def _sample(self) -> np.ndarray:
        """Sorted sums of random pairs (uniform over the n_a n_b pairs, ties counted)."""
        s = _SAMPLE
        picks = []
        for side in (self.a, self.b):
            u = np.sort(self._rng.integers(0, side.n, s))
            idx = u if side.cum is None else np.searchsorted(side.cum, u, side="right") - 1
            picks.append(side.values[idx])
        return np.sort(picks[0] + self._rng.permutation(picks[1]))

    def _solve(self, rank: float, lo: float, hi: float, tol: float) -> float:
        """A value where the estimated count is within ``tol`` of ``rank`` (Illinois)."""
        est = self._estimator()
        # Secant steps through the estimates nearest the rank (those made for nearby ranks
        # first): the count is smooth, so they converge in a step or two.
        for _ in range(3):
            guess = est.guess(rank)
            if guess is None or not lo < guess < hi:
                break
            if abs(est(guess) - rank) <= tol:
                return guess
        lo, hi = est.bracket(rank, lo, hi)
        g_lo, g_hi = est(lo) - rank, est(hi) - rank
        if g_lo >= 0:
            lo, g_lo = math.nextafter(self.low, -math.inf), -rank
        if g_hi < 0:
            hi, g_hi = self.high, self.size - rank
        kept = 0
        for _ in range(60):
            p = hi - g_hi * (hi - lo) / (g_hi - g_lo)
            if not lo < p < hi:
                p = lo + 0.5 * (hi - lo)
                if not lo < p < hi:
                    break
            g = est(p) - rank
            if abs(g) <= tol:
                return p
            if g < 0:
                lo, g_lo = p, g
                if kept == -1:
                    g_hi *= 0.5
                kept = -1
            else:
                hi, g_hi = p, g
                if kept == 1:
                    g_lo *= 0.5
                kept = 1
        return lo + 0.5 * (hi - lo)

    def _pivots(self, k_lo: float, k_hi: float, tol: float) -> tuple[float, float]:
        """Values with estimated counts ``k_lo`` and ``k_hi`` (-inf/inf beyond the ends)."""
        if self._sorted_sample is None:
            self._sorted_sample = self._sample()
        sample = self._sorted_sample
        s = sample.size

        def bracket(rank: float) -> tuple[float, float]:
            f = rank / self.size
            half = 5.0 * math.sqrt(s * f * (1.0 - f)) + 2.0
            i, j = math.floor(s * f - half), math.ceil(s * f + half)
            lo = float(sample[i]) if i >= 0 else math.nextafter(self.low, -math.inf)
            hi = float(sample[j]) if j < s else self.high
            return lo, hi

        p = -math.inf if k_lo < 1 else self._solve(k_lo, *bracket(k_lo), tol)
        if k_hi >= self.size:
            t = math.inf
        else:
            lo, hi = bracket(k_hi)
            t = self._solve(k_hi, max(lo, p), hi, tol)
        if self.exact:
            # Half-way between integers: p - a_i is then exact, and no tie group is split.
            p = p if math.isinf(p) else math.ceil(p) - 0.5
            t = t if math.isinf(t) else math.floor(t) + 0.5
        return p, max(p, t)

    def _materialized(self, ranks: Sequence[int]) -> dict[int, float]:
        values = np.add.outer(self.a.values, self.b.values).ravel()
        wa, wb = (
            self.a.weights(np.arange(self.a.values.size)),
            self.b.weights(np.arange(self.b.values.size)),
        )
        if wa is None and wb is None:
            return _select(values, None, ranks)
        mult = np.multiply.outer(
            np.ones(self.a.values.size, np.int64) if wa is None else wa,
            np.ones(self.b.values.size, np.int64) if wb is None else wb,
        ).ravel()
        return _select(values, mult, ranks)

    def order_statistics(self, ranks: Sequence[int]) -> dict[int, float]:
        """The ``k``-th smallest sum for each ``k`` in ``ranks`` (1-based, ties counted)."""
        ranks = sorted({int(k) for k in ranks})
        if ranks and not 1 <= ranks[0] <= ranks[-1] <= self.size:
            raise ValueError(f"ranks must lie in 1..{self.size}, got {ranks}")
        if self.a.values.size * self.b.values.size <= _MATERIALIZE:
            return self._materialized(ranks)
        # Six standard deviations of the estimate's error: a miss costs a second pass.
        margin = max(16.0, 6.0 * self._estimator().error)
        out: dict[int, float] = {}
        group: list[int] = []
        for k in ranks:
            # Ranks closer than the band's width share its pass.
            if group and k - group[0] > 2 * margin:
                out.update(self._group(group, margin))
                group = []
            group.append(k)
        if group:
            out.update(self._group(group, margin))
        return out

    def _group(self, ranks: list[int], margin: float) -> dict[int, float]:
        k_min, k_max = ranks[0], ranks[-1]
        exact = False
        for _ in range(_ATTEMPTS):
            # Pivots within a quarter margin of their targets leave 3/4 of it for the error.
            p, t = self._pivots(k_min - margin, k_max + margin, max(1.0, margin / 4))
            # The band holds about the ranks' spread and two margins of sums; a tie group of
            # sums is one entry (of its pairs' multiplicity).  A buffer that large is taken up
            # front only up to _BUFFER (after a miss the band can be much wider: it grows).
            expect = (k_max - k_min + 2 * margin) * self._entries_per_sum * 1.25
            count, values, mult = self.band(p, t, exact=exact, expect=int(min(expect, _BUFFER)))
            if values is None:
                margin /= 8  # the band was too wide to hold
                continue
            in_band = values.size if mult is None else int(mult.sum())
            if count < k_min and count + in_band >= k_max:
                local = _select(values, mult, [k - count for k in ranks])
                # Counted by binary search, a pair within rounding of p may sit on the wrong
                # side of it; harmless unless an answer is that close (then count exactly,
                # with the fix-up).  The band's sums are compared with t exactly.
                if exact or math.isinf(p) or self._exact_at(p):
                    return {k: local[k - count] for k in ranks}
                if min(local.values()) > p + self._rounding(p):
                    return {k: local[k - count] for k in ranks}
                exact = True
                continue
            margin *= 8  # the estimate missed by more than the margin
        return {k: self._bisect(k) for k in ranks}

    def _rounding(self, p: float) -> float:
        """A bound on how far above ``p`` a sum counted by binary search at ``p`` can be."""
        top = max(abs(self.a.values[0]), abs(self.a.values[-1])) + max(
            abs(self.b.values[0]), abs(self.b.values[-1])
        )
        return 4 * math.ulp(top + abs(p))

    def _bisect(self, k: int) -> float:
        """The k-th sum by bisection over the ordered doubles with exact counts (slow, sure)."""
        lo, hi = _float_key(math.nextafter(self.low, -math.inf)), _float_key(self.high)
        while hi - lo > 1:  # count(lo) < k <= count(hi)
            mid = (lo + hi) // 2
            if self.count(_key_float(mid)) >= k:
                hi = mid
            else:
                lo = mid
        return _key_float(hi)


def _cells(rows: np.ndarray, col: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the cells ``col_k .. col_k + width_k - 1`` of each ``rows_k``."""
    r = np.repeat(rows, width)
    c = np.arange(r.size) - np.repeat(np.cumsum(width) - width - col, width)
    return r, c


class _Collector:
    """Arrays appended into one buffer (grown by half when full): no list and concatenation,
    which would hold the band twice at the end."""

    def __init__(self, dtype: type, expect: int) -> None:
        self._buf = np.empty(max(int(expect), 1024), dtype=dtype)
        self.size = 0

    def add(self, v: np.ndarray) -> None:
        end = self.size + v.size
        if end > self._buf.size:
            grown = np.empty(max(end, self._buf.size + self._buf.size // 2), self._buf.dtype)
            grown[: self.size] = self._buf[: self.size]
            self._buf = grown
        self._buf[self.size : end] = v
        self.size = end

    def result(self) -> np.ndarray:
        return self._buf[: self.size]


def _select(values: np.ndarray, mult: np.ndarray | None, ranks: Sequence[int]) -> dict[int, float]:
    """The ``k``-th smallest of ``values`` (each counted ``mult`` times), k 1-based."""
    if mult is None:
        values.partition([k - 1 for k in ranks])
        return {k: float(values[k - 1]) for k in ranks}
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(mult[order])
    at = np.searchsorted(cum, ranks, side="left")
    return {k: float(values[order[i]]) for k, i in zip(ranks, at, strict=True)}


def _float_key(v: float) -> int:
    """Order-preserving map of a double onto the integers (for bisection over floats)."""
    i = int(np.float64(v).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def _key_float(k: int) -> float:
    i = k if k >= 0 else (-k) | -0x8000000000000000
    return float(np.int64(i).view(np.float64))
