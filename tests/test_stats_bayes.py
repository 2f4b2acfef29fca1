"""trialkit.stats.bayes against R and exact computation.

Expected values: ``Rscript tests/R/bayes.R`` (R 4.2.2, rstanarm 2.21.3, BayesFactor 0.9.12-4.4),
printed verbatim below.

- ``R_STAN``: rstanarm ``stan_glm(cbind(dead, alive) ~ arm, family = binomial(link))`` with a
  normal prior on the arm coefficient (the skeptical and enthusiastic priors of MCID 0.67),
  4 chains x 3000 draws, seed 20261201. The normal approximation is expected to agree with the
  full binomial model to about 1% (it differs from it in the likelihood, and the draws carry a
  Monte Carlo error of about 0.005 on probabilities); tolerance: 2% relative on the posterior
  median and credible limits, 0.015 absolute on probabilities.
- ``R_BETA_BINOMIAL``: the exact posterior of the risk ratio by ``integrate()`` and
  ``uniroot()`` in R (tolerance 1e-9), with a 2 x 10^6 draw Monte Carlo check of it.
- ``R_TTEST_BF``: ``BayesFactor::ttestBF(x, y, rscale = "medium")``; both sides integrate
  numerically, BayesFactor to about 1e-4 relative: tolerance 5e-4.
- ``R_BINOM_BF``: the beta-prior binomial Bayes factor by ``integrate()`` (tolerance 1e-9).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import norm

from trialkit.stats.bayes import (
    bayes_densities,
    bayes_factor_binom,
    bayes_factor_ttest,
    bayes_normal,
    bayes_risk_ratio,
    beta_binomial_rr,
    named_priors,
)
from trialkit.stats.binary import odds_ratio

TRIALS = {"imicro": (48, 114, 47, 122), "eolia": (44, 124, 57, 125)}

# fmt: off
R_STAN = {
    ("imicro", "logit", "skeptical"): dict(median=1.06941012746791, ci_low=0.75508281297963, ci_high=1.51541875725846, p_benefit=0.356416666666667, p_mcid=0.0045, draws=12000),  # noqa: E501
    ("imicro", "logit", "enthusiastic"): dict(median=0.857104823603057, ci_low=0.604868733763393, ci_high=1.23599178266918, p_benefit=0.798916666666667, p_mcid=0.084, draws=12000),  # noqa: E501
    ("imicro", "log", "skeptical"): dict(median=1.06588562545305, ci_low=0.817844172826344, ci_high=1.38652194564449, p_benefit=0.311583333333333, p_mcid=0.000416666666666667, draws=12000),  # noqa: E501
    ("imicro", "log", "enthusiastic"): dict(median=0.94294113330148, ci_low=0.727249536577201, ci_high=1.22309626622202, p_benefit=0.672833333333333, p_mcid=0.00541666666666667, draws=12000),  # noqa: E501
    ("eolia", "logit", "skeptical"): dict(median=0.820247372852511, ci_low=0.583345000300086, ci_high=1.16194511213553, p_benefit=0.868916666666667, p_mcid=0.123833333333333, draws=12000),  # noqa: E501
    ("eolia", "logit", "enthusiastic"): dict(median=0.661943880468616, ci_low=0.466215770190316, ci_high=0.938394729051113, p_benefit=0.99075, p_mcid=0.525916666666667, draws=12000),  # noqa: E501
    ("eolia", "log", "skeptical"): dict(median=0.837996865425854, ci_low=0.650033813106647, ci_high=1.08400868196205, p_benefit=0.913583333333333, p_mcid=0.04225, draws=12000),  # noqa: E501
    ("eolia", "log", "enthusiastic"): dict(median=0.742007098889309, ci_low=0.570637062278439, ci_high=0.95459769936047, p_benefit=0.989333333333333, p_mcid=0.21625, draws=12000),  # noqa: E501
}
R_BETA_BINOMIAL = {
    "imicro": dict(median=1.09157194862083, ci_low=0.801209234175494, ci_high=1.48926414618749, p_benefit=0.288128598175296, p_mcid=0.00110752795673962, p_harm_mc=0.7124115, median_mc=1.09175920089266),  # noqa: E501
    "eolia": dict(median=0.781174552356432, ci_low=0.573284574906907, ci_high=1.05313973696567, p_benefit=0.947328080184002, p_mcid=0.1619107528565, p_harm_mc=0.052901, median_mc=0.781215725547455),  # noqa: E501
}
R_TTEST_BF = {
    "sofa_like": dict(bf10=0.301664010625739, t=1.2614581981605),
    "small": dict(bf10=1.35684079567746, t=1.92009805644373),
    "null_like": dict(bf10=0.112150430215737, t=0.0311206516721978),
}
R_BINOM_BF = {
    (115, 200, 0.5): dict(bf10=0.835328145506923, proportionBF_logistic_prior=1.54512190069803),
    (48, 114, 0.4): dict(bf10=0.12787365744843, proportionBF_logistic_prior=0.253975278915229),
    (3, 20, 0.3): dict(bf10=0.665036389230719, proportionBF_logistic_prior=1.28877552661657),
}
# fmt: on


def gold(n: int, s: float) -> np.ndarray:
    return (np.arange(1, n + 1) * 0.6180339887498949 + s) % 1


TTEST_DATA = {
    "sofa_like": (ndtri(gold(114, 0.1)) * 3 + 0.5, ndtri(gold(122, 0.2)) * 3),
    "small": (ndtri(gold(12, 0.3)) + 1, ndtri(gold(10, 0.4))),
    "null_like": (ndtri(gold(200, 0.5)), ndtri(gold(190, 0.6)) + 0.01),
}


@pytest.mark.parametrize(("trial", "link", "prior"), list(R_STAN))
def test_normal_approximation_as_rstanarm_stan_glm(trial, link, prior):
    ref = R_STAN[(trial, link, prior)]
    a, n1, b, n2 = TRIALS[trial]
    if link == "log":
        res = bayes_risk_ratio(a, n1, b, n2, mcid=0.67, priors=[prior]).iloc[0]
    else:  # the logit link's coefficient is the log odds ratio: its Woolf estimate and SE
        orr = odds_ratio(a, n1, b, n2).iloc[0]
        se = (math.log(orr["ci_high"]) - math.log(orr["ci_low"])) / (2 * norm.isf(0.025))
        res = bayes_normal(orr["estimate"], se, mcid=0.67, priors=[prior]).iloc[0]
    for key, ref_key in (("estimate", "median"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        assert res[key] == pytest.approx(ref[ref_key], rel=0.02)
    assert res["p_benefit"] == pytest.approx(ref["p_benefit"], abs=0.015)
    assert res["p_mcid"] == pytest.approx(ref["p_mcid"], abs=0.015)


@pytest.mark.parametrize("trial", list(R_BETA_BINOMIAL))
def test_beta_binomial_as_R_integrate(trial):
    ref = R_BETA_BINOMIAL[trial]
    res = beta_binomial_rr(*TRIALS[trial], mcid=0.67).iloc[0]
    for key, ref_key in (("estimate", "median"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        assert res[key] == pytest.approx(ref[ref_key], rel=1e-9)
    assert res["p_benefit"] == pytest.approx(ref["p_benefit"], abs=1e-9)
    assert res["p_mcid"] == pytest.approx(ref["p_mcid"], abs=1e-9)
    # The R Monte Carlo (2e6 draws, SE < 4e-4) agrees with the integral.
    assert res["p_harm"] == pytest.approx(ref["p_harm_mc"], abs=2e-3)
    assert res["estimate"] == pytest.approx(ref["median_mc"], rel=2e-3)


@pytest.mark.parametrize("trial", list(TRIALS))
def test_normal_approximation_with_vague_prior_close_to_exact_beta_binomial(trial):
    exact = beta_binomial_rr(*TRIALS[trial], mcid=0.67).iloc[0]
    approx = bayes_risk_ratio(*TRIALS[trial], mcid=0.67, priors=["vague"]).iloc[0]
    assert approx["estimate"] == pytest.approx(exact["estimate"], rel=0.01)
    assert approx["ci_low"] == pytest.approx(exact["ci_low"], rel=0.02)
    assert approx["ci_high"] == pytest.approx(exact["ci_high"], rel=0.02)
    assert approx["p_benefit"] == pytest.approx(exact["p_benefit"], abs=0.005)


def test_beta_binomial_by_seeded_monte_carlo():
    rng = np.random.default_rng(7)
    a, n1, b, n2 = 12, 40, 20, 41
    rr = rng.beta(a + 1, n1 - a + 1, 10**6) / rng.beta(b + 1, n2 - b + 1, 10**6)
    res = beta_binomial_rr(a, n1, b, n2, mcid=0.8).iloc[0]
    assert res["p_benefit"] == pytest.approx(np.mean(rr < 1), abs=2e-3)
    assert res["p_mcid"] == pytest.approx(np.mean(rr < 0.8), abs=2e-3)
    assert res["ci_high"] == pytest.approx(np.quantile(rr, 0.975), rel=5e-3)


def test_conjugate_update_by_hand():
    # Estimate RR 0.8 with SE 0.2 on the log scale; prior N(0, 0.2^2): equal precisions, so
    # the posterior mean is log(0.8) / 2 and the posterior SD 0.2 / sqrt(2).
    res = bayes_normal(0.8, 0.2, mcid=0.9, priors={"half": (0.0, 0.2)}).iloc[0]
    mean, sd = math.log(0.8) / 2, 0.2 / math.sqrt(2)
    assert res["post_mean"] == pytest.approx(mean) and res["post_sd"] == pytest.approx(sd)
    assert res["estimate"] == pytest.approx(math.sqrt(0.8))
    assert res["ci_high"] == pytest.approx(math.exp(mean + norm.isf(0.025) * sd))
    assert res["p_benefit"] == pytest.approx(norm.cdf(0, mean, sd))
    assert res["p_mcid"] == pytest.approx(norm.cdf(math.log(0.9), mean, sd))
    assert res["p_harm"] == pytest.approx(1 - res["p_benefit"])


def test_named_priors_put_the_stated_tail_where_defined():
    pr = named_priors(0.67, tail=0.05).set_index("prior")
    m = math.log(0.67)
    assert norm.cdf(m, pr.loc["skeptical", "mean"], pr.loc["skeptical", "sd"]) == pytest.approx(
        0.05)  # fmt: skip
    assert norm.sf(0, pr.loc["enthusiastic", "mean"], pr.loc["enthusiastic", "sd"]) == (
        pytest.approx(0.05))  # fmt: skip
    assert norm.cdf(0, pr.loc["pessimistic", "mean"], pr.loc["pessimistic", "sd"]) == (
        pytest.approx(0.05))  # fmt: skip
    # A difference scale where higher is better (e.g. free days, MCID +2 days).
    d = named_priors(2.0, scale="difference", better="higher", tail=0.15).set_index("prior")
    assert d.loc["enthusiastic", "mean"] == 2.0 and d.loc["vague", "sd"] == 200.0
    assert norm.sf(2.0, 0, d.loc["skeptical", "sd"]) == pytest.approx(0.15)


def test_difference_scale_higher_is_better():
    res = bayes_normal(1.5, 1.0, mcid=2.0, scale="difference", better="higher",
                       priors=["vague"]).iloc[0]  # fmt: skip
    assert res["p_benefit"] == pytest.approx(norm.sf(0, 1.5, 1.0), abs=1e-4)
    assert res["p_mcid"] == pytest.approx(norm.sf(2.0, 1.5, 1.0), abs=1e-4)


def test_densities_integrate_to_one():
    d = bayes_densities(0.78, 0.156, mcid=0.67, n_points=2001)
    for (_, _), part in d.groupby(["prior", "curve"]):
        if part["curve"].iloc[0] == "prior" and part["prior"].iloc[0] == "vague":
            continue  # the vague prior's mass lies far outside the plotted range
        area = np.trapezoid(part["density"], part["theta"])
        assert area == pytest.approx(1, abs=2e-3)


@pytest.mark.parametrize("name", list(R_TTEST_BF))
def test_bayes_factor_as_BayesFactor_ttestBF(name):
    x, y = TTEST_DATA[name]
    res = bayes_factor_ttest(x, y).iloc[0]
    assert res["statistic"] == pytest.approx(R_TTEST_BF[name]["t"], rel=1e-10)
    assert res["estimate"] == pytest.approx(R_TTEST_BF[name]["bf10"], rel=5e-4)


@pytest.mark.parametrize(("k", "n", "p"), list(R_BINOM_BF))
def test_binomial_bayes_factor_as_R_integral(k, n, p):
    ref = R_BINOM_BF[(k, n, p)]
    assert bayes_factor_binom(k, n, p=p)["estimate"].item() == pytest.approx(ref["bf10"], rel=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="MCID must lie below 1"):
        bayes_normal(0.8, 0.2, mcid=1.2)
    with pytest.raises(ValueError, match="unknown priors"):
        bayes_normal(0.8, 0.2, mcid=0.9, priors=["optimistic"])
    with pytest.raises(ValueError, match="se must be a positive number"):
        bayes_normal(0.8, 0.0, mcid=0.9)
    with pytest.raises(ValueError, match="zero count"):
        bayes_risk_ratio(0, 10, 3, 10, mcid=0.9)
