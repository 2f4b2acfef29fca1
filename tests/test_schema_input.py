# ruff: noqa: F811 - the fixtures `folder` and `combat` come from test_schema, as arguments
"""Data that used to slip through or crash (issue 10), and Parquet input (issue 16).

Each class of bad input is written into a copy of ``tests/fixtures/tiny`` in ``tmp_path``;
each test checks that the message names the file, the column and the line (CSV: physical
file line, header = line 1) or row (Parquet: 1 = the first row), and that validation
leaves the files as they were (checksums before and after).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The fixtures and cell editor of the main schema tests (tests/ is on sys.path).
from test_schema import (  # noqa: F401
    FIXTURE,
    _checksums,
    combat,
    edit,
    folder,
    one,
)

from trialkit.schema import (
    CROSS_RULES,
    MAX_DAY,
    WARNING_RULES,
    DataError,
    codebook_markdown,
    load_trial,
    validate_folder,
)
from trialkit.schema.source import python_records, record_lines

checksums = _checksums


def problems(folder: Path, spec: str | None = None) -> list[str]:
    """Every problem of a broken folder; the files must be unchanged afterwards."""
    before = checksums(folder)
    with pytest.raises(DataError) as info:
        load_trial(folder, spec)
    assert checksums(folder) == before
    return info.value.problems


def loaded(folder: Path, spec: str | None = None):
    before = checksums(folder)
    trial = load_trial(folder, spec)
    assert checksums(folder) == before
    return trial


def lines_of(folder: Path, file: str) -> list[str]:
    return (folder / file).read_text().splitlines()


def write_lines(folder: Path, file: str, lines: list[str]) -> None:
    (folder / file).write_text("\n".join(lines) + "\n")


# --- control characters ----------------------------------------------------------------------


def test_nul_byte_inside_a_number_is_an_error_not_a_shorter_number(folder):
    # 150 written as "15\0" + "0": pandas used to read 15.
    edit(folder, "daily.csv", 3, "platelets_10e9_l", "15\x000")
    msg = one(problems(folder), "daily.csv, column platelets_10e9_l, line 3:")
    assert "control character" in msg and "NUL" in msg and "'15\\x000'" in msg
    assert "text in a number column" not in msg


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "name"),
    [
        ("events.csv", 4, "term", "Hypo\x1btension", "0x1B"),
        ("daily.csv", 5, "patient_id", "P0\x001", "NUL"),
        ("patients.csv", 3, "site", "A\x07", "0x07"),
        ("daily.csv", 6, "gcs", "1\x7f5", "DEL"),
    ],
)
def test_control_character_anywhere_is_named_with_file_column_and_line(
    folder, file, line, column, value, name
):
    edit(folder, file, line, column, value)
    found = problems(folder)
    msg = one(found, f"{file}, column {column}, line {line}:", "control character")
    assert name in msg
    # The bad cell is reported once, not again as an unknown patient or a bad number.
    assert not [p for p in found if p != msg and f"line {line}" in p and column in p]


# --- quoted values and line numbers ----------------------------------------------------------


def test_embedded_newline_keeps_physical_line_numbers_for_later_errors(folder):
    lines = lines_of(folder, "events.csv")
    lines[1] = 'P01,1,"Bleeding\nfrom the nose",1,1'  # the record spans lines 2-3
    lines[4] = "P04,3,Headache,2,1"  # physically line 6 now
    write_lines(folder, "events.csv", lines)
    msg = one(problems(folder), "events.csv, column serious")
    assert "line 6:" in msg and "0/1 flag" in msg


def test_embedded_newlines_and_blank_lines_in_a_quoted_crlf_file(folder):
    # As R's write.csv writes: every text value quoted; here with CRLF line ends, a blank
    # line 2 and a withdrawal reason over two lines (P05, lines 7-8).
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    p.loc[4, "withdrawal_reason"] = "patient decision,\nsee the notes"
    p.loc[5, "age"] = "12"  # P06, physically line 9
    text = p.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    text = text.replace('""', "").replace("\r\n", "\r\n\r\n", 1)
    (folder / "patients.csv").write_bytes(text.encode())
    msg = one(problems(folder), "patients.csv, column age")
    assert "line 9:" in msg and "18 to 110" in msg


def test_unbalanced_quote_names_the_line_and_column_where_it_opens(folder):
    lines = lines_of(folder, "events.csv")
    lines[2] = 'P01,2,"Cardiac arrest,1,0'  # line 3: the quote is never closed
    write_lines(folder, "events.csv", lines)
    msg = one(problems(folder), "events.csv, column term, line 3:")
    assert "unbalanced quote" in msg and "never closed" in msg
    assert "EOF" not in msg


def test_unbalanced_quote_in_a_number_column(folder):
    lines = lines_of(folder, "daily.csv")
    lines[6] = lines[6].replace(",0.35,", ',"0.35,', 1)  # line 7, fio2
    write_lines(folder, "daily.csv", lines)
    msg = one(problems(folder), "daily.csv", "line 7", "quote")
    assert "fio2" in msg


def test_quote_closed_later_swallows_rows_into_a_flag_column(folder):
    # The quote opened in 'related' on line 2 closes on line 4: two rows vanish into it.
    lines = lines_of(folder, "events.csv")
    lines[1] = 'P01,1,Bleeding,1,"1'
    lines[3] = 'P02,0,Hypotension,0,1"'
    write_lines(folder, "events.csv", lines)
    msg = one(problems(folder), "events.csv, column related, line 2:")
    assert "unbalanced quote" in msg


# --- separators --------------------------------------------------------------------------------


def test_tab_separated_file_is_named_once(folder):
    text = (folder / "daily.csv").read_text().replace(",", "\t")
    (folder / "daily.csv").write_text(text)
    found = [p for p in problems(folder) if p.startswith("daily.csv")]
    assert len(found) == 1, found
    assert "tab-separated" in found[0] and "missing column" not in found[0]


def test_semicolons_and_decimal_commas_are_named_as_a_european_export(folder):
    rows = list(csv.reader(io.StringIO((folder / "daily.csv").read_text())))
    text = "\n".join(";".join(c.replace(".", ",") for c in r) for r in rows) + "\n"
    (folder / "daily.csv").write_text(text)
    found = [p for p in problems(folder) if p.startswith("daily.csv")]
    assert len(found) == 1, found
    msg = found[0]
    assert "separated by ';'" in msg and "decimal commas" in msg and "European" in msg
    assert "'0,6'" in msg and "decimal=','" in msg  # the example cell and the fix


# --- day columns have an upper bound ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "line", "column", "value"),
    [
        ("patients.csv", 3, "death_day", "1e308"),
        ("events.csv", 4, "day", "100000000000000000000"),
        ("daily.csv", 8, "day", "20210302"),  # a date written as a day
        ("patients.csv", 5, "icu_discharge_day", "inf"),
        ("patients.csv", 2, "last_contact_day", "4000"),
    ],
)
def test_a_day_beyond_ten_years_is_an_error_not_a_crash(folder, file, line, column, value):
    edit(folder, file, line, column, value)
    msg = one(problems(folder), f"{file}, column {column}, line {line}:", "plausible range")
    assert f"0 to {MAX_DAY}" in msg and "ten years" in msg


def test_the_largest_day_allowed_loads(folder):
    edit(folder, "patients.csv", 3, "last_contact_day", str(MAX_DAY))
    assert loaded(folder).patients.loc[1, "last_contact_day"] == MAX_DAY


# --- consistency rules: errors -----------------------------------------------------------------


def test_last_contact_before_death_is_an_error(folder):
    edit(folder, "patients.csv", 4, "last_contact_day", "15")  # P03 died on day 20
    msg = one(problems(folder), "patients.csv, column last_contact_day, line 4:")
    assert CROSS_RULES["contact_before_death"] in msg and "P03" in msg


def test_last_contact_before_icu_discharge_is_an_error(folder):
    edit(folder, "patients.csv", 5, "last_contact_day", "3")  # P04 discharged on day 5
    msg = one(problems(folder), "patients.csv, column last_contact_day, line 5:")
    assert CROSS_RULES["contact_before_discharge"] in msg
    assert "P04: last_contact_day 3, icu_discharge_day 5" in msg


# --- consistency rules: warnings -----------------------------------------------------------------


def drop_lines(folder: Path, file: str, *line_numbers: int) -> None:
    lines = lines_of(folder, file)
    write_lines(folder, file, [x for i, x in enumerate(lines, 1) if i not in line_numbers])


def test_analysed_patient_without_a_day0_row_is_a_warning(folder):
    drop_lines(folder, "daily.csv", 6)  # P02 day 0; P02 is in the mITT
    t = loaded(folder)
    assert len(t.warnings) == 1
    w = t.warnings[0]
    assert w.startswith("daily.csv, column day: 1 patient of the analysed population")
    assert "(mitt = 1) has no day-0 row (P02; line 3 of patients.csv)" in w
    assert "delta_sofa is missing for them" in w  # what the I-MICRO spec's rule does


def test_a_patient_outside_the_analysed_population_needs_no_day0_row(folder):
    drop_lines(folder, "daily.csv", 20)  # P05 day 0; P05 is not in the mITT
    assert loaded(folder).warnings == ()


def test_missing_icu_day_in_the_middle_of_a_stay_is_a_warning(folder):
    drop_lines(folder, "daily.csv", 16, 17)  # P04 days 2 and 3 (discharged on day 5)
    t = loaded(folder)
    assert len(t.warnings) == 1
    w = t.warnings[0]
    assert w.startswith("daily.csv, column day: 2 ICU days without a row, in 1 patient")
    assert "(P04 days 2, 3)" in w
    assert "mean_sofa averages the days present" in w and "delta_sofa is missing" in w


def test_no_row_on_the_discharge_or_death_day_itself_is_no_gap(folder):
    drop_lines(folder, "daily.csv", 10, 5)  # P02 day 4 (discharge day), P01 day 3 (death)
    assert loaded(folder).warnings == ()


def test_warnings_are_printed_after_the_summary_and_the_exit_status_stays_0(folder):
    drop_lines(folder, "daily.csv", 6, 16)
    out = io.StringIO()
    assert validate_folder(folder, stream=out) == 0
    text = out.getvalue()
    assert text.index("valid data for I-MICRO") < text.index("2 warnings")
    assert "1. daily.csv, column day: 1 patient" in text
    assert "2. daily.csv, column day: 1 ICU day without a row" in text


def test_the_bundled_twins_give_no_warning():
    root = Path(__file__).parents[1] / "data"
    for trial in ("imicro", "combat_shine"):
        assert load_trial(root / trial).warnings == ()


def test_codebook_states_every_rule_and_which_are_warnings():
    md = codebook_markdown("imicro")
    for key, rule in CROSS_RULES.items():
        assert rule in md
        line = next(x for x in md.splitlines() if rule in x)
        assert ("(warning)" in line) == (key in WARNING_RULES)
    assert "Parquet" in md and "row N" in md
    assert f"0 to {MAX_DAY}" in md


# --- Parquet ----------------------------------------------------------------------------------


def to_parquet(folder: Path, *names: str) -> None:
    """Replace CSV tables by Parquet files holding what load_trial reads from them."""
    for name in names:
        table = pacsv.read_csv(folder / f"{name}.csv")
        pq.write_table(table, folder / f"{name}.parquet")
        (folder / f"{name}.csv").unlink()


def test_parquet_tables_load_with_the_same_contract(folder):
    csv_trial = load_trial(folder)
    to_parquet(folder, "patients", "daily", "events")
    t = loaded(folder)
    for name in ("patients", "daily", "events"):
        pd.testing.assert_frame_equal(getattr(t, name), getattr(csv_trial, name))


def test_parquet_extra_tables_of_a_trial(combat):
    to_parquet(combat, "biomarkers", "qol")
    t = loaded(combat)
    assert set(t.tables) == {"biomarkers", "qol"} and len(t.tables["qol"]) == 2


def test_parquet_problems_name_the_row(folder):
    edit(folder, "daily.csv", 4, "fio2", "60")  # the 3rd data row
    edit(folder, "patients.csv", 3, "last_contact_day", "-1")
    to_parquet(folder, "patients", "daily")
    found = problems(folder)
    assert "look like percent" in one(found, "daily.parquet, column fio2, row 3:")
    assert one(found, "patients.parquet, column last_contact_day, row 2:")


def test_parquet_with_text_in_a_number_column(folder):
    edit(folder, "daily.csv", 5, "map_mmhg", "low")
    to_parquet(folder, "daily")
    msg = one(problems(folder), "daily.parquet, column map_mmhg, row 4:")
    assert "text in a number column" in msg and "'low'" in msg


def test_parquet_boolean_flag_and_date_types(folder):
    t0 = load_trial(folder)
    p = t0.patients.copy()
    table = pa.Table.from_pandas(
        p.assign(mitt=p["mitt"] == 1, randomized=p["randomized"].dt.date), preserve_index=False
    )
    pq.write_table(table, folder / "patients.parquet")
    (folder / "patients.csv").unlink()
    t = loaded(folder)
    pd.testing.assert_frame_equal(t.patients, t0.patients)


def test_both_csv_and_parquet_of_one_table_is_an_error(folder):
    pq.write_table(pacsv.read_csv(folder / "events.csv"), folder / "events.parquet")
    msg = one(problems(folder), "events.csv:", "events.parquet")
    assert "keep one" in msg


# --- the returned frames ------------------------------------------------------------------------


def test_daily_numbers_are_one_float_block_and_flags_one_int_block():
    d = load_trial(FIXTURE, "imicro").daily
    blocks = {str(b.dtype): len(b.mgr_locs) for b in d._mgr.blocks}
    assert blocks == {"float64": 12, "int64": 3, "Int64": 1, "object": 1}
    assert list(d.columns) == lines_of(FIXTURE, "daily.csv")[0].split(",")


def test_not_utf8_names_the_line_and_column(folder):
    raw = (folder / "events.csv").read_bytes().replace(b"Headache", "Céphalée".encode("latin-1"))
    (folder / "events.csv").write_bytes(raw)
    msg = one(problems(folder), "events.csv: not UTF-8")
    assert "(line 5, column term)" in msg


def test_rows_with_another_number_of_fields_are_all_listed(folder):
    lines = lines_of(folder, "daily.csv")
    lines[3] += ",9"
    lines[8] += ",9"
    lines[12] = lines[12].rsplit(",", 1)[0]
    write_lines(folder, "daily.csv", lines)
    found = problems(folder)
    assert "18 fields where the header names 17" in one(found, "daily.csv, lines 4, 9:")
    assert "16 fields where the header names 17" in one(found, "daily.csv, line 13:")


# --- the line scan against Python's csv module (the oracle) --------------------------------------

_CELL = st.one_of(
    st.sampled_from(["", "1", "2.5", "P01", "a b"]),
    # No lone CR inside a value: Python's csv module counts it as a line, editors do not.
    st.text(alphabet='ab,"\n ', min_size=1, max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=12),
    blank=st.lists(st.integers(0, 12), max_size=3),
    crlf=st.booleans(),
)
def test_record_lines_agree_with_pythons_csv_module(tmp_path_factory, rows, blank, crlf):
    end = "\r\n" if crlf else "\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator=end).writerows([["a", "b", "c"], *rows])
    lines = buf.getvalue().split(end)
    for k in sorted(set(blank), reverse=True):
        lines.insert(min(k + 1, len(lines) - 1), "")  # blank lines, never before the header
    path = tmp_path_factory.mktemp("scan") / "t.csv"
    path.write_bytes(end.join(lines).encode())
    expected, *_ = python_records(path)
    # A record of one empty field (a row ["", "", ""] is written as ",,") is not blank.
    np.testing.assert_array_equal(record_lines(path), expected)


# --- large files are read in pieces: same frames, same messages ------------------------------


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of ~150 bytes, so that the tiny fixture takes the path of a large file."""
    import trialkit.schema.read as read

    monkeypatch.setattr(read, "PIECE_BYTES", 150)


def test_parquet_in_pieces_gives_the_frames_of_one_read(folder, monkeypatch):
    whole = load_trial(folder)
    to_parquet(folder, "patients", "daily", "events")
    import trialkit.schema.read as read

    monkeypatch.setattr(read, "PIECE_ROWS", 4)  # 22 daily rows: 6 batches
    t = loaded(folder)
    for name in ("patients", "daily", "events"):
        pd.testing.assert_frame_equal(getattr(t, name), getattr(whole, name))
    edit_parquet = pq.read_table(folder / "daily.parquet").to_pandas()
    edit_parquet.loc[13, "fio2"] = 70  # the 14th row: the 4th batch
    pq.write_table(pa.Table.from_pandas(edit_parquet), folder / "daily.parquet")
    assert "look like percent" in one(problems(folder), "daily.parquet, column fio2, row 14:")


def test_reading_in_pieces_gives_the_frames_of_one_read(folder, monkeypatch):
    whole = load_trial(folder)
    import trialkit.schema.read as read

    monkeypatch.setattr(read, "PIECE_BYTES", 150)
    calls = []
    original = read._read_csv_in_pieces
    monkeypatch.setattr(
        read, "_read_csv_in_pieces", lambda *a: calls.append(a[1].file) or original(*a)
    )
    pieces = loaded(folder)
    assert "daily.csv" in calls
    for name in ("patients", "daily", "events"):
        pd.testing.assert_frame_equal(getattr(pieces, name), getattr(whole, name))
    blocks = {str(b.dtype): len(b.mgr_locs) for b in pieces.daily._mgr.blocks}
    assert blocks == {"float64": 12, "int64": 3, "Int64": 1, "object": 1}


def test_record_pieces_cut_between_records_only(tmp_path):
    # Quoted values with line breaks and commas: a cut never falls inside one.
    rows = [[f"P{i}", f"line one\nline {i}, two", str(i)] for i in range(200)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["id", "text", "n"], *rows])
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue())
    header = len(buf.getvalue().split("\n", 1)[0]) + 1
    from trialkit.schema.source import record_pieces

    pieces = [bytes(p) for p in record_pieces(path, header, 97)]
    assert len(pieces) > 10
    assert b"".join(pieces) == path.read_bytes()[header:]
    got = []
    for piece in pieces:
        got += list(csv.reader(io.StringIO(piece.decode(), newline="")))
    assert got == rows


@pytest.mark.parametrize("final_break", [True, False])
def test_record_pieces_longer_records_than_a_piece(tmp_path, final_break):
    # Records longer than the piece (the buffer grows), and a file without a final break.
    from trialkit.schema.source import record_pieces

    rows = [[f"P{i}", ("x" * (40 * i)) + "\nend", str(i)] for i in range(12)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["id", "text", "n"], *rows])
    text = buf.getvalue() if final_break else buf.getvalue().rstrip("\n")
    path = tmp_path / "t.csv"
    path.write_text(text)
    header = len(text.split("\n", 1)[0]) + 1
    pieces = [bytes(p) for p in record_pieces(path, header, 64)]
    assert b"".join(pieces) == path.read_bytes()[header:]
    assert all(p.endswith(b"\n") for p in pieces[:-1])
    got = []
    for piece in pieces:
        got += list(csv.reader(io.StringIO(piece.decode(), newline="")))
    assert got == rows


@pytest.mark.parametrize(
    ("line", "column", "value", "needle"),
    [
        (9, "fio2", "60", "daily.csv, column fio2, line 9:"),  # a range problem
        (15, "gcs", "low", "daily.csv, column gcs, line 15:"),  # text: a type change
        (20, "mech_vent", "", "daily.csv, column mech_vent, line 20:"),  # a missing flag
        (12, "patient_id", "P\x0003", "daily.csv, column patient_id, line 12:"),
    ],
)
def test_reading_in_pieces_reports_as_one_read(folder, small_pieces, line, column, value, needle):
    edit(folder, "daily.csv", line, column, value)
    found = problems(folder)
    assert one(found, needle)
