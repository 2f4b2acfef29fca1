"""Two versions of a score side by side: a Bland-Altman figure and the systems' transitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from trialkit.plots._common import _require

_PAIR = ("system", "sofa1", "sofa2")


def bland_altman(
    paired: pd.DataFrame,
    agreement: pd.DataFrame,
    *,
    system: str = "total",
    labels: Sequence[str] = ("SOFA", "SOFA-2"),
    title: str | None = None,
) -> Figure:
    """Bland-Altman figure of two scores of the same patient-days.

    Each patient-day is a point at the mean of its two scores (x) and their difference,
    second − first (y); scores are whole numbers, so points that coincide are drawn as one
    disc whose area is proportional to the number of patient-days there. The bias and the
    95% limits of agreement are the lines of ``agreement`` (a row of
    :func:`trialkit.sofa_versions.agreement`), labelled at the right.

    Parameters
    ----------
    paired : pandas.DataFrame
        :func:`trialkit.sofa_versions.paired_scores`.
    agreement : pandas.DataFrame
        The agreement of the same ``system`` (one row; its ``bias``, ``loa_low``,
        ``loa_high``).
    system : str
        Which system, or ``"total"``.
    labels : (str, str)
        The two scores' names, first and second.
    """
    _require(paired, _PAIR, "bland_altman")
    _require(agreement, ("system", "bias", "loa_low", "loa_high"), "bland_altman")
    one = paired.loc[paired["system"] == system, ["sofa1", "sofa2"]].dropna().astype(float)
    if one.empty:
        raise ValueError(f"bland_altman: no patient-day scored under both for {system!r}")
    row = agreement.set_index("system").loc[system]
    points = (
        pd.DataFrame({"mean": (one["sofa1"] + one["sofa2"]) / 2,
                      "difference": one["sofa2"] - one["sofa1"]})
        .value_counts()
        .rename("days")
        .reset_index()
    )  # fmt: skip
    first, second = labels
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    scale = 900.0 / points["days"].max()
    ax.scatter(points["mean"], points["difference"], s=points["days"] * scale, color="#0072B2",
               alpha=0.45, edgecolor="white", linewidth=0.5)  # fmt: skip
    for value, name, style in (
        (row["bias"], "bias", "-"),
        (row["loa_low"], "lower limit", "--"),
        (row["loa_high"], "upper limit", "--"),
    ):
        ax.axhline(value, color="0.25", linestyle=style, linewidth=1.0)
        ax.annotate(f"{name} {value:+.2f}", xy=(1.0, value), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)  # fmt: skip
    ax.axhline(0.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel(f"mean of {first} and {second}")
    ax.set_ylabel(f"{second} − {first}")
    biggest = int(points["days"].max())
    ax.set_title(
        title
        or f"{second} against {first}, {len(one):,} patient-days "
        f"(largest disc: {biggest:,} patient-days)",
        fontsize=10,
        loc="left",
    )
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.1, right=0.82, top=0.9, bottom=0.13)
    return fig


def score_transitions(
    paired: pd.DataFrame,
    *,
    systems: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
    labels: Sequence[str] = ("SOFA", "SOFA-2"),
) -> Figure:
    """For each organ system, where each first-version score goes under the second version.

    One panel per system: rows are the first score (0-4), columns the second, each cell the
    share of that system's patient-days (%), so the diagonal is agreement and a cell right of
    it a day the second version scores higher.

    Parameters
    ----------
    paired : pandas.DataFrame
        :func:`trialkit.sofa_versions.paired_scores`.
    systems : sequence of str, optional
        The systems, in panel order; default: every system of ``paired`` but the total.
    names : mapping, optional
        A system's name for its panel title (default: its id).
    labels : (str, str)
        The two scores' names, first and second.
    """
    _require(paired, _PAIR, "score_transitions")
    if systems is None:
        systems = [s for s in pd.unique(paired["system"]) if s != "total"]
    names = dict(names or {})
    first, second = labels
    cols = 3
    rows = -(-len(systems) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 3.0 * rows), squeeze=False)
    scores = range(5)
    for ax, system in zip(axes.flat, systems, strict=False):
        one = paired.loc[paired["system"] == system, ["sofa1", "sofa2"]].dropna().astype(int)
        table = pd.crosstab(one["sofa1"], one["sofa2"]).reindex(
            index=scores, columns=scores, fill_value=0
        )
        share = 100.0 * table / max(len(one), 1)
        pct = share.to_numpy()
        text = np.where(pct >= 0.5, np.round(pct).astype(int).astype(str), "<1")
        text[table.to_numpy() == 0] = ""
        _heatmap(ax, pct, text)
        changed = 100.0 * (one["sofa1"] != one["sofa2"]).mean() if len(one) else np.nan
        ax.set_title(f"{names.get(system, system)}: {changed:.0f}% of days change", fontsize=9)
        ax.set_xlabel(second, fontsize=9)
        ax.set_ylabel(first, fontsize=9)
        ax.tick_params(labelsize=8, rotation=0)
    for ax in list(axes.flat)[len(systems) :]:
        ax.set_visible(False)
    fig.suptitle(f"Each system's {first} score (rows) and {second} score (columns): "
                 "% of patient-days", fontsize=10, x=0.02, ha="left")  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


_CELL_MAP = "Blues"
_CELL_TOP = 60.0  # % of days: the darkest cell colour


def _heatmap(ax: Axes, pct: np.ndarray, text: np.ndarray) -> None:
    """A square heatmap of ``pct`` (rows top to bottom) with ``text`` in its cells.

    Drawn as :func:`seaborn.heatmap` draws it (cell edges, tick labels at the centres, the
    text dark on light cells and white on dark ones), but without the whole figure drawn
    once per panel: seaborn draws the figure inside every call to see whether its tick
    labels overlap: the six-panel figure took 1.7 s CPU to build and save, 0.5 s now
    (2026-12-03, the same pixels).
    """
    cmap = plt.get_cmap(_CELL_MAP)
    norm = plt.Normalize(0.0, _CELL_TOP)
    n_rows, n_cols = pct.shape
    ax.pcolormesh(pct, cmap=cmap, norm=norm, edgecolors="0.9", linewidth=0.5)
    ax.set(xlim=(0, n_cols), ylim=(n_rows, 0), aspect="equal")
    ax.set_xticks(np.arange(n_cols) + 0.5, [str(c) for c in range(n_cols)])
    ax.set_yticks(np.arange(n_rows) + 0.5, [str(r) for r in range(n_rows)], va="center")
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    rgb = cmap(norm(pct))[..., :3]
    # WCAG relative luminance, seaborn's rule for the text colour of an annotated cell.
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    light = linear @ np.array([0.2126, 0.7152, 0.0722]) > 0.408
    for (i, j), label in np.ndenumerate(text):
        if label:
            ax.text(j + 0.5, i + 0.5, label, ha="center", va="center", fontsize=8,
                    color=".15" if light[i, j] else "w")  # fmt: skip
