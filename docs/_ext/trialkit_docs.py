"""What trialkit's documentation needs beyond Sphinx, myst-nb and numpydoc.

* **MathML**: formulas are converted to MathML at build time with docutils' own LaTeX
  converter, so the pages need no script and no network to show them (MathJax would be
  fetched from a CDN). A formula the converter cannot read is a build warning, which the
  ``-W`` build turns into an error: a broken formula in a docstring fails the build.
* **The committed notebooks** are copied from the top-level ``notebooks/`` into the source
  tree (``docs/notebooks/``, ignored by git) when the build starts; myst-nb renders them
  from their stored outputs, never executing them. The copies are refreshed only when a
  notebook changed, so an incremental build re-reads only what changed.
* **The API index** (``docs/api/index.rst``, generated, ignored by git) lists the modules by
  group (:data:`API_GROUPS`); a public module of the package that no group names is listed
  under "More modules", so that a new module is documented (and its docstrings checked) from
  its first commit, and a listed module that is gone is a warning.
* **The estimand pages**: ``.. family:: trialkit.stats.rank`` shows a family module's
  docstring and the full docstring of every function it provides (formula, references,
  example); ``.. unlisted-families::`` shows, on the estimands index, every family module of
  :data:`FAMILY_PACKAGES` that no estimand page names, so a new estimator is on the site from
  its first commit.
* **The codebook**: the ``codebook`` directive writes the data contract of a trial from
  :func:`trialkit.schema.codebook_markdown`, the same declarations the validation uses.
"""

from __future__ import annotations

import filecmp
import functools
import importlib
import inspect
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from docutils.utils.math import MathError, latex2mathml
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


# --- math as MathML ----------------------------------------------------------------------------
# LaTeX that MathJax reads and docutils' converter does not, rewritten to what it reads:
# ``\dots``; a bare size command before a delimiter (``\big/``, ``\Big(``: docutils knows only
# the ``l``/``r`` forms, and MathML stretches a fence by itself); a fraction with one-digit
# arguments written without braces (``\tfrac12``).
_OPENING = ("(", "[", r"\{", r"\langle", r"\lfloor", r"\lceil")
_CLOSING = (")", "]", r"\}", r"\rangle", r"\rfloor", r"\rceil")
_DELIMITER = "|".join(re.escape(d) for d in (*_OPENING, *_CLOSING))
_SIZE = re.compile(r"\\(big|Big|bigg|Bigg)(?![A-Za-z])\s*(" + _DELIMITER + ")?")
_FRAC = re.compile(r"\\([dt]?frac)\s*(\d)\s*(\d)")
_DOTS = re.compile(r"\\dots(?![A-Za-z])")


def _sized(m: re.Match[str]) -> str:
    size, delim = m.group(1), m.group(2)
    if delim is None:  # \big/ or \big| : the bare delimiter follows
        return ""
    return "\\" + size + ("l" if delim in _OPENING else "r") + delim


def readable_tex(tex: str) -> str:
    r"""``tex`` in the subset of LaTeX that docutils converts to MathML.

    >>> readable_tex(r"\tfrac12 \Big( a \big/ b \Big) \dots")
    '\\tfrac{1}{2} \\Bigl( a / b \\Bigr) \\ldots'
    """
    tex = _DOTS.sub(r"\\ldots", tex)
    tex = _FRAC.sub(r"\\\1{\2}{\3}", tex)
    return _SIZE.sub(_sized, tex)


def _mathml(translator: HTML5Translator, node: nodes.Element, block: bool) -> str:
    tex = node.astext()
    try:
        return latex2mathml.tex2mathml(readable_tex(tex), as_block=block)
    except MathError as exc:
        logger.warning("formula not converted to MathML (%s): %s", exc, tex, location=node)
        return f'<code class="math">{translator.encode(tex)}</code>'


def visit_math(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append(_mathml(self, node, block=False))
    raise nodes.SkipNode


def visit_displaymath(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math-block"))
    if node.get("number"):
        number = self.builder.env.get_domain("math").get_equation_number_for(node["label"])
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(_mathml(self, node, block=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


# --- the notebooks, from notebooks/ ------------------------------------------------------------
def copy_notebooks(app: Sphinx, config: Any) -> None:
    """Mirror ``notebooks/*.ipynb`` into ``<srcdir>/notebooks`` (changed files only)."""
    target = Path(app.srcdir) / "notebooks"
    target.mkdir(exist_ok=True)
    sources = {p.name: p for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    if not sources:
        logger.warning("no notebook found in %s", NOTEBOOKS)
    for stale in target.glob("*.ipynb"):
        if stale.name not in sources:
            stale.unlink()
    for name, src in sources.items():
        dst = target / name
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            shutil.copy2(src, dst)


# --- the API index ------------------------------------------------------------------------------
API_INTRO = """\
API reference
=============

Every public module of the package, from the data contract to the report. Each page is
written from the module's docstrings (numpydoc); a function's page gives its parameters, what
it returns, the errors it raises for bad input, its formula and references, and an example
that the test suite runs (``--doctest-modules``).

The estimators (:mod:`trialkit.stats`) and the design functions (:mod:`trialkit.design`) are
imported on first use and are reached from the package: ``trialkit.stats.hodges_lehmann``,
not ``trialkit.stats.rank.hodges_lehmann``. They are documented family by family on the
:doc:`estimand pages <../estimands/index>`, with their formulas; the two package pages list
them.
"""

#: The API reference's sections: (title, modules).
API_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Data and the analysis plan", (
        "trialkit.spec", "trialkit.schema", "trialkit.sofa", "trialkit.sofa_versions",
        "trialkit.endpoints",
        "trialkit.simulate",
    )),
    ("Statistics and design", ("trialkit.stats", "trialkit.design")),
    ("Tables, figures and results", (
        "trialkit.tables", "trialkit.plots", "trialkit.results", "trialkit.published",
    )),
    ("The report and the notebooks", (
        "trialkit.report", "trialkit.notebook", "trialkit.parameters", "trialkit.resources",
        "trialkit.starter",
    )),
    ("Internals", ("trialkit.patient_days", "trialkit.cli", "trialkit.cli_design", "trialkit._lazy",
                   "trialkit._kernel_state")),
)  # fmt: skip


def public_modules() -> list[str]:
    """The package's top-level modules and subpackages whose names do not start with ``_``."""
    import pkgutil

    import trialkit

    return [f"trialkit.{m.name}" for m in pkgutil.iter_modules(trialkit.__path__)
            if not m.name.startswith("_")]  # fmt: skip


def api_modules() -> list[str]:
    """Every module the API reference documents."""
    listed = [m for _, group in API_GROUPS for m in group]
    return listed + [m for m in public_modules() if m not in listed]


def write_api_index(app: Sphinx, config: Any) -> None:
    listed = [m for _, group in API_GROUPS for m in group]
    present = set(public_modules()) | {m for m in listed if m.startswith("trialkit._")}
    for gone in sorted(set(listed) - present):
        logger.warning("API_GROUPS lists %s, which is not a module of trialkit", gone)
    groups = [(title, [m for m in group if m in present]) for title, group in API_GROUPS]
    more = [m for m in public_modules() if m not in listed]
    if more:
        groups.insert(-1, ("More modules", more))
    parts = [API_INTRO]
    for title, modules in groups:
        parts += ["", title, "-" * len(title), "", ".. autosummary::", "   :toctree: generated",
                  "", *(f"   {m}" for m in modules)]  # fmt: skip
    target = Path(app.srcdir) / "api" / "index.rst"
    target.parent.mkdir(exist_ok=True)
    # autosummary never removes a stub: one of a module that is gone would fail the build
    documented = set(api_modules())
    for stub in (target.parent / "generated").glob("*.rst"):
        if stub.stem not in documented:
            stub.unlink()
    text = "\n".join(parts) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


class NotebookTable(SphinxDirective):
    """A Markdown table of the notebooks (MyST pages only): title, the trial its committed
    outputs were computed on (the ``trial`` of its parameters cell) and when a report runs it
    (its ``trialkit`` metadata)."""

    def run(self) -> list[nodes.Node]:
        import json

        from trialkit.parameters import declared
        from trialkit.report import find_notebooks

        rows = ["| notebook | committed run | a report runs it when the spec has |",
                "| --- | --- | --- |"]  # fmt: skip
        for nb in find_notebooks(NOTEBOOKS):
            self.env.note_dependency(str(nb.path))
            cells = json.loads(nb.path.read_text(encoding="utf-8"))["cells"]
            title = next(
                (line.lstrip("# ").strip() for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines() if line.startswith("# ")),
                nb.name,
            )  # fmt: skip
            trial = declared(nb.path).get("trial")
            ran_on = f"`{trial.default}`" if trial is not None else ""
            needs = [f"`{e}`" for e in nb.requires]
            # a covers entry that is also required holds whenever the notebook runs
            if nb.covers and not set(nb.covers) & set(nb.requires):
                listed = " or ".join(f"`{e}`" for e in nb.covers)
                needs.append(f"({listed})" if needs and len(nb.covers) > 1 else listed)
            when = " and ".join(needs) or "always"
            title = title.replace("|", "\\|")
            rows.append(f"| [{title}](notebooks/{nb.name}.ipynb) | {ran_on} | {when} |")
        container = nodes.container()
        self.state.nested_parse(StringList(rows, source="notebook-table"), 0, container)
        return container.children


# --- the codebook --------------------------------------------------------------------------------
class Codebook(SphinxDirective):
    """``{codebook} <spec id>``: the trial's codebook, parsed as MyST Markdown.

    Its headings are moved down so that the codebook's ``##`` title sits under the page's
    current section (option ``:heading-offset:``, default 1).
    """

    required_arguments = 1
    option_spec = {"heading-offset": int}  # noqa: RUF012 (docutils reads a class attribute)

    def run(self) -> list[nodes.Node]:
        from trialkit.schema import codebook_markdown
        from trialkit.spec import SPEC_DIR

        spec_id = self.arguments[0]
        # The build depends on the spec and on the column declarations behind the codebook.
        self.env.note_dependency(str(SPEC_DIR / f"{spec_id}.toml"))
        for module in ("columns", "codebook"):
            self.env.note_dependency(str(ROOT / "trialkit" / "schema" / f"{module}.py"))
        offset = self.options.get("heading-offset", 1)
        lines = []
        for line in codebook_markdown(spec_id).splitlines():
            if line.startswith("#"):
                line = "#" * offset + line
            lines.append(line)
        container = nodes.container()
        self.state.nested_parse(
            StringList(lines, source=f"codebook_markdown({spec_id!r})"),
            0,
            container,
            match_titles=True,
        )
        return container.children


# --- the estimand pages ---------------------------------------------------------------------------
#: Packages whose public functions live in family modules (trialkit.stats.rank) and are
#: reached at the package (trialkit.stats.hodges_lehmann).
FAMILY_PACKAGES = ("trialkit.stats", "trialkit.design")
_FAMILY_USE = re.compile(r"^\.\. family:: *(\S+)", re.MULTILINE)


def family_modules() -> list[str]:
    """The public family modules that provide functions (``trialkit.stats.rank``, ...)."""
    out = []
    for package in FAMILY_PACKAGES:
        where = importlib.import_module(package)._WHERE
        out += [f"{package}.{m}" for m, names in where.items() if names]
    return out


def shadowed(module: str) -> bool:
    """A module named like one of its package's functions (``trialkit.stats.rmst``): the
    function keeps the name, so the module cannot be a second object of it."""
    package, name = module.rsplit(".", 1)
    return name in importlib.import_module(package)._WHERE.get(name, ())


@functools.lru_cache
def family_pages(srcdir: str | Path) -> dict[str, str]:
    """Family module -> the estimand page that shows it (``estimands/index`` for the rest)."""
    folder = Path(srcdir) / "estimands"
    pages = {m: f"estimands/{page.stem}" for page in sorted(folder.glob("*.rst"))
             for m in _FAMILY_USE.findall(page.read_text(encoding="utf-8"))}  # fmt: skip
    return {m: pages.get(m, "estimands/index") for m in family_modules()}


def _family_rst(module: str) -> list[str]:
    """The family's docstring and its functions: their canonical documentation."""
    package, name = module.rsplit(".", 1)
    pkg = importlib.import_module(package)
    lines = [f".. automodule:: {module}", "   :no-members:"]
    lines += ["   :no-index:", ""] if shadowed(module) else [""]
    for item in pkg._WHERE[name]:
        if inspect.isclass(getattr(pkg, item)):
            lines += [f".. autoclass:: {package}.{item}", "   :members:", ""]
        else:
            lines += [f".. autofunction:: {package}.{item}", ""]
    return lines


class Family(SphinxDirective):
    """``.. family:: trialkit.stats.rank``: the module's docstring, then each function's.

    This is where the family's functions are documented (the API pages link here)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0]
        if module not in family_modules():
            raise self.error(f"{module} is not a family module of {FAMILY_PACKAGES}")
        return self._parse(_family_rst(module))

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.section()  # a section may hold the titles of UnlistedFamilies
        content = StringList(lines, source=self.get_source_info()[0])
        nested_parse_with_titles(self.state, content, container, self.content_offset)
        return container.children


class UnlistedFamilies(Family):
    """The family modules that no page of the directive's folder names, each in a section."""

    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        folder = Path(self.env.doc2path(self.env.docname)).parent
        named = {m for page in folder.glob("*.rst") for m in _FAMILY_USE.findall(page.read_text())}
        lines: list[str] = []
        for module in family_modules():
            if module not in named:
                lines += [module, "-" * len(module), "", *_family_rst(module)]
        for page in folder.glob("*.rst"):
            self.env.note_dependency(str(page))
        return self._parse(lines) if lines else []


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    # config-inited: before the sources are listed
    app.connect("config-inited", copy_notebooks)
    app.connect("config-inited", write_api_index)
    app.add_directive("codebook", Codebook)
    app.add_directive("family", Family)
    app.add_directive("notebook-table", NotebookTable)
    app.add_directive("unlisted-families", UnlistedFamilies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
