"""trialkit.manuscript (with trialkit.formatting and trialkit.word): the tables formatted as
journals print them, written as CSV and .docx.

The tables come from the bundled I-MICRO twin through trialkit's own functions
(``tables.table_one``, ``tables.consort_counts``, ``results.record`` + ``results.collect``);
each formatted cell is checked against an independent computation of its numbers (pandas on
the analysis set, ``tables.median_iqr_by_arm``, ``stats.risk_ratio``) or a hand-worked
rounding. The published figures are those of data/imicro/published.toml. The .docx tests read
the file back with python-docx (skipped when python-docx is not installed).
"""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialkit import tables, word
from trialkit.endpoints import analysis_set
from trialkit.formatting import format_estimate, format_numbers, format_p, shown_decimals
from trialkit.manuscript import (
    INDENT,
    format_consort,
    format_results,
    format_table_one,
    write_tables,
)
from trialkit.published import load_published
from trialkit.results import collect, record
from trialkit.schema import load_trial
from trialkit.spec import load_spec
from trialkit.stats import hodges_lehmann, risk_ratio
from trialkit.word import write_docx

DATA = Path(__file__).parents[1] / "data" / "imicro"
LABELS = {
    "age": "Age, years",
    "sex": "Sex",
    "infection_source": "Source of infection",
    "lactate_mmol_l": "Lactate, mmol/L",
    "baseline_sofa_total": "SOFA score, day 0",
}


@pytest.fixture(scope="module")
def twin():
    spec = load_spec("imicro")
    trial = load_trial(DATA)
    return spec, trial, analysis_set(trial, spec, population="primary")


def _table1(spec, analysed):
    return tables.table_one(
        analysed,
        list(LABELS),
        arms=spec.arms,
        categorical=["sex", "infection_source"],
        nonnormal=["lactate_mmol_l", "baseline_sofa_total"],
        labels=LABELS,
    )


@pytest.fixture(scope="module")
def results(twin, tmp_path_factory):
    """results.csv of a few analyses of the twin, recorded as the notebooks record them."""
    spec, _, d = twin
    out = tmp_path_factory.mktemp("report")
    pub = load_published(DATA)
    ilo, pla = spec.arms
    x, y = d.delta_sofa[d.arm == ilo], d.delta_sofa[d.arm == pla]
    label = spec.label("delta_sofa")
    for arm, v in ((ilo, x), (pla, y)):
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        record(out, "imicro", f"delta_sofa.median.{arm}", f"{label}, median (IQR), {arm}",
               pd.DataFrame({"estimate": [med], "ci_low": [np.nan], "ci_high": [np.nan]}),
               arm_1=arm, arm_2="", published_id=f"delta_sofa_{arm}", published=pub,
               q1=q1, q3=q3)  # fmt: skip
    record(out, "imicro", "delta_sofa.hodges_lehmann", f"{label}, median difference (HL)",
           hodges_lehmann(x, y), arm_1=ilo, arm_2=pla, published_id="delta_sofa_difference",
           published=pub, note="Hodges-Lehmann shift with the Wilcoxon rank-sum CI")  # fmt: skip
    quantreg = pd.DataFrame({"estimate": [1.0], "ci_low": [-2.18343], "ci_high": [4.18343],
                             "p_value": [0.536599]})  # fmt: skip
    record(out, "imicro", "delta_sofa.quantreg", f"{label}, difference in medians (quantile "
           "regression)", quantreg, arm_1=ilo, arm_2=pla, published_id="delta_sofa_difference",
           published=pub, note="median regression", check=True)  # fmt: skip
    dead = d.groupby("arm")["death_d28"].agg(["sum", "size"])
    a, n1, b, n2 = (int(v) for v in (*dead.loc[ilo], *dead.loc[pla]))
    for arm, e, n in ((ilo, a, n1), (pla, b, n2)):
        record(out, "imicro", f"death_d28.deaths.{arm}", f"Death by day 28, patients, {arm}",
               pd.DataFrame({"estimate": [e], "ci_low": [np.nan], "ci_high": [np.nan]}),
               arm_1=arm, arm_2="", published_id=f"death_d28_{arm}", published=pub, n=n,
               percent=100 * e / n)  # fmt: skip
    rr = risk_ratio(a, n1, b, n2)
    record(out, "imicro", "death_d28.rr", "Death by day 28, relative risk (log-Wald)", rr,
           arm_1=ilo, arm_2=pla, published_id="death_d28_rr", published=pub)  # fmt: skip
    record(out, "imicro", "death_d28.rr_crude", "Death by day 28, relative risk beside the "
           "derived crude RR", rr, arm_1=ilo, arm_2=pla, published_id="death_d28_rr_crude",
           published=pub)  # fmt: skip
    record(out, "imicro", "population.randomized", "Patients randomized", pd.DataFrame(
        {"estimate": [240], "ci_low": [np.nan], "ci_high": [np.nan]}), arm_1="", arm_2="",
        published_id="randomized", published=pub)  # fmt: skip
    record(out, "imicro", "wins.win_ratio", "Win ratio (trialkit's hierarchy)", pd.DataFrame(
        {"estimate": [1.1], "ci_low": [0.82], "ci_high": [1.47], "p_value": [0.52]}),
        arm_1=ilo, arm_2=pla)  # fmt: skip
    return collect(out, "imicro"), (a, n1, b, n2), (x, y)


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.575125, "0.58"),
        (0.575, "0.58"),  # half up on the printed digits, though 0.575 is 0.57499... in binary
        (0.0611428, "0.061"),
        (0.0996, "0.10"),  # rounds up to one more digit: two significant digits kept
        (0.001, "0.0010"),
        (0.000999, "<0.001"),
        (0.99, "0.99"),
        (0.9951, ">0.99"),
        (1.0, ">0.99"),
        (0.0, "<0.001"),
        (float("nan"), ""),
    ],
)
def test_format_p_two_significant_digits(p, shown):
    assert format_p(p) == shown


def test_format_p_refuses_a_probability_out_of_range():
    with pytest.raises(ValueError, match=r"lies in \[0, 1\]"):
        format_p(1.2)


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ((1.09294512878, 0.800998735403, 1.49129955108), ["1.09", "0.80", "1.49"]),  # RR
        ((2.48794445437, 0.967051116228, 6.96586630194), ["2.49", "0.97", "6.97"]),  # OR
        ((0.0358067, -0.0893788, 0.160992), ["0.04", "-0.09", "0.16"]),  # RD: 2 decimals at most
        ((1.0, 0.0, 3.0), ["1", "0", "3"]),  # integer data: no decimals
        ((11.6315,), ["11.6"]),  # three significant digits
        ((123.456,), ["123"]),
        ((-0.001, -0.2, 0.3), ["0.00", "-0.20", "0.30"]),  # no "-0.00"
        ((float("nan"), 1.5), ["", "1.50"]),
    ],
)
def test_format_numbers_share_decimals(values, shown):
    assert format_numbers(list(values)) == shown


def test_shown_decimals_keep_the_published_precision():
    # published.toml's death_d28_rr, 1.08 (0.80 to 1.5), comes back from results.csv as floats.
    assert shown_decimals([1.08, 0.8, 1.5]) == ["1.08", "0.80", "1.50"]
    assert shown_decimals([-4.0, -7.0, 7.0]) == ["-4", "-7", "7"]
    assert shown_decimals([0.12]) == ["0.12"]


def test_format_estimate():
    assert format_estimate(1.0929, 0.801, 1.4913) == "1.09 (0.80 to 1.49)"
    assert format_estimate(1.0, -1.0, 3.0) == "1 (-1 to 3)"
    assert format_estimate(2.5) == "2.50"
    assert format_estimate(float("nan")) == ""


# -- Table 1 ---------------------------------------------------------------------------------


def test_table_one_cells_against_pandas_and_tables(twin):
    spec, _, d = twin
    ilo, pla = spec.arms
    cells = format_table_one(_table1(spec, d), spec=spec).set_index("Characteristic")
    n = d.arm.value_counts()
    assert list(cells.columns) == [f"{ilo} (n = {n[ilo]})", f"{pla} (n = {n[pla]})", "SMD"]
    age = d.groupby("arm")["age"]
    want = [f"{m:.1f} ({s:.1f})" for m, s in zip(age.mean()[[ilo, pla]], age.std()[[ilo, pla]],
                                                 strict=True)]  # fmt: skip
    assert cells.loc["Age, years, mean (SD)"].iloc[:2].tolist() == want
    # median (Q1 to Q3) from tables.median_iqr_by_arm (R's quantile type 7), 1 decimal.
    q = tables.median_iqr_by_arm(d, "lactate_mmol_l", arms=spec.arms)
    want = [f"{r.median:.1f} ({r.q1:.1f} to {r.q3:.1f})" for r in q.itertuples()]
    assert cells.loc["Lactate, mmol/L, median (IQR)"].iloc[:2].tolist() == want
    # n (%) from tables.n_percent_by_arm, under an unindented header row.
    female = tables.n_percent_by_arm(d.assign(f=(d.sex == "F").astype(int)), "f",
                                     arms=spec.arms, decimals=1)  # fmt: skip
    assert (
        cells.loc[INDENT + "F"].iloc[:2].tolist() == female["summary"].str.replace("%", "").tolist()
    )
    assert cells.loc["Sex, n (%)"].iloc[:2].tolist() == ["", ""]
    assert cells.loc["Sex, n (%)", "SMD"] != ""  # the SMD on the variable's row
    assert "n" not in cells.index


def test_table_one_missing_values_go_to_a_footnote(twin):
    spec, _, d = twin
    d = d.copy()
    d.loc[d.index[:3], "lactate_mmol_l"] = np.nan
    cells = format_table_one(_table1(spec, d), spec=spec, smd=False)
    assert "SMD" not in cells.columns
    assert "Missing values (patients): Lactate 3." in cells.attrs["footnotes"]
    assert cells.attrs["title"].startswith("I-MICRO, Table 1.")


def test_arm_labels_come_from_the_spec(twin, tmp_path):
    # Another trial's arms: no word of I-MICRO's in any cell, header, title or footnote.
    spec, trial, d = twin
    other = dataclasses.replace(spec, name="ALPHA", experimental="drug", control="control")
    relabel = {"iloprost": "drug", "placebo": "control"}
    d = d.assign(arm=d.arm.map(relabel))
    flow = tables.consort_counts(trial.patients.assign(arm=trial.patients.arm.map(relabel)),
                                 analysed="mitt", arms=other.arms)  # fmt: skip
    t1 = format_table_one(_table1(other, d), spec=other)
    c = format_consort(flow, spec=other)
    for cells in (t1, c):
        text = " ".join([*cells.columns, *cells.to_numpy().ravel(), cells.attrs["title"],
                         *cells.attrs["footnotes"]])  # fmt: skip
        assert "iloprost" not in text and "placebo" not in text and "I-MICRO" not in text
        assert "drug" in " ".join(cells.columns)


# -- CONSORT ---------------------------------------------------------------------------------


def test_consort_cells_are_the_counts(twin):
    spec, trial, _ = twin
    flow = tables.consort_counts(trial.patients, analysed="mitt", arms=spec.arms)
    cells = format_consort(flow, spec=spec)
    assert cells.columns.tolist() == ["Stage", *spec.arms, "Total"]
    assert cells["Stage"].iloc[0] == "Randomized"
    assert cells.iloc[0, 1:].tolist() == [str(v) for v in flow.iloc[0][[*spec.arms, "total"]]]
    excluded = flow[flow.stage == "excluded"]
    header = cells.set_index("Stage").loc["Excluded after randomization"]
    assert header.tolist() == [str(excluded[c].sum()) for c in [*spec.arms, "total"]]
    reasons = cells["Stage"][cells["Stage"].str.startswith(INDENT)].str.strip().tolist()
    assert reasons == excluded["reason"].tolist()
    last = cells.iloc[-1]
    assert last["Stage"] == "Analysed (primary population)"
    assert last["Total"] == str(trial.patients.mitt.sum())


def test_consort_keeps_unknown_stages_by_name(twin):
    spec = twin[0]
    flow = pd.DataFrame({"stage": ["screened", "randomized", "lost_to_follow_up", "analysed"],
                         "reason": ["", "", "no contact", ""], "iloprost": [9, 5, 1, 4],
                         "placebo": [9, 4, 0, 4], "total": [18, 9, 1, 8]})  # fmt: skip
    cells = format_consort(flow, spec=spec)
    assert cells["Stage"].tolist() == [
        "Screened",
        "Randomized",
        "Lost to follow up",
        INDENT + "no contact",
        "Analysed (primary population)",
    ]


# -- results ---------------------------------------------------------------------------------


def test_results_cells(twin, results):
    spec = twin[0]
    table, (a, n1, b, n2), (x, y) = results
    cells = format_results(table, spec=spec)
    assert cells.columns.tolist() == ["Outcome", *spec.arms, "Estimate (95% CI)", "P value",
                                      "Published", "Verdict"]  # fmt: skip
    by = cells.set_index("Outcome")
    # The primary endpoint first, under its label; then spec order; then other analyses.
    headers = [o for o, r in by.iterrows() if (r == "").all()]
    assert headers == [f"{spec.label('delta_sofa')} (primary outcome)", spec.label("death_d28"),
                       "Other analyses"]  # fmt: skip
    # Per-arm summaries share a row: median (Q1 to Q3) from numpy's type-7 percentiles,
    # printed with the same decimals in both arms.
    q = [np.percentile(v, [50, 25, 75]) for v in (x, y)]
    want = format_numbers([*q[0], *q[1]])
    assert by.loc["Median (IQR)", list(spec.arms)].tolist() == [
        f"{want[0]} ({want[1]} to {want[2]})",
        f"{want[3]} ({want[4]} to {want[5]})",
    ]
    assert by.loc["Median (IQR)", "Published"] == "-4 (-7 to 7) vs -5 (-8 to 5)"
    assert by.loc["Patients", list(spec.arms)].tolist() == [
        f"{a}/{n1} ({100 * a / n1:.1f}%)",
        f"{b}/{n2} ({100 * b / n2:.1f}%)",
    ]
    assert by.loc["Patients", "Published"] == "48 (42%) vs 47 (39%)"
    # Comparisons: estimate (95% CI), P; the published figure with its decimals.
    hl = hodges_lehmann(x, y).iloc[0]
    row = by.loc["Median difference (HL)¹"]
    assert row["Estimate (95% CI)"] == format_estimate(hl.estimate, hl.ci_low, hl.ci_high)
    assert row["P value"] == format_p(hl.p_value)
    assert row["Published"] == "1 (0 to 3), P = 0.12"
    rr = risk_ratio(a, n1, b, n2).iloc[0]
    row = by.loc["Relative risk (log-Wald)"]
    assert row["Estimate (95% CI)"] == format_estimate(rr.estimate, rr.ci_low, rr.ci_high)
    assert row["Estimate (95% CI)"] == "1.09 (0.80 to 1.49)"  # trials.md: 1.093 (0.801-1.491)
    assert row["Published"] == "1.08 (0.80 to 1.50)"
    assert row["Verdict"] == table.set_index("analysis_id").loc["death_d28.rr", "verdict"]
    # A derived figure is marked †, a check § (after the reproductions), a note numbered.
    assert by.loc["Relative risk beside the derived crude RR", "Published"].endswith("†")
    outcomes = cells["Outcome"].tolist()
    check = "Difference in medians (quantile regression)§²"
    assert outcomes.index(check) == outcomes.index("Median difference (HL)¹") + 1
    notes = cells.attrs["footnotes"]
    assert "¹ Hodges-Lehmann shift with the Wilcoxon rank-sum CI" in notes
    assert "² median regression" in notes
    assert any(n.startswith("§ A check") for n in notes)
    assert any(n.startswith("† Derived") for n in notes)
    assert not any(n.startswith("‡") for n in notes)  # nothing provisional here
    # Totals (no arm) belong to the CONSORT table unless asked for.
    assert "Patients randomized" not in by.index
    assert (
        "Patients randomized" in format_results(table, spec=spec, totals=True)["Outcome"].tolist()
    )
    assert by.loc["Win ratio (trialkit's hierarchy)", "Estimate (95% CI)"] == "1.10 (0.82 to 1.47)"


def test_results_without_published_figures_drop_the_columns(twin, results):
    spec = twin[0]
    table = results[0].assign(published_estimate=np.nan, published_p=np.nan)
    cells = format_results(table, spec=spec, conf_level=0.9)
    assert cells.columns.tolist() == ["Outcome", *spec.arms, "Estimate (90% CI)", "P value"]


def test_results_bad_input(twin):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['arm_2'"):
        format_results(pd.DataFrame(columns=["analysis_id", "label", "arm_1"]), spec=twin[0])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        format_consort([1, 2], spec=twin[0])


# -- writing ---------------------------------------------------------------------------------


def _all(twin, results):
    spec, trial, d = twin
    flow = tables.consort_counts(trial.patients, analysed="mitt", arms=spec.arms)
    return dict(spec=spec, table1=_table1(spec, d), consort=flow, results=results[0])


def test_docx_holds_the_cells_titles_and_footnotes(twin, results, tmp_path):
    docx = pytest.importorskip("docx")
    frames = _all(twin, results)
    paths = write_tables(tmp_path, **frames, name="imicro")
    assert [p.name for p in paths] == ["imicro.docx", "imicro_table1.csv", "imicro_consort.csv",
                                       "imicro_results.csv"]  # fmt: skip
    doc = docx.Document(paths[0])
    spec = frames["spec"]
    formatted = [
        format_table_one(frames["table1"], spec=spec),
        format_consort(frames["consort"], spec=spec),
        format_results(frames["results"], spec=spec),
    ]
    assert len(doc.tables) == 3
    texts = [p.text for p in doc.paragraphs]
    for table, cells, csv in zip(doc.tables, formatted, paths[1:], strict=True):
        got = [[c.text for c in row.cells] for row in table.rows]
        assert got[0] == list(cells.columns)
        assert got[1:] == cells.to_numpy().tolist()
        assert cells.attrs["title"] in texts
        assert all(note in texts for note in cells.attrs["footnotes"])
        back = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert back.columns.tolist() == list(cells.columns)
        assert back.to_numpy().tolist() == cells.to_numpy().tolist()
    props = doc.core_properties
    assert props.author == "trialkit" and props.title == "I-MICRO: tables"
    assert props.created is None and props.modified is None and props.comments == ""
    assert doc.sections[0].page_width > doc.sections[0].page_height  # landscape


def test_docx_bytes_are_stable(twin, results, tmp_path, monkeypatch):
    pytest.importorskip("docx")
    frames = _all(twin, results)
    first = write_tables(tmp_path / "a", **frames)[0].read_bytes()
    # A day later: zipfile stamps entries with time.time() unless told otherwise.
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    second = write_tables(tmp_path / "b", **frames)[0].read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        app = z.read("docProps/app.xml").decode()
    assert "dcterms:created" not in core and "dcterms:modified" not in core
    assert "python-docx" not in core and "Microsoft" not in app and "AppVersion" not in app


def test_only_the_writer_needs_python_docx_and_imports_it_lazily():
    # The formatting functions run without python-docx (make test before it is installed).
    source = Path(word.__file__).read_text()
    assert "\nimport docx" not in source and "\nfrom docx" not in source


def test_write_tables_checks_its_arguments(twin, tmp_path):
    with pytest.raises(ValueError, match=r"name '\.\./x' must start"):
        write_tables(tmp_path, spec=twin[0], consort=pd.DataFrame(), name="../x")
    with pytest.raises(ValueError, match="at least one of"):
        write_tables(tmp_path, spec=twin[0])


def test_write_docx_replaces_the_file_whole(twin, results, tmp_path):
    pytest.importorskip("docx")
    frames = _all(twin, results)
    cells = format_consort(frames["consort"], spec=frames["spec"])
    path = tmp_path / "t.docx"
    path.write_text("old")
    write_docx(path, [cells], title="t")
    assert zipfile.is_zipfile(path) and not list(tmp_path.glob(".*.tmp"))


def test_results_footnote_names_each_endpoints_population():
    # COMBAT-SHINE: the primary endpoint per protocol, the others in the analysed (mitt) set.
    spec = load_spec("combat_shine")
    rows = pd.DataFrame(
        {
            "analysis_id": ["mean_sofa.adjusted", "death_d28.rr", "death_d90.rr"],
            "label": ["Mean daily SOFA, adjusted difference", "x", "y"],
            "arm_1": ["iloprost"] * 3,
            "arm_2": ["placebo"] * 3,
            "estimate": [0.2, 1.13, 1.12],
            "ci_low": [-0.8, 0.88, 0.91],
            "ci_high": [1.2, 1.46, 1.4],
        }
    )
    notes = format_results(rows, spec=spec).attrs["footnotes"]
    assert notes[1] == (
        f"Population: primary (per_protocol = 1); analysed (mitt = 1) for "
        f"{spec.label('death_d28')}, {spec.label('death_d90')}."
    )
