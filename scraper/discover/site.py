"""One site's discovery: every feed, sitemap and listing page fetched, parsed, merged.

:func:`discover_site` is the only function of the package with effects, and only through the
``fetch`` callable it is given, so it is tested with a fake fetch and a local HTTP server alike.
Feeds and sitemaps are parsed as their bodies arrive (:class:`_Stream` hands the chunks to a
reader in a worker thread), so reading stops at their bounds without downloading the rest.

May import: the other :mod:`scraper.discover` modules, :mod:`scraper.config` (types),
:mod:`scraper.logs`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scraper import logs
from scraper.discover.feeds import FeedReader
from scraper.discover.listing import parse_listing
from scraper.discover.models import (
    MAX_DOCUMENT_BYTES,
    Discovered,
    DiscoveryError,
    DiscoveryReport,
    Feed,
    Sitemap,
    SitemapRef,
    SourceError,
    url_or_none,
)
from scraper.discover.sitemaps import SitemapReader

__all__ = ["MAX_DOCUMENT_BYTES", "discover_site"]

#: Body bytes gathered before a chunk goes to the reader's worker thread: one thread hop per
#: quarter MiB instead of one per network read.
STREAM_BATCH = 256 * 1024

if TYPE_CHECKING:
    from scraper.config import Site

log = logging.getLogger("newsarchive.discover")


def _merge(old: Discovered, new: Discovered) -> Discovered:
    """One URL seen by several sources: keep the first source, fill gaps, newest modified."""
    modified = old.modified
    if new.modified and (not modified or _later(new.modified, modified)):
        modified = new.modified
    return replace(
        old,
        title=old.title or new.title,
        published=old.published or new.published,
        modified=modified,
        guid=old.guid or new.guid,
    )


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return False


def _error_of(url: str, exc: BaseException) -> SourceError:
    """A failed source as a value, its exception's type kept; the traceback goes to the debug
    log (a source failing is routine, but a parser bug must still be traceable)."""
    log.debug("discovery source failed url=%s error=%s", url, type(exc).__name__, exc_info=exc)
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, str) or not reason:
        reason = "fetch-error"
    return SourceError(url, reason, str(exc) or type(exc).__name__, type(exc).__name__)


class _NotModified(Exception):
    """The source answered 304 to a conditional GET: nothing new in it since the last crawl."""


Reader = FeedReader | SitemapReader


class _Stream:
    """The fetch's sink for one feed or sitemap: body chunks go to the reader as they arrive,
    parsed in a worker thread (a 50,000-URL sitemap is seconds of CPU, and other sites' crawls
    share the event loop), a batch at a time."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.received = 0
        self._pending: list[bytes] = []
        self._size = 0

    async def __call__(self, chunk: bytes) -> bool:
        self.received += len(chunk)
        self._pending.append(chunk)
        self._size += len(chunk)
        if self._size < STREAM_BATCH:
            return False
        return await self.flush()

    async def flush(self) -> bool:
        data = b"".join(self._pending)
        self._pending, self._size = [], 0
        if not data:
            return self.reader.done
        return await asyncio.to_thread(self.reader.feed, data)


async def _read(
    fetch: Callable[..., Awaitable[Any]], url: str, reader: Reader, *, streaming: bool
) -> tuple[Feed | Sitemap | None, Exception | None]:
    """Fetch *url* into *reader*: the document read, and the failure if there was one.

    With *streaming* the fetch is given a sink (the fetcher's ``sink=``); otherwise, or when
    the fetch ignored the sink, the reader gets the whole ``body`` afterwards. A fetch that
    fails once part of the body was read (a reset, the deadline) gives its error *and* the
    entries complete before the failure: they are not lost. A 304 raises ``_NotModified``.
    """
    stream = _Stream(reader)
    try:
        result = await _get(fetch, url, sink=stream) if streaming else await _get(fetch, url)
        await stream.flush()
        if not stream.received:
            body = bytes(getattr(result, "body", b"") or b"")
            await asyncio.to_thread(reader.feed, body)
        # The fetch's own cut counts only when the reader had not already said it had enough.
        cut = bool(getattr(result, "truncated", False)) and not reader.done
        base = getattr(result, "final_url", None) or url
        return await asyncio.to_thread(reader.close, cut=cut, base_url=base), None
    except _NotModified:
        raise
    except Exception as exc:
        if not stream.received:
            return None, exc
        try:
            await stream.flush()
            return await asyncio.to_thread(reader.close, cut=True, base_url=url), exc
        except DiscoveryError:
            return None, exc


def _log_truncated(kind: str, url: str, kept: int, bound: str) -> None:
    logs.event(
        log, logging.WARNING, f"{kind} truncated at its bound", url=url, kept=kept, bound=bound
    )


async def _get(fetch: Callable[..., Awaitable[Any]], url: str, **kw: Any) -> Any:
    """Fetch *url*; a non-200 answer becomes a DiscoveryError named after the status.

    A 304 (the caller's fetch sent the source's validators) is :class:`_NotModified`: the
    source adds nothing this time and is no error. For a sitemap index that means its child
    sitemaps are not re-read either: a changed child changes the index's lastmod, and so its
    validators.
    """
    result = await fetch(url, **kw)
    status = getattr(result, "status", None)
    if status == 304:
        raise _NotModified(url)
    if status != 200:
        raise DiscoveryError(f"http-{status}", f"HTTP status {status} for {url}")
    return result


async def discover_site(
    site: Site,
    fetch: Callable[[str], Awaitable[Any]],
    *,
    fetch_document: Callable[..., Awaitable[Any]] | None = None,
    max_depth: int = 3,
    robots_sitemaps: Sequence[str] = (),
    max_sitemaps: int = 50,
) -> DiscoveryReport:
    """Fetch and parse every feed, sitemap and listing page of *site*.

    ``fetch(url)`` returns an object with ``.status``, ``.body``, ``.final_url``, ``.text`` and
    ``.is_html`` (the fetcher's FetchResult) or raises. A failing source is recorded in
    ``errors`` and the others still run. Sitemap indexes are followed up to *max_depth* levels
    and *max_sitemaps* documents in all, newest ``lastmod`` first, each URL once. Found URLs are
    de-duplicated (metadata merged) and filtered by ``site.matches``. Parsing runs in worker
    threads: a 50,000-URL sitemap takes seconds of CPU, during which other sites' crawls on
    the same event loop keep going.

    ``fetch_document(url, sink=...)`` fetches feeds and sitemaps as streams: huge but legal
    ones are read up to their bounds (``site.max_sitemap_urls`` URLs, ``site.max_feed_entries``
    entries, :data:`MAX_DOCUMENT_BYTES`), never refused at the page cap, so the crawl gives one
    that hands the body to ``sink`` as it arrives and stops when the sink has read enough (the
    fetcher's ``sink=``, with ``truncate=True``). Without it, ``fetch(url)`` is used and the
    whole body parsed afterwards, with the same bounds. A document cut at a bound keeps the
    entries read and logs one line saying so.
    """
    errors: list[SourceError] = []
    streaming = fetch_document is not None
    fetch_document = fetch_document or fetch
    fetched = 0

    async def feed(url: str) -> list[Discovered]:
        nonlocal fetched
        reader = FeedReader(url, max_entries=site.max_feed_entries)
        try:
            document, error = await _read(fetch_document, url, reader, streaming=streaming)
        except _NotModified:
            return []
        if error is not None:
            errors.append(_error_of(url, error))
        if not isinstance(document, Feed):
            return []
        if error is None:
            fetched += 1
        if document.truncated:
            _log_truncated("feed", url, len(document.entries), document.bound)
        return document.entries

    async def listing(url: str) -> list[Discovered]:
        nonlocal fetched
        try:
            result = await _get(fetch, url)
            if not result.is_html:
                raise DiscoveryError("not-html", f"listing page {url} is not HTML")
            text = result.text
            if text is None:
                text = bytes(result.body).decode("utf-8", "replace")
            items = await asyncio.to_thread(parse_listing, text, result.final_url or url, site)
        except _NotModified:
            return []
        except Exception as exc:
            errors.append(_error_of(url, exc))
            return []
        fetched += 1
        return items

    sitemap_roots = list(site.sitemaps)
    if site.use_robots_sitemaps:
        sitemap_roots.extend(robots_sitemaps)
    sitemap_state = {"skipped": 0}

    async def sitemaps() -> list[Discovered]:
        nonlocal fetched
        found: list[Discovered] = []
        seen: set[str] = set()
        level: list[str] = []
        for url in sitemap_roots:
            key = url_or_none(url, "") or url
            if key not in seen:
                seen.add(key)
                level.append(url)
        budget = max_sitemaps
        depth = 0
        while level:
            if len(level) > budget:
                sitemap_state["skipped"] += len(level) - budget
                level = level[:budget]
            budget -= len(level)
            results = await asyncio.gather(*(_sitemap(url) for url in level))
            children: list[SitemapRef] = []
            for url, (parsed, error) in zip(level, results, strict=True):
                if error is not None:
                    errors.append(error)
                if parsed is None:  # not modified since the last crawl, or failed
                    continue
                if error is None:
                    fetched += 1
                found.extend(parsed.urls)
                for child in parsed.children:
                    if child.url in seen:
                        continue
                    seen.add(child.url)
                    if depth + 1 > max_depth:
                        errors.append(
                            SourceError(
                                child.url,
                                "sitemap-depth",
                                f"sitemap nested deeper than {max_depth} levels (listed by {url})",
                            )
                        )
                        continue
                    children.append(child)
            children.sort(key=lambda c: c.lastmod or "", reverse=True)
            level = [c.url for c in children]
            depth += 1
        return found

    async def _sitemap(url: str) -> tuple[Sitemap | None, SourceError | None]:
        """The sitemap read (or None), and its failure (or None); both for a fetch that
        failed after part of the body was read."""
        reader = SitemapReader(url, max_urls=site.max_sitemap_urls)
        try:
            document, error = await _read(fetch_document, url, reader, streaming=streaming)
        except _NotModified:
            return None, None
        if isinstance(document, Sitemap) and document.truncated:
            kept = len(document.urls) + len(document.children)
            _log_truncated("sitemap", url, kept, document.bound)
        return (
            document if isinstance(document, Sitemap) else None,
            _error_of(url, error) if error is not None else None,
        )

    batches = await asyncio.gather(
        *(feed(url) for url in site.feeds),
        sitemaps(),
        *(listing(url) for url in site.listing_pages),
    )
    # In a worker thread too: 50,000 URLs take a while to filter and merge.
    found = await asyncio.to_thread(
        lambda: _dedupe(
            item for batch in batches for item in batch if site.matches(item.url, normalized=True)
        )
    )
    return DiscoveryReport(
        found=found,
        errors=errors,
        fetched=fetched,
        skipped_sitemaps=sitemap_state["skipped"],
    )


def _dedupe(items: Iterable[Discovered]) -> list[Discovered]:
    merged: dict[str, Discovered] = {}
    for item in items:
        merged[item.url] = _merge(merged[item.url], item) if item.url in merged else item
    return list(merged.values())
