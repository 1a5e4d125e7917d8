"""Feeds: RSS 2.0, RSS 1.0, Atom (feedparser, handed a stream) and JSON Feed, parsed from bytes.

feedparser is given a stream, never a URL or a byte string, which it would try to open as a
file name; a DTD declaring entities is refused before it is read.

May import: :mod:`scraper.discover.models` (nothing else of scraper).
"""

from __future__ import annotations

import io
import json

import feedparser

from scraper.discover.models import Discovered, DiscoveryError, clean_title, iso_utc, url_or_none


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
        url = url_or_none(link, base_url)
        if url is None and entry.get("guidislink"):
            url = url_or_none(guid, base_url)
        if url is None:
            continue
        found.append(
            Discovered(
                url=url,
                source="feed",
                title=clean_title(entry.get("title")),
                published=iso_utc(entry.get("published_parsed")),
                # dict.get: FeedParserDict.get would fall back to the published date.
                modified=iso_utc(dict.get(entry, "updated_parsed")),
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
        url = url_or_none(item.get("url"), base or base_url) or url_or_none(
            item.get("external_url"), base or base_url
        )
        if url is None:
            continue
        found.append(
            Discovered(
                url=url,
                source="feed",
                title=clean_title(item.get("title")),
                published=iso_utc(item.get("date_published")),
                modified=iso_utc(item.get("date_modified")),
                guid=guid,
            )
        )
    return found


# --- sitemaps -----------------------------------------------------------------------------------
