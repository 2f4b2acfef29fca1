"""What a publication's printed figures allow: which data could have produced them, and when
no twin can meet them all.

A twin is calibrated to printed numbers, and printed numbers are rounded. Some combinations
of them no data set can give with the estimator the report uses; then the honest verdict is
not "differs" but "not reproducible with this method, because ...", by arithmetic a reader
can check by hand.

**A risk ratio printed beside rounded percentages** (COMBAT-SHINE: 49% of 142 vs 44% of
136, RR 1.13 (0.88 to 1.46)): :func:`compatible_counts` lists the event counts each
percentage allows, :func:`rr_compatibility` computes the risk ratio of every compatible
pair by the count-only methods of :func:`trialkit.stats.risk_ratio` (crude log-Wald,
Koopman score) and :func:`risk_ratio_verdict` says whether any pair reproduces the printed
estimate and interval, and, if none does, what the printed interval implies (its centre and
the standard error of log RR it was built with) against the crude one.

**A Hodges-Lehmann interval around 0 on a free-days endpoint** (I-MICRO's vasopressor-free
days, 0 (-1 to 1)): every death scores 0 days, the deaths of the two arms tie, and the
Wilcoxon statistic jumps by their number of pairs at a shift of 0;
:func:`tied_interval_verdict` says when that jump is too large for any interval holding
shifts on both sides of 0.

The quantiles of a change score that only deaths can reach are the subject of
:mod:`trialkit.simulate.death_timing`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialkit.results import reconcile

RR_METHODS = {"wald": "crude log-Wald", "score": "Koopman score"}


def check_n(n: Any, name: str, where: str) -> int:
    """``n`` as a positive int, else a ValueError naming the argument."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{where}: {name} must be a positive whole number of patients, got {n!r}")
    return int(n)


def check_positive(x: Any, name: str, where: str) -> float:
    """``x`` as a finite float > 0, else a ValueError naming the argument."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be a number, got {x!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{where}: {name} must be a finite number > 0, got {x!r}")
    return v


def compatible_counts(percent: float, n: int, *, rounding: float = 1.0) -> np.ndarray:
    r"""The event counts ``k`` of ``n`` patients whose percentage prints as ``percent``.

    .. math:: \left|\,100\,k/n - \text{percent}\,\right| \le r/2,\qquad k = 0, \dots, n

    with ``r`` the printed precision (an exact half-step counts as compatible, as
    :func:`trialkit.results.reconcile` treats it).

    Parameters
    ----------
    percent : float
        The printed percentage (0-100).
    n : int
        The arm's patients (the denominator).
    rounding : float
        The precision the percentage was printed to (1 for "49%").

    Returns
    -------
    numpy.ndarray
        The compatible counts, increasing (empty when none is).

    Examples
    --------
    COMBAT-SHINE's day-28 deaths: 49% of 142 is 68.6-70.3 patients, 44% of 136 is 59.2-60.5:

    >>> compatible_counts(49, 142).tolist(), compatible_counts(44, 136).tolist()
    ([69, 70], [60])
    """
    where = "compatible_counts"
    n = check_n(n, "n", where)
    rounding = check_positive(rounding, "rounding", where)
    k = np.arange(n + 1)
    ok = np.abs(100.0 * k / n - float(percent)) <= rounding / 2 * (1 + 1e-9)
    return k[ok]


def rr_compatibility(
    percent_1: float,
    n_1: int,
    percent_2: float,
    n_2: int,
    figure: Mapping[str, Any],
    *,
    percent_rounding: float = 1.0,
    events: tuple[int, int] | None = None,
    methods: Sequence[str] = ("wald", "score"),
) -> pd.DataFrame:
    r"""The risk ratio of every count pair the printed percentages allow, beside the figure.

    For each pair :math:`(a, b)` of :func:`compatible_counts` (or the printed counts
    ``events``) and each method, :func:`trialkit.stats.risk_ratio` gives the estimate and
    interval; the crude log-Wald one is

    .. math::

        \widehat{RR} = \frac{a/n_1}{b/n_2}, \quad
        \exp\Big(\log\widehat{RR} \pm z_{0.975}\sqrt{1/a - 1/n_1 + 1/b - 1/n_2}\Big),

    and each number is compared with the printed one by :func:`trialkit.results.reconcile`
    (within half its printed precision).

    Parameters
    ----------
    percent_1, n_1, percent_2, n_2 : float, int
        Printed percentage and patients of arm 1 (experimental) and arm 2 (control).
    figure : mapping
        The risk-ratio figure of ``published.toml`` (``estimate, ci_low, ci_high`` and their
        ``rounding``).
    percent_rounding : float
        Precision of the printed percentages.
    events : (int, int), optional
        The printed counts, when the publication gives them: the only pair then.
    methods : sequence of str
        Methods of :func:`trialkit.stats.risk_ratio` to try (``"wald"``, ``"score"``).

    Returns
    -------
    DataFrame
        One row per pair and method: ``a, n_1, b, n_2, percent_1, percent_2, method,
        estimate, ci_low, ci_high, se_log`` (the log-Wald SE of the pair),
        ``verdict`` (``agrees``/``differs``) and ``why``.

    Examples
    --------
    >>> fig = {"estimate": 1.13, "ci_low": 0.88, "ci_high": 1.46, "rounding": 0.01}
    >>> t = rr_compatibility(49, 142, 44, 136, fig, methods=["wald"])
    >>> t[["a", "b", "estimate", "ci_low", "ci_high", "verdict"]].round(3)
        a   b  estimate  ci_low  ci_high  verdict
    0  69  60     1.101   0.855    1.420  differs
    1  70  60     1.117   0.868    1.438  differs
    """
    from trialkit.stats import risk_ratio

    where = "rr_compatibility"
    n_1, n_2 = check_n(n_1, "n_1", where), check_n(n_2, "n_2", where)
    unknown = [m for m in methods if m not in RR_METHODS]
    if unknown:
        raise ValueError(f"{where}: methods {unknown} not among {sorted(RR_METHODS)}")
    if events is not None:
        pairs = [(int(events[0]), int(events[1]))]
    else:
        pairs = [
            (int(a), int(b))
            for a in compatible_counts(percent_1, n_1, rounding=percent_rounding)
            for b in compatible_counts(percent_2, n_2, rounding=percent_rounding)
        ]
    rows = []
    for a, b in pairs:
        se = math.sqrt(1 / a - 1 / n_1 + 1 / b - 1 / n_2) if a and b else math.nan
        for m in methods:
            res = risk_ratio(a, n_1, b, n_2, method=m).iloc[0]
            verdict, why = reconcile(
                float(res["estimate"]),
                float(res["ci_low"]),
                float(res["ci_high"]),
                math.nan,
                {k: v for k, v in figure.items() if k != "p_value"},
            )
            rows.append(
                {
                    "a": a,
                    "n_1": n_1,
                    "b": b,
                    "n_2": n_2,
                    "percent_1": 100 * a / n_1,
                    "percent_2": 100 * b / n_2,
                    "method": RR_METHODS[m],
                    "estimate": float(res["estimate"]),
                    "ci_low": float(res["ci_low"]),
                    "ci_high": float(res["ci_high"]),
                    "se_log": se,
                    "verdict": verdict,
                    "why": why,
                }
            )
    return pd.DataFrame(rows)


def implied_log_interval(
    figure: Mapping[str, Any], *, conf_level: float = 0.95
) -> dict[str, float]:
    r"""The centre and SE(log ratio) a printed ratio and its interval are compatible with.

    A log-Wald interval is :math:`\exp(\log E \pm z\,\mathrm{SE})`, :math:`z =
    z_{1-\alpha/2}`. Each printed number is known to half its printed precision:
    :math:`E \in [E^-, E^+]`, :math:`L \in [L^-, L^+]`, :math:`U \in [U^-, U^+]`. Then (each
    pair of printed numbers gives a necessary condition; the ranges are their intersection)

    .. math::

        \mathrm{SE} &\in \Big[\tfrac{\log U^- - \log L^+}{2z}, \tfrac{\log U^+ - \log L^-}{2z}
        \Big] \cap \Big[\tfrac{\log(E^-/L^+)}{z}, \tfrac{\log(E^+/L^-)}{z}\Big] \cap
        \Big[\tfrac{\log(U^-/E^+)}{z}, \tfrac{\log(U^+/E^-)}{z}\Big], \\
        E &\in [E^-, E^+] \cap \big[\sqrt{L^- U^-}, \sqrt{L^+ U^+}\big].

    Parameters
    ----------
    figure : mapping
        ``ci_low, ci_high`` and optionally ``estimate``, with their ``rounding``.
    conf_level : float
        The interval's level.

    Returns
    -------
    dict
        ``centre_low, centre_high, se_low, se_high`` (an empty range has low > high).

    Examples
    --------
    COMBAT-SHINE's 1.13 (0.88 to 1.46): the limits alone give SE in
    [(log 1.455 - log 0.885) / 3.92, (log 1.465 - log 0.875) / 3.92] = [0.1268, 0.1315], the
    estimate with the lower limit [log(1.125/0.885) / 1.96, log(1.135/0.875) / 1.96] =
    [0.1224, 0.1327], with the upper [0.1267, 0.1347]; the centre lies in [1.125, 1.135]:

    >>> r = implied_log_interval({"estimate": 1.13, "ci_low": 0.88, "ci_high": 1.46,
    ...                           "rounding": 0.01})
    >>> {k: round(v, 4) for k, v in r.items()}
    {'centre_low': 1.1283, 'centre_high': 1.135, 'se_low': 0.1268, 'se_high': 0.1315}
    """
    from scipy import stats

    from trialkit.published import precision

    z = float(stats.norm.ppf(0.5 + conf_level / 2))

    def bounds(key: str) -> tuple[float, float]:
        half = precision(dict(figure), key) / 2
        v = float(figure[key])
        return max(v - half, 1e-12), v + half

    (l_lo, l_hi), (u_lo, u_hi) = bounds("ci_low"), bounds("ci_high")
    se = [(math.log(u_lo) - math.log(l_hi)) / (2 * z), (math.log(u_hi) - math.log(l_lo)) / (2 * z)]
    centre = [math.sqrt(l_lo * u_lo), math.sqrt(l_hi * u_hi)]
    if "estimate" in figure:
        e_lo, e_hi = bounds("estimate")
        for lo, hi in (
            (math.log(e_lo / l_hi) / z, math.log(e_hi / l_lo) / z),
            (math.log(u_lo / e_hi) / z, math.log(u_hi / e_lo) / z),
        ):
            se = [max(se[0], lo), min(se[1], hi)]
        centre = [max(centre[0], e_lo), min(centre[1], e_hi)]
    return {"centre_low": centre[0], "centre_high": centre[1], "se_low": se[0], "se_high": se[1]}


def _diagnosis(est: float, se: float, box: Mapping[str, float]) -> str:
    """Why one count pair's crude log-Wald interval is not the printed one."""
    parts = []
    if not box["centre_low"] <= est <= box["centre_high"]:
        parts.append(
            f"its ratio {est:.3f} lies outside the printed centre "
            f"{box['centre_low']:.3f}-{box['centre_high']:.3f}"
        )
    if se > box["se_high"]:
        parts.append(
            f"its SE {se:.4f} is wider than the printed interval's "
            f"{box['se_low']:.4f}-{box['se_high']:.4f}"
        )
    elif se < box["se_low"]:
        parts.append(
            f"its SE {se:.4f} is narrower than the printed interval's "
            f"{box['se_low']:.4f}-{box['se_high']:.4f}"
        )
    return " and ".join(parts) or "it meets the necessary conditions but not every number"


def risk_ratio_verdict(
    figure_id: str,
    figures: Mapping[str, Mapping[str, Any]],
    n: tuple[int, int],
    arms: tuple[str, str],
    *,
    methods: Sequence[str] = ("wald", "score"),
) -> pd.DataFrame:
    r"""Can any data with the printed percentages give the printed risk ratio? Why not?

    The arm figures are ``<endpoint>_<arm>`` (as notebook 03 reads them); their printed counts
    (``events``) are used when given, else every count pair their percentages allow
    (:func:`rr_compatibility`). The verdict is

    * ``reproducible`` when some pair gives every printed number by a count-only method
      (``method`` names the first that does, crude log-Wald first);
    * ``not reproducible`` otherwise: the publication used a method that needs more than the
      two arms' counts (adjusted for covariates, stratified, or another interval). The
      ``reason`` says, pair by pair, what the printed numbers exclude
      (:func:`implied_log_interval`): a crude ratio outside the printed centre (another point
      estimate: adjusted or stratified), a crude SE wider than the printed one (a narrower
      interval, as covariate adjustment gives).

    Parameters
    ----------
    figure_id : str
        The risk-ratio figure, e.g. ``"death_d28_rr"``; its ``endpoint`` names the arm figures.
    figures : mapping
        ``published["figures"]``.
    n : (int, int)
        Patients analysed in arm 1 and arm 2 (e.g. the figures ``analysed_<arm>``).
    arms : (str, str)
        The spec's (experimental, control) labels.
    methods : sequence of str
        The count-only methods to try (``RR_METHODS``).

    Returns
    -------
    DataFrame
        One row: ``figure_id, verdict, method, pairs`` (compatible count pairs),
        ``estimate_low, estimate_high`` (their crude ratios), ``crude_se_low,
        crude_se_high``, ``centre_low, centre_high, se_low, se_high``
        (:func:`implied_log_interval`) and ``reason``.

    Examples
    --------
    COMBAT-SHINE's 90-day mortality, 57% of 142 and 51% of 136, RR 1.12 (0.91 to 1.4): the
    pairs 81/69 and 81/70; 81/69 has the printed ratio (1.124) but a crude SE of 0.1115, wider
    than the 0.1009-0.1110 that 1.12 with 0.91 allows:

    >>> figs = {"d_rr": {"endpoint": "d", "estimate": 1.12, "ci_low": 0.91, "ci_high": 1.4,
    ...                  "rounding": {"estimate": 0.01, "ci_low": 0.01, "ci_high": 0.1}},
    ...         "d_x": {"percent": 57}, "d_y": {"percent": 51}}
    >>> v = risk_ratio_verdict("d_rr", figs, (142, 136), ("x", "y"))
    >>> str(v.loc[0, "verdict"]), int(v.loc[0, "pairs"]), round(float(v.loc[0, "se_high"]), 4)
    ('not reproducible', 2, 0.111)
    """
    from trialkit.published import precision

    where = "risk_ratio_verdict"
    if figure_id not in figures:
        raise ValueError(f"{where}: no figure {figure_id!r} (figures: {', '.join(figures)})")
    fig = figures[figure_id]
    eid = fig.get("endpoint")
    arm_figs = [figures.get(f"{eid}_{arm}") for arm in arms]
    if eid is None or any(f is None for f in arm_figs) or "ci_low" not in fig:
        raise ValueError(
            f"{where}: {figure_id} needs an interval and the figures "
            f"{eid}_{arms[0]} and {eid}_{arms[1]} (each arm's % or count)"
        )
    f1, f2 = arm_figs
    if "events" in f1 and "events" in f2:
        events: tuple[int, int] | None = (int(f1["events"]), int(f2["events"]))
        p1, p2, step = 100 * events[0] / n[0], 100 * events[1] / n[1], 1.0
    elif "percent" in f1 and "percent" in f2:
        events, p1, p2 = None, float(f1["percent"]), float(f2["percent"])
        step = max(precision(dict(f1), "percent"), precision(dict(f2), "percent"))
    else:
        raise ValueError(
            f"{where}: {eid}_{arms[0]} and {eid}_{arms[1]} print neither counts nor percentages"
        )
    table = rr_compatibility(
        p1, n[0], p2, n[1], fig, percent_rounding=step, events=events, methods=methods
    )
    box = implied_log_interval(fig)
    pairs = table.drop_duplicates(["a", "b"]) if len(table) else table
    hit = table[table["verdict"] == "agrees"] if len(table) else table
    est = (
        (float(pairs["estimate"].min()), float(pairs["estimate"].max()))
        if len(pairs)
        else (math.nan, math.nan)
    )
    cse = (
        (float(pairs["se_log"].min()), float(pairs["se_log"].max()))
        if len(pairs)
        else (math.nan, math.nan)
    )
    method = ""
    if len(hit):
        first = hit.iloc[0]
        verdict, method = "reproducible", str(first["method"])
        reason = (
            f"{first['a']}/{n[0]} vs {first['b']}/{n[1]} gives "
            f"{first['estimate']:.3f} ({first['ci_low']:.3f} to {first['ci_high']:.3f}) by "
            f"the {method} method"
        )
    elif not len(pairs):
        verdict = "not reproducible"
        reason = "no count is compatible with the printed percentages of these arm sizes"
    else:
        verdict = "not reproducible"
        tried = " or the ".join(RR_METHODS[m] for m in methods)
        crude = table[table["method"] == RR_METHODS["wald"]] if "wald" in methods else pairs
        each = "; ".join(
            f"{r.a}/{r.n_1} vs {r.b}/{r.n_2}: crude {r.estimate:.3f} ({r.ci_low:.3f} to "
            f"{r.ci_high:.3f}), {_diagnosis(r.estimate, r.se_log, box)}"
            for r in crude.itertuples()
        )
        reason = (
            f"no count pair compatible with the printed numbers gives the printed ratio and "
            f"interval by the {tried} method. The printed numbers need a ratio of "
            f"{box['centre_low']:.3f}-{box['centre_high']:.3f} and an SE(log RR) of "
            f"{box['se_low']:.4f}-{box['se_high']:.4f}; {each}. The publication's method "
            "needs more than the two arms' counts (an estimate adjusted for covariates or "
            "stratified, or another interval)"
        )
    return pd.DataFrame(
        [
            {
                "figure_id": figure_id,
                "verdict": verdict,
                "method": method,
                "pairs": len(pairs),
                "estimate_low": est[0],
                "estimate_high": est[1],
                "crude_se_low": cse[0],
                "crude_se_high": cse[1],
                **box,
                "reason": reason,
            }
        ]
    )


def tied_interval_verdict(
    figure_id: str,
    figure: Mapping[str, Any],
    n: tuple[int, int],
    tied: tuple[int, int],
    *,
    conf_level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    r"""Can a Hodges-Lehmann interval printed around 0 hold when many patients share a value?

    A free-days endpoint gives every death the same value (0 days), so the deaths of the two
    arms tie with each other: the :math:`t_1 t_2` pairs of deaths have a difference of
    exactly 0. The Wilcoxon statistic :math:`W(d) = \#\{x_i - d > y_j\} +
    \tfrac12\#\{x_i - d = y_j\}` therefore drops by at least :math:`t_1 t_2` as the shift
    :math:`d` passes 0. The interval of R's ``wilcox.test(conf.int = TRUE)`` (normal
    approximation, which ties force) holds a shift :math:`d` when
    :math:`|W(d) - n_1 n_2/2| - c \le z_{1-\alpha/2}\,\sigma(d)` (:math:`c = \tfrac12` with
    the continuity correction, else 0), and at shifts just either side of 0 no value of one
    arm ties with one of the other, so the tie correction of :math:`\sigma` counts at least
    the two groups of deaths and

    .. math:: \sigma(\pm\varepsilon) \le \sigma_{\max} = \sqrt{\frac{n_1 n_2}{12}\left[(N+1)
              - \frac{(t_1^3 - t_1) + (t_2^3 - t_2)}{N(N-1)}\right]}, \quad N = n_1 + n_2

    (more ties only lower it). An interval holding shifts on both sides of 0 needs
    :math:`t_1 t_2 \le 2 z_{1-\alpha/2} \sigma_{\max} + 2c`. A printed interval whose inner
    bounds (each limit moved inwards by its rounding tolerance) straddle 0 while
    :math:`t_1 t_2` exceeds that bound can come from no data with these counts by this
    method: the publication used another interval, or scored deaths otherwise.

    Parameters
    ----------
    figure_id : str
        The figure, for the result.
    figure : mapping
        Its printed ``ci_low`` and ``ci_high`` (and ``rounding``, as in ``published.toml``).
    n : (int, int)
        Patients with a value in each arm.
    tied : (int, int)
        Patients in each arm sharing one value (the deaths within the endpoint's horizon).
    conf_level : float
        The interval's level.
    correct : bool
        R's continuity correction (its default, and :func:`trialkit.stats.hodges_lehmann`'s).

    Returns
    -------
    DataFrame
        One row: ``figure_id, verdict`` (``not reproducible`` or ``not excluded``),
        ``inner_low, inner_high`` (the interval every printing of the figure contains),
        ``tied_pairs`` (:math:`t_1 t_2`), ``sigma_max``, ``max_jump``
        (:math:`2 z \sigma_{\max} + 2c`) and ``reason``.

    Examples
    --------
    I-MICRO's vasopressor-free days, 0 (-1 to 1), with 48 of 114 and 47 of 122 deaths: the
    2,256 tied pairs exceed the 2,039 an interval around 0 allows.

    >>> v = tied_interval_verdict("vfd", {"ci_low": -1, "ci_high": 1}, (114, 122), (48, 47))
    >>> str(v.loc[0, "verdict"]), int(v.loc[0, "tied_pairs"]), round(float(v.loc[0, "max_jump"]))
    ('not reproducible', 2256, 2039)
    """
    from scipy import stats

    from trialkit.published import precision
    from trialkit.stats.rank import _sigma

    n1, n2 = (check_n(v, "n", "tied_interval_verdict") for v in n)
    if any(isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0 for v in tied):
        raise ValueError(f"tied_interval_verdict: tied must be whole numbers >= 0, got {tied!r}")
    t1, t2 = (int(v) for v in tied)
    if t1 > n1 or t2 > n2:
        raise ValueError(f"tied_interval_verdict: tied {tied} exceeds the arm sizes {n}")
    lo = float(figure["ci_low"]) + precision(dict(figure), "ci_low") / 2
    hi = float(figure["ci_high"]) - precision(dict(figure), "ci_high") / 2
    sigma = _sigma(n1, n2, float((t1**3 - t1) + (t2**3 - t2)))
    z = float(stats.norm.isf((1 - conf_level) / 2))
    jump = 2 * z * sigma + (1.0 if correct else 0.0)
    pairs = t1 * t2
    if lo < 0 < hi and pairs > jump:
        verdict = "not reproducible"
        reason = (
            f"the printed interval holds shifts on both sides of 0 (every printing of it "
            f"contains {lo:g} to {hi:g}), but the {t1} x {t2} = {pairs:,} pairs of patients "
            f"sharing one value (deaths) make the Wilcoxon statistic drop by at least {pairs:,} "
            f"at a shift of 0, more than the {jump:,.0f} (2 x {z:.2f} x sigma, sigma at most "
            f"{sigma:.1f}{', + 1 for the continuity correction' if correct else ''}) an "
            "interval around 0 allows: no data with these counts gives it by R's "
            "wilcox.test; the publication used another interval or another value for deaths"
        )
    else:
        verdict = "not excluded"
        reason = (
            "the printed interval does not hold shifts on both sides of 0"
            if not lo < 0 < hi
            else f"the {pairs:,} tied pairs are within the {jump:,.0f} an interval around 0 allows"
        )
    return pd.DataFrame(
        [
            {
                "figure_id": figure_id,
                "verdict": verdict,
                "inner_low": lo,
                "inner_high": hi,
                "tied_pairs": pairs,
                "sigma_max": sigma,
                "max_jump": jump,
                "reason": reason,
            }
        ]
    )
