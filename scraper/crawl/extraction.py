"""Extraction as a job for the worker pool: picklable, exception-free, light to import.

Kept apart from :mod:`scraper.crawl.cycle` so a worker process imports only the extractor
(about a third of the crawl's import time), and starts that much sooner.

May import: :mod:`scraper.extract`.
"""

from __future__ import annotations

import logging

from scraper import logs
from scraper.extract import Article, ExtractionError, ExtractRules, extract

log = logging.getLogger("newsarchive.crawl")


def run_extract(text: str, url: str, rules: ExtractRules | None) -> Article | ExtractionError:
    """Extraction as a picklable, exception-free call, for process pools.

    An unexpected exception (an extractor bug a page triggers) is an ``ExtractionError`` too,
    so the capture keeps the raw page and the page can be extracted again once it is fixed.
    """
    try:
        return extract(text, url, rules)
    except ExtractionError as exc:
        return exc
    except MemoryError:  # the worker's memory bound (scraper.crawl.pool)
        return ExtractionError("too-much-memory", "extraction ran out of its memory bound")
    except Exception as exc:
        logs.event(log, logging.ERROR, "extractor failed", url=url, exc_info=True)
        return ExtractionError("internal", f"extractor failed: {type(exc).__name__}: {exc}")
