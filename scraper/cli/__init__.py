"""The ``newsarchive`` command: click commands, thin (parse, call the library, print).

``app`` holds the group, the shared options and helpers; each other module is one family of
commands, registered on the group when imported here.

May import: every other package; nothing imports it.
"""

from scraper.cli import crawling, demo, exporting, extracting, interop, reading, serving, setup
from scraper.cli.app import cli, main

__all__ = [
    "cli",
    "crawling",
    "demo",
    "exporting",
    "extracting",
    "interop",
    "main",
    "reading",
    "serving",
    "setup",
]
