"""When is a capture a new version? Text normalization and content hashing.

A new version is stored only when the *normalized* title or text changed. Normalization removes
differences no reader can see (Unicode composition, runs of spaces, trailing blanks, line-ending
style) and keeps every difference a reader can (a changed word, letter, digit or punctuation
mark, a paragraph split or joined).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Characters that render as nothing: zero-width space/joiners, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize_line(text: str) -> str:
    """NFC, invisible characters removed, all whitespace (newlines too) collapsed to one space."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return " ".join(text.split())


def normalize_text(text: str) -> str:
    """Normalize article text: paragraphs (blank-line separated) kept, whitespace collapsed.

    Single newlines inside a paragraph become spaces: extractors disagree on them and readers do
    not see them.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = (normalize_line(p) for p in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def content_hash(title: str, text: str) -> str:
    """SHA-256 of the normalized title and text: equal hashes mean the same editorial version."""
    payload = normalize_line(title) + "\x00" + normalize_text(text)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
