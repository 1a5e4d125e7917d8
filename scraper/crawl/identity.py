"""Stable identities of an article page, to join a moved article's URLs (pure).

A news CMS gives each story an id that survives a new slug: WordPress prints it as
``<link rel="shortlink" href="https://site/?p=123">``, and feeds carry it as the item's
``guid``. The crawl hands these keys to the archive
(:meth:`archive.store.Archive.join_by_identity`), which joins a URL seen for the first time to
the older article holding the same key: one history and a ``moved`` event, even when
discovery finds the new URL before the old one is re-checked. (The canonical link and
``og:url`` name an address rather than an id; they are joined by
``ArticleChecker._follow_canonical`` and :meth:`archive.store.Archive.join_by_canonical`.)

May import: :mod:`scraper.urls`.
"""

from __future__ import annotations

import html
import re

from scraper import urls as urlmod

# Only the head is read: identities are metadata, and a page can be megabytes long.
_HEAD_CHARS = 200_000
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _attributes(tag: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR.finditer(tag)
    }


def shortlinks(page: str) -> tuple[str, ...]:
    """The ``href`` of every ``<link rel="shortlink">`` in the page's head, as written.

    The extraction worker reads them beside the extraction (the crawl's own process never
    holds the page as text); :func:`keys_of` turns them into keys once the crawl knows the
    article's URL."""
    head = page[:_HEAD_CHARS]
    end = _HEAD_END.search(head)  # not head.lower(): a copy of 200,000 characters per page
    if end is not None:
        head = head[: end.start()]
    links = []
    for tag in _LINK.findall(head):
        attrs = _attributes(tag)
        if "shortlink" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            links.append(attrs["href"])
    return tuple(links)


def keys_of(links: tuple[str, ...], url: str) -> dict[str, str]:
    """The identity keys of a page's *links* (:func:`shortlinks`), as ``{key: kind}``:
    ``shortlink:URL`` for each, normalized against *url*; never the page's own URL."""
    keys: dict[str, str] = {}
    for href in links:
        try:
            link = urlmod.normalize_url(href, base=url)
        except urlmod.BadURL:
            continue
        if link != url:
            keys[f"shortlink:{link}"] = "shortlink"
    return keys
