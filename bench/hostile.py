"""Hostile SQL calls: time and peak memory of ``newsdigest_summarize`` on texts built to make a
summarizer do as much work as ``max_chars`` lets them, per method, as ratios against the same
call on normal news in the same process.

Run from the repository root with the virtualenv active::

    python bench/hostile.py                         # every method, every text, 60 s cap per run
    python bench/hostile.py --methods lexrank,kl --texts 300x300 --timeout 30
    PYTHONPATH=/work/main python bench/hostile.py   # the same against another checkout

Each (method, text) runs in its own child process, killed after ``--timeout`` seconds (reported
as ``>60 s``), so the bench stays bounded whatever the code under test does. The child first makes
the baseline call (one DUC 2004 cluster, ``../shared/eval/duc2004/articles.jsonl``, about 250
sentences, through the same SQL function), then the hostile one; peak memory is the growth of the
child's peak RSS during the hostile call.

Texts (all under the default ``max_chars``, 500,000 characters; 3,000,000 before issue 9):

- ``300x300``: 300 sentences of 300 distinct words (no word repeats), the text in issue 9;
- ``100x1000``: 100 sentences of 1,000 distinct words;
- ``1000x100``: 1,000 sentences of 100 distinct words;
- ``tiny``: 30,000 sentences of three distinct words;
- ``one``: one sentence of 99,000 distinct words (no full stop).
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import string
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT.parent / "shared" / "eval" / "duc2004" / "articles.jsonl"
TEXTS = {"300x300": (300, 300), "100x1000": (100, 1000), "1000x100": (1000, 100),
         "tiny": (30_000, 3), "one": (1, 99_000)}


def _words():
    """Distinct lower-case words of three and four letters (aaa, aab, ..., zzzz), never repeated:
    short, so that 90,000 of them fit under max_chars."""
    for n in count(26 + 26**2):
        s, i = "", n
        while i:
            i, r = divmod(i - 1, 26)
            s += string.ascii_lowercase[r]
        yield s


def hostile(name: str) -> str:
    n_sentences, n_words = TEXTS[name]
    words = _words()
    sentences = []
    for _ in range(n_sentences):
        sentence = " ".join(next(words) for _ in range(n_words))
        sentences.append(sentence[0].upper() + sentence[1:] + ("." if n_sentences > 1 else ""))
    return " ".join(sentences)


def normal() -> str:
    """The first DUC 2004 cluster's articles, one text."""
    bodies, first = [], None
    with open(ARTICLES, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            first = first or row["cluster"]
            if row["cluster"] == first:
                bodies.append(row["body"])
    return "\n\n".join(bodies)


def _call(conn, method: str, value: str) -> float:
    start = time.perf_counter()
    result = conn.execute(
        "select newsdigest_summarize(?, ?)", [value, json.dumps({"sentences": 5, "method": method})]
    ).fetchone()[0]
    elapsed = time.perf_counter() - start
    if result and result.startswith("newsdigest error"):
        raise SystemExit(result)
    return elapsed, len(result.splitlines()) if result else 0


def child(method: str, name: str) -> None:
    from datasette_newsdigest import sql

    conn = sqlite3.connect(":memory:")
    sql.register(conn, {})
    value = hostile(name)
    base_text = normal()
    _call(conn, method, base_text)  # warm caches (imports, stemmer) before timing
    baseline = min(_call(conn, method, base_text)[0] for _ in range(3))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    elapsed, picked = _call(conn, method, value)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"baseline": baseline, "time": elapsed, "peak_mb": peak / 1024,
                      "chars": len(value), "sentences": picked}))


def run(method: str, name: str, timeout: float) -> dict | None:
    try:
        out = subprocess.run([sys.executable, __file__, "--child", method, name],
                             capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", help="comma-separated (default: every method digest.py has)")
    parser.add_argument("--texts", default=",".join(TEXTS))
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    from datasette_newsdigest import digest

    methods = args.methods.split(",") if args.methods else list(digest.METHODS)
    print(f"code: {Path(digest.__file__).parent}")
    print("| text | method | baseline | hostile call | ratio | peak memory | sentences out |")
    print("|---|---|---|---|---|---|---|")
    for name in args.texts.split(","):
        for method in methods:
            r = run(method, name, args.timeout)
            if r is None:
                print(f"| {name} | {method} | | >{args.timeout:g} s | | | |", flush=True)
                continue
            print(f"| {name} | {method} | {r['baseline']:.3f} s | {r['time']:.2f} s | "
                  f"{r['time'] / r['baseline']:.0f}× | {r['peak_mb']:.0f} MB | {r['sentences']} |",
                  flush=True)


if __name__ == "__main__":
    main()
