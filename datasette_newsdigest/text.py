"""Sentence splitting, word tokenizing and stemming that work offline.

sumy's default ``Tokenizer("english")`` loads NLTK's punkt data at run time,
which is not available here. :class:`NewsTokenizer` implements the same
interface (``language``, ``to_sentences``, ``to_words``) on top of nupunkt,
which ships its model inside the wheel, plus a list of abbreviations common
in news copy. Every module (ingest, events, digest) splits text through this
one object so that sentence positions agree everywhere.

nupunkt's model, sumy's stemmer (which imports NLTK: about 1.6 s) and its stop
words are loaded on first use, so importing this module (and the command line,
which imports it) costs next to nothing.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "DATELINE_RE", "LANGUAGE", "NEWS_ABBREVIATIONS", "NewsTokenizer", "TOKENIZER", "content_terms", "count_words",
    "counted", "label", "normalize", "paragraphs", "split_sentences", "stem", "stemmer", "stop_words",
    "strip_dateline", "strip_link_cards", "words",
]

LANGUAGE = "english"

# Titles, ranks, months, states and corporate suffixes that nupunkt's default
# model does not always know; each is written without its final period.
NEWS_ABBREVIATIONS = """
mr mrs ms dr prof rev sen rep gov lt col gen maj capt cmdr adm sgt cpl pvt
det insp supt atty amb pres sec asst dep hon sr jr st ft mt no nos vol
jan feb mar apr jun jul aug sep sept oct nov dec
ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn
miss mo mont neb nev okla ore pa tenn tex va vt wash wis wyo
inc corp co ltd bros dept est approx etc vs
u.s u.k u.n e.u d.c a.m p.m
""".split()

# Runs of letters and digits joined by single inner marks: the tokens of "a letter or digit, then letters, digits
# or marks each followed by one", matched run by run rather than character by character (a third less time).
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*")
# A letter or digit that no word of _WORD_RE runs through: one not after another, nor after an inner mark after one.
_WORD_START = re.compile(r"(?<![^\W_])(?<![^\W_]['’\-.])[^\W_]")
# The marks nupunkt may end a sentence at (its _SENT_END_CHARS).
_END_CHAR = re.compile("[.!?\u2026]")
_POSSESSIVE_RE = re.compile(r"'s$")
_INITIALS_END = re.compile(r"(?:^|\s)(?:[A-Z]\.){1,3}$")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


@lru_cache(maxsize=1)
def _splitter():
    import nupunkt

    model = nupunkt.load_default_model()
    model.add_abbreviations(NEWS_ABBREVIATIONS)
    return model


# White space but " " and "\n" (every str.isspace character), and the zero-width space _SPACE_RE also takes:
# a text without them, runs of spaces and spaces at a line's ends is one normalize leaves as it is.
_ODD_SPACE = re.compile("[\t\x0b\x0c\r\x1c-\x1f\x85\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000]")


def normalize(text: str) -> str:
    """NFC-normalize and collapse runs of horizontal white space.

    Bodies are normalized when read and again by each reader of their paragraphs (sentences,
    quotes): a text that is normalized already is returned as it is, after a few C-speed scans."""
    if (unicodedata.is_normalized("NFC", text) and not _ODD_SPACE.search(text) and "  " not in text
            and " \n" not in text and "\n " not in text and text[:1] != " " and text[-1:] != " "):
        return text
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.strip() for line in _SPACE_RE.sub(" ", text).split("\n"))


def paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; lines inside one are joined."""
    out = []
    for block in _PARAGRAPH_RE.split(normalize(text or "")):
        joined = " ".join(line for line in block.split("\n") if line)
        if joined:
            out.append(joined)
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; a sentence never spans paragraphs."""
    splitter = _splitter()
    out = []
    for paragraph in paragraphs(text):
        if not _END_CHAR.search(paragraph, 0, len(paragraph) - 1):
            out.append(paragraph)  # no end mark but its last: nupunkt finds no candidate, one sentence
            continue
        pieces: list[str] = []  # of the sentence being built, joined once at its end
        for sentence in splitter.tokenize(paragraph):
            sentence = sentence.strip()
            if not sentence:
                continue
            if pieces and _ends_with_initials(pieces[-1]) and sentence[0].islower():
                pieces.append(sentence)  # "F.W. de Klerk": initials, not an ending
            else:
                if pieces:
                    out.append(" ".join(pieces))
                pieces = [sentence]
        if pieces:
            out.append(" ".join(pieces))
    return out


def _ends_with_initials(piece: str) -> bool:
    """Only the last 7 characters can hold the match (a space and three
    initials), so a run of merged initials costs linear time, not quadratic;
    ``^`` still means the real start, and a piece always follows a space."""
    return bool(_INITIALS_END.search(piece, max(0, len(piece) - 7)))


def words(text: str) -> list[str]:
    """Word tokens: letters and digits, keeping inner apostrophes, hyphens and
    dots (``don't``, ``al-Sudani``, ``U.S``, ``2.6``). Typographic apostrophes
    become plain ones, so ``don’t`` meets the stop-word list as ``don't``."""
    text = text or ""
    return _WORD_RE.findall(text.replace("’", "'") if "’" in text else text)


def count_words(text: str) -> int:
    """``len(words(text))``, counted by where words start, without making them."""
    return len(_WORD_START.findall(text or ""))


def has_words(text: str, n: int) -> bool:
    """``count_words(text) >= n``, reading no further than the n-th word's start."""
    return sum(1 for _ in itertools.islice(_WORD_START.finditer(text or ""), n)) == n


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words(LANGUAGE))


@lru_cache(maxsize=1)
def stemmer() -> Callable[[str], str]:
    """sumy's Snowball stemmer for LANGUAGE, one per process (also handed to sumy's methods)."""
    from sumy.nlp.stemmers import Stemmer

    return Stemmer(LANGUAGE)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of the lower-cased word (pure code, no NLTK data).

    Possessives lose their ``'s``; tokens with inner dots or digits
    (``u.s``, ``2.6``) are kept whole, since stemming them only mangles them."""
    word = _POSSESSIVE_RE.sub("", word.lower())
    return stemmer()(word) if word.isalpha() else word


def content_terms(text: str) -> list[str]:
    """Stemmed, lower-cased words that are not stop words or pure numbers:
    the unit events compare articles by (digest.py encodes words in bulk itself)."""
    return [t for t in map(_content_term, words(text)) if t is not None]


@lru_cache(maxsize=500_000)
def _content_term(word: str) -> str | None:
    """The stem :func:`content_terms` keeps for one word token, or None: a word recurs across
    articles, and the per-word test and stemming were most of the cost of event features."""
    lw = word.lower()
    if lw in stop_words() or not any(c.isalpha() for c in lw):
        return None
    return stem(lw)


class NewsTokenizer:
    """A sumy-compatible tokenizer (``to_sentences``/``to_words``) with no NLTK data."""

    language = LANGUAGE

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        # sumy expects words that start with a letter, as its own tokenizer yields.
        return tuple(w for w in words(sentence) if w[0].isalpha())


TOKENIZER = NewsTokenizer()


def counted(n: int, noun: str) -> str:
    """``1 article``, ``2 articles``: the messages count many things, and "1 articles" reads badly."""
    return f"{n:,} {noun}{'s' * (n != 1)}"


# The dateline a wire story opens with: "WASHINGTON (AP) —", "NAIROBI, Kenya (AP) _", "ST. LOUIS, Mo. --",
# or the agency alone: "(Reuters) -"; an em or en dash may touch the sentence ("WASHINGTON—President ...", rule 26),
# a hyphen may not ("ANTI-Trump groups ...": a hyphenated word). The place before an agency takes its words'
# letters possessively (*+): what may follow a word (a space, a comma, the parenthesis) is never one of them,
# so giving letters back cannot make a match, and trying cost every capitalized opening a step per letter.
DATELINE_RE = re.compile(
    r"""^(?:(?=[A-Z.'’\-/\s]*[A-Z]{3})                           # a place name, not "U.S."
         [A-Z][A-Z.'’\-/]*(?:\s+[A-Z][A-Z.'’\-/]*){0,3}        # WASHINGTON, NEW YORK, ST. LOUIS, BEIJING/SEOUL
         (?:,\s+[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,2})?  # , Calif. / , China
         \s*(?:\((?:[A-Za-z&\- ]{1,25})\))?\s*                 # (AP) (Reuters) (CNN)
         (?:(?:--|[\-—–_:])\s+|(?:--|[—–])(?=[A-Z][a-z]))     # "WASHINGTON—President": a dash but no hyphen
        |(?:[A-Z][\w.'’\-]*+(?:\s+[A-Z][\w.'’\-]*+){0,3}       # or any place (Washington, New York), or none,
            (?:,\s+[A-Z][A-Za-z.]*+)?\s*)?
         \([A-Z][A-Za-z&\- ]{1,24}\)\s*                         # before the agency: (CNN), (Reuters)
         (?:(?:--|[\-—–_:])\s+|(?=[A-Z])))                      # with a dash or not: "(CNN) There were"
    """,
    re.X,
)


def _dateline_end(sentence: str, min_words: int) -> int:
    """Where the dateline ``sentence`` opens with ends (0: none). A real dateline is followed by a
    sentence (``min_words`` words, capitalized); "U.S. - " style false hits leave a fragment."""
    match = DATELINE_RE.match(sentence)
    if not match:
        return 0
    rest = sentence[match.end():]
    return match.end() if len(words(rest)) >= min_words and rest[:1].isupper() else 0


def strip_dateline(sentence: str, min_words: int = 3) -> str:
    """``sentence`` less the dateline it opens with, if any (digests and labels both drop it)."""
    return sentence[_dateline_end(sentence, min_words):]


LABEL_CHARS = 120  # of a first sentence standing in for a missing title


def label(title: str | None, first_sentence: str | None, chars: int = LABEL_CHARS) -> str | None:
    """What to call an article, or an event by one of its articles: the title, else the first
    sentence cut at a word boundary to about ``chars``; either less a dateline, and None when
    there is neither. A hash id is never a name a reader can use.

    A headline's "NASA: ..." is a kicker that says who claims it, not a dateline, so a title keeps
    an opening that ends in a colon."""
    title = " ".join((title or "").split())
    if title:
        end = _dateline_end(title, 3)
        return title if title[:end].rstrip().endswith(":") else title[end:]
    first = strip_dateline(" ".join((first_sentence or "").split()))
    if not first:
        return None
    return first if len(first) <= chars else first[:chars].rsplit(" ", 1)[0] + "…"


# --- Furniture: page parts that are not the story (issue 15; rules in bench/README.md) ----------
# Each predicate reads one line or sentence and describes a shape, not one site's strings: where a
# shape is a label ("Story highlights", "Related"), the label words are the list.

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# A closing parenthesis naming a source: "(REUTERS/Jane Doe)", "(Getty Images)", "(AP Photo)".
_CREDIT_WORD = re.compile(r"\b(?:via|getty|photo|photograph|images?|credit|shutterstock|pool|file)\b", re.I)
_CAPTION_PREFIX = re.compile(r"^(?:(?:photo|photograph|image|picture|caption|credit|file photo)\s*(?:credit)?\s*[:|]"
                             r"|(?:image|media|photo) (?:copyright|caption|credit)\b|enlarge this image\b|"
                             r"(?:toggle|hide) caption\b)", re.I)
# A caption says what the picture shows: "... is pictured in this December 11, 2013 handout photo."
_PICTURED = re.compile(r"\b(?:is|are) pictured\b|\bin this (?:[\w,.'’-]+\s+){0,6}?(?:file |handout )?photo\b", re.I)


def _pictured(line: str) -> bool:
    return ("hoto" in line or "pictured" in line) and bool(_PICTURED.search(line))
# A credit fused to the caption it opens: "Carlos Barria / Reuters Pastor ...", "Reuters/ Getty Images,"; a
# slash with a space on at least one side, between capitalized names (so "Biden/Harris" is not one).
_OPENING_CREDIT = re.compile(r"^[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:\s+/\s*|/\s+)[A-Z]")
# ... or closing it, wire style: "... on May 1, 2019. REUTERS/Jim Bourg".
_CLOSING_CREDIT = re.compile(r"\b[A-Z]{2,}(?:\s+PHOTO)?\s*/\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s*$")
# Rule 33: ... or, after the last sentence's end and with no parenthesis or final period, names holding a slash
# or ending "via" an agency: "... candidacy. Eduardo Munoz/Reuters", "... said. Scott Bandle/Suburban
# Journals/St. Louis Post-Dispatch via AP" ("Biden/Harris" inside a sentence is no credit).
_BARE_CREDIT = re.compile(
    r"[.!?][\"'”’]?\s+(?:[A-Z][\w.'’&-]*\s+){0,4}?(?:[A-Z][\w.'’&-]*\s*/\s*[A-Z][\w.'’&-]*(?:[ /]+[A-Z][\w.'’&-]*){0,6}"
    r"(?:,?\s+via\s+[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*)?)?|[A-Z][\w.'’&-]*\s+via\s+[A-Z]{2,})\s*$")
# Rule 39: ... or names "for" an outlet, or a credit label and names, then perhaps a link of a few words:
# "... services. John Francis Peters for The Wall Street Journal More photos and interactive graphics".
_CAP_RUN = r"[A-Z][\w.'’&-]*(?:\s+(?:[A-Z][\w.'’&/-]*|of|de|the))*?"
_NAMED_CREDIT = re.compile(
    rf"[.!?][\"'”’]?\s+(?:(?:[A-Z][\w.'’-]*\s+){{1,4}}for\s+(?:[Tt]he\s+)?{_CAP_RUN}"
    rf"|(?:Photo(?:graph)?|Image|Credit|Photo\s+credit|Video|Source)\s*:\s*{_CAP_RUN})"
    r"(?:\s+[A-Z][a-z]+(?:\s+[a-z]+){0,5})?\s*$")
_NAMED_REACH = 140
# Characters from the end that can hold a closing credit or a caption's date: each line is read in linear time.
_CREDIT_REACH, _DATE_REACH = 80, 48
# A caption's date: after a comma, the full date ends the sentence ("..., September 27, 2018.").
_CAPTION_DATE = re.compile(rf",\s+(?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},\s+"
                           r"(?:19|20)\d\d\.?$")
_BOX_LABEL = re.compile(r"^(?:story highlights|highlights|key points|key takeaways|what you need to know|"
                        r"at a glance|in brief|tl;\s?dr|how we did this|why it matters|the big picture|go deeper|"
                        r"by the numbers|driving the news|the bottom line|what's next|what’s next|what we know|"
                        r"what we don['’]t know)"
                        r"\s*[:\-–—|]?\s+[\"'‘“]?(?-i:[A-Z0-9])", re.I)
_LINK_OPENING = re.compile(
    r"^[\W_]*(?:(?:read more|click here|see also|also read|read also|related (?:coverage|stories|articles|links))\b"
    r"|(?:read|more|watch|listen|related|video|photos?)\s*[:|»>]"
    r"|related\s+[\"'‘“]?(?-i:[A-Z0-9])"
    r"|(?:further|more|recommended|suggested)\s+reading\s*[:|»>]"  # rule 28
    r"|(?:today|tonight|this\s+week|coming\s+up|on\s+the\s+agenda)\s*:\s+[\"'‘“]?(?-i:[A-Z0-9]))", re.I)  # rule 31
_LINK_CLOSING = re.compile(r"\bread more\W*$", re.I)
_LINK_REACH = 40  # characters from the end that can hold "Read more"
# A label in capitals fused to the text it opens: "JUST WATCHED What do ...", "SHARE YOUR THOUGHTS Have you ..."
# (two or more words, one of five letters or more, so "NBA MVP LeBron James" is a sentence); with a colon,
# on a line that is no sentence: "STORY: Boy Scouts vote ...", "SLIDESHOW: ... >>>" (so a dateline
# "WASHINGTON: The Senate voted." is not one).
_CAPS_LABEL = re.compile(r"^[\W_]*(?=[A-Z\s'’]*[A-Z]{5})[A-Z][A-Z'’]+(?:\s+[A-Z][A-Z'’]+)+\s+[A-Z][a-z]")
_CAPS_COLON = re.compile(r"^[\W_]*[A-Z][A-Z'’]+(?:\s+[A-Z][A-Z'’]+)?\s*:\s")
# A speaker's label, accented capitals too: "JUAN GONZÁLEZ: ..."
_SPEAKER_LABEL = re.compile(r"^[\W_]*[A-Z][A-ZÀ-ÖØ-Þ'’]+(?:\s+[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’]+)?\s*:\s")
_FUSED_LABEL = re.compile(r"^[A-Z][\w'’]*(?:\s+[\w'’]+){0,3}:[A-Z]")  # "Report:Read ...", not "10:30" or "http:"
_TITLE_WORD = r"(?:[A-Z0-9][\w'’.&-]*|of|the|and|a|an|in|on|for|to|at|by)"
_DASH_TEASER = re.compile(rf"^[A-Z][\w'’.&-]*(?:\s+{_TITLE_WORD}){{0,5}}\s+[-–—|]\s+[\"'‘“]?[A-Z]")
_END_REACH = 24  # characters from the end that can hold a sentence's last mark and closing quotes
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_QUESTION_END = re.compile(r"\?[)\]]*$")  # the question mark outside any closing quotation mark
_SMALL_WORDS = frozenset("a an and as at but by for from in into is of on or over the to up vs with".split())
_ASIDE = re.compile(r"^[(\[][^()\[\]]*[)\]][.]?$")  # a line that is all one parenthesis


def _either(*patterns: re.Pattern[str]) -> re.Pattern[str]:
    """One regex for several, each keeping its own case rule: a line is read once, not once per shape."""
    return re.compile("|".join(f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})" for p in patterns))


_CAPTION_START = _either(_CAPTION_PREFIX, _OPENING_CREDIT)
_CAPTION_END = _either(_CLOSING_CREDIT, _BARE_CREDIT, _CAPTION_DATE)
_LINK_START, _TEASER = _either(_BOX_LABEL, _LINK_OPENING, _CAPS_LABEL), _either(_FUSED_LABEL, _DASH_TEASER, _CAPS_COLON)
_FURNITURE_START = _either(_CAPTION_START, _LINK_START, _ASIDE)
_FURNITURE_END = _either(_CAPTION_END, _LINK_CLOSING)
_REACH = max(_CREDIT_REACH, _DATE_REACH, _LINK_REACH)
_CREDIT_END = _either(_CLOSING_CREDIT, _BARE_CREDIT)


def ends_like_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line, max(0, len(line) - _END_REACH)))


def has_credit(line: str) -> bool:
    """The line ends with "(...)" (then only white space), without nested parentheses, holding a
    slash or a credit word: "(REUTERS/Jane Doe)". Only the last parenthesis is tested, so a line
    reads in linear time (the one-regex form backtracked quadratically on "(a/ a/ a/ ...")."""
    line = line.rstrip()
    if not line.endswith(")"):
        return False
    opening = line.rfind("(", 0, -1)
    if opening < 0:
        return False
    inside = line[opening + 1:-1]
    return ")" not in inside and ("/" in inside or bool(_CREDIT_WORD.search(inside)))


_CREDIT_SMALL_WORDS = frozenset("via of and the de courtesy for by".split())


def ends_at_credit(line: str) -> bool:
    """The line's end is a picture's credit (rules 1 and 33): "... (FBI via AP)", "... REUTERS/Jim
    Bourg", "... candidacy. Eduardo Munoz/Reuters"; a paragraph ending so is a caption however long.
    The closing parenthesis must read as a credit, names and credit words: "(A new NBC/WSJ poll
    showed ...)" is an aside of the story."""
    if has_credit(line):
        inside = line.rstrip()[line.rstrip().rfind("(") + 1:-1].split()
        return len(inside) <= 12 and sum(1 for w in inside if w[:1].islower()
                                         and w.lower() not in _CREDIT_SMALL_WORDS) <= 1
    return bool(_may_end_in_furniture(line) and _CREDIT_END.search(line, max(0, len(line) - _REACH)))


def _ends_at_named_credit(line: str) -> bool:
    """Rule 39: the line ends, after a sentence and with no final period, at a credit naming names
    "for" an outlet or after a credit label ("... John Francis Peters for The Wall Street Journal",
    "... Photo: Shutterstock"), perhaps with a link after it. A caption's shape, not rule 33's: a long
    paragraph ending so is a photo essay's text ("Shawn Best, 38, Cook, ... Daniella Zalcman for TIME")."""
    if not line[-1:].isalpha():  # a credit or a link ends in a letter; most lines end in a sentence's mark
        return False
    tail = line[-_NAMED_REACH:]
    return ((" for " in tail or ": " in tail) and not ends_like_sentence(line)
            and bool(_NAMED_CREDIT.search(line, max(0, len(line) - _NAMED_REACH))))


def is_caption(line: str) -> bool:
    """A photo caption or credit (rules 1-2): a credit at either end or in a closing parenthesis,
    a caption label, or a sentence dated after a comma at its end, as captions are and news is not."""
    return bool(has_credit(line) or _CAPTION_START.match(line) or _pictured(line) or (_may_end_in_furniture(line)
                and _CAPTION_END.search(line, max(0, len(line) - _REACH))) or _ends_at_named_credit(line)
                or _place_dated_caption(line))


def is_headline(line: str) -> bool:
    """No sentence punctuation at its end and its words (but the small ones) capitalized: a
    headline or link title inside a body ("A Fine Line: Distinguishing Issue Ads From Advocacy")."""
    if ends_like_sentence(line):
        return False
    capitalized = [w[:1].isupper() for w in words(line) if w[0].isalpha() and w.lower() not in _SMALL_WORDS]
    return len(capitalized) >= 3 and sum(capitalized) >= 0.8 * len(capitalized)


_LOWER = re.compile(r"[^\W\d_A-Z]")  # a letter, not a capital (of ASCII's: capitals elsewhere are rare)
_UPPER = re.compile(r"[A-Z]")
_PROSE = re.compile(r"\b[a-z]{3,}\b(?:.*?\b[a-z]{3,}\b){2}", re.S)


def _may_end_in_furniture(line: str) -> bool:
    """Whether a closing credit, caption date or "Read more" can end ``line``: each needs a slash, a
    final digit or "more" near the end, which most lines lack (the regex is the costly test)."""
    tail = line[-_REACH:]
    return "/" in tail or line.rstrip(". ")[-1:].isdigit() or "more" in tail[-24:].lower() or " via " in tail


def is_shouted(line: str, min_words: int = 3) -> bool:
    """Three or more words with letters, nearly all of them capitals: a headline inside a body. An
    acronym-heavy sentence has lower-case words between its acronyms."""
    if _PROSE.search(line):  # three lower-case words: prose, found in its first few words
        return False
    lower, upper = len(_LOWER.findall(line)), len(_UPPER.findall(line))
    if lower + upper < 8 or sum(1 for w in line.split() if any(c.isalpha() for c in w)) < min_words:
        return False
    return upper >= 0.9 * (lower + upper)


def is_link_line(line: str) -> bool:
    """A summary box, a link or "Related" line, or a link teaser (rules 3-5)."""
    if _LINK_START.match(line) or _LINK_CLOSING.search(line, max(0, len(line) - _LINK_REACH)):
        return True
    return not ends_like_sentence(line) and bool(_TEASER.match(line))


def is_furniture(sentence: str, page_lines: bool = True) -> bool:
    """Rules 1-6 of bench/README.md "Furniture in digests": a caption, credit, summary box, link
    line, teaser, aside in parentheses, or headline, shouted or title-cased, wherever it appears;
    and, unless ``page_lines`` is false, a line of the page (rules 14-16, 19-23: :func:`is_page_line`)."""
    if (has_credit(sentence) or _FURNITURE_START.match(sentence) or is_shouted(sentence) or _pictured(sentence)
            or (page_lines and (is_page_line(sentence) or is_page_note(sentence)))
            or (_may_end_in_furniture(sentence) and _FURNITURE_END.search(sentence, max(0, len(sentence) - _REACH)))
            or _ends_at_named_credit(sentence) or is_titled_sentence(sentence) or _place_dated_caption(sentence)
            or (":" in sentence[:_LABEL_REACH] and _FUSED_TEASER.match(sentence))):
        return True
    return not ends_like_sentence(sentence) and bool(_TEASER.match(sentence) or is_headline(sentence))


def is_question(sentence: str) -> bool:
    """Ends in a question mark outside quotation marks: a teaser or a rhetorical question, which
    reports nothing; a quoted question ("Why now?" she asked.) reports what was said."""
    return bool(_QUESTION_END.search(sentence.rstrip()))


# A sentence opening with a pronoun or connective points at one the reader of a digest line does
# not have. "This week" and "That night" are times, not references.
_UNRESOLVED = re.compile(
    r"""^[\"'‘“(]?(?:
        (?:He|She|It|They|We|His|Her|Their|Its|Our|Him|Them|Such|Here|But|And|Or|Nor|So|Yet|Still|
           Also|However|Instead|Thus|Hence|Therefore|Moreover|Furthermore|Nevertheless|Nonetheless)\b(?!-)
        |(?:This|That|These|Those)\b(?!\s+(?:week|weekend|month|year|morning|afternoon|evening|night|
           summer|spring|fall|autumn|winter|season|time)\b)
        |(?:In\s+addition|As\s+a\s+result|The\s+latter|The\s+former|At\s+the\s+same\s+time)\b)""",
    re.X,
)


# ... or with a short opening phrase and then a pronoun: "Tonight, he's set to ...", "During his first term, she ...".
_UNRESOLVED_AFTER = re.compile(r"^[^,;:\"“”]{1,60},\s+(?:he|she|it|they|his|her|their|its)\b(?!-)")


def is_unresolved(sentence: str) -> bool:
    """Opens with an unresolved pronoun or connective ("He added...", "But...", "Here at the White
    House..."), or with a short phrase and then a pronoun ("Tonight, he's ..."): it does not read
    on its own (rule 11)."""
    return bool(_UNRESOLVED.match(sentence) or _UNRESOLVED_AFTER.match(sentence))


def is_transcript(sentence: str) -> bool:
    """A speaker's label in capitals, then what was said ("BARR: Well, I think ..."): a transcript
    line, which needs the exchange around it."""
    return bool(_SPEAKER_LABEL.match(sentence))


_BULLET = re.compile(r"^(?:(?:[•·*>]|--?|[–—])\s*\w|o\s+[A-Z]|[:;,.)\]|]|\d{1,3}[.)]\s+[A-Z]|[a-z]\s|"
                     r"[a-z][a-z'’]*\s+(?![A-Z]))")
# "o Third, ..." from a word processor's list, "), the chairman ..." and "12. She ..." cut off, "yo somebody was
# ..." (a post quoted as written; "de Blasio said" opens with a name)
_TITLE_END = re.compile(r"(?:^|[\s(-])(?:Sens?|Reps?|Gov|Govs|Lt|Gen|Mr|Mrs|Ms|Dr|Rev|Sgt|Col|Capt|Adm|Amb|Atty|Pres|"
                        r"Sec|Supt|Det|Insp|Prof|Gens|Drs|Messrs|Mssrs|Mmes)\.$")  # "and Reps." cut before a name


def is_fragment(sentence: str) -> bool:
    """Not a whole sentence of a story: no sentence punctuation at its end (a deck, heading or
    teaser, a lead-in ending in a colon, a cut line), an item of a bulleted list (rule 10), or a
    remnant of a sentence the splitter cut (rule 24)."""
    return (not ends_like_sentence(sentence) or bool(_BULLET.match(sentence)) or ends_at_title(sentence)
            or ("(" in sentence and sentence.count("(") > sentence.count(")"))  # cut inside "(R-Ky."
            or bool(_EXCERPT_END.search(sentence, max(0, len(sentence) - 8))))


_EXCERPT_END = re.compile(r"(?:…|\.\.\.)[)\]]*$")  # an excerpt cut off by its source: "... always unethical…"


def ends_at_title(sentence: str) -> bool:
    """Ends at a title ("... and Reps."): the splitter cut it before a name, so neither it nor the
    sentence after it is whole (rule 24)."""
    return bool(_TITLE_END.search(sentence, max(0, len(sentence) - 8)))


# --- Round 3 shapes (bench/README.md "Furniture in digests, round 3", rules 14-25) ---------------

# An inline link card: the name written again in full, fused to a run of headlines, to "MORE":
# "President Trump Donald John TrumpGOP senators balk ... MORE on Monday ..." (the card's name is the
# last word of the name before it, not its first: "Paul Ryan Paul Davis Ryan ..."; a nickname may sit in
# parentheses: "Charles (Chuck) Ernest Grassley"; the headlines mostly follow without a space).
_CARD_WORDS = r"(?:(?:[A-Z][\w'’.-]*|\([A-Z][\w'’. -]{0,20}\))\s+){0,4}"
# Rule 36: no card's name is a word whose next words come again after its repeat ("Ruth Bader Ginsburg Ruth Bader
# GinsburgGinsburg ... MORE": the card is Ginsburg's, so the whole name stays).
_CARD = re.compile(r"\b(?P<name>[A-Z][\w'’.-]+)(?!\s+[A-Z][\w'’.-]+\s+(?P=name)\b)"
                   rf"(?!(?P<next>\s+[A-Z][\w'’.-]+)\s+{_CARD_WORDS}(?P=name)(?P=next))\s+"
                   rf"{_CARD_WORDS}(?P=name)(?:MORE\b|\s*(?=[A-Z0-9\"'‘“])[^\n]*?\sMORE\b)")


# ... and what a card leaves when the splitter cut it before its "MORE": the name again, fused ("Joe Biden Joe
# BidenHouse Republicans voice ...", "Bernie Sanders Bernie Sanders2020 Democrats ..."). No digest line.
_CARD_PART = re.compile(r"\b(?P<name>[A-Z][\w'’.-]+)\s+(?:(?:[A-Z][\w'’.-]*|\([A-Z][\w'’. -]{0,20}\))\s+){0,4}"
                        r"(?P=name)[A-Z0-9]")
# A small letter, then a capital or digit: found from the capital (rarer than small letters, so the search
# skips to each one), not from the small letter.
_FUSED = re.compile(r"[A-Z0-9](?<=[a-z][A-Z0-9])")


# A quote chip: a ticker and its day's change, fused into a sentence ("The Dow Jones Industrial Average DJIA,
# +0.12% shed 233.92 points").
_TICKER = re.compile(r"\s[A-Z]{2,6}\s*,\s*[+\-−]\d+(?:\.\d+)?%(?=\s)")


def strip_link_cards(text_: str) -> str:
    """``text_`` without the inline link cards (rule 14) and quote chips it holds, each card
    replaced by the name it follows, so the sentence around it reads as written: "President Trump
    on Monday ...", "The Dow Jones Industrial Average shed 233.92 points"."""
    if "MORE" in text_:
        text_ = _CARD.sub(r"\g<name>", text_)
    return _TICKER.sub("", text_) if "%" in text_ and _TICKER.search(text_) else text_


_LINK_LIST = re.compile(r"\s\|\s.*\s\|\s")  # rule 15: headlines or sections in a row
# Rule 16: a player's or caption's label anywhere; one label word in capitals fused to the caption it
# opens; a caption label in title case before a name.
_PLAYER_LABEL = re.compile(r"\b(?:(?i:media playback is unsupported|your browser does not support|video player "
                           r"(?:is )?loading)|(?:Image|Media|Photo|Video) (?:copyright|caption|source)\b)")
_CAPS_WORD_LABEL = re.compile(r"^[\W_]*(?:CLOSE|WATCH|VIDEO|PHOTOS?|UPDATED?|BREAKING|EXCLUSIVE|LIVE|LISTEN|"
                              r"ADVERTISEMENT|SPONSORED|SUBSCRIBE|RELATED|GALLERY|SLIDESHOW|PODCAST|CORRECTION)"
                              r"\b[\s:|\-–—]*[\"'‘“]?[A-Z0-9]")
# A prompt to the reader by its opening alone: news never opens with one of these imperatives.
_WATCH = re.compile(r"^(?:Watch|Listen\s+to|Tune\s+in|Visit|Check\s+out|Learn\s+more)\b")
# A pointer at a link ("The new rules are available here.") or a broadcast's credit ("CBS's Jane Doe reports from
# the White House.").
_POINTER = re.compile(r"\b(?:available|found|read|see|watch|listen|click|is|are)\s+(?:it\s+|them\s+|more\s+)?here\.?$|"
                      r"^(?:[A-Z][\w.'’-]*\s+){1,4}reports\s+from\s+(?:the\s+)?[A-Z][\w .'’-]{2,40}\.$")
# Rule 28: a pointer at a link without a label: an imperative of reading that ends at "here" ("See our prior
# coverage ... here."), "this link", or "For a ... look at ..., see ..." ("He said we would see the results here."
# opens with no imperative: kept).
_LINK_POINTER = re.compile(
    r"^(?:you\s+can\s+|please\s+)?(?:see|read|find|view|explore|browse)\s.{0,160}\bhere\s*[.!]?$"
    r"|\b(?:follow|click|use|visit|open|tap)\s+(?:on\s+)?(?:this|the\s+following|the\s+below)\s+link\b"
    r"|^for\s+(?:a|an|more|the\s+latest)\s+[^,]{0,120},\s+(?:see|visit|read|explore|check\s+out|go\s+to)\s", re.I)
# Rule 29: a broadcast's line: a host's introduction ("To talk about it, we're joined now by ...", "Joining us now
# is ..."), or a segment's credit, an outlet's possessive in capitals, a name, then talks / spoke with ... about:
# "NPR's Rachel Martin talks to NPR's Mara Liasson about ...". "Officials spoke with reporters about the fire.": kept.
_BROADCAST = re.compile(
    r"(?:^|,\s+)(?:we['’]re|we\s+are)\s+(?:now\s+)?joined\s+(?:now\s+)?by\b(?![^\"“”]*[\"“”])"
    r"|^joining\s+(?:us|me)\s+(?:now\s+)?(?:is|are|from)\b"
    r"|^(?-i:[A-Z]{2,6}['’]s\s+(?:[A-Z][\w.'’-]*\s+){1,3})(?:talks|talked|speaks|spoke|chats|chatted)\s+(?:to|with)\s"
    r".{1,80}?\babout\b", re.I)
# Rule 30: an outlet's own boilerplate: "X is a nonprofit newsroom that ...", "X is committed to ongoing
# coverage of ..." ("The Capital Gazette is a newspaper that lost five staffers." is news: kept).
_OUTLET_LINE = re.compile(
    r"^(?:The\s+)?[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3}\s+is\s+(?:a|an)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:newsroom|news\s+organization)\s+(?:that|which|dedicated|covering|based|focused)\b"
    r"|^(?:We|[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3})\s+(?:is|are)\s+committed\s+to\s+"
    r"(?:ongoing|continuing|continued|comprehensive|in-depth)\s+coverage\s+of\b")
# A picture agency's credit inside a line: "| Saul Loeb/AFP/Getty Images 2020 Elections ..."
# ("Reuters/Ipsos" is a poll).
_AGENCY_CREDIT = re.compile(r"\bGetty\s+Images\b|/\s*AFP\b|\bAFP\s*/")
_TITLE_LABEL = re.compile(r"^(?:Image|Photo|Picture|Caption|Illustration)\s+(?:Illustration\s+)?[A-Z][a-z]")
# Rule 19: a credit for the reporting.
_CREDIT_LINE = re.compile(
    r"\bcontributed\s+(?:reporting\b|(?:to\s+)?this\s+(?:report|story|article)\b|to\s+the\s+(?:report|story)\.?[\"”]?$)"
    r"|\bcontributed\s+from\s+[A-Z][\w.'’ ,-]{0,60}\.?$"
    r"|(?:^|[;.]\s+|\(\s*)(?:[Aa]dditional\s+)?(?:[Rr]eporting|[Ww]riting|[Ee]diting)\s+by\s+[A-Z][\w.'’-]+"
    r"(?:\s+[A-Z][\w.'’-]+){0,3}\s*(?:[;,)]|and\b|in\s+[A-Z]|\.?$)")
# Rule 51: ... or a sentence saying whose material the story used: "Information from The Associated Press was used in
# this report.", "This story includes material from Reuters."
_USED_CREDIT = re.compile(
    r"(?:^|[.!?]\s+)(?:[Ii]nformation|[Mm]aterial|[Rr]eporting)\s+from\s+[A-Z].{0,100}?\s+(?:was|were)\s+used\s+in\s+this\s+"
    r"(?:report|story|article)\.?$"
    r"|(?:^|[.!?]\s+)[Tt]his\s+(?:report|story|article)\s+(?:includes|contains|uses)\s+(?:material|information|reporting)\s+from\s+[A-Z]")
# Rule 47: a shop's box: a book's format and length ("Hardcover, 274 pages"), or a purchase prompt.
_SHOP = re.compile(r"\b(?:hardcover|paperback|softcover|hardback|e-?book|audiobook)\s*[,|:]\s*\d[\d,]*\s+pages\b"
                   r"|\byour\s+purchase\s+(?:helps|supports)\b|\bbuy\s+(?:featured|this|the)\s+book\b", re.I)
# Rule 20: an embedded post: a handle in parentheses, a post's link.
_EMBED = re.compile(r"\(@\w{1,30}\)|pic\.twitter\.com/|\btwitter\.com/\w+/status", re.I)
# Rule 21: a prompt to the reader: an imperative, then the site's own service within a few words.
_SERVICE = r"(?:newsletters?|apps?|podcasts?|alerts|updates|Twitter|Facebook|Instagram|YouTube|TikTok|" \
           r"(?:our|the)\s+(?:[\w'’-]+\s+){0,2}(?:newsletter|app|podcast|channel|feed))"
# The label's run of word characters and spaces is possessive ({0,20}+): a colon or bar, the only thing that
# may follow it, is neither, so a shorter run cannot match where the longest did not (the greedy run tried
# all 20 shorter ones on every line: half of the page-line openings' time).
_PROMPT = re.compile(
    r"^[\W_]*(?:[A-Z][\w ]{0,20}+[:|]\s*)?(?:"
    rf"(?:sign\s+up|subscribe|download|get|join|follow|listen|watch|stream|share)\b(?:\s+[\w'’.-]+){{0,5}}?\s+{_SERVICE}\b"
    r"|(?:follow|like|join|e-?mail|contact|message|text)\s+us\s+(?:on|at|in|via)\b"
    r"|(?:click|tap|read|watch|listen|see|go|sign\s+up|subscribe|register)\s+(?:[\w'’-]+\s+){0,4}?here\b"
    r"|(?:send|e-?mail|share)\s+(?:us\s+)?(?:your\s+)?(?:news\s+)?tips?\b"
    r"|you(?:\s+will|['’]ll)\s+(?:also\s+)?receive\b.{0,80}?\b(?:offers|e-?mails?|updates|newsletters?|alerts)\b"  # 35
    r"|have\s+a\s+(?:news\s+)?tip|already\s+a\s+(?:subscriber|member)|not\s+a\s+subscriber|view\s+all\b.{0,40}"
    r"newsletters|(?:watch|tune\s+in|listen)\b.{0,120}\b\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?\s*(?:ET|EST|EDT|PT|PST|PDT)\b)",
    re.I)
# ... or, anywhere, the reader's subscription: "You can unsubscribe at any time.", "... sign up for the daily
# Opinion email newsletter.", "Please verify you're not a robot by clicking the box.", "© 2017 Tribune ...".
_SUBSCRIPTION = re.compile(r"\bunsubscribe\b|\bsign(?:ing)?\s+up\b.{0,60}\b(?:newsletters?|alerts|emails?)\b|"
                           r"\b(?:you|your)\b.{0,40}\bnewsletters?\b|\bnewsletters?\b.{0,40}\b(?:you|your|inbox)\b|"
                           r"\bclick(?:ing)?\s+(?:here|HERE|the\s+box|below|this\s+link)\b|©", re.I)
# Rule 22: a byline (a "By" and names, then an outlet or nothing) or an author's line anywhere.
_BYLINE_LINE = re.compile(r"^[Bb]y\s+(?:[A-Z][\w.'’-]+\s*){1,4}(?:(?:,|\band\b|&)\s*(?:[A-Z][\w.'’-]+\s*){1,4})*"
                          r"(?:[,|/–—-]\s*[A-Z][\w .&'’-]{0,40})?\.?$")
_AUTHOR_LINE = re.compile(
    r"^(?!(?:The|A|An|This|That|Its|His|Her|Their)\s)[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},?\s+"
    r"(?:covers|writes\s+about|reports\s+on)\s+.{3,80}\s+for\s+(?:the\s+)?[A-Z][\w .&'’-]{1,40}\.?$"
    r"|^[Ff]ollow\s+(?:[A-Z][\w.'’-]+\s+){1,3}on\s+(?:Twitter|Facebook|Instagram|X)\b"
    r"|^[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},?\s+is\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}"
    r"(?:staff\s+writer|reporter|correspondent|columnist|contributor|contributing\s+(?:writer|editor)|"
    r"(?:senior\s+|visiting\s+)?fellow|editor-at-large|bureau\s+chief)\b")
# Rule 23: a time stamp or an editor's note.
_ZONE = r"(?:ET|EST|EDT|CT|CST|CDT|PT|PST|PDT|GMT|BST|UTC)"
_STAMP = re.compile(
    rf"^[\W_]*(?:(?:last\s+)?updated?|published|posted|first\s+published|modified)\b(?:\s+(?:on|at))?\s*[:|]?\s*"
    rf"(?:\d|{_MONTH}|{_DAY})"
    rf"|^[\W_]*\d{{1,2}}:\d\d\s*(?:[ap]\.?m\.?)?\s*{_ZONE}\b"
    rf"|^[\W_]*(?:{_DAY},?\s+)?\d{{1,2}}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*(?:{_ZONE}\b)?"
    r"(?:\s+\w+){0,2}\s*:\s"
    r"|^[\W_]*(?:editor['’]?s\s+note|correction|clarification|update|corrected\s+by)\s*[,:|—–-]"
    r"|^[\W_]*(?:originally\s+(?:published|appeared|posted)|check\s+back|please\s+refresh)\b"
    r"|^[\W_]*this\s+is\s+a\s+(?:developing|breaking)\s+(?:news\s+)?story\b",
    re.I)
# ... or, anywhere, the page's history: "An earlier version of this story ...", "... this article
# is no longer being updated."
_HISTORY = re.compile(
    r"\b(?:an\s+earlier|a\s+previous|the\s+original)\s+version\s+of\s+this\s+(?:story|article|post|report|piece)\b"
    r"|\bthis\s+(?:story|article|post|report|piece|page)\s+(?:has\s+been|was|is(?:\s+no\s+longer)?\s+being|will\s+be)\s+"
    r"(?:updated|corrected|amended|revised|emended)\b", re.I)
# The page lines known by their opening, one regex: a line is matched once, not once per shape.
_PAGE_LINE_START = _either(_CAPS_WORD_LABEL, _TITLE_LABEL, _PROMPT, _WATCH, _BYLINE_LINE, _AUTHOR_LINE, _STAMP)


def is_page_line(sentence: str) -> bool:
    """A line of the page, not of the story (rules 14-16, 19-23): what a cut link card leaves, a
    link list, a player's or caption's label, a credit for the reporting, an embedded post, a prompt to the reader, a
    byline or author's line, a time stamp or editor's note. A shape found anywhere in a line runs
    its regex only where the line holds a word every match holds (searching every line costs more
    than all the anchored shapes together)."""
    if _PAGE_LINE_START.match(sentence):
        return True
    low = sentence.lower()
    return bool(
        (("caption" in low or "copyright" in low or "playback" in low or "browser" in low or "player" in low
          or "e source" in low or "o source" in low or "a source" in low) and _PLAYER_LABEL.search(sentence))
        or (("contributed" in low or "ing by" in low) and _CREDIT_LINE.search(sentence))
        or (("used in this" in low or low.startswith("this ") or ". this " in low) and _USED_CREDIT.search(sentence))
        or (("pages" in low or "purchase" in low or "buy " in low) and _SHOP.search(sentence))
        or (("version of this" in low or "updated" in low or "corrected" in low or "amended" in low or "revised" in low
             or "emended" in low) and _HISTORY.search(sentence))
        or (("subscri" in low or "newsletter" in low or "click" in low or "©" in low or "alerts" in low
             or "email" in low) and _SUBSCRIPTION.search(sentence))
        or (" | " in sentence and _LINK_LIST.search(sentence))
        or (("here" in low or "reports from" in low) and _POINTER.search(sentence))
        or (("here" in low or "link" in low or sentence[:4] in ("For ", "for ")) and _LINK_POINTER.search(sentence))
        or (("join" in low or "about" in low) and _BROADCAST.search(sentence))
        or ((" news" in low or "committed" in low) and _OUTLET_LINE.match(sentence))
        or (("getty" in low or "afp" in low) and _AGENCY_CREDIT.search(sentence))
        or (_FUSED.search(sentence) is not None and _CARD_PART.search(sentence) is not None)
        or (("@" in sentence or "twitter" in low) and _EMBED.search(sentence)))


# Rule 17: a caption of what a picture shows: a present-tense verb of a picture among the first six words;
# with a full date at the end, or naming no day or time and reporting no speech.
_PICTURE_VERB = re.compile(
    r"^(?:(?:[^\s.!?]+|[A-Z][a-z]{1,4}\.,|(?:Sens?|Reps?|Gov|Lt|Gen|Adm|Col|Capt|Sgt|Maj|Amb|Atty|Sec|Pres)\.)\s+){1,10}?"
    r"(?<!\bto )(?<!\bwill )"  # rule 43: an office's title, "Sen. Jane Doe speaks" ("Mr." and "Dr." are prose's too)
    r"(?<!n't )(?<!n’t )(?<!\bnot )(?<!\bcan )(?<!\bwould )(?<!\bcould )"
    r"(?<!\bshould )(?<!\bmay )(?<!\bmight )(?<!\bmust )(?<!\bdid )(?<!\bdo )(?<!\bdoes )"
    r"(?:(?P<third>watches|gestures|waves|speaks|listens|arrives|poses|greets|reacts|touches|smiles|"
    r"pauses|kneels|prays|salutes|embraces|hugs|looks\s+on|holds\s+up|shakes\s+hands|casts\s+(?:his|her|a)\s+ballot|"
    r"walks|departs|testifies|attends|delivers\s+remarks|talks\s+to)|(?P<bare>talk\s+to|speak|gesture|arrive|pose|"
    r"greet|react|listen|attend|walk|look\s+on|hold\s+up|shake\s+hands|gather|kneel|pray)|(?P<noun>wave|march|rally))\b"
    # rule 32: a verb that is also a plural noun ("protests against the law") is a verb after a name
    r"|^(?:(?:[^\s.!?]+|[A-Z][a-z]{1,4}\.,)\s+){0,9}?(?!(?:No|The|Many|Some|Several|Mass|Large|Street|When|As|After|While|If|Since|Where|Though|Although|Because|But|And)\s)"
    r"[A-Z][\w'’-]*,?\s+(?:rallies|marches|protests|demonstrates)\s+(?:for|against|outside|in\s+front\s+of|near|at)\b")
_FULL_DATE_END = re.compile(rf"\b{_MONTH}\s+\d{{1,2}},\s+(?:19|20)\d\d\.?$")
# Rule 46: a picture desk's dated caption, the date then the place with no comma after the year ("... announces
# his candidacy at Plaza Guadalupe on January 12, 2019 in San Antonio, Texas."), in the present.
_PLACE = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|of|de))*"
_PLACE_DATE_END = re.compile(
    rf"\bon\s+(?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},\s+(?:19|20)\d\d"
    rf"\s+in\s+(?:the\s+)?{_PLACE}(?:,\s+{_PLACE}){{0,2}}\.$")
_NOT_PRESENT = re.compile(r"\b(?:was|were|had|did|will|would|said|told|[a-z]{3,}ed)\b")
_PLACE_DATE_REACH = 110  # characters from the end that hold the date and the place


def _place_dated_caption(line: str) -> bool:
    """Rule 46: the line ends at a full date and a place, no comma between (the picture desks' form),
    and says nothing in the past or the future, nor what was said."""
    start = max(0, len(line) - _PLACE_DATE_REACH)
    if line[-1:] != "." or (line.find(", 20", start) < 0 and line.find(", 19", start) < 0):
        return False
    return bool(_PLACE_DATE_END.search(line, start)) and not _NOT_PRESENT.search(line)


# Rule 40: a weekday, a date or a year is a caption's too ("... arrives at the US Naval Base on Saturday."); a story's
# time words and a report of speech are not.
_TIME_OR_SPEECH = re.compile(r"\b(?:today|tonight|yesterday|tomorrow|"
                             r"said|says|told|will|would|week|month|year)\b", re.I)
# Rule 18: a parenthesis that places someone in a picture.
_PICTURE_POINTER = re.compile(r"\((?:far\s+)?(?:left|right|center|centre|pictured|above|below|top|bottom|inset)\)|"
                              r"\((?:second|third|fourth)\s+from\s+(?:left|right)\)", re.I)


# Rule 37: what cannot stand right before a caption's verb (a pronoun, a determiner, a relative, an adverb:
# "it speaks to", "The rally", "who poses", "also embraces"), what cannot open a caption (a quotation, a
# conjunction or a pronoun: "When Pence speaks"), and the objects "pose" takes in news ("poses a threat").
_NOT_SUBJECT = frozenset(
    "a an the this that these those his her their its our my your he she it they we i you who which what whom "
    "when as if and but or so yet still then also how why where there here not only even just now never often "
    "always frequently to can will would could should may might must did do does".split())
_NOT_CAPTION_OPENING = re.compile(
    r"^(?:[\"'‘“(\[]|(?:When|Once|As|If|And|But|Or|So|Yet|Still|Then|How|Why|What|Who|Where|Here|There|He|She|It|"
    r"They|We|I|You|This|That|These|Those|Did|Do|Does|Not|Only|Even|Rather|Although|Though|Because|Since|While|To|"
    r"Legally|In|During|After|Before|Under|From|Some|Many|Most|Two|Every|Each)\b)")
_POSE_OBJECT = re.compile(r"\s+(?:for|with|during|alongside|next|beside|outside|in\s+front)\b")
_REFLEXIVE = re.compile(r"\s+for\s+(?:themselves|itself|himself|herself)\b")  # "results speak for themselves"
_PLURAL = re.compile(r"[A-Za-z][a-z]+(?<!ss)(?<!\bi)(?<!\bu)(?<!\bha)(?<!\bwa)(?<!\bthi)(?<!\bit)(?<!\ba)s")
PICTURE_MAX_WORDS = 60


def _caption_subject(sentence: str, match: re.Match[str]) -> bool:
    """Whether the words before rule 17's verb are a caption's subject (rule 37): a name or a noun
    right before it ("Netanyahu speaks", "People wearing masks walk", "Obama (R) hugs"); a verb
    that is also a noun of news (wave, march, rally) only after a plural ("Supporters rally")."""
    if _NOT_CAPTION_OPENING.match(sentence) or _QUESTION_END.search(sentence):
        return False
    verb = match.start("third") if match.group("third") else match.start("bare") if match.group("bare") \
        else match.start("noun")
    before = sentence[:verb].split()
    if not before:
        return False
    last = before[-1].rstrip(",")
    if last.lower() in _NOT_SUBJECT or last[:1].isdigit():
        return False
    if match.group("noun"):
        return bool(_PLURAL.fullmatch(last))
    if (match.group(0).endswith(("pose", "poses")) and not _POSE_OBJECT.match(sentence, match.end())
            or _REFLEXIVE.match(sentence, match.end())):
        return False
    return last[:1].isupper() or last.endswith(")") or len(before) <= 4 or bool(_PLURAL.fullmatch(last))


def is_picture_text(sentence: str) -> bool:
    """A caption of what a picture shows, or a sentence pointing at a picture ("Fairfax (right) is
    ..."): neither reads as story without the picture (rules 17-18). Digests only: a body keeps them."""
    if "(" in sentence and _PICTURE_POINTER.search(sentence):
        return True
    match = _PICTURE_VERB.match(sentence)
    if not match or (match.lastgroup in ("third", "bare", "noun") and not (
            len(sentence.split()) <= PICTURE_MAX_WORDS and _caption_subject(sentence, match))):
        return False
    if _FULL_DATE_END.search(sentence, max(0, len(sentence) - _DATE_REACH)):
        return True
    if _TIME_OR_SPEECH.search(sentence):
        return False
    return not _WEEKDAY.search(sentence) or _dated_caption(match)


# Rule 40: a sentence naming a weekday is a caption only by a verb that is no noun of news ("Royal gun salutes were
# fired Monday", "The teachers rally stayed off ...") and no plan ("Trump departs later on Monday for Hanoi").
_WEEKDAY = re.compile(rf"\b{_DAY}\b")
_NOUN_LIKE_VERBS = frozenset(("waves", "salutes", "touches", "holds up", "walks"))


def _dated_caption(match: re.Match[str]) -> bool:
    verb = match.group("third") or match.group("bare")
    return bool(verb) and verb not in _NOUN_LIKE_VERBS and not match.string.startswith(" later", match.end())


# --- Damage no repair can undo (bench/README.md "Furniture in digests, round 3") -------------------

MOJIBAKE_REACH = 7  # the longest sequence ftfy's detector calls mojibake (tests/test_repair.py checks it)
_C1_CONTROL = re.compile(r"[\x80-\x9f]")


@lru_cache(maxsize=1)
def mojibake_detector() -> tuple[str, re.Pattern[str], Callable[[str], bool]]:
    """(the typographic marks, the characters that can be part of mojibake, ftfy's detector),
    loaded on first use: ftfy takes most of a second to import. Every sequence the detector flags
    holds a character outside ASCII and those marks."""
    from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad

    plain = "".join(MOJIBAKE_CATEGORIES[k] for k in ("common", "start_punctuation", "end_punctuation"))
    return plain, re.compile(f"[^\\x00-\\x7f{re.escape(plain)}]"), is_bad


def may_be_mojibake(line: str) -> bool:
    """Whether ftfy's detector flags ``line``, shown only the few characters around each character
    that can be part of mojibake (the detector on all of a text is slow)."""
    if line.isascii():
        return False
    _, suspect, is_bad = mojibake_detector()
    return any(is_bad(line[max(0, m.start() - MOJIBAKE_REACH):m.end() + MOJIBAKE_REACH])
               for m in suspect.finditer(line))


def is_damaged(text_: str) -> bool:
    """Text holding damage that no repair undoes, since the bytes were lost before it reached us:
    replacement characters (``I don���t``), a C1 control, or a sequence ftfy's detector still calls
    mojibake (``â€"``). A record that holds it is noted at ingest; digests never show such a sentence."""
    return not text_.isascii() and ("\ufffd" in text_ or bool(_C1_CONTROL.search(text_)) or may_be_mojibake(text_))


# --- Round 6 shapes (bench/README.md "Furniture, round 6", rules 38-) -----------------------------

# Rule 38: a section label opening a paragraph, then its sentence: "Why it matters: ...", "The big picture: ...",
# "Between the lines: ...", "Yes, but: ...". The label is furniture, the paragraph is the story (Axios writes
# its news under such labels). A label is 2-5 words in sentence case, or in title case after a wh-word; a label
# that names a speaker or speech ("He added:", "Murphy notes:", "Trump tweeted:") is no section label.
NEWS_LABELS = frozenset((
    "why it matters", "the big picture", "driving the news", "the bottom line", "bottom line", "by the numbers",
    "what's next", "what we know", "what we don't know",
    "background", "context", "details", "flashback", "meanwhile",  # one word: a name is one word too ("Gail:")
))
_SECTION_LABEL = re.compile(
    r"(?P<label>[A-Z][a-z'’]*(?:(?:,?\s+[a-z0-9][\w'’-]*){1,4}|(?:\s+[A-Z][\w'’-]*){1,4})?)\s*:\s+"
    r"(?=[\"'‘“]?[A-Z0-9])")
_WH_WORDS = frozenset("what why how where when who".split())
# A label is a noun phrase, not a clause: no pronoun, copula, auxiliary, speech verb or adverb of a clause
# ("Pelosi is correct:", "There's only one problem:", "Democrats also win on optics:").
_NOT_LABEL_WORDS = frozenset(
    "he she they i we it you he's she's they're we're i'm you're it's there's here's that's who's "
    "is are was were be been am has have had do does did can could will would should may might must "
    "said says say added adds continued continues wrote writes write tweeted tweets told "
    "tells asked asks replied replies explained explains noted notes stated states read reads concluded concludes "
    "declared declares argued argues insisted insists warned warns put puts posted posts follows following "
    "also still just even now never always really however".split())
# ... and a first word that is no determiner, wh-word, preposition or conjunction, then a verb in -s, is a
# subject and its verb ("Posen suggests a thought experiment:", "Texas faces a similar problem:").
_LABEL_OPENERS = frozenset(
    "the a an our his her their my your one this that these those what why how where when who which whose "
    "by in on of for at to from between behind beyond inside under over among after before about and but or so "
    "yes no".split())
_VERB_S = re.compile(r"\w+[^s's]s")
_PAST = re.compile(r"\w{3,}ed")  # "tweeted", "disagreed": a clause, not a label ("Red flag", "Need")
_DATE_LABEL = re.compile(rf"(?:{_MONTH}|{_DAY})\b|.*\d")  # "May 20:", a timeline's
# A clause's verb, by the words a finite verb most often is or holds (an auxiliary, a past in -ed): what tells a
# sentence after a label from the label's answer ("The goal: Achieve their biggest House majority ...").
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|can|could|should|may|might|must|do|does|did|"
                     r"says|said|\w+n['’]t|[a-z]{3,}ed)\b")
# Whose words follow a possessive label ("His message: I will not seek a second term.", "Murphy’s idea: Allow ...").
_POSSESSIVES = frozenset("his her their its my our your".split())
_SPEAKER_OPENING = re.compile(r"(?:I|We|He|She|They|You)\b")
_FINITE_REACH = 200  # characters of the first sentence after the label to look in
_FIRST_END = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")
_LABEL_REACH = 48  # characters from a line's start that can hold a section label and its colon


def strip_section_labels(line: str) -> str:
    """``line`` less the section label it opens with (rule 38), when a full sentence follows it:
    the label goes and the paragraph stays. A label some other rule reads as the page's own (a box
    of links, an editor's note, a schedule: "Go deeper:", "Editor's note:", "This week:") is left, so
    that rule still takes the line; a label that names a speaker or speech is no label."""
    colon = line.find(":", 0, _LABEL_REACH)
    if colon < 0:
        return line
    match = _SECTION_LABEL.match(line)
    if not match:
        return line
    label = match.group("label")
    label_words = label.replace(",", " ").lower().replace("’", "'").split()
    key = " ".join(label_words)
    if key not in NEWS_LABELS:
        if (len(label_words) < 2
                or any(w in _NOT_LABEL_WORDS or _PAST.fullmatch(w) or w.endswith("n't") for w in label_words)
                or _DATE_LABEL.match(label)
                or (label_words[0] not in _LABEL_OPENERS and _VERB_S.fullmatch(label_words[1]))
                or any(w in _POSSESSIVES or w.endswith(("'s", "s'")) for w in label_words)
                or (label[label.find(" ") + 1:][:1].isupper() and label_words[0] not in _WH_WORDS)
                or is_furniture(line)):
            return line
        first_end = _FIRST_END.search(line, match.end(), match.end() + _FINITE_REACH)
        if line[match.end()] in "\"'‘“" or _SPEAKER_OPENING.match(line, match.end()) or not _FINITE.search(
                line, match.end(), first_end.end() if first_end else match.end() + _FINITE_REACH):
            return line  # a quotation after it ("The letter suggests: “..."), or no clause ("The villains: KCBX ...")
    rest = line[match.end():]
    return rest if ends_like_sentence(rest) and count_words(rest) >= 4 else line


_LONG_LOWER = re.compile(r" [a-z][a-z'’]{4}")  # a word of five letters in lower case: no small word
_LOWER_VERB = re.compile(r"\b(?:is|are|was|were|has|have|had|will)\b")  # "Pastor Graham is on the ... Council."


def is_titled_sentence(line: str) -> bool:
    """Rule 41: a heading in title case that ends with a period ("Obama Announces Deal On Diplomatic
    Relations With Cuba."): every word of letters but the small ones capitalized, 5 or more of them.
    A sentence of names has a verb in lower case."""
    if not line.endswith(".") or not line[:1].isupper() or _LONG_LOWER.search(line) or _LOWER_VERB.search(line):
        return False
    capitalized = [w[:1].isupper() for w in words(line) if w[0].isalpha() and w.lower() not in _SMALL_WORDS]
    return len(capitalized) >= 5 and all(capitalized)


# Rule 42: the page's notes on itself: an outlet's disclaimer or a video's narration (by their openings), an author
# line with no article before the job, a pointer whose verb ends at "here" after a name, a request to look.
_NOTE_OPENING = re.compile(
    r"The\s+(?:views|opinions)\s+expressed\s+(?:in\s+this\s+(?:commentary|article|column|piece|op-ed|post|essay)"
    r"\s+)?are\b|You(?:['’]re|\s+are)\s+watching\b")
_JOB = re.compile(r"correspondent|reporter|editor|columnist|writer|contributor")
_BARE_AUTHOR = re.compile(
    r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},?\s+is\s+(?:[A-Z][\w'’-]*\s+){0,3}(?:senior\s+|chief\s+|deputy\s+)?"
    rf"(?:{_JOB.pattern})\s+(?:for|at)\s+(?:the\s+)?[A-Z]")
_AUTHOR_REACH = 80  # characters from the start that hold the names and their " is "
_HERE_POINTER = re.compile(
    r"[A-Z][^.!?]{0,120}?,?\s+(?:responds|writes|explains|weighs\s+in|replies|answers)\s+here\.?")
_LOOK = re.compile(r"\bbe\s+sure\s+to\s+check\s+(?:them|it|this|these|those)\s+out\b")
# Rule 48: a pointer to the page's own media: a piece "worth listening to" ("... put together a very personal reflection
# ... that is worth listening to."; "advice is worth listening to" is no media), or a sentence that opens by sending
# the reader to it ("You can hear the senator ... in the video below:"; "as you can see in the video below" is news's).
_MEDIA_WORTH = re.compile(r"\bworth\s+(?:listening\s+to|watching|a\s+(?:listen|look|watch))\s*[.!]?[\"'”’]?$")
_MEDIA_NAMED = re.compile(r"\b(?:report|piece|reflection|segment|interview|conversation|podcast|episode|video|audio|"
                          r"clip|documentary)\b")
_MEDIA_POINTER = re.compile(
    r"(?:You\s+can\s+(?:also\s+)?|Just\s+)?(?i:watch|listen\s+to|view|see|hear)\b[^.!?]{0,120}?"
    r"\b(?:video|audio|clip|player|interview|podcast|segment|exchange)\s+(?:above|below)\b")
# Rule 49: the page's note on itself: "Note: Here are the questions asked ...", "Note: This post has been updated."
_NOTE_LABEL = re.compile(
    r"(?:Notes?|Methodology)\s*:\s+(?=.*?\b(?i:(?:this|the|our)\s+(?:post|story|article|analysis|report|survey|"
    r"chart|graphic|table|map|tool|data|page|piece)\b|questions\s+asked|methodolog|here\b|photo))")
# Rule 50: a pointer to the page's methodology, opening a sentence: "Read more about the ATP's methodology.", "Here
# are the questions asked for this analysis, along with responses, and its methodology."
_METHODS_POINTER = re.compile(
    r"(?:^|[.!?]\s+)(?:Read\s+more\s+about|See|Here\s+(?:are|is)|For\s+(?:more\s+)?details\s+(?:on|about))\b"
    r"[^.!?]{0,140}\bmethodolog")
_SURVEY_WORDS = re.compile(r"\b(?:surveyed|survey\s+panel|panel|weighted|sample|margin\s+of\s+(?:sampling\s+)?error)\b")
METHODS_BOX_WORDS = 250


def is_methods_box(paragraph: str) -> bool:
    """Rule 50: a paragraph that points at the page's methodology and holds a survey's words: the
    methodology box, with or without its label ("How we did this")."""
    return ("ethodolog" in paragraph and bool(_METHODS_POINTER.search(paragraph))
            and bool(_SURVEY_WORDS.search(paragraph)) and not has_words(paragraph, METHODS_BOX_WORDS + 1))


def is_page_note(sentence: str) -> bool:
    """Rules 42 and 48-50: a line the page writes about itself, its media or its methods, not about
    the story; each shape is read only where the line holds a word it needs."""
    return bool(
        (sentence[:3] in ("The", "You") and _NOTE_OPENING.match(sentence))
        or (0 < sentence.find(" is ", 0, _AUTHOR_REACH) and _BARE_AUTHOR.match(sentence))
        or (sentence.rstrip(". ").endswith(" here") and _HERE_POINTER.fullmatch(sentence))
        or ("check" in sentence and _LOOK.search(sentence))
        or (sentence[:4] in ("Note", "Meth") and _NOTE_LABEL.match(sentence))
        or ("worth" in sentence and bool(_MEDIA_WORTH.search(sentence)) and bool(_MEDIA_NAMED.search(sentence)))
        or (("bove" in sentence or "elow" in sentence) and _MEDIA_POINTER.match(sentence))
        or ("ethodolog" in sentence and _METHODS_POINTER.search(sentence)))


# Rule 44: a teaser's label fused to it by a colon, whatever ends it ("Trump vs. Clinton:Donald Trump to Hillary
# Clinton: Run for president again!"); "10:30" and "http:" are no label.
_FUSED_TEASER = re.compile(r"[A-Z][\w'’.]*(?:\s+[\w'’.]+){0,4}:[A-Z][a-z]")
