"""A build on a local Dask cluster of 2 workers against 1 worker, and against the build without Dask
(issue 14 item 2: a 2-worker LocalCluster build of 37k at least 1.6x faster than 1 worker, the same
database). Not named dask.py: run as a script, bench/ is first on sys.path and would shadow dask.

Run by hand from the repository root with the virtualenv active (and the dask extra installed)::

    python bench/dask_cluster.py                       # the first 10,000 AllSides articles, 2 rounds
    python bench/dask_cluster.py --size 37554 --rounds 1

Each build runs in a child process of its own (no cache carried from one to the next), rounds in
alternating order (A B C, then C B A), medians reported. The wall time includes starting and
stopping the cluster, which a running cluster does not pay per build; that cost is measured on
its own (start, one task, stop) and the ratios are given without it too. Every database is compared with the
local one, table by table, row by row. The machine's load average is printed before and after:
this machine's 2 cores are shared, so the speed-up is the ratio measured under that load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import CORPUS, write_corpus  # noqa: E402

WAYS = {"local (no Dask)": {"jobs": 1}, "LocalCluster, 1 worker": {"workers": 1},
        "LocalCluster, 2 workers": {"workers": 2}, "start+stop, 1 worker": {"workers": 1, "start": True},
        "start+stop, 2 workers": {"workers": 2, "start": True}}


def child(data: str, db: str, options: dict) -> dict:
    """One build's wall seconds, or with ``start`` those of starting a cluster, running one task on
    it and stopping it: what a build on a LocalCluster pays on top of the work."""
    from datasette_newsdigest import store

    started = time.perf_counter()
    if options.pop("start", False):
        from datasette_newsdigest import dask_work

        with dask_work.cluster(**options) as map_:
            list(map_(abs, [1]))
    else:
        store.build_database(db, [data], notify=lambda message: None, **options)
    return {"seconds": time.perf_counter() - started}


def digest_of(db: Path) -> dict[str, str]:
    """Each table's rows (build times left out), hashed: equal digests, equal tables."""
    out = {}
    with sqlite3.connect(db) as conn:
        for (name,) in conn.execute("select name from sqlite_master where type = 'table' order by name"):
            if name.startswith("sqlite_"):
                continue
            where = " where key not in ('built_at', 'updated_at')" if name == "_newsdigest_meta" else ""
            try:
                rows = conn.execute(f"select * from [{name}]{where} order by rowid").fetchall()
            except sqlite3.OperationalError:
                rows = sorted(conn.execute(f"select * from [{name}]").fetchall(), key=repr)
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.jsonl"
        n = write_corpus(args.size, data, args.corpus)
        digests = {}
        for round_ in range(args.rounds):
            for i, (way, options) in enumerate(list(WAYS.items())[::-1 if round_ % 2 else 1]):
                db = Path(tmp) / f"{i}.db"
                db.unlink(missing_ok=True)
                out = subprocess.run([sys.executable, __file__, "--child", str(data), str(db), json.dumps(options)],
                                     check=True, capture_output=True, text=True).stdout
                times[way].append(json.loads(out.splitlines()[-1])["seconds"])
                if not options.get("start"):
                    digests[way] = digest_of(db)
                print(f"round {round_ + 1}: {way}: {times[way][-1]:.1f} s", flush=True)
    local = digests["local (no Dask)"]
    for way, digest in digests.items():
        differ = [name for name in local if digest.get(name) != local[name]]
        print(f"{way}: {'same database as local' if not differ and digest.keys() == local.keys() else differ}")
    median = {way: statistics.median(t) for way, t in times.items()}
    one, two, local = median["LocalCluster, 1 worker"], median["LocalCluster, 2 workers"], median["local (no Dask)"]
    print(f"{n:,} articles, medians of {args.rounds}: " + ", ".join(f"{w} {s:.1f} s" for w, s in median.items()))
    print(f"2 workers vs 1: {one / two:.2f}x faster; 1 worker vs local: {one / local:.2f}x the time")
    one -= median["start+stop, 1 worker"]
    two -= median["start+stop, 2 workers"]
    print(f"less starting and stopping the cluster: 2 workers vs 1: {one / two:.2f}x faster; "
          f"1 worker vs local: {one / local:.2f}x the time")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))
    else:
        main()
