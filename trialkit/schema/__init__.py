"""The input contract: read a trial's data folder, validate it, refuse what is wrong.

A trial folder holds ``patients.csv``, ``daily.csv``, ``events.csv`` and the extra tables
its spec names (``[tables]``); any of them may be a Parquet file instead
(``daily.parquet``). Every column is declared once, as a :class:`ColumnDef` in
:data:`PATIENTS`, :data:`DAILY`, :data:`EVENTS` or :data:`EXTRA_COLUMNS`; the pandera
schemas, the problem messages and the codebook (:func:`codebook_markdown`) are all built
from these declarations, so the three cannot drift apart.

Validation runs in three steps and collects every problem before raising one
:class:`DataError` (modules in brackets):

1. reading (``read``, ``frame``, ``parse``; pyarrow): missing, empty or doubled file,
   not UTF-8, tab- or semicolon-separated, rows with another number of fields, a quote
   never closed, control characters (a NUL byte) and line breaks inside values, missing
   column, text in a number column (a decimal comma is named as such), impossible or
   non-ISO dates;
2. per table (``checks``; pandera, lazy): empty required cells, plausible ranges with
   unit hints (days up to :data:`MAX_DAY`), 0/1 flags, categories, whole numbers,
   duplicate keys;
3. across tables (``cross``; vectorized): patients never randomized, rows after death or
   ICU discharge, discharge after death, last contact before death or discharge. On a
   valid folder, the rules in :data:`WARNING_RULES` (an analysed patient without a day-0
   row, ICU days without a row) become ``Trial.warnings``.

Each message names the file, the column, the physical file line numbers (header = line 1;
blank lines and line breaks inside quoted values counted) or the Parquet row numbers (the
first five, then ``(+N more)``) and the rule (``source``). Files are opened read-only.
"""

from trialkit.schema.codebook import codebook_markdown
from trialkit.schema.columns import (
    CROSS_RULES,
    DAILY,
    DAILY_LABELS,
    DAY,
    EVENTS,
    EXTRA_COLUMNS,
    MAX_DAY,
    NA_VALUES,
    PATIENT_ID,
    PATIENTS,
    WARNING_RULES,
    ColumnDef,
    Kind,
)
from trialkit.schema.load import load_trial, sofa2_missing, validate_folder
from trialkit.schema.schemas import daily_schema, events_schema, patients_schema
from trialkit.schema.trial import DataError, Trial

__all__ = [
    "CROSS_RULES",
    "DAILY",
    "DAILY_LABELS",
    "DAY",
    "EVENTS",
    "EXTRA_COLUMNS",
    "MAX_DAY",
    "NA_VALUES",
    "PATIENTS",
    "PATIENT_ID",
    "WARNING_RULES",
    "ColumnDef",
    "DataError",
    "Kind",
    "Trial",
    "codebook_markdown",
    "daily_schema",
    "events_schema",
    "load_trial",
    "patients_schema",
    "sofa2_missing",
    "validate_folder",
]
