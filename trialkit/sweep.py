"""Assumption sweeps: an endpoint re-analysed under every combination of the choices its
analysis rests on (a "multiverse", Steegen et al. 2016; a specification curve, Simonsohn et
al. 2020).

A re-analysis of a trial from raw data takes decisions that a publication rarely prints: what
a death or an ICU discharge scores, how a missing SOFA component counts, which days a mean
covers, which population, which estimator. Each is defensible; together they can move the
answer. :func:`sweep` computes the endpoint's comparison under every combination of the
switchable assumptions the spec declares (:func:`grid`) and says, for each, whether it
reproduces each published figure of the endpoint (:func:`trialkit.results.reconcile`) and
which one is the spec's own choice. :func:`figure_table`, :func:`choice_summary` and
:func:`by_option` read the result; :func:`trialkit.plots.specification_curve` draws it.

The combinations are independent tasks: :func:`sweep` runs them in this process or on a Dask
client (:mod:`trialkit.distributed`), with the same numbers either way.

References
----------
Steegen S, Tuerlinckx F, Gelman A, Vanpaemel W. Increasing transparency through a multiverse
analysis. Perspect Psychol Sci 2016;11:702-12.
Simonsohn U, Simmons JP, Nelson LD. Specification curve analysis. Nat Hum Behav
2020;4:1208-14.
"""

from __future__ import annotations

import inspect
import math
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trialkit.endpoints import DEATH_RULES, DISCHARGE_RULES, RULES, analysis_set
from trialkit.published import figures_about
from trialkit.results import reconcile
from trialkit.schema import Trial
from trialkit.sofa import MISSING_RULES
from trialkit.spec import Spec, SpecError
from trialkit.tables import median_iqr_by_arm

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = [
    "ESTIMATORS",
    "OPTIONS",
    "SWEPT_RULES",
    "by_option",
    "choice_summary",
    "estimate",
    "figure_table",
    "grid",
    "prescribed_estimator",
    "summary_text",
    "sweep",
    "sweep_endpoints",
]

#: The endpoint rules whose assumptions a sweep switches.
SWEPT_RULES = ("delta_sofa", "mean_daily_sofa")
#: The comparisons of the two arms: Hodges-Lehmann shift (Wilcoxon CI and p), median
#: regression, bootstrap of the difference in medians, difference in means (t-test, or
#: adjusted for the endpoint's covariates when the spec lists them).
ESTIMATORS = ("hodges_lehmann", "quantreg", "bootstrap", "mean_difference")
#: The option columns of a sweep, in the order they vary (the first slowest).
OPTIONS = ("missing", "days", "death", "discharge", "population", "estimator")

_ESTIMATOR_ANALYSIS = {"hodges_lehmann": "hodges_lehmann",
                       "adjusted_mean_difference": "mean_difference"}  # fmt: skip
_ARM_STATS = ("median", "q1", "q3", "mean")
_WARNINGS = threading.Lock()


# --- the grid -------------------------------------------------------------------------------


def sweep_endpoints(spec: Spec, *, secondaries: bool = False) -> list[str]:
    """The endpoints a sweep covers by default: the primary endpoint when its rule is one of
    :data:`SWEPT_RULES` (else the first endpoint of such a rule), and with ``secondaries``
    every endpoint of those rules, the primary first.

    Raises
    ------
    SpecError
        The spec has no endpoint of those rules.
    """
    ids = spec.with_rule(*SWEPT_RULES)
    if not ids:
        raise SpecError(
            f"spec {spec.id!r} has no endpoint with switchable assumptions (rule "
            f"{' or '.join(map(repr, SWEPT_RULES))}): nothing to sweep"
        )
    return ids if secondaries else ids[:1]


def _populations(spec: Spec) -> dict[str, str]:
    """Population name -> flag column, each flag once (the first name the spec gives it)."""
    names: dict[str, str] = {}
    for name, flag in spec.populations.items():
        names.setdefault(flag, name)
    return {name: flag for flag, name in names.items()}


def _rule_default(rule: str, option: str) -> Any:
    return inspect.signature(RULES[rule]).parameters[option].default


def _scores_a_worst_value(rule: str, days: Any, death: Any, discharge: Any) -> bool:
    """Whether some patients get the maximum score as a placeholder, not as a measurement."""
    applies = rule == "delta_sofa" or days == "all"
    return applies and "worst" in (death, discharge)


def prescribed_estimator(spec: Spec, eid: str) -> str:
    """The estimator of :data:`ESTIMATORS` that the spec's ``analysis`` of an endpoint is."""
    return _ESTIMATOR_ANALYSIS[spec.analysis_of(eid)]


def _spec_choice(spec: Spec, eid: str, populations: Mapping[str, str]) -> dict[str, Any]:
    rule, opts = spec.rule(eid), spec.endpoint_options(eid)
    choice: dict[str, Any] = {"missing": spec.sofa.get("missing", "normal")}
    days = opts.get("days", _rule_default(rule, "days")) if rule == "mean_daily_sofa" else None
    rules_apply = rule == "delta_sofa" or days == "all"
    choice["days"] = days
    for key in ("death", "discharge"):
        choice[key] = opts.get(key, _rule_default(rule, key)) if rules_apply else None
    flag = spec.populations.get(spec.population_of(eid), spec.population_of(eid))
    choice["population"] = next((n for n, f in populations.items() if f == flag), None)
    choice["estimator"] = prescribed_estimator(spec, eid)
    return choice


def grid(
    spec: Spec,
    endpoints: Iterable[str] | None = None,
    *,
    populations: Iterable[str] | None = None,
    estimators: Iterable[str] = ESTIMATORS,
) -> pd.DataFrame:
    """Every combination of the switchable assumptions of some endpoints, one row each.

    The options (:data:`OPTIONS`) and their values:

    ``missing``
        The SOFA missing-component rule, :data:`trialkit.sofa.MISSING_RULES` (``[sofa]
        missing``: a component not measured scores 0, carries its last value forward, or
        leaves the day's score missing).
    ``days``
        For ``mean_daily_sofa``: ``"icu"`` (the ICU days observed; deaths and discharges
        are not scored) or ``"all"`` (every day of the window); empty for ``delta_sofa``.
    ``death``, ``discharge``
        What a death or an ICU discharge before a day without a score gives it:
        :data:`trialkit.endpoints.DEATH_RULES` x :data:`trialkit.endpoints.DISCHARGE_RULES`;
        empty where the rules play no part (``days = "icu"``).
    ``population``
        Each population of the spec, each flag column once (the first name the spec gives
        it: a spec whose ``primary`` is ``per_protocol`` sweeps it once, as ``primary``).
    ``estimator``
        :data:`ESTIMATORS`. The difference in means is left out where a worst-value rule
        applies (``death`` or ``discharge`` ``"worst"`` on a day without a score): the
        maximum score is then a placeholder that ranks those patients last, not a
        measurement, so a mean of it has no meaning in score points (it moves with the
        placeholder, 24 or 100 alike) and the mixture of a point mass with the survivors'
        scores is far from the normal model of the t-test. Ranks and medians use only the
        order and stay valid. The spec's own combination is always kept.

    Every other option of the endpoint (its day, window, score) stays as the spec has it.

    Parameters
    ----------
    spec : Spec
    endpoints : iterable of str, optional
        Default :func:`sweep_endpoints` (the primary endpoint).
    populations : iterable of str, optional
        Population names of the spec; default every one.
    estimators : iterable of str
        A subset of :data:`ESTIMATORS`.

    Returns
    -------
    pandas.DataFrame
        ``combination`` (0, 1, ...), ``endpoint``, ``rule``, the :data:`OPTIONS` columns
        (``None`` where an option does not apply) and ``spec_choice`` (True on the spec's own
        combination of each endpoint), in the order of the options.

    Raises
    ------
    SpecError
        An endpoint the spec lacks or whose rule has nothing to switch, or an unknown
        population or estimator.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> g = grid(load_spec("imicro"), ["delta_sofa"], populations=["primary"])
    >>> len(g), int(g["spec_choice"].sum())
    (126, 1)
    >>> g.loc[g["spec_choice"], ["missing", "death", "discharge", "estimator"]].values.tolist()
    [['normal', 'worst', 'last', 'hodges_lehmann']]
    """
    eids = sweep_endpoints(spec) if endpoints is None else list(endpoints)
    estimators = list(estimators)
    bad = [e for e in estimators if e not in ESTIMATORS]
    if bad or not estimators:
        raise SpecError(f"estimators {bad or estimators}: choose from {list(ESTIMATORS)}")
    pops = _populations(spec)
    if populations is not None:
        wanted = list(populations)
        unknown = [p for p in wanted if p not in spec.populations]
        if unknown:
            raise SpecError(
                f"population(s) {unknown}: the spec's populations are {list(spec.populations)}"
            )
        flags = {spec.populations[p] for p in wanted}
        pops = {n: f for n, f in pops.items() if f in flags}
    rows = []
    for eid in eids:
        if eid not in spec.endpoints:
            raise SpecError(f"spec {spec.id!r} has no endpoint {eid!r}; its endpoints: "
                            f"{', '.join(spec.endpoints)}")  # fmt: skip
        rule = spec.rule(eid)
        if rule not in SWEPT_RULES:
            raise SpecError(
                f"endpoint {eid!r} (rule {rule!r}) has no switchable assumptions; a sweep "
                f"takes endpoints of rule {' or '.join(map(repr, SWEPT_RULES))}"
            )
        if rule == "delta_sofa":
            scorings = [(None, d, g) for d in DEATH_RULES for g in DISCHARGE_RULES]
        else:
            scorings = [("icu", None, None)]
            scorings += [("all", d, g) for d in DEATH_RULES for g in DISCHARGE_RULES]
        choice = _spec_choice(spec, eid, pops)
        for missing in MISSING_RULES:
            for days, death, discharge in scorings:
                for pop in pops:
                    for est in estimators:
                        row = {"endpoint": eid, "rule": rule, "missing": missing, "days": days,
                               "death": death, "discharge": discharge, "population": pop,
                               "estimator": est}  # fmt: skip
                        mine = all(row[k] == choice[k] for k in OPTIONS)
                        if (
                            est == "mean_difference"
                            and not mine
                            and _scores_a_worst_value(rule, days, death, discharge)
                        ):
                            continue
                        rows.append({**row, "spec_choice": mine})
    out = pd.DataFrame(rows, columns=["endpoint", "rule", *OPTIONS, "spec_choice"])
    out = out.astype(object).where(out.notna(), None)
    out["spec_choice"] = out["spec_choice"].astype(bool)
    out.insert(0, "combination", np.arange(len(out)))
    return out


# --- computing one combination ---------------------------------------------------------------


def _variant(spec: Spec, eid: str, missing: str, days: Any, death: Any, discharge: Any) -> Spec:
    """The spec with the endpoint's options switched, keeping that endpoint only (the others
    are not needed, and computing them would cost time)."""
    options = {k: v for k, v in (("days", days), ("death", death), ("discharge", discharge))
               if v is not None}  # fmt: skip
    one = spec.with_options(eid, **options)
    return replace(one, sofa={**spec.sofa, "missing": missing},
                   endpoints={eid: one.endpoints[eid]})  # fmt: skip


def _in_population(frame: pd.DataFrame, flag: str) -> pd.DataFrame:
    if flag not in frame.columns:
        raise SpecError(f"population flag {flag!r}: patients.csv has no such column")
    keep = pd.to_numeric(frame[flag], errors="coerce").fillna(0).to_numpy() == 1
    return frame[keep].reset_index(drop=True)


def estimate(
    estimator: str,
    frame: pd.DataFrame,
    eid: str,
    spec: Spec,
    seed: np.random.SeedSequence | int = 20251123,
    n_resamples: int = 2000,
) -> dict[str, Any]:
    """One comparison of the arms by one of :data:`ESTIMATORS`, as a dict of the sweep's
    result columns (``estimate``, ``ci_low``, ``ci_high``, ``p_value``, ``n_x``, ``n_y``,
    ``method``); ``prescribed_estimator`` gives the spec's own for an endpoint.

    ``"mean_difference"`` adjusts for the endpoint's ``covariates`` and ``factors`` when the
    spec lists them; ``seed`` and ``n_resamples`` serve the bootstrap only.
    """
    from trialkit import stats

    arm_1, arm_2 = spec.arms
    x = frame.loc[frame["arm"] == arm_1, eid].dropna()
    y = frame.loc[frame["arm"] == arm_2, eid].dropna()
    if estimator == "hodges_lehmann":
        res = stats.hodges_lehmann(x, y)
    elif estimator == "quantreg":
        ok = frame[eid].notna()
        group = (frame.loc[ok, "arm"] == arm_1).astype(int)
        res = stats.median_difference_quantreg(frame.loc[ok, eid], group)
    elif estimator == "bootstrap":
        res = stats.bootstrap_median_difference(
            x, y, seed=np.random.default_rng(seed), n_resamples=n_resamples
        )
    else:
        opts = spec.endpoints[eid]
        covariates, factors = list(opts.get("covariates", [])), list(opts.get("factors", []))
        used = frame.dropna(subset=[eid, *covariates, *factors])
        res = stats.adjusted_mean_difference(
            used, eid, "arm", covariates, categorical=factors, arm_1=arm_1
        )
        res = res.assign(n_x=res["n_1"], n_y=res["n_0"])
    row = res.iloc[0]
    return {
        "estimate": float(row["estimate"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_high"]),
        "p_value": float(row["p_value"]) if "p_value" in res.columns else math.nan,
        "n_x": int(row["n_x"]),
        "n_y": int(row["n_y"]),
        "method": str(row["method"]),
    }


def _verdicts(
    row: Mapping[str, Any], figures: Mapping[str, Mapping[str, Any]], arms: tuple[str, str]
) -> dict[str, tuple[str, str] | None]:
    """Each figure's (verdict, why) for one combination; None when it cannot be compared.

    A figure of one arm is compared with that arm's median (with its quartiles and the count
    of patients with a value) when it prints a median, with the arm's mean when it prints an
    estimate (a continuous endpoint's arm estimate is its mean, as notebook 05 records it);
    a figure of the difference with the estimate, its CI and p. The comparison is
    :func:`trialkit.results.reconcile`'s: every number the figure prints, within the
    precision it was printed to.
    """
    out: dict[str, tuple[str, str] | None] = {}
    for fid, fig in figures.items():
        try:
            if "arm" in fig:
                if fig["arm"] not in arms:
                    out[fid] = None
                    continue
                s = "x" if fig["arm"] == arms[0] else "y"
                n = float(row[f"n_{s}_values"])
                if "median" in fig:
                    out[fid] = reconcile(row[f"median_{s}"], math.nan, math.nan, math.nan, fig,
                                         q1=row[f"q1_{s}"], q3=row[f"q3_{s}"], n=n)  # fmt: skip
                elif "estimate" in fig:
                    out[fid] = reconcile(row[f"mean_{s}"], math.nan, math.nan, math.nan, fig, n=n)
                else:
                    out[fid] = None
            else:
                out[fid] = reconcile(row["estimate"], row["ci_low"], row["ci_high"],
                                     row["p_value"], fig)  # fmt: skip
        except ValueError:  # the figure prints no number trialkit compares
            out[fid] = None
    return out


def _arm_summaries(frame: pd.DataFrame, eid: str, arms: tuple[str, str]) -> dict[str, Any]:
    """Each arm's median, quartiles, mean and count of patients with a value, as the sweep's
    ``median_x, q1_x, q3_x, mean_x, n_x_values`` (and ``_y``) columns."""
    # The arms' quartiles as every page computes them (type 7, tables.median_iqr_by_arm).
    by_arm = median_iqr_by_arm(frame, eid, arms=arms).set_index("arm")
    means = frame.groupby("arm")[eid].mean()
    out: dict[str, Any] = {}
    for s, arm in zip("xy", arms, strict=True):
        out |= {f"{k}_{s}": float(by_arm.loc[arm, k]) for k in ("median", "q1", "q3")}
        out[f"mean_{s}"] = float(means.get(arm, math.nan))
        out[f"n_{s}_values"] = int(by_arm.loc[arm, "n"])
    return out


def _variant_key(combo: Mapping[str, Any]) -> tuple:
    """What an analysis set depends on: the endpoint and its scoring options."""
    return (combo["endpoint"], combo["missing"], combo["days"], combo["death"], combo["discharge"])


def _run_combinations(
    task: Sequence[tuple[dict[str, Any], np.random.SeedSequence]],
    *,
    trial: Trial,
    spec: Spec,
    figures: Mapping[str, Mapping[str, Mapping[str, Any]]],
    n_resamples: int,
) -> list[dict[str, Any]]:
    """Compute a run of combinations (a Dask task; module level so that it pickles).

    Each endpoint variant's analysis set is computed once per task: the grid keeps a
    variant's combinations next to each other, so a task recomputes it only where it starts
    inside one.
    """
    pops = _populations(spec)
    sets: dict[tuple, pd.DataFrame] = {}
    # A population of a variant serves each estimator: its patients and its arms' summaries
    # are computed once, not once per estimator.
    compared: dict[tuple, tuple[pd.DataFrame, dict[str, Any]]] = {}
    out = []
    for combo, seed in task:
        eid = combo["endpoint"]
        key = _variant_key(combo)
        if key not in sets:
            sets[key] = analysis_set(trial, _variant(spec, *key))
        if (key, combo["population"]) not in compared:
            frame = _in_population(sets[key], pops[combo["population"]])
            compared[key, combo["population"]] = frame, _arm_summaries(frame, eid, spec.arms)
        frame, summaries = compared[key, combo["population"]]
        row = {**combo, **summaries}
        notes = []
        # catch_warnings swaps process-wide state: tasks on the threads of one worker take
        # turns, or one task's warnings would be lost to another's.
        with _WARNINGS, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                row |= estimate(combo["estimator"], frame, eid, spec, seed, n_resamples)
            except ValueError as exc:  # too few patients, a singular design ...
                row |= {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                        "p_value": math.nan, "n_x": row["n_x_values"], "n_y": row["n_y_values"],
                        "method": combo["estimator"]}  # fmt: skip
                notes.append(f"not estimable: {exc}")
        # A ResourceWarning (an unclosed socket or event loop of the cluster, collected by
        # the garbage collector while the estimate ran) says nothing about the analysis.
        notes += [str(w.message).split("\n")[0] for w in caught
                  if not issubclass(w.category, ResourceWarning)]  # fmt: skip
        row["note"] = "; ".join(dict.fromkeys(notes))
        for fid, verdict in _verdicts(row, figures.get(eid, {}), spec.arms).items():
            row[f"reproduces_{fid}"] = None if verdict is None else verdict[0] == "agrees"
        out.append(row)
    return out


# --- the sweep ------------------------------------------------------------------------------


def sweep(
    trial: Trial,
    spec: Spec | None = None,
    *,
    published: Mapping[str, Any] | None = None,
    endpoints: Iterable[str] | None = None,
    populations: Iterable[str] | None = None,
    estimators: Iterable[str] = ESTIMATORS,
    seed: int = 20251123,
    n_resamples: int = 10_000,
    client: Client | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """The endpoints' comparison under every combination of their switchable assumptions.

    Parameters
    ----------
    trial : trialkit.schema.Trial
        The validated data (:func:`trialkit.schema.load_trial`).
    spec : Spec, optional
        Default ``trial.spec``.
    published : mapping, optional
        :func:`trialkit.published.load_published` of the data folder: each figure of a swept
        endpoint gets a column ``reproduces_<figure id>``.
    endpoints, populations, estimators
        As for :func:`grid`.
    seed : int
        The bootstraps' seed: combination *i* of the grid resamples with the *i*-th child of
        ``numpy.random.SeedSequence(seed)``, whichever task or worker computes it.
    n_resamples : int, default 10000
        Bootstrap resamples per combination.
    client : distributed.Client, optional
        Compute the combinations as Dask tasks (:func:`trialkit.distributed.open_client`);
        None: in this process.
    chunk_size : int, optional
        Combinations per task; default one task per endpoint variant (missing rule, days,
        death and discharge rule: its populations and estimators share one analysis set).
        Changes how the work is shared out, never the result.
    progress : bool, default True
        A progress bar (never in a notebook's output: pass False there).

    Returns
    -------
    pandas.DataFrame
        One row per combination, in grid order: the :func:`grid` columns; ``estimate,
        ci_low, ci_high, p_value`` (NaN p for the bootstrap), ``n_x, n_y`` (patients compared
        in the experimental and the control arm), ``method``; ``note`` (warnings of the
        estimator, e.g. a median regression with a non-unique solution, or why it could not
        be estimated); each arm's ``median_x, q1_x, q3_x, mean_x`` and ``median_y, ...``
        (type-7 quartiles, over the patients with a value: ``n_x_values, n_y_values``); and
        one nullable boolean ``reproduces_<figure id>`` per published figure of the swept
        endpoints (True when the combination reproduces every number the figure prints,
        :func:`trialkit.results.reconcile`; empty on another endpoint's rows, or where the
        figure cannot be compared).

    Notes
    -----
    Cost: one :func:`trialkit.endpoints.analysis_set` per endpoint variant (missing rule x
    days x death x discharge rule), shared by its populations and estimators; the bootstrap
    and the median regression dominate the rest (``benchmarks/bench_sweep.py``).

    Examples
    --------
    >>> from trialkit.schema import load_trial
    >>> from trialkit.resources import bundled_data
    >>> from trialkit.published import load_published
    >>> folder = bundled_data("imicro")
    >>> res = sweep(load_trial(folder, "imicro"), published=load_published(folder),
    ...             populations=["primary"], estimators=["hodges_lehmann"], progress=False)
    >>> res.loc[res.spec_choice, ["estimate", "ci_low", "ci_high"]].round(2).values.tolist()
    [[1.0, 0.0, 3.0]]
    """
    from trialkit.distributed import run_tasks, spawn_seeds

    spec = trial.spec if spec is None else spec
    if not (isinstance(n_resamples, int) and n_resamples >= 100):
        raise ValueError(f"n_resamples must be an integer >= 100, got {n_resamples!r}")
    combos = grid(spec, endpoints, populations=populations, estimators=estimators)
    seeds = spawn_seeds(seed, len(combos))
    items = list(zip(combos.drop(columns="combination").to_dict("records"), seeds, strict=True))
    if chunk_size is None:
        # One task per endpoint variant: its analysis set is computed once, for all of its
        # populations and estimators.
        tasks: list[list] = []
        for item in items:
            if tasks and _variant_key(tasks[-1][-1][0]) == _variant_key(item[0]):
                tasks[-1].append(item)
            else:
                tasks.append([item])
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    else:
        tasks = [items[a : a + chunk_size] for a in range(0, len(items), chunk_size)]
    figures = {eid: figures_about(published or {}, [eid]) for eid in combos["endpoint"].unique()}
    rows = run_tasks(
        _run_combinations,
        tasks,
        client=client,
        shared={"trial": trial, "spec": spec, "figures": figures, "n_resamples": n_resamples},
        progress=progress,
        desc="combinations",
        weights=[len(t) for t in tasks],
    )
    out = pd.DataFrame([r for chunk in rows for r in chunk])
    out.insert(0, "combination", combos["combination"].to_numpy())
    verdicts = [c for c in out.columns if c.startswith("reproduces_")]
    columns = [
        "combination", "endpoint", "rule", *OPTIONS, "spec_choice", "estimate", "ci_low",
        "ci_high", "p_value", "n_x", "n_y", "method", "note",
        *(f"{k}_x" for k in _ARM_STATS), "n_x_values", *(f"{k}_y" for k in _ARM_STATS),
        "n_y_values", *verdicts,
    ]  # fmt: skip
    out = out[columns]
    for c in verdicts:
        out[c] = out[c].astype("boolean")
    return out


# --- reading a sweep ------------------------------------------------------------------------


def _options_text(row: Mapping[str, Any], options: Sequence[str]) -> str:
    return ", ".join(f"{k} {row[k]}" for k in options if row.get(k) is not None)


def figure_table(
    result: pd.DataFrame,
    spec: Spec,
    published: Mapping[str, Any],
    *,
    listed: int = 6,
) -> pd.DataFrame:
    """Which combinations of a sweep reproduce each published figure of its endpoints.

    Parameters
    ----------
    result : DataFrame
        The output of :func:`sweep`.
    spec : Spec
        The spec it was run with (the arm labels).
    published : mapping
        :func:`trialkit.published.load_published` of the data folder.
    listed : int, default 6
        How many reproducing combinations to name per figure.

    Returns
    -------
    pandas.DataFrame
        One row per figure of a swept endpoint: ``endpoint, figure`` (its id), ``label``,
        ``published`` (as printed), ``compared`` (combinations it could be compared with),
        ``reproduced_by`` (how many reproduce every number it prints), ``spec_choice``
        (whether the spec's combination does), ``why`` (the numbers in which the spec's
        combination differs, :func:`trialkit.results.reconcile`), ``reproducing`` (the first
        ``listed`` reproducing combinations; a figure of one arm does not depend on the
        estimator, so its combinations are named without it).
    """
    from trialkit.published import describe_figure

    rows = []
    for eid in result["endpoint"].unique():
        mine = result[result["endpoint"] == eid]
        for fid, fig in figures_about(published, [eid]).items():
            column = f"reproduces_{fid}"
            verdicts = mine[column] if column in mine else pd.Series(dtype="boolean")
            agree = mine[verdicts.fillna(False).astype(bool)]
            options = [o for o in OPTIONS if not ("arm" in fig and o == "estimator")]
            named = list(dict.fromkeys(_options_text(r, options)
                                       for r in agree.to_dict("records")))  # fmt: skip
            text = "; ".join(named[:listed])
            if len(named) > listed:
                text += f"; and {len(named) - listed} more"
            choice = mine[mine["spec_choice"]]
            why, reproduces = "", pd.NA
            if len(choice):
                verdict = _verdicts(choice.iloc[0].to_dict(), {fid: fig}, spec.arms)[fid]
                if verdict is not None:
                    reproduces, why = verdict[0] == "agrees", verdict[1]
            rows.append({
                "endpoint": eid, "figure": fid, "label": fig.get("label", fid),
                "published": describe_figure(fig), "compared": int(verdicts.notna().sum()),
                "reproduced_by": len(agree), "spec_choice": reproduces, "why": why,
                "reproducing": text or "none",
            })  # fmt: skip
    columns = ["endpoint", "figure", "label", "published", "compared", "reproduced_by",
               "spec_choice", "why", "reproducing"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def choice_summary(result: pd.DataFrame, *, null: float = 0.0) -> pd.DataFrame:
    """How far the spec's own combination lies from the others, per endpoint.

    Returns
    -------
    pandas.DataFrame
        One row per endpoint: ``combinations`` (with an estimate), ``not_estimable``;
        the spec's ``estimate, ci_low, ci_high, p_value``; the ``median``, ``min`` and
        ``max`` of every combination's estimate; ``percentile``, the spec's mid-rank among
        them (``100 (#below + #equal / 2) / n``: 50 is the middle of the multiverse);
        ``same_direction``, the share of estimates on the spec's side of ``null`` (equal to
        it when the spec's estimate is ``null``); ``ci_excludes_null``, the share whose CI
        excludes ``null``; ``reproduce_all``, how many combinations reproduce every published
        figure of the endpoint that they can be compared with (empty without figures).

    Examples
    --------
    >>> r = pd.DataFrame({"endpoint": "e", "spec_choice": [True, False, False],
    ...                   "estimate": [1.0, 0.0, 2.0], "ci_low": [0.0, -1.0, 0.5],
    ...                   "ci_high": [3.0, 1.0, 3.5], "p_value": [0.1, 0.9, 0.01]})
    >>> choice_summary(r)[["percentile", "same_direction", "ci_excludes_null"]].round(3)
       percentile  same_direction  ci_excludes_null
    0        50.0           0.667             0.333
    """
    rows = []
    for eid in result["endpoint"].unique():
        mine = result[result["endpoint"] == eid]
        ok = mine[mine["estimate"].notna()]
        e = ok["estimate"].to_numpy(dtype=float)
        choice = mine[mine["spec_choice"]]
        row: dict[str, Any] = {"endpoint": eid, "combinations": len(ok),
                               "not_estimable": len(mine) - len(ok)}  # fmt: skip
        c = choice.iloc[0] if len(choice) else None
        for k in ("estimate", "ci_low", "ci_high", "p_value"):
            row[k] = float(c[k]) if c is not None else math.nan
        row |= {"median": float(np.median(e)) if e.size else math.nan,
                "min": float(e.min()) if e.size else math.nan,
                "max": float(e.max()) if e.size else math.nan}  # fmt: skip
        spec_e = row["estimate"]
        if e.size and not math.isnan(spec_e):
            row["percentile"] = 100 * ((e < spec_e).sum() + 0.5 * (e == spec_e).sum()) / e.size
            row["same_direction"] = float(np.mean(np.sign(e - null) == np.sign(spec_e - null)))
        else:
            row["percentile"] = row["same_direction"] = math.nan
        lo, hi = ok["ci_low"].to_numpy(dtype=float), ok["ci_high"].to_numpy(dtype=float)
        row["ci_excludes_null"] = float(np.mean((lo > null) | (hi < null))) if e.size else math.nan
        verdicts = [col for col in mine.columns if col.startswith("reproduces_")
                    and mine[col].notna().any()]  # fmt: skip
        if verdicts:
            v = mine[verdicts]
            row["reproduce_all"] = int((v.fillna(True).astype(bool).all(axis=1)
                                        & v.notna().any(axis=1)).sum())  # fmt: skip
        else:
            row["reproduce_all"] = pd.NA
        rows.append(row)
    return pd.DataFrame(rows)


def summary_text(result: pd.DataFrame, spec: Spec, published: Mapping[str, Any]) -> str:
    """A few lines per endpoint for a terminal: the spec's choice against the multiverse,
    and how many combinations reproduce each published figure."""
    lines = []
    summary = choice_summary(result).set_index("endpoint")
    figures = figure_table(result, spec, published)
    for eid, s in summary.iterrows():
        lines.append(f"{spec.label(eid)} ({eid}): {int(s['combinations'])} combinations"
                     + (f" ({int(s['not_estimable'])} not estimable)"
                        if s["not_estimable"] else ""))  # fmt: skip
        if not math.isnan(s["estimate"]):
            lines.append(f"  the spec's choice: {s['estimate']:.3g} (95% CI {s['ci_low']:.3g} "
                         f"to {s['ci_high']:.3g}), percentile {s['percentile']:.0f} of the "
                         "combinations")  # fmt: skip
        lines.append(f"  estimates from {s['min']:.3g} to {s['max']:.3g} (median "
                     f"{s['median']:.3g}); {s['same_direction']:.0%} on the spec's side of 0; "
                     f"{s['ci_excludes_null']:.0%} with a 95% CI excluding 0")  # fmt: skip
        by = result[result["endpoint"] == eid].groupby("estimator", sort=False)["estimate"]
        table = by.agg(["count", "min", "median", "max"]).round(3)
        lines += ["  " + line for line in table.to_string().splitlines()]
        for f in figures[figures["endpoint"] == eid].itertuples():
            mark = {True: "yes", False: "no"}.get(f.spec_choice, "not compared")
            lines.append(
                f"  published {f.figure} ({f.published}): reproduced by "
                f"{f.reproduced_by} of {f.compared}; by the spec's choice: {mark}"
            )
    return "\n".join(lines)


def by_option(result: pd.DataFrame, options: Sequence[str] = OPTIONS) -> pd.DataFrame:
    """What each choice does: the estimates of the combinations that make it, per option
    value (the marginal view of the specification curve's indicator panel).

    Returns
    -------
    pandas.DataFrame
        One row per endpoint, option and value (in grid order) for the options with more
        than one value: ``combinations`` (with an estimate), ``median, min, max`` of their
        estimates, and ``spec_choice`` (True on the values the spec's combination takes).

    Examples
    --------
    >>> r = pd.DataFrame({"endpoint": "e", "death": ["worst", "last", "worst"],
    ...                   "estimate": [1.0, 0.0, 3.0], "spec_choice": [True, False, False]})
    >>> by_option(r, ["death"])[["value", "combinations", "median"]].values.tolist()
    [['worst', 2, 2.0], ['last', 1, 0.0]]
    """
    rows = []
    for eid in result["endpoint"].unique():
        mine = result[result["endpoint"] == eid]
        choice = mine[mine["spec_choice"]]
        for opt in options:
            values = [v for v in pd.unique(mine[opt]) if v is not None and not pd.isna(v)]
            if len(values) < 2:
                continue
            for value in values:
                e = mine.loc[(mine[opt] == value).to_numpy(), "estimate"].dropna()
                rows.append({
                    "endpoint": eid, "option": opt, "value": value, "combinations": len(e),
                    "median": float(e.median()) if len(e) else math.nan,
                    "min": float(e.min()) if len(e) else math.nan,
                    "max": float(e.max()) if len(e) else math.nan,
                    "spec_choice": bool(len(choice)) and choice.iloc[0][opt] == value,
                })  # fmt: skip
    columns = ["endpoint", "option", "value", "combinations", "median", "min", "max",
               "spec_choice"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
