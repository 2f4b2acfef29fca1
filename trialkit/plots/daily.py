"""Daily figures: where each patient is on each day, and the daily SOFA by arm."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from trialkit.plots._common import _require, arm_palette
from trialkit.tables import arm_order

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
        Outlier points are left out of the boxes above ``MAX_FLIERS_ROWS`` (50,000) measured
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
