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
