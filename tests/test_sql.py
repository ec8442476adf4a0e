"""The SQL functions, on a bare sqlite3 connection and through Datasette's JSON API."""

import json
import sqlite3

import pytest
from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

from datasette_newsdigest import digest, sql, text

FLOOD = """Heavy rain flooded the lower town of Easton on Sunday, forcing hundreds of residents from their homes. The Easton River rose six feet above flood stage by Sunday evening, the weather service said. Emergency shelters opened at two schools in Easton for families driven out by the flood. The mayor of Easton said the flood was the worst the town had seen in forty years."""  # noqa: E501
FLOOD_2 = """Residents of Easton began returning home on Tuesday as the flood waters receded. The Easton River fell below flood stage on Tuesday morning, the weather service said. Insurance adjusters estimated the flood damage in Easton at several million dollars. The mayor of Easton asked the state for disaster aid after the worst flood in forty years."""  # noqa: E501

ROWS = [
    ("a1", BRIDGE_1, "2024-03-04", "bridge"),
    ("a2", BRIDGE_2, "2024-03-05", "bridge"),
    ("a3", BRIDGE_3, "2024-03-06", "bridge"),
    ("f1", FLOOD, "2024-04-01", "flood"),
    ("f2", FLOOD_2, "2024-04-03", "flood"),
    ("n1", None, None, "nulls"),
    ("e1", "", None, "empties"),
]
BODIES = {row[0]: row[1] for row in ROWS}


def _create(conn):
    conn.execute(
        "create table articles (id text primary key, body text, published text, event_id text)"
    )
    conn.executemany("insert into articles values (?, ?, ?, ?)", ROWS)
    conn.commit()


@pytest.fixture
def conn():
    conn = sqlite3.connect(":memory:")
    sql.register(conn, {})
    _create(conn)
    yield conn
    conn.close()


def _is_from(article_id, position, sentence):
    return text.split_sentences(BODIES[article_id])[position].endswith(sentence)


def test_newsdigest_group_by_event(conn):
    rows = dict(conn.execute(
        """select event_id, newsdigest(body, '{"sentences": 2}') from
           (select * from articles order by published) group by event_id"""
    ).fetchall())
    assert rows["nulls"] is None
    assert rows["empties"] == ""
    flood = rows["flood"].split("\n")
    assert len(flood) == 2
    flood_sentences = text.split_sentences(FLOOD) + text.split_sentences(FLOOD_2)
    assert all(s in flood_sentences for s in flood)
    bridge = rows["bridge"].split("\n")
    assert len(bridge) == 2 and not any("Easton" in s for s in bridge)


def test_newsdigest_without_options_and_over_no_rows(conn):
    digest_text = conn.execute("select newsdigest(body) from articles").fetchone()[0]
    assert len(digest_text.split("\n")) == digest.DEFAULT_SENTENCES
    assert conn.execute("select newsdigest(body) from articles where 0").fetchone()[0] is None


def test_newsdigest_word_budget(conn):
    result = conn.execute(
        """select newsdigest(body, '{"words": 50, "order": "score"}') from articles
           where event_id = 'bridge'"""
    ).fetchone()[0]
    counts = [text.count_words(s) for s in result.split("\n")]
    assert sum(counts) >= 50 > sum(counts) - counts[-1]


@pytest.mark.parametrize("method", digest.METHODS)
def test_newsdigest_json_attribution_for_every_method(conn, method):
    options = json.dumps({"sentences": 3, "method": method})
    result = json.loads(conn.execute(
        "select newsdigest_json(id, body, ?) from articles where event_id = 'bridge'", [options]
    ).fetchone()[0])
    assert len(result) == 3
    assert all(set(item) == {"id", "position", "sentence", "score"} for item in result)
    assert all(_is_from(i["id"], i["position"], i["sentence"]) for i in result)
    assert len({(i["id"], i["position"]) for i in result}) == 3


def test_newsdigest_json_with_json_each_and_sentences_table(conn):
    conn.execute("create table sentences (article_id text, position integer, text text)")
    conn.execute(
        """insert into sentences select articles.id, s.key, s.value
           from articles, json_each(newsdigest_sentences(articles.body)) s"""
    )
    rows = conn.execute(
        """select d.value ->> 'id', d.value ->> 'position', s.text, d.value ->> 'sentence'
           from json_each((select newsdigest_json(id, body, '{"sentences": 3}')
                           from articles where event_id = 'flood')) d
           join sentences s on s.article_id = d.value ->> 'id'
                           and s.position = d.value ->> 'position'"""
    ).fetchall()
    assert len(rows) == 3
    assert all(stored.endswith(picked) for _, _, stored, picked in rows)


def test_newsdigest_json_null_and_empty(conn):
    query = "select newsdigest_json(id, body) from articles where event_id = ?"
    assert conn.execute(query, ["nulls"]).fetchone()[0] is None
    assert conn.execute(query, ["empties"]).fetchone()[0] == "[]"


def test_newsdigest_summarize(conn):
    rows = conn.execute(
        """select id, newsdigest_summarize(body, '{"sentences": 2}') from articles order by id"""
    ).fetchall()
    result = dict(rows)
    assert result["n1"] is None and result["e1"] == ""
    for article_id in ("a1", "a2", "f1"):
        picked = result[article_id].split("\n")
        assert len(picked) == 2
        assert all(any(s.endswith(p) for s in text.split_sentences(BODIES[article_id]))
                   for p in picked)
    one_arg = conn.execute("select newsdigest_summarize(?)", [BRIDGE_3]).fetchone()[0]
    assert len(one_arg.split("\n")) == digest.DEFAULT_SENTENCES


def test_newsdigest_sentences(conn):
    result = json.loads(conn.execute("select newsdigest_sentences(?)", [FLOOD]).fetchone()[0])
    assert result == text.split_sentences(FLOOD)
    assert conn.execute("select newsdigest_sentences(null)").fetchone()[0] is None
    assert conn.execute("select newsdigest_sentences('')").fetchone()[0] == "[]"
    assert json.loads(conn.execute("select newsdigest_sentences(42)").fetchone()[0]) == ["42"]


@pytest.mark.parametrize(
    "options, message",
    [('{"word": 3}', 'unknown option "word"'), ("nope", "JSON object"),
     ('{"method": "bert"}', "unknown method"), ('{"sentences": 2, "words": 5}', "not both")],
)
def test_bad_options_return_the_message(conn, options, message):
    text_result, json_result, summary = conn.execute(
        """select newsdigest(body, :o), newsdigest_json(id, body, :o),
                  max(newsdigest_summarize(body, :o)) from articles""",
        {"o": options},
    ).fetchone()
    assert text_result.startswith(sql.ERROR_PREFIX) and message in text_result
    assert message in json.loads(json_result)[0]["error"]
    assert summary.startswith(sql.ERROR_PREFIX) and message in summary


def test_wrong_argument_count_is_sqlites_own_error(conn):
    with pytest.raises(sqlite3.OperationalError, match="wrong number of arguments"):
        conn.execute("select newsdigest(body, '{}', 3) from articles")


def test_huge_input_is_refused_by_the_configured_cap():
    conn = sqlite3.connect(":memory:")
    sql.register(conn, {"max_chars": 1000})
    _create(conn)
    big = "Word salad here. " * 10_000
    conn.execute("insert into articles values ('big', ?, null, 'big')", [big])
    result = conn.execute(
        "select newsdigest(body) from articles where event_id = 'big'"
    ).fetchone()[0]
    assert result.startswith(sql.ERROR_PREFIX) and "max_chars" in result
    summary, sentences = conn.execute(
        """select newsdigest_summarize(body), newsdigest_sentences(body)
           from articles where id = 'big'"""
    ).fetchone()
    assert "max_chars" in summary and "max_chars" in json.loads(sentences)[0]["error"]
    small = conn.execute("select newsdigest_summarize(body) from articles where id = 'f1'")
    assert not small.fetchone()[0].startswith(sql.ERROR_PREFIX)


def test_bad_plugin_config_fails_at_connection():
    with pytest.raises(digest.DigestError, match="max_chars"):
        sql.register(sqlite3.connect(":memory:"), {"max_chars": -1})


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    """Written once: the tests below only read it."""
    path = tmp_path_factory.mktemp("sql") / "news.db"
    conn = sqlite3.connect(path)
    _create(conn)
    conn.close()
    return path


async def _query(ds, sql_text, **params):
    params = {"sql": sql_text, "_shape": "array", **params}
    return await ds.client.get("/news.json", params=params)


@pytest.mark.asyncio
async def test_datasette_group_by(db_path, shared_datasette):
    ds = shared_datasette(db_path)
    response = await _query(
        ds,
        """select event_id, newsdigest(body, '{"words": 30}') as digest,
                  newsdigest_json(id, body, '{"sentences": 2}') as json
           from articles where event_id in ('bridge', 'flood') group by event_id""",
    )
    assert response.status_code == 200
    rows = {row["event_id"]: row for row in response.json()}
    assert set(rows) == {"bridge", "flood"}
    for row in rows.values():
        assert sum(text.count_words(s) for s in row["digest"].split("\n")) >= 30
        assert all(_is_from(i["id"], i["position"], i["sentence"]) for i in json.loads(row["json"]))
    assert {i["id"][0] for i in json.loads(rows["flood"]["json"])} == {"f"}


@pytest.mark.asyncio
async def test_datasette_scalar_functions(db_path, shared_datasette):
    ds = shared_datasette(db_path)
    response = await _query(
        ds,
        "select newsdigest_summarize(body, :o) as s, newsdigest_sentences(body) as j "
        "from articles where id = 'f2'",
        o='{"sentences": 1}',
    )
    row = response.json()[0]
    assert row["s"] in text.split_sentences(FLOOD_2)
    assert json.loads(row["j"]) == text.split_sentences(FLOOD_2)


@pytest.mark.asyncio
async def test_datasette_shows_bad_options_message(db_path, shared_datasette):
    ds = shared_datasette(db_path)
    response = await _query(ds, """select newsdigest(body, '{"sentence": 3}') as d from articles""")
    assert response.status_code == 200
    assert response.json()[0]["d"] == (
        sql.ERROR_PREFIX + 'unknown option "sentence"; expected: sentences, words, method, order'
    )


@pytest.mark.asyncio
async def test_datasette_plugin_config_caps_work(db_path, shared_datasette):
    ds = shared_datasette(db_path, metadata={"plugins": {"datasette-newsdigest": {"max_chars": 800}}})
    response = await _query(ds, "select newsdigest(body) as d from articles")
    assert "max_chars" in response.json()[0]["d"]
