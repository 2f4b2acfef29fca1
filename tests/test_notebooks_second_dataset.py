"""The I-MICRO notebooks run on a data folder they were not written against.

A second synthetic twin (another seed, written to a temporary folder with no
``published.toml``) goes through ``trialkit.report.run_report`` unchanged: every notebook
runs, every estimate is recorded, and each is marked "not published" because the folder
publishes nothing. The fast tests check the notebooks' contract with the report runner
(one ``parameters`` cell, ``trialkit.requires`` metadata) without starting a kernel.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from trialkit.report import NOTEBOOKS_DIR, find_notebooks, missing_requirements
from trialkit.spec import load_spec

IMICRO_NOTEBOOKS = (
    "01_population",
    "02_primary_delta_sofa",
    "03_mortality",
    "04_free_days",
    "05_mean_daily_sofa",
    "06_safety",
    "07_sensitivity_death_rule",
)
PARAMETERS = ("trial", "data_dir", "out_dir", "population", "seed")


def _cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("name", IMICRO_NOTEBOOKS)
def test_notebook_has_one_parameters_cell_with_the_contract(name):
    tagged = [c for c in _cells(name) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    assigned = {line.split("=")[0].strip() for line in source.splitlines() if "=" in line}
    assert set(PARAMETERS) <= assigned, (
        f"{name}: parameters cell lacks {set(PARAMETERS) - assigned}"
    )
    assert 'data_dir = "../data/imicro"' in source


@pytest.mark.parametrize("name", IMICRO_NOTEBOOKS)
def test_notebook_requirements_are_met_by_the_imicro_spec(name):
    notebook = next(nb for nb in find_notebooks(NOTEBOOKS_DIR) if nb.name == name)
    assert missing_requirements(notebook, load_spec("imicro")) == []


def test_notebooks_use_no_trailing_semicolon_for_figures():
    # nbval executes cells with store_history=False, and IPython then decides whether a
    # trailing ';' silences a cell from the *previous* stored input: a figure returned by a
    # cell ending in ';' is displayed twice under nbval. Figures end with plt.show().
    for name in IMICRO_NOTEBOOKS:
        for cell in _cells(name):
            source = "".join(cell["source"]).rstrip()
            if cell["cell_type"] == "code" and "plots." in source:
                assert not source.endswith(";"), f"{name}: a figure cell ends with ';'"


@pytest.mark.slow
def test_report_runs_on_a_second_twin_without_code_changes(tmp_path: Path):
    from trialkit.report import run_report
    from trialkit.simulate import write_twin

    data_dir = write_twin("imicro", tmp_path / "imicro", seed=7)
    out_dir = tmp_path / "reports"
    assert not (data_dir / "published.toml").exists()
    # These notebooks exactly as committed; other trials' notebooks have their own tests.
    notebooks_dir = tmp_path / "notebooks"
    notebooks_dir.mkdir()
    for name in IMICRO_NOTEBOOKS:
        shutil.copy(NOTEBOOKS_DIR / f"{name}.ipynb", notebooks_dir)

    code = run_report(
        trial="imicro", data_dir=data_dir, out_dir=out_dir, jobs=2, notebooks_dir=notebooks_dir
    )

    assert code == 0
    for name in IMICRO_NOTEBOOKS:
        assert (out_dir / "imicro" / f"{name}.html").exists(), name
    results = pd.read_csv(out_dir / "imicro" / "results.csv")
    ids = set(results["analysis_id"])
    for expected in (
        "delta_sofa.hodges_lehmann",
        "delta_sofa.quantreg",
        "death_d28.rr",
        "death_d28.logrank",
        "vent_free_d28.proportional_odds",
        "mean_sofa.hodges_lehmann",
        "sae.fisher",
        "delta_sofa.sensitivity.death_exclude.discharge_exclude",
    ):
        assert expected in ids, expected
    assert set(results["verdict"]) == {"not published"}
    assert results["estimate"].notna().all()
