"""``newsarchive reextract``: the current extractor over every stored page, history rebuilt.

The orchestration lives here because it needs the extractor (``archive`` never imports
``scraper``); the reads, the plan and the one-transaction write per article are
:mod:`archive.rebuild`'s. Pages are extracted in a process pool (both cores), a bounded number
of articles in flight so memory stays flat; the parent process is the only writer and applies
each article's plan as its readings come back, in article order.

A run records its progress in the archive (``reextract_runs``, ``reextract_done``): killed, the
next run with the same scope and extractor version continues with the articles not yet done.
``--dry-run`` computes the same plans and writes nothing.

May import: :mod:`archive`, :mod:`scraper.config`, :mod:`scraper.charset`,
:mod:`scraper.extract`, :mod:`scraper.crawl.cycle`.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archive.rebuild import Page, Reading
from archive.store import Archive
from scraper.charset import decode_html
from scraper.config import ExtractRules
from scraper.crawl.cycle import content_of, run_extract
from scraper.extract import EXTRACTOR_VERSION, ExtractionError

Progress = Callable[[str, dict[str, Any]], None]
RulesFor = Callable[[str], ExtractRules | None]


@dataclass(frozen=True)
class Job:
    """One page to extract, as sent to a worker process."""

    capture_id: int
    raw: bytes
    content_type: str | None
    url: str


def read_pages(jobs: Sequence[Job], rules: ExtractRules | None) -> list[Reading]:
    """Extract each page (in a worker process): a picklable, exception-free call."""
    readings = []
    for job in jobs:
        try:
            text, _encoding = decode_html(job.raw, job.content_type)
        except Exception as exc:  # undecodable bytes: the capture is an extraction failure
            readings.append(Reading(job.capture_id, None, f"decoding: {exc}"))
            continue
        result = run_extract(text, job.url, rules)
        if isinstance(result, ExtractionError):
            readings.append(Reading(job.capture_id, None, f"{result.reason}: {result}"))
        else:
            readings.append(Reading(job.capture_id, content_of(result)))
    return readings


def _exit_with(parent: int) -> None:
    """In a worker: exit when the parent process is gone (killed), instead of waiting forever."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@dataclass(frozen=True)
class Example:
    """One changed article, for the report."""

    article_id: int
    url: str
    before: int  # versions
    after: int
    added: tuple[str, ...]  # captured_at of versions added
    removed: tuple[str, ...]


@dataclass(frozen=True)
class ReextractReport:
    run_id: int | None  # None for a dry run
    resumed: bool
    extractor_version: str
    articles: int  # in scope
    already_done: int  # by the interrupted run this one resumed
    processed: int
    changed: int
    versions_added: int
    versions_removed: int
    failed_pages: int
    examples: tuple[Example, ...]
    dry_run: bool


def reextract(
    archive: Archive,
    *,
    rules_for: RulesFor = lambda site: None,
    site: str | None = None,
    since: datetime | None = None,
    article: int | None = None,
    dry_run: bool = False,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_examples: int = 5,
) -> ReextractReport:
    """Re-extract the articles in scope and rebuild their versions (see the module doc)."""
    ids = archive.reextract_article_ids(site=site, since=since, article=article)
    run = None
    todo = ids
    if not dry_run:
        run = archive.start_reextract(
            EXTRACTOR_VERSION, site=site, since=since, article=article, total=len(ids), now=now()
        )
        todo = [i for i in ids if i not in run.done]
    if progress:
        progress(
            "start",
            {
                "total": len(ids),
                "todo": len(todo),
                "resumed": bool(run and run.resumed),
                "run": run.id if run else None,
            },
        )
    own_pool = None
    if executor is None:
        # forkserver, not fork: a forked worker would inherit the archive lock's descriptor
        # and keep the archive locked after its parent was killed.
        own_pool = executor = ProcessPoolExecutor(
            max_workers=workers or min(2, os.cpu_count() or 1),
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_exit_with,
            initargs=(os.getpid(),),
        )
    counts = {"processed": 0, "changed": 0, "added": 0, "removed": 0, "failed": 0}
    examples: list[Example] = []
    try:
        for article_id, pages, readings in _readings(archive, todo, since, executor, rules_for):
            stored_count = archive.article(article_id)["version_count"]
            if dry_run:
                plan = archive.plan_rebuild(article_id, pages, readings, since)
            else:
                assert run is not None
                plan = archive.rebuild_article(article_id, pages, readings, run.id, since)
            counts["processed"] += 1
            counts["failed"] += sum(1 for r in plan.readings if r.content is None)
            if plan.changed:
                counts["changed"] += 1
                counts["added"] += len(plan.added)
                counts["removed"] += len(plan.removed)
                if len(examples) < max_examples:
                    examples.append(
                        Example(
                            article_id=plan.article_id,
                            url=archive.article(plan.article_id)["url"],
                            before=stored_count,
                            after=plan.kept + len(plan.versions),
                            added=tuple(v.captured_at for v in plan.added),
                            removed=tuple(v["captured_at"] for v in plan.removed),
                        )
                    )
            if progress:
                progress(
                    "article",
                    {
                        "done": counts["processed"] + (len(ids) - len(todo)),
                        "total": len(ids),
                        "article_id": plan.article_id,
                        "changed": plan.changed,
                        "pages": len(pages),
                    },
                )
    finally:
        if own_pool is not None:
            own_pool.shutdown(cancel_futures=True)
    if run is not None:
        archive.finish_reextract(run.id, now())
    return ReextractReport(
        run_id=run.id if run else None,
        resumed=bool(run and run.resumed),
        extractor_version=EXTRACTOR_VERSION,
        articles=len(ids),
        already_done=len(ids) - len(todo),
        processed=counts["processed"],
        changed=counts["changed"],
        versions_added=counts["added"],
        versions_removed=counts["removed"],
        failed_pages=counts["failed"],
        examples=tuple(examples),
        dry_run=dry_run,
    )


def _readings(
    archive: Archive,
    ids: Sequence[int],
    since: datetime | None,
    executor: Executor,
    rules_for: RulesFor,
) -> Iterator[tuple[int, list[Page], list[Reading]]]:
    """Each article's pages and readings, in article order, a bounded window in flight."""
    window = 4
    pending: deque[tuple[int, list[Page], Future[list[Reading]]]] = deque()
    queue = iter(ids)

    def submit() -> bool:
        for article_id in queue:
            pages = archive.reextract_pages(article_id, since)
            jobs = [
                Job(p.capture_id, archive.raw_page(p.raw_page_id), p.content_type, p.url)
                for p in pages
            ]
            rules = rules_for(archive.article(article_id)["site"])
            pending.append((article_id, pages, executor.submit(read_pages, jobs, rules)))
            return True
        return False

    while len(pending) < window and submit():
        pass
    while pending:
        article_id, pages, future = pending.popleft()
        readings = future.result()
        submit()
        yield article_id, pages, readings
