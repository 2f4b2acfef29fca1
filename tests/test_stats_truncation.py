"""trialkit.stats.truncation: hand-worked bounds, symmetry, and a simulation with known SACE.

No R package for the Zhang-Rubin bounds is in Debian; the references are examples worked by
hand (in the comments), the trimming definition evaluated by brute force, and a simulation of
principal strata whose survivor average causal effect is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_ind

from trialkit.stats.truncation import survivor_bounds

NAN = np.nan


def test_hand_worked_integer_trim():
    # Arm 1: survivors 1, 2, 3, 4 and one death (survival 0.8); arm 2: survivors 2, 2, 5 and
    # two deaths (0.6). pi = 0.6 / 0.8 = 0.75 -> keep 3 of the 4 arm-1 survivors.
    # Lower bound (1 + 2 + 3)/3 - 3 = -1; upper (2 + 3 + 4)/3 - 3 = 0; survivors only
    # 2.5 - 3 = -0.5.
    res = survivor_bounds([1, 2, 3, 4, 0, 2, 2, 5, 0, 0], [NAN] * 4 + [3] + [NAN] * 3 + [2, 6],
                          [1] * 5 + [0] * 5, n_boot=200).set_index("analysis")  # fmt: skip
    assert res.loc["survivors only", "estimate"] == pytest.approx(-0.5)
    assert res.loc["SACE bounds", "bound_low"] == pytest.approx(-1)
    assert res.loc["SACE bounds", "bound_high"] == pytest.approx(0, abs=1e-12)
    assert res.loc["SACE bounds", "pi"] == 0.75


def test_hand_worked_fractional_trim():
    # Arm 1 survival 4/5 (values 1, 2, 3, 4); arm 2 survival 3/6 (values 0, 1, 2, mean 1).
    # pi = 0.5 / 0.8 = 0.625 -> keep 2.5 values: low (1 + 2 + 0.5 * 3)/2.5 = 1.8,
    # high (4 + 3 + 0.5 * 2)/2.5 = 3.2; bounds 0.8 and 2.2.
    value = [1, 2, 3, 4, 9, 0, 1, 2, 9, 9, 9]
    death = [NAN] * 4 + [1] + [NAN] * 3 + [1, 2, 3]
    res = survivor_bounds(value, death, [1] * 5 + [0] * 6, n_boot=200).iloc[1]
    assert (res["bound_low"], res["bound_high"]) == pytest.approx((0.8, 2.2))
    assert res["pi"] == pytest.approx(0.625)


def brute_bounds(y1, y0):
    """Trimming by definition: expand each survivor into 1000 equal atoms and average."""
    s1, s0 = np.sort(y1[~np.isnan(y1)]), y0[~np.isnan(y0)]
    pi = (s0.size / y0.size) / (s1.size / y1.size)
    atoms = np.repeat(s1, 1000)
    keep = round(pi * atoms.size)
    return atoms[:keep].mean() - s0.mean(), atoms[-keep:].mean() - s0.mean()


@pytest.mark.parametrize("seed", range(5))
def test_bounds_match_trimming_by_definition(seed):
    rng = np.random.default_rng(seed)
    n1, n0 = 40, 37
    y1 = rng.integers(0, 15, n1).astype(float)
    y0 = rng.integers(0, 15, n0).astype(float)
    y1[rng.random(n1) < 0.2] = NAN
    y0[rng.random(n0) < 0.4] = NAN
    if np.mean(np.isnan(y1)) > np.mean(np.isnan(y0)):
        pytest.skip("this draw contradicts monotonicity")
    death = np.where(np.isnan(np.r_[y1, y0]), 5.0, NAN)
    res = survivor_bounds(np.nan_to_num(np.r_[y1, y0]), death, np.r_[np.ones(n1), np.zeros(n0)],
                          n_boot=100).iloc[1]  # fmt: skip
    lo, hi = brute_bounds(y1, y0)
    # 1000 atoms per patient resolve the fractional boundary to 1/1000 of a value.
    assert res["bound_low"] == pytest.approx(lo, abs=0.02)
    assert res["bound_high"] == pytest.approx(hi, abs=0.02)


def test_survivors_only_is_welch():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"arm": np.repeat(["a", "b"], 50), "v": rng.normal(size=100),
                       "d": np.where(rng.random(100) < 0.3, 4.0, NAN)})  # fmt: skip
    df.loc[df["arm"] == "a", "d"] = np.where(rng.random(50) < 0.1, 4.0, NAN)
    res = survivor_bounds("v", "d", "arm", data=df, arm_1="a", n_boot=100).iloc[0]
    alive = df["d"].isna()
    w = ttest_ind(df.v[alive & (df.arm == "a")], df.v[alive & (df.arm == "b")], equal_var=False)
    assert res["p_value"] == pytest.approx(w.pvalue)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx(tuple(w.confidence_interval()))


def test_monotonicity_arm_2_mirrors_arm_1():
    # Swapping the arms and the assumed direction negates and swaps the bounds.
    rng = np.random.default_rng(8)
    v = rng.integers(0, 10, 80).astype(float)
    g = np.r_[np.ones(40), np.zeros(40)]
    d = np.where(rng.random(80) < np.where(g == 1, 0.2, 0.45), 3.0, NAN)
    a = survivor_bounds(v, d, g, n_boot=100).iloc[1]
    b = survivor_bounds(v, d, 1 - g, monotonicity="arm_2", n_boot=100).iloc[1]
    assert (b["bound_low"], b["bound_high"]) == pytest.approx((-a["bound_high"], -a["bound_low"]))


def test_contradicted_monotonicity_warns_and_collapses():
    v, g = [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 0, 0, 0, 0]
    d = [2, NAN, NAN, NAN, NAN, NAN, NAN, NAN]  # arm 1 dies more: contradicts "arm_1"
    with pytest.warns(RuntimeWarning, match="contradicts monotonicity"):
        res = survivor_bounds(v, d, g, n_boot=100).set_index("analysis")
    assert res.loc["SACE bounds", "bound_low"] == pytest.approx(res.loc["survivors only",
                                                                        "estimate"])  # fmt: skip


def test_simulation_with_known_sace():
    # Principal strata: always-survivors 50% (Y(0) ~ N(5, 2), Y(1) = Y(0) - 1: SACE = -1),
    # protected by arm 1 15% (alive only on arm 1, Y(1) ~ N(9, 2): sicker), never-survivors.
    # Survivors only is biased upwards, to about (0.5 * 4 + 0.15 * 9)/0.65 - 5 = +0.15; the
    # bounds contain -1 and the Imbens-Manski interval covers it.
    rng = np.random.default_rng(20261201)
    n = 20000
    stratum = rng.choice(3, 2 * n, p=[0.5, 0.15, 0.35])
    arm = np.r_[np.ones(n), np.zeros(n)]
    y0 = rng.normal(5, 2, 2 * n)
    y = np.where(arm == 1, np.where(stratum == 0, y0 - 1, rng.normal(9, 2, 2 * n)), y0)
    alive = (stratum == 0) | ((stratum == 1) & (arm == 1))
    res = survivor_bounds(y, np.where(alive, NAN, 3.0), arm, n_boot=200).set_index("analysis")
    assert res.loc["survivors only", "estimate"] == pytest.approx(0.15, abs=0.1)
    b = res.loc["SACE bounds"]
    assert b["bound_low"] < -1 < b["bound_high"] and b["ci_low"] < -1 < b["ci_high"]
    assert b["pi"] == pytest.approx(0.5 / 0.65, abs=0.02)


def test_bad_input():
    with pytest.raises(ValueError, match=r"rows \[1\] are alive with a missing value"):
        survivor_bounds([1, NAN, 3, 4], [NAN] * 4, [1, 1, 0, 0])
    with pytest.raises(ValueError, match="monotonicity must be"):
        survivor_bounds([1, 2, 3, 4], [NAN] * 4, [1, 1, 0, 0], monotonicity="both")
    with pytest.raises(ValueError, match="at least two survivors"):
        survivor_bounds([1, 2, 3, 4], [NAN, 2, NAN, NAN], [1, 1, 0, 0])
