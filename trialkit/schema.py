"""The input contract: read a trial's data folder, validate it, refuse what is wrong.

A trial folder holds ``patients.csv``, ``daily.csv``, ``events.csv`` and the extra tables
its spec names (``[tables]``). Every column is declared once, as a :class:`ColumnDef` in
:data:`PATIENTS`, :data:`DAILY`, :data:`EVENTS` or :data:`EXTRA_COLUMNS`; the pandera
schemas, the problem messages and the codebook (:func:`codebook_markdown`) are all built
from these declarations, so the three cannot drift apart.

Validation runs in three steps and collects every problem before raising one
:class:`DataError`:

1. reading (pandas): missing or empty file, missing column, text in a number column
   (a decimal comma is named as such), impossible or non-ISO dates;
2. per table (pandera, lazy): empty required cells, plausible ranges with unit hints,
   0/1 flags, categories, whole numbers, duplicate keys;
3. across tables (pandas): patients never randomized, rows after death or ICU
   discharge, discharge after death.

Each message names the file, the column, the file line numbers (header = line 1; the
first five, then ``(+N more)``) and the rule. Files are opened read-only.
"""

from __future__ import annotations

import csv
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
import pandas as pd
import pandera.pandas as pa
from numpy.typing import ArrayLike
from pandera.errors import SchemaErrors

from trialkit.spec import Spec, SpecError, load_spec


class DataError(ValueError):
    """Invalid input data. The message names the file, column, row(s) and rule broken.

    ``problems`` holds every problem found (validation does not stop at the first).
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Trial:
    """A validated trial: the three tables of the data model plus the trial's extra tables.

    Frames are never modified by trialkit; derivations return new frames.
    """

    patients: pd.DataFrame
    daily: pd.DataFrame
    events: pd.DataFrame
    spec: Spec
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None


# ---------------------------------------------------------------------------------------
# Column declarations: the single source of truth for schemas, messages and codebook.
# ---------------------------------------------------------------------------------------

Kind = Literal["id", "text", "category", "date", "flag", "day", "number"]
_TEXT_KINDS = frozenset({"id", "text", "category", "date"})
_NUMERIC_KINDS = frozenset({"flag", "day", "number"})

# Cells reading as missing. "NA" is what R's write.csv writes for a missing value.
NA_VALUES = ("", "NA", "N/A", "NaN", "nan", "NULL", "null")


@dataclass(frozen=True)
class ColumnDef:
    """One column of the data contract.

    Attributes
    ----------
    name : str
        Column name as written in the CSV header (units are part of the name).
    kind : {"id", "text", "category", "date", "flag", "day", "number"}
        ``flag`` is 0/1; ``day`` counts days after randomization (day 0) and is read as
        nullable ``Int64``; ``number`` is read as ``float64``.
    meaning : str
        What the column holds, for the codebook.
    unit : str
        Unit of a number column.
    lo, hi : float, optional
        Plausible range, both ends included.
    values : tuple of str
        Allowed labels of a ``category`` column.
    required : bool
        The column must be in the file (a column of a ``pair`` is required as a pair).
    nullable : bool
        Cells may be empty (missing).
    whole : bool
        Values must be whole numbers.
    hint : str
        Likely cause when values lie above ``hi`` (a unit mix-up), shown in the message.
    below : str
        Rule text used when values lie below ``lo`` (replaces the generic range text).
    pair : str
        Name of an either/or group: exactly one column of the group must be present.
    """

    name: str
    kind: Kind
    meaning: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    values: tuple[str, ...] = ()
    required: bool = True
    nullable: bool = False
    whole: bool = False
    hint: str = ""
    below: str = ""
    pair: str = ""

    @property
    def range_text(self) -> str:
        """The plausible range with its unit, e.g. ``"20 to 800 mmHg"``."""
        # Units that are not units of measure read badly after a number ("1 fraction").
        unit = f" {self.unit}" if self.unit not in ("", "days", "fraction", "index") else ""
        return self._range(unit)

    def _range(self, unit: str = "") -> str:
        if self.lo is not None and self.hi is not None:
            return f"{_num(self.lo)} to {_num(self.hi)}{unit}"
        if self.lo is not None:
            return f">= {_num(self.lo)}{unit}"
        if self.hi is not None:
            return f"<= {_num(self.hi)}{unit}"
        return ""


def _num(x: float) -> str:
    return f"{x:g}"


_UMOL_HINT = (
    "values above {hi} mg/dL look like µmol/L given under a mg/dL column "
    "(1 mg/dL = {factor} µmol/L): rename the column {other}"
)
_CATECHOLAMINE_HINT = (
    "values far above {hi} µg/kg/min look like ng/kg/min (divide by 1000) or a dose per "
    "minute not divided by body weight"
)


def _catecholamine(name: str, drug: str, hi: float) -> ColumnDef:
    return ColumnDef(
        name,
        "number",
        f"Highest {drug} dose of the day (0 if none)",
        "µg/kg/min",
        0,
        hi,
        nullable=True,
        hint=_CATECHOLAMINE_HINT.format(hi=_num(hi)),
    )


PATIENT_ID = ColumnDef("patient_id", "id", "Patient identifier (text; unique in patients.csv)")

_DAY_BELOW = "a negative day is before randomization: day 0 is the randomization day"
DAY = ColumnDef(
    "day", "day", "Day after randomization (day 0 = randomization day)", "days", 0,
    below=_DAY_BELOW,
)  # fmt: skip

PATIENTS: tuple[ColumnDef, ...] = (
    ColumnDef("patient_id", "id", "Patient identifier (text; unique)"),
    ColumnDef("site", "text", "Recruiting site (stratification factor)"),
    ColumnDef("arm", "category", "Randomized arm: the spec's experimental or control label"),
    ColumnDef("randomized", "date", "Date of randomization (day 0), ISO YYYY-MM-DD"),
    ColumnDef("mitt", "flag", "1 if in the modified intention-to-treat population"),
    ColumnDef("per_protocol", "flag", "1 if in the per-protocol population"),
    ColumnDef(
        "exclusion_reason", "text", "Why the patient is not analysed; empty if analysed",
        nullable=True,
    ),
    ColumnDef("age", "number", "Age at randomization", "years", 18, 110, nullable=True),
    ColumnDef("sex", "category", "Sex", values=("F", "M"), nullable=True),
    ColumnDef("weight_kg", "number", "Body weight", "kg", 25, 300, nullable=True),
    ColumnDef(
        "lactate_mmol_l", "number", "Arterial lactate at randomization", "mmol/L", 0, 40,
        nullable=True,
    ),
    ColumnDef(
        "infection_source", "text", "Presumed source of infection", required=False,
        nullable=True,
    ),
    ColumnDef(
        "death_day", "day", "Day of death after randomization; empty if alive at last contact",
        "days", 0, nullable=True,
        below="a negative death_day is a death before randomization (day 0 = randomization)",
    ),
    ColumnDef(
        "icu_discharge_day", "day",
        "Day of discharge alive from ICU; empty if died in ICU (or in ICU at last contact)",
        "days", 0, nullable=True,
        below="a negative icu_discharge_day is a discharge before randomization",
    ),
    ColumnDef(
        "last_contact_day", "day", "Day of last contact (end of follow-up if complete)",
        "days", 0, below="a negative last_contact_day is before randomization",
    ),
    ColumnDef("withdrawn", "flag", "1 if consent was withdrawn"),
    ColumnDef(
        "withdrawal_reason", "text", "Reason for withdrawal; empty if not withdrawn",
        nullable=True,
    ),
)  # fmt: skip

DAILY: tuple[ColumnDef, ...] = (
    PATIENT_ID,
    DAY,
    ColumnDef(
        "pao2_mmhg", "number", "PaO2 of the day's worst PaO2/FiO2 ratio", "mmHg", 20, 800,
        nullable=True,
    ),
    ColumnDef(
        "fio2", "number", "FiO2 at the time of that PaO2, as a fraction", "fraction", 0.21, 1,
        nullable=True,
        hint="FiO2 is a fraction: values above 1 look like percent (write 0.5 for 50%)",
    ),
    ColumnDef("mech_vent", "flag", "1 if on invasive mechanical ventilation that day"),
    ColumnDef(
        "platelets_10e9_l", "number", "Lowest platelet count of the day", "10^9/L", 0, 2000,
        nullable=True,
    ),
    ColumnDef(
        "bilirubin_mg_dl", "number", "Highest total bilirubin of the day", "mg/dL", 0, 60,
        nullable=True, required=False, pair="bilirubin",
        hint=_UMOL_HINT.format(hi=60, factor=17.1, other="bilirubin_umol_l"),
    ),
    ColumnDef(
        "bilirubin_umol_l", "number", "Highest total bilirubin of the day", "µmol/L", 0, 1000,
        nullable=True, required=False, pair="bilirubin",
    ),
    ColumnDef(
        "map_mmhg", "number", "Lowest mean arterial pressure of the day", "mmHg", 10, 250,
        nullable=True,
    ),
    _catecholamine("norepinephrine_ug_kg_min", "norepinephrine", 5),
    _catecholamine("epinephrine_ug_kg_min", "epinephrine", 5),
    _catecholamine("dopamine_ug_kg_min", "dopamine", 50),
    _catecholamine("dobutamine_ug_kg_min", "dobutamine", 50),
    ColumnDef(
        "gcs", "number", "Lowest Glasgow Coma Scale of the day (presumed value without sedation)",
        "points", 3, 15, nullable=True, whole=True,
    ),
    ColumnDef(
        "creatinine_mg_dl", "number", "Highest serum creatinine of the day", "mg/dL", 0, 25,
        nullable=True, required=False, pair="creatinine",
        hint=_UMOL_HINT.format(hi=25, factor=88.4, other="creatinine_umol_l"),
    ),
    ColumnDef(
        "creatinine_umol_l", "number", "Highest serum creatinine of the day", "µmol/L", 0,
        2200, nullable=True, required=False, pair="creatinine",
    ),
    ColumnDef("urine_ml_24h", "number", "Urine output over 24 h", "mL/24 h", 0, 20000,
              nullable=True),
    ColumnDef("rrt", "flag", "1 if on renal replacement therapy that day"),
    ColumnDef("vasopressor", "flag", "1 if on any vasopressor that day"),
)  # fmt: skip

EVENTS: tuple[ColumnDef, ...] = (
    PATIENT_ID,
    ColumnDef(
        "day", "day", "Day of onset after randomization", "days", 0, below=_DAY_BELOW
    ),
    ColumnDef("term", "text", "Adverse event term (e.g. MedDRA preferred term)"),
    ColumnDef("serious", "flag", "1 if serious (SAE)"),
    ColumnDef("related", "flag", "1 if judged related to the trial drug (adverse reaction)"),
)  # fmt: skip

#: Known optional columns: baseline covariates in patients.csv or values in extra tables.
EXTRA_COLUMNS: dict[str, ColumnDef] = {
    c.name: c
    for c in (
        ColumnDef(
            "thrombomodulin_ng_ml", "number", "Soluble thrombomodulin", "ng/mL", 0,
            required=False, nullable=True,
        ),
        ColumnDef(
            "syndecan1_ng_ml", "number", "Syndecan-1", "ng/mL", 0, required=False,
            nullable=True,
        ),
        ColumnDef(
            "eq5d_index", "number", "EQ-5D index value", "index", -0.8, 1, required=False,
            nullable=True,
        ),
    )
}  # fmt: skip

#: Rules across columns and tables, as stated in messages and in the codebook.
CROSS_RULES: dict[str, str] = {
    "unknown_patient": "every patient_id must be a randomized patient listed in patients.csv",
    "after_death": "no daily rows after the patient's death_day in patients.csv",
    "after_discharge": "daily.csv holds ICU days only: no rows after icu_discharge_day",
    "event_after_death": "no event after the patient's death_day in patients.csv",
    "discharge_after_death": "ICU discharge alive cannot come after death_day",
    "vasopressor_dose": (
        "vasopressor must be 1 on a day with a norepinephrine or epinephrine dose above 0"
    ),
}

_CORE_FILES = ("patients.csv", "daily.csv", "events.csv")
_DAILY_KEY = ("patient_id", "day")  # one row per patient per day (daily and extra tables)


def _with_arms(defs: Sequence[ColumnDef], spec: Spec) -> tuple[ColumnDef, ...]:
    return tuple(
        ColumnDef(**{**d.__dict__, "values": spec.arms}) if d.name == "arm" else d for d in defs
    )


def _extra_table_columns(header: Iterable[str]) -> tuple[ColumnDef, ...]:
    """An extra table's declared columns: id, day and any known value column present."""
    defs = [PATIENT_ID, DAY]
    defs += [EXTRA_COLUMNS[c] for c in header if c in EXTRA_COLUMNS]
    return tuple(defs)


# ---------------------------------------------------------------------------------------
# pandera schemas
# ---------------------------------------------------------------------------------------


def _checks(d: ColumnDef) -> list[pa.Check]:
    # The error string is the rule's key: _messages() turns it back into clinical prose.
    checks: list[pa.Check] = []
    if d.kind == "flag":
        # Two comparisons beat a hash-based isin on 10^6 floats by ~4x.
        checks.append(pa.Check(lambda s: (s == 0) | (s == 1), error="flag"))
    if d.kind == "category" and d.values:
        checks.append(pa.Check.isin(list(d.values), error="category"))
    if d.lo is not None and d.hi is not None:
        checks.append(pa.Check.in_range(d.lo, d.hi, error="range"))
    elif d.lo is not None:
        checks.append(pa.Check.ge(d.lo, error="range"))
    elif d.hi is not None:
        checks.append(pa.Check.le(d.hi, error="range"))
    if d.whole or d.kind == "day":
        checks.append(pa.Check(lambda s: s % 1 == 0, error="whole"))
    return checks


def _pandera_schema(
    defs: Sequence[ColumnDef], name: str, unique: Sequence[str] = ()
) -> pa.DataFrameSchema:
    # dtype=None: values are checked after trialkit's own parsing step, which already
    # turned text into numbers and dates (with clinical messages for what did not parse).
    return pa.DataFrameSchema(
        {
            d.name: pa.Column(
                None,
                checks=_checks(d),
                nullable=d.nullable,
                required=d.required,
                unique=d.name == "patient_id" and name == "patients",
                report_duplicates="all",
                title=d.meaning,
            )
            for d in defs
        },
        name=name,
        unique=list(unique) or None,
        report_duplicates="all",
    )


def patients_schema(spec: Spec) -> pa.DataFrameSchema:
    """pandera schema of ``patients.csv`` (arm labels from ``spec``), after parsing.

    Checks values (ranges, flags, labels, unique ``patient_id``); :func:`load_trial` adds
    the parsing and cross-table checks. See :func:`daily_schema` for an example.
    """
    return _pandera_schema(_with_arms(PATIENTS, spec), "patients")


def daily_schema() -> pa.DataFrameSchema:
    """pandera schema of ``daily.csv`` (one row per patient per ICU day), after parsing.

    Each check's ``error`` is the rule's key (``range``, ``flag``, ``whole``, ...), which
    :func:`load_trial` turns into a clinical message.

    Examples
    --------
    >>> from trialkit.schema import daily_schema, load_trial
    >>> trial = load_trial("tests/fixtures/tiny", spec="imicro")
    >>> daily_schema().validate(trial.daily, lazy=True).shape
    (22, 17)
    """
    return _pandera_schema(DAILY, "daily", unique=_DAILY_KEY)


def events_schema() -> pa.DataFrameSchema:
    """pandera schema of ``events.csv`` (adverse events), after parsing.

    See :func:`daily_schema` for an example.
    """
    return _pandera_schema(EVENTS, "events")


# ---------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------


def _lines(lines: ArrayLike) -> str:
    ordered = np.unique(np.asarray(lines, dtype=np.int64))
    head = ", ".join(str(x) for x in ordered[:5])
    more = f" (+{len(ordered) - 5} more)" if len(ordered) > 5 else ""
    return f"{'line' if len(ordered) == 1 else 'lines'} {head}{more}"


def _show(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return repr(str(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return _num(float(value))
    return repr(str(value))


def _found(values: ArrayLike, most: int = 3) -> str:
    # pd.unique keeps first-seen order and hashes in C: only a few values are formatted.
    first = pd.unique(np.asarray(values, dtype=object))[: most + 1]
    seen = list(dict.fromkeys(_show(v) for v in first))
    extra = ", …" if len(seen) > most else ""
    return ", ".join(seen[:most]) + extra


def _problem(
    file: str,
    column: str | None,
    rule: str,
    lines: ArrayLike | None = None,
    found: ArrayLike | None = None,
) -> str:
    if column is None:
        where = file
    else:
        where = f"{file}, {'columns' if ', ' in column else 'column'} {column}"
    if lines is not None:
        where += f", {_lines(lines)}"
    text = f"{where}: {rule}"
    if found is not None:
        text += f" (found {_found(found)})"
    return text


def _range_rule(d: ColumnDef, values: pd.Series) -> str:
    v = pd.to_numeric(values, errors="coerce")
    rule = f"{d.name} must lie in the plausible range {d.range_text}"
    if d.lo is not None and (v < d.lo).any():
        if d.below:
            rule = d.below
        elif d.lo == 0:
            rule += f"; {d.name} cannot be negative"
    if d.hint and d.hi is not None and (v > d.hi).any():
        rule += f"; {d.hint}"
    return rule


def _category_rule(d: ColumnDef) -> str:
    labels = ", ".join(repr(v) for v in d.values)
    if d.name == "arm":
        return f"unknown arm label: the spec knows only {labels} (labels are case-sensitive)"
    return f"{d.name} must be one of {labels}"


def _rule(d: ColumnDef | None, column: str, check: str, values: pd.Series) -> str:
    if check == "not_nullable":
        return f"empty cell: {column} is required on every row"
    if check == "field_uniqueness":
        return f"duplicate {column}: each patient has exactly one row"
    if d is None:
        return f"failed check {check}"
    if check == "flag":
        return f"{column} is a 0/1 flag (1 = yes, 0 = no): no other value is allowed"
    if check == "category":
        return _category_rule(d)
    if check == "range":
        return _range_rule(d, values)
    if check == "whole":
        return f"{column} must be a whole number"
    return f"failed check {check}"


def _messages(
    fc: pd.DataFrame,
    file: str,
    defs: Sequence[ColumnDef],
    skip: dict[str, pd.Index],
) -> list[str]:
    """Clinical messages from pandera's failure cases, one per (column, rule)."""
    by_name = {d.name: d for d in defs}
    order = {d.name: i for i, d in enumerate(defs)}
    out: list[tuple[int, str]] = []
    dup_rows = fc[fc["check"] == "multiple_fields_uniqueness"]
    if len(dup_rows):
        keys = ", ".join(dict.fromkeys(dup_rows["column"].astype(str)))
        # One failure case per key column and line: rebuild "P01 day 3" for a few lines.
        first = dup_rows[dup_rows["index"].isin(dup_rows["index"].unique()[:4])]
        found = first.groupby("index", sort=True)["failure_case"].agg(
            lambda v: " day ".join(_num(x) if isinstance(x, float) else str(x) for x in v)
        )
        rule = f"duplicate ({keys}): one row per patient per day"
        out.append((len(order), _problem(file, keys, rule, dup_rows["index"], found)))
    rest = fc[fc["check"] != "multiple_fields_uniqueness"]
    for (column, check), grp in rest.groupby(["column", "check"], sort=False):
        lines = pd.Index(grp["index"].astype(int))
        if column in skip:
            lines = lines.difference(skip[column])
            grp = grp[grp["index"].astype(int).isin(lines)]
        if not len(lines):
            continue
        values = grp["failure_case"]
        rule = _rule(by_name.get(column), column, check, values)
        found = None if check == "not_nullable" else values
        out.append((order.get(column, len(order)), _problem(file, column, rule, lines, found)))
    return [m for _, m in sorted(out, key=lambda t: t[0])]


# ---------------------------------------------------------------------------------------
# Reading and parsing
# ---------------------------------------------------------------------------------------

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_COMMA_RULE = "decimal comma? write numbers with a decimal point (1.5, not 1,5)"
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_RAGGED = (
    "{n} fields where the header names {k}: a comma inside a value? "
    "(a decimal comma, or text that needs quotes)"
)


def _read(path: Path, file: str, defs: Sequence[ColumnDef], problems: list[str]):
    """Read one CSV as text-safe frame indexed by file line number, or None if unreadable."""
    if not path.is_file():
        problems.append(f"{file}: file missing (looked for {path})")
        return None
    text_cols = {d.name for d in defs if d.kind in _TEXT_KINDS}
    try:
        # The header as written: pandas would rename a repeated column ("gcs.1") silently.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        names = [c.strip() for c in header]
        repeated = [c for c in dict.fromkeys(names) if c and names.count(c) > 1]
        for c in repeated:
            problems.append(
                f"{file}, column {c}: named {names.count(c)} times in the header (line 1); "
                "each column once"
            )
        if repeated:
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: a first row with one field too many must not silently
            # turn patient_id into the index.
            raw = pd.read_csv(
                path,
                dtype={c: str for c in header if c.strip() in text_cols},
                na_values=list(NA_VALUES),
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8-sig",
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            problems.append(f"{file}, line 2: {_RAGGED.format(n=len(header) + 1, k=len(header))}")
            return None
    except pd.errors.EmptyDataError:
        problems.append(f"{file}: file is empty (expected a header line naming the columns)")
        return None
    except UnicodeDecodeError:
        problems.append(f"{file}: not UTF-8 text; save it as 'CSV UTF-8 (comma delimited)'")
        return None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            k, line, n = m.groups()
            problems.append(f"{file}, line {line}: {_RAGGED.format(n=n, k=k)}")
        else:
            problems.append(f"{file}: cannot be read as CSV ({exc})")
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw.columns) == 1 and ";" in raw.columns[0]:
        problems.append(
            f"{file}: columns are separated by ';' — trialkit reads comma-separated files "
            "with a decimal point"
        )
        return None
    # Blank lines are kept while reading so that the index maps to file lines, then dropped.
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    blank = raw.isna().all(axis=1).to_numpy()
    return raw[~blank] if blank.any() else raw


def _parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a column pandas could not read as numbers; also the cells that failed."""
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(str)
    if pd.api.types.is_numeric_dtype(s):
        # Kept as read (int or float): _finish sets the final dtype once the table is valid.
        return s, pd.Series(np.zeros(len(s), dtype=bool), index=s.index)
    text = s.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = text.notna() & num.isna()
    return num, bad.fillna(False).astype(bool)


def _parse(
    raw: pd.DataFrame, file: str, defs: Sequence[ColumnDef], problems: list[str]
) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    """Typed columns; unparseable cells are reported, set missing and listed in ``skip``.

    ``raw`` is updated in place (only the columns that change) and returned: rebuilding a
    10^6-row frame would copy every column again.
    """
    out: dict[str, pd.Series] = {}
    skip: dict[str, pd.Index] = {}
    declared = {d.name: d for d in defs}
    for col in raw.columns:
        s = raw[col]
        d = declared.get(col)
        if d is None or d.kind in ("id", "text", "category"):
            if d is None and not pd.api.types.is_object_dtype(s):
                out[col] = s
                continue
            text = _strip(s)
            out[col] = text if d is not None else _undeclared(text, file, col, problems)
            continue
        if d.kind == "date":
            out[col], skip[col] = _parse_date(s, file, col, problems)
            continue
        num, bad = _parse_number(s)
        if bad.any():
            cells = s[bad].astype(str)
            if d.kind == "flag":
                _report(problems, file, col, cells, f"{col} is a 0/1 flag (1 = yes, 0 = no)")
            else:
                comma = cells.str.match(_DECIMAL_COMMA)
                _report(problems, file, col, cells[comma], _COMMA_RULE)
                _report(
                    problems,
                    file,
                    col,
                    cells[~comma],
                    f"text in a number column ({d.unit or 'number'})",
                )
            skip[col] = cells.index
        out[col] = num
    for col, values in out.items():
        if values is not raw[col]:
            raw[col] = values
    return raw, skip


def _strip(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blank -> NaN (object dtype)."""
    # Ids repeat (20 ICU days per patient): strip the distinct values only, 20x faster.
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    clean = pd.Index(uniques.astype(str)).str.strip()
    values = np.where(clean == "", np.nan, clean.to_numpy(dtype=object))
    out = np.append(values, np.nan)[codes]  # code -1 (missing) picks the trailing NaN
    return pd.Series(out, index=s.index, dtype=object)


def _report(problems: list[str], file: str, col: str, cells: pd.Series, rule: str) -> None:
    """One problem for these offending cells (index = file line), if there are any."""
    if len(cells):
        problems.append(_problem(file, col, rule, cells.index, cells))


def _undeclared(text: pd.Series, file: str, col: str, problems: list[str]) -> pd.Series:
    """An extra column: numbers if every cell is a number, else text (a decimal comma is
    reported rather than silently turning a number column into text)."""
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if not bad.any():
        return num.astype("float64")
    cells = text[bad].astype(str)
    comma = cells.str.match(_DECIMAL_COMMA)
    if comma.all():
        _report(problems, file, col, cells, _COMMA_RULE)
    return text


def _parse_date(
    s: pd.Series, file: str, col: str, problems: list[str]
) -> tuple[pd.Series, pd.Index]:
    text = s.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (text.notna() & parsed.isna()).fillna(False).astype(bool)
    cells = text[bad].astype(str)
    iso = cells.str.match(_ISO_SHAPE)
    _report(problems, file, col, cells[iso], "impossible date: no such day in the calendar")
    _report(problems, file, col, cells[~iso], "dates must be written YYYY-MM-DD (ISO 8601)")
    return parsed.astype("datetime64[ns]"), cells.index


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


# ---------------------------------------------------------------------------------------
# Cross-table checks
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------


def _resolve_spec(path: Path, spec: Spec | str | Path | None) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if spec is not None:
        return load_spec(spec)
    try:
        return load_spec(path.name)
    except SpecError as exc:
        raise SpecError(
            f"cannot tell which trial {path} holds: its folder name {path.name!r} is not a "
            f"known spec; pass spec= (or --trial). {exc}"
        ) from exc


def _finish(df: pd.DataFrame, defs: Sequence[ColumnDef]) -> pd.DataFrame:
    """Final dtypes of a valid table, with a fresh 0..n-1 index (in place: the frame is ours)."""
    out = df
    out.index = pd.RangeIndex(len(out))
    for d in defs:
        if d.name not in out:
            continue
        if d.kind == "day":
            out[d.name] = out[d.name].astype("Int64")
        elif d.kind == "flag":
            out[d.name] = out[d.name].astype("int64")
        elif d.kind == "number":
            out[d.name] = out[d.name].astype("float64")
        elif d.kind == "text" and d.nullable:
            # Documented contract: empty text is "", never NaN (e.g. exclusion_reason).
            out[d.name] = out[d.name].fillna("").astype(object)
        elif d.kind in ("id", "text", "category"):
            out[d.name] = out[d.name].astype(object)
    return out


def load_trial(path: str | Path, spec: Spec | str | Path | None = None) -> Trial:
    """Read and validate a trial's data folder.

    Parameters
    ----------
    path : str or Path
        Folder with ``patients.csv``, ``daily.csv``, ``events.csv`` and the extra tables
        named in the spec's ``[tables]``.
    spec : Spec, str or Path, optional
        The trial's spec, a spec id or a path to a spec file. Default: the folder's name
        (``data/imicro`` -> ``"imicro"``).

    Returns
    -------
    Trial
        ``patient_id`` as text; days (``day``, ``death_day``, ...) as nullable ``Int64``;
        0/1 flags as ``int64``; clinical values as ``float64``; ``randomized`` as
        ``datetime64[ns]``; empty free text as ``""``. Each frame has a 0..n-1 index
        (file line = index + 2 when the file has no blank lines).

    Raises
    ------
    DataError
        With every problem found; each names the file, column, lines and rule.
    trialkit.spec.SpecError
        If the spec cannot be found.

    Notes
    -----
    Files are only read. Checks are vectorized: 10^6 daily rows load in a few seconds
    (``benchmarks/bench_schema.py``). A quoted value spanning several lines would shift
    the line numbers in messages.

    Examples
    --------
    >>> from trialkit.schema import load_trial
    >>> trial = load_trial("tests/fixtures/tiny", spec="imicro")
    >>> trial.patients["arm"].value_counts().to_dict()
    {'iloprost': 3, 'placebo': 3}
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a folder (expected a trial data folder)")
    spec = _resolve_spec(path, spec)
    problems: list[str] = []

    patient_defs = _with_arms(PATIENTS, spec)
    raw_p = _read(path / "patients.csv", "patients.csv", patient_defs, problems)
    raw_d = _read(path / "daily.csv", "daily.csv", DAILY, problems)
    raw_e = _read(path / "events.csv", "events.csv", EVENTS, problems)

    def baseline(raw: pd.DataFrame) -> tuple[ColumnDef, ...]:
        return patient_defs + tuple(EXTRA_COLUMNS[c] for c in raw if c in EXTRA_COLUMNS)

    pdefs = baseline(raw_p) if raw_p is not None else patient_defs
    patients = _validate_table(raw_p, "patients.csv", pdefs, problems)
    daily = _validate_table(raw_d, "daily.csv", DAILY, problems, unique=_DAILY_KEY)
    events = _validate_table(raw_e, "events.csv", EVENTS, problems, allow_empty=True)

    tables: dict[str, pd.DataFrame] = {}
    table_defs: dict[str, tuple[ColumnDef, ...]] = {}
    for name, file in spec.tables.items():
        raw_t = _read(path / file, file, (PATIENT_ID, DAY), problems)
        if raw_t is None:
            continue
        defs = _extra_table_columns(raw_t.columns)
        typed = _validate_table(raw_t, file, defs, problems, unique=_DAILY_KEY)
        if typed is not None:
            tables[name], table_defs[name] = typed, defs

    if daily is not None:
        _vasopressor_check(daily, problems)
    if patients is not None and "patient_id" in patients:
        others = {"daily.csv": daily, "events.csv": events}
        others |= {spec.tables[n]: t for n, t in tables.items()}
        _cross_checks(patients, {k: v for k, v in others.items() if v is not None}, problems)

    if problems:
        files = [*_CORE_FILES, *spec.tables.values()]
        rank = {f: i for i, f in enumerate(files)}
        # Stable: within a file, problems keep the order they were found in.
        problems.sort(key=lambda m: rank.get(m.split(",")[0].split(":")[0], len(files)))
        raise DataError(problems)
    assert patients is not None and daily is not None and events is not None
    return Trial(
        patients=_finish(patients, pdefs),
        daily=_finish(daily, DAILY),
        events=_finish(_empty_typed(events, EVENTS), EVENTS),
        spec=spec,
        tables={n: _finish(t, table_defs[n]) for n, t in tables.items()},
        path=path,
    )


def _empty_typed(df: pd.DataFrame, defs: Sequence[ColumnDef]) -> pd.DataFrame:
    """A header-only table gets the dtypes a filled one would have."""
    if len(df):
        return df
    dtypes = {"day": "float64", "flag": "float64", "number": "float64", "date": "datetime64[ns]"}
    return df.astype({d.name: dtypes.get(d.kind, object) for d in defs if d.name in df})


def validate_folder(
    path: str | Path,
    trial: Spec | str | Path | None = None,
    stream: TextIO | None = None,
) -> int:
    """Check a data folder; print every problem (numbered) or a short summary.

    Parameters
    ----------
    path : str or Path
        The data folder.
    trial : Spec, str or Path, optional
        Spec, spec id or spec path; default the folder's name.
    stream : text stream, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    int
        0 if the folder is valid, 1 otherwise (the exit status of ``trialkit validate``).

    Examples
    --------
    >>> from trialkit.schema import validate_folder
    >>> validate_folder("tests/fixtures/tiny", trial="imicro")  # doctest: +ELLIPSIS
    tests/fixtures/tiny: valid data for I-MICRO
    ...
    0
    """
    out = sys.stdout if stream is None else stream
    try:
        t = load_trial(path, trial)
    except DataError as exc:
        n = len(exc.problems)
        print(f"{path}: {n} problem{'s' if n != 1 else ''} found", file=out)
        width = len(str(n))
        for i, p in enumerate(exc.problems, 1):
            print(f"{i:>{width}}. {p}", file=out)
        return 1
    except SpecError as exc:
        print(f"{path}: {exc}", file=out)
        return 1
    print(_summary(t, path), file=out)
    return 0


def _summary(t: Trial, path: str | Path) -> str:
    p = t.patients
    arms = t.spec.arms

    def per_arm(mask: pd.Series) -> str:
        counts = p.loc[mask, "arm"].value_counts()
        return ", ".join(f"{a} {int(counts.get(a, 0))}" for a in arms)

    everyone = pd.Series(True, index=p.index)
    died = p["death_day"].notna()
    lines = [
        f"{path}: valid data for {t.spec.name}",
        f"  patients      {len(p)} ({per_arm(everyone)})",
        f"  patient-days  {len(t.daily)} daily rows",
        f"  events        {len(t.events)} ({int(t.events['serious'].sum())} serious)",
        f"  deaths        {int(died.sum())} ({per_arm(died)})",
    ]
    for name, df in t.tables.items():
        lines.append(f"  {name:<13} {len(df)} rows")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Codebook
# ---------------------------------------------------------------------------------------

_KIND_TEXT = {
    "id": "text",
    "text": "text",
    "category": "label",
    "date": "date YYYY-MM-DD",
    "flag": "0/1",
    "day": "whole number (day)",
    "number": "number",
}


def _codebook_table(defs: Sequence[ColumnDef]) -> list[str]:
    rows = [
        "| column | type | unit | allowed | may be empty | required | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in defs:
        kind = "whole number" if d.whole else _KIND_TEXT[d.kind]
        allowed = ", ".join(f"`{v}`" for v in d.values) if d.values else d._range()
        if d.kind == "flag":
            allowed = "0, 1"
        required = f"one of the {d.pair} pair" if d.pair else ("yes" if d.required else "no")
        empty = "yes" if d.nullable else "no"
        rows.append(
            f"| `{d.name}` | {kind} | {d.unit} | {allowed} | {empty} | {required} | {d.meaning} |"
        )
    return rows


def codebook_markdown(spec: Spec | str) -> str:
    """The codebook of a trial's data folder, as Markdown.

    Built from the same :class:`ColumnDef` declarations the validation uses, so the
    codebook and the checks cannot disagree.

    Parameters
    ----------
    spec : Spec or str
        The trial's spec or its id.

    Returns
    -------
    str
        Markdown with one table per file (column, type, unit, allowed range, whether it
        may be empty, whether it is required, meaning) and the cross-table rules.

    Examples
    --------
    >>> from trialkit.schema import codebook_markdown
    >>> print(codebook_markdown("imicro").splitlines()[0])
    ## Codebook: I-MICRO data folder
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    na = ", ".join(f"`{v}`" for v in NA_VALUES if v)
    parts = [
        f"## Codebook: {spec.name} data folder",
        "",
        "Comma-separated UTF-8 files with a header line; decimal point, not comma. "
        f"An empty cell (or {na}) is a missing value. Units are part of the column names. "
        "Days count from randomization: day 0 is the randomization day. "
        "Check a folder with `trialkit validate DIR`.",
        "",
        "### patients.csv — one row per randomized patient",
        "",
        *_codebook_table(_with_arms(PATIENTS, spec)),
        "",
        "Extra baseline columns are allowed (e.g. `thrombomodulin_ng_ml`); known ones are "
        "range-checked as in the extra tables below.",
        "",
        "### daily.csv — one row per patient per day in ICU",
        "",
        *_codebook_table(DAILY),
        "",
        "Give bilirubin and creatinine in one unit each: exactly one column of each pair.",
        "",
        "### events.csv — adverse events, one row per event",
        "",
        *_codebook_table(EVENTS),
        "",
        "A header line without rows is valid (no events).",
    ]
    if spec.tables:
        files = ", ".join(f"`{f}`" for f in spec.tables.values())
        parts += [
            "",
            f"### Extra tables of this trial: {files}",
            "",
            "One row per patient per day: `patient_id` and `day` as in daily.csv, then "
            "value columns. Known value columns are range-checked; other number columns "
            "are allowed.",
            "",
            *_codebook_table((PATIENT_ID, DAY, *EXTRA_COLUMNS.values())),
        ]
    parts += [
        "",
        "### Rules across files",
        "",
        *[f"- {rule}." for rule in CROSS_RULES.values()],
        "- one row per patient per day in daily.csv and in every extra table.",
        "",
    ]
    return "\n".join(parts)
