"""Datasette hooks only; the work is done in the modules they call."""

from datasette import hookimpl


@hookimpl
def startup(datasette):
    from . import settings, store, views

    for db in datasette.databases.values():
        if db.path and not db.is_memory:
            store.roll_back_interrupted_write(db.path)
    try:
        settings.configure(datasette)
    except settings.ConfigError as e:
        raise settings.StartupConfigError(str(e)) from None
    views.compile_templates(datasette)

    async def find_served():
        from .views import has_digest

        for db in list(datasette.databases.values()):
            await has_digest(db)

    return find_served


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
        (r"^/-/digest/(?P<database>[^/]+)/article/(?P<article_id>[^/]+?)(?:\.(?P<format>json))?$", views.article_page),
        (r"^/-/digest/(?P<database>[^/]+)/story/(?P<story_id>[^/]+?)(?:\.(?P<format>json))?$", views.story_page),
        (r"^/-/digest/(?P<database>[^/]+)/(?P<event_id>[^/]+?)(?:\.(?P<format>json))?$", views.event_page),
    ]


def _digest_link(datasette, name: str) -> dict:
    from .views import digest_url

    return {"href": digest_url(datasette, name), "label": f"News digest: {name}"}


@hookimpl
def menu_links(datasette, actor, request):
    from .views import can_view

    async def inner():
        return [_digest_link(datasette, name) for name in list(datasette.databases)
                if await can_view(datasette, actor, name, request)]

    return inner


@hookimpl
def database_actions(datasette, actor, database, request):
    from .views import can_view

    async def inner():
        shown = await can_view(datasette, actor, database, request)
        return [_digest_link(datasette, database)] if shown else []

    return inner


@hookimpl
def get_metadata(datasette, key, database, table):
    from . import browse

    return browse.metadata(datasette) if key in browse.METADATA_KEYS else None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    from . import browse

    return browse.cell(datasette, database, table, column, row, value)


@hookimpl
def asgi_wrapper(datasette):
    from . import browse

    return lambda app: browse.without_raw(datasette, app)


@hookimpl
def extra_template_vars(view_name, database, request, datasette):
    from . import browse

    async def inner():
        actor = request.actor if request else None
        return {"newsdigest_links": await browse.digest_links(datasette, actor, view_name, database, request)}

    return inner
