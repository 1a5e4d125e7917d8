"""Paths of the plugin's pages, built in one place.

May import: Datasette's URL builder (through the ``datasette`` object passed in).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode


def db_path(datasette: Any, database: str) -> str:
    return datasette.urls.database(database)


def history_url(datasette: Any, database: str, article_id: int) -> str:
    return f"{db_path(datasette, database)}/-/history/{int(article_id)}"


def version_url(datasette: Any, database: str, version_id: int) -> str:
    return f"{db_path(datasette, database)}/-/version/{int(version_id)}"


def capture_url(datasette: Any, database: str, capture_id: int) -> str:
    return f"{db_path(datasette, database)}/-/capture/{int(capture_id)}"


def captured_page_url(datasette: Any, database: str, capture_id: int) -> str:
    return f"{capture_url(datasette, database, capture_id)}/page"


def site_url(datasette: Any, database: str, site: str) -> str:
    return f"{db_path(datasette, database)}/-/site?{urlencode({'name': site})}"


def feed_url(datasette: Any, database: str, site: str | None = None) -> str:
    base = f"{db_path(datasette, database)}/-/changes.atom"
    return base + (f"?{urlencode({'site': site})}" if site else "")


def search_url(datasette: Any, database: str) -> str:
    return f"{db_path(datasette, database)}/-/search"


def diff_url(
    datasette: Any, database: str, article_id: int, a: int, b: int, mode: str | None = None
) -> str:
    url = f"{db_path(datasette, database)}/-/diff/{int(article_id)}?a={int(a)}&b={int(b)}"
    return url + (f"&mode={mode}" if mode else "")
