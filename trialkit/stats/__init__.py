"""Estimators for the prespecified analyses, each checked against R (see tests/R/).

Every function returns a one-row (or tidy) pandas DataFrame with ``estimate, ci_low, ci_high``
and ``p_value`` where a test is implied, so results stack with ``pd.concat``.

The functions are imported on first use (``trialkit.stats.hodges_lehmann`` or
``from trialkit.stats import hodges_lehmann``): their modules rest on statsmodels, lifelines
and scipy.stats, which take seconds to import, and a notebook should pay only for what it
calls.  A new estimator module is registered in ``_WHERE`` below (tests/test_lazy_imports.py
checks that every module and every name of its ``__all__`` is).
"""

from __future__ import annotations

from trialkit._lazy import lazy_package

_WHERE: dict[str, tuple[str, ...]] = {
    "bayes": (
        "bayes_densities",
        "bayes_factor_binom",
        "bayes_factor_ttest",
        "bayes_normal",
        "bayes_risk_ratio",
        "beta_binomial_rr",
        "named_priors",
    ),
    "binary": (
        "chi2_test",
        "fisher_exact",
        "mantel_haenszel_rr",
        "odds_ratio",
        "risk_difference",
        "risk_ratio",
    ),
    "composite": ("door", "probability_index", "worst_rank", "worst_rank_scores"),
    "fragility": ("fragility_index",),
    "median": ("bootstrap_median_difference", "median_difference_quantreg"),
    "rank": ("hodges_lehmann", "van_elteren"),
    "regression": ("adjusted_mean_difference", "mixed_model_repeated", "proportional_odds"),
    "rmst": ("rmst", "rmst_difference"),
    "subgroups": ("subgroup_effects", "subgroup_table"),
    "survival": ("cox_hazard_ratio", "kaplan_meier", "km_at", "logrank"),
    "truncation": ("survivor_bounds",),
    "wins": ("Level", "parse_hierarchy", "win_levels", "win_statistics"),
}

__all__ = lazy_package(__name__, _WHERE)
