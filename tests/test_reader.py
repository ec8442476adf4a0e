"""The article reader (/-/digest/<db>/article/<id>) and how Datasette's own pages show a database
the plugin serves (issue 13, items 2 and 3): every digest sentence opens the reader at itself."""

import json
import re
import shutil
import sqlite3

import pytest
from markupsafe import escape
from pages import assert_error
from pages import get_as as _get

from datasette_newsdigest import browse, store, views

ADMIN = {"id": "admin"}
RESTRICTED = {"allow": ADMIN}
EVIL = "<script>alert('x')</script>"
ODD_ID = "a/b.c ~'\""


def _article(i, **extra):
    return {
        "id": f"r{i}", "title": f"Reservoir wall gives way at Lesko {i}", "outlet": ["Daily", "Wire"][i % 2],
        "author": "Marta Kowal", "published": f"2023-05-0{1 + i % 2}", "url": f"https://example.com/{i}",
        "body": ("LESKO, Poland (AP) — The reservoir wall above Lesko gave way on Tuesday night, flooding "
                 "the valley below.\n\nOfficials in Lesko said 1,200 people were moved to the school. "
                 "Engineer Marta Kowal said cracks had been reported to the council in March.\n\n"
                 f"Rescue crews from three towns worked through the night, report {i}. " + "Water rose. " * 40),
        **extra,
    }


@pytest.fixture(scope="module")
def news_db(build_news_db):
    return build_news_db([_article(0, title=f"Reservoir wall gives way {EVIL}", body=_article(0)["body"] + EVIL),
                          _article(1), _article(2), _article(3, id=ODD_ID)])


@pytest.fixture
def datasette(news_db, shared_datasette):
    return shared_datasette(news_db)


def _stored(db, article_id):
    with sqlite3.connect(db) as conn:
        return conn.execute("select position, text from sentences where article_id = ? order by position",
                            [article_id]).fetchall()


def _ids(db):
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("select id from articles order by rowid")]


@pytest.mark.asyncio
async def test_reader_shows_every_stored_sentence_in_its_paragraph(news_db, datasette):
    for article_id in _ids(news_db):
        data = (await _get(datasette, views.article_url(datasette, "news", article_id, as_json=True))).json()
        marked = [(p["position"], p["text"]) for para in data["paragraphs"] for p in para if p["position"] is not None]
        assert marked == _stored(news_db, article_id), article_id  # each sentence once, in order, as stored
        assert data["article"]["id"] == article_id and data["article"]["label"]
        assert data["article"]["row_url"].startswith("/news/articles/")
        event = data["event"]
        assert event["url"] == f"/-/digest/news/{event['id']}"
        assert data["story"] is None or data["story"]["url"].startswith("/-/digest/news/story/")
        others = [a["id"] for a in data["other_articles"]]
        assert article_id not in others and len(others) == data["other_articles_total"] == event["articles"] - 1
        for other in data["other_articles"]:
            assert other["reader_url"] == views.article_url(datasette, "news", other["id"])


@pytest.mark.asyncio
async def test_paragraphs_follow_the_body(news_db, datasette):
    data = (await _get(datasette, "/-/digest/news/article/r1.json")).json()
    assert len(data["paragraphs"]) == 3  # the body's three blank-line-separated paragraphs
    assert [[p["position"] for p in para] for para in data["paragraphs"][:2]] == [[0], [1, 2]]
    assert data["article"]["outlet"] == "Wire" and data["article"]["author"] == "Marta Kowal"
    assert data["article"]["published"] == "2023-05-02" and data["article"]["link"] == "https://example.com/1"


@pytest.mark.asyncio
async def test_every_digest_sentence_opens_the_reader_at_itself(news_db, datasette):
    listing = (await _get(datasette, "/-/digest/news.json")).json()
    pages = [e["json_url"] for e in listing["events"]] + ["/-/digest/news.json"]
    if listing["stories_url"]:
        pages += [s["json_url"] for s in (await _get(datasette, views.story_url(datasette, "news", as_json=True)))
                  .json()["stories"]]
    checked = 0
    for page in pages:
        data = (await _get(datasette, page)).json()
        sentences = data.get("digest") or [s for e in data.get("events", []) for s in e["digest"]]
        for s in sentences:
            path, fragment = s["article_url"].split("#")
            assert fragment == f"s{s['position']}"
            html = (await _get(datasette, path)).text
            found = re.search(rf'<span class="newsdigest-s[^"]*" id="s{s["position"]}"[^>]*>([^<]*)</span>', html)
            assert found and str(escape(s["sentence"])) in found.group(1), s
            checked += 1
    assert checked > 8
    event_page = (await _get(datasette, listing["events"][0]["url"])).text
    assert 'href="/-/digest/news/article/' in event_page


@pytest.mark.asyncio
async def test_reader_escapes_and_binds_the_id(news_db, datasette):
    page = await _get(datasette, "/-/digest/news/article/r0")
    assert page.status_code == 200 and EVIL not in page.text and str(escape(EVIL)) in page.text
    odd = views.article_url(datasette, "news", ODD_ID, as_json=True)
    assert (await _get(datasette, odd)).json()["article"]["id"] == ODD_ID
    assert (await _get(datasette, views.article_url(datasette, "news", ODD_ID))).status_code == 200
    for hostile in ("' or 1=1 --", "r0' --", "%00", "nope"):
        data = assert_error(await _get(datasette, views.article_url(datasette, "news", hostile, as_json=True)), 404)
        assert data["title"] == "Not found"
    assert (await _get(datasette, "/-/digest/news/article/nope")).status_code == 404
    assert_error(await _get(datasette, "/-/digest/missing/article/r0.json"), 404)


def test_marked_paragraphs_leave_an_unfound_sentence_unmarked_and_find_the_rest():
    body = "One two three. Four five six.\n\nSeven eight. Nine ten."
    stored = [(0, "One two three."), (1, "Edited away."), (2, "Four five six."), (3, "Seven eight."), (4, "Nine ten.")]
    paragraphs = views.marked_paragraphs(body, stored)
    assert [[p["position"] for p in para] for para in paragraphs] == [[0, 2], [3, 4]]
    gap = views.marked_paragraphs("Intro words. Then this one.", [(0, "Then this one.")])
    assert gap == [[{"position": None, "text": "Intro words."}, {"position": 0, "text": "Then this one."}]]
    assert views.marked_paragraphs(None, [(0, "x")]) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["articles", "sentences", "events"])
async def test_reader_does_not_leak_a_restricted_table(news_db, shared_datasette, table):
    datasette = shared_datasette(news_db, metadata={"databases": {"news": {"tables": {table: RESTRICTED}}}})
    for path in ("/-/digest/news/article/r1", "/-/digest/news/article/r1.json"):
        response = await _get(datasette, path)
        assert response.status_code == 403, path
        assert "Reservoir wall" not in response.text and "Marta Kowal" not in response.text
        assert (await _get(datasette, path, ADMIN)).status_code == 200
    assert_error(await _get(datasette, "/-/digest/news/article/r1.json"), 403)
    assert_error(await _get(datasette, "/-/digest/news/article/nope.json"), 403)  # no probing for ids


@pytest.mark.asyncio
async def test_reader_leaves_out_optional_tables_the_actor_may_not_view(news_db, shared_datasette):
    restricted = {"stories": RESTRICTED, "digest_sentences": RESTRICTED}
    datasette = shared_datasette(news_db, metadata={"databases": {"news": {"tables": restricted}}})
    with sqlite3.connect(news_db) as conn:
        in_digest = conn.execute("select article_id from digest_sentences where article_id like 'r%'").fetchone()[0]
    path = views.article_url(datasette, "news", in_digest, as_json=True)
    data = (await _get(datasette, path)).json()
    assert data["story"] is None
    assert all(p["digest_rank"] is None for para in data["paragraphs"] for p in para)
    full = (await _get(datasette, path, ADMIN)).json()
    assert full["story"] is not None and any(p["digest_rank"] for para in full["paragraphs"] for p in para)


# --- Datasette's own pages -----------------------------------------------------------------------

@pytest.mark.asyncio
async def test_articles_table_is_readable(news_db, datasette):
    table = (await _get(datasette, "/news/articles")).text
    assert 'class="col-raw' not in table  # raw left out of the default view
    assert 'class="col-body' in table and "read it all" in table
    assert 'href="/-/digest/news/article/r1"' in table
    cell = re.search(r'<td class="col-body[^>]*>(.*?)</td>', table, re.S).group(1)
    assert len(re.sub(r"<[^>]+>", "", cell)) < browse.CELL_CHARS + 80
    assert EVIL not in table
    named = (await _get(datasette, "/news/articles?_nocol=subtitle")).text
    assert 'class="col-raw' in named and "as JSON" in named  # columns named: raw shown, cut short
    assert 'class="col-raw' not in (await _get(datasette, "/news/articles?outlet=Wire")).text
    assert "raw" in (await _get(datasette, "/news/articles.json?_shape=array")).json()[0]  # JSON keeps it
    row = (await _get(datasette, "/news/articles/r1")).text
    assert "read it all" in row and "as JSON" in row and "Water rose. " * 40 not in row


@pytest.mark.asyncio
async def test_rows_link_to_their_digest_pages(news_db, datasette):
    events = (await _get(datasette, "/news/events")).text
    assert re.search(r'<td class="col-label[^>]*><a href="/-/digest/news/\d+">', events)
    sentences = (await _get(datasette, "/news/sentences")).text
    assert re.search(r'<td class="col-text[^>]*><a href="/-/digest/news/article/[^"#]+#s\d+">', sentences)
    digests = (await _get(datasette, "/news/digest_sentences")).text
    assert re.search(r'<td class="col-sentence[^>]*><a href="/-/digest/news/article/[^"#]+#s\d+">', digests)
    stories = (await _get(datasette, "/news/stories")).text
    assert re.search(r'<td class="col-label[^>]*><a href="/-/digest/news/story/\d+">', stories)


@pytest.mark.asyncio
async def test_any_database_name_gets_labels_hidden_tables_and_home_links(news_db, tmp_path, shared_datasette):
    shutil.copy(news_db, tmp_path / "wire.db")
    other = tmp_path / "plain.db"
    with sqlite3.connect(other) as conn:  # not ours: an events table with no label column
        conn.execute("create table events (id integer primary key, what text)")
        conn.execute("create table log (id integer primary key, event_id integer references events(id))")
        conn.execute("insert into events values (1, 'x')")
        conn.execute("insert into log values (1, 1)")
    datasette = shared_datasette(tmp_path / "wire.db", other)
    tables = {t["name"]: t for t in (await _get(datasette, "/wire.json")).json()["tables"]}
    assert tables["_newsdigest_story_state"]["hidden"] and tables["_newsdigest_story_vocab"]["hidden"]
    assert not tables["articles"]["hidden"]
    articles = (await _get(datasette, "/wire/articles.json?_labels=on&_shape=array&id=r1")).json()
    with sqlite3.connect(news_db) as conn:
        label = conn.execute("select e.label from articles a join events e on e.id = a.event_id "
                             "where a.id = 'r1'").fetchone()[0]
    assert articles[0]["event_id"]["label"] == label
    assert (await _get(datasette, "/plain/log")).status_code == 200  # no label column forced on it
    home = (await _get(datasette, "/")).text
    links = home[home.index('class="newsdigest-links"'):]
    assert 'href="/-/digest/wire"' in links and 'href="/-/digest/wire/stories"' in links
    assert "/-/digest/plain" not in home
    assert 'href="/-/digest/wire"' in (await _get(datasette, "/wire")).text.split('class="newsdigest-links"')[1]
    assert 'class="newsdigest-links"' not in (await _get(datasette, "/plain")).text


@pytest.mark.asyncio
async def test_metadata_look_ups_of_keys_the_plugin_never_sets_are_as_with_its_metadata(news_db, tmp_path):
    """The metadata hook answers only look-ups its metadata can change (browse.METADATA_KEYS): any
    other key, at any level, is what Datasette finds with the plugin's whole metadata merged in."""
    from datasette.app import Datasette

    shutil.copy(news_db, tmp_path / "wire.db")
    local = {"title": "Wire", "allow": {"id": ["a", "b"]}, "databases": {"wire": {
        "allow_sql": {"id": "a"}, "source": "AP", "tables": {"events": {"allow": {"id": "b"}, "facets": ["outlets"]},
                                                             store.SPEAKERS_TABLE: {"about": "speakers"}}}}}
    datasette = Datasette([str(tmp_path / "wire.db")], metadata=local)
    await datasette.invoke_startup()
    assert views.served(datasette)

    class Every:
        def __contains__(self, key):
            return True

    keys = ["allow", "allow_sql", "title", "source", "about", "facets", "plugins", "queries", "license", "hidden",
            "label_column", "tables", "databases", None]
    places = [(None, None), ("wire", None), ("wire", "events"), ("wire", store.SPEAKERS_TABLE), ("wire", "articles")]
    found = {(k, d, t): datasette.metadata(k, database=d, table=t) for k in keys for d, t in places}
    assert found["label_column", "wire", "events"] == "label" and found["hidden", "wire", store.SPEAKERS_TABLE]
    assert found["allow", "wire", "events"] == {"id": "b"} and found["allow", None, None] == {"id": ["a", "b"]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(browse, "METADATA_KEYS", Every())  # the whole metadata for every look-up
        assert {(k, d, t): datasette.metadata(k, database=d, table=t) for k in keys for d, t in places} == found
        allows = datasette._table_permission_allows("wire", "events")
    assert datasette._table_permission_allows("wire", "events") == allows == [{"id": "b"}]


@pytest.mark.asyncio
async def test_home_page_links_only_what_the_actor_may_read(news_db, shared_datasette):
    datasette = shared_datasette(news_db, metadata={"databases": {"news": {"tables": {"articles": RESTRICTED}}}})
    for page in ("/", "/news"):
        assert 'class="newsdigest-links"' not in (await _get(datasette, page)).text
        assert 'class="newsdigest-links"' in (await _get(datasette, page, ADMIN)).text


@pytest.fixture(scope="module")
def untitled_db(build_news_db):
    """The reservoir corpus with one article that has no title (DUC's wire copies have none)."""
    return build_news_db([_article(0), _article(1), {**_article(2, id="notitle"), "title": None}])


@pytest.mark.asyncio
async def test_links_to_an_untitled_article_show_its_first_sentence(untitled_db, shared_datasette):
    """Issue 13 item 5: Datasette labels a foreign key by the table's label column; an untitled
    article's was its title (NULL), so its links showed the id. ``articles.label`` is the title
    or the first sentence less its dateline."""
    datasette = shared_datasette(untitled_db)
    sentences = (await _get(datasette, "/news/sentences.json?_labels=on&_shape=array&article_id=notitle"
                                       "&position=1")).json()
    assert sentences[0]["article_id"] == {
        "value": "notitle",
        "label": "The reservoir wall above Lesko gave way on Tuesday night, flooding the valley below."}
    titled = (await _get(datasette, "/news/sentences.json?_labels=on&_shape=array&article_id=r1&position=0")).json()
    assert titled[0]["article_id"]["label"] == "Reservoir wall gives way at Lesko 1"
    page = (await _get(datasette, "/news/sentences?article_id=notitle")).text
    assert '<a href="/news/articles/notitle">The reservoir wall above Lesko gave way' in page


def test_add_to_a_database_without_labels_fills_them(untitled_db, tmp_path):
    """A database built before ``articles.label`` gets the column, filled for every article,
    at its next ``--add``."""


    db = tmp_path / "old.db"
    shutil.copy(untitled_db, db)
    with sqlite3.connect(db) as conn:
        expected = dict(conn.execute("select id, label from articles"))
        conn.execute("alter table articles drop column label")
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps(_article(5)) + "\n")
    store.build_database(db, [extra], add=True)
    with sqlite3.connect(db) as conn:
        labels = dict(conn.execute("select id, label from articles"))
    assert labels == {**expected, "r5": "Reservoir wall gives way at Lesko 5"}
    assert labels["notitle"].startswith("The reservoir wall above Lesko")
