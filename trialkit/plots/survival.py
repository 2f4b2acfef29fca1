"""Time-to-event and free-days figures."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from trialkit.plots._common import _require, arm_palette
from trialkit.tables import arm_order


def kaplan_meier_plot(
    curves: pd.DataFrame,
    at_risk: pd.DataFrame,
    *,
    arms: Sequence[str] | None = None,
    horizon: float | None = None,
    ylabel: str = "Survival probability",
    xlabel: str = "Days after randomization",
) -> Figure:
    """Kaplan-Meier curves with pointwise confidence bands and the numbers at risk below.

    Parameters
    ----------
    curves : DataFrame
        The output of :func:`trialkit.stats.kaplan_meier` with ``group``: one row per arm
        and distinct time with ``group, time, estimate`` (survival just after ``time``) and
        optionally ``ci_low, ci_high``. The curves start at 1 at time 0.
    at_risk : DataFrame
        The output of :func:`trialkit.stats.km_at` with ``group``: ``group, time,
        n_risk`` at the times to print under the axis.
    arms : sequence of str, optional
        Arm labels in order, experimental first. ``group`` may hold these labels or the
        0/1 codes of :mod:`trialkit.stats` (1 = ``arms[0]``).
    horizon : float, optional
        Right end of the time axis (default: the last time).

    Returns
    -------
    Figure

    Examples
    --------
    >>> c = pd.DataFrame({"group": ["a", "a"], "time": [2, 5], "estimate": [0.5, 0.25]})
    >>> r = pd.DataFrame({"group": ["a", "a"], "time": [0, 5], "n_risk": [2, 1]})
    >>> fig = kaplan_meier_plot(c, r)
    """
    where = "kaplan_meier_plot"
    _require(curves, ["group", "time", "estimate"], where)
    _require(at_risk, ["group", "time", "n_risk"], where)
    if arms is not None and len(arms) == 2:
        # trialkit.stats codes the arms 1 (experimental, arms[0]) and 0 (control).
        names = {1: arms[0], 0: arms[1]}
        curves = curves.assign(group=curves["group"].map(lambda g: names.get(g, g)))
        at_risk = at_risk.assign(group=at_risk["group"].map(lambda g: names.get(g, g)))
    order = arm_order(curves, "group", arms, where)
    palette = arm_palette(order)
    s_all = curves["estimate"]
    bad = s_all.notna() & ~s_all.between(0, 1)
    if bad.any():
        raise ValueError(
            f"{where}: survival outside [0, 1] in row(s) {list(curves.index[bad][:5])}"
        )

    n_rows = len(order)
    fig, (ax, table) = plt.subplots(
        2, 1, figsize=(8, 5.6), sharex=True, gridspec_kw={"height_ratios": [5, 0.35 * n_rows + 0.6]}
    )
    end = horizon if horizon is not None else float(curves["time"].max())
    has_ci = {"ci_low", "ci_high"} <= set(curves.columns)
    for a in order:
        c = curves.loc[(curves["group"] == a) & (curves["time"] <= end)].sort_values("time")
        # The step function: 1 from time 0 to the first time, then each value to the next
        # time, the last one carried to the horizon.
        t = np.concatenate([[0.0], c["time"].to_numpy(dtype=float), [end]])
        last = c["estimate"].iloc[-1] if len(c) else 1.0
        s = np.concatenate([[1.0], c["estimate"].to_numpy(dtype=float), [last]])
        ax.step(t, s, where="post", color=palette[a], lw=1.8, label=a)
        if has_ci and len(c):
            lo = np.concatenate([[1.0], c["ci_low"].to_numpy(dtype=float), [c["ci_low"].iloc[-1]]])
            hi = np.concatenate(
                [[1.0], c["ci_high"].to_numpy(dtype=float), [c["ci_high"].iloc[-1]]]
            )
            ax.fill_between(t, lo, hi, step="post", color=palette[a], alpha=0.15, lw=0)
    ax.set_ylim(0, 1.02)
    # A little room left of day 0 so the first numbers at risk do not touch the arm names.
    ax.set_xlim(-0.03 * end, 1.02 * end)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="lower left")
    ax.grid(axis="y", color="0.9")

    table.set_ylim(-0.5, n_rows - 0.5)
    table.invert_yaxis()
    table.set_yticks(range(n_rows), order)
    for lab, a in zip(table.get_yticklabels(), order, strict=True):
        lab.set_color(palette[a])
    for sp in ("top", "right", "left"):
        table.spines[sp].set_visible(False)
    table.tick_params(axis="y", length=0, pad=12)
    shown = at_risk.loc[at_risk["time"] <= end]
    for i, a in enumerate(order):
        r = shown.loc[shown["group"] == a]
        for t, n in zip(r["time"], r["n_risk"], strict=True):
            table.text(t, i, f"{int(n)}", ha="center", va="center", fontsize=9)
    table.set_title("Number at risk", loc="left", fontsize=9)
    table.set_xlabel(xlabel)
    table.set_xticks(sorted(shown["time"].unique()))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- free days


def free_days_distribution(
    data: pd.DataFrame,
    value: str,
    *,
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    dead: str | None = None,
    horizon: int = 28,
    xlabel: str = "Free days",
) -> Figure:
    """The distribution of a free-days endpoint per arm, with the spike at zero explained.

    Free days (days alive and free of a support, death scoring 0) are not a count with a
    bell shape: they pile up at zero (the dead, and those supported throughout) and near
    the horizon (those weaned early). Their median can be the same in both arms while
    the distributions differ, which is why the notebook also shows a proportional-odds
    view. Bars are the percentage of each arm at each value; the zero bar is split into
    patients who died (solid) and survivors who never came off the support (hatched)
    when ``dead`` is given.

    Parameters
    ----------
    data : DataFrame
        One row per patient with ``arm`` and the endpoint ``value`` (whole days).
    value : str
        The free-days column.
    dead : str, optional
        A 0/1 column: died within the horizon.
    horizon : int
        The largest possible value.

    Returns
    -------
    Figure

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a", "a", "b"], "vfd": [0, 20, 25], "dead": [1, 0, 0]})
    >>> fig = free_days_distribution(d, "vfd", dead="dead")
    """
    where = f"free_days_distribution({value!r})"
    _require(data, [arm, value] + ([dead] if dead else []), where)
    order = arm_order(data, arm, arms, where)
    y = data[value]
    ok = y.isna() | (y.between(0, horizon) & (y == np.round(y)))
    if not ok.all():
        rows = list(data.index[~ok][:5])
        raise ValueError(f"{where}: values must be whole days in 0..{horizon}; see row(s) {rows}")
    palette = arm_palette(order)
    values = np.arange(horizon + 1)
    bar_w = 0.8 / len(order)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    for i, a in enumerate(order):
        sub = data.loc[(data[arm] == a) & y.notna()]
        n = len(sub)
        if n == 0:
            continue
        pct = sub[value].astype(int).value_counts().reindex(values, fill_value=0) * 100.0 / n
        x = values + (i - (len(order) - 1) / 2) * bar_w
        ax.bar(x, pct.to_numpy(), width=bar_w, color=palette[a], label=f"{a} (n = {n})")
        if dead is not None:
            died = 100.0 * sub[dead].eq(1).sum() / n
            alive0 = pct.iloc[0] - died
            ax.bar(x[0], alive0, bottom=died, width=bar_w, color="white", edgecolor=palette[a],
                   hatch="///", lw=0.8)  # fmt: skip
        ax.annotate(
            f"{pct.iloc[0]:.0f}%",
            xy=(x[0], pct.iloc[0]),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=palette[a],
        )
    ax.set_xlim(-0.8, horizon + 0.8)
    # Headroom for the percentage written above the zero bar.
    ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
    ax.set_xticks(range(0, horizon + 1, 2))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("% of arm")
    note = "at 0: solid = died, hatched = alive but never free" if dead else ""
    ax.legend(frameon=False, title=note or None, title_fontsize=8, loc="upper center")
    ax.grid(axis="y", color="0.9")
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig
