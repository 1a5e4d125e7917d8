"""The scheduler, the service loop and its graceful stop."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from loopback import LoopbackServer

from scraper.config import Config, Schedule, parse_config
from scraper.crawl.lock import ArchiveBusy, ArchiveLock, read_holder
from scraper.crawl.schedule import (
    ScheduleError,
    ServiceSummary,
    build_scheduler,
    crawl_line,
    cron_trigger,
    misfire_grace_seconds,
    next_runs,
    run_service,
    trigger_for,
)


def make_config(db_path: Path, *schedules: dict[str, str]) -> Config:
    sites = [
        {"name": f"site{i}", "feeds": [f"http://127.0.0.1:9/{i}/feed.xml"], "schedule": s}
        for i, s in enumerate(schedules)
    ]
    return parse_config({"archive": {"db": str(db_path)}, "sites": sites})


async def no_crawl(site: Any) -> None:
    return None


# --- jobs built from the configuration -----------------------------------------------------------


def test_one_job_per_site_with_the_configured_triggers(db_path: Path) -> None:
    config = make_config(
        db_path,
        {"every": "30m", "jitter": "1m"},
        {"cron": "*/15 * * * *"},
        {"every": "2h"},
    )
    before = datetime.now(UTC)
    scheduler = build_scheduler(config, no_crawl)
    jobs = scheduler.get_jobs()
    assert [job.id for job in jobs] == ["site0", "site1", "site2"]
    for job in jobs:
        assert job.max_instances == 1
        assert job.coalesce is True
        # The first run of every site is due at once.
        assert before <= job.next_run_time <= datetime.now(UTC)
        # A coroutine function: the asyncio executor runs it on the loop, not in a thread.
        assert inspect.iscoroutinefunction(job.func)

    first, second, third = (job.trigger for job in jobs)
    assert isinstance(first, IntervalTrigger)
    assert first.interval == timedelta(minutes=30)
    assert first.jitter == 60
    assert jobs[0].misfire_grace_time == 1800
    assert isinstance(second, CronTrigger)
    assert second.jitter is None
    assert jobs[1].misfire_grace_time == 300
    assert isinstance(third, IntervalTrigger)
    assert third.interval == timedelta(hours=2)
    assert third.jitter is None
    assert jobs[2].misfire_grace_time == 3600  # capped: a later run would be the next one anyway

    at = datetime(2026, 11, 26, 1, 7, 30, tzinfo=UTC)
    assert second.get_next_fire_time(None, at) == datetime(2026, 11, 26, 1, 15, tzinfo=UTC)


def test_interval_override_runs_every_site_on_the_demo_clock(db_path: Path) -> None:
    config = make_config(db_path, {"every": "30m", "jitter": "3m"}, {"cron": "0 6 * * *"})
    scheduler = build_scheduler(config, no_crawl, interval_override=timedelta(seconds=2))
    jobs = scheduler.get_jobs()
    assert all(isinstance(job.trigger, IntervalTrigger) for job in jobs)
    assert [job.trigger.interval for job in jobs] == [timedelta(seconds=2)] * 2
    assert jobs[0].trigger.jitter == pytest.approx(0.2)  # 3m of 30m, scaled to 2s
    assert jobs[1].trigger.jitter is None
    assert [job.misfire_grace_time for job in jobs] == [2, 2]


def test_a_bad_override_or_schedule_is_a_schedule_error() -> None:
    with pytest.raises(ScheduleError, match="positive"):
        trigger_for(Schedule(), interval_override=timedelta(0))
    with pytest.raises(ScheduleError, match="positive 'every'"):
        trigger_for(Schedule(every=None, cron=None))
    with pytest.raises(ScheduleError, match="5 fields"):
        cron_trigger("* * *")
    with pytest.raises(ScheduleError, match="cron expression"):
        cron_trigger("61 * * * *")
    with pytest.raises(ScheduleError, match="out of range"):
        cron_trigger("0 6 * * 8")


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        # 2026-11-22 is a Sunday. Crontab numbers weekdays from Sunday = 0 (7 too).
        ("1-5", [23, 24, 25, 26, 27]),
        ("0", [22]),
        ("7", [22]),
        ("6,0", [22, 28]),
        ("*/2", [22, 24, 26, 28]),
        ("1-5/2", [23, 25, 27]),
        ("mon-fri", [23, 24, 25, 26, 27]),
        ("*", [22, 23, 24, 25, 26, 27, 28]),
    ],
)
def test_cron_weekdays_mean_what_crontab_means(weekdays: str, expected: list[int]) -> None:
    trigger = cron_trigger(f"0 6 * * {weekdays}")
    at = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    days = []
    fire = trigger.get_next_fire_time(None, at)
    while fire is not None and fire < datetime(2026, 11, 29, tzinfo=UTC):
        assert (fire.hour, fire.minute) == (6, 0)
        days.append(fire.day)
        fire = trigger.get_next_fire_time(fire, fire)
    assert days == expected


def test_misfire_grace_follows_the_interval() -> None:
    assert misfire_grace_seconds(Schedule(every=timedelta(minutes=5))) == 300
    assert misfire_grace_seconds(Schedule(every=timedelta(days=1))) == 3600
    assert misfire_grace_seconds(Schedule(), interval_override=timedelta(seconds=0.2)) == 1


def test_next_runs_from_the_triggers(db_path: Path) -> None:
    config = make_config(
        db_path, {"every": "30m", "jitter": "5m"}, {"cron": "0 6 * * 1-5"}, {"every": "1h"}
    )
    now = datetime(2026, 11, 26, 1, 15, tzinfo=UTC)  # a Thursday
    # Never crawled: everything is due as soon as the service starts.
    assert next_runs(config, now) == [("site0", now), ("site1", now), ("site2", now)]
    last = {
        "site0": now - timedelta(minutes=10),
        "site1": now - timedelta(hours=2),
        "site2": now - timedelta(hours=3),
    }
    assert next_runs(config, now, last_started=last) == [
        ("site0", now + timedelta(minutes=20)),  # jitter left out: it is random
        ("site1", datetime(2026, 11, 26, 6, 0, tzinfo=UTC)),
        ("site2", now),  # overdue
    ]
    with pytest.raises(ValueError, match="aware"):
        next_runs(config, datetime(2026, 11, 26))


def test_crawl_line_is_key_value() -> None:
    class Counts:
        discovered, fetched, new_versions, unchanged, not_modified, errors = 5, 4, 1, 2, 1, 0

    class Report:
        crawl_id = 7
        counts = Counts()

    line = crawl_line("bbc", "done", 1.234, Report())
    assert line == (
        "crawl site=bbc status=done crawl_id=7 discovered=5 fetched=4 new_versions=1 "
        "unchanged=2 not_modified=1 errors=0 duration=1.23s"
    )
    assert crawl_line("bbc", "cancelled", 0.5, None) == (
        "crawl site=bbc status=cancelled duration=0.50s"
    )


# --- the service -----------------------------------------------------------------------------------


class FakeArchive:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class FakeFetcher:
    def __init__(self) -> None:
        self.entered = self.exited = False

    async def __aenter__(self) -> FakeFetcher:
        self.entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.exited = True


class Report:
    def __init__(self, site: str, n: int) -> None:
        self.site = site
        self.crawl_id = n
        self.fetched = n
        self.new_versions = 1
        self.unchanged = n - 1
        self.errors = 0


class Recorder:
    """A fake crawl: records calls and overlap, sleeps *delay* seconds per crawl."""

    def __init__(self, delay: float = 0.0, fail_sites: tuple[str, ...] = ()) -> None:
        self.delay = delay
        self.fail_sites = fail_sites
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.running: dict[str, int] = {}
        self.max_same_site = 0
        self.max_overall = 0
        self.first_started = asyncio.Event()
        self.archives: set[int] = set()
        self.fetchers: set[int] = set()

    async def __call__(self, site: Any, archive: Any, fetcher: Any, **kw: Any) -> Report:
        self.calls.append((site.name, kw))
        self.archives.add(id(archive))
        self.fetchers.add(id(fetcher))
        self.running[site.name] = self.running.get(site.name, 0) + 1
        self.max_same_site = max(self.max_same_site, self.running[site.name])
        self.max_overall = max(self.max_overall, sum(self.running.values()))
        self.first_started.set()
        try:
            await asyncio.sleep(self.delay)
            if site.name in self.fail_sites:
                raise RuntimeError("parser exploded")
            return Report(site.name, len(self.calls))
        finally:
            self.running[site.name] -= 1


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, ListHandler]]:
    logger = logging.getLogger("test.schedule.service")
    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def safe_sigterm() -> Iterator[Any]:
    """A stray SIGTERM must not kill the test run; and the service must put this back."""

    def ignore(signum: int, frame: object) -> None:
        return None

    previous = signal.signal(signal.SIGTERM, ignore)
    try:
        yield ignore
    finally:
        signal.signal(signal.SIGTERM, previous)


def sigterm_soon(delay: float = 0.2) -> threading.Timer:
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


async def test_service_stops_after_max_crawls_and_cleans_up(
    db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    logger, handler = log
    config = make_config(db_path, {"every": "30m"}, {"every": "30m"})
    archive, fetcher = FakeArchive(), FakeFetcher()
    holders = []

    async def crawl(site: Any, arch: Any, fetch: Any, **kw: Any) -> Report:
        holders.append(read_holder(db_path))
        return await recorder(site, arch, fetch, **kw)

    recorder = Recorder(delay=0.01)
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=lambda: archive,
            fetcher_factory=lambda: fetcher,
            crawl=crawl,
            max_crawls=4,
            interval_override=timedelta(seconds=0.2),
            log=logger,
        ),
        timeout=20,
    )
    assert isinstance(summary, ServiceSummary)
    assert summary.stopped_by == "max-crawls"
    assert len(summary.crawls) == 4
    assert summary.count("done") == 4 and summary.ok
    assert {c.site for c in summary.crawls} == {"site0", "site1"}
    # Each crawl saw the one archive and the one fetcher, with the [crawl] per-run cap.
    assert len(recorder.archives) == 1 and len(recorder.fetchers) == 1
    assert recorder.calls[0][1]["max_articles"] == config.crawl.max_articles_per_run
    assert callable(recorder.calls[0][1]["now"])
    # The lock was ours while crawling and is free now; archive and fetcher are closed.
    assert all(h is not None and h.pid == os.getpid() and h.command == "run" for h in holders)
    assert read_holder(db_path) is None
    assert archive.closed and fetcher.entered and fetcher.exited
    crawl_lines = [line for line in handler.lines if line.startswith("crawl site=")]
    assert len(crawl_lines) == 4
    assert all("status=done" in line and "fetched=" in line for line in crawl_lines)
    assert all("new_versions=1" in line and "duration=" in line for line in crawl_lines)
    assert handler.lines[-1].startswith("service stopped stopped_by=max-crawls crawls=4 done=4")
    assert str(summary) == summary.line()


async def test_sigterm_stops_the_service_within_seconds(
    db_path: Path, log: tuple[logging.Logger, ListHandler], safe_sigterm: Any
) -> None:
    logger, handler = log
    config = make_config(db_path, {"every": "30m"}, {"every": "1h"})
    recorder = Recorder(delay=0.02)
    archive, fetcher = FakeArchive(), FakeFetcher()
    timer = sigterm_soon(0.6)  # handlers are installed long before: the first run is immediate
    started = time.monotonic()
    try:
        summary = await asyncio.wait_for(
            run_service(
                config,
                archive_factory=lambda: archive,
                fetcher_factory=lambda: fetcher,
                crawl=recorder,
                interval_override=timedelta(seconds=0.1),
                log=logger,
            ),
            timeout=20,
        )
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert summary.stopped_by == "SIGTERM"
    assert summary.count("failed") == 0
    assert summary.count("done") >= 4  # both sites ran several times in 0.6 s
    assert {c.site for c in summary.crawls} == {"site0", "site1"}
    assert recorder.max_same_site == 1
    assert archive.closed and fetcher.exited
    assert read_holder(db_path) is None
    assert any(line.startswith("received SIGTERM") for line in handler.lines)
    # Our SIGTERM handler is back in place.
    assert signal.getsignal(signal.SIGTERM) is safe_sigterm


async def test_in_flight_crawls_finish_within_the_grace(
    db_path: Path, log: tuple[logging.Logger, ListHandler], safe_sigterm: Any
) -> None:
    logger, _ = log
    config = make_config(db_path, {"every": "30m"})
    recorder = Recorder(delay=0.8)
    archive = FakeArchive()

    async def stop_when_started() -> None:
        await recorder.first_started.wait()
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = asyncio.create_task(stop_when_started())
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=lambda: archive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            grace=5,
            log=logger,
        ),
        timeout=20,
    )
    await stopper
    assert summary.stopped_by == "SIGTERM"
    assert [c.status for c in summary.crawls] == ["done"]
    assert summary.crawls[0].duration >= 0.7
    assert archive.closed


async def test_crawls_past_the_grace_are_cancelled(
    db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    logger, handler = log
    config = make_config(db_path, {"every": "30m"}, {"every": "30m"})
    recorder = Recorder(delay=60)
    archive = FakeArchive()
    stop = asyncio.Event()

    async def stop_when_started() -> None:
        await recorder.first_started.wait()
        await asyncio.sleep(0.05)
        stop.set()

    stopper = asyncio.create_task(stop_when_started())
    started = time.monotonic()
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=lambda: archive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            stop=stop,
            grace=0.3,
            log=logger,
        ),
        timeout=20,
    )
    await stopper
    assert time.monotonic() - started < 3
    assert summary.stopped_by == "stop-event"
    assert sorted(c.status for c in summary.crawls) == ["cancelled", "cancelled"]
    assert summary.ok  # cancelling at a stop is not a failure
    assert archive.closed
    assert any(line.startswith("cancelling 2 crawl(s)") for line in handler.lines)
    assert sum("status=cancelled" in line for line in handler.lines) == 2


async def test_a_second_signal_skips_the_grace(
    db_path: Path, log: tuple[logging.Logger, ListHandler], safe_sigterm: Any
) -> None:
    logger, _ = log
    config = make_config(db_path, {"every": "30m"})
    recorder = Recorder(delay=60)

    async def signal_twice() -> None:
        await recorder.first_started.wait()
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)

    signaller = asyncio.create_task(signal_twice())
    started = time.monotonic()
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            grace=30,
            log=logger,
        ),
        timeout=20,
    )
    await signaller
    assert time.monotonic() - started < 5
    assert [c.status for c in summary.crawls] == ["cancelled"]


async def test_one_instance_per_site_while_sites_overlap(
    db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    logger, _ = log
    config = make_config(db_path, {"every": "30m"}, {"every": "30m"})
    # Each crawl takes three intervals: without max_instances=1 a site would run 3 at once.
    recorder = Recorder(delay=0.3)
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            max_crawls=4,
            interval_override=timedelta(seconds=0.1),
            log=logger,
        ),
        timeout=20,
    )
    assert summary.count("done") == 4
    assert recorder.max_same_site == 1
    assert recorder.max_overall == 2  # the two sites crawl at the same time


async def test_a_failing_crawl_is_logged_and_the_service_goes_on(
    db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    logger, handler = log
    config = make_config(db_path, {"every": "30m"}, {"every": "30m"})
    recorder = Recorder(delay=0.01, fail_sites=("site0",))
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            max_crawls=6,
            interval_override=timedelta(seconds=0.1),
            log=logger,
        ),
        timeout=20,
    )
    assert summary.count("failed") >= 1
    assert summary.count("done") >= 1
    assert not summary.ok
    failed = next(c for c in summary.crawls if c.status == "failed")
    assert failed.site == "site0"
    assert failed.error == "RuntimeError: parser exploded"
    assert any("status=failed" in line and "parser exploded" in line for line in handler.lines)


async def test_a_second_run_on_the_same_archive_is_refused(db_path: Path) -> None:
    config = make_config(db_path, {"every": "30m"})
    opened = []
    with (
        ArchiveLock(db_path, command="run"),
        pytest.raises(ArchiveBusy, match="in use by newsarchive run"),
    ):
        await run_service(
            config,
            archive_factory=lambda: opened.append(1) or FakeArchive(),
            fetcher_factory=FakeFetcher,
            crawl=Recorder(),
        )
    assert opened == []  # refused before touching the archive


async def test_run_waits_for_the_lock_when_asked(db_path: Path) -> None:
    config = make_config(db_path, {"every": "30m"})
    lock = ArchiveLock(db_path, command="crawl").acquire()
    asyncio.get_running_loop().call_later(0.3, lock.release)
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=Recorder(),
            max_crawls=1,
            lock_wait=10,
        ),
        timeout=20,
    )
    assert summary.count("done") == 1


async def test_a_failure_to_open_releases_the_lock(db_path: Path) -> None:
    config = make_config(db_path, {"every": "30m"})

    def broken() -> Any:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await run_service(config, archive_factory=broken, fetcher_factory=FakeFetcher)
    assert read_holder(db_path) is None


async def test_max_crawls_zero_and_bad_arguments(db_path: Path) -> None:
    config = make_config(db_path, {"every": "30m"})
    recorder = Recorder()
    summary = await run_service(
        config,
        archive_factory=FakeArchive,
        fetcher_factory=FakeFetcher,
        crawl=recorder,
        max_crawls=0,
    )
    assert summary.crawls == () and recorder.calls == []
    with pytest.raises(ValueError, match="max_crawls"):
        await run_service(config, crawl=recorder, max_crawls=-1)
    with pytest.raises(ValueError, match="grace"):
        await run_service(config, crawl=recorder, grace=-1)


# --- the real crawl, a real archive, a local site -------------------------------------------------


class NewsServer(LoopbackServer):
    """A local news site whose article pages take *delay* seconds (``slow`` ones: until closed).

    It counts concurrent requests, so the test can check per-host politeness across sites.
    """

    def __init__(self, delay: float = 0.05) -> None:
        from http.server import BaseHTTPRequestHandler

        self.delay = delay
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                with server.lock:
                    server.requests.append(self.path)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    status, ctype, body = server.page(self.path)
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on the slow page: that is the test
                finally:
                    with server.lock:
                        server.active -= 1

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def page(self, path: str) -> tuple[int, str, bytes]:
        if path.endswith("/feed.xml"):
            section = path.split("/")[1]
            names = ["fast-1", "fast-2", "slow-1"] if section == "mixed" else ["1", "2", "3"]
            items = "".join(
                f"<item><title>{n}</title><link>{self.base}/news/{section}-{n}/</link></item>"
                for n in names
            )
            rss = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
            return 200, "application/rss+xml", rss.encode()
        if path.startswith("/news/"):
            if "slow" in path:
                self.release.wait(10)
            else:
                time.sleep(self.delay)
            name = path.strip("/").split("/")[-1]
            paragraphs = "".join(
                f"<p>Paragraph {i} of the story {name}, long enough to be the article text of a "
                f"news page with several sentences. The council met again on day {i}.</p>"
                for i in range(6)
            )
            page = (
                f"<!doctype html><html><head><title>{name}</title></head><body><main><article>"
                f"<h1>Story {name}</h1>{paragraphs}</article></main></body></html>"
            )
            return 200, "text/html; charset=utf-8", page.encode()
        return 404, "text/plain", b"not found"

    def close(self) -> None:
        self.release.set()
        super().close()


@pytest.fixture
def news_server() -> Iterator[NewsServer]:
    server = NewsServer()
    try:
        yield server
    finally:
        server.close()


def news_config(server: NewsServer, db_path: Path, sections: list[str]) -> Config:
    return parse_config(
        {
            "archive": {"db": str(db_path)},
            "crawl": {
                "user_agent": "newsarchive-test/0.1 (+https://example.org/contact)",
                "per_host_delay": 0,
                "per_host_concurrency": 1,
                "retries": 0,
                "total_timeout": 15,
                "allow_hosts": [server.host_port],
            },
            "sites": [
                {
                    "name": section,
                    "feeds": [f"{server.base}/{section}/feed.xml"],
                    "include": ["/news/"],
                    "use_robots_sitemaps": False,
                    "schedule": {"every": "30m"},
                }
                for section in sections
            ],
        }
    )


def assert_consistent(db_path: Path) -> None:
    """The archive file is sound and every capture is whole (nothing half-written)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        q = conn.execute
        assert q(
            "select count(*) from captures where article_id is null or fetched_at is null "
            "or outcome is null or url is null"
        ).fetchone() == (0,)
        # A new version's capture points at its version and raw page, and they exist.
        assert q(
            "select count(*) from captures c left join versions v on v.id = c.version_id "
            "left join raw_pages r on r.id = c.raw_page_id "
            "where c.outcome = 'new-version' and (v.id is null or r.id is null)"
        ).fetchone() == (0,)
        # The articles' counters agree with the rows.
        assert q(
            "select count(*) from articles a where a.capture_count != "
            "(select count(*) from captures c where c.article_id = a.id) "
            "or a.version_count != (select count(*) from versions v where v.article_id = a.id)"
        ).fetchone() == (0,)
        assert q("select count(*) from crawls where finished is null").fetchone() == (0,)
    finally:
        conn.close()


async def test_real_crawls_of_two_sites_overlap_politely(
    news_server: NewsServer, db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    from archive.store import Archive

    logger, handler = log
    config = news_config(news_server, db_path, ["alpha", "beta"])
    summary = await asyncio.wait_for(
        run_service(config, max_crawls=2, log=logger),  # the real Archive, Fetcher, crawl_site
        timeout=30,
    )
    assert summary.stopped_by == "max-crawls"
    assert sorted((c.site, c.status) for c in summary.crawls) == [
        ("alpha", "done"),
        ("beta", "done"),
    ]
    # Both crawls ran at the same time, yet the shared fetcher sent one request at a time.
    first, second = sorted(summary.crawls, key=lambda c: c.started)
    assert second.started < first.started + timedelta(seconds=first.duration)
    assert news_server.max_active == 1
    assert {c.report.counts.new_versions for c in summary.crawls} == {3}  # type: ignore[union-attr]
    lines = [line for line in handler.lines if line.startswith("crawl site=")]
    assert len(lines) == 2 and all("fetched=3 new_versions=3" in line for line in lines)

    assert_consistent(db_path)
    with Archive(db_path) as archive:
        rows = archive.crawls()
        assert sorted((r["site"], r["status"], r["fetched"]) for r in rows) == [
            ("alpha", "done", 3),
            ("beta", "done", 3),
        ]
        assert archive.counts()["versions"] == 6


async def test_sigterm_mid_crawl_leaves_whole_captures(
    news_server: NewsServer,
    db_path: Path,
    log: tuple[logging.Logger, ListHandler],
    safe_sigterm: Any,
) -> None:
    from archive.store import Archive

    logger, _ = log
    config = news_config(news_server, db_path, ["mixed"])

    async def stop_on_the_slow_page() -> None:
        while not any("slow" in path for path in news_server.requests):
            await asyncio.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = asyncio.create_task(stop_on_the_slow_page())
    started = time.monotonic()
    try:
        summary = await asyncio.wait_for(run_service(config, grace=0.3, log=logger), timeout=30)
    finally:
        stopper.cancel()
    assert time.monotonic() - started < 8
    assert summary.stopped_by == "SIGTERM"
    assert [c.status for c in summary.crawls] == ["cancelled"]
    assert read_holder(db_path) is None

    assert_consistent(db_path)
    with Archive(db_path) as archive:
        (row,) = archive.crawls()
        assert row["status"] == "cancelled"
        fetched = {c["url"].split("/")[-2] for c in archive.db.query("select url from captures")}
        # The two fast pages were recorded whole; the abandoned slow fetch left nothing.
        assert fetched == {"mixed-fast-1", "mixed-fast-2"}
        assert archive.counts()["versions"] == 2


# --- `newsarchive run` as a user starts it ----------------------------------------------------------


class RunProcess:
    """``newsarchive run`` in a child process, its stderr collected line by line."""

    def __init__(self, *args: str) -> None:
        import subprocess
        import sys

        script = Path(sys.executable).with_name("newsarchive")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "scraper.cli"]
        self.proc = subprocess.Popen(
            [*command, "run", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.reader.is_alive():
                    raise AssertionError(f"{text!r} not seen; output:\n" + "\n".join(self.lines))
                self.changed.wait(min(left, 0.2))

    def stop(self, timeout: float = 15) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def write_config(server: NewsServer, db_path: Path, sections: list[str], tmp_path: Path) -> Path:
    sites = "".join(
        f"""
[[sites]]
name = "{section}"
feeds = ["{server.base}/{section}/feed.xml"]
include = ["/news/"]
use_robots_sitemaps = false
schedule = {{ every = "30m" }}
"""
        for section in sections
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[archive]
db = "{db_path}"

[crawl]
user_agent = "newsarchive-test/0.1 (+https://example.org/contact)"
per_host_delay = 0
retries = 0
total_timeout = 15
allow_hosts = ["{server.host_port}"]
{sites}""",
        encoding="utf-8",
    )
    return path


def test_newsarchive_run_stops_cleanly_on_sigterm(
    news_server: NewsServer, db_path: Path, tmp_path: Path
) -> None:
    from archive.store import Archive

    config = write_config(news_server, db_path, ["alpha", "mixed"], tmp_path)
    run = RunProcess("--config", str(config))
    try:
        run.wait_for("service started")
        # A second service on the same archive is refused at once, naming the first.
        second = RunProcess("--config", str(config))
        try:
            assert second.proc.wait(timeout=20) != 0
            second.reader.join(timeout=5)
            assert f"in use by newsarchive run (pid {run.proc.pid}, since" in "\n".join(
                second.lines
            )
        finally:
            second.kill()
        run.wait_for("crawl site=alpha status=done")
        deadline = time.monotonic() + 20
        while not any("slow" in path for path in news_server.requests):
            assert time.monotonic() < deadline, "the slow page was never requested"
            time.sleep(0.02)
        started = time.monotonic()
        code = run.stop()
        assert time.monotonic() - started < 10
    finally:
        run.kill()
    output = "\n".join(run.lines)
    assert code == 0, output
    assert "crawl site=mixed status=cancelled" in output
    assert "stopped_by=SIGTERM" in output
    assert read_holder(db_path) is None
    assert_consistent(db_path)
    with Archive(db_path) as archive:
        statuses = sorted((r["site"], r["status"]) for r in archive.crawls())
        assert statuses == [("alpha", "done"), ("mixed", "cancelled")]
        assert archive.counts()["versions"] == 5  # 3 alpha + the 2 fast mixed pages


def test_newsarchive_run_on_the_demo_site_stopped_by_sigterm(db_path: Path, tmp_path: Path) -> None:
    import re

    from archive.store import Archive
    from scraper.demo.run import demo_config_text
    from scraper.demo.site import DemoSite

    article = re.compile(r"^/20\d\d/\d\d/\d\d/[a-z0-9-]+/$")
    with DemoSite(start=datetime(2026, 11, 26, 6, 0, tzinfo=UTC)) as site:
        base = site.base_url
        config = tmp_path / "config.toml"
        config.write_text(
            demo_config_text(
                base,
                site.host_port,
                db_path,
                retries=0,
                schedule='every = "30m", jitter = "1m"',
            ),
            encoding="utf-8",
        )
        run = RunProcess("--config", str(config))
        try:
            run.wait_for("service started")
            deadline = time.monotonic() + 20
            # Stop it in the middle of its first crawl, once it has fetched a few articles.
            while sum(bool(article.match(r.path)) for r in site.request_log()) < 3:
                assert time.monotonic() < deadline, "\n".join(run.lines)
                time.sleep(0.01)
            started = time.monotonic()
            code = run.stop()
            assert time.monotonic() - started < 10
        finally:
            run.kill()
    output = "\n".join(run.lines)
    assert code == 0, output
    assert "stopped_by=SIGTERM" in output
    assert re.search(r"crawl site=demo-news status=(done|cancelled)", output), output
    assert read_holder(db_path) is None
    assert_consistent(db_path)
    with Archive(db_path) as archive:
        (row,) = archive.crawls()
        assert row["status"] in ("done", "cancelled")
        assert archive.counts()["versions"] >= 3


async def test_crawls_get_the_given_clock_while_the_summary_keeps_real_time(
    db_path: Path,
) -> None:
    config = make_config(db_path, {"every": "30m"})
    recorder = Recorder()
    site_clock = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)
    before = datetime.now(UTC)
    summary = await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=recorder,
            now=lambda: site_clock,
            max_crawls=1,
        ),
        timeout=20,
    )
    assert recorder.calls[0][1]["now"]() == site_clock
    assert before <= summary.started <= summary.crawls[0].started <= summary.finished
    assert summary.finished <= datetime.now(UTC)


async def test_jobs_run_on_the_loop_thread_even_for_a_plain_function(db_path: Path) -> None:
    # A plain function would be sent to a thread pool by APScheduler; the archive must only be
    # written from the loop's thread, so every job is wrapped in a coroutine.
    config = make_config(db_path, {"every": "30m"}, {"cron": "*/5 * * * *"})
    seen: list[tuple[str, int]] = []
    done = asyncio.Event()

    def run_site(site: Any) -> Any:
        seen.append((site.name, threading.get_ident()))
        if len(seen) == 2:
            done.set()
        return asyncio.sleep(0)  # an awaitable, awaited by the wrapper

    scheduler = build_scheduler(config, run_site)
    scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
    assert sorted(name for name, _ in seen) == ["site0", "site1"]
    assert {ident for _, ident in seen} == {threading.get_ident()}


async def test_the_service_says_retired_articles_once_per_change(
    db_path: Path, log: tuple[logging.Logger, ListHandler]
) -> None:
    logger, handler = log
    config = make_config(db_path, {"every": "30m"})
    figures = iter([0, 3, 3, 4])

    class Retiring:
        def __init__(self) -> None:
            self.crawl_id, self.fetched, self.new_versions = 1, 0, 0
            self.retired = next(figures)

    async def crawl(site: Any, archive: Any, fetcher: Any, **kw: Any) -> Retiring:
        return Retiring()

    await asyncio.wait_for(
        run_service(
            config,
            archive_factory=FakeArchive,
            fetcher_factory=FakeFetcher,
            crawl=crawl,
            max_crawls=4,
            interval_override=timedelta(seconds=0.05),
            log=logger,
        ),
        timeout=20,
    )
    crawls = [line for line in handler.lines if line.startswith("crawl site=")]
    assert ["retired=" in line for line in crawls] == [False, True, True, True]
    assert "retired=4 " in crawls[3]
    hints = [line for line in handler.lines if line.startswith("retired articles")]
    assert hints == [
        f"retired articles not re-checked site=site0 retired={n} max_age=90d "
        'hint="newsarchive crawl --retired re-checks them"'
        for n in (3, 4)
    ]
