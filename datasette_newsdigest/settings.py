"""The plugin's configuration, validated once per Datasette instance.

Every key under ``plugins: datasette-newsdigest:`` (at the root of metadata and under each
database) is checked in Datasette's ``startup`` hook, so a bad value stops the server with a
message naming the key instead of failing every query or page later. The result is one frozen,
hashable ``Settings`` per database, shared by ``prepare_connection`` (the SQL functions' work
caps) and the pages (their defaults and caps), and never re-read per request.

No setting is per table: the SQL functions are registered per connection (one database, any
table) and the pages read the events and articles tables together, so a table could not have
caps or defaults of its own. A block under ``databases: <name>: tables: <table>: plugins:``
(which Datasette's ``plugin_config(table=)`` would read) stops startup with a message saying
where to put it, instead of being silently ignored.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, fields

import click
from datasette.utils import StartupError

from . import digest

__all__ = ["LIMIT_KEYS", "MAX_PAGE_SIZE", "PLUGIN", "ConfigError", "Settings", "StartupConfigError", "configure",
           "for_database"]

PLUGIN = "datasette-newsdigest"
LIMIT_KEYS = ("max_chars", "max_sentences", "max_sumy_sentences", "max_words", "max_vocabulary")


class ConfigError(digest.DigestError):
    """A plugin setting Datasette cannot start with; the message names the key."""


class StartupConfigError(StartupError, click.ClickException):
    """Raised from the startup hook: a StartupError to Datasette, and to ``datasette serve``
    (which runs the hook outside its own StartupError handler) one line and exit status 1."""


@dataclass(frozen=True)
class Settings:
    """Page defaults and work caps from ``plugins: datasette-newsdigest:`` (README, Configuration)."""

    list_sentences: int = 3
    event_sentences: int = 8
    method: str = "default"
    page_size: int = 20
    list_max_articles: int = 40
    list_lead_paragraphs: int = 3
    lean_column: str = "bias"  # the articles' column saying each one's lean (AllSides: left/center/right)
    limits: digest.Limits = field(default_factory=digest.Limits)

    @classmethod
    def from_config(cls, config: dict | None) -> Settings:
        """Settings from one level's plugin configuration; DigestError names a bad key."""
        if config is None:
            return cls()
        if not isinstance(config, dict):
            raise ConfigError(f"{PLUGIN}: the configuration must be a mapping of settings")
        page_keys = [f.name for f in fields(cls) if f.name != "limits"]
        unknown = sorted(set(config) - set(page_keys) - set(LIMIT_KEYS), key=str)
        if unknown:
            raise ConfigError(f"{PLUGIN}: unknown setting {unknown[0]!r}; expected one of: "
                              f"{', '.join(page_keys + list(LIMIT_KEYS))}")
        values = {key: digest.positive_setting(config, key, None)
                  for key in page_keys if key in config and key not in ("method", "lean_column")}
        if "lean_column" in config:
            if not isinstance(config["lean_column"], str) or not config["lean_column"].strip():
                raise ConfigError(f"{PLUGIN}: lean_column must be the name of a column of articles")
            values["lean_column"] = config["lean_column"]
        if "page_size" in values and values["page_size"] > MAX_PAGE_SIZE:
            raise ConfigError(f"{PLUGIN}: page_size must be at most {MAX_PAGE_SIZE}")
        if "method" in config:
            try:
                values["method"] = digest.Options(method=config["method"]).method
            except digest.OptionsError as e:
                raise ConfigError(f"{PLUGIN}: method: {e}") from None
        return cls(limits=digest.Limits.from_config(config), **values)


MAX_PAGE_SIZE = 200  # also the largest ?_size= the events page accepts

_BY_INSTANCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def configure(datasette) -> dict[str | None, Settings]:
    """Validate the root and every database's configuration and keep the Settings for this
    Datasette instance; ConfigError names the level and key of the first bad value."""
    levels: dict[str | None, Settings] = {None: _level(datasette, None)}
    named = (datasette.metadata("databases") or {}).keys()
    for name in [*datasette.databases, *named]:
        levels[name] = _level(datasette, name)
        _refuse_table_levels(datasette, name)
    _BY_INSTANCE[datasette] = levels
    return levels


def _level(datasette, database: str | None) -> Settings:
    try:
        return Settings.from_config(datasette.plugin_config(PLUGIN, database=database))
    except digest.DigestError as e:
        own = database is not None and PLUGIN in (
            datasette.metadata("plugins", database=database, fallback=False) or {}
        )
        where = f"databases: {database}: plugins: " if own else "plugins: "
        raise ConfigError(f"{where}{e}") from None


def _refuse_table_levels(datasette, database: str) -> None:
    tables = datasette.metadata("tables", database=database, fallback=False) or {}
    for table, meta in tables.items() if isinstance(tables, dict) else ():
        if isinstance(meta, dict) and PLUGIN in (meta.get("plugins") or {}):
            raise ConfigError(f"databases: {database}: tables: {table}: plugins: {PLUGIN}: settings apply "
                              f"to a whole database, not one table; set them under "
                              f"databases: {database}: plugins:")


def for_database(datasette, database: str | None) -> Settings:
    """The Settings of one database (a database attached after startup is validated on first
    use, then kept like the others)."""
    levels = _BY_INSTANCE.get(datasette)
    if levels is None:
        levels = configure(datasette)
    if database not in levels:
        levels[database] = _level(datasette, database)
    return levels[database]
