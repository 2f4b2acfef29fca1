"""trialkit.stats.fragility against the same walk written in R.

Expected values: ``Rscript tests/R/fragility.R`` (R 4.2.2, ``fisher.test``, ``chisq.test``),
printed verbatim below, plus hand-worked examples.
"""

from __future__ import annotations

import math

import pytest

from trialkit.stats.fragility import fragility_index

TABLES = {
    "hand_0_5_5_5": (0, 5, 5, 5),
    "imicro_death": (48, 114, 47, 122),
    "imicro_sae": (17, 114, 8, 122),
    "eolia_60d": (44, 124, 57, 125),
    "significant_200": (10, 200, 28, 200),
    "large_3000": (300, 3000, 370, 3000),
    "equal_events": (20, 100, 20, 40),
}

# fmt: off
R_FRAGILITY = {
    ("hand_0_5_5_5", "fisher"): dict(p0=0.00793650793650794, index=2, a_final=2, b_final=5, p_final=0.166666666666667, arm=1),  # noqa: E501
    ("hand_0_5_5_5", "chi2"): dict(p0=0.00156540225800255, index=3, a_final=3, b_final=5, p_final=0.113846298006658, arm=1),  # noqa: E501
    ("hand_0_5_5_5", "chi2_yates"): dict(p0=0.0114120363860017, index=1, a_final=1, b_final=5, p_final=0.0528075114161134, arm=1),  # noqa: E501
    ("imicro_death", "fisher"): dict(p0=0.597295657955692, index=11, a_final=59, b_final=47, p_final=0.049600359315767, arm=1),  # noqa: E501
    ("imicro_death", "chi2"): dict(p0=0.575133135222319, index=11, a_final=48, b_final=36, p_final=0.0434099492047832, arm=2),  # noqa: E501
    ("imicro_death", "chi2_yates"): dict(p0=0.668871953657268, index=12, a_final=48, b_final=35, p_final=0.0433211992969317, arm=2),  # noqa: E501
    ("imicro_sae", "fisher"): dict(p0=0.0551866026014124, index=1, a_final=17, b_final=7, p_final=0.0295555469381048, arm=2),  # noqa: E501
    ("imicro_sae", "chi2"): dict(p0=0.0371510707765554, index=1, a_final=17, b_final=9, p_final=0.0646721366488078, arm=2),  # noqa: E501
    ("imicro_sae", "chi2_yates"): dict(p0=0.0611427654463674, index=1, a_final=17, b_final=7, p_final=0.0344514120002892, arm=2),  # noqa: E501
    ("eolia_60d", "fisher"): dict(p0=0.121746723350831, index=4, a_final=40, b_final=57, p_final=0.0375801523301788, arm=1),  # noqa: E501
    ("eolia_60d", "chi2"): dict(p0=0.104054976602655, index=3, a_final=41, b_final=57, p_final=0.0429248019316547, arm=1),  # noqa: E501
    ("eolia_60d", "chi2_yates"): dict(p0=0.134539248085832, index=4, a_final=40, b_final=57, p_final=0.0424922460804965, arm=1),  # noqa: E501
    ("significant_200", "fisher"): dict(p0=0.00327718696374356, index=5, a_final=15, b_final=28, p_final=0.0517211619360559, arm=1),  # noqa: E501
    ("significant_200", "chi2"): dict(p0=0.00214474338074638, index=6, a_final=16, b_final=28, p_final=0.0551606948473723, arm=1),  # noqa: E501
    ("significant_200", "chi2_yates"): dict(p0=0.0037447750302282, index=5, a_final=15, b_final=28, p_final=0.0527381006126218, arm=1),  # noqa: E501
    ("large_3000", "fisher"): dict(p0=0.00465127350743148, index=21, a_final=321, b_final=370, p_final=0.0521716862866528, arm=1),  # noqa: E501
    ("large_3000", "chi2"): dict(p0=0.00411409758547227, index=22, a_final=322, b_final=370, p_final=0.0523815203149526, arm=1),  # noqa: E501
    ("large_3000", "chi2_yates"): dict(p0=0.00467976097870502, index=21, a_final=321, b_final=370, p_final=0.0522333762812251, arm=1),  # noqa: E501
    ("equal_events", "fisher"): dict(p0=0.000757995530695489, index=11, a_final=31, b_final=20, p_final=0.0511215772568916, arm=1),  # noqa: E501
    ("equal_events", "chi2"): dict(p0=0.000385746755682007, index=13, a_final=33, b_final=20, p_final=0.0610043266401155, arm=1),  # noqa: E501
    ("equal_events", "chi2_yates"): dict(p0=0.000830019070858309, index=11, a_final=31, b_final=20, p_final=0.0553608746988587, arm=1),  # noqa: E501
}
# fmt: on


@pytest.mark.parametrize(("name", "test"), list(R_FRAGILITY))
def test_walk_as_R_fisher_test_and_chisq_test(name, test):
    ref = R_FRAGILITY[(name, test)]
    res = fragility_index(*TABLES[name], test=test).iloc[0]
    assert res["p_value"] == pytest.approx(ref["p0"], rel=1e-9)
    assert res["estimate"] == ref["index"]
    assert (res["a_final"], res["b_final"], res["arm_changed"]) == (
        ref["a_final"], ref["b_final"], ref["arm"])  # fmt: skip
    assert res["p_final"] == pytest.approx(ref["p_final"], rel=1e-9)
    assert res["index"] == ("fragility" if ref["p0"] < 0.05 else "reverse fragility")


def test_hand_worked_fisher():
    # 0/5 vs 5/5: the only table as extreme is 5/5 vs 0/5, each 1/C(10, 5): p = 2/252.
    # One more event in arm 1 (1/5 vs 5/5): P(X=1) = P(X=5) = 5/210, p = 10/210 = 0.048 < 0.05.
    # Two (2/5 vs 5/5): P(X=2) = P(X=5) = 10/120, p = 20/120 = 0.167: fragility index 2.
    res = fragility_index(0, 5, 5, 5).iloc[0]
    assert res["p_value"] == pytest.approx(2 / 252)
    assert res["estimate"] == 2 and res["p_final"] == pytest.approx(20 / 120)
    assert res["fragility_quotient"] == pytest.approx(2 / 10)
    assert res["change"] == "no event -> event" and res["arm_changed"] == 1


def test_depends_on_the_test():
    # I-MICRO severe adverse events: significant by chi-squared, not by Fisher.
    assert fragility_index(17, 114, 8, 122, test="chi2")["index"].item() == "fragility"
    assert fragility_index(17, 114, 8, 122)["index"].item() == "reverse fragility"


def test_user_test_function():
    calls = []

    def always(a, n1, b, n2):
        calls.append(a)
        return 0.01 if a < 3 else 0.5

    res = fragility_index(0, 10, 6, 10, test=always).iloc[0]
    assert res["estimate"] == 3 and res["test"] == "always" and calls == [0, 1, 2, 3]


def test_no_crossing_is_nan():
    # Nothing can be changed in arm 1 (all events) and p stays >= alpha.
    res = fragility_index(3, 3, 3, 3).iloc[0]
    assert math.isnan(res["estimate"]) and res["change"].startswith("no change")


def test_bad_input():
    with pytest.raises(ValueError, match="a=6 events exceed n1=5"):
        fragility_index(6, 5, 1, 5)
    with pytest.raises(ValueError, match="test must be one of"):
        fragility_index(1, 5, 1, 5, test="barnard")
    with pytest.raises(ValueError, match="alpha must be a number"):
        fragility_index(1, 5, 1, 5, alpha=5)
