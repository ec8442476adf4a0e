"""The digest_sentences table's cost in a build: a subset of the AllSides corpus built with and
without it in one process (interleaved rounds, best of each), as CPU and wall ratios.

Run by hand from the repository root with the virtualenv active::

    python bench/digest_table.py                   # 10,000 articles, 1 round
    python bench/digest_table.py --articles 37554 --rounds 2
    python bench/digest_table.py --pages news.db   # cold page times reading the table vs computing
    python bench/digest_table.py --fills base.db --against /tmp/before --rounds 3
                                                   # fill_digests and fill_coverage CPU, this checkout
                                                   # against another, on copies of one build

The subset is written to /tmp (a temporary directory, removed afterwards); the corpus is read from
``../shared/corpora/allsides-37k.jsonl.gz`` and never copied into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib
import inspect
import itertools
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from datasette_newsdigest import store, views

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"


def cost(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        data = Path(tmp) / "subset.jsonl"
        with gzip.open(CORPUS, "rt", encoding="utf-8") as source, data.open("w", encoding="utf-8") as out:
            out.writelines(itertools.islice(source, n))
        real = store.fill_digests

        def coverage_only(db, full=True, defaults=None, map_=map, screenings=None, coverage=False):
            """No digests; a full build's coverage, which fill_digests makes with them, made alone."""
            if coverage:
                store._write_coverage(db, None, map_)
            return 0

        wall: dict[str, list[float]] = {"without": [], "with": []}
        cpu: dict[str, list[float]] = {"without": [], "with": []}
        for r in range(rounds):
            for mode in (("without", "with") if r % 2 == 0 else ("with", "without")):
                store.fill_digests = real if mode == "with" else coverage_only
                target = Path(tmp) / f"{mode}{r}.db"
                started, started_cpu = time.perf_counter(), time.process_time()
                store.build_database(target, [data], notify=lambda m: None)
                wall[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.process_time() - started_cpu)
                if mode == "with":
                    with sqlite3.connect(target) as conn:
                        events, rows, read, errors = conn.execute(
                            "select (select count(*) from events), (select count(*) from digest_sentences), "
                            "(select max(articles_read) from digest_events), "
                            "(select count(*) from digest_events where error is not null)").fetchone()
                    print(f"{events:,} events, {rows:,} digest rows, at most {read} articles read per event, "
                          f"{errors} events without a digest")
                target.unlink()
        store.fill_digests = real
    for name, figures in (("wall", wall), ("CPU", cpu)):
        best = {k: min(v) for k, v in figures.items()}
        print(f"build of {n:,} articles, {name} time, best of {rounds}: without digest_sentences "
              f"{best['without']:.1f} s, with {best['with']:.1f} s ({best['with'] / best['without']:.3f}x; "
              f"all: {figures})")


def pages(database: Path, events: int = 20) -> None:
    """Cold (cache cleared) times of the largest events' pages and the events list, on ``database``
    and on a copy without the digest tables, in one process."""
    from datasette.app import Datasette

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        without = Path(tmp) / database.name
        shutil.copy(database, without)
        with sqlite3.connect(without) as conn:
            for table in ("digest_sentences_fts", "digest_sentences", "digest_events"):
                conn.execute(f"drop table if exists [{table}]")
            ids = [e for (e,) in conn.execute("select id from events order by articles desc, id limit ?", [events])]
        name = database.stem

        async def run(path: Path) -> dict[str, float]:
            datasette = Datasette([str(path)])
            await datasette.invoke_startup()
            times: dict[str, list[float]] = {"event": [], "list": []}
            for kind, urls in (("event", [f"/-/digest/{name}/{e}.json" for e in ids]),
                               ("list", [f"/-/digest/{name}.json"] * 5)):
                for url in urls:
                    views.CACHE.clear()
                    started = time.perf_counter()
                    response = await datasette.client.get(url)
                    times[kind].append(time.perf_counter() - started)
                    assert response.status_code == 200, (url, response.text)
            return {k: statistics.median(v) * 1000 for k, v in times.items()}

        computed, stored = asyncio.run(run(without)), asyncio.run(run(database))
    for kind in ("event", "list"):
        print(f"{kind} page, cold, p50: computing {computed[kind]:.1f} ms, reading the table {stored[kind]:.1f} ms "
              f"({computed[kind] / stored[kind]:.1f}x faster)")


FILLED = {"digest_sentences": "event_id, rank", "digest_events": "event_id", "coverage": "event_id, outlet",
          "coverage_sentences": "event_id, outlet, article_id, position"}


def fills(database: Path, against: Path, rounds: int = 1) -> None:
    """CPU of store.fill_digests and store.fill_coverage, this checkout's and another's (its
    package imported under another name), in this process, on copies of ``database`` (a build;
    what the tables held is replaced), and whether the four tables come out equal. Every word is
    first stemmed by both checkouts, as the build's clustering does before the fill steps. Each
    round runs A's digests, B's digests, B's coverage, A's coverage (A this checkout in odd rounds,
    the other in even ones), so each coverage follows its own checkout's digests as in a build."""
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        shutil.copytree(against / "datasette_newsdigest", Path(tmp) / "other_newsdigest")
        sys.path.insert(0, tmp)
        checkouts = {"other": importlib.import_module("other_newsdigest"),
                     "this": importlib.import_module("datasette_newsdigest")}
        with sqlite3.connect(database) as conn:
            sentences = [s for (s,) in conn.execute("select text from sentences")]
            n_events, = conn.execute("select count(*) from events").fetchone()
        for package in checkouts.values():
            importlib.import_module(package.__name__ + ".store")
            for sentence in sentences:
                package.text.content_terms(sentence)
        cpu: dict[tuple[str, str], list[float]] = {}
        rows: dict[str, dict[str, list]] = {}
        same = True
        screenings: dict[str, dict] = {}
        for r in range(rounds):
            first, second = ("other", "this") if r % 2 == 0 else ("this", "other")
            steps = ((first, "digests"), (second, "digests"), (second, "coverage"), (first, "coverage"))
            for name, step in steps:
                path = Path(tmp) / f"{name}.db"
                if step == "digests":
                    shutil.copy(database, path)
                db = store.sqlite_utils.Database(path)
                fill = checkouts[name].store
                # a checkout whose steps take the screenings hands them over here, as its build does
                if "screenings" in inspect.signature(fill.fill_coverage).parameters:
                    handed = {"screenings": screenings.setdefault(name, {})}
                else:
                    handed = {}
                started = time.process_time()
                if step == "digests":
                    with db.conn:
                        fill.fill_digests(db, **handed)
                else:
                    fill.fill_coverage(db, **handed)
                    screenings.pop(name, None)
                cpu.setdefault((name, step), []).append(time.process_time() - started)
                if step == "coverage":
                    made = {t: db.execute(f"select * from {t} order by {o}").fetchall()
                            for t, o in FILLED.items()}
                    same = same and rows.get(name, made) == made
                    rows[name] = made
                db.close()
    for table in FILLED:
        print(f"{table}: {len(rows['this'][table]):,} rows, "
              f"{'identical' if rows['this'][table] == rows['other'][table] else 'DIFFERENT'} in both checkouts")
    if not same:
        print("a checkout's tables DIFFERED between rounds")
    for step in ("digests", "coverage"):
        other, this = statistics.median(cpu["other", step]), statistics.median(cpu["this", step])
        print(f"fill {step}, {n_events:,} events, median of {rounds}: {against} {other:.1f} s CPU "
              f"({1000 * other / n_events:.1f} ms an event), this checkout {this:.1f} s "
              f"({1000 * this / n_events:.1f} ms; {other / this:.2f}x less); all rounds: "
              f"{[round(t, 1) for t in cpu['other', step]]} against "
              f"{[round(t, 1) for t in cpu['this', step]]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pages", type=Path, help="a built database: time its pages instead")
    parser.add_argument("--fills", type=Path, help="a built database: time the fill steps on copies of it instead")
    parser.add_argument("--against", type=Path, help="with --fills: the other checkout (a git worktree)")
    args = parser.parse_args()
    if args.fills:
        fills(args.fills, args.against, args.rounds)
    elif args.pages:
        pages(args.pages)
    else:
        cost(args.articles, args.rounds)
