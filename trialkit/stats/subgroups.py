r"""Prespecified subgroup analyses: the treatment effect within each level of a baseline
variable, and the test of treatment-by-subgroup interaction.

:func:`~trialkit.stats.subgroup_effects` splits the patients by one variable (a
categorical column by its levels, a numeric one at ``cut``) and estimates the effect of arm 1
over arm 2 within each level with the estimator of the main analysis;
:func:`~trialkit.stats.subgroup_table` stacks several subgroups under the overall estimate,
the frame a forest plot draws.

The evidence is the interaction test, not the within-level p-values. A trial is sized for
its overall effect: within a level the power is lower, so "significant in one subgroup, not
in the other" is what chance produces most of the time when the effect is the same in both,
and with ten subgroups of two levels one of twenty within-level p-values falls below 0.05
with no effect anywhere. Report every prespecified subgroup (not the striking ones), the
interaction p-value beside the within-level intervals, and read an apparent difference by
the credibility criteria of Sun et al. (2010): prespecified with its direction, one of few
hypotheses tested, a baseline variable, a low interaction p-value, consistent across related
outcomes and studies, biologically plausible.

References
----------
Wang R, Lagakos SW, Ware JH, Hunter DJ, Drazen JM. Statistics in medicine -- reporting of
subgroup analyses in clinical trials. N Engl J Med 2007;357:2189-2194.
Sun X, Briel M, Walter SD, Guyatt GH. Is a subgroup effect believable? Updating criteria to
evaluate the credibility of subgroup analyses. BMJ 2010;340:c117.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.stats._checks import as_group, as_numeric, check_conf_level
from trialkit.stats._interaction import anova_f, cochran_q, permutation_test
from trialkit.stats.binary import risk_ratio
from trialkit.stats.rank import hodges_lehmann
from trialkit.stats.regression import _complete_rows

__all__ = ["subgroup_effects", "subgroup_table"]

MEASURES = ("risk_ratio", "mean_difference", "hodges_lehmann")
#: The label of the overall row of :func:`~trialkit.stats.subgroup_table`.
OVERALL = "all patients"
# Without a cut, a numeric column with more distinct values than this is taken for a
# continuous one that needs a cut, not for a categorical one.
_MAX_NUMERIC_LEVELS = 10

COLUMNS = (
    "subgroup",
    "level",
    "n_x",
    "n_y",
    "events_x",
    "events_y",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_interaction",
    "interaction_statistic",
    "interaction_df",
    "interaction_df_resid",
    "conf_level",
    "measure",
    "method",
    "interaction_method",
    "column",
)


# -- levels ---------------------------------------------------------------------------------


def _fmt_cut(c: float) -> str:
    return f"{c:g}"


def _check_cuts(cut: float | Sequence[float], where: str) -> list[float]:
    cuts = [cut] if np.ndim(cut) == 0 else list(cut)  # type: ignore[arg-type]
    out = []
    for c in cuts:
        if isinstance(c, bool) or not isinstance(c, int | float | np.integer | np.floating):
            raise ValueError(f"{where}: cut must be a number or increasing numbers, got {cut!r}")
        if not np.isfinite(c):
            raise ValueError(f"{where}: cut must be finite, got {cut!r}")
        out.append(float(c))
    if not out or any(b <= a for a, b in itertools.pairwise(out)):
        raise ValueError(
            f"{where}: cut must be a number or strictly increasing numbers, got {cut!r}"
        )
    return out


def _levels(values: pd.Series, cut, column: str, where: str) -> tuple[pd.Series, list[str]]:
    """The level label of every row and the levels in display order.

    A numeric column is split at the cuts into left-closed intervals (a value equal to a cut
    belongs to the level above it); any other column keeps its own levels, a categorical
    column in the order of its categories, others sorted.
    """
    if cut is not None:
        cuts = _check_cuts(cut, where)
        x = as_numeric(values, column, where)
        labels = [f"< {_fmt_cut(cuts[0])}"]
        labels += [f"{_fmt_cut(a)} to < {_fmt_cut(b)}" for a, b in itertools.pairwise(cuts)]
        labels.append(f">= {_fmt_cut(cuts[-1])}")
        code = np.searchsorted(np.asarray(cuts), x, side="right")
        level = pd.Series(np.asarray(labels, dtype=object)[code], index=values.index)
        present = set(code.tolist())
        return level, [lab for i, lab in enumerate(labels) if i in present]
    if isinstance(values.dtype, pd.CategoricalDtype):
        used = values.cat.remove_unused_categories()
        order = [str(c) for c in used.cat.categories]
        return used.astype(str), order
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        distinct = values.nunique()
        if distinct > _MAX_NUMERIC_LEVELS:
            raise ValueError(
                f"{where}: subgroup {column!r} is numeric with {distinct} distinct values; give "
                "cut= (e.g. cut=10 splits it into '< 10' and '>= 10') or make it categorical"
            )
        uniq = np.sort(values.unique())
        return values.map(lambda v: f"{v:g}"), [f"{v:g}" for v in uniq]
    uniq = sorted(values.unique().tolist(), key=str)
    return values.astype(str), [str(v) for v in uniq]


# -- estimators within a level ----------------------------------------------------------------


def _binary_outcome(y: np.ndarray, outcome: str, where: str) -> np.ndarray:
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        seen = np.unique(y[bad])[:5].tolist()
        raise ValueError(
            f"{where}: measure='risk_ratio' needs a 0/1 outcome; {outcome!r} holds {seen}"
        )
    return y


def _effect(
    measure: str,
    x: np.ndarray,
    y: np.ndarray,
    conf_level: float,
    correction: float,
) -> dict[str, Any]:
    """The within-level estimate of arm 1 (``x``) against arm 2 (``y``), with its variance
    where the interaction test needs one."""
    if measure == "risk_ratio":
        a, b = int(x.sum()), int(y.sum())
        res = risk_ratio(a, x.size, b, y.size, conf_level=conf_level, correction=correction)
        row = res.iloc[0]
        var = _log_rr_variance(a, x.size, b, y.size, correction)
        return {
            "events_x": a,
            "events_y": b,
            "estimate": row.estimate,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
            "p_value": row.p_value,
            "method": row.method,
            "_log": math.log(row.estimate) if 0 < row.estimate < math.inf else math.nan,
            "_var": var,
        }
    if measure == "mean_difference":
        if x.size + y.size < 3:
            return _undefined("pooled t (fewer than 3 patients)")
        t = stats.ttest_ind(x, y, equal_var=True)
        ci = t.confidence_interval(conf_level)
        return {
            "estimate": float(x.mean() - y.mean()),
            "ci_low": float(ci.low),
            "ci_high": float(ci.high),
            "p_value": float(t.pvalue),
            "method": "difference in means, pooled-variance t",
        }
    # R's rule (exact below 50 per arm) but without its warning on ties: tied integer
    # outcomes (SOFA points, free days) are the rule here, so the normal approximation is
    # chosen for them up front.
    tied = np.unique(np.concatenate((x, y))).size < x.size + y.size
    res = hodges_lehmann(x, y, conf_level=conf_level, exact=False if tied else None).iloc[0]
    return {
        "estimate": res.estimate,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "p_value": res.p_value,
        "method": f"Hodges-Lehmann, Wilcoxon interval ({res.method})",
    }


def _undefined(method: str) -> dict[str, Any]:
    nan = math.nan
    return {"estimate": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "method": method}


def _log_rr_variance(a: int, n1: int, b: int, n2: int, correction: float) -> float:
    """Variance of the log risk ratio (Katz), on the corrected cells where
    :func:`~trialkit.stats.risk_ratio` corrects them; NaN when a log count is undefined."""
    cells = np.array([a, n1 - a, b, n2 - b], float)
    if correction and (cells == 0).any():
        cells += correction
    ca, cc, cb, cd = cells
    if ca == 0 or cb == 0:
        return math.nan
    return float(1 / ca - 1 / (ca + cc) + 1 / cb - 1 / (cb + cd))


# -- public -----------------------------------------------------------------------------------


def _check_measure(measure: str, where: str) -> str:
    if measure not in MEASURES:
        raise ValueError(f"{where}: measure must be one of {list(MEASURES)}, got {measure!r}")
    return measure


def _check_permutations(n_permutations: int, where: str) -> int:
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int | np.integer):
        raise ValueError(f"{where}: n_permutations must be an int >= 1, got {n_permutations!r}")
    if n_permutations < 1:
        raise ValueError(f"{where}: n_permutations must be an int >= 1, got {n_permutations}")
    return int(n_permutations)


def _prepare(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    columns: Sequence[str],
    measure: str,
    arm_1,
    where: str,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Complete rows, the outcome as floats and the arm-1 indicator, checked."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{where}: data must be a pandas DataFrame, got {type(data).__name__}")
    used = list(dict.fromkeys([outcome, group, *columns]))
    absent = [c for c in used if c not in data.columns]
    if absent:
        raise ValueError(f"{where}: columns {absent} are not in the data")
    if len(data) == 0:
        raise ValueError(f"{where}: the data frame is empty")
    data = _complete_rows(data, used, where)
    y = as_numeric(data[outcome], outcome, where)
    if np.isinf(y).any():
        raise ValueError(f"{where}: outcome {outcome!r} has infinite values")
    if measure == "risk_ratio":
        _binary_outcome(y, outcome, where)
    arm = as_group(data[group], where, arm_1)
    return data, y, arm


def subgroup_effects(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    subgroup: str,
    *,
    measure: str = "risk_ratio",
    arm_1=None,
    cut: float | Sequence[float] | None = None,
    label: str | None = None,
    conf_level: float = 0.95,
    correction: float = 0.0,
    n_permutations: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""Treatment effect within each level of a subgroup variable, and the interaction test.

    The patients are split by ``subgroup``: a column with a few levels (site, sex, a 0/1
    flag) by its levels; a numeric column at ``cut`` into left-closed intervals, so that a
    value equal to the cut belongs to the level above it (``cut=10``: ``"< 10"`` holds
    values below 10, ``">= 10"`` holds 10 and above; ``cut=[8, 12]`` adds ``"8 to < 12"``).
    Within level :math:`l` the effect of arm 1 (``x``) over arm 2 (``y``) is estimated by:

    ``"risk_ratio"`` (0/1 outcome)
        :math:`\widehat{RR}_l = (a_l/n_{xl}) / (b_l/n_{yl})` with the log-Wald interval of
        :func:`~trialkit.stats.risk_ratio`, :math:`v_l = 1/a_l - 1/n_{xl} + 1/b_l - 1/n_{yl}`.
        Interaction: Cochran's Q of the log risk ratios with inverse-variance weights (the
        Woolf test of heterogeneity),

        .. math:: Q = \sum_l w_l (\log\widehat{RR}_l - \bar\theta)^2, \quad w_l = 1/v_l,
           \quad \bar\theta = \frac{\sum_l w_l \log\widehat{RR}_l}{\sum_l w_l},

        referred to :math:`\chi^2_{k-1}` (:math:`k` levels with a defined log RR). With no
        covariate, the log-binomial model ``y ~ arm * sub`` is saturated: its maximum
        likelihood fit is the cell proportions and its Fisher information the Katz
        variances, so Q *is* the joint Wald test of its interaction coefficients (R
        ``glm(..., family = binomial(link = "log"))``; the likelihood-ratio test of the
        same terms is another statistic, close to Q in large samples).
    ``"mean_difference"`` (numeric outcome)
        :math:`\bar x_l - \bar y_l` with the pooled-variance t interval and test of that
        level (R ``t.test(var.equal = TRUE)``). Interaction: the F test of the arm-by-level
        terms, R ``anova(lm(y ~ arm + sub), lm(y ~ arm * sub))``,

        .. math:: F = \frac{(RSS_{add} - RSS_{int}) / (k - 1)}{RSS_{int} / (n - 2k)},

        whose residual variance is pooled over every level (the within-level intervals use
        their level's own).
    ``"hodges_lehmann"`` (numeric outcome)
        The Hodges-Lehmann shift with its Wilcoxon interval and rank-sum p-value
        (:func:`~trialkit.stats.hodges_lehmann`, as R ``wilcox.test(conf.int = TRUE)``).
        No rank test of interaction is standard. trialkit tests the null hypothesis of
        one common shift :math:`\Delta` by permutation under the reduced model (Freedman
        & Lane 1983; Anderson 2001): with weights :math:`w_l = n_{xl}n_{yl}/(n_{xl} +
        n_{yl})` (the shift's variance is proportional to :math:`1/n_{xl} + 1/n_{yl}`), the
        statistic is :math:`T = \sum_l w_l(\hat\Delta_l - \bar\Delta)^2`,
        :math:`\bar\Delta = \sum_l w_l\hat\Delta_l / \sum_l w_l`; arm 1 is aligned,
        :math:`x - \bar\Delta`, which makes the arms exchangeable within each level if the
        shift is common; the arm labels are permuted within levels and :math:`T`
        recomputed. All arrangements are enumerated when there are at most
        ``n_permutations`` (the p-value is then the exact permutation p of the aligned
        data), otherwise ``n_permutations`` random ones give
        :math:`p = (1 + \#\{T^* \ge T\}) / (1 + B)` (Phipson & Smyth 2010). The test is
        approximate: :math:`\bar\Delta` is estimated, not known. With integer outcomes
        (SOFA points) the shifts are integers or half-integers, so :math:`T` is discrete:
        levels with the same shift give :math:`T = 0` and :math:`p = 1`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient. Rows missing the outcome, the arm or the subgroup value are
        left out, with a warning that counts them (a complete-case subgroup analysis).
    outcome : str
        The outcome column: 0/1 for ``"risk_ratio"``, numeric otherwise.
    group : str
        The arm column: 0/1 (1 = arm 1) or two labels with ``arm_1`` naming arm 1.
    subgroup : str
        The column that defines the subgroups.
    measure : {"risk_ratio", "mean_difference", "hodges_lehmann"}
        The effect measure (that of the main analysis).
    arm_1 : optional
        The label of arm 1 (the experimental arm) when ``group`` holds labels.
    cut : float or sequence of float, optional
        Where to split a numeric ``subgroup``. Without it, the column's own values are the
        levels (at most 10 for a numeric column).
    label : str, optional
        The subgroup's name in the output (default: the column name).
    conf_level : float
        Confidence level of the within-level intervals.
    correction : float
        ``"risk_ratio"`` only: added to every cell of a level with a zero cell (0.5:
        Haldane-Anscombe), as :func:`~trialkit.stats.risk_ratio`. Without it a level with
        no event in an arm has no interval and is left out of Q, with a warning.
    n_permutations : int
        ``"hodges_lehmann"`` only: the largest number of arrangements enumerated, and the
        number of random ones drawn beyond it.
    seed : int or numpy.random.Generator, optional
        ``"hodges_lehmann"`` only: the seed of the random permutations; required when
        they are drawn.

    Returns
    -------
    pandas.DataFrame
        One row per level, in display order: ``subgroup, level, n_x, n_y`` (arm 1, arm 2),
        ``events_x, events_y`` (``"risk_ratio"`` only), ``estimate, ci_low, ci_high,
        p_value`` (within the level), ``p_interaction, interaction_statistic`` (Q, F or T),
        ``interaction_df, interaction_df_resid`` (the F test's denominator), the same on
        every row; ``conf_level, measure, method`` (within the level),
        ``interaction_method`` and ``column``. A level with patients of one arm only has a
        NaN estimate and is left out of the interaction test, with a warning.

    Warnings
    --------
    Subgroup analyses multiply the chances of a false finding. The interaction test, not a
    comparison of within-level p-values, is the evidence that the effect differs between
    levels; even a small interaction p-value is one test among many unless the subgroup
    was prespecified with its expected direction (Wang et al. 2007; Sun et al. 2010).

    Notes
    -----
    Cost: one pass over the patients per level for the estimates; the permutation test
    computes one Hodges-Lehmann shift per level and permutation: for a level of at most
    8192 pairs from the materialized differences of a block of permutations (one
    vectorized median), beyond from the implicit sorted matrix of
    :mod:`trialkit.stats._pairwise`, never the matrix. About 0.1 ms per level and
    permutation for 100 patients, 1.2 ms for 10^4 (``benchmarks/bench_subgroups.py``).

    References
    ----------
    Wang R, Lagakos SW, Ware JH, Hunter DJ, Drazen JM. Statistics in medicine -- reporting
    of subgroup analyses in clinical trials. N Engl J Med 2007;357:2189-2194.
    Sun X, Briel M, Walter SD, Guyatt GH. Is a subgroup effect believable? Updating
    criteria to evaluate the credibility of subgroup analyses. BMJ 2010;340:c117.
    Cochran WG. The combination of estimates from different experiments. Biometrics
    1954;10:101-129. Woolf B. Ann Hum Genet 1955;19:251-253.
    Freedman D, Lane D. A nonstochastic interpretation of reported significance levels.
    J Bus Econ Stat 1983;1:292-298. Anderson MJ. Permutation tests for univariate or
    multivariate analysis of variance and regression. Can J Fish Aquat Sci 2001;58:626-639.
    Phipson B, Smyth GK. Permutation p-values should never be zero. Stat Appl Genet Mol
    Biol 2010;9:39. Checked against R (``tests/R/subgroups.R``): by-hand Q, ``metafor::rma``
    (fixed effect) ``QE``, the log-binomial ``glm`` Wald test, ``t.test``, ``anova(lm)``,
    ``wilcox.test`` and a by-hand enumeration of the permutation test.

    Examples
    --------
    Deaths in two levels of baseline SOFA, 10/50 vs 20/50 below 10 and 15/50 vs 15/50 at 10
    or above: RR 0.5 and 1, Q = (log 0.5)^2 / (0.11 + 0.0933) = 2.363:

    >>> d = pd.DataFrame({
    ...     "dead": [1] * 10 + [0] * 40 + [1] * 20 + [0] * 30 + [1] * 15 + [0] * 35
    ...             + [1] * 15 + [0] * 35,
    ...     "arm": [1] * 50 + [0] * 50 + [1] * 50 + [0] * 50,
    ...     "sofa": [8] * 100 + [12] * 100})
    >>> res = subgroup_effects(d, "dead", "arm", "sofa", cut=10)
    >>> res[["level", "events_x", "n_x", "estimate", "p_interaction"]].round(4)
       level  events_x  n_x  estimate  p_interaction
    0   < 10        10   50       0.5         0.1243
    1  >= 10        15   50       1.0         0.1243
    """
    where = "subgroup_effects"
    measure = _check_measure(measure, where)
    conf_level = check_conf_level(conf_level, where)
    n_permutations = _check_permutations(n_permutations, where)
    data, y, arm = _prepare(data, outcome, group, [subgroup], measure, arm_1, where)
    level, order = _levels(data[subgroup], cut, subgroup, where)
    codes = pd.Categorical(level, categories=order).codes
    name = subgroup if label is None else str(label)

    rows, parts, logs, variances, tested = [], [], [], [], []
    for j, lev in enumerate(order):
        here = codes == j
        x_l, y_l = y[here & arm], y[here & ~arm]
        row: dict[str, Any] = {"subgroup": name, "level": lev, "n_x": x_l.size, "n_y": y_l.size}
        if x_l.size == 0 or y_l.size == 0:
            warnings.warn(
                f"{where}: level {lev!r} of {name!r} has patients of one arm only; no "
                "estimate, and it is left out of the interaction test",
                RuntimeWarning,
                stacklevel=2,
            )
            row.update(_undefined("one arm only"))
            if measure == "risk_ratio":
                row.update(events_x=int(x_l.sum()), events_y=int(y_l.sum()))
            rows.append(row)
            continue
        try:
            eff = _effect(measure, x_l, y_l, conf_level, correction)
        except ValueError as exc:
            raise ValueError(f"{where}: level {lev!r} of {name!r}: {exc}") from None
        log, var = eff.pop("_log", None), eff.pop("_var", None)
        row.update(eff)
        rows.append(row)
        if measure == "risk_ratio":
            if np.isfinite(var) and np.isfinite(log):
                logs.append(log)
                variances.append(var)
                tested.append(lev)
            else:
                warnings.warn(
                    f"{where}: level {lev!r} of {name!r} has no event in an arm, so its log "
                    "risk ratio is undefined and it is left out of the interaction test; "
                    "correction=0.5 keeps it in",
                    RuntimeWarning,
                    stacklevel=2,
                )
        elif np.isfinite(eff["estimate"]):
            parts.append((x_l, y_l))
            logs.append(eff["estimate"])
            tested.append(lev)

    stat, p_int, df1, df2, how = math.nan, math.nan, math.nan, math.nan, ""
    if measure == "risk_ratio":
        how = "Cochran Q of the log risk ratios (inverse-variance weights), chi-squared"
        if len(logs) >= 2:
            stat, k = cochran_q(np.array(logs), np.array(variances))
            df1, p_int = float(k), float(stats.chi2.sf(stat, k))
    elif measure == "mean_difference":
        how = "F test of arm x subgroup, anova(lm(y ~ arm + sub), lm(y ~ arm * sub))"
        if len(tested) >= 2:
            # Every patient, as R's anova: a level with one arm adds no interaction term but
            # its patients still inform the residual variance.
            stat, p_int, df1, df2 = anova_f(y, arm.astype(int), codes.astype(np.intp))
    else:
        how = "permutation test of equal Hodges-Lehmann shifts"
        if len(tested) >= 2:
            stat, p_int, detail = permutation_test(
                parts, np.array(logs), n_permutations, seed, where
            )
            df1 = float(len(tested) - 1)
            how += f" ({detail})"
    if 0 < len(tested) < 2:
        warnings.warn(
            f"{where}: fewer than two levels of {name!r} have an estimate; no interaction test",
            RuntimeWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(rows)
    out["p_interaction"] = p_int
    out["interaction_statistic"] = stat
    out["interaction_df"] = df1
    out["interaction_df_resid"] = df2
    out["conf_level"] = conf_level
    out["measure"] = measure
    out["interaction_method"] = how
    out["column"] = subgroup
    columns = [c for c in COLUMNS if c in out.columns or c.startswith("events")]
    if measure != "risk_ratio":
        columns = [c for c in columns if not c.startswith("events")]
    return out.reindex(columns=columns)


def _overall(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    measure: str,
    arm_1,
    conf_level: float,
    correction: float,
    where: str,
) -> pd.DataFrame:
    data, y, arm = _prepare(data, outcome, group, [], measure, arm_1, where)
    row = {"subgroup": OVERALL, "level": OVERALL, "n_x": int(arm.sum()), "n_y": int((~arm).sum())}
    eff = _effect(measure, y[arm], y[~arm], conf_level, correction)
    eff.pop("_log", None), eff.pop("_var", None)
    row.update(eff)
    out = pd.DataFrame([row])
    out["conf_level"], out["measure"], out["interaction_method"], out["column"] = (
        conf_level,
        measure,
        "",
        "",
    )
    return out


def _subgroup_spec(item: str | Mapping[str, Any], where: str) -> dict[str, Any]:
    if isinstance(item, str):
        return {"column": item}
    if not isinstance(item, Mapping):
        raise TypeError(
            f"{where}: each subgroup is a column name or a mapping with 'column' (and "
            f"optionally 'cut', 'label'); got {item!r}"
        )
    unknown = sorted(set(item) - {"column", "cut", "label"})
    if "column" not in item or unknown:
        raise ValueError(
            f"{where}: a subgroup mapping takes 'column' and optionally 'cut' and 'label'; "
            f"got keys {sorted(item)}"
        )
    return dict(item)


def subgroup_table(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    subgroups: Sequence[str | Mapping[str, Any]],
    *,
    measure: str = "risk_ratio",
    arm_1=None,
    conf_level: float = 0.95,
    correction: float = 0.0,
    n_permutations: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """The overall effect and the effect in every level of several subgroups, stacked.

    The frame a subgroup forest plot draws: first the row ``"all patients"`` (every patient
    with an outcome and an arm), then for each subgroup the rows of
    :func:`~trialkit.stats.subgroup_effects`, in the order given. Each subgroup keeps the
    patients with a known value of its variable, so its levels may add up to fewer than all
    patients (a warning counts the others). Read the interaction p-values, not the within-level ones
    (see :func:`~trialkit.stats.subgroup_effects`, Warnings).

    Parameters
    ----------
    data, outcome, group
        As :func:`~trialkit.stats.subgroup_effects`.
    subgroups : sequence of str or mapping
        Each a column name, or a mapping ``{"column": ..., "cut": ..., "label": ...}``
        (``cut`` and ``label`` optional): the shape of a spec's prespecified subgroups.
    measure, arm_1, conf_level, correction, n_permutations
        As :func:`~trialkit.stats.subgroup_effects`.
    seed : int or numpy.random.Generator, optional
        An int seeds every subgroup's permutations afresh, so a subgroup's row does not
        depend on the others; a Generator is drawn from in turn.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~trialkit.stats.subgroup_effects`; the overall row has
        ``subgroup`` and ``level`` ``"all patients"``, empty ``column`` and
        ``interaction_method`` and NaN interaction columns.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [3, 5, 2, 8, 6, 7, 1, 4, 9, 2, 6, 5], "arm": [1, 0] * 6,
    ...                   "sex": ["F"] * 6 + ["M"] * 6})
    >>> t = subgroup_table(d, "y", "arm", ["sex"], measure="mean_difference")
    >>> t[["subgroup", "level", "n_x", "n_y", "estimate"]].round(3)
           subgroup         level  n_x  n_y  estimate
    0  all patients  all patients    6    6    -0.667
    1           sex             F    3    3    -3.000
    2           sex             M    3    3     1.667
    """
    where = "subgroup_table"
    measure = _check_measure(measure, where)
    conf_level = check_conf_level(conf_level, where)
    if isinstance(subgroups, str | Mapping):
        raise TypeError(f"{where}: subgroups takes a list (of column names or mappings)")
    items = [_subgroup_spec(s, where) for s in subgroups]
    frames = [_overall(data, outcome, group, measure, arm_1, conf_level, correction, where)]
    for item in items:
        frames.append(
            subgroup_effects(
                data,
                outcome,
                group,
                item["column"],
                measure=measure,
                arm_1=arm_1,
                cut=item.get("cut"),
                label=item.get("label"),
                conf_level=conf_level,
                correction=correction,
                n_permutations=n_permutations,
                seed=seed,
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.reindex(columns=list(frames[-1].columns if len(frames) > 1 else out.columns))
