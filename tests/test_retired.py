"""Retired articles (older than the re-check policy's max_age): crawls say how many they left
out, and ``crawl --retired`` re-checks them."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from site_configs import gazette_config
from test_crawl import PARAS, article_page
from test_crawl_truth import NEWSARCHIVE, rss

from archive.store import Archive
from scraper.cli import cli


def invoke(config, *args: str):
    return CliRunner().invoke(
        cli, ["crawl", "--config", str(config), "--no-progress", *args], catch_exceptions=False
    )


def test_retired_articles_are_reported_and_rechecked_on_request(page_server, tmp_path):
    server = page_server
    old = datetime.now(UTC) - timedelta(days=120)  # past the default max_age of 90 days
    young = datetime.now(UTC) - timedelta(hours=2)
    server.html("/news/old/", article_page("An old story", PARAS, published=old))
    server.html("/news/young/", article_page("A young story", PARAS[::-1], published=young))
    server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(server.base, ["/news/old/", "/news/young/"]),
    )
    config = gazette_config(tmp_path, [f"{server.base}/feed.xml"], [server.host_port])

    first = invoke(config)  # both archived once; the old one is retired at once
    assert first.exit_code == 0, first.output
    assert "retired=0" in first.output

    def fetches(path: str) -> int:
        return sum(1 for p, _ in server.requests if p == path)

    for args in ((), ("--all",)):
        result = invoke(config, *args)
        assert result.exit_code == 0, result.output
        assert "retired=1" in result.output
        assert "1 retired article(s) of gazette not re-checked" in result.output
        assert "--retired re-checks them" in result.output
    assert fetches("/news/old/") == 1  # never re-checked
    assert fetches("/news/young/") == 2  # by --all

    result = invoke(config, "--retired")
    assert result.exit_code == 0, result.output
    assert "retired=0" in result.output and "not re-checked" not in result.output
    assert fetches("/news/old/") == 2
    with Archive(tmp_path / "news.db", readonly=True) as archive:
        retired = archive.retired_articles("gazette")
        assert [r["url"] for r in retired] == [f"{server.base}/news/old/"]
        assert retired[0]["capture_count"] == 2


def test_run_reports_the_retired_articles_it_skips(page_server, tmp_path):
    """``run`` says it too: ``retired=N`` on each crawl line, and once the hint."""
    server = page_server
    old = datetime.now(UTC) - timedelta(days=120)
    server.html("/news/old/", article_page("An old story", PARAS, published=old))
    server.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(server.base, ["/news/old/"]),
    )
    config = gazette_config(tmp_path, [f"{server.base}/feed.xml"], [server.host_port])
    assert invoke(config).exit_code == 0  # archived once, retired from then on
    result = subprocess.run(
        [*NEWSARCHIVE, "run", "--config", str(config), "--max-crawls", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    [line] = [x for x in lines if "newsarchive.run crawl site=gazette" in x]
    assert "retired=1" in line
    [hint] = [x for x in lines if "retired articles not re-checked" in x]
    assert "site=gazette retired=1 max_age=90d" in hint and "crawl --retired" in hint
    assert sum(1 for p, _ in server.requests if p == "/news/old/") == 1  # not re-checked
