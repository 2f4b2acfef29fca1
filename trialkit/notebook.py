"""What every analysis notebook needs besides the statistics: recording an estimate beside its
published figure, and showing the assumptions an analysis rests on.

Kept in the package (not copied into each notebook) so that every notebook records and shows
the same way, and a change is made once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trialkit import tables
from trialkit.results import record
from trialkit.spec import Spec


@dataclass
class Recorder:
    """Record estimates of one trial in ``out_dir`` beside the published figures.

    Call it as ``keep(analysis_id, label, result, published_id=None, note="", arms=None)``;
    it writes the row with :func:`trialkit.results.record` and returns it as
    :func:`trialkit.tables.reconciliation` shows it.

    Parameters
    ----------
    out_dir : str or Path
        The report folder (the notebook's ``out_dir`` parameter).
    spec : Spec
        The trial's analysis plan; ``spec.id`` names the results folder.
    published : mapping
        :func:`trialkit.published.load_published` of the data folder. A published id that the
        folder does not have is dropped, because a user's own trial may publish nothing.
    arms : (str, str), optional
        Default arms of every estimate; the spec's (experimental, control) when not given.

    Examples
    --------
    >>> import tempfile
    >>> from trialkit.spec import load_spec
    >>> keep = Recorder(tempfile.mkdtemp(), load_spec("imicro"), {"figures": {}})
    >>> keep("n_iloprost", "Patients analysed, iloprost", 114, arms=("iloprost", ""))[
    ...     "trialkit"].item()
    '114'
    """

    out_dir: str | Path
    spec: Spec
    published: Mapping[str, Any]
    arms: tuple[str, str] | None = None
    _figures: Mapping[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._figures = self.published.get("figures", {})
        if self.arms is None:
            self.arms = self.spec.arms

    def __call__(
        self,
        analysis_id: str,
        label: str,
        result: pd.DataFrame | float,
        published_id: str | None = None,
        note: str = "",
        arms: tuple[str, str] | None = None,
    ) -> pd.DataFrame:
        if not isinstance(result, pd.DataFrame):  # a count, or a summary of one arm
            result = pd.DataFrame(
                {"estimate": [result], "ci_low": [math.nan], "ci_high": [math.nan]}
            )
        if published_id not in self._figures:
            published_id = None
        arm_1, arm_2 = arms if arms is not None else self.arms
        row = record(
            self.out_dir,
            self.spec.id,
            analysis_id,
            label,
            result,
            arm_1=arm_1,
            arm_2=arm_2,
            published_id=published_id,
            published=self.published,
            note=note,
        )
        return tables.reconciliation(row)


def show_assumptions(spec: Spec, *ids: str) -> None:
    """Display, as Markdown quotes, the spec's assumptions (what the publications leave open)
    that an analysis uses; ids the spec does not have are skipped."""
    from IPython.display import Markdown, display

    for row in tables.assumptions_table(spec, ids).itertuples():
        display(Markdown(f"> **Assumption `{row.id}`.** {row.assumption}"))
