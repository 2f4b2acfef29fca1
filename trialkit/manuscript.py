"""Tables to paste into a manuscript: Table 1, the CONSORT counts and the results, as a Word
document and as CSV, formatted as journals print them.

Each table has a formatting function that takes a frame trialkit already makes and returns
the cells as text, the frame that is written: :func:`format_table_one`
(:func:`trialkit.tables.table_one`), :func:`format_consort`
(:func:`trialkit.tables.consort_counts`) and :func:`format_results` (``results.csv``,
:func:`trialkit.results.collect`). Its ``attrs`` hold the ``title`` and the ``footnotes``.
:func:`write_tables` writes each as CSV and all of them in one ``.docx``, so the CSV and the
Word document hold the same cells.

Conventions (those of NEJM, JAMA and the Lancet, as far as they agree):

- counts ``n (%)``, ``mean (SD)``, ``median (Q1 to Q3)``: "to" rather than a dash, which
  a negative limit would make ambiguous; the header says "median (IQR)";
- an estimate with its interval ``1.09 (0.80 to 1.49)``, P values with two significant
  digits, ``<0.001`` below 0.001 (:mod:`trialkit.formatting`);
- no P value in Table 1: a baseline difference between randomized arms is chance by
  construction (CONSORT 2010, item 15); the standardized mean difference shows balance;
- arm labels from the spec, never written here; a footnote for every method note, for a
  published figure that is *derived* (not printed in a source, computed from printed ones)
  or *provisional* (from a secondary source), and for a check by another method.

The Word document (:mod:`trialkit.word`) is byte-stable: the same tables give the same bytes
(no time, version or random id in the file; the zip entries carry a fixed date).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialkit.formatting import format_estimate, format_numbers, format_p, shown_decimals
from trialkit.spec import Spec
from trialkit.word import write_docx

__all__ = ["format_consort", "format_results", "format_table_one", "write_tables"]

#: Leading spaces of a row that sits under a header row (a level of a categorical variable,
#: a reason for exclusion): in the CSV and in the Word cell alike.
INDENT = "    "
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
DERIVED, PROVISIONAL, CHECK = "†", "‡", "§"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _frame(
    rows: list[list[str]], columns: list[str], title: str, footnotes: list[str]
) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns, dtype=object).fillna("")
    out.attrs["title"] = title
    out.attrs["footnotes"] = footnotes
    return out


def _population(spec: Spec, population: str | None) -> tuple[str, str]:
    """The population's name and its flag column."""
    name = "primary" if population is None else population
    return name, spec.populations.get(name, name)


def _check_frame(frame: Any, columns: Sequence[str], what: str, where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where}: {what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: {what} lacks column(s) {missing} (it has {list(map(str, frame.columns))})"
        )


# -- Table 1 --------------------------------------------------------------------------------

_BRACKETS = re.compile(r"^\s*(\S+) \[(\S+),\s*(\S+)\]\s*$")


def format_table_one(
    table1: pd.DataFrame,
    *,
    spec: Spec,
    population: str | None = None,
    smd: bool = True,
) -> pd.DataFrame:
    """Table 1 as a journal prints it, from :func:`trialkit.tables.table_one`.

    One row per continuous characteristic (``mean (SD)`` or ``median (IQR)``, printed
    ``median (Q1 to Q3)``); a header row per categorical one and a row per level, indented by
    ``INDENT``, with ``n (%)``. The number of patients of each arm goes to its column
    header, missing values to a footnote.

    Parameters
    ----------
    table1 : pandas.DataFrame
        :func:`trialkit.tables.table_one` of the analysed patients: rows ``(variable, level)``,
        columns ``Missing``, one per arm and ``SMD (...)``.
    spec : trialkit.spec.Spec
        The trial's spec: its arms name the columns.
    population : str, optional
        The population described (default the spec's primary one), for the title.
    smd : bool
        Keep the standardized mean differences as a last column.

    Returns
    -------
    pandas.DataFrame
        Text cells: ``Characteristic``, ``<arm 1> (n = ...)``, ``<arm 2> (n = ...)`` and
        ``SMD``; ``attrs["title"]`` and ``attrs["footnotes"]``.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> from trialkit.tables import table_one
    >>> d = pd.DataFrame({"arm": ["iloprost", "placebo"] * 3, "age": [60, 70, 65, 55, 72, 61],
    ...                   "sex": ["F", "M", "M", "M", "F", "F"]})
    >>> t = table_one(d, ["age", "sex"], arms=["iloprost", "placebo"], categorical=["sex"],
    ...               labels={"age": "Age, years", "sex": "Sex"})
    >>> cells = format_table_one(t, spec=load_spec("imicro"), smd=False)
    >>> print(cells.to_string(index=False))  # doctest: +NORMALIZE_WHITESPACE
           Characteristic iloprost (n = 3) placebo (n = 3)
    Age, years, mean (SD)       65.7 (6.0)      62.0 (7.5)
               Sex, n (%)
                        F         2 (66.7)        1 (33.3)
                        M         1 (33.3)        2 (66.7)
    """
    where = "format_table_one"
    arms = list(spec.arms)
    _check_frame(table1, arms, "table1", where)
    index = table1.index
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise ValueError(f"{where}: table1 must have tableone's (variable, level) row index")
    smd_col = next((c for c in table1.columns if str(c).startswith("SMD")), None)
    missing_col = "Missing" if "Missing" in table1.columns else None
    name, flag = _population(spec, population)

    counts = {a: "" for a in arms}
    rows: list[list[str]] = []
    missing_notes = []
    seen: set[str] = set()
    for (variable, level), row in table1.iterrows():
        variable, level = str(variable), str(level)
        if variable == "n":
            counts = {a: str(row[a]).strip() for a in arms}
            continue
        label = variable.replace("median [Q1,Q3]", "median (IQR)")
        cells = [_table_one_cell(row[a]) for a in arms]
        smd_text = str(row[smd_col]).strip() if smd_col is not None else ""
        if missing_col is not None and variable not in seen:
            n_missing = pd.to_numeric(str(row[missing_col]).strip() or "0", errors="coerce")
            if n_missing and n_missing > 0:
                missing_notes.append(f"{label.split(', ')[0]} {int(n_missing)}")
        if level:
            if variable not in seen:  # the header row of a categorical variable
                rows.append([label, *([""] * len(arms)), smd_text])
            rows.append([INDENT + level, *cells, ""])
        else:
            rows.append([label, *cells, smd_text])
        seen.add(variable)

    headers = [f"{a} (n = {counts[a]})" if counts[a] else a for a in arms]
    columns = ["Characteristic", *headers, "SMD"]
    if not smd:
        rows = [r[:-1] for r in rows]
        columns = columns[:-1]
    footnotes = [
        "Mean (SD), median (Q1 to Q3) or number of patients (%).",
        f"Patients of the {name} population ({flag} = 1), by randomized arm.",
    ]
    if smd and smd_col is not None:
        footnotes.append(
            f"SMD: standardized mean difference, {arms[1]} minus {arms[0]} (for categorical "
            "characteristics, Yang and Dalton's multivariate SMD, unsigned). No P values: "
            "baseline differences between randomized arms are due to chance (CONSORT 2010, "
            "item 15)."
        )
    if missing_notes:
        footnotes.append("Missing values (patients): " + "; ".join(missing_notes) + ".")
    title = f"{spec.name}, Table 1. Characteristics of the patients at baseline ({name} population)"
    return _frame(rows, columns, title, footnotes)


def _table_one_cell(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    m = _BRACKETS.match(text)
    return f"{m[1]} ({m[2]} to {m[3]})" if m else text.strip()


# -- CONSORT ------------------------------------------------------------------------------

_STAGES = {
    "randomized": "Randomized",
    "excluded": "Excluded after randomization",
    "analysed": "Analysed",
}


def format_consort(
    consort: pd.DataFrame,
    *,
    spec: Spec,
    population: str | None = None,
) -> pd.DataFrame:
    """The CONSORT flow as a table, from :func:`trialkit.tables.consort_counts`.

    A stage without reasons is one row; a stage with reasons (exclusions, losses) is a row
    with its totals followed by one indented row per reason. Stages keep the order of the
    input; stages other than randomized, excluded and analysed (screened, lost to
    follow-up ...) are shown by their name.

    Parameters
    ----------
    consort : pandas.DataFrame
        ``stage, reason``, one count column per arm and ``total``.
    spec : trialkit.spec.Spec
        The trial's spec (arm labels, populations).
    population : str, optional
        The analysed population named in the "Analysed" row (default primary).

    Returns
    -------
    pandas.DataFrame
        Text cells: ``Stage``, one column per arm, ``Total``; ``attrs["title"]`` and
        ``attrs["footnotes"]``.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> c = pd.DataFrame({"stage": ["randomized", "excluded", "analysed"],
    ...                   "reason": ["", "consent withdrawn", ""],
    ...                   "iloprost": [2, 1, 1], "placebo": [1, 0, 1], "total": [3, 1, 2]})
    >>> print(format_consort(c, spec=load_spec("imicro")).to_string(index=False))
                            Stage iloprost placebo Total
                       Randomized        2       1     3
     Excluded after randomization        1       0     1
                consent withdrawn        1       0     1
    Analysed (primary population)        1       1     2
    """
    where = "format_consort"
    arms = list(spec.arms)
    _check_frame(consort, ["stage", "reason", *arms, "total"], "consort", where)
    name, flag = _population(spec, population)
    counts = [*arms, "total"]
    rows: list[list[str]] = []
    stages = consort["stage"].astype(str)
    reasons = consort["reason"].fillna("").astype(str).str.strip()
    for stage in dict.fromkeys(stages):
        part = consort[stages == stage]
        why = reasons[stages == stage]
        label = _STAGES.get(stage, stage.replace("_", " ").capitalize())
        if stage == "analysed":
            label += f" ({name} population)"
        totals = [str(int(part[c].sum())) for c in counts]
        rows.append([label, *totals])
        if (why != "").any():
            for (_, r), reason in zip(part.iterrows(), why, strict=True):
                rows.append(
                    [INDENT + (reason or "reason not recorded"), *(str(int(r[c])) for c in counts)]
                )
    footnotes = [
        "Numbers of patients, counted from the trial's data (patients.csv).",
        f"Analysed: the {name} population, patients with {flag} = 1. Reasons for exclusion "
        "as recorded in the data (CONSORT 2010, item 13).",
    ]
    title = f"{spec.name}, Table 2. Flow of patients through the trial (CONSORT)"
    return _frame(rows, ["Stage", *arms, "Total"], title, footnotes)


# -- results --------------------------------------------------------------------------------

_RESULT_COLUMNS = (
    "analysis_id", "label", "arm_1", "arm_2", "estimate", "ci_low", "ci_high", "p_value",
    "published_estimate", "published_ci_low", "published_ci_high", "published_p", "source",
    "verdict", "note",
)  # fmt: skip
_PARTS = ("q1", "q3", "n", "percent")


def _arm_cells(rows: Sequence[Mapping[str, Any] | None], prefix: str = "") -> list[str]:
    """The arms' numbers of one summary with what is printed beside them, ``48/114 (42.1%)``
    or ``-4 (-7 to 6)``, the arms' numbers with the same decimals (``prefix`` "published_"
    reads the published ones, printed with the decimals they were published with)."""

    def get(row: Mapping[str, Any] | None, key: str) -> float:
        v = math.nan if row is None else row.get(prefix + key, math.nan)
        return float(v) if v is not None and not pd.isna(v) else math.nan

    points = [v for r in rows for v in (get(r, "estimate"), get(r, "q1"), get(r, "q3"))]
    text = shown_decimals(points) if prefix else format_numbers(points)
    out = []
    for i, row in enumerate(rows):
        est, q1, q3 = text[3 * i : 3 * i + 3]
        cell = f"{est} ({q1} to {q3})" if est and q1 and q3 else est
        n, pct = get(row, "n"), get(row, "percent")
        if np.isfinite(n):
            cell = f"{cell}/{int(n)}" if cell else str(int(n))
        if np.isfinite(pct):
            # Percentages to one decimal at most (42.1%, 6.6%, 50%).
            shown = shown_decimals([pct])[0] if prefix else format_numbers([pct], max_decimals=1)[0]
            cell = f"{cell} ({shown}%)" if cell else f"{shown}%"
        out.append(cell)
    return out


def _published_text(row: Mapping[str, Any]) -> str:
    """The published figure of a comparison: ``1.08 (0.80 to 1.50), P = 0.12``."""

    def get(key: str) -> float:
        v = row.get(f"published_{key}", math.nan)
        return float(v) if v is not None and not pd.isna(v) else math.nan

    est, lo, hi = shown_decimals([get("estimate"), get("ci_low"), get("ci_high")])
    text = f"{est} ({lo} to {hi})" if est and lo and hi else est
    if not text and any(np.isfinite(get(k)) for k in ("q1", "q3", "n", "percent")):
        text = _arm_cells([row], prefix="published_")[0]
    p = get("p")
    if np.isfinite(p):
        shown = shown_decimals([p])[0]
        text = f"{text}, P = {shown}" if text else f"P = {shown}"
    return text + _flags([row]) if text else ""


def _flags(rows: Sequence[Mapping[str, Any]]) -> str:
    source = " ".join(str(r.get("source", "")) for r in rows)
    return (DERIVED if "derived" in source else "") + (
        PROVISIONAL if "provisional" in source else ""
    )


def _strip_prefix(label: str, prefix: str) -> str:
    if prefix and label.lower().startswith(prefix.lower()):
        rest = label[len(prefix) :].lstrip(" ,:;-")
        if rest:
            return rest[0].upper() + rest[1:]
    return label


def _without_arm(label: str, arm: str) -> str:
    out = re.sub(rf"(,\s*)?\b{re.escape(arm)}\b", "", label).strip(" ,")
    return re.sub(r"\s+\(", " (", out)


def format_results(
    results: pd.DataFrame,
    *,
    spec: Spec,
    population: str | None = None,
    conf_level: float = 0.95,
    totals: bool = False,
) -> pd.DataFrame:
    """The results table, from ``results.csv`` (:func:`trialkit.results.collect`).

    Rows are grouped by endpoint (the first part of ``analysis_id``), the primary endpoint
    first and then in spec order, each under a header row with the endpoint's label; rows of
    other analyses follow under "Other analyses". Within an endpoint, the summaries of each
    arm come first (rows with one arm; the two arms of a summary, ``<id>.<arm>``, share a
    row), then the comparisons: ``Estimate (95% CI)`` and ``P value``, with ``Published``
    (the published figure, marked † derived or ‡ provisional) and ``Verdict`` when a row
    has a published figure. A row's ``note`` becomes a numbered footnote (superscript
    number on its label); a check by another method than the published one is marked §.

    Parameters
    ----------
    results : pandas.DataFrame
        ``results.csv``: at least ``analysis_id, label, arm_1, arm_2, estimate, ci_low,
        ci_high, p_value``, the ``published_`` columns, ``source, verdict, note``; ``kind``
        and the parts ``q1, q3, n, percent`` (and their ``published_`` columns) where
        recorded.
    spec : trialkit.spec.Spec
        The trial's spec (arms, endpoint labels and order, populations).
    population : str, optional
        The population of the analyses, for the footnote (default primary).
    conf_level : float
        The level of the recorded intervals (``results.csv`` does not store it), for the
        column header.
    totals : bool
        Keep rows of no arm (the totals of the population, which the CONSORT table shows).

    Returns
    -------
    pandas.DataFrame
        Text cells: ``Outcome``, one column per arm, ``Estimate (95% CI)``, ``P value`` and,
        when anything is published, ``Published`` and ``Verdict``; ``attrs["title"]`` and
        ``attrs["footnotes"]``.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> r = pd.DataFrame({"analysis_id": ["death_d28.rr"], "label": ["Death by day 28, "
    ...     "relative risk"], "arm_1": ["iloprost"], "arm_2": ["placebo"], "estimate": [1.0929],
    ...     "ci_low": [0.801], "ci_high": [1.4913], "p_value": [0.5751]})
    >>> t = format_results(r, spec=load_spec("imicro"))
    >>> t.iloc[1].tolist()
    ['Relative risk', '', '', '1.09 (0.80 to 1.49)', '0.58']
    """
    where = "format_results"
    arms = list(spec.arms)
    _check_frame(results, ["analysis_id", "label", "arm_1", "arm_2", "estimate"], "results", where)
    if not 0 < conf_level < 1:
        raise ValueError(f"{where}: conf_level must be in (0, 1), got {conf_level!r}")
    numbers = ["estimate", "ci_low", "ci_high", "p_value", *_PARTS]
    numbers += [f"published_{k}" for k in ("estimate", "ci_low", "ci_high", "p", *_PARTS)]
    table = results.reindex(
        columns=list(
            dict.fromkeys([*results.columns, *numbers, "source", "verdict", "note", "kind"])
        )
    )
    table[numbers] = table[numbers].apply(pd.to_numeric, errors="coerce")
    for c in ("arm_1", "arm_2", "source", "verdict", "note", "kind", "label", "analysis_id"):
        table[c] = table[c].fillna("").astype(str)
    if not totals:
        table = table[(table["arm_1"] != "") | (table["arm_2"] != "")]
    published = bool(table[["published_estimate", "published_p"]].notna().any(axis=None))
    effect = f"Estimate ({round(conf_level * 100, 1):g}% CI)"
    columns = ["Outcome", *arms, effect, "P value"] + (
        ["Published", "Verdict"] if published else []
    )

    endpoint_of = table["analysis_id"].str.split(".").str[0]
    order = sorted(spec.endpoints, key=lambda e: not spec.is_primary(e))
    groups = [e for e in order if (endpoint_of == e).any()]
    others = sorted(set(endpoint_of) - set(spec.endpoints))
    notes: dict[str, int] = {}
    rows: list[list[str]] = []
    marks = {"derived": False, "provisional": False, "check": False}

    def label_of(row: pd.Series, prefix: str) -> str:
        text = _strip_prefix(row["label"], prefix)
        if row["kind"] == "check":
            text += CHECK
            marks["check"] = True
        note = row["note"].strip()
        if note:
            number = notes.setdefault(note, len(notes) + 1)
            text += str(number).translate(_SUPERSCRIPT)
        return text

    def add_group(part: pd.DataFrame, header: str, prefix: str) -> None:
        rows.append([header, *([""] * (len(columns) - 1))])
        one_arm = part[(part["arm_2"] == "") & part["arm_1"].isin(arms)]
        merged: dict[str, dict[str, pd.Series]] = {}
        for _, r in one_arm.iterrows():
            suffix = f".{r['arm_1']}"
            key = (
                r["analysis_id"][: -len(suffix)]
                if r["analysis_id"].endswith(suffix)
                else r["analysis_id"]
            )
            merged.setdefault(key, {})[r["arm_1"]] = r
        for by_arm in merged.values():
            first = next(iter(by_arm.values()))
            label = _without_arm(label_of(first, prefix), first["arm_1"])
            given = [by_arm[a].to_dict() if a in by_arm else None for a in arms]
            line = [label, *_arm_cells(given), "", ""]
            if published:
                pubs = _arm_cells(given, prefix="published_")
                shown = " vs ".join(p for p in pubs if p)
                verdicts = list(dict.fromkeys(by_arm[a]["verdict"] for a in arms if a in by_arm))
                flags = _flags([r for r in given if r is not None])
                line += [shown + flags if shown else "", " / ".join(verdicts)]
            rows.append(line)
        rest = part.drop(index=one_arm.index)
        rest = rest.assign(_check=rest["kind"] == "check").sort_values("_check", kind="stable")
        for _, r in rest.iterrows():
            line = [
                label_of(r, prefix),
                *([""] * len(arms)),
                format_estimate(r["estimate"], r["ci_low"], r["ci_high"]),
                format_p(r["p_value"]),
            ]
            if published:
                line += [_published_text(r), r["verdict"]]
            rows.append(line)
        for r in part.itertuples():
            marks["derived"] |= "derived" in r.source and r.verdict != "not published"
            marks["provisional"] |= "provisional" in r.source and r.verdict != "not published"

    for e in groups:
        header = spec.label(e) + (" (primary outcome)" if spec.is_primary(e) else "")
        add_group(table[endpoint_of == e], header, spec.label(e))
    if others:
        add_group(table[endpoint_of.isin(others)], "Other analyses", "")

    name, flag = _population(spec, population)
    by_population: dict[str, list[str]] = {}
    for e in groups:
        if spec.population_of(e) != "primary":
            by_population.setdefault(spec.population_of(e), []).append(spec.label(e))
    footnotes = [
        f"{arms[0]} compared with {arms[1]}: differences are {arms[0]} minus {arms[1]}, "
        f"ratios {arms[0]} over {arms[1]}. P values two-sided.",
        f"Population: {name} ({flag} = 1)"
        + "".join(
            f"; {p} ({spec.populations.get(p, p)} = 1) for {', '.join(labels)}"
            for p, labels in by_population.items()
        )
        + ".",
    ]
    if marks["check"]:
        footnotes.append(
            f"{CHECK} A check by another method than the published one, not a "
            "reproduction of the published figure."
        )
    if marks["derived"]:
        footnotes.append(
            f"{DERIVED} Derived: not printed in the source, computed from figures "
            "that are (published.toml gives the arithmetic)."
        )
    if marks["provisional"]:
        footnotes.append(
            f"{PROVISIONAL} Provisional: from a secondary source, to be checked "
            "against the publication."
        )
    footnotes += [f"{str(n).translate(_SUPERSCRIPT)} {text}" for text, n in notes.items()]
    title = f"{spec.name}, Table 3. Outcomes"
    return _frame(rows, columns, title, footnotes)


def write_tables(
    out_dir: str | Path,
    *,
    spec: Spec,
    table1: pd.DataFrame | None = None,
    consort: pd.DataFrame | None = None,
    results: pd.DataFrame | None = None,
    name: str = "tables",
    population: str | None = None,
) -> list[Path]:
    """Write Table 1, the CONSORT counts and the results as one ``.docx`` and one CSV each.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created if needed), e.g. the trial's report folder.
    spec : trialkit.spec.Spec
        The trial's spec.
    table1, consort, results : pandas.DataFrame, optional
        :func:`trialkit.tables.table_one`, :func:`trialkit.tables.consort_counts` and
        ``results.csv`` (:func:`trialkit.results.collect`); a table not given is left out.
    name : str
        The files' stem: ``<name>.docx``, ``<name>_table1.csv``, ``<name>_consort.csv``,
        ``<name>_results.csv``.
    population : str, optional
        The population of Table 1 and of the analyses (default primary), for titles and
        footnotes.

    Returns
    -------
    list of Path
        The ``.docx`` first, then the CSV files written. The CSV hold the cells of the Word
        tables (UTF-8 with a byte-order mark, which Excel needs to read "†" and "≥").

    Examples
    --------
    >>> import tempfile
    >>> from trialkit.spec import load_spec
    >>> from trialkit.tables import consort_counts
    >>> p = pd.DataFrame({"arm": ["iloprost", "placebo", "placebo"], "mitt": [1, 1, 0]})
    >>> flow = consort_counts(p, analysed="mitt", arms=["iloprost", "placebo"])
    >>> paths = write_tables(tempfile.mkdtemp(), spec=load_spec("imicro"), consort=flow)
    ... # doctest: +SKIP
    >>> [q.name for q in paths]  # doctest: +SKIP
    ['tables.docx', 'tables_consort.csv']
    """
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise ValueError(
            f"write_tables: name {name!r} must start with a letter or digit and hold only "
            "letters, digits, '_', '.', '-' (it names the files)"
        )
    formatted = {}
    if table1 is not None:
        formatted["table1"] = format_table_one(table1, spec=spec, population=population)
    if consort is not None:
        formatted["consort"] = format_consort(consort, spec=spec, population=population)
    if results is not None:
        formatted["results"] = format_results(results, spec=spec, population=population)
    if not formatted:
        raise ValueError("write_tables: give at least one of table1, consort, results")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        write_docx(out / f"{name}.docx", list(formatted.values()), title=f"{spec.name}: tables")
    ]
    for key, cells in formatted.items():
        path = out / f"{name}_{key}.csv"
        cells.to_csv(path, index=False, lineterminator="\n", encoding="utf-8-sig")
        paths.append(path)
    return paths
