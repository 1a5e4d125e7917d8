"""Writing articles: discovered candidates, one capture with its version, renames and merges.

May import: :mod:`archive.store.reads`, :mod:`archive.lifecycle`, :mod:`archive.versions`,
:mod:`archive.boilerplate`, :mod:`archive.diff`, :mod:`archive.store.rawpages`,
:mod:`archive.models`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from archive import lifecycle, prepare  # prepare as a module: it imports archive.store.rawpages
from archive.boilerplate import blocks_of, learnable
from archive.diff import count_words, summarize_change
from archive.models import (
    Candidate,
    CaptureIn,
    CheckedArticle,
    ContentIn,
    NextCheck,
    PreparedBody,
    PreparedText,
    Recorded,
    utc_iso,
)
from archive.store import rawpages
from archive.store.reads import Reads
from archive.versions import (
    content_hash,
    editorial_before,
    normalize_line,
    same_version,
)

_WORDS = re.compile(r"\w+")


def _same_story(old_title: str, old_text: str, new_title: str, new_text: str) -> bool:
    """Whether two captures tell one story: same headline, or half of the words shared."""
    if normalize_line(old_title).casefold() == normalize_line(new_title).casefold():
        return True
    old = set(_WORDS.findall(old_text.casefold()))
    new = set(_WORDS.findall(new_text.casefold()))
    return bool(old and new) and len(old & new) >= 0.5 * min(len(old), len(new))


_SHINGLE = 4  # words


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.casefold())
    return {tuple(words[i : i + _SHINGLE]) for i in range(max(1, len(words) - _SHINGLE + 1))}


def _same_text(old_text: str, new_text: str) -> bool:
    """Whether two pages tell one story by their text: half of the shorter one's runs of four
    words are in the other. The headline alone is not enough (the pages of a paginated article
    share one) and neither is the vocabulary (two pages of one site share most common words)."""
    old, new = _shingles(old_text), _shingles(new_text)
    return bool(old and new) and len(old & new) >= 0.5 * min(len(old), len(new))


def _headers_json(headers: tuple[tuple[str, str], ...]) -> str | None:
    return json.dumps([list(h) for h in headers]) if headers else None


# The hot path writes with plain SQL: sqlite-utils' per-row insert and update (column checks,
# a read back of the row) cost more than the statement itself, once per capture.
_CAPTURE_COLUMNS = (
    "article_id, crawl_id, url, final_url, fetched_at, status_code, outcome, reason, error, "
    "etag, last_modified, content_type, encoding, bytes, elapsed_ms, http_version, "
    "request_headers, response_headers, raw_page_id, requested_url, redirects"
)
_INSERT_CAPTURE = f"insert into captures ({_CAPTURE_COLUMNS}) values ({', '.join('?' * 21)})"
_VERSION_COLUMNS = (
    "article_id, version, captured_at, capture_id, title, byline, authors, published, "
    "modified, language, description, section, tags, image, text, text_hash, word_count, "
    "extractor_version, method, change_kind, change_summary, words_added, words_removed, "
    "title_changed"
)
_INSERT_VERSION = f"insert into versions ({_VERSION_COLUMNS}) values ({', '.join('?' * 24)})"
#: A discovered article, in plain SQL: sqlite-utils' ``insert`` looks the table's columns and
#: the schema's tables and views up on every call (0.07-0.11 ms of CPU a row, 0.03-0.04 so).
_INSERT_ARTICLE = (
    "insert into articles (url, site, status, title, published, first_seen, next_check, "
    "hint_modified) values (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: Host parameters per statement at most when a list goes into ``in (...)``.
_CHUNK = 500


class Writes(Reads):
    """Every write of article state; each public method is one transaction."""

    def add_candidates(self, candidates: Iterable[Candidate], now: datetime) -> list[int]:
        """Insert newly discovered articles (due at once); returns the ids of the new ones.

        For a known URL (or alias) a source's modified time is noted (:meth:`_note_modified`).
        """
        new_ids: list[int] = []
        stamp = utc_iso(now)
        with self._writing():
            for cand in candidates:
                existing = self.find_article(cand.url)
                if existing is None:
                    cursor = self.db.conn.execute(
                        _INSERT_ARTICLE,
                        [
                            cand.url,
                            cand.site,
                            "new",
                            cand.title,
                            cand.published,
                            stamp,
                            stamp,
                            cand.modified,
                        ],
                    )
                    assert cursor.lastrowid is not None
                    row_id = cursor.lastrowid
                    new_ids.append(row_id)
                    if cand.guid:
                        self._add_keys(row_id, cand.site, {f"guid:{cand.guid}": "guid"})
                    continue
                if cand.modified:
                    self._note_modified(existing, cand.modified, now)
                if cand.guid:
                    self._add_keys(existing["id"], cand.site, {f"guid:{cand.guid}": "guid"})
        return new_ids

    def set_source_validators(
        self, validators: dict[str, tuple[str | None, str | None]], at: datetime
    ) -> None:
        """Keep what feeds and sitemaps answered (url -> (etag, last_modified))."""
        with self._writing():
            self.db.table("sources").upsert_all(
                [
                    {"url": url, "etag": e, "last_modified": m, "fetched_at": utc_iso(at)}
                    for url, (e, m) in validators.items()
                ],
                pk="url",
            )

    # ------------------------------------------------------------------ identity

    def add_keys(self, article_id: int, site: str, keys: dict[str, str]) -> None:
        """Remember stable identities of an article (``{"shortlink:URL": "shortlink"}``)."""
        with self._writing():
            self._add_keys(article_id, site, keys)

    def _add_keys(self, article_id: int, site: str, keys: dict[str, str]) -> None:
        for key, kind in keys.items():
            self.db.execute(
                "insert or ignore into article_keys (site, key, article_id, kind) "
                "values (?, ?, ?, ?)",
                [site, key, article_id, kind],
            )

    def join_by_identity(
        self, url: str, site: str, keys: Iterable[str], title: str, text: str, at: datetime
    ) -> str:
        """Join the article at *url* to an older article of *site* that holds one of its stable
        identities (feed guid, shortlink), whichever URL was seen first; returns the URL to
        record under.

        The older article takes *url* as its new address (one history, its old URL kept as an
        alias, a ``moved`` event), absorbing whatever the crawl stored under *url* before. A
        site reusing ids for different stories must not merge them, so the join also needs the
        content to agree: the same headline, or half the words of its latest version. An older
        article with no version yet (discovered, never fetched, or only failed fetches) has no
        content to compare and none to mix up: it joins when the key is held by no third
        article (an id several stories share is no identity).
        """
        with self._writing():
            current = self.find_article(url)
            own = {current["id"]} if current else set()
            wanted = list(dict.fromkeys(keys))
            if current is not None:
                wanted += [
                    r["key"]
                    for r in self.db.query(
                        "select key from article_keys where article_id = ?", [current["id"]]
                    )
                ]
            if not wanted:
                return url
            marks = ",".join("?" * len(wanted))
            rows = self.db.execute(  # the article that had the key first comes first
                f"select distinct article_id from article_keys where site = ? and key in ({marks})"
                " order by article_id",
                [site, *wanted],
            ).fetchall()
            for (owner_id,) in rows:
                if owner_id in own or (current is not None and owner_id > current["id"]):
                    continue  # only an older article takes this URL over
                owner = self._one("select * from articles where id = ?", [owner_id])
                if owner is None or owner["url"] == url:
                    continue
                latest = self._one(
                    "select title, text from versions where article_id = ? "
                    "order by version desc limit 1",
                    [owner_id],
                )
                if latest is None:
                    if self._key_holders(site, wanted, owner_id, current) > 0:
                        continue
                elif not _same_story(latest["title"], latest["text"], title, text):
                    continue
                self.rename_article(owner_id, url, kind="identity", at=at)
                break
        return url

    def _key_holders(
        self, site: str, keys: list[str], owner_id: int, current: dict[str, Any] | None
    ) -> int:
        """How many articles other than *owner_id* and *current* hold one of *keys*."""
        marks = ",".join("?" * len(keys))
        mine = [owner_id, current["id"] if current else owner_id]
        row = self.db.execute(
            f"select count(distinct article_id) from article_keys where site = ? "
            f"and key in ({marks}) and article_id not in (?, ?)",
            [site, *keys, *mine],
        ).fetchone()
        return int(row[0])

    def join_by_canonical(
        self, url: str, target: str, text: str, at: datetime, *, known_only: bool = False
    ) -> str:
        """The page at *url* names *target* as its address (``<link rel=canonical>`` or
        ``og:url``); returns the URL to record under.

        The article at *url* takes *target* as its URL, its own kept as an alias. When that
        article was archived at *url* before (it has a version), the page moved: a ``moved``
        event, whichever URL the crawl saw first (an article the crawl already stored at
        *target* is absorbed: one history). A first sight of an alias (an AMP page, a print
        view) joins without an event.

        A canonical is the site's statement about a page, and sites get it wrong, so two
        archived articles are joined only when their texts tell the same story
        (:func:`_same_text`): a canonical that many different pages share (paginated pages
        pointing at the first, a template pointing every page at one story) joins none of
        them. With *known_only* (the crawl passes it when *target* is an ancestor of *url*'s
        path: a section, or the article of an AMP page) only an article the archive already
        holds is joined, never a URL the crawl has not met as an article.
        """
        with self._writing():
            article = self.find_article(url)
            if article is None or target == url:
                return url
            owner = self.find_article(target)
            if owner is None and known_only:
                return url
            if owner is not None and owner["id"] != article["id"]:
                latest = self._latest_version(owner["id"])
                if latest is not None and not _same_text(latest["text"], text):
                    return url
            moved = article["version_count"] > 0 and article["url"] != target
            kept = self.rename_article(article["id"], target, kind="canonical", at=at, moved=moved)
            return self.article(kept)["url"]

    def _note_modified(self, article: dict[str, Any], modified: str, now: datetime) -> None:
        """A feed or sitemap says the article was modified at *modified* (ISO 8601).

        ``hint_modified`` only rises. When the modification is after our last check, a pending
        check is pulled forward to *now*: this is the one place where a source's lastmod moves
        a re-check (the re-check policy itself knows only the article's age and streak).
        """
        updates: dict[str, Any] = {}
        if (article["hint_modified"] or "") < modified:
            updates["hint_modified"] = modified
        changed, last, due = (
            _moment(modified),
            _moment(article["last_checked"]),
            _moment(article["next_check"]),
        )
        if changed and last and due and changed > last and due > now:
            updates["next_check"] = utc_iso(now)
        if updates:
            self.db.table("articles").update(article["id"], updates)

    def rename_article(
        self,
        article_id: int,
        new_url: str,
        *,
        kind: str,
        at: datetime,
        capture_id: int | None = None,
        moved: bool | None = None,
    ) -> int:
        """Give the article a new canonical URL (a permanent redirect, a canonical link).

        The old URL stays as an alias, so history is kept under one article. When another
        article already owns *new_url*, the two are merged if this one has no versions yet;
        returns the id of the article that now owns *new_url*. A ``moved`` event is written
        when *moved* (by default for the kinds ``redirect`` and ``identity``).
        """
        if moved is None:
            moved = kind in ("redirect", "identity")
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
                    if moved and kind == "identity":  # a known article, never archived
                        self._event(owner["id"], at, "moved", f"{old_url} -> {new_url}", capture_id)
                    return owner["id"]
                # Discovery found the new URL before the redirect was seen: one history.
                self._absorb(article_id, owner["id"])
            self.db.table("article_urls").delete_where("url = ?", [new_url])
            self.db.table("articles").update(article_id, {"url": new_url})
            self._alias(old_url, article_id, kind)
            if moved:
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
        """One history out of two articles of the same page: *keep*'s, then *other*'s.

        Three steps in the caller's transaction: *other*'s versions are appended after
        *keep*'s (:meth:`_append_versions`), its captures, events and aliases move over and it
        is deleted (:meth:`_merge`), and *keep*'s summary columns are refreshed.
        """
        absorbed = self.article(other)
        latest, count = self._append_versions(keep, other)
        self._merge(other, keep)
        updates: dict[str, Any] = {"version_count": count}
        if latest is not None:
            updates["title"] = latest["title"]
            updates["last_changed"] = max(
                filter(None, [absorbed["last_changed"], self.article(keep)["last_changed"]])
            )
        self.db.table("articles").update(keep, updates)

    def _append_versions(self, keep: int, other: int) -> tuple[dict[str, Any] | None, int]:
        """Renumber *other*'s versions after *keep*'s latest; returns the new latest and count.

        A version equal to the one before it (same text hash) is dropped and its captures
        point at the kept one, so the merged history has no empty "versions". The change
        summary of each moved version is recomputed against its new predecessor.
        """
        latest = self._latest_version(keep)
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
                self._before(keep, latest["text"], v["text"]) if latest else None,
                v["title"],
                v["text"],
                live=v["method"] == "live",
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
        return latest, number

    # ------------------------------------------------------------------ recording

    def record(
        self,
        capture: CaptureIn,
        content: ContentIn | None = None,
        *,
        schedule: NextCheck | None = None,
    ) -> Recorded:
        """Store one article check, in four steps and one transaction.

        1. the version decision (:meth:`_decide_version`): with *content*, ``new-version`` when
           it differs from the latest version, else ``unchanged``; without, the capture's outcome;
        2. the capture (:meth:`_insert_capture`, its raw page de-duplicated) and, for a new
           version, the version row (:meth:`_add_version`);
        3. the lifecycle transition (:meth:`_transition`): the article's status and its event;
        4. the next check: *schedule* is asked with the article as this check left it (without
           one, the next check stays as it was).

        All of it, with the article's counters, lands together or not at all: a crash leaves
        no capture without its version, and no capture whose next check was not set.
        """
        if content is None and capture.outcome is None:
            raise ValueError("a capture without content needs an outcome")
        with self._writing():
            article = self._article_for(capture)
            at = utc_iso(capture.fetched_at)
            outcome, content, text_hash, latest = self._decide_version(
                article["id"], capture, content, at
            )
            capture_id = self._insert_capture(article["id"], capture, outcome, at)
            updates = _capture_counters(article, capture, outcome, at)
            version = version_id = None
            if outcome == "new-version":
                assert content is not None and text_hash is not None
                version, version_id = self._add_version(
                    article, capture_id, content, text_hash, latest, at
                )
                updates.update(_version_fields(article, content, version, at))
            step = self._transition(article, capture, outcome, capture_id)
            updates.update(status=step.status, error_streak=step.error_streak)
            if schedule is not None:
                when = schedule(_checked(article, updates, capture.fetched_at))
                updates["next_check"] = utc_iso(when) if when is not None else None
            self._update_article(article["id"], updates)
        return Recorded(
            article_id=article["id"],
            capture_id=capture_id,
            outcome=outcome,
            version=version,
            version_id=version_id,
            status=step.status,
            event=step.event,
        )

    def _article_for(self, capture: CaptureIn) -> dict[str, Any]:
        """The article the capture is of (by URL or alias), created when it is new."""
        article = self.find_article(capture.url)
        if article is None:
            self.add_candidates([Candidate(capture.url, capture.site)], capture.fetched_at)
            article = self.article(capture.url)
        return article

    def _latest_version(self, article_id: int) -> dict[str, Any] | None:
        return self._one(
            "select * from versions where article_id = ? order by version desc limit 1",
            [article_id],
        )

    def _decide_version(
        self, article_id: int, capture: CaptureIn, content: ContentIn | None, at: str
    ) -> tuple[str, ContentIn | None, str | None, dict[str, Any] | None]:
        """The capture's outcome, the content to store, its hash and the latest version.

        Without content the caller's outcome stands (``not-modified``, ``error``, ``gone``...);
        with content, :meth:`_decide` compares it with the latest version.
        """
        if content is None:
            return capture.outcome or "unchanged", None, None, None
        latest = self._latest_version(article_id)
        content, text_hash, changed = self._decide(capture.site, article_id, content, latest, at)
        return ("new-version" if changed else "unchanged"), content, text_hash, latest

    def _insert_capture(self, article_id: int, capture: CaptureIn, outcome: str, at: str) -> int:
        raw_id = None
        if capture.raw is not None:
            raw_id = self._store_raw(capture.raw, article_id, capture.raw_prepared)
        cursor = self.db.conn.execute(
            _INSERT_CAPTURE,
            [
                article_id,
                capture.crawl_id,
                capture.url,
                capture.final_url,
                at,
                capture.status_code,
                outcome,
                capture.reason,
                capture.error,
                capture.etag,
                capture.last_modified,
                capture.content_type,
                capture.encoding,
                capture.size,
                capture.elapsed_ms,
                capture.http_version,
                _headers_json(capture.request_headers),
                _headers_json(capture.response_headers),
                raw_id,
                capture.requested_url if capture.requested_url != capture.url else None,
                json.dumps([list(h) for h in capture.redirects]) if capture.redirects else None,
            ],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _add_version(
        self,
        article: dict[str, Any],
        capture_id: int,
        content: ContentIn,
        text_hash: str,
        latest: dict[str, Any] | None,
        at: str,
    ) -> tuple[int, int]:
        """The article's next version, linked to the capture that saw it; (number, row id)."""
        number = article["version_count"] + 1
        version_id = self._insert_version(
            article["id"], number, at, capture_id, content, text_hash, latest
        )
        self.db.conn.execute(
            "update captures set version_id = ? where id = ?", [version_id, capture_id]
        )
        return number, version_id

    def _update_article(self, article_id: int, updates: dict[str, Any]) -> None:
        columns = ", ".join(f"{name} = ?" for name in updates)
        self.db.conn.execute(
            f"update articles set {columns} where id = ?", [*updates.values(), article_id]
        )

    def _transition(
        self, article: dict[str, Any], capture: CaptureIn, outcome: str, capture_id: int
    ) -> lifecycle.Transition:
        """The article's next status (:func:`archive.lifecycle.transition`); its event written."""
        step = lifecycle.transition(
            article["status"],
            outcome,
            reason=capture.reason,
            error_streak=article["error_streak"],
        )
        if step.event:
            detail = capture.reason or capture.error or outcome
            if step.event == "soft-404" and capture.final_url:
                detail = f"redirected to {capture.final_url}"
            self._event(article["id"], capture.fetched_at, step.event, detail, capture_id)
        return step

    def _decide(
        self,
        site: str,
        article_id: int,
        content: ContentIn,
        latest: dict | None,
        at: str,
        *,
        learn: bool = True,
    ) -> tuple[ContentIn, str, bool]:
        """Whether *content* is a new version of the article after *latest*; the content to
        store (the site's known boilerplate blocks left out), its hash, and the verdict.

        The plain hash decides when nothing changed at all (the usual re-check). Otherwise the
        capture's blocks are counted for the site's boilerplate learning and the comparison
        leaves out what no editor changed: known boilerplate, counters and relative times in
        short lines (:func:`archive.versions.same_version`). ``learn=False`` (a re-extraction's
        dry run) decides with what is known without counting anything.

        The normalized text, its hash and its blocks' fingerprints come with the content when
        the crawl computed them (``ContentIn.prepared``); the content returned carries them.
        """
        prepared = self._prepared(content)
        title, digest = prepared.title, prepared.text_hash
        if latest is not None and latest["text_hash"] == digest:
            return replace(content, prepared=prepared), digest, False
        known = self._learn_blocks(
            site, article_id, prepared, latest["text"] if latest else "", at, learn=learn
        )
        kept_blocks = tuple(b for b in prepared.blocks if b[0] not in known)
        if known and kept_blocks and len(kept_blocks) < len(prepared.blocks):
            kept = "\n\n".join(b[1] for b in kept_blocks)
            prepared = PreparedText(
                title=title,
                text=kept,
                text_hash=content_hash(title, kept),
                blocks=kept_blocks,
                max_words=prepared.max_words,
                word_count=count_words(kept),
            )
            content = replace(content, text=kept)
        content = replace(content, prepared=prepared)
        digest, kept = prepared.text_hash, prepared.text
        if latest is not None and same_version(latest["title"], latest["text"], title, kept, known):
            return content, digest, False
        return content, digest, True

    def _prepared(self, content: ContentIn) -> PreparedText:
        """The content's normalized text and fingerprints: as given, or computed here."""
        prepared = content.prepared
        if prepared is None or prepared.max_words != self.boilerplate.max_words:
            prepared = prepare.prepare_text(content.title, content.text, self.boilerplate)
        return prepared

    def _before(self, article_id: int, previous: str, text: str) -> str:
        """The previous text as the change summary compares it with *text*: the change as an
        editor made it, furniture and known boilerplate left out (``editorial_before``)."""
        site = self.article(article_id)["site"]
        nothing = PreparedText("", "", "", (), self.boilerplate.max_words, 0)
        known = self._learn_blocks(site, article_id, nothing, previous, "", learn=False)
        return editorial_before(previous, text, known)

    def _learn_blocks(
        self,
        site: str,
        article_id: int,
        prepared: PreparedText,
        previous: str,
        at: str,
        *,
        learn: bool = True,
    ) -> set[str]:
        """Count the short blocks of the text as seen on this article; return the fingerprints,
        among those of the text and *previous*, that are the site's boilerplate by now.

        A handful of statements per page whatever its number of blocks: the blocks this
        article was seen with already are read in one query, the new ones written with
        ``executemany``.
        """
        rules = self.boilerplate
        if not rules.enabled:
            return set()
        samples = {fp: block for fp, block, _ in prepared.blocks}
        prints = list(dict.fromkeys(fp for fp, _, short in prepared.blocks if short))
        conn = self.db.conn
        for start in range(0, len(prints) if learn else 0, _CHUNK):
            chunk = prints[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            seen = {
                r[0]
                for r in conn.execute(
                    f"select fingerprint from site_blocks where site = ? and article_id = ? "
                    f"and fingerprint in ({marks})",
                    [site, article_id, *chunk],
                )
            }
            new = [fp for fp in chunk if fp not in seen]
            conn.executemany(
                "insert into site_blocks (site, fingerprint, article_id) values (?, ?, ?)",
                [(site, fp, article_id) for fp in new],
            )
            conn.executemany(
                "insert into block_counts (site, fingerprint, articles, sample, first_seen) "
                "values (?, ?, 1, ?, ?) on conflict (site, fingerprint) "
                "do update set articles = articles + 1",
                [(site, fp, samples[fp][:200], at) for fp in new],
            )
        candidates = list(dict.fromkeys([*prints, *learnable(blocks_of(previous), rules)]))
        known: set[str] = set()
        for start in range(0, len(candidates), _CHUNK):
            chunk = candidates[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0]
                for r in conn.execute(
                    f"select fingerprint from block_counts where site = ? and articles >= ? "
                    f"and fingerprint in ({marks})",
                    [site, rules.min_articles, *chunk],
                )
            )
        return known

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
        prepared = self._prepared(content)  # as _decide left it: nothing is computed again
        title, text, words = prepared.title, prepared.text, prepared.word_count
        before = self._before(article_id, previous["text"], text) if previous else None
        summary = summarize_change(
            previous["title"] if previous else None,
            before,
            title,
            text,
            live=content.method == "live",  # the extractor read the page as a live blog
            words=words,
        )
        cursor = self.db.conn.execute(
            _INSERT_VERSION,
            [
                article_id,
                version,
                at,
                capture_id,
                title,
                ", ".join(content.authors) or None,
                json.dumps(list(content.authors)),
                content.published,
                content.modified,
                content.language,
                content.description,
                content.section,
                json.dumps(list(content.tags)),
                content.image,
                text,
                text_hash,
                words,
                content.extractor_version,
                content.method,
                summary.kind,
                json.dumps(summary.to_dict()),
                summary.words_added,
                summary.words_removed,
                int(summary.title_changed),
            ],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _store_raw(
        self, body: bytes, article_id: int | None = None, prepared: PreparedBody | None = None
    ) -> int:
        """Store *body* once (by SHA-256); as a delta against the article's keyframe when one
        exists and the delta is small (:mod:`archive.store.rawpages`). *prepared* carries the
        hash and keyframe when the crawl computed them already."""
        if prepared is None or prepared.size != len(body):
            prepared = prepare.prepare_body(body, compress=False)
        row = self.db.conn.execute(
            "select id from raw_pages where sha256 = ?", [prepared.sha256]
        ).fetchone()
        if row is not None:
            return int(row[0])
        content: bytes | None = None
        compression, base_id = rawpages.KEYFRAME, None
        keyframe = self._keyframe_of(article_id) if article_id is not None else None
        if keyframe is not None:
            base = rawpages.decompress(keyframe["content"], rawpages.KEYFRAME)
            delta = rawpages.compress_delta(body, base)
            if len(delta) <= rawpages.KEYFRAME_RATIO * len(keyframe["content"]):
                content, compression, base_id = delta, rawpages.DELTA, keyframe["id"]
        if content is None:
            content = prepared.keyframe or rawpages.compress(body)
        cursor = self.db.conn.execute(
            "insert into raw_pages (sha256, size, compression, content, base_id) "
            "values (?, ?, ?, ?, ?)",
            [prepared.sha256, prepared.size, compression, content, base_id],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _keyframe_of(self, article_id: int) -> dict[str, Any] | None:
        """The keyframe behind the article's last stored body (itself, or its delta's base)."""
        return self._one(
            "select r.id, r.content from raw_pages r where r.compression = 'zstd' and r.id = ("
            "  select coalesce(p.base_id, p.id) from captures c"
            "  join raw_pages p on p.id = c.raw_page_id"
            "  where c.article_id = ? and c.raw_page_id is not null"
            "  order by c.fetched_at desc, c.id desc limit 1)",
            [article_id],
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


def _capture_counters(
    article: dict[str, Any], capture: CaptureIn, outcome: str, at: str
) -> dict[str, Any]:
    """The article columns every capture moves: last check, counts, validators."""
    updates: dict[str, Any] = {"last_checked": at, "capture_count": article["capture_count"] + 1}
    if outcome in ("unchanged", "not-modified"):
        updates["unchanged_streak"] = article["unchanged_streak"] + 1
    if capture.status_code == 200 and outcome in ("new-version", "unchanged"):
        updates.update(etag=capture.etag, last_modified=capture.last_modified)
    return updates


def _version_fields(
    article: dict[str, Any], content: ContentIn, version: int, at: str
) -> dict[str, Any]:
    """The article columns a new version moves."""
    return {
        "version_count": version,
        "last_changed": at,
        "title": normalize_line(content.title),
        "published": content.published or article["published"],
        "unchanged_streak": 0,
    }


def _checked(article: dict[str, Any], updates: dict[str, Any], at: datetime) -> CheckedArticle:
    """The article as the check leaves it (its row with this check's updates applied)."""
    state = {**article, **updates}
    return CheckedArticle(
        article_id=article["id"],
        status=state["status"],
        published=state["published"],
        first_seen=state["first_seen"],
        unchanged_streak=state["unchanged_streak"],
        checked_at=at,
    )


def _moment(value: str | None) -> datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it names no zone); None when unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
