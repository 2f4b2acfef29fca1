"""``trialkit validate DIR``: every problem printed and exit 1, or a summary and exit 0."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from trialkit.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "tiny"


def test_valid_folder_prints_a_summary_and_exits_0(tmp_path, capsys):
    folder = tmp_path / "imicro"
    shutil.copytree(FIXTURE, folder)
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "valid data for I-MICRO" in out
    assert "patients      6 (iloprost 3, placebo 3)" in out
    assert "patient-days  22 daily rows" in out
    assert "events        5 (3 serious)" in out
    assert "deaths        3 (iloprost 2, placebo 1)" in out


def test_trial_option_overrides_the_folder_name(capsys):
    assert main(["validate", str(FIXTURE), "--trial", "combat_shine"]) == 0
    out = capsys.readouterr().out
    assert "valid data for COMBAT-SHINE" in out and "qol           2 rows" in out


def test_broken_folder_prints_every_problem_numbered_and_exits_1(tmp_path, capsys):
    folder = tmp_path / "imicro"
    shutil.copytree(FIXTURE, folder)
    text = (folder / "daily.csv").read_text().splitlines()
    text[1] = text[1].replace("P01,0,88,0.6,", "P01,0,88,60,")  # FiO2 in percent
    text[2] = text[2].replace("P01,1,", "P42,1,")  # never randomized
    (folder / "daily.csv").write_text("\n".join(text) + "\n")
    (folder / "events.csv").unlink()
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{folder}: 3 problems found"
    numbered = [line for line in out[1:] if re.match(r"^\d+\. ", line)]
    assert len(numbered) == 3 == len(out) - 1
    assert numbered[0].startswith("1. daily.csv, column fio2, line 2:")
    assert numbered[1].startswith("2. daily.csv, column patient_id, line 3:")
    assert numbered[2].startswith("3. events.csv: file missing")


def test_unknown_folder_name_exits_1_with_the_known_specs(capsys):
    assert main(["validate", str(FIXTURE)]) == 1
    out = capsys.readouterr().out
    assert "not a known spec" in out and "combat_shine" in out and "imicro" in out
