"""Datasette hooks only; the work is done in the modules they call."""

from datasette import hookimpl


@hookimpl
def prepare_connection(conn):
    from . import sql

    sql.register(conn)
