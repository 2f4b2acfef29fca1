"""SOFA-2 beside SOFA: the paired scores, their agreement, the re-derived endpoints, and the
spec and data checks that select a version.

The agreement figures are checked against R (``Rscript tests/R/agreement.R``, R 4.2.2,
stats only: Bland-Altman bias and limits from ``mean``/``sd``, ICC(A,1) from the mean squares
of ``aov(score ~ target + rater)``, McGraw & Wong 1996 case 2A). The paired scores and the
re-derived endpoints are checked against :func:`trialkit.sofa.sofa` and
:func:`trialkit.endpoints.analysis_set` run once per version (the brute-force route the
module shortcuts), and the comparison against :func:`trialkit.stats` called directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from trialkit import plots, stats
from trialkit.endpoints import analysis_set
from trialkit.notebook import setup
from trialkit.schema import DataError, load_trial, sofa2_missing
from trialkit.sofa import sofa
from trialkit.sofa_versions import SYSTEM_NAMES, agreement, paired_scores, rederive, system_shifts
from trialkit.spec import SpecError, load_spec

matplotlib.use("Agg")

ROOT = Path(__file__).parents[1]


def gold(n: int, s: float) -> np.ndarray:
    return ((np.arange(1, n + 1) * 0.6180339887498949 + s) % 1).astype(float)


def ints(n: int, s: float, k: int) -> np.ndarray:
    return np.floor(gold(n, s) * k)


# tests/R/agreement.R, verbatim.
R_AGREEMENT = {
    "shift_300": {"bias": -0.506666666666667, "sd": 1.11689168933604, "loa_low": -2.69577437776531, "loa_high": 1.68244104443197, "icc_a1": 0.976126270470992, "identical": 0.25},  # noqa: E501
    "small_7": {"bias": -0.142857142857143, "sd": 1.0690449676497, "loa_low": -2.23818527945055, "loa_high": 1.95247099373626, "icc_a1": 0.959459459459459, "identical": 0.428571428571429},  # noqa: E501
    "wide_1000": {"bias": -0.674, "sd": 2.40447613951678, "loa_low": -5.38677323345288, "loa_high": 4.03877323345288, "icc_a1": 0.940016815958738, "identical": 0.153},  # noqa: E501
}
CASES = {
    "shift_300": (ints(300, 0.1, 20), ints(300, 0.7, 4) - 2),
    "small_7": (np.array([2, 5, 8, 3, 0, 11, 6.0]), np.array([1, 0, 1, 0, 0, -2, -1.0])),
    "wide_1000": (ints(1000, 0.3, 24), ints(1000, 0.45, 9) - 5),
}


@pytest.fixture(scope="module")
def imicro():
    return load_trial(ROOT / "data" / "imicro")


@pytest.fixture(scope="module")
def combat():
    return load_trial(ROOT / "data" / "combat_shine")


@pytest.mark.parametrize("name", sorted(R_AGREEMENT))
def test_agreement_matches_R_aov_icc_and_bland_altman(name):
    x, d = CASES[name]
    y = np.clip(x + d, 0, 24)
    paired = pd.DataFrame({"system": "total", "sofa1": x, "sofa2": y})
    got = agreement(paired).iloc[0]
    want = R_AGREEMENT[name]
    assert got["patient_days"] == len(x)
    assert got["bias"] == pytest.approx(want["bias"], rel=1e-12)
    assert got["sd_difference"] == pytest.approx(want["sd"], rel=1e-12)
    assert got["loa_low"] == pytest.approx(want["loa_low"], rel=1e-12)
    assert got["loa_high"] == pytest.approx(want["loa_high"], rel=1e-12)
    assert got["icc_a1"] == pytest.approx(want["icc_a1"], rel=1e-9)
    assert got["identical"] == pytest.approx(want["identical"], rel=1e-12)


def test_agreement_leaves_out_days_missing_under_either_version():
    paired = pd.DataFrame(
        {
            "system": "total",
            "sofa1": pd.array([1, 2, None, 4], dtype="Int16"),
            "sofa2": pd.array([1, None, 3, 6], dtype="Int16"),
        }
    )
    got = agreement(paired).iloc[0]
    assert got["patient_days"] == 2 and got["bias"] == 1.0 and got["identical"] == 0.5


def test_agreement_of_identical_constant_scores_has_no_icc():
    paired = pd.DataFrame({"system": "total", "sofa1": [3, 3], "sofa2": [3, 3]})
    got = agreement(paired).iloc[0]
    assert got["bias"] == 0 and got["identical"] == 1 and np.isnan(got["icc_a1"])


@pytest.mark.parametrize("trial", ["imicro", "combat"])
def test_paired_scores_are_sofa_of_each_version_with_the_specs_options(trial, request):
    t = request.getfixturevalue(trial)
    paired = paired_scores(t.daily, t.spec)
    options = {k: v for k, v in t.spec.sofa_options.items() if k != "version"}
    systems = [s for s in paired["system"].cat.categories if s != "total"]
    assert ("cns" in systems) == ("cns" not in t.spec.sofa.get("exclude", ()))
    assert len(paired) == len(t.daily) * (len(systems) + 1)
    for version in ("sofa1", "sofa2"):
        scored = sofa(t.daily, version=version, **options)
        for system in [*systems, "total"]:
            mine = paired.loc[paired["system"] == system, version].to_numpy(dtype=float)
            want = scored[f"sofa_{system}"].to_numpy(dtype=float)
            np.testing.assert_array_equal(mine, want, err_msg=f"{version} {system}")
    one = paired[paired["system"] == "total"]
    assert (one["difference"] == one["sofa2"] - one["sofa1"]).all()
    assert (one["patient_id"].to_numpy() == t.daily["patient_id"].to_numpy()).all()


def test_system_shifts_put_the_systems_that_move_most_first_and_the_total_last(imicro):
    shifts = system_shifts(paired_scores(imicro.daily, imicro.spec))
    assert shifts["system"].iloc[-1] == "total"
    changed = 1 - shifts["identical"].iloc[:-1]
    assert changed.is_monotonic_decreasing
    assert set(shifts["system"]) == set(SYSTEM_NAMES) and len(shifts) == 7
    shares = shifts[["higher", "lower", "identical"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


@pytest.mark.parametrize("trial", ["imicro", "combat"])
def test_rederive_equals_each_version_analysed_by_the_specs_analysis(trial, request):
    t = request.getfixturevalue(trial)
    got = rederive(t).set_index(["endpoint", "version"])
    arm_1, arm_2 = t.spec.arms
    for eid in t.spec.with_rule("delta_sofa", "mean_daily_sofa"):
        frames = {}
        for version in ("sofa1", "sofa2"):
            spec = load_spec({**t.spec.raw, "sofa": {**t.spec.raw["sofa"], "version": version}})
            everyone = analysis_set(t, spec)
            flag = spec.populations[spec.population_of(eid)]
            frame = everyone[everyone[flag] == 1]
            frames[version] = frame
            if spec.analysis_of(eid) == "hodges_lehmann":
                x, y = (frame.loc[frame.arm == a, eid].dropna() for a in (arm_1, arm_2))
                want = stats.hodges_lehmann(x, y)
            else:
                opts = spec.endpoints[eid]
                used = frame.dropna(subset=[eid, *opts["covariates"], *opts["factors"]])
                want = stats.adjusted_mean_difference(
                    used, eid, "arm", opts["covariates"], categorical=opts["factors"], arm_1=arm_1
                )
            row = got.loc[(eid, version)]
            for key in ("estimate", "ci_low", "ci_high", "p_value"):
                assert row[key] == pytest.approx(float(want[key].iloc[0]), rel=1e-12), key
            x = frame.loc[frame.arm == arm_1, eid].dropna()
            assert row["median_x"] == x.median() and row["n_x"] == len(x)
            assert row["q3_x"] == pytest.approx(x.quantile(0.75))
        a = frames["sofa1"].set_index("patient_id")[eid]
        b = frames["sofa2"].set_index("patient_id")[eid]
        changed = int((~np.isclose(a, b.loc[a.index], equal_nan=True)).sum())
        assert got.loc[(eid, "sofa1"), "changed"] == changed > 0


def test_rederive_names_the_score_of_each_version(combat):
    got = rederive(combat)
    assert got["score"].tolist() == ["modified SOFA", "modified SOFA-2"]


def test_spec_with_sofa_checks_its_options_and_names_the_score():
    spec = load_spec("imicro")
    assert spec.sofa_version == "sofa1" and spec.score_name == "SOFA"
    two = spec.with_sofa(version="sofa2")
    assert two.sofa_version == "sofa2" and two.score_name == "SOFA-2"
    assert two.sofa["missing"] == spec.sofa["missing"] and spec.sofa_version == "sofa1"
    assert load_spec("combat_shine").with_sofa(version="sofa2").score_name == "modified SOFA-2"
    with pytest.raises(SpecError, match=r"\[sofa\] version: .*'sofa2'"):
        spec.with_sofa(version="sofa3")
    with pytest.raises(SpecError, match="did you mean 'sedation'"):
        spec.with_sofa(sedaton="zero")


@pytest.fixture
def sofa1_folder(tmp_path):
    """The tiny fixture (no SOFA-2 columns) with a spec asking for SOFA-2."""
    folder = tmp_path / "tiny"
    shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", folder)
    return folder


def test_a_folder_without_the_sofa2_columns_says_which_are_missing(sofa1_folder):
    spec = load_spec("imicro")
    load_trial(sofa1_folder, spec)  # SOFA: valid
    with pytest.raises(DataError) as err:
        load_trial(sofa1_folder, spec.with_sofa(version="sofa2"))
    text = str(err.value)
    for column in ("resp_support", "ecmo", "spo2_pct", "vasopressin_u_min", "sedated"):
        assert column in text
    assert "spo2_fallback=False" in text
    daily = pd.read_csv(sofa1_folder / "daily.csv")
    assert sofa2_missing(daily, spec) != [] and sofa2_missing(daily, spec) == err.value.problems


def test_the_sofa2_check_follows_the_options_that_do_without_columns(imicro):
    spec = imicro.spec.with_sofa(version="sofa2")
    assert sofa2_missing(imicro.daily, spec) == []
    lean = imicro.daily.drop(columns=["spo2_pct", "delirium_drug"])
    problems = sofa2_missing(lean, spec)
    assert any("'spo2_pct'" in p and "resp" in p for p in problems)
    assert any("'delirium_drug'" in p and "cns" in p for p in problems)
    assert sofa2_missing(lean, spec.with_sofa(spo2_fallback=False, delirium=False)) == []


def test_setup_scores_the_run_with_the_version_asked_for(tmp_path):
    tk = setup("imicro", out_dir=tmp_path, sofa_version="sofa2")
    assert tk.spec.sofa_version == "sofa2"
    want = analysis_set(tk.data, load_spec("imicro").with_sofa(version="sofa2"))
    assert tk.analysed(quiet=True)["delta_sofa"].equals(
        want[want["mitt"] == 1].reset_index(drop=True)["delta_sofa"]
    )
    with pytest.raises(SpecError, match="version"):
        setup("imicro", out_dir=tmp_path, sofa_version="sofa9")


def test_bland_altman_draws_the_agreement_lines_and_every_day(imicro):
    paired = paired_scores(imicro.daily, imicro.spec)
    agree = agreement(paired)
    fig = plots.bland_altman(paired, agree)
    ax = fig.axes[0]
    levels = sorted(line.get_ydata()[0] for line in ax.get_lines())
    row = agree.iloc[0]
    assert levels == pytest.approx(sorted([row.bias, row.loa_low, row.loa_high, 0.0]))
    sizes = ax.collections[0].get_sizes()
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == len(
        paired.loc[paired.system == "total", ["sofa1", "sofa2"]].drop_duplicates()
    )
    assert sizes.max() == pytest.approx(900.0)
    with pytest.raises(ValueError, match="no patient-day"):
        plots.bland_altman(paired, agree, system="nothing")


def test_score_transitions_cells_are_the_shares_of_days(combat):
    paired = paired_scores(combat.daily, combat.spec)
    fig = plots.score_transitions(paired, names=SYSTEM_NAMES)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 5  # COMBAT-SHINE's modified score: no CNS panel
    one = paired[paired.system == "resp"]
    share = 100 * ((one.sofa1 == 1) & (one.sofa2 == 0)).mean()
    texts = {(round(t.get_position()[1] - 0.5), round(t.get_position()[0] - 0.5)): t.get_text()
             for t in panels[0].texts}  # fmt: skip
    assert texts[(1, 0)] == f"{share:.0f}"
    changed = 100 * (one.sofa1 != one.sofa2).mean()
    assert panels[0].get_title() == f"respiratory: {changed:.0f}% of days change"
