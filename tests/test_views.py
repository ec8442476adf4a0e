"""The digest pages through Datasette's test client: routes, JSON, escaping, menus."""

import re

import pytest
from datasette.utils import tilde_encode
from markupsafe import escape

from datasette_newsdigest import text

EVIL = "<script>alert('x')</script>"


def _article(i, event_words, day, outlet):
    return {
        "id": f"a{i}",
        "title": f"Dam bursts above {event_words} {EVIL}" if i == 0 else f"Dam bursts above {event_words}",
        "outlet": outlet,
        "published": day,
        "url": "javascript:alert(1)" if i == 0 else f"https://example.com/{i}",
        "body": (
            f"The Tarnow dam above {event_words} burst on Tuesday night, flooding the valley below. "
            f"Officials in {event_words} said 1,200 people were moved to the school in Lesko. "
            f"Engineer Marta Kowal said cracks had been reported to the council in March. {EVIL} "
            f"Rescue crews from three towns worked through the night, report {i}."
        ),
    }


@pytest.fixture(scope="module")
def news_db(build_news_db):
    articles = [_article(i, "Sanok", f"2023-05-0{1 + i % 2}", ["Daily", "Wire", "Post"][i % 3]) for i in range(4)]
    return build_news_db(articles)


@pytest.fixture
def datasette(news_db, shared_datasette):
    """One instance for the module's tests that only send requests."""
    return shared_datasette(news_db)


async def _sentence(datasette, article_id, position):
    rows = (await datasette.client.get(
        "/news.json?sql=select+text+from+sentences+where+article_id%3D%3Aa+and+position%3D%3Ap"
        f"&a={article_id}&p={position}&_shape=array")).json()
    return rows[0]["text"]


async def _event_of(datasette, article_id):
    response = await datasette.client.get(
        f"/news.json?sql=select+event_id+from+articles+where+id%3D%3Aid&id={article_id}&_shape=array"
    )
    return response.json()[0]["event_id"]


@pytest.mark.asyncio
async def test_events_page_lists_every_event_largest_first(datasette):
    data = (await datasette.client.get("/-/digest/news.json")).json()
    count = (await datasette.client.get("/news.json?sql=select+count(*)+as+n+from+events&_shape=array")).json()[0]["n"]
    assert data["total"] == count and len(data["events"]) == min(count, data["page_size"])
    sizes = [e["articles"] for e in data["events"]]
    assert sizes == sorted(sizes, reverse=True)
    for event in data["events"]:
        assert event["url"] == f"/-/digest/news/{event['id']}"
        assert 1 <= len(event["digest"]) <= 3
        for s in event["digest"]:  # digests of article leads keep the articles' positions
            assert s["sentence"] in await _sentence(datasette, s["article_id"], s["position"])
    html = (await datasette.client.get("/-/digest/news")).text
    assert 'href="/-/digest/news/' in html


@pytest.mark.asyncio
async def test_events_page_paginates(datasette):
    first = (await datasette.client.get("/-/digest/news.json?_size=1")).json()
    assert first["pages"] == first["total"] and first["previous_url"] is None
    # keyset paging: the next page is named by the last row's sort keys (articles, last date, id)
    (last,) = first["events"]
    token = f"{last['articles']},{tilde_encode(last['last_published'])},{last['id']}"
    assert first["next"] == token and first["next_url"] == f"/-/digest/news.json?_next={token}&_size=1"
    second = (await datasette.client.get(first["next_url"])).json()
    assert second["page"] == 2 and second["events"][0]["id"] != first["events"][0]["id"]
    assert second["previous_url"] == "/-/digest/news.json?_size=1"
    # older page-number links still answer, with the same rows
    assert (await datasette.client.get("/-/digest/news.json?page=2&_size=1")).json()["events"] == second["events"]
    assert (await datasette.client.get("/-/digest/news?page=0")).status_code == 400
    assert (await datasette.client.get("/-/digest/news?page=abc")).status_code == 400


@pytest.mark.asyncio
async def test_event_page_digest_is_attributed(datasette):
    event_id = await _event_of(datasette, "a1")
    data = (await datasette.client.get(f"/-/digest/news/{event_id}.json")).json()
    ids = {a["id"] for a in data["articles"]}
    assert {"a0", "a1", "a2", "a3"} <= ids
    assert data["digest"]
    for s in data["digest"]:
        assert s["sentence"] in await _sentence(datasette, s["article_id"], s["position"])
        # each digest sentence opens the article reader at that sentence; its row is linked too
        assert s["article_url"] == f"/-/digest/news/article/{s['article_id']}#s{s['position']}"
        assert s["row_url"] == f"/news/articles/{s['article_id']}"
        assert 1 <= s["support"] <= len(ids)
    assert set(data["charts"]) == {"timeline", "coverage", "support"}
    coverage = {v["outlet"]: v["articles"] for v in data["charts"]["coverage"]["data"]["values"]}
    assert coverage == {"Daily": 2, "Wire": 1, "Post": 1}


@pytest.mark.asyncio
async def test_event_page_html_has_charts_and_links(datasette):
    event_id = await _event_of(datasette, "a1")
    response = await datasette.client.get(f"/-/digest/news/{event_id}")
    assert response.status_code == 200
    html = response.text
    for name in ("timeline", "coverage", "support"):
        assert f'data-newsdigest-spec="spec-{name}"' in html
    assert "/-/static-plugins/datasette-newsdigest/vendor/vega-embed.min.js" in html
    assert 'href="/news/articles/a' in html
    assert "cdn" not in html.lower()


@pytest.mark.asyncio
async def test_untitled_article_is_named_by_its_first_sentence_never_its_id(datasette):
    untitled = (await datasette.client.get(
        "/news.json?sql=select+id,+event_id+from+articles+where+title+is+null&_shape=array")).json()
    assert untitled  # seed 000 has no headline
    for row in untitled:
        first = await _sentence(datasette, row["id"], 0)
        data = (await datasette.client.get(f"/-/digest/news/{row['event_id']}.json?sentences=20")).json()
        (item,) = [a for a in data["articles"] if a["id"] == row["id"]]
        assert item["label"] == text.label(None, first) and first.startswith(item["label"].rstrip("…"))
        assert item["title"] is None  # the JSON keeps what the input said
        picked = [s for s in data["digest"] if s["article_id"] == row["id"]]
        assert picked and all(s["label"] == item["label"] for s in picked)
        html = (await datasette.client.get(f"/-/digest/news/{row['event_id']}?sentences=20")).text
        assert f">{escape(item['label'])}</a>" in html
        assert f">{row['id']}<" not in html and f"Article {row['id']}" not in html


@pytest.mark.asyncio
async def test_everything_from_articles_is_escaped(datasette):
    event_id = await _event_of(datasette, "a0")
    for url in (f"/-/digest/news/{event_id}?sentences=20", "/-/digest/news?_size=200"):
        html = (await datasette.client.get(url)).text
        assert EVIL not in html
        assert "javascript:alert" not in html
    html = (await datasette.client.get(f"/-/digest/news/{event_id}?sentences=20")).text
    assert "&lt;script&gt;" in html
    # Specs inside <script type="application/json"> cannot close the tag either.
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block


@pytest.mark.asyncio
async def test_event_page_options(datasette):
    event_id = await _event_of(datasette, "a1")
    data = (await datasette.client.get(f"/-/digest/news/{event_id}.json?sentences=2&method=luhn")).json()
    assert len(data["digest"]) == 2 and data["options"]["method"] == "luhn"
    data = (await datasette.client.get(f"/-/digest/news/{event_id}.json?words=30")).json()
    assert data["options"] == {"sentences": None, "words": 30, "method": "default"}
    counts = [text.count_words(s["sentence"]) for s in data["digest"]]
    # The event has far more than 30 words: sentences are added until the budget is reached, and
    # not one more (without its longest sentence the digest would be short of it).
    assert sum(counts) >= 30 and sum(counts) - max(counts) < 30
    bad = await datasette.client.get(f"/-/digest/news/{event_id}.json?method=nope")
    assert bad.status_code == 400 and "unknown method" in bad.json()["error"]
    bad = await datasette.client.get(f"/-/digest/news/{event_id}?sentences=2&words=10")
    assert bad.status_code == 400 and "not both" in bad.text


@pytest.mark.asyncio
async def test_not_found(datasette, shared_datasette):
    assert (await datasette.client.get("/-/digest/nope")).status_code == 404
    assert (await datasette.client.get("/-/digest/nope.json")).status_code == 404
    assert (await datasette.client.get("/-/digest/news/999999")).status_code == 404
    assert (await datasette.client.get("/-/digest/news/999999.json")).status_code == 404
    memory = shared_datasette(memory=True)
    assert (await memory.client.get("/-/digest/_memory")).status_code == 404


@pytest.mark.asyncio
async def test_menu_and_database_action(datasette):
    html = (await datasette.client.get("/")).text
    assert 'href="/-/digest/news"' in html
    html = (await datasette.client.get("/news")).text
    assert 'href="/-/digest/news"' in html


@pytest.mark.asyncio
async def test_base_url(news_db, shared_datasette):
    datasette = shared_datasette(news_db, settings={"base_url": "/prefix/"})
    # datasette.client adds the base_url prefix to the paths it is given
    data = (await datasette.client.get("/-/digest/news.json")).json()
    event = data["events"][0]
    assert event["url"].startswith("/prefix/-/digest/news/")
    html = (await datasette.client.get(event["url"].removeprefix("/prefix"))).text
    assert 'href="/prefix/news/articles/' in html
    assert "/prefix/-/static-plugins/datasette-newsdigest/newsdigest.js" in html


@pytest.mark.asyncio
async def test_plugin_configuration_sets_defaults(news_db, shared_datasette):
    metadata = {"plugins": {"datasette-newsdigest": {"list_sentences": 1, "event_sentences": 2, "page_size": 2}}}
    datasette = shared_datasette(news_db, metadata=metadata)
    data = (await datasette.client.get("/-/digest/news.json")).json()
    assert len(data["events"]) <= 2 and all(len(e["digest"]) <= 1 for e in data["events"])
    event = data["events"][0]
    detail = (await datasette.client.get(event["json_url"])).json()
    assert len(detail["digest"]) == 2 and detail["options"]["sentences"] == 2


def test_lead_paragraphs_keep_sentence_positions(seeds_dir):
    from datasette_newsdigest.ingest import clean_page
    from datasette_newsdigest.text import split_sentences
    from datasette_newsdigest.views import _first_paragraphs

    body = "A heading without a stop\n\n" + clean_page((seeds_dir / next(
        p.name for p in seeds_dir.iterdir() if p.name.startswith("001"))).read_text())["body"]
    full = split_sentences(body)
    for n in (1, 2, 3, 50):
        lead = split_sentences(_first_paragraphs(body, n))
        assert lead == full[: len(lead)] and lead
    assert len(split_sentences(_first_paragraphs(body, 3))) < len(full)


@pytest.mark.asyncio
async def test_event_larger_than_max_chars_gets_a_digest_of_its_first_articles(news_db, shared_datasette):
    datasette = shared_datasette(news_db, metadata={"plugins": {"datasette-newsdigest": {"max_chars": 700}}})
    event_id = await _event_of(datasette, "a1")
    response = await datasette.client.get(f"/-/digest/news/{event_id}.json")
    assert response.status_code == 200
    data = response.json()
    assert 1 <= data["digest_articles"] < len(data["articles"])
    read = {a["id"] for a in data["articles"][: data["digest_articles"]]}
    assert data["digest"] and {s["article_id"] for s in data["digest"]} <= read
    html = (await datasette.client.get(f"/-/digest/news/{event_id}")).text
    assert "max_chars" in html


@pytest.mark.parametrize("config", [{"page_size": 0}, {"list_sentences": "3"}, {"event_sentences": True},
                                    {"method": "nope"}])
def test_bad_page_settings_name_the_key(config):
    from datasette_newsdigest.digest import DigestError
    from datasette_newsdigest.views import Settings

    with pytest.raises(DigestError, match=next(iter(config)) if "method" not in config else "unknown method"):
        Settings.from_config(config)
