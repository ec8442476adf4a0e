"""The plugin is installed and Datasette serves a built database."""

import pytest


@pytest.mark.asyncio
async def test_plugin_is_installed(shared_datasette):
    datasette = shared_datasette(memory=True)
    response = await datasette.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert "datasette-newsdigest" in {p["name"] for p in response.json()}


@pytest.mark.asyncio
async def test_serves_articles_with_metadata(seeds_db, metadata, shared_datasette):
    datasette = shared_datasette(seeds_db, metadata=metadata)
    response = await datasette.client.get("/news/articles.json?_shape=array&_col=title")
    assert response.status_code == 200
    assert len(response.json()) == 5
    html = (await datasette.client.get("/news/articles")).text
    assert metadata["databases"]["news"]["tables"]["articles"]["description"].split(":")[0] in html


@pytest.mark.asyncio
@pytest.mark.parametrize("query,params", [
    ("articles_per_day", {"event_id": ""}),
    ("outlets_per_event", {"event_id": "1"}),
    ("event_digest", {"event_id": "1", "sentences": "3", "method": ""}),
    ("sentences_per_article", {"event_id": ""}),
])
async def test_canned_queries_run_and_open_as_charts(seeds_db, metadata, shared_datasette, query, params):
    canned = metadata["databases"]["news"]["queries"][query]
    assert canned["fragment"].startswith("g.mark=")
    datasette = shared_datasette(seeds_db, metadata=metadata)
    response = await datasette.client.get(f"/news/{query}.json", params={**params, "_shape": "array"})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows, query
    columns = {part.split("=")[1] for part in canned["fragment"].split("&") if "_column=" in part}
    assert columns <= set(rows[0])
    if query == "event_digest":
        assert len(rows) == 3 and all(r["sentence"] and r["article_id"] for r in rows)
    if query == "sentences_per_article":  # an untitled article by its first words, not its hash id
        ids = {r["id"] for r in (await datasette.client.get("/news/articles.json?_shape=array")).json()}
        assert len(rows) == len(ids) and not {r["article"] for r in rows} & ids
    index = (await datasette.client.get("/news")).text
    assert canned["fragment"].replace("&", "&amp;") in index
