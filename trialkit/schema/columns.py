"""Column declarations: the single source of truth for schemas, messages and codebook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from trialkit.spec import Spec

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


def _dose(name: str, drug: str, unit: str, hi: float, hint: str) -> ColumnDef:
    return ColumnDef(
        name,
        "number",
        f"SOFA-2: highest {drug} dose of the day (0 if none)",
        unit,
        0,
        hi,
        required=False,
        nullable=True,
        hint=hint,
    )


def _sofa2_flag(name: str, meaning: str) -> ColumnDef:
    return ColumnDef(name, "flag", f"SOFA-2: {meaning}", required=False)


PATIENT_ID = ColumnDef("patient_id", "id", "Patient identifier (text; unique in patients.csv)")

#: The largest day after randomization accepted in any day column: ten years, past the
#: follow-up of any trial. A larger day is a typing or unit error (a date, or hours, written
#: as a day); without a bound, ``death_day = 1e308`` would pass and break every day count.
MAX_DAY = 3653

_DAY_BELOW = "a negative day is before randomization: day 0 is the randomization day"
_DAY_ABOVE = (
    f"a day above {MAX_DAY} (ten years after randomization) is not a trial day: a date, "
    "hours or a typing error?"
)
DAY = ColumnDef(
    "day", "day", "Day after randomization (day 0 = randomization day)", "days", 0, MAX_DAY,
    below=_DAY_BELOW, hint=_DAY_ABOVE,
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
        "days", 0, MAX_DAY, nullable=True, hint=_DAY_ABOVE,
        below="a negative death_day is a death before randomization (day 0 = randomization)",
    ),
    ColumnDef(
        "icu_discharge_day", "day",
        "Day of discharge alive from ICU; empty if died in ICU (or in ICU at last contact)",
        "days", 0, MAX_DAY, nullable=True, hint=_DAY_ABOVE,
        below="a negative icu_discharge_day is a discharge before randomization",
    ),
    ColumnDef(
        "last_contact_day", "day", "Day of last contact (end of follow-up if complete)",
        "days", 0, MAX_DAY, hint=_DAY_ABOVE,
        below="a negative last_contact_day is before randomization",
    ),
    ColumnDef("withdrawn", "flag", "1 if consent was withdrawn"),
    ColumnDef(
        "withdrawal_reason", "text", "Reason for withdrawal; empty if not withdrawn",
        nullable=True,
    ),
)  # fmt: skip

#: The optional daily columns of SOFA-2 (Ranzani et al. 2025, shared/reference/sofa2.md):
#: a folder without them stays valid; ``trialkit.sofa.sofa(daily, version="sofa2")``
#: names those it needs and lacks. Each is also in :data:`DAILY`.
SOFA2_DAILY: tuple[ColumnDef, ...] = (
    ColumnDef(
        "resp_support", "category",
        "SOFA-2: most invasive respiratory support of the day: none (room air or "
        "conventional oxygen), hfnc (high-flow nasal cannula), niv (CPAP, BiPAP or other "
        "non-invasive ventilation, long-term home ventilation included), imv (invasive "
        "mechanical ventilation)",
        values=("none", "hfnc", "niv", "imv"), required=False,
    ),
    ColumnDef(
        "ecmo", "category",
        "SOFA-2: ECMO that day and its indication: none; respiratory (for respiratory "
        "failure, e.g. VV-ECMO: scores 4 in respiration only); cardiovascular (for "
        "circulatory failure, e.g. VA-ECMO: scores 4 in respiration and cardiovascular)",
        values=("none", "respiratory", "cardiovascular"), required=False,
    ),
    ColumnDef(
        "spo2_pct", "number",
        "SOFA-2: SpO2 at the FiO2 of the fio2 column, for SpO2/FiO2 when PaO2 is missing",
        "%", 30, 100, required=False, nullable=True,
        below="SpO2 is a percentage: values of 1 or less look like a fraction (write 95 "
        "for 95%)",
    ),
    _sofa2_flag(
        "mech_circ_support",
        "1 if on mechanical circulatory support other than ECMO that day (intra-aortic "
        "balloon pump, ventricular assist device, microaxial flow pump)",
    ),
    _dose(
        "vasopressin_u_min", "vasopressin", "U/min", 0.2,
        "values above 0.2 U/min look like units per hour (divide by 60)",
    ),
    _dose(
        "phenylephrine_ug_kg_min", "phenylephrine", "µg/kg/min", 20,
        "values above 20 µg/kg/min look like µg/min not divided by body weight",
    ),
    _dose(
        "milrinone_ug_kg_min", "milrinone", "µg/kg/min", 2,
        "values above 2 µg/kg/min look like a loading dose (µg/kg) or a dose per minute "
        "not divided by body weight",
    ),
    _sofa2_flag(
        "other_vasoactive",
        "1 if any other vasopressor or inotrope ran as a continuous infusion that day "
        "(angiotensin II, levosimendan, terlipressin, isoprenaline, ...)",
    ),
    ColumnDef(
        "potassium_mmol_l", "number", "SOFA-2: highest serum potassium of the day",
        "mmol/L", 1.5, 10, required=False, nullable=True,
        hint="values above 10 mmol/L look like mg/dL (1 mmol/L = 3.91 mg/dL)",
    ),
    ColumnDef(
        "ph", "number", "SOFA-2: lowest arterial pH of the day", "", 6.5, 8,
        required=False, nullable=True,
        hint="a pH above 8 is not compatible with life: a hydrogen-ion concentration "
        "in nmol/L (pH 7.40 = 40 nmol/L) or a typing error?",
    ),
    ColumnDef(
        "bicarbonate_mmol_l", "number", "SOFA-2: lowest serum bicarbonate of the day",
        "mmol/L", 1, 60, required=False, nullable=True,
        hint="values above 60 mmol/L look like another measurement (PaCO2 in mmHg?)",
    ),
    _sofa2_flag(
        "delirium_drug",
        "1 if a drug was given that day to treat delirium (PADIS guideline: "
        "dexmedetomidine, haloperidol, quetiapine, ziprasidone, olanzapine)",
    ),
    _sofa2_flag(
        "sedated",
        "1 if sedation that day kept the GCS from being assessed (SOFA-2 scores the last "
        "GCS before sedation)",
    ),
    ColumnDef(
        "gcs_motor", "number",
        "SOFA-2: best motor response of the GCS, for days when the full GCS cannot be "
        "assessed", "points", 1, 6, required=False, nullable=True, whole=True,
    ),
    ColumnDef(
        "weight_kg", "number",
        "SOFA-2: body weight, for urine output per kg and hour (the admission weight "
        "when not weighed daily)", "kg", 25, 300, required=False, nullable=True,
    ),
    _sofa2_flag(
        "treatment_ceiling",
        "1 if organ support was limited that day by a ceiling of treatment or was "
        "unavailable (respiration is then scored by its ratio alone, cardiovascular by "
        "MAP alone)",
    ),
    _sofa2_flag(
        "rrt_nonrenal",
        "1 if that day's RRT was given only for non-renal reasons (toxin or cytokine "
        "removal), which SOFA-2 does not count",
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
    *SOFA2_DAILY,
)  # fmt: skip

#: The labels of each category column of the daily table, in the contract's order: the
#: categories of those columns as :func:`~trialkit.schema.load_trial` returns them.
DAILY_LABELS: dict[str, tuple[str, ...]] = {
    c.name: c.values for c in DAILY if c.kind == "category" and c.values
}

EVENTS: tuple[ColumnDef, ...] = (
    PATIENT_ID,
    ColumnDef(
        "day", "day", "Day of onset after randomization", "days", 0, MAX_DAY,
        below=_DAY_BELOW, hint=_DAY_ABOVE,
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

#: Rules across columns and tables, as stated in messages and in the codebook. A rule
#: named in :data:`WARNING_RULES` is a warning (collected in ``Trial.warnings``); every
#: other is an error (the folder is refused).
CROSS_RULES: dict[str, str] = {
    "unknown_patient": "every patient_id must be a randomized patient listed in patients.csv",
    "after_death": "no daily rows after the patient's death_day in patients.csv",
    "after_discharge": "daily.csv holds ICU days only: no rows after icu_discharge_day",
    "event_after_death": "no event after the patient's death_day in patients.csv",
    "discharge_after_death": "ICU discharge alive cannot come after death_day",
    "contact_before_death": (
        "last_contact_day cannot come before death_day: the day of death is the last contact"
    ),
    "contact_before_discharge": (
        "last_contact_day cannot come before icu_discharge_day: the discharge is a contact"
    ),
    "vasopressor_dose": (
        "vasopressor must be 1 on a day with a norepinephrine or epinephrine dose above 0"
    ),
    "no_baseline_row": (
        "every patient of the analysed population has a daily row on day 0 (the baseline)"
    ),
    "missing_icu_day": (
        "daily.csv has a row for every day in ICU, from day 0 to the day before ICU discharge "
        "or death (or, without either, to the patient's last row)"
    ),
}

#: The rules of :data:`CROSS_RULES` that are warnings: the data are possible and the
#: endpoint rules say what happens (a missing value, an average over fewer days), but the
#: user must learn it. Errors are contradictions that no rule can resolve.
WARNING_RULES: frozenset[str] = frozenset({"no_baseline_row", "missing_icu_day"})

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
