"""``newsarchive extract``: run the extractor on a file, stdin or a URL, and print the result.

May import: :mod:`scraper.cli.app`, :mod:`scraper.extract`, :mod:`scraper.fetch`,
:mod:`scraper.config`, :mod:`scraper.urls`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from scraper.cli.app import (
    cli,
    config_option,
    fail,
    path_problem,
    read_config,
    say,
)


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
    from scraper import urls as urlmod
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
        problem = path_problem(source)
        if problem:
            raise click.BadParameter(problem, param_hint="SOURCE")
        if not path.is_file():
            raise click.ClickException(f"{source}: no such file (or give an http(s) URL)")
        data = path.read_bytes()
    kind = binary_kind(data)
    if kind:
        raise click.ClickException(
            f"{source}: {kind}, not an HTML page: nothing to extract (give the page's HTML)"
        )
    config = read_config(config_path, required=False)
    rules = ExtractRules(body_selector, tuple(discard)) if body_selector or discard else None
    if rules is None and url:
        site = config.site_for(url) if config else None
        rules = site.rules if site else None
    try:
        if explain:
            click.echo(json.dumps(explain_fn(data, url, rules), indent=2, ensure_ascii=False))
            return
        article = extract_fn(data, url, rules, with_html=fmt in ("html", "markdown"))
    except ExtractionError as exc:
        raise fail(exc) from exc
    if fmt == "text":
        say(article.title + "\n\n" + article.text)
    elif fmt == "html":
        click.echo(article.html or "")
    elif fmt == "markdown":
        say(article.markdown or "")
    else:
        click.echo(json.dumps(asdict(article), indent=2, ensure_ascii=False))


# File signatures of formats people mistake for pages (a saved PDF, an image, an archive).
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP, WAV, AVI)"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/EPUB/ODF document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
# Bytes no text encoding of a web page uses (NUL and the C0 controls but tab, LF, FF, CR, ESC).
_NOT_TEXT = bytes(set(range(32)) - {9, 10, 12, 13, 27})


def binary_kind(data: bytes) -> str | None:
    """What *data* is when it is not text (a file signature, else "binary data"), or None.

    UTF-16 pages (with a BOM) are text; otherwise a NUL byte, or control bytes making up more
    than 1% of the first 8 KiB, mean binary: decoding it would print pages of mojibake.
    """
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if not head:
        return None
    controls = sum(head.count(bytes([b])) for b in _NOT_TEXT)
    if b"\x00" in head or controls > len(head) // 100:
        return "binary data"
    return None


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
    import asyncio

    from scraper.config import CrawlSettings
    from scraper.fetch.client import Fetcher, FetchError

    config = read_config(config_path, required=False)
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
