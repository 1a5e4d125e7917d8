"""``export --format jsonl|csv`` of versions and articles, ``history --format markdown``.

On the demo site crawled six times (a real archive with edits, moves and gone articles).
"""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from archive.store import Archive
from scraper.cli import cli


def ok(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_versions_as_jsonl_and_csv_carry_change_kinds_and_summaries(demo_db, tmp_path):
    rows = [json.loads(line) for line in ok("export", "--db", str(demo_db)).splitlines()]
    with Archive(demo_db, readonly=True) as archive:
        assert len(rows) == archive.counts()["versions"]
        stored = {
            (v["article_id"], v["version"]): v for v in archive.db.query("select * from versions")
        }
    edits = [r for r in rows if r["version"] > 1]
    assert edits, "the demo's edits are versions"
    for row in rows:
        version = stored[(row["article_id"], row["version"])]
        assert row["text"] == version["text"] and row["change_kind"] == version["change_kind"]
        assert isinstance(row["change_summary"], dict) and isinstance(row["authors"], list)
    assert all(r["words_added"] + r["words_removed"] > 0 or r["title_changed"] for r in edits)

    out = tmp_path / "versions.csv"
    ok("export", "--db", str(demo_db), "--format", "csv", "-o", str(out), "--site", "demo-news")
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["url"], r["version"], r["text"]) for r in table] == [
        (r["url"], str(r["version"]), r["text"]) for r in rows
    ]
    assert json.loads(table[-1]["change_summary"])["kind"] == table[-1]["change_kind"]
    assert ok("export", "--db", str(demo_db), "--site", "no-such-site") == ""


def test_articles_export_and_since(demo_db):
    rows = [
        json.loads(line)
        for line in ok("export", "--db", str(demo_db), "--what", "articles").splitlines()
    ]
    with Archive(demo_db, readonly=True) as archive:
        assert [r["id"] for r in rows] == [
            a["id"] for a in archive.db.query("select id from articles order by id")
        ]
        moved = [r for r in rows if r["aliases"]]
        assert moved and all(isinstance(r["aliases"], list) for r in rows)
        last = archive.db.execute("select max(captured_at) from versions").fetchone()[0]
    recent = ok("export", "--db", str(demo_db), "--since", last).splitlines()
    assert recent and all(json.loads(line)["captured_at"] >= last for line in recent)
    assert len(recent) < len(ok("export", "--db", str(demo_db)).splitlines())


def test_history_as_markdown(demo_db):
    with Archive(demo_db, readonly=True) as archive:
        article_id, url = archive.db.execute(
            "select id, url from articles where version_count > 1 order by id limit 1"
        ).fetchone()
        versions = archive.versions(article_id)
    out = ok("history", str(article_id), "--db", str(demo_db), "--format", "markdown")
    assert out.startswith("# ") and f"<{url}>" in out
    assert "| version | captured at | change |" in out
    for v in versions:
        assert f"## Version {v['version']}: {v['change_kind']}" in out
    first_paragraph = versions[0]["text"].split("\n\n")[0]
    assert first_paragraph.split()[0] in out
    assert "```diff\n--- version 1\n+++ version 2" in out


def test_markdown_escapes_archived_text():
    from archive.diff.render_markdown import escape_markdown, render_history_markdown

    hostile = "<script>alert(1)</script> **bold** [link](http://x) # not a heading"
    text = escape_markdown(hostile)
    assert "<script>" not in text and "\\*\\*bold\\*\\*" in text and "\\[link\\]" in text
    blocks = list(
        render_history_markdown(
            {
                "url": "https://x.example/a",
                "site": "x",
                "status": "live",
                "title": hostile,
                "first_seen": "2026-11-26T06:00:00+00:00",
            },
            [
                {
                    "version": 1,
                    "captured_at": "t1",
                    "change_kind": "first",
                    "words_added": 0,
                    "words_removed": 0,
                    "title": hostile,
                    "byline": None,
                    "text": hostile,
                },
                {
                    "version": 2,
                    "captured_at": "t2",
                    "change_kind": "addition",
                    "words_added": 2,
                    "words_removed": 0,
                    "title": hostile,
                    "byline": None,
                    "text": hostile + "\n\n```` fence",
                },
            ],
            [],
            captures=2,
        )
    )
    document = "\n\n".join(blocks)
    assert "<script>" not in document.split("```````")[0].split("`````diff")[0]
    assert "`````diff" in document  # the fence is longer than the backticks inside
