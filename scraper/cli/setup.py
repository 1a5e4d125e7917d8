"""``newsarchive init``: a commented starter ``config.toml`` (a ``pip install`` leaves none).

The starter is ``starter_config.toml`` beside this file, the same text as the project's own
``config.toml`` (a test keeps them equal), so every setting is there with what it does.

May import: :mod:`scraper.cli.app`, the standard library.
"""

from __future__ import annotations

from pathlib import Path

import click

from scraper.cli.app import cli

STARTER = "starter_config.toml"


def starter_text() -> str:
    from importlib import resources

    return resources.files("scraper.cli").joinpath(STARTER).read_text(encoding="utf-8")


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a config.toml that is already there.")
def init(directory: Path | None, force: bool) -> None:
    """Write a commented starter config.toml into DIRECTORY (default: the current folder).

    Every setting is in it with a comment saying what it does; edit the [[sites]] (a few real
    news sites are there as examples) and the user_agent's contact, then run `newsarchive
    crawl` in that folder. An existing config.toml is left alone unless --force.
    """
    folder = directory or Path(".")
    target = folder / "config.toml"
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists (pass --force to replace it)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_text(), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {target}: edit its [[sites]] and user_agent, then run `newsarchive crawl`")
