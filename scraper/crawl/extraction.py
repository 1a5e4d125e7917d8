"""Extraction as a job for the worker pool: picklable, exception-free, light to import.

Kept apart from :mod:`scraper.crawl.cycle` so a worker process imports only the extractor and
the archive's pure preparation (about a third of the crawl's import time), and starts that much
sooner. :func:`run_prepare` takes the page as the fetched bytes and decodes it in the worker, so
the crawl's process never holds a page's text (a ``str`` is often two to four times the size of
its bytes: one non-Latin-1 character makes every character two or four bytes wide), and sends
one copy of the page, not two, through the pipe. It also computes, in the worker, what the
archive's one writer would otherwise compute for every page (:mod:`archive.prepare`: normalized
text, hashes, block fingerprints, the body's zstd keyframe) and the page's identity links, so
the writer is left with the writing.

May import: :mod:`scraper.extract`, :mod:`scraper.charset`, :mod:`scraper.crawl.identity`,
:mod:`archive.prepare`, :mod:`archive.boilerplate`, :mod:`archive.models`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from archive.boilerplate import BoilerplateRules
from archive.models import PreparedBody, PreparedText
from archive.prepare import prepare_body, prepare_text
from scraper import logs
from scraper.charset import decode_html
from scraper.crawl.identity import shortlinks
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


@dataclass(frozen=True)
class Prepared:
    """One page extracted, with what the archive's writer needs from it.

    ``text`` is None when extraction failed; ``body`` is None only when preparing it failed
    (the writer then hashes and compresses the body itself). ``encoding`` is the one the page
    was decoded with (None when the worker did not answer), ``shortlinks`` the page's
    identity links (:func:`scraper.crawl.identity.shortlinks`).
    """

    article: Article | ExtractionError
    text: PreparedText | None
    body: PreparedBody | None
    encoding: str | None = None
    shortlinks: tuple[str, ...] = ()


def run_prepare(
    body: bytes,
    content_type: str | None,
    url: str,
    rules: ExtractRules | None,
    boilerplate: BoilerplateRules,
) -> Prepared:
    """The fetched *body* decoded (as the fetcher would: :func:`scraper.charset.decode_html`),
    :func:`run_extract` of it, then :mod:`archive.prepare` of its text and of the *body*."""
    prepared_text = prepared_body = None
    encoding = None
    links: tuple[str, ...] = ()
    try:
        text, encoding = decode_html(body, content_type)
        article = run_extract(text, url, rules)
        links = shortlinks(text)
        del text  # the largest value here: gone before the work that follows
    except MemoryError:
        return Prepared(
            ExtractionError("too-much-memory", "decoding ran out of its memory bound"),
            None,
            None,
            encoding,
        )
    try:
        if isinstance(article, Article):
            prepared_text = prepare_text(article.title, article.text, boilerplate)
        prepared_body = prepare_body(body)
    except MemoryError:  # the writer computes them itself then
        pass
    return Prepared(article, prepared_text, prepared_body, encoding, links)
