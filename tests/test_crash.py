"""A kill mid-crawl never corrupts the archive; a full disk or an unreadable page loses nothing.

``newsarchive crawl`` runs in its own process against the demo site and is killed with SIGKILL
at random moments of its re-check phase; after every kill the archive must pass SQLite's own
checks and the archive's invariants (every capture whole, every counter equal to the rows it
counts), the lock must be free, and the next crawl must carry on where the killed one stopped.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.store import Archive, ArchiveError, ArchiveWriteError
from scraper.config import parse_config
from scraper.crawl.cycle import crawl_site
from scraper.crawl.lock import ArchiveLock, read_holder
from scraper.demo.run import demo_config_text
from scraper.demo.site import DemoSite
from scraper.fetch.client import Fetcher

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]
KILLS = 5


COUNTED = ("articles", "captures", "versions", "raw_pages", "crawls")
#: For an external-content FTS5 table the plain 'integrity-check' only checks the index against
#: itself; with rank = 1 it also compares the index with the content table (the versions).
FTS_AGAINST_TABLE = "insert into versions_fts(versions_fts, rank) values('integrity-check', 1)"


def assert_consistent(db_path: Path, *, may_be_new: bool = False) -> dict[str, int]:
    """SQLite's checks and the archive's invariants; returns the row counts.

    *may_be_new*: a kill during start-up may come before the archive's schema was committed;
    creation is one transaction, so such a file holds no table at all (and opens as new).
    """
    conn = sqlite3.connect(db_path)
    try:

        def rows(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()

        assert rows("pragma integrity_check") == [("ok",)]
        if may_be_new and rows("select name from sqlite_master") == []:
            return dict.fromkeys(COUNTED, 0)
        assert rows("pragma foreign_key_check") == []
        conn.execute(FTS_AGAINST_TABLE)
        assert (
            rows(
                "select id, capture_count from articles a where capture_count != "
                "(select count(*) from captures c where c.article_id = a.id)"
            )
            == []
        )
        assert (
            rows(
                "select id, version_count from articles a where version_count != "
                "(select count(*) from versions v where v.article_id = a.id)"
            )
            == []
        )
        # Versions are numbered 1..n without gaps, each pointing at the capture that made it.
        assert (
            rows(
                "select article_id from versions group by article_id having max(version) != count(*)"
            )
            == []
        )
        assert (
            rows(
                "select v.id from versions v left join captures c on c.id = v.capture_id "
                "where c.id is null or c.version_id != v.id"
            )
            == []
        )
        assert (
            rows(
                "select id from captures where version_id is not null "
                "and version_id not in (select id from versions)"
            )
            == []
        )
        assert (
            rows(
                "select id from captures where raw_page_id is not null "
                "and raw_page_id not in (select id from raw_pages)"
            )
            == []
        )
        assert (
            rows("select id from captures where outcome = 'new-version' and version_id is null")
            == []
        )
        # A page whose text was stored also has its raw page stored.
        assert (
            rows(
                "select id from captures where outcome in ('new-version', 'unchanged') "
                "and raw_page_id is null"
            )
            == []
        )
        return {
            name: conn.execute(f"select count(*) from {name}").fetchone()[0] for name in COUNTED
        }
    finally:
        conn.close()


def wait_for_captures(db_path: Path, more_than: int, timeout: float = 60) -> bool:
    """Poll the archive (as a reader, beside the writing crawl) until it holds more captures."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
            try:
                if conn.execute("select count(*) from captures").fetchone()[0] > more_than:
                    return True
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            # The schema not there yet; a reader beside the writer never sees "locked".
            assert "no such table" in str(exc), exc
        time.sleep(0.02)
    return False


def wait_for_line(proc: subprocess.Popen, needle: bytes, timeout: float) -> bool:
    """Read the child's stderr until a line contains *needle* (False on timeout or exit)."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = proc.stderr.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return False
            buffer += chunk
            if needle in buffer:
                return True
        elif proc.poll() is not None:
            return False
    return False


@pytest.fixture
def busy_site():
    """The demo site a week on: over a hundred articles to crawl."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
    with DemoSite(start=start, seed=3) as site:
        site.advance(timedelta(days=7))
        site.start()
        yield site


def test_sigkill_mid_crawl_leaves_a_consistent_archive_and_the_next_crawl_goes_on(
    busy_site, tmp_path
):
    db = tmp_path / "archive.db"
    config = tmp_path / "config.toml"
    config.write_text(
        demo_config_text(
            busy_site.base_url, busy_site.host_port, db, per_host_delay=0.03, retries=0
        ),
        encoding="utf-8",
    )
    crawl = [*NEWSARCHIVE, "crawl", "--config", str(config), "--no-progress"]
    rng = random.Random(20261126)
    captured: list[int] = []
    for kill in range(KILLS):
        proc = subprocess.Popen(crawl, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if kill == 0:  # somewhere in start-up, discovery or the first checks
                time.sleep(rng.uniform(0.3, 1.2))
            else:  # somewhere in the re-checks
                assert wait_for_line(proc, b"discovered", timeout=20), "the crawl never started"
                # In the re-checks: once this run has recorded a capture (on a loaded machine a
                # fixed sleep could end before the first one), then at a random moment.
                assert wait_for_captures(db, more_than=captured[-1] if captured else 0)
                time.sleep(rng.uniform(0.0, 0.5))
            assert proc.poll() is None, "the crawl ended before it could be killed"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=10)
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        counts = assert_consistent(db, may_be_new=kill == 0)
        captured.append(counts["captures"])
        assert read_holder(db) is None
        ArchiveLock(db, command="crawl").acquire().release()

    with Archive(db, readonly=True) as archive:
        articles = counts["articles"]
        unchecked = {
            r["url"] for r in archive.db.query("select url from articles where capture_count = 0")
        }
        # Each crawl closed the one killed before it; the last killed one is still "running"
        # (the first kill may have come before its crawl row was written).
        statuses = [c["status"] for c in archive.crawls(100)]
        assert statuses[0] == "running" and set(statuses[1:]) == {"interrupted"}
        assert len(statuses) in (KILLS - 1, KILLS)
    # The kills after discovery hit the re-checks: each of those runs added captures.
    assert all(b > a for a, b in zip(captured, captured[1:], strict=False))
    assert 0 < len(unchecked) < articles

    done = subprocess.run(crawl, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "closed 1 crawl(s) left running" in done.stderr
    counts = assert_consistent(db)
    assert read_holder(db) is None
    with Archive(db, readonly=True) as archive:
        crawls = archive.crawls(KILLS + 1)
        assert crawls[0]["status"] == "done"
        assert {c["status"] for c in crawls[1:]} == {"interrupted"}
        for c in crawls[1:]:  # the killed crawls' figures are their captures
            n = archive.db.execute(
                "select count(*) from captures where crawl_id = ?", [c["id"]]
            ).fetchone()[0]
            assert c["fetched"] == n and c["finished"] is not None
        last = crawls[0]
        fetched = {
            r["url"]
            for r in archive.db.query(
                "select a.url from captures c join articles a on a.id = c.article_id "
                "where c.crawl_id = ?",
                [last["id"]],
            )
        }
        never = archive.db.execute(
            "select count(*) from articles where capture_count = 0"
        ).fetchone()[0]
    # It went on where the killed crawls stopped: what they left unchecked, and (at most one
    # article per kill, killed between its capture and its next-check update) little more.
    assert unchecked <= fetched
    assert len(fetched) <= len(unchecked) + KILLS
    assert never == 0
    assert counts["captures"] == captured[-1] + last["fetched"]


# --------------------------------------------------------------------------- a full disk


class FullDisk(Archive):
    """An archive whose file may not grow past its size when the crawl starts.

    ``PRAGMA max_page_count`` makes SQLite answer exactly as on a full disk (SQLITE_FULL).
    SQLite rolls the whole open transaction back then, so the crawl's batch of writes is lost:
    small batches here, for some of them to be committed before the disk is full.
    """

    def __init__(self, path: Path, spare_pages: int) -> None:
        super().__init__(path)
        self.batch_records = 2
        pages = self.db.execute("pragma page_count").fetchone()[0]
        self.db.execute(f"pragma max_page_count = {pages + spare_pages}")


async def test_a_full_disk_stops_the_crawl_with_a_typed_error_and_keeps_the_archive(
    busy_site, tmp_path
):
    db = tmp_path / "archive.db"
    text = demo_config_text(
        busy_site.base_url, busy_site.host_port, db, per_host_delay=0, retries=0
    )
    import tomllib

    config = parse_config(tomllib.loads(text))
    Archive(db).close()
    archive = FullDisk(db, spare_pages=40)
    try:
        async with Fetcher(config.crawl.fetch_settings()) as fetcher:
            with pytest.raises(ArchiveWriteError, match="database or disk is full") as info:
                await crawl_site(config.sites[0], archive, fetcher, max_articles=200)
        assert str(db) in str(info.value)
    finally:
        archive.close()
    counts = assert_consistent(db)
    assert 0 < counts["captures"] < counts["articles"]  # it got some way, then stopped
    with Archive(db, readonly=True) as archive:  # the crawl row says what happened
        crawl = archive.crawls(1)[0]
        assert crawl["status"] == "failed" and crawl["fetched"] == counts["captures"]


def test_the_crawl_command_reports_a_full_disk_in_one_line(busy_site, tmp_path):
    """The CLI in its own process, its file size capped (RLIMIT_FSIZE): a real EFBIG."""
    import resource

    db = tmp_path / "archive.db"
    config = tmp_path / "config.toml"
    config.write_text(
        demo_config_text(busy_site.base_url, busy_site.host_port, db, per_host_delay=0, retries=0),
        encoding="utf-8",
    )
    Archive(db).close()
    limit = 1_000_000

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [*NEWSARCHIVE, "crawl", "--config", str(config), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap_file_size,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and f"{db}: cannot write to the archive" in error[0]
    counts = assert_consistent(db)
    assert counts["captures"] > 0


# --------------------------------------------------------------------------- unreadable pages


def serve(page_server, path: str, body: bytes) -> None:
    page_server.pages[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)


async def test_pages_the_extractor_refuses_are_captured_with_their_raw_page(page_server, tmp_path):
    empty = b"<html></html>"
    deep = b"<html><body>" + b"<div>" * 5000 + b"<p>deep</p></body></html>"
    huge = b"<html><body><p>" + b"x" * (3 * 1024 * 1024) + b"</p></body></html>"
    serve(page_server, "/news/empty/", empty)
    serve(page_server, "/news/deep/", deep)
    serve(page_server, "/news/huge/", huge)
    links = "".join(f'<a href="/news/{n}/">{n}</a>' for n in ("empty", "deep", "huge"))
    serve(page_server, "/", f"<html><body>{links}</body></html>".encode())
    config = parse_config(
        {
            "crawl": {
                "user_agent": "newsarchive-test (+https://example.org/c)",
                "per_host_delay": 0,
                "retries": 0,
                "max_page_size": "1MiB",
                "allow_hosts": [page_server.host_port],
            },
            "sites": [
                {
                    "name": "odd",
                    "listing_pages": [f"{page_server.base}/"],
                    "include": ["/news/"],
                    "use_robots_sitemaps": False,
                }
            ],
        }
    )
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        async with Fetcher(config.crawl.fetch_settings()) as fetcher:
            report = await crawl_site(config.sites[0], archive, fetcher)
        assert report.counts.fetched == 3
        assert report.counts.errors_by_kind == {"extract-failed": 2, "too-large": 1}
        for path, body in (("/news/empty/", empty), ("/news/deep/", deep)):
            (capture,) = archive.captures(archive.article(page_server.base + path)["id"])
            assert (capture["outcome"], capture["reason"]) == ("error", "extract-failed")
            assert capture["error"] and capture["version_id"] is None
            assert archive.raw_page(capture["raw_page_id"]) == body  # kept for a re-extraction
        (capture,) = archive.captures(archive.article(page_server.base + "/news/huge/")["id"])
        assert (capture["outcome"], capture["reason"]) == ("error", "too-large")
        assert capture["raw_page_id"] is None  # never kept half-read
        assert archive.counts()["versions"] == 0
        assert json.loads(archive.crawls(1)[0]["errors_by_kind"]) == report.counts.errors_by_kind
    assert_consistent(db)


def test_sigkill_of_the_run_service_mid_crawl(busy_site, tmp_path):
    db = tmp_path / "archive.db"
    config = tmp_path / "config.toml"
    config.write_text(
        demo_config_text(
            busy_site.base_url, busy_site.host_port, db, per_host_delay=0.03, retries=0
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [*NEWSARCHIVE, "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        captures = 0
        while captures < 5:  # well into its first crawl's re-checks
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
            if db.exists():
                try:
                    with Archive(db, readonly=True) as archive:
                        captures = archive.counts()["captures"]
                except ArchiveError:  # caught while `run` is still creating the schema
                    continue
        time.sleep(random.Random(7).uniform(0.05, 0.5))
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    counts = assert_consistent(db)
    assert read_holder(db) is None
    with ArchiveLock(db, command="crawl").acquire(), Archive(db) as archive:
        assert [c["status"] for c in archive.crawls()] == ["running"]
        assert archive.close_interrupted_crawls() == [1]
        crawl = archive.crawls()[0]
        assert crawl["status"] == "interrupted" and crawl["fetched"] == counts["captures"]


def test_archive_command_closes_the_crawls_a_killed_writer_left_running(page_server, tmp_path):
    """`newsarchive archive` takes the writer's path: lock, then the killed crawl is closed."""
    from click.testing import CliRunner

    from scraper.cli import cli

    db = tmp_path / "a.db"
    with Archive(db) as archive:  # what a crawl killed after its start leaves behind
        archive.start_crawl("daily", datetime(2026, 11, 1, tzinfo=UTC))
    page = b"<html><body><article><p>" + b"A sentence of the article. " * 40 + b"</p></article>"
    serve(page_server, "/news/story/", page)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[archive]\ndb = "{db}"\n[crawl]\nuser_agent = "newsarchive-test (+https://example.org/c)"\n'
        f'per_host_delay = 0\nretries = 0\nallow_hosts = ["{page_server.host_port}"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["archive", f"{page_server.base}/news/story/", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("new-version")
    assert "closed 1 crawl(s) left running" in result.output
    with Archive(db, readonly=True) as archive:
        assert [c["status"] for c in archive.crawls()] == ["interrupted"]


async def test_an_extractor_crash_is_an_extract_failed_capture_that_keeps_the_page(
    page_server, tmp_path
):
    """Any exception out of the extractor, not only ExtractionError, keeps the raw page."""
    import dataclasses

    from scraper.extract import ExtractRules

    page = b"<html><body><article><p>" + b"A sentence of the article. " * 40 + b"</p></article>"
    serve(page_server, "/news/story/", page)
    serve(page_server, "/", b'<html><body><a href="/news/story/">story</a></body></html>')
    config = parse_config(
        {
            "crawl": {
                "user_agent": "newsarchive-test (+https://example.org/c)",
                "per_host_delay": 0,
                "retries": 0,
                "allow_hosts": [page_server.host_port],
            },
            "sites": [
                {
                    "name": "odd",
                    "listing_pages": [f"{page_server.base}/"],
                    "include": ["/news/"],
                    "use_robots_sitemaps": False,
                }
            ],
        }
    )
    # A selector config.toml would refuse: the extractor raises its parser's own error.
    site = dataclasses.replace(config.sites[0], rules=ExtractRules(body_selector="p["))
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        async with Fetcher(config.crawl.fetch_settings()) as fetcher:
            report = await crawl_site(site, archive, fetcher)
        assert report.counts.errors_by_kind == {"extract-failed": 1}
        (capture,) = archive.captures(archive.article(page_server.base + "/news/story/")["id"])
        assert (capture["outcome"], capture["reason"]) == ("error", "extract-failed")
        assert "extractor failed" in capture["error"]
        assert archive.raw_page(capture["raw_page_id"]) == page
    assert_consistent(db)


def test_the_fts_check_compares_the_index_with_the_versions(tmp_path):
    """The crash checks would pass a copy whose search index disagrees with the versions if they
    used the plain 'integrity-check' (it checks the index against itself only)."""
    from archive.models import CaptureIn, ContentIn

    db = tmp_path / "archive.db"
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with Archive(db) as archive:
        for n in range(3):
            archive.record(
                CaptureIn(url=f"https://example.com/{n}", site="s", fetched_at=t0, raw=b"<p>x"),
                ContentIn(
                    title=f"Title {n}", text=f"Story number {n} text.", extractor_version="t"
                ),
            )
    assert_consistent(db)

    corrupted = tmp_path / "corrupted.db"
    conn = sqlite3.connect(db)
    conn.execute(f"vacuum into '{corrupted}'")
    conn.close()
    conn = sqlite3.connect(corrupted)
    with conn:  # change a version behind the index's back (its trigger dropped first)
        conn.execute("drop trigger versions_au")
        conn.execute("update versions set text = 'Entirely different words' where id = 2")
    conn.execute("insert into versions_fts(versions_fts) values('integrity-check')")  # passes
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute(FTS_AGAINST_TABLE)
    conn.close()
    with pytest.raises(sqlite3.DatabaseError):
        assert_consistent(corrupted)
