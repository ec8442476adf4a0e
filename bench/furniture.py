"""Furniture in 5-sentence digests of the AllSides build: the share of digest sentences that are
captions, credits, teasers, link lines, shouted headlines or lone questions by the written rules
(bench/README.md "Furniture in digests"), and a sample to read by hand.

The digests come from a child process running the code of ``--code`` (default: this checkout) on
``--db``, a build of ../shared/corpora/allsides-37k.jsonl.gz made by the same code (``--build``
makes it, into /tmp, never the repository). The sentences are judged here, by this checkout's
rules, so a build of older code is counted by the same rules as this one. The events are a fixed
sample: ``--events`` (200) of the events of 3+ articles, drawn with ``--seed``. Run by hand from
the repository root:

    python bench/furniture.py --build --db /tmp/allsides.db                   # this checkout
    python bench/furniture.py --code ../main --db /tmp/allsides-main.db       # a build by main
    python bench/furniture.py --cost 10000                                    # the round-3 rules' cost
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"


def child(db_path: Path, events: int, seed: int, mojibake: bool = True, reclean: bool = False) -> None:
    """Print, as one JSON line, the 5-sentence default digest of each sampled event (as the event
    page makes it: articles earliest first, within max_chars) and the mojibake left in the build;
    with ``reclean``, each stored body cleaned again by this code's ingest rules first (a stand-in
    for a rebuild: the events stay as the build made them)."""
    from ftfy.badness import is_bad

    from datasette_newsdigest import digest, ingest

    conn = sqlite3.connect(db_path)
    columns = {row[1] for row in conn.execute("pragma table_info(articles)")}
    genre = "genre" if "genre" in columns and hasattr(digest.Document, "genre") else None
    ids = [row[0] for row in conn.execute("select id from events where articles >= 3 order by id")]
    sample = sorted(random.Random(seed).sample(ids, min(events, len(ids))))
    limits = digest.Limits()
    out = []
    for event in sample:
        selected = "id, body, published" + (", genre" if genre else "") + ", title"
        rows = conn.execute(f"select {selected} from articles where event_id = ? "
                            "order by published is null, published, rowid", (event,)).fetchall()
        kept, total = [], 0
        for *row, title in rows:
            if reclean:
                row[1] = ingest.clean_body(row[1] or "", title)
            total += len(row[1] or "")
            if total > limits.max_chars and kept:
                break
            kept.append(digest.Document(*row))
        picks = digest.digest(kept, sentences=5, limits=limits)
        out.append({"event": event, "sentences": [p.sentence for p in picks]})
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    titles = sum(1 for (t,) in conn.execute("select title from articles") if mojibake and t and is_bad(t))
    bodies = sum(1 for (b,) in conn.execute("select body from articles") if mojibake and b and is_bad(b))
    print(json.dumps({"code": digest.__file__, "articles": articles, "bad_titles": titles, "bad_bodies": bodies,
                      "digests": out}))


# The round-3 rules (bench/README.md "Furniture in digests, round 3"), as the functions that hold them, and
# what each returns when switched off for the cost measure.
ROUND3 = {"strip_link_cards": lambda t: t, "is_page_line": lambda s: False, "is_picture_text": lambda s: False,
          "is_damaged": lambda s: False}


def cost(limit: int, rounds: int) -> None:
    """The round-3 rules' cost per article, in this one process: the record path (decoding, repair,
    cleaning; no database) of the corpus's first ``limit`` records with the rules and with them
    switched off, alternating, best of ``rounds`` in CPU time; then the digest filter's share: the
    same rules over every sentence of those records (a digest reads an article's sentences about
    once), with and without."""
    import time

    from datasette_newsdigest import digest, ingest, text

    real = {name: getattr(text, name) for name in ROUND3}

    def switch(on: bool) -> None:
        for name, off in ROUND3.items():
            setattr(text, name, real[name] if on else off)

    def records() -> list:
        items = ingest.read_file(CORPUS, ingest.file_kind(CORPUS))
        out = []
        for item in items:
            if not isinstance(item, ingest.Problem):
                out.append(item)
            if len(out) == limit:
                break
        return out

    best = {True: float("inf"), False: float("inf")}
    bodies: list[str] = []
    for r in range(rounds):
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            switch(on)
            started = time.process_time()
            got = records()
            best[on] = min(best[on], time.process_time() - started)
            if on:
                bodies = [item["body"] for item in got]
    switch(True)
    sentences = [s for body in bodies for s in text.split_sentences(body)]

    def filter_time() -> float:
        started = time.process_time()
        for s in sentences:
            s = text.strip_dateline(text.strip_section_labels(text.strip_link_cards(s)), digest.MIN_POOL_WORDS)
            text.is_furniture(s) or text.is_damaged(s) or digest._stands_alone(s)
        return time.process_time() - started

    digest_best = {True: float("inf"), False: float("inf")}
    for r in range(rounds):
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            switch(on)
            digest_best[on] = min(digest_best[on], filter_time())
    switch(True)
    n = len(bodies)
    print(f"{n:,} records, {len(sentences):,} sentences, best of {rounds} (CPU s)")
    print(f"record path: rules on {best[True]:.2f} s, off {best[False]:.2f} s: "
          f"{(best[True] - best[False]) / n * 1000:.3f} s more per 1,000 articles")
    print(f"digest filter over every sentence: on {digest_best[True]:.2f} s, off {digest_best[False]:.2f} s: "
          f"{(digest_best[True] - digest_best[False]) / n * 1000:.3f} s more per 1,000 articles")


def rule(sentence: str) -> str | None:
    """The furniture rule (bench/README.md numbering) a digest sentence breaks, if any."""
    from datasette_newsdigest import text

    if sentence != text.strip_link_cards(sentence):
        return "14 inline link card"
    if sentence != text.strip_section_labels(sentence):
        return "38 section label left"
    if text.is_page_line(sentence):
        return "15-16, 19-23 page line (list, label, credit, post, prompt, byline, stamp)"
    if text.is_picture_text(sentence):
        return "17-18 picture caption or pointer"
    if text.is_caption(sentence):
        return "1-2 caption or credit"
    if text.is_shouted(sentence) or text.is_headline(sentence):
        return "6 headline, shouted or title-cased"
    if text.is_link_line(sentence) or text.is_furniture(sentence):
        return "3-5 summary box, link line, teaser or aside"
    if text.DATELINE_RE.match(sentence) and text.strip_dateline(sentence) != sentence:
        return "9 dateline left"
    if text.is_question(sentence):
        return "10 question standing alone"
    if text.is_transcript(sentence):
        return "10 transcript line (SPEAKER: ...)"
    if text.is_fragment(sentence):
        return "10, 24 no sentence (deck, heading, lead-in, bullet, remnant)"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/allsides-furniture.db"))
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose digest code makes the digests")
    parser.add_argument("--build", action="store_true", help="build --db from the corpus with --code first")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--hand", type=Path, default=Path("/tmp/furniture-hand.txt"),
                        help="where to write every digest sentence, numbered, to read by hand")
    parser.add_argument("--cost", type=int, metavar="N", help="measure the round-3 rules' cost on N records instead")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-mojibake", action="store_true", help="skip the mojibake count (the slow part)")
    parser.add_argument("--reclean", action="store_true",
                        help="clean each stored body again with --code's ingest rules before digesting")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cost:
        cost(args.cost, args.rounds)
        return
    if args.child:
        child(args.db, args.events, args.seed, not args.no_mojibake, args.reclean)
        return
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    if args.build:
        newsdigest = Path(sys.executable).with_name("newsdigest")
        subprocess.run([str(newsdigest), "build", str(args.db), str(CORPUS), "--no-progress"], env=env, check=True)
    out = subprocess.run([sys.executable, __file__, "--child", "--db", str(args.db), "--events", str(args.events),
                          "--seed", str(args.seed), *(["--no-mojibake"] if args.no_mojibake else []),
                          *(["--reclean"] if args.reclean else [])],
                         env=env, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.splitlines()[-1])
    sentences = [s for d in result["digests"] for s in d["sentences"]]
    broken = Counter(r for r in map(rule, sentences) if r)
    from datasette_newsdigest import text

    unresolved = sum(map(text.is_unresolved, sentences))
    furniture = sum(broken.values())
    print(f"code {result['code']}; db {args.db}: {len(result['digests'])} events of 3+ articles (seed {args.seed}), "
          f"{len(sentences)} digest sentences")
    print(f"furniture by rules 1-10, 14-24: {furniture} ({furniture / max(1, len(sentences)):.1%})")
    for name, n in sorted(broken.items()):
        print(f"  rule {name}: {n}")
    print(f"opening unresolved (rule 11): {unresolved} ({unresolved / max(1, len(sentences)):.1%})")
    print(f"mojibake (ftfy is_bad) in {result['articles']:,} articles: titles {result['bad_titles']}, "
          f"bodies {result['bad_bodies']}")
    lines = [f"{n}\t{event}\t{s}" for n, (event, s) in
             enumerate(((d["event"], s) for d in result["digests"] for s in d["sentences"]), 1)]
    args.hand.write_text("\n".join(lines) + "\n")
    print(f"all {len(lines)} sentences, numbered, for the hand check: {args.hand}")


if __name__ == "__main__":
    main()
