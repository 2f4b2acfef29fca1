"""The interaction tests of :mod:`trialkit.stats.subgroups`: Cochran's Q of the log risk
ratios, the F test of the arm-by-level terms and the permutation test of equal
Hodges-Lehmann shifts (formulas and references in
:func:`trialkit.stats.subgroups.subgroup_effects`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats

from trialkit.stats._pairwise import _MATERIALIZE, PairSums

# Permutation statistics equal up to rounding count as equal (ties with the observed one).
_TIE_TOLERANCE = 1e-9
# A split's differences are materialized up to this many (faster than PairSums' counting
# below about 8000, slower above: benchmarks/bench_subgroups.py), in blocks of splits of at
# most _MATERIALIZE differences.
_BATCH_PAIRS = 1 << 13


def cochran_q(logs: np.ndarray, variances: np.ndarray) -> tuple[float, int]:
    w = 1 / variances
    pooled = (w * logs).sum() / w.sum()
    return float((w * (logs - pooled) ** 2).sum()), len(logs) - 1


def anova_f(y: np.ndarray, arm: np.ndarray, level: np.ndarray) -> tuple[float, float, float, float]:
    """F test of the arm-by-level terms: ``anova(lm(y ~ arm + sub), lm(y ~ arm * sub))``.

    The full model holds one mean per (arm, level) cell, so its residual sum of squares is
    the within-cell one; the additive model is fitted by least squares. Degrees of freedom
    are ranks, so that a level with one arm only adds no interaction term (R aliases it).
    """
    k = int(level.max()) + 1
    cells = level * 2 + arm
    counts = np.bincount(cells, minlength=2 * k)
    means = np.bincount(cells, y, minlength=2 * k) / np.maximum(counts, 1)
    rss_full = float(((y - means[cells]) ** 2).sum())
    rank_full = int((counts > 0).sum())
    design = np.column_stack(
        [np.ones_like(y), arm, (level[:, None] == np.arange(1, k)).astype(float)]
    )
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    rss_red = float(((y - design @ coef) ** 2).sum())
    rank_red = int(np.linalg.matrix_rank(design))
    df1, df2 = rank_full - rank_red, y.size - rank_full
    if df1 < 1 or df2 < 1 or rss_full <= 0:
        return math.nan, math.nan, float(df1), float(df2)
    f = (rss_red - rss_full) / df1 / (rss_full / df2)
    return float(f), float(stats.f.sf(f, df1, df2)), float(df1), float(df2)


def _hl_shift(x_sorted: np.ndarray, minus_y_sorted: np.ndarray) -> float:
    """Median of the pairwise differences, on the implicit sorted matrix (never built)."""
    diffs = PairSums(x_sorted, minus_y_sorted)
    size = diffs.size
    middle = [size // 2 + 1] if size % 2 else [size // 2, size // 2 + 1]
    d = diffs.order_statistics(middle)
    return d[middle[0]] if size % 2 else 0.5 * (d[middle[0]] + d[middle[1]])


def _dispersion(shifts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_l w_l (shift_l - weighted mean)^2`` along the last axis."""
    centre = (shifts * weights).sum(-1, keepdims=True) / weights.sum()
    return ((shifts - centre) ** 2 * weights).sum(-1)


def permutation_test(
    parts: list[tuple[np.ndarray, np.ndarray]],
    shifts: np.ndarray,
    n_permutations: int,
    seed,
    where: str,
) -> tuple[float, float, str]:
    """Permutation test of equal Hodges-Lehmann shifts across levels (see subgroup_effects).

    Arm 1 is aligned by the common shift, then the arm labels are permuted within each
    level; every arrangement when there are at most ``n_permutations`` of them (exact),
    else ``n_permutations`` random ones.
    """
    nx = np.array([x.size for x, _ in parts], float)
    ny = np.array([y.size for _, y in parts], float)
    weights = nx * ny / (nx + ny)
    observed = float(_dispersion(shifts, weights))
    common = float((weights * shifts).sum() / weights.sum())
    aligned = [np.concatenate((x - common, y)) for x, y in parts]
    sizes = [math.comb(z.size, x.size) for z, (x, _) in zip(aligned, parts, strict=True)]
    total = math.prod(sizes)
    exact = total <= n_permutations
    if not exact and seed is None:
        raise ValueError(
            f"{where}: the interaction test of measure='hodges_lehmann' draws random "
            f"permutations ({total:.3g} arrangements exceed n_permutations={n_permutations});"
            " pass seed= (an int) so that the p-value can be reproduced"
        )
    rng = None if exact else np.random.default_rng(seed)
    draws = total if exact else n_permutations
    perm = np.empty((draws, len(parts)))
    stride = total
    for j, (z, (x, _)) in enumerate(zip(aligned, parts, strict=True)):
        if exact:
            # Each level has only comb(n, n_x) arrangements: one shift each, then the product
            # of the levels' arrangements in mixed radix (the last level fastest).
            stride //= sizes[j]
            picks = np.array(list(itertools.combinations(range(z.size), x.size)), np.intp)
            perm[:, j] = _split_shifts(z, picks)[(np.arange(total) // stride) % sizes[j]]
        else:
            picks = np.argsort(rng.random((draws, z.size)), axis=1)[:, : x.size]
            perm[:, j] = _split_shifts(z, picks)
    stat = _dispersion(perm, weights)
    hits = int((stat >= observed - _TIE_TOLERANCE * max(abs(observed), 1.0)).sum())
    if exact:
        return observed, hits / total, f"exact, all {total} within-level permutations"
    how = f"{n_permutations} random within-level permutations, seed {_seed_text(seed)}"
    return observed, (hits + 1) / (n_permutations + 1), how


def _split_shifts(z: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """The Hodges-Lehmann shift of every split of ``z``: row ``b`` of ``picks`` lists the
    positions that form arm 1, the others arm 2.

    Small levels (at most ``_BATCH_PAIRS`` differences) have their differences materialized
    for a block of splits at once, the median of each row in one vectorized pass; larger
    levels count on the implicit sorted matrix, one split at a time.
    """
    draws, m = picks.shape
    n = z.size - m
    member = np.zeros((draws, z.size), bool)
    member[np.arange(draws)[:, None], picks] = True
    out = np.empty(draws)
    if m * n > _BATCH_PAIRS:
        for b in range(draws):
            out[b] = _hl_shift(np.sort(z[member[b]]), np.sort(-z[~member[b]]))
        return out
    block = max(1, _MATERIALIZE // (m * n))
    for start in range(0, draws, block):
        rows = member[start : start + block]
        x = np.broadcast_to(z, rows.shape)[rows].reshape(-1, m)
        y = np.broadcast_to(z, rows.shape)[~rows].reshape(-1, n)
        # x + (-y) rounds as R's x - y (and as PairSums' sums).
        diffs = (x[:, :, None] + (-y)[:, None, :]).reshape(len(rows), -1)
        out[start : start + block] = np.median(diffs, axis=1)
    return out


def _seed_text(seed) -> str:
    return str(seed) if isinstance(seed, int | np.integer) else "given as a Generator"
