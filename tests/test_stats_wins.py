"""trialkit.stats.wins (generalized pairwise comparisons) against oracles.

No Debian package of WINS or BuyseTest exists (``apt-cache policy r-cran-wins
r-cran-buysetest``: not found), so the references are (1) a brute-force pair-by-pair oracle in
R (``tests/R/composite.R``, ``outer()`` over all pairs, the variance from the pair matrix),
values printed verbatim below; (2) a brute-force O(n m) oracle in Python written from the
definitions, run on random hierarchies with thresholds, censoring and missing values; (3)
hand-worked examples; (4) the reduction of a one-level hierarchy to Mann-Whitney; (5) the
coverage of the intervals in a seeded simulation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import trialkit.stats.wins as wins_mod
from trialkit.stats.composite import probability_index
from trialkit.stats.wins import Level, parse_hierarchy, win_levels, win_statistics


def gold(n: int, s: float) -> np.ndarray:
    return (np.arange(1, n + 1) * 0.6180339887498949 + s) % 1


def ints(n: int, s: float, k: int) -> np.ndarray:
    return np.floor(gold(n, s) * k)


# -- brute-force oracle ---------------------------------------------------------------------------


def pair_outcome(level: dict, xi: dict, yj: dict) -> int:
    """+1 if xi wins, -1 if it loses, 0 if the level does not decide the pair."""
    d = level.get("threshold", 0.0)
    if level.get("kind", "numeric") in ("numeric", "binary"):
        a, b = xi[level["column"]], yj[level["column"]]
        if np.isnan(a) or np.isnan(b):
            return 0
        if level["better"] == "lower":
            a, b = -a, -b
        return 1 if a - b > d else (-1 if b - a > d else 0)
    horizon = level["horizon"]

    def status(r):  # (event by the horizon, known event-free up to / event day)
        t = r[level["column"]]
        if not np.isnan(t) and t <= horizon:
            return True, t
        fu = r[level["followup"]] if level.get("followup") else np.inf
        if (not np.isnan(t) and t > horizon) or fu >= horizon:
            return False, np.nextafter(horizon, np.inf)
        return False, fu

    (ea, sa), (eb, sb) = status(xi), status(yj)
    win, loss = eb and sa - sb > d, ea and sb - sa > d
    if level.get("better", "higher") == "lower":
        win, loss = loss, win
    return 1 if win else (-1 if loss else 0)


def brute(df: pd.DataFrame, hierarchy: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    xs = df[df["arm"] == 1].to_dict("records")
    ys = df[df["arm"] == 0].to_dict("records")
    w, l_ = np.zeros((len(xs), len(ys))), np.zeros((len(xs), len(ys)))
    for i, xi in enumerate(xs):
        for j, yj in enumerate(ys):
            for level in hierarchy:
                o = pair_outcome(level, xi, yj)
                if o:
                    (w if o > 0 else l_)[i, j] = 1
                    break
    return w, l_


def oracle_statistics(w: np.ndarray, l_: np.ndarray) -> dict:
    """Win statistics and the DeLong / Bebu-Lachin variance from the full pair matrices."""
    n, m = w.shape
    p_w, p_l = w.mean(), l_.mean()
    cov = (
        np.cov(np.vstack([w.mean(1), l_.mean(1)])) / n
        + np.cov(np.vstack([w.mean(0), l_.mean(0)])) / m
    )
    nb = p_w - p_l
    var_nb = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    var_lwr = cov[0, 0] / p_w**2 + cov[1, 1] / p_l**2 - 2 * cov[0, 1] / (p_w * p_l)
    return {
        "win_ratio": (p_w / p_l, math.sqrt(var_lwr)),
        "win_odds": ((1 + nb) / (1 - nb), 2 * math.sqrt(var_nb) / (1 - nb**2)),
        "net_benefit": (nb, math.sqrt(var_nb)),
    }


def random_trial(rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    n, m = int(rng.integers(2, 25)), int(rng.integers(2, 25))
    size = n + m
    df = pd.DataFrame({"arm": np.r_[np.ones(n), np.zeros(m)].astype(int)})
    death = rng.integers(0, 12, size).astype(float)
    death[rng.random(size) < 0.5] = np.nan
    df["death"] = death
    df["fu"] = np.where(rng.random(size) < 0.2, rng.integers(0, 10, size), 10).astype(float)
    df["sofa"] = rng.integers(0, 6, size).astype(float)
    df.loc[rng.random(size) < 0.1, "sofa"] = np.nan
    df["cont"] = np.round(rng.normal(0, 1, size), 1)
    df["bin"] = rng.integers(0, 2, size).astype(float)
    levels = [
        {"column": "death", "kind": "time", "horizon": 8.0, "followup": "fu",
         "threshold": float(rng.integers(0, 2)), "better": str(rng.choice(["higher", "lower"]))},
        {"column": "sofa", "kind": "numeric", "better": "lower",
         "threshold": float(rng.integers(0, 3))},
        {"column": "bin", "kind": "binary", "better": "higher"},
        {"column": "cont", "kind": "numeric", "better": "higher", "threshold": 0.3},
    ]  # fmt: skip
    order = rng.permutation(4)[: int(rng.integers(1, 5))]
    return df, [levels[k] for k in order]


@pytest.mark.parametrize("seed", range(12))
def test_counts_and_variance_match_brute_force_oracle(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        df, hierarchy = random_trial(rng)
        w, l_ = brute(df, hierarchy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            counts, _ = wins_mod._compare(df, hierarchy, "arm", None, None, "test")
            res = win_statistics(df, hierarchy, group="arm").set_index("statistic")
        # Per patient: wins and losses of arm 1, and of arm 2 against arm 1.
        np.testing.assert_array_equal(counts.win_a, w.sum(1))
        np.testing.assert_array_equal(counts.loss_a, l_.sum(1))
        np.testing.assert_array_equal(counts.win_b, l_.sum(0))
        np.testing.assert_array_equal(counts.loss_b, w.sum(0))
        assert res.loc["net_benefit", "wins"] == w.sum()
        if 0 < w.mean() and 0 < l_.mean() and w.mean() + l_.mean() < 1:
            for name, (est, se) in oracle_statistics(w, l_).items():
                assert res.loc[name, "estimate"] == pytest.approx(est, rel=1e-12)
                assert res.loc[name, "se"] == pytest.approx(se, rel=1e-9)


# -- the R brute-force oracle ---------------------------------------------------------------------

# fmt: off
GPC = {
    "complete_thr2": dict(wins=6397, losses=5534, wins_1=4885, losses_1=4178, wr=1.15594506685941, wr_lo=0.822073762604351, wr_hi=1.62541253398414, wo=1.13231123035646, wo_lo=0.845562807153334, wo_hi=1.51630217358751, nb=0.0620506183491516, nb_lo=-0.0833940694063928, nb_hi=0.207495306104696, p_wr=0.404659440075293, p_nb=0.403057367762404),  # noqa: E501
    "censored_thr0": dict(wins=3619, losses=3497, wins_1=2393, losses_1=2227, wr=1.03488704603946, wr_lo=0.744943765894414, wr_hi=1.43768059697017, wo=1.03241232731137, wo_lo=0.760428850827867, wo_hi=1.40167645194429, nb=0.0159477124183006, nb_lo=-0.136898832639065, nb_hi=0.168794257475666, p_wr=0.837999502304819, p_nb=0.83796369422925),  # noqa: E501
    "censored_thr1": dict(wins=793, losses=814, wins_1=517, losses_1=531, wr=0.974201474201474, wr_lo=0.609221663103681, wr_hi=1.55783776220513, wo=0.977906365071015, wo_lo=0.65460959991948, wo_hi=1.46087203573555, nb=-0.0111702127659574, nb_lo=-0.211832620726887, nb_hi=0.189492195194972, p_wr=0.913102225796207, p_nb=0.913119435626719),  # noqa: E501
}
# fmt: on
GPC_CASES = {  # n1, s1, n0, s0, threshold, share censored (as tests/R/composite.R)
    "complete_thr2": (114, 0.05, 122, 0.45, 2, 0.0),
    "censored_thr0": (90, 0.13, 85, 0.58, 0, 0.1),
    "censored_thr1": (40, 0.71, 47, 0.36, 1, 0.15),
}


def gpc_data(n: int, s: float, pdeath: float, pcens: float) -> pd.DataFrame:
    dead = gold(n, s) < pdeath
    return pd.DataFrame(
        {
            "death_day": np.where(dead, np.floor(gold(n, s + 0.29) * 35), np.nan),
            "last_contact_day": np.where(
                gold(n, s + 0.61) < pcens, np.floor(gold(n, s + 0.83) * 28), 28.0
            ),
            "delta_sofa": ints(n, s + 0.17, 13) - ints(n, s + 0.47, 5),
        }
    )


@pytest.mark.parametrize("name", list(GPC))
def test_win_statistics_as_R_brute_force(name):
    n1, s1, n0, s0, thr, pc = GPC_CASES[name]
    df = pd.concat(
        [gpc_data(n1, s1, 0.4, pc).assign(arm="iloprost"),
         gpc_data(n0, s0, 0.45, pc).assign(arm="placebo")], ignore_index=True
    )  # fmt: skip
    hierarchy = [
        {"column": "death_day", "kind": "time", "horizon": 28, "followup": "last_contact_day"},
        {"column": "delta_sofa", "kind": "numeric", "better": "lower", "threshold": thr},
    ]
    ref = GPC[name]
    res = win_statistics(df, hierarchy, group="arm", arm_1="iloprost").set_index("statistic")
    for stat, key in (("win_ratio", "wr"), ("win_odds", "wo"), ("net_benefit", "nb")):
        row = res.loc[stat]
        assert row["estimate"] == pytest.approx(ref[key], rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (ref[f"{key}_lo"], ref[f"{key}_hi"]), rel=1e-10
        )
    assert res.loc["win_ratio", "p_value"] == pytest.approx(ref["p_wr"], rel=1e-9)
    assert res.loc["net_benefit", "p_value"] == pytest.approx(ref["p_nb"], rel=1e-9)
    assert (res.loc["win_ratio", "wins"], res.loc["win_ratio", "losses"]) == (
        ref["wins"], ref["losses"])  # fmt: skip
    levels = win_levels(df, hierarchy, group="arm", arm_1="iloprost")
    assert levels.loc[0, "wins"] == ref["wins_1"] and levels.loc[0, "losses"] == ref["losses_1"]
    assert levels["wins"].sum() == ref["wins"]


# -- hand-worked examples --------------------------------------------------------------------------

HIERARCHY = [
    {"column": "death", "kind": "time", "horizon": 28},
    {"column": "sofa", "kind": "numeric", "better": "lower", "threshold": 1},
]


def test_hand_worked_two_levels():
    # Arm 1: A1 alive ΔSOFA 2, A2 died day 5, A3 alive 4; arm 2: B1 died day 3, B2 alive 3,
    # B3 alive 6. Level 1 (death): A1, A3 beat B1 (2 wins); A2 beats B1 (died later: 1 win);
    # A2 loses to B2, B3 (2 losses). Undecided: A1-B2, A1-B3, A3-B2, A3-B3 (both alive).
    # Level 2 (ΔSOFA, threshold 1): A1-B2 |2-3| = 1 tie; A1-B3 2 vs 6 win; A3-B2 4 vs 3 tie;
    # A3-B3 4 vs 6 win. Total 5 wins, 2 losses, 2 ties of 9 pairs:
    # WR = 5/2 = 2.5; NB = 3/9; WO = (5 + 1)/(2 + 1) = 2.
    df = pd.DataFrame({"arm": [1, 1, 1, 0, 0, 0], "death": [np.nan, 5, np.nan, 3, np.nan, np.nan],
                       "sofa": [2, 9, 4, 8, 3, 6]})  # fmt: skip
    res = win_statistics(df, HIERARCHY, group="arm").set_index("statistic")["estimate"]
    assert res.to_dict() == pytest.approx({"win_ratio": 2.5, "win_odds": 2.0, "net_benefit": 1 / 3})
    lv = win_levels(df, HIERARCHY, group="arm")
    assert lv[["wins", "losses", "undecided"]].to_numpy().tolist() == [[3, 2, 4], [2, 0, 2]]


def test_hand_worked_censoring_gehan():
    # Level 1 only, horizon 28. Arm 1: C censored (last contact) day 10, alive to day 28.
    # Arm 2: died day 4, died day 12, alive to 28.
    # C vs died d4: C was seen alive after day 4: win. C vs died d12: unknown: tie.
    # C vs alive: tie. Alive vs d4, d12: wins; alive vs alive: tie. 3 wins, 0 losses.
    df = pd.DataFrame({"arm": [1, 1, 0, 0, 0], "death": [np.nan, np.nan, 4, 12, np.nan],
                       "fu": [10, 28, 4, 12, 28]})  # fmt: skip
    h = [{"column": "death", "kind": "time", "horizon": 28, "followup": "fu"}]
    lv = win_levels(df, h, group="arm")
    assert (lv.loc[0, "wins"], lv.loc[0, "losses"], lv.loc[0, "undecided"]) == (3, 0, 3)


def test_hand_worked_death_on_the_horizon_day():
    # A death on day 28 counts (horizon inclusive) and loses to a patient alive at day 28;
    # a death on day 29 is beyond the horizon: tied with survivors at this level.
    df = pd.DataFrame({"arm": [1, 1, 0], "death": [np.nan, 29, 28]})
    lv = win_levels(df, [{"column": "death", "kind": "time", "horizon": 28}], group="arm")
    assert (lv.loc[0, "wins"], lv.loc[0, "losses"]) == (2, 0)


@pytest.mark.filterwarnings("ignore:win_statistics. strata.*single patient")
def test_stratified_mh_weights_by_hand():
    # Site a: arm 1 values 3, 5 vs arm 2 value 4 (higher better): wins 1, losses 1 of 2 pairs,
    # weight 2*1/3. Site b: 2 vs 1, 1: wins 2 of 2, weight 1*2/3. Weights are equal, so
    # p_w = (1/2 + 1)/2 = 0.75, p_l = (1/2 + 0)/2 = 0.25, WR = 3; unstratified: 3 wins of 6
    # pairs across... (3,5,2 vs 4,1,1): 3 beats 1,1; 5 beats all; 2 beats 1,1 -> 7 wins, 2 losses.
    df = pd.DataFrame({"arm": [1, 1, 0, 1, 0, 0], "site": list("aaabbb"), "y": [3, 5, 4, 2, 1, 1]})
    h = [{"column": "y", "better": "higher"}]
    st = win_statistics(df, h, group="arm", strata="site").set_index("statistic")
    assert st.loc["win_ratio", "estimate"] == pytest.approx(3.0)
    assert st.loc["win_ratio", "n_strata"] == 2
    un = win_statistics(df, h, group="arm").set_index("statistic")
    assert un.loc["win_ratio", "estimate"] == pytest.approx(7 / 2)


def test_stratified_with_one_stratum_equals_unstratified():
    df, _ = random_trial(np.random.default_rng(5))
    h = [{"column": "sofa", "kind": "numeric", "better": "lower"}]
    a = win_statistics(df.assign(site="x"), h, group="arm", strata="site")
    b = win_statistics(df, h, group="arm")
    cols = ["estimate", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_stratified_variance_is_weighted_sum_of_strata():
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"arm": rng.integers(0, 2, 300), "site": rng.choice(list("abc"), 300),
                       "y": rng.integers(0, 8, 300).astype(float)})  # fmt: skip
    h = [{"column": "y", "better": "higher"}]
    st = win_statistics(df, h, group="arm", strata="site").set_index("statistic")
    num = den = var = 0.0
    for _, part in df.groupby("site"):
        w, l_ = brute(part.reset_index(drop=True), h)
        n, m = w.shape
        wt = n * m / (n + m)
        num += wt * (w.mean() - l_.mean())
        den += wt
        var += wt**2 * oracle_statistics(w, l_)["net_benefit"][1] ** 2
    assert st.loc["net_benefit", "estimate"] == pytest.approx(num / den, rel=1e-12)
    assert st.loc["net_benefit", "se"] == pytest.approx(math.sqrt(var) / den, rel=1e-10)


@pytest.mark.filterwarnings("ignore:win_statistics. strata.*single patient")
def test_stratum_with_one_arm_is_left_out_with_a_warning():
    df = pd.DataFrame({"arm": [1, 0, 1, 0, 1], "site": list("aabbc"), "y": [1, 2, 3, 1, 5]})
    with pytest.warns(UserWarning, match=r"strata \['c'\] hold one arm only"):
        res = win_statistics(df, [{"column": "y", "better": "higher"}], group="arm", strata="site")
    assert res["n_strata"].iloc[0] == 2 and res["n_x"].iloc[0] == 2


# -- reduction to Mann-Whitney ---------------------------------------------------------------------


def test_one_level_reduces_to_mann_whitney():
    x = ints(114, 0.12, 12) - ints(114, 0.81, 6)
    y = ints(122, 0.33, 12) - ints(122, 0.27, 5)
    df = pd.DataFrame({"arm": np.r_[np.ones(114), np.zeros(122)].astype(int),
                       "d": np.r_[x, y]})  # fmt: skip
    res = win_statistics(df, [{"column": "d", "better": "higher"}], group="arm")
    res = res.set_index("statistic")
    pi = probability_index(x, y).iloc[0]
    u = pi["statistic"]  # R's W: wins + ties / 2
    assert res.loc["win_odds", "estimate"] == pytest.approx(u / (114 * 122 - u), rel=1e-12)
    assert res.loc["net_benefit", "estimate"] == pytest.approx(2 * pi["estimate"] - 1, rel=1e-12)
    # The win-odds interval is the logit interval of the probability index on the odds scale.
    odds = [p / (1 - p) for p in (pi["ci_low"], pi["ci_high"])]
    assert (res.loc["win_odds", "ci_low"], res.loc["win_odds", "ci_high"]) == pytest.approx(odds)
    assert res.loc["net_benefit", "se"] == pytest.approx(2 * pi["se"], rel=1e-12)


# -- coverage ------------------------------------------------------------------------------------


def test_interval_coverage_in_a_seeded_simulation():
    # 400 trials of 80 vs 80 (death 35% vs 30% then ΔSOFA); the true win ratio, win odds and
    # net benefit are those of a 4000 vs 4000 trial from the same model. Coverage of a 95%
    # interval over 400 trials lies in [0.92, 0.98] with probability > 0.99.
    rng = np.random.default_rng(20260501)

    def trial(n):
        arm = np.r_[np.ones(n), np.zeros(n)].astype(int)
        dead = rng.random(2 * n) < np.where(arm == 1, 0.30, 0.35)
        death = np.where(dead, rng.integers(0, 29, 2 * n), np.nan)
        sofa = rng.poisson(np.where(arm == 1, 3.0, 3.5))
        return pd.DataFrame({"arm": arm, "death": death, "sofa": sofa.astype(float)})

    truth = win_statistics(trial(4000), HIERARCHY, group="arm").set_index("statistic")
    hits = {k: 0 for k in truth.index}
    for _ in range(400):
        res = win_statistics(trial(80), HIERARCHY, group="arm").set_index("statistic")
        for k in hits:
            hits[k] += res.loc[k, "ci_low"] <= truth.loc[k, "estimate"] <= res.loc[k, "ci_high"]
    for k, h in hits.items():
        assert 0.92 <= h / 400 <= 0.98, (k, h / 400)


# -- the hierarchy and bad input -------------------------------------------------------------------


def test_parse_hierarchy_defaults_and_did_you_mean():
    lev = parse_hierarchy([{"column": "death_day", "kind": "time", "horizon": 28}])[0]
    assert lev == Level("death_day", "time", "higher", 0.0, 28.0, None, None)
    with pytest.raises(ValueError, match="unknown key 'treshold'; did you mean 'threshold'"):
        parse_hierarchy([{"column": "x", "better": "lower", "treshold": 2}])
    with pytest.raises(ValueError, match=r"'better'.*required for numeric"):
        parse_hierarchy([{"column": "x"}])
    with pytest.raises(ValueError, match="needs a numeric 'horizon'"):
        parse_hierarchy([{"column": "d", "kind": "time"}])
    with pytest.raises(ValueError, match="threshold must be a number >= 0"):
        parse_hierarchy([{"column": "x", "better": "lower", "threshold": -1}])
    with pytest.raises(ValueError, match="non-empty list"):
        parse_hierarchy([])


def test_bad_data_names_the_level_and_rows():
    df = pd.DataFrame({"arm": [1, 0, 1], "b": [0, 2, 1], "d": [np.nan, np.nan, 3.0]})
    with pytest.raises(ValueError, match=r"level 'b'.*0/1.*rows \[1\]"):
        win_statistics(df, [{"column": "b", "kind": "binary", "better": "lower"}], group="arm")
    with pytest.raises(ValueError, match="column 'z' is not in data"):
        win_statistics(df, [{"column": "z", "better": "lower"}], group="arm")
    h = [{"column": "d", "kind": "time", "horizon": 28, "followup": "fu"}]
    with pytest.raises(ValueError, match=r"need a follow-up day in 'fu'; rows \[0\]"):
        win_statistics(df.assign(fu=[np.nan, 28, 28]), h, group="arm")
    with pytest.raises(ValueError, match="group must name a column"):
        win_statistics(df, [{"column": "b", "better": "lower"}], group="treatment")


def test_refuses_a_quadratic_structure(monkeypatch):
    # A continuous level with a threshold that is not last: its undecided pairs would need a
    # pair-of-values structure; with the limit lowered the function refuses, naming the level.
    monkeypatch.setattr(wins_mod, "_MAX_ENTRIES", 1000)
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"arm": np.r_[np.ones(100), np.zeros(100)].astype(int),
                       "c": rng.normal(size=200), "y": rng.normal(size=200)})  # fmt: skip
    h = [{"column": "c", "better": "higher", "threshold": 0.5}, {"column": "y", "better": "lower"}]
    with pytest.raises(ValueError, match=r"level 'c' has a threshold.*Round the values"):
        win_statistics(df, h, group="arm")
    # Last, the same level needs no such structure.
    assert len(win_statistics(df, h[::-1], group="arm")) == 3


def test_all_pairs_won_gives_infinite_win_ratio_with_warning():
    df = pd.DataFrame({"arm": [1, 1, 0, 0], "y": [5, 6, 1, 2]})
    with pytest.warns(RuntimeWarning, match="win ratio"):
        res = win_statistics(df, [{"column": "y", "better": "higher"}], group="arm")
    assert res.set_index("statistic").loc["win_ratio", "estimate"] == math.inf


def test_stratum_with_a_single_patient_in_an_arm_warns_and_keeps_the_interval():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"arm": np.r_[np.ones(30), np.zeros(30), [1]].astype(int),
                       "site": ["a"] * 60 + ["b"], "y": rng.integers(0, 6, 61)})  # fmt: skip
    df.loc[60, "site"] = "b"
    df = pd.concat([df, pd.DataFrame({"arm": [0, 0], "site": ["b", "b"], "y": [1, 4]})])
    h = [{"column": "y", "better": "higher"}]
    with pytest.warns(RuntimeWarning, match=r"strata \['b'\] with a single patient"):
        res = win_statistics(df, h, group="arm", strata="site")
    assert res["ci_low"].notna().all()
