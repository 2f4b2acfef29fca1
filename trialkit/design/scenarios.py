"""Design simulations from a spec: scenarios and interim rules, run on one machine or a cluster.

The package side of ``trialkit design-sim``. A :class:`DesignSimulation` holds everything a
Monte Carlo study of a two-stage design needs: the sample size and the interim look (from the
spec's ``[design]``: ``planned_n``, ``interim_n``), the outcome generator (``"normal"``, with
the design's reference mean and SD, or ``"twin"``, patient-level outcomes drawn from the
trial's synthetic twin, :func:`trialkit.simulate.twin_outcomes`), the effect scenarios, the
candidate interim rules, the number of trials and the seed. :func:`design_simulation` builds
one from the spec (every value overridable), :func:`read_scenarios` from a TOML file, and
:func:`simulate_design` runs every rule under every scenario with
:func:`trialkit.design.simulate_operating_characteristics`: one tidy row per (rule, effect)
with the type I error or power and its Monte Carlo interval, the probability of stopping at
the interim and the expected sample size.

Defaults, and why:

* **Effects.** With the normal generator, 0, ½, ¾ and 1 × the design effect (``effect``,
  else ``relative_reduction`` × ``reference_mean``; a reduction when lower values are better):
  the type I error and the power curve up to the effect the trial was sized for. The twin
  generator's effect is on its model's scale (``effect_sofa``: a shift of the latent organ
  trajectories, not the difference in the endpoint), so it defaults to the null only; give
  the alternatives explicitly.
* **Rules.** "no futility stop" and "Z < 0" (stop when the interim trend favours control): a
  published stopping rule is rarely given, so the candidates are the user's to choose
  (``[[rules]]`` in the file, ``--futility-z`` on the command line); the final critical value
  is z at the one-sided ``alpha`` (the spec's two-sided ``alpha`` halved) unless a rule sets
  ``final_z``.
* **Blocks.** The twin draws a whole ICU course per patient, so its trials are drawn in
  blocks of 25 (tasks of seconds); the normal generator's default block is as large as fits
  in 32 MB. The block size is part of the simulation's definition (as the seed is); the
  number of workers and the chunking never change a result.

The scenario file (every key optional; unknown keys are refused with a did-you-mean)::

    generator = "twin"          # or "normal"
    endpoint = "mean_sofa"      # the twin's endpoint (default: the primary)
    benefit = "lower"           # lower or higher values are better
    n = 380                     # patients at the final analysis, both arms
    interim_n = 200             # patients at the interim, both arms
    alpha = 0.025               # one-sided
    n_sims = 10000
    seed = 20251123
    trials_per_block = 25
    mean = 6.68                 # normal generator: control mean and SD
    sd = 3.96
    effects = [0.0, -1.336]

    [[rules]]
    name = "Z < 0"
    futility_z = 0.0            # stop for futility below this (omit: never)
    interim_efficacy_z = 2.8    # stop for efficacy at or above this (omit: never)
    final_z = 1.96              # omit: z at alpha
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trialkit.spec import (
    Check,
    Spec,
    SpecError,
    _integer,
    _keys,
    _list_of,
    _nonempty,
    _number,
    _one_of,
    _read_toml,
    load_spec,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DesignSimulation", "Rule", "design_simulation", "read_scenarios", "simulate_design"]

GENERATORS = ("normal", "twin")
#: Trials per block of the twin generator: a task of a few seconds.
TWIN_BLOCK = 25


@dataclass(frozen=True)
class Rule:
    """A candidate interim rule on the Z scale (positive Z favours the experimental arm)."""

    name: str
    futility_z: float = -math.inf
    interim_efficacy_z: float = math.inf
    final_z: float | None = None


@dataclass(frozen=True)
class DesignSimulation:
    """A Monte Carlo study of a two-stage design (see the module docstring for the defaults)."""

    trial: str
    n: int
    interim_n: int
    generator: str = "normal"
    endpoint: str = ""
    endpoint_label: str = ""
    benefit: str = "lower"
    alpha: float = 0.025
    effects: tuple[float, ...] = (0.0,)
    rules: tuple[Rule, ...] = field(default_factory=lambda: DEFAULT_RULES)
    n_sims: int = 10_000
    seed: int = 20251123
    trials_per_block: int | None = None
    mean: float = 0.0
    sd: float = 1.0

    @property
    def effect_label(self) -> str:
        """What ``effect`` means for this generator (the x-axis of the figure)."""
        if self.generator == "twin":
            return "True effect on the twin's scale (effect_sofa)"
        what = self.endpoint_label or self.endpoint or "the outcome"
        return f"True difference in {what}, experimental - control"


DEFAULT_RULES = (Rule("no futility stop"), Rule("Z < 0", futility_z=0.0))


def _finite_or_inf(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
        return f"must be a number (inf allowed), got {v!r}"
    return ""


def _schema(spec: Spec) -> dict[str, tuple[Check, bool]]:
    return {
        "generator": (_one_of(GENERATORS), False),
        "endpoint": (_one_of(spec.endpoints), False),
        "benefit": (_one_of(("lower", "higher")), False),
        "n": (_integer(4), False),
        "interim_n": (_integer(4), False),
        "alpha": (_number(0, 0.5, open_=True), False),
        "n_sims": (_integer(1), False),
        "seed": (_integer(0), False),
        "trials_per_block": (_integer(1), False),
        "mean": (_number(), False),
        "sd": (_number(0, math.inf, open_=True), False),
        "effects": (_list_of(_number()), False),
        "rules": (lambda v: "" if isinstance(v, list) else "must be [[rules]] tables", False),
    }


_RULE_SCHEMA: dict[str, tuple[Check, bool]] = {
    "name": (_nonempty, True),
    "futility_z": (_finite_or_inf, False),
    "interim_efficacy_z": (_finite_or_inf, False),
    "final_z": (_number(), False),
}


def design_simulation(spec: Spec | str, **overrides: Any) -> DesignSimulation:
    """The design simulation a spec implies, with ``overrides`` (keys of the scenario file).

    Parameters
    ----------
    spec : Spec or str
        The trial; its ``[design]`` gives ``planned_n``, ``interim_n``, ``alpha`` (two-sided),
        ``reference_mean``, ``reference_sd`` and ``relative_reduction``.
    **overrides
        Any key of the scenario file (module docstring); ``rules`` as :class:`Rule` objects
        or tables.

    Returns
    -------
    DesignSimulation

    Raises
    ------
    SpecError
        A value is of the wrong type or range, or the spec and the overrides leave the sample
        size or the interim undefined (the message names the key to set).

    Examples
    --------
    >>> from trialkit.design.scenarios import design_simulation
    >>> d = design_simulation("combat_shine")
    >>> d.n, d.interim_n, d.alpha, [round(e, 3) for e in d.effects]
    (380, 200, 0.025, [0.0, -0.668, -1.002, -1.336])
    >>> [r.name for r in d.rules]
    ['no futility stop', 'Z < 0']
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    return _build(spec, dict(overrides), "design_simulation()")


def read_scenarios(path: str | Path, spec: Spec | str, **overrides: Any) -> DesignSimulation:
    """A design simulation from a scenario file (TOML, module docstring) and the spec, with
    ``overrides`` (keys of the file, e.g. from the command line) laid over the file's.

    Raises
    ------
    SpecError
        The file cannot be read, is not TOML, or a key is unknown or of the wrong type:
        every problem, with the file and the key.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such scenario file")
    return _build(spec, {**_read_toml(path), **overrides}, str(path))


def _build(spec: Spec, raw: dict[str, Any], origin: str) -> DesignSimulation:
    problems: list[str] = []
    raw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in raw.items()}
    rules_raw = raw.get("rules")
    if isinstance(rules_raw, list):
        raw["rules"] = [rule_table(r) if isinstance(r, Rule) else r for r in rules_raw]
    _keys(raw, _schema(spec), origin, problems)
    rules: list[Rule] = []
    for i, table in enumerate(raw.get("rules") or []):
        where = f"{origin} [[rules]] {i + 1}"
        if _keys(table, _RULE_SCHEMA, where, problems) and not any(
            p.startswith(where) for p in problems
        ):
            rules.append(Rule(**{k: float(v) if k != "name" else v for k, v in table.items()}))
    if problems:
        raise SpecError(problems)
    design = spec.design
    n = raw.get("n", design.get("planned_n"))
    interim_n = raw.get("interim_n", design.get("interim_n"))
    for key, value, spec_key in (("n", n, "planned_n"), ("interim_n", interim_n, "interim_n")):
        if value is None:
            problems.append(
                f"{origin}: {key} is not set and the spec's [design] has no {spec_key}; "
                f"give {key}"
            )
    if not problems and not 4 <= interim_n < n:
        problems.append(f"{origin}: interim_n ({interim_n}) must be at least 4 and below n ({n})")
    if problems:
        raise SpecError(problems)
    generator = raw.get("generator", "normal")
    benefit = raw.get("benefit", "lower")
    mean = float(raw.get("mean", design.get("reference_mean", 0.0)))
    sd = float(raw.get("sd", design.get("reference_sd", 1.0)))
    if "effects" in raw:
        effects = tuple(float(e) for e in raw["effects"])
    elif generator == "normal" and ("effect" in design or "relative_reduction" in design):
        # the difference the trial was sized for, as notebook 08 reads it: `effect`, else
        # `relative_reduction` of the reference mean; a benefit lowers a "lower" endpoint
        size = abs(float(design.get("effect") or design["relative_reduction"] * mean))
        full = -size if benefit == "lower" else size
        effects = tuple(f * full + 0.0 for f in (0.0, 0.5, 0.75, 1.0))  # no -0.0
    else:
        effects = (0.0,)
    alpha = float(raw.get("alpha", float(design.get("alpha", 0.05)) / 2))
    return DesignSimulation(
        trial=spec.id,
        n=int(n),
        interim_n=int(interim_n),
        generator=generator,
        endpoint=raw.get("endpoint", spec.primary),
        endpoint_label=spec.endpoints.get(raw.get("endpoint", spec.primary), {}).get("label", ""),
        benefit=benefit,
        alpha=alpha,
        effects=effects,
        rules=tuple(rules) if "rules" in raw else DEFAULT_RULES,
        n_sims=int(raw.get("n_sims", 10_000)),
        seed=int(raw.get("seed", 20251123)),
        trials_per_block=raw.get(
            "trials_per_block", TWIN_BLOCK if generator == "twin" else None
        ),
        mean=mean,
        sd=sd,
    )


def rule_table(rule: Rule) -> dict[str, Any]:
    """A :class:`Rule` as the table of a scenario file (its unset bounds left out)."""
    table: dict[str, Any] = {"name": rule.name}
    for key in ("futility_z", "interim_efficacy_z", "final_z"):
        value = getattr(rule, key)
        if value is not None and math.isfinite(value):
            table[key] = value
    return table


def simulate_design(
    sim: DesignSimulation,
    spec: Spec | str | None = None,
    *,
    client: Client | None = None,
    progress: bool = True,
    blocks_per_task: int | None = None,
) -> pd.DataFrame:
    """Every rule of ``sim`` under every scenario: the operating characteristics, tidy.

    Each rule sees the same simulated trials (one seed for all rules): common random
    numbers, so differences between rules are not Monte Carlo noise.

    Parameters
    ----------
    sim : DesignSimulation
        The study (:func:`design_simulation`, :func:`read_scenarios`).
    spec : Spec or str, optional
        The trial, for the twin generator (default: ``sim.trial``).
    client : distributed.Client, optional
        Run the blocks of trials as Dask tasks (:func:`trialkit.distributed.open_client`);
        the numbers are the same as in this process.
    progress : bool, default True
        A progress bar per rule.
    blocks_per_task : int, optional
        The chunking of the work into tasks (never changes a result).

    Returns
    -------
    pandas.DataFrame
        One row per (rule, effect): ``rule, futility_z, interim_efficacy_z, final_z,
        generator, endpoint, quantity`` ("type I error" at effect 0, else "power") and the
        columns of :func:`trialkit.design.simulate_operating_characteristics`.

    Examples
    --------
    >>> from trialkit.design.scenarios import design_simulation, simulate_design
    >>> d = design_simulation("combat_shine", n_sims=2000, seed=1)
    >>> oc = simulate_design(d, progress=False)
    >>> oc[["rule", "effect", "estimate", "p_stop_futility"]].round(3).iloc[[0, 3, 4, 7]]
                   rule  effect  estimate  p_stop_futility
    0  no futility stop   0.000     0.028            0.000
    3  no futility stop  -1.336     0.900            0.000
    4             Z < 0   0.000     0.028            0.510
    7             Z < 0  -1.336     0.900            0.012
    """
    from scipy.stats import norm

    from trialkit.design.operating import normal_outcomes, simulate_operating_characteristics

    if sim.generator == "twin":
        from trialkit.simulate import twin_outcomes

        generator = twin_outcomes(spec if spec is not None else sim.trial, sim.endpoint)
        method_note = f"twin outcomes ({sim.endpoint})"
    else:
        generator = normal_outcomes(sim.mean, sim.sd)
        method_note = f"normal outcomes (mean {sim.mean:g}, SD {sim.sd:g})"
    default_final = float(norm.ppf(1 - sim.alpha))
    frames = []
    for rule in sim.rules:
        final_z = default_final if rule.final_z is None else rule.final_z
        oc = simulate_operating_characteristics(
            list(sim.effects),
            n_per_arm=sim.n // 2,
            interim_per_arm=sim.interim_n // 2,
            futility_z=rule.futility_z,
            interim_efficacy_z=rule.interim_efficacy_z,
            final_z=final_z,
            alternative="less" if sim.benefit == "lower" else "greater",
            generator=generator,
            n_sims=sim.n_sims,
            seed=sim.seed,
            progress=progress,
            client=client,
            trials_per_block=sim.trials_per_block,
            blocks_per_task=blocks_per_task,
        )
        oc.insert(0, "rule", rule.name)
        oc.insert(1, "futility_z", rule.futility_z)
        oc.insert(2, "interim_efficacy_z", rule.interim_efficacy_z)
        oc.insert(3, "final_z", final_z)
        oc.insert(4, "generator", method_note)
        oc.insert(5, "endpoint", sim.endpoint)
        oc.insert(6, "quantity", np.where(oc["effect"] == 0, "type I error", "power"))
        frames.append(oc)
    return pd.concat(frames, ignore_index=True)


def with_rules(sim: DesignSimulation, futility_z: Sequence[float]) -> DesignSimulation:
    """``sim`` with one futility-only rule per bound (``-inf``: no futility stop)."""
    rules = tuple(
        Rule("no futility stop") if math.isinf(z) and z < 0 else Rule(f"Z < {z:g}", futility_z=z)
        for z in futility_z
    )
    return replace(sim, rules=rules)


#: The files ``trialkit design-sim`` writes into its folder.
RESULT_FILES = ("operating_characteristics.csv", "operating_characteristics.png")


def write_results(oc: pd.DataFrame, sim: DesignSimulation, folder: str | Path) -> list[Path]:
    """Write the table (CSV, 6 significant digits) and the figure (PNG) into ``folder``.

    Each file is written beside its final name and renamed, so an interrupted run leaves the
    previous file or the new one, never half of one; the bytes depend only on the numbers.
    """
    import os

    import matplotlib.pyplot as plt

    from trialkit.design.plots import operating_characteristics_plot

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = (folder / name for name in RESULT_FILES)
    tmp_csv = csv_path.with_name(f".{csv_path.name}.{os.getpid()}.tmp")
    oc.to_csv(tmp_csv, index=False, lineterminator="\n", float_format="%.6g")
    fig = operating_characteristics_plot(oc, effect_label=sim.effect_label, alpha=sim.alpha)
    tmp_png = png_path.with_name(f".{png_path.name}.{os.getpid()}.tmp")
    # No "Software" stamp: the bytes must not carry a matplotlib version.
    fig.savefig(tmp_png, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp_csv, csv_path)
    os.replace(tmp_png, png_path)
    return [csv_path, png_path]


def summary_text(oc: pd.DataFrame, sim: DesignSimulation) -> str:
    """The table a terminal shows: one line per rule and effect, rounded."""
    head = (
        f"{sim.trial}: n {sim.n}, interim after {sim.interim_n}, {oc['generator'].iloc[0]}, "
        f"{sim.n_sims:,} trials per scenario, one-sided alpha {sim.alpha:g}, seed {sim.seed}"
    )
    cols = ["rule", "effect", "quantity", "estimate", "ci_low", "ci_high", "p_stop_futility",
            "expected_n"]  # fmt: skip
    table = oc[cols].rename(columns={"estimate": "P(reject H0)", "ci_low": "95% MC low",
                                     "ci_high": "95% MC high"})  # fmt: skip
    return head + "\n" + table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
