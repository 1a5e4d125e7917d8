"""Rebuilding an article's versions from re-read captures: the plan, a pure function.

An extractor that improves changes what a stored page says: boilerplate it used to keep, a
paragraph it used to miss. Re-extraction reads every kept page again; this module decides
what the article's history becomes and writes it:

- :func:`plan_versions` (pure): walk the captures in capture order; a capture whose text and
  title differ from the previous version's is a version, one that equals it is not (the
  decision is passed in: the store gives the one :meth:`archive.store.Archive.record` uses). Versions
  from before the rebuilt range are kept and the walk starts from the last of them.
- :meth:`archive.store.Archive.apply_rebuild` writes a plan: one transaction per article. The versions it replaces are copied to
  ``superseded_versions`` first (nothing an older extractor read is lost), the captures' outcomes
  and links are rewritten, the article's counters follow, and the ``reextract_done`` row that
  makes a killed run resumable is written in the same transaction: an article's history is
  either all old or all new, never half of each.

May import: :mod:`archive.models`, :mod:`archive.versions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.models import ContentIn, utc_iso
from archive.versions import content_hash, normalize_line, normalize_text

#: Outcomes of captures whose page is re-read (the others had no page to read).
REREAD_OUTCOMES = ("new-version", "unchanged", "error")


@dataclass(frozen=True)
class Page:
    """A capture whose raw page is kept and can be extracted again."""

    capture_id: int
    raw_page_id: int
    url: str  # the URL the page was fetched from (relative links, metadata)
    content_type: str | None
    captured_at: str


@dataclass(frozen=True)
class Reading:
    """What the extractor made of one page: content, or why it failed."""

    capture_id: int
    content: ContentIn | None
    error: str | None = None  # "reason: message"


@dataclass(frozen=True)
class PlannedVersion:
    capture_id: int
    captured_at: str
    content: ContentIn
    text_hash: str


@dataclass(frozen=True)
class Plan:
    """An article's rebuilt history, and how it differs from the stored one."""

    article_id: int
    kept: int  # versions before the rebuilt range, unchanged
    versions: tuple[PlannedVersion, ...]
    readings: tuple[Reading, ...]
    added: tuple[PlannedVersion, ...]  # versions that were not versions before
    removed: tuple[dict[str, Any], ...]  # stored versions that are no longer versions

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


#: The new-version decision: (latest version or None, content, captured at) -> (content to
#: store, its hash, is it a new version). The store passes its own (``Writes._decide``: plain
#: hash, then the site's learned boilerplate and counters left out), so a rebuild and a crawl
#: decide alike.
Decide = Callable[[dict[str, Any] | None, ContentIn, str], tuple[ContentIn, str, bool]]


def plain_decide(
    latest: dict[str, Any] | None, content: ContentIn, at: str
) -> tuple[ContentIn, str, bool]:
    """The decision without boilerplate knowledge: a version when the normalized hash differs."""
    digest = content_hash(content.title, content.text)
    return content, digest, latest is None or latest["text_hash"] != digest


def plan_versions(
    article_id: int,
    stored: Sequence[dict[str, Any]],
    pages: Sequence[Page],
    readings: Sequence[Reading],
    since: datetime | None = None,
    decide: Decide = plain_decide,
) -> Plan:
    """The history the new readings make, after the versions captured before *since*."""
    cut = utc_iso(since) if since else ""
    kept = [v for v in stored if v["captured_at"] < cut]
    replaced = [v for v in stored if v["captured_at"] >= cut]
    latest: dict[str, Any] | None = kept[-1] if kept else None
    at = {p.capture_id: p.captured_at for p in pages}
    versions: list[PlannedVersion] = []
    for reading in readings:
        if reading.content is None:
            continue
        when = at[reading.capture_id]
        content, digest, changed = decide(latest, reading.content, when)
        if changed:
            versions.append(PlannedVersion(reading.capture_id, when, content, digest))
            latest = {
                "title": normalize_line(content.title),
                "text": normalize_text(content.text),
                "text_hash": digest,
            }
    old = {(v["capture_id"], v["text_hash"]) for v in replaced}
    new = {(v.capture_id, v.text_hash) for v in versions}
    return Plan(
        article_id=article_id,
        kept=len(kept),
        versions=tuple(versions),
        readings=tuple(readings),
        added=tuple(v for v in versions if (v.capture_id, v.text_hash) not in old),
        removed=tuple(v for v in replaced if (v["capture_id"], v["text_hash"]) not in new),
    )
