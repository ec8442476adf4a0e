"""Multi-document extractive digests: texts in, ranked and attributed sentences out.

sumy summarizes one document. Here every method sees the sentences of all the articles of an
event after three steps sumy cannot do on its own: sentences are split with our offline tokenizer
(so positions agree with the ``sentences`` table), datelines, bylines and boilerplate are removed,
and near-duplicate sentences (wire copy reprinted by several outlets) are kept once, at their
first appearance: sumy keys its ratings by sentence text, so equal sentences collapse into one,
and a story reprinted five times would otherwise outvote everything else. Every selected sentence
keeps the article it came from and its position.

``default`` is our own method for news, in the line of Gillick & Favre's concept coverage
(ICSISumm): concepts are stemmed word bigrams (and content words), weighted by how many articles
report them, with a bonus for the lead sentences of articles; sentences are chosen greedily by new
concept weight per word under the budget, so what is already said earns nothing (redundancy
control). It is sparse matrix arithmetic and handles thousands of sentences in well under a second.

sumy's methods are quadratic (LexRank, TextRank, Reduction) or worse (KL, LSA's dense SVD) in pure
Python, in words as well as sentences, so each method has a sentence cap and a word cap, and every
call a cap on distinct words; larger inputs keep the leading sentences of every article.

API: ``digest(documents, sentences=|words=, method=, order=, limits=) -> [Selected]``,
``summarize(text, ...)``, ``sentences(text)``, ``support(documents, picks)``,
``parse_options(json_text) -> Options``, ``Limits.from_config(plugin_config)``, ``REGISTRY`` (method
name -> ``Method``); errors meant for users are ``DigestError`` (``OptionsError``, ``InputTooLarge``).
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache, cached_property
from itertools import chain, groupby, repeat
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import sparse

from . import arrays, text

__all__ = [
    "DEFAULT_MAX_CHARS", "DEFAULT_MAX_SENTENCES", "DEFAULT_MAX_VOCABULARY", "DEFAULT_MAX_WORDS",
    "DEFAULT_SENTENCES", "GENRE_TIERS", "MAX_BUDGET", "METHODS", "OPTION_NAMES", "ORDERS", "OWN_METHODS", "REGISTRY",
    "SUMY_METHODS", "DigestError", "Document", "InputTooLarge", "Limits", "Method", "Options",
    "OptionsError", "Selected", "check_size", "digest", "digest_with_support", "earliest_within", "only_in",
    "parse_options", "positive_setting", "screen", "Screened", "sentences", "summarize", "support",
]

ORDERS = ("chronological", "score")
DEFAULT_SENTENCES = 5
MAX_BUDGET = {"sentences": 500, "words": 10_000}


@dataclass(frozen=True)
class Method:
    """One digest method: what rates the sentences, how it is set up, and how much one call may
    read. ``REGISTRY`` below is the only list of methods; the option check, the work caps, the
    dispatch and the event page's method list are all read from it.

    The caps keep one call around a second on a small machine, since a Python SQL function cannot
    be interrupted by Datasette's time limit. Sentences (bench/speed.py inputs): sumy's LexRank
    takes ~1 s at 300 lead sentences and 6-20 s at 1,000; KL is cubic (~50 s at 400); LSA's dense
    SVD grows with words x sentences. Words (bench/hostile.py, the worst text under max_chars at
    about a second): the sentence caps alone let 300 sentences of 300 distinct words cost minutes
    (sumy's Reduction compares every word pair of every sentence pair; LSA builds a dense
    vocabulary x sentences matrix), and stemming a huge vocabulary costs our default method too.
    Distinct words: news repeats its words, a hostile text need not; every distinct word is
    stemmed once per process, and sumy's LexRank counts the sentences holding each distinct word
    by scanning every sentence's word list."""

    name: str
    summarizer: str | None  # sumy's class as "module:Class", imported on first use; None: ours
    max_sentences: int
    max_words: int
    max_vocabulary: int = 20_000
    # Keyword arguments of the summarizer's constructor, after the stemmer.
    arguments: tuple[tuple[str, float], ...] = ()
    # Sets the summarizer's word lists for one call's sentences (the stop words, by default).
    configure: Callable[[Any, _Pool], None] | None = None
    # A warning of the summarizer's (a regular expression) that is expected and ignored.
    ignore_warning: str | None = None


def _use_stop_words(summarizer, pool: _Pool) -> None:
    if hasattr(summarizer, "stop_words"):
        summarizer.stop_words = text.stop_words()


def _use_edmundson_words(summarizer, pool: _Pool) -> None:
    summarizer.bonus_words = _frequent_words(pool)
    summarizer.stigma_words = STIGMA_WORDS
    summarizer.null_words = text.stop_words()


_SUMY = "sumy.summarizers."
REGISTRY: Mapping[str, Method] = MappingProxyType({m.name: m for m in (
    Method("default", None, max_sentences=10_000, max_words=250_000),
    Method("lexrank", _SUMY + "lex_rank:LexRankSummarizer", 300, 8_000, max_vocabulary=3_000),
    # LSA warns when an input has fewer distinct words than sentences; the ranking is still usable.
    Method("lsa", _SUMY + "lsa:LsaSummarizer", 400, 4_000,
           ignore_warning=r"Number of words \(\d+\) is lower than number of sentences"),
    Method("textrank", _SUMY + "text_rank:TextRankSummarizer", 400, 6_000),
    Method("luhn", _SUMY + "luhn:LuhnSummarizer", 1_000, 12_000),
    Method("edmundson", _SUMY + "edmundson:EdmundsonSummarizer", 1_000, 8_000,
           arguments=(("cue_weight", 1.0), ("key_weight", 1.0), ("title_weight", 0.0),
                      ("location_weight", 1.0)),
           configure=_use_edmundson_words),
    Method("kl", _SUMY + "kl:KLSummarizer", 100, 3_000),
    Method("sumbasic", _SUMY + "sum_basic:SumBasicSummarizer", 400, 12_000),
    Method("reduction", _SUMY + "reduction:ReductionSummarizer", 300, 4_000),
    Method("random", _SUMY + "random:RandomSummarizer", 10_000, 250_000),
)})
# Views of the registry as it is at import, for callers and tests (this module reads REGISTRY).
METHODS = tuple(REGISTRY)
OWN_METHODS = tuple(name for name, m in REGISTRY.items() if m.summarizer is None)
SUMY_METHODS = tuple(name for name, m in REGISTRY.items() if m.summarizer is not None)
DEFAULT_MAX_SENTENCES = MappingProxyType({name: m.max_sentences for name, m in REGISTRY.items()})
DEFAULT_MAX_WORDS = MappingProxyType({name: m.max_words for name, m in REGISTRY.items()})
DEFAULT_MAX_VOCABULARY = MappingProxyType({name: m.max_vocabulary for name, m in REGISTRY.items()})
# Splitting into sentences (nupunkt) reads every character before any cap can apply: about 1.2 s
# per million characters of news and 3 s for a million characters of three-word sentences here.
DEFAULT_MAX_CHARS = 500_000


class DigestError(ValueError):
    """A request the digest cannot serve; the message is written for the person who asked."""


class OptionsError(DigestError):
    pass


class InputTooLarge(DigestError):
    pass


@dataclass(frozen=True)
class Document:
    id: Any
    text: str | None
    published: Any = None
    genre: str | None = None  # 'news' | 'analysis' | 'opinion' (articles.genre); None reads as news
    # the text's sentences when the caller has them (the build reads the sentences table), so
    # the text is not split again; they must be text.split_sentences(text)
    split: Sequence[str] | None = None
    # screen(self.sentences()) when the caller has it (the build's digest made it, its coverage
    # reuses it), so the furniture and boilerplate tests are not run again
    screened: Screened | None = None

    def sentences(self) -> Sequence[str]:
        return self.split if self.split is not None else text.split_sentences(self.text or "")


# Which genres a digest reads first: opinion is chosen only when no news or analysis is left.
GENRE_TIERS = MappingProxyType({"news": 0, "analysis": 1, "opinion": 2})


@dataclass(frozen=True)
class Selected:
    id: Any
    position: int  # index in text.split_sentences(document.text), as in the sentences table
    sentence: str  # the sentence, less any dateline it opened with
    score: float  # the method's rating; higher is better, comparable within one digest only


@dataclass(frozen=True)
class Options:
    """A validated request: budget (sentences or words), method and reading order."""

    sentences: int | None = None
    words: int | None = None
    method: str = "default"
    order: str = "chronological"

    def __post_init__(self):
        if self.sentences is not None and self.words is not None:
            raise OptionsError('give either "sentences" or "words", not both')
        for key in ("sentences", "words"):
            value = getattr(self, key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or (isinstance(value, float) and not value.is_integer())  # also inf and NaN
            ):
                raise OptionsError(f'"{key}" must be a whole number, not {_show(value)}')
            if not 1 <= value <= MAX_BUDGET[key]:
                raise OptionsError(f'"{key}" must be between 1 and {MAX_BUDGET[key]}, not {value}')
            object.__setattr__(self, key, int(value))
        if not isinstance(self.method, str) or self.method.lower() not in REGISTRY:
            raise OptionsError(
                f'unknown method {_show(self.method)}; expected one of: {", ".join(REGISTRY)}'
            )
        if not isinstance(self.order, str) or self.order.lower() not in ORDERS:
            raise OptionsError(
                f'unknown order {_show(self.order)}; expected one of: {", ".join(ORDERS)}'
            )
        object.__setattr__(self, "method", self.method.lower())
        object.__setattr__(self, "order", self.order.lower())

    @property
    def budget(self) -> tuple[str, int]:
        if self.words is not None:
            return "words", self.words
        return "sentences", self.sentences or DEFAULT_SENTENCES


OPTION_NAMES = tuple(f.name for f in fields(Options))


def parse_options(value: str | Mapping | None) -> Options:
    """Options from the JSON text SQL callers pass, or a mapping; OptionsError says what's wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Options()
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as e:
            raise OptionsError(
                f'options must be a JSON object like {{"words": 100}}; could not parse it: '
                f'{e if isinstance(e, ValueError) else "nested too deeply"}'
            ) from None
    if not isinstance(value, Mapping):
        raise OptionsError(
            f'options must be a JSON object like {{"words": 100}}, not {_show(value)}'
        )
    unknown = [k for k in value if k not in OPTION_NAMES]
    if unknown:
        raise OptionsError(
            f'unknown option {_show(unknown[0])}; expected: {", ".join(OPTION_NAMES)}'
        )
    return Options(**value)


def _show(value) -> str:
    return json.dumps(value, default=repr)


@dataclass(frozen=True)
class Limits:
    """Work caps per call: Python SQL functions cannot be interrupted by Datasette's time limit.

    Hashable (caps by method are sorted tuples of pairs; a mapping given here is converted), so
    one instance can key caches and be shared by every connection and page."""

    max_chars: int = DEFAULT_MAX_CHARS
    # By method name; a method missing here gets its cap from REGISTRY.
    max_sentences: tuple[tuple[str, int], ...] = ()
    max_words: tuple[tuple[str, int], ...] = ()
    max_vocabulary: tuple[tuple[str, int], ...] = ()

    def __post_init__(self):
        for name in ("max_sentences", "max_words", "max_vocabulary"):
            caps = {method: getattr(spec, name) for method, spec in REGISTRY.items()}
            caps.update(dict(getattr(self, name)))
            object.__setattr__(self, name, tuple(sorted(caps.items())))

    def caps(self, method: str) -> tuple[int, int, int]:
        """(sentences, words, distinct words) the method may read in one call."""
        sentences, words, vocabulary = (dict(caps)[method] for caps in
                                        (self.max_sentences, self.max_words, self.max_vocabulary))
        return sentences, words, vocabulary

    @classmethod
    def from_config(cls, config: Mapping | None) -> Limits:
        """Limits from ``plugins: datasette-newsdigest:``: ``max_chars``, ``max_sentences``
        (caps our own method), ``max_sumy_sentences``, ``max_words`` and ``max_vocabulary``
        (each a number for every method it covers, or an object by method name)."""
        config = dict(config or {})
        max_chars = positive_setting(config, "max_chars", DEFAULT_MAX_CHARS)
        ours = [name for name, spec in REGISTRY.items() if spec.summarizer is None]
        sentences = {name: positive_setting(config, "max_sentences", REGISTRY[name].max_sentences)
                     for name in ours}
        sentences.update(_by_method(config, "max_sumy_sentences", [n for n in REGISTRY if n not in ours]))
        words, vocabulary = (tuple(_by_method(config, key, list(REGISTRY)).items())
                             for key in ("max_words", "max_vocabulary"))
        return cls(max_chars, tuple(sentences.items()), words, vocabulary)


def _by_method(config: Mapping, key: str, methods) -> dict[str, int]:
    """A cap given as one number for all ``methods`` or as an object by method name."""
    value = config.get(key)
    if isinstance(value, Mapping):
        for method in value:
            if method not in methods:
                raise DigestError(f"datasette-newsdigest: {key}: unknown method {_show(method)}; "
                                  f"expected one of: {', '.join(methods)}")
        return {method: positive_setting(value, method, None, f"{key}.") for method in value}
    if value is None:
        return {}
    n = positive_setting(config, key, None)
    return dict.fromkeys(methods, n)


def positive_setting(config: Mapping, key: str, default, prefix=""):
    """A plugin setting that must be a positive whole number; DigestError names the key."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DigestError(f"datasette-newsdigest: {prefix}{key} must be a positive whole number")
    return value


def check_size(chars: int, limits: Limits, what: str = "this digest") -> None:
    """InputTooLarge when a call would read more text than ``max_chars`` allows."""
    if chars > limits.max_chars:
        raise InputTooLarge(
            f"{chars:,} characters of text is more than {what} allows ({limits.max_chars:,}; "
            f"datasette-newsdigest max_chars)"
        )


def sentences(text_: str | None) -> list[str]:
    """The sentences of one text, as stored in the sentences table (positions are indexes)."""
    return text.split_sentences(text_ or "")


def digest(
    documents: Iterable[Document | tuple],
    *,
    sentences: int | None = None,
    words: int | None = None,
    method: str = "default",
    order: str = "chronological",
    limits: Limits | None = None,
) -> list[Selected]:
    """The digest of several articles, in reading order: chronological by ``published`` (then
    input order, then position) or, with ``order="score"``, best first.

    Raises OptionsError for a bad request and InputTooLarge beyond ``limits.max_chars``."""
    return _digest(documents, Options(sentences, words, method, order), limits or Limits())[0]


def digest_with_support(
    documents: Iterable[Document | tuple], *, threshold: float = 0.5, limits: Limits | None = None,
    tokenize: Callable[[str], list[str]] = text.words, **options,
) -> tuple[list[Selected], list[int]]:
    """``digest`` and ``support`` together, splitting and tokenizing the articles once (lines
    the digest drops as boilerplate are then not counted as support). ``tokenize``: ``text.words``,
    or a remembering copy of it shared with ``only_in`` over the same articles."""
    picks, pool, rows = _digest(documents, Options(**options), limits or Limits(), tokenize)
    if pool is None:
        return picks, []
    return picks, _owners_near(pool.near(pool.kept[rows], threshold), pool.all_doc)


def earliest_within(documents: Sequence[Document], max_chars: int) -> list[Document]:
    """The earliest documents whose texts fit in ``max_chars`` together (at least one), so a very
    large event gets a digest of its first reports rather than an error (pages and build alike)."""
    kept: list[Document] = []
    total = 0
    for document in documents:
        total += len(document.text or "")
        if total > max_chars and kept:
            break
        kept.append(document)
    return kept


def _digest(documents, options: Options, limits: Limits,
            tokenize: Callable[[str], list[str]] = text.words) -> tuple[list[Selected], _Pool | None, list[int]]:
    """The digest, its pool and the pool index of each selected sentence (in the digest's order)."""
    docs = [d if isinstance(d, Document) else Document(*d) for d in documents]
    docs = [d for d in docs if d.text]
    check_size(sum(len(d.text or "") for d in docs), limits)
    pool = _Pool(docs, *limits.caps(options.method), tokenize)
    if not pool.sentences:
        return [], None, []
    if REGISTRY[options.method].summarizer is None:
        picks = _concept_digest(pool, options.budget)
    else:
        picks = _select_by_rating(pool, _sumy_ratings(options.method, pool), options.budget)
    if options.order == "chronological":
        picks.sort(key=lambda pick: pool.reading_key(pick[0]))
    selected = [
        Selected(docs[pool.doc[i]].id, pool.position[i], pool.sentences[i], float(score))
        for i, score in picks
    ]
    return selected, pool, [i for i, _ in picks]


def summarize(text_: str | None, **kwargs) -> list[Selected]:
    """Single-document extractive summary (same options as digest; ids are None)."""
    return digest([Document(None, text_)], **kwargs)


def support(
    documents: Iterable[Document | tuple], picks: Iterable[Selected], threshold: float = 0.5
) -> list[int]:
    """How many of the documents report each picked sentence: have a sentence sharing most of
    its content words (cosine of content stems >= threshold). Reprinted wire copy counts for
    every outlet that carried it, unlike in the digest's own weighting; at least 1."""
    docs = [d if isinstance(d, Document) else Document(*d) for d in documents]
    rows, owners = [], []
    for i, document in enumerate(docs):
        for sentence in document.sentences():
            rows.append(text.words(sentence))
            owners.append(i)
    return _support_counts(rows, owners, list(picks), threshold)


def _support_counts(rows: list[list[str]], owners: list[int], picks: list[Selected],
                    threshold: float) -> list[int]:
    """For each pick, the number of distinct owners of the rows (tokenized sentences) whose
    content-stem cosine with it reaches ``threshold``; at least 1. ``owners``: (n_rows,) the
    owner of each row."""
    return _owners_near(_near(rows, [text.words(pick.sentence) for pick in picks], threshold), owners)


def _owners_near(similar: sparse.csr_matrix, owners: Sequence[int]) -> list[int]:
    """For each row of ``similar`` (as from ``_near_pairs``: (n_picks, n_rows)), how many distinct
    ``owners`` ((n_rows,) ints from 0) its near rows have; at least 1. One arrays.distinct over every
    (row, owner) pair instead of a scipy row lookup and a set per pick."""
    n = similar.shape[0]
    owner = np.asarray(owners, dtype=np.int64)[similar.indices]
    width = int(owner.max()) + 1 if len(owner) else 1
    pairs = arrays.distinct(np.repeat(np.arange(n), np.diff(similar.indptr)) * width + owner)
    return np.maximum(np.bincount(pairs // width, minlength=n), 1).tolist()


def _near(rows: list[list[str]], others: list[list[str]], threshold: float) -> sparse.csr_matrix:
    """(len(others), len(rows)) csr whose stored entries are the pairs of tokenized sentences
    whose content-stem cosine reaches ``threshold``: the one test of "the same sentence" that
    support counts and coverage's "only in" share."""
    stems, content, _, owner = _encode(rows + others)
    vectors = _content_vectors(*_content_pairs(stems, content, owner), len(rows) + len(others), _stem_count(stems))
    return _near_pairs(vectors, np.arange(len(rows), len(rows) + len(others)), len(rows), threshold)


def _content_pairs(stems: np.ndarray, content: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sentence, stem) of every distinct content stem of every sentence, sorted by sentence then
    stem, each (n_pairs,) int64 (``stems``, ``content``, ``owner``: (n_tokens,) as from ``_encode``):
    one sort serves the dedupe and the content vectors."""
    v = _stem_count(stems)
    pairs = arrays.distinct(owner[content] * v + stems[content])
    return pairs // v, pairs % v


def _content_vectors(sentence: np.ndarray, stem: np.ndarray, n: int, width: int) -> sparse.csr_matrix:
    """(n, width) csr of the ``n`` sentences' content stems, 0/1 scaled to unit rows, from
    ``_content_pairs``: sorted and distinct already, so its arrays are the csr's own (the numbers
    ``_unit_rows`` of the 0/1 matrix gives, without scipy's conversion from coordinates)."""
    lengths = np.bincount(sentence, minlength=n)
    data = np.repeat(1 / np.sqrt(np.maximum(lengths, 1).astype(float)), lengths)
    return sparse.csr_matrix((data, stem, arrays.offsets(lengths)), shape=(n, width))


# At most this many chosen rows, _near_pairs multiplies by them as dense columns (support's picks); more
# (coverage's every kept sentence) as a sparse product.
_FEW_CHOSEN = 32


def _near_pairs(vectors: sparse.csr_matrix, chosen: np.ndarray, n: int, threshold: float) -> sparse.csr_matrix:
    """(len(chosen), n) csr: which of the first ``n`` rows of ``vectors`` (from ``_content_vectors``)
    each row whose index is in ``chosen`` is near, so a pool's own encoding serves the support
    counts and coverage without encoding its sentences again.

    For a few chosen rows, ``vectors @`` their dense columns: each cosine is the same sum as the sparse
    product's, of the same products in the same (column) order, with zeros added between them, so the
    same number; scipy's row selection, transpose and sparse product cost more than the product."""
    if len(chosen) > _FEW_CHOSEN:
        similar = (vectors[chosen] @ vectors[:n].T).tocsr()
        similar.data = (similar.data >= threshold - 1e-9).astype(np.int8)
        similar.eliminate_zeros()
        return similar
    columns = np.zeros((vectors.shape[1], len(chosen)))
    for k, row in enumerate(chosen):
        entries = slice(vectors.indptr[row], vectors.indptr[row + 1])
        columns[vectors.indices[entries], k] = vectors.data[entries]
    products = vectors @ columns
    near = (products[:n] >= threshold - 1e-9) & (products[:n] > 0)  # stored entries are products > 0
    picks, rows = np.nonzero(near.T)
    indptr = arrays.offsets(np.bincount(picks, minlength=len(chosen)))
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), rows, indptr), shape=(len(chosen), n))


def only_in(documents: Iterable[Document | tuple], owners: list[Any], *, threshold: float = 0.5,
            max_sentences: int = 2_000, max_words: int = 60_000,
            tokenize: Callable[[str], list[str]] = text.words) -> list[tuple[int, int]]:
    """(document index, position) of the sentences that no document of another owner carries (no
    sentence of theirs reaches ``threshold``, as for ``support``); ``owners``: one per document
    (its outlet, hashable). The digest's sentence pool, so boilerplate, fragments and repeats are left out
    (quotes are kept: what an outlet quoted is what it reported, even if it is no digest line);
    the caps bound the sentences offered (lead first) and the words compared. ``tokenize``: as for
    ``digest_with_support``."""
    docs = [d if isinstance(d, Document) else Document(*d) for d in documents]
    pool = _Pool(docs, max_sentences, max_words, DEFAULT_MAX_VOCABULARY["default"], tokenize)
    if not pool.sentences:
        return []
    similar = pool.near(pool.kept, threshold)
    code = {owner: k for k, owner in enumerate(dict.fromkeys(owners))}
    row_owner = np.array([code[owners[d]] for d in pool.all_doc], dtype=np.int64)
    own = np.array([code[owners[d]] for d in pool.doc], dtype=np.int64)
    pair_row = np.repeat(np.arange(len(pool.doc)), np.diff(similar.indptr))
    elsewhere = np.zeros(len(pool.doc), dtype=bool)
    elsewhere[pair_row[row_owner[similar.indices] != own[pair_row]]] = True
    return [(d, p) for d, p, other in zip(pool.doc, pool.position, elsewhere, strict=True) if not other]


# --- Sentence pool: split, clean, dedupe, cap --------------------------------------------------

_BOILERPLATE_RE = re.compile(
    r"""^(?:(?-i:By(?:\s+(?:[A-Z][\w.'’\-]*|and)){1,6})\s*$                 # By Jane Doe
        |(?:associated\s+press|ap|reuters|afp|cnn|upi)\s+(?:staff\s+)?writer\b
        |copyright\b|all\s+rights\s+reserved|(?:additional\s+)?reporting\s+by\b|editing\s+by\b
        |(?:click|sign\s+up|subscribe)\b|follow\s+(?:us|him|her)\b|read\s+more\b
        |(?:photo|image|video|file)\s*(?:credit)?:)""",
    re.X | re.I,
)
_URL_RE = re.compile(r"https?://|www\.|@\w+\.\w", re.I)


def _has_url(sentence: str) -> bool:
    maybe = "/" in sentence or "www" in sentence or "@" in sentence  # skip the regex on most
    return maybe and bool(_URL_RE.search(sentence))


# Fewest words (starting with a letter, as sumy's tokenizer yields them) of a sentence any method
# sees: fragments with fewer are noise.
MIN_POOL_WORDS = 3


@dataclass(frozen=True)
class Screened:
    """What every pool keeps of one document's sentences, as plain data (a process pool pickles it
    cheaply): the positions no filter drops (author's box, boilerplate, links, furniture, damage),
    the kept sentences that lost a dateline or link cards (position, what is left), and the
    positions that may be half of a sentence the splitter cut (no digest line, still counted)."""

    kept: tuple[int, ...]
    stripped: tuple[tuple[int, str], ...]
    cut: tuple[int, ...]


def screen(split: Sequence[str]) -> Screened:
    """What a pool keeps of a document whose sentences are ``split``: a function of them alone,
    so the build's digest and coverage of an event screen each article once between them."""
    kept: list[int] = []
    stripped: list[tuple[int, str]] = []
    cut: list[int] = []
    previous = ""
    for p, raw in enumerate(split):
        if p >= len(split) - 2 and _AUTHOR_BIO.match(raw):
            continue
        if _CUT_AFTER.search(previous, max(0, len(previous) - 8)) or text.ends_at_title(previous):
            cut += (p - 1, p)
        previous = raw
        # anywhere: bodies may hold several stories; a text not cleaned at ingest may hold link cards
        sentence = text.strip_dateline(text.strip_section_labels(text.strip_link_cards(raw)), MIN_POOL_WORDS)
        if (_BOILERPLATE_RE.match(sentence) or _has_url(sentence) or text.is_furniture(sentence)
                or text.is_damaged(sentence)):
            continue
        kept.append(p)
        if sentence != raw:
            stripped.append((p, sentence))
    return Screened(tuple(kept), tuple(stripped), tuple(cut))


class _Pool:
    """The sentences every method chooses from, in document then position order, with their
    words encoded once as arrays (stem ids, content-word flags) for the vectorized steps.

    Per kept sentence (n_sentences): ``doc``, ``position``, ``sentences``, ``tokens`` (lists) and
    ``lengths`` ((n_sentences,) float words). Per word of the kept sentences, in order (n_tokens):
    ``stems`` (int64 stem id), ``content`` (bool) and ``owner`` (int64 sentence index).
    ``all_tokens``, ``all_doc`` and ``near`` cover every sentence before dedupe and cap."""

    def __init__(self, docs: list[Document], cap: int, max_words: int, max_vocabulary: int,
                 tokenize: Callable[[str], list[str]] = text.words):
        self.docs = docs
        doc, position, sentences, tokens = [], [], [], []
        self._cut: set[tuple[int, int]] = set()  # (document, position) of sentences that may be half of one
        for d, document in enumerate(docs):
            split = document.sentences()
            screened = document.screened or screen(split)
            stripped = dict(screened.stripped)
            for p in screened.kept:
                sentence = stripped.get(p, split[p])
                doc.append(d)
                position.append(p)
                sentences.append(sentence)
                tokens.append(tokenize(sentence))
            self._cut.update((d, p) for p in screened.cut)
        within = _within_caps(tokens, doc, position, max_words, max_vocabulary)
        if len(within) < len(tokens):
            doc, position = [doc[i] for i in within], [position[i] for i in within]
            sentences, tokens = [sentences[i] for i in within], [tokens[i] for i in within]
        stems, content, alpha, owner = _encode(tokens)
        pairs = _content_pairs(stems, content, owner)
        # every sentence before dedupe and cap, for support counts and coverage (see near)
        self.all_tokens, self.all_doc = tokens, doc
        self._all, self._vectors = (*pairs, len(tokens), _stem_count(stems)), None
        n = len(sentences)
        keep = np.bincount(owner, weights=alpha, minlength=n) >= MIN_POOL_WORDS
        keep &= _first_occurrences(*pairs, tokens)
        if keep.sum() > cap:
            # Keep every article's lead: all first sentences, then all second ones, and so on.
            by_position = np.lexsort((doc, position))
            keep[by_position[keep[by_position]][cap:]] = False
        index = np.flatnonzero(keep)
        self.kept = index  # (n_sentences,) each kept sentence's index among all_doc's
        self.doc = [doc[i] for i in index]
        self.position = [position[i] for i in index]
        self.sentences = [sentences[i] for i in index]
        self.tokens = [tokens[i] for i in index]
        self.lengths = np.array([len(tokens[i]) for i in index], dtype=float)
        self.tier = np.array([GENRE_TIERS.get(docs[d].genre or "news", 0) for d in self.doc], dtype=np.int64)
        kept_tokens = keep[owner]
        self.stems, self.content = stems[kept_tokens], content[kept_tokens]
        self.owner = (np.cumsum(keep) - 1)[owner[kept_tokens]]
        self._stands: dict[int, bool] = {}

    @cached_property
    def candidate(self) -> np.ndarray:
        """(n_sentences,) bool: the sentences a digest may offer (they stand alone and the splitter
        did not cut them); made when a method asks, since coverage reads the pool without it."""
        candidate = np.array([self.stands_alone(i) for i in range(len(self.sentences))], dtype=bool)
        if not candidate.any():
            candidate[:] = True  # nothing stands alone: a digest of what there is, not none
        return candidate

    def stands_alone(self, i: int) -> bool:
        """Whether sentence ``i`` may be a digest line, before the rule that makes every sentence
        one when none is (``candidate``); remembered, since the greedy asks only as far as it reads."""
        known = self._stands.get(i)
        if known is None:
            known = self._stands[i] = (_stands_alone(self.sentences[i])
                                       and (self.doc[i], self.position[i]) not in self._cut)
        return known

    def near(self, chosen: np.ndarray, threshold: float) -> sparse.csr_matrix:
        """(len(chosen), len(all_doc)) csr: the sentences (all of them, before dedupe and cap) near
        each sentence whose index among them is in ``chosen``, as ``_near`` finds them, from
        the words this pool encoded (none is tokenized or stemmed again)."""
        if self._vectors is None:
            self._vectors = _content_vectors(*self._all)
        return _near_pairs(self._vectors, chosen, len(self.all_doc), threshold)

    def reading_key(self, i: int):
        published = str(self.docs[self.doc[i]].published or "").strip()  # "" is undated too
        return (not published, published, self.doc[i], self.position[i])


# A sentence the splitter ended at initials ("... the U.S." / "Ambassador to Libya Chris Stevens ...") may
# have been cut there, so neither it nor the next one is offered as a digest line: either may be half of one.
_CUT_AFTER = re.compile(r"(?:^|[\s\-])(?:[A-Z]\.){2,3}$")


# The author's box at an article's end: "Michael Linden is the Director for Tax and Budget Policy at ...".
_AUTHOR_BIO = re.compile(r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},?\s+(?:is|was|has been)\s+(?:(?:a|an|the)\s+)?"
                         r"(?:[\w’'-]+\s+){0,8}?(?:at|of|for|with)\s+(?:the\s+)?[A-Z]")


def _stands_alone(sentence: str) -> bool:
    """A digest line must read on its own (bench/README.md "Furniture in digests", rules 10-11, 17-18,
    24): a whole sentence, not a question standing alone, not an opening pronoun or connective pointing
    at a sentence the reader does not have, not a picture's caption or a pointer at one. Such
    sentences still count for what the event reports."""
    return not (text.is_fragment(sentence) or text.is_question(sentence) or text.is_unresolved(sentence)
                or text.is_transcript(sentence) or text.is_picture_text(sentence))


def _within_caps(tokens: list[list[str]], doc: list[int], position: list[int], max_words: int,
                 max_vocabulary: int) -> list[int]:
    """Indexes (in input order) of the sentences a method reads under its word and vocabulary
    caps, taken lead first (every article's first sentence, then every second one...); a
    sentence that does not fit in what is left is skipped. Applied before any word is stemmed,
    so the caps bound all the work: time grows with words read and, for stemming, with distinct
    words (a text of distinct words is the worst case)."""
    total = sum(map(len, tokens))
    # no more distinct words than words: the set is made only when there could be too many
    if total <= max_words and (total <= max_vocabulary
                               or len(set(chain.from_iterable(tokens))) <= max_vocabulary):
        return list(range(len(tokens)))
    kept, total, seen = [], 0, set[str]()
    for i in np.lexsort((doc, position)):
        words = tokens[i]
        if total + len(words) > max_words:
            continue
        new = set(words).difference(seen)
        if len(seen) + len(new) > max_vocabulary:
            continue
        kept.append(int(i))
        total += len(words)
        seen |= new
    return sorted(kept)


class _Vocabulary:
    """Every distinct word this process has encoded, with its stem (a process-wide id) and flags,
    so a word is stemmed and classified once per process rather than once per call: the build
    reads each event's sentences for the digest, its support and the coverage. Forgets all at
    ``limit`` words, so hostile inputs cannot grow it without bound. Thread-safe (Datasette
    runs SQL functions on several threads)."""

    def __init__(self, limit: int = 500_000):
        self.limit = limit
        self.lock = threading.Lock()
        self._forget()

    def _forget(self) -> None:
        self.ids: dict[str, int] = {}
        self.stem_ids: dict[str, int] = {}
        self.stems = np.zeros(0, dtype=np.int64)
        self.content = np.zeros(0, dtype=bool)
        self.alpha = np.zeros(0, dtype=bool)

    def lookup(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(len(words),) arrays: process-wide stem id (int64), is a content word, starts with a letter."""
        with self.lock:
            index = np.fromiter(map(self.ids.get, words, repeat(-1)), dtype=np.int64, count=len(words))
            missing = np.flatnonzero(index < 0)
            if len(missing):  # only the words not known yet are looked at again, not the whole list
                unknown = [words[i] for i in missing]
                new = list(dict.fromkeys(unknown))
                if len(self.ids) + len(new) > self.limit:
                    self._forget()
                    missing, unknown, new = np.arange(len(words)), words, list(dict.fromkeys(words))
                self._add(new)
                index[missing] = np.fromiter(map(self.ids.__getitem__, unknown), dtype=np.int64,
                                             count=len(missing))
            return self.stems[index], self.content[index], self.alpha[index]

    def _add(self, new: list[str]) -> None:
        start, end = len(self.ids), len(self.ids) + len(new)
        if end > len(self.stems):  # room for twice as many words: appending costs amortized O(1)
            size = max(end, 2 * len(self.stems), 1024)
            self.stems, self.content, self.alpha = (np.concatenate([a, np.zeros(size - len(a), dtype=a.dtype)])
                                                    for a in (self.stems, self.content, self.alpha))
        stops = text.stop_words()
        self.ids.update(zip(new, range(start, end), strict=True))
        self.stems[start:end] = [self.stem_ids.setdefault(text.stem(w), len(self.stem_ids)) for w in new]
        self.alpha[start:end] = [w[0].isalpha() for w in new]
        self.content[start:end] = self.alpha[start:end] & np.array([w.lower() not in stops for w in new], dtype=bool)


_VOCABULARY = _Vocabulary()


def _encode(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat arrays over all words, each (n_tokens,): stem id (int64, dense from 0 in the order the
    stems first occur), is a content word (bool), starts with a letter (float 0/1, to be summed),
    index of its sentence (int64)."""
    words = list(chain.from_iterable(tokens))
    stems, content, alpha = _VOCABULARY.lookup(words)
    owner = np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])
    return _first_seen_ids(stems), content, alpha.astype(float), owner


def _first_seen_ids(values: np.ndarray) -> np.ndarray:
    """(n,) int64: each of ``values`` ((n,) int64) renumbered from 0 in the order the values first occur,
    by one stable sort: what ``np.unique(values, return_index=True, return_inverse=True)`` and an argsort of
    the first indexes give, for a third of their time (numpy's wrapper costs more than the sort at a pool's
    few thousand words)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = arrays.run_starts(ordered)
    first = order[new]  # each distinct value's first index, in value order (the sort is stable)
    seen = np.zeros(len(values), dtype=bool)
    seen[first] = True
    ids = np.empty(len(values), dtype=np.int64)
    ids[order] = (np.cumsum(seen) - 1)[first][np.cumsum(new) - 1]
    return ids


def _stem_count(stems: np.ndarray) -> int:
    """Columns needed for ``stems`` ((n_tokens,) int64 ids; at least one, so empty input
    still has a shape)."""
    return int(stems.max()) + 1 if len(stems) else 1


def _unit_rows(incidence: sparse.csr_matrix) -> sparse.csr_matrix:
    """A 0/1 (n_sentences, n_terms) csr matrix with rows scaled to unit length, for cosines;
    same shape out. Scales the stored values in place of a product with a diagonal matrix (the
    same numbers; one event's digest, support and coverage each scale one)."""
    counts = np.diff(incidence.indptr)  # a 0/1 row's sum is its count of stored entries
    data = incidence.data * np.repeat(1 / np.sqrt(np.maximum(counts, 1)), counts)
    return sparse.csr_matrix((data, incidence.indices, incidence.indptr), shape=incidence.shape)


_BITS = np.zeros(0, dtype=np.int64)


def _random_bits(n: int) -> np.ndarray:
    """(n,) int64: the first n of a fixed stream of random 62-bit keys, one per stem id (the
    stream's first n are the same whatever length is drawn, so one draw serves every call)."""
    global _BITS
    if len(_BITS) < n:
        _BITS = np.random.default_rng(0).integers(0, 2**62, size=max(n, 2 * len(_BITS), 4096), dtype=np.int64)
    return _BITS[:n]


def _first_occurrences(sentence: np.ndarray, stem: np.ndarray, tokens: list[list[str]]) -> np.ndarray:
    """(n_sentences,) bool mask of sentences not seen before (``sentence``, ``stem``: their content
    stems, from ``_content_pairs``). Sentences with the same set of content stems are one
    sentence, whatever the case, punctuation, word order or stop words, so wire copy edited for
    house style counts once; sentences with fewer than three content words must match exactly."""
    n = len(tokens)
    bits = _random_bits(int(stem.max()) + 1 if len(stem) else 1)[stem]
    keys = np.zeros(n, dtype=np.int64)
    if len(sentence):  # pairs are sorted by sentence: XOR each sentence's run of bits
        starts = np.flatnonzero(arrays.run_starts(sentence))
        keys[sentence[starts]] = np.bitwise_xor.reduceat(bits, starts)
    short = np.bincount(sentence, minlength=n) < 3
    for i in np.flatnonzero(short):
        keys[i] = -1 - (hash(tuple(w.lower() for w in tokens[i])) & (2**62 - 1))
    first = np.zeros(n, dtype=bool)
    first[np.unique(keys, return_index=True)[1]] = True
    return first


def _fill(order: Iterable[int], lengths: np.ndarray, budget: tuple[str, int]) -> list[int]:
    """The leading indexes of ``order`` that fill the budget (``lengths``: (n_sentences,) words)."""
    kind, n = budget
    picked, total = [], 0
    for i in order:
        if total >= n:
            break
        picked.append(i)
        total += 1 if kind == "sentences" else lengths[i]
    return picked


# --- sumy methods ------------------------------------------------------------------------------

class _Ranking:
    """Passed to sumy as the sentence count: sumy hands it every sentence with its rating,
    best first, so we get the full ranking and apply our own budget."""

    def __call__(self, infos):
        self.infos = infos
        return infos


@cache
def _summarizer_class(path: str) -> type:
    """A sumy summarizer class from its "module:Class" name, imported when first used."""
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


# Edmundson's cue words: hedges lower a sentence's rating (its bonus words are the event's own
# most frequent content words, computed per call).
STIGMA_WORDS = ("allegedly", "reportedly", "perhaps", "maybe", "rumor", "rumored", "unconfirmed")


def _sumy_ratings(method: str, pool: _Pool) -> np.ndarray:
    """(n_sentences,) float ratings by one of sumy's methods; sentences sumy leaves unrated
    rank below every rated one."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    spec = REGISTRY[method]
    assert spec.summarizer is not None, f"{method} is not one of sumy's methods"
    by_article = groupby(zip(pool.doc, pool.sentences, strict=True), key=itemgetter(0))
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, text.TOKENIZER) for _, s in group]) for _, group in by_article]
    )
    summarizer = _summarizer_class(spec.summarizer)(text.stemmer(), **dict(spec.arguments))
    (spec.configure or _use_stop_words)(summarizer, pool)
    ranking = _Ranking()
    # catch_warnings swaps the process-wide filter list (per context only from Python 3.14): a
    # thread adding a filter at the same moment could lose it; this package adds none elsewhere.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        if spec.ignore_warning:
            warnings.filterwarnings("ignore", message=spec.ignore_warning)
        summarizer(document, ranking)
    ratings = np.full(len(pool.sentences), np.nan)
    for info in getattr(ranking, "infos", ()):  # sumy returns early, unrated, on degenerate input
        ratings[info.order] = float(info.rating)
    rated = np.isfinite(ratings)
    return np.where(rated, ratings, ratings[rated].min() - 1 if rated.any() else 0.0)


def _frequent_words(pool: _Pool, share: float = 0.05) -> list[str]:
    """The content words most sentences share (fewer and fewer conditions on tiny inputs:
    sumy refuses an empty bonus list)."""
    counts = Counter(w for toks in pool.tokens for w in dict.fromkeys(w.lower() for w in toks))
    stops = text.stop_words()
    content = [w for w, _ in counts.most_common() if w not in stops]
    ranked = [w for w in content if counts[w] > 1] or content or list(counts)
    return ranked[: max(10, int(len(ranked) * share))]


def _select_by_rating(pool: _Pool, ratings: np.ndarray, budget: tuple[str, int]) -> list[tuple[int, float]]:
    """(sentence index, rating) best first within the budget, among the candidates, news before
    analysis before opinion; ``ratings``: (n_sentences,)."""
    order = sorted(map(int, np.flatnonzero(pool.candidate)), key=lambda i: (pool.tier[i], -ratings[i]))  # stable
    return [(i, ratings[i]) for i in _fill(order, pool.lengths, budget)]


# --- default: concept coverage -----------------------------------------------------------------


def _best(allowed: np.ndarray, value: np.ndarray, tier: np.ndarray, preferred: np.ndarray,
          lengths: np.ndarray, kind: str, left: float) -> int | None:
    """The greedy's pick among the ``allowed`` sentences ((n_sentences,) arrays), None if none is:
    the most value in the lowest tier (news first, opinion last), preferred ones if any are, and
    with a words budget those fitting the ``left`` words if any do and add something."""
    if not allowed.any():
        return None
    candidates = allowed & (tier == tier[allowed].min())
    candidates = candidates & preferred if (candidates & preferred).any() else candidates
    if kind == "words":
        fits = candidates & (lengths <= left)
        if fits.any() and value[fits].max() > 0:
            candidates = fits
    return int(np.argmax(np.where(candidates, value, -np.inf)))

@dataclass(frozen=True)
class _Tuning:
    """The default method's constants, measured on DUC 2004 (bench/duc2004.py)."""

    min_preferred_words: int = 8  # shorter sentences are rarely self-contained
    max_preferred_words: int = 55  # longer ones spend the budget on one idea
    unigram_weight: float = 0.5  # content words count, bigrams (more specific) count double
    lead_bonus: float = 1.0  # an article reporting a concept in its lead counts this much more
    lead_sentences: int = 3
    min_reports: int = 2  # concepts reported by fewer articles (or sentences) earn nothing
    reports_power: float = 1.5  # what most articles report matters more than linearly
    length_power: float = 1.0  # gain per word
    max_similarity: float = 0.5  # cosine over concepts: never pick a near-repeat


TUNING = _Tuning()
# Preferred sentences hold no quotation (out of context, and often partial); sentences that do
# not stand alone are no candidates at all (_stands_alone).
_QUOTE_RE = re.compile(r"``|''|[\"“”]")


def _quotes(sentence: str) -> bool:
    """``_QUOTE_RE.search(sentence)`` as five substring tests (a quarter of the regex's time)."""
    return '"' in sentence or "“" in sentence or "”" in sentence or "''" in sentence or "``" in sentence


def _concepts(pool: _Pool) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The (n_sentences, n_concepts) 0/1 csr incidence, and (n_concepts,) bool: which concepts
    are bigrams. Concepts are the content stems and the stem bigrams that are not two stop words."""
    stems, content, owner = pool.stems, pool.content, pool.owner
    v = _stem_count(stems)
    adjacent = (owner[1:] == owner[:-1]) & (content[1:] | content[:-1])
    keys = np.concatenate([stems[content], v + stems[:-1][adjacent] * v + stems[1:][adjacent]])
    rows = np.concatenate([owner[content], owner[1:][adjacent]])
    concepts, columns = np.unique(keys, return_inverse=True)
    # the csr's own arrays from the sorted distinct (sentence, concept) pairs: what scipy's conversion
    # from coordinates, summing duplicates, gives, set to 1, for less than its checks cost
    n, width = len(pool.sentences), len(concepts)
    pairs = arrays.distinct(rows * width + columns)
    indptr = arrays.offsets(np.bincount(pairs // width, minlength=n))
    return sparse.csr_matrix((np.ones(len(pairs)), pairs % width, indptr), shape=(n, width)), concepts >= v


def _concept_weights(pool: _Pool, incidence: sparse.csr_matrix, is_bigram: np.ndarray,
                     tuning: _Tuning) -> np.ndarray:
    """(n_concepts,) float weights from the (n_sentences, n_concepts) incidence: how many articles
    report each concept (sentences, for a single article), counting
    articles whose lead reports it once more, to the power reports_power. ("Support" is
    the count per picked sentence that ``support`` returns; these are counts per concept.)"""
    n, n_concepts = incidence.shape
    n_docs = len(set(pool.doc))
    units = np.array(pool.doc, dtype=np.int64) if n_docs > 1 else np.arange(n)
    row = np.repeat(np.arange(n), np.diff(incidence.indptr))  # (nnz,) the sentence of each entry

    def units_reporting(rows: np.ndarray) -> np.ndarray:
        """(n_concepts,) float: how many units have a sentence in ``rows`` ((n,) bool) with the concept."""
        entries = rows[row]
        pairs = arrays.distinct(units[row[entries]] * n_concepts + incidence.indices[entries])
        return np.bincount(pairs % n_concepts, minlength=n_concepts).astype(float)

    reported = units_reporting(np.ones(n, dtype=bool))
    lead = np.array(pool.position) < tuning.lead_sentences
    weights = reported + tuning.lead_bonus * units_reporting(lead)
    weights[reported < min(tuning.min_reports, int(units.max()) + 1)] = 0
    weights[~is_bigram] *= tuning.unigram_weight
    return weights ** tuning.reports_power


def _concept_digest(pool: _Pool, budget: tuple[str, int], tuning: _Tuning = TUNING) -> list[tuple[int, float]]:
    """Greedy budgeted maximum coverage: repeatedly take the sentence adding the most uncovered
    concept weight per word, preferring sentences that fit the words left and stand alone."""
    incidence, is_bigram = _concepts(pool)
    uncovered = _concept_weights(pool, incidence, is_bigram, tuning)
    lengths = pool.lengths
    preferred = (
        (lengths >= tuning.min_preferred_words)
        & (lengths <= tuning.max_preferred_words)
        & np.array([not _quotes(s) for s in pool.sentences])
    )
    normalized = _unit_rows(incidence)
    per_word = np.power(lengths, tuning.length_power)
    value = (incidence @ uncovered) / per_word
    kind, n = budget
    picked: list[tuple[int, float]] = []
    used = 0
    allowed = np.ones(len(lengths), dtype=bool)  # not picked, not near a pick
    # Whether a sentence stands alone is asked only of the best sentence still allowed: if it does not,
    # it is ruled out and the step chosen again. The best of fewer sentences that still hold it is it,
    # so the picks are those of asking every sentence first (pool.candidate).
    maybe = np.ones(len(lengths), dtype=bool)  # not known not to stand alone
    everyone = False  # no sentence stands alone: then every sentence may be a digest line (pool.candidate)
    while used < n:
        best = _best(allowed & maybe, value, pool.tier, preferred, lengths, kind, n - used)
        while best is not None and not (everyone or pool.stands_alone(best)):
            maybe[best] = False
            best = _best(allowed & maybe, value, pool.tier, preferred, lengths, kind, n - used)
        if best is None:
            if not picked and not everyone:  # all were asked before the first pick: none stands alone
                everyone, maybe[:] = True, True
                continue
            break
        picked.append((best, float(value[best])))
        used += 1 if kind == "sentences" else lengths[best]
        entries = slice(incidence.indptr[best], incidence.indptr[best + 1])
        uncovered[incidence.indices[entries]] = 0
        # Two products over the whole pool per pick cost less than picking out the sentences
        # sharing a concept with it; the others' numbers come out bit for bit as they were
        # (their concepts' weights did not change; a similarity with no shared concept is 0).
        value = (incidence @ uncovered) / per_word
        pick = np.zeros(incidence.shape[1])
        pick[normalized.indices[entries]] = normalized.data[entries]
        allowed &= normalized @ pick <= tuning.max_similarity
        allowed[best] = False
    return picked
