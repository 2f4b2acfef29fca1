"""trialkit.stats.rmst against R ``survival`` 3.5.

Expected values: ``Rscript tests/R/rmst.R``, from ``summary(survfit(Surv(time, event) ~ g),
rmean = tau)$table`` (columns ``rmean`` and ``se(rmean)``, what ``print(survfit(...), rmean =
tau)`` shows), printed verbatim below; the difference's SE is the root of the summed variances.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from trialkit.stats.rmst import rmst, rmst_difference


def gold(n: int, s: float) -> np.ndarray:
    return (np.arange(1, n + 1) * 0.6180339887498949 + s) % 1


def surv_data(n: int, s: float, rate: float, cens: float) -> tuple[np.ndarray, np.ndarray]:
    t_ev = np.ceil(-np.log(1 - gold(n, s)) / rate)
    t_c = np.where(gold(n, s + 0.41) < cens, np.ceil(gold(n, s + 0.77) * 90), 90)
    return np.minimum(t_ev, t_c), (t_ev <= t_c).astype(int)


DATA = {
    "imicro_like": (surv_data(114, 0.05, 0.02, 0.05), surv_data(122, 0.45, 0.018, 0.05)),
    "heavy_censoring": (surv_data(60, 0.21, 0.03, 0.5), surv_data(55, 0.63, 0.02, 0.5)),
    "small": (
        (np.array([2, 3, 3, 5, 8, 10.0]), np.array([1, 1, 0, 1, 0, 1])),
        (np.array([4, 6, 9, 12, 12, 15.0]), np.array([1, 0, 1, 0, 0, 1])),
    ),
}

# fmt: off
R_RMST = {
        "imicro_like": {
            28: dict(rmst_0=22.1311475409836, se_0=0.799165684579771, rmst_1=21.9035087719298, se_1=0.82427853474336),  # noqa: E501
            60: dict(rmst_0=37.1157012798032, se_0=1.96730158467442, rmst_1=36.1903688366903, se_1=2.03150321576271),  # noqa: E501
            90: dict(rmst_0=45.9306418570528, se_0=2.94197306426142, rmst_1=44.012678817161, se_1=2.98012474904309),  # noqa: E501
        },
        "heavy_censoring": {
            10: dict(rmst_0=9.18181818181818, se_0=0.286432498607355, rmst_1=8.7, se_1=0.342620619474206),  # noqa: E501
            45.5: dict(rmst_0=30.1295487917655, se_0=2.15215473555902, rmst_1=24.9083333333333, se_1=2.08434947441198),  # noqa: E501
            90: dict(rmst_0=47.196249768807, se_0=4.83438814637577, rmst_1=35.3166666666666, se_1=4.16949848214297),  # noqa: E501
        },
        "small": {
            3: dict(rmst_0=3, se_0=0, rmst_1=2.83333333333333, se_1=0.152145154862546),
            6: dict(rmst_0=5.66666666666667, se_0=0.304290309725092, rmst_1=4.61111111111111, se_1=0.64669148482349),  # noqa: E501
            10: dict(rmst_0=8.79166666666667, se_0=0.893245616547589, rmst_1=6.38888888888889, se_1=1.4481789330819),  # noqa: E501
            15: dict(rmst_0=11.9166666666667, se_0=1.8058226298201, rmst_1=6.38888888888889, se_1=1.4481789330819),  # noqa: E501
            20: dict(rmst_0=11.9166666666667, se_0=1.8058226298201, rmst_1=6.38888888888889, se_1=1.4481789330819),  # noqa: E501
        },
    }
# fmt: on


def frame(name: str) -> pd.DataFrame:
    (t1, e1), (t0, e0) = DATA[name]
    return pd.DataFrame({"time": np.r_[t1, t0], "event": np.r_[e1, e0],
                         "g": np.r_[np.ones(len(t1)), np.zeros(len(t0))].astype(int)})  # fmt: skip


CASES = [(name, tau) for name, taus in R_RMST.items() for tau in taus]


@pytest.mark.filterwarnings("ignore:rmst. tau=")
@pytest.mark.parametrize(("name", "tau"), CASES)
def test_survfit_rmean_and_se_rmean(name, tau):
    df = frame(name)
    ref = R_RMST[name][tau]
    res = rmst(df["time"], df["event"], df["g"], tau=tau).set_index("group")
    for arm in (0, 1):
        assert res.loc[arm, "estimate"] == pytest.approx(ref[f"rmst_{arm}"], rel=1e-12, abs=1e-12)
        assert res.loc[arm, "se"] == pytest.approx(ref[f"se_{arm}"], rel=1e-10, abs=1e-12)


@pytest.mark.filterwarnings("ignore:rmst. tau=")
@pytest.mark.parametrize("name", list(R_RMST))
def test_difference_se_is_root_of_summed_variances(name):
    df = frame(name)
    taus = list(R_RMST[name])
    res = rmst_difference(df["time"], df["event"], df["g"], tau=taus).set_index("tau")
    for tau in taus:
        ref = R_RMST[name][tau]
        assert res.loc[tau, "estimate"] == pytest.approx(ref["rmst_1"] - ref["rmst_0"], abs=1e-10)
        se = math.hypot(ref["se_1"], ref["se_0"])
        assert res.loc[tau, "se"] == pytest.approx(se, rel=1e-10)
        low = ref["rmst_1"] - ref["rmst_0"] - 1.959963984540054 * se
        assert res.loc[tau, "ci_low"] == pytest.approx(low, rel=1e-9)


def test_by_hand():
    # Times 2, 3, 3+, 5, 8+, 10 (+ censored): S = 5/6 after 2, 5/6 * 4/5 = 2/3 after 3,
    # 2/3 * 2/3 = 4/9 after 5. Area to tau = 6: 2*1 + 1*5/6 + 2*2/3 + 1*4/9 = 4.6111
    # (R: 4.61111111111111).
    # Variance: areas after each event time to 6: after 5: 4/9; after 3: 2*2/3 + 4/9 = 16/9;
    # after 2: 5/6 + 16/9 = 47/18; hazard terms 1/(6*5), 1/(5*4), 1/(3*2).
    res = rmst([2, 3, 3, 5, 8, 10], [1, 1, 0, 1, 0, 1], tau=6).iloc[0]
    assert res["estimate"] == pytest.approx(2 + 5 / 6 + 4 / 3 + 4 / 9)
    var = (47 / 18) ** 2 / 30 + (16 / 9) ** 2 / 20 + (4 / 9) ** 2 / 6
    assert res["se"] == pytest.approx(math.sqrt(var))


def test_se_shrinks_with_n_unlike_lifelines_variance():
    # lifelines' return_variance gives Var(min(T, tau)), which does not shrink with n
    # (lifelines #1682); the estimator's SE does, as 1/sqrt(n).
    rng = np.random.default_rng(4)
    ses = []
    for n in (200, 3200):
        t = np.ceil(rng.exponential(40, n))
        ses.append(rmst(t, np.ones(n), tau=28)["se"].item())
    assert ses[0] / ses[1] == pytest.approx(4, rel=0.15)


def test_bad_tau():
    with pytest.raises(ValueError, match="tau must be one or more positive numbers"):
        rmst([1, 2], [1, 0], tau=-1)
    with pytest.raises(ValueError, match="both arms"):
        rmst_difference([1, 2], [1, 0], [1, 1], tau=2)


def test_warns_when_tau_is_beyond_follow_up_of_a_curve_above_zero():
    with pytest.warns(RuntimeWarning, match=r"tau=20 is beyond the last follow-up \(12\)"):
        rmst([4, 6, 12], [1, 0, 0], tau=20)
    # A curve that reached 0 is exact beyond its last time: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Area: 4 * 1 + 8 * 2/3 (S = 2/3 from day 4 to the last death on day 12).
        assert rmst([4, 6, 12], [1, 0, 1], tau=20)["estimate"].item() == pytest.approx(4 + 16 / 3)
