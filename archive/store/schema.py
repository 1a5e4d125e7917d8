"""The archive's schema as code: ``sqlite_utils.Migrations`` applied in order when a writer opens.

A new archive must never be left half-made. sqlite-utils commits its ``_sqlite_migrations``
table *before* the first migration runs, so a kill or a full disk in that window used to leave a
file that every later command refused as "not a newsarchive archive". Two rules close that:

- :func:`apply_migrations` runs the bookkeeping table, every pending migration and their
  bookkeeping rows in **one** transaction: a kill leaves the file as it was before, whole;
- :func:`is_unfinished` recognises what older versions could leave behind (only
  ``_sqlite_migrations``, or part of the first migration's tables, all empty, no migration
  recorded), and :func:`reset_unfinished` clears it so the file is made anew.

Every migration must therefore be transactional (no ``VACUUM`` in one).

May import: :mod:`sqlite_utils`, :mod:`archive.diff` (the change classifier a relabelling
migration runs; nothing else of archive).
"""

from __future__ import annotations

import json
import sqlite3
from functools import cache

import sqlite_utils
from sqlite_utils.migrations import Migrations

from archive.diff import summarize_change

#: Tables every archive has since the first migration; a file without them is not an archive.
CORE_TABLES = frozenset({"articles", "versions", "captures", "raw_pages", "crawls"})


migrations = Migrations("newsarchive")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("articles").create(
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
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["site", "status", "next_check"])
    db.table("article_urls").create(
        {"url": str, "article_id": int, "kind": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("raw_pages").create(
        {"id": int, "sha256": str, "size": int, "compression": str, "content": bytes},
        pk="id",
    )
    db.table("raw_pages").create_index(["sha256"], unique=True)
    db.table("crawls").create(
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
    db.table("captures").create(
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
    db.table("captures").create_index(["article_id", "fetched_at"])
    db.table("versions").create(
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
    db.table("versions").create_index(["article_id", "version"], unique=True)
    db.table("versions").create_index(["captured_at"])
    db.table("captures").add_foreign_key("version_id", "versions", "id")
    db.table("versions").enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
    db.table("events").create(
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
    db.table("events").create_index(["article_id", "at"])
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
    db.view("latest_versions").drop()
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


@migrations()
def m003_site_blocks_and_identity_keys(db: sqlite_utils.Database) -> None:
    """Fingerprints of blocks per site and article (site boilerplate learning), and the stable
    identities of articles (feed guid, shortlink) that join a moved article's URLs."""
    db.table("site_blocks").create(
        {"site": str, "fingerprint": str, "article_id": int},
        pk=("site", "fingerprint", "article_id"),
    )
    db.table("block_counts").create(
        {"site": str, "fingerprint": str, "articles": int, "sample": str, "first_seen": str},
        pk=("site", "fingerprint"),
        not_null={"articles"},
        defaults={"articles": 0},
    )
    db.table("article_keys").create(
        {"site": str, "key": str, "article_id": int, "kind": str},
        pk=("site", "key"),
    )
    db.table("article_keys").create_index(["article_id"])


@migrations()
def m004_drop_moved_to(db: sqlite_utils.Database) -> None:
    """Drop ``articles.moved_to``: a move renames the article, so no row ever pointed elsewhere."""
    db.execute("alter table articles drop column moved_to")


@migrations()
def m005_article_keys_per_article(db: sqlite_utils.Database) -> None:
    """An identity key may be held by several articles (a new URL holds its feed guid before
    it is joined to the article that had it first), so the key is per article."""
    db.table("article_keys").transform(pk=("site", "key", "article_id"))
    db.table("article_keys").create_index(["site", "key"], if_not_exists=True)


@migrations()
def m006_wording(db: sqlite_utils.Database) -> None:
    """The change kind "rewording" is called "wording" now (beside "typo" and "correction")."""
    db.execute("update versions set change_kind = 'wording' where change_kind = 'rewording'")
    db.execute(
        "update versions set change_summary = replace(change_summary, "
        '\'"kind": "rewording"\', \'"kind": "wording"\') '
        "where change_summary like '%\"rewording\"%'"
    )


def apply_migrations(db: sqlite_utils.Database) -> None:
    """Make or update the schema in one transaction (see the module docstring).

    Inside the outer transaction sqlite-utils' per-migration transactions nest as savepoints,
    and its scripts (the FTS table and triggers) run statement by statement, never committing.
    """
    with db.atomic():
        if is_unfinished(db):
            reset_unfinished(db)
        migrations.apply(db)


@cache
def first_migration_names() -> frozenset[str]:
    """Every table and view the first migration creates (FTS shadow tables included).

    Computed by running it on an empty in-memory database, so the list cannot drift.
    """
    scratch = sqlite_utils.Database(memory=True)
    try:
        m001_initial(scratch)
        rows = scratch.execute(
            "select name from sqlite_master where type in ('table', 'view')"
        ).fetchall()
    finally:
        scratch.close()
    return frozenset(name for (name,) in rows if not name.startswith("sqlite_"))


def _user_objects(db: sqlite_utils.Database) -> dict[str, str]:
    rows = db.execute(
        "select name, type from sqlite_master where type in ('table', 'view')"
    ).fetchall()
    return {name: kind for name, kind in rows if not name.startswith("sqlite_")}


def is_unfinished(db: sqlite_utils.Database) -> bool:
    """Whether the file is a new archive whose creation was cut short (nothing to keep).

    True when it holds ``_sqlite_migrations`` with no migration recorded, and otherwise only
    (some of) the first migration's tables, all empty. A file with anything else, or with one
    row anywhere, is somebody's data and is never touched.
    """
    objects = _user_objects(db)
    if Migrations.migrations_table not in objects:
        return False
    if set(objects) - first_migration_names() - {Migrations.migrations_table}:
        return False
    for name, kind in objects.items():
        if kind != "table" or name.startswith("versions_fts"):
            continue  # views hold no rows; FTS rows follow the versions table
        try:
            if db.execute(f"select 1 from [{name}] limit 1").fetchone() is not None:
                return False
        except sqlite3.DatabaseError:
            return False
    return True


def reset_unfinished(db: sqlite_utils.Database) -> None:
    """Drop what a cut-short creation left (call inside the transaction that re-creates it)."""
    objects = _user_objects(db)
    for name, kind in objects.items():
        if kind == "view":
            db.execute(f"drop view if exists [{name}]")
    if "versions_fts" in objects:
        db.execute("drop table if exists [versions_fts]")  # drops its shadow tables too
    for name, kind in _user_objects(db).items():
        if kind == "table":
            db.execute(f"drop table if exists [{name}]")


# The latest text of each article, indexed apart from all versions: a search looks at 50,000
# latest texts instead of 200,000 versions. External content (the ``versions`` rows), so no
# text is stored twice; the triggers keep exactly the newest version of each article indexed
# whatever writes the versions (a new version, a merge that renumbers, a delete). An FTS5
# 'delete' must repeat the values that were indexed: versions' title and text never change.
_LATEST_NEWEST_OTHER = (
    "(select max(version) from versions where article_id = {art} and id != {vid})"
)
_LATEST_TRIGGERS = f"""
create trigger latest_fts_ai after insert on versions
when new.version > coalesce({_LATEST_NEWEST_OTHER.format(art="new.article_id", vid="new.id")}, 0)
begin
  insert into latest_fts(latest_fts, rowid, title, text)
    select 'delete', id, title, text from versions
    where article_id = new.article_id and id != new.id and version = (
      select max(version) from versions where article_id = new.article_id and id != new.id);
  insert into latest_fts(rowid, title, text) values (new.id, new.title, new.text);
end;
create trigger latest_fts_ad after delete on versions
when old.version > coalesce({_LATEST_NEWEST_OTHER.format(art="old.article_id", vid="old.id")}, 0)
begin
  insert into latest_fts(latest_fts, rowid, title, text)
    values ('delete', old.id, old.title, old.text);
  insert into latest_fts(rowid, title, text)
    select id, title, text from versions
    where article_id = old.article_id and version = (
      select max(version) from versions where article_id = old.article_id);
end;
create trigger latest_fts_au after update on versions
begin
  -- One trigger, in this order: the row keeps its id, so the old side must go first.
  insert into latest_fts(latest_fts, rowid, title, text)
    select 'delete', old.id, old.title, old.text
    where old.version > coalesce({_LATEST_NEWEST_OTHER.format(art="old.article_id", vid="old.id")}, 0);
  insert into latest_fts(rowid, title, text)
    select id, title, text from versions
    where article_id = old.article_id and id != old.id
      and version = {_LATEST_NEWEST_OTHER.format(art="old.article_id", vid="old.id")}
      and old.version > version;
  insert into latest_fts(latest_fts, rowid, title, text)
    select 'delete', id, title, text from versions
    where article_id = new.article_id and id != new.id
      and version = {_LATEST_NEWEST_OTHER.format(art="new.article_id", vid="new.id")}
      and new.version > version;
  insert into latest_fts(rowid, title, text)
    select new.id, new.title, new.text
    where new.version > coalesce({_LATEST_NEWEST_OTHER.format(art="new.article_id", vid="new.id")}, 0);
end;
"""


@migrations()
def m006_latest_text_index_and_query_indexes(db: sqlite_utils.Database) -> None:
    """``latest_fts`` (the latest version of each article) and the indexes the reads need.

    Each index is named for the query it serves; every canned query and the due-articles
    query then search an index instead of scanning a table (tests/test_query_plans.py).
    """
    db.execute(
        "create virtual table latest_fts using fts5("
        "title, text, content='versions', content_rowid='id', tokenize='porter')"
    )
    for trigger in _LATEST_TRIGGERS.split("\nend;")[:-1]:  # executescript would commit
        db.execute(trigger + "\nend;")
    db.execute(
        "insert into latest_fts(rowid, title, text) "
        "select v.id, v.title, v.text from versions v where v.version = "
        "(select max(version) from versions x where x.article_id = v.article_id)"
    )
    # due_articles: a site's due rows in next_check order (moved articles have none).
    db.table("articles").create_index(["site", "next_check"], index_name="articles_due")
    # most_edited, removed_after_publication
    db.table("articles").create_index(
        ["version_count", "last_changed"], index_name="articles_edits"
    )
    db.table("articles").create_index(["status", "version_count"], index_name="articles_status")
    # latest_versions sorted by last change; articles listed by site
    db.table("articles").create_index(["last_changed"], index_name="articles_last_changed")
    # closing an interrupted crawl counts its captures
    db.table("captures").create_index(["crawl_id"], index_name="captures_crawl")
    # headline_changes; the versions table's facets
    db.table("versions").create_index(
        ["title_changed", "captured_at"], index_name="versions_headline"
    )
    db.table("versions").create_index(["change_kind"], index_name="versions_change_kind")


@migrations()
def m007_raw_page_deltas(db: sqlite_utils.Database) -> None:
    """Raw pages may be deltas against a keyframe (``base_id``); rows before stay keyframes."""
    db.table("raw_pages").add_column("base_id", int)


@migrations()
def m008_source_validators(db: sqlite_utils.Database) -> None:
    """ETag and Last-Modified of each feed and sitemap, for conditional GETs of sources."""
    db.table("sources").create(
        {"url": str, "etag": str, "last_modified": str, "fetched_at": str}, pk="url"
    )


@migrations()
def m009_interop(db: sqlite_utils.Database) -> None:
    """Requested URL and redirect hops per capture (WARC export), re-extraction runs.

    ``reextract_runs`` and ``reextract_done`` make a re-extraction resumable: each article's
    rebuild and its ``done`` row are one transaction, so a killed run continues where it
    stopped. ``superseded_versions`` keeps every version a rebuild replaced, with the run that
    replaced it: re-extraction never loses what an older extractor read.
    """
    db.table("captures").add_column("requested_url", str)
    db.table("captures").add_column("redirects", str)
    db.table("captures").create_index(["raw_page_id"], if_not_exists=True)
    db.table("reextract_runs").create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,
            "extractor_version": str,
            "site": str,
            "since": str,
            "article_id": int,
            "articles_total": int,
            "articles_done": int,
            "versions_added": int,
            "versions_removed": int,
        },
        pk="id",
    )
    db.table("reextract_done").create(
        {"run_id": int, "article_id": int, "changed": int},
        pk=("run_id", "article_id"),
        foreign_keys=[("run_id", "reextract_runs", "id")],
    )
    db.execute(
        "create table superseded_versions as select *, 0 as superseded_by_run from versions where 0"
    )
    db.table("superseded_versions").create_index(["article_id", "superseded_by_run"])


@migrations()
def m010_requests(db: sqlite_utils.Database) -> None:
    """Requests to the running service: ``archive`` and ``crawl`` while ``run`` holds the
    archive hand their work to it here and wait for the answer."""
    db.table("requests").create(
        {
            "id": int,
            "kind": str,
            "payload": str,
            "requested": str,
            "status": str,
            "started": str,
            "answered": str,
            "result": str,
            "error": str,
        },
        pk="id",
        not_null={"kind", "payload", "requested", "status"},
    )
    db.table("requests").create_index(["status", "id"])


@migrations()
def m011_typo_labels_reclassified(db: sqlite_utils.Database) -> None:
    """Change kinds were refined after the first archives were made: ``typo`` had also named a
    changed number, date or name (now ``correction``) and a changed word (``wording``). Each
    version still labelled ``typo`` is classified again, by the classifier versions are
    written with, against the version before it."""
    relabel_change_kinds(db, kinds=("typo",))


def relabel_change_kinds(db: sqlite_utils.Database, *, kinds: tuple[str, ...]) -> int:
    """Classify again every version whose ``change_kind`` is one of *kinds* (summary, word
    counts and kind, as :func:`archive.diff.summarize_change` gives them today, against the
    version before it); returns how many labels changed. Runs in the caller's transaction."""
    marks = ",".join("?" * len(kinds))
    rows = db.execute(
        "select v.id, v.title, v.text, v.method, v.change_kind, p.title, p.text "
        "from versions v join versions p "
        "on p.article_id = v.article_id and p.version = v.version - 1 "
        f"where v.change_kind in ({marks})",
        list(kinds),
    ).fetchall()
    changed = 0
    for vid, title, text, method, kind, old_title, old_text in rows:
        summary = summarize_change(old_title, old_text, title, text, live=method == "live")
        changed += summary.kind != kind
        db.execute(
            "update versions set change_kind = ?, change_summary = ?, words_added = ?, "
            "words_removed = ?, title_changed = ? where id = ?",
            [
                summary.kind,
                json.dumps(summary.to_dict()),
                summary.words_added,
                summary.words_removed,
                int(summary.title_changed),
                vid,
            ],
        )
    return changed
