"""Latency and throughput of the digest pages served by a real ``datasette serve`` (issue 13 targets).

    newsdigest build /tmp/all.db ../shared/corpora/allsides-37k.jsonl.gz
    python bench/pages.py /tmp/all.db [--articles 50] [--runs 15] [--restarts 5] [--clients 20] [--seconds 15]
        [--servers 1] [--immutable]

Starts ``datasette serve`` on a free 127.0.0.1 port (this interpreter, so PYTHONPATH picks the code
measured) and times, over HTTP from this process:

- *first after start*: the events list, then the event page of the event whose size is closest to
  ``--articles``, as the first requests of a freshly started server (``--restarts`` of them);
- *cold*: pages the running server has not served before: ``--runs`` distinct events of about that
  size, and ``--runs`` list pages (the next pages by ``_next``, then a search, filters and sorts);
- *warm*: the same list page and event page again and again;
- *concurrent*: ``--clients`` threads, each on its own keep-alive connection, for ``--seconds``,
  each request a distinct event page (events sized closest to ``--articles``, none asked twice
  while more remain): requests per second, p50/p95, errors, and the server's CPU per request (all its
  threads, from /proc: the figure least moved by other work on the machine).

The baseline, in the same server and run, is Datasette's own table page of one event's articles
(``/<db>/articles?event_id=``), warm and under the same concurrency. Prints medians, ratios to it.
Under the same concurrency it also serves Datasette's request floor: ``/-/versions.json`` (no
template) and a trivial page extending ``base.html`` (a plugin of this bench's, FLOOR_PLUGIN: the
menus and hooks every HTML page renders, the plugin's ☰ menu check included), and distinct
events-list pages. ``--servers N`` runs the concurrent part on N server processes (client i on
server i mod N, as behind a load balancer; CPU summed over all), ``--immutable`` serves with ``-i``.
Nothing is written: the database is opened read-only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

STARTUP_SECONDS = 60
FLOOR = "/-/newsdigest-bench-floor"
FLOOR_PLUGIN = f'''
from datasette import hookimpl
from datasette.utils.asgi import Response

PAGE = ('{{% extends "base.html" %}}{{% block content %}}<p>A page with nothing of its own.</p>'
        '{{% endblock %}}')


@hookimpl
def register_routes():
    async def floor(datasette, request):
        template = datasette.jinja_env.from_string(PAGE)
        return Response.html(await datasette.render_template(template, {{}}, request=request))

    return [(r"^{FLOOR}$", floor)]
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: Path, immutable: bool = False):
    """A ``datasette serve`` of ``db`` (``-i``, immutable, if asked), stopped (by its own pid)
    whatever happens."""
    port = _free_port()
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory() as plugins:
        (Path(plugins) / "newsdigest_bench_floor.py").write_text(FLOOR_PLUGIN)
        command = [sys.executable, "-m", "datasette", "serve", *(["-i"] if immutable else []), str(db),
                   "-h", "127.0.0.1", "-p", str(port),
                   "--setting", "sql_time_limit_ms", "1000", "--plugins-dir", plugins]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"datasette exited: {log.read().decode()[-2000:]}")
                try:
                    status, _ = _get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/-/versions.json")
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("datasette did not start in time")
                time.sleep(0.1)
            yield port, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


FAILED: list[str] = []  # requests of the timed runs that did not answer 200, printed at the end


def _times(port: int, paths: list[str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for path in paths:
        status, seconds = _get(conn, path)
        if status != 200:
            FAILED.append(f"{path}: {status}")
        out.append(seconds)
    conn.close()
    return out


def _cpu_seconds(pid: int) -> float:
    """The server's CPU time so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _concurrent(ports: list[int], pids: list[int], paths: list[str], clients: int, seconds: float) -> dict:
    """``clients`` threads for ``seconds``, taking paths in turn from one shared list (each once,
    while any remain), client i on server i mod the servers (as a load balancer would spread
    them): requests per second, latency quantiles, non-200 answers and failures, and the servers'
    CPU per request (all of them)."""
    lock = threading.Lock()
    state = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop:
            with lock:
                path = paths[state["next"] % len(paths)]
                state["next"] += 1
            try:
                status, took = _get(conn, path)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(f"{path}: {e}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            with lock:
                latencies.append(took)
                if status != 200:
                    errors.append(f"{path}: {status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(ports[i % len(ports)],)) for i in range(clients)]
    started, cpu = time.perf_counter(), sum(_cpu_seconds(pid) for pid in pids)
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu
    latencies.sort()
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies), "p95": q[18],
            "requests": len(latencies), "errors": len(errors), "distinct": min(len(paths), state["next"]),
            "examples": errors[:3], "cpu": cpu / max(1, len(latencies))}


def _events(path: Path, articles: int, count: int) -> tuple[str, list[tuple[int, int]], int]:
    conn = sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True)
    try:
        rows = conn.execute("select id, articles from events order by abs(articles - ?), id limit ?",
                            [articles, count]).fetchall()
        total = conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()
    return path.stem, rows, total


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main(db: Path, articles: int, runs: int, restarts: int, clients: int, seconds: float, servers: int = 1,
         immutable: bool = False) -> None:
    name, events, total = _events(db, articles, 2_000)
    (event_id, size), others = events[0], events[1:]
    digest = f"/-/digest/{name}"
    page = f"{digest}/{event_id}"
    table = f"/{name}/articles?event_id={event_id}"
    print(f"{db}: {total:,} articles; event {event_id} has {size} articles; {len(others)} other events "
          f"of {min(s for _, s in others)}-{max(s for _, s in others)} articles for the cold and concurrent runs")
    results: dict[str, float] = {}
    first_list, first_event = [], []
    for _ in range(restarts):
        with serve(db, immutable) as (port, _):
            first_list += _times(port, [digest])
            first_event += _times(port, [page])
    if restarts:
        results["events list, first request after start"] = statistics.median(first_list)
        results[f"event page ({size} articles), first after start"] = statistics.median(first_event)
    with contextlib.ExitStack() as stack:
        (port, pid), *more = [stack.enter_context(serve(db, immutable)) for _ in range(servers)]
        for p in [port] + [p for p, _ in more]:
            _times(p, [table, page, digest])  # templates compiled, the model loaded
        results["baseline: table page articles?event_id=, warm"] = statistics.median(_times(port, [table] * runs))
        cold = [f"{digest}/{e}" for e, _ in others[:runs]]
        results[f"event page, cold ({runs} distinct events of ~{articles} articles)"] = \
            statistics.median(_times(port, cold))
        results["event page, warm"] = statistics.median(_times(port, [page] * runs))
        results["event page .json, warm"] = statistics.median(_times(port, [page + ".json"] * runs))
        listing = _list_pages(port, digest, runs)
        results[f"events list, cold ({len(listing)} distinct pages: _next, search, filters, sorts)"] = \
            statistics.median(_times(port, listing))
        results["events list page 1, warm"] = statistics.median(_times(port, [digest] * runs))
        results["events list page 1 .json, warm"] = statistics.median(_times(port, [digest + ".json"] * runs))
        baseline = results["baseline: table page articles?event_id=, warm"]
        for label, value in results.items():
            print(f"{label:70s} {_ms(value)}  ({value / baseline:5.1f}x baseline)")
        tables = [f"/{name}/articles?event_id={e}" for e, _ in others]
        for label, paths in (("floor: /-/versions.json", ["/-/versions.json"]),
                             ("floor: base.html page", [FLOOR]), ("baseline: table pages", tables),
                             ("event pages", [f"{digest}/{e}" for e, _ in others]),
                             ("events-list pages", [digest, *listing])):
            found = _concurrent([port] + [p for p, _ in more], [pid] + [p for _, p in more], paths, clients,
                                seconds)
            on = f" on {servers} servers" if more else ""
            print(f"{clients} clients{on}, {label:22s} {found['rps']:6.1f} req/s, p50 {_ms(found['p50'])}, "
                  f"p95 {_ms(found['p95'])}, server CPU {_ms(found['cpu'])}/request, {found['requests']} requests "
                  f"({found['distinct']} distinct), {found['errors']} errors {found['examples'] or ''}")
    print(f"{len(FAILED)} timed requests did not answer 200 {FAILED[:5] or ''}")


def _list_pages(port: int, digest: str, runs: int) -> list[str]:
    """Distinct list pages: the pages after the first (by each page's next_url, from the JSON),
    then searches, filters and sorts."""
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    pages, url = [], f"{digest}.json"
    while len(pages) < max(1, runs // 2):
        conn.request("GET", url)
        data = json.loads(conn.getresponse().read())
        if not data.get("next_url"):
            break
        url = data["next_url"]
        pages.append(url.replace(".json", "", 1))
    conn.close()
    asked = ["?q=election", "?q=trade+tariffs", "?_sort=newest", "?_sort=oldest", "?since=2020-01-01&until=2020-03-31",
             "?outlet=CNN+(Web+News)", "?q=vaccine&_sort=newest", "?outlet=Fox+Online+News&since=2019-01-01",
             "?q=climate", "?q=supreme+court"]
    return (pages + [digest + a for a in asked])[:runs]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--servers", type=int, default=1,
                        help="server processes for the concurrent runs (the timed runs use the first)")
    parser.add_argument("--immutable", action="store_true", help="serve the database with -i (immutable)")
    args = parser.parse_args()
    main(args.database, args.articles, args.runs, args.restarts, args.clients, args.seconds, args.servers,
         args.immutable)
