"""Commands that read the archive: ``history``, ``diff``, ``show``, ``changes``, ``search``.

May import: :mod:`scraper.cli.app`, :mod:`archive`, :mod:`scraper.config` (durations).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scraper.cli.app import (
    article_of,
    cli,
    config_option,
    db_option,
    fail,
    open_archive,
    resolve_db,
    resolve_db_and_config,
    say,
)

if TYPE_CHECKING:
    from archive.store import Archive


@cli.command()
@click.argument("article")
@config_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="markdown: a document for people, with each version's changes as a diff.",
)
def history(article: str, config_path: Path, db_path: Path | None, as_json: bool, fmt: str) -> None:
    """The versions of ARTICLE (a URL or an article id), with lifecycle events.

    One line per version (number, captured at, change kind, words added/removed, title) and
    per event (gone, moved, soft-404, failing, revived), in time order. --format markdown
    writes the whole history as a document: the first version's text, then what each edit
    changed.
    """
    with open_archive(resolve_db(db_path, config_path), readonly=True) as archive:
        row = article_of(archive, article)
        versions = archive.versions(row["id"])
        events = archive.events(row["id"])
        captures = archive.captures(row["id"])
    if fmt == "markdown":
        from archive.diff.render_markdown import render_history_markdown

        blocks = render_history_markdown(row, versions, events, captures=len(captures))
        click.echo("\n\n".join(blocks))
        return
    if as_json or fmt == "json":
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
    say(f"{row['url']}  (article {row['id']}, site {row['site']}, status {row['status']})")
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
        say(line)
    if not versions and captures:  # say why the table is empty
        last = captures[-1]
        why = f" ({last['reason']}: {last['error'] or ''})" if last["reason"] else ""
        say(f"no version yet; last capture {last['fetched_at']}: {last['outcome']}{why}")


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
    from archive import diff as diffmod

    if len(versions) > 2:
        raise click.UsageError("give at most two version numbers")
    a = versions[0] if versions else from_
    b = versions[1] if len(versions) > 1 else to
    with open_archive(resolve_db(db_path, config_path), readonly=True) as archive:
        row = article_of(archive, article)
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
    from archive.store import ArchiveError

    with open_archive(resolve_db(db_path, config_path), readonly=True) as archive:
        row = article_of(archive, article)
        try:
            v = archive.version(row["id"], number if number is not None else -1)
        except ArchiveError as exc:
            raise fail(exc) from exc
    say(v["title"])
    meta = [f"version {v['version']} captured {v['captured_at']}"]
    if v["byline"]:
        meta.append(f"by {v['byline']}")
    if v["published"]:
        meta.append(f"published {v['published']}")
    say(" · ".join(meta))
    click.echo("")
    say(v["text"])


@cli.command()
@click.option(
    "--since", default="1d", show_default=True, help="How far back: a duration like 90m, 12h, 7d."
)
@click.option("--site", help="Only this site.")
@config_option
@db_option
def changes(since: str, site: str | None, config_path: Path, db_path: Path | None) -> None:
    """Recent edits across the archive (versions after the first), newest first."""
    from scraper.config import ConfigError, parse_duration

    try:
        start = datetime.now(UTC) - parse_duration(since)
    except (ValueError, ConfigError) as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    except OverflowError:  # further back than datetime goes: everything
        start = datetime.min.replace(tzinfo=UTC)
    db, config = resolve_db_and_config(db_path, config_path)
    with open_archive(db, readonly=True) as archive:
        known = archive.sites() | {s.name for s in (config.sites if config else ())}
        if site is not None and site not in known:
            names = ", ".join(sorted(known)) or "none yet"
            raise click.BadParameter(f"unknown site {site!r} (sites: {names})", param_hint="--site")
        rows = archive.changes_since(start, site)
    if not rows:
        click.echo(f"no changes in the last {since}")
    for r in rows:
        say(
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
    help="Search every version, not only the latest text of each article.",
)
@config_option
@db_option
def search(
    query: str, limit: int, all_versions: bool, config_path: Path, db_path: Path | None
) -> None:
    """Full-text search over each article's latest title and text (--all-versions: every
    version).

    Every word must match, stemmed ("edit" finds "edited"); "quotes" make a phrase and
    word* matches by prefix. Other punctuation and FTS operators (AND, OR, NEAR) are plain
    text. Best matches first (BM25, among the 1,000 newest matches).
    """
    from archive.search import fts_query

    if not fts_query(query):
        raise click.UsageError(f"nothing to search for in {query!r}: give at least one word")
    with open_archive(resolve_db(db_path, config_path), readonly=True) as archive:
        hits = archive.search(query, limit, all_versions=all_versions)
    if not hits:
        click.echo(f"no match for {query!r}")
    for hit in hits:
        snippet = " ".join(hit.snippet.split())  # one line: the excerpt may span paragraphs
        say(f"{hit.url}  v{hit.version}  {hit.captured_at}\n  {hit.title}\n  {snippet}")
