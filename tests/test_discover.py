from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from scraper.config import Site
from scraper.discover import (
    Discovered,
    DiscoveryError,
    discover_site,
    parse_feed,
    parse_listing,
    parse_sitemap,
    sitemaps_from_robots,
)

BASE = "https://news.example.com/feed/"

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Example News</title><link>https://news.example.com/</link>
  <item>
    <title>Storm  hits   coast</title>
    <link>/world/2026/11/storm?utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="false">tag:news.example.com,2026:1</guid>
    <pubDate>Wed, 25 Nov 2026 10:00:00 +0100</pubDate>
  </item>
  <item>
    <title>Only a guid</title>
    <guid>https://news.example.com/world/2026/11/guid-only</guid>
  </item>
  <item><title>No link at all</title><guid isPermaLink="false">x</guid></item>
</channel></rss>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.com/"><title>RDF</title><link>https://news.example.com/</link></channel>
  <item rdf:about="https://news.example.com/a/rdf-story">
    <title>RDF story</title><link>https://news.example.com/a/rdf-story</link>
    <dc:date>2026-11-24T08:30:00Z</dc:date>
  </item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom News</title><id>urn:x</id><updated>2026-11-25T12:00:00Z</updated>
  <entry>
    <title>Atom story</title>
    <link rel="alternate" href="https://News.Example.com:443/a/atom-story#top"/>
    <id>urn:uuid:1225c695</id>
    <published>2026-11-25T09:00:00+02:00</published>
    <updated>2026-11-25T11:30:00Z</updated>
  </entry>
</feed>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON News",
        "items": [
            {
                "id": "42",
                "url": "https://news.example.com/a/json-story?fbclid=zzz",
                "title": "JSON story",
                "date_published": "2026-11-25T10:00:00Z",
                "date_modified": "2026-11-25T12:00:00+01:00",
            },
            {"id": "no-url", "title": "skipped"},
            "not an object",
        ],
    }
).encode()


def site(**kwargs: object) -> Site:
    defaults: dict[str, object] = {"name": "example", "feeds": (BASE,)}
    defaults.update(kwargs)
    return Site(**defaults)  # type: ignore[arg-type]


# --- feeds --------------------------------------------------------------------------------------


def test_rss2_entries() -> None:
    items = parse_feed(RSS2, BASE)
    assert [i.url for i in items] == [
        "https://news.example.com/world/2026/11/storm",
        "https://news.example.com/world/2026/11/guid-only",
    ]
    first = items[0]
    assert first.source == "feed"
    assert first.title == "Storm hits coast"
    assert first.published == "2026-11-25T09:00:00+00:00"
    assert first.modified is None  # a pubDate is not a modification date
    assert first.guid == "tag:news.example.com,2026:1"


def test_rss1_atom_and_json_feed() -> None:
    (rdf,) = parse_feed(RSS1, BASE)
    assert rdf.url == "https://news.example.com/a/rdf-story"
    assert rdf.title == "RDF story"
    (atom,) = parse_feed(ATOM, BASE)
    assert atom.url == "https://news.example.com/a/atom-story"
    assert atom.published == "2026-11-25T07:00:00+00:00"
    assert atom.modified == "2026-11-25T11:30:00+00:00"
    assert atom.guid == "urn:uuid:1225c695"
    (item,) = parse_feed(JSON_FEED, BASE)
    assert item == Discovered(
        url="https://news.example.com/a/json-story",
        source="feed",
        title="JSON story",
        published="2026-11-25T10:00:00+00:00",
        modified="2026-11-25T11:00:00+00:00",
        guid="42",
    )


def test_empty_valid_feed_is_not_an_error() -> None:
    assert parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', BASE) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage <<< not xml",
        b"<html><body><p>a web page, not a feed</p></body></html>",
        b'{"version": "1", "items": []}',
        b"{not json",
    ],
)
def test_broken_feed_raises_bad_feed(data: bytes) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_feed(data, BASE)
    assert info.value.reason == "bad-feed"


def test_feed_bytes_are_never_opened_as_a_file_or_url(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(RSS2)
    for data in (str(secret).encode(), b"https://news.example.com/feed/"):
        with pytest.raises(DiscoveryError):
            parse_feed(data, BASE)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        '<!DOCTYPE rss [<!ENTITY a "TOP-SECRET"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_feed_declaring_entities_is_refused(tmp_path: Path, doctype: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        '<?xml version="1.0"?>' + doctype.format(secret=secret) + '<rss version="2.0"><channel>'
        "<title>t</title><item><title>&xxe;&b;</title>"
        "<link>https://news.example.com/a/x</link></item></channel></rss>"
    ).encode()
    with pytest.raises(DiscoveryError) as info:
        parse_feed(data, BASE)
    assert info.value.reason == "unsafe-xml"


def test_feed_with_a_plain_doctype_is_read() -> None:
    data = RSS2.replace(
        b'<rss version="2.0">',
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="2.0">',
    )
    assert len(parse_feed(data, BASE)) == 2


# --- sitemaps -----------------------------------------------------------------------------------

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example.com/a/one?utm_campaign=x</loc><lastmod>2026-11-20</lastmod></url>
  <url>
    <loc>https://news.example.com/a/two</loc>
    <lastmod>2026-11-25T10:00:00+01:00</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-11-25T08:00:00Z</news:publication_date>
      <news:title>Two  is news</news:title>
    </news:news>
  </url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>https://news.example.com/a/three</loc><lastmod>2026-11</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/sitemap-1.xml</loc><lastmod>2026-11-01</lastmod></sitemap>
  <sitemap><loc>/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_urlset_with_lastmod_and_google_news() -> None:
    sitemap = parse_sitemap(URLSET, "https://news.example.com/sitemap.xml")
    assert sitemap.sitemaps == []
    assert not sitemap.truncated
    one, two, three = sitemap.urls
    assert one == Discovered(
        url="https://news.example.com/a/one",
        source="sitemap",
        modified="2026-11-20T00:00:00+00:00",
    )
    assert two.source == "news-sitemap"
    assert two.title == "Two is news"
    assert two.published == "2026-11-25T08:00:00+00:00"
    assert two.modified == "2026-11-25T09:00:00+00:00"
    assert three.modified == "2026-11-01T00:00:00+00:00"


def test_sitemap_index_and_gzip() -> None:
    index = parse_sitemap(gzip.compress(INDEX), "https://news.example.com/sitemap_index.xml.gz")
    assert index.urls == []
    assert index.sitemaps == [
        "https://news.example.com/sitemap-1.xml",
        "https://news.example.com/sitemap-2.xml.gz",
    ]
    assert index.children[0].lastmod == "2026-11-01T00:00:00+00:00"


def test_sitemap_bounds() -> None:
    many = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(b"<url><loc>https://e.com/a/%d</loc></url>" % i for i in range(100))
        + b"</urlset>"
    )
    capped = parse_sitemap(many, "https://e.com/s.xml", max_urls=10)
    assert len(capped.urls) == 10 and capped.truncated
    # A gzip bomb, like any sitemap past the byte bound, is read up to the bound and no further.
    bomb = gzip.compress(b"<urlset>" + b" " * (2 * 1024 * 1024) + b"</urlset>")
    read = parse_sitemap(bomb, "https://e.com/s.xml.gz", max_bytes=1024 * 1024)
    assert read.urls == [] and read.truncated
    long_one = gzip.compress(many)
    read = parse_sitemap(long_one, "https://e.com/s.xml.gz", max_bytes=len(many) // 2)
    assert 40 <= len(read.urls) < 50 and read.truncated  # the entries before the cut


def test_a_sitemap_cut_by_the_fetch_keeps_its_complete_entries() -> None:
    whole = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(b"<url><loc>https://e.com/a/%d</loc></url>" % i for i in range(100))
        + b"</urlset>"
    )
    cut = whole[: len(whole) // 2]
    with pytest.raises(DiscoveryError):
        parse_sitemap(cut, "https://e.com/s.xml")  # a broken document, when nothing cut it
    read = parse_sitemap(cut, "https://e.com/s.xml", cut=True)
    assert 45 <= len(read.urls) <= 50 and read.truncated


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "bad-sitemap"),
        (b"<urlset><url><loc>https://e.com/a</loc></url>", "bad-sitemap"),
        (b"<html><body>no</body></html>", "bad-sitemap"),
        (b"\x1f\x8b\x08\x00broken", "bad-sitemap"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><urlset><url><loc>&lol2;</loc></url></urlset>',
            "unsafe-xml",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<urlset><url><loc>&x;</loc></url></urlset>",
            "unsafe-xml",
        ),
    ],
)
def test_bad_or_unsafe_sitemaps(data: bytes, reason: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_sitemap(data, "https://e.com/s.xml")
    assert info.value.reason == reason


def test_feed_given_as_sitemap_is_read_as_a_feed() -> None:
    sitemap = parse_sitemap(ATOM, "https://news.example.com/atom.xml")
    assert [(u.url, u.source) for u in sitemap.urls] == [
        ("https://news.example.com/a/atom-story", "sitemap")
    ]


def test_sitemaps_from_robots() -> None:
    robots = """User-agent: *
Disallow: /private/
Sitemap: https://news.example.com/sitemap_index.xml
sitemap: https://news.example.com/news-sitemap.xml
Sitemap: https://news.example.com/sitemap_index.xml
Sitemap: ftp://news.example.com/nope.xml
"""
    assert sitemaps_from_robots(robots) == [
        "https://news.example.com/sitemap_index.xml",
        "https://news.example.com/news-sitemap.xml",
    ]
    assert sitemaps_from_robots("") == []
    assert sitemaps_from_robots("\x00garbage\n:::") == []


# --- listing pages ------------------------------------------------------------------------------

LISTING = """<html><head><title>World</title></head><body>
<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/tag/storms/">Storms</a></nav>
<a href="/world/2026/11/storm?utm_source=home">Storm <b>hits</b> coast</a>
<a href="https://news.example.com/world/2026/11/storm#comments">12 comments</a>
<a href="2026/11/relative-story">Relative</a>
<a href="https://other.example.org/world/2026/11/elsewhere">Off site</a>
<a href="mailto:desk@news.example.com">Mail us</a>
<a href="javascript:void(0)">JS</a>
<a href="#top">Top</a>
<a href="/world/2026/11/live-blog">Live</a>
</body></html>"""


def test_listing_links_same_host_and_patterns() -> None:
    s = site(include=(r"/world/\d{4}/\d{2}/",), exclude=(r"live-blog",))
    items = parse_listing(LISTING, "https://news.example.com/world/", s)
    assert [(i.url, i.title, i.source) for i in items] == [
        ("https://news.example.com/world/2026/11/storm", "Storm hits coast", "listing"),
        ("https://news.example.com/world/2026/11/relative-story", "Relative", "listing"),
    ]


def test_listing_without_patterns_skips_page_and_root_and_honours_base() -> None:
    html = '<base href="https://news.example.com/x/"><a href="y">Y</a><a href="/">Home</a>'
    items = parse_listing(html, "https://news.example.com/section/", site())
    assert [i.url for i in items] == ["https://news.example.com/x/y"]


# --- discover_site with a fake fetch -------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    status: int
    body: bytes
    final_url: str
    text: str | None = None
    is_html: bool = False


class FakeError(Exception):
    reason = "timeout"


def fake_fetch(pages: dict[str, Result | Exception], log: list[str]):  # noqa: ANN201
    async def fetch(url: str) -> Result:
        log.append(url)
        await asyncio.sleep(0)
        page = pages.get(url)
        if page is None:
            return Result(404, b"", url)
        if isinstance(page, Exception):
            raise page
        return page

    return fetch


def xml(url: str, body: bytes) -> Result:
    return Result(200, body, url)


def index_of(*urls: str) -> bytes:
    return (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(b"<sitemap><loc>%s</loc></sitemap>" % u.encode() for u in urls)
        + b"</sitemapindex>"
    )


async def test_discover_site_merges_sources_and_records_failures() -> None:
    h = "https://news.example.com"
    pages: dict[str, Result | Exception] = {
        f"{h}/feed/": xml(f"{h}/feed/", RSS2),
        f"{h}/atom/": FakeError("read timed out"),
        f"{h}/sitemap_index.xml": xml(
            f"{h}/sitemap_index.xml",
            index_of(f"{h}/sitemap_index.xml", f"{h}/news.xml", f"{h}/missing.xml"),
        ),
        f"{h}/news.xml": xml(f"{h}/news.xml", URLSET),
        f"{h}/broken.xml": xml(f"{h}/broken.xml", b"<urlset><oops"),
        f"{h}/world/": Result(200, LISTING.encode(), f"{h}/world/", LISTING, True),
    }
    log: list[str] = []
    s = site(
        feeds=(f"{h}/feed/", f"{h}/atom/"),
        sitemaps=(f"{h}/sitemap_index.xml",),
        listing_pages=(f"{h}/world/",),
        exclude=(r"/tag/", r"live-blog", r"/a/three"),
    )
    report = await discover_site(
        s, fake_fetch(pages, log), robots_sitemaps=[f"{h}/broken.xml", f"{h}/sitemap_index.xml"]
    )
    urls = [d.url for d in report.found]
    assert urls == [
        f"{h}/world/2026/11/storm",
        f"{h}/world/2026/11/guid-only",
        f"{h}/a/one",
        f"{h}/a/two",
        f"{h}/world/2026/11/relative-story",
    ]
    storm = report.found[0]
    assert storm.source == "feed" and storm.title == "Storm hits coast"
    errors = {(e.url, e.reason) for e in report.errors}
    assert errors == {
        (f"{h}/atom/", "timeout"),
        (f"{h}/broken.xml", "bad-sitemap"),
        (f"{h}/missing.xml", "http-404"),
    }
    # The index listing itself was not fetched twice.
    assert log.count(f"{h}/sitemap_index.xml") == 1
    assert report.fetched == 4


async def test_a_failing_source_keeps_its_error_type_and_logs_the_traceback(caplog) -> None:
    """A bug met while reading one source (here the fetch itself) is a SourceError naming the
    exception's type, with the traceback in the debug log; the other sources still run."""
    h = "https://news.example.com"

    async def fetch(url: str) -> Result:
        if url.endswith("/broken-feed/"):
            raise KeyError("no such header")
        return xml(url, RSS2)

    caplog.set_level("DEBUG", logger="newsarchive.discover")
    report = await discover_site(site(feeds=(f"{h}/broken-feed/", f"{h}/feed/")), fetch)
    [error] = report.errors
    assert (error.url, error.reason, error.error_type) == (
        f"{h}/broken-feed/",
        "fetch-error",
        "KeyError",
    )
    assert report.found and report.fetched == 1
    [record] = [r for r in caplog.records if r.name == "newsarchive.discover"]
    assert record.levelname == "DEBUG" and record.exc_info is not None
    assert "KeyError" in caplog.text and "Traceback" in caplog.text


async def test_discover_site_bounds_sitemap_depth_and_count() -> None:
    h = "https://news.example.com"
    pages: dict[str, Result | Exception] = {
        f"{h}/s0.xml": xml(f"{h}/s0.xml", index_of(f"{h}/s1.xml")),
        f"{h}/s1.xml": xml(f"{h}/s1.xml", index_of(f"{h}/s2.xml", f"{h}/s0.xml")),
        f"{h}/s2.xml": xml(f"{h}/s2.xml", index_of(f"{h}/s3.xml")),
        f"{h}/s3.xml": xml(f"{h}/s3.xml", URLSET),
    }
    log: list[str] = []
    s = site(feeds=(), sitemaps=(f"{h}/s0.xml",))
    report = await discover_site(s, fake_fetch(pages, log), max_depth=2)
    assert report.found == []
    assert [(e.url, e.reason) for e in report.errors] == [(f"{h}/s3.xml", "sitemap-depth")]
    assert log == [f"{h}/s0.xml", f"{h}/s1.xml", f"{h}/s2.xml"]

    wide = {f"{h}/idx.xml": xml(f"{h}/idx.xml", index_of(*(f"{h}/p{i}.xml" for i in range(30))))}
    log.clear()
    report = await discover_site(
        site(feeds=(), sitemaps=(f"{h}/idx.xml",)), fake_fetch(wide, log), max_sitemaps=5
    )
    assert len(log) == 5 and report.skipped_sitemaps == 26


async def test_robots_sitemaps_ignored_when_the_site_says_so() -> None:
    log: list[str] = []
    s = site(use_robots_sitemaps=False)
    await discover_site(s, fake_fetch({}, log), robots_sitemaps=["https://news.example.com/s.xml"])
    assert log == [BASE]


# --- discover_site against a real local HTTP server ------------------------------------------------


@pytest.fixture
def news_server() -> Iterator[str]:
    routes: dict[str, tuple[str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            content_type, body = routes.get(self.path, ("text/plain", b""))
            if self.path == "/old-feed":
                self.send_response(301)
                self.send_header("Location", "/feed.xml")
                self.end_headers()
                return
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    feed = RSS2.replace(b"https://news.example.com", base.encode())
    routes["/feed.xml"] = ("application/rss+xml", feed)
    routes["/sitemap.xml.gz"] = (
        "application/gzip",
        gzip.compress(URLSET.replace(b"https://news.example.com", base.encode())),
    )
    routes["/world/"] = ("text/html; charset=utf-8", LISTING.encode())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


async def test_discover_site_over_http(news_server: str) -> None:
    async with httpx.AsyncClient(follow_redirects=True, timeout=5) as client:

        async def fetch(url: str) -> Result:
            response = await client.get(url)
            html = "html" in response.headers.get("content-type", "")
            return Result(
                status=response.status_code,
                body=response.content,
                final_url=str(response.url),
                text=response.text if html else None,
                is_html=html,
            )

        s = site(
            feeds=(f"{news_server}/old-feed",),
            sitemaps=(f"{news_server}/sitemap.xml.gz", f"{news_server}/nothing.xml"),
            listing_pages=(f"{news_server}/world/",),
            include=(r"/(world|a)/",),
        )
        report = await asyncio.wait_for(discover_site(s, fetch), timeout=20)
    urls = {d.url for d in report.found}
    assert f"{news_server}/world/2026/11/storm" in urls  # feed, after a 301
    assert f"{news_server}/a/two" in urls  # gzip news sitemap
    assert f"{news_server}/world/2026/11/relative-story" in urls  # listing page
    assert "https://other.example.org/world/2026/11/elsewhere" not in urls
    assert [(e.url, e.reason) for e in report.errors] == [
        (f"{news_server}/nothing.xml", "http-404")
    ]


async def test_discover_site_with_the_fetcher_built_from_config(news_server: str) -> None:
    from scraper.config import parse_config
    from scraper.fetch.client import Fetcher

    host_port = news_server.removeprefix("http://")
    cfg = parse_config(
        {
            "crawl": {
                "user_agent": "newsarchive-test/1 (+https://example.org/contact)",
                "allow_hosts": [host_port],
                "per_host_delay": 0,
                "total_timeout": 10,
                "retries": 0,
            },
            "sites": [
                {
                    "name": "local",
                    "feeds": [f"{news_server}/old-feed"],
                    "sitemaps": [f"{news_server}/sitemap.xml.gz"],
                    "listing_pages": [f"{news_server}/world/"],
                    "include": [r"/(world|a)/"],
                }
            ],
        }
    )
    async with Fetcher(cfg.crawl.fetch_settings()) as fetcher:
        report = await asyncio.wait_for(discover_site(cfg.sites[0], fetcher.fetch), timeout=20)
    assert report.errors == []
    assert report.fetched == 3
    sources = {d.url: d.source for d in report.found}
    assert sources[f"{news_server}/world/2026/11/storm"] == "feed"
    assert sources[f"{news_server}/a/two"] == "news-sitemap"
    assert sources[f"{news_server}/world/2026/11/relative-story"] == "listing"
