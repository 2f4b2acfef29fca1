"""What every figure shares: the arms' colours and the argument check."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: Okabe-Ito vermillion and blue, then two spares for a third or fourth arm.
ARM_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7")


def arm_palette(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm, in order (experimental first), the same in every figure."""
    if len(arms) > len(ARM_COLOURS):
        raise ValueError(f"arm_palette: at most {len(ARM_COLOURS)} arms, got {len(arms)}")
    return dict(zip(arms, ARM_COLOURS, strict=False))


def _require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; columns are {list(frame.columns)}")
