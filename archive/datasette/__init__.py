"""The Datasette plugin: archive metadata, reader pages, history and diff pages, search, feeds.

This package is the plugin (entry point ``newsarchive = "archive.datasette"`` in the
``datasette`` group), so Datasette finds its ``templates/`` and ``static/`` folders itself,
next to this file. It works for ``newsarchive serve`` and for a plain ``datasette archive.db``
alike, on Datasette 0.65 and 1.0. Only databases that look like a newsarchive archive (they
have ``articles`` and ``versions`` tables) get the metadata and pages; others are left alone.

The hooks here are thin; the work is in the modules beside it:

- :mod:`~archive.datasette.pages`: the plugin's own pages (list in its docstring)
- :mod:`~archive.datasette.cells`: links, dates and cut text in Datasette's table pages
- :mod:`~archive.datasette.table_html`: those pages' rows rendered in one piece
- :mod:`~archive.datasette.configure`: metadata, table settings, canned queries (0.65 and 1.0)
- :mod:`~archive.datasette.metadata`: that metadata, as data
- :mod:`~archive.datasette.charts`: SVG time line and edits per day
- :mod:`~archive.datasette.replay`: the captured page made inert for its sandboxed frame
- :mod:`~archive.datasette.serve`: ``make_datasette`` and ``serve_archive`` for the CLI

Serving is read-only: Datasette opens a file given as a (mutable) database with ``mode=ro``, so
it can follow a live archive while ``newsarchive run`` writes to it (WAL). Never serve a live
archive as immutable (``-i``): SQLite would then skip locking and could read a torn state.

May import: the rest of :mod:`archive`, Datasette, markupsafe; never :mod:`scraper`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments
from markupsafe import Markup

from archive import search as archive_search
from archive.datasette import cells, configure, dates, pages, registry, table_html
from archive.datasette import metadata as archive_metadata
from archive.datasette.urls import db_path, feed_url, search_url
from archive.search import fts_match

PLUGIN_NAME = "newsarchive"  # the distribution's name: Datasette serves static/ under it


def web_url(url: str | None) -> str:
    """*url* if it is an http(s) URL, else ``#``: archived URLs must not become script links."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url
    return "#"


def _description_html(datasette: Any, name: str) -> str:
    base = db_path(datasette, name)
    links = [
        (f"{base}/latest_versions", "Latest versions"),
        (f"{base}/recent_changes", "Recent changes"),
        (search_url(datasette, name), "Search with snippets"),
        (f"{base}/articles", "Articles"),
        (feed_url(datasette, name), "Atom feed of changes"),
    ]
    items = Markup(" · ").join(Markup('<a href="{}">{}</a>').format(h, t) for h, t in links)
    return str(
        Markup('<p>{}</p><p class="na-start">{}</p>').format(
            archive_metadata.DATABASE_DESCRIPTION, items
        )
    )


@hookimpl
def startup(datasette):
    async def inner() -> None:
        names = await registry.find_archives(datasette)
        await configure.apply(datasette, names, {n: _description_html(datasette, n) for n in names})

    return inner


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["na_web_url"] = web_url
    env.filters["na_date"] = dates.time_html
    env.filters["na_readable_date"] = dates.readable
    table_html.install(env, datasette)


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so this one wins
def prepare_connection(conn, database, datasette):
    """``escape_fts`` for archives: the CLI's query rules (phrases, ``word*`` prefixes), and a
    query with no words (a lone ``"``) matches nothing instead of failing with a syntax error;
    and the archive file read through a memory mapping (:func:`archive.search.prepare_reader`)."""
    if database in registry.archive_names(datasette):
        conn.create_function("escape_fts", 1, fts_match, deterministic=True)
        archive_search.prepare_reader(conn)


@hookimpl
def extra_css_urls(database, datasette):
    if database is None or database in registry.archive_names(datasette):
        return [datasette.urls.static_plugins(PLUGIN_NAME, "newsarchive.css")]
    return []


@hookimpl
def extra_template_vars(database, table, request, datasette):
    """``na_feed_url``: the Atom feed the page announces (autodiscovery, see base.html); and
    the words of a bounded table search for the search box (Datasette 1.0 does not pass a
    filter's ``search`` on to the template)."""
    if not database or database not in registry.archive_names(datasette):
        return {}
    extra: dict[str, str] = {"na_feed_url": feed_url(datasette, database)}
    if table in _SEARCH_TABLES and request is not None:
        words = request.args.get(_OWN_SEARCH_ARG)
        if words:
            extra["search"] = words
    return extra


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column not in cells.COLUMNS or not registry.is_archive_name(datasette, database):
        return None
    return cells.render(row, value, column, table, database, datasette)


#: The newest matches a table search box looks at. Datasette's own ``?_search=`` matches every
#: row the index holds before sorting (a word in every article: 200,000 rows, seconds); the
#: index hands out the newest matches first and stops at this bound, so the page stays fast.
SEARCH_BOUND = archive_search.CANDIDATES
_SEARCH_TABLES = {
    "versions": ("id", "versions_fts"),
    "latest_versions": ("version_id", "latest_fts"),
}
_OWN_SEARCH_ARG = "_na_search"
#: The archive's tables and views that grow with it (hundreds of thousands of rows in a year).
#: Their pages skip Datasette's facet suggestions: each suggestion is a query over the whole
#: (filtered) table, a dozen of them per page (360 ms of a 500 ms search page at 200,000
#: versions), and the facets these tables need are configured (metadata.TABLES).
LARGE_TABLES = frozenset(
    {
        "versions",
        "latest_versions",
        "recent_changes",
        "most_edited",
        "articles",
        "captures",
        "events",
        "raw_pages",
        "article_urls",
        "superseded_versions",
    }
)
_TABLE_PATH = re.compile(r"/(?P<database>[^/]+)/(?P<table>[^/.]+)(?:\.\w+)?$")


def rewrite_table_query(table: str, query_string: str) -> str | None:
    """The query string a large archive table's page is served with, or None to leave it.

    - ``_nosuggest=1`` (see :data:`LARGE_TABLES`);
    - on the versions tables, ``_search`` becomes the plugin's own argument, which
      :func:`filters_from_request` turns into the bounded search. The page's links and forms
      carry the renamed argument; a form sent with both (a hidden old search and the search
      box) means the search box, so ``_search`` replaces it.
    """
    if table not in LARGE_TABLES:
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True)
    keys = {k for k, _ in pairs}
    if table in _SEARCH_TABLES and "_search" in keys:
        pairs = [
            (_OWN_SEARCH_ARG if k == "_search" else k, v) for k, v in pairs if k != _OWN_SEARCH_ARG
        ]
    if "_nosuggest" not in keys:
        pairs.append(("_nosuggest", "1"))
    return urlencode(pairs)


@hookimpl
def asgi_wrapper(datasette):
    """Serve the archive's large tables the fast way (:func:`rewrite_table_query`).

    Datasette's own search filter cannot be bounded: ``?_search=`` is renamed before it sees
    it, and :func:`filters_from_request` applies the bounded search instead.
    """

    def wrap(app):
        async def inner(scope, receive, send):
            if scope.get("type") == "http" and (match := _TABLE_PATH.search(scope.get("path", ""))):
                database = match["database"]
                if database in _archive_routes(datasette):
                    query = rewrite_table_query(
                        match["table"], scope.get("query_string", b"").decode("latin-1")
                    )
                    if query is not None:
                        scope = {**scope, "query_string": query.encode("latin-1")}
            await app(scope, receive, send)

        return inner

    return wrap


def _archive_routes(datasette) -> set[str]:
    """The URL names of the archive databases (a database's route is its name by default)."""
    routes = set()
    for name in registry.archive_names(datasette):
        db = datasette.databases.get(name)
        routes.add(getattr(db, "route", None) or name)
    return routes


@hookimpl
def filters_from_request(request, database, table, datasette):
    """``?_search=`` on ``versions`` (every version) and ``latest_versions`` (the latest text).

    The newest :data:`SEARCH_BOUND` matches, straight from the index (version ids grow with
    time); the table's sort then orders those. ``latest_fts`` is keyed by version id, so the
    view is searched by one index lookup too.

    The index is asked once per page (:func:`_newest_matches`) and every query of the page
    (rows, count, each configured facet) gets the ids as a JSON list, instead of running the
    match again in each: five or six times per page, and a phrase or a prefix costs the index
    a few milliseconds each time (bench/search.py).
    """
    if table not in _SEARCH_TABLES:
        return None

    async def inner() -> FilterArguments | None:
        if database not in registry.archive_names(datasette):
            return None
        search = request.args.get(_OWN_SEARCH_ARG, "")
        if not search.strip():
            return FilterArguments([], {}, [], {"supports_search": True, "search": ""})
        column, fts = _SEARCH_TABLES[table]
        scope = "latest text" if table == "latest_versions" else "text"
        described = f'{scope} matches "{search}"'
        ids = await _newest_matches(datasette.get_database(database), fts, search)
        if ids is None:  # the index did not answer in time: each query asks it (and may too)
            described += f" (the newest {SEARCH_BOUND:,} matches at most)"
            where = (
                f"{column} in (select rowid from {fts} where {fts} match "
                f"escape_fts(:na_search) order by rowid desc limit {SEARCH_BOUND})"
            )
            params = {"na_search": search}
        else:
            if len(ids) > SEARCH_BOUND:
                described += f" (the newest {SEARCH_BOUND:,} of more than {SEARCH_BOUND:,} matches)"
            where = f"{column} in (select value from json_each(:na_ids))"
            params = {"na_ids": json.dumps(ids[:SEARCH_BOUND])}
        return FilterArguments(
            [where], params, [described], {"supports_search": True, "search": search}
        )

    return inner


async def _newest_matches(db, fts: str, search: str) -> list[int] | None:
    """The ids of the newest :data:`SEARCH_BOUND` matches and one more (so that the page can
    say whether its count is a bound), newest first; None when the index did not answer in
    time."""
    try:
        result = await db.execute(
            f"select rowid from {fts} where {fts} match escape_fts(:na_search) "
            f"order by rowid desc limit {SEARCH_BOUND + 1}",
            {"na_search": search},
        )
    except QueryInterrupted:
        return None
    return [row[0] for row in result.rows]


@hookimpl
def table_actions(datasette, database, table):
    if database not in registry.archive_names(datasette):
        return []
    return [
        {"href": search_url(datasette, database), "label": "Search with snippets"},
        {"href": feed_url(datasette, database), "label": "Atom feed of changes"},
    ]


@hookimpl
def register_routes(datasette):
    return pages.ROUTES


__all__ = ["PLUGIN_NAME", "web_url"]
