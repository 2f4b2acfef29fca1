"""Lazy public names for a package: ``package.name`` imports its submodule on first use.

The estimators and design functions rest on statsmodels, lifelines and scipy.stats, which take
seconds to import; a notebook that imports :mod:`trialkit.stats` should pay only for the
functions it calls.  A package lists where each public name lives and calls
:func:`lazy_package`; the ``__getattr__`` and ``__dir__`` it installs (PEP 562) keep
``package.name``, ``from package import name``, ``from package import *`` and ``dir(package)``
working as if every name had been imported eagerly.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from importlib import import_module
from typing import Any


class _Package(types.ModuleType):
    """A package whose public functions keep their name when a same-named submodule loads.

    Importing ``package.rmst`` makes the import system bind the submodule to the package's
    attribute ``rmst``; where a public function has that name (``trialkit.stats.rmst``,
    ``trialkit.design.group_sequential``), the function keeps it, as an eager
    ``from .rmst import rmst`` in ``__init__`` would have left it.
    """

    _functions_named_like_modules: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._functions_named_like_modules and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def lazy_package(package: str, where: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Install lazy ``__getattr__`` and ``__dir__`` on ``package``; return its ``__all__``.

    ``where`` maps a submodule's name (relative to ``package``) to the public names it
    defines; a submodule registered with no names is reached as ``package.submodule`` only.
    Call it from the package's ``__init__``: ``__all__ = lazy_package(__name__, _WHERE)``.
    """
    home = {name: module for module, names in where.items() for name in names}
    public = sorted(home)
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        if name in home:
            value = getattr(import_module(f"{package}.{home[name]}"), name)
            setattr(module, name, value)  # cached: __getattr__ runs once per name
            return value
        if name in where:
            return import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(public) | set(where))

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    module.__class__ = _Package
    module._functions_named_like_modules = frozenset(set(home) & set(where))
    return public
