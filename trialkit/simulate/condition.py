"""Conditioning a twin's realisation on the published figures by exchanging patients.

A twin's counts are exact by construction (the Bernoulli draws are conditioned on them,
:mod:`trialkit.simulate.model`), but its medians, quartiles and shift estimates are those of
one random realisation: with about 120 patients per arm a median moves by a point from one
seed to the next, finer than the publications print it. :func:`condition_twin` makes the
bundled realisation print the published numbers by *combinatorial optimisation* of the
microdata (Williamson, Birkin & Rees 1998): patients of the realisation (the *slots*) are
exchanged, one at a time, for patients drawn from the same model with the same parameters
at other seeds (the *pool*), keeping each exchange that brings the printed numbers closer.

What an exchange keeps, so that nothing the twin was conditioned on moves:

- the slot's patient id, site and date of randomization;
- the *signature*: arm, every population flag, withdrawal and exclusion, death by day 28 and
  by the end of follow-up, and every binary endpoint of the spec (deaths, serious events):
  a pool patient can take a slot only when their signatures are equal, so every count,
  percentage, risk ratio and Fisher test is unchanged.

Every exchanged patient is a whole patient of the model (baseline, daily values, events),
so the realism of each patient's course (SOFA rising before an ICU death, discharge when
off support) holds as for any draw. The exchanges are data: ``swaps`` in ``twin.toml``,
each ``[slot, pool seed, pool patient]`` (patient numbers from 1, as in the ids), with
``swaps_for``, the fingerprint of the parameters and seed they were found for; applied by
:func:`trialkit.simulate.twin` to that draw only (:func:`apply_swaps`).

The objective is that of the seed search (:func:`trialkit.simulate.calibrate`): the sum over
every printed number of the figures that the continuous parameters move (and that arithmetic
does not exclude, :func:`trialkit.simulate.agreement.not_reproducible`) of
``(max(|realised - target| - tol, 0) / tol) ** 2``, ``tol`` half the printed precision, so it
is 0 exactly when every such number prints as published. Each step draws ``proposals``
random exchanges (every other one a pair) and keeps the best, if it lowers the objective (a
greedy local search with random proposals; seeded, so the same call gives the same
exchanges). Whole-number endpoints make interval limits jump by whole points, so a small
continuous surrogate (the Wilcoxon statistic at the printed limit, :func:`_surrogate`)
guides the search between jumps.

References
----------
Williamson P, Birkin M, Rees PH. The estimation of population microdata by using data from
small area statistics and samples of anonymised records. Environment and Planning A 1998;
30:785-816.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from trialkit.simulate.figures import (
    BINARY_RULES,
    FIXED_KINDS,
    _Columns,
    figure_estimates,
    figure_plan,
)
from trialkit.simulate.params import TwinParams, params_fingerprint
from trialkit.spec import Spec

#: Pool seeds start here: outside the ranges the calibration searches (1..N), checks
#: (10001..) and fits with (20001..), so no pool patient is also one of those draws.
POOL_SEED_START = 50_001
#: The share of each number's tolerance the search aims within (see condition_twin).
MARGIN = 0.8
#: What an exchange keeps from the slot (the rest comes with the pool patient).
KEPT = ("patient_id", "site", "randomized")
_PATIENT_SIGNATURE = ("arm", "mitt", "per_protocol", "withdrawn", "exclusion_reason")


@dataclass(frozen=True)
class Conditioning:
    """The result of :func:`condition_twin`.

    Attributes
    ----------
    params : TwinParams
        The twin's parameters with ``swaps`` set.
    before, after : float
        The objective (sum of squared misses beyond tolerance, in tolerances) of the
        realisation without and with the exchanges.
    steps, evaluations : int
        Search steps taken and realisations evaluated.
    missed : tuple of str
        The printed numbers still missed (``figure.number``), empty when all print as
        published.
    pool_seeds : tuple of int
        The seeds of the pool.
    """

    params: TwinParams
    before: float
    after: float
    steps: int
    evaluations: int
    missed: tuple[str, ...]
    pool_seeds: tuple[int, ...]

    def describe(self) -> str:
        n = len(self.params.swaps)
        left = ", ".join(self.missed) if self.missed else "none"
        return (
            f"conditioned by exchanging {n} patient{'s' if n != 1 else ''} for patients of the "
            f"same signature from seeds {self.pool_seeds[0]}-{self.pool_seeds[-1]}: objective "
            f"{self.before:.4g} -> {self.after:.4g} in {self.steps} steps ({self.evaluations} "
            f"realisations evaluated); numbers still missed: {left}"
        )


# -- signatures -----------------------------------------------------------------------------


def _ends_signature(ends: pd.DataFrame, spec: Spec) -> np.ndarray:
    """One string per patient: what an exchange must keep equal (module docstring)."""
    flags = sorted({c for c in spec.populations.values() if c in ends.columns})
    binary = [e for e in spec.endpoints if spec.rule(e) in BINARY_RULES and e in ends.columns]
    cols = [*_PATIENT_SIGNATURE, *flags, *binary]
    parts = [ends[c].astype(str).to_numpy() for c in dict.fromkeys(cols)]
    parts.append(ends["death_day"].notna().astype(str).to_numpy())
    parts.append((ends["death_day"] <= 28).astype(str).to_numpy())
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + "|" + p
    return out


def _patient_signature(patients: pd.DataFrame, events: pd.DataFrame, i: int) -> tuple:
    """A patient's signature from the raw tables (the check :func:`apply_swaps` makes)."""
    row = patients.iloc[i]
    pid = row["patient_id"]
    serious = bool(((events["patient_id"] == pid) & (events["serious"] == 1)).any())
    day = row["death_day"]
    dead = bool(pd.notna(day))
    return (*(str(row[c]) for c in _PATIENT_SIGNATURE), dead, dead and day <= 28, serious)


# -- applying exchanges ---------------------------------------------------------------------


def apply_swaps(
    frames: dict[str, pd.DataFrame],
    swaps: Sequence[Sequence[int]],
    pool: Callable[[int], dict[str, pd.DataFrame]],
) -> dict[str, pd.DataFrame]:
    """The tables of a realisation with some patients exchanged for pool patients.

    Parameters
    ----------
    frames : dict of DataFrame
        The realisation's tables (``patients``, ``daily``, ``events`` and any others), each
        with ``patient_id``.
    swaps : sequence of (slot, pool seed, pool patient)
        Patient numbers from 1 (``IM-0017`` is patient 17).
    pool : callable
        ``pool(seed)``: the tables of the model's draw at a pool seed.

    Returns
    -------
    dict of DataFrame
        The same tables (input frames unchanged): slot ``k``'s rows replaced by the pool
        patient's rows in every table, carrying the slot's ``patient_id``; in ``patients`` the
        slot's ``site`` and ``randomized`` kept.

    Raises
    ------
    ValueError
        A slot or pool patient number out of range, a slot or pool patient used twice, or a
        pool patient whose signature (arm, populations, withdrawal, exclusion, deaths, serious
        event) differs from the slot's.
    """
    patients = frames["patients"]
    n = len(patients)
    slots = [int(s[0]) for s in swaps]
    dup = sorted({s for s in slots if slots.count(s) > 1})
    if dup:
        raise ValueError(f"swaps: slot(s) {dup} are exchanged more than once")
    sources = [(int(s[1]), int(s[2])) for s in swaps]
    if len(set(sources)) != len(sources):
        raise ValueError("swaps: a pool patient is used more than once")
    ids = patients["patient_id"].to_numpy()
    new_patients = patients.copy()
    taken: dict[str, list[pd.DataFrame]] = {k: [] for k in frames if k != "patients"}
    cache: dict[int, dict[str, pd.DataFrame]] = {}
    for slot, seed, number in ((int(a), int(b), int(c)) for a, b, c in swaps):
        if not 1 <= slot <= n:
            raise ValueError(f"swaps: slot {slot} is not a patient number 1..{n}")
        if seed not in cache:
            cache[seed] = pool(seed)
        src = cache[seed]
        m = len(src["patients"])
        if not 1 <= number <= m:
            raise ValueError(f"swaps: pool patient {number} of seed {seed} is not in 1..{m}")
        mine = _patient_signature(patients, frames["events"], slot - 1)
        theirs = _patient_signature(src["patients"], src["events"], number - 1)
        if mine != theirs:
            raise ValueError(
                f"swaps: slot {slot} ({ids[slot - 1]}) and patient {number} of seed {seed} "
                f"differ in their signature {mine} vs {theirs}: the exchange would change "
                "a count the twin is conditioned on"
            )
        row = src["patients"].iloc[number - 1].copy()
        for c in KEPT:
            row[c] = patients.iloc[slot - 1][c]
        new_patients.iloc[slot - 1] = row[patients.columns]
        pid = src["patients"]["patient_id"].iat[number - 1]
        for name in taken:
            part = src[name].loc[src[name]["patient_id"] == pid].copy()
            part["patient_id"] = ids[slot - 1]
            taken[name].append(part)
    out = {"patients": new_patients.astype(patients.dtypes.to_dict())}
    gone = set(ids[[s - 1 for s in slots]])
    for name, frame in frames.items():
        if name == "patients":
            continue
        kept = frame.loc[~frame["patient_id"].isin(gone)]
        out[name] = pd.concat([kept, *taken[name]], ignore_index=True) if taken[name] else kept
    return out


def _patient_number(ids: pd.Series) -> np.ndarray:
    """The patient number in an id the model wrote (``IM-0017`` -> 17)."""
    return ids.str.rsplit("-", n=1).str[1].astype(int).to_numpy()


# -- the search -----------------------------------------------------------------------------


#: Weight of the surrogate (below) beside the misses: small, so that it only breaks ties
#: between exchanges that leave every printed number where it was.
SURROGATE_WEIGHT = 0.1
_Z = 1.959963984540054  # the 95% intervals of the Hodges-Lehmann figures


def _targets(
    spec: Spec, params: TwinParams, published: Mapping[str, Any], margin: float = 1.0
) -> list[dict[str, Any]]:
    """Every printed number the continuous parameters move: its figure, number, estimate
    column, target and tolerance, and the figure's estimator, endpoint and population.

    Of a figure that arithmetic excludes (:func:`trialkit.simulate.agreement.not_reproducible`),
    only the numbers the plain draw already prints as published are kept, so that they stay
    as published; the others no data can print alongside them, and chasing them would only
    move the rest."""
    from trialkit.published import precision
    from trialkit.results import published_point
    from trialkit.simulate.agreement import _met, not_reproducible
    from trialkit.simulate.draws import twin

    figures = published.get("figures", {})
    plan = figure_plan(spec, published)
    excluded = not_reproducible(spec, plan, figures, params)
    plain = None
    if excluded:
        draw = twin(spec, params.seed, params=replace(params, swaps=()))
        plain = figure_estimates(draw, published, plan=plan).set_index("figure_id")
    out = []
    for p in plan[plan["reproduced"] & ~plan["kind"].isin(FIXED_KINDS)].to_dict("records"):
        fid = p["figure_id"]
        fig = figures[fid]
        point = published_point(fig)
        for key in ("estimate", "median", "q1", "q3", "ci_low", "ci_high", "p_value"):
            if key not in fig:
                continue
            column, tol = "estimate" if key == point else key, precision(dict(fig), key) / 2
            if plain is not None and fid in excluded:
                if not _met(float(plain.at[fid, column]), float(fig[key]), tol):
                    continue
            out.append({
                "figure_id": fid, "key": key, "column": column, "target": float(fig[key]),
                "tol": tol * margin, "estimator": p["estimator"], "endpoint": p["endpoint"],
                "population": p["population"],
            })  # fmt: skip
    return out


def _wilcoxon_z(x: np.ndarray, y: np.ndarray, d: float) -> float:
    """The tie-corrected Wilcoxon rank-sum z of ``x - d`` against ``y`` (no continuity
    correction): the statistic whose inversion gives the Hodges-Lehmann interval."""
    from trialkit.stats.rank import _rank_sum, _sigma

    xs, ys = np.sort(x - d), np.sort(y)
    w, ties = _rank_sum(xs, ys)
    sigma = _sigma(xs.size, ys.size, ties)
    return float((w - xs.size * ys.size / 2.0) / sigma) if sigma > 0 else 0.0


def _surrogate(t: Mapping[str, Any], got: float, cols: Any, arms: Sequence[str]) -> float:
    """How far a missed Hodges-Lehmann number is from printing as published, continuously.

    On whole-number endpoints (free days, score changes) the estimate and interval limits
    jump by whole points, so one exchange rarely moves them and the misses alone give the
    search no direction. The interval is the set of shifts the Wilcoxon test does not
    reject: the upper limit reaches ``b`` (the near end of the printed number's tolerance)
    when ``z(b) >= -1.96``, the lower limit when ``z(b) <= 1.96``, the estimate when
    ``z(b)`` crosses 0. The surrogate is the distance of ``z(b)`` from that level (0 for
    other figures and numbers)."""
    if t["estimator"] != "hodges_lehmann" or t["key"] not in ("estimate", "ci_low", "ci_high"):
        return 0.0
    level = {"estimate": 0.0, "ci_low": _Z, "ci_high": -_Z}[t["key"]]
    below = got < t["target"]
    b = t["target"] - t["tol"] if below else t["target"] + t["tol"]
    x = cols.values(t["endpoint"], t["population"], arms[0])
    y = cols.values(t["endpoint"], t["population"], arms[1])
    z = _wilcoxon_z(x, y, b)
    return max(0.0, level - z) if below else max(0.0, z - level)


def _objective(
    est: pd.DataFrame,
    targets: Sequence[Mapping[str, Any]],
    cols: Any = None,
    arms: Sequence[str] = (),
) -> tuple[float, float, list[str]]:
    """(misses, surrogate, missed numbers): the sum of squared misses beyond tolerance in
    tolerances, and with ``cols`` (the realisation's columns) the surrogate of the missed
    Hodges-Lehmann numbers."""
    rows = est.set_index("figure_id")
    total, guide, missed = 0.0, 0.0, []
    for t in targets:
        got = float(rows.at[t["figure_id"], t["column"]])
        tol = t["tol"]
        excess = abs(got - t["target"]) - tol * (1 + 1e-9) if np.isfinite(got) else 10.0 * tol
        if excess > 0:
            total += (excess / tol) ** 2
            missed.append(f"{t['figure_id']}.{t['key']}")
            if cols is not None and np.isfinite(got):
                guide += _surrogate(t, got, cols, arms)
    return total, guide, missed


def condition_twin(
    spec: Spec | str,
    params: TwinParams,
    published: Mapping[str, Any],
    *,
    pool: int = 40,
    proposals: int = 32,
    steps: int = 3000,
    seed: int = 0,
    margin: float = MARGIN,
) -> Conditioning:
    """Exchange patients of a twin's realisation until its figures print as published.

    Parameters
    ----------
    spec : Spec or str
        The trial.
    params : TwinParams
        The twin's parameters; its ``seed`` is the realisation conditioned (existing
        ``swaps`` are discarded: the search starts from the model's draw).
    published : mapping
        :func:`trialkit.published.load_published` of the figures.
    pool : int
        Pool draws, at seeds ``POOL_SEED_START`` onwards (same parameters).
    proposals : int
        Random exchanges evaluated per step; the best is kept if it lowers the objective.
    steps : int
        The most steps; the search stops earlier when every number prints as published.
    seed : int
        Seed of the proposals.
    margin : float
        Each number is searched within ``margin`` times its tolerance (half the printed
        precision), so that it prints as published with room to spare when shown to one more
        decimal (a P of 0.1249 prints as 0.12 but reads as 0.125 beside it).

    Returns
    -------
    Conditioning
        The parameters with ``swaps``, the objective before and after, what is still missed.

    Examples
    --------
    >>> from trialkit.published import load_published
    >>> from trialkit.resources import bundled_data
    >>> from trialkit.simulate import twin_params
    >>> pub = load_published(bundled_data("imicro"))
    >>> c = condition_twin("imicro", twin_params("imicro"), pub, pool=2, proposals=4, steps=3)
    >>> c.after <= c.before
    True
    """
    from trialkit.endpoints import analysis_set
    from trialkit.simulate.draws import _spec, twin

    spec = _spec(spec)
    base = replace(params, swaps=())
    plan = figure_plan(spec, published)
    moved = plan[plan["reproduced"] & ~plan["kind"].isin(FIXED_KINDS)].reset_index(drop=True)
    if not 0 < margin <= 1:
        raise ValueError(f"condition_twin: margin must be in (0, 1], got {margin!r}")
    targets = _targets(spec, base, published, margin)
    pool_seeds = tuple(range(POOL_SEED_START, POOL_SEED_START + int(pool)))
    trial = twin(spec, base.seed, params=base)
    ends = analysis_set(trial, spec).reset_index(drop=True)
    pool_ends = [analysis_set(twin(spec, s, params=base), spec).assign(_seed=s) for s in pool_seeds]
    cand = pd.concat(pool_ends, ignore_index=True)
    # Every realisation evaluated is rows of `rows` (the draw, then the pool) taken in slot
    # order, with the slots' own ids, sites and dates: a take keeps the dtypes and is cheap.
    rows = pd.concat([ends, cand[ends.columns]], ignore_index=True)
    n = len(ends)
    cand_sig = _ends_signature(cand, spec)
    usable = (cand["withdrawn"] == 0).to_numpy()
    by_sig: dict[str, np.ndarray] = {
        k: np.flatnonzero((cand_sig == k) & usable) for k in np.unique(cand_sig[usable])
    }
    slot_sig = _ends_signature(ends, spec)
    slots = np.flatnonzero((ends["withdrawn"] == 0).to_numpy())
    slots = slots[[len(by_sig.get(slot_sig[i], ())) > 0 for i in slots]]
    kept = {c: ends[c].to_numpy() for c in KEPT}

    def realisation(sel: np.ndarray) -> pd.DataFrame:
        return rows.take(sel).reset_index(drop=True).assign(**kept)

    def score(sel: np.ndarray) -> tuple[float, float, list[str]]:
        frame = realisation(sel)
        est = figure_estimates(trial, published, plan=moved, ends=frame)
        misses, guide, missed = _objective(est, targets, _Columns(frame, spec), spec.arms)
        return misses + SURROGATE_WEIGHT * guide, misses, missed

    rng = np.random.default_rng(seed)
    sel = np.arange(n)
    value, current, missed = score(sel)
    before = current
    evaluations, step = 1, 0
    while step < int(steps) and current > 0.0 and slots.size:
        step += 1
        best: tuple[float, float, list[str], np.ndarray] | None = None
        for k in range(int(proposals)):
            # Every other proposal exchanges two patients at once: a pair can move a
            # number that any single exchange moves only by pushing another out.
            trial_sel = sel.copy()
            for i in rng.choice(slots, size=1 + k % 2, replace=False):
                trial_sel[i] = n + int(rng.choice(by_sig[slot_sig[i]]))
            if np.unique(trial_sel).size < n:  # a pool patient takes one slot at most
                continue
            scored = score(trial_sel)
            evaluations += 1
            if best is None or scored[0] < best[0]:
                best = (*scored, trial_sel)
        if best is not None and best[0] < value:
            value, current, missed, sel = best
    number = _patient_number(rows["patient_id"])
    seeds = np.r_[np.zeros(n, int), cand["_seed"].to_numpy()]
    swaps = tuple(
        (int(number[i]), int(seeds[j]), int(number[j])) for i, j in enumerate(sel) if j >= n
    )
    return Conditioning(
        params=replace(base, swaps=swaps, swaps_for=params_fingerprint(base)),
        before=before,
        after=current,
        steps=step,
        evaluations=evaluations,
        missed=tuple(missed),
        pool_seeds=pool_seeds,
    )
