"""Datasette hooks only; the work is done in the modules they call."""

from datasette import hookimpl


@hookimpl
def prepare_connection(conn, database, datasette):
    from . import sql

    sql.register(conn, datasette.plugin_config("datasette-newsdigest", database=database) or {})
