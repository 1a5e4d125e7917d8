"""One crawl cycle of one site: discover, pick due articles, fetch, extract, record.

This module is the wiring between the scraper's values and the archive's. It owns no policy of
its own: politeness is the fetcher's, the re-check timing is :mod:`scraper.crawl.policy`'s, the
"is this a new version" decision is the archive's. Time comes from an injected ``now()`` so
tests (and the demo's accelerated clock) control it.

Extraction is CPU work: the commands pass a :class:`scraper.crawl.pool.BoundedProcessPool`
(any ``concurrent.futures`` executor works) so it runs off the event loop, on every core, with a
time and memory bound per page; without one it runs inline, which is fine for tests.

May import: :mod:`archive`, :mod:`scraper.discover`, :mod:`scraper.extract`,
:mod:`scraper.fetch`, :mod:`scraper.config`, the ground (:mod:`scraper.urls`, :mod:`scraper.logs`,
:mod:`scraper.charset`) and its own package.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archive.models import (
    Candidate,
    CaptureIn,
    CheckedArticle,
    ContentIn,
    CrawlCounts,
    PreparedBody,
    PreparedText,
    Recorded,
)
from archive.store import Archive, ArchiveWriteError, NotAnArchive
from scraper import logs
from scraper import urls as urlmod
from scraper.charset import decode_html
from scraper.crawl import identity
from scraper.crawl.budget import PagesInHand, Place
from scraper.crawl.extraction import Prepared, run_prepare
from scraper.crawl.extraction import run_extract as run_extract  # used by reextract, benches
from scraper.crawl.policy import RecheckPolicy, next_check
from scraper.crawl.pool import WorkerError, WorkerTimeout
from scraper.discover import discover_site
from scraper.discover.site import MAX_DOCUMENT_BYTES
from scraper.extract import EXTRACTOR_VERSION, Article, ExtractionError, ExtractRules
from scraper.fetch.client import Fetcher, FetchError, FetchResult

log = logging.getLogger("newsarchive.crawl")

Progress = Callable[[str, dict[str, Any]], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl cycle of one site did."""

    site: str
    crawl_id: int
    started: datetime
    finished: datetime
    counts: CrawlCounts
    source_errors: tuple[tuple[str, str, str], ...] = ()  # (source URL, reason, message)
    status: str = "done"  # done, partial (some sources or articles failed) or failed
    retired: int = 0  # articles past the policy's max_age that this crawl did not re-check

    @property
    def duration(self) -> float:
        return (self.finished - self.started).total_seconds()

    def fields(self) -> dict[str, Any]:
        """The summary as fields, for logs (``key=value`` or JSON)."""
        c = self.counts
        return {
            "site": self.site,
            "status": self.status,
            "discovered": c.discovered,
            "new_articles": c.new_articles,
            "fetched": c.fetched,
            "new_versions": c.new_versions,
            "unchanged": c.unchanged,
            "not_modified": c.not_modified,
            "skipped": c.skipped,
            "errors": c.errors,
            "source_errors": len(self.source_errors),
            "retired": self.retired,
            "duration": round(self.duration, 1),
        }

    def summary(self) -> str:
        fields = self.fields()
        fields["duration"] = f"{fields['duration']:.1f}s"
        return " ".join(f"{k}={v}" for k, v in fields.items())


def crawl_status(*, sources_read: int, source_errors: int, fetched: int, errors: int) -> str:
    """``failed`` when nothing could be reached (every source failed and no article was
    fetched without an error), ``partial`` when some sources or articles failed, else
    ``done``: cron and ``status`` must tell an outage from a quiet news day.

    *errors* are failed fetches (timeouts, refused connections, HTTP errors of articles not
    yet archived); an archived article answering 404 is news (``gone``), not a failure.
    """
    if source_errors and not sources_read and fetched == errors:
        return "failed"
    if source_errors or errors:
        return "partial"
    return "done"


@dataclass
class _Tally:
    counter: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def add(self, recorded: Recorded, reason: str | None) -> None:
        self.counter["fetched"] += 1
        key = _COUNTED.get(recorded.outcome)
        if key:
            self.counter[key] += 1
        if recorded.outcome in ("error", "gone"):
            self.counter["errors"] += 1
        if recorded.outcome == "error":  # a fetch that failed; "gone" is an observation
            self.counter["failures"] += 1
        if reason:
            self.errors[reason] += 1


#: Errors of the archive itself (full disk, read-only or damaged file): every further write
#: would fail the same way, so they end the crawl instead of being recorded per article.
_STORAGE_ERRORS = (ArchiveWriteError, NotAnArchive)

_COUNTED = {
    "new-version": "new_versions",
    "unchanged": "unchanged",
    "not-modified": "not_modified",
    "skipped": "skipped",
}


def is_soft_404(original: str, final: str, listing_pages: Sequence[str] = ()) -> bool:
    """A redirect from an article to the home page or a section page means it was removed."""
    a, b = urlsplit(original), urlsplit(final)
    if a.netloc != b.netloc and b.netloc.removeprefix("www.") != a.netloc.removeprefix("www."):
        return False
    final_path = b.path.rstrip("/")
    if final_path == "" or final in listing_pages:
        return True
    # A parent path of the article ("/world/2026/11/x" -> "/world/") is a section page.
    return a.path.rstrip("/").startswith(final_path + "/") and final_path.count("/") <= 2


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def content_of(article: Article, prepared: PreparedText | None = None) -> ContentIn:
    """The archive's content value of an article (*prepared*: its text prepared already)."""
    return ContentIn(
        title=article.title,
        text=article.text,
        extractor_version=EXTRACTOR_VERSION,
        authors=tuple(article.authors),
        published=article.published,
        modified=article.modified,
        language=article.language,
        description=article.description,
        section=article.section,
        image=article.image,
        tags=tuple(article.tags),
        method=article.method,
        prepared=prepared,
    )


def document_fetch(fetcher: Fetcher) -> Callable[..., Awaitable[FetchResult]]:
    """How discovery fetches feeds and sitemaps: as a stream into the ``sink`` it passes (the
    parser reads the body as it arrives and stops the download at its URL or entry bound), up
    to the sitemap protocol's 50 MB, a longer body cut there (``truncated``), never refused at
    the page cap."""
    return functools.partial(fetcher.fetch, max_bytes=MAX_DOCUMENT_BYTES, truncate=True)


def was_conditional(result: FetchResult) -> bool:
    """Whether the request that got this response sent If-None-Match or If-Modified-Since."""
    return any(
        name.lower() in ("if-none-match", "if-modified-since") for name, _ in result.request_headers
    )


def _encoding_of(result: FetchResult) -> str | None:
    """The encoding of an HTML body: the fetcher's when it decoded the body, else decoded here
    (a same-body re-check, or a page whose extraction worker did not answer) and dropped."""
    if result.encoding is not None or not result.is_html:
        return result.encoding
    return decode_html(result.body, result.content_type)[1]


def capture_of(result: FetchResult, url: str, site: str, crawl_id: int | None, **kw) -> CaptureIn:
    """The archive's record of a completed HTTP exchange."""
    base: dict[str, Any] = dict(
        url=url,
        site=site,
        fetched_at=result.fetched_at,  # the crawl passes its own clock's time instead
        status_code=result.status,
        final_url=result.final_url if result.final_url != result.url else None,
        etag=result.etag,
        last_modified=result.last_modified,
        content_type=result.content_type,
        encoding=result.encoding,
        size=len(result.body),
        elapsed_ms=round(result.elapsed * 1000),
        http_version=result.http_version,
        request_headers=result.request_headers,
        response_headers=result.headers,
        crawl_id=crawl_id,
        requested_url=result.url,
        redirects=result.redirects,
    )
    base.update(kw)
    return CaptureIn(**base)


class ArticleChecker:
    """Fetch one article, extract it and record the outcome; used by crawls and ``archive``."""

    def __init__(
        self,
        archive: Archive,
        fetcher: Fetcher | None,
        *,
        site: str,
        rules: ExtractRules | None = None,
        policy: RecheckPolicy | None = None,
        listing_pages: Sequence[str] = (),
        now: Callable[[], datetime] = utcnow,
        executor: Executor | None = None,
        crawl_id: int | None = None,
        matches: Callable[[str], bool] | None = None,
    ) -> None:
        self.archive = archive
        self.matches = matches
        self.fetcher = fetcher
        self.site = site
        self.rules = rules
        self.policy = policy or RecheckPolicy()
        self.listing_pages = tuple(listing_pages)
        self.now = now
        self.executor = executor
        self.crawl_id = crawl_id

    async def check(self, url: str, place: Place | None = None) -> tuple[Recorded, str | None]:
        """Check *url* once; returns what was recorded and the capture's reason. The page, once
        fetched, counts its size against the *place* it is held in (the crawl's pages in hand)."""
        article = self.archive.find_article(url)
        etag = last_modified = None
        if article is not None:
            url = article["url"]
            if article["version_count"]:  # "not modified" must stand for a version we hold
                etag, last_modified = article["etag"], article["last_modified"]
        if self.fetcher is None:
            raise RuntimeError("this checker records results only (no fetcher)")
        try:
            # The page stays bytes in this process: the extraction worker decodes it.
            result = await self.fetcher.fetch(
                url, etag=etag, last_modified=last_modified, decode=False
            )
        except FetchError as exc:
            logs.event(log, logging.DEBUG, "checked", url=url, outcome="error", reason=exc.reason)
            return self.record_failure(url, exc.reason, str(exc)), exc.reason
        if place is not None:
            place.hold(len(result.body))
        recorded, reason = await self.record_result(url, result)
        logs.event(
            log,
            logging.DEBUG,
            "checked",
            url=url,
            status=result.status,
            outcome=recorded.outcome,
            reason=reason,
            version=recorded.version,
            elapsed=f"{result.elapsed:.3f}s",
        )
        return recorded, reason

    def record_failure(self, url: str, reason: str, message: str) -> Recorded:
        """Record a fetch that produced no HTTP response (robots, timeout, SSRF, ...)."""
        recorded = self._record(
            CaptureIn(
                url=url,
                site=self.site,
                fetched_at=self.now(),
                outcome="skipped" if reason == "robots" else "error",
                reason=reason,
                error=message,
                crawl_id=self.crawl_id,
            )
        )
        return recorded

    async def record_result(self, url: str, result: FetchResult) -> tuple[Recorded, str | None]:
        """Record a completed exchange for *url* as the crawl does (also WARC import's path)."""
        site, crawl_id = self.site, self.crawl_id
        result = replace(result, fetched_at=self.now())  # one clock for the whole archive
        status = result.status
        if status == 304 and not was_conditional(result):
            # Nobody asked "has it changed?": a 304 to a plain GET carries no page, and taking
            # it as "not modified" made never-archived articles live with no version.
            reason = "unsolicited-304"
            return self.archive.record(
                capture_of(
                    result,
                    url,
                    site,
                    crawl_id,
                    outcome="error",
                    reason=reason,
                    error="304 Not Modified to a request that sent no validators",
                )
            ), reason
        if status == 304:
            return self._record(
                capture_of(result, url, site, crawl_id, outcome="not-modified")
            ), None
        if status in (404, 410):
            reason = f"http-{status}"
            return self._record(
                capture_of(result, url, site, crawl_id, outcome="gone", reason=reason)
            ), reason
        if status >= 400 or status < 200 or status in (204, 205):
            reason = f"http-{status}"
            return self._record(
                capture_of(result, url, site, crawl_id, outcome="error", reason=reason)
            ), reason

        try:
            final = urlmod.normalize_url(result.final_url)
        except urlmod.BadURL:
            final = result.final_url
        moved_to = None
        if result.redirects and final != url:
            # Redirected to the front page, a section, or anything that is not an article of
            # the site (a login or subscription page): the article is gone from its URL.
            leaves_site = self.matches is not None and not self.matches(final)
            if leaves_site or is_soft_404(url, final, self.listing_pages):
                return self._record(
                    capture_of(result, url, site, crawl_id, outcome="gone", reason="soft-404")
                ), "soft-404"
            if result.permanent_redirect:
                moved_to = final
        if not result.is_html:
            with self.archive.transaction():
                url = self._move(url, moved_to, result.fetched_at)
                return self._record(
                    capture_of(result, url, site, crawl_id, outcome="not-html", reason="not-html")
                ), "not-html"

        body = self._same_body_as_last(url, result.body)
        if body is not None:
            # The very bytes of the last capture: the same text, no extraction needed.
            with self.archive.transaction():
                url = self._move(url, moved_to, result.fetched_at)
                return self.archive.record(
                    capture_of(
                        result,
                        url,
                        site,
                        crawl_id,
                        outcome="unchanged",
                        raw=result.body,
                        raw_prepared=body,
                        encoding=_encoding_of(result),
                    )
                ), None
        prepared = await self._extract(result.body, result.content_type, final)
        encoding = prepared.encoding or _encoding_of(result)
        extracted = prepared.article
        # Nothing awaits from here on: the move, a canonical merge and the capture are one
        # transaction, so a crash leaves all of them or none.
        with self.archive.transaction():
            url = self._move(url, moved_to, result.fetched_at)
            if isinstance(extracted, ExtractionError):
                # Keep the raw page: a better extractor can re-read it later.
                return self._record(
                    capture_of(
                        result,
                        url,
                        site,
                        crawl_id,
                        outcome="error",
                        reason="extract-failed",
                        error=f"{extracted.reason}: {extracted}",
                        raw=result.body,
                        raw_prepared=prepared.body,
                        encoding=encoding,
                    )
                ), "extract-failed"
            url = self._follow_canonical(
                url, extracted.canonical_url, extracted.text, result.fetched_at
            )
            keys = identity.keys_of(prepared.shortlinks, url)
            url = self.archive.join_by_identity(
                url, site, keys, extracted.title, extracted.text, result.fetched_at
            )
            recorded = self._record(
                capture_of(
                    result,
                    url,
                    site,
                    crawl_id,
                    raw=result.body,
                    raw_prepared=prepared.body,
                    encoding=encoding,
                ),
                content_of(extracted, prepared.text),
            )
            if keys:
                self.archive.add_keys(recorded.article_id, site, keys)
            return recorded, None

    def _same_body_as_last(self, url: str, body: bytes) -> PreparedBody | None:
        """The body's hash when it is the very body of the article's last capture read."""
        article = self.archive.find_article(url)
        if article is None or not article["version_count"]:
            return None
        last = self.archive.last_body_sha256(article["id"])
        if last is None:
            return None
        digest = hashlib.sha256(body).hexdigest()
        return PreparedBody(digest, len(body)) if digest == last else None

    def _move(self, url: str, moved_to: str | None, at: datetime) -> str:
        """Give the article its new URL after a permanent redirect (one history, old URL kept)."""
        if moved_to is None:
            return url
        article = self.archive.find_article(url)
        if article is not None:
            self.archive.rename_article(article["id"], moved_to, kind="redirect", at=at)
        return moved_to

    def _follow_canonical(self, url: str, canonical: str | None, text: str, at: datetime) -> str:
        """Join the article at *url* to the address its page names (``<link rel=canonical>``,
        else ``og:url``): an alias merged, or a move (:meth:`Archive.join_by_canonical`).

        The rule against false joins: the named address must be an article page of the same
        site, so never its home, a listing page or a URL outside the site's article rules (a
        site that points every page at its home or a section names no article); an ancestor
        of the page's own path (``/world/`` for ``/world/2026/story/``, or the article of an
        AMP page ``/story/amp/``) only when the archive already holds it as an article; and
        two archived articles only when their texts tell the same story.
        """
        if not canonical:
            return url
        try:
            canonical = urlmod.normalize_url(canonical, base=url)
        except urlmod.BadURL:
            return url
        if canonical == url or urlmod.host_of(canonical) != urlmod.host_of(url):
            return url
        path = urlsplit(canonical).path
        if path.strip("/") == "" or canonical in self.listing_pages:
            return url
        if self.matches is not None and not self.matches(canonical):
            return url
        own = urlsplit(url).path
        ancestor = own != path and own.startswith(path.rstrip("/") + "/")
        return self.archive.join_by_canonical(url, canonical, text, at, known_only=ancestor)

    async def _extract(self, body: bytes, content_type: str | None, url: str) -> Prepared:
        """The page decoded, extracted and prepared for the archive, in the executor when there
        is one (only the bytes go to the worker: it decodes them)."""
        rules = self.archive.boilerplate
        if self.executor is None:
            return run_prepare(body, content_type, url, self.rules, rules)
        loop = asyncio.get_running_loop()
        failed: ExtractionError
        try:
            return await loop.run_in_executor(
                self.executor, run_prepare, body, content_type, url, self.rules, rules
            )
        except WorkerTimeout as exc:
            failed = ExtractionError("timeout", f"extraction stopped: {exc}")
        except MemoryError as exc:
            failed = ExtractionError("too-much-memory", f"extraction stopped: {exc}")
        except WorkerError as exc:
            failed = ExtractionError("internal", f"extraction stopped: {exc}")
        return Prepared(failed, None, None)

    def _record(self, capture: CaptureIn, content: ContentIn | None = None) -> Recorded:
        """Record one check; the article's next check is set in the same transaction."""
        return self.archive.record(capture, content, schedule=self._next_check)

    def _next_check(self, article: CheckedArticle) -> datetime | None:
        """The re-check policy's answer for the article as this check left it."""
        now = article.checked_at
        born = _parse_time(article.published) or _parse_time(article.first_seen) or now
        return next_check(
            self.policy,
            born=born,
            now=now,
            unchanged_streak=article.unchanged_streak,
            last_checked=now,
        )


#: Seconds between the crawl's checks that the archive's open batch of writes is not too old.
BATCH_TIMER = 0.1


@contextlib.asynccontextmanager
async def batched_writes(archive: Archive) -> AsyncIterator[None]:
    """The archive's writes grouped into batches (:meth:`archive.store.Archive.batched_writes`)
    for as long as the block runs, with the timer that commits a batch once it is old enough
    even when no write comes to do it (a slow site, a crawl waiting on its last fetches)."""

    async def commit_when_due() -> None:
        while True:
            await asyncio.sleep(BATCH_TIMER)
            try:
                archive.commit_batch(only_if_due=True)
            except _STORAGE_ERRORS:
                return  # the next write meets the same error and ends the crawl

    with archive.batched_writes():
        timer = asyncio.create_task(commit_when_due())
        try:
            yield
        finally:
            timer.cancel()


async def crawl_site(
    site: Any,
    archive: Archive,
    fetcher: Fetcher,
    *,
    now: Callable[[], datetime] = utcnow,
    check_all: bool = False,
    include_retired: bool = False,
    max_articles: int | None = None,
    concurrency: int = 16,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> CrawlReport:
    """Run one crawl cycle of *site* (a :class:`scraper.config.Site`) and record everything.

    Its writes are batched (:func:`batched_writes`): a kill loses at most the open batch,
    whose articles are still due and fetched again by the next crawl.
    """
    async with batched_writes(archive):
        return await _crawl_site(
            site,
            archive,
            fetcher,
            now=now,
            check_all=check_all,
            include_retired=include_retired,
            max_articles=max_articles,
            concurrency=concurrency,
            executor=executor,
            progress=progress,
        )


async def _crawl_site(
    site: Any,
    archive: Archive,
    fetcher: Fetcher,
    *,
    now: Callable[[], datetime],
    check_all: bool,
    include_retired: bool,
    max_articles: int | None,
    concurrency: int,
    executor: Executor | None,
    progress: Progress | None,
) -> CrawlReport:
    started = now()
    crawl_id = archive.start_crawl(site.name, started)
    tally = _Tally()
    source_errors: list[tuple[str, str, str]] = []
    status = "done"
    retired = 0
    storage_failed = False
    try:
        robots_sitemaps: list[str] = []
        if site.use_robots_sitemaps:
            for source in _article_host_sources(site):
                try:
                    robots_sitemaps += await fetcher.sitemaps_from_robots(source)
                except FetchError as exc:
                    source_errors.append((source, exc.reason, str(exc)))
        validators: dict[str, tuple[str | None, str | None]] = {}

        def conditional(fetch: Callable[..., Awaitable[FetchResult]]):
            async def fetch_source(url: str, **kw: Any) -> FetchResult:
                """A conditional GET with the validators the source last answered with."""
                etag, last_modified = archive.source_validators(url)
                result = await fetch(url, etag=etag, last_modified=last_modified, **kw)
                if result.status == 200 and (result.etag or result.last_modified):
                    validators[url] = (result.etag, result.last_modified)
                return result

            return fetch_source

        report = await discover_site(
            site,
            conditional(fetcher.fetch),
            fetch_document=conditional(document_fetch(fetcher)),
            robots_sitemaps=robots_sitemaps,
        )
        source_errors.extend((e.url, e.reason, e.message) for e in report.errors)
        for _source, reason, _message in source_errors:
            tally.errors[f"source-{reason}"] += 1
        tally.counter["discovered"] = len(report.found)
        new_ids = archive.add_candidates(
            [
                Candidate(d.url, site.name, d.title, d.published, d.modified, d.guid)
                for d in report.found
            ],
            now(),
        )
        tally.counter["new_articles"] = len(new_ids)
        if validators:  # once the sources' articles are in: a 304 next time loses nothing
            archive.set_source_validators(validators, now())
        if progress:
            progress(
                "discovered", {"site": site.name, "found": len(report.found), "new": len(new_ids)}
            )

        if check_all:
            due = archive.live_articles(site.name)
        else:
            due = archive.due_articles(site.name, now(), limit=max_articles)
        retired_rows = archive.retired_articles(site.name)
        if include_retired:
            due = [*due, *retired_rows]
        else:
            retired = len(retired_rows)
        checker = ArticleChecker(
            archive,
            fetcher,
            site=site.name,
            rules=site.rules,
            policy=site.policy,
            listing_pages=site.listing_pages,
            now=now,
            executor=executor,
            crawl_id=crawl_id,
            matches=site.matches,
        )
        # Only the URLs are kept: the rows of every due article of a big site are megabytes.
        urls = [a["url"] for a in due]
        del due, retired_rows
        await _check_all(checker, urls, tally, concurrency, progress, _pages_in_hand(fetcher))
        status = crawl_status(
            sources_read=report.fetched,
            source_errors=len(source_errors),
            fetched=tally.counter.get("fetched", 0),
            errors=tally.counter.get("failures", 0),
        )
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except _STORAGE_ERRORS as exc:  # the archive cannot take writes: no traceback, the reason
        status = "failed"
        storage_failed = True
        logs.event(log, logging.ERROR, "crawl failed", site=site.name, error=str(exc))
        raise
    except Exception:
        status = "failed"
        logs.event(log, logging.ERROR, "crawl failed", site=site.name, exc_info=True)
        raise
    finally:
        counts = CrawlCounts(
            **{
                k: tally.counter.get(k, 0)
                for k in (
                    "discovered",
                    "new_articles",
                    "fetched",
                    "new_versions",
                    "unchanged",
                    "not_modified",
                    "skipped",
                    "errors",
                )
            },
            errors_by_kind=dict(tally.errors),
        )
        finished = now()
        try:
            if storage_failed:
                # The error may have rolled back the open batch of writes with it: the figures
                # are the captures that are there, the sources' errors as counted.
                stored = archive.crawl_counts(crawl_id)
                counts = replace(
                    stored,
                    discovered=counts.discovered,
                    new_articles=counts.new_articles,
                    errors_by_kind={
                        **{
                            k: n
                            for k, n in counts.errors_by_kind.items()
                            if k.startswith("source-")
                        },
                        **stored.errors_by_kind,
                    },
                )
            archive.finish_crawl(crawl_id, finished, counts, status=status)
        except _STORAGE_ERRORS as exc:
            if status in ("done", "partial"):
                raise
            # The crawl's own error is the one to report; the row is closed as "interrupted"
            # by the next writer (Archive.close_interrupted_crawls).
            log.error("cannot close crawl %s: %s", crawl_id, exc)
    return CrawlReport(
        site.name,
        crawl_id,
        started,
        finished,
        counts,
        tuple(source_errors),
        status=status,
        retired=retired,
    )


def _article_host_sources(site: Any) -> list[str]:
    """One source URL per host whose robots.txt may announce article sitemaps.

    Listing pages and sitemaps live on the articles' host; feeds often on a feed host
    (feeds.example.com) whose robots.txt says nothing about articles, so they count only
    when there is nothing else.
    """
    candidates = [*site.listing_pages, *site.sitemaps] or list(site.feeds)
    by_host: dict[str, str] = {}
    for url in candidates:
        by_host.setdefault(urlmod.host_of(url), url)
    return list(by_host.values())


#: The pages in hand of all the crawls of one fetcher (one process), by fetcher.
_IN_HAND: weakref.WeakKeyDictionary[Fetcher, PagesInHand] = weakref.WeakKeyDictionary()


def _pages_in_hand(fetcher: Fetcher) -> PagesInHand:
    """The bound on pages held in memory by every crawl sharing *fetcher*.

    The fetcher bounds requests in flight (``global_concurrency``), but a fetched page is then
    held until its extraction and record are done: with many sites crawled at once, fetching
    would run ahead of the extraction workers and pile pages up. A check takes one of
    ``global_concurrency`` places before its fetch and gives it back once recorded, and the
    places are bounded by the bytes of their pages too (:mod:`scraper.crawl.budget`), so the
    crawl's memory stays flat however many sites and articles there are, and however large
    the pages that come together.
    """
    pages = _IN_HAND.get(fetcher)
    if pages is None:
        pages = _IN_HAND[fetcher] = PagesInHand(fetcher.settings.global_concurrency)
    return pages


async def _check_all(
    checker: ArticleChecker,
    urls: Sequence[str],
    tally: _Tally,
    concurrency: int,
    progress: Progress | None,
    in_hand: PagesInHand | None = None,
) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    total = len(urls)
    done = 0

    async def worker() -> None:
        nonlocal done
        while True:
            try:
                url = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                if in_hand is None:
                    recorded, reason = await checker.check(url)
                else:
                    async with in_hand.place() as place:
                        recorded, reason = await checker.check(url, place)
            except (asyncio.CancelledError, KeyboardInterrupt, *_STORAGE_ERRORS):
                raise  # an archive that cannot be written stops the crawl, not one article
            except Exception as exc:  # a bug must not stop the other articles' checks
                log.exception("article check failed url=%s", url)
                recorded, reason = checker.record_failure(url, "internal", repr(exc)), "internal"
            tally.add(recorded, reason)
            done += 1
            if progress:
                progress(
                    "checked",
                    {
                        "url": url,
                        "outcome": recorded.outcome,
                        "done": done,
                        "total": total,
                        "reason": reason,
                    },
                )

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, total)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
