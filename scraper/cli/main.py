"""The ``newsarchive`` command. Thin: open the library objects, call them, print.

Library errors become ``click.ClickException`` here and nowhere else, so every failure a user
can cause ends with one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from archive import diff as diffmod
from archive.store import Archive, ArchiveError
from scraper import __version__, logs
from scraper import urls as urlmod
from scraper.config import Config, ConfigError, Site, load_config, parse_duration
from scraper.crawl.lock import LockError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_CONFIG = "config.toml"


# --------------------------------------------------------------------------- shared options


def config_option(fn: Callable) -> Callable:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG,
        show_default=True,
        help="The configuration file (sites, crawl settings, archive path).",
    )(fn)


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The archive's SQLite file [default: [archive] db in the config].",
    )(fn)


def wait_option(fn: Callable) -> Callable:
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=60.0,
        show_default=True,
        help="Seconds to wait for the archive while another command (`run`, `crawl`) writes it.",
    )(fn)


def _load_config(path: Path, *, required: bool) -> Config | None:
    if not path.exists():
        if required:
            raise click.ClickException(
                f"{path}: no such configuration file. Copy the config.toml of the project "
                "and edit its [[sites]], or pass --config PATH."
            )
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _db_and_config(db_path: Path | None, config_path: Path) -> tuple[Path, Config | None]:
    """The archive path (--db, else the config's) and the config when there is one."""
    config = _load_config(config_path, required=False)
    if db_path is not None:
        return db_path, config
    if config is None:
        raise click.ClickException(f"no --db given and no {config_path} to read [archive] db from")
    return config.db_path, config


def _db_path(db_path: Path | None, config_path: Path) -> Path:
    """The archive path; with --db the config file is not even read."""
    return db_path if db_path is not None else _db_and_config(None, config_path)[0]


@contextmanager
def _open_archive(db_path: Path, *, readonly: bool = False) -> Iterator[Archive]:
    if readonly and not db_path.exists():
        raise click.ClickException(f"{db_path}: no such archive (run a crawl first)")
    try:
        archive = Archive(db_path, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield archive
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    except sqlite3.DatabaseError as exc:  # a page damaged after the file was opened
        raise _damaged(db_path, exc) from exc
    finally:
        archive.close()


def _damaged(db_path: Path, exc: sqlite3.DatabaseError) -> click.ClickException:
    return click.ClickException(
        f"{db_path}: cannot read the archive ({exc}); "
        f'check it with: sqlite3 "{db_path}" "pragma integrity_check"'
    )


def _article(archive: Archive, ref: str) -> dict[str, Any]:
    """An article by id or URL (normalized like the crawler does)."""
    candidates = [ref]
    if not ref.isdigit():
        with suppress(urlmod.BadURL):
            candidates.insert(0, urlmod.normalize_url(ref))
    for candidate in candidates:
        found = archive.find_article(candidate)
        if found is not None:
            return found
    raise click.ClickException(f"no article {ref!r} in {archive.path}")


# Control characters in scraped text (ESC, BEL, CR...) would drive the user's terminal.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _say(text: str) -> None:
    """``click.echo`` for archived text: control characters are shown as U+FFFD."""
    click.echo(_CONTROL_RE.sub("\ufffd", text))


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


# --------------------------------------------------------------------------- the group


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="newsarchive")
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-v, -vv).")
@click.option("--log-json", is_flag=True, help="Log as JSON lines instead of key=value.")
def cli(verbose: int, log_json: bool) -> None:
    """Archive news articles and every editorial version of them.

    Crawls the sites of config.toml (feeds, sitemaps, section pages), extracts each article's
    text from the page's boilerplate, and keeps a new version only when the article itself
    changed. Browse the archive with `history`, `diff`, `search` or in Datasette (`serve`).

    Start with `newsarchive demo`: the whole pipeline, offline, on a bundled news site.
    """
    logs.configure(verbose, json_lines=log_json)


def main() -> None:
    cli(prog_name="newsarchive")


# --------------------------------------------------------------------------- fetching


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
    changed since the last one. Like `crawl`, it takes the archive's lock (one writer at a time).
    """
    from scraper.crawl.cycle import ArticleChecker
    from scraper.crawl.lock import ArchiveLock
    from scraper.fetch.client import Fetcher

    db, config = _db_and_config(db_path, config_path)
    normalized = []
    for url in urls:
        try:
            normalized.append(urlmod.normalize_url(url))
        except urlmod.BadURL as exc:
            raise _fail(exc) from exc
    settings = config.crawl if config else None

    async def go() -> list[tuple[str, Any]]:
        from scraper.config import CrawlSettings

        crawl = settings or CrawlSettings()
        out = []
        lock = await ArchiveLock(db, command="archive").acquire_async(wait)
        try:
            with _open_archive(db) as archive:
                async with Fetcher(crawl.fetch_settings()) as fetcher:
                    for url in normalized:
                        conf_site = _site_for(config, url) if site is None else None
                        checker = ArticleChecker(
                            archive,
                            fetcher,
                            site=site or (conf_site.name if conf_site else urlmod.host_of(url)),
                            rules=conf_site.rules if conf_site else None,
                            policy=conf_site.policy if conf_site else None,
                        )
                        recorded, reason = await checker.check(url)
                        out.append((url, recorded, reason))
        finally:
            lock.release()
        return out

    try:
        results = asyncio.run(go())
    except LockError as exc:
        raise _fail(exc) from exc
    failures = 0
    for url, recorded, reason in results:
        line = f"{recorded.outcome:<12} {url}"
        if recorded.version:
            line += f"  (version {recorded.version})"
        if reason:
            line += f"  [{reason}]"
            failures += recorded.outcome in ("error", "gone", "skipped")
        click.echo(line)
    if failures:
        sys.exit(1)


def _site_for(config: Config | None, url: str) -> Site | None:
    if config is None:
        return None
    host = urlmod.host_of(url)
    for site in config.sites:
        if any(urlmod.host_of(s) == host for s in site.sources) and site.matches(url):
            return site
    return None


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
@wait_option
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar [default: on a terminal]."
)
def crawl(
    config_path: Path,
    db_path: Path | None,
    site_names: tuple[str, ...],
    check_all: bool,
    wait: float,
    progress: bool | None,
) -> None:
    """Run one crawl cycle: discover new articles and re-check the due ones.

    Discovery reads each site's feeds, sitemaps and listing pages; re-checks follow the
    age-based policy (often while an article is young, rarely when old). Prints one summary
    line per site.
    """
    from scraper.crawl.service import crawl_once

    config = _load_config(config_path, required=True)
    assert config is not None
    try:
        sites = [config.site(name) for name in site_names] if site_names else list(config.sites)
    except ConfigError as exc:
        raise _fail(exc) from exc
    if not sites:
        raise click.ClickException(f"{config_path}: no [[sites]] to crawl")
    db = db_path or config.db_path
    show = sys.stderr.isatty() if progress is None else progress
    try:
        reports = asyncio.run(
            crawl_once(config, db, sites, check_all=check_all, wait=wait, progress=show)
        )
    except (ArchiveError, ConfigError, LockError) as exc:
        raise _fail(exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _damaged(db, exc) from exc
    for report in reports:
        click.echo(report.summary())
        for source, reason, message in report.source_errors:
            click.echo(f"  source error: {source} [{reason}] {message}", err=True)


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
    politeness per host still holds. Logs one summary line per crawl. Holds a lock on the
    archive: a second `run` on the same file is refused.
    """
    from scraper.crawl.service import run_forever

    config = _load_config(config_path, required=True)
    assert config is not None
    if db_path is not None:
        config = replace(config, db_path=db_path)
    if site_names:
        try:
            config = replace(config, sites=tuple(config.site(n) for n in site_names))
        except ConfigError as exc:
            raise _fail(exc) from exc
    if not config.sites:  # a service with nothing to schedule would stop at once, silently
        raise click.ClickException(f"{config_path}: no [[sites]] to crawl")
    logs.ensure_info()
    try:
        asyncio.run(run_forever(config, max_crawls=max_crawls, grace=grace))
    except (ArchiveError, LockError) as exc:
        raise _fail(exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _damaged(config.db_path, exc) from exc


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
    db, config = _db_and_config(db_path, config_path)
    now = datetime.now(UTC)
    with _open_archive(db, readonly=True) as archive:
        counts = archive.counts()
        click.echo(
            f"archive {db}: {counts['articles']} articles, {counts['versions']} versions, "
            f"{counts['captures']} captures, {counts['raw_pages']} raw pages"
        )
        statuses = {
            r["status"]: r["n"]
            for r in archive.db.query("select status, count(*) as n from articles group by status")
        }
        if statuses:
            click.echo(
                "articles by status: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
            )
        click.echo("\nlast crawls:")
        crawls = archive.crawls(limit)
        if not crawls:
            click.echo("  (none yet)")
        for c in crawls:
            click.echo(
                f"  #{c['id']:<4} {c['site']:<16} {c['started']}  {c['status']:<9} "
                f"fetched={c['fetched'] or 0} new_versions={c['new_versions'] or 0} "
                f"unchanged={c['unchanged'] or 0} not_modified={c['not_modified'] or 0} "
                f"errors={c['errors'] or 0} {c['errors_by_kind'] or ''}"
            )
        backlog = archive.backlog(now)
        last_started = {
            r["site"]: datetime.fromisoformat(r["started"])
            for r in archive.db.query(
                "select site, max(started) as started from crawls group by site"
            )
        }
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


# --------------------------------------------------------------------------- reading


@cli.command()
@click.argument("article")
@config_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history(article: str, config_path: Path, db_path: Path | None, as_json: bool) -> None:
    """The versions of ARTICLE (a URL or an article id), with lifecycle events.

    One line per version (number, captured at, change kind, words added/removed, title) and
    per event (gone, moved, soft-404, failing, revived), in time order.
    """
    with _open_archive(_db_path(db_path, config_path), readonly=True) as archive:
        row = _article(archive, article)
        versions = archive.versions(row["id"])
        events = archive.events(row["id"])
        captures = archive.captures(row["id"])
    if as_json:
        click.echo(
            json.dumps(
                {
                    "article": row,
                    "versions": [{k: v for k, v in ver.items() if k != "text"} for ver in versions],
                    "events": events,
                    "captures": len(captures),
                },
                indent=2,
            )
        )
        return
    _say(f"{row['url']}  (article {row['id']}, site {row['site']}, status {row['status']})")
    click.echo(
        f"{len(captures)} captures, {len(versions)} versions, first seen {row['first_seen']}"
    )
    click.echo("")
    click.echo(f"{'version':>7}  {'captured at':<25}  {'kind':<10} {'words +/-':>10}  title")
    timeline: list[tuple[str, str]] = []
    for v in versions:
        words = f"+{v['words_added'] or 0}/-{v['words_removed'] or 0}" if v["version"] > 1 else ""
        timeline.append(
            (
                v["captured_at"],
                f"{v['version']:>7}  {v['captured_at']:<25}  "
                f"{v['change_kind'] or '':<10} {words:>10}  {v['title']}",
            )
        )
    for e in events:
        timeline.append(
            (
                e["at"],
                f"{'':>7}  {e['at']:<25}  {'event':<10} {'':>10}  {e['kind']}: {e['detail'] or ''}",
            )
        )
    for _, line in sorted(timeline, key=lambda item: item[0]):
        _say(line)
    if not versions and captures:  # say why the table is empty
        last = captures[-1]
        why = f" ({last['reason']}: {last['error'] or ''})" if last["reason"] else ""
        _say(f"no version yet; last capture {last['fetched_at']}: {last['outcome']}{why}")


def _version_pair(
    archive: Archive, article_id: int, a: int | None, b: int | None
) -> tuple[dict, dict]:
    versions = archive.versions(article_id)
    if not versions:
        raise click.ClickException("the article has no versions yet")
    numbers = [v["version"] for v in versions]
    to = b if b is not None else numbers[-1]
    frm = a if a is not None else (to - 1 if to > 1 else to)
    for n in (frm, to):
        if n not in numbers:
            raise click.ClickException(
                f"no version {n}: the article has versions {numbers[0]}..{numbers[-1]}"
            )
    return versions[numbers.index(frm)], versions[numbers.index(to)]


@cli.command()
@click.argument("article")
@click.argument("versions", nargs=-1, type=int)
@click.option("--from", "from_", type=int, help="The older version [default: the one before --to].")
@click.option("--to", type=int, help="The newer version [default: the latest].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["inline", "unified", "json", "html", "side-by-side"]),
    default="inline",
    show_default=True,
    help="inline: the new text with changed words marked; unified: like diff -u, one line per "
    "paragraph; json: operations with offsets; html, side-by-side: escaped HTML fragments.",
)
@click.option("--color/--no-color", default=None, help="Colours [default: on a terminal].")
@click.option(
    "--context",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Unchanged paragraphs shown around each change (inline, unified); the others fold "
    "into one line.",
)
@config_option
@db_option
def diff(
    article: str,
    versions: tuple[int, ...],
    from_: int | None,
    to: int | None,
    fmt: str,
    color: bool | None,
    context: int,
    config_path: Path,
    db_path: Path | None,
) -> None:
    """What changed in ARTICLE between two versions (default: the last two).

    Versions can be given as two numbers after the article (`diff URL 1 3`) or with
    --from/--to. Paragraphs are aligned, words inside changed paragraphs are marked, moved
    paragraphs are shown as moves. `newsarchive history ARTICLE` lists the version numbers.
    """
    if len(versions) > 2:
        raise click.UsageError("give at most two version numbers")
    a = versions[0] if versions else from_
    b = versions[1] if len(versions) > 1 else to
    with _open_archive(_db_path(db_path, config_path), readonly=True) as archive:
        row = _article(archive, article)
        old, new = _version_pair(archive, row["id"], a, b)
    d = diffmod.diff_versions(
        old["text"], new["text"], old_title=old["title"], new_title=new["title"]
    )
    old_label = f"version {old['version']}  {old['captured_at']}"
    new_label = f"version {new['version']}  {new['captured_at']}"
    if fmt in ("inline", "unified") and old["version"] == new["version"]:
        only = "the article has only" if a is None and b is None else "both sides are"
        click.echo(f"{only} version {old['version']}: nothing to compare")
    elif fmt == "inline":
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(f"--- {old_label}\n+++ {new_label}")
        # color= also tells click not to strip the escapes when stdout is a pipe (--color)
        click.echo(diffmod.render_inline(d, color=use_color, context=context), color=use_color)
    elif fmt == "unified":
        click.echo(diffmod.render_unified(d, context, old_label=old_label, new_label=new_label))
    elif fmt == "json":
        data = {
            "url": row["url"],
            "from_version": old["version"],
            "to_version": new["version"],
            **diffmod.render_json(d),
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "html":
        click.echo(diffmod.render_html(d, mode="inline"))
    else:
        click.echo(diffmod.render_html(d, mode="side-by-side"))


@cli.command()
@click.argument("article")
@click.option(
    "--version",
    "number",
    type=int,
    default=None,
    help="Version number, 1 for the first [default: the latest].",
)
@config_option
@db_option
def show(article: str, number: int | None, config_path: Path, db_path: Path | None) -> None:
    """Print one version of ARTICLE: title, byline, dates and text."""
    with _open_archive(_db_path(db_path, config_path), readonly=True) as archive:
        row = _article(archive, article)
        try:
            v = archive.version(row["id"], number if number is not None else -1)
        except ArchiveError as exc:
            raise _fail(exc) from exc
    _say(v["title"])
    meta = [f"version {v['version']} captured {v['captured_at']}"]
    if v["byline"]:
        meta.append(f"by {v['byline']}")
    if v["published"]:
        meta.append(f"published {v['published']}")
    _say(" · ".join(meta))
    click.echo("")
    _say(v["text"])


@cli.command()
@click.option(
    "--since", default="1d", show_default=True, help="How far back: a duration like 90m, 12h, 7d."
)
@click.option("--site", help="Only this site.")
@config_option
@db_option
def changes(since: str, site: str | None, config_path: Path, db_path: Path | None) -> None:
    """Recent edits across the archive (versions after the first), newest first."""
    try:
        start = datetime.now(UTC) - parse_duration(since)
    except (ValueError, ConfigError) as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    except OverflowError:  # further back than datetime goes: everything
        start = datetime.min.replace(tzinfo=UTC)
    with _open_archive(_db_path(db_path, config_path), readonly=True) as archive:
        rows = archive.changes_since(start, site)
    if not rows:
        click.echo(f"no changes in the last {since}")
    for r in rows:
        _say(
            f"{r['captured_at']}  {r['site']:<12} v{r['version']:<3} {r['change_kind'] or '':<10} "
            f"+{r['words_added'] or 0}/-{r['words_removed'] or 0}  {r['title']}\n    {r['url']}"
        )


@cli.command()
@click.argument("query")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="Most hits shown.",
)
@click.option(
    "--all-versions",
    is_flag=True,
    help="Every matching version, not just the newest match of each article.",
)
@config_option
@db_option
def search(
    query: str, limit: int, all_versions: bool, config_path: Path, db_path: Path | None
) -> None:
    """Full-text search over every version's title and text.

    Every word must match, stemmed ("edit" finds "edited"); "quotes" make a phrase and
    word* matches by prefix. Other punctuation and FTS operators (AND, OR, NEAR) are plain
    text. Each article is listed once, with its newest matching version.
    """
    from archive.search import fts_query
    from archive.search import search as run_search

    if not fts_query(query):
        raise click.UsageError(f"nothing to search for in {query!r}: give at least one word")
    with _open_archive(_db_path(db_path, config_path), readonly=True) as archive:
        hits = run_search(archive.db, query, limit=limit, all_versions=all_versions)
    if not hits:
        click.echo(f"no match for {query!r}")
    for hit in hits:
        snippet = " ".join(hit.snippet.split())  # one line: the excerpt may span paragraphs
        _say(f"{hit.url}  v{hit.version}  {hit.captured_at}\n  {hit.title}\n  {snippet}")


@cli.command()
@click.argument("source")
@click.option("--url", help="The page's URL, for relative links and metadata (FILE input).")
@click.option("--explain", is_flag=True, help="Show which rule won and what was discarded.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text", "html", "markdown"]),
    default="json",
    show_default=True,
    help="json: text and metadata; text: title and text; html: the cleaned article HTML "
    "(sanitised); markdown: the article as Markdown.",
)
@click.option(
    "--body-selector",
    callback=lambda ctx, param, value: _selectors(value),
    help="A CSS selector for the article body (a site rule).",
)
@click.option(
    "--discard",
    multiple=True,
    callback=lambda ctx, param, value: _selectors(value),
    help="A CSS selector to discard (repeatable).",
)
@config_option
def extract(
    source: str,
    url: str | None,
    explain: bool,
    fmt: str,
    body_selector: str | None,
    discard: tuple[str, ...],
    config_path: Path,
) -> None:
    """Extract the article from SOURCE (a file, - for stdin, or a URL) and print it.

    For debugging extraction: prints the text and metadata as JSON (or the text, the cleaned
    HTML or Markdown with --format). Nothing is stored.
    """
    from scraper.extract import ExtractionError, ExtractRules
    from scraper.extract import explain as explain_fn
    from scraper.extract import extract as extract_fn

    data: bytes | str
    if urlmod.is_http_url(source):
        data, url = _fetch_one(source, config_path)
    elif source == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise click.ClickException(f"{source}: no such file (or give an http(s) URL)")
        data = path.read_bytes()
    config = _load_config(config_path, required=False)
    rules = ExtractRules(body_selector, tuple(discard)) if body_selector or discard else None
    if rules is None and url:
        site = _site_for(config, url)
        rules = site.rules if site else None
    try:
        if explain:
            click.echo(json.dumps(explain_fn(data, url, rules), indent=2, ensure_ascii=False))
            return
        article = extract_fn(data, url, rules, with_html=fmt in ("html", "markdown"))
    except ExtractionError as exc:
        raise _fail(exc) from exc
    if fmt == "text":
        _say(article.title + "\n\n" + article.text)
    elif fmt == "html":
        click.echo(article.html or "")
    elif fmt == "markdown":
        _say(article.markdown or "")
    else:
        click.echo(json.dumps(asdict(article), indent=2, ensure_ascii=False))


def _selectors(value: Any) -> Any:
    """Check --body-selector / --discard values as config.toml's are checked."""
    from scraper.config import parse_selector

    try:
        if isinstance(value, tuple):
            return tuple(parse_selector(v) for v in value)
        return None if value is None else parse_selector(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _fetch_one(url: str, config_path: Path) -> tuple[bytes, str]:
    from scraper.config import CrawlSettings
    from scraper.fetch.client import Fetcher, FetchError

    config = _load_config(config_path, required=False)
    settings = (config.crawl if config else CrawlSettings()).fetch_settings()

    async def go():
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    try:
        result = asyncio.run(go())
    except FetchError as exc:
        raise click.ClickException(f"{url}: {exc} [{exc.reason}]") from exc
    if result.status != 200:
        raise click.ClickException(f"{url}: HTTP {result.status}")
    return result.body, result.final_url


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json", "csv"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write here instead of standard output.",
)
@config_option
@db_option
def export(fmt: str, output, config_path: Path, db_path: Path | None) -> None:
    """Export every version: url, version, captured_at, title, byline, published, text."""
    db = _db_path(db_path, config_path)
    if output.name != "-" and _is_archive_file(Path(output.name), db):
        # The output file is opened (and emptied) at the first write, mid-read.
        raise click.ClickException(f"{output.name} is the archive itself; export somewhere else")
    with _open_archive(db, readonly=True) as archive:
        rows = archive.export_versions()
        if fmt == "jsonl":
            for row in rows:
                output.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif fmt == "json":
            output.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
        else:
            writer = None
            for row in rows:
                if writer is None:
                    writer = csv.DictWriter(output, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)


def _is_archive_file(path: Path, db: Path) -> bool:
    """True when *path* is the archive at *db* or its -wal or -shm file."""
    for name in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        try:
            if path.resolve() == name.resolve() or (
                path.exists() and name.exists() and path.samefile(name)
            ):
                return True
        except OSError:
            continue
    return False


@cli.command()
@config_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open a browser on it.")
def serve(
    config_path: Path, db_path: Path | None, host: str, port: int, open_browser: bool
) -> None:
    """Browse and search the archive in Datasette (read-only, safe while `run` writes).

    Besides Datasette's tables and views (DB is the file name without .db):
    /DB/-/search?q=WORDS, /DB/-/history/ID, /DB/-/diff/ID?a=1&b=2 and the Atom feed
    /DB/-/changes.atom.
    """
    from archive.datasette.plugin import serve_archive

    db = _db_path(db_path, config_path)
    with _open_archive(db, readonly=True):
        pass  # a missing, damaged or foreign file is refused here, not in Datasette's log
    click.echo(f"Serving {db} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve_archive(db, host=host, port=port, open_browser=open_browser)


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("demo.db"),
    show_default=True,
    help="Where to write the archive.",
)
@click.option(
    "--crawls",
    type=click.IntRange(1, 1000),
    default=16,
    show_default=True,
    help="How many crawl cycles (the site clock moves 30 minutes between them).",
)
@click.option(
    "--keep", is_flag=True, help="Keep an existing demo archive instead of starting over."
)
def demo(db_path: Path, crawls: int, keep: bool) -> None:
    """The whole pipeline offline, on a bundled news site served on 127.0.0.1.

    The site's articles get edited, moved and unpublished while its "Latest news" teasers
    rotate; the scheduler crawls it on an accelerated clock. Then it prints what was stored.
    """
    from scraper.demo.run import run_demo

    if db_path.exists() and not keep:
        _only_a_demo_archive(db_path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    try:
        run_demo(db_path, crawls=crawls, echo=_echo_until_the_reader_leaves)
    except (ArchiveError, LockError) as exc:
        raise _fail(exc) from exc


def _echo_until_the_reader_leaves(line: str) -> None:
    """click.echo, but `newsarchive demo | head` stops printing instead of failing each crawl."""
    try:
        click.echo(line)
    except BrokenPipeError:
        # As the Python docs advise for SIGPIPE: send the rest of the output nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _only_a_demo_archive(db_path: Path) -> None:
    """Starting the demo over deletes *db_path*: refuse unless it holds the demo site only."""
    from scraper.crawl.lock import ArchiveBusy, read_holder
    from scraper.demo.run import SITE_NAME

    keep = "not deleting it to start the demo over (pass another --db)"
    holder = read_holder(db_path)
    if holder is not None:
        raise click.ClickException(f"{ArchiveBusy(db_path, holder)}; {keep}")
    if db_path.is_file() and db_path.stat().st_size == 0:
        return
    try:
        with Archive(db_path, readonly=True) as archive:
            sites = {r["site"] for r in archive.db.query("select distinct site from articles")}
    except (ArchiveError, sqlite3.DatabaseError) as exc:
        raise click.ClickException(f"{exc}; {keep}") from exc
    if sites - {SITE_NAME}:
        others = ", ".join(sorted(sites - {SITE_NAME}))
        raise click.ClickException(f"{db_path} holds articles of other sites ({others}); {keep}")


if __name__ == "__main__":  # python -m scraper.cli.main
    main()
