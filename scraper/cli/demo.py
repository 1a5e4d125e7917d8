"""``newsarchive demo``: the whole pipeline offline on the bundled news site.

May import: :mod:`scraper.cli.app`, :mod:`scraper.demo`, :mod:`scraper.crawl.lock`, :mod:`archive`.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scraper.cli.app import (
    FilePath,
    cli,
    fail,
)

if TYPE_CHECKING:
    pass


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=FilePath(dir_okay=False, path_type=Path),
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
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the demo news site on 127.0.0.1 (0: any free port).",
)
def demo(db_path: Path, crawls: int, keep: bool, port: int) -> None:
    """The whole pipeline offline, on a bundled news site served on 127.0.0.1.

    The site's articles get edited, moved and unpublished while its "Latest news" teasers
    rotate; the scheduler crawls it on an accelerated clock. Then it prints what was stored.
    """
    from archive.store import ArchiveError
    from scraper.crawl.lock import LockError
    from scraper.demo.run import run_demo

    if db_path.exists() and not keep:
        _only_a_demo_archive(db_path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    try:
        run_demo(db_path, crawls=crawls, echo=_echo_until_the_reader_leaves, port=port)
    except (ArchiveError, LockError) as exc:
        raise fail(exc) from exc
    except OSError as exc:
        if port and exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise click.ClickException(
                f"cannot serve the demo site on 127.0.0.1:{port} ({exc.strerror}); "
                "choose another --port, or 0 for any free one"
            ) from exc
        raise


def _echo_until_the_reader_leaves(line: str) -> None:
    """click.echo, but `newsarchive demo | head` stops printing instead of failing each crawl."""
    try:
        click.echo(line)
    except BrokenPipeError:
        # As the Python docs advise for SIGPIPE: send the rest of the output nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _only_a_demo_archive(db_path: Path) -> None:
    """Starting the demo over deletes *db_path*: refuse unless it holds the demo site only."""
    from archive.store import Archive, ArchiveError, DamagedArchive
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
            sites = archive.sites()
    except (ArchiveError, DamagedArchive) as exc:
        raise click.ClickException(f"{exc}; {keep}") from exc
    if sites - {SITE_NAME}:
        others = ", ".join(sorted(sites - {SITE_NAME}))
        raise click.ClickException(f"{db_path} holds articles of other sites ({others}); {keep}")
