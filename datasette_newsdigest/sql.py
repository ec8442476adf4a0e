"""SQL function adapters: thin wrappers around digest.py.

Python's sqlite3 replaces the message of any exception raised inside a SQL function with
"user-defined function raised exception" (or "user-defined aggregate's 'finalize' method raised
error"), which is all Datasette could show. So a request the digest cannot serve (bad options,
input over the configured caps) returns its message as the value instead: text starting with
``newsdigest error:`` or, from the JSON functions, an array of one error object shaped like the
function's items, with the message in ``error`` and (prefixed) in the field a query shows, so
``json_each`` gives one row that says what went wrong, and ``json_extract(value, '$.sentence')``
reads the message instead of failing with "malformed JSON" on a bare string.
"""

from __future__ import annotations

import json
from functools import partial

from . import digest, quotes

__all__ = ["ERROR_PREFIX", "register"]

ERROR_PREFIX = "newsdigest error: "


def register(conn, limits: digest.Limits | dict | None = None):
    """Register the newsdigest SQL functions on a sqlite3 connection.

    ``limits`` are the work caps: the Limits Datasette's startup hook built from the plugin
    configuration, or such a configuration (``max_chars``, ``max_words``...), which is then
    validated here (DigestError names a bad key)."""
    if not isinstance(limits, digest.Limits):
        limits = digest.Limits.from_config(limits)
    conn.create_function(
        "newsdigest_sentences", 1, partial(_per_text, limits, digest.sentences, SENTENCE_ITEM), deterministic=True
    )
    conn.create_function("newsdigest_quotes", 1, partial(_per_text, limits, _quotes, QUOTE_ITEM), deterministic=True)
    for arity in (1, 2):
        conn.create_function("newsdigest_summarize", arity, partial(_summarize, limits))
        conn.create_aggregate("newsdigest", arity, partial(_Digest, limits, False))
    for arity in (2, 3):
        conn.create_aggregate("newsdigest_json", arity, partial(_Digest, limits, True))


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _json_id(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# The items of each JSON function, and the field of an error item that carries the message.
DIGEST_ITEM = (("id", "position", "sentence", "score"), "sentence")
QUOTE_ITEM = (("position", "speaker", "speaker_key", "speaker_role", "quote", "kind", "verb"), "quote")
SENTENCE_ITEM: tuple[tuple[str, ...], str | None] = ((), None)


def _error(error: digest.DigestError, item: tuple[tuple[str, ...], str | None] | None) -> str:
    """The message as text, or with ``item`` (a JSON function's fields, and the one to fill) as
    ``[{..., "error": message}]``."""
    if item is None:
        return ERROR_PREFIX + str(error)
    fields, shown = item
    row: dict = {f: (ERROR_PREFIX + str(error) if f == shown else None) for f in fields}
    return json.dumps([{**row, "error": str(error)}], ensure_ascii=False)


def _per_text(limits, compute, item, value):
    """A scalar function of one text that returns JSON: ``compute(text)``, within max_chars."""
    value = _text(value)
    if value is None:
        return None
    try:
        digest.check_size(len(value), limits, "this function")
    except digest.DigestError as e:
        return _error(e, item)
    return json.dumps(compute(value), ensure_ascii=False)


def _quotes(value: str) -> list[dict]:
    return quotes.speaker_keys(q.as_dict() for q in quotes.extract(value))


def _summarize(limits, value, options=None):
    value = _text(value)
    try:
        parsed = digest.parse_options(_text(options))
        if value is None:
            return None
        picked = digest.summarize(value, limits=limits, **vars(parsed))
    except digest.DigestError as e:
        return _error(e, None)
    return "\n".join(s.sentence for s in picked)


class _Digest:
    """Aggregate state for newsdigest (text [, options]) and newsdigest_json (id, text [, options]).

    Options are read from the first row of the group. Texts are counted as they arrive, so an
    oversized group stops being buffered at max_chars instead of after the last row."""

    def __init__(self, limits: digest.Limits, as_json: bool):
        self.limits, self.as_json = limits, as_json
        self.documents: list[digest.Document] = []
        self.options: digest.Options | None = None
        self.chars = 0
        self.error: digest.DigestError | None = None

    def step(self, *args):
        if self.error:
            return
        if self.as_json:
            row_id, value, *options = args
        else:
            value, *options = args
            row_id = len(self.documents)
        try:
            if self.options is None:
                self.options = digest.parse_options(_text(options[0]) if options else None)
            value = _text(value)
            if value is None:
                return
            self.chars += len(value)
            digest.check_size(self.chars, self.limits, "one group's digest")
            self.documents.append(digest.Document(_json_id(row_id), value))
        except digest.DigestError as e:
            self.error = e
            self.documents = []

    def finalize(self):
        if self.error:
            return _error(self.error, DIGEST_ITEM if self.as_json else None)
        if not self.documents:
            return None
        try:
            picked = digest.digest(self.documents, limits=self.limits, **vars(self.options))
        except digest.DigestError as e:
            return _error(e, DIGEST_ITEM if self.as_json else None)
        if not self.as_json:
            return "\n".join(s.sentence for s in picked)
        return json.dumps(
            [
                {"id": s.id, "position": s.position, "sentence": s.sentence,
                 "score": round(s.score, 6)}
                for s in picked
            ],
            ensure_ascii=False,
        )
