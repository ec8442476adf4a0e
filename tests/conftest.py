"""Fixtures shared by the test modules, so no test module imports data or helpers from another.

Markers (registered in pyproject.toml, --strict-markers): ``browser`` for the tests that drive
headless Chromium, ``slow`` for tests that start real processes or servers, build large inputs or
search exhaustively. Slow tests are skipped, with the reason shown, unless ``--run-slow`` is given;
``./build.sh test`` with no arguments (the full run, what .ci/run runs) gives it. The fast loop is
``./build.sh test -m "not browser"``.
"""

import contextlib
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from click.testing import CliRunner
from jinja2 import BytecodeCache

from datasette_newsdigest.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
METADATA = ROOT / "metadata.yml"
# Subprocesses run this checkout's code, whatever the installed package points at.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
STARTUP_SECONDS = 60
STOP_SECONDS = 10


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (./build.sh test with no arguments does)")


def pytest_collection_modifyitems(config, items):
    """The pytest documentation's pattern: skip, visibly, what the fast loop leaves to the full run."""
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run by --run-slow (./build.sh test with no arguments)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_collection_finish(session):
    """What the imports and collection made lives for the whole run: frozen out of the garbage
    collector's generations, its full collections stop walking it again and again (in the
    request-heavy modules the collector took about 5% of the CPU, and half of that went)."""
    gc.freeze()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


def _build(db: Path, *inputs: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", str(db), *map(str, inputs)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory, seeds_dir) -> Path:
    """news.db built from seeds/ once per session. Shared: tests read it, never write to it."""
    return _build(tmp_path_factory.mktemp("seeds-db") / "news.db", seeds_dir)


@pytest.fixture(scope="session")
def seeds_copy(seeds_db) -> Callable[[Path], Path]:
    """``seeds_copy(path)``: a copy of ``seeds_db`` at ``path``, for a test that changes a build of
    the seeds. The same file a build of seeds/ makes (but for the times in its meta table), without
    building the seeds again (about 0.13 s of CPU each)."""
    def copy(path: Path) -> Path:
        return Path(shutil.copy(seeds_db, path))

    return copy


@pytest.fixture(scope="session")
def build_news_db(tmp_path_factory, seeds_dir) -> Callable[[list[dict]], Path]:
    """Build a news.db by `newsdigest build` from the seeds plus these article records (one
    JSON lines file); module-scoped fixtures call it so each corpus is built once."""

    def build(articles: list[dict]) -> Path:
        folder = tmp_path_factory.mktemp("input")
        (folder / "dam.jsonl").write_text("\n".join(json.dumps(a) for a in articles) + "\n")
        for path in seeds_dir.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
        return _build(tmp_path_factory.mktemp("db") / "news.db", folder)

    return build


class _Compiled(BytecodeCache):
    """A jinja bytecode cache in memory: a template compiled by one Datasette instance of the
    session is not parsed and compiled again by the next (jinja checks each entry against the
    template's source, so an edited template compiles afresh)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])  # ignored if the source changed

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates() -> Iterator[None]:
    """Every Datasette instance the tests make shares compiled templates: a fresh instance
    compiled each template it rendered again (about a third of the CPU of its first pages),
    and the tests make over a hundred instances. The plugin's content environment (``views.
    _plain_templates``, not async, so code of its own) shares a second cache: each startup
    compiled its templates afresh, 3.2 s of the fast loop's 24 s of CPU. Rendering is
    unchanged: jinja runs the same code."""
    from datasette.app import Datasette

    from datasette_newsdigest import views

    compiled, plain_compiled = _Compiled(), _Compiled()
    init, plain = Datasette.__init__, views._plain_templates

    def sharing(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.jinja_env.bytecode_cache = compiled

    def plain_sharing(datasette):
        env = plain(datasette)
        env.bytecode_cache = plain_compiled
        return env

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Datasette, "__init__", sharing)
        patch.setattr(views, "_plain_templates", plain_sharing)
        yield


@pytest.fixture(scope="session")
def shared_datasette() -> Callable[..., object]:
    """``shared_datasette(db, ..., metadata=None, settings=None, memory=False)``: a Datasette instance
    serving these databases with this configuration, made once per session and handed to every test
    that asks for the same. A fresh instance reads the schemas again and loads its templates on its
    first requests; so tests that only send requests share one. A test that changes an instance (its
    databases, its attributes) or checks its startup makes its own with ``Datasette(...)``."""
    from datasette.app import Datasette

    instances: dict[str, object] = {}

    def get(*databases: Path, metadata: dict | None = None, settings: dict | None = None, memory: bool = False):
        key = json.dumps([[str(db) for db in databases], metadata, settings, memory], sort_keys=True)
        if key not in instances:
            # Copies, so a test that edits its dict afterwards changes neither the instance nor the key.
            instances[key] = Datasette([str(db) for db in databases], metadata=json.loads(json.dumps(metadata)),
                                       settings=json.loads(json.dumps(settings)), memory=memory)
        return instances[key]

    return get


@pytest.fixture(scope="session")
def metadata_path() -> Path:
    """The repository's metadata.yml (canned queries, titles), as `./build.sh serve` uses it."""
    return METADATA


@pytest.fixture
def metadata(metadata_path) -> dict:
    """metadata.yml parsed, afresh for each test, so a test may change it."""
    return yaml.safe_load(metadata_path.read_text())


class Served(NamedTuple):
    url: str  # http://127.0.0.1:PORT, no trailing slash
    process: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function that returns a port on 127.0.0.1 that nothing listens on now."""
    return _free_port


@contextlib.contextmanager
def _serve(db: Path, metadata: Path | None = None, env: dict | None = None) -> Iterator[Served]:
    port = _free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(db), "-h", "127.0.0.1", "-p", str(port)]
    if metadata is not None:
        command += ["-m", str(metadata)]
    url = f"http://127.0.0.1:{port}"
    # The output goes to a file, not a pipe (a full pipe would block the server), and a named one
    # that outlives the server: tests look for deleted files the server holds open.
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "datasette.log").open("w+b") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env=SUBPROCESS_ENV if env is None else env)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"datasette exited ({process.returncode}): {log.read().decode()}")
                try:
                    urllib.request.urlopen(url + "/-/versions.json", timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"datasette did not answer within {STARTUP_SECONDS} s") from None
                    time.sleep(0.1)
            yield Served(url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_SECONDS)


@pytest.fixture(scope="session")
def serve_datasette():
    """A context manager that runs a real `datasette serve DB [-m METADATA]` on a free
    127.0.0.1 port, waits (bounded) until it answers, yields a ``Served(url, process)`` and
    always stops it. Session-scoped so fixtures of any scope can use it:

        with serve_datasette(db, metadata_path) as served:
            urllib.request.urlopen(served.url + "/-/digest/news.json")
    """
    return _serve


@pytest.fixture
def query_plans(monkeypatch) -> list[tuple[str, list[str]]]:
    """The query plan of every select the "news" database runs from here on, as pages are
    requested: a list of (sql, [plan detail, ...]) that fills as the test goes."""
    from datasette.database import Database

    plans: list[tuple[str, list[str]]] = []
    execute = Database.execute

    async def explain(self, sql_, params=None, **kwargs):
        if self.name == "news" and sql_.lstrip().lower().startswith("select") and "sqlite_master" not in sql_:
            plan = await execute(self, "explain query plan " + sql_, params)
            plans.append((sql_, [row["detail"] for row in plan.rows]))
        return await execute(self, sql_, params, **kwargs)

    monkeypatch.setattr(Database, "execute", explain)
    return plans

