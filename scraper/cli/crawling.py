"""Commands that write the archive: ``archive`` (URLs now), ``crawl`` (one cycle), ``run``
(the service), and ``status`` (what the crawls did and what is due).

May import: :mod:`scraper.cli.app`, :mod:`scraper.crawl`, :mod:`scraper.fetch`, :mod:`archive`,
:mod:`scraper.config`, :mod:`scraper.urls`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from scraper import logs
from scraper.cli.app import (
    article_of,
    cli,
    config_option,
    damaged,
    db_option,
    fail,
    open_archive,
    read_config,
    resolve_db_and_config,
    wait_option,
)

# Exit codes of `crawl` (documented in the README): 0 every site crawled without an error,
# 1 it could not run (configuration, archive, lock), 2 usage error, then these.
EXIT_PARTIAL = 3  # some sources or articles failed
EXIT_FAILED = 4  # a site's crawl failed: nothing could be reached, or it broke off
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_SIGTERM = 143  # SIGTERM (128 + SIGTERM)


@cli.command(name="archive")
@click.argument("urls", nargs=-1, required=True)
@config_option
@db_option
@click.option(
    "--site",
    help="Record under this site name [default: the configured site of the "
    "URL's host, else the host].",
)
@wait_option
def archive_cmd(
    urls: tuple[str, ...],
    config_path: Path,
    db_path: Path | None,
    site: str | None,
    wait: float,
) -> None:
    """Fetch, extract and store URLS now.

    Each URL gets a capture; a new version is stored only when the article's text or title
    changed since the last one. Like `crawl`, it takes the archive's lock (one writer at a
    time); while `newsarchive run` holds it, the running service does the work and this
    command waits for its answer.
    """
    import asyncio

    from archive.store import ArchiveError, DamagedArchive
    from scraper import urls as urlmod
    from scraper.crawl.lock import LockError
    from scraper.crawl.service import archive_urls

    db, config = resolve_db_and_config(db_path, config_path)
    normalized = []
    for url in urls:
        try:
            normalized.append(urlmod.normalize_url(url))
        except urlmod.BadURL as exc:
            raise fail(exc) from exc
    if _service_runs(db):
        rows = _ask_service(db, "archive", {"urls": normalized, "site": site})
        _print_archived(rows)
        return
    try:
        results = asyncio.run(archive_urls(config, db, normalized, site=site, wait=wait))
    except (ArchiveError, LockError) as exc:
        raise fail(exc) from exc
    except DamagedArchive as exc:
        raise damaged(db, exc) from exc
    messages = _capture_errors(db, [r.recorded.capture_id for r in results if r.reason])
    _print_archived(
        [
            {
                "url": r.url,
                "outcome": r.recorded.outcome,
                "version": r.recorded.version,
                "article_id": r.recorded.article_id,
                "reason": r.reason,
                "error": messages.get(r.recorded.capture_id),
            }
            for r in results
        ]
    )


def _print_archived(rows: list[dict]) -> None:
    """One line per URL; exit 1 when any failed."""
    failures = 0
    for row in rows:
        line = f"{row['outcome']:<12} {row['url']}"
        if row["version"]:
            line += f"  (version {row['version']})"
        if row["reason"]:
            line += f"  [{row['reason']}]"
            failed = row["outcome"] in ("error", "gone", "skipped")
            failures += failed
            if row.get("error"):
                line += f" {row['error']}"
            if failed and not row["version"]:
                line += f"  (forget it with: newsarchive forget {row['article_id']})"
        click.echo(line)
    if failures:
        sys.exit(1)


def _service_runs(db: Path) -> bool:
    """Whether `newsarchive run` holds this archive (then it takes the work as a request)."""
    from scraper.crawl.lock import read_holder

    holder = read_holder(db)
    return holder is not None and holder.command == "run"


def _ask_service(db: Path, kind: str, payload: dict) -> Any:
    from archive.store import ArchiveError
    from scraper.crawl.requests import RequestFailed, ask_service

    click.echo(f"newsarchive run holds {db}: handing the {kind} to it", err=True)
    try:
        return ask_service(db, kind, payload)
    except (RequestFailed, ArchiveError) as exc:
        raise fail(exc) from exc


def _capture_errors(db: Path, capture_ids: list[int]) -> dict[int, str]:
    """The error messages of these captures (why a fetch failed, in words)."""
    if not capture_ids:
        return {}
    with open_archive(db, readonly=True) as archive:
        rows = archive.db.execute(
            f"select id, error from captures where id in ({','.join('?' * len(capture_ids))})",
            capture_ids,
        ).fetchall()
    return {row[0]: row[1] for row in rows if row[1]}


@cli.command()
@click.argument("article")
@config_option
@db_option
@click.option(
    "--with-versions",
    is_flag=True,
    help="Also forget an article that has versions (they are deleted).",
)
@wait_option
def forget(
    article: str, config_path: Path, db_path: Path | None, with_versions: bool, wait: float
) -> None:
    """Drop ARTICLE (a URL or an article id) from the archive: its captures, events, other
    URLs and raw pages no other capture shares.

    Meant for URLs archived by mistake or that could never be archived (their history shows
    why). An article with versions is kept unless --with-versions says to delete them too.
    Takes the archive's lock, like every command that writes.
    """
    from archive.store import ArticleHasVersions
    from scraper.crawl.lock import ArchiveLock, LockError

    db, _ = resolve_db_and_config(db_path, config_path)
    if not db.exists():
        raise click.ClickException(f"{db}: no such archive (run a crawl first)")
    lock = ArchiveLock(db, command="forget")
    try:
        lock.acquire(wait)
    except LockError as exc:
        raise fail(exc) from exc
    try:
        with open_archive(db) as archive:
            row = article_of(archive, article)
            try:
                gone = archive.forget(row["id"], with_versions=with_versions)
            except ArticleHasVersions as exc:
                raise fail(exc) from exc
    finally:
        lock.release()
    click.echo(
        f"forgot article {gone.article_id} {gone.url}: {gone.versions} version(s), "
        f"{gone.captures} capture(s), {gone.raw_pages} raw page(s)"
    )


@cli.command()
@config_option
@db_option
@click.option("--site", "site_names", multiple=True, help="Crawl only this site (repeatable).")
@click.option(
    "--all",
    "check_all",
    is_flag=True,
    help="Re-check every live article now, not only the due ones.",
)
@click.option(
    "--retired",
    "include_retired",
    is_flag=True,
    help="Also re-check retired articles (older than the re-check policy's max_age).",
)
@wait_option
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar [default: on a terminal]."
)
def crawl(
    config_path: Path,
    db_path: Path | None,
    site_names: tuple[str, ...],
    check_all: bool,
    include_retired: bool,
    wait: float,
    progress: bool | None,
) -> None:
    """Run one crawl cycle: discover new articles and re-check the due ones.

    Discovery reads each site's feeds, sitemaps and listing pages; re-checks follow the
    age-based policy (often while an article is young, rarely when old). Articles older than
    the policy's max_age are retired: no crawl re-checks them (not even --all) unless
    --retired is given, and the summary says how many were left out. Prints one summary line
    per site.
    """
    import asyncio

    from archive.store import ArchiveError, DamagedArchive
    from scraper.config import ConfigError
    from scraper.crawl.lock import LockError
    from scraper.crawl.service import CrawlInterrupted, crawl_once

    config = read_config(config_path, required=True)
    assert config is not None
    try:
        sites = [config.site(name) for name in site_names] if site_names else list(config.sites)
    except ConfigError as exc:
        raise fail(exc) from exc
    if not sites:
        raise click.ClickException(f"{config_path}: no [[sites]] to crawl")
    db = db_path or config.db_path
    if _service_runs(db):
        answers = _ask_service(
            db, "crawl", {"sites": [s.name for s in sites], "check_all": check_all}
        )
        for answer in answers:
            click.echo(answer["summary"])
            for source, reason, message in answer["source_errors"]:
                click.echo(f"  source error: {source} [{reason}] {message}", err=True)
        _exit_for({answer["fields"]["status"] for answer in answers})
        return
    show = sys.stderr.isatty() if progress is None else progress
    try:
        reports = asyncio.run(
            crawl_once(
                config,
                db,
                sites,
                check_all=check_all,
                include_retired=include_retired,
                wait=wait,
                progress=show,
            )
        )
    except (ArchiveError, ConfigError, LockError) as exc:
        raise fail(exc) from exc
    except DamagedArchive as exc:
        raise damaged(db, exc) from exc
    except CrawlInterrupted:
        click.echo("crawl stopped by SIGTERM: recorded as cancelled", err=True)
        sys.exit(EXIT_SIGTERM)
    except KeyboardInterrupt:
        click.echo("crawl stopped by Ctrl-C: recorded as cancelled", err=True)
        sys.exit(EXIT_INTERRUPTED)
    for report in reports:
        click.echo(report.summary())
        if report.retired:
            policy = config.site(report.site).policy
            click.echo(
                f"  {report.retired} retired article(s) of {report.site} not re-checked "
                f"(older than max_age {policy.max_age.days}d); --retired re-checks them"
            )
        for source, reason, message in report.source_errors:
            click.echo(f"  source error: {source} [{reason}] {message}", err=True)
    _exit_for({report.status for report in reports})


def _exit_for(statuses: set[str]) -> None:
    if "failed" in statuses:
        sys.exit(EXIT_FAILED)
    if "partial" in statuses:
        sys.exit(EXIT_PARTIAL)


@cli.command()
@config_option
@db_option
@click.option("--site", "site_names", multiple=True, help="Schedule only this site.")
@click.option(
    "--max-crawls", type=click.IntRange(min=0), default=None, help="Stop after this many crawls."
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds in-flight crawls get to finish after SIGINT/SIGTERM.",
)
def run(
    config_path: Path,
    db_path: Path | None,
    site_names: tuple[str, ...],
    max_crawls: int | None,
    grace: float,
) -> None:
    """Run as a service: crawl every site on its schedule until stopped (Ctrl-C / SIGTERM).

    One job per site (interval or cron from config.toml); crawls of different sites overlap,
    politeness per host still holds. Logs one summary line per crawl (retired=N when articles
    older than the policy's max_age were left out: `crawl --retired` re-checks them). Holds a
    lock on the archive: a second `run` on the same file is refused.
    """
    import asyncio

    from archive.store import ArchiveError, DamagedArchive
    from scraper.config import ConfigError
    from scraper.crawl.lock import LockError
    from scraper.crawl.service import run_forever

    config = read_config(config_path, required=True)
    assert config is not None
    if db_path is not None:
        config = replace(config, db_path=db_path)
    if site_names:
        try:
            config = replace(config, sites=tuple(config.site(n) for n in site_names))
        except ConfigError as exc:
            raise fail(exc) from exc
    if not config.sites:  # a service with nothing to schedule would stop at once, silently
        raise click.ClickException(f"{config_path}: no [[sites]] to crawl")
    logs.ensure_info()
    try:
        asyncio.run(run_forever(config, max_crawls=max_crawls, grace=grace))
    except (ArchiveError, LockError) as exc:
        raise fail(exc) from exc
    except DamagedArchive as exc:
        raise damaged(config.db_path, exc) from exc


def crawl_figures(crawl: dict) -> str:
    """A crawl's status and figures, so that they add up: the fetches split by outcome (what
    is left is moves and non-HTML pages), source failures apart from article errors."""
    import json

    counts = {k: crawl[k] or 0 for k in ("new_versions", "unchanged", "not_modified", "skipped")}
    counts["errors"] = crawl["errors"] or 0
    fetched = crawl["fetched"] or 0
    other = fetched - sum(counts.values())
    try:
        reasons = json.loads(crawl["errors_by_kind"] or "{}")
    except ValueError:
        reasons = {}
    sources = {k.removeprefix("source-"): v for k, v in reasons.items() if k.startswith("source-")}
    articles = {k: v for k, v in reasons.items() if not k.startswith("source-")}
    line = f"{crawl['status']:<9} fetched={fetched}"
    line += " (" + " ".join(f"{k}={v}" for k, v in counts.items())
    line += f" other={other})" if other > 0 else ")"
    if articles:
        line += " reasons: " + ", ".join(f"{k}={v}" for k, v in sorted(articles.items()))
    line += f"; failed sources={sum(sources.values())}"
    if sources:
        line += " (" + ", ".join(f"{k}={v}" for k, v in sorted(sources.items())) + ")"
    return line


@cli.command()
@config_option
@db_option
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=10,
    show_default=True,
    help="How many recent crawls.",
)
def status(config_path: Path, db_path: Path | None, limit: int) -> None:
    """Show the last crawls, the next scheduled runs and the re-check backlog."""
    db, config = resolve_db_and_config(db_path, config_path)
    now = datetime.now(UTC)
    with open_archive(db, readonly=True) as archive:
        counts = archive.counts()
        click.echo(
            f"archive {db}: {counts['articles']} articles, {counts['versions']} versions, "
            f"{counts['captures']} captures, {counts['raw_pages']} raw pages"
        )
        statuses = archive.status_counts()
        if statuses:
            click.echo(
                "articles by status: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
            )
        click.echo("\nlast crawls:")
        crawls = archive.crawls(limit)
        if not crawls:
            click.echo("  (none yet)")
        for c in crawls:
            click.echo(f"  #{c['id']:<4} {c['site']:<16} {c['started']}  {crawl_figures(c)}")
        backlog = archive.backlog(now)
        last_started = archive.last_crawl_starts()
    from scraper.crawl.lock import read_holder

    holder = read_holder(db)
    if holder is not None:
        click.echo(
            f"\n`newsarchive {holder.command}` is running (pid {holder.pid}, since {holder.since})"
        )
    same_archive = config is not None and config.db_path.resolve() == Path(db).resolve()
    if config is not None and config.sites and same_archive:
        from scraper.crawl.schedule import next_runs

        click.echo("\nnext runs:")
        for name, when in next_runs(config, now, last_started=last_started):
            click.echo(f"  {name:<16} {when.isoformat(timespec='seconds') if when else 'never'}")
    click.echo("\nre-check backlog (due now):")
    if not backlog:
        click.echo("  (nothing due)")
    for name, n in sorted(backlog.items()):
        click.echo(f"  {name:<16} {n}")
