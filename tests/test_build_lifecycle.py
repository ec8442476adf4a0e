"""The life of a database file: what a build may replace, locking, faults, cleanup,
durability, and a running server seeing rebuilds. Real subprocesses where the
behaviour is about processes (locks, kills, a full disk, a running Datasette)."""

import fcntl
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from datasette_newsdigest import store
from datasette_newsdigest.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
WORDS = "dam river flood city council vote minister strike police fire storm election market bank rain".split()


def write_articles(path: Path, start: int, count: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w") as f:
        for i in range(start, start + count):
            body = " ".join(" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(6))
            f.write(json.dumps({"id": f"x{i}", "title": f"Story {i}", "body": body}) + "\n")
    return path


def build(*args):
    return CliRunner().invoke(cli, ["build", "--no-progress", *map(str, args)], catch_exceptions=False)


def build_process(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "datasette_newsdigest.cli", "build", "--no-progress", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, **kwargs)


def ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("select id from articles")}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def wait_for(condition, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def error_line(result) -> str:
    """The output of a failed build: one line, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


# What a build may replace

def test_refuses_to_overwrite_a_file_it_did_not_make(tmp_path):
    mine = write_articles(tmp_path / "mine.jsonl", 0, 3)
    other = write_articles(tmp_path / "other.jsonl", 3, 3)
    before = mine.read_bytes()
    line = error_line(build(mine, other))  # the database argument forgotten
    assert "not a database made by newsdigest" in line and "left unchanged" in line
    assert mine.read_bytes() == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("add", [False, True])
def test_refuses_a_foreign_sqlite_database(tmp_path, add):
    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table articles (id text, body text)")
        conn.execute("insert into articles values ('mine', 'My own text.')")
    before = db.read_bytes()
    source = write_articles(tmp_path / "in.jsonl", 0, 3)
    line = error_line(build(db, source, *(["--add"] if add else [])))
    assert "not a database made by newsdigest" in line and "left unchanged" in line
    assert db.read_bytes() == before


def test_add_onto_a_file_that_is_not_a_database(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n")
    line = error_line(build(notes, write_articles(tmp_path / "in.jsonl", 0, 3), "--add"))
    assert "not a database made by newsdigest" in line and "left unchanged" in line
    assert notes.read_text() == "not a database\n"


def test_an_older_newsdigest_database_counts_as_ours(tmp_path, seeds_dir, seeds_copy):
    db = seeds_copy(tmp_path / "news.db")
    with sqlite3.connect(db) as conn:
        conn.execute(f"drop table {store.META_TABLE}")
    assert build(db, write_articles(tmp_path / "in.jsonl", 0, 3), "--add").exit_code == 0
    assert len(ids(db)) == 8
    assert build(db, seeds_dir).exit_code == 0
    assert len(ids(db)) == 5


def test_meta_records_how_the_database_was_built(tmp_path, seeds_dir):
    db = tmp_path / "news.db"
    extra = write_articles(tmp_path / "in.jsonl", 0, 2)
    assert build(db, seeds_dir).exit_code == 0
    meta = store.read_meta(db)
    assert meta["built_by"] == "datasette-newsdigest" and meta["schema_version"] == "2"
    assert json.loads(meta["inputs"]) == [str(seeds_dir)]
    assert store.built_only_from(str(db), str(seeds_dir))
    assert build(db, extra, "--add").exit_code == 0
    assert json.loads(store.read_meta(db)["inputs"]) == [str(seeds_dir), str(extra)]
    assert not store.built_only_from(str(db), str(seeds_dir))
    assert store.built_only_from(str(tmp_path / "absent.db"), str(seeds_dir))


@pytest.mark.parametrize("version, says", [("3", "newer than the version 2"), ("1", "not the version 2"),
                                           ("0", "not the version 2"), ("x", "not the version 2")])
def test_add_refuses_another_schema_version(tmp_path, seeds_dir, seeds_copy, version, says):
    db = seeds_copy(tmp_path / "news.db")
    with sqlite3.connect(db) as conn:
        conn.execute(f"update {store.META_TABLE} set value = ? where key = 'schema_version'", [version])
    before = db.read_bytes()
    line = error_line(build(db, write_articles(tmp_path / "in.jsonl", 0, 3), "--add"))
    assert f"has schema version {version}, {says}" in line and "nothing was added" in line
    assert "left unchanged" in line and "rebuild it" in line
    assert db.read_bytes() == before
    assert build(db, seeds_dir).exit_code == 0  # a rebuild replaces it, at this version
    assert store.read_meta(db)["schema_version"] == store.SCHEMA_VERSION


# Fatal errors: one line, exit 1, the old database unchanged

def test_target_folder_missing_or_a_folder(tmp_path, seeds_dir):
    line = error_line(build(tmp_path / "nope" / "news.db", seeds_dir))
    assert "does not exist" in line and "nothing was written" in line
    line = error_line(build(tmp_path, seeds_dir))
    assert "is a folder" in line and "left as it was" in line


def test_read_only_target_folder(tmp_path, seeds_copy, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = seeds_copy(folder / "news.db")
    before = db.read_bytes()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: answer as the kernel would for anyone else
        real_open = os.open

        def denying_open(path, flags, *args, **kwargs):
            if flags & os.O_CREAT and Path(path).parent == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", denying_open)
    try:
        line = error_line(build(db, write_articles(tmp_path / "in.jsonl", 0, 3), "--add"))
    finally:
        folder.chmod(0o755)
    assert "Permission denied" in line and "left unchanged" in line
    assert db.read_bytes() == before


def _file_size_limit(limit: int):
    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_writes


@pytest.mark.slow
@pytest.mark.parametrize("room", [-100_000, 200_000], ids=["while copying", "while adding"])
def test_full_disk_add_leaves_database_and_no_temporary_files(tmp_path, room):
    db = tmp_path / "news.db"
    assert build(db, write_articles(tmp_path / "base.jsonl", 0, 50)).exit_code == 0
    before = db.read_bytes()
    more = write_articles(tmp_path / "more.jsonl", 1000, 1000)
    process = build_process(db, more, "--add", preexec_fn=_file_size_limit(len(before) + room))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"could not build {db}" in err and "left unchanged" in err
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert build(db, more, "--add").exit_code == 0  # and the next --add works
    assert len(ids(db)) == 1050


@pytest.mark.slow
def test_full_disk_new_database_writes_nothing(tmp_path):
    db = tmp_path / "news.db"
    process = build_process(db, write_articles(tmp_path / "in.jsonl", 0, 1000),
                            preexec_fn=_file_size_limit(100_000))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in err, err
    assert "nothing was written" in err
    assert not db.exists() and leftovers(tmp_path) == []


# Locking

@pytest.mark.slow
def test_concurrent_adds_lose_nothing(tmp_path):
    db = tmp_path / "news.db"
    assert build(db, write_articles(tmp_path / "base.jsonl", 0, 100)).exit_code == 0
    first = write_articles(tmp_path / "a.jsonl", 1000, 1000, seed=1)
    second = write_articles(tmp_path / "b.jsonl", 2000, 1000, seed=2)
    processes = [build_process(db, path, "--add") for path in (first, second)]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert len(ids(db)) == 2100


@pytest.mark.slow
def test_second_build_waits_for_the_first(tmp_path):
    """A rebuild and an --add started while another build holds the lock both
    wait, say so, and then run one after the other."""
    db = tmp_path / "news.db"
    assert build(db, write_articles(tmp_path / "base.jsonl", 0, 10)).exit_code == 0
    rebuild_input = write_articles(tmp_path / "r.jsonl", 100, 300, seed=1)
    add_input = write_articles(tmp_path / "a.jsonl", 500, 300, seed=2)
    fd = os.open(tmp_path / ".news.db.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    errs = [tmp_path / "rebuild.err", tmp_path / "add.err"]
    processes = []
    try:
        for args, err in zip([(db, rebuild_input), (db, add_input, "--add")], errs, strict=True):
            with err.open("w") as stderr:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "datasette_newsdigest.cli", "build", "--no-progress", *map(str, args)],
                    stdout=subprocess.DEVNULL, stderr=stderr, env=ENV))
            wait_for(lambda err=err: "waiting for another build" in err.read_text(), "the build to wait")
        assert ids(db) == {f"x{i}" for i in range(10)}  # nothing happened while the lock was held
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        for process in processes:
            process.wait(timeout=300)
    assert [p.returncode for p in processes] == [0, 0], [e.read_text() for e in errs]
    rebuilt = {f"x{i}" for i in range(100, 400)}
    added = {f"x{i}" for i in range(500, 800)}
    assert ids(db) in (rebuilt, rebuilt | added)  # either order, never a lost run
    assert not (tmp_path / ".news.db.lock").exists()


# Stale temporary files

@pytest.mark.slow
def test_next_run_removes_what_a_killed_run_left(tmp_path):
    db = tmp_path / "news.db"
    assert build(db, write_articles(tmp_path / "base.jsonl", 0, 10)).exit_code == 0
    process = build_process(db, write_articles(tmp_path / "big.jsonl", 100, 3000), "--add")
    tmp = tmp_path / f".news.db.building-{process.pid}"
    try:
        wait_for(lambda: tmp.exists() and tmp.stat().st_size > 0, "the temporary copy")
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert tmp.exists()
    (tmp_path / f".news.db.building-{process.pid}-journal").write_bytes(b"x")
    result = build(db, write_articles(tmp_path / "one.jsonl", 50, 1), "--add")
    assert result.exit_code == 0, result.output
    assert "left by an interrupted build" in result.output
    assert leftovers(tmp_path) == []
    assert len(ids(db)) == 11


# Durability and crash safety of putting a build in place

def test_new_file_and_folder_are_fsynced_before_and_after_the_rename(tmp_path, seeds_dir, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                 real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append(("replace", str(b))), real_replace(a, b)))
    db = tmp_path / "news.db"
    assert build(db, seeds_dir).exit_code == 0
    tmp = f"{tmp_path}/.news.db.building-{os.getpid()}"
    assert calls == [("fsync", tmp), ("replace", str(db)), ("fsync", str(tmp_path))]


KILL_DURING_COPY = """
import os, signal, sys
from pathlib import Path
from datasette_newsdigest import store

store.COPY_PAGES = 50

class KillMidway:
    def __init__(self, total, **kwargs):
        self.total, self.n = total, 0
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
    def update(self, pages):
        self.n += pages
        if self.n > self.total // 2:
            os.kill(os.getpid(), signal.SIGKILL)

store.tqdm = KillMidway
store._put_in_place(Path(sys.argv[1]), Path(sys.argv[2]), False)
"""


@pytest.fixture
def killed_copy(tmp_path) -> tuple[Path, bytes]:
    """A 100-article news.db whose copy into place of a 3,000-article build was killed
    halfway, and the bytes it held before."""
    db = tmp_path / "news.db"
    assert build(db, write_articles(tmp_path / "old.jsonl", 0, 100)).exit_code == 0
    old = db.read_bytes()
    new = tmp_path / ".news.db.building-1"
    assert build(new, write_articles(tmp_path / "new.jsonl", 1000, 3000)).exit_code == 0
    process = subprocess.run([sys.executable, "-c", KILL_DURING_COPY, str(new), str(db)], env=ENV, timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert db.read_bytes() != old  # killed while the target was half overwritten
    return db, old


@pytest.mark.slow
def test_kill_during_the_copy_into_place_leaves_the_old_database(tmp_path, killed_copy):
    db, old = killed_copy
    assert (tmp_path / "news.db-journal").exists()
    assert store.read_meta(db) is not None  # any read-write open rolls the copy back
    assert db.read_bytes() == old
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert len(ids(db)) == 100


@pytest.mark.slow
@pytest.mark.asyncio
async def test_datasette_started_after_a_killed_copy_serves_the_old_database(killed_copy):
    from datasette.app import Datasette

    db, old = killed_copy
    datasette = Datasette([str(db)])
    await datasette.invoke_startup()
    response = await datasette.client.get("/news.json?sql=select+count(*)+as+n+from+articles&_shape=array")
    assert response.status_code == 200 and response.json() == [{"n": 100}]
    assert db.read_bytes() == old


# A running server sees rebuilds and additions

@pytest.fixture
def served(tmp_path, seeds_dir, serve_datasette):
    db = tmp_path / "news.db"
    assert build(db, seeds_dir).exit_code == 0
    with serve_datasette(db, env=ENV) as server:
        yield db, server.url, server.process.pid


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


@pytest.mark.slow
def test_running_server_sees_rebuild_and_add(served, tmp_path):
    db, base, pid = served
    count = base + "/news.json?sql=select+count(*)+as+n+from+articles&_shape=array"
    titles = base + "/news/articles.json?_shape=array&_col=title&_size=max"
    assert _get(count) == [{"n": 5}]
    events_before = _get(base + "/-/digest/news.json")["events"]
    inode = db.stat().st_ino
    assert build(db, write_articles(tmp_path / "r.jsonl", 0, 20)).exit_code == 0
    assert _get(count) == [{"n": 20}]
    assert {row["title"] for row in _get(titles)} == {f"Story {i}" for i in range(20)}
    assert _get(base + "/-/digest/news.json")["events"] != events_before
    assert db.stat().st_ino == inode  # overwritten in place, not replaced
    assert build(db, write_articles(tmp_path / "a.jsonl", 100, 7), "--add").exit_code == 0
    assert _get(count) == [{"n": 27}]
    open_files = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    assert not [f for f in open_files if f.endswith("(deleted)")]


# build.sh

FAKE = """#!/bin/sh
echo "{name} $*" >> {log}
case "$1 $2" in "-m pip"|"-m pytest") exit 0;; esac
{rest}
"""


@pytest.fixture
def clone(tmp_path, seeds_dir):
    """build.sh in a copy of the repository's top level, with a virtualenv whose pip,
    pytest and datasette only log how they were called (the real ones are tested by
    .ci/run), and the real python and newsdigest."""
    folder = tmp_path / "clone"
    folder.mkdir()
    for name in ("build.sh", "pyproject.toml", "metadata.yml"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(seeds_dir, folder / "seeds")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.log"
    for name, rest in (("python", f'exec "{sys.executable}" "$@"'), ("datasette", "exit 0")):
        script = venv / "bin" / name
        script.write_text(FAKE.format(name=name, log=log, rest=rest))
        script.chmod(0o755)
    env = {**ENV, "VIRTUAL_ENV": str(venv),
           "PATH": os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]])}

    def run(*args, stamps=(".venv-installed",)):
        for stamp in stamps:
            (venv / stamp).touch()
        done = subprocess.run(["bash", str(folder / "build.sh"), *args], env=env, capture_output=True,
                              text=True, timeout=300)
        calls = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return done, [c for c in calls if not c.startswith("python -c")]

    return folder, run


@pytest.mark.slow
def test_build_sh_installs_the_test_extras_after_a_plain_install(clone):
    folder, run = clone
    done, calls = run("test", "-q")
    assert done.returncode == 0, done.stderr
    assert calls == ["python -m pip install --quiet --disable-pip-version-check -e .[test]",
                     "python -m pytest -q"]
    done, calls = run("test", "-q", stamps=())
    assert calls == ["python -m pytest -q"]  # installed once, not every time


@pytest.mark.slow
def test_build_sh_never_replaces_a_database_it_did_not_build_from_seeds(clone, tmp_path):
    folder, run = clone
    news = folder / "news.db"
    assert build(news, write_articles(tmp_path / "mine.jsonl", 0, 30)).exit_code == 0
    before = news.read_bytes()
    done, calls = run()
    assert done.returncode == 0, done.stderr
    assert "news.db holds data not built from seeds/ by ./build.sh; leaving it alone" in done.stderr
    assert "building the seeds into seeds-db/news.db instead" in done.stderr
    assert news.read_bytes() == before
    assert len(ids(folder / "seeds-db" / "news.db")) == 5
    done, calls = run("serve")
    assert done.returncode == 0, done.stderr
    assert news.read_bytes() == before
    assert calls == ["datasette serve seeds-db/news.db -m metadata.yml -h 127.0.0.1 -p 8001"]


@pytest.mark.slow
def test_build_sh_rebuilds_its_own_build_of_the_seeds(clone, tmp_path):
    folder, run = clone
    news = folder / "news.db"
    for _ in range(2):
        done, calls = run()
        assert done.returncode == 0, done.stderr
        assert len(ids(news)) == 5 and not (folder / "seeds-db").exists()
    assert build(news, write_articles(tmp_path / "more.jsonl", 0, 2), "--add").exit_code == 0
    done, calls = run()
    assert "leaving it alone" in done.stderr and len(ids(news)) == 7


@pytest.mark.slow
def test_build_sh_test_without_arguments_runs_the_slow_tests_too(clone):
    folder, run = clone
    installed = (".venv-installed", ".venv-installed-test")
    done, calls = run("test", stamps=installed)
    assert done.returncode == 0, done.stderr
    assert calls == ["python -m pytest --run-slow"]
    done, calls = run("test", "-m", "not browser", stamps=installed)  # the fast loop: as given
    assert calls == ["python -m pytest -m not browser"]
