"""Running many independent computations as tasks on a Dask cluster (dask.distributed).

A design simulation or an assumption sweep is a list of independent tasks: blocks of
simulated trials, combinations of analysis options. :func:`run_tasks` runs them in this
process (``client=None``) or on a ``dask.distributed`` client, with a progress bar, and returns
their results in task order. :func:`open_client` gives the client: an in-process
``LocalCluster`` sized to the machine (one single-threaded worker process per core the
process may use), so that nothing is to be started by hand, or a connection to a running
scheduler (``--scheduler ADDRESS``, or the ``TRIALKIT_SCHEDULER`` environment variable): a
``dask scheduler`` with ``dask worker`` processes, a SLURM or PBS cluster from dask-jobqueue,
a Kubernetes cluster.

Results never depend on the number of workers or on how the work is cut into tasks: every
task draws its random numbers from its own stream (:func:`spawn_seeds`: children of one
:class:`numpy.random.SeedSequence`, one per unit of work, fixed by the unit's position and
not by the task that runs it), and a result is assembled from the tasks' results in a fixed
order.

dask is imported only when a client is asked for: a serial run (a notebook's) never pays for
it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = [
    "SCHEDULER_ENV",
    "ClusterError",
    "local_workers",
    "open_client",
    "run_tasks",
    "scheduler_address",
    "spawn_seeds",
]

#: The environment variable naming a running scheduler (``tcp://host:8786``).
SCHEDULER_ENV = "TRIALKIT_SCHEDULER"

# Seconds to wait for a scheduler named by an address before saying it cannot be reached.
_CONNECT_TIMEOUT = "10s"


class ClusterError(ValueError):
    """A scheduler cannot be reached, or a cluster is asked for what it cannot be."""


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler to connect to: ``scheduler``, else ``$TRIALKIT_SCHEDULER``, else None
    (an in-process local cluster).

    Examples
    --------
    >>> import os
    >>> os.environ.pop(SCHEDULER_ENV, None) and None
    >>> scheduler_address(), scheduler_address("tcp://10.0.0.5:8786")
    (None, 'tcp://10.0.0.5:8786')
    """
    address = scheduler if scheduler else os.environ.get(SCHEDULER_ENV, "")
    return address.strip() or None


def local_workers() -> int:
    """The cores this process may run on (its CPU affinity and cgroup quota, as dask counts
    them): the size of the default local cluster."""
    from dask.system import CPU_COUNT

    return max(1, int(CPU_COUNT))


@contextmanager
def open_client(
    scheduler: str | None = None,
    *,
    workers: int | None = None,
    processes: bool = True,
) -> Iterator[Client]:
    """A ``dask.distributed.Client``, closed (with its local cluster) on leaving the block.

    Parameters
    ----------
    scheduler : str, optional
        A running scheduler's address (``tcp://host:8786``); default
        ``$TRIALKIT_SCHEDULER``. Without either, an in-process ``LocalCluster`` is started.
    workers : int, optional
        Workers of the local cluster; default :func:`local_workers`. Refused with a
        scheduler: a running cluster has the workers it was started with.
    processes : bool, default True
        Local workers as processes (one thread each: the tasks hold the GIL in numpy and
        pandas code) or as threads of this process (``False``: quick to start, for tests).

    Raises
    ------
    ClusterError
        The scheduler does not answer within 10 s, ``workers`` is given with a scheduler, or
        ``workers`` is not a positive whole number.

    Examples
    --------
    >>> with open_client(workers=1, processes=False) as client:  # doctest: +SKIP
    ...     run_tasks(abs, [-1, 2], client=client, progress=False)
    [1, 2]
    """
    from distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):  # fmt: skip
        raise ClusterError(f"workers must be a whole number >= 1, got {workers!r}")
    if address is not None:
        if workers is not None:
            raise ClusterError(
                f"workers={workers} applies to the local cluster only; the scheduler at "
                f"{address} has the workers it was started with"
            )
        try:
            client = Client(address, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"cannot reach a Dask scheduler at {address!r} ({type(exc).__name__}: {exc}); "
                f"start one (dask scheduler) or unset {SCHEDULER_ENV}"
            ) from exc
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or local_workers(),
        threads_per_worker=1,
        processes=processes,
        # The scheduler's web server on a free port of this machine only (a fixed port
        # would clash with another cluster; with no address dask still tries :8787).
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def spawn_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent streams, children of one :class:`numpy.random.SeedSequence`.

    Child ``i`` depends only on ``seed`` and ``i``, so a unit of work seeded by its position
    draws the same numbers whichever task, worker or machine runs it.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = spawn_seeds(7, 2)
    >>> float(np.random.default_rng(a).random()) == float(np.random.default_rng(
    ...     spawn_seeds(7, 5)[0]).random())
    True
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(int(n))


def run_tasks(
    func: Callable[..., Any],
    tasks: Sequence[Any],
    *,
    client: Client | None = None,
    shared: Mapping[str, Any] | None = None,
    progress: bool = True,
    desc: str = "tasks",
    weights: Sequence[int] | None = None,
) -> list[Any]:
    """``[func(task, **shared) for task in tasks]``, in this process or as Dask tasks.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled to the workers).
    tasks : sequence
        One argument per task.
    client : distributed.Client, optional
        None: run in this process, one task after the other.
    shared : mapping, optional
        Keyword arguments every task takes (the data): sent to the workers once
        (``Client.scatter(..., broadcast=True)``), not once per task.
    progress : bool, default True
        A progress bar (tqdm; on a client, advanced as tasks complete, in any order).
    desc : str
        The bar's label.
    weights : sequence of int, optional
        What each task counts for on the bar (e.g. its number of simulated trials);
        default 1 each.

    Returns
    -------
    list
        The results, in the order of ``tasks`` whatever order they completed in. A task that
        raises stops the run with its exception.
    """
    shared = dict(shared or {})
    weights = [1] * len(tasks) if weights is None else list(weights)
    if len(weights) != len(tasks):
        raise ValueError(f"weights has {len(weights)} values for {len(tasks)} tasks")
    with _bar(progress, sum(weights), desc) as bar:
        if client is None:
            out = []
            for task, weight in zip(tasks, weights, strict=True):
                out.append(func(task, **shared))
                bar.update(weight)
            return out
        from distributed import as_completed

        # hash=False: a fresh key per run. With content keys a second run of the same data
        # gets the key of the first run's copy, which that run's clean-up then deletes.
        scattered = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
        # pure=False: two tasks with equal arguments are still two tasks (never merged).
        futures = client.map(func, list(tasks), pure=False, **scattered)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                if future.status == "error":
                    future.result()  # raises the task's own exception
                bar.update(weights[index[future.key]])
            return client.gather(futures)
        finally:
            client.cancel(futures)


class _NoBar:
    """What a run without a progress bar updates."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def _bar(progress: bool, total: int, desc: str) -> Any:
    if not progress:
        # Not even a disabled tqdm: in a kernel without widgets it warns on stderr, which a
        # notebook's committed output would then hold.
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc)
