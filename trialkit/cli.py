"""The ``trialkit`` command: validate a data folder, regenerate a twin, run the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parse_params(pairs: list[str]) -> dict[str, object]:
    """``-p key=value`` pairs; values are read as TOML scalars where they parse (7, true, "x")."""
    import tomllib

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"trialkit: -p expects key=value, got {pair!r}")
        try:
            out[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trialkit", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data folder and print every problem found")
    v.add_argument("data_dir", type=Path)
    v.add_argument("--trial", help="spec id or path (default: the folder's name)")

    s = sub.add_parser("simulate", help="write a synthetic twin data folder")
    s.add_argument("--trial", required=True)
    s.add_argument("--seed", type=int, default=None, help="default: the bundled twin's seed")
    s.add_argument("--out", type=Path, required=True)

    r = sub.add_parser("report", help="run the analysis notebooks and write the HTML report")
    r.add_argument("--trial", default="all", help="spec id, or 'all' (default)")
    r.add_argument("--data", type=Path, default=None, help="data folder (default: data/<trial>)")
    r.add_argument("--out", type=Path, default=Path("reports"))
    r.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        from trialkit.schema import validate_folder

        return validate_folder(args.data_dir, trial=args.trial, stream=sys.stdout)
    if args.command == "simulate":
        from trialkit.simulate import write_twin

        write_twin(args.trial, args.out, seed=args.seed)
        print(f"wrote {args.out}")
        return 0
    if args.command == "report":
        from trialkit.report import run_report

        return run_report(
            trial=args.trial,
            data_dir=args.data,
            out_dir=args.out,
            parameters=_parse_params(args.parameter),
            jobs=args.jobs,
        )
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
