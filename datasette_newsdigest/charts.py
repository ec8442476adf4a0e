"""Vega-Lite specs for the event and story pages, built from plain rows.

Pure functions: rows in, a spec dict out, with the data inline so a page
needs no second request. The browser renders them with the vendored
vega-embed bundle (static/vendor), never a CDN.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["SCHEMA", "UNKNOWN_OUTLET", "coverage", "speakers", "story_events", "support", "timeline"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
UNKNOWN_OUTLET = "(outlet unknown)"


def _count_axis(maximum: int) -> dict:
    """Whole-number ticks: counts of articles are never fractional."""
    return {"format": "d", "tickCount": max(1, min(int(maximum), 5))}


def _base(description: str, values: list[dict], height: int) -> dict:
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "height": height,
        "data": {"values": values},
        "config": {"view": {"stroke": None}, "axis": {"labelLimit": 220}},
    }


def timeline(rows: list[dict]) -> dict:
    """Articles per day, stacked by outlet. ``rows``: day (ISO date), outlet, articles."""
    values = [{**r, "outlet": r.get("outlet") or UNKNOWN_OUTLET} for r in rows if r.get("day")]
    if not values:
        return _notice("Articles per day, by outlet", "No article of this event states its date.")
    per_day: dict[str, int] = {}
    for v in values:
        per_day[v["day"]] = per_day.get(v["day"], 0) + v["articles"]
    if len(per_day) == 1:
        return _one_day(values)
    spec = _base("Articles per day, by outlet", values, 180)
    spec.update(
        mark={"type": "bar", "tooltip": True},
        encoding={
            "x": {"field": "day", **_day_axis(min(per_day), max(per_day))},
            "y": {"aggregate": "sum", "field": "articles", "type": "quantitative", "title": "Articles",
                  "axis": _count_axis(max(per_day.values()))},
            "color": {"field": "outlet", "type": "nominal", "title": "Outlet"},
        },
    )
    return spec


def _one_day(values: list[dict]) -> dict:
    """An event reported on one day: a dot on that day with the date and counts written beside it,
    not a bar as wide as the chart's margin (a day on a temporal axis) that reads as a period."""
    day = values[0]["day"]
    articles = sum(v["articles"] for v in values)
    outlets = sorted({v["outlet"] for v in values})
    when = date.fromisoformat(day).strftime("%b %d, %Y")
    said = f"{when}: {articles} article{'s' if articles != 1 else ''}"
    said += f" from {len(outlets)} outlets" if len(outlets) > 1 else f", {outlets[0]}"
    point = {"day": day, "articles": articles, "outlets": ", ".join(outlets), "text": said}
    x = {"field": "day", **_day_axis(day, day)}
    y = {"field": "articles", "type": "quantitative", "title": "Articles", "axis": _count_axis(articles),
         "scale": {"domain": [0, articles + 1]}}
    spec = _base("Articles per day, by outlet (all on one day)", [point], 120)
    spec["layer"] = [
        {"mark": {"type": "point", "filled": True, "size": 120, "tooltip": True}, "encoding": {"x": x, "y": y}},
        {"mark": {"type": "text", "align": "center", "dy": -16, "fontSize": 12},
         "encoding": {"x": x, "y": y, "text": {"field": "text", "type": "nominal"}}},
    ]
    return spec


def _day_axis(first_day: str, last_day: str) -> dict:
    """A temporal x encoding over these days with a margin either side (a day, or a twentieth of a
    long span), so one day is a mark of its own with its date beside it rather than the whole
    width, and the first and last marks are not cut by the edges."""
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    margin = timedelta(days=max(1, (last - first).days // 20))
    domain = [(first - margin).isoformat(), (last + margin).isoformat()]
    span = (last - first + 2 * margin).days
    return {"type": "temporal", "timeUnit": "yearmonthdate", "title": "Day", "scale": {"domain": domain},
            "axis": {"format": "%b %d, %Y", "labelOverlap": True,
                     "tickCount": {"interval": "day", "step": max(1, span // 6)}}}


def story_events(rows: list[dict], total: int) -> dict:
    """A story's events over time: each a dot on its first day, as high as its article count, and a
    line to its last day; a click opens the event. ``rows``: label, first and last (published
    values; one that does not start with an ISO day counts as undated), articles, edited, url;
    ``total``: the story's events, when ``rows`` holds only the first of them."""
    values = []
    for r in rows:
        first = _day(r.get("first"))
        if first:
            last = max(first, _day(r.get("last")) or first)
            values.append({**r, "first": first, "last": last, "edited": "yes" if r.get("edited") else "no"})
    shown = f"the first {len(rows)} of {total} events" if total > len(rows) else f"{total} events"
    description = f"Events over time ({shown}; undated events are not drawn)"
    if not values:
        return _notice(description, "No event of this story states its date.")
    x = _day_axis(min(v["first"] for v in values), max(v["last"] for v in values))
    most = max(v["articles"] for v in values)
    top = max(most + 1, -(-most * 6 // 5))  # headroom, so the largest event's dot is not cut by the edge
    y = {"field": "articles", "type": "quantitative", "title": "Articles", "axis": _count_axis(top),
         "scale": {"domain": [0, top]}}
    spec = _base(description, values, 200)
    spec["layer"] = [
        {"mark": {"type": "rule", "strokeWidth": 2, "color": "#9ab"},
         "encoding": {"x": {"field": "first", **x}, "x2": {"field": "last"}, "y": y}},
        {"mark": {"type": "point", "filled": True, "size": 90, "cursor": "pointer"},
         "encoding": {
             "x": {"field": "first", **x}, "y": y, "href": {"field": "url"},
             "tooltip": [
                 {"field": "label", "type": "nominal", "title": "Event"},
                 {"field": "first", "type": "temporal", "title": "First", "format": "%b %d, %Y"},
                 {"field": "last", "type": "temporal", "title": "Last", "format": "%b %d, %Y"},
                 {"field": "articles", "type": "quantitative", "title": "Articles"},
                 {"field": "edited", "type": "nominal", "title": "Edited"},
             ]}},
    ]
    return spec


def _day(value: str | None) -> str | None:
    """The ISO day a published value starts with, or None when it does not start with one."""
    try:
        return date.fromisoformat(value[:10]).isoformat() if value else None
    except ValueError:
        return None


def _notice(description: str, message: str) -> dict:
    """A chart with nothing to plot says so, instead of drawing empty axes."""
    spec = _base(description, [{"message": message}], 40)
    spec.update(mark={"type": "text", "align": "left", "x": 0, "fontSize": 13, "color": "#555"},
                encoding={"text": {"field": "message", "type": "nominal"}})
    return spec


def coverage(rows: list[dict]) -> dict:
    """Which outlets reported the event and how many articles each. ``rows``: outlet, articles."""
    values = [{**r, "outlet": r.get("outlet") or UNKNOWN_OUTLET} for r in rows]
    spec = _base("Articles per outlet", values, max(60, 22 * len(values)))
    spec.update(
        mark={"type": "bar", "tooltip": True},
        encoding={
            "y": {"field": "outlet", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "articles", "type": "quantitative", "title": "Articles",
                  "axis": _count_axis(max((v["articles"] for v in values), default=1))},
        },
    )
    return spec


def support(rows: list[dict], total_articles: int) -> dict:
    """How many of the event's articles carry each digest sentence (or one much
    like it): consensus versus single-source claims. ``rows``: rank, sentence,
    outlet, support."""
    values = [{**r, "label": f"#{r['rank']}", "outlet": r.get("outlet") or UNKNOWN_OUTLET} for r in rows]
    if total_articles == 1 and values:
        return _notice("Articles reporting each digest sentence",
                       "One article: no other report of this event to confirm its sentences.")
    spec = _base(f"Articles (of {total_articles}) reporting each digest sentence", values,
                 max(60, 26 * len(values)))
    spec.update(
        mark={"type": "bar", "tooltip": True},
        encoding={
            "y": {"field": "label", "type": "ordinal", "sort": None, "title": "Digest sentence"},
            "x": {"field": "support", "type": "quantitative", "title": "Articles reporting it",
                  "scale": {"domain": [0, max(1, total_articles)]}, "axis": _count_axis(total_articles)},
            "color": {"field": "support", "type": "quantitative", "legend": None,
                      "scale": {"scheme": "blues", "domainMin": 0}},
            "tooltip": [
                {"field": "sentence", "type": "nominal", "title": "Sentence"},
                {"field": "outlet", "type": "nominal", "title": "From"},
                {"field": "support", "type": "quantitative", "title": "Articles reporting it"},
            ],
        },
    )
    return spec


def speakers(rows: list[dict]) -> dict:
    """Who was quoted by whom: a cell per speaker and outlet, darker for more statements.
    ``rows``: speaker, outlet, statements."""
    values = [{**r, "outlet": r.get("outlet") or UNKNOWN_OUTLET} for r in rows]
    if not values:
        return _notice("Statements per speaker and outlet", "No statement of this event names its speaker.")
    names = len({v["speaker"] for v in values})
    spec = _base("Statements per speaker and outlet", values, max(60, 22 * names))
    spec.update(
        mark={"type": "rect", "tooltip": True},
        encoding={
            "y": {"field": "speaker", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "outlet", "type": "nominal", "title": None, "axis": {"labelAngle": -30}},
            "color": {"field": "statements", "type": "quantitative", "title": "Statements",
                      "scale": {"scheme": "blues", "domainMin": 0}},
        },
    )
    return spec
