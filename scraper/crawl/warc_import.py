"""``newsarchive import-warc``: captures read from WARC files, recorded as if crawled then.

A WARC made by wget, warcio, pywb or Browsertrix holds what a crawler fetched, with dates.
Each HTML response of a configured site's article URL becomes a capture recorded through the
crawl's own path (:meth:`scraper.crawl.cycle.ArticleChecker.record_result`): the same
extraction, new-version rule, soft-404 and move handling, canonical merges, lifecycle events.
Redirect hops found in the file (a 301 record, then the record of its Location) are one
exchange, as the fetcher would have seen them.

Captures are recorded in capture order across all the files given (sorted by WARC-Date, not by
file), so versions follow one another as they were published. A capture already in the archive
(same URL, time, status and body) is skipped, so importing a file twice adds nothing. A damaged
record is reported and skipped before anything of it is written; each capture is one
transaction. An article that gets a capture older than the ones it had is rebuilt from all its
captures in time order (:mod:`scraper.crawl.reextract`), so its history stays in order.

May import: :mod:`archive`, :mod:`scraper.config`, :mod:`scraper.urls`, :mod:`scraper.charset`,
:mod:`scraper.fetch`, :mod:`scraper.crawl.cycle`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.store import Archive
from archive.warc_in import HttpExchange, HttpRecord, WarcProblem, WarcSource
from scraper import urls as urlmod
from scraper.charset import decode_html
from scraper.config import Site
from scraper.crawl.cycle import ArticleChecker
from scraper.fetch.client import REDIRECT_STATUSES, FetchResult, looks_like_html

Progress = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import read and stored."""

    files: int
    responses: int  # HTTP response and revisit records read
    captures: int  # captures recorded
    new_versions: int
    duplicates: int  # already in the archive
    other_urls: int  # not an article URL of the sites imported
    incomplete_redirects: int  # a redirect whose target is not in the files
    rebuilt: int  # articles whose history was rebuilt in time order
    problems: tuple[WarcProblem, ...] = ()


@dataclass
class _Chain:
    """Redirect hops and the final response, as one fetch saw them."""

    order: int
    records: list[HttpRecord] = field(default_factory=list)

    @property
    def first(self) -> HttpRecord:
        return self.records[0]

    @property
    def last(self) -> HttpRecord:
        return self.records[-1]


def _is_redirect(record: HttpRecord) -> bool:
    return record.status in REDIRECT_STATUSES and bool(record.location)


def _resolve(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location.strip())


def _key(url: str) -> str:
    try:
        return urlmod.normalize_url(url)
    except urlmod.BadURL:
        return url


def chains_of(
    source: WarcSource, order_start: int, problems: list[WarcProblem]
) -> tuple[list[_Chain], int, int, int]:
    """The exchanges of one file: (complete chains, records read, incomplete redirects, next
    order number); *order_start* numbers them after the previous files'."""
    pending: dict[str, _Chain] = {}
    done: list[_Chain] = []
    read = 0
    order = order_start
    for item in source.scan():
        if isinstance(item, WarcProblem):
            problems.append(item)
            continue
        read += 1
        chain = pending.pop(_key(item.uri), None)
        if chain is None:
            order += 1
            chain = _Chain(order)
        chain.records.append(item)
        if _is_redirect(item) and len(chain.records) <= 20:
            assert item.location is not None
            pending[_key(_resolve(item.uri, item.location))] = chain
        else:
            done.append(chain)
    return done, read, len(pending), order + 1


def _site_for(url: str, sites: Sequence[Site]) -> Site | None:
    for site in sites:
        if site.matches(url):
            return site
    return None


def _header(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key.lower() == name:
            return value
    return None


def fetch_result(chain: _Chain, final: HttpExchange, body: bytes) -> FetchResult:
    """The exchange as the fetcher would have returned it."""
    first = chain.first
    hops = tuple((r.status, _resolve(r.uri, r.location or "")) for r in chain.records[:-1])
    content_type = _header(final.headers, "content-type")
    is_html = final.status != 304 and looks_like_html(content_type, body)
    text, encoding = decode_html(body, content_type) if is_html else (None, None)
    return FetchResult(
        url=first.uri,
        final_url=final.uri,
        status=final.status,
        headers=final.headers,
        request_headers=final.request_headers,
        body=body,
        text=text,
        encoding=encoding,
        content_type=content_type,
        is_html=is_html,
        redirects=hops,
        permanent_redirect=bool(hops) and all(s in (301, 308) for s, _ in hops),
        fetched_at=first.date,
        elapsed=0.0,
        http_version=final.protocol.upper(),
        etag=_header(final.headers, "etag"),
        last_modified=_header(final.headers, "last-modified"),
    )


async def import_warcs(
    archive: Archive,
    paths: Sequence[Path],
    sites: Sequence[Site],
    *,
    max_bytes: int = 10 * 1024 * 1024,
    executor: Executor | None = None,
    progress: Progress | None = None,
    rebuild: Callable[[Sequence[int]], int] | None = None,
) -> ImportReport:
    """Import the article captures of *sites* found in the WARC files *paths*.

    *rebuild* is called with the ids of articles that got captures older than their newest
    one (re-extraction puts their history in time order) and returns how many it rebuilt.
    """
    problems: list[WarcProblem] = []
    sources = [WarcSource(p) for p in paths]
    counts = {"responses": 0, "captures": 0, "new": 0, "dup": 0, "other": 0, "incomplete": 0}
    out_of_order: set[int] = set()
    opened: list[WarcSource] = []
    try:
        chains: list[tuple[_Chain, WarcSource, Site]] = []
        order = 0
        for source in sources:
            opened.append(source.__enter__())
            found, read, incomplete, order = chains_of(source, order, problems)
            counts["responses"] += read
            counts["incomplete"] += incomplete
            for chain in found:
                site = _site_for(chain.first.uri, sites)
                if site is None:
                    counts["other"] += 1
                    continue
                chains.append((chain, source, site))
        chains.sort(key=lambda item: (item[0].first.date, item[0].order))
        if progress:
            progress("scanned", {"exchanges": len(chains), "problems": len(problems)})

        moment: list[datetime] = [chains[0][0].first.date] if chains else []
        checkers: dict[str, ArticleChecker] = {}
        for done, (chain, source, site) in enumerate(chains, 1):
            loaded = source.load(chain.last, max_bytes)
            if isinstance(loaded, WarcProblem):
                problems.append(loaded)
                continue
            body = loaded.body
            if loaded.kind == "revisit":
                body = _revisited(archive, loaded)
                if body is None:
                    problems.append(
                        WarcProblem(
                            source.name,
                            chain.last.offset,
                            f"revisit of {loaded.refers_to_uri} at {loaded.refers_to_date}: "
                            "the original is not in the archive",
                        )
                    )
                    continue
            result = fetch_result(chain, loaded, body or b"")
            url = _key(chain.first.uri)
            # Only a 200 page's body is kept (and so can tell two captures apart).
            stored = result.status == 200 and result.is_html and result.body
            sha = hashlib.sha256(result.body).hexdigest() if stored else None
            urls = {url, chain.first.uri, result.final_url, _key(result.final_url)}
            if archive.has_capture(urls, result.fetched_at, result.status, sha):
                counts["dup"] += 1
                continue
            existing = archive.find_article(url)
            if existing is not None and (existing["last_checked"] or "") > _iso(result.fetched_at):
                out_of_order.add(existing["id"])
            checker = checkers.get(site.name)
            if checker is None:
                checker = checkers[site.name] = ArticleChecker(
                    archive,
                    None,
                    site=site.name,
                    rules=site.rules,
                    policy=site.policy,
                    listing_pages=site.listing_pages,
                    now=lambda: moment[0],
                    executor=executor,
                    matches=site.matches,
                )
            moment[0] = result.fetched_at
            recorded, _reason = await checker.record_result(url, result)
            counts["captures"] += 1
            counts["new"] += recorded.outcome == "new-version"
            if progress:
                progress("imported", {"done": done, "total": len(chains), "url": url})
    finally:
        for source in opened:
            source.__exit__(None, None, None)
    rebuilt = rebuild(sorted(out_of_order)) if rebuild and out_of_order else 0
    return ImportReport(
        files=len(sources),
        responses=counts["responses"],
        captures=counts["captures"],
        new_versions=counts["new"],
        duplicates=counts["dup"],
        other_urls=counts["other"],
        incomplete_redirects=counts["incomplete"],
        rebuilt=rebuilt,
        problems=tuple(problems),
    )


def _iso(moment: datetime) -> str:
    from archive.models import utc_iso

    return utc_iso(moment)


def _revisited(archive: Archive, exchange: HttpExchange) -> bytes | None:
    """The body a revisit record refers to, from the capture it names."""
    if not exchange.refers_to_uri or exchange.refers_to_date is None:
        return None
    for url in (exchange.refers_to_uri, _key(exchange.refers_to_uri)):
        raw_id = archive.page_captured(url, exchange.refers_to_date)
        if raw_id is not None:
            return archive.raw_page(raw_id)
    return None
