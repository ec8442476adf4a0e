"""Who said what: quotes.extract, speaker keys, the quotes table and newsdigest_quotes.

Expectations are written from reading the sentences (and the seeds), not from a run."""

import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from datasette_newsdigest import quotes, sql, store, text
from datasette_newsdigest.cli import cli


def one(body: str) -> quotes.Quote:
    found = quotes.extract(body)
    assert len(found) == 1, found
    return found[0]


def test_direct_quote_speaker_said_with_role_before_the_name():
    q = one("“We are not attacking Putin or Moscow,” Ukrainian President Volodymyr Zelenskyy said on Wednesday.")
    assert (q.speaker, q.speaker_role, q.kind, q.verb) == (
        "Volodymyr Zelenskyy", "Ukrainian President", "direct", "said")
    assert q.quote == "We are not attacking Putin or Moscow"
    assert q.position == 0


def test_said_before_the_speaker():
    q = one("“The investigation is ongoing,” said Kremlin spokesman Dmitry Peskov.")
    assert (q.speaker, q.speaker_role, q.kind) == ("Dmitry Peskov", "Kremlin spokesman", "direct")
    assert q.quote == "The investigation is ongoing"


def test_indirect_speech_is_the_reported_clause():
    q = one("Kremlin spokesman Dmitry Peskov said on Thursday that Washington had chosen the target.")
    assert (q.speaker, q.kind, q.verb) == ("Dmitry Peskov", "indirect", "said")
    assert q.quote == "Washington had chosen the target"


def test_trailing_speaker_of_indirect_speech():
    q = one("The attack was planned in Washington, Russian officials said.")
    assert (q.speaker, q.kind, q.quote) == ("Russian officials", "indirect", "The attack was planned in Washington")


@pytest.mark.parametrize("body, quote", [
    ("No one was harmed in the attack, according to city officials.", "No one was harmed in the attack"),
    ("According to city officials, no one was harmed in the attack.", "no one was harmed in the attack"),
])
def test_according_to(body, quote):
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.quote) == ("city officials", "according to", "indirect", quote)


def test_pronoun_speaker_is_the_person_named_before_it():
    body = ("Kremlin spokesman Dmitry Peskov spoke to reporters on Thursday. "
            "He said the investigation into the attack was ongoing.")
    q = one(body)
    assert (q.speaker, q.position, q.quote) == ("Dmitry Peskov", 1, "the investigation into the attack was ongoing")


def test_surname_is_given_as_the_full_name_the_article_first_used():
    body = ("Dmitry Peskov, the Kremlin spokesman, spoke on Thursday.\n\n"
            "Peskov added that Moscow would respond when it saw fit.")
    q = one(body)
    assert (q.speaker, q.verb, q.quote) == ("Dmitry Peskov", "added", "Moscow would respond when it saw fit")


def test_organization_speaker():
    q = one("“These attacks would not be possible without the help of the US,” the Russian foreign ministry "
            "said in a statement.")
    assert (q.speaker, q.speaker_role, q.kind) == ("the Russian foreign ministry", None, "direct")
    assert q.quote == "These attacks would not be possible without the help of the US"


def test_quote_spanning_sentences_is_one_statement():
    body = ("US Secretary of State Antony Blinken spoke on Wednesday. "
            "“We’ll see what the facts are. And it’s really hard to comment on this,” he added.")
    assert len(text.split_sentences(body)) == 3
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.position) == ("Antony Blinken", "added", "direct", 1)
    assert q.quote == "We’ll see what the facts are. And it’s really hard to comment on this"


def test_quotation_continued_in_the_next_sentence_joins_the_statement():
    body = ("“We are fighting in our own territory,” Zelenskyy told a news conference. "
            "“We don’t even have enough weapons for that.”")
    q = one(body)
    assert q.speaker == "Zelenskyy" and q.verb == "told" and q.position == 0
    assert q.quote == "We are fighting in our own territory We don’t even have enough weapons for that."


def test_no_statement_without_a_speech_cue():
    assert quotes.extract("The drone exploded above the Kremlin early on Wednesday.") == []
    assert quotes.extract("Russia accuses the US of being behind the attack.") == []
    assert quotes.extract("") == [] and quotes.extract(None) == []


def _seed(seeds_dir, prefix):
    body = next(seeds_dir.glob(prefix + "_*.txt")).read_text()
    return body, text.split_sentences(body)


def test_seed_peskov_says_washington_decides(seeds_dir):
    body, sentences = _seed(seeds_dir, "001")
    found = quotes.extract(body)
    position = next(i for i, s in enumerate(sentences) if s.startswith("“We are well aware"))
    q = next(q for q in found if q.position == position)
    assert (q.speaker, q.kind, q.verb) == ("Dmitry Peskov", "direct", "said")  # the sentence says "he"
    assert q.quote.startswith("We are well aware that decisions regarding such a level of terrorist attacks")
    assert "kyiv only does what it is told to do" in q.quote  # the next sentence goes on quoting him
    saying = next(q for q in found if q.verb == "saying")
    assert (saying.speaker, saying.speaker_role, saying.quote) == (
        "Dmitry Peskov", "Kremlin spokesman", "Washington orchestrated the incident")


def test_seed_blinken_simply_does_not_know(seeds_dir):
    body, sentences = _seed(seeds_dir, "003")
    found = quotes.extract(body)
    q = next(q for q in found if q.quote == "We simply don’t know")
    assert (q.speaker, q.kind, q.verb) == ("Antony Blinken", "direct", "claimed")
    assert sentences[q.position].startswith("“We simply don’t know,” Blinken claimed")
    stated = next(q for q in found if q.verb == "stated")
    assert (stated.speaker, stated.speaker_role) == ("Antony Blinken", "US Secretary of State")
    assert "can’t in any way validate them" in stated.quote
    peskov = next(q for q in found if q.verb == "underlined")
    assert (peskov.speaker, peskov.speaker_role) == ("Dmitry Peskov", "Putin’s spokesman")
    assert peskov.quote.startswith("Moscow is aware that Washington had selected the target")


def test_speaker_keys_join_one_person_across_articles():
    rows = quotes.speaker_keys([
        {"speaker": "Kremlin spokesman Dmitry Peskov"}, {"speaker": "Peskov"}, {"speaker": "Dmitry Peskov"},
        {"speaker": "Mr. Peskov"}, {"speaker": "the Russian foreign ministry"}, {"speaker": "The ministry"},
    ])
    keys = [r["speaker_key"] for r in rows]
    assert keys[0] == keys[1] == keys[2] == keys[3] == "dmitry peskov"
    assert keys[4] == keys[5] == "russian foreign ministry"


def test_speaker_keys_from_extraction_of_two_articles():
    first = quotes.extract("Kremlin spokesman Dmitry Peskov said Washington had chosen the target.")
    second = quotes.extract("“Kiev only does what it is told,” Peskov said.")
    rows = quotes.speaker_keys([q.as_dict() for q in first + second])
    assert [r["speaker_key"] for r in rows] == ["dmitry peskov", "dmitry peskov"]


def test_a_shared_surname_of_two_people_is_left_alone():
    rows = quotes.speaker_keys([{"speaker": "Hillary Clinton"}, {"speaker": "Bill Clinton"}, {"speaker": "Clinton"}])
    assert [r["speaker_key"] for r in rows] == ["hillary clinton", "bill clinton", "clinton"]


def test_pathological_megabyte_completes():
    for body in ("“" * 1_000_000, "said, " * 170_000, ("“a,” said He " * 80_000)[:1_000_000],
                 ("According to Peskov Dmitry, " * 40_000)[:1_000_000]):
        assert isinstance(quotes.extract(body), list)


def test_sentences_packed_with_cues_complete():
    sentence = "Peskov said, " * ((quotes.MAX_SENTENCE_CHARS - 100) // 13) + "end. "
    found = quotes.extract(sentence * 20)
    assert isinstance(found, list) and len(found) <= 20 * quotes.MAX_CUES


# --------------------------------------------------------------------------
# SQL


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:")
    sql.register(c, {"max_chars": 2000})
    yield c
    c.close()


def test_newsdigest_quotes_with_json_each(conn):
    body = "“We simply don’t know,” Blinken claimed on Wednesday. Russia said Washington chose the target."
    rows = conn.execute(
        "select j.value ->> 'speaker', j.value ->> 'kind', j.value ->> 'verb', j.value ->> 'position' "
        "from json_each(newsdigest_quotes(?)) j", [body]).fetchall()
    assert rows == [("Blinken", "direct", "claimed", 0), ("Russia", "indirect", "said", 1)]
    first = json.loads(conn.execute("select newsdigest_quotes(?)", [body]).fetchone()[0])[0]
    assert set(first) == {"position", "speaker", "speaker_key", "speaker_role", "quote", "kind", "verb"}


def test_newsdigest_quotes_bad_input(conn):
    assert conn.execute("select newsdigest_quotes(null)").fetchone()[0] is None
    assert conn.execute("select newsdigest_quotes('')").fetchone()[0] == "[]"
    assert conn.execute("select newsdigest_quotes(42)").fetchone()[0] == "[]"
    assert conn.execute("select newsdigest_quotes(x'ff00')").fetchone()[0] == "[]"
    error = json.loads(conn.execute("select newsdigest_quotes(?)", ["said " * 1000]).fetchone()[0])[0]["error"]
    assert "max_chars" in error and "2,000" in error
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("select newsdigest_quotes('a', 'b')")


# --------------------------------------------------------------------------
# The table


def test_quotes_table_after_a_build(seeds_db):
    with sqlite3.connect(seeds_db) as db:
        columns = [row[1] for row in db.execute("pragma table_info(quotes)")]
        assert columns == ["id", "article_id", "event_id", "position", "speaker", "speaker_key", "speaker_role",
                           "quote", "kind", "verb"]
        fks = db.execute("pragma foreign_key_list(quotes)").fetchall()
        assert [(f[2], f[3], f[4]) for f in fks] == [("articles", "article_id", "id")]
        assert db.execute("select count(*) from quotes q left join articles a on a.id = q.article_id "
                          "where a.id is null or q.event_id is not a.event_id").fetchone()[0] == 0
        # the position is that of the sentences table
        row = db.execute("select s.text from quotes q join sentences s on s.article_id = q.article_id "
                         "and s.position = q.position where q.quote = 'We simply don’t know'").fetchone()
        assert row[0].startswith("“We simply don’t know,” Blinken claimed")
        peskov = db.execute("select distinct event_id, speaker_key from quotes where speaker like '%Peskov%'"
                            ).fetchall()
        assert peskov and all(key == "dmitry peskov" for _, key in peskov)


def test_quotes_table_after_add(tmp_path, seeds_dir):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for path in seeds_dir.iterdir():
        (first / path.name).write_bytes(path.read_bytes())
    (second / "new.jsonl").write_text(json.dumps({
        "id": "new-1", "title": "Kremlin blames Washington for drone attack",
        "body": "Peskov said on Friday that the Kremlin drone attack was planned in Washington. "
                "“Kiev only does what it is told,” Kremlin spokesman Dmitry Peskov said.",
        "published": "2023-05-05", "outlet": "Example"}) + "\n")
    db_path = tmp_path / "news.db"
    for args in (["build", str(db_path), str(first)], ["build", "--add", str(db_path), str(second)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as db:
        new = db.execute("select q.speaker, q.speaker_key, q.kind, q.event_id = a.event_id from quotes q "
                         "join articles a on a.id = q.article_id where q.article_id = 'new-1' "
                         "order by q.position").fetchall()
        assert new == [("Dmitry Peskov", "dmitry peskov", "indirect", 1), ("Dmitry Peskov", "dmitry peskov",
                                                                          "direct", 1)]
        old = db.execute("select body from articles where id != 'new-1'").fetchall()
        assert db.execute("select count(*) from quotes where article_id != 'new-1'").fetchone()[0] == sum(
            len(quotes.extract(body)) for (body,) in old)
        assert db.execute("select count(*) from (select article_id, position, quote from quotes "
                          "group by 1, 2, 3 having count(*) > 1)").fetchone()[0] == 0


def test_add_rekeys_the_event_an_older_article_moved_to(tmp_path):
    db = sqlite_utils.Database(tmp_path / "q.db")
    store.create_tables(db)
    db.table("articles").insert_all([
        {"id": "a", "body": "Kremlin spokesman Dmitry Peskov said Washington chose the target.", "event_id": 1},
        {"id": "b", "body": "Peskov said Kiev only does what it is told.", "event_id": 2},
    ])
    for article in db.table("articles").rows:
        db.table("sentences").insert_all({"article_id": article["id"], "position": i, "text": s}
                                         for i, s in enumerate(text.split_sentences(article["body"])))
    store.fill_quotes(db)
    assert db.execute("select speaker_key from quotes where article_id = 'b'").fetchone()[0] == "peskov"
    # an --add moves b into a's event and adds c elsewhere: b's quote follows, its new event is re-keyed
    db.execute("update articles set event_id = 1 where id = 'b'")
    db.table("articles").insert({"id": "c", "body": "Officials said nothing happened.", "event_id": 3})
    db.table("sentences").insert({"article_id": "c", "position": 0, "text": "Officials said nothing happened."})
    store.fill_quotes(db, ["c"])
    assert db.execute("select event_id, speaker_key from quotes where article_id = 'b'").fetchone() == (
        1, "dmitry peskov")


# Shapes added for issue 12's quality targets (round 3): expectations from reading each text.

def test_pronoun_stands_for_the_surname_that_is_the_last_subject():
    body = ("Antony Blinken met Dmitry Peskov in Geneva on Monday. Peskov later dismissed the American proposal. "
            "“We have nothing to add,” he said.")
    q = one(body)
    assert (q.speaker, q.position, q.quote) == ("Dmitry Peskov", 2, "We have nothing to add")


def test_she_skips_a_man_the_article_called_mr():
    q = one("Mr. Sanders spoke after Mrs. Clinton left the stage. “We will win,” she said.")
    assert (q.speaker, q.position) == ("Clinton", 1)


def test_a_pronoun_subject_carries_its_person_to_the_next_pronoun():
    body = ("Kremlin spokesman Dmitry Peskov spoke on Monday. He dismissed a report by Antony Blinken. "
            "“We have nothing to add,” he said.")
    assert one(body).speaker == "Dmitry Peskov"


def test_the_antecedent_is_the_subject_not_the_object():
    assert one("In Geneva on Monday, Antony Blinken met Dmitry Peskov. “We talked for hours,” he said.").speaker \
        == "Antony Blinken"


def test_a_place_in_capitals_is_no_antecedent():
    q = one("The Aral Sea shrank while Nursultan Nazarbayev watched. “It is a tragedy,” he said.")
    assert q.speaker == "Nursultan Nazarbayev"


def test_saying_belongs_to_the_subject_of_its_clause():
    q = one("Shortly after the vote, Senator Jeff Flake issued a statement saying the bill was dead.")
    assert (q.speaker, q.verb, q.quote) == ("Jeff Flake", "saying", "the bill was dead")


@pytest.mark.parametrize("body, speaker", [
    ("In Texas, half of Republican voters said they were angry.", "half of Republican voters"),
    ("Among Republicans, 61 percent said they were angry.", "61 percent"),
])
def test_an_opening_place_or_group_is_not_the_speaker(body, speaker):
    q = one(body)
    assert (q.speaker, q.quote) == (speaker, "they were angry")


@pytest.mark.parametrize("body, speaker, quote", [
    ("The pilot had been with EgyptAir since 2004, according to his Facebook profile.", "his Facebook profile",
     "The pilot had been with EgyptAir since 2004"),
    ("Mrs. Clinton leads by eight points, according to the institute.", "the institute",
     "Mrs. Clinton leads by eight points"),
])
def test_according_to_any_source(body, speaker, quote):
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.quote) == (speaker, "according to", "indirect", quote)


def test_a_reported_question():
    q = one("Tapper asked whether Republicans would hold the Senate.")
    assert (q.speaker, q.verb, q.quote) == ("Tapper", "asked", "whether Republicans would hold the Senate")


def test_a_promise_after_when_and_where():
    q = one("Sanders promised Sunday at a Las Vegas rally to end the deportation program.")
    assert (q.speaker, q.verb, q.quote) == ("Sanders", "promised", "to end the deportation program")


@pytest.mark.parametrize("body, kind, quote", [
    ("Sen. Chuck Grassley (R-Iowa) said the hearing would go ahead.", "indirect", "the hearing would go ahead"),
    ("“It is over,” said Sen. Ron Johnson (R-Wis.).", "direct", "It is over"),
])
def test_party_and_state_in_parentheses_after_the_name(body, kind, quote):
    q = one(body)
    assert (q.speaker_role, q.kind, q.quote) == ("Sen.", kind, quote)
    assert q.speaker in {"Chuck Grassley", "Ron Johnson"}


def test_a_relative_clause_between_speaker_and_cue():
    q = one("At one point on Sunday, Trump, who has millions of followers, tweeted, “We will win.”")
    assert (q.speaker, q.verb, q.kind, q.quote) == ("Trump", "tweeted", "direct", "We will win.")


def test_role_then_name_between_commas_after_a_quotation():
    q = one("“We need him,” his wife, Gabriela Lazar, wrote in a letter to the court.")
    assert (q.speaker, q.speaker_role, q.kind, q.quote) == ("Gabriela Lazar", "his wife", "direct", "We need him")


def test_reported_followed_by_a_day():
    q = one("The Washington Post reported Tuesday that the talks had failed.")
    assert (q.speaker, q.verb, q.quote) == ("The Washington Post", "reported", "the talks had failed")


def test_a_one_word_speaker_is_a_person_later_on():
    body = "Reid said on Monday that he would stay. Reid then met Mitch McConnell. “We talked,” he said."
    assert [(q.position, q.speaker) for q in quotes.extract(body)] == [(0, "Reid"), (2, "Reid")]


@pytest.mark.parametrize("body", [
    "“We are fine,” said Peskov during a visit to Ohio.",
    "“We are fine,” said Peskov in a telephone interview.",
])
def test_where_or_when_after_an_inverted_speaker(body):
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.quote) == ("Peskov", "said", "direct", "We are fine")


@pytest.mark.parametrize("body, speaker, role", [
    ("“We are fine,” said the New York businessman.", "the New York businessman", None),
    ("“We are fine,” said New York Gov. Andrew Cuomo.", "Andrew Cuomo", "New York Gov."),
])
def test_new_before_a_name_is_part_of_an_inverted_speaker(body, speaker, role):
    q = one(body)
    assert (q.speaker, q.speaker_role, q.quote) == (speaker, role, "We are fine")


@pytest.mark.parametrize("body, speaker", [
    ("“It was easy,” the retired neurosurgeon told CNN.", "the retired neurosurgeon"),
    ("“It was easy,” the gambling tycoon told Reuters in a rare interview.", "the gambling tycoon"),
    ("“It was easy,” the conservative-leaning newspaper wrote.", "the conservative-leaning newspaper"),
    ("“It was easy,” the billionaire business mogul told People.", "the billionaire business mogul"),
])
def test_any_noun_phrase_next_to_a_quotation_may_speak(body, speaker):
    q = one(body)
    assert (q.speaker, q.kind, q.quote) == (speaker, "direct", "It was easy")


@pytest.mark.parametrize("body, speaker", [
    ("In the excerpt, the author wrote, “It was easy.”", "the author"),
    ("One man wrote, “It was easy.”", "One man"),
    ("“It was easy,” said the second official.", "the second official"),
    ("“It was easy,” wrote Time magazine.", "Time magazine"),
])
def test_people_and_publications_as_speakers(body, speaker):
    q = one(body)
    assert (q.speaker, q.kind) == (speaker, "direct")
    assert q.quote.rstrip(".") == "It was easy"


def test_new_before_a_name_read_backwards_from_the_cue():
    q = one("\"It was easy,\" the New Jersey governor said.")
    assert (q.speaker, q.quote) == ("the New Jersey governor", "It was easy")
    q = one("“It works,” said Representative Charles B. Rangel of New York.")
    assert (q.speaker, q.speaker_role) == ("Charles B. Rangel", "Representative")


@pytest.mark.parametrize("body, speaker, role, quote", [
    ("Sen. Rand Paul, R-Ky., told Fox News that polls could be \"way off.\"", "Rand Paul", "Sen.",
     'polls could be "way off."'),
    ("Rep. Darrell Issa, R-Calif., said the deal was bad.", "Darrell Issa", "Rep.", "the deal was bad"),
])
def test_party_and_state_between_commas(body, speaker, role, quote):
    q = one(body)
    assert (q.speaker, q.speaker_role, q.quote) == (speaker, role, quote)


def test_later_and_a_day_between_speaker_and_cue():
    q = one("Priebus later Thursday told Fox News: “It was easy.”")
    assert (q.speaker, q.kind, q.quote) == ("Priebus", "direct", "It was easy.")


@pytest.mark.parametrize("body, speaker, quote", [
    ("\"Friend, let me be blunt,\" the email read.", "the email", "Friend, let me be blunt"),
    ("“Vote for us,” read the email.", "the email", "Vote for us"),
    ("He held up the sign, which read “Hispanics 4 Trump.”", "the sign", "Hispanics 4 Trump."),
])
def test_what_a_text_reads(body, speaker, quote):
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.quote) == (speaker, "read", "direct", quote)
    assert quotes.extract("He read the book in one night.") == []  # without a quotation, no cue


def test_calling_with_a_quotation_belongs_to_the_subject():
    q = one("Cruz belittled the issue, calling it a \"paperwork error\" in a long speech.")
    assert (q.speaker, q.verb, q.kind) == ("Cruz", "calling", "indirect")
    assert q.quote == 'it a "paperwork error" in a long speech'


@pytest.mark.parametrize("body, speaker, quote, kind", [
    ("Pence went on to say he is “confident” that it works.", "Pence", "he is “confident” that it works", "indirect"),
    ("The email went on to say, “Today we won.”", "The email", "Today we won.", "direct"),
    ("Dmitry Peskov continued to say that the plan works.", "Dmitry Peskov", "the plan works", "indirect"),
])
def test_went_on_to_say(body, speaker, quote, kind):
    q = one(body)
    assert (q.speaker, q.verb, q.kind, q.quote) == (speaker, "say", kind, quote)


# Cheaper paths (issue 12's speed target): each must give what the plain path gives.

PLAIN_TOKEN_RE = r"[^\W_](?:[^\W_]|['’\-.&](?=[^\W_]))*\.?|[,;:()?!—–\-]|\."  # the tokenizer's first regex

TOKEN_SAMPLES = [
    "don't say U.S. officials' AT&T deal.", "al-Sudani. e.g.. x--y a.b.c. 3.14 Ph.D. word- -word a& &b",
    "_foo_bar co-op’s ’s 's naïve éclair 1,000 (R-Wis.) — – ... ?! end.", "A.", ".", "'x' x'' x.'y", "",
    "Mr. Peskov said. Sen. Ron Johnson (R-Wis.) told Gen. Smith Jr. so.. St. Louis, D.C. and U.K.)",
    "“We are not attacking,” he said. “Never.”. ‘x’ «Bonjour.» ''quoted.'' ``also.`` “left open.",
    "He said “x.” “y”. Then “z.”), Mr.) etc.. 5. 5.5. Éclair. ÉCLAIR. İstanbul. ǅemal. ß.",
    "Mr . Peskov, U.S .) and Sen .", "said Mr“.” x", "Jr.”x.” A .",
]


def plain_tokens(s):
    """The tokenizer as first written: one token object per regex match, a trailing dot split off
    unless the word keeps it, each quotation one token."""
    import re

    out = []
    at = 0
    for start, end in quotes._quotations(s) + [(len(s), len(s))]:
        for m in re.compile(PLAIN_TOKEN_RE).finditer(s, at, start):
            word = m.group()
            if word[-1] == "." and len(word) > 1 and not quotes._keeps_dot(word) and s[m.end():m.end() + 1] != ")":
                out += [(word[:-1], m.start(), m.end() - 1, False), (".", m.end() - 1, m.end(), False)]
            else:
                out.append((word, m.start(), m.end(), False))
        if end > start:
            out.append((s[start:end], start, end, True))
        at = end
    return [(t, a, b, q, t.lower(), not q and t[:1].isupper()) for t, a, b, q in out]


@pytest.mark.parametrize("s", TOKEN_SAMPLES)
def test_tokens_are_what_the_plain_tokenizer_makes(s):
    # _tokens gathers fields in lists and joins a word's dot afterwards; the plain one matched the dot
    # with the word and split it off again
    tokens = quotes._tokens(s)
    assert [(t.text, t.start, t.end, t.quote, t.low, t.capital) for t in tokens] == plain_tokens(s)


def test_a_token_made_alone_is_one_the_tokenizer_makes():
    for t in quotes._tokens(TOKEN_SAMPLES[-2]):
        alone = quotes._token(t.text, t.start, t.end, t.quote)
        assert [getattr(alone, f) for f in quotes._Token.__slots__] == [getattr(t, f) for f in quotes._Token.__slots__]


@pytest.mark.parametrize("s", TOKEN_SAMPLES + ["“", "”", "\"", "'", "''", "``", "`", "x«", "»", "„x"])
def test_quote_marks_are_found_without_the_regex_as_with_it(s):
    assert quotes._has_quote_mark(s) == (quotes._QUOTE_MARK_RE.search(s) is not None)
    if not quotes._has_quote_mark(s):
        assert quotes._quoted_spans(s) == ([], None, False)


@pytest.mark.parametrize("s", ["", "one", "one two", "U.S. troops", "—", "a-b", "x, y, z", "’s", "1 2", "'' x"])
def test_has_words_is_count_words_at_least(s):
    for n in range(4):
        assert text.has_words(s, n) == (text.count_words(s) >= n), (s, n)


@pytest.mark.parametrize("s", [
    "He said she would. The theme: she'll, he's.", "Shhe Hhe Se sHe ahe she_ _he He-man 1he éHe “He” (she)",
    "the she the he. SHE HE hE", "she", "He", "", "Ashe shed shelf hen Hebrew. she—he",
])
def test_pronoun_words_are_the_word_bounded_he_and_she(s):
    import re

    plain = [(m.start(), m.group(1)) for m in re.finditer(r"\b([Hh]e|[Ss]he)\b", s)]
    assert list(quotes._pronoun_words(s)) == plain


def test_names_remembered_per_run_still_depend_on_what_the_article_said():
    quotes._run_parts.cache_clear()
    unit = "Peskov said it was wrong."
    assert [m.name for m in quotes._people_in(unit, [], quotes._People())] == []  # a lone word: maybe a place
    people = quotes._People()
    people.see(0, "Dmitry Peskov", "person", 1)
    assert [m.name for m in quotes._people_in(unit, [], people)] == ["Peskov"]  # the run's checks were cached
    assert [m.name for m in quotes._people_in(unit, [], quotes._People())] == []


@pytest.mark.parametrize("unit, names", [
    ("Russian President Vladimir Putin's spokesman, Mr. Peskov, told reporters in Europe that Moore & Van Allen "
     "and Sen. Ron Johnson Jr. met spokeswoman Anna Richardson White, his wife, Ivana, and the United States.",
     {"Vladimir Putin", "Ron Johnson", "Anna Richardson White", "Peskov"}),  # a title makes one word a person
    ("In Texas, Mrs. Clinton said She would.", {"Clinton"}),
])
def test_names_are_the_same_whether_their_runs_were_seen_before(unit, names):
    def mentions():
        people = quotes._People()
        people.see(0, "Vladimir Putin", "person", 1)
        return quotes._people_in(unit, [(0, 10)], people)

    quotes._run_parts.cache_clear()
    cold = mentions()
    assert cold and mentions() == cold
    assert {m.name for m in cold} >= names


@pytest.mark.parametrize("body", [
    "“We are not attacking,” he said. “We never were.” Peskov agreed.\n\nA new paragraph” with a stray mark.",
    "“Why are you still endorsing him?” Obama asked. Sen. Ron Johnson (R-Wis.) said no.",
    "No quotation here. Nor “here, left open. Still open. And closed.” Then plain.",
    "Peskov said “we will not go there. Nobody” asked “why” again.",  # joined up to the paragraph's end
])
def test_units_carry_the_quotations_of_their_own_text(body):
    units = list(quotes._units(body, text.split_sentences(body)))
    assert [u[:3] for u in units] == [u[:3] for u in quotes._units(body, None)]
    for _, unit, _, spans, marked in units:
        assert spans == quotes._quotations(unit)
        assert marked == (quotes._QUOTE_MARK_RE.search(unit) is not None)
    assert any(marked and not spans for *_, spans, marked in units) == ("stray" in body)


@pytest.mark.parametrize("unit", ["He said so.", "ADD it", "Add: ask, say", "x-said", "as a b", "Saying",
                                  "unsaid sayings", "according", "ACCORDING to", "no cue here", "", "tells. ", "said2"])
def test_the_cue_word_test_is_the_plain_one(unit):
    import re

    plain = not quotes._CUE_WORDS.isdisjoint(re.findall(r"[a-z]+", unit.lower()))
    assert quotes._has_cue_word(unit) == plain


class PlainPeople(quotes._People):
    """_People.see as first written, from learn, known and full_name."""

    def see(self, position, name, kind, rank, titled=False):
        bare = quotes._bare(name)
        if kind == "person":
            self.learn(name)
        if (titled or rank == 0 and kind == "person") and len(bare) == 1:
            self.titled.add(quotes._fold(bare[0]))
        if rank and kind == "person" and not self.known(name):
            return
        self.recent.append((position, self.full_name(name), kind, rank))
        if len(self.recent) > 200:
            del self.recent[:100]


def test_seeing_a_name_does_what_learn_known_and_full_name_did():
    seen = [("Peskov", "person", 2, False), ("Dmitry Peskov", "person", 1, False), ("Peskov", "person", 2, False),
            ("Mr. Rogan", "person", 2, True), ("Rogan", "person", 1, False), ("Reid", "person", 0, False),
            ("Reid", "person", 2, False), ("the ministry", "org", 0, False), ("Kremlin", "org", 2, False),
            ("Mr.", "person", 0, False), ("", "person", 1, False), ("", "org", 0, False),
            ("Ms. Ann Lee", "person", 1, False), ("Lee", "person", 2, False), ("officials", "plural", 0, False),
            ("Putin", "person", 2, True), ("Éric Zemmour", "person", 0, False), ("ZEMMOUR", "person", 2, False),
            ("Dmitri Peskov", "person", 0, False)]
    fused, plain = quotes._People(), PlainPeople()
    for position, (name, kind, rank, titled) in enumerate(seen * 12):  # past the 200 kept
        fused.see(position, name, kind, rank, titled)
        plain.see(position, name, kind, rank, titled)
        assert (fused.full, fused.titled, fused.recent) == (plain.full, plain.titled, plain.recent), name


def plain_speaker_keys(rows):
    """speaker_keys as first written: every longer name of the event tried for each key."""
    keys = [quotes.speaker_key(q.get("speaker")) for q in rows]
    names = sorted({k for k in keys if k and " " in k}, key=len)

    def canonical(key):
        return next((c for c in names if len(c) < len(key) and key.endswith(" " + c)), key)

    by_surname = {}
    for name in names:
        by_surname.setdefault(name.rsplit(" ", 1)[1], set()).add(canonical(name))
    out = []
    for key in keys:
        if key and " " in key:
            key = canonical(key)
        elif key and len(by_surname.get(key, ())) == 1:
            key = next(iter(by_surname[key]))
        out.append(key)
    return out


@pytest.mark.parametrize("speakers", [
    ["Kremlin spokesman Dmitry Peskov", "Peskov", "Mr. Peskov", "Dmitry Peskov", "Ry Peskov", "he", None, ""],
    ["Bill Clinton", "Hillary Clinton", "Clinton", "former President Bill Clinton", "Hillary Rodham Clinton",
     "Rodham Clinton", "the White House", "White House", "House"],
    ["A B C D", "B C D", "C D", "D", "X C D", "Z A B C D"],
])
def test_speaker_keys_join_a_name_to_the_shortest_name_it_ends_with(speakers):
    keyed = quotes.speaker_keys([{"speaker": s} for s in speakers])
    assert [q["speaker_key"] for q in keyed] == plain_speaker_keys([{"speaker": s} for s in speakers])


def test_as_dict_is_the_dataclass_as_dict():
    import dataclasses

    q = quotes.Quote(3, "Dmitry Peskov", "Kremlin spokesman", "We have nothing to add", "direct", "said", "peskov")
    assert q.as_dict() == dataclasses.asdict(q)
    assert list(q.as_dict()) == [f.name for f in dataclasses.fields(q)]


def test_every_quote_field_reaches_the_dict_and_the_quotes_table(tmp_path):
    """The dict and the rows are made from the dataclass's fields: each field is a column of
    ``quotes``, and each row holds the value extract gave (speaker_key as speaker_keys gives it)."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(quotes.Quote)]
    assert list(quotes.QUOTE_FIELDS) == names and set(names) <= set(store.QUOTE_COLUMNS)
    body = ("Kremlin spokesman Dmitry Peskov said Washington chose the target. “We have nothing to add,” "
            "he said. Officials said nothing happened.")
    db = sqlite_utils.Database(tmp_path / "fields.db")
    store.create_tables(db)
    db.table("articles").insert({"id": "a", "body": body, "event_id": 1})
    db.table("sentences").insert_all({"article_id": "a", "position": i, "text": s}
                                     for i, s in enumerate(text.split_sentences(body)))
    store.fill_quotes(db)
    expected = quotes.speaker_keys([q.as_dict() for q in quotes.extract(body)])
    assert len(expected) >= 2 and all(set(q) == set(names) for q in expected)
    assert [dict(zip(names, row, strict=True)) for row in db.execute(
        f"select {', '.join(names)} from quotes order by id")] == expected


def test_the_quotes_table_holds_each_articles_extract_with_its_events_keys(tmp_path):
    db = sqlite_utils.Database(tmp_path / "q.db")
    store.create_tables(db)
    bodies = {"a": ("Kremlin spokesman Dmitry Peskov said Washington chose the target. “We have nothing to add,” "
                    "he said.", 1),
              "b": ("Peskov said Kiev only does what it is told. Officials said nothing happened.", 1),
              "c": ("“We simply don't know,” Secretary of State Antony Blinken told reporters.", 2)}
    db.table("articles").insert_all({"id": k, "body": body, "event_id": e} for k, (body, e) in bodies.items())
    for k, (body, _) in bodies.items():
        db.table("sentences").insert_all({"article_id": k, "position": i, "text": s}
                                         for i, s in enumerate(text.split_sentences(body)))
    store.fill_quotes(db)
    expected = []
    for event in (1, 2):
        made = [{"article_id": k, "event_id": e, **q.as_dict()} for k, (body, e) in bodies.items() if e == event
                for q in quotes.extract(body)]
        expected += quotes.speaker_keys(made)
    columns = list(expected[0])
    assert [dict(zip(columns, row, strict=True)) for row in db.execute(
        f"select {', '.join(columns)} from quotes order by event_id, id")] == expected
    assert len(expected) == 5


@pytest.mark.parametrize("unit", [
    "Three US officials, speaking to NBC News on Wednesday, said the retired neurosurgeon told CNN it was fine.",
    "“It was absurd,” the gambling tycoon told Reuters, and the ministry, which it says was wrong, said no.",
    "The Kremlin's claim, a report said, was that “Washington chose the target,” Peskov said on Monday.",
])
def test_a_loose_speaker_follows_a_quotation_only_if_one_lies_before_the_cue(unit):
    # _verb_cue looks for a loose speaker phrase (any noun phrase) only when a quotation lies between
    # its floor and the cue: the phrase it would find could not follow one otherwise
    tokens = quotes._tokens(unit)
    for k in range(1, len(tokens) + 1):
        for floor in range(k):
            near = quotes._speaker_before(tokens, k, floor, loose=True)
            if near is not None and quotes._after_quotation(tokens, near.start, floor):
                assert any(t.quote for t in tokens[floor:k]), (k, floor, near)


def test_the_person_named_before_a_pronoun_counts_for_he_and_she_only():
    # _quote looks for that person only for "he" and "she"
    people = quotes._People()
    people.see(0, "Dmitry Peskov", "person", 1)
    for sp in (quotes._Speaker(0, 1, "they", None, None, "plural", pronoun="they"),
               quotes._Speaker(0, 1, "it", None, None, "thing", pronoun="it"),
               quotes._Speaker(0, 2, "Mr. Peskov", "Peskov", None, "person"),
               quotes._Speaker(0, 2, "the ministry", None, None, "org")):
        assert quotes._speaker_text(sp, 1, people, "Antony Blinken") == quotes._speaker_text(sp, 1, people, None)
    he = quotes._Speaker(0, 1, "he", None, None, "person", pronoun="he")
    assert quotes._speaker_text(he, 1, people, "Antony Blinken") == ("Antony Blinken", None)
