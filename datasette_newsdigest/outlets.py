"""What each outlet of an event reported, as the event page's *Coverage* section shows it.

The section's rows come from the ``coverage`` and ``coverage_sentences`` tables (store.py) by the
queries here; :func:`section` is a pure function of them, so the build can store each event's
section (store.fill_event_coverage, the ``event_coverage`` table) and a page can make it again
from the tables where none is stored: both give the same section. Links and the lean of each
outlet are the page's (they depend on the site's base URL and settings); the build also keeps
the lean rows of the default lean column, which the page uses while its setting is that one.
"""

from __future__ import annotations

from typing import Any

ONLY_SHOWN = 5  # "only in" sentences shown per outlet

# The event's outlets, earliest first (outlet is unique within an event).
OUTLETS_SQL = ("select outlet, articles, first_reported, headline, article_id, only_sentences from coverage "
               "where event_id = :event order by first_reported is null, first_reported, outlet")
# Each outlet's first ``shown`` "only in" rows, read from the (event_id, outlet) index: an event of
# 50 articles has some 1,500 of them, and only these are joined to their text.
ONLY_SQL = (
    "select o.outlet, c.article_id, c.position, s.text from (select distinct outlet from coverage_sentences "
    "where event_id = :event) o join coverage_sentences c on c.rowid in (select rowid from coverage_sentences "
    "where event_id = :event and outlet is o.outlet order by rowid limit :shown) "
    "join sentences s on s.article_id = c.article_id and s.position = c.position order by o.outlet, c.rowid")
# Articles by outlet and lean among ``members`` (SQL selecting the ids of a group's articles, given
# :id), most first; ``lean`` is lean_expression's.
LEAN_SQL = ("select trim(outlet) as outlet, {lean} as lean, count(*) as n from articles where id in ({members}) "
            "and {lean} is not null group by 1, 2 order by n desc")
IN_EVENT = "select id from articles where event_id = :id"
IN_STORY = "select a.id from articles a join events e on e.id = a.event_id where e.story_id = :id"


def lean_expression(column: str) -> str:
    """An articles column's lean, blank as NULL, the column's name quoted as SQL needs."""
    return "nullif(trim(\"" + column.replace('"', '""') + "\"), '')"


def section(outlets: list, only: list) -> dict[str, Any]:
    """The section from the rows of OUTLETS_SQL and ONLY_SQL: each outlet (a dict of OUTLETS_SQL's
    columns) with ``only``, its "only in" sentences ({article_id, position, sentence}). Plain
    lists and dicts, so it survives a trip through JSON unchanged."""
    by_outlet: dict[str, list] = {}
    for outlet, article_id, position, text in only:
        by_outlet.setdefault(outlet, []).append({"article_id": article_id, "position": position, "sentence": text})
    found = []
    for outlet, articles, first_reported, headline, article_id, only_sentences in outlets:
        found.append({"outlet": outlet, "articles": articles, "first_reported": first_reported, "headline": headline,
                      "article_id": article_id, "only_sentences": only_sentences, "only": by_outlet.get(outlet, [])})
    return {"outlets": found}
