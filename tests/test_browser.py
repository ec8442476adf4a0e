"""End to end: ``datasette serve`` on a free port, the event page in headless Chromium.

Checks that every chart on the page is drawn (an SVG with marks inside each
chart container) and that the browser console shows no errors. Needs
Debian's ``chromium`` and the ``playwright`` package (``.ci/run`` installs
both); outside CI the test is skipped when they are missing. Set
``SAVE_SCREENSHOT=docs/event-page.png`` to keep a screenshot.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from datasette_newsdigest.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update"]


def _requirements():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM:
        return "chromium is not installed (apt-get install chromium)"
    return None


missing = _requirements()
if missing and os.environ.get("CI"):
    raise RuntimeError(f"browser test cannot run in CI: {missing}")
pytestmark = pytest.mark.skipif(bool(missing), reason=missing or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_dir):
    db = tmp_path_factory.mktemp("e2e") / "news.db"
    result = CliRunner().invoke(cli, ["build", str(db), str(seeds_dir)])
    assert result.exit_code == 0, result.output
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db), "-m", str(ROOT / "metadata.yml"),
         "-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(process.stdout.read().decode())
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_event_page_draws_charts_without_console_errors(server):
    from playwright.sync_api import sync_playwright

    events = json.load(urllib.request.urlopen(server + "/-/digest/news.json"))["events"]
    largest = events[0]
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(server + largest["url"], wait_until="networkidle")
        page.wait_for_selector(".newsdigest-chart[data-rendered]", timeout=15000)
        page.wait_for_function(
            "[...document.querySelectorAll('.newsdigest-chart')].every(c => c.dataset.rendered)", timeout=15000
        )
        charts = page.eval_on_selector_all(
            ".newsdigest-chart",
            "els => els.map(el => ({id: el.id, marks: el.querySelectorAll('svg g.role-mark > path, svg g.role-mark > text').length}))",
        )
        assert [c["id"] for c in charts] == ["chart-timeline", "chart-coverage", "chart-support"]
        for chart in charts:
            assert chart["marks"] > 0, chart
        assert page.locator(".newsdigest-digest li a").count() > 0
        if os.environ.get("SAVE_SCREENSHOT"):
            page.screenshot(path=os.environ["SAVE_SCREENSHOT"], full_page=True)
        page.goto(server + "/-/digest/news", wait_until="networkidle")
        assert page.locator(".newsdigest-events > li").count() == len(events)
        browser.close()
    assert errors == []
