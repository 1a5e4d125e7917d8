"""One site's discovery: every feed, sitemap and listing page fetched, parsed, merged.

:func:`discover_site` is the only function of the package with effects, and only through the
``fetch`` callable it is given, so it is tested with a fake fetch and a local HTTP server alike.

May import: the other :mod:`scraper.discover` modules, :mod:`scraper.config` (types).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scraper.discover.feeds import parse_feed
from scraper.discover.listing import parse_listing
from scraper.discover.models import (
    Discovered,
    DiscoveryError,
    DiscoveryReport,
    Sitemap,
    SitemapRef,
    SourceError,
    url_or_none,
)
from scraper.discover.sitemaps import MAX_SITEMAP_BYTES, parse_sitemap

#: Feeds and sitemaps are read up to this many bytes (the sitemap protocol's 50 MB), past the
#: page cap: a 20 MB sitemap of 50,000 URLs is legal, and is read to its URL bound.
MAX_DOCUMENT_BYTES = MAX_SITEMAP_BYTES

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


async def _get(fetch: Callable[[str], Awaitable[Any]], url: str) -> Any:
    """Fetch *url*; a non-200 answer becomes a DiscoveryError named after the status.

    A 304 (the caller's fetch sent the source's validators) is :class:`_NotModified`: the
    source adds nothing this time and is no error. For a sitemap index that means its child
    sitemaps are not re-read either: a changed child changes the index's lastmod, and so its
    validators.
    """
    result = await fetch(url)
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
    fetch_document: Callable[[str], Awaitable[Any]] | None = None,
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

    ``fetch_document(url)`` (default: ``fetch``) fetches feeds and sitemaps: huge but legal
    ones must be read up to their URL bound, not refused at the page cap, so the crawl gives
    one that cuts the body at :data:`MAX_DOCUMENT_BYTES` (``.truncated``) instead of failing.
    """
    errors: list[SourceError] = []
    fetch_document = fetch_document or fetch
    fetched = 0

    async def feed(url: str) -> list[Discovered]:
        nonlocal fetched
        try:
            result = await _get(fetch_document, url)
            items = await asyncio.to_thread(parse_feed, result.body, result.final_url or url)
        except _NotModified:
            return []
        except Exception as exc:
            errors.append(_error_of(url, exc))
            return []
        fetched += 1
        return items

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
            for url, parsed in zip(level, results, strict=True):
                if parsed is None:  # not modified since the last crawl
                    continue
                if isinstance(parsed, SourceError):
                    errors.append(parsed)
                    continue
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

    async def _sitemap(url: str) -> Sitemap | SourceError | None:
        try:
            result = await _get(fetch_document, url)
            return await asyncio.to_thread(
                functools.partial(
                    parse_sitemap,
                    result.body,
                    result.final_url or url,
                    max_urls=site.max_sitemap_urls,
                    cut=bool(getattr(result, "truncated", False)),
                )
            )
        except _NotModified:
            return None
        except Exception as exc:
            return _error_of(url, exc)

    batches = await asyncio.gather(
        *(feed(url) for url in site.feeds),
        sitemaps(),
        *(listing(url) for url in site.listing_pages),
    )
    return DiscoveryReport(
        found=_dedupe(item for batch in batches for item in batch if site.matches(item.url)),
        errors=errors,
        fetched=fetched,
        skipped_sitemaps=sitemap_state["skipped"],
    )


def _dedupe(items: Iterable[Discovered]) -> list[Discovered]:
    merged: dict[str, Discovered] = {}
    for item in items:
        merged[item.url] = _merge(merged[item.url], item) if item.url in merged else item
    return list(merged.values())
