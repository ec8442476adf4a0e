"""A corpus of good and bad inputs in every format, written at test time.

``write_corpus(folder)`` writes the files and returns a :class:`Corpus`
saying what must come out: every good record with its fields as given, and
every bad one as (file name, line or None) that must be reported. Nothing
large is committed; the biggest files are made here, in ``tmp_path``.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

BODIES = [
    "The council voted on Tuesday to build a flood barrier along the river, officials said.\n\n"
    "Work will start next spring and take about two years, the mayor said.",
    "Café owners in São Paulo said the “new rules” were hard to follow — for everyone.\n\n"
    "東京 and Zürich reported the same, according to a survey published on Monday.",
    "Firefighters brought the blaze under control after six hours.\n\nNo one was hurt, police said.",
    "Shares rose 2.6% 📈 in early trading. Analysts had expected a smaller gain!\n\nMarkets closed higher.",
]


@dataclass
class Good:
    """A record that must load: its fields as they must read from ``articles``."""

    file: str
    fields: dict  # id (None: computed), title, body, and extra columns -> value as stored


@dataclass
class Corpus:
    good: list[Good] = field(default_factory=list)
    # (file name, line): must be reported; line None: the whole file; ...: some line of it
    bad: list[tuple[str, int | None]] = field(default_factory=list)
    noted: list[tuple[str, int | None]] = field(default_factory=list)  # loaded, with a note
    extra_paths: list[str] = field(default_factory=list)  # named on the command line too
    maybe: list[Good] = field(default_factory=list)  # in a file cut short: each one may load, as given


def _stored(value):
    """An extra field's value as it reads back from SQLite."""
    if _lone_surrogate(json.dumps(value, ensure_ascii=False)):  # kept as escaped JSON
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _lone_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


class _Lines:
    """A JSON Lines file being written, counting lines as the readers do."""

    def __init__(self, name: str, corpus: Corpus):
        self.name, self.corpus, self.lines = name, corpus, []

    def good(self, record: dict, columns: dict | None = None, noted: bool = False) -> None:
        text = json.dumps(record, ensure_ascii=False)
        self.lines.append(json.dumps(record) if _lone_surrogate(text) else text)
        expected = {"id": record.get("id"), "title": record.get("title"), "body": record["body"]}
        for key, value in record.items():
            if key not in ("id", "title", "body"):
                expected[(columns or {}).get(key, key)] = _stored(value)
        self.corpus.good.append(Good(self.name, expected))
        if noted:
            self.corpus.noted.append((self.name, len(self.lines)))

    def bad(self, text: str) -> None:
        self.lines.append(text)
        self.corpus.bad.append((self.name, len(self.lines)))

    def raw(self, text: str) -> None:
        self.lines.append(text)


def write_corpus(folder: Path, *, bomb_bytes: int = 0) -> Corpus:
    """Write the corpus into ``folder``; ``bomb_bytes`` adds a gzip bomb and an
    over-long JSON line of that size (for runs with small caps)."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus()
    n = iter(range(10**6))

    def article(**extra):
        i = next(n)
        return {"id": f"g{i}", "title": f"Title {i} — ünïcode", "body": BODIES[i % len(BODIES)], **extra}

    # JSON Lines: good records with extras of every JSON type, bad lines between them.
    jl = _Lines("mixed.jsonl", corpus)
    jl.good(article(topic="weather", count=3, ratio=0.5, flag=True, missing=None, tags=["a", "b"],
                    meta={"k": [1, 2]}))
    jl.bad('{"id": "s1", "body": "bad \\ud800 body"}')
    jl.bad('{"id": "s2", "title": "\\udfff", "body": "A good body with a bad title."}')
    jl.good(article(big=2**70, negative=-(2**64)), noted=True)
    jl.good(article(Extra="upper"))
    jl.good(article(extra="lower"), columns={"extra": "input_extra"}, noted=True)
    jl.good(article(Title="a second title"), columns={"Title": "input_Title"}, noted=True)
    jl.good(article(rowid=7, OID=8, _rowid_=9),
            columns={"rowid": "input_rowid", "OID": "input_OID", "_rowid_": "input__rowid_"}, noted=True)
    jl.bad("[" * 100_000 + "]" * 100_000)
    jl.bad('{"id": "d1", "body": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}")
    jl.good({"id": " padded ", "title": "  spaced title  ", "body": BODIES[0]})
    jl.good({"id": "padded", "title": "Unpadded", "body": BODIES[1]})
    jl.good({"id": " \t ", "title": "Id of white space only", "body": BODIES[2]})
    jl.good({"id": 42, "title": "Numeric id", "body": BODIES[3]})
    corpus.good[-1].fields["id"] = "42"
    corpus.good[-2].fields["id"] = None
    for body in (12345, True, False, None, 3.5, "12345", "NaN", "true", "   ", ["a list"], {"an": "object"}):
        jl.bad(json.dumps({"id": f"nt{next(n)}", "body": body}))
    jl.bad('{"id": "nan", "body": NaN}')
    jl.bad("{not json}")
    jl.bad("[1, 2]")
    jl.bad(json.dumps({"id": "g0", "title": "Duplicate of the first", "body": BODIES[0]}))
    jl.good(article(score=float("inf")))
    jl.good(article(odd="lone \udc80 surrogate", nested={"k": "\ud800"}), noted=True)
    repeated = article()
    jl.raw(json.dumps(repeated, ensure_ascii=False)[:-1] + ', "tag": 1, "tag": 2}')
    corpus.good.append(Good(jl.name, {**_expect(repeated), "tag": 1, "tag_2": 2}))
    corpus.noted.append((jl.name, len(jl.lines)))
    jl.raw("")
    jl.good(article())
    (folder / jl.name).write_text("\n".join(jl.lines) + "\n", encoding="utf-8")

    # More distinct extra fields than SQLite has columns, over two records.
    wide = _Lines("wide.jsonl", corpus)
    for part in range(2):
        fields = {f"field_{part}_{i}": i for i in range(1_100)}
        wide.good(article(**fields))
    corpus.noted.append((wide.name, ...))  # the line that crosses the column cap
    (folder / wide.name).write_text("\n".join(wide.lines) + "\n")

    # Encodings: latin-1 and UTF-16 JSON Lines, UTF-16 text, one latin-1 paragraph among UTF-8.
    for name, encoding in (("latin1.jsonl", "latin-1"), ("utf16.jsonl", "utf-16")):
        enc = _Lines(name, corpus)
        enc.good({**article(), "title": "Crème brûlée", "body": "Naïve café owners said prices rose. It sold out."},
                 noted=encoding == "latin-1")
        (folder / name).write_bytes(("\n".join(enc.lines) + "\n").encode(encoding))
    _page(folder, corpus, "utf16.txt", "Bridge closes for repairs this summer", BODIES[0], "utf-16")
    odd = "Naïve paragraph in latin-1, which once garbled the whole file."
    title = "Council approves the flood barrier plan"
    head = f"{title}\n\n{BODIES[0]}\n\n".encode()
    (folder / "mixed-encoding.txt").write_bytes(head + odd.encode("latin-1") + f"\n\n{BODIES[1]}\n".encode())
    corpus.good.append(Good("mixed-encoding.txt", {"id": None, "title": title,
                                                   "body": f"{BODIES[0]}\n\n{odd}\n\n{BODIES[1]}"}))
    corpus.noted.append(("mixed-encoding.txt", head.count(b"\n") + 1))

    # JSON: an array with bad items, a truncated array, a wrapper object, deep nesting.
    items = [article(), {"id": "j-bad", "body": 12345}, article(kind="array"), "not an object"]
    text = "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n]\n"
    (folder / "array.json").write_text(text)
    corpus.good += [Good("array.json", _expect(items[0])), Good("array.json", _expect(items[2]))]
    corpus.bad += [("array.json", 3), ("array.json", 5)]
    cut = [article(), article(), article()]
    text = "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in cut) + "\n]\n"
    (folder / "truncated.json").write_text(text[: text.rindex('"body"')])
    corpus.good += [Good("truncated.json", _expect(item)) for item in cut[:2]]
    corpus.bad.append(("truncated.json", 4))
    wrapped = article()
    (folder / "wrapped.json").write_text(json.dumps({"articles": [wrapped]}))
    corpus.good.append(Good("wrapped.json", _expect(wrapped)))
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    corpus.bad.append(("deep.json", 1))
    (folder / "deep-object.json").write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)
    corpus.bad.append(("deep-object.json", None))

    # CSV: a stray quote, too many values, a multi-line body; a one-column file.
    rows = [article(topic="csv") for _ in range(4)]
    lines = ["id,title,body,topic"]
    lines.append(_csv_row(rows[0]))
    corpus.bad.append(("quotes.csv", _line_count(lines) + 1))
    lines.append('bad1,Unclosed,"this quote never closes,csv')
    lines.append(_csv_row(rows[1]))
    corpus.bad.append(("quotes.csv", _line_count(lines) + 1))
    lines.append("bad2,Too many,values here,csv,surplus")
    lines.append(_csv_row(rows[2]))
    lines.append(_csv_row(rows[3]))
    (folder / "quotes.csv").write_text("\n".join(lines) + "\n")
    corpus.good += [Good("quotes.csv", _expect(row, csv=True)) for row in rows]
    (folder / "body-only.csv").write_text("body\n" + _csv_quote(BODIES[3]) + "\n")
    corpus.good.append(Good("body-only.csv", {"id": None, "title": None, "body": BODIES[3]}))

    # Pages, one with a file name that is not UTF-8.
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(f"Cafe owners protest new rules\n\n{BODIES[1]}\n")
    corpus.good.append(Good("caf\\xe9.txt", {"id": None, "title": "Cafe owners protest new rules", "body": BODIES[1]}))
    _page(folder, corpus, "page.txt", "Storm knocks out power across the coast", BODIES[2])
    html_body = BODIES[0]
    paragraphs = "".join(f"<p>{p}</p>" for p in html_body.split("\n\n"))
    (folder / "page.html").write_text(
        f"<html><head><title>Flood barrier approved</title></head><body><article><h1>Flood barrier approved</h1>"
        f"{paragraphs}</article></body></html>")
    corpus.good.append(Good("page.html", {"id": None, "title": "Flood barrier approved", "body": html_body}))
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (folder / "empty.html").write_text("<html><body></body></html>")
    corpus.bad += [("empty.txt", None), ("binary.txt", None), ("empty.html", None)]
    os.mkfifo(folder / "fifo.txt")
    corpus.bad.append(("fifo.txt", None))

    # Gzip: a good file, a truncated one.
    packed = [article(), article()]
    (folder / "packed.jsonl.gz").write_bytes(gzip.compress(
        ("\n".join(json.dumps(r, ensure_ascii=False) for r in packed) + "\n").encode()))
    corpus.good += [Good("packed.jsonl.gz", _expect(r)) for r in packed]
    cut = [article() for _ in range(200)]
    corpus.maybe += [Good("truncated.jsonl.gz", _expect(r)) for r in cut]
    stream = gzip.compress(("\n".join(json.dumps(r, ensure_ascii=False) for r in cut) + "\n").encode())
    (folder / "truncated.jsonl.gz").write_bytes(stream[: len(stream) // 2])
    corpus.bad.append(("truncated.jsonl.gz", ...))
    cut = [article() for _ in range(100)]
    corpus.maybe += [Good("truncated.json.gz", _expect(r)) for r in cut]
    stream = gzip.compress(json.dumps(cut, ensure_ascii=False).encode())
    (folder / "truncated.json.gz").write_bytes(stream[: len(stream) // 2])
    corpus.bad.append(("truncated.json.gz", ...))

    if bomb_bytes:
        (folder / "bomb.json.gz").write_bytes(gzip.compress(b"[" + b" " * bomb_bytes + b"]"))
        corpus.bad.append(("bomb.json.gz", None))
        long = _Lines("long-line.jsonl", corpus)
        long.good(article())
        long.bad(json.dumps({"id": "long", "body": "word " * (bomb_bytes // 5)}))
        long.good(article())
        (folder / long.name).write_text("\n".join(long.lines) + "\n")

    # Paths named on the command line: longer than PATH_MAX, a device.
    corpus.extra_paths = [f"{folder}/" + ("x" * 250 + "/") * 20 + "long.txt", "/dev/zero"]
    corpus.bad += [(Path(p).name, None) for p in corpus.extra_paths]
    return corpus


def _expect(record: dict, csv: bool = False) -> dict:
    expected = {"id": record.get("id"), "title": record.get("title"), "body": record["body"]}
    for key, value in record.items():
        if key not in expected:
            expected[key] = str(value) if csv else _stored(value)
    return expected


def _line_count(lines: list[str]) -> int:
    return sum(line.count("\n") + 1 for line in lines)


def _csv_quote(value) -> str:
    return '"' + str(value).replace('"', '""') + '"'


def _csv_row(record: dict) -> str:
    return ",".join(_csv_quote(record[k]) for k in ("id", "title", "body", "topic"))


def _page(folder: Path, corpus: Corpus, name: str, title: str, body: str, encoding: str = "utf-8") -> None:
    (folder / name).write_bytes(f"{title}\n\n{body}\n".encode(encoding))
    corpus.good.append(Good(name, {"id": None, "title": title, "body": body}))
