"""``newsdigest build``: files -> articles, sentences and events in SQLite.

Thin on purpose: reading and cleaning live in ingest.py, splitting in text.py,
clustering in events.py; this module only drives them and writes rows with
sqlite-utils. A build is written to a temporary file next to the target and
moved into place at the end, so a failed run never damages the previous
database.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlite_utils
from tqdm import tqdm

from . import events, ingest, text

ARTICLE_COLUMNS = {
    "id": str,
    "title": str,
    "subtitle": str,
    "body": str,
    "raw": str,
    "outlet": str,
    "author": str,
    "published": str,
    "url": str,
    "source": str,
    "words": int,
    "event_id": int,
}
BATCH = 500


@dataclass
class BuildStats:
    files: int = 0
    articles: int = 0
    sentences: int = 0
    problems: list[ingest.Problem] = field(default_factory=list)
    notes: list[ingest.Problem] = field(default_factory=list)  # loaded, but kept in another form
    new_ids: list[str] = field(default_factory=list)

    def summary(self, seconds: float) -> str:
        """One ``note FILE[:LINE]: ...`` line per value kept in another form,
        then the one-line summary of the run."""
        notes = "".join(f"note {n}\n" for n in self.notes)
        reasons = Counter(_reason_kind(p.reason) for p in self.problems)
        skipped = f"{len(self.problems)} skipped"
        if reasons:
            skipped += " (" + ", ".join(f"{n} {r}" for r, n in reasons.most_common()) + ")"
        noted = f", {len(self.notes)} note{'s' * (len(self.notes) != 1)}" if self.notes else ""
        return notes + (
            f"Read {self.files} file{'s' * (self.files != 1)}: {self.articles} articles, "
            f"{self.sentences} sentences, {skipped}{noted} in {seconds:.1f}s"
        )


def _reason_kind(reason: str) -> str:
    """The kind of a skip reason, without the details that differ per input."""
    if reason.startswith("duplicate id"):
        return "duplicate id"
    return re.split(r":|\s\(|,\s|;\s", reason)[0]


def create_tables(db: sqlite_utils.Database) -> None:
    """The tables of ARCHITECTURE.md, created up front so their shape does not
    depend on which fields the first record happens to have."""
    if not db["articles"].exists():
        db["articles"].create(ARTICLE_COLUMNS, pk="id")
    if not db["sentences"].exists():
        db["sentences"].create(
            {"id": int, "article_id": str, "position": int, "text": str},
            pk="id",
            foreign_keys=[("article_id", "articles", "id")],
        )
        db["sentences"].create_index(["article_id", "position"], unique=True)


def sentence_rows(article_id: str, body: str) -> list[dict]:
    return [
        {"article_id": article_id, "position": i, "text": s}
        for i, s in enumerate(text.split_sentences(body))
    ]


def load(db: sqlite_utils.Database, paths, *, mapping=None, progress: bool = False,
         max_input_bytes: int = ingest.MAX_INPUT_BYTES, max_line_bytes: int = ingest.MAX_LINE_BYTES,
         max_columns: int = ingest.MAX_COLUMNS) -> BuildStats:
    """Read every input and append its articles and sentences to ``db``.

    Bad inputs become ``stats.problems`` (skipped) and values kept in another
    form ``stats.notes``; neither stops the build. The caps bound what one
    input may cost (see ``ingest.read_file``) and the columns extra fields may add.
    """
    stats = BuildStats()
    files = []
    for item in ingest.input_files(paths):
        if isinstance(item, ingest.Problem):
            stats.problems.append(item)
        else:
            files.append(item)
    create_tables(db)
    columns = ingest.Columns(db["articles"].columns_dict, ARTICLE_COLUMNS, max_columns)
    seen = {row[0] for row in db.execute("select id from articles")}
    articles: list[dict] = []
    sentences: list[dict] = []

    def flush():
        # Runs of rows with the same columns, in input order (rowids follow the input).
        with db.conn:
            for names, run in itertools.groupby(articles, key=tuple):
                quoted = ", ".join(_quote(name) for name in names)
                db.conn.executemany(f"insert into articles ({quoted}) values ({', '.join('?' * len(names))})",
                                    (tuple(row.values()) for row in run))
        db["sentences"].insert_all(sentences, batch_size=5000)
        articles.clear()
        sentences.clear()

    total = sum(_size(p) for p, _ in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="Reading", disable=not progress,
              file=sys.stderr, leave=False) as bar:
        for path, kind in files:
            stats.files += 1
            for item in ingest.read_file(path, kind, mapping=mapping, progress=bar.update,
                                         max_input_bytes=max_input_bytes, max_line_bytes=max_line_bytes):
                if isinstance(item, ingest.Problem):
                    (stats.problems if item.skipped else stats.notes).append(item)
                    continue
                line = getattr(item, "line", None)
                if item["id"] in seen:
                    stats.problems.append(ingest.Problem(item["source"], f"duplicate id {item['id']!r}", line))
                    continue
                seen.add(item["id"])
                names = set(getattr(item, "extras", ()))
                extras, new, notes = columns.place({k: item[k] for k in item if k in names}, item["source"])
                for name in new:
                    db.execute(f"alter table articles add column {_quote(name)}")
                for reason in [*getattr(item, "notes", []), *notes]:
                    stats.notes.append(ingest.Problem(item["source"], reason, line, skipped=False))
                rows = sentence_rows(item["id"], item["body"])
                articles.append({**{k: v for k, v in item.items() if k not in names}, **extras})
                sentences.extend(rows)
                stats.articles += 1
                stats.sentences += len(rows)
                stats.new_ids.append(item["id"])
                if len(articles) >= BATCH:
                    flush()
                    bar.set_postfix(articles=stats.articles, refresh=False)
    flush()
    return stats


def _quote(name: str) -> str:
    """An SQL identifier for any column name (sqlite-utils' [brackets] cannot hold "]")."""
    return '"' + name.replace('"', '""') + '"'


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def finish_database(db: sqlite_utils.Database) -> None:
    """Full-text search on title and body, kept current by triggers for ``--add``."""
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    db["articles"].create_index(["published"], if_not_exists=True)
    db["articles"].create_index(["event_id"], if_not_exists=True)


def _temporary_copy(target: Path, add: bool) -> Path:
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    if add:
        source = sqlite3.connect(target)
        dest = sqlite3.connect(tmp)
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
    return tmp


@click.group()
@click.version_option()
def cli():
    """Build and explore per-event news digests."""


@cli.command()
@click.argument("database", type=click.Path(dir_okay=False, path_type=Path))
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
def build(database: Path, paths, add, skip_errors, progress, **fields):
    """Build DATABASE from PATHS: files or folders of .txt, .html, .json,
    .jsonl and .csv (optionally gzipped).

    JSON and CSV records use the fields id, title, body, published, outlet,
    author and url; other fields become extra columns. Use --body content
    (and the like) when the input names them differently.
    """
    started = time.perf_counter()
    if progress is None:
        progress = sys.stderr.isatty()
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    if add and not database.exists():
        raise click.ClickException(f"--add needs an existing database; {database} does not exist")
    tmp = _temporary_copy(database, add)
    try:
        db = sqlite_utils.Database(tmp)
        db.execute("pragma synchronous = off")
        stats = load(db, paths, mapping=mapping, progress=progress)
        if not stats.articles and not add:
            raise click.ClickException(
                "no articles could be read; "
                + (f"{database} was left unchanged" if database.exists() else "nothing was written")
                + "".join(f"\n  {p}" for p in stats.problems)
            )
        clustered = events.update_events(db, stats.new_ids if add else None, progress=progress)
        finish_database(db)
        db.close()
        os.replace(tmp, database)
    finally:
        tmp.unlink(missing_ok=True)
    for problem in stats.problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"{stats.summary(time.perf_counter() - started)}; {clustered['events']} "
        f"event{'s' * (clustered['events'] != 1)} "
        f"({clustered['mode']} clustering, {clustered['seconds']:.1f}s)",
        err=True,
    )
    if stats.problems and not skip_errors:
        sys.exit(1)


if __name__ == "__main__":
    cli()
