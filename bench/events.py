"""Event clustering: quality against gold labels, incremental agreement, and scale.

Run by hand from the repository root with the virtualenv active::

    python bench/events.py                  # story level: B-cubed / NMI on DUC 2004, WikiRef220,
                                            # GoogleNews, ECB+ dev by topic, the seeds
    python bench/events.py --incremental    # cluster 80%, --add 20%, compare with a full build
    python bench/events.py --small          # small databases: DUC events alone, in twos, in fives
    python bench/events.py --scale          # AllSides 10k vs 37k: time and peak memory
    python bench/events.py --set threshold=0.08 --set neighbours=10   # try other parameters
    python bench/events.py --incidents      # stories split into incidents: ECB+, DUC, WikiRef, seeds
    python bench/events.py --incidents --split threshold=0.05   # other SplitParams
    python bench/events.py --incidents-scale   # split every story of a 10k AllSides clustering
    python bench/events.py --split-cost --against /tmp/base --identical-to /tmp/prev
                                            # update_events CPU by phase, this checkout against
                                            # another (a git worktree), and articles.event_id of a
                                            # DUC build compared with a third (or the same)

Quality and incremental runs go through ``update_events`` on a temporary SQLite database, the
same path ``newsdigest build`` takes. Data is read from ``../shared`` and never copied here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import fields, replace
from pathlib import Path

import sqlite_utils
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from datasette_newsdigest import events, store
from datasette_newsdigest.ingest import Problem, parse_date, read_file

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"
SIZES = (10_000, 37_554)


# --------------------------------------------------------------------------
# Data: records with id, title, body, published, outlet and a gold label


def _unique(records):
    """DUC puts a few articles in two clusters; an article can have one event, so keep the first."""
    first = {}
    for r in records:
        first.setdefault(r["id"], r)
    return list(first.values())


def duc2004():
    out = []
    with open(EVAL / "duc2004" / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            record = {k: r[k] for k in ("id", "title", "body", "published", "outlet")}
            out.append({**record, "gold": r["cluster"]})
    return out


def wikiref220():
    out = []
    for path in sorted((EVAL / "wikiref220").glob("*.txt")):
        topic = re.sub(r"(?: \(\d+\))?\.txt$", "", path.name)
        topic = re.sub(r"\.\d+$", "", topic)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        title, _, body = text.strip().partition("\n")
        out.append({"id": path.name, "title": title.strip(), "body": body, "published": None,
                    "outlet": None, "gold": topic})
    return out


def googlenews(name="TS"):
    with open(EVAL / "googlenews" / f"{name}.jsonl", encoding="utf-8") as f:
        return [{"id": str(i), "title": None, "body": r["text"], "published": None, "outlet": None,
                 "gold": r["cluster"]} for i, r in enumerate(map(json.loads, f))]


def ecbplus_topics():
    """ECB+ dev read at the story level: gold is the topic (the digits of ``cluster``: '1ecb' and
    '1ecbplus' are topic 1), since its two incidents per topic are split within a story."""
    with open(EVAL / "ecbplus" / "dev.jsonl", encoding="utf-8") as f:
        return [{"id": r["id"], "title": r["title"], "body": r["body"], "published": None, "outlet": None,
                 "gold": re.match(r"\d+", r["cluster"]).group()} for r in map(json.loads, f)]


def seeds():
    """The repository's five seed articles, read as ``newsdigest build`` reads them; gold is the
    incident each reports (the Kremlin attack, the July attack on Moscow, the Belgorod raid)."""
    gold = {"001": "kremlin", "003": "kremlin", "000": "moscow-july", "002": "moscow-july", "004": "belgorod"}
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for record in read_file(path, "txt"):
            if isinstance(record, Problem):
                raise SystemExit(f"{path}: {record}")
            out.append({"id": path.name[:3], **{k: record.get(k) for k in ("title", "body", "published", "outlet")},
                        "gold": gold[path.name[:3]]})
    return out


SETS = {  # name -> loader
    "duc2004": duc2004,  # 500 articles, 50 clusters
    "wikiref220": wikiref220,  # 220 articles, 16 topics
    "googlenews-TS": lambda: googlenews("TS"),  # 11,109 title + snippet items, 152 stories
    "googlenews-T": lambda: googlenews("T"),  # the same items, titles only
    "ecbplus-topics": ecbplus_topics,  # 462 undated articles, 22 topics of two incidents each
    "ecbplus-dev": lambda: ecbplus(),  # the same articles, gold their incidents (scored on events)
    "seeds": seeds,  # 5 articles, 3 incidents of one theme (scored against incidents)
}


# --------------------------------------------------------------------------
# Metrics


def bcubed(pred, gold) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 (Bagga and Baldwin 1998), averaged over items."""
    n = len(pred)
    in_pred, in_gold, both = Counter(pred), Counter(gold), Counter(zip(pred, gold, strict=True))
    p = sum(c * c / in_pred[a] for (a, _), c in both.items()) / n
    r = sum(c * c / in_gold[g] for (_, g), c in both.items()) / n
    return p, r, 2 * p * r / (p + r)


def scores(pred, gold) -> dict:
    p, r, f = bcubed(pred, gold)
    return {"P": p, "R": r, "F1": f, "NMI": normalized_mutual_info_score(gold, pred),
            "ARI": adjusted_rand_score(gold, pred), "events": len(set(pred)), "gold": len(set(gold))}


# --------------------------------------------------------------------------
# Running through the database adapter


def _insert(db, records):
    db["articles"].insert_all(
        ({k: r[k] for k in ("id", "title", "body", "published", "outlet")} for r in records),
        pk="id", columns={"event_id": int, "published": str, "outlet": str, "title": str},
    )


def run_full(records, params, level: str = "event") -> tuple[dict[str, int], dict]:
    """Each record's event (``level="story"``: its story) after one full update_events."""
    query = ("select id, event_id from articles" if level == "event" else
             "select a.id, e.story_id from articles a join events e on e.id = a.event_id")
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "bench.db")
        _insert(db, records)
        stats = store.update_events(db, params=params)
        assigned = dict(db.execute(query).fetchall())
        db.close()
    return assigned, stats


def run_incremental(first, then, params) -> tuple[dict[str, int], dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "bench.db")
        _insert(db, first)
        base = store.update_events(db, params=params)
        _insert(db, then)
        added = store.update_events(db, [r["id"] for r in then])
        assigned = dict(db.execute("select id, event_id from articles").fetchall())
        db.close()
    return assigned, base, added


# the level each set's gold labels: stories (topics) or incidents
GOLD_LEVEL = {"duc2004": "story", "wikiref220": "story", "googlenews-TS": "story", "googlenews-T": "story",
              "ecbplus-topics": "story", "ecbplus-dev": "event", "seeds": "event"}


def quality(args, params):
    """One table: each set scored at the level its gold labels (stories for DUC, WikiRef220,
    GoogleNews and ECB+ read by topic; events for ECB+ dev's incidents and the seeds)."""
    print("| set | gold level | articles | groups (gold) | B³ P | B³ R | B³ F1 | NMI | ARI | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        scored = SETS[name]()  # DUC's 11 articles in two clusters are scored in both, as the set has them
        level = GOLD_LEVEL[name]
        assigned, stats = run_full(_unique(scored), params, level)
        s = scores([assigned[r["id"]] for r in scored], [r["gold"] for r in scored])
        print(f"| {name} | {level} | {len(scored):,} | {s['events']} ({s['gold']}) | {s['P']:.3f} | {s['R']:.3f} | "
              f"{s['F1']:.3f} | {s['NMI']:.3f} | {s['ARI']:.3f} | {stats['seconds']:.1f} |", flush=True)


def incremental(args, params):
    """Cluster 80% of a set, --add the other 20%, and compare with clustering all of it at once."""
    print("| set | split | added | agreement B³ F1 | agreement ARI | full B³ F1 | incremental B³ F1 "
          "| --add seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in (n for n in args.sets if n != "seeds"):  # five articles cannot be split 80/20 usefully
        records = _unique(SETS[name]())
        full, _ = run_full(records, params)
        ids = [r["id"] for r in records]
        gold = [r["gold"] for r in records]
        splits = {"random": [random.Random(seed).sample(records, len(records)) for seed in range(args.seeds)]}
        if any(r["published"] for r in records):
            splits["newest 20%"] = [sorted(records, key=lambda r: (r["published"] or "", r["id"]))]
        for split, orders in splits.items():
            rows = []
            for order in orders:
                cut = int(len(order) * 0.8)
                inc, _, added = run_incremental(order[:cut], order[cut:], params)
                agree = scores([inc[i] for i in ids], [full[i] for i in ids])
                rows.append((agree["F1"], agree["ARI"], bcubed([full[i] for i in ids], gold)[2],
                             bcubed([inc[i] for i in ids], gold)[2], added["seconds"]))
            mean = [sum(col) / len(col) for col in zip(*rows, strict=True)]
            runs = f" (mean of {len(rows)})" if len(rows) > 1 else ""
            print(f"| {name} | {split}{runs} | {len(records) - int(len(records) * 0.8):,} | {mean[0]:.3f} | "
                  f"{mean[1]:.3f} | {mean[2]:.3f} | {mean[3]:.3f} | {mean[4]:.2f} |", flush=True)


def small(args, params):
    """A user's database is often a handful of stories: cluster DUC events alone and in random
    groups, and score each group against its gold labels."""
    by_event: dict[str, list] = {}
    for r in _unique(duc2004()):
        by_event.setdefault(r["gold"], []).append(r)
    names = sorted(by_event)
    rng = random.Random(0)
    print("| DUC events per database | databases | mean B³ P | mean B³ R | mean B³ F1 | events per gold event |")
    print("|---|---|---|---|---|---|")
    for k in (1, 2, 5):
        rows = []
        for _ in range(args.groups):
            records = [r for name in rng.sample(names, k) for r in by_event[name]]
            assigned, _ = run_full(records, params)
            pred = [assigned[r["id"]] for r in records]
            rows.append((*bcubed(pred, [r["gold"] for r in records]), len(set(pred)) / k))
        mean = [sum(col) / len(col) for col in zip(*rows, strict=True)]
        print(f"| {k} | {len(rows)} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} | {mean[3]:.2f} |",
              flush=True)


# --------------------------------------------------------------------------
# Scale: AllSides, each size in its own process so peak memory is its own


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _allsides(chosen: set[int], held: set[int], held_out: list):
    """The chosen lines of the corpus as records, streamed (the corpus never sits in memory, so
    peak RSS is the clustering's); the ``held`` ones go to ``held_out`` instead."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i in chosen:
                r = json.loads(line)
                record = {"id": r["id"], "title": r["title"], "body": r["body"],
                          "published": parse_date(r["published"]), "outlet": r["outlet"]}
                if i in held:
                    held_out.append(record)
                else:
                    yield record


def scale_child(size: int, add: int, params) -> dict:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        total = sum(1 for _ in f)
    rng = random.Random(0)
    chosen = set(range(total)) if size >= total else set(rng.sample(range(total), size))
    held = set(rng.sample(sorted(chosen), add))
    held_out: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "bench.db")
        _insert(db, _allsides(chosen, held, held_out))
        records = db["articles"].count
        before = _rss_mb()
        started = time.perf_counter()
        cpu = time.process_time()
        stats = store.update_events(db, params=params)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sizes = [n for (n,) in db.execute("select articles from events")]
        spans = db.execute(
            "select max(julianday(last_published) - julianday(first_published)) from events "
            "where articles >= 5"
        ).fetchone()[0]
        biggest = db.execute("select label, articles, first_published, last_published from events "
                             "order by articles desc limit 3").fetchall()
        _insert(db, held_out)
        added = store.update_events(db, [r["id"] for r in held_out])
        db.close()
    return {"articles": records, "seconds": seconds, "cpu": cpu, "rss_before_mb": before,
            "peak_mb": peak, "events": stats["events"], "singletons": sum(n == 1 for n in sizes),
            "in_events_of_5_plus": sum(n for n in sizes if n >= 5), "largest": biggest,
            "longest_span_days_5plus": spans, "add": add, "add_seconds": added["seconds"]}


def scale(args, params):
    results = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--scale-child", str(size), "--add", str(args.add),
               *sum((["--set", s] for s in args.set), [])]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print("| articles | cluster (wall) | CPU | peak RSS | RSS before | events | singletons | "
          f"--add {args.add} |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['articles']:,} | {r['seconds']:.1f} s | {r['cpu']:.1f} s | {r['peak_mb']:.0f} MB | "
              f"{r['rss_before_mb']:.0f} MB | {r['events']:,} | {r['singletons']:,} | "
              f"{r['add_seconds']:.1f} s |")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"\narticles ×{b['articles'] / a['articles']:.2f} → "
              f"wall ×{b['seconds'] / a['seconds']:.2f}, CPU ×{b['cpu'] / a['cpu']:.2f}")


def parse_params(settings) -> events.Params:
    return parse_fields(events.Params(), settings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--groups", type=int, default=50, help="random databases per group size (--small)")
    parser.add_argument("--sets", nargs="+", choices=list(SETS),
                        default=["duc2004", "wikiref220", "googlenews-TS", "ecbplus-topics", "ecbplus-dev", "seeds"])
    parser.add_argument("--seeds", type=int, default=5, help="random 80/20 splits to average (--incremental)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--add", type=int, default=500, help="articles held out and --added (--scale)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Params field")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    params = parse_params(args.set)
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.add, params)))
    elif args.scale:
        scale(args, params)
    elif args.incremental:
        incremental(args, params)
    elif args.small:
        small(args, params)
    else:
        quality(args, params)



# --------------------------------------------------------------------------
# Incidents: events.split_story inside stories (pure functions, no database)


SEED_INCIDENTS = {  # from reading the seeds: file number -> incident
    "000": "moscow-july", "002": "moscow-july", "001": "kremlin", "003": "kremlin", "004": "belgorod",
}


def ecbplus():
    """ECB+ dev: ``story`` is the topic (two incidents of one kind), ``gold`` the incident."""
    with open(EVAL / "ecbplus" / "dev.jsonl", encoding="utf-8") as f:
        return [{"id": r["id"], "title": r["title"], "body": r["body"], "published": None, "outlet": None,
                 "gold": r["cluster"], "story": re.match(r"\d+", r["cluster"]).group()}
                for r in map(json.loads, f)]


def seeds():
    """The five seeds as ``newsdigest build`` reads them (its articles table), gold from reading."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seeds.db"
        subprocess.run([str(Path(sys.executable).parent / "newsdigest"), "build", str(path),
                        *map(str, sorted((ROOT / "seeds").glob("*.txt")))], check=True, capture_output=True)
        db = sqlite_utils.Database(path)
        rows = list(db.query("select id, title, body, published, outlet, source from articles"))
        db.close()
    return [{**{k: r[k] for k in ("id", "title", "body", "published", "outlet")},
             "gold": SEED_INCIDENTS[Path(r["source"]).name[:3]], "story": "seeds"} for r in rows]


INCIDENT_SETS = {  # name -> (loader, what its gold is); ``story`` defaults to the gold
    "ecbplus-dev": (ecbplus, "incidents"),
    "duc2004": (lambda: _unique(duc2004()), "stories"),
    "wikiref220": (wikiref220, "topics"),
    "seeds": (seeds, "incidents"),
}


def _article(r) -> events.Article:
    return events.Article(r["id"], r["title"], r["body"], r["published"], r["outlet"])


def split_all(records, story_of, params, split) -> list[str]:
    """Each record's incident as "story/incident", every story split on its own."""
    members: dict = {}
    for i, story in enumerate(story_of):
        members.setdefault(story, []).append(i)
    out = [""] * len(records)
    for story, idx in members.items():
        for i, incident in zip(idx, events.split_story([_article(records[i]) for i in idx], params, split),
                               strict=True):
            out[i] = f"{story}/{incident}"
    return out


def incidents(args, params, split):
    print(f"SplitParams: {split}\n")
    print("| set | gold | stories from | stories | incidents per story | incidents (gold) | B³ P | B³ R "
          "| B³ F1 | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.incident_sets:
        loader, kind = INCIDENT_SETS[name]
        records = loader()
        gold = [r["gold"] for r in records]
        clustered = events.cluster([_article(r) for r in records], params).event_of
        for source, story_of in (("gold", [r.get("story", r["gold"]) for r in records]),
                                 ("events.cluster", clustered)):
            started = time.perf_counter()
            pred = split_all(records, story_of, params, split)
            seconds = time.perf_counter() - started
            p, r, f = bcubed(pred, gold)
            stories = len(set(story_of))
            print(f"| {name} | {kind} | {source} | {stories} | {len(set(pred)) / stories:.2f} | "
                  f"{len(set(pred))} ({len(set(gold))}) | {p:.3f} | {r:.3f} | {f:.3f} | {seconds:.1f} |",
                  flush=True)
        if name == "seeds":
            by_file = sorted(zip((r["gold"] for r in records), pred, strict=True))
            print(f"|  | seeds by gold incident: {by_file} |", flush=True)


def incidents_scale_child(size: int, params, split) -> dict:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        total = sum(1 for _ in f)
    chosen = set(range(total)) if size >= total else set(random.Random(0).sample(range(total), size))
    records = [events.Article(r["id"], r["title"], r["body"], r["published"], r["outlet"])
               for r in _allsides(chosen, set(), [])]
    started, cpu = time.perf_counter(), time.process_time()
    clustering = events.cluster(records, params)
    cluster_seconds, cluster_cpu = time.perf_counter() - started, time.process_time() - cpu
    cluster_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    members: dict[int, list[int]] = {}
    for i, e in enumerate(clustering.event_of):
        members.setdefault(e, []).append(i)
    started, cpu = time.perf_counter(), time.process_time()
    parts, largest = 0, 0
    for idx in members.values():
        parts += len(set(events.split_story([records[i] for i in idx], params, split)))
        largest = max(largest, len(idx))
    split_seconds, split_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"articles": len(records), "stories": len(members), "incidents": parts, "largest_story": largest,
            "one_article_stories": sum(len(idx) == 1 for idx in members.values()),
            "cluster_seconds": cluster_seconds, "cluster_cpu": cluster_cpu, "cluster_peak_mb": cluster_peak,
            "split_seconds": split_seconds, "split_cpu": split_cpu,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def incidents_scale(args, params, split):
    """Split every story of an AllSides clustering, in a child process so peak memory is its own."""
    results = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--incidents-scale-child", str(size),
               *sum((["--set", s] for s in args.set), []), *sum((["--split", s] for s in args.split), [])]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print("| articles | stories (one article) | incidents | largest story | cluster wall / CPU | peak RSS after "
          "cluster | split all stories wall / CPU | split / cluster CPU | peak RSS after split |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['articles']:,} | {r['stories']:,} ({r['one_article_stories']:,}) | {r['incidents']:,} | "
              f"{r['largest_story']} | {r['cluster_seconds']:.1f} s / {r['cluster_cpu']:.1f} s | "
              f"{r['cluster_peak_mb']:.0f} MB | {r['split_seconds']:.1f} s / {r['split_cpu']:.1f} s | "
              f"×{r['split_cpu'] / r['cluster_cpu']:.2f} | {r['peak_mb']:.0f} MB |")


def parse_fields(defaults, settings):
    """``defaults`` (a frozen dataclass: Params, SplitParams) with NAME=VALUE settings applied."""
    types = {f.name: f.type for f in fields(defaults)}
    values = {}
    for item in settings:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown {type(defaults).__name__} field {key!r}; one of {', '.join(types)}")
        values[key] = float(value) if types[key] in (float, "float") else int(value)
    return replace(defaults, **values)


def incidents_main(argv) -> bool:
    """The --incidents modes, parsed on their own so the other modes' options stay as they are;
    False when ``argv`` asks for none of them."""
    if not {"--incidents", "--incidents-scale", "--incidents-scale-child"} & set(argv):
        return False
    parser = argparse.ArgumentParser(description="stories split into incidents (events.split_story)")
    parser.add_argument("--incidents", action="store_true")
    parser.add_argument("--incidents-scale", action="store_true")
    parser.add_argument("--incidents-scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--incident-sets", nargs="+", choices=list(INCIDENT_SETS), default=list(INCIDENT_SETS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a Params field")
    parser.add_argument("--split", action="append", default=[], metavar="NAME=VALUE",
                        help="override a SplitParams field")
    args = parser.parse_args(argv)
    params, split = parse_params(args.set), parse_fields(events.SplitParams(), args.split)
    if args.incidents_scale_child:
        print(json.dumps(incidents_scale_child(args.incidents_scale_child, params, split)))
    elif args.incidents_scale:
        incidents_scale(args, params, split)
    else:
        incidents(args, params, split)
    return True


# --------------------------------------------------------------------------
# Split cost: what update_events spends per phase, this checkout against another


PHASES = ("cluster", "assign", "story_terms", "split_story", "headlines", "story_headlines")


def _timed_phases() -> dict[str, float]:
    """Wrap the events functions store.update_events calls (those the checkout has) so that each
    adds its CPU time to the returned dict; the rest of update_events is reading and writing."""
    spent = dict.fromkeys(PHASES, 0.0)
    for name in PHASES:
        inner = getattr(events, name, None)
        if inner is None:
            continue

        def timed(*args, _inner=inner, _name=name, **kwargs):
            started = time.process_time()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_name] += time.process_time() - started
        setattr(events, name, timed)
    return spent


def split_cost_child(size: int) -> dict:
    """One full update_events on ``size`` AllSides articles (the --scale sample, nothing held out),
    its CPU time in all and per phase, and peak RSS."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        total = sum(1 for _ in f)
    chosen = set(range(total)) if size >= total else set(random.Random(0).sample(range(total), size))
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "bench.db")
        _insert(db, _allsides(chosen, set(), []))
        spent = _timed_phases()
        cpu = time.process_time()
        stats = store.update_events(db)
        cpu = time.process_time() - cpu
        db.close()
    return {"package": events.__file__, "articles": size, "cpu": cpu, **spent,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "events": stats["events"]}


def identity_child(count: int) -> dict:
    """articles.event_id and events.story_id after a full build of the first ``count`` DUC articles."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "bench.db")
        _insert(db, _unique(duc2004())[:count])
        store.update_events(db)
        out = {"package": events.__file__,
               "event_of": dict(db.execute("select id, event_id from articles")),
               "story_of": dict(db.execute("select id, story_id from events")) if db["events"].exists() else {}}
        db.close()
    return out


def _child(checkout: Path, *args: str) -> dict:
    """Run this script's child mode with ``checkout``'s package first on the path."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True,
                         env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def split_cost(argv) -> None:
    parser = argparse.ArgumentParser(description="update_events CPU by phase against another checkout")
    parser.add_argument("--split-cost", action="store_true")
    parser.add_argument("--against", type=Path, required=True, help="another checkout (git worktree) to compare")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds, the order alternating")
    parser.add_argument("--identical-to", type=Path, help="a checkout whose DUC build must group the same "
                        "(the commit before a change that should not change results; default: --against)")
    parser.add_argument("--duc", type=int, default=300, help="DUC articles in the identity check")
    args = parser.parse_args(argv)
    here = ROOT
    other = args.identical_to or args.against
    same = _child(here, "--identity-child", str(args.duc)), _child(other, "--identity-child", str(args.duc))
    for run in same:
        print(f"identity build: {run['package']}", file=sys.stderr)
    event_same = same[0]["event_of"] == same[1]["event_of"]
    print(f"DUC {args.duc} articles: articles.event_id identical: {event_same}; "
          f"events.story_id identical: {same[0]['story_of'] == same[1]['story_of']}")
    runs: dict[str, list[dict]] = {"this": [], "against": []}
    for r in range(args.rounds):
        order = [("this", here), ("against", args.against)]
        for name, checkout in order if r % 2 == 0 else order[::-1]:
            runs[name].append(_child(checkout, "--split-cost-child", str(args.size)))
            print(json.dumps(runs[name][-1]), file=sys.stderr, flush=True)
    print(f"\n| {args.size:,} AllSides articles, CPU s (mean of {args.rounds}) | against | this | ratio |")
    print("|---|---|---|---|")
    for key in (*PHASES, "rest", "cpu", "peak_mb"):
        a, b = (sum(_phase(x, key) for x in runs[n]) / len(runs[n]) for n in ("against", "this"))
        print(f"| {key} | {a:.1f} | {b:.1f} | {b / a if a else float('nan'):.2f}× |")
    if not event_same:
        sys.exit(1)


def _phase(run: dict, key: str) -> float:
    return run["cpu"] - sum(run[p] for p in PHASES) if key == "rest" else run[key]


def split_cost_main(argv) -> bool:
    """The --split-cost modes; False when none was asked for."""
    if "--split-cost-child" in argv:
        print(json.dumps(split_cost_child(int(argv[argv.index("--split-cost-child") + 1]))))
    elif "--identity-child" in argv:
        print(json.dumps(identity_child(int(argv[argv.index("--identity-child") + 1]))))
    elif "--split-cost" in argv:
        split_cost(argv)
    else:
        return False
    return True


if __name__ == "__main__":
    if not split_cost_main(sys.argv[1:]) and not incidents_main(sys.argv[1:]):
        main()
