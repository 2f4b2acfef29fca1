"""trialkit.stats.regression against R: lm, MASS::polr, ordinal::clm, nlme::lme.

Expected values: tests/R/regression.R, printed verbatim below (R 4.x). Tests are named after
the R call they reproduce. Data: R's mtcars, ToothGrowth and nlme::Orthodont (embedded), and
integer-driven generators written identically in the R script and here (checksums guard them).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from trialkit.stats import (
    adjusted_mean_difference,
    mixed_model_repeated,
    proportional_odds,
)


def patients(n):
    """tests/R/regression.R patients(): arm, 6 sites, baseline SOFA, outcome y, free days fd."""
    i = np.arange(n)
    arm = (i // 6 + i // 37) % 2
    base = 2 + (i * 13) % 15
    noise = ((i * 7919) % 997) / 997 * 6 - 3
    y = 3 + 0.6 * base + 0.3 * (i % 6) + 0.2 * arm + noise
    fd = np.floor(14 + ((i * 7919) % 997 / 997 - 0.5) * 16 + 3 * arm - 0.3 * (base - 9))
    fd = np.minimum(28, np.maximum(0, fd))
    fd[(i * 104729) % 10 < 3] = 0
    site = np.array([f"S{k + 1}" for k in i % 6])
    return pd.DataFrame({"arm": arm, "site": site, "base": base, "y": y, "fd": fd})


def visits(n_subj):
    """tests/R/regression.R visits(): days 0-3 per patient, some visits missed."""
    s = np.repeat(np.arange(n_subj), 4)
    day = np.tile(np.arange(4), n_subj)
    k = np.arange(len(s))
    arm = s % 2
    u = ((s * 31) % 11) / 2 - 2.5
    noise = ((k * 7919) % 101) / 101 * 2 - 1
    y = 10 + day * (-1 + 0.5 * arm) + u + noise + 0.1 * ((s * 7) % 5)
    d = pd.DataFrame({"id": s, "day": day, "arm": arm, "y": y, "age": 40 + (s * 17) % 40})
    return d[~((day > 0) & ((k * 13) % 17 == 0))].reset_index(drop=True)


# nlme::Orthodont: distance at ages 8, 10, 12, 14 for M01..M16 then F01..F11.
ORTHODONT_DISTANCE = [
    26,
    25,
    29,
    31,
    21.5,
    22.5,
    23,
    26.5,
    23,
    22.5,
    24,
    27.5,
    25.5,
    27.5,
    26.5,
    27,
    20,
    23.5,
    22.5,
    26,
    24.5,
    25.5,
    27,
    28.5,
    22,
    22,
    24.5,
    26.5,
    24,
    21.5,
    24.5,
    25.5,
    23,
    20.5,
    31,
    26,
    27.5,
    28,
    31,
    31.5,
    23,
    23,
    23.5,
    25,
    21.5,
    23.5,
    24,
    28,
    17,
    24.5,
    26,
    29.5,
    22.5,
    25.5,
    25.5,
    26,
    23,
    24.5,
    26,
    30,
    22,
    21.5,
    23.5,
    25,
    21,
    20,
    21.5,
    23,
    21,
    21.5,
    24,
    25.5,
    20.5,
    24,
    24.5,
    26,
    23.5,
    24.5,
    25,
    26.5,
    21.5,
    23,
    22.5,
    23.5,
    20,
    21,
    21,
    22.5,
    21.5,
    22.5,
    23,
    25,
    23,
    23,
    23.5,
    24,
    20,
    21,
    22,
    21.5,
    16.5,
    19,
    19,
    19.5,
    24.5,
    25,
    28,
    28,
]
ORTHODONT = pd.DataFrame(
    {
        "distance": ORTHODONT_DISTANCE,
        "age": np.tile([8, 10, 12, 14], 27),
        "id": np.repeat(
            [f"M{k:02d}" for k in range(1, 17)] + [f"F{k:02d}" for k in range(1, 12)], 4
        ),
        "sex": np.repeat(["Male"] * 16 + ["Female"] * 11, 4),
    }
)

# R datasets::mtcars (mpg, am, wt, cyl) and datasets::ToothGrowth (len, supp, dose).
MTCARS = pd.DataFrame(
    {
        "mpg": [
            21,
            21,
            22.8,
            21.4,
            18.7,
            18.1,
            14.3,
            24.4,
            22.8,
            19.2,
            17.8,
            16.4,
            17.3,
            15.2,
            10.4,
            10.4,
            14.7,
            32.4,
            30.4,
            33.9,
            21.5,
            15.5,
            15.2,
            13.3,
            19.2,
            27.3,
            26,
            30.4,
            15.8,
            19.7,
            15,
            21.4,
        ],
        "am": [
            1,
            1,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            1,
            1,
            1,
            0,
            0,
            0,
            0,
            0,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
        ],
        "wt": [
            2.62,
            2.875,
            2.32,
            3.215,
            3.44,
            3.46,
            3.57,
            3.19,
            3.15,
            3.44,
            3.44,
            4.07,
            3.73,
            3.78,
            5.25,
            5.424,
            5.345,
            2.2,
            1.615,
            1.835,
            2.465,
            3.52,
            3.435,
            3.84,
            3.845,
            1.935,
            2.14,
            1.513,
            3.17,
            2.77,
            3.57,
            2.78,
        ],
        "cyl": [
            6,
            6,
            4,
            6,
            8,
            6,
            8,
            4,
            4,
            6,
            6,
            8,
            8,
            8,
            8,
            8,
            8,
            4,
            4,
            4,
            4,
            8,
            8,
            8,
            8,
            4,
            4,
            4,
            8,
            6,
            8,
            4,
        ],
    }
)
TOOTHGROWTH = pd.DataFrame(
    {
        "len": [
            4.2,
            11.5,
            7.3,
            5.8,
            6.4,
            10,
            11.2,
            11.2,
            5.2,
            7,
            16.5,
            16.5,
            15.2,
            17.3,
            22.5,
            17.3,
            13.6,
            14.5,
            18.8,
            15.5,
            23.6,
            18.5,
            33.9,
            25.5,
            26.4,
            32.5,
            26.7,
            21.5,
            23.3,
            29.5,
            15.2,
            21.5,
            17.6,
            9.7,
            14.5,
            10,
            8.2,
            9.4,
            16.5,
            9.7,
            19.7,
            23.3,
            23.6,
            26.4,
            20,
            25.2,
            25.8,
            21.2,
            14.5,
            27.3,
            25.5,
            26.4,
            22.4,
            24.5,
            24.8,
            30.9,
            26.4,
            27.3,
            29.4,
            23,
        ],
        "supp": ["VC"] * 30 + ["OJ"] * 30,
        "dose": np.tile(np.repeat([0.5, 1, 2], 10), 2),
    }
)

SMALL = pd.DataFrame(
    {
        "sofa": [8, 10, 9, 12, 7, 11, 6, 9],
        "arm": [1, 1, 1, 1, 0, 0, 0, 0],
        "baseline": [9, 11, 10, 12, 8, 12, 9, 10],
    }
)


def _doc6(y):
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(6), 3),
            "day": np.tile([0, 1, 2], 6),
            "arm": np.repeat([1, 1, 1, 0, 0, 0], 3),
            "y": y,
        }
    )


OLS_CASES = {
    "small_base": (SMALL, dict(outcome="sofa", group="arm", covariates=["baseline"])),
    "small_none": (SMALL, dict(outcome="sofa", group="arm")),
    "p278_site_base": (
        patients(278),
        dict(outcome="y", group="arm", covariates=["base"], categorical=["site"]),
    ),
    "p278_none": (patients(278), dict(outcome="y", group="arm")),
    "p100k_site_base": (
        patients(100_000),
        dict(outcome="y", group="arm", covariates=["base"], categorical=["site"]),
    ),
    "mtcars_am": (MTCARS, dict(outcome="mpg", group="am", covariates=["wt"], categorical=["cyl"])),
    "toothgrowth_oj": (
        TOOTHGROWTH,
        dict(outcome="len", group="supp", covariates=["dose"], arm_1="OJ"),
    ),
}

PO_CASES = {
    "doc10": (
        pd.DataFrame({"fd": [0, 5, 20, 25, 28, 0, 0, 10, 18, 22], "arm": [1] * 5 + [0] * 5}),
        {},
    ),
    "small4": (
        pd.DataFrame({"fd": [1, 2, 2, 3, 4, 4, 1, 1, 2, 3, 3, 4, 1, 2], "arm": [1] * 6 + [0] * 8}),
        {},
    ),
    "p278": (patients(278), {}),
    "p278_site_base": (patients(278), dict(covariates=["base"], categorical=["site"])),
    "p2000_base": (patients(2000), dict(covariates=["base"])),
}

MM_CASES = {
    "visits60": (visits(60), dict(outcome="y", group="arm", time="day", subject="id")),
    "visits60_age": (
        visits(60),
        dict(outcome="y", group="arm", time="day", subject="id", covariates=["age"]),
    ),
    "orthodont": (
        ORTHODONT,
        dict(outcome="distance", group="sex", time="age", subject="id", arm_1="Male"),
    ),
    "doc6": (
        _doc6([5, 4, 3, 6, 4, 4, 5, 5, 3, 5, 5, 5, 6, 6, 5, 4, 5, 6]),
        dict(outcome="y", group="arm", time="day", subject="id"),
    ),
    "doc6b": (
        _doc6([5, 4, 3, 7, 6, 6, 4, 4, 2, 6, 6, 6, 7, 7, 6, 4, 5, 5]),
        dict(outcome="y", group="arm", time="day", subject="id"),
    ),
}

# fmt: off
# lm: coef, confint and Pr(>|t|) of arm
OLS = {'small_base': {'est': 0.586363636364,
                'ci': (-0.901183677445, 2.07391095017),
                'p': 0.357423271975,
                'se': 0.578681173727,
                'df': 5},
 'small_none': {'est': 1.5,
                'ci': (-1.92421978669, 4.92421978669),
                'p': 0.324981068114,
                'se': 1.39940463531,
                'df': 6},
 'p278_site_base': {'est': 0.28313822786,
                    'ci': (-0.129519929508, 0.695796385227),
                    'p': 0.177874334741,
                    'se': 0.209599989024,
                    'df': 270},
 'p278_none': {'est': 0.259053215547,
               'ci': (-0.514050464635, 1.03215689573),
               'p': 0.51003400662,
               'se': 0.392718234192,
               'df': 276},
 'p100k_site_base': {'est': 0.200790150167,
                     'ci': (0.17931828219, 0.222262018143),
                     'p': 6.51228819817e-75,
                     'se': 0.0109551033782,
                     'df': 99992},
 'mtcars_am': {'est': 0.150103119934,
               'ci': (-2.51773439139, 2.81794063126),
               'p': 0.908947423662,
               'se': 1.30022313729,
               'df': 27},
 'toothgrowth_oj': {'est': 3.7,
                    'ci': (1.510094763, 5.889905237),
                    'p': 0.001300662474,
                    'se': 1.09360449981,
                    'df': 57}}

# polr / clm: log OR of arm, SE, Wald CI (confint.default) and p
PO = {'doc10': {'polr_coef': 1.1773212476,
           'polr_se': 1.17017968914,
           'clm_coef': 1.17732125314,
           'clm_se': 1.17017967424,
           'clm_p': 0.314366037098,
           'clm_ci': (-1.11618876381, 3.47083127009),
           'n_cat': 8},
 'small4': {'polr_coef': 0.885173638948,
            'polr_se': 0.989245074171,
            'clm_coef': 0.885173471838,
            'clm_se': 0.989245036953,
            'clm_p': 0.370895624858,
            'clm_ci': (-1.05371117248, 2.82405811615),
            'n_cat': 4},
 'p278': {'polr_coef': 0.844617477794,
          'polr_se': 0.21570290971,
          'clm_coef': 0.844617478097,
          'clm_se': 0.215702905554,
          'clm_p': 9.01602810663e-05,
          'clm_ci': (0.421847551849, 1.26738740434),
          'n_cat': 23},
 'p278_site_base': {'polr_coef': 0.871427479986,
                    'polr_se': 0.216962553775,
                    'clm_coef': 0.871427479631,
                    'clm_se': 0.216962546615,
                    'clm_p': 5.90718534328e-05,
                    'clm_ci': (0.446188702271, 1.29666625699),
                    'n_cat': 23},
 'p2000_base': {'polr_coef': 0.432595586314,
                'polr_se': 0.0792679529057,
                'clm_coef': 0.432595583202,
                'clm_se': 0.0792679505135,
                'clm_p': 4.83202735677e-08,
                'clm_ci': (0.277233255067, 0.587957911337),
                'n_cat': 25}}

# lme(REML), random = ~1 | id: effect of arm at each visit (arm + arm:visit), SE, qnorm CI
MM = {'visits60': {'time': [0, 1, 2, 3],
              'est': [-0.235808580858, 0.355332945944, 1.09766067317, 1.24754621998],
              'se': [0.439272035468, 0.442180758802, 0.442180758802, 0.441430250169],
              'lo': [-1.09676594979, -0.511325415964, 0.231002311262, 0.382358827959],
              'hi': [0.625148788075, 1.22199130785, 1.96431903508, 2.112733612]},
 'visits60_age': {'time': [0, 1, 2, 3],
                  'est': [-0.23226714279, 0.359208415445, 1.10075511447, 1.25119943243],
                  'se': [0.441509823478, 0.444413229985, 0.444395337264, 0.443660833606],
                  'lo': [-1.09761049563, -0.51182550958, 0.229756258531, 0.38164017721],
                  'hi': [0.633076210047, 1.23024234047, 1.9717539704, 2.12075868765]},
 'orthodont': {'time': [8, 10, 12, 14],
               'est': [1.69318181818, 1.58522727273, 2.62784090909, 3.37784090909],
               'se': [0.898330224012, 0.898330224012, 0.898330224012, 0.898330224012],
               'lo': [-0.0675130671061, -0.175467612561, 0.867146023803, 1.6171460238],
               'hi': [3.45387670347, 3.34592215802, 4.38853579438, 5.13853579438]},
 'doc6': {'time': [0, 1, 2],
          'est': [0.333333333333, -1, -2],
          'se': [0.54433105401, 0.54433105401, 0.54433105401],
          'lo': [-0.733535928193, -2.06686926153, -3.06686926153],
          'hi': [1.40020259486, 0.0668692615259, -0.933130738474]},
 'doc6b': {'time': [0, 1, 2],
           'est': [-0.333333333333, -1.33333333333, -2],
           'se': [1.13855008511, 1.13855008511, 1.13855008511],
           'lo': [-2.56485049474, -3.56485049474, -4.2315171614],
           'hi': [1.89818382807, 0.898183828071, 0.231517161404]}}
# fmt: on


def test_generators_match_R():
    # tests/R/regression.R first line: sum(p278$y), sum(p278$fd), sum(visits(60)$y), nrow.
    p, v = patients(278), visits(60)
    np.testing.assert_allclose(p.y.sum(), 2582.25105316, rtol=1e-11)
    assert p.fd.sum() == 2963
    np.testing.assert_allclose(v.y.sum(), 2079.49207921, rtol=1e-11)
    assert len(v) == 229


# -- lm -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(OLS))
def test_lm_coef_confint(case):
    data, kw = OLS_CASES[case]
    ref = OLS[case]
    res = adjusted_mean_difference(data, **kw)
    np.testing.assert_allclose(
        res[["estimate", "ci_low", "ci_high"]].iloc[0],
        [ref["est"], *ref["ci"]],
        rtol=1e-8,
        atol=1e-10,
    )
    np.testing.assert_allclose(res.p_value.item(), ref["p"], rtol=1e-7)
    np.testing.assert_allclose(res.se.item(), ref["se"], rtol=1e-8)
    assert res.df_resid.item() == ref["df"]


def test_lm_without_covariates_is_the_pooled_t_test():
    from scipy import stats

    d = patients(278)
    res = adjusted_mean_difference(d, "y", "arm")
    t = stats.ttest_ind(d.y[d.arm == 1], d.y[d.arm == 0])
    np.testing.assert_allclose(res.p_value.item(), t.pvalue, rtol=1e-10)


def test_lm_site_reference_level_does_not_change_the_arm_effect():
    d = patients(278)
    relabelled = d.assign(site=d.site.map(lambda s: "Z" if s == "S1" else s))
    a = adjusted_mean_difference(d, "y", "arm", ["base"], categorical=["site"])
    b = adjusted_mean_difference(relabelled, "y", "arm", ["base"], categorical=["site"])
    np.testing.assert_allclose(a.estimate.item(), b.estimate.item(), rtol=1e-10)


# -- polr / clm -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(PO))
def test_clm_and_polr_logit(case):
    data, kw = PO_CASES[case]
    ref = PO[case]
    res = proportional_odds(data, "fd", "arm", **kw)
    # ordinal::clm (Newton, analytic Hessian) is the tight reference; MASS::polr (BFGS,
    # numerical Hessian) agrees with it to about 1e-7.
    np.testing.assert_allclose(res.coef.item(), ref["clm_coef"], rtol=1e-7)
    np.testing.assert_allclose(res.se.item(), ref["clm_se"], rtol=1e-7)
    np.testing.assert_allclose(res.p_value.item(), ref["clm_p"], rtol=1e-5)
    np.testing.assert_allclose(np.log(res[["ci_low", "ci_high"]].iloc[0]), ref["clm_ci"], rtol=1e-6)
    np.testing.assert_allclose(res.coef.item(), ref["polr_coef"], rtol=1e-5)
    np.testing.assert_allclose(res.se.item(), ref["polr_se"], rtol=1e-5)
    assert res.n_categories.item() == ref["n_cat"]


def test_polr_sign_higher_outcome_in_arm1_gives_or_above_one():
    # Arm 1 has every high value: the common OR for "higher free days" must exceed 1.
    d = pd.DataFrame({"fd": [20, 25, 28, 10, 27, 0, 3, 5, 12, 1], "arm": [1] * 5 + [0] * 5})
    assert proportional_odds(d, "fd", "arm").estimate.item() > 1
    assert proportional_odds(d.assign(arm=1 - d.arm), "fd", "arm").estimate.item() < 1


# -- lme ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(MM))
def test_lme_reml_effect_by_visit(case):
    data, kw = MM_CASES[case]
    ref = MM[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # doc6: variance at the boundary
        res = mixed_model_repeated(data, **kw)
    np.testing.assert_array_equal(res.time, ref["time"])
    np.testing.assert_allclose(res.estimate, ref["est"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(res.se, ref["se"], rtol=1e-6)
    np.testing.assert_allclose(res.ci_low, ref["lo"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(res.ci_high, ref["hi"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["visits60", "orthodont"])
def test_profiled_reml_equals_statsmodels_mixedlm(case):
    import statsmodels.api as sm

    from trialkit.stats.regression import _random_intercept_reml

    data, kw = MM_CASES[case]
    arm = (data[kw["group"]] == kw.get("arm_1", 1)).astype(float).to_numpy()
    vis = pd.get_dummies(pd.Categorical(data[kw["time"]]), drop_first=True, dtype=float)
    x = np.column_stack([np.ones(len(data)), arm, vis, vis.to_numpy() * arm[:, None]])
    groups = pd.factorize(data[kw["subject"]])[0]
    y = data[kw["outcome"]].to_numpy(float)
    beta, cov = _random_intercept_reml(y, x, groups, "test")
    ref = sm.MixedLM(y, x, groups=groups).fit(reml=True, method="powell")
    np.testing.assert_allclose(beta, ref.fe_params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), ref.bse_fe, rtol=1e-4)


def test_lme_zero_between_patient_variance_warns():
    data, kw = MM_CASES["doc6"]
    with pytest.warns(RuntimeWarning, match="between-patient variance"):
        mixed_model_repeated(data, **kw)


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [adjusted_mean_difference, proportional_odds])
def test_bad_input_raises(func):
    d = patients(50)
    with pytest.raises(ValueError, match="not in the data"):
        func(d, "nope", "arm")
    with pytest.raises(ValueError, match="empty"):
        func(d.iloc[:0], "y", "arm")
    with pytest.raises(ValueError, match="not numeric"):
        func(d, "y", "arm", ["site"])
    with pytest.raises(ValueError, match="one arm only"):
        func(d.assign(arm=1), "y", "arm")
    with pytest.raises(ValueError, match="rank deficient"):
        func(d.assign(base2=2 * d.base), "y", "arm", ["base", "base2"])
    with pytest.raises(TypeError, match="list of column names"):
        func(d, "y", "arm", "base")


@pytest.mark.parametrize("func", [adjusted_mean_difference, proportional_odds])
def test_all_outcomes_equal_raises(func):
    with pytest.raises(ValueError, match="single value"):
        func(pd.DataFrame({"fd": [0] * 6, "arm": [0, 1] * 3}), "fd", "arm")


def test_mixed_model_bad_input_raises():
    d = visits(10)
    with pytest.raises(ValueError, match="both arms"):
        mixed_model_repeated(d.assign(arm=d.index % 2), "y", "arm", "day", "id")
    with pytest.raises(ValueError, match="one visit only"):
        mixed_model_repeated(d[d.day == 0], "y", "arm", "day", "id")
    with pytest.raises(ValueError, match="not in the data"):
        mixed_model_repeated(d, "y", "arm", "visit", "id")
    with pytest.raises(ValueError, match="single value"):
        mixed_model_repeated(d.assign(y=3.0), "y", "arm", "day", "id")


def test_proportional_odds_analytic_derivatives_equal_numerical_ones():
    from statsmodels.tools.numdiff import approx_fprime

    from trialkit.stats.regression import _design, _ProportionalOdds

    y, x, _ = _design(patients(278), "fd", "arm", ["base"], ["site"], None, "test")
    levels = np.sort(y.unique())
    model = _ProportionalOdds(pd.Categorical(y, categories=levels, ordered=True), x)
    params = model.start_params + np.random.default_rng(7).normal(0, 0.2, len(model.start_params))
    numerical = approx_fprime(params, model.loglike, centered=True)
    np.testing.assert_allclose(model.score(params), numerical, rtol=1e-6, atol=1e-5)
    hess = model.hessian(params)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12, atol=1e-9)
    numerical_hess = approx_fprime(params, model.score, centered=True)
    np.testing.assert_allclose(hess, numerical_hess, rtol=1e-5, atol=1e-4)


# -- missing values: dropped as R's na.omit, with a warning ---------------------------------------

# Rscript tests/R/regression.R, last block: lm, clm and lme(na.action = na.omit) on p278 and
# visits(60) with the cells below set to NA (R positions minus 1).
NA_REF = {
    "lm_na": dict(est=0.298984893382, ci=(-0.120119134944, 0.718088921709), p=0.161298053035,
                  se=0.212852235183, df=264, n=272),
    "clm_na": dict(coef=0.894788449971, se=0.219561066129, p=4.59449575675e-05, n=272),
    "lme_na": dict(time=[0, 1, 2, 3],
                   est=[-0.257806241171, 0.356258143231, 1.13227572826, 1.25154611968],
                   se=[0.443323698601, 0.444841431244, 0.445562432221, 0.444008395748],
                   n_obs=226, n_subjects=60),
}  # fmt: skip


def _p278_na():
    d = patients(278)
    d.loc[[2, 49, 99], "y"] = np.nan
    d.loc[[6, 7, 99], "base"] = np.nan
    d.loc[10, "site"] = None
    d.loc[[19, 20], "fd"] = np.nan
    return d


def test_lm_na_omit_drops_incomplete_rows_with_a_warning():
    d = _p278_na()
    before = d.copy()
    with pytest.warns(RuntimeWarning, match=r"6 of 278 rows dropped .*y 3 .*base 3 .*site 1"):
        res = adjusted_mean_difference(d, "y", "arm", ["base"], categorical=["site"])
    ref = NA_REF["lm_na"]
    np.testing.assert_allclose(
        res[["estimate", "ci_low", "ci_high"]].iloc[0], [ref["est"], *ref["ci"]], rtol=1e-8
    )
    np.testing.assert_allclose(res.p_value.item(), ref["p"], rtol=1e-7)
    np.testing.assert_allclose(res.se.item(), ref["se"], rtol=1e-8)
    assert res.df_resid.item() == ref["df"] and res.n.item() == ref["n"]
    pd.testing.assert_frame_equal(d, before)  # the caller's frame is left as it was


def test_clm_na_omit_drops_incomplete_rows_with_a_warning():
    with pytest.warns(RuntimeWarning, match=r"6 of 278 rows dropped .*fd 2 .*base 3 .*site 1"):
        res = proportional_odds(_p278_na(), "fd", "arm", ["base"], categorical=["site"])
    ref = NA_REF["clm_na"]
    np.testing.assert_allclose(res.coef.item(), ref["coef"], rtol=1e-7)
    np.testing.assert_allclose(res.se.item(), ref["se"], rtol=1e-7)
    np.testing.assert_allclose(res.p_value.item(), ref["p"], rtol=1e-5)
    assert res.n.item() == ref["n"]


def test_lme_na_omit_drops_incomplete_rows_with_a_warning():
    d = visits(60)
    d.loc[[4, 16], "y"] = np.nan
    d.loc[29, "age"] = np.nan
    with pytest.warns(RuntimeWarning, match=r"3 of 229 rows dropped .*y 2 .*age 1"):
        res = mixed_model_repeated(d, "y", "arm", "day", "id", ["age"])
    ref = NA_REF["lme_na"]
    np.testing.assert_array_equal(res.time, ref["time"])
    np.testing.assert_allclose(res.estimate, ref["est"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(res.se, ref["se"], rtol=1e-6)
    assert res.n_obs.iloc[0] == ref["n_obs"] and res.n_subjects.iloc[0] == ref["n_subjects"]


@pytest.mark.parametrize("func", [adjusted_mean_difference, proportional_odds])
def test_no_complete_row_is_an_error(func):
    d = patients(20).assign(base=np.nan)
    with pytest.raises(ValueError, match="no row has a value in every column"):
        func(d, "y", "arm", ["base"])


@pytest.mark.parametrize("func", [adjusted_mean_difference, proportional_odds])
def test_complete_data_give_no_warning(func):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        func(patients(50), "fd", "arm", ["base"])
