"""How readable Datasette's articles pages are, and what the article reader costs (issue 13 item 2).

    newsdigest build /tmp/duc.db ../shared/eval/duc2004/articles.jsonl
    python bench/reader.py /tmp/duc.db [--baseline ../main] [--runs 30]

Heights: ``datasette serve`` (this checkout, and ``--baseline``'s, each by its own PYTHONPATH) in
headless Chromium, the full-page height in CSS pixels of the articles table page (Datasette's
default 100 rows) and of the first article's row page. Latency: in one process through Datasette's
client, the median of ``--runs`` requests for the reader page of articles spread over the table,
against Datasette's own row page of the same articles as the baseline (the ratio is the figure).
"""

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from datasette.app import Datasette
from datasette.utils import tilde_encode

from datasette_newsdigest import views

HERE = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def heights(db: str, checkout: Path, paths: list[str]) -> list[int]:
    """Full-page heights of ``paths`` served by ``checkout``'s code."""
    from playwright.sync_api import sync_playwright

    port = _port()
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    # Run from the checkout: ``python -m`` puts the working directory before PYTHONPATH.
    server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(Path(db).resolve()), "-h", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                              cwd=checkout)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            found = []
            for path in paths:
                page.goto(f"http://127.0.0.1:{port}{path}", wait_until="networkidle")
                found.append(page.evaluate("document.documentElement.scrollHeight"))
            browser.close()
        return found
    finally:
        server.terminate()
        server.wait(timeout=10)


async def latency(db: str, runs: int) -> tuple[float, float]:
    """Median seconds of the reader page and of Datasette's row page for the same articles."""
    datasette = Datasette([db])
    name = [n for n in datasette.databases if n != "_internal"][0]
    ids = [r[0] for r in (await datasette.get_database(name).execute(
        "select id from articles order by rowid")).rows]
    picked = [ids[i * len(ids) // runs] for i in range(runs)]
    reader = [views.article_url(datasette, name, i) for i in picked]
    rows = [datasette.urls.row(name, "articles", tilde_encode(str(i))) for i in picked]

    async def median(paths):
        times = []
        for path in paths:
            started = time.perf_counter()
            response = await datasette.client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        return statistics.median(times)

    await median(reader[:2] + rows[:2])  # templates compiled, schemas read
    return await median(reader), await median(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--baseline", type=Path, help="another checkout, for its page heights")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    name = Path(args.db).stem
    with __import__("sqlite3").connect(args.db) as conn:
        first = conn.execute("select id from articles order by rowid limit 1").fetchone()[0]
    paths = [f"/{tilde_encode(name)}/articles", f"/{tilde_encode(name)}/articles/{tilde_encode(str(first))}"]
    if CHROMIUM:
        for label, checkout in [("this checkout", HERE)] + ([("baseline", args.baseline)] if args.baseline else []):
            table, row = heights(args.db, checkout.resolve(), paths)
            print(f"{label}: articles table page {table:,} px, first article's row page {row:,} px")
    reader, row = asyncio.run(latency(args.db, args.runs))
    print(f"reader page p50 {reader * 1000:.1f} ms, Datasette's row page p50 {row * 1000:.1f} ms "
          f"(reader/row {reader / row:.2f}x, {args.runs} articles)")


if __name__ == "__main__":
    main()
