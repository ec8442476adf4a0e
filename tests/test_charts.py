"""Vega-Lite specs: the data is inline and every encoded field exists in it."""

import json

from datasette_newsdigest import charts


def _fields(spec):
    return {enc["field"] for enc in spec["encoding"].values() if isinstance(enc, dict) and "field" in enc}


def test_timeline_pads_the_days_and_names_unknown_outlets():
    spec = charts.timeline([
        {"day": "2023-05-03", "outlet": "Wire", "articles": 2},
        {"day": "2023-05-04", "outlet": None, "articles": 1},
        {"day": None, "outlet": "Wire", "articles": 4},
    ])
    values = spec["data"]["values"]
    assert [v["outlet"] for v in values] == ["Wire", charts.UNKNOWN_OUTLET]
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2023-05-02", "2023-05-05"]
    assert _fields(spec) <= set(values[0])
    json.dumps(spec)


def test_timeline_without_dates_says_so():
    spec = charts.timeline([{"day": None, "outlet": "Wire", "articles": 3}])
    assert spec["mark"]["type"] == "text"
    assert "date" in spec["data"]["values"][0]["message"]


def test_coverage_and_support():
    coverage = charts.coverage([{"outlet": "Wire", "articles": 3}, {"outlet": None, "articles": 1}])
    assert _fields(coverage) <= set(coverage["data"]["values"][0])
    support = charts.support(
        [{"rank": 1, "sentence": "A dam burst.", "outlet": "Wire", "support": 3},
         {"rank": 2, "sentence": "Rain fell.", "outlet": None, "support": 1}],
        total_articles=4,
    )
    values = support["data"]["values"]
    assert [v["label"] for v in values] == ["#1", "#2"]
    assert support["encoding"]["x"]["scale"]["domain"] == [0, 4]
    assert _fields(support) <= set(values[0])
