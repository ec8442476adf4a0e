"""Who said what: quotes.extract scored on PolNeAR, its cost per article and in a build.

Run by hand from the repository root with the virtualenv active::

    python bench/quotes.py                # dev and train: recall, precision, speaker accuracy
    python bench/quotes.py --split dev --show 30   # also print missed and wrong rows
    python bench/quotes.py --cost         # extraction time per article; 10k AllSides build ratio
    python bench/quotes.py --cost --no-build --articles 1000 --rounds 3   # extraction time only
    python bench/quotes.py --hostile      # 1 MB pathological inputs
    python bench/quotes.py --baseline     # the issue's yardstick (quoted span + "X said"), same scoring
    python bench/quotes.py --lenient      # a row need only lie mostly inside an annotated content
    python bench/quotes.py --against DIR --articles 3000 --rounds 3   # same rows as DIR's quotes.py? CPU of both

``--against DIR`` takes another checkout's ``datasette_newsdigest/quotes.py`` (``git archive main
datasette_newsdigest | tar -x -C DIR``), runs it and this one on the first N AllSides articles as
the build hands them over (made by ingest, split by ``text.split_sentences``), compares every row
of every article exactly (also without the sentences handed in, and the speaker keys of each run
of 40 articles taken as one event), then times both, alternating, CPU (each chunk of 50 articles
run by both ``--rounds`` times, its best counted, summed over the chunks): the extraction, and a
worker's whole part (extraction, rows made as ``store._article_quotes`` makes them, pickled back).

``--writer DB`` times what ``store.fill_quotes`` costs the build process itself on a copy of a
built database: the workers' results are made first (untimed) and handed back pickled, as a pool
hands them, so the CPU measured is reading bodies and sentences, pickling them, unpickling the
rows, writing them and keying the speakers. Run it from each checkout to compare.

Scoring (PolNeAR annotates source / cue / content of every attribution). A row of ours and an
annotated attribution match when (1) they share a sentence: the row's sentence span (its
position to the sentence where its quote's last words are) meets the span of the annotated
content, found by its first and last words; and (2) their words overlap: the shared words
(lower case, counted with multiplicity) are at least 50% of the annotated content's words and
at least 50% of the row's. Pairs are matched one to one, best overlap first. Then:

- direct recall: matched share of annotations whose content holds a quotation mark;
- speech recall: matched share of annotations whose cue holds a speech word (SPEECH below);
- precision: matched share of our rows (a match to any annotation, thought cues included);
- speaker accuracy, over matched pairs with an annotated source: the source's last word, without
  articles, honorifics and possessive, is one of the words of our ``speaker``; a pronoun source
  "he" or "she" stands for the nearest annotated source with a capitalized word before it in the text;
  other pronoun sources ("they", "who", "I" inside a quotation) are not scored.

Data is read from ``../shared/eval/polnear`` and never copied here (it has no licence).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import itertools
import json
import pickle
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlite_utils

from datasette_newsdigest import ingest, quotes, store, text

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = ROOT.parent / "shared" / "eval" / "polnear"
CORPUS = ROOT.parent / "shared" / "corpora" / "allsides-37k.jsonl.gz"
CHUNK = 50  # articles timed together by --against

SPEECH = set("""say says said saying tell tells told telling according add adds added adding write writes
wrote writing tweet tweets tweeted tweeting state states stated stating announce announces announced
announcing report reports reported claim claims claimed claiming deny denies denied denying note notes
noted noting explain explains explained explaining argue argues argued arguing insist insists insisted
warn warns warned warning declare declares declared assert asserts asserted acknowledge acknowledged
admit admitted confirm confirmed emphasize emphasized stress stressed reply replied respond responded
recall recalled suggest suggested comment commented testify testified remark remarked predict predicted
allege alleged concede conceded promise promised vow vowed asked ask asks continued""".split())
PRONOUNS = {"he", "she", "they", "it", "i", "we", "you", "who", "which", "that", "his", "her", "their",
            "its", "them", "him", "whom", "this", "those", "these"}
PERSONAL = {"he", "she", "him", "his", "her"}
DROP = {"the", "a", "an", "mr.", "mrs.", "ms.", "dr.", "mr", "mrs", "ms", "dr"}
OVERLAP = 0.5


def _low_words(s: str) -> list[str]:
    return [w.lower() for w in text.words(s or "")]


def _find(stream: list[tuple[str, int]], needle: list[str], start: int = 0) -> int | None:
    """Index in ``stream`` where the word sequence ``needle`` starts, from ``start``."""
    if not needle:
        return None
    words = [w for w, _ in stream]
    for i in range(start, len(words) - len(needle) + 1):
        if words[i] == needle[0] and words[i:i + len(needle)] == needle:
            return i
    return None


def _span(stream, words: list[str], from_sentence: int = 0) -> tuple[int, int] | None:
    """Sentences from where ``words`` begins to where they end, found by first and last words."""
    begin = next((i for i, (_, s) in enumerate(stream) if s >= from_sentence), len(stream))
    head = _find(stream, words[:4], begin)
    if head is None:
        head = _find(stream, words[:2], begin)
        if head is None:
            return None
    tail = _find(stream, words[-4:], head)
    last = stream[tail + min(4, len(words)) - 1][1] if tail is not None else stream[head][1]
    return stream[head][1], max(last, stream[head][1])


def _overlap(a: list[str], b: list[str]) -> int:
    return sum((Counter(a) & Counter(b)).values())


def _source_word(source: str | None) -> str | None:
    """The head of an annotated source: its last word, after what a comma or parenthesis adds
    ("David Shaw, a special agent in San Diego" -> "shaw", "Sen. Grassley (R-Iowa)" -> "grassley")."""
    source = re.sub(r"\([^)]*\)", " ", source or "").split(",")[0].split(" who ")[0]
    words = [w for w in _low_words(source.replace("’s", "").replace("'s", "")) if w not in DROP]
    return words[-1] if words else None


def _named(source: str | None) -> bool:
    return bool(source) and any(w[:1].isupper() for w in text.words(source) if w.lower() not in DROP)


_SPAN_RE = re.compile(r"[“\"]([^”\"]{3,2000})[”\"]")
_NAME = r"[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*)*"
_NEAR_RE = re.compile(rf"({_NAME}) (?:said|says|told)|(?:said|says|told) ({_NAME}|he|she)"
                      r"|\b(he|she|they) (?:said|says|told)")


def baseline_extract(body: str) -> list[quotes.Quote]:
    """The issue's yardstick: each quoted span with "X said" / "said X" in its sentence."""
    out = []
    for position, sentence in enumerate(text.split_sentences(body)):
        near = _NEAR_RE.search(_SPAN_RE.sub(" ", sentence))
        if near is None:
            continue
        for m in _SPAN_RE.finditer(sentence):
            speaker = next(g for g in near.groups() if g)
            out.append(quotes.Quote(position, speaker, None, m.group(1).strip(" ,"), "direct", "said"))
    return out


EXTRACT = quotes.extract
LENIENT = False  # --lenient: a row need only lie mostly (50% of its words) inside the annotated content


def score_article(article: dict) -> dict:
    sentences = text.split_sentences(article["body"])
    stream = [(w.lower(), i) for i, s in enumerate(sentences) for w in text.words(s)]
    gold = []
    for a in article["attributions"]:
        words = _low_words(a["content"])
        if not words:
            continue
        gold.append({**a, "words": words, "span": _span(stream, words)})
    named = None
    for g in sorted((g for g in gold if g["span"]), key=lambda g: g["span"]):
        # "he"/"she" stand for the nearest named source before them in the text; other pronouns
        # ("they", "who", "I" inside a quotation) cannot be resolved from the annotation: unscored
        word = _source_word(g["source"])
        if word is not None and word not in PRONOUNS and _named(g["source"]):
            named = word
        g["speaker_word"] = (named if word in PERSONAL else None) if word in PRONOUNS else word
        g["pronoun"] = word in PRONOUNS
    for g in gold:
        g.setdefault("speaker_word", None)
        g.setdefault("pronoun", False)
    rows = EXTRACT(article["body"])
    preds = []
    for q in rows:
        words = _low_words(q.quote)
        span = _span(stream, words[-4:], q.position)
        preds.append({"q": q, "words": words, "span": (q.position, span[1] if span else q.position)})
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(preds):
            if g["span"] is None or g["span"][1] < p["span"][0] or p["span"][1] < g["span"][0]:
                continue
            shared = _overlap(g["words"], p["words"])
            if (LENIENT or shared >= OVERLAP * len(g["words"])) and shared >= OVERLAP * len(p["words"]):
                pairs.append((shared / max(len(g["words"]), len(p["words"])), gi, pi))
    matched_g: dict[int, int] = {}
    matched_p: set[int] = set()
    for _, gi, pi in sorted(pairs, reverse=True):
        if gi not in matched_g and pi not in matched_p:
            matched_g[gi] = pi
            matched_p.add(pi)
    out = Counter(gold=len(gold), rows=len(preds), rows_matched=len(matched_p))
    for gi, g in enumerate(gold):
        speech = any(w in SPEECH for w in _low_words(g["cue"]))
        out["direct"] += g["direct"]
        out["speech"] += speech
        if gi in matched_g:
            out["matched"] += 1
            out["direct_matched"] += g["direct"]
            out["speech_matched"] += speech
            if g["speaker_word"] is not None:
                q = preds[matched_g[gi]]["q"]
                right = g["speaker_word"] in _low_words(q.speaker.replace("’s", "").replace("'s", ""))
                out["speakers"] += 1
                out["speakers_right"] += right
                out["pronoun_speakers"] += g["pronoun"]
                out["pronoun_speakers_right"] += g["pronoun"] and right
    out["_misses"] = [g for gi, g in enumerate(gold) if gi not in matched_g and g["direct"]]  # type: ignore[assignment]
    out["_wrong"] = [p["q"] for pi, p in enumerate(preds) if pi not in matched_p]  # type: ignore[assignment]
    out["_badspeaker"] = [(gold[gi]["source"], gold[gi]["speaker_word"], preds[pi]["q"].speaker,
                           preds[pi]["q"].position)
                          for gi, pi in matched_g.items()
                          if gold[gi]["speaker_word"] is not None and gold[gi]["speaker_word"] not in _low_words(
                              preds[pi]["q"].speaker.replace("’s", "").replace("'s", ""))]  # type: ignore[assignment]
    return out


def quality(split: str, show: int) -> dict[str, float]:
    total: Counter = Counter()
    misses, wrong, bad = [], [], []
    with open(POLNEAR / f"{split}.jsonl", encoding="utf-8") as f:
        for line in f:
            result = score_article(json.loads(line))
            misses += result.pop("_misses")
            wrong += result.pop("_wrong")
            bad += result.pop("_badspeaker")
            total.update(result)
    precision = total["rows_matched"] / max(1, total["rows"])
    recall = total["matched"] / max(1, total["gold"])
    figures = {
        "direct recall": total["direct_matched"] / max(1, total["direct"]),
        "speech recall": total["speech_matched"] / max(1, total["speech"]),
        "precision": precision,
        "speaker accuracy": total["speakers_right"] / max(1, total["speakers"]),
        "of named sources": (total["speakers_right"] - total["pronoun_speakers_right"])
        / max(1, total["speakers"] - total["pronoun_speakers"]),
        "of pronoun sources": total["pronoun_speakers_right"] / max(1, total["pronoun_speakers"]),
        "recall (all)": recall,
        "F1 (all)": 2 * precision * recall / max(1e-9, precision + recall),
    }
    print(f"{split}: {total['gold']} attributions ({total['direct']} direct, {total['speech']} speech), "
          f"{total['rows']} rows, {total['matched']} matched")
    print("  " + " / ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    if show:
        rng = random.Random(0)
        print("-- missed direct")
        for g in rng.sample(misses, min(show, len(misses))):
            print("  ", g["source"], "|", g["cue"], "|", g["content"][:140])
        print("-- rows matching nothing")
        for q in rng.sample(wrong, min(show, len(wrong))):
            print("  ", q.speaker, "|", q.verb, "|", q.quote[:140])
        print("-- wrong speakers (gold, word, ours)")
        for b in rng.sample(bad, min(show, len(bad))):
            print("  ", b)
    return figures


def _allsides(n: int) -> list[dict]:
    out = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, n):
            out.append(json.loads(line))
    return out


def cost(n: int, rounds: int, build: bool = True) -> None:
    records = _allsides(n)
    bodies = [r.get("body") or "" for r in records]
    started = time.perf_counter()
    found = sum(len(quotes.extract(b)) for b in bodies)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    split = [(b, text.split_sentences(b)) for b in bodies]
    splitting = time.perf_counter() - started
    print(f"extract: {len(bodies)} articles, {found} rows, {seconds:.1f} s "
          f"({1000 * seconds / len(bodies):.2f} ms per article; sentence splitting alone {splitting:.1f} s)")
    cpu_runs = []
    for _ in range(rounds):  # given their sentences, as the build calls it; CPU time of this process
        started_cpu = time.process_time()
        for body, sentences in split:
            quotes.extract(body, sentences)
        cpu_runs.append(time.process_time() - started_cpu)
    print(f"extract given sentences, CPU, best of {rounds}: {1000 * min(cpu_runs) / len(bodies):.2f} ms per article")
    if not build:
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.jsonl"
        data.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
        real = store.fill_quotes
        times: dict[str, list[float]] = {"without": [], "with": []}
        cpu: dict[str, list[float]] = {"without": [], "with": []}
        for r in range(rounds):
            for mode in (("without", "with") if r % 2 == 0 else ("with", "without")):
                store.fill_quotes = real if mode == "with" else (lambda db, new_ids=None, map_=map: None)
                target = Path(tmp) / f"{mode}{r}.db"
                started, started_cpu = time.perf_counter(), time.process_time()
                store.build_database(target, [data], notify=lambda m: None)
                times[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.process_time() - started_cpu)
                target.unlink()
        store.fill_quotes = real
    for name, figures in (("wall", times), ("CPU", cpu)):
        best = {k: min(v) for k, v in figures.items()}
        print(f"build of {n:,} articles, {name} time, best of {rounds}: without quotes {best['without']:.1f} s, "
              f"with {best['with']:.1f} s ({best['with'] / best['without']:.3f}x; all: {figures})")


def _as_built(n: int) -> list[tuple[str, list[str]]]:
    """The first ``n`` AllSides articles as the build hands them to ``quotes.extract``: each record
    made by ingest as the load makes it, its body and ``text.split_sentences`` of it."""
    found = [f for f in ingest.input_files([CORPUS]) if not isinstance(f, ingest.Problem)]
    records = (r for path, kind in found for r in ingest.read_file(path, kind))
    return [(r["body"], text.split_sentences(r["body"]))
            for r in itertools.islice((r for r in records if not isinstance(r, ingest.Problem)), n)]


def _other_quotes(directory: Path):
    """``DIR/datasette_newsdigest/quotes.py`` loaded beside ours, inside our package (its ``text``
    is ours: only quotes.py is compared)."""
    spec = importlib.util.spec_from_file_location("datasette_newsdigest._quotes_against",
                                                  directory / "datasette_newsdigest" / "quotes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def against(directory: Path, n: int, rounds: int, show: int = 5) -> bool:
    """Whether this quotes.py and ``directory``'s give the same rows on ``n`` AllSides articles;
    prints the first differences, then both extractions' CPU per article."""
    other = _other_quotes(directory)
    articles = _as_built(n)
    differ = rows = 0
    for k, (body, sentences) in enumerate(articles):
        for given in (sentences, None):
            ours = [q.as_dict() for q in quotes.extract(body, given)]
            theirs = [q.as_dict() for q in other.extract(body, given)]
            rows += len(ours) if given is not None else 0
            if ours != theirs:
                differ += 1
                if differ <= show:
                    print(f"article {k} ({'sentences given' if given is not None else 'split here'}) differs:")
                    for a, b in itertools.zip_longest(ours, theirs):
                        if a != b:
                            print("   ours  ", a, "\n   theirs", b)
    keys_differ = 0
    for start in range(0, len(articles), 40):
        made = [q.as_dict() for body, sentences in articles[start:start + 40] for q in quotes.extract(body, sentences)]
        ours = quotes.speaker_keys([dict(q) for q in made])
        theirs = other.speaker_keys([dict(q) for q in made])
        keys_differ += ours != theirs
    print(f"{len(articles)} articles, {rows} rows: {differ} article runs differ, {keys_differ} groups' speaker keys "
          f"differ")
    def their_worker(article):  # store._article_quotes with their extract
        return [(q.position, q.speaker, q.speaker_role, q.quote, q.kind, q.verb) for q in other.extract(*article)]

    runs = {"extract": (lambda a: other.extract(*a), lambda a: quotes.extract(*a)),
            "a worker's part (extract, rows, pickled)": (their_worker, store._article_quotes)}
    for label, (theirs_fn, ours_fn) in runs.items():
        # per chunk of CHUNK articles, both run ``rounds`` times, alternating, and the chunk's best of
        # each counts: a load that comes and goes (other jobs on the machine) touches both alike
        best = {"theirs": 0.0, "ours": 0.0}
        for start in range(0, len(articles), CHUNK):
            chunk = articles[start:start + CHUNK]
            cpu: dict[str, list[float]] = {"theirs": [], "ours": []}
            for r in range(rounds):
                for name in (("theirs", "ours") if r % 2 == 0 else ("ours", "theirs")):
                    fn = theirs_fn if name == "theirs" else ours_fn
                    started = time.process_time()
                    made = [fn(article) for article in chunk]
                    if label != "extract":
                        pickle.dumps(made)
                    cpu[name].append(time.process_time() - started)
            for name, runs_ in cpu.items():
                best[name] += min(runs_)
        ms = {k: 1000 * v / len(articles) for k, v in best.items()}
        print(f"{label} given sentences, CPU ms per article, sum of each {CHUNK}-article chunk's best of {rounds}, "
              f"alternating: {directory} {ms['theirs']:.3f}, ours {ms['ours']:.3f} ({ms['ours'] / ms['theirs']:.3f}x)")
    return differ == 0 and keys_differ == 0


def writer(database: Path, rounds: int) -> None:
    """CPU of ``store.fill_quotes`` in the build process on a copy of ``database`` (see module doc)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "copy.db"
        shutil.copy(database, target)
        db = sqlite_utils.Database(target)
        made: dict[str, bytes] = {}

        def replay(fn, items):  # what the build process does with a pool: send the items, read the rows
            items = list(items)
            pickle.dumps(items)
            return iter([pickle.loads(made[item[0]]) for item in items])

        def ahead(fn, items):  # the workers' part, made once, untimed, keyed by body
            items = list(items)
            for item in items:
                if item[0] not in made:
                    made[item[0]] = pickle.dumps(fn(item))
            return replay(fn, items)

        store.fill_quotes(db, map_=ahead)
        runs = []
        for _ in range(rounds):
            db.execute("drop table quotes")  # as in a new build: no table yet
            started = time.process_time()
            store.fill_quotes(db, map_=replay)
            runs.append(time.process_time() - started)
        articles, rows = db.execute("select (select count(*) from articles), (select count(*) from quotes)").fetchone()
        keyed = db.execute("select count(*) from quotes where speaker_key is not null").fetchone()[0]
        print(f"fill_quotes in the build process, CPU, best of {rounds}: {min(runs):.2f} s for {articles:,} articles "
              f"({1000 * min(runs) / articles:.3f} ms per article), {rows:,} rows, {keyed:,} keyed; all: "
              f"{[round(r, 2) for r in runs]}")


def hostile() -> None:
    cases = {
        "1 MB of opening quotes": "“" * 1_000_000,
        "1 MB of 'said' words": "said " * 200_000,
        "1 MB quote/said/comma mix": ("“a,” said " * 100_000)[:1_000_000],
        "1 MB capitalized words": ("Peskov Dmitry " * 80_000)[:1_000_000],
        "1 MB one sentence, commas": ("he said, " * 120_000)[:1_000_000],
        "1 MB sentences of 'according to'": ("According to the ministry, it said. " * 30_000)[:1_000_000],
    }
    for unit in ("“a,” said He, ", "Peskov said, ", "Officials, speaking to NBC, said "):
        # sentences just under MAX_SENTENCE_CHARS, each packed with cues: the most work per sentence
        sentence = unit * ((quotes.MAX_SENTENCE_CHARS - 100) // len(unit)) + "end. "
        cases[f"1 MB of {len(sentence):,}-character sentences of {unit.strip()!r}"] = sentence * (
            1_000_000 // len(sentence))
    baseline = "The minister said the plan works. " * 30_000
    started = time.perf_counter()
    quotes.extract(baseline)
    base = time.perf_counter() - started
    print(f"baseline: 1 MB of plain reported sentences {base:.2f} s")
    for name, body in cases.items():
        started = time.perf_counter()
        rows = quotes.extract(body)
        seconds = time.perf_counter() - started
        print(f"{name}: {seconds:.2f} s ({seconds / base:.2f}x baseline), {len(rows)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "train", "both"], default="both")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-build", action="store_true", help="with --cost: extraction time only")
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--baseline", action="store_true", help="score the quoted-span regex instead")
    parser.add_argument("--lenient", action="store_true", help="drop the 50%%-of-the-annotation condition")
    parser.add_argument("--writer", type=Path, metavar="DB",
                        help="CPU of store.fill_quotes in the build process on a copy of a built database")
    parser.add_argument("--against", type=Path, metavar="DIR", help="compare rows and CPU with "
                        "DIR/datasette_newsdigest/quotes.py on --articles AllSides articles")
    args = parser.parse_args()
    global EXTRACT, LENIENT
    if args.baseline:
        EXTRACT = baseline_extract
    LENIENT = args.lenient
    if args.writer is not None:
        writer(args.writer, args.rounds)
    elif args.against is not None:
        if not against(args.against, args.articles, args.rounds):
            sys.exit(1)
    elif args.cost:
        cost(args.articles, args.rounds, build=not args.no_build)
    elif args.hostile:
        hostile()
    else:
        for split in (["dev", "train"] if args.split == "both" else [args.split]):
            quality(split, args.show)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
