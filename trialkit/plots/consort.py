"""The CONSORT flow diagram."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from trialkit.plots._common import _require


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
