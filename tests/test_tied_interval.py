"""tied_interval_verdict: a Hodges-Lehmann interval around 0 that tied deaths exclude.

The oracle is trialkit.stats.hodges_lehmann (R's wilcox.test(conf.int = TRUE), checked
against R in tests/test_stats_rank.py) on data built to give the widest interval the counts
allow: the verdict says "not reproducible" only where no such data reaches the printed
interval, and "not excluded" where some data does.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trialkit.published import load_published
from trialkit.resources import bundled_data
from trialkit.simulate import figure_plan, twin_params
from trialkit.simulate.agreement import not_reproducible
from trialkit.simulate.compatibility import tied_interval_verdict
from trialkit.spec import load_spec
from trialkit.stats import hodges_lehmann

IMICRO = {"ci_low": -1, "ci_high": 1}


def _arms(rng, n, deaths, shift=0.0, spread=28):
    """Deaths at 0, survivors spread over 1..spread (few ties: the widest interval)."""
    alive = np.clip(np.round(rng.uniform(1, spread, n - deaths) + shift), 1, 28)
    return np.r_[np.zeros(deaths), alive]


def _holds_both_sides(x, y):
    r = hodges_lehmann(x, y).iloc[0]
    return r["ci_low"] <= -0.5 and r["ci_high"] >= 0.5


def test_imicro_vasopressor_free_interval_is_excluded_by_its_tied_deaths():
    v = tied_interval_verdict("vfd", IMICRO, (114, 122), (48, 47)).iloc[0]
    assert v["verdict"] == "not reproducible"
    assert v["tied_pairs"] == 48 * 47
    # sigma_max by hand: 114 * 122 / 12 * (237 - (48^3 - 48 + 47^3 - 47) / (236 * 235))
    assert v["sigma_max"] == pytest.approx(np.sqrt(1159.0 * (237 - 214320 / 55460)), rel=1e-12)
    assert v["max_jump"] == pytest.approx(2 * 1.959963984540054 * v["sigma_max"] + 1, rel=1e-12)


def test_no_data_with_imicros_counts_gives_an_interval_around_zero():
    rng = np.random.default_rng(3)
    for _ in range(300):
        shift = rng.uniform(-4, 4)
        x = _arms(rng, 114, 48, shift, spread=rng.integers(5, 29))
        y = _arms(rng, 122, 47, 0.0, spread=rng.integers(5, 29))
        assert not _holds_both_sides(x, y)


def test_fewer_deaths_allow_an_interval_around_zero_and_the_verdict_says_so():
    v = tied_interval_verdict("vfd", IMICRO, (114, 122), (20, 20)).iloc[0]
    assert v["verdict"] == "not excluded"
    rng = np.random.default_rng(4)
    found = any(_holds_both_sides(_arms(rng, 114, 20), _arms(rng, 122, 20)) for _ in range(50))
    assert found


def test_the_bound_is_the_threshold_of_the_verdict():
    # 45 x 45 = 2,025 pairs against a bound of about 2,041 for these arm sizes; 46 x 46 = 2,116
    below = tied_interval_verdict("f", IMICRO, (114, 122), (45, 45)).iloc[0]
    above = tied_interval_verdict("f", IMICRO, (114, 122), (46, 46)).iloc[0]
    assert below["tied_pairs"] < below["max_jump"] and below["verdict"] == "not excluded"
    assert above["tied_pairs"] > above["max_jump"] and above["verdict"] == "not reproducible"


def test_an_interval_on_one_side_of_zero_is_never_excluded():
    v = tied_interval_verdict("f", {"ci_low": 0, "ci_high": 0}, (114, 122), (48, 47)).iloc[0]
    assert v["verdict"] == "not excluded" and "does not hold shifts" in v["reason"]


@pytest.mark.parametrize(
    ("n", "tied", "message"),
    [((0, 10), (0, 0), "n must be a positive"), ((10, 10), (11, 0), "exceeds the arm sizes"),
     ((10, 10), (-1, 0), "tied must be whole numbers")],
)  # fmt: skip
def test_bad_arguments_are_named(n, tied, message):
    with pytest.raises(ValueError, match=message):
        tied_interval_verdict("f", IMICRO, n, tied)


def test_imicros_fit_report_marks_only_the_vasopressor_free_interval():
    spec = load_spec("imicro")
    pub = load_published(bundled_data("imicro"))
    why = not_reproducible(spec, figure_plan(spec, pub), pub["figures"], twin_params(spec))
    assert "vaso_free_d28_difference" in why and "2,256 pairs" in why["vaso_free_d28_difference"]
    assert "vent_free_d28_difference" not in why and "rrt_free_d28_difference" not in why


def test_imicros_published_note_states_the_derived_numbers():
    # the note beside the figure in the report quotes the verdict: it cannot go stale
    pub = load_published(bundled_data("imicro"))
    fig = pub["figures"]["vaso_free_d28_difference"]
    v = tied_interval_verdict("vfd", fig, (114, 122), (48, 47)).iloc[0]
    assert f"{int(v['tied_pairs']):,} tied pairs" in fig["note"]
    assert f"more than the {v['max_jump']:,.0f} any interval" in fig["note"]


@pytest.mark.parametrize(
    ("trial", "excluded"),
    [
        ("imicro", ["death_d28_rr", "vaso_free_d28_difference"]),
        ("combat_shine", ["death_d28_rr", "death_d90_rr"]),
    ],
)
def test_the_data_and_the_twins_parameters_exclude_the_same_figures(trial, excluded):
    # The bundled twins are conditioned on the published death counts, so the arithmetic on
    # their data (what the report runs) and on their parameters (the fit report's) must agree.
    from trialkit.schema import load_trial
    from trialkit.simulate import not_reproducible_from_data

    folder = bundled_data(trial)
    spec, published = load_spec(trial), load_published(folder)
    from_data = not_reproducible_from_data(spec, published, load_trial(folder, spec=trial))
    params = twin_params(trial)
    from_twin = not_reproducible(spec, figure_plan(spec, published), published["figures"], params)
    assert sorted(from_data) == excluded
    assert from_data == from_twin
    assert all(reason.startswith("not reproducible: ") for reason in from_data.values())


def test_tied_deaths_come_from_the_data_not_from_the_publication():
    # With I-MICRO's published figures but data in which only 20 patients of each arm died
    # by day 28, the vasopressor-free interval around 0 is no longer excluded.
    from trialkit.schema import load_trial
    from trialkit.simulate import not_reproducible_from_data

    folder = bundled_data("imicro")
    data = load_trial(folder, spec="imicro")
    patients = data.patients.copy()
    dead = patients.index[patients["death_day"].le(28).fillna(False).to_numpy()]
    keep = set()
    for arm in data.spec.arms:
        keep |= set(patients.loc[dead][patients.loc[dead, "arm"] == arm].index[:20])
    revived = [i for i in dead if i not in keep]
    patients.loc[revived, "death_day"] = np.nan
    data = dataclasses.replace(data, patients=patients)
    why = not_reproducible_from_data(data.spec, load_published(folder), data)
    assert "vaso_free_d28_difference" not in why
    assert "death_d28_rr" in why  # judged on the published counts alone
