"""Articles -> stories -> events: which articles report the same story, and within it the same
incident.

Two levels, because one threshold cannot serve both: a story is a run of related events over days
or weeks (the Hun Sen coalition talks, the AOL-Netscape deal, Ukrainian drone attacks on Moscow);
an event is one incident within it (this raid, that statement). :func:`cluster` and :func:`assign`
group articles into stories; :func:`split_story` (last section) cuts one story into incidents,
with rarity judged against the story itself. How the story level works, and why:

* Each article is a TF-IDF vector (sublinear term counts; IDF from the articles being clustered
  plus ``background_documents`` unseen ones, so a small database is not scored as if its own
  story were common English)
  over its content terms (title counted three times, body cut to its first words: the lead carries
  the story, the tail wanders) and the numbers. The capitalized name runs inside sentences ("Hun
  Sen", "Moscow City") count ``name_repeat`` times, by default not at all: they are what tells one
  incident of a story from the next, so at the story level they split what belongs together
  (ECB+ dev read by topic 0.867 with them, 0.891 without; bench/README.md), while
  :func:`split_story` counts them.
* Candidate pairs: every article's ``neighbours`` nearest articles, found through its heaviest
  terms that occur in at most ``max_df`` articles, by sparse matrix products in blocks. Cost grows
  with the number of articles, not its square, and neighbours close in time rank first.
* Average-link agglomeration over the candidate pairs, best pair first: two groups join while the
  mean, over their article pairs, of cosine less a time penalty is at least ``threshold``. The
  penalty is ``time_weight * log1p(days apart)``, and the whole cosine past ``horizon_days``; it is
  0 when either article is undated, so undated articles join on content alone. Average link
  (exact for the cosine, from summed vectors) does not chain the way single link does: a story
  that runs for months does not absorb everything on its topic, and the time term keeps repeated
  stories about the same actors apart.
* Incremental (``--add``): existing stories enter the same agglomeration as fixed groups (their
  summed vectors, which store.py keeps in ``_newsdigest_event_state``), the new articles as single
  ones, and two existing stories may not merge, so existing stories keep their ids and members.
* Incidents within a story (:func:`split_story`): inside one story every article shares its
  vocabulary (Russia, drone, NATO), so global rarity cannot tell its incidents apart. Each story
  gets vectors of its own (:func:`story_vectors`): IDF counted over the story, so a term all its
  articles carry weighs little and one a few share weighs most; terms of a single article dropped
  (they pair nothing and only dilute the cosine); names (participants, places) and numbers (years,
  counts) doubled; and each pair of adjacent content words (stop words skipped) as a phrase, so
  the place an event word attaches to ("attack on the Kremlin": ``~attack kremlin``) and shared
  phrases ("drone operators", "Foreign Ministry") are terms of their own. An untitled article's first sentence
  stands in for its title. Frames (:func:`frames`): the name an event noun of the title or first
  sentence attaches to ("attack on the Kremlin", "Belgorod's incursion"); two articles or parts
  with different frames, one at least undated, are never one incident, and an article without a frame follows
  the incident it shares most phrases with (the story's words and names are everyone's).
  Average link at ``SplitParams.threshold`` (no time penalty: inside a story, dates cost more
  than they told apart) cuts the story; then parts that are not well
  separated join again, best pair first, while the mean cosine between two parts is at least
  ``separation`` times their own cohesion. One absolute threshold either leaves two incidents of
  one kind together (two quakes on one island) or cuts a long story of alike articles into
  fragments; asking how far apart two parts are next to how tight each is lets the threshold be
  strict. Existing incidents stay fixed under ``--add``.
"""

from __future__ import annotations

import heapq
import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from itertools import islice, repeat
from typing import cast

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from . import arrays, work
from .text import content_terms, label, split_sentences, stop_words, words

__all__ = [
    "Article",
    "Clustering",
    "EventState",
    "Params",
    "SplitParams",
    "Vocabulary",
    "assign",
    "cluster",
    "day_number",
    "features",
    "first_words",
    "frames",
    "group_dates",
    "headline_copy",
    "headlines",
    "name_terms",
    "numbers",
    "phrases",
    "split_story",
    "story_headlines",
    "story_terms",
    "story_vectors",
    "time_penalty",
]


@dataclass(frozen=True)
class Params:
    """Story-level grouping; tuned on DUC 2004, WikiRef220, GoogleNews-TS, ECB+ dev read by topic
    and small DUC databases together (bench/events.py)."""

    threshold: float = 0.10  # mean cosine two groups need at zero days apart
    time_weight: float = 0.015  # extra mean cosine needed per log1p(days apart)
    horizon_days: float = 90  # articles further apart are never the same story
    neighbours: int = 10  # candidate neighbours per article
    max_df: int = 2000  # terms in more articles than this never make a candidate pair
    candidate_terms: int = 40  # heaviest terms of an article used to find candidates
    body_words: int = 400
    title_repeat: int = 3
    name_repeat: int = 0  # times a name run counts in story vectors (split_story always counts it once)
    state_terms: int = 256  # terms of an event's summed vector kept for --add
    background_documents: int = 4000  # IDF counts this many unseen documents (see Vocabulary.idf)


@dataclass
class Article:
    """An article as clustering sees it; ``published`` is an ISO 8601 date or datetime (anything
    else counts as undated)."""

    id: str
    title: str | None = None
    body: str | None = None
    published: str | None = None
    outlet: str | None = None


# --------------------------------------------------------------------------
# Features


_CAPITALIZED = r"[A-ZÀ-ÖØ-Þ][^\W_]*(?:['’\-.][^\W_]+)*"
_NAME_RUN = re.compile(rf"(?<![^\W_'’.-]){_CAPITALIZED}(?:[ \t]+{_CAPITALIZED})*")
_SENTENCE_END = frozenset(".!?:;\"“”`\n")
_POSSESSIVE = re.compile(r"['’]s$")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
# Capitalized words that name no one in particular: titles, ranks, days and months.
_NOT_NAMES = frozenset(
    """mr mrs ms dr gen col lt sgt capt maj gov rep rev president prime minister i
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)


def name_terms(text: str) -> list[str]:
    """Runs of capitalized words inside sentences, lower-cased: a cheap stand-in for named
    entities ("Hun Sen", "Islamic State"). A lone capitalized word that starts a sentence is
    skipped; a run never crosses punctuation and ends after a possessive."""
    out: list[str] = []
    for m in _NAME_RUN.finditer(text):
        before = text[max(0, m.start() - 4) : m.start()].rstrip(" \t\"“‘'(")
        out.extend(_run_terms(m.group(), not before or before[-1] in _SENTENCE_END))
    return out


@lru_cache(maxsize=200_000)
def _run_terms(text: str, initial: bool) -> tuple[str, ...]:
    """The name terms of one run of capitalized words (``initial``: it starts a sentence); runs
    recur ("White House", "Trump"), and this loop was most of :func:`name_terms`' cost."""
    stops = stop_words()
    out: list[str] = []
    run: list[str] = []
    for word in text.split():
        run.append(_POSSESSIVE.sub("", word.lower()))
        if _POSSESSIVE.search(word):
            initial = _emit(run, initial, stops, out)
    _emit(run, initial, stops, out)
    return tuple(out)


def _emit(run: list[str], initial: bool, stops, out: list[str]) -> bool:
    """Append the run as a name term unless it is a lone sentence-initial word; empty the run
    and return False: what follows within the same run is not sentence-initial."""
    kept = [w for w in run if w not in _NOT_NAMES and w not in stops]
    if kept and (len(kept) > 1 or not initial):
        out.append("@" + " ".join(kept))
    run.clear()
    return False


def numbers(text: str) -> list[str]:
    """Figures ("4,200", "1962", "2.6") as terms: casualty counts and years tell incidents apart."""
    return ["#" + n.replace(",", "") for n in _NUMBER.findall(text)]


@lru_cache(maxsize=8)
def _lead_pattern(words: int) -> re.Pattern:
    return re.compile(rf"\s*(?:\S+\s+){{{words - 1}}}\S+")


def first_words(body: str, words: int) -> str:
    """The first ``words`` white-space separated words of ``body``."""
    m = _lead_pattern(words).match(body)
    return m.group() if m else body


def features(title: str | None, body: str | None, params: Params = Params(), names: int = 1) -> list[str]:
    """The terms an article is compared by (repeated terms count more); name runs count ``names``
    times."""
    lead = first_words(body or "", params.body_words)
    return _features(title, lead, content_terms(lead), params, names)


def _features(title: str | None, lead: str, lead_terms: list[str], params: Params, names: int,
              title_terms: list[str] | None = None) -> list[str]:
    """:func:`features` of a body already cut to its ``lead`` whose content terms are known (and
    the title's, when ``title_terms`` gives them)."""
    title = title or ""
    return (
        (content_terms(title) if title_terms is None else title_terms) * params.title_repeat
        + lead_terms
        + (name_terms(lead) * names if names else [])
        + numbers(title + "\n" + lead)
    )


def day_number(published: str | None) -> float:
    """Days since year 1 of an ISO date or datetime; NaN when missing or not ISO."""
    if not published:
        return math.nan
    try:
        return float(date.fromisoformat(published.strip()[:10]).toordinal())
    except ValueError:
        return math.nan


class Vocabulary:
    """Term ids and document frequencies; ``count`` extends them, so --add can go on from the
    vocabulary of the last full clustering."""

    def __init__(self, terms: Sequence[str] | None = None, df: Sequence[int] | np.ndarray | None = None,
                 documents: int = 0):
        self.terms = list(terms or [])
        self.index = {t: i for i, t in enumerate(self.terms)}
        self.df = np.array(df if df is not None else [], dtype=np.int64)
        self.documents = documents

    def count(self, docs: Iterable[list[str] | dict[str, int]]) -> sp.csr_matrix:
        """Raw term counts of ``docs`` in one pass, adding their new terms and their document
        frequencies (so the feature lists need not be kept): (n_docs, n_terms) float32 csr. A doc
        is its terms, or their counts already made (a dict in order of first appearance, as
        :func:`article_features` returns them); each row's ids are in that order, not sorted."""
        indptr, indices, data = array("q", [0]), array("i"), array("f")
        rows = 0
        index, terms = self.index, self.terms
        for doc in docs:
            # Counter counts in C and keeps first appearance, so ids and their order within a row
            # are those of counting term by term; the vocabulary is looked up once per distinct term
            counts = doc if isinstance(doc, dict) else Counter(doc)
            found = list(map(index.get, counts))
            if None in found:  # new terms take the next ids in the order they appear
                new = [t for t, i in zip(counts, found, strict=True) if i is None]
                index.update(zip(new, range(len(terms), len(terms) + len(new)), strict=True))
                terms.extend(new)
                found = list(map(index.get, counts))
            indices.extend(cast("list[int]", found))  # every term has its id by now
            data.extend(counts.values())
            indptr.append(len(indices))
            rows += 1
        m = sp.csr_matrix(
            (np.frombuffer(data, dtype=np.float32), np.frombuffer(indices, dtype=np.int32),
             np.frombuffer(indptr, dtype=np.int64)),
            shape=(rows, len(self.terms)),
        )
        df = np.bincount(m.indices, minlength=len(self.terms)).astype(np.int64)
        df[: len(self.df)] += self.df
        self.df = df
        self.documents += rows
        return m

    def idf(self, background: int = 0) -> np.ndarray:
        """Smoothed IDF, as if ``background`` more documents without the term had been seen:
        (n_terms,) float64.

        In a small database the terms of its one story are in most articles, so plain IDF weighs
        the story down and leaves each article's own details: ten DUC articles on one event split
        into 2.3 events on average. The background treats the database as a sample of a larger
        news stream; at tens of thousands of articles it hardly matters."""
        return np.log((1 + self.documents + background) / (1 + self.df)) + 1

    def weigh(self, counts: sp.csr_matrix, background: int = 0) -> sp.csr_matrix:
        """L2-normalized TF-IDF rows (sublinear tf) of raw counts: (n_docs, n_terms) float32 csr,
        from (n_docs, <= n_terms) counts."""
        m = sp.csr_matrix(counts, shape=(counts.shape[0], len(self.terms)), dtype=np.float32, copy=True)
        m.data = (1 + np.log(m.data)) * self.idf(background)[m.indices].astype(np.float32)
        return _normalize(m)


def _normalize(m: sp.csr_matrix) -> sp.csr_matrix:
    """Rows of ``m`` (n_rows, n_terms) scaled to unit length (empty rows stay empty); float32 csr."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    out = sp.csr_matrix(m, dtype=np.float32, copy=True)
    out.sort_indices()
    # each stored value times its row's 1/norm in float64, then float32: what a diagonal matrix
    # product computed, without its cost per call (one per story in the split)
    out.data = (out.data * np.repeat(1 / norms, np.diff(out.indptr))).astype(np.float32)
    out.eliminate_zeros()
    return out


# --------------------------------------------------------------------------
# Candidate pairs


def _time_gap(a_lo, a_hi, b_lo, b_hi):
    """Days between two date ranges (0 when they overlap or one is undated); all four (n_pairs,)."""
    gap = np.maximum(0, np.maximum(b_lo - a_hi, a_lo - b_hi))
    return np.nan_to_num(gap, nan=0.0)


def _prune(m: sp.csr_matrix, keep: np.ndarray, top: int) -> sp.csr_matrix:
    """Rows restricted to kept columns and then to their ``top`` heaviest entries: ``m`` (n_rows,
    n_terms) csr, ``keep`` (n_terms,) bool; same shape out."""
    m = sp.csr_matrix(m @ sp.diags(keep.astype(np.float32)))
    m.eliminate_zeros()
    lengths = np.diff(m.indptr)
    if lengths.max(initial=0) <= top:
        return m
    rows = np.repeat(np.arange(m.shape[0]), lengths)
    order = np.lexsort((-m.data, rows))
    rank = np.arange(len(order)) - m.indptr[rows[order]]
    chosen = np.sort(order[rank < top])
    return sp.csr_matrix(
        (m.data[chosen], m.indices[chosen], arrays.offsets(np.minimum(lengths, top))),
        shape=m.shape,
    )


_Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # query ids, reference ids, values: (n_pairs,) each


WINDOW_ROWS = 2000  # query rows per task of the candidate search, and reference rows per block
_BATCH = 32  # tasks handed to map_ at once: the writer holds two batches' inputs, not every task's
_ROUNDING = 1e-4  # slack on a similarity bound for float32 sums: a bound may only err high


def _candidates(q, q_lo, q_hi, r, r_lo, r_hi, params, same: bool):
    """For each row of ``q``, its ``neighbours`` best rows of ``r`` by similarity over the pruned
    terms less the time penalty, ties to the lower row of ``r``: the search in one block.
    ``q`` (n_q, n_terms) and ``r`` (n_r, n_terms) csr, ``q_lo``/``q_hi`` (n_q,) and ``r_lo``/``r_hi``
    (n_r,) first/last days. Returns (query rows, reference rows), two (n_pairs,) int arrays."""
    qi, ri, _ = _top(q, q_lo, q_hi, np.arange(q.shape[0]), r, r_lo, r_hi, np.arange(r.shape[0]), params, same)
    return qi, ri


def _top(q, q_lo, q_hi, q_ids, r, r_lo, r_hi, r_ids, params, same: bool, reach=None):
    """:func:`_candidates` of rows known by ids (``q_ids`` (n_q,), ``r_ids`` (n_r,): with ``same``,
    a row never pairs with the row of the same id), with each pair's value: (query ids,
    reference ids, values), three (n_pairs,) arrays. ``reach``, two (n_q,) arrays, keeps only the
    reference rows outside each query row's [first, last] day range: the far blocks' pass."""
    rt = r.T.tocsr()
    out: list[_Pairs] = []
    block = 1000
    for start in range(0, q.shape[0], block):
        p = (q[start : start + block] @ rt).tocoo()
        # pairs sharing only a sliver of rare-term weight would never rank or join
        keep = p.data >= params.threshold / 4
        rows, cols = p.row + start, p.col
        if same:
            keep &= q_ids[rows] != r_ids[cols]
        if reach is not None:
            keep &= (r_lo[cols] > reach[1][rows]) | (r_hi[cols] < reach[0][rows])
        rows, cols, vals = rows[keep], cols[keep], p.data[keep]
        vals = vals - time_penalty(_time_gap(q_lo[rows], q_hi[rows], r_lo[cols], r_hi[cols]), params)
        best = _best(rows, r_ids[cols], vals, params.neighbours)
        out.append((q_ids[rows[best]], r_ids[cols[best]], vals[best]))
    return _joined(out)


def _best(rows: np.ndarray, refs: np.ndarray, vals: np.ndarray, k: int) -> np.ndarray:
    """Positions of each row's ``k`` best pairs, by value, then the lower reference id: a total
    order, so the best of a union of blocks are the best of each block's best. All (n_pairs,)."""
    if not len(rows):
        return np.zeros(0, int)
    # one float key first (fast; rounding may tie close values): a row's k-th pair by it is within
    # a few units in the last place of the true k-th, so the exact sort needs only the pairs above that
    key = rows * 4.0 - vals
    rough = np.argsort(key, kind="stable")
    cut = np.full(int(rows.max()) + 1, -np.inf)
    at = rough[_ranks(rows[rough]) == k - 1]
    cut[rows[at]] = vals[at] - 8 * np.spacing(np.abs(key).max())
    few = np.flatnonzero(vals >= cut[rows])
    order = few[np.lexsort((refs[few], -vals[few], rows[few]))]
    return order[_ranks(rows[order]) < k]


def _unordered_pairs(qi: np.ndarray, ri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of ``qi``, ``ri`` ((n,) ints each) once whichever way round, as (low, high) sorted by
    low then high: (m,) each. The candidate searches find a pair from both ends."""
    low, high = np.unique(np.stack([np.minimum(qi, ri), np.maximum(qi, ri)]), axis=1)
    return low, high


def _ranks(rows: np.ndarray) -> np.ndarray:
    """Each position's rank within its run of equal ``rows`` (sorted by row): (n,) int."""
    first = np.flatnonzero(arrays.run_starts(rows))
    return np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))


def _joined(parts: list[_Pairs]) -> _Pairs:
    if not parts:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]


def _pack(m: sp.csr_matrix, rows: np.ndarray) -> tuple:
    """Rows of ``m`` as plain arrays for a task: (data, indices, indptr, n_terms)."""
    part = m[rows]
    return part.data, part.indices, part.indptr, m.shape[1]


def _unpack(packed: tuple) -> sp.csr_matrix:
    data, indices, indptr, terms = packed
    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, terms))


def candidate_task(task: tuple) -> _Pairs:
    """In a worker: one task of the candidate search, :func:`_top` of a block of query rows
    against a block of reference rows, each with their days and ids, as :func:`_search` packs them."""
    q, q_lo, q_hi, q_ids, r, r_lo, r_hi, r_ids, params, same, reach = task
    return _top(_unpack(q), q_lo, q_hi, q_ids, _unpack(r), r_lo, r_hi, r_ids, params, same, reach)


def _search(q, q_day, r, r_lo, r_hi, params: Params, same: bool, map_: Callable = map,
            progress: bool = False):
    """:func:`_candidates` in tasks of at most ``WINDOW_ROWS`` query rows, so that no task needs
    the whole corpus, run by ``map_`` (the builtin map's signature: work.pool's or a Dask
    cluster's); the same pairs. ``q`` (n_q, n_terms) csr of rows dated ``q_day`` (n_q,: one day
    each, NaN undated), ``r`` (n_r, n_terms) csr of rows spanning ``r_lo``..``r_hi`` (n_r,).

    Dated query rows are cut into windows in date order; a window's task gets the reference rows
    within ``horizon_days`` of it (its near block). Undated rows cost no time penalty, so the
    undated reference rows are blocks of their own that every window meets, and each block of
    undated query rows meets every reference block. A pair past the horizon costs the whole
    penalty, yet ranks when the row has fewer than ``neighbours`` others or a near duplicate far
    off (its value is similarity - 1): a second round looks in the far blocks only for the rows
    whose bound on such a value (their weights times the block's heaviest per term) could still
    rank. The best pairs of a union are the best of the blocks' best (:func:`_best`)."""
    horizon, step = params.horizon_days, WINDOW_ROWS
    if q.shape[0] <= step and r.shape[0] <= step:  # one block: no task to hand over
        return _candidates(q, q_day, q_day, r, r_lo, r_hi, params, same)
    dated = np.flatnonzero(np.isfinite(q_day))
    dated = dated[np.argsort(q_day[dated], kind="stable")]
    windows = [dated[s : s + step] for s in range(0, len(dated), step)]
    undated = _chunks(np.flatnonzero(~np.isfinite(q_day)), step)
    by_start = np.flatnonzero(np.isfinite(r_lo))
    by_start = by_start[np.argsort(r_lo[by_start], kind="stable")]
    blocks = _chunks(by_start, step)
    undated_blocks = _chunks(np.flatnonzero(~np.isfinite(r_lo)), step)
    # each query row's near range: its window's first and last day, widened by the horizon
    reach = np.full((2, len(q_day)), np.nan)
    for w in windows:
        reach[:, w] = [[q_day[w[0]] - horizon], [q_day[w[-1]] + horizon]]

    def task(rows: np.ndarray, refs: np.ndarray, far: bool = False) -> tuple:
        return (_pack(q, rows), q_day[rows], q_day[rows], rows, _pack(r, refs), r_lo[refs], r_hi[refs], refs,
                params, same, reach[:, rows] if far else None)

    def near(w: np.ndarray) -> np.ndarray:
        lo, hi = reach[:, w[0]]
        return by_start[(r_lo[by_start] <= hi) & (r_hi[by_start] >= lo)]

    first = [(w, near(w)) for w in windows] + [(w, u) for w in windows for u in undated_blocks]
    first += [(u, b) for u in undated for b in blocks + undated_blocks]
    found = _run(map_, (task(rows, refs) for rows, refs in first), len(first), params, progress)
    second = _far_tasks(q, r, r_lo, r_hi, reach, blocks, found, params)
    if second:
        found = _merged([found, _run(map_, (task(rows, refs, far=True) for rows, refs in second), len(second),
                                     params, progress)], params)
    return found[0], found[1]


def _chunks(rows: np.ndarray, step: int) -> list[np.ndarray]:
    return [rows[s : s + step] for s in range(0, len(rows), step)]


def _run(map_: Callable, tasks: Iterable[tuple], count: int, params: Params, progress: bool):
    """The merged best pairs of the tasks, handed to ``map_`` a batch at a time (work.ahead: the
    next batch runs while this one is merged)."""
    def batches():
        it = iter(tasks)
        while batch := work.Tasks(islice(it, _BATCH)):
            yield None, batch

    found: list[_Pairs] = []
    with _bar(progress, count, "Event candidates") as bar:
        for _, results in work.ahead(map_, candidate_task, batches()):
            for result in results:
                found.append(result)
                bar.update(1)
            found = [_merged(found, params)]
    return _merged(found, params)


def _merged(parts, params: Params) -> _Pairs:
    q_ids, r_ids, vals = _joined(parts)
    best = _best(q_ids, r_ids, vals, params.neighbours)
    return q_ids[best], r_ids[best], vals[best]


def _far_tasks(q, r, r_lo, r_hi, reach, blocks: list[np.ndarray], found, params: Params) -> list[tuple]:
    """The (query rows, far block) tasks of the second round: for each dated block, the query rows
    whose near range misses some of its rows and whose best pair there (similarity - 1, bounded
    by the sum over their terms of weight times the block's heaviest weight) could rank among
    their ``neighbours`` so far (``found``, the first round's best)."""
    k = params.neighbours
    dated = np.flatnonzero(np.isfinite(reach[0]))
    if not len(dated) or not blocks:
        return []
    count = np.bincount(found[0], minlength=q.shape[0])
    worst = np.full(q.shape[0], -np.inf)  # the k-th best value so far, -inf when fewer than k
    last = np.flatnonzero(np.r_[found[0][1:] != found[0][:-1], True]) if len(found[0]) else np.zeros(0, int)
    full = last[count[found[0][last]] >= k]
    worst[found[0][full]] = found[2][full]
    norms = _norms(q)
    most = float(_norms(r[np.concatenate(blocks)]).max(initial=0))
    # Cauchy-Schwarz first (cheap, and it rules out almost every row), then per block
    rows = dated[_could_rank(norms[dated] * most, worst[dated], params)]
    if not len(rows):
        return []
    heaviest = sp.vstack([sp.csr_matrix(r[b].max(axis=0)) for b in blocks], format="csr")
    bounds = (q[rows].astype(np.float64) @ heaviest.T.astype(np.float64)).toarray()
    out = []
    for j, b in enumerate(blocks):
        misses = (r_lo[b].max() > reach[1][rows]) | (r_hi[b].min() < reach[0][rows])
        chosen = rows[misses & _could_rank(bounds[:, j], worst[rows], params)]
        out += [(part, b) for part in _chunks(chosen, WINDOW_ROWS)]
    return out


def _norms(m: sp.csr_matrix) -> np.ndarray:
    return np.sqrt(np.asarray(m.multiply(m).sum(axis=1), dtype=np.float64).ravel())


def _could_rank(bound: np.ndarray, worst: np.ndarray, params: Params) -> np.ndarray:
    """Whether a far pair of similarity at most ``bound`` (value bound - 1) could pass the
    candidate floor and beat ``worst``, the k-th best value so far (ties included)."""
    bound = bound * (1 + _ROUNDING) + _ROUNDING
    return (bound >= params.threshold / 4) & (bound - 1 >= worst)


def _row_dots(a: sp.csr_matrix, b: sp.csr_matrix, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """``a[ia[k]] . b[ib[k]]`` for each k, in chunks: ``a``, ``b`` (n_a, n_terms), (n_b, n_terms) csr,
    ``ia``, ``ib`` and the result (n_pairs,)."""
    out = np.empty(len(ia), dtype=np.float64)
    step = 20_000
    for s in range(0, len(ia), step):
        out[s : s + step] = np.asarray(a[ia[s : s + step]].multiply(b[ib[s : s + step]]).sum(axis=1)).ravel()
    return out


# --------------------------------------------------------------------------
# Agglomeration


_DATE_SAMPLE = 24


def time_penalty(days_apart, params: Params):
    """Cosine an article pair loses for being ``days_apart`` (0 when either is undated):
    ``time_weight * log1p(days)``, and all of it (1) past ``horizon_days``."""
    days_apart = np.nan_to_num(np.abs(days_apart), nan=0.0)
    return np.where(days_apart > params.horizon_days, 1.0, params.time_weight * np.log1p(days_apart))


def _mean_time_penalty(a: np.ndarray, b: np.ndarray, params: Params) -> float:
    """Mean time penalty over the dated pairs of two groups (sorted day arrays), on at most
    ``_DATE_SAMPLE`` quantiles of each: the time half of average link."""
    if not len(a) or not len(b):
        return 0.0
    if len(a) == 1 and len(b) == 1:
        # time_penalty's formula in plain floats: at 37k articles this is most of ~290k calls,
        # and numpy's per-call overhead there cost seconds
        gap = abs(float(a[0]) - float(b[0]))
        return 1.0 if gap > params.horizon_days else params.time_weight * math.log1p(gap)
    # sorted, so the nearest and furthest pairs are at the ends: when every pair is past the
    # horizon the mean is 1, and with no time weight, when none is it is 0 (the split's case)
    if a[0] - b[-1] > params.horizon_days or b[0] - a[-1] > params.horizon_days:
        return 1.0
    if params.time_weight == 0 and max(a[-1] - b[0], b[-1] - a[0]) <= params.horizon_days:
        return 0.0
    if len(a) > _DATE_SAMPLE:
        a = a[np.linspace(0, len(a) - 1, _DATE_SAMPLE).astype(int)]
    if len(b) > _DATE_SAMPLE:
        b = b[np.linspace(0, len(b) - 1, _DATE_SAMPLE).astype(int)]
    gaps = np.abs(a[:, None] - b[None, :])  # groups' days are finite: time_penalty less its nan_to_num
    return float(np.where(gaps > params.horizon_days, 1.0, params.time_weight * np.log1p(gaps)).mean())


_NO_DAYS = np.zeros(0)
_NO_GAP = np.zeros(1)  # day 0: its gap to day g is g


_BOUND_SLACK = 1e-3  # relative: a bound on a dot product from norms may only err high, float32 sums included


class _Groups:
    """Groups being agglomerated: summed vectors (sorted term ids, weights) and their norms, sizes,
    sorted days of their dated articles."""

    def __init__(self, sums: sp.csr_matrix, sizes, dates: list[np.ndarray], fixed):
        self.terms = [sums.indices[sums.indptr[i] : sums.indptr[i + 1]] for i in range(sums.shape[0])]
        self.weights = [sums.data[sums.indptr[i] : sums.indptr[i + 1]] for i in range(sums.shape[0])]
        self.norms = _norms(sp.csr_matrix(sums, dtype=np.float64))
        self.sizes = np.asarray(sizes, dtype=np.float64).copy()
        self.dates = list(dates)
        self.fixed = np.asarray(fixed, dtype=bool).copy()
        self.parent = np.arange(sums.shape[0])
        self.version = np.zeros(sums.shape[0], dtype=np.int64)
        self.merges = 0

    def root(self, i: int) -> int:
        path = []
        while self.parent[i] != i:
            path.append(i)
            i = self.parent[i]
        for p in path:
            self.parent[p] = i
        return i

    def dot(self, a: int, b: int) -> float:
        ta, tb = self.terms[a], self.terms[b]
        if len(ta) > len(tb):
            a, b, ta, tb = b, a, tb, ta
        if not len(ta) or not len(tb):
            return 0.0
        pos = np.minimum(np.searchsorted(tb, ta), len(tb) - 1)
        hit = tb[pos] == ta
        return float(self.weights[a][hit] @ self.weights[b][pos[hit]])

    def penalty(self, a: int, b: int, params: Params) -> float:
        return _mean_time_penalty(self.dates[a], self.dates[b], params)

    def could_pass(self, a: int, b: int, penalty: float, params: Params) -> bool:
        """Whether the pair's score may reach the threshold: its mean cosine is at most the norms'
        product over the sizes (Cauchy-Schwarz), so past the horizon (penalty 1) no pair of
        groups of unit rows can, and its dot product need not be computed."""
        bound = self.norms[a] * self.norms[b] / (self.sizes[a] * self.sizes[b])
        return bound * (1 + _BOUND_SLACK) - penalty >= params.threshold

    def score(self, a: int, b: int, dot: float, params: Params, penalty: float | None = None) -> float:
        if penalty is None:
            penalty = self.penalty(a, b, params)
        return dot / (self.sizes[a] * self.sizes[b]) - penalty

    def scores(self, a: np.ndarray, b: np.ndarray, dots: np.ndarray, params: Params) -> np.ndarray:
        """:meth:`score` of many pairs (``a``, ``b``, ``dots``: (n_pairs,)), the same floats in numpy:
        the penalty of two groups of one date each is looked up among the distinct gaps, each
        asked of :func:`_mean_time_penalty` once (most pairs, in a build); others are asked pair by pair."""
        counts = np.array([len(d) for d in self.dates], dtype=np.int64)
        first = np.array([d[0] if len(d) else np.nan for d in self.dates], dtype=np.float64)
        penalty = np.zeros(len(a))
        one = (counts[a] == 1) & (counts[b] == 1)
        if one.any():
            gaps, at = np.unique(np.abs(first[a[one]] - first[b[one]]), return_inverse=True)
            table = [_mean_time_penalty(_NO_GAP, np.array([g]), params) for g in gaps.tolist()]
            penalty[one] = np.array(table)[at]
        for k in np.flatnonzero(~one & (counts[a] > 0) & (counts[b] > 0)).tolist():
            penalty[k] = self.penalty(int(a[k]), int(b[k]), params)
        return dots / (self.sizes[a] * self.sizes[b]) - penalty

    def merge(self, a: int, b: int) -> int:
        """Merge the two roots; the fixed (existing) one, else the larger, survives."""
        if (self.fixed[b], self.sizes[b]) > (self.fixed[a], self.sizes[a]):
            a, b = b, a
        terms = np.concatenate([self.terms[a], self.terms[b]])
        weights = np.concatenate([self.weights[a], self.weights[b]]).astype(np.float64)
        order = np.argsort(terms, kind="stable")  # two sorted runs: linear
        terms, weights = terms[order], weights[order]
        if len(terms):
            starts = np.flatnonzero(arrays.run_starts(terms))
            terms, weights = terms[starts], np.add.reduceat(weights, starts)
        self.terms[a], self.weights[a] = terms, weights
        self.norms[a] = math.sqrt(weights @ weights)
        self.terms[b] = self.weights[b] = None
        self.sizes[a] += self.sizes[b]
        self.dates[a] = np.sort(np.concatenate([self.dates[a], self.dates[b]]))
        self.dates[b] = _NO_DAYS  # merged away: never read again
        self.fixed[a] |= self.fixed[b]
        self.parent[b] = a
        self.merges += 1
        self.version[a] = self.merges  # unique, so a queued score is never taken for another pair's
        return a


def _agglomerate(groups: _Groups, pairs: tuple[np.ndarray, np.ndarray], dots: np.ndarray,
                 params: Params, bar=None) -> np.ndarray:
    """Greedy average-link merging, best pair first, lazily re-scoring pairs whose groups have
    grown since they were queued. ``pairs`` and ``dots`` are (n_pairs,); returns each group's
    final root, (n_groups,) int."""
    first, second = np.asarray(pairs[0], dtype=np.int64), np.asarray(pairs[1], dtype=np.int64)
    live = ~(groups.fixed[first] & groups.fixed[second])
    first, second = first[live], second[live]
    # pairs below the threshold stay queued: by the time they come up, their groups may have grown
    # into a pair that passes
    negative = (-groups.scores(first, second, np.asarray(dots, dtype=np.float64)[live], params)).tolist()
    heap = list(zip(negative, first.tolist(), second.tolist(), repeat(0), repeat(0), strict=False))
    heapq.heapify(heap)
    scored: dict[tuple[int, int], tuple[int, int]] = {}
    while heap:
        negative, a, b, va, vb = heapq.heappop(heap)
        a, b = groups.root(a), groups.root(b)
        if a == b or (groups.fixed[a] and groups.fixed[b]):
            continue
        if a > b:
            a, b, va, vb = b, a, vb, va
        current = (int(groups.version[a]), int(groups.version[b]))
        if (va, vb) != current:
            if scored.get((a, b)) == current:
                continue  # already re-scored at these versions and queued
            scored[(a, b)] = current
            penalty = groups.penalty(a, b, params)
            if not groups.could_pass(a, b, penalty, params):
                continue  # below the threshold whatever the dot product: not queued, as when scored
            s = groups.score(a, b, groups.dot(a, b), params, penalty)
            if s >= params.threshold:
                heapq.heappush(heap, (-s, a, b, *current))
            continue
        if -negative < params.threshold:
            continue
        groups.merge(a, b)
        if bar is not None:
            bar.update(1)
    return np.array([groups.root(i) for i in range(len(groups.parent))])


# --------------------------------------------------------------------------
# Pure core


@dataclass
class EventState:
    """What --add needs of existing events: the vocabulary, and per event (row) its summed
    vector truncated to ``state_terms`` terms, its size and its articles' dates."""

    vocabulary: Vocabulary
    sums: sp.csr_matrix  # (n_events, <= n_terms) float32
    sizes: np.ndarray  # (n_events,) float: articles per event
    dates: list[np.ndarray]  # sorted day numbers of each event's dated articles
    params: Params


@dataclass
class Clustering:
    """``event_of[i]`` is the group of article ``i`` (a story: the names say "event" from before
    there were two levels), a row of ``state`` (0..events-1); ``headlines`` has a readable label
    for each group the call created (all of them for :func:`cluster`; for :func:`assign`, the new
    ones, numbered on from the old count)."""

    event_of: list[int]
    headlines: dict[int, str | None]  # None: no article of the event has a title or a sentence
    state: EventState
    articles: list[Article]  # the input, in order, bodies cut short
    body_terms: list[np.ndarray] = field(default_factory=list)  # per article, its body's content terms
    # (ids in ``state.vocabulary``), as :func:`features` made them: handed to :func:`story_terms`
    head_lengths: array = field(default_factory=lambda: array("i"))  # per article, how many of its
    # body terms are in the lead :func:`headlines` judges by (its first ``_HEADLINE_LEAD`` words)

    def lead_terms(self, i: int) -> list[str]:
        """The content terms of article ``i``'s body (its first ``body_words``) that the
        clustering computed, so the split need not tokenize and stem the body again."""
        return self._terms[self.body_terms[i]].tolist()

    def head_terms(self, i: int) -> list[str]:
        """The content terms of the lead :func:`headlines` reads of article ``i``: the first of
        its :meth:`lead_terms` (a cut at white space cuts no word)."""
        return self._terms[self.body_terms[i][: self.head_lengths[i]]].tolist()

    @cached_property
    def _terms(self) -> np.ndarray:
        """The vocabulary's terms as an array, so a list of ids becomes its terms in one step."""
        return np.array(self.state.vocabulary.terms, dtype=object)


def _bar(progress: bool, total: int, desc: str):
    return tqdm(total=total, desc=desc, disable=not progress, file=sys.stderr, leave=False)


_LABEL_CHARS = 400  # of a body kept for labelling events whose articles have no title


_FEATURE_BATCH = 500  # articles per map_ call for their features


def _vectors(articles: Iterable[Article], vocabulary: Vocabulary, params: Params, progress: bool,
             map_: Callable = map):
    """TF-IDF rows of the articles, read once, and light copies of them (body cut to what a
    label needs), so a caller may stream articles without holding every body at once. Each
    article's features are made by ``map_`` (:func:`article_features`, a batch ahead of the
    counting); the vocabulary counts them here, in order, so term ids are the same either way."""
    light: list[Article] = []
    body_at: list[np.ndarray] = []
    head_lengths = array("i")

    def batches():
        total = len(articles) if isinstance(articles, Sized) else None
        batch: list[tuple] = []
        for a in tqdm(articles, total=total, desc="Event features", disable=not progress, file=sys.stderr,
                      leave=False):
            light.append(Article(a.id, a.title, (a.body or "")[:_LABEL_CHARS], a.published, a.outlet))
            batch.append((a.title, a.body or "", params))  # cut to its lead there: the cut is a regex per word
            if len(batch) >= _FEATURE_BATCH:
                yield None, batch
                batch = []
        if batch:
            yield None, batch

    def docs():
        for _, results in work.ahead(map_, article_features, batches()):
            for counts, body, head in results:
                yield counts
                body_at.append(np.frombuffer(body, dtype=np.int32))
                head_lengths.append(head)

    counts = vocabulary.count(docs())
    # a row's ids are its distinct terms in order of first appearance, where body_at points
    body_terms = [counts.indices[start + at] for start, at in zip(counts.indptr[:-1].tolist(), body_at, strict=True)]
    x = vocabulary.weigh(counts, params.background_documents)
    return x, light, body_terms, head_lengths


def article_features(item: tuple[str | None, str, Params]) -> tuple[dict[str, int], array, int]:
    """In a worker (or not): the :func:`features` of an article (title, body, params) as counts,
    in order of first appearance (what :meth:`Vocabulary.count` makes of them: half the terms to
    send back, and no counting in the build process); where each of its body's content terms is
    among those counted terms; and how many of those are in the lead :func:`headlines` judges by."""
    title, body, params = item
    lead = first_words(body, params.body_words)
    head = first_words(lead, min(_HEADLINE_LEAD, params.body_words))  # a prefix of lead
    head_terms = content_terms(head)
    terms = head_terms + content_terms(lead[len(head):])
    title_terms = content_terms(title or "")
    counts = dict(Counter(_features(title, lead, terms, params, params.name_repeat, title_terms)))
    at = {t: i for i, t in enumerate(counts)}
    return counts, array("i", map(at.__getitem__, terms)), len(head_terms)


def group_dates(group_of, days, count: int) -> list[np.ndarray]:
    """Sorted finite days of each group 0..count-1: ``group_of`` and ``days`` (n_articles,), a list
    of ``count`` 1-d float arrays out."""
    group_of = np.asarray(group_of)
    days = np.asarray(days, dtype=float)
    dated = np.isfinite(days)
    group_of, days = group_of[dated], days[dated]
    order = np.lexsort((days, group_of))
    bounds = np.searchsorted(group_of[order], np.arange(count + 1))
    return [days[order[bounds[g] : bounds[g + 1]]] for g in range(count)]


def _ends(dates: list[np.ndarray]):
    """First and last day of each group (NaN when undated): two (n_groups,) float arrays."""
    lo = np.array([d[0] if len(d) else np.nan for d in dates])
    hi = np.array([d[-1] if len(d) else np.nan for d in dates])
    return lo, hi


def _member_sums(group_of: np.ndarray, count: int, x: sp.csr_matrix) -> sp.csr_matrix:
    """Summed rows of ``x`` (n_articles, n_terms) per group of ``group_of`` (n_articles,):
    (count, n_terms) float32 csr."""
    member = sp.csr_matrix(
        (np.ones(len(group_of), dtype=np.float32), (group_of, np.arange(len(group_of)))), shape=(count, len(group_of))
    )
    return sp.csr_matrix(member @ x)


def _renumber(roots: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Dense event numbers for the groups, ordered by first date (undated last), then first article:
    ``roots`` and ``days`` (n_articles,) in, (n_articles,) int out."""
    _, inverse = np.unique(roots, return_inverse=True)
    count = inverse.max() + 1 if len(inverse) else 0
    first_day = np.full(count, np.inf)
    np.minimum.at(first_day, inverse, np.where(np.isnan(days), np.inf, days))
    first_pos = np.full(count, len(roots))
    np.minimum.at(first_pos, inverse, np.arange(len(roots)))
    rank = np.empty(count, dtype=np.int64)
    rank[np.lexsort((first_pos, first_day))] = np.arange(count)
    return rank[inverse]


def _headline(article: Article) -> str | None:
    """The article's :func:`~.text.label`: its title, else its first sentence, less any dateline."""
    titled = bool(article.title and article.title.strip())
    sentences = [] if titled else split_sentences(article.body or "")
    return label(article.title, sentences[0] if sentences else None)


def _centrality(x: sp.csr_matrix, group_of: np.ndarray, count: int) -> np.ndarray:
    """Mean cosine of each article to the other articles of its event (NaN when alone): ``x``
    (n_articles, n_terms) csr, ``group_of`` (n_articles,) of ``count`` events; (n_articles,) float out.

    One sparse product for all events, in float64 on the float32 rows: the sum of an event's
    other rows is then exact, so two articles of a pair (or copies of one text) score exactly
    alike and the first of them leads, where float32 rounding used to pick one."""
    group_of = np.asarray(group_of)
    x = sp.csr_matrix(x, dtype=np.float64)
    others = _member_sums(group_of, count, x)[group_of] - x
    sizes = np.bincount(group_of, minlength=count)[group_of]
    dots = np.asarray(x.multiply(others).sum(axis=1)).ravel()
    return np.where(sizes > 1, dots / np.maximum(sizes - 1, 1), np.nan)


def _event_headlines(articles: list[Article], centrality: np.ndarray, group_of: np.ndarray,
                  wanted: set[int]) -> dict[int, str | None]:
    """Headline of each wanted event: that of its most central article, preferring
    articles that have a headline."""
    titled = np.array([bool(a.title and a.title.strip()) for a in articles], dtype=float)
    order = np.lexsort((-(np.nan_to_num(centrality) + 10 * titled), group_of))
    firsts = order[arrays.run_starts(group_of[order])]
    return {int(group_of[i]): _headline(articles[i]) for i in firsts if int(group_of[i]) in wanted}


_HEADLINE_LEAD = 50  # words of a body that judge how typical an article is of its group


def headlines(articles: Sequence[Article], group_of: Sequence[int], params: Params = Params()) -> dict[int, str | None]:
    """Headline of each group of these articles (the incidents of one story, a group a correction
    made): that of its most central article, titled ones first. Centrality is judged on the
    headline and lead (first 50 words) with rarity relative to these articles (:func:`story_vectors`):
    the lead carries the incident, and the whole body would cost as much again as the split."""
    return story_headlines([(articles, group_of)], params)[0]


def headline_copy(article: Article) -> Article:
    """What :func:`story_headlines` reads of an article, to hand it to a worker: its title and,
    for a titled one, its lead (the first ``_HEADLINE_LEAD`` words, which :func:`first_words`
    gives again from them); an untitled one keeps its body, whose first sentence labels it."""
    titled = bool(article.title and article.title.strip())
    body = first_words(article.body or "", _HEADLINE_LEAD) if titled else article.body
    return Article(article.id, article.title, body)


def story_headlines(stories: Sequence[tuple[Sequence[Article], Sequence[int]]], params: Params = Params(),
                    head_terms: Sequence[Sequence[Sequence[str] | None]] | None = None) -> list[dict[int, str | None]]:
    """:func:`headlines` of several stories (each its articles and their groups) at once: one
    vocabulary, one matrix and one centrality for all of them, each story's rarity still its own,
    since a build labels thousands of small stories and per-story matrices cost more than the sums.
    ``head_terms[s][i]``, when given and not None, is the :meth:`Clustering.head_terms` of article
    ``i`` of story ``s``: its lead is then not tokenized again (the labels are the same)."""
    articles: list[Article] = []
    given: list[Sequence[str] | None] = []
    group_parts, story_parts, offsets = [], [], []
    offset = 0  # each story's groups numbered on from the last story's
    for s, (members, group_of) in enumerate(stories):
        groups = np.asarray(group_of, dtype=np.int64)
        articles.extend(members)
        given.extend(head_terms[s] if head_terms is not None else [None] * len(members))
        group_parts.append(groups)
        story_parts.append(np.full(len(groups), s))
        offsets.append(offset)
        offset += int(groups.max()) + 1 if len(groups) else 0
    if not articles:
        return [{} for _ in stories]
    groups = np.concatenate([g + o for g, o in zip(group_parts, offsets, strict=True)])
    story_of = np.concatenate(story_parts)
    count = int(groups.max()) + 1
    shared = np.bincount(groups, minlength=count)[groups] > 1  # articles whose group has others
    centrality = np.full(len(groups), np.nan)  # an article alone in its group needs no vector
    if shared.any():
        rows = np.flatnonzero(shared)
        leads = [Article(articles[i].id, articles[i].title, first_words(articles[i].body or "", _HEADLINE_LEAD))
                 for i in rows]
        x = _stories_matrix([_story_terms(a, params, given[i]) for a, i in zip(leads, rows, strict=True)],
                            story_of[rows], SplitParams())[0]
        centrality[rows] = _centrality(x, groups[rows], count)
    named = _event_headlines(articles, centrality, groups, set(groups.tolist()))
    return [{int(g): named[int(g) + o] for g in set(part.tolist())}
            for part, o in zip(group_parts, offsets, strict=True)]


def cluster(articles: Iterable[Article], params: Params = Params(), progress: bool = False,
            labels: bool = True, map_: Callable = map) -> Clustering:
    """Cluster ``articles`` from scratch; events are numbered by first date (undated last).
    ``labels=False`` leaves ``headlines`` empty: the store labels stories by their events. ``map_``
    (the builtin's signature) makes the articles' features and runs the candidate search's tasks
    (:func:`_search`): the result is the same whatever runs them."""
    vocabulary = Vocabulary()
    x, light, body_terms, head_lengths = _vectors(articles, vocabulary, params, progress, map_)
    days = np.array([day_number(a.published) for a in light])
    n = len(light)
    groups = _Groups(x, np.ones(n), group_dates(np.arange(n), days, n), np.zeros(n, dtype=bool))
    pruned = _prune(x, (vocabulary.df >= 2) & (vocabulary.df <= params.max_df), params.candidate_terms)
    qi, ri = _search(pruned, days, pruned, days, days, params, True, map_, progress)
    if len(qi):
        qi, ri = _unordered_pairs(qi, ri)
    with _bar(progress, n, "Event merges") as bar:
        roots = _agglomerate(groups, (qi, ri), _row_dots(x, x, qi, ri), params, bar)
    event_of = _renumber(roots, days)
    count = int(event_of.max()) + 1 if n else 0
    sums = _member_sums(event_of, count, x)
    state = EventState(vocabulary, _prune(sums, np.ones(x.shape[1], bool), params.state_terms),
                       np.bincount(event_of, minlength=count).astype(float), group_dates(event_of, days, count),
                       params)
    named = (_event_headlines(light, _centrality(x, event_of, count), event_of, set(range(count)))
             if labels else {})
    return Clustering(event_of.tolist(), named, state, light, body_terms, head_lengths)


def assign(articles: Iterable[Article], state: EventState, progress: bool = False,
           labels: bool = True, map_: Callable = map) -> Clustering:
    """Assign new articles to the events of ``state`` or to new events (rows from the old event
    count on), without clustering the old articles again: old events enter the agglomeration as
    fixed groups that may take new articles but never merge with each other. ``map_`` as for
    :func:`cluster`."""
    params = state.params
    vocabulary = Vocabulary(state.vocabulary.terms, state.vocabulary.df, state.vocabulary.documents)
    x, light, body_terms, head_lengths = _vectors(articles, vocabulary, params, progress, map_)
    old = state.sums.shape[0]
    n = len(light)
    sums = sp.csr_matrix(state.sums, shape=(old, x.shape[1]), dtype=np.float32)
    days = np.array([day_number(a.published) for a in light])
    nodes = sp.vstack([sums, x], format="csr")
    groups = _Groups(nodes, np.r_[state.sizes, np.ones(n)], state.dates + group_dates(np.arange(n), days, n),
                     np.r_[np.ones(old, bool), np.zeros(n, bool)])
    keep = (vocabulary.df >= 2) & (vocabulary.df <= params.max_df)
    pruned = _prune(x, keep, params.candidate_terms)
    # events ranked by mean cosine over the new article's distinctive terms: all of each event's
    # kept terms count, since a few thousand events cost little next to the light
    means = sp.csr_matrix(sp.diags(1 / np.maximum(state.sizes, 1)) @ sums, dtype=np.float32)
    old_lo, old_hi = _ends(state.dates)
    new_q, new_r = _search(pruned, days, pruned, days, days, params, True, map_, progress)
    old_q, old_r = _search(pruned, days, means, old_lo, old_hi, params, False, map_, progress)
    qi = np.r_[new_q + old, old_q + old]
    ri = np.r_[new_r + old, old_r]
    if len(qi):
        qi, ri = _unordered_pairs(qi, ri)
    with _bar(progress, n, "Event merges") as bar:
        roots = _agglomerate(groups, (qi, ri), _row_dots(nodes, nodes, qi, ri), params, bar)
    new_roots = roots[old:]
    fresh = new_roots >= old
    event_of = new_roots.copy()
    if fresh.any():
        event_of[fresh] = old + _renumber(new_roots[fresh], days[fresh])
    count = int(event_of.max(initial=old - 1)) + 1
    dates = [np.sort(np.concatenate(pair)) for pair in
             zip(state.dates + [np.zeros(0)] * (count - old), group_dates(event_of, days, count),
                 strict=True)]
    previous = sums.copy()
    previous.resize((count, x.shape[1]))
    added = _member_sums(event_of, count, x)
    sizes = np.bincount(event_of, minlength=count).astype(float)
    sizes[:old] += state.sizes
    kept = _prune(added + previous, np.ones(x.shape[1], bool), params.state_terms)
    new_state = EventState(vocabulary, kept, sizes, dates, params)
    # centrality of the new light among themselves
    named = (_event_headlines(light, _centrality(x, event_of, count), event_of, set(range(old, count)))
             if labels else {})
    return Clustering(event_of.tolist(), named, new_state, light, body_terms, head_lengths)


# --------------------------------------------------------------------------
# Incidents within a story


@dataclass(frozen=True)
class SplitParams:
    """How a story is cut into incidents; chosen on ECB+ dev, DUC 2004 clusters, WikiRef220 topics
    and the seeds together (``bench/events.py --incidents``)."""

    threshold: float = 0.065  # mean story-relative cosine two groups of a story need to be one incident
    separation: float = 0.4  # then parts stay apart only if their mean cosine is below this share of
    # their own cohesion (mean cosine inside them)
    max_parts: int = 300  # the separation test compares all parts of a story: at most this many
    name_weight: float = 2.0  # participants and places ("@peskov", "@belgorod") against plain words
    number_weight: float = 2.0  # figures and years ("#2005", "#4200")
    phrase_weight: float = 1.5  # two content words in a row ("~drone oper", "~attack kremlin")
    frames: bool = True  # undated articles whose frames differ ("^kremlin", "^moscow") are never one incident
    background: int = 3  # unseen articles in the story's IDF, so a term all articles share weighs a little
    time_weight: float = 0.0  # per log1p(days apart): within a story dates cost DUC clusters recall
    horizon_days: float = 60  # dated articles further apart are never one incident, even in one story
    max_pairs: int = 200_000  # stories larger than ~630 articles compare candidate pairs only


_LEDE_WORDS = 80  # of an untitled body read for its first sentence

_EVENT_NOUN = (r"(?i:attacks?|strikes?|raids?|incursions?|explosions?|blasts?|bombings?|shootings?|"
               r"(?:earth)?quakes?|(?:wild)?fires?|crash(?:es)?|assaults?|killings?|murders?|invasion|"
               r"offensive|hurricane|floods?|flooding|hijacking|siege)")
_FRAME_NAME = r"([A-Z][\w'’.-]*)"
_FRAMES = (  # "attack on the Kremlin", "Moscow drone attack"
    re.compile(rf"\b{_EVENT_NOUN}\s+(?i:on|against|at|in|into|near|inside|targeting)\s+(?:the\s+)?{_FRAME_NAME}"),
    re.compile(rf"{_FRAME_NAME}\s+(?:[a-z][\w-]*[^\Ws]\s+)?{_EVENT_NOUN}\b"))  # not "Kan names quake"
_DEMONYM = re.compile(r"(?:ian|ese|ish|ean|can|i)$")  # "Ukrainian attack": who, not where


def frames(text: str) -> list[str]:
    """The places or targets the event nouns of ``text`` attach to, as terms: "the attack on the
    Kremlin's Senate Palace", "Kremlin drone attack" give "^kremlin", "Belgorod's incursion"
    "^belgorod". A nationality ("Ukrainian attack") names who, not where, and is left out; so
    is a stop word ("A Huge Fire" of a title in title case)."""
    out = []
    for m in (m for pattern in _FRAMES for m in pattern.finditer(text)):
        name = re.sub(r"'s?$", "", m.group(1).rstrip(".").replace("’", "'"))
        if name and not _DEMONYM.search(name.lower()) and name.lower() not in stop_words():
            out.append("^" + name.lower())
    return sorted(set(out))


def phrases(terms: Sequence[str]) -> list[str]:
    """Adjacent content terms as one term, stop words already gone: "training for drone operators"
    gives "~train drone" and "~drone oper", "the attack on the Kremlin" "~attack kremlin", so the
    place or target an event word attaches to becomes a term of its own. A pair across a sentence
    end is noise that seldom recurs, and a term of one article weighs nothing in a story."""
    return [f"~{a} {b}" for a, b in zip(terms, terms[1:], strict=False) if a != b]


def story_terms(articles: Sequence[Article], params: Params = Params(),
                lead_terms: Sequence[Sequence[str] | None] | None = None) -> list[list[str]]:
    """The terms :func:`split_story` compares each article of a story by. ``lead_terms[i]``, when
    given and not None, is article ``i``'s body content terms as the story clustering made them
    (:meth:`Clustering.lead_terms`): the same list, not tokenized and stemmed a second time."""
    given = lead_terms if lead_terms is not None else [None] * len(articles)
    return [_story_terms(a, params, t) for a, t in zip(articles, given, strict=True)]


def _story_terms(article: Article, params: Params, lead_terms: Sequence[str] | None = None) -> list[str]:
    """An article's terms for the split: :func:`features` and the phrases of its title and of its
    body's content terms (the run that :func:`features` puts after the repeated title, before the
    names and numbers). An untitled article's first sentence stands in for its title, as the lede
    names the incident."""
    title = _heading(article)
    lead = first_words(article.body or "", params.body_words)
    terms = _features(title, lead, content_terms(lead) if lead_terms is None else list(lead_terms), params, 1)
    heading = content_terms(title or "")
    start = len(heading) * params.title_repeat
    end = next((i for i in range(start, len(terms)) if terms[i][0] in "@#"), len(terms))
    return terms + phrases(heading) + phrases(terms[start:end])


def _heading(article: Article) -> str | None:
    """The title, or for an untitled article its first sentence, which names the incident too."""
    if article.title and article.title.strip():
        return article.title
    lede = split_sentences(first_words(article.body or "", _LEDE_WORDS))
    return lede[0] if lede else None


def _frames_of(article: Article, params: Params) -> frozenset[str]:
    """An article's frames ("^kremlin": the targets the event nouns of its title and first sentence
    attach to, if its body names them too: a title in title case capitalizes anything) and the
    capitalized words of its title and first sentence ("=wellington"); nothing for an article
    whose opening frames nothing."""
    top = first_words(article.body or "", min(_LEDE_WORDS, params.body_words))  # cut short first
    if not frames(f"{article.title or ''}\n{top}"):
        return frozenset()  # most articles: no framed event noun near the top, no sentence splitting
    body = first_words(article.body or "", params.body_words)
    lede = split_sentences(top)[:1]
    opening = "\n".join([_heading(article) or "", *lede])
    framing = frames(opening)
    if framing:
        named = {w for sentence in split_sentences(body) if not _title_case(sentence)
                 for run in name_terms(sentence) for w in run[1:].split()}
        framing = [t for t in framing if t[1:] in named]
    return frozenset(framing) | {"=" + w.lower() for w in words(opening) if w[:1].isupper()}


def _title_case(text: str) -> bool:
    """A headline-like line ("Palin's Church Damaged In Suspicious Fire"), whose capitals name nothing."""
    capitals = [w[:1].isupper() for w in words(text) if w[:1].isalpha() and w.lower() not in stop_words()]
    return len(capitals) >= 3 and sum(capitals) > 0.7 * len(capitals)


def _framing(article: Article, day: float, params: Params, split: SplitParams) -> frozenset[str]:
    """What :func:`_apart` compares: the article's frames, "!" if it is undated; nothing when
    ``split.frames`` is off."""
    if not split.frames:
        return frozenset()
    return _frames_of(article, params) | ({"!"} if not np.isfinite(day) else set())


def _apart(first: frozenset[str], second: frozenset[str]) -> bool:
    """Two framed articles or parts whose event nouns attach to different targets ("the attack on
    the Kremlin", "the Moscow drone attack") report different incidents, unless the title or
    first sentence of one names the other's targets too (a "Waitrose fire" "at a Waitrose store in
    Wellington" is the other report's "Wellington fire"), or both are dated: then the event
    words of one often recall an earlier incident ("last August's raid on Afghanistan" in a
    report on the embassy bombings' suspect), and dates tell incidents apart (``horizon_days``).
    An undated article or part carries "!" in its frames."""
    targets = [{t[1:] for t in f if t[:1] == "^"} for f in (first, second)]
    if not (targets[0] and targets[1]) or targets[0] & targets[1] or "!" not in first | second:
        return False
    named = [{t[1:] for t in f if t[:1] == "="} for f in (first, second)]
    return not (targets[1] <= named[0] or targets[0] <= named[1])


class _FramedGroups(_Groups):
    """Groups of a story that never join across different frames (:func:`_apart`)."""

    def __init__(self, sums, sizes, dates, fixed, frames: list[frozenset[str]]):
        super().__init__(sums, sizes, dates, fixed)
        self.frames = list(frames)

    def score(self, a: int, b: int, dot: float, params: Params, penalty: float | None = None) -> float:
        return -math.inf if _apart(self.frames[a], self.frames[b]) else super().score(a, b, dot, params, penalty)

    def scores(self, a: np.ndarray, b: np.ndarray, dots: np.ndarray, params: Params) -> np.ndarray:
        out = super().scores(a, b, dots, params)
        out[[_apart(self.frames[i], self.frames[j]) for i, j in zip(a.tolist(), b.tolist(), strict=True)]] = -math.inf
        return out

    def merge(self, a: int, b: int) -> int:
        kept = super().merge(a, b)
        self.frames[kept] = self.frames[a] | self.frames[b]
        return kept


def _kind_weights(terms: Sequence[str], split: SplitParams) -> np.ndarray:
    """Weight of each term by its kind (its first character): (n_terms,) float32."""
    first = np.array([t[:1] for t in terms], dtype="<U1")
    weights = np.ones(len(terms), dtype=np.float32)
    weights[first == "@"] = split.name_weight
    weights[first == "#"] = split.number_weight
    weights[first == "~"] = split.phrase_weight
    return weights


def story_vectors(articles: Sequence[Article], params: Params = Params(),
                  split: SplitParams = SplitParams(), terms: Sequence[list[str]] | None = None) -> sp.csr_matrix:
    """TF-IDF rows with rarity judged against the story itself: a term every article of the
    story carries weighs little, one that a few share weighs most, and one that a single article
    has is dropped, since it tells no pair apart and only dilutes the cosine (more so in long
    articles). Names, numbers and two-word phrases count as terms too; ``terms`` are the articles'
    :func:`story_terms` when the caller has them. (n_articles, n_terms) csr."""
    return _story_matrix(articles, params, split, terms)[0]


def _story_matrix(articles: Sequence[Article], params: Params, split: SplitParams,
                  terms: Sequence[list[str]] | None = None) -> tuple[sp.csr_matrix, list[str]]:
    """:func:`story_vectors` and the term of each column."""
    docs = terms if terms is not None else [_story_terms(a, params) for a in articles]
    return _stories_matrix(docs, np.zeros(len(docs), dtype=np.int64), split)


def _stories_matrix(terms: Sequence[list[str]], story_of: np.ndarray,
                    split: SplitParams) -> tuple[sp.csr_matrix, list[str]]:
    """:func:`story_vectors` of the articles of one or more stories, from their terms, rarity judged
    in each article's own story (``story_of``, (n_articles,) int): (n_articles, n_terms) csr and
    the term of each column (one vocabulary over them all)."""
    vocabulary = Vocabulary()
    counts = vocabulary.count(terms)
    m = sp.csr_matrix(counts, shape=(counts.shape[0], len(vocabulary.terms)), dtype=np.float32, copy=True)
    entry_story = np.asarray(story_of, dtype=np.int64)[np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))]
    _, inverse, df = np.unique(entry_story * len(vocabulary.terms) + m.indices, return_inverse=True,
                               return_counts=True)
    df = df[inverse]  # articles of the entry's story that have its term
    documents = np.bincount(story_of)[entry_story]
    idf = np.log((1 + documents + split.background) / (1 + df)).astype(np.float32)
    idf[df < 2] = 0
    m.data = (1 + np.log(m.data)) * (idf * _kind_weights(vocabulary.terms, split)[m.indices])
    m.eliminate_zeros()
    return _normalize(m), vocabulary.terms


def split_story(articles: Sequence[Article], params: Params = Params(), split: SplitParams = SplitParams(),
                fixed: Sequence[int] | None = None, terms: Sequence[list[str]] | None = None) -> list[int]:
    """The incident of each article of one story: 0.. per article, in input order.

    ``fixed[i]`` is the existing incident (>= 0) of article ``i`` or -1 for a new article; under
    ``--add`` existing incidents keep their members and never merge with each other, new articles
    join one of them or form new incidents, numbered on from the highest fixed one by first date.
    Without ``fixed`` every article is new and incidents are numbered 0.. by first date. ``terms``
    are the articles' :func:`story_terms` when the caller has them (the result is the same)."""
    n = len(articles)
    fixed_of = np.full(n, -1) if fixed is None else np.asarray(fixed, dtype=np.int64)
    new = np.flatnonzero(fixed_of < 0)
    old = int(fixed_of.max()) + 1 if len(new) < n else 0
    if len(new) == 0 or (n == 1 and old == 0):
        return [max(int(i), 0) for i in fixed_of]  # nothing to compare: most stories are one article
    if terms is None:
        terms = story_terms(articles, params)  # once: the pair test and the vectors both read them
    if n == 2 and _pair_is_one(articles, terms, params, split):
        return [max(int(fixed_of.max()), 0)] * 2
    x, columns = _story_matrix(articles, params, split, terms)
    days = np.array([day_number(a.published) for a in articles])
    params = replace(params, threshold=split.threshold, time_weight=split.time_weight,
                     horizon_days=min(params.horizon_days, split.horizon_days))
    # nodes: one per existing incident (its summed rows; the numbers given need not be dense), then
    # one per new article
    held = np.flatnonzero(fixed_of >= 0)
    ids, dense = np.unique(fixed_of[held], return_inverse=True)
    if len(held):
        member = sp.csr_matrix((np.ones(len(held), dtype=np.float32), (dense, held)), shape=(len(ids), n))
        nodes = sp.vstack([member @ x, x[new]], format="csr")
    else:
        nodes = x  # a full build: every article new, the rows as they are
    sizes = np.r_[np.bincount(dense, minlength=len(ids)), np.ones(len(new))].astype(float)
    dates = group_dates(dense, days[held], len(ids)) + [days[[i]][np.isfinite(days[[i]])] for i in new]
    framed = [_framing(a, d, params, split) for a, d in zip(articles, days, strict=True)]
    node_frames = [frozenset().union(*(framed[i] for i in held[dense == g])) for g in range(len(ids))]
    groups = _FramedGroups(nodes, sizes, dates, np.r_[np.ones(len(ids), bool), np.zeros(len(new), bool)],
                           node_frames + [framed[i] for i in new])
    count = nodes.shape[0]
    if count * (count - 1) // 2 <= split.max_pairs:
        qi, ri = np.triu_indices(count, k=1)
    else:
        lo, hi = _ends(dates)
        qi, ri = _candidates(nodes, lo, hi, nodes, lo, hi, params, same=True)
        qi, ri = _unordered_pairs(qi, ri)
    roots = _agglomerate(groups, (qi, ri), _row_dots(nodes, nodes, qi, ri), params)
    joined = roots[len(ids):]
    part = fixed_of.copy()  # existing incidents by their numbers, new groups numbered from ``old`` up
    part[new] = np.where(joined < len(ids), ids[np.minimum(joined, len(ids) - 1)] if len(ids) else 0, old + joined)
    part = _merge_close_parts(x, part, part < old, days, split, framed)
    part = _attach_unframed(x, columns, part, fixed_of < 0, framed)
    out = part.copy()
    fresh = part >= old
    if fresh.any():
        out[fresh] = old + _renumber(part[fresh], days[fresh])
    return out.tolist()


def _attach_unframed(x: sp.csr_matrix, terms: Sequence[str], part: np.ndarray, free: np.ndarray,
                     framed: Sequence[frozenset[str]]) -> np.ndarray:
    """Where frames keep a story's incidents apart, a new article with no frame of its own (an
    untitled statement about "the drone strike") joins the incident whose framed articles share
    the most of its phrases ("drone operators", "Foreign Ministry"): the story's single words and
    names (Russia, NATO, Putin) are everyone's, so they tell little about which incident it follows.
    ``x`` (n, n_terms) csr and the term of each column; ``part``, ``free`` (n,); parts out (n,)."""
    has = np.array([any(t[:1] == "^" for t in f) for f in framed], dtype=bool)
    ids = arrays.distinct(part[has])
    framing = np.flatnonzero(has).tolist()
    if len(ids) < 2 or not any(_apart(framed[i], framed[j]) for i in framing for j in framing
                               if part[i] != part[j]):
        return part
    phrase = np.array([t[:1] == "~" for t in terms], dtype=bool)
    y = x[:, np.flatnonzero(phrase)]
    out = part.copy()
    for i in np.flatnonzero(free & ~has):
        shared = np.asarray((y[has] @ y[i].T).todense()).ravel()
        means = np.array([shared[part[has] == p].mean() for p in ids])
        if means.max() > 0:
            out[i] = ids[int(np.argmax(means))]
    return out


def _pair_is_one(articles: Sequence[Article], terms: Sequence[list[str]], params: Params,
                 split: SplitParams) -> bool:
    """Whether a two-article story is one incident without building its vectors: the separation
    test holds two lone articles to their own mean, so they join whenever they share a term that
    weighs (any the story's IDF counts, with a background, and whose kind weighs)."""
    if split.separation > 1 or split.background <= 0:
        return False
    first, second = (set(t) for t in terms)
    if _apart(*(_framing(a, day_number(a.published), params, split) for a in articles)):
        return False
    shared = sorted(first & second)
    return bool(shared) and bool((_kind_weights(shared, split) > 0).any())


def _merge_close_parts(x: sp.csr_matrix, part: np.ndarray, fixed: np.ndarray, days: np.ndarray,
                       split: SplitParams, framed: Sequence[frozenset[str]]) -> np.ndarray:
    """Join parts of a story that are not well separated: best pair first, while the mean cosine
    between two parts is at least ``separation`` times their cohesion (the mean cosine inside
    each, averaged; a lone article has none, and a pair of them is held to the story's own mean).
    One threshold serves a story whose articles are all alike as badly as one whose incidents
    share little: this asks how far apart two parts are next to how tight they are. Two parts
    with fixed articles never join, nor two whose dated articles are all more than
    ``horizon_days`` apart; a joined part keeps the fixed part's number. ``x`` (n, n_terms) csr,
    ``part``, ``fixed`` and ``days`` (n,); the parts' numbers out, (n,) int."""
    ids, inverse = np.unique(part, return_inverse=True)
    k, n = len(ids), len(part)
    if k < 2 or k > split.max_parts:
        return part
    member = sp.csr_matrix((np.ones(n), (inverse, np.arange(n))), shape=(k, n))
    sums = member @ x.astype(np.float64)
    dots = (sums @ sums.T).toarray()  # bilinear, so joining two parts adds their rows and columns
    squares = member @ np.asarray(x.multiply(x).sum(axis=1)).ravel()  # each part's articles' self-cosines
    sizes = np.bincount(inverse, minlength=k).astype(float)
    pinned = np.zeros(k, dtype=bool)
    np.logical_or.at(pinned, inverse, fixed)
    lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
    dated = np.isfinite(days)
    np.minimum.at(lo, inverse[dated], days[dated])
    np.maximum.at(hi, inverse[dated], days[dated])
    frames_of = [frozenset().union(*(framed[i] for i in np.flatnonzero(inverse == g).tolist())) for g in range(k)]
    apart = np.array([[_apart(f, g) for g in frames_of] for f in frames_of], dtype=bool).reshape(k, k)
    story_mean = (dots.sum() - squares.sum()) / (n * (n - 1))
    alive = np.ones(k, dtype=bool)
    target = np.arange(k)
    for _ in range(k - 1):
        tight = sizes > 1
        cohesion = np.where(tight, np.diag(dots) - squares, 0) / np.where(tight, sizes * (sizes - 1), 1)
        counted = tight[:, None].astype(float) + tight[None, :]
        pair = np.where(counted > 0, (cohesion[:, None] + cohesion[None, :]) / np.maximum(counted, 1), story_mean)
        ratio = np.where(pair > 0, dots / np.outer(sizes, sizes) / np.where(pair > 0, pair, 1), -np.inf)
        both = np.isfinite(lo)[:, None] & np.isfinite(lo)[None, :]
        gap = np.where(both, np.maximum(lo[None, :] - hi[:, None], lo[:, None] - hi[None, :]), 0)
        blocked = (~(alive[:, None] & alive[None, :]) | (pinned[:, None] & pinned[None, :]) | np.eye(k, dtype=bool)
                   | (gap > split.horizon_days) | apart)
        ratio[blocked] = -np.inf
        a, b = np.unravel_index(np.argmax(ratio), ratio.shape)
        if ratio[a, b] < split.separation:
            break
        if pinned[b] and not pinned[a]:
            a, b = b, a
        dots[a] += dots[b]
        dots[:, a] += dots[:, b]
        sizes[a] += sizes[b]
        squares[a] += squares[b]
        pinned[a] |= pinned[b]
        lo[a], hi[a] = min(lo[a], lo[b]), max(hi[a], hi[b])
        frames_of[a] |= frames_of[b]
        apart[a] = apart[:, a] = [_apart(frames_of[a], f) for f in frames_of]
        alive[b] = False
        target[target == b] = a
    return ids[target[inverse]]
