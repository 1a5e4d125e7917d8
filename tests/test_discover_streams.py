"""Huge but legal feeds and sitemaps are read as streams up to their bounds, never refused whole.

Against a real HTTP server on 127.0.0.1 that generates its bodies while it sends them (so a
test can serve an endless sitemap and count what was sent), through the fetcher and the
document fetch the crawl uses: a sitemap of more than 10 MiB (the page cap) and 50,000 URLs is
read up to its 50,000th URL, gzipped or not; an endless one stops at the bound without being
read to its end; a gzip bomb is inflated no further than the byte bound and costs no memory; a
feed larger than the page cap keeps its entries up to the bound. The readers themselves are
also tested on bytes: cutting a feed after its last complete entry (RSS, Atom, JSON Feed).
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import logging
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from loopback import LoopbackServer

from scraper.config import parse_config
from scraper.crawl.cycle import document_fetch
from scraper.discover import FeedReader, SitemapReader, discover_site
from scraper.discover.models import MAX_DOCUMENT_BYTES
from scraper.fetch.client import Fetcher

MiB = 1024 * 1024
SITEMAP_NS = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'

Body = Callable[[], Iterator[bytes]]


class StreamServer(LoopbackServer):
    """A real HTTP server on 127.0.0.1 whose bodies are generated as they are sent.

    ``routes[path] = (headers, body)`` where ``body()`` yields the chunks; the body ends when
    the generator does (or never). ``statuses[path]`` lists the statuses of the next answers
    (200 once it is empty). ``sent[path]`` counts the bytes written and ``ended[path]`` says how
    the last response ended: ``"complete"`` or ``"disconnected"`` (the client left).
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[dict[str, str], Body]] = {}
        self.sent: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()
        self.ended: dict[str, str] = {}
        self.statuses: dict[str, list[int]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                server.hits[self.path] += 1
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                headers, body = server.routes[self.path]
                statuses = server.statuses.get(self.path)
                status = statuses.pop(0) if statuses else 200
                self.send_response(status)
                if status != 200:
                    self.send_header("Content-Length", "24")
                    self.end_headers()
                    self.wfile.write(b"<html>busy, later</html>")
                    return
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()  # no Content-Length: the body ends when the connection does
                try:
                    for chunk in body():
                        self.wfile.write(chunk)
                        server.sent[self.path] += len(chunk)
                    self.wfile.flush()
                    server.ended[self.path] = "complete"
                except (BrokenPipeError, ConnectionResetError):
                    server.ended[self.path] = "disconnected"

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def stream_server():
    server = StreamServer()
    yield server
    server.close()


def site_config(server: StreamServer, *, crawl: dict | None = None, **site):
    return parse_config(
        {
            "crawl": {
                "user_agent": "newsarchive-test/1 (+https://example.org/contact)",
                "allow_hosts": [server.host_port],
                "per_host_delay": 0,
                "total_timeout": 20,
                "retries": 0,
                "obey_robots": False,
                **(crawl or {}),
            },
            "sites": [{"name": "big", "use_robots_sitemaps": False, **site}],
        }
    )


async def discover(config):
    """Discovery as the crawl runs it: pages through ``fetch``, feeds and sitemaps streamed."""
    async with Fetcher(config.crawl.fetch_settings()) as fetcher:
        return await asyncio.wait_for(
            discover_site(config.sites[0], fetcher.fetch, fetch_document=document_fetch(fetcher)),
            timeout=60,
        )


# --- bodies, generated while they are sent --------------------------------------------------


def url_entry(base: str, i: int, pad: int) -> bytes:
    padding = b"<!--" + b"p" * pad + b"-->" if pad else b""
    return b"<url><loc>%s/news/story-%06d/</loc><lastmod>2026-11-25T10:00:00Z</lastmod>%s</url>" % (
        base.encode(),
        i,
        padding,
    )


def urlset(base: str, count: int | None, pad: int = 0) -> Iterator[bytes]:
    """A urlset of *count* URLs (None: endless), a thousand entries per chunk."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>' + SITEMAP_NS
    i = 0
    while count is None or i < count:
        stop = i + 1000 if count is None else min(i + 1000, count)
        yield b"".join(url_entry(base, n, pad) for n in range(i, stop))
        i = stop
    yield b"</urlset>"


def gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        out = packer.compress(chunk)
        if out:
            yield out
    yield packer.flush()


def rss(base: str, count: int | None, pad: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
    i = 0
    while count is None or i < count:
        yield (
            b"<item><title>Story %d</title><link>%s/news/feed-%d/</link>"
            b"<description>%s</description></item>" % (i, base.encode(), i, b"x" * pad)
        )
        i += 1
    yield b"</channel></rss>"


def stored(chunks: Iterator[bytes]) -> bytes:
    return b"".join(chunks)


# --- sitemaps ---------------------------------------------------------------------------------


@pytest.mark.parametrize("packing", ["plain", "gzip-file"])
async def test_a_sitemap_past_the_page_cap_is_read_to_its_50000th_url(
    stream_server, caplog, packing
) -> None:
    """60,000 URLs in 11 MiB (the page cap is 10 MiB), plain or as a ``.xml.gz`` file: the
    first 50,000 are kept, the sitemap is not refused, and one warning line (no traceback)
    says it was cut at the URL bound."""
    server = stream_server
    body = stored(urlset(server.base, 60_000, pad=100))
    assert len(body) > 10 * MiB
    path, headers = "/sitemap.xml", {"Content-Type": "application/xml"}
    if packing == "gzip-file":
        path, headers = "/sitemap.xml.gz", {"Content-Type": "application/x-gzip"}
    payload = body if packing == "plain" else gzip.compress(body, 1)
    server.routes[path] = (headers, lambda: iter([payload]))
    config = site_config(server, sitemaps=[server.base + path])
    assert config.sites[0].max_sitemap_urls == 50_000
    assert config.crawl.max_page_size == 10 * MiB

    with caplog.at_level(logging.WARNING, logger="newsarchive"):
        report = await discover(config)

    assert report.errors == []
    urls = [d.url for d in report.found]
    assert len(urls) == 50_000
    assert urls[0] == f"{server.base}/news/story-000000/"
    assert urls[-1] == f"{server.base}/news/story-049999/"
    assert report.found[0].modified == "2026-11-25T10:00:00+00:00"
    (line,) = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert line.getMessage() == (
        f'sitemap truncated at its bound url={server.base}{path} kept=50000 bound="50000 URLs"'
    )


async def test_a_sitemap_sent_with_content_encoding_is_streamed_too(stream_server) -> None:
    """``Content-Encoding: gzip`` is undone by the fetcher's bounded decoder, chunk by chunk,
    before the sitemap reader sees the bytes; a site's own bound applies the same way."""
    server = stream_server
    payload = gzip.compress(stored(urlset(server.base, 60_000, pad=100)), 1)
    headers = {"Content-Type": "application/xml", "Content-Encoding": "gzip"}
    server.routes["/sitemap.xml"] = (headers, lambda: iter([payload]))
    config = site_config(server, sitemaps=[f"{server.base}/sitemap.xml"], max_sitemap_urls=3000)
    report = await discover(config)
    assert report.errors == []
    assert [d.url for d in report.found] == [
        f"{server.base}/news/story-{i:06d}/" for i in range(3000)
    ]


async def test_an_endless_sitemap_stops_at_the_url_bound_unread(stream_server) -> None:
    """A sitemap that never ends: the download stops after the site's bound (5,000 URLs here,
    to keep the test short; the 50,000 default is read above), the connection is dropped, and
    only a bounded part of the body was ever sent (socket buffers aside)."""
    server = stream_server
    server.routes["/endless.xml"] = (
        {"Content-Type": "application/xml"},
        lambda: urlset(server.base, None),
    )
    config = site_config(server, sitemaps=[f"{server.base}/endless.xml"], max_sitemap_urls=5000)
    report = await discover(config)
    assert report.errors == []
    assert len(report.found) == 5000
    needed = 6000 * len(url_entry(server.base, 0, 0))
    for _ in range(100):  # the server thread notices the dropped connection on its next write
        if "/endless.xml" in server.ended:
            break
        await asyncio.sleep(0.05)
    assert server.ended["/endless.xml"] == "disconnected"
    # Socket buffers hold what was sent but never read: 4 MiB sent, 32 MiB received at most
    # here. Reading on to the 50 MiB byte bound would have needed far more.
    assert server.sent["/endless.xml"] < needed + 36 * MiB < MAX_DOCUMENT_BYTES


async def test_an_endless_sitemap_without_urls_stops_at_the_byte_bound(
    stream_server, caplog
) -> None:
    """No URL ever comes: the reading stops at 50 MiB, and the sitemap is empty, not an error."""
    server = stream_server

    def filler() -> Iterator[bytes]:
        yield SITEMAP_NS
        chunk = b" " * (1024 * 1024)
        while True:
            yield chunk

    server.routes["/filler.xml"] = ({"Content-Type": "application/xml"}, filler)
    config = site_config(server, sitemaps=[f"{server.base}/filler.xml"])
    with caplog.at_level(logging.WARNING, logger="newsarchive"):
        report = await discover(config)
    assert report.errors == [] and report.found == []
    assert report.fetched == 1
    assert server.sent["/filler.xml"] < MAX_DOCUMENT_BYTES + 36 * MiB  # buffers, as above
    assert any("truncated" in r.getMessage() and "bytes" in r.getMessage() for r in caplog.records)


@functools.cache
def bomb(size: int) -> bytes:
    """A gzip file inflating to *size* bytes of a urlset holding nothing but spaces, ~1000:1:
    one gzip member per MiB (concatenated members are one valid gzip file), packed once."""
    member = gzip.compress(b" " * MiB, 9)
    return gzip.compress(SITEMAP_NS) + member * (size // MiB)


def test_a_gzip_bomb_is_inflated_no_further_than_the_bound_in_little_memory() -> None:
    """1 GiB packed in 1 MiB: inflated a chunk at a time up to the 50 MiB bound, never held
    (the reader's memory stays a few chunks, whatever the bomb's size)."""
    data = bomb(1024 * MiB)
    assert len(data) < 2 * MiB
    reader = SitemapReader("https://e.com/sitemap.xml.gz")
    tracemalloc.start()
    try:
        stopped_at = None
        for start in range(0, len(data), 16 * 1024):
            if reader.feed(data[start : start + 16 * 1024]):
                stopped_at = start
                break
        sitemap = reader.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 50 MiB of the 1 GiB inflated: the reader stopped a twentieth of the way in
    assert stopped_at is not None and stopped_at < len(data) // 16
    assert sitemap.urls == [] and sitemap.truncated
    assert sitemap.bound == f"{MAX_DOCUMENT_BYTES} bytes"
    assert peak < 8 * MiB


async def test_a_gzip_bomb_sitemap_over_http_is_bounded(stream_server) -> None:
    server = stream_server
    payload = bomb(1024 * MiB)
    server.routes["/bomb.xml.gz"] = ({"Content-Type": "application/gzip"}, lambda: iter([payload]))
    config = site_config(server, sitemaps=[f"{server.base}/bomb.xml.gz"])
    report = await discover(config)
    assert report.errors == [] and report.found == []


async def test_a_reset_after_part_of_a_sitemap_keeps_its_urls_and_is_not_retried(
    stream_server,
) -> None:
    """The server stalls past the read timeout after 3,000 URLs: the fetch fails (a timeout,
    which is retried for pages), but the sink already had the body, so it is not fetched again
    (the URLs would be read twice) and the URLs read before the stall are kept."""
    server = stream_server

    def stalls() -> Iterator[bytes]:
        chunks = urlset(server.base, 6000)
        yield next(chunks)
        yield next(chunks) + next(chunks) + next(chunks)
        time.sleep(1.5)
        yield from chunks

    server.routes["/stalls.xml"] = ({"Content-Type": "application/xml"}, stalls)
    config = site_config(
        server, sitemaps=[f"{server.base}/stalls.xml"], crawl={"retries": 2, "read_timeout": 0.5}
    )
    report = await discover(config)
    assert server.hits["/stalls.xml"] == 1
    assert [e.reason for e in report.errors] == ["timeout"]
    assert len(report.found) == 3000


async def test_the_fetchers_sink_gets_only_the_200_body_and_stops_the_download(
    stream_server,
) -> None:
    """A 503 answered first is retried and its body never reaches the sink; the 200 body
    does, chunk by chunk, and the download stops as soon as the sink answers True."""
    server = stream_server
    server.routes["/doc"] = ({"Content-Type": "application/xml"}, lambda: urlset(server.base, None))
    server.statuses["/doc"] = [503]
    config = site_config(server, sitemaps=[f"{server.base}/doc"], crawl={"retries": 1})
    seen: list[bytes] = []

    async def sink(chunk: bytes) -> bool:
        seen.append(chunk)
        return sum(map(len, seen)) > MiB

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:  # the retry's back-off, on a virtual clock
        waits.append(seconds)

    async with Fetcher(config.crawl.fetch_settings(), sleep=no_wait) as fetcher:
        result = await fetcher.fetch(
            f"{server.base}/doc", max_bytes=MAX_DOCUMENT_BYTES, truncate=True, sink=sink
        )
    assert server.hits["/doc"] == 2 and result.attempts == 2 and len(waits) == 1
    assert result.status == 200 and result.truncated and result.body == b""
    body = b"".join(seen)
    assert body.startswith(b'<?xml version="1.0"') and b"busy" not in body
    assert MiB < len(body) < 2 * MiB


# --- feeds ------------------------------------------------------------------------------------


async def test_a_feed_past_the_page_cap_keeps_its_entries_up_to_the_bound(
    stream_server, caplog
) -> None:
    """An RSS feed of 12 MiB: with a bound of 200 entries, the first 200 are kept; with none
    reached (the default 50,000), all of them; never refused at the 10 MiB page cap."""
    server = stream_server
    body = stored(rss(server.base, 400, pad=32 * 1024))
    assert len(body) > 12 * MiB
    server.routes["/feed.xml"] = ({"Content-Type": "application/rss+xml"}, lambda: iter([body]))

    with caplog.at_level(logging.WARNING, logger="newsarchive"):
        report = await discover(
            site_config(server, feeds=[f"{server.base}/feed.xml"], max_feed_entries=200)
        )
    assert report.errors == []
    assert [d.url for d in report.found] == [f"{server.base}/news/feed-{i}/" for i in range(200)]
    assert report.found[199].title == "Story 199"
    (line,) = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert 'kept=200 bound="200 entries"' in line.getMessage() and line.exc_info is None

    report = await discover(site_config(server, feeds=[f"{server.base}/feed.xml"]))
    assert report.errors == [] and len(report.found) == 400


async def test_an_endless_feed_stops_at_its_entry_bound(stream_server) -> None:
    server = stream_server
    server.routes["/endless-feed"] = (
        {"Content-Type": "application/rss+xml"},
        lambda: rss(server.base, None, pad=1000),
    )
    report = await discover(
        site_config(server, feeds=[f"{server.base}/endless-feed"], max_feed_entries=500)
    )
    assert report.errors == []
    assert len(report.found) == 500
    for _ in range(100):
        if "/endless-feed" in server.ended:
            break
        await asyncio.sleep(0.05)
    assert server.ended["/endless-feed"] == "disconnected"


async def test_a_broken_streamed_feed_is_one_clear_error(stream_server) -> None:
    server = stream_server
    page = b"<html><body>" + b"<p>not a feed</p>" * 1000 + b"</body></html>"
    server.routes["/feed"] = ({"Content-Type": "text/html"}, lambda: iter([page]))
    report = await discover(site_config(server, feeds=[f"{server.base}/feed"]))
    (error,) = report.errors
    assert error.reason == "bad-feed" and "\n" not in error.message
    assert report.found == []


# --- the feed reader on bytes -----------------------------------------------------------------


def fed(reader: FeedReader | SitemapReader, data: bytes, step: int = 4096) -> bool:
    """Feed *data* in small pieces (tags split between them); True when the reader stopped."""
    return any(reader.feed(data[i : i + step]) for i in range(0, len(data), step))


def test_an_atom_feed_cut_at_the_byte_bound_keeps_its_complete_entries() -> None:
    entry = (
        "<atom:entry><atom:title>E{0}</atom:title>"
        '<atom:link href="https://e.com/a/{0}"/><atom:id>urn:{0}</atom:id>'
        "<atom:summary>" + "s" * 500 + "</atom:summary></atom:entry>"
    )
    doc = (
        '<?xml version="1.0"?><atom:feed xmlns:atom="http://www.w3.org/2005/Atom">'
        "<atom:title>T &amp; co</atom:title>"
        + "".join(entry.format(i) for i in range(100))
        + "</atom:feed>"
    ).encode()
    reader = FeedReader("https://e.com/feed", max_bytes=len(doc) // 2)
    assert fed(reader, doc)
    feed = reader.close()
    assert feed.truncated and feed.bound == f"{len(doc) // 2} bytes"
    urls = [e.url for e in feed.entries]
    assert 40 <= len(urls) < 50
    assert urls == [f"https://e.com/a/{i}" for i in range(len(urls))]
    assert feed.entries[-1].guid == f"urn:{len(urls) - 1}"


def test_a_sloppy_rss_feed_cut_at_the_entry_bound_is_still_read() -> None:
    """Not well-formed XML (an HTML entity), as many real feeds: the cut still keeps entries."""
    items = "".join(
        f"<item><title>A&nbsp;{i}</title><link>https://e.com/a/{i}</link></item>" for i in range(50)
    )
    doc = f'<rss version="2.0"><channel><title>T&nbsp;x</title>{items}</channel></rss>'.encode()
    reader = FeedReader("https://e.com/feed", max_entries=10)
    assert fed(reader, doc, step=100)
    feed = reader.close()
    assert feed.truncated and feed.bound == "10 entries"
    assert [e.url for e in feed.entries] == [f"https://e.com/a/{i}" for i in range(10)]


def test_a_feed_exactly_at_its_entry_bound_is_not_truncated() -> None:
    items = "".join(f"<item><link>https://e.com/a/{i}</link></item>" for i in range(10))
    doc = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    reader = FeedReader("https://e.com/feed", max_entries=10)
    assert not fed(reader, doc, step=7)
    feed = reader.close()
    assert not feed.truncated and len(feed.entries) == 10


def test_a_json_feed_cut_at_the_byte_bound_keeps_its_complete_items() -> None:
    doc = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "items": [
                {"id": str(i), "url": f"https://e.com/j/{i}", "content_text": "c" * 300}
                for i in range(60)
            ],
        }
    ).encode()
    reader = FeedReader("https://e.com/feed.json", max_bytes=len(doc) // 3)
    assert fed(reader, doc)
    feed = reader.close()
    assert feed.truncated
    urls = [e.url for e in feed.entries]
    assert 15 <= len(urls) < 20
    assert urls == [f"https://e.com/j/{i}" for i in range(len(urls))]


def test_an_entity_bomb_in_a_cut_feed_is_still_refused() -> None:
    from scraper.discover import DiscoveryError

    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel><title>&b;</title>'
        + b"".join(b"<item><link>https://e.com/a/%d</link></item>" % i for i in range(50))
        + b"</channel></rss>"
    )
    reader = FeedReader("https://e.com/feed", max_entries=5)
    assert fed(reader, doc, step=50)
    with pytest.raises(DiscoveryError) as info:
        reader.close()
    assert info.value.reason == "unsafe-xml"


def test_a_sitemap_index_read_in_pieces_stops_at_its_bound() -> None:
    doc = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(b"<sitemap><loc>s-%d.xml</loc></sitemap>" % i for i in range(30))
        + b"</sitemapindex>"
    )
    reader = SitemapReader("https://e.com/index.xml", max_urls=12)
    assert fed(reader, doc, step=9)
    sitemap = reader.close(base_url="https://e.com/moved/index.xml")
    assert sitemap.truncated and sitemap.bound == "12 URLs"
    assert sitemap.sitemaps == [f"https://e.com/moved/s-{i}.xml" for i in range(12)]


def test_a_deeply_nested_sitemap_is_refused() -> None:
    from scraper.discover import DiscoveryError

    doc = SITEMAP_NS + b"<url>" + b"<x>" * 100_000
    reader = SitemapReader("https://e.com/s.xml")
    assert fed(reader, doc)
    with pytest.raises(DiscoveryError) as info:
        reader.close()
    assert info.value.reason == "bad-sitemap" and "nested" in str(info.value)
