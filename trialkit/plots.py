"""Figures for the analysis notebooks (matplotlib and seaborn).

Each function draws one figure from frames that :mod:`trialkit.tables`,
:mod:`trialkit.endpoints` or :mod:`trialkit.stats` produce, and returns the
:class:`matplotlib.figure.Figure`. No statistics are computed here: a figure shows
numbers the package has already computed and tested. The arms keep one colour
everywhere (Okabe-Ito, safe for colour-blind readers): experimental vermillion,
control blue.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from trialkit.tables import arm_order

__all__ = [
    "ARM_COLOURS",
    "arm_palette",
    "consort_diagram",
    "daily_sofa_by_arm",
    "forest",
    "free_days_distribution",
    "kaplan_meier_plot",
    "outcome_distribution",
    "reconciliation_plot",
    "specification_curve",
    "subgroup_forest",
]

#: Okabe-Ito vermillion and blue, then two spares for a third or fourth arm.
ARM_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7")


def arm_palette(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm, in order (experimental first), the same in every figure."""
    if len(arms) > len(ARM_COLOURS):
        raise ValueError(f"arm_palette: at most {len(ARM_COLOURS)} arms, got {len(arms)}")
    return dict(zip(arms, ARM_COLOURS, strict=False))


def _require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; columns are {list(frame.columns)}")


# --------------------------------------------------------------------------- CONSORT


def _box(ax, x: float, y: float, text: str, *, width: float, height: float) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.01,rounding_size=0.015",
            facecolor="white",
            edgecolor="0.2",
            linewidth=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9, wrap=True)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.2", "lw": 1.0}
    )


def consort_diagram(counts: pd.DataFrame, *, title: str | None = None) -> Figure:
    """A CONSORT flow diagram drawn from counts: enrolment, allocation, follow-up, analysis.

    Parameters
    ----------
    counts : DataFrame
        The output of :func:`trialkit.tables.consort_counts`: columns ``stage``,
        ``reason``, one count column per arm and ``total``; stages ``randomized`` and
        ``analysed``, and where the counts have them ``screened``/``eligible`` (enrolment),
        ``followup`` (withdrew consent, lost to follow-up) and ``excluded`` (by reason).
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        Enrolment (assessed for eligibility, not eligible, randomized), then per arm:
        allocated, follow-up (losses and withdrawals), excluded from the analysis (with
        reasons), analysed.

    References
    ----------
    Schulz KF, Altman DG, Moher D. CONSORT 2010 statement. BMJ 2010;340:c332 (flow diagram).

    Examples
    --------
    >>> from trialkit.tables import consort_counts
    >>> p = pd.DataFrame({"arm": ["a", "b", "b"], "mitt": [1, 1, 0]})
    >>> fig = consort_diagram(consort_counts(p, analysed="mitt"))
    """
    where = "consort_diagram"
    _require(counts, ["stage", "reason", "total"], where)
    arms = [c for c in counts.columns if c not in ("stage", "reason", "total")]
    if len(arms) < 1:
        raise ValueError(f"{where}: no arm count columns")
    stages = set(counts["stage"])
    for needed in ("randomized", "analysed"):
        if needed not in stages:
            raise ValueError(f"{where}: no {needed!r} row in counts")
    known = {"screened", "eligible", "randomized", "followup", "excluded", "analysed"}
    unknown = sorted(stages - known)
    if unknown:
        raise ValueError(f"{where}: unknown stage(s) {unknown}")

    def row(stage: str) -> pd.Series | None:
        part = counts.loc[counts.stage == stage]
        return part.iloc[0] if len(part) else None

    randomized, analysed = row("randomized"), row("analysed")
    excluded = counts.loc[counts.stage == "excluded"]
    followup = counts.loc[counts.stage == "followup"]
    n_arms = len(arms)
    width = min(0.8 / n_arms, 0.42)
    fig_w = 3.6 * n_arms + 1.0
    # Characters of 9-pt text that fit across a box (about 0.55 em per character).
    chars = int(width * fig_w * 72 / (9 * 0.55)) - 2

    def listing(head: str, part: pd.DataFrame, a: str) -> str:
        # Reasons are free text: wrapped to the box.
        lines = [f"{head}\nn = {int(part[a].sum())}"]
        lines += [textwrap.fill(f"{r}: {int(n)}", width=chars, subsequent_indent="   ")
                  for r, n in zip(part["reason"], part[a], strict=True)]  # fmt: skip
        return "\n".join(lines)

    # The boxes top to bottom, each (per arm or one, texts, lines); heights follow the text.
    line_h = 0.17  # inches per 9-pt line, with leading
    layout: list[tuple[str, list[str]]] = []
    screened, eligible = row("screened"), row("eligible")
    if screened is not None:
        layout.append(("one", [f"Assessed for eligibility\nn = {int(screened['total'])}"]))
    if screened is not None:
        gone = int(screened["total"]) - int(randomized["total"])
        text = f"Not randomized\nn = {gone}"
        if eligible is not None:
            text += (f"\nnot eligible: {int(screened['total']) - int(eligible['total'])}"
                     f"\neligible, not randomized: "
                     f"{int(eligible['total']) - int(randomized['total'])}")  # fmt: skip
        layout.append(("side", [text]))
    layout.append(("one", [f"Randomized\nn = {int(randomized['total'])}"]))
    layout.append(("arms", [f"Allocated to {a}\nn = {int(randomized[a])}" for a in arms]))
    if len(followup):
        layout.append(("arms", [listing("Follow-up: lost or withdrawn", followup, a)
                                for a in arms]))  # fmt: skip
    layout.append(("arms", [listing("Excluded from the analysis", excluded, a) for a in arms]))
    layout.append(("arms", [f"Analysed\nn = {int(analysed[a])}" for a in arms]))
    heights = [max(t.count("\n") + 1 for t in texts) * line_h + 0.25 for _, texts in layout]
    gap = 0.35
    fig_h = sum(heights) + gap * (len(layout) + 1)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.axis("off")
    xs = [(i + 0.5) / n_arms * fig_w for i in range(n_arms)]
    top = fig_h - gap
    previous: list[tuple[float, float]] = []  # (x, bottom) of the boxes above
    for (kind, texts), h in zip(layout, heights, strict=True):
        centre = top - h / 2
        if kind == "side":  # beside the enrolment column, joined to it by a short arrow
            x = 0.5 * fig_w + 0.32 * fig_w
            _box(ax, x, centre, texts[0], width=0.3 * fig_w, height=h)
            _arrow(ax, (0.5 * fig_w, centre), (x - 0.15 * fig_w, centre))
            top -= h + gap
            continue
        where_x = [0.5 * fig_w] if kind == "one" else xs
        widths = 0.32 * fig_w if kind == "one" else width * fig_w
        for i, (x, text) in enumerate(zip(where_x, texts, strict=True)):
            start = previous[0] if len(previous) == 1 else previous[i] if previous else None
            if start is not None:
                _arrow(ax, (start[0], start[1]), (x, top))
            _box(ax, x, centre, text, width=widths, height=h)
        previous = [(x, top - h) for x in where_x]
        top -= h + gap
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- daily SOFA

#: Above this many measured patient-days, box plots are drawn without outlier points.
MAX_FLIERS_ROWS = 50_000
_STATUS = ("in ICU", "dead", "discharged alive", "not recorded")


def daily_status(
    daily: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    value: str = "sofa_total",
    arm: str = "arm",
    days: Sequence[int] = tuple(range(8)),
) -> pd.DataFrame:
    """Every patient on every day: the score if measured, else why not (dead, discharged).

    A patient with a recorded score is ``in ICU``; without one, ``dead`` if
    ``death_day <= day``, ``discharged alive`` if ``icu_discharge_day <= day``, else
    ``not recorded`` (a missing measurement).

    Returns
    -------
    DataFrame
        ``patient_id, arm, day, value, status``; one row per patient per day.
    """
    where = "daily_status"
    _require(daily, ["patient_id", "day", value], where)
    _require(patients, ["patient_id", arm, "death_day", "icu_discharge_day"], where)
    ids = pd.Index(patients["patient_id"])
    if not ids.is_unique:
        raise ValueError(
            f"{where}: patients has repeated patient_id {ids[ids.duplicated()][:3].tolist()}"
        )
    day_list = np.asarray(list(days), dtype=float)
    n, k = len(ids), len(day_list)
    # A patients x days grid filled by position: no merge of millions of rows.
    row = ids.get_indexer(daily["patient_id"])
    col = pd.Index(day_list).get_indexer(daily["day"].astype(float))
    keep = (row >= 0) & (col >= 0)
    cell = row[keep] * k + col[keep]
    if len(cell) and np.bincount(cell, minlength=n * k).max() > 1:
        seen = pd.Series(cell).duplicated(keep=False).to_numpy()
        dup = daily.loc[keep].loc[seen, ["patient_id", "day"]].head(3)
        raise ValueError(
            f"{where}: more than one row per patient and day: {dup.to_dict('records')}"
        )
    grid = np.full(n * k, np.nan)
    grid[cell] = pd.to_numeric(daily.loc[keep, value]).to_numpy(dtype=float)
    grid = grid.reshape(n, k)
    limits = {}
    for c in ("death_day", "icu_discharge_day"):
        try:
            limits[c] = pd.to_numeric(patients[c]).astype(float).to_numpy()[:, None]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: column {c!r} must hold days (numbers): {exc}") from exc
    code = np.select(
        [~np.isnan(grid), limits["death_day"] <= day_list, limits["icu_discharge_day"] <= day_list],
        [0, 1, 2],
        default=3,
    )
    return pd.DataFrame(
        {
            "patient_id": np.repeat(ids.to_numpy(), k),
            arm: np.repeat(patients[arm].to_numpy(), k),
            "day": np.tile(np.asarray(list(days)), n),
            "value": grid.ravel(),
            "status": pd.Categorical.from_codes(code.ravel(), categories=list(_STATUS)),
        }
    )


def daily_sofa_by_arm(
    daily: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    value: str = "sofa_total",
    arm: str = "arm",
    arms: Sequence[str] | None = None,
    days: Sequence[int] = tuple(range(8)),
    ylabel: str = "SOFA score",
) -> Figure:
    """Daily SOFA by arm, with the patients who are no longer measured because they died.

    The top panel shows the distribution of the score among the patients measured that
    day (boxes: median and quartiles). It is a picture of survivors: the sickest leave it
    by dying. The bottom panel shows, for each day and arm, the share of patients who have
    died or left the ICU alive, so that the reader sees how much of the top panel is
    selection. This is why the death rule of ΔSOFA matters.

    Parameters
    ----------
    daily : DataFrame
        One row per patient per ICU day with ``patient_id``, ``day`` and ``value``.
    patients : DataFrame
        One row per patient with ``patient_id``, ``arm``, ``death_day``,
        ``icu_discharge_day`` (empty when it did not happen).
    value : str
        The score column (``sofa_total`` from :func:`trialkit.sofa.sofa`).
    arm, arms
        Arm column and arm labels in order.
    days : sequence of int
        Days to show (default 0-7).

    Returns
    -------
    Figure
        Outlier points are left out of the boxes above :data:`MAX_FLIERS_ROWS` measured
        patient-days.

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2], "day": [0, 1, 0], "sofa_total": [9, 8, 12]})
    >>> p = pd.DataFrame({"patient_id": [1, 2], "arm": ["a", "b"],
    ...                   "death_day": [None, 1], "icu_discharge_day": [None, None]})
    >>> fig = daily_sofa_by_arm(d, p, days=[0, 1])
    """
    where = "daily_sofa_by_arm"
    _require(patients, [arm], where)
    order = arm_order(patients, arm, arms, where)
    grid = daily_status(daily, patients, value=value, arm=arm, days=days)
    palette = arm_palette(order)
    day_order = list(days)
    bar_w = 0.7 / len(order)

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.6]}
    )
    measured = grid.loc[grid["status"] == "in ICU"]
    # matplotlib's boxplot on one array per (arm, day): seaborn's long-form machinery
    # costs ten times more on millions of patient-days for the same boxes.
    groups = measured.groupby([arm, "day"], observed=True)["value"]
    for i, a in enumerate(order):
        offset = (i - (len(order) - 1) / 2) * bar_w
        arrays = [groups.get_group((a, d)).to_numpy() if (a, d) in groups.groups else []
                  for d in day_order]  # fmt: skip
        keep = [j for j, v in enumerate(arrays) if len(v)]
        if not keep:
            continue
        top.boxplot(
            [arrays[j] for j in keep],
            positions=[j + offset for j in keep],
            widths=bar_w * 0.9,
            patch_artist=True,
            boxprops={"facecolor": palette[a], "edgecolor": "0.25"},
            medianprops={"color": "0.1", "linewidth": 1.5},
            whiskerprops={"color": "0.25"},
            capprops={"color": "0.25"},
            flierprops={"marker": "o", "markersize": 2, "markerfacecolor": "0.3",
                        "markeredgecolor": "none"},
            # Outliers help a reader of a trial; for a registry-sized set they are a smear
            # of thousands of points that take longer to draw than the rest of the figure.
            showfliers=len(measured) <= MAX_FLIERS_ROWS,
            manage_ticks=False,
        )  # fmt: skip
    top.set_ylabel(f"{ylabel}\n(patients measured that day)")
    top.legend(
        handles=[Patch(facecolor=palette[a], edgecolor="0.25", label=a) for a in order],
        loc="upper right",
        frameon=False,
        ncols=len(order),
    )
    top.grid(axis="y", color="0.92")
    top.set_axisbelow(True)

    share = (
        grid.groupby(["day", arm], observed=False)["status"]
        .value_counts(normalize=True)
        .mul(100)
        .rename("percent")
        .reset_index()
    )
    n_dead = (
        grid.assign(dead=grid["status"].eq("dead"))
        .groupby(["day", arm], observed=False)["dead"]
        .sum()
    )
    for i, a in enumerate(order):
        offset = (i - (len(order) - 1) / 2) * bar_w
        dead = share.loc[(share[arm] == a) & (share["status"] == "dead")].set_index("day")
        gone = share.loc[(share[arm] == a) & (share["status"] == "discharged alive")]
        gone = gone.set_index("day")
        dead = dead["percent"].reindex(day_order, fill_value=0).to_numpy()
        gone = gone["percent"].reindex(day_order, fill_value=0).to_numpy()
        x = np.arange(len(day_order)) + offset
        bottom.bar(x, dead, width=bar_w, color=palette[a], label=f"{a}: dead")
        bottom.bar(
            x,
            gone,
            bottom=dead,
            width=bar_w,
            color=palette[a],
            alpha=0.3,
            hatch="///",
            edgecolor="white",
            label=f"{a}: discharged alive",
        )
        ks = n_dead.xs(a, level=arm).reindex(day_order, fill_value=0)
        for xi, top_of_bar, k in zip(x, dead + gone, ks, strict=True):
            # Above the bar, not inside it: early bars are too thin to hold a number.
            bottom.text(xi, top_of_bar + 2, f"{int(k)}", ha="center", va="bottom", fontsize=7,
                        color=palette[a])  # fmt: skip
    bottom.set_ylabel("% of arm\nnot measured")
    bottom.set_xlabel("Day after randomization")
    bottom.set_xticks(np.arange(len(day_order)), [str(d) for d in day_order])
    bottom.set_ylim(0, 100)
    bottom.legend(loc="upper left", frameon=False, fontsize=8, ncols=2)
    bottom.annotate(
        "solid: died; hatched: left ICU alive; number above the bar: deaths so far",
        xy=(1.0, 1.02), xycoords="axes fraction", ha="right", fontsize=8, color="0.3",
    )  # fmt: skip
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- Kaplan-Meier


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


# --------------------------------------------------------------------------- forest


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


VERDICT_COLOURS = {"agrees": "#2e7d32", "differs": "#d9730d"}


def reconciliation_plot(rows: pd.DataFrame) -> Figure:
    """Every published interval beside trialkit's reproduction, each on its own scale.

    One small panel per published figure: the published estimate and interval (grey, upper
    line) and trialkit's (coloured by verdict: green agrees, orange differs, lower line), on
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


def outcome_distribution(
    data: pd.DataFrame,
    value: str,
    *,
    arms: Sequence[str],
    died: str | None = None,
    arm: str = "arm",
    xlabel: str | None = None,
    discrete: bool = True,
) -> Figure:
    """The distribution of an endpoint in each arm, the patients who died marked (seaborn).

    One panel per arm, a stacked histogram (percentages of the arm) whose dark part is the
    patients flagged in ``died``: a change in SOFA under a worst-value rule is a mixture of
    survivors' changes and the scores given to the dead, and this figure shows the mixture.

    Parameters
    ----------
    data : DataFrame
        One row per patient: ``arm``, ``value`` and, optionally, the 0/1 or boolean ``died``.
    arms : (str, str)
        The spec's arm labels, in the order of the panels.
    discrete : bool
        One bar per whole value (scores, days); False for a continuous endpoint.

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a", "a", "b", "b"], "v": [1, 5, 2, 5],
    ...                   "dead": [0, 1, 0, 0]})
    >>> len(outcome_distribution(d, "v", arms=("a", "b"), died="dead").axes)
    2
    """
    import seaborn as sns

    _require(data, [arm, value] + ([died] if died else []), "outcome_distribution")
    frame = data[data[value].notna()].copy()
    frame["status"] = "survived"
    if died:
        frame.loc[frame[died].astype(bool), "status"] = "died"
    order = ["died", "survived"] if died else ["survived"]
    palette = {"died": "0.25", "survived": ARM_COLOURS[1]}
    grid = sns.displot(
        data=frame, x=value, hue="status", hue_order=order, col=arm, col_order=list(arms),
        multiple="stack", stat="percent", common_norm=True, discrete=discrete,
        palette=palette, height=3.2, aspect=1.4, linewidth=0.3, legend=bool(died),
    )  # fmt: skip
    grid.set_titles(col_template="{col_name}")
    grid.set_axis_labels(xlabel or value, "% of the arm")
    return grid.figure
