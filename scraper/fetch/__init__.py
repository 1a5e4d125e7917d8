"""Fetching pages over HTTP, safely and politely.

- :mod:`~scraper.fetch.client`: the :class:`Fetcher` (politeness, bounded decoding, deadline,
  retries, redirects by hand) and its typed errors
- :mod:`~scraper.fetch.netguard`: the SSRF guard inside the connection backend
- :mod:`~scraper.fetch.connections`: the connection pool with a cheap bookkeeping pass
- :mod:`~scraper.fetch.robots`: robots.txt through protego, cached per origin
- :mod:`~scraper.fetch.sniff`: WHATWG MIME sniffing (is this response an HTML page?)

May import: :mod:`scraper.config`, :mod:`scraper.charset`, :mod:`scraper.urls`, its own modules.
"""
