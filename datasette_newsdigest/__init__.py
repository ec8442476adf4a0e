"""Datasette hooks only; the work is done in the modules they call."""

from datasette import hookimpl


@hookimpl
def startup(datasette):
    from . import settings, store

    for db in datasette.databases.values():
        if db.path and not db.is_memory:
            store.roll_back_interrupted_write(db.path)
    try:
        settings.configure(datasette)
    except settings.ConfigError as e:
        raise settings.StartupConfigError(str(e)) from None
    from . import views

    views.compile_templates(datasette)


@hookimpl
def prepare_connection(conn, database, datasette):
    from . import settings, sql

    sql.register(conn, settings.for_database(datasette, database).limits)


@hookimpl
def register_routes():
    from . import views

    return [
        (r"^/-/digest/(?P<database>[^/]+?)(?:\.(?P<format>json))?$", views.events_page),
        # Before the event page's route, which would otherwise take "stories" for an event id.
        (r"^/-/digest/(?P<database>[^/]+)/stories(?:\.(?P<format>json))?$", views.stories_page),
        (r"^/-/digest/(?P<database>[^/]+)/story/(?P<story_id>[^/]+?)(?:\.(?P<format>json))?$", views.story_page),
        (r"^/-/digest/(?P<database>[^/]+)/(?P<event_id>[^/]+?)(?:\.(?P<format>json))?$", views.event_page),
    ]


def _digest_link(datasette, name: str) -> dict:
    from .views import digest_url

    return {"href": digest_url(datasette, name), "label": f"News digest: {name}"}


@hookimpl
def menu_links(datasette, actor):
    from .views import can_view

    async def inner():
        return [_digest_link(datasette, name) for name in list(datasette.databases)
                if await can_view(datasette, actor, name)]

    return inner


@hookimpl
def database_actions(datasette, actor, database):
    from .views import can_view

    async def inner():
        return [_digest_link(datasette, database)] if await can_view(datasette, actor, database) else []

    return inner
