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


#: Columns whose link needs the row's article id (and, for the diff link, its version).
_ARTICLE_LINKED = frozenset({"article_id", "version_count", "change_kind", "version"})


def _field(row: Any, key: str) -> Any:
    """The row's *key* column, or None when it has none."""
    # keys(): ``in`` on an sqlite3.Row looks at its values
    return row[key] if hasattr(row, "keys") and key in row.keys() else None  # noqa: SIM118


def render(row: Any, value: Any, column: str, table: str | None, database: str, ds: Any):
    """The cell's HTML, or None to leave it to Datasette.

    Dispatched on the column first: this runs for every cell of a page that :data:`COLUMNS`
    names (220 on a page of 20 latest versions), so a cell looks at the rest of its row only
    when its link needs the article id."""
    if column in dates.TIMESTAMP_COLUMNS:
        parsed = dates.parse(value)
        return dates.time_element(value, parsed) if parsed is not None else None
    if column in LONG_COLUMNS:
        if not isinstance(value, str):
            return None
        if column == "snippet" and MARK_START in value:
            return Markup(highlight_html(value))
        return cut(value)
    if column == "id":
        if table == "versions" and _int(value):
            return _link(version_url(ds, database, int(value)), f"{value} · read")
        if table == "captures" and _int(value):
            return _link(capture_url(ds, database, int(value)), f"{value} · page")
        return None
    if column == "version_id":
        return (
            _link(version_url(ds, database, int(value)), f"{value} · read") if _int(value) else None
        )
    if column == "capture_id":
        return (
            _link(capture_url(ds, database, int(value)), f"{value} · page") if _int(value) else None
        )
    if column == "site":
        return (
            _link(site_url(ds, database, value), value)
            if isinstance(value, str) and value
            else None
        )
    if column not in _ARTICLE_LINKED:
        return None
    if table == "articles" and column == "version_count":
        article_id = _int(_field(row, "id"))
        if article_id is None:
            return None
        count = _int(value)
        if count:
            return _link(history_url(ds, database, article_id), f"{value} · history")
        return _link(history_url(ds, database, article_id), "0 · why?") if count == 0 else None
    article_id = _int(_field(row, "article_id"))
    if article_id is None:
        return None
    if column == "article_id":
        if table in _TABLES_WITH_ARTICLE_FK:
            return None
        # Views and canned queries have no foreign key links: link to the history instead.
        return _link(history_url(ds, database, article_id), f"{article_id} · history")
    if column == "version_count":
        if not _int(value):
            return None
        return _link(history_url(ds, database, article_id), f"{value} · history")
    version = _int(_field(row, "version"))  # change_kind, version: the diff that made it
    if version is None:
        return None
    if version > 1:
        target = diff_url(ds, database, article_id, version - 1, version)
    else:
        target = history_url(ds, database, article_id)
    return _link(target, str(value))
