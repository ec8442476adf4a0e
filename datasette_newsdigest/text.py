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

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "DATELINE_RE", "LANGUAGE", "NEWS_ABBREVIATIONS", "NewsTokenizer", "TOKENIZER", "content_terms", "count_words",
    "counted", "label", "normalize", "paragraphs", "split_sentences", "stem", "stemmer", "stop_words",
    "strip_dateline", "words",
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

_WORD_RE = re.compile(r"[^\W_](?:[^\W_]|['’\-.](?=[^\W_]))*", re.UNICODE)
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


def normalize(text: str) -> str:
    """NFC-normalize and collapse runs of horizontal white space."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACE_RE.sub(" ", line).strip() for line in text.split("\n"))


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
    return _WORD_RE.findall((text or "").replace("’", "'"))


def count_words(text: str) -> int:
    return len(words(text))


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
    stops = stop_words()
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in stops or not any(c.isalpha() for c in lw):
            continue
        out.append(stem(lw))
    return out


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


# The dateline a wire story opens with: "WASHINGTON (AP) —", "NAIROBI, Kenya (AP) _", "ST. LOUIS, Mo. --".
DATELINE_RE = re.compile(
    r"""^(?=[A-Z.'’\-\s]*[A-Z]{3})                               # a place name, not "U.S."
         (?:[A-Z][A-Z.'’\-]*(?:\s+[A-Z][A-Z.'’\-]*){0,3}       # WASHINGTON, NEW YORK, ST. LOUIS
         (?:,\s+[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,2})?  # , Calif. / , China
         \s*(?:\((?:[A-Za-z&\- ]{1,25})\))?\s*                 # (AP) (Reuters) (CNN)
         (?:--|[\-—–_:])\s+)""",
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
