"""What update_events was made cheaper by (issue 11, scale target) gives what the slower code gave:
the vocabulary's counts, the time penalty's shortcuts, labels for many stories at once, and a
clustering that skips its own labels."""

import math

import numpy as np
import pytest
from test_incidents import KESSARIA, OSTERBY, SORVIK, TAMBER

from datasette_newsdigest import events
from datasette_newsdigest.events import Article

GARISSA = [
    Article("a", "Rebels attack the market town of Garissa",
            "Rebels attacked the market town of Garissa on Monday, killing four people and burning shops in "
            "the town centre.", "2025-03-03", "AP"),
    Article("b", "Garissa market attacked by gunmen",
            "Gunmen attacked a market in the town of Garissa, police said, killing four and setting shops "
            "alight near the centre.", "2025-03-03", "Reuters"),
]


def _counted_term_by_term(docs):
    """The vocabulary's counts as Vocabulary.count made them before: one dictionary step per term."""
    index, terms, rows = {}, [], []
    for doc in docs:
        counts = {}
        for term in doc:
            if term not in index:
                index[term] = len(terms)
                terms.append(term)
            counts[index[term]] = counts.get(index[term], 0) + 1
        rows.append(counts)
    return terms, rows


def test_vocabulary_counts_as_term_by_term():
    docs = [events.features(a.title, a.body) for a in KESSARIA + TAMBER + SORVIK + OSTERBY]
    docs.insert(2, [])
    docs.append(["x", "y", "x", "x"])
    vocabulary = events.Vocabulary()
    m = vocabulary.count(docs)
    terms, rows = _counted_term_by_term(docs)
    assert vocabulary.terms == terms and vocabulary.documents == len(docs)
    for i, counts in enumerate(rows):
        start, end = m.indptr[i], m.indptr[i + 1]
        assert m.indices[start:end].tolist() == list(counts)  # ids in order of first appearance
        assert m.data[start:end].tolist() == list(counts.values())
    assert vocabulary.df.tolist() == [sum(t in c for c in rows) for t in range(len(terms))]
    more = vocabulary.count([["y", "z"]])  # going on from a vocabulary keeps its ids
    assert vocabulary.terms == [*terms, "z"] and more.indices.tolist() == [terms.index("y"), len(terms)]


def _mean_penalty_in_full(a, b, params):
    """The mean time penalty over every sampled pair, with no shortcut."""
    if not len(a) or not len(b):
        return 0.0
    if len(a) > events._DATE_SAMPLE:
        a = a[np.linspace(0, len(a) - 1, events._DATE_SAMPLE).astype(int)]
    if len(b) > events._DATE_SAMPLE:
        b = b[np.linspace(0, len(b) - 1, events._DATE_SAMPLE).astype(int)]
    return float(events.time_penalty(a[:, None] - b[None, :], params).mean())


@pytest.mark.parametrize("weight", [0.0, 0.015])
def test_time_penalty_shortcuts_equal_the_full_mean(weight):
    rng = np.random.default_rng(1)
    params = events.Params(time_weight=weight, horizon_days=60)
    for _ in range(300):
        a = np.sort(rng.integers(0, 200, rng.integers(1, 40)).astype(float))
        b = np.sort(rng.integers(0, 200, rng.integers(1, 40)).astype(float) + rng.choice([0, 100, 300]))
        assert events._mean_time_penalty(a, b, params) == _mean_penalty_in_full(a, b, params)
    within, beyond = np.array([1.0, 5.0, 30.0]), np.array([200.0, 260.0])
    assert events._mean_time_penalty(within, within + 20, params) == (0.0 if weight == 0 else pytest.approx(
        _mean_penalty_in_full(within, within + 20, params)))
    assert events._mean_time_penalty(within, beyond, params) == 1.0
    assert events._mean_time_penalty(within, np.zeros(0), params) == 0.0
    assert not math.isnan(events._mean_time_penalty(within, np.array([61.0]), params))


def test_the_first_of_an_equally_central_pair_leads():
    """Two articles of one event are each as central as the other: the first leads, whichever it
    is (float32 rounding picked the same article in both orders before)."""
    assert events.headlines(GARISSA, [0, 0]) == {0: GARISSA[0].title}
    assert events.headlines(GARISSA[::-1], [0, 0]) == {0: GARISSA[1].title}
    copies = [Article(f"copy-{i}", f"Copy {i}", KESSARIA[0].body) for i in range(3)]
    assert events.headlines(copies + [KESSARIA[1]], [0, 0, 0, 0]) == {0: "Copy 0"}


def test_story_headlines_label_each_story_as_alone():
    stories = [
        (KESSARIA + TAMBER, [0, 0, 0, 1, 1]),
        (SORVIK, [0] * len(SORVIK)),
        ([OSTERBY[0]], [0]),
        (OSTERBY, list(range(len(OSTERBY)))),  # each its own event: no vectors needed
        (GARISSA + KESSARIA[:1], [1, 1, 0]),
    ]
    together = events.story_headlines(stories)
    assert together == [events.headlines(arts, groups) for arts, groups in stories]
    for (arts, groups), named in zip(stories, together, strict=True):  # a member's title each
        assert named == {g: named[g] for g in set(groups)}
        assert all(named[g] in {a.title for a, h in zip(arts, groups, strict=True) if h == g} for g in named)
    assert events.story_headlines([]) == []
    assert events.story_headlines([([], [])]) == [{}]


def test_story_rarity_stays_each_storys_own():
    """One matrix for several stories weighs each term by its own story's articles, as one matrix
    per story did."""
    stories = [KESSARIA + TAMBER, SORVIK, OSTERBY]
    terms = [events.story_terms(s) for s in stories]
    together, columns = events._stories_matrix([t for ts in terms for t in ts],
                                              np.repeat(np.arange(3), [len(s) for s in stories]),
                                              events.SplitParams())
    start = 0
    for story in stories:
        alone = events.story_vectors(story)
        rows = together[start:start + len(story)]
        start += len(story)
        names = events._story_matrix(story, events.Params(), events.SplitParams())[1]
        for i in range(len(story)):
            got = {columns[c]: v for c, v in zip(rows[i].indices, rows[i].data, strict=True)}
            want = {names[c]: v for c, v in zip(alone[i].indices, alone[i].data, strict=True)}
            assert got.keys() == want.keys()
            assert all(got[t] == pytest.approx(want[t], rel=1e-6) for t in got)


def test_cluster_without_labels_groups_the_same():
    articles = KESSARIA + TAMBER + SORVIK + OSTERBY + GARISSA
    labelled, bare = events.cluster(articles), events.cluster(articles, labels=False)
    assert bare.event_of == labelled.event_of and bare.headlines == {} and labelled.headlines
    added = events.assign(GARISSA, bare.state, labels=False)
    assert added.event_of == events.assign(GARISSA, labelled.state).event_of and added.headlines == {}


@pytest.mark.parametrize("body_words", [400, 30])
def test_labels_read_the_clusterings_lead_terms(body_words):
    """The lead labels are judged by comes from the terms the story clustering made: the same
    terms as tokenizing the lead again, and so the same labels."""
    from test_split_cost import LONG, UNTITLED

    from datasette_newsdigest.text import content_terms

    params = events.Params(body_words=body_words)
    articles = KESSARIA + TAMBER + [LONG, UNTITLED] + GARISSA
    clustering = events.cluster(articles, params)
    for i, article in enumerate(articles):
        lead = events.first_words(article.body, min(events._HEADLINE_LEAD, body_words))
        assert clustering.head_terms(i) == content_terms(lead)
        assert clustering.lead_terms(i)[: len(clustering.head_terms(i))] == clustering.head_terms(i)
    stories = [(articles[:5], [0, 0, 0, 1, 1]), (articles[5:], [0, 0, 1, 1])]
    heads = [[clustering.head_terms(i) for i in range(5)], [clustering.head_terms(i) for i in range(5, 9)]]
    assert events.story_headlines(stories, params, heads) == events.story_headlines(stories, params)
