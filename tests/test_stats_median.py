"""Tests for trialkit.stats.median against R ``quantreg::rq`` and ``boot``.

Expected values: ``Rscript tests/R/median.R`` (R 4.2.2, quantreg 5.x, boot 1.3), copied
verbatim.  Data are deterministic formulas written identically in R and here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_stats_rank import cont, gold, ints  # the data formulas shared with tests/R/*.R

from trialkit.stats import bootstrap_median_difference, median_difference_quantreg


def mk(n: int, s: float, shift: float) -> pd.DataFrame:
    """R's mk(): arm g, four sites, baseline SOFA, outcome with site and SOFA effects."""
    g = (gold(n, s + 0.37) < 0.5).astype(float)
    site = np.array(list("ABCD"))[np.arange(n) % 4]
    sofa0 = ints(n, s + 0.11, 15)
    y = cont(n, s) * 3 + shift * g + 0.4 * sofa0 + np.array([0, 1, -1, 2])[np.arange(n) % 4]
    return pd.DataFrame({"y": y, "g": g, "site": site, "sofa0": sofa0})


X117, Y119 = cont(117, 0.21) * 4 + 1, cont(119, 0.61) * 4
QR_DATA = {
    "qr_group_only_odd": (mk(235, 0.1, 1.5), []),
    "qr_site_sofa": (mk(236, 0.2, 1.0), ["site", "sofa0"]),
    "qr_sofa_only": (mk(150, 0.3, -0.5), ["sofa0"]),
    "qr_small": (mk(31, 0.4, 2.0), ["sofa0"]),
    "qr_large": (mk(3000, 0.5, 0.3), ["site", "sofa0"]),
    "qr_two_odd_arms": (
        pd.DataFrame({"y": np.r_[X117, Y119], "g": np.r_[np.ones(117), np.zeros(119)]}),
        [],
    ),
}
BS_DATA = {
    "bs_117_119": (X117, Y119),
    "bs_25_21": (cont(25, 0.13) + 0.5, cont(21, 0.71)),
    "bs_61_151": (cont(61, 0.33) * 2, cont(151, 0.44) * 2 - 0.4),
    "bs_int_118_118": (ints(118, 0.3, 20), ints(118, 0.8, 18)),
}

# R: rq(f, tau = 0.5) -> coef of g; summary(fit, se = "ker") -> se, t, p (tests/R/median.R).
# boot(d, median difference, R = 1e5, strata = arm); boot.ci perc and bca (L = jackknife);
# *_band: R's order statistics t[k -/+ 6 sqrt(B p (1 - p))] around each limit.
R = {
    "qr_group_only_odd": dict(
        estimate=5.30861629183565,
        se=0.654209650985222,
        t=8.11454903461149,
        p_value=2.79776202205539e-14,
        n_x=117,
        n_y=118,
    ),
    "qr_site_sofa": dict(
        estimate=0.975779319711947,
        se=0.229477753920199,
        t=4.25217391682888,
        p_value=3.07982960157105e-05,
        n_x=118,
        n_y=118,
    ),
    "qr_sofa_only": dict(
        estimate=0.210474482561381,
        se=0.804546750731501,
        t=0.261606280020416,
        p_value=0.793991192445936,
        n_x=75,
        n_y=75,
    ),
    "qr_small": dict(
        estimate=3.21483194653827,
        se=2.4424951537579,
        t=1.3162081167662,
        p_value=0.198778058120844,
        n_x=16,
        n_y=15,
    ),
    "qr_large": dict(
        estimate=0.249652202727813,
        se=0.068700887419872,
        t=3.63390069770191,
        p_value=0.000283860333320174,
        n_x=1499,
        n_y=1501,
    ),
    "qr_two_odd_arms": dict(
        estimate=0.95108431005112,
        se=0.837516135168525,
        t=1.13560117842953,
        p_value=0.257285288723637,
        n_x=117,
        n_y=119,
    ),
    "bs_117_119": dict(
        estimate=0.95108431005112,
        perc=(-0.244516070468222, 2.21843776008801),
        bca=(-0.304117690015268, 2.20897167134336),
        se=0.635368419222949,
        perc_band=((-0.305143796807562, -0.223101765296476), (2.20639246127474, 2.2877568086917)),
        bca_band=((-0.308347633616096, -0.226609576680165), (2.20507822100394, 2.23908266822848)),
    ),
    "bs_25_21": dict(
        estimate=0.595599137312316,
        perc=(-0.149027274396808, 1.22244473862474),
        bca=(-0.149027274396808, 1.22198583571033),
        se=0.364441073037027,
        perc_band=((-0.156264684110365, -0.148907380545598), (1.22198583571033, 1.2946746900213)),
        bca_band=((-0.180464972789024, -0.148907380545598), (1.20888752010725, 1.26043869808505)),
    ),
    "bs_61_151": dict(
        estimate=0.448066884360132,
        perc=(-0.289145873105068, 1.1468623830576),
        bca=(-0.328198032569318, 1.14471910728241),
        se=0.377068765791589,
        perc_band=((-0.328262217265376, -0.287024748195107), (1.14311456916414, 1.18549164304059)),
        bca_band=((-0.331930054820503, -0.287875821884016), (1.12698154854959, 1.15218106713348)),
    ),
    "bs_int_118_118": dict(
        estimate=1,
        perc=(-1.5, 3),
        bca=(-2, 3),
        se=1.24507422991498,
        perc_band=((-1.5, -1.5), (3, 3.5)),
        bca_band=((-2.5, -2), (2.5, 3)),
    ),
}

# Where R warns "Solution may be nonunique" and the optimum is a range (checked below).
NONUNIQUE = ["qr_group_only_odd", "qr_site_sofa", "qr_small", "qr_large"]
UNIQUE = ["qr_sofa_only", "qr_two_odd_arms"]


def _qr(name: str) -> pd.Series:
    d, cov = QR_DATA[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return median_difference_quantreg(d["y"], d["g"], d[cov] if cov else None).iloc[0]


@pytest.mark.parametrize("name", UNIQUE)
def test_rq_tau_half_summary_se_ker_unique_solution(name):
    got, ref = _qr(name), R[name]
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=1e-9)
    assert got["estimate_min"] == got["estimate_max"] == got["estimate"]
    assert got["se"] == pytest.approx(ref["se"], rel=1e-7)
    assert got["statistic"] == pytest.approx(ref["t"], rel=1e-7)
    assert got["p_value"] == pytest.approx(ref["p_value"], rel=1e-6)
    assert (got["n_x"], got["n_y"]) == (ref["n_x"], ref["n_y"])


@pytest.mark.parametrize("name", NONUNIQUE)
def test_rq_tau_half_nonunique_reports_range_containing_r_vertex(name):
    d, cov = QR_DATA[name]
    with pytest.warns(UserWarning, match="not unique"):
        got = median_difference_quantreg(d["y"], d["g"], d[cov] if cov else None).iloc[0]
    ref = R[name]
    lo, hi = got["estimate_min"], got["estimate_max"]
    assert lo < hi
    # R's simplex returns one end of the optimal range.
    assert min(abs(ref["estimate"] - lo), abs(ref["estimate"] - hi)) < 1e-9
    assert got["estimate"] == pytest.approx(0.5 * (lo + hi), rel=1e-12)


def test_rq_without_covariates_is_difference_of_sample_medians():
    d, _ = QR_DATA["qr_group_only_odd"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = median_difference_quantreg(d["y"], d["g"]).iloc[0]
    y1, y0 = d.loc[d["g"] == 1, "y"], d.loc[d["g"] == 0, "y"]
    assert got["estimate"] == pytest.approx(np.median(y1) - np.median(y0), rel=1e-9)


def test_rq_ci_is_t_interval_on_residual_df():
    got = _qr("qr_sofa_only")
    from scipy import stats

    half = stats.t.ppf(0.975, got["df"]) * got["se"]
    assert got["df"] == 150 - 3
    assert got["ci_low"] == pytest.approx(got["estimate"] - half, rel=1e-12)
    assert got["ci_high"] == pytest.approx(got["estimate"] + half, rel=1e-12)


def test_rq_drops_incomplete_rows_with_a_count():
    d, cov = QR_DATA["qr_sofa_only"]
    d = d.copy()
    d.loc[[3, 7], "sofa0"] = np.nan
    with pytest.warns(UserWarning, match="dropped 2 row"):
        got = median_difference_quantreg(d["y"], d["g"], d[cov]).iloc[0]
    assert got["n_x"] + got["n_y"] == 148


@pytest.mark.parametrize(
    ("y", "g", "match"),
    [
        ([1.0, 2.0, 3.0], [0, 1], "3 values but group has 2"),
        ([1.0, 2.0, 3.0, 4.0], [0, 1, 2, 1], "must be 0/1"),
        ([1.0, 2.0, 3.0], [1, 1, 1], "both arms"),
        ([1.0, 2.0, 3.0], ["ilo", "pla", "ilo"], "must be 0/1"),
    ],
)
def test_rq_bad_input_is_a_clear_error(y, g, match):
    with pytest.raises(ValueError, match=match):
        median_difference_quantreg(y, g)


B_PY = 50_000  # with R's B = 1e5, the +/- 6 band is 3.5 SD of the difference of two runs


def _assert_in_band(got: pd.Series, band: tuple) -> None:
    eps = 1e-12  # R printed 15 significant digits
    (lo_a, lo_b), (hi_a, hi_b) = band
    assert lo_a - eps <= got["ci_low"] <= lo_b + eps
    assert hi_a - eps <= got["ci_high"] <= hi_b + eps


def _bs(name: str, method: str) -> pd.Series:
    x, y = BS_DATA[name]
    return bootstrap_median_difference(x, y, seed=20261123, n_resamples=B_PY, method=method).iloc[0]


@pytest.mark.parametrize("name", ["bs_117_119", "bs_25_21", "bs_61_151", "bs_int_118_118"])
def test_boot_ci_perc_within_monte_carlo_band(name):
    got, ref = _bs(name, "percentile"), R[name]
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
    _assert_in_band(got, ref["perc_band"])
    assert got["se"] == pytest.approx(ref["se"], rel=0.03)  # MC error of an SD at B=5e4


# BCa only where the bootstrap distribution has no heavy atom at the estimate: with one
# (odd arms of 25/21, integer data) scipy's bias correction counts ties as half below,
# R's as not below, and the intervals differ by design (see the function's docstring).
@pytest.mark.parametrize("name", ["bs_117_119", "bs_61_151"])
def test_boot_ci_bca_jackknife_within_monte_carlo_band(name):
    got, ref = _bs(name, "bca"), R[name]
    _assert_in_band(got, ref["bca_band"])


def test_bootstrap_is_reproducible_with_a_seed():
    x, y = BS_DATA["bs_25_21"]
    a = bootstrap_median_difference(x, y, seed=3, n_resamples=2000)
    b = bootstrap_median_difference(x, y, seed=3, n_resamples=2000)
    c = bootstrap_median_difference(x, y, seed=4, n_resamples=2000)
    pd.testing.assert_frame_equal(a, b)
    assert a["se"].item() != c["se"].item()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"method": "bc"}, "percentile' or 'bca"),
        ({"n_resamples": 10}, ">= 100"),
        ({"conf_level": 1.5}, "conf_level"),
    ],
)
def test_bootstrap_bad_arguments_are_clear_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_median_difference([1.0, 2.0, 3.0], [2.0, 3.0], seed=1, **kw)


def test_bootstrap_empty_arm_is_a_clear_error():
    with pytest.warns(UserWarning, match="dropped 1"):
        with pytest.raises(ValueError, match="'y' has no non-missing"):
            bootstrap_median_difference([1.0, 2.0], [np.nan], seed=1)
