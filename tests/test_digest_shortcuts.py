"""The cheaper forms the digest step's rounds 5 and 6 use (issue 13's build-cost target) give what the
plain forms give: the word regex run by run, the page-line openings as one regex, the fused-capital search
from the capital, the quotation test, the sort-based distinct values, the content vectors from their
sorted pairs and the support's dense product (round 5); the prompt's possessive label, the stems
renumbered by one stable sort, the unit rows from the row offsets (round 6). Each test also fails when
the cheaper form is wrong."""

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
    plain = _plain_unit_rows(plain)
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


def _plain_unit_rows(incidence: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows scaled by their sums, as ``digest._unit_rows`` did before round 6."""
    scaled = incidence.copy()
    scaled.data = incidence.data * np.repeat(1 / np.sqrt(np.maximum(incidence.sum(axis=1).A1, 1)),
                                             np.diff(incidence.indptr))
    return scaled


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unit_rows_from_the_offsets_are_the_rows_scaled_by_their_sums(seed):
    rng = np.random.default_rng(seed)
    dense = (rng.random((60, 40)) < 0.1).astype(float)
    dense[::7] = 0  # empty rows
    incidence = sparse.csr_matrix(dense)
    got, plain = digest._unit_rows(incidence), _plain_unit_rows(incidence)
    assert got.shape == plain.shape and np.diff(plain.indptr).max() > 1
    for name in ("indptr", "indices", "data"):
        assert getattr(got, name).tolist() == getattr(plain, name).tolist(), name


def _plain_first_seen_ids(values: np.ndarray) -> np.ndarray:
    """Ids from 0 in the order the values first occur, as ``digest._encode`` made them before round 6."""
    unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    dense = np.empty(len(unique), dtype=np.int64)
    dense[np.argsort(first, kind="stable")] = np.arange(len(unique))
    return dense[inverse.ravel()]


@pytest.mark.parametrize("n", [0, 1, 2, 9, 4000])
def test_first_seen_ids_are_np_uniques_renumbered_by_first_index(n):
    rng = np.random.default_rng(n)
    values = rng.integers(0, 3 if n < 10 else 900, n).astype(np.int64)  # many repeats, in any order
    got, plain = digest._first_seen_ids(values), _plain_first_seen_ids(values)
    assert got.dtype == plain.dtype and got.tolist() == plain.tolist()


def test_the_pools_stem_ids_are_the_plain_ones():
    tokens, (stems, _, _, _) = _encoded()
    words = [w for t in tokens for w in t]
    assert stems.tolist() == _plain_first_seen_ids(digest._VOCABULARY.lookup(words)[0]).tolist()


# The prompt's label before round 6: a greedy run that gives back one character at a time.
POSSESSIVE_LABEL, PLAIN_LABEL = r"(?:[A-Z][\w ]{0,20}+[:|]\s*)?", r"(?:[A-Z][\w ]{0,20}[:|]\s*)?"
PROMPTS = ["Sign up for our newsletter", "follow us on Twitter", "Click here", "Subscribe to our podcast",
           "Send us your tips", "Watch live at 8 p.m. ET", "Already a subscriber?", "sign up", "us on"]


def test_the_prompts_possessive_label_matches_what_the_greedy_one_does():
    assert text._PROMPT.pattern.count(POSSESSIVE_LABEL) == 1
    plain = re.compile(text._PROMPT.pattern.replace(POSSESSIVE_LABEL, PLAIN_LABEL), text._PROMPT.flags)
    rng = random.Random(6)
    labelled = 0
    for sample in _samples(3000, seed=6):
        label = "".join(rng.choice("aZé_7 ") for _ in range(rng.randint(0, 26)))
        line = rng.choice(("", "* ", "— ")) + rng.choice("AbÉ") + label + rng.choice(":|;, ") + \
            rng.choice(("", " ")) + rng.choice(PROMPTS) + " " + sample
        got, want = text._PROMPT.match(line), plain.match(line)
        assert (got and got.span()) == (want and want.span()), repr(line)
        labelled += bool(want) and line.lstrip("*— ")[len(label) + 1] in ":|"
    assert labelled > 300  # lines whose label the prompt matched, not only bare prompts


# The dateline's place before an agency before round 6: greedy runs of a word's letters.
POSSESSIVE_PLACE = (r"(?:[A-Z][\w.'’\-]*+(?:\s+[A-Z][\w.'’\-]*+){0,3}", r"(?:,\s+[A-Z][A-Za-z.]*+)?\s*)?")
PLAIN_PLACE = (r"(?:[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3}", r"(?:,\s+[A-Z][A-Za-z.]*)?\s*)?")
PLACE_PIECES = ["Washington", "NEW", "York", "St.", "Louis", "O'Hare", "Al-Arish", "U.S.", "Río", "X_1", "a", "9",
                ",", ", Calif.", ",Mo", " ", "  ", "(AP)", "(Reuters)", "(CNN)", "(ap)", "(", ")", "--", "-", "—",
                ":", "_", "The", "President", "said", "Tuesday", "that", "it", "WASHINGTON", "(AP) —"]


def test_the_datelines_possessive_place_matches_what_the_greedy_one_does():
    pattern = text.DATELINE_RE.pattern
    assert all(pattern.count(piece) == 1 for piece in POSSESSIVE_PLACE)
    for possessive, greedy in zip(POSSESSIVE_PLACE, PLAIN_PLACE, strict=True):
        pattern = pattern.replace(possessive, greedy)
    plain = re.compile(pattern, text.DATELINE_RE.flags)
    rng = random.Random(7)
    agencies = 0
    for _ in range(6000):
        line = "".join(rng.choice(PLACE_PIECES) + rng.choice(("", " ", " ")) for _ in range(rng.randint(1, 9)))
        got, want = text.DATELINE_RE.match(line), plain.match(line)
        assert (got and got.span()) == (want and want.span()), repr(line)
        agencies += bool(want) and not line.startswith("(") and "(" in want.group(0)
    assert agencies > 200  # places before an agency were matched, not only the agency alone
