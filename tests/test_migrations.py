"""A new archive cannot be bricked: creation is one transaction, and what a cut-short creation
left behind (by a kill, a full disk, or an older version) is made anew, never refused."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from archive.models import CaptureIn
from archive.store import Archive, NotAnArchive
from archive.store.schema import first_migration_names, migrations

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {n for (n,) in conn.execute("select name from sqlite_master where type='table'")}
    finally:
        conn.close()


def assert_whole_archive(path: Path) -> None:
    """The file opens for writing, has the full schema, takes a capture and opens read-only."""
    with Archive(path) as archive:
        assert [m.name for m in migrations.pending(archive.db)] == []
        crawl = archive.start_crawl("s", T0)
        archive.record(
            CaptureIn(
                url="https://example.com/a",
                site="s",
                crawl_id=crawl,
                fetched_at=T0,
                outcome="error",
                reason="timeout",
            ),
            None,
        )
    assert first_migration_names() - {"latest_versions", "recent_changes", "most_edited"} <= (
        tables(path)
    )
    with Archive(path, readonly=True) as archive:
        assert archive.db["captures"].count == 1


def only_migrations_table(path: Path) -> None:
    """What sqlite-utils commits before the first migration runs."""
    db = sqlite_utils.Database(path)
    Migrations("newsarchive").ensure_migrations_table(db)
    db.close()


def test_a_file_holding_only_the_migrations_table_is_a_new_archive(db_path: Path):
    only_migrations_table(db_path)
    with pytest.raises(NotAnArchive, match="creation was interrupted"):
        Archive(db_path, readonly=True)  # a reader says what happened and writes nothing
    assert tables(db_path) == {"_sqlite_migrations"}
    assert_whole_archive(db_path)


def test_a_half_applied_first_migration_is_made_anew(db_path: Path):
    only_migrations_table(db_path)
    db = sqlite_utils.Database(db_path)
    db["articles"].create({"id": int, "url": str}, pk="id")  # an older, non-atomic version
    db["raw_pages"].create({"id": int, "sha256": str}, pk="id")
    db["versions"].create({"id": int, "title": str, "text": str}, pk="id")
    db["versions"].enable_fts(["title", "text"])
    db.close()
    assert_whole_archive(db_path)


def test_data_is_never_taken_for_a_cut_short_creation(db_path: Path):
    only_migrations_table(db_path)
    db = sqlite_utils.Database(db_path)
    db["articles"].insert({"id": 1, "url": "https://example.com/kept"}, pk="id")
    db.close()
    with pytest.raises(NotAnArchive):
        Archive(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("select url from articles").fetchall() == [("https://example.com/kept",)]
    conn.close()


def test_another_tools_migrations_are_not_ours(db_path: Path):
    db = sqlite_utils.Database(db_path)
    other = Migrations("some-other-tool")

    @other()
    def m001(db: sqlite_utils.Database) -> None:
        db["things"].create({"id": int}, pk="id")

    other.apply(db)
    db.close()
    with pytest.raises(NotAnArchive):
        Archive(db_path)
    assert tables(db_path) == {"_sqlite_migrations", "things"}


# --- real kills in the window ---------------------------------------------------------------

KILL_AFTER_BOOKKEEPING_TABLE = """
    from sqlite_utils.migrations import Migrations
    original = Migrations.ensure_migrations_table
    def ensure_then_die(self, db):
        original(self, db)
        os.kill(os.getpid(), signal.SIGKILL)
    Migrations.ensure_migrations_table = ensure_then_die
"""

KILL_AFTER_FIRST_MIGRATION_BODY = """
    from archive.store.schema import migrations
    first = migrations._migrations[0]
    body = first.fn
    def body_then_die(db):
        body(db)
        os.kill(os.getpid(), signal.SIGKILL)
    first.fn = body_then_die
"""


@pytest.mark.parametrize(
    "hook",
    [KILL_AFTER_BOOKKEEPING_TABLE, KILL_AFTER_FIRST_MIGRATION_BODY],
    ids=["after-bookkeeping-table", "after-first-migration-body"],
)
def test_sigkill_while_creating_leaves_a_file_the_next_writer_completes(db_path: Path, hook: str):
    script = (
        "import os, signal, sys\n"
        + textwrap.dedent(hook)
        + textwrap.dedent(
            """
        from archive.store import Archive
        Archive(sys.argv[1])
        print("survived")
        """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(db_path)], capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert db_path.exists()
    # The transaction never committed: nothing of the half-made schema is in the file.
    assert tables(db_path) == set()
    assert_whole_archive(db_path)


def test_a_writer_syncs_every_commit(db_path: Path):
    """synchronous = FULL in WAL mode: a committed capture is on the disk before record returns
    (NORMAL could lose the last commits to a power cut, which the documentation rules out)."""
    with Archive(db_path) as archive:
        assert archive.db.execute("pragma journal_mode").fetchone() == ("wal",)
        assert archive.db.execute("pragma synchronous").fetchone() == (2,)  # FULL


def test_old_typo_labels_are_classified_again_when_the_archive_opens(db_path: Path):
    """An archive written before change kinds were refined calls a changed number, a changed
    word and a fixed misspelling all ``typo``; opening it relabels them with today's kinds."""
    from archive.models import ContentIn

    texts = [
        "Police said 3 people were killed in the crash on the coast road on Tuesday night.",
        "Police said 4 people were killed in the crash on the coast road on Tuesday night.",
        "Police said 4 people died in the crash on the coast road on Tuesday night.",
        "Police said 4 people died in the crash on the coast road on Tuesday nigt.",
        "Police said 4 people died in the crash on the coast road on Tuesday night.",
    ]
    url = "https://example.com/2026/11/01/crash"
    with Archive(db_path) as archive:
        for minutes, text in enumerate(texts):
            archive.record(
                CaptureIn(
                    url=url,
                    site="s",
                    fetched_at=T0.replace(minute=minutes),
                    status_code=200,
                    raw=text.encode(),
                ),
                ContentIn(title="Crash", text=text, extractor_version="t"),
            )
        today = [
            r["change_kind"]
            for r in archive.db.query("select change_kind from versions order by version")
        ]
    assert today == ["first", "correction", "wording", "typo", "typo"]

    # The file as the older classifier left it: every small edit a "typo", m011 not applied.
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "update versions set change_kind = 'typo', change_summary = '{\"kind\": \"typo\"}' "
            "where version > 1"
        )
        conn.execute("delete from _sqlite_migrations where name = 'm011_typo_labels_reclassified'")
    conn.close()

    with Archive(db_path) as archive:
        rows = list(
            archive.db.query("select change_kind, change_summary from versions order by version")
        )
    assert [r["change_kind"] for r in rows] == today
    assert all(f'"kind": "{r["change_kind"]}"' in r["change_summary"] for r in rows[1:])
