"""Reads that stay fast at any size: query plans without full scans, a latest-text index that
holds exactly the newest version of each article."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sample_archive

from archive.datasette.metadata import CANNED_QUERIES
from archive.models import CaptureIn, ContentIn
from archive.search import search
from archive.store import Archive

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

#: A plan step that reads a whole table: "SCAN t" with no index, no virtual-table index, and
#: not a CTE or subquery result already bounded by one.
_FULL_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")

PARAMS = {"q": "ferry", "phrase": "old bridge"}


def plan(db, sql: str, params: dict) -> list[str]:
    return [row[3] for row in db.execute(f"explain query plan {sql}", params).fetchall()]


def full_scans(db, sql: str, params: dict) -> list[str]:
    tables = set(db.table_names()) | set(db.view_names())
    # Plans name a table by its alias (from versions v -> "SCAN v"); CTEs are not tables.
    aliases = {
        alias
        for table, alias in re.findall(r"(?:from|join)\s+(\w+)\s+(?:as\s+)?(\w+)", sql, re.I)
        if table in tables
    }
    return [
        step
        for step in plan(db, sql, params)
        if (m := _FULL_SCAN.match(step.strip())) and m.group(1) in tables | aliases
    ]


@pytest.fixture
def archive(db_path):
    sample_archive.build(db_path)
    with Archive(db_path) as archive:
        yield archive


@pytest.mark.parametrize("name", sorted(CANNED_QUERIES))
def test_no_canned_query_scans_a_whole_table(archive, name):
    sql = CANNED_QUERIES[name]["sql"]
    params = {k: v for k, v in PARAMS.items() if f":{k}" in sql}
    archive.db.conn.create_function("escape_fts", 1, lambda q: q)  # Datasette's function
    assert full_scans(archive.db, sql, params) == [], plan(archive.db, sql, params)


def test_the_due_articles_query_searches_an_index(archive):
    sql, params = archive_due_sql(archive)
    steps = plan(archive.db, sql, params)
    assert full_scans(archive.db, sql, params) == [], steps
    assert any("USING INDEX articles_due" in s for s in steps), steps
    assert not any("TEMP B-TREE" in s for s in steps), steps  # read in order, no sort


def archive_due_sql(archive) -> tuple[str, list]:
    """The SQL ``Archive.due_articles`` runs, caught from the connection's trace."""
    seen: list[str] = []
    archive.db.conn.set_trace_callback(seen.append)
    try:
        archive.due_articles("example", T0, limit=10)
    finally:
        archive.db.conn.set_trace_callback(None)
    (statement,) = [s for s in seen if "next_check" in s]
    return statement, []


def indexed_latest(db) -> set[int]:
    """Version ids that ``latest_fts`` holds, read from the index itself (fts5vocab)."""
    db.execute(
        "create virtual table if not exists temp.latest_terms using fts5vocab(main, latest_fts, 'instance')"
    )
    return {r[0] for r in db.execute("select distinct doc from temp.latest_terms")}


def newest_versions(db) -> set[int]:
    return {
        r[0]
        for r in db.execute(
            "select id from versions v where version = "
            "(select max(version) from versions x where x.article_id = v.article_id)"
        )
    }


def record(archive, url: str, minutes: int, text: str, title: str = "Story") -> int:
    rec = archive.record(
        CaptureIn(
            url=url,
            site="example",
            fetched_at=T0 + timedelta(minutes=minutes),
            status_code=200,
            raw=text.encode(),
            size=len(text),
        ),
        ContentIn(title=title, text=text, extractor_version="t1"),
    )
    return rec.article_id


def test_the_latest_text_index_holds_the_newest_version_of_each_article(archive):
    db = archive.db
    assert indexed_latest(db) == newest_versions(db)
    old = "https://news.example/old-address"
    new = "https://news.example/new-address"
    a = record(archive, old, 0, "Tram line opens next spring, said the zorbline office.")
    record(archive, old, 10, "Tram line opens next summer, the council said.")
    b = record(archive, new, 20, "Tram line opens next summer after delays.")
    assert indexed_latest(db) == newest_versions(db)
    # A redirect reveals both URLs are one article: b's versions move onto a's history.
    archive.rename_article(a, new, kind="redirect", at=T0 + timedelta(minutes=30))
    assert b not in {r["id"] for r in db.query("select id from articles")}
    assert indexed_latest(db) == newest_versions(db)
    (hit,) = search(db, "delays")
    assert hit.url == new and hit.version == 3 and hit.is_latest
    assert search(db, "zorbline") == []  # no longer in any latest text
    assert search(db, "zorbline", all_versions=True)[0].version == 1
    with db.conn:  # the way a re-extraction could drop a version: its captures let go first
        db.execute("update captures set version_id = null where version_id = ?", [hit.version_id])
        db.execute("delete from versions where id = ?", [hit.version_id])
    assert indexed_latest(db) == newest_versions(db)
    assert search(db, "council")[0].url == new  # version 2 is the latest again
