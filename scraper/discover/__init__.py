"""Discovering article URLs: feeds, sitemaps and listing pages (parsing is pure, over bytes).

May import: :mod:`scraper.config`, :mod:`scraper.urls`, its own modules.
"""
