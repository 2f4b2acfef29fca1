"""Estimates with their intervals: forest plots, the specification curve, the reconciliation
with the published figures, subgroups."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from trialkit.plots._common import ARM_COLOURS, _require


def _intervals(ax, est: pd.DataFrame, y: np.ndarray, **style) -> None:
    """Points at ``estimate`` with horizontal bars from ``ci_low`` to ``ci_high``."""
    e = est["estimate"].to_numpy(dtype=float)
    err = np.vstack(
        [e - est["ci_low"].to_numpy(dtype=float), est["ci_high"].to_numpy(dtype=float) - e]
    )
    ax.errorbar(e, y, xerr=err, capsize=3, **style)


def forest(
    results: pd.DataFrame,
    *,
    label: str = "label",
    null: float | None = 0.0,
    log: bool = False,
    published: pd.DataFrame | None = None,
    xlabel: str = "Estimate (95% CI)",
    decimals: int = 2,
    favours: tuple[str, str] | None = None,
) -> Figure:
    """Estimates with confidence intervals, one row each (a forest-like figure).

    Parameters
    ----------
    results : DataFrame
        One row per analysis with ``label, estimate, ci_low, ci_high`` (stacked one-row
        results of :mod:`trialkit.stats`).
    label : str
        The row-label column.
    null : float or None
        Where "no difference" is (0 for differences, 1 for ratios); a dashed line.
    log : bool
        Log scale (for ratios).
    published : DataFrame, optional
        ``label, estimate, ci_low, ci_high`` of published figures: each drawn as an open
        diamond on a row of its own, right under the row with the same label.
    decimals : int
        Decimals of the printed estimates.
    favours : (str, str), optional
        What each side of the null line means, printed under the axis: e.g.
        ``("favours drug", "favours control")`` (the spec's arms, left side first).

    Returns
    -------
    Figure

    Examples
    --------
    >>> r = pd.DataFrame({"label": ["worst", "last"], "estimate": [1.0, 0.0],
    ...                   "ci_low": [0.0, -1.0], "ci_high": [3.0, 1.0]})
    >>> fig = forest(r, favours=("favours drug", "favours control"))
    """
    where = "forest"
    _require(results, [label, "estimate", "ci_low", "ci_high"], where)
    est = results[["estimate", "ci_low", "ci_high"]].astype(float).reset_index(drop=True)
    finite = est.notna().all(axis=1)
    bad = finite & ~((est["ci_low"] <= est["estimate"]) & (est["estimate"] <= est["ci_high"]))
    if bad.any():
        rows = results.loc[bad, label].tolist()
        raise ValueError(f"{where}: estimate outside its CI for {rows}")
    # One row per estimate, and a row of its own under it for a matching published figure.
    pub = None
    if published is not None:
        _require(published, [label, "estimate", "ci_low", "ci_high"], f"{where} (published)")
        pub = published.set_index(label)[["estimate", "ci_low", "ci_high"]].astype(float)
    lines: list[tuple[str, tuple[float, float, float], bool]] = []
    for name, values in zip(results[label].tolist(), est.itertuples(index=False), strict=True):
        lines.append((str(name), tuple(values), False))
        if pub is not None and name in pub.index and np.isfinite(pub.loc[name, "estimate"]):
            lines.append(("published", tuple(pub.loc[name].to_numpy()), True))
    n = len(lines)
    fig, ax = plt.subplots(figsize=(9, 0.55 * n + 1.4 + (0.3 if favours else 0)))
    y = np.arange(n)
    ours = np.array([not p for _, _, p in lines])
    table = pd.DataFrame([v for _, v, _ in lines], columns=["estimate", "ci_low", "ci_high"])
    _intervals(ax, table[ours], y[ours], fmt="s", color="0.15", label="trialkit")
    if (~ours).any():
        _intervals(ax, table[~ours], y[~ours], fmt="D", mfc="white", color="#0072B2",
                   label="published")  # fmt: skip
    if null is not None:
        ax.axvline(null, color="0.5", ls="--", lw=1)
    if log:
        ax.set_xscale("log")
    # Room beyond the outermost limits so that the caps of the intervals stay visible.
    ax.margins(x=0.06)
    ax.set_yticks(y, [name for name, _, _ in lines])
    for tick, published_row in zip(ax.get_yticklabels(), ~ours, strict=True):
        if published_row:
            tick.set_color("#0072B2")
            tick.set_fontstyle("italic")
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_xlabel(xlabel, labelpad=16 if favours else 4)
    for yi, (e, lo, hi) in zip(y, table.itertuples(index=False), strict=True):
        text = f"{e:.{decimals}f} ({lo:.{decimals}f} to {hi:.{decimals}f})" if np.isfinite(
            e) else "—"  # fmt: skip
        ax.annotate(text, xy=(1.02, yi), xycoords=("axes fraction", "data"), va="center",
                    fontsize=9, color="#0072B2" if not ours[yi] else "0.1")  # fmt: skip
    if favours:
        for x, ha, text in ((0.0, "left", f"← {favours[0]}"), (1.0, "right", f"{favours[1]} →")):
            ax.annotate(text, (x, 0), xytext=(0, -24), textcoords="offset points",
                        xycoords="axes fraction", ha=ha, va="top", fontsize=9, color="0.3")
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    return fig


def specification_curve(
    results: pd.DataFrame,
    *,
    options: Sequence[str] = ("missing", "days", "death", "discharge", "population", "estimator"),
    chosen: str = "spec_choice",
    published: float | None = None,
    published_ci: tuple[float, float] | None = None,
    null: float | None = 0.0,
    ylabel: str = "Estimate (95% CI)",
) -> Figure:
    """A specification curve: every combination's estimate, sorted, above the options it used.

    The layout of Simonsohn, Simmons and Nelson (2020): the top panel shows the estimates with
    their 95% CIs ranked from lowest to highest (black where the CI excludes ``null``, grey
    where it does not), the spec's own combination in vermillion, the published estimate as
    a blue line (its CI a band); the bottom panel has one row per value of each option that
    varies, with a mark under each estimate that used it, so that a reader sees which choices
    move the answer.

    Parameters
    ----------
    results : DataFrame
        One row per combination with ``estimate, ci_low, ci_high``, the ``options`` columns
        and ``chosen`` (the output of :func:`trialkit.sweep.sweep` for one endpoint). Rows
        without an estimate are left out.
    options : sequence of str
        The option columns; those with a single value (or none) get no row. An empty
        (None) value marks an option that does not apply.
    chosen : str
        The boolean column marking the spec's own combination.
    published, published_ci : float and (float, float), optional
        The published estimate and its CI.
    null : float or None
        Where "no difference" is; a dotted line.
    ylabel : str

    Returns
    -------
    Figure

    References
    ----------
    Simonsohn U, Simmons JP, Nelson LD. Specification curve analysis. Nat Hum Behav
    2020;4:1208-14 (figures 2 and 3).

    Examples
    --------
    >>> r = pd.DataFrame({"estimate": [1.0, 0.0, 2.0], "ci_low": [0.0, -1.0, 0.5],
    ...                   "ci_high": [3.0, 1.0, 3.5], "death": ["worst", "last", "worst"],
    ...                   "estimator": ["hl", "hl", "boot"], "spec_choice": [True, False, False]})
    >>> fig = specification_curve(r, options=["death", "estimator"], published=1.0)
    """
    where = "specification_curve"
    _require(results, ["estimate", "ci_low", "ci_high", *options], where)
    data = results[results["estimate"].notna()]
    if data.empty:
        raise ValueError(f"{where}: no row has an estimate")
    data = data.sort_values("estimate", kind="stable").reset_index(drop=True)
    est = data[["estimate", "ci_low", "ci_high"]].astype(float)
    x = np.arange(1, len(data) + 1)
    mine = (
        data[chosen].fillna(False).astype(bool).to_numpy()
        if chosen in data
        else np.zeros(len(data), bool)
    )
    rows: list[tuple[str, str, object]] = []  # (option, value label, value)
    for opt in options:
        # In the order the results list them (the grid's), not the order of the estimates.
        values = [v for v in pd.unique(results[opt]) if v is not None and not pd.isna(v)]
        if len(values) > 1:
            rows += [(opt, f"{opt}: {v}", v) for v in values]
    n_rows = max(len(rows), 1)
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=(10, 4.2 + 0.22 * n_rows),
        gridspec_kw={"height_ratios": [4.2, 0.22 * n_rows + 0.3], "hspace": 0.05},
    )
    excludes = np.zeros(len(data), bool)
    if null is not None:
        excludes = ((est["ci_low"] > null) | (est["ci_high"] < null)).to_numpy()
    lw = 1.2 if len(data) <= 60 else 0.6
    size = 18 if len(data) <= 60 else 8
    for mask, colour, label in (
        (~excludes & ~mine, "0.65", f"95% CI includes {null:g}" if null is not None else None),
        (excludes & ~mine, "0.1", f"95% CI excludes {null:g}" if null is not None else None),
    ):
        if mask.any():
            top.vlines(x[mask], est["ci_low"][mask], est["ci_high"][mask], color=colour, lw=lw)
            top.scatter(x[mask], est["estimate"][mask], s=size, color=colour, zorder=3,
                        label=label)  # fmt: skip
    if mine.any():
        top.vlines(x[mine], est["ci_low"][mine], est["ci_high"][mine], color=ARM_COLOURS[0], lw=2)
        top.scatter(x[mine], est["estimate"][mine], s=60, marker="D", color=ARM_COLOURS[0],
                    zorder=4, label="the spec's choice")  # fmt: skip
        for ax in (top, bottom):
            for xi in x[mine]:
                ax.axvspan(xi - 0.5, xi + 0.5, color=ARM_COLOURS[0], alpha=0.12, lw=0)
    if published is not None:
        top.axhline(published, color=ARM_COLOURS[1], lw=1.5, label="published")
        if published_ci is not None:
            top.axhspan(*published_ci, color=ARM_COLOURS[1], alpha=0.1, lw=0)
    if null is not None:
        top.axhline(null, color="0.5", ls=":", lw=1)
    top.set_ylabel(ylabel)
    top.grid(axis="y", color="0.92")
    top.legend(frameon=False, fontsize=8, loc="upper left")
    # The indicator panel: one row per option value, options separated by a thin line.
    for i, (opt, _, value) in enumerate(rows):
        used = (data[opt] == value).to_numpy()
        colours = np.where(mine[used], ARM_COLOURS[0], "0.2")
        bottom.scatter(x[used], np.full(used.sum(), i), marker="|", s=40, c=colours, lw=1)
        if i and rows[i - 1][0] != opt:
            bottom.axhline(i - 0.5, color="0.8", lw=0.8)
    bottom.set_yticks(range(len(rows)), [label for _, label, _ in rows], fontsize=8)
    bottom.set_ylim(n_rows - 0.5, -0.5)
    bottom.set_xlim(0.5, len(data) + 0.5)
    bottom.set_xlabel(f"Combinations of assumptions, ranked by estimate (n = {len(data)})")
    fig.subplots_adjust(left=0.2, right=0.98, top=0.97, bottom=0.08 + 0.1 / n_rows)
    return fig


VERDICT_COLOURS = {"agrees": "#2e7d32", "differs": "#d9730d", "not reproducible": "#6a3d9a"}


def reconciliation_plot(rows: pd.DataFrame) -> Figure:
    """Every published interval beside trialkit's reproduction, each on its own scale.

    One small panel per published figure: the published estimate and interval (grey, upper
    line) and trialkit's (coloured by verdict: green agrees, orange differs, purple not
    reproducible, lower line), on
    an axis fitted to both, so that intervals on different scales (a risk ratio, points of
    SOFA) are each readable.

    Parameters
    ----------
    rows : DataFrame
        ``label, published_estimate, published_ci_low, published_ci_high, estimate, ci_low,
        ci_high, verdict``, one row per figure.

    Examples
    --------
    >>> rows = pd.DataFrame({"label": ["RR"], "published_estimate": [1.08],
    ...     "published_ci_low": [0.8], "published_ci_high": [1.5], "estimate": [1.09],
    ...     "ci_low": [0.8], "ci_high": [1.49], "verdict": ["differs"]})
    >>> len(reconciliation_plot(rows).axes)
    1
    """
    _require(
        rows,
        ["label", "published_estimate", "published_ci_low", "published_ci_high", "estimate",
         "ci_low", "ci_high", "verdict"],
        "reconciliation_plot",
    )  # fmt: skip
    n = len(rows)
    fig, axes = plt.subplots(n, 1, figsize=(9, 0.75 * n + 0.3), squeeze=False)
    for ax, r in zip(axes[:, 0], rows.itertuples(), strict=True):
        colour = VERDICT_COLOURS.get(r.verdict, "0.4")
        ax.hlines(1, r.published_ci_low, r.published_ci_high, color="0.55", lw=3)
        ax.plot(r.published_estimate, 1, "o", color="0.35", ms=6)
        if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
            ax.hlines(0, r.ci_low, r.ci_high, color=colour, lw=3)
        ax.plot(r.estimate, 0, "D", color=colour, ms=6)
        values = [r.published_ci_low, r.published_ci_high, r.ci_low, r.ci_high, r.estimate]
        lo, hi = np.nanmin(values), np.nanmax(values)
        pad = 0.08 * (hi - lo or abs(hi) or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.7, 1.7)
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(textwrap.shorten(str(r.label), 110), loc="left", fontsize=9, pad=2)
    fig.tight_layout(h_pad=0.4)
    return fig


def subgroup_forest(
    rows: pd.DataFrame,
    *,
    arms: Sequence[str],
    log: bool = False,
    xlabel: str = "Effect (95% CI)",
    better: str = "lower",
) -> Figure:
    """A subgroup forest plot: the effect in every level of every subgroup, with n per arm, the
    interaction P once per subgroup and "favours <arm>" under the axis.

    Parameters
    ----------
    rows : DataFrame
        :func:`trialkit.stats.subgroup_table` output: ``subgroup, level, n_x, n_y, estimate,
        ci_low, ci_high, p_interaction`` (``events_x``, ``events_y`` for a binary outcome),
        the first row "all patients".
    arms : (str, str)
        Experimental and control arm labels (the spec's), for the "favours" labels.
    log : bool
        A ratio's log axis with the reference line at 1 (else linear, at 0).
    better : {"lower", "higher"}
        Which side of the reference line favours the experimental arm.

    Examples
    --------
    >>> rows = pd.DataFrame({"subgroup": ["all patients", "Sex", "Sex"],
    ...     "level": ["all patients", "F", "M"], "n_x": [10, 4, 6], "n_y": [9, 5, 4],
    ...     "estimate": [1.0, 0.8, 1.2], "ci_low": [0.5, 0.3, 0.5], "ci_high": [2, 2.1, 2.9],
    ...     "p_interaction": [float("nan"), 0.5, 0.5]})
    >>> len(subgroup_forest(rows, arms=("drug", "control"), log=True).axes)
    1
    """
    _require(rows, ["subgroup", "level", "n_x", "n_y", "estimate", "ci_low", "ci_high",
                    "p_interaction"], "subgroup_forest")  # fmt: skip
    lines: list[tuple[str, str, pd.Series | None]] = []  # (label, counts, row)
    for name, part in rows.groupby("subgroup", sort=False):
        if name == "all patients":
            lines.append(("All patients", "", part.iloc[0]))
            continue
        p = part["p_interaction"].iloc[0]
        lines.append((f"{name}  (interaction P = {p:.2f})" if np.isfinite(p) else str(name),
                      "", None))  # fmt: skip
        lines += [(f"   {r.level}", "", r) for _, r in part.iterrows()]
    n = len(lines)
    fig, ax = plt.subplots(figsize=(9, 0.36 * n + 1.3))
    y = np.arange(n)[::-1]
    events = {"events_x", "events_y"} <= set(rows.columns)
    for yi, (label, _, r) in zip(y, lines, strict=True):
        ax.text(-0.02, yi, label, transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontsize=9, fontweight="bold" if r is None or r["level"] == "all patients"
                else "normal")  # fmt: skip
        if r is None:
            continue
        if events:
            counts = f"{int(r['events_x'])}/{int(r['n_x'])}  {int(r['events_y'])}/{int(r['n_y'])}"
        else:
            counts = f"{int(r['n_x'])}  {int(r['n_y'])}"
        ax.text(1.02, yi, counts, transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=8.5, family="monospace")  # fmt: skip
        if not np.isfinite(r["estimate"]):
            continue
        overall = r["level"] == "all patients"
        ax.hlines(yi, r["ci_low"], r["ci_high"], color="0.25", lw=1.6)
        ax.plot(r["estimate"], yi, "D" if overall else "s", color=ARM_COLOURS[0],
                ms=8 if overall else 6)  # fmt: skip
    null = 1.0 if log else 0.0
    ax.axvline(null, color="0.5", ls="--", lw=1)
    if log:
        ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10) if lo <= t <= hi]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set_yticks([])
    ax.set_ylim(-0.8, n - 0.2)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    head = "events / n" if events else "n"
    ax.text(1.02, n - 0.3, f"{head}: {arms[0]}  {arms[1]}", transform=ax.get_yaxis_transform(),
            ha="left", va="bottom", fontsize=8.5, fontweight="bold")  # fmt: skip
    ax.set_xlabel(xlabel, labelpad=16)
    left, right = (arms[0], arms[1]) if better == "lower" else (arms[1], arms[0])
    # Between the tick labels and the axis label (labelpad leaves the room).
    ax.annotate(f"← favours {left}", (0.0, 0), xytext=(0, -24), textcoords="offset points",
                xycoords="axes fraction", ha="left", va="top", fontsize=8.5, color="0.3")
    ax.annotate(f"favours {right} →", (1.0, 0), xytext=(0, -24), textcoords="offset points",
                xycoords="axes fraction", ha="right", va="top", fontsize=8.5, color="0.3")
    fig.subplots_adjust(left=0.36, right=0.78, top=0.96, bottom=0.9 / (0.36 * n + 1.3))
    return fig
