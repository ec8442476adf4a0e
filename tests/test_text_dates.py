"""Dates from the text: when the input gives no date, the one the article states of itself at its
top (a date line, a dateline) becomes ``published`` with ``published_from = 'text'``; a date the
story merely mentions never does, and a date the input gives wins, with ``'input'``."""

import json
import sqlite3
import warnings

import pytest
from click.testing import CliRunner

from datasette_newsdigest import ingest
from datasette_newsdigest.cli import cli

STORY = ("The council met on Tuesday to decide on the new budget for the city. The mayor said the "
         "vote would be close and that the opposition had asked for more time.")


def record(body: str, **fields) -> ingest.Record:
    return ingest.make_record({"id": "a1", "title": "Budget vote", "body": body, **fields}, source="in.jsonl",
                              raw="{}")


@pytest.mark.parametrize("top, expected", [
    ("May 03, 2013", "2013-05-03"),
    ("Monday, June 5, 2023", "2023-06-05"),
    ("Published: May 03, 2013 10:00 AM", "2013-05-03T10:00:00"),
    ("5 June 2023", "2023-06-05"),
])
def test_a_date_line_at_the_top_becomes_published_from_the_text(top, expected):
    got = record(f"{top}\n\n{STORY}")
    assert (got["published"], got["published_from"]) == (expected, "text")


@pytest.mark.parametrize("opening, expected", [
    ("NEW YORK, May 3, 2013 (AP) — Stocks fell on Friday as investors weighed the news.", "2013-05-03"),
    ("NAIROBI, Kenya, 5 June 2023 (Reuters) - Rains flooded the city overnight, officials said.", "2023-06-05"),
    ("May 3, 2013 -- Stocks fell on Friday as investors weighed the news from abroad.", "2013-05-03"),
])
def test_a_dateline_with_its_date_opening_the_story(opening, expected):
    got = record(f"{opening}\n\n{STORY}")
    assert (got["published"], got["published_from"]) == (expected, "text")


@pytest.mark.parametrize("body", [
    "WASHINGTON, May 3 (Reuters) - The president said on Friday that talks would go on.",  # no year stated
    f"{STORY}\n\nOn May 3, 2013 the old council had voted a budget down.",  # mentioned further on
    "On May 3, 2013, the council voted the budget down after a long debate in the old hall.",  # not a dateline
    f"{STORY}\n\nMay 03, 2013",  # a date line, but not at the top
    "The flood of June 5, 1962 is still remembered.\n\nMay 03, 2013\n\n" + STORY,  # past the story's start
])
def test_a_date_the_story_merely_mentions_is_not_its_date(body):
    got = record(body)
    assert (got["published"], got["published_from"]) == (None, None)


def test_a_date_the_input_gives_wins_over_the_text():
    got = record(f"May 03, 2013\n\n{STORY}", published="2024-01-02")
    assert (got["published"], got["published_from"]) == ("2024-01-02", "input")
    unreadable = record(f"May 03, 2013\n\n{STORY}", published="June 2023")  # states no day: the text's date
    assert (unreadable["published"], unreadable["published_from"]) == ("2013-05-03", "text")


def test_pages_dates_come_from_their_text_or_their_metadata(tmp_path):
    (tmp_path / "page.txt").write_text(f"Home\n\nBudget vote in the city\n\nMonday, June 5, 2023\n\n{STORY}\n")
    (tmp_path / "bare.txt").write_text(f"Budget vote in the town\n\n{STORY}\n\nMay 03, 2013\n")
    meta = ('<html><head><title>Budget vote</title><meta property="article:published_time" '
            f'content="2022-02-03"></head><body><article><h1>Budget vote</h1><p>May 03, 2013</p><p>{STORY}</p>'
            f'<p>{STORY}</p></article></body></html>')
    (tmp_path / "meta.html").write_text(meta)
    (tmp_path / "plain.html").write_text(meta.replace(' property="article:published_time" content="2022-02-03"',
                                                      "").replace("Budget vote", "Budget vote again"))
    db = tmp_path / "news.db"
    result = CliRunner().invoke(cli, ["build", "--no-progress", str(db), str(tmp_path)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        got = {source.rsplit("/", 1)[-1]: (published, where) for source, published, where in conn.execute(
            "select source, published, published_from from articles")}
    assert got == {"page.txt": ("2023-06-05", "text"), "bare.txt": (None, None),
                   "meta.html": ("2022-02-03", "input"), "plain.html": ("2013-05-03", "text")}


def test_add_to_a_database_without_the_column_creates_it(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"id": "a1", "body": STORY, "published": "2024-01-02"}) + "\n")
    second.write_text(json.dumps({"id": "a2", "body": f"May 03, 2013\n\n{STORY}"}) + "\n")
    db = tmp_path / "news.db"
    assert CliRunner().invoke(cli, ["build", str(db), str(first)]).exit_code == 0
    with sqlite3.connect(db) as conn:  # as a build from before the column was
        conn.execute("alter table articles drop column published_from")
    assert CliRunner().invoke(cli, ["build", str(db), str(second), "--add"]).exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("select id, published, published_from from articles order by id").fetchall() == [
            ("a1", "2024-01-02", None), ("a2", "2013-05-03", "text")]


def test_a_time_zone_dateutil_does_not_know_is_dropped_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = record(f"Updated 4:10 p.m. ET, 2/10/2014\n\n{STORY}")
    assert (got["published"], got["published_from"]) == ("2014-02-10T16:10:00", "text")
