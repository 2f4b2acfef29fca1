"""trialkit.report: notebook selection, the papermill runner, the index page, the CLI.

The tests marked slow run real kernels on the fixture notebooks of tests/fixtures/notebooks/
(a kernel start takes seconds); the rest exercise the same code without a kernel.
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

from trialkit import report
from trialkit.cli import main
from trialkit.published import describe_figure
from trialkit.report import (
    find_notebooks,
    missing_requirements,
    run_report,
    unanalysed_endpoints,
)
from trialkit.results import COLUMNS
from trialkit.schema import load_trial
from trialkit.spec import load_spec

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "notebooks"
TINY = HERE / "fixtures" / "tiny"

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
    """A small valid I-MICRO data folder (tests/fixtures/tiny) with published figures."""
    folder = tmp_path / "data" / "imicro"
    shutil.copytree(TINY, folder)
    (folder / "published.toml").write_text(PUBLISHED_TOML)
    return folder


def remote_resources(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", page)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- selection ------------------------------------------------------------------------


def test_find_notebooks_reads_requires_and_covers_from_metadata():
    found = {nb.name: (nb.requires, nb.covers) for nb in find_notebooks(FIXTURES)}
    assert found["10_records"][0] == ("delta_sofa", "death_d28")
    assert "rule:dead_by" in found["10_records"][1]
    assert found["20_fails"] == (("delta_sofa",), ())
    assert found["30_needs_design"] == (("design.interim_n",), ())


def test_find_notebooks_refuses_a_bad_requires_list(tmp_path):
    nb = json.loads((FIXTURES / "20_fails.ipynb").read_text())
    nb["metadata"]["trialkit"]["requires"] = "delta_sofa"
    (tmp_path / "x.ipynb").write_text(json.dumps(nb))
    with pytest.raises(report.ReportError, match=r"trialkit\.requires must be a list"):
        find_notebooks(tmp_path)


def test_requirements_are_rules_tables_endpoints_or_spec_keys():
    imicro, combat = load_spec("imicro"), load_spec("combat_shine")
    nb = report.Notebook(Path("x.ipynb"), ("rule:delta_sofa", "design.planned_n"))
    assert missing_requirements(nb, imicro) == []
    assert missing_requirements(nb, combat) == ["rule:delta_sofa"]
    tables = report.Notebook(Path("t.ipynb"), ("table:quality_of_life",))
    assert missing_requirements(tables, combat) == []
    assert missing_requirements(tables, imicro) == ["table:quality_of_life"]
    either = report.Notebook(Path("f.ipynb"), (), ("rule:free_days", "rule:no_such_rule"))
    assert missing_requirements(either, imicro) == []


def test_a_data_requirement_is_checked_on_the_loaded_data():
    spec = load_spec("imicro")
    nb = report.Notebook(Path("s.ipynb"), ("data:sofa2",))
    with_sofa2 = load_trial(HERE.parent / "data" / "imicro")
    without = load_trial(HERE / "fixtures" / "tiny", spec)
    assert missing_requirements(nb, spec, with_sofa2) == []
    assert missing_requirements(nb, spec, without) == ["data:sofa2"]
    assert missing_requirements(nb, spec) == []  # no data at hand: taken to hold
    unknown = report.Notebook(Path("u.ipynb"), ("data:no_such_check",))
    assert missing_requirements(unknown, spec, with_sofa2) == ["data:no_such_check"]


def test_an_endpoint_no_running_notebook_analyses_is_named_with_the_reason():
    spec = load_spec("imicro")
    notebooks = find_notebooks(report.bundled_notebooks())
    assert unanalysed_endpoints(spec, notebooks) == {}
    without = [nb for nb in notebooks if nb.name != "04_free_days"]
    missing = unanalysed_endpoints(spec, without)
    assert set(missing) == {"vent_free_d28", "vaso_free_d28", "rrt_free_d28", "icu_free_d28"}
    assert "no notebook analyses rule 'free_days'" in missing["vent_free_d28"]


# --- runs without a kernel ------------------------------------------------------------


def test_no_notebooks_is_a_failure_that_says_why(tmp_path, data_dir, capsys):
    empty = tmp_path / "notebooks"
    empty.mkdir()
    out = tmp_path / "reports"
    code = run_report(data_dir=data_dir, out_dir=out, notebooks_dir=empty)
    err = capsys.readouterr().err
    assert code == 1
    assert "imicro: no analysis notebooks in" in err
    assert "endpoint 'delta_sofa' is analysed by no notebook" in err
    page = (out / "index.html").read_text()
    assert "This report is incomplete" in page
    # the published figures are listed, not yet computed
    assert page.count("verdict v-not-computed") == 3
    assert "48/114 (42%)" in page
    for assumption in load_spec("imicro").assumptions:
        assert assumption["id"] in page
    assert (out / "imicro" / "results.csv").read_text() == ",".join(COLUMNS) + "\n"
    assert remote_resources(page) == []


def test_all_trials_are_those_with_bundled_data(monkeypatch, data_dir):
    monkeypatch.setattr(report, "bundled_data", lambda t: data_dir if t == "imicro" else None)
    runs = report._resolve_trials("all", None)
    assert [(r.spec.id, r.data_dir, r.trial_arg) for r in runs] == [("imicro", data_dir, "imicro")]
    assert list(runs[0].published["figures"]) == ["rr_death_d28", "hl_delta_sofa",
                                                  "deaths_iloprost"]  # fmt: skip


def test_a_spec_file_finds_the_bundled_data_of_its_id(tmp_path, monkeypatch, data_dir):
    monkeypatch.setattr(report, "bundled_data", lambda t: data_dir if t == "imicro" else None)
    spec_file = tmp_path / "my_imicro.toml"
    shutil.copy(load_spec("imicro").path, spec_file)
    (run,) = report._resolve_trials(str(spec_file), None)
    assert (run.spec.id, run.data_dir, run.spec.path) == ("imicro", data_dir, spec_file)


def test_a_trial_without_bundled_data_needs_data(tmp_path, capsys):
    spec_file = tmp_path / "mine.toml"
    spec_file.write_text(
        '[trial]\nid = "mine"\nexperimental = "a"\ncontrol = "b"\n[populations]\n'
        'primary = "mitt"\n[endpoints.d]\nrule = "dead_by"\n'
    )
    assert run_report(trial=str(spec_file), out_dir=tmp_path / "out") == 2
    assert "trialkit ships no data for it; give its folder with --data" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trial": "imicro", "data_dir": "missing"}, "data folder missing does not exist"),
        ({"trial": "nosuchtrial", "data_dir": "."}, "no spec for trial 'nosuchtrial'"),
        ({"data_dir": "."}, "no shipped spec is named after this folder"),
        ({"trial": "imicro", "parameters": ["trial=x"]}, "-p trial: set it with --trial"),
        ({"trial": "imicro", "parameters": ["nosuch=1"]}, "-p nosuch: no notebook that runs"),
        ({"trial": "imicro", "parameters": ["fail=maybe"]}, "fail takes bool"),
        ({"trial": "imicro", "jobs": 0}, "jobs must be at least 1"),
        ({"trial": "imicro", "notebooks_dir": "nb"}, "notebooks folder nb does"),
    ],
)
def test_wrong_arguments_exit_2_with_a_message(tmp_path, monkeypatch, capsys, kwargs, message):
    monkeypatch.chdir(tmp_path)
    kwargs = {"notebooks_dir": FIXTURES, **kwargs}
    assert run_report(out_dir=tmp_path / "out", **kwargs) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["file", "foreign", "no-parent"])
def test_an_out_folder_that_cannot_hold_a_report_is_refused(tmp_path, data_dir, capsys, case):
    out = {"file": tmp_path / "out.txt", "foreign": tmp_path / "mine",
           "no-parent": tmp_path / "a" / "b" / "out"}[case]  # fmt: skip
    if case == "file":
        out.write_text("x")
    if case == "foreign":
        out.mkdir()
        (out / "thesis.docx").write_text("not a report")
    before = tree_digest(tmp_path)
    assert run_report(data_dir=data_dir, out_dir=out, notebooks_dir=FIXTURES) == 2
    err = capsys.readouterr().err
    assert {"file": "is a file", "foreign": "not a trialkit report",
            "no-parent": "does not exist"}[case] in err  # fmt: skip
    assert tree_digest(tmp_path) == before


def test_a_live_run_holding_the_out_folder_is_refused(tmp_path, data_dir, capsys):
    out = tmp_path / "reports"
    staging = tmp_path / ".reports.staging"
    staging.mkdir()
    (staging / "pid").write_text(f"{__import__('os').getpid()}\n")  # a live process: this one
    assert run_report(data_dir=data_dir, out_dir=out, notebooks_dir=FIXTURES) == 2
    assert "another trialkit report (process" in capsys.readouterr().err
    assert not out.exists()


def test_invalid_published_toml_stops_before_running(tmp_path, data_dir, capsys):
    (data_dir / "published.toml").write_text("[figures.x]\nestimate = 'one'\n")
    assert run_report(data_dir=data_dir, out_dir=tmp_path / "out", notebooks_dir=FIXTURES) == 2
    assert "[figures.x] estimate must be a finite number" in capsys.readouterr().err


def test_invalid_data_stops_before_running_and_names_the_problems(tmp_path, data_dir, capsys):
    daily = (data_dir / "daily.csv").read_text().splitlines()
    header = daily[0].split(",")
    row = daily[1].split(",")
    row[header.index("fio2")] = "40"
    (data_dir / "daily.csv").write_text("\n".join([daily[0], ",".join(row), *daily[2:]]) + "\n")
    assert run_report(data_dir=data_dir, out_dir=tmp_path / "out", notebooks_dir=FIXTURES) == 2
    err = capsys.readouterr().err
    assert "is not valid for I-MICRO" in err and "daily.csv, column fio2, line 2" in err


# --- real runs (papermill kernels) ----------------------------------------------------


@pytest.mark.slow
def test_cli_report_runs_the_notebooks_and_writes_the_report(tmp_path, data_dir, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    (out / report.MARKER).write_text("a trialkit report\n")
    stale = out / "imicro" / "results" / "dropped_analysis.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("left by an earlier run\n")

    code = main(["report", "--data", str(data_dir), "--out", str(out), "-p", "fail=false",
                 "--notebooks", str(FIXTURES)])  # fmt: skip

    err = capsys.readouterr().err
    assert code == 0, err
    assert "trialkit report" in err and "2/2" in err  # the progress bar
    folder = out / "imicro"
    for name in ("10_records", "20_fails"):
        assert (folder / f"{name}.ipynb").exists()
        page = (folder / f"{name}.html").read_text()
        assert remote_resources(page) == [], name
    assert not (folder / "30_needs_design.ipynb").exists()
    # the manuscript tables beside the pages (tests/test_manuscript.py reads them back)
    assert (folder / "imicro_tables.docx").stat().st_size > 0
    assert (folder / "imicro_tables_results.csv").exists()
    assert "data:image/png;base64," in (folder / "10_records.html").read_text()
    assert not stale.exists()  # the earlier report was replaced whole

    executed = json.loads((folder / "10_records.ipynb").read_text())
    assert not any("injected-parameters" in c["metadata"].get("tags", [])
                   for c in executed["cells"])  # fmt: skip
    parameters = next(c for c in executed["cells"] if "parameters" in c["metadata"]["tags"])
    source = "".join(parameters["source"])
    # the run's own values, folded into the parameters cell; paths relative to the page
    assert "data_dir = '../../data/imicro'" in source
    assert "trial = 'imicro'" in source and "out_dir = '..'" in source
    assert "papermill" not in executed["metadata"]

    table = (folder / "results.csv").read_text().splitlines()
    assert table[0] == ",".join(COLUMNS)
    verdicts = {line.split(",")[1]: line for line in table[1:]}
    assert list(verdicts) == ["hl_delta_sofa", "rd_death_d28", "rr_death_d28"]
    assert ",agrees," in verdicts["hl_delta_sofa"]
    assert ",not published," in verdicts["rd_death_d28"]
    assert (
        ",differs,crude log-Wald RR from the counts,rr_death_d28,reproduction,"
        "estimate 1.093 vs 1.08 published (printed to 0.01),"
    ) in verdicts["rr_death_d28"]

    page = (out / "index.html").read_text()
    # per trial: the headline, then the analyses, then the reconciliation
    assert page.index('id="imicro-analyses"') < page.index('id="imicro-reconciliation"')
    assert '<a href="#imicro-analyses">' in page  # the contents bar
    assert "3 published figure(s): 1 agrees, 1 differs, 1 not computed; 0 check(s)" in page
    assert "1.093 (0.80 to 1.49), P = 0.574" in page  # trialkit's, beside 1.08 (0.8 to 1.5)
    assert '<a href="imicro/10_records.html">' in page
    assert "not applicable: the spec has no design.interim_n" in page
    assert "imicro-delta-death" in page
    assert "Parameters changed for this run" in page and "fail = False" in page
    assert str(tmp_path) not in page  # no absolute path on the front page
    assert remote_resources(page) == []
    assert (out / report.MARKER).exists() and not (tmp_path / ".reports.staging").exists()


@pytest.mark.slow
def test_two_runs_give_the_same_bytes(tmp_path, data_dir):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        assert run_report(data_dir=data_dir, out_dir=out, notebooks_dir=FIXTURES) == 0
    assert tree_digest(first) == tree_digest(second)


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
    assert describe_figure(figure) == shown


# --- the front page's verdicts ------------------------------------------------------------


def _bundled_front_page(tmp_path, rows):
    """The I-MICRO front page for recorded ``rows`` (analysis id, figure id, estimate, CI)."""
    import pandas as pd

    from trialkit.frontpage import render_index
    from trialkit.results import collect, record

    (run,) = report._resolve_trials("imicro", None)
    for aid, fid, est, lo, hi in rows:
        result = pd.DataFrame({"estimate": [est], "ci_low": [lo], "ci_high": [hi]})
        record(tmp_path, "imicro", aid, aid, result, arm_1="iloprost", arm_2="placebo",
               published_id=fid, published=run.published)  # fmt: skip
    tables = {"imicro": collect(tmp_path, "imicro")}
    return render_index([run], [], [], tables, tmp_path, {}, [])


def test_a_figure_the_published_counts_exclude_is_not_reproducible_not_differs(tmp_path):
    # death_d28_rr, 1.08 (0.80 to 1.5), is excluded by arithmetic (risk_ratio_verdict); the
    # mean-SOFA shift is only missed here (0.9 against 0.25).
    page = _bundled_front_page(tmp_path, [
        ("death_d28.rr", "death_d28_rr", 1.093, 0.801, 1.491),
        ("mean_sofa.hodges_lehmann", "mean_sofa_difference", 0.9, -1.1, 1.8),
    ])  # fmt: skip
    assert "0 agrees, 1 differs, 1 not reproducible, 21 not computed;" in page
    row = page[page.index("Death by day 28, relative risk iloprost / placebo<br>") :]
    row = row[: row.index("</tr>")]
    assert "verdict v-not-reproducible" in row
    assert "not reproducible: no count pair compatible with the printed numbers" in row
    mean = page[page.index("Mean daily SOFA over days 1-7, median difference") :]
    assert "v-differs" in mean[: mean.index("</tr>")]


def test_without_an_excluded_figure_the_front_page_says_nothing_of_it(tmp_path):
    page = _bundled_front_page(tmp_path, [
        ("mean_sofa.hodges_lehmann", "mean_sofa_difference", 0.25, -1.1, 1.8),
    ])  # fmt: skip
    assert "1 agrees, 0 differs, 22 not computed;" in page
    assert "Not reproducible" not in page and "verdict v-not-reproducible" not in page


def test_arithmetic_checks_that_cannot_run_are_a_problem_not_a_lost_report(tmp_path, monkeypatch):
    import trialkit.simulate.agreement as agreement

    def fails(*args):
        raise ValueError("a figure without its endpoint")

    monkeypatch.setattr(agreement, "not_reproducible_from_data", fails)
    page = _bundled_front_page(tmp_path, [("death_d28.rr", "death_d28_rr", 1.093, 0.801, 1.491)])
    assert "This report is incomplete" in page
    assert "the arithmetic checks of the published figures could not run (ValueError: a " in page
    assert "0 agrees, 1 differs, 22 not computed;" in page
