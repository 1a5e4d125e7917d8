"""The ``newsarchive`` click group, the options its commands share, and the helpers they call.

Library errors become ``click.ClickException`` in the CLI and nowhere else, so every failure a
user can cause ends with one clear line and a non-zero exit, never a traceback. The command
modules (``crawling``, ``reading``, ``extracting``, ``exporting``, ``serving``, ``demo``)
register themselves on :data:`cli` when :mod:`scraper.cli` imports them.

May import: :mod:`archive`, :mod:`scraper.config`, :mod:`scraper.urls`, :mod:`scraper.logs`,
:mod:`scraper.crawl.lock` (heavier packages are imported inside the commands that use them, so
``--help`` stays fast).
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scraper import __version__, logs

if TYPE_CHECKING:
    from archive.store import Archive, DamagedArchive
    from scraper.config import Config

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_CONFIG = "config.toml"


# --------------------------------------------------------------------------- shared options


def path_problem(value: str) -> str | None:
    """Why the OS cannot take *value* as a file name (a NUL byte, a name too long), or None."""
    if "\x00" in value:
        return "a file name cannot contain a NUL byte"
    try:
        os.stat(value)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return "file name too long"
    except ValueError as exc:
        return str(exc)
    return None


class FilePath(click.Path):
    """``click.Path`` that refuses names the OS cannot take, as a usage error naming the option
    (``os.stat`` raises ValueError or ENAMETOOLONG there, which ``click.Path`` lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        problem = path_problem(os.fspath(value)) if isinstance(value, str | Path) else None
        if problem:
            self.fail(problem, param, ctx)
        return super().convert(value, param, ctx)


class OutputFile(click.File):
    """``click.File`` with the same refusals as :class:`FilePath`."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        problem = path_problem(os.fspath(value)) if isinstance(value, str | Path) else None
        if problem:
            self.fail(problem, param, ctx)
        return super().convert(value, param, ctx)


def config_option(fn: Callable) -> Callable:
    return click.option(
        "--config",
        "config_path",
        type=FilePath(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG,
        show_default=True,
        help="The configuration file (sites, crawl settings, archive path).",
    )(fn)


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=FilePath(dir_okay=False, path_type=Path),
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


def read_config(path: Path, *, required: bool) -> Config | None:
    from scraper.config import ConfigError, load_config

    if not path.exists():
        if required:
            raise click.ClickException(
                f"{path}: no such configuration file. Write a commented one with "
                "`newsarchive init`, edit its [[sites]], or pass --config PATH."
            )
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def resolve_db_and_config(db_path: Path | None, config_path: Path) -> tuple[Path, Config | None]:
    """The archive path (--db, else the config's) and the config when there is one."""
    config = read_config(config_path, required=False)
    if db_path is not None:
        return db_path, config
    if config is None:
        raise click.ClickException(f"no --db given and no {config_path} to read [archive] db from")
    return config.db_path, config


def resolve_db(db_path: Path | None, config_path: Path) -> Path:
    """The archive path; with --db the config file is not even read."""
    return db_path if db_path is not None else resolve_db_and_config(None, config_path)[0]


@contextmanager
def open_archive(db_path: Path, *, readonly: bool = False) -> Iterator[Archive]:
    from archive.store import Archive, ArchiveError, DamagedArchive

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
    except DamagedArchive as exc:  # a page damaged after the file was opened
        raise damaged(db_path, exc) from exc
    finally:
        archive.close()


def damaged(db_path: Path, exc: DamagedArchive) -> click.ClickException:
    return click.ClickException(
        f"{db_path}: cannot read the archive ({exc}); "
        f'check it with: sqlite3 "{db_path}" "pragma integrity_check"'
    )


def article_of(archive: Archive, ref: str) -> dict[str, Any]:
    """An article by id or URL (normalized like the crawler does)."""
    from scraper import urls as urlmod

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


def say(text: str) -> None:
    """``click.echo`` for archived text: control characters are shown as U+FFFD."""
    click.echo(_CONTROL_RE.sub("\ufffd", text))


def fail(exc: Exception) -> click.ClickException:
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
