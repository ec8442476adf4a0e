"""What the story sections cost the digest pages, and what the story pages cost (issue 11, item 6).

    newsdigest build /tmp/all.db ../shared/corpora/allsides-37k.jsonl.gz
    python bench/story_pages.py /tmp/all.db [--per-story 5] [--runs 11]

Groups the database's events into stories in place (it writes the database, and puts it back as
built at the end). The grouping is synthetic, ``--per-story`` consecutive event ids a story, in
the schema the pages read: a ``stories`` table, ``events.story_id`` and ``events.edited``, and an
index on ``events (story_id, first_published)``. Then times, in one process through Datasette's
own client, the events page and an event page for an actor who may view the stories table and one
who may not (who gets the pages without story sections), interleaved, and the story page of the
largest story and the stories page. The baseline is Datasette's own table page of the same
event's articles, in the same run. Prints wall-clock medians, their ratios to the baseline, and
CPU medians (the process's, less sensitive to other work on the machine).
"""

import argparse
import asyncio
import sqlite3
import statistics
import time
from pathlib import Path

from datasette.app import Datasette

from datasette_newsdigest import views

ADMIN = {"id": "admin"}


async def _get(client, path: str, cookies: dict, clear: bool) -> tuple[float, float]:
    if clear:
        views.CACHE.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    response = await client.get(path, cookies=cookies)
    assert response.status_code == 200, (path, response.status_code)
    return time.perf_counter() - wall, time.process_time() - cpu


async def _medians(client, path: str, runs: int, clear: bool, cookies: dict | None = None) -> tuple[float, float]:
    times = [await _get(client, path, cookies or {}, clear) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


async def _with_and_without(client, path: str, runs: int, clear: bool, admin: dict) -> dict:
    """The same page for an actor who may view the stories table and one who may not (so sees no
    story sections), interleaved so the machine's drift falls on both alike: wall and CPU medians."""
    times: dict[str, list] = {"without": [], "with": []}
    for _ in range(runs):
        times["without"].append(await _get(client, path, {}, clear))
        times["with"].append(await _get(client, path, admin, clear))
    return {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}


def _ungroup(path: str) -> None:
    """Leave the database as built: without the synthetic stories."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("drop index if exists events_story")
        conn.execute("drop table if exists stories")
        columns = {row[1] for row in conn.execute("pragma table_info(events)")}
        for column in ("story_id", "edited"):
            if column in columns:
                conn.execute(f"alter table events drop column {column}")
    conn.close()


def _group_into_stories(path: str, per_story: int) -> None:
    conn = sqlite3.connect(path)
    with conn:
        columns = {row[1] for row in conn.execute("pragma table_info(events)")}
        if "story_id" in columns:
            raise SystemExit(f"{path} already has stories; give this script a database built without them")
        conn.execute("alter table events add column story_id integer")
        conn.execute("alter table events add column edited integer default 0")
        conn.execute("update events set story_id = (id - 1) / ? + 1, edited = (id % 17 = 0)", [per_story])
        conn.execute("create index events_story on events (story_id, first_published)")
        conn.execute("create table stories (id integer primary key, label text, first_published text, "
                     "last_published text, events integer, articles integer, outlets integer, edited integer)")
        conn.execute(
            "insert into stories select story_id, min(label), min(first_published), max(last_published), "
            "count(*), sum(articles), max(outlets), max(edited) from events group by story_id")
    conn.close()


async def main(path: str, per_story: int, runs: int):
    _group_into_stories(path, per_story)
    try:
        await _measure(path, per_story, runs)
    finally:
        _ungroup(path)


async def _measure(path: str, per_story: int, runs: int):
    name = Path(path).stem
    # Only the admin may view the stories table: everyone else gets the pages without stories.
    datasette = Datasette([path], metadata={"databases": {name: {"tables": {"stories": {"allow": ADMIN}}}}})
    db = datasette.get_database(name)
    admin = {"ds_actor": datasette.sign({"a": ADMIN}, "actor")}
    event_id = (await db.execute("select id from events order by abs(articles - 50), id limit 1")).single_value()
    story_id = (await db.execute("select id from stories order by articles desc, id limit 1")).single_value()
    size = (await db.execute("select events from stories where id = :id", {"id": story_id})).single_value()
    client = datasette.client
    for page in (f"/-/digest/{name}/{event_id}", f"/-/digest/{name}", f"/-/digest/{name}/story/{story_id}"):
        await client.get(page, cookies=admin)  # warm up imports, the model and the cache
    baseline = (await _medians(client, f"/{name}/articles?event_id={event_id}", runs, False))[0]
    pairs = {
        "events page 1 (20 events), digests cached": await _with_and_without(
            client, f"/-/digest/{name}", runs, False, admin),
        "events page 1 .json, digests cached": await _with_and_without(
            client, f"/-/digest/{name}.json", runs, False, admin),
        f"event page {event_id}, digest cached": await _with_and_without(
            client, f"/-/digest/{name}/{event_id}", runs, False, admin),
        f"event page {event_id}, digest computed": await _with_and_without(
            client, f"/-/digest/{name}/{event_id}", runs, True, admin),
    }
    story = f"/-/digest/{name}/story/{story_id}"
    alone = {
        f"story page {story_id} ({size} events), digests computed": await _medians(client, story, runs, True, admin),
        f"story page {story_id}, digests cached": await _medians(client, story, runs, False, admin),
        "stories page 1 (20 stories)": await _medians(client, f"/-/digest/{name}/stories", runs, False, admin),
    }
    total = (await db.execute("select count(*) from events")).single_value()
    print(f"{total} events in stories of {per_story}; baseline: table page articles?event_id={event_id} "
          f"{baseline * 1000:.0f} ms; medians of {runs}, wall (x baseline) and CPU")
    for label, both in pairs.items():
        (wall0, cpu0), (wall1, cpu1) = both["without"], both["with"]
        print(f"{label:42s} without stories {wall0 * 1000:5.0f} ms ({wall0 / baseline:.2f}x) cpu {cpu0 * 1000:5.1f}"
              f" | with {wall1 * 1000:5.0f} ms ({wall1 / baseline:.2f}x) cpu {cpu1 * 1000:5.1f}")
    for label, (wall, cpu) in alone.items():
        print(f"{label:58s} {wall * 1000:5.0f} ms ({wall / baseline:.2f}x) cpu {cpu * 1000:5.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("--per-story", type=int, default=5)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.per_story, args.runs))
