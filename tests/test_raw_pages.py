"""Raw pages stored as deltas against the page's keyframe: every capture reads back whole."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from archive.models import CaptureIn, ContentIn
from archive.store import Archive, rawpages

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://news.example/2026/11/01/story"
WORDS = [
    "council",
    "library",
    "repairs",
    "mayor",
    "budget",
    "residents",
    "chamber",
    "branch",
    "roof",
    "decades",
]


def page(rng: random.Random, article: str) -> bytes:
    """A page whose boilerplate churns on every fetch around an article that rarely changes."""
    most_read = "".join(
        f"<li><a href='/n/{rng.randrange(10**6)}'>{' '.join(rng.choices(WORDS, k=8))}</a></li>"
        for _ in range(12)
    )
    nav = "".join(f"<a href='/section/{w}'>{w.title()}</a>" for w in WORDS) * 20
    return (
        f"<html><head><title>Story</title><script>var token='{rng.getrandbits(128):x}';</script>"
        f"</head><body><nav>{nav}</nav><article><h1>Story</h1>{article}</article>"
        f"<aside><ol>{most_read}</ol></aside><footer>{nav}</footer></body></html>"
    ).encode()


def record(archive: Archive, minutes: int, body: bytes, text: str):
    return archive.record(
        CaptureIn(
            url=URL,
            site="example",
            fetched_at=T0 + timedelta(minutes=minutes),
            status_code=200,
            raw=body,
            size=len(body),
        ),
        ContentIn(title="Story", text=text, extractor_version="t1"),
    )


def test_captures_are_deltas_against_a_keyframe_and_read_back_whole(db_path):
    rng = random.Random(3)
    article = "".join(f"<p>{' '.join(rng.choices(WORDS, k=60))}</p>" for _ in range(30))
    bodies = {}
    with Archive(db_path) as archive:
        for n in range(20):
            if n == 12:  # an edit
                article = article.replace("council", "city council", 3)
            body = page(rng, article)
            rec = record(archive, n * 15, body, article)
            bodies[rec.capture_id] = body
        rows = list(archive.db.query("select * from raw_pages order by id"))
        assert [r["compression"] for r in rows][:2] == [rawpages.KEYFRAME, rawpages.DELTA]
        keyframes = {r["id"] for r in rows if r["compression"] == rawpages.KEYFRAME}
        # One step at most: every delta's base is a keyframe.
        assert all(r["base_id"] in keyframes for r in rows if r["compression"] == rawpages.DELTA)
        for capture_id, body in bodies.items():
            assert archive.capture_raw(capture_id) == body
        stored = sum(len(r["content"]) for r in rows)
        fetched = sum(len(b) for b in bodies.values())
        whole = sum(len(rawpages.compress(b)) for b in bodies.values())
        assert stored < whole / 3  # deltas keep far less than each page compressed alone
        assert stored < fetched / 10


def test_a_page_that_changed_a_lot_starts_a_new_keyframe(db_path):
    rng = random.Random(5)
    with Archive(db_path) as archive:
        first = "".join(f"<p>{' '.join(rng.choices(WORDS, k=60))}</p>" for _ in range(30))
        record(archive, 0, page(rng, first), first)
        redesign = bytes(rng.getrandbits(8) for _ in range(20_000))  # nothing in common
        rec = record(archive, 15, redesign, "Another text entirely")
        row = archive.db.execute(
            "select compression, base_id from raw_pages r join captures c on c.raw_page_id = r.id "
            "where c.id = ?",
            [rec.capture_id],
        ).fetchone()
        assert row == (rawpages.KEYFRAME, None)
        assert archive.capture_raw(rec.capture_id) == redesign


def test_rows_written_before_deltas_stay_readable(db_path):
    with Archive(db_path) as archive:
        archive.db.execute(
            "insert into raw_pages (sha256, size, compression, content) values (?, ?, 'zstd', ?)",
            ["x" * 64, 5, rawpages.compress(b"hello")],
        )
        (raw_id,) = archive.db.execute("select id from raw_pages").fetchone()
        assert archive.raw_page(raw_id) == b"hello"
