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
import stat
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar, cast
from urllib.parse import urlsplit

import ftfy
from dateutil import parser as dateparser
from dateutil.parser import UnknownTimezoneWarning
from sqlite_utils.utils import maximize_csv_field_size_limit

from . import text as textmod

__all__ = [
    "COMPUTED",
    "EXTENSIONS",
    "FIELDS",
    "GENRES",
    "MAX_COLUMNS",
    "MAX_INPUT_BYTES",
    "MAX_LINE_BYTES",
    "OVERFLOW_COLUMN",
    "Columns",
    "InputError",
    "Problem",
    "Record",
    "RecordError",
    "Unmade",
    "clean_body",
    "clean_page",
    "file_kind",
    "genre_of",
    "finish",
    "input_files",
    "make_record",
    "outlet_from_url",
    "page_record",
    "parse_date",
    "path_text",
    "read_file",
    "repair_text",
    "stable_id",
    "text_date",
]

FIELDS = ("id", "title", "body", "published", "outlet", "author", "url")
# Columns the build computes itself; an input field with one of these names is
# kept under ``input_<name>`` instead of being overwritten.
COMPUTED = ("raw", "source", "words", "event_id", "subtitle", "outlet_from", "published_from", "genre")
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
    skipped: bool = True  # False: a note about something kept in another form

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


class InputError(ValueError):
    """A whole file cannot be read (binary, empty, not the format its name says)."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.line = line


class RecordError(ValueError):
    """One structured record cannot become an article (no text, a value SQLite cannot store)."""


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
    if not (_HAS_YEAR.search(text)
            and (_HAS_MONTH.search(text) or re.search(r"\d{1,2}\D+\d{1,2}\D+\d{2,4}|\d{4}\D\d{1,2}\D\d{1,2}", text))):
        return None
    try:
        with warnings.catch_warnings():  # "4:10 p.m. ET": the zone is dropped, not printed on stderr per article
            warnings.simplefilter("ignore", UnknownTimezoneWarning)
            first = dateparser.parse(text, default=datetime(1900, 1, 1, 0, 0, 0))
            second = dateparser.parse(text, default=datetime(1904, 2, 2, 1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None  # day, month or year missing
    if (first.hour, first.minute) != (second.hour, second.minute):
        return first.date().isoformat()  # no time of day stated
    return first.replace(microsecond=0).isoformat()


_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_YEAR = r"(?:1[89]|20)\d\d"
# A date that states its year: "May 03, 2013", "Monday, June 5, 2023", "5 June 2023", "2023-06-05".
_STATED_DATE = (rf"(?i:(?:{_WEEKDAY}\.?,?\s+)?(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
                rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+{_YEAR})|{_YEAR}-\d\d-\d\d)")
_AGENCY = r"\([^()\n]{1,30}\)"
# A wire dateline that carries a date: "NEW YORK, May 3, 2013 (AP) —", "May 3, 2013 -- ", "LONDON (Reuters) May 3,
# 2013:". A place is a few capitalized words; the date must be followed by the dateline's dash or colon.
_DATELINE_DATE = re.compile(rf"^(?:[A-Z][\w.'’-]*(?:,?\s+[A-Z][\w.'’-]*){{0,4}},?\s+)?(?:{_AGENCY}\s*)?"
                            rf"(?P<date>{_STATED_DATE})\s*(?:{_AGENCY}\s*)?(?:--?|[—–_|:])\s")
_TOP_LINES = 4  # lines of a body, at most, read for its own date
_DATE_CHARS = 4000  # of an uncleaned body, enough for those lines


def text_date(body: str | None) -> str | None:
    """The date an article states of itself at its top, as :func:`parse_date` gives it: a date line
    before the story ("Monday, June 5, 2023", "Published: May 03, 2013 10:00") or the dateline that
    opens its first paragraph ("WASHINGTON, May 3, 2013 (Reuters) -"). Only there: a date the story
    mentions further on may be any date. None when the top states no day, month and year (a dateline
    such as "WASHINGTON, May 3 (Reuters)" states no year, and none is guessed).

    A regular expression finds the dateline's date, and dateutil reads it (``parse_date``):
    dateparser's ``search_dates`` costs 6-25 ms a call here, minutes over a large undated input."""
    lines = [line.strip() for line in (body or "").split("\n") if line.strip()][:_TOP_LINES]
    for line in lines:
        found = _date_line(line)
        if found:
            return found
        match = _DATELINE_DATE.match(line)
        if match:
            return parse_date(match.group("date"))
        if _is_prose(line):
            return None  # the story has begun
    return None


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


def _took_byline(line: str, authors: list[str]) -> bool:
    """Whether ``line`` is a byline (above the story or in it); its names join ``authors``, each once."""
    names = _byline(line)
    if names:
        authors.extend(n for n in names if n not in authors)
    return bool(names)


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


def _blocks(text: str) -> list[list[str]]:
    """The blank-line-separated blocks of ``text``, each as its lines (hard-wrapped prose joined)."""
    blocks: list[list[str]] = []
    block: list[str] = []
    for line in textmod.normalize(text).split("\n"):
        if line:
            block.append(line)
        elif block:
            blocks.append(_unwrap(block))
            block = []
    if block:
        blocks.append(_unwrap(block))
    return blocks


def _lines(text: str) -> list[str]:
    return [line for block in _blocks(text) for line in block]


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
    lines = _lines(textmod.strip_link_cards(raw))
    meta: dict = {"title": known_title, "subtitle": None, "author": None, "outlet": None, "published": None}
    authors: list[str] = []

    start = next((i for i, line in enumerate(lines) if _is_prose(line) and not _is_furniture(line)
                  and not textmod.is_caption(line) and not _END_MARKERS.match(line)), len(lines))
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
        if _took_byline(line, authors):
            continue
        if meta["title"] is None and _word_count(line) >= 3:
            meta["title"] = line
        elif (meta["title"] is not None and line != meta["title"] and _word_count(line) >= 6
              and meta["subtitle"] is None):
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
        if textmod.is_caption(line):
            if body and not _is_sentence_like(body[-1]) and _word_count(body[-1]) <= 10:
                body.pop()  # the caption's own heading
            continue
        if _took_byline(line, authors):
            continue
        if not _is_sentence_like(line) and _word_count(line) < 8:
            continue  # headings and labels, not sentences of the story
        body.append(line)
    while body and not _is_sentence_like(body[-1]) and _word_count(body[-1]) <= 10:
        body.pop()
    if body:
        body[:1] = _without_title(body[0], meta["title"])

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
    meta["body"] = "\n\n".join(map(textmod.strip_section_labels, body))
    meta["top"] = "\n".join(lines[:min(start, 2)] + body[:1])  # where a genre label may be (genre_of)
    return meta


# Captions are short: a longer line ending in a credit is story with a credit fused to its end; but a paragraph
# that ends at its credit is a caption of several sentences up to MAX_CREDITED_CAPTION_WORDS (rule 33).
MAX_CAPTION_WORDS = 60
MAX_CREDITED_CAPTION_WORDS = 150


def _is_story_furniture(line: str, heading: bool, alone: bool = False) -> bool:
    """Furniture inside an exported story (bench/README.md "Furniture in digests", rules 1-6): a
    caption, a shouted headline, a link or summary-box line, or, where the line may be a
    ``heading``, one without sentence punctuation of fewer than 8 words, as pages are read; and,
    unless it is the body's only line (``alone``), a paragraph that ends at its credit (rule 33)."""
    n = _word_count(line)
    if not alone and MAX_CAPTION_WORDS < n <= MAX_CREDITED_CAPTION_WORDS and textmod.ends_at_credit(line):
        return True
    if not alone and textmod.is_methods_box(line):
        return True  # rule 50: the methodology box as a paragraph of the story's
    short = n <= MAX_CAPTION_WORDS
    # a long line is story even if caption- or page-line-shaped (so page lines are not looked for in it, the
    # costly part), unless another shape holds
    if textmod.is_furniture(line, page_lines=short):
        return (short or not textmod.is_caption(line) or textmod.is_shouted(line) or textmod.is_link_line(line)
                or textmod.is_headline(line))
    return heading and not _is_sentence_like(line) and _word_count(line) < 8


def _may_be_heading(blocks: list[list[str]], b: int) -> bool:
    """Block ``b`` is one line and the next block opens a sentence: the line is not a sentence
    broken across paragraphs ("Fourth" / "row.")."""
    following = blocks[b + 1][0] if b + 1 < len(blocks) else ""
    return len(blocks[b]) == 1 and not following[:1].islower()


# What may stand before the title on a first line: a credit or kicker of up to four capitalized words or
# numbers, no sentence ("Getty 2016 <title> <deck>").
_TITLE_KICKER = re.compile(r"(?:[A-Z0-9][\w'’/&-]*\s+){1,4}")
_TITLE_JOINT = " .:|—–-"  # between a title and its deck
# "<title> Monday on drug prices ...": the title ran into the story's sentence
_TIME_WORD = re.compile(rf"(?:{textmod._DAY}|Today|Tonight|{textmod._MONTH})\b")


# Rule 34: a caption before a credit and the title: "<caption>. | Getty <title> <deck>".
REWRITTEN_HEADING_WORDS = 10  # rule 45: a lead picture's heading that is the title rewritten
_CAPTION_KICKER = re.compile(r".*?[.!?][\"'”’]?\s+\|\s+(?:[A-Z0-9][\w'’/&-]*\s+){0,4}")


def _lead_picture(line: str, title: str) -> bool:
    """The first ``line`` is one sentence, then a heading that shares half of its content words
    with the ``title`` (rule 34): the lead picture's caption before the headline ("<caption>. 5
    things to watch in Monday's debate")."""
    pieces = textmod.split_sentences(line)
    if len(pieces) != 2 or _word_count(pieces[0]) < 4 or not _is_sentence_like(pieces[0]):
        return False
    heading = pieces[1]
    if _is_sentence_like(heading) or not 2 <= _word_count(heading) <= 14 or not heading[:1].isupper() and \
            not heading[:1].isdigit():
        return False
    terms, in_title = set(textmod.content_terms(heading)), set(textmod.content_terms(title))
    shared = len(terms & in_title)
    # rule 45: a headline rewritten for the slot ("ACA" for "Obamacare") shares two words, and ends as headlines do
    return bool(terms) and (2 * shared >= len(terms) or shared >= 2 and heading[-1:].isalnum()
                            and _word_count(heading) <= REWRITTEN_HEADING_WORDS)


def _without_title(line: str, title: str | None) -> list[str]:
    """A body's first ``line`` without the record's ``title`` it repeats (rule 7) or starts with,
    fused to its deck (rule 27: "<title> The former CIA director also says ..."), or has after a
    caption and its credit (rule 34): the rest is kept if it is a sentence, the line dropped if not;
    a line the title only runs into ("President <title> to fund ...", the rest in lower case) is
    story and stays; a caption and a heading close to the title go (rule 34)."""
    title, joined = " ".join((title or "").split()), " ".join(line.split())
    if not title or joined == title:
        return [] if title else [line]
    at = joined.find(title)
    if at != 0 and _lead_picture(joined, title):
        return []
    if at < 0 or len(title.split()) < 3 or (at and not (_TITLE_KICKER.fullmatch(joined, 0, at)
                                                        or _CAPTION_KICKER.fullmatch(joined, 0, at))):
        return [line]
    rest = joined[at + len(title):].lstrip(_TITLE_JOINT)
    head = rest.lstrip("\"'‘“")[:1]
    if not head.isupper() or _TIME_WORD.match(rest):
        return [line] if head.isalnum() else []
    return [rest] if _is_sentence_like(rest) and _word_count(rest) >= 4 else []


def clean_body(body: str, title: str | None = None) -> str:
    """Tidy a body that came from a structured export: normalize spacing, one paragraph per line
    or block, cut inline link cards out, and drop the lines that are page furniture, the story's
    furniture and a first line that repeats the ``title``. A body that is all furniture by these
    rules keeps the lines the page-furniture rules alone keep, so a short note is not lost as a
    heading."""
    blocks = _blocks(textmod.strip_link_cards(body))
    kept: list[str] = []
    story: list[str] = []
    first = ""  # the story's first line as given, before rule 38 took its label: a title may open it
    alone = sum(map(len, blocks)) == 1
    for b, block in enumerate(blocks):
        for given in block:
            line = textmod.strip_section_labels(given)
            if not _is_furniture(line):
                kept.append(line)
                if not _is_story_furniture(line, _may_be_heading(blocks, b), alone):
                    story.append(line)
                    first = first or given
    if story:
        untitled = _without_title(first, title)
        story[:1] = _without_title(story[0], title) if untitled == [first] else untitled
    return "\n\n".join(story if any(c.isalpha() for c in "".join(story)) else kept)


# --------------------------------------------------------------------------
# Genre: news unless the article states otherwise

GENRES = ("news", "analysis", "opinion")
_OPINION_WORDS = r"opinions?|op-?eds?|commentary|editorials?|columns?|columnists?"
# A label heading the title or the body: "OPINION: ...", "Op-Ed | ...", "ANALYSIS/OPINION:", "Analysis" alone;
# "Analysis of the data shows" and "Opinion polls" are sentences, not labels.
_GENRE_LABEL = re.compile(
    rf"^\W*(?:news\s+)?((?:{_OPINION_WORDS}|analysis)(?:\s*/\s*(?:{_OPINION_WORDS}|analysis))?)\s*(?:[:|–—-]|$)",
    re.I)
_GENRE_CAPS = re.compile(rf"^\W*((?:{_OPINION_WORDS}|analysis)(?:/(?:{_OPINION_WORDS}|analysis))?)\s", re.I)
_GENRE_PATH = re.compile(rf"/({_OPINION_WORDS}|analysis|analyses)(?:/|$)", re.I)
# An outlet name that states its section at its end: "New York Times - Opinion", "NPR Editorial".
_GENRE_OUTLET = re.compile(rf"(?:^|[\s\-–—(|/])({_OPINION_WORDS})(?:\s+board)?\)?\s*$", re.I)
_GENRE_FIELDS = ("genre", "section", "category")


def _genre_word(found: str) -> str:
    return "analysis" if re.fullmatch(r"(?:news\s+)?analys[ie]s", found.strip(), re.I) else "opinion"


def genre_of(*, title: str | None = None, top: str | None = None, url: str | None = None,
             outlet: str | None = None, stated: Iterable[Any] = ()) -> str:
    """'news', 'analysis' or 'opinion': what the article states about itself, else 'news'.

    Stated, in this order: a genre, section or category field of the input (``stated``), a label
    heading the title or the ``top`` of the body, a section in the URL's path (``/opinion/``,
    ``/analysis/``), the outlet's name ending in a section ("... - Opinion"). An opinion label
    wins over analysis ("ANALYSIS/OPINION:"). Unstated is news: what a digest reads first."""
    for value in stated:
        words = " ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")
        if re.search(rf"\b(?:{_OPINION_WORDS})\b", words, re.I):
            return "opinion"
        if re.search(r"\banalys[ie]s\b", words, re.I):
            return "analysis"
    for line in (title or "", *(top or "").split("\n", 3)[:3]):
        line = line.strip()
        match = _GENRE_LABEL.match(line) or (_GENRE_CAPS.match(line) if line[:8].isupper() else None)
        if match:
            return "opinion" if "opinion" in map(_genre_word, re.split("/", match.group(1))) else "analysis"
    path = re.sub(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/]*", "", re.split(r"[?#]", url or "", maxsplit=1)[0])
    found = [_genre_word(m) for m in _GENRE_PATH.findall(path)]
    if found:
        return "opinion" if "opinion" in found else "analysis"
    if outlet and _GENRE_OUTLET.search(outlet):
        return "opinion"
    return "news"


# --------------------------------------------------------------------------
# Repairing text

# ftfy's fixes for text read in the wrong encoding (mojibake, C1 controls) only: its others
# change correct text (curly quotes, ligatures, full-width forms, line breaks, the control
# characters kept on purpose) or decode HTML entities that may be meant.
_FTFY = ftfy.TextFixerConfig(unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
                             fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
                             fix_surrogates=False, remove_control_chars=False, normalization=None, explain=False)
# Every sequence ftfy's detector (is_bad) calls mojibake holds a character outside ASCII and these
# typographic marks, and is at most 7 characters long (tests/test_repair.py checks both), so the
# detector need only see a few characters around each such character (run on all the text, it
# costs about 1.2 s per 1,000 articles). With the fixes above, ftfy changes a line only when its
# detector flags it or it holds a C1 control.
_PLAIN, _SUSPECT, _ = textmod.mojibake_detector()
_C1 = re.compile(r"[\x80-\x9f]")
_REACH = textmod.MOJIBAKE_REACH


def _may_need_repair(line: str) -> bool:
    """Whether ftfy could change ``line``: never False where it could (at worst True where it will not)."""
    return bool(_C1.search(line)) or textmod.may_be_mojibake(line)


def repair_text(value: str) -> str:
    """``value`` with mojibake and other encoding damage undone by ftfy, line by line (as ftfy
    itself works), handing it only the lines that may hold damage, and without the C1 controls
    left after it. Correct text is returned as given; repaired text is NFC-normalized, as
    textmod.normalize does for bodies."""
    if not _SUSPECT.search(value):
        return value
    # A C1 control ftfy leaves is the rest of a character whose other bytes were lost or are there
    # already ('Debt"\x9d' of 'Debt”'): never text, so it goes.
    fixed = "".join(_C1.sub("", ftfy.fix_text(line, _FTFY)) if _may_need_repair(line) else line
                    for line in value.splitlines(keepends=True))
    if fixed == value or _has_surrogate(fixed):
        return value
    return unicodedata.normalize("NFC", fixed)


def _repaired(value, name: str, changed: list[str]):
    """A field's value repaired before it is cleaned (when it is text), noting its name in ``changed``."""
    if not isinstance(value, str):
        return value
    fixed = repair_text(value)
    if fixed != value:
        changed.append(name)
    return fixed


def _repair_note(what: str) -> str:
    return f"mojibake or other encoding damage repaired in {what} (the input as read is in raw)"


# --------------------------------------------------------------------------
# Records


class Record(dict):
    """An ``articles`` row, with the line it starts on, the keys that hold
    extra input fields (their columns are :class:`Columns`' choice) and notes
    about values it kept in another form."""

    def __init__(self, *args, line: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.extras: list[str] = []
        self.notes: list[str] = []


def stable_id(*parts: str | None) -> str:
    """A short content hash, so the same article gets the same id on every build."""
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return digest[:16]


def _text_or_none(value) -> str | None:
    """A metadata field as trimmed text; a list (several authors) is joined, and a nested
    object is kept as JSON rather than as Python's repr of it."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(_as_text(v) for v in value if v)
    value = _as_text(value).strip()
    return value or None


def _as_text(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def _as_given(value) -> str | None:
    """An id or title as text exactly as the input states it; only a value
    that is all white space counts as missing (``" a1 "`` stays ``" a1 "``).
    Outlet, author and url are trimmed instead, so that one outlet stays one."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    else:
        value = str(value)
    return value if value.strip() else None


_SURROGATE = re.compile("[\ud800-\udfff]")
# What a body holds when an export wrote a value, not text: 12345, true, NaN.
_LITERALS = frozenset({"true", "false", "null", "none", "nan", "inf", "-inf", "+inf", "infinity",
                       "-infinity", "undefined"})
SQLITE_INT = (-(2**63), 2**63 - 1)


def _check_unicode(name: str, value) -> None:
    """SQLite stores UTF-8, which cannot hold a lone surrogate (``"\\ud800"`` in JSON)."""
    if isinstance(value, str) and _has_surrogate(value) and (found := _SURROGATE.search(value)):
        raise RecordError(f"field {name!r} is not valid Unicode (a lone surrogate U+{ord(found.group()):04X})")


def _has_surrogate(value: str) -> bool:
    return not value.isascii() and bool(_SURROGATE.search(value))  # isascii() is O(1) in CPython


def _sqlite_value(name: str, value, notes: list[str]):
    """An extra field's value as SQLite can store it without loss."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
    if isinstance(text, str) and _has_surrogate(text):
        notes.append(f"field {name!r}: not valid Unicode (a lone surrogate), kept as JSON text with \\u escapes")
        return json.dumps(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if SQLITE_INT[0] <= value <= SQLITE_INT[1]:
            return value
        notes.append(f"field {name!r}: an integer beyond SQLite's 64-bit range, kept as text")
        return str(value)
    if isinstance(value, float):
        if value != value:
            notes.append(f"field {name!r}: NaN kept as the text 'NaN' (SQLite would store NULL)")
            return "NaN"
        return value
    return text if isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False)


def _body_text(value, name: str, title: str | None = None) -> str:
    if not isinstance(value, str):
        kind = "nothing" if value is None else type(value).__name__
        what = "no text" if value is None else f"not text (a JSON {kind})"
        raise RecordError(f"{what} in field {name!r}")
    _check_unicode(name, value)
    body = clean_body(value, title)
    stripped = body.strip()
    if not stripped:
        raise RecordError(f"no text in field {name!r}")
    if (len(stripped) <= 9 and stripped.lower() in _LITERALS) or not any(c.isalpha() for c in stripped):
        raise RecordError(f"no text in field {name!r}, only the value {stripped[:40]!r}")
    return body


def make_record(fields: dict, *, source: str, raw: str, mapping: dict[str, str] | None = None,
                line: int | None = None) -> Record:
    """An ``articles`` row from the fields of a structured record (JSON/CSV).

    ``mapping`` maps our field names to the input's (``{"body": "content"}``).
    Raises RecordError when the record holds no article text or a value
    SQLite cannot store. Other fields are kept under their own names (or
    ``input_<name>`` for one of ours) and listed in ``record.extras``.
    """
    mapping = mapping or {}
    source_names = {ours: mapping.get(ours, ours) for ours in FIELDS}
    used = set(source_names.values())
    repaired: list[str] = []
    raw_body = _repaired(fields.get(source_names["body"]), "body", repaired)
    title = _repaired(_as_given(fields.get(source_names["title"])), "title", repaired)
    body = _body_text(raw_body, source_names["body"], title)
    record = Record(
        title=title,
        body=body,
        raw=raw,
        outlet=_repaired(_text_or_none(fields.get(source_names["outlet"])), "outlet", repaired),
        outlet_from=None,
        author=_repaired(_text_or_none(fields.get(source_names["author"])), "author", repaired),
        published=parse_date(fields.get(source_names["published"])),
        published_from="input",
        url=_text_or_none(fields.get(source_names["url"])),
        source=source,
        line=line,
    )
    if not record["published"]:
        # read before cleaning: a date line at the top is a short line that cleaning drops as a heading
        record["published"] = text_date(raw_body[:_DATE_CHARS])
        record["published_from"] = "text" if record["published"] else None
    record["id"] = _as_given(fields.get(source_names["id"])) or stable_id(record["title"], body)
    record["genre"] = genre_of(title=title, top=raw_body if isinstance(raw_body, str) else None,
                               url=record["url"], outlet=record["outlet"],
                               stated=[v for k, v in fields.items() if _fold(k) in _GENRE_FIELDS])
    if repaired:
        record.notes.append(_repair_note(", ".join(repaired)))
    for key, value in fields.items():
        if key not in used:
            column = key
            if _has_surrogate(column):
                column = json.dumps(key)[1:-1]
                record.notes.append(f"field name {column!r} is not valid Unicode, kept with \\u escapes")
            while column in FIELDS or column in COMPUTED or column in record:
                column = f"input_{column}"
            record[column] = _sqlite_value(key, value, record.notes)
            record.extras.append(column)
    for key, value in record.items():
        _check_unicode(key, value)
    return finish(record, "input")


_Row = TypeVar("_Row", bound=dict)


def finish(record: _Row, outlet_from: str) -> _Row:
    """Count the words, and say where the outlet came from: ``outlet_from`` (``input``: a field
    of the record, ``page``: the page's own text or metadata), else ``url``: the address's domain
    (:func:`outlet_from_url`), which is all a record without an outlet says about who published it.
    A record the input gives no date takes the one its text states at its top (:func:`text_date`)."""
    if not record["published"]:
        record["published"] = text_date(record["body"])
        record["published_from"] = "text" if record["published"] else None
    damaged = [name for name in ("title", "body")
               if isinstance(record.get(name), str) and textmod.is_damaged(record[name])]
    if damaged and isinstance(record, Record):
        record.notes.append(f"{' and '.join(damaged)}: encoding damage no repair undoes (bytes lost before the input "
                            "was written), kept as given; digests leave out the sentences that hold it")
    if record["outlet"]:
        record["outlet_from"] = outlet_from
    elif outlet := outlet_from_url(record["url"]):
        record["outlet"], record["outlet_from"] = outlet, "url"
    record["words"] = textmod.count_words(record["body"])
    return record


_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"  # a host name label, 1 to 63 letters, digits and inner hyphens
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(?!\d)")  # "https:", not the port of "host:8080"


def outlet_from_url(url: str | None) -> str | None:
    """The registrable domain of a web address: ``https://www.bbc.co.uk/news/x`` -> ``bbc.co.uk``,
    ``https://edition.cnn.com/x`` -> ``cnn.com``, a scheme-less ``reuters.com/x`` -> ``reuters.com``.

    "Registrable" needs the Public Suffix List (``co.uk`` and ``com.au`` are suffixes, ``bbc`` is
    not), which the stdlib lacks; the ``tld`` package (a dependency of trafilatura's courlan) ships
    it, read from disk, never downloaded. None for anything else: another scheme (``javascript:``,
    ``mailto:``), an IP address, ``localhost``, a bare suffix, or no list on disk."""
    url = (url or "").strip()
    scheme = _SCHEME.match(url)
    if not url or (scheme and scheme.group(1).lower() not in ("http", "https")) or not _suffix_list():
        return None
    try:
        host = urlsplit(url if scheme else "//" + url.lstrip("/")).hostname
    except ValueError:  # a malformed IPv6 literal or port
        return None
    host = (host or "").rstrip(".")
    if len(host) > 253 or not _HOST.fullmatch(host):
        return None
    from tld import get_tld

    found = get_tld("http://" + host, as_object=True, fail_silently=True)
    if found is None or get_tld("http://x." + host, fail_silently=True) == host:
        return None  # no known suffix, or the host is itself one ("co.uk", which tld takes as a domain)
    return found.fld  # type: ignore[union-attr]


@cache
def _suffix_list() -> bool:
    """Whether ``tld`` has its list on disk: without it, it would try to download one."""
    try:
        return files("tld").joinpath("res", "effective_tld_names.dat.txt").is_file()
    except ModuleNotFoundError:
        return False


def page_record(page: dict, *, source: str, raw: str, repaired: bool = False) -> Record:
    """An ``articles`` row from a cleaned page; ``repaired`` says its text was repaired before cleaning."""
    record = Record(
        id=stable_id(page["title"], page["body"]),
        title=page["title"],
        body=page["body"],
        raw=raw,
        outlet=page["outlet"],
        outlet_from=None,
        author=page["author"],
        published=page["published"],
        published_from=page.get("published_from", "text"),  # a page's date is from its text, unless its metadata
        url=page.get("url"),
        source=source,
        subtitle=page["subtitle"],
        genre=genre_of(title=page["title"], top=page.get("top"), url=page.get("url"), outlet=page["outlet"]),
    )
    if repaired:
        record.notes.append(_repair_note("the page"))
    return finish(record, "page")


def _fold(name: str) -> str:
    """A column name as SQLite compares it: case-insensitive in ASCII only."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Names SQLite gives the row id of a table; a column named so would hide it.
ROWID_NAMES = ("rowid", "oid", "_rowid_")
OVERFLOW_COLUMN = "extra_fields"
MAX_COLUMNS = 1000  # SQLite refuses more than 2,000 columns; far fewer keeps rows usable


class Columns:
    """Which ``articles`` column holds each extra input field.

    A field keeps its own name unless SQLite could not tell it apart from a
    column already there (names compare case-insensitively, ``rowid`` is the
    row id, ``source`` is computed): then it is kept as ``input_<name>``
    (or ``input_<name>_2`` ...). Fields arriving once the table has
    ``max_columns`` columns go into one JSON column, ``extra_fields``, so no
    value is lost to SQLite's column limit. Notes say so once per file and field.
    """

    def __init__(self, existing: Iterable[str], core: Iterable[str], max_columns: int = MAX_COLUMNS):
        existing = list(existing)
        self.core = set(core)
        self.columns = {name: name for name in existing if name not in self.core}
        self.taken = {_fold(name) for name in [*existing, *self.core]} | set(ROWID_NAMES) | {OVERFLOW_COLUMN}
        self.count = len(set(existing) | self.core)
        self.max_columns = max_columns
        self._noted: set[tuple[str, str | None]] = set()

    def place(self, extras: dict, source: str) -> tuple[dict, list[str], list[str]]:
        """(values by column, columns to create first, notes) for one record's extras."""
        row: dict = {}
        new: list[str] = []
        notes: list[str] = []
        overflow: dict = {}
        for key, value in extras.items():
            column = self.columns.get(key)
            if column is None and self.count >= self.max_columns:
                overflow[key] = value
                continue
            if column is None:
                column = self._claim(key)
                new.append(column)
            if column != key and (source, key) not in self._noted:
                self._noted.add((source, key))
                notes.append(f"field {key!r} kept as column {column!r} ({self._why(key)})")
            row[column] = value
        if overflow:
            if OVERFLOW_COLUMN not in self.columns:
                self.columns[OVERFLOW_COLUMN] = OVERFLOW_COLUMN
                self.count += 1
                new.append(OVERFLOW_COLUMN)
            row[OVERFLOW_COLUMN] = json.dumps(overflow, ensure_ascii=False)
            if (source, None) not in self._noted:
                self._noted.add((source, None))
                notes.append(f"fields past the cap of {self.max_columns} columns (such as {next(iter(overflow))!r}) "
                             f"kept as JSON in column {OVERFLOW_COLUMN!r}")
        return row, new, notes

    def _claim(self, key: str) -> str:
        base = key.replace("\x00", "")
        column = key if key and base == key else f"input_{base}"
        n = 1
        while _fold(column) in self.taken:
            n += 1
            column = f"input_{base}" + (f"_{n - 1}" if n > 2 else "")
        self.taken.add(_fold(column))
        self.columns[key] = column
        self.count += 1
        return column

    def _why(self, key: str) -> str:
        folded = _fold(key)
        if folded in ROWID_NAMES:
            return f"{key!r} names SQLite's row id"
        if folded == OVERFLOW_COLUMN:
            return "that column holds the fields past the column cap"
        if key in self.core:
            return "the build fills a column of that name itself"
        same = [c for c in [*self.core, *self.columns.values()] if _fold(c) == folded and c != self.columns[key]]
        if same:
            return f"SQLite column names ignore case, and {same[0]!r} exists"
        return "SQLite cannot hold that name as given"


# --------------------------------------------------------------------------
# Files

MAX_INPUT_BYTES = 256 * 2**20  # one .txt/.html/.json/.csv, after decompression
MAX_LINE_BYTES = 32 * 2**20  # one JSON Lines line


def input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None] | Problem]:
    """Files to read, with their format (None when the name says no format),
    and Problems for paths that cannot be looked at.

    Folders are walked in sorted order and only files with a known extension
    (optionally ``.gz``) are taken from them; a file named explicitly is
    always returned so that an unknown kind is reported rather than ignored.
    A folder that cannot be listed is reported, never skipped in silence.
    """
    for path in map(Path, paths):
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except FileNotFoundError:
            yield Problem(path_text(path), "no such file or folder")
            continue
        except (OSError, ValueError) as e:
            yield Problem(path_text(path), f"cannot read: {_why_not(e)}")
            continue
        if is_dir:
            yield from _walk(path)
        else:
            yield path, file_kind(path)


def _walk(top: Path) -> Iterator[tuple[Path, str | None] | Problem]:
    errors: list[OSError] = []
    found: list[Path] = []
    for root, dirs, names in os.walk(top, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root, name) for name in names if not name.startswith(".") and file_kind(Path(name)))
    for error in errors:
        yield Problem(path_text(error.filename or top), f"cannot list folder: {_why_not(error)}")
    for child in sorted(found):
        yield child, file_kind(child)


def path_text(path) -> str:
    """A path as text SQLite can store: bytes of a name that are not UTF-8 as ``\\xe9``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _why_not(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def file_kind(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


class _Progress(io.RawIOBase):
    """Counts bytes read from the file on disk, so a progress bar can follow a gzip stream."""

    def __init__(self, raw: io.BufferedIOBase, callback: Callable[[int], None] | None):
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
def _open_bytes(path: Path, progress: Callable[[int], None] | None) -> Iterator[io.BufferedIOBase]:
    """The file's bytes, gunzipped when its name ends in .gz; closes the file itself too.

    Opened without blocking and checked to be a regular file, so a FIFO or a
    device (``/dev/zero``) is an :class:`InputError` rather than a hang."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"not a regular file ({_special_kind(mode)}); not read")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as raw:
        handle = io.BufferedReader(_Progress(raw, progress), 1 << 20)
        yield gzip.GzipFile(fileobj=handle) if path.suffix.lower() == ".gz" else handle


def _special_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a plain file"


def _mb(n: int) -> str:
    return f"{n / 2**20:g} MB"


def _read_all(handle: io.BufferedIOBase, cap: int) -> tuple[bytearray, bool]:
    """Up to ``cap`` bytes (an InputError beyond), and whether a gzip stream ended early.

    Grown in place, so the peak is the data once, not once more for a join."""
    data = bytearray()
    try:
        # read1: one decompression step at a time, so a cut stream keeps what came before the cut
        while chunk := handle.read1(min(1 << 20, cap + 1 - len(data))):
            data += chunk
            if len(data) > cap:
                raise InputError(f"larger than the cap of {_mb(cap)} per input (max_input_bytes); not read")
    except (EOFError, zlib.error):
        return data, True
    return data, False


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _bom_encoding(head: bytes | bytearray) -> str | None:
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def _decode_line(line: bytes | bytearray) -> tuple[str, bool]:
    """One line as UTF-8, or as cp1252 (latin-1 for its five unused bytes) when it is not; the flag says which."""
    try:
        return line.decode("utf-8"), False
    except UnicodeDecodeError:
        try:
            return line.decode("cp1252"), True
        except UnicodeDecodeError:
            return line.decode("latin-1"), True


def _decode(data: bytes | bytearray) -> tuple[str, list[int]]:
    """The text of a whole file, and the lines that were not UTF-8.

    A byte-order mark says UTF-16 or UTF-32; otherwise each line is UTF-8
    or, on its own, cp1252, so one latin-1 paragraph does not garble the rest."""
    encoding = _bom_encoding(data[:4])
    if encoding:
        try:
            content = data.decode(encoding)
        except UnicodeDecodeError as e:
            raise InputError(f"not valid {encoding.upper()} despite its byte-order mark: {e.reason}") from e
        if not content.strip():
            raise InputError("empty file")
        return content, []
    if not data.strip():
        raise InputError("empty file")
    head = data[:8192]
    # A stray NUL in one record is that record's text; a file of them is not text at all.
    if head.count(b"\x00") > max(8, len(head) // 100):
        raise InputError("binary file (contains NUL bytes)")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > len(head) * 0.05:
        raise InputError("binary file (mostly control bytes)")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    fallback: list[int] = []
    for line in data.split(b"\n"):  # not enumerate: mypy would join bytes and bytearray to Sequence[int]
        text, other = _decode_line(line)
        lines.append(text)
        if other:
            fallback.append(len(lines))
    return "\n".join(lines), fallback


def _fallback_note(source: str, lines: list[int]) -> Problem:
    shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
    return Problem(source, f"{textmod.counted(len(lines), 'line')} not UTF-8, read as cp1252 (line {shown})",
                   lines[0], skipped=False)


class Unmade(NamedTuple):
    """A record of a JSON, JSON Lines or CSV input as read, before it is made (decoded, cleaned,
    checked): what it becomes depends on it alone, so the build makes many at once in worker
    processes (store.load). ``made()`` gives the records and Problems it yields, in order."""

    make: Callable[..., list[Record | Problem]]  # a module-level function, so it pickles
    args: tuple

    def made(self) -> list[Record | Problem]:
        return self.make(*self.args)


def read_file(path: Path, kind: str | None, *, mapping: dict[str, str] | None = None,
              progress: Callable[[int], None] | None = None, max_input_bytes: int = MAX_INPUT_BYTES,
              max_line_bytes: int = MAX_LINE_BYTES, unmade: bool = False) -> Iterator[Record | Problem | Unmade]:
    """Records (or Problems) from one file; with ``unmade``, each record of a JSON, JSON Lines or
    CSV input comes as an :class:`Unmade` for the caller to make, in any process.

    A whole-file format (.txt, .html, .json, .csv) is read up to
    ``max_input_bytes`` after decompression, a JSON Lines file up to
    ``max_line_bytes`` per line, so a gzip bomb or a huge file costs a
    message, not the memory of the machine.
    """
    for item in _read(path, kind, mapping, progress, max_input_bytes, max_line_bytes):
        if isinstance(item, Unmade) and not unmade:
            yield from item.made()
        else:
            yield item


def _read(path: Path, kind: str | None, mapping: dict[str, str] | None, progress: Callable[[int], None] | None,
          max_input_bytes: int, max_line_bytes: int) -> Iterator[Record | Problem | Unmade]:
    source = path_text(path)
    try:
        with _open_bytes(path, progress) as handle:
            if kind is None:
                raise InputError(f"unsupported file type (expected one of {', '.join(sorted(EXTENSIONS))}, "
                                 "optionally .gz)")
            if kind == "jsonl":
                yield from _read_jsonl(handle, source, mapping, max_line_bytes)
                return
            data, truncated = _read_all(handle, max_input_bytes)
        if truncated:
            complete = data[:data.rfind(b"\n") + 1]
            yield Problem(source, "gzip stream ends early: the file is truncated here", complete.count(b"\n") + 1)
            if kind not in ("csv", "json"):
                return  # a page cut anywhere is not the page
            data = complete if kind == "csv" else data
            if not data.strip():
                return
        content, fallback = _decode(data)
        if fallback:
            yield _fallback_note(source, fallback)
        if kind == "txt":
            text = repair_text(content)
            page = clean_page(text)
            if not page["body"]:
                raise InputError("no article text found")
            yield page_record(page, source=source, raw=content, repaired=text != content)
        elif kind == "html":
            yield _read_html(content, source)
        elif kind == "json":
            yield from _read_json(content, source, mapping)
        elif kind == "csv":
            yield from _read_csv(content, source, mapping)
    except InputError as e:
        yield Problem(source, str(e), e.line)
    except FileNotFoundError:
        yield Problem(source, "no such file or folder")
    except (OSError, EOFError, ValueError, zlib.error) as e:
        yield Problem(source, f"cannot read: {_why_not(e)}")


def _lines_of(handle: io.BufferedIOBase, source: str, cap: int) -> Iterator[tuple[int, str, bool] | Problem]:
    """(number, text, not-UTF-8) of each line, decoded on its own; a line past
    ``cap`` bytes is skipped without holding it in memory."""
    encoding = _bom_encoding(handle.peek(4)[:4]) if hasattr(handle, "peek") else None
    # text lines with a byte-order mark, else bytes: ``line`` and ``newline`` are str or bytes together
    stream: Any = io.TextIOWrapper(cast(IO[bytes], handle), encoding=encoding, newline="") if encoding else handle
    newline: Any = "\n" if encoding else b"\n"
    number = 0
    while True:
        try:
            line = stream.readline(cap + 1)
            number += 1
            if not line:
                return
            if len(line) > cap and not line.endswith(newline):
                while (rest := stream.readline(1 << 20)) and not rest.endswith(newline):
                    pass
                yield Problem(source, f"line longer than the cap of {_mb(cap)} (max_line_bytes); skipped", number)
                continue
        except (EOFError, zlib.error, OSError) as e:
            reason = "gzip stream ends early: the file is truncated here" if isinstance(e, EOFError) else (
                f"cannot read on from here: {_why_not(e)}")
            yield Problem(source, reason, number + 1)
            return
        except UnicodeDecodeError as e:
            yield Problem(source, f"not valid {(encoding or '').upper()} despite its byte-order mark: {e.reason}; "
                          "the rest of the file is not read", number + 1)
            return
        if encoding:
            yield number, line, False
        else:
            text, other = _decode_line(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line)
            yield number, text, other


def _read_jsonl(handle: io.BufferedIOBase, source: str, mapping,
                cap: int = MAX_LINE_BYTES) -> Iterator[Problem | Unmade]:
    seen_any = False
    for item in _lines_of(handle, source, cap):
        if isinstance(item, Problem):
            seen_any = True
            yield item
            continue
        number, text, other = item
        if not text.strip():
            continue
        seen_any = True
        if other:
            yield Problem(source, "not UTF-8, read as cp1252", number, skipped=False)
        yield Unmade(_jsonl_record, (text, source, mapping, number))
    if not seen_any:
        yield Problem(source, "empty file")


def _jsonl_record(text: str, source: str, mapping, number: int) -> list[Record | Problem]:
    """One JSON Lines line, decoded and made (see :class:`Unmade`)."""
    repeated: list[str] = []
    try:
        value = _decoder(repeated).decode(text)
    except RecursionError:
        return [Problem(source, _TOO_DEEP, number)]
    except ValueError as e:  # JSONDecodeError, or a number Python cannot hold
        return [Problem(source, f"malformed JSON: {e}", number)]
    return [*_repeated_note(repeated, source, number), _structured(value, source, text.strip(), mapping, number)]


_TOO_DEEP = "JSON nested deeper than the parser allows"


def _decoder(repeated: list[str]) -> json.JSONDecoder:
    """A JSON decoder that loses nothing silently: a key repeated in one
    object is kept as ``key_2`` (and listed in ``repeated``), and an integer
    too long for Python's int() is kept as its text."""

    def pairs(items):
        out = {}
        for key, value in items:
            name, n = key, 1
            while name in out:
                n += 1
                name = f"{key}_{n}"
            if name != key:
                repeated.append(f"{key!r} as {name!r}")
            out[name] = value
        return out

    return json.JSONDecoder(object_pairs_hook=pairs, parse_int=_parse_int)


def _parse_int(text: str):
    return int(text) if len(text) <= 4000 else text


def _repeated_note(repeated: list[str], source: str, line: int | None) -> Iterator[Problem]:
    if repeated:
        yield Problem(source, f"field names repeated in one record, kept as distinct fields: {', '.join(repeated)}",
                      line, skipped=False)
        repeated.clear()
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_PLAIN = re.compile(r'[^"\[\]{}]+')
_JSON_PLAIN_TOP = re.compile(r'[^"\[\]{},]+')


def _end_of(pattern: re.Pattern[str], content: str, pos: int) -> int:
    """Where ``pattern`` ends, matched at ``pos``; every caller's pattern matches there (``*``,
    or a character the caller has just seen is one of its)."""
    found = pattern.match(content, pos)
    assert found is not None, "the pattern matches at pos by construction"
    return found.end()
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_WRAPPER = re.compile(r'[ \t\n\r]*\{[ \t\n\r]*"(?:[^"\\]|\\.)*"[ \t\n\r]*:[ \t\n\r]*\[')


def _read_json(content: str, source: str, mapping) -> Iterator[Problem | Unmade]:
    """An array of records (read one by one, so a bad or cut-off record costs
    itself only), one object holding such an array, one record, or JSON Lines."""
    content = content.removeprefix("\ufeff")
    start = _end_of(_JSON_SPACE, content, 0)
    if content.startswith("[", start):
        yield from _json_array(content, start + 1, source, mapping)
        return
    repeated: list[str] = []
    try:
        value = _decoder(repeated).decode(content)
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
    except json.JSONDecodeError as e:
        # Many ".json" exports are really JSON Lines.
        lines = [line for line in content.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].lstrip().startswith("{") and not _WRAPPER.match(content):
            yield from _read_jsonl(io.BytesIO(content.encode("utf-8")), source, mapping)
            return
        wrapper = _WRAPPER.match(content)
        if wrapper:
            yield from _json_array(content, wrapper.end(), source, mapping)
            return
        raise InputError(f"malformed JSON: {e}", e.lineno) from e
    if isinstance(value, dict) and not any(k in value for k in ("body", (mapping or {}).get("body"))):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1:
            value = lists[0]  # {"articles": [...]}
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError("empty JSON array")
    yield from _repeated_note(repeated, source, None)
    for number, item in enumerate(items, 1):
        try:
            raw = json.dumps(item, ensure_ascii=False)
        except (RecursionError, ValueError):
            yield Problem(source, _TOO_DEEP, number)
            continue
        yield Unmade(_record, (item, source, raw, mapping, number))


def _json_array(content: str, pos: int, source: str, mapping) -> Iterator[Problem | Unmade]:
    """The items of the JSON array whose ``[`` ends before ``pos``, each with its line."""
    lines = _LineCounter(content)
    repeated: list[str] = []
    decoder = _decoder(repeated)
    count = 0
    pos = _end_of(_JSON_SPACE, content, pos)
    if content.startswith("]", pos):
        raise InputError("empty JSON array")
    while True:
        start = pos
        try:
            value, pos = decoder.raw_decode(content, pos)
        except (ValueError, RecursionError) as e:
            end = _skip_json_value(content, start)
            if end is None:
                yield Problem(source, f"JSON cut off here, inside record {count + 1}; "
                              f"the {textmod.counted(count, 'record')} before it were read", lines.at(start))
                return
            reason = _TOO_DEEP if isinstance(e, RecursionError) else f"malformed JSON: {getattr(e, 'msg', e)}"
            yield Problem(source, reason, lines.at(start))
            pos = end
        else:
            yield from _repeated_note(repeated, source, lines.at(start))
            yield Unmade(_record, (value, source, content[start:pos], mapping, lines.at(start)))
        count += 1
        pos = _end_of(_JSON_SPACE, content, pos)
        if pos >= len(content):
            yield Problem(source, f"JSON cut off here, after record {count}; the records before it were read",
                          lines.at(pos))
            return
        if content[pos] == "]":
            if content[pos + 1:].strip():
                yield Problem(source, "text after the end of the JSON array; not read", lines.at(pos + 1))
            return
        if content[pos] != ",":
            yield Problem(source, f"malformed JSON: expected ',' or ']' after record {count}; "
                          "the rest of the file is not read", lines.at(pos))
            return
        pos = _end_of(_JSON_SPACE, content, pos + 1)


class _LineCounter:
    """Line numbers of increasing offsets into one text, counted once overall."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = max(self.pos, pos)
        return self.line


def _skip_json_value(content: str, pos: int) -> int | None:
    """Where the (malformed or too deeply nested) value at ``pos`` ends,
    matching brackets outside strings; None when the text ends first."""
    depth = 0
    n = len(content)
    while pos < n:
        c = content[pos]
        if c == '"':
            found = _JSON_STRING.match(content, pos)
            if not found:
                return None
            pos = found.end()
        elif c in "[{":
            depth += 1
            pos += 1
        elif c in "]}":
            if depth == 0:
                return pos
            depth -= 1
            pos += 1
        elif depth == 0 and c == ",":
            return pos
        else:
            pos = _end_of(_JSON_PLAIN if depth else _JSON_PLAIN_TOP, content, pos)
            continue
        if depth == 0:
            return pos
    return None


def _csv_rows(lines: list[str], width: int, first: int) -> Iterator[tuple[int, list[str] | str]]:
    """(line, fields or an error) of each row from ``lines[first:]``.

    A bad row that spans several lines (an unclosed quote reads on until
    the next quote) is reported at its first line and the text is read again
    from the line after it, so one stray quote costs one row, not the rest."""
    while first < len(lines):
        reader = csv.reader((lines[i] for i in range(first, len(lines))), strict=True)
        while True:
            start = first + reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield start, f"malformed CSV: {e}"
                error = True
            else:
                error = len(row) > width or (len(row) != width and first + reader.line_num > start)
                if error:
                    yield start, f"{len(row)} values, but the header has {width} columns"
                elif row:
                    yield start, row
            if error and first + reader.line_num > start:
                first = start  # index of the line after this row's first line
                break


def _read_csv(content: str, source: str, mapping) -> Iterator[Problem | Unmade]:
    maximize_csv_field_size_limit()  # sys.maxsize overflows where a C long is 32 bits
    lines = list(io.StringIO(content, newline=""))
    header_at = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    try:
        header = next(csv.reader([lines[header_at]], strict=True)) if header_at < len(lines) else []
    except csv.Error:
        header = []
    body = (mapping or {}).get("body", "body")
    if not header or (len(header) < 2 and header != [body]):
        raise InputError("not a CSV file with a header row", header_at + 1)
    names = _header_names(header)
    if names != header:
        renamed = [f"{old!r} as {new!r}" for old, new in zip(header, names, strict=True) if old != new]
        yield Problem(source, f"header names repeated or empty, kept as distinct fields: {', '.join(renamed)}",
                      header_at + 1, skipped=False)
    if body not in names:
        raise InputError(f"the header has no {body!r} column", header_at + 1)
    rows = 0
    for number, row in _csv_rows(lines, len(names), header_at + 1):
        rows += 1
        if isinstance(row, str):
            yield Problem(source, row, number)
            continue
        clean = dict(zip(names, row, strict=False))  # a short row leaves the last fields out
        yield Unmade(_record, (clean, source, json.dumps(clean, ensure_ascii=False), mapping, number))
    if rows == 0:
        raise InputError("CSV has a header but no rows")


def _header_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for i, name in enumerate(header, 1):
        candidate = name or f"column_{i}"
        n = 1
        while candidate in names:
            n += 1
            candidate = f"{name or f'column_{i}'}_{n}"
        names.append(candidate)
    return names


def _record(value, source, raw, mapping, number) -> list[Record | Problem]:
    """A decoded JSON or CSV record, made (see :class:`Unmade`)."""
    return [_structured(value, source, raw, mapping, number)]


def _structured(value, source, raw, mapping, number) -> Record | Problem:
    if not isinstance(value, dict):
        return Problem(source, f"expected a JSON object, got {type(value).__name__}", number)
    try:
        return make_record(value, source=source, raw=raw, mapping=mapping, line=number)
    except RecordError as e:
        return Problem(source, str(e), number)
    except RecursionError:
        return Problem(source, _TOO_DEEP, number)
    except ValueError as e:  # one record's unforeseen failure costs that record, in whichever process made it
        return Problem(source, f"cannot read: {_why_not(e)}", number)


_URL_SITENAME = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)", re.I)


def _stated_sitename(sitename, url: str | None) -> str | None:
    """trafilatura's site name, unless it is its fallback, the URL's host (``edition.cnn.com``):
    that is not a name the page states, and :func:`finish` makes the registrable domain of it."""
    sitename = _text_or_none(sitename)
    host = _URL_SITENAME.match(url or "")
    return None if sitename and host and sitename.lower() == host.group(1).lower() else sitename


def _read_html(content: str, source: str) -> Record:
    import trafilatura

    text = repair_text(content)
    try:
        document = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as e:  # the extractor's failure on one hostile page costs that page only
        raise InputError(f"cannot parse HTML: {type(e).__name__}: {e}") from e
    if document is None:
        raise InputError("no article text found in HTML")
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    page = clean_page(found.get("text") or "", known_title=_text_or_none(found.get("title")))
    if not page["body"]:
        raise InputError("no article text found in HTML")
    page["author"] = _text_or_none(found.get("author")) or page["author"]
    page["url"] = _text_or_none(found.get("url"))
    page["outlet"] = _stated_sitename(found.get("sitename"), page["url"]) or page["outlet"]
    stated = parse_date(found.get("date"))
    if stated:
        page["published"], page["published_from"] = stated, "input"  # the page's metadata (htmldate)
    return page_record(page, source=source, raw=content, repaired=text != content)
