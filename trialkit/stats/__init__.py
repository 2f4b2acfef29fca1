"""Estimators for the prespecified analyses, each checked against R (see tests/R/).

Every function returns a one-row (or tidy) pandas DataFrame with ``estimate, ci_low, ci_high``
and ``p_value`` where a test is implied, so results stack with ``pd.concat``.
"""

from trialkit.stats.binary import (
    chi2_test,
    fisher_exact,
    mantel_haenszel_rr,
    odds_ratio,
    risk_difference,
    risk_ratio,
)
from trialkit.stats.median import bootstrap_median_difference, median_difference_quantreg
from trialkit.stats.rank import hodges_lehmann, van_elteren
from trialkit.stats.regression import (
    adjusted_mean_difference,
    mixed_model_repeated,
    proportional_odds,
)
from trialkit.stats.survival import cox_hazard_ratio, kaplan_meier, km_at, logrank

__all__ = [
    "adjusted_mean_difference",
    "bootstrap_median_difference",
    "chi2_test",
    "cox_hazard_ratio",
    "fisher_exact",
    "hodges_lehmann",
    "kaplan_meier",
    "km_at",
    "logrank",
    "mantel_haenszel_rr",
    "median_difference_quantreg",
    "mixed_model_repeated",
    "odds_ratio",
    "proportional_odds",
    "risk_difference",
    "risk_ratio",
    "van_elteren",
]
