"""``newsdigest build``: files -> articles, sentences and events in SQLite.

A thin shell over ``store.build_database``, the way sqlite-utils' CLI is over its db.py: this
module parses arguments, prints messages and picks exit codes. The store, and with it numpy,
scipy and sumy, is imported inside the command, so ``newsdigest --help`` loads only click.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

__all__ = ["build", "cli"]


def _tell(message: str) -> None:
    click.echo(message, err=True)


@click.group()
@click.version_option()
def cli() -> None:
    """Build and explore per-event news digests."""


@cli.command()
@click.argument("database", type=click.Path(path_type=Path))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--add", is_flag=True, help="Append to an existing database instead of rebuilding it.")
@click.option("--skip-errors", is_flag=True, help="Exit 0 even when some inputs were skipped.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--id", "id_field", metavar="FIELD", help="Input field holding the article id.")
@click.option("--title", "title_field", metavar="FIELD", help="Input field holding the title.")
@click.option("--body", "body_field", metavar="FIELD", help="Input field holding the article text.")
@click.option("--published", "published_field", metavar="FIELD", help="Input field holding the date.")
@click.option("--outlet", "outlet_field", metavar="FIELD", help="Input field holding the outlet name.")
@click.option("--author", "author_field", metavar="FIELD", help="Input field holding the author.")
@click.option("--url", "url_field", metavar="FIELD", help="Input field holding the URL.")
def build(database: Path, paths: tuple[Path, ...], add: bool, skip_errors: bool, progress: bool | None,
          **fields: str | None) -> None:
    """Build DATABASE from PATHS: files or folders of .txt, .html, .json,
    .jsonl and .csv (optionally gzipped).

    JSON and CSV records use the fields id, title, body, published, outlet,
    author and url; other fields become extra columns. Use --body content
    (and the like) when the input names them differently.
    """
    from . import store, text

    started = time.perf_counter()
    if progress is None:
        progress = sys.stderr.isatty()
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    try:
        stats = store.build_database(database, paths, add=add, mapping=mapping, progress=progress, notify=_tell)
    except store.BuildError as error:
        raise click.ClickException(str(error)) from None
    clustered = stats.clustering
    click.echo(
        f"{stats.summary(time.perf_counter() - started)}; {text.counted(clustered['events'], 'event')} "
        f"({clustered['mode']} clustering, {clustered['seconds']:.1f}s)",
        err=True,
    )
    if stats.problems and not skip_errors:
        sys.exit(3)


if __name__ == "__main__":
    cli()
