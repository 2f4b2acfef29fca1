"""Public entry points: load_trial and validate_folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from trialkit.schema.checks import _validate_table
from trialkit.schema.columns import (
    _CORE_FILES,
    _DAILY_KEY,
    DAILY,
    DAY,
    EVENTS,
    EXTRA_COLUMNS,
    PATIENT_ID,
    PATIENTS,
    ColumnDef,
    _extra_table_columns,
    _with_arms,
)
from trialkit.schema.cross import consistency_warnings, cross_checks, vasopressor_check
from trialkit.schema.read import find_file, read_table
from trialkit.schema.source import Source
from trialkit.schema.trial import DataError, Trial
from trialkit.spec import Spec, SpecError, load_spec


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


def _finish(df: pd.DataFrame, defs: Sequence[ColumnDef], labels: bool = False) -> pd.DataFrame:
    """Final dtypes of a valid table, with a fresh 0..n-1 index (in place: the frame is ours).

    A column is replaced only when its dtype changes: replacing one column of a block
    splits the block, and the numbers must stay in one float64 block. ``labels``: category
    columns with the contract's labels stay categorical, with those labels in the
    contract's order (the daily table: a byte a row instead of a text object, and SOFA-2
    reads the codes without hashing text).
    """
    out = df
    out.index = pd.RangeIndex(len(out))
    for d in defs:
        if d.name not in out:
            continue
        s = out[d.name]
        if d.kind == "day" and s.dtype != "Int64":
            if s.dtype == np.int64:  # no missing day: wrap the values, no copy
                out[d.name] = pd.arrays.IntegerArray(s.to_numpy(), np.zeros(len(s), dtype=bool))
            else:
                out[d.name] = pd.array(s, dtype="Int64")
        elif d.kind == "flag" and s.dtype != np.int64:
            out[d.name] = s.astype("int64")
        elif d.kind == "number" and s.dtype != np.float64:
            out[d.name] = s.astype("float64")
        elif d.kind == "text" and d.nullable:
            # Documented contract: empty text is "", never NaN (e.g. exclusion_reason).
            out[d.name] = s.astype(object).fillna("")
        elif labels and d.kind == "category" and d.values:
            out[d.name] = pd.Categorical(s, categories=list(d.values))
        elif d.kind in ("id", "text", "category") and s.dtype != object:
            out[d.name] = s.astype(object)  # a categorical patient_id: shared str objects
    return out


def sofa2_missing(daily: pd.DataFrame, spec: Spec) -> list[str]:
    """What SOFA-2 needs under the spec's ``[sofa]`` options and ``daily`` does not have
    (one problem per missing column, naming the option that needs it); empty when it can be
    scored."""
    from trialkit.sofa import COMPONENTS, VERSIONS

    version = VERSIONS["sofa2"]
    options = {k: v for k, v in spec.sofa.items() if k not in ("version", "exclude", "missing")}
    include = tuple(c for c in COMPONENTS if c not in spec.sofa.get("exclude", ()))
    try:
        version.needed(daily, include, version.options(options))
    except DataError as exc:
        return exc.problems
    return []


def load_trial(path: str | Path, spec: Spec | str | Path | None = None) -> Trial:
    """Read and validate a trial's data folder.

    Parameters
    ----------
    path : str or Path
        Folder with ``patients.csv``, ``daily.csv``, ``events.csv`` and the extra tables
        named in the spec's ``[tables]``. Any of them may be a Parquet file instead
        (``daily.parquet`` for ``daily.csv``), checked by the same rules.
    spec : Spec, str or Path, optional
        The trial's spec, a spec id or a path to a spec file. Default: the folder's name
        (``data/imicro`` -> ``"imicro"``).

    Returns
    -------
    Trial
        ``patient_id`` as text (``object``); the daily table's category columns
        (``resp_support``, ``ecmo``) as ``category`` with the contract's labels in order;
        days (``day``, ``death_day``, ...) as
        nullable ``Int64``; 0/1 flags as ``int64``; clinical values as ``float64``;
        ``randomized`` as ``datetime64[ns]``; empty free text as ``""``. The clinical
        values of a table share one float64 block and its flags one int64 block, in the
        file's column order. Each frame has a 0..n-1 index in file order (file line =
        index + 2 when the file has no blank lines and no line break inside a quoted
        value). ``Trial.warnings`` lists what is valid but changes the analysis (an
        analysed patient without a day-0 row, ICU days without a row): each names the
        file, column, count, examples and what the endpoint rules do with it.

    Raises
    ------
    DataError
        With every problem found; each names the file, column, lines (CSV; header = line
        1, physical lines) or rows (Parquet; 1 = the first row) and rule.
    trialkit.spec.SpecError
        If the spec cannot be found.

    Notes
    -----
    Files are only read. CSV files are read by ``pyarrow.csv`` (multithreaded), ids
    dictionary-encoded, and every check is vectorized (O(n) in the rows, a hash of the
    distinct ids only): 10^7 daily rows load within about twice pyarrow's own read time
    (``benchmarks/bench_schema.py``).

    Examples
    --------
    >>> from trialkit.schema import load_trial
    >>> trial = load_trial("tests/fixtures/tiny", spec="imicro")
    >>> trial.patients["arm"].value_counts().to_dict()
    {'iloprost': 3, 'placebo': 3}
    >>> trial.warnings
    ()
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a folder (expected a trial data folder)")
    spec = _resolve_spec(path, spec)
    problems: list[str] = []
    sources: dict[str, Source] = {}

    def read(file: str, defs: Sequence[ColumnDef]) -> pd.DataFrame | None:
        found = find_file(path, file, problems)
        if found is None:
            return None
        raw, sources[file] = read_table(found, defs, problems)
        return raw

    patient_defs = _with_arms(PATIENTS, spec)
    raw_p = read("patients.csv", patient_defs)
    raw_d = read("daily.csv", DAILY)
    raw_e = read("events.csv", EVENTS)

    def baseline(raw: pd.DataFrame) -> tuple[ColumnDef, ...]:
        return patient_defs + tuple(EXTRA_COLUMNS[c] for c in raw if c in EXTRA_COLUMNS)

    pdefs = baseline(raw_p) if raw_p is not None else patient_defs
    patients = _validate_table(raw_p, sources.get("patients.csv"), pdefs, problems)
    daily = _validate_table(raw_d, sources.get("daily.csv"), DAILY, problems, unique=_DAILY_KEY)
    events = _validate_table(raw_e, sources.get("events.csv"), EVENTS, problems, allow_empty=True)

    tables: dict[str, pd.DataFrame] = {}
    table_defs: dict[str, tuple[ColumnDef, ...]] = {}
    for name, file in spec.tables.items():
        raw_t = read(file, (PATIENT_ID, DAY))
        if raw_t is None:
            continue
        defs = _extra_table_columns(raw_t.columns)
        typed = _validate_table(raw_t, sources[file], defs, problems, unique=_DAILY_KEY)
        if typed is not None:
            tables[name], table_defs[name] = typed, defs

    if daily is not None:
        vasopressor_check(daily, sources["daily.csv"], problems)
        if spec.sofa_version == "sofa2":
            problems += sofa2_missing(daily, spec)
    found_warnings: list[str] = []
    if patients is not None and "patient_id" in patients:
        others = {"daily.csv": daily, "events.csv": events}
        others |= {spec.tables[n]: t for n, t in tables.items()}
        pts, codes = cross_checks(
            patients,
            sources["patients.csv"],
            {k: (v, sources[k]) for k, v in others.items() if v is not None},
            problems,
        )
        if not problems and daily is not None and "daily.csv" in codes:
            found_warnings = consistency_warnings(
                pts, sources["patients.csv"], daily, sources["daily.csv"],
                codes["daily.csv"], spec,
            )  # fmt: skip

    if problems:
        files = [*_CORE_FILES, *spec.tables.values()]
        rank = {f: i for i, f in enumerate(files)}
        rank |= {s.file: rank[k] for k, s in sources.items() if k in rank}
        # Stable: within a file, problems keep the order they were found in.
        problems.sort(key=lambda m: rank.get(m.split(",")[0].split(":")[0], len(files)))
        raise DataError(problems)
    assert patients is not None and daily is not None and events is not None
    return Trial(
        patients=_finish(patients, pdefs),
        daily=_finish(daily, DAILY, labels=True),
        events=_finish(_empty_typed(events, EVENTS), EVENTS),
        spec=spec,
        tables={n: _finish(t, table_defs[n]) for n, t in tables.items()},
        path=path,
        warnings=tuple(found_warnings),
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
    """Check a data folder; print every problem (numbered), or a summary and the warnings.

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
        0 if the folder is valid (warnings or not), 1 otherwise (the exit status of
        ``trialkit validate``).

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
    if t.warnings:
        n = len(t.warnings)
        print(f"{n} warning{'s' if n != 1 else ''} (valid data; the report shows "
              f"{'them' if n != 1 else 'it'} too):", file=out)  # fmt: skip
        width = len(str(n))
        for i, w in enumerate(t.warnings, 1):
            print(f"{i:>{width}}. {w}", file=out)
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
