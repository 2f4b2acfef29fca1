"""The codebook of a data folder, built from the column declarations."""

from __future__ import annotations

from collections.abc import Sequence

from trialkit.schema.columns import (
    CROSS_RULES,
    DAILY,
    DAY,
    EVENTS,
    EXTRA_COLUMNS,
    MAX_DAY,
    NA_VALUES,
    PATIENT_ID,
    PATIENTS,
    WARNING_RULES,
    ColumnDef,
    _with_arms,
)
from trialkit.spec import Spec, load_spec

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
        f"Every day column lies in 0 to {MAX_DAY} (ten years). "
        "Check a folder with `trialkit validate DIR`.",
        "",
        "Any table may be a Parquet file instead (`daily.parquet` for `daily.csv`; not both): "
        "the same columns and rules apply, a 0/1 flag may be stored as a boolean and a date "
        "as a date, and problems name the row (row N, 1 = the first row) where CSV problems "
        "name the file line (header = line 1).",
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
        "A broken rule refuses the folder, except those marked (warning): the folder is "
        "then valid, and `trialkit validate` and the report list the patients concerned "
        "and what the endpoint rules do with them.",
        "",
        *[
            f"- {rule}{' (warning)' if key in WARNING_RULES else ''}."
            for key, rule in CROSS_RULES.items()
        ],
        "- one row per patient per day in daily.csv and in every extra table.",
        "- no control character (such as a NUL byte) in any value, and no line break inside "
        "a quoted value except in free text.",
        "",
    ]
    return "\n".join(parts)
