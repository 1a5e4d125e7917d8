"""Is this response an HTML page? WHATWG MIME sniffing, as a browser would decide it.

The type a server declares mostly wins, as in the WHATWG MIME Sniffing standard
(https://mimesniff.spec.whatwg.org/, "MIME type sniffing algorithm"):

- declared ``text/html``: only the standard's "feed or HTML" rule applies: an RSS, Atom or
  RDF feed (and, here, a sitemap) served as text/html is not a page. Bytes that look binary
  are *not* a reason to refuse a declared page: a stray NUL in an HTML page is common (a
  copy-pasted control character, a broken template) and browsers render such pages;
- declared ``application/xhtml+xml``: HTML unless it is a feed, as above;
- no usable type (none, ``unknown/unknown``, ``application/unknown``, ``*/*``): HTML when the
  first bytes match the standard's HTML patterns (``<!DOCTYPE HTML``, ``<html``, ``<p`` ...
  each followed by a space or ``>``), after leading whitespace;
- any other declared type: not HTML.

One deliberate addition to the standard: a body that starts with the signature of a binary
format (PDF, PostScript, images, audio and video, archives, fonts, executables, the patterns of
the standard's own tables) is that format, even when declared text/html. A PDF served as
text/html is a CMS misconfiguration, and parsing it as a page would archive garbage as text.

May import: nothing from scraper (pure functions over bytes).
"""

from __future__ import annotations

__all__ = ["HTML_TYPES", "SNIFFED_TYPES", "is_binary_signature", "looks_like_html", "media_type"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SNIFFED_TYPES = frozenset({"", "unknown/unknown", "application/unknown", "*/*"})
#: The standard sniffs the first 1445 bytes at most ("resource header").
HEADER_BYTES = 1445

_WHITESPACE = b"\t\n\x0c\r "
_TAG_TERMINATING = b" >"
_BOM = b"\xef\xbb\xbf"

_BINARY_MAGIC = (
    b"%PDF-",
    b"%!PS",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"PK\x03\x04",  # zip, docx, epub
    b"\x1f\x8b\x08",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"OggS\x00",
    b"ID3",
    b"fLaC",
    b"\x1aE\xdf\xa3",  # WebM / Matroska
    b"wOFF",
    b"wOF2",
    b"\x00\x00\x01\x00",  # ico
    b"\x00\x00\x02\x00",  # cur
    b"\x7fELF",
    b"MZ",
    b"\x00asm",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE (doc, xls)
)

#: The standard's HTML patterns ("rules for identifying an unknown MIME type", step 1), each
#: to be followed by a tag-terminating byte (space or ``>``).
_HTML_PATTERNS = tuple(
    p.encode("ascii")
    for p in (
        "<!doctype html",
        "<html",
        "<head",
        "<script",
        "<iframe",
        "<h1",
        "<div",
        "<font",
        "<table",
        "<a",
        "<style",
        "<title",
        "<b",
        "<body",
        "<br",
        "<p",
        "<!--",
    )
)


def media_type(content_type: str | None) -> str:
    """The essence of a Content-Type value: ``"Text/HTML; charset=x"`` -> ``"text/html"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_binary_signature(head: bytes) -> bool:
    """Whether *head* starts with the signature of a binary format (see the module docstring)."""
    if head.startswith(_BINARY_MAGIC) or head[4:8] == b"ftyp":  # ftyp: mp4, heic, avif
        return True
    return head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI ")


def _matches_html_pattern(head: bytes) -> bool:
    start = head.lstrip(_WHITESPACE)
    if start.startswith(_BOM):  # a BOM before the markup: still the page's first bytes
        start = start[len(_BOM) :].lstrip(_WHITESPACE)
    lowered = start[:32].lower()
    for pattern in _HTML_PATTERNS:
        if lowered.startswith(pattern) and lowered[len(pattern) : len(pattern) + 1] in (
            b" ",
            b">",
        ):
            return True
    return False


def _skip_to(data: bytes, pos: int, marker: bytes) -> int:
    found = data.find(marker, pos)
    return len(data) if found < 0 else found + len(marker)


def is_feed(head: bytes) -> bool:
    """The standard's "distinguishing if a resource is a feed or HTML" (plus sitemaps).

    Comments, ``<!...>`` declarations and ``<?...?>`` processing instructions are skipped; the
    first element decides: ``rss``, ``feed``, ``rdf:RDF`` with the RSS 1.0 namespaces, and
    (beyond the standard) a sitemap's ``urlset`` or ``sitemapindex``.
    """
    data = head[:HEADER_BYTES]
    pos = len(_BOM) if data.startswith(_BOM) else 0
    while pos < len(data):
        while pos < len(data) and data[pos : pos + 1] in (b"\t", b"\n", b"\x0c", b"\r", b" "):
            pos += 1
        if data[pos : pos + 1] != b"<":
            return False
        pos += 1
        if data.startswith(b"!--", pos):
            pos = _skip_to(data, pos + 3, b"-->")
        elif data.startswith(b"!", pos):
            pos = _skip_to(data, pos + 1, b">")
        elif data.startswith(b"?", pos):
            pos = _skip_to(data, pos + 1, b"?>")
        else:
            rest = data[pos:]
            if rest.startswith((b"rss", b"feed", b"urlset", b"sitemapindex")):
                return True
            if rest.startswith(b"rdf:RDF"):
                return (
                    b"http://purl.org/rss/1.0/" in rest
                    and b"http://www.w3.org/1999/02/22-rdf-syntax-ns#" in rest
                )
            return False
    return False


def looks_like_html(content_type: str | None, body: bytes) -> bool:
    """Whether a body should be parsed as an HTML page (see the module docstring)."""
    head = body[:HEADER_BYTES]
    if is_binary_signature(head):
        return False
    media = media_type(content_type)
    if media in HTML_TYPES:
        return not is_feed(head)
    if media in SNIFFED_TYPES:
        return _matches_html_pattern(head)
    return False
