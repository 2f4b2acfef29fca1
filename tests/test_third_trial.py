"""A third trial that no notebook knows, through validate, simulate and the whole report.

ALPHA-SHOCK (tests/fixtures/third_trial/spec.toml) has its own arm labels (drug / control),
primary day (change in modified SOFA to day 5), follow-up (60 days), population flag (itt),
extra table (labs), assumption ids and commentary, and publishes nothing. Its pages must
speak of it alone: its day, its arms, its assumptions, and no word of the bundled trials.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from trialkit.cli import main

SPEC = Path(__file__).parent / "fixtures" / "third_trial" / "spec.toml"
#: Words of the bundled trials that must never reach another trial's pages.
FOREIGN = ("iloprost", "placebo", "i-micro", "imicro", "combat", "leopards", "legrand",
           "bestle", "day 7", "day 90")  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("alpha")
    data, out = root / "data", root / "report"
    assert main(["simulate", "--trial", str(SPEC), "--out", str(data), "--patients", "80"]) == 0
    assert main(["validate", str(data), "--trial", str(SPEC)]) == 0
    code = main(["report", "--trial", str(SPEC), "--data", str(data), "--out", str(out)])
    assert code == 0
    return out


def _pages(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (out / "alpha_shock").glob("*.html")}


def _visible(page: str) -> str:
    """The text a reader sees (the embedded figures, styles and scripts taken out)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:image/png;base64,[^"]+"', "", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
def test_every_page_that_applies_runs_and_none_that_does_not(report):
    assert sorted(_pages(report)) == [
        "01_population.html", "02_delta_sofa.html", "03_mortality.html", "04_free_days.html",
        "05_mean_daily_sofa.html", "06_safety.html", "07_sensitivity_death_rule.html",
        "08_sample_size.html", "09_interim.html", "10_repeated_measures.html",
        "12_estimands.html", "13_null_trial.html", "14_multiverse.html", "16_sofa2.html",
    ]  # fmt: skip
    index = (report / "index.html").read_text()
    assert "not applicable: the spec has no table of kind quality_of_life" in index
    assert "not applicable: the spec has no subgroups" in index
    assert "This report is incomplete" not in index


@pytest.mark.slow
def test_the_pages_speak_of_this_trial_only(report):
    for name, page in {**_pages(report), "index.html": (report / "index.html").read_text()}.items():
        text = _visible(page).lower()
        for word in FOREIGN:
            assert word not in text, f"{name} says {word!r}"
        if name != "index.html":
            assert "alpha-shock" in text, name


@pytest.mark.slow
def test_the_primary_page_names_its_own_day_arms_and_assumptions(report):
    page = _visible(_pages(report)["02_delta_sofa.html"])
    assert "Change in modified SOFA from randomization to day 5 is the primary endpoint" in page
    assert "day 0 to day 5" in page and "drug" in page and "control" in page
    assert "alpha-death-score" in page  # its assumption, chosen by what it concerns
    mortality = _visible(_pages(report)["03_mortality.html"])
    assert "ALPHA-SHOCK's own remark on its day-60 mortality" in mortality
    assert "Survival to day 60" in mortality


@pytest.mark.slow
def test_its_estimates_are_recorded_as_not_published(report):
    results = pd.read_csv(report / "alpha_shock" / "results.csv")
    assert set(results["verdict"]) == {"not published"}
    for expected in (
        "dsofa_d5.hodges_lehmann",
        "death_d60.rr",
        "death_d60.logrank",
        "icu_free_d60.hodges_lehmann",
        "sae_d14.fisher",
        "labs.crp_mg_l.day3",
    ):
        assert expected in set(results["analysis_id"]), expected


@pytest.mark.slow
def test_the_executed_notebooks_show_the_run_parameters_and_no_path(report):
    for nb in (report / "alpha_shock").glob("*.ipynb"):
        text = nb.read_text()
        assert not re.search(r"/(tmp|home|root|work)/", text), nb.name
        cell = next(c for c in json.loads(text)["cells"] if "parameters" in c["metadata"]["tags"])
        assert "trial = 'spec.toml'" in "".join(cell["source"]), nb.name
    assert (report / "alpha_shock" / "spec.toml").read_bytes() == SPEC.read_bytes()
