"""Discovering article URLs: feeds, sitemaps and listing pages (parsing is pure, over bytes).

``models`` holds the values and errors; ``feeds``, ``sitemaps`` and ``listing`` are pure parsers
(bytes or text in, :class:`Discovered` values out, never the network; feeds and sitemaps also
as incremental readers fed a body as it arrives); ``site`` runs them all for one site through
the ``fetch`` callable it is given.

May import: :mod:`scraper.config`, :mod:`scraper.urls`, its own modules.
"""

from scraper.discover.feeds import FeedReader, parse_feed
from scraper.discover.listing import parse_listing
from scraper.discover.models import (
    Discovered,
    DiscoveryError,
    DiscoveryReport,
    Feed,
    FetchLike,
    Sitemap,
    SitemapRef,
    SourceError,
)
from scraper.discover.site import discover_site
from scraper.discover.sitemaps import SitemapReader, parse_sitemap, sitemaps_from_robots

__all__ = [
    "Discovered",
    "DiscoveryError",
    "DiscoveryReport",
    "Feed",
    "FeedReader",
    "FetchLike",
    "Sitemap",
    "SitemapReader",
    "SitemapRef",
    "SourceError",
    "discover_site",
    "parse_feed",
    "parse_listing",
    "parse_sitemap",
    "sitemaps_from_robots",
]
