"""Trial design: sample size, group-sequential boundaries, interim decisions, simulation.

Modules: :mod:`~trialkit.design.sample_size` (fixed designs, as R's ``power.t.test`` and
``power.prop.test``), :mod:`~trialkit.design.group_sequential` (Lan-DeMets spending, as
rpact's ``getDesignGroupSequential``), :mod:`~trialkit.design.interim` (conditional and
predictive power) and :mod:`~trialkit.design.operating` (Monte Carlo operating
characteristics of a design with an interim analysis).
"""

from trialkit.design.group_sequential import boundary_crossing, group_sequential, spending_function
from trialkit.design.interim import (
    conditional_power,
    drift_means,
    futility_bound_from_cp,
    predictive_power,
)
from trialkit.design.operating import (
    OutcomeGenerator,
    normal_outcomes,
    simulate_operating_characteristics,
)
from trialkit.design.sample_size import (
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)

__all__ = [
    "OutcomeGenerator",
    "boundary_crossing",
    "conditional_power",
    "drift_means",
    "futility_bound_from_cp",
    "group_sequential",
    "normal_outcomes",
    "power_means",
    "power_proportions",
    "predictive_power",
    "sample_size_means",
    "sample_size_proportions",
    "simulate_operating_characteristics",
    "spending_function",
]
