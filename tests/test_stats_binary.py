"""trialkit.stats.binary against R.

Expected values: tests/R/binary.R (R 4.x, epitools, stats), printed verbatim below. Each test
is named after the R call it reproduces. Orientation everywhere: arm 1 over arm 2.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import odds_ratio as scipy_odds_ratio

from trialkit.stats import (
    chi2_test,
    fisher_exact,
    mantel_haenszel_rr,
    odds_ratio,
    risk_difference,
    risk_ratio,
)

NAN, INF = math.nan, math.inf

# Rscript tests/R/binary.R: epitools::riskratio / oddsratio(method = "wald" | "fisher"),
# stats::fisher.test, chisq.test(correct = TRUE/FALSE), prop.test; rd_wald, rd_newcombe and
# the Wald p-values computed by hand in R (formulas in the script).
TWO_BY_TWO = {
    "imicro_death": dict(
        a=48,
        n1=114,
        b=47,
        n2=122,
        rr_wald=(1.09294512878, 0.800998735403, 1.49129955108),
        rr_wald_p=0.575125031113,
        or_wald=(1.16054158607, 0.689444323598, 1.95353957804),
        or_wald_p=0.575231510994,
        or_fisher=(1.15980513534, 0.666845648587, 2.01960613755),
        fisher_p=0.597295657956,
        fisher_test=(1.15980513534, 0.666845648587, 2.01960613755),
        chi2_yates=(0.182924466147, 0.668871953657),
        chi2=(0.314168970238, 0.575133135222),
        prop_test_ci=(-0.0978631748806, 0.16947663476),
        rd_wald=(0.0358067299396, -0.0893788493126, 0.160992309192),
        rd_wald_p=0.575065538096,
        rd_newcombe=(-0.0880923751107, 0.158593635362),
    ),
    "imicro_sae": dict(
        a=17,
        n1=114,
        b=8,
        n2=122,
        rr_wald=(2.27412280702, 1.02121264263, 5.06420927975),
        rr_wald_p=0.0442883219047,
        or_wald=(2.49742268041, 1.03292492092, 6.03830919198),
        or_wald_p=0.0421658113761,
        or_fisher=(2.48794445437, 0.967051116228, 6.96586630194),
        fisher_p=0.0551866026014,
        fisher_test=(2.48794445437, 0.967051116228, 6.96586630194),
        chi2_yates=(3.50611255822, 0.0611427654464),
        chi2=(4.3434728691, 0.0371510707766),
        prop_test_ci=(-0.00370713430047, 0.170805207352),
        rd_wald=(0.0835490365257, 0.00477719126755, 0.162320881784),
        rd_wald_p=0.0376331798519,
        rd_newcombe=(0.00401561809482, 0.166703507439),
    ),
    "newcombe_a": dict(
        a=56,
        n1=70,
        b=48,
        n2=80,
        rr_wald=(1.33333333333, 1.07662642276, 1.65124851127),
        rr_wald_p=0.00837292351757,
        or_wald=(2.66666666667, 1.27621787054, 5.57201969607),
        or_wald_p=0.0090899476963,
        or_fisher=(2.64919027064, 1.20911815006, 6.04056145384),
        fisher_p=0.0125211297492,
        fisher_test=(2.64919027064, 1.20911815006, 6.04056145384),
        chi2_yates=(6.1142704103, 0.0134094751787),
        chi2=(7.02341137124, 0.0080450813682),
        prop_test_ci=(0.0441120420062, 0.355887957994),
        rd_wald=(0.2, 0.057504899149, 0.342495100851),
        rd_wald_p=0.0059427933042,
        rd_newcombe=(0.0524314724024, 0.333872654037),
    ),
    "newcombe_b": dict(
        a=9,
        n1=10,
        b=3,
        n2=10,
        rr_wald=(3, 1.13835035745, 7.90617751478),
        rr_wald_p=0.0262797401345,
        or_wald=(21, 1.77748585101, 248.103240738),
        or_wald_p=0.0156698905101,
        or_fisher=(17.2758680539, 1.38712702246, 1039.2909676),
        fisher_p=0.0197666110979,
        fisher_test=(17.2758680539, 1.38712702246, 1039.2909676),
        chi2_yates=(5.20833333333, 0.0224788733661),
        chi2=(7.5, 0.00616989932054),
        prop_test_ci=(0.160524279777, 1),
        rd_wald=(0.6, 0.260524279777, 0.939475720223),
        rd_wald_p=0.000532005505139,
        rd_newcombe=(0.170522723935, 0.809017973535),
    ),
    "newcombe_c": dict(
        a=6,
        n1=7,
        b=2,
        n2=7,
        rr_wald=(3, 0.894845907599, 10.0575975412),
        rr_wald_p=0.0750832693968,
        or_wald=(15, 1.03069116112, 218.300115968),
        or_wald_p=0.0474691918897,
        or_fisher=(11.7174457799, 0.720339078197, 817.982010734),
        fisher_p=0.102564102564,
        fisher_test=(11.7174457799, 0.720339078197, 817.982010734),
        chi2_yates=(2.625, 0.10519250512),
        chi2=(4.66666666667, 0.0307535612593),
        prop_test_ci=(0.00525899740929, 1),
        rd_wald=(0.571428571429, 0.148116140266, 0.994741002591),
        rd_wald_p=0.0081509715935,
        rd_newcombe=(0.0582279274823, 0.806249637524),
    ),
    "newcombe_d": dict(
        a=5,
        n1=56,
        b=0,
        n2=29,
        rr_wald=(INF, NAN, INF),
        rr_wald_p=NAN,
        or_wald=(INF, NAN, INF),
        or_wald_p=NAN,
        or_fisher=(INF, 0.483270710149, INF),
        fisher_p=0.160621443209,
        fisher_test=(INF, 0.483270710149, INF),
        chi2_yates=(1.37474022475, 0.240999114196),
        chi2=(2.75111607143, 0.0971865681706),
        prop_test_ci=(-0.0115697102963, 0.190141138868),
        rd_wald=(0.0892857142857, 0.0146002404426, 0.163971188129),
        rd_wald_p=0.019123398222,
        rd_newcombe=(-0.0381371479035, 0.192560013855),
    ),
    "combat_d28": dict(
        a=70,
        n1=142,
        b=60,
        n2=136,
        rr_wald=(1.11737089202, 0.868298847322, 1.437889402),
        rr_wald_p=0.388427168479,
        or_wald=(1.23148148148, 0.768126740123, 1.97434428463),
        or_wald_p=0.38726715624,
        or_fisher=(1.2305491528, 0.747488364933, 2.02959899556),
        fisher_p=0.402253870692,
        fisher_test=(1.2305491528, 0.747488364933, 2.02959899556),
        chi2_yates=(0.554649694824, 0.456424030574),
        chi2=(0.748190992599, 0.38704957828),
        prop_test_ci=(-0.0725724488722, 0.176135000654),
        rd_wald=(0.0517812758906, -0.0653748515234, 0.168937403305),
        rd_wald_p=0.386339318594,
        rd_newcombe=(-0.064826430107, 0.166348024403),
    ),
    "small": dict(
        a=2,
        n1=5,
        b=1,
        n2=6,
        rr_wald=(2.4, 0.29787770603, 19.3367945415),
        rr_wald_p=0.410872217472,
        or_wald=(3.33333333333, 0.203754836057, 54.531766343),
        or_wald_p=0.398484845767,
        or_fisher=(2.97404996509, 0.108705570588, 234.756162498),
        fisher_p=0.545454545455,
        fisher_test=(2.97404996509, 0.108705570588, 234.756162498),
        chi2_yates=(0.034375, 0.852911416642),
        chi2=(0.748611111111, 0.386916317769),
        prop_test_ci=(-0.472793153436, 0.939459820103),
        rd_wald=(0.233333333333, -0.289459820103, 0.75612648677),
        rd_wald_p=0.381697853043,
        rd_newcombe=(-0.253715905936, 0.627068967146),
    ),
    "equal": dict(
        a=5,
        n1=20,
        b=5,
        n2=20,
        rr_wald=(1, 0.341804450973, 2.92564943831),
        rr_wald_p=1,
        or_wald=(1, 0.23898480297, 4.18436648512),
        or_wald_p=1,
        or_fisher=(1, 0.186323676504, 5.36700444498),
        fisher_p=1,
        fisher_test=(1, 0.186323676504, 5.36700444498),
        chi2_yates=(0, 1),
        chi2=(0, 1),
        prop_test_ci=(-0.268379121558, 0.268379121558),
        rd_wald=(0, -0.268379121558, 0.268379121558),
        rd_wald_p=1,
        rd_newcombe=(-0.258674048581, 0.258674048581),
    ),
    "rare": dict(
        a=1,
        n1=1000,
        b=3,
        n2=1000,
        rr_wald=(0.333333333333, 0.0347322808288, 3.19907326728),
        rr_wald_p=0.341025719395,
        or_wald=(0.332665999333, 0.0345451571199, 3.20353636627),
        or_wald_p=0.340870751033,
        or_fisher=(0.332813340204, 0.00633568562708, 4.15306455397),
        fisher_p=0.624624530593,
        fisher_test=(0.332813340204, 0.00633568562708, 4.15306455397),
        chi2_yates=(0.250501002004, 0.616722527297),
        chi2=(1.00200400802, 0.316826081988),
        prop_test_ci=(-0.00691502499284, 0.00291502499284),
        rd_wald=(-0.002, -0.00591502499284, 0.00191502499284),
        rd_wald_p=0.316704823947,
        rd_newcombe=(-0.00784134637072, 0.0030468452305),
    ),
    "large": dict(
        a=48000,
        n1=114000,
        b=47000,
        n2=122000,
        rr_wald=(1.09294512878, 1.08225684776, 1.1037389664),
        rr_wald_p=2.68015304073e-70,
        or_wald=(1.16054158607, 1.14158657401, 1.17981132896),
        or_wald_p=2.92607451462e-70,
        or_fisher=(1.16053723053, 1.14154802401, 1.17984860395),
        fisher_p=2.86442645945e-70,
        fisher_test=(1.16053723053, 1.14154802401, 1.17984860395),
        chi2_yates=(314.02010459, 2.90729998464e-70),
        chi2=(314.168970238, 2.69812340343e-70),
        prop_test_ci=(0.0318395300076, 0.0397739298716),
        rd_wald=(0.0358067299396, 0.0318480143332, 0.039765445546),
        rd_wald_p=2.55182974964e-70,
        rd_newcombe=(0.0318475074051, 0.0397648194767),
    ),
    "zero_arm1": dict(
        a=0,
        n1=25,
        b=4,
        n2=25,
        rr_wald=(0, 0, NAN),
        rr_wald_p=NAN,
        or_wald=(0, 0, NAN),
        or_wald_p=NAN,
        or_fisher=(0, 0, 1.43737822462),
        fisher_p=0.109856708641,
        fisher_test=(0, 0, 1.43737822462),
        chi2_yates=(2.44565217391, 0.117850895021),
        chi2=(4.34782608696, 0.0370562185641),
        prop_test_ci=(-0.343706933097, 0.0237069330967),
        rd_wald=(-0.16, -0.303706933097, -0.0162930669033),
        rd_wald_p=0.0290963317413,
        rd_newcombe=(-0.346536216072, 0.00416318133079),
    ),
}

# Rscript tests/R/binary.R: Mantel-Haenszel RR with the Greenland-Robins variance (by hand in
# R) and stats::mantelhaen.test(correct = TRUE / FALSE). Strata rows: a, n1, b, n0.
MH = {
    "three_sites": dict(
        mh_rr=(1.20576138906, 0.762684361598, 1.90624142904),
        cmh_correct=(0.420070876055, 0.516901680613),
        cmh=(0.639809500971, 0.423779788036),
        mh_or=1.27902802889,
    ),
    "with_zero": dict(
        mh_rr=(1.63639035461, 0.803795429592, 3.33141156828),
        cmh_correct=(1.35217340781, 0.244898517844),
        cmh=(1.894845658, 0.168656390392),
        mh_or=1.83918856848,
    ),
    "six_sites": dict(
        mh_rr=(1.11042004422, 0.865272980781, 1.42502158508),
        cmh_correct=(0.485577628334, 0.485906683444),
        cmh=(0.667919913908, 0.413777761003),
        mh_or=1.22252584056,
    ),
}
MH_DATA = {
    "three_sites": dict(a=[10, 8, 12], n1=[40, 30, 44], b=[9, 11, 7], n0=[41, 39, 42]),
    "with_zero": dict(a=[0, 5, 9, 3], n1=[5, 20, 33, 12], b=[1, 3, 6, 0], n0=[6, 21, 30, 11]),
    "six_sites": dict(
        a=[12, 15, 9, 14, 11, 9],
        n1=[24, 25, 23, 24, 23, 23],
        b=[10, 11, 8, 13, 9, 9],
        n0=[22, 23, 23, 22, 23, 23],
    ),
}

# Rscript tests/R/binary.R, last block: epitools on the table with 0.5 added to every cell.
HALDANE = {
    "newcombe_d": dict(
        rr=(5.78947368421, 0.331189799758, 101.204824438),
        or_=(6.30097087379, 0.336379984003, 118.027932221),
    ),
    "zero_arm1": dict(
        rr=(0.111111111111, 0.00629529710143, 1.96109553106),
        or_=(0.0936819172113, 0.00476997098646, 1.83990670746),
    ),
}

CASES = sorted(TWO_BY_TWO)
ZERO_AB = {k for k, v in TWO_BY_TWO.items() if v["a"] == 0 or v["b"] == 0}


def _counts(case):
    r = TWO_BY_TWO[case]
    return r["a"], r["n1"], r["b"], r["n2"]


def _triple(res):
    return res[["estimate", "ci_low", "ci_high"]].iloc[0].to_numpy(float)


# -- risk ratio ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(set(CASES) - ZERO_AB))
def test_epitools_riskratio_wald(case):
    res = risk_ratio(*_counts(case))
    np.testing.assert_allclose(_triple(res), TWO_BY_TWO[case]["rr_wald"], rtol=1e-9)
    np.testing.assert_allclose(res.p_value.item(), TWO_BY_TWO[case]["rr_wald_p"], rtol=1e-8)
    assert res.method.item() == "log-Wald"


def test_epitools_riskratio_wald_imicro_published_digits():
    # trials.md: 48/114 vs 47/122 gives log-Wald RR 1.093 (0.801-1.491).
    res = risk_ratio(48, 114, 47, 122, method="katz")
    assert _triple(res).round(3).tolist() == [1.093, 0.801, 1.491]


@pytest.mark.parametrize("case", sorted(ZERO_AB))
def test_epitools_riskratio_wald_zero_cell_gives_nan_interval(case):
    # epitools returns the estimate (0 or Inf) and limits 0/NaN or NaN/Inf from log(0):
    # trialkit keeps the estimate and says the interval is undefined.
    with pytest.warns(RuntimeWarning, match="zero cell"):
        res = risk_ratio(*_counts(case))
    assert res.estimate.item() == TWO_BY_TWO[case]["rr_wald"][0]
    assert res[["ci_low", "ci_high", "p_value"]].isna().all(axis=None)


@pytest.mark.parametrize("case", sorted(HALDANE))
def test_epitools_riskratio_wald_haldane_correction(case):
    res = risk_ratio(*_counts(case), correction=0.5)
    np.testing.assert_allclose(_triple(res), HALDANE[case]["rr"], rtol=1e-9)
    assert "+0.5" in res.method.item()


# Rscript tests/R/binary.R, koopman(): the score interval inverted by uniroot in R.
KOOPMAN = {
    "imicro_death": (0.800773407613, 1.49193601334),
    "imicro_sae": (1.04736640505, 4.9877971908),
    "newcombe_a": (1.07982150636, 1.67080557802),
    "newcombe_b": (1.35323719387, 8.46766868671),
    "newcombe_c": (1.10264076254, 10.666026323),
    "small": (0.396890315223, 15.7363334365),
    "equal": (0.354214644682, 2.82314696756),
    "rare": (0.0478037847281, 2.32203990669),
    "large": (1.08225694875, 1.10373910115),
}


@pytest.mark.parametrize("case", sorted(KOOPMAN))
def test_riskratio_score_koopman_uniroot_in_R(case):
    res = risk_ratio(*_counts(case), method="score")
    np.testing.assert_allclose(res[["ci_low", "ci_high"]].iloc[0], KOOPMAN[case], rtol=1e-8)
    # Its p-value is the score test at RR = 1: chisq.test(correct = FALSE).
    np.testing.assert_allclose(res.p_value.item(), TWO_BY_TWO[case]["chi2"][1], rtol=1e-8)


def test_riskratio_score_all_events_in_arm1():
    # koopman(10, 10, 5, 20) in tests/R/binary.R
    res = risk_ratio(10, 10, 5, 20, method="score")
    np.testing.assert_allclose(
        res[["ci_low", "ci_high"]].iloc[0], (2.13355691818, 8.93961013838), rtol=1e-8
    )


def test_riskratio_score_zero_cells_need_no_correction():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero_a = risk_ratio(0, 25, 4, 25, method="score")
        zero_b = risk_ratio(5, 56, 0, 29, method="score")
    assert zero_a.estimate.item() == 0 and zero_a.ci_low.item() == 0
    assert 0 < zero_a.ci_high.item() < 1
    assert zero_b.estimate.item() == INF and zero_b.ci_high.item() == INF
    assert 0 < zero_b.ci_low.item() < 1


def test_riskratio_score_refuses_all_events_in_arm2():
    with pytest.raises(ValueError, match="every patient of arm 2"):
        risk_ratio(3, 10, 20, 20, method="score")


def test_riskratio_score_no_events_warns():
    with pytest.warns(RuntimeWarning, match="no events in either arm"):
        res = risk_ratio(0, 10, 0, 20, method="score")
    assert res[["estimate", "ci_low", "ci_high"]].isna().all(axis=None)


def test_riskratio_correction_leaves_tables_without_zero_alone():
    assert risk_ratio(48, 114, 47, 122, correction=0.5).equals(risk_ratio(48, 114, 47, 122))


def test_riskratio_conf_level_changes_width():
    narrow, wide = risk_ratio(48, 114, 47, 122, conf_level=0.9), risk_ratio(48, 114, 47, 122)
    assert wide.ci_low.item() < narrow.ci_low.item() < 1.093 < narrow.ci_high.item()
    assert narrow.ci_high.item() < wide.ci_high.item()


# -- odds ratio --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(set(CASES) - ZERO_AB))
def test_epitools_oddsratio_wald(case):
    res = odds_ratio(*_counts(case))
    np.testing.assert_allclose(_triple(res), TWO_BY_TWO[case]["or_wald"], rtol=1e-9)
    np.testing.assert_allclose(res.p_value.item(), TWO_BY_TWO[case]["or_wald_p"], rtol=1e-8)


@pytest.mark.parametrize("case", sorted(HALDANE))
def test_epitools_oddsratio_wald_haldane_correction(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = odds_ratio(*_counts(case), correction=0.5)
    np.testing.assert_allclose(_triple(res), HALDANE[case]["or_"], rtol=1e-9)


def test_oddsratio_wald_zero_cell_warns():
    with pytest.warns(RuntimeWarning, match="zero cell"):
        res = odds_ratio(10, 10, 0, 20)
    assert res.estimate.item() == INF and np.isnan(res.ci_low.item())


def _uniroot_scale(v):
    # fisher.test solves for the odds ratio t on (0, 1) and for 1/t above 1, with uniroot's
    # default tolerance .Machine$double.eps^0.25 = 1.2e-4 on that scale: compare there.
    v = np.asarray(v, float)
    with np.errstate(divide="ignore"):
        return np.where(v > 1, 1 / v, v)


@pytest.mark.parametrize("case", CASES)
def test_fisher_test_estimate_conf_int_p(case):
    ref = TWO_BY_TWO[case]
    res = fisher_exact(*_counts(case))
    np.testing.assert_allclose(
        _uniroot_scale(_triple(res)), _uniroot_scale(ref["fisher_test"]), rtol=0, atol=1.3e-4
    )
    np.testing.assert_allclose(res.p_value.item(), ref["fisher_p"], rtol=1e-9)
    # epitools::oddsratio(method = "fisher") reports the same numbers.
    exact = odds_ratio(*_counts(case), method="exact")
    np.testing.assert_allclose(
        _uniroot_scale(_triple(exact)), _uniroot_scale(ref["or_fisher"]), rtol=0, atol=1.3e-4
    )


@pytest.mark.parametrize("case", ["imicro_sae", "newcombe_c", "small", "rare", "zero_arm1"])
def test_fisher_conditional_mle_matches_scipy_tightly(case):
    # An independent implementation with tight root finding: scipy's conditional odds ratio.
    a, n1, b, n2 = _counts(case)
    ref = scipy_odds_ratio([[a, n1 - a], [b, n2 - b]], kind="conditional")
    ci = ref.confidence_interval(0.95)
    np.testing.assert_allclose(
        _triple(fisher_exact(a, n1, b, n2)), [ref.statistic, ci.low, ci.high], rtol=1e-7
    )


def test_fisher_test_imicro_published_p():
    # trials.md: SAE 17/114 vs 8/122, Fisher P = 0.055 (published "P = 0.06").
    assert round(fisher_exact(17, 114, 8, 122).p_value.item(), 3) == 0.055


# Rscript tests/R/binary.R, last block: fisher.test on tables whose margins allow one table.
FISHER_SINGLE_TABLE = {
    (0, 3, 0, 4): dict(estimate=0, conf_int=(0, INF), p=1),
    (3, 3, 4, 4): dict(estimate=0, conf_int=(0, INF), p=1),
    (0, 10, 0, 12): dict(estimate=0, conf_int=(0, INF), p=1),
}


@pytest.mark.parametrize("counts", sorted(FISHER_SINGLE_TABLE))
@pytest.mark.parametrize("func", ["fisher_exact", "odds_ratio_exact"])
def test_fisher_test_single_possible_table(counts, func):
    # No event in either arm (or all events): every margin is fixed, the conditional
    # likelihood is flat in the odds ratio. conf.int and p.value agree with R; R's
    # estimate 0 is its mle() edge rule (x == lo tested first), so trialkit returns NaN
    # and says so.
    ref = FISHER_SINGLE_TABLE[counts]
    with pytest.warns(
        RuntimeWarning, match=r"only one table.*fisher\.test reports the estimate as 0"
    ):
        if func == "fisher_exact":
            res = fisher_exact(*counts)
        else:
            res = odds_ratio(*counts, method="exact")
    assert (res.ci_low.item(), res.ci_high.item()) == ref["conf_int"]
    assert res.p_value.item() == ref["p"]
    assert np.isnan(res.estimate.item()) and ref["estimate"] == 0


def test_fisher_single_table_warning_names_the_caller():
    with pytest.warns(RuntimeWarning, match="^odds_ratio: only one table"):
        odds_ratio(0, 3, 0, 4, method="exact")
    with pytest.warns(RuntimeWarning, match="^fisher_exact: only one table"):
        fisher_exact(0, 3, 0, 4)


# -- risk difference ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_riskdifference_wald_by_hand_in_R(case):
    ref = TWO_BY_TWO[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = risk_difference(*_counts(case))
    np.testing.assert_allclose(_triple(res), ref["rd_wald"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.p_value.item(), ref["rd_wald_p"], rtol=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_riskdifference_newcombe_from_R_prop_test_wilson(case):
    res = risk_difference(*_counts(case), method="newcombe")
    np.testing.assert_allclose(
        res[["ci_low", "ci_high"]].iloc[0], TWO_BY_TWO[case]["rd_newcombe"], rtol=1e-8, atol=1e-10
    )
    assert np.isnan(res.p_value.item())


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        # Newcombe RG, Stat Med 1998;17:873-890, Table II, method 10, examples (a)-(d).
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_riskdifference_newcombe_1998_table_ii(counts, published):
    res = risk_difference(*counts, method="newcombe")
    assert res[["ci_low", "ci_high"]].iloc[0].round(4).tolist() == list(published)


def test_riskdifference_wald_degenerate_warns():
    with pytest.warns(RuntimeWarning, match="zero width"):
        res = risk_difference(0, 10, 0, 20)
    assert _triple(res).tolist() == [0.0, 0.0, 0.0]


# -- chi-squared ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("correct", [True, False])
def test_chisq_test(case, correct):
    ref = TWO_BY_TWO[case]["chi2_yates" if correct else "chi2"]
    res = chi2_test(*_counts(case), correct=correct)
    np.testing.assert_allclose(res[["statistic", "p_value"]].iloc[0], ref, rtol=1e-8, atol=1e-12)
    assert res.df.item() == 1


@pytest.mark.parametrize("case", CASES)
def test_prop_test_conf_int(case):
    res = chi2_test(*_counts(case))
    np.testing.assert_allclose(
        res[["ci_low", "ci_high"]].iloc[0], TWO_BY_TWO[case]["prop_test_ci"], rtol=1e-9, atol=1e-12
    )


def test_chisq_test_imicro_published_p():
    # trials.md: chi-squared with Yates for 17/114 vs 8/122 gives P = 0.061.
    assert round(chi2_test(17, 114, 8, 122).p_value.item(), 3) == 0.061


def test_chisq_test_no_events_is_undefined():
    with pytest.warns(RuntimeWarning, match="undefined"):
        res = chi2_test(0, 10, 0, 20)
    assert np.isnan(res.statistic.item()) and res.min_expected.item() == 0


# -- Mantel-Haenszel ----------------------------------------------------------------------------


def _mh_long(d):
    k = len(d["a"])
    return dict(
        events=d["a"] + d["b"],
        n=d["n1"] + d["n0"],
        group=[1] * k + [0] * k,
        strata=[f"site{i}" for i in range(k)] * 2,
    )


@pytest.mark.parametrize("case", sorted(MH))
@pytest.mark.parametrize("correct", [True, False])
def test_mantelhaen_test_and_greenland_robins(case, correct):
    ref = MH[case]
    res = mantel_haenszel_rr(**_mh_long(MH_DATA[case]), correct=correct)
    np.testing.assert_allclose(_triple(res), ref["mh_rr"], rtol=1e-9)
    stat, p = ref["cmh_correct" if correct else "cmh"]
    np.testing.assert_allclose(res[["statistic", "p_value"]].iloc[0], [stat, p], rtol=1e-8)
    assert res.n_strata.item() == len(MH_DATA[case]["a"])


def test_mantelhaen_patient_level_rows_and_labels_equal_cell_rows():
    # Expanding each cell into patients (events 0/1, n 1) and naming the arms changes nothing.
    d = _mh_long(MH_DATA["three_sites"])
    rows = []
    for e, n, g, s in zip(d["events"], d["n"], d["group"], d["strata"], strict=True):
        arm = "iloprost" if g else "placebo"
        rows += [(1, arm, s)] * e + [(0, arm, s)] * (n - e)
    pts = pd.DataFrame(rows, columns=["dead", "arm", "site"]).sample(frac=1, random_state=1)
    res = mantel_haenszel_rr(pts.dead, np.ones(len(pts)), pts.arm, pts.site, arm_1="iloprost")
    np.testing.assert_allclose(_triple(res), MH["three_sites"]["mh_rr"], rtol=1e-9)


def test_mantelhaen_single_stratum_is_the_crude_risk_ratio():
    res = mantel_haenszel_rr([48, 47], [114, 122], [1, 0], ["all", "all"])
    np.testing.assert_allclose(_triple(res), TWO_BY_TWO["imicro_death"]["rr_wald"], rtol=1e-9)


def test_mantelhaen_one_arm_stratum_dropped_with_warning():
    with pytest.warns(UserWarning, match="one arm only"):
        res = mantel_haenszel_rr([48, 47, 3], [114, 122, 5], [1, 0, 1], ["A", "A", "B"])
    assert res.n_strata.item() == 1


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((5, 4, 1, 10), "exceed n1"),
        ((1, 10, 11, 10), "exceed n2"),
        ((1, 0, 1, 10), "no patients"),
        ((-1, 10, 1, 10), "non-negative integer"),
        ((1.5, 10, 1, 10), "non-negative integer"),
        (("x", 10, 1, 10), "must be a count"),
        ((np.nan, 10, 1, 10), "non-negative integer"),
    ],
)
@pytest.mark.parametrize("func", [risk_ratio, risk_difference, odds_ratio, fisher_exact, chi2_test])
def test_bad_counts_raise(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_bad_method_and_conf_level_raise():
    with pytest.raises(ValueError, match="method must be one of"):
        risk_ratio(1, 10, 2, 10, method="exact")
    with pytest.raises(ValueError, match="conf_level"):
        odds_ratio(1, 10, 2, 10, conf_level=95)


def test_mantelhaen_bad_input_raises():
    with pytest.raises(ValueError, match="non-empty"):
        mantel_haenszel_rr([], [], [], [])
    with pytest.raises(ValueError, match="same length"):
        mantel_haenszel_rr([1, 2], [5, 5], [1, 0], ["a"])
    with pytest.raises(ValueError, match="0 <= events <= n"):
        mantel_haenszel_rr([6, 2], [5, 5], [1, 0], ["a", "a"])
    with pytest.raises(ValueError, match="coded 0/1"):
        mantel_haenszel_rr([1, 2], [5, 5], ["A", "B"], ["a", "a"])
    with pytest.raises(ValueError, match="both arms"):
        mantel_haenszel_rr([1, 2], [5, 5], [1, 1], ["a", "b"])


def test_results_stack():
    out = pd.concat(
        [
            risk_ratio(48, 114, 47, 122),
            odds_ratio(48, 114, 47, 122),
            risk_difference(48, 114, 47, 122),
        ],
        ignore_index=True,
    )
    assert {"estimate", "ci_low", "ci_high", "p_value", "method"} <= set(out.columns)
    assert len(out) == 3
