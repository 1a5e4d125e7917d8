"""The archive file deleted or replaced under a running ``newsarchive run``: it notices before the
next write or crawl and stops with one clear line, never writing into an unlinked file (lost)
or next to another file's ``-wal`` (damaged)."""

from __future__ import annotations

import os
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.models import CaptureIn
from archive.store import Archive, ArchiveReplaced
from scraper.demo.run import demo_config_text
from scraper.demo.site import DemoSite

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def capture(n: int) -> CaptureIn:
    return CaptureIn(
        url=f"https://example.com/{n}", site="s", fetched_at=T0, outcome="error", reason="timeout"
    )


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_writer_refuses_to_write_once_its_file_is_gone(tmp_path, how):
    db = tmp_path / "archive.db"
    archive = Archive(db)
    archive.record(capture(1))
    if how == "deleted":
        db.unlink()
    else:
        Archive(tmp_path / "other.db").close()
        os.replace(tmp_path / "other.db", db)
    with pytest.raises(ArchiveReplaced, match=how):
        archive.record(capture(2))
    with pytest.raises(ArchiveReplaced):
        archive.check_file()
    archive.close()


def read_until(proc: subprocess.Popen, needle: str, timeout: float) -> str:
    """The child's stderr up to a line holding *needle* (all of it if the child exits)."""
    deadline = time.monotonic() + timeout
    text = ""
    fd = proc.stderr.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            chunk = os.read(fd, 65536).decode("utf-8", "replace")
            if not chunk:
                return text
            text += chunk
            if needle in text:
                return text
        elif proc.poll() is not None:
            return text
    return text


@pytest.fixture
def run_process(tmp_path) -> Iterator[tuple[subprocess.Popen, Path]]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    with DemoSite(start=start) as site:
        site.advance(timedelta(days=1))
        base = site.start()
        db = tmp_path / "archive.db"
        config = tmp_path / "config.toml"
        config.write_text(
            demo_config_text(
                base, site.host_port, db, per_host_delay=0.01, retries=0, schedule='every = "1s"'
            ),
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [*NEWSARCHIVE, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            log = read_until(proc, "status=done", timeout=60)
            assert "status=done" in log, log  # one whole crawl before the file is touched
            yield proc, db
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            proc.stderr.close()


def counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        return tuple(
            conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("articles", "captures", "versions")
        )  # type: ignore[return-value]
    finally:
        conn.close()


def test_run_stops_when_its_archive_is_deleted(run_process):
    proc, db = run_process
    db.unlink()
    log = read_until(proc, "Error:", timeout=30)
    assert proc.wait(timeout=30) == 1, log
    lines = [line for line in log.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "was deleted while this process had it open" in lines[0]
    assert "Traceback" not in log
    assert not db.exists()  # nothing was written anywhere under that name either


def test_run_stops_when_a_backup_is_restored_over_its_archive(run_process, tmp_path):
    proc, db = run_process
    backup = tmp_path / "backup.db"
    source = sqlite3.connect(db)
    target = sqlite3.connect(backup)
    source.backup(target)  # a consistent copy, as a user would keep one
    source.close()
    target.close()
    before = counts(backup)
    os.replace(backup, db)  # "mv backup.db archive.db" while run writes
    log = read_until(proc, "Error:", timeout=30)
    assert proc.wait(timeout=30) == 1, log
    assert "was replaced by another file" in log and "Traceback" not in log
    # The restored file is whole and holds exactly the backup: no frame of the old file's WAL
    # was written into it, nor any capture meant for the old file.
    assert counts(db) == before
    with Archive(db) as archive:  # and it opens for writing again
        archive.record(capture(1))
    assert counts(db)[1] == before[1] + 1
