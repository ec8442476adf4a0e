"""Properties of the digest core: sentences come from the input, budgets hold, nothing repeats,
attribution points at the right article and position, and bad requests fail clearly."""

import math
import random

import pytest
from bridge import BRIDGE_1, BRIDGE_2, BRIDGE_3

from datasette_newsdigest import digest, text
from datasette_newsdigest.digest import Document, Limits, OptionsError

EVENT = [
    Document("a2", BRIDGE_2, "2024-03-05"),
    Document("a1", BRIDGE_1, "2024-03-04"),
    Document("a3", BRIDGE_3, "2024-03-06"),
]


def _source(documents, picked):
    """The sentence of the input that each pick claims to be (by id and position)."""
    by_id = {d.id: text.split_sentences(d.text) for d in documents}
    return [by_id[s.id][s.position] for s in picked]


def assert_attributed(documents, picked):
    for sentence, original in zip([s.sentence for s in picked], _source(documents, picked), strict=True):
        # The sentence is the one at that position, less any dateline it opened with.
        assert original.endswith(sentence)
        assert len(sentence) > len(original) / 2


@pytest.mark.parametrize("method", digest.METHODS)
def test_every_method_gives_attributed_unique_sentences_within_budget(method):
    picked = digest.digest(EVENT, sentences=3, method=method)
    assert len(picked) == 3
    assert_attributed(EVENT, picked)
    assert len({(s.id, s.position) for s in picked}) == 3
    assert len({s.sentence for s in picked}) == 3
    assert all(isinstance(s.score, float) and math.isfinite(s.score) for s in picked)
    # Higher is better: best first in score order, and each sentence keeps its own score.
    ranked = digest.digest(EVENT, sentences=3, method=method, order="score")
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    if method != "random":  # the one method whose picks differ from call to call
        assert set(ranked) == set(picked)


@pytest.mark.parametrize("method", digest.METHODS)
def test_word_budget_adds_sentences_until_reached(method):
    picked = digest.digest(EVENT, words=40, method=method, order="score")
    counts = [text.count_words(s.sentence) for s in picked]
    assert sum(counts) >= 40
    assert sum(counts) - counts[-1] < 40  # the last one was needed


@pytest.mark.parametrize("method", ["default", "lexrank"])
def test_summarize_single_document(method):
    picked = digest.summarize(BRIDGE_2, sentences=2, method=method)
    assert [s.id for s in picked] == [None, None]
    assert [s.position for s in picked] == sorted(s.position for s in picked)
    assert_attributed([Document(None, BRIDGE_2)], picked)


def test_default_prefers_what_several_articles_report():
    picked = digest.digest(EVENT, sentences=2, order="score")
    assert digest.support(EVENT, picked)[0] == len(EVENT)  # the best pick: what all three report
    assert min(digest.support(EVENT, picked)) >= 2
    assert "harlow street bridge" in picked[0].sentence.lower()


def test_chronological_order_is_by_published_then_position():
    picked = digest.digest(EVENT, sentences=5)
    published = {d.id: d.published for d in EVENT}
    keys = [(published[s.id], s.position) for s in picked]
    assert keys == sorted(keys)


def test_score_order_is_best_first():
    picked = digest.digest(EVENT, sentences=4, method="lexrank", order="score")
    assert [s.score for s in picked] == sorted((s.score for s in picked), reverse=True)


def test_undated_articles_keep_input_order():
    docs = [Document(d.id, d.text) for d in EVENT]
    picked = digest.digest(docs, sentences=5)
    index = {d.id: i for i, d in enumerate(docs)}
    keys = [(index[s.id], s.position) for s in picked]
    assert keys == sorted(keys)


def test_dateline_and_byline_are_removed():
    picked = digest.digest([Document("a1", BRIDGE_1)], sentences=7)
    sentences = [s.sentence for s in picked]
    assert not any(s.startswith("RIVERTON") for s in sentences)
    assert not any(s.startswith("By Jane") for s in sentences)
    first = text.split_sentences(BRIDGE_1)[0]
    assert [s.sentence for s in picked if s.position == 0] == [first.split("— ", 1)[1]]


def test_wire_copies_count_once_and_are_attributed_to_the_first():
    copy = Document("copy", BRIDGE_2.replace("Riverton", "RIVERTON").replace(",", ""), "2024-03-07")
    alone = digest.digest(EVENT, sentences=4)
    with_copy = digest.digest(EVENT + [copy], sentences=4)
    assert [(s.id, s.position) for s in with_copy] == [(s.id, s.position) for s in alone]
    for method in ("lexrank", "textrank", "kl"):
        picked = digest.digest([EVENT[0], copy], sentences=3, method=method)
        assert {s.id for s in picked} == {"a2"}


def test_support_counts_the_articles_reporting_each_pick():
    picked = digest.digest(EVENT, sentences=4)
    counts = digest.support(EVENT, picked)
    assert len(counts) == 4 and all(1 <= c <= len(EVENT) for c in counts)
    deficient = [c for s, c in zip(picked, counts, strict=True) if "structurally deficient" in s.sentence]
    assert deficient and deficient[0] >= 2  # all three articles report the inspection
    copy = Document("copy", BRIDGE_2, "2024-03-07")
    with_copy = digest.support(EVENT + [copy], picked)
    assert all(c2 >= c for c, c2 in zip(counts, with_copy, strict=True))
    assert digest.support([], []) == []


def test_tuples_are_documents():
    picked = digest.digest([(d.id, d.text, d.published) for d in EVENT], sentences=2)
    assert_attributed(EVENT, picked)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_input_gives_empty_digest(value):
    assert digest.digest([]) == []
    assert digest.digest([Document("x", value)]) == []
    assert digest.summarize(value) == []


@pytest.mark.parametrize("method", digest.METHODS)
@pytest.mark.parametrize("value", ["One sentence with words here.", "Alpha beta gamma. Delta eta zeta."])
def test_tiny_inputs_work_with_every_method(method, value):
    picked = digest.summarize(value, sentences=3, method=method)
    assert [s.sentence for s in picked] == text.split_sentences(value)


def test_fragments_only_give_empty_digest():
    assert digest.summarize("Yes. No! 42.") == []


def test_budget_larger_than_input_returns_everything_once():
    picked = digest.digest([Document("a", BRIDGE_3)], sentences=50)
    assert len(picked) == len(text.split_sentences(BRIDGE_3))
    assert len({s.position for s in picked}) == len(picked)


def _synthetic_articles(n_articles, sentences_each, seed=0):
    rng = random.Random(seed)
    vocabulary = [f"word{i}" for i in range(3000)]
    return [
        Document(f"d{a}", " ".join(
            "Alpha " + " ".join(rng.choices(vocabulary, k=rng.randint(8, 30))) + "."
            for _ in range(sentences_each)
        ))
        for a in range(n_articles)
    ]


def test_huge_input_default_method_is_capped_to_leads():
    docs = _synthetic_articles(60, 50)  # 3,000 sentences
    limits = Limits(max_chars=10**7, max_sentences={**digest.DEFAULT_MAX_SENTENCES, "default": 120})
    picked = digest.digest(docs, sentences=5, limits=limits)
    assert len(picked) == 5
    assert all(s.position < 2 for s in picked)  # 120 sentences = the first two of 60 articles
    assert_attributed(docs, picked)


def test_huge_input_sumy_method_is_capped():
    docs = _synthetic_articles(40, 30)
    limits = Limits.from_config({"max_sumy_sentences": 40})
    picked = digest.digest(docs, sentences=3, method="lexrank", limits=limits)
    assert len(picked) == 3 and all(s.position == 0 for s in picked)


def test_too_many_characters_is_a_clear_error():
    with pytest.raises(digest.InputTooLarge, match="max_chars"):
        digest.digest(EVENT, limits=Limits(max_chars=1000))


@pytest.mark.parametrize(
    "value, message",
    [
        ('{"word": 10}', 'unknown option "word"'),
        ('{"sentences": 2, "words": 10}', "not both"),
        ('{"sentences": 0}', "between 1 and"),
        ('{"words": -5}', "between 1 and"),
        ('{"sentences": 2.5}', "whole number"),
        ('{"sentences": "3"}', "whole number"),
        ('{"sentences": true}', "whole number"),
        ('{"words": NaN}', "whole number"),
        ('{"method": "bert"}', 'unknown method "bert"'),
        ('{"order": "random"}', 'unknown order "random"'),
        ("[1, 2]", "JSON object"),
        ("not json", "JSON object"),
        ("3", "JSON object"),
    ],
)
def test_bad_options_raise_clear_errors(value, message):
    with pytest.raises(OptionsError, match=message):
        digest.parse_options(value)


def test_good_options():
    assert digest.parse_options(None) == digest.Options()
    assert digest.parse_options('{"words": 100}').budget == ("words", 100)
    assert digest.parse_options({"sentences": 3.0}).sentences == 3
    assert digest.parse_options('{"method": "LexRank"}').method == "lexrank"
    assert digest.Options().budget == ("sentences", digest.DEFAULT_SENTENCES)
    with pytest.raises(OptionsError):
        digest.digest(EVENT, method="nope")


def test_limits_from_config():
    limits = Limits.from_config(
        {"max_chars": 5000, "max_sentences": 100, "max_sumy_sentences": {"kl": 10}, "other": 1}
    )
    assert limits.max_chars == 5000
    caps = dict(limits.max_sentences)
    assert caps["default"] == 100
    assert caps["kl"] == 10
    assert caps["lexrank"] == digest.DEFAULT_MAX_SENTENCES["lexrank"]
    assert set(dict(Limits.from_config({"max_sumy_sentences": 7}).max_sentences).values()) == {
        7, digest.DEFAULT_MAX_SENTENCES["default"]
    }
    for bad in ({"max_chars": 0}, {"max_sentences": "many"}, {"max_sumy_sentences": {"bert": 3}}):
        with pytest.raises(digest.DigestError, match="max_"):
            Limits.from_config(bad)


@pytest.mark.parametrize("options", ['{"sentences": ' + "9" * 400 + "}", "[" * 100_000, '{"words": 1e999}'])
def test_pathological_options_are_clear_errors(options):
    with pytest.raises(digest.OptionsError):
        digest.parse_options(options)


def test_empty_published_counts_as_undated():
    docs = [
        digest.Document("blank", "A dam burst in the hills above the town on Tuesday night.", "  "),
        digest.Document("dated", "Officials said the dam above the town had cracked in March.", "2023-05-01"),
    ]
    picks = digest.digest(docs, sentences=2)
    assert [p.id for p in picks] == ["dated", "blank"]


def test_digest_with_support_agrees_with_separate_calls():
    picks, counts = digest.digest_with_support(EVENT, sentences=4)
    assert picks == digest.digest(EVENT, sentences=4)
    assert counts == digest.support(EVENT, picks)
    assert digest.digest_with_support([], sentences=2) == ([], [])


def _readme_method_rows() -> dict[str, list[int]]:
    """The README's method table: name -> [sentences, words, distinct words]."""
    from pathlib import Path

    rows = {}
    lines = (Path(__file__).parent.parent / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("| method | summarizer |"))
    for line in lines[start + 2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.strip().startswith("|"):
            break
        rows[cells[0].strip("`")] = [int(c.replace(",", "")) for c in cells[2:5]]
    return rows


def test_readme_method_table_is_the_registry():
    assert list(_readme_method_rows()) == list(digest.METHODS)
    assert _readme_method_rows() == {
        name: [m.max_sentences, m.max_words, m.max_vocabulary] for name, m in digest.REGISTRY.items()
    }


def test_everything_about_methods_comes_from_the_registry(monkeypatch):
    assert digest.METHODS == tuple(digest.REGISTRY) and "default" in digest.OWN_METHODS
    assert set(digest.OWN_METHODS) | set(digest.SUMY_METHODS) == set(digest.METHODS)
    limits = Limits()
    for name, method in digest.REGISTRY.items():
        assert limits.caps(name) == (method.max_sentences, method.max_words, method.max_vocabulary)
        if method.summarizer:
            assert callable(digest._summarizer_class(method.summarizer))
    # A method added to the registry is accepted, capped and dispatched with no other change.
    extra = digest.Method("luhn2", digest.REGISTRY["luhn"].summarizer, 7, 500, max_vocabulary=300)
    monkeypatch.setattr(digest, "REGISTRY", {**digest.REGISTRY, "luhn2": extra})
    limits = Limits.from_config({"max_sumy_sentences": {"luhn2": 3}})
    assert limits.caps("luhn2") == (3, 500, 300)
    assert len(digest.digest(EVENT, sentences=2, method="luhn2")) == 2


@pytest.mark.slow
def test_lsa_warning_is_silenced_only_around_its_call():
    import subprocess
    import sys

    # Five words make ten sentences of three distinct content words each: LSA warns that the
    # input has fewer words than sentences. In a fresh process (pytest resets warning filters).
    probe = """if True:
        import itertools, warnings
        from datasette_newsdigest import digest
        # importing installs no process-wide filter
        assert not any(f[1] is not None and "Number of words" in f[1].pattern for f in warnings.filters)
        words = ["Alpha", "bravo", "charlie", "delta", "echo"]
        text = " ".join(" ".join(c) + "." for c in itertools.combinations(words, 3))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            digest.summarize(text, method="lexrank", sentences=2)
            assert not seen
            picks = digest.summarize(text, method="lsa", sentences=2)
        assert len(picks) == 2 and not seen, seen
        assert not any(f[1] is not None and "Number of words" in f[1].pattern for f in warnings.filters)
        warnings.simplefilter("error")
        import numpy as np
        np.seterr(all="ignore")
        from sumy.summarizers.lsa import LsaSummarizer
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from datasette_newsdigest import text as t
        document = ObjectDocumentModel([Paragraph([Sentence(s, t.TOKENIZER) for s in t.split_sentences(text)])])
        try:
            LsaSummarizer(t.stemmer())(document, 2)
        except UserWarning:
            print("warns")
    """
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "warns"  # the input does make sumy's LSA warn, outside our call


@pytest.mark.slow
def test_importing_text_loads_no_model_or_nltk():
    import subprocess
    import sys

    probe = ("import sys, datasette_newsdigest.text; "
             "print(sorted(m for m in ('nltk', 'nupunkt', 'sumy', 'scipy', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
