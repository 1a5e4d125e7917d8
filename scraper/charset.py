"""Decode HTML bytes to text the way a browser would, without inventing U+FFFD.

Order of evidence (WHATWG "encoding sniffing", simplified):

1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
2. the ``charset`` parameter of the Content-Type header;
3. ``<meta charset>`` or ``<meta http-equiv="Content-Type" content="...; charset=...">`` (or an
   XML declaration) in the first 8 KiB;
4. detection: UTF-8 when the bytes are valid UTF-8, else charset-normalizer, else windows-1252.

Labels are resolved with the WHATWG table, so ``iso-8859-1``, ``latin1`` and ``us-ascii`` mean
windows-1252 and ``gb2312`` means GBK, exactly as browsers read them. Python codec names that are
not web encodings (``unicode_escape``, ``rot13``, ``utf-7`` ...) are never accepted from a page.

Servers do lie about charsets. A declared encoding in which the bytes are mostly invalid is
treated as a lie and the next piece of evidence is tried; a declared encoding with a few stray
invalid bytes among many valid characters is kept, and only those stray bytes become U+FFFD.

May import: no other scraper module (it sits at the ground beside :mod:`scraper.urls`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from functools import cache

import charset_normalizer

__all__ = ["decode_html", "normalize_label", "charset_from_content_type", "sniff_meta_charset"]

META_SCAN_BYTES = 8 * 1024
DETECT_SAMPLE_BYTES = 64 * 1024
WINDOWS_1252_TOLERANCE = 0.15

# WHATWG encoding name -> (Python codec used to decode, whitespace separated labels).
# Python codecs are chosen as the closest superset of the WHATWG decoder (cp932 for Shift_JIS,
# cp949 for EUC-KR, gb18030 for GBK, big5hkscs for Big5).
_ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    "ibm866": ("cp866", "866 cp866 csibm866 ibm866"),
    "iso-8859-2": (
        "iso8859_2",
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    ),
    "iso-8859-3": (
        "iso8859_3",
        "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    ),
    "iso-8859-4": (
        "iso8859_4",
        "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    ),
    "iso-8859-5": (
        "iso8859_5",
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 "
        "iso_8859-5:1988",
    ),
    "iso-8859-6": (
        "iso8859_6",
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 "
        "iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    ),
    "iso-8859-7": (
        "iso8859_7",
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
        "iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    ),
    "iso-8859-8": (
        "iso8859_8",
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 "
        "iso88598 iso_8859-8 iso_8859-8:1988 visual",
    ),
    "iso-8859-8-i": ("iso8859_8", "csiso88598i iso-8859-8-i logical"),
    "iso-8859-10": (
        "iso8859_10",
        "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    ),
    "iso-8859-13": ("iso8859_13", "iso-8859-13 iso8859-13 iso885913"),
    "iso-8859-14": ("iso8859_14", "iso-8859-14 iso8859-14 iso885914"),
    "iso-8859-15": ("iso8859_15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    "iso-8859-16": ("iso8859_16", "iso-8859-16"),
    "koi8-r": ("koi8_r", "cskoi8r koi koi8 koi8-r koi8_r"),
    "koi8-u": ("koi8_u", "koi8-ru koi8-u"),
    "macintosh": ("mac_roman", "csmacintosh mac macintosh x-mac-roman"),
    "windows-874": ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    "windows-1250": ("cp1250", "cp1250 windows-1250 x-cp1250"),
    "windows-1251": ("cp1251", "cp1251 windows-1251 x-cp1251"),
    "windows-1252": (
        "cp1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 "
        "iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    ),
    "windows-1253": ("cp1253", "cp1253 windows-1253 x-cp1253"),
    "windows-1254": (
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 "
        "l5 latin5 windows-1254 x-cp1254",
    ),
    "windows-1255": ("cp1255", "cp1255 windows-1255 x-cp1255"),
    "windows-1256": ("cp1256", "cp1256 windows-1256 x-cp1256"),
    "windows-1257": ("cp1257", "cp1257 windows-1257 x-cp1257"),
    "windows-1258": ("cp1258", "cp1258 windows-1258 x-cp1258"),
    "x-mac-cyrillic": ("mac_cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    "gbk": (
        "gb18030",
        "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    ),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    "euc-jp": ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    "iso-2022-jp": ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    "shift_jis": (
        "cp932",
        "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    ),
    "euc-kr": (
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 "
        "ksc_5601 windows-949",
    ),
    "utf-16be": ("utf-16-be", "unicodefffe utf-16be"),
    "utf-16le": (
        "utf-16-le",
        "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    ),
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
)

_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.DOTALL)
_XML_DECL = re.compile(rb"""^<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
# WHATWG single-byte "windows-*" decoders map the few bytes Python leaves undefined to C1 controls.
_UNDEFINED_BYTE = re.compile("[\udc80-\udcff]")


@cache
def _label_table() -> dict[str, str]:
    return {label: name for name, (_, labels) in _ENCODINGS.items() for label in labels.split()}


def normalize_label(label: str | None) -> str | None:
    """The WHATWG encoding name for *label*, or None when it is not a web encoding."""
    if not label:
        return None
    return _label_table().get(label.strip().strip("\"'").lower())


def charset_from_content_type(content_type: str | None) -> str | None:
    """The WHATWG encoding named by a Content-Type header's ``charset`` parameter, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type.encode("latin-1", "replace"))
    return normalize_label(match.group(1).decode("ascii")) if match else None


def sniff_meta_charset(body: bytes, limit: int = META_SCAN_BYTES) -> str | None:
    """The encoding declared by ``<meta>`` (or an XML declaration) near the start of *body*."""
    head = _COMMENT.sub(b"", body[:limit])
    for tag in _META_TAG.finditer(head):
        match = _CHARSET_PARAM.search(tag.group(0))
        if match:
            name = normalize_label(match.group(1).decode("ascii"))
            if name is None:
                continue
            # A meta tag that can be read as ASCII cannot really be UTF-16 (WHATWG rule).
            return "utf-8" if name.startswith("utf-16") else name
    match = _XML_DECL.match(head.lstrip())
    if match:
        name = normalize_label(match.group(1).decode("ascii"))
        if name is not None:
            return "utf-8" if name.startswith("utf-16") else name
    return None


def _python_codec(name: str) -> str:
    return _ENCODINGS[name][0]


def _decode(body: bytes, name: str, errors: str) -> str:
    codec = _python_codec(name)
    if codec.startswith("cp12") or codec == "cp874":
        text = body.decode(codec, "surrogateescape")
        if max(text, default="\x00") >= "\udc80":  # cheap pre-check before the regex
            text = _UNDEFINED_BYTE.sub(lambda m: chr(ord(m.group(0)) - 0xDC00), text)
        return text
    return body.decode(codec, errors)


def _try_decode(body: bytes, name: str) -> str | None:
    """Decode when *name* plausibly is the page's encoding, else None.

    Strictly valid: accept. A few invalid bytes among many valid non-ASCII characters: accept
    with U+FFFD for just those bytes. Mostly invalid: the label was wrong, return None.
    """
    try:
        return _decode(body, name, "strict")
    except UnicodeDecodeError:
        pass
    text = _decode(body, name, "replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ch > "\x7f") - bad
    if bad * 20 <= good:
        return text
    return None


@cache
def _python_to_whatwg() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, (codec, _) in _ENCODINGS.items():
        table.setdefault(codecs.lookup(codec).name, name)
    # charset-normalizer reports the narrower codec names; map them to their web encodings.
    for alias, name in (
        ("latin_1", "windows-1252"),
        ("ascii", "windows-1252"),
        ("shift_jis", "shift_jis"),
        ("euc_kr", "euc-kr"),
        ("gb2312", "gbk"),
        ("gbk", "gbk"),
        ("big5", "big5"),
        ("iso8859_11", "windows-874"),
        ("iso8859_9", "windows-1254"),
        ("tis_620", "windows-874"),
        ("utf_16", "utf-16le"),
    ):
        table[codecs.lookup(alias).name] = name
    return table


def _detect(body: bytes) -> str | None:
    """charset-normalizer's pick, nudged towards windows-1252.

    On short Western pages the detector often ranks a Baltic or Central European code page first
    by a hair; windows-1252 is by far the most common legacy web encoding, so it wins when its
    "chaos" score is within ``WINDOWS_1252_TOLERANCE`` of the best guess.
    """
    results = list(charset_normalizer.from_bytes(body[:DETECT_SAMPLE_BYTES]))
    if not results:
        return None
    names = [_whatwg_name(match.encoding) for match in results]
    best_chaos = results[0].chaos
    for match, name in zip(results, names, strict=True):
        if name == "windows-1252" and match.chaos <= best_chaos + WINDOWS_1252_TOLERANCE:
            return name
    return next((name for name in names if name is not None), None)


def _whatwg_name(codec: str) -> str | None:
    try:
        return _python_to_whatwg().get(codecs.lookup(codec).name)
    except LookupError:
        return None


def _declared(body: bytes, content_type: str | None) -> Iterator[str]:
    """Declared encodings, most authoritative first: the header, then the document.

    A generator: when the header's charset decodes the body, the document is never scanned.
    """
    header = charset_from_content_type(content_type)
    # UTF-16 without a BOM is only believable when the bytes hold NULs.
    if header is not None and (not header.startswith("utf-16") or b"\x00" in body[:512]):
        yield header
    meta = sniff_meta_charset(body)
    if meta is not None:
        yield meta


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for an HTML body; ``encoding`` is a WHATWG name.

    Never raises on odd bytes: the last resort, windows-1252, decodes every byte sequence.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decode(body[len(bom) :], name, "replace"), name

    tried: set[str] = set()
    for name in _declared(body, content_type):
        if name in tried:
            continue
        tried.add(name)
        text = _try_decode(body, name)
        if text is not None:
            return text, name

    if body.isascii():
        return body.decode("ascii"), "utf-8"
    if "utf-8" not in tried:
        tried.add("utf-8")
        text = _try_decode(body, "utf-8")
        if text is not None:
            return text, "utf-8"

    detected = _detect(body)
    if detected is not None and detected not in tried:
        text = _try_decode(body, detected)
        if text is not None:
            return text, detected
    return _decode(body, "windows-1252", "strict"), "windows-1252"
