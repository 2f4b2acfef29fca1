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


# -- what the wheel carries ------------------------------------------------------------------


def _configured_packages() -> set[str]:
    return set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )


def test_the_wheel_lists_every_subpackage_and_every_bundled_trial():
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "trialkit").rglob("__init__.py")
    }
    on_disk |= {"trialkit.specs", "trialkit.notebooks", "trialkit.data"}
    on_disk |= {f"trialkit.data.{d.name}" for d in (ROOT / "data").iterdir() if d.is_dir()}
    assert _configured_packages() == on_disk


def test_the_wheel_maps_the_top_level_notebooks_and_data_into_the_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"trialkit.notebooks": "notebooks", "trialkit.data": "data"}
    data = setuptools["package-data"]
    assert "*.ipynb" in data["trialkit.notebooks"]
    bundled = {p.suffix for p in (ROOT / "data").glob("*/*") if p.is_file()}
    covered = {pattern.rsplit(".", 1)[1] for pattern in data["trialkit.data"]}
    assert {s.lstrip(".") for s in bundled} <= covered, "a bundled file type left out of the wheel"
