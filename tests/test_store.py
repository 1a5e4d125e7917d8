"""The archive store against real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from archive.lifecycle import transition
from archive.models import Candidate, CaptureIn, ContentIn, utc_iso
from archive.store import Archive, ArticleNotFound, NotAnArchive, VersionNotFound, migrations
from archive.store import writes as store_writes
from archive.versions import content_hash, normalize_text

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://news.example/2026/11/01/story"
TEXT = "First paragraph of the story.\n\nSecond paragraph, with a quote."


def capture(minutes: int = 0, **kw) -> CaptureIn:
    base = dict(
        url=URL,
        site="example",
        fetched_at=T0 + timedelta(minutes=minutes),
        status_code=200,
        raw=b"<html>page</html>",
        size=17,
    )
    base.update(kw)
    return CaptureIn(**base)


def content(text: str = TEXT, title: str = "A story") -> ContentIn:
    return ContentIn(title=title, text=text, extractor_version="t1", authors=("Ann Writer",))


def test_first_capture_makes_version_one(db_path):
    with Archive(db_path) as archive:
        rec = archive.record(capture(), content())
        assert (rec.outcome, rec.version, rec.status) == ("new-version", 1, "live")
        article = archive.article(URL)
        assert article["version_count"] == 1
        assert article["capture_count"] == 1
        [v] = archive.versions(article["id"])
        assert v["text"] == TEXT
        assert v["byline"] == "Ann Writer"
        assert v["change_kind"] == "first"


def test_same_text_with_different_whitespace_is_unchanged(db_path):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
        noisy = "First  paragraph of the\nstory. \n\n\n\nSecond paragraph,\u00a0with a quote.\n"
        rec = archive.record(capture(15, raw=b"<html>other boilerplate</html>"), content(noisy))
        assert rec.outcome == "unchanged"
        assert rec.version is None
        article = archive.article(URL)
        assert (article["version_count"], article["capture_count"]) == (1, 2)
        assert article["unchanged_streak"] == 1
        # Both raw pages kept: they differ.
        assert archive.counts()["raw_pages"] == 2


def test_one_word_change_makes_a_new_version_and_is_searchable(db_path):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
        edited = TEXT.replace("quote", "correction")
        rec = archive.record(capture(30), content(edited))
        assert (rec.outcome, rec.version) == ("new-version", 2)
        v2 = archive.version(rec.article_id, 2)
        assert v2["words_added"] == 1 and v2["words_removed"] == 1
        hits = list(
            archive.db.query(
                "select versions.version from versions_fts join versions "
                "on versions.id = versions_fts.rowid where versions_fts match ?",
                ["correction"],
            )
        )
        assert hits == [{"version": 2}]
        assert archive.version(rec.article_id, -1)["version"] == 2
        with pytest.raises(VersionNotFound):
            archive.version(rec.article_id, 3)


def test_title_change_alone_is_a_new_version(db_path):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
        rec = archive.record(capture(5), content(title="A better story"))
        assert rec.version == 2
        assert archive.article(URL)["title"] == "A better story"


def test_raw_pages_are_deduplicated_and_round_trip(db_path):
    body = b"<html>" + b"x" * 10_000 + b"</html>"
    with Archive(db_path) as archive:
        archive.record(capture(raw=body), content())
        archive.record(capture(15, raw=body), content())
        assert archive.counts()["raw_pages"] == 1
        [first, second] = archive.captures(archive.article(URL)["id"])
        assert first["raw_page_id"] == second["raw_page_id"]
        assert archive.raw_page(first["raw_page_id"]) == body
        stored = archive.db.execute("select length(content) from raw_pages").fetchone()[0]
        assert stored < len(body) / 10  # compressed


def test_failed_fetch_records_only_a_capture(db_path):
    with Archive(db_path) as archive:
        rec = archive.record(
            capture(raw=None, status_code=None, outcome="error", reason="timeout", error="slow")
        )
        assert rec.outcome == "error"
        counts = archive.counts()
        assert counts["captures"] == 1 and counts["versions"] == 0 and counts["raw_pages"] == 0
        assert archive.captures(rec.article_id)[0]["reason"] == "timeout"


def test_lifecycle_gone_then_revived(db_path):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
        gone = archive.record(
            capture(60, raw=None, status_code=404, outcome="gone", reason="http-404")
        )
        assert (gone.status, gone.event) == ("gone", "gone")
        again = archive.record(
            capture(120, raw=None, status_code=410, outcome="gone", reason="http-410")
        )
        assert again.event is None  # still gone: no second event
        back = archive.record(capture(180), content())
        assert (back.status, back.event, back.outcome) == ("live", "revived", "unchanged")
        kinds = [e["kind"] for e in archive.events(back.article_id)]
        assert kinds == ["gone", "revived"]


def test_repeated_errors_mark_an_article_failing():
    status, streak = "live", 0
    events = []
    for _ in range(4):
        step = transition(status, "error", reason="timeout", error_streak=streak)
        status, streak = step.status, step.error_streak
        events.append(step.event)
    assert status == "failing"
    assert events == [None, None, "failing", None]
    assert transition("soft-404", "unchanged").event == "revived"
    assert transition("live", "gone", reason="soft-404").status == "soft-404"


def test_candidates_are_due_at_once_and_hints_only_rise(db_path):
    with Archive(db_path) as archive:
        new = archive.add_candidates(
            [
                Candidate(URL, "example", modified="2026-11-01T10:00:00+00:00"),
                Candidate(URL + "2", "example"),
            ],
            T0,
        )
        assert len(new) == 2
        assert archive.add_candidates([Candidate(URL, "example")], T0) == []
        archive.add_candidates(
            [Candidate(URL, "example", modified="2026-11-01T09:00:00+00:00")], T0
        )
        assert archive.article(URL)["hint_modified"] == "2026-11-01T10:00:00+00:00"
        due = archive.due_articles("example", T0)
        assert [a["url"] for a in due] == [URL, URL + "2"]
        assert archive.due_articles("example", T0, limit=1)[0]["url"] == URL
        archive.record(capture(0), content(TEXT), schedule=lambda a: T0 + timedelta(hours=1))
        assert [a["url"] for a in archive.due_articles("example", T0)] == [URL + "2"]


def test_a_source_saying_modified_after_the_last_check_makes_the_article_due(db_path):
    """The one path by which a feed's or sitemap's lastmod pulls a re-check forward."""
    later = T0 + timedelta(days=1)
    with Archive(db_path) as archive:
        archive.add_candidates([Candidate(URL, "example")], T0)
        archive.record(capture(0), content(TEXT), schedule=lambda a: later)
        assert archive.due_articles("example", T0 + timedelta(hours=2)) == []
        # A modification we already saw (before the last check) changes nothing.
        seen = Candidate(URL, "example", modified=utc_iso(T0 - timedelta(hours=1)))
        archive.add_candidates([seen], T0 + timedelta(hours=2))
        assert archive.article(URL)["next_check"] == utc_iso(later)
        fresh = Candidate(URL, "example", modified=utc_iso(T0 + timedelta(hours=1)))
        archive.add_candidates([fresh], T0 + timedelta(hours=2))
        assert archive.article(URL)["next_check"] == utc_iso(T0 + timedelta(hours=2))
        assert archive.article(URL)["hint_modified"] == fresh.modified


def test_record_sets_the_next_check_in_its_transaction(db_path):
    """The schedule sees the article as the check left it, and a failed record keeps nothing."""
    seen = []

    def schedule(article):
        seen.append((article.status, article.unchanged_streak, article.checked_at))
        return T0 + timedelta(minutes=15)

    with Archive(db_path) as archive:
        archive.record(capture(0), content(TEXT), schedule=schedule)
        archive.record(capture(5), content(TEXT), schedule=schedule)
        assert seen == [("live", 0, capture(0).fetched_at), ("live", 1, capture(5).fetched_at)]
        assert archive.article(URL)["next_check"] == utc_iso(T0 + timedelta(minutes=15))

        def broken(article):
            raise RuntimeError("policy bug")

        with pytest.raises(RuntimeError):
            archive.record(capture(10), content(TEXT + "\n\nMore."), schedule=broken)
        assert archive.article(URL)["capture_count"] == 2
        assert archive.article(URL)["version_count"] == 1


def test_rename_keeps_one_history_and_alias_lookup(db_path):
    new_url = "https://news.example/2026/11/01/story-renamed"
    with Archive(db_path) as archive:
        rec = archive.record(capture(), content())
        owner = archive.rename_article(rec.article_id, new_url, kind="redirect", at=T0)
        assert owner == rec.article_id
        assert archive.article(URL)["url"] == new_url  # old URL resolves through the alias
        assert [e["kind"] for e in archive.events(owner)] == ["moved"]
        rec2 = archive.record(capture(10, url=new_url), content(TEXT + "\n\nUpdate."))
        assert rec2.article_id == owner and rec2.version == 2


def test_rename_merges_an_empty_duplicate(db_path):
    canonical = "https://news.example/story"
    with Archive(db_path) as archive:
        keep = archive.record(capture(url=canonical), content())
        [dup] = archive.add_candidates([Candidate(URL, "example")], T0)
        owner = archive.rename_article(dup, canonical, kind="canonical", at=T0)
        assert owner == keep.article_id
        assert archive.counts()["articles"] == 1
        assert archive.article(URL)["id"] == keep.article_id
        with pytest.raises(ArticleNotFound):
            archive.article(dup)


def test_a_failure_mid_record_leaves_nothing_behind(db_path, monkeypatch):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
        before = archive.counts()

        def boom(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(store_writes, "summarize_change", boom)
        with pytest.raises(RuntimeError):
            archive.record(capture(30, raw=b"<html>new</html>"), content(TEXT + "\n\nMore."))
        assert archive.counts() == before
        assert archive.article(URL)["capture_count"] == 1


def test_reopening_applies_no_migration_twice(db_path):
    Archive(db_path).close()
    with Archive(db_path) as archive:
        applied = [r["name"] for r in archive.db.query("select name from _sqlite_migrations")]
        assert applied[:5] == [
            "m001_initial",
            "m002_latest_versions_version_id",
            "m003_site_blocks_and_identity_keys",
            "m004_drop_moved_to",
            "m005_article_keys_per_article",
        ]
        assert len(applied) == len(set(applied)) and not migrations.pending(archive.db)
        assert archive.db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_readonly_archive_refuses_writes(db_path):
    with Archive(db_path) as archive:
        archive.record(capture(), content())
    ro = Archive(db_path, readonly=True)
    assert ro.article(URL)["version_count"] == 1
    with pytest.raises(sqlite3.OperationalError):
        ro.db.execute("delete from versions")
    ro.close()


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NotAnArchive):
        Archive(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table something (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAnArchive):
        Archive(other)


def test_normalization_keeps_what_readers_see():
    assert normalize_text("a\u0301 b") == "\u00e1 b"  # NFC
    assert normalize_text("one\r\ntwo\n\n\nthree") == "one two\n\nthree"
    assert content_hash("T", "x y") == content_hash(" T ", "x\u200b  y")
    assert content_hash("T", "colour") != content_hash("T", "color")
    assert content_hash("T", "a.\n\nb") != content_hash("T", "a. b")


def test_rename_onto_a_discovered_duplicate_keeps_one_history(db_path):
    new_url = "https://news.example/2026/11/01/story-new-slug"
    with Archive(db_path) as archive:
        old = archive.record(capture(), content())
        archive.record(capture(10), content(TEXT + "\n\nUpdate one."))
        # Discovery saw the new URL first and archived it on its own.
        dup = archive.record(capture(20, url=new_url), content(TEXT + "\n\nUpdate one."))
        archive.record(capture(30, url=new_url), content(TEXT + "\n\nUpdate two."))
        owner = archive.rename_article(old.article_id, new_url, kind="redirect", at=T0)
        assert owner == old.article_id
        assert archive.counts()["articles"] == 1
        versions = archive.versions(owner)
        assert [v["version"] for v in versions] == [1, 2, 3]
        assert versions[2]["text"].endswith("Update two.")
        assert archive.article(owner)["version_count"] == 3
        assert archive.article(owner)["capture_count"] == 4
        assert archive.article(new_url)["id"] == owner
        with pytest.raises(ArticleNotFound):
            archive.article(dup.article_id)
        hits = list(
            archive.db.query(
                "select v.article_id, v.version from versions_fts f join versions v "
                "on v.id = f.rowid where versions_fts match 'two'"
            )
        )
        assert hits == [{"article_id": owner, "version": 3}]
