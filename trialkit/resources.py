"""Where the bundled notebooks and twin data folders are, in a checkout and in an install.

The design card's top-level ``notebooks/`` and ``data/`` are the source. A wheel carries
copies of them inside the package (``trialkit/notebooks``, ``trialkit/data``: see
``[tool.setuptools]`` in ``pyproject.toml``), so an installed trialkit runs its report from
any folder. The specs always live in the package (``trialkit/specs``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    installed = PACKAGE / name
    return installed if installed.is_dir() else PACKAGE.parent / name


def notebooks_dir() -> Path:
    """The folder of the bundled analysis notebooks.

    Examples
    --------
    >>> (notebooks_dir() / "01_population.ipynb").is_file()
    True
    """
    return _bundled("notebooks")


def data_root() -> Path:
    """The folder holding one data folder per bundled trial (``<root>/<trial id>/``)."""
    return _bundled("data")


def bundled_data(trial_id: str) -> Path | None:
    """The bundled data folder of a trial, or None when trialkit ships none for it.

    Examples
    --------
    >>> bundled_data("imicro").name
    'imicro'
    >>> bundled_data("my_own_trial") is None
    True
    """
    folder = data_root() / trial_id
    return folder if (folder / "patients.csv").is_file() else None
