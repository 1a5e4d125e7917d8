"""Crawls that tell the truth: failed and partial crawls, exit codes, status figures that add
up, SIGTERM ending a crawl like Ctrl-C. Real HTTP servers on 127.0.0.1, real archive files,
``newsarchive`` as a user runs it."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback import LoopbackServer
from site_configs import gazette_config

from scraper.cli import cli
from scraper.crawl.cycle import crawl_status

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]
ARTICLE = (
    "<html><head><title>Council votes</title></head><body><article><h1>Council votes</h1>"
    + "".join(
        f"<p>Paragraph {i} of the story about the council vote on the bridge.</p>" for i in range(6)
    )
    + "</article></body></html>"
)


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>S</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{base}/</link>'
        f"{items}</channel></rss>"
    ).encode()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crawl(config: Path):
    return CliRunner().invoke(
        cli, ["crawl", "--config", str(config), "--no-progress"], catch_exceptions=False
    )


def crawl_rows(tmp_path: Path) -> list[dict]:
    with sqlite3.connect(tmp_path / "news.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("select * from crawls order by id")]


@pytest.mark.parametrize(
    ("figures", "status"),
    [
        ({"sources_read": 0, "source_errors": 2, "fetched": 0, "errors": 0}, "failed"),
        ({"sources_read": 0, "source_errors": 1, "fetched": 3, "errors": 3}, "failed"),
        ({"sources_read": 0, "source_errors": 1, "fetched": 3, "errors": 1}, "partial"),
        ({"sources_read": 1, "source_errors": 1, "fetched": 0, "errors": 0}, "partial"),
        ({"sources_read": 2, "source_errors": 0, "fetched": 4, "errors": 1}, "partial"),
        ({"sources_read": 2, "source_errors": 0, "fetched": 0, "errors": 0}, "done"),
    ],
)
def test_crawl_status(figures, status):
    assert crawl_status(**figures) == status


def test_a_crawl_whose_sources_all_failed_is_failed(page_server, tmp_path):
    port = closed_port()  # nothing listens there: "no network"
    config = gazette_config(
        tmp_path,
        [f"{page_server.base}/missing.xml", f"http://127.0.0.1:{port}/feed.xml"],
        [page_server.host_port, f"127.0.0.1:{port}"],
    )
    result = crawl(config)
    assert result.exit_code == 4, result.output
    assert "status=failed" in result.output and "source_errors=2" in result.output
    (row,) = crawl_rows(tmp_path)
    assert row["status"] == "failed"
    status = CliRunner().invoke(cli, ["status", "--config", str(config)]).output
    assert "failed " in status and "failed sources=2 (connect=1, http-404=1)" in status


def test_a_crawl_with_some_failures_is_partial_and_its_figures_add_up(page_server, tmp_path):
    page_server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(page_server.base, ["/news/a", "/news/gone"]),
    )
    page_server.html("/news/a", ARTICLE)
    config = gazette_config(
        tmp_path,
        [f"{page_server.base}/feed.xml", f"{page_server.base}/missing.xml"],
        [page_server.host_port],
    )
    result = crawl(config)
    assert result.exit_code == 3, result.output
    assert "status=partial" in result.output
    (row,) = crawl_rows(tmp_path)
    assert row["status"] == "partial" and row["fetched"] == 2
    status = CliRunner().invoke(cli, ["status", "--config", str(config)]).output
    line = next(x for x in status.splitlines() if "gazette" in x and "fetched=" in x)
    assert "partial" in line
    assert "fetched=2 (new_versions=1 unchanged=0 not_modified=0 skipped=0 errors=1)" in line
    assert "reasons: http-404=1" in line and "failed sources=1 (http-404=1)" in line


def test_a_clean_crawl_exits_0(page_server, tmp_path):
    page_server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(page_server.base, ["/news/a"]),
    )
    page_server.html("/news/a", ARTICLE)
    config = gazette_config(tmp_path, [f"{page_server.base}/feed.xml"], [page_server.host_port])
    result = crawl(config)
    assert result.exit_code == 0, result.output
    assert "status=done" in result.output
    assert crawl_rows(tmp_path)[0]["status"] == "done"


class SlowServer(LoopbackServer):
    """A feed whose article answers only when released: a crawl stays in flight."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/feed.xml":
                    body = rss(server.base, ["/news/slow"])
                    kind = "application/rss+xml"
                else:
                    server.requested.set()
                    server.release.wait(20)
                    body, kind = ARTICLE.encode(), "text/html; charset=utf-8"
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def close(self) -> None:
        self.release.set()
        super().close()


def test_sigterm_during_crawl_ends_it_like_ctrl_c(tmp_path):
    server = SlowServer()
    try:
        config = gazette_config(tmp_path, [f"{server.base}/feed.xml"], [server.host_port])
        process = subprocess.Popen(
            [*NEWSARCHIVE, "crawl", "--config", str(config), "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.requested.wait(30), "the crawl never fetched the article"
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 143, out + err
        assert "stopped by SIGTERM" in err and "Traceback" not in err
        (row,) = crawl_rows(tmp_path)
        assert row["status"] == "cancelled" and row["finished"]
    finally:
        server.close()


def test_log_json_writes_fields_as_json_fields(page_server, tmp_path):
    page_server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(page_server.base, ["/news/a"]),
    )
    page_server.html("/news/a", ARTICLE)
    config = gazette_config(tmp_path, [f"{page_server.base}/feed.xml"], [page_server.host_port])
    result = subprocess.run(
        [*NEWSARCHIVE, "-vv", "--log-json", "crawl", "--config", str(config), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (finished,) = [e for e in events if e["message"] == "crawl finished"]
    assert finished["site"] == "gazette" and finished["status"] == "done"
    assert finished["fetched"] == 1 and isinstance(finished["new_versions"], int)
    (checked,) = [e for e in events if e["message"] == "checked"]
    assert checked["url"].endswith("/news/a") and checked["outcome"] == "new-version"
    assert checked["status"] == 200
