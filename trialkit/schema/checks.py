"""Checks of one table (columns present, pandera) and across tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandera.errors import SchemaErrors

from trialkit.schema.columns import CROSS_RULES, ColumnDef
from trialkit.schema.messages import _messages, _problem, _report
from trialkit.schema.read import _parse
from trialkit.schema.schemas import _pandera_schema


def _check_columns(
    raw: pd.DataFrame, file: str, defs: Sequence[ColumnDef], problems: list[str]
) -> None:
    """Missing columns (with a hint when only the case differs) and either/or pairs."""
    present = set(raw.columns)
    lower = {c.lower(): c for c in raw.columns}
    for d in defs:
        if d.required and d.name not in present:
            near = lower.get(d.name.lower())
            hint = f" (found {near!r}: names are case-sensitive)" if near else ""
            problems.append(f"{file}, column {d.name}: missing column{hint}")
    pairs: dict[str, list[str]] = {}
    for d in defs:
        if d.pair:
            pairs.setdefault(d.pair, []).append(d.name)
    for names in pairs.values():
        given = [n for n in names if n in present]
        either = " or ".join(names)
        if not given:
            problems.append(
                f"{file}, column {either}: missing column (give exactly one of the pair)"
            )
        elif len(given) > 1:
            problems.append(
                f"{file}, columns {' and '.join(given)}: give exactly one of the pair, "
                "not both (one unit per variable)"
            )


def _validate_table(
    raw: pd.DataFrame | None,
    file: str,
    defs: Sequence[ColumnDef],
    problems: list[str],
    *,
    unique: Sequence[str] = (),
    allow_empty: bool = False,
) -> pd.DataFrame | None:
    """Parse and check one table read by :func:`_read`; None if it cannot be used."""
    if raw is None:
        return None
    _check_columns(raw, file, defs, problems)
    if raw.empty:
        if not allow_empty:
            problems.append(f"{file}: no data rows (only the header)")
        return raw if allow_empty else None
    typed, skip = _parse(raw, file, defs, problems)
    # Missing columns were reported above (with a case hint): check the ones present, and
    # a composite key only when all of its columns are there.
    present = [d for d in defs if d.name in typed.columns]
    key = unique if set(unique) <= set(typed.columns) else ()
    schema = _pandera_schema(present, Path(file).stem, unique=key)
    try:
        schema.validate(typed, lazy=True, inplace=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["check"] != "column_in_dataframe"]
        problems.extend(_messages(fc, file, defs, skip))
    return typed


def _per_patient(patients: pd.DataFrame, column: str, codes: np.ndarray) -> np.ndarray:
    """``column`` of each row's patient (``codes`` from :func:`_patient_codes`); NaN where
    the patient is unknown or the value is missing or negative (reported on its own)."""
    p = patients.drop_duplicates("patient_id")
    p = p[p["patient_id"].notna()]
    values = np.asarray(p[column].where(p[column] >= 0), dtype="float64")
    return np.append(values, np.nan)[codes]  # code -1 (unknown) picks the trailing NaN


def _patient_codes(patients: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Position of each id among the distinct patient_ids of patients.csv (-1: unknown)."""
    known = pd.Index(patients["patient_id"].dropna().drop_duplicates())
    return known.get_indexer(ids)


_VASOPRESSORS = ("norepinephrine_ug_kg_min", "epinephrine_ug_kg_min")


def _vasopressor_check(daily: pd.DataFrame, problems: list[str]) -> None:
    """A dose without the flag would count the day as vasopressor-free."""
    # Dopamine is left out: at low doses not every trial counts it as a vasopressor.
    doses = [c for c in _VASOPRESSORS if c in daily]
    if "vasopressor" not in daily or not doses:
        return
    on_drug = (daily[doses].fillna(0) > 0).any(axis=1)
    wrong = (on_drug & (daily["vasopressor"] == 0)).to_numpy()
    if wrong.any():
        rows = daily[wrong]
        found = [f"{p} day {d:g}" for p, d in zip(rows["patient_id"], rows["day"], strict=True)]
        _report(problems, "daily.csv", "vasopressor", pd.Series(found, index=rows.index),
                CROSS_RULES["vasopressor_dose"])  # fmt: skip


def _cross_checks(
    patients: pd.DataFrame, others: dict[str, pd.DataFrame], problems: list[str]
) -> None:
    codes: dict[str, np.ndarray] = {}
    for file, df in others.items():
        if "patient_id" not in df:
            continue
        codes[file] = _patient_codes(patients, df["patient_id"])
        unknown = df["patient_id"].notna() & (codes[file] == -1)
        if unknown.any():
            problems.append(
                _problem(
                    file, "patient_id",
                    f"{CROSS_RULES['unknown_patient']} (never randomized?)",
                    df.index[unknown], df["patient_id"][unknown],
                )
            )  # fmt: skip
    if "death_day" in patients and "icu_discharge_day" in patients:
        # A negative death_day is reported on its own; comparing with it adds only noise.
        death = patients["death_day"].where(patients["death_day"] >= 0)
        late = patients["icu_discharge_day"] > death
        if late.any():
            problems.append(
                _problem(
                    "patients.csv", "icu_discharge_day", CROSS_RULES["discharge_after_death"],
                    patients.index[late], patients["patient_id"][late],
                )
            )  # fmt: skip
    rules = [
        ("daily.csv", "death_day", "after_death"),
        ("daily.csv", "icu_discharge_day", "after_discharge"),
        ("events.csv", "death_day", "event_after_death"),
    ]
    for file, column, key in rules:
        df = others.get(file)
        if df is None or column not in patients or file not in codes or "day" not in df:
            continue
        limit = _per_patient(patients, column, codes[file])
        after = df["day"].to_numpy(dtype="float64") > limit
        if after.any():
            rows = df[after]
            found = [
                f"{p} day {d:g} > {column} {lim:g}"
                for p, d, lim in zip(
                    rows["patient_id"][:3], rows["day"][:3], limit[after][:3], strict=True
                )
            ]
            problems.append(
                _problem(file, "day", CROSS_RULES[key], rows.index)
                + f" (found {'; '.join(found)}{', …' if len(rows) > 3 else ''})"
            )
