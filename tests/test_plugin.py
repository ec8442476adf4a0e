"""The plugin is installed and Datasette serves a built database."""

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from datasette_newsdigest.cli import cli


@pytest.fixture(scope="module")
def news_db(tmp_path_factory, seeds_dir):
    db = tmp_path_factory.mktemp("db") / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(seeds_dir)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.asyncio
async def test_plugin_is_installed():
    datasette = Datasette(memory=True)
    response = await datasette.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert "datasette-newsdigest" in {p["name"] for p in response.json()}


@pytest.mark.asyncio
async def test_serves_articles_with_metadata(news_db):
    import yaml
    from pathlib import Path

    metadata = yaml.safe_load((Path(__file__).parent.parent / "metadata.yml").read_text())
    datasette = Datasette([str(news_db)], metadata=metadata)
    response = await datasette.client.get("/news/articles.json?_shape=array&_col=title")
    assert response.status_code == 200
    assert len(response.json()) == 5
    html = (await datasette.client.get("/news/articles")).text
    assert metadata["databases"]["news"]["tables"]["articles"]["description"].split(":")[0] in html
