"""Checks across tables (errors) and consistency warnings.

Every check is vectorized over row arrays: each row's patient is found once, by hashing
the distinct ids only (a categorical's categories, one per patient) and taking codes, then
per-patient values are read by position and per-patient counts made with ``bincount``;
O(n) in the rows, no join of whole tables.

Errors refuse the folder: the data contradict themselves and no rule of the analysis can
say which value is right. Warnings (:data:`~trialkit.schema.columns.WARNING_RULES`) are
data that can be true and that the endpoint rules handle, but that change what is
analysed: they are returned in ``Trial.warnings`` for the report to show, never printed
here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trialkit.schema.columns import CROSS_RULES, MAX_DAY
from trialkit.schema.messages import _problem
from trialkit.schema.source import Source
from trialkit.spec import Spec

_VASOPRESSORS = ("norepinephrine_ug_kg_min", "epinephrine_ug_kg_min")
_EXAMPLES = 3


class Patients:
    """The distinct patients of patients.csv and each other row's position among them."""

    def __init__(self, patients: pd.DataFrame):
        ids = patients["patient_id"]
        first = ~ids.duplicated().to_numpy() & ids.notna().to_numpy()
        self.rows = np.flatnonzero(first)  # row of patients.csv of each distinct patient
        self.index = pd.Index(np.asarray(ids.to_numpy()[first], dtype=object))
        self._ids = pa.array(self.index.to_numpy(), pa.string(), from_pandas=True)
        self.frame = patients

    def __len__(self) -> int:
        return len(self.index)

    def codes(self, ids: pd.Series) -> np.ndarray:
        """Position of each id among the distinct patients (-1: unknown or missing)."""
        if isinstance(ids.dtype, pd.CategoricalDtype):
            known = self._lookup(ids.cat.categories.to_numpy(dtype=object))
            codes = ids.cat.codes.to_numpy()
            return np.append(known, -1)[codes]  # code -1 (missing) picks the trailing -1
        return self._lookup(ids.to_numpy(dtype=object))

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        # Arrow's hash lookup (C++): pandas' get_indexer first proves the index unique.
        found = pc.index_in(pa.array(values, pa.string(), from_pandas=True), value_set=self._ids)
        return found.fill_null(-1).to_numpy().astype(np.int64)

    def values(self, column: str) -> np.ndarray:
        """A day column per distinct patient, as float; NaN where missing or out of range."""
        return _in_range(_as_float(self.frame[column])[self.rows])


def _as_float(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _in_range(days: np.ndarray) -> np.ndarray:
    """Days outside 0..MAX_DAY as NaN: they are reported on their own, and comparing with
    them would only add noise (a death_day of 1e308 is not "after" the last contact)."""
    with np.errstate(invalid="ignore"):
        return np.where((days >= 0) & (days <= MAX_DAY), days, np.nan)


def _at(per_patient: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-patient values at each row's patient; NaN for an unknown patient (code -1)."""
    return np.append(per_patient, np.nan)[codes]


# --- errors ----------------------------------------------------------------------------------


def vasopressor_check(daily: pd.DataFrame, src: Source, problems: list[str]) -> None:
    """A dose without the flag would count the day as vasopressor-free."""
    # Dopamine is left out: at low doses not every trial counts it as a vasopressor.
    doses = [c for c in _VASOPRESSORS if c in daily]
    if "vasopressor" not in daily or not doses:
        return
    on_drug = np.zeros(len(daily), dtype=bool)
    for c in doses:
        on_drug |= np.nan_to_num(_as_float(daily[c])) > 0
    wrong = on_drug & (_as_float(daily["vasopressor"]) == 0)
    if wrong.any():
        rows = np.flatnonzero(wrong)
        first = rows[: _EXAMPLES + 1]
        ids = daily["patient_id"].to_numpy()[first]
        days = _as_float(daily["day"])[first]
        found = [f"{p} day {d:g}" for p, d in zip(ids, days, strict=True)]
        # Every offending row is located; only the first few are spelled out.
        problems.append(
            _problem(src, "vasopressor", CROSS_RULES["vasopressor_dose"], daily.index[rows],
                     found)
        )  # fmt: skip


def cross_checks(
    patients: pd.DataFrame,
    psrc: Source,
    others: dict[str, tuple[pd.DataFrame, Source]],
    problems: list[str],
) -> tuple[Patients, dict[str, np.ndarray]]:
    """Rows of unknown patients, rows and events after death or discharge, discharge after
    death, last contact before death or discharge. Returns the patients and each table's
    patient codes (for the warnings)."""
    pts = Patients(patients)
    codes: dict[str, np.ndarray] = {}
    for key, (df, src) in others.items():
        if "patient_id" not in df:
            continue
        codes[key] = pts.codes(df["patient_id"])
        unknown = df["patient_id"].notna().to_numpy() & (codes[key] == -1)
        # An id already reported (a control character in it) is not reported again.
        unknown &= ~df.index.isin(src.skipped("patient_id"))
        if unknown.any():
            problems.append(
                _problem(
                    src, "patient_id", f"{CROSS_RULES['unknown_patient']} (never randomized?)",
                    df.index[unknown], df["patient_id"][unknown],
                )
            )  # fmt: skip
    _order_rules(patients, psrc, problems)
    rules = [
        ("daily.csv", "death_day", "after_death"),
        ("daily.csv", "icu_discharge_day", "after_discharge"),
        ("events.csv", "death_day", "event_after_death"),
    ]
    for key, column, rule in rules:
        if key not in others or column not in patients or key not in codes:
            continue
        df, src = others[key]
        if "day" not in df:
            continue
        limit = _at(pts.values(column), codes[key])
        after = _in_range(_as_float(df["day"])) > limit
        if after.any():
            rows = np.flatnonzero(after)
            first = rows[:_EXAMPLES]
            ids, days = df["patient_id"].to_numpy()[first], _as_float(df["day"])[first]
            found = [
                f"{p} day {d:g} > {column} {lim:g}"
                for p, d, lim in zip(ids, days, limit[first], strict=True)
            ]
            problems.append(
                _problem(src, "day", CROSS_RULES[rule], df.index[rows])
                + f" (found {'; '.join(found)}{', …' if len(rows) > _EXAMPLES else ''})"
            )
    return pts, codes


def _order_rules(patients: pd.DataFrame, src: Source, problems: list[str]) -> None:
    """The days of one patient must come in a possible order.

    Errors, not warnings: a discharge alive after death, or a last contact before the
    death or the discharge that the data record, is a contradiction. One of the two days
    is wrong and no endpoint rule can tell which (the follow-up rule reads
    ``last_contact_day``, the death rules read ``death_day``), so the folder is refused.
    """
    pairs = [
        ("icu_discharge_day", "death_day", "discharge_after_death", lambda a, b: a > b),
        ("last_contact_day", "death_day", "contact_before_death", lambda a, b: a < b),
        ("last_contact_day", "icu_discharge_day", "contact_before_discharge",
         lambda a, b: a < b),
    ]  # fmt: skip
    for column, other, rule, broken in pairs:
        if column not in patients or other not in patients:
            continue
        a, b = _in_range(_as_float(patients[column])), _in_range(_as_float(patients[other]))
        bad = broken(a, b)
        if bad.any():
            found = [
                f"{p}: {column} {x:g}, {other} {y:g}"
                for p, x, y in zip(
                    patients["patient_id"].to_numpy()[bad][:_EXAMPLES],
                    a[bad][:_EXAMPLES],
                    b[bad][:_EXAMPLES],
                    strict=True,
                )
            ]
            more = ", …" if bad.sum() > _EXAMPLES else ""
            problems.append(
                _problem(src, column, CROSS_RULES[rule], patients.index[bad])
                + f" (found {'; '.join(found)}{more})"
            )


# --- warnings ---------------------------------------------------------------------------------


def _endpoints(spec: Spec, rule: str, **match: object) -> list[str]:
    """Ids of the spec's endpoints computed by ``rule`` (with these option values)."""
    out = []
    for eid, opts in getattr(spec, "endpoints", {}).items():
        if not isinstance(opts, dict) or opts.get("rule") != rule:
            continue
        if all(opts.get(k, v) == v for k, v in match.items()):
            out.append(eid)
    return out


def _ids(values: Sequence[object], total: int) -> str:
    shown = ", ".join(str(v) for v in values[:_EXAMPLES])
    return shown + (", …" if total > _EXAMPLES else "")


def consistency_warnings(
    pts: Patients,
    psrc: Source,
    daily: pd.DataFrame,
    dsrc: Source,
    codes: np.ndarray,
    spec: Spec,
) -> list[str]:
    """Warnings on a valid folder: analysed patients without a day-0 row, ICU days missing
    in the middle of a stay.

    No day-0 row is a warning, not an error: a baseline can be missing (not measured, a
    patient who died before ICU admission) and the rules say what follows: the change from
    baseline is missing, so the patient drops out of that analysis (236 randomized, 235
    analysed). A missing ICU day is a warning too: missing days are common in real ICU
    records, and the rules impute nothing for a day alive in ICU without a row (a mean
    daily score averages the days present, a change to that day is missing, free days
    count it as free). Either way the analysed numbers change, so the report shows it.
    """
    out: list[str] = []
    n = len(pts)
    day = _in_range(_as_float(daily["day"]))
    ok = (codes >= 0) & ~np.isnan(day)
    population = getattr(spec, "populations", {}).get("primary")
    if population and population in pts.frame:
        analysed = _as_float(pts.frame[population])[pts.rows] == 1
        has0 = np.zeros(n, dtype=bool)
        has0[codes[ok & (day == 0)]] = True
        lacking = np.flatnonzero(analysed & ~has0)
        if len(lacking):
            deltas = _endpoints(spec, "delta_sofa", baseline_day=0)
            which = ", ".join(deltas) if deltas else "a change from baseline (delta_sofa)"
            out.append(
                f"{dsrc.file}, column day: {len(lacking)} patient"
                f"{'s' if len(lacking) != 1 else ''} of the analysed population "
                f"({population} = 1) {'have' if len(lacking) != 1 else 'has'} no day-0 row "
                f"({_ids(pts.index[lacking].tolist(), len(lacking))}; "
                f"{psrc.label(pts.frame.index[pts.rows[lacking]])} of {psrc.file}): "
                f"{CROSS_RULES['no_baseline_row']}. Without a baseline score {which} is "
                "missing for them, so they drop out of its analysis; endpoints that do not "
                "need day 0 use the days present"
            )
    end = _stay_end(pts, day, codes, ok)
    window = ok & (day >= 1) & (day < _at(end, codes))
    present = np.bincount(codes[window], minlength=n)
    expected = np.maximum(np.nan_to_num(end, nan=0.0) - 1, 0).astype(np.int64)
    missing = expected - present
    gaps = np.flatnonzero(missing > 0)
    if len(gaps):
        examples = []
        for k in gaps[:_EXAMPLES]:
            seen = set(day[(codes == k) & window].astype(np.int64).tolist())
            absent = [d for d in range(1, int(end[k])) if d not in seen]
            shown = ", ".join(str(d) for d in absent[:4]) + (", …" if len(absent) > 4 else "")
            examples.append(f"{pts.index[k]} day{'s' if len(absent) > 1 else ''} {shown}")
        means = _endpoints(spec, "mean_daily_sofa")
        deltas = _endpoints(spec, "delta_sofa")
        effects = []
        if means:
            effects.append(f"{', '.join(means)} average{'s' if len(means) == 1 else ''} "
                           "the days present (fewer days)")  # fmt: skip
        if deltas:
            effects.append(f"{', '.join(deltas)} {'is' if len(deltas) == 1 else 'are'} "
                           "missing when the endpoint's day is a missing one")  # fmt: skip
        effects.append("free days count a missing day as free of support")
        total = int(missing[gaps].sum())
        out.append(
            f"{dsrc.file}, column day: {total} ICU day{'s' if total != 1 else ''} without a "
            f"row, in {len(gaps)} patient{'s' if len(gaps) != 1 else ''} "
            f"({'; '.join(examples)}{'; …' if len(gaps) > _EXAMPLES else ''}): "
            f"{CROSS_RULES['missing_icu_day']}. The rules impute nothing for a day alive in "
            f"ICU without a row: {'; '.join(effects)}"
        )
    return out


def _stay_end(pts: Patients, day: np.ndarray, codes: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """First day no longer expected in daily.csv, per patient (exclusive end of the stay).

    ICU discharge or death ends the stay (a row on that day itself is allowed, not
    required); without either, the patient's last row does; never past the last contact.
    """
    cols = pts.frame.columns
    nan = np.full(len(pts), np.nan)
    death = pts.values("death_day") if "death_day" in cols else nan
    discharge = pts.values("icu_discharge_day") if "icu_discharge_day" in cols else nan
    end = np.fmin(death, discharge)
    last = np.full(len(pts), -1.0)
    np.maximum.at(last, codes[ok], day[ok])
    end = np.where(np.isnan(end), np.where(last >= 0, last + 1, np.nan), end)
    if "last_contact_day" in cols:
        end = np.fmin(end, pts.values("last_contact_day") + 1)
    return end
