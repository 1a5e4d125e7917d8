"""Reading the archive: articles, versions, captures, events, raw pages, counts.

May import: :mod:`archive.store.connection`, :mod:`archive.store.errors`,
:mod:`archive.store.rawpages`, :mod:`archive.search`, :mod:`archive.models`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive import search as fts
from archive.models import utc_iso
from archive.store import rawpages
from archive.store.connection import Connection
from archive.store.errors import ArchiveError, ArticleNotFound, VersionNotFound

SQLITE_MAX_INT = 2**63 - 1


def as_row_id(ref: int | str) -> int | None:
    """*ref* as an id SQLite can hold, or None: "2", 2 -> 2; "²", "-1", 10**30, "x" -> None.

    ``str.isdigit`` accepts superscripts that ``int`` refuses, and numbers past 64 bits make
    sqlite3 raise OverflowError: an id typed by a user must simply find nothing.
    """
    if isinstance(ref, str):
        if not (ref.isascii() and ref.isdigit()):
            return None
        ref = int(ref)
    return ref if 0 <= ref <= SQLITE_MAX_INT else None


class Reads(Connection):
    """The archive's read queries (every one a named method: no SQL outside the store)."""

    def article(self, ref: int | str) -> dict[str, Any]:
        """The article with id *ref*, or whose URL (or alias URL) is *ref*."""
        row = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            row_id = as_row_id(ref)
            if row_id is not None:
                row = self._one("select * from articles where id = ?", [row_id])
        else:
            row = self._one("select * from articles where url = ?", [ref])
            if row is None:
                row = self._one(
                    "select a.* from article_urls u join articles a on a.id = u.article_id "
                    "where u.url = ?",
                    [ref],
                )
        if row is None:
            raise ArticleNotFound(f"no article {ref!r} in the archive")
        return row

    def find_article(self, url: str) -> dict[str, Any] | None:
        try:
            return self.article(url)
        except ArticleNotFound:
            return None

    def due_articles(self, site: str, now: datetime, limit: int | None = None) -> list[dict]:
        """Articles of *site* whose next check is due, oldest-due first."""
        sql = (
            "select * from articles where site = ? and next_check is not null "
            "and next_check <= ? order by next_check, id"
        )
        params: list[Any] = [site, utc_iso(now)]
        if limit is not None:
            sql += " limit ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def live_articles(self, site: str) -> list[dict]:
        """Every article of *site* that is still checked (``crawl --all``)."""
        return list(
            self.db.query(
                "select * from articles where site = ? and next_check is not null order by id",
                [site],
            )
        )

    def retired_articles(self, site: str) -> list[dict]:
        """Articles of *site* the re-check policy no longer schedules (older than its
        ``max_age``); crawls skip them unless asked (``crawl --retired``)."""
        return list(
            self.db.query(
                "select * from articles where site = ? and next_check is null "
                "and status != 'moved' order by id",
                [site],
            )
        )

    def backlog(self, now: datetime) -> dict[str, int]:
        """Due re-checks per site."""
        rows = self.db.query(
            "select site, count(*) as n from articles where next_check is not null "
            "and next_check <= ? group by site",
            [utc_iso(now)],
        )
        return {r["site"]: r["n"] for r in rows}

    # ------------------------------------------------------------------ reading

    def versions(self, article_id: int) -> list[dict]:
        return list(
            self.db.query(
                "select * from versions where article_id = ? order by version", [article_id]
            )
        )

    def version(self, article_id: int, number: int) -> dict:
        if number < 0:  # -1 is the latest, -2 the one before...
            rows = self.versions(article_id)
            if -number > len(rows):
                raise VersionNotFound(f"article {article_id} has {len(rows)} version(s)")
            return rows[number]
        row = None
        if as_row_id(number) is not None:
            row = self._one(
                "select * from versions where article_id = ? and version = ?", [article_id, number]
            )
        if row is None:
            raise VersionNotFound(f"article {article_id} has no version {number}")
        return row

    def captures(self, article_id: int) -> list[dict]:
        return list(
            self.db.query(
                "select * from captures where article_id = ? order by fetched_at, id",
                [article_id],
            )
        )

    def events(self, article_id: int) -> list[dict]:
        return list(
            self.db.query("select * from events where article_id = ? order by at, id", [article_id])
        )

    def raw_page(self, raw_page_id: int) -> bytes:
        """The body stored as raw page *raw_page_id*, as it was fetched (decoded)."""
        row = self._one(
            "select p.content, p.compression, b.content as base, b.compression as base_compression"
            " from raw_pages p left join raw_pages b on b.id = p.base_id where p.id = ?",
            [raw_page_id],
        )
        if row is None:
            raise ArchiveError(f"no raw page {raw_page_id}")
        base = None
        if row["base"] is not None:
            base = rawpages.decompress(row["base"], row["base_compression"])
        return rawpages.decompress(row["content"], row["compression"], base)

    def capture_raw(self, capture_id: int) -> bytes | None:
        """The body capture *capture_id* fetched (None when it kept none: errors, 304s).

        The one way to read a capture's page (re-extraction, WARC export): bodies are stored
        as deltas against earlier ones, never to be read from ``raw_pages`` directly.
        """
        row = self._one("select raw_page_id from captures where id = ?", [capture_id])
        if row is None:
            raise ArchiveError(f"no capture {capture_id}")
        return None if row["raw_page_id"] is None else self.raw_page(row["raw_page_id"])

    def source_validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified a feed or sitemap last answered with, for a conditional GET."""
        row = self._one("select etag, last_modified from sources where url = ?", [url])
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def last_body_sha256(self, article_id: int) -> str | None:
        """SHA-256 of the body of the article's last capture that was read as a version
        (new or unchanged); a failed extraction's body does not count."""
        row = self._one(
            "select r.sha256 from captures c join raw_pages r on r.id = c.raw_page_id "
            "where c.article_id = ? and c.raw_page_id is not null "
            "and c.outcome in ('new-version', 'unchanged') "
            "order by c.fetched_at desc, c.id desc limit 1",
            [article_id],
        )
        return row["sha256"] if row else None

    def status_counts(self) -> dict[str, int]:
        """How many articles have each status (``live``, ``gone``...), by status name."""
        rows = self.db.query("select status, count(*) as n from articles group by status")
        return {r["status"]: r["n"] for r in rows}

    def sites(self) -> set[str]:
        """The site names the archive has articles of."""
        return {r["site"] for r in self.db.query("select distinct site from articles")}

    def edited_articles(self) -> list[dict[str, Any]]:
        """Articles with more than one version, the most edited first."""
        return list(
            self.db.query(
                "select id, url, title, version_count from articles where version_count > 1 "
                "order by version_count desc, id"
            )
        )

    def all_events(self) -> list[dict[str, Any]]:
        """Every lifecycle event in time order, with its article's title."""
        return list(
            self.db.query(
                "select e.*, a.title from events e join articles a on a.id = e.article_id "
                "order by e.at, e.id"
            )
        )

    def search(
        self, query: str, limit: int = 20, *, all_versions: bool = False
    ) -> list[fts.SearchHit]:
        """Full-text search over every version (see :func:`archive.search.search`)."""
        if self.readonly:
            fts.prepare_reader(self.db.conn)
        return fts.search(self.db, query, limit, all_versions=all_versions)

    def counts(self) -> dict[str, int]:
        return {
            name: self.db[name].count
            for name in ("articles", "versions", "captures", "raw_pages", "events", "crawls")
        }

    def changes_since(self, since: datetime, site: str | None = None) -> list[dict]:
        sql = "select * from recent_changes where captured_at >= ?"
        params: list[Any] = [utc_iso(since)]
        if site:
            sql += " and site = ?"
            params.append(site)
        return list(self.db.query(sql, params))
