"""When is a capture a new version? Text normalization, content hashing, the decision.

A new version is stored only when the *normalized* title or text changed. Normalization removes
differences no reader can see (Unicode composition, runs of spaces, trailing blanks, line-ending
style) and keeps every difference a reader can (a changed word, letter, digit or punctuation
mark, a paragraph split or joined).

Two defences stand behind the extractor, so one extraction slip cannot flood the archive
(:func:`same_version`): a short line that differs only in a counter or a relative time is the
same ("Comments (51)" -> "(53)", :mod:`archive.furniture`), and blocks the archive has learnt to
be the site's boilerplate do not count (:mod:`archive.boilerplate`).

May import: :mod:`archive.furniture`, :mod:`archive.boilerplate`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection

from archive.boilerplate import blocks_of, strip_boilerplate
from archive.furniture import mask_line, mask_text

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


def editorial_key(title: str, text: str, boilerplate: Collection[str] = ()) -> str:
    """What two captures must share to be one version: the normalized title and text, the
    site's known boilerplate blocks left out (:mod:`archive.boilerplate`) and the counters and
    relative times of short lines masked (:mod:`archive.furniture`).

    Equal keys with unequal :func:`content_hash` values mean the page changed only where no
    editor did: no new version.
    """
    body = strip_boilerplate(normalize_text(text), boilerplate)
    return content_hash(title, mask_text(body))


def same_version(
    old_title: str,
    old_text: str,
    new_title: str,
    new_text: str,
    boilerplate: Collection[str] = (),
) -> bool:
    """Whether the new capture shows the same editorial version as the old one."""
    if content_hash(old_title, old_text) == content_hash(new_title, new_text):
        return True
    return editorial_key(old_title, old_text, boilerplate) == editorial_key(
        new_title, new_text, boilerplate
    )


def editorial_before(old_text: str, new_text: str, boilerplate: Collection[str] = ()) -> str:
    """The previous version's text as a change summary should compare it with *new_text*.

    The site's known boilerplate is left out, and a short line that differs from a line of the
    new text only in its counters or relative times takes that line's wording: a version made
    by one edit is named for the edit ("correction", "typo"), not for a "12 minutes ago" that
    became "1 hour ago" beside it.
    """
    old = blocks_of(strip_boilerplate(normalize_text(old_text), boilerplate))
    new_by_mask = {mask_line(b): b for b in blocks_of(new_text)}
    aligned = []
    for block in old:
        masked = mask_line(block)
        aligned.append(new_by_mask.get(masked, block) if masked != block else block)
    return "\n\n".join(aligned)
