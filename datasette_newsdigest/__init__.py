"""Datasette hooks only; the work is done in the modules they call."""

from datasette import hookimpl
from datasette.utils import tilde_encode

from .views import PLUGIN


@hookimpl
def prepare_connection(conn, database, datasette):
    from . import sql

    sql.register(conn, datasette.plugin_config(PLUGIN, database=database) or {})


@hookimpl
def register_routes():
    from . import views

    return [
        (r"^/-/digest/(?P<database>[^/]+?)(?:\.(?P<format>json))?$", views.events_page),
        (r"^/-/digest/(?P<database>[^/]+)/(?P<event_id>[^/]+?)(?:\.(?P<format>json))?$", views.event_page),
    ]


async def _has_events(datasette, name: str) -> bool:
    db = datasette.databases.get(name)
    return db is not None and name != "_internal" and await db.table_exists("events")


def _digest_link(datasette, name: str) -> dict:
    return {"href": datasette.urls.path(f"/-/digest/{tilde_encode(name)}"), "label": f"News digest: {name}"}


@hookimpl
def menu_links(datasette, actor):
    async def inner():
        links = []
        for name in list(datasette.databases):
            if await _has_events(datasette, name) and await datasette.permission_allowed(
                actor, "view-database", name, default=True
            ):
                links.append(_digest_link(datasette, name))
        return links

    return inner


@hookimpl
def database_actions(datasette, actor, database):
    async def inner():
        if await _has_events(datasette, database):
            return [_digest_link(datasette, database)]
        return []

    return inner
