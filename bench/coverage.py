"""What each outlet reported: the cost of the coverage tables in a build of AllSides articles.

Run by hand from the repository root with the virtualenv active::

    python bench/coverage.py --articles 10000

Builds the first N AllSides articles twice in this process, with coverage and without it (in
alternating order over the rounds), and prints wall and CPU time, best of the rounds, as a ratio;
then the coverage rows of the build with it. A full build makes coverage in the digests' worker
calls (store.fill_digests(coverage=True)); "without" turns that off and store.fill_coverage into a
no-op.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import sqlite3
import tempfile
import time
from pathlib import Path

from datasette_newsdigest import store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "allsides-37k.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.jsonl"
        with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
            data.write_text("".join(itertools.islice(f, args.articles)), encoding="utf-8")
        real, real_digests = store.fill_coverage, store.fill_digests

        def digests_only(db, *args, **kwargs):
            return real_digests(db, *args, **{**kwargs, "coverage": False})
        cpu: dict[str, list[float]] = {"without": [], "with": []}
        wall: dict[str, list[float]] = {"without": [], "with": []}
        for r in range(args.rounds):
            for mode in (("without", "with") if r % 2 == 0 else ("with", "without")):
                store.fill_coverage = real if mode == "with" else (lambda db, *_, **__: None)
                store.fill_digests = real_digests if mode == "with" else digests_only
                target = Path(tmp) / f"{mode}.db"
                target.unlink(missing_ok=True)
                started, started_cpu = time.perf_counter(), time.process_time()
                store.build_database(target, [data], notify=lambda m: None)
                wall[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.process_time() - started_cpu)
        store.fill_coverage, store.fill_digests = real, real_digests
        with sqlite3.connect(Path(tmp) / "with.db") as conn:
            rows, only, events, biggest = conn.execute(
                "select (select count(*) from coverage), (select count(*) from coverage_sentences), "
                "(select count(*) from events), (select max(articles) from events)").fetchone()
    print(f"coverage: {rows:,} rows, {only:,} only-in sentences over {events:,} events (largest {biggest:,} articles)")
    for name, figures in (("wall", wall), ("CPU", cpu)):
        best = {k: min(v) for k, v in figures.items()}
        print(f"build of {args.articles:,} articles, {name} time, best of {args.rounds}: without coverage "
              f"{best['without']:.1f} s, with {best['with']:.1f} s ({best['with'] / best['without']:.3f}x)")


if __name__ == "__main__":
    main()
