"""The plugin's pages: history, a reader's view of a version, the captured page, a site's
edits, diffs, search (HTML and JSON) and an Atom feed.

Pages (``<db>`` is the database's route, usually the file name without ``.db``)::

    /<db>/-/history/<article id>        versions of an article: time line, links to each
    /<db>/-/history?url=<article URL>   redirects to the above
    /<db>/-/version/<version id>        one version as a reader sees it, previous/next links
    /<db>/-/capture/<capture id>        one fetch: what happened, and the page as captured
    /<db>/-/capture/<capture id>/page   the captured page itself, made inert (see replay)
    /<db>/-/site?name=<site>            a site: edits per day, latest changes, failing URLs
    /<db>/-/diff/<article id>?a=1&b=2   the diff between two versions (&mode=inline)
    /<db>/-/diff/<article id>.json      the same as JSON (ops with offsets)
    /<db>/-/search?q=...                search with highlighted snippets (.json: the same data)
    /<db>/-/changes.atom[?site=NAME]    Atom feed of recent changes

Every string from the archive reaches the page escaped: scraped text is untrusted. Diffs are
built by :mod:`archive.diff`, which escapes, and templates use Jinja's autoescaping. Diffs are
computed in a worker thread, never on the event loop that serves every other request.

May import: the rest of :mod:`archive`, Datasette, markupsafe; never :mod:`scraper`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, TypeVar

from datasette import NotFound, Response
from markupsafe import Markup

from archive import diff as diffs
from archive.datasette import charts, dates, registry, replay
from archive.datasette import metadata as archive_metadata
from archive.datasette.urls import (
    capture_url,
    captured_page_url,
    db_path,
    diff_url,
    feed_url,
    history_url,
    search_url,
    site_url,
    version_url,
)
from archive.search import SearchTimeout
from archive.search import search as run_search
from archive.store import as_row_id, rawpages

T = TypeVar("T")
FEED_SIZE = 50
SEARCH_LIMIT = 50
# /-/search gives up after this long (a prefix query over a large archive can take seconds).
SEARCH_TIME_LIMIT_MS = 2000
_PROGRESS_STEPS = 200  # SQLite VM steps between deadline checks (about 0.02 ms)
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ATOM_NS = "http://www.w3.org/2005/Atom"


class SearchTooSlow(Exception):
    """The search ran past :data:`SEARCH_TIME_LIMIT_MS`."""


# --------------------------------------------------------------------------------------------
# shared


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run CPU-bound work (diffing) in a worker thread, not on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


async def _archive_db(datasette: Any, request) -> tuple[str, Any]:
    route = request.url_vars["database"]
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"no database {route!r}") from None
    if db.name not in registry.archive_names(datasette) or not await registry.is_archive(
        datasette, db.name
    ):
        raise NotFound(f"{route!r} is not a news archive")
    await registry.ensure_can_view(datasette, request.actor, db.name)
    return db.name, db


async def _rows(db, sql: str, params: dict | list | None = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or [])
    return [dict(r) for r in result.rows]


def _row_id(raw: str, what: str) -> int:
    row_id = as_row_id(raw)
    if row_id is None:
        raise NotFound(f"{raw!r} is not a {what} id (a number)")
    return row_id


def _article_id(datasette: Any, name: str, request) -> int:
    """The article id in the page's URL; anything else is a 404 that says what to give."""
    raw = request.url_vars["article_id"]
    article_id = as_row_id(raw)
    if article_id is None:
        if raw.isascii() and raw.isdigit():
            raise NotFound(f"no article {raw}")
        raise NotFound(
            f"{raw!r} is not an article id: use the number from the articles table, or "
            f"{db_path(datasette, name)}/-/history?url=<article URL>"
        )
    return article_id


async def _article(db, article_id: int) -> dict[str, Any]:
    rows = await _rows(db, "select * from articles where id = ?", [article_id])
    if not rows:
        raise NotFound(f"no article {article_id}")
    return rows[0]


async def _last_failure(db, article_id: int) -> dict[str, Any] | None:
    """The last failed capture of an article, when its last capture failed."""
    rows = await _rows(
        db,
        "select id, fetched_at, outcome, reason, error, status_code from captures "
        "where article_id = ? order by id desc limit 1",
        [article_id],
    )
    if rows and rows[0]["outcome"] in ("error", "not-html", "skipped", "gone"):
        return rows[0]
    return None


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(row.get("change_summary") or "{}")
    except ValueError:
        return {}


def _common(datasette: Any, name: str, **extra: Any) -> dict[str, Any]:
    """Context every plugin page gets: its database and the feed to auto-discover."""
    return {
        "database": name,
        "na_page_feed_url": extra.pop("na_feed_url", None) or feed_url(datasette, name),
        "search_url": search_url(datasette, name),
        **extra,
    }


async def _render(datasette: Any, request, template: str, context: dict[str, Any]) -> Response:
    return Response.html(await datasette.render_template(template, context, request=request))


# --------------------------------------------------------------------------------------------
# history


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
        "select id, version, captured_at, capture_id, title, change_kind, words_added, "
        "words_removed, title_changed, word_count, change_summary from versions "
        "where article_id = ? order by version desc",
        [article_id],
    )
    for v in versions:
        v["summary"] = _summary(v)
        v["url"] = version_url(datasette, name, v["id"])
        if v["version"] > 1:
            v["diff_url"] = diff_url(datasette, name, article_id, v["version"] - 1, v["version"])
    timeline = charts.versions_timeline(
        [
            charts.TimelinePoint(
                version=v["version"],
                captured_at=v["captured_at"],
                change_kind=v["change_kind"] or "",
                words_changed=(v["words_added"] or 0) + (v["words_removed"] or 0),
                href=v["url"],
            )
            for v in reversed(versions)
        ]
    )
    events = await _rows(
        db, "select at, kind, detail from events where article_id = ? order by at", [article_id]
    )
    aliases = await _rows(
        db, "select url, kind from article_urls where article_id = ? order by url", [article_id]
    )
    failure = await _last_failure(db, article_id)
    if failure:
        failure["url"] = capture_url(datasette, name, failure["id"])
    return await _render(
        datasette,
        request,
        "newsarchive_history.html",
        _common(
            datasette,
            name,
            na_feed_url=feed_url(datasette, name, article["site"]),
            article=article,
            versions=versions,
            timeline=timeline,
            events=events,
            aliases=aliases,
            failure=failure,
            site_url=site_url(datasette, name, article["site"]),
            article_row_url=datasette.urls.row(name, "articles", article_id),
            captures_url=datasette.urls.table(name, "captures") + f"?article_id={article_id}",
            diff_base_url=f"{db_path(datasette, name)}/-/diff/{article_id}",
        ),
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


# --------------------------------------------------------------------------------------------
# a reader's view of one version


def _json_list(value: str | None) -> list[str]:
    try:
        data = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


async def version_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    version_id = _row_id(request.url_vars["version_id"], "version")
    rows = await _rows(db, "select * from versions where id = ?", [version_id])
    if not rows:
        raise NotFound(f"no version {version_id}")
    version = rows[0]
    article_id = version["article_id"]
    article = await _article(db, article_id)
    neighbours = await _rows(
        db,
        "select id, version, captured_at, change_kind from versions "
        "where article_id = ? and version in (?, ?)",
        [article_id, version["version"] - 1, version["version"] + 1],
    )
    by_number = {n["version"]: n for n in neighbours}
    previous = by_number.get(version["version"] - 1)
    following = by_number.get(version["version"] + 1)
    if previous:
        previous["url"] = version_url(datasette, name, previous["id"])
        previous["diff_url"] = diff_url(
            datasette, name, article_id, previous["version"], version["version"]
        )
    if following:
        following["url"] = version_url(datasette, name, following["id"])
        following["diff_url"] = diff_url(
            datasette, name, article_id, version["version"], following["version"]
        )
    capture = None
    if version["capture_id"] is not None:
        found = await _rows(
            db,
            "select id, fetched_at, url, final_url, status_code, raw_page_id from captures "
            "where id = ?",
            [version["capture_id"]],
        )
        if found:
            capture = found[0]
            capture["url_page"] = capture_url(datasette, name, capture["id"])
    authors = _json_list(version.get("authors"))
    return await _render(
        datasette,
        request,
        "newsarchive_version.html",
        _common(
            datasette,
            name,
            article=article,
            version=version,
            paragraphs=diffs.split_paragraphs(version["text"] or ""),
            byline=version.get("byline") or ", ".join(authors),
            tags=_json_list(version.get("tags")),
            summary=_summary(version),
            previous=previous,
            following=following,
            capture=capture,
            history_url=history_url(datasette, name, article_id),
            row_url=datasette.urls.row(name, "versions", version_id),
        ),
    )


# --------------------------------------------------------------------------------------------
# a capture, and the page as captured


async def _capture(db, request) -> dict[str, Any]:
    capture_id = _row_id(request.url_vars["capture_id"], "capture")
    rows = await _rows(
        db,
        "select c.*, v.id as created_version_id, v.version as created_version "
        "from captures c left join versions v on v.id = c.version_id where c.id = ?",
        [capture_id],
    )
    if not rows:
        raise NotFound(f"no capture {capture_id}")
    return rows[0]


async def capture_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    capture = await _capture(db, request)
    article = await _article(db, capture["article_id"]) if capture["article_id"] else None
    shown = capture["raw_page_id"] is not None and _is_html(capture)
    return await _render(
        datasette,
        request,
        "newsarchive_capture.html",
        _common(
            datasette,
            name,
            capture=capture,
            article=article,
            shown=shown,
            page_url=captured_page_url(datasette, name, capture["id"]),
            sandbox=replay.IFRAME_SANDBOX,
            history_url=history_url(datasette, name, capture["article_id"])
            if capture["article_id"]
            else None,
            version_url=version_url(datasette, name, capture["created_version_id"])
            if capture["created_version_id"]
            else None,
            row_url=datasette.urls.row(name, "captures", capture["id"]),
        ),
    )


def _is_html(capture: dict[str, Any]) -> bool:
    content_type = (capture.get("content_type") or "text/html").lower()
    return "html" in content_type


async def captured_page(datasette, request):
    """The stored body, inert, for the sandboxed iframe of the capture page."""
    name, db = await _archive_db(datasette, request)
    capture = await _capture(db, request)
    if capture["raw_page_id"] is None or not _is_html(capture):
        raise NotFound("this capture stored no HTML page")
    raw = await _rows(
        db,
        "select p.content, p.compression, b.content as base, b.compression as base_compression "
        "from raw_pages p left join raw_pages b on b.id = p.base_id where p.id = ?",
        [capture["raw_page_id"]],
    )
    if not raw:
        raise NotFound("the stored page is missing")

    def build() -> str:
        # A body may be a delta against an earlier one of the same page (archive.store.rawpages).
        row = raw[0]
        base = None
        if row["base"] is not None:
            base = rawpages.decompress(row["base"], row["base_compression"])
        body = rawpages.decompress(row["content"], row["compression"], base)
        return replay.safe_page(replay.decode(body, capture.get("encoding")))

    html = await off_loop(build)
    return Response(
        html,
        content_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": replay.CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


# --------------------------------------------------------------------------------------------
# a site


async def site_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    site = request.args.get("name", "").strip()
    if not site:
        raise NotFound("give the site's name as ?name=")
    counts = await _rows(
        db,
        "select count(*) as articles, sum(version_count) as versions, "
        "sum(status = 'failing') as failing, sum(version_count = 0) as without_version "
        "from articles where site = ?",
        [site],
    )
    if not counts or not counts[0]["articles"]:
        raise NotFound(f"no site {site!r} in the archive")
    edits = await _rows(
        db,
        "select substr(v.captured_at, 1, 10) as day, count(*) as n from versions v "
        "join articles a on a.id = v.article_id where a.site = ? and v.version > 1 "
        "group by day order by day",
        [site],
    )
    days = charts.fill_days({r["day"]: r["n"] for r in edits if dates.parse(r["day"])})
    changes = await _rows(
        db,
        "select v.id, v.article_id, v.version, v.captured_at, v.change_kind, v.words_added, "
        "v.words_removed, v.title from versions v join articles a on a.id = v.article_id "
        "where a.site = ? and v.version > 1 order by v.captured_at desc, v.id desc limit 30",
        [site],
    )
    for c in changes:
        c["url"] = version_url(datasette, name, c["id"])
        c["diff_url"] = diff_url(datasette, name, c["article_id"], c["version"] - 1, c["version"])
    failing = await _rows(
        db,
        "select a.id, a.url, a.title, a.status, c.reason, c.error, c.fetched_at from articles a "
        "left join captures c on c.id = (select max(id) from captures where article_id = a.id) "
        "where a.site = ? and (a.version_count = 0 or a.status = 'failing') "
        "order by a.id desc limit 30",
        [site],
    )
    for f in failing:
        f["history_url"] = history_url(datasette, name, f["id"])
    return await _render(
        datasette,
        request,
        "newsarchive_site.html",
        _common(
            datasette,
            name,
            na_feed_url=feed_url(datasette, name, site),
            site=site,
            counts=counts[0],
            chart=charts.edits_per_day(days),
            total_edits=sum(n for _, n in days),
            days=len(days),
            changes=changes,
            failing=failing,
            articles_url=datasette.urls.table(name, "articles") + f"?site={site}",
            site_feed_url=feed_url(datasette, name, site),
        ),
    )


# --------------------------------------------------------------------------------------------
# diffs


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


def _diff(old: dict[str, Any], new: dict[str, Any]) -> diffs.Diff:
    return diffs.diff_versions(
        old["text"] or "", new["text"] or "", old_title=old["title"], new_title=new["title"]
    )


async def diff_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    if request.url_vars.get("format") not in (None, "json"):
        raise NotFound("diffs come as HTML, or as JSON with .json")
    article_id = _article_id(datasette, name, request)
    article = await _article(db, article_id)
    old, new = await _version_pair(db, article_id, request)
    diff = await off_loop(_diff, old, new)
    if request.url_vars.get("format") == "json":
        data = diffs.render_json(diff)
        data.update(article_id=article_id, url=article["url"], a=old["version"], b=new["version"])
        return Response.json(data)
    mode = request.args.get("mode", "side-by-side")
    if mode not in ("side-by-side", "inline"):
        mode = "side-by-side"
    context = request.args.get("context")
    context_n = None if context == "all" else (as_row_id(context) if context else 1)
    if context_n is None and context != "all":
        context_n = 1
    html = await off_loop(
        diffs.render_html,
        diff,
        mode,
        context=context_n,
        old_label=f"v{old['version']} · {dates.readable(old['captured_at'])}",
        new_label=f"v{new['version']} · {dates.readable(new['captured_at'])}",
    )
    count = (
        await _rows(db, "select count(*) as n from versions where article_id = ?", [article_id])
    )[0]["n"]
    a, b = old["version"], new["version"]
    return await _render(
        datasette,
        request,
        "newsarchive_diff.html",
        _common(
            datasette,
            name,
            article=article,
            old=old,
            new=new,
            old_url=version_url(datasette, name, old["id"]),
            new_url=version_url(datasette, name, new["id"]),
            summary=diffs.summarize_diff(diff),
            diff_html=Markup(html),
            mode=mode,
            version_numbers=list(range(1, count + 1)),
            history_url=history_url(datasette, name, article_id),
            inline_url=diff_url(datasette, name, article_id, a, b, "inline"),
            side_url=diff_url(datasette, name, article_id, a, b, "side-by-side"),
            all_url=diff_url(datasette, name, article_id, a, b, mode) + "&context=all",
            json_url=f"{db_path(datasette, name)}/-/diff/{article_id}.json?a={a}&b={b}",
            prev_url=diff_url(datasette, name, article_id, a - 1, a, mode) if a > 1 else None,
            next_url=diff_url(datasette, name, article_id, b, b + 1, mode) if b < count else None,
            form_action=f"{db_path(datasette, name)}/-/diff/{article_id}",
        ),
    )


# --------------------------------------------------------------------------------------------
# search


def _search_with_deadline(conn: sqlite3.Connection, query: str, all_versions: bool) -> list:
    deadline = time.monotonic() + SEARCH_TIME_LIMIT_MS / 1000

    def check() -> int:
        return 1 if time.monotonic() > deadline else 0

    conn.set_progress_handler(check, _PROGRESS_STEPS)
    try:
        return run_search(
            conn,
            query,
            limit=SEARCH_LIMIT,
            all_versions=all_versions,
            seconds=SEARCH_TIME_LIMIT_MS / 1000,
        )
    except SearchTimeout as exc:  # the search's own time limit
        raise SearchTooSlow(
            f"the search took longer than {SEARCH_TIME_LIMIT_MS / 1000:g} s: "
            "use more or longer words"
        ) from exc
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise SearchTooSlow(
                f"the search took longer than {SEARCH_TIME_LIMIT_MS / 1000:g} s: "
                "use more or longer words"
            ) from exc
        raise
    finally:
        conn.set_progress_handler(None, _PROGRESS_STEPS)


async def _search(datasette, request) -> tuple[str, dict[str, Any]]:
    name, db = await _archive_db(datasette, request)
    query = request.args.get("q", "")
    all_versions = request.args.get("all") == "1"
    hits: list = []
    error = None
    if query.strip():
        try:
            hits = await db.execute_fn(
                lambda conn: _search_with_deadline(conn, query, all_versions)
            )
        except SearchTooSlow as exc:
            error = str(exc)
    results = [
        {
            "hit": hit,
            "snippet": Markup(hit.snippet_html),
            "history_url": history_url(datasette, name, hit.article_id),
            "version_url": version_url(datasette, name, hit.version_id),
            "diff_url": diff_url(datasette, name, hit.article_id, hit.version - 1, hit.version)
            if hit.version > 1
            else None,
        }
        for hit in hits
    ]
    return name, {"q": query, "all_versions": all_versions, "results": results, "error": error}


async def search_page(datasette, request):
    name, found = await _search(datasette, request)
    if request.url_vars.get("format") == "json":
        return _search_json(datasette, request, found)
    if request.url_vars.get("format"):
        raise NotFound("search results come as HTML, or as JSON with /-/search.json")
    return await _render(
        datasette,
        request,
        "newsarchive_search.html",
        _common(
            datasette,
            name,
            **found,
            versions_search_url=datasette.urls.table(name, "versions"),
        ),
    )


def _search_json(datasette, request, found: dict[str, Any]) -> Response:
    results = [
        {
            "article_id": r["hit"].article_id,
            "version_id": r["hit"].version_id,
            "version": r["hit"].version,
            "version_count": r["hit"].version_count,
            "url": r["hit"].url,
            "site": r["hit"].site,
            "title": r["hit"].title,
            "captured_at": r["hit"].captured_at,
            "snippet": r["hit"].snippet,
            "snippet_html": r["hit"].snippet_html,
            "history_url": datasette.absolute_url(request, r["history_url"]),
            "version_url": datasette.absolute_url(request, r["version_url"]),
        }
        for r in found["results"]
    ]
    data = {"q": found["q"], "all_versions": found["all_versions"], "results": results}
    if found["error"]:
        data["error"] = found["error"]
        return Response.json(data, status=503)
    return Response.json(data)


# --------------------------------------------------------------------------------------------
# feed


def _feed_entries(rows: list[dict[str, Any]]) -> list[str]:
    return [
        diffs.render_html(
            diffs.diff_versions(
                row["old_text"] or "",
                row["text"] or "",
                old_title=row["old_title"],
                new_title=row["title"],
            ),
            "inline",
            context=0,
        )
        for row in rows
    ]


async def feed_page(datasette, request):
    name, db = await _archive_db(datasette, request)
    site = request.args.get("site", "").strip() or None
    rows = await _rows(
        db,
        "select v.id, v.article_id, v.version, v.captured_at, v.title, v.change_kind, "
        "v.words_added, v.words_removed, v.title_changed, v.text, a.url, a.site, "
        "p.title as old_title, p.text as old_text "
        "from versions v join articles a on a.id = v.article_id "
        "join versions p on p.article_id = v.article_id and p.version = v.version - 1 "
        "where (:site is null or a.site = :site) "
        "order by v.captured_at desc, v.id desc limit :limit",
        {"site": site, "limit": FEED_SIZE},
    )
    contents = await off_loop(_feed_entries, rows)
    self_url = datasette.absolute_url(request, feed_url(datasette, name, site))
    feed = ET.Element("feed", xmlns=ATOM_NS)
    title = f"{archive_metadata.INSTANCE_TITLE}: recent changes" + (f" on {site}" if site else "")
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "id").text = self_url
    ET.SubElement(feed, "link", rel="self", href=self_url)
    alternate = site_url(datasette, name, site) if site else datasette.urls.database(name)
    ET.SubElement(feed, "link", rel="alternate", href=datasette.absolute_url(request, alternate))
    updated = rows[0]["captured_at"] if rows else "1970-01-01T00:00:00+00:00"
    ET.SubElement(feed, "updated").text = updated
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "newsarchive"
    for row, content in zip(rows, contents, strict=True):
        entry = ET.SubElement(feed, "entry")
        link = datasette.absolute_url(
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
        # ElementTree escapes the (already escaped) HTML once more, as type="html" requires.
        ET.SubElement(entry, "content", type="html").text = content
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    # ElementTree writes control characters as they are, and one of them from one scraped page
    # would make the whole feed unreadable XML.
    body = _NOT_XML_CHAR.sub("\ufffd", body)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


async def not_found_page(datasette, request):
    """Deeper paths under the plugin's pages: a plain 404 (see the routes)."""
    raise NotFound("no such page: see /-/history/<id>, /-/version/<id>, /-/diff/<id>")


ROUTES = [
    # Ids are matched loosely and checked in the view, which answers with a page that says
    # what to give instead of Datasette's bare 404.
    (
        r"^/(?P<database>[^/]+)/-/history/(?P<article_id>[^/.]+)(\.(?P<format>[^/]*))?$",
        history_page,
    ),
    (r"^/(?P<database>[^/]+)/-/history$", find_page),
    (r"^/(?P<database>[^/]+)/-/version/(?P<version_id>[^/.]+)$", version_page),
    (r"^/(?P<database>[^/]+)/-/capture/(?P<capture_id>[^/.]+)$", capture_page),
    (r"^/(?P<database>[^/]+)/-/capture/(?P<capture_id>[^/.]+)/page$", captured_page),
    (r"^/(?P<database>[^/]+)/-/site$", site_page),
    (r"^/(?P<database>[^/]+)/-/diff/(?P<article_id>[^/.]+)(\.(?P<format>[^/]*))?$", diff_page),
    (r"^/(?P<database>[^/]+)/-/(history|diff|version|capture)/.*$", not_found_page),
    (r"^/(?P<database>[^/]+)/-/search(\.(?P<format>[^/]*))?$", search_page),
    (r"^/(?P<database>[^/]+)/-/changes\.atom$", feed_page),
]
