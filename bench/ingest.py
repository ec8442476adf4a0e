"""Build speed and memory on the AllSides corpus (37,554 articles).

Times a full ``newsdigest build`` in a child process (peak RSS from
``resource``), next to a baseline measured in the same run: merely
decompressing and JSON-parsing the same file. Run by hand:

    python bench/ingest.py [--limit N]
"""

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"


def baseline(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        n = sum(1 for line in f if json.loads(line))
    return time.perf_counter() - started, n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, help="only the first N articles")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if args.limit:
            corpus = Path(tmp) / "subset.jsonl.gz"
            with gzip.open(args.corpus, "rt") as src, gzip.open(corpus, "wt") as dst:
                dst.writelines(islice(src, args.limit))
        base, n = baseline(corpus)
        db = Path(tmp) / "all.db"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "datasette_newsdigest.cli", "build", str(db), str(corpus),
                        "--no-progress"], check=True)
        build = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mb = os.path.getsize(db) / 2**20
    print(f"articles {n}")
    print(f"baseline (gunzip + json.loads): {base:6.1f}s")
    print(f"newsdigest build:               {build:6.1f}s  ({build / base:.0f}x baseline)")
    print(f"peak RSS of build:              {peak_mb:6.0f} MB")
    print(f"database size:                  {size_mb:6.0f} MB")


if __name__ == "__main__":
    main()
