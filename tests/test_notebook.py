"""trialkit.notebook: the recording and assumption helpers every analysis notebook shares."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from trialkit.notebook import (
    Recorder,
    escape,
    published_text,
    scratch_dir,
    setup,
    show_assumptions,
    show_commentary,
)
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


def _shown(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    return shown


def test_show_assumptions_chooses_by_what_they_concern_not_by_id(monkeypatch):
    shown = _shown(monkeypatch)
    show_assumptions(load_spec("imicro"), "delta_sofa", "no-such-concern")
    # trialkit/specs/imicro.toml: the assumptions whose `concerns` list delta_sofa
    assert [t.split("`")[1] for t in shown] == [
        "imicro-delta-death", "imicro-delta-discharge", "imicro-mcid"]  # fmt: skip
    assert shown[0].startswith("> **Assumption `imicro-delta-death`.**")


def test_renamed_assumptions_still_reach_the_page(monkeypatch):
    raw = load_spec("imicro").raw
    ids = [a["id"] for a in raw["assumptions"]]
    raw = {**raw, "assumptions": [{**a, "id": f"mine-{i}"} for i, a in
                                  enumerate(raw["assumptions"])]}  # fmt: skip
    shown = _shown(monkeypatch)
    show_assumptions(load_spec(raw), "delta_sofa")
    # the same three as under their own ids (the test above), found by position
    want = ["imicro-delta-death", "imicro-delta-discharge", "imicro-mcid"]
    assert [t.split("`")[1] for t in shown] == [f"mine-{ids.index(w)}" for w in want]


def test_text_from_a_spec_is_escaped_before_it_is_displayed(monkeypatch):
    raw = load_spec("imicro").raw
    evil = "<img src=x onerror=alert(5)> [link](javascript:alert(1))"
    raw = {**raw, "assumptions": [{"id": "<b>x</b>", "concerns": ["population"], "text": evil}],
           "commentary": [{"concerns": ["population"], "text": evil}]}  # fmt: skip
    shown = _shown(monkeypatch)
    spec = load_spec(raw)
    show_assumptions(spec, "population")
    show_commentary(spec, "population")
    assert len(shown) == 2
    for text in shown:
        assert "<img" not in text and "<b>" not in text
        assert not re.search(r"(?<!\\)\]\(", text), "a Markdown link survived"
        assert "&lt;img src=x onerror=alert(5)&gt;" in text


def test_escape_keeps_emphasis_and_code_but_no_html_or_links():
    assert escape("*a* `b` <c> [d](e)") == "*a* `b` &lt;c&gt; \\[d\\](e)"


def test_published_text_takes_every_number_from_published_toml():
    spec = load_spec("imicro")
    text = published_text(spec, load_published(DATA), endpoints=["delta_sofa"])
    # data/imicro/published.toml: median -4 (IQR -7 to 7), 1 (0 to 3), P = 0.12 [A]
    assert "median -4 (IQR -7 to 7) [A]" in text and "1 (0 to 3), P = 0.12 [A]" in text
    assert text.startswith("**What I-MICRO published.**")
    nothing = published_text(spec, {"sources": {}, "figures": {}}, endpoints=["delta_sofa"])
    assert "no `published.toml`" in nothing


def test_a_hand_run_records_in_a_scratch_folder_never_in_a_report(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    keep = Recorder(None, load_spec("imicro"), load_published(DATA))
    keep("x", "Something", 1.0)
    assert (scratch_dir() / "imicro" / "results" / "x.csv").exists()
    assert scratch_dir().is_relative_to(tmp_path)


def test_setup_of_a_trial_trialkit_does_not_ship_asks_for_its_data_folder(tmp_path):
    from trialkit.spec import SpecError

    spec = tmp_path / "mine.toml"
    spec.write_text(
        '[trial]\nid = "mine"\nexperimental = "a"\ncontrol = "b"\n[populations]\n'
        'primary = "mitt"\n[endpoints.d]\nrule = "dead_by"\n'
    )
    with pytest.raises(SpecError, match="set the notebook's data_dir"):
        setup(spec)


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
        assert re.search(rf"^{name}\s*[:=]", params, re.M), f"parameter {name} missing"
    meta = nb["metadata"].get("trialkit", {})
    assert isinstance(meta.get("requires"), list) and isinstance(meta.get("covers"), list), (
        "metadata trialkit.requires / covers select the trials the notebook runs for"
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
