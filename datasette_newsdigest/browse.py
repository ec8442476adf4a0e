"""How Datasette's own pages show a database the plugin serves: label columns and hidden tables for
every such database (not only one named in metadata.yml), long ``body``/``raw`` cells cut short with
a link, rows that link to their digest pages, ``raw`` left out of the articles table by default, and
links to the digests on the home and database pages.

Thin adapters called by the hooks in ``__init__.py``; which databases are served is what
``views.has_digest`` last found (at startup, and on every page, through the menus)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from . import store, views

__all__ = ["CELL_CHARS", "METADATA_KEYS", "RAW_HIDDEN", "cell", "digest_links", "metadata", "without_raw"]

CELL_CHARS = 200  # characters of a long body or raw cell shown in table and row views
CELL_WIDTH = "20em"  # their least width, so the cut text is a few lines, not a column of words
RAW_HIDDEN = ("_col", "_nocol")  # a request naming its columns gets exactly those, raw included
CELL_TABLES = ("articles", "events", "stories", "sentences", "digest_sentences")
# The metadata keys whose look-up ``metadata`` can change (``datasette.metadata(key, ...)`` finds a
# key at the table, the database or the top level: these are the plugin's, at each level, and None
# asks for all). Datasette looks up others on every page, e.g. "allow" and "allow_sql" for each
# permission check (some 25 an event page): the plugin has no part in those answers.
METADATA_KEYS = frozenset({None, "databases", "tables", "label_column", "hidden"})


def metadata(datasette) -> dict:
    """Metadata for every database the plugin serves: ``label`` is the label column of events and
    stories (so articles' event_id and events' story_id show labels) and, where the build made it,
    of articles (an untitled article's links show its first sentence, not its id); the build's
    state tables are hidden. A fresh dict each call: Datasette merges metadata into what it is given."""
    tables: dict[str, dict] = {"events": {"label_column": "label"}, "stories": {"label_column": "label"},
                               **{name: {"hidden": True} for name in store.HIDDEN_TABLES}}
    return {"databases": {name: {"tables": {**{t: dict(c) for t, c in tables.items()},
                                            **({"articles": {"label_column": "label"}} if "label" in features else {})}}
                          for name, features in views.served(datasette).items()}}


def cell(datasette, database: str | None, table: str | None, column: str, row, value):
    """A table or row view's cell, or None for Datasette's own rendering: a long article body or
    raw input is cut at CELL_CHARS with a link to all of it (the reader, the row's JSON), an
    event's or story's label links to its digest page, a sentence to the reader at that sentence."""
    if (table not in CELL_TABLES or database is None or not isinstance(value, str)
            or database not in views.served(datasette) or not hasattr(row, "keys")):
        return None
    keys = set(row.keys())
    row = {k: _plain(row[k]) for k in keys}
    if table == "articles" and column in ("body", "raw") and len(value) > CELL_CHARS and "id" in keys:
        if column == "body":
            href, more = views.article_url(datasette, database, row["id"]), "read it all"
        else:
            href = datasette.urls.row(database, "articles", tilde_encode(str(row["id"])), format="json")
            more = "all of it, as JSON"
        cut = value[:CELL_CHARS].rsplit(" ", 1)[0]
        return Markup(f'<span class="newsdigest-cell" style="display: inline-block; min-width: {CELL_WIDTH}">'
                      f'{escape(cut)}… <a href="{escape(href)}">({len(value):,} characters: {more})</a></span>')
    if not value.strip():
        return None
    if table == "events" and column == "label" and "id" in keys:
        return _link(views.digest_url(datasette, database, row["id"]), value)
    if table == "stories" and column == "label" and "id" in keys and "stories" in views.served(datasette)[database]:
        return _link(views.story_url(datasette, database, row["id"]), value)
    sentence_of = {"sentences": "text", "digest_sentences": "sentence"}
    if sentence_of.get(table or "") == column and {"article_id", "position"} <= keys:
        return _link(views.article_url(datasette, database, row["article_id"], row["position"]), value)
    return None


def _plain(value):
    """A row's value as stored: table views hand expanded foreign keys as {"value", "label"}."""
    return value["value"] if isinstance(value, dict) and "value" in value else value


def _link(href: str, value: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')


async def digest_links(datasette, actor, view_name: str, database: str | None, request=None) -> list[dict]:
    """For the home page, every database whose digests this actor may read; for a database page,
    that database: its events page, and its stories page where it has stories (each table's
    permission decided once for the ``request``, shared with its menus)."""
    if view_name == "index":
        names = list(datasette.databases)
    elif view_name == "database" and database:
        names = [database]
    else:
        return []
    links = []
    for name in names:
        if await views.can_view(datasette, actor, name, request):
            db = datasette.get_database(name)
            links.append({"database": name, "url": views.digest_url(datasette, name),
                          "stories_url": views.story_url(datasette, name) if await views.has_stories(db) else None})
    return links


def without_raw(datasette, app):
    """ASGI middleware: the HTML articles table of a served database leaves out ``raw`` (the input
    as read, often a whole web page) unless the request names its columns (``_col``/``_nocol``)."""

    async def wrapped(scope, receive, send):
        path = scope.get("path", "")
        if scope.get("type") == "http" and scope.get("method") == "GET" and path.endswith("/articles"):
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            if not any(k in RAW_HIDDEN for k, _ in query) and await _has_raw(datasette, path):
                scope = {**scope, "query_string": urlencode(query + [("_nocol", "raw")]).encode("latin-1")}
        await app(scope, receive, send)

    return wrapped


async def _has_raw(datasette, path: str) -> bool:
    """Whether ``path`` is the articles table of a served database with a raw column (this
    request may come before the startup hook has looked, so it looks itself)."""
    for name, db in list(datasette.databases.items()):
        if path == datasette.urls.table(name, "articles"):
            return await views.has_digest(db) and "raw" in views.served(datasette).get(name, ())
    return False
