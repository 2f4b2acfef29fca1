"""Generalized pairwise comparisons of a prioritized outcome: win ratio, win odds, net benefit.

Every patient of arm 1 is compared with every patient of arm 2 on a hierarchy of levels (for
example: death by day 28, earlier death worse; then ΔSOFA with a clinical threshold). A pair is
decided at the first level that tells the two apart; a pair tied there (same death day, both
alive, a difference within the threshold, a missing value, a pair not comparable because of
censoring) passes to the next level. What no level decides is a tie.

The counting is done by sorting, never by forming the ``n_x * n_y`` pairs: within each group of
still-undecided pairs ("blocks": patients of both arms that agreed on every previous level),
the wins of a patient at a level are a binary search in the sorted values of the other arm.
Levels whose ties are an equivalence (exact ties; a time level without censoring before the
horizon) split the blocks by value. A level with a threshold, missing values or censoring
that is followed by another level ties patients who are not tied among themselves; its
undecided pairs are then grouped by pairs of distinct values, which costs in proportion to
the number of distinct values within the threshold of each other (a few for SOFA points or
days; for a continuous endpoint with a threshold, put it last or round it to its clinical
resolution: the function refuses rather than build a quadratic structure).

The hierarchy is a list of levels, each a dict (the spec can hold it as TOML tables)::

    [{"column": "death_day", "kind": "time", "horizon": 28, "followup": "last_contact_day"},
     {"column": "delta_sofa", "kind": "numeric", "better": "lower", "threshold": 2}]

Keys: ``column`` (required), ``kind`` ("time" | "numeric" | "binary"), ``better`` ("higher" |
"lower"; required for numeric and binary; for time "higher": the event is bad, a later event
or none is better), ``threshold`` (>= 0; a difference at most this large is a tie),
``horizon`` (time levels, required: events after it do not count), ``followup`` (time levels:
the column of the last day a patient was known event-free; without it, follow-up is taken as
complete to the horizon), ``label`` (a name for tables).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialkit.stats._checks import as_group, check_conf_level
from trialkit.stats._hierarchy import Level, _ck, _level_values, _Values, parse_hierarchy
from trialkit.stats.rank import _tie_blocks

__all__ = ["Level", "parse_hierarchy", "win_levels", "win_statistics"]

# Refuse a pair-of-values structure larger than this many entries (see the module notes).
_MAX_ENTRIES = 60_000_000


# -- counting by sorting --------------------------------------------------------------------------


def _count_beaten(
    ref_block: np.ndarray, ref_val: np.ndarray, q_block: np.ndarray, q_val: np.ndarray, delta: float
) -> np.ndarray:
    """For each query k, ``#{j : ref_block[j] == q_block[k] and q_val[k] - ref_val[j] > delta}``.

    A binary search for ``q_val - delta`` in the sorted (block, value) keys. The shifted key
    can round differently from the difference ``q_val - ref_val`` itself; since rounding is
    monotone the qualifying values are still a prefix of the block, and a fix-up moves the
    count by whole runs of equal values until it agrees with the differences exactly.
    """
    if ref_val.size == 0 or q_val.size == 0:
        return np.zeros(q_val.size, np.int64)
    keys = np.sort(_ck(ref_block.astype(float), ref_val))
    qb = q_block.astype(float)
    start = np.searchsorted(keys, _ck(qb, np.full(qb.size, -np.inf)), "left")
    pos = np.searchsorted(keys, _ck(qb, q_val - delta), "left")
    if delta:
        end = np.searchsorted(keys, _ck(qb, np.full(qb.size, np.inf)), "right")
        vals = keys.imag
        run_start, run_end = _tie_blocks(keys)
        for _ in range(64):
            j = np.minimum(pos, keys.size - 1)
            grow = (pos < end) & (q_val - vals[j] > delta)
            i = np.maximum(pos - 1, 0)
            shrink = (pos > start) & ~(q_val - vals[i] > delta)
            if not (grow.any() or shrink.any()):
                break
            pos = np.where(grow, run_end[j], np.where(shrink, run_start[i], pos))
    return pos - start


def _side_counts(
    lv_q: _Values, q_block: np.ndarray, q_idx: np.ndarray,
    lv_r: _Values, r_block: np.ndarray, r_idx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Wins and losses at one level of each query entry against the other arm in its block."""
    delta = lv_q.level.threshold
    if lv_q.v is not None:
        vq, vr = lv_q.v[q_idx], lv_r.v[r_idx]
        ok_q, ok_r = ~np.isnan(vq), ~np.isnan(vr)
        wins, losses = np.zeros(q_idx.size, np.int64), np.zeros(q_idx.size, np.int64)
        wins[ok_q] = _count_beaten(r_block[ok_r], vr[ok_r], q_block[ok_q], vq[ok_q], delta)
        losses[ok_q] = _count_beaten(r_block[ok_r], -vr[ok_r], q_block[ok_q], -vq[ok_q], delta)
        return wins, losses
    dq, sq = lv_q.dead[q_idx], lv_q.s[q_idx]
    dr, sr = lv_r.dead[r_idx], lv_r.s[r_idx]
    # The query outlives a reference who had the event: its known time exceeds the event day.
    outlives = _count_beaten(r_block[dr], sr[dr], q_block, sq, delta)
    # A reference outlives a query who had the event.
    outlived = np.zeros(q_idx.size, np.int64)
    outlived[dq] = _count_beaten(r_block, -sr, q_block[dq], -sq[dq], delta)
    if lv_q.level.better == "higher":
        return outlives, outlived
    return outlived, outlives  # the event is good: having it first wins


def _tied_pairs(lv: _Values, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Whether class values ``ua`` (arm 1) and ``ub`` (arm 2) tie at this level, pairwise."""
    delta = lv.level.threshold
    if lv.v is not None:
        a, b = ua.real, ub.real
        return ~(a - b > delta) & ~(b - a > delta)  # NaN compares False: missing ties
    sa, da, sb, db = ua.real, ua.imag > 0, ub.real, ub.imag > 0
    return ~(db & (sa - sb > delta)) & ~(da & (sb - sa > delta))


# -- blocks of undecided pairs --------------------------------------------------------------------


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorized."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total) - offsets


@dataclass
class _Blocks:
    """Undecided pairs: entry k of arm 1 (patient ``ia[k]`` in block ``ba[k]``) is still tied
    with every arm-2 entry of the same block. ``stratum[b]`` is the stratum of block b."""

    ba: np.ndarray
    ia: np.ndarray
    bb: np.ndarray
    ib: np.ndarray
    stratum: np.ndarray

    def split_equal(self, key_a: np.ndarray, key_b: np.ndarray) -> _Blocks:
        """Blocks of patients equal on an equivalence level's key (a block per value)."""
        ka = _ck(self.ba.astype(float), key_a[self.ia])
        kb = _ck(self.bb.astype(float), key_b[self.ib])
        common = np.intersect1d(ka, kb)
        if common.size == 0:
            empty = np.zeros(0, np.int64)
            return _Blocks(empty, empty, empty, empty, empty)
        pos_a = np.minimum(np.searchsorted(common, ka), common.size - 1)
        pos_b = np.minimum(np.searchsorted(common, kb), common.size - 1)
        keep_a, keep_b = common[pos_a] == ka, common[pos_b] == kb
        stratum = np.empty(common.size, np.int64)
        stratum[pos_a[keep_a]] = self.stratum[self.ba[keep_a]]
        return _Blocks(pos_a[keep_a], self.ia[keep_a], pos_b[keep_b], self.ib[keep_b], stratum)

    def split_pairs(self, lv_a: _Values, lv_b: _Values, where: str) -> _Blocks:
        """Blocks after a level whose ties are not an equivalence: one per tied pair of values."""
        cls_a, rep_a = lv_a.classes()
        cls_b, rep_b = lv_b.classes()
        ga, ga_inv = np.unique(
            _ck(self.ba.astype(float), cls_a[self.ia].astype(float)), return_inverse=True
        )
        gb, gb_inv = np.unique(
            _ck(self.bb.astype(float), cls_b[self.ib].astype(float)), return_inverse=True
        )
        # Groups (block, class) are sorted by block: pair every arm-1 group with every arm-2
        # group of its block.
        blk_a, blk_b = ga.real.astype(np.int64), gb.real.astype(np.int64)
        n_blocks = self.stratum.size
        nb_per_block = np.bincount(blk_b, minlength=n_blocks)
        first_b = np.cumsum(nb_per_block) - nb_per_block
        partners = nb_per_block[blk_a]
        grid = int(partners.sum())
        if grid > _MAX_ENTRIES:
            raise ValueError(
                f"{where}: level {lv_a.level.name!r} has a threshold, missing values or "
                f"censoring and is followed by another level; its undecided pairs would be "
                f"grouped over {grid:,} pairs of distinct values. Round the values to their "
                "clinical resolution, or put this level last."
            )
        pa = np.repeat(np.arange(ga.size), partners)
        pb = _ranges(first_b[blk_a], partners)
        tied = _tied_pairs(lv_a, rep_a[ga.imag.astype(np.int64)[pa]],
                           rep_b[gb.imag.astype(np.int64)[pb]])  # fmt: skip
        pa, pb = pa[tied], pb[tied]
        # New block id = index of the tied pair. Entries of arm 1 repeat once per partner group.
        order_a = np.argsort(pa, kind="stable")
        cnt_a = np.bincount(pa, minlength=ga.size)
        first_a = np.cumsum(cnt_a) - cnt_a
        order_b = np.argsort(pb, kind="stable")
        cnt_b = np.bincount(pb, minlength=gb.size)
        first_pb = np.cumsum(cnt_b) - cnt_b
        reps_a, reps_b = cnt_a[ga_inv], cnt_b[gb_inv]
        size = int(reps_a.sum() + reps_b.sum())
        if size > _MAX_ENTRIES:
            raise ValueError(
                f"{where}: level {lv_a.level.name!r} leaves undecided pairs that need {size:,} "
                "block entries; round its values to their clinical resolution or put it last"
            )
        new_ba = order_a[_ranges(first_a[ga_inv], reps_a)]
        new_bb = order_b[_ranges(first_pb[gb_inv], reps_b)]
        stratum = self.stratum[blk_a[pa]]
        return _Blocks(
            new_ba, np.repeat(self.ia, reps_a), new_bb, np.repeat(self.ib, reps_b), stratum
        )


# -- the comparison -------------------------------------------------------------------------------


@dataclass
class _Counts:
    """Per patient the wins and losses against the other arm (arm-2 entries as seen by arm 2),
    and per level and stratum the wins and losses of arm 1."""

    win_a: np.ndarray
    loss_a: np.ndarray
    win_b: np.ndarray
    loss_b: np.ndarray
    level_wins: np.ndarray  # (levels, strata)
    level_losses: np.ndarray
    strata_a: np.ndarray
    strata_b: np.ndarray
    n_strata: int
    labels: list


def _prepare(data, hierarchy, group, arm_1, strata, where):
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{where}: data must be a pandas DataFrame with one row per patient")
    levels = parse_hierarchy(hierarchy)
    if not isinstance(group, str) or group not in data.columns:
        raise ValueError(f"{where}: group must name a column of data, got {group!r}")
    g = as_group(data[group], where, arm_1)
    if g.all() or not g.any():
        raise ValueError(f"{where}: both arms need patients; {group!r} has one arm only")
    if strata is None:
        codes, labels = np.zeros(len(data), np.int64), [None]
    else:
        if not isinstance(strata, str) or strata not in data.columns:
            raise ValueError(f"{where}: strata must name a column of data, got {strata!r}")
        if data[strata].isna().any():
            rows = np.flatnonzero(data[strata].isna())[:5].tolist()
            raise ValueError(f"{where}: strata column {strata!r} is missing at rows {rows}")
        codes, labels = pd.factorize(data[strata], sort=True)
        labels = list(labels)
    vals = [_level_values(data, lev, where) for lev in levels]
    return levels, vals, g, codes, labels


def _compare(data, hierarchy, group, arm_1, strata, where) -> tuple[_Counts, list[Level]]:
    levels, vals, g, codes, labels = _prepare(data, hierarchy, group, arm_1, strata, where)
    ia_all, ib_all = np.flatnonzero(g), np.flatnonzero(~g)
    sa, sb = codes[ia_all], codes[ib_all]
    n_strata = len(labels)
    both = np.intersect1d(sa, sb)
    if both.size < n_strata:
        dropped = [labels[k] for k in np.setdiff1d(np.arange(n_strata), both)][:10]
        if strata is not None:
            warnings.warn(f"{where}: strata {dropped} hold one arm only and are left out",
                          stacklevel=3)  # fmt: skip
    # Split each level's values by arm once; entries index into these.
    va = [_subset(v, ia_all) for v in vals]
    vb = [_subset(v, ib_all) for v in vals]
    blocks = _Blocks(sa, np.arange(ia_all.size), sb, np.arange(ib_all.size),
                     np.arange(n_strata))  # fmt: skip
    win_a, loss_a = np.zeros(ia_all.size), np.zeros(ia_all.size)
    win_b, loss_b = np.zeros(ib_all.size), np.zeros(ib_all.size)
    lw, ll = np.zeros((len(levels), n_strata)), np.zeros((len(levels), n_strata))
    for k, (la, lb) in enumerate(zip(va, vb, strict=True)):
        if blocks.ia.size == 0 or blocks.ib.size == 0:
            break
        w_a, l_a = _side_counts(la, blocks.ba, blocks.ia, lb, blocks.bb, blocks.ib)
        w_b, l_b = _side_counts(lb, blocks.bb, blocks.ib, la, blocks.ba, blocks.ia)
        win_a += np.bincount(blocks.ia, w_a, ia_all.size)
        loss_a += np.bincount(blocks.ia, l_a, ia_all.size)
        win_b += np.bincount(blocks.ib, w_b, ib_all.size)
        loss_b += np.bincount(blocks.ib, l_b, ib_all.size)
        st = blocks.stratum[blocks.ba]
        lw[k] = np.bincount(st, w_a, n_strata)
        ll[k] = np.bincount(st, l_a, n_strata)
        if k + 1 < len(levels):
            if la.is_equivalence and lb.is_equivalence:
                blocks = blocks.split_equal(la.class_key(), lb.class_key())
            else:
                blocks = blocks.split_pairs(la, lb, where)
    counts = _Counts(win_a, loss_a, win_b, loss_b, lw, ll, sa, sb, n_strata, labels)
    return counts, levels


def _subset(v: _Values, idx: np.ndarray) -> _Values:
    if v.v is not None:
        return _Values(v.level, v=v.v[idx])
    return _Values(v.level, dead=v.dead[idx], s=v.s[idx])


# -- estimates ------------------------------------------------------------------------------------


def _stratum_moments(c: _Counts, s: int) -> tuple[float, float, np.ndarray, int, int]:
    """Win and loss proportions of stratum s and their covariance (DeLong / Bebu-Lachin)."""
    a, b = c.strata_a == s, c.strata_b == s
    n, m = int(a.sum()), int(b.sum())
    wa, la = c.win_a[a] / m, c.loss_a[a] / m  # share of arm 2 each arm-1 patient beats / loses to
    wb, lb = c.loss_b[b] / n, c.win_b[b] / n  # share of arm 1 beating / beaten by each arm-2 one
    p_w, p_l = float(wa.mean()), float(la.mean())
    cov = np.zeros((2, 2))
    # An arm with a single patient in the stratum has no within-arm spread to estimate; its
    # term is left at 0 (the caller warns).
    if n >= 2:
        cov += np.cov(np.vstack([wa, la]), ddof=1) / n
    if m >= 2:
        cov += np.cov(np.vstack([wb, lb]), ddof=1) / m
    return p_w, p_l, cov, n, m


def win_statistics(
    data: pd.DataFrame,
    hierarchy: Sequence[Mapping | Level],
    *,
    group: str,
    arm_1=None,
    strata: str | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Win ratio, win odds and net benefit of arm 1 over arm 2 on a prioritized hierarchy.

    With :math:`\hat p_w` and :math:`\hat p_l` the proportions of the :math:`n_x n_y` pairs
    that arm 1 wins and loses (ties :math:`\hat p_t = 1 - \hat p_w - \hat p_l`):

    .. math::

        WR = \frac{\hat p_w}{\hat p_l}\ \text{(Pocock 2012)}, \quad
        WO = \frac{\hat p_w + \frac12\hat p_t}{\hat p_l + \frac12\hat p_t}\ \text{(Dong 2020;
        Brunner 2021)}, \quad
        NB = \hat p_w - \hat p_l\ \text{(Buyse 2010)}.

    Variance. :math:`(\hat p_w, \hat p_l)` are two-sample U-statistics; their covariance is
    estimated from each patient's share of wins and losses against the other arm
    (placements), :math:`\hat\Sigma = S_x/n_x + S_y/n_y` with :math:`S` the sample
    covariance matrices (denominator :math:`n - 1`) of the arm-1 and arm-2 placements: the
    large-sample variance of Bebu & Lachin (2016) and Dong et al. (2016), in the DeLong form.
    By the delta method, :math:`\mathrm{Var}(\log WR) = \sigma_w^2/p_w^2 + \sigma_l^2/p_l^2 -
    2\sigma_{wl}/(p_w p_l)`, :math:`\mathrm{Var}(NB) = \sigma_w^2 + \sigma_l^2 -
    2\sigma_{wl}`, and :math:`\mathrm{Var}(\log WO) = 4\,\mathrm{Var}(NB)/(1 - NB^2)^2`. CIs are
    Wald on the log scale for WR and WO, on the natural scale for NB; each p-value is the
    matching Wald test (not the Finkelstein-Schoenfeld permutation test). With one numeric
    level the win odds are :math:`U/(n_x n_y - U)` and :math:`NB = 2\theta - 1`, with
    :math:`\theta` the probability index of :func:`~trialkit.stats.composite.probability_index`,
    and the win-odds interval is its logit interval.

    Stratified (``strata=``, e.g. site): per stratum :math:`s` the proportions are combined
    with Mantel-Haenszel-type weights :math:`w_s = n_{xs} n_{ys}/(n_{xs}+n_{ys})`,
    :math:`p_w = \sum w_s p_{ws}/\sum w_s` (so :math:`WR = \sum_s N_{ws}/N_s \big/ \sum_s
    N_{ls}/N_s`, the stratified win ratio of Dong et al. 2018), and the covariance is
    :math:`\sum (w_s/\sum w)^2 \hat\Sigma_s`. Strata with one arm only are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient, holding the hierarchy's columns, ``group`` and ``strata``.
    hierarchy : list of dict or Level
        The levels in priority order (see the module docstring and :func:`parse_hierarchy`).
    group : str
        Column of the arm: 0/1 (1 = arm 1) or two labels with ``arm_1``.
    arm_1 : optional
        The label of arm 1 when ``group`` holds labels.
    strata : str, optional
        Column of the stratum (site).
    conf_level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Three rows, ``statistic`` = "win_ratio", "win_odds", "net_benefit", each with
        ``estimate, ci_low, ci_high, p_value, se`` (of the log for the ratios), ``p_win,
        p_loss, p_tie`` (weighted when stratified), ``wins, losses, ties, pairs`` (pair
        counts summed over strata), ``n_x, n_y, n_strata, conf_level, method``.

    Notes
    -----
    Cost O(n log n) per level (binary searches within blocks of undecided pairs); see the
    module notes for levels with a threshold or censoring that are not last.

    References
    ----------
    Pocock SJ, Ariti CA, Collier TJ, Wang D. The win ratio. Eur Heart J 2012;33:176-182.
    Buyse M. Generalized pairwise comparisons of prioritized outcomes in the two-sample
    problem. Stat Med 2010;29:3245-3257. Bebu I, Lachin JM. Large sample inference for a win
    ratio analysis of a composite outcome based on prioritized components. Biostatistics
    2016;17:178-187. Dong G, Li D, Ballerstedt S, Vandemeulebroecke M. A generalized analytic
    solution to the win ratio. Pharm Stat 2016;15:430-437. Dong G, Qiu J, Wang D,
    Vandemeulebroecke M. The stratified win ratio. J Biopharm Stat 2018;28:778-796. Dong G,
    Hoaglin DC, Qiu J, et al. The win ratio: on interpretation and handling of ties. Stat
    Biopharm Res 2020;12:99-106. Brunner E, Vandemeulebroecke M, Mütze T. Win odds: an
    adaptation of the win ratio to include ties. Stat Med 2021;40:3367-3384.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": [1, 1, 1, 0, 0, 0], "death": [np.nan, 5, np.nan, 3, np.nan,
    ...                    np.nan], "sofa": [2, 9, 4, 8, 3, 6]})
    >>> res = win_statistics(df, [{"column": "death", "kind": "time", "horizon": 28},
    ...                           {"column": "sofa", "better": "lower"}], group="arm")
    >>> res[["statistic", "estimate", "wins", "losses"]]
         statistic  estimate  wins  losses
    0    win_ratio  2.000000   6.0     3.0
    1     win_odds  2.000000   6.0     3.0
    2  net_benefit  0.333333   6.0     3.0
    """
    where = "win_statistics"
    conf_level = check_conf_level(conf_level, where)
    c, _ = _compare(data, hierarchy, group, arm_1, strata, where)
    rows = []
    for s in np.intersect1d(c.strata_a, c.strata_b):
        rows.append(_stratum_moments(c, int(s)))
    single = [c.labels[s] for s, r in zip(np.intersect1d(c.strata_a, c.strata_b), rows,
                                          strict=True) if min(r[3], r[4]) < 2]  # fmt: skip
    if single:
        warnings.warn(
            f"{where}: {'strata ' + str(single[:10]) if strata else 'an arm'} with a single "
            "patient in an arm: that arm's share of the variance cannot be estimated there and "
            "is taken as 0 (the interval is slightly too narrow)",
            RuntimeWarning,
            stacklevel=2,
        )
    weights = np.array([n * m / (n + m) for *_, n, m in rows])
    weights = weights / weights.sum()
    p_w = float(sum(w * r[0] for w, r in zip(weights, rows, strict=True)))
    p_l = float(sum(w * r[1] for w, r in zip(weights, rows, strict=True)))
    cov = sum(w**2 * r[2] for w, r in zip(weights, rows, strict=True))
    wins, losses = float(c.level_wins.sum()), float(c.level_losses.sum())
    pairs = float(sum(n * m for *_, n, m in rows))
    common = {
        "p_win": p_w,
        "p_loss": p_l,
        "p_tie": 1 - p_w - p_l,
        "wins": wins,
        "losses": losses,
        "ties": pairs - wins - losses,
        "pairs": pairs,
        "n_x": int(sum(r[3] for r in rows)),
        "n_y": int(sum(r[4] for r in rows)),
        "n_strata": len(rows),
        "conf_level": conf_level,
    }
    return pd.DataFrame(_three_statistics(p_w, p_l, cov, conf_level, strata, common, where))


def _three_statistics(p_w, p_l, cov, conf_level, strata, common, where) -> list[dict]:
    from scipy.stats import norm

    z = float(norm.isf((1 - conf_level) / 2))
    var_w, var_l, cov_wl = cov[0, 0], cov[1, 1], cov[0, 1]
    nb = p_w - p_l
    var_nb = var_w + var_l - 2 * cov_wl
    with np.errstate(divide="ignore", invalid="ignore"):
        wr = p_w / p_l if p_l > 0 else (math.inf if p_w > 0 else math.nan)
        var_lwr = var_w / p_w**2 + var_l / p_l**2 - 2 * cov_wl / (p_w * p_l)
        wo = (1 + nb) / (1 - nb) if nb < 1 else math.inf
        var_lwo = 4 * var_nb / (1 - nb**2) ** 2
    if p_w == 0 or p_l == 0:
        warnings.warn(
            f"{where}: arm 1 wins {'no' if p_w == 0 else 'every decided'} pair; the win ratio "
            "is 0 or infinite and its interval undefined (NaN)",
            RuntimeWarning,
            stacklevel=3,
        )
        var_lwr = math.nan
    tag = "stratified (MH-type weights), " if strata is not None else ""
    out = []
    for name, est, se, log in (
        ("win_ratio", wr, math.sqrt(var_lwr) if var_lwr >= 0 else math.nan, True),
        ("win_odds", wo, math.sqrt(var_lwo) if var_lwo >= 0 else math.nan, True),
        ("net_benefit", nb, math.sqrt(var_nb) if var_nb >= 0 else math.nan, False),
    ):
        centre = math.log(est) if log and 0 < est < math.inf else (est if not log else math.nan)
        if np.isfinite(se) and se > 0 and np.isfinite(centre):
            lo, hi = centre - z * se, centre + z * se
            p = float(2 * norm.sf(abs(centre) / se))
            if log:
                lo, hi = math.exp(lo), math.exp(hi)
        else:
            lo = hi = p = math.nan
        out.append(
            {
                "statistic": name,
                "estimate": float(est),
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                "se": se,
                **common,
                "method": f"generalized pairwise comparisons, {tag}U-statistic variance",
            }
        )
    return out


def win_levels(
    data: pd.DataFrame,
    hierarchy: Sequence[Mapping | Level],
    *,
    group: str,
    arm_1=None,
    strata: str | None = None,
) -> pd.DataFrame:
    """How each level of the hierarchy decides the pairs: wins, losses and ties passed on.

    Parameters are those of :func:`win_statistics`.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level`` (1-based), ``label, column, kind, threshold, wins,
        losses`` (pairs arm 1 wins / loses at this level), ``undecided`` (pairs still tied
        after it, passed to the next level), ``p_win, p_loss`` (shares of all pairs) and
        ``net_benefit_cumulative`` (unweighted, summed over strata).

    Examples
    --------
    >>> df = pd.DataFrame({"arm": [1, 1, 0, 0], "death": [np.nan, 5, 3, np.nan],
    ...                    "sofa": [2, 9, 8, 3]})
    >>> win_levels(df, [{"column": "death", "kind": "time", "horizon": 28},
    ...                 {"column": "sofa", "better": "lower"}], group="arm")[
    ...     ["level", "wins", "losses", "undecided"]]
       level  wins  losses  undecided
    0      1   2.0     1.0        1.0
    1      2   1.0     0.0        0.0
    """
    where = "win_levels"
    c, levels = _compare(data, hierarchy, group, arm_1, strata, where)
    kept = np.intersect1d(c.strata_a, c.strata_b)
    pairs = float(sum((c.strata_a == s).sum() * (c.strata_b == s).sum() for s in kept))
    wins, losses = c.level_wins[:, kept].sum(1), c.level_losses[:, kept].sum(1)
    decided = np.cumsum(wins + losses)
    return pd.DataFrame(
        {
            "level": np.arange(1, len(levels) + 1),
            "label": [lev.name for lev in levels],
            "column": [lev.column for lev in levels],
            "kind": [lev.kind for lev in levels],
            "threshold": [lev.threshold for lev in levels],
            "wins": wins,
            "losses": losses,
            "undecided": pairs - decided,
            "p_win": wins / pairs,
            "p_loss": losses / pairs,
            "net_benefit_cumulative": np.cumsum(wins - losses) / pairs,
        }
    )
