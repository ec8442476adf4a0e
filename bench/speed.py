"""Digest speed: our ``default`` vs sumy's LexRank vs merely tokenizing, same inputs, same run.

Run from the repository root with the virtualenv active::

    python bench/speed.py                   # 200, 1,000 and 5,000 sentences (LexRank: minutes)
    python bench/speed.py --sizes 200,1000     # quicker

Inputs are real DUC 2004 newswire articles (``../shared/eval/duc2004/articles.jsonl``) taken in
file order until the sentence count is reached, the last article cut to make it exact.
"tokenize" is what every method must do at least: split the articles into sentences and the
sentences into words with ``text.TOKENIZER``. sumy's LexRank is run as sumy users do, on the
concatenated text (``PlaintextParser`` with our offline tokenizer, English stemmer and stop
words, 5 sentences). Our ``default`` digests to 100 words. Times are the median of ``--repeat``
runs (LexRank: one run above 200 sentences); ``default, first call`` is a fresh process's first
call, before the stemmer's cache holds the input's words.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from datasette_newsdigest import digest, text

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT.parent / "shared" / "eval" / "duc2004" / "articles.jsonl"


def build_input(n_sentences: int) -> list[digest.Document]:
    documents, total = [], 0
    with open(ARTICLES, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            sentences = text.split_sentences(row["body"])[: n_sentences - total]
            documents.append(digest.Document(row["id"], " ".join(sentences), row["published"]))
            total += len(sentences)
            if total >= n_sentences:
                return documents
    raise SystemExit(f"only {total} sentences in {ARTICLES}")


def tokenize(documents):
    return [[text.TOKENIZER.to_words(s) for s in text.TOKENIZER.to_sentences(d.text)]
            for d in documents]


def ours(documents):
    return digest.digest(documents, words=100)


def sumy_lexrank(documents):
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer

    parser = PlaintextParser.from_string("\n\n".join(d.text for d in documents), text.TOKENIZER)
    summarizer = LexRankSummarizer(Stemmer(text.LANGUAGE))
    summarizer.stop_words = text.stop_words()
    return summarizer(parser.document, 5)


def timed(function, documents, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(documents)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lexrank-max", type=int, default=5000,
                        help="skip sumy LexRank above this many sentences")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    inputs = {n: build_input(n) for n in sizes}

    if args.first_call:
        start = time.perf_counter()
        ours(inputs[sizes[0]])
        print(time.perf_counter() - start)
        return 0
    first = {  # in a fresh process each, before the stemmer's cache holds the input's words
        n: float(subprocess.run(
            [sys.executable, __file__, "--first-call", "--sizes", str(n)],
            check=True, capture_output=True, text=True,
        ).stdout)
        for n in sizes
    }

    print("| sentences | articles | tokenize | default, first call | default | sumy LexRank "
          "| LexRank / default | default / tokenize |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        documents = inputs[n]
        tokenizing = timed(tokenize, documents, args.repeat)
        default = timed(ours, documents, args.repeat)
        if n <= args.lexrank_max:
            lexrank = timed(sumy_lexrank, documents, 3 if n <= 200 else 1)
            lexrank_cell, ratio = f"{lexrank:.2f} s", f"{lexrank / default:,.0f}x"
        else:
            lexrank_cell = ratio = "skipped"
        count = sum(len(text.split_sentences(d.text)) for d in documents)
        print(f"| {count:,} | {len(documents)} | {tokenizing * 1000:.0f} ms "
              f"| {first[n] * 1000:.0f} ms | {default * 1000:.0f} ms | {lexrank_cell} | {ratio} "
              f"| {default / tokenizing:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
