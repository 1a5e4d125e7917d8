"""config.toml files the CLI tests write: one site, "gazette", found through its feeds.

Several test modules drive the real CLI against a server they start; they share this one
writer so the settings every such test relies on (no politeness delay, no retries, a short
deadline, only the test server allowed) are stated once."""

from __future__ import annotations

import json
from pathlib import Path


def gazette_config(
    tmp_path: Path, feeds: list[str], allow: list[str], *, site_extra: str = ""
) -> Path:
    """Write ``tmp_path/config.toml`` archiving into ``tmp_path/news.db``; *site_extra* is
    TOML added to the site's table (e.g. a schedule)."""
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
db = "{tmp_path / "news.db"}"

[crawl]
user_agent = "newsarchive-test (+https://example.org/c)"
per_host_delay = 0
retries = 0
total_timeout = 5
allow_hosts = {json.dumps(allow)}

[[sites]]
name = "gazette"
feeds = {json.dumps(feeds)}
include = ["/news/"]
use_robots_sitemaps = false
{site_extra}
""",
        encoding="utf-8",
    )
    return config
