"""Text damaged on its way to us (mojibake) is repaired for every input format; correct text is not touched."""

import csv
import io
import itertools
import json
import random
import string

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, which the damage below needs)
import pytest
import sqlite_utils
from ftfy.badness import BADNESS_RE, is_bad

from datasette_newsdigest import ingest, store
from datasette_newsdigest.ingest import read_file

TITLE = "Romney attacks Obama’s ‘trickle down government’ in first debate"
BODY = ("Mitt Romney said on Wednesday that the president’s plan “won’t work” for the middle class.\n\n"
        "The debate in Denver — the first of three — ran for 90 minutes, moderators said.")
# Correct text of the kinds news holds; ftfy's default settings would change several of them.
CLEAN_TITLE = "“Naïve” café owners—and 東京’s mayor—cheer 😀 the ﬁnal ＡＢ vote"
CLEAN_BODY = ("Crème brûlée sales rose 5 % in Zürich, the owners said… “It’s über-good,” one said.\n\n"
              "Officials in 北京 and Кыив said the talks – held in São Paulo – went well 👍🏽.")


def double_encoded(text: str) -> str:
    """UTF-8 read as cp1252 and written as UTF-8, twice: what the AllSides corpus holds."""
    for _ in range(2):
        text = text.encode("utf-8").decode("sloppy-windows-1252")
    return text


def _read(path):
    return list(read_file(path, ingest.file_kind(path)))


def test_damage_is_what_the_corpus_shows():
    assert double_encoded("Obama’s") == "ObamaÃ¢â‚¬â„¢s"


def test_jsonl_title_and_body_are_repaired_and_raw_keeps_the_input(tmp_path):
    path = tmp_path / "a.jsonl"
    line = json.dumps({"id": "m1", "title": double_encoded(TITLE), "body": double_encoded(BODY),
                       "author": double_encoded("José Díaz"), "outlet": "Daily"}, ensure_ascii=False)
    path.write_text(line + "\n", encoding="utf-8")
    (record,) = _read(path)
    assert (record["title"], record["body"], record["author"]) == (TITLE, BODY, "José Díaz")
    assert record["raw"] == line
    assert record["id"] == "m1" and record["outlet"] == "Daily"
    assert record.notes == ["mojibake or other encoding damage repaired in body, title, author "
                            "(the input as read is in raw)"]


def test_a_repaired_record_gets_one_note_through_the_build(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"id": "ok", "title": CLEAN_TITLE, "body": CLEAN_BODY}, ensure_ascii=False),
             json.dumps({"id": "bad", "title": double_encoded(TITLE), "body": double_encoded(BODY)},
                        ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = sqlite_utils.Database(memory=True)
    stats = store.load(db, [path])
    assert [(n.line, n.skipped, "repaired in body, title" in n.reason) for n in stats.notes] == [(2, False, True)]
    rows = {r["id"]: r for r in db.query("select id, title, body, raw from articles")}
    assert (rows["bad"]["title"], rows["bad"]["body"], rows["bad"]["raw"]) == (TITLE, BODY, lines[1])
    assert (rows["ok"]["title"], rows["ok"]["body"]) == (CLEAN_TITLE, CLEAN_BODY)
    sentences = [r["text"] for r in db.query("select text from sentences where article_id = 'bad'")]
    assert sentences[0].startswith("Mitt Romney said on Wednesday that the president’s plan “won’t work”")


def test_txt_page_is_repaired_before_its_fields_are_taken(tmp_path):
    page = f"{TITLE}\n\nBy José Díaz\n\n{BODY}\n"
    path = tmp_path / "a.txt"
    path.write_text(double_encoded(page), encoding="utf-8")
    (record,) = _read(path)
    assert (record["title"], record["body"], record["author"]) == (TITLE, BODY, "José Díaz")
    assert record["raw"] == double_encoded(page)
    assert len(record.notes) == 1


def test_csv_row_is_repaired(tmp_path):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([["id", "title", "body"], ["c1", double_encoded(TITLE), double_encoded(BODY)],
                      ["c2", CLEAN_TITLE, CLEAN_BODY]])
    path = tmp_path / "a.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    damaged, clean = _read(path)
    assert (damaged["title"], damaged["body"]) == (TITLE, BODY) and len(damaged.notes) == 1
    assert double_encoded(TITLE) in damaged["raw"]
    assert (clean["title"], clean["body"]) == (CLEAN_TITLE, CLEAN_BODY) and clean.notes == []


def test_html_title_and_body_are_repaired(tmp_path):
    """Repaired before extraction, so the page reads as the same page written correctly does."""
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    html = (f"<html><head><title>{TITLE}</title><meta name='author' content='José Díaz'></head>"
            f"<body><article><h1>{TITLE}</h1>{paragraphs}</article></body></html>")
    (tmp_path / "clean.html").write_text(html, encoding="utf-8")
    (tmp_path / "damaged.html").write_text(double_encoded(html), encoding="utf-8")
    (clean,) = _read(tmp_path / "clean.html")
    (damaged,) = _read(tmp_path / "damaged.html")
    fields = ("title", "body", "author")
    assert [damaged[f] for f in fields] == [clean[f] for f in fields] and clean["title"] == TITLE
    assert "the president’s plan “won’t work” for the middle class" in damaged["body"]
    assert damaged["raw"] == double_encoded(html) and len(damaged.notes) == 1 and clean.notes == []


def test_correct_text_is_left_alone(tmp_path):
    nfd_title = "Cafe\u0301 owners cheer"  # decomposed, as given: kept so, not renormalized
    lines = [json.dumps({"id": "a", "title": CLEAN_TITLE, "body": CLEAN_BODY, "author": "Zoë Ångström"},
                        ensure_ascii=False),
             json.dumps({"id": "b", "title": nfd_title, "body": "Plain text.\x00 With a NUL, as given."})]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, second = _read(path)
    assert (first["title"], first["body"], first["author"]) == (CLEAN_TITLE, CLEAN_BODY, "Zoë Ångström")
    assert (second["title"], second["body"]) == (nfd_title, "Plain text.\x00 With a NUL, as given.")
    assert first.notes == second.notes == []
    page = tmp_path / "clean.txt"
    page.write_text(f"{CLEAN_TITLE}\n\n{CLEAN_BODY}\n", encoding="utf-8")
    (record,) = _read(page)
    assert (record["title"], record["body"], record.notes) == (CLEAN_TITLE, CLEAN_BODY, [])


@pytest.mark.slow
def test_text_skipped_by_the_fast_check_is_never_what_ftfy_calls_mojibake():
    """repair_text looks only at lines with a character outside ASCII and ftfy's common typographic
    marks; no sequence of those characters (up to four, the longest ftfy's detector needs there)
    is one the detector flags, so nothing it would repair is passed over."""
    plain = [chr(c) for c in range(0x80, 0x3000) if not ingest._SUSPECT.match(chr(c))]
    alphabet = [*plain, "a", "Z", " ", ".", "1", "\n", "?", "_"]
    assert "’" in plain and "“" in plain and "é" not in plain
    for n in range(1, 5):
        for chars in itertools.product(alphabet, repeat=n):
            assert not BADNESS_RE.search("".join(chars))


def test_the_detector_is_asked_about_every_line_ftfy_would_change():
    """repair_text shows ftfy's detector only a few characters around each suspect one: on random
    text of the characters mojibake is made of, no match is longer than that reach, and no line
    ftfy would change (or calls mojibake) is passed over."""
    rng = random.Random(15)
    alphabet = sorted({chr(c) for c in range(0x80, 0x500)} | set(ingest._PLAIN) | set("aZé ü.,?!1\n\x9d€™œž")
                      | set("ÂÃÎÐØÙВГРСΒΓΞΟ√≈‚Ä") | set(string.ascii_letters + " "))
    checked = flagged = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        if rng.random() < 0.3:
            text = double_encoded(text)
        for line in text.splitlines(keepends=True):
            assert all(len(m.group()) <= ingest._REACH for m in BADNESS_RE.finditer(line))
            if is_bad(line) or ftfy.fix_text(line, ingest._FTFY) != line:
                flagged += 1
                assert ingest._may_need_repair(line), repr(line)
            checked += 1
    assert flagged > checked // 10
