"""The input contract (trialkit.schema): every bad-input class is caught, named and located.

Each test writes a broken copy of ``tests/fixtures/tiny`` into ``tmp_path`` (cells are
edited by file line, header = line 1) and checks that the message names the file, the
column, the line(s) and the rule.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialkit.schema import (
    DAILY,
    EVENTS,
    EXTRA_COLUMNS,
    PATIENTS,
    DataError,
    Trial,
    codebook_markdown,
    daily_schema,
    events_schema,
    load_trial,
    patients_schema,
    validate_folder,
)
from trialkit.spec import SpecError, load_spec

FIXTURE = Path(__file__).parent / "fixtures" / "tiny"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the tiny fixture named like the I-MICRO spec (so the name picks the spec)."""
    dst = tmp_path / "imicro"
    shutil.copytree(FIXTURE, dst)
    return dst


@pytest.fixture
def combat(tmp_path: Path) -> Path:
    dst = tmp_path / "combat_shine"
    shutil.copytree(FIXTURE, dst)
    return dst


def edit(folder: Path, file: str, line: int, column: str, value: str) -> None:
    """Set one cell, addressed by file line (header = 1) and column name."""
    rows = list(csv.reader(io.StringIO((folder / file).read_text(), newline="")))
    rows[line - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (folder / file).write_text(buf.getvalue())


def drop_column(folder: Path, file: str, column: str) -> None:
    df = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    df.drop(columns=column).to_csv(folder / file, index=False)


def problems(folder: Path, spec: str | None = None) -> list[str]:
    with pytest.raises(DataError) as info:
        load_trial(folder, spec)
    return info.value.problems


def one(found: list[str], *needles: str) -> str:
    """The single problem that mentions every needle."""
    hits = [p for p in found if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem with {needles}, got {hits} in {found}"
    return hits[0]


# --- the valid fixture -----------------------------------------------------------------


@pytest.mark.parametrize("spec", ["imicro", "combat_shine"])
def test_fixture_loads_with_contract_dtypes(spec):
    t = load_trial(FIXTURE, spec)
    assert isinstance(t, Trial) and t.spec.id == spec and t.path == FIXTURE
    p, d, e = t.patients, t.daily, t.events
    assert (len(p), len(d), len(e)) == (6, 22, 5)
    assert p["patient_id"].tolist() == [f"P0{i}" for i in range(1, 7)]
    assert str(p["randomized"].dtype) == "datetime64[ns]"
    for col in ("death_day", "icu_discharge_day", "last_contact_day"):
        assert str(p[col].dtype) == "Int64"
    assert str(d["day"].dtype) == "Int64" and str(e["day"].dtype) == "Int64"
    assert d["fio2"].dtype == "float64" and d["gcs"].dtype == "float64"
    assert d["mech_vent"].dtype == "int64" and e["serious"].dtype == "int64"
    assert p["thrombomodulin_ng_ml"].dtype == "float64"  # an extra baseline column
    # Empty free text is "" (documented), a missing clinical value is NaN.
    assert p.loc[0, "exclusion_reason"] == ""
    assert p.loc[4, "exclusion_reason"] == "consent withdrawn before first dose"
    assert d["gcs"].isna().sum() == 1
    assert p["death_day"].isna().sum() == 3
    for frame in (p, d, e):
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


def test_extra_tables_are_loaded_for_the_trial_that_names_them():
    assert load_trial(FIXTURE, "imicro").tables == {}
    t = load_trial(FIXTURE, "combat_shine")
    assert set(t.tables) == {"biomarkers", "qol"}
    assert str(t.tables["qol"]["day"].dtype) == "Int64"
    assert t.tables["biomarkers"]["syndecan1_ng_ml"].isna().sum() == 1


def test_folder_name_picks_the_spec(folder):
    assert load_trial(folder).spec.id == "imicro"


def test_spec_can_be_a_spec_object_or_a_path(folder):
    spec = load_spec("combat_shine")
    assert load_trial(folder, spec).spec is spec
    path = Path(__file__).parents[1] / "trialkit" / "specs" / "combat_shine.toml"
    assert load_trial(folder, path).spec.id == "combat_shine"


def test_unknown_folder_name_is_a_clear_spec_error():
    with pytest.raises(SpecError, match=r"folder name 'tiny' is not a known spec.*imicro"):
        load_trial(FIXTURE)


def test_header_only_events_file_is_valid(folder):
    (folder / "events.csv").write_text("patient_id,day,term,serious,related\n")
    t = load_trial(folder)
    assert len(t.events) == 0
    assert str(t.events["day"].dtype) == "Int64"
    assert t.events["serious"].dtype == "int64"


def test_na_spelled_out_is_a_missing_value(folder):
    edit(folder, "daily.csv", 2, "pao2_mmhg", "NA")
    assert pd.isna(load_trial(folder).daily.loc[0, "pao2_mmhg"])


def test_blanks_around_ids_are_ignored(folder):
    edit(folder, "daily.csv", 2, "patient_id", " P01 ")
    assert load_trial(folder).daily.loc[0, "patient_id"] == "P01"


# --- files and columns -----------------------------------------------------------------


@pytest.mark.parametrize("file", ["patients.csv", "daily.csv", "events.csv"])
def test_missing_file(folder, file):
    (folder / file).unlink()
    assert one(problems(folder), file, "file missing")


def test_missing_extra_table_named_by_the_spec(combat):
    (combat / "qol.csv").unlink()
    assert one(problems(combat), "qol.csv", "file missing")


@pytest.mark.parametrize("file", ["patients.csv", "daily.csv", "events.csv"])
def test_empty_file(folder, file):
    (folder / file).write_text("")
    assert one(problems(folder), file, "file is empty")


@pytest.mark.parametrize("file", ["patients.csv", "daily.csv"])
def test_header_without_rows(folder, file):
    header = (folder / file).read_text().splitlines()[0]
    (folder / file).write_text(header + "\n")
    assert one(problems(folder), file, "no data rows")


@pytest.mark.parametrize(
    ("file", "column"),
    [("patients.csv", "arm"), ("daily.csv", "gcs"), ("events.csv", "serious")],
)
def test_missing_column(folder, file, column):
    drop_column(folder, file, column)
    assert one(problems(folder), f"{file}, column {column}: missing column")


def test_missing_column_hints_at_case(folder):
    text = (folder / "daily.csv").read_text().replace(",gcs,", ",GCS,", 1)
    (folder / "daily.csv").write_text(text)
    assert "found 'GCS': names are case-sensitive" in one(problems(folder), "column gcs")


def test_neither_bilirubin_column(folder):
    drop_column(folder, "daily.csv", "bilirubin_mg_dl")
    msg = one(problems(folder), "daily.csv", "bilirubin_mg_dl or bilirubin_umol_l")
    assert "missing column" in msg and "exactly one" in msg


def test_both_creatinine_columns(folder):
    df = pd.read_csv(folder / "daily.csv", dtype=str, keep_default_na=False)
    df["creatinine_umol_l"] = ""
    df.to_csv(folder / "daily.csv", index=False)
    msg = one(problems(folder), "daily.csv", "creatinine_mg_dl and creatinine_umol_l")
    assert "exactly one of the pair, not both" in msg


def test_si_units_are_accepted(folder):
    df = pd.read_csv(folder / "daily.csv", dtype=str, keep_default_na=False)
    df = df.rename(columns={"creatinine_mg_dl": "creatinine_umol_l"})
    df["creatinine_umol_l"] = "300"
    df.to_csv(folder / "daily.csv", index=False)
    assert (load_trial(folder).daily["creatinine_umol_l"] == 300).all()


def test_semicolon_separated_file(folder):
    text = (folder / "events.csv").read_text().replace(",", ";")
    (folder / "events.csv").write_text(text)
    assert one(problems(folder), "events.csv", "separated by ';'")


def test_unquoted_comma_shifts_a_row(folder):
    lines = (folder / "daily.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",1.4,", ",1,4,", 1) if ",1.4," in lines[3] else lines[3] + ",9"
    (folder / "daily.csv").write_text("\n".join(lines) + "\n")
    msg = one(problems(folder), "daily.csv, line 4")
    assert "18 fields where the header names 17" in msg and "decimal comma" in msg


def test_not_utf8(folder):
    text = "patient_id,day,term,serious,related\nP01,1,Hämorrhagie,1,0\n"
    (folder / "events.csv").write_bytes(text.encode("latin-1"))
    assert one(problems(folder), "events.csv", "not UTF-8")


# --- cell values -----------------------------------------------------------------------


def test_text_in_a_number_column(folder):
    edit(folder, "daily.csv", 5, "map_mmhg", "low")
    msg = one(problems(folder), "daily.csv, column map_mmhg, line 5")
    assert "text in a number column" in msg and "'low'" in msg


def test_decimal_comma(folder):
    edit(folder, "patients.csv", 3, "weight_kg", "61,5")
    msg = one(problems(folder), "patients.csv, column weight_kg, line 3")
    assert "decimal comma?" in msg and "'61,5'" in msg


def test_decimal_comma_in_an_extra_column(combat):
    edit(combat, "biomarkers.csv", 2, "syndecan1_ng_ml", "310,5")
    assert "decimal comma?" in one(problems(combat), "biomarkers.csv", "syndecan1_ng_ml")


def test_unit_hint_only_when_values_lie_above_the_range(folder):
    edit(folder, "daily.csv", 2, "fio2", "0.1")
    assert "percent" not in one(problems(folder), "column fio2")


def test_si_column_out_of_range(folder):
    df = pd.read_csv(folder / "daily.csv", dtype=str, keep_default_na=False)
    df = df.rename(columns={"bilirubin_mg_dl": "bilirubin_umol_l"})
    df.loc[0, "bilirubin_umol_l"] = "1500"
    df.to_csv(folder / "daily.csv", index=False)
    assert "0 to 1000 µmol/L" in one(problems(folder), "column bilirubin_umol_l, line 2")


def test_eq5d_index_range(combat):
    edit(combat, "qol.csv", 2, "eq5d_index", "-1.2")
    assert "-0.8 to 1" in one(problems(combat), "qol.csv, column eq5d_index, line 2")


@pytest.mark.parametrize(
    ("column", "value"), [("urine_ml_24h", "-100"), ("platelets_10e9_l", "-5")]
)
def test_negative_count(folder, column, value):
    edit(folder, "daily.csv", 3, column, value)
    assert "cannot be negative" in one(problems(folder), f"column {column}, line 3")


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [
        ("daily.csv", "mech_vent", "2"),
        ("daily.csv", "rrt", "yes"),
        ("daily.csv", "vasopressor", "0.5"),
        ("events.csv", "serious", "Y"),
        ("events.csv", "related", "-1"),
        ("patients.csv", "mitt", "TRUE"),
        ("patients.csv", "per_protocol", "2"),
        ("patients.csv", "withdrawn", "no"),
    ],
)
def test_flag_with_another_value(folder, file, column, value):
    edit(folder, file, 3, column, value)
    msg = one(problems(folder), f"{file}, column {column}, line 3")
    assert "0/1 flag" in msg and value in msg


@pytest.mark.parametrize(
    ("file", "column"),
    [("daily.csv", "patient_id"), ("daily.csv", "day"), ("daily.csv", "mech_vent"),
     ("events.csv", "term"), ("patients.csv", "arm"), ("patients.csv", "last_contact_day")],
)  # fmt: skip
def test_required_cell_left_empty(folder, file, column):
    edit(folder, file, 4, column, "")
    assert "required on every row" in one(problems(folder), f"{file}, column {column}, line 4")


def test_duplicate_patient_id(folder):
    edit(folder, "patients.csv", 4, "patient_id", "P01")
    msg = one(problems(folder), "patients.csv, column patient_id, lines 2, 4")
    assert "duplicate patient_id" in msg and "'P01'" in msg


def test_duplicate_patient_day(folder):
    edit(folder, "daily.csv", 3, "day", "0")  # P01 day 1 -> a second P01 day 0
    msg = one(problems(folder), "daily.csv, columns patient_id, day, lines 2, 3")
    assert "duplicate (patient_id, day)" in msg and "'P01 day 0'" in msg


def test_duplicate_patient_day_located_past_a_row_without_an_id(folder):
    # Line 2's id is missing (reported on its own); the duplicate's lines must still be
    # the file's, not positions among the rows that have an id.
    edit(folder, "daily.csv", 2, "patient_id", "")
    edit(folder, "daily.csv", 4, "day", "1")  # P01 day 2 -> a second P01 day 1
    msg = one(problems(folder), "daily.csv, columns patient_id, day, lines 3, 4")
    assert "duplicate (patient_id, day)" in msg and "'P01 day 1'" in msg


def test_duplicate_patient_day_in_an_extra_table(combat):
    edit(combat, "biomarkers.csv", 3, "day", "0")
    assert one(problems(combat), "biomarkers.csv, columns patient_id, day, lines 2, 3")


# Plausible ranges, with the unit hint when values lie above the range.
OUT_OF_RANGE = [
    ("daily.csv", 2, "fio2", "60", "values above 1 look like percent"),
    ("daily.csv", 3, "bilirubin_mg_dl", "72", "look like µmol/L given under a mg/dL"),
    ("daily.csv", 4, "creatinine_mg_dl", "350", "look like µmol/L given under a mg/dL"),
    ("daily.csv", 5, "norepinephrine_ug_kg_min", "450", "look like ng/kg/min"),
    ("daily.csv", 6, "epinephrine_ug_kg_min", "90", "look like ng/kg/min"),
    ("daily.csv", 7, "dopamine_ug_kg_min", "5000", "look like ng/kg/min"),
    ("daily.csv", 8, "dobutamine_ug_kg_min", "700", "look like ng/kg/min"),
    ("daily.csv", 9, "gcs", "2", "plausible range 3 to 15"),
    ("daily.csv", 10, "gcs", "16", "plausible range 3 to 15"),
    ("daily.csv", 11, "pao2_mmhg", "5", "plausible range 20 to 800 mmHg"),
    ("daily.csv", 12, "map_mmhg", "300", "plausible range 10 to 250 mmHg"),
    ("daily.csv", 13, "platelets_10e9_l", "3000", "plausible range 0 to 2000"),
    ("daily.csv", 14, "urine_ml_24h", "25000", "plausible range 0 to 20000"),
    ("daily.csv", 15, "fio2", "0.1", "plausible range 0.21 to 1"),
    ("patients.csv", 2, "age", "12", "plausible range 18 to 110 years"),
    ("patients.csv", 3, "weight_kg", "400", "plausible range 25 to 300 kg"),
    ("patients.csv", 4, "lactate_mmol_l", "55", "plausible range 0 to 40 mmol/L"),
]
# Negative day, whole numbers, unknown arm or sex label, impossible or non-ISO date.
OTHER_RULES = [
    ("daily.csv", 2, "day", "-1", "a negative day is before randomization"),
    ("events.csv", 2, "day", "-1", "a negative day is before randomization"),
    ("daily.csv", 2, "gcs", "7.5", "gcs must be a whole number"),
    ("events.csv", 2, "day", "1.5", "day must be a whole number"),
    ("patients.csv", 5, "arm", "Iloprost", "the spec knows only 'iloprost', 'placebo'"),
    ("patients.csv", 2, "sex", "male", "sex must be one of 'F', 'M'"),
    ("patients.csv", 3, "randomized", "2021-02-30", "impossible date"),
    ("patients.csv", 3, "randomized", "05/03/2021", "must be written YYYY-MM-DD"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "rule"), OUT_OF_RANGE + OTHER_RULES)
def test_cell_breaks_a_rule(folder, file, line, column, value, rule):
    edit(folder, file, line, column, value)
    msg = one(problems(folder), f"{file}, column {column}, line {line}:")
    assert rule in msg and value in msg


def test_death_before_randomization(folder):
    edit(folder, "patients.csv", 3, "death_day", "-2")
    msg = one(problems(folder), "patients.csv, column death_day, line 3")
    assert "death before randomization" in msg
    # The bad death day must not spill into cross-table noise.
    assert not [p for p in problems(folder) if "after" in p]


# --- across tables ---------------------------------------------------------------------


@pytest.mark.parametrize(("file", "line"), [("daily.csv", 6), ("events.csv", 3)])
def test_rows_for_a_patient_never_randomized(folder, file, line):
    edit(folder, file, line, "patient_id", "P99")
    msg = one(problems(folder), f"{file}, column patient_id, line {line}")
    assert "patients.csv" in msg and "'P99'" in msg


def test_extra_table_row_for_unknown_patient(combat):
    edit(combat, "qol.csv", 3, "patient_id", "P77")
    assert "'P77'" in one(problems(combat), "qol.csv, column patient_id, line 3")


def test_daily_rows_after_death(folder):
    edit(folder, "patients.csv", 2, "death_day", "1")  # P01 has ICU days 0-3 (lines 2-5)
    msg = one(problems(folder), "daily.csv, column day, lines 4, 5")
    assert "after the patient's death_day" in msg and "P01 day 2 > death_day 1" in msg


def test_daily_rows_after_icu_discharge(folder):
    edit(folder, "patients.csv", 3, "icu_discharge_day", "2")  # P02 has ICU days 0-4
    msg = one(problems(folder), "daily.csv, column day, lines 9, 10")
    assert "ICU days only" in msg


def test_event_after_death(folder):
    edit(folder, "events.csv", 6, "day", "4")  # P06 died on day 1
    assert "death_day" in one(problems(folder), "events.csv, column day, line 6")


def test_icu_discharge_after_death(folder):
    edit(folder, "patients.csv", 4, "icu_discharge_day", "25")  # P03 died on day 20
    msg = one(problems(folder), "patients.csv, column icu_discharge_day, line 4")
    assert "cannot come after death_day" in msg


# --- all at once; nothing written --------------------------------------------------------


def test_every_problem_is_reported_in_file_order(folder):
    edit(folder, "patients.csv", 2, "arm", "drug")
    edit(folder, "patients.csv", 3, "randomized", "2021-13-01")
    edit(folder, "daily.csv", 2, "fio2", "60")
    edit(folder, "daily.csv", 3, "gcs", "1")
    edit(folder, "events.csv", 2, "serious", "2")
    (folder / "qol.csv").unlink()  # not in the I-MICRO spec: must not matter
    found = problems(folder)
    assert len(found) == 5
    assert [p.split(",")[0] for p in found] == ["patients.csv"] * 2 + ["daily.csv"] * 2 + [
        "events.csv"
    ]
    assert str(DataError(found)) == "\n".join(found)


def test_first_five_lines_then_a_count(folder):
    for line in range(2, 10):
        edit(folder, "daily.csv", line, "fio2", "50")
    assert one(problems(folder), "daily.csv, column fio2, lines 2, 3, 4, 5, 6 (+3 more):")


def _checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_validation_never_writes(folder):
    edit(folder, "daily.csv", 2, "fio2", "60")
    edit(folder, "patients.csv", 3, "weight_kg", "61,5")
    before = _checksums(folder)
    mtimes = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    problems(folder)
    assert validate_folder(folder, stream=io.StringIO()) == 1
    assert _checksums(folder) == before
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == mtimes
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)


def test_loading_a_valid_folder_never_writes(folder):
    before = _checksums(folder)
    load_trial(folder, "combat_shine")
    assert _checksums(folder) == before


# --- schemas and codebook: one source of truth ------------------------------------------


def test_pandera_schemas_are_built_from_the_declarations():
    spec = load_spec("imicro")
    assert list(patients_schema(spec).columns) == [c.name for c in PATIENTS]
    assert list(daily_schema().columns) == [c.name for c in DAILY]
    assert list(events_schema().columns) == [c.name for c in EVENTS]
    arm_check = patients_schema(spec).columns["arm"].checks[0]
    assert arm_check.error == "category"


def test_pandera_schema_validates_the_loaded_fixture():
    t = load_trial(FIXTURE, "imicro")
    patients_schema(t.spec).validate(t.patients, lazy=True)
    daily_schema().validate(t.daily, lazy=True)
    events_schema().validate(t.events, lazy=True)


def test_codebook_lists_every_column_with_its_range():
    md = codebook_markdown("combat_shine")
    for col in (*PATIENTS, *DAILY, *EVENTS, *EXTRA_COLUMNS.values()):
        assert f"| `{col.name}` |" in md
    assert "| `fio2` | number | fraction | 0.21 to 1 |" in md
    assert "`iloprost`, `placebo`" in md
    assert "### Extra tables of this trial: `biomarkers.csv`, `qol.csv`" in md
    assert "| `age` | number | years | 18 to 110 |" in md  # the unit is not repeated
    assert "Extra tables" not in codebook_markdown(load_spec("imicro"))


def test_codebook_names_the_cross_table_rules():
    md = codebook_markdown("imicro")
    assert "no daily rows after the patient's death_day" in md
    assert "one row per patient per day" in md


# --- file-format robustness -------------------------------------------------------------


def test_line_numbers_count_blank_lines(folder):
    lines = (folder / "daily.csv").read_text().splitlines()
    lines.insert(3, "")  # a blank line 4: P02 day 0 moves from line 6 to line 7
    (folder / "daily.csv").write_text("\n".join(lines) + "\n")
    edit(folder, "daily.csv", 7, "fio2", "40")
    assert one(problems(folder), "daily.csv, column fio2, line 7:")


def test_windows_line_ends_and_byte_order_mark(folder):
    for name in ("patients.csv", "daily.csv"):
        raw = (folder / name).read_bytes().replace(b"\n", b"\r\n")
        (folder / name).write_bytes(b"\xef\xbb\xbf" + raw)
    t = load_trial(folder)
    assert t.patients.columns[0] == "patient_id" and len(t.daily) == 22


def test_missing_key_column_gives_no_spurious_duplicates(folder):
    drop_column(folder, "daily.csv", "day")
    assert problems(folder) == ["daily.csv, column day: missing column"]


_RANGED = [
    c for c in DAILY if c.kind == "number" and c.hi is not None and not c.pair and c.required
]


@settings(max_examples=12, deadline=None)
@given(
    column=st.sampled_from(_RANGED),
    line=st.integers(2, 23),
    excess=st.floats(0.01, 1e6, allow_nan=False),
)
def test_any_value_above_its_range_is_reported_at_its_line(column, line, excess):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "imicro"
        shutil.copytree(FIXTURE, folder)
        value = f"{column.hi + excess:.6g}"
        if float(value) <= column.hi:  # rounding to 6 digits can land on the bound
            return
        edit(folder, "daily.csv", line, column.name, value)
        # 16.5 for GCS also breaks "whole number": pick the range problem.
        where = f"daily.csv, column {column.name}, line {line}:"
        msg = one(problems(folder), where, "plausible range")
        assert f"to {column.hi:g}" in msg and f"found {value}" in msg


def test_vasopressor_dose_without_the_flag(folder):
    edit(folder, "daily.csv", 7, "norepinephrine_ug_kg_min", "0.05")  # P02 day 1: flag 1
    edit(folder, "daily.csv", 8, "epinephrine_ug_kg_min", "0.1")  # P02 day 2: flag 0
    msg = one(problems(folder), "daily.csv, column vasopressor, line 8:")
    assert "norepinephrine or epinephrine" in msg and "'P02 day 2'" in msg


def test_column_named_twice(folder):
    text = (folder / "events.csv").read_text().replace(",related", ",serious", 1)
    (folder / "events.csv").write_text(text)
    assert "named 2 times in the header" in one(problems(folder), "events.csv, column serious")


def test_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        load_trial(tmp_path / "nosuchtrial")


# --- the value checks pandera is spared (trialkit.schema.schemas.plainly_valid) ----------
# The reference is pandera itself: wherever plainly_valid clears a column, pandera's own
# checks of that column must find nothing; the cases sit on both sides of every rule.


def _pandera_finds_nothing(values, d) -> bool:
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    from trialkit.schema.schemas import _checks

    schema = pa.DataFrameSchema({d.name: pa.Column(None, checks=_checks(d), nullable=True)})
    try:
        schema.validate(pd.DataFrame({d.name: values}), lazy=True)
    except SchemaErrors:
        return False
    return True


def _column(name):
    from trialkit.schema.columns import DAILY

    return next(d for d in DAILY if d.name == name)


@pytest.mark.parametrize(
    ("name", "values", "cleared"),
    [
        ("fio2", [0.21, 1.0, float("nan")], True),  # both ends of the range included
        ("fio2", [0.21, 1.01], False),
        ("fio2", [float("inf")], False),
        ("fio2", [float("nan")] * 3, True),  # only missing values: pandera's nullable check
        ("mech_vent", [0, 1, 1], True),
        ("mech_vent", [0, 2], False),
        ("mech_vent", [0.0, 1.0], False),  # a float flag: 0.5 would also lie in [0, 1]
        ("mech_vent", [-1, 0], False),
        ("day", pd.array([0, 5, None], dtype="Int64"), True),
        ("day", pd.array([-1, 5], dtype="Int64"), False),
        ("day", [0.0, 2.5], False),  # not whole: only the per-row check can tell
        ("gcs", [3, 15], True),
        ("gcs", [2, 15], False),
        ("patient_id", ["a", "b"], False),  # not a number column
        ("resp_support", pd.Series(["none"], dtype="category"), False),
    ],
)
def test_plainly_valid_only_where_pandera_finds_nothing(name, values, cleared):
    from trialkit.schema.schemas import plainly_valid

    d = _column(name)
    column = pd.Series(values)
    assert plainly_valid(column, d) is cleared
    if cleared:
        assert _pandera_finds_nothing(column, d)
