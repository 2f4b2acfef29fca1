"""Numbers as journals print them: an estimate with its interval, a P value.

- the numbers printed together (an estimate and its limits, the arms of a summary) share
  their decimals: three significant digits for the smallest non-zero one, at most two
  decimals, none when all are integers (:func:`format_numbers`);
- ``1.09 (0.80 to 1.49)``: "to" rather than a dash, which a negative limit would make
  ambiguous (:func:`format_estimate`);
- P values two-sided, two significant digits, ``<0.001`` below 0.001 and ``>0.99`` above
  0.99 (:func:`format_p`);
- rounding is half up on the number's shortest decimal form, as a reader rounds the printed
  number (0.575 prints as 0.58 although the double nearest it is 0.57499...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

__all__ = ["format_estimate", "format_numbers", "format_p", "shown_decimals"]


def _decimals(values: Sequence[float], max_decimals: int = 2) -> int:
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    if all(float(v).is_integer() for v in finite):
        return 0
    smallest = min(v for v in finite if v != 0)
    return int(min(max(2 - math.floor(math.log10(smallest)), 0), max_decimals))


def _round(v: float, decimals: int) -> Decimal:
    """``v`` rounded half up from its shortest decimal form, as a reader rounds the printed
    number (0.575 is 0.57499999999999996 in binary, yet prints as 0.58)."""
    return Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def _text(v: float, decimals: int) -> str:
    r = _round(v, decimals)
    # "-0.00": rounding has taken the sign's meaning away.
    return f"{abs(r) if r == 0 else r:f}"


def format_numbers(values: Sequence[float], *, max_decimals: int = 2) -> list[str]:
    """Numbers printed together (an estimate and its limits), with the same decimals.

    Three significant digits for the smallest non-zero absolute value, at most
    ``max_decimals`` decimals, no decimals when every value is an integer; NaN gives ``""``.

    Examples
    --------
    >>> format_numbers([1.0929, 0.8010, 1.4913])
    ['1.09', '0.80', '1.49']
    >>> format_numbers([1, 0, 3]), format_numbers([11.6315])
    (['1', '0', '3'], ['11.6'])
    """
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return ["" for _ in values]
    d = _decimals(finite, max_decimals) if any(v != 0 for v in finite) else 0
    return [_text(v, d) if v is not None and np.isfinite(v) else "" for v in values]


def format_estimate(estimate: float, ci_low: float = math.nan, ci_high: float = math.nan) -> str:
    """``"1.09 (0.80 to 1.49)"``; the estimate alone when the interval is missing.

    Examples
    --------
    >>> format_estimate(-0.0894, -0.2, 0.0358)
    '-0.09 (-0.20 to 0.04)'
    >>> format_estimate(2.5)
    '2.50'
    """
    est, lo, hi = format_numbers([estimate, ci_low, ci_high])
    if not est:
        return ""
    return f"{est} ({lo} to {hi})" if lo and hi else est


def format_p(p: float) -> str:
    """A P value as journals print it: two significant digits, ``<0.001``, ``>0.99``.

    Examples
    --------
    >>> [format_p(p) for p in (0.575, 0.0611, 0.0996, 0.000_4, 0.996, float("nan"))]
    ['0.58', '0.061', '0.10', '<0.001', '>0.99', '']
    """
    if p is None or not np.isfinite(p):
        return ""
    if not 0 <= p <= 1:
        raise ValueError(f"format_p: a P value lies in [0, 1], got {p}")
    if p < 0.001:
        return "<0.001"
    if p > 0.99:
        return ">0.99"
    r = _round(p, 1 - math.floor(math.log10(p)))  # two significant digits
    return _text(float(r), 1 - math.floor(math.log10(float(r))))


def shown_decimals(values: Sequence[float]) -> list[str]:
    """Numbers with the decimals they were written with: the most any of them has in its
    shortest form (a published 1.08 (0.80 to 1.5) read back as floats is 1.08, 0.8, 1.5;
    they print as 1.08 (0.80 to 1.50)), at most four.

    Examples
    --------
    >>> shown_decimals([1.08, 0.8, 1.5]), shown_decimals([-4.0, 7.0])
    (['1.08', '0.80', '1.50'], ['-4', '7'])
    """
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return ["" for _ in values]
    d = max(max(-Decimal(repr(float(v))).normalize().as_tuple().exponent, 0) for v in finite)
    d = min(d, 4)
    return [_text(v, d) if np.isfinite(v) else "" for v in values]
