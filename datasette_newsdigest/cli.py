"""``newsdigest build``: files -> articles, sentences, events and stories in SQLite; ``newsdigest
events ...`` and ``newsdigest stories ...``: see and correct the grouping.

A thin shell over ``store.build_database`` and ``store.correct``, the way sqlite-utils' CLI is
over its db.py: this module parses arguments, prints messages and picks exit codes (0 done,
1 a failure told in one line, 2 a usage error, 3 built with inputs skipped). The store, and with
it numpy, scipy and sumy, is imported inside the commands, so ``newsdigest --help`` loads only click.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

__all__ = ["build", "cli", "events_group", "stories_group"]


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
@click.option("--story-field", metavar="FIELD",
              help="Input field that already names each article's story (a story slug): used instead of clustering.")
@click.option("--event-field", metavar="FIELD",
              help="Input field that already names each article's event: used instead of splitting stories.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes for the per-article and per-event work (default: one per CPU); "
                   "the database is the same for any N.")
@click.option("--dask", "scheduler", metavar="SCHEDULER_ADDRESS",
              help="Run that work on the Dask cluster of this scheduler (such as tcp://10.0.0.5:8786) instead; "
                   "needs the dask extra here and datasette-newsdigest on its workers.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Run that work on a local Dask cluster of N worker processes started for the build.")
def build(database: Path, paths: tuple[Path, ...], add: bool, skip_errors: bool, progress: bool | None,
          story_field: str | None, event_field: str | None, jobs: int | None, scheduler: str | None,
          workers: int | None, **fields: str | None) -> None:
    """Build DATABASE from PATHS: files or folders of .txt, .html, .json,
    .jsonl and .csv (optionally gzipped).

    JSON and CSV records use the fields id, title, body, published, outlet,
    author and url; other fields become extra columns. Use --body content
    (and the like) when the input names them differently.

    Articles are grouped into stories and each story into events; corrections
    made with `newsdigest events/stories ...` are applied again after the build.
    --story-field/--event-field group articles that have the field by its value
    instead (the others are clustered); --add uses the fields the database was
    built with.
    """
    from . import store, text

    given = [name for name, value in (("--jobs", jobs), ("--dask", scheduler), ("--workers", workers))
             if value is not None]
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join(given)} exclude each other: give one way to run the work")
    if scheduler is not None and not scheduler.strip():
        raise click.UsageError("--dask needs a scheduler address, such as tcp://10.0.0.5:8786")
    started = time.perf_counter()
    if progress is None:
        progress = sys.stderr.isatty()
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    try:
        stats = store.build_database(database, paths, add=add, mapping=mapping, progress=progress, notify=_tell,
                                     story_field=story_field, event_field=event_field, jobs=jobs,
                                     scheduler=scheduler, workers=workers)
    except store.BuildError as error:
        raise click.ClickException(str(error)) from None
    clustered = stats.clustering
    corrections = clustered["corrections"]
    fixes = sum(corrections.values())
    click.echo(
        f"{stats.summary(time.perf_counter() - started)}; {text.counted(clustered['events'], 'event')} "
        f"in {clustered['stories']:,} {'story' if clustered['stories'] == 1 else 'stories'} "
        f"({clustered['mode']} clustering, {clustered['seconds']:.1f}s)"
        + (f"; {text.counted(corrections['applied'], 'correction')} applied"
           + (f", {corrections['skipped']} skipped" if corrections["skipped"] else "") if fixes else ""),
        err=True,
    )
    if stats.problems and not skip_errors:
        sys.exit(3)


# --------------------------------------------------------------------------
# Seeing and correcting the grouping: the same verbs for events and stories

_PLURAL = {"event": "events", "story": "stories"}


def _corrections_group(level: str) -> click.Group:
    plural = _PLURAL[level]

    @click.group(name=plural, help=f"See and correct the {plural} of a database; corrections persist "
                 "across rebuilds and --add (README: Corrections).")
    def group() -> None:
        pass

    def failing(call):
        from . import store

        try:
            return call()
        except store.CorrectionError as error:
            raise click.ClickException(str(error)) from None

    def correct(database: Path, action: str, ids: tuple[str, ...], **options: str | None) -> None:
        from . import store

        click.echo(failing(lambda: store.correct(database, level, action, ids, notify=_tell, **options)))

    database = click.argument("database", type=click.Path(path_type=Path))

    @group.command(help=f"Move ARTICLE_IDS to {level.upper()}_ID, or together into a new {level} (--to new).")
    @database
    @click.argument("article_ids", nargs=-1, required=True)
    @click.option("--to", "target", required=True, metavar=f"{level.upper()}_ID|new",
                  help=f"The {level} to move them to, or new.")
    def move(database: Path, article_ids: tuple[str, ...], target: str) -> None:
        correct(database, "move", article_ids, to=target)

    @group.command(help=f"Merge the {plural} IDS into the first of them.")
    @database
    @click.argument("ids", nargs=-1, required=True)
    def merge(database: Path, ids: tuple[str, ...]) -> None:
        correct(database, "merge", ids)

    @group.command(help=f"Give {level} ID the label TEXT (kept over rebuilds).")
    @database
    @click.argument("group_id", metavar="ID")
    @click.argument("label_text", metavar="TEXT")
    def label(database: Path, group_id: str, label_text: str) -> None:
        correct(database, "label", (group_id,), label=label_text)

    @group.command(name="list", help=f"One line per {level}: id, articles, first date, edited, label.")
    @database
    def list_(database: Path) -> None:
        from . import store

        for row in failing(lambda: store.list_groups(database, level)):
            click.echo(_group_line(level, row))

    @group.command(help=f"One {level} and its {'articles' if level == 'event' else 'events'}.")
    @database
    @click.argument("group_id", metavar="ID")
    def show(database: Path, group_id: str) -> None:
        from . import store
        from .text import counted

        row = failing(lambda: store.show_group(database, level, group_id))
        click.echo(_group_line(level, row))
        for member in row["members"]:
            if level == "event":
                click.echo(f"  {member['id']}\t{member['published'] or '-'}\t{member['outlet'] or '-'}\t"
                           f"{member['title'] or '(untitled)'}")
            else:
                click.echo(f"  event {member['id']}\t{counted(member['articles'], 'article')}\t"
                           f"{member['first_published'] or '-'}\t{'edited ' if member['edited'] else ''}"
                           f"{member['label'] or '(no label)'}")

    @group.command(help="Every stored correction (of events and stories), and whether it still applies.")
    @database
    def corrections(database: Path) -> None:
        from . import store

        for row in failing(lambda: store.list_corrections(database)):
            what = (f"{row['article_id']} -> with {row['anchor_id']}" if row["anchor_id"] and row["article_id"]
                    else f"{row['article_id']} -> new {row['level']}" if row["article_id"]
                    else f"{row['level']} of {row['anchor_id']}: {row['label']!r}")
            click.echo(f"{row['id']}\t{row['created']}\t{row['level']} {row['action']}\t{what}\t{row['status']}")

    return group


def _group_line(level: str, row: dict) -> str:
    from .text import counted

    size = counted(row["articles"], "article") + (f", {counted(row['events'], 'event')}" if level == "story" else "")
    where = f"\tstory {row['story_id']}" if level == "event" else ""
    return (f"{row['id']}\t{size}{where}\t{row['first_published'] or '-'}\t"
            f"{'edited ' if row['edited'] else ''}{row['label'] or '(no label)'}")


events_group = _corrections_group("event")
stories_group = _corrections_group("story")
cli.add_command(events_group)
cli.add_command(stories_group)


if __name__ == "__main__":
    cli()
