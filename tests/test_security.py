"""Security and bounded work on the server (issue 9): permissions, work caps, configuration,
time limits, bounded arguments, tilde-encoded names and one error shape."""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from datasette.app import Datasette
from datasette.database import Database, QueryInterrupted
from datasette.utils import StartupError, tilde_encode
from pages import assert_error

from datasette_newsdigest import digest, sql, views

ADMIN = {"id": "admin"}
DATASETTE = Path(sys.executable).with_name("datasette")


def _article(i):
    return {
        "id": f"a{i}", "title": f"Secret dam report {i}", "author": "Marta Kowal",
        "outlet": ["Daily", "Wire"][i % 2], "published": f"2023-05-0{1 + i % 2}",
        "url": f"https://example.com/{i}",
        "body": (
            "The Tarnow dam above Sanok burst on Tuesday night, flooding the valley below. "
            "Officials in Sanok said 1,200 people were moved to the school in Lesko. "
            f"Engineer Marta Kowal said cracks had been reported to the council in March, report {i}."
        ),
    }


@pytest.fixture(scope="module")
def news_db(build_news_db):
    return build_news_db([_article(i) for i in range(3)])


@pytest.fixture
def datasette(news_db, shared_datasette):
    """The database with Datasette's defaults, one instance for the tests that only send requests."""
    return shared_datasette(news_db)


def _cookies(datasette, actor):
    return {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}


async def _get(datasette, path, actor=None):
    return await datasette.client.get(path, cookies=_cookies(datasette, actor))


async def _event_id(datasette):
    return (await _get(datasette, "/-/digest/news.json", ADMIN)).json()["events"][0]["id"]


# --- Permissions -------------------------------------------------------------------------------

RESTRICTED = {"allow": ADMIN}


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["articles", "events", "sentences"])
async def test_table_denial_hides_the_pages_and_links(news_db, shared_datasette, table):
    datasette = shared_datasette(news_db, metadata={"databases": {"news": {"tables": {table: RESTRICTED}}}})
    event_id = await _event_id(datasette)
    for path in ("/-/digest/news", "/-/digest/news.json", f"/-/digest/news/{event_id}",
                 f"/-/digest/news/{event_id}.json"):
        response = await _get(datasette, path)
        assert response.status_code == 403, path
        assert "Secret dam report" not in response.text and "Marta Kowal" not in response.text
        assert (await _get(datasette, path, ADMIN)).status_code == 200
    assert_error(await _get(datasette, "/-/digest/news.json"), 403)
    for page in ("/", "/news"):  # Datasette's menu and the database's actions
        assert 'href="/-/digest/news"' not in (await _get(datasette, page)).text
        assert 'href="/-/digest/news"' in (await _get(datasette, page, ADMIN)).text


@pytest.mark.asyncio
async def test_issue_scenario_tables_and_sql_restricted(news_db, shared_datasette):
    restricted = {t: RESTRICTED for t in ("articles", "sentences", "events")}
    datasette = shared_datasette(news_db, metadata={
        "allow_sql": ADMIN, "databases": {"news": {"tables": restricted}}})
    event_id = await _event_id(datasette)
    for path in ("/-/digest/news", "/-/digest/news.json", f"/-/digest/news/{event_id}",
                 f"/-/digest/news/{event_id}.json"):
        response = await _get(datasette, path)
        assert response.status_code == 403
        assert "Secret dam report" not in response.text and "example.com" not in response.text


@pytest.mark.asyncio
async def test_database_denial_hides_the_pages(news_db, shared_datasette):
    datasette = shared_datasette(news_db, metadata={"databases": {"news": RESTRICTED}})
    assert_error(await _get(datasette, "/-/digest/news.json"), 403)
    assert (await _get(datasette, "/-/digest/news.json", ADMIN)).status_code == 200


@pytest.mark.asyncio
async def test_sql_denial_keeps_default_digests_but_not_chosen_ones(news_db, shared_datasette):
    """Without execute-sql the pages work like Datasette's table pages (fixed queries), but a
    digest of the asker's choosing (length, method) is what the SQL functions compute: 403."""
    datasette = shared_datasette(news_db, metadata={"allow_sql": ADMIN})
    event_id = await _event_id(datasette)
    assert (await _get(datasette, "/news.json?sql=select+1")).status_code == 403
    assert (await _get(datasette, "/-/digest/news.json")).status_code == 200
    page = await _get(datasette, f"/-/digest/news/{event_id}")
    assert page.status_code == 200 and 'name="method"' not in page.text
    for query in ("method=lexrank", "sentences=3", "words=50"):
        assert_error(await _get(datasette, f"/-/digest/news/{event_id}.json?{query}"), 403)
        assert (await _get(datasette, f"/-/digest/news/{event_id}.json?{query}", ADMIN)).status_code == 200
    assert 'name="method"' in (await _get(datasette, f"/-/digest/news/{event_id}", ADMIN)).text


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.slow
def test_real_server_denies_a_restricted_page(news_db, tmp_path, serve_datasette):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"databases": {"news": {"tables": {"articles": RESTRICTED}}}}))
    with serve_datasette(news_db, metadata) as served:
        status, body = _status(f"{served.url}/-/digest/news.json")
        assert status == 403 and json.loads(body)["status"] == 403
        status, body = _status(f"{served.url}/-/digest/news/1")
        assert status == 403 and "Secret dam report" not in body
        status, body = _status(f"{served.url}/news/articles.json")
        assert status == 403


# --- Work caps ---------------------------------------------------------------------------------

def _word(n):
    """The n-th word of three or more letters (aaa, aab, ...)."""
    s, n = "", n + 26 + 26**2 + 1
    while n:
        n, r = divmod(n - 1, 26)
        s += "abcdefghijklmnopqrstuvwxyz"[r]
    return s


def _distinct_text(sentences, words, start=0):
    """Sentences of words that never repeat: the worst case for every method."""
    out, k = [], start
    for _ in range(sentences):
        out.append("W" + " ".join(_word(j) for j in range(k, k + words)) + ".")
        k += words
    return " ".join(out)


@pytest.fixture
def recorded(monkeypatch):
    """What each method is given, without running it: (method, sentences, words, distinct words)."""
    calls = []

    def record(method, pool):
        words = [w for tokens in pool.tokens for w in tokens]
        calls.append((method, len(pool.sentences), len(words), len(set(words))))
        return np.zeros(len(pool.sentences))

    original = digest._concept_digest

    def record_default(pool, budget, *args):
        record("default", pool)
        return original(pool, budget, *args)

    monkeypatch.setattr(digest, "_sumy_ratings", record)
    monkeypatch.setattr(digest, "_concept_digest", record_default)
    return calls


HOSTILE = _distinct_text(300, 300)  # 300 sentences x 300 distinct words, under max_chars
assert len(HOSTILE) < digest.DEFAULT_MAX_CHARS


@pytest.mark.parametrize("method", [m for m in digest.METHODS if m != "default"])
def test_every_sumy_method_reads_at_most_its_word_cap(recorded, method):
    digest.summarize(HOSTILE, method=method)
    (_, n, words, distinct), = recorded
    assert 0 < words <= digest.DEFAULT_MAX_WORDS[method]
    assert distinct <= digest.DEFAULT_MAX_VOCABULARY[method]
    assert n <= digest.DEFAULT_MAX_SENTENCES[method]


def test_default_method_reads_at_most_max_vocabulary_distinct_words(recorded, monkeypatch):
    stemmed = []
    encode = digest._encode
    monkeypatch.setattr(digest, "_encode", lambda tokens: stemmed.append(
        len({w for t in tokens for w in t})) or encode(tokens))
    digest.summarize(HOSTILE)
    (_, _, _, distinct), = recorded
    assert 0 < distinct <= digest.DEFAULT_MAX_VOCABULARY["default"]
    assert max(stemmed) <= digest.DEFAULT_MAX_VOCABULARY["default"]  # nothing beyond is even stemmed


def test_word_cap_keeps_leads_and_skips_what_does_not_fit(recorded):
    limits = digest.Limits(max_words={"lexrank": 100})
    first = [digest.Document("long", _distinct_text(1, 150) + " " + _distinct_text(3, 10, 1000))]
    others = [digest.Document(f"d{i}", _distinct_text(5, 10, 2000 + 100 * i)) for i in range(4)]
    picks = digest.digest(first + others, sentences=20, method="lexrank", limits=limits)
    (_, n, words, _), = recorded
    assert words <= 100 and n == 10
    # the 150-word lead does not fit and is skipped; the rest is read lead first
    assert {(p.id, p.position) for p in picks} == (
        {("long", 1), ("long", 2)} | {(f"d{i}", pos) for i in range(4) for pos in (0, 1)}
    )


def test_sql_functions_apply_the_word_caps(recorded):
    conn = sqlite3.connect(":memory:")
    sql.register(conn, {"max_words": {"kl": 650}, "max_vocabulary": 1000})
    conn.execute("select newsdigest_summarize(?, ?)", [HOSTILE, '{"method": "kl"}']).fetchone()
    conn.execute("select newsdigest(?, ?)", [HOSTILE, '{"method": "lexrank"}']).fetchone()
    (_, _, kl_words, _), (_, _, lexrank_words, lexrank_distinct) = recorded
    assert kl_words == 600 and lexrank_words == lexrank_distinct == 900  # whole 300-word sentences


@pytest.mark.asyncio
async def test_pages_apply_the_configured_word_caps(news_db, shared_datasette, recorded):
    datasette = shared_datasette(news_db, metadata={"plugins": {"datasette-newsdigest": {
        "max_words": 40, "method": "lexrank"}}})
    event_id = await _event_id(datasette)
    assert (await _get(datasette, f"/-/digest/news/{event_id}.json?method=luhn")).status_code == 200
    assert recorded and all(0 < words <= 40 for _, _, words, _ in recorded)
    assert {"lexrank", "luhn"} <= {method for method, *_ in recorded}


# --- Configuration -----------------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.parametrize("config,key", [
    ({"max_chars": 0}, "max_chars"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": 10_000}, "page_size"),
    ({"list_sentences": "3"}, "list_sentences"),
    ({"method": "nope"}, "method"),
    ({"max_words": {"bert": 5}}, "max_words"),
    ({"max_vocabulary": -1}, "max_vocabulary"),
    ({"max_sumy_sentences": {"kl": 0}}, "max_sumy_sentences.kl"),
    ({"max_char": 5}, "max_char"),
])
async def test_bad_config_fails_at_startup_naming_the_key(news_db, config, key):
    datasette = Datasette([str(news_db)], metadata={"plugins": {"datasette-newsdigest": config}})
    with pytest.raises(StartupError, match=re.escape(key)):
        await datasette.invoke_startup()


@pytest.mark.asyncio
async def test_bad_database_config_fails_at_startup_naming_database_and_key(news_db):
    datasette = Datasette([str(news_db)], metadata={"databases": {"news": {"plugins": {
        "datasette-newsdigest": {"max_chars": 0}}}}})
    with pytest.raises(StartupError, match="databases: news: .*max_chars"):
        await datasette.invoke_startup()


@pytest.mark.asyncio
async def test_config_is_read_once_and_shared(news_db, monkeypatch):
    from datasette_newsdigest import settings

    datasette = Datasette([str(news_db)], metadata={"plugins": {"datasette-newsdigest": {"max_chars": 900}}})
    await datasette.invoke_startup()
    read = []
    original = settings.Settings.from_config.__func__
    monkeypatch.setattr(settings.Settings, "from_config",
                        classmethod(lambda cls, config: read.append(config) or original(cls, config)))
    assert (await _get(datasette, "/-/digest/news.json")).status_code == 200
    assert (await _get(datasette, "/-/digest/news/1.json?sentences=2")).status_code in (200, 400)
    response = await _get(datasette, "/news.json?sql=select+newsdigest_summarize(body)+as+d+from+articles&_shape=array")
    assert "max_chars" in response.json()[0]["d"]  # prepare_connection used the same Settings
    assert read == [], read
    shared = settings.for_database(datasette, "news")
    assert shared is settings.for_database(datasette, "news") and hash(shared)
    assert shared.limits.max_chars == 900


@pytest.mark.slow
def test_real_server_with_bad_config_exits_with_the_message(news_db, tmp_path, free_port):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"plugins": {"datasette-newsdigest": {"max_chars": 0}}}))
    result = subprocess.run(
        [str(DATASETTE), "serve", str(news_db), "-m", str(metadata), "-h", "127.0.0.1",
         "-p", str(free_port())],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "max_chars must be a positive whole number" in result.stderr
    assert "Traceback" not in result.stderr


# --- Time limit, bounded arguments, one error shape -------------------------------------------

@pytest.mark.asyncio
async def test_query_time_limit_is_a_clear_503(datasette, monkeypatch):
    event_id = await _event_id(datasette)
    execute = Database.execute

    async def slow(self, sql_, *args, **kwargs):
        if "from events" in sql_ or "from articles" in sql_:
            raise QueryInterrupted(Exception("interrupted"), sql_, None)
        return await execute(self, sql_, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", slow)
    for path in ("/-/digest/news", f"/-/digest/news/{event_id}"):
        assert "sql_time_limit_ms" in assert_error(await _get(datasette, path + ".json"), 503)["error"]
        html = await _get(datasette, path)
        assert html.status_code == 503 and "sql_time_limit_ms" in html.text
    # the menu, on every page Datasette serves, leaves the link out rather than failing
    monkeypatch.setattr(Database, "table_exists", lambda self, table: slow(self, "select 1 from events"))
    home = await _get(datasette, "/")
    assert home.status_code == 200 and "/-/digest/news" not in home.text


@pytest.mark.asyncio
async def test_page_queries_use_indexes(datasette, query_plans):
    views.CACHE.clear()  # so the digests' own queries run too
    event_id = await _event_id(datasette)
    assert (await _get(datasette, f"/-/digest/news/{event_id}.json")).status_code == 200
    # the default digest is read from digest_sentences; one of the asker's choosing is computed
    assert (await _get(datasette, f"/-/digest/news/{event_id}.json?sentences=3")).status_code == 200
    plans = query_plans
    assert len(plans) >= 7 and any("body" in query for query, _ in plans)
    for query, details in plans:
        if "count(*) from events" in query:
            continue
        whole_table = [d for d in details if re.match(r"SCAN (articles|events)\b(?! USING)", d)]
        assert not whole_table, (query, details)


@pytest.mark.asyncio
@pytest.mark.parametrize("page", [str(2**63), str(2**64), "9" * 5000, "-1", "0", "2"])
async def test_page_number_is_bounded(datasette, page):
    data = assert_error(await _get(datasette, f"/-/digest/news.json?page={page}"), 400)
    assert "page must" in data["error"]
    assert (await _get(datasette, f"/-/digest/news?page={page}")).status_code == 400


@pytest.mark.asyncio
async def test_both_pages_answer_errors_in_one_shape(datasette):
    event_id = await _event_id(datasette)
    for path, status in [
        ("/-/digest/nope.json", 404), ("/-/digest/news/999999.json", 404),
        ("/-/digest/nope/1.json", 404), ("/-/digest/news.json?_size=0", 400),
        (f"/-/digest/news/{event_id}.json?method=nope", 400),
        (f"/-/digest/news/{event_id}.json?sentences=99999999999999999999", 400),
    ]:
        assert_error(await _get(datasette, path), status)


# --- Database names that need tilde-encoding ---------------------------------------------------

HREF = re.compile(r'href="([^"]+)"')
URL_KEYS = ("url", "json_url", "next_url", "previous_url", "article_url", "outlet_url", "row_url")


def _links(response):
    if response.headers["content-type"].startswith("application/json"):
        found = []

        def walk(value):
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in URL_KEYS and isinstance(item, str):
                        found.append(item)
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(response.json())
        return found
    return [h.replace("&amp;", "&") for h in HREF.findall(response.text)]


@pytest.mark.asyncio
async def test_every_link_resolves_for_names_that_need_encoding(news_db, tmp_path, shared_datasette):
    names = ["x.y", "a b", "news.json"]
    paths = []
    for name in names:
        shutil.copy(news_db, tmp_path / f"{name}.db")
        paths.append(str(tmp_path / f"{name}.db"))
    datasette = shared_datasette(*paths)
    home = await _get(datasette, "/")
    start = [h.replace("&amp;", "&") for h in HREF.findall(home.text) if "/-/digest/" in h]
    # the menu and the home page's own list link each database's events page (and its stories page)
    events_pages = {f"/-/digest/{tilde_encode(name)}" for name in names}
    assert events_pages <= set(start) <= events_pages | {page + "/stories" for page in events_pages}
    for name in names:
        database_page = await _get(datasette, datasette.urls.database(name))
        assert database_page.status_code == 200
        start += [h for h in HREF.findall(database_page.text) if "/-/digest/" in h]
    seen, queue, checked = set(), list(start), 0
    while queue and checked < 400:
        url = queue.pop()
        if url in seen or not url.startswith("/"):
            continue
        seen.add(url)
        response = await _get(datasette, url)
        checked += 1
        assert response.status_code == 200, url
        if url.startswith("/-/digest/"):
            queue += [link for link in _links(response) if link.startswith("/")]
            if not url.split("?")[0].endswith(".json"):
                queue.append(url.split("?")[0] + ".json" + (url[len(url.split("?")[0]):]))
    digest_pages = {u for u in seen if u.startswith("/-/digest/")}
    assert checked < 400 and len(digest_pages) >= 4 * len(names)
    for name in names:  # each database's events page, event pages and article rows were reached
        route = datasette.urls.database(name)
        assert any(u.startswith(route + "/articles/") for u in seen), name
        assert any(u.startswith(route + "/articles?") for u in seen), name


@pytest.mark.asyncio
async def test_table_level_config_fails_at_startup_saying_where_it_belongs(news_db):
    datasette = Datasette([str(news_db)], metadata={"databases": {"news": {"tables": {"articles": {
        "plugins": {"datasette-newsdigest": {"max_chars": 900}}}}}}})
    with pytest.raises(StartupError, match="databases: news: tables: articles: .*databases: news: plugins:"):
        await datasette.invoke_startup()
    # Other plugins' table-level blocks and plain table metadata are not ours to judge.
    fine = Datasette([str(news_db)], metadata={"databases": {"news": {"tables": {"articles": {
        "title": "Articles", "plugins": {"datasette-cluster-map": {"latitude_column": "x"}}}}}}})
    await fine.invoke_startup()


def test_settings_are_frozen_hashable_and_hold_no_mutable_value():
    import dataclasses

    from datasette_newsdigest import settings

    def walk(value):
        assert not isinstance(value, (dict, list, set)), value
        if dataclasses.is_dataclass(value):
            assert type(value).__dataclass_params__.frozen, type(value)
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    configured = settings.Settings.from_config({"max_words": {"kl": 9}, "page_size": 7})
    for value in (settings.Settings(), configured):
        walk(value)
        assert hash(value) == hash(dataclasses.replace(value))
    assert settings.Settings() == settings.Settings() and configured != settings.Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        configured.page_size = 8
