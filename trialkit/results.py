"""Each notebook's estimates beside the published figures: ``reports/<trial>/results.csv``.

A notebook calls :func:`record` once per estimate; each call writes one file
``<out_dir>/<trial>/results/<analysis_id>.csv``, so notebooks run in parallel never write
the same file. :func:`collect` stacks them into ``<out_dir>/<trial>/results.csv``, the
reconciliation table of the report, and :func:`figure_verdicts` gives each published
figure one verdict, that of its reproduction.

A published figure is reproduced only when every number printed with it is: its point (the
estimate, else the median, else the count, else the percentage), the quartiles of a median,
the CI limits, the count's denominator and percentage, and the P value, each within the
precision the publication printed it to (:func:`reconcile`).

The columns of ``results.csv`` (:data:`COLUMNS`, in this order; a reader uses the names):

===================== ======================================================================
``trial``             the spec id
``analysis_id``       the estimate's id (one file per id)
``label``             what is estimated, for a reader
``arm_1, arm_2``      the arms compared (``arm_2`` empty for one arm, both for a total)
``estimate``          trialkit's point: estimate, median, count or percentage
``ci_low, ci_high``   trialkit's confidence interval
``p_value``           trialkit's P value
``published_*``       the figure's point, CI limits and P (``published_p``)
``source``            the figure's source, with ``(provisional)``/``(derived)`` flags
``verdict``           ``agrees``, ``differs`` or ``not published`` (:data:`VERDICTS`)
``note``              the author's note on the row, as given to :func:`record`
``published_id``      the published figure compared with (empty: none)
``kind``              ``reproduction``, ``check`` or ``estimate`` (:data:`KINDS`)
``why``               the comparison: one clause per number that differs or was not compared
``q1, q3``            trialkit's quartiles of a median
``n, percent``        trialkit's denominator and percentage (0-100) beside a count
``published_q1, _q3`` the figure's quartiles, printed beside its median
``published_n``       the figure's denominator, printed beside its count
``published_percent`` the figure's percentage, printed beside its count
===================== ======================================================================

A ``published_`` part is empty when the figure does not print it, or when it is the figure's
point (then it is in ``published_estimate``: "15%" has ``published_estimate`` 15). Numbers
are written to six significant digits, missing ones as empty cells.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialkit.published import precision

#: The columns of ``results.csv``: the design's, then the verdict, the note and the figure's
#: id, then (appended later, so that the first seventeen keep their place) the row's kind, the
#: comparison clauses and the numbers printed beside a point.
COLUMNS = (
    "trial",
    "analysis_id",
    "label",
    "arm_1",
    "arm_2",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "published_estimate",
    "published_ci_low",
    "published_ci_high",
    "published_p",
    "source",
    "verdict",
    "note",
    "published_id",
    "kind",
    "why",
    "q1",
    "q3",
    "n",
    "percent",
    "published_q1",
    "published_q3",
    "published_n",
    "published_percent",
)
#: The numbers a publication prints beside a point ("-4 (IQR -7 to 7)", "48/114 (42%)"), which
#: :func:`record` takes as keyword arguments and ``results.csv`` keeps in columns of their name.
PART_KEYS = ("q1", "q3", "n", "percent")
NUMBER_COLUMNS = (
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "published_estimate",
    "published_ci_low",
    "published_ci_high",
    "published_p",
    *PART_KEYS,
    *(f"published_{k}" for k in PART_KEYS),
)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in NUMBER_COLUMNS)
#: Whether the row's numbers agree with its figure (``verdict``).
VERDICTS = ("agrees", "differs", "not published")
#: What the row is (``kind``): the published (or prescribed) method recorded against its
#: figure; another method recorded beside a figure or an estimate (``check=True``); an
#: estimate with no published figure.
KINDS = ("reproduction", "check", "estimate")
#: The verdict of a published figure (:func:`figure_verdicts`): its reproduction's;
#: ``not reproducible`` when it differs and arithmetic shows that no data with the trial's
#: counts gives the figure by its method; ``not computed`` when no reproduction was recorded.
FIGURE_VERDICTS = ("agrees", "differs", "not reproducible", "not computed")

# Written to six significant digits: enough for any published comparison, and the last
# bits of floating point (BLAS, platform) never reach the file.
SIGNIFICANT_DIGITS = 6
#: What trialkit's ``estimate`` is compared with, the first the figure publishes: a count
#: figure ("48 (42%)") on its count, a percentage-only figure ("49%") on the percentage.
POINT_KEYS = ("estimate", "median", "events", "n", "percent")
# The order in which a figure's numbers are printed, hence compared and named.
_PRINT_ORDER = ("estimate", "median", "events", "q1", "q3", "ci_low", "ci_high", "n", "percent",
                "p_value")  # fmt: skip
_NAMES = {"ci_low": "CI low", "ci_high": "CI high", "p_value": "P", "q1": "Q1", "q3": "Q3"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def published_point(figure: Mapping[str, Any]) -> str | None:
    """The key of ``figure`` that trialkit's ``estimate`` is compared with (see POINT_KEYS).

    Examples
    --------
    >>> published_point({"events": 48, "n": 114, "percent": 42})
    'events'
    """
    return next((k for k in POINT_KEYS if k in figure), None)


def reconcile(
    estimate: float,
    ci_low: float,
    ci_high: float,
    p_value: float,
    figure: Mapping[str, Any] | None,
    *,
    q1: float = math.nan,
    q3: float = math.nan,
    n: float = math.nan,
    percent: float = math.nan,
    check: bool = False,
) -> tuple[str, str]:
    """Compare trialkit's numbers with every number a published figure prints.

    Each number ``q`` the figure prints (its point, :func:`published_point`, compared with
    ``estimate``; ``q1``, ``q3``, ``ci_low``, ``ci_high``, ``n``, ``percent`` and
    ``p_value``, each compared with trialkit's number of that name) agrees when

    .. math:: |q_\\text{trialkit} - q_\\text{published}| \\le r_q / 2

    where :math:`r_q` is the precision the publication printed it to
    (:func:`~trialkit.published.precision`: the figure's ``rounding``, else read off the
    number; a P value is read off the number unless ``rounding`` is a table with a
    ``p_value`` key). "P = 0.12" thus covers 0.115 to 0.125.
    Both ends of the interval agree: a publication's rounding rule is not known (0.125
    prints as 0.12 when rounding half to even, 0.13 when rounding half up), so trialkit
    gives it the benefit of the doubt on an exact half and on nothing else.

    The figure agrees only when every number it prints agrees. A reproduction
    (``check=False``) that did not compute one of them (NaN) differs on it. A check
    (``check=True``: another method than the published one) is compared on the numbers it
    computed; those it did not are named as not compared, and a check that computed none of
    them differs.

    ``published.toml`` cannot write an inequality ("P < 0.001"): a figure printed so leaves
    ``p_value`` out and says it in its ``note``; it is then not compared. A figure that prints
    a second point beside its first (a median beside an estimate, a count beside a median)
    cannot be compared on it, because a row records one point: it differs, and says so.

    Parameters
    ----------
    estimate, ci_low, ci_high, p_value : float
        trialkit's numbers (NaN where not computed).
    figure : mapping or None
        One figure of :func:`trialkit.published.load_published`; None when unpublished.
    q1, q3 : float
        trialkit's quartiles, for a figure that prints a median with its IQR.
    n, percent : float
        trialkit's denominator and percentage (0-100), for a count printed "48/114 (42%)".
    check : bool
        The numbers come from another method than the published one.

    Returns
    -------
    verdict : str
        ``"agrees"``, ``"differs"`` or ``"not published"`` (:data:`VERDICTS`).
    why : str
        One clause per number that differs or was not compared, in the order a publication
        prints them, joined by ``"; "``: ``"P 0.131 vs 0.12 published (printed to 0.01)"``,
        ``"Q3 not computed (7 published)"``; ``""`` when every number agrees.

    Raises
    ------
    ValueError
        The figure publishes no number: nothing to compare with.

    Examples
    --------
    I-MICRO's ΔSOFA difference "1 (0 to 3), P = 0.12" (data/imicro/published.toml) against
    the Hodges-Lehmann shift of an earlier twin, P = 0.1065 (R ``wilcox.test``: 0.106511):

    >>> fig = {"estimate": 1, "ci_low": 0, "ci_high": 3, "p_value": 0.12, "rounding": 1}
    >>> reconcile(1.0, 0.0, 3.0, 0.106511, fig)
    ('differs', 'P 0.107 vs 0.12 published (printed to 0.01)')
    >>> verdict, why = reconcile(1.0, -1.0, 3.0, float("nan"), fig, check=True)  # bootstrap
    >>> verdict
    'differs'
    >>> why.split("; ")
    ['CI low -1.0 vs 0 published (printed to 1)', 'P not computed (0.12 published), not compared']
    """
    if figure is None:
        return "not published", ""
    ours = {
        "estimate": estimate, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value,
        "q1": q1, "q3": q3, "n": n, "percent": percent,
    }  # fmt: skip
    point = published_point(figure)
    printed = [k for k in _PRINT_ORDER if k in figure]
    if not printed:
        raise ValueError(
            f"the published figure gives none of {', '.join(_PRINT_ORDER)} "
            f"(it has {', '.join(sorted(figure)) or 'nothing'}): nothing to compare with"
        )
    clauses, differs, compared = [], False, 0
    for key in printed:
        published, step = float(figure[key]), precision(dict(figure), key)
        name = _NAMES.get(key, key)
        shown = _format(published, step, extra=0)
        if key != point and key not in ours:
            clauses.append(
                f"{name} {shown} published beside the {point}: not compared (a row records "
                "one point)"
            )
            differs = True
            continue
        value = float(ours["estimate" if key == point else key])
        if math.isnan(value):
            if check:
                clauses.append(f"{name} not computed ({shown} published), not compared")
            else:
                clauses.append(f"{name} not computed ({shown} published)")
                differs = True
            continue
        compared += 1
        # A relative slack of 1e-9 keeps exact half-steps (1.085 vs 1.08) on the agreeing side
        # despite binary floating point.
        if abs(value - published) > step / 2 * (1 + 1e-9):
            clauses.append(
                f"{name} {_format(value, step)} vs {shown} published "
                f"(printed to {_format(step, step, extra=0)})"
            )
            differs = True
    if compared == 0:  # a check that computed nothing the figure prints reproduces nothing
        differs = True
    return ("differs" if differs else "agrees"), "; ".join(clauses)


def record(
    out_dir: str | Path,
    trial: str,
    analysis_id: str,
    label: str,
    result: pd.DataFrame,
    *,
    arm_1: str,
    arm_2: str,
    published_id: str | None = None,
    published: Mapping[str, Any] | None = None,
    note: str = "",
    check: bool = False,
    q1: float | None = None,
    q3: float | None = None,
    n: float | None = None,
    percent: float | None = None,
) -> pd.DataFrame:
    """Write one estimate, beside its published figure, to ``out_dir/<trial>/results/``.

    Parameters
    ----------
    out_dir : str or Path
        The report folder (the notebook's ``out_dir`` parameter).
    trial : str
        The spec id (``"imicro"``).
    analysis_id : str
        Names the estimate and its file ``<analysis_id>.csv``: letters, digits, ``_.-``.
        Recording the same id again replaces the earlier row.
    label : str
        What is estimated, for a reader ("Day-28 mortality, relative risk").
    result : DataFrame
        One row with ``estimate, ci_low, ci_high`` and optionally ``p_value`` (the output of
        any :mod:`trialkit.stats` function).
    arm_1, arm_2 : str
        The arms compared (arm 1 vs arm 2), or the arm and ``""`` for a one-arm figure.
    published_id : str, optional
        The figure of ``published`` this estimate reproduces (or checks).
    published : mapping, optional
        The output of :func:`trialkit.published.load_published` for this trial.
    note : str
        The author's note on the row (the method, the data), kept as given; the comparison
        with the figure goes to ``why``.
    check : bool
        The estimate comes from another method than the published (or prescribed) one, a
        check beside it (a bootstrap CI or a quantile regression beside the Hodges-Lehmann
        shift, a sensitivity analysis): ``kind`` is ``"check"``, and the index counts the
        figure by its reproduction only. Default False: the row reproduces its figure.
    q1, q3 : float, optional
        trialkit's quartiles, for a figure that prints a median with its IQR.
    n, percent : float, optional
        trialkit's denominator and percentage (0-100), for a count printed with them
        ("48/114 (42%)").

    Returns
    -------
    DataFrame
        The row as written (numbers to six significant digits), with the columns
        :data:`COLUMNS`: ``verdict`` and ``why`` from :func:`reconcile`, ``kind`` from
        ``check`` and ``published_id``, ``note`` as given.

    Raises
    ------
    ValueError
        An id that is not a safe name, a result that is not one row of numbers, a number
        given for ``q1``, ``q3``, ``n`` or ``percent`` that is not a number, a published id
        the figures lack; the message names the analysis and the argument.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from trialkit.results import record
    >>> pub = {"sources": {"A": "Legrand 2025"},
    ...        "figures": {"delta_sofa_iloprost": {"median": -4, "q1": -7, "q3": 7,
    ...                                            "rounding": 1, "source": "A"}}}
    >>> median = pd.DataFrame({"estimate": [-4.0], "ci_low": [None], "ci_high": [None]})
    >>> row = record(tempfile.mkdtemp(), "imicro", "delta_sofa.median.iloprost",
    ...              "Change in SOFA to day 7, median, iloprost", median, arm_1="iloprost",
    ...              arm_2="", published_id="delta_sofa_iloprost", published=pub, q1=-7, q3=6)
    >>> row.loc[0, ["kind", "verdict", "why"]].tolist()
    ['reproduction', 'differs', 'Q3 6.0 vs 7 published (printed to 1)']
    """
    for what, name in (("trial", trial), ("analysis_id", analysis_id)):
        if not isinstance(name, str) or not _SAFE_ID.match(name):
            raise ValueError(
                f"{what} {name!r} must start with a letter or digit and contain only "
                "letters, digits, '_', '.', '-' (it names a folder or file; pass the spec id)"
            )
    if not isinstance(check, bool | np.bool_):
        raise ValueError(f"{analysis_id}: check must be True or False, got {check!r}")
    values = _one_row(result, analysis_id)
    parts = _parts(analysis_id, {"q1": q1, "q3": q3, "n": n, "percent": percent})
    figure, source = None, ""
    if published_id is not None:
        if published is None:
            raise ValueError(
                f"{analysis_id}: published_id={published_id!r} given without published= "
                "(pass trialkit.published.load_published(data_dir))"
            )
        figures = published.get("figures", {})
        if published_id not in figures:
            raise ValueError(
                f"{analysis_id}: no published figure {published_id!r}; "
                f"figures are: {', '.join(figures) or 'none'}"
            )
        figure = figures[published_id]
        source = _source_text(figure, published.get("sources", {}))
    verdict, why = reconcile(*values, figure, **parts, check=bool(check))
    fig = figure or {}
    point = published_point(fig)
    row = {
        "trial": trial,
        "analysis_id": analysis_id,
        "label": label,
        "arm_1": arm_1,
        "arm_2": arm_2,
        **dict(zip(("estimate", "ci_low", "ci_high", "p_value"), values, strict=True)),
        "published_estimate": fig.get(point or "", np.nan),
        "published_ci_low": fig.get("ci_low", np.nan),
        "published_ci_high": fig.get("ci_high", np.nan),
        "published_p": fig.get("p_value", np.nan),
        "source": source,
        "verdict": verdict,
        "note": note.strip(),
        "published_id": published_id or "",
        "kind": "check" if check else ("reproduction" if figure is not None else "estimate"),
        "why": why,
        **parts,
        # The point is in published_estimate already; a part column holds the numbers beside it.
        **{f"published_{k}": fig[k] if k in fig and k != point else np.nan for k in PART_KEYS},
    }
    frame = pd.DataFrame([row], columns=list(COLUMNS))
    frame[list(NUMBER_COLUMNS)] = _round_significant(frame[list(NUMBER_COLUMNS)].astype(float))
    path = Path(out_dir) / trial / "results" / f"{analysis_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written then renamed, so that collect() never reads half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)
    return frame


def figure_verdicts(
    table: pd.DataFrame,
    figure_ids: Iterable[str],
    excluded: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One verdict per published figure: that of its reproduction, checks counted apart.

    Parameters
    ----------
    table : DataFrame
        ``results.csv`` as :func:`collect` returns it.
    figure_ids : iterable of str
        The published figures, in the order to show them (the keys of ``figures``).
    excluded : mapping, optional
        Figure id -> why no data with the trial's counts can give it
        (:func:`trialkit.simulate.not_reproducible_from_data`): such a figure that differs
        is ``"not reproducible"``.

    Returns
    -------
    DataFrame
        One row per figure: ``published_id``; ``verdict`` (:data:`FIGURE_VERDICTS`):
        ``"agrees"`` when every reproduction recorded against it agrees, ``"differs"`` when
        one differs (``"not reproducible"`` when it is in ``excluded``), ``"not computed"``
        when none was recorded (checks alone do not reproduce a figure); ``reproductions``
        and ``checks``, the number of rows of each kind; ``analysis_ids``, the
        reproductions' ids joined by ``", "``. More than one reproduction of a figure means
        a notebook left a check unmarked (``check=True``).

    Examples
    --------
    >>> t = pd.DataFrame({"published_id": ["d", "d", "d"], "kind": ["reproduction", "check",
    ...     "check"], "verdict": ["differs", "agrees", "differs"], "analysis_id": ["hl", "qr",
    ...     "boot"]})
    >>> figure_verdicts(t, ["d", "rr"]).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'published_id': 'd', 'verdict': 'differs', 'reproductions': 1, 'checks': 2,
      'analysis_ids': 'hl'},
     {'published_id': 'rr', 'verdict': 'not computed', 'reproductions': 0, 'checks': 0,
      'analysis_ids': ''}]
    >>> figure_verdicts(t, ["d"], excluded={"d": "not reproducible: ..."})["verdict"].tolist()
    ['not reproducible']
    """
    missing = [c for c in ("published_id", "kind", "verdict", "analysis_id") if c not in table]
    if missing:
        raise ValueError(f"figure_verdicts: the table lacks column(s) {', '.join(missing)}")
    rows = []
    for fid in figure_ids:
        mine = table[table["published_id"] == fid]
        reproduced = mine[mine["kind"] == "reproduction"]
        if reproduced.empty:
            verdict = "not computed"
        else:
            verdict = "agrees" if (reproduced["verdict"] == "agrees").all() else "differs"
            if verdict == "differs" and fid in (excluded or {}):
                verdict = "not reproducible"
        rows.append(
            {
                "published_id": fid,
                "verdict": verdict,
                "reproductions": len(reproduced),
                "checks": int((mine["kind"] == "check").sum()),
                "analysis_ids": ", ".join(reproduced["analysis_id"]),
            }
        )
    columns = ["published_id", "verdict", "reproductions", "checks", "analysis_ids"]
    return pd.DataFrame(rows, columns=columns)


def collect(out_dir: str | Path, trial: str) -> pd.DataFrame:
    """Stack the recorded estimates of a trial into ``out_dir/<trial>/results.csv``.

    Rows are sorted by ``analysis_id``, so the file does not depend on which notebook ended
    first. With nothing recorded the file holds the header only.

    Returns
    -------
    DataFrame
        The table written, with the columns :data:`COLUMNS`.

    Raises
    ------
    ValueError
        A recorded file lacks some of :data:`COLUMNS` (written by another version of
        trialkit, or not by trialkit): the message names it.

    Examples
    --------
    >>> import tempfile
    >>> from trialkit.results import collect
    >>> collect(tempfile.mkdtemp(), "imicro").shape
    (0, 27)
    """
    folder = Path(out_dir) / trial
    parts = [_read(paths) for paths in _same_header(sorted((folder / "results").glob("*.csv")))]
    table = pd.concat(parts, ignore_index=True) if parts else _read_empty()
    table = table.sort_values("analysis_id", kind="stable", ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "results.csv", index=False, lineterminator="\n")
    return table


def _one_row(result: pd.DataFrame, analysis_id: str) -> tuple[float, float, float, float]:
    if not isinstance(result, pd.DataFrame) or len(result) != 1:
        got = f"{len(result)} rows" if isinstance(result, pd.DataFrame) else type(result).__name__
        raise ValueError(f"{analysis_id}: result must be a one-row DataFrame, got {got}")
    missing = [c for c in ("estimate", "ci_low", "ci_high") if c not in result.columns]
    if missing:
        raise ValueError(
            f"{analysis_id}: result lacks column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, result.columns))})"
        )
    row = result.iloc[0]
    try:
        return tuple(  # type: ignore[return-value]
            float(row[c]) if c in result.columns and pd.notna(row[c]) else math.nan
            for c in ("estimate", "ci_low", "ci_high", "p_value")
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{analysis_id}: estimate, CI and p_value must be numbers: {exc}") from exc


def _parts(analysis_id: str, given: Mapping[str, Any]) -> dict[str, float]:
    """The numbers printed beside a point, as floats (NaN where not given)."""
    out = {}
    for key, value in given.items():
        if value is None or value is pd.NA:
            out[key] = math.nan
        elif isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ValueError(f"{analysis_id}: {key} must be a number, got {value!r}")
        else:
            out[key] = float(value)
    return out


def _source_text(figure: Mapping[str, Any], sources: Mapping[str, str]) -> str:
    key = figure.get("source", "")
    text = f"[{key}] {sources[key]}" if key in sources else key
    flags = [flag for flag in ("provisional", "derived") if figure.get(flag)]
    return f"{text} ({', '.join(flags)})" if flags else text


def _round_significant(frame: pd.DataFrame) -> pd.DataFrame:
    # Through the decimal string, so that the double written is the one nearest the rounded
    # decimal (1.0934, not 1.0934000000000001).
    return frame.map(lambda x: float(f"{x:.{SIGNIFICANT_DIGITS}g}"))


def _format(value: float, step: float, extra: int = 1) -> str:
    """``value`` with the decimals of ``step`` plus ``extra`` (one more shows the gap)."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + extra
    return f"{value:.{decimals}f}"


def _same_header(paths: list[Path]) -> list[list[Path]]:
    """``paths`` in runs of consecutive files with the same header line, each run read as one
    table (one parse instead of one per file: a report records ~80 files)."""
    runs: list[list[Path]] = []
    last = None
    for path in paths:
        with path.open(encoding="utf-8") as f:
            header = f.readline()
        if runs and header == last:
            runs[-1].append(path)
        else:
            runs.append([path])
        last = header
    return runs


def _read(paths: list[Path]) -> pd.DataFrame:
    """The rows of result files that share one header, in their order, as one table."""
    texts = [p.read_text(encoding="utf-8") for p in paths]
    header, _, _ = texts[0].partition("\n")
    body = "".join(t.partition("\n")[2] + ("" if t.endswith("\n") else "\n") for t in texts)
    # Text stays text ("" not NaN; a label "NA" stays "NA"); only empty numbers are missing.
    frame = pd.read_csv(
        io.StringIO(f"{header}\n{body}"),
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in NUMBER_COLUMNS},
    )
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{paths[0]}: not a trialkit result (lacks {', '.join(missing)})")
    frame = frame[list(COLUMNS)]
    frame[list(NUMBER_COLUMNS)] = frame[list(NUMBER_COLUMNS)].astype(float)
    return frame


def _read_empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})
    frame[list(NUMBER_COLUMNS)] = frame[list(NUMBER_COLUMNS)].astype(float)
    return frame
