"""Crawling: one crawl cycle of a site, the re-check policy, the scheduler, the service, the lock.

May import: :mod:`scraper.config`, :mod:`scraper.urls`, :mod:`scraper.logs`,
:mod:`scraper.discover`, :mod:`scraper.fetch`, :mod:`scraper.extract`, :mod:`archive`.
"""
