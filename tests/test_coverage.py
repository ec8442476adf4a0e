"""What each outlet of an event reported: the coverage tables, built, added to and corrected,
and the event page's "Who said what" and "Coverage" sections.

Expectations are written from reading the constructed articles below, not from a run."""

import json

import pytest
import sqlite_utils

from datasette_newsdigest import digest, store

SHARED = ("Officials said the dam on the Kakhovka river burst early on Tuesday morning. "
          "Thousands of residents were evacuated from villages downstream of the dam. ")
ARTICLES = [
    {"id": "a1", "title": "Dam bursts on the Kakhovka river", "outlet": "Alpha Times",
     "published": "2023-06-06T08:00:00", "ev": "dam",
     "body": SHARED + "“We will rebuild every house,” Mayor Olena Kovalenko said on Tuesday. "
                      "Alpha Times reporters saw cattle swept away by the brown water near Nova Kakhovka."},
    {"id": "a2", "title": "Later Alpha piece on the dam", "outlet": "Alpha Times",
     "published": "2023-06-07T09:00:00", "ev": "dam",
     "body": SHARED + "Mayor Olena Kovalenko said the water would recede within a week."},
    {"id": "b1", "title": "Flooding after dam breach", "outlet": "Beta News",
     "published": "2023-06-06T07:30:00", "ev": "dam",
     "body": SHARED + "“This is an ecological disaster,” Kovalenko said. "
                      "Insurance brokers in London estimated the damage at several billion dollars."},
    {"id": "c1", "title": "Dam breach, <script>alert(1)</script>", "outlet": "Gamma Daily",
     "published": "2023-06-08", "ev": "dam",
     "body": SHARED},
    {"id": "n1", "title": "No outlet here", "ev": "dam", "body": SHARED},
    {"id": "x1", "title": "Election night in Lisbon", "outlet": "Beta News", "published": "2023-06-06",
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
