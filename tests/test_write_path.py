"""The crawl's write path: pages prepared off the writer, writes batched, against real files.

What the extraction workers compute for the writer (:mod:`archive.prepare`) must give the very
archive the writer would make on its own, and batched writes must stay all or nothing each,
invisible to readers until their batch commits.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from archive.boilerplate import BoilerplateRules
from archive.models import CaptureIn, ContentIn
from archive.prepare import prepare_body, prepare_text
from archive.store import Archive

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
#: A story and the line every article of the site carries (learnt as boilerplate at 2).
SHARED = "Subscribe to our newsletter for more."


def text_of(n: int, edit: str = "") -> str:
    return (
        f"Story number {n} begins  here,\u00a0with its facts.{edit}\n\n"
        f"Second paragraph of story {n}, with a quote.\r\n\n{SHARED}"
    )


def crawl_into(archive: Archive, *, prepared: bool) -> None:
    rules = archive.boilerplate
    for round_ in range(2):
        for n in range(4):
            title, text = f"Story {n}", text_of(n, " Updated." if round_ and n % 2 else "")
            body = f"<html><p>{text}</p><i>{round_}</i></html>".encode()
            content = ContentIn(title=title, text=text, extractor_version="t")
            capture = CaptureIn(
                url=f"https://news.example/{n}",
                site="example",
                fetched_at=T0 + timedelta(hours=round_, minutes=n),
                status_code=200,
                raw=body,
                size=len(body),
            )
            if prepared:
                content = ContentIn(
                    title=title,
                    text=text,
                    extractor_version="t",
                    prepared=prepare_text(title, text, rules),
                )
                capture = CaptureIn(**{**capture.__dict__, "raw_prepared": prepare_body(body)})
            archive.record(capture, content)


def dump(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            "versions": conn.execute(
                "select article_id, version, title, text, text_hash, word_count, change_kind, "
                "change_summary, words_added, words_removed from versions order by id"
            ).fetchall(),
            "captures": conn.execute(
                "select article_id, outcome, raw_page_id, version_id, bytes from captures "
                "order by id"
            ).fetchall(),
            "raw_pages": conn.execute(
                "select sha256, size, compression, base_id from raw_pages order by id"
            ).fetchall(),
            "blocks": conn.execute(
                "select site, fingerprint, articles, sample from block_counts order by 2"
            ).fetchall(),
            "site_blocks": conn.execute("select * from site_blocks order by 1, 2, 3").fetchall(),
        }
    finally:
        conn.close()


def test_pages_prepared_in_the_workers_make_the_archive_the_writer_makes(tmp_path):
    rules = BoilerplateRules(min_articles=2)
    by_writer, prepared = tmp_path / "writer.db", tmp_path / "prepared.db"
    with Archive(by_writer, boilerplate=rules) as archive:
        crawl_into(archive, prepared=False)
    with Archive(prepared, boilerplate=rules) as archive:
        crawl_into(archive, prepared=True)
    expected, got = dump(by_writer), dump(prepared)
    assert got == expected
    # The shared line was learnt and left out of the second round's new versions.
    assert any(SHARED in b[3] for b in got["blocks"])
    edited = [v for v in got["versions"] if v[1] == 2]
    assert len(edited) == 2 and all(SHARED not in v[3] for v in edited)
    assert all("  " not in v[3] and "\u00a0" not in v[3] for v in got["versions"])


def test_text_prepared_under_other_rules_is_prepared_again_by_the_writer(tmp_path):
    """Fingerprints flagged under another ``max_words`` would learn the wrong blocks."""
    rules = BoilerplateRules(min_articles=2, max_words=3)
    with Archive(tmp_path / "a.db", boilerplate=rules) as archive:
        text = text_of(1)
        stale = prepare_text("Story 1", text, BoilerplateRules())  # max_words 30
        archive.record(
            CaptureIn(url="https://news.example/1", site="example", fetched_at=T0, status_code=200),
            ContentIn(title="Story 1", text=text, extractor_version="t", prepared=stale),
        )
        learnt = archive.db.execute("select count(*) from site_blocks").fetchone()[0]
    assert learnt == 0  # every block of this text has more than 3 words


def capture_at(n: int) -> CaptureIn:
    return CaptureIn(
        url=f"https://news.example/{n}",
        site="example",
        fetched_at=T0,
        status_code=200,
        raw=f"<p>{n}</p>".encode(),
        size=len(f"<p>{n}</p>"),
    )


def content_of(n: int) -> ContentIn:
    return ContentIn(title=f"Story {n}", text=text_of(n), extractor_version="t")


def committed_captures(path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("select count(*) from captures").fetchone()[0]
    finally:
        conn.close()


def test_batched_writes_commit_every_batch_and_readers_see_only_committed_batches(db_path):
    with Archive(db_path) as archive:
        archive.batch_records, archive.batch_seconds = 3, 3600.0
        with archive.batched_writes():
            for n in range(2):
                archive.record(capture_at(n), content_of(n))
            assert committed_captures(db_path) == 0  # the batch is open
            assert archive.counts()["captures"] == 2  # the writer sees its own writes
            archive.record(capture_at(2), content_of(2))
            assert committed_captures(db_path) == 3  # full: committed
            archive.record(capture_at(3), content_of(3))
            assert committed_captures(db_path) == 3
            archive.batch_seconds = 0.0  # old enough now: the timer's call commits it
            archive.commit_batch(only_if_due=True)
            assert committed_captures(db_path) == 4
            archive.batch_seconds = 3600.0
            archive.record(capture_at(4), content_of(4))
        assert committed_captures(db_path) == 5  # the end of the block commits the rest


def test_a_failed_write_in_a_batch_leaves_the_others(db_path, monkeypatch):
    with Archive(db_path) as archive:
        archive.batch_records = 100
        with archive.batched_writes():
            archive.record(capture_at(0), content_of(0))

            def broken(*args, **kwargs):
                raise sqlite3.IntegrityError("simulated bug mid-record")

            with monkeypatch.context() as patch:
                patch.setattr(archive, "_transition", broken)
                with pytest.raises(sqlite3.IntegrityError):
                    archive.record(capture_at(1), content_of(1))
            archive.record(capture_at(2), content_of(2))
    conn = sqlite3.connect(db_path)
    urls = [r[0] for r in conn.execute("select url from captures order by id")]
    versions = conn.execute("select count(*) from versions").fetchone()[0]
    conn.close()
    assert urls == ["https://news.example/0", "https://news.example/2"]
    assert versions == 2
