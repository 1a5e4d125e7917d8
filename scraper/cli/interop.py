"""Commands that carry the archive through time and tools: ``reextract`` and ``import-warc``.

(``export --format warc`` is in :mod:`scraper.cli.exporting` with the other exports.)

May import: :mod:`scraper.cli.app`, :mod:`scraper.crawl`, :mod:`archive`, :mod:`scraper.config`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scraper.cli.app import (
    article_of,
    cli,
    config_option,
    db_option,
    fail,
    open_archive,
    resolve_db_and_config,
    wait_option,
)

if TYPE_CHECKING:
    from scraper.config import Config

# The libraries behind these commands are imported inside them, so `--help` stays fast.


def parse_since(value: str | None) -> datetime | None:
    """``2026-11-26``, ``2026-11-26T06:00`` (UTC unless an offset is given) or ``7d`` (ago)."""
    if value is None:
        return None
    from scraper.config import ConfigError, parse_duration

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.now(UTC) - parse_duration(value)
        except (ValueError, ConfigError) as exc:
            raise click.BadParameter(
                f"{value!r}: expected a date (2026-11-26), a time (2026-11-26T06:00) "
                "or a duration (7d, 12h)",
                param_hint="'--since'",
            ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


since_option = click.option(
    "--since",
    help="Only captures from then on: a date, a time (UTC) or a duration ago (7d).",
)


class _Progress:
    """Progress lines on stderr: in place on a terminal, else at most one every few seconds."""

    def __init__(self, every: float = 2.0) -> None:
        self.tty = sys.stderr.isatty()
        self.every = every
        self.last = 0.0

    def line(self, text: str, *, final: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            click.echo(f"\r\x1b[2K{text}", err=True, nl=final)
        elif final or now - self.last >= self.every:
            click.echo(text, err=True)
        else:
            return
        self.last = now


def _rules_for(config: Config | None) -> Callable[[str], Any]:
    rules = {site.name: site.rules for site in config.sites} if config else {}
    return lambda name: rules.get(name)


@cli.command()
@config_option
@db_option
@click.option("--site", help="Only this site's articles.")
@since_option
@click.option("--article", "article_ref", help="Only this article (a URL or an id).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Extraction processes [default: 2, or 1 on a one-core machine].",
)
@wait_option
def reextract(
    config_path: Path,
    db_path: Path | None,
    site: str | None,
    since: str | None,
    article_ref: str | None,
    dry_run: bool,
    workers: int | None,
    wait: float,
) -> None:
    """Run the current extractor over the stored pages and rebuild the versions.

    Pages are read again in capture order: a capture whose new text equals the previous
    version's is no longer a version, one that now differs becomes one; change kinds and
    summaries are computed again, and every version records the extractor version that made
    it. Each article is rebuilt in one transaction (the versions it replaces are kept in
    superseded_versions); a killed run continues where it stopped when started again. Site
    rules come from the config.
    """
    from archive.store import ArchiveError
    from scraper.crawl.lock import ArchiveLock, LockError
    from scraper.crawl.reextract import reextract as run_reextract
    from scraper.crawl.service import open_for_writing

    db, config = resolve_db_and_config(db_path, config_path)
    moment = parse_since(since)
    show = _Progress()

    def progress(kind: str, info: dict[str, Any]) -> None:
        if kind == "start":
            if info["resumed"]:
                click.echo(
                    f"resuming re-extraction run {info['run']}: "
                    f"{info['total'] - info['todo']} of {info['total']} articles already done",
                    err=True,
                )
            return
        final = info["done"] == info["total"]
        show.line(f"reextract: {info['done']}/{info['total']} articles", final=final)

    def run(archive: Any) -> Any:
        article_id = int(article_of(archive, article_ref)["id"]) if article_ref else None
        return run_reextract(
            archive,
            rules_for=_rules_for(config),
            site=site,
            since=moment,
            article=article_id,
            dry_run=dry_run,
            workers=workers,
            progress=progress,
        )

    try:
        if dry_run:
            with open_archive(db, readonly=True) as archive:
                report = run(archive)
        else:
            with (
                ArchiveLock(db, command="reextract").acquire(wait),
                open_for_writing(db) as archive,
            ):
                report = run(archive)
    except (ArchiveError, LockError) as exc:
        raise fail(exc) from exc
    verb = "would change" if report.dry_run else "changed"
    click.echo(
        f"{report.articles} articles re-read with extractor {report.extractor_version}: "
        f"{report.changed} {verb}, {report.versions_added} versions added, "
        f"{report.versions_removed} removed, {report.failed_pages} pages failed extraction"
        + (f" (resumed run {report.run_id})" if report.resumed else "")
    )
    for example in report.examples:
        click.echo(
            f"  article {example.article_id}: {example.before} -> {example.after} versions "
            f"(+{len(example.added)} -{len(example.removed)})  {example.url}"
        )
    if report.dry_run:
        click.echo("dry run: nothing was written")


@cli.command(name="import-warc")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@config_option
@db_option
@click.option("--site", help="Only this configured site's articles [default: every site].")
@wait_option
def import_warc(
    files: tuple[Path, ...], config_path: Path, db_path: Path | None, site: str | None, wait: float
) -> None:
    """Import the article pages of WARC files (wget, warcio, pywb, Browsertrix...).

    Every HTML response of a configured site's article URL becomes a capture, recorded in
    capture order (WARC-Date, across all FILES) as if it had been crawled then: same
    extraction, versions, moves and lifecycle events. Truncated or malformed records are
    reported and skipped; a capture already in the archive is not added again.
    """
    import asyncio

    from archive.store import ArchiveError
    from scraper.config import ConfigError
    from scraper.crawl.lock import ArchiveLock, LockError
    from scraper.crawl.reextract import reextract as run_reextract
    from scraper.crawl.service import open_for_writing
    from scraper.crawl.warc_import import import_warcs

    db, config = resolve_db_and_config(db_path, config_path)
    if config is None or not config.sites:
        raise click.ClickException(
            f"{config_path}: no configuration with [[sites]]: import-warc takes the pages of "
            "the configured sites"
        )
    try:
        sites = [config.site(site)] if site else list(config.sites)
    except ConfigError as exc:
        raise fail(exc) from exc
    show = _Progress()

    def progress(kind: str, info: dict[str, Any]) -> None:
        if kind == "imported":
            final = info["done"] == info["total"]
            show.line(f"import-warc: {info['done']}/{info['total']} exchanges", final=final)

    try:
        with ArchiveLock(db, command="import-warc").acquire(wait), open_for_writing(db) as archive:

            def rebuild(ids: Any) -> int:
                done = 0
                for article_id in ids:
                    run_reextract(archive, rules_for=_rules_for(config), article=article_id)
                    done += 1
                return done

            report = asyncio.run(
                import_warcs(
                    archive,
                    list(files),
                    sites,
                    max_bytes=config.crawl.max_page_size,
                    progress=progress,
                    rebuild=rebuild,
                )
            )
    except (ArchiveError, LockError) as exc:
        raise fail(exc) from exc
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(
        f"{report.files} file(s), {report.responses} HTTP responses: {report.captures} captures "
        f"imported ({report.new_versions} new versions), {report.duplicates} already in the "
        f"archive, {report.other_urls} not article pages of the sites, "
        f"{len(report.problems)} damaged records skipped"
        + (
            f", {report.rebuilt} articles' histories put back in time order"
            if report.rebuilt
            else ""
        )
    )
    if report.problems:
        sys.exit(1)
