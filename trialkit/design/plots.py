"""Figures of trial design: sample-size sensitivity, group-sequential boundaries, operating
characteristics.

Like :mod:`trialkit.plots`, each function draws numbers that :mod:`trialkit.design` has
already computed and tested (against R's ``power.t.test`` and rpact) and returns the
:class:`matplotlib.figure.Figure`; nothing is estimated here. Rules, designs and scenarios
keep the Okabe-Ito colours, safe for colour-blind readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["boundaries_plot", "operating_characteristics_plot", "sample_size_sensitivity"]

#: Okabe-Ito, without yellow (unreadable as a thin line on white).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; columns are {list(frame.columns)}")


def _levels(frame: pd.DataFrame, column: str | None, where: str) -> list:
    if column is None:
        return [None]
    levels = list(pd.unique(frame[column]))
    if len(levels) > len(COLOURS):
        raise ValueError(f"{where}: at most {len(COLOURS)} values of {column!r}, got {len(levels)}")
    return levels


def _subset(frame: pd.DataFrame, column: str | None, level) -> pd.DataFrame:
    return frame if column is None else frame[frame[column] == level]


def sample_size_sensitivity(
    curves: Mapping[str, pd.DataFrame],
    *,
    n: str = "n_total",
    hue: str | None = None,
    planned_n: float | None = None,
    reference: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Sample size against each design input, one panel per input.

    Parameters
    ----------
    curves : mapping of str to DataFrame
        Panel by panel: the input varied (a column of its frame, drawn on the x axis) and
        the rows of :func:`trialkit.design.sample_size_means` over a grid of it.
    n : str, default "n_total"
        The sample-size column (y axis).
    hue : str, optional
        A column drawn as separate lines (e.g. the SD assumed), the same in every panel.
    planned_n : float, optional
        The planned sample size, a dashed horizontal line.
    reference : mapping of str to float, optional
        The base-case value of each input, a dotted vertical line in its panel.
    labels : mapping of str to str, optional
        Axis labels of the inputs (default: the column names).

    Returns
    -------
    Figure

    Examples
    --------
    >>> import numpy as np
    >>> from trialkit.design import sample_size_means
    >>> sd = np.linspace(3, 5, 5)
    >>> grid = sample_size_means(1.336, sd).assign(sd=sd)
    >>> fig = sample_size_sensitivity({"sd": grid}, planned_n=380, reference={"sd": 3.96})
    """
    where = "sample_size_sensitivity"
    if not curves:
        raise ValueError(f"{where}: give at least one panel (input -> frame)")
    labels = dict(labels or {})
    reference = dict(reference or {})
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (x, frame) in zip(axes, curves.items(), strict=True):
        _require(frame, [x, n] + ([hue] if hue else []), f"{where} (panel {x!r})")
        for colour, level in zip(COLOURS, _levels(frame, hue, where), strict=False):
            part = _subset(frame, hue, level).sort_values(x)
            name = None if hue is None else f"{hue} = {level}"
            ax.plot(part[x], part[n], "-", color=colour, lw=1.8, label=name)
        if planned_n is not None:
            ax.axhline(planned_n, color="0.3", ls="--", lw=1, label=f"planned {planned_n:g}")
        if x in reference:
            ax.axvline(reference[x], color="0.5", ls=":", lw=1, label="base case")
        ax.set_xlabel(labels.get(x, x))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Patients, both arms")
    axes[-1].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def boundaries_plot(
    designs: pd.DataFrame,
    *,
    design: str = "design",
    observed: tuple[float, float] | None = None,
    n_max: float | None = None,
) -> Figure:
    """Efficacy and futility bounds on the Z scale against the information fraction.

    Parameters
    ----------
    designs : DataFrame
        Stacked rows of :func:`trialkit.design.group_sequential` (``info_rate,
        efficacy_z, futility_z``) with a column naming the design. Infinite bounds (no
        bound at that look) are not drawn.
    design : str, default "design"
        The column naming each design.
    observed : (float, float), optional
        An observed interim (information fraction, Z), drawn as a black star.
    n_max : float, optional
        Maximum sample size: adds a top axis in patients.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from trialkit.design import group_sequential
    >>> d = group_sequential([0.5, 1], futility=[0.0]).assign(design="OBF, z < 0")
    >>> fig = boundaries_plot(d, observed=(0.5, 0.4))
    """
    where = "boundaries_plot"
    _require(designs, [design, "info_rate", "efficacy_z", "futility_z"], where)
    # Wide enough to read beside its legend, which goes under the plot, not beside it.
    fig, ax = plt.subplots(figsize=(10, 6.2))
    for colour, level in zip(COLOURS, _levels(designs, design, where), strict=False):
        part = _subset(designs, design, level).sort_values("info_rate")
        t = part["info_rate"].to_numpy(float)
        for column, style, text in (
            ("efficacy_z", "-o", "efficacy"),
            ("futility_z", "--v", "futility"),
        ):
            z = part[column].to_numpy(float)
            ok = np.isfinite(z)
            if column == "futility_z":
                ok[-1] = False  # at the last look the futility bound is the efficacy bound
            # a final critical value alone is shared by futility-only designs: one legend
            # entry per design for it would only repeat "1.96"
            final_only = column == "efficacy_z" and ok.sum() == 1 and ok[-1]
            name = "_final_only" if final_only else f"{level}: {text}"
            if ok.any():
                ax.plot(t[ok], z[ok], style, color=colour, lw=1.5, ms=6, label=name)
    if observed is not None:
        ax.plot(*observed, "*", color="black", ms=14, label="observed interim", zorder=5)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("Information fraction", fontsize=11)
    ax.set_ylabel("Z (positive favours the experimental arm)", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9.5, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=2)  # fmt: skip
    if n_max is not None:
        top = ax.secondary_xaxis("top", functions=(lambda t: t * n_max, lambda n: n / n_max))
        top.set_xlabel("Patients")
    fig.tight_layout()
    return fig


_OC_PANELS = (
    ("estimate", "P(reject H0)"),
    ("p_stop_futility", "P(stop for futility at interim)"),
    ("expected_n", "Expected patients"),
)


def operating_characteristics_plot(
    oc: pd.DataFrame,
    *,
    rule: str = "rule",
    effect_label: str = "True effect",
    alpha: float | None = None,
) -> Figure:
    """Operating characteristics of candidate rules against the true effect.

    Three panels: probability of rejecting H0 (type I error at no effect, power
    elsewhere) with its Monte Carlo interval, probability of stopping for futility at the
    interim, and expected sample size.

    Parameters
    ----------
    oc : DataFrame
        Stacked rows of :func:`trialkit.design.simulate_operating_characteristics`
        (``effect, estimate, ci_low, ci_high, p_stop_futility, expected_n``) with a column
        naming the rule.
    rule : str, default "rule"
        The column naming each rule.
    effect_label : str
        The x-axis label (what ``effect`` means for the generator used).
    alpha : float, optional
        The nominal one-sided level, a dotted line in the first panel.

    Returns
    -------
    Figure

    Examples
    --------
    >>> oc = pd.DataFrame({"rule": ["none"] * 2, "effect": [0.0, -1.3],
    ...                    "estimate": [0.025, 0.9], "ci_low": [0.02, 0.88],
    ...                    "ci_high": [0.03, 0.92], "p_stop_futility": [0.0, 0.0],
    ...                    "expected_n": [380.0, 380.0]})
    >>> fig = operating_characteristics_plot(oc, alpha=0.025)
    """
    where = "operating_characteristics_plot"
    _require(oc, [rule, "effect"] + [c for c, _ in _OC_PANELS] + ["ci_low", "ci_high"], where)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
    for colour, level in zip(COLOURS, _levels(oc, rule, where), strict=False):
        part = _subset(oc, rule, level).sort_values("effect")
        for ax, (column, _) in zip(axes, _OC_PANELS, strict=True):
            ax.plot(part["effect"], part[column], "-o", color=colour, ms=4, lw=1.5, label=level)
        axes[0].fill_between(
            part["effect"], part["ci_low"], part["ci_high"], color=colour, alpha=0.15, lw=0
        )
    if alpha is not None:
        axes[0].axhline(alpha, color="0.4", ls=":", lw=1)
    for ax, (_, title) in zip(axes, _OC_PANELS, strict=True):
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel(effect_label)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(0, 1)
    axes[-1].legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
