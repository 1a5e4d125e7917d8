"""Real archives for the interop tests: the bundled demo site, crawled several times."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from archive.store import Archive
from scraper.crawl.cycle import crawl_site
from scraper.demo.run import CLOCK_STEP, DEMO_START, demo_config
from scraper.demo.site import DemoSite
from scraper.fetch.client import Fetcher


def crawl_demo(
    db: Path,
    *,
    crawls: int = 4,
    start: datetime = DEMO_START,
    step: timedelta = CLOCK_STEP,
    check_all: bool = False,
) -> None:
    """Crawl the demo site *crawls* times into *db*, its clock moving *step* between crawls."""
    with DemoSite(start=start) as site:
        base = site.start()
        config = demo_config(base, site.host_port, db)

        async def go() -> None:
            with Archive(db) as archive:
                async with Fetcher(config.crawl.fetch_settings()) as fetcher:
                    for _ in range(crawls):
                        await crawl_site(
                            config.sites[0],
                            archive,
                            fetcher,
                            now=lambda: site.now,
                            check_all=check_all,
                        )
                        site.advance(step)

        asyncio.run(go())
