"""Crawls as the commands run them: the lock, one archive, one fetcher, progress on screen.

``crawl_once`` is one cycle of some sites (``newsarchive crawl``); ``run_forever`` is the
scheduled service (``newsarchive run``); ``archive_urls`` checks given URLs now (``newsarchive
archive``). All hold the archive lock so that two writers never meet, open the archive through
:func:`open_for_writing` (so crawls a killed writer left ``running`` are closed), and share one
:class:`~scraper.fetch.client.Fetcher` so that per-host politeness holds across concurrent
crawls.

May import: :mod:`scraper.crawl`, :mod:`scraper.fetch`, :mod:`scraper.config`,
:mod:`scraper.urls`, :mod:`archive`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.boilerplate import BoilerplateRules
from archive.models import Recorded
from archive.store import Archive
from scraper import logs
from scraper import urls as urlmod
from scraper.config import Config, CrawlSettings, Site
from scraper.crawl.cycle import ArticleChecker, CrawlReport, Progress, crawl_site, utcnow
from scraper.crawl.lock import ArchiveLock
from scraper.crawl.memory import release_freed_pages
from scraper.crawl.pool import BoundedProcessPool
from scraper.fetch.client import Fetcher

log = logging.getLogger("newsarchive.crawl")


class PlainProgress:
    """Periodic progress lines for logs and pipes (no terminal)."""

    def __init__(self, stream=sys.stderr, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self._last = time.monotonic()

    def __call__(self, kind: str, info: dict[str, Any]) -> None:
        if kind == "discovered":
            print(
                f"{info['site']}: discovered {info['found']} URLs, {info['new']} new",
                file=self.stream,
                flush=True,
            )
            return
        now = time.monotonic()
        if info.get("done") == info.get("total") or now - self._last >= self.every:
            self._last = now
            print(
                f"checked {info['done']}/{info['total']} (last: {info['outcome']} {info['url']})",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        pass


class TerminalProgress:
    """One live status line on a terminal: a bar and a count per site, redrawn in place.

    Written by hand rather than with a progress library: one line of ANSI is all it takes, and
    the popular one (rich) makes Datasette print a full traceback for every 404 when installed.
    """

    WIDTH = 20

    def __init__(self, sites: Sequence[Site], stream=sys.stderr) -> None:
        self.stream = stream
        self.state: dict[str, tuple[int, int | None]] = {s.name: (0, None) for s in sites}

    def for_site(self, name: str) -> Progress:
        def update(kind: str, info: dict[str, Any]) -> None:
            if kind == "discovered":
                self.state[name] = (0, None)
            else:
                self.state[name] = (info["done"], info["total"])
            self._draw()

        return update

    def _draw(self) -> None:
        parts = []
        for name, (done, total) in self.state.items():
            if total is None:
                parts.append(f"{name}: discovering")
                continue
            filled = self.WIDTH * done // total if total else self.WIDTH
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            parts.append(f"{name} {bar} {done}/{total}")
        self.stream.write("\r\x1b[K" + "   ".join(parts))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def extraction_pool() -> BoundedProcessPool:
    """Where the commands extract: one bounded worker per core, off the event loop.

    A page can cost its worker at most ``DEFAULT_TIMEOUT`` seconds and ``DEFAULT_MEMORY_LIMIT``
    bytes; the crawl records it as ``extract-failed`` (``timeout``, ``too-much-memory``) and
    goes on with the other articles while the worker is replaced. The crawl process's
    allocator is tuned first (:func:`scraper.crawl.memory.release_freed_pages`, before the
    pool's threads exist), so its memory stays flat over a long crawl.
    """
    release_freed_pages()
    return BoundedProcessPool()


def boilerplate_rules(config: Config | None) -> BoilerplateRules:
    """The archive's site boilerplate learning settings from ``[archive]`` (defaults without)."""
    if config is None:
        return BoilerplateRules()
    return BoilerplateRules(config.boilerplate_articles, config.boilerplate_max_words)


def open_for_writing(db_path: Path, config: Config | None = None) -> Archive:
    """The archive, for the lock holder: crawls a killed process left ``running`` are closed.

    Only call it while holding the archive lock (no other crawl can be running then).
    """
    archive = Archive(db_path, boilerplate=boilerplate_rules(config))
    try:
        stale = archive.close_interrupted_crawls()
    except BaseException:
        archive.close()
        raise
    if stale:
        logs.event(
            log,
            logging.WARNING,
            f"closed {len(stale)} crawl(s) left running by a stopped process",
            ids=",".join(map(str, stale)),
        )
    return archive


async def crawl_once(
    config: Config,
    db_path: Path,
    sites: Sequence[Site],
    *,
    check_all: bool = False,
    include_retired: bool = False,
    wait: float = 60.0,
    progress: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> list[CrawlReport]:
    """One crawl cycle of each of *sites*, concurrently; returns their reports.

    SIGTERM ends it the way Ctrl-C does: the crawls are cancelled (recorded ``cancelled``) and
    :class:`CrawlInterrupted` says which signal it was.
    """
    lock = ArchiveLock(db_path, command="crawl")
    await lock.acquire_async(wait)
    restore = _cancel_on_sigterm()
    display: Any = TerminalProgress(sites) if progress else PlainProgress()
    try:
        with open_for_writing(db_path, config) as archive, extraction_pool() as pool:
            async with Fetcher(config.crawl.fetch_settings()) as fetcher:
                jobs = [
                    crawl_site(
                        site,
                        archive,
                        fetcher,
                        now=now,
                        check_all=check_all,
                        include_retired=include_retired,
                        max_articles=None if check_all else config.crawl.max_articles_per_run,
                        concurrency=config.crawl.global_concurrency,
                        executor=pool,
                        progress=display.for_site(site.name) if progress else display,
                    )
                    for site in sites
                ]
                reports = await asyncio.gather(*jobs)
    except asyncio.CancelledError:
        if restore.received:
            raise CrawlInterrupted("SIGTERM") from None
        raise
    finally:
        restore()
        display.close()
        lock.release()
    for report in reports:
        logs.event(log, logging.INFO, "crawl finished", **report.fields())
    return list(reports)


class CrawlInterrupted(Exception):
    """A crawl was stopped by a signal (its crawls are recorded ``cancelled``)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"crawl stopped by {signal_name}")
        self.signal_name = signal_name


class _SigtermRestore:
    """Undo of :func:`_cancel_on_sigterm`; ``received`` tells whether SIGTERM came."""

    def __init__(self) -> None:
        self.received = False
        self.undo: Callable[[], None] = lambda: None

    def __call__(self) -> None:
        self.undo()


def _cancel_on_sigterm() -> _SigtermRestore:
    """Cancel the current task on SIGTERM (the main thread's event loop only)."""
    import signal
    import threading

    restore = _SigtermRestore()
    task = asyncio.current_task()
    if task is None or threading.current_thread() is not threading.main_thread():
        return restore
    loop = asyncio.get_running_loop()

    def on_sigterm() -> None:
        restore.received = True
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):
        return restore

    def undo() -> None:
        loop.remove_signal_handler(signal.SIGTERM)

    restore.undo = undo
    return restore


async def run_forever(config: Config, *, max_crawls: int | None = None, grace: float = 5.0) -> Any:
    """``newsarchive run``: the scheduler until SIGINT/SIGTERM (or *max_crawls* crawls)."""
    from scraper.crawl.schedule import run_service

    with extraction_pool() as pool:
        return await run_service(
            config,
            archive_factory=lambda: open_for_writing(config.db_path, config),
            fetcher_factory=lambda: Fetcher(config.crawl.fetch_settings()),
            max_crawls=max_crawls,
            grace=grace,
            executor=pool,
        )


@dataclass(frozen=True)
class ArchivedURL:
    """What ``newsarchive archive`` did with one URL."""

    url: str
    recorded: Recorded
    reason: str | None  # the capture's reason (http-404, robots, not-html...), None when fine


async def archive_urls(
    config: Config | None,
    db_path: Path,
    urls: Sequence[str],
    *,
    site: str | None = None,
    wait: float = 60.0,
    now: Callable[[], datetime] = utcnow,
) -> list[ArchivedURL]:
    """Check each of *urls* (normalized) once now, under the lock, one after the other.

    Each URL is recorded under *site*, else under the configured site that claims it (whose
    extraction rules and re-check policy then apply), else under its host.
    """
    settings = config.crawl if config is not None else CrawlSettings()
    lock = ArchiveLock(db_path, command="archive")
    await lock.acquire_async(wait)
    out: list[ArchivedURL] = []
    try:
        with open_for_writing(db_path, config) as archive, extraction_pool() as pool:
            async with Fetcher(settings.fetch_settings()) as fetcher:
                for url in urls:
                    configured = config.site_for(url) if config and site is None else None
                    checker = ArticleChecker(
                        archive,
                        fetcher,
                        site=site or (configured.name if configured else urlmod.host_of(url)),
                        rules=configured.rules if configured else None,
                        policy=configured.policy if configured else None,
                        now=now,
                        executor=pool,
                    )
                    recorded, reason = await checker.check(url)
                    out.append(ArchivedURL(url, recorded, reason))
    finally:
        lock.release()
    return out
