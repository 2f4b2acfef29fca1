"""trialkit.sweep, plots.specification_curve and ``trialkit sweep``.

References: the grid against its definition enumerated independently (itertools.product);
each swept row against the same analysis computed another way (``trialkit.sofa.sofa`` then the
endpoint rule called directly, the population flag read off ``patients``, the estimator from
``trialkit.stats``, each checked against R in its own tests); the spec's own I-MICRO row
against the numbers notebook 02 records for it (Hodges-Lehmann 1 (0 to 3), P = 0.119460, R
``wilcox.test(x, y, conf.int = TRUE)`` on data/imicro's ΔSOFA by arm: 0.119460382824058,
tests/R/imicro_twin_wilcox.R); the published-figure verdicts against
``reconcile`` fed by numpy's type-7 (``method='linear'``) quartiles; the
summaries against ``scipy.stats.percentileofscore`` and brute-force counts. Distributed runs:
in-process clusters of 1 and 2 workers, two chunk sizes, and a scheduler reached through
$TRIALKIT_SCHEDULER by the command line.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from scipy import stats as sps

from trialkit import endpoints as ep
from trialkit import stats, sweep
from trialkit.cli import main
from trialkit.plots import specification_curve
from trialkit.published import load_published
from trialkit.resources import bundled_data
from trialkit.results import reconcile
from trialkit.schema import load_trial
from trialkit.simulate import twin, write_twin
from trialkit.sofa import sofa
from trialkit.spec import SpecError, load_spec

THIRD = Path(__file__).parent / "fixtures" / "third_trial" / "spec.toml"


@pytest.fixture(scope="module")
def imicro():
    folder = bundled_data("imicro")
    return load_trial(folder, "imicro"), load_published(folder)


@pytest.fixture(scope="module")
def imicro_sweep(imicro):
    trial, published = imicro
    # the primary population only, and 500 resamples: the definitions are what is tested
    return sweep.sweep(trial, published=published, populations=["primary"], n_resamples=500,
                       progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def small():
    """A 40-patient twin of the third trial (drug / control, primary ΔSOFA to day 5)."""
    return twin(load_spec(THIRD), 3, randomized=(20, 20))


# -- the grid --------------------------------------------------------------------------------


def test_the_grid_is_every_combination_of_the_definitions():
    spec = load_spec("imicro")
    g = sweep.grid(spec, ["delta_sofa", "mean_sofa"])
    expected = []
    for missing, death, discharge, pop, est in itertools.product(
        ("normal", "locf", "na"), ("worst", "last", "exclude"),
        ("last", "zero", "worst", "exclude"), ("primary", "per_protocol"), sweep.ESTIMATORS,
    ):  # fmt: skip
        if est == "mean_difference" and "worst" in (death, discharge):
            continue  # the spec's choice is the Hodges-Lehmann shift: no exception here
        expected.append(("delta_sofa", missing, None, death, discharge, pop, est))
    for missing, scoring, pop, est in itertools.product(
        ("normal", "locf", "na"),
        [("icu", None, None)] + [("all", d, g) for d in ("worst", "last", "exclude")
                                 for g in ("last", "zero", "worst", "exclude")],
        ("primary", "per_protocol"), sweep.ESTIMATORS,
    ):  # fmt: skip
        if est == "mean_difference" and scoring[0] == "all" and "worst" in scoring[1:]:
            continue
        expected.append(("mean_sofa", missing, *scoring, pop, est))
    got = list(g[["endpoint", *sweep.OPTIONS]].itertuples(index=False, name=None))
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert len(got) == len(set(got)) == 252 + 276
    assert g["combination"].tolist() == list(range(len(g)))
    # the spec's choice: one row per endpoint, the spec's options and analysis
    mine = g[g.spec_choice]
    assert mine[["endpoint", *sweep.OPTIONS]].values.tolist() == [
        ["delta_sofa", "normal", None, "worst", "last", "primary", "hodges_lehmann"],
        ["mean_sofa", "normal", "icu", None, None, "primary", "hodges_lehmann"],
    ]


def test_the_grid_sweeps_each_population_flag_once_and_keeps_the_spec_choice():
    spec = load_spec("combat_shine")
    # primary and per_protocol are the same flag column: swept once, as "primary"
    g = sweep.grid(spec)
    assert list(pd.unique(g["population"])) == ["primary", "analysed"]
    assert g["endpoint"].unique().tolist() == ["mean_sofa"]
    mine = g[g.spec_choice].iloc[0]
    assert (mine.days, mine.death, mine.discharge, mine.estimator) == (
        "icu", None, None, "mean_difference")
    # the spec's own combination survives the validity rule even where it would not apply
    worst = load_spec({**spec.raw, "endpoints": {**spec.raw["endpoints"], "mean_sofa": {
        **spec.raw["endpoints"]["mean_sofa"], "days": "all", "death": "worst"}}})
    g = sweep.grid(worst, populations=["analysed"])
    means = g[g.estimator == "mean_difference"]
    assert means.spec_choice.sum() == 0  # its population is the primary one, not swept here
    assert not ((means.days == "all") & ((means.death == "worst")
                                         | (means.discharge == "worst"))).any()  # fmt: skip
    g = sweep.grid(worst)
    kept = g[g.spec_choice].iloc[0]
    assert (kept.days, kept.death, kept.estimator) == ("all", "worst", "mean_difference")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(endpoints=["nope"]), "has no endpoint 'nope'"),
        (dict(endpoints=["death_d28"]), "rule 'dead_by'.*has no switchable assumptions"),
        (dict(populations=["everyone"]), r"population\(s\) \['everyone'\]"),
        (dict(estimators=["t"]), r"estimators \['t'\]: choose from"),
        (dict(estimators=[]), "choose from"),
    ],
)
def test_a_bad_grid_is_refused(kwargs, message):
    with pytest.raises(SpecError, match=message):
        sweep.grid(load_spec("imicro"), **kwargs)


def test_a_spec_without_a_sofa_endpoint_has_nothing_to_sweep():
    raw = load_spec("imicro").raw
    only_deaths = {"trial": {**raw["trial"], "primary": "death_d28"},
                   "populations": raw["populations"],
                   "endpoints": {"death_d28": raw["endpoints"]["death_d28"]}}  # fmt: skip
    with pytest.raises(SpecError, match="no endpoint with switchable assumptions"):
        sweep.sweep_endpoints(load_spec(only_deaths))
    # the primary first; a non-SOFA primary falls back to the first SOFA endpoint
    spec = load_spec("imicro")
    assert sweep.sweep_endpoints(spec) == ["delta_sofa"]
    assert sweep.sweep_endpoints(spec, secondaries=True) == ["delta_sofa", "mean_sofa"]
    other = load_spec({**raw, "trial": {**raw["trial"], "primary": "death_d28"}})
    assert sweep.sweep_endpoints(other) == ["delta_sofa"]


# -- the rows --------------------------------------------------------------------------------


def _by_hand(trial, spec, row, seed):
    """One combination computed without analysis_set: sofa() and the rule called directly."""
    daily = sofa(trial.daily, exclude=spec.sofa.get("exclude", ()), missing=row["missing"])
    opts = spec.endpoint_options(row["endpoint"])
    rule = getattr(ep, row["rule"])
    keywords = {k: (tuple(v) if isinstance(v, list) else v) for k, v in opts.items()}
    keywords |= {k: row[k] for k in ("days", "death", "discharge") if row[k] is not None}
    values = rule(daily, trial.patients, **keywords).to_numpy()
    flag = spec.populations[row["population"]]
    inside = trial.patients[flag].to_numpy() == 1
    arm = trial.patients["arm"].to_numpy()
    x = values[inside & (arm == spec.experimental)]
    y = values[inside & (arm == spec.control)]
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    est = row["estimator"]
    if est == "hodges_lehmann":
        return stats.hodges_lehmann(x, y)
    if est == "quantreg":
        return stats.median_difference_quantreg(np.r_[x, y], np.r_[np.ones(x.size),
                                                                   np.zeros(y.size)])
    if est == "bootstrap":
        return stats.bootstrap_median_difference(x, y, seed=np.random.default_rng(seed),
                                                 n_resamples=500)  # fmt: skip
    frame = pd.DataFrame({"v": np.r_[x, y], "arm": [1] * x.size + [0] * y.size})
    return stats.adjusted_mean_difference(frame, "v", "arm")


def test_each_row_is_the_analysis_computed_another_way(imicro, imicro_sweep):
    trial, _ = imicro
    spec = trial.spec
    seeds = np.random.SeedSequence(20251123).spawn(len(imicro_sweep))
    # every fifth row: each estimator, missing rule, death and discharge rule several times
    picks = imicro_sweep.index[imicro_sweep.index % 5 == 0]
    for option in ("estimator", "missing", "death", "discharge"):
        assert set(imicro_sweep.loc[picks, option]) == set(imicro_sweep[option])
    for i in picks:
        row = imicro_sweep.loc[i]
        with _quiet():
            ref = _by_hand(trial, spec, row, seeds[i]).iloc[0]
        for col in ("estimate", "ci_low", "ci_high"):
            assert row[col] == pytest.approx(ref[col], abs=1e-12), (i, col)
        if "p_value" in ref:
            assert row["p_value"] == pytest.approx(ref["p_value"], abs=1e-12)
        else:
            assert math.isnan(row["p_value"])


class _quiet:
    """Warnings (ties, non-unique medians) off for the reference computation."""

    def __enter__(self):
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_the_spec_choice_is_the_analysis_notebook_02_records(imicro_sweep):
    mine = imicro_sweep[imicro_sweep.spec_choice]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (row.estimate, row.ci_low, row.ci_high) == (1.0, 0.0, 3.0)
    assert row.p_value == pytest.approx(0.119460382824058, abs=5e-7)  # R wilcox.test
    assert (row.n_x, row.n_y) == (114, 122)  # the derived arm sizes of published.toml


def test_worst_value_rows_have_no_mean_and_the_n_count_the_compared(imicro_sweep):
    r = imicro_sweep
    assert not ((r.estimator == "mean_difference")
                & ((r.death == "worst") | (r.discharge == "worst"))).any()  # fmt: skip
    # survivors only compares fewer patients than the worst-value rule
    excl = r[(r.death == "exclude") & (r.discharge == "exclude") & (r.missing == "normal")]
    worst = r[(r.death == "worst") & (r.discharge == "last") & (r.missing == "normal")]
    assert (excl.n_x < worst.n_x.iloc[0]).all() and (excl.n_y < worst.n_y.iloc[0]).all()
    assert (r.n_x == r.n_x_values).all()  # no covariates here: every patient with a value


def test_the_published_verdicts_are_reconcile_on_the_arm_summaries(imicro, imicro_sweep):
    trial, published = imicro
    spec, figs = trial.spec, published["figures"]
    # one row per scoring variant (the arm figures do not depend on the estimator)
    for _, row in imicro_sweep.drop_duplicates(["missing", "death", "discharge"]).iterrows():
        variant = spec.with_options("delta_sofa", death=row.death, discharge=row.discharge)
        variant = replace(variant, sofa={**spec.sofa, "missing": row.missing})
        data = ep.analysis_set(trial, variant, population="primary")
        for arm in spec.arms:
            fig = figs[f"delta_sofa_{arm}"]
            v = data.loc[data.arm == arm, "delta_sofa"].dropna().to_numpy()
            # type 7 by numpy's own percentile (R's default quantile type)
            q1, median, q3 = np.percentile(v, [25, 50, 75], method="linear")
            verdict, _ = reconcile(median, math.nan, math.nan, math.nan, fig, q1=q1, q3=q3,
                                   n=v.size)  # fmt: skip
            assert row[f"reproduces_delta_sofa_{arm}"] == (verdict == "agrees")
    for _, row in imicro_sweep.iterrows():
        verdict, _ = reconcile(row.estimate, row.ci_low, row.ci_high, row.p_value,
                               figs["delta_sofa_difference"])  # fmt: skip
        assert row["reproduces_delta_sofa_difference"] == (verdict == "agrees")


def test_the_figure_table_counts_the_flags_and_explains_the_spec_choice(imicro, imicro_sweep):
    trial, published = imicro
    table = sweep.figure_table(imicro_sweep, trial.spec, published).set_index("figure")
    assert list(table.index) == ["delta_sofa_iloprost", "delta_sofa_placebo",
                                 "delta_sofa_difference"]  # fmt: skip
    for fid, t in table.iterrows():
        flags = imicro_sweep[f"reproduces_{fid}"]
        assert t.reproduced_by == int(flags.sum()) and t.compared == len(imicro_sweep)
    # The twin prints every number of the three figures as published under the spec's
    # choice (HL 1, 0 to 3, P 0.119 against 0.12): nothing to explain.
    assert table["spec_choice"].tolist() == [True, True, True]
    assert (table["why"] == "").all()
    d = table.loc["delta_sofa_difference"]
    assert d.published == "1 (0 to 3), P = 0.12"
    assert "missing normal, death worst, discharge last" in d.reproducing
    # A publication that printed P 0.25 instead: the spec's choice differs, and says in what.
    other = {**published, "figures": {**published["figures"], "delta_sofa_difference": {
        **published["figures"]["delta_sofa_difference"], "p_value": 0.25}}}  # fmt: skip
    d = sweep.figure_table(imicro_sweep, trial.spec, other).set_index("figure").loc[
        "delta_sofa_difference"]  # fmt: skip
    assert not d.spec_choice
    assert d.why == "P 0.119 vs 0.25 published (printed to 0.01)"


def test_the_choice_summary_against_brute_force(imicro_sweep):
    s = sweep.choice_summary(imicro_sweep).iloc[0]
    e = imicro_sweep.estimate.dropna().to_numpy()
    mine = imicro_sweep.loc[imicro_sweep.spec_choice, "estimate"].item()
    assert s.percentile == pytest.approx(sps.percentileofscore(e, mine, kind="mean"))
    assert s.same_direction == sum(np.sign(v) == np.sign(mine) for v in e) / len(e)
    assert s.ci_excludes_null == np.mean([(lo > 0) or (hi < 0) for lo, hi in
                                          zip(imicro_sweep.ci_low, imicro_sweep.ci_high,
                                              strict=True)])  # fmt: skip
    assert (s["min"], s["median"], s["max"]) == (e.min(), np.median(e), e.max())
    flags = imicro_sweep.filter(like="reproduces_")
    assert s.reproduce_all == int(flags.all(axis=1).sum())


def test_by_option_is_the_median_of_the_rows_that_make_each_choice(imicro_sweep):
    b = sweep.by_option(imicro_sweep)
    assert set(b.option) == {"missing", "death", "discharge", "estimator"}  # one population
    for r in b.itertuples():
        e = imicro_sweep.loc[imicro_sweep[r.option] == r.value, "estimate"]
        assert (r.combinations, r.median) == (len(e), e.median())
    assert b.loc[b.spec_choice, "value"].tolist() == ["normal", "worst", "last",
                                                      "hodges_lehmann"]  # fmt: skip


def test_the_bootstrap_seed_is_the_combination_s_child_stream(small):
    a = sweep.sweep(small, estimators=["bootstrap"], populations=["primary"], n_resamples=200,
                    seed=9, progress=False)  # fmt: skip
    b = sweep.sweep(small, estimators=["bootstrap"], populations=["primary"], n_resamples=200,
                    seed=10, progress=False)  # fmt: skip
    assert not a[["ci_low", "ci_high"]].equals(b[["ci_low", "ci_high"]])
    i = 5
    row = a.loc[i]
    child = np.random.SeedSequence(9).spawn(len(a))[i]
    spec = small.spec
    data = ep.analysis_set(small, sweep._variant(spec, row.endpoint, row.missing, row.days,
                                                 row.death, row.discharge), population="primary")
    x = data.loc[data.arm == spec.experimental, row.endpoint].dropna()
    y = data.loc[data.arm == spec.control, row.endpoint].dropna()
    ref = stats.bootstrap_median_difference(x, y, seed=np.random.default_rng(child),
                                            n_resamples=200)  # fmt: skip
    assert (row.ci_low, row.ci_high) == (ref.ci_low.item(), ref.ci_high.item())


def test_a_combination_that_cannot_be_estimated_says_why(small):
    # survivors still in ICU every day of the window: too few in a 40-patient twin
    res = sweep.sweep(small, endpoints=["msofa_d5"], populations=["primary"],
                      estimators=["hodges_lehmann"], progress=False)  # fmt: skip
    bad = res[res.estimate.isna()]
    assert (bad.note.str.startswith("not estimable: ")).all()
    assert len(res) == 3 * 13 and res.estimate.notna().any()


def test_serial_chunking_does_not_change_the_result(small):
    kw = dict(populations=["primary"], estimators=["hodges_lehmann", "bootstrap"],
              n_resamples=200, progress=False)  # fmt: skip
    whole = sweep.sweep(small, **kw)
    pd.testing.assert_frame_equal(sweep.sweep(small, chunk_size=1, **kw), whole)
    pd.testing.assert_frame_equal(sweep.sweep(small, chunk_size=17, **kw), whole)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        sweep.sweep(small, chunk_size=0, **kw)
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 100"):
        sweep.sweep(small, n_resamples=10)


# every estimator (each has its warnings, which the notes keep), one population
SMALL_GRID = dict(populations=["primary"], n_resamples=200, progress=False)


@pytest.fixture(scope="module")
def small_serial(small):
    return sweep.sweep(small, **SMALL_GRID)


@pytest.mark.parametrize("chunk_size", [None, 5])
def test_a_sweep_is_identical_on_1_and_2_workers(small, small_serial, chunk_size):
    from trialkit.distributed import open_client

    kw, serial = SMALL_GRID, small_serial
    for workers in (1, 2):
        with open_client(workers=workers, processes=False) as client:
            on_client = sweep.sweep(small, client=client, chunk_size=chunk_size, **kw)
        pd.testing.assert_frame_equal(on_client, serial)


# -- the figure -------------------------------------------------------------------------------


def test_the_specification_curve_draws_every_estimate_ranked_with_its_options(imicro_sweep):
    res = imicro_sweep.copy()
    res.loc[3, "estimate"] = np.nan  # a combination without an estimate is left out
    fig = specification_curve(res, published=1.0, published_ci=(0.0, 3.0))
    top, bottom = fig.axes
    points = np.vstack([c.get_offsets() for c in top.collections
                        if isinstance(c, PathCollection)])  # fmt: skip
    assert len(points) == res.estimate.notna().sum()
    # ranked: the estimates read left to right in order
    order = points[np.argsort(points[:, 0])]
    assert np.all(np.diff(order[:, 1]) >= 0)
    assert sorted(order[:, 1]) == sorted(res.estimate.dropna())
    # the spec's choice is the diamond, at its rank among the (stably) sorted estimates
    ranked = res[res.estimate.notna()].sort_values("estimate", kind="stable").reset_index()
    rank = int(ranked.index[ranked.spec_choice][0]) + 1
    diamonds = [c for c in top.collections if c.get_label() == "the spec's choice"]
    assert diamonds[0].get_offsets().tolist() == [[rank, 1.0]]
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in top.lines)  # published
    # one indicator row per value of each option that varies, in grid order
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels == ["missing: normal", "missing: locf", "missing: na", "death: worst",
                      "death: last", "death: exclude", "discharge: last", "discharge: zero",
                      "discharge: worst", "discharge: exclude", "estimator: hodges_lehmann",
                      "estimator: quantreg", "estimator: bootstrap",
                      "estimator: mean_difference"]  # fmt: skip
    plt.close(fig)


def test_the_specification_curve_refuses_what_it_cannot_draw(imicro_sweep):
    with pytest.raises(ValueError, match="no row has an estimate"):
        specification_curve(imicro_sweep.assign(estimate=np.nan))
    with pytest.raises(ValueError, match="estimator"):
        specification_curve(imicro_sweep.drop(columns="estimator"))


# -- the command line ------------------------------------------------------------------------


def test_sweep_has_plain_text_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and out.startswith("usage: trialkit sweep")
    for flag in ("--trial TRIAL", "--data DIR", "--endpoint ID", "--out FILE.csv",
                 "--scheduler ADDRESS", "--workers N", "TRIALKIT_SCHEDULER"):  # fmt: skip
        assert flag in out


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alpha") / "data"
    write_twin(load_spec(THIRD), folder, seed=3, randomized=(20, 20))
    return folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "nope"], "has no endpoint 'nope'"),
        (["--endpoint", "death_d28"], "has no switchable assumptions"),
        (["--workers", "0"], "workers must be a whole number >= 1"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "local cluster only"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach a Dask scheduler"),
    ],
)
def test_sweep_errors_are_one_line_and_exit_2(args, message, small_folder, tmp_path, capsys,
                                              monkeypatch):  # fmt: skip
    import trialkit.distributed

    monkeypatch.setattr(trialkit.distributed, "_CONNECT_TIMEOUT", "1s")
    monkeypatch.setattr(sweep, "sweep", lambda *a, **k: pytest.fail("should not run"))
    code = main(["sweep", "--trial", str(THIRD), "--data", str(small_folder),
                 "--out", str(tmp_path / "s.csv"), *args])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("trialkit sweep: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_sweep_refuses_a_missing_folder_and_a_folder_as_out(tmp_path, capsys):
    assert main(["sweep", "--trial", str(THIRD), "--data", str(tmp_path / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["sweep", "--trial", str(THIRD), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "ships no data" in err or "is a folder" in err


def test_sweep_on_a_scheduler_named_by_the_environment(small_folder, tmp_path, capsys,
                                                       monkeypatch):  # fmt: skip
    from distributed import LocalCluster

    out = tmp_path / "sweep.csv"
    trial = load_trial(small_folder, load_spec(THIRD))
    # the command's plumbing is tested here, on a smaller grid than its default
    smaller = functools.partial(sweep.sweep, estimators=["hodges_lehmann", "bootstrap"],
                                n_resamples=200)  # fmt: skip
    monkeypatch.setattr(sweep, "sweep", smaller)
    serial = smaller(trial, published=load_published(small_folder), progress=False)
    with LocalCluster(n_workers=2, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        monkeypatch.setenv("TRIALKIT_SCHEDULER", cluster.scheduler_address)
        code = main(["sweep", "--trial", str(THIRD), "--data", str(small_folder),
                     "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert f"wrote {len(serial)} combinations to {out}" in printed
    assert "the spec's choice" in printed and "hodges_lehmann" in printed
    # the file: the serial sweep's rows, written the same way
    expected = tmp_path / "expected.csv"
    serial.to_csv(expected, index=False, lineterminator="\n")
    assert out.read_bytes() == expected.read_bytes()
