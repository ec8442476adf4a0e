"""``newsdigest build``: tables, full-text search, exit codes (0 built, 3 built with inputs
skipped, 1 nothing built), atomic replace, --add."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from datasette_newsdigest import store
from datasette_newsdigest.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def build(*args):
    return CliRunner().invoke(cli, ["build", *map(str, args)], catch_exceptions=False)


def rows(db, sql, params=()):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


ARTICLE = {"id": "a1", "title": "Dam bursts", "body": "A dam burst on Thursday. People fled the valley."}


def test_build_seeds(tmp_path, seeds_dir):
    db = tmp_path / "news.db"
    result = build(db, seeds_dir)
    assert result.exit_code == 0, result.output
    assert "Read 5 files: 5 articles" in result.output and "0 skipped" in result.output
    assert rows(db, "select count(*) from articles") == [(5,)]
    (count,) = rows(db, "select count(*) from sentences")[0]
    assert 60 <= count <= 110
    # positions are 0-based and contiguous within each article
    for _, n, top in rows(db, "select article_id, count(*), max(position) from sentences group by article_id"):
        assert top == n - 1
    hits = rows(db, "select a.id from articles a join articles_fts f on a.rowid = f.rowid "
                    "where articles_fts match ?", ("Blinken",))
    assert len(hits) == 1
    columns = {r[1] for r in rows(db, "pragma table_info(articles)")}
    assert {"id", "title", "body", "raw", "outlet", "author", "published", "url", "source",
            "words", "event_id"} <= columns
    assert rows(db, "select count(*) from articles where raw is null or source is null") == [(0,)]


def test_bad_input_is_reported_and_good_articles_load(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.jsonl").write_text(json.dumps(ARTICLE) + "\n{oops\n")
    (src / "empty.txt").write_text("")
    db = tmp_path / "news.db"
    result = build(db, src)
    assert result.exit_code == 3  # built, some inputs skipped
    assert f"skipped {src / 'good.jsonl'}:2: malformed JSON" in result.output
    assert f"skipped {src / 'empty.txt'}: empty file" in result.output
    assert "1 article," in result.output and "2 skipped" in result.output
    assert rows(db, "select id from articles") == [("a1",)]
    assert build(tmp_path / "other.db", src, "--skip-errors").exit_code == 0


def test_failed_build_leaves_previous_database(tmp_path, seeds_copy):
    db = seeds_copy(tmp_path / "news.db")
    before = db.read_bytes()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = build(db, empty)
    assert result.exit_code == 1 and "left unchanged" in result.output
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl", "news.db"]


def test_missing_path_is_reported(tmp_path, seeds_dir):
    result = build(tmp_path / "news.db", seeds_dir, tmp_path / "nope.txt")
    assert result.exit_code == 3 and "nope.txt: no such file or folder" in result.output
    assert rows(tmp_path / "news.db", "select count(*) from articles") == [(5,)]


def test_add_appends_and_skips_known_ids(tmp_path):
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(ARTICLE) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps({**ARTICLE, "id": "a2", "title": "Second"}) + "\n" + json.dumps(ARTICLE) + "\n")
    db = tmp_path / "news.db"
    assert build(db, first).exit_code == 0
    result = build(db, second, "--add")
    assert result.exit_code == 3 and "duplicate id 'a1'" in result.output
    assert rows(db, "select id from articles order by id") == [("a1",), ("a2",)]
    hits = rows(db, "select rowid from articles_fts where articles_fts match ?", ("Second",))
    assert len(hits) == 1  # FTS triggers keep search current after --add
    # every article has an event, and the events table counts them all
    assert rows(db, "select count(*) from articles where event_id is null") == [(0,)]
    assert rows(db, "select sum(articles) from events") == [(2,)]
    assert "incremental clustering" in result.output


def test_add_to_a_database_without_outlet_from_adds_the_column(tmp_path):
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(ARTICLE) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps({**ARTICLE, "id": "a2", "url": "https://www.bbc.co.uk/news/2"}) + "\n")
    db = tmp_path / "news.db"
    assert build(db, first).exit_code == 0
    with sqlite3.connect(db) as conn:  # as a build from before the column was
        conn.execute("alter table articles drop column outlet_from")
    assert build(db, second, "--add").exit_code == 0
    assert rows(db, "select id, outlet, outlet_from from articles order by id") == [
        ("a1", None, None), ("a2", "bbc.co.uk", "url")]


def test_add_needs_existing_database(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "x.db"), str(tmp_path), "--add"])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_column_mapping_options(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"key": "k1", "headline": "H", "content": "Some text here. More text."}) + "\n")
    db = tmp_path / "news.db"
    assert build(db, path, "--id", "key", "--title", "headline", "--body", "content").exit_code == 0
    assert rows(db, "select id, title, body from articles") == [("k1", "H", "Some text here. More text.")]


def test_summary_groups_duplicate_ids(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({**ARTICLE, "id": f"a{i}", "title": f"T{i}"}) for i in range(3)]
    path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "news.db"
    assert build(db, path).exit_code == 0
    result = build(db, path, "--add")
    assert "3 skipped (3 duplicate id)" in result.output


@pytest.mark.slow
def test_cli_imports_no_heavy_module_before_a_command_runs():
    """--help must answer fast: the store (numpy, scipy, sumy, sqlite-utils) loads in the command."""
    heavy = ["numpy", "scipy", "sumy", "nltk", "sqlite_utils", "trafilatura", "tqdm",
             "datasette_newsdigest.store", "datasette_newsdigest.events", "datasette_newsdigest.ingest",
             "datasette_newsdigest.text"]
    script = ("import sys\nfrom datasette_newsdigest.cli import cli\n"
              "try:\n    cli.main(['build', '--help'])\nexcept SystemExit:\n    pass\n"
              f"print('loaded:', [m for m in {heavy!r} if m in sys.modules])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Build DATABASE from PATHS" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"


def test_metadata_hides_exactly_the_store_hidden_tables(seeds_db):
    db = seeds_db
    tables = (yaml.safe_load((ROOT / "metadata.yml").read_text())["databases"]["news"]["tables"])
    hidden = {name for name, table in tables.items() if table.get("hidden")}
    assert hidden == set(store.HIDDEN_TABLES)
    built = {name for (name,) in rows(db, "select name from sqlite_master where type = 'table'")}
    assert hidden <= built


def test_build_database_is_the_library_call_behind_the_command(tmp_path, seeds_dir):
    told = []
    db = tmp_path / "news.db"
    stats = store.build_database(db, [seeds_dir], notify=told.append)
    assert (stats.files, stats.articles, stats.problems) == (5, 5, [])
    (events,) = rows(db, "select count(*) from events")[0]
    assert stats.clustering["mode"] == "full" and stats.clustering["events"] == events
    assert store.read_meta(db)["schema_version"] == store.SCHEMA_VERSION
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ARTICLE) + "\n{not json\n")
    stats = store.build_database(db, [bad], add=True, notify=told.append)
    assert stats.articles == 1 and stats.clustering["mode"] == "incremental"
    assert len(stats.problems) == 1 and told == [f"skipped {stats.problems[0]}"]
    with pytest.raises(store.BuildError, match="--add needs an existing database"):
        store.build_database(tmp_path / "absent.db", [bad], add=True)
    assert not (tmp_path / "absent.db").exists()
