"""How archive values look in Datasette's table pages: links to the plugin's pages, dates
people read, long text cut short.

Only the HTML changes: the JSON API keeps every value as stored (full text, ISO timestamps).

May import: the plugin's :mod:`~archive.datasette.urls` and :mod:`~archive.datasette.dates`,
:mod:`archive.search`, markupsafe.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from archive.datasette import dates
from archive.datasette.urls import (
    capture_url,
    diff_url,
    history_url,
    site_url,
    version_url,
)
from archive.search import MARK_START, highlight_html

# Text longer than this is cut in table cells, the rest one click away (folded).
CUT_AT = 160
# Columns whose values can be long: cut in table pages.
LONG_COLUMNS = frozenset(
    {
        "text",
        "change_summary",
        "description",
        "request_headers",
        "response_headers",
        "error",
        "tags",
        "authors",
        "errors_by_kind",
        "old_text",
        "detail",
        "snippet",
    }
)
_TABLES_WITH_ARTICLE_FK = frozenset({"versions", "captures", "events", "article_urls"})
#: Every column :func:`render` may change; the others are Datasette's without a call (the
#: hook runs for every cell of a page: 2,500 on a page of 100 versions).
COLUMNS = (
    frozenset(
        {
            "snippet",
            "id",
            "version_id",
            "capture_id",
            "site",
            "version_count",
            "article_id",
            "change_kind",
            "version",
        }
    )
    | dates.TIMESTAMP_COLUMNS
    | LONG_COLUMNS
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Cells are built with escape() and concatenation rather than Markup.format, whose
# Python-level formatter made up most of a table page's cell time (these run per cell).
def _link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')


def cut(value: str, limit: int = CUT_AT) -> Markup:
    """*value* whole when short; else its start, with the rest folded in ``<details>``."""
    if len(value) <= limit:
        return escape(value)
    head = value[:limit].rsplit(" ", 1)[0] if " " in value[:limit] else value[:limit]
    return Markup(
        f'<details class="na-cut"><summary>{escape(head)}…</summary>'
        f'<div class="na-cut-rest">{escape(value)}</div></details>'
    )


def render(row: Any, value: Any, column: str, table: str | None, database: str, ds: Any):
    """The cell's HTML, or None to leave it to Datasette."""
    keys = list(row.keys()) if hasattr(row, "keys") else []

    def get(key: str) -> Any:
        return row[key] if key in keys else None

    if column == "snippet" and isinstance(value, str) and MARK_START in value:
        return Markup(highlight_html(value))
    if table == "versions" and column == "id" and _int(value):
        return _link(version_url(ds, database, int(value)), f"{value} · read")
    if column == "version_id" and _int(value):
        return _link(version_url(ds, database, int(value)), f"{value} · read")
    if table == "captures" and column == "id" and _int(value):
        return _link(capture_url(ds, database, int(value)), f"{value} · page")
    if column == "capture_id" and _int(value):
        return _link(capture_url(ds, database, int(value)), f"{value} · page")
    if column == "site" and isinstance(value, str) and value:
        return _link(site_url(ds, database, value), value)
    article_id = _int(get("article_id"))
    if table == "articles" and column == "version_count" and "id" in keys:
        article_id = _int(get("id"))
        if article_id is not None and _int(value):
            return _link(history_url(ds, database, article_id), f"{value} · history")
        if article_id is not None and _int(value) == 0:
            return _link(history_url(ds, database, article_id), "0 · why?")
    if article_id is not None:
        if column == "article_id" and table not in _TABLES_WITH_ARTICLE_FK:
            # Views and canned queries have no foreign key links: link to the history instead.
            return _link(history_url(ds, database, article_id), f"{article_id} · history")
        if column == "version_count" and _int(value):
            return _link(history_url(ds, database, article_id), f"{value} · history")
        if column in ("change_kind", "version") and "version" in keys:
            version = _int(get("version"))
            if version is not None:
                if version > 1:
                    target = diff_url(ds, database, article_id, version - 1, version)
                else:
                    target = history_url(ds, database, article_id)
                return _link(target, str(value))
    if column in dates.TIMESTAMP_COLUMNS and dates.parse(value):
        return dates.time_html(value)
    if column in LONG_COLUMNS and isinstance(value, str):
        return cut(value)
    return None
