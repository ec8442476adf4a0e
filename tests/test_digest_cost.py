"""The build's per-event digest and coverage work (issues 12 and 13, cost targets): the fill
steps hand plain per-event inputs to any ``map_`` (a process pool's writes the same rows), and the
table's digests are what the ``newsdigest()`` aggregate returns for the same event and options."""

import shutil
import sqlite3
from concurrent.futures import ProcessPoolExecutor

import pytest
import sqlite_utils

from datasette_newsdigest import sql, store

OUTLETS = ["Alpha Times", "Beta News", "Gamma Daily"]


def _articles() -> list[dict]:
    from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

    bridge = [{"id": f"bridge{i}", "title": f"Bridge collapse, report {i}", "outlet": OUTLETS[i],
               "published": f"2024-01-0{i + 1}", "ev": "bridge", "body": body}
              for i, body in enumerate((BRIDGE_1, BRIDGE_2, BRIDGE_3))]
    # a second article of one outlet, reprinting another's copy: nothing in it is "only in" it
    bridge.append({"id": "bridge3", "title": "Bridge collapse, again", "outlet": OUTLETS[0],
                   "published": "2024-01-04", "ev": "bridge", "body": BRIDGE_2})
    return bridge + [{"id": "lone", "title": "Election night", "outlet": "Beta News", "ev": "vote",
                      "body": "Voters in Lisbon queued for hours on Sunday to cast their ballots."}]


@pytest.fixture(scope="module")
def built(build_news_db):
    return build_news_db(_articles())


TABLES = {"digest_sentences": "event_id, rank", "digest_events": "event_id",
          "coverage": "event_id, outlet", "coverage_sentences": "event_id, outlet, article_id, position"}


def _tables(db) -> dict[str, list[tuple]]:
    return {table: db.execute(f"select * from {table} order by {order}").fetchall() for table, order in TABLES.items()}


def _refill(path, tmp_path, name, map_) -> dict[str, list[tuple]]:
    copy = tmp_path / f"{name}.db"
    shutil.copy(path, copy)
    db = sqlite_utils.Database(copy)
    with db.conn:
        db.execute("delete from digest_sentences")
        db.execute("delete from coverage")
    with db.conn:
        store.fill_digests(db, map_=map_)
    store.fill_coverage(db, map_=map_)
    return _tables(db)


def test_the_fill_steps_write_the_same_rows_through_a_process_pool(built, tmp_path):
    """Per-event inputs and results are plain data a process pool can pickle; the rows written
    do not depend on which map computed them."""
    built_rows = _tables(sqlite_utils.Database(built))
    assert built_rows["coverage_sentences"] and built_rows["digest_sentences"]
    assert _refill(built, tmp_path, "builtin", map) == built_rows
    with ProcessPoolExecutor(2) as pool:
        assert _refill(built, tmp_path, "pool", pool.map) == built_rows


def test_the_stored_digest_is_what_the_aggregate_returns(built):
    """The digest text equals ``newsdigest()`` over the event's bodies in reading order, with the
    page's default options (the seeds carry no genre, so every article reads as news)."""
    from datasette_newsdigest.settings import Settings

    defaults = Settings()
    options = f'{{"sentences": {defaults.event_sentences}, "method": "{defaults.method}"}}'
    conn = sqlite3.connect(built)
    sql.register(conn, defaults.limits)
    events = [e for (e,) in conn.execute("select id from events order by id")]
    assert len(events) >= 3
    assert conn.execute("select count(*) from articles where genre is not null and genre != 'news'").fetchone() == (0,)
    for event in events:
        stored = "\n".join(s for (s,) in conn.execute(
            "select sentence from digest_sentences where event_id = ? order by rank", [event]))
        aggregate, = conn.execute(
            "select newsdigest(body, ?) from (select body from articles where event_id = ? "
            "order by published is null, published, rowid)", [options, event]).fetchone()
        assert stored and aggregate == stored, event
