"""Plain values that go into and come out of the archive.

The scraper builds these from its own values (``FetchResult``, ``Article``); the archive never
sees scraper types, so it can be used (and tested) on its own.

May import: the standard library only; every archive module may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: Capture outcomes. ``new-version`` and ``unchanged`` are decided by the archive when content is
#: given; the others are given by the caller for captures without content.
OUTCOMES = (
    "new-version",
    "unchanged",
    "not-modified",
    "error",
    "gone",
    "skipped",
    "not-html",
)


def utc_iso(moment: datetime) -> str:
    """The one timestamp format of the archive: ISO 8601, UTC, second precision."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the archive stores aware UTC times only")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Candidate:
    """An article URL found by discovery (feed, sitemap, listing page)."""

    url: str
    site: str
    title: str | None = None
    published: str | None = None
    modified: str | None = None
    guid: str | None = None  # the feed's id of the item: stable across a move on most CMSs


@dataclass(frozen=True)
class CaptureIn:
    """One fetch attempt, as the crawl saw it.

    ``outcome`` is left ``None`` when content comes with the capture: the archive then decides
    between ``new-version`` and ``unchanged``.
    """

    url: str
    site: str
    fetched_at: datetime
    outcome: str | None = None
    status_code: int | None = None
    final_url: str | None = None
    reason: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    size: int = 0
    elapsed_ms: int | None = None
    http_version: str | None = None
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    raw: bytes | None = None
    #: ``raw``'s hash and keyframe when computed already (:func:`archive.prepare.prepare_body`).
    raw_prepared: PreparedBody | None = field(default=None, compare=False, repr=False)
    crawl_id: int | None = None
    # For WARC export: the URL the fetch asked for (``url`` can be the article's URL after a
    # move or a canonical merge) and the (status, next URL) of each redirect hop.
    requested_url: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown capture outcome {self.outcome!r}")


@dataclass(frozen=True)
class PreparedText:
    """What the version decision needs from a capture's title and text, computed once (in the
    crawl's worker processes, off the writer: :func:`archive.prepare.prepare_text`).

    ``title`` and ``text`` are normalized (:mod:`archive.versions`); ``blocks`` holds, for each
    block of ``text`` in order, its boilerplate fingerprint, the block and whether it is short
    enough to be learnt under ``max_words`` (:mod:`archive.boilerplate`).
    """

    title: str
    text: str
    text_hash: str
    blocks: tuple[tuple[str, str, bool], ...]
    max_words: int
    word_count: int


@dataclass(frozen=True)
class PreparedBody:
    """A fetched body's SHA-256 and its zstd keyframe, computed off the writer
    (:func:`archive.prepare.prepare_body`); ``keyframe`` None: the writer compresses."""

    sha256: str
    size: int
    keyframe: bytes | None = None


@dataclass(frozen=True)
class ContentIn:
    """The editorial content extracted from a capture.

    ``prepared``, when given, is :func:`archive.prepare.prepare_text` of ``title`` and ``text``
    (the writer then normalizes and fingerprints nothing itself).
    """

    title: str
    text: str
    extractor_version: str
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    section: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    method: str | None = None
    prepared: PreparedText | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Recorded:
    """What :meth:`archive.store.Archive.record` did."""

    article_id: int
    capture_id: int
    outcome: str
    version: int | None = None
    version_id: int | None = None
    status: str = "live"
    event: str | None = None


@dataclass(frozen=True)
class CheckedArticle:
    """An article as one check left it: what the re-check schedule decides from."""

    article_id: int
    status: str
    published: str | None  # ISO 8601, as the archive holds it
    first_seen: str
    unchanged_streak: int
    checked_at: datetime


#: The caller's re-check policy, asked inside :meth:`archive.store.Archive.record`'s transaction
#: so that the capture and the article's next check land together (None: never again).
NextCheck = Callable[[CheckedArticle], datetime | None]


@dataclass(frozen=True)
class CrawlCounts:
    """The figures of one crawl cycle, stored in the ``crawls`` table."""

    discovered: int = 0
    new_articles: int = 0
    fetched: int = 0
    new_versions: int = 0
    unchanged: int = 0
    not_modified: int = 0
    skipped: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
