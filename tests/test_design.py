"""Tests for trialkit.design against R (values from tests/R/design.R; rpact 3.3.4).

Test names follow the R call whose values they reproduce. Every expected number below is
printed by ``Rscript tests/R/design.R``; the line it comes from is quoted beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from trialkit import design
from trialkit.design import (
    boundary_crossing,
    conditional_power,
    drift_means,
    futility_bound_from_cp,
    group_sequential,
    normal_outcomes,
    power_means,
    power_proportions,
    predictive_power,
    sample_size_means,
    sample_size_proportions,
    simulate_operating_characteristics,
    spending_function,
)

# --- fixed designs: stats::power.t.test, stats::power.prop.test, rpact::getSampleSizeMeans ---

# R's uniroot stops at tol = eps^0.25 (~1.2e-4 in n), so its default $n is compared to 2e-4
# and the tol = 1e-10 runs to 1e-7.
R_UNIROOT_TOL = 2e-4


def test_power_t_test_n_combat_shine_reconstruction():
    # power.t.test(delta=1.336, sd=3.96, power=0.9, tol=1e-10)$n = 185.5962308
    row = sample_size_means(0.2 * 6.68, 3.96, power=0.9, alpha=0.05)
    assert row.shape[0] == 1
    assert row["n_unrounded"].iloc[0] == pytest.approx(185.5962308, abs=1e-7)
    # the published plan: 186 per arm = 372, i.e. 380 with ~2% added (reference/trials.md)
    assert row["n_per_arm"].iloc[0] == 186
    assert row["n_total"].iloc[0] == 372
    assert row["estimate"].iloc[0] == 372


def test_power_t_test_n_leopards_placebo_arm():
    # power.t.test(delta=1.212, sd=3.89, power=0.9)$n = 217.4460583  -> 218 per arm, 436 total
    row = sample_size_means(0.2 * 6.06, 3.89)
    assert row["n_unrounded"].iloc[0] == pytest.approx(217.4460583, abs=R_UNIROOT_TOL)
    assert row["n_total"].iloc[0] == 436


@pytest.mark.parametrize(
    ("delta", "sd", "power", "alpha", "r_n"),
    [
        (1.0, 1.0, 0.8, 0.05, 16.71476814),  # power.t.test(delta=1, sd=1, power=0.8)$n
        (
            0.5,
            2.0,
            0.95,
            0.01,
            571.7146948,
        ),  # power.t.test(delta=0.5, sd=2, power=0.95, sig.level=0.01)$n
        (2.0, 1.0, 0.9, 0.05, 6.386756016),  # power.t.test(delta=2, sd=1, power=0.9)$n
    ],
)
def test_power_t_test_n(delta, sd, power, alpha, r_n):
    row = sample_size_means(delta, sd, power=power, alpha=alpha)
    assert row["n_unrounded"].iloc[0] == pytest.approx(r_n, abs=R_UNIROOT_TOL)
    assert row["n_per_arm"].iloc[0] == np.ceil(r_n)


def test_power_t_test_n_broadcasts_one_row_per_case():
    rows = sample_size_means(
        [1.0, 0.5, 2.0], [1.0, 2.0, 1.0], power=[0.8, 0.95, 0.9], alpha=[0.05, 0.01, 0.05]
    )
    np.testing.assert_allclose(
        rows["n_unrounded"], [16.71476814, 571.7146948, 6.386756016], atol=R_UNIROOT_TOL
    )
    assert list(rows.columns[:3]) == ["estimate", "ci_low", "ci_high"]


@pytest.mark.parametrize(
    ("n", "delta", "sd", "alpha", "r_power"),
    [
        (190, 1.336, 3.96, 0.05, 0.9065795714),  # power.t.test(n=190, delta=1.336, sd=3.96)$power
        (100, 1.336, 3.96, 0.05, 0.6605792895),  # power.t.test(n=100, delta=1.336, sd=3.96)$power
        (5, 1.0, 1.0, 0.1, 0.421448265),  # power.t.test(n=5, delta=1, sd=1, sig.level=0.1)$power
    ],
)
def test_power_t_test_power(n, delta, sd, alpha, r_power):
    assert power_means(n, delta, sd, alpha=alpha)["estimate"].iloc[0] == pytest.approx(
        r_power, rel=1e-8
    )


def test_getSampleSizeMeans_allocation_ratio_2():
    # getSampleSizeMeans(alternative=1.336, stDev=3.96, sided=2, alpha=0.05, beta=0.1,
    #   allocationRatioPlanned=2) nFixed, nFixed1, nFixed2 = 417.3489401, 278.2326267, 139.1163134
    row = sample_size_means(1.336, 3.96, ratio=2)
    assert row["n_unrounded"].iloc[0] == pytest.approx(139.1163134, rel=1e-8)
    assert row["n_unrounded"].iloc[0] * 3 == pytest.approx(417.3489401, rel=1e-8)
    assert (row["n_x"].iloc[0], row["n_y"].iloc[0]) == (279, 140)
    # getSampleSizeMeans(..., allocationRatioPlanned=1) nFixed = 371.1924662
    # (rpact's own root search stops at ~1e-8 relative)
    assert 2 * sample_size_means(1.336, 3.96)["n_unrounded"].iloc[0] == pytest.approx(
        371.1924662, rel=1e-7
    )


def test_pt_noncentral_unequal_allocation_power():
    # pt(qt(0.975, 298), 298, ncp=1.336/(3.96*sqrt(1/200+1/100)), lower.tail=FALSE) = 0.7840057212
    row = power_means(100, 1.336, 3.96, ratio=2)
    assert row["estimate"].iloc[0] == pytest.approx(0.7840057212, rel=1e-8)
    assert (row["n_x"].iloc[0], row["n_y"].iloc[0]) == (200, 100)


@given(
    delta=st.floats(0.05, 1.0),
    sd=st.floats(1.0, 5.0),
    power=st.floats(0.5, 0.99),
    ratio=st.sampled_from([0.5, 1.0, 2.0]),
)
@settings(max_examples=15, deadline=None)
def test_sample_size_means_inverts_power_means(delta, sd, power, ratio):
    row = sample_size_means(delta, sd, power=power, ratio=ratio)
    n = row["n_unrounded"].iloc[0]
    if n > 2.5:  # below that the root sits on R's lower search limit
        back = power_means(n, delta, sd, ratio=ratio)["estimate"].iloc[0]
        assert back == pytest.approx(power, abs=1e-9)
        rounded = power_means(row["n_y"].iloc[0], delta, sd, ratio=ratio)["estimate"].iloc[0]
        assert rounded >= power - 1e-9


def test_power_t_test_n_bracketing_fallback(monkeypatch):
    # where the secant fails, the bracketing search must give the same root
    # power.t.test(delta=1.336, sd=3.96, power=0.9, tol=1e-10)$n = 185.5962308
    from trialkit.design import sample_size as module

    monkeypatch.setattr(module, "_secant", lambda f, x, args: np.full(x.shape, np.nan))
    row = sample_size_means([1.336, 1.0], [3.96, 1.0], power=[0.9, 0.8])
    np.testing.assert_allclose(row["n_unrounded"], [185.5962308, 16.71476814], atol=R_UNIROOT_TOL)


@pytest.mark.parametrize(
    ("p1", "p2", "power", "alpha", "r_n"),
    [
        (
            0.5,
            0.4,
            0.9,
            0.05,
            518.0371693,
        ),  # power.prop.test(p1=0.5, p2=0.4, power=0.9, tol=1e-10)$n
        (0.42, 0.32, 0.8, 0.05, 364.733613),  # power.prop.test(p1=0.42, p2=0.32, power=0.8)$n
        (
            0.1,
            0.3,
            0.95,
            0.01,
            139.0079547,
        ),  # power.prop.test(p1=0.1, p2=0.3, power=0.95, sig.level=0.01)$n
    ],
)
def test_power_prop_test_n(p1, p2, power, alpha, r_n):
    row = sample_size_proportions(p1, p2, power=power, alpha=alpha)
    assert row["n_unrounded"].iloc[0] == pytest.approx(r_n, abs=R_UNIROOT_TOL)
    assert row["n_per_arm"].iloc[0] == np.ceil(r_n)
    assert row["n_total"].iloc[0] == 2 * np.ceil(r_n)


def test_power_prop_test_power():
    # power.prop.test(n=300, p1=0.49, p2=0.44)$power = 0.2317399019
    assert power_proportions(300, 0.49, 0.44)["estimate"].iloc[0] == pytest.approx(
        0.2317399019, rel=1e-8
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_size_means(0.0, 1.0), "delta"),
        (lambda: sample_size_means(1.0, -1.0), "sd must be positive"),
        (lambda: sample_size_means(1.0, 1.0, power=1.2), "power must lie"),
        (lambda: sample_size_means(1.0, 1.0, power=0.02), "power must exceed alpha/2"),
        (lambda: sample_size_means(50.0, 1.0), "fewer than 2 patients"),
        (lambda: sample_size_means(1.0, 1.0, ratio=0), "ratio"),
        (lambda: power_means(1, 1.0, 1.0), "degree of freedom"),
        (lambda: sample_size_proportions(0.3, 0.3), "must differ"),
        (lambda: sample_size_proportions(1.3, 0.3), "p1 must lie"),
    ],
)
def test_bad_fixed_design_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- rpact::getDesignGroupSequential(sided=1, bindingFutility=FALSE) + getDesignCharacteristics ---

# Each entry: trialkit arguments, then rpact's criticalValues, futilityBounds (-6 = none),
# alphaSpent, betaSpent, shift (= drift^2), inflationFactor, rejectionProbabilities,
# futilityProbabilities, as printed by tests/R/design.R under "# design <label>".
RPACT_DESIGNS = {
    "A asOF (0.3,0.7,1) bsOF": (
        dict(info_rates=[0.3, 0.7, 1], spending="obf", futility="obf"),
        [3.928572543, 2.438742377, 2.000008576],
        [-0.9523514665, 1.139924988],
        [4.272578744e-05, 0.007384489333, 0.02499999],
        [0.002672638213, 0.04930137044, 0.1000000008],
        11.20088739,
        1.065997565,
        [0.01806463187, 0.6230834744, 0.2588518938],
        [0.002672638213, 0.04662873223],
    ),
    "B asP (0.5,1)": (
        dict(info_rates=[0.5, 1], spending="pocock"),
        [2.156999218, 2.200976975],
        [-6],
        [0.01550286267, 0.02499999],
        None,
        11.67423654,
        1.111046588,
        [0.6021876529, 0.2978123471],
        [0],
    ),
    "C asHSD -4 (0.2,0.45,0.7,1)": (
        dict(info_rates=[0.2, 0.45, 0.7, 1], spending="hsd", gamma=-4),
        [3.252668488, 2.891143627, 2.518655069, 2.005722351],
        [-6, -6, -6],
        [0.0005716339686, 0.002355327291, 0.007203908478, 0.02499999],
        None,
        10.69379867,
        1.017737519,
        [0.03670938966, 0.2120964558, 0.3469331173, 0.3042610372],
        [0, 0, 0],
    ),
    "D asHSD -2 (0.25,0.6,1) bsHSD -2": (
        dict(
            info_rates=[0.25, 0.6, 1], spending="hsd", gamma=-2, futility="hsd", gamma_futility=-2
        ),
        [2.80211888, 2.443933703, 2.04928907],
        [-0.6314485074, 0.742404765],
        [0.002538408102, 0.009078480931, 0.02499999],
        [0.01015363253, 0.03631392341, 0.1000000021],
        11.41322556,
        1.08620596,
        [0.1328658981, 0.444262576, 0.3228715258],
        [0.01015363247, 0.02616029068],
    ),
    "E asHSD 1 equal, futility z (0,0.5,1)": (
        dict(info_rates=[0.25, 0.5, 0.75, 1], spending="hsd", gamma=1, futility=[0, 0.5, 1]),
        [2.376102527, 2.357132278, 2.349901192, 2.357468538],
        [0, 0.5, 1],
        [0.008748300219, 0.01556148317, 0.02086759569, 0.025],
        None,
        13.48794811,
        1.283658994,
        [0.2946656109, 0.3243797436, 0.1935794265, 0.08737521897],
        [0.03315686444, 0.009974972744, 0.006209907749],
    ),
    "F asOF (200/380,1), futility z 0": (
        dict(info_rates=[200 / 380, 1], spending="obf", futility=[0.0]),
        [2.877448122, 1.971222542],
        [0],
        [0.00200452912, 0.025],
        None,
        10.61333436,
        1.010079665,
        [0.3036317955, 0.5963682045],
        [0.009052475355],
    ),
    "G asP (0.4,0.8,1) bsP": (
        dict(info_rates=[0.4, 0.8, 1], spending="pocock", futility="pocock"),
        [2.22387496, 2.251390882, 2.344352938],
        [0.7720583304, 1.833000583],
        [0.01307842909, 0.02162099295, 0.025],
        [0.05231371602, 0.08648397217, 0.09999999934],
        14.33863112,
        1.364619187,
        [0.5678902817, 0.2986397333, 0.03346998499],
        [0.0523137162, 0.0341702563],
    ),
    "H asOF equal K=4 alpha 0.05 beta 0.2": (
        dict(info_rates=[0.25, 0.5, 0.75, 1], spending="obf", alpha=0.05, beta=0.2),
        [3.749551837, 2.53994257, 2.016069852, 1.720177077],
        [-6, -6, -6],
        [8.857543832e-05, 0.005574596731, 0.02362512131, 0.04999999],
        None,
        6.361073497,
        1.028874179,
        [0.006414280857, 0.2185472429, 0.348451197, 0.2265872792],
        [0, 0, 0],
    ),
}

# The brief asks for 1e-4; the recursion on J&T's r = 32 grid agrees far closer.
GS_TOL = 1e-5


@pytest.mark.parametrize("label", list(RPACT_DESIGNS))
def test_getDesignGroupSequential(label):
    kwargs, crit, fut, a_spent, b_spent, shift, inflation, rej, fut_p = RPACT_DESIGNS[label]
    d = group_sequential(**kwargs)
    k = len(kwargs["info_rates"])
    assert list(d["look"]) == list(range(1, k + 1))
    np.testing.assert_allclose(d["efficacy_z"], crit, atol=GS_TOL)
    np.testing.assert_allclose(d["efficacy_p"], stats.norm.sf(crit), atol=GS_TOL)
    expected_fut = np.where(np.asarray(fut) == -6, -np.inf, fut)
    np.testing.assert_allclose(d["futility_z"].iloc[:-1], expected_fut, atol=GS_TOL)
    assert d["futility_z"].iloc[-1] == d["efficacy_z"].iloc[-1]
    np.testing.assert_allclose(d["alpha_spent"], a_spent, atol=GS_TOL)
    if b_spent is None:
        assert d["beta_spent"].isna().all()
    else:
        np.testing.assert_allclose(d["beta_spent"], b_spent, atol=GS_TOL)
    # getDesignCharacteristics: shift = drift^2, inflationFactor, stage-wise probabilities
    assert d.attrs["drift"] ** 2 == pytest.approx(shift, abs=1e-4)
    assert d.attrs["inflation_factor"] == pytest.approx(inflation, abs=GS_TOL)
    np.testing.assert_allclose(d["rejection_prob"], rej, atol=GS_TOL)
    np.testing.assert_allclose(d["futility_prob"].iloc[:-1], fut_p, atol=GS_TOL)


def test_group_sequential_single_look_is_the_fixed_design():
    # one look: the bound is z_{1-alpha}, the drift z_{1-alpha} + z_{1-beta}, no inflation
    for futility in (None, "obf"):
        d = group_sequential([1.0], alpha=0.025, beta=0.1, futility=futility)
        assert d["efficacy_z"].iloc[0] == pytest.approx(stats.norm.isf(0.025), abs=1e-10)
        assert d.attrs["drift"] == pytest.approx(stats.norm.isf(0.025) + stats.norm.isf(0.1))
        assert d.attrs["inflation_factor"] == pytest.approx(1.0, abs=1e-9)


def test_boundary_crossing_matches_bivariate_normal_cdf():
    # independent of the recursion: P(Z1 < b1, Z2 < b2) with corr sqrt(t1/t2), scipy's
    # multivariate normal cdf (Genz), under H0 and under a drift
    t1, b = 0.4, np.array([2.6, 2.1])
    rho = np.sqrt(t1)
    for drift in (0.0, 2.5):
        mean = drift * np.sqrt([t1, 1.0])
        mvn = stats.multivariate_normal(
            mean=mean, cov=[[1, rho], [rho, 1]], abseps=1e-10, releps=1e-10
        )
        expected = 1 - mvn.cdf(b)
        got = boundary_crossing([t1, 1], b, drift=drift).attrs["power"]
        assert got == pytest.approx(expected, abs=1e-6)


def test_boundary_crossing_with_futility_counts_futility_as_acceptance():
    # one look with bounds (a, b): P(reject) = P(Z1 >= b) + P(a < Z1 < b, Z2 >= c)
    t1, a, b, c, drift = 0.5, 0.2, 2.8, 1.98, 3.0
    rho = np.sqrt(t1)
    mvn = stats.multivariate_normal(
        mean=drift * np.sqrt([t1, 1.0]), cov=[[1, rho], [rho, 1]], abseps=1e-10, releps=1e-10
    )
    cont_reject = mvn.cdf([b, 40.0], lower_limit=[a, c])  # a < Z1 < b, Z2 >= c
    expected = stats.norm.sf(b - drift * np.sqrt(t1)) + cont_reject
    out = boundary_crossing([t1, 1], [b, c], [a, c], drift=drift)
    assert out.attrs["power"] == pytest.approx(expected, abs=1e-6)
    assert out["p_futility"].iloc[0] == pytest.approx(stats.norm.cdf(a - drift * np.sqrt(t1)))


@given(
    gaps=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=5),
    kind=st.sampled_from([("obf", None), ("pocock", None), ("hsd", -4.0), ("hsd", 1.0)]),
)
@settings(max_examples=6, deadline=None)
def test_efficacy_bounds_spend_exactly_the_alpha_spent(gaps, kind):
    info = np.cumsum(gaps) / np.sum(gaps)
    d = group_sequential(info, spending=kind[0], gamma=kind[1])
    h0 = boundary_crossing(info, d["efficacy_z"], drift=0.0)
    np.testing.assert_allclose(h0["cum_efficacy"], d["alpha_spent"], atol=1e-8)


def test_spending_functions_spend_total_at_one():
    t = np.linspace(0.01, 1, 50)
    for kind, gamma in (("obf", None), ("pocock", None), ("hsd", -4), ("hsd", 0), ("hsd", 1)):
        f = spending_function(kind, 0.025, gamma=gamma)
        assert f(1.0) == pytest.approx(0.025, rel=1e-12)
        assert np.all(np.diff(f(t)) > 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(info_rates=[0.5, 0.9]), "end at 1"),
        (dict(info_rates=[0.6, 0.5, 1]), "increase strictly"),
        (dict(info_rates=[0.5, 1], spending="hsd"), "needs a finite gamma"),
        (dict(info_rates=[0.5, 1], spending="linear"), "spending must be one of"),
        (dict(info_rates=[0.5, 1], futility=[0.0, 1.0]), "futility needs 1 Z values"),
        (dict(info_rates=[0.5, 1], futility=[3.0]), "below the efficacy bound"),
        (dict(info_rates=[0.5, 1], alpha=0.6), "alpha"),
    ],
)
def test_bad_group_sequential_input_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        group_sequential(**kwargs)


# --- conditional and predictive power -------------------------------------------------------

# design F, stage 1 data: getStageResults(...)$overallPValues[1] = 0.1420648494 (t-test),
# mapped to Z as rpact does for a group-sequential design
RPACT_Z1 = stats.norm.isf(0.1420648494)
DESIGN_F_FINAL_Z = 1.971222542  # getDesignGroupSequential(...)$criticalValues[2], design F


def test_getConditionalPower_design_alternative():
    # getConditionalPower(sr, nPlanned=180, thetaH1=1.336, assumedStDev=3.96) = 0.7012774523
    theta = float(drift_means(1.336, 3.96, 380))
    row = conditional_power(RPACT_Z1, 200 / 380, theta=theta, final_z=DESIGN_F_FINAL_Z)
    assert row["estimate"].iloc[0] == pytest.approx(0.7012774523, abs=1e-8)
    assert row["theta"].iloc[0] == pytest.approx(theta)
    design = conditional_power(
        RPACT_Z1, 200 / 380, theta="design", design_theta=theta, final_z=DESIGN_F_FINAL_Z
    )
    assert design["estimate"].iloc[0] == pytest.approx(0.7012774523, abs=1e-8)
    assert design["theta_source"].iloc[0] == "design"


def test_getConditionalPower_observed_effect():
    # getConditionalPower(sr, nPlanned=180) = 0.2369315791: rpact's trend is the observed
    # effect 0.6 over the pooled SD sqrt((3.9^2 + 4^2)/2), i.e. this drift
    theta = float(drift_means(0.6, np.sqrt((3.9**2 + 4.0**2) / 2), 380))
    row = conditional_power(RPACT_Z1, 200 / 380, theta=theta, final_z=DESIGN_F_FINAL_Z)
    assert row["estimate"].iloc[0] == pytest.approx(0.2369315791, abs=1e-8)


# 3-stage design: getDesignGroupSequential(kMax=3, typeOfDesign="asOF", informationRates=
# c(0.3, 0.7, 1))$criticalValues, and stage-1 data giving overallPValues[1] = 0.1730939443
D3_CRIT = [3.928572543, 2.438742377, 2.000008576]
D3_Z1 = stats.norm.isf(0.1730939443)


def test_getConditionalPower_two_looks_remaining():
    # getConditionalPower(sr3, nPlanned=c(152, 114), thetaH1=1.336, assumedStDev=3.96)
    #   $conditionalPower = NA, 0.370459135, 0.8391039055
    theta = float(drift_means(1.336, 3.96, 380))
    row = conditional_power(
        D3_Z1, 0.3, theta=theta, future_info_rates=[0.7, 1], future_efficacy_z=D3_CRIT[1:]
    )
    assert row["estimate"].iloc[0] == pytest.approx(0.8391039055, abs=1e-6)
    assert row["final_z"].iloc[0] == D3_CRIT[2]
    look_2_only = conditional_power(
        D3_Z1, 0.3, theta=theta, future_info_rates=[0.7, 1], future_efficacy_z=[D3_CRIT[1], np.inf]
    )
    assert look_2_only["estimate"].iloc[0] == pytest.approx(0.370459135, abs=1e-6)


def test_getConditionalPower_two_looks_remaining_with_futility():
    # same with futilityBounds=c(0, 1), bindingFutility=FALSE: 0.825912839 (rpact counts a
    # stop at the stage-2 futility bound as not rejecting)
    d = group_sequential([0.3, 0.7, 1], futility=[0.0, 1.0])
    row = conditional_power(
        D3_Z1,
        0.3,
        theta=float(drift_means(1.336, 3.96, 380)),
        future_info_rates=[0.7, 1],
        future_efficacy_z=d["efficacy_z"].iloc[1:],
        future_futility_z=d["futility_z"].iloc[1:],
    )
    assert row["estimate"].iloc[0] == pytest.approx(0.825912839, abs=1e-6)


def test_conditional_power_one_future_look_equals_closed_form():
    z = np.array([-0.5, 0.4, 1.7])
    many = conditional_power(z, 0.45, theta=2.2, future_info_rates=[1.0], future_efficacy_z=[1.93])
    closed = conditional_power(z, 0.45, theta=2.2, final_z=1.93)
    np.testing.assert_allclose(many["estimate"], closed["estimate"], atol=1e-10)
    with pytest.raises(ValueError, match="not both"):
        conditional_power(1.0, 0.5, final_z=2.0, future_info_rates=[1], future_efficacy_z=[2])
    with pytest.raises(ValueError, match="increase from above info_rate"):
        conditional_power(1.0, 0.5, future_info_rates=[0.4, 1], future_efficacy_z=[2, 2])


@pytest.mark.parametrize(
    ("z", "t", "c", "r_cp"),
    [
        (1.0, 0.5, None, 0.2201141805),  # cp_trend(z=1, t=0.5, c=qnorm(0.975))
        (2.1, 0.3, 2.0, 0.9858145235),  # cp_trend(z=2.1, t=0.3, c=2.0)
    ],
)
def test_cp_trend_textbook(z, t, c, r_cp):
    row = conditional_power(z, t, theta="trend", final_z=c)
    assert row["estimate"].iloc[0] == pytest.approx(r_cp, abs=1e-9)
    assert row["theta"].iloc[0] == pytest.approx(z / np.sqrt(t))
    assert row["theta_source"].iloc[0] == "trend"


def test_conditional_power_under_design_averages_to_the_power():
    # E_theta[CP_theta(Z(t))] = P_theta(Z(1) >= c): the design power 1 - beta
    t, alpha, beta = 0.4, 0.025, 0.1
    theta = stats.norm.isf(alpha) + stats.norm.isf(beta)

    z = np.linspace(-10, 14, 24_001)
    cp = conditional_power(z, t, theta="design", alpha=alpha, beta=beta)["estimate"].to_numpy()
    averaged = integrate.simpson(cp * stats.norm.pdf(z - theta * np.sqrt(t)), x=z)
    assert averaged == pytest.approx(1 - beta, abs=1e-8)


@pytest.mark.parametrize(
    ("z", "t", "c", "r_pp"),
    [
        (1.0, 0.5, None, 0.2926187535),  # pp_num(z=1, t=0.5, c=qnorm(0.975))
        (0.3, 200 / 380, 1.971222542, 0.05029903215),  # pp_num(z=0.3, t=200/380, c=1.971222542)
        (2.5, 0.8, 2.0, 0.9441017483),  # pp_num(z=2.5, t=0.8, c=2.0)
    ],
)
def test_predictive_power_integrate_flat_prior(z, t, c, r_pp):
    row = predictive_power(z, t, final_z=c)
    assert row["estimate"].iloc[0] == pytest.approx(r_pp, abs=1e-8)


@given(
    gamma=st.floats(0.01, 0.99),
    t=st.floats(0.05, 0.95),
    theta=st.one_of(st.just("trend"), st.just("design"), st.floats(-2, 5)),
)
@settings(max_examples=50, deadline=None)
def test_futility_bound_from_cp_inverts_conditional_power(gamma, t, theta):
    bound = float(futility_bound_from_cp(gamma, t, theta=theta))
    cp = conditional_power(bound, t, theta=theta)["estimate"].iloc[0]
    assert cp == pytest.approx(gamma, abs=1e-9)


def test_conditional_power_vectorizes_and_checks_input():
    rows = conditional_power(np.linspace(-1, 3, 5), 0.5)
    assert rows.shape[0] == 5 and rows["estimate"].is_monotonic_increasing
    with pytest.raises(ValueError, match="info_rate"):
        conditional_power(1.0, 1.0)
    with pytest.raises(ValueError, match="theta must be"):
        conditional_power(1.0, 0.5, theta="observed")
    with pytest.raises(ValueError, match="z must be finite"):
        predictive_power(np.nan, 0.5)


# --- Monte Carlo operating characteristics ------------------------------------------------------

# getSimulationMeans(design F, alternative=c(0, 0.668, 1.336), stDev=3.96,
#   plannedSubjects=c(200, 380), maxNumberOfIterations=10000, seed=20261123)
RPACT_SIM = pd.DataFrame(
    {
        "effect": [0.0, 0.668, 1.336],
        "reject": [0.0242, 0.3672, 0.9057],  # $overallReject
        "futility": [0.5048, 0.1211, 0.0091],  # $futilityPerStage[1, ]
        "expected_n": [288.758, 350.066, 321.5],  # $expectedNumberOfSubjects
        "reject_interim": [0.0021, 0.0452, 0.3159],  # $rejectPerStage[1, ]
    }
)


def _combat_shine_oc(n_sims: int, seed: int) -> pd.DataFrame:
    # lower SOFA is better: the effects are reductions, tested with alternative="less"
    return simulate_operating_characteristics(
        -RPACT_SIM["effect"].to_numpy(),
        n_per_arm=190,
        interim_per_arm=100,
        futility_z=0.0,
        interim_efficacy_z=2.877448122,
        final_z=DESIGN_F_FINAL_Z,
        alternative="less",
        generator=normal_outcomes(6.68, 3.96),
        n_sims=n_sims,
        seed=seed,
        progress=False,
    )


def test_getSimulationMeans_combat_shine_design():
    oc = _combat_shine_oc(10_000, seed=6)
    for ours, theirs in (
        ("estimate", "reject"),
        ("p_stop_futility", "futility"),
        ("p_reject_interim", "reject_interim"),
    ):
        p = RPACT_SIM[theirs].to_numpy()
        # two independent runs of 10,000: 4 SE of the difference
        se = np.sqrt(2 * np.maximum(p * (1 - p), 1e-3) / 10_000)
        np.testing.assert_array_less(np.abs(oc[ours].to_numpy() - p), 4 * se, err_msg=ours)
    # expected n = 380 - 180 P(stop at interim): SE 180 * SE(P(stop))
    stop = 1 - (RPACT_SIM["expected_n"] - 200) / 180
    se_n = 180 * np.sqrt(2 * stop * (1 - stop) / 10_000)
    np.testing.assert_array_less(np.abs(oc["expected_n"] - RPACT_SIM["expected_n"]), 4 * se_n)
    # the analytic column: getPowerMeans(dF, alternative=c(0, 0.668, 1.336), stDev=3.96,
    #   maxNumberOfSubjects=380, normalApproximation=TRUE)$overallReject
    np.testing.assert_allclose(
        oc["analytic_power"], [0.02478109185, 0.372060282, 0.9052262789], atol=1e-6
    )


def test_simulation_agrees_with_boundary_crossing():
    n_sims = 20_000
    oc = simulate_operating_characteristics(
        [0.0, 0.5],
        n_per_arm=60,
        interim_per_arm=30,
        futility_z=0.3,
        interim_efficacy_z=2.8,
        final_z=1.98,
        n_sims=n_sims,
        seed=11,
        progress=False,
    )
    for row in oc.itertuples():
        se = np.sqrt(row.analytic_power * (1 - row.analytic_power) / n_sims)
        assert abs(row.estimate - row.analytic_power) < 4 * se
        drift = float(drift_means(row.effect, 1.0, 120))
        exact = boundary_crossing([0.5, 1], [2.8, 1.98], [0.3, 1.98], drift=drift)
        p_fut = exact["p_futility"].iloc[0]
        assert abs(row.p_stop_futility - p_fut) < 4 * np.sqrt(p_fut * (1 - p_fut) / n_sims)
        assert row.ci_low <= row.estimate <= row.ci_high


def test_simulation_is_seeded_and_takes_any_generator():
    first = _combat_shine_oc(500, seed=3)
    again = _combat_shine_oc(500, seed=3)
    pd.testing.assert_frame_equal(first, again)

    def skewed(rng, effect, n_trials, n_per_arm):
        # a stand-in for a patient-level twin: exponential outcomes shifted by the effect
        y = rng.exponential(2.0, size=(n_trials, n_per_arm))
        return rng.exponential(2.0, size=(n_trials, n_per_arm)) + effect, y

    oc = simulate_operating_characteristics(
        [0.0, 5.0],
        n_per_arm=40,
        interim_per_arm=20,
        generator=skewed,
        n_sims=400,
        seed=1,
        progress=False,
    )
    assert oc["analytic_power"].isna().all()
    assert oc["estimate"].iloc[1] == 1.0 and oc["estimate"].iloc[0] < 0.1
    assert (oc["expected_n"] == 80).all()  # no interim stopping rule given


def test_simulation_chunks_cover_every_trial(monkeypatch):
    monkeypatch.setattr(design.operating, "_CELLS_PER_CHUNK", 100)  # 2 trials per chunk
    oc = simulate_operating_characteristics(
        0.3,
        n_per_arm=50,
        interim_per_arm=25,
        futility_z=0.0,
        n_sims=101,
        seed=2,
        progress=False,
    )
    stops = oc["p_stop_futility"].iloc[0] * 101
    assert stops == pytest.approx(round(stops))
    assert oc["expected_n"].iloc[0] == pytest.approx(100 - 50 * oc["p_stop_interim"].iloc[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(n_per_arm=50, interim_per_arm=50), ValueError, "interim_per_arm < n_per_arm"),
        (dict(n_per_arm=50.0, interim_per_arm=20), TypeError, "integers"),
        (
            dict(n_per_arm=50, interim_per_arm=20, alternative="two-sided"),
            ValueError,
            "alternative",
        ),
        (
            dict(n_per_arm=50, interim_per_arm=20, futility_z=3.0, interim_efficacy_z=2.0),
            ValueError,
            "futility_z must lie below",
        ),
        (
            dict(
                n_per_arm=50,
                interim_per_arm=20,
                generator=lambda rng, e, k, n: (np.zeros((k, n - 1)), np.zeros((k, n))),
            ),
            ValueError,
            "the generator returned shapes",
        ),
    ],
)
def test_bad_simulation_input_raises(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_operating_characteristics(0.0, n_sims=10, progress=False, **kwargs)
