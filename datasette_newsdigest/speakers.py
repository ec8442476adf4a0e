"""Who said what in one event: its quotes grouped by speaker, as the event page shows them.

A pure function of the quote rows :data:`QUOTES_SQL` reads, so the build can store each event's
section (store.fill_speakers, the ``event_speakers`` table) and a page can make it again from the
quotes where none is stored: both give the same section.
"""

from __future__ import annotations

from typing import Any

from .charts import UNKNOWN_OUTLET

SPEAKERS = 12  # speakers shown per event, those quoted by most outlets first
STATEMENTS = 8  # statements shown per speaker
QUOTES_READ = 1_000  # quotes read per event

# An event's named quotes in reading order, at most :data:`QUOTES_READ`, as plain tuples (key,
# speaker, role, quote, kind, verb, outlet). Each quoted article's outlet and date are read once
# (they lie past its body), not once per quote.
QUOTES_SQL = (
    "with a as materialized (select id, outlet, published from articles where id in "
    "(select article_id from quotes where event_id = :event)) "
    "select coalesce(q.speaker_key, lower(q.speaker)) as key, q.speaker, q.speaker_role, q.quote, q.kind, "
    "q.verb, a.outlet from quotes q join a on a.id = q.article_id "
    "where q.event_id = :event and q.speaker is not null order by a.published is null, a.published, q.id "
    "limit :limit")


def speaker_name(names: list[str]) -> str:
    """How a speaker is named on the page: the name used most, the fullest of equally used ones."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda n: (counts[n], len(n), n))


def section(rows: list) -> dict:
    """The event's speakers (by key), each with their statements and the outlets that carried each
    (the same words, case and spacing aside), the first :data:`SPEAKERS` of them by outlets, then
    statements, then name; and ``cells``, [speaker, outlet, statements] of those shown, for the
    speakers x outlets chart. Plain lists and dicts, so it survives a trip through JSON unchanged."""
    by_key: dict[str, list] = {}
    for key, speaker, role, quote, kind, verb, outlet in rows:
        by_key.setdefault(key, []).append((speaker, role, quote, kind, verb, outlet or UNKNOWN_OUTLET))
    speakers: list[dict[str, Any]] = []
    for key, quoted in by_key.items():
        statements: dict[str, dict] = {}
        for _, _, quote, kind, verb, outlet in quoted:
            said = statements.get(folded := " ".join((quote or "").lower().split()))
            if said is None:
                said = statements[folded] = {"quote": quote, "kind": kind, "verb": verb, "outlets": []}
            if outlet not in said["outlets"]:
                said["outlets"].append(outlet)
        roles = [q[1] for q in quoted if q[1]]
        speakers.append({"key": key, "speaker": speaker_name([q[0] for q in quoted]),
                         "role": roles[0] if roles else None, "outlets": sorted({q[5] for q in quoted}),
                         "statements_total": len(statements), "statements": list(statements.values())[:STATEMENTS]})
    speakers.sort(key=lambda sp: (-len(sp["outlets"]), -sp["statements_total"], sp["speaker"]))
    shown = speakers[:SPEAKERS]
    cells: dict[tuple, int] = {}
    for sp in shown:
        for q in by_key[sp["key"]]:
            cell = (sp["speaker"], q[5])
            cells[cell] = cells.get(cell, 0) + 1
    return {"speakers": shown, "speakers_total": len(speakers), "quotes_read": len(rows),
            "cells": [[sp, o, n] for (sp, o), n in cells.items()]}
