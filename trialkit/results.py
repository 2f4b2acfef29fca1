"""Each notebook's estimates beside the published figures: ``reports/<trial>/results.csv``.

A notebook calls :func:`record` once per estimate; each call writes one file
``<out_dir>/<trial>/results/<analysis_id>.csv``, so notebooks run in parallel never write
the same file. :func:`collect` stacks them into ``<out_dir>/<trial>/results.csv``, the
reconciliation table of the report.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialkit.published import precision

#: The columns of ``results.csv``: the design's, then the verdict, why, and the figure's id.
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
)
NUMBER_COLUMNS = (
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "published_estimate",
    "published_ci_low",
    "published_ci_high",
    "published_p",
)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in NUMBER_COLUMNS)
VERDICTS = ("agrees", "differs", "not published")

# Written to six significant digits: enough for any published comparison, and the last
# bits of floating point (BLAS, platform) never reach the file.
SIGNIFICANT_DIGITS = 6
#: What trialkit's ``estimate`` is compared with, the first the figure publishes: a count
#: figure ("48 (42%)") on its count, a percentage-only figure ("49%") on the percentage.
POINT_KEYS = ("estimate", "median", "events", "n", "percent")
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
) -> tuple[str, str]:
    """Compare trialkit's estimate with a published figure, within the figure's rounding.

    Each published quantity ``q`` among the point (:func:`published_point`: the estimate,
    else the median, else the count, else the percentage) and the CI limits agrees when

    .. math:: |q_\\text{trialkit} - q_\\text{published}| \\le r_q / 2

    where :math:`r_q` is the precision of the published number (:func:`precision`: the
    figure's ``rounding``, else read off the number). The P value is compared the same way
    only when the figure publishes no estimate or CI (a bare "P = 0.06"), because P values
    depend on the test and are weak evidence of agreement beside the interval.

    Parameters
    ----------
    estimate, ci_low, ci_high, p_value : float
        trialkit's numbers (NaN where not computed).
    figure : mapping or None
        One figure of :func:`trialkit.published.load_published`; None when unpublished.

    Returns
    -------
    verdict : str
        ``"agrees"``, ``"differs"`` or ``"not published"``.
    detail : str
        For ``"differs"``, which numbers differ and by how much; else ``""``.

    Raises
    ------
    ValueError
        The figure publishes no point, CI limit or P value: nothing to compare with.

    Examples
    --------
    >>> reconcile(1.0934, 0.8013, 1.4912, float("nan"),
    ...           {"estimate": 1.08, "ci_low": 0.80, "ci_high": 1.5})
    ('differs', 'estimate 1.093 vs 1.08 published (rounding 0.01)')
    """
    if figure is None:
        return "not published", ""
    ours = {"estimate": estimate, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value}
    point = published_point(figure)
    pairs = [("estimate", point)] if point else []
    pairs += [(q, q) for q in ("ci_low", "ci_high") if q in figure]
    if not pairs and "p_value" in figure:
        pairs = [("p_value", "p_value")]
    if not pairs:
        raise ValueError(
            f"the published figure gives none of {', '.join(POINT_KEYS)}, ci_low, ci_high, "
            "p_value "
            f"(it has {', '.join(sorted(figure)) or 'nothing'}): nothing to compare with"
        )
    differences = []
    for ours_key, pub_key in pairs:
        published, step = float(figure[pub_key]), precision(dict(figure), pub_key)
        value = float(ours[ours_key])
        # A relative slack of 1e-9 keeps exact half-steps (1.085 vs 1.08) on the agreeing side
        # despite binary floating point.
        if math.isnan(value) or abs(value - published) > step / 2 * (1 + 1e-9):
            shown = "not computed" if math.isnan(value) else _format(value, step)
            differences.append(
                f"{pub_key} {shown} vs {_format(published, step, extra=0)} published "
                f"(rounding {_format(step, step, extra=0)})"
            )
    if differences:
        return "differs", "; ".join(differences)
    return "agrees", ""


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
        The figure of ``published`` this estimate reproduces.
    published : mapping, optional
        The output of :func:`trialkit.published.load_published` for this trial.
    note : str
        Why trialkit's number may differ from the published one (the method, the data).

    Returns
    -------
    DataFrame
        The row as written (numbers to six significant digits), with ``verdict`` from
        :func:`reconcile` and ``note`` = the differences found, then the given note.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from trialkit.results import record
    >>> pub = {"sources": {"A": "Legrand 2025"},
    ...        "figures": {"rr": {"estimate": 1.08, "ci_low": 0.80, "ci_high": 1.5,
    ...                           "source": "A"}}}
    >>> rr = pd.DataFrame({"estimate": [1.0934], "ci_low": [0.8013], "ci_high": [1.4912]})
    >>> row = record(tempfile.mkdtemp(), "imicro", "rr_death_d28", "Death by day 28, RR",
    ...              rr, arm_1="iloprost", arm_2="placebo", published_id="rr", published=pub)
    >>> row.loc[0, "verdict"]
    'differs'
    """
    for what, name in (("trial", trial), ("analysis_id", analysis_id)):
        if not isinstance(name, str) or not _SAFE_ID.match(name):
            raise ValueError(
                f"{what} {name!r} must start with a letter or digit and contain only "
                "letters, digits, '_', '.', '-' (it names a folder or file; pass the spec id)"
            )
    values = _one_row(result, analysis_id)
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
    verdict, detail = reconcile(*values, figure)
    fig = figure or {}
    row = {
        "trial": trial,
        "analysis_id": analysis_id,
        "label": label,
        "arm_1": arm_1,
        "arm_2": arm_2,
        **dict(zip(("estimate", "ci_low", "ci_high", "p_value"), values, strict=True)),
        "published_estimate": fig.get(published_point(fig) or "", np.nan),
        "published_ci_low": fig.get("ci_low", np.nan),
        "published_ci_high": fig.get("ci_high", np.nan),
        "published_p": fig.get("p_value", np.nan),
        "source": source,
        "verdict": verdict,
        "note": "; ".join(part for part in (detail, note.strip()) if part),
        "published_id": published_id or "",
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


def collect(out_dir: str | Path, trial: str) -> pd.DataFrame:
    """Stack the recorded estimates of a trial into ``out_dir/<trial>/results.csv``.

    Rows are sorted by ``analysis_id``, so the file does not depend on which notebook ended
    first. With nothing recorded the file holds the header only.

    Returns
    -------
    DataFrame
        The table written, with the columns :data:`COLUMNS`.

    Examples
    --------
    >>> import tempfile
    >>> from trialkit.results import collect
    >>> collect(tempfile.mkdtemp(), "imicro").shape
    (0, 17)
    """
    folder = Path(out_dir) / trial
    parts = [_read(p) for p in sorted((folder / "results").glob("*.csv"))]
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


def _read(path: Path) -> pd.DataFrame:
    # Text stays text ("" not NaN; a label "NA" stays "NA"); only empty numbers are missing.
    frame = pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in NUMBER_COLUMNS},
    )
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a trialkit result (lacks {', '.join(missing)})")
    frame = frame[list(COLUMNS)]
    frame[list(NUMBER_COLUMNS)] = frame[list(NUMBER_COLUMNS)].astype(float)
    return frame


def _read_empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})
    frame[list(NUMBER_COLUMNS)] = frame[list(NUMBER_COLUMNS)].astype(float)
    return frame
