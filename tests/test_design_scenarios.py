"""trialkit.design.scenarios and ``trialkit design-sim``: a design simulation from the spec.

References: the defaults are the spec's own numbers (trialkit/specs/combat_shine.toml
[design]: 380, interim 200, two-sided alpha 0.05, 20% of 6.68); the simulated rejection rate
of a design without a futility stop is checked against its normal-theory power (the
``analytic_power`` column: ``boundary_crossing``, itself checked against rpact in
tests/test_design.py) and against R's ``power.t.test`` for the fixed design it equals:
``power.t.test(n = 190, delta = 1.336, sd = 3.96, sig.level = 0.05)$power`` = 0.9066
(tests/R/design_sim.R). The numbers for one and two workers are the same by the seeding contract
(tests/test_distributed.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialkit.cli import main
from trialkit.design.operating import normal_outcomes, simulate_operating_characteristics
from trialkit.design.scenarios import (
    Rule,
    design_simulation,
    read_scenarios,
    simulate_design,
    with_rules,
)
from trialkit.distributed import open_client
from trialkit.spec import SpecError

THIRD = Path(__file__).parent / "fixtures" / "third_trial" / "spec.toml"


def test_defaults_are_the_spec_design():
    d = design_simulation("combat_shine")
    assert (d.n, d.interim_n, d.alpha, d.mean, d.sd) == (380, 200, 0.025, 6.68, 3.96)
    assert d.effects == pytest.approx((0.0, -0.668, -1.002, -1.336))
    assert math.copysign(1, d.effects[0]) == 1  # 0, not -0
    assert [r.name for r in d.rules] == ["no futility stop", "Z < 0"]
    assert d.generator == "normal" and d.trials_per_block is None
    twin = design_simulation("combat_shine", generator="twin")
    assert twin.effects == (0.0,) and twin.trials_per_block == 25


def test_a_spec_effect_is_taken_as_the_difference_to_detect():
    # tests/fixtures/third_trial/spec.toml: effect = 1.5, planned 80, interim 40
    d = design_simulation(THIRD)
    assert (d.n, d.interim_n) == (80, 40)
    assert d.effects == pytest.approx((0.0, -0.75, -1.125, -1.5))
    assert design_simulation(THIRD, benefit="higher").effects[-1] == pytest.approx(1.5)


def test_every_rule_is_the_operating_characteristics_of_that_rule():
    d = design_simulation("combat_shine", n_sims=400, seed=3, effects=[0.0, -1.336])
    oc = simulate_design(d, progress=False)
    assert oc["rule"].tolist() == ["no futility stop"] * 2 + ["Z < 0"] * 2
    assert oc["quantity"].tolist() == ["type I error", "power"] * 2
    direct = simulate_operating_characteristics(
        [0.0, -1.336], n_per_arm=190, interim_per_arm=100, futility_z=0.0,
        final_z=oc["final_z"].iloc[0], alternative="less",
        generator=normal_outcomes(6.68, 3.96), n_sims=400, seed=3, progress=False,
    )  # fmt: skip
    cols = ["estimate", "p_stop_futility", "expected_n"]
    pd.testing.assert_frame_equal(oc.iloc[2:][cols].reset_index(drop=True), direct[cols])
    assert oc["final_z"].iloc[0] == pytest.approx(1.959964, abs=1e-6)


def test_simulated_power_without_a_stop_is_the_fixed_design_power_of_r():
    # R: power.t.test(n = 190, delta = 1.336, sd = 3.96, sig.level = 0.05)$power = 0.9066
    d = design_simulation("combat_shine", n_sims=20_000, seed=11, effects=[-1.336],
                          rules=[Rule("none")])  # fmt: skip
    row = simulate_design(d, progress=False).iloc[0]
    assert row["ci_low"] < 0.9066 < row["ci_high"]
    assert row["analytic_power"] == pytest.approx(0.9066, abs=0.002)


def test_one_and_two_workers_give_the_same_numbers():
    d = design_simulation("combat_shine", n_sims=600, seed=5, trials_per_block=100)
    with open_client(workers=1, processes=False) as one:
        a = simulate_design(d, client=one, progress=False)
    with open_client(workers=2, processes=False) as two:
        b = simulate_design(d, client=two, progress=False, blocks_per_task=1)
    pd.testing.assert_frame_equal(a, b)


def test_the_twin_generator_runs_the_trial_patient_by_patient():
    d = design_simulation("combat_shine", generator="twin", n_sims=4, trials_per_block=2,
                          rules=[Rule("none")])  # fmt: skip
    oc = simulate_design(d, progress=False)
    assert oc["generator"].iloc[0] == "twin outcomes (mean_sofa)"
    assert oc["n_sims"].iloc[0] == 4 and np.isnan(oc["analytic_power"].iloc[0])


def test_with_rules_names_each_futility_bound():
    d = with_rules(design_simulation("combat_shine"), [-math.inf, 0.0, -0.5])
    assert [(r.name, r.futility_z) for r in d.rules] == [
        ("no futility stop", -math.inf), ("Z < 0", 0.0), ("Z < -0.5", -0.5)]  # fmt: skip


def test_a_scenario_file_is_read_and_checked_key_by_key(tmp_path):
    good = tmp_path / "s.toml"
    good.write_text('generator = "normal"\nn_sims = 50\neffects = [0.0, -1]\n'
                    '[[rules]]\nname = "CP"\nfutility_z = -0.3\ninterim_efficacy_z = inf\n',
                    encoding="utf-8")  # fmt: skip
    d = read_scenarios(good, "combat_shine")
    assert d.n_sims == 50 and d.effects == (0.0, -1.0)
    assert d.rules == (Rule("CP", futility_z=-0.3),)
    # options (the command line's) over the file's keys, the rest from the file
    over = read_scenarios(good, "combat_shine", n_sims=7, generator="twin")
    assert (over.n_sims, over.generator, over.effects) == (7, "twin", (0.0, -1.0))
    assert over.trials_per_block == 25 and over.rules == d.rules
    bad = tmp_path / "bad.toml"
    bad.write_text('genrator = "twin"\nn_sims = "many"\nendpoint = "nosuch"\n'
                   '[[rules]]\nfutility_z = 0\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(SpecError) as info:
        read_scenarios(bad, "combat_shine")
    text = "\n".join(info.value.problems)
    assert f"{bad} genrator: unknown key; did you mean 'generator'?" in text
    assert f"{bad} n_sims: must be a whole number" in text
    assert f"{bad} endpoint: must be one of" in text
    assert f"{bad} [[rules]] 1: missing required key 'name'" in text
    with pytest.raises(SpecError, match="no such scenario file"):
        read_scenarios(tmp_path / "none.toml", "combat_shine")


def test_an_undefined_or_impossible_design_names_the_key():
    with pytest.raises(SpecError) as info:
        _no_design()
    assert [p.split(": ", 1)[1] for p in info.value.problems] == [
        "n is not set and the spec's [design] has no planned_n; give n",
        "interim_n is not set and the spec's [design] has no interim_n; give interim_n",
    ]
    # I-MICRO's design has its size only
    with pytest.raises(SpecError, match="has no interim_n; give interim_n"):
        design_simulation("imicro")
    assert design_simulation("imicro", interim_n=118).n == 236
    with pytest.raises(SpecError, match=r"interim_n \(380\) must be at least 4 and below n"):
        design_simulation("combat_shine", interim_n=380)


def _no_design():
    from trialkit.spec import load_spec

    raw = load_spec("imicro").raw
    return design_simulation(load_spec({k: v for k, v in raw.items() if k != "design"}))


def test_cli_design_sim_writes_the_table_and_the_figure(tmp_path, capsys):
    out = tmp_path / "sim"
    code = main(["design-sim", "--trial", "combat_shine", "--n-sims", "300", "--seed", "2",
                 "--effect", "0", "--effect", "-1.336", "--futility-z=-inf", "--futility-z",
                 "0", "--workers", "1", "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "combat_shine: n 380, interim after 200" in printed
    table = pd.read_csv(out / "operating_characteristics.csv")
    assert table["rule"].tolist() == ["no futility stop"] * 2 + ["Z < 0"] * 2
    png = (out / "operating_characteristics.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    first = (out / "operating_characteristics.csv").read_bytes()
    assert main(["design-sim", "--trial", "combat_shine", "--n-sims", "300", "--seed", "2",
                 "--effect", "0", "--effect", "-1.336", "--futility-z=-inf", "--futility-z",
                 "0", "--workers", "2", "--out", str(out)]) == 0  # fmt: skip
    assert (out / "operating_characteristics.csv").read_bytes() == first
    assert (out / "operating_characteristics.png").read_bytes() == png
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--trial", "nosuch"], "no spec for trial 'nosuch'"),
        (["--trial", "imicro"], "the spec's [design] has no interim_n; give interim_n"),
        (["--trial", "combat_shine", "--interim-n", "500"], "interim_n (500) must be"),
        (["--trial", "combat_shine", "--scenarios", "none.toml"], "no such scenario file"),
        (["--trial", "combat_shine", "--endpoint", "x"], "endpoint: must be one of"),
        (["--trial", "combat_shine", "--n-sims", "0"], "n_sims: must be at least 1"),
    ],
)
def test_cli_design_sim_refuses_bad_arguments_in_one_line(tmp_path, capsys, extra, message):
    assert main(["design-sim", *extra, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
