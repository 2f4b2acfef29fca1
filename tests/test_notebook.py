"""trialkit.notebook: the recording and assumption helpers every analysis notebook shares."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from trialkit.notebook import Recorder, show_assumptions
from trialkit.published import load_published
from trialkit.spec import load_spec

DATA = "data/imicro"


@pytest.fixture
def keep(tmp_path):
    return Recorder(tmp_path, load_spec("imicro"), load_published(DATA))


def test_a_count_is_recorded_beside_its_published_figure(keep, tmp_path):
    # data/imicro/published.toml: 240 randomized [A]
    shown = keep("n_randomized", "Patients randomized", 240, "randomized", arms=("", ""))
    assert shown["verdict"].item() == "agrees"
    written = pd.read_csv(tmp_path / "imicro" / "results" / "n_randomized.csv")
    assert written["estimate"].item() == 240
    assert written["published_estimate"].item() == 240


def test_a_published_id_the_folder_lacks_is_recorded_as_not_published(keep, tmp_path):
    shown = keep("x", "Something new", 3.0, "no.such.figure")
    assert shown["verdict"].item() == "not published"
    written = pd.read_csv(tmp_path / "imicro" / "results" / "x.csv")
    assert written[["arm_1", "arm_2"]].iloc[0].tolist() == ["iloprost", "placebo"]


def test_an_estimate_frame_keeps_its_interval(keep, tmp_path):
    res = pd.DataFrame({"estimate": [1.0], "ci_low": [0.0], "ci_high": [3.0], "p_value": [0.12]})
    keep("d", "Median difference", res)
    written = pd.read_csv(tmp_path / "imicro" / "results" / "d.csv")
    assert written[["estimate", "ci_low", "ci_high", "p_value"]].iloc[0].tolist() == [1, 0, 3, 0.12]


def test_show_assumptions_quotes_each_known_id_and_skips_unknown(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    show_assumptions(load_spec("imicro"), "imicro-delta-death", "not-an-assumption")
    assert len(shown) == 1
    assert shown[0].startswith("> **Assumption `imicro-delta-death`.**")


# -- what every committed analysis notebook must be (nbval re-checks the outputs) ----------

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].joinpath("notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_parameterized_declared_and_fixed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters` (papermill)"
    params = "".join(tagged[0]["source"])
    for name in ("trial", "data_dir", "out_dir"):
        assert re.search(rf"^{name}\s*=", params, re.M), f"parameter {name} missing"
    assert isinstance(nb["metadata"].get("trialkit", {}).get("requires"), list), (
        "metadata trialkit.requires selects the trials the notebook runs for"
    )
    assert any(c.get("outputs") for c in code), "committed without outputs: nbval checks nothing"
    for c in code:
        assert "execution" not in c.get("metadata", {}), "execution timestamps in cell metadata"
        blob = json.dumps(c.get("outputs", []))
        assert not re.search(r"/(tmp|home|root|work)/|0x[0-9a-f]{8,}", blob), (
            "an output shows a path or a memory address"
        )
    assert "papermill" not in nb["metadata"], "papermill run metadata (times, paths) committed"
    ids = [c.get("id") for c in nb["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), "cells need unique ids (nbformat 4.5)"


def test_the_notebooks_are_there():
    assert len(NOTEBOOKS) >= 11
