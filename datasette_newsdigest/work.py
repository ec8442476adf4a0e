"""Worker processes for the build's independent per-article and per-event work.

The build hands each piece of work that depends on one article (or one event) alone to a
``map_(fn, iterable)`` with the builtin ``map``'s signature, and writes what comes back itself:
SQLite has one writer, the main process. :func:`pool` gives a ``map_`` backed by a
``concurrent.futures.ProcessPoolExecutor`` that keeps the input order, sends the items in chunks
(one pickle per chunk, not per item) and falls back to the builtin ``map`` when there is one job
or too few items to pay for the trip, so a small build starts no process at all.

What a worker runs must be a module-level function of plain, picklable data (str, int, list,
tuple, dict), from a module that does not import the Datasette application (settings.py does):
the worker needs the text, ingest, quotes, events and digest code, never the server. The results are the same
whatever the number of jobs, since each item's result depends on that item alone.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["MIN_ITEMS", "WORKER_MODULES", "Map", "Tasks", "ahead", "available_jobs", "pool"]

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")
Map = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]  # the builtin map's signature

# Fewer items than this run in the calling process: starting the workers (a fork server importing the
# package, then a model load in each, about a second) costs more than a few hundred articles' work.
MIN_ITEMS = 200
CHUNKS_PER_JOB = 4  # chunks per job and call: few pickles, and a slow chunk does not idle the others
# Imported once by the fork server, so each worker starts with them (store imports every module a worker runs).
WORKER_MODULES = ["datasette_newsdigest.store"]


class Tasks(list):
    """Items each worth a trip to a worker on its own (the event candidate search's windows):
    ``map_`` sends them however few there are, one item per chunk. A plain list to the builtin map."""


def available_jobs() -> int:
    """The CPUs this process may run on (its affinity mask, which a container or taskset may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def pool(jobs: int | None = None) -> Iterator[Map]:
    """A ``map_(fn, iterable)`` running ``fn`` in ``jobs`` worker processes (None: one per
    available CPU), results in input order; the workers are started at the first call that
    needs them and stopped when the block ends, also on an error.

    ``jobs=1`` is the builtin map itself. Workers are forked from a fork server where the platform
    has one (Linux), which imports WORKER_MODULES once: not from the build itself, whose open
    files (the build lock, the database) a worker must not hold, so that a killed build leaves
    no lock behind. Elsewhere they are spawned; the results are the same either way.
    """
    jobs = available_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if jobs == 1:
        yield map
        return
    executor: ProcessPoolExecutor | None = None

    def map_(fn: Callable[[T], R], iterable: Iterable[T]) -> Iterator[R]:
        nonlocal executor
        items = iterable if isinstance(iterable, list | tuple) else list(iterable)
        heavy = isinstance(items, Tasks)
        if len(items) < (2 if heavy else MIN_ITEMS):
            return map(fn, items)
        if executor is None:
            context: multiprocessing.context.BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                server = multiprocessing.get_context("forkserver")
                server.set_forkserver_preload(WORKER_MODULES)
                context = server
            else:
                context = multiprocessing.get_context("spawn")
            executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_watch,
                                           initargs=(os.getpid(),))
        chunk = 1 if heavy else max(1, -(-len(items) // (jobs * CHUNKS_PER_JOB)))
        return executor.map(fn, items, chunksize=chunk)

    try:
        yield map_
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _watch(build: int) -> None:
    """In a worker: end it when the process that started the pool ends, even by kill -9. A worker
    waits for work on a pipe it holds both ends of, and the fork server waits for its workers,
    so without this both would outlive a killed build."""
    try:
        handle: int | None = os.pidfd_open(build)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (before Linux 5.3, or not Linux): ask every second
        handle = None

    def wait() -> None:
        if handle is not None:
            select.select([handle], [], [])  # readable once the process has ended
        else:
            while _running(build):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=wait, name="newsdigest-watch", daemon=True).start()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ahead(map_: Map, fn: Callable[[T], R], batches: Iterable[tuple[K, list[T]]]) -> Iterator[tuple[K, Iterator[R]]]:
    """``(key, map_(fn, items))`` for each ``(key, items)`` of ``batches``, the next batch handed to
    ``map_`` before the caller reads this one's results: the workers compute it while the main
    process writes. With the builtin map nothing is computed ahead (its map is lazy)."""
    pending: deque[tuple[K, Iterator[R]]] = deque()
    for key, items in batches:
        pending.append((key, map_(fn, items)))
        if len(pending) > 1:
            yield pending.popleft()
    yield from pending
