"""Two levels in the store: stories, events inside them, their ids under a rebuild and --add, the
foreign keys between the tables, and grouping fields the input already has (--story-field,
--event-field). Groupings that matter are set by fields here, so the tests check the store, not
the clustering (tests/test_events.py and tests/test_incidents.py judge that)."""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette

from datasette_newsdigest import store
from datasette_newsdigest.cli import cli

PLACES = {
    "kostanj": ("Kostanj dam", "Velika Rijeka", "the dam above the valley burst after days of rain"),
    "tarnow": ("Tarnow bridge", "Lesko", "the rail bridge over the river collapsed under a freight train"),
    "harbour": ("Harbour fire", "Split", "a fire spread from a warehouse through the old harbour"),
    "chess": ("Chess final", "Reykjavik", "the world chess final went to a fourth tiebreak game"),
}


def record(i: int, place: str, day: str | None, **extra) -> dict:
    name, town, what = PLACES[place]
    body = (f"Officials in {town} said on the day that {what}. Residents of {town} described the scene "
            f"to reporters. The mayor of {town} promised an inquiry into the {name.lower()}, report {i}.")
    return {"id": f"{place}-{i}", "title": f"{name}: report {i} from {town}", "body": body,
            "published": day, "outlet": f"Outlet {i % 3}", **extra}


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def build(*args) -> str:
    result = CliRunner().invoke(cli, ["build", "--no-progress", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def rows(db: Path, sql: str, args=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def grouping(db: Path) -> dict[str, tuple[int, int]]:
    return {a: (e, s) for a, e, s in rows(db, "select a.id, a.event_id, e.story_id from articles a "
                                          "join events e on e.id = a.event_id")}


# Two stories by slug; the flood story has two events by event key, the bridge story one.
KEYED = [
    record(0, "kostanj", "2024-04-10", slug="floods", incident="dam"),
    record(1, "tarnow", "2024-04-08", slug="bridges", incident="bridge"),
    record(2, "kostanj", "2024-04-11", slug="floods", incident="dam"),
    record(3, "harbour", "2024-04-09", slug="floods", incident="fire"),
    record(4, "tarnow", "2024-04-08", slug="bridges", incident="bridge"),
]


@pytest.fixture(scope="module")
def built_keyed(tmp_path_factory) -> Path:
    """KEYED built by both grouping fields, once for the module: the tests read or change copies."""
    folder = tmp_path_factory.mktemp("keyed")
    db = folder / "news.db"
    build(db, write(folder / "in.jsonl", KEYED), "--story-field", "slug", "--event-field", "incident")
    return db


@pytest.fixture
def keyed_db(tmp_path, built_keyed) -> Path:
    """This test's own copy of the build of KEYED (the file a build makes, but for its meta's times)."""
    return Path(shutil.copy(built_keyed, tmp_path / "news.db"))


def test_story_and_event_fields_set_both_levels_numbered_by_first_date(keyed_db):
    got = grouping(keyed_db)
    # events by first date across the database: bridge (8th), fire (9th), dam (10th)
    assert got["tarnow-1"] == got["tarnow-4"] == (1, 1)
    assert got["harbour-3"] == (2, 2) and got["kostanj-0"] == got["kostanj-2"] == (3, 2)
    assert rows(keyed_db, "select id, first_published, last_published, events, articles, outlets, edited "
                          "from stories order by id") == [
        (1, "2024-04-08", "2024-04-08", 1, 2, 1, 0), (2, "2024-04-09", "2024-04-11", 2, 3, 2, 0)]
    assert rows(keyed_db, "select id, story_id, first_published, last_published, articles, edited "
                          "from events order by id") == [
        (1, 1, "2024-04-08", "2024-04-08", 2, 0), (2, 2, "2024-04-09", "2024-04-09", 1, 0),
        (3, 2, "2024-04-10", "2024-04-11", 2, 0)]
    meta = store.read_meta(keyed_db)
    assert (meta["story_field"], meta["event_field"]) == ("slug", "incident")


def test_story_label_is_the_label_of_its_largest_event(keyed_db):
    labels = dict(rows(keyed_db, "select id, label from events"))
    assert labels[3] in {r["title"] for r in KEYED if r["incident"] == "dam"}
    assert labels[2] == KEYED[3]["title"]
    assert dict(rows(keyed_db, "select id, label from stories")) == {1: labels[1], 2: labels[3]}


def test_add_keeps_stories_and_events_and_joins_new_articles_by_field(keyed_db, tmp_path):
    before = grouping(keyed_db)
    added = [record(5, "harbour", "2024-04-12", slug="floods", incident="fire"),
             record(6, "chess", "2024-04-01", slug="chess", incident="final"),
             record(7, "kostanj", "2024-04-12", slug="bridges", incident="dam")]
    build(keyed_db, write(tmp_path / "more.jsonl", added), "--add")  # the fields come from the meta
    after = grouping(keyed_db)
    assert {a: after[a] for a in before} == before
    assert after["harbour-5"] == before["harbour-3"]
    # an article whose event is known joins that event's story, whatever its story field says
    assert after["kostanj-7"] == before["kostanj-0"]
    # new groups are numbered on, even when they are older
    assert after["chess-6"] == (4, 3)
    assert rows(keyed_db, "select articles, last_published from events where id = 2") == [(2, "2024-04-12")]
    assert rows(keyed_db, "select events, articles from stories where id = 2") == [(2, 5)]


def test_event_field_alone_puts_each_event_in_the_story_most_of_it_falls_in(tmp_path):
    db = tmp_path / "news.db"
    records = [record(i, place, f"2024-04-0{1 + i}", incident=place) for i, place in
               enumerate(["kostanj", "kostanj", "tarnow", "tarnow", "harbour"])]
    build(db, write(tmp_path / "in.jsonl", records), "--event-field", "incident")
    got = grouping(db)
    events_of = {place: {got[r["id"]][0] for r in records if r["incident"] == place} for place in PLACES}
    assert all(len(found) == 1 for found in (events_of["kostanj"], events_of["tarnow"], events_of["harbour"]))
    assert len({got[r["id"]][0] for r in records}) == 3
    for article, (event, story) in got.items():  # an event's articles share one story
        assert {s for e, s in got.values() if e == event} == {story}, article


def test_articles_without_the_field_are_clustered(tmp_path):
    db = tmp_path / "news.db"
    records = [record(0, "kostanj", "2024-04-10", slug="floods"), record(1, "chess", "2024-04-10"),
               record(2, "chess", "2024-04-10", slug="")]
    build(db, write(tmp_path / "in.jsonl", records), "--story-field", "slug")
    got = grouping(db)
    assert got["kostanj-0"][1] != got["chess-1"][1]
    assert got["chess-1"][1] == got["chess-2"][1]  # an empty value counts as none: clustered together
    assert rows(db, f"select count(*) from {store.STATE_TABLE}") == [(1,)]  # only clustered stories


def test_a_grouping_field_no_article_has_is_one_line(tmp_path):
    db = tmp_path / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(write(tmp_path / "in.jsonl", KEYED)),
                                      "--story-field", "nope"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: no article has a field 'nope' to group by; nothing was written")


def test_a_field_in_extra_fields_or_renamed_by_ingest_is_found(tmp_path):
    db = sqlite_utils.Database(tmp_path / "news.db")
    store.create_tables(db)
    db["articles"].add_column("input_source", str)
    db["articles"].add_column(store.ingest.OVERFLOW_COLUMN, str)
    for i, (renamed, overflow) in enumerate([("a", None), (None, "b"), ("a", None)]):
        db["articles"].insert({"id": f"x{i}", "title": f"Headline {i}", "body": "Some words here. More.",
                               "input_source": renamed,
                               store.ingest.OVERFLOW_COLUMN: json.dumps({"source": overflow}) if overflow else None})
    store.update_events(db, story_field="source")
    got = dict(db.execute("select a.id, e.story_id from articles a join events e on e.id = a.event_id"))
    assert got["x0"] == got["x2"] != got["x1"]


def test_full_build_of_clustered_articles_every_level_filled_and_numbered(seeds_db):
    db = seeds_db  # a build of seeds/, read only
    got = grouping(db)
    assert len(got) == 5
    firsts = rows(db, "select id, first_published from events order by id")
    dated = [f for _, f in firsts if f]
    assert dated == sorted(dated) and [f for _, f in firsts] == dated + [None] * (len(firsts) - len(dated))
    assert [i for i, _ in firsts] == list(range(1, len(firsts) + 1))
    (stories,) = rows(db, "select count(*) from stories")[0]
    assert sorted({s for _, s in got.values()}) == list(range(1, stories + 1))
    assert rows(db, "select sum(articles), sum(events) from stories") == [(5, len(firsts))]
    assert rows(db, "select count(*) from articles where published_from is not null") == [(1,)]


def test_foreign_keys_link_articles_events_and_stories(keyed_db):
    db = sqlite_utils.Database(keyed_db)
    assert {(fk.column, fk.other_table, fk.other_column) for fk in db["articles"].foreign_keys} == {
        ("event_id", "events", "id")}
    assert {(fk.column, fk.other_table, fk.other_column) for fk in db["events"].foreign_keys} == {
        ("story_id", "stories", "id")}
    assert rows(keyed_db, "pragma foreign_key_check") == []


@pytest.mark.asyncio
async def test_datasette_links_an_article_to_its_event_and_an_event_to_its_story(keyed_db, metadata):
    datasette = Datasette([str(keyed_db)], metadata=metadata)
    article = (await datasette.client.get("/news/articles.json?_labels=on&_shape=array&id=kostanj-0")).json()[0]
    label = rows(keyed_db, "select label from events where id = 3")[0][0]
    assert article["event_id"] == {"value": 3, "label": label}
    event = (await datasette.client.get("/news/events.json?_labels=on&_shape=array&id=3")).json()[0]
    assert event["story_id"] == {"value": 2, "label": rows(keyed_db, "select label from stories where id = 2")[0][0]}
    assert 'href="/news/stories/2"' in (await datasette.client.get("/news/events?id=3")).text
    assert 'href="/news/events?story_id=2"' in (await datasette.client.get("/news/stories/2")).text
    assert 'href="/news/articles?event_id=3"' in (await datasette.client.get("/news/events/3")).text


def test_add_to_a_version_1_database_is_refused(tmp_path, seeds_dir, seeds_copy):
    db = seeds_copy(tmp_path / "news.db")
    with sqlite3.connect(db) as conn:  # the layout of a version 1 database from before the meta table
        conn.execute(f"drop table {store.META_TABLE}")
        conn.execute(f"alter table {store.STATE_TABLE} rename to {store.LEGACY_STATE_TABLE}")
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["build", str(db), str(write(tmp_path / "in.jsonl", KEYED)), "--add"])
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert "has schema version 1, not the version 2" in line and "rebuild it" in line
    assert db.read_bytes() == before
    build(db, seeds_dir)  # a rebuild replaces it
    assert store.read_meta(db)["schema_version"] == "2"
