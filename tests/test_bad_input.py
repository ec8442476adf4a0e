"""Bad input: every good record loads as given, every bad one is reported by file and line.

The corpus comes from tests/badinput.py, written to ``tmp_path``; it is built
through ``load()`` (with small caps, to add a gzip bomb) and through the
``newsdigest build`` command in a subprocess.
"""

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from badinput import write_corpus

from datasette_newsdigest import ingest, store
from datasette_newsdigest import text as textmod
from datasette_newsdigest.ingest import Problem, read_file

ROOT = Path(__file__).resolve().parent.parent


def _articles(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("select * from articles order by rowid")]
    conn.close()
    return rows


def _check_good(rows, corpus):
    by_id = {r["id"]: r for r in rows}
    for good in corpus.good:
        _check_one(good, rows, by_id)
    # Nothing else was loaded (no row made of a bad record's pieces), but what
    # a file cut short still held, as given.
    known = {(g.file, g.fields["id"], g.fields["body"]) for g in corpus.good}
    others = [r for r in rows if (Path(r["source"]).name, r["id"], r["body"]) not in known
              and (Path(r["source"]).name, None, r["body"]) not in known]
    maybe = {(g.file, g.fields["id"]): g for g in corpus.maybe}
    assert len(rows) - len(others) == len(corpus.good)
    for row in others:
        good = maybe.get((Path(row["source"]).name, row["id"]))
        assert good, row
        _check_one(good, [row], {row["id"]: row})


def _check_one(good, rows, by_id):
    if True:
        expected = good.fields
        if expected["id"] is not None:
            row = by_id.get(expected["id"])
            assert row is not None, (good.file, expected["id"])
        else:
            found = [r for r in rows if Path(r["source"]).name == good.file and r["body"] == expected["body"]
                     and r["title"] == expected["title"]]
            assert len(found) == 1, (good.file, [r["body"] for r in rows if Path(r["source"]).name == good.file])
            row = found[0]
        assert Path(row["source"]).name == good.file
        assert (row["title"], row["body"]) == (expected["title"], expected["body"]), good.file
        overflow = json.loads(row["extra_fields"]) if row.get("extra_fields") else {}
        for key, value in expected.items():
            if key in ("id", "title", "body"):
                continue
            stored = row[key] if row.get(key) is not None or key not in overflow else overflow[key]
            assert stored == value and type(stored) is type(value), (good.file, key, stored, value)


def _check_reported(found: set, expected: list, what: str):
    for name, line in expected:
        if line is None:
            ok = any(n == name for n, _ in found)
        elif line is ...:
            ok = any(n == name and at is not None for n, at in found)
        else:
            ok = (name, line) in found
        assert ok, f"{what} {name}:{line} not reported; got {sorted(found, key=str)}"


@pytest.mark.slow
def test_corpus_through_load(tmp_path):
    corpus = write_corpus(tmp_path / "in", bomb_bytes=3 * 2**20)
    db = sqlite_utils.Database(tmp_path / "news.db")
    stats = store.load(db, [tmp_path / "in", *corpus.extra_paths], max_input_bytes=2**20, max_line_bytes=2**20)
    db.close()
    _check_good(_articles(tmp_path / "news.db"), corpus)
    skipped = {(Path(p.source).name, p.line) for p in stats.problems}
    _check_reported(skipped, corpus.bad, "bad record")
    _check_reported({(Path(p.source).name, p.line) for p in stats.notes}, corpus.noted, "note for")
    assert all(p.skipped for p in stats.problems) and not any(p.skipped for p in stats.notes)
    caps = [p.reason for p in stats.problems if "cap" in p.reason]
    assert any("max_input_bytes" in r and "1 MB" in r for r in caps)
    assert any("max_line_bytes" in r for r in caps)


def _messages(stderr: str, kind: str) -> set:
    """(file name, line or None) of each ``skipped ...`` or ``note ...`` line."""
    found = set()
    for match in re.finditer(rf"^{kind} (.*?)(?::(\d+))?: ", stderr, re.M):
        found.add((Path(match.group(1)).name, int(match.group(2)) if match.group(2) else None))
    return found


@pytest.mark.slow
def test_corpus_through_build_command(tmp_path):
    corpus = write_corpus(tmp_path / "in")
    db = tmp_path / "news.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "datasette_newsdigest.cli", "build", str(db),
                             str(tmp_path / "in"), *corpus.extra_paths, "--no-progress"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode not in (0, 2) and db.exists(), result.stderr[-3000:]
    _check_good(_articles(db), corpus)
    _check_reported(_messages(result.stderr, "skipped"), corpus.bad, "bad record")
    noted = _messages(result.stderr, "note")
    _check_reported(noted, corpus.noted, "note for")


# ---------------------------------------------------------------------------
# Single cases


def _read(path, **kwargs):
    return list(read_file(path, ingest.file_kind(path), **kwargs))


def _load(tmp_path, *paths, **kwargs):
    db = sqlite_utils.Database(memory=True)
    return db, store.load(db, paths, **kwargs)


def test_unsearchable_and_unlistable_folders(tmp_path, monkeypatch):
    """Root is not stopped by chmod, so the kernel's EACCES is simulated at os.stat and os.scandir."""
    good = tmp_path / "in" / "good.jsonl"
    good.parent.mkdir()
    good.write_text(json.dumps({"id": "a1", "body": "A dam burst on Thursday."}) + "\n")
    hidden = tmp_path / "in" / "sub"
    hidden.mkdir()
    (hidden / "lost.jsonl").write_text(json.dumps({"id": "a2", "body": "Never read."}) + "\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "named.txt").write_text("A page.")
    real_stat, real_scandir = os.stat, os.scandir

    def denied(path):
        return PermissionError(13, "Permission denied", str(path))

    def fake_stat(path, *args, **kwargs):
        if str(path).startswith(str(locked) + os.sep):
            raise denied(path)
        return real_stat(path, *args, **kwargs)

    def fake_scandir(path="."):
        if str(path) == str(hidden):
            raise denied(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", fake_stat)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    db, stats = _load(tmp_path, tmp_path / "in", locked / "named.txt")
    reasons = {p.source: p.reason for p in stats.problems}
    assert reasons[str(locked / "named.txt")] == "cannot read: Permission denied"
    assert reasons[str(hidden)] == "cannot list folder: Permission denied"
    assert [r[0] for r in db.execute("select id from articles")] == ["a1"]


def test_path_longer_than_path_max(tmp_path):
    long = Path(f"{tmp_path}/" + ("x" * 250 + "/") * 20 + "a.txt")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "a1", "body": "A dam burst on Thursday."}) + "\n")
    db, stats = _load(tmp_path, long, good)
    assert [(p.source, p.reason) for p in stats.problems] == [(str(long), "cannot read: File name too long")]
    assert stats.articles == 1


def test_fifo_and_device_are_not_read(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert _read(fifo) == [Problem(str(fifo), "not a regular file (a FIFO); not read")]
    assert _read(Path("/dev/zero")) == [Problem("/dev/zero", "not a regular file (a character device); not read")]
    assert [str(p) for p, _ in ingest.input_files([tmp_path])] == [str(fifo)]


def test_caps_on_whole_files_and_lines(tmp_path):
    import gzip

    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a" * (3 * 2**20)))
    (problem,) = _read(bomb, max_input_bytes=2**20)
    assert problem.reason == "larger than the cap of 1 MB per input (max_input_bytes); not read"
    lines = tmp_path / "a.jsonl"
    lines.write_text(json.dumps({"id": "big", "body": "word " * 300_000}) + "\n"
                     + json.dumps({"id": "a1", "body": "A dam burst."}) + "\n")
    skipped, record = _read(lines, max_line_bytes=2**20)
    assert (skipped.line, skipped.reason) == (1, "line longer than the cap of 1 MB (max_line_bytes); skipped")
    assert record["id"] == "a1" and record.line == 2


def test_truncated_gzip_names_the_line(tmp_path):
    import gzip

    lines = "".join(json.dumps({"id": f"a{i}", "body": f"Story {i} text."}) + "\n" for i in range(2000))
    packed = gzip.compress(lines.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = _read(path)
    *records, problem = items
    assert problem.reason == "gzip stream ends early: the file is truncated here"
    assert problem.line == len(records) + 1 and [r["id"] for r in records] == [f"a{i}" for i in range(len(records))]


def test_duplicate_ids_name_the_line(tmp_path):
    path = tmp_path / "a.jsonl"
    record = json.dumps({"id": "a1", "body": "A dam burst."})
    path.write_text(f"{record}\n\n{record}\n")
    _, stats = _load(tmp_path, path)
    assert [str(p) for p in stats.problems] == [f"{path}:3: duplicate id 'a1'"]


def test_ids_are_kept_exactly(tmp_path):
    path = tmp_path / "a.jsonl"
    bodies = ["First text here.", "Second text here.", "Third text here."]
    path.write_text("".join(json.dumps({"id": i, "body": b}) + "\n"
                            for i, b in zip([" padded ", "padded", "  "], bodies, strict=True)))
    db, stats = _load(tmp_path, path)
    ids = [r[0] for r in db.execute("select id from articles order by rowid")]
    assert ids[:2] == [" padded ", "padded"] and ids[2] == ingest.stable_id(None, bodies[2])
    assert not stats.problems


def test_case_insensitive_and_rowid_names_keep_every_value(tmp_path):
    path = tmp_path / "a.jsonl"
    records = [{"id": "a", "body": "One text.", "Extra": 1, "Title": "not the title", "title": "The title"},
               {"id": "b", "body": "Two text.", "extra": 2, "rowid": "r", "oid": "o", "_ROWID_": "x"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    db, stats = _load(tmp_path, path)
    rows = {r["id"]: r for r in db.query("select *, rowid as real_rowid from articles")}
    assert rows["a"]["title"] == "The title" and rows["a"]["input_Title"] == "not the title"
    assert rows["a"]["Extra"] == 1 and rows["b"]["input_extra"] == 2
    assert (rows["b"]["input_rowid"], rows["b"]["input_oid"], rows["b"]["input__ROWID_"]) == ("r", "o", "x")
    assert isinstance(rows["b"]["real_rowid"], int)
    assert {p.line for p in stats.notes} == {1, 2} and not stats.problems


@pytest.mark.slow
def test_more_extra_fields_than_sqlite_has_columns(tmp_path):
    path = tmp_path / "a.jsonl"
    records = [{"id": f"r{n}", "body": "Some text.", **{f"f{n}_{i}": i for i in range(1500)}} for n in range(2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    db, stats = _load(tmp_path, path)
    assert not stats.problems and stats.articles == 2
    assert len(db["articles"].columns) <= ingest.MAX_COLUMNS + 1
    for record, row in zip(records, db.query("select * from articles order by rowid"), strict=True):
        overflow = json.loads(row["extra_fields"])
        for key, value in record.items():
            if key not in ("id", "body"):
                assert (row[key] if key in row else overflow[key]) == value
    cap_notes = [p for p in stats.notes if "extra_fields" in p.reason]
    assert len(cap_notes) == 1 and cap_notes[0].line == 1  # once per file


def test_big_integers_and_nan_are_kept(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(f'{{"id": "a", "body": "Text here.", "big": {2**64}, "n": NaN, "small": -5}}\n')
    db, stats = _load(tmp_path, path)
    (row,) = db.query("select big, n, small from articles")
    assert row == {"big": str(2**64), "n": "NaN", "small": -5}
    assert len(stats.notes) == 2


def test_extra_values_keep_their_type_across_records(tmp_path):
    """Columns have no declared type, so "007" is not turned into 7 by an INTEGER column."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a", "body": "Text.", "code": 7}) + "\n"
                    + json.dumps({"id": "b", "body": "Text.", "code": "007"}) + "\n")
    db, _ = _load(tmp_path, path)
    assert [r[0] for r in db.execute("select code from articles order by rowid")] == [7, "007"]


def test_lone_surrogates_and_deep_nesting_cost_one_record(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "s", "body": "bad \\ud800"}\n{"id": "t", "title": "\\ud800", "body": "x y"}\n'
                    + "[" * 100_000 + "]" * 100_000 + "\n" + json.dumps({"id": "ok", "body": "Good."}) + "\n")
    db, stats = _load(tmp_path, path)
    assert [(p.line, p.reason) for p in stats.problems] == [
        (1, "field 'body' is not valid Unicode (a lone surrogate U+D800)"),
        (2, "field 'title' is not valid Unicode (a lone surrogate U+D800)"),
        (3, "JSON nested deeper than the parser allows"),
    ]
    assert [r[0] for r in db.execute("select id from articles")] == ["ok"]


@pytest.mark.parametrize("body", ["12345", "true", "NaN", "3.5", "-inf", "  ", "null"])
def test_bodies_that_are_values_not_text(body):
    with pytest.raises(ingest.RecordError, match="no text"):
        ingest.make_record({"body": body}, source="x", raw="")


@pytest.mark.parametrize("body", [12345, True, 1.5, float("nan"), None, ["a"]])
def test_bodies_that_are_not_strings(body):
    with pytest.raises(ingest.RecordError, match="text"):
        ingest.make_record({"body": body}, source="x", raw="")


def test_csv_unclosed_quote_costs_one_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,body\nc1,"Good, quoted."\nc2,"never closed\nc3,Third row.\nc4,"Fourth\n\nrow."\n')
    items = _read(path)
    assert [(p.line, p.reason[:14]) for p in items if isinstance(p, Problem)] == [(3, "malformed CSV:")]
    assert [(r["id"], r["body"], r.line) for r in items if not isinstance(r, Problem)] == [
        ("c1", "Good, quoted.", 2), ("c3", "Third row.", 4), ("c4", "Fourth\n\nrow.", 5)]


def test_csv_one_column_and_repeated_header(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("body\nJust a body here.\n")
    (record,) = _read(one)
    assert record["body"] == "Just a body here."
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("content\nJust a body here.\n")
    (record,) = _read(mapped, mapping={"body": "content"})
    assert record["body"] == "Just a body here."
    twice = tmp_path / "twice.csv"
    twice.write_text("id,body,tag,tag,\nx,Text here.,a,b,c\n")
    note, record = _read(twice)
    assert not note.skipped and (record["tag"], record["tag_2"], record["column_5"]) == ("a", "b", "c")


def test_text_decodes_by_line(tmp_path):
    path = tmp_path / "a.txt"
    good = "Café owners said on Monday that the new rules were hard to follow for everyone."
    odd = "Naïve owners said on Tuesday that the old rules had been easier to follow, too."
    path.write_bytes(f"{good}\n\n".encode() + odd.encode("latin-1") + f"\n\n{good}\n".encode())
    note, record = _read(path)
    assert record["body"] == f"{good}\n\n{odd}\n\n{good}"
    assert (note.skipped, note.line) == (False, 3)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path, encoding):
    text = "Officials said on Monday that the bridge would close for repairs, they said."
    page = tmp_path / "a.txt"
    raw = text.encode(encoding)
    page.write_bytes(raw if encoding != "utf-16-be" else b"\xfe\xff" + raw)
    (record,) = _read(page)
    assert record["body"] == text
    lines = tmp_path / "a.jsonl"
    data = (json.dumps({"id": "é", "body": text}, ensure_ascii=False) + "\n").encode(encoding)
    lines.write_bytes(data if encoding != "utf-16-be" else b"\xfe\xff" + data)
    (record,) = _read(lines)
    assert (record["id"], record["body"]) == ("é", text)


def test_latin1_json_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes('{"id": "a", "body": "Café crème."}\n{"id": "b", "body": "Plain."}\n'.encode("latin-1"))
    note, first, second = _read(path)
    assert first["body"] == "Café crème." and second["id"] == "b" and note.line == 1 and not note.skipped


def test_truncated_json_array_loads_what_is_complete(tmp_path):
    path = tmp_path / "a.json"
    records = [{"id": f"a{i}", "body": f"Story {i} text."} for i in range(3)]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]"
    path.write_text(text[:-20])
    *loaded, cut = _read(path)
    assert [r["id"] for r in loaded] == ["a0", "a1"]
    assert cut.line == 4 and "cut off" in cut.reason and "2 records before it" in cut.reason
    wrapped = tmp_path / "b.json"
    wrapped.write_text(json.dumps({"articles": records})[:-30])
    assert [r["id"] for r in _read(wrapped) if not isinstance(r, Problem)] == ["a0", "a1"]


def test_json_array_bad_items_cost_themselves(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"id": "a", "body": "One."},\n{"id": "b", "body": tru},\n'
                    + "[" * 50_000 + "]" * 50_000 + ',\n{"id": "c", "body": "Three."}]')
    items = _read(path)
    assert [(i.line, i.reason) if isinstance(i, Problem) else i["id"] for i in items] == [
        "a", (2, "malformed JSON: Expecting value"), (3, "JSON nested deeper than the parser allows"), "c"]


# ---------------------------------------------------------------------------
# The caption credit regex


_OLD_CREDIT = re.compile(
    r"\((?:[^()]*/[^()]*|[^()]*\b(?:via|getty|photo|photograph|images?|credit|shutterstock|pool|file)\b[^()]*)\)\s*$",
    re.I,
)


def test_credit_check_agrees_with_the_old_regex():
    rng = random.Random(9)
    pieces = ["(", ")", "/", " ", "a", "via", "Getty", "x", "\t", "IMAGES", "é", "_", "file", "\u2003", ".", "photos"]
    for _ in range(50_000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert textmod.has_credit(line) == bool(_OLD_CREDIT.search(line)), line


def test_hostile_page_reads_without_the_backtracking_regex(monkeypatch):
    """The cleaning of a 96 KB page of "(a/ a/ ..." must not call a regex that
    scans the line once per slash: every regex call gets a line at most once."""
    run = "(" + "a/ " * 16_000
    page = ("Officials said on Monday that the bridge would close for repairs this year.\n\n"
            f"{run})x\n\n({'a ' * 16_000}photo)\n\n{run}")
    calls = []
    real = textmod._CREDIT_WORD

    class Counting:
        def search(self, text, *args):
            calls.append(len(text))
            return real.search(text, *args)

    monkeypatch.setattr(textmod, "_CREDIT_WORD", Counting())
    result = ingest.clean_page(page)
    assert "bridge would close" in result["body"]
    assert calls and sum(calls) <= 2 * len(page)


def test_repeated_keys_and_huge_integers_lose_nothing(tmp_path):
    path = tmp_path / "a.jsonl"
    digits = "9" * 5000  # beyond what Python's int() takes from text
    path.write_text(f'{{"id": "a", "body": "Text here.", "tag": 1, "tag": 2, "n": {digits}}}\n'
                    + json.dumps({"id": "b", "body": "More text."}) + "\n")
    db, stats = _load(tmp_path, path)
    (row,) = db.query("select tag, tag_2, n from articles where id = 'a'")
    assert row == {"tag": 1, "tag_2": 2, "n": digits}
    assert [p.line for p in stats.notes] == [1] and not stats.problems and stats.articles == 2


def test_column_names_sqlite_cannot_hold_as_given(tmp_path):
    path = tmp_path / "a.jsonl"
    record = {"id": "a", "body": "Text here.", 'we"ird': 1, "br]ack[et": 2, "": 3, "nu\u0000l": 4, "sp ace": 5}
    path.write_text(json.dumps(record) + "\n")
    db, stats = _load(tmp_path, path)
    store.finish_database(db)
    (row,) = db.query("select * from articles")
    assert (row['we"ird'], row["br]ack[et"], row["input_"], row["input_nul"], row["sp ace"]) == (1, 2, 3, 4, 5)
    assert len(stats.notes) == 2


def test_corrupt_gzip_stream_is_reported_at_its_line(tmp_path):
    import gzip

    lines = "".join(json.dumps({"id": f"a{i}", "body": f"Story {i} text."}) + "\n" for i in range(2000))
    packed = bytearray(gzip.compress(lines.encode()))
    packed[len(packed) // 2:len(packed) // 2 + 40] = bytes(40)
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(bytes(packed))
    items = _read(path)
    assert isinstance(items[-1], Problem) and items[-1].line is not None
    assert [r["id"] for r in items[:10]] == [f"a{i}" for i in range(10)]


def test_html_the_extractor_fails_on_costs_that_page(tmp_path, monkeypatch):
    import trafilatura

    def fail(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(trafilatura, "bare_extraction", fail)
    path = tmp_path / "a.html"
    path.write_text("<html><body><p>Text.</p></body></html>")
    assert _read(path) == [Problem(str(path), "cannot parse HTML: KeyError: 'boom'")]


def test_summary_groups_reasons_without_their_details():
    stats = store.BuildStats(problems=[Problem("a", "no text in field 'body', only the value '1'", 1),
                                     Problem("a", "no text in field 'body', only the value '2'", 2)],
                           notes=[Problem("a", "kept", 3, skipped=False)])
    assert "2 skipped (2 no text in field 'body'), 1 note in" in stats.summary(0.1)


def test_lone_surrogates_in_extra_fields_are_kept_escaped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "body": "Text here.", "x": "bad \\ud800", "m": {"k": "\\udc00"}, "\\ud801": 1}\n')
    db, stats = _load(tmp_path, path)
    (row,) = db.query("select * from articles")
    assert (row["x"], row["m"], row["\\ud801"]) == ('"bad \\ud800"', '{"k": "\\udc00"}', 1)
    assert len(stats.notes) == 3 and not stats.problems


def test_file_names_that_are_not_utf8(tmp_path):
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    with open(folder + b"/caf\xe9.txt", "w") as f:
        f.write("Officials said on Monday that the bridge would close for repairs, the mayor said.\n")
    with open(folder + b"/caf\xe9.jsonl", "w") as f:
        f.write(json.dumps({"id": "a", "body": "Text here."}) + "\n")
    db, stats = _load(tmp_path, tmp_path / "in")
    assert not stats.problems and stats.articles == 2
    assert {Path(r[0]).name for r in db.execute("select source from articles")} == {"caf\\xe9.txt", "caf\\xe9.jsonl"}


def test_merging_initials_searches_only_the_end(monkeypatch):
    """ "x F.W. de " repeated merges thousands of pieces into one sentence; the
    initials check used to search the whole sentence so far each time (80 KB: 12 s)."""
    from datasette_newsdigest import text

    real = text._INITIALS_END
    scanned = []

    class Counting:
        def search(self, string, pos=0):
            scanned.append(len(string) - pos)
            return real.search(string, pos)

    monkeypatch.setattr(text, "_INITIALS_END", Counting())
    sentences = text.split_sentences("He saw F.W. de " * 2000 + "Klerk.")
    assert len(sentences) == 1 and sentences[0].endswith("F.W. de Klerk.")
    assert scanned and max(scanned) <= 7


def test_truncated_gzip_json_array_keeps_the_records_before_the_cut(tmp_path):
    import gzip

    records = [{"id": f"a{i}", "body": f"Story {i} has some text of its own."} for i in range(3000)]
    packed = gzip.compress(json.dumps(records).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = _read(path)
    loaded = [r["id"] for r in items if not isinstance(r, Problem)]
    assert len(loaded) > 100 and loaded == [f"a{i}" for i in range(len(loaded))]
    reasons = [p.reason for p in items if isinstance(p, Problem)]
    assert reasons[0] == "gzip stream ends early: the file is truncated here" and "cut off" in reasons[-1]


def test_a_stray_nul_costs_nothing_but_a_binary_file_is_still_skipped(tmp_path):
    csv_path = tmp_path / "nul.csv"
    csv_path.write_bytes(b'id,body\nn1,"Hello\x00 world. A sentence of text."\nn2,Second row of text here.\n')
    db, stats = _load(tmp_path, csv_path)
    rows = {r["id"]: r["body"] for r in db.query("select id, body from articles")}
    assert rows == {"n1": "Hello\x00 world. A sentence of text.", "n2": "Second row of text here."}
    assert not stats.problems
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"id,body\n" + b"\x00ab" * 500)
    assert [p.reason for p in _read(binary)] == ["binary file (contains NUL bytes)"]


def test_nested_metadata_values_are_kept_as_json_not_python_repr(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a", "body": "Body text here.", "outlet": {"name": "CNN"},
                                "author": [{"name": "Jo Lee"}, "Al Roe"]}) + "\n")
    db, _ = _load(tmp_path, path)
    (row,) = db.query("select outlet, author from articles")
    assert row == {"outlet": '{"name": "CNN"}', "author": '{"name": "Jo Lee"}, Al Roe'}
