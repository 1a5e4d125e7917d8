"""Site-level boilerplate: a block seen on many different articles of one site is not text.

An extractor that keeps a teaser ("Latest news: ..."), a call to subscribe or a share line on one
page keeps it on every page of that layout. The archive sees every article of a site, so it can
tell: a block (paragraph) that it has seen on at least :attr:`BoilerplateRules.min_articles`
different articles of the same site is that site's boilerplate. It is left out of the text of
new versions and out of the comparison that decides whether a capture is a new version, so a
rotating block cannot make versions once it is known.

Only short blocks are learnt (:attr:`BoilerplateRules.max_words`): a long paragraph repeated
across a site's articles is background copy of a running story, and that is editorial.

The store keeps the fingerprints (table ``site_blocks``: one row per site, fingerprint and
article; ``block_counts``: how many articles per fingerprint). This module is the pure part:
fingerprints, which blocks count, and the text with the known boilerplate left out.

May import: :mod:`archive.furniture`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from archive.furniture import mask_line

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class BoilerplateRules:
    """When a block is boilerplate for its site (``[archive]`` settings in ``config.toml``).

    ``min_articles``: different articles of the site the block must have been seen on (0 turns
    learning off); ``max_words``: longer blocks are never learnt.
    """

    min_articles: int = 8
    max_words: int = 30

    def __post_init__(self) -> None:
        if self.min_articles < 0 or self.min_articles == 1:
            raise ValueError("min_articles must be 0 (off) or at least 2")
        if self.max_words < 1:
            raise ValueError("max_words must be at least 1")

    @property
    def enabled(self) -> bool:
        return self.min_articles > 0


def fingerprint(block: str) -> str:
    """A short stable id of a block: case, spacing, punctuation and the counters of short
    lines do not matter ("Comments (51)" and "comments (53)" are one block); any other
    number does, so two paragraphs that differ in a figure stay two blocks."""
    text = unicodedata.normalize("NFKC", mask_line(block)).casefold()
    text = " ".join(_WORD.findall(text))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def blocks_of(text: str) -> list[str]:
    return [b for b in text.split("\n\n") if b.strip()]


def is_learnable(block: str, max_words: int) -> bool:
    """Whether *block* is short enough to be learnt as boilerplate."""
    return len(_WORD.findall(block)) <= max_words


def learnable(blocks: Iterable[str], rules: BoilerplateRules) -> list[str]:
    """Fingerprints of the blocks short enough to be learnt, each once."""
    seen: dict[str, None] = {}
    for block in blocks:
        if is_learnable(block, rules.max_words):
            seen.setdefault(fingerprint(block), None)
    return list(seen)


def strip_boilerplate(text: str, known: Collection[str]) -> str:
    """*text* without the blocks whose fingerprint is in *known* (the site's boilerplate)."""
    if not known:
        return text
    return "\n\n".join(b for b in blocks_of(text) if fingerprint(b) not in known)
