"""Cleaning of scraped pages, the structured readers, dates and bad input."""

import gzip
import json

import pytest

from datasette_newsdigest import ingest
from datasette_newsdigest.ingest import Problem, clean_page, file_kind, parse_date, read_file
from datasette_newsdigest.text import split_sentences

JUNK = [
    "Advertisement", "Leave a Reply", "Must read", "Also Read", "Getty Images", "Copyright",
    "Please enter", "Social Navigation", "Home »", "Check Also", "Trending", "18.1 C",
    "Logo", "Latest News", "daily dose", "contributed to this report", "developing story",
    "is Europe correspondent", "Your email address", "Iraqi PM", "Moscow at night",
    "Police in Ukraine", "National Police of Ukraine via AP",
]


def seed(seeds_dir, prefix):
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    (record,) = list(read_file(path, file_kind(path)))
    assert not isinstance(record, Problem), record
    return record


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    return {n: seed(seeds_dir, n) for n in ("000", "001", "002", "003", "004")}


def test_seed_titles(seeds):
    assert seeds["000"]["title"] is None  # the page states no headline
    assert seeds["001"]["title"] == "Russia accuses US of being behind Ukrainian attack on Kremlin"
    assert seeds["002"]["title"].startswith("Russia attempts to link US to alleged Moscow drone attack")
    assert seeds["003"]["title"] == "Russia alleges key US role in Kremlin drone attack"
    assert seeds["004"]["title"] == "US Distances Itself from Belgorod’s Incursion into Russia"


def test_seed_metadata_stated_or_null(seeds):
    assert seeds["001"]["author"] == "Joanna Swanson"
    assert "Anders Hagstrom" in seeds["002"]["author"]
    assert seeds["002"]["outlet"] == "U.S. Main News"
    assert seeds["004"]["published"] == "2023-06-05"
    for field in ("title", "author", "outlet", "outlet_from", "published"):
        assert seeds["000"][field] is None
    assert seeds["002"]["outlet_from"] == "page"  # its copyright line; no seed page has a URL
    # A date in a photo caption is not the publication date.
    assert seeds["002"]["published"] is None
    assert seeds["003"]["author"] is None and seeds["003"]["outlet"] is None


@pytest.mark.parametrize("n", ["000", "001", "002", "003", "004"])
def test_seed_bodies_are_free_of_junk(seeds, n):
    body = seeds[n]["body"]
    for junk in JUNK:
        assert junk not in body, junk
    assert seeds[n]["title"] is None or seeds[n]["title"] not in body
    assert "\n\n" in body and "\n\n\n" not in body


def test_seed_bodies_keep_the_story(seeds):
    expected = {
        "000": ["The Russian Foreign Ministry has issued a statement asserting",
                "there is currently no immediate necessity to escalate",
                "could redefine the balance of power in the region."],
        "001": ["Russia claimed on Thursday that the United States was behind an alleged drone attack",
                "“kyiv only does what it is told to do.”",
                "Washington announced $2.6 billion in additional funding on Wednesday",
                "as both sides appeared to set the stage for the fight to come."],
        "002": ["Russian officials are trying to link the U.S. and NATO",
                "No one was harmed in the attack, according to city officials.",
                "The U.S. State Department did not immediately respond to a request for comment.",
                "and to allow Ukraine membership into NATO."],
        "003": ["Russia has blamed the US for planning “a deliberate attempt”",
                "“We simply don’t know,” Blinken claimed on Wednesday.",
                "crashed near the village of Gubastovo, southeast of the capital."],
        "004": ["Russia attacked parts of the border district of Belgorod on Monday",
                "The governor of Belgorod reported one citizen dead",
                "attempting to eliminate neo-Nazis from Ukraine."],
    }
    for n, fragments in expected.items():
        for fragment in fragments:
            assert fragment in seeds[n]["body"], (n, fragment)


def test_seed_sentences(seeds):
    sentences = split_sentences(seeds["002"]["body"])
    assert "No one was harmed in the attack, according to city officials." in sentences
    assert any(s.startswith("Russian officials are trying to link the U.S. and NATO") for s in sentences)
    assert not any(s in ("U.S.", "Feb.") for s in sentences)
    total = sum(len(split_sentences(r["body"])) for r in seeds.values())
    assert 60 <= total <= 110


def test_rules_generalize_to_other_site_furniture():
    page = "\n".join([
        "Skip to content",
        "World › Europe › Floods",
        "Floods force thousands from homes in northern Italy",
        "Rescuers worked through the night as rivers burst their banks",
        "By Maria Rossi and Tom Baker",
        "Published: March 3, 2021 10:15",
        "",
        "ROME (Reuters) — Floods forced more than 10,000 people from their homes in northern Italy on Wednesday, "
        "officials said.",
        "Story continues below advertisement",
        "The civil protection agency said two people were missing after the Po river rose by three metres overnight.",
        "Related: Italy's dams under strain after record rain",
        "Firefighters in boats took residents from the roofs of their houses in the town of Modena.",
        "Flooded streets in Modena",
        "Water covers a street in Modena, Italy, March 3, 2021. (REUTERS/Flavio Lo Scalzo)",
        "Officials said the rain was expected to ease by Friday.",
        "Reporting by Maria Rossi; Editing by Tom Baker",
        "You may also like",
        "Heat wave grips southern Spain as temperatures climb",
        "© 2021 The Example Times. All rights reserved.",
    ])
    result = clean_page(page)
    assert result["title"] == "Floods force thousands from homes in northern Italy"
    assert result["subtitle"].startswith("Rescuers worked through the night")
    assert result["author"] == "Maria Rossi, Tom Baker"
    assert result["published"] == "2021-03-03T10:15:00"
    assert result["outlet"] == "The Example Times"
    body = result["body"]
    for kept in ["Floods forced more than 10,000 people", "two people were missing",
                 "Firefighters in boats", "rain was expected to ease by Friday."]:
        assert kept in body
    for junk in ["Skip to", "advertisement", "Related:", "Flooded streets", "REUTERS/", "Editing by",
                 "Heat wave", "©", "you may also like"]:
        assert junk.lower() not in body.lower()


def test_hard_wrapped_text_is_rejoined():
    page = (
        "The council voted on Tuesday to close the old bridge to traffic after engineers\n"
        "found cracks in two of its supports, a decision that will divert thousands of\n"
        "drivers each day onto the ring road until repairs are finished next year.\n"
    )
    body = clean_page(page)["body"]
    assert "\n" not in body and "engineers found cracks" in body


@pytest.mark.parametrize("value,expected", [
    ("2017-03-30", "2017-03-30"),
    ("3/30/17", "2017-03-30"),
    ("12/1/16", "2016-12-01"),
    ("Monday, June 5, 2023", "2023-06-05"),
    ("2016-09-20T14:05:00Z", "2016-09-20T14:05:00+00:00"),
    ("June 2023", None),
    ("", None),
    (None, None),
    ("yesterday", None),
    ("not a date at all", None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def _records(path):
    return list(read_file(path, file_kind(path)))


ARTICLE = {
    "id": "a1", "title": "Dam bursts upstream", "published": "3/30/17", "outlet": "Daily",
    "author": "Ann Lee", "url": "https://example.com/a1", "topic": "weather",
    "body": "A dam burst on Thursday. Thousands of people were moved from the valley below it.",
}


def test_jsonl_and_gzip(tmp_path):
    lines = [json.dumps(ARTICLE), json.dumps({**ARTICLE, "id": "a2", "published": ""})]
    plain = tmp_path / "a.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        first, second = _records(path)
        assert first["id"] == "a1" and first["published"] == "2017-03-30"
        assert first["topic"] == "weather"  # extra fields are kept
        assert first["raw"] == lines[0]
        assert second["published"] is None
        assert first["words"] == 15


def test_json_array_and_object(tmp_path):
    array = tmp_path / "a.json"
    array.write_text(json.dumps([ARTICLE, {**ARTICLE, "id": "a2"}]))
    assert [r["id"] for r in _records(array)] == ["a1", "a2"]
    wrapped = tmp_path / "b.json"
    wrapped.write_text(json.dumps({"articles": [ARTICLE]}))
    assert [r["id"] for r in _records(wrapped)] == ["a1"]


def test_csv_with_mapping(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "key,headline,content,date,source\n"
        'k1,Dam bursts,"A dam burst on Thursday.\nPeople fled.",Monday June 5 2023,Wire\n'
    )
    mapping = {"id": "key", "title": "headline", "body": "content", "published": "date"}
    (record,) = list(read_file(path, "csv", mapping=mapping))
    assert record["id"] == "k1" and record["title"] == "Dam bursts"
    assert record["body"] == "A dam burst on Thursday.\n\nPeople fled."
    assert record["published"] == "2023-06-05"
    assert record["input_source"] == "Wire"  # a field named like a computed column is kept aside


def test_html_uses_extractor(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Dam bursts | Daily</title><meta name='author' content='Ann Lee'>"
        "<meta property='og:site_name' content='The Daily'>"
        "<meta property='article:published_time' content='2023-05-04T10:00:00Z'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Dam bursts</h1>"
        "<p>A dam burst on Thursday in the hills above the town, officials said.</p>"
        "<div class='ad'>Advertisement</div>"
        "<p>Thousands of people were moved from the valley below it before the water arrived.</p>"
        "</article><footer>© 2023 The Daily. All rights reserved.</footer></body></html>"
    )
    (record,) = _records(path)
    assert record["title"] == "Dam bursts"
    assert record["author"] == "Ann Lee" and record["outlet"] == "The Daily"
    assert record["published"] == "2023-05-04"
    assert "A dam burst on Thursday" in record["body"] and "valley below it" in record["body"]
    for junk in ("Advertisement", "Home", "©"):
        assert junk not in record["body"]


@pytest.mark.parametrize("url, outlet", [
    ("https://www.reuters.com/world/x", "reuters.com"),
    ("http://news.bbc.co.uk/2/hi/x.stm", "bbc.co.uk"),
    ("https://WWW.TheAge.com.au:443/x", "theage.com.au"),
    ("edition.cnn.com/2023/x", "cnn.com"),
    ("https://user:pw@apnews.com/a", "apnews.com"),
    ("javascript:alert(1)", None), ("mailto:desk@bbc.co.uk", None), ("https://co.uk/x", None),
    ("http://192.168.1.1/x", None), ("https://localhost:8000/x", None), ("https://a..b.com/", None),
    ("http://[::1/x", None), ("not a url", None), ("", None), (None, None),
])
def test_outlet_from_url_is_the_registrable_domain(url, outlet):
    assert ingest.outlet_from_url(url) == outlet


def test_outlet_is_inferred_from_the_url_only_where_the_input_names_none(tmp_path):
    path = tmp_path / "in.jsonl"
    body = "A dam burst on Thursday above the town."
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "body": body, "url": "https://www.bbc.co.uk/news/1"},
        {"id": "b", "body": body, "url": "https://edition.cnn.com/x", "outlet": "CNN"},
        {"id": "c", "body": body, "url": "javascript:alert(1)"},
        {"id": "d", "body": body, "outlet_from": "typed in"},
    ]))
    got = {r["id"]: (r["outlet"], r["outlet_from"]) for r in _records(path)}
    assert got == {"a": ("bbc.co.uk", "url"), "b": ("CNN", "input"), "c": (None, None), "d": (None, None)}
    assert [r["input_outlet_from"] for r in _records(path) if r["id"] == "d"] == ["typed in"]


def test_html_outlet_is_the_sitename_the_page_states_else_the_url_domain(tmp_path):
    article = ("<article><h1>Dam bursts above the town</h1><p>A dam burst on Thursday in the hills above the "
               "town, officials said.</p><p>Thousands of people were moved from the valley below it.</p></article>")
    canonical = "<link rel='canonical' href='https://edition.cnn.com/2023/05/04/dam'>"
    named = tmp_path / "named.html"
    named.write_text(f"<html><head>{canonical}<meta property='og:site_name' content='CNN'></head>"
                     f"<body>{article}</body></html>")
    bare = tmp_path / "bare.html"
    bare.write_text(f"<html><head>{canonical}</head><body>{article}</body></html>")
    ((a,), (b,)) = _records(named), _records(bare)
    assert (a["outlet"], a["outlet_from"]) == ("CNN", "page")
    assert (b["outlet"], b["outlet_from"]) == ("cnn.com", "url")  # not trafilatura's "edition.cnn.com"


def test_stable_ids_without_input_id(tmp_path, seeds_dir):
    path = next(seeds_dir.glob("001_*.txt"))
    (a,) = _records(path)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(path.read_bytes())
    (b,) = _records(copy)
    assert a["id"] == b["id"] and len(a["id"]) == 16


def test_bad_inputs_are_problems_with_names_and_lines(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (tmp_path / "broken.json").write_text('{"id": "x", "body": ')
    (tmp_path / "lines.jsonl").write_text(
        json.dumps(ARTICLE) + "\n{not json}\n" + json.dumps({"id": "nobody"}) + "\n[1, 2]\n"
    )
    (tmp_path / "notes.docx").write_text("whatever")
    found = {}
    for path, kind in ingest.input_files([tmp_path / n for n in
                                          ("empty.txt", "binary.txt", "broken.json", "lines.jsonl", "notes.docx")]):
        found[path.name] = list(read_file(path, kind))
    assert found["empty.txt"] == [Problem(str(tmp_path / "empty.txt"), "empty file")]
    assert "binary" in found["binary.txt"][0].reason
    assert "malformed JSON" in found["broken.json"][0].reason
    good, bad_json, no_body, not_object = found["lines.jsonl"]
    assert good["id"] == "a1"
    assert (bad_json.line, no_body.line, not_object.line) == (2, 3, 4)
    assert "malformed JSON" in bad_json.reason and "no text" in no_body.reason
    assert "unsupported file type" in found["notes.docx"][0].reason


def test_folder_walk_takes_known_types_only(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.csv.gz").write_bytes(b"")
    (tmp_path / "c.png").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("x")
    names = [p.name for p, _ in ingest.input_files([tmp_path])]
    assert names == ["a.txt", "b.csv.gz"]


def test_csv_field_limit_where_sys_maxsize_overflows(tmp_path, monkeypatch):
    """Where a C long is 32 bits, csv.field_size_limit(sys.maxsize) raises OverflowError."""
    import csv

    real = csv.field_size_limit

    def limit_of_32_bits(*new):
        if new and new[0] > 2**31 - 1:
            raise OverflowError("Python int too large to convert to C long")
        return real(*new)

    monkeypatch.setattr(csv, "field_size_limit", limit_of_32_bits)
    path = tmp_path / "a.csv"
    path.write_text("id,body\nc1," + "word " * 40_000 + "\n")
    (record,) = list(read_file(path, "csv"))
    assert record["id"] == "c1" and record["words"] == 40_000
    assert csv.field_size_limit() >= 2**20
