"""work.pool: the builtin map's results, in order, from worker processes (issue 14 item 1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from datasette_newsdigest import work


def _square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def _fails_on_seven(n: int) -> int:
    if n == 7 * work.MIN_ITEMS:
        raise ValueError("seven")
    return n


def test_one_job_is_the_builtin_map():
    with work.pool(1) as map_:
        assert map_ is map


def test_results_in_input_order_from_other_processes():
    items = range(3 * work.MIN_ITEMS)
    with work.pool(2) as map_:
        results = list(map_(_square_and_pid, items))
    assert [r for r, _ in results] == [n * n for n in items]
    assert {pid for _, pid in results} - {os.getpid()}, "no item ran in a worker process"


def test_few_items_run_here_without_starting_a_worker():
    with work.pool(2) as map_:
        results = list(map_(_square_and_pid, iter(range(work.MIN_ITEMS - 1))))
    assert [r for r, _ in results] == [n * n for n in range(work.MIN_ITEMS - 1)]
    assert {pid for _, pid in results} == {os.getpid()}


def test_a_worker_error_reaches_the_caller():
    with work.pool(2) as map_, pytest.raises(ValueError, match="seven"):
        list(map_(_fails_on_seven, range(10 * work.MIN_ITEMS)))


def test_jobs_below_one_are_refused():
    with pytest.raises(ValueError, match="at least 1"), work.pool(0):
        pass


def test_the_modules_workers_run_do_not_import_the_datasette_server():
    # the package's __init__ imports datasette's hookimpl marker, never the application
    code = ("import sys; import datasette_newsdigest.store, datasette_newsdigest.work; "
            "print('datasette.app' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def _one(n: int) -> list[int]:
    return [n]


def test_ahead_gives_each_batch_its_results_in_order():
    batches = [(k, list(range(k * 5, k * 5 + 5))) for k in range(4)]
    with work.pool(2) as map_:
        found = [(key, list(results)) for key, results in work.ahead(map_, _one, batches)]
    assert found == [(k, [[n] for n in items]) for k, items in batches]


KILLED_POOL = """
import time
from datasette_newsdigest import work

with work.pool(2) as map_:
    list(map_(time.sleep, [60] * work.MIN_ITEMS))
"""


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        children = _children(frontier.pop())
        found.extend(children)
        frontier.extend(children)
    return found


@pytest.mark.slow
def test_workers_end_with_a_killed_build():
    """A worker waits on a pipe it holds both ends of, and the fork server for its workers: without
    the watch they outlived a build killed by kill -9."""
    build = subprocess.Popen([sys.executable, "-c", KILLED_POOL])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_descendants(build.pid)) < 4:  # server, tracker, 2 workers
            time.sleep(0.2)
        started = _descendants(build.pid)
        assert len(started) >= 4, started
    finally:
        build.kill()
        build.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in started):
        time.sleep(0.2)
    left = [p for p in started if os.path.exists(f"/proc/{p}")]
    for pid in left:  # what the test started, by pid
        os.kill(pid, 9)
    assert not left, f"processes left running after the build was killed: {left}"
