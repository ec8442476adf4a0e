"""The database file itself: what keeps it whole between a build and the server reading it."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

__all__ = ["roll_back_interrupted_write"]


def roll_back_interrupted_write(path: str | os.PathLike) -> bool:
    """Roll back a write that was cut short (a build killed while copying into place).

    SQLite undoes such a write from the hot journal it left, but only on a connection that may
    write; Datasette opens databases read-only (or immutable, which ignores the journal and
    would read the half-copied pages), so without this the database answers errors until the
    next build. True when a journal was found and rolled back.
    """
    journal = Path(f"{os.fspath(path)}-journal")
    try:
        if journal.stat().st_size == 0:
            return False
    except OSError:
        return False
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True)) as conn:
            conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error:
        return False  # not writable here: the server reports the database's own error
    return True
