"""``trialkit report``: run the analysis notebooks with papermill and write the HTML report.

For each trial, every notebook whose needs the spec meets is executed (papermill, kernel
``python3``) into ``<out>/<trial>/<name>.ipynb`` and rendered to a self-contained HTML page
beside it; the estimates the notebooks record are collected into
``<out>/<trial>/results.csv`` and ``<out>/index.html`` shows them beside the published
figures, then links every page and lists the assumptions of each spec.

A notebook states in its metadata what it needs and which endpoints it analyses::

    "trialkit": {"requires": ["rule:delta_sofa"], "covers": ["rule:delta_sofa"]}

Entries of ``requires`` must all hold for the notebook to run; it runs when at least one
entry of ``covers`` does (when it gives any). An entry is ``rule:<name>`` (an endpoint with
that rule), ``table:<kind>`` (an extra table of that kind), ``data:sofa2`` (the data can be
scored with SOFA-2), an endpoint id, an extra table's name, a non-empty spec section
(``design``) or a key of one (``design.interim_n``).

What the report promises:

* It fails (exit 1) when a notebook fails, when a trial gets no notebook at all, or when an
  endpoint of the spec is analysed by no notebook that runs; the message says which and why.
* ``-p KEY=VALUE`` is checked against the parameters the notebooks that run declare, and
  never reaches a kernel as code (:mod:`trialkit.parameters`).
* The report is built in a staging folder beside ``--out`` and put in place whole at the end;
  a second run into an out folder that a live run holds is refused; an interrupted run leaves
  the previous report as it was.
* The executed notebooks and pages carry no times, random ids, versions or absolute paths:
  the same inputs give the same bytes.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialkit import parameters as params
from trialkit.execute import execute_all
from trialkit.frontpage import render_index
from trialkit.published import load_published
from trialkit.resources import bundled_data
from trialkit.resources import notebooks_dir as bundled_notebooks
from trialkit.results import collect
from trialkit.schema import DataError
from trialkit.spec import Spec, SpecError, available, load_spec

RESERVED = params.RESERVED
MARKER = ".trialkit-report"  # marks a folder as a trialkit report that a new run may replace


class ReportError(ValueError):
    """A wrong argument to the report (a bad path, out folder, parameter): exit 2."""


@dataclass(frozen=True)
class Notebook:
    """An analysis notebook, the spec entries it needs and the endpoints it analyses."""

    path: Path
    requires: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class TrialRun:
    """One trial to report: its spec, data folder, validated data and published figures."""

    spec: Spec
    data_dir: Path
    trial_arg: str
    published: dict[str, dict[str, Any]]
    warnings: tuple[str, ...] = ()
    data: Any = field(default=None, repr=False, compare=False)


@dataclass
class Outcome:
    """What became of one notebook on one trial."""

    run: TrialRun
    notebook: Notebook
    missing: list[str] = field(default_factory=list)
    error: str | None = None
    output: Path | None = None

    @property
    def status(self) -> str:
        if self.missing:
            return "not applicable"
        return "failed" if self.error else "ok"

    @property
    def message(self) -> str:
        """The failure as printed: trial/notebook, cell, exception."""
        return f"{self.run.spec.id}/{self.notebook.path.name}: {self.error}"


# --- which notebooks run ---------------------------------------------------------------------


def find_notebooks(folder: str | Path) -> list[Notebook]:
    """The notebooks of ``folder`` (sorted by name) with their ``requires``/``covers`` lists.

    Raises
    ------
    ReportError
        A notebook is not valid JSON, or its ``trialkit`` metadata lists are not lists of
        strings.
    """
    out = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ReportError(f"{path}: not a notebook (invalid JSON: {exc})") from exc
        lists = []
        for key in ("requires", "covers"):
            value = meta.get("trialkit", {}).get(key, [])
            if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
                raise ReportError(
                    f"{path}: metadata trialkit.{key} must be a list of strings (endpoint ids, "
                    f"rule:<name>, table:<kind>, spec sections), got {value!r}"
                )
            lists.append(tuple(value))
        out.append(Notebook(path, *lists))
    return out


def _has_sofa2_columns(spec: Spec, data: Any) -> bool:
    from trialkit.schema import sofa2_missing

    return not sofa2_missing(data.daily, spec.with_sofa(version="sofa2"))


#: ``data:<name>`` requirements: what the trial's data must hold (checked on the loaded data).
DATA_REQUIREMENTS = {"sofa2": _has_sofa2_columns}


def _holds(entry: str, spec: Spec, data: Any = None) -> bool:
    kind, _, name = entry.partition(":")
    if name and kind == "data":
        check = DATA_REQUIREMENTS.get(name)
        # Without the data at hand (a listing), a data requirement is taken to hold.
        return check is not None and (data is None or check(spec, data))
    if name and kind == "rule":
        return bool(spec.with_rule(name))
    if name and kind == "table":
        return bool(spec.tables_of_kind(name))
    if entry in spec.endpoints or entry in spec.tables:
        return True
    node: Any = spec.raw
    for part in entry.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return bool(node) or node == 0


def missing_requirements(notebook: Notebook, spec: Spec, data: Any = None) -> list[str]:
    """Why ``notebook`` does not apply to ``spec`` and its ``data`` (empty: it applies)."""
    missing = [r for r in notebook.requires if not _holds(r, spec, data)]
    if notebook.covers and not any(_holds(c, spec, data) for c in notebook.covers):
        either = " or ".join(notebook.covers)
        if either not in missing:  # a notebook that covers what it requires
            missing.append(either)
    return missing


def covered_endpoints(notebook: Notebook, spec: Spec) -> set[str]:
    """The endpoints of ``spec`` that ``notebook`` analyses (its ``covers`` entries)."""
    out: set[str] = set()
    for entry in notebook.covers:
        kind, _, name = entry.partition(":")
        if kind == "rule" and name:
            out |= set(spec.with_rule(name))
        elif entry in spec.endpoints:
            out.add(entry)
    return out


def unanalysed_endpoints(
    spec: Spec, notebooks: Sequence[Notebook], data: Any = None
) -> dict[str, str]:
    """Endpoint id -> why no notebook that runs analyses it (empty when every one is)."""
    running = [nb for nb in notebooks if not missing_requirements(nb, spec, data)]
    done = set().union(*(covered_endpoints(nb, spec) for nb in running))
    out = {}
    for eid in spec.endpoints:
        if eid in done:
            continue
        would = [nb for nb in notebooks if eid in covered_endpoints(nb, spec)]
        why = "; ".join(
            f"{nb.name} would, but the spec has no "
            f"{', '.join(missing_requirements(nb, spec, data))}"
            for nb in would
        )
        out[eid] = why or (
            f"no notebook analyses rule {spec.rule(eid)!r} (give one with --notebooks, or "
            "remove the endpoint from the spec)"
        )
    return out


#: Seconds of computing of each bundled notebook in a kernel that has its imports done, the
#: longer of the two bundled twins (measured 2026-12-02). A hint for the order of the run only.
COST_HINTS = {
    "14_multiverse": 3.4, "09_interim": 2.4, "04_free_days": 2.3, "16_sofa2": 2.0,
    "13_null_trial": 1.9, "05_mean_daily_sofa": 1.7, "02_delta_sofa": 1.3, "15_subgroups": 1.1,
    "12_estimands": 0.8, "01_population": 0.6, "03_mortality": 0.6, "08_sample_size": 0.6,
    "10_repeated_measures": 0.4, "06_safety": 0.4, "07_sensitivity_death_rule": 0.3,
    "11_quality_of_life": 0.2,
}  # fmt: skip


def longest_first(todo: Sequence[Outcome]) -> list[Outcome]:
    """The notebooks in the order the workers should take them: the longest first.

    Taken in name order, the multiverse (the longest) starts among the last and keeps one
    worker busy while the other has nothing left; started first, the short ones fill in beside
    it. The order is stable (by :data:`COST_HINTS`, a notebook it does not know counting 0,
    then as given), and the pages do not depend on it: each notebook starts from a fresh
    kernel's state (:mod:`trialkit._kernel_state`).
    """
    return sorted(todo, key=lambda o: -COST_HINTS.get(o.notebook.name, 0.0))


# --- resolving the trials ----------------------------------------------------------------


def _resolve_trials(trial: str, data_dir: Path | None) -> list[TrialRun]:
    from trialkit.schema import load_trial

    if trial == "all" and data_dir is None:
        pairs = [(t, bundled_data(t)) for t in available() if bundled_data(t) is not None]
    elif trial == "all":
        if data_dir.name not in available():
            raise SpecError(
                f"--data {data_dir}: no shipped spec is named after this folder "
                f"({', '.join(available())}); name the spec with --trial"
            )
        pairs = [(data_dir.name, data_dir)]
    else:
        pairs = [(trial, data_dir)]
    runs = []
    for trial_arg, given in pairs:
        spec = load_spec(trial_arg)
        folder = given if given is not None else bundled_data(spec.id)
        if folder is None:
            raise ReportError(
                f"trial {spec.id!r}: trialkit ships no data for it; give its folder with "
                "--data DIR (or write a twin: trialkit simulate --trial ... --out DIR)"
            )
        if not folder.is_dir():
            raise ReportError(f"trial {spec.id!r}: data folder {folder} does not exist")
        try:
            data = load_trial(folder, spec)
        except DataError as exc:
            shown = "\n  ".join(exc.problems[:5])
            more = f"\n  (+{len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
            raise ReportError(
                f"data folder {folder} is not valid for {spec.name} ({len(exc.problems)} "
                f"problem(s); `trialkit validate {folder} --trial {trial_arg}` lists them):"
                f"\n  {shown}{more}"
            ) from exc
        runs.append(
            TrialRun(
                spec,
                folder,
                trial_arg,
                load_published(folder),
                tuple(getattr(data, "warnings", ())),
                data,
            )
        )
    return runs


def _relative(path: Path, cwd: Path) -> str:
    """``path`` as the kernel (started in ``cwd``) should see it: relative when both are on
    one file system tree, so that the pages show no machine's absolute paths."""
    try:
        return os.path.relpath(path.resolve(), cwd.resolve())
    except ValueError:  # another drive (Windows)
        return str(path.resolve())


SPEC_COPY = "spec.toml"  # a user's spec, copied beside the pages it produced


def kernel_parameters(run: TrialRun, cwd: Path) -> dict[str, Any]:
    """``trial``, ``data_dir`` and ``out_dir`` as the kernel (started in ``cwd``, the trial's
    report folder) sees them. A shipped spec is passed by id and its bundled data as None; a
    user's spec is copied into the report folder, so that the pages name no path of it and the
    report keeps the plan it was made with; the data folder is passed relative to ``cwd``."""
    spec = run.spec
    shipped = spec.path is not None and spec.path.parent == (
        Path(__file__).resolve().parent / "specs"
    )
    if not shipped and spec.path is not None and not (cwd / SPEC_COPY).exists():
        shutil.copyfile(spec.path, cwd / SPEC_COPY)
    bundled = bundled_data(spec.id)
    uses_bundled = bundled is not None and run.data_dir.resolve() == bundled.resolve()
    return {
        "trial": spec.id if shipped else SPEC_COPY,
        "data_dir": None if uses_bundled and shipped else _relative(run.data_dir, cwd),
        "out_dir": "..",
    }


# --- the run ------------------------------------------------------------------------------


def run_report(
    trial: str = "all",
    data_dir: str | Path | None = None,
    out_dir: str | Path = Path("reports"),
    parameters: Mapping[str, Any] | Sequence[str] | None = None,
    jobs: int = 2,
    notebooks_dir: str | Path | None = None,
    *,
    reuse_kernels: bool = True,
) -> int:
    """Run every applicable notebook on each trial and write the report.

    Parameters
    ----------
    trial : str
        A spec id, a path to a spec TOML, or ``"all"``: every shipped spec with a bundled data
        folder (or, with ``data_dir``, the spec named by that folder).
    data_dir : str or Path, optional
        The data folder (default: the trial's bundled twin).
    out_dir : str or Path
        Where the executed notebooks, pages, ``<trial>/results.csv`` and ``index.html`` go.
        Must be new, empty, or an earlier trialkit report (which this run replaces whole).
    parameters : mapping or sequence of "KEY=VALUE", optional
        Notebook parameters for this run (``-p seed=7``), checked against what the notebooks
        that run declare; a notebook receives only the parameters it declares.
    jobs : int
        Notebooks run at once (each worker with its own kernel process).
    notebooks_dir : str or Path, optional
        One's own notebook set; default: the notebooks bundled with trialkit.
    reuse_kernels : bool
        True: each worker runs its notebooks one after another in one kernel, returned to a
        fresh kernel's state between them (:mod:`trialkit._kernel_state`: the same pages,
        without a kernel start and the imports per notebook). False: a fresh kernel per
        notebook (``--fresh-kernels``), for a notebook set that changes what the reset does
        not restore.

    Returns
    -------
    int
        0 when every notebook ran and every endpoint was analysed; 1 when a notebook failed
        (the others still run), a trial got no notebook or an endpoint no analysis; 2 when
        the arguments are wrong (nothing is written then); 130 when interrupted.

    Examples
    --------
    >>> from trialkit.report import run_report
    >>> run_report("imicro", out_dir="reports")  # doctest: +SKIP
    0
    """
    try:
        folder = Path(notebooks_dir) if notebooks_dir is not None else bundled_notebooks()
        if notebooks_dir is not None and not folder.is_dir():
            raise ReportError(f"notebooks folder {folder} does not exist")
        if jobs < 1:
            raise ReportError(f"jobs must be at least 1, got {jobs}")
        out = _check_out(Path(out_dir))
        runs = _resolve_trials(trial, None if data_dir is None else Path(data_dir))
        notebooks = find_notebooks(folder)
        outcomes = [
            Outcome(run, nb, missing_requirements(nb, run.spec, run.data))
            for run in runs
            for nb in notebooks
        ]
        todo = longest_first([o for o in outcomes if not o.missing])
        running = sorted({o.notebook.path for o in todo})
        given, per_notebook = _check_parameters(parameters, running)
    except (ReportError, SpecError, DataError, params.ParameterError, params.NotebookError) as e:
        print(f"trialkit report: {e}", file=sys.stderr)
        return 2

    problems = []
    for run in runs:
        if not any(o.run is run for o in todo):
            problems.append(
                f"{run.spec.id}: no notebook applies to this trial (in {folder.name}/: "
                + "; ".join(
                    f"{o.notebook.name} needs {', '.join(o.missing)}"
                    for o in outcomes
                    if o.run is run
                )
                + ")"
                if notebooks
                else f"{run.spec.id}: no analysis notebooks in {folder}"
            )
        for eid, why in unanalysed_endpoints(run.spec, notebooks, run.data).items():
            problems.append(f"{run.spec.id}: endpoint {eid!r} is analysed by no notebook: {why}")

    try:
        with _frozen_heap(), _Staging(out) as stage:
            for run in runs:
                (stage.path / run.spec.id).mkdir(parents=True, exist_ok=True)
            execute_all(todo, stage.path, per_notebook, jobs, kernel_parameters,
                        reuse_kernels=reuse_kernels)  # fmt: skip
            tables = {run.spec.id: collect(stage.path, run.spec.id) for run in runs}
            for run in runs:
                write_manuscript_tables(run, stage.path / run.spec.id, tables[run.spec.id])
            index = render_index(runs, notebooks, outcomes, tables, folder, given, problems)
            (stage.path / "index.html").write_text(index, encoding="utf-8")
            stage.commit()
    except KeyboardInterrupt:
        print(
            f"trialkit report: interrupted; {out} is left as it was before this run",
            file=sys.stderr,
        )
        return 130
    except _Busy as exc:
        print(f"trialkit report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the out folder's parent refuses the staging folder
        if exc.filename is None or not str(exc.filename).startswith(str(out.absolute().parent)):
            raise
        print(f"trialkit report: --out {out}: cannot write the report there ({exc})",
              file=sys.stderr)  # fmt: skip
        return 2

    failed = [o for o in outcomes if o.error]  # in the order of the notebooks, not of the run
    for o in failed:
        problems.append(o.message)
    if problems:
        print(f"trialkit report: wrote {out / 'index.html'}, with problems:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        if failed:
            print(f"  ({len(failed)} of {len(todo)} notebook(s) failed)", file=sys.stderr)
        return 1
    print(f"trialkit report: wrote {out / 'index.html'}", file=sys.stderr)
    return 0


def write_manuscript_tables(run: TrialRun, folder: Path, results: Any) -> list[Path]:
    """Table 1, the CONSORT counts and the results as ``<trial>_tables.docx`` and CSV, as
    journals print them (:func:`trialkit.manuscript.write_tables`), beside the pages."""
    from trialkit import manuscript, tables
    from trialkit.endpoints import analysis_set

    spec = run.spec
    flag = spec.populations["primary"]
    table1 = tables.baseline_table(analysis_set(run.data, spec, population="primary"), spec)
    consort = tables.consort_counts(run.data.patients, analysed=flag, arms=spec.arms,
                                    followup_days=spec.followup_days,
                                    enrolment=spec.enrolment)  # fmt: skip
    return manuscript.write_tables(folder, spec=spec, table1=table1, consort=consort,
                                   results=results, name=f"{spec.id}_tables")  # fmt: skip


def _check_parameters(
    given: Mapping[str, Any] | Sequence[str] | None, running: Sequence[Path]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    if not given:
        return {}, {}
    if isinstance(given, Mapping):
        pairs = []
        for key, value in given.items():
            if not isinstance(value, str):
                value = "None" if value is None else json.dumps(value)
            pairs.append(f"{key}={value}")
        given = pairs
    values, per_notebook = params.check(given, running)
    return values, {stem: v for stem, v in per_notebook.items()}


def _check_out(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out}: is a file, not a folder; give a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ReportError(
            f"--out {out}: the folder holds files that are not a trialkit report; give a new or "
            "empty folder (a report replaces its out folder whole)"
        )
    parent = out.absolute().parent
    if not parent.exists():
        raise ReportError(f"--out {out}: its parent folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ReportError(f"--out {out}: cannot write in {parent} (permission denied)")
    return out


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off the objects alive when the run starts (the modules, the
    trials' data) until it ends (:func:`gc.freeze`).

    The HTML export and the tables allocate much, and each full collection would walk every
    object of pandas, scipy and matplotlib again (~0.7 s of a report's export). They are
    handed back to the collector at the end; a caller that froze objects itself keeps its own
    arrangement.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Busy(RuntimeError):
    """Another live run holds the out folder."""


class _Staging:
    """Build a report beside its out folder, then put it in place whole.

    The staging folder ``.<out>.staging`` is also the lock: it holds the pid of the run that
    writes it, and a second run finds it and stops (unless that process is gone).
    """

    def __init__(self, out: Path):
        self.out = out.absolute()
        self.path = self.out.parent / f".{self.out.name}.staging"
        self._done = False

    def __enter__(self) -> _Staging:
        try:
            self.path.mkdir()
        except FileExistsError:
            pid = _read_pid(self.path / "pid")
            if pid is not None and _alive(pid):
                raise _Busy(
                    f"another trialkit report (process {pid}) is writing {self.out}; wait for "
                    f"it to finish, or remove {self.path} if that process is gone"
                ) from None
            shutil.rmtree(self.path)
            self.path.mkdir()
        (self.path / "pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
        return self

    def commit(self) -> None:
        (self.path / "pid").unlink()
        (self.path / MARKER).write_text("a trialkit report\n", encoding="utf-8")
        old = self.out.parent / f".{self.out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if self.out.exists():
            self.out.rename(old)
        self.path.rename(self.out)
        shutil.rmtree(old, ignore_errors=True)
        self._done = True

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            shutil.rmtree(self.path, ignore_errors=True)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
