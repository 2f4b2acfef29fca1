"""Trial design: sample size, group-sequential boundaries, interim decisions, simulation.

Modules: :mod:`~trialkit.design.sample_size` (fixed designs, as R's ``power.t.test`` and
``power.prop.test``), :mod:`~trialkit.design.group_sequential` (Lan-DeMets spending, as
rpact's ``getDesignGroupSequential``), :mod:`~trialkit.design.interim` (conditional and
predictive power), :mod:`~trialkit.design.operating` (Monte Carlo operating
characteristics of a design with an interim analysis), :mod:`~trialkit.design.scenarios`
(those characteristics for every scenario and candidate rule of a spec's design: ``trialkit
design-sim``) and :mod:`~trialkit.design.plots`.

The functions are imported on first use (scipy.stats and statsmodels take seconds to
import; see :mod:`trialkit._lazy`).  ``trialkit.design.group_sequential`` is the function,
as before, though its module has the same name.
"""

from __future__ import annotations

from trialkit._lazy import lazy_package

_WHERE: dict[str, tuple[str, ...]] = {
    "group_sequential": ("boundary_crossing", "group_sequential", "spending_function"),
    "interim": ("conditional_power", "drift_means", "futility_bound_from_cp", "predictive_power"),
    "operating": ("OutcomeGenerator", "normal_outcomes", "simulate_operating_characteristics"),
    "plots": (),  # reached as trialkit.design.plots, as before
    "scenarios": (
        "DesignSimulation", "Rule", "design_simulation", "read_scenarios", "simulate_design"
    ),
    "sample_size": (
        "power_means",
        "power_proportions",
        "sample_size_means",
        "sample_size_proportions",
    ),
}

__all__ = lazy_package(__name__, _WHERE)
