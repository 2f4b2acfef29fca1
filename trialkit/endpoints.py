"""Per-patient endpoints derived from daily SOFA, support flags, vital status and events.

Each rule is a function; each option a keyword; the trial's spec picks the rule and its
options (``[endpoints.<id>]`` in ``trialkit/specs/<trial>.toml``, ``rule`` = function name).
Every rule returns a float ``pandas.Series`` indexed by ``patient_id`` in the order of
``patients``, NaN where the endpoint is not available, so that it goes straight into
numpy, scipy and statsmodels.

Conventions shared by every rule:

* ``day`` 0 is the randomization day; days are whole days since randomization.
* ``death_day`` empty means alive at last contact; ``icu_discharge_day`` empty means died in
  ICU or still in ICU. A patient alive whose ``last_contact_day`` falls before the day an
  endpoint needs is *lost to follow-up*: that endpoint is NaN (not imputed). Without a
  ``last_contact_day`` column, follow-up is taken as complete.
* Windows ``(first, last)`` include both ends.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialkit.schema import DataError, Trial
from trialkit.sofa import COMPONENTS, sofa
from trialkit.spec import Spec, SpecError

DEATH_RULES = ("worst", "last", "exclude")
DISCHARGE_RULES = ("last", "zero", "worst", "exclude")


# --- inputs -----------------------------------------------------------------------------


def _require(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(f"{table}: missing column(s) {absent} (rule: needed by this endpoint)")


def _patient_index(patients: pd.DataFrame) -> pd.Index:
    _require(patients, "patients", ["patient_id"])
    index = pd.Index(patients["patient_id"], name="patient_id")
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise DataError(f"patients: column 'patient_id': duplicated ids {dup} (rule: unique)")
    return index


def _positions(index: pd.Index, frame: pd.DataFrame, table: str) -> np.ndarray:
    """Row of ``patients`` for each row of ``frame``; unknown patients are an error."""
    pos = index.get_indexer(frame["patient_id"])
    if (pos < 0).any():
        rows = frame.index[pos < 0][:5].tolist()
        ids = frame["patient_id"].to_numpy()[pos < 0][:5].tolist()
        raise DataError(
            f"{table}: column 'patient_id', rows {rows}: ids {ids} are not in patients "
            "(rule: every row belongs to a randomized patient)"
        )
    return pos


def _days(patients: pd.DataFrame, column: str) -> np.ndarray:
    """A day column of ``patients`` as float, NaN where empty (absent column: all empty)."""
    if column not in patients.columns:
        return np.full(len(patients), np.nan)
    return pd.to_numeric(patients[column]).to_numpy(dtype=float, na_value=np.nan)


def _lost_before(patients: pd.DataFrame, day: float) -> np.ndarray:
    """Alive at last contact, and last contact before ``day``: vital status unknown."""
    alive = np.isnan(_days(patients, "death_day"))
    if "last_contact_day" not in patients.columns:
        return np.zeros(len(patients), dtype=bool)
    return alive & (_days(patients, "last_contact_day") < day)


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


def _max_score(daily_sofa: pd.DataFrame, score: str, max_score: float | None) -> float:
    """The worst possible value of ``score``: 4 per SOFA system present, unless given."""
    if max_score is not None:
        return float(max_score)
    if score == "sofa_total":
        n = sum(f"sofa_{c}" in daily_sofa.columns for c in COMPONENTS)
        if n:
            return 4.0 * n
    elif score in {f"sofa_{c}" for c in COMPONENTS}:
        return 4.0
    raise ValueError(
        f"cannot infer the worst value of {score!r}: no sofa_<system> columns; pass max_score"
    )


# --- the score grid: patients x days -----------------------------------------------------


def _one_row_per_day(pos: np.ndarray, day: np.ndarray, index: pd.Index) -> None:
    """Refuse a patient with two rows on one day: which row's score counts would be arbitrary."""
    day = np.asarray(day, dtype=np.int64)
    span = int(day.max() - day.min() + 1) if len(day) else 1
    dup = pd.Index(pos * span + (day - (day.min() if len(day) else 0))).duplicated()
    if dup.any():
        at = int(np.flatnonzero(dup)[0])
        raise DataError(
            f"daily: patient {index[pos[at]]!r} has more than one row on day {day[at]} "
            "(rule: one row per patient per day)"
        )


def _observed(
    daily_sofa: pd.DataFrame, index: pd.Index, score: str, first: int, last: int
) -> np.ndarray:
    """Observed ``score`` on days first..last, one row per patient (NaN: not observed)."""
    _require(daily_sofa, "daily", ["patient_id", "day", score])
    pos = _positions(index, daily_sofa, "daily")
    day = daily_sofa["day"].to_numpy()
    keep = (day >= first) & (day <= last)
    _one_row_per_day(pos[keep], day[keep], index)
    width = last - first + 1
    flat = pos[keep] * width + (day[keep] - first).astype(np.int64)
    grid = np.full(len(index) * width, np.nan)
    grid[flat] = pd.to_numeric(daily_sofa[score]).to_numpy(dtype=float, na_value=np.nan)[keep]
    return grid.reshape(len(index), width)


def _ffill(grid: np.ndarray) -> np.ndarray:
    """Last non-NaN value to the left of each cell, the cell included (NaN before any)."""
    idx = np.where(np.isnan(grid), 0, np.arange(grid.shape[1]))
    idx = np.maximum.accumulate(idx, axis=1)
    return grid[np.arange(grid.shape[0])[:, None], idx]


def _scored_days(
    daily_sofa: pd.DataFrame,
    patients: pd.DataFrame,
    index: pd.Index,
    *,
    first: int,
    last: int,
    death: str,
    discharge: str,
    score: str,
    max_score: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scores on days start..last with the death and discharge rules applied.

    Returns the grid, a mask of the cells where an ``"exclude"`` rule applied, the observed
    scores alone, and the day of the grids' first column. ``start`` reaches back to the
    earliest observed day so that ``"last"`` finds scores from before ``first``.
    """
    _check_choice("death", death, DEATH_RULES)
    _check_choice("discharge", discharge, DISCHARGE_RULES)
    _require(daily_sofa, "daily", ["day"])
    start = int(min(first, daily_sofa["day"].min())) if len(daily_sofa) else first
    obs = _observed(daily_sofa, index, score, start, last)
    days = np.arange(start, last + 1, dtype=float)
    missing = np.isnan(obs)
    dead = missing & (_days(patients, "death_day")[:, None] <= days)
    # Death takes precedence: a patient discharged and then dead is scored as dead.
    gone = missing & ~dead & (_days(patients, "icu_discharge_day")[:, None] <= days)
    worst = _max_score(daily_sofa, score, max_score) if "worst" in (death, discharge) else np.nan
    last_seen = _ffill(obs) if "last" in (death, discharge) else obs
    value = {"worst": worst, "last": last_seen, "zero": 0.0, "exclude": np.nan}
    out = np.where(dead, value[death], obs)
    out = np.where(gone, value[discharge], out)
    excluded = (dead & (death == "exclude")) | (gone & (discharge == "exclude"))
    return out, excluded, obs, start


def _series(values: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=index, name=name)


# --- rules ------------------------------------------------------------------------------


def delta_sofa(
    daily_sofa: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    day: int = 7,
    baseline_day: int = 0,
    death: str = "worst",
    discharge: str = "last",
    score: str = "sofa_total",
    max_score: float | None = None,
) -> pd.Series:
    """Change in SOFA from ``baseline_day`` to ``day`` (I-MICRO's primary endpoint).

    .. math:: \\Delta = S_{\\text{day}} - S_{\\text{baseline day}}

    where :math:`S_d` is the score observed on day *d* or, when none was recorded, the value
    the death or discharge rule gives.

    Parameters
    ----------
    daily_sofa : pandas.DataFrame
        The output of :func:`trialkit.sofa.sofa` (``patient_id``, ``day``, ``score``).
    patients : pandas.DataFrame
        ``patient_id``, ``death_day``, ``icu_discharge_day`` (``last_contact_day`` optional).
    day, baseline_day : int
        The day of the outcome and of the baseline score.
    death : {"worst", "last", "exclude"}
        For a patient with no score on ``day`` who died on or before it
        (``death_day <= day``): ``"worst"`` the maximum score (24; 20 for the modified
        score; see ``max_score``), ``"last"`` the last score observed on or before
        ``day``, ``"exclude"`` NaN (survivors-only analysis).
    discharge : {"last", "zero", "worst", "exclude"}
        For a patient with no score on ``day``, alive, discharged from ICU on or before
        ``day`` (``icu_discharge_day <= day``): last observed score, 0 (no organ failure
        outside ICU), the maximum score, or NaN. Death takes precedence over discharge (a
        patient discharged on day 3 who died on day 5 is scored by ``death``).
    score : str
        The column to use: ``"sofa_total"`` or one system, e.g. ``"sofa_renal"``.
    max_score : float, optional
        The worst value. Default: 4 per ``sofa_<system>`` column present (24 for the full
        score, 20 when ``sofa_cns`` was excluded) or 4 for one system.

    Returns
    -------
    pandas.Series
        ``delta_<score>_d<day>``, indexed by ``patient_id``. NaN when the baseline score is
        missing, when an ``"exclude"`` rule applies, or when a patient alive and in ICU
        (not discharged) has no score on ``day`` (missing data are not imputed here).

    References
    ----------
    Legrand M et al. Iloprost in septic shock with persistent hypoperfusion (I-MICRO).
    Am J Respir Crit Care Med 2025;211:1211-9 (primary endpoint).

    Examples
    --------
    >>> import pandas as pd
    >>> daily = pd.DataFrame({"patient_id": [1, 1, 2, 2], "day": [0, 7, 0, 2],
    ...                       "sofa_total": [10, 6, 12, 15]})
    >>> patients = pd.DataFrame({"patient_id": [1, 2], "death_day": [None, 3],
    ...                          "icu_discharge_day": [9, None]})
    >>> delta_sofa(daily, patients, max_score=24).tolist()
    [-4.0, 12.0]
    """
    index = _patient_index(patients)
    grid, excluded, obs, start = _scored_days(
        daily_sofa,
        patients,
        index,
        first=min(day, baseline_day),
        last=max(day, baseline_day),
        death=death,
        discharge=discharge,
        score=score,
        max_score=max_score,
    )
    baseline = obs[:, baseline_day - start]
    value = np.where(excluded[:, day - start], np.nan, grid[:, day - start] - baseline)
    return _series(value, index, f"delta_{score}_d{day}")


def mean_daily_sofa(
    daily_sofa: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    window: Sequence[int] = (1, 7),
    days: str = "icu",
    death: str = "worst",
    discharge: str = "last",
    score: str = "sofa_total",
    max_score: float | None = None,
) -> pd.Series:
    """Mean daily SOFA over a window of days (COMBAT-SHINE's and LeoPARDS' primary endpoint).

    .. math:: \\bar S = \\frac{1}{|D|} \\sum_{d \\in D} S_d

    Parameters
    ----------
    daily_sofa, patients : pandas.DataFrame
        As for :func:`delta_sofa`.
    window : (int, int)
        First and last day, both included.
    days : {"icu", "all"}
        ``"icu"``: *D* is the days of the window with a score recorded (the ICU days; the
        death and discharge rules play no part). ``"all"``: *D* is every day of the window;
        a day with no score after death (``death_day <= d``) is scored by ``death``, after
        ICU discharge (``icu_discharge_day <= d``) by ``discharge`` (death first). A day
        with no score while alive and in ICU is left out of *D*.
    death, discharge, score, max_score
        As for :func:`delta_sofa`; ``"last"`` is the last score observed on or before the
        day, ``"exclude"`` makes the patient's mean NaN whenever it applies on any day.

    Returns
    -------
    pandas.Series
        ``mean_<score>_d<first>_<last>``, indexed by ``patient_id``; NaN when *D* is empty.

    References
    ----------
    Gordon AC et al. Levosimendan for the prevention of acute organ dysfunction in sepsis
    (LeoPARDS). N Engl J Med 2016;375:1638-48.

    Examples
    --------
    >>> import pandas as pd
    >>> daily = pd.DataFrame({"patient_id": [1, 1, 1], "day": [1, 2, 3],
    ...                       "sofa_total": [9, 6, 3]})
    >>> patients = pd.DataFrame({"patient_id": [1], "death_day": [None],
    ...                          "icu_discharge_day": [3]})
    >>> mean_daily_sofa(daily, patients, window=(1, 7)).tolist()
    [6.0]
    >>> mean_daily_sofa(daily, patients, window=(1, 7), days="all", discharge="zero",
    ...                 max_score=24).tolist()
    [2.5714285714285716]
    """
    _check_choice("days", days, ("icu", "all"))
    first, last = _window(window)
    index = _patient_index(patients)
    if days == "icu":
        grid = _observed(daily_sofa, index, score, first, last)
        excluded = np.zeros(len(index), dtype=bool)
    else:
        grid, cells, _, start = _scored_days(
            daily_sofa,
            patients,
            index,
            first=first,
            last=last,
            death=death,
            discharge=discharge,
            score=score,
            max_score=max_score,
        )
        grid = grid[:, first - start :]
        excluded = cells[:, first - start :].any(axis=1)
    seen = ~np.isnan(grid)
    n = seen.sum(axis=1)
    total = np.where(seen, grid, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(excluded | (n == 0), np.nan, total / n)
    return _series(mean, index, f"mean_{score}_d{first}_{last}")


def _window(window: Sequence[int]) -> tuple[int, int]:
    if len(window) != 2 or window[0] > window[1]:
        raise ValueError(f"window must be (first, last) with first <= last, got {window!r}")
    return int(window[0]), int(window[1])


def free_days(
    daily: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    support: str = "mech_vent",
    horizon: int = 28,
    death_value: float = 0,
) -> pd.Series:
    """Days alive and free of an organ support by ``horizon`` (ventilator-free days etc.).

    .. math:: F = \\begin{cases} \\text{death\\_value} & \\text{death\\_day} \\le H \\\\
              \\#\\{d \\in 1..H : \\text{support}_d \\ne 1\\} & \\text{otherwise} \\end{cases}

    Parameters
    ----------
    daily : pandas.DataFrame
        ``patient_id``, ``day`` and the ``support`` flag (0/1).
    patients : pandas.DataFrame
        ``patient_id``, ``death_day`` (``last_contact_day`` optional).
    support : str
        The flag column: ``"mech_vent"``, ``"vasopressor"``, ``"rrt"``.
    horizon : int
        *H*: days 1..H are counted (day 0, the randomization day, is not).
    death_value : float
        The value of a death on or before day *H*: 0 in the classic definition, -1 to
        rank deaths below every survivor in an ordinal analysis (Yehya et al. 2019).

    Returns
    -------
    pandas.Series
        ``<support>_free_days_d<H>``, indexed by ``patient_id``: in 0..H for survivors,
        ``death_value`` for deaths, NaN when lost to follow-up before *H*.

    Notes
    -----
    A day counts as supported only when a daily row for it has the flag equal to 1. Days
    with no daily row (after ICU discharge, or a day not recorded) and a missing flag count
    as free: organ support is given in ICU and charted there. Support that stops and
    restarts counts each supported day once.

    References
    ----------
    Yehya N, Harhay MO, Curley MAQ, Schoenfeld DA, Reeder RW. Reappraisal of
    ventilator-free days in critical care research. Am J Respir Crit Care Med
    2019;200:828-36.

    Examples
    --------
    >>> import pandas as pd
    >>> daily = pd.DataFrame({"patient_id": [1, 1, 1, 2], "day": [0, 1, 2, 1],
    ...                       "mech_vent": [1, 1, 1, 1]})
    >>> patients = pd.DataFrame({"patient_id": [1, 2], "death_day": [None, 10]})
    >>> free_days(daily, patients, horizon=28).tolist()
    [26.0, 0.0]
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 day, got {horizon!r}")
    index = _patient_index(patients)
    _require(daily, "daily", ["patient_id", "day", support])
    pos = _positions(index, daily, "daily")
    day = daily["day"].to_numpy()
    flag = pd.to_numeric(daily[support]).to_numpy(dtype=float, na_value=np.nan)
    on = (flag == 1) & (day >= 1) & (day <= horizon)
    # A grid, not a row count, so that a day recorded twice is still one day.
    grid = np.zeros((len(index), horizon), dtype=bool)
    grid[pos[on], (day[on] - 1).astype(np.int64)] = True
    free = horizon - grid.sum(axis=1).astype(float)
    free = np.where(_days(patients, "death_day") <= horizon, float(death_value), free)
    free = np.where(_lost_before(patients, horizon), np.nan, free)
    return _series(free, index, f"{support}_free_days_d{horizon}")


def dead_by(patients: pd.DataFrame, *, day: int = 28) -> pd.Series:
    """Death on or before ``day``: 1, alive on ``day``: 0.

    Parameters
    ----------
    patients : pandas.DataFrame
        ``patient_id``, ``death_day`` (``last_contact_day`` optional).
    day : int
        The landmark day (28, 90).

    Returns
    -------
    pandas.Series
        ``dead_by_d<day>`` (0/1), NaN when alive at a last contact before ``day``.

    Examples
    --------
    >>> import pandas as pd
    >>> patients = pd.DataFrame({"patient_id": [1, 2, 3], "death_day": [3, 40, None],
    ...                          "last_contact_day": [3, 40, 90]})
    >>> dead_by(patients, day=28).tolist()
    [1.0, 0.0, 0.0]
    """
    index = _patient_index(patients)
    _require(patients, "patients", ["death_day"])
    dead = (_days(patients, "death_day") <= day).astype(float)
    dead = np.where(_lost_before(patients, day), np.nan, dead)
    return _series(dead, index, f"dead_by_d{day}")


def days_alive_out_of_icu(
    patients: pd.DataFrame, *, horizon: int = 28, death_value: float = 0
) -> pd.Series:
    """Days alive and out of ICU among days 1..``horizon``.

    .. math:: A = H - \\min(\\max(\\text{icu\\_discharge\\_day}, 0), H)

    for survivors to *H*; ``death_value`` for a death on or before day *H*.

    Parameters
    ----------
    patients : pandas.DataFrame
        ``patient_id``, ``death_day``, ``icu_discharge_day`` (``last_contact_day``
        optional).
    horizon : int
        *H*.
    death_value : float
        As for :func:`free_days`.

    Returns
    -------
    pandas.Series
        ``days_alive_out_of_icu_d<H>``, NaN when lost to follow-up before *H*.

    Notes
    -----
    The discharge day itself is an ICU day; day *d* is out of ICU when
    ``d > icu_discharge_day``. A survivor with no discharge day is still in ICU (0 days).
    The data model has one discharge day, so a readmission after it is not subtracted.

    Examples
    --------
    >>> import pandas as pd
    >>> patients = pd.DataFrame({"patient_id": [1, 2, 3], "death_day": [None, 20, None],
    ...                          "icu_discharge_day": [5, 4, None]})
    >>> days_alive_out_of_icu(patients, horizon=28).tolist()
    [23.0, 0.0, 0.0]
    """
    index = _patient_index(patients)
    _require(patients, "patients", ["death_day", "icu_discharge_day"])
    out_day = _days(patients, "icu_discharge_day")
    days = np.where(np.isnan(out_day), 0.0, horizon - np.clip(out_day, 0, horizon))
    days = np.where(_days(patients, "death_day") <= horizon, float(death_value), days)
    days = np.where(_lost_before(patients, horizon), np.nan, days)
    return _series(days, index, f"days_alive_out_of_icu_d{horizon}")


def serious_adverse_event(
    events: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    window: Sequence[int] = (0, 28),
    related: bool = False,
) -> pd.Series:
    """Whether a patient had at least one serious adverse event (or reaction) in a window.

    Parameters
    ----------
    events : pandas.DataFrame
        ``patient_id``, ``day``, ``serious`` (0/1), ``related`` (0/1 when ``related``).
    patients : pandas.DataFrame
        ``patient_id``: every patient gets a value, 0 when no event is recorded.
    window : (int, int)
        First and last day, both included.
    related : bool
        Count only events judged related to the trial drug (serious adverse reactions).

    Returns
    -------
    pandas.Series
        ``serious_adverse_event_d<first>_<last>`` (``..._reaction_...`` when ``related``),
        0/1 per patient. Patients are counted once however many events they had.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"patient_id": [1, 1, 2], "day": [2, 30, 40],
    ...                        "term": ["shock", "bleeding", "rash"],
    ...                        "serious": [1, 1, 1], "related": [0, 1, 1]})
    >>> patients = pd.DataFrame({"patient_id": [1, 2, 3]})
    >>> serious_adverse_event(events, patients, window=(0, 28)).tolist()
    [1.0, 0.0, 0.0]
    """
    first, last = _window(window)
    index = _patient_index(patients)
    _require(events, "events", ["patient_id", "day", "serious"] + (["related"] if related else []))
    pos = _positions(index, events, "events")
    day = pd.to_numeric(events["day"]).to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(day).any():
        rows = events.index[np.isnan(day)][:5].tolist()
        raise DataError(f"events: column 'day', rows {rows}: empty (rule: every event has a day)")
    hit = (pd.to_numeric(events["serious"]).to_numpy() == 1) & (day >= first) & (day <= last)
    if related:
        hit &= pd.to_numeric(events["related"]).to_numpy() == 1
    any_hit = np.bincount(pos[hit], minlength=len(index)) > 0
    kind = "reaction" if related else "event"
    return _series(any_hit, index, f"serious_adverse_{kind}_d{first}_{last}")


RULES: dict[str, Callable[..., pd.Series]] = {
    f.__name__: f
    for f in (
        delta_sofa,
        mean_daily_sofa,
        free_days,
        dead_by,
        days_alive_out_of_icu,
        serious_adverse_event,
    )
}
"""The endpoint rules a spec may name in ``rule``."""


# --- one row per patient ----------------------------------------------------------------


def _bind(
    endpoint_id: str, spec: Spec
) -> tuple[Callable[..., pd.Series], list[str], dict[str, Any]]:
    """An endpoint of the spec as (rule, names of the tables it takes, its options).

    The tables are the rule's positional parameters, matched to the trial's tables by name.
    """
    rule_name = spec.endpoints[endpoint_id]["rule"]
    if rule_name not in RULES:
        raise SpecError(
            f"spec {spec.id!r}, endpoint {endpoint_id!r}: unknown rule {rule_name!r}; "
            f"known rules: {sorted(RULES)}"
        )
    rule = RULES[rule_name]
    params = inspect.signature(rule).parameters
    data = [n for n, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    options = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in spec.endpoint_options(endpoint_id).items()
    }
    unknown = sorted(set(options) - keywords)
    if unknown:
        raise SpecError(
            f"spec {spec.id!r}, endpoint {endpoint_id!r}: rule {rule_name!r} has no option(s) "
            f"{unknown}; its options are {sorted(keywords)}"
        )
    return rule, data, options


def _population_column(spec: Spec, patients: pd.DataFrame, population: str) -> str:
    column = spec.populations.get(population, population)
    if column not in patients.columns:
        raise SpecError(
            f"population {population!r}: no flag column {column!r} in patients; the spec's "
            f"populations are {spec.populations}"
        )
    return column


def analysis_set(
    trial: Trial, spec: Spec | None = None, *, population: str | None = None
) -> pd.DataFrame:
    """One row per patient: identifiers, baseline data, baseline SOFA and every endpoint.

    Parameters
    ----------
    trial : trialkit.schema.Trial
        The validated tables (``patients``, ``daily``, ``events``, extra tables).
    spec : trialkit.spec.Spec, optional
        The analysis plan; default ``trial.spec``. ``spec.sofa`` gives the options of
        :func:`trialkit.sofa.sofa`; each ``spec.endpoints[id]`` names a rule of
        :data:`RULES` and its options. A rule receives the tables its parameters name:
        ``daily_sofa`` (the daily table with SOFA), ``daily``, ``patients``, ``events``
        or any extra table of the trial, so a new trial needs a new spec, not new code.
    population : str, optional
        Keep only the patients whose flag is 1: a population name of the spec
        (``"primary"``) or a flag column (``"per_protocol"``). Default: every patient.
        Endpoints are computed before the filter and do not depend on it.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``arm``, ``site``, then the other columns of ``patients``
        (population flags, baseline covariates, ``death_day`` ...), then
        ``baseline_sofa_<system>`` and ``baseline_sofa_total`` (day 0, float, NaN when no
        day-0 row), then one float column per endpoint id, in spec order.

    Raises
    ------
    trialkit.spec.SpecError
        An unknown rule or option, an endpoint id that clashes with a patients column, or
        an unknown population.

    Examples
    --------
    >>> from trialkit.endpoints import analysis_set
    >>> data = analysis_set(trial)  # doctest: +SKIP
    >>> data.groupby("arm")["delta_sofa"].median()  # doctest: +SKIP
    """
    spec = trial.spec if spec is None else spec
    patients = trial.patients
    sofa_options = dict(spec.sofa)
    sofa_options["exclude"] = tuple(sofa_options.get("exclude", ()))
    bound = {endpoint_id: _bind(endpoint_id, spec) for endpoint_id in spec.endpoints}
    daily_sofa = sofa(trial.daily, **sofa_options)
    index = _patient_index(patients)
    pos = _positions(index, daily_sofa, "daily")
    _one_row_per_day(pos, daily_sofa["day"].to_numpy(), index)
    # The rules run on row numbers instead of ids: one id lookup here rather than one per rule
    # (string ids are slow to look up). Errors naming ids are raised above, with the real ids.
    # daily_sofa is this function's own copy, and a superset of daily's columns.
    daily_sofa["patient_id"] = pos
    inputs = {
        "daily_sofa": daily_sofa,
        "daily": daily_sofa,
        "patients": patients.assign(patient_id=np.arange(len(patients))),
    }
    tables = {**trial.tables, "events": trial.events}
    for endpoint_id, (rule, data, _) in bound.items():
        for name in data:
            if name in inputs:
                continue
            if name not in tables:
                raise SpecError(
                    f"spec {spec.id!r}, endpoint {endpoint_id!r}: rule {rule.__name__!r} "
                    f"needs a table {name!r} that the trial does not have"
                )
            table = tables[name]
            if "patient_id" in table.columns:
                table = table.assign(patient_id=_positions(index, table, name))
            inputs[name] = table
    clash = sorted(set(spec.endpoints) & set(patients.columns))
    if clash:
        raise SpecError(f"spec {spec.id!r}: endpoint id(s) {clash} are also patients columns")

    first = [c for c in ("patient_id", "arm", "site") if c in patients.columns]
    out = patients[first + [c for c in patients.columns if c not in first]].reset_index(drop=True)
    score_columns = [c for c in daily_sofa.columns if str(c).startswith("sofa_")]
    at_day0 = daily_sofa["day"].to_numpy() == 0
    for column in score_columns:
        baseline = np.full(len(out), np.nan)
        baseline[pos[at_day0]] = daily_sofa[column].to_numpy(dtype=float, na_value=np.nan)[at_day0]
        out[f"baseline_{column}"] = baseline
    for endpoint_id, (rule, data, options) in bound.items():
        values = rule(*(inputs[name] for name in data), **options)
        out[endpoint_id] = values.to_numpy(dtype=float)
    if population is not None:
        flag = out[_population_column(spec, patients, population)]
        out = out[pd.to_numeric(flag, errors="coerce").fillna(0).to_numpy() == 1]
        out = out.reset_index(drop=True)
    return out
