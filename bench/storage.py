"""Raw-page storage over 20 crawls of a site whose boilerplate churns, against WARC-style gzip.

bench/newsite.py serves the extraction benchmark's real pages (~250 KB each) with fresh random
boilerplate on every response (a most-read list, a nonce, ad slot ids), and edits one article
in ``--edit-every`` per crawl. ``--crawls`` crawls of every article run the real crawl path
(``crawl_site --all``, the bounded worker pool, one archive). Then:

- raw bytes fetched (the decoded bodies), bytes stored in ``raw_pages``, the database file;
- the same bodies compressed one by one as a WARC file would (gzip per record) and with
  zstd -19 alone: the references, computed in the same run;
- read latency of ``Archive.capture_raw`` for every capture (p50, p95, max), against
  decompressing one keyframe.

    python bench/storage.py [--pages 100] [--crawls 20] [--edit-every 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl import Clock, config_for, crawl_all  # noqa: E402
from newsite import NewsSite, SiteOptions  # noqa: E402

from archive.store import Archive, rawpages  # noqa: E402
from scraper.crawl.pool import BoundedProcessPool  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--crawls", type=int, default=20)
    parser.add_argument("--edit-every", type=int, default=10)
    args = parser.parse_args()
    options = SiteOptions(
        pages=args.pages, hosts=args.hosts, churn=True, edit_every=args.edit_every
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        NewsSite(options) as site,
        BoundedProcessPool() as pool,
    ):
        db = Path(tmp) / "storage.db"
        config = config_for(site, db)
        clock = Clock()
        with Archive(db) as archive:
            for n in range(1, args.crawls + 1):
                site.set_crawl(n)
                clock.now += timedelta(hours=6)
                asyncio.run(crawl_all(config, archive, pool, clock, n > 1))
            archive.db.execute("pragma wal_checkpoint(truncate)")
            captures = [
                r["id"]
                for r in archive.db.query(
                    "select id from captures where raw_page_id is not null order by id"
                )
            ]
            fetched = archive.db.execute(
                "select sum(bytes) from captures where raw_page_id is not null"
            ).fetchone()[0]
            stored = archive.db.execute("select sum(length(content)) from raw_pages").fetchone()[0]
            kinds = dict(
                archive.db.execute(
                    "select compression, count(*) from raw_pages group by 1"
                ).fetchall()
            )
            versions = archive.counts()["versions"]
            latencies, gz, z19 = [], 0, 0
            zc = zstandard.ZstdCompressor(level=19)
            for capture_id in captures:
                t0 = time.perf_counter()
                archive.capture_raw(capture_id)
                latencies.append((time.perf_counter() - t0) * 1000)
            for capture_id in captures:
                body = archive.capture_raw(capture_id)
                assert body is not None
                gz += len(gzip.compress(body, 6))
                z19 += len(zc.compress(body))
            keyframe = archive.db.execute(
                "select content from raw_pages where compression = 'zstd' limit 1"
            ).fetchone()[0]
            t0 = time.perf_counter()
            for _ in range(50):
                rawpages.decompress(keyframe, rawpages.KEYFRAME)
            one_keyframe = (time.perf_counter() - t0) / 50 * 1000
        db_size = db.stat().st_size
    latencies.sort()
    n = len(captures)
    print(
        f"{args.crawls} crawls x {args.pages} real pages (churning boilerplate, 1 in "
        f"{args.edit_every} articles edited per crawl): {n} captures with a body, "
        f"{versions} versions, raw pages {kinds}\n"
    )
    print(f"{'storage':<36} {'bytes':>12} {'% of fetched':>13} {'per capture':>12}")
    for label, size in (
        ("raw bytes fetched (decoded)", fetched),
        ("reference: gzip per record (WARC)", gz),
        ("reference: zstd -19 per page", z19),
        ("newsarchive raw_pages (deltas)", stored),
        ("newsarchive database file", db_size),
    ):
        print(f"{label:<36} {size:12,d} {100 * size / fetched:12.2f}% {size / n:12,.0f}")
    print(
        f"\nper version: raw_pages {stored / versions:,.0f} B, database {db_size / versions:,.0f} B"
    )
    print(
        f"raw_pages vs gzip per record: {stored / gz:.3f}x; vs zstd-19: {stored / z19:.3f}x; "
        f"target <= 5% of fetched: {'yes' if stored <= 0.05 * fetched else 'NO'}"
    )
    print(
        f"\nread latency of Archive.capture_raw: p50 {statistics.median(latencies):.2f} ms, "
        f"p95 {latencies[int(0.95 * (n - 1))]:.2f} ms, max {latencies[-1]:.2f} ms "
        f"(reference: one keyframe decompressed {one_keyframe:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
