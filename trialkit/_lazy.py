"""Lazy public names for a package: ``package.name`` imports its submodule on first use.

The estimators and design functions rest on statsmodels, lifelines and scipy.stats, which take
seconds to import; a notebook that imports :mod:`trialkit.stats` should pay only for the
functions it calls.  A package lists where each public name lives and hands
:func:`lazy_exports` its ``__name__``; the returned ``__getattr__`` and ``__dir__`` (PEP 562)
keep ``package.name``, ``from package import name``, ``from package import *`` and
``dir(package)`` working as if every name had been imported eagerly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package``.

    ``where`` maps a submodule's name (relative to ``package``) to the public names it
    defines.  A submodule's own name is an attribute too (``trialkit.stats.rank``).
    """
    home = {name: module for module, names in where.items() for name in names}
    clash = sorted(set(home) & set(where))
    if clash:
        raise ValueError(f"{package}: names {clash} are both functions and submodules")
    public = sorted(home)

    def __getattr__(name: str) -> Any:
        if name in where:
            return import_module(f"{package}.{name}")
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home[name]}"), name)
        # Cached on the package, so __getattr__ runs once per name.
        setattr(import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(import_module(package))) | set(public) | set(where))

    return public, __getattr__, __dir__
