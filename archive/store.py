"""The archive: one SQLite file, the only module that writes SQL.

Schema changes are code (``sqlite_utils.Migrations``); every logical write happens inside
``db.atomic()`` so a crash or a kill mid-crawl leaves either all of a capture or none of it. The
file is in WAL mode so Datasette (or ``newsarchive history``) can read while a crawl writes.

Layout, after the git-history idea of a latest-state table beside a version table:

- ``articles``: one row per canonical URL, its latest state (status, title, next check...);
- ``article_urls``: other URLs of the same article (aliases, old URLs after a move);
- ``versions``: one row per distinct editorial version (normalized title + text hash);
- ``captures``: one row per fetch attempt, whatever happened;
- ``raw_pages``: every distinct fetched body, zstd-compressed, de-duplicated by SHA-256, kept so
  the archive can be re-extracted and exported as WARC;
- ``events``: lifecycle changes (gone, moved, soft-404, failing, revived);
- ``crawls``: one row per crawl cycle.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard
from sqlite_utils.migrations import Migrations

from archive import lifecycle
from archive.diff import count_words, summarize_change
from archive.models import Candidate, CaptureIn, ContentIn, CrawlCounts, Recorded, utc_iso
from archive.versions import content_hash, normalize_line, normalize_text


class ArchiveError(Exception):
    """Base class of the archive's errors."""


class ArticleNotFound(ArchiveError):
    """No article has that id or URL."""


class VersionNotFound(ArchiveError):
    """The article has no version with that number."""


class NotAnArchive(ArchiveError):
    """The file exists but is not a newsarchive database (or is damaged)."""


class ArchiveWriteError(ArchiveError):
    """SQLite refused a write (disk full, read-only file or folder, I/O error); nothing of it
    was kept, the archive holds what it held before."""


#: Tables every archive has since the first migration; a file without them is not an archive.
CORE_TABLES = frozenset({"articles", "versions", "captures", "raw_pages", "crawls"})


migrations = Migrations("newsarchive")

SQLITE_MAX_INT = 2**63 - 1


def as_row_id(ref: int | str) -> int | None:
    """*ref* as an id SQLite can hold, or None: "2", 2 -> 2; "²", "-1", 10**30, "x" -> None.

    ``str.isdigit`` accepts superscripts that ``int`` refuses, and numbers past 64 bits make
    sqlite3 raise OverflowError: an id typed by a user must simply find nothing.
    """
    if isinstance(ref, str):
        if not (ref.isascii() and ref.isdigit()):
            return None
        ref = int(ref)
    return ref if 0 <= ref <= SQLITE_MAX_INT else None


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "status": str,
            "moved_to": str,
            "title": str,
            "published": str,
            "first_seen": str,
            "last_checked": str,
            "last_changed": str,
            "next_check": str,
            "version_count": int,
            "capture_count": int,
            "unchanged_streak": int,
            "error_streak": int,
            "hint_modified": str,
            "etag": str,
            "last_modified": str,
        },
        pk="id",
        not_null={"url", "site", "status", "first_seen"},
        defaults={
            "status": "new",
            "version_count": 0,
            "capture_count": 0,
            "unchanged_streak": 0,
            "error_streak": 0,
        },
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["site", "status", "next_check"])
    db["article_urls"].create(
        {"url": str, "article_id": int, "kind": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["raw_pages"].create(
        {"id": int, "sha256": str, "size": int, "compression": str, "content": bytes},
        pk="id",
    )
    db["raw_pages"].create_index(["sha256"], unique=True)
    db["crawls"].create(
        {
            "id": int,
            "site": str,
            "started": str,
            "finished": str,
            "status": str,
            "discovered": int,
            "new_articles": int,
            "fetched": int,
            "new_versions": int,
            "unchanged": int,
            "not_modified": int,
            "skipped": int,
            "errors": int,
            "errors_by_kind": str,
        },
        pk="id",
    )
    db["captures"].create(
        {
            "id": int,
            "article_id": int,
            "crawl_id": int,
            "url": str,
            "final_url": str,
            "fetched_at": str,
            "status_code": int,
            "outcome": str,
            "reason": str,
            "error": str,
            "etag": str,
            "last_modified": str,
            "content_type": str,
            "encoding": str,
            "bytes": int,
            "elapsed_ms": int,
            "http_version": str,
            "request_headers": str,
            "response_headers": str,
            "raw_page_id": int,
            "version_id": int,
        },
        pk="id",
        foreign_keys=[
            ("article_id", "articles", "id"),
            ("crawl_id", "crawls", "id"),
            ("raw_page_id", "raw_pages", "id"),
        ],
    )
    db["captures"].create_index(["article_id", "fetched_at"])
    db["versions"].create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "captured_at": str,
            "capture_id": int,
            "title": str,
            "byline": str,
            "authors": str,
            "published": str,
            "modified": str,
            "language": str,
            "description": str,
            "section": str,
            "tags": str,
            "image": str,
            "text": str,
            "text_hash": str,
            "word_count": int,
            "extractor_version": str,
            "method": str,
            "change_kind": str,
            "change_summary": str,
            "words_added": int,
            "words_removed": int,
            "title_changed": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("capture_id", "captures", "id")],
    )
    db["versions"].create_index(["article_id", "version"], unique=True)
    db["versions"].create_index(["captured_at"])
    db["captures"].add_foreign_key("version_id", "versions", "id")
    db["versions"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
    db["events"].create(
        {
            "id": int,
            "article_id": int,
            "at": str,
            "kind": str,
            "detail": str,
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("capture_id", "captures", "id")],
    )
    db["events"].create_index(["article_id", "at"])
    db.create_view(
        "latest_versions",
        """
        select a.id as article_id, a.url, a.site, a.status, a.version_count, a.last_changed,
               v.version, v.captured_at, v.title, v.byline, v.published, v.modified,
               v.language, v.section, v.word_count, v.change_kind, v.text
        from articles a join versions v
          on v.article_id = a.id and v.version = a.version_count
        """,
    )
    db.create_view(
        "recent_changes",
        """
        select v.id as version_id, v.article_id, a.url, a.site, v.version, v.captured_at,
               v.title, v.change_kind, v.words_added, v.words_removed, v.title_changed
        from versions v join articles a on a.id = v.article_id
        where v.version > 1
        order by v.captured_at desc, v.id desc
        """,
    )
    db.create_view(
        "most_edited",
        """
        select a.id as article_id, a.url, a.site, a.title, a.version_count, a.first_seen,
               a.last_changed, a.status
        from articles a
        where a.version_count > 1
        order by a.version_count desc, a.last_changed desc
        """,
    )


@migrations()
def m002_latest_versions_version_id(db: sqlite_utils.Database) -> None:
    """Give ``latest_versions`` the version's id, so Datasette can search and link it."""
    db["latest_versions"].drop()
    db.create_view(
        "latest_versions",
        """
        select v.id as version_id, a.id as article_id, a.url, a.site, a.status,
               a.version_count, a.last_changed, v.version, v.captured_at, v.title, v.byline,
               v.published, v.modified, v.language, v.section, v.word_count, v.change_kind,
               v.text
        from articles a join versions v
          on v.article_id = a.id and v.version = a.version_count
        """,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _headers_json(headers: tuple[tuple[str, str], ...]) -> str | None:
    return json.dumps([list(h) for h in headers]) if headers else None


class Archive:
    """An open archive file. One ``Archive`` per process writes; any number may read."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no such archive (run a crawl first)")
            self.db = sqlite_utils.Database(self._connect_readonly())
            self._check()
            return
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(
                f"{self.path}: cannot create the folder {folder} ({exc.strerror or exc})"
            ) from exc
        if not os.access(folder, os.W_OK | os.X_OK):
            # WAL mode keeps <db>-wal and <db>-shm beside the file: the folder must be writable.
            raise ArchiveWriteError(
                f"{self.path}: the folder {folder} is read-only; the archive needs to write "
                f"{self.path.name}-wal and {self.path.name}-shm beside it"
            )
        try:
            self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._check()  # before anything is written: someone else's file stays untouched
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)
        except sqlite3.OperationalError as exc:  # read-only file, locked, disk full...
            raise ArchiveWriteError(
                f"{self.path}: cannot open the archive for writing ({exc})"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: not a newsarchive database ({exc})") from exc
        self._zstd = zstandard.ZstdCompressor(level=6)

    def _connect_readonly(self) -> sqlite3.Connection:
        """A read-only connection; ``immutable`` only where no writer can exist.

        A WAL database needs its ``-shm`` file even to be read. In a read-only folder where no
        ``-wal`` file exists, no process can be writing the archive (it could not create the
        WAL), so reading it as immutable is safe; anywhere else readers must see live writes.
        """
        uri = f"file:{self.path}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError:
            wal = self.path.with_name(self.path.name + "-wal")
            if os.access(self.path.parent, os.W_OK) or wal.exists():
                return conn  # the real problem shows in _check
            conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30)
        except sqlite3.DatabaseError:
            pass  # not a database: _check says so
        return conn

    def _check(self) -> None:
        try:
            names = set(self.db.table_names())
        except sqlite3.OperationalError as exc:
            raise ArchiveError(f"{self.path}: cannot read the archive ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: not a SQLite database, or damaged ({exc})") from exc
        if not names and not self.readonly:
            return  # a new (or empty) file: the migrations make it an archive
        missing = CORE_TABLES - names
        if not names:
            raise NotAnArchive(f"{self.path}: an empty database, not a newsarchive archive")
        if missing == CORE_TABLES:
            raise NotAnArchive(f"{self.path}: a SQLite database, but not a newsarchive archive")
        if missing:
            raise NotAnArchive(
                f"{self.path}: not a newsarchive archive (no {', '.join(sorted(missing))} table)"
            )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; SQLite's storage errors become :class:`ArchiveError` values.

        ``db.atomic()`` rolls the transaction back on any error, so a failed write (a full
        disk, a file made read-only) leaves the archive as it was before it.
        """
        try:
            with self.db.atomic():
                yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug, not the storage
        except sqlite3.OperationalError as exc:
            raise ArchiveWriteError(f"{self.path}: cannot write to the archive ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: the archive is damaged ({exc})") from exc

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes (a move and the capture that saw it) into one transaction.

        Writes inside it nest as savepoints; storage errors are typed as in every write. Never
        hold it across an ``await``: every crawl of the process writes through this connection.
        """
        return self._writing()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ articles

    def article(self, ref: int | str) -> dict[str, Any]:
        """The article with id *ref*, or whose URL (or alias URL) is *ref*."""
        row = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            row_id = as_row_id(ref)
            if row_id is not None:
                row = self._one("select * from articles where id = ?", [row_id])
        else:
            row = self._one("select * from articles where url = ?", [ref])
            if row is None:
                row = self._one(
                    "select a.* from article_urls u join articles a on a.id = u.article_id "
                    "where u.url = ?",
                    [ref],
                )
        if row is None:
            raise ArticleNotFound(f"no article {ref!r} in the archive")
        return row

    def find_article(self, url: str) -> dict[str, Any] | None:
        try:
            return self.article(url)
        except ArticleNotFound:
            return None

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
                    row_id = (
                        self.db["articles"]
                        .insert(
                            {
                                "url": cand.url,
                                "site": cand.site,
                                "status": "new",
                                "title": cand.title,
                                "published": cand.published,
                                "first_seen": stamp,
                                "next_check": stamp,
                                "hint_modified": cand.modified,
                            }
                        )
                        .last_pk
                    )
                    new_ids.append(int(row_id))
                elif cand.modified and (existing["hint_modified"] or "") < cand.modified:
                    self.db["articles"].update(existing["id"], {"hint_modified": cand.modified})
        return new_ids

    def due_articles(self, site: str, now: datetime, limit: int | None = None) -> list[dict]:
        """Articles of *site* whose next check is due, oldest-due first."""
        sql = (
            "select * from articles where site = ? and next_check is not null "
            "and next_check <= ? and status != 'moved' order by next_check, id"
        )
        params: list[Any] = [site, utc_iso(now)]
        if limit is not None:
            sql += " limit ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def live_articles(self, site: str) -> list[dict]:
        """Every article of *site* that is still checked (``crawl --all``)."""
        return list(
            self.db.query(
                "select * from articles where site = ? and status not in ('moved') "
                "and next_check is not null order by id",
                [site],
            )
        )

    def backlog(self, now: datetime) -> dict[str, int]:
        """Due re-checks per site."""
        rows = self.db.query(
            "select site, count(*) as n from articles where next_check is not null "
            "and next_check <= ? group by site",
            [utc_iso(now)],
        )
        return {r["site"]: r["n"] for r in rows}

    def set_next_check(self, article_id: int, when: datetime | None) -> None:
        with self._writing():
            self.db["articles"].update(article_id, {"next_check": utc_iso(when) if when else None})

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
            self.db["article_urls"].delete_where("url = ?", [new_url])
            self.db["articles"].update(article_id, {"url": new_url})
            self._alias(old_url, article_id, kind)
            if kind == "redirect":
                self._event(article_id, at, "moved", f"{old_url} -> {new_url}", capture_id)
            return article_id

    def _alias(self, url: str, article_id: int, kind: str) -> None:
        self.db["article_urls"].upsert(
            {"url": url, "article_id": article_id, "kind": kind}, pk="url"
        )

    def _merge(self, src: int, dst: int) -> None:
        for table in ("captures", "events", "article_urls"):
            self.db.execute(f"update {table} set article_id = ? where article_id = ?", [dst, src])
        # Counted, not added: the figure stays the number of capture rows whatever came before.
        self.db.execute(
            "update articles set capture_count = "
            "(select count(*) from captures where article_id = ?) where id = ?",
            [dst, dst],
        )
        self.db["articles"].delete(src)

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
            if latest is not None and v["text_hash"] == latest["text_hash"]:
                self.db.execute(
                    "update captures set version_id = ?, outcome = 'unchanged' "
                    "where version_id = ?",
                    [latest["id"], v["id"]],
                )
                self.db["versions"].delete(v["id"])
                continue
            number += 1
            summary = summarize_change(
                latest["title"] if latest else None,
                latest["text"] if latest else None,
                v["title"],
                v["text"],
            )
            self.db["versions"].update(
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
        self.db["articles"].update(keep, updates)

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
                new_hash = content_hash(content.title, content.text)
                outcome = (
                    "unchanged" if latest and latest["text_hash"] == new_hash else "new-version"
                )

            capture_id = int(
                self.db["captures"]
                .insert(
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
                    }
                )
                .last_pk
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
                self.db["captures"].update(capture_id, {"version_id": version_id})
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
            self.db["articles"].update(article_id, updates)
        return Recorded(
            article_id=article_id,
            capture_id=capture_id,
            outcome=outcome,
            version=version,
            version_id=version_id,
            status=step.status,
            event=step.event,
        )

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
        return int(
            self.db["versions"]
            .insert(
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
                }
            )
            .last_pk
        )

    def _store_raw(self, body: bytes) -> int:
        digest = hashlib.sha256(body).hexdigest()
        row = self._one("select id from raw_pages where sha256 = ?", [digest])
        if row is not None:
            return int(row["id"])
        return int(
            self.db["raw_pages"]
            .insert(
                {
                    "sha256": digest,
                    "size": len(body),
                    "compression": "zstd",
                    "content": self._zstd.compress(body),
                }
            )
            .last_pk
        )

    def _event(
        self, article_id: int, at: datetime, kind: str, detail: str | None, capture_id: int | None
    ) -> None:
        self.db["events"].insert(
            {
                "article_id": article_id,
                "at": utc_iso(at),
                "kind": kind,
                "detail": detail,
                "capture_id": capture_id,
            }
        )

    # ------------------------------------------------------------------ crawls

    def start_crawl(self, site: str, started: datetime) -> int:
        with self._writing():
            return int(
                self.db["crawls"]
                .insert({"site": site, "started": utc_iso(started), "status": "running"})
                .last_pk
            )

    def finish_crawl(
        self, crawl_id: int, finished: datetime, counts: CrawlCounts, status: str = "done"
    ) -> None:
        row = asdict(counts)
        row["errors_by_kind"] = json.dumps(row["errors_by_kind"], sort_keys=True)
        with self._writing():
            self.db["crawls"].update(
                crawl_id, {**row, "finished": utc_iso(finished), "status": status}
            )

    def close_interrupted_crawls(self) -> list[int]:
        """Mark crawls left ``running`` by a process that died as ``interrupted``.

        Call it only while holding the archive lock: then no crawl of this archive can be
        running, so a ``running`` row is the trace of a kill, a crash or a power cut. Its
        figures are rebuilt from the captures it recorded (every capture is whole), and it is
        finished at its last capture. Returns the ids of the crawls closed.
        """
        with self._writing():
            stale = [
                r["id"] for r in self.db.query("select id from crawls where status = 'running'")
            ]
            for crawl_id in stale:
                self._close_interrupted(crawl_id)
        return stale

    def _close_interrupted(self, crawl_id: int) -> None:
        rows = list(
            self.db.query(
                "select outcome, reason, count(*) as n, max(fetched_at) as last from captures "
                "where crawl_id = ? group by outcome, reason",
                [crawl_id],
            )
        )
        by_outcome: dict[str, int] = {}
        by_reason: dict[str, int] = {}
        for r in rows:
            by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + r["n"]
            if r["reason"]:
                by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["n"]
        crawl = self._one("select started from crawls where id = ?", [crawl_id])
        last = max((r["last"] for r in rows), default=None)
        self.db["crawls"].update(
            crawl_id,
            {
                "status": "interrupted",
                "finished": last or (crawl["started"] if crawl else None),
                "fetched": sum(by_outcome.values()),
                "new_versions": by_outcome.get("new-version", 0),
                "unchanged": by_outcome.get("unchanged", 0),
                "not_modified": by_outcome.get("not-modified", 0),
                "skipped": by_outcome.get("skipped", 0),
                "errors": by_outcome.get("error", 0) + by_outcome.get("gone", 0),
                "errors_by_kind": json.dumps(by_reason, sort_keys=True),
            },
        )

    def crawls(self, limit: int = 10) -> list[dict]:
        return list(self.db.query("select * from crawls order by id desc limit ?", [limit]))

    # ------------------------------------------------------------------ reading

    def versions(self, article_id: int) -> list[dict]:
        return list(
            self.db.query(
                "select * from versions where article_id = ? order by version", [article_id]
            )
        )

    def version(self, article_id: int, number: int) -> dict:
        if number < 0:  # -1 is the latest, -2 the one before...
            rows = self.versions(article_id)
            if -number > len(rows):
                raise VersionNotFound(f"article {article_id} has {len(rows)} version(s)")
            return rows[number]
        row = None
        if as_row_id(number) is not None:
            row = self._one(
                "select * from versions where article_id = ? and version = ?", [article_id, number]
            )
        if row is None:
            raise VersionNotFound(f"article {article_id} has no version {number}")
        return row

    def captures(self, article_id: int) -> list[dict]:
        return list(
            self.db.query(
                "select * from captures where article_id = ? order by fetched_at, id",
                [article_id],
            )
        )

    def events(self, article_id: int) -> list[dict]:
        return list(
            self.db.query("select * from events where article_id = ? order by at, id", [article_id])
        )

    def raw_page(self, raw_page_id: int) -> bytes:
        row = self._one("select content, compression from raw_pages where id = ?", [raw_page_id])
        if row is None:
            raise ArchiveError(f"no raw page {raw_page_id}")
        return zstandard.ZstdDecompressor().decompress(row["content"])

    def last_capture_headers(self, article_id: int) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the article's last full capture, for a conditional GET."""
        row = self._one("select etag, last_modified from articles where id = ?", [article_id])
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def export_versions(self) -> Iterator[dict]:
        """Every version, oldest first, with its article URL."""
        yield from self.db.query(
            "select a.url, a.site, v.version, v.captured_at, v.title, v.byline, v.published, "
            "v.modified, v.change_kind, v.text from versions v "
            "join articles a on a.id = v.article_id order by a.id, v.version"
        )

    def counts(self) -> dict[str, int]:
        return {
            name: self.db[name].count
            for name in ("articles", "versions", "captures", "raw_pages", "events", "crawls")
        }

    def changes_since(self, since: datetime, site: str | None = None) -> list[dict]:
        sql = "select * from recent_changes where captured_at >= ?"
        params: list[Any] = [utc_iso(since)]
        if site:
            sql += " and site = ?"
            params.append(site)
        return list(self.db.query(sql, params))

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        for row in self.db.query(sql, params):
            return row
        return None
