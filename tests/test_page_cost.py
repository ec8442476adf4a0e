"""The event page's cheaper paths give the page it gave before: the who-said-what section stored
at build time (``event_speakers``) equals the one made from the quotes, --add and corrections keep
it current, permissions decide as Datasette's own checks do, and the content rendered outside
Datasette's async environment is the same HTML."""

import asyncio
import concurrent.futures
import json
import shutil
from urllib.parse import urlencode

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_newsdigest import speakers, store, views

OUTLETS = ["Alpha Times", "Beta News", "Gamma Daily", "Delta Wire", None]
SEEN = [  # one sentence only its article has, so each outlet has some only it reports
    "Herons circled above flooded orchards near Oleshky.",
    "Tractors hauled stranded cattle toward higher pasture.",
    "Volunteers stacked sandbags beside the cathedral steps.",
    "Ferries evacuated pensioners across the estuary.",
    "Firefighters pumped basements along Lenin Street.",
    "Engineers measured cracks spreading through turbine halls.",
    "Schoolchildren sheltered inside gymnasium bunkers overnight.",
    "Fishermen reported dead carp littering reed beds.",
    "Nurses carried incubators upstairs at the maternity ward.",
    "Drone footage showed rooftops poking through brown water.",
]
NAMES = ["Olena Kovalenko", "Ivan Petrenko", "Maria Shevchenko", "Taras Bondarenko", "Oksana Melnyk",
         "Dmytro Kravets", "Iryna Tkachenko", "Andriy Moroz", "Yulia Savchenko", "Serhiy Lysenko",
         "Natalia Rudenko", "Pavlo Marchenko", "Hanna Polishchuk", "Viktor Hrytsenko"]


def _corpus() -> list[dict]:
    """Fourteen speakers over five outlets' articles of one event (more than the page shows), one
    of them with more statements than it shows, the same words in other case and spacing, one
    speaker under two names, leans in two columns (one blank), and a second event."""
    articles = []
    for n in range(10):
        said = []
        for k, name in enumerate(NAMES):
            if (n + k) % 3 == 0:
                words = f"the water will reach village number {k} by {'Friday' if n % 2 else 'FRIDAY'}"
                said.append(f"“{words.capitalize() if n % 4 else words.upper()},” {name} said on Tuesday.")
        for k in range(n % 4 * 3):
            said.append(f"“We counted {k + 10 * n} houses under water,” Mayor Olena Kovalenko said.")
        said.append(f"“Help  is coming   to the south bank,” Kovalenko said in the {n}th briefing.")
        said.append(SEEN[n])
        articles.append({"id": f"d{n}", "title": f"Dam report {n}", "outlet": OUTLETS[n % len(OUTLETS)],
                         "published": f"2023-06-{6 + n % 5:02d}T0{n % 10}:00:00", "ev": "dam",
                         "bias": ["left", "center", "right", " "][n % 4], "tone": ["calm", "alarmed"][n % 2],
                         "body": "The dam on the Kakhovka river burst early on Tuesday. " + " ".join(said)})
    articles.append({"id": "v1", "title": "Election night", "outlet": "Beta News", "published": "2023-06-06",
                     "ev": "vote", "body": "“Turnout was high,” said Ana Costa, the election commissioner."})
    return articles


def _write(folder, articles):
    """The articles as one JSON lines input in a new folder."""
    folder.mkdir()
    (folder / "in.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    return folder


@pytest.fixture(scope="module")
def constructed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-cost")
    db = folder / "news.db"
    store.build_database(db, [_write(folder / "in", _corpus())], event_field="ev", notify=lambda m: None)
    return db


def _made_from_quotes(db: sqlite_utils.Database, event_id: int) -> dict:
    rows = db.execute(speakers.QUOTES_SQL, {"event": event_id, "limit": speakers.QUOTES_READ}).fetchall()
    return speakers.section(rows)


def _check_stored(path) -> None:
    """Every event has its stored section, made from its articles as they are now."""
    db = sqlite_utils.Database(path)
    stored = {e: (key, json.loads(section)) for e, key, section in db.execute(
        "select event_id, articles_key, section from event_speakers")}
    assert set(stored) == {e for (e,) in db.execute("select id from events")}
    keys = store._articles_keys(db)
    for event_id, (key, section) in stored.items():
        assert key == keys[event_id]
        assert section == _made_from_quotes(db, event_id)


def test_the_constructed_corpus_has_what_the_section_bounds(constructed):
    db = sqlite_utils.Database(constructed)
    dam = db.execute("select event_id from articles where id = 'd0'").fetchone()[0]
    section = _made_from_quotes(db, dam)
    assert section["speakers_total"] > speakers.SPEAKERS
    assert max(sp["statements_total"] for sp in section["speakers"]) > speakers.STATEMENTS
    assert any(len(st["outlets"]) > 1 for sp in section["speakers"] for st in sp["statements"])
    _check_stored(constructed)


async def _pages(path, fmt=".json", **kwargs) -> dict:
    datasette = Datasette([str(path)], **kwargs)
    name = path.stem
    ids = [e["id"] for e in (await datasette.client.get(f"/-/digest/{name}.json?_size=100")).json()["events"]]
    assert ids
    found = {}
    for event_id in ids:
        response = await datasette.client.get(f"/-/digest/{name}/{event_id}{fmt}")
        assert response.status_code == 200
        found[event_id] = response.json() if fmt == ".json" else response.text
    return found


@pytest.mark.asyncio
@pytest.mark.parametrize("corpus", ["seeds", "constructed"])
async def test_stored_section_gives_the_page_made_from_quotes(corpus, seeds_db, constructed, tmp_path):
    built = seeds_db if corpus == "seeds" else constructed
    without = tmp_path / "news.db"
    shutil.copy(built, without)
    sqlite_utils.Database(without).table("event_speakers").drop()
    stored, made = await _pages(built), await _pages(without)
    assert stored == made
    assert any(page["who_said_what"]["speakers"] for page in stored.values())


def _marked(constructed, tmp_path):
    """A copy whose stored section of the dam event is marked (``quotes_read`` -1), so a page
    shows whether it read it."""
    path = tmp_path / "news.db"
    shutil.copy(constructed, path)
    db = sqlite_utils.Database(path)
    dam = db.execute("select event_id from articles where id = 'd0'").fetchone()[0]
    mark = {"speakers": [], "speakers_total": 0, "quotes_read": -1, "cells": []}
    db.execute("update event_speakers set section = ? where event_id = ?", [json.dumps(mark), dam])
    db.conn.commit()
    return path, db, dam


@pytest.mark.asyncio
async def test_the_page_reads_the_stored_section_only_while_its_articles_are_those(constructed, tmp_path):
    path, db, dam = _marked(constructed, tmp_path)
    datasette = Datasette([str(path)])
    assert (await datasette.client.get(f"/-/digest/news/{dam}.json")).json()["who_said_what"]["quotes_read"] == -1
    # a hand edit moves an article out: the stored row no longer matches and is not read
    db.execute("update articles set event_id = (select event_id from articles where id = 'v1') where id = 'd1'")
    db.conn.commit()
    db.close()
    page = (await Datasette([str(path)]).client.get(f"/-/digest/news/{dam}.json")).json()["who_said_what"]
    assert page["quotes_read"] > 0


ADMIN = {"id": "admin"}


@pytest.mark.asyncio
async def test_the_stored_section_needs_view_table_on_it_and_on_quotes(constructed, tmp_path):
    path, db, dam = _marked(constructed, tmp_path)
    made = _made_from_quotes(db, dam)
    db.close()

    async def section(table, actor=None):
        datasette = Datasette([str(path)], metadata={"databases": {"news": {"tables": {table: {"allow": ADMIN}}}}})
        cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
        response = await datasette.client.get(f"/-/digest/news/{dam}.json", cookies=cookies)
        assert response.status_code == 200
        return response.json()["who_said_what"]

    # without view-table on event_speakers the page makes the section from the quotes
    assert (await section("event_speakers"))["quotes_read"] == made["quotes_read"]
    assert (await section("event_speakers", ADMIN))["quotes_read"] == -1
    # without view-table on quotes there is no section, stored or not
    assert await section("quotes") is None
    assert (await section("quotes", ADMIN))["quotes_read"] == -1


@pytest.mark.parametrize("table", ["event_speakers", store.COVERAGE_SECTIONS])
def test_add_and_a_correction_keep_the_stored_sections_current(table, tmp_path):
    check = _check_stored if table == "event_speakers" else _check_coverage_stored
    path = tmp_path / "news.db"
    articles = _corpus()
    store.build_database(path, [_write(tmp_path / "first", articles[:6] + articles[-1:])], event_field="ev",
                         notify=lambda m: None)
    check(path)
    store.build_database(path, [_write(tmp_path / "later", articles[6:-1])], add=True, notify=lambda m: None)
    check(path)
    db = sqlite_utils.Database(path)
    vote = db.execute("select event_id from articles where id = 'v1'").fetchone()[0]
    before = dict(db.execute(f"select event_id, articles_key from {table}"))
    store.correct(path, "event", "move", ["d2"], to=str(vote), notify=lambda m: None)
    check(path)
    assert dict(db.execute(f"select event_id, articles_key from {table}"))[vote] != before[vote]


class _AsyncRendered:
    """Renders a page's content in Datasette's own (async) environment, as the pages did before."""

    def __init__(self, env):
        self.env = env

    def get_template(self, name):
        template = self.env.get_template(name)

        class Rendered:
            @staticmethod
            def render(context):
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    return pool.submit(asyncio.run, template.render_async(context)).result()

        return Rendered()


@pytest.mark.asyncio
@pytest.mark.parametrize("corpus", ["seeds", "constructed"])
async def test_event_page_html_is_what_the_async_environment_renders(corpus, seeds_db, constructed, monkeypatch):
    built = seeds_db if corpus == "seeds" else constructed
    plain = await _pages(built, fmt="")
    monkeypatch.setattr(views, "_plain_templates", lambda datasette: _AsyncRendered(datasette.jinja_env))
    assert await _pages(built, fmt="") == plain
    assert any("Who said what" in html for html in plain.values())


CASES = [
    {},
    {"allow": {"id": "a"}},
    {"databases": {"news": {"allow": {"id": "b"}}}},
    {"databases": {"news": {"tables": {"quotes": {"allow": {"id": "a"}}}}}},
    {"allow": {"id": "a"}, "databases": {"news": {"tables": {"events": {"allow": True}}}}},
    {"databases": {"news": {"allow": False, "tables": {"articles": {"allow": {"id": "b"}}}}}},
]


@pytest.mark.asyncio
@pytest.mark.parametrize("metadata", CASES)
async def test_permission_checks_asked_once_decide_as_datasette_does(metadata, seeds_db):
    from datasette import Forbidden

    datasette = Datasette([str(seeds_db)], metadata=metadata)
    await datasette.invoke_startup()
    tables = ("events", "articles", "quotes", "sentences")
    for actor in (None, {"id": "a"}, {"id": "b"}):
        for table in tables:
            expected = None
            try:
                await datasette.ensure_permissions(
                    actor, [("view-table", ("news", table)), ("view-database", "news"), "view-instance"])
            except Forbidden as e:
                expected = str(e)
            got = None
            try:
                await views._ensure_each(datasette, actor, "news", (table,), {})
            except Forbidden as e:
                got = str(e)
            assert got == expected, (metadata, actor, table)
        decided: dict = {}
        outcomes = []
        for table in tables:  # one memo across tables, as a request shares it
            try:
                await views._ensure_each(datasette, actor, "news", (table,), decided)
                outcomes.append(None)
            except Forbidden as e:
                outcomes.append(str(e))
        fresh = []
        for table in tables:
            try:
                await views.ensure_can_view(datasette, actor, "news", (table,))
                fresh.append(None)
            except Forbidden as e:
                fresh.append(str(e))
        assert outcomes == fresh


@pytest.mark.asyncio
async def test_pages_read_the_schema_once_per_file_version(seeds_db, monkeypatch):
    from datasette.database import Database

    datasette = Datasette([str(seeds_db)])
    event = (await datasette.client.get("/-/digest/news.json")).json()["events"][0]
    article = event["digest"][0]["article_id"]
    paths = [f"/-/digest/news/{event['id']}", f"/-/digest/news/article/{article}"]
    for path in paths:
        assert (await datasette.client.get(path)).status_code == 200
    asked = []
    for name in ("table_columns", "table_names"):
        original = getattr(Database, name)

        async def counted(self, *args, _original=original, _name=name):
            asked.append(_name)
            return await _original(self, *args)

        monkeypatch.setattr(Database, name, counted)
    for path in paths:
        assert (await datasette.client.get(path)).status_code == 200
    assert asked == []


LIST_QUERIES = ["", "?_sort=newest", "?_sort=oldest", "?q=dam", "?outlet=Beta+News", "?_size=1",
                "?since=2023-06-08"]


async def _list_pages(path, **kwargs) -> list[str]:
    datasette = Datasette([str(path)], **kwargs)
    name = path.stem
    found = []
    for query in LIST_QUERIES:
        response = await datasette.client.get(f"/-/digest/{name}{query}")
        assert response.status_code == 200
        found.append(response.text)
    return found


@pytest.mark.asyncio
@pytest.mark.parametrize("corpus", ["seeds", "constructed"])
async def test_events_list_html_is_what_the_async_environment_renders(corpus, seeds_db, constructed,
                                                                      monkeypatch):
    built = seeds_db if corpus == "seeds" else constructed
    plain = await _list_pages(built)
    monkeypatch.setattr(views, "_plain_templates", lambda datasette: _AsyncRendered(datasette.jinja_env))
    assert await _list_pages(built) == plain
    assert all("newsdigest-events" in html for html in plain)


def _charts_from_sql(db: sqlite_utils.Database, event_id: int) -> dict:
    """The event page's timeline and coverage charts as made from their own queries, as the page
    made them before it counted the articles it had read."""
    from datasette_newsdigest import charts

    def rows(sql):
        cursor = db.execute(sql, {"event": event_id})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return {"timeline": charts.timeline(rows(
                "select substr(published, 1, 10) as day, outlet, count(*) as articles from articles "
                "where event_id = :event and published is not null group by day, outlet order by day")),
            "coverage": charts.coverage(rows(
                "select outlet, count(*) as articles from articles where event_id = :event "
                "group by outlet order by articles desc, outlet"))}


def _mixed_outlets(folder) -> list[dict]:
    """Articles whose outlets tie in count and sort by case, accent and NULL, over several days."""
    outlets = ["beta", "Beta", None, "Épsilon", "alpha", "", "Alpha", None, "beta", "Zeta"]
    return [{"id": f"m{n}", "title": f"Flood {n}", "outlet": o, "ev": "flood",
             "published": None if n == 3 else f"2023-07-0{1 + n % 3}T1{n}:00:00",
             "body": f"The river rose {n} metres overnight in the valley."} for n, o in enumerate(outlets)]


@pytest.mark.asyncio
@pytest.mark.parametrize("corpus", ["seeds", "constructed", "mixed"])
async def test_event_charts_counted_from_the_articles_are_what_their_queries_gave(
        corpus, seeds_db, constructed, tmp_path):
    if corpus == "mixed":
        built = tmp_path / "news.db"
        store.build_database(built, [_write(tmp_path / "in", _mixed_outlets(tmp_path))], event_field="ev",
                             notify=lambda m: None)
    else:
        built = seeds_db if corpus == "seeds" else constructed
    pages = await _pages(built)
    db = sqlite_utils.Database(built)
    for event_id, page in pages.items():
        expected = _charts_from_sql(db, event_id)
        assert {k: page["charts"][k] for k in expected} == expected, event_id
    if corpus == "mixed":
        assert len(page["charts"]["coverage"]["data"]["values"]) >= 6


@pytest.mark.asyncio
@pytest.mark.parametrize("base_url", ["/", "/news-site/"])
async def test_links_made_from_prefixes_are_datasettes_own(base_url, seeds_db):
    from datasette.utils import tilde_encode

    datasette = Datasette([str(seeds_db)], settings={"base_url": base_url})
    ids = ["plain", "a/b c~d", "é.json", "100%", "x?y#z", 42]
    for _ in range(2):  # made, then remembered
        for article_id in ids:
            encoded = tilde_encode(str(article_id))
            row = datasette.urls.row("news", "articles", encoded)
            assert views._row_url(datasette, "news", article_id) == row
            assert views.article_url(datasette, "news", article_id, 3) == datasette.urls.path(
                f"/-/digest/news/article/{encoded}") + "#s3"
            assert views.article_url(datasette, "news", article_id, as_json=True) == datasette.urls.path(
                f"/-/digest/news/article/{encoded}.json")
            page = datasette.urls.path(f"/-/digest/news/{encoded}")
            assert views.digest_url(datasette, "news", article_id) == page
    for outlet in ("Beta News", "A&B / C?", "Ünï"):
        expected = datasette.urls.table("news", "articles") + "?" + urlencode({"outlet": outlet})
        assert views._outlet_url(datasette, "news", outlet) == expected
    # a database given another route: its links follow it
    datasette.get_database("news").route = "news~2Fother"
    moved = datasette.urls.path("/-/digest/" + tilde_encode("news~2Fother"))
    assert views.digest_url(datasette, "news") == moved
    assert views._row_url(datasette, "news", "a") == datasette.urls.row("news", "articles", "a")


def test_ids_encoded_as_tilde_encode_encodes_them():
    """``_encoded`` skips ``tilde_encode`` for an id of only the characters it keeps: every other
    character (each byte value's, and some beyond) is still encoded."""
    from datasette.utils import tilde_encode

    views._encoded.cache_clear()
    for value in ["", "plain", "Ab_9-z", *map(chr, range(256)), "é", "日本", "a b", "a~b", "a.b", "x\n", "\u2028"]:
        assert views._encoded(value) == tilde_encode(value), repr(value)


@pytest.mark.asyncio
@pytest.mark.parametrize("base_url", ["/", "/news-site/"])
async def test_public_links_stay_datasettes_prefixed_strings(base_url, seeds_db):
    """The pages' own links are plain strings (cheaper to join and escape); the public helpers still
    give Datasette's PrefixedUrlString, which ``datasette.urls.path`` does not prefix again."""
    datasette = Datasette([str(seeds_db)], settings={"base_url": base_url})
    for url in (views.digest_url(datasette, "news"), views.digest_url(datasette, "news", 1, as_json=True),
                views.story_url(datasette, "news"), views.story_url(datasette, "news", 2),
                views.article_url(datasette, "news", "a b", 3), views.article_url(datasette, "news", "x")):
        assert url.startswith(base_url) and datasette.urls.path(url) == url
    page = (await datasette.client.get("/-/digest/news/1.json")).json()
    assert page["event"]["url"] == views.digest_url(datasette, "news", 1)


@pytest.mark.asyncio
@pytest.mark.parametrize("base_url", ["/", "/news-site/"])
@pytest.mark.parametrize("built", ["seeds_db", "constructed"])
async def test_event_pages_links_read_from_prefixes_once_are_each_links_own(base_url, built, request):
    """The event page reads its database's prefixes once for all its article links: each is the
    link ``article_url``, ``_row_url`` and ``_outlet_url`` make for it (every event of the seeds
    and of the constructed corpus, whose outlets have sentences only they report)."""
    datasette = Datasette([str(request.getfixturevalue(built))], settings={"base_url": base_url})
    events = (await datasette.client.get("/-/digest/news.json?_size=100")).json()["events"]
    checked, only = 0, 0
    for event in events:
        page = (await datasette.client.get(f"/-/digest/news/{event['id']}.json")).json()
        for a in page["articles"]:
            assert (a["reader_url"], a["row_url"], a["outlet_url"]) == (
                views.article_url(datasette, "news", a["id"]), views._row_url(datasette, "news", a["id"]),
                views._outlet_url(datasette, "news", a["outlet"]))
            checked += 1
        for s in page["digest"]:
            assert (s["article_url"], s["row_url"], s["outlet_url"]) == (
                views.article_url(datasette, "news", s["article_id"], s["position"]),
                views._row_url(datasette, "news", s["article_id"]), views._outlet_url(datasette, "news", s["outlet"]))
            checked += 1
        for o in (page["coverage"] or {}).get("outlets", []):
            assert o["headline_url"] == views.article_url(datasette, "news", o["article_id"])
            for s in o["only"]:
                assert (s["reader_url"], s["row_url"]) == (
                    views.article_url(datasette, "news", s["article_id"], s["position"]),
                    views._row_url(datasette, "news", s["article_id"]))
                only += 1
    assert len(events) >= 2 and checked >= 20 and (only > 0 or built == "seeds_db"), (checked, only)


@pytest.mark.asyncio
async def test_menus_share_the_pages_permission_decisions(seeds_db, monkeypatch):
    import sys

    from datasette.app import Datasette as App

    datasette = Datasette([str(seeds_db)])
    event_id = (await datasette.client.get("/-/digest/news.json")).json()["events"][0]["id"]
    asked = []
    original = App.ensure_permissions

    async def counted(self, actor, permissions):
        if sys._getframe(1).f_globals["__name__"] == views.__name__:  # the plugin's, not Datasette's
            asked.append(permissions[0][1])
        return await original(self, actor, permissions)

    monkeypatch.setattr(App, "ensure_permissions", counted)
    html = await datasette.client.get(f"/-/digest/news/{event_id}")
    assert html.status_code == 200 and 'href="/-/digest/news"' in html.text  # the ☰ menu's link
    assert asked and sorted(set(asked)) == sorted(asked)  # each table asked once, the menu's included
    asked.clear()
    home = await datasette.client.get("/")
    assert home.status_code == 200 and "/-/digest/news" in home.text
    # the home page's menu and its digest links ask for each table once between them
    assert sorted(asked) == [("news", t) for t in sorted(views.TABLES)]


@pytest.mark.asyncio
async def test_menus_decide_per_actor_with_the_page(seeds_db):
    metadata = {"databases": {"news": {"tables": {"sentences": {"allow": {"id": "a"}}}}}}
    datasette = Datasette([str(seeds_db)], metadata=metadata)
    for actor, shown in ((None, False), ({"id": "a"}, True), ({"id": "b"}, False)):
        cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
        home = await datasette.client.get("/", cookies=cookies)
        assert home.status_code == 200
        assert ('href="/-/digest/news"' in home.text) == shown, actor


def _coverage_from_tables(db: sqlite_utils.Database, event_id: int) -> dict:
    """An event's Coverage section made from the coverage tables, with the default column's lean rows."""
    from datasette_newsdigest import outlets

    params = {"event": event_id, "shown": outlets.ONLY_SHOWN}
    section = outlets.section(db.execute(outlets.OUTLETS_SQL, params).fetchall(),
                              db.execute(outlets.ONLY_SQL, params).fetchall())
    if "bias" in db.table("articles").columns_dict:
        lean = outlets.LEAN_SQL.format(lean=outlets.lean_expression("bias"), members=outlets.IN_EVENT)
        section["lean"] = {"column": "bias", "rows": [list(r) for r in db.execute(lean, {"id": event_id})]}
    return section


def _check_coverage_stored(path) -> None:
    """Every event has its stored Coverage section, made from its articles and the tables as they are."""
    db = sqlite_utils.Database(path)
    stored = {e: (key, json.loads(section)) for e, key, section in db.execute(
        f"select event_id, articles_key, section from {store.COVERAGE_SECTIONS}")}
    assert set(stored) == {e for (e,) in db.execute("select id from events")}
    keys = store._articles_keys(db)
    for event_id, (key, section) in stored.items():
        assert key == keys[event_id]
        assert section == _coverage_from_tables(db, event_id)


def _without_coverage_sections(built, path):
    shutil.copy(built, path)
    sqlite_utils.Database(path).table(store.COVERAGE_SECTIONS).drop()
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize("corpus", ["seeds", "constructed"])
async def test_stored_coverage_gives_the_page_made_from_the_tables(corpus, seeds_db, constructed, tmp_path):
    built = seeds_db if corpus == "seeds" else constructed
    _check_coverage_stored(built)
    without = _without_coverage_sections(built, tmp_path / "news.db")
    for fmt in (".json", ""):
        stored, made = await _pages(built, fmt), await _pages(without, fmt)
        assert stored == made
    pages = await _pages(built)
    assert any(page["coverage"]["outlets"] for page in pages.values())
    if corpus == "constructed":
        assert any(o["only"] for page in pages.values() for o in page["coverage"]["outlets"])
        assert any(page["coverage"]["lean"]["bars"] for page in pages.values())


@pytest.mark.asyncio
async def test_a_page_with_another_lean_column_reads_its_own_leans(constructed, tmp_path):
    without = _without_coverage_sections(constructed, tmp_path / "news.db")
    metadata = {"plugins": {"datasette-newsdigest": {"lean_column": "tone"}}}
    stored, made = await _pages(constructed, metadata=metadata), await _pages(without, metadata=metadata)
    assert stored == made
    leans = {b["lean"] for page in stored.values() if page["coverage"]
             for b in page["coverage"]["lean"]["bars"]}
    assert leans == {"calm", "alarmed"}


def _coverage_marked(constructed, tmp_path):
    """A copy whose stored Coverage section of the dam event is marked (a headline no article has)."""
    path = tmp_path / "news.db"
    shutil.copy(constructed, path)
    db = sqlite_utils.Database(path)
    dam = db.execute("select event_id from articles where id = 'd0'").fetchone()[0]
    section = json.loads(db.execute(f"select section from {store.COVERAGE_SECTIONS} where event_id = ?",
                                    [dam]).fetchone()[0])
    section["outlets"][0]["headline"] = "MARKED"
    db.execute(f"update {store.COVERAGE_SECTIONS} set section = ? where event_id = ?",
               [json.dumps(section), dam])
    db.conn.commit()
    return path, db, dam


def _headlines(page) -> list:
    return None if page["coverage"] is None else [o["headline"] for o in page["coverage"]["outlets"]]


@pytest.mark.asyncio
async def test_the_page_reads_the_stored_coverage_only_while_its_articles_are_those(constructed, tmp_path):
    path, db, dam = _coverage_marked(constructed, tmp_path)
    page = (await Datasette([str(path)]).client.get(f"/-/digest/news/{dam}.json")).json()
    assert _headlines(page)[0] == "MARKED"
    db.execute("update articles set event_id = (select event_id from articles where id = 'v1') "
               "where id = 'd1'")
    db.conn.commit()
    db.close()
    page = (await Datasette([str(path)]).client.get(f"/-/digest/news/{dam}.json")).json()
    assert "MARKED" not in _headlines(page)


@pytest.mark.asyncio
async def test_the_stored_coverage_needs_view_table_on_it_and_on_the_coverage_tables(constructed, tmp_path):
    path, db, dam = _coverage_marked(constructed, tmp_path)
    db.close()

    async def headlines(table, actor=None):
        metadata = {"databases": {"news": {"tables": {table: {"allow": ADMIN}}}}}
        datasette = Datasette([str(path)], metadata=metadata)
        cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
        response = await datasette.client.get(f"/-/digest/news/{dam}.json", cookies=cookies)
        assert response.status_code == 200
        return _headlines(response.json())

    # without view-table on event_coverage the page makes the section from the coverage tables
    assert "MARKED" not in await headlines(store.COVERAGE_SECTIONS)
    assert (await headlines(store.COVERAGE_SECTIONS, ADMIN))[0] == "MARKED"
    # without view-table on either coverage table there is no section, stored or not
    for table in ("coverage", "coverage_sentences"):
        assert await headlines(table) is None
        assert (await headlines(table, ADMIN))[0] == "MARKED"


@pytest.mark.asyncio
async def test_stored_sections_are_not_read_once_the_reading_order_changes(constructed, tmp_path):
    """The page compares each stored key with the article ids it read, in order: a date edited by
    hand that reorders the event's articles (and no article moved) makes every stored row stale."""
    path, db, dam = _coverage_marked(constructed, tmp_path)
    mark = {"speakers": [], "speakers_total": 0, "quotes_read": -1, "cells": []}
    db.execute("update event_speakers set section = ? where event_id = ?", [json.dumps(mark), dam])
    db.execute("update digest_sentences set sentence = 'MARKED' where event_id = ?", [dam])
    db.conn.commit()
    page = (await Datasette([str(path)]).client.get(f"/-/digest/news/{dam}.json")).json()
    assert _headlines(page)[0] == "MARKED" and page["who_said_what"]["quotes_read"] == -1
    assert {s["sentence"] for s in page["digest"]} == {"MARKED"}
    first, = db.execute("select id from articles where event_id = ? order by published limit 1",
                        [dam]).fetchone()
    db.execute("update articles set published = '2099-01-01' where id = ?", [first])
    db.conn.commit()
    db.close()
    page = (await Datasette([str(path)]).client.get(f"/-/digest/news/{dam}.json")).json()
    assert "MARKED" not in _headlines(page) and page["who_said_what"]["quotes_read"] > 0
    assert "MARKED" not in {s["sentence"] for s in page["digest"]}


def test_a_key_read_back_names_the_ids_sqlite_put_in_it(tmp_path):
    db = sqlite_utils.Database(tmp_path / "keys.db")
    ids = ['plain', 'quote"d', "back\\slash", "ünï cödé", "tab\there", "emoji 🌊", "", "<b>&amp;</b>"]
    db["articles"].insert_all([{"id": i, "event_id": 1, "published": f"2023-01-0{n % 9 + 1}"}
                               for n, i in enumerate(ids)], pk="id")
    key = db.execute(f"select {store.ARTICLES_KEY.format(event='1')}").fetchone()[0]
    in_order = [r[0] for r in db.execute("select id from articles where event_id = 1 "
                                         "order by published is null, published, rowid")]
    assert views._is_key(key, in_order)
    assert not views._is_key(key, in_order[::-1]) and not views._is_key(key, in_order[:-1])
    assert not views._is_key("not json", in_order) and not views._is_key(None, in_order)


@pytest.mark.asyncio
async def test_the_lists_stored_digests_are_read_once_per_file_version(constructed, tmp_path, monkeypatch):
    from datasette.database import Database

    path = tmp_path / "news.db"
    shutil.copy(constructed, path)
    views.CACHE.clear()
    datasette = Datasette([str(path)])
    first = (await datasette.client.get("/-/digest/news.json")).json()
    asked = []
    original = Database.execute

    async def counted(self, sql, *args, **kwargs):
        asked.append(sql)
        return await original(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", counted)
    assert (await datasette.client.get("/-/digest/news.json")).json() == first
    assert not any("digest_events" in sql or "digest_sentences" in sql for sql in asked)
    # a changed file is read again
    db = sqlite_utils.Database(path)
    db.execute("update digest_sentences set sentence = 'MARKED'")
    db.conn.commit()
    db.close()
    again = (await datasette.client.get("/-/digest/news.json")).json()
    assert {s["sentence"] for e in again["events"] for s in e["digest"]} == {"MARKED"}


def test_the_content_environment_answers_a_b_as_jinja_does(seeds_db):
    from jinja2 import Environment, Undefined

    env = views._plain_templates(Datasette([str(seeds_db)]))

    class Row(dict):
        title = "an attribute of the class"

    cases = [({"title": "key"}, "title"), ({"items": "key"}, "items"), ({"get": 2}, "get"), ({}, "missing"),
             ({"__class__": "key"}, "__class__"), (Row(title="key"), "title"), (Row(), "missing"),
             ([1], "append"), ("text", "upper"), (None, "anything"), ({"a": None}, "a")]
    for obj, name in cases:
        mine, jinjas = env.getattr(obj, name), Environment.getattr(env, obj, name)
        if isinstance(jinjas, Undefined):
            assert type(mine) is type(jinjas) and mine._undefined_name == jinjas._undefined_name, (obj, name)
        else:
            assert mine == jinjas and type(mine) is type(jinjas), (obj, name)
    template = env.from_string("{{ d.title }}|{{ d.items is callable }}|{{ d.nope }}|{{ r.title }}")
    assert template.render(d={"title": "<b>", "items": 1}, r=Row(title="k")) == \
        "&lt;b&gt;|True||an attribute of the class"
