"""The long-running service behind ``newsarchive run``: scheduled crawls and a clean stop.

One APScheduler 3.x job per site, built from the site's ``schedule`` (``every`` or ``cron``, with
``jitter``). A job is allowed one running instance (a slow crawl is never doubled), missed runs
are coalesced into one (after a laptop sleeps, one catch-up crawl, not twelve), and a run that
fires late is still taken within a misfire grace of about one interval.

Everything happens on one asyncio event loop: the scheduler's jobs are coroutines, so the
crawls of different sites overlap at their network awaits while every ``Archive.record`` (a
synchronous, single-transaction call) runs to completion on the loop thread before another
starts. That is what keeps one writer without a write lock of our own; SQLite's connection
refuses use from another thread, so a mistake there fails loudly instead of interleaving.

A stop (SIGINT/SIGTERM, the caller's ``stop`` event, or ``max_crawls`` reached) is graceful:
no new crawl starts, the crawls in flight get ``grace`` seconds to finish, then are cancelled.
A cancelled crawl loses only the fetch it was awaiting: each capture is recorded in one
transaction, so the archive holds whole captures only. Then the fetcher and the archive are
closed and the archive lock is released. A second signal skips the grace.

Time: the scheduler runs on the real clock (with ``interval_override`` the demo runs the jobs
every few real seconds); crawls get ``now``, which the demo accelerates.

May import: :mod:`archive`, :mod:`scraper.fetch`, :mod:`scraper.config`, :mod:`scraper.logs`
and its own package.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from archive.store import ArchiveReplaced
from scraper import logs
from scraper.config import Config, Schedule, ScheduleError, cron_trigger
from scraper.crawl.lock import ArchiveLock

__all__ = [
    "DEFAULT_GRACE",
    "CrawlOutcome",
    "ScheduleError",
    "ServiceSummary",
    "build_scheduler",
    "cron_trigger",
    "misfire_grace_seconds",
    "next_runs",
    "run_service",
    "trigger_for",
]

logger = logging.getLogger("newsarchive.run")

#: Seconds the crawls in flight get to finish after a stop before they are cancelled.
DEFAULT_GRACE = 5.0
#: Seconds to wait for cancelled crawls to unwind before closing anyway.
_CANCEL_WAIT = 3.0
#: A cron schedule has no single interval: runs later than this are dropped as missed.
_CRON_MISFIRE_GRACE = 300
#: Longest misfire grace for an interval job: beyond an hour the next run is as good.
_MAX_MISFIRE_GRACE = 3600


# --- triggers ------------------------------------------------------------------------------------


def _seconds(value: timedelta | None) -> float:
    return value.total_seconds() if value else 0.0


def trigger_for(
    schedule: Schedule,
    *,
    interval_override: timedelta | None = None,
    jitter: bool = True,
) -> BaseTrigger:
    """The APScheduler trigger of a site's schedule.

    With *interval_override* every site runs on that interval (the demo's accelerated clock);
    an interval site's jitter shrinks in proportion, so the demo keeps the spread of real runs.
    """
    jitter_s = _seconds(schedule.jitter) if jitter else 0.0
    if interval_override is not None:
        seconds = _seconds(interval_override)
        if seconds <= 0:
            raise ScheduleError(f"interval override must be positive, got {interval_override}")
        every = _seconds(schedule.every)
        scaled = jitter_s * seconds / every if every else 0.0
        return IntervalTrigger(
            seconds=seconds, timezone=UTC, jitter=min(scaled, seconds / 2) or None
        )
    if schedule.cron:
        return cron_trigger(schedule.cron, jitter=jitter_s or None)
    every = _seconds(schedule.every)
    if every <= 0:
        raise ScheduleError("a schedule needs a positive 'every' or a 'cron' expression")
    return IntervalTrigger(seconds=every, timezone=UTC, jitter=jitter_s or None)


def misfire_grace_seconds(schedule: Schedule, *, interval_override: timedelta | None = None) -> int:
    """How late a run may still start: about one interval (a later one would overlap the next)."""
    if interval_override is not None:
        return max(1, round(_seconds(interval_override)))
    if schedule.cron:
        return _CRON_MISFIRE_GRACE
    return max(1, min(_MAX_MISFIRE_GRACE, round(_seconds(schedule.every))))


def _job_for(run_site: Callable[[Any], Awaitable[object]], site: Any) -> Callable[[], Any]:
    # The job must be a coroutine function: APScheduler's asyncio executor runs anything else
    # in a thread pool, and the archive must only be written from the loop thread.
    async def crawl_job() -> object:
        result = run_site(site)
        if inspect.isawaitable(result):
            return await result
        return result

    crawl_job.__name__ = crawl_job.__qualname__ = f"crawl_{site.name}"
    return crawl_job


def build_scheduler(
    config: Config,
    run_site: Callable[[Any], Awaitable[object]],
    *,
    interval_override: timedelta | None = None,
) -> AsyncIOScheduler:
    """An (unstarted) scheduler with one job per site; each site's first run is due at once."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    start = datetime.now(UTC)
    for site in config.sites:
        scheduler.add_job(
            _job_for(run_site, site),
            trigger=trigger_for(site.schedule, interval_override=interval_override),
            id=site.name,
            name=f"crawl {site.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=misfire_grace_seconds(
                site.schedule, interval_override=interval_override
            ),
            next_run_time=start,
        )
    return scheduler


def next_runs(
    config: Config,
    now: datetime,
    *,
    last_started: Mapping[str, datetime] | None = None,
) -> list[tuple[str, datetime]]:
    """When each site's next crawl is due, in config order (for ``newsarchive status``).

    Computed from the triggers without a scheduler, and without jitter (a run may start up to
    the site's jitter later). A site never crawled is due at *now* (``run`` starts every site at
    once); with *last_started* (site -> start of its last crawl, from the ``crawls`` table) an
    interval site is due one interval after its last start, a cron site at its next cron time.
    A time already past is reported as *now*: the site is overdue.
    """
    if now.tzinfo is None:
        raise ValueError("next_runs needs an aware datetime")
    last_started = last_started or {}
    result: list[tuple[str, datetime]] = []
    for site in config.sites:
        last = last_started.get(site.name)
        if last is None:
            due = now
        else:
            trigger = trigger_for(site.schedule, jitter=False)
            if isinstance(trigger, IntervalTrigger):
                due = last + trigger.interval
            else:
                due = trigger.get_next_fire_time(None, max(now, last)) or now
        result.append((site.name, max(due, now).astimezone(UTC)))
    return result


# --- the service ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlOutcome:
    """One crawl the service ran: ``done``, ``failed`` (raised) or ``cancelled`` (at stop).

    Times here are the real clock's, even when crawls get an accelerated ``now``.
    """

    site: str
    status: str
    started: datetime
    duration: float  # seconds
    report: object | None = None
    error: str | None = None


@dataclass(frozen=True)
class ServiceSummary:
    """What a ``run`` did, from start to stop (real clock)."""

    started: datetime
    finished: datetime
    stopped_by: str  # "SIGTERM", "SIGINT", "max-crawls", "stop-event" or "no-sites"
    crawls: tuple[CrawlOutcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.crawls if c.status == status)

    @property
    def ok(self) -> bool:
        """True when no crawl failed (a cancelled crawl is part of a normal stop)."""
        return self.count("failed") == 0

    def __str__(self) -> str:
        return self.line()

    def fields(self) -> dict[str, object]:
        seconds = (self.finished - self.started).total_seconds()
        return {
            "stopped_by": self.stopped_by,
            "crawls": len(self.crawls),
            "done": self.count("done"),
            "failed": self.count("failed"),
            "cancelled": self.count("cancelled"),
            "uptime": f"{seconds:.1f}s",
        }

    def line(self) -> str:
        """The service's closing log line, ``key=value`` like every other."""
        return logs.event_line("service stopped", self.fields())


#: The figures of a crawl report that the per-crawl log line shows, in order.
_FIGURES = ("discovered", "fetched", "new_versions", "unchanged", "not_modified", "errors")


def _figure(report: object, name: str) -> object | None:
    for source in (report, getattr(report, "counts", None)):
        if source is not None and hasattr(source, name):
            return getattr(source, name)
    return None


def crawl_fields(
    site: str, status: str, duration: float, report: object | None
) -> dict[str, object]:
    """One crawl's summary as fields (the ``run`` log's one event per crawl)."""
    if status == "done" and report is not None:
        status = getattr(report, "status", status)  # done, partial or failed
    fields: dict[str, object] = {"site": site, "status": status}
    if report is not None:
        crawl_id = getattr(report, "crawl_id", None)
        if crawl_id is not None:
            fields["crawl_id"] = crawl_id
        for name in _FIGURES:
            value = _figure(report, name)
            if value is not None:
                fields[name] = value
        retired = getattr(report, "retired", 0)
        if isinstance(retired, int) and retired > 0:  # quiet while there is nothing to say
            fields["retired"] = retired
    fields["duration"] = f"{duration:.2f}s"
    return fields


def crawl_line(site: str, status: str, duration: float, report: object | None) -> str:
    """One crawl's summary as ``key=value`` pairs (the ``run`` log's one line per crawl)."""
    return logs.event_line("crawl", crawl_fields(site, status, duration, report))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Service:
    """The state of one ``run``: in-flight crawl tasks, counters, the stop reason."""

    def __init__(
        self,
        config: Config,
        crawl: Callable[..., Awaitable[object]],
        now: Callable[[], datetime],
        stop: asyncio.Event,
        max_crawls: int | None,
        log: logging.Logger,
    ) -> None:
        self.config = config
        self.archive: Any = None  # opened by run_service once the lock is held
        self.fetcher: Any = None
        self.crawl = crawl
        self.now = now
        self.stop = stop
        self.hurry = asyncio.Event()
        self.max_crawls = max_crawls
        self.log = log
        self.stopping = False
        self.stopped_by: str | None = None
        self.started = 0
        self.ended = 0
        self.inflight: set[asyncio.Task[None]] = set()
        self.outcomes: list[CrawlOutcome] = []
        self.retired: dict[str, int] = {}  # site -> retired articles last said in the log
        self.fatal: ArchiveReplaced | None = None  # ends the service; run_service raises it
        settings = getattr(config, "crawl", None)
        self.crawl_options = {
            "max_articles": getattr(settings, "max_articles_per_run", None),
            "concurrency": getattr(settings, "global_concurrency", 16),
        }

    def request_stop(self, reason: str) -> None:
        if self.stopped_by is None:
            self.stopped_by = reason
        self.stop.set()

    def on_signal(self, name: str) -> None:
        if self.stop.is_set():
            self.log.info("received %s again: cancelling the crawls in flight", name)
            self.hurry.set()
        else:
            self.log.info("received %s: stopping (send it again to stop at once)", name)
        self.request_stop(name)

    async def run_site(self, site: Any) -> None:
        """The scheduler's job: start a crawl unless stopping or at ``max_crawls``."""
        if self.stopping or self.stop.is_set():
            return
        if self.max_crawls is not None and self.started >= self.max_crawls:
            return
        self.started += 1
        task = asyncio.create_task(self._crawl(site), name=f"crawl {site.name}")
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        try:
            # Shielded: shutting the scheduler down cancels its jobs, but a crawl in flight
            # gets the grace period, which stop_crawls manages.
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self.stopping:
                task.cancel()
                raise

    async def _crawl(self, site: Any) -> None:
        started_at = _utcnow()
        t0 = time.monotonic()
        status, report, error, failure = "failed", None, None, None
        try:
            check_file = getattr(self.archive, "check_file", None)
            if check_file is not None:
                check_file()  # the file is still the one opened (else ArchiveReplaced)
            report = await self.crawl(
                site, self.archive, self.fetcher, now=self.now, **self.crawl_options
            )
            status = "done"
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except ArchiveReplaced as exc:  # every later write would go astray: stop the service
            error = str(exc)
            if self.fatal is None:
                self.fatal = exc
            logs.event(self.log, logging.ERROR, "crawl stopped", site=site.name, error=str(exc))
            self.request_stop("archive-replaced")
        except Exception as exc:  # one site's failure must not stop the service
            error, failure = f"{type(exc).__name__}: {exc}", exc
        finally:
            duration = time.monotonic() - t0
            self.outcomes.append(
                CrawlOutcome(site.name, status, started_at, duration, report, error)
            )
            fields = crawl_fields(site.name, status, duration, report)
            if failure is not None:
                logs.event(
                    self.log, logging.ERROR, "crawl", exc_info=failure, **fields, error=error
                )
            else:
                logs.event(self.log, logging.INFO, "crawl", **fields)
            self._say_retired(site, report)
            self.ended += 1
            if self.max_crawls is not None and self.ended >= self.max_crawls:
                self.request_stop("max-crawls")

    def _say_retired(self, site: Any, report: object | None) -> None:
        """Say once (and again whenever the figure changes) how many retired articles the
        site's crawls leave out and how to re-check them; each crawl line carries the figure."""
        retired = getattr(report, "retired", None)
        if not isinstance(retired, int) or self.retired.get(site.name, 0) == retired:
            return
        self.retired[site.name] = retired
        if retired:
            policy = getattr(site, "policy", None)
            max_age = getattr(policy, "max_age", None)
            logs.event(
                self.log,
                logging.INFO,
                "retired articles not re-checked",
                site=site.name,
                retired=retired,
                max_age=f"{max_age.days}d" if max_age is not None else "-",
                hint="newsarchive crawl --retired re-checks them",
            )

    async def stop_crawls(self, grace: float) -> None:
        """Let the crawls in flight finish within *grace* seconds, then cancel the rest."""
        pending = set(self.inflight)
        if not pending:
            return
        names = ",".join(sorted(t.get_name().removeprefix("crawl ") for t in pending))
        logs.event(
            self.log,
            logging.INFO,
            "waiting for crawls to finish",
            grace=f"{grace:.1f}s",
            crawls=len(pending),
            sites=names,
        )
        deadline = time.monotonic() + grace
        hurry = asyncio.create_task(self.hurry.wait())
        try:
            while pending and not self.hurry.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                await asyncio.wait(
                    pending | {hurry}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                pending = {t for t in pending if not t.done()}
        finally:
            hurry.cancel()
        if not pending:
            return
        self.log.info("cancelling %d crawl(s) still running", len(pending))
        for task in pending:
            task.cancel()
        _, stuck = await asyncio.wait(pending, timeout=_CANCEL_WAIT)
        if stuck:
            self.log.warning("%d crawl(s) did not stop after cancellation", len(stuck))


def _default_archive(config: Config) -> Callable[[], Any]:
    def open_archive() -> Any:
        from archive.store import Archive

        return Archive(config.db_path)

    return open_archive


def _default_fetcher(config: Config) -> Callable[[], Any]:
    def open_fetcher() -> Any:
        from scraper.fetch.client import Fetcher

        return Fetcher(config.crawl.fetch_settings())

    return open_fetcher


def _install_signals(
    loop: asyncio.AbstractEventLoop, handler: Callable[[str], None], log: logging.Logger
) -> Callable[[], None]:
    """SIGINT/SIGTERM set the stop event; returns the function that puts things back."""
    installed: list[tuple[signal.Signals, Any]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        try:
            loop.add_signal_handler(sig, handler, sig.name)
        except (NotImplementedError, RuntimeError, ValueError) as exc:
            # Not the main thread (or no signals here): the caller's stop event still works.
            log.debug("cannot handle %s here: %s", sig.name, exc)
            continue
        installed.append((sig, previous))

    def restore() -> None:
        for sig, previous in installed:
            loop.remove_signal_handler(sig)
            if previous is not None:
                with contextlib.suppress(ValueError, TypeError, OSError):
                    signal.signal(sig, previous)

    return restore


async def run_service(
    config: Config,
    *,
    archive_factory: Callable[[], Any] | None = None,
    fetcher_factory: Callable[[], Any] | None = None,
    crawl: Callable[..., Awaitable[object]] | None = None,
    now: Callable[[], datetime] = _utcnow,
    stop: asyncio.Event | None = None,
    max_crawls: int | None = None,
    interval_override: timedelta | None = None,
    grace: float = DEFAULT_GRACE,
    lock_wait: float | None = None,
    log: logging.Logger = logger,
    executor: Any = None,
) -> ServiceSummary:
    """Crawl every site on its schedule until stopped; return what was done.

    Takes the archive lock first (:class:`scraper.crawl.lock.ArchiveBusy` when another ``run`` or
    ``crawl`` holds it; *lock_wait* seconds to wait for it, None to refuse at once), then opens
    ONE archive (``archive_factory()``, default ``Archive(config.db_path)``) and ONE fetcher
    (``fetcher_factory()``, an async context manager, default ``Fetcher`` with the config's
    settings), shared by every site so the per-host politeness holds across overlapping crawls.
    ``crawl(site, archive, fetcher, now=, max_articles=, concurrency=)`` is one crawl cycle
    (default :func:`scraper.crawl.cycle.crawl_site`), with the ``[crawl]`` settings' per-run cap;
    *executor*, when given, is passed on as ``executor=`` (where extraction runs).

    Stops on SIGINT/SIGTERM (handlers installed while running, when on the main thread), when
    *stop* is set, or once *max_crawls* crawls have ended; see the module docstring.
    """
    if max_crawls is not None and max_crawls < 0:
        raise ValueError(f"max_crawls must be >= 0, got {max_crawls}")
    if grace < 0:
        raise ValueError(f"grace must be >= 0 seconds, got {grace}")
    if crawl is None:
        from scraper.crawl.cycle import crawl_site

        crawl = crawl_site
    archive_factory = archive_factory or _default_archive(config)
    fetcher_factory = fetcher_factory or _default_fetcher(config)
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    started = _utcnow()

    service = _Service(config, crawl, now, stop, max_crawls, log)
    if executor is not None:  # where extraction runs (a scraper.crawl.pool.BoundedProcessPool)
        service.crawl_options["executor"] = executor
    lock = ArchiveLock(config.db_path, command="run")
    await lock.acquire_async(lock_wait)
    restore_signals: Callable[[], None] | None = None
    try:
        # Handlers first, so a signal while opening or closing still means "stop cleanly".
        restore_signals = _install_signals(loop, service.on_signal, log)
        async with contextlib.AsyncExitStack() as stack:
            service.archive = archive_factory()
            stack.callback(service.archive.close)
            service.fetcher = await stack.enter_async_context(fetcher_factory())
            scheduler = build_scheduler(
                config, service.run_site, interval_override=interval_override
            )
            logs.event(
                log,
                logging.INFO,
                "service started",
                db=str(config.db_path),
                sites=",".join(site.name for site in config.sites) or "-",
                pid=os.getpid(),
            )
            if max_crawls == 0 or not config.sites:
                service.request_stop("max-crawls" if max_crawls == 0 else "no-sites")
            else:
                scheduler.start()
            requests = None
            if hasattr(service.archive, "pending_requests"):
                from scraper.crawl.requests import serve_requests

                requests = asyncio.create_task(serve_requests(service, stop), name="requests")
            try:
                await stop.wait()
            finally:
                if requests is not None:
                    requests.cancel()
                    await asyncio.gather(requests, return_exceptions=True)
                service.stopping = True
                if service.stopped_by is None:
                    service.stopped_by = "stop-event"
                if scheduler.running:
                    scheduler.shutdown(wait=False)
                    await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop turn
                await service.stop_crawls(grace)
            summary = ServiceSummary(
                started=started,
                finished=_utcnow(),
                stopped_by=service.stopped_by,
                crawls=tuple(service.outcomes),
            )
            logs.event(log, logging.INFO, "service stopped", **summary.fields())
            if service.fatal is not None:
                raise service.fatal
            return summary
    finally:
        if restore_signals is not None:
            restore_signals()
        lock.release()
