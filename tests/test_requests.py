"""``archive`` and ``crawl`` while ``newsarchive run`` holds the archive: the running service
takes the work from the archive's requests table and the command prints its answer. A real
``run`` process, a real page server on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from site_configs import gazette_config
from test_crawl_truth import ARTICLE, rss

from archive.store import Archive
from scraper.crawl.requests import RequestFailed, ask_service

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]


def write_config(tmp_path: Path, server) -> Path:
    return gazette_config(
        tmp_path,
        [f"{server.base}/feed.xml"],
        [server.host_port],
        site_extra='schedule = { every = "6h" }',
    )


def wait_for_first_crawl(db: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    row = conn.execute("select status from crawls order by id limit 1").fetchone()
                if row and row[0] != "running":
                    return
            except sqlite3.OperationalError:
                pass  # run is still creating the schema
        time.sleep(0.2)
    raise AssertionError("run did not finish its first crawl")


def test_archive_and_crawl_while_run_is_running(page_server, tmp_path):
    page_server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(page_server.base, ["/news/a"]),
    )
    page_server.html("/news/a", ARTICLE)
    page_server.html("/news/now", ARTICLE.replace("Council votes", "Mayor resigns"))
    config = write_config(tmp_path, page_server)
    db = tmp_path / "news.db"
    run = subprocess.Popen(
        [*NEWSARCHIVE, "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_first_crawl(db, run)
        started = time.monotonic()
        archived = subprocess.run(
            [*NEWSARCHIVE, "archive", "--config", str(config), f"{page_server.base}/news/now"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert archived.returncode == 0, archived.stdout + archived.stderr
        assert archived.stdout.startswith("new-version")
        assert "(version 1)" in archived.stdout and "/news/now" in archived.stdout
        assert "handing the archive to it" in archived.stderr
        assert time.monotonic() - started < 30  # not the old 60 s wait for the lock

        crawled = subprocess.run(
            [*NEWSARCHIVE, "crawl", "--config", str(config), "--all"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr
        assert "site=gazette status=done" in crawled.stdout and "unchanged=2" in crawled.stdout
        assert run.poll() is None  # the service runs on
    finally:
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
    assert run.returncode == 0, err
    with Archive(db, readonly=True) as archive:
        assert archive.find_article(f"{page_server.base}/news/now")["version_count"] == 1
        rows = list(archive.db.query("select kind, status, result from requests order by id"))
    assert [(r["kind"], r["status"]) for r in rows] == [("archive", "done"), ("crawl", "done")]
    assert json.loads(rows[0]["result"])[0]["outcome"] == "new-version"


def test_a_request_nobody_takes_fails_clearly(tmp_path):
    db = tmp_path / "news.db"
    Archive(db).close()
    clock = iter(range(0, 1000, 10)).__next__
    try:
        ask_service(
            db,
            "archive",
            {"urls": ["https://x.example/"]},
            take_within=15,
            sleep=lambda s: None,
            clock=clock,
        )
    except RequestFailed as exc:
        assert "did not take the request within 15 s" in str(exc)
    else:
        raise AssertionError("expected RequestFailed")
    with Archive(db, readonly=True) as archive:
        (row,) = archive.db.query("select status, error from requests")
    assert row["status"] == "failed" and "not taken" in row["error"]
