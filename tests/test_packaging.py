"""pyproject.toml and environment.yml must list the same dependencies (the design card asks for
both: pip users read the first, conda users the second)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    return {_name(r) for r in reqs}


def _environment() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if m and m.group(1) not in {"python", "pip"}:
            names.add(_name(m.group(1)))
    return names


def test_environment_yml_lists_the_pyproject_dependencies():
    assert _environment() == _pyproject()


def test_environment_yml_has_the_same_lower_bounds():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [
        r for extra in meta["optional-dependencies"].values() for r in extra
    ]
    env = (ROOT / "environment.yml").read_text()
    for req in reqs:
        assert f"- {req}" in env, f"{req} is in pyproject.toml but not in environment.yml as is"


def test_pinned_constraints_cover_every_dependency():
    pinned = {
        _name(line)
        for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert _pyproject() <= pinned
