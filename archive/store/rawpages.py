"""Raw page bodies as stored: zstd keyframes, and deltas against the page's previous body.

A news page fetched again is mostly the same bytes: the article rarely changes, while the
boilerplate around it (most-read lists, ads, timestamps, tokens) churns on every fetch. Compressed
alone, each capture costs about a sixth of its size; compressed with the previous body of the
same page as a zstd dictionary, only what changed is left (a few percent).

Reading any body must stay fast, so chains are bounded to one step: a delta is always taken
against a *keyframe* (a body stored whole), never against another delta. A new keyframe is
written when the delta would be more than :data:`KEYFRAME_RATIO` of a keyframe's size (the
page changed a lot), so the base stays close to what the page looks like now. Reading a body
is then at most two zstd decompressions.

May import: :mod:`zstandard` (pure functions; the store does the SQL).
"""

from __future__ import annotations

import zstandard

#: Compression of a body stored whole.
KEYFRAME = "zstd"
#: Compression of a body stored as a delta: zstd with its keyframe as raw-content dictionary.
DELTA = "zstd-delta"
#: A delta larger than this share of the page's keyframe makes a new keyframe instead.
KEYFRAME_RATIO = 0.5
#: zstd level: 3 compresses a 250 KB page in about a millisecond; 19 saves a few percent more
#: of a keyframe at thirty times the cost, on the crawl's one writer.
LEVEL = 3

_compressor = zstandard.ZstdCompressor(level=LEVEL)
_decompressor = zstandard.ZstdDecompressor()


def compress(body: bytes) -> bytes:
    """*body* as a keyframe."""
    return _compressor.compress(body)


def compress_delta(body: bytes, base: bytes) -> bytes:
    """*body* compressed with *base* (the keyframe's body) as dictionary."""
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary).compress(body)


def decompress(content: bytes, compression: str, base: bytes | None = None) -> bytes:
    """The body stored as *content*; *base* is the keyframe's body for a delta."""
    if compression == KEYFRAME:
        return _decompressor.decompress(content)
    if compression == DELTA:
        if base is None:
            raise ValueError("a delta needs its keyframe's body")
        dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(content)
    raise ValueError(f"unknown raw page compression {compression!r}")
