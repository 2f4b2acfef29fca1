"""Sphinx configuration of trialkit's documentation (``make docs``).

The site builds offline with warnings as errors (``sphinx-build -W --keep-going -n``):
no intersphinx inventory is fetched, the theme (furo) ships its assets, formulas are MathML
written at build time (``_ext/trialkit_docs.py``), and the notebooks are rendered from the
outputs committed in ``notebooks/`` (myst-nb, never executed).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))  # the checkout's trialkit, also when it is not installed

from trialkit_docs import FAMILY_PACKAGES, api_modules, family_pages, shadowed  # noqa: E402

import trialkit  # noqa: E402

project = "trialkit"
author = "trialkit developers"
copyright = "trialkit developers"
release = version = trialkit.__version__

extensions = [
    "myst_nb",  # Markdown pages (MyST) and the notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "trialkit_docs",  # MathML formulas, the notebooks copied in, the codebook directive
]

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
nitpicky = True
# References that cannot resolve, each with its reason:
nitpick_ignore: list[tuple[str, str]] = []
nitpick_ignore_regex = [
    # Third-party objects named in docstrings (pandas.DataFrame, numpy.random.SeedSequence):
    # their inventories would be fetched from the network (intersphinx) and the build is
    # offline. They show as plain names.
    (
        r"py:.*",
        r"(numpy|pandas|scipy|matplotlib|seaborn|statsmodels|lifelines|pingouin"
        r"|pyarrow|pandera|dask|distributed|papermill|nbformat|nbclient)(\..+)?",
    ),
    # Private names (a leading underscore) are not documented by design.
    (r"py:.*", r"(.+\.)?_[A-Za-z]\w*"),
]

# --- HTML: furo, everything local ---------------------------------------------------------------
html_theme = "furo"
html_title = f"trialkit {release}"
html_static_path = ["_static"]
html_css_files = ["trialkit.css"]
html_math_renderer = "mathml"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None  # no dates: the same sources give the same pages
html_theme_options = {
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
}

# --- MyST and myst-nb -----------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "fieldlist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the committed outputs are the pages: never re-executed here
nb_render_markdown_format = "gfm"  # Markdown outputs: tables, but no MyST roles from spec text
nb_merge_streams = True

# --- autodoc, autosummary, numpydoc ---------------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ is its public API
autodoc_typehints = "none"  # numpydoc's Parameters section gives the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks: set[str] = set()


# --- what the API templates (_templates/autosummary) need to know ---------------------------------
# The estimators and design functions live in family modules (trialkit.stats.rank) but are
# public at the package (trialkit.stats.hodges_lehmann). They are documented on the estimand
# pages (the family directive); the package's API page lists them family by family.


def _is_data(value: object) -> bool:
    return not (inspect.ismodule(value) or inspect.isclass(value) or callable(value))


def _public_data(modname: str) -> list[dict[str, object]]:
    """A module's public constants: those in its ``__all__``, those documented with ``#:``
    and the UPPER_CASE names it assigns; each with whether its value is short enough to show
    (the value of ``DEATH_RULES`` is its documentation)."""
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(modname)
    analyzer = ModuleAnalyzer.for_module(modname)
    analyzer.analyze()
    documented = [n for ns, n in analyzer.find_attr_docs() if not ns]
    assigned = [n for n in analyzer.tagorder if "." not in n and n.isupper()]
    names = dict.fromkeys([*getattr(module, "__all__", ()), *documented, *assigned])
    out = []
    for n in names:
        if n.startswith("_") or not hasattr(module, n) or not _is_data(getattr(module, n)):
            continue
        out.append({"name": n, "short": len(repr(getattr(module, n))) <= 80})
    return out


def _families(package: str) -> list[dict[str, object]]:
    """The modules of a family package, for its API page: each with the names it provides
    (documented on its estimand page) or, for the others, documented in full there."""
    pkg = importlib.import_module(package)
    pages = family_pages(DOCS)
    out = []
    for info in pkgutil.iter_modules(pkg.__path__):
        name = f"{package}.{info.name}"
        doc = (importlib.import_module(name).__doc__ or "").strip()
        out.append(
            {
                "name": name,
                "exported": list(pkg._WHERE.get(info.name, ())),
                "page": pages.get(name, ""),
                "private": info.name.startswith("_"),
                "summary": doc.split("\n\n", 1)[0].replace("\n", " "),
            }
        )
    return out


autosummary_context = {
    "data_of": {m: _public_data(m) for m in api_modules()},
    "families_of": {p: _families(p) for p in FAMILY_PACKAGES},
}


def _constant_doc(app, what, name, obj, options, lines) -> None:
    """A constant's doc is its ``#:`` comment where it is defined, never its type's docstring.

    ``trialkit.schema.MAX_DAY`` is defined (and commented) in ``trialkit.schema.columns``;
    autodoc looks for the comment only in the module it was asked about.
    """
    if what != "data":
        return
    from sphinx.pycode import ModuleAnalyzer

    modname, attr = name.rsplit(".", 1)
    module = importlib.import_module(modname)
    candidates = [modname]
    if hasattr(module, "__path__"):
        candidates += [f"{modname}.{i.name}" for i in pkgutil.iter_modules(module.__path__)]
    for candidate in candidates:
        doc = ModuleAnalyzer.for_module(candidate).find_attr_docs().get(("", attr))
        if doc:
            lines[:] = list(doc)
            return
    type_doc = inspect.getdoc(type(obj)) or ""
    if lines and type_doc and lines[0].strip() == type_doc.splitlines()[0].strip():
        lines[:] = []


def _package_level(app, env, node, contnode):
    """Resolve a family module's names at the package, where they are documented.

    ``trialkit.stats.rank.hodges_lehmann`` and, inside ``trialkit.stats.rank``'s docstrings,
    a bare ``hodges_lehmann`` are the same object as ``trialkit.stats.hodges_lehmann``. A
    module shadowed by a function of its name (``:mod:`trialkit.stats.rmst```) links to its
    estimand page.
    """
    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip("~.")
    context = node.get("py:module") or ""
    pages = family_pages(app.srcdir)
    if node["reftype"] == "mod" and target in pages and shadowed(target):
        return make_refnode(app.builder, node["refdoc"], pages[target], "", contnode)
    for package in FAMILY_PACKAGES:
        where = importlib.import_module(package)._WHERE
        name = None
        head, _, last = target.rpartition(".")
        if head.startswith(package + ".") and last in where.get(head[len(package) + 1 :], ()):
            name = last
        elif (
            not head
            and context.startswith(package + ".")
            and any(target in names for names in where.values())
        ):
            name = target
        if name:
            return env.get_domain("py").resolve_xref(
                env,
                node["refdoc"],
                app.builder,
                node["reftype"],
                f"{package}.{name}",
                node,
                contnode,
            )
    return None


def setup(app) -> None:
    app.connect("autodoc-process-docstring", _constant_doc)
    app.connect("missing-reference", _package_level)
