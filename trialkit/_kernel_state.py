"""Inside a reused report kernel: put the kernel back as a fresh one would be for the next notebook.

``trialkit report`` runs the notebooks of a worker one after another in one kernel
(:mod:`trialkit.execute`). This module is imported by that kernel, never by the report's own
process: :func:`snapshot` right after the kernel started, :func:`reset` before each later
notebook. It imports only the standard library; what it restores of matplotlib and pandas it
restores only when a notebook has imported them.

What :func:`reset` restores, so that a notebook's outputs do not depend on the notebooks that
ran before it in the kernel:

* the user namespace, ``In``/``Out`` and the execution count (IPython's ``reset``: the
  numbers in the executed notebook start at 1 again);
* the working directory (the notebook's report folder, given by the caller), ``sys.path``
  and the environment variables, as at the snapshot;
* the warnings filters (those of the snapshot, and those that modules added as they were
  imported: a fresh kernel has them once a notebook imports the module), ``showwarning``
  (:func:`trialkit.notebook.setup` replaces it) and the registries of warnings already shown,
  so that a warning shown once per place is shown again;
* matplotlib: every figure closed, ``rcParams`` as read from the rc file (and the inline
  backend's own rc, if configured), the inline backend's figure formats (``setup`` strips the
  version from the PNGs through them) and interactive mode;
* pandas: every option at its default (``setup`` sets the display format).

What stays: the imported modules (a module's import-time output appears only in the first
notebook that imports it; the bundled notebooks print nothing at import; they are frozen out
of the garbage collector's sight, :func:`_freeze_survivors`), and whatever else a
notebook changes in a library's module state (a monkeypatch, a registered unit converter, the
global random state). A notebook set that does such things is run with a fresh kernel per
notebook (``trialkit report --fresh-kernels``).
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from typing import Any

_pristine: dict[str, Any] = {}


# Warnings filters that modules added while they were imported, newest first; and those
# they appended at the end. A fresh kernel has them once a notebook imports the module; in a
# reused kernel the module is imported already, so the reset keeps them.
_imported_first: list[Any] = []
_imported_last: list[Any] = []


class _Filters(list):  # type: ignore[type-arg]
    """``warnings.filters`` noting the filters added while a module is imported.

    ``warnings.filterwarnings`` and ``simplefilter`` add through ``insert``/``append``; a
    ``catch_warnings`` block works on a plain copy (a slice), so what it adds for a moment is
    never noted.
    """

    def insert(self, index: Any, item: Any) -> None:
        super().insert(index, item)
        if _importing():
            _imported_first.insert(0, item)

    def append(self, item: Any) -> None:
        super().append(item)
        if _importing():
            _imported_last.append(item)


def _importing() -> bool:
    """Whether a module's top-level code (not a notebook cell's, in ``__main__``) is running."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__":
            return True
        frame = frame.f_back
    return False


def snapshot() -> None:
    """Remember the process state of a kernel that has run no notebook yet."""
    _pristine.update(
        path=list(sys.path),
        environ=dict(os.environ),
        filters=list(warnings.filters),
        defaultaction=warnings.defaultaction,
        showwarning=warnings.showwarning,
    )
    warnings.filters = _Filters(warnings.filters)


def reset(cwd: str) -> None:
    """Return the kernel to the state :func:`snapshot` saw, in the working directory ``cwd``.

    Raises
    ------
    RuntimeError
        :func:`snapshot` was not called in this kernel.
    """
    if not _pristine:
        raise RuntimeError("trialkit._kernel_state.reset before snapshot")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")

    os.chdir(cwd)  # before IPython's reset, which records the directory in _dh
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # namespace, In/Out, execution count 1; collects garbage
    else:
        gc.collect()
    _freeze_survivors()

    sys.path[:] = _pristine["path"]
    if dict(os.environ) != _pristine["environ"]:
        os.environ.clear()
        os.environ.update(_pristine["environ"])

    warnings.resetwarnings()  # also marks every module's registry of shown warnings stale
    kept = [*_imported_first, *_pristine["filters"], *_imported_last]
    warnings.filters = _Filters(f for i, f in enumerate(kept) if f not in kept[:i])
    warnings.defaultaction = _pristine["defaultaction"]
    warnings.showwarning = _pristine["showwarning"]
    warnings.onceregistry.clear()

    with warnings.catch_warnings():
        # resetting deprecated matplotlib and pandas options warns that they are deprecated
        warnings.simplefilter("ignore")
        if "matplotlib" in sys.modules:
            _reset_matplotlib(shell)
        if "pandas" in sys.modules:
            sys.modules["pandas"].reset_option("all")


def _freeze_survivors() -> None:
    """Move what survived the collection (the imported modules and their caches) out of the
    cyclic garbage collector's sight (:func:`gc.freeze`).

    With pandas, scipy, statsmodels and matplotlib imported, each full collection walks
    their millions of objects: IPython's reset collects (~0.2 s a notebook), and so does
    Python now and then while a notebook computes. Frozen, they are walked no more; only a
    reference cycle among them that becomes garbage later stays in memory until the kernel
    ends. The pages do not change (``tests/test_execute_reuse.py``): a collection frees only
    what no notebook can reach.
    """
    gc.freeze()


def _reset_matplotlib(shell: Any) -> None:
    import matplotlib

    # As a fresh kernel has them once pyplot is imported: read from the rc file (rcParamsOrig),
    # the backend and interactive mode left as the kernel set them.
    kept = {"backend", "backend_fallback", "interactive"}
    matplotlib.rcParams.update({k: v for k, v in matplotlib.rcParamsOrig.items() if k not in kept})
    inline = sys.modules.get("matplotlib_inline.backend_inline")
    if inline is None or shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats

    config = inline.InlineBackend.instance()
    matplotlib.rcParams.update(config.rc)
    if getattr(inline.configure_inline_support, "current_backend", None) == "inline":
        select_figure_formats(shell, config.figure_formats, **config.print_figure_kwargs)
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:  # interactive, as IPython's activation leaves it: a figure
            pyplot.ion()  # drawn in a cell is shown
