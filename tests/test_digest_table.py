"""The build's ``digest_sentences`` table (issue 13, item 1): what it holds, when the build remakes
it, and the pages reading it instead of computing when the request asks for their defaults."""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from datasette_newsdigest import digest, store
from datasette_newsdigest.cli import cli

SENTINEL = "SENTINEL stored digest sentence"


def _dam(i: int) -> dict:
    return {
        "id": f"dam{i}", "title": f"Dam bursts above Sanok, report {i}", "outlet": ["Daily", "Wire"][i % 2],
        "published": f"2024-03-0{i + 1}",
        "body": ("The Tarnow dam above Sanok burst on Tuesday night, flooding the valley below. "
                 "Officials in Sanok said 1,200 people were moved to the school in Lesko. "
                 f"Rescue crews from three towns worked through the night, report {i}."),
    }


@pytest.fixture(scope="module")
def dam_db(build_news_db) -> Path:
    return build_news_db([_dam(i) for i in range(3)])


@pytest.fixture
def copy_of(tmp_path):
    def copy(db: Path) -> Path:
        target = tmp_path / f"{len(list(tmp_path.iterdir()))}" / "news.db"
        target.parent.mkdir()
        shutil.copy(db, target)
        return target
    return copy


def _rows(db: Path, sql: str, args=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _tamper(db: Path, event_id: int) -> None:
    """The best-scored sentence of one event's stored digest says SENTINEL (the events list shows
    it too): a page showing it read the table."""
    with sqlite3.connect(db) as conn:
        conn.execute("update digest_sentences set sentence = ? where event_id = ? and rank = (select rank from "
                     "digest_sentences where event_id = ? order by score desc, rank limit 1)",
                     [SENTINEL, event_id, event_id])


def _drop(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        for table in ("digest_sentences_fts", "digest_sentences", "digest_events"):
            conn.execute(f"drop table if exists [{table}]")


def _events(db: Path) -> list[int]:
    return [e for (e,) in _rows(db, "select id from events order by id")]


async def _json(datasette, path, actor=None):
    cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
    response = await datasette.client.get(path, cookies=cookies)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def _no_computing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a digest was computed")
    monkeypatch.setattr(digest, "digest", refuse)
    monkeypatch.setattr(digest, "digest_with_support", refuse)


def test_the_build_stores_a_digest_for_every_event_and_searches_it(dam_db):
    events = _events(dam_db)
    assert len(events) >= 2
    assert sorted(e for (e,) in _rows(dam_db, "select event_id from digest_events")) == events
    for event in events:
        ranks = [r for (r,) in _rows(dam_db, "select rank from digest_sentences where event_id = ? order by rank",
                                     [event])]
        assert ranks == list(range(1, len(ranks) + 1)) and ranks
    assert _rows(dam_db, "select count(*) from digest_sentences where support < 1 or article_id not in "
                         "(select id from articles where event_id = digest_sentences.event_id)") == [(0,)]
    found = _rows(dam_db, "select s.event_id from digest_sentences s join digest_sentences_fts f "
                          "on f.rowid = s.rowid where digest_sentences_fts match 'Lesko'")
    assert found and {e for (e,) in found} == {e for (e,) in _rows(
        dam_db, "select event_id from articles where id = 'dam0'")}


@pytest.mark.asyncio
async def test_pages_show_the_table_and_it_equals_what_they_compute(dam_db, copy_of, monkeypatch):
    without = copy_of(dam_db)
    _drop(without)
    computed = Datasette([str(without)])
    stored = Datasette([str(dam_db)])
    for event in _events(dam_db):
        page = await _json(computed, f"/-/digest/news/{event}.json")
        rows = _rows(dam_db, "select article_id, position, sentence, score, support, outlet from digest_sentences "
                             "where event_id = ? order by rank", [event])
        assert [tuple(s[k] for k in ("article_id", "position", "sentence", "score", "support", "outlet"))
                for s in page["digest"]] == rows
        assert _rows(dam_db, "select articles_read from digest_events where event_id = ?", [event]) == [
            (page["digest_articles"],)]
        with monkeypatch.context() as m:
            _no_computing(m)
            from_table = await _json(stored, f"/-/digest/news/{event}.json")
        assert from_table == page
    with monkeypatch.context() as m:
        _no_computing(m)
        listing = await _json(stored, "/-/digest/news.json")
        html = (await stored.client.get(f"/-/digest/news/{_events(dam_db)[0]}")).text
        story_id = listing["events"][0]["story"]["id"]
        story = await _json(stored, f"/-/digest/news/story/{story_id}.json")
    assert all(e["digest"] for e in listing["events"] + story["events"]) and "newsdigest" in html
    for event in listing["events"]:
        assert len(event["digest"]) <= 3
        assert {s["sentence"] for s in event["digest"]} <= {s for (s,) in _rows(
            dam_db, "select sentence from digest_sentences where event_id = ?", [event["id"]])}


@pytest.mark.asyncio
async def test_a_request_choosing_its_digest_computes_it(dam_db, copy_of):
    db = copy_of(dam_db)
    # an event that keeps an article after one is moved out of it
    event = _rows(db, "select event_id from articles group by event_id having count(*) > 1 order by event_id")[0][0]
    _tamper(db, event)
    datasette = Datasette([str(db)])
    assert SENTINEL in json.dumps(await _json(datasette, f"/-/digest/news/{event}.json"))
    for query in ("sentences=3", "method=textrank", "words=40"):
        page = await _json(datasette, f"/-/digest/news/{event}.json?{query}")
        assert SENTINEL not in json.dumps(page), query


@pytest.mark.asyncio
async def test_the_table_is_read_only_by_actors_who_may_view_it(dam_db, copy_of):
    db = copy_of(dam_db)
    # an event that keeps an article after one is moved out of it
    event = _rows(db, "select event_id from articles group by event_id having count(*) > 1 order by event_id")[0][0]
    _tamper(db, event)
    metadata = {"databases": {"news": {"tables": {"digest_sentences": {"allow": {"id": "admin"}}}}}}
    datasette = Datasette([str(db)], metadata=metadata)
    for path in (f"/-/digest/news/{event}.json", "/-/digest/news.json"):
        assert SENTINEL not in json.dumps(await _json(datasette, path)), path
        assert SENTINEL in json.dumps(await _json(datasette, path, actor={"id": "admin"})), path
    denied = await datasette.client.get("/news/digest_sentences.json")
    assert denied.status_code == 403


@pytest.mark.asyncio
async def test_a_table_left_stale_by_a_hand_edit_is_not_read(dam_db, copy_of):
    db = copy_of(dam_db)
    # an event that keeps an article after one is moved out of it
    event = _rows(db, "select event_id from articles group by event_id having count(*) > 1 order by event_id")[0][0]
    _tamper(db, event)
    with sqlite3.connect(db) as conn:
        moved = conn.execute("select id from articles where event_id = ? order by rowid limit 1", [event]).fetchone()
        other = next(e for e in _events(db) if e != event)
        conn.execute("update articles set event_id = ? where id = ?", [other, moved[0]])
    page = await _json(Datasette([str(db)]), f"/-/digest/news/{event}.json")
    assert page["digest"] and SENTINEL not in json.dumps(page)


def test_add_remakes_only_the_events_it_touched(dam_db, copy_of, tmp_path):
    db = copy_of(dam_db)
    dam_event, = {e for (e,) in _rows(db, "select event_id from articles where id like 'dam%'")}
    others = [e for e in _events(db) if e != dam_event]
    for event in others + [dam_event]:
        _tamper(db, event)
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps(_dam(3)) + "\n")
    result = CliRunner().invoke(cli, ["build", "--add", str(db), str(extra)])
    assert result.exit_code == 0, result.output
    now = _rows(db, "select event_id from articles where id = 'dam3'")[0][0]
    assert now == dam_event
    sentences = {e: {s for (s,) in _rows(db, "select sentence from digest_sentences where event_id = ?", [e])}
                 for e in _events(db)}
    assert SENTINEL not in sentences[dam_event] and sentences[dam_event]
    assert all(SENTINEL in sentences[e] for e in others)
    assert _rows(db, f"select count(*) from digest_events d where articles_key is not "
                     f"{store.ARTICLES_KEY.format(event='d.event_id')}") == [(0,)]


def test_a_correction_remakes_the_digests_of_the_events_it_changed(dam_db, copy_of):
    db = copy_of(dam_db)
    dam_event, = {e for (e,) in _rows(db, "select event_id from articles where id like 'dam%'")}
    _tamper(db, dam_event)
    store.correct(db, "event", "move", ["dam2"], to="new", notify=lambda message: None)
    new_event = _rows(db, "select event_id from articles where id = 'dam2'")[0][0]
    assert new_event != dam_event
    assert sorted(e for (e,) in _rows(db, "select event_id from digest_events")) == _events(db)
    assert _rows(db, f"select count(*) from digest_events d where articles_key is not "
                     f"{store.ARTICLES_KEY.format(event='d.event_id')}") == [(0,)]
    assert _rows(db, "select distinct article_id from digest_sentences where event_id = ?", [new_event]) == [
        ("dam2",)]
    assert SENTINEL not in {s for (s,) in _rows(db, "select sentence from digest_sentences")}


@pytest.mark.asyncio
async def test_a_huge_event_stores_the_digest_of_its_earliest_articles_that_fit(dam_db, copy_of):
    from datasette_newsdigest.settings import Settings

    db = copy_of(dam_db)
    max_chars = len(_dam(0)["body"]) * 2 + 1
    database = store.sqlite_utils.Database(db)
    with database.conn:
        store.fill_digests(database, defaults=Settings(limits=digest.Limits(max_chars=max_chars)))
    database.close()
    dam_event, = {e for (e,) in _rows(db, "select event_id from articles where id like 'dam%'")}
    assert _rows(db, "select articles_read from digest_events where event_id = ?", [dam_event]) == [(2,)]
    assert {a for (a,) in _rows(db, "select article_id from digest_sentences where event_id = ?", [dam_event])} <= {
        "dam0", "dam1"}
    # Settings other than the defaults: the page computes, under the same cap, what the table holds.
    metadata = {"plugins": {"datasette-newsdigest": {"max_chars": max_chars}}}
    page = await _json(Datasette([str(db)], metadata=metadata), f"/-/digest/news/{dam_event}.json")
    assert page["digest_articles"] == 2
    assert [(s["article_id"], s["position"], s["sentence"], s["support"]) for s in page["digest"]] == _rows(
        db, "select article_id, position, sentence, support from digest_sentences where event_id = ? order by rank",
        [dam_event])


def test_a_document_with_its_stored_sentences_is_not_split_again(monkeypatch):
    """The build hands each article's stored sentences to the digest; the result is the same as
    splitting the text, and the splitter is not called for those documents."""
    from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

    from datasette_newsdigest import digest, text

    texts = [BRIDGE_1, BRIDGE_2, BRIDGE_3]
    plain = [digest.Document(f"a{i}", t, f"2024-01-0{i + 1}") for i, t in enumerate(texts)]
    given = [digest.Document(f"a{i}", t, f"2024-01-0{i + 1}", None, text.split_sentences(t))
             for i, t in enumerate(texts)]
    expected = digest.digest_with_support(plain, sentences=5)
    monkeypatch.setattr(text, "split_sentences", lambda *_: pytest.fail("split again"))
    assert digest.digest_with_support(given, sentences=5) == expected
