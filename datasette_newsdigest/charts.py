"""Vega-Lite specs for the event page, built from plain rows.

Pure functions: rows in, a spec dict out, with the data inline so a page
needs no second request. The browser renders them with the vendored
vega-embed bundle (static/vendor), never a CDN.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["SCHEMA", "UNKNOWN_OUTLET", "coverage", "support", "timeline"]

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
    first, last = date.fromisoformat(min(per_day)), date.fromisoformat(max(per_day))
    # A day either side, so one day of coverage is a bar rather than the whole width.
    domain = [(first - timedelta(days=1)).isoformat(), (last + timedelta(days=1)).isoformat()]
    span = (last - first).days + 2
    spec = _base("Articles per day, by outlet", values, 180)
    spec.update(
        mark={"type": "bar", "tooltip": True},
        encoding={
            "x": {"field": "day", "type": "temporal", "timeUnit": "yearmonthdate", "title": "Day",
                  "scale": {"domain": domain},
                  "axis": {"format": "%b %d, %Y", "labelOverlap": True,
                           "tickCount": {"interval": "day", "step": max(1, span // 6)}}},
            "y": {"aggregate": "sum", "field": "articles", "type": "quantitative", "title": "Articles",
                  "axis": _count_axis(max(per_day.values()))},
            "color": {"field": "outlet", "type": "nominal", "title": "Outlet"},
        },
    )
    return spec


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
