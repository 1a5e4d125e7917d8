"""The Datasette plugin: archive metadata, history and diff pages, search, an Atom feed.

Loaded through the ``datasette`` entry point, so it works for ``newsarchive serve`` and for a
plain ``datasette archive.db`` alike. Only databases that look like a newsarchive archive (they
have ``articles`` and ``versions`` tables) get the metadata and pages; others are left alone.

Pages (``<db>`` is the database's route, usually the file name without ``.db``)::

    /<db>/-/history/<article id>        versions of an article, with links to each diff
    /<db>/-/history?url=<article URL>   redirects to the above
    /<db>/-/diff/<article id>?a=1&b=2   the diff between two versions (&mode=inline)
    /<db>/-/diff/<article id>.json      the same as JSON (ops with offsets)
    /<db>/-/search?q=...                search with highlighted snippets
    /<db>/-/changes.atom                Atom feed of recent changes

Every string from the archive reaches the page escaped: scraped text is untrusted. Diffs are
built by :mod:`archive.diff`, which escapes, and templates use Jinja's autoescaping.

Serving is read-only: Datasette opens a file given as a (mutable) database with ``mode=ro``, so
it can follow a live archive while ``newsarchive run`` writes to it (WAL). Never serve a live
archive as immutable (``-i``): SQLite would then skip locking and could read a torn state.
"""

from __future__ import annotations

import json
import logging
import re
import weakref
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette import NotFound, Response, hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup

from archive import diff as diffs
from archive.datasette import metadata as archive_metadata
from archive.search import MARK_START, fts_match, highlight_html
from archive.search import search as run_search
from archive.store import as_row_id

if TYPE_CHECKING:
    from datasette.app import Datasette

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
CSS_URL = "/-/newsarchive/newsarchive.css"
FEED_SIZE = 50
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ATOM_NS = "http://www.w3.org/2005/Atom"

# Names of the databases that are archives, per Datasette instance (found at startup).
_archives: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


class ArchiveServeError(Exception):
    """The archive cannot be served (missing file, not an archive)."""


# --------------------------------------------------------------------------------------------
# which databases are archives


async def _is_archive(datasette: Datasette, name: str) -> bool:
    if name.startswith("_"):
        return False
    try:
        tables = set(await datasette.get_database(name).table_names())
    except Exception:  # a damaged or unreadable file is just "not an archive"
        return False
    return {"articles", "versions", "versions_fts"} <= tables


def _archive_names(datasette: Datasette) -> list[str]:
    known = _archives.get(datasette)
    if known is not None:
        return sorted(n for n in known if n in datasette.databases)
    # Before startup has run: assume every user database is one.
    return [n for n in datasette.databases if not n.startswith("_")]


@hookimpl
def startup(datasette):
    async def inner() -> None:
        names = set()
        for name in list(datasette.databases):
            if await _is_archive(datasette, name):
                names.add(name)
                if not datasette.get_database(name).is_mutable:
                    log.warning(
                        "archive %r is served as immutable: only do that with a copy that "
                        "no crawl writes to any more",
                        name,
                    )
        _archives[datasette] = names

    return inner


@hookimpl
def get_metadata(datasette, key, database, table):
    names = _archive_names(datasette)
    data = archive_metadata.instance_metadata(names)
    for name in names:
        base = _db_path(datasette, name)
        data["databases"][name]["description_html"] = Markup(
            '{} <a href="{}">Search with snippets</a> · <a href="{}">recent changes</a> · '
            '<a href="{}">Atom feed of changes</a>'
        ).format(
            archive_metadata.DATABASE_DESCRIPTION,
            f"{base}/-/search",
            f"{base}/recent_changes",
            f"{base}/-/changes.atom",
        )
    return data


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # The plugin is a module, not a package, so Datasette does not find archive/templates by
    # itself; add it after the user's and Datasette's own templates.
    from jinja2 import ChoiceLoader, FileSystemLoader

    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES_DIR))])
    env.filters["na_web_url"] = web_url


def web_url(url: str | None) -> str:
    """*url* if it is an http(s) URL, else ``#``: archived URLs must not become script links."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url
    return "#"


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so this one wins
def prepare_connection(conn, database, datasette):
    """``escape_fts`` for archives: the CLI's query rules (phrases, ``word*`` prefixes), and a
    query with no words (a lone ``"``) matches nothing instead of failing with a syntax error."""
    if database in _archive_names(datasette):
        conn.create_function("escape_fts", 1, fts_match, deterministic=True)


@hookimpl
def extra_css_urls(database, datasette):
    if database is None or database in _archive_names(datasette):
        return [datasette.urls.path(CSS_URL)]
    return []


# --------------------------------------------------------------------------------------------
# table views: links to the history and diff pages, highlighted snippets


def _db_path(datasette: Datasette, database: str) -> str:
    return datasette.urls.database(database)


def history_url(datasette: Datasette, database: str, article_id: int) -> str:
    return f"{_db_path(datasette, database)}/-/history/{int(article_id)}"


def diff_url(
    datasette: Datasette, database: str, article_id: int, a: int, b: int, mode: str | None = None
) -> str:
    url = f"{_db_path(datasette, database)}/-/diff/{int(article_id)}?a={int(a)}&b={int(b)}"
    return url + (f"&mode={mode}" if mode else "")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database is None or database not in _archive_names(datasette):
        return None
    if column == "snippet" and isinstance(value, str) and MARK_START in value:
        return Markup(highlight_html(value))
    keys = row.keys() if hasattr(row, "keys") else []
    article_id = _int(row["article_id"]) if "article_id" in keys else None
    if table == "articles" and column == "version_count" and "id" in keys:
        article_id = _int(row["id"])
        if article_id is not None and _int(value):
            return _link(history_url(datasette, database, article_id), f"{value} · history")
    if article_id is None:
        return None
    if column == "article_id" and table not in _TABLES_WITH_ARTICLE_FK:
        # Views and canned queries have no foreign key links: link to the history instead.
        return _link(history_url(datasette, database, article_id), f"{article_id} · history")
    if column == "version_count" and _int(value):
        return _link(history_url(datasette, database, article_id), f"{value} · history")
    if column in ("change_kind", "version") and "version" in keys:
        version = _int(row["version"])
        if version is None:
            return None
        if version > 1:
            target = diff_url(datasette, database, article_id, version - 1, version)
        else:
            target = history_url(datasette, database, article_id)
        return _link(target, str(value))
    return None


_TABLES_WITH_ARTICLE_FK = frozenset({"versions", "captures", "events", "article_urls"})


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


@hookimpl
def filters_from_request(request, database, table, datasette):
    """``?_search=`` on ``latest_versions``: match the latest text of each article only.

    The view has no column holding the version id that the FTS index is keyed on, so the
    generic search cannot apply; this filter matches (article, version) pairs instead.
    """
    if table != "latest_versions" or "_search" not in request.args:
        return None

    async def inner() -> FilterArguments | None:
        if database not in _archive_names(datasette):
            return None
        search = request.args.get("_search", "")
        if not search.strip():
            return None
        return FilterArguments(
            [
                "(article_id, version) in (select article_id, version from versions "
                "where id in (select rowid from versions_fts "
                "where versions_fts match escape_fts(:latest_search)))"
            ],
            {"latest_search": search},
            [f'latest text matches "{search}"'],
            {"supports_search": True, "search": search},
        )

    return inner


@hookimpl
def table_actions(datasette, database, table):
    if database not in _archive_names(datasette):
        return []
    return [
        {"href": f"{_db_path(datasette, database)}/-/search", "label": "Search with snippets"},
        {
            "href": f"{_db_path(datasette, database)}/-/changes.atom",
            "label": "Atom feed of changes",
        },
    ]


# --------------------------------------------------------------------------------------------
# pages


async def _archive_db(datasette: Datasette, request) -> tuple[str, Any]:
    route = request.url_vars["database"]
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"no database {route!r}") from None
    if db.name not in _archive_names(datasette) or not await _is_archive(datasette, db.name):
        raise NotFound(f"{route!r} is not a news archive")
    await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
    return db.name, db


async def _rows(db, sql: str, params: dict | list | None = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or [])
    return [dict(r) for r in result.rows]


def _article_id(datasette: Datasette, name: str, request) -> int:
    """The article id in the page's URL; anything else is a 404 that says what to give."""
    raw = request.url_vars["article_id"]
    article_id = as_row_id(raw)
    if article_id is None:
        if raw.isascii() and raw.isdigit():
            raise NotFound(f"no article {raw}")
        raise NotFound(
            f"{raw!r} is not an article id: use the number from the articles table, or "
            f"{_db_path(datasette, name)}/-/history?url=<article URL>"
        )
    return article_id


async def _article(db, article_id: int) -> dict[str, Any]:
    rows = await _rows(db, "select * from articles where id = ?", [article_id])
    if not rows:
        raise NotFound(f"no article {article_id}")
    return rows[0]


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(row.get("change_summary") or "{}")
    except ValueError:
        return {}


async def history_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    if request.url_vars.get("format"):
        raise NotFound(
            "the history page is HTML only; the versions as JSON: "
            f"{datasette.urls.table(name, 'versions')}.json?article_id={request.url_vars['article_id']}"
        )
    article_id = _article_id(datasette, name, request)
    article = await _article(db, article_id)
    versions = await _rows(
        db,
        "select id, version, captured_at, title, change_kind, words_added, words_removed, "
        "title_changed, word_count, change_summary from versions where article_id = ? "
        "order by version desc",
        [article_id],
    )
    for v in versions:
        v["summary"] = _summary(v)
        v["row_url"] = datasette.urls.row(name, "versions", v["id"])
        if v["version"] > 1:
            v["diff_url"] = diff_url(datasette, name, article_id, v["version"] - 1, v["version"])
    events = await _rows(
        db, "select at, kind, detail from events where article_id = ? order by at", [article_id]
    )
    aliases = await _rows(
        db, "select url, kind from article_urls where article_id = ? order by url", [article_id]
    )
    return Response.html(
        await datasette.render_template(
            "newsarchive_history.html",
            {
                "database": name,
                "article": article,
                "versions": versions,
                "events": events,
                "aliases": aliases,
                "article_row_url": datasette.urls.row(name, "articles", article_id),
                "captures_url": datasette.urls.table(name, "captures")
                + f"?article_id={article_id}",
                "diff_base_url": f"{_db_path(datasette, name)}/-/diff/{article_id}",
                "search_url": f"{_db_path(datasette, name)}/-/search",
            },
            request=request,
        )
    )


async def find_page(datasette, request):
    """``/<db>/-/history?url=...``: the history of the article with that URL (or alias)."""
    name, db = await _archive_db(datasette, request)
    url = request.args.get("url", "").strip()
    if not url:
        raise NotFound("give the article's URL as ?url=")
    rows = await _rows(
        db,
        "select id from articles where url = :url union all "
        "select article_id from article_urls where url = :url limit 1",
        {"url": url},
    )
    if not rows:
        raise NotFound(f"no article with URL {url!r} in the archive")
    return Response.redirect(history_url(datasette, name, rows[0]["id"]))


async def _version_pair(db, article_id: int, request) -> tuple[dict, dict]:
    count_rows = await _rows(
        db, "select max(version) as n from versions where article_id = ?", [article_id]
    )
    latest = count_rows[0]["n"] if count_rows else None
    if not latest:
        raise NotFound(f"article {article_id} has no versions")
    b = _version_arg(request, "b", latest)
    a = _version_arg(request, "a", max(1, b - 1))
    rows = await _rows(
        db,
        "select * from versions where article_id = ? and version in (?, ?)",
        [article_id, a, b],
    )
    by_number = {r["version"]: r for r in rows}
    if a not in by_number or b not in by_number:
        raise NotFound(f"article {article_id} has versions 1 to {latest}")
    return by_number[a], by_number[b]


def _version_arg(request, key: str, default: int) -> int:
    """``?a=``/``?b=``: absent or empty means *default*; anything but a version number is a 404
    rather than a silently different diff."""
    raw = request.args.get(key, "").strip()
    if not raw:
        return default
    number = as_row_id(raw)
    if number is None or number == 0:
        raise NotFound(f"?{key}= must be a version number (1, 2, ...), not {raw!r}")
    return number


async def diff_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    if request.url_vars.get("format") not in (None, "json"):
        raise NotFound("diffs come as HTML, or as JSON with .json")
    article_id = _article_id(datasette, name, request)
    article = await _article(db, article_id)
    old, new = await _version_pair(db, article_id, request)
    diff = diffs.diff_versions(
        old["text"] or "", new["text"] or "", old_title=old["title"], new_title=new["title"]
    )
    if request.url_vars.get("format") == "json":
        data = diffs.render_json(diff)
        data.update(article_id=article_id, url=article["url"], a=old["version"], b=new["version"])
        return Response.json(data)
    mode = request.args.get("mode", "side-by-side")
    if mode not in ("side-by-side", "inline"):
        mode = "side-by-side"
    context = request.args.get("context")
    context_n = None if context == "all" else (_int(context) if context else 1)
    if context_n is not None and context_n < 0:
        context_n = 1
    html = diffs.render_html(
        diff,
        mode,
        context=context_n,
        old_label=f"Version {old['version']} · {old['captured_at']}",
        new_label=f"Version {new['version']} · {new['captured_at']}",
    )
    count = (
        await _rows(db, "select count(*) as n from versions where article_id = ?", [article_id])
    )[0]["n"]
    a, b = old["version"], new["version"]
    return Response.html(
        await datasette.render_template(
            "newsarchive_diff.html",
            {
                "database": name,
                "article": article,
                "old": old,
                "new": new,
                "summary": diffs.summarize_diff(diff),
                "diff_html": Markup(html),
                "mode": mode,
                "version_numbers": list(range(1, count + 1)),
                "history_url": history_url(datasette, name, article_id),
                "inline_url": diff_url(datasette, name, article_id, a, b, "inline"),
                "side_url": diff_url(datasette, name, article_id, a, b, "side-by-side"),
                "all_url": diff_url(datasette, name, article_id, a, b, mode) + "&context=all",
                "json_url": f"{_db_path(datasette, name)}/-/diff/{article_id}.json?a={a}&b={b}",
                "prev_url": diff_url(datasette, name, article_id, a - 1, a, mode)
                if a > 1
                else None,
                "next_url": diff_url(datasette, name, article_id, b, b + 1, mode)
                if b < count
                else None,
                "form_action": f"{_db_path(datasette, name)}/-/diff/{article_id}",
            },
            request=request,
        )
    )


async def search_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    query = request.args.get("q", "")
    all_versions = request.args.get("all") == "1"
    hits = []
    if query.strip():

        def run(conn):
            return run_search(conn, query, limit=50, all_versions=all_versions)

        hits = await db.execute_fn(run)
    results = [
        {
            "hit": hit,
            "snippet": Markup(hit.snippet_html),
            "history_url": history_url(datasette, name, hit.article_id),
            "diff_url": diff_url(datasette, name, hit.article_id, hit.version - 1, hit.version)
            if hit.version > 1
            else None,
        }
        for hit in hits
    ]
    return Response.html(
        await datasette.render_template(
            "newsarchive_search.html",
            {
                "database": name,
                "q": query,
                "all_versions": all_versions,
                "results": results,
                "versions_search_url": datasette.urls.table(name, "versions"),
            },
            request=request,
        )
    )


def _absolute(request, path: str) -> str:
    scheme = request.scheme
    host = request.host
    return f"{scheme}://{host}{path}"


async def feed_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    rows = await _rows(
        db,
        "select v.id, v.article_id, v.version, v.captured_at, v.title, v.change_kind, "
        "v.words_added, v.words_removed, v.title_changed, v.text, a.url, a.site, "
        "p.title as old_title, p.text as old_text "
        "from versions v join articles a on a.id = v.article_id "
        "join versions p on p.article_id = v.article_id and p.version = v.version - 1 "
        "order by v.captured_at desc, v.id desc limit ?",
        [FEED_SIZE],
    )
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "title").text = f"{archive_metadata.INSTANCE_TITLE}: recent changes"
    ET.SubElement(feed, "id").text = _absolute(request, request.path)
    ET.SubElement(feed, "link", rel="self", href=_absolute(request, request.path))
    ET.SubElement(
        feed, "link", rel="alternate", href=_absolute(request, datasette.urls.database(name))
    )
    updated = rows[0]["captured_at"] if rows else "1970-01-01T00:00:00+00:00"
    ET.SubElement(feed, "updated").text = updated
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "newsarchive"
    for row in rows:
        entry = ET.SubElement(feed, "entry")
        link = _absolute(
            request,
            diff_url(datasette, name, row["article_id"], row["version"] - 1, row["version"]),
        )
        ET.SubElement(entry, "id").text = link
        ET.SubElement(entry, "title").text = f"[{row['change_kind']}] {row['title'] or row['url']}"
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=link)
        ET.SubElement(entry, "link", rel="related", href=row["url"])
        ET.SubElement(entry, "updated").text = row["captured_at"]
        ET.SubElement(entry, "summary").text = (
            f"Version {row['version']} of {row['url']} ({row['site']}): {row['change_kind']}, "
            f"+{row['words_added']}/-{row['words_removed']} words"
            + (", headline changed" if row["title_changed"] else "")
        )
        diff = diffs.diff_versions(
            row["old_text"] or "",
            row["text"] or "",
            old_title=row["old_title"],
            new_title=row["title"],
        )
        # ElementTree escapes the (already escaped) HTML once more, as type="html" requires.
        ET.SubElement(entry, "content", type="html").text = diffs.render_html(
            diff, "inline", context=0
        )
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    # ElementTree writes control characters as they are, and one of them from one scraped page
    # would make the whole feed unreadable XML.
    body = _NOT_XML_CHAR.sub("\ufffd", body)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


async def not_found_page(datasette, request):
    """Deeper paths under the history and diff pages: a plain 404 (see register_routes)."""
    raise NotFound("no such page: history and diff pages are /-/history/<id> and /-/diff/<id>")


async def css_page(datasette, request):
    return Response(
        (STATIC_DIR / "newsarchive.css").read_text(encoding="utf-8"),
        content_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=3600"},
    )


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/newsarchive/newsarchive\.css$", css_page),
        # Ids are matched loosely and checked in the view, which answers with a page that says
        # what to give instead of Datasette's bare 404.
        (
            r"^/(?P<database>[^/]+)/-/history/(?P<article_id>[^/.]+)(\.(?P<format>[^/]*))?$",
            history_page,
        ),
        (r"^/(?P<database>[^/]+)/-/history$", find_page),
        (r"^/(?P<database>[^/]+)/-/diff/(?P<article_id>[^/.]+)(\.(?P<format>[^/]*))?$", diff_page),
        (r"^/(?P<database>[^/]+)/-/(history|diff)/.*$", not_found_page),
        (r"^/(?P<database>[^/]+)/-/search$", search_page),
        (r"^/(?P<database>[^/]+)/-/changes\.atom$", feed_page),
    ]


# --------------------------------------------------------------------------------------------
# serving


def make_datasette(db_path: str | Path, **kwargs: Any) -> Datasette:
    """A Datasette instance serving the archive at *db_path* read-only, with this plugin.

    The file is opened as a mutable database, which Datasette reads with ``mode=ro``: safe
    while a crawl writes to it. Keyword arguments go to :class:`~datasette.app.Datasette`.
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    path = Path(db_path)
    if not path.is_file():
        raise ArchiveServeError(f"{path}: no such archive (run a crawl first)")
    if kwargs.get("immutables"):
        raise ArchiveServeError("a live archive must not be served as immutable")
    _register(pm)
    settings = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 500, **kwargs.pop("settings", {})}
    return Datasette([str(path)], settings=settings, **kwargs)


def _register(pm) -> None:
    """Make sure the plugin is loaded even where the entry point is not installed."""
    import sys

    module = sys.modules[__name__]
    if not pm.is_registered(module) and pm.get_plugin("newsarchive") is None:
        pm.register(module, name="newsarchive")


def serve_archive(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    open_browser: bool = False,
    **kwargs: Any,
) -> None:
    """Serve the archive with Datasette until interrupted (what ``newsarchive serve`` runs)."""
    import threading
    import webbrowser

    import uvicorn

    ds = make_datasette(db_path, **kwargs)
    if open_browser:
        url = f"http://{host}:{port}/"
        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


__all__ = [
    "ArchiveServeError",
    "diff_url",
    "history_url",
    "make_datasette",
    "serve_archive",
]
