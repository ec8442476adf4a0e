"""Time and peak memory of the slowest bad inputs, against a clean file of the same size.

Each input is read by ``ingest.read_file`` in a child process of its own
(peak RSS from ``os.wait4``), limited to ``--limit-gb`` of address space and
``--timeout`` seconds, so a "before" run that hangs or grows without bound
ends with a figure instead of taking the machine. The baseline of every row
is a clean file of the same kind and size on disk, read in the same run.

    python bench/badinput.py                     # this checkout
    PYTHONPATH=/work/main python bench/badinput.py   # another checkout's code
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
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from datasette_newsdigest import ingest
print(time.perf_counter(), flush=True)
items = list(ingest.read_file(Path(sys.argv[1]), ingest.file_kind(Path(sys.argv[1])) or sys.argv[2]))
print(time.perf_counter())
bad = [str(i).rpartition("/")[2][:140] for i in items if isinstance(i, ingest.Problem)]
print(len(items) - len(bad), "records;", "; ".join(bad)[:300])
"""

PROSE = "Officials said on Monday that the bridge would close for repairs until the spring, the mayor said.\n\n"


def run(path: Path, kind: str, limit_gb: float, timeout: float) -> dict:
    """Seconds, peak RSS (MB) and outcome of reading ``path`` in a fresh child
    (seconds of the read alone when it ends, of the whole child when it is killed)."""
    def limits():
        size = int(limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), kind], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=limits)
    outcome = ""
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            outcome = f"killed after {timeout:.0f}s (still running)"
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    out, err = child.stdout.read(), child.stderr.read()
    if not outcome:
        if os.waitstatus_to_exitcode(status) == 0:
            begin, end, outcome = out.strip().split("\n", 2)
            seconds = float(end) - float(begin)  # the read alone, not the imports
        else:
            lines = err.strip().splitlines()
            outcome = "failed: " + (lines[-1][:120] if lines else f"exit {os.waitstatus_to_exitcode(status)}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "outcome": outcome}


def make_inputs(folder: Path, bomb_gb: float) -> list[tuple[str, Path, Path, str]]:
    """(name, hostile file, clean file of the same size and kind, kind)."""
    cases = []

    def clean_like(name: str, size: int, kind: str) -> Path:
        path = folder / f"clean-{name}"
        if kind == "jsonl":
            line = json.dumps({"body": PROSE.strip()}) + "\n"
            text = line * (size // len(line) + 1)
        else:
            text = PROSE * (size // len(PROSE) + 1)
        path.write_bytes(text.encode()[:size])
        return path

    hostile = folder / "credit.txt"
    hostile.write_text(PROSE + "(" + "a/ " * 32_000 + ")x\n")
    cases.append(("96 KB page, `(a/ a/ a/ ...` run (the `_CREDIT` regex)", hostile,
                  clean_like("credit.txt", hostile.stat().st_size, "txt"), "txt"))

    bomb = folder / "bomb.txt.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        chunk = b"a" * 2**24
        for _ in range(int(bomb_gb * 2**30) // len(chunk)):
            f.write(chunk)
    clean = folder / "clean-bomb.txt.gz"
    clean.write_bytes(gzip.compress((PROSE * (bomb.stat().st_size * 3 // len(PROSE) + 1)).encode()))
    cases.append((f"gzip bomb: {bomb.stat().st_size / 2**20:.1f} MB `.txt.gz`, {bomb_gb:g} GB inside", bomb,
                  clean, "txt"))

    lines = folder / "bomb.jsonl.gz"
    with gzip.open(lines, "wb", compresslevel=9) as f:
        f.write(b'{"body": "')
        for _ in range(int(bomb_gb * 2**30) // len(chunk)):
            f.write(chunk)
        f.write(b'"}\n')
    cases.append((f"gzip bomb: one JSON line of {bomb_gb:g} GB (`.jsonl.gz`)", lines, clean_like(
        "bomb.jsonl", lines.stat().st_size * 3, "jsonl"), "jsonl"))

    deep = folder / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    cases.append(("`.json` nested 100,000 deep", deep, clean_like("deep.json", deep.stat().st_size, "jsonl"),
                  "jsonl"))

    rows = "".join(f"r{i},{PROSE.strip().replace(',', '')}\n" for i in range(20_000))  # no quote closes it
    quote = folder / "quote.csv"
    quote.write_text('id,body\nr,"unclosed\n' + rows)
    clean = folder / "clean-quote.csv"
    clean.write_text("id,body\n" + rows)
    cases.append(("`.csv`, an unclosed quote in row 1 of 20,000", quote, clean, "csv"))

    fifo = folder / "fifo.txt"
    os.mkfifo(fifo)
    cases.append(("a FIFO named `.txt`", fifo, clean_like("fifo.txt", 200, "txt"), "txt"))
    zero = folder / "zero.txt"
    zero.symlink_to("/dev/zero")
    cases.append(("`zero.txt`, a link to `/dev/zero`", zero, clean_like("zero.txt", 200, "txt"), "txt"))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gb", type=float, default=1.0)
    parser.add_argument("--limit-gb", type=float, default=4.0, help="address-space limit of each child")
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--only", default="", help="only the inputs whose description contains this")
    args = parser.parse_args()
    import datasette_newsdigest

    print(f"code: {Path(datasette_newsdigest.__file__).parent.parent}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, clean, kind in make_inputs(Path(tmp), args.bomb_gb):
            if args.only not in name:
                continue
            base = run(clean, kind, args.limit_gb, args.timeout)
            bad = run(path, kind, args.limit_gb, args.timeout)
            print(f"| {name} | {bad['seconds']:.2f} s ({bad['seconds'] / base['seconds']:.1f}x) | "
                  f"{bad['rss_mb']:.0f} MB ({bad['rss_mb'] / base['rss_mb']:.1f}x) | {bad['outcome']} | "
                  f"baseline {base['seconds']:.2f} s, {base['rss_mb']:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
