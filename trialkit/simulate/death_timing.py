"""When deaths happen, and the quantiles of a change score that only deaths can reach.

Under a worst-value rule a patient who dies before the outcome day scores the maximum, so
the upper quantiles of a change score are set by the deaths before that day. I-MICRO prints
upper quartiles of +7 and +5 for the change in SOFA to day 7 (deaths scored 24), which the
twin can reach only if many of its deaths happen in the first week. The arithmetic:

* :func:`quantile_count_bounds`: how many patients must lie at or above a printed type-7
  quantile (R's default);
* :func:`early_death_requirement`: the deaths before the outcome day that needs, given who
  else reaches it and how many of those deaths do (a death scores the maximum minus its
  baseline);
* :func:`death_share_by_day` and :func:`tau_for_share`: the share of the deaths the twin's
  law of the day of death (``early_death_tau``) places there;
* :func:`death_timing_tradeoff`: the twin's quartiles and the figures that agree, as a
  function of ``early_death_tau``, so that the spec's author chooses the timing knowingly
  (``trialkit calibrate --fix early_death_tau=...``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialkit.results import reconcile
from trialkit.simulate.compatibility import check_n, check_positive


def quantile_count_bounds(
    n: int, printed: float, *, prob: float = 0.75, rounding: float = 1.0
) -> pd.DataFrame:
    r"""How many of ``n`` values must lie at or above a printed type-7 quantile.

    R's default quantile (Hyndman & Fan type 7) of sorted values :math:`x_0 \le \dots \le
    x_{n-1}` is :math:`Q = (1-g)\,x_j + g\,x_{j+1}` with :math:`h = (n-1)p`,
    :math:`j = \lfloor h \rfloor`, :math:`g = h - j`. A quantile printed as ``printed`` lies
    in :math:`[L, U] = [\text{printed} - r/2, \text{printed} + r/2]`. Since
    :math:`x_j \le Q \le x_{j+1}`:

    * :math:`Q \ge L` needs :math:`x_{j+1} \ge L` (:math:`x_j` when :math:`g = 0`): at least
      :math:`n - j - 1` values (:math:`n - j` when :math:`g = 0`) at or above :math:`L`;
    * :math:`Q \le U` needs :math:`x_j \le U`: at most :math:`n - j - 1` values above
      :math:`U`.

    Parameters
    ----------
    n : int
        Values in the arm.
    printed : float
        The printed quantile.
    prob : float
        The quantile's probability (0.75 for an upper quartile).
    rounding : float
        The printed precision.

    Returns
    -------
    DataFrame
        One row: ``n, prob, printed, lower, upper, j, g, min_at_or_above_lower,
        max_above_upper``.

    Examples
    --------
    I-MICRO's iloprost arm, 114 patients, upper quartile +7: h = 113 x 0.75 = 84.75, so
    j = 84 and at least 114 - 85 = 29 patients have a change of 6.5 or more:

    >>> quantile_count_bounds(114, 7)[["j", "g", "min_at_or_above_lower"]].to_dict("records")
    [{'j': 84, 'g': 0.75, 'min_at_or_above_lower': 29}]
    """
    where = "quantile_count_bounds"
    n = check_n(n, "n", where)
    rounding = check_positive(rounding, "rounding", where)
    if not 0 <= prob <= 1:
        raise ValueError(f"{where}: prob must be in [0, 1], got {prob!r}")
    h = (n - 1) * prob
    j = math.floor(h + 1e-12)
    g = h - j if h - j > 1e-12 else 0.0
    return pd.DataFrame(
        [
            {
                "n": n,
                "prob": prob,
                "printed": float(printed),
                "lower": printed - rounding / 2,
                "upper": printed + rounding / 2,
                "j": j,
                "g": round(g, 12),
                "min_at_or_above_lower": n - j - (1 if g > 0 else 0),
                "max_above_upper": n - j - 1,
            }
        ]
    )


def early_death_requirement(
    n: int,
    printed_q3: float,
    deaths: int,
    *,
    others_at_or_above: int = 0,
    reaching: float = 1.0,
    rounding: float = 1.0,
    prob: float = 0.75,
) -> pd.DataFrame:
    r"""Deaths needed before the outcome day for a printed upper quantile of a change score.

    Under a worst-value rule a death before the outcome day scores the maximum :math:`W`, so
    its change is :math:`W - \text{baseline}`: above the quartile's lower rounding limit
    :math:`L` when the baseline is at most :math:`W - L`, a share ``reaching`` (:math:`r`) of
    those deaths. Everyone else (survivors, and deaths on the outcome day, scored as
    observed) reaches :math:`L` rarely: ``others_at_or_above`` (:math:`s`) of them. With
    :math:`m` the least number of values at or above :math:`L`
    (:func:`quantile_count_bounds`), at least

    .. math:: k = \left\lceil \max(0, m - s) / r \right\rceil

    patients must die before the outcome day: a share :math:`k / D` of the :math:`D` deaths by
    the end of follow-up, feasible only when :math:`k \le D`.

    Parameters
    ----------
    n : int
        Patients with a value in the arm.
    printed_q3 : float
        The printed upper quartile.
    deaths : int
        The arm's deaths by the end of follow-up (e.g. day 28).
    others_at_or_above : int
        Patients not scored the worst value whose change reaches :math:`L` (from a twin, or 0).
    reaching : float
        Share (0-1] of the deaths before the outcome day whose change reaches :math:`L`.
    rounding, prob
        As :func:`quantile_count_bounds`.

    Returns
    -------
    DataFrame
        One row: ``n, printed, deaths, others_at_or_above, reaching, needed_at_or_above,
        early_deaths_needed, share_of_deaths, feasible``.

    Examples
    --------
    I-MICRO, iloprost: at least 29 of 114 patients at +6.5 or more. If every early death
    reaches it and no one else does, 29 of the 48 deaths (60%) must come before day 7; if
    only 70% of early deaths do (the others had a baseline SOFA of 18 or more), 29 / 0.7 =
    41.4, so 42 (88%):

    >>> early_death_requirement(114, 7, 48)[["early_deaths_needed", "share_of_deaths"]].round(3)
       early_deaths_needed  share_of_deaths
    0                   29            0.604
    >>> int(early_death_requirement(114, 7, 48, reaching=0.7)["early_deaths_needed"].iloc[0])
    42
    """
    where = "early_death_requirement"
    b = quantile_count_bounds(n, printed_q3, prob=prob, rounding=rounding).iloc[0]
    if isinstance(deaths, bool) or not isinstance(deaths, int | np.integer) or deaths < 0:
        raise ValueError(f"{where}: deaths must be a count >= 0, got {deaths!r}")
    if not 0 < float(reaching) <= 1:
        raise ValueError(f"{where}: reaching must be a share in (0, 1], got {reaching!r}")
    m = int(b["min_at_or_above_lower"])
    need = math.ceil(max(0, m - int(others_at_or_above)) / float(reaching) - 1e-9)
    return pd.DataFrame(
        [
            {
                "n": n,
                "printed": float(printed_q3),
                "deaths": int(deaths),
                "others_at_or_above": int(others_at_or_above),
                "reaching": float(reaching),
                "needed_at_or_above": m,
                "early_deaths_needed": need,
                "share_of_deaths": need / deaths if deaths else math.nan,
                "feasible": need <= deaths,
            }
        ]
    )


def death_share_by_day(tau: float, day: int = 7, *, first: int = 1, last: int = 28) -> float:
    r"""Share of deaths on days ``first..day`` under the twin's truncated geometric law.

    The twin draws the day of a death by day ``last`` with weights
    :math:`w_d = e^{-(d - \text{first})/\tau}` on :math:`d = \text{first}, \dots,
    \text{last}`, so

    .. math::

        S(\tau) = \frac{\sum_{d=\text{first}}^{\text{day}} w_d}{\sum_{d=\text{first}}^
        {\text{last}} w_d} = \frac{1 - e^{-(\text{day}-\text{first}+1)/\tau}}
        {1 - e^{-(\text{last}-\text{first}+1)/\tau}}.

    Examples
    --------
    tau = 4: (1 - e^{-7/4}) / (1 - e^{-7}) = 0.8262 / 0.9991 = 0.827; tau = 7:
    (1 - e^{-1}) / (1 - e^{-4}) = 0.644:

    >>> round(death_share_by_day(4.0), 3), round(death_share_by_day(7.0), 3)
    (0.827, 0.644)
    """
    tau = check_positive(tau, "tau", "death_share_by_day")
    if not first <= day <= last:
        raise ValueError(f"death_share_by_day: day {day} must lie in {first}..{last}")
    return float(-math.expm1(-(day - first + 1) / tau) / -math.expm1(-(last - first + 1) / tau))


def tau_for_share(share: float, day: int = 7, *, first: int = 1, last: int = 28) -> float:
    """The ``early_death_tau`` whose law puts ``share`` of the deaths on days ``first..day``
    (:func:`death_share_by_day` is decreasing in tau; solved by Brent's method).

    Examples
    --------
    >>> round(tau_for_share(0.644), 2)
    7.0
    """
    from scipy import optimize

    flat = (day - first + 1) / (last - first + 1)  # the limit tau -> infinity
    if not flat < share < 1:
        raise ValueError(
            f"tau_for_share: share must lie in ({flat:.3f}, 1) for days {first}..{day} of "
            f"{first}..{last}, got {share!r}"
        )
    return float(
        optimize.brentq(
            lambda t: death_share_by_day(t, day, first=first, last=last) - share,
            1e-3,
            1e4,
            xtol=1e-10,
        )
    )


def tau_ranges(
    taus: Sequence[float], values: Sequence[float], printed: float
) -> list[tuple[float, float]]:
    """The ranges of ``early_death_tau`` in which a quantity measured on a grid of laws of the
    day of death crosses its printed value.

    The quantity (e.g. an arm's mean upper quartile over seeds) is known at ``taus`` only;
    between two neighbouring values it is taken to be monotone, so the printed value is
    reached in ``[t_k, t_k+1]`` when it lies between the quantity there (inclusive). Beyond
    the grid: ``(0, t_min]`` when the printed value lies beyond the quantity at the smallest
    tau on the side the quantity moves towards as tau falls, ``[t_max, inf)`` likewise at
    the largest; no range at all (an empty list) when it is beyond both ends on the same side
    of a quantity that turns back.

    Parameters
    ----------
    taus : sequence of float
        The grid, at least one value, each positive.
    values : sequence of float
        The quantity at each tau (same length; NaN ignored).
    printed : float
        The published value.

    Returns
    -------
    list of (float, float)
        The ranges, in increasing order; ``math.inf`` for an open upper end.

    Examples
    --------
    >>> tau_ranges([2, 4, 7], [6.05, 5.22, 2.50], 5.0)   # between 4 and 7
    [(4.0, 7.0)]
    >>> tau_ranges([2, 4, 7], [6.05, 5.22, 2.50], 7.0)   # above the quantity at 2: earlier
    [(0.0, 2.0)]
    >>> tau_ranges([2, 4, 7], [18.2, 16.0, 15.1], 13.0)  # below the quantity at 7: later
    [(7.0, inf)]
    """
    pairs = sorted(
        (float(t), float(v)) for t, v in zip(taus, values, strict=True) if not math.isnan(v)
    )
    if not pairs:
        return []
    if any(t <= 0 for t, _ in pairs):
        raise ValueError(f"tau_ranges: every tau must be positive, got {list(taus)!r}")
    out: list[tuple[float, float]] = []
    (t0, v0), (tn, vn) = pairs[0], pairs[-1]
    first_slope = pairs[1][1] - v0 if len(pairs) > 1 else 0.0
    last_slope = vn - pairs[-2][1] if len(pairs) > 1 else 0.0
    # Beyond the small end: the quantity continues the way it moves from t1 back to t0.
    if (first_slope < 0 and printed > v0) or (first_slope > 0 and printed < v0):
        out.append((0.0, t0))
    for (a, va), (b, vb) in itertools.pairwise(pairs):
        if min(va, vb) <= printed <= max(va, vb):
            out.append((a, b))
    if (last_slope < 0 and printed < vn) or (last_slope > 0 and printed > vn):
        out.append((tn, math.inf))
    if len(pairs) == 1 and printed == v0:
        out.append((t0, t0))
    merged: list[tuple[float, float]] = []
    for lo, hi in out:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def death_timing_tradeoff(
    spec: Any,
    taus: Sequence[float],
    *,
    seeds: Sequence[int] = range(1, 11),
    endpoint: str | None = None,
    published: Mapping[str, Any] | None = None,
    params: Any = None,
) -> pd.DataFrame:
    """The upper quartiles of a change score, and the figures that agree, as a function of
    when the twin's deaths happen.

    For each ``early_death_tau`` in ``taus`` and each seed, the twin is drawn (the other
    parameters from ``params``, default the trial's) and, per arm, it records the share of the
    deaths by day 28 that come before the outcome day (those the worst-value rule scores),
    the share of those deaths whose change reaches the printed upper quartile's lower
    rounding limit (the others had too high a baseline), the other patients who reach it,
    the upper quartile, and whether the arm's published median figure (median and quartiles)
    agrees; :func:`early_death_requirement` then gives the early deaths needed with what the
    twin shows. The spec's author chooses ``early_death_tau`` knowingly (``trialkit calibrate
    --fix early_death_tau=...``): front-loaded deaths buy the printed quartiles.

    Parameters
    ----------
    spec : Spec or str
        The trial (its first ``delta_sofa`` endpoint unless ``endpoint`` is given).
    taus : sequence of float
        Values of ``early_death_tau`` to try.
    seeds : sequence of int
        Seeds per value (common to all values: common random numbers).
    endpoint : str, optional
        The change-score endpoint.
    published : mapping, optional
        The figures (default: the bundled folder's ``published.toml``).
    params : TwinParams, optional
        The twin's other parameters (default :func:`trialkit.simulate.twin_params`).

    Returns
    -------
    DataFrame
        One row per tau and arm: ``early_death_tau, arm, share_model``
        (:func:`death_share_by_day` up to the day before the outcome day),
        ``share_realised``, ``q3_mean``, ``q3_printed``, ``q3_agrees`` (share of seeds whose
        Q3 prints as published), ``figure_agrees`` (share of seeds whose whole median figure
        agrees), ``others_at_or_above``, ``early_reaching``, ``early_deaths_needed`` and
        ``early_deaths_realised`` (means over the seeds).
    """
    from trialkit.endpoints import analysis_set
    from trialkit.published import load_published, precision
    from trialkit.resources import bundled_data
    from trialkit.simulate.draws import _spec, twin
    from trialkit.simulate.params import twin_params

    spec = _spec(spec)
    eid = endpoint or next(iter(spec.with_rule("delta_sofa")), None)
    if eid is None or eid not in spec.endpoints:
        raise ValueError(
            f"death_timing_tradeoff: spec {spec.id!r} has no change-score endpoint "
            f"{endpoint or '(rule delta_sofa)'}"
        )
    if published is None:
        folder = bundled_data(spec.id)
        published = load_published(folder) if folder is not None else {"figures": {}}
    figures = published.get("figures", {})
    base = twin_params(spec) if params is None else params
    opts = spec.endpoint_options(eid)
    day = int(opts.get("day", 7))
    last = min(28, base.horizon)
    flag = spec.populations.get(spec.population_of(eid), "mitt")
    rows = []
    for tau in taus:
        per_arm: dict[str, list[dict[str, float]]] = {a: [] for a in spec.arms}
        for seed in seeds:
            t = twin(spec, int(seed), params=base, early_death_tau=float(tau))
            ends = analysis_set(t, spec)
            ends = ends[pd.to_numeric(ends[flag], errors="coerce").fillna(0) == 1]
            died = ends["death_day"].astype(float)
            for arm in spec.arms:
                a = ends["arm"] == arm
                v = ends.loc[a, eid].dropna().to_numpy(float)
                fig = figures.get(f"{eid}_{arm}", {})
                q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75]) if v.size else (math.nan,) * 3
                lower = fig["q3"] - precision(dict(fig), "q3") / 2 if "q3" in fig else math.nan
                early = a & (died < day)  # scored the worst value
                others = a & ~(died < day)
                verdict = (
                    reconcile(med, math.nan, math.nan, math.nan, fig, q1=q1, q3=q3)[0]
                    if fig
                    else ""
                )
                q3_ok = "q3" in fig and abs(q3 - fig["q3"]) <= precision(dict(fig), "q3") / 2 * (
                    1 + 1e-9
                )
                per_arm[arm].append(
                    {
                        "share": float(early.sum() / max((a & (died <= last)).sum(), 1)),
                        "q3": float(q3),
                        "q3_ok": float(q3_ok),
                        "fig_ok": float(verdict == "agrees"),
                        "surv": float((ends.loc[others, eid] >= lower).sum()),
                        "reach": float((ends.loc[early, eid] >= lower).mean())
                        if early.any()
                        else math.nan,
                        "early": float(early.sum()),
                        "n": float(v.size),
                        "deaths": float((a & (died <= last)).sum()),
                    }
                )
        for arm, got in per_arm.items():
            g = pd.DataFrame(got)
            fig = figures.get(f"{eid}_{arm}", {})
            need = math.nan
            if "q3" in fig:
                need = early_death_requirement(
                    round(g["n"].mean()),
                    fig["q3"],
                    round(g["deaths"].mean()),
                    others_at_or_above=int(g["surv"].mean()),
                    reaching=float(min(max(g["reach"].mean(), 1e-3), 1.0)),
                    rounding=precision(dict(fig), "q3"),
                )["early_deaths_needed"].iloc[0]
            rows.append(
                {
                    "early_death_tau": float(tau),
                    "arm": arm,
                    "share_model": death_share_by_day(float(tau), day - 1, last=last),
                    "share_realised": g["share"].mean(),
                    "q3_mean": g["q3"].mean(),
                    "q3_printed": float(fig.get("q3", math.nan)),
                    "q3_agrees": g["q3_ok"].mean(),
                    "figure_agrees": g["fig_ok"].mean(),
                    "others_at_or_above": g["surv"].mean(),
                    "early_reaching": g["reach"].mean(),
                    "early_deaths_needed": need,
                    "early_deaths_realised": g["early"].mean(),
                }
            )
    return pd.DataFrame(rows)


def death_timing_reason(
    trial: Any, ends: pd.DataFrame, endpoint: str, arm: str, figure: Mapping[str, Any]
) -> str:
    """Why a change score's printed upper quartile is or is not met, derived from one
    realisation: the patients it needs at or above the quartile's lower rounding limit
    (:func:`quantile_count_bounds`), those the realisation has, and the deaths before the
    outcome day that would give the rest (:func:`early_death_requirement`,
    :func:`tau_for_share`).

    Empty when the endpoint scores deaths otherwise than with the worst value, the figure has
    no ``q3``, or the realisation meets it.

    Parameters
    ----------
    trial : Trial
        The realisation (its ``spec``, ``daily`` and ``patients``).
    ends : DataFrame
        Its :func:`trialkit.endpoints.analysis_set`.
    endpoint, arm : str
        The change-score endpoint (rule ``delta_sofa``) and the arm of the median figure.
    figure : mapping
        The arm's median figure (``median, q1, q3`` and ``rounding``).

    Returns
    -------
    str
        The reason, or ``""``.
    """
    from trialkit.published import precision

    spec = trial.spec
    opts = spec.endpoint_options(endpoint)
    if spec.rule(endpoint) != "delta_sofa" or opts.get("death", "worst") != "worst":
        return ""
    if "q3" not in figure:
        return ""
    day = int(opts.get("day", 7))
    step = precision(dict(figure), "q3")
    flag = spec.populations.get(spec.population_of(endpoint), "mitt")
    e = ends[(pd.to_numeric(ends[flag], errors="coerce").fillna(0) == 1) & (ends["arm"] == arm)]
    e = e[e[endpoint].notna()]
    v = e[endpoint].to_numpy(float)
    q3 = float(np.quantile(v, 0.75)) if v.size else math.nan
    if abs(q3 - float(figure["q3"])) <= step / 2 * (1 + 1e-9):
        return ""
    bound = quantile_count_bounds(v.size, float(figure["q3"]), rounding=step).iloc[0]
    lower, need = float(bound["lower"]), int(bound["min_at_or_above_lower"])
    with_score = set(trial.daily.loc[trial.daily["day"] == day, "patient_id"])
    died = pd.to_numeric(e["death_day"], errors="coerce")
    # Scored the worst value: dead on or before the outcome day without a score on it.
    worst = (died <= day) & ~e["patient_id"].isin(with_score)
    deaths = int((died <= min(28, spec.followup_days)).sum())
    others = int((e.loc[~worst, endpoint] >= lower).sum())
    reach = float((e.loc[worst, endpoint] >= lower).mean()) if worst.any() else 1.0
    early_reach = int((e.loc[worst, endpoint] >= lower).sum())
    req = early_death_requirement(
        v.size,
        float(figure["q3"]),
        deaths,
        others_at_or_above=others,
        reaching=max(reach, 1e-3),
        rounding=step,
    ).iloc[0]
    k = int(req["early_deaths_needed"])
    text = (
        f"Q3 {q3:g} vs {figure['q3']:g}: a type-7 upper quartile of {v.size} values prints as "
        f"{figure['q3']:g} only with at least {need} of them at {lower:g} or more "
        f"(h = {(v.size - 1) * 0.75:g}); this twin has {others + early_reach}: {others} "
        f"patient{'' if others == 1 else 's'} not scored the worst value and {early_reach} "
        f"of its {int(worst.sum())} deaths by day {day} scored the worst value "
        f"({reach:.0%} of them reach {lower:g}; the others start too high)"
    )
    if q3 > float(figure["q3"]):
        return text + f"; fewer deaths before day {day} would lower it"
    if not req["feasible"]:
        return (
            text + f". With those rates {k} deaths before day {day} are needed, more than the "
            f"{deaths} deaths by day 28: not reproducible under this death rule"
        )
    share = k / deaths if deaths else math.nan
    last = min(28, spec.followup_days)
    try:
        tau = f"early_death_tau of about {tau_for_share(share, day - 1, last=last):.1f} or less"
    except ValueError:
        tau = "any law of the day of death" if share <= 1 else "no law of the day of death"
    return (
        text + f". With those rates {k} deaths before day {day} are needed ({share:.0%} of the "
        f"{deaths} deaths by day 28), which the twin's law of the day of death gives with "
        f"{tau} (trade-off: the spec chooses early_death_tau)"
    )


def realism_checks(trial: Any) -> pd.DataFrame:
    """What a twin must keep whatever its calibration: SOFA rising before deaths in ICU (the
    criterion of tests/test_simulate.py: a mean rise of more than 1 point over the 3 days
    before, among ICU deaths on day 3 or later), and, described without a criterion (none is
    published), the ICU length of stay and the days on each organ support.

    Returns
    -------
    DataFrame
        ``check, arm, value, criterion, holds`` (``holds`` empty where there is no criterion).
    """
    from trialkit.sofa import sofa

    spec = trial.spec
    d = sofa(trial.daily, exclude=tuple(spec.sofa.get("exclude", ())))
    p = trial.patients
    rows = []
    icu = p[p["death_day"].notna() & p["icu_discharge_day"].isna() & (p["death_day"] >= 3)]
    m = d.merge(icu[["patient_id", "death_day"]], on="patient_id")
    at = m[m["day"] == m["death_day"]].set_index("patient_id")["sofa_total"]
    before = m[m["day"] == m["death_day"] - 3].set_index("patient_id")["sofa_total"]
    rise = float((at - before.reindex(at.index)).astype(float).mean())
    rows.append(
        {
            "check": f"mean SOFA rise over the 3 days before an ICU death ({len(at)} deaths)",
            "arm": "both",
            "value": f"{rise:.2f}",
            "criterion": "> 1",
            "holds": "yes" if rise > 1 else "NO",
        }
    )
    last_day = trial.daily.groupby("patient_id")["day"].max()
    for arm in spec.arms:
        ids = set(p.loc[p["arm"] == arm, "patient_id"])
        stay = last_day[last_day.index.isin(ids)] + 1  # days 0..last in ICU
        q = np.quantile(stay, [0.25, 0.5, 0.75])
        rows.append(
            {
                "check": "ICU days, median (IQR)",
                "arm": arm,
                "value": f"{q[1]:g} ({q[0]:g} to {q[2]:g})",
                "criterion": "",
                "holds": "",
            }
        )
        for col, label in (("mech_vent", "ventilation"), ("vasopressor", "vasopressor"),
                           ("rrt", "RRT")):  # fmt: skip
            sub = trial.daily[trial.daily["patient_id"].isin(ids)]
            on = sub.groupby("patient_id")[col].sum()
            on = on[on > 0]
            q = np.quantile(on, [0.25, 0.5, 0.75]) if len(on) else (math.nan,) * 3
            rows.append(
                {
                    "check": f"days on {label} among patients who had it, median (IQR)",
                    "arm": arm,
                    "value": f"{q[1]:g} ({q[0]:g} to {q[2]:g}), {len(on)} patients",
                    "criterion": "",
                    "holds": "",
                }
            )
    return pd.DataFrame(rows, columns=["check", "arm", "value", "criterion", "holds"])
