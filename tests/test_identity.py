"""Moves joined by identity: the feed guid and rel=shortlink tie a new URL to the article it
was, whichever URL the crawl sees first."""

from __future__ import annotations

import html

from test_crawl import PARAS, T0, Clock, article_page, crawl, make_config

from archive.store import Archive
from scraper.crawl.identity import page_keys

OTHER = [
    "Wildfires spread across the northern hills overnight, forcing farmers to move livestock.",
    "Firefighters from three regions joined local crews, and two roads remain closed.",
    "Officials said rain forecast for the weekend could help contain the largest fire.",
]


def with_shortlink(page: str, shortlink: str | None) -> str:
    if shortlink is None:
        return page
    return page.replace("</head>", f'<link rel="shortlink" href="{shortlink}"></head>', 1)


def serve_feed(server, items: list[tuple[str, str | None]]) -> None:
    """RSS whose items are (path, guid); a guid of None leaves the element out."""
    body = "".join(
        f"<item><title>Story</title><link>{server.base}{path}</link>"
        + (f'<guid isPermaLink="false">{html.escape(guid)}</guid>' if guid else "")
        + "</item>"
        for path, guid in items
    )
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{server.base}/</link>{body}</channel></rss>"
    )
    server.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())


def test_page_keys_read_the_shortlink() -> None:
    page = (
        '<html><head><LINK REL="shortlink" HREF="/?p=42">'
        "<link rel='canonical' href='/news/a/'></head><body>"
        '<link rel="shortlink" href="/?p=99"></body></html>'
    )
    assert page_keys(page, "https://n.example/news/a/") == {
        "shortlink:https://n.example/?p=42": "shortlink"
    }
    assert page_keys("<html><head></head></html>", "https://n.example/a/") == {}
    # a shortlink to the page itself says nothing
    assert page_keys('<link rel="shortlink" href="/a/">', "https://n.example/a/") == {}


async def moved_article(page_server, tmp_path, *, guid: str | None, shortlink: bool):
    """An article archived at /news/old/, then moved to /news/new/ (the old URL answers 301);
    the feed lists the new URL before the crawl re-checks the old one."""
    server, clock = page_server, Clock()
    link = f"{server.base}/?p=7" if shortlink else None
    serve_feed(server, [("/news/old/", guid)])
    server.html("/news/old/", with_shortlink(article_page("Library", PARAS, published=T0), link))
    config = make_config(server, tmp_path)
    archive = Archive(config.db_path)
    await crawl(config, archive, clock)
    assert archive.counts()["articles"] == 1

    clock.advance(minutes=10)  # the old URL is not due again yet
    server.pages["/news/old/"] = (301, {"Location": f"{server.base}/news/new/"}, b"")
    server.html("/news/new/", with_shortlink(article_page("Library", PARAS, published=T0), link))
    serve_feed(server, [("/news/new/", guid)])
    await crawl(config, archive, clock)
    return server, archive


async def test_a_move_seen_from_the_new_url_first_joins_by_feed_guid(page_server, tmp_path):
    server, archive = await moved_article(page_server, tmp_path, guid="gazette-7", shortlink=False)
    with archive:
        assert not [p for p, _ in server.requests if p == "/news/old/"][1:]  # never re-checked
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/old/")
        assert article["url"] == f"{server.base}/news/new/"
        assert article["version_count"] == 1 and article["capture_count"] == 2
        [event] = archive.events(article["id"])
        assert event["kind"] == "moved"
        assert event["detail"] == f"{server.base}/news/old/ -> {server.base}/news/new/"


async def test_a_move_seen_from_the_new_url_first_joins_by_shortlink(page_server, tmp_path):
    server, archive = await moved_article(page_server, tmp_path, guid=None, shortlink=True)
    with archive:
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/new/")
        assert archive.article(f"{server.base}/news/old/")["id"] == article["id"]
        assert [e["kind"] for e in archive.events(article["id"])] == ["moved"]


async def test_without_an_identity_the_new_url_is_another_article(page_server, tmp_path):
    server, archive = await moved_article(page_server, tmp_path, guid=None, shortlink=False)
    with archive:  # nothing ties them until the old URL's redirect is seen
        assert archive.counts()["articles"] == 2


async def test_a_reused_guid_never_merges_two_stories(page_server, tmp_path):
    server, clock = page_server, Clock()
    serve_feed(server, [("/news/library/", "item")])
    server.html("/news/library/", article_page("Library", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        clock.advance(minutes=10)
        serve_feed(server, [("/news/fires/", "item")])  # a CMS that gives every item one guid
        server.html("/news/fires/", article_page("Wildfires spread", OTHER, published=T0))
        await crawl(config, archive, clock)
        assert archive.counts()["articles"] == 2
        assert archive.article(f"{server.base}/news/library/")["status"] != "moved"
        assert archive.db["events"].count == 0


async def test_the_old_url_seen_first_is_one_history_too(page_server, tmp_path):
    server, clock = page_server, Clock()
    serve_feed(server, [("/news/old/", "gazette-7")])
    server.html("/news/old/", article_page("Library", PARAS, published=T0))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        server.pages["/news/old/"] = (301, {"Location": f"{server.base}/news/new/"}, b"")
        server.html("/news/new/", article_page("Library", PARAS, published=T0))
        await crawl(config, archive, clock, check_all=True)  # the old URL first, no new feed
        serve_feed(server, [("/news/new/", "gazette-7")])
        await crawl(config, archive, clock, check_all=True)
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/new/")
        assert [e["kind"] for e in archive.events(article["id"])] == ["moved"]
        assert article["version_count"] == 1
