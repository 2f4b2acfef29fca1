"""The published figures of a trial: read and check ``data/<trial>/published.toml``.

The file has a fixed shape::

    [sources]
    A = "Legrand M et al. Am J Respir Crit Care Med 2025;211(7):1211-1219"

    [figures.rr_death_d28]
    label = "Death by day 28, relative risk"
    endpoint = "death_d28"
    estimate = 1.08
    ci_low = 0.80
    ci_high = 1.5
    rounding = 0.01        # the precision the publication printed
    source = "A"

A trial of a user's own may have nothing published: a missing file reads as empty.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from trialkit.schema import DataError

FILE_NAME = "published.toml"

#: The numbers a figure may carry (what a publication prints about one estimate or one arm).
NUMBER_KEYS = (
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "median",
    "q1",
    "q3",
    "n",
    "events",
    "percent",
)
TEXT_KEYS = ("label", "endpoint", "arm", "source", "note")
FLAG_KEYS = ("provisional", "derived")
FIGURE_KEYS = (*NUMBER_KEYS, "rounding", *TEXT_KEYS, *FLAG_KEYS)


def load_published(data_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Read the published figures of the trial whose data folder is ``data_dir``.

    Parameters
    ----------
    data_dir : str or Path
        A trial's data folder; the figures are in its ``published.toml``.

    Returns
    -------
    dict
        ``{"sources": {key: citation}, "figures": {figure_id: {key: value}}}``, in file
        order, each figure holding only the keys the file gives. Both are empty when the
        folder has no ``published.toml``.

    Raises
    ------
    DataError
        The file is not valid TOML, has an unknown section or key, a value of the wrong
        type, a negative or zero ``rounding``, or a ``source`` that ``[sources]`` lacks.
        The message names the file, the figure and the key.

    Examples
    --------
    >>> from trialkit.published import load_published
    >>> load_published("no/such/folder")
    {'sources': {}, 'figures': {}}
    """
    path = Path(data_dir) / FILE_NAME
    if not path.exists():
        return {"sources": {}, "figures": {}}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML: {exc}") from exc

    problems = [
        f"{path}: unknown section [{key}] (allowed: [sources], [figures.<id>])"
        for key in raw
        if key not in ("sources", "figures")
    ]
    sources = raw.get("sources", {})
    if not isinstance(sources, dict):
        problems.append(f"{path}: [sources] must be a table of key = citation")
        sources = {}
    for key, citation in sources.items():
        if not isinstance(citation, str):
            problems.append(f"{path}: [sources] {key} must be a citation string")
    figures = raw.get("figures", {})
    for fid, fig in figures.items():
        if not isinstance(fig, dict):
            problems.append(f"{path}: figures.{fid} must be a table")
            continue
        problems += _figure_problems(path, fid, fig, sources)
    if problems:
        raise DataError(problems)
    return {"sources": dict(sources), "figures": {k: dict(v) for k, v in figures.items()}}


def _figure_problems(path: Path, fid: str, fig: dict[str, Any], sources: dict) -> list[str]:
    where = f"{path}: [figures.{fid}]"
    problems = []
    for key, value in fig.items():
        if key not in FIGURE_KEYS:
            problems.append(f"{where} unknown key {key!r} (allowed: {', '.join(FIGURE_KEYS)})")
        elif key in NUMBER_KEYS and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append(f"{where} {key} must be a finite number, got {value!r}")
        elif key in TEXT_KEYS and not isinstance(value, str):
            problems.append(f"{where} {key} must be a string, got {value!r}")
        elif key in FLAG_KEYS and not isinstance(value, bool):
            problems.append(f"{where} {key} must be true or false, got {value!r}")
    if "rounding" in fig:
        problems += _rounding_problems(where, fig["rounding"])
    source = fig.get("source")
    if isinstance(source, str) and source not in sources:
        problems.append(
            f"{where} source {source!r} is not a key of [sources] "
            f"(keys: {', '.join(sources) or 'none'})"
        )
    return problems


def precision(figure: dict[str, Any], key: str) -> float:
    """The precision to which ``figure[key]`` was published.

    ``rounding`` when the figure gives it, either one step for every number of the figure or a
    table of steps by key (``rounding = {estimate = 0.01, ci_low = 0.01, ci_high = 0.1}`` for
    "1.08 (0.80 to 1.5)"); otherwise read off the number as written in the
    TOML file (``1.08`` -> 0.01, ``1.5`` -> 0.1, ``0`` -> 1). TOML keeps no trailing zeros
    (``0.80`` reads as ``0.8``), so give ``rounding`` when a figure was printed with them.
    A P value is always read off as written: journals print it to its own precision
    ("1 (0 to 3), P = 0.12"), not to the estimate's.

    Examples
    --------
    >>> precision({"estimate": 1.08}, "estimate")
    0.01
    >>> precision({"estimate": 0.8, "rounding": 0.01}, "estimate")
    0.01
    >>> precision({"estimate": 1, "p_value": 0.12, "rounding": 1}, "p_value")
    0.01
    >>> precision({"ci_high": 1.5, "rounding": {"estimate": 0.01, "ci_high": 0.1}}, "ci_high")
    0.1
    """
    rounding = figure.get("rounding")
    if isinstance(rounding, Mapping):  # printed with mixed precision: "1.08 (0.80 to 1.5)"
        if key in rounding:
            return float(rounding[key])
    elif rounding is not None and key != "p_value":
        return float(rounding)
    exponent = Decimal(repr(figure[key])).as_tuple().exponent
    return float(10 ** min(int(exponent), 0))


def _rounding_problems(where: str, rounding: Any) -> list[str]:
    """``rounding`` is one step > 0, or a table of steps > 0 keyed by the figure's numbers."""
    steps = rounding if isinstance(rounding, Mapping) else {"rounding": rounding}
    problems = []
    for key, step in steps.items():
        if isinstance(rounding, Mapping) and key not in NUMBER_KEYS:
            known = ", ".join(NUMBER_KEYS)
            problems.append(f"{where} rounding.{key}: not one of the figure's numbers ({known})")
        elif isinstance(step, bool) or not isinstance(step, int | float) or not step > 0:
            name = key if key == "rounding" else f"rounding.{key}"
            problems.append(f"{where} {name} must be > 0 (a number, e.g. 0.01), got {step!r}")
    return problems


def format_number(value: float | None, step: float | None) -> str:
    """A number to the decimals of ``step`` (3 significant digits without one); "" for NaN.

    Examples
    --------
    >>> format_number(1.0834, 0.01), format_number(0.1234, None), format_number(float("nan"), 1)
    ('1.08', '0.123', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if step is None:
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{decimals}f}"


def format_interval(est: str, low: str, high: str, p: str) -> str:
    """``est (low to high), P = p`` from already formatted parts; missing parts left out."""
    text = est + (f" ({low} to {high})" if low or high else "")
    return ", ".join(part for part in (text, f"P = {p}" if p else "") if part)


def describe_figure(fig: Mapping[str, Any]) -> str:
    """A published figure as printed: ``1.08 (0.80 to 1.50), P = 0.12``; counts and IQRs too.

    Examples
    --------
    >>> describe_figure({"median": -4.0, "q1": -7.0, "q3": 7.0, "rounding": 1})
    'median -4 (IQR -7 to 7)'
    >>> describe_figure({"events": 48, "percent": 42, "rounding": 1})
    '48 (42%)'
    """

    def num(key: str) -> str:
        return format_number(fig[key], precision(dict(fig), key)) if key in fig else ""

    pieces = []
    if "events" in fig or "n" in fig:
        count = "/".join(num(k) for k in ("events", "n") if k in fig)
        pieces.append(count + (f" ({num('percent')}%)" if "percent" in fig else ""))
    elif "percent" in fig:
        pieces.append(f"{num('percent')}%")
    if "median" in fig:
        iqr = f" (IQR {num('q1')} to {num('q3')})" if "q1" in fig and "q3" in fig else ""
        pieces.append(f"median {num('median')}{iqr}")
    if any(k in fig for k in ("estimate", "ci_low", "ci_high", "p_value")):
        pieces.append(
            format_interval(num("estimate"), num("ci_low"), num("ci_high"), num("p_value"))
        )
    return "; ".join(p for p in pieces if p)


def figures_about(
    published: Mapping[str, Any], endpoints: Iterable[str] = (), ids: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """The published figures of some endpoints (their ``endpoint`` key) or with some ids, in
    file order."""
    endpoints, ids = set(endpoints), set(ids)
    return {
        fid: fig
        for fid, fig in published.get("figures", {}).items()
        if fid in ids or fig.get("endpoint") in endpoints
    }
