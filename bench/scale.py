"""The build's cost model (issue 14 item 4): time and peak memory per phase at several corpus sizes,
with 1 and 2 worker processes, against ``sqlite-utils insert`` + ``enable-fts`` of the same JSON Lines
run in the same script.

Run by hand from the repository root with the virtualenv active::

    python bench/scale.py                                 # 10,000 articles, jobs 1 and 2
    python bench/scale.py --sizes 10000,37554 --jobs 1,2
    python bench/scale.py --sizes 150000 --jobs 2         # 4 date-shifted copies of the corpus
    python bench/scale.py --plan --sizes 1000000,10000000 --from results.json
    python bench/scale.py --events 10000 --rounds 2 --against /tmp/main   # update_events alone, jobs 1/2 each
    python bench/scale.py --events 10000 --rounds 1 --dask 2   # and on a 2-worker Dask LocalCluster
    python bench/scale.py --events-memory 37554   # the candidate search's largest task against one block

Inputs are the AllSides corpus (``../shared/corpora/allsides-37k.jsonl.gz``, never copied into
the repository): the first N articles, or for N above its 37,554 whole copies of it, copy k with
ids ``<id>~k`` and dates moved k * 30 years on (a February 29 that does not exist becomes the 28th),
so ids and dates are distinct and no event spans copies. Each build runs in a child process of its
own; a phase is timed around the store function the build calls for it, with the CPU seconds of
the build process and of its worker processes (read from /proc) and the peak resident memory
of each (VmHWM, reset at each phase's start). ``--json`` writes every figure for ``--plan``, which
projects larger corpora from the measured per-article costs (see bench/README.md, "Scale").
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"
PHASES = {  # phase name: the store function timed for it
    "load": "load", "update_events": "update_events", "corrections": "reapply_corrections",
    "quotes": "fill_quotes", "digests": "fill_digests", "coverage": "fill_coverage",
    "finish/FTS": "finish_database", "copy into place": "_put_in_place",
}
SHIFT_YEARS = 30
TICK = os.sysconf("SC_CLK_TCK")


def write_corpus(n: int, path: Path, corpus: Path = CORPUS) -> int:
    """The first ``n`` articles, or date-shifted copies of the whole corpus past its size; returns the count."""
    from datasette_newsdigest import ingest

    written = 0
    with path.open("w", encoding="utf-8") as out:
        for copy in itertools.count():
            before = written
            with gzip.open(corpus, "rt", encoding="utf-8") as source:
                for line in source:
                    if written >= n:
                        return written
                    if copy:
                        record = json.loads(line)
                        record["id"] = f"{record['id']}~{copy}"
                        record["published"] = _shifted(ingest.parse_date(record.get("published")), copy)
                        line = json.dumps(record, ensure_ascii=False) + "\n"
                    out.write(line)
                    written += 1
            if written == before:
                return written  # an empty corpus


def _shifted(iso: str | None, copy: int) -> str | None:
    if not iso:
        return iso
    year = int(iso[:4]) + SHIFT_YEARS * copy
    rest = iso[4:]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if rest.startswith("-02-29") and not leap:
        rest = "-02-28" + rest[6:]
    return f"{year:04d}{rest}"


# --------------------------------------------------------------------------
# One build, in a child process


def _descendants() -> list[int]:
    """The processes started under this one (the fork server and its workers), from /proc."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [os.getpid()]
    while frontier:
        pid = frontier.pop()
        children = [p for p, pp in parent.items() if pp == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _peak_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak(pid: int) -> None:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux 4.0+)
    except OSError:
        pass


def child(data: Path, jobs: int, keep: Path | None = None) -> dict:
    from datasette_newsdigest import store

    phases: dict[str, dict[str, float]] = {}
    workers_cpu: dict[int, float] = {}  # last CPU seen per worker: a worker gone before the next reading keeps it

    def workers_total() -> float:
        for pid in _descendants():
            workers_cpu[pid] = max(workers_cpu.get(pid, 0.0), _cpu(pid))
        return sum(workers_cpu.values())

    def timed(name: str, real):
        def run(*args, **kwargs):
            for pid in [os.getpid(), *_descendants()]:
                _reset_peak(pid)
            wall, cpu, wcpu = time.perf_counter(), time.process_time(), workers_total()
            try:
                return real(*args, **kwargs)
            finally:
                spot = phases.setdefault(name, {"wall": 0.0, "cpu": 0.0, "workers_cpu": 0.0, "peak_mb": 0.0,
                                                "workers_peak_mb": 0.0})
                spot["wall"] += time.perf_counter() - wall
                spot["cpu"] += time.process_time() - cpu
                spot["workers_cpu"] += workers_total() - wcpu
                spot["peak_mb"] = max(spot["peak_mb"], _peak_mb(os.getpid()))
                spot["workers_peak_mb"] = max(spot["workers_peak_mb"],
                                              sum(_peak_mb(p) for p in _descendants()))
        return run

    for name, function in PHASES.items():
        setattr(store, function, timed(name, getattr(store, function)))
    target = data.with_name(f"jobs{jobs}.db")
    target.unlink(missing_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    stats = store.build_database(target, [data], notify=lambda m: None, jobs=jobs)
    total = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
             "workers_cpu": sum(workers_cpu.values()), "peak_mb": _max_rss_mb()}
    with closing(sqlite3.connect(target)) as conn:
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("articles", "sentences", "events", "stories", "quotes", "digest_sentences", "coverage")}
    size = target.stat().st_size
    if keep is None:
        target.unlink()
    else:  # for reading afterwards (a furniture count, the pages): moved out of the scratch folder
        keep.mkdir(parents=True, exist_ok=True)
        target.replace(keep / f"{data.stem}-{stats.articles}-jobs{jobs}.db")
    return {"articles": stats.articles, "jobs": jobs, "phases": phases, "total": total, "rows": counts,
            "db_mb": size / 1e6}


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(data: Path) -> dict:
    """``sqlite-utils insert --nl`` then ``enable-fts`` of the same file, as a user of sqlite-utils would."""
    import resource

    db = data.with_name("baseline.db")
    db.unlink(missing_ok=True)
    tool = str(Path(sys.executable).with_name("sqlite-utils"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run([tool, "insert", str(db), "articles", str(data), "--nl", "--pk", "id"], check=True)
    subprocess.run([tool, "enable-fts", str(db), "articles", "title", "body", "--tokenize", "porter"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    db.unlink()
    return {"wall": time.perf_counter() - wall,
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}


# --------------------------------------------------------------------------
# update_events alone (issue 14 item 2: the story level's candidate search in the workers)


def loaded(data: Path, target: Path) -> None:
    """A database with the articles of ``data`` loaded and nothing else (the input of update_events)."""
    import sqlite_utils

    from datasette_newsdigest import store

    db = sqlite_utils.Database(target)
    store.create_tables(db)
    store.load(db, [data])
    db.close()


def events_child(source: Path, jobs: int) -> dict:
    """update_events on a copy of ``source`` with ``jobs`` workers (started and warmed before the
    clock, as a build's load has started them; a negative number: a Dask LocalCluster of that many):
    the writer's and the workers' CPU, and each article's story and event ids. Runs main's
    update_events too (no ``map_`` there: jobs=1)."""
    import inspect
    import shutil

    import sqlite_utils

    from datasette_newsdigest import store, work

    target = source.with_name(f"events{jobs}-{os.getpid()}.db")
    shutil.copy(source, target)
    db = sqlite_utils.Database(target)
    takes_map = "map_" in inspect.signature(store.update_events).parameters
    if jobs < 0:
        from datasette_newsdigest import dask_work

        executor = dask_work.cluster(workers=-jobs)
    else:
        executor = work.pool(jobs)
    with executor as map_:
        if jobs != 1:
            list(map_(abs, work.Tasks([1, 2] * abs(jobs))))  # start the workers outside the measurement
        workers_cpu = {p: _cpu(p) for p in _descendants()}
        _reset_peak(os.getpid())
        wall, cpu = time.perf_counter(), time.process_time()
        store.update_events(db, **({"map_": map_} if takes_map else {}))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        spent = sum(_cpu(p) - workers_cpu.get(p, 0.0) for p in _descendants())
    ids = db.execute("select a.id, a.event_id, e.story_id, e.label, s.label from articles a "
                     "join events e on e.id = a.event_id join stories s on s.id = e.story_id "
                     "order by a.rowid").fetchall()
    db.close()
    target.unlink()
    return {"jobs": jobs if takes_map else 1, "map_": takes_map, "wall": wall, "cpu": cpu,
            "workers_cpu": spent,
            "peak_mb": _peak_mb(os.getpid()), "ids": ids}


def events_bench(size: int, corpus: Path, rounds: int, against: Path | None, dask: list[int]) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        data, source = Path(tmp) / "corpus.jsonl", Path(tmp) / "loaded.db"
        n = write_corpus(size, data, corpus)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, __file__, "--loaded", str(data), str(source)], env=env, check=True)
        ways = [("this", 1, ROOT), ("this", 2, ROOT)] + ([("against", 1, against), ("against", 2, against)]
                                                         if against else [])
        ways += [("this, Dask LocalCluster", -workers, ROOT) for workers in dask]
        runs: dict[tuple, list[dict]] = {}
        for _ in range(rounds):
            for name, jobs, checkout in ways:
                out = subprocess.run([sys.executable, __file__, "--events-child", str(source), str(jobs)],
                                     env={**env, "PYTHONPATH": str(checkout)}, capture_output=True, text=True,
                                     cwd=tmp)  # not a checkout: the fork server imports from its cwd first
                if out.returncode:
                    raise SystemExit(f"{name}, jobs={jobs} failed:\n{out.stderr[-3000:]}")
                runs.setdefault((name, jobs), []).append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"update_events of {n:,} articles, {rounds} round(s) alternating, means:")
        print("| checkout, jobs | wall s | CPU s writer | CPU s workers | writer peak MB |")
        print("|---|---|---|---|---|")
        for (name, jobs), done in runs.items():
            mean = {k: sum(r[k] for r in done) / len(done) for k in ("wall", "cpu", "workers_cpu", "peak_mb")}
            rounds_cpu = " / ".join(f"{r['cpu']:.1f}+{r['workers_cpu']:.1f}" for r in done)
            print(f"| {name}, {jobs} | {mean['wall']:.1f} | {mean['cpu']:.1f} | {mean['workers_cpu']:.1f} | "
                  f"{mean['peak_mb']:.0f} |  rounds: {rounds_cpu}")
        first = runs[("this", 1)][0]["ids"]
        for key, done in runs.items():
            for r in done:
                changed = sum(a != b for a, b in zip(first, r["ids"], strict=True))
                print(f"{key}: {changed} of {len(first)} articles with another event or story id or label "
                      "than this checkout's jobs=1")


def _pair_set(pairs) -> set[tuple[int, int]]:
    return set(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))


def events_memory(size: int, corpus: Path) -> None:
    """The candidate search's peak traced memory (tracemalloc): the one-block search over the whole
    pruned matrix against the largest of the windowed search's tasks (its inputs included)."""
    import tracemalloc

    import numpy as np

    from datasette_newsdigest import events, ingest

    articles = []
    with gzip.open(corpus, "rt", encoding="utf-8") as source:
        for line in itertools.islice(source, size):
            r = json.loads(line)
            published = ingest.parse_date(r.get("published"))
            articles.append(events.Article(r["id"], r.get("title"), r.get("body"), published))
    params, vocabulary = events.Params(), events.Vocabulary()
    x = events._vectors(articles, vocabulary, params, False)[0]
    days = np.array([events.day_number(a.published) for a in articles])
    pruned = events._prune(x, (vocabulary.df >= 2) & (vocabulary.df <= params.max_df), params.candidate_terms)

    def nbytes(m) -> int:
        return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes

    tracemalloc.start()
    cpu = time.process_time()
    one = events._candidates(pruned, days, days, pruned, days, days, params, same=True)
    one_cpu, (_, one_peak) = time.process_time() - cpu, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tasks: list[tuple[int, int, int, int]] = []  # (peak bytes, query rows, reference rows, input bytes)

    def measured(fn, items):
        for item in items:
            tracemalloc.start()
            copy = pickle.loads(pickle.dumps(item))  # as a worker receives it
            result = fn(copy)
            tasks.append((tracemalloc.get_traced_memory()[1], len(item[3]), len(item[7]),
                          len(pickle.dumps(item))))
            tracemalloc.stop()
            yield result

    cpu = time.process_time()
    windowed = events._search(pruned, days, pruned, days, days, params, True, map_=measured)
    windowed_cpu = time.process_time() - cpu
    same = _pair_set(one) == _pair_set(windowed)
    largest = max(tasks)
    print(f"{len(articles):,} articles, {int(np.isnan(days).sum()):,} undated; pruned matrix "
          f"{nbytes(pruned) / 1e6:.1f} MB ({pruned.nnz:,} entries), the whole TF-IDF matrix "
          f"{nbytes(x) / 1e6:.1f} MB")
    print(f"one block: peak {one_peak / 1e6:.1f} MB, {one_cpu:.2f} s CPU")
    print(f"windows of {events.WINDOW_ROWS}: {len(tasks)} tasks, the largest peak {largest[0] / 1e6:.1f} MB "
          f"({largest[1]:,} query rows, {largest[2]:,} reference rows, {largest[3] / 1e6:.1f} MB pickled); "
          f"{windowed_cpu:.2f} s CPU in all (pickling included); same pairs: {same}")
    biggest = sorted(tasks, key=lambda t: -t[2])[:8]
    print("tasks by reference rows (query x reference): " + ", ".join(f"{q}x{r}" for _, q, r, _ in biggest))


# --------------------------------------------------------------------------
# Reports


def report(result: dict) -> None:
    base = result["baseline"]
    print(f"\n## {result['articles']:,} articles (sqlite-utils insert + enable-fts: {base['wall']:.1f} s wall, "
          f"{base['cpu']:.1f} s CPU)")
    builds = result["builds"]
    print("| phase | " + " | ".join(f"jobs={b['jobs']} wall s | CPU s (main + workers) | peak MB (main + workers)"
                                     for b in builds) + " |")
    print("|---|" + "---|---|---|" * len(builds))
    for name in PHASES:
        cells = []
        for b in builds:
            p = b["phases"].get(name, {"wall": 0, "cpu": 0, "workers_cpu": 0, "peak_mb": 0, "workers_peak_mb": 0})
            cells.append(f"{p['wall']:.1f} | {p['cpu']:.1f} + {p['workers_cpu']:.1f} | "
                         f"{p['peak_mb']:.0f} + {p['workers_peak_mb']:.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = [f"**{b['total']['wall']:.1f}** | {b['total']['cpu']:.1f} + {b['total']['workers_cpu']:.1f} | "
             f"{b['total']['peak_mb']:.0f}" for b in builds]
    print("| total | " + " | ".join(cells) + " |")
    for b in builds:
        print(f"jobs={b['jobs']}: {b['total']['wall'] / base['wall']:.1f}x sqlite-utils (wall), "
              f"{(b['total']['cpu'] + b['total']['workers_cpu']) / base['cpu']:.1f}x (CPU); rows {b['rows']}; "
              f"database {b['db_mb']:.0f} MB")
    one = next((b for b in builds if b["jobs"] == 1), None)
    for b in builds:
        if one is not None and b is not one:
            idle = modelled_wall(phase_model(one), 1, 1) / modelled_wall(phase_model(b), 1, b["jobs"])
            print(f"speed-up jobs={b['jobs']} over jobs=1: {one['total']['wall'] / b['total']['wall']:.2f}x wall as "
                  f"measured, {idle:.2f}x on an idle machine as modelled from the CPU seconds")


def phase_model(build: dict) -> dict[str, tuple[float, float]]:
    """(main, workers) CPU seconds per article of each phase of one build."""
    n = build["articles"]
    return {name: (p["cpu"] / n, p["workers_cpu"] / n) for name, p in build["phases"].items()}


def modelled_wall(model: dict[str, tuple[float, float]], n: int, cores: int, transfer: float = 0.0) -> float:
    """Seconds for ``n`` articles with ``cores`` cores for the workers: per phase, the writer's serial
    CPU or the whole phase's CPU shared by the cores, whichever is longer (the writer overlaps the
    workers, work.ahead), plus ``transfer`` seconds per article for the phases the workers do."""
    total = 0.0
    for main_cpu, workers_cpu in model.values():
        moved = transfer if workers_cpu else 0.0
        total += max(main_cpu + moved, (main_cpu + workers_cpu) / cores) * n
    return total


def plan(results: list[dict], sizes: list[int], cores: int, workers: int, transfer: float) -> None:
    """Project ``sizes`` from the largest measured jobs>1 build (see bench/README.md, "Scale")."""
    measured = max(results, key=lambda r: r["articles"])
    build = max(measured["builds"], key=lambda b: b["jobs"])
    model = phase_model(build)
    print(f"From the {build['articles']:,}-article build with jobs={build['jobs']}, CPU ms per article "
          "(writer + workers):")
    for name, (main_cpu, workers_cpu) in model.items():
        print(f"  {name}: {main_cpu * 1e3:.2f} + {workers_cpu * 1e3:.2f}")
    serial = sum(m for m, _ in model.values())
    print(f"  the writer's serial part: {serial * 1e3:.2f} ms per article, "
          f"{serial / sum(m + w for m, w in model.values()):.0%} of the CPU")
    for size in sizes:
        one = modelled_wall(model, size, cores)
        many = modelled_wall(model, size, cores * workers, transfer)
        print(f"  {size:,} articles: {one / 3600:.1f} h on one {cores}-core machine; {many / 3600:.1f} h with "
              f"{workers} Dask workers of {cores} cores ({transfer * 1e3:.2f} ms per article moved); "
              f"the writer alone {serial * size / 3600:.1f} h")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000", help="corpus sizes, comma-separated (default 10000)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the AllSides JSON Lines (gzipped)")
    parser.add_argument("--jobs", default="1,2", help="worker process counts, comma-separated (default 1,2)")
    parser.add_argument("--json", type=Path, help="write every figure here (and read it back with --plan)")
    parser.add_argument("--plan", action="store_true", help="project --sizes from --from instead of building")
    parser.add_argument("--from", dest="source", type=Path, help="figures written by --json, for --plan")
    parser.add_argument("--cores", type=int, default=2, help="cores per machine in the projection")
    parser.add_argument("--workers", type=int, default=8, help="Dask workers in the projection")
    parser.add_argument("--transfer-ms", type=float, default=0.2,
                        help="ms per article to move its text to a Dask worker and its rows back (projection)")
    parser.add_argument("--events", type=int, metavar="N", help="time update_events alone on N articles")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of jobs 1 and 2, alternating (--events)")
    parser.add_argument("--against", type=Path, help="another checkout whose update_events to run too (--events)")
    parser.add_argument("--dask", help="also on Dask LocalClusters of these worker counts (--events), e.g. 2")
    parser.add_argument("--events-memory", type=int, metavar="N", help="the candidate search's task memory")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="move each build into DIR (on the same file system as /tmp) instead of deleting it")
    parser.add_argument("--child", nargs=2, metavar=("DATA", "JOBS"), help=argparse.SUPPRESS)
    parser.add_argument("--loaded", nargs=2, metavar=("DATA", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--events-child", nargs=2, metavar=("DB", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]), args.keep)))
        return
    if args.loaded:
        loaded(Path(args.loaded[0]), Path(args.loaded[1]))
        return
    if args.events_child:
        print(json.dumps(events_child(Path(args.events_child[0]), int(args.events_child[1]))))
        return
    if args.events:
        events_bench(args.events, args.corpus, args.rounds, args.against,
                     [int(w) for w in args.dask.split(",") if w] if args.dask else [])
        return
    if args.events_memory:
        events_memory(args.events_memory, args.corpus)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.plan:
        plan(json.loads(args.source.read_text()), sizes, args.cores, args.workers, args.transfer_ms / 1e3)
        return
    results = []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for size in sizes:
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            data = Path(tmp) / "corpus.jsonl"
            n = write_corpus(size, data, args.corpus)
            result = {"articles": n, "baseline": baseline(data), "builds": []}
            for jobs in (int(j) for j in args.jobs.split(",")):
                keep = ["--keep", str(args.keep)] if args.keep else []
                out = subprocess.run([sys.executable, __file__, "--child", str(data), str(jobs), *keep], env=env,
                                     capture_output=True, text=True, check=True)
                result["builds"].append(json.loads(out.stdout.strip().splitlines()[-1]))
            result["baseline_after"] = baseline(data)  # the machine may be busier at the end: both ends
            result["baseline"] = min((result["baseline"], result.pop("baseline_after")), key=lambda b: b["wall"])
            results.append(result)
            report(result)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
