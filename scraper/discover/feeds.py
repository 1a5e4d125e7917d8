"""Feeds: RSS 2.0, RSS 1.0, Atom (feedparser, handed a stream) and JSON Feed, parsed from bytes.

feedparser is given a stream, never a URL or a byte string, which it would try to open as a
file name; a DTD declaring entities is refused before it is read.

A feed is read as it arrives (:class:`FeedReader`) up to a bound on its entries and bytes,
far past the page cap, so a huge but legal feed is never refused whole. feedparser cannot parse
a stream incrementally (it reads the whole document, then parses it), and a strict XML parser
cannot find the entries of the many feeds that are not well-formed XML (``&nbsp;`` in a title)
which feedparser still reads. So the reader only *locates* entry boundaries as bytes arrive
(the end tags of ``item`` and ``entry``), stops at the bound, and hands feedparser the document
cut after the last complete entry, with the elements still open before the first entry closed
again: the entries read are kept, the cut one is dropped, nothing is half-parsed.

May import: :mod:`scraper.discover.models` (nothing else of scraper).
"""

from __future__ import annotations

import io
import json
import re
import xml.parsers.expat
from typing import Any

import feedparser

from scraper.discover.models import (
    MAX_DOCUMENT_BYTES,
    Discovered,
    DiscoveryError,
    Feed,
    clean_title,
    iso_utc,
    url_or_none,
)

#: Entries read from one feed at most (a real feed has tens; the bound mirrors a sitemap's).
MAX_FEED_ENTRIES = 50_000
#: Bytes read from one feed at most: the sitemap protocol's 50 MB, five times the page cap.
MAX_FEED_BYTES = MAX_DOCUMENT_BYTES

# The end of an entry (``</item>``, ``</entry>``, ``</atom:entry>``) and the start of one.
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]{0,30}:)?(?:item|entry)\s{0,16}>")
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?(?:item|entry)[\s/>]")
_OVERLAP = 64  # bytes of the previous chunk searched again: a tag split between two chunks
_BOM = b"\xef\xbb\xbf"


class FeedReader:
    """One feed read as a stream: :meth:`feed` its bytes as they arrive, then :meth:`close`.

    ``feed`` answers True once the reader has read enough: an entry starts after the
    *max_entries*-th one, or the body is past *max_bytes*. ``close`` parses what was read and
    gives the :class:`Feed` (``truncated``, ``bound``) or raises the feed's ``DiscoveryError``.
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        max_entries: int = MAX_FEED_ENTRIES,
        max_bytes: int = MAX_FEED_BYTES,
    ) -> None:
        self.base_url = base_url
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.done = False
        self._buf = bytearray()
        self._kind: str | None = None  # "xml", "json" or "other" (UTF-16: no byte scanning)
        self._ends = 0  # entry end tags seen
        self._last_end = 0  # offset just after the last one
        self._limit_end: int | None = None  # offset after the max_entries-th one
        self._scan_from = 0  # where the next search for a later entry start begins
        self._bound = ""

    def feed(self, data: bytes) -> bool:
        """Read *data*; True once nothing more is wanted."""
        if self.done or not data:
            return self.done
        room = self.max_bytes - len(self._buf)
        over = len(data) > room
        old = len(self._buf)
        self._buf += data[:room] if over else data
        if self._kind is None:
            self._kind = _kind_of(bytes(self._buf[:64]))
        if self._kind == "xml":
            self._scan(old)
        if over and not self.done:
            self.done, self._bound = True, f"{self.max_bytes} bytes"
        return self.done

    def _scan(self, old: int) -> None:
        buf = self._buf
        if self._limit_end is None:
            for match in _ENTRY_END.finditer(buf, max(self._last_end, old - _OVERLAP)):
                self._ends += 1
                self._last_end = match.end()
                if self._ends >= self.max_entries:
                    self._limit_end = self._scan_from = match.end()
                    break
            else:
                return
        # The bound is reached: one more entry starting means the feed goes on past it.
        start = max(self._scan_from, old - _OVERLAP)
        if _ENTRY_START.search(buf, start):
            self.done, self._bound = True, f"{self.max_entries} entries"
        else:
            self._scan_from = max(start, len(buf) - _OVERLAP)

    def close(self, *, cut: bool = False, base_url: str | None = None) -> Feed:
        """The entries read; *cut* says the body ended early for a reason of the caller's (the
        fetch stopped at its own byte bound), not because this reader said it had enough.
        Links are resolved against *base_url* (the URL after redirects), by default the
        reader's."""
        base_url = base_url or self.base_url
        data = bytes(self._buf)
        ended_early = cut or bool(self._bound)
        bound = self._bound or (f"{len(self._buf)} bytes, where the fetch stopped" if cut else "")
        if self._kind == "json":
            if ended_early:
                entries = _json_feed_items(_json_prefix(data), base_url)
            else:
                entries = _parse_json_feed(data, base_url)
        else:
            _refuse_entity_declarations(data)
            # Entry ends are no longer counted past the bound: the last one seen is where to cut.
            if ended_early and self._kind == "xml" and self._ends:
                entries = _parse_xml_feed(_cut_after(data, self._last_end), base_url)
            elif ended_early:  # no entry boundary known: keep what feedparser can read
                try:
                    entries = _parse_xml_feed(data, base_url)
                except DiscoveryError:
                    entries = []
            else:
                entries = _parse_xml_feed(data, base_url)
        if len(entries) > self.max_entries:
            entries, ended_early = entries[: self.max_entries], True
            bound = bound or f"{self.max_entries} entries"
        return Feed(entries=entries, truncated=ended_early, bound=bound)


def parse_feed(
    data: bytes,
    base_url: str,
    *,
    max_entries: int = MAX_FEED_ENTRIES,
    max_bytes: int = MAX_FEED_BYTES,
) -> list[Discovered]:
    """Entries of an RSS 2.0, RSS 1.0, Atom or JSON Feed document, links resolved and normalized.

    Entries without a usable http(s) link are skipped. A broken document that yields no entry
    at all raises ``DiscoveryError("bad-feed")``; a valid, empty feed returns ``[]``. The
    whole-document form of :class:`FeedReader`: the same bounds apply.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_feed takes bytes, got {type(data).__name__}")
    reader = FeedReader(base_url, max_entries=max_entries, max_bytes=max_bytes)
    reader.feed(bytes(data))
    return reader.close().entries


def _kind_of(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\x00", b"\x00<"):
        return "other"  # UTF-16: entry tags are not found as bytes; feedparser reads it
    if head.removeprefix(_BOM).lstrip(b" \t\r\n").startswith(b"{"):
        return "json"
    return "xml"


def _cut_after(data: bytes, end: int) -> bytes:
    """*data* up to offset *end* (just after an entry), with the elements open before the first
    entry (``<rss><channel>``, ``<feed>``, ``<rdf:RDF>``) closed again."""
    first = _ENTRY_START.search(data, 0, end)
    opened = _open_elements(data[: first.start()]) if first else None
    closing = b"".join(b"</%s>" % name.encode("utf-8") for name in reversed(opened or []))
    return data[:end] + closing


def _open_elements(head: bytes) -> list[str] | None:
    """The elements still open at the end of *head*, outermost first, or None when *head* is not
    well-formed XML (feedparser's lenient parser then reads the cut document as it is).

    expat reads the qualified names as written (no namespace processing), so the closing tags
    match; entity declarations are refused, and nothing external is ever loaded.
    """
    parser = xml.parsers.expat.ParserCreate()
    stack: list[str] = []

    def refuse(*_: Any) -> None:
        raise DiscoveryError("unsafe-xml", "refused a feed whose DTD declares entities")

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.StartElementHandler = lambda name, _attrs: stack.append(name)
    parser.EndElementHandler = lambda _name: stack.pop() if stack else None
    try:
        parser.Parse(head, False)
    except xml.parsers.expat.ExpatError:
        return None
    return stack


def _parse_xml_feed(data: bytes, base_url: str) -> list[Discovered]:
    parsed = feedparser.parse(
        io.BytesIO(data),
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
    return _json_feed_items(document, base_url)


def _json_prefix(data: bytes) -> dict[str, Any]:
    """The members of a JSON Feed cut at a bound that are complete before the cut, and the
    complete items of its ``items`` list: the JSON counterpart of cutting after an entry.

    ``json.JSONDecoder.raw_decode`` reads one value at a time, so a value the cut broke ends
    the reading and everything before it is kept.
    """
    text = data.decode("utf-8-sig", "ignore")
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")
    document: dict[str, Any] = {}

    def skip(i: int) -> int:
        return space.match(text, i).end()  # type: ignore[union-attr]

    i = skip(0)
    if not text.startswith("{", i):
        return document
    i += 1
    try:
        while True:
            i = skip(i)
            if text.startswith("}", i) or i >= len(text):
                return document
            key, i = decoder.raw_decode(text, i)
            i = skip(i)
            if not text.startswith(":", i):
                return document
            i = skip(i + 1)
            if key == "items" and text.startswith("[", i):
                items: list[Any] = []
                document["items"] = items
                i += 1
                while True:
                    i = skip(i)
                    if text.startswith("]", i):
                        i += 1
                        break
                    item, i = decoder.raw_decode(text, i)
                    items.append(item)
                    i = skip(i)
                    if text.startswith(",", i):
                        i += 1
            else:
                document[str(key)], i = decoder.raw_decode(text, i)
            i = skip(i)
            if text.startswith(",", i):
                i += 1
    except (json.JSONDecodeError, IndexError):
        return document


def _json_feed_items(document: Any, base_url: str) -> list[Discovered]:
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
