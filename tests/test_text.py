"""The offline tokenizer: news abbreviations, initials, words, stems, and sumy compatibility."""

import pytest

from datasette_newsdigest import text
from datasette_newsdigest.text import TOKENIZER, content_terms, split_sentences, words


@pytest.mark.parametrize("text,expected", [
    ("Russian officials link the U.S. and NATO to the raid. Kyiv denied it.",
     ["Russian officials link the U.S. and NATO to the raid.", "Kyiv denied it."]),
    ("Mr. Smith met Gen. Jones on Jan. 5 in Washington. They spoke.",
     ["Mr. Smith met Gen. Jones on Jan. 5 in Washington.", "They spoke."]),
    ("Lt. Col. Anne Ray briefed reporters on Friday. Nobody asked.",
     ["Lt. Col. Anne Ray briefed reporters on Friday.", "Nobody asked."]),
    ("Washington announced $2.6 billion on Wednesday. It was more than expected.",
     ["Washington announced $2.6 billion on Wednesday.", "It was more than expected."]),
    ("“We simply don’t know,” Blinken said. “We’ll see.”",
     ["“We simply don’t know,” Blinken said.", "“We’ll see.”"]),
    ("President F.W. de Klerk met Nelson Mandela. They talked.",
     ["President F.W. de Klerk met Nelson Mandela.", "They talked."]),
    ("First paragraph ends here\n\nSecond paragraph starts. It goes on.",
     ["First paragraph ends here", "Second paragraph starts.", "It goes on."]),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_words_and_terms():
    assert words("Don't go, al-Sudani said of the U.S. $2.6 billion.") == [
        "Don't", "go", "al-Sudani", "said", "of", "the", "U.S", "2.6", "billion"]
    assert content_terms("The U.S. troops attacked Kyiv’s army 5 times") == [
        "u.s", "troop", "attack", "kyiv", "armi", "time"]
    # typographic apostrophes do not smuggle stop words in
    assert content_terms("We don’t know what they’re doing") == content_terms("We don't know what they're doing")
    assert content_terms("We don’t mend bridges, they’re saying") == ["mend", "bridg"]


def test_sumy_uses_our_tokenizer_offline():
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.luhn import LuhnSummarizer

    document = PlaintextParser.from_string(
        "Floods hit the town on Monday. Floods closed the school. The mayor spoke about floods.", TOKENIZER
    ).document
    assert len(document.sentences) == 3
    assert TOKENIZER.to_words("The U.S. sent 2 ships") == ("The", "U.S", "sent", "ships")
    summary = LuhnSummarizer(Stemmer("english"))(document, 1)
    assert len(summary) == 1


def test_label_is_a_title_or_first_sentence_without_its_dateline():
    assert text.label(None, "NAIROBI, Kenya (AP) _ Rebels attacked a market town on Monday.") == (
        "Rebels attacked a market town on Monday.")
    assert text.label("WASHINGTON (AP) — Senate  passes the\nbudget", "Ignored.") == "Senate passes the budget"
    assert text.label("NASA: Rover lands on Mars", None) == "NASA: Rover lands on Mars"  # a kicker, kept
    assert text.label("U.S. - China talks resume", None) == "U.S. - China talks resume"  # not a dateline
    assert text.label("  ", "ROME (Reuters) -- Floods hit the city.") == "Floods hit the city."
    long = text.label(None, "Word " * 60)
    assert long.endswith("…") and len(long) <= text.LABEL_CHARS + 1 and "  " not in long
    assert text.label(None, None) is None and text.label("", "") is None
