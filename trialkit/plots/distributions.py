"""An endpoint's distribution by arm."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from trialkit.plots._common import ARM_COLOURS, _require


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
