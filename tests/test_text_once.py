"""The shortcuts that let the build normalize, split and count each body once (issue 14 item 1)
give what the long way gives, on random hostile text."""

from __future__ import annotations

import random
import sys
import unicodedata

from datasette_newsdigest import text

# Every kind of character the shortcuts look at: white space of each kind, zero-width space, line
# breaks, word joiners, sentence ends, quotes, combining marks (NFC changes them), letters and digits.
ALPHABET = (list(" \t\n\r\x0b\x0c\x1c\x85\u00a0\u1680\u2000\u2009\u200a\u200b\u2028\u202f\u205f\u3000")
            + list("'’-._.!?…\"”)(") + ["e\u0301", "\u0301", "é", "A", "b", "z", "7", "ß", "Ω", "中", "_"]
            + ["Mr.", "U.S.", "Dr.", "3.5", "end.", "No!", "Why?", "  ", " a ", "\n\n"])


# ... and text with no white space but spaces and newlines, which the shortcuts take most often.
TAME = [c for c in ALPHABET if not c.isspace() or c in (" ", "\n", "  ", " a ", "\n\n")] + [" ", "\n", "word"] * 4


def _samples(n: int = 3000, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET if k % 2 else TAME) for _ in range(rng.randint(0, 40))) for k in range(n)]


def _normalize_long_way(value: str) -> str:
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(text._SPACE_RE.sub(" ", line).strip() for line in value.split("\n"))


def test_normalize_returns_what_the_long_way_does():
    unchanged = 0
    for sample in _samples():
        assert text.normalize(sample) == _normalize_long_way(sample), repr(sample)
        assert text.normalize(text.normalize(sample)) == text.normalize(sample), repr(sample)
        unchanged += text.normalize(sample) is sample
    assert unchanged > 100  # the shortcut was taken


def test_the_odd_spaces_are_every_white_space_but_space_and_newline():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} - {" ", "\n"}
    odd = {c for c in map(chr, range(0x3001)) if text._ODD_SPACE.match(c)}
    assert odd == spaces | {"\u200b"}


def test_count_words_is_the_number_of_words():
    for sample in _samples():
        assert text.count_words(sample) == len(text.words(sample)), repr(sample)


def test_a_paragraph_ending_in_its_only_mark_is_one_sentence_as_nupunkt_splits_it():
    splitter = text._splitter()
    checked = 0
    for sample in _samples(6000):
        for paragraph in text.paragraphs(sample):
            if not text._END_CHAR.search(paragraph, 0, len(paragraph) - 1):
                assert [s.strip() for s in splitter.tokenize(paragraph) if s.strip()] == [paragraph], repr(paragraph)
                checked += 1
    assert checked > 1000
