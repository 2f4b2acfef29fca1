"""Calibration: a twin's realised figures beside the targets it should reproduce.

Targets are a table (``calibration.csv``: ``id, statistic, endpoint, arm, population,
target, tolerance``), one row per published figure the twin should land on. The bundled
twins' targets are the target columns of their folder's ``calibration.csv``. A user's targets
for their own trial are a CSV of the same columns: :func:`calibrate` meets the per-arm counts
exactly (deaths by day 28 and by the end of follow-up, patients with a serious event: the
indicators are drawn conditional on their per-arm totals) and chooses, among a set of seeds,
the realisation that meets the other targets most closely, then says which are not met and by
how much.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialkit.resources import bundled_data
from trialkit.schema import Trial
from trialkit.simulate.draws import _spec, twin
from trialkit.simulate.params import TwinParams, twin_params
from trialkit.spec import Spec, SpecError

TARGET_COLUMNS = ("id", "statistic", "endpoint", "arm", "population", "target", "tolerance")
STATISTICS = ("n", "count", "percent", "mean", "median", "q1", "q3", "hodges_lehmann")
CALIBRATION_FILE = "calibration.csv"


def read_targets(path: str | Path, spec: Spec | None = None) -> list[dict[str, Any]]:
    """Calibration targets from a CSV (``calibration.csv`` and a user's targets alike).

    Raises
    ------
    trialkit.spec.SpecError
        A missing column, an unknown statistic, a target that is not a number, or (with
        ``spec``) an endpoint, arm or population the spec does not have; each message names
        the file, the line and the column.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SpecError(f"{path}: cannot be read as a targets table ({exc})") from exc
    missing = [c for c in ("id", "statistic", "target") if c not in frame.columns]
    if missing:
        raise SpecError(
            f"{path}: missing column(s) {missing}; a targets table has the columns "
            f"{', '.join(TARGET_COLUMNS)}"
        )
    problems, targets = [], []
    endpoints = set(spec.endpoints) | {"excluded"} if spec else None
    populations = set(spec.populations) | {"randomized"} if spec else None
    for i, row in frame.iterrows():
        at = f"{path}, line {i + 2}"
        tg: dict[str, Any] = {"id": row["id"], "statistic": row["statistic"]}
        if row["statistic"] not in STATISTICS:
            problems.append(f"{at}, column statistic: {row['statistic']!r} is not one of "
                            f"{', '.join(STATISTICS)}")  # fmt: skip
        for col in ("target", "tolerance"):
            text = row.get(col, "") or ("0" if col == "tolerance" else "")
            try:
                tg[col] = float(text)
            except ValueError:
                problems.append(f"{at}, column {col}: {text!r} is not a number")
        for col, known in (("endpoint", endpoints), ("arm", spec.arms if spec else None),
                           ("population", populations)):  # fmt: skip
            value = row.get(col, "")
            if value:
                if known is not None and value not in known:
                    problems.append(f"{at}, column {col}: {value!r} is not in the spec "
                                    f"({', '.join(sorted(known))})")  # fmt: skip
                tg[col] = value
        targets.append(tg)
    if problems:
        raise SpecError(problems)
    return targets


def bundled_targets(spec: Spec) -> list[dict[str, Any]] | None:
    """The targets of a bundled twin (its folder's ``calibration.csv``), or None."""
    folder = bundled_data(spec.id)
    path = folder / CALIBRATION_FILE if folder is not None else None
    return read_targets(path, spec) if path is not None and path.is_file() else None


def _statistic(stat: str, v: pd.Series) -> float:
    if stat == "n":
        return float(len(v))
    v = v.dropna().astype(float)
    return {
        "count": lambda: v.sum(),
        "percent": lambda: 100 * v.mean(),
        "mean": lambda: v.mean(),
        "median": lambda: v.median(),
        "q1": lambda: v.quantile(0.25),  # R's default quantile (type 7)
        "q3": lambda: v.quantile(0.75),
    }[stat]()


def calibration_table(trial: Trial, targets: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Target beside realised, one row per calibration target.

    Parameters
    ----------
    trial : Trial
        A loaded (or simulated) trial. Endpoints come from
        :func:`trialkit.endpoints.analysis_set` with the trial's own spec.
    targets : list of dict, optional
        Each ``{"id", "statistic", "target", "tolerance"}`` and optionally ``endpoint``,
        ``arm`` and ``population`` (default ``"primary"``); default: the bundled twin's
        targets (:func:`bundled_targets`).
        ``statistic`` is one of ``n, count, percent, mean, median, q1, q3,
        hodges_lehmann`` (the experimental - control shift of
        :func:`trialkit.stats.hodges_lehmann`, as R's ``wilcox.test``). The
        pseudo-endpoint ``excluded`` counts the patients outside the analysed population.

    Returns
    -------
    DataFrame
        ``id, statistic, endpoint, arm, population, target, realised, tolerance, met``.

    Examples
    --------
    >>> from trialkit.simulate import calibration_table, twin
    >>> tab = calibration_table(twin("imicro"))
    >>> bool(tab.loc[tab["tolerance"] == 0, "met"].all())  # the counts, met exactly
    True
    """
    from trialkit.endpoints import analysis_set
    from trialkit.stats import hodges_lehmann

    spec = trial.spec
    if targets is None:
        targets = bundled_targets(spec)
        if targets is None:
            raise SpecError(f"trial {spec.id!r} has no bundled calibration targets; pass targets")
    ep = analysis_set(trial, spec)
    ep["excluded"] = (ep[spec.populations.get("analysed", "mitt")] != 1).astype(float)
    rows = []
    for tg in targets:
        pop = tg.get("population", "primary")
        d = ep if pop == "randomized" else ep[ep[spec.populations[pop]] == 1]
        col = tg.get("endpoint", "patient_id")
        stat = tg["statistic"]
        if stat == "hodges_lehmann":
            x, y = (d.loc[d["arm"] == a, col].dropna().to_numpy(float) for a in spec.arms)
            realised = float(hodges_lehmann(x, y)["estimate"].iloc[0])
        else:
            realised = _statistic(
                stat, d.loc[d["arm"] == tg["arm"], col] if "arm" in tg else d[col]
            )
        rows.append(
            {
                "id": tg["id"],
                "statistic": stat,
                "endpoint": tg.get("endpoint", ""),
                "arm": tg.get("arm", ""),
                "population": pop,
                "target": float(tg["target"]),
                "realised": round(float(realised), 3),
                "tolerance": float(tg["tolerance"]),
            }
        )
    out = pd.DataFrame(rows)
    out["met"] = (out["realised"] - out["target"]).abs() <= out["tolerance"] + 1e-9
    return out


def find_seed(
    trial: str | Spec,
    seeds: Sequence[int],
    targets: list[dict[str, Any]] | None = None,
    **scenario: Any,
) -> int:
    """The seed whose realisation meets every calibration target most closely.

    Among the ``seeds`` whose twin meets every target, the one with the smallest sum of
    squared standardized misses, ``sum(((realised - target) / tolerance) ** 2)`` over the
    targets with a tolerance (the counts are met exactly by conditioning). This was how the
    bundled seeds were chosen before :func:`calibrate` fitted them to the publications; it
    serves twins calibrated to ``calibration.csv`` targets alone.
    """
    spec = _spec(trial)
    best: tuple[float, int] | None = None
    for seed in seeds:
        tab = calibration_table(twin(spec, seed, **scenario), targets)
        if not tab["met"].all():
            continue
        tol = tab["tolerance"] > 0
        miss = (tab.loc[tol, "realised"] - tab.loc[tol, "target"]) / tab.loc[tol, "tolerance"]
        score = float((miss**2).sum())
        if best is None or score < best[0]:
            best = (score, int(seed))
    if best is None:
        raise ValueError(f"no seed among {len(seeds)} meets every target for {trial}")
    return best[1]


def write_calibration(data_dir: str | Path, targets: list[dict[str, Any]] | None = None) -> Path:
    """Recompute ``calibration.csv`` (target beside realised) from the folder's own files.

    ``targets`` default to the folder's ``calibration.csv`` target columns, else the bundled
    twin's.
    """
    from trialkit.schema import load_trial

    data_dir = Path(data_dir)
    trial = load_trial(data_dir)
    if targets is None and (data_dir / CALIBRATION_FILE).is_file():
        targets = read_targets(data_dir / CALIBRATION_FILE, trial.spec)
    tab = calibration_table(trial, targets)
    tab["met"] = tab["met"].astype(int)
    path = data_dir / CALIBRATION_FILE
    formatted_calibration(tab).to_csv(path, index=False, lineterminator="\n")
    return path


def formatted_calibration(tab: pd.DataFrame) -> pd.DataFrame:
    """A calibration table with its numbers as fixed three-decimal text (stable bytes)."""
    out = tab.copy()
    for col in ("target", "realised", "tolerance"):
        out[col] = np.char.mod("%.3f", tab[col].to_numpy(float))
    return out


# -- calibrating a twin to a user's targets -------------------------------------------------

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # E[f(s)] for s ~ N(0, 1)


def _expected(f: Any) -> float:
    return float(np.sum(_WEIGHTS * f(_NODES)))


def _solve(f: Any, target: float, lo: float = -12.0, hi: float = 12.0) -> float:
    """The x in [lo, hi] with f(x) = target, f increasing (bisection)."""
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)


def _expit(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _count_targets(
    spec: Spec, p: TwinParams, targets: list[dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """Per-arm counts the model can be conditioned on: deaths by day 28, by the end of
    follow-up, patients with a serious event in the twin's window, in the analysed (mITT)
    population; percentages are turned into the nearest count of that population."""
    analysed = {
        arm: n - sum(e.arm == arm for e in p.exclusions)
        for arm, n in zip(spec.arms, p.randomized, strict=True)
    }
    found: dict[str, dict[str, int]] = {}
    for tg in targets:
        ep, arm = tg.get("endpoint"), tg.get("arm")
        if ep not in spec.endpoints or arm not in spec.arms:
            continue
        pop = tg.get("population", "primary")
        if spec.populations.get(pop, pop) not in ("mitt", *p.extra_flags):
            continue
        if tg["statistic"] == "count":
            k = round(tg["target"])
        elif tg["statistic"] == "percent":
            k = round(tg["target"] / 100 * analysed[arm])
        else:
            continue
        rule, opts = spec.rule(ep), spec.endpoint_options(ep)
        day = int(opts.get("day", 28))
        if rule == "dead_by" and day == min(28, p.horizon):
            key = "target_deaths_28"
        elif rule == "dead_by" and day == p.horizon:
            key = "target_deaths_horizon"
        elif (
            rule == "serious_adverse_event"
            and not opts.get("related")
            and tuple(opts.get("window", ())) == tuple(p.sae_window)
        ):
            key = "target_sae"
        else:
            continue
        found.setdefault(key, {})[arm] = k
    return {k: v for k, v in found.items() if len(v) == 2}


def _fit_counts(spec: Spec, p: TwinParams, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Model parameters whose expected per-arm counts equal the targets, and the targets to
    condition on. The intercept and the treatment log-odds ratio of each Bernoulli part are
    solved so that the expected count of each arm is its target (severity integrated out by
    Gauss-Hermite quadrature); conditioning then hits the counts exactly."""
    n = {
        arm: k - sum(e.arm == arm for e in p.exclusions)
        for arm, k in zip(spec.arms, p.randomized, strict=True)
    }
    e, c = spec.arms
    out: dict[str, Any] = {}
    b = p.death_severity_log_or
    if "target_deaths_28" in counts:
        t = counts["target_deaths_28"]
        a = _solve(lambda x: _expected(lambda s: _expit(x + b * s)), t[c] / n[c])
        d = _solve(lambda x: _expected(lambda s: _expit(a + x + b * s)), t[e] / n[e], -12 - a)
        out |= {"death28_logit": a, "effect_death_log_or": d,
                "target_deaths_28": (t[e], t[c])}  # fmt: skip
        if "target_deaths_horizon" in counts and p.horizon > 28:
            h = counts["target_deaths_horizon"]

            def late(x: float, shift: float) -> float:
                return _expected(
                    lambda s: (1 - _expit(a + shift + b * s)) * _expit(x + shift + b * s)
                )

            # The same treatment log-odds ratio as by day 28; the late intercept is solved
            # for the control arm, and the experimental arm's late deaths follow from it.
            x = _solve(lambda v: late(v, 0.0), (h[c] - t[c]) / n[c])
            out |= {"late_death_logit": x, "target_deaths_horizon": (h[e], h[c])}
    if "target_sae" in counts:
        t = counts["target_sae"]
        a = float(np.log(t[c] / (n[c] - t[c]))) if 0 < t[c] < n[c] else p.sae_logit
        pe = t[e] / n[e]
        d = float(np.log(pe / (1 - pe))) - a if 0 < t[e] < n[e] else 0.0
        out |= {"sae_logit": a, "effect_sae_log_or": d, "target_sae": (t[e], t[c])}
    if out:
        out["condition"] = True
    return out


def calibrate(
    spec: Spec | str,
    targets: list[dict[str, Any]] | None = None,
    seeds: Sequence[int] = range(1, 21),
    *,
    published: Mapping[str, Any] | None = None,
    free: Sequence[str] | None = None,
    fixed: Mapping[str, float] | None = None,
    check_seeds: Sequence[int] = range(10_001, 10_021),
    fit_seeds: Sequence[int] = range(20_001, 20_021),
    **scenario: Any,
) -> tuple[TwinParams, pd.DataFrame]:
    """Calibrate a twin: counts exactly, the other figures by fitted parameters and the seed.

    1. Per-arm counts (deaths by day 28 and by the end of follow-up, patients with a serious
       event, as counts or as percentages of the analysed population): the intercepts and
       treatment log-odds ratios of the model's Bernoulli parts are solved so that the
       expected counts equal the targets (severity integrated out by Gauss-Hermite
       quadrature), and the indicators are then drawn conditional on the targets (exact).
    2. With ``published`` (the figures of ``published.toml``) or ``free`` knobs: the twin's
       continuous parameters are fitted to every other figure the notebooks reproduce and to
       the other ``targets`` by simulated method of moments with common random numbers
       (:func:`fit_twin`: ``fit_seeds`` realisations per evaluation,
       :func:`scipy.optimize.least_squares`), ``fixed`` knobs held at their value.
    3. The seed: among ``seeds``, the realisation that agrees on the primary endpoint's
       figures (after a fit), then meets the most figures and targets
       (then the smallest sum of squared misses, each in units of its tolerance or printed
       precision). Without step 2 the other parameters keep their values: a target they
       cannot reach is reported, not forced.

    Parameters
    ----------
    spec : Spec or str
        The trial.
    targets : list of dict, optional
        Calibration targets (:func:`read_targets`); required without ``published``.
    seeds : sequence of int
        Candidate seeds.
    published : mapping, optional
        :func:`trialkit.published.load_published` of the figures to fit.
    free, fixed
        The knobs to fit and the knobs to hold (``trialkit.simulate.knobs.KNOBS``), e.g.
        ``fixed={"early_death_tau": 7.0}``.
    check_seeds, fit_seeds
        Realisations that measure robustness, and the common random numbers of the fit.
    **scenario
        :class:`TwinParams` fields to change before calibrating.

    Returns
    -------
    (TwinParams, DataFrame)
        The parameters (with the chosen seed) and the calibration table: ``id, statistic,
        endpoint, arm, population, target, realised, tolerance, met, miss``; after a fit also
        ``figure_id, mean_other, sd_other, share_met_other, chance`` (over ``check_seeds``),
        ``kind, verdict, reason``.
    """
    spec = _spec(spec)
    if published is not None or free is not None or fixed:
        from trialkit.simulate.fit import fit_twin

        result = fit_twin(
            spec,
            published or {"figures": {}},
            targets=targets,
            free=free,
            fixed=fixed,
            seeds=seeds,
            check_seeds=check_seeds,
            fit_seeds=fit_seeds,
            **scenario,
        )
        return result.params, result.table
    if targets is None:
        raise ValueError("calibrate: give targets, published figures, or knobs to fit")
    base = replace(twin_params(spec, **scenario), swaps=())  # the model's draws, unconditioned
    fitted = _fit_counts(spec, base, _count_targets(spec, base, targets))
    params = replace(base, **fitted)
    best: tuple[float, int, pd.DataFrame] | None = None
    for seed in seeds:
        tab = calibration_table(twin(spec, seed, **{**scenario, **fitted}), targets)
        excess = ((tab["realised"] - tab["target"]).abs() - tab["tolerance"]).clip(lower=0)
        score = float(((excess / tab["tolerance"].where(tab["tolerance"] > 0, 1.0)) ** 2).sum())
        if best is None or score < best[0]:
            best = (score, int(seed), tab)
    if best is None:
        raise ValueError("calibrate: no seeds given")
    _, seed, tab = best
    tab = tab.assign(miss=(tab["realised"] - tab["target"]).round(3))
    return replace(params, seed=seed), tab


# -- writing a twin file ------------------------------------------------------------------

_FIRST_FIELDS = ("prefix", "horizon", "randomized", "seed")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return repr(round(float(v), 6))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"twin_toml: cannot write {v!r} ({type(v).__name__}) as TOML")


def twin_toml(
    params: TwinParams, *, header: str = "", comments: Mapping[str, str] | None = None
) -> str:
    """The ``[params]`` of a twin file (the format of ``data/<trial>/twin.toml``).

    The arm sizes, horizon, prefix and seed always, then every field that differs from the
    model's default (:class:`TwinParams`), exclusions as ``[[params.exclusions]]`` tables.
    :func:`trialkit.simulate.read_twin_file` reads it back to the same parameters.

    Parameters
    ----------
    params : TwinParams
        The parameters to write.
    header : str
        Comment lines put first (each prefixed with ``#`` and a space).
    comments : mapping, optional
        A comment written above a field, by field name.

    Examples
    --------
    >>> from trialkit.simulate import TwinParams
    >>> print(twin_toml(TwinParams(prefix="T", horizon=28, randomized=(10, 10), seed=3,
    ...                            effect_sofa=0.5)))
    [params]
    prefix = "T"
    horizon = 28
    randomized = [10, 10]
    seed = 3
    effect_sofa = 0.5
    <BLANKLINE>
    """
    comments = dict(comments or {})
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines.append("[params]")
    defaults = {f.name: f.default for f in fields(TwinParams) if f.default is not MISSING}
    names = [*_FIRST_FIELDS, *(f.name for f in fields(TwinParams) if f.name not in _FIRST_FIELDS)]
    for name in names:
        if name in ("exclusions", "notes"):
            continue
        value = getattr(params, name)
        if name not in _FIRST_FIELDS and (value is None or value == defaults.get(name, MISSING)):
            continue
        if name in comments:
            lines += [f"# {c}" for c in comments[name].splitlines()]
        if name == "swaps":  # one exchange per line: [slot, pool seed, pool patient]
            lines += ["swaps = [", *(f"  {_toml_value(v)}," for v in value), "]"]
            continue
        lines.append(f"{name} = {_toml_value(value)}")
    for ex in params.exclusions:
        lines += [
            "",
            "[[params.exclusions]]",
            f"arm = {_toml_value(ex.arm)}",
            f"reason = {_toml_value(ex.reason)}",
        ]
        if ex.withdrawn:
            lines.append("withdrawn = true")
    return "\n".join(lines) + "\n"
