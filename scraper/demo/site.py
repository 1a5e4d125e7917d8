"""A bundled news site on 127.0.0.1 whose articles change as its own clock advances.

The demo and the crawl tests need a news site that behaves like a real one, offline and
repeatable: feeds, sitemaps and section pages to discover articles from, several page layouts
to extract from, boilerplate that changes on every request, and articles that get corrected,
updated, moved and unpublished after they first appear. ``DemoSite`` is that site.

Time is virtual. The site has its own clock (``now``); ``advance(delta)`` moves it forward,
which publishes new articles and applies the scheduled events that fall due. Nothing depends
on the wall clock, so the same ``seed``, ``start`` and sequence of ``advance`` calls always give
the same site (the rotating boilerplate depends on the request count as well, never on the
editorial content).

Sources served::

    /robots.txt               allows all but /private/, names /sitemap.xml
    /feed.xml                 RSS 2.0, newest 10 articles (links carry utm_* parameters)
    /atom.xml                 Atom 1.0, newest 10 articles (published and updated)
    /feed.rdf                 RSS 1.0, the same articles
    /feed.json                JSON Feed 1.1, the same articles
    /sitemap.xml              sitemap index -> the three sitemaps below
    /sitemap-news.xml         Google News sitemap: articles of the last 2 days
    /sitemap-articles.xml     every live article with <lastmod>
    /sitemap-archive.xml.gz   gzip-compressed urlset: articles older than 1 day
    /  /world/  /business/  /culture/   listing pages (20 a page, /world/page/2/, ...)
    /tag/<tag>/  /author/<name>/  /about/  /contact/  /newsletter/   non-article pages
    /YYYY/MM/DD/<slug>/       articles
    /private/YYYY/MM/DD/<slug>/  one article, linked from / and /world/, disallowed by robots
    /media/<id>.png  /media/annual-report.pdf   non-HTML resources

Article pages come in five layouts (``TEMPLATES``, see ``template_for``): a WordPress-like
theme with a sidebar of teasers and a comment thread, a broadsheet ``<article>`` with a
"Related" aside in the middle of the body, a minimal page whose JSON-LD carries the body, a
mobile template whose paragraphs are ``div`` elements, with "Comments (N)", "N views",
"Updated N minutes ago" and "N min read" beside the text, and a magazine feature whose body
starts with a plain paragraph "N min read · Updated N minutes ago". The WordPress, broadsheet,
minimal (in its JSON-LD body too) and magazine layouts put the site's promotion (``PROMO``)
inside the body as a paragraph of its own, during the first hour after ``start`` and every other hour after it: an extractor
keeps both lines, as nothing in the markup tells them from the text, and only an archive's
second line of defence (counters and relative times masked, site boilerplate learnt) keeps
them from making versions. Every 7th new article (and article 14,
which started shortly before ``start``) is a **live blog** (``LIVE_TEMPLATE``): a "LIVE ·
Updated N minutes ago" header, an intro, then posts newest first, each an ``<article>`` with its
``<time>``, and JSON-LD ``LiveBlogPosting``; a new post arrives every 20-50 minutes.
Every layout has a byline, ``<time datetime>``, ``article:published_time``, ``og:title``,
``og:url``, ``<link rel=canonical>``, ``<link rel=shortlink>`` (``/?p=ID``, which redirects to
wherever the article is now; RSS items carry it as their ``guid``) and JSON-LD, except the
stories that move by their own address (``ArticleSpec.identity``): they have no shortlink and
feed ids that are their URL, and the ``og:url`` ones no canonical link either. An article's
editorial content is its headline and its body blocks (paragraphs, subheadings, blockquotes,
posts): ``DemoArticleState.title`` and ``.text`` (the blocks joined by a blank line) are what an
extractor should recover.

Boilerplate rotates on every request: the header timestamp, the ad slot id, the CSRF token and
cookie, the "Latest news" / "Must read" / "Most read" / "Related" teasers, the comment count,
the view count and the comments; relative times ("5 minutes ago") follow the clock. The
editorial text never changes between requests unless an edit happened.

Conditional GET: articles with an even ``id`` (but no magazine page) send ``ETag`` and ``Last-Modified`` derived from
the editorial content only and answer ``If-None-Match`` / ``If-Modified-Since`` with 304 while
it is unchanged. Articles with an odd ``id`` send neither, like most sites whose pages are
rebuilt on every request. Feeds and sitemaps send an ``ETag`` and answer ``If-None-Match``
too. Text responses are gzip-compressed when the client accepts it; the
``Date`` header, like every time the site shows, follows the virtual clock.

Lifecycle schedule, relative to ``start`` (articles 1..12 exist at ``start``, id 1 the oldest;
article 13 is the robots-disallowed one; newer ids are published every 35-95 minutes)::

    +0:20  article 12  edit: one-word correction (the weekday in the first paragraph)
    +0:40  article 11  edit: an "Update: ..." paragraph is appended
    +0:50  article 2   edit: typo, a misspelling fixed ("reeived" -> "received")
    +1:00  article 10  edit: headline change
    +1:00  article 4   unpublished: 404
    +1:20  article 9   moved: 301 from its URL to a new slug (same text)
    +1:30  article 1   edit: number, the first number in the text goes up ("3" -> "4")
    +1:40  article 8   unpublished: 404
    +2:00  article 7   unpublished: 410
    +2:00  article 11  moved without a redirect: the old URL still answers, the page's
                       canonical link and og:url name the new slug
    +2:20  article 6   soft-404: 301 to its section page
    +2:30  article 10  moved without a redirect, named by og:url alone (no canonical link)
    +2:40  article 5   edit: a paragraph reworded
    +3:00  article 12  edit: an "Update: ..." paragraph is appended
    +3:30  article 4   revived: 200 again, same text
    +4:00  article 3   failing: 503 on every request (still listed in feeds and sitemaps)
    +6:00  article 3   recovered: 200 again, same text

Articles published after ``start`` get zero to two edits in their first hours (seeded); every
5th one that is not a live blog moves to a new slug 2.5-5 hours after publication (so a crawl
usually finds the new URL in the feeds before it re-checks the old one), in turn by a 301, by
the canonical link or by ``og:url`` (``MOVE_KINDS``). A live blog gets its
posts, an intro correction after 90 minutes and a misspelling fixed in one post.
``DemoSite.events()`` lists all of it with exact times and URLs.

May import: the standard library only (it is a web server of its own, not a client).
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import gzip
import hashlib
import html
import json
import random
import re
import socket
import sys
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = [
    "EDIT_KINDS",
    "LIFECYCLE_SCHEDULE",
    "SECTIONS",
    "TEMPLATES",
    "Block",
    "Boilerplate",
    "Content",
    "DemoArticleState",
    "DemoEvent",
    "DemoRequest",
    "DemoSite",
    "DemoSiteError",
    "ServedRequest",
    "apply_edit",
    "build_article",
    "load_corpus",
    "render_article",
    "template_for",
]

SECTIONS: tuple[str, ...] = ("world", "business", "culture")
TEMPLATES: tuple[str, ...] = ("wordpress", "broadsheet", "minimal", "mobile", "magazine")
#: Articles 1, 8, 15... are magazine features; the others rotate through the first four layouts.
MAGAZINE_EVERY = 7
LIVE_TEMPLATE = "live"  # live blogs have their own layout, whatever their id
EDIT_KINDS: tuple[str, ...] = ("correction", "update", "headline", "reword", "typo", "number")
#: Edits of a live blog: a new post, a corrected intro, a misspelling fixed in a post.
LIVE_EDIT_KINDS: tuple[str, ...] = ("post", "correction", "typo")

INITIAL_ARTICLES = 12
PRIVATE_ARTICLE_ID = INITIAL_ARTICLES + 1
LIVE_ARTICLE_ID = INITIAL_ARTICLES + 2  # a live blog that started shortly before ``start``
LIVE_EVERY = 7  # every 7th article published after start is a live blog...
MOVE_EVERY = 5  # ...and every 5th other one moves to a new slug a few hours after publication
#: How a move is made, in turn (``DemoEvent.detail``): a permanent redirect from the old URL, or
#: the old URL still answering with the page, which names its new address by
#: ``<link rel=canonical>`` or, on pages without one, by ``og:url`` only.
MOVE_KINDS: tuple[str, ...] = ("301", "canonical", "og:url")
#: The site's in-body promotion is shown during the first hour after ``start``, hidden the
#: next, and so on (a campaign switched on and off site-wide).
PROMO = (
    "Enjoying this story? The Morning Briefing brings the day's news to your inbox, free. "
    "Sign up today."
)
#: The layouts that put that promotion inside the article body, as a paragraph of its own.
PROMO_TEMPLATES = frozenset({"wordpress", "broadsheet", "minimal", "magazine"})
LIVE_POSTS = (8, 14)  # posts a live blog gets, one every 20-50 minutes
INITIAL_SPAN_MINUTES = (30, 36 * 60)  # initial articles were published this long before start
NEW_ARTICLE_GAP_MINUTES = (35, 95)
FEED_SIZE = 10
LISTING_SIZE = 20
SITEMAP_LIMIT = 1000
NEWS_SITEMAP_WINDOW = timedelta(days=2)
ARCHIVE_SITEMAP_AGE = timedelta(days=1)  # /sitemap-archive.xml.gz lists articles older than this
REQUEST_LOG_SIZE = 2000
LOOKAHEAD = timedelta(days=1)  # the timeline is generated this far past the clock

# (offset from start, article id, kind, detail); see the module docstring.
LIFECYCLE_SCHEDULE: tuple[tuple[timedelta, int, str, str], ...] = (
    (timedelta(minutes=20), 12, "edit", "correction"),
    (timedelta(minutes=40), 11, "edit", "update"),
    (timedelta(minutes=50), 2, "edit", "typo"),
    (timedelta(hours=1), 10, "edit", "headline"),
    (timedelta(hours=1), 4, "gone", "404"),
    (timedelta(hours=1, minutes=20), 9, "moved", "301"),
    (timedelta(hours=1, minutes=30), 1, "edit", "number"),
    (timedelta(hours=1, minutes=40), 8, "gone", "404"),
    (timedelta(hours=2), 7, "gone", "410"),
    (timedelta(hours=2), 11, "moved", "canonical"),
    (timedelta(hours=2, minutes=20), 6, "soft-404", "301"),
    (timedelta(hours=2, minutes=30), 10, "moved", "og:url"),
    (timedelta(hours=2, minutes=40), 5, "edit", "reword"),
    (timedelta(hours=3), 12, "edit", "update"),
    (timedelta(hours=3, minutes=30), 4, "revived", "200"),
    (timedelta(hours=4), 3, "failing", "503"),
    (timedelta(hours=6), 3, "recovered", "200"),
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DemoSiteError(ValueError):
    """The demo site was used in a way that cannot work (naive datetime, clock going back...)."""


# --- corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One story: alternative headlines, a lede containing {weekday}, body paragraphs."""

    headlines: tuple[str, ...]
    lede: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class SectionText:
    label: str
    topics: tuple[Topic, ...]
    extra: tuple[str, ...]
    quotes: tuple[str, ...]
    subheads: tuple[str, ...]
    updates: tuple[str, ...]


@dataclass(frozen=True)
class LiveText:
    """What live blogs are written from: headlines, intros (with {weekday}) and posts."""

    headlines: tuple[str, ...]
    intros: tuple[str, ...]
    posts: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    """The text the site writes its articles from (``scraper/demo/corpus.toml``)."""

    site_name: str
    pools: Mapping[str, tuple[str, ...]]
    sections: Mapping[str, SectionText]
    rewording: tuple[tuple[str, str], ...]
    comments: tuple[str, ...]
    tags: tuple[str, ...]
    live: LiveText


@cache
def load_corpus() -> Corpus:
    """Read the bundled corpus once; it is package data so the demo works from a wheel."""
    raw = tomllib.loads(resources.files("scraper.demo").joinpath("corpus.toml").read_text("utf-8"))
    sections = {
        name: SectionText(
            label=data["label"],
            topics=tuple(
                Topic(tuple(t["headlines"]), t["lede"], tuple(t["body"])) for t in data["topics"]
            ),
            extra=tuple(data["extra"]),
            quotes=tuple(data["quotes"]),
            subheads=tuple(data["subheads"]),
            updates=tuple(data["updates"]),
        )
        for name, data in raw["sections"].items()
    }
    return Corpus(
        site_name=raw["site_name"],
        pools={key: tuple(values) for key, values in raw["pools"].items()},
        sections=sections,
        rewording=tuple((old, new) for old, new in raw["rewording"]["pairs"]),
        comments=tuple(raw["boilerplate"]["comments"]),
        tags=tuple(raw["boilerplate"]["tags"]),
        live=LiveText(
            tuple(raw["live"]["headlines"]),
            tuple(raw["live"]["intros"]),
            tuple(raw["live"]["posts"]),
        ),
    )


# --- editorial content (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A body block: ``kind`` is "p" (paragraph), "h2" (subheading), "quote" (blockquote) or
    "post" (a live blog's post, published ``at``)."""

    kind: str
    text: str
    at: datetime | None = None


def _posted(post: Block) -> datetime:
    """A live blog post's time (every "post" block has one)."""
    assert post.at is not None, "a live post block has a time"
    return post.at


@dataclass(frozen=True)
class Content:
    """The editorial part of a page: what an archive should version, nothing else."""

    title: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass(frozen=True)
class ArticleSpec:
    """An article as first published, with the material its later edits need."""

    id: int
    section: str
    template: str
    path: str
    published: datetime
    author: str
    tags: tuple[str, ...]
    content: Content
    alt_title: str  # the "headline" edit
    alt_path: str  # where a "moved" event sends it
    update_text: str  # the "update" edit
    correction: tuple[str, str]  # the "correction" edit: (word, replacement)
    typo: tuple[str, str] = ("", "")  # the "typo" edit: (misspelled word, right spelling)
    private: bool = False
    live: bool = False
    posts: tuple[Block, ...] = ()  # a live blog's posts, oldest first, as they will appear
    #: What ties the page to the story: "id" (``rel=shortlink`` and a stable feed id, beside
    #: the canonical link and ``og:url``), "canonical" (the canonical link and ``og:url``
    #: only; feed ids are the URL) or "og:url" (``og:url`` only).
    identity: str = "id"

    @property
    def conditional(self) -> bool:
        """Whether the article answers conditional GETs (see the module docstring); never the
        magazine layout, whose reading line follows the clock."""
        return self.id % 2 == 0 and self.template != "magazine"


@dataclass(frozen=True)
class DemoEvent:
    """A scheduled happening. ``url``/``location`` are absolute once the site is started.

    ``kind``: "published", "edit" (``detail``: correction, update, headline, reword), "moved"
    (``location``: the new URL), "gone" (``detail``: "404" or "410"), "soft-404" (``location``:
    the section page it redirects to), "revived", "failing" (503 until "recovered").
    """

    at: datetime
    article_id: int
    kind: str
    detail: str
    url: str
    location: str | None = None


@dataclass(frozen=True)
class DemoArticleState:
    """Ground truth about one article at the site's current time.

    ``url`` is the article's first URL; ``moved_to`` its new URL after a move (where it is then
    served). ``status`` is "live", "edited" (live, edited at least once), "moved", "gone"
    (``http_status`` 404 or 410), "soft-404" (301 to ``moved_to``, its section page) or
    "failing" (503 for now; it keeps its place in feeds, sitemaps and listings).
    ``http_status`` is what a GET of ``url`` answers before following redirects.
    """

    id: int
    url: str
    path: str
    section: str
    template: str
    author: str
    tags: tuple[str, ...]
    content: Content
    published: datetime
    modified: datetime
    status: str
    http_status: int
    edits: int
    moved_to: str | None
    conditional: bool
    robots_allowed: bool
    served_path: str | None  # where the page lives now; None once gone or a soft-404
    identity: str = "id"  # see ``ArticleSpec.identity``

    @property
    def title(self) -> str:
        return self.content.title

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def served(self) -> bool:
        return self.served_path is not None

    @property
    def live(self) -> bool:
        return self.template == LIVE_TEMPLATE

    @property
    def etag(self) -> str:
        """A strong validator over the editorial content and the address the page names."""
        editorial = "\x00".join(
            (
                self.served_path or "",  # the address the page names (canonical, og:url)
                self.title,
                self.text,
                self.author,
                self.published.isoformat(),
                self.modified.isoformat(),
            )
        )
        return '"' + hashlib.sha256(editorial.encode()).hexdigest()[:24] + '"'


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].rstrip("-")


def _article_path(published: datetime, slug: str, *, private: bool = False) -> str:
    prefix = "/private" if private else ""
    return f"{prefix}/{published:%Y/%m/%d}/{slug}/"


def _slots(rng: random.Random, corpus: Corpus, published: datetime) -> dict[str, str]:
    """Names, places and numbers for one article's templates."""
    pools = corpus.pools

    def person() -> str:
        return f"{rng.choice(pools['first_names'])} {rng.choice(pools['surnames'])}"

    artist = person()
    country, country2 = rng.sample(pools["countries"], 2)
    company, company2 = rng.sample(pools["companies"], 2)
    venue = rng.choice(pools["venues"])
    return {
        "person": person(),
        "artist": artist,
        "artist_surname": artist.split()[-1],
        "city": rng.choice(pools["cities"]),
        "country": country,
        "country2": country2,
        "org": rng.choice(pools["orgs"]),
        "company": company,
        "company2": company2,
        "venue": f"the {venue}",
        "venue_title": f"The {venue}",
        "venue_name": venue,
        "work": rng.choice(pools["works"]),
        "n": str(rng.randint(3, 60)),
        "n2": str(rng.randint(2, 12)),
        "pct": f"{rng.randint(11, 95) / 10:.1f}",
        "amount": f"{rng.randint(12, 480) / 10:.1f}",
        "weekday": WEEKDAYS[published.weekday()],
    }


def template_for(article_id: int) -> str:
    """The page layout of an article: rotates with the id, out of step with the section."""
    if article_id % MAGAZINE_EVERY == 1:
        return "magazine"
    rotation = TEMPLATES[:4]
    return rotation[(article_id + article_id // len(rotation)) % len(rotation)]


def build_article(
    corpus: Corpus,
    seed: int,
    article_id: int,
    published: datetime,
    *,
    private: bool = False,
    taken: Iterable[str] = (),
) -> ArticleSpec:
    """Write article ``article_id`` of the site with this ``seed``; pure and deterministic.

    ``taken`` are paths already in use: a colliding slug gets the id appended.
    """
    rng = random.Random(f"{seed}:article:{article_id}")
    section = SECTIONS[(article_id + seed) % len(SECTIONS)]
    text = corpus.sections[section]
    # consecutive articles of a section cover different stories: ids of one section step by 3
    topic = text.topics[(article_id // len(SECTIONS) + seed) % len(text.topics)]
    slots = _slots(rng, corpus, published)
    headline_index = rng.randrange(len(topic.headlines))
    title = topic.headlines[headline_index].format_map(slots)
    alt_title = topic.headlines[(headline_index + 1) % len(topic.headlines)].format_map(slots)

    body_count = rng.randint(2, len(topic.body))
    body = sorted(rng.sample(range(len(topic.body)), body_count))
    extras = rng.sample(text.extra, rng.randint(0, min(4, len(text.extra))))
    blocks = [Block("p", topic.lede.format_map(slots))]
    blocks += [Block("p", topic.body[i].format_map(slots)) for i in body]
    if rng.random() < 0.4:
        blocks.insert(2, Block("quote", rng.choice(text.quotes).format_map(slots)))
    if extras and rng.random() < 0.5:
        blocks.append(Block("h2", rng.choice(text.subheads)))
    blocks += [Block("p", paragraph.format_map(slots)) for paragraph in extras]

    used = set(taken)
    slug = _slugify(title)
    path = _article_path(published, slug, private=private)
    if path in used:
        path = _article_path(published, f"{slug}-{article_id}", private=private)
    alt_path = _article_path(published, _slugify(alt_title))
    if alt_path in used or alt_path == path:
        alt_path = _article_path(published, f"{_slugify(alt_title)}-{article_id}")

    weekday = slots["weekday"]
    pools = corpus.pools
    return ArticleSpec(
        id=article_id,
        section=section,
        template=template_for(article_id),
        path=path,
        published=published,
        author=f"{rng.choice(pools['first_names'])} {rng.choice(pools['surnames'])}",
        tags=tuple(rng.sample(corpus.tags, 2)),
        content=Content(title, tuple(blocks)),
        alt_title=alt_title,
        alt_path=alt_path,
        update_text=rng.choice(text.updates).format_map(slots),
        correction=(weekday, WEEKDAYS[WEEKDAYS.index(weekday) - 1]),
        typo=_typo_for(rng, blocks[1:] or blocks),
        private=private,
    )


def build_live_article(
    corpus: Corpus, seed: int, article_id: int, published: datetime, *, taken: Iterable[str] = ()
) -> ArticleSpec:
    """Write live blog ``article_id``: an intro and the posts it will get, one every 20-50
    minutes from its publication (the first two are there when it goes up)."""
    rng = random.Random(f"{seed}:live:{article_id}")
    section = SECTIONS[(article_id + seed) % len(SECTIONS)]
    live = corpus.live
    slots = _slots(rng, corpus, published)
    headline = rng.randrange(len(live.headlines))
    title = live.headlines[headline].format_map(slots)
    alt_title = live.headlines[(headline + 1) % len(live.headlines)].format_map(slots)
    intro = rng.choice(live.intros).format_map(slots)
    count = rng.randint(*LIVE_POSTS)
    at, posts, seen = published, [], set()
    for i, template in enumerate(rng.sample(live.posts, count)):
        if i >= 2:
            at += timedelta(minutes=rng.randint(20, 50))
        text = template.format_map(_slots(rng, corpus, published))
        if text not in seen:
            seen.add(text)
            posts.append(Block("post", text, at))
    used = set(taken)
    slug = _slugify(title)
    path = _article_path(published, slug)
    if path in used:
        path = _article_path(published, f"{slug}-{article_id}")
    alt_path = _article_path(published, f"{_slugify(alt_title)}-{article_id}")
    weekday = slots["weekday"]
    pools = corpus.pools
    first = tuple(reversed(posts[:2]))  # newest first, as the page shows them
    return ArticleSpec(
        id=article_id,
        section=section,
        template=LIVE_TEMPLATE,
        path=path,
        published=published,
        author=f"{rng.choice(pools['first_names'])} {rng.choice(pools['surnames'])}",
        tags=tuple(rng.sample(corpus.tags, 2)),
        content=Content(title, (Block("p", intro), *first)),
        alt_title=alt_title,
        alt_path=alt_path,
        update_text="",
        correction=(weekday, WEEKDAYS[WEEKDAYS.index(weekday) - 1]),
        typo=_typo_for(rng, posts[2:] or posts),
        live=True,
        posts=tuple(posts),
    )


_LONG_WORD = re.compile(r"\b[a-z]{7,}\b")
_NUMBER = re.compile(r"(?<![\w.,])(\d+)((?:[.,]\d+)*)(?!\w)")


def _typo_for(rng: random.Random, blocks: Sequence[Block]) -> tuple[str, str]:
    """A long lower-case word of *blocks* and the misspelling a "typo" edit will fix (one
    letter dropped: "candidates" -> "cadidates")."""
    words = sorted(
        {w for b in blocks if b.kind in ("p", "post") for w in _LONG_WORD.findall(b.text)}
    )
    text = " ".join(b.text for b in blocks)
    for word in rng.sample(words, len(words)):
        wrong = word[:2] + word[3:]
        if not re.search(rf"\b{wrong}\b", text):
            return wrong, word
    return "", ""


def misspell(spec: ArticleSpec) -> ArticleSpec:
    """The article as published with its misspelling (when a "typo" edit will fix it)."""
    wrong, right = spec.typo
    if not wrong:
        raise DemoSiteError(f"article {spec.id} has no word to misspell")
    pattern = re.compile(rf"\b{right}\b")

    def spoil(blocks: Sequence[Block]) -> tuple[tuple[Block, ...], bool]:
        out, done = [], False
        for b in blocks:
            if not done and b.kind in ("p", "post") and pattern.search(b.text):
                b, done = replace(b, text=pattern.sub(wrong, b.text, count=1)), True
            out.append(b)
        return tuple(out), done

    if spec.live:
        posts, _ = spoil(spec.posts)
        first = tuple(reversed(posts[:2]))
        content = Content(spec.content.title, (spec.content.blocks[0], *first))
        return replace(spec, posts=posts, content=content)
    blocks, done = spoil(spec.content.blocks)
    if not done:
        raise DemoSiteError(f"article {spec.id} has no {right!r} to misspell")
    return replace(spec, content=Content(spec.content.title, blocks))


def _reword(text: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Swap phrases like an editor tightening a paragraph; reorder sentences if none match."""
    reworded = text
    for old, new in pairs:
        reworded = reworded.replace(old, new, 1)
    if reworded != text:
        return reworded
    sentences = re.split(r"(?<=[.”])\s+(?=[A-Z“])", text)
    if len(sentences) > 1:
        return " ".join(sentences[1:] + sentences[:1])
    return f"{text} Officials confirmed the details later."


def apply_edit(spec: ArticleSpec, content: Content, kind: str, corpus: Corpus) -> Content:
    """The content after one editorial edit of ``kind`` (see ``EDIT_KINDS``, ``LIVE_EDIT_KINDS``)."""
    blocks = list(content.blocks)
    if kind == "post":  # the next post of a live blog goes on top of the stream
        shown = sum(b.kind == "post" for b in blocks)
        if shown >= len(spec.posts):
            raise DemoSiteError(f"live blog {spec.id} has no post left")
        return Content(content.title, (blocks[0], spec.posts[shown], *blocks[1:]))
    if kind == "typo":
        wrong, right = spec.typo
        pattern = re.compile(rf"\b{wrong}\b") if wrong else None
        for i, block in enumerate(blocks):
            if pattern is not None and pattern.search(block.text):
                blocks[i] = replace(block, text=pattern.sub(right, block.text, count=1))
                return Content(content.title, tuple(blocks))
        raise DemoSiteError(f"article {spec.id} shows no misspelling to fix")
    if kind == "number":  # "3 killed" -> "4 killed": the first number in the article goes up
        for i, block in enumerate(blocks):
            match = _NUMBER.search(block.text) if block.kind == "p" else None
            if match:
                bumped = str(int(match.group(1)) + 1) + match.group(2)
                text = block.text[: match.start()] + bumped + block.text[match.end() :]
                blocks[i] = replace(block, text=text)
                return Content(content.title, tuple(blocks))
        raise DemoSiteError(f"article {spec.id} has no number to correct")
    if kind == "headline":
        title = spec.alt_title if content.title != spec.alt_title else spec.content.title
        return Content(title, content.blocks)
    if kind == "update":
        return Content(content.title, (*content.blocks, Block("p", spec.update_text)))
    if kind == "correction":
        word, replacement = spec.correction
        pattern = re.compile(rf"\b{word}\b")
        for i, block in enumerate(blocks):
            if pattern.search(block.text):
                blocks[i] = replace(block, text=pattern.sub(replacement, block.text, count=1))
                return Content(content.title, tuple(blocks))
        raise DemoSiteError(f"article {spec.id} has no {word!r} to correct")
    if kind == "reword":
        candidates = [i for i, b in enumerate(blocks) if b.kind == "p" and i > 0] or [0]
        matching = [
            i for i in candidates if any(old in blocks[i].text for old, _ in corpus.rewording)
        ]
        i = (matching or candidates)[0]
        blocks[i] = Block("p", _reword(blocks[i].text, corpus.rewording))
        return Content(content.title, tuple(blocks))
    raise DemoSiteError(f"unknown edit kind {kind!r}")


def article_state(
    spec: ArticleSpec, events: Sequence[DemoEvent], now: datetime, base: str, corpus: Corpus
) -> DemoArticleState:
    """Replay the article's events up to ``now``: its content, status and where it is served."""
    content, modified, edits = spec.content, spec.published, 0
    moved: str | None = None
    redirected = True  # a move answers 301 at the old URL, unless made by the page's own address
    gone: int | None = None
    soft: str | None = None
    failing = False
    for event in events:
        if event.at > now:
            break
        if event.kind == "edit":
            content = apply_edit(spec, content, event.detail, corpus)
            modified, edits = event.at, edits + 1
        elif event.kind == "moved":
            moved, redirected = event.location, event.detail == "301"
        elif event.kind == "gone":
            gone = int(event.detail)
        elif event.kind == "soft-404":
            soft = event.location
        elif event.kind == "revived":
            gone = soft = None
        elif event.kind in ("failing", "recovered"):
            failing = event.kind == "failing"
    served_path: str | None = moved or spec.path
    if gone is not None:
        status, http_status, served_path = "gone", gone, None
    elif soft is not None:
        status, http_status, served_path = "soft-404", 301, None
    elif moved is not None:
        status, http_status = "moved", 301 if redirected else 200
    elif failing:
        status, http_status = "failing", 503
    else:
        status, http_status = ("edited" if edits else "live"), 200
    target = soft if soft is not None and gone is None else moved
    return DemoArticleState(
        id=spec.id,
        url=base + spec.path,
        path=spec.path,
        section=spec.section,
        template=spec.template,
        author=spec.author,
        tags=spec.tags,
        content=content,
        published=spec.published,
        modified=modified,
        status=status,
        http_status=http_status,
        edits=edits,
        moved_to=None if target is None else base + target,
        conditional=spec.conditional,
        robots_allowed=not spec.private,
        served_path=served_path,
        identity=spec.identity,
    )


def _event_order(event: DemoEvent) -> tuple[datetime, int]:
    return event.at, event.article_id


class Timeline:
    """Articles and events of one site, generated lazily in a fixed order (deterministic)."""

    def __init__(self, corpus: Corpus, seed: int, start: datetime) -> None:
        self.corpus, self.seed, self.start = corpus, seed, start
        self.specs: list[ArticleSpec] = []
        self.events: list[DemoEvent] = []
        self.events_by_article: dict[int, list[DemoEvent]] = {}
        self._paths: set[str] = set()
        self._next_published = start
        self._initial()

    def _add(self, spec: ArticleSpec, events: Iterable[DemoEvent]) -> None:
        events = list(events)
        if any(e.kind == "edit" and e.detail == "typo" for e in events):
            spec = misspell(spec)  # published with the misspelling its edit fixes
        move = next((e.detail for e in events if e.kind == "moved"), "301")
        if move != "301":  # a story whose only identity is the address its page names
            spec = replace(spec, identity=move)
        self.specs.append(spec)
        self._paths.update((spec.path, spec.alt_path))
        published = DemoEvent(spec.published, spec.id, "published", "", spec.path)
        for event in (published, *events):
            bisect.insort(self.events, event, key=_event_order)
            self.events_by_article.setdefault(spec.id, []).append(event)

    def _initial(self) -> None:
        rng = random.Random(f"{self.seed}:initial")
        offsets = sorted(rng.sample(range(*INITIAL_SPAN_MINUTES), INITIAL_ARTICLES), reverse=True)
        for article_id, minutes in enumerate(offsets, start=1):
            published = self.start - timedelta(minutes=minutes)
            spec = build_article(self.corpus, self.seed, article_id, published, taken=self._paths)
            events = []
            for offset, target, kind, detail in LIFECYCLE_SCHEDULE:
                if target != article_id:
                    continue
                location = {"moved": spec.alt_path, "soft-404": f"/{spec.section}/"}.get(kind)
                events.append(
                    DemoEvent(self.start + offset, article_id, kind, detail, spec.path, location)
                )
            self._add(spec, sorted(events, key=lambda e: e.at))
        published = self.start - timedelta(hours=5, minutes=10)
        private = build_article(
            self.corpus, self.seed, PRIVATE_ARTICLE_ID, published, private=True, taken=self._paths
        )
        self._add(private, ())
        published = self.start - timedelta(minutes=50)
        live = build_live_article(
            self.corpus, self.seed, LIVE_ARTICLE_ID, published, taken=self._paths
        )
        self._add(live, self._live_events(live))

    def extend_to(self, until: datetime) -> None:
        """Publish (in the timeline) every article due by ``until``."""
        while self._next_published <= until:
            article_id = len(self.specs) + 1
            rng = random.Random(f"{self.seed}:gap:{article_id}")
            published = self._next_published + timedelta(
                minutes=rng.randint(*NEW_ARTICLE_GAP_MINUTES)
            )
            self._next_published = published
            if article_id % LIVE_EVERY == 0:
                live = build_live_article(
                    self.corpus, self.seed, article_id, published, taken=self._paths
                )
                self._add(live, self._live_events(live))
                continue
            spec = build_article(self.corpus, self.seed, article_id, published, taken=self._paths)
            events = self._edits_for(spec)
            if article_id % MOVE_EVERY == 0:
                rng = random.Random(f"{self.seed}:move:{article_id}")
                at = published + timedelta(minutes=rng.randint(150, 300))
                how = MOVE_KINDS[(article_id // MOVE_EVERY) % len(MOVE_KINDS)]
                events.append(DemoEvent(at, article_id, "moved", how, spec.path, spec.alt_path))
            self._add(spec, sorted(events, key=lambda e: e.at))

    def _edits_for(self, spec: ArticleSpec) -> list[DemoEvent]:
        rng = random.Random(f"{self.seed}:edits:{spec.id}")
        events: list[DemoEvent] = []
        at = spec.published
        kinds = [k for k in EDIT_KINDS if k != "typo" or spec.typo[0]]
        for chance in (0.5, 0.25):
            if rng.random() >= chance:
                break
            at += timedelta(minutes=rng.randint(15, 180))
            kind = kinds.pop(rng.randrange(len(kinds)))  # never the same edit twice
            events.append(DemoEvent(at, spec.id, "edit", kind, spec.path))
        return events

    def _live_events(self, spec: ArticleSpec) -> list[DemoEvent]:
        """A post at each post's time, the intro corrected after 90 minutes, and the
        misspelled post fixed 25 minutes after it went up."""
        events = [DemoEvent(_posted(p), spec.id, "edit", "post", spec.path) for p in spec.posts[2:]]
        at = spec.published + timedelta(minutes=90)
        events.append(DemoEvent(at, spec.id, "edit", "correction", spec.path))
        wrong, right = spec.typo
        if wrong:  # the post misspell() spoils: the first with the word
            post = next(p for p in spec.posts if re.search(rf"\b{right}\b", p.text))
            fixed = max(_posted(post), spec.published) + timedelta(minutes=25)
            events.append(DemoEvent(fixed, spec.id, "edit", "typo", spec.path))
        return sorted(events, key=lambda e: (e.at, LIVE_EDIT_KINDS.index(e.detail)))


# --- boilerplate and rendering (pure) ----------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    author: str
    text: str
    minutes_ago: int


@dataclass(frozen=True)
class Boilerplate:
    """Everything on a page that changes per request and must never make a new version."""

    request_no: int
    stamp: datetime
    csrf: str
    ad_slot: str
    latest: tuple[DemoArticleState, ...]
    must_read: tuple[DemoArticleState, ...]
    most_read: tuple[DemoArticleState, ...]
    comment_count: int
    comments: tuple[Comment, ...]
    promo: bool = False  # whether the in-body promotion (``PROMO``) is on


def make_boilerplate(
    rng: random.Random,
    request_no: int,
    now: datetime,
    live: Sequence[DemoArticleState],
    corpus: Corpus,
    *,
    promo: bool = False,
) -> Boilerplate:
    """Draw one request's rotating page furniture from ``rng``."""

    def pick(k: int) -> tuple[DemoArticleState, ...]:
        return tuple(rng.sample(list(live), min(k, len(live))))

    names = corpus.pools["first_names"]
    comments = tuple(
        Comment(
            f"{rng.choice(names)}{rng.randint(1, 99)}",
            rng.choice(corpus.comments),
            rng.randint(1, 300),
        )
        for _ in range(rng.randint(2, 4))
    )
    return Boilerplate(
        request_no=request_no,
        stamp=now + timedelta(seconds=request_no),
        csrf=rng.randbytes(16).hex(),
        ad_slot=f"{rng.randint(10**8, 10**9 - 1)}-{rng.randint(0, 9)}",
        latest=pick(5),
        must_read=pick(3),
        most_read=pick(5),
        comment_count=rng.randint(3, 400) + request_no,
        comments=comments,
        promo=promo,
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _human(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _author_path(author: str) -> str:
    return f"/author/{_slugify(author)}/"


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.”])\s+", text, maxsplit=1)[0]


def _promo(article: DemoArticleState, boiler: Boilerplate) -> str:
    """The site's promotion as a paragraph of the body, when it is on (``PROMO``); marked with
    a ``data-block`` attribute, which only the site's own tests read."""
    if not boiler.promo or article.template not in PROMO_TEMPLATES:
        return ""
    return f'<p data-block="promo">{_e(PROMO)}</p>'


def _with_promo(blocks: list[str], promo: str) -> list[str]:
    """The promotion after the second block (after the first of a short article)."""
    if not promo:
        return blocks
    at = min(2, max(1, len(blocks) - 1))
    return [*blocks[:at], promo, *blocks[at:]]


def _render_blocks(blocks: Sequence[Block]) -> list[str]:
    out = []
    for block in blocks:
        if block.kind == "h2":
            out.append(f"<h2>{_e(block.text)}</h2>")
        elif block.kind == "quote":
            out.append(f"<blockquote><p>{_e(block.text)}</p></blockquote>")
        else:
            out.append(f"<p>{_e(block.text)}</p>")
    return out


def _json_ld(
    article: DemoArticleState, base: str, site_name: str, *, with_body: bool, promo: bool = False
) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if article.live else "NewsArticle",
        "headline": article.title,
        "datePublished": _iso(article.published),
        "dateModified": _iso(article.modified),
        "author": [
            {"@type": "Person", "name": article.author, "url": base + _author_path(article.author)}
        ],
        "publisher": {"@type": "Organization", "name": site_name},
        "mainEntityOfPage": {
            "@type": "WebPage",
            "@id": base + (article.served_path or article.path),
        },
        "articleSection": article.section.title(),
        "keywords": list(article.tags),
        "image": f"{base}/media/{article.id}.png",
        "description": _first_sentence(article.content.blocks[0].text),
        "inLanguage": "en",
    }
    if with_body:  # the CMS puts its promotion into the body it publishes, as on the page
        body = [b.text for b in article.content.blocks]
        data["articleBody"] = "\n\n".join(_with_promo(body, PROMO if promo else ""))
    if article.live:
        data["coverageStartTime"] = _iso(article.published)
        data["liveBlogUpdate"] = [
            {
                "@type": "BlogPosting",
                "datePublished": _iso(b.at or article.published),
                "articleBody": b.text,
            }
            for b in article.content.blocks
            if b.kind == "post"
        ]
    encoded = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{encoded}</script>'


def _head(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str, *, body_in_ld: bool
) -> str:
    url = base + (article.served_path or article.path)
    description = _first_sentence(article.content.blocks[0].text)
    tags = "".join(f'<meta property="article:tag" content="{_e(t)}">' for t in article.tags)
    links = ""  # what ties the page to its story (``ArticleSpec.identity``)
    if article.identity != "og:url":
        links += f'<link rel="canonical" href="{_e(url)}">'
    if article.identity == "id":
        links += f'<link rel="shortlink" href="{_e(base)}/?p={article.id}">'
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(article.title)} | {_e(site_name)}</title>"
        f'<meta name="description" content="{_e(description)}">'
        f'{links}<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{_e(article.title)}">'
        f'<meta property="og:url" content="{_e(url)}">'
        f'<meta property="og:image" content="{_e(base)}/media/{article.id}.png">'
        f'<meta property="og:site_name" content="{_e(site_name)}">'
        f'<meta property="article:published_time" content="{_iso(article.published)}">'
        f'<meta property="article:modified_time" content="{_iso(article.modified)}">'
        f'<meta property="article:section" content="{_e(article.section.title())}">{tags}'
        f'<meta name="author" content="{_e(article.author)}">'
        f'<meta name="csrf-token" content="{boiler.csrf}">'
        f"{_json_ld(article, base, site_name, with_body=body_in_ld, promo=bool(_promo(article, boiler)))}"
        f'<link rel="stylesheet" href="/static/site.css?v={boiler.request_no % 7}">'
        "</head>\n"
    )


def _nav() -> str:
    links = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    return f'<nav class="main-navigation"><ul><li><a href="/">Home</a></li>{links}<li><a href="/about/">About</a></li></ul></nav>'


def _teaser_items(articles: Iterable[DemoArticleState], *, excerpt: bool = False) -> str:
    items = []
    for a in articles:
        extra = (
            f' <span class="excerpt">{_e(_first_sentence(a.content.blocks[0].text))}</span>'
            if excerpt
            else ""
        )
        items.append(f'<li><a href="{_e(a.served_path or a.path)}">{_e(a.title)}</a>{extra}</li>')
    return "".join(items)


def _byline_time(article: DemoArticleState, css: str) -> str:
    published = f'<time class="{css} published" datetime="{_iso(article.published)}">{_human(article.published)}</time>'
    if article.modified != article.published:
        published += f' <time class="updated" datetime="{_iso(article.modified)}">Updated {_human(article.modified)}</time>'
    return published


def render_wordpress(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str
) -> str:
    """A WordPress-like theme: sidebar teasers, tags, a comment thread with a form."""
    comments = "".join(
        f'<li class="comment"><div class="comment-author"><b>{_e(c.author)}</b> '
        f'<span class="says">says:</span></div><div class="comment-metadata">{c.minutes_ago} minutes ago</div>'
        f'<div class="comment-content"><p>{_e(c.text)}</p></div></li>'
        for c in boiler.comments
    )
    tags = ", ".join(f'<a href="/tag/{_e(t)}/" rel="tag">{_e(t)}</a>' for t in article.tags)
    return (
        _head(article, boiler, base, site_name, body_in_ld=False)
        + f'<body class="post-template-default single single-post postid-{article.id}">'
        '<div id="page" class="site">'
        f'<div class="top-bar"><span class="current-time">{_human(boiler.stamp)}:{boiler.stamp:%S}</span> '
        '<a href="/newsletter/">Newsletter</a> <a href="/contact/">Contact</a></div>'
        f'<header id="masthead" class="site-header"><p class="site-title"><a href="/" rel="home">{_e(site_name)}</a></p>{_nav()}</header>'
        f'<div class="ad-slot" id="div-gpt-ad-{boiler.ad_slot}" data-ad-slot="{boiler.ad_slot}">Advertisement</div>'
        '<div id="content" class="site-content"><main id="main" class="site-main">'
        f'<article id="post-{article.id}" class="post-{article.id} post type-post status-publish category-{article.section}">'
        f'<header class="entry-header"><h1 class="entry-title">{_e(article.title)}</h1>'
        f'<div class="entry-meta"><span class="byline">By <span class="author vcard"><a class="url fn n" href="{_author_path(article.author)}">{_e(article.author)}</a></span></span> '
        f"{_byline_time(article, 'entry-date')}</div></header>"
        f'<div class="entry-content">{"".join(_with_promo(_render_blocks(article.content.blocks), _promo(article, boiler)))}</div>'
        f'<footer class="entry-footer"><span class="tags-links">Tagged {tags}</span></footer>'
        "</article>"
        f'<div id="comments" class="comments-area"><h2 class="comments-title">{boiler.comment_count} comments</h2>'
        f'<ol class="comment-list">{comments}</ol>'
        '<form id="commentform" class="comment-form" method="post" action="/wp-comments-post.php">'
        f'<input type="hidden" name="csrf_token" value="{boiler.csrf}">'
        '<p><label for="comment">Leave a reply</label><textarea id="comment" name="comment"></textarea></p>'
        '<p><button type="submit">Post comment</button></p></form></div>'
        "</main>"
        '<aside id="secondary" class="widget-area">'
        f'<section class="widget widget_recent_entries"><h2 class="widget-title">Latest news</h2><ul>{_teaser_items(boiler.latest, excerpt=True)}</ul></section>'
        f'<section class="widget widget_must_read"><h2 class="widget-title">Must read</h2><ul>{_teaser_items(boiler.must_read)}</ul></section>'
        "</aside></div>"
        f'<footer id="colophon" class="site-footer"><p>&copy; {boiler.stamp.year} {_e(site_name)} &middot; '
        '<a href="/about/">About us</a> &middot; <a href="/contact/">Contact</a></p></footer>'
        "</div></body></html>\n"
    )


def render_broadsheet(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str
) -> str:
    """A broadsheet layout: ``<article>``, a "Related" aside in the middle of the body."""
    blocks = _with_promo(_render_blocks(article.content.blocks), _promo(article, boiler))
    middle = max(1, len(blocks) // 2)
    related = f'<aside class="related" aria-label="Related"><h3>Related</h3><ul>{_teaser_items(boiler.must_read)}</ul></aside>'
    body = "".join(blocks[:middle]) + related + "".join(blocks[middle:])
    most_read = "".join(
        f'<li><span class="rank">{i}</span> <a href="{_e(a.served_path or a.path)}">{_e(a.title)}</a></li>'
        for i, a in enumerate(boiler.most_read, start=1)
    )
    return (
        _head(article, boiler, base, site_name, body_in_ld=False) + '<body class="broadsheet">'
        f'<header class="masthead"><div class="edition">Last updated {_human(boiler.stamp)}:{boiler.stamp:%S}</div>'
        f'<a class="logo" href="/">{_e(site_name)}</a>{_nav()}</header>'
        f'<div class="ad ad-leaderboard" data-slot="{boiler.ad_slot}"></div>'
        "<main>"
        '<article class="story">'
        f'<header><p class="kicker"><a href="/{article.section}/">{article.section.title()}</a></p>'
        f'<h1 class="headline">{_e(article.title)}</h1>'
        f'<p class="byline">By <a rel="author" href="{_author_path(article.author)}">{_e(article.author)}</a> &middot; '
        f"{_byline_time(article, 'dateline')} &middot; "
        f'<a class="comment-count" href="#comments">{boiler.comment_count} comments</a></p></header>'
        f'<div class="story-body">{body}</div>'
        "</article>"
        f'<section class="most-read"><h2>Most read</h2><ol>{most_read}</ol></section>'
        "</main>"
        '<form class="newsletter" action="/newsletter/" method="post">'
        f'<input type="hidden" name="_csrf" value="{boiler.csrf}">'
        '<label for="email">Get the morning briefing</label><input id="email" type="email" name="email">'
        "<button>Sign up</button></form>"
        f'<footer class="site-footer"><a href="/about/">About</a> &middot; <a href="/contact/">Contact</a> &middot; &copy; {_e(site_name)}</footer>'
        "</body></html>\n"
    )


def render_minimal(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str
) -> str:
    """A minimal page: no ``<article>``; the JSON-LD carries the metadata and the body."""
    trending = " &middot; ".join(
        f'<a href="{_e(a.served_path or a.path)}">{_e(a.title)}</a>' for a in boiler.latest[:3]
    )
    return (
        _head(article, boiler, base, site_name, body_in_ld=True) + "<body>"
        f'<div class="bar"><a href="/">{_e(site_name)}</a> <span class="clock">{boiler.stamp:%H:%M:%S} UTC</span></div>'
        '<div class="wrap">'
        f"<h1>{_e(article.title)}</h1>"
        f'<div class="meta"><span class="author">{_e(article.author)}</span> &middot; '
        f"{_byline_time(article, 'date')} &middot; "
        f'<span class="comments">{boiler.comment_count} comments</span></div>'
        f'<div class="story">{"".join(_with_promo(_render_blocks(article.content.blocks), _promo(article, boiler)))}</div>'
        f'<div class="trending"><b>Trending:</b> {trending}</div>'
        '<form class="subscribe" method="post" action="/newsletter/">'
        f'<input type="hidden" name="token" value="{boiler.csrf}"><button>Subscribe</button></form>'
        f'<div class="ad" data-ad-id="{boiler.ad_slot}"></div>'
        "</div></body></html>\n"
    )


def _ago(now: datetime, then: datetime) -> str:
    """A relative time as news pages print it: "5 minutes ago", "3 hours ago"."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    value, unit = (
        (minutes, "minute")
        if minutes < 60
        else (minutes // 60, "hour")
        if minutes < 48 * 60
        else (minutes // 1440, "day")
    )
    return f"{value} {unit}{'' if value == 1 else 's'} ago"


def _views(article: DemoArticleState, boiler: Boilerplate) -> str:
    """A view counter that goes up with every request."""
    return f"{1000 + article.id * 37 + boiler.request_no * 3:,} views"


def _read_time(article: DemoArticleState) -> str:
    return f"{max(1, len(article.text.split()) // 200)} min read"


def render_mobile(article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str) -> str:
    """A mobile template: paragraphs are ``div``s, counters and relative times sit beside the
    text in the same container ("Comments (51)", "1,234 views", "Updated 5 minutes ago")."""
    blocks = []
    for block in article.content.blocks:
        if block.kind == "h2":
            blocks.append(f'<h2 class="m-sub">{_e(block.text)}</h2>')
        elif block.kind == "quote":
            blocks.append(f'<div class="m-quote">{_e(block.text)}</div>')
        else:
            blocks.append(f'<div class="m-p">{_e(block.text)}</div>')
    updated = ""
    if article.modified != article.published:
        updated = f' &middot; <span class="m-updated">Updated {_ago(boiler.stamp, article.modified)}</span>'
    latest = "".join(
        f'<div class="m-teaser"><a href="{_e(a.served_path or a.path)}">{_e(a.title)}</a></div>'
        for a in boiler.latest[:4]
    )
    return (
        _head(article, boiler, base, site_name, body_in_ld=False) + '<body class="m">'
        f'<div class="m-top"><a href="/">{_e(site_name)}</a> <span class="m-clock">{boiler.stamp:%H:%M}</span></div>'
        '<div class="m-page"><div class="m-story">'
        f"<h1>{_e(article.title)}</h1>"
        f'<div class="m-meta">By <a href="{_author_path(article.author)}">{_e(article.author)}</a> &middot; '
        f"{_byline_time(article, 'm-date')}{updated} &middot; {_read_time(article)}</div>"
        f'<div class="m-body">{"".join(blocks)}</div>'
        f'<div class="m-counters"><a href="#comments">Comments ({boiler.comment_count})</a> &middot; '
        f"<span>{_views(article, boiler)}</span></div>"
        "</div>"
        f'<div class="m-latest"><div class="m-latest-title">Latest news</div>{latest}</div>'
        f'<div class="m-ad" data-slot="{boiler.ad_slot}">Advertisement</div>'
        "</div></body></html>\n"
    )


def render_magazine(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str
) -> str:
    """A magazine feature: the first line of its body is a plain paragraph "N min read ·
    Updated N minutes ago" (a reading time and a relative time), and the site's promotion is a
    paragraph of the body too. An extractor rightly keeps both: nothing in the markup tells
    them from the text. The archive's second line of defence must (counters and relative
    times masked, the promotion learnt as the site's boilerplate)."""
    when = article.modified if article.modified != article.published else article.published
    said = "Updated" if article.modified != article.published else "Published"
    line = f"{_read_time(article)} &middot; {said} {_ago(boiler.stamp, when)}"
    blocks = [f'<p data-block="reading-time">{line}</p>']
    blocks += _with_promo(_render_blocks(article.content.blocks), _promo(article, boiler))
    latest = "".join(
        f'<li><a href="{_e(a.served_path or a.path)}">{_e(a.title)}</a></li>'
        for a in boiler.latest[:4]
    )
    return (
        _head(article, boiler, base, site_name, body_in_ld=False) + '<body class="magazine">'
        f'<header class="site-head"><a class="brand" href="/">{_e(site_name)}</a>{_nav()}</header>'
        f'<div class="promo-bar" data-slot="{boiler.ad_slot}">Advertisement</div>'
        "<main>"
        '<article class="feature">'
        f'<p class="section-label"><a href="/{article.section}/">{article.section.title()}</a></p>'
        f"<h1>{_e(article.title)}</h1>"
        f'<p class="dek">By <a rel="author" href="{_author_path(article.author)}">{_e(article.author)}</a> &middot; '
        f"{_byline_time(article, 'feature-date')}</p>"
        f'<div class="feature-body">{"".join(blocks)}</div>'
        "</article>"
        f'<aside class="up-next"><h2>Up next</h2><ul>{latest}</ul></aside>'
        "</main>"
        f'<footer class="site-footer"><a href="/about/">About</a> &middot; &copy; {_e(site_name)}</footer>'
        "</body></html>\n"
    )


def render_live(article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str) -> str:
    """A live blog: a "LIVE · Updated N minutes ago" header, the intro, then the posts, newest
    first, each an ``<article>`` with its own ``<time>`` (JSON-LD ``LiveBlogPosting``)."""
    posts = [b for b in article.content.blocks if b.kind == "post"]
    latest = max((p.at for p in posts if p.at), default=article.published)
    stream = "".join(
        f'<article class="live-post" id="post-{i}">'
        f'<time datetime="{_iso(p.at or article.published)}">{(p.at or article.published):%H:%M}</time>'
        f'<div class="live-post-body"><p>{_e(p.text)}</p></div>'
        '<div class="live-post-share"><a href="#share">Share</a></div></article>'
        for i, p in zip(range(len(posts), 0, -1), posts, strict=True)
    )
    intro = "".join(f"<p>{_e(b.text)}</p>" for b in article.content.blocks if b.kind == "p")
    return (
        _head(article, boiler, base, site_name, body_in_ld=False) + '<body class="live">'
        f'<header class="masthead"><a class="logo" href="/">{_e(site_name)}</a>{_nav()}</header>'
        "<main>"
        '<div class="live-blog">'
        f'<div class="live-header"><span class="live-badge">LIVE</span> &middot; Updated {_ago(boiler.stamp, latest)}</div>'
        f'<h1 class="headline">{_e(article.title)}</h1>'
        f'<p class="byline">By <a rel="author" href="{_author_path(article.author)}">{_e(article.author)}</a> &middot; '
        f"{_byline_time(article, 'dateline')} &middot; "
        f'<a class="comment-count" href="#comments">Comments ({boiler.comment_count})</a></p>'
        f'<div class="live-intro">{intro}</div>'
        f'<div class="live-stream">{stream}</div>'
        "</div>"
        f'<aside class="latest"><h2>Latest news</h2><ul>{_teaser_items(boiler.latest)}</ul></aside>'
        "</main>"
        f'<footer class="site-footer"><a href="/about/">About</a> &middot; &copy; {_e(site_name)}</footer>'
        "</body></html>\n"
    )


RENDERERS: Mapping[str, Callable[[DemoArticleState, Boilerplate, str, str], str]] = {
    "wordpress": render_wordpress,
    "broadsheet": render_broadsheet,
    "minimal": render_minimal,
    "mobile": render_mobile,
    "magazine": render_magazine,
    LIVE_TEMPLATE: render_live,
}


def render_article(
    article: DemoArticleState, boiler: Boilerplate, base: str, site_name: str
) -> str:
    return RENDERERS[article.template](article, boiler, base, site_name)


def _page(title: str, body: str, boiler: Boilerplate, site_name: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{_e(title)} | {_e(site_name)}</title><meta name="csrf-token" content="{boiler.csrf}"></head>'
        f'<body><header><div class="edition">{_human(boiler.stamp)}:{boiler.stamp:%S}</div>'
        f'<a class="logo" href="/">{_e(site_name)}</a>{_nav()}</header>'
        f'<div class="ad" data-slot="{boiler.ad_slot}"></div>'
        f"<main><h1>{_e(title)}</h1>{body}</main>"
        '<footer><a href="/about/">About</a> &middot; <a href="/contact/">Contact</a> &middot; '
        '<a href="/newsletter/">Newsletter</a></footer></body></html>\n'
    )


def render_listing(
    title: str,
    articles: Sequence[DemoArticleState],
    boiler: Boilerplate,
    site_name: str,
    *,
    extra_links: str = "",
    next_page: str | None = None,
) -> str:
    """A section / tag / author page: article links mixed with tag, author and other links."""
    rng = random.Random(boiler.request_no)
    items = []
    for a in articles:
        link = _e(a.served_path or a.path)
        tags = " ".join(f'<a class="tag" href="/tag/{_e(t)}/">#{_e(t)}</a>' for t in a.tags)
        items.append(
            f'<article class="teaser"><h2><a href="{link}">{_e(a.title)}</a></h2>'
            f"<p>{_e(_first_sentence(a.content.blocks[0].text))}</p>"
            f'<p class="meta">By <a href="{_author_path(a.author)}">{_e(a.author)}</a> &middot; '
            f'<time datetime="{_iso(a.published)}">{_human(a.published)}</time> &middot; '
            f'<a href="{link}#comments">{rng.randint(0, 300)} comments</a> {tags}</p></article>'
        )
    pager = f'<a class="next" rel="next" href="{next_page}">Older stories</a>' if next_page else ""
    return _page(title, "".join(items) + extra_links + pager, boiler, site_name)


def _rss_guid(a: DemoArticleState, base: str) -> str:
    """A stable id (the shortlink) for a story that has one, else its URL (a permalink)."""
    if a.identity == "id":
        return f'<guid isPermaLink="false">{base}/?p={a.id}</guid>'
    return f'<guid isPermaLink="true">{base}{a.served_path}</guid>'


def render_rss(
    articles: Sequence[DemoArticleState], base: str, site_name: str, now: datetime
) -> str:
    items = []
    for a in articles:
        link = f"{base}{a.served_path}?utm_source=rss&amp;utm_medium=feed"
        items.append(
            f"<item><title>{_e(a.title)}</title><link>{link}</link>"
            f"{_rss_guid(a, base)}"
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
            f"<dc:creator>{_e(a.author)}</dc:creator><category>{a.section.title()}</category>"
            f"<description>{_e(_first_sentence(a.content.blocks[0].text))}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{_e(site_name)}</title><link>{base}/</link>"
        "<description>The latest stories from the demo newsroom</description><language>en</language>"
        f"<lastBuildDate>{format_datetime(now, usegmt=True)}</lastBuildDate>"
        f'<atom:link href="{base}/feed.xml" rel="self" type="application/rss+xml"/>'
        + "".join(items)
        + "</channel></rss>\n"
    )


def _feed_id(a: DemoArticleState, base: str, prefix: str) -> str:
    return f"{prefix}{a.id}" if a.identity == "id" else f"{base}{a.served_path}"


def render_atom(
    articles: Sequence[DemoArticleState], base: str, site_name: str, now: datetime
) -> str:
    updated = max((a.modified for a in articles), default=now)
    entries = []
    for a in articles:
        entries.append(
            f"<entry><title>{_e(a.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{base}{a.served_path}"/>'
            f"<id>{_feed_id(a, base, 'tag:demo-courier.test,2026:article-')}</id>"
            f"<published>{_iso(a.published)}</published><updated>{_iso(a.modified)}</updated>"
            f"<author><name>{_e(a.author)}</name></author>"
            f'<category term="{a.section}"/>'
            f"<summary>{_e(_first_sentence(a.content.blocks[0].text))}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{_e(site_name)}</title><id>tag:demo-courier.test,2026:feed</id>"
        f'<link rel="self" href="{base}/atom.xml"/><link rel="alternate" href="{base}/"/>'
        f"<updated>{_iso(updated)}</updated>" + "".join(entries) + "</feed>\n"
    )


def render_json_feed(articles: Sequence[DemoArticleState], base: str, site_name: str) -> str:
    items = [
        {
            "id": _feed_id(a, base, "demo-courier-article-"),
            "url": base + (a.served_path or a.path),
            "title": a.title,
            "summary": _first_sentence(a.content.blocks[0].text),
            "date_published": _iso(a.published),
            "date_modified": _iso(a.modified),
            "authors": [{"name": a.author}],
            "tags": list(a.tags),
        }
        for a in articles
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site_name,
        "home_page_url": f"{base}/",
        "feed_url": f"{base}/feed.json",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def render_rdf(articles: Sequence[DemoArticleState], base: str, site_name: str) -> str:
    """RSS 1.0 (RDF), which some older news CMSes still publish."""
    refs = "".join(f'<rdf:li rdf:resource="{base}{a.served_path}"/>' for a in articles)
    items = "".join(
        f'<item rdf:about="{base}{a.served_path}"><title>{_e(a.title)}</title>'
        f"<link>{base}{a.served_path}</link><dc:date>{_iso(a.published)}</dc:date>"
        f"<dc:creator>{_e(a.author)}</dc:creator>"
        f"<description>{_e(_first_sentence(a.content.blocks[0].text))}</description></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/feed.rdf"><title>{_e(site_name)}</title><link>{base}/</link>'
        f"<description>The latest stories from the demo newsroom</description>"
        f"<items><rdf:Seq>{refs}</rdf:Seq></items></channel>{items}</rdf:RDF>\n"
    )


SITEMAPS = ("sitemap-news.xml", "sitemap-articles.xml", "sitemap-archive.xml.gz")


def render_sitemap_index(base: str, lastmod: datetime) -> str:
    maps = "".join(
        f"<sitemap><loc>{base}/{name}</loc><lastmod>{_iso(lastmod)}</lastmod></sitemap>"
        for name in SITEMAPS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>\n'
    )


def render_news_sitemap(articles: Sequence[DemoArticleState], base: str, site_name: str) -> str:
    urls = "".join(
        f"<url><loc>{base}{a.served_path}</loc><news:news><news:publication>"
        f"<news:name>{_e(site_name)}</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{_iso(a.published)}</news:publication_date>"
        f"<news:title>{_e(a.title)}</news:title></news:news></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>\n'
    )


def render_articles_sitemap(articles: Sequence[DemoArticleState], base: str) -> str:
    urls = "".join(
        f"<url><loc>{base}{a.served_path}</loc><lastmod>{_iso(a.modified)}</lastmod></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def render_robots(base: str) -> str:
    return f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"


@cache
def _png() -> bytes:
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# --- snapshots, requests, responses (pure) -----------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The site at one moment: computed once per clock value, shared by concurrent requests."""

    now: datetime
    base: str
    articles: tuple[DemoArticleState, ...]  # every published article, by id
    by_path: Mapping[str, DemoArticleState]  # original and moved-to paths
    listed: tuple[DemoArticleState, ...]  # served and public, newest first
    promo: bool = False  # the in-body promotion is on (``PROMO``)

    def section(self, name: str) -> list[DemoArticleState]:
        return [a for a in self.listed if a.section == name]


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


class DemoRequest(NamedTuple):
    """A request the site answered: its path (with query) and headers (lower-case names)."""

    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class ServedRequest:
    """The fuller record: method, status and a monotonic timestamp, for politeness checks."""

    method: str
    path: str
    headers: Mapping[str, str]
    status: int
    at: float  # time.monotonic()


def _accepts_gzip(value: str) -> bool:
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip()
            if not q.startswith("q="):
                return True
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
    return False


def _compressible(response: Response) -> bool:
    """Text is gzipped on the wire; images, PDFs and .gz files are sent as they are."""
    kind = dict(response.headers).get("Content-Type", "")
    return kind.startswith("text/") or "xml" in kind or "json" in kind


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified(article: DemoArticleState, headers: Mapping[str, str]) -> bool:
    if "if-none-match" in headers:
        return _etag_matches(headers["if-none-match"], article.etag)
    since = headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return article.modified.replace(microsecond=0) <= moment
    return False


ARTICLE_PATH = re.compile(r"^(/private)?/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$")


# --- routing (pure: a snapshot and a request in, a response out) -------------------------------


class Exchange:
    """One request being answered: the snapshot it sees and its own draw of boilerplate."""

    def __init__(
        self,
        snap: Snapshot,
        corpus: Corpus,
        seed: int,
        request_no: int,
        headers: Mapping[str, str],
        query: str = "",
    ) -> None:
        self.snap, self.corpus, self.headers = snap, corpus, headers
        self.query = query
        self.request_no = request_no
        self._rng = random.Random(f"{seed}:request:{request_no}")
        self._boiler: Boilerplate | None = None

    @property
    def boiler(self) -> Boilerplate:
        if self._boiler is None:
            live = self.snap.listed[:40]
            self._boiler = make_boilerplate(
                self._rng, self.request_no, self.snap.now, live, self.corpus, promo=self.snap.promo
            )
        return self._boiler

    @property
    def base(self) -> str:
        return self.snap.base

    @property
    def name(self) -> str:
        return self.corpus.site_name

    def html(self, text: str, status: int = 200, *extra: tuple[str, str]) -> Response:
        cookie = f"csrftoken={self.boiler.csrf}; Path=/; SameSite=Lax"
        headers = (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Vary", "Accept-Encoding"),
            ("Set-Cookie", cookie),
            *extra,
        )
        return Response(status, headers, text.encode())

    def xml(self, text: str, kind: str = "application/xml") -> Response:
        """A feed or sitemap (XML, or JSON for the JSON Feed), with an ETag over its bytes.

        Feeds and sitemaps carry no boilerplate, so unlike article pages they all answer
        ``If-None-Match`` with 304 while they are unchanged.
        """
        body = text.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        headers = (
            ("Content-Type", f"{kind}; charset=utf-8"),
            ("Vary", "Accept-Encoding"),
            ("ETag", etag),
        )
        if _etag_matches(self.headers.get("if-none-match", ""), etag):
            return Response(304, headers[2:])
        return Response(200, headers, body)

    def redirect(self, location: str) -> Response:
        headers = (("Location", location), ("Content-Type", "text/html; charset=utf-8"))
        return Response(301, headers, f'<a href="{_e(location)}">Moved</a>\n'.encode())

    def not_found(self, status: int = 404) -> Response:
        if status == 410:
            title, message = "Gone", "This article has been removed."
        else:
            title, message = "Page not found", "Sorry, we could not find that page."
        return self.html(_page(title, f"<p>{message}</p>", self.boiler, self.name), status)

    def listing(self, title: str, items: Sequence[DemoArticleState], **kwargs: Any) -> Response:
        return self.html(render_listing(title, items, self.boiler, self.name, **kwargs))


def _robots(ex: Exchange) -> Response:
    body = render_robots(ex.base).encode()
    return Response(200, (("Content-Type", "text/plain; charset=utf-8"),), body)


def _rss(ex: Exchange) -> Response:
    feed = ex.snap.listed[:FEED_SIZE]
    return ex.xml(render_rss(feed, ex.base, ex.name, ex.snap.now), "application/rss+xml")


def _atom(ex: Exchange) -> Response:
    feed = ex.snap.listed[:FEED_SIZE]
    return ex.xml(render_atom(feed, ex.base, ex.name, ex.snap.now), "application/atom+xml")


def _sitemap_index(ex: Exchange) -> Response:
    lastmod = max((a.modified for a in ex.snap.listed), default=ex.snap.now)
    return ex.xml(render_sitemap_index(ex.base, lastmod))


def _news_sitemap(ex: Exchange) -> Response:
    now = ex.snap.now
    recent = [a for a in ex.snap.listed if now - a.published <= NEWS_SITEMAP_WINDOW]
    return ex.xml(render_news_sitemap(recent, ex.base, ex.name))


def _articles_sitemap(ex: Exchange) -> Response:
    return ex.xml(render_articles_sitemap(ex.snap.listed[:SITEMAP_LIMIT], ex.base))


def _archive_sitemap(ex: Exchange) -> Response:
    old = [a for a in ex.snap.listed if ex.snap.now - a.published > ARCHIVE_SITEMAP_AGE]
    body = gzip.compress(render_articles_sitemap(old[:SITEMAP_LIMIT], ex.base).encode(), mtime=0)
    return Response(200, (("Content-Type", "application/gzip"),), body)


def _json_feed(ex: Exchange) -> Response:
    text = render_json_feed(ex.snap.listed[:FEED_SIZE], ex.base, ex.name)
    return ex.xml(text, "application/feed+json")


def _rdf(ex: Exchange) -> Response:
    return ex.xml(render_rdf(ex.snap.listed[:FEED_SIZE], ex.base, ex.name), "application/rdf+xml")


def _pdf(ex: Exchange) -> Response:
    return Response(200, (("Content-Type", "application/pdf"),), PDF)


def _static_page(title: str) -> Callable[[Exchange], Response]:
    text = (
        "<p>The Demo Courier is a small newsroom that exists only on this machine.</p>"
        '<p><a href="/media/annual-report.pdf">Read our annual report (PDF)</a></p>'
    )
    return lambda ex: ex.html(_page(title, text, ex.boiler, ex.name))


def _section_listing(ex: Exchange, match: re.Match[str]) -> Response:
    section, number = match.group(1), int(match.group(2) or 1)
    items = ex.snap.section(section) if section else list(ex.snap.listed)
    chunk = items[(number - 1) * LISTING_SIZE : number * LISTING_SIZE]
    if number < 1 or (number > 1 and not chunk):
        return ex.not_found()
    prefix = f"/{section}/" if section else "/"
    more = f"{prefix}page/{number + 1}/" if len(items) > number * LISTING_SIZE else None
    extra = ""
    if number == 1 and section in (None, "world"):
        for a in ex.snap.articles:
            if not a.robots_allowed and a.served:
                link = f'<a href="{_e(a.path)}">{_e(a.title)}</a>'
                extra += f'<p class="members">Members\' briefing: {link}</p>'
    if section == "business":
        extra += '<p><a href="/media/annual-report.pdf">Annual report 2026 (PDF)</a></p>'
    extra += '<p><a href="/about/">About us</a> &middot; <a href="/newsletter/">Newsletter</a></p>'
    title = ex.corpus.sections[section].label if section else ex.name
    return ex.listing(title, chunk, extra_links=extra, next_page=more)


def _tag_listing(ex: Exchange, match: re.Match[str]) -> Response:
    tag = match.group(1)
    items = [a for a in ex.snap.listed if tag in a.tags][:LISTING_SIZE]
    return ex.listing(f"Tagged: {tag}", items)


def _author_listing(ex: Exchange, match: re.Match[str]) -> Response:
    items = [a for a in ex.snap.listed if _slugify(a.author) == match.group(1)]
    if not items:
        return ex.not_found()
    return ex.listing(f"Stories by {items[0].author}", items[:LISTING_SIZE])


def _png_response(ex: Exchange, match: re.Match[str]) -> Response:
    return Response(200, (("Content-Type", "image/png"),), _png())


def _add_slash(ex: Exchange, match: re.Match[str]) -> Response:
    return ex.redirect(match.group(0) + "/")


def _article(ex: Exchange, path: str) -> Response:
    article = ex.snap.by_path.get(path)
    if article is None or not ARTICLE_PATH.match(path):
        if path + "/" in ex.snap.by_path:
            return ex.redirect(path + "/")
        return ex.not_found()
    if article.status == "gone":
        return ex.not_found(article.http_status)
    if article.status == "failing":
        text = _page("Service unavailable", "<p>Please try again later.</p>", ex.boiler, ex.name)
        return ex.html(text, 503)
    if article.moved_to is not None and path == article.path and article.http_status == 301:
        return ex.redirect(article.moved_to)  # moved by a redirect, or a soft-404
    validators: tuple[tuple[str, str], ...] = (("Cache-Control", "private, max-age=0"),)
    if article.conditional:
        modified = format_datetime(article.modified.replace(microsecond=0), usegmt=True)
        validators = (
            ("Cache-Control", "no-cache"),
            ("ETag", article.etag),
            ("Last-Modified", modified),
        )
        if _not_modified(article, ex.headers):
            return Response(304, validators)
    return ex.html(render_article(article, ex.boiler, ex.base, ex.name), 200, *validators)


EXACT_ROUTES: Mapping[str, Callable[[Exchange], Response]] = {
    "/robots.txt": _robots,
    "/feed.xml": _rss,
    "/atom.xml": _atom,
    "/sitemap.xml": _sitemap_index,
    "/sitemap-news.xml": _news_sitemap,
    "/sitemap-articles.xml": _articles_sitemap,
    "/sitemap-archive.xml.gz": _archive_sitemap,
    "/feed.json": _json_feed,
    "/feed.rdf": _rdf,
    "/media/annual-report.pdf": _pdf,
    "/about/": _static_page("About us"),
    "/contact/": _static_page("Contact"),
    "/newsletter/": _static_page("Newsletter"),
}

PATTERN_ROUTES: tuple[
    tuple[re.Pattern[str], Callable[[Exchange, re.Match[str]], Response]], ...
] = (
    (re.compile(r"/(?:(world|business|culture)/)?(?:page/(\d{1,4})/)?"), _section_listing),
    (re.compile(r"/(?:world|business|culture)"), _add_slash),
    (re.compile(r"/tag/([a-z0-9-]+)/"), _tag_listing),
    (re.compile(r"/author/([a-z0-9-]+)/"), _author_listing),
    (re.compile(r"/media/\d+\.png"), _png_response),
)


def _shortlink(ex: Exchange, article_id: str) -> Response:
    """``/?p=ID``, a WordPress-style shortlink: a redirect to wherever the article is now."""
    for a in ex.snap.articles:
        if str(a.id) == article_id and a.robots_allowed:
            if a.served_path is None:
                return ex.not_found(a.http_status if a.status == "gone" else 404)
            return ex.redirect(ex.base + a.served_path)
    return ex.not_found()


def route(ex: Exchange, path: str) -> Response:
    """Answer ``path``: exact routes, then patterns, then articles (the rest is a 404)."""
    if path == "/" and ex.query.startswith("p="):
        return _shortlink(ex, ex.query[2:].split("&")[0])
    exact = EXACT_ROUTES.get(path)
    if exact is not None:
        return exact(ex)
    for pattern, handler in PATTERN_ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return handler(ex, match)
    return _article(ex, path)


# --- the server (side effects) -------------------------------------------------------------------


class DemoSite:
    """The simulated news site: a real HTTP server on 127.0.0.1 with a virtual clock.

    Use as a context manager (``with DemoSite(start=...) as site: site.base_url``) or call
    ``start()`` / ``stop()``. ``advance()`` moves the clock; ``articles()`` and ``events()`` are
    the ground truth to check a crawl against; ``requests`` lists what was served.
    """

    def __init__(self, *, start: datetime | None = None, seed: int = 1, port: int = 0) -> None:
        self._port = port  # 0: a free port
        if start is None:
            start = datetime.now(UTC).replace(second=0, microsecond=0)
        if start.tzinfo is None or start.utcoffset() is None:
            raise DemoSiteError("start must be a timezone-aware datetime")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise DemoSiteError(f"seed must be a non-negative int, not {seed!r}")
        self.seed = seed
        self.start_time = start.astimezone(UTC)
        self._corpus = load_corpus()
        self._lock = threading.RLock()
        self._now = self.start_time
        self._timeline = Timeline(self._corpus, seed, self.start_time)
        self._timeline.extend_to(self._now + LOOKAHEAD)
        self._snapshot: Snapshot | None = None
        self._request_no = 0
        self._log: deque[ServedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # clock

    @property
    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the site's clock forward: articles get published, scheduled events happen."""
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise DemoSiteError(f"advance needs a non-negative timedelta, not {delta!r}")
        with self._lock:
            self._now += delta
            self._timeline.extend_to(self._now + LOOKAHEAD)
            self._snapshot = None

    # server lifecycle

    def start(self) -> str:
        """Serve on 127.0.0.1 (on the port given, else a free one); returns the base URL.
        Idempotent."""
        with self._lock:
            if self._server is None:
                server = _Server(("127.0.0.1", self._port), _Handler)
                server.site = self
                self._server = server
                self._snapshot = None
                self._thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name="demo-site",
                    daemon=True,
                )
                self._thread.start()
            return self.base_url

    def stop(self) -> None:
        """Stop serving and drop open connections; the clock and content are kept."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            self._snapshot = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``, for the fetcher's allow list."""
        server = self._server
        if server is None:
            raise DemoSiteError("the demo site is not started")
        host, port = server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host_port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # ground truth

    def _base(self) -> str:
        return self.base_url if self._server is not None else ""

    def _current(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._build_snapshot()
            return self._snapshot

    def _build_snapshot(self) -> Snapshot:
        base, now, timeline = self._base(), self._now, self._timeline
        articles = tuple(
            article_state(spec, timeline.events_by_article[spec.id], now, base, self._corpus)
            for spec in timeline.specs
            if spec.published <= now
        )
        by_path: dict[str, DemoArticleState] = {}
        for a in articles:
            by_path[a.path] = a
            if a.served_path is not None:
                by_path[a.served_path] = a
        listed = tuple(
            sorted(
                (a for a in articles if a.served and a.robots_allowed),
                key=lambda a: (a.published, a.id),
                reverse=True,
            )
        )
        hours = int((now - timeline.start).total_seconds() // 3600)
        return Snapshot(now, base, articles, by_path, listed, promo=hours % 2 == 0)

    def articles(self) -> list[DemoArticleState]:
        """Every article published by ``now`` (gone ones too), by id. URLs are absolute once
        the site is started, paths before."""
        return list(self._current().articles)

    def article_at(self, article_id: int, when: datetime) -> DemoArticleState:
        """Article ``article_id`` as it was (or will be) at ``when``: the truth to check a
        version captured then against."""
        with self._lock:
            self._timeline.extend_to(when)
            spec = next((s for s in self._timeline.specs if s.id == article_id), None)
            if spec is None or spec.published > when:
                raise DemoSiteError(f"no article {article_id} published by {when.isoformat()}")
            events = self._timeline.events_by_article[article_id]
            return article_state(spec, events, when, self._base(), self._corpus)

    def article(self, article_id: int) -> DemoArticleState:
        for a in self._current().articles:
            if a.id == article_id:
                return a
        raise DemoSiteError(f"no article {article_id} published by {self.now.isoformat()}")

    def events(self, until: datetime | None = None) -> list[DemoEvent]:
        """Scheduled events up to ``until`` (default: now; pass a later time to see the plan)."""
        with self._lock:
            if until is None:
                until = self._now
            if until.tzinfo is None:
                raise DemoSiteError("until must be a timezone-aware datetime")
            self._timeline.extend_to(until)
            base = self._base()
            return [
                replace(
                    e,
                    url=base + e.url,
                    location=None if e.location is None else base + e.location,
                )
                for e in self._timeline.events
                if e.at <= until
            ]

    @property
    def requests(self) -> list[DemoRequest]:
        with self._lock:
            return [DemoRequest(r.path, dict(r.headers)) for r in self._log]

    def request_log(self) -> list[ServedRequest]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # HTTP

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """Answer one request (``headers`` with lower-case names); used by the HTTP handler."""
        with self._lock:
            self._request_no += 1
            request_no = self._request_no
            snapshot = self._current()
        parts = urlsplit(target)
        exchange = Exchange(snapshot, self._corpus, self.seed, request_no, headers, parts.query)
        response = route(exchange, unquote(parts.path))
        if (
            response.body
            and response.status != 304
            and _compressible(response)
            and _accepts_gzip(headers.get("accept-encoding", ""))
        ):
            body = gzip.compress(response.body, compresslevel=5, mtime=0)
            response = Response(
                response.status, (*response.headers, ("Content-Encoding", "gzip")), body
            )
        with self._lock:
            self._log.append(
                ServedRequest(method, target, dict(headers), response.status, time.monotonic())
            )
        return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: DemoSite

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up is normal for a news site; anything else is worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_connections(self) -> None:
        """Cut keep-alive connections, so a stopped site stops answering at once."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoCourier/1.0"
    sys_version = ""
    timeout = 10  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            response = self.server.site.respond(method, self.path, headers)
        except Exception:  # a bug in the site must show as a 500, not a dropped connection
            response = Response(500, (("Content-Type", "text/plain; charset=utf-8"),), b"error\n")
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD" and response.status != 304:
            self.wfile.write(response.body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header follows the site's virtual clock, like every other time."""
        return format_datetime(self.server.site.now.replace(microsecond=0), usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        """Silence: the site's request log is ``DemoSite.requests``."""


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m scraper.demo.site``: serve the site to look at it in a browser.

    The clock runs ``--speed`` times faster than real time, so edits and new articles show up
    while you watch.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scraper.demo.site", description=main.__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speed", type=float, default=60.0, help="virtual seconds per second")
    args = parser.parse_args(argv)
    if args.speed < 0:
        parser.error("--speed must not be negative")
    with DemoSite(seed=args.seed) as site:
        print(f"The Demo Courier on {site.base_url}/ (clock x{args.speed:g}); Ctrl-C stops it")
        try:
            while True:
                time.sleep(1)
                site.advance(timedelta(seconds=args.speed))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
