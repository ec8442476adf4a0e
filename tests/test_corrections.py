"""Corrections that persist: `newsdigest events|stories move/merge/label` change the grouping at
once, are kept by article id in `corrections`, and are applied again after every rebuild and
--add; `list`, `show` and `corrections` print them; bad ids are one line and exit 1.

Where a grouping must be known in advance it is set by grouping fields (--story-field,
--event-field), so what is tested is the correction, not the clustering."""

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from datasette_newsdigest import store
from datasette_newsdigest.cli import cli

TOWNS = {"dam": "Velika Rijeka", "bridge": "Lesko", "fire": "Split", "chess": "Reykjavik"}


def record(i: int, incident: str, slug: str, day: str) -> dict:
    town = TOWNS[incident]
    return {"id": f"{incident}-{i}", "title": f"The {incident} at {town}, report {i}", "published": day,
            "body": f"Officials in {town} spoke about the {incident} on the day. Residents of {town} told "
                    f"reporters what they saw of the {incident}. Report number {i}.",
            "outlet": f"Outlet {i}", "slug": slug, "incident": incident}


# events by first date: 1 bridge (story 1), 2 fire, 3 dam (story 2)
FIRST = [record(0, "dam", "floods", "2024-04-10"), record(1, "bridge", "bridges", "2024-04-08"),
         record(2, "dam", "floods", "2024-04-11"), record(3, "fire", "floods", "2024-04-09"),
         record(4, "bridge", "bridges", "2024-04-08")]
LATER = [record(5, "dam", "floods", "2024-04-12"), record(6, "chess", "chess", "2024-04-13")]
FIELDS = ("--story-field", "slug", "--event-field", "incident")


def run(*args, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def rows(db: Path, sql: str, args=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def event_of(db: Path) -> dict[str, int]:
    return dict(rows(db, "select id, event_id from articles"))


def story_of(db: Path) -> dict[str, int]:
    return dict(rows(db, "select a.id, e.story_id from articles a join events e on e.id = a.event_id"))


def together(db: Path, *ids: str) -> bool:
    return len({event_of(db)[a] for a in ids}) == 1


@pytest.fixture
def inputs(tmp_path) -> tuple[Path, Path]:
    return write(tmp_path / "first.jsonl", FIRST), write(tmp_path / "later.jsonl", LATER)


@pytest.fixture(scope="module")
def built_first(tmp_path_factory) -> Path:
    """FIRST built by its grouping fields, once for the module: the tests change copies of it."""
    folder = tmp_path_factory.mktemp("first")
    db = folder / "news.db"
    run("build", "--no-progress", db, write(folder / "first.jsonl", FIRST), *FIELDS)
    assert event_of(db) == {"dam-0": 3, "bridge-1": 1, "dam-2": 3, "fire-3": 2, "bridge-4": 1}
    return db


@pytest.fixture
def db(tmp_path, built_first) -> Path:
    """This test's own copy of the build of FIRST: the file a build makes, but for the times in its
    meta table (building it per test was a fifth of the fast loop's builds)."""
    return Path(shutil.copy(built_first, tmp_path / "news.db"))


def test_move_to_an_event_survives_a_rebuild_and_an_add(db, inputs):
    assert run("events", "move", db, "bridge-1", "--to", "3") == "moved 1 article to event 3\n"
    assert event_of(db)["bridge-1"] == 3 and story_of(db)["bridge-1"] == 2
    assert rows(db, "select id, articles, edited from events order by id") == [(1, 1, 1), (2, 1, 0), (3, 3, 1)]
    assert rows(db, "select id, articles, events, edited from stories order by id") == [(1, 1, 1, 1), (2, 4, 2, 1)]
    assert rows(db, "select level, action, article_id, anchor_id, label from corrections") == [
        ("event", "move", "bridge-1", "dam-0", None)]
    output = run("build", "--no-progress", db, inputs[0], *FIELDS)  # a full rebuild
    assert "1 correction applied" in output
    assert together(db, "bridge-1", "dam-0", "dam-2") and not together(db, "bridge-1", "bridge-4")
    assert rows(db, "select edited from events where id = ?", [event_of(db)["dam-0"]]) == [(1,)]
    assert "incremental clustering" in run("build", "--no-progress", db, inputs[1], "--add")
    assert together(db, "bridge-1", "dam-0", "dam-5") and not together(db, "bridge-1", "bridge-4")
    assert rows(db, "select count(*) from corrections") == [(1,)]


def test_move_to_new_puts_the_articles_together_in_one_new_event(db, inputs):
    assert run("events", "move", db, "dam-0", "fire-3", "--to", "new") == (
        "moved 2 articles to a new event (event 4)\n")
    assert event_of(db)["dam-0"] == event_of(db)["fire-3"] == 4
    assert rows(db, "select story_id, articles, edited, label from events where id = 4") == [
        (2, 2, 1, rows(db, "select label from events where id = 4")[0][0])]
    assert rows(db, "select label from events where id = 4")[0][0] in {FIRST[0]["title"], FIRST[3]["title"]}
    assert not rows(db, "select 1 from events where id = 2")  # the fire's only article left: no event 2
    run("build", "--no-progress", db, inputs[0], *FIELDS)
    assert together(db, "dam-0", "fire-3") and not together(db, "dam-0", "dam-2")
    assert "incremental clustering" in run("build", "--no-progress", db, inputs[1], "--add")
    assert together(db, "dam-0", "fire-3") and not together(db, "dam-0", "dam-2")


def test_corrections_survive_a_rebuild_and_an_add_that_cluster(tmp_path, seeds_dir, seeds_copy, inputs):
    db = seeds_copy(tmp_path / "news.db")
    ids = sorted(event_of(db))
    run("events", "move", db, ids[0], "--to", "new")
    run("events", "move", db, ids[2], "--to", "new")  # so that it is in another event than ids[1]
    run("events", "merge", db, str(event_of(db)[ids[1]]), str(event_of(db)[ids[2]]))
    run("stories", "move", db, ids[3], "--to", "new")
    (kept,) = rows(db, "select count(*) from corrections")[0]
    assert f"{kept} corrections applied" in run("build", "--no-progress", db, seeds_dir)
    for added in (inputs[1], write(tmp_path / "more.jsonl", [FIRST[0]]), None):
        assert not any(event_of(db)[a] == event_of(db)[ids[0]] for a in ids[1:])
        assert together(db, ids[1], ids[2])
        assert [a for a in ids if story_of(db)[a] == story_of(db)[ids[3]]] == [ids[3]]
        if added:  # the stored state still fits the corrected stories: --add stays incremental
            assert "incremental clustering" in run("build", "--no-progress", db, added, "--add")
    assert rows(db, "select count(*) from articles") == [(8,)]


def test_merge_events_keeps_one_row_per_moved_article_and_survives_a_rebuild(db, inputs):
    assert run("events", "merge", db, "2", "3") == "merged events 3 into event 2\n"
    assert together(db, "fire-3", "dam-0", "dam-2")
    assert rows(db, "select action, article_id, anchor_id from corrections order by id") == [
        ("merge", "dam-0", "fire-3"), ("merge", "dam-2", "fire-3")]
    assert rows(db, "select id, articles, edited from events where story_id = 2") == [(2, 3, 1)]
    run("build", "--no-progress", db, inputs[0], *FIELDS)
    assert together(db, "fire-3", "dam-0", "dam-2")


def test_label_survives_a_rebuild_and_list_and_show_print_it(db, inputs):
    assert run("events", "label", db, "3", "  The Kostanj dam   burst ") == "labelled event 3\n"
    assert rows(db, "select label, edited from events where id = 3") == [("The Kostanj dam burst", 1)]
    run("build", "--no-progress", db, inputs[0], *FIELDS)
    assert rows(db, "select label, edited from events where id = ?", [event_of(db)["dam-0"]]) == [
        ("The Kostanj dam burst", 1)]
    listed = run("events", "list", db).splitlines()
    assert len(listed) == 3
    assert listed[2] == "3\t2 articles\tstory 2\t2024-04-10\tedited The Kostanj dam burst"
    assert listed[0] == f"1\t2 articles\tstory 1\t2024-04-08\t{rows(db, 'select label from events where id = 1')[0][0]}"
    shown = run("events", "show", db, "3").splitlines()
    assert shown[0] == listed[2]
    assert shown[1:] == [f"  dam-0\t2024-04-10\tOutlet 0\t{FIRST[0]['title']}",
                         f"  dam-2\t2024-04-11\tOutlet 2\t{FIRST[2]['title']}"]
    assert run("stories", "show", db, "2").splitlines()[1:] == [
        f"  event 2\t1 article\t2024-04-09\t{FIRST[3]['title']}",
        "  event 3\t2 articles\t2024-04-10\tedited The Kostanj dam burst"]
    corrections = run("events", "corrections", db).splitlines()
    assert len(corrections) == 1
    assert corrections[0].startswith("1\t") and corrections[0].endswith(
        "\tevent label\tevent of dam-0: 'The Kostanj dam burst'\tok")


def test_story_move_merge_and_label(db, inputs):
    assert run("stories", "move", db, "bridge-1", "--to", "2") == "moved 1 article to story 2\n"
    assert story_of(db)["bridge-1"] == 2 and story_of(db)["bridge-4"] == 1
    assert event_of(db)["bridge-1"] not in {event_of(db)["bridge-4"]}
    assert run("stories", "merge", db, "1", "2") == "merged stories 2 into story 1\n"
    assert set(story_of(db).values()) == {1}
    # the events stay as they were: a story merge moves whole events
    assert together(db, "dam-0", "dam-2") and not together(db, "dam-0", "fire-3")
    run("stories", "label", db, "1", "Spring disasters")
    count = len(set(event_of(db).values()))  # bridge-1 joined one of story 2's events or made its own
    assert rows(db, "select label, edited, events, articles from stories") == [("Spring disasters", 1, count, 5)]
    run("build", "--no-progress", db, inputs[0], *FIELDS)
    assert set(story_of(db).values()) == {1}
    assert rows(db, "select label from stories") == [("Spring disasters",)]
    count = len(set(event_of(db).values()))
    assert run("stories", "list", db) == f"1\t5 articles, {count} events\t2024-04-08\tedited Spring disasters\n"


def test_story_move_to_new_and_edited_flags(db):
    run("stories", "move", db, "fire-3", "--to", "new")
    assert story_of(db)["fire-3"] == 3
    assert rows(db, "select id, events, articles, edited, label from stories order by id") == [
        (1, 1, 2, 0, rows(db, "select label from stories where id = 1")[0][0]),
        (2, 1, 2, 1, rows(db, "select label from stories where id = 2")[0][0]),
        (3, 1, 1, 1, FIRST[3]["title"])]


def test_a_correction_whose_article_is_gone_is_reported_skipped_and_kept(db, inputs, tmp_path):
    run("events", "move", db, "fire-3", "--to", "1")
    without = write(tmp_path / "without.jsonl", [r for r in FIRST if r["id"] != "fire-3"])
    result = CliRunner().invoke(cli, ["build", "--no-progress", str(db), str(without), *FIELDS])
    assert result.exit_code == 0, result.output
    assert "correction 1 (event move) skipped: article 'fire-3' is not in the database" in result.output
    assert "0 corrections applied, 1 skipped" in result.output
    assert run("events", "corrections", db).rstrip().endswith(
        "skipped: article 'fire-3' is not in the database")
    run("build", "--no-progress", db, write(tmp_path / "back.jsonl", [FIRST[3]]), "--add")  # it comes back
    assert together(db, "fire-3", "bridge-1")
    assert run("events", "corrections", db).rstrip().endswith("\tok")


@pytest.mark.parametrize("args, says", [
    (["events", "move", "{db}", "nope", "--to", "1"], "Error: there is no article 'nope'"),
    (["events", "move", "{db}", "dam-0", "--to", "99"], "Error: there is no event 99"),
    (["events", "move", "{db}", "dam-0", "--to", "x1"], "Error: 'x1' is not an event id (a whole number)"),
    (["stories", "merge", "{db}", "1", "1"], "Error: merge needs at least two different stories"),
    (["events", "merge", "{db}", "1", "7"], "Error: there is no event 7"),
    (["events", "label", "{db}", "1", "   "], "Error: a label needs some text"),
    (["events", "show", "{db}", "12"], "Error: there is no event 12"),
    (["stories", "show", "{db}", "-"], "Error: '-' is not a story id (a whole number)"),
])
def test_bad_ids_are_one_line_and_change_nothing(db, args, says):
    before = db.read_bytes()
    result = CliRunner().invoke(cli, [a.format(db=db) for a in args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [says]
    assert db.read_bytes() == before


def test_usage_errors_exit_2_and_other_databases_are_refused(db, tmp_path):
    assert CliRunner().invoke(cli, ["events", "move", str(db), "dam-0"]).exit_code == 2  # no --to
    assert CliRunner().invoke(cli, ["events", "label", str(db), "1"]).exit_code == 2
    assert CliRunner().invoke(cli, ["stories", "frobnicate", str(db)]).exit_code == 2
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table articles (id text)")
    result = CliRunner().invoke(cli, ["events", "list", str(other)])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {other} is not a database made by newsdigest"
    result = CliRunner().invoke(cli, ["events", "list", str(tmp_path / "absent.db")])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {tmp_path / 'absent.db'} does not exist"
    with sqlite3.connect(db) as conn:
        conn.execute(f"update {store.META_TABLE} set value = '1' where key = 'schema_version'")
    result = CliRunner().invoke(cli, ["events", "label", str(db), "1", "x"])
    assert result.exit_code == 1 and "has schema version 1, not the version 2" in result.output
    assert "rebuild it" in result.output


def test_a_correction_waits_for_a_running_build(db):
    told: list[str] = []
    lock = db.with_name(f".{db.name}.lock")
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(target=store.correct, args=(db, "event", "label", ["1"]),
                                  kwargs={"label": "Bridge", "notify": told.append})
        worker.start()
        deadline = time.monotonic() + 30
        while not told and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told and told[0].startswith("waiting for another build of")
        assert rows(db, "select label from events where id = 1") != [("Bridge",)]
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert rows(db, "select label from events where id = 1") == [("Bridge",)]


def test_the_commands_help_loads_no_heavy_module():
    heavy = ["numpy", "scipy", "sumy", "sqlite_utils", "datasette_newsdigest.store", "datasette_newsdigest.events"]
    script = ("import sys\nfrom datasette_newsdigest.cli import cli\n"
              "for args in (['events', '--help'], ['stories', 'move', '--help'],\n"
              "             ['events', 'corrections', '--help']):\n"
              "    try:\n        cli.main(args)\n    except SystemExit:\n        pass\n"
              f"print('loaded:', [m for m in {heavy!r} if m in sys.modules])")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              filter(None, [str(root), os.environ.get("PYTHONPATH")]))})
    assert done.returncode == 0, done.stderr
    assert "--to EVENT_ID|new" not in done.stdout and "--to STORY_ID|new" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"


def test_a_database_that_cannot_be_read_is_one_line(db):
    with sqlite3.connect(db) as conn:
        conn.execute("drop table stories")
    result = CliRunner().invoke(cli, ["stories", "list", str(db)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: could not read {db}: no such table: stories"]
    assert CliRunner().invoke(cli, ["events", "corrections", str(db)]).exit_code == 0


def test_quotes_follow_a_moved_article_and_are_keyed_in_their_new_event(tmp_path):
    """A correction moves an article's quotes with it (event_id) and keys its speakers among the
    new event's, at once, not only at the next build."""
    said = [dict(record(0, "dam", "floods", "2024-04-10"),
                 body="Mayor Ana Kovac said the dam had been leaking for months. Crews worked all night."),
            dict(record(1, "bridge", "bridges", "2024-04-08"),
                 body="Kovac said the bridge would stay closed until engineers had checked it. Traffic was diverted.")]
    db = tmp_path / "news.db"
    run("build", "--no-progress", db, write(tmp_path / "said.jsonl", said), *FIELDS)
    before = dict(rows(db, "select article_id, event_id from quotes"))
    assert set(before) == {"dam-0", "bridge-1"} and before["dam-0"] != before["bridge-1"]
    run("events", "move", db, "bridge-1", "--to", str(event_of(db)["dam-0"]))
    quoted = {a: (e, key) for a, e, key in rows(db, "select article_id, event_id, speaker_key from quotes")}
    assert quoted["bridge-1"][0] == quoted["dam-0"][0] == event_of(db)["dam-0"]
    assert quoted["bridge-1"][1] == quoted["dam-0"][1]  # "Kovac" is the event's "Ana Kovac"


def test_a_correction_that_fails_midway_changes_nothing(db, monkeypatch):
    """One transaction: sqlite-utils commits each write made outside an open transaction, so a
    failure after the move (here while recounting) must leave neither the move nor its row."""
    before = event_of(db)

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_refresh", fail)
    with pytest.raises(store.CorrectionError, match="disk I/O error"):
        store.correct(db, "event", "move", ["bridge-1"], to="new")
    assert event_of(db) == before
    assert rows(db, "select count(*) from corrections") == [(0,)]
    assert rows(db, "select count(*) from events") == [(3,)]


@pytest.mark.parametrize("corrected", [False, True])
def test_a_build_digests_each_event_once(db, inputs, monkeypatch, corrected):
    """Applying the stored corrections made every event's digest once more before the build's own
    fill made them all again (2,594 s of a 4,184 s 37k build went to digests)."""
    from datasette_newsdigest import digest

    if corrected:
        run("events", "move", db, "bridge-1", "--to", "3")
    real, calls = digest.digest_with_support, []
    monkeypatch.setattr(digest, "digest_with_support", lambda documents, **kw: (
        calls.append([d.id for d in documents]), real(documents, **kw))[1])
    run("build", "--no-progress", db, inputs[0], *FIELDS)
    events = rows(db, "select count(*) from events")[0][0]
    assert len(calls) == events == 3
    assert rows(db, "select count(distinct event_id) from digest_sentences") == [(events,)]
    assert together(db, "bridge-1", "dam-0") is corrected
