"""`newsarchive demo`: the real scheduler and crawl on the bundled site; no spurious versions."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from archive.store import Archive
from scraper.cli import cli
from scraper.demo.run import CLOCK_STEP, DEMO_START, run_demo
from scraper.demo.site import DemoSite


def test_demo_archives_edits_and_only_edits(tmp_path):
    db = tmp_path / "demo.db"
    lines: list[str] = []
    crawls = 10
    run_demo(
        db, crawls=crawls, echo=lines.append, interval=timedelta(seconds=0.2), start=DEMO_START
    )
    output = "\n".join(lines)
    assert "Edited articles" in output and "Lifecycle events" in output

    end = DEMO_START + CLOCK_STEP * crawls
    site = DemoSite(start=DEMO_START)
    edits = [e for e in site.events(until=end) if e.kind == "edit"]

    with Archive(db) as archive:
        counts = archive.counts()
        assert counts["crawls"] == crawls
        extra_versions = sum(
            r["version_count"] - 1
            for r in archive.db.query("select version_count from articles where version_count > 0")
        )
        # Teasers, comments, ads and tokens rotate on every one of the many re-checks; only
        # the site's real edits may create versions (several edits between two checks merge).
        assert 1 <= extra_versions <= len(edits)
        assert counts["captures"] > counts["articles"] * 2
        kinds = {e["kind"] for e in archive.db.query("select kind from events")}
        assert {"gone", "moved", "soft-404"} <= kinds
        # The robots-disallowed article was never fetched.
        skipped = list(archive.db.query("select reason from captures where outcome = 'skipped'"))
        assert skipped and {r["reason"] for r in skipped} == {"robots"}


def test_demo_command(tmp_path):
    db = tmp_path / "d.db"
    result = CliRunner().invoke(
        cli, ["demo", "--db", str(db), "--crawls", "2"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Stored " in result.output and "newsarchive serve --db" in result.output
    with Archive(db) as archive:
        assert archive.counts()["versions"] >= 12


def test_demo_into_a_closed_pipe_finishes_quietly(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "p.db"
    cmd = [sys.executable, "-m", "scraper.cli", "demo", "--db", str(db), "--crawls", "3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    with Archive(db) as archive:
        assert archive.counts()["crawls"] == 3  # every crawl ran although nobody read
