"""Every declared dependency does real work: the package or a notebook imports it, or it is one
of the few that work without being imported, each with its reason."""

import ast
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Dependencies that are not imported, and the work each does.
NOT_IMPORTED = {
    "jupyterlab": "the notebook interface the README opens the notebooks in",
    "ipykernel": "the Python kernel every notebook runs in (the report and nbval start it)",
    "nbclient": "papermill's execution engine; trialkit.execute hands it its kernel manager",
}
#: Import names that differ from the distribution's name.
MODULE = {"python-docx": "docx"}


def _dependencies() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in meta["dependencies"]]


def _sources() -> str:
    code = [p.read_text(encoding="utf-8") for p in (ROOT / "trialkit").rglob("*.py")]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return "\n".join(code)


def test_every_declared_dependency_is_imported_or_exempt_with_a_reason():
    text = _sources()
    unused = []
    for dist in _dependencies():
        if dist in NOT_IMPORTED:
            continue
        module = MODULE.get(dist, dist.replace("-", "_"))
        if not re.search(rf"^\s*(import|from)\s+{re.escape(module)}\b", text, re.M):
            unused.append(dist)
    assert unused == [], f"declared but never imported: {unused}"


def test_the_exemptions_are_declared_dependencies():
    assert set(NOT_IMPORTED) <= set(_dependencies())


def test_every_module_the_package_imports_is_declared():
    import sys

    declared = {MODULE.get(d, d.replace("-", "_")) for d in _dependencies()}
    # what pandas, matplotlib and the Jupyter stack bring and trialkit uses through them
    provided = {"mpl_toolkits", "IPython", "matplotlib_inline", "jinja2", "traitlets"}
    imported = set()
    for path in (ROOT / "trialkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"trialkit", "__future__"}
    assert third_party - declared - provided == set()
