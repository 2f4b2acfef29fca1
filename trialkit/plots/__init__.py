"""Figures for the analysis notebooks (matplotlib and seaborn).

Each function draws one figure from frames that :mod:`trialkit.tables`,
:mod:`trialkit.endpoints` or :mod:`trialkit.stats` produce, and returns the
:class:`matplotlib.figure.Figure`. No statistics are computed here: a figure shows
numbers the package has already computed and tested. The arms keep one colour
everywhere (Okabe-Ito, safe for colour-blind readers): experimental vermillion,
control blue.

The figures live in modules by what they show: ``consort`` (the flow of patients),
``daily`` (day by day), ``survival`` (time to event, free days), ``forest`` (estimates
with intervals), ``distributions`` (an endpoint by arm) and ``scores`` (two SOFA versions
side by side); all are importable from here.
"""

from trialkit.plots._common import ARM_COLOURS, arm_palette
from trialkit.plots.consort import consort_diagram
from trialkit.plots.daily import daily_sofa_by_arm, daily_status
from trialkit.plots.distributions import outcome_distribution
from trialkit.plots.forest import (
    forest,
    reconciliation_plot,
    specification_curve,
    subgroup_forest,
)
from trialkit.plots.scores import bland_altman, score_transitions
from trialkit.plots.survival import free_days_distribution, kaplan_meier_plot

__all__ = [
    "ARM_COLOURS",
    "arm_palette",
    "bland_altman",
    "consort_diagram",
    "daily_sofa_by_arm",
    "daily_status",
    "forest",
    "free_days_distribution",
    "kaplan_meier_plot",
    "outcome_distribution",
    "reconciliation_plot",
    "score_transitions",
    "specification_curve",
    "subgroup_forest",
]
