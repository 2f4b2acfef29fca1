"""Trial design: sample size, group-sequential boundaries, interim decisions, simulation.

Modules: :mod:`~trialkit.design.sample_size` (fixed designs, as R's ``power.t.test`` and
``power.prop.test``), :mod:`~trialkit.design.group_sequential` (Lan-DeMets spending, as
rpact's ``getDesignGroupSequential``), :mod:`~trialkit.design.interim` (conditional and
predictive power), :mod:`~trialkit.design.operating` (Monte Carlo operating
characteristics of a design with an interim analysis) and :mod:`~trialkit.design.plots`.

The functions are imported on first use (scipy.stats and statsmodels take seconds to
import; see :mod:`trialkit._lazy`), except :func:`group_sequential`, which shares its name
with its module: imported lazily, the first import of the module (by :mod:`interim`, say)
would bind the module, not the function, to ``trialkit.design.group_sequential``.  That
module imports scipy where it uses it, so importing it here costs little.
"""

from __future__ import annotations

from trialkit._lazy import lazy_exports
from trialkit.design.group_sequential import group_sequential  # noqa: F401 (in __all__)

_WHERE: dict[str, tuple[str, ...]] = {
    "group_sequential": ("boundary_crossing", "spending_function"),
    "interim": ("conditional_power", "drift_means", "futility_bound_from_cp", "predictive_power"),
    "operating": ("OutcomeGenerator", "normal_outcomes", "simulate_operating_characteristics"),
    "sample_size": (
        "power_means",
        "power_proportions",
        "sample_size_means",
        "sample_size_proportions",
    ),
    "plots": (),  # reached as trialkit.design.plots, as before
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE)
__all__ = sorted([*__all__, "group_sequential"])

