"""The story pages and the story sections of the event pages (issue 11, item 6).

The fixture builds the seeds (plus a few constructed articles) with ``newsdigest build``, then
groups them by hand into the schema the pages read (a ``stories`` table, ``events.story_id`` and
``events.edited``), with events and stories written from reading the texts, never from a run:
story 1 is the drone attacks on Russia (event 1, the Kremlin attack in May: seeds 001 and 003;
event 3, the Belgorod raid in June: 004; event 2, the Moscow attack in July and the Foreign
Ministry's statement: 000 and 002), story 2 a dam burst (event 4, dated; event 5, undated), and
event 6 belongs to no story.
"""

import importlib.util
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette
from pages import assert_error

from datasette_newsdigest import charts, digest, views

EVIL = "<script>alert('x')</script>"
ADMIN = {"id": "admin"}
RESTRICTED = {"allow": ADMIN}

# event id -> (label, seed file prefixes or dam article ids, published dates, story id, edited)
EVENTS = {
    1: ("Russia alleges key US role in Kremlin drone attack", ["001", "003"], ["2023-05-04", "2023-05-05"], 1, 0),
    2: ("Russia links the US and NATO to the drone attack on Moscow", ["000", "002"],
        ["2023-07-25T09:00:00", "2023-07-26"], 1, 1),
    3: ("US distances itself from the Belgorod incursion", ["004"], ["2023-06-05"], 1, 0),
    4: (f"Dam bursts above Sanok {EVIL}", ["a0", "a1", "a2"], ["2023-05-01", "2023-05-02", "2023-05-02"], 2, 0),
    5: ("Rescue crews in the valley", ["a3"], [None], 2, 0),
    6: ("Report from Lesko", ["a4"], ["2023-05-03"], None, 0),
}
STORIES = {1: ("Drone attacks on Russia and who Moscow blames", 0), 2: (f"The Tarnow dam {EVIL}", 1)}


def _article(i):
    return {
        "id": f"a{i}", "title": f"Dam bursts above Sanok, report {i}", "outlet": ["Daily", "Wire", "Post"][i % 3],
        "url": f"https://example.com/{i}",
        "body": (
            "The Tarnow dam above Sanok burst on Tuesday night, flooding the valley below. "
            "Officials in Sanok said 1,200 people were moved to the school in Lesko. "
            f"Engineer Marta Kowal said cracks had been reported to the council in March. {EVIL} "
            f"Rescue crews from three towns worked through the night, report {i}."
        ),
    }


def _group_into_stories(path):
    """Replace the build's grouping of the seeds with the events and stories above, written from
    reading the texts (the pages are tested on a known grouping, not on a clustering run)."""
    conn = sqlite3.connect(path)
    with conn:
        seeds = {Path(source).name[:3]: id_ for id_, source in conn.execute("select id, source from articles")
                 if re.match(r"\d{3}_", Path(source).name)}
        assert len(seeds) == 5
        for event_id, (_, members, dates, _, _) in EVENTS.items():
            for member, day in zip(members, dates, strict=True):
                conn.execute("update articles set event_id = ?, published = ? where id = ?",
                             [event_id, day, seeds.get(member, member)])
        conn.execute("delete from events")
        conn.execute("delete from stories")
        for event_id, (label, _, _, story_id, edited) in EVENTS.items():
            conn.execute(
                "insert into events (id, label, first_published, last_published, articles, outlets, story_id, edited) "
                "select ?, ?, min(published), max(published), count(*), count(distinct outlet), ?, ? "
                "from articles where event_id = ?", [event_id, label, story_id, edited, event_id])
        for story_id, (label, edited) in STORIES.items():
            conn.execute(
                "insert into stories select ?, ?, min(e.first_published), max(e.last_published), "
                "(select count(*) from events where story_id = ?), count(*), count(distinct a.outlet), ? "
                "from events e join articles a on a.event_id = e.id where e.story_id = ?",
                [story_id, label, story_id, edited, story_id])
    conn.close()
    return path


@pytest.fixture(scope="module")
def story_db(build_news_db):
    return _group_into_stories(build_news_db([_article(i) for i in range(5)]))


@pytest.fixture
def datasette(story_db):
    return Datasette([str(story_db)])


def _cookies(datasette, actor):
    return {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}


async def _get(datasette, path, actor=None):
    return await datasette.client.get(path, cookies=_cookies(datasette, actor))


async def _json(datasette, path, actor=None):
    response = await _get(datasette, path, actor)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def _articles_of(datasette, event_id):
    rows = await _json(datasette, f"/news.json?sql=select+id+from+articles+where+event_id%3D{event_id}&_shape=array")
    return {r["id"] for r in rows}


def _label(event_id):
    return EVENTS[event_id][0]


# --- The event page ----------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_event_page_names_its_story_and_lists_its_other_events_in_time_order(datasette):
    data = await _json(datasette, "/-/digest/news/2.json")
    story = data["story"]
    assert story["id"] == 1 and story["label"] == STORIES[1][0] and story["events"] == 3
    assert story["url"] == "/-/digest/news/story/1" and story["json_url"] == "/-/digest/news/story/1.json"
    assert [e["id"] for e in story["other_events"]] == [1, 3]  # May, then June; not the page's own
    assert story["other_events_total"] == 2
    for e in story["other_events"]:
        assert e["label"] == _label(e["id"]) and e["url"] == f"/-/digest/news/{e['id']}"
        assert e["articles"] == len(EVENTS[e["id"]][1]) and e["first_published"]
    assert data["event"]["edited"] is True and story["edited"] is False
    html = (await _get(datasette, "/-/digest/news/2")).text
    assert 'href="/-/digest/news/story/1"' in html
    assert html.index(_label(1)) < html.index(_label(3))
    assert 'href="/-/digest/news/1"' in html and 'href="/-/digest/news/3"' in html
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "newsdigest-edited" in h1


@pytest.mark.asyncio
async def test_event_page_lists_at_most_a_bounded_number_of_other_events(datasette, monkeypatch):
    monkeypatch.setattr(views, "OTHER_EVENTS", 1)
    data = await _json(datasette, "/-/digest/news/2.json")
    assert [e["id"] for e in data["story"]["other_events"]] == [1]
    assert data["story"]["other_events_total"] == 2
    html = (await _get(datasette, "/-/digest/news/2")).text
    assert "The first 1 of 2" in html and _label(3) not in html


@pytest.mark.asyncio
async def test_event_without_a_story_has_no_story_section(datasette):
    data = await _json(datasette, "/-/digest/news/6.json")
    assert data["story"] is None and data["event"]["edited"] is False
    html = (await _get(datasette, "/-/digest/news/6")).text
    assert "newsdigest-story" not in html and "/story/" not in html


# --- The story page ----------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_story_page_is_a_timeline_of_its_events_each_with_a_digest(datasette):
    data = await _json(datasette, "/-/digest/news/story/1.json")
    assert data["story"]["id"] == 1 and data["story"]["label"] == STORIES[1][0]
    assert (data["story"]["events"], data["story"]["articles"]) == (3, 5)
    assert data["story"]["first_published"] == "2023-05-04" and data["story"]["last_published"] == "2023-07-26"
    assert [e["id"] for e in data["events"]] == [1, 3, 2]
    assert data["total"] == 3 and data["page"] == data["pages"] == 1 and data["next_url"] is None
    for event in data["events"]:
        assert event["url"] == f"/-/digest/news/{event['id']}" and event["label"] == _label(event["id"])
        assert event["digest"], event["id"]
        members = await _articles_of(datasette, event["id"])
        assert {s["article_id"] for s in event["digest"]} <= members
    assert [e["edited"] for e in data["events"]] == [False, False, True]
    html = (await _get(datasette, "/-/digest/news/story/1")).text
    assert html.index(_label(1)) < html.index(_label(3)) < html.index(_label(2))
    assert 'data-newsdigest-spec="spec-events"' in html
    assert "/-/static-plugins/datasette-newsdigest/vendor/vega-embed.min.js" in html
    assert "cdn" not in html.lower()
    assert html.count("newsdigest-edited") == 1


@pytest.mark.asyncio
async def test_story_page_digests_are_the_events_lists_and_shared_with_its_cache(datasette, monkeypatch):
    views.CACHE.clear()
    listed = {e["id"]: e["digest"] for e in (await _json(datasette, "/-/digest/news.json?_size=200"))["events"]}
    calls = []
    original = digest.digest
    monkeypatch.setattr(digest, "digest", lambda *a, **k: calls.append(1) or original(*a, **k))
    story = await _json(datasette, "/-/digest/news/story/1.json")
    assert calls == []  # every digest came from the cache the events list filled
    for event in story["events"]:
        assert event["digest"] == listed[event["id"]]


@pytest.mark.asyncio
async def test_story_page_digests_one_page_of_events_at_a_time(datasette, monkeypatch):
    views.CACHE.clear()
    calls = []
    original = digest.digest
    monkeypatch.setattr(digest, "digest", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = await _json(datasette, "/-/digest/news/story/1.json?_size=1")
    assert len(calls) == 1 and [e["id"] for e in first["events"]] == [1]
    assert first["pages"] == 3 and first["previous_url"] is None
    assert first["next_url"] == "/-/digest/news/story/1.json?page=2&_size=1"
    second = await _json(datasette, first["next_url"])
    assert [e["id"] for e in second["events"]] == [3]
    assert second["previous_url"] == "/-/digest/news/story/1.json?page=1&_size=1"
    # The chart still shows every event of the story: it needs no digest.
    assert len(first["charts"]["events"]["data"]["values"]) == 3
    html = (await _get(datasette, "/-/digest/news/story/1?_size=1")).text
    assert 'href="/-/digest/news/story/1?page=2&amp;_size=1"' in html
    for page in ("0", "4", "abc"):
        assert_error(await _get(datasette, f"/-/digest/news/story/1.json?_size=1&page={page}"), 400)
    configured = Datasette([str(datasette.databases["news"].path)],
                           metadata={"plugins": {"datasette-newsdigest": {"page_size": 2}}})
    assert len((await _json(configured, "/-/digest/news/story/1.json"))["events"]) == 2


@pytest.mark.asyncio
async def test_story_chart_draws_each_dated_event_linked_to_its_page(datasette):
    spec = (await _json(datasette, "/-/digest/news/story/1.json"))["charts"]["events"]
    values = spec["data"]["values"]
    assert [v["label"] for v in values] == [_label(1), _label(3), _label(2)]
    assert [(v["first"], v["last"]) for v in values] == [
        ("2023-05-04", "2023-05-05"), ("2023-06-05", "2023-06-05"), ("2023-07-25", "2023-07-26")]
    assert [v["url"] for v in values] == ["/-/digest/news/1", "/-/digest/news/3", "/-/digest/news/2"]
    undated = (await _json(datasette, "/-/digest/news/story/2.json"))
    assert [e["id"] for e in undated["events"]] == [4, 5]  # the undated event last
    assert [v["label"] for v in undated["charts"]["events"]["data"]["values"]] == [_label(4)]
    assert "undated" in undated["charts"]["events"]["description"]


def test_story_events_chart_spec():
    rows = [
        {"label": "A", "first": "2023-05-04T10:00:00", "last": "2023-05-06", "articles": 3, "edited": True,
         "url": "/e/1"},
        {"label": "B", "first": "2023-06-05", "last": None, "articles": 1, "edited": False, "url": "/e/2"},
        {"label": "C", "first": None, "last": None, "articles": 2, "edited": False, "url": "/e/3"},
        {"label": "D", "first": "June 2023", "last": None, "articles": 2, "edited": False, "url": "/e/4"},
    ]
    spec = charts.story_events(rows, total=10)
    values = spec["data"]["values"]
    assert [(v["label"], v["first"], v["last"], v["edited"]) for v in values] == [
        ("A", "2023-05-04", "2023-05-06", "yes"), ("B", "2023-06-05", "2023-06-05", "no")]
    assert "first 4 of 10" in spec["description"]
    x = spec["layer"][1]["encoding"]["x"]
    assert x["scale"]["domain"] == ["2023-05-03", "2023-06-06"]
    for layer in spec["layer"]:
        for channel in layer["encoding"].values():
            fields = [channel] if isinstance(channel, dict) else channel
            assert all(f["field"] in values[0] for f in fields)
    assert spec["layer"][1]["encoding"]["href"] == {"field": "url"}
    assert spec["layer"][1]["encoding"]["y"]["scale"]["domain"] == [0, 4]  # headroom above the largest
    json.dumps(spec)
    months = charts.story_events([{**rows[0], "first": "2023-01-01", "last": "2023-03-02"}], total=1)
    assert months["layer"][0]["encoding"]["x"]["scale"]["domain"] == ["2022-12-29", "2023-03-05"]
    one = charts.story_events([rows[1]], total=1)  # one event is a dot with its date, not an empty axis
    assert len(one["data"]["values"]) == 1 and one["layer"][1]["encoding"]["x"]["scale"]["domain"] == [
        "2023-06-04", "2023-06-06"]
    none = charts.story_events([rows[2]], total=1)
    assert none["mark"]["type"] == "text" and "date" in none["data"]["values"][0]["message"]


# --- The events list and the stories page ------------------------------------------------------

@pytest.mark.asyncio
async def test_events_list_names_each_events_story(datasette):
    data = await _json(datasette, "/-/digest/news.json?_size=200")
    assert data["stories_url"] == "/-/digest/news/stories"
    stories = {e["id"]: e["story"] and e["story"]["id"] for e in data["events"]}
    assert stories == {event_id: spec[3] for event_id, spec in EVENTS.items()}
    first = next(e for e in data["events"] if e["id"] == 1)
    assert first["story"]["url"] == "/-/digest/news/story/1" and first["story"]["label"] == STORIES[1][0]
    assert [e["edited"] for e in data["events"] if e["id"] == 2] == [True]
    sizes = [e["articles"] for e in data["events"]]
    assert sizes == sorted(sizes, reverse=True)  # the order and paging are the events list's own
    paged = await _json(datasette, "/-/digest/news.json?_size=1")
    assert paged["next_url"] == f"/-/digest/news.json?_next={paged['next']}&_size=1" and len(paged["events"]) == 1
    assert (await _json(datasette, paged["next_url"]))["events"][0]["id"] == data["events"][1]["id"]
    html = (await _get(datasette, "/-/digest/news?_size=200")).text
    assert 'href="/-/digest/news/story/1"' in html and 'href="/-/digest/news/stories"' in html
    assert html.count("newsdigest-edited") == 3  # event 2, and story 2 beside each of its two events


@pytest.mark.asyncio
async def test_stories_page_groups_events_under_their_story(datasette):
    data = await _json(datasette, "/-/digest/news/stories.json")
    assert data["total"] == 2 and [s["id"] for s in data["stories"]] == [1, 2]  # 5 articles, then 4
    assert [[e["id"] for e in s["first_events"]] for s in data["stories"]] == [[1, 3, 2], [4, 5]]
    assert [s["edited"] for s in data["stories"]] == [False, True]
    assert data["stories"][0]["url"] == "/-/digest/news/story/1"
    html = (await _get(datasette, "/-/digest/news/stories")).text
    story_2 = html.index('href="/-/digest/news/story/2"')
    assert html.index('href="/-/digest/news/story/1"') < html.index(_label(1)) < html.index(_label(2)) < story_2
    paged = await _json(datasette, "/-/digest/news/stories.json?_size=1&page=2")
    assert [s["id"] for s in paged["stories"]] == [2] and paged["previous_url"] == \
        "/-/digest/news/stories.json?page=1&_size=1"


@pytest.mark.asyncio
async def test_stories_page_lists_a_bounded_number_of_events_per_story(datasette, monkeypatch):
    monkeypatch.setattr(views, "STORY_LIST_EVENTS", 2)
    data = await _json(datasette, "/-/digest/news/stories.json")
    assert [[e["id"] for e in s["first_events"]] for s in data["stories"]] == [[1, 3], [4, 5]]
    html = (await _get(datasette, "/-/digest/news/stories")).text
    assert "All 3 events" in html and _label(2) not in html


# --- Bad ids, older databases, permissions, escaping, indexes, links ---------------------------

@pytest.mark.asyncio
@pytest.mark.parametrize("story_id,status", [("abc", 400), ("1.5", 400), (str(2**64), 400), ("9" * 5000, 400),
                                             ("999", 404), ("-1", 404), ("1~2E5", 400)])
async def test_bad_story_ids_answer_in_the_one_error_shape(datasette, story_id, status):
    data = assert_error(await _get(datasette, f"/-/digest/news/story/{story_id}.json"), status)
    assert ("story id must" if status == 400 else "Story not found") in data["error"]
    html = await _get(datasette, f"/-/digest/news/story/{story_id}")
    assert html.status_code == status and "newsdigest-error" in html.text
    assert_error(await _get(datasette, "/-/digest/nope/story/1.json"), 404)
    assert_error(await _get(datasette, "/-/digest/nope/stories.json"), 404)


@pytest.mark.asyncio
async def test_database_without_stories_keeps_every_page_working(seeds_db, tmp_path):
    older = tmp_path / "news.db"  # as built before stories: no stories table, no events.story_id or edited
    shutil.copy(seeds_db, older)
    db = sqlite_utils.Database(older)
    for index in ("events_listing", "events_in_story", "idx_events_story_id", "events_newest", "events_oldest",
                  "events_story_size", "events_story_newest"):
        db.execute(f"drop index {index}")
    db["events"].transform(drop={"story_id", "edited"}, drop_foreign_keys=["story_id"])
    db["stories"].drop()
    db.close()
    datasette = Datasette([str(older)])
    listing = await _json(datasette, "/-/digest/news.json")
    assert listing["stories_url"] is None and listing["events"]
    assert all(e["story"] is None and e["edited"] is False for e in listing["events"])
    event_id = listing["events"][0]["id"]
    event = await _json(datasette, f"/-/digest/news/{event_id}.json")
    assert event["story"] is None and event["digest"]
    for path in ("/-/digest/news", f"/-/digest/news/{event_id}"):
        html = await _get(datasette, path)
        assert html.status_code == 200 and "/story" not in html.text and "newsdigest-story" not in html.text
    for path in ("/-/digest/news/story/1", "/-/digest/news/stories"):
        assert "no stories table" in assert_error(await _get(datasette, path + ".json"), 404)["error"]
        assert (await _get(datasette, path)).status_code == 404


@pytest.mark.asyncio
async def test_restricted_stories_table_does_not_leak_through_the_pages(story_db):
    datasette = Datasette([str(story_db)], metadata={"databases": {"news": {"tables": {"stories": RESTRICTED}}}})
    secret = STORIES[1][0]
    for path in ("/-/digest/news/story/1", "/-/digest/news/stories"):
        for suffix in ("", ".json"):
            response = await _get(datasette, path + suffix)
            assert response.status_code == 403 and secret not in response.text and _label(1) not in response.text
            assert (await _get(datasette, path + suffix, ADMIN)).status_code == 200
    for path in ("/-/digest/news", "/-/digest/news.json", "/-/digest/news/2", "/-/digest/news/2.json"):
        response = await _get(datasette, path)
        assert response.status_code == 200, path
        assert secret not in response.text and "/story" not in response.text, path
        assert secret in (await _get(datasette, path, ADMIN)).text
    assert (await _json(datasette, "/-/digest/news/2.json"))["story"] is None
    assert (await _json(datasette, "/-/digest/news.json"))["stories_url"] is None


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["events", "articles", "sentences"])
async def test_story_pages_need_the_tables_the_event_pages_need(story_db, table):
    datasette = Datasette([str(story_db)], metadata={"databases": {"news": {"tables": {table: RESTRICTED}}}})
    for path in ("/-/digest/news/story/1.json", "/-/digest/news/stories.json"):
        assert_error(await _get(datasette, path), 403)
        assert (await _get(datasette, path, ADMIN)).status_code == 200


@pytest.mark.asyncio
async def test_everything_from_stories_and_articles_is_escaped(datasette):
    for path in ("/-/digest/news/story/2", "/-/digest/news/stories", "/-/digest/news?_size=200", "/-/digest/news/4",
                 "/-/digest/news/5"):
        html = (await _get(datasette, path)).text
        assert EVIL not in html, path
        assert "&lt;script&gt;" in html, path
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
            assert "<" not in block


@pytest.mark.asyncio
async def test_story_page_queries_use_indexes(datasette, query_plans):
    views.CACHE.clear()
    for path in ("/-/digest/news/story/1.json", "/-/digest/news/stories.json", "/-/digest/news/2.json",
                 "/-/digest/news.json"):
        assert (await _get(datasette, path)).status_code == 200
    plans = query_plans
    assert any("story_id = :story" in query for query, _ in plans)
    for query, details in plans:
        if "count(*) from events" in query and "where" not in query:
            continue
        whole_table = [d for d in details if re.match(r"SCAN (articles|events)\b(?! USING)", d)]
        assert not whole_table, (query, details)
        if "from stories order by" in query or "story_id = :story order by" in query:
            # a page of stories, or of a story's events, is read in order from an index, not sorted
            assert not any("TEMP B-TREE" in d for d in details), (query, details)


@pytest.mark.asyncio
async def test_every_story_link_resolves_for_names_that_need_encoding(story_db, tmp_path):
    shutil.copy(story_db, tmp_path / "x.y.db")
    datasette = Datasette([str(tmp_path / "x.y.db")], settings={"base_url": "/prefix/"})
    start = "/prefix/-/digest/x~2Ey/stories"
    seen, queue = set(), [start, start + ".json"]
    while queue and len(seen) < 200:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = await _get(datasette, url.removeprefix("/prefix"))
        assert response.status_code == 200, url
        if "/-/digest/" in url:
            if url.split("?")[0].endswith(".json"):
                found = re.findall(r'"(?:url|json_url|next_url|previous_url)": "(/[^"]+)"', response.text)
            else:
                found = [h.replace("&amp;", "&") for h in re.findall(r'href="(/prefix/[^"]+)"', response.text)]
            queue += [u for u in found if u.startswith("/prefix/-/digest/")]
    assert len(seen) < 200
    for path in ("/prefix/-/digest/x~2Ey/story/1", "/prefix/-/digest/x~2Ey/story/2.json", "/prefix/-/digest/x~2Ey/6",
                 "/prefix/-/digest/x~2Ey"):
        assert path in seen, path


# --- In a browser ------------------------------------------------------------------------------

def _browser_missing():
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed"
    if not shutil.which("chromium") and not shutil.which("chromium-browser"):
        return "chromium is not installed (apt-get install chromium)"
    return None


def _screenshot(page, name: str) -> None:
    """Kept with SAVE_SCREENSHOTS=docs, as tests/test_browser.py keeps its own."""
    folder = os.environ.get("SAVE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.browser
@pytest.mark.skipif(bool(_browser_missing()), reason=_browser_missing() or "")
def test_story_page_draws_its_chart_and_a_dot_opens_the_event(story_db, serve_datasette):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with serve_datasette(story_db) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            page.goto(served.url + "/-/digest/news/story/1", wait_until="networkidle")
            page.wait_for_function("document.querySelector('#chart-events').dataset.rendered", timeout=15000)
            _screenshot(page, "story-page.png")
            dots = page.locator("#chart-events svg g.role-mark path[role='graphics-symbol']")
            if dots.count() == 0:
                dots = page.locator("#chart-events svg g.mark-symbol path")
            assert dots.count() == 3
            dots.first.click()
            page.wait_for_url(re.compile(r"/-/digest/news/1$"), timeout=15000)
            assert _label(1) in page.content()
            assert errors == []
        finally:
            browser.close()
