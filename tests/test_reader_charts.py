"""Charts that say something on small events, canned datasette-vega queries that return at least
two rows or say why, and JSON functions whose errors reach the user (issue 13, items 6 and 7)."""

import json
import sqlite3

import pytest
import yaml

from datasette_newsdigest import charts, sql

QUERIES = ("articles_per_day", "outlets_per_event", "event_digest", "sentences_per_article")


def test_a_one_day_timeline_is_a_dot_with_its_date():
    spec = charts.timeline([{"day": "2023-06-05", "outlet": None, "articles": 1},
                            {"day": None, "outlet": "Wire", "articles": 2}])
    point, label = spec["layer"]
    assert point["mark"]["type"] == "point" and label["mark"]["type"] == "text"
    (value,) = spec["data"]["values"]
    assert value["text"] == f"Jun 05, 2023: 1 article, {charts.UNKNOWN_OUTLET}"
    assert point["encoding"]["x"]["scale"]["domain"] == ["2023-06-04", "2023-06-06"]
    assert {e["field"] for layer in spec["layer"] for e in layer["encoding"].values()} <= set(value)
    several = charts.timeline([{"day": "2023-06-05", "outlet": "A", "articles": 2},
                               {"day": "2023-06-05", "outlet": "B", "articles": 1}])
    assert several["data"]["values"][0]["text"] == "Jun 05, 2023: 3 articles from 2 outlets"
    json.dumps(spec)


def test_support_of_a_one_article_event_says_there_is_nothing_to_compare():
    spec = charts.support([{"rank": 1, "sentence": "A dam burst.", "outlet": "Wire", "support": 1}], 1)
    assert spec["mark"]["type"] == "text" and "One article" in spec["data"]["values"][0]["message"]
    two = charts.support([{"rank": 1, "sentence": "A dam burst.", "outlet": "Wire", "support": 1}], 2)
    assert two["mark"]["type"] == "bar"


@pytest.mark.asyncio
async def test_small_event_page_charts_carry_information(seeds_db, shared_datasette):
    datasette = shared_datasette(seeds_db)
    events = (await datasette.client.get("/-/digest/news.json")).json()["events"]
    single = next(e for e in events if e["articles"] == 1 and e["first_published"])
    data = (await datasette.client.get(single["json_url"])).json()
    assert data["charts"]["timeline"]["layer"][0]["mark"]["type"] == "point"
    assert single["first_published"][:10] == data["charts"]["timeline"]["data"]["values"][0]["day"]
    assert "One article" in data["charts"]["support"]["data"]["values"][0]["message"]


def _connection(db):
    conn = sqlite3.connect(db)
    sql.register(conn, {})
    return conn


def test_canned_queries_return_two_rows_or_say_why(seeds_db, metadata):
    queries = metadata["databases"]["news"]["queries"]
    conn = _connection(seeds_db)
    events = [str(r[0]) for r in conn.execute("select id from events")] + ["", "999"]
    saying_why = 0
    for name in QUERIES:
        for event_id in events:
            rows = conn.execute(queries[name]["sql"], {"event_id": event_id, "sentences": "", "method": ""}).fetchall()
            assert rows, (name, event_id)
            if len(rows) < 2:
                assert any(isinstance(v, str) and v.startswith("(no ") for v in rows[0]), (name, event_id, rows)
                saying_why += 1
    assert saying_why  # the seeds have undated events and no event 999
    one = conn.execute(queries["event_digest"]["sql"], {"event_id": events[0], "sentences": "1", "method": ""})
    assert [r[1].startswith("(no other sentence") for r in one.fetchall()] == [False, True]


@pytest.mark.parametrize("function, field", [("newsdigest_json(id, body, '{\"sentences\": 0}')", "sentence"),
                                             ("newsdigest_json(id, body, 'nope')", "sentence"),
                                             ("newsdigest_quotes(body)", "quote"),
                                             ("newsdigest_sentences(body)", "error")])
def test_json_function_errors_read_as_a_row_not_malformed_json(field, function):
    conn = sqlite3.connect(":memory:")
    sql.register(conn, {"max_chars": 50} if "json" not in function else {})
    conn.execute("create table articles (id text, body text)")
    conn.execute("insert into articles values ('a1', ?)", ["A dam burst above the town today, officials said. " * 3])
    rows = conn.execute(f"select json_extract(j.value, '$.{field}'), json_extract(j.value, '$.error') "
                        f"from (select {function} as d from articles) as x, json_each(x.d) as j").fetchall()
    assert len(rows) == 1
    shown, error = rows[0]
    assert error and shown.endswith(error)


@pytest.mark.asyncio
async def test_a_bad_option_in_the_canned_digest_query_shows_as_a_row(seeds_db, metadata, shared_datasette):
    datasette = shared_datasette(seeds_db, metadata=metadata)
    response = await datasette.client.get("/news/event_digest.json?event_id=1&sentences=0&method=&_shape=array")
    assert response.status_code == 200, response.text
    (row,) = response.json()
    assert row["sentence"].startswith(sql.ERROR_PREFIX) and "sentences" in row["sentence"]
    page = await datasette.client.get("/news/event_digest?event_id=1&sentences=0&method=")
    assert page.status_code == 200 and sql.ERROR_PREFIX in page.text and "malformed JSON" not in page.text


def test_metadata_queries_are_the_ones_checked(metadata_path):
    assert set(yaml.safe_load(metadata_path.read_text())["databases"]["news"]["queries"]) == set(QUERIES)
