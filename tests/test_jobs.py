"""A build with worker processes writes the same database as one without (issue 14 item 1):
every table, row for row, for a rebuild and an --add, with the same messages."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from datasette_newsdigest import events, store, work

PLACES = ["Riverton", "Lakeside", "Port Alder", "Hillcrest", "Marlow", "Eastbrook"]
THINGS = ["bridge", "dam", "factory", "school", "harbor", "hospital"]
PEOPLE = ["Governor Alan Pike", "Mayor Rosa Diaz", "Chief Dana Ruiz", "Senator Tom Hale", "Dr. Ann Wu"]
OUTLETS = ["Wire One", "Daily Two", "Times Three", "Post Four", None]


def _article(rng: random.Random, i: int, event: int) -> dict:
    """A news-like article of one of a few events: shared facts, quotes, a date and an outlet."""
    place, thing = PLACES[event % len(PLACES)], THINGS[event % len(THINGS)]
    person = rng.choice(PEOPLE)
    facts = [
        f"The {thing} in {place} was closed on Monday after inspectors found serious damage, officials said.",
        f"{person} said the {thing} would stay closed until repairs were finished.",
        f'"We will not reopen the {thing} until it is safe," {person} told reporters in {place}.',
        f"Engineers from the state arrived in {place} on Tuesday to examine the {thing}.",
        "The U.S. Department of Transportation said it would send 12 inspectors by Friday.",
        f"Residents of {place} said they had warned the council about the {thing} for years.",
        '"It was only a matter of time," said one resident, who asked not to be named.',
        f"Repairs to the {thing} could cost as much as ${rng.randint(2, 90)}.{rng.randint(0, 9)} million.",
    ]
    rng.shuffle(facts)
    paragraphs = [" ".join(facts[k:k + rng.randint(1, 3)]) for k in range(0, len(facts), 3)]
    return {"id": f"a{i}", "title": f"{thing.title()} in {place} closed ({i})",
            "body": "\n\n".join(paragraphs), "outlet": rng.choice(OUTLETS),
            # events years apart, some articles undated: the candidate search's windows, far blocks and
            # undated blocks all have work
            "published": None if i % 9 == 4 else
            f"{2019 + event}-03-{1 + event * 3 + rng.randint(0, 2):02d}T{rng.randint(0, 23):02d}:00:00Z"}


def _write(path: Path, first: int, count: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = [json.dumps(_article(rng, i, rng.randrange(len(PLACES)))) for i in range(first, first + count)]
    lines.insert(7, "{not json")  # a skipped line and a duplicate id: messages keep their order
    lines.insert(11, json.dumps(_article(rng, first, 0)))
    path.write_text("\n".join(lines) + "\n")
    return path


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """A table's rows in rowid order (insertion order), or sorted when it has no rowid (FTS shadow tables)."""
    try:
        return conn.execute(f"select * from [{table}] order by rowid").fetchall()
    except sqlite3.OperationalError:
        return sorted(conn.execute(f"select * from [{table}]").fetchall(), key=repr)


def _tables(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        names = [n for (n,) in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        tables = {n: _rows(conn, n) for n in names if n != store.META_TABLE and not n.startswith("sqlite_")}
        tables[store.META_TABLE] = conn.execute(
            f"select * from [{store.META_TABLE}] where key not in ('built_at', 'updated_at') order by key").fetchall()
    return tables


@pytest.fixture
def pooled(monkeypatch):
    """The names of the functions work.pool's executors ran, so a test can tell the workers were used
    (small inputs would not be); the candidate search cut into windows of a few articles, the
    stories' splits and labels into tasks of a few stories."""
    ran: set[str] = set()
    real = work.ProcessPoolExecutor

    def counting(*args, **kwargs):
        executor = real(*args, **kwargs)
        mapped = executor.map

        def recorded(fn, *iterables, **options):
            ran.add(fn.__name__)
            return mapped(fn, *iterables, **options)

        executor.map = recorded  # type: ignore[method-assign]
        return executor

    monkeypatch.setattr(work, "MIN_ITEMS", 2)
    monkeypatch.setattr(work, "ProcessPoolExecutor", counting)
    monkeypatch.setattr(events, "WINDOW_ROWS", 16)
    monkeypatch.setattr(store, "LABEL_BATCH", 8)  # the event labels in several batches, handed over in pairs
    monkeypatch.setattr(store, "SPLIT_CHUNK", 2)
    return ran


@pytest.mark.slow
def test_two_jobs_build_the_same_database_as_one(tmp_path, seeds_dir, pooled):
    first = _write(tmp_path / "first.jsonl", 0, 60, seed=1)
    later = _write(tmp_path / "later.jsonl", 60, 30, seed=2)
    built: dict[int, dict] = {}
    for jobs in (1, 2):
        db = tmp_path / f"jobs{jobs}.db"
        told: list[str] = []
        stats = store.build_database(db, [first, seeds_dir], notify=told.append, jobs=jobs)
        added = store.build_database(db, [later], add=True, notify=told.append, jobs=jobs)
        built[jobs] = {"tables": _tables(db), "told": told,
                       "stats": [(s.articles, s.sentences, s.problems, s.notes, s.new_ids) for s in (stats, added)]}
    ran = {"_made", "article_features", "candidate_task", "_stories_incidents", "_story_labels"}
    assert ran <= pooled, f"the workers ran only {pooled}"
    one, two = built[1], built[2]
    assert two["told"] == one["told"] and any("duplicate id" in m for m in one["told"])
    assert two["stats"] == one["stats"]
    assert two["tables"].keys() == one["tables"].keys()
    for name, rows in one["tables"].items():
        assert two["tables"][name] == rows, f"table {name} differs"
    for name in ("articles", "sentences", "events", "stories", "quotes", "digest_sentences", "coverage"):
        assert one["tables"][name], f"the input made no {name} rows to compare"

