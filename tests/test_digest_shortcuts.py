"""The cheaper forms the digest step's round 5 uses (issue 13's build-cost target) give what the plain
forms give: the word regex run by run, the page-line openings as one regex, the fused-capital search
from the capital, the quotation test, the sort-based distinct values, the content vectors from their
sorted pairs and the support's dense product. Each test also fails when the cheaper form is wrong."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from scipy import sparse

from datasette_newsdigest import digest, text

# The word regex before round 5: a letter or digit, then letters, digits or marks followed by one.
PLAIN_WORD = re.compile(r"[^\W_](?:[^\W_]|['’\-.](?=[^\W_]))*")
PLAIN_FUSED = re.compile(r"[a-z][A-Z0-9]")
PLAIN_QUOTE = re.compile(r"``|''|[\"“”]")
PAGE_LINE_OPENINGS = ("_CAPS_WORD_LABEL", "_TITLE_LABEL", "_PROMPT", "_WATCH", "_BYLINE_LINE", "_AUTHOR_LINE",
                      "_STAMP")

# Pieces of the shapes the regexes look for, marks, and letters of every kind, joined at random.
PIECES = ["'", "’", "-", ".", "_", "`", "``", "''", '"', "“", "”", " ", "  ", ",", ":", "|", "(", ")", "a", "Z",
          "7", "é", "ß", "中", "Ω", "don't", "U.S.", "al-Sudani", "2.6", "--", "WATCH", "VIDEO:", "Image", "Photo",
          "By", "Jane", "Doe", "Follow", "on", "Twitter", "Updated", "June", "3", "10:30", "a.m.", "ET", "Sign",
          "up", "for", "our", "newsletter", "Watch", "Listen", "to", "is", "a", "staff", "writer", "covers",
          "politics", "The", "Post", "Editor's", "note", "Joe", "BidenHouse", "aB", "x9", "Q", "EDITOR", "Correction"]


def _samples(n: int = 6000, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pieces = [rng.choice(PIECES) for _ in range(rng.randint(0, 12))]
        out.append("".join(p + rng.choice(("", " ", " ", " ")) for p in pieces))
    return out


def test_words_are_the_plain_regexs_tokens():
    marks = 0
    for sample in _samples():
        plain = PLAIN_WORD.findall(sample.replace("’", "'"))
        assert text.words(sample) == plain, repr(sample)
        marks += any(m in w for w in plain for m in "'-.")
    assert marks > 500  # tokens with inner marks were compared, not only plain runs


def test_the_page_line_openings_are_one_regex_of_them_all():
    lines = ["By Jane Doe", "Jane Doe covers politics for The Post.", "Jane Doe is a staff writer at the Post.",
             "Updated June 3, 2019", "Editor's note: this story was changed.", "Image Jane Doe at the rally"]
    hits = dict.fromkeys(PAGE_LINE_OPENINGS, 0)
    for sample in _samples() + [s.lstrip() for s in _samples(seed=14)] + lines:
        each = [name for name in PAGE_LINE_OPENINGS if getattr(text, name).match(sample)]
        assert bool(text._PAGE_LINE_START.match(sample)) == bool(each), repr(sample)
        for name in each:
            hits[name] += 1
    assert all(hits.values()), hits  # every opening was found, so leaving one out fails


def test_the_fused_search_finds_what_the_plain_one_does():
    found = 0
    for sample in _samples():
        assert bool(text._FUSED.search(sample)) == bool(PLAIN_FUSED.search(sample)), repr(sample)
        found += bool(PLAIN_FUSED.search(sample))
    assert found > 500


def test_the_quotation_test_is_the_regex():
    found = 0
    for sample in _samples():
        assert digest._quotes(sample) == bool(PLAIN_QUOTE.search(sample)), repr(sample)
        found += digest._quotes(sample)
    assert 500 < found < 5500


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_distinct_is_np_unique(n):
    rng = np.random.default_rng(n)
    values = rng.integers(-50, 10**12 if n > 7 else 4, n)
    values[: n // 2] = values[n // 2: 2 * (n // 2)]  # repeats
    got, plain = digest._distinct(values), np.unique(values)
    assert got.dtype == plain.dtype and got.tolist() == plain.tolist()


def _encoded():
    from test_digest_cost import _inputs

    documents = [d for docs in _inputs().values() for d in docs if d.text]
    tokens = [text.words(s) for d in documents for s in d.sentences()]
    tokens += tokens[:40]  # sentences repeated word for word: cosines of exactly 1
    return tokens, digest._encode(tokens)


def test_content_vectors_are_the_unit_rows_of_the_plain_incidence():
    tokens, (stems, content, _, owner) = _encoded()
    plain = sparse.csr_matrix((np.ones(int(content.sum())), (owner[content], stems[content])),
                              shape=(len(tokens), digest._stem_count(stems)))
    plain.data[:] = 1
    plain = digest._unit_rows(plain)
    got = digest._content_vectors(*digest._content_pairs(stems, content, owner), len(tokens),
                                  digest._stem_count(stems))
    assert got.shape == plain.shape
    for name in ("indptr", "indices", "data"):
        assert getattr(got, name).tolist() == getattr(plain, name).tolist(), name


def test_the_dense_product_for_a_few_rows_gives_the_sparse_products_cosines():
    """Thresholds just at every cosine the sparse product computes: a cosine one unit in the last
    place off would fall on the other side of one of them."""
    tokens, (stems, content, _, owner) = _encoded()
    vectors = digest._content_vectors(*digest._content_pairs(stems, content, owner), len(tokens),
                                      digest._stem_count(stems))
    rng = np.random.default_rng(5)
    chosen = rng.choice(len(tokens), size=digest._FEW_CHOSEN, replace=False)
    cosines = (vectors[chosen] @ vectors.T).tocsr()
    thresholds = sorted(set(cosines.data.tolist()))
    assert len(thresholds) > 20
    for threshold in [t + 1e-9 for t in thresholds] + [0.5]:
        plain = cosines.copy()
        plain.data = (plain.data >= threshold - 1e-9).astype(np.int8)
        plain.eliminate_zeros()
        got = digest._near_pairs(vectors, chosen, len(tokens), threshold)
        assert got.shape == plain.shape and (got != plain).nnz == 0, threshold
        assert got.toarray().tolist() == plain.toarray().tolist()


def test_the_concept_incidence_is_the_plain_one_from_coordinates():
    from test_digest_cost import _inputs

    inputs = list(_inputs().values()) + [[digest.Document("stop", "It is what it was. And so it is, he said.")]]
    for documents in inputs:
        pool = digest._Pool([d for d in documents if d.text], *digest.Limits().caps("default"))
        stems, content, owner = pool.stems, pool.content, pool.owner
        v = digest._stem_count(stems)
        adjacent = (owner[1:] == owner[:-1]) & (content[1:] | content[:-1])
        keys = np.concatenate([stems[content], v + stems[:-1][adjacent] * v + stems[1:][adjacent]])
        rows = np.concatenate([owner[content], owner[1:][adjacent]])
        concepts, columns = np.unique(keys, return_inverse=True)
        plain = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(pool.sentences), len(concepts)))
        plain.data[:] = 1
        got, is_bigram = digest._concepts(pool)
        assert got.shape == plain.shape and is_bigram.tolist() == (concepts >= v).tolist()
        for name in ("indptr", "indices", "data"):
            assert getattr(got, name).tolist() == getattr(plain, name).tolist(), name
