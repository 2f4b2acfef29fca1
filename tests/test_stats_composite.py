"""trialkit.stats.composite (probability index, worst rank, DOOR) against R.

Expected values: ``Rscript tests/R/composite.R`` (R 4.2.2, pROC 1.18), printed verbatim below:
``pROC::auc`` / ``var(roc, method="delong")`` / ``ci.auc(method="delong")`` for the estimate, its
standard error and the Wald interval, the logit interval by hand in R from that variance, and
``wilcox.test`` for the p-value and W. The worst ranks are built in R by its own code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri
from scipy.stats import brunnermunzel

from trialkit.stats.composite import door, probability_index, worst_rank, worst_rank_scores


def gold(n: int, s: float) -> np.ndarray:
    return (np.arange(1, n + 1) * 0.6180339887498949 + s) % 1


def cont(n: int, s: float) -> np.ndarray:
    return ndtri(gold(n, s))


def ints(n: int, s: float, k: int) -> np.ndarray:
    return np.floor(gold(n, s) * k)


PINDEX_DATA = {
    "cont_30_25": (cont(30, 0.1) + 0.4, cont(25, 0.2)),
    "exact_12_9": (cont(12, 0.3) + 0.8, cont(9, 0.4)),
    "ties_80_75": (ints(80, 0.5, 6), ints(75, 0.6, 5)),
    "sofa_114_122": (
        ints(114, 0.12, 12) - ints(114, 0.81, 6),
        ints(122, 0.33, 12) - ints(122, 0.27, 5),
    ),
    "unequal_spread": (3 * cont(60, 0.7), cont(40, 0.8) + 0.2),
}

# fmt: off
PINDEX = {
    "cont_30_25": dict(estimate=0.612, se=0.0773428782588875, wald=(0.460410744151915, 0.763589255848085), logit=(0.454461078698131, 0.749155954183087), p_value=0.159318190428989, statistic=459),  # noqa: E501
    "exact_12_9": dict(estimate=0.685185185185185, se=0.123123146243063, wald=(0.443868252885524, 0.926502117484846), logit=(0.415560793389116, 0.869487277133571), p_value=0.16942129078352, statistic=74),  # noqa: E501
    "ties_80_75": dict(estimate=0.587166666666667, se=0.0450799315078236, wald=(0.4988116244858, 0.675521708847533), logit=(0.49694171698903, 0.671893761741428), p_value=0.0573730566607745, statistic=3523),  # noqa: E501
    "sofa_114_122": dict(estimate=0.546304285303423, se=0.0390700463117596, wald=(0.469728401658062, 0.622880168948783), logit=(0.469237940447763, 0.621213618032862), p_value=0.216159778781279, statistic=7598),  # noqa: E501
    "unequal_spread": dict(estimate=0.4775, se=0.0586010495416942, wald=(0.362644053442032, 0.592355946557968), logit=(0.36576770640452, 0.591530303181383), p_value=0.706601196186834, statistic=1146),  # noqa: E501
}
WORST_RANK = {
    "imicro_like": dict(estimate=0.490652861662353, se=0.0376661862567248, wald=(0.416828493164194, 0.564477230160511), logit=(0.417561048238785, 0.564146501938438), p_value=0.804404830195634, statistic=6824, deaths_x=47, deaths_y=48, rank_sum_x=13379),  # noqa: E501
    "small": dict(estimate=0.594871794871795, se=0.111510038060861, wald=(0.376316136357816, 0.813427453385774), logit=(0.372214069791549, 0.784318899152532), p_value=0.405845927757999, statistic=116, deaths_x=4, deaths_y=6, rank_sum_x=236),  # noqa: E501
    "many_deaths": dict(estimate=0.433874458874459, se=0.049298910709024, wald=(0.337250369407716, 0.530498548341202), logit=(0.340866029343377, 0.531786081064224), p_value=0.183393211909053, statistic=2004.5, deaths_x=49, deaths_y=38, rank_sum_x=4489.5),  # noqa: E501
}
DOOR = {
    "five_levels": dict(estimate=0.501459854014599, se=0.0341124603568856, wald=(0.434600660291052, 0.568319047738145), logit=(0.434970526395011, 0.567897591115929), p_value=0.966412848618558, statistic=9618),  # noqa: E501
}
# fmt: on
WR_CASES = {
    "imicro_like": (114, 0.05, 0.42, 122, 0.45, 0.39),
    "small": (15, 0.21, 0.3, 13, 0.63, 0.45),
    "many_deaths": (70, 0.77, 0.7, 66, 0.15, 0.6),
}


def wr_data(n: int, s: float, pdeath: float) -> tuple[np.ndarray, np.ndarray]:
    dead = gold(n, s) < pdeath
    day = np.where(dead, np.floor(gold(n, s + 0.37) * 28), np.nan)
    val = ints(n, s + 0.11, 15) - ints(n, s + 0.53, 4)
    return day, val


def wr_frame(name: str) -> pd.DataFrame:
    n1, s1, p1, n0, s0, p0 = WR_CASES[name]
    d1, v1 = wr_data(n1, s1, p1)
    d0, v0 = wr_data(n0, s0, p0)
    return pd.DataFrame(
        {
            "death_day": np.r_[d1, d0],
            "delta_sofa": np.r_[v1, v0],
            "arm": ["iloprost"] * n1 + ["placebo"] * n0,
        }
    )


def check(res: pd.DataFrame, ref: dict, ci: str) -> None:
    row = res.iloc[0]
    assert row["estimate"] == pytest.approx(ref["estimate"], abs=1e-12)
    assert row["se"] == pytest.approx(ref["se"], rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ref[ci], rel=1e-10)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=1e-9)
    assert row["statistic"] == ref["statistic"]


@pytest.mark.parametrize("name", list(PINDEX))
@pytest.mark.parametrize("ci", ["wald", "logit"])
def test_pROC_ci_auc_delong_and_wilcox_test(name, ci):
    x, y = PINDEX_DATA[name]
    check(probability_index(x, y, ci=ci), PINDEX[name], ci)


def test_exact_wilcoxon_when_small_and_untied_as_R():
    x, y = PINDEX_DATA["exact_12_9"]
    assert probability_index(x, y)["test"].item() == "Wilcoxon rank-sum (exact)"


@pytest.mark.parametrize("name", list(PINDEX))
def test_variance_is_brunner_munzel(name):
    # scipy's Brunner-Munzel statistic is (1/2 - theta) / se with the same variance estimator.
    x, y = PINDEX_DATA[name]
    res = probability_index(x, y).iloc[0]
    bm = brunnermunzel(x, y).statistic
    assert (0.5 - res["estimate"]) / res["se"] == pytest.approx(bm, rel=1e-10)


def test_probability_index_by_hand():
    # x = 3, 5, 7, 9 against y = 1, 4, 5, 6: 3 beats 1 (1); 5 beats 1, 4 and ties 5 (2.5);
    # 7 and 9 beat all four (4 + 4): U = 11.5 of 16 pairs, theta = 0.71875.
    res = probability_index([3, 5, 7, 9], [1, 4, 5, 6]).iloc[0]
    assert res["estimate"] == 0.71875 and res["statistic"] == 11.5
    # Lower is better reverses the order: 1 - theta.
    low = probability_index([3, 5, 7, 9], [1, 4, 5, 6], better="lower").iloc[0]
    assert low["estimate"] == pytest.approx(1 - 0.71875)


def test_logit_interval_undefined_under_separation():
    with pytest.warns(RuntimeWarning, match="separation"):
        res = probability_index([5, 6, 7], [1, 2, 3])
    assert res["estimate"].item() == 1.0 and math.isnan(res["ci_low"].item())


@pytest.mark.parametrize("name", list(WORST_RANK))
@pytest.mark.parametrize("ci", ["wald", "logit"])
def test_worst_rank_as_wilcox_test_and_pROC_on_R_ranks(name, ci):
    ref = WORST_RANK[name]
    df = wr_frame(name)
    res = worst_rank("delta_sofa", "death_day", "arm", data=df, arm_1="iloprost", ci=ci)
    check(res, ref, ci)
    assert res["deaths_x"].item() == ref["deaths_x"] and res["deaths_y"].item() == ref["deaths_y"]


@pytest.mark.parametrize("name", list(WORST_RANK))
def test_worst_rank_scores_rank_sum_as_R(name):
    df = wr_frame(name)
    ranks = worst_rank_scores(df["delta_sofa"], df["death_day"])
    assert ranks[(df["arm"] == "iloprost").to_numpy()].sum() == WORST_RANK[name]["rank_sum_x"]


def test_worst_rank_orders_every_death_below_every_survivor():
    df = wr_frame("imicro_like")
    ranks = worst_rank_scores("delta_sofa", "death_day", data=df)
    dead = df["death_day"].notna().to_numpy()
    assert ranks[dead].max() < ranks[~dead].min()
    # Among deaths the order is the death day; a death's recorded value does not matter.
    days = df["death_day"].to_numpy()[dead]
    assert np.all(np.diff(ranks[dead][np.argsort(days, kind="stable")]) >= 0)
    df2 = df.assign(delta_sofa=np.where(dead, 99.0, df["delta_sofa"]))
    assert np.array_equal(worst_rank_scores("delta_sofa", "death_day", data=df2), ranks)


def test_worst_rank_by_hand():
    # Arm 1: alive ΔSOFA 4, died day 3, alive 2; arm 2: died day 5, alive 0, alive 6.
    # Order (worst first): died d3 < died d5 < alive 6 < alive 4 < alive 2 < alive 0.
    # Arm-1 wins: alive 4 beats (d5, 6) = 2; died d3 beats none; alive 2 beats (d5, 6) = 2.
    # theta = 4 / 9.
    day = [np.nan, 3, np.nan, 5, np.nan, np.nan]
    res = worst_rank([4, 12, 2, 2, 0, 6], day, [1, 1, 1, 0, 0, 0])
    assert res["estimate"].item() == pytest.approx(4 / 9)


def test_worst_rank_horizon_turns_late_deaths_into_survivors():
    value = [4, 1, 2, 3]
    day = [np.nan, 40, np.nan, 10]
    # Without a horizon the day-40 death ranks below both survivors; with horizon 28 it is a
    # survivor with ΔSOFA 1, the best value.
    assert worst_rank_scores(value, day).tolist() == [3.0, 2.0, 4.0, 1.0]
    assert worst_rank_scores(value, day, horizon=28).tolist() == [2.0, 4.0, 3.0, 1.0]


def test_worst_rank_refuses_survivor_without_value():
    with pytest.raises(ValueError, match=r"rows \[1\] are alive with a missing value"):
        worst_rank([1, np.nan, 2, 3], [np.nan, np.nan, 4, np.nan], [1, 1, 0, 0])


def test_worst_rank_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="value='sofa' is not a column"):
        worst_rank("sofa", "death_day", "arm", data=wr_frame("small"))
    with pytest.raises(ValueError, match="arm_1"):
        worst_rank("delta_sofa", "death_day", "arm", data=wr_frame("small"))
    with pytest.raises(ValueError, match="ci must be one of"):
        worst_rank([1, 2], [np.nan, np.nan], [1, 0], ci="exact")


def test_door_as_pROC():
    c1 = 1 + ints(140, 0.31, 5)
    c0 = 1 + np.minimum(4, ints(137, 0.72, 5) + (gold(137, 0.9) < 0.2))
    group = np.r_[np.ones(140), np.zeros(137)].astype(int)
    res = door(np.r_[c1, c0], group)
    check(res, DOOR["five_levels"], "logit")


def test_door_by_hand():
    # Arm 1 categories 1, 2, 3, 1 against arm 2 2, 2, 3, 3 (1 best): each 1 beats all four (8);
    # the 2 beats the two 3s and ties the two 2s (3); the 3 ties two (1): 12 / 16.
    res = door([1, 2, 3, 1, 2, 2, 3, 3], [1, 1, 1, 1, 0, 0, 0, 0])
    assert res["estimate"].item() == 0.75
