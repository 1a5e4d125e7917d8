"""``newsarchive export``: versions or articles as JSON lines, JSON or CSV; captures as WARC.

Rows stream from one cursor to the output (``--format json`` excepted, which is one document),
so exports of any size run in constant memory; ``bench/export.py`` measures it.

May import: :mod:`scraper.cli.app`, :mod:`scraper.cli.interop`, :mod:`archive`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import click

from scraper import __version__
from scraper.cli.app import (
    FilePath,
    cli,
    config_option,
    db_option,
    fail,
    open_archive,
    resolve_db,
)
from scraper.cli.interop import parse_since, since_option

#: JSON columns of the versions table, written as JSON values (jsonl) or kept as text (csv).
_JSON_COLUMNS = ("authors", "tags", "change_summary", "aliases")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json", "csv", "warc"]),
    default="jsonl",
    show_default=True,
    help="warc: every capture as WARC/1.1 records (needs -o), with a CDXJ index beside it.",
)
@click.option(
    "--what",
    type=click.Choice(["versions", "articles"]),
    default="versions",
    show_default=True,
    help="Rows of jsonl/json/csv: one per version (with change kinds and summaries) or article.",
)
@click.option(
    "-o",
    "--output",
    "output_name",
    type=FilePath(dir_okay=False),
    default=None,
    help="Write here instead of standard output (required for warc: OUT.warc.gz).",
)
@click.option("--site", help="Only this site.")
@since_option
@config_option
@db_option
def export(
    fmt: str,
    what: str,
    output_name: str | None,
    site: str | None,
    since: str | None,
    config_path: Path,
    db_path: Path | None,
) -> None:
    """Export versions or articles (jsonl, json, csv), or every capture as a WARC file.

    Versions come with their article's URL and site, change kind, words added and removed and
    the change summary; articles with their status, counts and aliases. The WARC export holds
    each capture's request and response as fetched (bodies as stored: decoded, which each
    record's Newsarchive-Body header says), identical bodies as revisit records, and writes
    OUT.cdxj beside OUT.warc.gz for pywb.
    """
    db = resolve_db(db_path, config_path)
    moment = parse_since(since)
    output = Path(output_name) if output_name not in (None, "-") else None
    if output is not None and _is_archive_file(output, db):
        # The output file would be emptied at the first write, mid-read.
        raise click.ClickException(f"{output_name} is the archive itself; export somewhere else")
    if fmt == "warc":
        _export_warc(db, output, site, moment)
        return
    with open_archive(db, readonly=True) as archive:
        rows: Iterable[dict[str, Any]] = (
            archive.export_versions(site=site, since=moment)
            if what == "versions"
            else archive.export_articles(site=site, since=moment)
        )
        if output is None:
            _write_rows(rows, fmt, sys.stdout)
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as out:
                _write_rows(rows, fmt, out)
        except OSError as exc:
            raise click.ClickException(f"{output}: {exc.strerror or exc}") from exc


def _write_rows(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(_decoded(row), ensure_ascii=False) + "\n")
    elif fmt == "json":
        out.write(json.dumps([_decoded(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
    else:
        writer = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns as JSON values, not strings inside strings."""
    for key in _JSON_COLUMNS:
        if isinstance(row.get(key), str):
            with contextlib.suppress(ValueError):
                row[key] = json.loads(row[key])
    return row


def _export_warc(db: Path, output: Path | None, site: str | None, since: Any) -> None:
    from archive.warc_out import WarcExportError, export_warc

    if output is None:
        raise click.UsageError("--format warc needs -o OUT.warc.gz (and writes OUT.cdxj beside it)")
    with open_archive(db, readonly=True) as archive:
        try:
            report = export_warc(
                archive, output, site=site, since=since, software=f"newsarchive {__version__}"
            )
        except WarcExportError as exc:
            raise fail(exc) from exc
    click.echo(
        f"{report.path}: {report.captures} captures ({report.responses} responses, "
        f"{report.revisits} revisits, {report.redirects} redirect hops), {report.size} bytes; "
        f"index {report.index_path}"
        + (
            f"; {report.without_response} captures without an HTTP response (robots, "
            "timeouts) have nothing to export"
            if report.without_response
            else ""
        )
    )


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
