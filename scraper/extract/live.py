"""Live blogs: the stream of timed posts that is the article.

A live blog is one page whose article is a stream of posts, each with its own time, newest
usually first. The generic container rules see each post as a small ``<article>`` and keep the
biggest one, which loses every other post (and with it every new post, every correction).
This module finds the stream so the whole of it is the article:

- the page declares itself: JSON-LD ``LiveBlogPosting``; or
- the markup shows it: at least ``MIN_POSTS`` sibling blocks of one kind (same tag and class),
  each holding a time (``<time>`` or a ``datetime`` attribute) and some unlinked prose, under a
  container whose class/id (or the page's ``<body>``) says "live" (``live-stream``,
  ``liveblog``). The marker keeps forum threads and comment lists, which also repeat timed
  posts, out.

Pure: reads a parsed tree. May import only :mod:`scraper.extract.rules` and
:mod:`scraper.extract.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from scraper.extract import rules
from scraper.extract.text import inside_region, link_density

MIN_POSTS = 3  # markup alone (no JSON-LD) must show this many timed posts
_MIN_POST_TEXT = 40
_MAX_CANDIDATES = 2_000
_ROOT_LEVELS = 4
_LIVE_WORD = re.compile(
    r"(?:^|[\s_-])live(?:blog|-?blog|-?stream|-?feed|-?posts?|-?updates?)?(?:$|[\s_-])|liveblog",
    re.IGNORECASE,
)
_TIMED = "time, [datetime]"


@dataclass(frozen=True)
class LivePost:
    """One post of a live blog: its time (ISO 8601 as the page gives it, or None), its text
    (paragraphs separated by a blank line) and the page's id for it (stable across updates
    on most CMSs, so a post can be followed from one capture to the next)."""

    time: str | None
    text: str
    id: str | None = None


@dataclass(frozen=True)
class Stream:
    """The posts of a live blog found in the markup, in page order, and their container."""

    container: LexborNode
    posts: tuple[LexborNode, ...]


def _signature(node: LexborNode) -> tuple[str, str]:
    return node.tag or "", " ".join(sorted((node.attributes.get("class") or "").split()))


def _is_post(node: LexborNode) -> bool:
    if node.css_first(_TIMED) is None:
        return False
    text = node.text(strip=True)
    return len(text) >= _MIN_POST_TEXT and link_density(node, len(text)) < 0.5


def _has_live_marker(node: LexborNode, body: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None:
        attrs = current.attributes
        words = rules.role_words(attrs.get("class"), attrs.get("id"))
        if words and _LIVE_WORD.search(words):
            return True
        if current.mem_id == body.mem_id:
            break
        current = current.parent
    return False


def _in_thread(node: LexborNode) -> bool:
    return inside_region(node, rules.THREAD_WORDS)


def find_stream(body: LexborNode, declared: bool) -> Stream | None:
    """The container of repeated timed posts, when the page is a live blog."""
    best: Stream | None = None
    seen: set[int] = set()
    # Timed teasers of one list climb through the same parents: each parent's posts of one
    # kind are found once.
    found: dict[tuple[int, tuple[str, str]], list[LexborNode]] = {}
    for timed in body.css(_TIMED)[:_MAX_CANDIDATES]:
        # A post is a child of the stream that holds a time; climb to find its parent.
        child: LexborNode | None = timed
        for _ in range(6):
            if child is None or child.parent is None:
                break
            parent = child.parent
            if parent.mem_id in seen or parent.tag in ("html", "-document"):
                break
            kind = _signature(child)
            key = (parent.mem_id, kind)
            posts = found.get(key)
            if posts is None:
                posts = found[key] = _posts_of(parent, kind)
            if posts:
                seen.add(parent.mem_id)
                if best is None or len(posts) > len(best.posts):
                    best = Stream(parent, tuple(posts))
                break
            child = parent
    if best is None or _in_thread(best.container):
        return None
    if declared and len(best.posts) >= 2:
        return best
    if len(best.posts) >= MIN_POSTS and _has_live_marker(best.container, body):
        return best
    return None


def _posts_of(parent: LexborNode, kind: tuple[str, str]) -> list[LexborNode]:
    """The children of `parent` of one kind (tag and classes) that are timed posts (two at
    least)."""
    if not kind[0] or kind[0].startswith("-"):
        return []
    same = [c for c in parent.iter() if _signature(c) == kind]
    if len(same) < 2:
        return []
    posts = [c for c in same if _is_post(c)]
    return posts if len(posts) >= 2 and len(posts) >= 0.6 * len(same) else []


def article_root(stream: Stream, headline: LexborNode | None) -> LexborNode:
    """What holds the live blog's article: the stream's nearest ancestor that also holds the
    headline (so the intro or summary between them is text), else the stream itself."""
    if headline is None:
        return stream.container
    current: LexborNode | None = stream.container
    for _ in range(_ROOT_LEVELS):
        if current is None or current.tag in ("body", "html"):
            break
        if _holds(current, headline):
            return current
        current = current.parent
    return stream.container


def _holds(outer: LexborNode, inner: LexborNode) -> bool:
    node: LexborNode | None = inner
    while node is not None:
        if node.mem_id == outer.mem_id:
            return True
        node = node.parent
    return False


def post_time(post: LexborNode) -> str | None:
    """The post's own time: the first ``datetime`` inside it."""
    for node in post.css(_TIMED):
        value = node.attributes.get("datetime")
        if value and value.strip():
            return value.strip()
    return None
