"""The database: every table, column, index and FTS setup, and how a build gets into place.

``build_database`` is the library call behind ``newsdigest build`` (the CLI only parses arguments
and prints): it reads inputs through ingest.py, splits with text.py, clusters with events.py and
writes the rows here. A build is written to a temporary file next to the target and put in place
at the end, so a failed run never damages the previous database; see ``_put_in_place`` for how a
running server gets to see it.

Schema versions: ``SCHEMA_VERSION`` is recorded in ``_newsdigest_meta``. ``--add`` accepts a
database of this version, or one from before the meta table existed (same tables), and refuses
any other version with a one-line ``BuildError``; no upgrade is done in place, since a rebuild
from the inputs is always safe. A rebuild replaces a newsdigest database of any version.
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sqlite_utils
from tqdm import tqdm

from . import events, ingest, text

__all__ = [
    "ARTICLE_COLUMNS",
    "BUILT_BY",
    "EVENT_COLUMNS",
    "EVENT_STATE_VERSION",
    "HIDDEN_TABLES",
    "META_TABLE",
    "SCHEMA_VERSION",
    "SENTENCE_COLUMNS",
    "STATE_TABLE",
    "VOCAB_TABLE",
    "BuildError",
    "BuildStats",
    "build_database",
    "built_only_from",
    "create_tables",
    "finish_database",
    "load",
    "read_meta",
    "roll_back_interrupted_write",
    "update_events",
]

ARTICLE_COLUMNS = {
    "id": str,
    "title": str,
    "subtitle": str,
    "body": str,
    "raw": str,
    "outlet": str,
    "outlet_from": str,  # where the outlet came from: 'input', 'page' or 'url' (ingest.finish)
    "genre": str,  # 'news', 'analysis' or 'opinion' as the article states, else 'news' (ingest.genre_of)
    "author": str,
    "published": str,
    "url": str,
    "source": str,
    "words": int,
    "event_id": int,
}
SENTENCE_COLUMNS = {"id": int, "article_id": str, "position": int, "text": str}
EVENT_COLUMNS = {"id": int, "label": str, "first_published": str, "last_published": str, "articles": int,
                 "outlets": int}
STATE_COLUMNS = {"event_id": int, "articles": int, "terms": bytes, "weights": bytes}
META_TABLE = "_newsdigest_meta"
STATE_TABLE = "_newsdigest_event_state"
VOCAB_TABLE = "_newsdigest_event_vocab"
HIDDEN_TABLES = (STATE_TABLE, VOCAB_TABLE)  # metadata.yml hides these (tests/test_cli.py checks)
BUILT_BY = "datasette-newsdigest"
SCHEMA_VERSION = "1"
EVENT_STATE_VERSION = 2  # 2: IDF with background documents; another version makes --add cluster again
BATCH = 500
COPY_PAGES = 4096  # pages per backup step when copying a build into place (16 MB at 4 KB pages)

Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


@dataclass
class BuildStats:
    files: int = 0
    articles: int = 0
    sentences: int = 0
    problems: list[ingest.Problem] = field(default_factory=list)
    notes: list[ingest.Problem] = field(default_factory=list)  # loaded, but kept in another form
    new_ids: list[str] = field(default_factory=list)
    clustering: dict[str, Any] = field(default_factory=dict)  # what update_events returned

    def summary(self, seconds: float) -> str:
        """One ``note FILE[:LINE]: ...`` line per value kept in another form,
        then the one-line summary of the run."""
        notes = "".join(f"note {n}\n" for n in self.notes)
        reasons = Counter(_reason_kind(p.reason) for p in self.problems)
        skipped = f"{len(self.problems)} skipped"
        if reasons:
            skipped += " (" + ", ".join(f"{n} {r}" for r, n in reasons.most_common()) + ")"
        noted = f", {text.counted(len(self.notes), 'note')}" if self.notes else ""
        return notes + (
            f"Read {text.counted(self.files, 'file')}: {text.counted(self.articles, 'article')}, "
            f"{text.counted(self.sentences, 'sentence')}, {skipped}{noted} in {seconds:.1f}s"
        )


def _reason_kind(reason: str) -> str:
    """The kind of a skip reason, without the details that differ per input."""
    if reason.startswith("duplicate id"):
        return "duplicate id"
    return re.split(r":|\s\(|,\s|;\s", reason)[0]


class BuildError(Exception):
    """A fatal error, in one line that says what became of the previous database."""


def _failed(database: Path, reason: str, hint: str = "") -> BuildError:
    if database.is_file():
        outcome = f"{database} was left unchanged"
    elif database.exists():
        outcome = f"{database} was left as it was"
    else:
        outcome = "nothing was written"
    return BuildError(f"{reason}; {outcome}{hint}")


# --------------------------------------------------------------------------
# Tables


def create_tables(db: sqlite_utils.Database) -> None:
    """The tables of ARCHITECTURE.md, created up front so their shape does not
    depend on which fields the first record happens to have."""
    if not db.table("articles").exists():
        db.table("articles").create(ARTICLE_COLUMNS, pk="id")
    else:
        for column in ("outlet_from", "genre"):  # --add to a database built before them
            if column not in db.table("articles").columns_dict:
                db.table("articles").add_column(column, str)
    if not db.table("sentences").exists():
        db.table("sentences").create(SENTENCE_COLUMNS, pk="id", foreign_keys=[("article_id", "articles", "id")])
        db.table("sentences").create_index(["article_id", "position"], unique=True)


def finish_database(db: sqlite_utils.Database) -> None:
    """Full-text search on title and body, kept current by triggers for ``--add``."""
    if not db.table("articles_fts").exists():
        db.table("articles").enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    db.table("articles").create_index(["published"], if_not_exists=True)
    db.table("articles").create_index(["event_id"], if_not_exists=True)
    if db.table("events").exists():
        # The events page's order, so a page of events is read from the index, not sorted per request.
        db.execute("create index if not exists events_listing on events "
                   "(articles desc, last_published is null, last_published desc, id)")


def _sentence_rows(article_id: str, body: str) -> list[dict]:
    return [
        {"article_id": article_id, "position": i, "text": s}
        for i, s in enumerate(text.split_sentences(body))
    ]


def load(db: sqlite_utils.Database, paths: Iterable[str | os.PathLike], *, mapping: dict[str, str] | None = None,
         progress: bool = False, max_input_bytes: int = ingest.MAX_INPUT_BYTES,
         max_line_bytes: int = ingest.MAX_LINE_BYTES, max_columns: int = ingest.MAX_COLUMNS) -> BuildStats:
    """Read every input and append its articles and sentences to ``db``.

    Bad inputs become ``stats.problems`` (skipped) and values kept in another
    form ``stats.notes``; neither stops the build. The caps bound what one
    input may cost (see ``ingest.read_file``) and the columns extra fields may add.
    """
    stats = BuildStats()
    files = []
    for found in ingest.input_files(paths):
        if isinstance(found, ingest.Problem):
            stats.problems.append(found)
        else:
            files.append(found)
    create_tables(db)
    columns = ingest.Columns(db.table("articles").columns_dict, ARTICLE_COLUMNS, max_columns)
    seen = {row[0] for row in db.execute("select id from articles")}
    articles: list[dict] = []
    sentences: list[dict] = []

    def flush() -> None:
        # Runs of rows with the same columns, in input order (rowids follow the input).
        with db.conn:
            for names, run in itertools.groupby(articles, key=tuple):
                quoted = ", ".join(_quote(name) for name in names)
                db.conn.executemany(f"insert into articles ({quoted}) values ({', '.join('?' * len(names))})",
                                    (tuple(row.values()) for row in run))
        db.table("sentences").insert_all(sentences, batch_size=5000)
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
                rows = _sentence_rows(item["id"], item["body"])
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


def _size(path: str | os.PathLike) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# --------------------------------------------------------------------------
# Events: what events.py computes, read from and written to the tables


class _Rows:
    """The articles to cluster, streamed from the table (37k bodies need not sit in memory)."""

    def __init__(self, db: sqlite_utils.Database, new_ids: Sequence[str] | None = None):
        self.db = db
        self.where = ""
        self.args: list[str] = []
        if new_ids is not None:
            self.where = " where event_id is null or id in (select value from json_each(?))"
            self.args = [json.dumps(list(new_ids))]

    def __len__(self) -> int:
        return self.db.execute("select count(*) from articles" + self.where, self.args).fetchone()[0]

    def __iter__(self) -> Iterator[events.Article]:
        sql = "select id, title, body, published, outlet from articles" + self.where + " order by rowid"
        return (events.Article(*row) for row in self.db.execute(sql, self.args))


def _write_state(db: sqlite_utils.Database, state: events.EventState, event_ids: list[int],
                 rows: Iterable[int] | None = None) -> None:
    """Save the state of the given rows (all when None) and the vocabulary."""
    rows = range(state.sums.shape[0]) if rows is None else rows
    sums = state.sums
    db.table(STATE_TABLE).upsert_all(
        (
            {
                "event_id": event_ids[r],
                "articles": int(state.sizes[r]),
                "terms": sums.indices[sums.indptr[r] : sums.indptr[r + 1]].astype(np.int32).tobytes(),
                "weights": sums.data[sums.indptr[r] : sums.indptr[r + 1]].astype(np.float32).tobytes(),
            }
            for r in rows
        ),
        pk="event_id",
        columns=STATE_COLUMNS,
    )
    vocabulary = state.vocabulary
    db.table(VOCAB_TABLE).upsert(
        {
            "id": 1,
            "version": EVENT_STATE_VERSION,
            "params": json.dumps(asdict(state.params)),
            "documents": vocabulary.documents,
            "terms": json.dumps(vocabulary.terms, ensure_ascii=False),
            "df": vocabulary.df.astype(np.int32).tobytes(),
        },
        pk="id",
    )


def _load_state(db: sqlite_utils.Database) -> tuple[events.EventState, list[int]] | None:
    """The stored state and the event id of each of its rows; None when it is missing or does
    not match the events the articles table holds."""
    if not (db.table(STATE_TABLE).exists() and db.table(VOCAB_TABLE).exists()):
        return None
    meta = db.execute(
        f"select version, params, documents, terms, df from [{VOCAB_TABLE}] where id = 1").fetchone()
    if meta is None or meta[0] != EVENT_STATE_VERSION:
        return None
    stored = db.execute(
        f"select event_id, articles, terms, weights from [{STATE_TABLE}] order by event_id"
    ).fetchall()
    counts = dict(db.execute(
        "select event_id, count(*) from articles where event_id is not null group by event_id").fetchall())
    if not stored or counts != {row[0]: row[1] for row in stored}:
        return None
    terms = json.loads(meta[3])
    vocabulary = events.Vocabulary(terms, np.frombuffer(meta[4], dtype=np.int32).astype(np.int64), meta[2])
    indices = [np.frombuffer(row[2], dtype=np.int32) for row in stored]
    weights = [np.frombuffer(row[3], dtype=np.float32) for row in stored]
    sums = sp.csr_matrix(
        (np.concatenate(weights), np.concatenate(indices), np.r_[0, np.cumsum([len(i) for i in indices])]),
        shape=(len(stored), len(terms)),
    )
    row_of = {row[0]: i for i, row in enumerate(stored)}
    dated = db.execute("select event_id, published from articles where event_id is not null").fetchall()
    dates = events.group_dates([row_of[e] for e, _ in dated], [events.day_number(p) for _, p in dated],
                               len(stored))
    state = events.EventState(vocabulary, sums, np.array([row[1] for row in stored], dtype=float), dates,
                              events.Params(**json.loads(meta[1])))
    return state, [row[0] for row in stored]


def _write_events(db: sqlite_utils.Database, event_ids: list[int], headlines: dict[int, str | None],
                  replace: bool) -> None:
    """(Re)write the events rows of ``event_ids`` from the articles; ``headlines`` label new ones."""
    if replace:
        db.table("events").drop(ignore=True)
    if not db.table("events").exists():
        db.table("events").create(EVENT_COLUMNS, pk="id")
    rows = db.execute(
        "select event_id, min(nullif(trim(published), '')), max(nullif(trim(published), '')), count(*), "
        "count(distinct nullif(trim(outlet), '')) from articles "
        "where event_id in (select value from json_each(?)) group by event_id",
        [json.dumps(event_ids)],
    ).fetchall()
    db.table("events").upsert_all(
        (
            {"id": e, "first_published": first, "last_published": last, "articles": n, "outlets": outlets,
             **({"label": headlines[e]} if e in headlines else {})}
            for e, first, last, n, outlets in rows
        ),
        pk="id",
    )


def _assign_ids(db: sqlite_utils.Database, pairs: Iterable[tuple[int, str]]) -> None:
    with db.conn:
        db.conn.executemany("update articles set event_id = ? where id = ?", pairs)
    db.table("articles").create_index(["event_id"], if_not_exists=True)


def update_events(db: sqlite_utils.Database, new_ids: Sequence[str] | None = None, progress: bool = False,
                  params: events.Params | None = None) -> dict[str, Any]:
    """Fill ``articles.event_id`` and the ``events`` table of a sqlite-utils Database.

    With ``new_ids`` None every article is clustered again and events are numbered 1.. by first
    date. With ``new_ids`` (the articles just added; any article without an event is placed too)
    existing events keep their ids and members, new articles join them or form new events.
    Without a usable stored state (an older database) --add falls back to a full clustering.
    ``params`` applies to full clustering; --add uses those the events were built with."""
    started = time.perf_counter()
    loaded = _load_state(db) if new_ids is not None else None
    if loaded is None:
        result = events.cluster(_Rows(db), params or events.Params(), progress)
        articles = result.articles
        event_ids = list(range(1, len(result.state.sizes) + 1))
        _assign_ids(db, [(e + 1, a.id) for a, e in zip(articles, result.event_of, strict=True)])
        db.table(STATE_TABLE).drop(ignore=True)
        _write_state(db, result.state, event_ids)
        _write_events(db, event_ids, {e + 1: headline for e, headline in result.headlines.items()}, replace=True)
        mode, changed = "full", event_ids
    else:
        state, event_ids = loaded
        result = events.assign(_Rows(db, new_ids), state, progress)
        articles = result.articles
        old = len(event_ids)
        first_new = max(event_ids) + 1
        event_ids = event_ids + list(range(first_new, first_new + len(result.state.sizes) - old))
        _assign_ids(db, [(event_ids[e], a.id) for a, e in zip(articles, result.event_of, strict=True)])
        rows = sorted(set(result.event_of))
        _write_state(db, result.state, event_ids, rows)
        changed = [event_ids[r] for r in rows]
        _write_events(db, changed, {event_ids[r]: headline for r, headline in result.headlines.items()},
                      replace=False)
        mode = "incremental"
    return {
        "mode": mode,
        "articles": len(articles),
        "events": db.table("events").count,
        "events_changed": len(changed),
        "seconds": round(time.perf_counter() - started, 2),
    }


# --------------------------------------------------------------------------
# Meta: whose database this is, and of which schema


def read_meta(path: Path) -> dict[str, str] | None:
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
    return {} if {"articles", STATE_TABLE} <= tables else None


def built_only_from(database: str, *inputs: str) -> bool:
    """True when ``database`` does not exist, or newsdigest built it from exactly
    ``inputs`` and nothing was added since: build.sh may then rebuild it."""
    path = Path(database)
    if not path.exists():
        return True
    meta = read_meta(path) if path.is_file() else None
    return meta is not None and bool(meta) and json.loads(meta.get("inputs", "null")) == [
        os.path.abspath(p) for p in inputs]


def _write_meta(db: sqlite_utils.Database, previous: dict[str, str] | None,
                paths: Iterable[str | os.PathLike], add: bool) -> None:
    """Record how the database was built, so a later build can tell it is ours
    and build.sh can tell whether it holds anything but the seeds."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    inputs = [os.path.abspath(p) for p in paths]
    meta: dict[str, str | None] = {"built_at": now}
    if add:
        prior = previous or {}
        inputs = json.loads(prior.get("inputs", "[]")) + inputs
        meta = {"built_at": prior.get("built_at")}
    try:
        package_version: str | None = version("datasette-newsdigest")
    except PackageNotFoundError:
        package_version = None
    meta.update(built_by=BUILT_BY, schema_version=SCHEMA_VERSION, newsdigest_version=package_version,
                inputs=json.dumps(inputs, ensure_ascii=False), updated_at=now)
    db.table(META_TABLE).insert_all(({"key": k, "value": v} for k, v in meta.items()),
                              pk="key", replace=True)


def _check_schema(database: Path, meta: dict[str, str]) -> None:
    """Refuse to --add to a database of another schema version: its tables may not be the ones
    this version writes. One made before the meta table existed has this version's tables."""
    found = meta.get("schema_version", SCHEMA_VERSION)
    if found == SCHEMA_VERSION:
        return
    newer = found.isdigit() and int(found) > int(SCHEMA_VERSION)
    raise _failed(database, f"{database} has schema version {found}, "
                  f"{'newer than' if newer else 'not'} the version {SCHEMA_VERSION} this newsdigest writes, "
                  "so nothing was added", f" (rebuild it: newsdigest build {database} PATH...)")


def _check_target(database: Path, add: bool) -> dict[str, str] | None:
    """The target's meta (None when there is no target yet); refuse any file that
    is not a database newsdigest made, since the build would replace it."""
    if not database.exists():
        if add:
            raise BuildError(f"--add needs an existing database; {database} does not exist")
        return None
    if not database.is_file():
        raise _failed(database, f"{database} is not a database file")
    meta = read_meta(database)
    if meta is None:
        if add:
            raise _failed(database, f"{database} is not a database made by newsdigest, so nothing was added")
        raise _failed(database, f"{database} is not a database made by newsdigest, so it is not replaced",
                      " (name a new database file first: newsdigest build NEW.db PATH...)")
    if add:
        _check_schema(database, meta)
    return meta


# --------------------------------------------------------------------------
# Building: one at a time, in a temporary file, then into place


def build_database(path: str | os.PathLike, inputs: Sequence[str | os.PathLike], *, add: bool = False,
                   mapping: dict[str, str] | None = None, progress: bool = False,
                   notify: Notify = _to_stderr) -> BuildStats:
    """Build the database at ``path`` from ``inputs`` (files or folders), or with ``add`` append
    to it; returns what was read, with ``stats.clustering`` from ``update_events``.

    Skipped inputs are in ``stats.problems`` and also told to ``notify`` as they are found, with
    the waits and clean-ups of the build; a fatal error raises ``BuildError``, and leaves the
    previous database as it was.
    """
    database = Path(path)
    try:
        if not database.parent.is_dir():
            raise _failed(database, f"folder {database.parent} does not exist")
        if database.is_dir():
            raise _failed(database, f"{database} is a folder, not a database file")
        with _build_lock(database, notify):
            _remove_stale_temporaries(database, notify)
            previous = _check_target(database, add)
            return _build_into(database, inputs, add, previous, mapping, progress, notify)
    except (OSError, sqlite3.Error) as error:
        raise _failed(database, f"could not build {database}: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    """A fatal OS or SQLite error in a few words, with the file it concerns."""
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            message = "disk full"
        elif error.errno == errno.EFBIG:
            message = "file too large for this system"
        else:
            message = error.strerror or str(error)
        return f"{message}: {error.filename}" if error.filename else message
    return str(error)


def _build_into(database: Path, paths: Sequence[str | os.PathLike], add: bool, previous: dict[str, str] | None,
                mapping: dict[str, str] | None, progress: bool, notify: Notify) -> BuildStats:
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
                notify(f"skipped {problem}")
            if not stats.articles and not add:
                raise _failed(database, "no articles could be read")
            stats.clustering = update_events(db, stats.new_ids if add else None, progress=progress)
            finish_database(db)
            _write_meta(db, previous, paths, add)
        finally:
            db.close()
        _put_in_place(tmp, database, progress)
    finally:
        for leftover in [tmp] + [tmp.with_name(tmp.name + end) for end in ("-journal", "-wal", "-shm")]:
            leftover.unlink(missing_ok=True)
    return stats


@contextmanager
def _build_lock(target: Path, notify: Notify) -> Iterator[None]:
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
                    notify(f"waiting for another build of {target} to finish"
                           + (f" (pid {holder})" if holder else ""))
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


def _remove_stale_temporaries(target: Path, notify: Notify) -> None:
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
        notify(f"removed {text.counted(removed, 'temporary file')} ({size / 1e6:.1f} MB) "
               f"left by an interrupted build of {target}")


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
    back to the old content (``roll_back_interrupted_write`` for a server).
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


def roll_back_interrupted_write(path: str | os.PathLike) -> bool:
    """Roll back a write that was cut short (a build killed while copying into place).

    SQLite undoes such a write from the hot journal it left, but only on a connection that may
    write; Datasette opens databases read-only (or immutable, which ignores the journal and
    would read the half-copied pages), so without this the database answers errors until the
    next build. True when a journal was found and rolled back.
    """
    journal = Path(f"{os.fspath(path)}-journal")
    try:
        if journal.stat().st_size == 0:
            return False
    except OSError:
        return False
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True)) as conn:
            conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error:
        return False  # not writable here: the server reports the database's own error
    return True
