"""The validated trial and the error that refuses invalid data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from trialkit.spec import Spec


class DataError(ValueError):
    """Invalid input data. The message names the file, column, row(s) and rule broken.

    ``problems`` holds every problem found (validation does not stop at the first).
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Trial:
    """A validated trial: the three tables of the data model plus the trial's extra tables.

    Frames are never modified by trialkit; derivations return new frames.

    ``warnings`` holds what :func:`~trialkit.schema.load_trial` found valid but worth
    knowing, one sentence each: the file and column, how many patients or rows, a few
    examples (ids, days or lines) and what the endpoint rules do with it (e.g. "Without a
    baseline score delta_sofa is missing for them"). Empty when there is nothing to say.
    """

    patients: pd.DataFrame
    daily: pd.DataFrame
    events: pd.DataFrame
    spec: Spec
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None
    warnings: tuple[str, ...] = ()
