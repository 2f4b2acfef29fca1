"""trialkit.distributed and the design simulation on Dask: the same numbers for any number of
workers and any chunking, a running scheduler reached by its address or $TRIALKIT_SCHEDULER.

Every cluster is started inside the test run (threads, or two small processes once) and torn
down; no test needs an external service. The reference for the simulation is the documented
seeding contract written out by hand: ``SeedSequence(seed).spawn(scenarios)``, block 0 from the
scenario's stream, block k from its k-th child, the pooled t-test of each look by
``scipy.stats.ttest_ind`` (an independent implementation of the statistic).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialkit import distributed
from trialkit.design import normal_outcomes, simulate_operating_characteristics
from trialkit.distributed import ClusterError, open_client, run_tasks, spawn_seeds

distributed_pkg = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def one_worker():
    with open_client(workers=1, processes=False) as client:
        yield client


@pytest.fixture(scope="module")
def two_workers():
    with open_client(workers=2, processes=False) as client:
        yield client


# -- seeds ----------------------------------------------------------------------------------


def test_spawned_seeds_depend_on_the_position_only():
    few, many = spawn_seeds(11, 3), spawn_seeds(11, 50)
    draws = [np.random.default_rng(s).random(4) for s in few]
    assert all(np.array_equal(d, np.random.default_rng(s).random(4))
               for d, s in zip(draws, many, strict=False))  # fmt: skip
    # the children of numpy's own spawn, and pairwise different streams
    ref = np.random.SeedSequence(11).spawn(3)
    assert [s.spawn_key for s in few] == [s.spawn_key for s in ref] == [(0,), (1,), (2,)]
    assert not np.array_equal(draws[0], draws[1])


# -- running tasks --------------------------------------------------------------------------


def _slow_square(x, *, offset=0):
    # later tasks finish first, so completion order differs from task order
    time.sleep(0.02 * (5 - x))
    return x * x + offset


def _fails(x):
    if x == 2:
        raise ValueError(f"task {x} is bad input")
    return x


def test_run_tasks_keeps_task_order_on_a_client(two_workers):
    serial = run_tasks(_slow_square, range(5), shared={"offset": 1}, progress=False)
    on_client = run_tasks(_slow_square, list(range(5)), client=two_workers,
                          shared={"offset": 1}, progress=False)  # fmt: skip
    assert serial == on_client == [1, 2, 5, 10, 17]


def test_a_failing_task_raises_its_own_error(two_workers):
    with pytest.raises(ValueError, match="task 2 is bad input"):
        run_tasks(_fails, [1, 2, 3], client=two_workers, progress=False)
    with pytest.raises(ValueError, match="task 2 is bad input"):
        run_tasks(_fails, [1, 2, 3], progress=False)


def test_run_tasks_checks_its_weights():
    with pytest.raises(ValueError, match="weights has 1 values for 2 tasks"):
        run_tasks(abs, [1, 2], weights=[1], progress=False)


# -- clients --------------------------------------------------------------------------------


def test_a_local_cluster_has_the_workers_asked_for(one_worker, two_workers):
    assert len(one_worker.scheduler_info()["workers"]) == 1
    assert len(two_workers.scheduler_info()["workers"]) == 2
    assert distributed.local_workers() >= 1


def test_a_running_scheduler_is_reached_by_address_and_by_environment(monkeypatch):
    from distributed import LocalCluster

    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    with LocalCluster(n_workers=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        with open_client(cluster.scheduler_address) as client:
            assert client.scheduler.address == cluster.scheduler_address
            assert run_tasks(abs, [-3], client=client, progress=False) == [3]
        monkeypatch.setenv(distributed.SCHEDULER_ENV, cluster.scheduler_address)
        assert distributed.scheduler_address() == cluster.scheduler_address
        with open_client() as client:
            assert client.scheduler.address == cluster.scheduler_address
        # a scheduler was named: the local cluster's size cannot be chosen
        with pytest.raises(ClusterError, match="applies to the local cluster only"):
            with open_client(workers=2):
                pass
    monkeypatch.setenv(distributed.SCHEDULER_ENV, "  ")
    assert distributed.scheduler_address() is None


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(distributed, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(ClusterError, match=r"cannot reach a Dask scheduler at 'tcp://127\.0\.0"
                                           r"\.1:9'.*TRIALKIT_SCHEDULER"):  # fmt: skip
        with open_client("tcp://127.0.0.1:9"):
            pass


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_bad_number_of_workers_is_refused(workers):
    with pytest.raises(ClusterError, match="workers must be a whole number >= 1"):
        with open_client(workers=workers, processes=False):
            pass


# -- the operating characteristics as Dask tasks ----------------------------------------------

DESIGN = dict(n_per_arm=30, interim_per_arm=15, futility_z=0.0, interim_efficacy_z=2.5,
              final_z=1.96, alternative="less")  # fmt: skip


def _oc(**kwargs):
    return simulate_operating_characteristics(
        [0.0, -0.8], **DESIGN, generator=normal_outcomes(6.0, 2.0), n_sims=61, seed=5,
        trials_per_block=7, progress=False, **kwargs,
    )  # fmt: skip


def _by_hand(effects, n_sims, block, seed, gen, n, m, fut, eff, final, sign):
    """The documented streams and rules, with scipy's t-test: counts per scenario."""
    out = []
    for effect, stream in zip(effects, np.random.SeedSequence(seed).spawn(len(effects)),
                              strict=True):  # fmt: skip
        starts = range(0, n_sims, block)
        seeds = [stream, *stream.spawn(len(starts) - 1)]
        counts = np.zeros(3, int)
        for s, a in zip(seeds, starts, strict=True):
            x, y = gen(np.random.default_rng(s), effect, min(block, n_sims - a), n)
            for xi, yi in zip(x, y, strict=True):
                t1 = stats.ttest_ind(xi[:m], yi[:m]).statistic
                z1 = sign * stats.norm.ppf(stats.t.cdf(t1, 2 * m - 2))
                if z1 >= eff:
                    counts[0] += 1
                elif z1 < fut:
                    counts[1] += 1
                else:
                    t2 = stats.ttest_ind(xi, yi).statistic
                    counts[2] += sign * stats.norm.ppf(stats.t.cdf(t2, 2 * n - 2)) >= final
        out.append(counts)
    return out


def test_the_blocks_follow_the_documented_streams():
    oc = _oc()
    counts = _by_hand([0.0, -0.8], 61, 7, 5, normal_outcomes(6.0, 2.0), 30, 15, 0.0, 2.5,
                      1.96, -1.0)  # fmt: skip
    for row, (early, futile, late) in zip(oc.itertuples(), counts, strict=True):
        assert row.p_reject_interim == early / 61
        assert row.p_stop_futility == futile / 61
        assert row.estimate == (early + late) / 61


def test_one_block_gives_the_numbers_of_the_single_stream_simulation():
    # n_sims up to one block: one generator call on the scenario's own stream, as before
    # blocks existed (notebook 09's committed numbers rest on it)
    gen = normal_outcomes(6.0, 2.0)
    oc = simulate_operating_characteristics(0.5, n_per_arm=30, interim_per_arm=15, n_sims=40,
                                            seed=3, generator=gen, progress=False)  # fmt: skip
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(1)[0])
    x, y = gen(rng, 0.5, 40, 30)
    z = stats.norm.ppf(stats.t.cdf(stats.ttest_ind(x, y, axis=1).statistic, 58))
    assert oc["estimate"].item() == (z >= stats.norm.isf(0.025)).mean()


@pytest.mark.parametrize("blocks_per_task", [1, 3])
def test_operating_characteristics_are_identical_for_1_and_2_workers_and_any_chunking(
    one_worker, two_workers, blocks_per_task
):
    serial = _oc()
    for client in (one_worker, two_workers):
        pd.testing.assert_frame_equal(_oc(client=client, blocks_per_task=blocks_per_task),
                                      serial)  # fmt: skip


def test_the_block_size_defines_the_draws_and_is_checked():
    # another block size: other (valid) draws, the same design
    other = simulate_operating_characteristics(
        [0.0, -0.8], **DESIGN, generator=normal_outcomes(6.0, 2.0), n_sims=61, seed=5,
        trials_per_block=10, progress=False,
    )  # fmt: skip
    assert not other[["estimate", "p_stop_futility"]].equals(
        _oc()[["estimate", "p_stop_futility"]]
    )
    with pytest.raises(ValueError, match="trials_per_block must be a positive integer"):
        simulate_operating_characteristics(
            0.0, n_per_arm=10, interim_per_arm=5, n_sims=5, trials_per_block=0, progress=False
        )
    with pytest.raises(ValueError, match="blocks_per_task must be a positive integer"):
        _oc(blocks_per_task=0)


def test_the_twin_generator_runs_on_two_worker_processes():
    from trialkit.simulate import twin_outcomes

    kwargs = dict(n_per_arm=20, interim_per_arm=10, futility_z=0.0, alternative="less",
                  generator=twin_outcomes("combat_shine", "mean_sofa"), n_sims=8, seed=4,
                  trials_per_block=2, progress=False)  # fmt: skip
    serial = simulate_operating_characteristics([0.0, -6.0], **kwargs)
    with open_client(workers=2, processes=True) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        for chunk in (1, 3):
            on_cluster = simulate_operating_characteristics(
                [0.0, -6.0], client=client, blocks_per_task=chunk, **kwargs
            )
            pd.testing.assert_frame_equal(on_cluster, serial)
