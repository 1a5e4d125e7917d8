"""Writing articles: discovered candidates, one capture with its version, renames and merges.

May import: :mod:`archive.store.reads`, :mod:`archive.lifecycle`, :mod:`archive.versions`,
:mod:`archive.boilerplate`, :mod:`archive.diff`, :mod:`archive.models`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from archive import lifecycle
from archive.boilerplate import blocks_of, fingerprint, learnable, strip_boilerplate
from archive.diff import count_words, summarize_change
from archive.models import Candidate, CaptureIn, ContentIn, Recorded, utc_iso
from archive.store.reads import Reads
from archive.versions import content_hash, normalize_line, normalize_text, same_version


def _headers_json(headers: tuple[tuple[str, str], ...]) -> str | None:
    return json.dumps([list(h) for h in headers]) if headers else None


class Writes(Reads):
    """Every write of article state; each public method is one transaction."""

    def add_candidates(self, candidates: Iterable[Candidate], now: datetime) -> list[int]:
        """Insert newly discovered articles (due at once); returns the ids of the new ones.

        A known URL (or alias) only gets its ``hint_modified`` raised when the source says the
        article was modified after we last saw it.
        """
        new_ids: list[int] = []
        stamp = utc_iso(now)
        with self._writing():
            for cand in candidates:
                existing = self.find_article(cand.url)
                if existing is None:
                    row_id = self._insert(
                        "articles",
                        {
                            "url": cand.url,
                            "site": cand.site,
                            "status": "new",
                            "title": cand.title,
                            "published": cand.published,
                            "first_seen": stamp,
                            "next_check": stamp,
                            "hint_modified": cand.modified,
                        },
                    )
                    new_ids.append(row_id)
                elif cand.modified and (existing["hint_modified"] or "") < cand.modified:
                    self.db.table("articles").update(
                        existing["id"], {"hint_modified": cand.modified}
                    )
        return new_ids

    def set_next_check(self, article_id: int, when: datetime | None) -> None:
        with self._writing():
            self.db.table("articles").update(
                article_id, {"next_check": utc_iso(when) if when else None}
            )

    def rename_article(
        self,
        article_id: int,
        new_url: str,
        *,
        kind: str,
        at: datetime,
        capture_id: int | None = None,
    ) -> int:
        """Give the article a new canonical URL (a permanent redirect, a canonical link).

        The old URL stays as an alias, so history is kept under one article. When another
        article already owns *new_url*, the two are merged if this one has no versions yet;
        returns the id of the article that now owns *new_url*.
        """
        with self._writing():
            article = self.article(article_id)
            old_url = article["url"]
            if old_url == new_url:
                return article_id
            owner = self.find_article(new_url)
            if owner is not None and owner["id"] != article_id:
                if article["version_count"] == 0:
                    self._merge(article_id, owner["id"])
                    self._alias(old_url, owner["id"], kind)
                    return owner["id"]
                # Discovery found the new URL before the redirect was seen: one history.
                self._absorb(article_id, owner["id"])
            self.db.table("article_urls").delete_where("url = ?", [new_url])
            self.db.table("articles").update(article_id, {"url": new_url})
            self._alias(old_url, article_id, kind)
            if kind == "redirect":
                self._event(article_id, at, "moved", f"{old_url} -> {new_url}", capture_id)
            return article_id

    def _alias(self, url: str, article_id: int, kind: str) -> None:
        self.db.table("article_urls").upsert(
            {"url": url, "article_id": article_id, "kind": kind}, pk="url"
        )

    def _merge(self, src: int, dst: int) -> None:
        for table in ("captures", "events", "article_urls"):
            self.db.execute(f"update {table} set article_id = ? where article_id = ?", [dst, src])
        for table in ("site_blocks", "article_keys"):  # one article now: keep one row each
            self.db.execute(
                f"update or ignore {table} set article_id = ? where article_id = ?", [dst, src]
            )
            self.db.execute(f"delete from {table} where article_id = ?", [src])
        # Counted, not added: the figure stays the number of capture rows whatever came before.
        self.db.execute(
            "update articles set capture_count = "
            "(select count(*) from captures where article_id = ?) where id = ?",
            [dst, dst],
        )
        self.db.table("articles").delete(src)

    def _absorb(self, keep: int, other: int) -> None:
        """Append *other*'s versions and captures to *keep*'s history, then delete *other*.

        A version equal to the one before it (same text hash) is dropped and its captures
        point at the kept one, so the merged history has no empty "versions".
        """
        latest = self._one(
            "select * from versions where article_id = ? order by version desc limit 1", [keep]
        )
        number = latest["version"] if latest else 0
        for v in self.versions(other):
            if latest is not None and same_version(
                latest["title"], latest["text"], v["title"], v["text"]
            ):
                self.db.execute(
                    "update captures set version_id = ?, outcome = 'unchanged' "
                    "where version_id = ?",
                    [latest["id"], v["id"]],
                )
                self.db.table("versions").delete(v["id"])
                continue
            number += 1
            summary = summarize_change(
                latest["title"] if latest else None,
                latest["text"] if latest else None,
                v["title"],
                v["text"],
            )
            self.db.table("versions").update(
                v["id"],
                {
                    "article_id": keep,
                    "version": number,
                    "change_kind": summary.kind,
                    "change_summary": json.dumps(summary.to_dict()),
                    "words_added": summary.words_added,
                    "words_removed": summary.words_removed,
                    "title_changed": int(summary.title_changed),
                },
            )
            latest = {**v, "version": number}
        absorbed = self.article(other)
        self._merge(other, keep)
        updates: dict[str, Any] = {"version_count": number}
        if latest is not None:
            updates["title"] = latest["title"]
            updates["last_changed"] = max(
                filter(None, [absorbed["last_changed"], self.article(keep)["last_changed"]])
            )
        self.db.table("articles").update(keep, updates)

    # ------------------------------------------------------------------ recording

    def record(self, capture: CaptureIn, content: ContentIn | None = None) -> Recorded:
        """Store one capture, and a new version if *content* differs from the latest one.

        The whole record is one transaction: capture row, raw page, version, article state and
        lifecycle event land together or not at all.
        """
        if content is None and capture.outcome is None:
            raise ValueError("a capture without content needs an outcome")
        with self._writing():
            article = self.find_article(capture.url)
            if article is None:
                self.add_candidates([Candidate(capture.url, capture.site)], capture.fetched_at)
                article = self.article(capture.url)
            article_id = article["id"]
            at = utc_iso(capture.fetched_at)
            raw_id = self._store_raw(capture.raw) if capture.raw is not None else None

            outcome = capture.outcome or "unchanged"
            latest = None
            new_hash = None
            if content is not None:
                latest = self._one(
                    "select * from versions where article_id = ? order by version desc limit 1",
                    [article_id],
                )
                content, new_hash, changed = self._decide(
                    capture.site, article_id, content, latest, at
                )
                outcome = "new-version" if changed else "unchanged"

            capture_id = self._insert(
                "captures",
                {
                    "article_id": article_id,
                    "crawl_id": capture.crawl_id,
                    "url": capture.url,
                    "final_url": capture.final_url,
                    "fetched_at": at,
                    "status_code": capture.status_code,
                    "outcome": outcome,
                    "reason": capture.reason,
                    "error": capture.error,
                    "etag": capture.etag,
                    "last_modified": capture.last_modified,
                    "content_type": capture.content_type,
                    "encoding": capture.encoding,
                    "bytes": capture.size,
                    "elapsed_ms": capture.elapsed_ms,
                    "http_version": capture.http_version,
                    "request_headers": _headers_json(capture.request_headers),
                    "response_headers": _headers_json(capture.response_headers),
                    "raw_page_id": raw_id,
                },
            )

            updates: dict[str, Any] = {
                "last_checked": at,
                "capture_count": article["capture_count"] + 1,
            }
            version = version_id = None
            if outcome == "new-version":
                assert content is not None and new_hash is not None
                version = article["version_count"] + 1
                version_id = self._insert_version(
                    article_id, version, at, capture_id, content, new_hash, latest
                )
                self.db.table("captures").update(capture_id, {"version_id": version_id})
                updates.update(
                    version_count=version,
                    last_changed=at,
                    title=normalize_line(content.title),
                    published=content.published or article["published"],
                    unchanged_streak=0,
                )
            elif outcome in ("unchanged", "not-modified"):
                updates["unchanged_streak"] = article["unchanged_streak"] + 1
            if capture.status_code == 200 and outcome in ("new-version", "unchanged"):
                updates.update(etag=capture.etag, last_modified=capture.last_modified)

            step = lifecycle.transition(
                article["status"],
                outcome,
                reason=capture.reason,
                error_streak=article["error_streak"],
            )
            updates.update(status=step.status, error_streak=step.error_streak)
            if step.event:
                detail = capture.reason or capture.error or outcome
                if step.event == "moved" and capture.final_url:
                    detail = f"{capture.url} -> {capture.final_url}"
                    updates["moved_to"] = capture.final_url
                if step.event == "soft-404" and capture.final_url:
                    detail = f"redirected to {capture.final_url}"
                self._event(article_id, capture.fetched_at, step.event, detail, capture_id)
            self.db.table("articles").update(article_id, updates)
        return Recorded(
            article_id=article_id,
            capture_id=capture_id,
            outcome=outcome,
            version=version,
            version_id=version_id,
            status=step.status,
            event=step.event,
        )

    def _decide(
        self, site: str, article_id: int, content: ContentIn, latest: dict | None, at: str
    ) -> tuple[ContentIn, str, bool]:
        """Whether *content* is a new version of the article after *latest*; the content to
        store (the site's known boilerplate blocks left out), its hash, and the verdict.

        The plain hash decides when nothing changed at all (the usual re-check). Otherwise the
        capture's blocks are counted for the site's boilerplate learning and the comparison
        leaves out what no editor changed: known boilerplate, counters and relative times in
        short lines (:func:`archive.versions.same_version`).
        """
        title, text = normalize_line(content.title), normalize_text(content.text)
        digest = content_hash(title, text)
        if latest is not None and latest["text_hash"] == digest:
            return content, digest, False
        known = self._learn_blocks(site, article_id, text, latest["text"] if latest else "", at)
        kept = strip_boilerplate(text, known) or text
        if kept != text:
            content = replace(content, text=kept)
            digest = content_hash(title, kept)
        if latest is not None and same_version(latest["title"], latest["text"], title, kept, known):
            return content, digest, False
        return content, digest, True

    def _learn_blocks(
        self, site: str, article_id: int, text: str, previous: str, at: str
    ) -> set[str]:
        """Count the short blocks of *text* as seen on this article; return the fingerprints,
        among those of *text* and *previous*, that are the site's boilerplate by now."""
        rules = self.boilerplate
        if not rules.enabled:
            return set()
        blocks = blocks_of(text)
        samples = {fingerprint(b): b for b in blocks}
        prints = learnable(blocks, rules)
        for fp in prints:
            added = self.db.execute(
                "insert or ignore into site_blocks (site, fingerprint, article_id) values (?, ?, ?)",
                [site, fp, article_id],
            ).rowcount
            if added:
                self.db.execute(
                    "insert into block_counts (site, fingerprint, articles, sample, first_seen) "
                    "values (?, ?, 1, ?, ?) on conflict (site, fingerprint) "
                    "do update set articles = articles + 1",
                    [site, fp, samples[fp][:200], at],
                )
        candidates = set(prints) | set(learnable(blocks_of(previous), rules))
        if not candidates:
            return set()
        marks = ",".join("?" * len(candidates))
        rows = self.db.execute(
            f"select fingerprint from block_counts where site = ? and articles >= ? "
            f"and fingerprint in ({marks})",
            [site, rules.min_articles, *candidates],
        ).fetchall()
        return {r[0] for r in rows}

    def _insert_version(
        self,
        article_id: int,
        version: int,
        at: str,
        capture_id: int,
        content: ContentIn,
        text_hash: str,
        previous: dict | None,
    ) -> int:
        title = normalize_line(content.title)
        text = normalize_text(content.text)
        summary = summarize_change(
            previous["title"] if previous else None,
            previous["text"] if previous else None,
            title,
            text,
        )
        return self._insert(
            "versions",
            {
                "article_id": article_id,
                "version": version,
                "captured_at": at,
                "capture_id": capture_id,
                "title": title,
                "byline": ", ".join(content.authors) or None,
                "authors": json.dumps(list(content.authors)),
                "published": content.published,
                "modified": content.modified,
                "language": content.language,
                "description": content.description,
                "section": content.section,
                "tags": json.dumps(list(content.tags)),
                "image": content.image,
                "text": text,
                "text_hash": text_hash,
                "word_count": count_words(text),
                "extractor_version": content.extractor_version,
                "method": content.method,
                "change_kind": summary.kind,
                "change_summary": json.dumps(summary.to_dict()),
                "words_added": summary.words_added,
                "words_removed": summary.words_removed,
                "title_changed": int(summary.title_changed),
            },
        )

    def _store_raw(self, body: bytes) -> int:
        digest = hashlib.sha256(body).hexdigest()
        row = self._one("select id from raw_pages where sha256 = ?", [digest])
        if row is not None:
            return int(row["id"])
        return self._insert(
            "raw_pages",
            {
                "sha256": digest,
                "size": len(body),
                "compression": "zstd",
                "content": self._zstd.compress(body),
            },
        )

    def _event(
        self, article_id: int, at: datetime, kind: str, detail: str | None, capture_id: int | None
    ) -> None:
        self.db.table("events").insert(
            {
                "article_id": article_id,
                "at": utc_iso(at),
                "kind": kind,
                "detail": detail,
                "capture_id": capture_id,
            }
        )
