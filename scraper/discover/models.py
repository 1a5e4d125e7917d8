"""Discovery's values and errors, and the small helpers every source parser shares.

``Discovered`` is what every source yields; ``DiscoveryError`` carries a machine-readable reason.

Errors::

    DiscoveryError(reason)   a source that cannot be used, reason one of
        "bad-feed"           not a feed, or a broken feed that yields nothing
        "bad-sitemap"        not a sitemap, broken XML, broken gzip
        "unsafe-xml"         a DTD declaring entities, an external reference (refused unread)
        "too-large"          a gzip sitemap that decompresses past its bound
        "not-html"           a listing page that is not HTML
        "http-<status>"      a source answered with another status than 200

May import: :mod:`scraper.urls` (nothing else of scraper).
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from scraper.urls import BadURL, normalize_url

MAX_TITLE_CHARS = 500
MiB = 1024 * 1024
#: Feeds and sitemaps are read up to this many bytes (the sitemap protocol's 50 MB), far past
#: the page cap: a 20 MB sitemap of 50,000 URLs is legal, and is read to its URL bound.
MAX_DOCUMENT_BYTES = 50 * MiB


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
    truncated: bool = False  # the reading stopped at a bound; the rest was not read
    bound: str = ""  # which bound stopped it ("50000 URLs", "52428800 bytes"), for the log

    @property
    def sitemaps(self) -> list[str]:
        return [child.url for child in self.children]


@dataclass(frozen=True)
class Feed:
    """A parsed feed's entries, and whether the reading stopped at a bound (and which)."""

    entries: list[Discovered] = field(default_factory=list)
    truncated: bool = False
    bound: str = ""


@dataclass(frozen=True)
class SourceError:
    """One discovery source that failed; the others still ran."""

    url: str
    reason: str
    message: str
    error_type: str = ""  # the exception's class name ("FetchTimeout", "DiscoveryError"...)


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


# --- shared helpers ---------------------------------------------------------------------------

_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


def iso_utc(value: Any) -> str | None:
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


def clean_title(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    title = " ".join(value.split())
    return title[:MAX_TITLE_CHARS] or None


def url_or_none(url: Any, base: str) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return normalize_url(url, base)
    except BadURL:
        return None
