"""Latency of the digest pages on a large database (the AllSides 37k build).

    newsdigest build /tmp/all.db ../shared/corpora/allsides-37k.jsonl.gz
    python bench/pages.py /tmp/all.db [--articles 50] [--runs 15]

Times, in one process through Datasette's own client, the event page of the
event whose size is closest to ``--articles`` (digest cache cleared before
every request, so each one computes the digest), its JSON, the first events
page, and as a baseline Datasette's own table page of the same articles.
Prints medians and ratios to the baseline.
"""

import argparse
import asyncio
import statistics
import time

from datasette.app import Datasette

from datasette_newsdigest import views


async def _median(client, path: str, runs: int, clear: bool) -> float:
    times = []
    for _ in range(runs):
        if clear:
            views.CACHE.clear()
        started = time.perf_counter()
        response = await client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


async def main(path: str, articles: int, runs: int):
    datasette = Datasette([path])
    db = datasette.get_database([n for n in datasette.databases if n != "_internal"][0])
    row = (await db.execute(
        "select id, articles from events order by abs(articles - :n), id limit 1", {"n": articles}
    )).first()
    event_id, size = row["id"], row["articles"]
    total = (await db.execute("select count(*) from articles")).single_value()
    name = db.name
    client = datasette.client
    await client.get(f"/-/digest/{name}/{event_id}")  # warm up imports and the model
    results = {
        f"table page, articles?event_id={event_id} (baseline)":
            await _median(client, f"/{name}/articles?event_id={event_id}", runs, False),
        f"event page, {size} articles, digest computed":
            await _median(client, f"/-/digest/{name}/{event_id}", runs, True),
        "event page .json, digest computed": await _median(client, f"/-/digest/{name}/{event_id}.json", runs, True),
        "event page, digest cached": await _median(client, f"/-/digest/{name}/{event_id}", runs, False),
        "events page 1 (20 events), digests computed":
            await _median(client, f"/-/digest/{name}", max(3, runs // 3), True),
        "events page 1, digests cached": await _median(client, f"/-/digest/{name}", runs, False),
    }
    baseline = next(iter(results.values()))
    print(f"database: {total} articles; event {event_id} has {size} articles")
    for label, seconds in results.items():
        print(f"{label:55s} {seconds * 1000:8.0f} ms  ({seconds / baseline:.1f}x baseline)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.articles, args.runs))
