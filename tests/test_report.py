"""trialkit.report: notebook selection, the papermill runner, the index page, the CLI.

Two tests run real kernels on the fixture notebooks of tests/fixtures/notebooks/ (marked
slow: a kernel start takes seconds); the rest exercise the same code without a kernel.
"""

import json
import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

from trialkit import report
from trialkit.cli import main
from trialkit.report import find_notebooks, missing_requirements, run_report
from trialkit.results import COLUMNS
from trialkit.spec import load_spec

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "notebooks"

PUBLISHED_TOML = """
[sources]
A = "Legrand M et al. Am J Respir Crit Care Med 2025;211(7):1211-1219"

[figures.rr_death_d28]
label = "Death by day 28, relative risk"
estimate = 1.08
ci_low = 0.80
ci_high = 1.5
source = "A"

[figures.hl_delta_sofa]
label = "Change in SOFA to day 7, median difference"
estimate = 1
ci_low = 0
ci_high = 3
p_value = 0.12
source = "A"

[figures.deaths_iloprost]
label = "Deaths by day 28, iloprost"
events = 48
n = 114
percent = 42
derived = true
source = "A"
"""


@pytest.fixture
def data_dir(tmp_path):
    """A data folder named after the I-MICRO spec; the fixture notebooks read only this."""
    folder = tmp_path / "data" / "imicro"
    folder.mkdir(parents=True)
    (folder / "published.toml").write_text(PUBLISHED_TOML)
    return folder


def remote_resources(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", page)


# --- selection ------------------------------------------------------------------------


def test_find_notebooks_reads_requires_from_metadata():
    found = {nb.name: nb.requires for nb in find_notebooks(FIXTURES)}
    assert found == {
        "10_records": ("delta_sofa", "death_d28"),
        "20_fails": ("delta_sofa",),
        "30_needs_design": ("design",),
    }


def test_find_notebooks_refuses_a_bad_requires_list(tmp_path):
    nb = json.loads((FIXTURES / "20_fails.ipynb").read_text())
    nb["metadata"]["trialkit"]["requires"] = "delta_sofa"
    (tmp_path / "x.ipynb").write_text(json.dumps(nb))
    with pytest.raises(ValueError, match=r"x.ipynb: metadata trialkit.requires must be a list"):
        find_notebooks(tmp_path)


def test_requirements_are_endpoints_sections_or_tables():
    notebooks = {nb.name: nb for nb in find_notebooks(FIXTURES)}
    imicro, combat = load_spec("imicro"), load_spec("combat_shine")
    # I-MICRO has no [design] section; COMBAT-SHINE has one but no delta_sofa endpoint.
    assert missing_requirements(notebooks["30_needs_design"], imicro) == ["design"]
    assert missing_requirements(notebooks["30_needs_design"], combat) == []
    assert missing_requirements(notebooks["10_records"], imicro) == []
    assert missing_requirements(notebooks["10_records"], combat) == ["delta_sofa"]
    with_table = report.Notebook(Path("x.ipynb"), ("biomarkers",))
    spec = load_spec({**imicro.raw, "tables": {"biomarkers": "biomarkers.csv"}})
    assert missing_requirements(with_table, spec) == []
    assert missing_requirements(with_table, imicro) == ["biomarkers"]


def test_paths_are_passed_relative_inside_the_project_absolute_outside(tmp_path):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    seen = report._as_seen_from(project / "data" / "imicro", project / "notebooks")
    assert seen == "../data/imicro"
    elsewhere = tmp_path / "elsewhere"
    assert report._as_seen_from(elsewhere, project / "notebooks") == str(elsewhere.resolve())


# --- runs without a kernel ------------------------------------------------------------


def test_no_notebooks_writes_an_index_that_says_so(tmp_path, data_dir, capsys):
    empty = tmp_path / "notebooks"
    empty.mkdir()
    out = tmp_path / "reports"
    code = run_report(data_dir=data_dir, out_dir=out, notebooks_dir=empty)
    assert code == 0
    page = (out / "index.html").read_text()
    assert "No analysis notebooks were found" in page
    assert "Parameters changed" not in page
    # the published figures are listed, not yet computed
    assert page.count("verdict v-not-computed") == 3
    assert "48/114 (42%)" in page
    # the assumptions of the spec are shown
    for assumption in load_spec("imicro").assumptions:
        assert assumption["id"] in page
    assert (out / "imicro" / "results.csv").read_text() == ",".join(COLUMNS) + "\n"
    assert remote_resources(page) == []


def test_all_trials_without_any_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "DATA_DIR", tmp_path / "no_data")
    out = tmp_path / "reports"
    assert run_report(out_dir=out, notebooks_dir=FIXTURES) == 0
    page = (out / "index.html").read_text()
    assert "No trial to report" in page
    assert "imicro" in page and "combat_shine" in page


def test_all_trials_are_those_with_a_data_folder(tmp_path, monkeypatch, data_dir):
    monkeypatch.setattr(report, "DATA_DIR", data_dir.parent)
    runs = report._resolve_trials("all", None)
    assert [(r.spec.id, r.data_dir, r.trial_arg) for r in runs] == [("imicro", data_dir, "imicro")]
    assert list(runs[0].published["figures"]) == [
        "rr_death_d28",
        "hl_delta_sofa",
        "deaths_iloprost",
    ]


def test_a_spec_file_is_passed_on_by_path_and_finds_data_by_its_id(tmp_path, monkeypatch, data_dir):
    monkeypatch.setattr(report, "DATA_DIR", data_dir.parent)
    spec_file = tmp_path / "my_imicro.toml"
    spec_file.write_text((report.ROOT / "trialkit" / "specs" / "imicro.toml").read_text())
    (run,) = report._resolve_trials(str(spec_file), None)
    assert (run.spec.id, run.data_dir, run.trial_arg) == ("imicro", data_dir, str(spec_file))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trial": "imicro", "data_dir": "missing"}, "data folder missing does not exist"),
        ({"trial": "nosuchtrial", "data_dir": "."}, "no spec for trial 'nosuchtrial'"),
        ({"data_dir": "."}, "no shipped spec is named after this folder"),
        ({"trial": "imicro", "data_dir": ".", "parameters": {"trial": "x"}}, "-p trial"),
        ({"trial": "imicro", "data_dir": ".", "jobs": 0}, "jobs must be at least 1"),
        ({"trial": "imicro", "data_dir": ".", "notebooks_dir": "nb"}, "notebooks folder nb does"),
    ],
)
def test_wrong_arguments_exit_2_with_a_message(tmp_path, monkeypatch, capsys, kwargs, message):
    monkeypatch.chdir(tmp_path)
    kwargs = {"notebooks_dir": FIXTURES, **kwargs}
    assert run_report(out_dir=tmp_path / "out", **kwargs) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_invalid_published_toml_stops_before_running(tmp_path, data_dir, capsys):
    (data_dir / "published.toml").write_text("[figures.x]\nestimate = 'one'\n")
    assert run_report(data_dir=data_dir, out_dir=tmp_path / "out", notebooks_dir=FIXTURES) == 2
    assert "[figures.x] estimate must be a finite number" in capsys.readouterr().err


# --- real runs (papermill kernels) ----------------------------------------------------


@pytest.mark.slow
def test_cli_report_runs_the_notebooks_and_writes_the_report(
    tmp_path, data_dir, monkeypatch, capsys
):
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", FIXTURES)
    out = tmp_path / "reports"
    stale = out / "imicro" / "results" / "dropped_analysis.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("left by an earlier run\n")

    code = main(["report", "--data", str(data_dir), "--out", str(out), "-p", "seed=7"])

    err = capsys.readouterr().err
    assert code == 0, err
    assert "trialkit report" in err and "2/2" in err  # the progress bar
    folder = out / "imicro"
    for name in ("10_records", "20_fails"):
        assert (folder / f"{name}.ipynb").exists()
        page = (folder / f"{name}.html").read_text()
        assert remote_resources(page) == [], name
    assert not (folder / "30_needs_design.ipynb").exists()
    assert "data:image/png;base64," in (folder / "10_records.html").read_text()
    assert not stale.exists()

    executed = json.loads((folder / "10_records.ipynb").read_text())
    injected = next(
        c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
    )
    source = "".join(injected["source"])
    assert f'data_dir = "{data_dir.resolve()}"' in source
    assert 'trial = "imicro"' in source and "seed = 7" in source

    table = (folder / "results.csv").read_text().splitlines()
    assert table[0] == ",".join(COLUMNS)
    verdicts = {line.split(",")[1]: line for line in table[1:]}
    assert list(verdicts) == ["hl_delta_sofa", "rd_death_d28", "rr_death_d28"]
    assert ",agrees," in verdicts["hl_delta_sofa"]
    assert ",not published," in verdicts["rd_death_d28"]
    assert ",differs,estimate 1.093 vs 1.08 published (rounding 0.01)" in verdicts["rr_death_d28"]

    page = (out / "index.html").read_text()
    assert page.index("Reconciliation with the publications") < page.index("I-MICRO: analyses")
    assert "3 published figure(s): 1 agrees, 1 differs, 1 not computed." in page
    assert "1.093 (0.80 to 1.49), P = 0.574" in page  # trialkit's, beside 1.08 (0.8 to 1.5)
    assert '<a href="imicro/10_records.html">' in page
    assert "not applicable: the spec has no design" in page
    assert "imicro-delta-death" in page
    assert "Parameters changed for this run" in page and "seed = 7" in page
    assert str(tmp_path) not in page  # no absolute path on the front page
    assert remote_resources(page) == []


@pytest.mark.slow
def test_a_failing_notebook_is_named_with_its_cell_and_the_others_still_run(
    tmp_path, data_dir, capsys
):
    out = tmp_path / "reports"
    code = run_report(
        data_dir=data_dir, out_dir=out, parameters={"fail": True}, notebooks_dir=FIXTURES
    )
    err = capsys.readouterr().err
    assert code == 1
    # cell index 3 of 20_fails.ipynb as the author sees it (papermill's injected cell
    # is not counted), its first line and the exception
    assert (
        "imicro/20_fails.ipynb: cell index 3 (`if fail:`) raised RuntimeError: failing on purpose"
    ) in err
    assert "1 of 2 notebook(s) failed" in err
    # the failed run is kept and rendered, so the reader can see where it stopped
    assert "failing on purpose" in (out / "imicro" / "20_fails.html").read_text()
    # the other notebook still ran and its estimates were collected
    assert len((out / "imicro" / "results.csv").read_text().splitlines()) == 4
    page = (out / "index.html").read_text()
    assert "st-failed" in page and "cell index 3 (`if fail:`)" in page


# --- nbval sanitizers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<Figure object at 0x7f3a2c1b9d90>", "<Figure object at 0xADDRESS>"),
        (
            "fit: 100%|██████████| 200/200 [00:03<00:00, 61.2it/s]",
            "fit: PROGRESS-BAR",
        ),
        ("Wall time: 1.23 s", "Wall time: TIME"),
        (
            "/home/u/.venv/lib/python3.11/site-packages/pandas/core/frame.py:1: FutureWarning",
            "SITE-PACKAGES/pandas/core/frame.py:1: FutureWarning",
        ),
        ("wrote /tmp/tmpab12cd/fig.png", "wrote TMP-PATH"),
        ("run at 2026-11-23T16:03:22.123Z", "run at TIMESTAMP"),
        ("estimate 1.093 (0.801 to 1.491), 48/114", "estimate 1.093 (0.801 to 1.491), 48/114"),
    ],
)
def test_nbval_sanitize_file_as_nbval_reads_it(text, expected):
    patterns = get_sanitize_patterns((HERE / "nbval_sanitize.cfg").read_text())
    assert len(patterns) == 6
    for regex, replace in patterns:  # nbval applies them in order with re.sub
        text = re.sub(regex, replace, text)
    assert text == expected


# --- how numbers are shown on the index -------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "shown"),
    [
        (
            {"estimate": 1, "ci_low": 0, "ci_high": 3, "p_value": 0.12, "rounding": 1},
            "1 (0 to 3), P = 0.12",
        ),
        (
            {"estimate": 1.08, "ci_low": 0.8, "ci_high": 1.5, "rounding": 0.01},
            "1.08 (0.80 to 1.50)",
        ),
        ({"events": 48, "n": 114, "percent": 42}, "48/114 (42%)"),
        ({"percent": 49}, "49%"),
        ({"median": -4.0, "q1": -7.0, "q3": 7.0, "rounding": 1}, "median -4 (IQR -7 to 7)"),
        ({"p_value": 0.06}, "P = 0.06"),
    ],
)
def test_published_figures_are_shown_as_printed(figure, shown):
    assert report._describe_figure(figure) == shown
