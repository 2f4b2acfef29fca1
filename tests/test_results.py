"""trialkit.published (published.toml) and trialkit.results (record, reconcile, collect,
figure_verdicts).

The verdict is arithmetic on the publication's rounding, checked here by hand and against an
oracle (the decimal module's rounding, half up and half down). The numbers used come from
/work/shared/reference/trials.md: I-MICRO day-28 deaths 48/114 vs 47/122 give the crude
log-Wald RR 1.093 (95% CI 0.801 to 1.491) against the published 1.08 (0.80 to 1.5); SAE
17/114 vs 8/122 give Fisher P = 0.055 and Yates chi-square P = 0.061 against the published
P = 0.06; COMBAT-SHINE mean daily SOFA difference 0.2 (-0.8 to 1.2). The published figures
of data/imicro/published.toml are quoted where a test uses them; where a test needs a twin's
estimates as input, they are those of the hand-set I-MICRO twin of November 2026 (its
notebook 02: Hodges-Lehmann 1 (0 to 3), P = 0.130862; bootstrap percentile CI 1 (-1 to 3);
quantile regression 1 (-2.18343 to 4.18343), P = 0.536599; ΔSOFA median (IQR) -4 (-7 to 6)
iloprost, -5 (-8 to 4.75) placebo): fixed inputs, not read from the current twin.
"""

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from trialkit.published import load_published, precision
from trialkit.results import (
    COLUMNS,
    KINDS,
    VERDICTS,
    collect,
    figure_verdicts,
    published_point,
    reconcile,
    record,
)
from trialkit.schema import DataError

PUBLISHED_TOML = """
[sources]
A = "Legrand M et al. Am J Respir Crit Care Med 2025;211(7):1211-1219"
C4 = "Third-party summary of Bestle 2024"

[figures.rr_death_d28]
label = "Death by day 28, relative risk"
endpoint = "death_d28"
estimate = 1.08
ci_low = 0.80
ci_high = 1.5
source = "A"

[figures.md_mean_sofa]
label = "Mean daily SOFA, mean difference"
estimate = 0.2
ci_low = -0.8
ci_high = 1.2
source = "C4"
provisional = true

[figures.deaths_iloprost]
arm = "iloprost"
events = 48
n = 114
percent = 42
derived = true
note = "arm sizes derived from the percentages"
source = "A"
"""


@pytest.fixture
def published(tmp_path):
    folder = tmp_path / "imicro"
    folder.mkdir()
    (folder / "published.toml").write_text(PUBLISHED_TOML)
    return load_published(folder)


def one_row(estimate, ci_low, ci_high, p_value=None):
    row = {"estimate": [estimate], "ci_low": [ci_low], "ci_high": [ci_high]}
    if p_value is not None:
        row["p_value"] = [p_value]
    return pd.DataFrame(row)


# --- load_published -------------------------------------------------------------------


def test_missing_published_toml_reads_as_nothing_published(tmp_path):
    assert load_published(tmp_path) == {"sources": {}, "figures": {}}


def test_load_published_keeps_file_order_and_only_given_keys(published):
    assert list(published["figures"]) == ["rr_death_d28", "md_mean_sofa", "deaths_iloprost"]
    assert published["figures"]["rr_death_d28"] == {
        "label": "Death by day 28, relative risk",
        "endpoint": "death_d28",
        "estimate": 1.08,
        "ci_low": 0.80,
        "ci_high": 1.5,
        "source": "A",
    }
    assert published["sources"]["C4"].startswith("Third-party")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[figures.x]\nestimate = '1.08'\n", r"\[figures.x\] estimate must be a finite number"),
        ("[figures.x]\nestimate = true\n", r"\[figures.x\] estimate must be a finite number"),
        ("[figures.x]\nestimate = nan\n", r"\[figures.x\] estimate must be a finite number"),
        ("[figures.x]\nestimat = 1.0\n", r"\[figures.x\] unknown key 'estimat'"),
        ("[figures.x]\nprovisional = 1\n", r"\[figures.x\] provisional must be true or false"),
        ("[figures.x]\nlabel = 3\n", r"\[figures.x\] label must be a string"),
        ("[figures.x]\nestimate = 1.0\nrounding = 0\n", r"rounding must be > 0"),
        ("[figures.x]\nsource = 'B'\n", r"source 'B' is not a key of \[sources\]"),
        ("[figure.x]\nestimate = 1.0\n", r"unknown section \[figure\]"),
        ("[figures.x\n", r"not valid TOML"),
    ],
)
def test_load_published_names_file_figure_and_rule(tmp_path, body, expected):
    (tmp_path / "published.toml").write_text(body)
    with pytest.raises(DataError, match=expected) as info:
        load_published(tmp_path)
    assert "published.toml" in str(info.value)


def test_load_published_reports_every_problem_at_once(tmp_path):
    (tmp_path / "published.toml").write_text(
        "[figures.a]\nestimate = 'x'\n[figures.b]\nsource = 'Z'\nrounding = -1\n"
    )
    with pytest.raises(DataError) as info:
        load_published(tmp_path)
    assert len(info.value.problems) == 3


@pytest.mark.parametrize(
    ("figure", "key", "step"),
    [
        ({"estimate": 1.08}, "estimate", 0.01),
        ({"ci_high": 1.5}, "ci_high", 0.1),
        ({"estimate": 0.25}, "estimate", 0.01),
        ({"estimate": 1}, "estimate", 1.0),
        ({"estimate": -4}, "estimate", 1.0),
        ({"estimate": 120}, "estimate", 1.0),
        ({"p_value": 0.001}, "p_value", 0.001),
        ({"estimate": 1.0}, "estimate", 0.1),  # written "1.0" in TOML: one decimal printed
        ({"estimate": 0.8, "rounding": 0.01}, "estimate", 0.01),  # "0.80": say so
        ({"estimate": 1.08, "rounding": 0.5}, "estimate", 0.5),
    ],
)
def test_precision_is_rounding_or_the_decimals_written(figure, key, step):
    assert precision(figure, key) == pytest.approx(step)


# --- reconcile ------------------------------------------------------------------------

RR_PUBLISHED = {"estimate": 1.08, "ci_low": 0.80, "ci_high": 1.5}


def test_crude_rr_differs_from_published_rr_on_the_estimate_only():
    verdict, detail = reconcile(1.0934, 0.8013, 1.4912, math.nan, RR_PUBLISHED)
    assert verdict == "differs"
    assert detail == "estimate 1.093 vs 1.08 published (printed to 0.01)"


def test_every_differing_limit_is_named():
    verdict, detail = reconcile(1.0934, 0.70, 1.7, math.nan, RR_PUBLISHED)
    assert verdict == "differs"
    assert detail.split("; ") == [
        "estimate 1.093 vs 1.08 published (printed to 0.01)",
        "CI low 0.70 vs 0.8 published (printed to 0.1)",
        "CI high 1.70 vs 1.5 published (printed to 0.1)",
    ]


@pytest.mark.parametrize(
    ("ours", "verdict"),
    [
        ((0.24, -0.84, 1.25), "agrees"),
        ((0.15, -0.75, 1.15), "agrees"),  # exactly half a step below: still rounds to it
        ((0.25, -0.85, 1.25), "agrees"),  # exactly half a step above
        ((0.2501, -0.8, 1.2), "differs"),
        ((0.2, -0.8, 1.2501), "differs"),
    ],
)
def test_agreement_is_within_half_the_published_rounding(ours, verdict):
    figure = {"estimate": 0.2, "ci_low": -0.8, "ci_high": 1.2}
    assert reconcile(*ours, math.nan, figure)[0] == verdict


def test_half_step_boundary_survives_binary_floating_point():
    # 1.08 - 1.075 is 0.00500000000000012 in doubles; it still rounds to 1.08.
    assert reconcile(1.075, 0.8, 1.5, math.nan, RR_PUBLISHED)[0] == "agrees"
    assert reconcile(1.085, 0.8, 1.5, math.nan, RR_PUBLISHED)[0] == "agrees"
    assert reconcile(1.0749, 0.8, 1.5, math.nan, RR_PUBLISHED)[0] == "differs"


def test_explicit_rounding_overrides_the_written_decimals():
    figure = {**RR_PUBLISHED, "rounding": 0.1}
    assert reconcile(1.0934, 0.8013, 1.4912, math.nan, figure) == ("agrees", "")


def test_p_value_alone_is_compared_when_no_estimate_is_published():
    figure = {"p_value": 0.06}
    assert reconcile(2.2, 0.9, 5.6, 0.055, figure)[0] == "agrees"  # Fisher
    assert reconcile(2.2, 0.9, 5.6, 0.061, figure)[0] == "agrees"  # Yates chi-square
    assert reconcile(2.2, 0.9, 5.6, 0.0549, figure) == (
        "differs",
        "P 0.055 vs 0.06 published (printed to 0.01)",
    )


def test_p_value_is_compared_beside_an_interval():
    # A publication printing "1.1 (0.8 to 1.5), P = 0.9" beside trialkit's P = 0.57: the
    # interval agrees, the P value does not, so the figure is not reproduced.
    figure = {**RR_PUBLISHED, "rounding": 0.1, "p_value": 0.9}
    assert reconcile(1.0934, 0.8013, 1.4912, 0.57, figure) == (
        "differs",
        "P 0.57 vs 0.9 published (printed to 0.1)",
    )


def test_median_is_compared_when_no_estimate_is_published():
    figure = {"median": 0.25, "ci_low": -1.1, "ci_high": 1.8}
    assert reconcile(0.25, -1.1, 1.8, math.nan, figure)[0] == "agrees"
    assert reconcile(0.5, -1.1, 1.8, math.nan, figure)[1].startswith("median 0.500 vs 0.25")


def test_missing_estimate_of_ours_differs():
    assert reconcile(math.nan, 0.8, 1.5, math.nan, RR_PUBLISHED) == (
        "differs",
        "estimate not computed (1.08 published)",
    )


def test_no_figure_is_not_published():
    assert reconcile(1.0, 0.0, 2.0, 0.5, None) == ("not published", "")


def test_a_count_figure_is_compared_on_its_count_a_percentage_on_the_percentage():
    # "48/114 (42%)": 100 * 48 / 114 = 42.105, which prints as 42
    deaths = {"events": 48, "n": 114, "percent": 42}
    assert published_point(deaths) == "events"
    nan = math.nan
    assert reconcile(48, nan, nan, nan, deaths, n=114, percent=42.1053) == ("agrees", "")
    assert reconcile(47, nan, nan, nan, deaths, n=114, percent=41.2281) == (
        "differs",
        "events 47.0 vs 48 published (printed to 1); percent 41.2 vs 42 published (printed to 1)",
    )
    # the count alone does not reproduce a figure that prints its denominator and percentage
    assert reconcile(48, nan, nan, nan, deaths) == (
        "differs",
        "n not computed (114 published); percent not computed (42 published)",
    )
    assert published_point({"n": 240}) == "n"
    assert reconcile(240, math.nan, math.nan, math.nan, {"n": 240})[0] == "agrees"
    # COMBAT-SHINE day-28 deaths printed as "49%" only
    assert reconcile(49.3, math.nan, math.nan, math.nan, {"percent": 49})[0] == "agrees"
    assert reconcile(0.493, math.nan, math.nan, math.nan, {"percent": 49})[0] == "differs"


def test_the_p_value_keeps_its_own_precision_beside_a_rounding():
    # I-MICRO primary: 1 (0 to 3), P = 0.12, with rounding = 1 for the median difference
    figure = {"p_value": 0.12, "rounding": 1}
    assert precision(figure, "p_value") == pytest.approx(0.01)
    assert reconcile(1.4, 0.2, 3.3, 0.1184, figure)[0] == "agrees"
    assert reconcile(1.4, 0.2, 3.3, 0.1384, figure)[0] == "differs"


def test_a_figure_with_nothing_to_compare_is_refused():
    with pytest.raises(ValueError, match="none of estimate, median, events, q1, q3, ci_low"):
        reconcile(0.42, 0.33, 0.51, math.nan, {"label": "x", "source": "A"})


# --- record ---------------------------------------------------------------------------


def test_record_writes_one_file_per_analysis_with_the_design_columns(tmp_path, published):
    row = record(
        tmp_path,
        "imicro",
        "rr_death_d28",
        "Death by day 28, relative risk",
        one_row(1.09340123456, 0.80130987, 1.49121212, 0.57412345),
        arm_1="iloprost",
        arm_2="placebo",
        published_id="rr_death_d28",
        published=published,
        note="crude log-Wald RR from the counts",
    )
    path = tmp_path / "imicro" / "results" / "rr_death_d28.csv"
    written = pd.read_csv(path, keep_default_na=False)
    assert tuple(written.columns) == COLUMNS
    assert tuple(row.columns) == COLUMNS
    assert len(row) == 1
    r = row.iloc[0]
    # six significant digits, in the file as in the returned row
    assert (r["estimate"], r["ci_low"], r["ci_high"], r["p_value"]) == (
        1.0934,
        0.80131,
        1.49121,
        0.574123,
    )
    assert written.loc[0, "estimate"] == 1.0934
    assert (r["published_estimate"], r["published_ci_low"], r["published_ci_high"]) == (
        1.08,
        0.8,
        1.5,
    )
    assert math.isnan(r["published_p"])
    assert r["verdict"] == "differs"
    assert r["kind"] == "reproduction"
    # the comparison and the author's note, each written once, apart
    assert r["why"] == "estimate 1.093 vs 1.08 published (printed to 0.01)"
    assert r["note"] == "crude log-Wald RR from the counts"
    assert r["source"] == "[A] Legrand M et al. Am J Respir Crit Care Med 2025;211(7):1211-1219"
    assert r["published_id"] == "rr_death_d28"
    assert (r["trial"], r["arm_1"], r["arm_2"]) == ("imicro", "iloprost", "placebo")


def test_record_flags_a_provisional_source_and_agrees(tmp_path, published):
    row = record(
        tmp_path,
        "combat_shine",
        "md_mean_sofa",
        "Mean daily SOFA",
        one_row(0.23, -0.79, 1.24),
        arm_1="iloprost",
        arm_2="placebo",
        published_id="md_mean_sofa",
        published=published,
    )
    assert row.loc[0, "verdict"] == "agrees"
    assert row.loc[0, ["note", "why"]].tolist() == ["", ""]
    assert row.loc[0, "source"].endswith("Bestle 2024 (provisional)")
    assert math.isnan(row.loc[0, "p_value"])  # the result had no p_value column


def test_record_without_published_figure(tmp_path):
    row = record(
        tmp_path,
        "imicro",
        "rd_death_d28",
        "Death by day 28, risk difference",
        one_row(0.0358, -0.0898, 0.1614),
        arm_1="iloprost",
        arm_2="placebo",
        note="no risk difference was published",
    )
    assert row.loc[0, "verdict"] == "not published"
    assert row.loc[0, "kind"] == "estimate"
    assert row.loc[0, "note"] == "no risk difference was published"
    assert row.loc[0, "why"] == ""
    assert row.loc[0, ["source", "published_id"]].tolist() == ["", ""]
    assert row[["published_estimate", "published_ci_low"]].isna().all(axis=None)


def test_record_again_replaces_the_row(tmp_path):
    for estimate in (1.0, 2.0):
        record(tmp_path, "t", "a", "A", one_row(estimate, 0, 3), arm_1="x", arm_2="y")
    assert collect(tmp_path, "t")["estimate"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"analysis_id": "../escape"}, "analysis_id '../escape' must start"),
        ({"analysis_id": "a b"}, "analysis_id 'a b' must start"),
        ({"trial": "/abs/spec.toml"}, "trial '/abs/spec.toml' must start"),
        ({"result": pd.concat([one_row(1, 0, 2)] * 2)}, "one-row DataFrame, got 2 rows"),
        ({"result": {"estimate": 1}}, "one-row DataFrame, got dict"),
        ({"result": pd.DataFrame({"estimate": [1.0]})}, "lacks column.s. ci_low, ci_high"),
        ({"result": one_row("big", 0, 2)}, "must be numbers"),
        ({"published_id": "rr_death_d28"}, "without published="),
        ({"published_id": "nope", "published": {"figures": {"a": {}}}}, "no published figure"),
    ],
)
def test_record_refuses_bad_input_clearly(tmp_path, kwargs, expected):
    args = {"analysis_id": "x", "result": one_row(1.0, 0.5, 2.0), **kwargs}
    with pytest.raises(ValueError, match=expected):
        record(
            tmp_path,
            args.pop("trial", "imicro"),
            args.pop("analysis_id"),
            "label",
            args.pop("result"),
            arm_1="iloprost",
            arm_2="placebo",
            **args,
        )


# --- collect --------------------------------------------------------------------------


def test_collect_sorts_by_analysis_id_whatever_the_order_written(tmp_path, published):
    for aid in ("zeta", "alpha", "mid"):
        record(tmp_path, "imicro", aid, f"label {aid}", one_row(1, 0, 2), arm_1="a", arm_2="b")
    table = collect(tmp_path, "imicro")
    assert table["analysis_id"].tolist() == ["alpha", "mid", "zeta"]
    assert tuple(table.columns) == COLUMNS
    on_disk = pd.read_csv(tmp_path / "imicro" / "results.csv", keep_default_na=False)
    assert on_disk["analysis_id"].tolist() == ["alpha", "mid", "zeta"]


def test_collect_is_byte_stable_and_keeps_text_as_text(tmp_path):
    record(tmp_path, "t", "b", "NA", one_row(1 / 3, -np.pi, 1e-7, 1e-12), arm_1="NA", arm_2="")
    record(tmp_path, "t", "a", "Nan", one_row(-0.0, 0.0, 2.0), arm_1="x", arm_2="y")
    first = collect(tmp_path, "t")
    text = (tmp_path / "t" / "results.csv").read_text()
    second = collect(tmp_path, "t")
    assert (tmp_path / "t" / "results.csv").read_text() == text
    pd.testing.assert_frame_equal(first, second)
    b = first.set_index("analysis_id").loc["b"]
    assert (b["label"], b["arm_1"], b["arm_2"], b["note"]) == ("NA", "NA", "", "")
    assert (b["estimate"], b["ci_low"], b["ci_high"], b["p_value"]) == (
        0.333333,
        -3.14159,
        1e-07,
        1e-12,
    )
    assert "\r" not in text


def test_collect_with_nothing_recorded_writes_the_header(tmp_path):
    table = collect(tmp_path, "imicro")
    assert table.empty and tuple(table.columns) == COLUMNS
    header = (tmp_path / "imicro" / "results.csv").read_text()
    assert header == ",".join(COLUMNS) + "\n"


def test_rounding_by_key_for_a_figure_printed_with_mixed_precision():
    # I-MICRO [A] printed the day-28 relative risk as "1.08 (0.80 to 1.5)": the upper limit to
    # one decimal. 1.46 rounds to 1.5, so it agrees there; 1.06 does not round to 1.08.
    fig = {
        "estimate": 1.08,
        "ci_low": 0.8,
        "ci_high": 1.5,
        "rounding": {"estimate": 0.01, "ci_low": 0.01, "ci_high": 0.1},
    }
    assert precision(fig, "ci_high") == 0.1
    assert precision(fig, "ci_low") == 0.01
    assert reconcile(1.08, 0.80, 1.46, math.nan, fig)[0] == "agrees"
    verdict, detail = reconcile(1.06, 0.80, 1.46, math.nan, fig)
    assert verdict == "differs" and "estimate 1.060 vs 1.08" in detail


@pytest.mark.parametrize(
    ("rounding", "message"),
    [
        ("{estimate = 0}", r"rounding\.estimate must be > 0"),
        ("{bogus = 0.1}", r"rounding\.bogus: not one of the figure's numbers"),
    ],
)
def test_a_bad_rounding_table_is_named(tmp_path, rounding, message):
    (tmp_path / "published.toml").write_text(
        f"[figures.x]\nestimate = 1.0\nrounding = {rounding}\n"
    )
    with pytest.raises(DataError, match=message):
        load_published(tmp_path)


# --- everything printed is compared (issue 13) ---------------------------------------------

# data/imicro/published.toml, [figures.delta_sofa_difference]: "1 (0 to 3), P = 0.12"
DELTA_SOFA_DIFFERENCE = {
    "estimate": 1.0, "ci_low": 0.0, "ci_high": 3.0, "p_value": 0.12, "rounding": 1,
}  # fmt: skip
# [figures.delta_sofa_iloprost] "-4 (-7 to 7)" and [figures.delta_sofa_placebo] "-5 (-8 to 5)"
DELTA_SOFA_ILOPROST = {"median": -4.0, "q1": -7.0, "q3": 7.0, "rounding": 1}
DELTA_SOFA_PLACEBO = {"median": -5.0, "q1": -8.0, "q3": 5.0, "rounding": 1}


def test_wilcox_p_of_the_twin_differs_from_the_published_p_and_nothing_else():
    # The hand-set I-MICRO twin (before trialkit calibrate) had a Hodges-Lehmann shift (R
    # wilcox.test(conf.int = TRUE)) of 1 (0 to 3) as printed, but its P 0.130862 is outside
    # [0.115, 0.125], what "P = 0.12" covers.
    assert reconcile(1.0, 0.0, 3.0, 0.130862, DELTA_SOFA_DIFFERENCE) == (
        "differs",
        "P 0.131 vs 0.12 published (printed to 0.01)",
    )
    # the tests/fixtures notebook's 0.1184 prints as 0.12
    assert reconcile(1.0, 0.0, 3.0, 0.1184, DELTA_SOFA_DIFFERENCE) == ("agrees", "")


@pytest.mark.parametrize(
    ("p", "verdict"),
    [(0.115, "agrees"), (0.125, "agrees"), (0.1149, "differs"), (0.1251, "differs")],
)
def test_a_p_value_agrees_within_the_precision_it_was_printed_to(p, verdict):
    # "P = 0.12": 0.115 prints as 0.12 rounding half up, 0.125 rounding half to even; the
    # rounding rule of a journal is not known, so both exact halves agree.
    assert reconcile(1.0, 0.0, 3.0, p, DELTA_SOFA_DIFFERENCE)[0] == verdict


def test_a_p_value_printed_with_a_trailing_zero_needs_its_rounding():
    # TOML reads "P = 0.10" as 0.1, one decimal: rounding.p_value says it had two.
    loose = {"p_value": 0.1}
    strict = {"p_value": 0.1, "rounding": {"p_value": 0.01}}
    assert reconcile(math.nan, math.nan, math.nan, 0.13, loose)[0] == "agrees"
    assert reconcile(math.nan, math.nan, math.nan, 0.13, strict) == (
        "differs",
        "P 0.130 vs 0.10 published (printed to 0.01)",
    )


def test_a_reproduction_that_computed_no_p_differs_on_the_p():
    assert reconcile(1.0, 0.0, 3.0, math.nan, DELTA_SOFA_DIFFERENCE) == (
        "differs",
        "P not computed (0.12 published)",
    )


def test_the_quartiles_of_a_median_are_compared():
    # Twin, iloprost: -4 (-7 to 6) against the published -4 (-7 to 7): the upper quartile
    # differs by 1, twice the half-step of 0.5.
    assert reconcile(-4.0, math.nan, math.nan, math.nan, DELTA_SOFA_ILOPROST, q1=-7, q3=6) == (
        "differs",
        "Q3 6.0 vs 7 published (printed to 1)",
    )
    # Twin, placebo: -5 (-8 to 4.75); 4.75 prints as 5, so the figure is reproduced.
    placebo = reconcile(-5.0, math.nan, math.nan, math.nan, DELTA_SOFA_PLACEBO, q1=-8, q3=4.75)
    assert placebo == ("agrees", "")


def test_a_median_without_its_quartiles_does_not_reproduce_a_median_iqr():
    assert reconcile(-4.0, math.nan, math.nan, math.nan, DELTA_SOFA_ILOPROST) == (
        "differs",
        "Q1 not computed (-7 published); Q3 not computed (7 published)",
    )


def test_every_part_that_differs_has_its_clause_in_printed_order():
    # [figures.mean_sofa_iloprost] "11.2 (7.4 to 15.9)" against the twin's 10.7857 (7.19643
    # to 16.5), tables.median_iqr_by_arm on the bundled data.
    figure = {"median": 11.2, "q1": 7.4, "q3": 15.9, "rounding": 0.1}
    verdict, why = reconcile(10.7857, math.nan, math.nan, math.nan, figure, q1=7.19643, q3=16.5)
    assert verdict == "differs"
    assert why.split("; ") == [
        "median 10.79 vs 11.2 published (printed to 0.1)",
        "Q1 7.20 vs 7.4 published (printed to 0.1)",
        "Q3 16.50 vs 15.9 published (printed to 0.1)",
    ]


def test_a_second_point_beside_the_first_cannot_be_compared_and_says_so():
    figure = {"estimate": 10.6, "median": 10.0, "rounding": 0.1}
    assert reconcile(10.6, math.nan, math.nan, math.nan, figure) == (
        "differs",
        "median 10.0 published beside the estimate: not compared (a row records one point)",
    )


# Oracle: "agrees" is exactly "the published number is what trialkit's number prints as",
# under rounding half up or half down (a journal's rule at an exact half is not known).
@given(
    value=st.decimals(min_value=-50, max_value=50, places=4, allow_nan=False),
    places=st.integers(min_value=0, max_value=3),
    offset=st.integers(min_value=-2, max_value=2),
)
@example(value=Decimal("1.085"), places=2, offset=0)  # an exact half: 1.09, half up
@example(value=Decimal("1.085"), places=2, offset=-1)  # 1.08, half down: also agrees
@example(value=Decimal("1.085"), places=2, offset=1)  # 1.10: a step too far
@example(value=Decimal("-0.125"), places=2, offset=0)
@example(value=Decimal("0.0049"), places=2, offset=1)
def test_agreement_is_what_the_number_prints_as(value, places, offset):
    step = Decimal(1).scaleb(-places)
    printed = value.quantize(step, rounding=ROUND_HALF_UP) + offset * step
    figure = {"estimate": float(printed), "rounding": float(step)}
    prints_as = {value.quantize(step, rounding=r) for r in (ROUND_HALF_UP, ROUND_HALF_DOWN)}
    verdict, _ = reconcile(float(value), math.nan, math.nan, math.nan, figure)
    assert (verdict == "agrees") == (printed in prints_as)


# --- checks ---------------------------------------------------------------------------------


def test_a_check_is_compared_on_what_it_computes():
    # notebook 02's stratified bootstrap percentile CI of the median difference: 1 (-1 to 3),
    # no P value. The P is not compared; the lower limit differs.
    verdict, why = reconcile(1.0, -1.0, 3.0, math.nan, DELTA_SOFA_DIFFERENCE, check=True)
    assert verdict == "differs"
    assert why.split("; ") == [
        "CI low -1.0 vs 0 published (printed to 1)",
        "P not computed (0.12 published), not compared",
    ]
    # quantile regression: 1 (-2.18343 to 4.18343), P 0.536599
    verdict, why = reconcile(1.0, -2.18343, 4.18343, 0.536599, DELTA_SOFA_DIFFERENCE, check=True)
    assert why.split("; ") == [
        "CI low -2.2 vs 0 published (printed to 1)",
        "CI high 4.2 vs 3 published (printed to 1)",
        "P 0.537 vs 0.12 published (printed to 0.01)",
    ]


def test_a_check_that_computed_nothing_printed_differs():
    verdict, why = reconcile(math.nan, math.nan, math.nan, math.nan, {"p_value": 0.06}, check=True)
    assert verdict == "differs"
    assert why == "P not computed (0.06 published), not compared"


def test_record_marks_a_check_and_keeps_the_note_as_given(tmp_path):
    # [figures.sae_comparison] "P = 0.06"; Yates' chi-square of 17/114 vs 8/122, P 0.0611428
    pub = {"sources": {"A": "Legrand 2025"},
           "figures": {"sae_comparison": {"p_value": 0.06, "rounding": 0.01, "source": "A",
                                          "note": "The test is not published."}}}  # fmt: skip
    chi2 = one_row(0.083549, -0.00370713, 0.170805, 0.0611428)
    row = record(tmp_path, "imicro", "sae.chi2_yates", "SAE, chi-square (Yates)", chi2,
                 arm_1="iloprost", arm_2="placebo", published_id="sae_comparison",
                 published=pub, note="a check on Fisher's test", check=True)  # fmt: skip
    r = row.iloc[0]
    assert (r["kind"], r["verdict"], r["why"]) == ("check", "agrees", "")
    assert r["note"] == "a check on Fisher's test"  # the figure's own note is not copied in
    assert r["published_p"] == 0.06


def test_record_takes_quartiles_and_writes_them_beside_the_published_ones(tmp_path):
    pub = {"sources": {}, "figures": {"delta_sofa_iloprost": DELTA_SOFA_ILOPROST}}
    row = record(tmp_path, "imicro", "delta_sofa.median.iloprost", "ΔSOFA, median, iloprost",
                 one_row(-4.0, math.nan, math.nan), arm_1="iloprost", arm_2="",
                 published_id="delta_sofa_iloprost", published=pub,
                 q1=np.float64(-7.0), q3=6)  # fmt: skip
    r = collect(tmp_path, "imicro").iloc[0]
    assert (r["verdict"], r["why"]) == ("differs", "Q3 6.0 vs 7 published (printed to 1)")
    assert (r["estimate"], r["q1"], r["q3"]) == (-4.0, -7.0, 6.0)
    assert (r["published_estimate"], r["published_q1"], r["published_q3"]) == (-4.0, -7.0, 7.0)
    assert math.isnan(r["n"]) and math.isnan(r["published_percent"])
    assert row.iloc[0]["why"] == r["why"]


def test_the_point_is_not_repeated_in_its_part_column(tmp_path):
    # [figures.sae_iloprost] "15%": the percentage is the point, in published_estimate
    pub = {"sources": {}, "figures": {"sae_iloprost": {"percent": 15, "rounding": 1}}}
    row = record(tmp_path, "imicro", "sae.percent.iloprost", "SAE, %, iloprost",
                 one_row(14.9123, math.nan, math.nan), arm_1="iloprost", arm_2="",
                 published_id="sae_iloprost", published=pub)  # fmt: skip
    assert row.loc[0, "published_estimate"] == 15
    assert math.isnan(row.loc[0, "published_percent"])
    assert row.loc[0, "verdict"] == "agrees"


def test_record_with_a_count_its_denominator_and_percentage(tmp_path, published):
    # fixture [figures.deaths_iloprost] "48/114 (42%)"
    row = record(tmp_path, "imicro", "death_d28.deaths.iloprost", "Deaths, iloprost",
                 one_row(48, math.nan, math.nan), arm_1="iloprost", arm_2="",
                 published_id="deaths_iloprost", published=published, n=114,
                 percent=100 * 48 / 114)  # fmt: skip
    r = row.iloc[0]
    assert (r["verdict"], r["n"], r["percent"]) == ("agrees", 114.0, 42.1053)
    assert (r["published_estimate"], r["published_n"], r["published_percent"]) == (48, 114, 42)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"q1": "7"}, "x: q1 must be a number, got '7'"),
        ({"percent": True}, "x: percent must be a number, got True"),
        ({"n": [114]}, r"x: n must be a number, got \[114\]"),
        ({"check": "yes"}, "x: check must be True or False, got 'yes'"),
    ],
)
def test_record_refuses_bad_parts_clearly(tmp_path, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        record(tmp_path, "t", "x", "X", one_row(1, 0, 2), arm_1="a", arm_2="b", **kwargs)


def test_missing_parts_are_nan_whatever_missing_value_is_given(tmp_path):
    row = record(tmp_path, "t", "x", "X", one_row(1, 0, 2), arm_1="a", arm_2="b",
                 q1=None, q3=np.nan, n=pd.NA)  # fmt: skip
    assert row[["q1", "q3", "n", "percent"]].isna().all(axis=None)


def test_kinds_and_verdicts_are_the_documented_ones(tmp_path, published):
    record(tmp_path, "t", "a", "A", one_row(1, 0, 2), arm_1="a", arm_2="b")
    record(tmp_path, "t", "b", "B", one_row(1, 0, 2), arm_1="a", arm_2="b", check=True)
    record(tmp_path, "t", "c", "C", one_row(0.23, -0.79, 1.24), arm_1="a", arm_2="b",
           published_id="md_mean_sofa", published=published)  # fmt: skip
    table = collect(tmp_path, "t")
    assert table["kind"].tolist() == ["estimate", "check", "reproduction"]
    assert table["verdict"].tolist() == ["not published", "not published", "agrees"]
    assert set(table["kind"]) <= set(KINDS) and set(table["verdict"]) <= set(VERDICTS)


# --- results.csv: the contract --------------------------------------------------------------


def test_the_design_columns_keep_their_place_and_the_new_ones_follow():
    assert COLUMNS[:17] == (
        "trial", "analysis_id", "label", "arm_1", "arm_2", "estimate", "ci_low", "ci_high",
        "p_value", "published_estimate", "published_ci_low", "published_ci_high", "published_p",
        "source", "verdict", "note", "published_id",
    )  # fmt: skip
    assert COLUMNS[17:] == (
        "kind", "why", "q1", "q3", "n", "percent",
        "published_q1", "published_q3", "published_n", "published_percent",
    )  # fmt: skip


def test_collect_is_byte_stable_with_the_parts(tmp_path):
    pub = {"sources": {}, "figures": {"m": DELTA_SOFA_ILOPROST}}
    record(tmp_path, "t", "m", "M", one_row(-4, math.nan, math.nan), arm_1="a", arm_2="",
           published_id="m", published=pub, q1=-7.000000001, q3=1 / 3)  # fmt: skip
    collect(tmp_path, "t")
    text = (tmp_path / "t" / "results.csv").read_text()
    collect(tmp_path, "t")
    assert (tmp_path / "t" / "results.csv").read_text() == text
    line = text.splitlines()[1]
    # kind, why, q1, q3, n, percent, published_q1, _q3, _n, _percent; q1 agrees, so no clause
    assert ",reproduction,Q3 0.3 vs 7 published (printed to 1),-7.0,0.333333,,,-7.0,7.0,," in line


def test_collect_refuses_a_file_of_an_older_trialkit_by_name(tmp_path):
    folder = tmp_path / "t" / "results"
    folder.mkdir(parents=True)
    (folder / "old.csv").write_text(",".join(COLUMNS[:17]) + "\n")
    with pytest.raises(ValueError, match=r"old.csv: not a trialkit result \(lacks kind, why"):
        collect(tmp_path, "t")


# --- figure_verdicts ------------------------------------------------------------------------


def test_each_published_figure_is_counted_once_by_its_reproduction(tmp_path):
    # notebook 02 on the I-MICRO twin: the HL shift reproduces delta_sofa_difference and
    # differs on P; the bootstrap and quantile regression are checks beside it.
    pub = {"sources": {}, "figures": {"delta_sofa_difference": DELTA_SOFA_DIFFERENCE,
                                      "delta_sofa_iloprost": DELTA_SOFA_ILOPROST,
                                      "delta_sofa_placebo": DELTA_SOFA_PLACEBO}}  # fmt: skip

    def keep(aid, result, fid, **kw):
        record(tmp_path, "imicro", aid, aid, result, arm_1="iloprost", arm_2="placebo",
               published_id=fid, published=pub, **kw)  # fmt: skip

    keep("hl", one_row(1.0, 0.0, 3.0, 0.130862), "delta_sofa_difference")
    keep("boot", one_row(1.0, -1.0, 3.0), "delta_sofa_difference", check=True)
    keep("qr", one_row(1.0, -2.18343, 4.18343, 0.536599), "delta_sofa_difference", check=True)
    keep("med.placebo", one_row(-5, math.nan, math.nan), "delta_sofa_placebo", q1=-8, q3=4.75)
    table = collect(tmp_path, "imicro")
    out = figure_verdicts(table, pub["figures"])
    assert out.to_dict("records") == [
        {"published_id": "delta_sofa_difference", "verdict": "differs", "reproductions": 1,
         "checks": 2, "analysis_ids": "hl"},
        {"published_id": "delta_sofa_iloprost", "verdict": "not computed", "reproductions": 0,
         "checks": 0, "analysis_ids": ""},
        {"published_id": "delta_sofa_placebo", "verdict": "agrees", "reproductions": 1,
         "checks": 0, "analysis_ids": "med.placebo"},
    ]  # fmt: skip
    # the counts add up: three figures, each counted once
    assert out["verdict"].value_counts().sum() == len(pub["figures"])


def test_a_figure_with_checks_only_is_not_computed_and_two_reproductions_must_all_agree():
    table = pd.DataFrame(
        {
            "published_id": ["a", "b", "b"],
            "kind": ["check", "reproduction", "reproduction"],
            "verdict": ["agrees", "agrees", "differs"],
            "analysis_id": ["a.check", "b.fisher", "b.chi2"],
        }
    )
    out = figure_verdicts(table, ["a", "b"]).set_index("published_id")
    assert out.loc["a", ["verdict", "checks"]].tolist() == ["not computed", 1]
    assert out.loc["b", ["verdict", "reproductions"]].tolist() == ["differs", 2]
    assert out.loc["b", "analysis_ids"] == "b.fisher, b.chi2"
    with pytest.raises(ValueError, match=r"lacks column\(s\) kind"):
        figure_verdicts(table.drop(columns="kind"), ["a"])
