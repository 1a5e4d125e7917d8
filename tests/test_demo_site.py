"""The bundled demo news site: a real server on 127.0.0.1 whose articles change on its clock."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from protego import Protego
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from scraper.demo.site import (
    EDIT_KINDS,
    LIFECYCLE_SCHEDULE,
    LIVE_ARTICLE_ID,
    LIVE_EDIT_KINDS,
    LIVE_TEMPLATE,
    PROMO,
    REQUEST_LOG_SIZE,
    TEMPLATES,
    DemoSite,
    DemoSiteError,
    apply_edit,
    build_article,
    build_live_article,
    load_corpus,
    misspell,
)

START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
BODY_SELECTORS = {
    "wordpress": ".entry-content",
    "broadsheet": ".story-body",
    "minimal": ".story",
    "mobile": ".m-body",
    "magazine": ".feature-body",
    LIVE_TEMPLATE: ".live-blog",
}
# The elements that hold editorial blocks, per layout (the mobile one uses divs for paragraphs,
# a live blog's posts are <p> in their own <article>; its header and byline are not text).
BLOCK_SELECTOR = "p, h2, blockquote, div.m-p, div.m-quote"


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with DemoSite(start=START, seed=1) as demo:
        yield demo


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def editorial(page: str, template: str) -> tuple[str, str]:
    """(headline, body text) as the layout shows them, skipping asides inside the body."""
    tree = HTMLParser(page)
    body = tree.css_first(BODY_SELECTORS[template])
    if template == LIVE_TEMPLATE:
        nodes = body.css(".live-intro p, .live-post-body p")
    else:
        nodes = [
            n
            for n in body.iter()
            if (n.tag in ("p", "h2", "blockquote") or n.tag == "div")
            and "data-block" not in n.attributes  # the site's furniture inside the body
        ]
    blocks = [node.text().strip() for node in nodes]
    return tree.css_first("h1").text().strip(), "\n\n".join(blocks)


def test_start_is_idempotent_and_stop_closes_the_port(client: httpx.Client) -> None:
    demo = DemoSite(start=START)
    base = demo.start()
    assert base == demo.start() == f"http://{demo.host_port}"
    assert urlsplit(base).hostname == "127.0.0.1"
    assert client.get(base + "/").status_code == 200
    demo.stop()
    demo.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/", timeout=2)
    with pytest.raises(DemoSiteError):
        _ = demo.host_port


def test_bad_input_gets_typed_errors(site: DemoSite, client: httpx.Client) -> None:
    with pytest.raises(DemoSiteError, match="timezone"):
        DemoSite(start=datetime(2026, 11, 26, 6, 0))
    with pytest.raises(DemoSiteError):
        DemoSite(seed=-1)
    with pytest.raises(DemoSiteError):
        site.advance(timedelta(minutes=-1))
    with pytest.raises(DemoSiteError):
        site.article(10_000)
    assert client.get(site.url("/no/such/page/")).status_code == 404
    assert client.get(site.url("/2026/11/26/no-such-article/")).status_code == 404
    assert client.post(site.url("/")).status_code == 501


def test_initial_articles_cover_every_layout(site: DemoSite) -> None:
    articles = site.articles()
    assert len(articles) == 14
    assert {a.template for a in articles} == {*TEMPLATES, LIVE_TEMPLATE}
    assert all(a.published < START for a in articles)
    assert all(a.http_status == 200 for a in articles)
    # the live blog has had a post since it went up; the others are as first published
    assert [a.id for a in articles if a.status != "live"] == [LIVE_ARTICLE_ID]
    assert [a.robots_allowed for a in articles].count(False) == 1
    assert {b.kind for a in articles for b in a.content.blocks} == {"p", "h2", "quote", "post"}
    # even ids answer conditional GETs, but never the magazine layout (its reading line follows
    # the clock)
    assert [a.conditional for a in articles] == [
        a.id % 2 == 0 and a.template != "magazine" for a in articles
    ]
    assert any(a.template == "magazine" and a.id % 2 == 0 for a in articles)
    live = site.article(LIVE_ARTICLE_ID)
    assert live.live and [b.kind for b in live.content.blocks][:2] == ["p", "post"]
    for a in articles:
        if a.live:
            continue
        paragraphs = a.text.split("\n\n")
        assert 3 <= len(paragraphs) <= 12
        assert a.url.startswith(site.base_url + ("/private/" if not a.robots_allowed else "/2026/"))


def test_boilerplate_rotates_while_the_article_text_stays(
    site: DemoSite, client: httpx.Client
) -> None:
    seen_templates = set()
    for article in site.articles():
        first = client.get(article.url)
        second = client.get(article.url)
        assert first.status_code == second.status_code == 200
        assert first.text != second.text  # timestamp, ad slot, CSRF token, teasers, comments
        assert first.cookies["csrftoken"] != second.cookies["csrftoken"]
        for response in (first, second):
            assert editorial(response.text, article.template) == (article.title, article.text)
        seen_templates.add(article.template)
    assert seen_templates == {*TEMPLATES, LIVE_TEMPLATE}


def test_pages_carry_article_metadata(site: DemoSite, client: httpx.Client) -> None:
    for article in site.articles()[:3]:
        tree = HTMLParser(client.get(article.url).text)
        assert tree.css_first("link[rel=canonical]").attributes["href"] == article.url
        assert tree.css_first('meta[property="og:title"]').attributes["content"] == article.title
        published = tree.css_first('meta[property="article:published_time"]').attributes["content"]
        assert datetime.fromisoformat(published) == article.published
        assert tree.css_first("time[datetime]").attributes["datetime"] == published
        assert article.author in tree.body.text()
        ld = json.loads(tree.css_first('script[type="application/ld+json"]').text())
        assert ld["@type"] == "NewsArticle"
        assert ld["headline"] == article.title
        assert ld["author"][0]["name"] == article.author
        assert ("articleBody" in ld) == (article.template == "minimal")


def test_scheduled_lifecycle_over_the_clock(site: DemoSite) -> None:
    original = {a.id: a for a in site.articles()}
    with httpx.Client(timeout=5, follow_redirects=False) as client:
        site.advance(timedelta(hours=1, minutes=10))
        assert client.get(original[4].url).status_code == 404
        assert site.article(4).status == "gone"

        site.advance(timedelta(hours=2, minutes=50))  # start + 4h: everything scheduled happened
        state = {a.id: a for a in site.articles()}

        # a one-word correction, then an "Update:" paragraph (article 12)
        before, after = original[12].text.split(), state[12].text.split("\n\n")
        corrected = "\n\n".join(after[:-1]).split()
        assert len(corrected) == len(before)
        assert sum(a != b for a, b in zip(before, corrected, strict=True)) == 1
        assert after[-1].startswith("Update:")
        assert state[12].edits == 2 and state[12].status == "edited"
        # an update paragraph (11), a new headline (10), a reworded paragraph (5)
        assert state[11].text.startswith(original[11].text) and "Update:" in state[11].text
        assert state[10].title != original[10].title and state[10].text == original[10].text
        assert state[5].title == original[5].title and state[5].text != original[5].text
        for article_id in (12, 11, 10, 5):
            page = client.get(state[article_id].url)
            assert page.status_code == 200
            assert editorial(page.text, state[article_id].template) == (
                state[article_id].title,
                state[article_id].text,
            )

        # moved: a permanent redirect to a new slug, same text, canonical on the new URL
        moved = client.get(original[9].url)
        assert moved.status_code == 301
        assert moved.headers["location"] == state[9].moved_to != original[9].url
        landed = client.get(state[9].moved_to)
        assert landed.status_code == 200
        assert editorial(landed.text, state[9].template)[1] == original[9].text
        canonical = HTMLParser(landed.text).css_first("link[rel=canonical]").attributes["href"]
        assert canonical == state[9].moved_to

        # unpublished (404 and 410), soft-404 (to its section page), revived
        assert client.get(original[8].url).status_code == 404
        assert client.get(original[7].url).status_code == 410
        soft = client.get(original[6].url)
        assert soft.status_code == 301
        assert soft.headers["location"] == site.url(f"/{original[6].section}/")
        revived = client.get(original[4].url)
        assert revived.status_code == 200
        assert editorial(revived.text, original[4].template)[1] == original[4].text

        # a run of server errors, then the same page again
        site.advance(timedelta(minutes=10))
        assert client.get(original[3].url).status_code == 503
        assert site.article(3).status == "failing"
        assert original[3].url in client.get(site.url("/sitemap-articles.xml")).text
        site.advance(timedelta(hours=2))
        recovered = client.get(original[3].url)
        assert recovered.status_code == 200 and site.article(3).status == "live"
        assert editorial(recovered.text, original[3].template)[1] == original[3].text

    assert (state[9].status, state[8].status, state[7].status) == ("moved", "gone", "gone")
    assert (state[8].http_status, state[7].http_status, state[6].status) == (404, 410, "soft-404")
    assert state[4].status == "live"
    # a misspelling fixed (2) and a number corrected (1): one word each
    for article_id, kind in ((2, "typo"), (1, "number")):
        before, after = original[article_id].text.split(), state[article_id].text.split()
        changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(changed) == 1 and state[article_id].edits == 1, (kind, changed)
        old, new = changed[0]
        if kind == "typo":
            assert len(new) == len(old) + 1 and new.startswith(old[:2]) and new.isalpha()
        else:
            assert old[0].isdigit() and new[0].isdigit() and old != new


def test_events_list_the_schedule(site: DemoSite) -> None:
    # by the start, articles were published and the live blog got its first posts
    before = [e for e in site.events() if e.kind != "published"]
    assert {(e.article_id, e.detail) for e in before} == {(LIVE_ARTICLE_ID, "post")}
    plan = site.events(until=START + timedelta(hours=6))
    lifecycle = [
        (e.at - START, e.article_id, e.kind, e.detail) for e in plan if e.kind != "published"
    ]
    scheduled = [entry for entry in lifecycle if entry[1] <= 12]
    assert sorted(scheduled) == sorted(LIFECYCLE_SCHEDULE)
    moved = next(e for e in plan if e.kind == "moved")
    site.advance(timedelta(hours=6))
    assert moved.location == site.article(moved.article_id).moved_to
    assert [e for e in site.events() if e.at <= START + timedelta(hours=6)] == plan


def test_new_articles_appear_and_some_get_edited(site: DemoSite) -> None:
    site.advance(timedelta(hours=12))
    new = [a for a in site.articles() if a.published > START]
    assert 7 <= len(new) <= 21
    assert all(a.url.startswith(site.url("/2026/11/26/")) for a in new)
    edits = [e for e in site.events() if e.kind == "edit" and e.article_id > LIVE_ARTICLE_ID]
    assert edits and {e.detail for e in edits} <= {*EDIT_KINDS, *LIVE_EDIT_KINDS}
    edited = site.article(edits[0].article_id)
    assert edited.edits >= 1 and edited.modified > edited.published


def test_same_seed_same_site_other_seed_other_site() -> None:
    def history(seed: int) -> list[tuple]:
        demo = DemoSite(start=START, seed=seed)
        for hours in (1, 2, 5):
            demo.advance(timedelta(hours=hours))
        return [
            (a.path, a.title, a.text, a.status, a.published, a.moved_to) for a in demo.articles()
        ]

    assert history(3) == history(3)
    assert history(3) != history(4)


def test_feeds_parse_with_the_newest_articles(site: DemoSite, client: httpx.Client) -> None:
    site.advance(timedelta(hours=3))
    listed = sorted(
        (
            a
            for a in site.articles()
            if a.status in ("live", "edited", "moved") and a.robots_allowed
        ),
        key=lambda a: a.published,
        reverse=True,
    )
    expected = [a.moved_to or a.url for a in listed[:10]]

    rss = client.get(site.url("/feed.xml"))
    assert rss.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(rss.content)
    assert not parsed.bozo and parsed.version == "rss20"
    assert [e.link.split("?")[0] for e in parsed.entries] == expected
    assert all("utm_source=rss" in e.link and e.published_parsed for e in parsed.entries)

    atom = feedparser.parse(client.get(site.url("/atom.xml")).content)
    assert not atom.bozo and atom.version == "atom10"
    assert [e.link for e in atom.entries] == expected
    edited = next(a for a in listed[:10] if a.edits)
    entry = next(e for e in atom.entries if e.link == (edited.moved_to or edited.url))
    assert datetime.fromisoformat(entry.updated) == edited.modified
    gone = [a.url for a in site.articles() if a.status in ("gone", "soft-404")]
    assert gone and not set(gone) & {e.link for e in atom.entries}

    rdf = feedparser.parse(client.get(site.url("/feed.rdf")).content)
    assert not rdf.bozo and rdf.version == "rss10"
    assert [e.link for e in rdf.entries] == expected

    json_feed = client.get(site.url("/feed.json"))
    assert json_feed.headers["content-type"].startswith("application/feed+json")
    items = json_feed.json()["items"]
    assert [item["url"] for item in items] == expected
    assert [datetime.fromisoformat(i["date_published"]) for i in items] == [
        a.published for a in listed[:10]
    ]


def test_sitemaps_parse(site: DemoSite, client: httpx.Client) -> None:
    robots = client.get(site.url("/robots.txt")).text
    sitemap_url = Protego.parse(robots).sitemaps
    assert list(sitemap_url) == [site.url("/sitemap.xml")]

    index = ET.fromstring(client.get(site.url("/sitemap.xml")).content)
    assert index.tag == SM + "sitemapindex"
    locs = [e.text for e in index.iter(SM + "loc")]
    names = ["/sitemap-news.xml", "/sitemap-articles.xml", "/sitemap-archive.xml.gz"]
    assert locs == [site.url(name) for name in names]

    news = ET.fromstring(client.get(locs[0]).content)
    recent = {
        a.url: a
        for a in site.articles()
        if a.robots_allowed and START - a.published <= timedelta(days=2)
    }
    entries = {
        u.findtext(SM + "loc"): u.find(f"{NEWS}news/{NEWS}publication_date").text
        for u in news.iter(SM + "url")
    }
    assert set(entries) == set(recent)
    assert all(datetime.fromisoformat(v) == recent[k].published for k, v in entries.items())

    full = ET.fromstring(client.get(locs[1]).content)
    lastmods = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in full.iter(SM + "url")}
    assert set(lastmods) == {a.url for a in site.articles() if a.robots_allowed}

    archive = client.get(locs[2], headers={"Accept-Encoding": "gzip"})
    assert archive.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in archive.headers  # the file is gzip, not the transfer
    older = {
        a.url
        for a in site.articles()
        if a.robots_allowed and START - a.published > timedelta(days=1)
    }
    archived = ET.fromstring(gzip.decompress(archive.content))
    assert older and {u.findtext(SM + "loc") for u in archived.iter(SM + "url")} == older


def test_robots_disallow_the_private_article(site: DemoSite, client: httpx.Client) -> None:
    robots = Protego.parse(client.get(site.url("/robots.txt")).text)
    private = next(a for a in site.articles() if not a.robots_allowed)
    assert not robots.can_fetch(private.url, "newsarchive")
    assert all(robots.can_fetch(a.url, "newsarchive") for a in site.articles() if a.robots_allowed)
    world = client.get(site.url("/world/")).text
    assert private.path in world  # linked, so a crawler must check robots.txt itself
    assert private.url not in client.get(site.url("/feed.xml")).text


def test_listing_pages_mix_article_and_other_links(site: DemoSite, client: httpx.Client) -> None:
    for section in ("world", "business", "culture"):
        page = client.get(site.url(f"/{section}/"))
        assert page.status_code == 200
        hrefs = {a.attributes["href"] for a in HTMLParser(page.text).css("a[href]")}
        expected = {a.path for a in site.articles() if a.section == section and a.robots_allowed}
        assert expected <= hrefs
        assert any(h.startswith("/tag/") for h in hrefs)
        assert any(h.startswith("/author/") for h in hrefs)
        assert "/about/" in hrefs and any(h.endswith("#comments") for h in hrefs)
        tag = next(h for h in hrefs if h.startswith("/tag/"))
        author = next(h for h in hrefs if h.startswith("/author/"))
        assert client.get(site.url(tag)).status_code == 200
        assert client.get(site.url(author)).status_code == 200
    business = client.get(site.url("/business/")).text
    assert "/media/annual-report.pdf" in business
    pdf = client.get(site.url("/media/annual-report.pdf"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    png = client.get(site.url("/media/1.png"))
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert client.get(site.url("/world"), follow_redirects=False).status_code == 301


def test_listing_pages_paginate(site: DemoSite, client: httpx.Client) -> None:
    site.advance(timedelta(days=3))
    home = HTMLParser(client.get(site.url("/")).text)
    assert home.css_first("a[rel=next]").attributes["href"] == "/page/2/"
    assert client.get(site.url("/page/2/")).status_code == 200
    assert client.get(site.url("/page/99/")).status_code == 404
    assert client.get(site.url("/world/page/0/")).status_code == 404


def test_conditional_get_on_even_articles(site: DemoSite, client: httpx.Client) -> None:
    even, odd = site.article(12), site.article(11)
    assert even.conditional and not odd.conditional
    first = client.get(even.url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag == even.etag
    assert parsedate_to_datetime(last_modified) == even.modified
    assert client.get(even.url).headers["etag"] == etag  # boilerplate rotated, validator did not

    not_modified = client.get(even.url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert client.get(even.url, headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    assert client.get(even.url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(even.modified - timedelta(minutes=1), usegmt=True)
    assert client.get(even.url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(even.url, headers={"If-Modified-Since": "garbage"}).status_code == 200

    site.advance(timedelta(minutes=30))  # article 12 gets its one-word correction
    changed = client.get(even.url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get(even.url, headers={"If-Modified-Since": last_modified}).status_code == 200

    plain = client.get(odd.url, headers={"If-None-Match": "*"})
    assert plain.status_code == 200
    assert "etag" not in plain.headers and "last-modified" not in plain.headers


def test_gzip_only_when_accepted(site: DemoSite) -> None:
    article = site.article(1)
    path = urlsplit(article.url).path
    for accept, compressed in (("gzip, deflate", True), ("identity", False), ("gzip;q=0", False)):
        conn = http.client.HTTPConnection(*site.host_port.split(":"), timeout=5)
        conn.request("GET", path, headers={"Accept-Encoding": accept})
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        assert response.status == 200
        assert (response.getheader("Content-Encoding") == "gzip") is compressed
        body = gzip.decompress(raw) if compressed else raw
        assert editorial(body.decode(), article.template)[1] == article.text


def test_head_and_request_log(site: DemoSite, client: httpx.Client) -> None:
    site.clear_requests()
    article = site.article(2)
    head = client.head(article.url, headers={"User-Agent": "newsarchive-test"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 1000
    client.get(site.url("/feed.xml?x=1"))
    log = site.requests
    assert [path for path, _ in log] == [urlsplit(article.url).path, "/feed.xml?x=1"]
    assert log[0].headers["user-agent"] == "newsarchive-test"
    served = site.request_log()
    assert [(r.method, r.status) for r in served] == [("HEAD", 200), ("GET", 200)]
    assert served[0].at <= served[1].at


def test_fast_and_concurrent(site: DemoSite) -> None:
    urls = [a.url for a in site.articles() if a.robots_allowed] + [
        site.url("/world/"),
        site.url("/feed.xml"),
    ]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with httpx.Client(timeout=5) as c:
                for url in urls:
                    assert c.get(url).status_code == 200
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors and not any(t.is_alive() for t in threads)

    paths = [urlsplit(u).path for u in urls]
    began = time.perf_counter()
    for path in paths * 10:
        site.respond("GET", path, {"accept-encoding": "gzip"})
    per_page = (time.perf_counter() - began) / (len(paths) * 10)
    assert per_page < 0.005


def test_corpus_supports_every_edit_on_every_article() -> None:
    corpus = load_corpus()
    for section in corpus.sections.values():
        assert all("{weekday}" in topic.lede for topic in section.topics)
        assert all(len(topic.headlines) >= 2 for topic in section.topics)
    for seed in range(3):
        for article_id in range(1, 40):
            spec = build_article(corpus, seed, article_id, START + timedelta(hours=article_id))
            assert "{" not in spec.content.text and "{" not in spec.content.title
            for kind in EDIT_KINDS:
                published = misspell(spec) if kind == "typo" else spec
                edited = apply_edit(published, published.content, kind, corpus)
                assert edited != published.content, (seed, article_id, kind)
                if kind == "typo":
                    assert edited == spec.content  # the fix restores the right spelling
            live = build_live_article(corpus, seed, article_id, START)
            published = misspell(live)
            content = published.content
            for kind in ("post", "correction", "post"):
                edited = apply_edit(published, content, kind, corpus)
                assert edited != content, (seed, article_id, kind)
                content = edited
            posts = [b for b in content.blocks if b.kind == "post"]
            assert len(posts) == 4 and posts[0].at >= posts[-1].at  # newest first
    with pytest.raises(DemoSiteError):
        apply_edit(spec, spec.content, "rewrite-everything", corpus)


def test_feeds_and_sitemaps_answer_if_none_match(site: DemoSite, client: httpx.Client) -> None:
    etags = {}
    for path in ("/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/sitemap-news.xml"):
        first = client.get(site.url(path))
        etags[path] = first.headers["etag"]
        assert client.get(site.url(path)).content == first.content  # no rotating boilerplate
        again = client.get(site.url(path), headers={"If-None-Match": etags[path]})
        assert again.status_code == 304 and again.content == b""
    site.advance(timedelta(hours=2))  # a new article is published
    for path, etag in etags.items():
        changed = client.get(site.url(path), headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_request_log_is_bounded(site: DemoSite) -> None:
    for _ in range(REQUEST_LOG_SIZE + 5):
        site.respond("GET", "/robots.txt", {})
    assert len(site.requests) == REQUEST_LOG_SIZE
    site.clear_requests()
    assert site.requests == []


def test_module_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scraper.demo.site", "--speed", "3600"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base = line.split(" on ")[1].split("/ ")[0]
        assert urlsplit(base).hostname == "127.0.0.1"
        assert httpx.get(base + "/feed.xml", timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        process.wait()


def test_stop_does_not_wait_for_idle_connections() -> None:
    demo = DemoSite(start=START)
    demo.start()
    host, port = demo.host_port.split(":")
    idle = socket.create_connection((host, int(port)), timeout=5)  # sends nothing
    robots = demo.url("/robots.txt")
    with httpx.Client(timeout=5) as keep_alive:
        assert keep_alive.get(robots).status_code == 200
        began = time.monotonic()
        demo.stop()
        assert time.monotonic() - began < 2
        # the server hung up, whether or not it had accepted the connection yet
        with contextlib.suppress(ConnectionResetError):
            assert idle.recv(1) == b""
        with pytest.raises(httpx.TransportError):
            keep_alive.get(robots)
    idle.close()


def test_moves_made_by_the_page_alone_and_the_magazine_furniture(
    site: DemoSite, client: httpx.Client
) -> None:
    """Articles 11 and 10 move with no redirect: the old URL answers 200 with the page, which
    names its new address by its canonical link (11) or by og:url alone (10); neither has a
    shortlink or a stable feed id. A magazine page's body holds a reading line and, during the
    first hour after ``start`` (and every other hour), the site's promotion."""
    original = {a.id: a for a in site.articles()}
    magazine = next(a for a in original.values() if a.template == "magazine")
    first = HTMLParser(client.get(magazine.url).text)
    reading = first.css_first('.feature-body [data-block="reading-time"]').text()
    assert reading.endswith("ago") and "min read" in reading
    assert first.css_first('[data-block="promo"]').text() == PROMO
    site.advance(timedelta(hours=1))
    assert HTMLParser(client.get(magazine.url).text).css_first('[data-block="promo"]') is None

    site.advance(timedelta(hours=1, minutes=40))  # start + 2:40
    rss = client.get(site.url("/feed.xml")).text
    for article_id, names in ((11, ("canonical", "og:url")), (10, ("og:url",))):
        state = site.article(article_id)
        assert state.status == "moved" and state.moved_to != original[article_id].url
        old = client.get(original[article_id].url)
        assert old.status_code == 200
        page = HTMLParser(old.text)
        assert editorial(old.text, state.template)[1] == state.text
        assert page.css_first("link[rel=shortlink]") is None
        canonical = page.css_first("link[rel=canonical]")
        named = {
            "canonical": canonical.attributes["href"] if canonical else None,
            "og:url": page.css_first('meta[property="og:url"]').attributes["content"],
        }
        assert {k for k, v in named.items() if v == state.moved_to} == set(names)
        assert f'<guid isPermaLink="true">{state.moved_to}</guid>' in rss
