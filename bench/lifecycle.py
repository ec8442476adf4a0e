"""What copying a build into place costs: the share of a rebuild and of an --add spent
copying the database (into the temporary file for --add, and back into the existing
target through SQLite's backup API), measured in one process against the whole run.

Run from the repository root with the virtualenv active::

    python bench/lifecycle.py                 # 2,000 and 10,000 synthetic articles
    python bench/lifecycle.py --sizes 20000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

from datasette_newsdigest import cli, store

WORDS = ("dam river flood city council vote minister strike police fire storm election market bank "
         "rain court trial judge army border talks oil price crop harvest port ship").split()


def articles(path: Path, start: int, count: int) -> Path:
    rng = random.Random(start)
    with path.open("w") as f:
        for i in range(start, start + count):
            body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(15)).capitalize() + "."
                               for _ in range(10))
            f.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "body": body}) + "\n")
    return path


def timed(spent: dict, name: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started
    return wrapper


def run(folder: Path, size: int) -> None:
    spent = defaultdict(float)
    store._put_in_place = timed(spent, "copy into place", store._put_in_place)
    store._temporary_copy = timed(spent, "copy for --add", store._temporary_copy)
    db = folder / f"news-{size}.db"
    inputs = articles(folder / f"in-{size}.jsonl", 0, size)
    extra = articles(folder / f"extra-{size}.jsonl", 10**7, 100)

    def build(*args) -> float:
        spent.clear()
        started = time.perf_counter()
        result = CliRunner().invoke(cli.cli, ["build", "--no-progress", str(db), *map(str, args)])
        assert result.exit_code == 0, result.output
        return time.perf_counter() - started

    first = build(inputs)
    print(f"{size} articles, {db.stat().st_size / 1e6:.0f} MB: new database {first:.1f}s "
          f"(rename {spent['copy into place']:.2f}s)")
    again = build(inputs)
    print(f"  rebuild over it {again:.1f}s, of which copy into place {spent['copy into place']:.2f}s "
          f"({spent['copy into place'] / again:.0%})")
    add = build(extra, "--add")
    copies = spent["copy for --add"] + spent["copy into place"]
    print(f"  --add 100 articles {add:.1f}s, of which copy for --add {spent['copy for --add']:.2f}s "
          f"+ copy into place {spent['copy into place']:.2f}s ({copies / add:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000")
    args = parser.parse_args()
    originals = store._put_in_place, store._temporary_copy
    with tempfile.TemporaryDirectory() as folder:
        for size in map(int, args.sizes.split(",")):
            run(Path(folder), size)
            store._put_in_place, store._temporary_copy = originals


if __name__ == "__main__":
    main()
