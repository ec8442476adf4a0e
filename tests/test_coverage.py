"""What each outlet of an event reported: the coverage tables, built, added to and corrected,
and the event page's "Who said what" and "Coverage" sections.

Expectations are written from reading the constructed articles below, not from a run."""

import json
import shutil

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_newsdigest import digest, store

SHARED = ("Officials said the dam on the Kakhovka river burst early on Tuesday morning. "
          "Thousands of residents were evacuated from villages downstream of the dam. ")
ARTICLES = [
    {"id": "a1", "bias": "left", "title": "Dam bursts on the Kakhovka river", "outlet": "Alpha Times",
     "published": "2023-06-06T08:00:00", "ev": "dam",
     "body": SHARED + "“We will rebuild every house,” Mayor Olena Kovalenko said on Tuesday. "
                      "Alpha Times reporters saw cattle swept away by the brown water near Nova Kakhovka."},
    {"id": "a2", "bias": "left", "title": "Later Alpha piece on the dam", "outlet": "Alpha Times",
     "published": "2023-06-07T09:00:00", "ev": "dam",
     "body": SHARED + "Mayor Olena Kovalenko said the water would recede within a week."},
    {"id": "b1", "bias": "left", "title": "Flooding after dam breach", "outlet": "Beta News",
     "published": "2023-06-06T07:30:00", "ev": "dam",
     "body": SHARED + "“This is an ecological disaster,” Kovalenko said. "
                      "Insurance brokers in London estimated the damage at several billion dollars."},
    {"id": "c1", "bias": "center", "title": "Dam breach, <script>alert(1)</script>", "outlet": "Gamma Daily",
     "published": "2023-06-08", "ev": "dam",
     "body": SHARED},
    {"id": "n1", "title": "No outlet here", "ev": "dam", "body": SHARED},
    {"id": "x1", "bias": "right", "title": "Election night in Lisbon", "outlet": "Beta News", "published": "2023-06-06",
     "ev": "vote", "body": "Voters in Lisbon queued for hours on Sunday to cast their ballots in the election."},
]


def _write(folder, articles):
    path = folder / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in articles) + "\n")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage")
    db = folder / "news.db"
    store.build_database(db, [_write(folder, ARTICLES)], event_field="ev", notify=lambda m: None)
    return db


def _event(db, article):
    return db.execute("select event_id from articles where id = ?", [article]).fetchone()[0]


def _coverage(db, event):
    return {r[0]: r[1:] for r in db.execute(
        "select outlet, articles, first_reported, headline, article_id, only_sentences from coverage "
        "where event_id = ? order by outlet", [event])}


def _only(db, event):
    return sorted((o, a, p) for o, a, p in db.execute(
        "select outlet, article_id, position from coverage_sentences where event_id = ?", [event]))


def test_only_in_reuses_the_support_test():
    documents = [("a", "The dam burst early on Tuesday morning near the river. Cattle drowned in the fields nearby."),
                 ("b", "The dam burst early on Tuesday morning near the river.")]
    assert digest.only_in(documents, ["A", "B"]) == [(0, 1)]
    # one owner: all of it, a repeat once (at its first appearance, as the digest keeps it)
    assert digest.only_in(documents, ["A", "A"]) == [(0, 0), (0, 1)]


def test_coverage_rows_per_outlet(built):
    db = sqlite_utils.Database(built)
    dam = _event(db, "a1")
    assert _coverage(db, dam) == {
        "Alpha Times": (2, "2023-06-06T08:00:00", "Dam bursts on the Kakhovka river", "a1", 3),
        "Beta News": (1, "2023-06-06T07:30:00", "Flooding after dam breach", "b1", 2),
        "Gamma Daily": (1, "2023-06-08", "Dam breach, <script>alert(1)</script>", "c1", 0),
    }
    # the shared lead (positions 0 and 1) is carried by every outlet; what follows is each one's own
    assert _only(db, dam) == [("Alpha Times", "a1", 2), ("Alpha Times", "a1", 3), ("Alpha Times", "a2", 2),
                              ("Beta News", "b1", 2), ("Beta News", "b1", 3)]
    # one outlet: nothing is "only in" it
    assert _coverage(db, _event(db, "x1")) == {"Beta News": (1, "2023-06-06", "Election night in Lisbon", "x1", 0)}
    assert _only(db, _event(db, "x1")) == []


def test_event_coverage_reads_the_stored_sentences_not_the_body():
    # the build sends no body (only its stored sentences, and the digest step's screening when it
    # has one): the rows are those of only_in splitting each body itself
    from datasette_newsdigest import text

    dam = [a for a in ARTICLES if a["ev"] == "dam" and a.get("outlet")]
    split = {a["id"]: text.split_sentences(a["body"]) for a in dam}
    screened = {a["id"]: (store._sentences_key(split[a["id"]]), digest.screen(split[a["id"]])) for a in dam[:2]}
    work = (1, [(a["id"], a["outlet"], a["title"], a["published"], None, split[a["id"]], screened.get(a["id"]))
                for a in dam])
    covered, only = store.event_coverage(work)
    plain = digest.only_in([digest.Document(a["id"], a["body"], a["published"]) for a in dam],
                           [a["outlet"] for a in dam], max_sentences=store.COVERAGE_SENTENCES,
                           max_words=store.COVERAGE_WORDS)
    assert only == [(dam[d]["outlet"], dam[d]["id"], p) for d, p in plain] and only
    firsts = {}
    for a in dam:
        firsts.setdefault(a["outlet"], a)
    assert covered == [(o, sum(a["outlet"] == o for a in dam), f["published"], f["title"], f["id"],
                        sum(r[0] == o for r in only)) for o, f in firsts.items()]


def test_add_recomputes_the_events_it_touches(tmp_path):
    db_path = tmp_path / "news.db"
    store.build_database(db_path, [_write(tmp_path, ARTICLES)], event_field="ev", notify=lambda m: None)
    later = tmp_path / "later"
    later.mkdir()
    # Gamma now also reports the insurance estimate, which was only in Beta News
    extra = {"id": "c2", "title": "Damage estimate", "outlet": "Gamma Daily", "published": "2023-06-09",
             "ev": "dam", "body": "Insurance brokers in London estimated the damage at several billion dollars."}
    store.build_database(db_path, [_write(later, [extra])], add=True, notify=lambda m: None)
    db = sqlite_utils.Database(db_path)
    dam = _event(db, "a1")
    assert _event(db, "c2") == dam
    assert _coverage(db, dam)["Gamma Daily"] == (2, "2023-06-08", "Dam breach, <script>alert(1)</script>", "c1", 0)
    assert _coverage(db, dam)["Beta News"][-1] == 1
    assert ("Beta News", "b1", 3) not in _only(db, dam)


def test_a_correction_recomputes_both_events(tmp_path):
    db_path = tmp_path / "news.db"
    store.build_database(db_path, [_write(tmp_path, ARTICLES)], event_field="ev", notify=lambda m: None)
    db = sqlite_utils.Database(db_path)
    store.correct(db_path, "event", "move", ["b1"], to=str(_event(db, "x1")), notify=lambda m: None)
    dam, vote = _event(db, "a1"), _event(db, "x1")
    assert _event(db, "b1") == vote
    assert set(_coverage(db, dam)) == {"Alpha Times", "Gamma Daily"}
    assert _coverage(db, vote) == {"Beta News": (2, "2023-06-06", "Election night in Lisbon", "x1", 0)}
    assert _only(db, vote) == []
    assert [o for o, _, _ in _only(db, dam)] == ["Alpha Times"] * 3


# --- Pages ---------------------------------------------------------------------------------------

ADMIN = {"id": "admin"}


async def _page(datasette, path, actor=None):
    cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
    response = await datasette.client.get(path, cookies=cookies)
    assert response.status_code == 200, (path, response.text[:300])
    return response


@pytest.mark.asyncio
async def test_event_page_who_said_what_and_coverage(built, shared_datasette):
    datasette = shared_datasette(built)
    dam = _event(sqlite_utils.Database(built), "a1")
    data = (await _page(datasette, f"/-/digest/news/{dam}.json")).json()
    speakers = {sp["speaker"]: sp for sp in data["who_said_what"]["speakers"]}
    # the mayor, named in full once, is one speaker though b1 calls her "Kovalenko"
    mayor = speakers["Olena Kovalenko"]
    assert mayor["role"] == "Mayor" and mayor["outlets"] == ["Alpha Times", "Beta News"]
    said = {st["quote"]: st["outlets"] for st in mayor["statements"]}
    assert said["We will rebuild every house"] == ["Alpha Times"]
    assert said["This is an ecological disaster"] == ["Beta News"]
    # the shared lead's officials are carried by every outlet (and the undated article without one), first report first
    officials = data["who_said_what"]["speakers"][0]
    assert officials["speaker"] == "Officials"
    assert officials["statements"][0]["outlets"] == ["Beta News", "Alpha Times", "Gamma Daily", "(outlet unknown)"]
    chart = data["who_said_what"]["chart"]
    assert {"speaker": "Olena Kovalenko", "outlet": "Alpha Times", "statements": 2} in chart["data"]["values"]
    coverage = data["coverage"]
    # earliest report first
    assert [o["outlet"] for o in coverage["outlets"]] == ["Beta News", "Alpha Times", "Gamma Daily"]
    beta = coverage["outlets"][0]
    assert [s["sentence"] for s in beta["only"]] == [
        "“This is an ecological disaster,” Kovalenko said.",
        "Insurance brokers in London estimated the damage at several billion dollars."]
    assert [o["lean"] for o in coverage["outlets"]] == ["left", "left", "center"]
    assert coverage["lean"]["bars"] == [{"lean": "center", "articles": 1, "percent": 25},
                                        {"lean": "left", "articles": 3, "percent": 75},
                                        {"lean": "right", "articles": 0, "percent": 0}]
    assert coverage["lean"]["missing"] == ["right"]
    html = (await _page(datasette, f"/-/digest/news/{dam}")).text
    assert "<h2>Who said what</h2>" in html and "<h2>Coverage</h2>" in html
    assert "No right outlet reported this event." in html and "(Mayor)" in html
    assert "<script>alert(1)</script>" not in html and "Dam breach, &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="spec-speakers"' in html


@pytest.mark.asyncio
async def test_story_page_lists_the_main_speakers(built, shared_datasette):
    datasette = shared_datasette(built)
    db = sqlite_utils.Database(built)
    story = db.execute("select story_id from events where id = ?", [_event(db, "a1")]).fetchone()[0]
    data = (await _page(datasette, f"/-/digest/news/story/{story}.json")).json()
    assert [sp["speaker"] for sp in data["speakers"]][:2] == ["Officials", "Olena Kovalenko"]
    assert data["speakers"][1]["outlets"] == 2 and data["speakers"][1]["statements"] == 3
    html = (await _page(datasette, f"/-/digest/news/story/{story}")).text
    assert "<h2>Main speakers</h2>" in html
    # the dam's story (the vote is a story of its own, by event_field): its four articles with a lean
    assert [(b["lean"], b["articles"]) for b in data["lean"]["bars"]] == [("center", 1), ("left", 3), ("right", 0)]
    assert "No right outlet reported this story." in html


@pytest.mark.asyncio
@pytest.mark.parametrize("table, section, heading", [
    ("quotes", "who_said_what", "Who said what"),
    ("coverage", "coverage", "Only in this outlet"),
    ("coverage_sentences", "coverage", "Only in this outlet"),
])
async def test_a_section_needs_view_table_on_its_tables(built, shared_datasette, table, section, heading):
    datasette = shared_datasette(built, metadata={"databases": {"news": {"tables": {table: {"allow": ADMIN}}}}})
    dam = _event(sqlite_utils.Database(built), "a1")
    data = (await _page(datasette, f"/-/digest/news/{dam}.json")).json()
    assert data[section] is None
    html = (await _page(datasette, f"/-/digest/news/{dam}")).text
    assert heading not in html
    if table == "quotes":  # the speakers and roles are in no table the actor may see
        assert '"role"' not in json.dumps(data) and "(Mayor)" not in html
        story = sqlite_utils.Database(built).execute("select story_id from events where id = ?", [dam]).fetchone()[0]
        assert (await _page(datasette, f"/-/digest/news/story/{story}.json")).json()["speakers"] is None
    assert (await _page(datasette, f"/-/digest/news/{dam}.json", ADMIN)).json()[section] is not None


@pytest.mark.asyncio
async def test_an_older_database_has_neither_section(built, tmp_path):
    older = tmp_path / "news.db"
    shutil.copy(built, older)
    db = sqlite_utils.Database(older)
    for table in ("quotes", "coverage", "coverage_sentences"):
        db.table(table).drop()
    dam = _event(db, "a1")
    db.close()
    datasette = Datasette([str(older)])
    data = (await _page(datasette, f"/-/digest/news/{dam}.json")).json()
    assert data["who_said_what"] is None and data["coverage"] is None
    html = (await _page(datasette, f"/-/digest/news/{dam}")).text
    assert "Who said what" not in html and "Only in this outlet" not in html


def test_lean_column_setting():
    from datasette_newsdigest.settings import ConfigError, Settings
    assert Settings.from_config({}).lean_column == "bias"
    assert Settings.from_config({"lean_column": "leaning"}).lean_column == "leaning"
    for bad in ("", 3, ["bias"]):
        with pytest.raises(ConfigError, match="lean_column"):
            Settings.from_config({"lean_column": bad})


@pytest.mark.asyncio
async def test_another_lean_column_or_none(built):
    dam = _event(sqlite_utils.Database(built), "a1")
    for column, expected in (("genre", ["news"]), ("no such column", None)):
        datasette = Datasette([str(built)], metadata={"plugins": {"datasette-newsdigest": {"lean_column": column}}})
        lean = (await _page(datasette, f"/-/digest/news/{dam}.json")).json()["coverage"]["lean"]
        assert (lean and [b["lean"] for b in lean["bars"]]) == expected



def test_coverage_reads_the_stored_sentences_instead_of_splitting_bodies_again(built, tmp_path, monkeypatch):
    from datasette_newsdigest import text

    copy = tmp_path / "news.db"
    shutil.copy(built, copy)
    db = sqlite_utils.Database(copy)
    events = [e for (e,) in db.execute("select id from events order by id")]
    before = {e: (_coverage(db, e), _only(db, e)) for e in events}
    assert any(only for _, only in before.values())
    monkeypatch.setattr(text, "split_sentences", lambda *_: pytest.fail("a body was split again"))
    store.fill_coverage(db)
    assert {e: (_coverage(db, e), _only(db, e)) for e in events} == before


def test_a_full_build_makes_coverage_with_the_digests_as_fill_coverage_does(tmp_path, monkeypatch):
    # a full build makes each event's coverage in its digest's worker call (each sentence tokenized
    # once for both), not by fill_coverage: the same rows, in the same order, as fill_coverage makes
    db_path = tmp_path / "news.db"
    monkeypatch.setattr(store, "fill_coverage", lambda *a, **k: pytest.fail("a full build ran fill_coverage"))
    store.build_database(db_path, [_write(tmp_path, ARTICLES)], event_field="ev", notify=lambda m: None)
    monkeypatch.undo()
    db = sqlite_utils.Database(db_path)
    tables = "select rowid, * from coverage order by rowid", "select rowid, * from coverage_sentences order by rowid"
    fused = [db.execute(sql).fetchall() for sql in tables]
    assert fused[1]
    store.fill_coverage(db)
    assert [db.execute(sql).fetchall() for sql in tables] == fused
    with pytest.raises(ValueError), db.conn:
        store.fill_digests(db, full=False, coverage=True)  # an --add's coverage is fill_coverage's
