"""newsarchive's scraper: fetching, discovery, extraction and scheduling."""

__version__ = "0.1.0"
