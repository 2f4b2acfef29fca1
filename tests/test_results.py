"""trialkit.published (published.toml) and trialkit.results (record, reconcile, collect).

The verdict is arithmetic on the publication's rounding, checked here by hand. The numbers
used come from /work/shared/reference/trials.md: I-MICRO day-28 deaths 48/114 vs 47/122
give the crude log-Wald RR 1.093 (95% CI 0.801 to 1.491) against the published 1.08 (0.80
to 1.5); SAE 17/114 vs 8/122 give Fisher P = 0.055 and Yates chi-square P = 0.061 against
the published P = 0.06; COMBAT-SHINE mean daily SOFA difference 0.2 (-0.8 to 1.2).
"""

import math

import numpy as np
import pandas as pd
import pytest

from trialkit.published import load_published, precision
from trialkit.results import COLUMNS, collect, published_point, reconcile, record
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
    assert detail == "estimate 1.093 vs 1.08 published (rounding 0.01)"


def test_every_differing_limit_is_named():
    verdict, detail = reconcile(1.0934, 0.70, 1.7, math.nan, RR_PUBLISHED)
    assert verdict == "differs"
    assert detail.split("; ") == [
        "estimate 1.093 vs 1.08 published (rounding 0.01)",
        "ci_low 0.70 vs 0.8 published (rounding 0.1)",
        "ci_high 1.70 vs 1.5 published (rounding 0.1)",
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
        "p_value 0.055 vs 0.06 published (rounding 0.01)",
    )


def test_p_value_is_not_compared_beside_an_interval():
    figure = {**RR_PUBLISHED, "rounding": 0.1, "p_value": 0.9}
    assert reconcile(1.0934, 0.8013, 1.4912, 0.57, figure)[0] == "agrees"


def test_median_is_compared_when_no_estimate_is_published():
    figure = {"median": 0.25, "ci_low": -1.1, "ci_high": 1.8}
    assert reconcile(0.25, -1.1, 1.8, math.nan, figure)[0] == "agrees"
    assert reconcile(0.5, -1.1, 1.8, math.nan, figure)[1].startswith("median 0.500 vs 0.25")


def test_missing_estimate_of_ours_differs():
    assert reconcile(math.nan, 0.8, 1.5, math.nan, RR_PUBLISHED) == (
        "differs",
        "estimate not computed vs 1.08 published (rounding 0.01)",
    )


def test_no_figure_is_not_published():
    assert reconcile(1.0, 0.0, 2.0, 0.5, None) == ("not published", "")


def test_a_count_figure_is_compared_on_its_count_a_percentage_on_the_percentage():
    deaths = {"events": 48, "n": 114, "percent": 42}
    assert published_point(deaths) == "events"
    assert reconcile(48, math.nan, math.nan, math.nan, deaths) == ("agrees", "")
    assert reconcile(47, math.nan, math.nan, math.nan, deaths)[0] == "differs"
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
    with pytest.raises(ValueError, match="none of estimate, median, events, n, percent"):
        reconcile(0.42, 0.33, 0.51, math.nan, {"label": "x", "q1": 3.0})


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
    assert r["note"] == (
        "estimate 1.093 vs 1.08 published (rounding 0.01); crude log-Wald RR from the counts"
    )
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
    assert row.loc[0, "note"] == ""
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
    assert row.loc[0, "note"] == "no risk difference was published"
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
