"""Measuring helpers shared by the benchmark scripts (imported from this folder)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def peak_mb(f: Callable[[], object]) -> float:
    """Peak memory allocated while ``f()`` runs (tracemalloc, MB), after a collection."""
    gc.collect()
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20
