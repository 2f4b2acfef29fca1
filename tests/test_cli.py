"""The trialkit command as a user meets it: version, python -m, help, init, simulate, and a
one-line message with exit 2 (never a traceback) for every user error."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trialkit import __version__
from trialkit.cli import main
from trialkit.schema import load_trial
from trialkit.spec import load_spec

THIRD = Path(__file__).parent / "fixtures" / "third_trial"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trialkit", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)  # fmt: skip


def test_version_and_python_m(tmp_path):
    done = _run("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"trialkit {__version__}"


@pytest.mark.parametrize(
    "command", [[], ["init"], ["validate"], ["simulate"], ["report"], ["sweep"], ["design-sim"]]
)
def test_every_subcommand_has_plain_text_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: trialkit")
    if command == ["report"]:
        # the parameters -p accepts, with their types, defaults and notebooks
        assert (
            "death_rule: 'worst' | 'last' | 'exclude' | None, default None (02_delta_sofa)" in out
        )
        assert "--notebooks DIR" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no/such/folder"], "trialkit validate: no/such/folder: no such folder"),
        (["validate", ".", "--trial", "nosuch"], "no spec for trial 'nosuch'"),
        (["simulate", "--trial", "imicro", "--out", "/proc/x"], "cannot write the data folder"),
        (["simulate", "--trial", "nosuch", "--out", "x"], "no spec for trial 'nosuch'"),
        (["simulate", "--trial", "imicro", "--out", "x", "--patients", "2"], "at least 4"),
        (["report", "--trial", "imicro", "--data", "no/such"], "data folder no/such does not"),
        (["report", "--trial", "imikro"], "did you mean 'imicro'"),
        (["report", "--trial", "imicro", "-p", "seed=abc"], "seed takes int"),
        (["report", "--trial", "imicro", "--notebooks", "nowhere"], "notebooks folder nowhere"),
        (["init", "."], "exists and is not empty"),
    ],
)
def test_a_user_error_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "occupied").write_text("x")  # the cwd is not empty, for `init .`
    done = _run(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_bad_spec_file_is_named_with_its_key(tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text((THIRD / "spec.toml").read_text().replace("followup_days", "folowup_days"))
    done = _run("simulate", "--trial", str(spec), "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "[trial] folowup_days: unknown key; did you mean 'followup_days'?" in done.stderr


def test_init_writes_a_valid_starter_that_validate_can_check(tmp_path, capsys):
    folder = tmp_path / "my_trial"
    assert main(["init", str(folder)]) == 0
    spec = load_spec(folder / "spec.toml")
    assert spec.id == "my_trial" and spec.arms == ("experimental", "control")
    header = (folder / "data" / "daily.csv").read_text().strip().split(",")
    assert header[:2] == ["patient_id", "day"] and "bilirubin_mg_dl" in header
    assert "bilirubin_umol_l" not in header  # one column of each either/or pair
    assert "Codebook" in (folder / "data" / "README.md").read_text()
    # the starter's data folder holds headers only: validate names what is missing
    capsys.readouterr()
    assert main(["validate", str(folder / "data"), "--trial", str(folder / "spec.toml")]) == 1
    # and a twin fills it
    assert main(["simulate", "--trial", str(folder / "spec.toml"), "--out",
                 str(folder / "data"), "--force", "--patients", "30"]) == 0  # fmt: skip
    assert main(["validate", str(folder / "data"), "--trial", str(folder / "spec.toml")]) == 0


def test_simulate_refuses_to_overwrite_data_without_force(tmp_path, capsys):
    out = tmp_path / "data"
    args = ["simulate", "--trial", str(THIRD / "spec.toml"), "--out", str(out)]
    assert main([*args, "--patients", "20"]) == 0
    before = (out / "patients.csv").read_bytes()
    assert main([*args, "--patients", "30"]) == 2
    assert "already holds data (patients.csv" in capsys.readouterr().err
    assert (out / "patients.csv").read_bytes() == before
    assert main([*args, "--patients", "30", "--force"]) == 0
    assert (out / "patients.csv").read_bytes() != before


def test_simulate_any_spec_gives_its_arms_horizon_tables_and_flags(tmp_path):
    out = tmp_path / "data"
    assert main(["simulate", "--trial", str(THIRD / "spec.toml"), "--out", str(out),
                 "--patients", "40", "--seed", "3"]) == 0  # fmt: skip
    t = load_trial(out, THIRD / "spec.toml")
    assert set(t.patients["arm"]) == {"drug", "control"} and len(t.patients) == 40
    assert t.patients["last_contact_day"].max() == 60  # the spec's follow-up
    assert "itt" in t.patients.columns  # the spec's own population flag
    assert set(t.tables) == {"labs"} and "crp_mg_l" in t.tables["labs"].columns
    readme = (out / "README.md").read_text()
    assert "ALPHA-SHOCK — SYNTHETIC data" in readme and "no treatment effect" in readme


def test_simulate_with_targets_meets_the_counts_and_says_what_it_misses(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["simulate", "--trial", str(THIRD / "spec.toml"), "--out", str(out),
                 "--targets", str(THIRD / "targets.csv"), "--seeds", "5"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    # targets.csv: deaths by day 28 14/12 and by day 60 18/16, met exactly by conditioning;
    # a mean daily modified SOFA median of 30 is beyond the score's maximum of 20
    assert re.search(r"calibration: \d of 7 targets met \(seed \d\)", printed)
    assert "not met: msofa_median_drug (median of msofa_d5, drug): target 30" in printed
    table = pd.read_csv(out / "calibration.csv").set_index("id")
    assert table.loc[table.index.str.startswith("deaths_"), "met"].eq(1).all()
    assert table.loc["msofa_median_drug", "met"] == 0
    t = load_trial(out, THIRD / "spec.toml")
    dead = t.patients.assign(d28=t.patients["death_day"].astype(float) <= 28,
                             d60=t.patients["death_day"].astype(float) <= 60)  # fmt: skip
    assert dead.groupby("arm")["d28"].sum().to_dict() == {"control": 12, "drug": 14}
    assert dead.groupby("arm")["d60"].sum().to_dict() == {"control": 16, "drug": 18}
