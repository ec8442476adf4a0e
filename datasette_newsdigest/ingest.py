"""Readers that turn files into article records, and the cleaning they share.

Each reader yields either an article ``dict`` (the ``articles`` columns of
ARCHITECTURE.md plus any extra input fields) or a :class:`Problem` naming the
file and line that could not be read, so that one bad input never costs the
good ones. Nothing here touches the database: the CLI writes the records.

Scraped pages are cleaned line by line with rules about the *shape* of page
furniture (short lines without sentence punctuation, credit parentheses,
"Advertisement" markers, footer and comment-form markers, copyright lines)
rather than a list of one site's strings, so they hold on pages from sites
not seen yet. Metadata is taken only where the page states it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from dateutil import parser as dateparser

from . import text as textmod

FIELDS = ("id", "title", "body", "published", "outlet", "author", "url")
# Columns the build computes itself; an input field with one of these names is
# kept under ``input_<name>`` instead of being overwritten.
COMPUTED = ("raw", "source", "words", "event_id", "subtitle")
EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}


@dataclass(frozen=True)
class Problem:
    """An input that was skipped, and why."""

    source: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


class InputError(ValueError):
    """A whole file cannot be read (binary, empty, not the format its name says)."""


# --------------------------------------------------------------------------
# Dates


_NUMERIC_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_HAS_MONTH = re.compile(rf"\b(?:{_MONTHS})\b\.?", re.I)
_HAS_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")


def parse_date(value) -> str | None:
    """An ISO 8601 date (or datetime, when a time is stated) or None.

    Accepts ISO strings, ``3/30/17`` (US order), ``Monday, June 5, 2023``,
    epoch-free datetimes and ``date`` objects. A value that does not state a
    year, month and day is None rather than a guess.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text or len(text) > 64:
        return None
    if not (_HAS_YEAR.search(text) and (_HAS_MONTH.search(text) or re.search(r"\d{1,2}\D+\d{1,2}\D+\d{2,4}|\d{4}\D\d{1,2}\D\d{1,2}", text))):
        return None
    try:
        first = dateparser.parse(text, default=datetime(1900, 1, 1, 0, 0, 0))
        second = dateparser.parse(text, default=datetime(1904, 2, 2, 1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None  # day, month or year missing
    if (first.hour, first.minute) != (second.hour, second.minute):
        return first.date().isoformat()  # no time of day stated
    return first.replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------
# Cleaning scraped text

_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
_ADVERT = re.compile(
    r"^[\W_]*(?:advertisements?|advert|ad|sponsored(?: content)?|promoted|story continues below(?: advertisement)?|"
    r"continue reading below|scroll to continue(?: with content)?|article continues below)[\W_]*$",
    re.I,
)
_TEASER = re.compile(
    r"^[\W_]*(?:also read|read also|read more|more|related|see also|watch|listen|recommended|"
    r"suggested|don'?t miss|trending|must read|read next|more on this|opinion)\s*[:|»>–—-]\s*\S", re.I
)
_NAV = re.compile(
    r"^(?:home|menu|search|skip to (?:main )?content|(?:social )?navigation|sign in|log ?in|sign up|"
    r"subscribe(?: now)?|register|toggle navigation|close|share(?: this(?: article)?)?(?: on \w+)?|"
    r"print|e-?mail|facebook|twitter|x|whatsapp|linkedin|telegram|reddit|pinterest|copy link|"
    r"must read|read more|load more|loading\.*|listen to (?:this )?article|(?:\d+ )?min(?:ute)? read|"
    r"image|photo|video|image source.*|image caption.*|media caption.*|getty images|"
    r"tags?:.*|filed under:?.*|posted in:?.*|categories?:.*|"
    r"follow us(?: on .*)?|like this:?|share this:?|comments?|\d+ comments?|no comments)$",
    re.I,
)
_BREADCRUMB = re.compile(r"\s(?:»|›|>|/|\|)\s")
_WEATHER = re.compile(r"^-?\d{1,3}(?:[.,]\d)?\s*°?\s*[CF]$")
_CREDIT = re.compile(
    r"\((?:[^()]*/[^()]*|[^()]*\b(?:via|getty|photo|photograph|images?|credit|shutterstock|pool|file)\b[^()]*)\)\s*$",
    re.I,
)
_CAPTION_PREFIX = re.compile(r"^(?:photo|photograph|image|picture|caption|credit|file photo)\s*(?:credit)?\s*[:|]", re.I)
_END_MARKERS = re.compile(
    r"^(?:leave a (?:reply|comment)|post a comment|add a comment|\d*\s*comments?:?|comment(?:s)? (?:are )?closed|"
    r"your email address will not be published.*|please enter your (?:comment|name).*|"
    r"check also|related(?: articles| posts| stories| news| content| coverage)?:?|"
    r"you (?:may|might) also (?:like|enjoy|be interested in)\W*|more (?:from|stories|news|on)\b.*|"
    r"recommended(?: for you| stories| articles)?|trending(?: now| today| stories)?|"
    r"latest(?: news| stories| posts| articles)?|popular(?: now| posts| stories)?|most (?:read|popular|viewed)|"
    r"top stories|what to read next|read next|up next|about the author|author bio|"
    r"sign up for .*|subscribe to .*|get (?:our|the) .*newsletter.*|"
    r"this is a developing story\b.*|this story (?:is developing|has been updated)\b.*|"
    r"(?:additional )?reporting by .*|editing by .*|writing by .*|"
    r".{0,80}\bcontributed (?:to )?(?:this )?(?:report|reporting|story)\.?|"
    r".{0,60}\blogo|©.*|copyright\b.*|all rights reserved\.?.*)$",
    re.I,
)
_BYLINE = re.compile(r"^(?:by|written by|words by|story by|author|reporter)\s*[:|]?\s+(.+)$", re.I)
_DATE_PREFIX = re.compile(
    r"^(?:published|updated|posted|last updated|first published|date|modified)(?:\s+on)?\s*[:|]?\s*", re.I
)
_DATELINE_AGENCY = re.compile(r"^[A-Z][A-Z .,'-]{2,40}\(([A-Z][A-Za-z. ]{1,30})\)\s*[-–—:]")
_NAME = r"[A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]+|de|da|van|von|al|bin|la|le|del))*"
_NAME_ONLY = re.compile(rf"^{_NAME}$")
_COPYRIGHT_NOISE = re.compile(
    r"©|\(c\)|\bcopyright\b|\ball rights reserved\b\.?|\b(?:19|20)\d\d\b(?:\s*[-–]\s*(?:19|20)?\d\d)?|[|,]", re.I
)


def _is_sentence_like(line: str) -> bool:
    return bool(_TERMINAL.search(line))


def _word_count(line: str) -> int:
    return len(line.split())


def _is_prose(line: str) -> bool:
    return _word_count(line) >= 8 and _is_sentence_like(line)


def _is_caption(line: str) -> bool:
    return bool(_CREDIT.search(line) or _CAPTION_PREFIX.match(line))


def _is_furniture(line: str) -> bool:
    """A line that is page furniture wherever it appears."""
    return bool(
        _ADVERT.match(line)
        or _TEASER.match(line)
        or _NAV.match(line)
        or _WEATHER.match(line)
        or (_BREADCRUMB.search(line) and not _is_sentence_like(line) and _word_count(line) <= 30)
    )


def _date_line(line: str) -> str | None:
    candidate = _DATE_PREFIX.sub("", line).strip()
    if _word_count(candidate) > 9:
        return None
    return parse_date(candidate)


def _byline(line: str) -> list[str] | None:
    match = _BYLINE.match(line)
    if not match or _is_sentence_like(line):
        return None
    names = match.group(1).strip()
    names = re.split(r"\s+(?:\||—|–|-)\s+", names)[0]  # "By X | Outlet"
    parts = [p.strip(" ,;") for p in re.split(r",|;|\band\b|&", names)]
    parts = [p for p in parts if p]
    if not parts or not all(_NAME_ONLY.match(p) and _word_count(p) <= 5 for p in parts):
        return None
    return parts


def _unwrap(block: list[str]) -> list[str]:
    """Lines of a blank-line-separated block, or the block joined into one
    paragraph when it is hard-wrapped prose (long lines broken mid-sentence)."""
    if len(block) < 3:
        return block
    inner = block[:-1]
    wrapped = sum(1 for line in inner if len(line) >= 40 and not _is_sentence_like(line))
    if wrapped * 2 >= len(inner):
        return [" ".join(block)]
    return block


def _lines(text: str) -> list[str]:
    lines: list[str] = []
    block: list[str] = []
    for line in textmod.normalize(text).split("\n"):
        if line:
            block.append(line)
        else:
            lines.extend(_unwrap(block))
            block = []
    lines.extend(_unwrap(block))
    return lines


def _outlet_from_copyright(line: str) -> str | None:
    if not re.search(r"©|\(c\)|\bcopyright\b", line, re.I):
        return None
    name = _COPYRIGHT_NOISE.sub(" ", line)
    name = re.sub(r"\s+", " ", name).strip(" .-–—:")
    if 2 <= len(name) <= 60 and _word_count(name) <= 6 and name[0].isupper():
        return name
    return None


def clean_page(raw: str, *, known_title: str | None = None) -> dict:
    """Split a scraped page into title, subtitle, author, outlet, published and body.

    The page is read as three zones: a header (navigation, title, deck,
    bylines, date) up to the first line of prose, the story, and a footer that
    starts at the first end-of-story marker (comment forms, related links,
    credits, copyright). Metadata comes from the header and footer; the body
    is the story with furniture and captions removed.
    """
    lines = _lines(raw)
    meta: dict = {"title": known_title, "subtitle": None, "author": None, "outlet": None, "published": None}
    authors: list[str] = []

    start = next((i for i, line in enumerate(lines) if _is_prose(line) and not _is_furniture(line)
                  and not _is_caption(line) and not _END_MARKERS.match(line)), len(lines))
    crumb_title = None
    for line in lines[:start]:
        if _BREADCRUMB.search(line) and not _is_sentence_like(line):
            crumb_title = re.split(_BREADCRUMB, line)[-1].strip()
            continue
        if _is_furniture(line):
            continue
        published = _date_line(line)
        if published:
            meta["published"] = meta["published"] or published
            continue
        names = _byline(line)
        if names:
            authors.extend(n for n in names if n not in authors)
            continue
        if meta["title"] is None and _word_count(line) >= 3:
            meta["title"] = line
        elif meta["title"] is not None and line != meta["title"] and _word_count(line) >= 6 and meta["subtitle"] is None:
            meta["subtitle"] = line
    if meta["title"] is None and crumb_title and _word_count(crumb_title) >= 3:
        meta["title"] = crumb_title

    body: list[str] = []
    end = len(lines)
    for i in range(start, len(lines)):
        line = lines[i]
        if _END_MARKERS.match(line):
            end = i
            break
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _NAME_ONLY.match(line) and _word_count(line) <= 4 and following.startswith(line + " is "):
            end = i  # an author box: the name, then "<name> is ..."
            break
        if _is_furniture(line) or line == meta["title"]:
            continue
        if _is_caption(line):
            if body and not _is_sentence_like(body[-1]) and _word_count(body[-1]) <= 10:
                body.pop()  # the caption's own heading
            continue
        names = _byline(line)
        if names:
            authors.extend(n for n in names if n not in authors)
            continue
        if not _is_sentence_like(line) and _word_count(line) < 8:
            continue  # headings and labels, not sentences of the story
        body.append(line)
    while body and not _is_sentence_like(body[-1]) and _word_count(body[-1]) <= 10:
        body.pop()

    for i in range(end, len(lines)):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _NAME_ONLY.match(line) and _word_count(line) <= 4 and following.startswith(line + " is "):
            if line not in authors:
                authors.append(line)
        meta["outlet"] = meta["outlet"] or _outlet_from_copyright(line)
    if meta["outlet"] is None and body:
        match = _DATELINE_AGENCY.match(body[0])
        if match:
            meta["outlet"] = match.group(1).strip()
    meta["author"] = ", ".join(authors) or None
    meta["body"] = "\n\n".join(body)
    return meta


def clean_body(body: str) -> str:
    """Tidy a body that came from a structured export: normalize spacing,
    one paragraph per line or block, and drop lines that are page furniture."""
    kept = [line for line in _lines(body) if not _is_furniture(line)]
    return "\n\n".join(kept)


# --------------------------------------------------------------------------
# Records


def stable_id(*parts: str | None) -> str:
    """A short content hash, so the same article gets the same id on every build."""
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return digest[:16]


def _text_or_none(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v)
    value = str(value).strip()
    return value or None


def make_record(fields: dict, *, source: str, raw: str, mapping: dict[str, str] | None = None) -> dict:
    """An ``articles`` row from the fields of a structured record (JSON/CSV).

    ``mapping`` maps our field names to the input's (``{"body": "content"}``).
    Raises ValueError when there is no body text.
    """
    mapping = mapping or {}
    source_names = {ours: mapping.get(ours, ours) for ours in FIELDS}
    used = set(source_names.values())
    body_value = fields.get(source_names["body"])
    if isinstance(body_value, (dict, list)):
        raise ValueError(f"field {source_names['body']!r} is not text")
    body = clean_body(_text_or_none(body_value) or "")
    if not body:
        raise ValueError(f"no text in field {source_names['body']!r}")
    record = {
        "title": _text_or_none(fields.get(source_names["title"])),
        "body": body,
        "raw": raw,
        "outlet": _text_or_none(fields.get(source_names["outlet"])),
        "author": _text_or_none(fields.get(source_names["author"])),
        "published": parse_date(fields.get(source_names["published"])),
        "url": _text_or_none(fields.get(source_names["url"])),
        "source": source,
    }
    record["id"] = _text_or_none(fields.get(source_names["id"])) or stable_id(record["title"], body)
    for key, value in fields.items():
        if key in used:
            continue
        column = f"input_{key}" if key in COMPUTED or key in FIELDS else key
        record[column] = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
    return finish(record)


def finish(record: dict) -> dict:
    record["words"] = textmod.count_words(record["body"])
    return record


def page_record(page: dict, *, source: str, raw: str) -> dict:
    record = {
        "id": stable_id(page["title"], page["body"]),
        "title": page["title"],
        "body": page["body"],
        "raw": raw,
        "outlet": page["outlet"],
        "author": page["author"],
        "published": page["published"],
        "url": page.get("url"),
        "source": source,
        "subtitle": page["subtitle"],
    }
    return finish(record)


# --------------------------------------------------------------------------
# Files


def input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None]]:
    """Files to read, with their format (None when the name says no format).

    Folders are walked in sorted order and only files with a known extension
    (optionally ``.gz``) are taken from them; a file named explicitly is
    always returned so that an unknown kind is reported rather than ignored.
    """
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                kind = file_kind(child)
                if kind and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, kind
        else:
            yield path, file_kind(path)


def file_kind(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


class _Progress(io.RawIOBase):
    """Counts bytes read from the file on disk, so a progress bar can follow a gzip stream."""

    def __init__(self, raw: IO[bytes], callback: Callable[[int], None] | None):
        self._raw = raw
        self._callback = callback

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if self._callback and n:
            self._callback(n)
        return n


@contextmanager
def _open_bytes(path: Path, progress: Callable[[int], None] | None) -> Iterator[IO[bytes]]:
    """The file's bytes, gunzipped when its name ends in .gz; closes the file itself too."""
    with open(path, "rb") as raw:
        handle = io.BufferedReader(_Progress(raw, progress), 1 << 20)
        yield gzip.GzipFile(fileobj=handle) if path.suffix.lower() == ".gz" else handle


def _decode(data: bytes) -> str:
    if not data.strip():
        raise InputError("empty file")
    head = data[:8192]
    if b"\x00" in head:
        raise InputError("binary file (contains NUL bytes)")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > len(head) * 0.05:
        raise InputError("binary file (mostly control bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_file(path: Path, kind: str | None, *, mapping: dict[str, str] | None = None,
              progress: Callable[[int], None] | None = None) -> Iterator[dict | Problem]:
    """Records (or Problems) from one file."""
    source = str(path)
    if kind is None:
        yield Problem(source, f"unsupported file type (expected one of {', '.join(sorted(EXTENSIONS))}, optionally .gz)")
        return
    try:
        with _open_bytes(path, progress) as handle:
            if kind == "jsonl":
                yield from _read_jsonl(handle, source, mapping)
                return
            if kind == "csv":
                yield from _read_csv(handle, source, mapping)
                return
            data = handle.read()
        content = _decode(data)
        if kind == "txt":
            page = clean_page(content)
            if not page["body"]:
                raise InputError("no article text found")
            yield page_record(page, source=source, raw=content)
        elif kind == "html":
            yield _read_html(content, source)
        elif kind == "json":
            yield from _read_json(content, source, mapping)
    except InputError as e:
        yield Problem(source, str(e))
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as e:
        yield Problem(source, f"cannot read: {e}")


def _read_jsonl(handle: IO[bytes], source: str, mapping) -> Iterator[dict | Problem]:
    seen_any = False
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        seen_any = True
        try:
            text = line.decode("utf-8-sig")
            value = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            yield Problem(source, f"malformed JSON: {e}", number)
            continue
        yield _structured(value, source, text.strip(), mapping, number)
    if not seen_any:
        yield Problem(source, "empty file")


def _read_json(content: str, source: str, mapping) -> Iterator[dict | Problem]:
    try:
        value = json.loads(content)
    except json.JSONDecodeError as e:
        # Many ".json" exports are really JSON Lines.
        lines = [line for line in content.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].lstrip().startswith("{"):
            yield from _read_jsonl(io.BytesIO(content.encode("utf-8")), source, mapping)
            return
        raise InputError(f"malformed JSON: {e}") from e
    if isinstance(value, dict) and not any(k in value for k in ("body", (mapping or {}).get("body"))):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1:
            value = lists[0]  # {"articles": [...]}
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError("empty JSON array")
    for number, item in enumerate(items, 1):
        yield _structured(item, source, json.dumps(item, ensure_ascii=False), mapping, number)


def _read_csv(handle: IO[bytes], source: str, mapping) -> Iterator[dict | Problem]:
    data = handle.read()
    content = _decode(data)
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if not reader.fieldnames or len(reader.fieldnames) < 2:
        raise InputError("not a CSV file with a header row")
    rows = 0
    try:
        for row in reader:
            rows += 1
            number = reader.line_num
            if None in row:
                yield Problem(source, f"{len(row[None])} more values than the header has columns", number)
                continue
            clean = {k: v for k, v in row.items() if k}
            yield _structured(clean, source, json.dumps(clean, ensure_ascii=False), mapping, number)
    except csv.Error as e:
        yield Problem(source, f"malformed CSV: {e}", reader.line_num)
    if rows == 0:
        raise InputError("CSV has a header but no rows")


def _structured(value, source, raw, mapping, number) -> dict | Problem:
    if not isinstance(value, dict):
        return Problem(source, f"expected a JSON object, got {type(value).__name__}", number)
    try:
        return make_record(value, source=source, raw=raw, mapping=mapping)
    except ValueError as e:
        return Problem(source, str(e), number)


def _read_html(content: str, source: str) -> dict:
    import trafilatura

    document = trafilatura.bare_extraction(
        content,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        raise InputError("no article text found in HTML")
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    page = clean_page(found.get("text") or "", known_title=_text_or_none(found.get("title")))
    if not page["body"]:
        raise InputError("no article text found in HTML")
    page["author"] = _text_or_none(found.get("author")) or page["author"]
    page["outlet"] = _text_or_none(found.get("sitename")) or page["outlet"]
    page["published"] = parse_date(found.get("date")) or page["published"]
    page["url"] = _text_or_none(found.get("url"))
    return page_record(page, source=source, raw=content)
