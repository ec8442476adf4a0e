"""The split receives the terms the story clustering already made (issue 11, scale target): the
same incidents and headlines as when it reads every article again, and the body is not tokenized
a second time."""

import sqlite3

import numpy as np
import pytest
import scipy.sparse as sp
from test_incidents import KESSARIA, OSTERBY, SORVIK, TAMBER

from datasette_newsdigest import events
from datasette_newsdigest.events import Article
from datasette_newsdigest.text import content_terms

LONG = Article("long", "Dam study: 2,400 homes at risk",
               " ".join(f"Engineers' report {i} on the Harlow dam's spillway, 3.5 metres, U.S. funded."
                        for i in range(80)), "2025-05-01", "AP")
UNTITLED = Article("untitled", None, "Portovaro's harbour reopened on Wednesday. Ferries returned 1,300 tourists "
                   "to Kessaria after the wildfire near the Agios Lukas monastery.", "2025-07-16", "AP")
STORY = KESSARIA + TAMBER + SORVIK + OSTERBY + [LONG, UNTITLED]


def _handed(articles, params: events.Params | None = None):
    """Each article's story terms from the lead terms of a clustering of the articles."""
    params = params or events.Params()
    clustering = events.cluster(articles, params)
    return events.story_terms(articles, params, [clustering.lead_terms(i) for i in range(len(articles))])


def test_clustering_keeps_each_articles_body_terms():
    params = events.Params()
    clustering = events.cluster(STORY, params)
    for i, article in enumerate(STORY):
        assert clustering.lead_terms(i) == content_terms(events.first_words(article.body, params.body_words))
    added = events.assign([LONG, UNTITLED], clustering.state)
    assert added.lead_terms(1) == content_terms(UNTITLED.body)


def test_handed_terms_are_the_terms_the_split_makes_itself():
    assert _handed(STORY) == events.story_terms(STORY)
    assert _handed(STORY, events.Params(body_words=20)) == events.story_terms(STORY, events.Params(body_words=20))


def test_handed_terms_are_not_tokenized_again(monkeypatch):
    lead_terms = [events.cluster([a]).lead_terms(0) for a in STORY]
    read: list[str] = []

    def counting(text):
        read.append(text)
        return content_terms(text)

    monkeypatch.setattr(events, "content_terms", counting)
    events.story_terms(STORY, events.Params(), lead_terms)
    assert LONG.body[:200] not in " ".join(read)  # only titles and ledes, never the body's lead
    assert len(" ".join(read)) < sum(len(a.title or "") + 200 for a in STORY)


@pytest.mark.parametrize("story", [KESSARIA + TAMBER + SORVIK, OSTERBY, STORY, KESSARIA[:2], [LONG, UNTITLED]])
def test_split_with_handed_terms_is_the_same(story):
    terms = _handed(story)
    assert events.split_story(story, terms=terms) == events.split_story(story)
    fixed = [0] + [-1] * (len(story) - 1)
    assert events.split_story(story, fixed=fixed, terms=terms) == events.split_story(story, fixed=fixed)
    assert (events.story_vectors(story, terms=terms) != events.story_vectors(story)).nnz == 0


def test_seeds_split_the_same_with_handed_terms(seeds_db):
    conn = sqlite3.connect(seeds_db)
    articles = [Article(*row) for row in conn.execute(
        "select id, title, body, published, outlet from articles order by rowid")]
    conn.close()
    params = events.Params()
    clustering = events.cluster(articles, params)
    for story in set(clustering.event_of):
        members = [i for i, s in enumerate(clustering.event_of) if s == story]
        arts = [articles[i] for i in members]
        terms = events.story_terms(arts, params, [clustering.lead_terms(i) for i in members])
        assert terms == events.story_terms(arts, params)
        assert events.split_story(arts, params, terms=terms) == events.split_story(arts, params)


def test_normalize_is_the_diagonal_product_it_replaced():
    rng = np.random.default_rng(0)
    for seed in range(40):
        m = sp.random(int(rng.integers(1, 30)), int(rng.integers(1, 200)), density=0.2, format="csr",
                      dtype=np.float32, random_state=seed)
        m.data = (m.data * 7).astype(np.float32)
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        expected = sp.csr_matrix(sp.diags(1 / norms) @ m, dtype=np.float32)
        expected.sort_indices()
        got = events._normalize(m)
        assert got.dtype == np.float32
        assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
        assert (got.data == expected.data).all()
