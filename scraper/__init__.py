"""newsarchive's scraper: fetching, discovery, extraction and scheduling.

May import: nothing; it is the ground every scraper module may import.
"""

__version__ = "0.1.0"
