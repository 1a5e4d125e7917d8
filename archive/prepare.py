"""What the writer needs from a page, computed where the CPU is: in the crawl's worker processes.

The archive has one writer. Everything about a capture that needs no archive state (normalizing
the title and text, their hash, the boilerplate fingerprint of every block, the word count, the
body's SHA-256 and its zstd keyframe) is a pure function of the page, so the crawl computes it
in the extraction workers beside the extraction and hands the results to
:meth:`archive.store.Archive.record` inside :class:`archive.models.ContentIn` and
:class:`archive.models.CaptureIn`. The writer is left with what only it can do: look at the
archive and write to it. Values computed here are exactly what the writer would compute
(tests/test_store.py checks that both ways give the same archive).

May import: :mod:`archive.versions`, :mod:`archive.boilerplate`, :mod:`archive.diff`,
:mod:`archive.store.rawpages`, :mod:`archive.models`.
"""

from __future__ import annotations

import hashlib

from archive.boilerplate import BoilerplateRules, blocks_of, fingerprint, is_learnable
from archive.diff.algorithm import count_words
from archive.models import PreparedBody, PreparedText
from archive.store import rawpages
from archive.versions import content_hash, normalize_line, normalize_text


def prepare_text(title: str, text: str, rules: BoilerplateRules) -> PreparedText:
    """The normalized title and text, their hash, each block's fingerprint, the word count."""
    title, text = normalize_line(title), normalize_text(text)
    return prepared_normalized(title, text, rules.max_words)


def prepared_normalized(title: str, text: str, max_words: int) -> PreparedText:
    """:func:`prepare_text` of a title and text normalized already."""
    blocks = tuple((fingerprint(b), b, is_learnable(b, max_words)) for b in blocks_of(text))
    return PreparedText(
        title=title,
        text=text,
        text_hash=content_hash(title, text),  # as the writer hashes: normalized once more
        blocks=blocks,
        max_words=max_words,
        word_count=count_words(text),
    )


def prepare_body(body: bytes, *, compress: bool = True) -> PreparedBody:
    """The body's SHA-256 (its identity in ``raw_pages``) and, with *compress*, its keyframe."""
    return PreparedBody(
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        keyframe=rawpages.compress(body) if compress else None,
    )
