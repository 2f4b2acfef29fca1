"""Shared test hygiene.

``trialkit.notebook.setup`` sets pandas display options for the notebook it runs in; a test
that calls it in-process must not change how a later test (a docstring example, on the same
pytest-xdist worker) prints its DataFrame.
"""

from __future__ import annotations

import pandas as pd
import pytest

_DISPLAY = ("display.float_format", "display.max_colwidth")


@pytest.fixture(autouse=True)
def _pandas_display_restored():
    saved = [x for key in _DISPLAY for x in (key, pd.get_option(key))]
    with pd.option_context(*saved):
        yield
