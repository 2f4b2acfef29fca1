"""trialkit.stats.subgroups against R.

Expected values: tests/R/subgroups.R (R 4.2, stats, metafor 4.x), printed verbatim below; the
data come from the integer-driven generator ``gen`` written line by line in both languages.
Each test is named after the R call it reproduces. Arm 1 (``x``) is ``arm == 1``.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from trialkit.stats import hodges_lehmann, risk_ratio
from trialkit.stats.subgroups import subgroup_effects, subgroup_table

NAN = math.nan
# R's uniroot(..., tol = 1e-4) in wilcox.test stops within its tolerance of the jump point.
R_TOL_ROOT = 1e-4


def gen(n: int) -> pd.DataFrame:
    """tests/R/subgroups.R gen(n), line by line."""
    i = np.arange(n)
    arm = (i // 3 + i // 29) % 2
    site = np.array(["A", "B", "C"])[(i // 2) % 3]
    base = 4 + (i * 11) % 13  # baseline SOFA, 4 to 16
    u = ((i * 7919) % 997) / 997
    dead = (u < 0.30 + 0.03 * (base - 10) - 0.12 * arm * (base >= 10)).astype(int)
    y = -2 + 0.5 * (base - 10) - 1.0 * arm + 1.5 * arm * (site == "C") + (u * 8 - 4)
    yi = np.floor(y + 0.5)  # integer outcome (ties), as SOFA points
    return pd.DataFrame({"arm": arm, "site": site, "base": base, "dead": dead, "y": y, "yi": yi})


DATA = {"MAIN": gen(240), "SMALL": gen(60)}
# The subgroups of the R script: site by its levels, baseline SOFA split at 10.
BY = {"site": dict(subgroup="site"), "sofa10": dict(subgroup="base", cut=10)}


def _run(size: str, by: str, outcome: str, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return subgroup_effects(DATA[size], outcome, "arm", **BY[by], **kw)


# Rscript tests/R/subgroups.R
RR_MAIN = {
    "site": dict(
        levels=("A", "B", "C"),
        a=(6, 8, 7),
        n1=(39, 39, 42),
        b=(10, 12, 15),
        n2=(41, 41, 38),
        rr=(0.630769230769, 0.700854700855, 0.422222222222),
        ci_low=(0.253329832621, 0.321335567941, 0.193063899446),
        ci_high=(1.57056047592, 1.52861170912, 0.923381354309),
        p=(0.322144153056, 0.371648498645, 0.0308019408871),
        q=0.881491530765,
        q_df=2,
        q_p=0.643556300066,
        q_defined=0.881491530765,
        q_defined_df=2,
        q_defined_p=0.643556300066,
        metafor_qe=0.881491530765,
        metafor_qep=0.643556300066,
        glm_converged=True,
        glm_wald=0.881491530949,
        glm_wald_p=0.643556300007,
        glm_lrt=0.901473413202,
        glm_lrt_p=0.637158579743,
    ),
    "sofa10": dict(
        levels=("< 10", ">= 10"),
        a=(8, 13),
        n1=(56, 64),
        b=(14, 23),
        n2=(55, 65),
        rr=(0.561224489796, 0.574048913043),
        ci_low=(0.256001023928, 0.319486744299),
        ci_high=(1.2303580787, 1.03144233821),
        p=(0.149209098734, 0.0633937667461),
        q=0.00204367446942,
        q_df=1,
        q_p=0.963942300478,
        q_defined=0.00204367446942,
        q_defined_df=1,
        q_defined_p=0.963942300478,
        metafor_qe=0.00204367446942,
        metafor_qep=0.963942300478,
        glm_converged=True,
        glm_wald=0.00204367447034,
        glm_wald_p=0.96394230047,
        glm_lrt=0.00204525292651,
        glm_lrt_p=0.963928387849,
    ),
}
MD_MAIN = {
    "site": dict(
        estimate=(-0.588468030734, -0.924801295694, 0.851251750238),
        ci_low=(-1.98650470699, -2.28096654341, -0.514123968717),
        ci_high=(0.809568645518, 0.431363952024, 2.21662746919),
        p=(0.40459322913, 0.178503628054, 0.218249690081),
        f=1.86936081407,
        df=2,
        df_resid=234,
        f_p=0.15651800957,
    ),
    "sofa10": dict(
        estimate=(0.0632724472118, -0.374759374277),
        ci_low=(-0.902636935765, -1.26545715033),
        ci_high=(1.02918183019, 0.515938401777),
        p=(0.896940280487, 0.406642032588),
        f=0.436245767363,
        df=1,
        df_resid=236,
        f_p=0.509584217323,
    ),
}
HL_MAIN = {
    "site": dict(
        estimate=(-0.99993441834, -0.999985813035, 0.999956357058),
        median_diff=(-1, -1, 1),
        mid_low=(-1, -1, 1),
        mid_high=(-1, -1, 1),
        ci_low=(-2.00003328968, -2.00003673475, -0.999955134287),
        ci_high=(0.999920597457, 0.999998154989, 2.0000109811),
        p=(0.425103000033, 0.323749355353, 0.325950247073),
    ),
    "sofa10": dict(
        estimate=(2.87211924994e-06, -4.57704528089e-05),
        median_diff=(0, 0),
        mid_low=(0, 0),
        mid_high=(0, 0),
        ci_low=(-0.999963897373, -1.0000009745),
        ci_high=(1.00003573118, 0.999997899926),
        p=(0.856336288898, 0.370384883622),
    ),
}
RR_SMALL = {
    "site": dict(
        levels=("A", "B", "C"),
        a=(0, 2, 2),
        n1=(10, 10, 11),
        b=(1, 3, 4),
        n2=(10, 10, 9),
        rr=(0, 0.666666666667, 0.409090909091),
        ci_low=(0, 0.140121076123, 0.0958765259042),
        ci_high=(NAN, 3.17186005663, 1.74553020484),
        p=(NAN, 0.61040744955, 0.227261451276),
        q=NAN,
        q_df=2,
        q_p=NAN,
        q_defined=0.201884174151,
        q_defined_df=1,
        q_defined_p=0.653204274127,
        metafor_qe=0.268839387311,
        metafor_qep=0.874223081718,
        glm_converged=True,
        glm_wald=0.20182822175,
        glm_wald_p=0.904010674237,
        glm_lrt=1.00951487688,
        glm_lrt_p=0.603651980437,
    ),
    "sofa10": dict(
        levels=("< 10", ">= 10"),
        a=(2, 2),
        n1=(14, 17),
        b=(3, 5),
        n2=(14, 15),
        rr=(0.666666666667, 0.352941176471),
        ci_low=(0.130798780685, 0.07989543946),
        ci_high=(3.39792498154, 1.55913122063),
        p=(0.625582224146, 0.16943717881),
        q=0.319751928626,
        q_df=1,
        q_p=0.5717567649,
        q_defined=0.319751928626,
        q_defined_df=1,
        q_defined_p=0.5717567649,
        metafor_qe=0.319751928626,
        metafor_qep=0.5717567649,
        glm_converged=True,
        glm_wald=0.319751928829,
        glm_wald_p=0.571756764779,
        glm_lrt=0.319647783516,
        glm_lrt_p=0.571819391061,
    ),
}
MD_SMALL = {
    "site": dict(
        estimate=(0.0788365095286, -1, -0.759738812397),
        ci_low=(-3.19152812065, -4.06813869553, -3.82395813791),
        ci_high=(3.34920113971, 2.06813869553, 2.30448051312),
        p=(0.960165762948, 0.502221638448, 0.608785557782),
        f=0.144377446602,
        df=2,
        df_resid=54,
        f_p=0.86589398116,
    ),
    "sofa10": dict(
        estimate=(0.674380283708, -1.75896906405),
        ci_low=(-1.44061263325, -3.5696147807),
        ci_high=(2.78937320067, 0.0516766525908),
        p=(0.517955203167, 0.0564728099476),
        f=3.24667702696,
        df=1,
        df_resid=56,
        f_p=0.0769520363888,
    ),
}
HL_SMALL = {
    "site": dict(
        estimate=(0, -3.03941424861e-05, -1.00003627218),
        median_diff=(0, 0, -1),
        mid_low=(0, 0, -1),
        mid_high=(0, 0, -1),
        ci_low=(-3.9999788395, -4.9999810034, -4.00003975222),
        ci_high=(3.99996150638, 2.99998489123, 2.00006180758),
        p=(1, 0.789236445896, 0.42240206018),
    ),
    "sofa10": dict(
        estimate=(0.520681396854, -1.9999879545),
        median_diff=(0.5, -2),
        mid_low=(0, -2),
        mid_high=(1, -2),
        ci_low=(-1.99999154406, -3.99999615215),
        ci_high=(2.99993954845, 3.28837450413e-05),
        p=(0.626352107141, 0.0738823606305),
    ),
}
MD_ONE_ARM = dict(f=2.19517519791, df=1, df_resid=194, f_p=0.140065886085)
PERM_EXACT = {
    "two": dict(statistic=18.5335714286, p=0.029387755102, arrangements=1225),
    "three": dict(statistic=7.72, p=0.1185, arrangements=8000),
    "ties": dict(statistic=7.71428571429, p=0.0228571428571, arrangements=1225),
}


# The tiny data of PERM_EXACT (tests/R/subgroups.R, `tiny`): arm 1 and arm 2 of each level.
TINY = {
    "two": (
        [[3.1, 5.2, 4.4, 7.9], [2.2, 6.6, 1.3]],
        [[1.5, 2.8, 0.7], [4.1, 3.3, 5.8, 2.9]],
    ),
    "three": (
        [[1.2, 3.4, 2.9], [6.1, 4.4, 5.5], [0.3, 2.2, 1.9]],
        [[0.8, 1.1, 2.5], [2.1, 3.9, 1.7], [2.4, 0.6, 3.1]],
    ),
    "ties": ([[2, 3, 3, 5], [1, 4, 4]], [[1, 1, 2], [3, 3, 4, 6]]),
}
RR = {"MAIN": RR_MAIN, "SMALL": RR_SMALL}
MD = {"MAIN": MD_MAIN, "SMALL": MD_SMALL}
HL = {"MAIN": HL_MAIN, "SMALL": HL_SMALL}
CASES = [(size, by) for size in ("MAIN", "SMALL") for by in ("site", "sofa10")]


def _tiny_frame(name: str) -> pd.DataFrame:
    xs, ys = TINY[name]
    rows = []
    for lev, (x, y) in enumerate(zip(xs, ys, strict=True)):
        rows += [(v, 1, f"L{lev}") for v in x] + [(v, 0, f"L{lev}") for v in y]
    return pd.DataFrame(rows, columns=["y", "arm", "sub"])


# -- risk ratio ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "by"), CASES)
def test_riskratio_log_wald_within_levels_by_hand_in_R(size, by):
    ref, res = RR[size][by], _run(size, by, "dead")
    assert res["level"].tolist() == list(ref["levels"])
    for col, key in (("events_x", "a"), ("n_x", "n1"), ("events_y", "b"), ("n_y", "n2")):
        assert res[col].tolist() == list(ref[key]), col
    for col, key in (
        ("estimate", "rr"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("p_value", "p"),
    ):
        # A zero count: R's by-hand limits are exp(-Inf +- Inf) artefacts (0 and NaN, as
        # epitools); trialkit keeps the estimate and gives NaN limits (trialkit.stats.binary).
        defined = (np.array(ref["a"]) > 0) & (np.array(ref["b"]) > 0)
        want = np.where(defined | (col == "estimate"), ref[key], NAN)
        np.testing.assert_allclose(res[col], want, rtol=1e-9, atol=1e-15, err_msg=col)


@pytest.mark.parametrize(("size", "by"), [c for c in CASES if c != ("SMALL", "site")])
def test_cochran_q_by_hand_and_metafor_rma_fe_qe(size, by):
    ref, res = RR[size][by], _run(size, by, "dead")
    np.testing.assert_allclose(res["interaction_statistic"], ref["q"], rtol=1e-9)
    np.testing.assert_allclose(res["interaction_statistic"], ref["metafor_qe"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], ref["q_p"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], ref["metafor_qep"], rtol=1e-9)
    assert (res["interaction_df"] == ref["q_df"]).all()
    assert res["p_interaction"].nunique() == 1  # the same on every row of the subgroup


@pytest.mark.parametrize(("size", "by"), [c for c in CASES if c != ("SMALL", "site")])
def test_glm_log_binomial_arm_x_sub_wald_test_is_cochran_q(size, by):
    # The model y ~ arm * sub is saturated: its MLE is the cell proportions and its Fisher
    # information the Katz variances, so the joint Wald test of the interaction is Q, up to
    # glm's convergence (run with epsilon 1e-14 in the R script: they agree to ~1e-9).
    ref, res = RR[size][by], _run(size, by, "dead")
    assert ref["glm_converged"]
    np.testing.assert_allclose(res["interaction_statistic"], ref["glm_wald"], rtol=1e-8)
    np.testing.assert_allclose(res["p_interaction"], ref["glm_wald_p"], rtol=1e-8)


def test_cochran_q_leaves_out_a_level_with_a_zero_count():
    # SMALL, site A: 0/10 vs 1/10. Its log RR is undefined: Q over B and C (q_defined in R).
    ref = RR_SMALL["site"]
    with pytest.warns(RuntimeWarning, match="level 'A' of 'site' has no event in an arm"):
        res = subgroup_effects(DATA["SMALL"], "dead", "arm", "site")
    assert res.loc[0, "estimate"] == 0 and np.isnan(res.loc[0, "ci_low"])
    np.testing.assert_allclose(res["interaction_statistic"], ref["q_defined"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], ref["q_defined_p"], rtol=1e-9)
    assert (res["interaction_df"] == ref["q_defined_df"]).all()


def test_cochran_q_correction_half_is_metafor_escalc_to_only0():
    # metafor's escalc(measure = "RR") adds 1/2 to the four cells of a level with a zero cell,
    # as correction=0.5 does, so rma(method = "FE")$QE is the Q of the corrected levels.
    ref = RR_SMALL["site"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = subgroup_effects(DATA["SMALL"], "dead", "arm", "site", correction=0.5)
    np.testing.assert_allclose(res["interaction_statistic"], ref["metafor_qe"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], ref["metafor_qep"], rtol=1e-9)
    assert res.loc[0, "method"] == "log-Wald (+0.5 to each cell)"
    assert res.loc[1, "method"] == "log-Wald"  # levels without a zero cell are not corrected


def test_cochran_q_hand_worked_two_levels():
    # By hand: RR 0.5 (10/50 vs 20/50), v = 1/10 - 1/50 + 1/20 - 1/50 = 0.11; RR 1 (15/50 vs
    # 15/50), v = 2/15 - 2/50 = 0.09333; Q = log(0.5)^2 / (0.11 + 0.09333) = 2.36289, and
    # with two levels Q is the square of the z of the difference of the log RRs.
    d = pd.DataFrame(
        {
            "dead": [1] * 10
            + [0] * 40
            + [1] * 20
            + [0] * 30
            + [1] * 15
            + [0] * 35
            + [1] * 15
            + [0] * 35,
            "arm": ["ilo"] * 50 + ["pla"] * 50 + ["ilo"] * 50 + ["pla"] * 50,
            "sofa": [8] * 100 + [12] * 100,
        }
    )
    res = subgroup_effects(d, "dead", "arm", "sofa", cut=10, arm_1="ilo")
    q = math.log(0.5) ** 2 / (0.11 + (2 / 15 - 2 / 50))
    assert res["interaction_statistic"].iloc[0] == pytest.approx(q, rel=1e-12)
    assert res["interaction_statistic"].iloc[0] == pytest.approx(2.36289, abs=1e-5)
    assert res["p_interaction"].iloc[0] == pytest.approx(math.erfc(math.sqrt(q / 2)), rel=1e-12)
    assert res["estimate"].tolist() == [0.5, 1.0]


def test_riskratio_levels_equal_risk_ratio_of_their_counts():
    res = _run("MAIN", "site", "dead")
    for row in res.itertuples():
        ref = risk_ratio(row.events_x, row.n_x, row.events_y, row.n_y)
        assert row.estimate == ref.estimate.item() and row.ci_high == ref.ci_high.item()


# -- mean difference -------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "by"), CASES)
def test_t_test_var_equal_within_levels(size, by):
    ref, res = MD[size][by], _run(size, by, "y", measure="mean_difference")
    for col, key in (
        ("estimate", "estimate"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("p_value", "p"),
    ):
        np.testing.assert_allclose(res[col], ref[key], rtol=1e-9, atol=1e-12, err_msg=col)


@pytest.mark.parametrize(("size", "by"), CASES)
def test_anova_lm_additive_vs_lm_interaction_f_test(size, by):
    ref, res = MD[size][by], _run(size, by, "y", measure="mean_difference")
    np.testing.assert_allclose(res["interaction_statistic"], ref["f"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], ref["f_p"], rtol=1e-9)
    assert (res["interaction_df"] == ref["df"]).all()
    assert (res["interaction_df_resid"] == ref["df_resid"]).all()


def test_anova_f_hand_worked():
    # Two levels, two patients per cell. Cell means: L0 arm1 2, arm0 1; L1 arm1 6, arm0 1.
    # Within-cell RSS = 4 * 0.5 = 2 on 8 - 4 = 4 df. The additive fit with a balanced design
    # leaves the interaction contrast (2 - 1) - (6 - 1) = -4: its sum of squares is
    # 4^2 / (4 * 1/2) = 8 (each cell mean from 2 patients). F = 8 / (2 / 4) = 16 on (1, 4).
    d = pd.DataFrame(
        {
            "y": [1.5, 2.5, 0.5, 1.5, 5.5, 6.5, 0.5, 1.5],
            "arm": [1, 1, 0, 0, 1, 1, 0, 0],
            "sub": ["L0"] * 4 + ["L1"] * 4,
        }
    )
    res = subgroup_effects(d, "y", "arm", "sub", measure="mean_difference")
    assert res["estimate"].tolist() == [1.0, 5.0]
    assert res["interaction_statistic"].iloc[0] == pytest.approx(16.0, rel=1e-12)
    # Rscript tests/R/subgroups.R (HAND_F): anova(lm) gives F 16 on (1, 4), P 0.0161300899000925.
    assert res["p_interaction"].iloc[0] == pytest.approx(0.0161300899000925, rel=1e-9)


# -- Hodges-Lehmann --------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "by"), CASES)
def test_wilcox_test_conf_int_within_levels(size, by):
    ref, res = HL[size][by], _run(size, by, "yi", measure="hodges_lehmann", seed=1)
    # trialkit's estimate is the median of the differences; R's uniroot stops, within its
    # tolerance, somewhere between the two middle differences (where the statistic is zero).
    np.testing.assert_array_equal(res["estimate"], ref["median_diff"])
    est = np.array(ref["estimate"])
    assert (np.array(ref["mid_low"]) - R_TOL_ROOT <= est).all()
    assert (est <= np.array(ref["mid_high"]) + R_TOL_ROOT).all()
    np.testing.assert_allclose(res["ci_low"], ref["ci_low"], atol=R_TOL_ROOT)
    np.testing.assert_allclose(res["ci_high"], ref["ci_high"], atol=R_TOL_ROOT)
    np.testing.assert_allclose(res["p_value"], ref["p"], rtol=1e-9)
    assert res["method"].str.contains("normal approximation").all()  # integer data: ties


def test_hodges_lehmann_levels_equal_hodges_lehmann_of_their_patients():
    d = DATA["MAIN"]
    res = _run("MAIN", "site", "y", measure="hodges_lehmann", seed=1)
    for row in res.itertuples():
        here = d[d.site == row.level]
        ref = hodges_lehmann(here.y[here.arm == 1], here.y[here.arm == 0])
        assert (row.estimate, row.ci_low, row.ci_high, row.p_value) == tuple(
            ref[["estimate", "ci_low", "ci_high", "p_value"]].iloc[0]
        )
        assert ref.method.item() == "exact" and "exact" in row.method


@pytest.mark.parametrize("name", sorted(PERM_EXACT))
def test_permutation_test_full_enumeration_in_R(name):
    ref = PERM_EXACT[name]
    res = subgroup_effects(
        _tiny_frame(name),
        "y",
        "arm",
        "sub",
        measure="hodges_lehmann",
        n_permutations=ref["arrangements"],
    )
    assert res["interaction_statistic"].iloc[0] == pytest.approx(ref["statistic"], rel=1e-10)
    assert res["p_interaction"].iloc[0] == pytest.approx(ref["p"], rel=1e-10)
    assert f"all {ref['arrangements']} within-level permutations" in res["interaction_method"][0]


def test_permutation_test_random_draws_agree_with_the_enumeration():
    # 1000 draws of the 1225 arrangements of "two": within 4 Monte Carlo SE of the exact p.
    ref = PERM_EXACT["two"]["p"]
    p = [
        subgroup_effects(
            _tiny_frame("two"),
            "y",
            "arm",
            "sub",
            measure="hodges_lehmann",
            n_permutations=1000,
            seed=seed,
        )["p_interaction"].iloc[0]
        for seed in (1, 2)
    ]
    se = math.sqrt(ref * (1 - ref) / 1000)
    assert all(abs(v - ref) < 4 * se for v in p), (p, ref)
    assert p[0] != p[1]  # the draws are random ...
    again = subgroup_effects(
        _tiny_frame("two"), "y", "arm", "sub", measure="hodges_lehmann", n_permutations=1000, seed=1
    )
    assert again["p_interaction"].iloc[0] == p[0]  # ... and reproduced by their seed


def test_permutation_test_ignores_a_common_shift_and_sees_a_level_shift():
    d = _tiny_frame("two")
    base = subgroup_effects(d, "y", "arm", "sub", measure="hodges_lehmann")
    common = d.assign(y=d.y + 2.5 * d.arm)  # the same shift added in every level
    shifted = subgroup_effects(common, "y", "arm", "sub", measure="hodges_lehmann")
    np.testing.assert_allclose(shifted["estimate"], base["estimate"] + 2.5, rtol=1e-12)
    assert shifted["interaction_statistic"].iloc[0] == pytest.approx(
        base["interaction_statistic"].iloc[0], rel=1e-9
    )
    assert shifted["p_interaction"].iloc[0] == base["p_interaction"].iloc[0]
    one = d.assign(y=d.y + 6 * d.arm * (d["sub"] == "L0"))  # a shift in one level only
    apart = subgroup_effects(one, "y", "arm", "sub", measure="hodges_lehmann")
    assert apart["p_interaction"].iloc[0] < base["p_interaction"].iloc[0]


def test_permutation_test_needs_a_seed_when_it_draws():
    with pytest.raises(ValueError, match="pass seed="):
        _run("MAIN", "site", "yi", measure="hodges_lehmann")


# -- levels ----------------------------------------------------------------------------------


def test_cut_value_equal_to_the_cut_belongs_to_the_upper_level():
    d = pd.DataFrame(
        {"y": [0, 1, 0, 1, 1, 0], "arm": [1, 0, 1, 0, 1, 0], "s": [9.99, 9, 10, 10, 11, 12]}
    )
    res = subgroup_effects(d, "y", "arm", "s", cut=10, measure="mean_difference")
    assert res["level"].tolist() == ["< 10", ">= 10"]
    assert res[["n_x", "n_y"]].to_numpy().tolist() == [[1, 1], [2, 2]]


def test_several_cuts_and_an_empty_interval():
    d = pd.DataFrame(
        {"y": np.arange(12.0), "arm": [1, 0] * 6, "s": [1, 2, 3, 4, 8, 8, 9, 9, 15, 15, 16, 20]}
    )
    res = subgroup_effects(d, "y", "arm", "s", cut=[5, 8, 12], measure="mean_difference")
    assert res["level"].tolist() == ["< 5", "8 to < 12", ">= 12"]  # "5 to < 8" has no one
    assert res["n_x"].sum() + res["n_y"].sum() == 12


def test_categorical_order_and_numeric_flags():
    d = gen(240).assign(site=lambda f: pd.Categorical(f.site, categories=["C", "A", "B"]))
    assert _run_frame(d, "site")["level"].tolist() == ["C", "A", "B"]
    flag = gen(240).assign(high=lambda f: (f.base >= 10).astype(int))
    res = _run_frame(flag, "high")
    assert res["level"].tolist() == ["0", "1"]
    np.testing.assert_allclose(res["interaction_statistic"], RR_MAIN["sofa10"]["q"], rtol=1e-9)


def _run_frame(d: pd.DataFrame, subgroup: str, **kw) -> pd.DataFrame:
    return subgroup_effects(d, "dead", "arm", subgroup, **kw)


def test_numeric_subgroup_with_many_values_needs_a_cut():
    with pytest.raises(ValueError, match="give cut="):
        subgroup_effects(DATA["MAIN"], "dead", "arm", "base")


def test_missing_values_are_dropped_and_counted():
    d = DATA["MAIN"].copy()
    d["base"] = d["base"].astype(float)
    d.loc[[0, 5, 7], "base"] = np.nan
    with pytest.warns(RuntimeWarning, match="3 of 240 rows dropped"):
        res = subgroup_effects(d, "dead", "arm", "base", cut=10)
    assert res["n_x"].sum() + res["n_y"].sum() == 237


def test_level_with_one_arm_is_reported_and_left_out():
    # MD_ONE_ARM: site B without its arm-2 patients. R's anova aliases B's interaction term
    # (1 df from A and C) and keeps B's patients in the residual variance.
    d = DATA["MAIN"][~((DATA["MAIN"].site == "B") & (DATA["MAIN"].arm == 0))]
    with pytest.warns(RuntimeWarning, match="level 'B' of 'site' has patients of one arm only"):
        res = subgroup_effects(d, "y", "arm", "site", measure="mean_difference")
    row = res.set_index("level").loc["B"]
    assert row["n_y"] == 0 and row["n_x"] == 39 and np.isnan(row["estimate"])
    np.testing.assert_allclose(res["interaction_statistic"], MD_ONE_ARM["f"], rtol=1e-9)
    np.testing.assert_allclose(res["p_interaction"], MD_ONE_ARM["f_p"], rtol=1e-9)
    assert res["interaction_df"].iloc[0] == MD_ONE_ARM["df"]
    assert res["interaction_df_resid"].iloc[0] == MD_ONE_ARM["df_resid"]


def test_bad_input_names_the_argument():
    d = DATA["SMALL"]
    with pytest.raises(ValueError, match="measure must be one of"):
        subgroup_effects(d, "dead", "arm", "site", measure="odds")
    with pytest.raises(ValueError, match="needs a 0/1 outcome"):
        subgroup_effects(d, "y", "arm", "site")
    with pytest.raises(ValueError, match=r"columns \['nope'\] are not in the data"):
        subgroup_effects(d, "dead", "arm", "nope")
    with pytest.raises(ValueError, match="conf_level"):
        subgroup_effects(d, "dead", "arm", "site", conf_level=95)
    with pytest.raises(ValueError, match="strictly increasing"):
        subgroup_effects(d, "dead", "arm", "base", cut=[10, 8])
    with pytest.raises(ValueError, match="n_permutations"):
        subgroup_effects(d, "y", "arm", "site", measure="hodges_lehmann", n_permutations=0)
    with pytest.raises(TypeError, match="must be numeric"):
        subgroup_effects(d, "site", "arm", "base", cut=10, measure="mean_difference")


# -- several subgroups -----------------------------------------------------------------------


def test_subgroup_table_stacks_the_overall_row_and_each_subgroup():
    d = DATA["MAIN"]
    spec = [{"column": "base", "cut": 10, "label": "Baseline SOFA"}, "site"]
    table = subgroup_table(d, "dead", "arm", spec)
    assert table["subgroup"].tolist() == ["all patients"] + ["Baseline SOFA"] * 2 + ["site"] * 3
    overall = risk_ratio(int(d.dead[d.arm == 1].sum()), 120, int(d.dead[d.arm == 0].sum()), 120)
    first = table.iloc[0]
    assert first["level"] == "all patients" and np.isnan(first["p_interaction"])
    assert first["estimate"] == overall.estimate.item() and first["ci_low"] == overall.ci_low.item()
    pd.testing.assert_frame_equal(
        table.iloc[3:].reset_index(drop=True), _run("MAIN", "site", "dead"), check_dtype=False
    )
    np.testing.assert_allclose(
        table["interaction_statistic"].iloc[1:3], RR_MAIN["sofa10"]["q"], rtol=1e-9
    )


def test_subgroup_table_seed_gives_each_subgroup_its_own_call():
    d = DATA["MAIN"]
    table = subgroup_table(
        d, "yi", "arm", ["site"], measure="hodges_lehmann", n_permutations=200, seed=7
    )
    alone = subgroup_effects(
        d, "yi", "arm", "site", measure="hodges_lehmann", n_permutations=200, seed=7
    )
    assert table["p_interaction"].iloc[1] == alone["p_interaction"].iloc[0]


def test_subgroup_table_bad_subgroups():
    with pytest.raises(TypeError, match="takes a list"):
        subgroup_table(DATA["SMALL"], "dead", "arm", "site")
    with pytest.raises(ValueError, match="'column' and optionally 'cut' and 'label'"):
        subgroup_table(DATA["SMALL"], "dead", "arm", [{"column": "base", "cuts": 10}])


def test_imicro_twin_subgroups_of_death_and_delta_sofa():
    # The bundled I-MICRO twin, its primary population: the levels add up to the analysed
    # patients and the overall row is the crude RR of notebook 03 (48/114 vs 47/122 there).
    from trialkit.endpoints import analysis_set
    from trialkit.schema import load_trial
    from trialkit.spec import load_spec

    spec = load_spec("imicro")
    data = analysis_set(load_trial("data/imicro"), spec, population="primary")
    subgroups = [
        {"column": "baseline_sofa_total", "cut": 10, "label": "Baseline SOFA"},
        {"column": "lactate_mmol_l", "cut": 4, "label": "Lactate, mmol/L"},
    ]
    rr = subgroup_table(data, "death_d28", "arm", subgroups, arm_1=spec.experimental)
    counts = data.groupby("arm")["death_d28"].agg(["sum", "size"])
    ref = risk_ratio(*counts.loc[spec.experimental], *counts.loc[spec.control])
    assert rr["estimate"].iloc[0] == ref.estimate.item()
    for name in ("Baseline SOFA", "Lactate, mmol/L"):
        part = rr[rr.subgroup == name]
        assert part["n_x"].sum() + part["n_y"].sum() == len(data)
        assert part["events_x"].sum() + part["events_y"].sum() == data["death_d28"].sum()
    hl = subgroup_table(
        data,
        "delta_sofa",
        "arm",
        subgroups,
        measure="hodges_lehmann",
        arm_1=spec.experimental,
        n_permutations=500,
        seed=20251123,
    )
    assert hl["p_interaction"].iloc[1:].between(0, 1).all()
    assert (
        hl["estimate"].iloc[0]
        == hodges_lehmann(
            data.delta_sofa[data.arm == spec.experimental],
            data.delta_sofa[data.arm == spec.control],
        ).estimate.item()
    )


def test_permutation_shifts_materialized_or_counted_agree(monkeypatch):
    # Small levels take the median of materialized differences, large ones PairSums'
    # implicit matrix: forcing the second path changes no shift and no p-value.
    import trialkit.stats._interaction as sg

    kw = dict(measure="hodges_lehmann", n_permutations=300, seed=3)
    blocks = subgroup_effects(DATA["SMALL"], "y", "arm", "site", **kw)
    monkeypatch.setattr(sg, "_BATCH_PAIRS", 1)
    counted = subgroup_effects(DATA["SMALL"], "y", "arm", "site", **kw)
    pd.testing.assert_frame_equal(blocks, counted)
