"""A build on a Dask cluster writes the same database as one without (issue 14 item 2), and a
cluster that cannot be reached or asked for wrongly is one line, not a traceback."""

from __future__ import annotations

import socket
import sys

import pytest
from click.testing import CliRunner
from test_jobs import _tables, _write

import datasette_newsdigest
from datasette_newsdigest import events, store, work
from datasette_newsdigest.cli import cli


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_two_worker_local_cluster_builds_the_same_database(tmp_path, seeds_dir, monkeypatch):
    dask_work = pytest.importorskip("datasette_newsdigest.dask_work")
    sent: list[tuple[str, int]] = []  # (function, items) handed to the cluster
    real = dask_work._map

    def counting(client):
        map_ = real(client)

        def recorded(fn, iterable):
            items = work.Tasks(iterable) if isinstance(iterable, work.Tasks) else list(iterable)
            sent.append((fn.__name__, len(items)))
            return map_(fn, items)

        return recorded

    monkeypatch.setattr(dask_work, "_map", counting)
    monkeypatch.setattr(events, "WINDOW_ROWS", 16)  # the story level's candidate search in several tasks
    monkeypatch.setattr(store, "LABEL_BATCH", 8)  # and the event labels
    first = _write(tmp_path / "first.jsonl", 0, 60, seed=1)
    later = _write(tmp_path / "later.jsonl", 60, 30, seed=2)
    built = {}
    for way, options in {"local": {"jobs": 1}, "dask": {"workers": 2}}.items():
        db = tmp_path / f"{way}.db"
        told: list[str] = []
        stats = store.build_database(db, [first, seeds_dir], notify=told.append, **options)
        added = store.build_database(db, [later], add=True, notify=told.append, **options)
        built[way] = {"tables": _tables(db), "told": told,
                      "stats": [(s.articles, s.sentences, s.problems, s.notes, s.new_ids) for s in (stats, added)]}
    ran = {name for name, items in sent if items}
    assert ran >= {"_made", "_article_quotes", "article_features", "candidate_task", "_stories_incidents",
                   "_story_labels"}, (
        sent)
    local, dask = built["local"], built["dask"]
    assert dask["told"] == local["told"] and any("duplicate id" in m for m in local["told"])
    assert dask["stats"] == local["stats"]
    assert dask["tables"].keys() == local["tables"].keys()
    for name, rows in local["tables"].items():
        assert dask["tables"][name] == rows, f"table {name} differs"
    for name in ("articles", "sentences", "events", "quotes", "digest_sentences", "coverage"):
        assert local["tables"][name], f"the input made no {name} rows to compare"


@pytest.mark.slow
def test_a_build_on_a_running_scheduler_by_its_address(tmp_path, seeds_dir):
    """--dask ADDRESS: the cluster is not the build's own (here one started by the test)."""
    distributed = pytest.importorskip("distributed")
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    assert CliRunner().invoke(cli, ["build", str(local_db), str(seeds_dir), "--jobs", "1"]).exit_code == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as running:
        result = CliRunner().invoke(cli, ["build", str(dask_db), str(seeds_dir), "--dask", running.scheduler_address])
        assert result.exit_code == 0, result.output
        with distributed.Client(running, set_as_default=False) as client:
            # task prefixes: the function names of the tasks it ran (dask_work._run_chunk, leading _ dropped)
            ran = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "run_chunk" in ran, f"the scheduler ran no chunk of the build's work: {ran}"
    assert _tables(dask_db) == _tables(local_db)


def test_an_unreachable_scheduler_is_one_line_and_exit_1(tmp_path, seeds_dir, monkeypatch):
    dask_work = pytest.importorskip("datasette_newsdigest.dask_work")
    monkeypatch.setattr(dask_work, "CONNECT_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    db = tmp_path / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(seeds_dir), "--dask", address])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: could not reach the Dask scheduler at {address}: ")
    assert line.endswith("; nothing was written")
    assert not db.exists()


def test_a_bad_scheduler_address_is_one_line_and_exit_1(tmp_path, seeds_dir):
    pytest.importorskip("datasette_newsdigest.dask_work")
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "news.db"), str(seeds_dir), "--dask", "nonsense://x"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: could not reach the Dask scheduler at nonsense://x: unknown address scheme")


@pytest.mark.parametrize(("options", "told"), [
    (["--dask", "tcp://127.0.0.1:8786", "--jobs", "2"], "--jobs and --dask exclude each other"),
    (["--workers", "2", "--jobs", "2"], "--jobs and --workers exclude each other"),
    (["--dask", "tcp://127.0.0.1:8786", "--workers", "2"], "--dask and --workers exclude each other"),
    (["--dask", " "], "--dask needs a scheduler address")])
def test_dask_with_jobs_or_workers_is_a_usage_error(tmp_path, seeds_dir, options, told):
    db = tmp_path / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(seeds_dir), *options])
    assert result.exit_code == 2, result.output
    assert f"Error: {told}" in result.output and not db.exists()


def test_a_dask_build_without_dask_installed_says_what_to_install(tmp_path, seeds_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    monkeypatch.delitem(sys.modules, "datasette_newsdigest.dask_work", raising=False)
    monkeypatch.delattr(datasette_newsdigest, "dask_work", raising=False)
    db = tmp_path / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(seeds_dir), "--workers", "2"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "pip install 'datasette-newsdigest[dask]'" in line and line.endswith("nothing was written")
    assert not db.exists()


@pytest.mark.slow
def test_a_local_cluster_maps_every_chunk_in_order(monkeypatch):
    """map_ on the build's own LocalCluster: every item's result, in input order, for a call of one
    chunk, of many chunks with a short last one, of work.Tasks, and calls read after later ones
    were made (work.ahead's way); chunks go straight to the workers and results come back from them."""
    dask_work = pytest.importorskip("datasette_newsdigest.dask_work")
    clients = []
    real = dask_work._map
    monkeypatch.setattr(dask_work, "_map", lambda client: clients.append(client) or real(client))
    with dask_work.cluster(workers=2) as map_:
        assert list(map_(abs, [])) == []
        for size in (1, 7, 1001):
            items = [-i for i in range(size)]
            assert list(map_(abs, items)) == list(range(size))
        assert list(map_(abs, work.Tasks([-3, -1, -2]))) == [3, 1, 2]
        first, second = map_(abs, range(0, -600, -1)), map_(abs, range(-600, -1200, -1))
        assert list(second) == list(range(600, 1200)) and list(first) == list(range(600))
        (client,) = clients
        saturation = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.WORKER_SATURATION)
        assert saturation == float("inf") and client.direct_to_workers
