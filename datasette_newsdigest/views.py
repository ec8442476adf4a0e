"""The digest pages: ``/-/digest/<database>``, ``/-/digest/<database>/<event_id>``, the article
reader ``/-/digest/<database>/article/<article_id>``, and for a database whose events are grouped
into stories ``/-/digest/<database>/stories`` and ``/-/digest/<database>/story/<story_id>``.

Thin adapters: they read rows with bound parameters, hand texts to
digest.py, specs to charts.py, and render templates that extend
``base.html``. Every page has a ``.json`` twin with the same data.
Digests are computed off the event loop and cached per database file
version, so paging back and forth costs nothing. Each page checks the
permissions Datasette's table page would for every table it reads, and
answers every failure (400, 403, 404, 503) in one shape. The ``stories`` table is optional (a
database built before stories has none): the event pages show story sections only when it exists
and the actor may view it, and the story pages answer 404 or 403 otherwise.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import json
import os
import re
import sqlite3
import threading
import types
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, overload
from urllib.parse import urlencode

from datasette import Forbidden, Response
from datasette.database import QueryInterrupted
from datasette.utils import PrefixedUrlString, escape_fts, tilde_decode, tilde_encode
from markupsafe import Markup

from . import charts, digest, outlets, speakers, store, text
from .settings import MAX_PAGE_SIZE, PLUGIN, Settings
from .settings import for_database as settings_for

__all__ = ["CACHE", "PageError", "BadRequest", "article_page", "article_url", "can_view", "compile_templates",
           "digest_url", "ensure_can_view", "event_page", "marked_paragraphs", "served",
           "events_page", "has_digest", "has_stories", "stories_page", "story_page", "story_url"]

# The tables a page reads: each needs view-table, as Datasette's own table view checks it.
TABLES = ("events", "articles", "sentences")
# Read too where it exists (and needs view-table too): events grouped into stories.
STORIES = "stories"
# Read too where they exist and the actor may view them: the digests the build made (store.py,
# "Digest sentences"), used instead of computing when a page asks for its defaults.
DIGEST_TABLES = ("digest_events", "digest_sentences")
EVENT_COLUMNS = "id, label, first_published, last_published, articles, outlets"
STORY_COLUMNS = "id, label, first_published, last_published, events, articles, outlets"
# Bounded work per page: a story's other events listed on an event page, a story's events listed on
# the stories page, and events drawn in a story's chart (each page says when it shows fewer).
OTHER_EVENTS = 50
STORY_LIST_EVENTS = 8
CHART_EVENTS = 500
# Time order of events: dated first, earliest first.
IN_TIME = "first_published is null, first_published, id"
# Query-string options that make the server compute a digest of the asker's choosing, as the SQL
# functions would: they need execute-sql (the pages' own defaults do not).
CHOICE_ARGS = ("sentences", "words", "method")


class PageError(Exception):
    """A request a page cannot answer: the status and a message for the person who asked."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class BadRequest(PageError):
    """A query-string value the page cannot use."""

    def __init__(self, message: str):
        super().__init__(400, message)


ERROR_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 503: "Busy"}


class _DigestCache:
    """A small LRU of computed digests keyed by database file version and options."""

    def __init__(self, size: int = 512):
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def clear(self):
        with self._lock:
            self._items.clear()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


CACHE = _DigestCache()


async def has_digest(db) -> bool:
    """Whether a database holds the tables the pages read (built by ``newsdigest build``); what
    it finds is kept for ``served``. The menus on every page ask, so it asks the database each
    time for the events table (a database too busy to answer gets no link), and reads the others
    from the schema (``_schema``, once per file version)."""
    found = db.name != "_internal" and await db.table_exists(TABLES[0])
    found = found and set(TABLES) <= (await _schema(db)).tables
    served_here = _SERVED.setdefault(db.ds, {})
    if not found:
        served_here.pop(db.name, None)
    elif served_here.get(db.name, (None,))[0] != _version(db):
        features = {"stories"} if await has_stories(db) else set()
        features |= {"raw", "label"} & set(await db.table_columns("articles"))
        served_here[db.name] = (_version(db), frozenset(features))
    return found


_SERVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def served(datasette) -> dict[str, frozenset]:
    """The databases of this Datasette that hold digests, as ``has_digest`` last found them, each
    with the optional parts it has (``stories``, an articles ``raw`` or ``label`` column): for the hooks that
    must answer without a query (metadata, cells)."""
    return {name: features for name, (_, features) in _SERVED.get(datasette, {}).items()
            if name in datasette.databases}


async def has_stories(db) -> bool:
    """Whether the database groups its events into stories (built since schema version 2)."""
    return (await _schema(db)).stories


@dataclass(frozen=True)
class _Schema:
    stories: bool  # a stories table, and events.story_id
    event_fields: str  # the columns of events and stories the pages select: edited where built
    story_fields: str
    tables: frozenset[str]  # every table, for the optional sections (_readable)
    article_columns: tuple[str, ...]
    event_in_story: str = ""  # the event page's query of its event, story and the story's other events


SCHEMAS = _DigestCache(64)
# The parts of _Schema.event_in_story: an event, its story and the story's other events, each row in
# these columns (an event's "events" NULL; "edited" 0 where the table has none, as _event_item reads it).
EVENT_KEYS = ("id", "label", "first_published", "last_published", "articles", "outlets", "edited")
STORY_KEYS = ("id", "label", "first_published", "last_published", "events", "articles", "outlets", "edited")
EVENT_ROW, STORY_ROW, OTHER_ROW = 0, 1, 2


def _event_in_story_sql(events_edited: bool, stories_edited: bool) -> str:
    """One query for what were three SQL trips (each costs more than these small reads): the event
    (``:id``), its story, and the story's first OTHER_EVENTS other events in time order, each row
    tagged by its ``part``, in that order."""
    event = (f"id, label, first_published, last_published, null as events, articles, outlets, "
             f"{'edited' if events_edited else '0'} as edited")
    story = (f"id, label, first_published, last_published, events, articles, outlets, "
             f"{'edited' if stories_edited else '0'}")
    in_story = "story_id = (select story_id from events where id = :id)"
    return (f"select * from (select {EVENT_ROW} as part, {event}, story_id from events where id = :id "
            f"union all select {STORY_ROW}, {story}, null from stories where id = (select story_id from events "
            f"where id = :id) union all select * from (select {OTHER_ROW}, {event}, null from events where "
            f"{in_story} and id != :id order by {IN_TIME} limit :limit)) order by part, {IN_TIME}")


async def _schema(db) -> _Schema:
    """Which of the optional tables and columns this database has, read once per file version
    (as the digests are cached): pages are read many times between builds, and each schema read is
    a trip to a SQL thread."""
    key = _version(db)
    found = SCHEMAS.get(key)
    if found is None:
        events = await db.table_columns("events")
        stories = "story_id" in events and await db.table_exists(STORIES)
        story_columns = await db.table_columns(STORIES) if stories else []
        found = _Schema(stories, EVENT_COLUMNS + (", edited" if "edited" in events else ""),
                        STORY_COLUMNS + (", edited" if "edited" in story_columns else ""),
                        frozenset(await db.table_names()), tuple(await db.table_columns("articles")),
                        _event_in_story_sql("edited" in events, "edited" in story_columns) if stories else "")
        SCHEMAS.put(key, found)
    return found


async def ensure_can_view(datasette, actor, database: str, tables: tuple[str, ...] = TABLES) -> None:
    """Forbidden unless the actor may view every table the pages read, decided for each table as
    Datasette's table view decides it (table, then database, then instance)."""
    await _ensure_each(datasette, actor, database, tables, {})


async def _ensure_viewable(datasette, request, database: str, tables: tuple[str, ...] = TABLES) -> None:
    """``ensure_can_view`` for the request's actor, each table decided once per request: a page's
    sections ask for the same tables again and again."""
    await _ensure_each(datasette, request.actor, database, tables, _DECISIONS.setdefault(request, {}))


_DECISIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _ensure_each(datasette, actor, database: str, tables: tuple[str, ...], decided: dict) -> None:
    """``datasette.ensure_permissions`` on each table (table, then database, then instance), with
    the outcome for a table already in ``decided`` (None: allowed; else the refused action) not
    asked again."""
    for table in tables:
        if (database, table) not in decided:
            try:
                await datasette.ensure_permissions(
                    actor, [("view-table", (database, table)), ("view-database", database), "view-instance"])
                decided[database, table] = None
            except Forbidden as refused:
                decided[database, table] = str(refused)
        if decided[database, table] is not None:
            raise Forbidden(decided[database, table])


async def can_view(datasette, actor, database: str, request=None) -> bool:
    """For menus: whether the digest pages of ``database`` exist and would answer this actor
    (no link when the database is too busy to tell: menus are on every page Datasette serves).
    With the ``request`` the menu is drawn for (and its actor), each table's outcome is shared
    with the page's own checks, as ``_ensure_viewable`` shares them."""
    db = datasette.databases.get(database)
    decided = {} if request is None or request.actor != actor else _DECISIONS.setdefault(request, {})
    try:
        if db is None or not await has_digest(db):
            return False
        await _ensure_each(datasette, actor, database, TABLES, decided)
    except (Forbidden, QueryInterrupted):
        return False
    return True


def digest_url(datasette, database: str, event_id=None, as_json: bool = False) -> str:
    """The address of a digest page, by the database's route, tilde-encoded as Datasette does."""
    return PrefixedUrlString(_digest_path(datasette, database, *([] if event_id is None else [event_id]),
                                          as_json=as_json))


def story_url(datasette, database: str, story_id=None, as_json: bool = False) -> str:
    """The address of a story's page, or of the stories page without ``story_id``."""
    return PrefixedUrlString(_story_path(datasette, database, story_id, as_json))


def _story_path(datasette, database: str, story_id, as_json: bool) -> str:
    if story_id is None:
        return _digest_path(datasette, database, "stories", as_json=as_json)
    return _digest_path(datasette, database, "story", story_id, as_json=as_json)


def _digest_path(datasette, database: str, *parts, as_json: bool) -> str:
    """``digest_url`` as a plain string, as the pages' own links are (see ``_Prefixes``)."""
    path = _prefixes(datasette, database).digest
    for part in parts:
        path += "/" + _encoded(str(part))
    return path + ".json" if as_json else path


_TILDE_SAFE = re.compile(r"[A-Za-z0-9_-]*").fullmatch  # what tilde_encode leaves as it is


@functools.lru_cache(maxsize=16_384)
def _encoded(value: str) -> str:
    """``tilde_encode``, remembered: a page links each of its articles several times (an event
    page makes some 160 links), and the same pages are asked for again and again. An id of only
    the characters it keeps is itself (a page's new ids would each cost a loop over their bytes)."""
    return value if _TILDE_SAFE(value) else tilde_encode(value)


class _Prefixes(NamedTuple):
    """A database's link prefixes, and the article links made from them: a page that links many
    articles reads them once (``_prefixes`` costs about as much as the link itself). Plain
    strings, not Datasette's ``PrefixedUrlString`` (the same text): its ``+`` and the attribute
    look-ups of escaping each run Python code, and an event page makes and escapes some 400
    links. The public ``digest_url``, ``story_url`` and ``article_url`` give Datasette's type."""

    key: tuple  # what they were made from: the base_url setting and the database's route
    digest: str  # the digest pages: datasette.urls.path("/-/digest/<route>")
    articles: str  # the articles table: datasette.urls.table(database, "articles")

    def reader(self, article_id, position: int | None = None, as_json: bool = False) -> str:
        """``article_url``: the reader, at one of its sentences (``#s<position>``) if given."""
        url = self.digest + "/article/" + _encoded(str(article_id)) + (".json" if as_json else "")
        return url if position is None else f"{url}#s{int(position)}"

    def row(self, article_id) -> str:
        """``_row_url``: an article's row page."""
        return self.articles + "/" + _encoded(str(article_id))

    def outlet(self, outlet: str | None) -> str | None:
        """``_outlet_url``: the articles table filtered to an outlet (None without one)."""
        return self.articles + _outlet_query(outlet) if outlet else None


_PREFIXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _prefixes(datasette, database: str) -> _Prefixes:
    """The addresses every link of a database's pages starts with, made once (and again only when
    the base_url setting or the database's route changes) rather than per link."""
    key = (datasette.setting("base_url"), datasette.get_database(database).route)
    made = _PREFIXES.setdefault(datasette, {})
    found = made.get(database)
    if found is None or found.key != key:
        found = made[database] = _Prefixes(key, str(datasette.urls.path("/-/digest/" + tilde_encode(key[1]))),
                                           str(datasette.urls.table(database, "articles")))
    return found


def _row_url(datasette, database: str, article_id) -> str:
    """An article's row page: ``datasette.urls.row(database, "articles", tilde_encode(id))``."""
    return _prefixes(datasette, database).row(article_id)


async def _database(datasette, request):
    route = tilde_decode(request.url_vars["database"])
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise PageError(404, f"Database not found: {route}") from None
    await _ensure_viewable(datasette, request, db.name)
    if db.name == "_internal" or not set(TABLES) <= (await _schema(db)).tables:  # has_digest, read once per version
        raise PageError(404, f"{db.name} has no events table; build it with `newsdigest build`")
    return db


def _version(db) -> tuple:
    """Identifies the database contents, so cached digests expire after a rebuild or --add."""
    if db.path and os.path.exists(db.path):
        stat = os.stat(db.path)
        return (db.path, stat.st_mtime_ns, stat.st_size)
    return (db.name, id(db))


@overload
def _int_arg(request, name: str, default: int, high: int, low: int = 1) -> int: ...
@overload
def _int_arg(request, name: str, default: None, high: int, low: int = 1) -> int | None: ...


def _int_arg(request, name: str, default: int | None, high: int, low: int = 1) -> int | None:
    """A whole-number argument within [low, high]: every number a page binds into SQL is bounded,
    so none can overflow SQLite's 64-bit integers."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return _whole_number(name, raw, high, low)


def _whole_number(name: str, raw: str, high: int, low: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        shown = raw if len(raw) <= 30 else raw[:30] + "..."
        raise BadRequest(f"{name} must be a whole number, not {shown!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high:,}")
    return value


def _event_links(datasette, database: str, event_id) -> dict:
    return {"url": _digest_path(datasette, database, event_id, as_json=False),
            "json_url": _digest_path(datasette, database, event_id, as_json=True)}


# An untitled article is named by its first sentence (see _label), read from the sentences table.
FIRST_SENTENCE = ("case when nullif(trim({table}.title), '') is null then (select text from sentences "
                  "where article_id = {table}.id and position = 0) end as first_sentence")


async def _articles_of(db, event_id, limit: int | None = None, bodies: bool = False,
                      max_chars: int | None = None) -> list[dict]:
    """The event's articles, earliest first (undated last). With ``max_chars``, only the earliest
    whose bodies fit in it together (at least one) leave the database, so a huge event does not
    ship every body to the page only for most to be dropped (see ``digest.earliest_within``)."""
    order = "published is null, published, rowid"
    columns = "id, title, outlet, author, published, url, words, genre" + (", body" if bodies else "")
    first = FIRST_SENTENCE.format(table="articles")
    sql = f"select {columns}, {first} from articles where event_id = :event order by {order}"
    params = {"event": event_id}
    if max_chars:
        sql = (
            f"select {columns}, first_sentence from (select {columns}, {first}, row_number() over w as n, "
            f"sum(coalesce(length(body), 0)) over w as running from articles "
            f"where event_id = :event window w as (order by {order})) "
            "where n = 1 or running <= :max_chars order by n"
        )
        params["max_chars"] = max_chars
    if limit:
        sql += " limit :limit"
        params["limit"] = limit
    return [dict(row) for row in (await db.execute(sql, params)).rows]


def _by_outlet(articles: list[dict]) -> list[dict]:
    """Articles per outlet, most first, ties by name (a NULL outlet is a row of its own, first
    among equals, as SQLite orders it): counted from the event's articles the page has read."""
    counts: dict = {}
    for a in articles:
        counts[a["outlet"]] = counts.get(a["outlet"], 0) + 1
    ordered = sorted(counts.items(), key=lambda c: (-c[1], *_nulls_first(c[0])))
    return [{"outlet": o, "articles": n} for o, n in ordered]


def _by_day(articles: list[dict]) -> list[dict]:
    """Dated articles per day (the first 10 characters of ``published``) and outlet, in day then
    outlet order: what ``group by day, outlet order by day`` gives, from the articles read."""
    counts: dict = {}
    for a in articles:
        if a["published"] is not None:
            key = (str(a["published"])[:10], a["outlet"])
            counts[key] = counts.get(key, 0) + 1
    return [{"day": d, "outlet": o, "articles": n}
            for (d, o), n in sorted(counts.items(), key=lambda c: (c[0][0], *_nulls_first(c[0][1])))]


def _nulls_first(value: str | None) -> tuple[bool, str]:
    """A sort key for a text column as SQLite orders it: NULL first, then by code point (the order
    of UTF-8 bytes, SQLite's BINARY collation)."""
    return value is not None, value or ""


async def _outlet_names(db, event_ids: list, most: int = 8) -> dict:
    """Each event's ``most`` outlets with most articles (ties by name), for a list of events in one
    query (read from the articles (event_id, outlet) index, store.index_events_list)."""
    rows = await db.execute(
        "select event_id, outlet, count(*) as n from articles where event_id in (select value from json_each(:ids)) "
        "and outlet is not null and outlet != '' group by event_id, outlet", {"ids": json.dumps(event_ids)})
    counts: dict = {}
    for r in rows.rows:
        counts.setdefault(r["event_id"], []).append((-r["n"], r["outlet"]))
    return {e: [o for _, o in sorted(c)[:most]] for e, c in counts.items()}


def _label(article: dict) -> str:
    """How pages name an article: its title, else its first sentence (text.label), never its id."""
    return text.label(article["title"], article["first_sentence"]) or "(untitled)"


def _first_paragraphs(body: str | None, paragraphs: int | None) -> str | None:
    """The first paragraphs of a body. Sentences never span paragraphs, so the
    positions the digest reports still match the sentences table."""
    if not body or paragraphs is None:
        return body
    return "\n\n".join(body.split("\n\n", paragraphs)[:paragraphs])


async def _digest_for(db, event_id, options: digest.Options, limits: digest.Limits, *,
                      with_support: bool, limit: int | None = None, paragraphs: int | None = None) -> dict:
    """The digest rows of one event and how many articles it read; bodies are
    fetched only when the digest is not cached."""
    key = (_version(db), event_id, options, limits, with_support, limit, paragraphs)
    cached = CACHE.get(key)
    if cached is not None:
        return cached
    articles = await _articles_of(db, event_id, limit, bodies=True,
                                  max_chars=None if paragraphs else limits.max_chars)
    for article in articles:
        article["body"] = _first_paragraphs(article["body"], paragraphs)
    documents = digest.earliest_within(
        [digest.Document(a["id"], a["body"], a["published"], a["genre"]) for a in articles], limits.max_chars)
    articles = articles[:len(documents)]

    def compute():
        if with_support:
            return digest.digest_with_support(documents, limits=limits, **vars(options))
        picks = digest.digest(documents, limits=limits, **vars(options))
        return picks, [None] * len(picks)

    picks, counts = await asyncio.to_thread(compute)
    by_id = {a["id"]: a for a in articles}
    result = {
        "articles_read": len(articles),
        "sentences": [
            {
                "article_id": pick.id,
                "position": pick.position,
                "sentence": pick.sentence,
                "score": round(pick.score, 6),
                "support": count,
                "outlet": by_id[pick.id]["outlet"],
                "published": by_id[pick.id]["published"],
                "title": by_id[pick.id]["title"],
                "label": _label(by_id[pick.id]),
            }
            for pick, count in zip(picks, counts, strict=True)
        ],
    }
    CACHE.put(key, result)
    return result


async def _reads_stored(datasette, request, db, settings: Settings) -> bool:
    """Whether this page may read its default digests from the build's tables: they exist, were
    made with these settings (the defaults: a build reads no metadata) and the actor may view them;
    otherwise the page computes its digests as it would without them."""
    if replace(settings, page_size=Settings.page_size) != Settings():
        return False
    return await _readable(datasette, request, db, DIGEST_TABLES)


# The build's digests of some events (``:ids``), each event's digest_events row with its sentences (the
# ``:top`` best-scored, or all), in rank order: an event with none has a row of NULL sentence columns.
# One query for what were two SQL trips; ``{current}`` may require each key to be current.
STORED_DIGESTS = (
    "select d.event_id, d.articles_read, d.error, d.articles_key, s.rank, s.article_id, s.position, s.sentence, "
    "s.score, s.support, s.outlet, s.published, s.title, s.first_sentence from digest_events d left join ("
    "select x.event_id, x.rank, x.article_id, x.position, x.sentence, x.score, x.support, x.outlet, a.published, "
    f"a.title, {FIRST_SENTENCE.format(table='a')} from (select *, row_number() over (partition by event_id "
    "order by score desc, rank) as n from digest_sentences where event_id in (select value from json_each(:ids))) x "
    "join articles a on a.id = x.article_id where :top is null or x.n <= :top) s on s.event_id = d.event_id "
    "where d.event_id in (select value from json_each(:ids)) {current} order by d.event_id, s.rank")
STORED_SENTENCE_KEYS = ("article_id", "position", "sentence", "score", "support", "outlet", "published", "title")


async def _stored_digests(db, event_ids: list, top: int | None = None, articles: list | None = None) -> dict:
    """The build's digests of these events, as ``_digest_for`` returns them (``error`` set when the
    build could not make one); with ``top``, each event's ``top`` best-scored sentences in reading
    order. An event the build made no digest for, or whose articles changed since, is left out.
    ``articles``: for one event, the ids of its articles in reading order, which the page has read
    (its key is compared with them, not made again in SQL). Without them, what is found is kept
    per database file version (as computed digests are): each key is made from every article of
    its event, 7 ms for the 20 largest events of the 37k AllSides build, the events list's page 1."""
    remembered = ("stored", _version(db), tuple(event_ids), top) if articles is None else None
    if remembered is not None and (cached := CACHE.get(remembered)) is not None:
        return cached
    key = store.ARTICLES_KEY.format(event="d.event_id")
    current = f"and d.articles_key = {key}" if articles is None else ""
    found: dict = {}
    for row in (await db.execute(STORED_DIGESTS.format(current=current),
                                 {"ids": json.dumps(event_ids), "top": top})).rows:
        if row["event_id"] not in found:  # its first row: the event's digest_events row
            found[row["event_id"]] = None if articles is not None and not _is_key(row["articles_key"], articles) \
                else {"articles_read": row["articles_read"], "error": row["error"], "sentences": []}
        if found[row["event_id"]] is not None and row["rank"] is not None:
            sentence = {k: row[k] for k in STORED_SENTENCE_KEYS}
            sentence["label"] = _label(row)
            found[row["event_id"]]["sentences"].append(sentence)
    found = {event_id: digest_ for event_id, digest_ in found.items() if digest_ is not None}
    if remembered is not None:
        CACHE.put(remembered, found)
    return found


def _decorate(datasette, database: str, sentences: list[dict]) -> list[dict]:
    """Copies of the (cached, shared) digest rows with their links and rank added: each sentence
    links to the reader at that sentence, and to its article's row."""
    links = _prefixes(datasette, database)
    return [
        {
            **s,
            "rank": rank,
            "article_url": links.reader(s["article_id"], s["position"]),
            "row_url": links.row(s["article_id"]),
            "outlet_url": links.outlet(s["outlet"]),
        }
        for rank, s in enumerate(sentences, 1)
    ]


def _outlet_url(datasette, database: str, outlet: str | None) -> str | None:
    return _prefixes(datasette, database).outlet(outlet)


@functools.lru_cache(maxsize=4_096)
def _outlet_query(outlet: str) -> str:
    return "?" + urlencode({"outlet": outlet})


def _page(handler):
    """A route view that answers every failure of ``handler`` in one shape: an HTML page, or
    ``{"ok": false, "error", "status", "title"}`` (Datasette's own JSON error shape)."""

    async def view(datasette, request):
        as_json = request.url_vars.get("format") == "json"
        try:
            return await handler(datasette, request, as_json)
        except PageError as e:
            status, message = e.status, e.message
        except Forbidden as e:
            status, message = 403, f"You do not have permission to see this digest ({e})"
        except QueryInterrupted:
            status, message = 503, (
                "The database took too long to answer (this site's sql_time_limit_ms); "
                "try again in a moment"
            )
        return await _error_response(datasette, request, status, message, as_json)

    view.__name__ = handler.__name__.lstrip("_")
    view.__doc__ = handler.__doc__
    return view


async def _visible_stories(datasette, request, db) -> bool:
    """Whether this page shows stories: the database has them and the actor may view them (a page
    that only adds them to events leaves them out otherwise, rather than refusing)."""
    if not await has_stories(db):
        return False
    try:
        await _ensure_viewable(datasette, request, db.name, (STORIES,))
    except Forbidden:
        return False
    return True


async def _stories_database(datasette, request):
    """The database for a story page: 404 without stories, 403 unless the actor may view them."""
    db = await _database(datasette, request)
    if not await has_stories(db):
        raise PageError(404, f"{db.name} has no stories table; rebuild it with `newsdigest build`")
    await _ensure_viewable(datasette, request, db.name, (STORIES,))
    return db


def _event_item(datasette, database: str, row) -> dict:
    event = dict(row)
    event["edited"] = bool(event.get("edited"))
    return {**event, **_event_links(datasette, database, event["id"])}


def _story_item(datasette, database: str, row) -> dict:
    story = dict(row)
    story["edited"] = bool(story.get("edited"))
    return {**story, "url": _story_path(datasette, database, story["id"], False),
            "json_url": _story_path(datasette, database, story["id"], True)}


async def _with_digests(datasette, request, db, settings: Settings, events: list[dict]) -> list[dict]:
    """The events with their main outlets and a short digest each: the best sentences of the
    digest the build made, or without it the events list's own (its sentences from the leads of
    its first articles, cached as the events list caches them)."""
    options = digest.Options(sentences=settings.list_sentences, method=settings.method)
    stored = {}
    if await _reads_stored(datasette, request, db, settings):
        stored = await _stored_digests(db, [e["id"] for e in events], top=settings.list_sentences)
    names = await _outlet_names(db, [e["id"] for e in events])
    for event in events:
        event["outlet_names"] = names.get(event["id"], [])
        try:
            computed = stored.get(event["id"]) or await _digest_for(
                db, event["id"], options, settings.limits, with_support=False,
                limit=settings.list_max_articles, paragraphs=settings.list_lead_paragraphs)
            if computed.get("error"):
                raise digest.DigestError(computed["error"])
            sentences = computed["sentences"]
        except digest.DigestError as e:
            sentences, event["digest_error"] = [], str(e)
        event["digest"] = _decorate(datasette, db.name, sentences)
    return events


def _paging(request, settings: Settings, total: int, url: str) -> tuple[dict, int]:
    """The page asked for (``?page=``, ``?_size=``, both bounded) and the links to its neighbours,
    as the JSON has them; and the offset of its first row."""
    size = _int_arg(request, "_size", settings.page_size, high=MAX_PAGE_SIZE)
    pages = max(1, -(-total // size))
    page = _int_arg(request, "page", 1, high=pages)

    def page_url(n):
        if n < 1 or n > pages:
            return None
        args = {"page": n} if size == settings.page_size else {"page": n, "_size": size}
        return url + "?" + urlencode(args)

    return {"total": total, "page": page, "pages": pages, "page_size": size,
            "next_url": page_url(page + 1), "previous_url": page_url(page - 1)}, (page - 1) * size


async def _html(datasette, request, template: str, data: dict, json_url: str, status: int = 200,
                body: str | None = None, **extra):
    """A page's HTML: its JSON's data, the chart assets and a link to the JSON with the same query;
    with ``body``, that template renders the page's content (``{{ body }}``) from the same context."""
    query = f"?{request.query_string}" if request.query_string else ""
    context = {**data, **_assets(datasette), **extra, "json_url": json_url + query}
    if body is not None:
        context["body"] = Markup(_plain_templates(datasette).get_template(body).render(context))
    return Response.html(await datasette.render_template(template, context, request=request), status=status)


_PLAIN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# The pages' contents rendered outside Datasette's async environment (``_html``'s ``body``).
BODIES = ("_newsdigest_event_body.html", "_newsdigest_events_body.html")


def _plain_templates(datasette):
    """Datasette's templates (loader, filters, globals) without async rendering, for a page's
    content: Datasette's environment awaits every expression, and an event page has thousands
    (about half its CPU per request). Content templates call nothing that awaits; base.html,
    which does (menus, hooks), still renders in Datasette's environment around them. Caches of
    its own (compiled templates and bytecode): the async environment's code cannot render here."""
    found = _PLAIN.get(datasette)
    if found is None:
        found = _PLAIN[datasette] = datasette.jinja_env.overlay(
            enable_async=False, cache_size=100, bytecode_cache=None)
        found.getattr = types.MethodType(_key_first_getattr, found)
    return found


_DICT_ATTRIBUTES = frozenset(dir(dict))


def _key_first_getattr(environment, obj, attribute: str):
    """``environment.getattr`` (what ``a.b`` in a template does), answered from the key first for a
    plain dict, whose only attributes are dict's own: the same value, without the AttributeError
    Jinja raises and catches for each of a page's 1,600 or so ``a.b`` on the pages' dicts (a
    third of an event page's content rendering)."""
    if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
        try:
            return obj[attribute]
        except KeyError:
            return environment.undefined(obj=obj, name=attribute)
    return type(environment).getattr(environment, obj, attribute)


# --- The events list: search, filters, sorts and keyset paging -----------------------------------
# Each sort is a list of (column, descending, nullable) keys, NULLs last, and is read in order from an
# index store.py makes for it (store.finish_database, store.index_events_list): "size" is the order
# the list always had. A page after the first is named by its last row's keys (``_next``), as
# Datasette's table pages are, so every page is an index seek, however deep.
EVENT_SORTS = {
    "size": (("articles", True, False), ("last_published", True, True), ("id", False, False)),
    "newest": (("last_published", True, True), ("id", False, False)),
    "oldest": (("first_published", False, True), ("id", False, False)),
}
EVENT_SORT_NAMES = {"size": "largest first", "newest": "newest first", "oldest": "oldest first"}
SEARCH_TABLES = {"labels": ("events_fts",), "digest sentences": ("digest_sentences", "digest_sentences_fts")}
MAX_QUERY = 500  # characters of ?q=
MAX_OUTLETS = 20  # ?outlet= values (any of them)
MAX_OUTLET = 300  # characters of one
MAX_KEY = 100  # characters of one value of a ?_next= token
OUTLET_CHOICES = 1_000  # outlets offered in the form
NULL_KEY = "$null"  # a NULL in a ?_next= token (a real "$" is tilde-encoded)


@dataclass(frozen=True)
class _ListFilters:
    """What the events list was asked for, checked: every value is later bound, never spliced."""

    q: str = ""
    outlets: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    story: int | None = None
    sort: str = "size"

    def args(self) -> list[tuple[str, str]]:
        """The query-string arguments that ask for these filters again (links keep them)."""
        args = [("q", self.q)] if self.q else []
        args += [("outlet", o) for o in self.outlets]
        args += [(k, str(v)) for k, v in (("since", self.since), ("until", self.until), ("story", self.story))
                 if v is not None]
        return args + ([("_sort", self.sort)] if self.sort != "size" else [])


def _date_arg(request, name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return datetime.date.fromisoformat(raw).isoformat()
    except ValueError:
        shown = raw if len(raw) <= 30 else raw[:30] + "..."
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, not {shown!r}") from None


def _list_filters(request) -> _ListFilters:
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise BadRequest(f"q must be at most {MAX_QUERY} characters")
    outlets = tuple(dict.fromkeys(o.strip() for o in request.args.getlist("outlet") if o.strip()))
    if len(outlets) > MAX_OUTLETS:
        raise BadRequest(f"at most {MAX_OUTLETS} outlet values, not {len(outlets)}")
    if any(len(o) > MAX_OUTLET for o in outlets):
        raise BadRequest(f"an outlet must be at most {MAX_OUTLET} characters")
    since, until = _date_arg(request, "since"), _date_arg(request, "until")
    if since and until and since > until:
        raise BadRequest(f"since ({since}) must not be after until ({until})")
    sort = request.args.get("_sort") or "size"
    if sort not in EVENT_SORTS:
        shown = sort if len(sort) <= 30 else sort[:30] + "..."
        raise BadRequest(f"_sort must be one of {', '.join(EVENT_SORTS)}, not {shown!r}")
    return _ListFilters(q, outlets, since, until, _int_arg(request, "story", None, high=2**63 - 1, low=-(2**63)),
                        sort)


def _next_token(keys, row) -> str:
    return ",".join(NULL_KEY if row[k] is None else tilde_encode(str(row[k])) for k, _, _ in keys)


def _token_values(keys, token: str) -> list:
    """The keys of the row a ``?_next=`` token names, each checked as its column's kind."""
    parts = token.split(",")
    if len(parts) != len(keys):
        raise BadRequest(f"_next must have {len(keys)} comma-separated values for this sort, as next_url gives")
    values: list = []
    for (column, _, nullable), part in zip(keys, parts, strict=True):
        if part == NULL_KEY and nullable:
            values.append(None)
        elif column in ("articles", "id"):
            values.append(_whole_number("_next", part, high=2**63 - 1, low=-(2**63)))
        elif len(part) > MAX_KEY:
            raise BadRequest(f"_next values must be at most {MAX_KEY} characters")
        else:
            values.append(tilde_decode(part))
    return values


def _order_by(keys, reverse: bool = False) -> str:
    """ORDER BY for sort keys, written as the indexes are, so SQLite reads them in order."""
    terms = []
    for column, desc, nullable in keys:
        if nullable:
            terms.append(f"{column} is null" + (" desc" if reverse else ""))
        terms.append(column + (" desc" if desc != reverse else ""))
    return ", ".join(terms)


def _beyond(keys, values: list, params: dict, reverse: bool = False, inclusive: bool = False) -> str:
    """The rows after the row with these key values in the sort's order (before it, ``reverse``;
    and that row too, ``inclusive``). The first key also bounds the index range read."""
    flat = []
    for (column, desc, nullable), value in zip(keys, values, strict=True):
        if nullable:
            flat.append((f"({column} is null)", False, int(value is None)))
        flat.append((column, desc, value))
    terms: list[str] = []
    equal: list[str] = []
    for i, (expr, desc, value) in enumerate(flat):
        params[f"k{i}"] = value
        op = "<" if desc != reverse else ">"
        terms.append("(" + " and ".join(equal + [f"{expr} {op} :k{i}"]) + ")")
        equal.append(f"{expr} is :k{i}")
    if inclusive:
        terms.append("(" + " and ".join(equal) + ")")
    first, desc, _ = flat[0]
    return f"{first} {'<' if desc != reverse else '>'}= :k0 and ({' or '.join(terms)})"


async def _searched(datasette, request, db, q: str) -> list[str]:
    """What ``?q=`` searches: event labels and digest sentences, those whose full-text index this
    database has and the actor may view (a 400 when neither)."""
    found = [name for name, tables in SEARCH_TABLES.items() if await _readable(datasette, request, db, tables)]
    if q and not found:
        raise BadRequest("this database has no full-text index you may search; rebuild it with `newsdigest build`")
    return found


async def _filter_sql(datasette, request, db, filters: _ListFilters, with_stories: bool,
                      params: dict) -> tuple[list[str], list[str]]:
    """WHERE terms for the filters (values bound in ``params``), and what a search searched."""
    where: list[str] = []  # "+id": matches are looked up while the sort's index is read in order, never sorted
    searched = await _searched(datasette, request, db, filters.q)
    query = escape_fts(filters.q) if filters.q else ""
    if query:
        params["q"] = query
        found = []
        if "labels" in searched:
            found.append("select rowid from events_fts where events_fts match :q")
        if "digest sentences" in searched:
            found.append("select event_id from digest_sentences where rowid in "
                         "(select rowid from digest_sentences_fts where digest_sentences_fts match :q)")
        where.append(f"+id in ({' union all '.join(found)})")
    if filters.outlets:
        params["outlets"] = json.dumps(filters.outlets)
        where.append("+id in (select event_id from articles where outlet in (select value from json_each(:outlets)))")
    if filters.since:
        params["since"] = filters.since
        where.append("last_published >= :since")
    if filters.until:  # events that began by the end of that day
        params["until"] = (datetime.date.fromisoformat(filters.until) + datetime.timedelta(days=1)).isoformat()
        where.append("first_published < :until")
    if filters.story is not None:
        if not with_stories:
            if await has_stories(db):
                await _ensure_viewable(datasette, request, db.name, (STORIES,))
            raise BadRequest(f"story: {db.name} has no stories; rebuild it with `newsdigest build`")
        params["story"] = filters.story
        where.append("story_id = :story")
    return where, searched


OUTLETS = _DigestCache(64)


async def _outlet_choices(db) -> list[str]:
    """The database's outlets, for the form (read from the outlet index once per file version)."""
    key = _version(db)
    found = OUTLETS.get(key)
    if found is None:
        found = [o for (o,) in (await db.execute(
            "select distinct outlet from articles where outlet is not null and outlet != '' order by outlet "
            "limit :limit", {"limit": OUTLET_CHOICES})).rows]
        OUTLETS.put(key, found)
    return found


async def _events_page(datasette, request, as_json: bool):
    """Events matching the asked search and filters, in the asked order (largest and newest first
    unless asked), with a short digest each and its story; a page at a time, by keyset."""
    db = await _database(datasette, request)
    database = db.name
    settings = settings_for(datasette, database)
    filters = _list_filters(request)
    size = _int_arg(request, "_size", settings.page_size, high=MAX_PAGE_SIZE)
    token = request.args.get("_next", "")
    if token and request.args.get("page"):
        raise BadRequest("give page or _next, not both")
    keys = EVENT_SORTS[filters.sort]
    with_stories = await _visible_stories(datasette, request, db)
    params: dict[str, Any] = {}
    where, searched = await _filter_sql(datasette, request, db, filters, with_stories, params)
    matching = " and ".join(where) or "1"
    try:
        total = (await db.execute(f"select count(*) from events where {_counted(filters, matching)}",
                                  params)).single_value()
        paging, rows = await _list_page(db, request, keys, token, size, total, matching, params, with_stories)
    except sqlite3.OperationalError as e:  # an FTS query SQLite cannot parse, escaped as it is
        if filters.q and ("fts5" in str(e) or "syntax" in str(e)):
            raise BadRequest(f"q could not be searched: {e}") from None
        raise
    url = digest_url(datasette, database, as_json=as_json)

    def link(cursor: str | None) -> str:
        args = filters.args() + ([("_next", cursor)] if cursor else [])
        args += [("_size", str(size))] if size != settings.page_size else []
        return url + ("?" + urlencode(args, safe=",") if args else "")

    paging = {"total": total, "page": paging["page"], "pages": max(1, -(-total // size)), "page_size": size,
              "next": paging["next"], "next_url": link(paging["next"]) if paging["next"] else None,
              "previous_url": None if paging["previous"] is None else link(paging["previous"] or None)}
    events = await _with_digests(datasette, request, db, settings, [_event_item(datasette, database, r) for r in rows])
    await _add_stories(datasette, db, events, with_stories)
    data = {"database": database, **paging, "events": events,
            "filters": {"q": filters.q, "outlet": list(filters.outlets), "since": filters.since,
                        "until": filters.until, "story": filters.story, "sort": filters.sort},
            "sorts": list(EVENT_SORTS), "searched": searched,
            "stories_url": story_url(datasette, database) if with_stories else None}
    if as_json:
        return Response.json(data)
    return await _html(datasette, request, "newsdigest_events.html", data,
                       digest_url(datasette, database, as_json=True), body="_newsdigest_events_body.html",
                       sort_names=EVENT_SORT_NAMES,
                       outlet_choices=await _outlet_choices(db), clear_url=url,
                       filtered=bool(filters.args()), default_page_size=settings.page_size)


def _counted(filters: _ListFilters, matching: str) -> str:
    """The matching events for a count, with a date filter's column said to be set (as it must be
    to match), so SQLite counts a range of that date's index (store.index_events_list)."""
    if filters.since:
        return f"(last_published is null) = 0 and {matching}"
    if filters.until:
        return f"(first_published is null) = 0 and {matching}"
    return matching


async def _list_page(db, request, keys, token: str, size: int, total: int, matching: str, params: dict,
                     with_stories: bool) -> tuple[dict, list]:
    """One page of the matching events: after the ``_next`` token's row, or the ``?page=``-th
    (older links), or the first; with its number, its last row's token (when more follow) and the
    previous page's token ('' for the first page, None on the first)."""
    fields = (await _schema(db)).event_fields + (", story_id" if with_stories else "")
    order = _order_by(keys)
    where, offset = matching, 0
    page_params = {**params, "limit": size + 1}
    before = 0
    if token:
        cursor = _token_values(keys, token)
        where = f"{matching} and {_beyond(keys, cursor, page_params)}"
        counted = dict(params)
        before = (await db.execute(
            f"select count(*) from events where {matching} and "
            f"{_beyond(keys, cursor, counted, reverse=True, inclusive=True)}", counted)).single_value()
    else:
        page = _int_arg(request, "page", 1, high=max(1, -(-total // size)))
        offset = before = (page - 1) * size
    page_params["offset"] = offset
    rows = list((await db.execute(f"select {fields} from events where {where} order by {order} "
                                  "limit :limit offset :offset", page_params)).rows)
    more, rows = len(rows) > size, rows[:size]
    previous = None
    if rows and before:
        back = dict(params)
        first = [rows[0][k] for k, _, _ in keys]
        earlier = (await db.execute(
            f"select {', '.join(k for k, _, _ in keys)} from events where {matching} and "
            f"{_beyond(keys, first, back, reverse=True)} order by {_order_by(keys, reverse=True)} "
            "limit :limit", {**back, "limit": size + 1})).rows
        previous = _next_token(keys, earlier[size]) if len(earlier) > size else ""
    return {"page": before // size + 1, "next": _next_token(keys, rows[-1]) if more else None,
            "previous": previous}, rows


async def _add_stories(datasette, db, events: list[dict], with_stories: bool) -> None:
    """Each event's story (None without stories, or for the actor who may not see them)."""
    stories: dict = {}
    if with_stories:
        ids = sorted({e["story_id"] for e in events if e["story_id"] is not None})
        rows = await db.execute(
            f"select {(await _schema(db)).story_fields} from stories where id in (select value from json_each(:ids))",
            {"ids": json.dumps(ids)},
        )
        stories = {r["id"]: _story_item(datasette, db.name, r) for r in rows.rows}
    for event in events:
        event["story"] = stories.get(event.pop("story_id", None))


events_page = _page(_events_page)


def _options_from(request, settings: Settings) -> tuple[digest.Options, dict]:
    """Options from the form's query string; the form echoes back what was asked."""
    form = {
        "sentences": request.args.get("sentences", ""),
        "words": request.args.get("words", ""),
        "method": request.args.get("method", "") or settings.method,
    }
    try:
        sentences = _int_arg(request, "sentences", None, high=digest.MAX_BUDGET["sentences"])
        words = _int_arg(request, "words", None, high=digest.MAX_BUDGET["words"])
    except BadRequest as e:
        raise digest.OptionsError(str(e)) from None
    if sentences is None and words is None:
        return replace(_default_options(settings), method=form["method"]), form
    return digest.Options(sentences=sentences, words=words, method=form["method"]), form


def _default_options(settings: Settings) -> digest.Options:
    """What the event page digests with when the request chooses nothing (what the build stores)."""
    return digest.Options(sentences=settings.event_sentences, method=settings.method)


async def _event_page(datasette, request, as_json: bool):
    """One event: its digest with support counts, its articles and three charts."""
    db = await _database(datasette, request)
    database = db.name
    settings = settings_for(datasette, database)
    event_id = tilde_decode(request.url_vars["event_id"])
    event, story = await _event_and_story(datasette, db, event_id, await _visible_stories(datasette, request, db))
    can_choose = await datasette.permission_allowed(request.actor, "execute-sql", database, default=True)
    if not can_choose and any(request.args.get(k) for k in CHOICE_ARGS):
        raise PageError(403, "Choosing a digest's length or method runs the digest SQL functions, "
                             "which this site does not allow you (execute-sql); the page without "
                             "them shows the default digest")
    articles = await _articles_of(db, event["id"])
    ids = [a["id"] for a in articles]  # in reading order, as store.ARTICLES_KEY names them
    error, articles_read = None, 0
    try:
        options, form = _options_from(request, settings)
        computed = None
        if options == _default_options(settings) and await _reads_stored(datasette, request, db, settings):
            computed = (await _stored_digests(db, [event["id"]], articles=ids)).get(event["id"])
        if computed is None:
            computed = await _digest_for(db, event["id"], options, settings.limits, with_support=True)
        elif computed["error"]:
            raise digest.DigestError(computed["error"])
        sentences, articles_read = computed["sentences"], computed["articles_read"]
    except digest.DigestError as e:
        if as_json:
            raise PageError(400, str(e)) from None
        error, sentences = str(e), []
        form = {k: request.args.get(k, "") for k in ("sentences", "words", "method")}
        options = None
    sentences = _decorate(datasette, database, sentences)
    stored = await _stored_sections(datasette, request, db, event["id"], ids)

    specs = {  # from the articles read above: each of these was a query of its own
        "timeline": charts.timeline(_by_day(articles)),
        "coverage": charts.coverage(_by_outlet(articles)),
        "support": charts.support(
            [{k: s[k] for k in ("rank", "sentence", "outlet", "support")} for s in sentences], len(articles)
        ),
    }
    listing, links = [], _prefixes(datasette, database)
    for a in articles:
        item = {k: a[k] for k in ("id", "title", "outlet", "author", "published", "url", "words", "genre")}
        item["label"] = _label(a)
        item["row_url"] = links.row(a["id"])
        item["reader_url"] = links.reader(a["id"])
        item["outlet_url"] = links.outlet(a["outlet"])
        item["link"] = a["url"] if (a["url"] or "").lower().startswith(("http://", "https://")) else None
        listing.append(item)
    data = {
        "database": database,
        "event": event,
        "story": story,
        "options": {"sentences": options.sentences, "words": options.words, "method": options.method}
        if options else None,
        "error": error,
        "digest_articles": articles_read,
        "digest": sentences,
        "articles": listing,
        "undated_articles": sum(1 for a in articles if not a["published"]),
        "charts": specs,
        "who_said_what": await _who_said_what(datasette, request, db, event["id"], stored),
        "coverage": await _coverage_section(datasette, request, db, settings, event["id"], stored),
    }
    if as_json:
        return Response.json(data)
    return await _html(datasette, request, "newsdigest_event.html", data, event["json_url"],
                       status=400 if error else 200, body="_newsdigest_event_body.html", form=form,
                       methods=tuple(digest.REGISTRY),
                       can_choose=can_choose, default_sentences=settings.event_sentences,
                       list_url=digest_url(datasette, database))


event_page = _page(_event_page)


# --- Who said what, and what each outlet reported ------------------------------------------------
# Sections of the event and story pages read from tables a build since issue 12 makes (quotes,
# coverage, coverage_sentences): each is left out when a table is missing (an older database) or
# the actor may not view it, as the story sections are.
STORY_SPEAKERS = 10


async def _readable(datasette, request, db, tables: tuple[str, ...]) -> bool:
    """Whether these optional tables exist and the actor may view each of them."""
    if not set(tables) <= (await _schema(db)).tables:
        return False
    try:
        await _ensure_viewable(datasette, request, db.name, tables)
    except Forbidden:
        return False
    return True


def _is_key(articles_key: str, articles: list) -> bool:
    """Whether a stored ``articles_key`` (store.ARTICLES_KEY: the event's article ids in reading
    order, as a JSON array) names these ids, in this order."""
    try:
        return json.loads(articles_key) == articles
    except (TypeError, ValueError):
        return False


# The sections the build stores per event, each with the tables it is made from: read (and shown) only
# where the actor may view those too, as the section made from them would be.
STORED_SECTIONS = ((store.SPEAKERS_TABLE, ("quotes",)), (store.COVERAGE_SECTIONS, store.COVERAGE_ROW_TABLES))


async def _stored_sections(datasette, request, db, event_id, articles: list) -> dict[str, dict]:
    """The sections the build stored for the event (by table: event_speakers, event_coverage), each
    while the actor may view it and its sources and it was made from the event's articles as they
    are: ``articles``, their ids in reading order, which the page has read. One query for all."""
    tables = [table for table, sources in STORED_SECTIONS
              if await _readable(datasette, request, db, (*sources, table))]
    if not tables:
        return {}
    rows = (await db.execute(" union all ".join(
        f"select '{table}' as stored_in, articles_key, section from {table} where event_id = :event"
        for table in tables), {"event": event_id})).rows
    return {row["stored_in"]: json.loads(row["section"]) for row in rows if _is_key(row["articles_key"], articles)}


async def _who_said_what(datasette, request, db, event_id, stored: dict[str, dict]) -> dict | None:
    """The event's speakers, their statements and the outlets that carried each, and the speakers x
    outlets chart: the section the build stored (``event_speakers``, in ``stored`` from
    ``_stored_sections``), else made from the quotes (speakers.section)."""
    if not await _readable(datasette, request, db, ("quotes",)):
        return None
    found = stored.get(store.SPEAKERS_TABLE)
    if found is None:
        rows = (await db.execute(speakers.QUOTES_SQL, {"event": event_id, "limit": speakers.QUOTES_READ})).rows
        found = speakers.section(rows)
    cells = found.pop("cells")
    found["chart"] = charts.speakers([{"speaker": sp, "outlet": o, "statements": n} for sp, o, n in cells])
    return found


async def _coverage_section(datasette, request, db, settings: Settings, event_id,
                            stored: dict[str, dict]) -> dict | None:
    """Outlets side by side (earliest first): articles, first report, headline, what only they
    report, and each outlet's lean with the event's counts by lean where the articles have one:
    the section the build stored (``event_coverage``, in ``stored`` from ``_stored_sections``),
    else made from the coverage tables (outlets.section)."""
    if not await _readable(datasette, request, db, store.COVERAGE_ROW_TABLES):
        return None
    found = stored.get(store.COVERAGE_SECTIONS)
    if found is None:
        params = {"event": event_id, "shown": outlets.ONLY_SHOWN}
        found = outlets.section((await db.execute(outlets.OUTLETS_SQL, params)).rows,
                                (await db.execute(outlets.ONLY_SQL, params)).rows)
    links = _prefixes(datasette, db.name)
    for o in found["outlets"]:
        for s in o["only"]:
            s["row_url"] = links.row(s["article_id"])
            s["reader_url"] = links.reader(s["article_id"], s["position"])
        o["headline_url"] = links.reader(o["article_id"])
    lean = found.get("lean")
    rows = lean["rows"] if lean and lean["column"] == settings.lean_column else None
    return {"outlets": found["outlets"], "lean": await _lean(db, settings, outlets.IN_EVENT, event_id,
                                                             found["outlets"], rows)}


async def _lean(db, settings: Settings, members: str, group_id, outlets_: list[dict] | None = None,
                rows: list | None = None) -> dict | None:
    """Articles by lean (the ``lean_column`` of articles) among ``members`` (the ids the SQL
    selects for ``group_id``: an event's or a story's articles), the leans of the database none
    of them has, and each of ``outlets_``' lean (that of most of its articles here). ``rows``:
    what outlets.LEAN_SQL gives for them, when the build stored it."""
    column = settings.lean_column
    if column not in (await _schema(db)).article_columns:
        return None
    lean = outlets.lean_expression(column)
    if rows is None:
        rows = (await db.execute(outlets.LEAN_SQL.format(lean=lean, members=members), {"id": group_id})).rows
    counts: dict[str, int] = {}
    of_outlet: dict[str, str] = {}
    for outlet, value, n in rows:
        counts[value] = counts.get(value, 0) + n
        of_outlet.setdefault(outlet, value)
    known = await _leans(db, lean)
    if known is None:  # the database's leans are not known in time: these articles', and no notes
        known = list(counts)
    for o in outlets_ or []:
        o["lean"] = of_outlet.get(o["outlet"])
    total = sum(counts.values())
    bars = [{"lean": v, "articles": counts.get(v, 0),
             "percent": round(100 * counts.get(v, 0) / total) if total else 0} for v in sorted(known)]
    return {"column": column, "bars": bars, "missing": [b["lean"] for b in bars if not b["articles"]]}


LEANS = _DigestCache(64)


async def _leans(db, lean: str) -> list[str] | None:
    """The leans (at most 20) the database's articles have: a scan of articles, so read once per
    file version; None when the scan passes the SQL time limit."""
    key = (_version(db), lean)
    found = LEANS.get(key)
    if found is None:
        try:
            found = [v for (v,) in (await db.execute(
                f"select distinct {lean} from articles where {lean} is not null limit 20")).rows]
        except QueryInterrupted:
            return None
        LEANS.put(key, found)
    return found


async def _story_speakers(datasette, request, db, story_id: int) -> list[dict] | None:
    """The speakers quoted most across a story's events: by outlets, then events, then statements."""
    if not await _readable(datasette, request, db, ("quotes",)):
        return None
    rows = (await db.execute(
        "select coalesce(q.speaker_key, lower(q.speaker)) as key, group_concat(q.speaker, char(31)) as names, "
        "count(*) as statements, count(distinct q.event_id) as events, "
        "count(distinct nullif(trim(a.outlet), '')) as outlets from quotes q "
        "join articles a on a.id = q.article_id join events e on e.id = q.event_id "
        "where e.story_id = :story and q.speaker is not null group by 1 "
        "order by outlets desc, events desc, statements desc, key limit :limit",
        {"story": story_id, "limit": STORY_SPEAKERS})).rows
    return [{"speaker": speakers.speaker_name(r["names"].split("\x1f")), "key": r["key"], "statements": r["statements"],
             "events": r["events"], "outlets": r["outlets"]} for r in rows]


async def _story(datasette, db, story_id: int) -> dict | None:
    row = (await db.execute(f"select {(await _schema(db)).story_fields} from stories where id = :id",
                            {"id": story_id})).first()
    return None if row is None else _story_item(datasette, db.name, row)


async def _event_and_story(datasette, db, event_id, with_stories: bool) -> tuple[dict, dict | None]:
    """An event (404 if there is none) and, ``with_stories``, its story with the story's other
    events in time order (the first OTHER_EVENTS): one query (_Schema.event_in_story)."""
    schema = await _schema(db)
    if not with_stories:
        row = (await db.execute(f"select {schema.event_fields} from events where id = :id", {"id": event_id})).first()
        if row is None:
            raise PageError(404, f"Event not found: {event_id}")
        return _event_item(datasette, db.name, row), None
    parts: dict[int, list] = {EVENT_ROW: [], STORY_ROW: [], OTHER_ROW: []}
    for row in (await db.execute(schema.event_in_story, {"id": event_id, "limit": OTHER_EVENTS})).rows:
        parts[row["part"]].append(row)
    if not parts[EVENT_ROW]:
        raise PageError(404, f"Event not found: {event_id}")
    event = _event_item(datasette, db.name, {k: parts[EVENT_ROW][0][k] for k in EVENT_KEYS})
    if not parts[STORY_ROW]:  # none, or a story_id no story has
        return event, None
    story = _story_item(datasette, db.name, {k: parts[STORY_ROW][0][k] for k in STORY_KEYS})
    story["other_events"] = [_event_item(datasette, db.name, {k: r[k] for k in EVENT_KEYS}) for r in parts[OTHER_ROW]]
    story["other_events_total"] = len(story["other_events"])  # all of them, unless the limit cut them
    if story["other_events_total"] == OTHER_EVENTS:
        story["other_events_total"] = (await db.execute(
            "select count(*) from events where story_id = :story and id != :event",
            {"story": story["id"], "event": event["id"]})).single_value()
    return event, story


async def _story_page(datasette, request, as_json: bool):
    """One story: its events as a timeline, earliest first, each with a short digest (a page of
    them at a time, so the digests computed per request stay bounded), and a chart of them."""
    db = await _stories_database(datasette, request)
    database = db.name
    settings = settings_for(datasette, database)
    raw = tilde_decode(request.url_vars["story_id"])
    story_id = _whole_number("story id", raw, high=2**63 - 1, low=-(2**63))
    story = await _story(datasette, db, story_id)
    if story is None:
        raise PageError(404, f"Story not found: {story_id}")
    fields = (await _schema(db)).event_fields
    total = (await db.execute("select count(*) from events where story_id = :story",
                              {"story": story_id})).single_value()
    paging, offset = _paging(request, settings, total, story_url(datasette, database, story_id, as_json=as_json))
    rows = await db.execute(
        f"select {fields} from events where story_id = :story order by {IN_TIME} limit :limit offset :offset",
        {"story": story_id, "limit": paging["page_size"], "offset": offset},
    )
    events = await _with_digests(datasette, request, db, settings,
                                 [_event_item(datasette, database, r) for r in rows.rows])
    drawn = await db.execute(
        f"select {fields} from events where story_id = :story order by {IN_TIME} limit :limit",
        {"story": story_id, "limit": CHART_EVENTS},
    )
    chart_rows = [
        {"label": e["label"] or f"Event {e['id']}", "first": e["first_published"], "last": e["last_published"],
         "articles": e["articles"], "edited": e["edited"], "url": e["url"]}
        for e in (_event_item(datasette, database, r) for r in drawn.rows)
    ]
    data = {"database": database, "story": story, **paging, "events": events,
            "charts": {"events": charts.story_events(chart_rows, total)},
            "speakers": await _story_speakers(datasette, request, db, story_id),
            "lean": await _lean(db, settings, outlets.IN_STORY, story_id)}
    if as_json:
        return Response.json(data)
    return await _html(datasette, request, "newsdigest_story.html", data, story["json_url"],
                       list_url=digest_url(datasette, database), stories_url=story_url(datasette, database))


story_page = _page(_story_page)


async def _stories_page(datasette, request, as_json: bool):
    """Every story, largest and newest first, with its events under it in time order (the first
    STORY_LIST_EVENTS of each; no digests here: each story's page has them)."""
    db = await _stories_database(datasette, request)
    database = db.name
    settings = settings_for(datasette, database)
    total = (await db.execute("select count(*) from stories")).single_value()
    paging, offset = _paging(request, settings, total, story_url(datasette, database, as_json=as_json))
    schema = await _schema(db)
    rows = await db.execute(
        f"select {schema.story_fields} from stories "
        "order by articles desc, last_published is null, last_published desc, id limit :limit offset :offset",
        {"limit": paging["page_size"], "offset": offset},
    )
    stories = [_story_item(datasette, database, r) for r in rows.rows]
    fields = schema.event_fields
    events = await db.execute(
        f"select {fields}, story_id from (select {fields}, story_id, "
        f"row_number() over (partition by story_id order by {IN_TIME}) as n from events "
        "where story_id in (select value from json_each(:ids))) where n <= :limit order by story_id, n",
        {"ids": json.dumps([s["id"] for s in stories]), "limit": STORY_LIST_EVENTS},
    )
    by_story: dict[int, list[dict]] = {}
    for r in events.rows:
        item = _event_item(datasette, database, r)
        by_story.setdefault(item.pop("story_id"), []).append(item)
    for story in stories:
        story["first_events"] = by_story.get(story["id"], [])
    data = {"database": database, **paging, "stories": stories}
    if as_json:
        return Response.json(data)
    return await _html(datasette, request, "newsdigest_stories.html", data,
                       story_url(datasette, database, as_json=True), list_url=digest_url(datasette, database))


stories_page = _page(_stories_page)


async def _error_response(datasette, request, status: int, message: str, as_json: bool):
    title = ERROR_TITLES[status]
    if as_json:
        return Response.json({"ok": False, "error": message, "status": status, "title": title},
                             status=status)
    return Response.html(
        await datasette.render_template(
            "newsdigest_error.html", {"title": title, "error": message}, request=request
        ),
        status=status,
    )


def compile_templates(datasette) -> None:
    """Compile the pages' templates (and Datasette's they extend) at startup, so the first request
    after a start does not pay for it (about 100 ms of CPU for the event page)."""
    names = sorted(p.name for p in (Path(__file__).parent / "templates").glob("*.html"))
    for name in ["base.html", "_crumbs.html", *names]:
        datasette.jinja_env.get_template(name)
    for name in BODIES:
        _plain_templates(datasette).get_template(name)


def _assets(datasette) -> dict:
    static = lambda name: datasette.urls.static_plugins(PLUGIN, name)  # noqa: E731
    return {
        "css_url": static("newsdigest.css"),
        "script_urls": [static(f"vendor/{n}") for n in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")]
        + [static("newsdigest.js")],
    }


# --- The article reader -----------------------------------------------------------------------------
# /-/digest/<database>/article/<id>: one article as a reader reads it, each sentence an anchor
# (#s<position>) that every digest sentence links to. It reads articles, sentences and events (the
# pages' TABLES, checked by _database); stories and digest_sentences where the actor may view them.
READER_CHARS = 200_000  # body characters shown; the row page has the rest
READER_SENTENCES = 10_000  # sentences read, so a huge body costs a bounded query
READER_OTHERS = 50  # the event's other articles listed
ARTICLE_FIELDS = ("id", "title", "subtitle", "outlet", "author", "published", "url", "words", "genre", "event_id")


def article_url(datasette, database: str, article_id, position: int | None = None, as_json: bool = False) -> str:
    """The reader's address for an article, at one of its sentences (``#s<position>``) if given."""
    return PrefixedUrlString(_prefixes(datasette, database).reader(article_id, position, as_json))


def marked_paragraphs(body: str | None, sentences: list[tuple[int, str]], lookahead: int = 3) -> list[list[dict]]:
    """The body's paragraphs (as text.paragraphs reads them, which is what the sentences table was
    split from), each a list of pieces ``{"position", "text"}``: the stored sentences found in it,
    in order, with their positions, and the text between them with position None. A sentence is
    looked for from where the last one ended, then at most ``lookahead`` paragraphs on; one not
    found (a body edited by hand, or cut for the page) is left unmarked rather than guessed."""
    paragraphs = text.paragraphs(body or "")
    marks: list[list[tuple[int, int, int]]] = [[] for _ in paragraphs]
    current, cursor = 0, 0
    for position, sentence in sorted(sentences):
        for step in range(min(lookahead, len(paragraphs) - current - 1) + 1):
            found = paragraphs[current + step].find(sentence, cursor if step == 0 else 0) if sentence else -1
            if found >= 0:
                current, cursor = current + step, found + len(sentence)
                marks[current].append((found, cursor, position))
                break
    out = []
    for paragraph, marked in zip(paragraphs, marks, strict=True):
        pieces: list[dict] = []
        end = 0
        for start, stop, position in marked:
            if paragraph[end:start].strip():
                pieces.append({"position": None, "text": paragraph[end:start].strip()})
            pieces.append({"position": position, "text": paragraph[start:stop]})
            end = stop
        if paragraph[end:].strip():
            pieces.append({"position": None, "text": paragraph[end:].strip()})
        out.append(pieces)
    return out


async def _article_page(datasette, request, as_json: bool):
    """One article: headline, outlet, author, date, its body as paragraphs of numbered sentences,
    its event and story, and the event's other articles."""
    db = await _database(datasette, request)
    database = db.name
    article_id = tilde_decode(request.url_vars["article_id"])
    present = set((await _schema(db)).article_columns)  # read once per file version
    fields = [f for f in ARTICLE_FIELDS if f in present]
    row = (await db.execute(
        f"select {', '.join(fields)}, substr(body, 1, :chars) as body, length(body) as body_chars, "
        f"{FIRST_SENTENCE.format(table='articles')} from articles where id = :id",
        {"id": article_id, "chars": READER_CHARS})).first()
    if row is None:
        raise PageError(404, f"Article not found: {article_id}")
    found = dict(row)
    article = {f: found.get(f) for f in ARTICLE_FIELDS}
    article.update(_article_links(datasette, database, found))
    sentences = [(r["position"], r["text"]) for r in (await db.execute(
        "select position, text from sentences where article_id = :id order by position limit :limit",
        {"id": article_id, "limit": READER_SENTENCES})).rows]
    paragraphs = marked_paragraphs(found["body"], sentences)
    event = story = None
    others: list[dict] = []
    if article["event_id"] is not None:
        schema = await _schema(db)
        with_stories = await _visible_stories(datasette, request, db)
        event_row = (await db.execute(
            f"select {schema.event_fields}{', story_id' if with_stories else ''} from events where id = :id",
            {"id": article["event_id"]})).first()
        if event_row is not None:
            event = _event_item(datasette, database, event_row)
            story_id = event.pop("story_id", None)
            if story_id is not None:
                story = await _story(datasette, db, story_id)
            others = [_article_links(datasette, database, a) | {k: a[k] for k in ("id", "outlet", "published")}
                      for a in await _articles_of(db, event["id"], limit=READER_OTHERS + 1) if a["id"] != article["id"]]
    in_digest: dict[int, int] = {}
    if event is not None and await _readable(datasette, request, db, ("digest_sentences",)):
        in_digest = {r["position"]: r["rank"] for r in (await db.execute(
            "select position, rank from digest_sentences where event_id = :event and article_id = :id",
            {"event": event["id"], "id": article["id"]})).rows}
    for paragraph in paragraphs:
        for piece in paragraph:
            piece["digest_rank"] = in_digest.get(piece["position"]) if piece["position"] is not None else None
    data = {
        "database": database, "article": article, "paragraphs": paragraphs,
        "body_chars": found["body_chars"] or 0, "shown_chars": min(found["body_chars"] or 0, READER_CHARS),
        "event": event, "story": story, "other_articles": others[:READER_OTHERS],
        "other_articles_total": event["articles"] - 1 if event else 0,
    }
    if as_json:
        return Response.json(data)
    return await _html(datasette, request, "newsdigest_article.html", data,
                       article_url(datasette, database, article_id, as_json=True),
                       list_url=digest_url(datasette, database))


def _article_links(datasette, database: str, article: dict) -> dict:
    """An article's name (never its id) and its addresses: the reader, its JSON, its row, its
    outlet's articles, and its own URL when that is a web address."""
    url, links = article.get("url") or "", _prefixes(datasette, database)
    return {"label": _label(article), "reader_url": links.reader(article["id"]),
            "json_url": links.reader(article["id"], as_json=True),
            "row_url": links.row(article["id"]),
            "outlet_url": links.outlet(article.get("outlet")),
            "link": url if url.lower().startswith(("http://", "https://")) else None}


article_page = _page(_article_page)
