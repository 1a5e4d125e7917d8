"""``newsarchive demo``: the real pipeline, offline, on the bundled news site.

The demo site (:mod:`scraper.demo.site`) runs on 127.0.0.1 with its own clock. The real
scheduler runs the real crawl on short real intervals while the site's clock jumps forward an
hour per crawl, so a few seconds show what a day of a newsroom looks like: articles published,
corrected, re-headlined, moved and unpublished, while the teaser blocks rotate on every request.

May import: :mod:`archive`, :mod:`scraper.crawl`, :mod:`scraper.fetch`, :mod:`scraper.config`,
its own package.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive import diff as diffmod
from archive.store import Archive
from scraper.config import Config, parse_config
from scraper.crawl.cycle import crawl_site
from scraper.demo.site import DemoSite
from scraper.fetch.client import Fetcher

DEMO_START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # a fixed start, for tests
CLOCK_STEP = timedelta(minutes=30)
SITE_NAME = "demo-news"


def demo_config_text(
    base: str,
    host_port: str,
    db_path: Path,
    *,
    per_host_delay: float = 0.02,
    retries: int = 1,
    schedule: str = 'every = "30m"',
) -> str:
    """The config.toml a user would write for the demo site at *base* (tests use it too)."""
    return f"""\
[archive]
db = "{db_path}"

[crawl]
user_agent = "newsarchive-demo/0.1 (+https://github.com/newsarchive/newsarchive)"
per_host_delay = {per_host_delay}
per_host_concurrency = 4
total_timeout = 10
retries = {retries}
allow_hosts = ["{host_port}"]

[[sites]]
name = "{SITE_NAME}"
feeds = ["{base}/feed.xml"]
sitemaps = ["{base}/sitemap.xml"]
listing_pages = ["{base}/world/", "{base}/business/", "{base}/culture/"]
include = ['/20\\d\\d/\\d\\d/\\d\\d/[a-z0-9-]+/$']
schedule = {{ {schedule} }}
"""


def demo_config(base: str, host_port: str, db_path: Path) -> Config:
    """The parsed demo configuration (see :func:`demo_config_text`)."""
    return parse_config(tomllib.loads(demo_config_text(base, host_port, db_path)), source="demo")


def run_demo(
    db_path: Path,
    *,
    crawls: int = 16,
    echo: Callable[[str], Any] = print,
    interval: timedelta = timedelta(seconds=1),
    start: datetime | None = None,
    port: int = 0,
) -> dict[str, int]:
    """Crawl the demo site *crawls* times with the real scheduler; print what was stored.

    The site's clock starts *start* (default: so that the last crawl happens about now, which
    makes ``newsarchive changes --db demo.db`` show the demo's edits); the same start gives the
    same site, byte for byte.
    """
    from scraper.crawl.schedule import run_service
    from scraper.crawl.service import extraction_pool, open_for_writing

    if start is None:
        start = (datetime.now(UTC) - CLOCK_STEP * crawls).replace(second=0, microsecond=0)
    with DemoSite(start=start, port=port) as site:
        base = site.start()
        config_text = demo_config_text(base, site.host_port, db_path)
        config = demo_config(base, site.host_port, db_path)
        echo(f"Demo news site on {base} (its clock starts {site.now:%Y-%m-%d %H:%M} UTC)")
        echo(f"Archive: {db_path}\n")
        echo("The configuration the demo crawls with (a config.toml for this site):\n")
        echo("\n".join("    " + line for line in config_text.splitlines()))
        echo("")

        async def crawl_and_advance(site_conf, archive, fetcher, **kw):
            report = await crawl_site(site_conf, archive, fetcher, **kw)
            echo(f"[site clock {site.now:%H:%M}] {report.summary()}")
            site.advance(CLOCK_STEP)
            return report

        with extraction_pool() as pool:
            asyncio.run(
                run_service(
                    config,
                    archive_factory=lambda: open_for_writing(
                        db_path, config
                    ),  # closes a killed demo's
                    fetcher_factory=lambda: Fetcher(config.crawl.fetch_settings()),
                    crawl=crawl_and_advance,
                    now=lambda: site.now,
                    max_crawls=crawls,
                    interval_override=interval,
                    executor=pool,
                )
            )
    with Archive(db_path) as archive:
        return summarize(archive, db_path, echo)


def summarize(archive: Archive, db_path: Path, echo: Callable[[str], Any]) -> dict[str, int]:
    counts = archive.counts()
    echo(
        f"\nStored {counts['articles']} articles, {counts['versions']} versions from "
        f"{counts['captures']} captures ({counts['raw_pages']} distinct raw pages)."
    )
    statuses = archive.status_counts()
    echo("Articles by status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))

    edited = archive.edited_articles()
    if edited:
        echo("\nEdited articles (boilerplate churn created no version):")
        for row in edited:
            kinds = [v["change_kind"] for v in archive.versions(row["id"])[1:]]
            echo(f"  {row['version_count']} versions  {row['title']}  ({', '.join(kinds)})")
        first = edited[0]
        old, new = archive.versions(first["id"])[-2:]
        d = diffmod.diff_versions(
            old["text"], new["text"], old_title=old["title"], new_title=new["title"]
        )
        echo(f"\nWhat changed in “{first['title']}” (v{old['version']} -> v{new['version']}):")
        echo(
            diffmod.render_unified(
                d, 0, old_label=f"version {old['version']}", new_label=f"version {new['version']}"
            )
        )
    events = archive.all_events()
    if events:
        echo("\nLifecycle events:")
        for e in events:
            echo(f"  {e['kind']:<9} {e['title'] or ''}  {e['detail'] or ''}")
    echo(
        "\nExplore it:\n"
        f"  newsarchive history {edited[0]['id'] if edited else 1} --db {db_path}\n"
        f"  newsarchive diff {edited[0]['id'] if edited else 1} --db {db_path}\n"
        f"  newsarchive search update --db {db_path}\n"
        f"  newsarchive serve --db {db_path}     # Datasette: search, facets, diffs in the browser"
    )
    return counts
