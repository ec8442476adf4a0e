"""The build's per-article and per-event work on a Dask cluster, past one machine.

:func:`cluster` gives the same ``map_(fn, iterable)`` as ``work.pool`` (the builtin ``map``'s
signature, results in input order), backed by a ``distributed`` cluster: one task per chunk of
items, a bounded number of chunks in flight, so neither the scheduler nor this process holds
more than a few chunks' inputs and results at once, and each call hands its first chunks over
before it returns, so ``work.ahead`` keeps the workers busy while this process writes. The main
process stays the one SQLite writer: workers compute, results stream back in order.

Dask and distributed are imported here only, and this module only by a build asked to use a
cluster (``newsdigest build --dask`` or ``--workers``), so the default build needs neither. The
workers run the package's module-level functions by reference: each needs the same version of
datasette-newsdigest installed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import islice
from typing import Any, TypeVar

import dask
from distributed import Client, Future, LocalCluster

from .work import CHUNKS_PER_JOB, WORKER_MODULES, Map, Tasks

__all__ = ["CONNECT_TIMEOUT", "LOCAL_CONFIG", "ClusterError", "cluster"]

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before the build gives up
MAX_CHUNK = 250  # items per task at most: a chunk's inputs and results in memory, and its retry cost
IN_FLIGHT_PER_THREAD = 2  # chunks in flight per worker thread: one running, one waiting, per call
# The LocalCluster's scheduler runs in this process, beside the writer. Its chunks go to the workers as
# they are submitted (the in-flight bound above already caps them), not queued on the scheduler, which
# would otherwise send the next one only after a round trip through this busy process; and its
# event-loop and system checks run less often (20 ms and 0.5 s by default).
LOCAL_CONFIG = {"distributed.scheduler.worker-saturation": "inf", "distributed.admin.tick.interval": "1s",
                "distributed.admin.system-monitor.interval": "5s"}


class ClusterError(Exception):
    """The cluster could not be reached or started, in one line."""


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator[Map]:
    """A ``map_`` running on the Dask scheduler at ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), or on a ``LocalCluster`` of ``workers`` processes (one thread
    each, on 127.0.0.1, no dashboard) started here and stopped when the block ends."""
    if (scheduler is None) == (workers is None):
        raise ValueError("give a scheduler address or a number of workers, not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    with ExitStack() as stack:
        try:
            if scheduler is None:
                with dask.config.set(LOCAL_CONFIG):  # read as the scheduler and the nannies start
                    local = stack.enter_context(LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, silence_logs=logging.ERROR))
                # results straight from the workers, not relayed through the scheduler's thread here
                client = stack.enter_context(Client(local, set_as_default=False, direct_to_workers=True))
            else:
                client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False))
        except (OSError, ValueError, TypeError) as error:
            where = f"a local Dask cluster of {workers}" if scheduler is None else f"the Dask scheduler at {scheduler}"
            raise ClusterError(f"could not reach {where}: {_first_line(error)}") from None
        client.run(_preload)
        yield _map(client)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _preload() -> None:
    """In each worker: import what the tasks run once, up front, as the pool's fork server does."""
    import importlib

    for name in WORKER_MODULES:
        importlib.import_module(name)


def _map(client: Client) -> Map:
    def map_(fn: Callable[[T], R], iterable: Iterable[T]) -> Iterator[R]:
        threads = max(1, sum(client.nthreads().values()))
        items = iterable if isinstance(iterable, list | tuple) else list(iterable)
        size = max(1, min(MAX_CHUNK, -(-len(items) // (threads * CHUNKS_PER_JOB))))
        if isinstance(items, Tasks):
            size = 1
        chunks = (list(items[start:start + size]) for start in range(0, len(items), size))
        pending: deque[Future] = deque()

        def submit(count: int) -> None:
            for chunk in islice(chunks, count):
                pending.append(client.submit(_run_chunk, fn, chunk, pure=False))

        submit(threads * IN_FLIGHT_PER_THREAD)  # now, not at the first read: see the module docstring

        def results() -> Iterator[R]:
            try:
                while pending:
                    first = pending.popleft()
                    submit(1)
                    yield from first.result()
            finally:  # a caller that stops reading early: drop the rest, unless the cluster is gone already
                if pending and client.status == "running":
                    client.cancel(list(pending))

        return results()

    return map_


def _run_chunk(fn: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    """In a worker: one task's results, in order."""
    return [fn(item) for item in chunk]
