"""``trialkit design-sim``: the command line of :mod:`trialkit.design.scenarios`.

Kept apart from :mod:`trialkit.cli` (which dispatches to it) so that each command-line module
stays one concern; user errors are the same one-line :class:`trialkit.cli.UsageError`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trialkit.cli import UsageError, add_cluster_options, cluster

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``design-sim`` subcommand and its options."""
    d = sub.add_parser(
        "design-sim",
        help="simulate a two-stage design's operating characteristics",
        description="Monte Carlo operating characteristics of the spec's design with an interim "
        "look: type I error, power, P(stop for futility at the interim) and expected sample "
        "size, with Monte Carlo intervals, for every candidate rule under every effect "
        "scenario. Outcomes are normal (the design's reference mean and SD) or drawn from the "
        "trial's synthetic twin (patient-level ICU courses). Defaults come from the spec's "
        "[design]; a scenario file (TOML) or the options below change them. Runs on "
        "dask.distributed: an in-process local cluster sized to the machine, or a running "
        "scheduler (--scheduler, or TRIALKIT_SCHEDULER). Writes operating_characteristics.csv "
        "and operating_characteristics.png into --out.",
    )
    d.add_argument("--trial", required=True, help="spec id or spec file")
    d.add_argument("--scenarios", type=Path, default=None, metavar="FILE.toml",
                   help="scenario file (keys as the options; [[rules]] tables)")  # fmt: skip
    d.add_argument("--generator", choices=("normal", "twin"), default=None,
                   help="outcome generator (default normal)")  # fmt: skip
    d.add_argument("--endpoint", default=None, metavar="ID",
                   help="the twin's endpoint (default: the primary)")  # fmt: skip
    d.add_argument("--effect", type=float, action="append", default=None, metavar="X",
                   help="an effect scenario (repeatable; 0 gives the type I error)")  # fmt: skip
    d.add_argument("--futility-z", type=float, action="append", default=None, metavar="Z",
                   help="a futility-only rule: stop at the interim if Z < this (repeatable; "
                   "--futility-z=-inf: no futility stop)")  # fmt: skip
    d.add_argument("--n", type=int, default=None, help="patients at the final analysis")
    d.add_argument("--interim-n", type=int, default=None, help="patients at the interim")
    d.add_argument("--n-sims", type=int, default=None, metavar="N",
                   help="trials per scenario (default 10000)")  # fmt: skip
    d.add_argument("--seed", type=int, default=None, help="seed (default 20251123)")
    d.add_argument("--trials-per-block", type=int, default=None, metavar="B",
                   help="trials drawn at once, part of the simulation's definition")  # fmt: skip
    d.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder to write (default: <trial>-design-sim)")  # fmt: skip
    add_cluster_options(d)


def run(args: argparse.Namespace) -> int:
    """Run ``trialkit design-sim``; a user's mistake raises ``trialkit.cli.UsageError``."""
    from trialkit.design import scenarios
    from trialkit.spec import load_spec

    spec = load_spec(args.trial)
    given = {
        "generator": args.generator, "endpoint": args.endpoint, "effects": args.effect,
        "n": args.n, "interim_n": args.interim_n, "n_sims": args.n_sims, "seed": args.seed,
        "trials_per_block": args.trials_per_block,
    }  # fmt: skip
    options = {k: v for k, v in given.items() if v is not None}
    if args.scenarios is not None:
        sim = scenarios.read_scenarios(args.scenarios, spec, **options)
    else:
        sim = scenarios.design_simulation(spec, **options)
    if args.futility_z:
        sim = scenarios.with_rules(sim, args.futility_z)
    out: Path = args.out if args.out is not None else Path(f"{spec.id}-design-sim")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder")
    with cluster(args) as client:
        oc = scenarios.simulate_design(sim, spec, client=client)
    try:
        written = scenarios.write_results(oc, sim, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc})") from exc
    print(scenarios.summary_text(oc, sim))
    print(f"trialkit design-sim: wrote {', '.join(str(w) for w in written)}")
    return 0
