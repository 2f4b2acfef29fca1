"""The built wheel, installed in a clean virtual environment, runs the bundled report from an
empty folder: the notebooks, the specs and the twins travel inside the package.

Slow (a wheel build, a venv with the pinned dependencies from pip's cache or PyPI, and a full
report run): it is what `pip install trialkit` gives a user who has no checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path, timeout: int = 1500, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, **kw)  # fmt: skip
    assert done.returncode == 0, f"{args[:3]}: exit {done.returncode}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    # Built from a clean copy of the sources: setuptools' build/ folder keeps files deleted
    # from the tree, which would then ship in the wheel.
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "reports", "*.egg-info", "__pycache__", ".*cache*"
        ),
    )
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
          str(source)], cwd=work)  # fmt: skip
    (wheel,) = dist.glob("trialkit-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "-c",
          str(ROOT / "requirements" / "constraints.txt"), str(wheel)], cwd=work)  # fmt: skip
    _run([str(python), "-m", "ipykernel", "install", "--prefix", str(env_dir), "--name",
          "python3"], cwd=work)  # fmt: skip
    return env_dir


@pytest.mark.slow
def test_the_installed_wheel_runs_the_bundled_report_from_an_empty_folder(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    trialkit = installed / "bin" / "trialkit"
    where = _run([str(installed / "bin" / "python"), "-c",
                  "import trialkit.resources as r; print(r.notebooks_dir()); print(r.data_root())"],
                 cwd=empty).stdout.split()  # fmt: skip
    assert all("site-packages" in w for w in where), where  # not the checkout's folders
    done = _run([str(trialkit), "report", "--trial", "all", "--out", "reports"], cwd=empty)
    assert "wrote reports/index.html" in done.stderr
    index = (empty / "reports" / "index.html").read_text()
    for trial in ("imicro", "combat_shine"):
        pages = sorted(p.name for p in (empty / "reports" / trial).glob("*.html"))
        assert len(pages) >= 8, (trial, pages)
        assert f'href="{trial}/01_population.html"' in index
    assert "This report is incomplete" not in index
    assert str(empty) not in index


@pytest.mark.slow
def test_the_installed_command_line_works_without_a_checkout(installed, tmp_path):
    trialkit = installed / "bin" / "trialkit"
    version = _run([str(installed / "bin" / "python"), "-m", "trialkit", "--version"],
                   cwd=tmp_path).stdout  # fmt: skip
    assert version.startswith("trialkit ")
    _run([str(trialkit), "init", "mine"], cwd=tmp_path)
    _run([str(trialkit), "simulate", "--trial", "mine/spec.toml", "--out", "mine/data",
          "--force", "--patients", "40"], cwd=tmp_path)  # fmt: skip
    done = _run([str(trialkit), "validate", "mine/data", "--trial", "mine/spec.toml"],
                cwd=tmp_path)  # fmt: skip
    assert "valid data" in done.stdout
