"""The build's per-event digest and coverage work (issues 12 and 13, cost targets): the fill
steps hand plain per-event inputs to any ``map_`` (a process pool's writes the same rows), and the
table's digests are what the ``newsdigest()`` aggregate returns for the same event and options."""

import shutil
import sqlite3
from concurrent.futures import ProcessPoolExecutor

import pytest
import sqlite_utils

from datasette_newsdigest import sql, store

OUTLETS = ["Alpha Times", "Beta News", "Gamma Daily"]


def _articles() -> list[dict]:
    from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

    bridge = [{"id": f"bridge{i}", "title": f"Bridge collapse, report {i}", "outlet": OUTLETS[i],
               "published": f"2024-01-0{i + 1}", "ev": "bridge", "body": body}
              for i, body in enumerate((BRIDGE_1, BRIDGE_2, BRIDGE_3))]
    # a second article of one outlet, reprinting another's copy: nothing in it is "only in" it
    bridge.append({"id": "bridge3", "title": "Bridge collapse, again", "outlet": OUTLETS[0],
                   "published": "2024-01-04", "ev": "bridge", "body": BRIDGE_2})
    return bridge + [{"id": "lone", "title": "Election night", "outlet": "Beta News", "ev": "vote",
                      "body": "Voters in Lisbon queued for hours on Sunday to cast their ballots."}]


@pytest.fixture(scope="module")
def built(build_news_db):
    return build_news_db(_articles())


TABLES = {"digest_sentences": "event_id, rank", "digest_events": "event_id",
          "coverage": "event_id, outlet", "coverage_sentences": "event_id, outlet, article_id, position"}


def _tables(db) -> dict[str, list[tuple]]:
    return {table: db.execute(f"select * from {table} order by {order}").fetchall() for table, order in TABLES.items()}


def _refill(path, tmp_path, name, map_) -> dict[str, list[tuple]]:
    copy = tmp_path / f"{name}.db"
    shutil.copy(path, copy)
    db = sqlite_utils.Database(copy)
    with db.conn:
        db.execute("delete from digest_sentences")
        db.execute("delete from coverage")
    with db.conn:
        store.fill_digests(db, map_=map_)
    store.fill_coverage(db, map_=map_)
    return _tables(db)


def test_the_fill_steps_write_the_same_rows_through_a_process_pool(built, tmp_path):
    """Per-event inputs and results are plain data a process pool can pickle; the rows written
    do not depend on which map computed them."""
    built_rows = _tables(sqlite_utils.Database(built))
    assert built_rows["coverage_sentences"] and built_rows["digest_sentences"]
    assert _refill(built, tmp_path, "builtin", map) == built_rows
    with ProcessPoolExecutor(2) as pool:
        assert _refill(built, tmp_path, "pool", pool.map) == built_rows


def test_the_stored_digest_is_what_the_aggregate_returns(built):
    """The digest text equals ``newsdigest()`` over the event's bodies in reading order, with the
    page's default options (the seeds carry no genre, so every article reads as news)."""
    from datasette_newsdigest.settings import Settings

    defaults = Settings()
    options = f'{{"sentences": {defaults.event_sentences}, "method": "{defaults.method}"}}'
    conn = sqlite3.connect(built)
    sql.register(conn, defaults.limits)
    events = [e for (e,) in conn.execute("select id from events order by id")]
    assert len(events) >= 3
    assert conn.execute("select count(*) from articles where genre is not null and genre != 'news'").fetchone() == (0,)
    for event in events:
        stored = "\n".join(s for (s,) in conn.execute(
            "select sentence from digest_sentences where event_id = ? order by rank", [event]))
        aggregate, = conn.execute(
            "select newsdigest(body, ?) from (select body from articles where event_id = ? "
            "order by published is null, published, rowid)", [options, event]).fetchone()
        assert stored and aggregate == stored, event


# --- The fast paths against definitions -------------------------------------------------------
#
# The per-event digest is vectorized (one product per greedy step, one process-wide vocabulary of
# stems, the pool's own encoding reused for support and coverage). Each test below computes the
# same thing from its definition, one sentence and one word at a time in plain Python, with the
# same floating-point operations in the same order, and asks for equal results, bit for bit.


def _inputs() -> dict[str, list]:
    from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

    from datasette_newsdigest import digest

    seeds = sorted(SEEDS.iterdir())
    # near-repeats: dedupe keeps two, and the cosine guard lets only one of them into the digest
    repeats = [f"Sentence {i} of {n} about the harbour cranes at Gdynia and their crane drivers. "
                 f"The harbour cranes at Gdynia and their drivers worked late on shift {i}. "
                 f"Crane drivers at the Gdynia harbour worked late again on shift {i}." for i, n in enumerate("abc")]
    return {
        "bridge": [digest.Document(f"b{i}", t, f"2024-01-0{i + 1}")
                   for i, t in enumerate((BRIDGE_1, BRIDGE_2, BRIDGE_3))],
        "seeds": [digest.Document(p.name, p.read_text(encoding="utf-8"), None, ("news", "opinion")[i % 3 == 2])
                  for i, p in enumerate(seeds)],
        "one seed": [digest.Document("s", seeds[0].read_text(encoding="utf-8"))],
        "near repeats": [digest.Document(f"u{i}", t) for i, t in enumerate(repeats)],
        "articles": [digest.Document(a["id"], a["body"], a.get("published")) for a in _articles()],
        # no sentence stands alone (questions, unresolved openings): every sentence may be a digest line
        "none stands alone": [digest.Document(f"q{i}", f"Why did the harbour cranes at Gdynia stop on shift {i}? "
                                              f"But the crane drivers worked late on shift {i}. "
                                              "He said the cranes were old.") for i in range(3)],
    }


from conftest import SEEDS  # noqa: E402  (the seeds folder, as the fixtures read it)


def _stems_by_definition(tokens):
    """Each word stemmed on its own; stem ids in the order the stems first occur."""
    from datasette_newsdigest import text

    ids: dict[str, int] = {}
    words = [w for sentence in tokens for w in sentence]
    stems = [ids.setdefault(text.stem(w), len(ids)) for w in words]
    content = [w[0].isalpha() and w.lower() not in text.stop_words() for w in words]
    return stems, content


@pytest.mark.parametrize("limit", [500_000, 7])
def test_encoding_equals_stemming_every_word(monkeypatch, limit):
    """The process-wide vocabulary gives the ids and flags of stemming each word, also when it
    is full and forgets (limit 7: every call starts over)."""
    from datasette_newsdigest import digest, text

    monkeypatch.setattr(digest, "_VOCABULARY", digest._Vocabulary(limit))
    for name, documents in _inputs().items():
        for _ in range(2):  # the second time, every word is known
            tokens = [text.words(s) for d in documents for s in d.sentences()]
            stems, content, alpha, owner = digest._encode(tokens)
            assert (stems.tolist(), content.tolist()) == _stems_by_definition(tokens), name
            assert alpha.tolist() == [float(w[0].isalpha()) for t in tokens for w in t]
            assert owner.tolist() == [i for i, t in enumerate(tokens) for _ in t]


def _greedy_by_definition(pool, budget, tuning):
    """Greedy concept coverage recomputed in full at every step, sentence by sentence: each
    sentence's value is its uncovered concepts' weight (summed in concept order) per word, and a
    sentence is allowed while it is a candidate, not picked, and within max_similarity of every pick."""
    import math

    import numpy as np

    from datasette_newsdigest import digest

    incidence, is_bigram = digest._concepts(pool)
    concepts = [list(incidence.indices[incidence.indptr[i]:incidence.indptr[i + 1]])
                for i in range(len(pool.sentences))]
    units = pool.doc if len(set(pool.doc)) > 1 else list(range(len(pool.sentences)))
    reported = [set() for _ in range(incidence.shape[1])]
    in_lead = [set() for _ in range(incidence.shape[1])]
    for i, cs in enumerate(concepts):
        for c in cs:
            reported[c].add(units[i])
            if pool.position[i] < tuning.lead_sentences:
                in_lead[c].add(units[i])
    counts = np.array([len(r) for r in reported], dtype=float)
    weights = counts + tuning.lead_bonus * np.array([len(r) for r in in_lead], dtype=float)
    weights[counts < min(tuning.min_reports, max(units) + 1)] = 0
    weights[~is_bigram] *= tuning.unigram_weight
    uncovered = list(weights ** tuning.reports_power)
    lengths = pool.lengths
    per_word = np.power(lengths, tuning.length_power)
    preferred = [tuning.min_preferred_words <= n <= tuning.max_preferred_words and not digest._QUOTE_RE.search(s)
                 for n, s in zip(lengths, pool.sentences, strict=True)]
    kind, n = budget
    picked, used = [], 0
    while used < n:
        allowed = [bool(pool.candidate[i]) and i not in {p for p, _ in picked} and all(
            len(set(concepts[i]) & set(concepts[p])) / math.sqrt(max(len(concepts[i]), 1))
            / math.sqrt(max(len(concepts[p]), 1)) <= tuning.max_similarity + 1e-12 for p, _ in picked)
            for i in range(len(pool.sentences))]
        if not any(allowed):
            break
        values = []
        for i, cs in enumerate(concepts):
            total = 0.0
            for c in cs:
                total += uncovered[c]
            values.append(total / per_word[i])
        tier = min(pool.tier[i] for i in range(len(allowed)) if allowed[i])
        candidates = [a and pool.tier[i] == tier for i, a in enumerate(allowed)]
        if any(c and p for c, p in zip(candidates, preferred, strict=True)):
            candidates = [c and p for c, p in zip(candidates, preferred, strict=True)]
        if kind == "words":
            fits = [c and lengths[i] <= n - used for i, c in enumerate(candidates)]
            if any(fits) and max(v for v, f in zip(values, fits, strict=True) if f) > 0:
                candidates = fits
        best = max((i for i, c in enumerate(candidates) if c), key=lambda i: (values[i], -i))
        picked.append((best, values[best]))
        used += 1 if kind == "sentences" else lengths[best]
        for c in concepts[best]:
            uncovered[c] = 0.0
    return picked


@pytest.mark.parametrize("budget", [("sentences", 5), ("sentences", 40), ("words", 100)])
def test_the_greedy_equals_recomputing_everything_at_every_step(budget):
    from datasette_newsdigest import digest

    for name, documents in _inputs().items():
        pool = digest._Pool([d for d in documents if d.text], *digest.Limits().caps("default"))
        fast = digest._concept_digest(pool, budget)
        assert fast == _greedy_by_definition(pool, budget, digest.TUNING), (name, budget)
        assert len(fast) > 1 or (name == "near repeats" and len(pool.sentences) == 2), name


def _near_by_definition(pool, i, threshold):
    """The documents with a sentence (before dedupe and cap) whose content-stem set has a cosine
    of at least ``threshold`` with the pool's sentence ``i``."""
    import math

    from datasette_newsdigest import text

    def stems(tokens):
        return {text.stem(w) for w in tokens if w[0].isalpha() and w.lower() not in text.stop_words()}

    mine = stems(pool.tokens[i])
    near = set()
    for tokens, d in zip(pool.all_tokens, pool.all_doc, strict=True):
        theirs = stems(tokens)
        if mine and theirs and len(mine & theirs) / math.sqrt(len(mine) * len(theirs)) >= threshold - 1e-9:
            near.add(d)
    return near


def test_support_counts_equal_comparing_every_pair_of_sentences():
    from datasette_newsdigest import digest

    for name, documents in _inputs().items():
        picks, counts = digest.digest_with_support(documents, sentences=8)
        pool = digest._Pool([d for d in documents if d.text], *digest.Limits().caps("default"))
        where = {(pool.docs[pool.doc[i]].id, pool.position[i]): i for i in range(len(pool.sentences))}
        assert counts == [max(1, len(_near_by_definition(pool, where[p.id, p.position], 0.5))) for p in picks], name


def test_only_in_equals_comparing_every_pair_of_sentences():
    from datasette_newsdigest import digest

    for name, documents in _inputs().items():
        shared = 0  # sentences some other owner carries too: the comparison is not all "only in"
        for owners in ([i % 2 for i in range(len(documents))], list(range(len(documents)))):
            pool = digest._Pool([d for d in documents if d.text], 2_000, 60_000,
                                digest.DEFAULT_MAX_VOCABULARY["default"])
            expected = [(pool.doc[i], pool.position[i]) for i in range(len(pool.sentences))
                        if {owners[d] for d in _near_by_definition(pool, i, 0.5)} <= {owners[pool.doc[i]]}]
            assert digest.only_in(documents, owners) == expected, (name, owners)
            shared += len(pool.sentences) - len(expected)
        assert shared or len(documents) == 1, name


def test_first_occurrences_equal_comparing_sets_of_stems():
    """A sentence repeats an earlier one when their sets of content stems are equal (at least
    three) or, below three, their words are, whatever the case."""
    from datasette_newsdigest import digest, text

    for name, documents in _inputs().items():
        tokens = [text.words(s) for d in documents for s in d.sentences()]
        tokens += [[w.upper() for w in t] for t in tokens[:5]] + [list(reversed(t)) for t in tokens[:5]]
        seen, expected = set(), []
        for t in tokens:
            stems = frozenset(text.stem(w) for w in t if w[0].isalpha() and w.lower() not in text.stop_words())
            key = stems if len(stems) >= 3 else tuple(w.lower() for w in t)
            expected.append(key not in seen)
            seen.add(key)
        stems, content, _, owner = digest._encode(tokens)
        pairs = digest._content_pairs(stems, content, owner)
        assert digest._first_occurrences(*pairs, tokens).tolist() == expected, name
        assert not all(expected)


def test_the_random_keys_are_a_prefix_of_one_stream():
    import numpy as np

    from datasette_newsdigest import digest

    for n in (5, 50_000, 7):
        assert (digest._random_bits(n) == np.random.default_rng(0).integers(0, 2**62, size=n, dtype=np.int64)).all()


# --- Coverage reads the digest step's screening (store.Screenings, handed over by the caller) -----


def _event_articles(db, outlets: int = 2) -> list[str]:
    """The articles of an event of at least ``outlets`` outlets (its coverage compares sentences)."""
    event, = db.execute("select event_id from articles where nullif(trim(outlet), '') is not null "
                        "group by event_id having count(distinct trim(outlet)) >= ? "
                        "order by event_id limit 1", [outlets]).fetchone()
    return [a for (a,) in db.execute("select id from articles where event_id = ? and "
                                     "nullif(trim(outlet), '') is not null order by rowid", [event])]


def _digested(built, path) -> tuple[sqlite_utils.Database, store.Screenings]:
    """A copy of ``built`` at ``path`` with its digests made again, and the screenings they handed over."""
    shutil.copy(built, path)
    db = sqlite_utils.Database(path)
    screenings: store.Screenings = {}
    with db.conn:
        store.fill_digests(db, screenings=screenings)
    return db, screenings


def test_coverage_reuses_the_digest_steps_screening_and_writes_the_same_rows(built, tmp_path, monkeypatch):
    """After fill_digests, fill_coverage screens no article again (digest.screen is not called),
    and its rows are those of screening every article itself."""
    from datasette_newsdigest import digest

    db, screenings = _digested(built, tmp_path / "reuse.db")
    calls = []
    real = digest.screen
    monkeypatch.setattr(digest, "screen", lambda split: calls.append(1) or real(split))
    store.fill_coverage(db, screenings=screenings)
    assert calls == []  # reused all
    reused = _tables(db)
    store.fill_coverage(db)  # none handed over: every article screened again
    assert len(calls) >= len(_event_articles(db)) and _tables(db) == reused
    assert reused["coverage_sentences"]


def test_coverage_does_not_reuse_a_screening_of_other_sentences(built, tmp_path):
    """A screening is keyed by the sentences it read: when an article's sentences changed after
    the digest step, coverage screens them again (here a caption is now its second sentence: reusing
    the old screening would offer it as a sentence only that outlet carries)."""
    db, screenings = _digested(built, tmp_path / "stale.db")
    article = _event_articles(db)[0]
    caption = ("A quokka festival in Zanzibar handed out yellow umbrellas to seven hundred visitors. "
               "(Photo: Jane Doe/Getty Images)")
    with db.conn:
        db.execute("update sentences set text = ? where article_id = ? and position = 1",
                   [caption, article])
    assert 1 in screenings[article][1].kept  # the old screening kept position 1 as it was
    store.fill_coverage(db, screenings=screenings)
    after = _tables(db)
    store.fill_coverage(db)  # no screening to reuse
    assert after == _tables(db)
    assert (article, 1) not in {(a, p) for _, _, a, p in after["coverage_sentences"]}


def test_the_sentences_key_tells_lists_apart_by_their_boundaries():
    key = store._sentences_key
    assert key(["One. Two."]) != key(["One.", "Two."]) != key(["One.", " Two."])
    assert key(["One.", "Two."]) == key(("One.", "Two."))


def test_a_pool_given_screenings_is_the_pool_that_screens():
    """Documents carrying digest.screen of their sentences make the pool (and digest) of documents
    without, sentence for sentence."""
    from datasette_newsdigest import digest

    for name, documents in _inputs().items():
        given = [digest.Document(d.id, d.text, d.published, d.genre, d.sentences(),
                                 digest.screen(d.sentences())) for d in documents]
        for caps in (digest.Limits().caps("default"), (2_000, 60_000, 20_000)):
            a, b = digest._Pool(documents, *caps), digest._Pool(given, *caps)
            assert (a.doc, a.position, a.sentences, a.tokens, a.candidate.tolist()) == \
                   (b.doc, b.position, b.sentences, b.tokens, b.candidate.tolist()), name
        with_screenings = digest.digest_with_support(given, sentences=8)
        assert with_screenings == digest.digest_with_support(documents, sentences=8), name


def test_the_greedy_asks_only_some_sentences_whether_they_stand_alone():
    """The lazy test of standing alone (the greedy test above checks its picks against every
    sentence's) reads fewer sentences than the pool holds on a multi-article event."""
    from datasette_newsdigest import digest

    pool = digest._Pool(_inputs()["seeds"], *digest.Limits().caps("default"))
    digest._concept_digest(pool, ("sentences", 5))
    assert 5 <= len(pool._stands) < len(pool.sentences) / 2


def test_two_databases_filled_interleaved_keep_their_own_screenings(built, tmp_path, monkeypatch):
    """Each caller's screenings go from its digests to its coverage and nowhere else: two copies
    filled interleaved in one process (digests of one, digests of the other, then their coverage)
    give the rows of each filled alone, and neither coverage screens an article again (with one
    module-level store, the second digest step emptied the first's, and the first coverage the
    second's)."""
    from datasette_newsdigest import digest

    alone = _refill(built, tmp_path, "alone", map)
    filled = [_digested(built, tmp_path / f"{name}.db") for name in ("one", "two")]
    calls = []
    real = digest.screen
    monkeypatch.setattr(digest, "screen", lambda split: calls.append(1) or real(split))
    for db, screenings in filled:
        store.fill_coverage(db, screenings=screenings)
    assert calls == []
    assert [_tables(db) for db, _ in filled] == [alone, alone]
    assert alone["coverage_sentences"]
