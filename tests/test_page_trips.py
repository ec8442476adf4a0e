"""The event page's merged queries read what their separate queries read: the event, its story and
the story's other events in one query; each event's digest_events row with its digest sentences; the
stored who-said-what and coverage sections together. Each test fails if a merged query drops a row,
gives one event's or table's rows to another, or loses their order."""

import json
import shutil
import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette
from datasette.utils.asgi import Request

from datasette_newsdigest import store, views

# Events added to the seeds' story 1 (which has events 1-3): dates out of id order, a tie, and undated.
ADDED = [(11, "2023-05-01"), (12, None), (13, "2023-04-02"), (14, "2023-05-01"), (15, None), (16, "2023-01-09")]


@pytest.fixture(scope="module")
def storied(seeds_db, tmp_path_factory):
    """The seeds with more events in story 1 (no articles of their own), a second story of one
    event, and one event whose story_id names no story."""
    path = tmp_path_factory.mktemp("trips") / "news.db"
    shutil.copy(seeds_db, path)
    db = sqlite_utils.Database(path)
    for event_id, published in ADDED:
        db.execute("insert into events (id, label, first_published, last_published, articles, outlets, story_id, "
                   "edited) values (?, ?, ?, ?, 0, 0, 1, ?)",
                   [event_id, f"Added {event_id}", published, published, event_id % 2])
    db.execute("insert into stories (id, label, first_published, last_published, events, articles, outlets, edited) "
               "values (2, 'Second story', null, null, 1, 0, 0, 1)")
    db.execute("insert into events (id, label, articles, outlets, story_id) values (21, 'Alone', 0, 0, 2)")
    db.execute("insert into events (id, label, articles, outlets, story_id) values (22, 'Lost', 0, 0, 99)")
    db.conn.commit()
    return path


def _separately(path, event_id: int, limit: int) -> dict | None:
    """The event's story and other events as three queries read them (the code before the merge)."""
    db = sqlite_utils.Database(path)
    db.conn.row_factory = sqlite3.Row
    story_id = db.execute("select story_id from events where id = ?", [event_id]).fetchone()[0]
    story = db.execute(f"select {views.STORY_COLUMNS}, edited from stories where id = ?", [story_id]).fetchone()
    if story is None:
        return None
    others = db.execute(f"select {views.EVENT_COLUMNS}, edited from events where story_id = ? and id != ? "
                        f"order by {views.IN_TIME} limit ?", [story_id, event_id, limit]).fetchall()
    total = db.execute("select count(*) from events where story_id = ? and id != ?", [story_id, event_id]).fetchone()[0]
    return {"story": {**dict(story), "edited": bool(story["edited"])},
            "others": [{**dict(e), "edited": bool(e["edited"])} for e in others], "total": total}


@pytest.mark.asyncio
@pytest.mark.parametrize("limit", [views.OTHER_EVENTS, 3])
async def test_an_events_story_and_its_other_events_are_what_their_own_queries_read(storied, limit, monkeypatch):
    monkeypatch.setattr(views, "OTHER_EVENTS", limit)
    datasette = Datasette([str(storied)])
    ids = [r[0] for r in sqlite_utils.Database(storied).execute("select id from events order by id")]
    assert len(ids) == 3 + len(ADDED) + 2
    for event_id in ids:
        page = (await datasette.client.get(f"/-/digest/news/{event_id}.json")).json()
        assert page["event"]["id"] == event_id
        expected = _separately(storied, event_id, limit)
        if expected is None:
            assert page["story"] is None and event_id == 22
            continue
        story = page["story"]
        assert {k: story[k] for k in expected["story"]} == expected["story"]
        assert [{k: e[k] for k in views.EVENT_KEYS} for e in story["other_events"]] == expected["others"]
        assert story["other_events_total"] == expected["total"]
        assert all(e["url"] == f"/-/digest/news/{e['id']}" for e in story["other_events"])
    # the limit cut story 1's list: the earliest first, undated last, the rest counted
    first = (await datasette.client.get("/-/digest/news/16.json")).json()["story"]
    assert first["other_events_total"] == 8 and len(first["other_events"]) == min(limit, 8)


def _marked(seeds_db, tmp_path):
    """A copy whose stored sections each name their event and table, so a page shows which it read."""
    path = tmp_path / "news.db"
    shutil.copy(seeds_db, path)
    db = sqlite_utils.Database(path)
    events = [e for (e,) in db.execute("select id from events order by id")]
    for event_id in events:
        speakers = {"speakers": [], "speakers_total": 1000 + event_id, "quotes_read": -1, "cells": []}
        coverage = {"outlets": [{"outlet": f"coverage of {event_id}", "article_id": "x", "only": []}], "lean": None}
        db.execute(f"update {store.SPEAKERS_TABLE} set section = ? where event_id = ?",
                   [json.dumps(speakers), event_id])
        db.execute(f"update {store.COVERAGE_SECTIONS} set section = ? where event_id = ?",
                   [json.dumps(coverage), event_id])
    db.conn.commit()
    return path, db, events


@pytest.mark.asyncio
async def test_stored_sections_read_together_are_each_events_and_tables_own(seeds_db, tmp_path):
    path, db, events = _marked(seeds_db, tmp_path)
    assert len(events) > 1
    datasette = Datasette([str(path)])
    for event_id in events:
        page = (await datasette.client.get(f"/-/digest/news/{event_id}.json")).json()
        assert page["who_said_what"]["speakers_total"] == 1000 + event_id
        assert [o["outlet"] for o in page["coverage"]["outlets"]] == [f"coverage of {event_id}"]
    # a stale key makes only its own section be made afresh, from its own tables
    stale = events[0]
    db.execute(f"update {store.COVERAGE_SECTIONS} set articles_key = '[]' where event_id = ?", [stale])
    db.conn.commit()
    views.CACHE.clear()
    datasette = Datasette([str(path)])
    page = (await datasette.client.get(f"/-/digest/news/{stale}.json")).json()
    assert page["who_said_what"]["speakers_total"] == 1000 + stale
    assert all(not o["outlet"].startswith("coverage of") for o in page["coverage"]["outlets"])
    # and one the actor may not view is not read: the other still is
    datasette = Datasette([str(path)], metadata={"databases": {"news": {"tables": {
        store.SPEAKERS_TABLE: {"allow": False}}}}})
    other = events[1]
    request = Request.fake(f"/-/digest/news/{other}")
    found = await views._stored_sections(datasette, request, datasette.get_database("news"), other,
                                         await _ids(datasette, other))
    assert list(found) == [store.COVERAGE_SECTIONS]
    assert found[store.COVERAGE_SECTIONS]["outlets"][0]["outlet"] == f"coverage of {other}"


async def _ids(datasette, event_id) -> list:
    return [a["id"] for a in await views._articles_of(datasette.get_database("news"), event_id)]


def _digests_separately(path, event_ids: list, top: int | None) -> dict:
    """Each event's stored digest as two queries read it (the code before the merge): its digest_events
    row, then its sentences (``top`` best-scored, in rank order) whose articles exist."""
    db = sqlite_utils.Database(path)
    found = {}
    for event_id in event_ids:
        row = db.execute("select articles_read, error from digest_events where event_id = ?", [event_id]).fetchone()
        if row is None:
            continue
        sentences = db.execute(
            "select s.rank, s.score, s.article_id, s.position, s.sentence, s.score, s.support, s.outlet, a.published, "
            "a.title "
            "from digest_sentences s join articles a on a.id = s.article_id where s.event_id = ? order by s.rank",
            [event_id]).fetchall()
        if top is not None:
            best = sorted(sentences, key=lambda s: (-s[1], s[0]))[:top]
            sentences = [s for s in sentences if s in best]
        found[event_id] = {"articles_read": row[0], "error": row[1],
                           "sentences": [dict(zip(views.STORED_SENTENCE_KEYS, s[2:], strict=True)) for s in sentences]}
    return found


@pytest.mark.asyncio
@pytest.mark.parametrize("top", [None, 1, 2])
async def test_stored_digests_read_with_their_rows_are_each_events_own(seeds_db, tmp_path, top):
    """Several events in one call (as the events list asks): one with its digest_events row but no
    sentences, one with sentences but no digest_events row (left out), one with a build error, one
    with a sentence of an article that is gone (left out, as the join left it), the rest as built."""
    path = tmp_path / "news.db"
    shutil.copy(seeds_db, path)
    db = sqlite_utils.Database(path)
    events = [e for (e,) in db.execute("select id from events order by id")]
    assert len(events) >= 3
    no_sentences, no_row, failed = events[:3]
    db.execute("delete from digest_sentences where event_id = ?", [no_sentences])
    db.execute("delete from digest_events where event_id = ?", [no_row])
    db.execute("update digest_events set error = 'too long' where event_id = ?", [failed])
    db.execute("update digest_sentences set article_id = 'gone' where event_id = ? and rank = 2", [events[-1]])
    db.conn.commit()
    datasette = Datasette([str(path)])
    database = datasette.get_database("news")
    asked = [*reversed(events), 999]
    got = await views._stored_digests(database, asked, top=top)
    expected = _digests_separately(path, asked, top)
    assert no_row not in got and 999 not in got and got[no_sentences]["sentences"] == []
    assert got[failed]["error"] == "too long"
    assert {e: {**d, "sentences": [{k: s[k] for k in views.STORED_SENTENCE_KEYS} for s in d["sentences"]]}
            for e, d in got.items()} == expected
    assert any(d["sentences"] for d in got.values())
    for digest_ in got.values():  # each labelled from its own article
        for s in digest_["sentences"]:
            first = db.execute("select text from sentences where article_id = ? and position = 0",
                               [s["article_id"]]).fetchone()
            assert s["label"] == views._label({"title": s["title"], "first_sentence": first and first[0]})
    # one event with the ids the page read: its row is read only while its key names them
    ids = await _ids(datasette, events[-1])
    assert list(await views._stored_digests(database, [events[-1]], articles=ids)) == [events[-1]]
    assert await views._stored_digests(database, [events[-1]], articles=ids[::-1] + ["x"]) == {}
