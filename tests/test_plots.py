"""Tests for trialkit.plots: each figure draws exactly the numbers it is given.

The figures compute nothing (the numbers come from trialkit.tables / trialkit.stats, tested
against R elsewhere), so these tests read the drawn artists back and compare them with
hand-counted values on small frames.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from trialkit import plots
from trialkit.tables import consort_counts

ARMS = ["iloprost", "placebo"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_arm_palette_is_fixed_and_ordered():
    assert plots.arm_palette(ARMS) == {"iloprost": "#D55E00", "placebo": "#0072B2"}
    with pytest.raises(ValueError, match="at most 4 arms"):
        plots.arm_palette(list("abcde"))


def _consort() -> pd.DataFrame:
    p = pd.DataFrame(
        {
            "arm": ["iloprost"] * 5 + ["placebo"] * 4,
            "mitt": [1, 1, 0, 1, 0, 1, 1, 1, 0],
            "exclusion_reason": [None, None, "consent withdrawn", None, "no shock",
                                  None, None, None, "consent withdrawn"],
        }
    )  # fmt: skip
    return consort_counts(p, analysed="mitt", arms=ARMS)


def test_consort_diagram_draws_the_counts():
    fig = plots.consort_diagram(_consort(), title="flow")
    text = _texts(fig)
    assert "Randomized\nn = 9" in text
    assert "Allocated to iloprost\nn = 5" in text
    assert "Allocated to placebo\nn = 4" in text
    assert "Analysed\nn = 3" in text
    assert "Analysed\nn = 3" in text and text.count("Analysed\nn = 3") == 2
    exc_ilo = next(t for t in text if t.startswith("Excluded") and "no shock: 1" in t)
    assert "n = 2" in exc_ilo and "consent withdrawn: 1" in exc_ilo
    assert fig.axes[0].get_title() == "flow"


def test_consort_diagram_refuses_incomplete_counts():
    c = _consort()
    with pytest.raises(ValueError, match="no 'analysed' row"):
        plots.consort_diagram(c.loc[c.stage != "analysed"])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['total'\]"):
        plots.consort_diagram(c.drop(columns="total"))


def _sofa_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Patient 1 (iloprost): measured days 0-2, dies on day 2 (after the day-2 score).
    # Patient 2 (iloprost): measured day 0, discharged alive on day 1.
    # Patient 3 (placebo): measured days 0 and 2, day 1 missing.
    # Patient 4 (placebo): measured day 0, dies on day 1.
    daily = pd.DataFrame(
        {
            "patient_id": [1, 1, 1, 2, 3, 3, 4],
            "day": [0, 1, 2, 0, 0, 2, 0],
            "sofa_total": [10, 11, 14, 6, 8, 7, 15],
        }
    )
    patients = pd.DataFrame(
        {
            "patient_id": [1, 2, 3, 4],
            "arm": ["iloprost", "iloprost", "placebo", "placebo"],
            "death_day": [2, None, None, 1],
            "icu_discharge_day": [None, 1, None, None],
        }
    )
    return daily, patients


def test_daily_status_classifies_every_patient_day():
    daily, patients = _sofa_frames()
    st = plots.daily_status(daily, patients, days=[0, 1, 2])
    got = st.set_index(["patient_id", "day"])["status"].astype(str).to_dict()
    assert got == {
        (1, 0): "in ICU", (1, 1): "in ICU", (1, 2): "in ICU",
        (2, 0): "in ICU", (2, 1): "discharged alive", (2, 2): "discharged alive",
        (3, 0): "in ICU", (3, 1): "not recorded", (3, 2): "in ICU",
        (4, 0): "in ICU", (4, 1): "dead", (4, 2): "dead",
    }  # fmt: skip
    assert len(st) == 4 * 3


def test_daily_status_refuses_duplicate_days():
    daily, patients = _sofa_frames()
    daily = pd.concat([daily, daily.iloc[[0]]])
    with pytest.raises(ValueError, match="more than one row per patient and day"):
        plots.daily_status(daily, patients)


def test_daily_sofa_by_arm_bars_are_the_shares_not_measured():
    daily, patients = _sofa_frames()
    fig = plots.daily_sofa_by_arm(daily, patients, arms=ARMS, days=[0, 1, 2])
    bottom = fig.axes[1]
    heights = [round(b.get_height(), 6) for b in bottom.patches]
    # Per arm, days 0-2 in percent: 3 "dead" bars then 3 "discharged alive" bars.
    # iloprost: nobody dead, patient 2 (of 2) discharged from day 1;
    # placebo: patient 4 (of 2) dead from day 1, nobody discharged.
    assert heights == [0, 0, 0, 0, 50, 50, 0, 50, 50, 0, 0, 0]
    # Deaths so far written above each bar: iloprost 0 0 0, placebo 0 1 1.
    assert [t.get_text() for t in bottom.texts[:6]] == ["0", "0", "0", "0", "1", "1"]


def test_kaplan_meier_plot_draws_steps_and_numbers_at_risk():
    # Frames shaped as trialkit.stats.kaplan_meier / km_at return them (column group).
    curves = pd.DataFrame(
        {
            "group": ["iloprost"] * 2 + ["placebo"],
            "time": [3.0, 10.0, 5.0],
            "estimate": [0.8, 0.6, 0.9],
            "ci_low": [0.6, 0.4, 0.7],
            "ci_high": [0.95, 0.8, 1.0],
        }
    )
    at_risk = pd.DataFrame(
        {"group": ["iloprost", "iloprost", "placebo", "placebo"], "time": [0, 14] * 2,
         "n_risk": [5, 2, 4, 3]}
    )  # fmt: skip
    fig = plots.kaplan_meier_plot(curves, at_risk, arms=ARMS, horizon=28)
    ax, table = fig.axes
    ilo, pla = ax.get_lines()
    np.testing.assert_array_equal(ilo.get_xdata(), [0, 3, 10, 28])
    np.testing.assert_array_equal(ilo.get_ydata(), [1.0, 0.8, 0.6, 0.6])
    np.testing.assert_array_equal(pla.get_xdata(), [0, 5, 28])
    np.testing.assert_array_equal(pla.get_ydata(), [1.0, 0.9, 0.9])
    assert [t.get_text() for t in table.texts] == ["5", "2", "4", "3"]
    assert [t.get_text() for t in table.get_yticklabels()] == ARMS


def test_kaplan_meier_plot_takes_the_stats_output():
    from trialkit.stats import kaplan_meier, km_at

    time = [2, 4, 4, 9, 28, 28, 3, 28, 28, 28]
    event = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]
    group = ["iloprost"] * 6 + ["placebo"] * 4
    km = kaplan_meier(time, event, group, arm_1="iloprost")
    risk = km_at(time, event, group, times=[0, 7, 14, 21, 28], arm_1="iloprost")
    fig = plots.kaplan_meier_plot(km, risk, arms=ARMS, horizon=28)
    ilo = fig.axes[0].get_lines()[0]
    # Hand KM, iloprost: 5/6 after day 2; day 4: one death among 5 at risk (the patient
    # censored that day still counts), 5/6 * 4/5 = 2/3; day 9: one of 3, 2/3 * 2/3 = 4/9.
    np.testing.assert_allclose(ilo.get_ydata()[:4], [1.0, 5 / 6, 2 / 3, 4 / 9])
    assert [t.get_text() for t in fig.axes[1].texts][:5] == ["6", "3", "2", "2", "2"]


def test_kaplan_meier_plot_refuses_probabilities_outside_0_1():
    curves = pd.DataFrame({"group": ["iloprost"], "time": [1.0], "estimate": [1.2]})
    at_risk = pd.DataFrame({"group": ["iloprost"], "time": [0], "n_risk": [1]})
    with pytest.raises(ValueError, match=r"survival outside \[0, 1\] in row\(s\) \[0\]"):
        plots.kaplan_meier_plot(curves, at_risk)


def test_free_days_distribution_percent_per_value_and_zero_split():
    d = pd.DataFrame(
        {
            "arm": ["iloprost"] * 4 + ["placebo"] * 2,
            "vfd": [0, 0, 5, 28, 0, 28],
            "dead": [1, 0, 0, 0, 1, 0],
        }
    )
    fig = plots.free_days_distribution(d, "vfd", arms=ARMS, dead="dead", horizon=28)
    ax = fig.axes[0]
    bars = ax.patches
    # iloprost: 29 bars (0..28), then the hatched "alive at 0" bar; same for placebo.
    ilo = [b.get_height() for b in bars[:29]]
    assert ilo[0] == pytest.approx(50.0) and ilo[5] == pytest.approx(25.0)
    assert ilo[28] == pytest.approx(25.0) and sum(ilo) == pytest.approx(100.0)
    alive0 = bars[29]
    assert alive0.get_y() == pytest.approx(25.0) and alive0.get_height() == pytest.approx(25.0)
    pla = [b.get_height() for b in bars[30:59]]
    assert pla[0] == pytest.approx(50.0) and pla[28] == pytest.approx(50.0)
    assert bars[59].get_height() == pytest.approx(0.0)
    assert [t.get_text() for t in ax.texts] == ["50%", "50%"]


@pytest.mark.parametrize("bad", [2.5, 29, -1])
def test_free_days_distribution_refuses_impossible_values(bad):
    d = pd.DataFrame({"arm": ["iloprost", "placebo"], "vfd": [bad, 3]})
    with pytest.raises(ValueError, match=r"whole days in 0..28; see row\(s\) \[0\]"):
        plots.free_days_distribution(d, "vfd", horizon=28)


def test_forest_rows_text_and_published_marker():
    r = pd.DataFrame(
        {
            "label": ["worst", "last", "survivors"],
            "estimate": [1.0, 0.5, -0.25],
            "ci_low": [0.0, -1.0, -1.5],
            "ci_high": [3.0, 2.0, 1.0],
        }
    )
    pub = pd.DataFrame({"label": ["worst"], "estimate": [1.0], "ci_low": [0.0], "ci_high": [3.0]})
    fig = plots.forest(r, published=pub, decimals=1, favours=("favours drug", "favours control"))
    ax = fig.axes[0]
    # the published figure on a row of its own, right under the row it belongs to
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["worst", "published", "last", "survivors"]
    assert [t.get_text() for t in ax.texts] == [
        "1.0 (0.0 to 3.0)",
        "1.0 (0.0 to 3.0)",
        "0.5 (-1.0 to 2.0)",
        "-0.2 (-1.5 to 1.0)",
        "← favours drug",
        "favours control →",
    ]
    points, published_point = (line for line in ax.get_lines() if line.get_marker() in "sD")
    np.testing.assert_array_equal(points.get_xdata(), [1.0, 0.5, -0.25])
    np.testing.assert_array_equal(points.get_ydata(), [0, 2, 3])
    np.testing.assert_array_equal(published_point.get_xdata(), [1.0])
    np.testing.assert_array_equal(published_point.get_ydata(), [1])


def test_forest_refuses_estimate_outside_ci():
    r = pd.DataFrame({"label": ["x"], "estimate": [4.0], "ci_low": [0.0], "ci_high": [3.0]})
    with pytest.raises(ValueError, match=r"estimate outside its CI for \['x'\]"):
        plots.forest(r)


def test_consort_diagram_wraps_long_reasons_and_grows_with_many():
    reasons = [f"reason {i} " + "x" * 60 for i in range(8)]
    p = pd.DataFrame(
        {
            "arm": ["iloprost"] * 9 + ["placebo"],
            "mitt": [0] * 8 + [1, 1],
            "exclusion_reason": [*reasons, "", ""],
        }
    )
    fig = plots.consort_diagram(consort_counts(p, analysed="mitt", arms=ARMS))
    box = next(t for t in _texts(fig) if t.startswith("Excluded") and "reason 0" in t)
    assert all(len(line) <= 45 for line in box.split("\n"))
    assert fig.get_figheight() > 6.2


def test_daily_sofa_by_arm_boxes_are_the_measured_scores():
    daily, patients = _sofa_frames()
    fig = plots.daily_sofa_by_arm(daily, patients, arms=ARMS, days=[0, 1, 2])
    top = fig.axes[0]
    # Median lines (2 points each), iloprost then placebo, only for days with a score:
    # iloprost day 0 {10, 6} -> 8, day 1 {11} -> 11, day 2 {14} -> 14;
    # placebo day 0 {8, 15} -> 11.5, day 2 {7} -> 7 (day 1 has no score).
    medians = [ln.get_ydata()[0] for ln in top.get_lines() if ln.get_color() == "0.1"]
    assert medians == [8.0, 11.0, 14.0, 11.5, 7.0]
    assert [t.get_text() for t in top.get_legend().get_texts()] == ARMS
