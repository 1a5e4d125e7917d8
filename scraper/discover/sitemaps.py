"""Sitemaps: urlset (Google News tags, lastmod), sitemapindex, gzip, and robots.txt's Sitemap lines.

A sitemap is read as a stream (:class:`SitemapReader`): bytes are parsed as they arrive, no
tree is built, and the reading stops at the protocol's bounds (50,000 URLs, 50 MB), keeping the
entries read so far, so a huge but legal sitemap is never refused whole and an endless one is
never read to its end. Untrusted XML goes through defusedxml's expat parser (a DTD declaring
entities and external references are refused; no entity is ever expanded); a gzip sitemap is
decompressed a chunk at a time, never past the byte bound, so a gzip bomb costs nothing.

May import: :mod:`scraper.discover.models`, :mod:`scraper.discover.feeds` (an RSS or Atom feed
given as a sitemap is read as a feed).
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from protego import Protego

from scraper.discover.feeds import FeedReader
from scraper.discover.models import (
    MAX_DOCUMENT_BYTES,
    Discovered,
    DiscoveryError,
    Sitemap,
    SitemapRef,
    clean_title,
    iso_utc,
    url_or_none,
)

#: The sitemap protocol caps a sitemap at 50 MB uncompressed; a gzip bomb stops there.
MAX_SITEMAP_BYTES = MAX_DOCUMENT_BYTES
#: ... and at 50,000 URLs (or child sitemaps, for an index).
MAX_SITEMAP_URLS = 50_000
#: A real sitemap nests 4 levels (urlset/url/news:news/news:publication); deeper is an attack.
MAX_DEPTH = 32
#: Characters kept of one field (loc, lastmod, title): enough for any real URL or title.
MAX_FIELD_CHARS = 8192
#: Decompressed bytes per step: the unit in which a gzip sitemap is inflated.
INFLATE_CHUNK = 256 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_FEED_ROOTS = ("rss", "feed", "RDF")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Enough(Exception):
    """The next entry is past the URL bound: stop reading."""


class _FeedRoot(Exception):
    """The document is an RSS or Atom feed: hand it to the feed reader."""


class _Entries:
    """The expat target: collects entries as their end tags arrive, builds no tree.

    Only the fields discovery uses are kept (``loc``, ``lastmod``, Google News ``title`` and
    ``publication_date``), each bounded, so memory grows with the entries kept, not the bytes.
    """

    def __init__(self, max_urls: int) -> None:
        self.max_urls = max_urls
        self.root: str | None = None
        #: each entry's fields as read; URLs are resolved at the end, against the final URL
        self.entries: list[dict[str, str]] = []
        self._depth = 0
        self._fields: dict[str, str] = {}  # of the entry being read
        self._field: str | None = None  # the field whose text is being read
        self._field_depth = 0
        self._text: list[str] = []
        self._size = 0
        self._in_news = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self._depth += 1
        depth = self._depth
        if depth > MAX_DEPTH:
            raise DiscoveryError("bad-sitemap", f"elements nested deeper than {MAX_DEPTH} levels")
        name = _local(tag)
        if depth == 1:
            self.root = name
            if name in _FEED_ROOTS:
                raise _FeedRoot
            if name not in ("urlset", "sitemapindex"):
                raise DiscoveryError(
                    "bad-sitemap", f"root element <{name}>, expected urlset or sitemapindex"
                )
        elif depth == 2:
            if name == ("url" if self.root == "urlset" else "sitemap"):
                if len(self.entries) >= self.max_urls:
                    raise _Enough
                self._fields = {}
                self._in_news = False
        elif depth == 3:
            if name in ("loc", "lastmod"):
                self._begin(name, depth)
            elif name == "news" and self.root == "urlset":
                self._in_news = True
                self._fields["news"] = ""
        elif depth == 4 and self._in_news and name in ("title", "publication_date"):
            self._begin("news_" + name, depth)

    def _begin(self, field: str, depth: int) -> None:
        if field not in self._fields:  # the first one counts, as it would in a tree
            self._field, self._field_depth, self._text, self._size = field, depth, [], 0

    def data(self, text: str) -> None:
        field_text = self._field is not None and self._depth == self._field_depth
        if field_text and self._size < MAX_FIELD_CHARS:
            self._text.append(text)
            self._size += len(text)

    def end(self, tag: str) -> None:
        depth = self._depth
        self._depth -= 1
        if self._field is not None and depth == self._field_depth:
            value = "".join(self._text)[:MAX_FIELD_CHARS].strip()
            self._fields[self._field] = value
            self._field = None
        elif depth == 3 and _local(tag) == "news":
            self._in_news = False
        elif depth == 2:
            self._entry()

    def _entry(self) -> None:
        if self._fields.get("loc"):
            self.entries.append(self._fields)
        self._fields = {}

    def close(self) -> None:
        return None

    def sitemap(self, base_url: str, truncated: bool, bound: str) -> Sitemap:
        """The entries as discovery values, their URLs resolved against *base_url*."""
        urls: list[Discovered] = []
        children: list[SitemapRef] = []
        for fields in self.entries:
            url = url_or_none(fields["loc"], base_url)
            if url is None:
                continue
            modified = iso_utc(fields.get("lastmod") or None)
            if self.root == "sitemapindex":
                children.append(SitemapRef(url, modified))
            elif "news" in fields:
                urls.append(
                    Discovered(
                        url=url,
                        source="news-sitemap",
                        title=clean_title(fields.get("news_title") or None),
                        published=iso_utc(fields.get("news_publication_date") or None),
                        modified=modified,
                    )
                )
            else:
                urls.append(Discovered(url=url, source="sitemap", modified=modified))
        return Sitemap(urls=urls, children=children, truncated=truncated, bound=bound)


class SitemapReader:
    """One sitemap read as a stream: :meth:`feed` its bytes as they arrive, then :meth:`close`.

    ``feed`` answers True once the reader has read enough (the next entry is past *max_urls*,
    the decompressed document is past *max_bytes*, or the document is broken): the caller stops
    downloading there. ``close`` gives the :class:`Sitemap` (``truncated`` and ``bound`` say
    whether and why the reading stopped early) or raises the document's ``DiscoveryError``.
    A ``.xml.gz`` body (gzip magic) is inflated here, at most *max_bytes* of it; an RSS or Atom
    feed given as a sitemap, as search engines allow, is read by a :class:`FeedReader`.
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        max_urls: int = MAX_SITEMAP_URLS,
        max_bytes: int = MAX_SITEMAP_BYTES,
    ) -> None:
        self.base_url = base_url
        self.max_urls = max_urls
        self.max_bytes = max_bytes
        self.done = False
        self.received = 0  # bytes given to feed (compressed ones for gzip)
        self._entries = _Entries(max_urls)
        self._parser: Any = DefusedXMLParser(target=self._entries)
        self._magic = b""  # the first bytes, until gzip or not is known
        self._plain: bool | None = None
        self._inflater: Any = None
        self._size = 0  # XML bytes read (decompressed)
        self._prolog: bytearray | None = bytearray()  # kept until the root element is known
        self._feed: FeedReader | None = None
        self._error: DiscoveryError | None = None
        self._bound = ""
        self._broken: ParseError | None = None

    # -- reading ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> bool:
        """Read *data*; True once nothing more is wanted."""
        if self.done or not data:
            return self.done
        self.received += len(data)
        try:
            self._take(bytes(data))
        except DiscoveryError as exc:  # kept for close(): a sink must not raise into the fetch
            self._error, self.done = exc, True
        return self.done

    def _take(self, data: bytes) -> None:
        if self._plain is None:
            self._magic += data
            if len(self._magic) < len(_GZIP_MAGIC):
                return
            data, self._magic = self._magic, b""
            self._plain = not data.startswith(_GZIP_MAGIC)
            if not self._plain:
                self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        if self._plain:
            self._xml(data)
        else:
            self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        """Decompress *data* a chunk at a time; the byte bound stops a bomb after one chunk."""
        inflater = self._inflater
        while not self.done:
            try:
                out = inflater.decompress(data, INFLATE_CHUNK)
            except zlib.error as exc:
                raise DiscoveryError("bad-sitemap", f"broken gzip data: {exc}") from exc
            data = inflater.unconsumed_tail
            if out:
                self._xml(out)
            if inflater.eof:
                rest = inflater.unused_data
                if not rest.startswith(_GZIP_MAGIC):
                    return  # trailing bytes after the gzip member are ignored
                inflater = self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                data = rest
                continue
            # A full chunk may mean zlib holds more output for input it already took.
            if not data and len(out) < INFLATE_CHUNK:
                return

    def _xml(self, data: bytes) -> None:
        room = self.max_bytes - self._size
        over = len(data) > room
        if over:
            data = data[:room]
        self._size += len(data)
        self._parse(data)
        if over and not self.done:
            self._stop(f"{self.max_bytes} bytes")

    def _parse(self, data: bytes) -> None:
        if self._feed is not None:
            if self._feed.feed(data):
                self.done = True
            return
        if self._broken is not None or not data:
            return
        if self._prolog is not None:
            self._prolog += data
        try:
            self._parser.feed(data)
        except _Enough:
            self._stop(f"{self.max_urls} URLs")
        except _FeedRoot:
            prolog, self._prolog = bytes(self._prolog or b""), None
            self._feed = FeedReader(self.base_url, max_entries=self.max_urls)
            self._parser = None
            self._parse(prolog)
            return
        except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
            raise DiscoveryError("unsafe-xml", f"refused XML with {exc}") from exc
        except ParseError as exc:
            self._broken = exc  # decided at close: an error, unless the fetch cut the body
            self.done = True
        if self._entries.root is not None:
            self._prolog = None

    def _stop(self, bound: str) -> None:
        self.done = True
        self._bound = bound

    # -- the result -------------------------------------------------------------------------

    def close(self, *, cut: bool = False, base_url: str | None = None) -> Sitemap:
        """The sitemap read; *cut* says the body ended early for a reason of the caller's (the
        fetch stopped at its own byte bound), not because this reader said it had enough.

        A document that ends early keeps the entries complete before that point (``truncated``);
        one that is broken where nothing cut it is a ``DiscoveryError("bad-sitemap")``.
        Relative URLs are resolved against *base_url* (the URL the body came from after
        redirects, known only once the fetch is done), by default the reader's.
        """
        base_url = base_url or self.base_url
        if self._error is not None:
            raise self._error
        entries = self._entries
        if self._feed is not None:
            feed = self._feed.close(cut=cut or bool(self._bound), base_url=base_url)
            return Sitemap(
                urls=[replace(e, source="sitemap") for e in feed.entries],
                truncated=feed.truncated,
                bound=self._bound or feed.bound,
            )
        gzip_cut = self._plain is False and not self._inflater.eof
        if gzip_cut and not self._bound and not self._broken:
            cut = True  # the gzip data itself ends early: keep what it held
        ended_early = cut or bool(self._bound)
        if self._broken is None and not ended_early and self._parser is not None:
            if self._plain is None and self._magic:
                self._plain = True
                self._parse(self._magic)
            try:
                self._parser.close()
            except ParseError as exc:
                self._broken = exc
            except DiscoveryError:
                raise
        if entries.root is None:
            if self._plain is False and not self._inflater.eof and not self._size:
                raise DiscoveryError("bad-sitemap", "gzip data ends before any XML")
            if self._broken is not None and self._size:
                raise DiscoveryError("bad-sitemap", f"broken XML: {self._broken}")
            raise DiscoveryError("bad-sitemap", "empty document")
        if self._broken is not None and not ended_early:
            raise DiscoveryError("bad-sitemap", f"broken XML: {self._broken}")
        truncated = ended_early or self._broken is not None
        bound = self._bound or (f"{self._size} bytes, where the fetch stopped" if cut else "")
        return entries.sitemap(base_url, truncated, bound)


def parse_sitemap(
    data: bytes,
    base_url: str,
    *,
    max_urls: int = MAX_SITEMAP_URLS,
    max_bytes: int = MAX_SITEMAP_BYTES,
    cut: bool = False,
) -> Sitemap:
    """A ``urlset`` (with Google News tags and ``lastmod``) or a ``sitemapindex`` from bytes.

    The whole-document form of :class:`SitemapReader` (same bounds, same result): at most
    *max_urls* entries and *max_bytes* decompressed bytes are read; *cut* says the body was
    already cut at a bound, so its entries complete before the cut are kept.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_sitemap takes bytes, got {type(data).__name__}")
    reader = SitemapReader(base_url, max_urls=max_urls, max_bytes=max_bytes)
    reader.feed(bytes(data))
    return reader.close(cut=cut)


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
