"""Crawl throughput on the real crawl path, against trafilatura's own pipeline in the same run.

A local news site (bench/newsite.py: the extraction benchmark's real pages, ~250 KB of HTML,
gzip-compressed, keep-alive, on ``--hosts`` loopback hosts, one feed per host) is crawled:

- ``newsarchive``: ``crawl_site`` for every site at once (as ``newsarchive crawl`` runs them),
  politeness off, extraction in the bounded worker pool (one worker per core), one archive;
- ``re-check 304``: the same crawl again with the server honouring If-None-Match;
- ``re-check same body``: again, the server sending no validators (every body the same bytes);
- ``trafilatura``: its own pipeline: ``trafilatura.fetch_url`` downloads in a thread pool,
  ``trafilatura.extract``, rows inserted with sqlite-utils, the same pages.

CPU is counted per page for the crawl process (``time.process_time``) and for its extraction
workers together (``/proc/PID/stat``); the site's server runs in a process of its own. Peak
RSS is the crawl process's (``ru_maxrss``), each extraction worker's (``VmHWM``, after the
first crawl) and the largest child's (the site's server, which holds every page); with
``--rss-every S`` the resident memory of the crawl process and of its extraction workers is
printed every S seconds of the first crawl, then summed up (range, mean, the first third of
the samples against the last: the memory run, ``--pages 20000 --skip-trafilatura
--no-rechecks --rss-every 30 --db-dir /dev/shm``, must show it flat). ``--pages`` crawled pages are taken
round-robin from the 999 real pages (each URL is its own article). ``--profile out.txt``
writes a pyinstrument profile of each run (``out.txt``, ``out-304.txt``, ``out-same.txt``).

    python bench/crawl.py [--pages 2000] [--hosts 20] [--profile out.txt] [--rss-every 10]
                          [--db-dir /dev/shm] [--no-rechecks] [--skip-trafilatura]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from newsite import NewsSite, SiteOptions  # noqa: E402

from archive.store import Archive  # noqa: E402
from scraper.config import parse_config  # noqa: E402
from scraper.crawl.cycle import crawl_site  # noqa: E402
from scraper.crawl.memory import release_freed_pages  # noqa: E402
from scraper.crawl.pool import BoundedProcessPool  # noqa: E402
from scraper.fetch.client import Fetcher  # noqa: E402


def config_for(site: NewsSite, db: Path):
    return parse_config(
        {
            "archive": {"db": str(db)},
            "crawl": {
                "user_agent": "newsarchive-bench (+https://example.org/bench)",
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "global_concurrency": 64,
                "retries": 0,
                "obey_robots": False,
                "total_timeout": 60,
                "max_articles_per_run": 1_000_000,
                "allow_hosts": site.allow_hosts(),
            },
            "sites": [
                {
                    "name": f"site{h}",
                    "feeds": [feed],
                    "include": ["/news/"],
                    "use_robots_sitemaps": False,
                    # The real pages are a year old or more: keep them checked.
                    "recheck": {"max_age": "3650d"},
                }
                for h, feed in enumerate(site.feeds())
            ],
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (``/proc/PID/statm``), in MB."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker_pids() -> list[int]:
    """The crawl process's children that are extraction workers."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"crawl.pool" in cmdline:
            pids.append(int(entry.name))
    return pids


def workers_cpu() -> float:
    """CPU seconds the extraction workers have used so far (``/proc/PID/stat``)."""
    total = 0
    for pid in worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def peak_mb(pid: int) -> float:
    """A process's peak resident memory (``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


async def report_rss(every: float, archive: Archive, samples: list[float]) -> None:
    start = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        workers = [rss_mb(p) for p in worker_pids()]
        samples.append(rss_mb())
        print(
            f"  {time.perf_counter() - start:6.0f} s  {archive.counts()['captures']:6d} captures  "
            f"RSS crawl {rss_mb():5.0f} MB  workers "
            + " ".join(f"{w:4.0f}" for w in workers)
            + " MB",
            file=sys.stderr,
            flush=True,
        )


async def crawl_all(
    config,
    archive: Archive,
    pool,
    clock: Clock,
    check_all: bool,
    rss_every: float = 0,
    samples: list[float] | None = None,
) -> int:
    settings = config.crawl.fetch_settings()
    reporter = (
        asyncio.create_task(report_rss(rss_every, archive, [] if samples is None else samples))
        if rss_every
        else None
    )
    async with Fetcher(settings) as fetcher:
        reports = await asyncio.gather(
            *(
                crawl_site(
                    site,
                    archive,
                    fetcher,
                    now=clock,
                    check_all=check_all,
                    concurrency=config.crawl.global_concurrency // len(config.sites) + 2,
                    executor=pool,
                )
                for site in config.sites
            )
        )
    if reporter is not None:
        reporter.cancel()
    return sum(r.counts.fetched for r in reports)


def rss_summary(samples: list[float], every: float) -> str:
    """The crawl process's sampled RSS: range, mean, and the first third against the last."""
    if not samples:
        return "RSS: no sample (the crawl was shorter than --rss-every)"
    third = max(1, len(samples) // 3)
    return (
        f"RSS of the crawl process, {len(samples)} samples every {every:g} s: "
        f"{min(samples):.0f}-{max(samples):.0f} MB, mean {sum(samples) / len(samples):.0f} MB; "
        f"first third mean {sum(samples[:third]) / third:.0f} MB, "
        f"last third {sum(samples[-third:]) / third:.0f} MB"
    )


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def profiled(profile: Path | None, suffix: str, fn):
    """*fn()* under pyinstrument when *profile* is given (written to its name + *suffix*)."""
    if profile is None:
        return fn()
    from pyinstrument import Profiler

    # Stacks as sampled, not awaits attributed to their callers: time spent waiting shows as
    # the event loop's select(), the rest is where the process's CPU goes.
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        return fn()
    finally:
        profiler.stop()
        path = profile.with_name(profile.stem + suffix + profile.suffix)
        path.write_text(profiler.output_text(unicode=True, show_all=False))


def run_newsarchive(
    options: SiteOptions,
    workers: int,
    profile: Path | None,
    rss_every: float = 0,
    db_dir: Path | None = None,
    rechecks: bool = True,
) -> list[tuple]:
    rows = []
    release_freed_pages()  # as the crawl commands do (scraper.crawl.service.extraction_pool)
    with (
        tempfile.TemporaryDirectory(dir=db_dir) as tmp,
        NewsSite(options) as site,
        BoundedProcessPool(workers) as pool,
        Archive(Path(tmp) / "bench.db") as archive,
    ):
        config = config_for(site, archive.path)
        clock = Clock()
        for _ in range(pool.size):  # the workers' start-up is not the crawl's
            pool.submit(int, "1").result()
        samples: list[float] = []
        t0, c0, w0 = time.perf_counter(), time.process_time(), workers_cpu()
        fetched = profiled(
            profile,
            "",
            lambda: asyncio.run(crawl_all(config, archive, pool, clock, False, rss_every, samples)),
        )
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if rss_every:
            print(rss_summary(samples, rss_every), file=sys.stderr)
        print(
            "peak RSS (VmHWM) of the extraction workers: "
            + ", ".join(f"{peak_mb(p):.0f} MB" for p in worker_pids()),
            file=sys.stderr,
        )
        counts = archive.counts()
        if counts["versions"] < 0.95 * options.pages:
            print(f"WARNING: only {counts['versions']} versions: {counts}", file=sys.stderr)
        rows.append(("newsarchive crawl (first)", fetched, wall, cpu, workers_cpu() - w0))
        for label, etags, suffix in (
            (("re-check, 304s", True, "-304"), ("re-check, same body", False, "-same"))
            if rechecks
            else ()
        ):
            site.set_etags(etags)
            clock.now += timedelta(days=1)
            t0, c0, w0 = time.perf_counter(), time.process_time(), workers_cpu()
            fetched = profiled(
                profile, suffix, lambda: asyncio.run(crawl_all(config, archive, pool, clock, True))
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            rows.append((label, fetched, wall, cpu, workers_cpu() - w0))
        outcomes = dict(
            archive.db.execute("select outcome, count(*) from captures group by 1").fetchall()
        )
        print(f"captures by outcome: {outcomes}", file=sys.stderr)
    return rows


def run_trafilatura(options: SiteOptions, threads: int) -> tuple:
    import httpx
    import sqlite_utils
    import trafilatura

    # trafilatura.fetch_url refuses loopback addresses (its own SSRF guard), so the reference
    # downloads with a plain pooled HTTP client in the same threads, as fetch_url would.
    with (
        NewsSite(options) as site,
        tempfile.TemporaryDirectory() as tmp,
        httpx.Client(timeout=30, limits=httpx.Limits(max_connections=threads)) as client,
    ):

        def download(url: str) -> str | None:
            response = client.get(url)
            return response.text if response.status_code == 200 else None

        db = sqlite_utils.Database(Path(tmp) / "t.db")
        urls = site.article_urls()
        t0, c0 = time.perf_counter(), time.process_time()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            pages = list(pool.map(download, urls))
        extracted = 0
        for url, page in zip(urls, pages, strict=True):
            text = trafilatura.extract(page, url=url) if page else None
            extracted += bool(text)
            db["pages"].insert({"url": url, "text": text, "html": page}, alter=True)
        if extracted < len(urls) * 0.9:
            raise SystemExit(f"reference pipeline extracted only {extracted} of {len(urls)} pages")
        return (
            "trafilatura pipeline",
            len(urls),
            time.perf_counter() - t0,
            time.process_time() - c0,
            None,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the crawl")
    parser.add_argument("--skip-trafilatura", action="store_true")
    parser.add_argument(
        "--rss-every", type=float, default=0, help="print resident memory every S seconds"
    )
    parser.add_argument(
        "--db-dir",
        type=Path,
        help="folder of the archive file (default: the system's temporary folder); "
        "/dev/shm takes the disk out of the measurement",
    )
    parser.add_argument("--no-rechecks", action="store_true", help="the first crawl only")
    args = parser.parse_args()
    options = SiteOptions(pages=args.pages, hosts=args.hosts, etags=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    rows = run_newsarchive(
        options, args.workers, args.profile, args.rss_every, args.db_dir, not args.no_rechecks
    )
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_peak = children_peak_mb()
    if not args.skip_trafilatura:
        rows.append(run_trafilatura(options, 16))
    reference = next((r for r in rows if r[0] == "trafilatura pipeline"), None)
    ref_rate = reference[1] / reference[2] if reference else None
    print(
        f"{args.pages} pages (of 999 distinct real pages), {args.hosts} hosts, "
        f"{os.cpu_count()} cores, {args.workers} extraction workers\n"
    )
    print(
        f"{'run':<28} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'main CPU ms/page':>17} "
        f"{'workers CPU ms/page':>20} {'x trafilatura':>14}"
    )
    for name, n, wall, cpu, workers in rows:
        rate = n / wall
        ratio = f"{rate / ref_rate:.1f}" if ref_rate else "-"
        spent = f"{1000 * workers / n:.2f}" if workers is not None else "-"
        print(
            f"{name:<28} {n:6d} {wall:7.2f} {rate:8.1f} {1000 * cpu / n:17.2f} {spent:>20} "
            f"{ratio:>14}"
        )
    print(
        f"\npeak RSS: crawl process {main_peak:.0f} MB, largest child (worker or server) "
        f"{workers_peak:.0f} MB; load average after: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
