"""Reading the archive out: articles, versions and captures as streams, for exports and WARC.

Every method here is a generator over one SQLite cursor (or a single-row lookup), so an export
of any size runs in constant memory. Also the two look-ups a WARC import needs (is this capture
already here? which page did a revisit record refer to?).

May import: :mod:`archive.store.reads`, :mod:`archive.models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from archive.models import utc_iso
from archive.store.reads import Reads


def scope(
    alias: str, moment: str, site: str | None, since: datetime | None
) -> tuple[str, list[Any]]:
    """A ``where`` clause limiting rows to a site (column ``alias.site``) and a start time."""
    clauses, params = [], []
    if site is not None:
        clauses.append(f"{alias}.site = ?")
        params.append(site)
    if since is not None:
        clauses.append(f"{moment} >= ?")
        params.append(utc_iso(since))
    return (" where " + " and ".join(clauses) if clauses else ""), params


class Exports(Reads):
    """Streams of rows for ``export`` and the WARC modules."""

    def export_versions(
        self, *, site: str | None = None, since: datetime | None = None
    ) -> Iterator[dict]:
        """Every version (of *site*, captured since *since*), by article then version number."""
        where, params = scope("a", "v.captured_at", site, since)
        yield from self.db.query(
            "select a.url, a.site, v.article_id, v.version, v.captured_at, v.title, v.byline, "
            "v.authors, v.published, v.modified, v.language, v.section, v.tags, v.word_count, "
            "v.change_kind, v.words_added, v.words_removed, v.title_changed, v.change_summary, "
            "v.extractor_version, v.method, v.text from versions v "
            f"join articles a on a.id = v.article_id{where} order by a.id, v.version",
            params,
        )

    def export_articles(
        self, *, site: str | None = None, since: datetime | None = None
    ) -> Iterator[dict]:
        """Every article (of *site*, checked since *since*) with its state and counts."""
        where, params = scope("a", "a.last_checked", site, since)
        yield from self.db.query(
            "select a.id, a.url, a.site, a.status, a.title, a.published, "
            "a.first_seen, a.last_checked, a.last_changed, a.version_count, a.capture_count, "
            "(select json_group_array(u.url) from article_urls u where u.article_id = a.id) "
            f"as aliases from articles a{where} order by a.id",
            params,
        )

    def export_captures(
        self, *, site: str | None = None, since: datetime | None = None
    ) -> Iterator[dict]:
        """Captures that got an HTTP response, in capture order, with their raw page's digest.

        Bodies are read one at a time with :meth:`raw_page`. Fetches that never got a response
        (robots, timeouts) have no ``status_code``: no exchange a WARC could hold.
        """
        where, params = scope("a", "c.fetched_at", site, since)
        where = (where + " and" if where else " where") + " c.status_code is not null"
        yield from self.db.query(
            "select c.*, a.site, r.sha256 as raw_sha256, r.size as raw_size from captures c "
            "join articles a on a.id = c.article_id "
            f"left join raw_pages r on r.id = c.raw_page_id{where} order by c.fetched_at, c.id",
            params,
        )

    def count_captures(self, *, site: str | None = None, since: datetime | None = None) -> int:
        where, params = scope("a", "c.fetched_at", site, since)
        row = self._one(
            f"select count(*) as n from captures c join articles a on a.id = c.article_id{where}",
            params,
        )
        return int(row["n"]) if row else 0

    def first_capture_of_page(
        self, raw_page_id: int, *, site: str | None = None, since: datetime | None = None
    ) -> dict | None:
        """The earliest capture (in the same scope) whose body is raw page *raw_page_id*."""
        where, params = scope("a", "c.fetched_at", site, since)
        where = (where + " and" if where else " where") + " c.raw_page_id = ?"
        return self._one(
            "select c.id, c.url, c.requested_url, c.final_url, c.fetched_at from captures c "
            f"join articles a on a.id = c.article_id{where} order by c.fetched_at, c.id limit 1",
            [*params, raw_page_id],
        )

    def has_capture(
        self, urls: Iterable[str], fetched_at: datetime, status_code: int, sha256: str | None
    ) -> bool:
        """Whether a capture of one of *urls* at *fetched_at* with that status (and body) exists.

        What makes importing the same WARC twice add nothing.
        """
        urls = list(urls)
        marks = ", ".join("?" * len(urls))
        sql = (
            "select 1 from captures c left join raw_pages r on r.id = c.raw_page_id "
            f"where c.fetched_at = ? and c.status_code = ? and (c.url in ({marks}) "
            f"or c.final_url in ({marks}) or c.requested_url in ({marks}))"
        )
        params: list[Any] = [utc_iso(fetched_at), status_code, *urls, *urls, *urls]
        if sha256 is not None:
            sql += " and r.sha256 = ?"
            params.append(sha256)
        return self._one(sql + " limit 1", params) is not None

    def page_captured(self, url: str, fetched_at: datetime) -> int | None:
        """The raw page id of a capture of *url* at *fetched_at* (a WARC revisit's original)."""
        row = self._one(
            "select raw_page_id from captures where fetched_at = ? and raw_page_id is not null "
            "and (final_url = ? or requested_url = ? or (url = ? and final_url is null)) "
            "order by id limit 1",
            [utc_iso(fetched_at), url, url, url],
        )
        return int(row["raw_page_id"]) if row else None
