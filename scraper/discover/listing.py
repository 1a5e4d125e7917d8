"""Listing pages: the article links of a section page (selectolax), filtered by the site's rules.

May import: :mod:`scraper.discover.models`, :mod:`scraper.urls`, :mod:`scraper.config` (types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from scraper.discover.models import Discovered, clean_title, url_or_none
from scraper.urls import host_of, normalize_url

if TYPE_CHECKING:
    from scraper.config import Site

# --- listing pages ------------------------------------------------------------------------------


def parse_listing(html: str, base_url: str, site: Site) -> list[Discovered]:
    """Links of a section page on the page's own host that pass the site's include/exclude.

    The page itself and the site's root are never candidates. Order is page order.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    page_url = normalize_url(base_url)
    page_host = host_of(page_url)
    tree = LexborHTMLParser(html)
    base = page_url
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        base = url_or_none(base_tag.attributes.get("href"), page_url) or page_url
    seen: set[str] = {page_url}
    found = []
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = url_or_none(href, base)
        if url is None or url in seen:
            continue
        seen.add(url)
        if host_of(url) != page_host or urlsplit(url).path == "/":
            continue
        if not site.matches(url):
            continue
        found.append(Discovered(url=url, source="listing", title=clean_title(anchor.text())))
    return found


# --- the orchestrator ---------------------------------------------------------------------------
