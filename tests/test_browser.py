"""End to end: ``datasette serve`` on a free port, the pages in headless Chromium.

Checks that every chart on the event page is drawn (an SVG with marks inside
each chart container), that a newcomer gets from the home page to an article
with the digest sentence they clicked highlighted, and that the browser
console shows no errors. Needs
Debian's ``chromium`` and the ``playwright`` package (``.ci/run`` installs
both); outside CI the test is skipped when they are missing. Set
``SAVE_SCREENSHOTS=docs`` to keep the screenshots the README shows.
"""

import importlib.util
import json
import os
import shutil
import urllib.request
from datetime import date
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update"]


def _requirements():
    # find_spec, not an import: collecting this module stays cheap when the tests are deselected.
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed"
    if not CHROMIUM:
        return "chromium is not installed (apt-get install chromium)"
    return None


missing = _requirements()
if missing and os.environ.get("CI"):
    raise RuntimeError(f"browser test cannot run in CI: {missing}")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(missing), reason=missing or "")]


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("SAVE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _watch(page) -> list[str]:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    return errors


@pytest.fixture(scope="module")
def server(seeds_db, metadata_path, serve_datasette):
    with serve_datasette(seeds_db, metadata_path) as served:
        yield served.url


def test_event_page_draws_charts_without_console_errors(server, browser):
    events = json.load(urllib.request.urlopen(server + "/-/digest/news.json"))["events"]
    largest = events[0]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = _watch(page)
    page.goto(server + largest["url"], wait_until="networkidle")
    page.wait_for_function(
        "[...document.querySelectorAll('.newsdigest-chart')].every(c => c.dataset.rendered)", timeout=15000
    )
    charts = page.eval_on_selector_all(
        ".newsdigest-chart",
        "els => els.map(el => ({id: el.id,"
        " marks: el.querySelectorAll('svg g.role-mark > path, svg g.role-mark > text').length}))",
    )
    # the speakers x outlets chart of "Who said what" comes first, since that section leads
    assert [c["id"] for c in charts] == ["chart-speakers", "chart-timeline", "chart-coverage", "chart-support"]
    for chart in charts:
        assert chart["marks"] > 0, chart
    assert page.locator(".newsdigest-digest li a").count() > 0
    _screenshot(page, "event-page.png")
    page.goto(server + "/-/digest/news", wait_until="networkidle")
    assert page.locator(".newsdigest-events > li").count() == len(events)
    page.close()
    assert errors == []


def _single_dated_event(server) -> dict:
    events = json.load(urllib.request.urlopen(server + "/-/digest/news.json"))["events"]
    return next(e for e in events if e["articles"] == 1 and e["first_published"])


def test_a_one_article_event_charts_its_day(server, browser):
    event = _single_dated_event(server)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = _watch(page)
    page.goto(server + event["url"], wait_until="networkidle")
    page.wait_for_function("document.querySelector('#chart-timeline').dataset.rendered")
    drawn = page.eval_on_selector(
        "#chart-timeline", "el => [...el.querySelectorAll('svg g.role-mark > path, svg g.role-mark > text')]"
        ".map(m => m.textContent)")
    day = date.fromisoformat(event["first_published"][:10]).strftime("%b %d, %Y")
    assert len(drawn) >= 2 and any(day in text for text in drawn)  # a dot, and its date beside it
    page.close()
    assert errors == []


@pytest.mark.parametrize("query", ["outlets_per_event", "articles_per_day"])
def test_canned_query_opens_as_a_datasette_vega_chart(server, browser, metadata, query):
    fragment = metadata["databases"]["news"]["queries"][query]["fragment"]
    # the whole database, and a one-day event (which needs the query's padding to draw at all)
    event_id = "" if query == "outlets_per_event" else _single_dated_event(server)["id"]
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = _watch(page)
    page.goto(f"{server}/news/{query}?event_id={event_id}#{fragment}", wait_until="networkidle")
    page.wait_for_selector("canvas", timeout=15000)
    painted = page.wait_for_function(
        """() => [...document.querySelectorAll('canvas')].some(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) { if (d[i + 3] && (d[i] < 200 || d[i + 2] < 200)) return true; }
            return false;
        })""",
        timeout=15000,
    )
    assert painted
    if query == "outlets_per_event":
        _screenshot(page, "vega-query.png")
    page.close()
    assert errors == []


def test_newcomer_goes_from_home_to_the_sentence_in_its_article(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = _watch(page)
    page.goto(server + "/", wait_until="networkidle")
    page.click(".newsdigest-links a >> nth=0")  # the home page's own link to the digests
    page.wait_for_selector(".newsdigest-events")
    page.click(".newsdigest-events > li h2 a >> nth=0")  # the largest event
    page.wait_for_selector(".newsdigest-digest li a")
    link = page.locator(".newsdigest-digest li > a").nth(1)
    sentence = link.inner_text()
    link.click()
    page.wait_for_load_state("networkidle")
    assert "/-/digest/news/article/" in page.url and "#s" in page.url
    target = page.evaluate(
        """() => { const el = document.querySelector(':target'); if (!el) return null;
            const box = el.getBoundingClientRect();
            return {id: el.id, text: el.textContent, background: getComputedStyle(el).backgroundColor,
                    visible: box.top >= 0 && box.bottom <= window.innerHeight}; }""")
    assert target and target["id"] == page.url.split("#")[1]
    assert sentence in target["text"]
    assert target["background"] not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted
    assert target["visible"]  # scrolled to
    _screenshot(page, "article-reader.png")
    page.close()
    assert errors == []
