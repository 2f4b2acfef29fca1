"""``trialkit report``: run the analysis notebooks with papermill and write the HTML report.

For each trial, every notebook of ``notebooks/`` whose needs the spec meets is executed
(papermill, kernel ``python3``) into ``<out>/<trial>/<name>.ipynb`` and rendered to a
self-contained HTML page beside it; the estimates the notebooks record are collected into
``<out>/<trial>/results.csv`` and ``<out>/index.html`` shows them beside the published
figures, then links every page and lists the assumptions of each spec.

A notebook states what it needs in its metadata::

    "trialkit": {"requires": ["delta_sofa", "design"]}

each entry an endpoint id, a non-empty section of the spec (``design``) or an extra table.
"""

from __future__ import annotations

import html
import json
import math
import os
import shutil
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from trialkit.published import load_published, precision
from trialkit.results import collect, published_point
from trialkit.schema import DataError
from trialkit.spec import Spec, SpecError, available, load_spec

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
NOTEBOOKS_DIR = ROOT / "notebooks"
KERNEL = "python3"
RESERVED = ("trial", "data_dir", "out_dir")

# nbconvert's lab template, minus the scripts it would fetch from a CDN (require.js for
# widgets, MathJax, mermaid): the pages must open on a ward computer with no network.
# Figures are inline PNGs already; CSS is inlined by the template.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@dataclass(frozen=True)
class Notebook:
    """An analysis notebook and the spec entries it needs."""

    path: Path
    requires: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class TrialRun:
    """One trial to report: its spec, data folder and published figures."""

    spec: Spec
    data_dir: Path
    trial_arg: str
    published: dict[str, dict[str, Any]]


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
        """The failure as printed: trial/notebook, cell, exception, executed notebook."""
        seen = f" (executed notebook: {self.output})" if self.output else ""
        return f"{self.run.spec.id}/{self.notebook.path.name}: {self.error}{seen}"


def find_notebooks(notebooks_dir: str | Path) -> list[Notebook]:
    """The notebooks of ``notebooks_dir`` (sorted by name) with their ``requires`` lists.

    Raises
    ------
    ValueError
        A notebook is not valid JSON, or its ``trialkit.requires`` is not a list of strings.
    """
    out = []
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a notebook (invalid JSON: {exc})") from exc
        requires = meta.get("trialkit", {}).get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise ValueError(
                f"{path}: metadata trialkit.requires must be a list of endpoint ids or "
                f"spec sections, got {requires!r}"
            )
        out.append(Notebook(path, tuple(requires)))
    return out


def missing_requirements(notebook: Notebook, spec: Spec) -> list[str]:
    """The entries of ``notebook.requires`` that ``spec`` does not have (empty: it applies)."""
    return [
        r
        for r in notebook.requires
        if r not in spec.endpoints and not spec.raw.get(r) and r not in spec.tables
    ]


def run_report(
    trial: str = "all",
    data_dir: str | Path | None = None,
    out_dir: str | Path = Path("reports"),
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 2,
    notebooks_dir: str | Path | None = None,
) -> int:
    """Run every applicable notebook on each trial and write the report.

    Parameters
    ----------
    trial : str
        A spec id, a path to a spec TOML, or ``"all"``: every shipped spec with a data
        folder ``data/<id>/`` (or, with ``data_dir``, the spec named by that folder).
    data_dir : str or Path, optional
        The data folder (default ``data/<trial>``).
    out_dir : str or Path
        Where the executed notebooks, pages, ``<trial>/results.csv`` and ``index.html`` go.
    parameters : mapping, optional
        Extra papermill parameters for every notebook (``-p seed=7``); ``trial``,
        ``data_dir`` and ``out_dir`` are set from the arguments above.
    jobs : int
        Notebooks run at once (each in its own kernel process).
    notebooks_dir : str or Path, optional
        Default: the ``notebooks/`` folder of the trialkit checkout.

    Returns
    -------
    int
        0 when every notebook ran, 1 when one failed (the others still run; the error names
        the notebook, the cell and the exception), 2 when the arguments are wrong.

    Examples
    --------
    >>> from trialkit.report import run_report
    >>> run_report("imicro", out_dir="reports")  # doctest: +SKIP
    0
    """
    out_dir = Path(out_dir)
    given_notebooks = notebooks_dir is not None
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    parameters = dict(parameters or {})
    try:
        if given_notebooks and not notebooks_dir.is_dir():
            raise ValueError(f"notebooks folder {notebooks_dir} does not exist")
        clash = [k for k in RESERVED if k in parameters]
        if clash:
            raise ValueError(
                f"-p {', '.join(clash)}: set these with --trial, --data and --out instead"
            )
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        runs = _resolve_trials(trial, None if data_dir is None else Path(data_dir))
        notebooks = find_notebooks(notebooks_dir) if notebooks_dir.is_dir() else []
    except (ValueError, SpecError, DataError) as exc:
        print(f"trialkit report: {exc}", file=sys.stderr)
        return 2

    outcomes = [
        Outcome(run, nb, missing_requirements(nb, run.spec)) for run in runs for nb in notebooks
    ]
    todo = [o for o in outcomes if not o.missing]
    for run in runs:
        # Results of an earlier run must not survive into this one's table.
        shutil.rmtree(out_dir / run.spec.id / "results", ignore_errors=True)
        (out_dir / run.spec.id).mkdir(parents=True, exist_ok=True)

    with (
        tqdm(total=len(todo), desc="trialkit report", unit="notebook", file=sys.stderr) as bar,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        futures = [pool.submit(_execute, o, out_dir, parameters) for o in todo]
        for future in as_completed(futures):
            outcome = future.result()
            bar.update()
            if outcome.error:
                bar.write(f"FAILED {outcome.run.spec.id}/{outcome.notebook.path.name}")

    tables = {run.spec.id: collect(out_dir, run.spec.id) for run in runs}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(
        render_index(runs, notebooks, outcomes, tables, notebooks_dir, parameters),
        encoding="utf-8",
    )
    failed = [o for o in todo if o.error]
    if failed:
        print(
            f"trialkit report: {len(failed)} of {len(todo)} notebook(s) failed:",
            file=sys.stderr,
        )
        for o in failed:
            print(f"  {o.message}", file=sys.stderr)
        return 1
    print(f"trialkit report: wrote {out_dir / 'index.html'}", file=sys.stderr)
    return 0


def _resolve_trials(trial: str, data_dir: Path | None) -> list[TrialRun]:
    if trial == "all" and data_dir is None:
        pairs = [(t, DATA_DIR / t) for t in available() if (DATA_DIR / t).is_dir()]
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
        folder = given if given is not None else DATA_DIR / spec.id
        if not folder.is_dir():
            raise ValueError(f"trial {spec.id!r}: data folder {folder} does not exist")
        # A spec given as a file is passed on as an absolute path; an id stays an id.
        arg = str(Path(trial_arg).resolve()) if trial_arg.endswith(".toml") else spec.id
        runs.append(TrialRun(spec, folder, arg, load_published(folder)))
    return runs


def _as_seen_from(path: Path, notebook_dir: Path) -> str:
    """``path`` as the kernel (started in the notebook's folder) should see it.

    Relative inside the project (``../data/imicro``), so that the executed notebooks and
    pages show no machine's absolute paths; absolute elsewhere.
    """
    target, base = path.resolve(), notebook_dir.resolve()
    if target.is_relative_to(base.parent):
        return os.path.relpath(target, base)
    return str(target)


def _execute(outcome: Outcome, out_dir: Path, parameters: dict[str, Any]) -> Outcome:
    import papermill as pm

    nb, run = outcome.notebook, outcome.run
    target = out_dir / run.spec.id / f"{nb.name}.ipynb"
    page = target.with_suffix(".html")
    # A page left by an earlier run must not pass for this run's.
    target.unlink(missing_ok=True)
    page.unlink(missing_ok=True)
    params = {
        "trial": run.trial_arg,
        "data_dir": _as_seen_from(run.data_dir, nb.path.parent),
        "out_dir": _as_seen_from(out_dir, nb.path.parent),
        **parameters,
    }
    try:
        pm.execute_notebook(
            nb.path.resolve(),
            target.resolve(),
            parameters=params,
            kernel_name=KERNEL,
            # Not papermill's cwd=, which chdirs the whole process (threads would race):
            # nbclient starts the kernel in the notebook's folder, as Jupyter and nbval do.
            resources={"metadata": {"path": str(nb.path.parent.resolve())}},
            progress_bar=False,
            # The kernel's own log (a TCP warning per start) would tear the progress bar.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as exc:
        outcome.error = _describe_failure(target, exc)
    except Exception as exc:  # a dead kernel, an unreadable notebook: say which, go on
        outcome.error = f"could not run: {type(exc).__name__}: {exc}"
    if target.exists():
        outcome.output = target
        try:
            render_html(target, page)
        except Exception as exc:
            outcome.error = outcome.error or (
                f"ran, but the HTML page could not be rendered: {type(exc).__name__}: {exc}"
            )
    return outcome


def _describe_failure(target: Path, exc: Any) -> str:
    """The failing cell, numbered as in the source notebook, its first line and the error."""
    index = exc.cell_index
    # papermill inserts an "injected-parameters" cell; count cells as the author sees them.
    try:
        cells = json.loads(target.read_text(encoding="utf-8"))["cells"]
        injected = [
            i
            for i, c in enumerate(cells)
            if "injected-parameters" in c.get("metadata", {}).get("tags", [])
        ]
        if injected and injected[0] < index:
            index -= 1
    except (OSError, ValueError, KeyError):
        pass
    first = next((line for line in exc.source.splitlines() if line.strip()), "").strip()
    return f"cell index {index} (`{first}`) raised {exc.ename}: {exc.evalue}"


_local = threading.local()


def render_html(notebook: Path, html_path: Path) -> None:
    """Render an executed notebook to one self-contained HTML file (no network needed)."""
    import nbformat

    body, _ = _exporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    html_path.write_text(body, encoding="utf-8")


def _exporter() -> Any:
    # Building the exporter (templates, CSS) costs more than a render: one per thread, kept.
    if not hasattr(_local, "exporter"):
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        _local.exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"trialkit_offline.html.j2": _OFFLINE_TEMPLATE})],
            template_file="trialkit_offline.html.j2",
            embed_images=True,
        )
    return _local.exporter


# --- the index page -------------------------------------------------------------------

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0 1.5rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e2e2e2; padding: .45rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; }
td { overflow-wrap: anywhere; }  /* long ids and notes wrap instead of widening the page */
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; }
.verdict { font-weight: 600; padding: .1rem .45rem; border-radius: .3rem; white-space: nowrap; }
.v-agrees { background: #dcf2dc; color: #14532d; }
.v-differs { background: #ffe3c2; color: #7a3300; }
.v-not-published, .v-not-computed { background: #ececec; color: #444; }
.st-failed { color: #a00; font-weight: 600; } .st-ok { color: #14532d; }
.muted { color: #666; font-size: .9rem; }
pre.error { white-space: pre-wrap; background: #fff4f4; padding: .5rem; border-radius: .3rem; }
dt { font-weight: 600; margin-top: .6rem; } dd { margin-left: 1rem; }
"""


def render_index(
    runs: list[TrialRun],
    notebooks: list[Notebook],
    outcomes: list[Outcome],
    tables: Mapping[str, pd.DataFrame],
    notebooks_dir: Path,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """The report's front page: reconciliation first, then analyses and assumptions."""
    e = html.escape
    overrides = ", ".join(f"{k} = {v!r}" for k, v in (parameters or {}).items())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>trialkit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>trialkit report</h1>",
        '<p class="lead">The prespecified analyses re-run from the patient-level data. '
        "Each published figure stands beside trialkit's estimate; <em>agrees</em> means "
        "within the rounding of the publication.</p>",
    ]
    if overrides:
        # A sensitivity run must not pass for the prespecified one.
        parts.append(
            "<p><strong>Parameters changed for this run</strong> (every notebook): "
            f"<code>{e(overrides)}</code>.</p>"
        )
    if not runs:
        parts.append(
            "<p><strong>No trial to report.</strong> No shipped spec ("
            + e(", ".join(available()))
            + ") has a data folder under <code>data/</code>; create one or pass "
            "<code>--data DIR</code>.</p>"
        )
    if not notebooks:
        parts.append(
            "<p><strong>No analysis notebooks were found</strong> in <code>"
            + e(notebooks_dir.name)
            + "/</code>, so nothing was computed yet. The published figures and the "
            "assumptions of each trial are listed below.</p>"
        )

    parts.append("<h2>Reconciliation with the publications</h2>")
    for run in runs:
        parts += _reconciliation(run, tables[run.spec.id])

    for run in runs:
        spec = run.spec
        parts.append(f'<h2 id="{e(spec.id)}">{e(spec.name)}: analyses</h2>')
        parts.append(
            f'<p class="lead">{e(spec.title)}{". " if spec.title else ""}Data folder: '
            f"<code>{e(run.data_dir.name)}/</code>.</p>"
        )
        mine = [o for o in outcomes if o.run is run]
        if mine:
            parts.append("<table><tr><th>Notebook</th><th>Status</th></tr>")
            for o in mine:
                parts.append(_analysis_row(o))
            parts.append("</table>")
        else:
            parts.append('<p class="muted">No analysis notebooks.</p>')
        parts.append(
            f'<p>Every estimate, beside its published figure: <a href="{e(spec.id)}/results.csv">'
            f"{e(spec.id)}/results.csv</a>.</p>"
        )
        parts.append(f"<h3>Assumptions of the {e(spec.name)} spec</h3>")
        if spec.assumptions:
            parts.append("<dl>")
            for a in spec.assumptions:
                parts.append(f"<dt>{e(a.get('id', ''))}</dt><dd>{e(a.get('text', ''))}</dd>")
            parts.append("</dl>")
        else:
            parts.append('<p class="muted">The spec states no assumptions.</p>')

    parts.append(
        '<p class="muted">Generated by <code>trialkit report</code> from the notebooks in '
        f"<code>{e(notebooks_dir.name)}/</code>. Each analysis page is a self-contained HTML "
        "file (figures embedded); the executed notebook sits beside it.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _reconciliation(run: TrialRun, table: pd.DataFrame) -> list[str]:
    e = html.escape
    figures = run.published["figures"]
    sources = run.published["sources"]
    out = [f"<h3>{e(run.spec.name)}</h3>"]
    if not figures:
        out.append(
            '<p class="muted">No published figures (no <code>published.toml</code> in the '
            "data folder).</p>"
        )
    else:
        verdicts = [
            v
            for fid in figures
            for v in (list(table.loc[table["published_id"] == fid, "verdict"]) or ["not computed"])
        ]
        counts = ", ".join(
            f"{verdicts.count(v)} {v}"
            for v in ("agrees", "differs", "not computed")
            if verdicts.count(v)
        )
        out.append(f"<p>{len(figures)} published figure(s): {e(counts)}.</p>")
        out.append(
            "<table><tr><th>Published figure</th><th>Published</th><th>trialkit</th>"
            "<th>Verdict</th><th>Why it differs / note</th><th>Source</th></tr>"
        )
        for fid, fig in figures.items():
            rows = table[table["published_id"] == fid]
            label = fig.get("label", fid)
            published = e(_describe_figure(fig))
            flags = [f for f in ("provisional", "derived") if fig.get(f)]
            source = e(fig.get("source", "")) + "".join(
                f'<br><span class="muted">{f}</span>' for f in flags
            )
            fig_note = fig.get("note", "")
            if rows.empty:
                out.append(
                    f"<tr><td>{e(label)}</td><td class='num'>{published}</td><td>—</td>"
                    f"{_verdict_cell('not computed')}<td>{e(fig_note)}</td>"
                    f"<td>{source}</td></tr>"
                )
            for _, r in rows.iterrows():
                note = "; ".join(p for p in (r["note"], fig_note) if p)
                # The trialkit label only where it says more than the published one.
                sub = r["analysis_id"] + (f": {r['label']}" if r["label"] != label else "")
                out.append(
                    f"<tr><td>{e(label)}<br><span class='muted'>{e(sub)}</span></td>"
                    f"<td class='num'>{published}</td>"
                    f"<td class='num'>{e(_describe_ours(r, fig))}</td>"
                    f"{_verdict_cell(r['verdict'])}<td>{e(note)}</td><td>{source}</td></tr>"
                )
        out.append("</table>")
        if sources:
            out.append('<p class="muted">Sources: ')
            out.append("; ".join(f"[{e(k)}] {e(v)}" for k, v in sources.items()) + "</p>")
    unpublished = table[~table["published_id"].isin(list(figures))]
    if not unpublished.empty:
        out.append(
            "<p>Estimates with no published counterpart:</p>"
            "<table><tr><th>Analysis</th><th>Arms</th><th>trialkit</th><th>Note</th></tr>"
        )
        for _, r in unpublished.iterrows():
            arms = f"{r['arm_1']} vs {r['arm_2']}" if r["arm_2"] else r["arm_1"]
            out.append(
                f"<tr><td>{e(r['label'])}<br><span class='muted'>{e(r['analysis_id'])}"
                f"</span></td><td>{e(arms)}</td><td class='num'>{e(_describe_ours(r, {}))}"
                f"</td><td>{e(r['note'])}</td></tr>"
            )
        out.append("</table>")
    return out


def _analysis_row(o: Outcome) -> str:
    e = html.escape
    name = o.notebook.path.name
    if o.status == "not applicable":
        return (
            f"<tr><td>{e(name)}</td><td class='muted'>not applicable: the spec has no "
            f"{e(', '.join(o.missing))}</td></tr>"
        )
    page = f"{o.run.spec.id}/{o.notebook.name}"
    link = (
        f'<a href="{e(page)}.html">{e(o.notebook.name)}</a> (<a href="{e(page)}.ipynb">ipynb</a>)'
    )
    if o.error:
        return (
            f"<tr><td>{link}</td><td><span class='st-failed'>failed</span>"
            f"<pre class='error'>{e(o.error or '')}</pre></td></tr>"
        )
    return f"<tr><td>{link}</td><td class='st-ok'>ran</td></tr>"


def _verdict_cell(verdict: str) -> str:
    css = "v-" + verdict.replace(" ", "-")
    return f"<td><span class='verdict {css}'>{html.escape(verdict)}</span></td>"


def _number(value: float, step: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if step is None:
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{decimals}f}"


def _interval(est: str, low: str, high: str, p: str) -> str:
    text = est + (f" ({low} to {high})" if low or high else "")
    return ", ".join(part for part in (text, f"P = {p}" if p else "") if part)


def _describe_figure(fig: Mapping[str, Any]) -> str:
    """A published figure as printed: ``1.08 (0.80 to 1.50), P = 0.12``; counts and IQRs too."""

    def num(key: str) -> str:
        return _number(fig[key], precision(dict(fig), key)) if key in fig else ""

    pieces = []
    if "events" in fig or "n" in fig:
        count = "/".join(num(k) for k in ("events", "n") if k in fig)
        pieces.append(count + (f" ({num('percent')}%)" if "percent" in fig else ""))
    elif "percent" in fig:
        pieces.append(f"{num('percent')}%")
    if "median" in fig:
        iqr = f" (IQR {num('q1')} to {num('q3')})" if "q1" in fig and "q3" in fig else ""
        pieces.append(f"median {num('median')}{iqr}")
    if any(k in fig for k in ("estimate", "ci_low", "ci_high", "p_value")):
        pieces.append(_interval(num("estimate"), num("ci_low"), num("ci_high"), num("p_value")))
    return "; ".join(p for p in pieces if p)


def _describe_ours(row: pd.Series, fig: Mapping[str, Any]) -> str:
    """trialkit's numbers, one decimal finer than the publication (so the gap shows)."""

    def num(ours: str, pub: str) -> str:
        step = precision(dict(fig), pub) / 10 if pub in fig else None
        if pub in ("events", "n"):
            step = 1.0  # a count is a count
        return _number(row[ours], step)

    return _interval(
        num("estimate", published_point(fig) or "estimate"),
        num("ci_low", "ci_low"),
        num("ci_high", "ci_high"),
        num("p_value", "p_value"),
    )
