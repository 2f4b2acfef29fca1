"""Conditioning a twin's realisation by exchanging patients (trialkit.simulate.condition).

The oracle of each test is the plain draw of the model: an exchange may change no count the
twin is conditioned on, must carry the pool patient's own rows in every table, and the
numbers the search scored must be those of the trial that twin() builds from the swaps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from trialkit.endpoints import analysis_set
from trialkit.published import load_published
from trialkit.resources import bundled_data
from trialkit.simulate import TwinParams, read_twin_file, twin, twin_params, twin_toml
from trialkit.simulate.condition import (
    MARGIN,
    _objective,
    _targets,
    apply_swaps,
    condition_twin,
)
from trialkit.simulate.figures import figure_estimates, figure_plan
from trialkit.simulate.model import _generate
from trialkit.simulate.params import params_fingerprint, swaps_apply
from trialkit.spec import SpecError, load_spec


@pytest.fixture(scope="module")
def imicro():
    spec = load_spec("imicro")
    pub = load_published(bundled_data("imicro"))
    plain = replace(twin_params(spec), swaps=())
    cond = condition_twin(spec, plain, pub, pool=3, proposals=6, steps=12, seed=5)
    return spec, pub, plain, cond


def _counts(t, spec):
    ends = analysis_set(t, spec)
    cols = ["mitt", "per_protocol", "withdrawn", "death_d28", "sae"]
    return ends.groupby("arm")[cols].sum(min_count=1)


def test_search_lowers_the_objective_and_records_its_exchanges(imicro):
    _, _, plain, cond = imicro
    assert cond.after < cond.before
    assert len(cond.params.swaps) >= 1
    assert all(seed in cond.pool_seeds for _, seed, _ in cond.params.swaps)
    assert cond.params.seed == plain.seed


def test_exchanges_keep_every_count_and_the_slots_ids_sites_and_dates(imicro):
    spec, _, plain, cond = imicro
    a, b = twin(spec, params=plain), twin(spec, params=cond.params)
    pd.testing.assert_frame_equal(_counts(a, spec), _counts(b, spec))
    keep = ["patient_id", "site", "randomized", "arm", "mitt", "per_protocol", "withdrawn"]
    pd.testing.assert_frame_equal(a.patients[keep], b.patients[keep])
    serious = [sorted(set(t.events.loc[t.events.serious == 1, "patient_id"])) for t in (a, b)]
    assert serious[0] == serious[1]


def test_an_exchanged_slot_carries_the_pool_patients_own_daily_rows(imicro):
    spec, _, plain, cond = imicro
    slot, seed, number = cond.params.swaps[0]
    b = twin(spec, params=cond.params)
    pool = twin(spec, seed, params=plain)
    sid, pid = f"IM-{slot:04d}", f"IM-{number:04d}"
    mine = b.daily.loc[b.daily.patient_id == sid].drop(columns="patient_id")
    theirs = pool.daily.loc[pool.daily.patient_id == pid].drop(columns="patient_id")
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True))
    row = b.patients.set_index("patient_id").loc[sid]
    src = pool.patients.set_index("patient_id").loc[pid]
    for column in ("age", "sex", "lactate_mmol_l", "death_day", "icu_discharge_day"):
        assert row[column] == src[column] or (pd.isna(row[column]) and pd.isna(src[column]))
    assert row["site"] == twin(spec, params=plain).patients.set_index("patient_id").at[sid, "site"]


def test_the_searched_objective_is_that_of_the_trial_twin_builds(imicro):
    spec, pub, _, cond = imicro
    t = twin(spec, params=cond.params)
    plan = figure_plan(spec, pub)
    targets = _targets(spec, cond.params, pub, MARGIN)
    value, _, missed = _objective(figure_estimates(t, pub, plan=plan), targets)
    assert value == pytest.approx(cond.after, rel=1e-12, abs=1e-12)
    assert tuple(missed) == cond.missed


def test_swaps_belong_to_the_own_seed_and_no_scenario(imicro):
    spec, _, plain, cond = imicro
    other = plain.seed + 1
    pd.testing.assert_frame_equal(
        twin(spec, other, params=cond.params).daily, twin(spec, other, params=plain).daily
    )
    pd.testing.assert_frame_equal(
        twin(spec, params=cond.params, effect_sofa=0.0).daily,
        twin(spec, params=plain, effect_sofa=0.0).daily,
    )
    # edited parameters (as a hand-edited twin file would give) are another model: plain too
    edited = replace(cond.params, early_death_tau=4.0)
    assert not swaps_apply(edited) and swaps_apply(cond.params)
    pd.testing.assert_frame_equal(
        twin(spec, params=edited).daily, twin(spec, params=replace(edited, swaps=())).daily
    )


def test_the_fingerprint_is_that_of_the_parameters_as_a_twin_file_holds_them(imicro):
    _, _, plain, cond = imicro
    assert cond.params.swaps_for == params_fingerprint(plain)
    # numpy scalars and floats rounded to the file's 6 decimals fingerprint alike
    noisy = replace(plain, noise_sd=np.float64(plain.noise_sd) + 1e-9, n_sites=np.int64(12))
    assert params_fingerprint(noisy) == params_fingerprint(replace(plain, n_sites=12))
    assert params_fingerprint(replace(plain, seed=plain.seed + 1)) != params_fingerprint(plain)


def test_swaps_round_trip_through_a_twin_file(imicro, tmp_path):
    _, _, _, cond = imicro
    path = tmp_path / "twin.toml"
    path.write_text(twin_toml(cond.params), encoding="utf-8")
    values = read_twin_file(path)[0]
    assert values["swaps"] == cond.params.swaps and values["swaps_for"] == cond.params.swaps_for
    assert swaps_apply(TwinParams(**values))


@pytest.mark.parametrize(
    ("swaps", "message"),
    [
        ("[[1, 2]]", "entry 1 = [1, 2]: give [slot, pool seed, pool patient]"),
        ("[[0, 50001, 3]]", "three integers of at least 1"),
        ("[[4, 50001, 3], [4, 50002, 7]]", "slot(s) [4] appear more than once"),
        ('"all"', "swaps: give a list"),
    ],
)
def test_bad_swaps_in_a_twin_file_name_the_file_and_entry(tmp_path, swaps, message):
    path = tmp_path / "twin.toml"
    path.write_text(
        f'[params]\nprefix = "T"\nhorizon = 28\nrandomized = [10, 10]\nseed = 1\nswaps = {swaps}\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as err:
        read_twin_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_an_exchange_that_would_change_a_count_is_refused():
    spec = load_spec("imicro")
    p = replace(twin_params(spec), swaps=())
    frames = _generate(p, spec, p.seed)
    pool = _generate(p, spec, 50_001)
    dead = np.flatnonzero(frames["patients"]["death_day"].notna().to_numpy())[0] + 1
    alive = pool["patients"]
    same_arm = alive["arm"] == frames["patients"]["arm"].iat[dead - 1]
    survivor = np.flatnonzero((alive["death_day"].isna() & same_arm).to_numpy())[0] + 1
    with pytest.raises(ValueError, match="differ in their signature"):
        apply_swaps(frames, [(dead, 50_001, survivor)], lambda s: pool)
    with pytest.raises(ValueError, match="slot 999 is not a patient number"):
        apply_swaps(frames, [(999, 50_001, survivor)], lambda s: pool)


@pytest.mark.parametrize("shift", [-1.0, 0.0, 0.5, 2.0])
def test_wilcoxon_z_is_scipys_mannwhitneyu_without_continuity(shift):
    # scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=False): an independent
    # tie-corrected implementation; its two-sided P gives |z|, U - n1 n2 / 2 the sign.
    from scipy import stats

    from trialkit.simulate.condition import _wilcoxon_z

    rng = np.random.default_rng(11)
    x = rng.integers(0, 8, 37).astype(float)
    y = rng.integers(0, 6, 41).astype(float)
    res = stats.mannwhitneyu(x - shift, y, method="asymptotic", use_continuity=False)
    expected = np.sign(res.statistic - x.size * y.size / 2) * stats.norm.isf(res.pvalue / 2)
    assert _wilcoxon_z(x, y, shift) == pytest.approx(expected, rel=1e-9, abs=1e-9)
