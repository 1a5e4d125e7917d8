"""The ``newsarchive`` command: click commands, thin (parse, call the library, print).

May import: every other package; nothing imports it.
"""

from scraper.cli.main import cli, main

__all__ = ["cli", "main"]
