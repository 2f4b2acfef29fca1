"""Tests for trialkit.stats.rank.hodges_lehmann against R's ``wilcox.test``.

Every expected value below was printed by ``Rscript tests/R/rank.R`` (R 4.2.2, stats) and is
copied verbatim.  The data are deterministic formulas written identically in R and here.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from scipy.stats import rankdata

import trialkit.stats._pairwise as pairwise
import trialkit.stats.rank as rank
from trialkit.stats import hodges_lehmann, van_elteren
from trialkit.stats._pairwise import PairSums
from trialkit.stats.rank import _rank_sum_pmf


def gold(n: int, s: float) -> np.ndarray:
    return (np.arange(1, n + 1) * 0.6180339887498949 + s) % 1


def cont(n: int, s: float) -> np.ndarray:
    return ndtri(gold(n, s))


def ints(n: int, s: float, k: int) -> np.ndarray:
    return np.floor(gold(n, s) * k)


# The data sets of tests/R/rank.R, with the same names.
DATA = {
    "exact_9_10": dict(x=cont(9, 0.1) + 0.5, y=cont(10, 0.2)),
    "exact_5_30": dict(x=cont(5, 0.3) + 1, y=cont(30, 0.4)),
    "exact_3_2": dict(x=cont(3, 0.5), y=cont(2, 0.6)),
    "exact_1_1": dict(x=[1.5], y=[0.25]),
    "exact_49_45": dict(x=cont(49, 0.7) + 0.3, y=cont(45, 0.8)),
    "exact_90": dict(x=cont(20, 0.05) + 0.2, y=cont(25, 0.15), conf_level=0.9),
    "exact_forced_60_55": dict(x=cont(60, 0.45) + 0.25, y=cont(55, 0.55), exact=True),
    "approx_small_forced": dict(x=cont(12, 0.25) + 0.4, y=cont(11, 0.35), exact=False),
    "approx_small_nocorrect": dict(
        x=cont(12, 0.25) + 0.4, y=cont(11, 0.35), exact=False, correct=False
    ),
    "ties_small": dict(x=ints(9, 0.1, 5), y=ints(11, 0.6, 5)),
    "cont_60_55": dict(x=cont(60, 0.45) + 0.25, y=cont(55, 0.55)),
    "cont_2000_1500": dict(x=cont(2000, 0.65) + 0.1, y=cont(1500, 0.75)),
    "cont_2000_1500_nocorrect": dict(x=cont(2000, 0.65) + 0.1, y=cont(1500, 0.75), correct=False),
    "sofa_114_122": dict(
        x=ints(114, 0.12, 12) - ints(114, 0.81, 6), y=ints(122, 0.33, 12) - ints(122, 0.27, 5)
    ),
    "free_days_120_116": dict(
        x=np.maximum(0, ints(120, 0.9, 36) - 8), y=np.maximum(0, ints(116, 0.15, 34) - 8)
    ),
    "zero_shift": dict(x=ints(80, 0.2, 7), y=ints(80, 0.2, 7)),
    "separated": dict(x=ints(60, 0.3, 5) + 10, y=ints(55, 0.4, 5)),
    "odd_even_flat": dict(x=[0, 0, 1, 1, 2, 3, 3], y=[0, 1, 1, 2, 2, 2]),
    "large_int_3000": dict(x=ints(3000, 0.61, 25), y=ints(2800, 0.47, 24)),
    "unequal_1_80": dict(x=[0.3], y=cont(80, 0.5)),
}

# R: wilcox.test(x, y, conf.int=TRUE, exact=, correct=, conf.level=) -> estimate, conf.int,
# p.value, statistic (W), attr(conf.int, "conf.level"); mid_low/mid_high are the two middle
# values of sort(outer(x, y, "-")) (equal when n_x * n_y is odd).  Source: tests/R/rank.R.
R = {
    "exact_9_10": dict(
        estimate=0.617313225117368,
        ci_low=-0.399699985508946,
        ci_high=1.53224273804939,
        p_value=0.211024269847799,
        statistic=61,
        conf_level=0.95,
        method="exact",
        mid_low=0.615998572522966,
        mid_high=0.61862787771177,
    ),
    "exact_5_30": dict(
        estimate=1.15651703589806,
        ci_low=0.0590782649322554,
        ci_high=2.15904019972235,
        p_value=0.0328125385051381,
        statistic=120,
        conf_level=0.95,
        method="exact",
        mid_low=1.14442531171959,
        mid_high=1.16860876007653,
    ),
    "exact_3_2": dict(
        estimate=-0.376588676688047,
        ci_low=-2.16329745747597,
        ci_high=1.41012010409988,
        p_value=0.8,
        statistic=2,
        conf_level=0.8,
        method="exact",
        mid_low=-0.406022033154504,
        mid_high=-0.347155320221589,
    ),
    "exact_1_1": dict(
        estimate=1.25,
        ci_low=1.25,
        ci_high=1.25,
        p_value=1,
        statistic=1,
        conf_level=0,
        method="exact",
        mid_low=1.25,
        mid_high=1.25,
    ),
    "exact_49_45": dict(
        estimate=0.273099420921943,
        ci_low=-0.153883222945005,
        ci_high=0.705605779483326,
        p_value=0.19918464271279,
        statistic=1273,
        conf_level=0.95,
        method="exact",
        mid_low=0.273099420921943,
        mid_high=0.273099420921943,
    ),
    "exact_90": dict(
        estimate=0.321652512078598,
        ci_low=-0.192021709150287,
        ci_high=0.840993920572332,
        p_value=0.323800247900701,
        statistic=294,
        conf_level=0.9,
        method="exact",
        mid_low=0.319909563588875,
        mid_high=0.32339546056832,
    ),
    "exact_forced_60_55": dict(
        estimate=0.28082601035105,
        ci_low=-0.0969623504347751,
        ci_high=0.660666681338393,
        p_value=0.15308628682758,
        statistic=1906,
        conf_level=0.95,
        method="exact",
        mid_low=0.280417507162408,
        mid_high=0.281234513539692,
    ),
    "approx_small_forced": dict(
        estimate=0.373456365757137,
        ci_low=-0.558456308665125,
        ci_high=1.37094372453155,
        p_value=0.372171439782126,
        statistic=81,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.37281126193571,
        mid_high=0.374836556290277,
    ),
    "approx_small_nocorrect": dict(
        estimate=0.373456365757137,
        ci_low=-0.538443004413348,
        ci_high=1.29971690914214,
        p_value=0.35591018837101,
        statistic=81,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.37281126193571,
        mid_high=0.374836556290277,
    ),
    "ties_small": dict(
        estimate=0,
        ci_low=-1.00003041751113,
        ci_high=1.99995005897473,
        p_value=0.786351210179307,
        statistic=53.5,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0,
        mid_high=0,
    ),
    "cont_60_55": dict(
        estimate=0.280831678221784,
        ci_low=-0.0970320884337744,
        ci_high=0.660709343106771,
        p_value=0.152566291028775,
        statistic=1906,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.280417507162408,
        mid_high=0.281234513539692,
    ),
    "cont_2000_1500": dict(
        estimate=0.0982903208239664,
        ci_low=0.0296868882575365,
        ci_high=0.166743771533217,
        p_value=0.00499503879783599,
        statistic=1583055,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.0982645422604247,
        mid_high=0.0982672581658234,
    ),
    "cont_2000_1500_nocorrect": dict(
        estimate=0.0982903208239664,
        ci_low=0.0296893622660301,
        ci_high=0.166743484979644,
        p_value=0.0049947767108196,
        statistic=1583055,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.0982645422604247,
        mid_high=0.0982672581658234,
    ),
    "sofa_114_122": dict(
        estimate=3.38383388787688e-05,
        ci_low=-5.74716752141285e-05,
        ci_high=1.00003868444658,
        p_value=0.216159778781279,
        statistic=7598,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0,
        mid_high=0,
    ),
    "free_days_120_116": dict(
        estimate=3.22997288113296e-05,
        ci_low=-0.999963948050133,
        ci_high=2.999927590082,
        p_value=0.53817927329525,
        statistic=7280.5,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0,
        mid_high=0,
    ),
    "zero_shift": dict(
        estimate=0,
        ci_low=-0.999912678034955,
        ci_high=0.999912678034955,
        p_value=1,
        statistic=3200,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0,
        mid_high=0,
    ),
    "separated": dict(
        estimate=10,
        ci_low=9.00000699482583,
        ci_high=10.9999930051742,
        p_value=1.66532474879858e-20,
        statistic=3300,
        conf_level=0.95,
        method="normal approximation",
        mid_low=10,
        mid_high=10,
    ),
    "odd_even_flat": dict(
        estimate=1.44384265717331e-05,
        ci_low=-1.00000924620915,
        ci_high=1.99998116422431,
        p_value=1,
        statistic=21.5,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0,
        mid_high=0,
    ),
    "large_int_3000": dict(
        estimate=0.999969022455136,
        ci_low=1.99932496238397e-06,
        ci_high=0.999985621455467,
        p_value=0.00800778038532343,
        statistic=4368840.5,
        conf_level=0.95,
        method="normal approximation",
        mid_low=1,
        mid_high=1,
    ),
    "unequal_1_80": dict(
        estimate=0.281563012147108,
        ci_low=-2.65708548763176,
        ci_high=2.77952861161177,
        p_value=0.716198145750942,
        statistic=49,
        conf_level=0.95,
        method="normal approximation",
        mid_low=0.267017778363957,
        mid_high=0.320381849946246,
    ),
}

# R's uniroot(..., tol = 1e-4) stops within its tolerance of the jump point.
R_TOL_ROOT = 1e-4


def _run(name: str) -> pd.Series:
    d = dict(DATA[name])
    x, y = d.pop("x"), d.pop("y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hodges_lehmann(x, y, **d).iloc[0]


EXACT = [k for k, v in R.items() if v["method"] == "exact"]
APPROX = [k for k, v in R.items() if v["method"] != "exact"]


@pytest.mark.parametrize("name", EXACT)
def test_wilcox_test_exact_conf_int(name):
    got, ref = _run(name), R[name]
    assert got["method"] == "exact"
    for col in ["estimate", "ci_low", "ci_high", "p_value", "statistic", "conf_level"]:
        assert got[col] == pytest.approx(ref[col], rel=1e-9, abs=1e-9), col


@pytest.mark.parametrize("name", APPROX)
def test_wilcox_test_normal_approximation_conf_int(name):
    got, ref = _run(name), R[name]
    assert got["method"] == "normal approximation"
    assert got["p_value"] == pytest.approx(ref["p_value"], rel=1e-9, abs=1e-15)
    assert got["statistic"] == ref["statistic"]
    assert got["conf_level"] == ref["conf_level"]
    # The limits are the jump points R's root finder converges to.
    assert got["ci_low"] == pytest.approx(ref["ci_low"], abs=R_TOL_ROOT)
    assert got["ci_high"] == pytest.approx(ref["ci_high"], abs=R_TOL_ROOT)
    # Estimate: the median of the differences; R's uniroot lands within its tolerance of
    # the interval [mid_low, mid_high] on which the statistic is zero.
    assert got["estimate"] == pytest.approx(0.5 * (ref["mid_low"] + ref["mid_high"]), abs=1e-12)
    assert ref["mid_low"] - R_TOL_ROOT <= ref["estimate"] <= ref["mid_high"] + R_TOL_ROOT


@pytest.mark.parametrize(
    "name", ["sofa_114_122", "free_days_120_116", "zero_shift", "separated", "large_int_3000"]
)
def test_wilcox_test_integer_data_limits_on_integer_steps(name):
    got, ref = _run(name), R[name]
    for col in ["ci_low", "ci_high", "estimate"]:
        assert got[col] == round(ref[col]), col  # exactly the integer R's root approaches


def test_pwilcox_qwilcox_exact_distribution():
    # R: pwilcox(q, m, n) and qwilcox(0.025, m, n) (tests/R/rank.R, last block)
    for (m, n), q, p, q025 in [
        ((3, 2), 2, 0.4, 0),
        ((9, 10), 30, 0.12140336443742, 21),
        ((5, 30), 50, 0.128462382020257, 34),
        ((49, 45), 735, 0.00255654130967997, 844),
    ]:
        cdf = np.cumsum(_rank_sum_pmf(m, n))
        assert cdf[q] == pytest.approx(p, rel=1e-10)
        assert int(np.searchsorted(cdf, 0.025 - 1e-15)) == q025
        assert cdf[-1] == pytest.approx(1.0, abs=1e-12)


PAIR_CASES = ["normal", "integers", "rounded", "shifted_ties", "unequal"]


def _pair_case(case):
    rng = np.random.default_rng(7)
    return {
        "normal": (rng.normal(size=1500), rng.normal(size=1700)),
        "integers": (rng.integers(0, 9, 1600) * 1.0, rng.integers(0, 7, 1400) * 1.0),
        "rounded": (np.round(rng.normal(size=2000), 1), np.round(rng.normal(size=1200), 1)),
        # Ties in one sample only, values whose sums round (0.1 steps are not binary).
        "shifted_ties": (np.round(rng.normal(size=1800), 2) + 0.1, rng.normal(size=1300)),
        "unequal": (rng.normal(size=40), rng.normal(0.5, 2, size=3000)),
    }[case]


@pytest.mark.parametrize("case", PAIR_CASES)
def test_order_statistics_of_differences_match_full_sort(case, monkeypatch):
    # The one-pass band selection (trialkit.stats._pairwise), forced on small data by
    # lowering its thresholds, against np.sort of every difference (the brute-force oracle).
    monkeypatch.setattr(pairwise, "_MATERIALIZE", 5000)
    monkeypatch.setattr(pairwise, "_ESTIMATE_ROWS", 64)
    monkeypatch.setattr(pairwise, "_SAMPLE", 500)
    monkeypatch.setattr(pairwise, "_CHUNK", 100)
    x, y = _pair_case(case)
    full = np.sort(np.subtract.outer(x, y).ravel())
    sums = PairSums(np.sort(x), np.sort(-y))
    ks = [1, 2, 17, 40_000, full.size // 2, full.size // 2 + 1, full.size - 3, full.size]
    got = sums.order_statistics(ks)
    assert [got[k] for k in ks] == [full[k - 1] for k in ks]
    for p in [full[0], full[12345], float(np.median(full)), 0.1, full[-1]]:
        assert sums.count(p) == np.searchsorted(full, p, side="right"), p
        assert sums.count(p, strict=True) == np.searchsorted(full, p, side="left"), p


@pytest.mark.parametrize("case", PAIR_CASES)
def test_order_statistics_when_rounding_forces_exact_counts(case, monkeypatch):
    # A band counted by binary search is accepted only if no answer lies within rounding of
    # its lower pivot; claiming that every answer does forces the exact (fixed-up) count.
    monkeypatch.setattr(pairwise, "_MATERIALIZE", 5000)
    monkeypatch.setattr(pairwise, "_ESTIMATE_ROWS", 64)
    monkeypatch.setattr(pairwise, "_CHUNK", 100)
    monkeypatch.setattr(PairSums, "_rounding", lambda self, p: math.inf)
    x, y = _pair_case(case)
    full = np.sort(np.subtract.outer(x, y).ravel())
    ks = [5, full.size // 2, full.size // 2 + 1, full.size - 7]
    got = PairSums(np.sort(x), np.sort(-y)).order_statistics(ks)
    assert [got[k] for k in ks] == [full[k - 1] for k in ks]


@pytest.mark.parametrize("case", PAIR_CASES)
def test_order_statistics_survive_a_bad_estimate(case, monkeypatch):
    # The estimated count only places the band: with an estimate off by far more than its
    # margin the pass is repeated (and finally bisected) and the result is still exact.
    monkeypatch.setattr(pairwise, "_MATERIALIZE", 5000)
    monkeypatch.setattr(pairwise, "_CHUNK", 100)
    monkeypatch.setattr(pairwise._Estimate, "__call__", lambda self, p: 0.5 * self._sums.size)
    x, y = _pair_case(case)
    full = np.sort(np.subtract.outer(x, y).ravel())
    sums = PairSums(np.sort(x), np.sort(-y))
    ks = [3, full.size // 2, full.size // 2 + 1]
    got = sums.order_statistics(ks)
    assert [got[k] for k in ks] == [full[k - 1] for k in ks]


@pytest.mark.parametrize("chunk", [7, 1 << 14])
def test_rank_sum_and_ties_match_the_pooled_ranking(chunk, monkeypatch):
    # R's W from the midranks of the pooled sample (scipy.stats.rankdata) and the pooled tie
    # term from np.unique, against the binary-search version (chunk 7: runs of tied values
    # split between chunks).
    monkeypatch.setattr(rank, "_CHUNK", chunk)
    rng = np.random.default_rng(3)
    for x, y in [
        (rng.integers(0, 30, 5000) * 1.0, rng.integers(5, 40, 4000) * 1.0),
        (np.round(rng.normal(size=3000), 2), np.round(rng.normal(size=2000), 2)),
        (rng.normal(size=2000), rng.normal(size=1000)),
        (np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0, 3.0, 3.0])),
    ]:
        ranks = rankdata(np.concatenate((x, y)))
        w_ref = ranks[: x.size].sum() - x.size * (x.size + 1) / 2
        _, t = np.unique(np.concatenate((x, y)), return_counts=True)
        w, ties = rank._rank_sum(np.sort(x), np.sort(y))
        assert w == w_ref
        assert ties == float(np.sum(t.astype(float) ** 3 - t))


@pytest.mark.parametrize("side", ["left", "right"])
def test_merged_positions_are_the_binary_search_ones(side, monkeypatch):
    # sliced_searchsorted merges the sorted keys with their slice of b (a stable sort, of
    # the bits as int64 when all values have one sign): ties, signed zeros, infinities and
    # subnormals must land where numpy's binary search puts them.
    monkeypatch.setattr(pairwise, "_MERGE_MIN", 1)
    rng = np.random.default_rng(11)
    special = np.array([-np.inf, -1.0, -0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, np.inf])
    positive = np.array([5e-324, 1e-310, 1e-310, 2.5e-308, 1.0, 1.0, 3.0, 1e308, np.inf])
    cases = [
        (np.sort(special), np.sort(np.array([-np.inf, -0.0, 0.0, 0.0, 1.0, 1.0, 3.0, np.inf]))),
        (np.sort(rng.integers(0, 9, 300) * 1.0), np.sort(rng.integers(-2, 12, 200) * 1.0)),
        (np.sort(rng.integers(1, 9, 300) * 1.0), np.sort(rng.integers(1, 12, 200) * 1.0)),
        (np.sort(rng.integers(-9, 0, 300) * 1.0), np.sort(rng.integers(-12, 0, 200) * 1.0)),
        (positive, np.sort(rng.choice(positive, 40))),
        (np.sort(-positive), np.sort(rng.choice(-positive, 40))),
        (np.sort(rng.normal(size=500)), np.sort(rng.normal(size=400))),
        (np.sort(rng.normal(size=500) + 9), np.sort(rng.normal(size=400) + 9)),
        (np.sort(rng.normal(size=500) - 9), np.sort(rng.normal(size=400) - 9)),
        (np.sort(rng.normal(size=50)), np.sort(rng.normal(size=400))),  # slice >> keys
    ]
    for b, keys in cases:
        want = np.searchsorted(b, keys, side=side)
        lo, hi = int(want[0]), int(want[-1])
        for work in (None, np.empty(1), np.empty(b.size + keys.size)):
            got = pairwise.sliced_searchsorted(b, keys, side, lo, hi, work)
            assert np.array_equal(got, want)
        assert np.array_equal(pairwise.sliced_searchsorted(b, keys, side, 0, b.size), want)


@pytest.mark.parametrize("seed", range(6))
def test_rank_sum_from_the_tables_of_distinct_values_is_the_merged_one(seed):
    # Samples with many ties take the rank sum from their distinct values (_table_stats):
    # the same 2W and the same doubles for both tie terms as the merge of all values.
    rng = np.random.default_rng(seed)
    draws = [
        lambda n: rng.integers(0, 12, n) * 1.0,
        lambda n: np.round(rng.normal(size=n), 1),
        lambda n: rng.normal(size=n),
        lambda n: rng.choice([-0.0, 0.0, 1.0, 2.5], n),
    ]
    for fx in draws:
        for fy in draws:
            x, y = fx(int(rng.integers(1, 900))), fy(int(rng.integers(1, 900)))
            xs, zs = np.sort(x), np.sort(-y)
            sx, sz = PairSums(xs, zs).sides
            assert rank._table_stats(sx.table(), sz.table()) == rank._rank_stats(xs, zs)


def test_estimated_count_is_exact_with_every_row_and_value():
    # With every row subsampled and every distinct value of b in its table the estimate is
    # the binary-search count (here at keys that are not sums, and for integers anywhere).
    rng = np.random.default_rng(5)
    for x, y in [
        (rng.normal(size=300), rng.normal(size=200)),
        (np.round(rng.normal(size=3000), 1), rng.normal(size=500)),
        (rng.integers(0, 40, 2000) * 1.0, rng.integers(0, 50, 700) * 1.0),
    ]:
        sums = PairSums(np.sort(x), np.sort(-y))
        est = pairwise._Estimate(sums, 10**6, 10**6)
        assert est.error == 0.0
        a = sums.a.values
        w = np.ones(a.size, np.int64) if sums.a.cum is None else np.diff(sums.a.cum)
        for p in [-1.2345, -0.0123, 0.3141, 1.5, 2.7182]:
            if sums.exact:
                p = math.floor(p) + 0.5
            want = int(np.dot(w, sums.b.upto(np.searchsorted(sums.b.values, p - a, "right"))))
            assert est(p) == want


BRUTE_KINDS = {
    "normal": lambda rng, n: rng.normal(size=n),
    "cauchy": lambda rng, n: rng.standard_cauchy(n),
    "integers": lambda rng, n: rng.integers(0, 30, n) * 1.0,
    "wide_integers": lambda rng, n: rng.integers(-500, 500, n) * 1.0,
    "decimals": lambda rng, n: np.round(rng.normal(size=n), 1),
    "halves": lambda rng, n: rng.integers(-20, 20, n) / 2,
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", list(BRUTE_KINDS))
def test_band_path_matches_brute_force_on_small_samples(kind, seed, monkeypatch):
    # hodges_lehmann by the band path, forced on small samples (tiny thresholds, chunks and
    # estimates, merges from a few keys on), against the materialized matrix (np.partition
    # of every difference) and np.median of the sorted differences.
    rng = np.random.default_rng(seed)
    draw = BRUTE_KINDS[kind]
    x, y = draw(rng, int(rng.integers(30, 400))), draw(rng, int(rng.integers(30, 400)))
    if seed % 2:
        y = y + 0.5  # a shift (and, for halves, ties between the arms)
    full = np.sort(np.subtract.outer(x, y).ravel())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = hodges_lehmann(x, y, exact=False)
        for name, value in [
            ("_MATERIALIZE", 64),
            ("_CHUNK", 37),
            ("_MERGE_MIN", 8),
            ("_ESTIMATE_MIN", 16),
            ("_ESTIMATE_ROWS", 16),
            ("_ESTIMATE_COLS", 16),
            ("_SAMPLE", 256),
        ]:
            monkeypatch.setattr(pairwise, name, value)
        monkeypatch.setattr(rank, "_CHUNK", 37)
        got = hodges_lehmann(x, y, exact=False)
    pd.testing.assert_frame_equal(got, want)
    assert got["estimate"].item() == np.median(full)
    assert got["ci_low"].item() in full and got["ci_high"].item() in full


def test_band_path_on_subnormal_values_warns_of_nothing(monkeypatch):
    # The estimate's table divides counts by half-widths of its gaps, which overflow for
    # subnormal data: no RuntimeWarning may reach the caller, and the result is exact.
    for name, value in [("_MATERIALIZE", 64), ("_ESTIMATE_MIN", 16), ("_ESTIMATE_COLS", 16)]:
        monkeypatch.setattr(pairwise, name, value)
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=300) * 1e-310, rng.normal(size=250) * 1e-310
    full = np.sort(np.subtract.outer(x, y).ravel())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = hodges_lehmann(x, y).iloc[0]
    assert got["estimate"] == np.median(full)


def test_result_is_one_row_frame_with_the_contract_columns():
    res = hodges_lehmann(DATA["exact_9_10"]["x"], DATA["exact_9_10"]["y"])
    assert res.shape[0] == 1
    assert list(res.columns) == [
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "statistic",
        "n_x",
        "n_y",
        "conf_level",
        "method",
    ]
    assert res["n_x"].iloc[0] == 9 and res["n_y"].iloc[0] == 10


def test_missing_values_are_dropped_with_a_count():
    x = np.append(DATA["exact_9_10"]["x"], [np.nan, np.nan])
    y = pd.Series(np.append(DATA["exact_9_10"]["y"], np.nan))
    with pytest.warns(UserWarning) as record:
        res = hodges_lehmann(x, y)
    messages = {str(w.message) for w in record}
    assert "hodges_lehmann: dropped 2 missing value(s) from 'x'" in messages
    assert "hodges_lehmann: dropped 1 missing value(s) from 'y'" in messages
    ref = R["exact_9_10"]
    assert res["n_x"].iloc[0] == 9 and res["n_y"].iloc[0] == 10
    assert res["estimate"].iloc[0] == pytest.approx(ref["estimate"], rel=1e-9)


def test_exact_requested_with_ties_warns_and_uses_normal_approximation():
    with pytest.warns(UserWarning, match="ties"):
        res = hodges_lehmann(DATA["ties_small"]["x"], DATA["ties_small"]["y"], exact=True)
    assert res["method"].iloc[0] == "normal approximation"
    assert res["p_value"].iloc[0] == pytest.approx(R["ties_small"]["p_value"], rel=1e-9)


def test_level_not_achievable_warns_and_reports_achieved_level():
    with pytest.warns(UserWarning, match="not achievable"):
        res = hodges_lehmann([1.5], [0.25])
    assert res["conf_level"].iloc[0] == 0.0  # R: attr(conf.int, "conf.level") is 0


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([], [1.0, 2.0], "'x' has no non-missing"),
        ([1.0, 2.0], [np.nan], "'y' has no non-missing"),
        ([1.0, np.inf], [1.0, 2.0], "infinite"),
        (["a", "b"], [1.0, 2.0], "numeric"),
        ([2.0, 2.0, 2.0], [2.0, 2.0], "each constant"),
        ([3.0, 3.0, 3.0], [1.0, 1.0], "each constant"),
    ],
)
def test_bad_input_is_a_clear_error(x, y, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, TypeError), match=match):
            hodges_lehmann(x, y)


@pytest.mark.parametrize(
    ("x", "y", "bad"),
    [
        (["1.5", "2", "3"], [1.0, 2.0], "'x' must be numeric, got text such as '1.5'"),
        ([True, False, True], [1.0, 2.0], "'x' must be numeric, got booleans"),
        ([1.0, 2.0], np.array([True, False]), "'y' must be numeric, got booleans"),
        ([1.0, 2.0], pd.Series([True, False, True]), "'y' must be numeric, got booleans"),
        (pd.Series(pd.Categorical([1, 2, 3])), [1.0], "'x' must be numeric, got categories"),
        ([1.0, "a"], [1.0, 2.0], "'x' must be numeric, got text such as '1.0'"),
        ([1.0, 2.0], [0.5, True], "'y' must be numeric, got booleans"),
    ],
)
def test_wilcox_test_refuses_non_numeric_input(x, y, bad):
    # R 4.2: wilcox.test(c("1.5", "2", "3"), c(1, 2)) and wilcox.test(c(TRUE, FALSE, TRUE),
    # c(1, 2)) stop with "'x' must be numeric"; text and booleans are not converted.
    with pytest.raises(TypeError, match=bad.replace("(", r"\(")):
        hodges_lehmann(x, y)


def test_van_elteren_refuses_non_numeric_input():
    with pytest.raises(TypeError, match="van_elteren: 'x' must be numeric, got booleans"):
        van_elteren([True, False, True], [1.0, 2.0], ["a", "a", "b"], ["a", "b"])
    with pytest.raises(TypeError, match="van_elteren: 'y' must be numeric, got text"):
        van_elteren([1.0, 2.0], ["1", "2"], ["a", "b"], ["a", "b"])


def test_numeric_input_of_any_numeric_type_is_accepted():
    x, y = DATA["exact_9_10"]["x"], DATA["exact_9_10"]["y"]
    ref = hodges_lehmann(x, y)
    for xx in (list(x), tuple(x), pd.Series(x), pd.Series(x, dtype="Float64")):
        pd.testing.assert_frame_equal(hodges_lehmann(xx, y), ref)
    ints = hodges_lehmann(
        np.array([3, 5, 9, 11], dtype=np.int32), pd.Series([1, 2, 4], dtype="Int64")
    )
    assert ints["estimate"].item() == 4.5  # median of the 12 differences


def test_conf_level_must_be_in_unit_interval():
    with pytest.raises(ValueError, match="conf_level"):
        hodges_lehmann([1.0, 2.0], [0.5], conf_level=95)


def test_swapping_the_arms_negates_the_shift():
    x, y = DATA["cont_60_55"]["x"], DATA["cont_60_55"]["y"]
    a = hodges_lehmann(x, y).iloc[0]
    b = hodges_lehmann(y, x).iloc[0]
    assert b["estimate"] == pytest.approx(-a["estimate"], abs=1e-12)
    assert b["ci_low"] == pytest.approx(-a["ci_high"], abs=1e-12)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-12)
    assert not math.isnan(a["p_value"])


# --------------------------------------------------------------------------- van Elteren
L4, L6 = np.array(list("ABCD")), np.array(list("abcdef"))
VE_DATA = {
    "ve_4_sites": (
        cont(118, 0.21) + 0.4,
        cont(118, 0.61),
        L4[np.arange(118) % 4],
        L4[np.arange(118) % 3],
    ),
    "ve_unbalanced": (
        cont(52, 0.3) * 2 + 0.5,
        cont(61, 0.9) * 2,
        ["s1"] * 3 + ["s2"] * 12 + ["s3"] * 37,
        ["s1"] * 4 + ["s2"] * 9 + ["s3"] * 48,
    ),
    "ve_int_sofa": (
        ints(114, 0.12, 12),
        ints(122, 0.33, 11),
        L6[np.floor(gold(114, 0.5) * 6).astype(int)],
        L6[np.floor(gold(122, 0.7) * 6).astype(int)],
    ),
    "ve_small": ([5, 7, 9, 4, 6], [3, 4, 8, 1, 2, 2], list("aaabb"), list("aabbba")),
    "ve_one_arm_site": (
        cont(30, 0.15),
        cont(33, 0.45) - 0.3,
        ["p"] * 14 + ["q"] * 16,
        ["p"] * 15 + ["q"] * 12 + ["r"] * 6,
    ),
    "ve_single_site": (cont(30, 0.05) + 0.5, cont(40, 0.95), ["only"] * 30, ["only"] * 40),
}

# R: coin::independence_test(v ~ arm | site, ytrafo = rank / (n_s + 1) within site,
# teststat = "scalar", distribution = "asymptotic") -> statistic, pvalue; estimate and
# limits: uniroot(z(d) - q, tol = 1e-12) on the same statistic (tests/R/rank.R).
# wilcox: wilcox.test(x, y, conf.int=TRUE, exact=FALSE, correct=FALSE) for one stratum.
R_VE = {
    "ve_4_sites": dict(
        statistic=2.47149954487569,
        p_value=0.0134547722542493,
        estimate=0.3546718217403,
        ci_low=0.0756824147267427,
        ci_high=0.635748072054694,
    ),
    "ve_unbalanced": dict(
        statistic=1.25899063358168,
        p_value=0.208033715013864,
        estimate=0.59062523443589,
        ci_low=-0.319464749234949,
        ci_high=1.29300508487162,
    ),
    "ve_int_sofa": dict(
        statistic=3.98062314152493,
        p_value=6.87348463790372e-05,
        estimate=2.34602643833596e-13,
        ci_low=1.23492844791443e-13,
        ci_high=0.999999999999583,
    ),
    "ve_small": dict(
        statistic=1.85485206700594,
        p_value=0.0636173544421639,
        estimate=3.00000000000024,
        ci_low=-1.99999999999994,
        ci_high=5.00000000000036,
    ),
    "ve_one_arm_site": dict(
        statistic=1.26875902140112,
        p_value=0.204527024666246,
        estimate=0.373664077346631,
        ci_low=-0.171561690457961,
        ci_high=0.916938226886562,
    ),
    "ve_single_site": dict(
        statistic=2.51597711537096,
        p_value=0.011870289005472,
        estimate=0.623968415417796,
        ci_low=0.142785481826814,
        ci_high=1.12191783445217,
        wilcox=(0.622696758532276, 0.142873547169649, 1.12187118374429, 0.0118702890054719),
    ),
}


@pytest.mark.parametrize("name", list(R_VE))
def test_coin_independence_test_van_elteren_scores(name):
    got, ref = van_elteren(*VE_DATA[name]).iloc[0], R_VE[name]
    assert got["statistic"] == pytest.approx(ref["statistic"], rel=1e-10)
    assert got["p_value"] == pytest.approx(ref["p_value"], rel=1e-9)
    # uniroot at tol 1e-12 on a step function: the jump point, to about 1e-12.
    assert got["ci_low"] == pytest.approx(ref["ci_low"], abs=1e-9)
    assert got["ci_high"] == pytest.approx(ref["ci_high"], abs=1e-9)
    if name != "ve_single_site":  # there the statistic is zero on an interval (n_x n_y even)
        assert got["estimate"] == pytest.approx(ref["estimate"], abs=1e-9)


def test_van_elteren_one_stratum_is_wilcox_test_without_correction():
    x, y, sx, sy = VE_DATA["ve_single_site"]
    got = van_elteren(x, y, sx, sy).iloc[0]
    hl = hodges_lehmann(x, y, exact=False, correct=False).iloc[0]
    w = R_VE["ve_single_site"]["wilcox"]  # R's wilcox.test: estimate, ci, p
    assert got["p_value"] == pytest.approx(w[3], rel=1e-10)
    assert got["ci_low"] == pytest.approx(w[1], abs=R_TOL_ROOT)
    assert got["ci_high"] == pytest.approx(w[2], abs=R_TOL_ROOT)
    assert got["estimate"] == pytest.approx(hl["estimate"], abs=1e-12)
    assert got["ci_low"] == hl["ci_low"] and got["ci_high"] == hl["ci_high"]


def test_van_elteren_leaves_out_single_arm_strata():
    got = van_elteren(*VE_DATA["ve_one_arm_site"]).iloc[0]
    assert got["n_strata"] == 2
    assert got["n_x"] == 30 and got["n_y"] == 33


def test_van_elteren_integer_limits_are_integers():
    got = van_elteren(*VE_DATA["ve_int_sofa"]).iloc[0]
    assert (got["estimate"], got["ci_low"], got["ci_high"]) == (0.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.0, 2.0], [1.0], ["a"], ["a"]), "'x' has 2 values but its strata 1"),
        (([1.0, 2.0], [1.0], ["a", None], ["a"]), "strata of 'x' are missing"),
        (([1.0, 2.0], [1.0], ["a", "a"], ["b"]), "no stratum has patients from both arms"),
        (([1.0, 1.0], [1.0], ["a", "a"], ["a"]), "no variation"),
    ],
)
def test_van_elteren_bad_input_is_a_clear_error(args, match):
    with pytest.raises(ValueError, match=match):
        van_elteren(*args)


# ----------------------------------------------------------------- properties (hypothesis)

small_ints = st.lists(st.integers(-6, 6), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(x=small_ints, y=small_ints, shift=st.integers(-5, 5))
def test_hl_is_median_of_differences_and_shift_equivariant(x, y, shift):
    x, y = np.array(x, dtype=float), np.array(y, dtype=float)
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    if diffs[0] == diffs[-1]:
        return  # each sample constant: a documented error, tested above
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = hodges_lehmann(x, y).iloc[0]
        # A shift can add or remove ties between the samples, and with them R's choice of
        # the exact interval (x=[0, 1, -1, 2, -2, -3], y=[0, 1, 2], shift -3 is exact, the
        # unshifted samples are not): equivariance is a property of one method.
        a_normal = hodges_lehmann(x, y, exact=False).iloc[0]
        b_normal = hodges_lehmann(x + shift, y, exact=False).iloc[0]
    assert a["estimate"] == np.median(diffs)
    # The limits are pairwise differences, around the estimate, moving with the shift.
    assert a["ci_low"] in diffs and a["ci_high"] in diffs
    assert a["ci_low"] <= a["estimate"] <= a["ci_high"]
    for col in ["estimate", "ci_low", "ci_high"]:
        assert b_normal[col] == a_normal[col] + shift
