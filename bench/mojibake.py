"""Mojibake left in titles and bodies of the AllSides corpus, and what repairing it costs.

Reads the corpus through ingest's record path (``read_file``: decoding, JSON, cleaning, records;
no database) twice in child processes: with the code of another checkout (``--before``, by
default ../main, the code before repair) and with this one. Each child counts the titles and
bodies that ftfy's own detector, ``ftfy.badness.is_bad``, still calls mojibake (the same test for
both, outside the timed part) and times the record path; the ratio of the two times is the cost.
Run by hand from the repository root:

    python bench/mojibake.py [--limit N] [--rounds R] [--before PATH]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"
BEFORE = ROOT.parent / "main"


def child(corpus: Path, limit: int | None) -> None:
    from ftfy.badness import is_bad

    from datasette_newsdigest import ingest

    seconds = 0.0
    records = bad_titles = bad_bodies = noted = 0
    examples: list[str] = []
    items = ingest.read_file(corpus, ingest.file_kind(corpus))
    while True:
        started = time.perf_counter()
        item = next(items, None)
        seconds += time.perf_counter() - started
        if item is None or records == limit:
            break
        if isinstance(item, ingest.Problem):
            continue
        records += 1
        noted += any("mojibake" in note for note in item.notes)
        title_bad = bool(item["title"]) and is_bad(item["title"])
        bad_titles += title_bad
        bad_bodies += is_bad(item["body"])
        if title_bad and len(examples) < 3:
            examples.append(item["title"])
    print(json.dumps({"code": ingest.__file__, "seconds": seconds, "records": records, "bad_titles": bad_titles,
                      "bad_bodies": bad_bodies, "noted": noted, "examples": examples}))


def run(code: Path, corpus: Path, limit: int | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    more = ["--limit", str(limit)] if limit else []
    out = subprocess.run([sys.executable, __file__, "--child", str(corpus), *more], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--before", type=Path, default=BEFORE, help="checkout of the code to compare with")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--rounds", type=int, default=1, help="before/after pairs, order alternating (best kept)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.limit)
        return
    results: dict[str, list[dict]] = {"before": [], "after": []}
    for round_ in range(max(1, args.rounds)):
        order = [("before", args.before), ("after", ROOT)]
        for name, code in order[::-1] if round_ % 2 else order:  # alternate, so neither always runs first
            results[name].append(run(code, args.corpus, args.limit))
    best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in results.items()}
    for name, r in best.items():
        print(f"{name:6} {r['code']}")
        print(f"       records {r['records']:,}; is_bad titles {r['bad_titles']:,}, bodies {r['bad_bodies']:,}; "
              f"records noted as repaired {r['noted']:,}; record path {r['seconds']:.1f}s")
        for example in r["examples"]:
            print(f"       e.g. {example!r}")
    times = {name: [round(r["seconds"], 1) for r in runs] for name, runs in results.items()}
    print(f"record path after / before: {best['after']['seconds'] / best['before']['seconds']:.3f} "
          f"(best of {times['after']} / {times['before']} s)")


if __name__ == "__main__":
    main()
