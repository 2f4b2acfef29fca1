"""Tests for trialkit.tables. Expected values from tests/R/tables.R (R 4.x, base stats)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialkit.spec import load_spec
from trialkit.tables import (
    assumptions_table,
    consort_counts,
    events_by_term,
    format_median_iqr,
    median_iqr_by_arm,
    n_percent_by_arm,
    reconciliation,
    table_one,
)

ARMS = ["iloprost", "placebo"]
X_ILO = [-9, -7, -7, -4, -2, 0, 3, 7, 12, 15, 15]
X_PLA = [-10, -8, -6, -5, -5, -3, 1, 5, 9, 14]


def _two_arms(x: list[float], y: list[float], name: str = "y") -> pd.DataFrame:
    return pd.DataFrame({"arm": ["iloprost"] * len(x) + ["placebo"] * len(y), name: x + y})


def test_quantile_type7_median_iqr_by_arm():
    # R: quantile(x_ilo, c(.25, .5, .75), type = 7) -> -5.5 0 9.5
    #    quantile(x_pla, c(.25, .5, .75), type = 7) -> -5.75 -4 4   (tests/R/tables.R)
    out = median_iqr_by_arm(_two_arms(X_ILO, X_PLA), "y", arms=ARMS)
    assert out["arm"].tolist() == ARMS
    assert out["n"].tolist() == [11, 10]
    np.testing.assert_allclose(out[["q1", "median", "q3"]].iloc[0], [-5.5, 0.0, 9.5])
    np.testing.assert_allclose(out[["q1", "median", "q3"]].iloc[1], [-5.75, -4.0, 4.0])


def test_median_iqr_by_arm_counts_missing_and_keeps_arm_order():
    d = _two_arms([1.0, np.nan, 3.0], [2.0, 4.0])
    out = median_iqr_by_arm(d, "y", arms=["placebo", "iloprost"])
    assert out["arm"].tolist() == ["placebo", "iloprost"]
    assert out["n"].tolist() == [2, 2]
    assert out["n_missing"].tolist() == [0, 1]
    assert out["median"].tolist() == [3.0, 2.0]


def test_median_iqr_by_arm_empty_arm_gives_nan_not_error():
    d = pd.DataFrame({"arm": ["iloprost"] * 3, "y": [1.0, 2.0, 3.0]})
    out = median_iqr_by_arm(d, "y", arms=ARMS)
    assert out.loc[1, "n"] == 0
    assert np.isnan(out.loc[1, "median"])
    assert format_median_iqr(out).tolist() == ["2.0 (1.5 to 2.5)", "—"]


def test_format_median_iqr_like_the_paper():
    # The published primary result is printed as -4 (-7 to 7); rounding must not leave "-0".
    s = pd.DataFrame({"median": [-4.0, -0.04], "q1": [-7.0, -1.0], "q3": [7.0, 0.2]})
    assert format_median_iqr(s, decimals=0).tolist() == ["-4 (-7 to 7)", "0 (-1 to 0)"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"y": [1.0]}), "no arm column 'arm'"),
        (pd.DataFrame({"arm": ["iloprost"], "z": [1.0]}), "no column 'y'"),
        (pd.DataFrame({"arm": ["aspirin"], "y": [1.0]}), r"label\(s\) \['aspirin'\]"),
        (pd.DataFrame({"arm": [None, "placebo"], "y": [1.0, 2.0]}), r"empty in row\(s\) \[0\]"),
        (pd.DataFrame({"arm": ["placebo"], "y": ["high"]}), "must be numeric"),
    ],
)
def test_median_iqr_by_arm_bad_input_names_the_problem(frame, message):
    with pytest.raises(ValueError, match=message):
        median_iqr_by_arm(frame, "y", arms=ARMS)


def test_n_percent_by_arm_counts_and_percent():
    # The I-MICRO day-28 deaths: 48/114 (42%) and 47/122 (39%) (reference/trials.md, derived).
    dead = [1] * 48 + [0] * 66 + [1] * 47 + [0] * 75
    d = pd.DataFrame({"arm": ["iloprost"] * 114 + ["placebo"] * 122, "dead": dead})
    out = n_percent_by_arm(d, "dead", arms=ARMS)
    assert out["events"].tolist() == [48, 47]
    assert out["n"].tolist() == [114, 122]
    np.testing.assert_allclose(out["percent"], [100 * 48 / 114, 100 * 47 / 122])
    assert out["summary"].tolist() == ["48 (42%)", "47 (39%)"]


def test_n_percent_by_arm_missing_leaves_the_denominator():
    d = pd.DataFrame({"arm": ["iloprost"] * 3 + ["placebo"], "sae": [1, np.nan, 0, True]})
    out = n_percent_by_arm(d, "sae", arms=ARMS, decimals=1)
    assert out["n"].tolist() == [2, 1]
    assert out["n_missing"].tolist() == [1, 0]
    assert out["summary"].tolist() == ["1 (50.0%)", "1 (100.0%)"]


def test_n_percent_by_arm_refuses_non_binary():
    d = pd.DataFrame({"arm": ["iloprost", "placebo"], "sae": [1, 2]})
    with pytest.raises(ValueError, match=r"'sae' must be 0/1; row\(s\) \[1\] hold \[2\]"):
        n_percent_by_arm(d, "sae", arms=ARMS)


def _patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": range(10),
            "arm": ["iloprost"] * 5 + ["placebo"] * 5,
            "mitt": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
            "exclusion_reason": [
                None, None, "consent withdrawn", None, "no septic shock",
                None, None, None, "consent withdrawn", None,
            ],
        }
    )  # fmt: skip


def test_consort_counts_flow_adds_up():
    out = consort_counts(_patients(), analysed="mitt", arms=ARMS)
    assert out["stage"].tolist() == ["randomized", "excluded", "excluded", "analysed"]
    assert out["reason"].tolist() == ["", "consent withdrawn", "no septic shock", ""]
    assert out["iloprost"].tolist() == [5, 1, 1, 3]
    assert out["placebo"].tolist() == [5, 1, 0, 4]
    assert out["total"].tolist() == [10, 2, 1, 7]
    # Randomized = excluded + analysed, in each arm.
    for a in ARMS:
        col = out.set_index("stage")[a]
        assert col["randomized"] == col["excluded"].sum() + col["analysed"]


def test_consort_counts_without_reason_column():
    p = _patients().drop(columns="exclusion_reason")
    out = consort_counts(p, analysed="mitt", arms=ARMS)
    assert out.loc[out.stage == "excluded", "reason"].tolist() == ["reason not recorded"]
    assert out.loc[out.stage == "excluded", "total"].tolist() == [3]


def test_consort_counts_nobody_excluded():
    p = _patients().assign(mitt=1)
    out = consort_counts(p, analysed="mitt", arms=ARMS)
    assert out["stage"].tolist() == ["randomized", "analysed"]


def test_consort_counts_bad_flag():
    p = _patients()
    p.loc[3, "mitt"] = 7
    with pytest.raises(ValueError, match=r"'mitt' must be 0/1; row\(s\) \[3\]"):
        consort_counts(p, analysed="mitt", arms=ARMS)
    with pytest.raises(ValueError, match="no column 'pp'"):
        consort_counts(_patients(), analysed="pp", arms=ARMS)


AGE1 = [61, 55, 70, 48, 66, 59, 73, 52]
AGE2 = [64, 58, 49, 71, 69, 62, 57, 60, 67]
SITE1 = ["A", "A", "B", "C", "C", "C", "A", "B"]
SITE2 = ["A", "B", "B", "B", "C", "A", "B", "C", "B"]


def _baseline() -> pd.DataFrame:
    d = pd.DataFrame(
        {
            "arm": ["iloprost"] * 8 + ["placebo"] * 9,
            "age": [float(a) for a in AGE1 + AGE2],
            "site": SITE1 + SITE2,
            "lactate_mmol_l": np.linspace(2.1, 9.0, 17),
        }
    )
    d.loc[2, "lactate_mmol_l"] = np.nan
    return d


def test_tableone_ExtractSmd_continuous_and_categorical():
    # SMD definitions of R tableone::ExtractSmd, computed in tests/R/tables.R:
    #   age 0.176768488378761, site 0.655621950590365.
    t = table_one(
        _baseline(),
        ["age", "site", "lactate_mmol_l"],
        arms=ARMS,
        categorical=["site"],
        nonnormal=["lactate_mmol_l"],
    )
    smd_col = "SMD (iloprost,placebo)"
    assert list(t.columns) == ["Missing", "iloprost", "placebo", smd_col]
    smd = t[smd_col].replace("", np.nan).dropna().astype(float)
    assert smd.loc[("age, mean (SD)", "")] == pytest.approx(0.177, abs=5e-4)
    assert smd.loc[("site, n (%)", "A")] == pytest.approx(0.656, abs=5e-4)
    # The missing count is shown: one lactate is missing.
    assert t.loc[("lactate_mmol_l, median [Q1,Q3]", ""), "Missing"] == 1
    assert t.loc[("n", ""), "iloprost"] == 8
    assert t.loc[("n", ""), "placebo"] == 9


def test_table_one_labels_and_refusals():
    t = table_one(_baseline(), ["age"], arms=ARMS, labels={"age": "Age, years"})
    assert ("Age, years, mean (SD)", "") in t.index
    with pytest.raises(ValueError, match=r"categorical names \['sex'\]"):
        table_one(_baseline(), ["age"], arms=ARMS, categorical=["sex"])
    with pytest.raises(ValueError, match="exactly two arms"):
        table_one(_baseline().assign(arm="iloprost"), ["age"], arms=["iloprost"])


def _events() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {"patient_id": [1, 2, 3, 4, 5], "arm": ["iloprost"] * 2 + ["placebo"] * 3}
    )
    events = pd.DataFrame(
        {
            "patient_id": [1, 1, 1, 2, 3, 4, 4, 9],
            "day": [1, 3, 2, 30, 0, 5, 6, 1],
            "term": ["bleeding", "bleeding", "hypotension", "bleeding", "bleeding",
                     "arrhythmia", "hypotension", "bleeding"],
            "serious": [1, 1, 0, 1, 1, 1, 1, 1],
        }
    )  # fmt: skip
    return events, patients


def test_events_by_term_counts_patients_once_in_window():
    # Hand count, window 0-28, serious only; patient 9 is not in the population.
    # bleeding: patient 1 (twice: once), patient 2 on day 30 (outside), patient 3 -> 1 vs 1.
    # hypotension: patient 1's is not serious; patient 4 -> 0 vs 1. arrhythmia: 0 vs 1.
    # any: patients 1 | 3, 4 -> 1 vs 2.
    events, patients = _events()
    out = events_by_term(events, patients, arms=ARMS, window=(0, 28))
    got = out.set_index("term")[ARMS].to_dict("index")
    assert got == {
        "bleeding": {"iloprost": 1, "placebo": 1},
        "arrhythmia": {"iloprost": 0, "placebo": 1},
        "hypotension": {"iloprost": 0, "placebo": 1},
        "any": {"iloprost": 1, "placebo": 2},
    }
    assert out["term"].iloc[0] == "bleeding" and out["term"].iloc[-1] == "any"
    assert out.loc[out.term == "any", "placebo (%)"].item() == "2 (67%)"
    assert out.loc[out.term == "any", "iloprost (%)"].item() == "1 (50%)"


def test_events_by_term_all_events_and_no_events():
    events, patients = _events()
    out = events_by_term(events, patients, arms=ARMS, window=(0, 28), serious_only=False)
    assert out.set_index("term").loc["hypotension", ARMS].tolist() == [1, 1]
    none = events_by_term(events.iloc[:0], patients, arms=ARMS)
    assert none["term"].tolist() == ["any"]
    assert none[ARMS].iloc[0].tolist() == [0, 0]


def test_events_by_term_with_one_event_counted():
    # One event in the window: its term and "any", two rows to group (pandas once read the
    # two-element key list as one key per row: COMBAT-SHINE's serious related events, days
    # 0-7, crashed notebook 06). Counted by hand: patient 1 of arm a, 1 of 1 (100%).
    e = pd.DataFrame({"patient_id": [1], "day": [1], "term": ["bleeding"], "serious": [1]})
    p = pd.DataFrame({"patient_id": [1, 2], "arm": ["a", "b"]})
    out = events_by_term(e, p, arms=["a", "b"])
    assert out["term"].tolist() == ["bleeding", "any"]
    assert out["a"].tolist() == [1, 1] and out["b"].tolist() == [0, 0]
    assert out["a (%)"].tolist() == ["1 (100%)", "1 (100%)"]


def test_events_by_term_refuses_bad_serious_flag():
    events, patients = _events()
    events.loc[2, "serious"] = 3
    with pytest.raises(ValueError, match=r"'serious' must be 0/1; row\(s\) \[2\]"):
        events_by_term(events, patients, arms=ARMS)


def test_assumptions_table_selects_in_order_and_skips_unknown():
    spec = load_spec("imicro")
    out = assumptions_table(spec, ["imicro-exclusions", "no-such-id", "imicro-delta-death"])
    assert out["id"].tolist() == ["imicro-exclusions", "imicro-delta-death"]
    assert "\n" not in out["assumption"].iloc[1]
    assert out["assumption"].iloc[1].startswith("A patient who dies before day 7")
    assert len(assumptions_table(spec)) == len(spec.assumptions)


def test_reconciliation_reads_like_the_paper():
    # Rows as results.csv held them before kind, why and the parts: still shown.
    rows = pd.DataFrame(
        {
            "label": ["RR", "HL", "median"],
            "estimate": [1.0934, 1.0, -4.0],
            "ci_low": [0.8013, -0.0, np.nan],
            "ci_high": [1.4912, 3.0, np.nan],
            "p_value": [np.nan, 0.1312, np.nan],
            "published_estimate": [1.08, 1.0, np.nan],
            "published_ci_low": [0.80, 0.0, np.nan],
            "published_ci_high": [1.5, 3.0, np.nan],
            "published_p": [np.nan, 0.12, np.nan],
            "verdict": ["differs", "agrees", "not published"],
            "note": ["estimate 1.093 vs 1.08", None, ""],
        }
    )
    out = reconciliation(rows)
    assert out.columns.tolist() == ["label", "trialkit", "published", "verdict", "why", "note"]
    assert out["trialkit"].tolist() == [
        "1.09 (0.801 to 1.49)",
        "1 (0 to 3) P = 0.131",  # a negative zero is shown without its sign
        "-4",
    ]
    assert out["published"].tolist() == ["1.08 (0.8 to 1.5)", "1 (0 to 3) P = 0.12", "—"]
    assert out["note"].tolist() == ["estimate 1.093 vs 1.08", "", ""]
    assert out["why"].tolist() == ["", "", ""]
    with pytest.raises(ValueError, match=r"lack column\(s\) \['verdict'\]"):
        reconciliation(rows.drop(columns="verdict"))


def test_reconciliation_shows_the_iqr_the_count_parts_and_which_rows_are_checks(tmp_path):
    # Recorded as notebooks 02 and 03 record the I-MICRO twin (data/imicro/published.toml):
    # ΔSOFA, iloprost, -4 (IQR -7 to 6) against -4 (-7 to 7); deaths 48/114 (42.1%) against
    # "48 (42%)"; the bootstrap CI 1 (-1 to 3) beside the published 1 (0 to 3), P = 0.12.
    from trialkit.results import record

    figures = {
        "dsofa_ilo": {"median": -4.0, "q1": -7.0, "q3": 7.0, "rounding": 1},
        "deaths_ilo": {"events": 48, "percent": 42, "rounding": 1},
        "dsofa_diff": {"estimate": 1, "ci_low": 0, "ci_high": 3, "p_value": 0.12, "rounding": 1},
    }
    pub = {"sources": {}, "figures": figures}
    nan = np.nan

    def keep(aid, est, low, high, fid, p=nan, **kw):
        frame = pd.DataFrame({"estimate": [est], "ci_low": [low], "ci_high": [high],
                              "p_value": [p]})  # fmt: skip
        return record(tmp_path, "imicro", aid, aid, frame, arm_1="iloprost", arm_2="",
                      published_id=fid, published=pub, **kw)  # fmt: skip

    rows = pd.concat(
        [
            keep("median", -4, nan, nan, "dsofa_ilo", q1=-7, q3=6),
            keep("deaths", 48, nan, nan, "deaths_ilo", n=114, percent=100 * 48 / 114),
            keep("boot", 1, -1, 3, "dsofa_diff", check=True, note="a check on the HL shift"),
        ],
        ignore_index=True,
    )
    out = reconciliation(rows)
    assert out["trialkit"].tolist() == ["-4 (IQR -7 to 6)", "48/114 (42.1%)", "1 (-1 to 3)"]
    assert out["published"].tolist() == ["-4 (IQR -7 to 7)", "48 (42%)", "1 (0 to 3) P = 0.12"]
    assert out["verdict"].tolist() == ["differs", "agrees", "check: differs"]
    assert out["why"].tolist() == [
        "Q3 6.0 vs 7 published (printed to 1)",
        "",
        "CI low -1.0 vs 0 published (printed to 1); P not computed (0.12 published), not compared",
    ]
    assert out["note"].tolist() == ["", "", "a check on the HL shift"]
