"""The bundled notebooks run on a data folder they were not written against.

A second synthetic I-MICRO twin (another seed, written to a temporary folder with no
``published.toml``) goes through ``trialkit.report.run_report`` unchanged: every notebook that
applies runs, every estimate is recorded, and each is marked "not published" because the
folder publishes nothing. The fast tests check the notebooks' contract with the report
runner (one ``parameters`` cell, ``trialkit`` metadata) without starting a kernel.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from trialkit.report import find_notebooks, missing_requirements
from trialkit.resources import notebooks_dir
from trialkit.spec import load_spec

NOTEBOOKS = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
IMICRO_NOTEBOOKS = (
    "01_population",
    "02_delta_sofa",
    "03_mortality",
    "04_free_days",
    "05_mean_daily_sofa",
    "06_safety",
    "07_sensitivity_death_rule",
    "08_sample_size",
    "12_estimands",
    "13_null_trial",
    "16_sofa2",
)
PARAMETERS = ("trial", "data_dir", "out_dir", "population", "seed")


def _cells(name: str) -> list[dict]:
    return json.loads((notebooks_dir() / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_one_parameters_cell_with_the_contract(name):
    tagged = [c for c in _cells(name) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    assigned = {line.split("=")[0].split(":")[0].strip() for line in source.splitlines()
                if "=" in line}  # fmt: skip
    assert set(PARAMETERS) <= assigned, (
        f"{name}: parameters cell lacks {set(PARAMETERS) - assigned}"
    )
    # A hand run reads the bundled twin and writes to a scratch folder, never to a report.
    assert "data_dir = None" in source and "out_dir = None" in source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_code_cell_names_a_bundled_trial(name):
    # Everything trial-specific comes from the spec: a code cell that names a bundled trial's
    # id, arm or assumption would speak of it on every trial's page.
    for cell in _cells(name):
        if cell["cell_type"] != "code" or "parameters" in cell["metadata"].get("tags", []):
            continue
        source = "".join(cell["source"]).lower()
        for word in ("imicro", "combat", "iloprost", "placebo", "leopards"):
            assert word not in source, f"{name}: a code cell names {word!r}"


@pytest.mark.parametrize("name", IMICRO_NOTEBOOKS)
def test_notebook_requirements_are_met_by_the_imicro_spec(name):
    notebook = next(nb for nb in find_notebooks(notebooks_dir()) if nb.name == name)
    assert missing_requirements(notebook, load_spec("imicro")) == []


def test_notebooks_use_no_trailing_semicolon_for_figures():
    # nbval executes cells with store_history=False, and IPython then decides whether a
    # trailing ';' silences a cell from the *previous* stored input: a figure returned by a
    # cell ending in ';' is displayed twice under nbval. Figures end with plt.show().
    for name in NOTEBOOKS:
        for cell in _cells(name):
            source = "".join(cell["source"]).rstrip()
            if cell["cell_type"] == "code" and "plots." in source:
                assert not source.endswith(";"), f"{name}: a figure cell ends with ';'"


@pytest.mark.slow
def test_report_runs_on_a_second_twin_without_code_changes(tmp_path):
    from trialkit.report import run_report
    from trialkit.simulate import write_twin

    data_dir = write_twin("imicro", tmp_path / "imicro", seed=7)
    out_dir = tmp_path / "reports"
    assert not (data_dir / "published.toml").exists()

    code = run_report(trial="imicro", data_dir=data_dir, out_dir=out_dir, jobs=2)

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
        "icu_free_d28.hodges_lehmann",
        "mean_sofa.hodges_lehmann",
        "sae.fisher",
        "delta_sofa.sensitivity.death_exclude.discharge_exclude",
        "delta_sofa.estimand.win_ratio",
        "death_d28.bayes.skeptical",
        "delta_sofa.sofa2.difference",
        "sofa2.bias.total",
    ):
        assert expected in ids, expected
    assert set(results["verdict"]) == {"not published"}
    assert results["estimate"].notna().all()


@pytest.mark.slow
def test_sofa_version_parameter_scores_the_page_with_sofa2(tmp_path):
    # -p sofa_version=sofa2 as the report passes it: the primary page's estimates are
    # those of the trial scored with SOFA-2 (trialkit.sofa_versions.rederive's SOFA-2 row).
    import papermill as pm

    from trialkit.resources import bundled_data
    from trialkit.schema import load_trial
    from trialkit.sofa_versions import rederive

    pm.execute_notebook(
        str(notebooks_dir() / "02_delta_sofa.ipynb"),
        str(tmp_path / "02.ipynb"),
        parameters={"sofa_version": "sofa2", "out_dir": str(tmp_path)},
        cwd=str(notebooks_dir()),
        progress_bar=False,
    )
    results = pd.concat(pd.read_csv(f) for f in (tmp_path / "imicro" / "results").glob("*.csv"))
    got = results.set_index("analysis_id").loc["delta_sofa.hodges_lehmann"]
    again = rederive(load_trial(bundled_data("imicro"))).set_index(["endpoint", "version"])
    want = again.loc[("delta_sofa", "sofa2")]
    assert got["estimate"] == pytest.approx(want["estimate"])
    assert got["ci_low"] == pytest.approx(want["ci_low"])
    assert got["p_value"] == pytest.approx(want["p_value"], abs=5e-4)
    page = (tmp_path / "02.ipynb").read_text()
    assert "maximum SOFA-2" in page
