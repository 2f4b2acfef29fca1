"""pingouin beside trialkit's own estimators: its Mann-Whitney test, rank-biserial correlation
and common-language effect size agree with trialkit's Wilcoxon (as R's wilcox.test, see
tests/test_stats_rank.py) and probability index (tests/test_stats_composite.py), so the
notebooks can show them side by side."""

import numpy as np
import pingouin as pg
import pytest

from trialkit.stats import hodges_lehmann, probability_index


def _data(seed: int, ties: bool):
    rng = np.random.default_rng(seed)
    if ties:  # integer scores, as a change in SOFA
        return rng.integers(-8, 9, 114).astype(float), rng.integers(-9, 8, 122).astype(float)
    return rng.normal(0.3, 1, 40), rng.normal(0, 1, 35)


@pytest.mark.parametrize(("seed", "ties"), [(1, True), (2, True), (3, False)])
def test_pingouin_mwu_agrees_with_the_wilcoxon_and_the_probability_index(seed, ties):
    x, y = _data(seed, ties)
    mwu = pg.mwu(x, y, alternative="two-sided").iloc[0]
    hl = hodges_lehmann(x, y, exact=False).iloc[0]
    pi = probability_index(x, y, better="higher").iloc[0]
    assert mwu["p_val"] == pytest.approx(hl["p_value"], rel=1e-9)
    # CLES = P(X > Y) + P(tie) / 2, the probability index; RBC = 2 CLES - 1
    assert mwu["CLES"] == pytest.approx(pi["estimate"], rel=1e-12)
    assert mwu["RBC"] == pytest.approx(2 * pi["estimate"] - 1, rel=1e-9)
