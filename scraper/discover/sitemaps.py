"""Sitemaps: urlset (Google News tags, lastmod), sitemapindex, gzip, and robots.txt's Sitemap lines.

Untrusted XML is parsed with defusedxml: no entity expansion, no external entities; a gzip
sitemap is decompressed only up to its bound.

May import: :mod:`scraper.discover.models`, :mod:`scraper.discover.feeds` (an RSS or Atom feed
given as a sitemap is read as a feed).
"""

from __future__ import annotations

import io
import zlib
from dataclasses import replace
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET
from protego import Protego

from scraper.discover.feeds import parse_feed
from scraper.discover.models import (
    Discovered,
    DiscoveryError,
    Sitemap,
    SitemapRef,
    clean_title,
    iso_utc,
    url_or_none,
)

MiB = 1024 * 1024
#: The sitemap protocol caps a sitemap at 50 MB uncompressed; a gzip bomb stops there.
MAX_SITEMAP_BYTES = 50 * MiB


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _gunzip(data: bytes, max_bytes: int) -> tuple[bytes, bool]:
    """The first *max_bytes* of the decompressed data, and whether there was more (or the
    compressed data itself ended early): a bomb stops at the bound, like a long sitemap."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes)
    except zlib.error as exc:
        raise DiscoveryError("bad-sitemap", f"broken gzip data: {exc}") from exc
    return out, bool(inflater.unconsumed_tail) or not inflater.eof


def parse_sitemap(
    data: bytes,
    base_url: str,
    *,
    max_urls: int = 50_000,
    max_bytes: int = MAX_SITEMAP_BYTES,
    cut: bool = False,
) -> Sitemap:
    """A ``urlset`` (with Google News tags and ``lastmod``) or a ``sitemapindex``.

    Read as a stream (``iterparse``, each entry cleared once read), never as a whole tree: at
    most *max_urls* entries are read, then reading stops (``truncated`` tells). Only the first
    *max_bytes* are read (of the decompressed data for gzip); *cut* says the fetch already
    stopped at its own bound. Either way the document ends early, and the entries complete
    before that point are kept (``truncated``) instead of refusing the whole sitemap. An RSS or
    Atom feed given as a sitemap, as search engines allow, is read as a feed.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_sitemap takes bytes, got {type(data).__name__}")
    data = bytes(data)
    if data[:2] == b"\x1f\x8b":
        data, more = _gunzip(data, max_bytes)
        cut = cut or more
    elif len(data) > max_bytes:
        data, cut = data[:max_bytes], True
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
                loc = url_or_none(_child_text(element, "loc"), base_url)
                if loc is not None:
                    children.append(SitemapRef(loc, iso_utc(_child_text(element, "lastmod"))))
                element.clear()
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise DiscoveryError("unsafe-xml", f"refused XML with {exc}") from exc
    except SafeET.ParseError as exc:
        if not (cut and root_name in ("urlset", "sitemapindex")):
            raise DiscoveryError("bad-sitemap", f"broken XML: {exc}") from exc
        truncated = True  # the document was cut at the bound: keep the entries before it
    if root_name is None:
        raise DiscoveryError("bad-sitemap", "empty document")
    if root_name in ("rss", "feed", "RDF"):
        try:
            entries = parse_feed(data, base_url)
        except DiscoveryError as exc:
            raise DiscoveryError("bad-sitemap", str(exc)) from exc
        return Sitemap(
            urls=[replace(e, source="sitemap") for e in entries[:max_urls]],
            truncated=cut or len(entries) > max_urls,
        )
    return Sitemap(urls=urls, children=children, truncated=truncated)


def _sitemap_url(element: Any, base_url: str) -> Discovered | None:
    url = url_or_none(_child_text(element, "loc"), base_url)
    if url is None:
        return None
    modified = iso_utc(_child_text(element, "lastmod"))
    for child in element:
        if _local(child.tag) == "news":
            return Discovered(
                url=url,
                source="news-sitemap",
                title=clean_title(_child_text(child, "title")),
                published=iso_utc(_child_text(child, "publication_date")),
                modified=modified,
            )
    return Discovered(url=url, source="sitemap", modified=modified)


def sitemaps_from_robots(robots_txt: str) -> list[str]:
    """The http(s) ``Sitemap:`` URLs a robots.txt announces, in order, without duplicates."""
    if isinstance(robots_txt, bytes):
        robots_txt = robots_txt.decode("utf-8", "replace")
    found: list[str] = []
    for url in Protego.parse(robots_txt).sitemaps:
        normalized = url_or_none(url, "")
        if normalized is not None and normalized not in found:
            found.append(normalized)
    return found
