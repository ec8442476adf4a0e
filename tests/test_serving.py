"""Serving a built database immutable (``datasette -i news.db --inspect-file inspect.json``), the way
read replicas of a published build are served."""

import json
import shutil
import subprocess
import sys

import pytest
from datasette.app import Datasette


@pytest.fixture(scope="module")
def immutable(seeds_db, tmp_path_factory):
    """A copy of the seeds build with the inspect file `datasette inspect` writes for it."""
    folder = tmp_path_factory.mktemp("replica")
    db = folder / "news.db"
    shutil.copy(seeds_db, db)
    inspect_file = folder / "inspect.json"
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(db), "--inspect-file", str(inspect_file)],
                   check=True, capture_output=True, timeout=120)
    return db, json.loads(inspect_file.read_text())


@pytest.mark.slow
@pytest.mark.asyncio
async def test_pages_and_functions_work_on_an_immutable_database(immutable):
    db, inspect_data = immutable
    before = db.read_bytes()
    datasette = Datasette(immutables=[str(db)], inspect_data=inspect_data)
    assert datasette.databases["news"].is_mutable is False
    listing = await datasette.client.get("/-/digest/news.json")
    assert listing.status_code == 200
    events = listing.json()["events"]
    assert events
    page = await datasette.client.get(f"/-/digest/news/{events[0]['id']}.json")
    assert page.status_code == 200 and page.json()["digest"] and not page.json()["error"]
    html = await datasette.client.get(f"/-/digest/news/{events[0]['id']}")
    assert html.status_code == 200
    rows = (await datasette.client.get(
        "/news.json?sql=select+event_id,+newsdigest(body)+as+d+from+articles+group+by+event_id&_shape=array")).json()
    assert rows and all(r["d"] for r in rows)
    # the inspected counts are what Datasette shows for an immutable database
    tables = (await datasette.client.get("/news.json")).json()["tables"]
    counts = {t["name"]: t["count"] for t in tables}
    assert counts["articles"] == inspect_data["news"]["tables"]["articles"]["count"]
    assert db.read_bytes() == before
