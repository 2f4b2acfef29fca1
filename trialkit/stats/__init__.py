"""Estimators for the prespecified analyses, each checked against R (see tests/R/).

Every function returns a one-row (or tidy) pandas DataFrame with ``estimate, ci_low, ci_high``
and ``p_value`` where a test is implied, so results stack with ``pd.concat``.

The functions are imported on first use (``trialkit.stats.hodges_lehmann`` or
``from trialkit.stats import hodges_lehmann``): their modules rest on statsmodels, lifelines
and scipy.stats, which take seconds to import, and a notebook should pay only for what it
calls.  A new estimator module is registered in ``_WHERE`` below.
"""

from __future__ import annotations

from trialkit._lazy import lazy_exports

_WHERE: dict[str, tuple[str, ...]] = {
    "binary": (
        "chi2_test",
        "fisher_exact",
        "mantel_haenszel_rr",
        "odds_ratio",
        "risk_difference",
        "risk_ratio",
    ),
    "median": ("bootstrap_median_difference", "median_difference_quantreg"),
    "rank": ("hodges_lehmann", "van_elteren"),
    "regression": ("adjusted_mean_difference", "mixed_model_repeated", "proportional_odds"),
    "survival": ("cox_hazard_ratio", "kaplan_meier", "km_at", "logrank"),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE)

