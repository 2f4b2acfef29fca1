"""Tests for trialkit.design.plots: each figure draws exactly the numbers it is given.

The design figures compute nothing (sample sizes, bounds and operating characteristics are
tested against R in tests/test_design.py), so these tests read the drawn lines back and
compare them with the frames passed in.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from trialkit.design import group_sequential, sample_size_means
from trialkit.design.plots import (
    boundaries_plot,
    operating_characteristics_plot,
    sample_size_sensitivity,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax) -> dict[str, np.ndarray]:
    return {ln.get_label(): np.asarray(ln.get_xydata()) for ln in ax.get_lines()}


def test_sample_size_sensitivity_draws_each_panel_and_hue():
    sd = np.array([3.5, 3.96, 4.5])
    by_sd = sample_size_means(1.336, sd).assign(sd=sd)
    rel = np.array([0.15, 0.2, 0.25])
    by_rel = pd.concat(
        [
            sample_size_means(r * 6.68, s).assign(relative_reduction=r, sd_assumed=s)
            for s in (3.89, 3.96)
            for r in rel
        ]
    )
    fig = sample_size_sensitivity(
        {"sd": by_sd, "relative_reduction": by_rel.rename(columns={"sd_assumed": "h"})},
        planned_n=380,
        reference={"sd": 3.96},
    )
    assert len(fig.axes) == 2
    first = fig.axes[0].get_lines()[0].get_xydata()
    np.testing.assert_allclose(first[:, 0], sd)
    np.testing.assert_allclose(first[:, 1], by_sd["n_total"])
    assert 372 in first[:, 1]  # the reconstructed COMBAT-SHINE n at SD 3.96
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert "planned 380" in labels and "base case" in labels


def test_sample_size_sensitivity_hue_gives_one_line_per_level():
    rel = np.array([0.15, 0.2, 0.25])
    frame = pd.concat(
        [
            sample_size_means(r * 6.68, s).assign(relative_reduction=r)
            for s in (3.89, 3.96)
            for r in rel
        ]
    )
    fig = sample_size_sensitivity({"relative_reduction": frame}, hue="sd")
    lines = _lines(fig.axes[0])
    assert set(lines) == {"sd = 3.89", "sd = 3.96"}
    np.testing.assert_allclose(lines["sd = 3.96"][:, 1], frame.loc[frame.sd == 3.96, "n_total"])


def test_sample_size_sensitivity_names_a_missing_column():
    with pytest.raises(ValueError, match=r"panel 'sd'.*missing column\(s\) \['sd'\]"):
        sample_size_sensitivity({"sd": pd.DataFrame({"n_total": [1]})})
    with pytest.raises(ValueError, match="at least one panel"):
        sample_size_sensitivity({})


def test_boundaries_plot_draws_finite_bounds_only():
    obf = group_sequential([200 / 380, 1], futility=[0.0]).assign(design="OBF")
    none = group_sequential([200 / 380, 1]).assign(design="no futility")
    fig = boundaries_plot(pd.concat([obf, none]), observed=(0.5, 0.3), n_max=380)
    lines = _lines(fig.axes[0])
    np.testing.assert_allclose(lines["OBF: efficacy"][:, 1], obf["efficacy_z"])
    # the futility bound is drawn at the interim only (at the end it equals the efficacy bound)
    np.testing.assert_allclose(lines["OBF: futility"], [[200 / 380, 0.0]])
    assert "no futility: futility" not in lines  # -inf is "no bound", not drawn
    np.testing.assert_allclose(lines["observed interim"], [[0.5, 0.3]])


def test_boundaries_plot_keeps_a_lone_final_critical_value_out_of_the_legend():
    futility_only = pd.DataFrame(
        {
            "design": ["Z < 0", "Z < 0"],
            "info_rate": [0.5, 1.0],
            "efficacy_z": [np.inf, 1.96],
            "futility_z": [0.0, 1.96],
        }
    )
    fig = boundaries_plot(futility_only)
    lines = _lines(fig.axes[0])
    np.testing.assert_allclose(lines["_final_only"], [[1.0, 1.96]])  # drawn, not in the legend
    np.testing.assert_allclose(lines["Z < 0: futility"], [[0.5, 0.0]])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Z < 0: futility"]


def test_operating_characteristics_plot_reads_back():
    oc = pd.DataFrame(
        {
            "rule": ["none", "none", "z < 0", "z < 0"],
            "effect": [0.0, -1.3, 0.0, -1.3],
            "estimate": [0.025, 0.9, 0.024, 0.89],
            "ci_low": [0.02, 0.88, 0.02, 0.87],
            "ci_high": [0.03, 0.92, 0.03, 0.91],
            "p_stop_futility": [0.0, 0.0, 0.5, 0.01],
            "expected_n": [380.0, 380.0, 290.0, 378.0],
        }
    )
    fig = operating_characteristics_plot(oc, alpha=0.025)
    stop = _lines(fig.axes[1])["z < 0"]
    np.testing.assert_allclose(stop, [[-1.3, 0.01], [0.0, 0.5]])  # sorted by effect
    np.testing.assert_allclose(_lines(fig.axes[2])["none"][:, 1], [380, 380])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['expected_n'\]"):
        operating_characteristics_plot(oc.drop(columns="expected_n"))
