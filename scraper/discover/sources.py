"""Find article URLs: feeds, sitemaps, listing pages (pure parsers plus one orchestrator).

The parsers take bytes or text already fetched and return :class:`Discovered` values with
normalized URLs; they never touch the network (feedparser is handed a stream, never a URL or a
byte string, which it would try to open as a file name). :func:`discover_site` is the only
function with effects, and only through the ``fetch`` callable it is given, so it is tested
with a fake fetch and with a local HTTP server alike.

Errors::

    DiscoveryError(reason)   a source that cannot be used, reason one of
        "bad-feed"           not a feed, or a broken feed that yields nothing
        "bad-sitemap"        not a sitemap, broken XML, broken gzip
        "unsafe-xml"         a DTD declaring entities, an external reference (refused unread)
        "too-large"          a gzip sitemap that decompresses past its bound

Untrusted XML is parsed with defusedxml: no entity expansion, no external entities.
"""

from __future__ import annotations

import asyncio
import calendar
import io
import json
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET
import feedparser
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.urls import BadURL, host_of, normalize_url

if TYPE_CHECKING:
    from scraper.config import Site

__all__ = [
    "Discovered",
    "DiscoveryError",
    "DiscoveryReport",
    "FetchLike",
    "Sitemap",
    "SitemapRef",
    "SourceError",
    "discover_site",
    "parse_feed",
    "parse_listing",
    "parse_sitemap",
    "sitemaps_from_robots",
]

MiB = 1024 * 1024
#: The sitemap protocol caps a sitemap at 50 MB uncompressed; a gzip bomb stops there.
MAX_SITEMAP_BYTES = 50 * MiB
MAX_TITLE_CHARS = 500


class DiscoveryError(Exception):
    """A discovery source that cannot be used; ``reason`` is machine readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Discovered:
    """A candidate article URL and what its source said about it."""

    url: str  # normalized
    source: str  # "feed", "sitemap", "news-sitemap", "listing"
    title: str | None = None
    published: str | None = None  # ISO 8601, UTC
    modified: str | None = None  # ISO 8601, UTC
    guid: str | None = None


@dataclass(frozen=True)
class SitemapRef:
    """A child sitemap listed by a sitemap index."""

    url: str
    lastmod: str | None = None


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: article URLs (urlset) and/or child sitemaps (sitemapindex)."""

    urls: list[Discovered] = field(default_factory=list)
    children: list[SitemapRef] = field(default_factory=list)
    truncated: bool = False  # more entries than max_urls; the rest were not read

    @property
    def sitemaps(self) -> list[str]:
        return [child.url for child in self.children]


@dataclass(frozen=True)
class SourceError:
    """One discovery source that failed; the others still ran."""

    url: str
    reason: str
    message: str


@dataclass(frozen=True)
class DiscoveryReport:
    found: list[Discovered]
    errors: list[SourceError]
    fetched: int = 0  # source documents fetched and parsed
    skipped_sitemaps: int = 0  # child sitemaps left unread (limit reached)


class FetchLike(Protocol):
    """The part of the fetcher's FetchResult that discovery reads."""

    status: int
    body: bytes
    final_url: str
    text: str | None
    is_html: bool


# --- dates --------------------------------------------------------------------------------------

_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


def _iso(value: Any) -> str | None:
    """A feed or sitemap date as ISO 8601 in UTC, or None when absent or unreadable."""
    if value is None:
        return None
    if isinstance(value, time.struct_time):  # feedparser's *_parsed values are UTC
        try:
            return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
        except (OverflowError, ValueError, OSError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _YEAR_MONTH.fullmatch(text)  # W3C datetime also allows "2026" and "2026-11"
        if not match:
            return None
        try:
            moment = datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        return None


def _clean_title(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    title = " ".join(value.split())
    return title[:MAX_TITLE_CHARS] or None


def _normalized(url: Any, base: str) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return normalize_url(url, base)
    except BadURL:
        return None


# --- feeds --------------------------------------------------------------------------------------


def parse_feed(data: bytes, base_url: str) -> list[Discovered]:
    """Entries of an RSS 2.0, RSS 1.0, Atom or JSON Feed document, links resolved and normalized.

    Entries without a usable http(s) link are skipped. A broken document that yields no entry
    at all raises ``DiscoveryError("bad-feed")``; a valid, empty feed returns ``[]``.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_feed takes bytes, got {type(data).__name__}")
    head = bytes(data[:64]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return _parse_json_feed(bytes(data), base_url)
    _refuse_entity_declarations(bytes(data))
    parsed = feedparser.parse(
        io.BytesIO(bytes(data)),
        response_headers={"content-location": base_url, "content-type": "application/xml"},
        sanitize_html=False,
    )
    entries = parsed.get("entries") or []
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no RSS, RDF or Atom root element"
        raise DiscoveryError("bad-feed", f"not a usable feed: {problem}")
    found = []
    for entry in entries:
        link = entry.get("link")
        guid = entry.get("id")
        url = _normalized(link, base_url)
        if url is None and entry.get("guidislink"):
            url = _normalized(guid, base_url)
        if url is None:
            continue
        found.append(
            Discovered(
                url=url,
                source="feed",
                title=_clean_title(entry.get("title")),
                published=_iso(entry.get("published_parsed")),
                # dict.get: FeedParserDict.get would fall back to the published date.
                modified=_iso(dict.get(entry, "updated_parsed")),
                guid=guid if isinstance(guid, str) and guid else None,
            )
        )
    return found


def _refuse_entity_declarations(data: bytes) -> None:
    """Refuse a DTD that declares entities: feedparser's fallback parser would expand them."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16", "replace").encode("utf-8")
    start = data.find(b"<!DOCTYPE", 0, 4096)
    if start < 0:
        return
    end = data.find(b"]>", start)
    if data.find(b"<!ENTITY", start, end if end >= 0 else len(data)) >= 0:
        raise DiscoveryError("unsafe-xml", "refused a feed whose DTD declares entities")


def _parse_json_feed(data: bytes, base_url: str) -> list[Discovered]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiscoveryError("bad-feed", f"broken JSON Feed: {exc}") from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise DiscoveryError("bad-feed", "JSON document is not a JSON Feed (no jsonfeed version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise DiscoveryError("bad-feed", "JSON Feed without an items list")
    base = document.get("home_page_url") if isinstance(document.get("home_page_url"), str) else None
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = item.get("id")
        guid = str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None
        url = _normalized(item.get("url"), base or base_url) or _normalized(
            item.get("external_url"), base or base_url
        )
        if url is None:
            continue
        found.append(
            Discovered(
                url=url,
                source="feed",
                title=_clean_title(item.get("title")),
                published=_iso(item.get("date_published")),
                modified=_iso(item.get("date_modified")),
                guid=guid,
            )
        )
    return found


# --- sitemaps -----------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes)
    except zlib.error as exc:
        raise DiscoveryError("bad-sitemap", f"broken gzip data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise DiscoveryError(
            "too-large", f"gzip sitemap decompresses to more than {max_bytes} bytes"
        )
    return out


def parse_sitemap(
    data: bytes, base_url: str, *, max_urls: int = 50_000, max_bytes: int = MAX_SITEMAP_BYTES
) -> Sitemap:
    """A ``urlset`` (with Google News tags and ``lastmod``) or a ``sitemapindex``.

    Gzip data is decompressed up to *max_bytes*. At most *max_urls* entries are read
    (``truncated`` tells). An RSS or Atom feed given as a sitemap, as search engines allow, is
    read as a feed.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_sitemap takes bytes, got {type(data).__name__}")
    data = bytes(data)
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, max_bytes)
    elif len(data) > max_bytes:
        raise DiscoveryError("too-large", f"sitemap larger than {max_bytes} bytes")
    urls: list[Discovered] = []
    children: list[SitemapRef] = []
    truncated = False
    root_name = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
            name = _local(element.tag)
            if root_name is None:
                root_name = name
                if name in ("rss", "feed", "RDF"):
                    break
                if name not in ("urlset", "sitemapindex"):
                    raise DiscoveryError(
                        "bad-sitemap", f"root element <{name}>, expected urlset or sitemapindex"
                    )
                continue
            if event != "end":
                continue
            if root_name == "urlset" and name == "url":
                if len(urls) >= max_urls:
                    truncated = True
                    break
                item = _sitemap_url(element, base_url)
                if item is not None:
                    urls.append(item)
                element.clear()
            elif root_name == "sitemapindex" and name == "sitemap":
                if len(children) >= max_urls:
                    truncated = True
                    break
                loc = _normalized(_child_text(element, "loc"), base_url)
                if loc is not None:
                    children.append(SitemapRef(loc, _iso(_child_text(element, "lastmod"))))
                element.clear()
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise DiscoveryError("unsafe-xml", f"refused XML with {exc}") from exc
    except SafeET.ParseError as exc:
        raise DiscoveryError("bad-sitemap", f"broken XML: {exc}") from exc
    if root_name is None:
        raise DiscoveryError("bad-sitemap", "empty document")
    if root_name in ("rss", "feed", "RDF"):
        try:
            entries = parse_feed(data, base_url)
        except DiscoveryError as exc:
            raise DiscoveryError("bad-sitemap", str(exc)) from exc
        return Sitemap(
            urls=[replace(e, source="sitemap") for e in entries[:max_urls]],
            truncated=len(entries) > max_urls,
        )
    return Sitemap(urls=urls, children=children, truncated=truncated)


def _sitemap_url(element: Any, base_url: str) -> Discovered | None:
    url = _normalized(_child_text(element, "loc"), base_url)
    if url is None:
        return None
    modified = _iso(_child_text(element, "lastmod"))
    for child in element:
        if _local(child.tag) == "news":
            return Discovered(
                url=url,
                source="news-sitemap",
                title=_clean_title(_child_text(child, "title")),
                published=_iso(_child_text(child, "publication_date")),
                modified=modified,
            )
    return Discovered(url=url, source="sitemap", modified=modified)


def sitemaps_from_robots(robots_txt: str) -> list[str]:
    """The http(s) ``Sitemap:`` URLs a robots.txt announces, in order, without duplicates."""
    if isinstance(robots_txt, bytes):
        robots_txt = robots_txt.decode("utf-8", "replace")
    found: list[str] = []
    for url in Protego.parse(robots_txt).sitemaps:
        normalized = _normalized(url, "")
        if normalized is not None and normalized not in found:
            found.append(normalized)
    return found


# --- listing pages ------------------------------------------------------------------------------


def parse_listing(html: str, base_url: str, site: Site) -> list[Discovered]:
    """Links of a section page on the page's own host that pass the site's include/exclude.

    The page itself and the site's root are never candidates. Order is page order.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    page_url = normalize_url(base_url)
    page_host = host_of(page_url)
    tree = LexborHTMLParser(html)
    base = page_url
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        base = _normalized(base_tag.attributes.get("href"), page_url) or page_url
    seen: set[str] = {page_url}
    found = []
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = _normalized(href, base)
        if url is None or url in seen:
            continue
        seen.add(url)
        if host_of(url) != page_host or urlsplit(url).path == "/":
            continue
        if not site.matches(url):
            continue
        found.append(Discovered(url=url, source="listing", title=_clean_title(anchor.text())))
    return found


# --- the orchestrator ---------------------------------------------------------------------------


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
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, str) or not reason:
        reason = "fetch-error"
    return SourceError(url, reason, str(exc) or type(exc).__name__)


async def _get(fetch: Callable[[str], Awaitable[Any]], url: str) -> Any:
    """Fetch *url*; a non-200 answer becomes a DiscoveryError named after the status."""
    result = await fetch(url)
    status = getattr(result, "status", None)
    if status != 200:
        raise DiscoveryError(f"http-{status}", f"HTTP status {status} for {url}")
    return result


async def discover_site(
    site: Site,
    fetch: Callable[[str], Awaitable[Any]],
    *,
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
    """
    errors: list[SourceError] = []
    fetched = 0

    async def feed(url: str) -> list[Discovered]:
        nonlocal fetched
        try:
            result = await _get(fetch, url)
            items = await asyncio.to_thread(parse_feed, result.body, result.final_url or url)
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
            key = _normalized(url, "") or url
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

    async def _sitemap(url: str) -> Sitemap | SourceError:
        try:
            result = await _get(fetch, url)
            return await asyncio.to_thread(
                parse_sitemap, result.body, result.final_url or url, max_urls=site.max_sitemap_urls
            )
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
