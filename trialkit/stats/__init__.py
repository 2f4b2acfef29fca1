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
from trialkit.stats.rank import hodges_lehmann

__all__ = [
    "chi2_test",
    "fisher_exact",
    "hodges_lehmann",
    "mantel_haenszel_rr",
    "odds_ratio",
    "risk_difference",
    "risk_ratio",
]
