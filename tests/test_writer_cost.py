"""The writer's part of update_events made cheaper (issue 14): what the workers now make for it
(counted features, the label batches' article copies) is what it made itself, and the agglomeration's
shortcuts (scores of many pairs in numpy, pairs left unscored by a bound) group exactly as before."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp
from test_incidents import KESSARIA, SORVIK, TAMBER

from datasette_newsdigest import events
from datasette_newsdigest.events import Article


def test_labels_from_headline_copies_are_the_labels():
    """What a label batch hands to a worker (events.headline_copy: a titled article's first 50
    words, an untitled one's body) labels as the whole articles do; the story below is one whose
    most central article changes when the leads are cut shorter."""
    rng = random.Random(14)

    def made_up(n: int) -> list[str]:
        return ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4)) for _ in range(n)]

    shared, own = made_up(10), [made_up(60) for _ in range(3)]
    first = Article("a", "Alpha report", " ".join(own[0][:40] + shared + own[0][40:]))
    second = Article("b", "Beta report", " ".join(own[1][:40] + shared + own[1][40:]))
    third = Article("c", "Gamma report", " ".join(own[0][:20] + own[2]))
    untitled = Article("u", None, "SORVIK, Norway — " + " ".join(made_up(70)) + ". " + " ".join(made_up(30)) + ".")
    stories = [([third, first, second], [0, 0, 0]), ([untitled, *SORVIK], [0] * (len(SORVIK) + 1)),
               (KESSARIA + TAMBER, [0, 0, 0, 1, 1]), ([Article("n", "No body", None)], [0])]
    copies = [([events.headline_copy(a) for a in arts], groups) for arts, groups in stories]
    assert events.story_headlines(copies) == events.story_headlines(stories)
    assert all(len(a.body.split()) <= events._HEADLINE_LEAD for arts, _ in copies for a in arts if a.title and a.body)
    assert copies[1][0][0].body == untitled.body
    cut = [([Article(a.id, a.title, events.first_words(a.body or "", 40)) for a in arts], groups)
           for arts, groups in stories[:1]]
    assert events.story_headlines(cut) != events.story_headlines(stories[:1])  # words 41-50 decide here


def test_counted_features_count_as_the_feature_lists():
    """article_features hands back counts and where the body's terms are among them; counting
    those is counting the feature lists, and the body terms are those of the lead."""
    from datasette_newsdigest.text import content_terms

    params = events.Params(body_words=60)
    articles = [*KESSARIA, *TAMBER, *SORVIK, Article("e", None, ""), Article("t", "Only a title, 1962", None),
                Article("r", "Rain rain RAIN", "rain, rain and rain again: Rain. " * 5)]
    leads = [events.first_words(a.body or "", params.body_words) for a in articles]
    made = [events.article_features((a.title, a.body or "", params)) for a in articles]
    counted, plain = events.Vocabulary(), events.Vocabulary()
    m = counted.count(counts for counts, _, _ in made)
    want = plain.count(events.features(a.title, a.body, params, params.name_repeat) for a in articles)
    assert counted.terms == plain.terms and counted.df.tolist() == plain.df.tolist()
    assert (m.indptr.tolist(), m.indices.tolist(), m.data.tolist()) == (
        want.indptr.tolist(), want.indices.tolist(), want.data.tolist())
    clustering = events.cluster(articles, params)
    for i, (lead, (_, _, head)) in enumerate(zip(leads, made, strict=True)):
        assert clustering.lead_terms(i) == content_terms(lead)
        assert clustering.head_terms(i) == content_terms(events.first_words(lead, events._HEADLINE_LEAD))
        assert head == len(clustering.head_terms(i))


def _rows(rng: np.random.Generator, n: int, terms: int = 60) -> sp.csr_matrix:
    """Unit rows of a few shared terms each, non-negative, as TF-IDF rows are."""
    m = sp.random(n, terms, density=0.15, random_state=rng, format="csr", dtype=np.float64)
    m.data = np.abs(m.data) + 0.01
    return events._normalize(m)


def _groups(rng: np.random.Generator, n: int, framed: bool = False) -> events._Groups:
    """Groups as a build and an --add meet them: single articles of one date or none, and grown or
    fixed ones of many dates, some holding more rows than their size counts (a story whose
    articles corrections moved away keeps its summed vector)."""
    x = _rows(rng, 12)[rng.integers(0, 12, 3 * n)]  # a dozen texts and their copies: some pairs alike
    member = sp.csr_matrix((np.ones(3 * n), (rng.integers(0, n, 3 * n), np.arange(3 * n))), shape=(n, 3 * n))
    sums = sp.csr_matrix(sp.vstack([x[:n], member @ x], format="csr"))
    held = np.asarray(member.sum(axis=1)).ravel()
    sizes = np.r_[np.ones(n), np.maximum(1, np.where(rng.random(n) < 0.3, held // 3, held))]
    dates = []
    for i in range(2 * n):
        count = 1 if i < n else int(rng.integers(0, 40))
        days = np.sort(rng.integers(730_000, 731_500, count).astype(float)) if rng.random() > 0.1 else events._NO_DAYS
        dates.append(days)
    fixed = np.r_[np.zeros(n, bool), rng.random(n) < 0.5]
    if not framed:
        return events._Groups(sums, sizes, dates, fixed)
    frames = [frozenset(rng.choice(["^kremlin", "^belgorod", "=moscow", "!"], int(rng.integers(0, 3)))) for _ in dates]
    return events._FramedGroups(sums, sizes, dates, fixed, frames)


@pytest.mark.parametrize("framed", [False, True])
def test_scores_of_many_pairs_are_the_scores_one_by_one(framed):
    rng = np.random.default_rng(14)
    groups = _groups(rng, 60, framed)
    params = events.Params()
    a, b = rng.integers(0, 120, 3000), rng.integers(0, 120, 3000)
    dots = np.array([groups.dot(i, j) for i, j in zip(a.tolist(), b.tolist(), strict=True)])
    many = groups.scores(a, b, dots, params)
    one_by_one = [groups.score(i, j, d, params) for i, j, d in zip(a.tolist(), b.tolist(), dots.tolist(), strict=True)]
    assert many.tolist() == one_by_one  # the same floats, not nearly
    assert np.isfinite(many).sum() > 1000 and (many > 0).any() and (many <= -0.5).any()


def test_a_pair_that_could_pass_is_never_left_unscored():
    """could_pass is a bound: every pair whose score reaches the threshold passes it, also for
    groups whose summed rows outnumber their size (their mean cosine may exceed 1)."""
    rng = np.random.default_rng(8)
    groups = _groups(rng, 80)
    passed = left = above_one = 0
    for threshold in (0.1, 0.0, 0.5):
        params = events.Params(threshold=threshold)
        for i in range(160):
            for j in range(i + 1, 160):
                penalty = groups.penalty(i, j, params)
                score = groups.score(i, j, groups.dot(i, j), params, penalty)
                kept = groups.could_pass(i, j, penalty, params)
                assert kept or score < params.threshold, (i, j)
                passed += score >= params.threshold
                left += not kept
                above_one += score > 1
    assert passed > 300 and left > 3000 and above_one  # every kind met


def test_agglomeration_groups_as_it_did_without_its_shortcuts(monkeypatch):
    """Articles over four years (most pairs past the horizon once their groups grow): the
    agglomeration with its shortcuts merges exactly as when every pair is scored one by one."""
    rng = np.random.default_rng(37)
    n = 400
    x = _rows(rng, n, terms=40)
    days = np.where(rng.random(n) < 0.1, np.nan, rng.integers(730_000, 731_460, n).astype(float))
    params = events.Params()
    qi, ri = events._candidates(x, days, days, x, days, days, params, same=True)
    qi, ri = events._unordered_pairs(qi, ri)

    def run() -> tuple[list[int], int]:
        groups = events._Groups(x, np.ones(n), events.group_dates(np.arange(n), days, n), np.zeros(n, bool))
        dots = [0]
        real = groups.dot

        def counted(a, b):
            dots[0] += 1
            return real(a, b)

        groups.dot = counted  # type: ignore[method-assign]
        return events._agglomerate(groups, (qi, ri), events._row_dots(x, x, qi, ri), params).tolist(), dots[0]

    shortcut, fewer = run()
    monkeypatch.setattr(events._Groups, "could_pass", lambda self, a, b, penalty, params: True)
    monkeypatch.setattr(events._Groups, "scores", lambda self, a, b, d, params: np.array(
        [self.score(i, j, v, params) for i, j, v in zip(a.tolist(), b.tolist(), d.tolist(), strict=True)]))
    plain, every = run()
    assert shortcut == plain and len(set(plain)) < n - 50  # many merges
    assert fewer < every  # and the bound spared dot products
