"""Crawl cycles against a real local site that changes between crawls, with a test clock."""

from __future__ import annotations

import html
import socket
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta

import pytest

from archive.store import Archive
from scraper.config import parse_config
from scraper.crawl.cycle import crawl_site, is_soft_404
from scraper.fetch.client import Fetcher, FetchError

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    published: datetime,
    teaser: str = "",
    canonical: str | None = None,
) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | Test Gazette</title>{link}
<meta property="article:published_time" content="{published.isoformat()}">
</head><body><header><nav><a href="/">Home</a> <a href="/world/">World</a></nav></header>
<main><article><h1>{html.escape(title)}</h1><p class="byline">By Sam Writer</p>{body}</article>
<aside class="latest"><h2>Latest news</h2><ul><li><a href="/x/">{html.escape(teaser)}</a></li>
</ul></aside></main><footer>Copyright Test Gazette</footer></body></html>"""


PARAS = [
    "The city council voted on Tuesday to close the central library for two years of repairs.",
    "Residents packed the chamber, and several speakers asked for a temporary branch downtown.",
    "The mayor said the building had been neglected for decades and the roof was failing.",
    "A final decision on the temporary branch is expected at the next meeting in December.",
]


def feed(server, paths: list[str]) -> str:
    items = "".join(
        f"<item><title>Story</title><link>{server.base}{p}</link><guid>{p}</guid></item>"
        for p in paths
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{server.base}/</link>{items}</channel></rss>"
    )


def make_config(server, tmp_path, crawl_extra=None, **site_extra):
    site = {
        "name": "gazette",
        "feeds": [f"{server.base}/feed.xml"],
        "include": ["/news/"],
        "use_robots_sitemaps": False,
        **site_extra,
    }
    return parse_config(
        {
            "archive": {"db": str(tmp_path / "a.db")},
            "crawl": {
                "user_agent": "newsarchive-test (+https://example.org/c)",
                "per_host_delay": 0,
                "retries": 0,
                "total_timeout": 5,
                "allow_hosts": [server.host_port],
                **(crawl_extra or {}),
            },
            "sites": [site],
        }
    )


def serve_feed(server, paths):
    server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        feed(server, paths).encode(),
    )


async def crawl(config, archive, clock, **kw):
    async with Fetcher(config.crawl.fetch_settings()) as fetcher:
        return await crawl_site(config.sites[0], archive, fetcher, now=clock, **kw)


def article_requests(server, path):
    return [p for p, _ in server.requests if p == path]


async def test_discovery_edits_and_recheck_timing(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/library/", "/news/old-story/", "/about/"])
    server.html(
        "/news/library/",
        article_page("Library to close", PARAS, published=T0 - timedelta(minutes=30), teaser="A"),
    )
    server.html(
        "/news/old-story/",
        article_page("An old story", PARAS[:2], published=T0 - timedelta(days=2), teaser="A"),
    )
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock)
        c = report.counts
        assert (c.discovered, c.new_articles, c.fetched, c.new_versions) == (2, 2, 2, 2)
        young = archive.article(f"{server.base}/news/library/")
        old = archive.article(f"{server.base}/news/old-story/")
        # Young articles are re-checked every 15 minutes, two-day-old ones every 3 hours.
        assert young["next_check"] == (T0 + timedelta(minutes=15)).isoformat()
        assert old["next_check"] == (T0 + timedelta(hours=3)).isoformat()

        # Nothing due yet: a crawl now fetches nothing.
        clock.advance(minutes=5)
        report = await crawl(config, archive, clock)
        assert report.counts.fetched == 0

        # Boilerplate rotates: the re-check is "unchanged".
        server.html(
            "/news/library/",
            article_page(
                "Library to close",
                PARAS,
                published=T0 - timedelta(minutes=30),
                teaser="Completely different teaser",
            ),
        )
        clock.advance(minutes=11)
        report = await crawl(config, archive, clock)
        assert (report.counts.fetched, report.counts.unchanged) == (1, 1)

        # A one-word correction is a new version.
        edited = [PARAS[0].replace("Tuesday", "Wednesday"), *PARAS[1:]]
        server.html(
            "/news/library/",
            article_page("Library to close", edited, published=T0 - timedelta(minutes=30)),
        )
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock)
        assert report.counts.new_versions == 1
        versions = archive.versions(young["id"])
        assert [v["change_kind"] for v in versions] == ["first", "correction"]
        assert "Wednesday" in versions[1]["text"]

        # --all re-checks every live article now, due or not.
        report = await crawl(config, archive, clock, check_all=True)
        assert report.counts.fetched == 2
        row = archive.crawls(1)[0]
        assert (row["status"], row["fetched"], row["unchanged"]) == ("done", 2, 2)


async def test_lifecycle_gone_moved_soft404_revived(page_server, tmp_path):
    clock = Clock()
    server = page_server
    paths = ["/news/a/", "/news/b/", "/news/c/"]
    serve_feed(server, paths)
    for p in paths:
        server.html(p, article_page(f"Story {p}", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        assert archive.counts()["versions"] == 3

        serve_feed(server, [])
        server.pages["/news/a/"] = (404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        server.pages["/news/b/"] = (301, {"Location": "/news/b-renamed/"}, b"")
        server.html("/news/b-renamed/", article_page("Story /news/b/", PARAS, published=T0))
        server.pages["/news/c/"] = (302, {"Location": "/"}, b"")
        server.html("/", "<html><body><h1>Home</h1><p>Front page</p></body></html>")
        clock.advance(minutes=20)
        report = await crawl(config, archive, clock)
        assert report.counts.errors_by_kind.get("http-404") == 1
        assert report.counts.errors_by_kind.get("soft-404") == 1

        a = archive.article(f"{server.base}/news/a/")
        assert a["status"] == "gone"
        b = archive.article(f"{server.base}/news/b/")  # the old URL still finds it
        assert b["url"] == f"{server.base}/news/b-renamed/"
        assert b["status"] == "live" and b["version_count"] == 1  # one history, no new version
        assert [e["kind"] for e in archive.events(b["id"])] == ["moved"]
        c = archive.article(f"{server.base}/news/c/")
        assert c["status"] == "soft-404"

        # The unpublished article comes back.
        server.html("/news/a/", article_page("Story /news/a/", PARAS, published=T0))
        clock.advance(minutes=30)
        await crawl(config, archive, clock)
        a = archive.article(a["id"])
        assert a["status"] == "live"
        assert [e["kind"] for e in archive.events(a["id"])] == ["gone", "revived"]


async def test_robots_and_conditional_get(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/open/", "/news/private/x/"])
    server.pages["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /news/private/\n",
    )
    server.html("/news/open/", article_page("Open story", PARAS, published=T0), ETag='"v1"')
    server.html("/news/private/x/", article_page("Private", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock)
        assert report.counts.skipped == 1
        assert report.counts.errors_by_kind.get("robots") == 1
        assert article_requests(server, "/news/private/x/") == []
        private = archive.article(f"{server.base}/news/private/x/")
        assert archive.captures(private["id"])[0]["reason"] == "robots"

        server.pages["/news/open/"] = (304, {"ETag": '"v1"'}, b"")
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock)
        assert report.counts.not_modified == 1
        sent = [h for p, h in server.requests if p == "/news/open/"][-1]
        assert sent.get("If-None-Match") == '"v1"'


class CountingExecutor(Executor):
    """Runs extraction inline and counts it: proves which captures cost an extraction."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


async def test_a_304_is_recorded_without_extraction(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/open/"])
    server.html("/news/open/", article_page("Open story", PARAS, published=T0), ETag='"v1"')
    config = make_config(server, tmp_path)
    executor = CountingExecutor()
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock, executor=executor)
        assert executor.calls == 1
        raw_pages = archive.counts()["raw_pages"]
        server.pages["/news/open/"] = (304, {"ETag": '"v1"'}, b"")
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock, executor=executor)
        assert report.counts.not_modified == 1
        assert executor.calls == 1  # no extraction for the 304
        article = archive.article(f"{server.base}/news/open/")
        last = archive.captures(article["id"])[-1]
        assert (last["outcome"], last["status_code"]) == ("not-modified", 304)
        assert last["raw_page_id"] is None and last["version_id"] is None
        assert archive.counts()["raw_pages"] == raw_pages
        assert article["version_count"] == 1


async def test_an_unsolicited_304_for_a_url_never_archived_is_a_failure(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/never/"])
    server.pages["/news/never/"] = (304, {"ETag": '"x"'}, b"")  # to any request at all
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock)
        assert report.counts.not_modified == 0
        assert report.counts.errors_by_kind == {"unsolicited-304": 1}
        article = archive.article(f"{server.base}/news/never/")
        assert article["status"] != "live" and article["version_count"] == 0
        (capture,) = archive.captures(article["id"])
        assert (capture["outcome"], capture["reason"]) == ("error", "unsolicited-304")


async def test_validators_without_a_version_are_never_sent(page_server, tmp_path):
    """Validators stored beside no version (an archive written by an older version could hold
    them) must not make a 304 stand for a version the archive never had."""
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/late/"])
    server.html("/news/late/", "<html><body></body></html>", ETag='"e1"')
    server.validating.add("/news/late/")
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        article = archive.article(f"{server.base}/news/late/")
        assert article["version_count"] == 0
        archive.db.execute("update articles set etag = ? where id = ?", ['"e1"', article["id"]])
        archive.db.conn.commit()
        server.html("/news/late/", article_page("Late story", PARAS, published=T0), ETag='"e1"')
        clock.advance(minutes=16)
        await crawl(config, archive, clock)
        article = archive.article(article["id"])
        assert article["version_count"] == 1 and article["status"] == "live"
        sent = [h.get("If-None-Match") for p, h in server.requests if p == "/news/late/"]
        assert sent == [None, None]


async def test_a_301_whose_target_answers_304_is_a_move(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/b/"])
    page = article_page("Story b", PARAS, published=T0)
    server.html("/news/b/", page, ETag='"v1"')
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        # The page moves; its new URL serves the same representation with the same ETag.
        server.pages["/news/b/"] = (301, {"Location": "/news/b-renamed/"}, b"")
        server.html("/news/b-renamed/", page, ETag='"v1"')
        server.validating.add("/news/b-renamed/")
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock)
        assert report.counts.not_modified == 0
        article = archive.article(f"{server.base}/news/b/")
        assert article["url"] == f"{server.base}/news/b-renamed/"
        assert [e["kind"] for e in archive.events(article["id"])] == ["moved"]
        assert article["version_count"] == 1
        assert archive.captures(article["id"])[-1]["outcome"] == "unchanged"
        # the old URL's validators were sent to the old URL only
        sent = [h.get("If-None-Match") for p, h in server.requests if p == "/news/b-renamed/"]
        assert sent == [None]


def huge_sitemap(server, count: int, padding: int = 0) -> bytes:
    """A sitemap of *count* URLs, each entry padded by a comment of *padding* bytes."""
    pad = b"<!--" + b"p" * padding + b"-->" if padding else b""
    return (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(
            b"<url><loc>%s/news/story-%06d/</loc><lastmod>2026-11-25T10:00:00Z</lastmod>"
            b"<changefreq>daily</changefreq><priority>0.5</priority>%s</url>"
            % (server.base.encode(), i, pad)
            for i in range(count)
        )
        + b"</urlset>"
    )


def huge_feed(server, count: int, padding: int) -> bytes:
    items = "".join(
        f"<item><title>Story</title><link>{server.base}/news/feed-{i}/</link>"
        f"<description>{'x' * padding}</description></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


async def test_a_sitemap_past_the_page_cap_is_read_to_its_url_bound(page_server, tmp_path):
    """A 12 MB sitemap, over the 10 MiB page cap: read as a stream up to its URL bound (the
    protocol's 50,000 by default; 2,000 here to keep the test short), never refused whole."""
    from scraper.config import DEFAULT_MAX_SITEMAP_URLS
    from scraper.crawl.cycle import document_fetch
    from scraper.discover import discover_site

    assert DEFAULT_MAX_SITEMAP_URLS == 50_000
    server = page_server
    sitemap = huge_sitemap(server, 5000, padding=2400)
    assert len(sitemap) > 10 * 1024 * 1024
    server.pages["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, sitemap)
    config = make_config(
        server, tmp_path, feeds=[], sitemaps=[f"{server.base}/sitemap.xml"], max_sitemap_urls=2000
    )
    async with Fetcher(config.crawl.fetch_settings()) as fetcher:
        with pytest.raises(FetchError) as refused:
            await fetcher.fetch(f"{server.base}/sitemap.xml")  # as a page, it is too large
        assert refused.value.reason == "too-large"
        report = await discover_site(
            config.sites[0], fetcher.fetch, fetch_document=document_fetch(fetcher)
        )
    assert report.errors == []
    assert len(report.found) == 2000


async def test_feeds_and_sitemaps_past_the_page_cap_reach_the_crawl(page_server, tmp_path):
    clock = Clock()
    server = page_server
    sitemap = huge_sitemap(server, 3, padding=4 * 1024 * 1024)  # 12 MB for 3 URLs
    server.pages["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, sitemap)
    rss = huge_feed(server, 2, padding=6 * 1024 * 1024)
    server.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss)
    assert min(len(sitemap), len(rss)) > 10 * 1024 * 1024
    config = make_config(server, tmp_path, sitemaps=[f"{server.base}/sitemap.xml"])
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock)
    assert [reason for _, reason, _ in report.source_errors] == []
    assert report.counts.discovered == 3 + 2


async def test_failed_fetches_are_one_capture_with_a_reason_and_nothing_else(page_server, tmp_path):
    clock = Clock()
    server = page_server
    with socket.socket() as unlisted:  # a local port that is not in allow_hosts
        unlisted.bind(("127.0.0.1", 0))
        unlisted_port = unlisted.getsockname()[1]
    paths = ["/news/report-pdf/", "/news/huge/", "/news/elsewhere/", "/news/ok/"]
    serve_feed(server, paths)
    server.pages["/news/report-pdf/"] = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7\n")
    server.html("/news/huge/", article_page("Huge", PARAS * 200, published=T0))
    server.pages["/news/elsewhere/"] = (
        302,
        {"Location": f"http://127.0.0.1:{unlisted_port}/news/x/"},
        b"",
    )
    server.html("/news/ok/", article_page("Fine", PARAS, published=T0))
    config = make_config(server, tmp_path, crawl_extra={"max_page_size": "64KiB"})
    executor = CountingExecutor()
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock, executor=executor)
        assert report.counts.errors_by_kind == {"not-html": 1, "too-large": 1, "ssrf-blocked": 1}
        assert report.counts.new_versions == 1 and executor.calls == 1
        expected = {
            "/news/report-pdf/": ("not-html", "not-html"),
            "/news/huge/": ("error", "too-large"),
            "/news/elsewhere/": ("error", "ssrf-blocked"),
        }
        for path, (outcome, reason) in expected.items():
            article = archive.article(f"{server.base}{path}")
            (capture,) = archive.captures(article["id"])
            assert (capture["outcome"], capture["reason"]) == (outcome, reason), path
            assert capture["raw_page_id"] is None and capture["version_id"] is None
            assert article["version_count"] == 0 and archive.versions(article["id"]) == []
        assert archive.counts()["raw_pages"] == 1  # the one good page
        huge = archive.captures(archive.article(f"{server.base}/news/huge/")["id"])[0]
        assert "65536" in huge["error"]  # the message says which limit


async def test_canonical_link_merges_an_alias(page_server, tmp_path):
    clock = Clock()
    server = page_server
    canonical = f"{server.base}/news/story/"
    serve_feed(server, ["/news/story/", "/news/story/amp/"])
    server.html("/news/story/", article_page("Story", PARAS, published=T0, canonical=canonical))
    server.html("/news/story/amp/", article_page("Story", PARAS, published=T0, canonical=canonical))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/story/amp/")
        assert article["url"] == canonical
        assert article["version_count"] == 1 and article["capture_count"] == 2


@pytest.mark.parametrize(
    ("original", "final", "soft"),
    [
        ("https://n.example/world/2026/story/", "https://n.example/", True),
        ("https://n.example/world/2026/story/", "https://n.example/world/", True),
        ("https://n.example/world/2026/story/", "https://n.example/world/2026/story-2/", False),
        ("https://n.example/a/story/", "https://other.example/", False),
    ],
)
def test_soft_404_detection(original, final, soft):
    assert is_soft_404(original, final) is soft


async def test_per_run_cap_takes_the_oldest_due_first(page_server, tmp_path):
    clock = Clock()
    server = page_server
    paths = [f"/news/s{i}/" for i in range(5)]
    serve_feed(server, paths)
    for p in paths:
        server.html(p, article_page(f"Story {p}", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock, max_articles=2)
        assert report.counts.fetched == 2
        checked = [p for p, _ in server.requests if p.startswith("/news/")]
        assert checked == paths[:2]  # discovered first, due first
        clock.advance(minutes=1)
        report = await crawl(config, archive, clock, max_articles=2)
        assert [p for p, _ in server.requests if p.startswith("/news/")][2:] == paths[2:4]


async def test_a_feed_saying_modified_pulls_a_check_forward(page_server, tmp_path):
    clock = Clock()
    server = page_server
    old = T0 - timedelta(days=3)
    server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        feed(server, ["/news/old/"]).encode(),
    )
    server.html("/news/old/", article_page("Old", PARAS, published=old))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        article = archive.article(f"{server.base}/news/old/")
        assert article["next_check"] == (T0 + timedelta(hours=3)).isoformat()
        clock.advance(minutes=30)
        atom = (
            f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            f'<entry><title>Old</title><link href="{server.base}/news/old/"/>'
            f"<id>old</id><updated>{clock.now.isoformat()}</updated></entry></feed>"
        )
        server.pages["/feed.xml"] = (200, {"Content-Type": "application/atom+xml"}, atom.encode())
        server.html(
            "/news/old/", article_page("Old", PARAS + ["Correction appended."], published=old)
        )
        report = await crawl(config, archive, clock)
        assert report.counts.new_versions == 1


async def test_repeated_errors_mark_an_article_failing_and_recovery_revives(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/flaky/"])
    server.html("/news/flaky/", article_page("Flaky", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        server.pages["/news/flaky/"] = (503, {"Content-Type": "text/plain"}, b"down")
        for _ in range(3):
            clock.advance(minutes=16)
            report = await crawl(config, archive, clock)
            assert report.counts.errors_by_kind == {"http-503": 1}
        article = archive.article(f"{server.base}/news/flaky/")
        assert (article["status"], article["error_streak"]) == ("failing", 3)
        server.html("/news/flaky/", article_page("Flaky", PARAS, published=T0))
        clock.advance(minutes=16)
        await crawl(config, archive, clock)
        assert [e["kind"] for e in archive.events(article["id"])] == ["failing", "revived"]


async def test_sitemaps_announced_in_robots_txt_are_read(page_server, tmp_path):
    clock = Clock()
    server = page_server
    server.pages["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        f"User-agent: *\nSitemap: {server.base}/sm.xml\n".encode(),
    )
    server.pages["/sm.xml"] = (
        200,
        {"Content-Type": "application/xml"},
        (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{server.base}/news/only-in-sitemap/</loc></url></urlset>"
        ).encode(),
    )
    server.html("/world/", "<html><body><a href='/news/listed/'>Listed</a></body></html>")
    for p in ("/news/listed/", "/news/only-in-sitemap/"):
        server.html(p, article_page(f"Story {p}", PARAS, published=T0))
    config = make_config(
        server,
        tmp_path,
        feeds=[],
        listing_pages=[f"{server.base}/world/"],
        use_robots_sitemaps=True,
    )
    with Archive(config.db_path) as archive:
        report = await crawl(config, archive, clock)
        assert report.counts.new_versions == 2
        assert archive.find_article(f"{server.base}/news/only-in-sitemap/") is not None


async def test_debug_logs_one_line_per_article_checked(page_server, tmp_path, caplog):
    import logging

    clock = Clock()
    serve_feed(page_server, ["/news/one/"])
    page_server.html("/news/one/", article_page("One", PARAS, published=T0))
    config = make_config(page_server, tmp_path)
    with caplog.at_level(logging.DEBUG, logger="newsarchive.crawl"), Archive(config.db_path) as a:
        await crawl(config, a, clock)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("checked ")]
    assert len(lines) == 1
    assert "status=200 outcome=new-version" in lines[0] and "/news/one/" in lines[0]


async def test_a_canonical_link_to_the_home_page_merges_nothing(page_server, tmp_path):
    clock = Clock()
    server = page_server
    home = f"{server.base}/"
    serve_feed(server, ["/news/first/", "/news/second/", "/news/third/"])
    server.html("/news/first/", article_page("First", PARAS, published=T0, canonical=home))
    server.html("/news/second/", article_page("Second", PARAS[:2], published=T0, canonical=home))
    excluded = f"{server.base}/amp/third/"  # not matched by the site's include patterns
    server.html("/news/third/", article_page("Third", PARAS[1:], published=T0, canonical=excluded))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        urls = sorted(r["url"] for r in archive.db.query("select url from articles"))
        assert urls == [f"{server.base}/news/{p}/" for p in ("first", "second", "third")]


async def test_a_redirect_to_a_page_that_is_not_an_article_is_a_soft_404(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/a/", "/news/b/"])
    for p in ("/news/a/", "/news/b/"):
        server.html(p, article_page(f"Story {p}", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        for p in ("/news/a/", "/news/b/"):
            server.pages[p] = (301, {"Location": "/subscribe/?next=story"}, b"")
        server.html("/subscribe/?next=story", "<html><body><h1>Subscribe</h1></body></html>")
        clock.advance(minutes=20)
        await crawl(config, archive, clock)
        statuses = [r["status"] for r in archive.db.query("select status from articles")]
        assert statuses == ["soft-404", "soft-404"]
        assert archive.counts()["versions"] == 2  # the subscription page was not archived


async def test_a_move_and_its_capture_land_together_or_not_at_all(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/old-slug/"])
    server.html("/news/old-slug/", article_page("Story", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        serve_feed(server, [])
        server.pages["/news/old-slug/"] = (301, {"Location": "/news/new-slug/"}, b"")
        server.html("/news/new-slug/", article_page("Story", PARAS, published=T0))
        real_record = archive.record

        def failing_record(capture, content=None, **kw):
            if capture.url.endswith("/new-slug/"):
                raise RuntimeError("the capture could not be written")
            return real_record(capture, content, **kw)

        archive.record = failing_record
        clock.advance(minutes=20)
        await crawl(config, archive, clock)
        article = archive.article(f"{server.base}/news/old-slug/")
        # The rename was rolled back with the failed capture: no half-done move.
        assert article["url"] == f"{server.base}/news/old-slug/"
        assert [e["kind"] for e in archive.events(article["id"])] == []
        archive.record = real_record
        clock.advance(minutes=20)
        await crawl(config, archive, clock)
        article = archive.article(article["id"])
        assert article["url"] == f"{server.base}/news/new-slug/"
        assert [e["kind"] for e in archive.events(article["id"])] == ["moved"]


async def test_an_unchanged_body_is_recorded_without_extraction(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/same/"])
    server.html("/news/same/", article_page("Same story", PARAS, published=T0))  # no ETag
    config = make_config(server, tmp_path)
    executor = CountingExecutor()
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock, executor=executor)
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock, executor=executor)
        assert report.counts.unchanged == 1 and executor.calls == 1  # same bytes: not extracted
        article = archive.article(f"{server.base}/news/same/")
        first, second = archive.captures(article["id"])
        assert second["outcome"] == "unchanged" and second["raw_page_id"] == first["raw_page_id"]
        assert article["unchanged_streak"] == 1 and article["version_count"] == 1
        server.html("/news/same/", article_page("Same story", PARAS[:3], published=T0))
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock, executor=executor)
        assert report.counts.new_versions == 1 and executor.calls == 2


class RecordingExecutor(CountingExecutor):
    """Runs extraction inline and keeps the arguments each job was sent with."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[tuple] = []

    def submit(self, fn, /, *args, **kwargs):
        self.jobs.append(args)
        return super().submit(fn, *args, **kwargs)


async def test_the_worker_gets_the_bytes_and_decodes_them(page_server, tmp_path):
    clock = Clock()
    server = page_server
    serve_feed(server, ["/news/ru/"])
    paras = ["Городской совет во вторник проголосовал за закрытие центральной библиотеки.", *PARAS]
    page = article_page("Библиотека закрыта", paras, published=T0).replace(
        '<meta charset="utf-8">', ""
    )
    body = page.encode("cp1251")
    server.html("/news/ru/", body, **{"Content-Type": "text/html; charset=windows-1251"})
    config = make_config(server, tmp_path)
    executor = RecordingExecutor()
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock, executor=executor)
        clock.advance(minutes=16)
        await crawl(config, archive, clock, executor=executor)  # same bytes: not extracted
        # One copy of the page goes to the worker, as fetched: no decoded text beside it.
        (job,) = executor.jobs
        assert body in job and not any(isinstance(a, str) and len(a) > 200 for a in job)
        article = archive.article(f"{server.base}/news/ru/")
        (version,) = archive.versions(article["id"])
        assert version["title"] == "Библиотека закрыта" and paras[0] in version["text"]
        first, second = archive.captures(article["id"])
        assert second["outcome"] == "unchanged"
        assert first["encoding"] == second["encoding"] == "windows-1251"


async def test_feeds_are_fetched_with_their_validators(page_server, tmp_path):
    clock = Clock()
    server = page_server
    server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml", "ETag": '"feed-1"'},
        feed(server, ["/news/one/"]).encode(),
    )
    server.html("/news/one/", article_page("One", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        first = await crawl(config, archive, clock)
        assert first.counts.discovered == 1
        server.pages["/feed.xml"] = (304, {"ETag": '"feed-1"'}, b"")
        clock.advance(minutes=16)
        report = await crawl(config, archive, clock)
        sent = [h for p, h in server.requests if p == "/feed.xml"][-1]
        assert sent.get("If-None-Match") == '"feed-1"'
        assert report.counts.errors_by_kind == {}  # a 304 source is no error
        assert report.counts.discovered == 0 and report.counts.fetched == 1  # still re-checked
