"""``newsarchive export``: every version as JSON lines, JSON or CSV.

May import: :mod:`scraper.cli.app`, :mod:`archive`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

from scraper.cli.app import (
    OutputFile,
    cli,
    config_option,
    db_option,
    open_archive,
    resolve_db,
)


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
    type=OutputFile("w", encoding="utf-8"),
    default="-",
    help="Write here instead of standard output.",
)
@config_option
@db_option
def export(fmt: str, output, config_path: Path, db_path: Path | None) -> None:
    """Export every version: url, version, captured_at, title, byline, published, text."""
    db = resolve_db(db_path, config_path)
    if output.name != "-" and _is_archive_file(Path(output.name), db):
        # The output file is opened (and emptied) at the first write, mid-read.
        raise click.ClickException(f"{output.name} is the archive itself; export somewhere else")
    with open_archive(db, readonly=True) as archive:
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
