"""``newsdigest build``: files -> articles, sentences and events in SQLite.

Thin on purpose: reading and cleaning live in ingest.py, splitting in text.py,
clustering in events.py; this module only drives them and writes rows with
sqlite-utils. A build is written to a temporary file next to the target and
put in place at the end, so a failed run never damages the previous
database; see ``_put_in_place`` for how a running server gets to see it.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import itertools
import json
import os
import re
import sqlite3
import sys
import time
from collections import Counter
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
import sqlite_utils
from tqdm import tqdm

from . import events, ingest, text

ARTICLE_COLUMNS = {
    "id": str,
    "title": str,
    "subtitle": str,
    "body": str,
    "raw": str,
    "outlet": str,
    "author": str,
    "published": str,
    "url": str,
    "source": str,
    "words": int,
    "event_id": int,
}
BATCH = 500
META_TABLE = "_newsdigest_meta"
BUILT_BY = "datasette-newsdigest"
SCHEMA_VERSION = "1"
COPY_PAGES = 4096  # pages per backup step when copying a build into place (16 MB at 4 KB pages)


@dataclass
class BuildStats:
    files: int = 0
    articles: int = 0
    sentences: int = 0
    problems: list[ingest.Problem] = field(default_factory=list)
    notes: list[ingest.Problem] = field(default_factory=list)  # loaded, but kept in another form
    new_ids: list[str] = field(default_factory=list)

    def summary(self, seconds: float) -> str:
        """One ``note FILE[:LINE]: ...`` line per value kept in another form,
        then the one-line summary of the run."""
        notes = "".join(f"note {n}\n" for n in self.notes)
        reasons = Counter(_reason_kind(p.reason) for p in self.problems)
        skipped = f"{len(self.problems)} skipped"
        if reasons:
            skipped += " (" + ", ".join(f"{n} {r}" for r, n in reasons.most_common()) + ")"
        noted = f", {len(self.notes)} note{'s' * (len(self.notes) != 1)}" if self.notes else ""
        return notes + (
            f"Read {self.files} file{'s' * (self.files != 1)}: {self.articles} articles, "
            f"{self.sentences} sentences, {skipped}{noted} in {seconds:.1f}s"
        )


def _reason_kind(reason: str) -> str:
    """The kind of a skip reason, without the details that differ per input."""
    if reason.startswith("duplicate id"):
        return "duplicate id"
    return re.split(r":|\s\(|,\s|;\s", reason)[0]


def create_tables(db: sqlite_utils.Database) -> None:
    """The tables of ARCHITECTURE.md, created up front so their shape does not
    depend on which fields the first record happens to have."""
    if not db["articles"].exists():
        db["articles"].create(ARTICLE_COLUMNS, pk="id")
    if not db["sentences"].exists():
        db["sentences"].create(
            {"id": int, "article_id": str, "position": int, "text": str},
            pk="id",
            foreign_keys=[("article_id", "articles", "id")],
        )
        db["sentences"].create_index(["article_id", "position"], unique=True)


def sentence_rows(article_id: str, body: str) -> list[dict]:
    return [
        {"article_id": article_id, "position": i, "text": s}
        for i, s in enumerate(text.split_sentences(body))
    ]


def load(db: sqlite_utils.Database, paths, *, mapping=None, progress: bool = False,
         max_input_bytes: int = ingest.MAX_INPUT_BYTES, max_line_bytes: int = ingest.MAX_LINE_BYTES,
         max_columns: int = ingest.MAX_COLUMNS) -> BuildStats:
    """Read every input and append its articles and sentences to ``db``.

    Bad inputs become ``stats.problems`` (skipped) and values kept in another
    form ``stats.notes``; neither stops the build. The caps bound what one
    input may cost (see ``ingest.read_file``) and the columns extra fields may add.
    """
    stats = BuildStats()
    files = []
    for item in ingest.input_files(paths):
        if isinstance(item, ingest.Problem):
            stats.problems.append(item)
        else:
            files.append(item)
    create_tables(db)
    columns = ingest.Columns(db["articles"].columns_dict, ARTICLE_COLUMNS, max_columns)
    seen = {row[0] for row in db.execute("select id from articles")}
    articles: list[dict] = []
    sentences: list[dict] = []

    def flush():
        # Runs of rows with the same columns, in input order (rowids follow the input).
        with db.conn:
            for names, run in itertools.groupby(articles, key=tuple):
                quoted = ", ".join(_quote(name) for name in names)
                db.conn.executemany(f"insert into articles ({quoted}) values ({', '.join('?' * len(names))})",
                                    (tuple(row.values()) for row in run))
        db["sentences"].insert_all(sentences, batch_size=5000)
        articles.clear()
        sentences.clear()

    total = sum(_size(p) for p, _ in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="Reading", disable=not progress,
              file=sys.stderr, leave=False) as bar:
        for path, kind in files:
            stats.files += 1
            for item in ingest.read_file(path, kind, mapping=mapping, progress=bar.update,
                                         max_input_bytes=max_input_bytes, max_line_bytes=max_line_bytes):
                if isinstance(item, ingest.Problem):
                    (stats.problems if item.skipped else stats.notes).append(item)
                    continue
                line = getattr(item, "line", None)
                if item["id"] in seen:
                    stats.problems.append(ingest.Problem(item["source"], f"duplicate id {item['id']!r}", line))
                    continue
                seen.add(item["id"])
                names = set(getattr(item, "extras", ()))
                extras, new, notes = columns.place({k: item[k] for k in item if k in names}, item["source"])
                for name in new:
                    db.execute(f"alter table articles add column {_quote(name)}")
                for reason in [*getattr(item, "notes", []), *notes]:
                    stats.notes.append(ingest.Problem(item["source"], reason, line, skipped=False))
                rows = sentence_rows(item["id"], item["body"])
                articles.append({**{k: v for k, v in item.items() if k not in names}, **extras})
                sentences.extend(rows)
                stats.articles += 1
                stats.sentences += len(rows)
                stats.new_ids.append(item["id"])
                if len(articles) >= BATCH:
                    flush()
                    bar.set_postfix(articles=stats.articles, refresh=False)
    flush()
    return stats


def _quote(name: str) -> str:
    """An SQL identifier for any column name (sqlite-utils' [brackets] cannot hold "]")."""
    return '"' + name.replace('"', '""') + '"'


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def finish_database(db: sqlite_utils.Database) -> None:
    """Full-text search on title and body, kept current by triggers for ``--add``."""
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    db["articles"].create_index(["published"], if_not_exists=True)
    db["articles"].create_index(["event_id"], if_not_exists=True)
    if db["events"].exists():
        # The events page's order, so a page of events is read from the index, not sorted per request.
        db.execute("create index if not exists events_listing on events "
                   "(articles desc, last_published is null, last_published desc, id)")


class BuildFailed(click.ClickException):
    """A fatal error: one line on stderr, exit 1, the previous database untouched."""

    def __init__(self, database: Path, reason: str, hint: str = ""):
        if database.is_file():
            outcome = f"{database} was left unchanged"
        elif database.exists():
            outcome = f"{database} was left as it was"
        else:
            outcome = "nothing was written"
        super().__init__(f"{reason}; {outcome}{hint}")


def _reason(error: Exception) -> str:
    """A fatal OS or SQLite error in a few words, with the file it concerns."""
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            text = "disk full"
        elif error.errno == errno.EFBIG:
            text = "file too large for this system"
        else:
            text = error.strerror or str(error)
        return f"{text}: {error.filename}" if error.filename else text
    return str(error)


def read_meta(path: Path) -> dict | None:
    """What ``_newsdigest_meta`` says about a database newsdigest made (``{}`` for
    one made before that table existed), or None for any other file.

    Opened read-write without creating anything, so that a copy into place cut
    short by a crash is rolled back here, by SQLite, before anything reads it.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error:
        return None
    with closing(conn):
        try:
            tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
            if META_TABLE in tables:
                meta = dict(conn.execute(f"select key, value from [{META_TABLE}]"))
                return meta if meta.get("built_by") == BUILT_BY else None
        except sqlite3.DatabaseError:
            return None
    return {} if {"articles", events.STATE_TABLE} <= tables else None


def built_only_from(database: str, *inputs: str) -> bool:
    """True when ``database`` does not exist, or newsdigest built it from exactly
    ``inputs`` and nothing was added since: build.sh may then rebuild it."""
    path = Path(database)
    if not path.exists():
        return True
    meta = read_meta(path) if path.is_file() else None
    return bool(meta) and json.loads(meta.get("inputs", "null")) == [os.path.abspath(p) for p in inputs]


def _write_meta(db: sqlite_utils.Database, previous: dict | None, paths, add: bool) -> None:
    """Record how the database was built, so a later build can tell it is ours
    and build.sh can tell whether it holds anything but the seeds."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    inputs = [os.path.abspath(p) for p in paths]
    meta = {"built_at": now}
    if add:
        previous = previous or {}
        inputs = json.loads(previous.get("inputs", "[]")) + inputs
        meta = {"built_at": previous.get("built_at")}
    try:
        package_version = version("datasette-newsdigest")
    except PackageNotFoundError:
        package_version = None
    meta.update(built_by=BUILT_BY, schema_version=SCHEMA_VERSION, newsdigest_version=package_version,
                inputs=json.dumps(inputs, ensure_ascii=False), updated_at=now)
    db[META_TABLE].insert_all(({"key": k, "value": v} for k, v in meta.items()),
                              pk="key", replace=True)


@contextmanager
def _build_lock(target: Path):
    """One build of ``target`` at a time (a rebuild or an --add); the next one waits.

    An flock on a hidden file next to the target: the kernel drops it when the
    holder exits, even by kill -9, so a lock is never left behind. The holder
    removes the file before it unlocks, and a waiter that then gets the lock on
    the removed file tries again on the path's current file, so two runs never
    hold locks on different files.
    """
    path = target.with_name(f".{target.name}.lock")
    told = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not told:
                    holder = os.pread(fd, 20, 0).decode("ascii", "replace").strip()
                    click.echo(f"waiting for another build of {target} to finish"
                               + (f" (pid {holder})" if holder else ""), err=True)
                    told = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue
            locked = os.fstat(fd)
            if (current.st_dev, current.st_ino) != (locked.st_dev, locked.st_ino):
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield
            finally:
                with suppress(OSError):  # a lock file left behind is harmless, just untidy
                    os.unlink(path)
            return
        finally:
            os.close(fd)


def _temporary_name(target: Path) -> str:
    return f".{target.name}.building-"


def _remove_stale_temporaries(target: Path) -> None:
    """Remove what killed builds of ``target`` left (temporary copies and their
    journals). Called with the build lock held, so no other build of ``target``
    is running and every such file is stale."""
    prefix = _temporary_name(target)
    removed = size = 0
    with os.scandir(target.parent) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.is_file(follow_symlinks=False):
                size += entry.stat(follow_symlinks=False).st_size
                os.unlink(entry.path)
                removed += 1
    if removed:
        click.echo(f"removed {removed} temporary file{'s' * (removed != 1)} ({size / 1e6:.1f} MB) "
                   f"left by an interrupted build of {target}", err=True)


def _temporary_copy(target: Path, tmp: Path, add: bool) -> None:
    tmp.unlink(missing_ok=True)
    if add:
        with closing(sqlite3.connect(target)) as source, closing(sqlite3.connect(tmp)) as dest:
            source.backup(dest)


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _put_in_place(tmp: Path, target: Path, progress: bool) -> None:
    """Make the finished build in ``tmp`` the content of ``target``.

    A new target is the temporary file renamed, after both it and its folder are
    fsynced (the build ran with synchronous=off), so a power loss leaves either no
    target or a whole one. An existing target is instead overwritten in place
    through SQLite's backup API, in one transaction with a rollback journal and
    synchronous=full: the file keeps its inode, so a running Datasette, whose
    connections would otherwise keep reading the deleted old file, sees the new
    content at its next query, under SQLite's own locking; a crash mid-copy
    leaves a hot journal, and the next connection to open the target rolls it
    back to the old content.
    """
    if not target.exists():
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        return
    before = target.stat()
    with closing(sqlite3.connect(tmp)) as source, closing(sqlite3.connect(target)) as dest:
        dest.execute("pragma synchronous = full")
        total = source.execute("pragma page_count").fetchone()[0]
        with tqdm(total=total, unit="page", desc="Copying into place", disable=not progress,
                  file=sys.stderr, leave=False) as bar:
            source.backup(dest, pages=COPY_PAGES,
                          progress=lambda status, remaining, count: bar.update(count - remaining - bar.n))
    after = target.stat()
    if (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size):
        # The digest pages cache by (mtime, size); a coarse clock must not hide a change.
        os.utime(target, ns=(after.st_atime_ns, before.st_mtime_ns + 1))


def _check_target(database: Path, add: bool) -> dict | None:
    """The target's meta (None when there is no target yet); refuse any file that
    is not a database newsdigest made, since the build would replace it."""
    if not database.exists():
        if add:
            raise click.ClickException(f"--add needs an existing database; {database} does not exist")
        return None
    if not database.is_file():
        raise BuildFailed(database, f"{database} is not a database file")
    meta = read_meta(database)
    if meta is None:
        if add:
            raise BuildFailed(database, f"{database} is not a database made by newsdigest, so nothing was added")
        raise BuildFailed(database, f"{database} is not a database made by newsdigest, so it is not replaced",
                          " (name a new database file first: newsdigest build NEW.db PATH...)")
    return meta


@click.group()
@click.version_option()
def cli():
    """Build and explore per-event news digests."""


@cli.command()
@click.argument("database", type=click.Path(path_type=Path))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--add", is_flag=True, help="Append to an existing database instead of rebuilding it.")
@click.option("--skip-errors", is_flag=True, help="Exit 0 even when some inputs were skipped.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--id", "id_field", metavar="FIELD", help="Input field holding the article id.")
@click.option("--title", "title_field", metavar="FIELD", help="Input field holding the title.")
@click.option("--body", "body_field", metavar="FIELD", help="Input field holding the article text.")
@click.option("--published", "published_field", metavar="FIELD", help="Input field holding the date.")
@click.option("--outlet", "outlet_field", metavar="FIELD", help="Input field holding the outlet name.")
@click.option("--author", "author_field", metavar="FIELD", help="Input field holding the author.")
@click.option("--url", "url_field", metavar="FIELD", help="Input field holding the URL.")
def build(database: Path, paths, add, skip_errors, progress, **fields):
    """Build DATABASE from PATHS: files or folders of .txt, .html, .json,
    .jsonl and .csv (optionally gzipped).

    JSON and CSV records use the fields id, title, body, published, outlet,
    author and url; other fields become extra columns. Use --body content
    (and the like) when the input names them differently.
    """
    started = time.perf_counter()
    if progress is None:
        progress = sys.stderr.isatty()
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    try:
        if not database.parent.is_dir():
            raise BuildFailed(database, f"folder {database.parent} does not exist")
        if database.is_dir():
            raise BuildFailed(database, f"{database} is a folder, not a database file")
        with _build_lock(database):
            _remove_stale_temporaries(database)
            previous = _check_target(database, add)
            stats, clustered = _build_into(database, paths, add, previous, mapping, progress)
    except (OSError, sqlite3.Error) as error:
        raise BuildFailed(database, f"could not build {database}: {_reason(error)}") from None
    click.echo(
        f"{stats.summary(time.perf_counter() - started)}; {clustered['events']} "
        f"event{'s' * (clustered['events'] != 1)} "
        f"({clustered['mode']} clustering, {clustered['seconds']:.1f}s)",
        err=True,
    )
    if stats.problems and not skip_errors:
        sys.exit(3)


def _build_into(database: Path, paths, add: bool, previous, mapping, progress):
    """Build in a temporary file next to ``database`` and put it in place; the
    temporary file and its journal are gone afterwards, whatever happens."""
    tmp = database.with_name(f"{_temporary_name(database)}{os.getpid()}")
    try:
        _temporary_copy(database, tmp, add)
        db = sqlite_utils.Database(tmp)
        try:
            db.execute("pragma synchronous = off")
            stats = load(db, paths, mapping=mapping, progress=progress)
            for problem in stats.problems:
                click.echo(f"skipped {problem}", err=True)
            if not stats.articles and not add:
                raise BuildFailed(database, "no articles could be read")
            clustered = events.update_events(db, stats.new_ids if add else None, progress=progress)
            finish_database(db)
            _write_meta(db, previous, paths, add)
        finally:
            db.close()
        _put_in_place(tmp, database, progress)
    finally:
        for leftover in [tmp] + [tmp.with_name(tmp.name + end) for end in ("-journal", "-wal", "-shm")]:
            leftover.unlink(missing_ok=True)
    return stats, clustered


if __name__ == "__main__":
    cli()
