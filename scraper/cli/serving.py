"""``newsarchive serve``: the archive in Datasette, read-only.

May import: :mod:`scraper.cli.app`, :mod:`archive` (its Datasette plugin).
"""

from __future__ import annotations

from pathlib import Path

import click

from scraper.cli.app import (
    cli,
    config_option,
    db_option,
    open_archive,
    resolve_db,
)


@cli.command()
@config_option
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=lambda ctx, param, value: _host(value),
    help="Interface to listen on.",
)
@click.option(
    "-p",
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open a browser on it.")
def serve(
    config_path: Path, db_path: Path | None, host: str, port: int, open_browser: bool
) -> None:
    """Browse and search the archive in Datasette (read-only, safe while `run` writes).

    Besides Datasette's tables and views (DB is the file name without .db):
    /DB/-/search?q=WORDS, /DB/-/history/ID, /DB/-/diff/ID?a=1&b=2 and the Atom feed
    /DB/-/changes.atom.
    """
    from archive.datasette.serve import serve_archive

    db = resolve_db(db_path, config_path)
    with open_archive(db, readonly=True):
        pass  # a missing, damaged or foreign file is refused here, not in Datasette's log
    click.echo(f"Serving {db} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve_archive(db, host=host, port=port, open_browser=open_browser)


def _host(value: str) -> str:
    """A name the resolver can be asked about (labels of 63 characters at most, no NUL)."""
    try:
        if "\x00" in value:
            raise UnicodeError("NUL byte")
        value.encode("idna")
    except UnicodeError as exc:
        raise click.BadParameter(f"not a host name or address: {value[:80]!r}") from exc
    return value
