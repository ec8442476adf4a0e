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
import functools
import itertools
import json
import math
import operator
import os
import re
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sqlite_utils
from tqdm import tqdm

from . import arrays, digest, events, ingest, quotes, speakers, text, work

__all__ = [
    "ARTICLE_COLUMNS",
    "BUILT_BY",
    "CORRECTION_COLUMNS",
    "ARTICLES_KEY",
    "DIGEST_COLUMNS",
    "DIGEST_EVENT_COLUMNS",
    "COVERAGE_COLUMNS",
    "COVERAGE_ROW_TABLES",
    "COVERAGE_SENTENCE_COLUMNS",
    "EVENT_COLUMNS",
    "HIDDEN_TABLES",
    "LEGACY_STATE_TABLE",
    "META_TABLE",
    "QUOTE_COLUMNS",
    "SCHEMA_VERSION",
    "SENTENCE_COLUMNS",
    "STATE_TABLE",
    "STORY_COLUMNS",
    "STORY_STATE_VERSION",
    "Screenings",
    "VOCAB_TABLE",
    "BuildError",
    "BuildStats",
    "CorrectionError",
    "build_database",
    "built_only_from",
    "correct",
    "create_digest_tables",
    "create_tables",
    "fill_digests",
    "fill_coverage",
    "fill_quotes",
    "fill_speakers",
    "event_coverage",
    "event_digest",
    "event_digest_and_coverage",
    "finish_database",
    "index_events_list",
    "list_corrections",
    "list_groups",
    "load",
    "read_meta",
    "reapply_corrections",
    "roll_back_interrupted_write",
    "show_group",
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
    "published_from": str,  # where the date came from: 'input' or 'text' (ingest.text_date)
    "url": str,
    "source": str,
    "words": int,
    "label": str,  # the title, else the first sentence (text.label): what links to an article show
    "event_id": int,
}
SENTENCE_COLUMNS = {"id": int, "article_id": str, "position": int, "text": str}
EVENT_COLUMNS = {"id": int, "label": str, "first_published": str, "last_published": str, "articles": int,
                 "outlets": int, "story_id": int, "edited": int}
STORY_COLUMNS = {"id": int, "label": str, "first_published": str, "last_published": str, "events": int,
                 "articles": int, "outlets": int, "edited": int}
CORRECTION_COLUMNS = {"id": int, "created": str, "level": str, "action": str, "article_id": str,
                      "anchor_id": str, "label": str}
STATE_COLUMNS = {"story_id": int, "articles": int, "terms": bytes, "weights": bytes}
META_TABLE = "_newsdigest_meta"
STATE_TABLE = "_newsdigest_story_state"
VOCAB_TABLE = "_newsdigest_story_vocab"
LEGACY_STATE_TABLE = "_newsdigest_event_state"  # schema version 1's, by which a database from before the meta is known
SPEAKERS_TABLE = "event_speakers"  # the event page's who-said-what sections as JSON: a page's cache, not data
COVERAGE_SECTIONS = "event_coverage"  # the event page's Coverage sections as JSON: a page's cache, not data
HIDDEN_TABLES = (STATE_TABLE, VOCAB_TABLE, SPEAKERS_TABLE, COVERAGE_SECTIONS)  # metadata.yml hides these
# (tests/test_cli.py checks)
BUILT_BY = "datasette-newsdigest"
SCHEMA_VERSION = "2"  # 2: stories, events.story_id and edited, corrections, articles.published_from
STORY_STATE_VERSION = 2  # 2: IDF with background documents; another version makes --add cluster again
BATCH = 500
LABEL_BATCH = 2000  # articles whose stories' events are labelled in one call (bounds the bodies held)
SPLIT_BATCH = 500  # stories read and split (by map_) a batch at a time
SPLIT_CHUNK = 25  # stories of two or more articles per task of a batch's split
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


def _fill_labels(db: sqlite_utils.Database) -> None:
    """Every article's ``label``, for ``--add`` to a database built before the column: from its
    title and the first sentence the build stored, as a new build makes it."""
    rows = db.execute("select a.id, a.title, s.text from articles a left join sentences s "
                      "on s.article_id = a.id and s.position = 0").fetchall()
    with db.conn:
        db.conn.executemany("update articles set label = ? where id = ?",
                            [(text.label(title, first), article_id) for article_id, title, first in rows])


def create_tables(db: sqlite_utils.Database) -> None:
    """The tables of ARCHITECTURE.md, created up front so their shape does not
    depend on which fields the first record happens to have; stories and events
    first, so that the articles' foreign key has a table to point at."""
    _create_group_tables(db)
    if not db.table("articles").exists():
        db.table("articles").create(ARTICLE_COLUMNS, pk="id", foreign_keys=[("event_id", "events", "id")])
    for name in ("outlet_from", "published_from", "genre"):
        if name not in db.table("articles").columns_dict:
            db.table("articles").add_column(name, str)  # --add to a database built before it
    if not db.table("sentences").exists():
        db.table("sentences").create(SENTENCE_COLUMNS, pk="id", foreign_keys=[("article_id", "articles", "id")])
        db.table("sentences").create_index(["article_id", "position"], unique=True)
    if "label" not in db.table("articles").columns_dict:
        db.table("articles").add_column("label", str)
        _fill_labels(db)
    create_quotes_table(db)
    create_digest_tables(db)
    create_coverage_tables(db)
    create_speakers_table(db)
    create_coverage_sections_table(db)
    if not db.table("corrections").exists():
        db.table("corrections").create(CORRECTION_COLUMNS, pk="id")


def _create_group_tables(db: sqlite_utils.Database) -> None:
    if not db.table("stories").exists():
        db.table("stories").create(STORY_COLUMNS, pk="id", defaults={"edited": 0})
    if not db.table("events").exists():
        db.table("events").create(EVENT_COLUMNS, pk="id", defaults={"edited": 0},
                                  foreign_keys=[("story_id", "stories", "id")])
        db.table("events").create_index(["story_id"], if_not_exists=True)


def finish_database(db: sqlite_utils.Database) -> None:
    """Full-text search on title and body, kept current by triggers for ``--add``, and the
    indexes the pages read (the events list's: index_events_list)."""
    if not db.table("articles_fts").exists():
        db.table("articles").enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    db.table("articles").create_index(["published"], if_not_exists=True)
    db.table("articles").create_index(["event_id"], if_not_exists=True)
    if db.table("events").exists():
        # The events page's order, so a page of events is read from the index, not sorted per request.
        db.execute("create index if not exists events_listing on events "
                   "(articles desc, last_published is null, last_published desc, id)")
        # A story's events in time order (story page, event page) and the stories page's order.
        db.execute("create index if not exists events_in_story on events "
                   "(story_id, first_published is null, first_published, id)")
    if db.table("stories").exists():
        db.execute("create index if not exists stories_listing on stories "
                   "(articles desc, last_published is null, last_published desc, id)")
    index_events_list(db)


def index_events_list(db: sqlite_utils.Database) -> None:
    """What the events list's search, filters and sorts read (views.EVENT_SORTS), so each is an index
    lookup or an index read in order, never a scan or a sort per request: full-text search over event
    labels (digest sentences have theirs, see create_digest_tables), kept current by triggers for
    ``--add``; articles by outlet (the outlet filter) and each event's outlets (their names per event);
    events newest and oldest first (the size order is ``events_listing``), and so within a story."""
    if db.table("events").exists():
        if not db.table("events_fts").exists():
            db.table("events").enable_fts(["label"], create_triggers=True, tokenize="porter")
        db.execute("create index if not exists events_newest on events (last_published is null, "
                   "last_published desc, id)")
        db.execute("create index if not exists events_oldest on events (first_published is null, "
                   "first_published, id)")
        # A story's events by size and newest first (events_in_story has them oldest first).
        db.execute("create index if not exists events_story_size on events (story_id, articles desc, "
                   "last_published is null, last_published desc, id)")
        db.execute("create index if not exists events_story_newest on events (story_id, last_published is null, "
                   "last_published desc, id)")
    db.table("articles").create_index(["outlet", "event_id"], if_not_exists=True)
    db.table("articles").create_index(["event_id", "outlet"], if_not_exists=True)
    # An event's articles in reading order (ARTICLES_KEY, the pages' article lists) without a sort, and
    # without reading each article's date from past its body.
    db.execute("create index if not exists articles_in_order on articles (event_id, published is null, published)")


def _made(item: ingest.Unmade | ingest.Record) -> list[tuple[ingest.Record | ingest.Problem, list[str]]]:
    """In any process: the records an input item makes, each with its body's sentences (a Problem
    with none). Making and splitting are most of a load and depend on the one record alone."""
    made = item.made() if isinstance(item, ingest.Unmade) else [item]
    return [(r, [] if isinstance(r, ingest.Problem) else text.split_sentences(r["body"])) for r in made]


def load(db: sqlite_utils.Database, paths: Iterable[str | os.PathLike], *, mapping: dict[str, str] | None = None,
         progress: bool = False, max_input_bytes: int = ingest.MAX_INPUT_BYTES,
         max_line_bytes: int = ingest.MAX_LINE_BYTES, max_columns: int = ingest.MAX_COLUMNS,
         map_: work.Map = map) -> BuildStats:
    """Read every input and append its articles and sentences to ``db``.

    Bad inputs become ``stats.problems`` (skipped) and values kept in another
    form ``stats.notes``; neither stops the build. The caps bound what one
    input may cost (see ``ingest.read_file``) and the columns extra fields may add.
    ``map_`` makes and splits the records (:func:`_made`), a batch at a time; this process
    checks and writes them in input order, so the rows are the same whatever it is.
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
    sentences: list[tuple[str, int, str]] = []

    def flush() -> None:
        # Runs of rows with the same columns, in input order (rowids follow the input); sentences as
        # plain tuples, which cost the writer half what sqlite-utils' insert_all of dicts does.
        with db.conn:
            for names, run in itertools.groupby(articles, key=tuple):
                quoted = ", ".join(_quote(name) for name in names)
                db.conn.executemany(f"insert into articles ({quoted}) values ({', '.join('?' * len(names))})",
                                    (tuple(row.values()) for row in run))
            db.conn.executemany("insert into sentences (article_id, position, text) values (?, ?, ?)", sentences)
        articles.clear()
        sentences.clear()

    def add(item: ingest.Record | ingest.Problem, split: list[str]) -> None:
        if isinstance(item, ingest.Problem):
            (stats.problems if item.skipped else stats.notes).append(item)
            return
        line = getattr(item, "line", None)
        if item["id"] in seen:
            stats.problems.append(ingest.Problem(item["source"], f"duplicate id {item['id']!r}", line))
            return
        seen.add(item["id"])
        names = set(getattr(item, "extras", ()))
        extras, new, notes = columns.place({k: item[k] for k in item if k in names}, item["source"])
        for name in new:
            db.execute(f"alter table articles add column {_quote(name)}")
        for reason in [*getattr(item, "notes", []), *notes]:
            stats.notes.append(ingest.Problem(item["source"], reason, line, skipped=False))
        articles.append({**{k: v for k, v in item.items() if k not in names}, **extras,
                         "label": text.label(item.get("title"), split[0] if split else None)})
        sentences.extend((item["id"], i, s) for i, s in enumerate(split))
        stats.articles += 1
        stats.sentences += len(split)
        stats.new_ids.append(item["id"])
        if len(articles) >= BATCH:
            flush()
            bar.set_postfix(articles=stats.articles, refresh=False)

    def batches() -> Iterator[tuple[list, list]]:
        """(the items read, those to make) a batch at a time, in input order."""
        batch: list = []
        for path, kind in files:
            stats.files += 1
            for item in ingest.read_file(path, kind, mapping=mapping, progress=bar.update, unmade=True,
                                         max_input_bytes=max_input_bytes, max_line_bytes=max_line_bytes):
                batch.append(item)
                if len(batch) >= BATCH:
                    yield batch, [i for i in batch if not isinstance(i, ingest.Problem)]
                    batch = []
        yield batch, [i for i in batch if not isinstance(i, ingest.Problem)]

    total = sum(_size(p) for p, _ in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="Reading", disable=not progress,
              file=sys.stderr, leave=False) as bar:
        for batch, results in work.ahead(map_, _made, batches()):
            for item in batch:
                for made, split in ([(item, [])] if isinstance(item, ingest.Problem) else next(results)):
                    add(made, split)
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
# Stories and events: what events.py computes, read from and written to the tables
#
# Stories are events.cluster / events.assign's groups; each story is cut into its events (incidents)
# by events.split_story. Under --add both are incremental: new articles join existing stories or
# start new ones (assign), and only the stories that received articles are split again, with their
# existing events fixed, so existing stories and events keep their ids and members.


class _Rows:
    """The articles to cluster, streamed from the table (37k bodies need not sit in memory): all,
    or those added (``new_ids``, and any without an event), less the ``skip`` ones."""

    def __init__(self, db: sqlite_utils.Database, new_ids: Iterable[str] | None = None, skip: Iterable[str] = ()):
        self.db = db
        conditions: list[str] = []
        self.args: list[str] = []
        if new_ids is not None:
            conditions.append("(event_id is null or id in (select value from json_each(?)))")
            self.args.append(json.dumps(list(new_ids)))
        skipped = list(skip)
        if skipped:
            conditions.append("id not in (select value from json_each(?))")
            self.args.append(json.dumps(skipped))
        self.where = (" where " + " and ".join(conditions)) if conditions else ""

    def __len__(self) -> int:
        return self.db.execute("select count(*) from articles" + self.where, self.args).fetchone()[0]

    def __iter__(self) -> Iterator[events.Article]:
        sql = "select id, title, body, published, outlet from articles" + self.where + " order by rowid"
        return (events.Article(*row) for row in self.db.execute(sql, self.args))


def _articles(db: sqlite_utils.Database, ids: Sequence[str]) -> list[events.Article]:
    """These articles in full, in rowid (input) order."""
    sql = ("select id, title, body, published, outlet from articles "
           "where id in (select value from json_each(?)) order by rowid")
    return [events.Article(*row) for row in db.execute(sql, [json.dumps(list(ids))])]


def _write_state(db: sqlite_utils.Database, state: events.EventState, story_of_row: dict[int, int],
                 rows: Iterable[int] | None = None) -> None:
    """Save the state of the given rows of ``state`` (all when None) that belong to a story
    (``story_of_row``), and the vocabulary."""
    chosen = [r for r in (range(state.sums.shape[0]) if rows is None else rows) if r in story_of_row]
    sums = state.sums
    db.table(STATE_TABLE).upsert_all(
        (
            {
                "story_id": story_of_row[r],
                "articles": int(state.sizes[r]),
                "terms": sums.indices[sums.indptr[r] : sums.indptr[r + 1]].astype(np.int32).tobytes(),
                "weights": sums.data[sums.indptr[r] : sums.indptr[r + 1]].astype(np.float32).tobytes(),
            }
            for r in chosen
        ),
        pk="story_id",
        columns=STATE_COLUMNS,
    )
    if not db.table(STATE_TABLE).exists():
        db.table(STATE_TABLE).create(STATE_COLUMNS, pk="story_id")
    vocabulary = state.vocabulary
    db.table(VOCAB_TABLE).upsert(
        {
            "id": 1,
            "version": STORY_STATE_VERSION,
            "params": json.dumps(asdict(state.params)),
            "documents": vocabulary.documents,
            "terms": json.dumps(vocabulary.terms, ensure_ascii=False),
            "df": vocabulary.df.astype(np.int32).tobytes(),
        },
        pk="id",
    )


def _realign_state(db: sqlite_utils.Database) -> None:
    """Make each stored story's article count its current one, and forget emptied stories, after
    grouping fields or corrections moved articles the clustering placed elsewhere. The summed
    vectors are kept: the next full build computes them again."""
    if not db.table(STATE_TABLE).exists():
        return
    db.execute(f"""update [{STATE_TABLE}] set articles = coalesce((select count(*) from articles a
                   join events e on e.id = a.event_id where e.story_id = [{STATE_TABLE}].story_id), 0)""")
    db.execute(f"delete from [{STATE_TABLE}] where articles = 0")


def _load_state(db: sqlite_utils.Database) -> tuple[events.EventState, list[int]] | None:
    """The stored state and the story id of each of its rows; None when it is missing or does
    not match the stories the tables hold."""
    if not (db.table(STATE_TABLE).exists() and db.table(VOCAB_TABLE).exists()):
        return None
    meta = db.execute(
        f"select version, params, documents, terms, df from [{VOCAB_TABLE}] where id = 1").fetchone()
    if meta is None or meta[0] != STORY_STATE_VERSION:
        return None
    stored = db.execute(
        f"select story_id, articles, terms, weights from [{STATE_TABLE}] order by story_id"
    ).fetchall()
    counts = dict(db.execute("select e.story_id, count(*) from articles a join events e on e.id = a.event_id "
                             "group by e.story_id").fetchall())
    if any(counts.get(row[0], 0) != row[1] for row in stored):
        return None
    terms = json.loads(meta[3])
    vocabulary = events.Vocabulary(terms, np.frombuffer(meta[4], dtype=np.int32).astype(np.int64), meta[2])
    indices = [np.frombuffer(row[2], dtype=np.int32) for row in stored]
    weights = [np.frombuffer(row[3], dtype=np.float32) for row in stored]
    sums = sp.csr_matrix(
        (np.concatenate(weights or [np.zeros(0, np.float32)]), np.concatenate(indices or [np.zeros(0, np.int32)]),
         arrays.offsets(np.array([len(i) for i in indices], dtype=np.int64))),
        shape=(len(stored), len(terms)),
    )
    row_of = {row[0]: i for i, row in enumerate(stored)}
    dated = db.execute("select e.story_id, a.published from articles a join events e on e.id = a.event_id").fetchall()
    dated = [(s, p) for s, p in dated if s in row_of]
    dates = events.group_dates([row_of[s] for s, _ in dated], [events.day_number(p) for _, p in dated],
                               len(stored))
    state = events.EventState(vocabulary, sums, np.array([row[1] for row in stored], dtype=float), dates,
                              events.Params(**json.loads(meta[1])))
    return state, [row[0] for row in stored]


def _field_values(db: sqlite_utils.Database, field: str | None) -> dict[str, str]:
    """Each article's value of an input field that already groups the input (``--story-field``,
    ``--event-field``), as text; articles without it (NULL or blank) are left out. The field is
    its own column, ``input_<field>`` when ingest renamed it, or a key of ``extra_fields``."""
    if not field:
        return {}
    columns = db.table("articles").columns_dict
    parts: list[str] = []
    args: list[str] = []
    for name in (field, f"input_{field}"):
        if name in columns and name not in ARTICLE_COLUMNS:
            parts.append(_quote(name))
    if ingest.OVERFLOW_COLUMN in columns:
        parts.append(f"json_extract({_quote(ingest.OVERFLOW_COLUMN)}, ?)")
        args.append("$." + json.dumps(field))
    if not parts:
        raise BuildError(f"no article has a field {field!r} to group by")
    value = f"cast(coalesce({', '.join(parts)}) as text)" if len(parts) > 1 else f"cast({parts[0]} as text)"
    rows = db.execute(f"select id, trim({value}) from articles", args).fetchall()
    return {article: key for article, key in rows if key}


def _majority(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    """For each first item, the second item it is paired with most often (the first seen on a tie)."""
    counts: dict[Any, Counter] = {}
    for key, value in pairs:
        counts.setdefault(key, Counter())[value] += 1
    return {key: c.most_common(1)[0][0] for key, c in counts.items()}


def _ranked(members: dict[Any, list[str]], where: dict[str, tuple[int, float]]) -> list[Any]:
    """Group keys ordered by their first date (undated last), then their first article's rowid;
    ``where`` is each article's (rowid, day number)."""
    def first(key: Any) -> tuple[float, int]:
        spots = [where[a] for a in members[key]]
        days = [d for _, d in spots if not math.isnan(d)]
        return (min(days) if days else math.inf, min(r for r, _ in spots))
    return sorted(members, key=first)


def update_events(db: sqlite_utils.Database, new_ids: Sequence[str] | None = None, progress: bool = False,
                  params: events.Params | None = None, split: events.SplitParams | None = None, *,
                  story_field: str | None = None, event_field: str | None = None,
                  map_: work.Map = map) -> dict[str, Any]:
    """Fill ``articles.event_id`` and the ``events`` and ``stories`` tables of a sqlite-utils Database.

    With ``new_ids`` None every article is grouped again: stories numbered 1.. by first date, and
    events 1.. by first date across the database. With ``new_ids`` (the articles just added; any
    article without an event is placed too) existing stories and events keep their ids and members;
    new articles join them or start new ones, numbered on. Without a usable stored state (an older
    database) --add falls back to a full build. ``params`` applies to full clustering; --add uses
    those the stories were built with. ``story_field``/``event_field`` name an input field that
    already groups the articles: articles with a value are grouped by it instead of clustering
    (an event's story is the one most of its articles fall in), those without are clustered.
    ``map_`` makes the story level's features, runs its candidate search window by window (see
    ``events.cluster``), splits the stories into events and labels the new events; the result is
    the same whatever runs them."""
    started = time.perf_counter()
    _create_group_tables(db)
    story_keys = _field_values(db, story_field)
    event_keys = _field_values(db, event_field)
    loaded = _load_state(db) if new_ids is not None else None
    full = loaded is None
    state_ids: list[int] = []
    if loaded is not None and loaded[0].sums.shape[0]:
        state, state_ids = loaded
        result = events.assign(_Rows(db, new_ids, skip=story_keys), state, progress, labels=False, map_=map_)
        params = state.params
    else:
        params = params or (loaded[0].params if loaded is not None else events.Params())
        rows = _Rows(db, None if full else new_ids, skip=story_keys)
        result = events.cluster(rows, params, progress, labels=False, map_=map_)
    split = split or events.SplitParams()
    old = len(state_ids)
    # each article being placed: its story, as ("s", id) for an existing one or a key for a new one
    story_of: dict[str, tuple] = {a.id: ("s", state_ids[r]) if r < old else ("c", r)
                                  for a, r in zip(result.articles, result.event_of, strict=True)}
    placing = _placing(db, new_ids, full)
    placed = set(placing)
    event_of_existing: dict[str, int] = {}
    story_of_event: dict[int, int] = {}
    if not full:
        event_of_existing = dict(db.execute("select id, event_id from articles where event_id is not null"))
        story_of_event = dict(db.execute("select id, story_id from events"))
    known_story = _majority((story_keys[a], story_of_event.get(e)) for a, e in event_of_existing.items()
                            if a in story_keys)
    for a in placing:
        if a in story_keys:
            found = known_story.get(story_keys[a])
            story_of[a] = ("s", found) if found is not None else ("k", story_keys[a])
    # articles an input field puts in one event: an existing event with that value, or a new one
    known_event = _majority((event_keys[a], e) for a, e in event_of_existing.items() if a in event_keys)
    fixed_event: dict[str, tuple] = {}
    for a in placing:
        if a in event_keys:
            found = known_event.get(event_keys[a])
            fixed_event[a] = ("e", found) if found is not None else ("k", event_keys[a])
            if found is not None:
                story_of[a] = ("s", story_of_event[found])
    new_keyed = _group_members({a: ref for a, ref in fixed_event.items() if ref[0] == "k"})
    for members in new_keyed.values():
        chosen = _majority(("x", story_of[a]) for a in members)["x"]
        for a in members:
            story_of[a] = chosen

    where = {a: (rowid, events.day_number(p)) for a, rowid, p in db.execute(
        "select id, rowid, published from articles where id in (select value from json_each(?))",
        [json.dumps(placing)])}
    story_members = _group_members(story_of)
    first_story = 1 if full else _next_id(db, "stories")
    new_story_ids = {key: first_story + i for i, key in enumerate(
        _ranked({k: m for k, m in story_members.items() if k[0] != "s"}, where))}
    story_id = {a: key[1] if key[0] == "s" else new_story_ids[key] for a, key in story_of.items()}

    clustered = {a.id: i for i, a in enumerate(result.articles)}
    event_id, new_events, labels, changed_events = _split_stories(
        db, _group_members(story_id), placed, event_of_existing, fixed_event, params, split,
        lambda a: result.lead_terms(clustered[a]) if a in clustered else None,
        lambda a: result.head_terms(clustered[a]) if a in clustered else None, map_)
    first_event = 1 if full else _next_id(db, "events")
    new_event_ids = {key: first_event + i for i, key in enumerate(_ranked(new_events, where))}
    final = {a: e if isinstance(e, int) else new_event_ids[e] for a, e in event_id.items()}

    if full:
        db.execute("delete from events")
        db.execute("delete from stories")
    with db.conn:
        db.conn.executemany("insert into stories (id, edited) values (?, 0)",
                            ((s,) for s in sorted(new_story_ids.values())))
        db.conn.executemany("insert into events (id, label, story_id, edited) values (?, ?, ?, 0)",
                            ((new_event_ids[k], labels[k], k[0]) for k in new_events))
        db.conn.executemany("update articles set event_id = ? where id = ?", ((e, a) for a, e in final.items()))
    db.table("articles").create_index(["event_id"], if_not_exists=True)
    changed_stories = set(story_id.values())
    _refresh(db, changed_events | set(new_event_ids.values()), changed_stories)
    _label_stories(db, new_story_ids.values())
    story_of_row = {r: state_ids[r] for r in range(old)}
    story_of_row.update({key[1]: new_story_ids[key] for key in new_story_ids if key[0] == "c"})
    if full or not old:
        db.table(STATE_TABLE).drop(ignore=True)
        _write_state(db, result.state, story_of_row)
    else:
        _write_state(db, result.state, story_of_row, sorted(set(result.event_of)))
    _realign_state(db)
    db.conn.commit()
    return {
        "mode": "full" if full else "incremental",
        "articles": len(placing),
        "events": db.table("events").count,
        "events_changed": len(changed_events) + len(new_event_ids),
        "stories": db.table("stories").count,
        "stories_changed": len(changed_stories),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _split_stories(db: sqlite_utils.Database, stories: dict[int, list[str]], placed: set[str],
                   event_of_existing: dict[str, int], fixed_event: dict[str, tuple], params: events.Params,
                   split: events.SplitParams, lead_terms: Callable[[str], list[str] | None],
                   head_terms: Callable[[str], list[str] | None], map_: work.Map = map
                   ) -> tuple[dict[str, Any], dict[tuple, list[str]], dict[tuple, str | None], set[int]]:
    """Cut each story that receives articles (``stories``: its new members) into its events, its
    existing events and those an event field names held fixed; ``lead_terms`` gives an article's
    body terms the story clustering made (None for one it did not cluster), so the split does not
    tokenize it again, and ``head_terms`` those of the lead that labels judge by; ``map_`` runs the
    splits of stories of two or more articles (:func:`_story_incidents`). Returns each
    placed article's event (an existing id, or a (story, incident) key for a new one), the new events' members
    and labels, and the existing events that received articles."""
    event_id: dict[str, Any] = {}
    new_events: dict[tuple, list[str]] = {}
    labels: dict[tuple, str | None] = {}
    changed: set[int] = set()
    unlabelled: list[tuple[int, set[int], list[events.Article], list[int]]] = []
    waiting = [0]  # articles of the stories in ``unlabelled``
    ready: list[tuple[list, tuple]] = []  # label batches made, not yet handed to map_
    pending: deque[tuple[list, Iterator]] = deque()  # handed over, not yet read

    def label() -> None:
        """Make one label batch of the stories waiting: many stories in one call (they are small),
        the same batches whatever runs them, since the labels are judged over the batch."""
        if unlabelled:
            ready.append(([(story, made) for story, made, _, _ in unlabelled],
                          ([([events.headline_copy(a) for a in arts], incidents)
                            for _, _, arts, incidents in unlabelled], params,
                           [[head_terms(a.id) for a in arts] for _, _, arts, _ in unlabelled])))
        unlabelled.clear()
        waiting[0] = 0
        hand_over(last=False)

    def hand_over(last: bool) -> None:
        """Hand the label batches to ``map_`` two at a time (a pool sends work.Tasks of two or more
        to its workers, and runs one alone itself), two held back so the last go as two or three,
        and read those handed over before the last ones: at most six batches held."""
        if len(ready) >= 4 or (last and ready):
            sent = ready if last else ready[:2]
            pending.append(([keys for keys, _ in sent], map_(_story_labels, work.Tasks(task for _, task in sent))))
            del ready[: len(sent)]
        while len(pending) > (0 if last else 1):
            batches_keys, named = pending.popleft()
            for keys, heads_of in zip(batches_keys, named, strict=True):
                for (story, made), heads in zip(keys, heads_of, strict=True):
                    labels.update({(story, t): heads.get(t) for t in made})

    def place(story: int, arts: list[events.Article], incidents: list[int], fixed_refs: list) -> None:
        """Record one story's incidents: its new events (labelled a batch of stories at a time) and
        the existing ones that received articles."""
        made = {t for art, t in zip(arts, incidents, strict=True)
                if art.id in placed and (t >= len(fixed_refs) or fixed_refs[t][0] == "k")}
        if made:
            unlabelled.append((story, made, arts, incidents))
            waiting[0] += len(arts)
            if waiting[0] >= LABEL_BATCH:
                label()
        for art, t in zip(arts, incidents, strict=True):
            if art.id not in placed:
                continue
            if t in made:
                new_events.setdefault((story, t), []).append(art.id)
                event_id[art.id] = (story, t)
            else:
                event_id[art.id] = fixed_refs[t][1]
                changed.add(fixed_refs[t][1])

    def plans() -> Iterator[tuple[int, list[events.Article], list, list[int]]]:
        ordered = iter(sorted(stories.items()))
        while chunk := list(itertools.islice(ordered, SPLIT_BATCH)):
            members: dict[int, list[str]] = {}
            for story, new_members in chunk:
                existing = [a for (a,) in db.execute(
                    "select a.id from articles a join events e on e.id = a.event_id where e.story_id = ? "
                    "order by a.rowid", [story])] if event_of_existing else []
                members[story] = [a for a in existing if a not in placed] + new_members
            read = _articles(db, [a for ids in members.values() for a in ids])  # one query a chunk
            story_of_article = {a: story for story, ids in members.items() for a in ids}
            arts_of: dict[int, list[events.Article]] = {story: [] for story in members}
            for art in read:  # in rowid order, so each story's articles are too
                arts_of[story_of_article[art.id]].append(art)
            for story, arts in arts_of.items():
                yield story, arts, *_fixed_of(arts, placed, event_of_existing, fixed_event)

    def batches() -> Iterator[tuple[list, list]]:
        """Stories a batch at a time, and the splits of those of two or more articles to hand over
        (one article is one incident: the split and its vectors are not needed)."""
        every = iter(plans())
        while batch := list(itertools.islice(every, SPLIT_BATCH)):
            splits = [(arts, params, split, fixed, [lead_terms(a.id) for a in arts])
                      for _, arts, _, fixed in batch if len(arts) > 1]
            # chunks of stories as work.Tasks: a batch's few hundred splits are worth the trip, where
            # a plain list of fewer than work.MIN_ITEMS items would be split here
            yield batch, work.Tasks(splits[i : i + SPLIT_CHUNK] for i in range(0, len(splits), SPLIT_CHUNK))

    for batch, chunks in work.ahead(map_, _stories_incidents, batches()):
        results = itertools.chain.from_iterable(chunks)
        for story, arts, fixed_refs, fixed in batch:
            incidents = next(results) if len(arts) > 1 else [max(fixed[0], 0)]
            place(story, arts, incidents, fixed_refs)
    label()
    hand_over(last=True)
    return event_id, new_events, labels, changed


def _fixed_of(arts: list[events.Article], placed: set[str], event_of_existing: dict[str, int],
              fixed_event: dict[str, tuple]) -> tuple[list, list[int]]:
    """A story's fixed events (existing ones, then those an event field makes), and each of its
    articles' index among them (-1: free to split)."""
    refs = [("e", event_of_existing[art.id]) if art.id not in placed else fixed_event.get(art.id) for art in arts]
    fixed_refs = sorted({r for r in refs if r and r[0] == "e"}, key=lambda r: r[1]) + sorted(
        {r for r in refs if r and r[0] == "k"}, key=lambda r: r[1])
    index = {r: i for i, r in enumerate(fixed_refs)}
    return fixed_refs, [index[r] if r else -1 for r in refs]


def _stories_incidents(chunk: list[tuple]) -> list[list[int]]:
    """In a worker (or not): :func:`_story_incidents` of a chunk of stories."""
    return [_story_incidents(item) for item in chunk]


def _story_incidents(item: tuple) -> list[int]:
    """``events.split_story`` of one story's articles, from their terms."""
    arts, params, split, fixed, lead_terms = item
    return events.split_story(arts, params, split, fixed, events.story_terms(arts, params, lead_terms))


def _story_labels(item: tuple) -> list[dict[int, str | None]]:
    """In a worker (or not): ``events.story_headlines`` of one label batch."""
    return events.story_headlines(*item)


def _placing(db: sqlite_utils.Database, new_ids: Sequence[str] | None, full: bool) -> list[str]:
    """The ids of the articles this run places, in rowid order."""
    if full:
        return [a for (a,) in db.execute("select id from articles order by rowid")]
    return [a for (a,) in db.execute("select id from articles where event_id is null or id in "
                                     "(select value from json_each(?)) order by rowid",
                                     [json.dumps(list(new_ids or []))])]


def _group_members(group_of: dict[str, Any]) -> dict[Any, list[str]]:
    members: dict[Any, list[str]] = {}
    for article, group in group_of.items():
        members.setdefault(group, []).append(article)
    return members


def _next_id(db: sqlite_utils.Database, table: str) -> int:
    return db.execute(f"select coalesce(max(id), 0) + 1 from {table}").fetchone()[0]


def _refresh(db: sqlite_utils.Database, event_ids: Iterable[int], story_ids: Iterable[int]) -> None:
    """Recount the dates, articles, outlets (and a story's events) of these events and stories
    from the articles, and delete those left without articles."""
    events_json, stories_json = json.dumps(sorted(set(event_ids))), json.dumps(sorted(set(story_ids)))
    dates = ("min(nullif(trim(a.published), '')), max(nullif(trim(a.published), '')), count(*), "
             "count(distinct nullif(trim(a.outlet), ''))")
    db.execute(f"""update events set (first_published, last_published, articles, outlets) =
                   (select {dates} from articles a where a.event_id = events.id)
                   where id in (select value from json_each(?))""", [events_json])
    db.execute("delete from events where id in (select value from json_each(?)) and articles = 0",
               [events_json])
    db.execute(f"""update stories set (first_published, last_published, articles, outlets, events) =
                   (select {dates}, count(distinct e.id) from articles a join events e on e.id = a.event_id
                    where e.story_id = stories.id)
                   where id in (select value from json_each(?))""", [stories_json])
    db.execute("delete from stories where id in (select value from json_each(?)) and articles = 0",
               [stories_json])


def _label_stories(db: sqlite_utils.Database, story_ids: Iterable[int]) -> None:
    """A new story's label: that of its largest event (the earliest of equal ones)."""
    db.execute("""update stories set label = (select label from events where story_id = stories.id
                  order by articles desc, id limit 1) where id in (select value from json_each(?)) and label is null""",
               [json.dumps(sorted(set(story_ids)))])


# --------------------------------------------------------------------------
# Corrections: an analyst's fixes to the grouping, kept by article id and re-applied after builds
#
# A row of ``corrections`` says where one article belongs, relative to another (its anchor), so it
# holds whatever ids the groups get: ``move`` and ``merge`` put ``article_id`` in the group of
# ``anchor_id`` (a new group when the anchor is NULL; the articles moved with it then name it as
# their anchor), ``label`` gives the group of ``anchor_id`` the text ``label``. At the story level
# a moved article is placed among the target story's events as --add would place it, and a merge
# moves the events that hold the articles. Rows are applied in id order; a row whose article or
# anchor is not in the database is reported, skipped and kept.

LEVELS = ("event", "story")
_TABLE = {"event": "events", "story": "stories"}
_GROUP = {"event": "a.event_id", "story": "(select story_id from events where id = a.event_id)"}
_MEMBERS = {
    "event": "select a.id from articles a where a.event_id = ? order by a.rowid",
    "story": "select a.id from articles a join events e on e.id = a.event_id where e.story_id = ? order by a.rowid",
}
MAX_LABEL = 500


class CorrectionError(Exception):
    """A correction that cannot be made, in one line; the database is unchanged."""


@dataclass
class _Touched:
    """What corrections changed, to recount, flag as edited and label when new."""

    events: set[int] = field(default_factory=set)
    stories: set[int] = field(default_factory=set)
    new_events: set[int] = field(default_factory=set)
    new_stories: set[int] = field(default_factory=set)


def _group_of(db: sqlite_utils.Database, level: str, article: str) -> int | None:
    row = db.execute(f"select {_GROUP[level]} from articles a where a.id = ?", [article]).fetchone()
    return None if row is None else row[0]


def _members(db: sqlite_utils.Database, level: str, group: int) -> list[str]:
    return [a for (a,) in db.execute(_MEMBERS[level], [group])]


def _exists(db: sqlite_utils.Database, table: str, key: str | int) -> bool:
    return db.execute(f"select 1 from {table} where id = ?", [key]).fetchone() is not None


def _new_group(db: sqlite_utils.Database, level: str, touched: _Touched, story: int | None = None) -> int:
    new = _next_id(db, _TABLE[level])
    if level == "event":
        db.execute("insert into events (id, story_id, articles, edited) values (?, ?, 0, 1)", [new, story])
        touched.new_events.add(new)
    else:
        db.execute("insert into stories (id, articles, edited) values (?, 0, 1)", [new])
        touched.new_stories.add(new)
    return new


def _params(db: sqlite_utils.Database) -> events.Params:
    """The parameters the stories were clustered with (the defaults when none are stored)."""
    if db.table(VOCAB_TABLE).exists():
        row = db.execute(f"select params from [{VOCAB_TABLE}] where id = 1").fetchone()
        if row:
            return events.Params(**json.loads(row[0]))
    return events.Params()


def _apply(db: sqlite_utils.Database, row: dict, touched: _Touched) -> str | None:
    """Apply one ``corrections`` row; the reason it cannot be applied, or None."""
    level, article, anchor = row["level"], row["article_id"], row["anchor_id"]
    for needed in (article, anchor):
        if needed is not None and not _exists(db, "articles", needed):
            return f"article {needed!r} is not in the database"
    if row["action"] == "label":
        group = _group_of(db, level, anchor)
        if group is None:
            return f"article {anchor!r} is in no {level}"
        db.execute(f"update {_TABLE[level]} set label = ?, edited = 1 where id = ?", [row["label"], group])
        return None
    source, source_story = _group_of(db, "event", article), _group_of(db, "story", article)
    if source is None or source_story is None:
        return f"article {article!r} is in no event"
    target_story = source_story if anchor is None else _group_of(db, "story", anchor)
    if target_story is None:
        return f"article {anchor!r} is in no event"
    if level == "event":
        if anchor is None:
            if _members(db, "event", source) == [article]:
                return None  # already an event of its own
            target = _new_group(db, "event", touched, source_story)
        else:
            target = _group_of(db, "event", anchor) or source
        if target != source:
            db.execute("update articles set event_id = ? where id = ?", [target, article])
            touched.events.update((source, target))
            touched.stories.update((source_story, target_story))
    elif row["action"] == "merge":
        if target_story != source_story:
            db.execute("update events set story_id = ? where id = ?", [target_story, source])
            touched.stories.update((source_story, target_story))
    elif anchor is None:
        if _members(db, "story", source_story) != [article]:
            story = _new_group(db, "story", touched)
            _move(db, article, _new_group(db, "event", touched, story), source, touched)
            touched.stories.update((source_story, story))
    elif target_story != source_story:
        _move(db, article, _place(db, article, target_story, touched), source, touched)
        touched.stories.update((source_story, target_story))
    return None


def _move(db: sqlite_utils.Database, article: str, target: int, source: int, touched: _Touched) -> None:
    db.execute("update articles set event_id = ? where id = ?", [target, article])
    touched.events.update((source, target))


def _place(db: sqlite_utils.Database, article: str, story: int, touched: _Touched) -> int:
    """The event of ``story`` that ``article`` joins, as --add would place it (a new one when none fits)."""
    existing = _members(db, "story", story)
    members = _articles(db, existing + [article])
    event_of = dict(db.execute("select id, event_id from articles where id in (select value from json_each(?))",
                               [json.dumps(existing)]))
    ids = sorted(set(event_of.values()))
    index = {e: i for i, e in enumerate(ids)}
    fixed = [-1 if a.id == article else index[event_of[a.id]] for a in members]
    placed = events.split_story(members, _params(db), events.SplitParams(), fixed)[
        [a.id for a in members].index(article)]
    return ids[placed] if placed < len(ids) else _new_group(db, "event", touched, story)


def _finish(db: sqlite_utils.Database, touched: _Touched, digests: bool = True) -> None:
    """Recount what the corrections touched, flag it as edited, and label the groups they made;
    ``digests`` False where the caller (a build) makes the digests right after anyway."""
    _refresh(db, touched.events | touched.new_events, touched.stories | touched.new_stories)
    for level, ids in (("event", touched.events | touched.new_events), ("story", touched.stories)):
        db.execute(f"update {_TABLE[level]} set edited = 1 where id in (select value from json_each(?))",
                   [json.dumps(sorted(ids))])
    params = _params(db)
    for event in sorted(touched.new_events):
        members = _articles(db, _members(db, "event", event))
        if members:
            label = events.headlines(members, [0] * len(members), params).get(0)
            db.execute("update events set label = ? where id = ? and label is null", [label, event])
    _label_stories(db, touched.new_stories)
    _realign_state(db)
    follow_corrections(db)
    screenings: Screenings = {}  # from the digests made again to the coverage, within this correction
    if digests:
        follow_digest_corrections(db, screenings)
        if db.table("event_speakers").exists():
            fill_speakers(db, full=False)
    follow_corrections_in_coverage(db, touched, screenings)
    if digests and db.table(COVERAGE_SECTIONS).exists():
        fill_coverage_sections(db, full=False)


def reapply_corrections(db: sqlite_utils.Database, only: Iterable[str] | None = None,
                        notify: Notify = _to_stderr) -> dict[str, int]:
    """Apply the stored corrections again (after a build; with ``only``, those naming one of these
    article ids, which --add just brought in); each one that cannot be applied is told to
    ``notify`` and kept. Returns how many were applied and skipped."""
    if not db.table("corrections").exists():
        return {"applied": 0, "skipped": 0}
    rows = [dict(zip(CORRECTION_COLUMNS, row, strict=True)) for row in db.execute(
        f"select {', '.join(CORRECTION_COLUMNS)} from corrections order by id")]
    if only is not None:
        wanted = set(only)
        rows = [r for r in rows if r["article_id"] in wanted or r["anchor_id"] in wanted]
    if not rows:
        return {"applied": 0, "skipped": 0}
    touched = _Touched()
    skipped = 0
    with db.atomic():  # one transaction (see correct)
        for row in rows:
            reason = _apply(db, row, touched)
            if reason:
                skipped += 1
                notify(f"correction {row['id']} ({row['level']} {row['action']}) skipped: {reason}")
        _finish(db, touched, digests=False)  # the build's fill_digests follows
    return {"applied": len(rows) - skipped, "skipped": skipped}


def _copy_corrections(source: Path, db: sqlite_utils.Database) -> None:
    """The previous database's corrections, into the one a full rebuild is writing."""
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        if not conn.execute("select 1 from sqlite_master where type = 'table' and name = 'corrections'").fetchone():
            return
        rows = conn.execute(f"select {', '.join(CORRECTION_COLUMNS)} from corrections order by id").fetchall()
    create_tables(db)
    with db.conn:
        db.conn.executemany(f"insert into corrections ({', '.join(CORRECTION_COLUMNS)}) "
                            f"values ({', '.join('?' * len(CORRECTION_COLUMNS))})", rows)


def _group_id(db: sqlite_utils.Database, level: str, value: str) -> int:
    try:
        group = int(value)
    except ValueError:
        article = "an" if level == "event" else "a"
        raise CorrectionError(f"{value!r} is not {article} {level} id (a whole number)") from None
    if not _exists(db, _TABLE[level], group):
        raise CorrectionError(f"there is no {level} {group}")
    return group


def _correction_rows(db: sqlite_utils.Database, level: str, action: str, ids: Sequence[str],
                     to: str | None, label: str | None) -> tuple[list[dict], str]:
    """The rows one command adds, and what to say it did."""
    def row(article: str | None, anchor: str | None, text: str | None = None) -> dict:
        return {"level": level, "action": action, "article_id": article, "anchor_id": anchor, "label": text}

    if action == "move":
        articles = list(dict.fromkeys(ids))
        for article in articles:
            if not _exists(db, "articles", article):
                raise CorrectionError(f"there is no article {article!r}")
        if to is None or to.strip().lower() == "new":
            return ([row(articles[0], None)] + [row(a, articles[0]) for a in articles[1:]],
                    f"moved {text.counted(len(articles), 'article')} to a new {level}")
        target = _group_id(db, level, to)
        members = _members(db, level, target)
        anchor = next((m for m in members if m not in articles), members[0])
        return ([row(a, anchor) for a in articles if a != anchor],
                f"moved {text.counted(len(articles), 'article')} to {level} {target}")
    groups = list(dict.fromkeys(_group_id(db, level, g) for g in ids))
    if action == "merge":
        if len(groups) < 2:
            raise CorrectionError(f"merge needs at least two different {_TABLE[level]}")
        anchor = _members(db, level, groups[0])[0]
        return ([row(a, anchor) for g in groups[1:] for a in _members(db, level, g)],
                f"merged {_TABLE[level]} {', '.join(map(str, groups[1:]))} into {level} {groups[0]}")
    label = " ".join((label or "").split())
    if not label:
        raise CorrectionError("a label needs some text")
    if len(label) > MAX_LABEL:
        raise CorrectionError(f"a label is at most {MAX_LABEL} characters (this one has {len(label)})")
    return [row(None, _members(db, level, groups[0])[0], label)], f"labelled {level} {groups[0]}"


def _editable(database: Path) -> None:
    """Refuse anything but a database of this schema that newsdigest made, in one line."""
    if not database.is_file():
        raise CorrectionError(f"{database} does not exist" if not database.exists() else f"{database} is not a file")
    meta = read_meta(database)
    if meta is None:
        raise CorrectionError(f"{database} is not a database made by newsdigest")
    found = meta.get("schema_version", SCHEMA_VERSION)
    if found != SCHEMA_VERSION:
        raise CorrectionError(f"{database} has schema version {found}, not the version {SCHEMA_VERSION} this "
                              "newsdigest writes, so nothing was changed "
                              f"(rebuild it: newsdigest build {database} PATH...)")


def correct(path: str | os.PathLike, level: str, action: str, ids: Sequence[str], *, to: str | None = None,
            label: str | None = None, notify: Notify = _to_stderr) -> str:
    """Make one correction (``move`` articles ``to`` a group or "new", ``merge`` groups, ``label`` a
    group) in the database at ``path``, keep it in ``corrections`` and apply it at once, with the
    build lock held and in one transaction. Returns one line saying what was done; raises
    CorrectionError (nothing changed) when it cannot be made."""
    if level not in LEVELS or action not in ("move", "merge", "label"):
        raise ValueError(f"no correction {level} {action}")
    database = Path(path)
    _editable(database)
    try:
        with _build_lock(database, notify):
            before = database.stat()
            db = sqlite_utils.Database(database)
            try:
                # atomic, not `with db.conn`: sqlite-utils commits each write made outside an open
                # transaction, and the sqlite3 context manager opens none
                with db.atomic():
                    rows, said = _correction_rows(db, level, action, ids, to, label)
                    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
                    touched = _Touched()
                    for row in rows:
                        row["id"] = db.execute("insert into corrections (created, level, action, article_id, "
                                               "anchor_id, label) values (?, ?, ?, ?, ?, ?)",
                                               [created, level, action, row["article_id"], row["anchor_id"],
                                                row["label"]]).lastrowid
                        reason = _apply(db, row, touched)
                        if reason:
                            raise CorrectionError(reason)
                    _finish(db, touched)
            finally:
                db.close()
            _mark_changed(database, before)
    except (OSError, sqlite3.Error) as error:
        raise CorrectionError(f"could not change {database}: {_reason(error)}") from None
    if action == "move" and (to is None or to.strip().lower() == "new"):
        said += f" ({level} {_read_group(database, level, ids[0])})"
    return said


@contextmanager
def _reading(path: str | os.PathLike) -> Iterator[sqlite_utils.Database]:
    """The database at ``path``, read-only; a failure to read it is one CorrectionError line."""
    database = Path(path)
    _editable(database)
    try:
        db = sqlite_utils.Database(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True))
        try:
            yield db
        finally:
            db.close()
    except (OSError, sqlite3.Error) as error:
        raise CorrectionError(f"could not read {database}: {_reason(error)}") from None


def _read_group(path: Path, level: str, article: str) -> int | None:
    with _reading(path) as db:
        return _group_of(db, level, article)


def list_groups(path: str | os.PathLike, level: str) -> list[dict]:
    """Every event or story of the database, in id order (what ``newsdigest events list`` prints)."""
    with _reading(path) as db:
        return list(db.query(f"select * from {_TABLE[level]} order by id"))


def show_group(path: str | os.PathLike, level: str, group: str) -> dict:
    """One event (with its articles) or story (with its events); CorrectionError when there is none."""
    with _reading(path) as db:
        found = _group_id(db, level, group)
        row = next(db.query(f"select * from {_TABLE[level]} where id = ?", [found]))
        if level == "event":
            row["members"] = list(db.query("select id, published, outlet, title from articles "
                                           "where event_id = ? order by published is null, published, rowid", [found]))
        else:
            row["members"] = list(db.query("select id, first_published, articles, edited, label from events "
                                           "where story_id = ? order by first_published is null, first_published, id",
                                           [found]))
        return row


def list_corrections(path: str | os.PathLike) -> list[dict]:
    """Every stored correction in id order, each with ``status``: ``ok``, or why a rebuild skips it."""
    with _reading(path) as db:
        rows = list(db.query(f"select {', '.join(CORRECTION_COLUMNS)} from corrections order by id"))
        for row in rows:
            missing = [a for a in (row["article_id"], row["anchor_id"]) if a is not None
                       and not _exists(db, "articles", a)]
            row["status"] = f"skipped: article {missing[0]!r} is not in the database" if missing else "ok"
        return rows


# --------------------------------------------------------------------------
# Quotes: who said what, per article, keyed per event

QUOTE_COLUMNS = {"id": int, "article_id": str, "event_id": int, "position": int, "speaker": str,
                 "speaker_key": str, "speaker_role": str, "quote": str, "kind": str, "verb": str}


def create_quotes_table(db: sqlite_utils.Database) -> None:
    if not db.table("quotes").exists():
        db.table("quotes").create(QUOTE_COLUMNS, pk="id", foreign_keys=[("article_id", "articles", "id")])
        db.table("quotes").create_index(["article_id", "position"])
        db.table("quotes").create_index(["event_id", "speaker_key"])


def fill_quotes(db: sqlite_utils.Database, new_ids: Sequence[str] | None = None, map_: work.Map = map) -> None:
    """Extract the quotes of every article (``new_ids`` None) or of the new ones, after the events
    are written, then key the speakers of every event that gained quotes or articles.

    Each article's sentences come from the sentences table, so positions agree with it. ``map_``
    extracts them a batch of articles at a time (:func:`_article_quotes`); rows are written here,
    in article order."""
    create_quotes_table(db)
    where, args = "", []
    if new_ids is None:
        db.execute("delete from quotes")
    else:
        where, args = " where a.id in (select value from json_each(?))", [json.dumps(list(new_ids))]
        db.execute("delete from quotes where article_id in (select value from json_each(?))", args)
    # an --add or a correction may move older articles between events: their quotes follow
    touched = _follow_moved_articles(db) if new_ids is not None else set()
    ids = [a for (a,) in db.execute(f"select a.id from articles a{where} order by a.rowid", args)]

    def batches() -> Iterator[tuple[list, list]]:
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            found = db.execute("select id, body, event_id from articles where id in (select value from json_each(?)) "
                               "order by rowid", [json.dumps(batch)]).fetchall()
            split = _stored_sentences(db, batch)
            yield found, [(body, split.get(a, [])) for a, body, _ in found]

    with db.conn:  # one transaction, not one per insert
        for found, results in work.ahead(map_, _article_quotes, batches()):
            db.conn.executemany(_INSERT_QUOTE, [(article_id, event_id, *q) for (article_id, _, event_id), made
                                                in zip(found, results, strict=True) for q in made])
            touched.update(event_id for _, _, event_id in found)
    _key_speakers(db, None if new_ids is None else touched)


# Each Quote field but speaker_key, which _key_speakers gives per event once the event's quotes are in.
_QUOTE_FIELDS = tuple(name for name in quotes.QUOTE_FIELDS if name != "speaker_key")
_quote_values = operator.attrgetter(*_QUOTE_FIELDS)
_INSERT_QUOTE = (f"insert into quotes (article_id, event_id, {', '.join(_QUOTE_FIELDS)}) "
                 f"values ({', '.join('?' * (2 + len(_QUOTE_FIELDS)))})")


def _article_quotes(article: tuple[str, list[str]]) -> list[tuple]:
    """In any process: the quotes of one article, from (body, its stored sentences), as plain
    tuples of :data:`_QUOTE_FIELDS` (smaller to send back than dicts)."""
    body, sentences = article
    return [_quote_values(q) for q in quotes.extract(body, sentences)]


def _follow_moved_articles(db: sqlite_utils.Database) -> set[int]:
    """Give quotes the event their article is in now; returns the events they left and joined,
    whose speakers need keying again."""
    moved = db.execute("select distinct q.event_id, a.event_id from quotes q join articles a "
                       "on a.id = q.article_id where q.event_id is not a.event_id").fetchall()
    db.execute("update quotes set event_id = (select event_id from articles where id = quotes.article_id) "
               "where event_id is not (select event_id from articles where id = quotes.article_id)")
    return {e for pair in moved for e in pair}


def follow_corrections(db: sqlite_utils.Database) -> None:
    """After a correction moved articles: their quotes follow them and the events are keyed again."""
    if db.table("quotes").exists():
        touched = _follow_moved_articles(db)
        if touched:
            _write_speaker_keys(db, touched)


def _key_speakers(db: sqlite_utils.Database, event_ids: set[int] | None) -> None:
    """``speaker_key`` for the quotes of these events (all when None), one event at a time."""
    with db.conn:
        _write_speaker_keys(db, event_ids)


def _write_speaker_keys(db: sqlite_utils.Database, event_ids: set[int] | None) -> None:
    """:func:`_key_speakers` inside the caller's transaction (a correction's, which must stay one)."""
    sql = "select id, event_id, speaker, speaker_key from quotes"
    args: list[str] = []
    if event_ids is not None:
        sql += " where event_id in (select value from json_each(?))"
        args = [json.dumps(sorted(e for e in event_ids if e is not None))]
    updates: list[tuple[str | None, int]] = []
    for _, group in itertools.groupby(db.execute(sql + " order by event_id, id", args), key=lambda r: r[1]):
        keyed = quotes.speaker_keys({"id": i, "speaker": speaker, "was": was} for i, _, speaker, was in group)
        updates.extend((q["speaker_key"], q["id"]) for q in keyed if q["speaker_key"] != q["was"])  # changed only
    db.conn.executemany("update quotes set speaker_key = ? where id = ?", updates)


# --------------------------------------------------------------------------
# Digest sentences: each event's digest as the event page shows it by default, made at build time
#
# ``digest_sentences`` holds the rows; ``digest_events`` says, per event, from which articles they
# were made (so --add and corrections recompute only the events whose articles changed), how many
# of them the digest read (the earliest that fit in max_chars, as the page reads) and the error a
# digest could not be made with. Both follow the event page's defaults (settings.Settings()).

DIGEST_COLUMNS = {"event_id": int, "rank": int, "article_id": str, "position": int, "sentence": str,
                  "score": float, "support": int, "outlet": str}
DIGEST_EVENT_COLUMNS = {"event_id": int, "articles_key": str, "articles_read": int, "error": str}
# Read in this order, as views._articles_of reads an event's articles.
_DIGEST_ORDER = "event_id, published is null, published, rowid"


def create_digest_tables(db: sqlite_utils.Database) -> None:
    if not db.table("digest_events").exists():
        db.table("digest_events").create(DIGEST_EVENT_COLUMNS, pk="event_id")
    if not db.table("digest_sentences").exists():
        db.table("digest_sentences").create(DIGEST_COLUMNS, pk=("event_id", "rank"),
                                            foreign_keys=[("article_id", "articles", "id")])
        db.table("digest_sentences").enable_fts(["sentence"], create_triggers=True, tokenize="porter")


# Each event's member ids in reading order, as one string: it changes exactly when its articles do.
# The pages compare it too (views._stored_digests), so a table left stale by a hand edit is not read.
ARTICLES_KEY = ("(select json_group_array(id) from (select id from articles where event_id = {event} "
                "order by published is null, published, rowid))")


def _articles_keys(db: sqlite_utils.Database) -> dict[int, str]:
    return dict(db.execute(f"select e.id, {ARTICLES_KEY.format(event='e.id')} from events e"))


def _stored_sentences(db: sqlite_utils.Database, article_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each article's sentences as the sentences table holds them (text.split_sentences of its
    body), so the build's digests and coverage need not split a body again."""
    split: dict[str, list[str]] = {}
    for article_id, sentence in db.execute(
            "select article_id, text from sentences where article_id in (select value from json_each(?)) "
            "order by article_id, position", [json.dumps(list(article_ids))]):
        split.setdefault(article_id, []).append(sentence)
    return split


def _clear_stale(db: sqlite_utils.Database, full: bool, keyed: str,
                 tables: Sequence[str]) -> tuple[dict[int, str], list[int]]:
    """Each event's articles key, and the events to make again: all with ``full``, else those
    whose ``articles_key`` in ``keyed`` is missing or no longer theirs. Their rows in ``tables``
    are deleted, and so are those of events that are gone (table names are this module's own)."""
    keys = _articles_keys(db)
    stored = {} if full else dict(db.execute(f"select event_id, articles_key from {keyed}"))
    todo = sorted(e for e, key in keys.items() if stored.get(e) != key)
    drop = json.dumps(todo + sorted(set(stored) - set(keys)))
    for table in tables:
        if full:
            db.execute(f"delete from {table}")
        else:
            db.execute(f"delete from {table} where event_id in (select value from json_each(?))", [drop])
    return keys, todo


def fill_digests(db: sqlite_utils.Database, full: bool = True, defaults: Any = None,
                 map_: Callable = map, screenings: Screenings | None = None, coverage: bool = False) -> int:
    """Make the digest of every event (``full``), or of those whose articles changed since their
    digest was made, inside the caller's transaction; drop those of events that are gone. Returns
    how many events got a digest made. ``defaults``: the page settings to digest with (a
    settings.Settings; its defaults when None, which is what the pages read the table for).
    ``map_``: the builtin's signature, called over plain per-event inputs with
    :func:`event_digest` (a process pool's map spreads the events over processes); the rows are
    written here, in event order, whatever map_ does. ``screenings``, when given, receives how the
    digests screened each article's sentences, for the :func:`fill_coverage` that follows to reuse.
    With ``coverage`` (a full build: ``full`` only) the same worker call makes each event's coverage
    rows too, tokenizing each sentence once for both (:func:`event_digest_and_coverage`), and they
    are written here, replacing the coverage tables' rows as ``fill_coverage`` of every event would."""
    from .settings import Settings  # settings.py imports Datasette, which a build needs not

    create_digest_tables(db)
    defaults = defaults or Settings()
    options = vars(digest.Options(sentences=defaults.event_sentences, method=defaults.method))
    limits = vars(defaults.limits)  # plain data: ints and tuples; digest.Limits(**limits) is the same
    keys, todo = _clear_stale(db, full, "digest_events", ("digest_sentences", "digest_events"))
    if coverage:
        if not full:
            raise ValueError("coverage is made with the digests only in a full build")
        create_coverage_tables(db)
        _clear_coverage(db)
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        rows = db.execute(f"select event_id, id, body, published, genre, outlet from articles "
                          f"where event_id in (select value from json_each(?)) order by {_DIGEST_ORDER}",
                          [json.dumps(batch)]).fetchall()
        split = _stored_sentences(db, [r[1] for r in rows])
        work = [(event_id, [(a, body, published, genre, outlet, split.get(a, []))
                            for _, a, body, published, genre, outlet in members], options, limits)
                for event_id, members in itertools.groupby(rows, key=lambda r: r[0])]
        made: list[tuple] = []
        sentences: list[tuple] = []
        if coverage:
            covered = _coverage_members(db, batch)
            results = map_(event_digest_and_coverage, [(*w, covered.get(w[0], [])) for w in work])
        else:
            results = map_(event_digest, work)
        for (event_id, *_), result in zip(work, results, strict=True):
            if coverage:
                (read, error, picked, _), (outlets, only) = result
                _insert_coverage(db, event_id, outlets, only)
            else:
                read, error, picked, screened = result
                if screenings is not None:
                    screenings.update(screened)
            made.append((event_id, keys[event_id], read, error))
            sentences.extend((event_id, *pick) for pick in picked)
        db.conn.executemany("insert into digest_events values (?, ?, ?, ?)", made)
        db.conn.executemany("insert into digest_sentences values (?, ?, ?, ?, ?, ?, ?, ?)", sentences)
    return len(todo)


def event_digest(work: tuple, tokenize: Callable[[str], list[str]] = text.words
                 ) -> tuple[int, str | None, list[tuple], dict[str, _Screening]]:
    """One event's digest from plain data, for any process: ``work`` is (event id, [(article id,
    body, published, genre, outlet, stored sentences)] in reading order, options as a dict,
    limits as a dict of digest.Limits' fields). Returns (articles read, error or None, [(rank, article id,
    position, sentence, score, support, outlet)], {article id: (its sentences' key, how the digest
    screened them)} for the coverage step to reuse (see ``Screenings``)). ``tokenize``: as for
    ``digest.digest_with_support``."""
    _, members, options, limits = work
    limits = digest.Limits(**limits)
    outlet_of = {m[0]: m[4] for m in members}
    documents = digest.earliest_within([digest.Document(a, body, published, genre, split)
                                        for a, body, published, genre, _, split in members], limits.max_chars)
    screened: dict[str, _Screening] = {}
    try:
        digest.check_size(sum(len(d.text or "") for d in documents), limits)
        for d in documents:
            if d.text and d.split is not None:
                screened[d.id] = (_sentences_key(d.split), digest.screen(d.split))
        documents = [digest.Document(d.id, d.text, d.published, d.genre, d.split, screened[d.id][1])
                     if d.id in screened else d for d in documents]
        picks, counts = digest.digest_with_support(documents, limits=limits, tokenize=tokenize, **options)
    except digest.DigestError as e:
        return len(documents), str(e), [], screened
    picked = [(rank, p.id, p.position, p.sentence, round(p.score, 6), count, outlet_of[p.id])
              for rank, (p, count) in enumerate(zip(picks, counts, strict=True), 1)]
    return len(documents), None, picked, screened


def event_digest_and_coverage(work: tuple) -> tuple[tuple, tuple[list[tuple], list[tuple]]]:
    """:func:`event_digest` and :func:`event_coverage` of one event in one call, for any process:
    ``work`` is event_digest's with the event's coverage articles as ``_coverage_members`` gives
    them appended. Each sentence is tokenized once for both, and the coverage reuses this call's
    screenings and stored sentences (none is read or sent twice)."""
    event_id, members, options, limits, covered = work
    tokenize = functools.cache(text.words)  # this call's own memory: each sentence tokenized once for both
    made = event_digest((event_id, members, options, limits), tokenize)
    screened, split = made[3], {m[0]: m[5] for m in members}
    articles = [(*a, split.get(a[0], []), screened.get(a[0])) for a in covered]
    return made, event_coverage((event_id, articles), tokenize)


# How fill_digests' workers screened each article's sentences (digest.screen), by article id, with a
# key of the sentences screened: the coverage step that follows reads the same articles and reuses it
# where the key still matches, instead of running every filter again. The caller owns the dict (a
# build, a correction) and hands it from one step to the next; a stale entry fails its key check.
_Screening = tuple[bytes, digest.Screened]  # (key of the sentences screened, digest.screen of them)
Screenings = dict[str, _Screening]


def _sentences_key(split: Sequence[str]) -> bytes:
    """A digest of a list of sentences (their boundaries included): equal keys, equal lists."""
    import hashlib
    import pickle

    return hashlib.blake2b(pickle.dumps(list(split), protocol=5), digest_size=16).digest()


def follow_digest_corrections(db: sqlite_utils.Database, screenings: Screenings | None = None) -> None:
    """After a correction moved articles: the digests of the events they left and joined are made
    again (``screenings`` as for :func:`fill_digests`)."""
    if db.table("digest_events").exists() and db.table("digest_sentences").exists():
        fill_digests(db, full=False, screenings=screenings)


# Who said what: each event's speakers as the event page shows them (speakers.section), made at
# build time so a page reads one row instead of grouping up to a thousand quotes. ``articles_key``
# (as for the digests) says from which articles it was made: --add and corrections remake only the
# events whose articles changed, and the pages read a row only while it matches.

SPEAKER_COLUMNS = {"event_id": int, "articles_key": str, "section": str}


def create_speakers_table(db: sqlite_utils.Database) -> None:
    if not db.table("event_speakers").exists():
        db.table("event_speakers").create(SPEAKER_COLUMNS, pk="event_id",
                                          foreign_keys=[("event_id", "events", "id")])


def fill_speakers(db: sqlite_utils.Database, full: bool = True) -> int:
    """Each event's who-said-what section (every event's with ``full``, else those whose articles
    changed), after the quotes are keyed; returns how many were made. Inside the caller's
    transaction where there is one (a correction's): rows are written with executemany."""
    create_speakers_table(db)
    keys, todo = _clear_stale(db, full, "event_speakers", ("event_speakers",))
    made = []
    for event_id in todo:
        rows = db.execute(speakers.QUOTES_SQL, {"event": event_id, "limit": speakers.QUOTES_READ}).fetchall()
        made.append((event_id, keys[event_id], json.dumps(speakers.section(rows))))
    db.conn.executemany("insert into event_speakers values (?, ?, ?)", made)
    return len(todo)


# Coverage: what each outlet of an event reported, and what only it reported
#
# One ``coverage`` row per event and outlet (articles without an outlet are left out: nobody can be
# said to have reported them), and one ``coverage_sentences`` row per sentence only that outlet
# carries: no article of another outlet of the event has a sentence near it (digest.only_in, the
# digest's support test). Rows, not a JSON column, so SQL can join them to ``sentences``. Events
# with one outlet have no "only in" sentences. Work per event is bounded by COVERAGE_SENTENCES
# (sentences offered, lead first) and COVERAGE_WORDS (words compared).

COVERAGE_COLUMNS = {"event_id": int, "outlet": str, "articles": int, "first_reported": str,
                    "headline": str, "article_id": str, "only_sentences": int}
COVERAGE_SENTENCE_COLUMNS = {"event_id": int, "outlet": str, "article_id": str, "position": int}
COVERAGE_SENTENCES = 2_000
COVERAGE_WORDS = 60_000


def create_coverage_tables(db: sqlite_utils.Database) -> None:
    if not db.table("coverage").exists():
        db.table("coverage").create(COVERAGE_COLUMNS, pk=("event_id", "outlet"),
                                    foreign_keys=[("event_id", "events", "id")])
    if not db.table("coverage_sentences").exists():
        db.table("coverage_sentences").create(COVERAGE_SENTENCE_COLUMNS,
                                              foreign_keys=[("article_id", "articles", "id")])
        db.table("coverage_sentences").create_index(["event_id", "outlet"])


def fill_coverage(db: sqlite_utils.Database, event_ids: Iterable[int] | None = None,
                  map_: Callable = map, screenings: Screenings | None = None) -> None:
    """The coverage rows of these events (every event when None), replacing what they had.
    ``map_``: as for :func:`fill_digests`, over :func:`event_coverage`. ``screenings``: what
    fill_digests put in its own, reused where an article's sentences are still those screened."""
    create_coverage_tables(db)
    with db.conn:
        _write_coverage(db, None if event_ids is None else set(event_ids), map_, screenings)


def _write_coverage(db: sqlite_utils.Database, event_ids: set[int] | None, map_: Callable = map,
                    screenings: Screenings | None = None) -> None:
    """:func:`fill_coverage` inside the caller's transaction (a correction's, which must stay one)."""
    if event_ids is None:
        _clear_coverage(db)
        wanted = [e for (e,) in db.execute("select id from events order by id")]
    else:
        wanted = sorted(e for e in event_ids if e is not None)
        for table in COVERAGE_ROW_TABLES:
            db.execute(f"delete from {table} where event_id in (select value from json_each(?))",
                       [json.dumps(wanted)])
    reuse = screenings or {}
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        by_event = _coverage_members(db, batch)
        # only events of several outlets compare sentences: the others need none read
        split = _stored_sentences(db, [a[0] for members in by_event.values()
                                       if len({m[1] for m in members}) > 1 for a in members])
        work = [(e, [(*a, split.get(a[0], []), reuse.get(a[0])) for a in by_event.get(e, [])])
                for e in batch]
        for event_id, (covered, only) in zip(batch, map_(event_coverage, work), strict=True):
            _insert_coverage(db, event_id, covered, only)


COVERAGE_ROW_TABLES = ("coverage", "coverage_sentences")  # the rows the coverage step makes per event


def _clear_coverage(db: sqlite_utils.Database) -> None:
    """Every event's coverage rows gone, for a coverage of every event."""
    for table in COVERAGE_ROW_TABLES:
        db.execute(f"delete from {table}")


def _coverage_members(db: sqlite_utils.Database, batch: Sequence[int]) -> dict[int, list[tuple]]:
    """Per event of ``batch``, its articles with an outlet in reading order: (id, outlet, title,
    published, genre), the outlet and date trimmed."""
    rows = db.execute(
        "select event_id, id, trim(outlet), title, nullif(trim(published), ''), genre from articles "
        "where event_id in (select value from json_each(?)) and nullif(trim(outlet), '') is not null "
        "order by event_id, nullif(trim(published), '') is null, nullif(trim(published), ''), rowid",
        [json.dumps(list(batch))]).fetchall()
    return {e: [r[1:] for r in members] for e, members in itertools.groupby(rows, key=lambda r: r[0])}


def _insert_coverage(db: sqlite_utils.Database, event_id: int, covered: list[tuple], only: list[tuple]) -> None:
    """One event's rows from :func:`event_coverage`. executemany, not insert_all: that commits, and
    a correction's transaction must stay one."""
    db.conn.executemany(
        "insert into coverage (event_id, outlet, articles, first_reported, headline, article_id, "
        "only_sentences) values (?, ?, ?, ?, ?, ?, ?)", ((event_id, *row) for row in covered))
    db.conn.executemany(
        "insert into coverage_sentences (event_id, outlet, article_id, position) values (?, ?, ?, ?)",
        ((event_id, *row) for row in only))


def event_coverage(work: tuple, tokenize: Callable[[str], list[str]] = text.words) -> tuple[list[tuple], list[tuple]]:
    """One event's coverage from plain data, for any process: ``work`` is (event id, [(article
    id, outlet, title, published, genre, stored sentences, (key, screened) from the digest step or
    None)] in reading order, the articles with an outlet). No body: the stored sentences are all
    the pool reads of one (it splits a body only when none are given), so none is read or sent.
    Returns the coverage rows [(outlet, articles, first reported, headline, article id, only
    sentences)] and the "only in" rows [(outlet, article id, position)]. ``tokenize``: as for
    ``digest.only_in``."""
    _, articles = work
    by_outlet: dict[str, list[tuple]] = {}
    for article in articles:
        by_outlet.setdefault(article[1], []).append(article)
    only: list[tuple[int, int]] = []
    if len(by_outlet) > 1:
        documents = [digest.Document(a[0], None, a[3], a[4], a[5], _reusable(a[5], a[6])) for a in articles]
        only = digest.only_in(documents, [a[1] for a in articles], max_sentences=COVERAGE_SENTENCES,
                              max_words=COVERAGE_WORDS, tokenize=tokenize)
    counts = Counter(articles[d][1] for d, _ in only)
    return ([(outlet, len(members), members[0][3], members[0][2], members[0][0], counts[outlet])
             for outlet, members in by_outlet.items()],
            [(articles[d][1], articles[d][0], p) for d, p in only])


def _reusable(split: Sequence[str], made: _Screening | None) -> digest.Screened | None:
    """The digest step's screening of these sentences, if it screened exactly these."""
    return made[1] if made is not None and made[0] == _sentences_key(split) else None


def _events_of(db: sqlite_utils.Database, new_ids: Sequence[str]) -> set[int]:
    """The events whose coverage an --add changes: those of the new articles, and any whose rows no
    longer count their articles (corrections re-applied to the new articles move older ones)."""
    found = {e for (e,) in db.execute("select distinct event_id from articles where id in "
                                      "(select value from json_each(?))", [json.dumps(list(new_ids))])}
    found.update(e for (e,) in db.execute(
        "select distinct c.event_id from coverage c where c.articles != (select count(*) from articles a "
        "where a.event_id = c.event_id and trim(a.outlet) = c.outlet) "
        "union select distinct a.event_id from articles a where nullif(trim(a.outlet), '') is not null "
        "and not exists (select 1 from coverage c where c.event_id = a.event_id and c.outlet = trim(a.outlet))"))
    return found


def follow_corrections_in_coverage(db: sqlite_utils.Database, touched: _Touched,
                                   screenings: Screenings | None = None) -> None:
    """After a correction: the coverage of the events it touched (when the build made coverage),
    reusing the ``screenings`` of the digests the correction made again."""
    if db.table("coverage").exists():
        _write_coverage(db, touched.events | touched.new_events, screenings=screenings)


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
    if {"articles", LEGACY_STATE_TABLE} <= tables:
        return {"schema_version": "1"}  # from before the meta table, so of schema version 1
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
                paths: Iterable[str | os.PathLike], add: bool, fields: dict[str, str | None]) -> None:
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
                inputs=json.dumps(inputs, ensure_ascii=False), updated_at=now, **fields)
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
                   notify: Notify = _to_stderr, story_field: str | None = None,
                   event_field: str | None = None, jobs: int | None = None, scheduler: str | None = None,
                   workers: int | None = None) -> BuildStats:
    """Build the database at ``path`` from ``inputs`` (files or folders), or with ``add`` append
    to it; returns what was read, with ``stats.clustering`` from ``update_events`` and
    ``stats.clustering["corrections"]`` from ``reapply_corrections``. ``story_field`` and
    ``event_field`` name input fields that already group the articles (see ``update_events``);
    --add uses those the database was built with unless given.

    Skipped inputs are in ``stats.problems`` and also told to ``notify`` as they are found, with
    the waits and clean-ups of the build; a fatal error raises ``BuildError``, and leaves the
    previous database as it was.

    ``jobs`` worker processes (None: one per CPU this process may use) do the per-article work
    (making records, splitting sentences, quotes) and the per-event work; this process alone
    writes, and the database is the same for any number of jobs. With ``scheduler`` (a Dask
    scheduler's address) or ``workers`` (a local Dask cluster of that many processes, started for
    the build) that work runs on a Dask cluster instead, with the same database (see dask_work).
    """
    database = Path(path)
    try:
        if not database.parent.is_dir():
            raise _failed(database, f"folder {database.parent} does not exist")
        if database.is_dir():
            raise _failed(database, f"{database} is a folder, not a database file")
        with _build_lock(database, notify), _executor(database, jobs, scheduler, workers) as map_:
            _remove_stale_temporaries(database, notify)
            previous = _check_target(database, add)
            fields = {"story_field": story_field, "event_field": event_field}
            if add:
                fields = {k: v or (previous or {}).get(k) for k, v in fields.items()}
            return _build_into(database, inputs, add, previous, mapping, progress, notify, fields, map_)
    except (OSError, sqlite3.Error) as error:
        raise _failed(database, f"could not build {database}: {_reason(error)}") from None


@contextmanager
def _executor(database: Path, jobs: int | None, scheduler: str | None, workers: int | None) -> Iterator[work.Map]:
    """The build's ``map_``: worker processes here, or a Dask cluster when one is asked for (Dask is
    imported only then); a cluster that cannot be reached or started is a BuildError."""
    if scheduler is None and workers is None:
        with work.pool(jobs) as map_:
            yield map_
        return
    if jobs is not None:
        raise ValueError("jobs and a Dask cluster exclude each other: the cluster's workers do the work")
    with ExitStack() as stack:
        try:
            from . import dask_work

            map_ = stack.enter_context(dask_work.cluster(scheduler, workers))
        except ImportError as error:
            raise _failed(database, f"a Dask build needs dask and distributed ({error}): "
                                    "pip install 'datasette-newsdigest[dask]'") from None
        except dask_work.ClusterError as error:
            raise _failed(database, str(error)) from None
        yield map_


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
                mapping: dict[str, str] | None, progress: bool, notify: Notify,
                fields: dict[str, str | None], map_: work.Map = map) -> BuildStats:
    """Build in a temporary file next to ``database`` and put it in place; the
    temporary file and its journal are gone afterwards, whatever happens. A rebuild
    takes the previous database's corrections along (an --add copies them with the rest).
    ``map_`` runs the per-article and per-event work (see ``work.pool``)."""
    tmp = database.with_name(f"{_temporary_name(database)}{os.getpid()}")
    try:
        _temporary_copy(database, tmp, add)
        db = sqlite_utils.Database(tmp)
        try:
            db.execute("pragma synchronous = off")
            if previous is not None and not add:
                _copy_corrections(database, db)
            stats = load(db, paths, mapping=mapping, progress=progress, map_=map_)
            for problem in stats.problems:
                notify(f"skipped {problem}")
            if not stats.articles and not add:
                raise _failed(database, "no articles could be read")
            try:
                stats.clustering = update_events(db, stats.new_ids if add else None, progress=progress,
                                                 story_field=fields["story_field"],
                                                 event_field=fields["event_field"], map_=map_)
            except BuildError as error:  # a grouping field no article has
                raise _failed(database, str(error)) from None
            stats.clustering["corrections"] = reapply_corrections(
                db, stats.new_ids if add and stats.clustering["mode"] == "incremental" else None, notify)
            fill_quotes(db, stats.new_ids if add else None, map_=map_)
            screenings: Screenings = {}  # this build's, from its digests to its coverage
            with db.conn:
                fill_speakers(db, full=not add)
                fill_digests(db, full=not add, map_=map_, screenings=screenings,
                             coverage=not add)  # a full build's coverage too, in the same worker calls
            if add:
                fill_coverage(db, _events_of(db, stats.new_ids), map_=map_, screenings=screenings)
            del screenings  # large, and no later step reads them
            finish_database(db)
            with db.conn:  # after the coverage tables and the indexes the pages read them by
                fill_coverage_sections(db, full=not add)
            _write_meta(db, previous, paths, add, fields)
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
    _mark_changed(target, before)


def _mark_changed(target: Path, before: os.stat_result) -> None:
    """The digest pages cache by (mtime, size); a coarse clock must not hide a change."""
    after = target.stat()
    if (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size):
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


# The event page's Coverage section (outlets.section): made from the coverage tables at build time,
# after them and the indexes, so a page reads one row instead of three queries (the "only in"
# sentences, the outlets, their leans). Keyed by the event's articles as event_speakers is: a build
# fills every event, --add and corrections the events whose articles changed, and the pages read a
# row only while its key matches. The lean rows are those of the default lean column (a build reads
# no metadata); a page with another lean_column reads its own.

COVERAGE_SECTION_COLUMNS = {"event_id": int, "articles_key": str, "section": str}


def create_coverage_sections_table(db: sqlite_utils.Database) -> None:
    if not db.table(COVERAGE_SECTIONS).exists():
        db.table(COVERAGE_SECTIONS).create(COVERAGE_SECTION_COLUMNS, pk="event_id",
                                           foreign_keys=[("event_id", "events", "id")])


def fill_coverage_sections(db: sqlite_utils.Database, full: bool = True) -> int:
    """Each event's Coverage section (every event's with ``full``, else those whose articles
    changed) from the coverage tables as they are; returns how many were made. Inside the
    caller's transaction where there is one (a correction's): rows are written with executemany."""
    from . import outlets
    from .settings import Settings  # settings.py imports Datasette, which a build needs not

    create_coverage_sections_table(db)
    keys, todo = _clear_stale(db, full, COVERAGE_SECTIONS, (COVERAGE_SECTIONS,))
    column = Settings().lean_column
    lean_sql = (outlets.LEAN_SQL.format(lean=outlets.lean_expression(column), members=outlets.IN_EVENT)
                if column in db.table("articles").columns_dict else None)
    made = []
    for event_id in todo:
        params = {"event": event_id, "shown": outlets.ONLY_SHOWN}
        section = outlets.section(db.execute(outlets.OUTLETS_SQL, params).fetchall(),
                                  db.execute(outlets.ONLY_SQL, params).fetchall())
        if lean_sql:
            section["lean"] = {"column": column, "rows": db.execute(lean_sql, {"id": event_id}).fetchall()}
        made.append((event_id, keys[event_id], json.dumps(section)))
    db.conn.executemany(f"insert into {COVERAGE_SECTIONS} values (?, ?, ?)", made)
    return len(todo)
