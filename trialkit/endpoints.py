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

Cost: the rules reduce the daily rows per patient (:mod:`trialkit.patient_days`: blocks of
whole patients, ``bincount`` within a block), never a patients x days grid, so time and
memory grow linearly with the rows; :func:`analysis_set` scores SOFA once into arrays and
hands the rules the daily table's own columns, without copying it
(``benchmarks/bench_endpoints.py``: 10^7 patient-days in a few seconds).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialkit.patient_days import PatientDays, column_values, days, numeric, positions
from trialkit.schema import DataError, Trial
from trialkit.sofa import COMPONENTS, daily_scores
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
    ids = patients["patient_id"]
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and (values.size == 0 or values[0] == 0):
        # Row numbers as ids (as analysis_set passes them): looked up by arithmetic.
        if np.array_equal(values, np.arange(values.size)):
            return pd.RangeIndex(values.size, name="patient_id")
    index = pd.Index(ids, name="patient_id")
    # Ids in increasing order (the usual file) are unique without hashing them all.
    if not ((index.is_monotonic_increasing and index.is_unique) or index.is_unique):
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise DataError(f"patients: column 'patient_id': duplicated ids {dup} (rule: unique)")
    return index


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
    _check_choice("death", death, DEATH_RULES)
    _check_choice("discharge", discharge, DISCHARGE_RULES)
    n = len(index)
    _require(daily_sofa, "daily", ["patient_id", "day", score])
    rows = PatientDays.of(index, daily_sofa, "daily")
    last = max(day, baseline_day)
    rows.one_row_per_day(index, "daily", lambda d: d <= last)
    values = rows.arrange(numeric(daily_sofa, score))
    baseline, observed = np.full(n, np.nan), np.full(n, np.nan)
    carried = np.full(n, np.nan)  # the last score on or before day, for "last"
    for block, _, _ in rows.blocks():
        p, d, v = rows.pos[block], rows.day[block], values[block]
        at = d == baseline_day
        baseline[p[at]] = v[at]
        at = d == day
        observed[p[at]] = v[at]
        seen = np.flatnonzero((d <= day) & ~np.isnan(v)) if "last" in (death, discharge) else []
        if len(seen):
            ps = p[seen]
            end = np.append(ps[1:] != ps[:-1], True)  # each patient's latest such row
            carried[ps[end]] = v[seen[end]]
    missing = np.isnan(observed)
    dead = missing & (_days(patients, "death_day") <= day)
    # Death takes precedence: a patient discharged and then dead is scored as dead.
    gone = missing & ~dead & (_days(patients, "icu_discharge_day") <= day)
    value = observed
    for rule, where in ((death, dead), (discharge, gone)):
        if rule == "worst":
            value = np.where(where, _max_score(daily_sofa, score, max_score), value)
        elif rule == "last":
            value = np.where(where, carried, value)
        elif rule == "zero":
            value = np.where(where, 0.0, value)
    value = value - baseline  # NaN where a rule "exclude" applies: the value stayed missing
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
    n = len(index)
    _require(daily_sofa, "daily", ["patient_id", "day", score])
    if days == "all":
        _check_choice("death", death, DEATH_RULES)
        _check_choice("discharge", discharge, DISCHARGE_RULES)
    rows = PatientDays.of(index, daily_sofa, "daily")
    # "icu": the window's rows; "all": earlier rows too ("last" carries a score forward).
    lo_day = first if days == "icu" else np.iinfo(np.int64).min
    rows.one_row_per_day(index, "daily", lambda d: (d >= lo_day) & (d <= last))
    values = rows.arrange(numeric(daily_sofa, score))
    count, total = np.zeros(n), np.zeros(n)
    excluded = np.zeros(n, dtype=bool)
    ranges: list[tuple[str, np.ndarray, np.ndarray]] = []
    if days == "all":
        # The window days without a score after death, and after discharge before death.
        beyond = float(last + 1)
        dies = np.clip(np.ceil(_days(patients, "death_day")), first, beyond)
        dies = np.where(np.isnan(dies), beyond, dies)
        leaves = np.clip(np.ceil(_days(patients, "icu_discharge_day")), first, beyond)
        leaves = np.where(np.isnan(leaves), beyond, leaves)
        ranges = [(death, dies, np.full(n, beyond - 1)), (discharge, leaves, dies - 1)]
    scored_days = [np.zeros(n) for _ in ranges]  # observed days inside each range
    carried = [(np.zeros(n), np.zeros(n)) for _ in ranges]  # "last": sum and days
    for block, p0, p1 in rows.blocks():
        p, d, v = rows.pos[block], rows.day[block], values[block]
        seen = (d <= last) & ~np.isnan(v)
        inside = seen & (d >= first)
        count[p0:p1] = rows.per_patient(block, p0, p1, inside)
        total[p0:p1] = rows.per_patient(block, p0, p1, inside, v)
        if not ranges or not seen.any():
            continue
        ps, ds, vs = p[seen], d[seen], v[seen]
        nxt = np.append(np.where(ps[1:] == ps[:-1], ds[1:], last + 1), last + 1)
        for j, (rule, lo, hi) in enumerate(ranges):
            lo_p, hi_p = lo[ps], hi[ps]
            k = (ds >= first) & (ds >= lo_p) & (ds <= hi_p)
            scored_days[j][p0:p1] = np.bincount(ps[k] - p0, minlength=p1 - p0)
            if rule == "last":
                # Each score is carried over the days up to the patient's next score.
                span = np.maximum(np.minimum(nxt - 1, hi_p) - np.maximum(ds + 1, lo_p) + 1, 0)
                carried[j][0][p0:p1] = np.bincount(ps - p0, vs * span, minlength=p1 - p0)
                carried[j][1][p0:p1] = np.bincount(ps - p0, span, minlength=p1 - p0)
    for j, (rule, lo, hi) in enumerate(ranges):
        empty = np.maximum(hi - lo + 1, 0) - scored_days[j]
        if rule == "worst":
            count += empty
            total += empty * _max_score(daily_sofa, score, max_score)
        elif rule == "zero":
            count += empty
        elif rule == "last":
            total += carried[j][0]
            count += carried[j][1]
        else:  # exclude
            excluded |= empty > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(excluded | (count == 0), np.nan, total / count)
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
    rows = PatientDays.of(index, daily, "daily")
    flag = rows.arrange(numeric(daily, support))
    supported = np.zeros(len(index))
    for block, p0, p1 in rows.blocks():
        p, d = rows.pos[block], rows.day[block]
        on = np.flatnonzero((flag[block] == 1) & (d >= 1) & (d <= horizon))
        # A day recorded twice is still one day (rows are in patient, day order).
        once = np.ones(on.size, dtype=bool)
        once[1:] = (np.diff(p[on]) != 0) | (np.diff(d[on]) != 0)
        supported[p0:p1] = np.bincount(p[on[once]] - p0, minlength=p1 - p0)
    free = horizon - supported.astype(float)
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
    pos = positions(index, events, "events")
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
    daily = trial.daily
    index = _patient_index(patients)
    # The rules run on row numbers instead of ids: one id lookup here rather than one per rule
    # (string ids are slow to look up), shared with SOFA's rules across days (LOCF, SOFA-2's
    # sedation and intermittent RRT). Errors naming ids are raised here, with the real ids.
    pos = positions(index, daily, "daily")
    scores, total = daily_scores(daily, **sofa_options, patient_codes=pos)
    day = days(daily, "daily")
    PatientDays(pos, day, len(index)).one_row_per_day(index, "daily")
    # The rules' daily table: daily's own columns (not copied), the ids' row numbers and the
    # SOFA columns, as sofa() would add them; pandas does not consolidate it (copy=False).
    columns: dict[str, Any] = {"patient_id": pos, "day": day}
    for c in daily.columns:
        if c not in columns and not str(c).startswith("sofa_"):
            columns[c] = column_values(daily[c])
    for comp, (score, absent) in scores.items():
        columns[f"sofa_{comp}"] = pd.arrays.IntegerArray(score, absent)
    columns["sofa_total"] = pd.arrays.IntegerArray(*total)
    daily_sofa = pd.DataFrame(columns, index=daily.index, copy=False)
    rows = {c: column_values(patients[c]) for c in patients.columns}
    rows["patient_id"] = np.arange(len(patients))
    inputs = {
        "daily_sofa": daily_sofa,
        "daily": daily_sofa,
        "patients": pd.DataFrame(rows, index=pd.RangeIndex(len(patients)), copy=False),
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
                cols = {c: column_values(table[c]) for c in table.columns}
                cols["patient_id"] = positions(index, table, name)
                table = pd.DataFrame(cols, index=table.index, copy=False)
            inputs[name] = table
    clash = sorted(set(spec.endpoints) & set(patients.columns))
    if clash:
        raise SpecError(f"spec {spec.id!r}: endpoint id(s) {clash} are also patients columns")

    first = [c for c in ("patient_id", "arm", "site") if c in patients.columns]
    # The result's own columns (copies of patients'), assembled once: no block consolidation.
    out_columns: dict[str, Any] = {
        c: column_values(patients[c]).copy()
        for c in first + [c for c in patients.columns if c not in first]
    }
    day0 = np.flatnonzero(day == 0)
    named = [*((f"sofa_{c}", v) for c, v in scores.items()), ("sofa_total", total)]
    for name, (score, absent) in named:
        baseline = np.full(len(patients), np.nan)
        baseline[pos[day0]] = np.where(absent[day0], np.nan, score[day0])
        out_columns[f"baseline_{name}"] = baseline
    for endpoint_id, (rule, data, options) in bound.items():
        values = rule(*(inputs[name] for name in data), **options)
        out_columns[endpoint_id] = values.to_numpy(dtype=float)
    out = pd.DataFrame(out_columns, index=pd.RangeIndex(len(patients)), copy=False)
    if population is not None:
        flag = out[_population_column(spec, patients, population)]
        out = out[pd.to_numeric(flag, errors="coerce").fillna(0).to_numpy() == 1]
        out = out.reset_index(drop=True)
    return out


def in_population(frame: pd.DataFrame, spec: Spec, population: str | None = None) -> pd.DataFrame:
    """The patients of an analysis set in one of the spec's populations (its flag column
    is 1), renumbered from 0; ``None`` is the primary population.

    Raises
    ------
    trialkit.spec.SpecError
        The population is not the spec's and the patients have no flag column of that name.
    """
    name = population or "primary"
    flag = spec.populations.get(name, name)
    if flag not in frame.columns:
        raise SpecError(
            f"population {name!r}: the spec's populations are {spec.populations} and "
            f"patients.csv has no flag column {flag!r}"
        )
    keep = pd.to_numeric(frame[flag], errors="coerce").fillna(0).to_numpy() == 1
    return frame[keep].reset_index(drop=True)
