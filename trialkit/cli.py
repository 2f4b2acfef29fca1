"""The ``trialkit`` command: start a trial, validate its data, draw a twin, run the report.

A user's mistake (a bad path, spec, parameter or out folder) prints one message naming what
is wrong and how to fix it, and exits 2; a bug in trialkit still shows its traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialkit import __version__

EPILOG = """\
A trial is a spec and a data folder, not new code:

  trialkit init mytrial                       write a starter: spec to edit, empty data files
  trialkit simulate --trial mytrial/spec.toml --out mytrial/data --force
                                              fill it with a synthetic twin to try things out
  trialkit validate mytrial/data --trial mytrial/spec.toml
  trialkit report --trial mytrial/spec.toml --data mytrial/data --out mytrial/report

The bundled worked examples: trialkit report --trial imicro (or combat_shine, or all).
"""


class UsageError(ValueError):
    """A wrong argument: printed as one line, exit 2."""


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """``--scheduler`` and ``--workers``: where a command's Dask tasks run."""
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: $TRIALKIT_SCHEDULER, "
        "else a local cluster)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="workers of the local cluster (default: one per core)",
    )


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Any]:
    """The Dask client of ``--scheduler``/``--workers``; a cluster that cannot be had (no
    answer, a bad worker count) is a user error."""
    from trialkit import distributed

    try:
        with distributed.open_client(args.scheduler, workers=args.workers) as client:
            yield client
    except distributed.ClusterError as exc:
        raise UsageError(str(exc)) from exc


def _report_epilog() -> str:
    from trialkit import parameters
    from trialkit.resources import notebooks_dir

    try:
        listing = parameters.describe(sorted(notebooks_dir().glob("*.ipynb")))
    except (OSError, ValueError) as exc:  # help must print even if a notebook is broken
        listing = f"(the bundled notebooks' parameters cannot be read: {exc})"
    return (
        "Each notebook runs for every trial whose spec has what it needs (its metadata says);\n"
        "the report fails (exit 1) when a notebook fails, when a trial gets no notebook, or\n"
        "when an endpoint of the spec is analysed by no notebook. -p sets a parameter of the\n"
        "notebooks that declare it; its value is checked against the declared type and never\n"
        "executed. The bundled notebooks' parameters:\n\n" + listing
    )


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="trialkit",
        description="Re-run the prespecified analyses of a randomized trial in septic shock, "
        "from raw daily ICU data to the published tables, as literate Jupyter notebooks.",
        epilog=EPILOG,
        formatter_class=raw,
    )
    p.add_argument("--version", action="version", version=f"trialkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    i = sub.add_parser(
        "init",
        help="write a starter folder for one's own trial",
        description="Write a starter for one's own trial into DIR: spec.toml (the analysis "
        "plan, commented, to edit), data/ with the contract's files holding their header "
        "lines only, and data/README.md (the codebook).",
        formatter_class=raw,
    )
    i.add_argument("dir", type=Path, metavar="DIR", help="a new or empty folder")
    i.add_argument("--name", default=None, help="the trial's display name (default: DIR's name)")

    v = sub.add_parser(
        "validate",
        help="check a data folder and print every problem found",
        description="Read a data folder without changing it and print every problem (file, "
        "column, line, rule), or a short summary. Exit 0 valid, 1 invalid, 2 usage error.",
    )
    v.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    v.add_argument("--trial", help="spec id or spec file (default: the folder's name)")

    s = sub.add_parser(
        "simulate",
        help="write a synthetic twin data folder for a spec",
        description="Draw a synthetic twin for any spec and write it as a data folder. A "
        "bundled trial's twin uses its calibrated parameters; any other spec gets the model's "
        "documented defaults (no treatment effect), optionally calibrated to --targets.",
    )
    s.add_argument("--trial", required=True, help="spec id or spec file")
    s.add_argument("--out", type=Path, required=True, help="the data folder to write")
    s.add_argument("--seed", type=int, default=None, help="default: the twin's own seed")
    s.add_argument(
        "--patients", type=int, default=None, help="patients to randomize (default: the spec's)"
    )
    s.add_argument(
        "--targets",
        type=Path,
        default=None,
        help="CSV of calibration targets (columns id, statistic, endpoint, arm, population, "
        "target, tolerance, as in calibration.csv)",
    )
    s.add_argument("--seeds", type=int, default=20, help="seeds tried by --targets (default 20)")
    s.add_argument("--force", action="store_true", help="replace data already in --out")

    c = sub.add_parser(
        "calibrate",
        help="fit a twin's parameters to a publication's figures",
        description="Fit the twin model's parameters to every figure of a published.toml that "
        "the notebooks reproduce (counts exactly, the rest by simulated method of moments with "
        "common random numbers), choose the seed whose realisation agrees on the primary "
        "endpoint and then on the most figures, report how many agree for it and for other "
        "seeds, and say which figures no data can give with the report's method, and why.",
    )
    c.add_argument("--trial", required=True, help="spec id or spec file")
    c.add_argument(
        "--published",
        type=Path,
        required=True,
        metavar="FILE",
        help="the published figures (a published.toml, or the folder holding one)",
    )
    c.add_argument(
        "--targets",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="more targets (columns id, statistic, endpoint, arm, population, "
        "target, tolerance, as in calibration.csv)",
    )
    c.add_argument(
        "--seeds",
        type=int,
        default=100,
        metavar="N",
        help="candidate seeds 1..N for the twin's realisation (default 100)",
    )
    c.add_argument(
        "--check-seeds",
        type=int,
        default=20,
        metavar="N",
        help="other seeds whose agreement is reported (default 20)",
    )
    c.add_argument(
        "--fit-seeds",
        type=int,
        default=20,
        metavar="K",
        help="common random numbers of the fit: realisations per evaluation (default 20)",
    )
    c.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="hold a knob at a value, e.g. early_death_tau=7 (repeatable)",
    )
    c.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KNOB",
        help="fit only these knobs (repeatable; default all but the fixed ones)",
    )
    c.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE.toml",
        help="the twin file to write (default: <trial>-twin.toml)",
    )
    c.add_argument(
        "--table",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="the fit report to write (default: beside --out, <name>-fit.csv)",
    )
    c.add_argument(
        "--condition",
        action="store_true",
        help="after the fit, exchange patients of the chosen realisation for patients of the "
        "same arm, populations, deaths and serious events drawn from the same model at other "
        "seeds until its figures print as published (trialkit.simulate.condition); the "
        "exchanges are written to the twin file as swaps",
    )
    c.add_argument(
        "--pool",
        type=int,
        default=40,
        metavar="N",
        help="with --condition: model draws the exchanged patients come from (default 40)",
    )
    c.add_argument(
        "--condition-steps",
        type=int,
        default=3000,
        metavar="N",
        help="with --condition: the most search steps; it stops when every number prints as "
        "published (default 3000)",
    )
    c.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="FILE.md",
        help="do not fit: write the fit report of the twin's current parameters and seed "
        "(the trial's twin.toml) as Markdown: every printed number beside the twin's, the "
        "reasons a figure is not met, agreement over other seeds, the realism checks",
    )

    r = sub.add_parser(
        "report",
        help="run the analysis notebooks and write the HTML report",
        description="Run every analysis notebook that applies to the trial with papermill, "
        "render each to an HTML page that opens offline, and write index.html: the published "
        "figures beside trialkit's estimates, then the analyses, then the assumptions.",
        epilog=_report_epilog(),
        formatter_class=raw,
    )
    r.add_argument("--trial", default="all", help="spec id, spec file, or 'all' (default)")
    r.add_argument(
        "--data", type=Path, default=None, help="data folder (default: the bundled twin)"
    )
    r.add_argument(
        "--out", type=Path, default=Path("reports"), help="report folder (default: reports)"
    )
    r.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a notebook parameter for this run (repeatable); see the list below",
    )
    r.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    r.add_argument(
        "--notebooks",
        type=Path,
        default=None,
        metavar="DIR",
        help="run one's own notebook set instead of the bundled one",
    )
    r.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a fresh kernel for every notebook (slower); by default each of the --jobs "
        "workers runs its notebooks in one kernel, reset between them",
    )

    w = sub.add_parser(
        "sweep",
        help="re-analyse an endpoint under every combination of its assumptions",
        description="Re-analyse an endpoint under every combination of the switchable "
        "assumptions the spec declares (death and discharge rules, missing-SOFA rule, days "
        "counted, population, estimator): one CSV row per combination with the estimate, its "
        "CI and p, the patients per arm, whether it reproduces each published figure, and "
        "which row is the spec's own choice. Runs on dask.distributed: an in-process local "
        "cluster sized to the machine, or a running scheduler (--scheduler, or the "
        "TRIALKIT_SCHEDULER environment variable).",
    )
    w.add_argument("--trial", required=True, help="spec id or spec file")
    w.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="data folder (default: the bundled twin)",
    )
    w.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="ID",
        help="endpoint to sweep (repeatable; 'all': every endpoint with switchable "
        "assumptions; default: the primary endpoint)",
    )
    w.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="CSV file to write (default: <trial>-sweep.csv)",
    )
    add_cluster_options(w)
    w.add_argument("--seed", type=int, default=20251123, help="seed of the bootstraps")
    from trialkit.cli_design import add_parser as add_design_sim

    add_design_sim(sub)
    return p


def _sweep(args: argparse.Namespace) -> int:
    from trialkit import sweep
    from trialkit.published import load_published
    from trialkit.resources import bundled_data
    from trialkit.schema import load_trial
    from trialkit.spec import load_spec

    spec = load_spec(args.trial)
    folder = args.data if args.data is not None else bundled_data(spec.id)
    if folder is None:
        raise UsageError(f"trialkit ships no data for trial {spec.id!r}: give its folder, --data")
    if not Path(folder).is_dir():
        raise UsageError(f"--data {folder}: no such folder (give a trial's data folder)")
    out: Path = args.out if args.out is not None else Path(f"{spec.id}-sweep.csv")
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; give a file name such as sweep.csv")
    endpoints = None
    if args.endpoint == ["all"]:
        endpoints = sweep.sweep_endpoints(spec, secondaries=True)
    elif args.endpoint:
        endpoints = args.endpoint
    sweep.grid(spec, endpoints)  # a bad endpoint is refused before a cluster starts
    trial = load_trial(folder, spec)
    published = load_published(folder)
    with cluster(args) as client:
        result = sweep.sweep(
            trial, spec, published=published, endpoints=endpoints, seed=args.seed, client=client
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(out, index=False, lineterminator="\n")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write the file there ({exc})") from exc
    print(sweep.summary_text(result, spec, published))
    print(f"trialkit sweep: wrote {len(result)} combinations to {out}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from trialkit import simulate
    from trialkit.spec import load_spec

    spec = load_spec(args.trial)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    tables = ("patients.csv", "daily.csv", "events.csv", *spec.tables.values())
    present = [
        f for f in tables if (out / f).exists() or (out / f).with_suffix(".parquet").exists()
    ]
    if present and not args.force:
        raise UsageError(
            f"--out {out}: already holds data ({', '.join(present)}); pass --force to replace "
            "it, or choose another folder"
        )
    scenario = {}
    if args.patients is not None:
        if args.patients < 4:
            raise UsageError(f"--patients {args.patients}: a trial needs at least 4 patients")
        scenario["randomized"] = ((args.patients + 1) // 2, args.patients // 2)
    table = None
    if args.targets is not None:
        if not args.targets.is_file():
            raise UsageError(f"--targets {args.targets}: no such file")
        targets = simulate.read_targets(args.targets, spec)
        first = 1 if args.seed is None else args.seed
        params, table = simulate.calibrate(
            spec, targets, seeds=range(first, first + max(args.seeds, 1)), **scenario
        )
    else:
        params = simulate.twin_params(spec, **scenario)
        if args.seed is not None:
            params = dataclasses.replace(params, seed=args.seed)
    seed = params.seed
    # Written beside --out first and moved in whole: a failure leaves --out as it was.
    partial = out.absolute().parent / f".{out.name}.partial"
    try:
        shutil.rmtree(partial, ignore_errors=True)
        simulate.write_twin(spec, partial, params=params)
        if simulate.bundled_targets(spec) is None:  # a bundled folder keeps its own README
            (partial / "README.md").write_text(
                simulate.codebook(spec, params, calibrated=table is not None), encoding="utf-8"
            )
        if table is not None:
            shown = table.drop(columns="miss").assign(met=table["met"].astype(int))
            simulate.formatted_calibration(shown).to_csv(
                partial / "calibration.csv", index=False, lineterminator="\n"
            )
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(partial.iterdir()):
            os.replace(f, out / f.name)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write the data folder there ({exc})") from exc
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    print(f"trialkit simulate: wrote a synthetic twin of {spec.name} to {out}")
    if table is not None:
        unmet = table[~table["met"]]
        print(f"  calibration: {int(table['met'].sum())} of {len(table)} targets met (seed {seed})")
        for row in unmet.itertuples():
            print(
                f"  not met: {row.id} ({row.statistic}"
                + (f" of {row.endpoint}" if row.endpoint else "")
                + (f", {row.arm}" if row.arm else "")
                + f"): target {row.target:g}, realised {row.realised:g}, off by {row.miss:+g} "
                f"(tolerance {row.tolerance:g})"
            )
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import tempfile

    from trialkit.published import FILE_NAME, load_published
    from trialkit.schema import DataError
    from trialkit.simulate import fit, read_targets
    from trialkit.simulate.calibration import formatted_calibration, twin_toml
    from trialkit.spec import load_spec

    spec = load_spec(args.trial)
    source: Path = args.published
    if source.is_dir():
        source = source / FILE_NAME
    if not source.is_file():
        raise UsageError(f"--published {args.published}: no such file (give a published.toml)")
    if source.name == FILE_NAME:
        published = load_published(source.parent)
    else:  # load_published reads a folder's published.toml: check this file the same way
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / FILE_NAME
            shutil.copyfile(source, copy)
            try:
                published = load_published(tmp)
            except DataError as exc:  # name the user's file, not the copy
                raise DataError([m.replace(str(copy), str(source)) for m in exc.problems]) from None
    targets = None
    if args.targets is not None:
        if not args.targets.is_file():
            raise UsageError(f"--targets {args.targets}: no such file")
        targets = read_targets(args.targets, spec)
    if args.report is not None:
        return _calibration_report(args, spec, published)
    fixed = {}
    for item in args.fix:
        name, sep, text = item.partition("=")
        try:
            fixed[name.strip()] = float(text)
        except ValueError:
            raise UsageError(f"--fix {item}: give KNOB=NUMBER, e.g. early_death_tau=7 "
                             f"(knobs: {', '.join(fit.KNOBS)})") from None  # fmt: skip
        if not sep:
            raise UsageError(f"--fix {item}: give KNOB=NUMBER (knobs: {', '.join(fit.KNOBS)})")
    for name, value in (("--seeds", args.seeds), ("--check-seeds", args.check_seeds),
                        ("--fit-seeds", args.fit_seeds), ("--pool", args.pool),
                        ("--condition-steps", args.condition_steps)):  # fmt: skip
        if value < (2 if name == "--fit-seeds" else 1):
            raise UsageError(f"{name} {value}: must be at least "
                             f"{2 if name == '--fit-seeds' else 1}")  # fmt: skip
    out: Path = args.out if args.out is not None else Path(f"{spec.id}-twin.toml")
    table_path: Path = args.table if args.table is not None else out.with_name(
        f"{out.stem}-fit.csv")  # fmt: skip
    for path, flag in ((out, "--out"), (table_path, "--table")):
        if path.is_dir():
            raise UsageError(f"{flag} {path}: is a folder; give a file name")
    result = fit.fit_twin(
        spec, published, targets=targets, free=args.free or None, fixed=fixed,
        seeds=range(1, args.seeds + 1), check_seeds=range(10_001, 10_001 + args.check_seeds),
        fit_seeds=range(20_001, 20_001 + args.fit_seeds),
    )  # fmt: skip
    s = result.summary
    params, conditioned = result.params, None
    if args.condition:
        from trialkit.simulate import TwinParams, read_twin_file
        from trialkit.simulate.condition import condition_twin

        # The exchanges are searched on the parameters as the twin file will hold them
        # (rounded), so that the file's draw is the one they were found for.
        with tempfile.TemporaryDirectory() as tmp:
            held = Path(tmp) / "twin.toml"
            held.write_text(twin_toml(params), encoding="utf-8")
            params = TwinParams(**read_twin_file(held)[0])
        conditioned = condition_twin(
            spec, params, published, pool=args.pool, steps=args.condition_steps
        )
        params = conditioned.params
    header = (
        f"{spec.name} twin: the parameters of trialkit's generative model, calibrated by\n"
        f"`trialkit calibrate` to {source.name} (simulated method of moments, {s['moments']} "
        f"moments,\n{len(s['fit_seeds'])} common-random-number seeds; seed chosen among "
        f"{s['seeds_searched']}). Every parameter not set here\nhas the model's documented "
        "default (trialkit.simulate.TwinParams)."
    )
    if conditioned is not None:
        header += (
            f"\nThe realisation is conditioned: swaps lists the {len(params.swaps)} patients "
            "exchanged for\npatients of the same signature from other draws of the model "
            "(trialkit.simulate.condition)."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(twin_toml(params, header=header), encoding="utf-8")
        shown = result.table.drop(columns=["reason"]).assign(met=result.table["met"].astype(int))
        formatted_calibration(shown).to_csv(table_path, index=False, lineterminator="\n")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc})") from exc
    print(result.describe(spec.name))
    if conditioned is not None:
        print(f"  {conditioned.describe()}")
    print(f"  wrote {out} and {table_path}")
    return 0


def _calibration_report(args: argparse.Namespace, spec: object, published: dict) -> int:
    from trialkit.simulate.fit_report import twin_fit_report

    out: Path = args.report
    if out.is_dir():
        raise UsageError(f"--report {out}: is a folder; give a file name such as fit_report.md")
    if args.check_seeds < 1:
        raise UsageError(f"--check-seeds {args.check_seeds}: must be at least 1")
    command = f"trialkit calibrate --trial {args.trial} --published {args.published} --report {out}"
    if args.check_seeds != 20:
        command += f" --check-seeds {args.check_seeds}"
    page = twin_fit_report(
        spec,
        published,
        check_seeds=range(10_001, 10_001 + args.check_seeds),
        command=command,
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
    except OSError as exc:
        raise UsageError(f"--report {out}: cannot write there ({exc})") from exc
    agree = next(x for x in page.splitlines() if x.startswith("- seed ")).replace("**", "")
    print(f"trialkit calibrate: {spec.name}, the current twin{agree[1:]}")
    print(f"  wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from trialkit.schema import DataError
    from trialkit.spec import SpecError, load_spec

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            from trialkit.starter import write_starter

            folder = write_starter(args.dir, name=args.name)
            print(f"trialkit init: wrote a starter for your trial in {folder}")
            print(f"  next: edit {folder / 'spec.toml'}, fill {folder / 'data'}, then")
            print(f"  trialkit validate {folder / 'data'} --trial {folder / 'spec.toml'}")
            return 0
        if args.command == "validate":
            from trialkit.schema import validate_folder

            if not args.data_dir.is_dir():
                raise UsageError(f"{args.data_dir}: no such folder (give a trial's data folder)")
            spec = load_spec(args.trial) if args.trial else None  # a bad spec is exit 2
            return validate_folder(args.data_dir, trial=spec, stream=sys.stdout)
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "report":
            from trialkit.report import run_report

            return run_report(
                trial=args.trial,
                data_dir=args.data,
                out_dir=args.out,
                parameters=args.parameter,
                jobs=args.jobs,
                notebooks_dir=args.notebooks,
                reuse_kernels=not args.fresh_kernels,
            )
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "design-sim":
            from trialkit.cli_design import run as run_design_sim

            return run_design_sim(args)
    except (UsageError, SpecError, DataError, FileExistsError) as exc:
        print(f"trialkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"trialkit {args.command}: interrupted", file=sys.stderr)
        return 130
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
