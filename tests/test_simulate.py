"""Synthetic twins: regeneration byte for byte, calibration targets, schema validity, and the
internal consistency of the generated raw values.

The targets are the published figures of /work/shared/reference/trials.md (I-MICRO [A],
COMBAT-SHINE [C2, C4]), also listed in data/<trial>/published.toml; they are not computed
here by any reference implementation but read off the publications.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialkit.cli import main
from trialkit.endpoints import analysis_set
from trialkit.schema import codebook_markdown, load_trial
from trialkit.simulate import (
    bundled_targets,
    calibration_table,
    codebook,
    read_twin_file,
    simulate_endpoints,
    twin,
    twin_params,
    write_twin,
)
from trialkit.sofa import sofa
from trialkit.spec import SpecError

DATA = Path(__file__).resolve().parent.parent / "data"
TRIALS = ["imicro", "combat_shine"]
TABLES = {
    "imicro": ["patients.csv", "daily.csv", "events.csv"],
    "combat_shine": ["patients.csv", "daily.csv", "events.csv", "biomarkers.csv", "qol.csv"],
}


@pytest.fixture(scope="module", params=TRIALS)
def bundled(request):
    return load_trial(DATA / request.param)


@pytest.mark.parametrize("trial", TRIALS)
def test_write_twin_with_the_bundled_seed_regenerates_the_files_byte_for_byte(trial, tmp_path):
    write_twin(trial, tmp_path)
    for name in TABLES[trial]:
        assert (tmp_path / name).read_bytes() == (DATA / trial / name).read_bytes(), name


def test_cli_simulate_with_a_seed_writes_a_loadable_folder(tmp_path, capsys):
    assert main(["simulate", "--trial", "imicro", "--seed", "5", "--out", str(tmp_path)]) == 0
    t = load_trial(tmp_path, "imicro")
    assert len(t.patients) == 240
    assert (tmp_path / "daily.csv").read_bytes() != (DATA / "imicro" / "daily.csv").read_bytes()


def test_bundled_data_passes_load_trial_and_keeps_every_table(bundled):
    spec = bundled.spec
    assert set(bundled.tables) == set(spec.tables)
    assert set(bundled.patients["arm"]) == set(spec.arms)


def test_bundled_realisation_meets_every_count_target_exactly(bundled):
    # The counts (patients, deaths, serious events) are conditioned on: met exactly. The
    # distributional targets of the earlier hand calibration are not required any more: the
    # twin is fitted to published.toml by `trialkit calibrate`, and fit_report.md (checked
    # in test_calibration.py) gives each published number's verdict and reason.
    tab = calibration_table(bundled)
    counts = tab[tab["tolerance"] == 0]
    assert len(counts) >= 5
    missed = counts.loc[~counts["met"], ["id", "target", "realised"]]
    assert missed.empty, f"count targets missed:\n{missed}"
    assert len(tab) == len(bundled_targets(bundled.spec))


def test_calibration_csv_is_the_table_recomputed_from_the_files(bundled):
    from trialkit.simulate import formatted_calibration

    tab = calibration_table(bundled)
    tab["met"] = tab["met"].astype(int)
    expected = formatted_calibration(tab).to_csv(index=False, lineterminator="\n")
    assert (DATA / bundled.spec.id / "calibration.csv").read_text() == expected


@pytest.mark.parametrize("trial", TRIALS)
def test_codebook_readme_is_current_and_says_synthetic(trial):
    # Every column the schema documents is in the bundled codebook (exact text may lag the
    # schema's wording; regenerate with trialkit.simulate.write_bundle).
    text = (DATA / trial / "README.md").read_text(encoding="utf-8")
    columns = [
        ln.split("`")[1] for ln in codebook_markdown(trial).splitlines() if ln.startswith("| `")
    ]
    assert columns and all(f"`{c}`" in text for c in columns)
    assert "SYNTHETIC" in text and f"trialkit simulate --trial {trial}" in text
    assert codebook(trial).startswith(text[:1500])


@pytest.mark.parametrize("trial", TRIALS)
def test_readme_says_how_many_seeds_the_bundled_seed_was_chosen_among(trial):
    # The README's "the one of seeds 1-N" is the twin file's [readme] seeds_searched, and
    # the twin file's comment above the seed names the same range.
    path = DATA / trial / "twin.toml"
    params, readme = read_twin_file(path)
    n = readme["seeds_searched"]
    assert 1 <= params["seed"] <= n
    assert f"the seed ({params['seed']}) is the one of seeds 1-{n} whose" in " ".join(
        (DATA / trial / "README.md").read_text(encoding="utf-8").split()
    )
    assert re.search(rf"--seeds {n}\b", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("readme", "message"),
    [
        ("seeds_searched = 0", r"\[readme\] seeds_searched = 0: give the number of seeds"),
        ("seeds_searched = true", r"seeds_searched = True: give the number"),
        ('seeds_searched = "4000"', r"seeds_searched = '4000': give the number"),
        ("finding = 3", r"\[readme\] finding: give a string"),
        ("seed_searched = 40", r"\[readme\] seed_searched: unknown key \(known: finding, seeds_"),
    ],
)
def test_twin_file_readme_keys_are_checked(tmp_path, readme, message):
    path = tmp_path / "twin.toml"
    path.write_text(f"[params]\nseed = 3\n\n[readme]\n{readme}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        read_twin_file(path)
    path.write_text("[params]\nseed = 3\n\n[readme]\nseeds_searched = 40\n", encoding="utf-8")
    assert read_twin_file(path) == ({"seed": 3}, {"seeds_searched": 40})


def test_imicro_published_counts_are_exact():
    # [A]: 240 randomized, 236 analysed; derived split 114/122; deaths 48/47; SAE 17/8.
    t = load_trial(DATA / "imicro")
    a = analysis_set(t)
    mitt = a[a["mitt"] == 1]
    assert len(a) == 240
    assert mitt.groupby("arm").size().to_dict() == {"iloprost": 114, "placebo": 122}
    assert mitt.groupby("arm")["death_d28"].sum().to_dict() == {"iloprost": 48, "placebo": 47}
    assert mitt.groupby("arm")["sae"].sum().to_dict() == {"iloprost": 17, "placebo": 8}
    excluded = t.patients[t.patients["mitt"] == 0]
    assert len(excluded) == 4 and (excluded["exclusion_reason"] != "").all()


def test_combat_shine_published_counts_are_exact():
    # [C2]: 279 randomized (142/137), 278 analysed (142/136).
    t = load_trial(DATA / "combat_shine")
    p = t.patients
    assert p.groupby("arm").size().to_dict() == {"iloprost": 142, "placebo": 137}
    assert p[p["mitt"] == 1].groupby("arm").size().to_dict() == {"iloprost": 142, "placebo": 136}
    assert (p["thrombomodulin_ng_ml"] > 10).all()


def _consistency_problems(t) -> list[str]:
    d = t.daily
    problems = []
    ratio = d["pao2_mmhg"] / d["fio2"]
    if ((ratio < 200) & (d["mech_vent"] == 0)).any():
        problems.append("PaO2/FiO2 < 200 without ventilation")
    rrt = d["rrt"] == 1
    if (d.loc[rrt, "creatinine_mg_dl"] < 5).any() or (d.loc[rrt, "urine_ml_24h"] >= 200).any():
        problems.append("RRT without a high creatinine and oliguria")
    dose = d[["norepinephrine_ug_kg_min", "epinephrine_ug_kg_min", "dopamine_ug_kg_min"]]
    if ((dose.sum(axis=1) > 0) != (d["vasopressor"] == 1)).any():
        problems.append("vasopressor flag disagrees with the doses")
    if ((d["vasopressor"] == 0) & (d["map_mmhg"] < 55)).any():
        problems.append("MAP below 55 mmHg without a vasopressor")
    p = t.patients.set_index("patient_id")
    last = d.groupby("patient_id")["day"].agg(["min", "max", "count"])
    if not (last["min"] == 0).all() or not (last["count"] == last["max"] + 1).all():
        problems.append("daily rows do not run from day 0 without gaps")
    end = p["death_day"].where(p["icu_discharge_day"].isna(), p["icu_discharge_day"])
    end = end.fillna(p["last_contact_day"])
    if (last["max"] > end.reindex(last.index)).any():
        problems.append("daily rows after death or discharge")
    ev = t.events.join(p["last_contact_day"], on="patient_id")
    if (ev["day"] > ev["last_contact_day"]).any():
        problems.append("events after last contact")
    return problems


def test_raw_values_agree_with_each_other_and_with_organ_support(bundled):
    assert _consistency_problems(bundled) == []


def test_deaths_in_icu_are_preceded_on_average_by_rising_sofa(bundled):
    spec = bundled.spec
    d = sofa(bundled.daily, exclude=tuple(spec.sofa.get("exclude", ())))
    p = bundled.patients
    icu_deaths = p[p["death_day"].notna() & p["icu_discharge_day"].isna()]
    icu_deaths = icu_deaths[icu_deaths["death_day"] >= 3]
    d = d.merge(icu_deaths[["patient_id", "death_day"]], on="patient_id")
    at = d[d["day"] == d["death_day"]].set_index("patient_id")["sofa_total"]
    before = d[d["day"] == d["death_day"] - 3].set_index("patient_id")["sofa_total"]
    assert len(at) > 20
    assert (at - before.reindex(at.index)).astype(float).mean() > 1


def test_combat_shine_extra_tables_follow_the_design():
    t = load_trial(DATA / "combat_shine")
    bio, qol, p = t.tables["biomarkers"], t.tables["qol"], t.patients
    assert set(bio["day"]) <= {0, 1, 2, 3}
    day0 = bio[bio["day"] == 0].set_index("patient_id")["thrombomodulin_ng_ml"]
    assert np.allclose(day0, p.set_index("patient_id").loc[day0.index, "thrombomodulin_ng_ml"])
    q = qol.join(p.set_index("patient_id")["death_day"], on="patient_id")
    assert set(q["day"]) == {28, 90}
    assert not (q["death_day"] <= q["day"]).any(), "quality of life recorded after death"
    assert q["eq5d_index"].between(-0.757, 1).all()


def test_same_seed_same_trial_and_other_seed_other_trial():
    a, b, c = twin("imicro", 11), twin("imicro", 11), twin("imicro", 12)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert not a.daily.equals(c.daily)


def test_treatment_effect_is_explicit_and_null_is_valid():
    big = dict(randomized=(300, 300), seed=3)
    null = analysis_set(twin("imicro", effect_sofa=0.0, effect_death_log_or=0.0, **big))
    harm = analysis_set(twin("imicro", effect_sofa=4.0, effect_death_log_or=0.0, **big))

    def diff(a: pd.DataFrame) -> float:
        m = a.groupby("arm")["mean_sofa"].mean()
        return float(m["iloprost"] - m["placebo"])

    assert abs(diff(null)) < 0.8
    # 4 latent points by day 7 average about 2.3 over days 1-7; the SOFA ceiling of organs
    # already failing and earlier deaths attenuate the observed shift further.
    assert diff(harm) - diff(null) > 0.8


def test_simulate_endpoints_is_analysis_set_of_the_twin_in_memory():
    fast = simulate_endpoints("combat_shine", 9, randomized=(30, 30))
    slow = analysis_set(twin("combat_shine", 9, randomized=(30, 30)))
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["death_d90"].notna().all()


def test_changing_arm_sizes_drops_the_conditioning_on_published_counts():
    p = twin_params("imicro", randomized=(20, 20))
    assert p.condition is False and p.exclusions == ()
    t = twin("imicro", 1, randomized=(20, 20))
    assert len(t.patients) == 40 and (t.patients["mitt"] == 1).all()


def test_impossible_conditioning_names_the_count():
    with pytest.raises(ValueError, match="deaths by day 28"):
        twin("imicro", 1, randomized=(20, 20), exclusions=(), condition=True)


def test_unknown_scenario_parameter_is_named():
    with pytest.raises(TypeError, match="effect_sofaa"):
        twin("imicro", 1, effect_sofaa=1.0)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    trial=st.sampled_from(TRIALS),
    n=st.integers(2, 25),
)
def test_any_seed_gives_schema_valid_consistent_data(seed, trial, n):
    with tempfile.TemporaryDirectory() as tmp:
        write_twin(trial, tmp, seed=seed, randomized=(n, n + 1))
        t = load_trial(tmp, trial)
    assert len(t.patients) == 2 * n + 1
    assert _consistency_problems(t) == []


# -- the twin as the outcome generator of a design's operating characteristics -------------


def test_twin_outcomes_sets_the_scenario_effect_and_nulls_every_other(monkeypatch):
    import trialkit.simulate.draws as sim

    seen = {}
    real = sim.twin

    def spy(spec, seed=None, **scenario):
        seen.update(scenario)
        return real(spec, seed, **scenario)

    monkeypatch.setattr(sim, "twin", spy)
    draw = sim.twin_outcomes("combat_shine", "mean_sofa")
    x, y = draw(np.random.default_rng(3), -1.5, 2, 10)
    assert x.shape == y.shape == (2, 10)
    assert seen["effect_sofa"] == -1.5
    # the calibrated COMBAT-SHINE twin has a non-zero death effect: a null scenario must not
    assert sim.twin_params("combat_shine").effect_death_log_or != 0
    assert seen["effect_death_log_or"] == 0 and seen["effect_sae_log_or"] == 0
    assert seen["condition"] is False and seen["exclusions"] == ()


def test_twin_outcomes_is_seeded_by_the_simulation_rng():
    from trialkit.simulate import twin_outcomes

    draw = twin_outcomes("imicro", "delta_sofa")
    a = draw(np.random.default_rng(11), 0.0, 3, 8)
    b = draw(np.random.default_rng(11), 0.0, 3, 8)
    c = draw(np.random.default_rng(12), 0.0, 3, 8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_a_large_sofa_effect_moves_the_experimental_arm_the_right_way():
    from trialkit.simulate import twin_outcomes

    draw = twin_outcomes("combat_shine", "mean_sofa")
    x, y = draw(np.random.default_rng(5), -6.0, 1, 1000)
    null_x, null_y = draw(np.random.default_rng(5), 0.0, 1, 1000)
    # effect_sofa is on the latent scale (about 0.2 points of mean daily modified SOFA per
    # unit, measured at 2,000 per arm): -6 gives about -1.1 against an SE of about 0.2
    assert x.mean() - y.mean() < -0.6
    assert abs(null_x.mean() - null_y.mean()) < 0.6


def test_design_operating_characteristics_driven_by_the_twin():
    from trialkit.design import simulate_operating_characteristics
    from trialkit.simulate import twin_outcomes

    oc = simulate_operating_characteristics(
        [0.0, -10.0],
        n_per_arm=150,
        interim_per_arm=75,
        futility_z=0.0,
        alternative="less",
        generator=twin_outcomes("combat_shine", "mean_sofa"),
        n_sims=40,
        seed=2,
        progress=False,
    )
    assert oc["effect"].tolist() == [0.0, -10.0]
    assert oc["n_sims"].tolist() == [40, 40]
    # the twin has no analytic counterpart
    assert oc["analytic_power"].isna().all()
    # -10 on the latent scale is about -1.7 points (SD about 5): power about 0.8 at 150 per
    # arm, against 0.025 under the null
    assert oc["estimate"].iloc[1] > oc["estimate"].iloc[0] + 0.3
