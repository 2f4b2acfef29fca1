"""The report's front page (``index.html``): what failed, then per trial a headline, the
analyses, the reconciliation with the publication and the assumptions.

Every text that comes from a user's files (spec, ``published.toml``, results) is escaped.
The page is one self-contained file (its figure an inline PNG without a version stamp), and
the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from trialkit.published import describe_figure, format_interval, format_number, precision
from trialkit.results import FIGURE_VERDICTS, figure_verdicts, published_point

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from trialkit.report import Notebook, Outcome, TrialRun

e = html.escape

CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 76rem; margin: 0 auto 3rem; padding: 0 1rem; color: #1b1b1b; }
h1 { margin: 1.5rem 0 .2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.8rem; }
nav.contents { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
               padding: .5rem 0; z-index: 2; font-size: .95rem; }
nav.contents a { margin-right: 1rem; white-space: nowrap; }
.lead { color: #555; margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0 1.5rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e2e2e2; padding: .45rem .6rem; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
th { background: #f4f4f4; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.src { white-space: nowrap; }
.id { font-family: ui-monospace, monospace; font-size: .8rem; color: #666; }
tr.check td { font-size: .85rem; color: #444; background: #fafafa; }
.verdict { font-weight: 600; padding: .1rem .45rem; border-radius: .3rem; white-space: nowrap; }
.v-agrees { background: #dcf2dc; color: #14532d; }
.v-differs { background: #ffe3c2; color: #7a3300; }
.v-not-reproducible { background: #ece3f5; color: #4a2a70; }
.v-not-published, .v-not-computed { background: #ececec; color: #444; }
.kind { font-size: .75rem; color: #555; border: 1px solid #bbb; border-radius: .25rem;
        padding: 0 .3rem; margin-right: .3rem; white-space: nowrap; }
.st-failed { color: #a00; font-weight: 600; } .st-ok { color: #14532d; }
.muted { color: #666; font-size: .9rem; }
.problems { background: #fff4f4; border-left: 6px solid #a00; padding: .5rem 1rem;
            margin: 1rem 0; }
.problems strong { color: #a00; }
.warnings { background: #fffbea; border-left: 4px solid #b58900; padding: .5rem 1rem; }
.headline { background: #f6f8fb; border-left: 4px solid #3b6ea8; padding: .6rem 1rem; }
.headline p { margin: .3rem 0; }
img.figure { max-width: 100%; height: auto; }
pre.error { white-space: pre-wrap; background: #fff4f4; padding: .5rem; border-radius: .3rem; }
dt { font-weight: 600; margin-top: .6rem; } dd { margin-left: 1rem; }
details > summary { cursor: pointer; color: #3b6ea8; margin: .5rem 0; }
"""


def render_index(
    runs: Sequence[TrialRun],
    notebooks: Sequence[Notebook],
    outcomes: Sequence[Outcome],
    tables: Mapping[str, pd.DataFrame],
    notebooks_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    problems: Iterable[str] = (),
) -> str:
    """The report's front page (see the module docstring)."""
    from trialkit.spec import available

    overrides = ", ".join(f"{k} = {v!r}" for k, v in (parameters or {}).items())
    problems = list(problems) + [o.message for o in outcomes if o.error]
    excluded = {run.spec.id: _excluded(run, problems) for run in runs}
    verdicts = {
        run.spec.id: figure_verdicts(
            tables[run.spec.id], run.published["figures"], excluded[run.spec.id]
        )
        for run in runs
    }
    for run in runs:
        v = verdicts[run.spec.id]
        for r in v[v.reproductions > 1].itertuples():
            problems.append(
                f"{run.spec.id}: published figure {r.published_id!r} has {r.reproductions} "
                f"reproductions ({r.analysis_ids}); a notebook left a check unmarked"
            )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>trialkit report</title>",
        f"<style>{CSS}</style></head><body>",
        '<nav class="contents"><strong>trialkit report</strong> &nbsp; '
        + " ".join(
            f'<a href="#{e(r.spec.id)}">{e(r.spec.name)}</a>'
            f'<a href="#{e(r.spec.id)}-analyses">analyses</a>'
            f'<a href="#{e(r.spec.id)}-reconciliation">reconciliation</a>'
            for r in runs
        )
        + "</nav>",
        "<h1>trialkit report</h1>",
        '<p class="lead">The prespecified analyses re-run from the patient-level data. Each '
        "published figure stands beside trialkit's reproduction of it; <em>agrees</em> means "
        "that every number printed with it (estimate, limits, P, quartiles, counts) agrees "
        "within the precision it was printed to. Checks by other methods are shown beside "
        "the reproductions and not counted.</p>",
    ]
    if problems:
        parts.append(
            '<div class="problems"><p><strong>This report is incomplete.</strong></p><ul>'
            + "".join(f"<li>{e(p)}</li>" for p in problems)
            + "</ul></div>"
        )
    if overrides:
        # A sensitivity run must not pass for the prespecified one.
        parts.append(
            "<p><strong>Parameters changed for this run</strong> (in every notebook that "
            f"declares them): <code>{e(overrides)}</code>.</p>"
        )
    if not runs:
        parts.append(
            "<p><strong>No trial to report.</strong> No shipped spec ("
            + e(", ".join(available()))
            + ") has a bundled data folder; pass <code>--data DIR</code>.</p>"
        )
    for run in runs:
        mine = [o for o in outcomes if o.run is run]
        parts += _trial_section(
            run, mine, tables[run.spec.id], verdicts[run.spec.id], excluded[run.spec.id]
        )
    parts.append(
        '<p class="muted">Generated by <code>trialkit report</code> from the notebooks in '
        f"<code>{e(notebooks_dir.name)}/</code>. Each analysis page is a self-contained HTML "
        "file (figures embedded); the executed notebook sits beside it.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _excluded(run: TrialRun, problems: list[str]) -> dict[str, str]:
    """The published figures that no data with this trial's counts can give
    (:func:`trialkit.simulate.not_reproducible_from_data`); a figure file those checks cannot
    read is a problem of the report, not a reason to lose it."""
    if run.data is None or not run.published["figures"]:
        return {}
    from trialkit.simulate.agreement import not_reproducible_from_data

    try:
        return not_reproducible_from_data(run.spec, run.published, run.data)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(
            f"{run.spec.id}: the arithmetic checks of the published figures could not run "
            f"({type(exc).__name__}: {exc}); a figure they would exclude shows as differs"
        )
        return {}


def _trial_section(
    run: TrialRun,
    outcomes: Sequence[Outcome],
    table: pd.DataFrame,
    verdicts: pd.DataFrame,
    excluded: Mapping[str, str],
) -> list[str]:
    """One trial's part of the front page; ``verdicts`` each published figure's
    (:func:`trialkit.results.figure_verdicts`), ``excluded`` why arithmetic rules some out."""
    spec = run.spec
    tid = e(spec.id)
    out = [
        f'<h2 id="{tid}">{e(spec.name)}</h2>',
        f'<p class="lead">{e(spec.title)}{". " if spec.title else ""}Data folder: '
        f"<code>{e(run.data_dir.name)}/</code>.</p>",
    ]
    by_id = dict(zip(verdicts["published_id"], verdicts["verdict"], strict=True))
    out += _headline(run, table, by_id)
    if run.warnings:
        out.append(
            '<div class="warnings"><p><strong>What the data checks found</strong> (warnings, '
            "not errors)</p><ul>" + "".join(f"<li>{e(w)}</li>" for w in run.warnings)
            + "</ul></div>"
        )  # fmt: skip
    out.append(f'<h3 id="{tid}-analyses">Analyses</h3>')
    if outcomes:
        out.append('<div class="scroll"><table><tr><th>Page</th><th>Status</th></tr>')
        out += [_analysis_row(o) for o in outcomes]
        out.append("</table></div>")
    else:
        out.append('<p class="muted">No analysis notebooks.</p>')
    out.append(
        f'<p>Every estimate, beside its published figure: <a href="{tid}/results.csv">'
        f"{tid}/results.csv</a>. Table 1, the CONSORT counts and the results as a journal "
        f'prints them: <a href="{tid}/{tid}_tables.docx">{tid}_tables.docx</a> (Word; the '
        "same tables as CSV beside it).</p>"
    )
    out.append(f'<h3 id="{tid}-reconciliation">Reconciliation with the publication</h3>')
    out += _reconciliation(run, table, verdicts, excluded)
    out.append(f'<h3 id="{tid}-assumptions">Assumptions of the {e(spec.name)} spec</h3>')
    if spec.assumptions:
        out.append("<details open><summary>What the sources do not publish, and what the spec "
                   "assumes instead</summary><dl>")  # fmt: skip
        for a in spec.assumptions:
            concerns = ", ".join(a.get("concerns", []))
            out.append(
                f"<dt>{e(a.get('id', ''))} <span class='muted'>(concerns {e(concerns)})</span>"
                f"</dt><dd>{e(a.get('text', ''))}</dd>"
            )
        out.append("</dl></details>")
    else:
        out.append('<p class="muted">The spec states no assumptions.</p>')
    return out


def _primary_row(run: TrialRun, table: pd.DataFrame) -> pd.Series | None:
    """The recorded row of the spec's prescribed analysis of its primary endpoint."""
    spec, primary = run.spec, run.spec.primary
    if primary is None or table.empty:
        return None
    kinds = ["hodges_lehmann", "adjusted", "unadjusted"]
    if spec.analysis_of(primary) == "adjusted_mean_difference":
        kinds = ["adjusted", "unadjusted", "hodges_lehmann"]
    mine = table[table["kind"] != "check"] if "kind" in table else table
    for kind in kinds:
        rows = mine[mine["analysis_id"] == f"{primary}.{kind}"]
        if not rows.empty:
            return rows.iloc[0]
    return None


def _headline(run: TrialRun, table: pd.DataFrame, verdicts: Mapping[str, str]) -> list[str]:
    spec = run.spec
    row = _primary_row(run, table)
    out = ['<div class="headline">']
    if row is None:
        out.append(
            "<p><strong>Primary result:</strong> not computed"
            + (f" (the spec's primary endpoint is {e(spec.label(spec.primary))})"
               if spec.primary else " (the spec names no primary endpoint)")
            + ".</p>"
        )  # fmt: skip
    else:
        fig = run.published["figures"].get(str(row["published_id"]), {})
        ours = _describe_ours(row, fig)
        out.append(
            f"<p><strong>Primary result.</strong> {e(spec.label(spec.primary))}, "
            f"{e(str(row['arm_1']))} − {e(str(row['arm_2']))}: <strong>{e(ours)}</strong> "
            f"<span class='muted'>({e(str(row['label']))})</span>.</p>"
        )
        if fig:
            out.append(
                f"<p>Published: {e(describe_figure(fig))} — "
                f"{_verdict_badge(verdicts.get(str(row['published_id']), row['verdict']))}"
                + (f" <span class='muted'>{e(str(row['why']))}</span>" if _text(row, "why")
                   else "")
                + "</p>"
            )  # fmt: skip
    image = _reconciliation_figure(run, table, verdicts)
    if image:
        out.append(
            '<p class="muted">Every published interval beside trialkit\'s reproduction '
            "(grey: published; green: agrees; orange: differs; purple: not reproducible, "
            "the published numbers exclude it), each on its own scale:</p>"
            f'<img class="figure" alt="published and reproduced intervals" src="{image}">'
        )
    out.append("</div>")
    return out


def _reconciliation_figure(run: TrialRun, table: pd.DataFrame, verdicts: Mapping[str, str]) -> str:
    """An inline PNG of every published interval beside its reproduction ("" if none)."""
    from trialkit.plots import reconciliation_plot

    rows = []
    for fid, fig in run.published["figures"].items():
        if not {"ci_low", "ci_high"} <= set(fig) or published_point(fig) != "estimate":
            continue
        mine = table[(table["published_id"] == fid) & (table["kind"] == "reproduction")]
        if mine.empty:
            continue
        r = mine.iloc[0]
        rows.append(
            {"label": fig.get("label", fid), "published_estimate": fig["estimate"],
             "published_ci_low": fig["ci_low"], "published_ci_high": fig["ci_high"],
             "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
             "verdict": verdicts.get(fid, r["verdict"])}
        )  # fmt: skip
    if not rows:
        return ""
    figure = reconciliation_plot(pd.DataFrame(rows))
    buffer = io.BytesIO()
    # No "Software" stamp: the page must not carry a matplotlib version.
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight",
                   metadata={"Software": None})  # fmt: skip
    import matplotlib.pyplot as plt

    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _reconciliation(
    run: TrialRun, table: pd.DataFrame, verdicts: pd.DataFrame, excluded: Mapping[str, str]
) -> list[str]:
    figures = run.published["figures"]
    sources = run.published["sources"]
    out = []
    if not figures:
        out.append(
            '<p class="muted">No published figures (no <code>published.toml</code> in the '
            "data folder): every estimate is listed below as not published.</p>"
        )
    else:
        counts = verdicts["verdict"].value_counts()
        checks = int(verdicts["checks"].sum())
        out.append(
            f"<p>{len(figures)} published figure(s): "
            + ", ".join(f"{int(counts.get(v, 0))} {v}" for v in FIGURE_VERDICTS
                        if v != "not reproducible" or counts.get(v, 0))
            + f"; {checks} check(s) by other methods beside them, not counted."
            + (" <em>Not reproducible</em>: trialkit's number differs, and arithmetic on the "
               "published numbers and the data's counts shows that no data with these counts "
               "gives the published one by its method (the reason is beside it)."
               if counts.get("not reproducible", 0) else "")
            + "</p>"
        )  # fmt: skip
        out.append(
            '<div class="scroll"><table><tr><th>Published figure</th><th>Published</th>'
            "<th>trialkit</th><th>Verdict</th><th>What differs</th><th>Source</th></tr>"
        )
        by_id = dict(zip(verdicts["published_id"], verdicts["verdict"], strict=True))
        for fid, fig in figures.items():
            out += _figure_rows(fid, fig, table, by_id[fid], excluded.get(fid, ""))
        out.append("</table></div>")
        if sources:
            out.append(
                '<p class="muted">Sources: '
                + "; ".join(f"[{e(k)}] {e(v)}" for k, v in sources.items())
                + "</p>"
            )
    unpublished = table[~table["published_id"].isin(list(figures))]
    if not unpublished.empty:
        out.append(
            f"<details><summary>{len(unpublished)} estimate(s) with no published counterpart"
            "</summary><div class='scroll'><table><tr><th>Analysis</th><th>Arms</th>"
            "<th>trialkit</th><th>Note</th></tr>"
        )
        for _, r in unpublished.iterrows():
            arms = f"{r['arm_1']} vs {r['arm_2']}" if _text(r, "arm_2") else _text(r, "arm_1")
            kind = "<span class='kind'>check</span>" if _text(r, "kind") == "check" else ""
            out.append(
                f"<tr><td>{kind}{e(str(r['label']))}<br>{_id(r['analysis_id'])}</td><td>{e(arms)}</td>"
                f"<td class='num'>{e(_describe_ours(r, {}))}</td><td>{e(_text(r, 'note'))}"
                "</td></tr>"
            )
        out.append("</table></div></details>")
    return out


def _figure_rows(
    fid: str, fig: Mapping[str, Any], table: pd.DataFrame, verdict: str, reason: str = ""
) -> list[str]:
    rows = table[table["published_id"] == fid]
    reproductions = rows[rows["kind"] == "reproduction"] if "kind" in rows else rows
    checks = rows[rows["kind"] == "check"] if "kind" in rows else rows.iloc[0:0]
    label = fig.get("label", fid)
    flags = [f for f in ("provisional", "derived") if fig.get(f)]
    source = e(fig.get("source", "")) + "".join(
        f'<br><span class="muted">{f}</span>' for f in flags
    )
    published = e(describe_figure(fig))
    note = f"<br><span class='muted'>{e(fig['note'])}</span>" if fig.get("note") else ""
    out = []
    if reproductions.empty:
        out.append(
            f"<tr><td>{e(label)}{note}</td><td class='num'>{published}</td><td>—</td>"
            f"<td>{_verdict_badge('not computed')}</td><td></td><td class='src'>{source}</td></tr>"
        )
    for i, (_, r) in enumerate(reproductions.iterrows()):
        why = _joined(_text(r, "why"), _text(r, "note"),
                      reason if verdict == "not reproducible" else "")  # fmt: skip
        out.append(
            f"<tr><td>{e(label)}<br>{_id(r['analysis_id'])}"
            f"{note if i == 0 else ''}</td><td class='num'>{published}</td>"
            f"<td class='num'>{e(_describe_ours(r, fig))}</td><td>{_verdict_badge(verdict)}"
            f"</td><td>{e(why)}</td><td class='src'>{source}</td></tr>"
        )
    for _, r in checks.iterrows():
        why = _joined(_text(r, "why"), _text(r, "note"))
        out.append(
            f"<tr class='check'><td><span class='kind'>check</span>{e(str(r['label']))}<br>"
            f"{_id(r['analysis_id'])}</td><td></td>"
            f"<td class='num'>{e(_describe_ours(r, fig))}</td><td>"
            f"{_verdict_badge(r['verdict'])}</td><td>{e(why)}</td><td></td></tr>"
        )
    return out


def _analysis_row(o: Outcome) -> str:
    name = o.notebook.path.name
    if o.status == "not applicable":
        data = [m for m in o.missing if m.startswith("data:")]
        spec = [m for m in o.missing if m not in data]
        why = [f"the {whose} has no " + "; ".join(_requirement_text(m) for m in missing)
               for whose, missing in (("spec", spec), ("data", data)) if missing]  # fmt: skip
        return (
            f"<tr><td>{e(name)}</td><td class='muted'>not applicable: "
            f"{e('; '.join(why))}</td></tr>"
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


def _id(text: object) -> str:
    """An analysis id that may wrap after its dots and underscores, never inside a word."""
    escaped = e(str(text))
    return "<span class='id'>" + escaped.replace(".", ".<wbr>").replace("_", "_<wbr>") + "</span>"


def _requirement_text(entry: str) -> str:
    """A notebook requirement as a reader says it: ``rule:dead_by`` -> ``endpoint with rule
    dead_by``."""
    words = []
    for part in entry.split(" or "):
        kind, _, name = part.partition(":")
        if name and kind == "rule":
            words.append(f"endpoint with rule {name}")
        elif name and kind == "table":
            words.append(f"table of kind {name}")
        elif name == "sofa2" and kind == "data":
            words.append("SOFA-2 columns in daily.csv")
        else:
            words.append(part)
    return " or ".join(words)


def _verdict_badge(verdict: str) -> str:
    css = "v-" + str(verdict).replace(" ", "-")
    return f"<span class='verdict {css}'>{e(str(verdict))}</span>"


def _text(row: pd.Series, column: str) -> str:
    value = row.get(column, "")
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _describe_ours(row: pd.Series, fig: Mapping[str, Any]) -> str:
    """trialkit's numbers as the publication printed its own, one decimal finer (so the gap
    shows): a count over its denominator, a median with its IQR, an estimate with its CI."""

    def num(value: Any, key: str) -> str:
        step = precision(dict(fig), key) / 10 if key in fig else None
        if key in ("events", "n"):
            step = 1.0  # a count is a count
        return format_number(float(value), step)

    point = published_point(fig) or "estimate"
    text = format_interval(
        num(row["estimate"], point) if _text(row, "estimate") else "",
        num(row["ci_low"], "ci_low") if _text(row, "ci_low") else "",
        num(row["ci_high"], "ci_high") if _text(row, "ci_high") else "",
        num(row["p_value"], "p_value") if _text(row, "p_value") else "",
    )
    if "n" in fig and point == "events" and _text(row, "n"):
        text = text.replace(text.split(",")[0], f"{text.split(',')[0]}/{num(row['n'], 'n')}", 1)
    if "percent" in fig and point != "percent" and _text(row, "percent"):
        head, *rest = text.split(", ")
        text = ", ".join([f"{head} ({num(row['percent'], 'percent')}%)", *rest])
    if point == "median" and _text(row, "q1") and _text(row, "q3"):
        head, *rest = text.split(", ")
        text = ", ".join([f"median {head} (IQR {num(row['q1'], 'q1')} to "
                          f"{num(row['q3'], 'q3')})", *rest])  # fmt: skip
    return text
