"""The events list's search, filters, sorts and keyset paging (issue 13, item 4), through
Datasette's test client: what each finds, that the JSON and the HTML agree and their links keep
the filters, that every bad value is a 400 in the one error shape, that only viewable tables are
searched, that the queries read indexes, and that ``--add`` keeps the search index current."""

import json
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from pages import assert_error

from datasette_newsdigest import views
from datasette_newsdigest.cli import cli

EVIL = "<script>alert('x')</script>"
TOPICS = {
    "dam": ("Dam bursts above Sanok",
            "The Tarnow dam above Sanok burst on Tuesday night, flooding the valley below. Officials in Sanok "
            "said 1,200 people were moved to the school in Lesko. Engineer Marta Kowal said cracks had been "
            "reported to the council in March. Rescue crews from three towns worked through the night."),
    "fire": ("Wildfire sweeps hills near Ravello",
             "A wildfire swept the wooded hills near Ravello on Sunday, forcing farmers from their vineyards. "
             "Firefighters flew water bombers from Naples airport through the afternoon. The regional governor "
             "said the blaze began at a rubbish tip beside the coast road. Smoke closed the motorway to Salerno "
             "for six hours."),
    "vote": ("Harbour council vote delayed in Tromsø",
             "The Tromsø harbour council postponed its vote on the new ferry terminal until October. Councillors "
             "asked for a second study of the seabed after fishermen complained. The mayor said the delay would "
             "cost the port two shipping contracts."),
}


def _article(topic, i, day, outlet):
    title, body = TOPICS[topic]
    return {"id": f"{topic}{i}", "title": title + ("" if i == 0 else f" ({i})"), "outlet": outlet,
            "published": day, "url": f"https://example.com/{topic}/{i}",
            "body": body + f" Report number {i} from {outlet}."}


ARTICLES = (
    [_article("dam", i, f"2023-05-0{1 + i % 2}", ["Daily", "Wire", f"Post {EVIL}"][i % 3]) for i in range(4)]
    + [_article("fire", i, f"2023-07-1{i}", ["Wire", "Herald"][i % 2]) for i in range(3)]
    + [_article("vote", i, "2023-09-01", f"Post {EVIL}") for i in range(2)]
)


@pytest.fixture(scope="module")
def list_db(build_news_db):
    return build_news_db(ARTICLES)


@pytest.fixture
def datasette(list_db, shared_datasette):
    return shared_datasette(list_db)


async def _json(datasette, path, cookies=None):
    response = await datasette.client.get(path, cookies=cookies or {})
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


async def _sql(datasette, sql, **params):
    args = "&".join(f"{k}={v}" for k, v in params.items())
    return (await datasette.client.get(f"/news.json?sql={sql}&_shape=array&{args}")).json()


async def _event_of(datasette, article_id):
    return (await _sql(datasette, "select+event_id+from+articles+where+id%3D%3Aid", id=article_id))[0]["event_id"]


async def _ids(datasette, query=""):
    data = await _json(datasette, f"/-/digest/news.json?_size=200{query}")
    assert data["total"] == len(data["events"])
    return [e["id"] for e in data["events"]]


@pytest.mark.asyncio
async def test_search_finds_events_by_label_and_by_digest_sentence(datasette):
    dam, fire = await _event_of(datasette, "dam0"), await _event_of(datasette, "fire0")
    data = await _json(datasette, "/-/digest/news.json?q=Sanok")
    assert [e["id"] for e in data["events"]] == [dam] and data["searched"] == ["labels", "digest sentences"]
    assert data["filters"]["q"] == "Sanok" and data["total"] == 1
    assert await _ids(datasette, "&q=firefighters") == [fire]  # in the digest, not the label
    assert await _ids(datasette, "&q=wildfires") == [fire]  # stemmed, as the FTS tables are
    assert await _ids(datasette, "&q=Sanok+firefighters") == []  # every word must match one text
    assert await _ids(datasette, "&q=nothingmatchesthis") == []


@pytest.mark.asyncio
async def test_outlet_date_and_story_filters(datasette):
    dam, fire, vote = [await _event_of(datasette, a) for a in ("dam0", "fire0", "vote0")]
    assert await _ids(datasette, "&outlet=Herald") == [fire]
    assert await _ids(datasette, "&outlet=Herald&outlet=Daily") == [dam, fire]  # any of them
    assert set(await _ids(datasette, "&outlet=Wire")) == {dam, fire}
    # events that overlap the range: last article on or after since, first on or before until
    june = await _event_of(datasette, "0fd5f6e5d3c7c975")  # a seed, 2023-06-05
    assert await _ids(datasette, "&since=2023-05-02&until=2023-07-10") == [dam, fire, june]
    assert await _ids(datasette, "&since=2023-06-06&until=2023-07-10") == [fire]
    assert await _ids(datasette, "&since=2023-07-13") == [vote]
    assert await _ids(datasette, "&until=2023-05-01") == [dam]
    story = (await _sql(datasette, "select+story_id+from+events+where+id%3D%3Aid", id=fire))[0]["story_id"]
    expected = [r["id"] for r in await _sql(datasette, "select+id+from+events+where+story_id%3D%3As", s=story)]
    assert sorted(await _ids(datasette, f"&story={story}")) == sorted(expected)
    assert await _ids(datasette, "&outlet=Wire&q=Ravello&since=2023-07-01") == [fire]  # all at once


@pytest.mark.asyncio
@pytest.mark.parametrize("sort, sql", [
    ("size", "articles desc, last_published is null, last_published desc, id"),
    ("newest", "last_published is null, last_published desc, id"),
    ("oldest", "first_published is null, first_published, id"),
])
async def test_each_sort_is_that_order_and_keyset_pages_walk_it_both_ways(datasette, sort, sql):
    expected = [r["id"] for r in await _sql(datasette, f"select+id+from+events+order+by+{sql.replace(' ', '+')}")]
    assert await _ids(datasette, f"&_sort={sort}") == expected
    pages, url = [], f"/-/digest/news.json?_sort={sort}&_size=2"
    while url and len(pages) < 20:
        pages.append(await _json(datasette, url))
        url = pages[-1]["next_url"]
    assert [e["id"] for p in pages for e in p["events"]] == expected
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1)) and pages[0]["pages"] == len(pages)
    for earlier, page in zip(pages, pages[1:]):
        assert "_sort=" + sort in page["previous_url"] or sort == "size"
        assert (await _json(datasette, page["previous_url"]))["events"] == earlier["events"]
    assert pages[-1]["next_url"] is None and pages[0]["previous_url"] is None


@pytest.mark.asyncio
async def test_links_keep_the_filters_and_the_html_form_shows_them(datasette):
    first = await _json(datasette, "/-/digest/news.json?outlet=Wire&_size=1&_sort=oldest&since=2023-01-01")
    assert first["total"] == 2
    asked = parse_qs(urlsplit(first["next_url"]).query)
    assert asked["outlet"] == ["Wire"] and asked["_sort"] == ["oldest"] and asked["since"] == ["2023-01-01"]
    second = await _json(datasette, first["next_url"])
    assert second["next_url"] is None and second["events"][0]["id"] != first["events"][0]["id"]
    html = (await datasette.client.get("/-/digest/news?outlet=Wire&_size=1&_sort=oldest&q=Ravello")).text
    assert 'name="q" value="Ravello"' in html and 'name="outlet" value="Wire"' in html
    assert '<option value="oldest" selected>' in html and 'name="_size" value="1"' in html
    assert f'<option value="Post {EVIL.replace("<", "&lt;").replace(">", "&gt;")}' .replace("'", "&#39;") in html
    assert EVIL not in html
    # the JSON link carries the same filters
    assert 'href="/-/digest/news.json?outlet=Wire&amp;_size=1&amp;_sort=oldest&amp;q=Ravello"' in html


@pytest.mark.asyncio
async def test_hostile_search_text_is_searched_as_words(datasette):
    for q in ['"', 'Sanok"', "NEAR(", "*", "a OR", "title:x", "'; drop table events; --", "\\", "^", "-Sanok",
              "Sanok AND", "é" * 50, EVIL]:
        data = await _json(datasette, "/-/digest/news.json?q=" + q.replace("%", "%25").replace("&", "%26")
                           .replace("#", "%23").replace(";", "%3B").replace("+", "%2B"))
        assert data["filters"]["q"] == q.strip()
    assert await _ids(datasette, '&q="Sanok"') == [await _event_of(datasette, "dam0")]
    html = (await datasette.client.get(f"/-/digest/news?q={EVIL}")).text
    assert EVIL not in html and "&lt;script&gt;" in html


@pytest.mark.asyncio
@pytest.mark.parametrize("query, message", [
    ("q=" + "x" * 501, "q must be at most 500"),
    ("since=2023-13-01", "since must be a date"),
    ("since=yesterday", "since must be a date"),
    ("until=2023-1-1", "until must be a date"),
    ("since=2023-05-02&until=2023-05-01", "must not be after"),
    ("_sort=articles", "_sort must be one of size, newest, oldest"),
    ("_sort=" + "x" * 5000, "_sort must be one of"),
    ("story=abc", "story must be a whole number"),
    ("story=" + str(2**63), "story must be between"),
    ("outlet=" + "x" * 301, "an outlet must be at most"),
    ("&".join(f"outlet=o{i}" for i in range(21)), "at most 20 outlet values"),
    ("_next=1", "_next must have 3"),
    ("_next=1,2,3,4", "_next must have 3"),
    ("_next=x,2023-01-01,1", "_next must be a whole number"),
    ("_next=" + str(2**64) + ",2023-01-01,1", "_next must be between"),
    ("_next=1,$null,$null", "_next must be a whole number"),
    ("_next=1," + "9" * 101 + ",1", "at most 100 characters"),
    ("_sort=newest&_next=1,2,3", "_next must have 2"),
    ("_next=1,2023-01-01,1&page=2", "page or _next"),
    ("_size=0", "_size must be between"),
    ("page=99", "page must be between"),
])
async def test_bad_values_are_400s_in_the_one_error_shape(datasette, query, message):
    data = assert_error(await datasette.client.get(f"/-/digest/news.json?{query}"), 400)
    assert message in data["error"]
    html = await datasette.client.get(f"/-/digest/news?{query}")
    assert html.status_code == 400 and "<script>alert" not in html.text


@pytest.mark.asyncio
async def test_a_next_token_past_the_end_or_of_null_dates_answers(datasette):
    assert (await _json(datasette, "/-/digest/news.json?_next=0,2000-01-01,1"))["events"] == []
    data = await _json(datasette, "/-/digest/news.json?_sort=newest&_next=$null,0")
    assert all(e["last_published"] is None for e in data["events"]) and data["events"]


@pytest.mark.asyncio
async def test_search_reads_only_the_tables_the_actor_may_view(list_db):
    hidden = {"allow": {"id": "admin"}}
    datasette = Datasette([str(list_db)], metadata={"databases": {"news": {"tables": {"digest_sentences": hidden}}}})
    data = await _json(datasette, "/-/digest/news.json?q=firefighters")
    assert data["searched"] == ["labels"] and data["events"] == []  # the digest sentences are not searched
    assert (await _json(datasette, "/-/digest/news.json?q=Ravello"))["total"] == 1
    datasette = Datasette([str(list_db)], metadata={"databases": {"news": {"tables": {
        "digest_sentences": hidden, "events_fts": hidden}}}})
    assert "no full-text index you may search" in assert_error(
        await datasette.client.get("/-/digest/news.json?q=Ravello"), 400)["error"]
    assert (await _json(datasette, "/-/digest/news.json"))["searched"] == []
    datasette = Datasette([str(list_db)], metadata={"databases": {"news": {"tables": {"stories": hidden}}}})
    assert_error(await datasette.client.get("/-/digest/news.json?story=1"), 403)
    html = (await datasette.client.get("/-/digest/news")).text
    assert 'name="story"' not in html


@pytest.mark.asyncio
async def test_list_queries_read_indexes_in_order(datasette, query_plans):
    views.CACHE.clear()
    for query in ("", "_sort=newest", "_sort=oldest", "q=Sanok", "outlet=Wire", "since=2023-05-01&until=2023-09-01",
                  "story=1", "outlet=Wire&q=fire&_sort=newest", "_size=1&_next=1,2023-05-02,3",
                  "_sort=oldest&_size=1&_next=2023-05-01,1", "_sort=newest&_size=1&_next=2023-09-01,4",
                  "q=fire&_sort=oldest&_size=1&_next=2023-05-01,1"):
        assert (await datasette.client.get(f"/-/digest/news.json?{query}")).status_code == 200, query
    # the list's own queries: its counts, its pages, the previous page's keys, its outlet names
    plans = [(q, d) for q, d in query_plans
             if re.match(r"select [^()]*(count\(\*\))? from events where ", q) or q.startswith("select event_id, outlet")]
    assert len(plans) >= 30
    assert any("_fts match" in q for q, _ in plans) and any(":k0" in q for q, _ in plans)
    for query, details in plans:
        if re.match(r"select count\(\*\) from events where 1$", query):
            continue
        assert not [d for d in details if re.match(r"SCAN (articles|events)\b(?! USING)", d)], (query, details)
        assert not any("TEMP B-TREE" in d for d in details), (query, details)


@pytest.mark.asyncio
async def test_add_keeps_the_label_search_current(list_db, tmp_path):
    db = tmp_path / "news.db"
    shutil.copy(list_db, db)
    title = "Ferry capsizes off Lofoten coast"
    body = ("A ferry capsized off the Lofoten coast on Friday with forty passengers aboard. Coastguard boats "
            "pulled thirty-eight people from the cold water. Two crew members are still missing.")
    new = tmp_path / "ferry.jsonl"
    new.write_text("\n".join(json.dumps({"id": f"ferry{i}", "title": title, "outlet": "Wire", "body": body,
                                         "published": "2023-10-02"}) for i in range(2)) + "\n")
    result = CliRunner().invoke(cli, ["build", "--add", str(db), str(new)])
    assert result.exit_code == 0, result.output
    datasette = Datasette([str(db)])
    found = await _json(datasette, "/-/digest/news.json?q=Lofoten")
    assert [e["label"] for e in found["events"]] == [title]
    assert (await _json(datasette, "/-/digest/news.json?q=coastguard"))["total"] == 1  # its digest too
