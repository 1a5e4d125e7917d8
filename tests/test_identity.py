"""Moves joined by identity: the feed guid, rel=shortlink, rel=canonical and og:url tie a new
URL to the article it was, whichever URL the crawl sees first; identities that name no story
(a shared guid, a home, section or shared canonical) join nothing."""

from __future__ import annotations

import html

import pytest
from test_crawl import PARAS, T0, Clock, article_page, crawl, make_config

from archive.store import Archive
from scraper.crawl.identity import keys_of, shortlinks

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
    def page_keys(page: str, url: str) -> dict[str, str]:  # as the crawl reads them
        return keys_of(shortlinks(page), url)

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


# --- every identity, both orders ----------------------------------------------------------------
#
# A move without a redirect that only an identity ties: the story is served at /news/new/, and
# the old URL keeps answering 200 with the same page. The page declares one identity: the feed
# guid, rel=shortlink, rel=canonical or og:url (the last two naming the new URL).


def declaring(page: str, source: str, base: str, *, at: str) -> str:
    """The page with one identity: *at* is the address the page names (canonical, og:url)."""
    tags = {
        "guid": "",
        "shortlink": f'<link rel="shortlink" href="{base}/?p=7">',
        "canonical": f'<link rel="canonical" href="{base}{at}">',
        "og:url": f'<meta property="og:url" content="{base}{at}">',
    }
    return page.replace("</head>", tags[source] + "</head>", 1)


@pytest.mark.parametrize("source", ["guid", "shortlink", "canonical", "og:url"])
@pytest.mark.parametrize("first", ["new", "old"])
async def test_a_move_is_one_history_and_a_moved_event_whatever_joins_it(
    page_server, tmp_path, source, first
):
    server, clock = page_server, Clock()
    guid = "gazette-7" if source == "guid" else None
    page = article_page("Library", PARAS, published=T0)
    serve_feed(server, [("/news/old/", guid)])
    server.html("/news/old/", declaring(page, source, server.base, at="/news/old/"))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        # The move: both URLs answer with the page, which now names the new URL.
        for path in ("/news/old/", "/news/new/"):
            server.html(path, declaring(page, source, server.base, at="/news/new/"))
        clock.advance(minutes=10)
        if first == "new":  # the feed lists the new URL before the old one is due again
            serve_feed(server, [("/news/new/", guid)])
            await crawl(config, archive, clock)
            await crawl(config, archive, clock, check_all=True)  # now the old one
        else:  # the old URL is re-checked before anything lists the new one
            await crawl(config, archive, clock, check_all=True)
            serve_feed(server, [("/news/new/", guid)])
            await crawl(config, archive, clock)
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/new/")
        assert archive.article(f"{server.base}/news/old/")["id"] == article["id"]
        assert article["url"] == f"{server.base}/news/new/"
        assert article["version_count"] == 1
        [event] = archive.events(article["id"])
        assert event["kind"] == "moved"
        assert event["detail"] == f"{server.base}/news/old/ -> {server.base}/news/new/"


async def test_an_older_article_with_no_version_yet_is_joined(page_server, tmp_path):
    """The old URL never answered (503): its article has no version, and still the new URL
    holding its guid is the same article: one article, a moved event."""
    server, clock = page_server, Clock()
    serve_feed(server, [("/news/old/", "gazette-7")])
    server.html("/news/old/", "<h1>Unavailable</h1>", status=503)
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        assert archive.article(f"{server.base}/news/old/")["version_count"] == 0
        clock.advance(minutes=10)
        serve_feed(server, [("/news/new/", "gazette-7")])
        server.html("/news/new/", article_page("Library", PARAS, published=T0))
        await crawl(config, archive, clock)
        assert archive.counts()["articles"] == 1
        article = archive.article(f"{server.base}/news/old/")
        assert article["url"] == f"{server.base}/news/new/"
        assert article["version_count"] == 1 and article["capture_count"] == 2
        assert [e["kind"] for e in archive.events(article["id"])] == ["moved"]


async def test_a_guid_that_several_unarchived_stories_share_joins_none(page_server, tmp_path):
    server, clock = page_server, Clock()
    serve_feed(server, [("/news/a/", "item"), ("/news/b/", "item")])
    for path in ("/news/a/", "/news/b/"):
        server.html(path, "<h1>Unavailable</h1>", status=503)
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        clock.advance(minutes=10)
        serve_feed(server, [("/news/c/", "item")])
        server.html("/news/c/", article_page("Wildfires spread", OTHER, published=T0))
        await crawl(config, archive, clock)
        assert archive.counts()["articles"] == 3
        assert archive.db["events"].count == 0


# --- canonicals that name no story --------------------------------------------------------------


async def test_canonicals_that_name_no_story_join_nothing(page_server, tmp_path):
    """A canonical is an identity only when it names one story's page: a section (an ancestor
    of the page's path that is no archived article), a story that many different pages name
    (a template bug), the first page of a paginated article (same headline, other text)."""
    server, clock = page_server, Clock()
    base = server.base
    more = [
        "The second part of the report lists the branches that will open during the works.",
        "Opening hours at the temporary sites will be shorter, the library service said.",
        "Volunteers from the friends of the library will run a book exchange on Saturdays.",
    ]
    pages = {
        # a section named by its articles
        "/news/world/fires/": ("Wildfires spread", OTHER, "/news/world/"),
        "/news/world/library/": ("Library", PARAS, "/news/world/"),
        # one story named by every page of a broken template
        "/news/one/": ("Library", PARAS, "/news/one/"),
        "/news/two/": ("Wildfires spread", OTHER, "/news/one/"),
        "/news/three/": ("Report", more, "/news/one/"),
        # a paginated article: page 2 names page 1
        "/news/long/": ("Library", PARAS, "/news/long/"),
        "/news/long/2/": ("Library", more, "/news/long/"),
    }
    serve_feed(server, [(path, None) for path in pages])
    for path, (title, paragraphs, canonical) in pages.items():
        server.html(path, article_page(title, paragraphs, published=T0, canonical=base + canonical))
    config = make_config(server, tmp_path)
    with Archive(config.db_path) as archive:
        await crawl(config, archive, clock)
        await crawl(config, archive, clock, check_all=True)  # in either order, twice
        urls = sorted(r["url"] for r in archive.db.query("select url from articles"))
        assert urls == sorted(base + path for path in pages)
        assert archive.db["events"].count == 0
        assert all(a["version_count"] == 1 for a in archive.db["articles"].rows)
