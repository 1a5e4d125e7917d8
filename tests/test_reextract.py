"""``newsarchive reextract``: stored pages read again, histories rebuilt, kills survived.

Archives are real: pages served on 127.0.0.1 and recorded by ``newsarchive archive``, or the
bundled demo site crawled several times. A different extractor is simulated the way users meet
one, through site rules in the config (a discard selector changes what the extractor reads).
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_crash import assert_consistent, wait_for_line

from archive.boilerplate import strip_boilerplate
from archive.store import Archive
from scraper.cli import cli
from scraper.config import ExtractRules
from scraper.crawl.reextract import reextract
from scraper.demo.run import demo_config_text
from scraper.extract import EXTRACTOR_VERSION

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]
PATH = "/news/2026/11/30/harbour-bridge/"


def page(note: str, *, extra: str = "") -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour bridge to close for repairs | Test Gazette</title></head><body>
<nav><a href="/">Home</a></nav><main><article><h1>Harbour bridge to close for repairs</h1>
<p>The harbour bridge will close for six weeks from Monday while engineers replace its joints.</p>
<p>Buses will be diverted over the river crossing further north, adding twenty minutes.</p>
<p class="editor-note">{note}</p>
<p>The council said the work could not wait until the summer because of winter storms.</p>
{extra}
</article></main><footer>Copyright Test Gazette</footer></body></html>"""


def write_config(tmp_path: Path, server, db: Path, *, discard: tuple[str, ...] = ()) -> str:
    rule = f"extract = {{ discard_selectors = {json.dumps(list(discard))} }}" if discard else ""
    config = tmp_path / ("config-rule.toml" if discard else "config.toml")
    config.write_text(
        f"""
[archive]
db = "{db}"

[crawl]
user_agent = "newsarchive-test/0.1 (+https://example.org/contact)"
per_host_delay = 0
retries = 0
allow_hosts = ["{server.host_port}"]

[[sites]]
name = "gazette"
listing_pages = ["{server.base}/news/"]
include = ['/news/2026/']
{rule}
""",
        encoding="utf-8",
    )
    return str(config)


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def two_version_archive(tmp_path, page_server):
    """An article whose second version differs only in its editor's note."""
    db = tmp_path / "archive.db"
    config = write_config(tmp_path, page_server, db)
    url = page_server.html(PATH, page("Updated at 09:00 with the diversion route."))
    ok("archive", url, "--config", config)
    page_server.html(PATH, page("Updated at 11:00 with the council's reasons."))
    ok("archive", url, "--config", config)
    page_server.html(PATH, page("Updated at 11:00 with the council's reasons."))
    ok("archive", url, "--config", config)
    with Archive(db) as archive:
        assert archive.article(url)["version_count"] == 2
    return db, config, url


def test_a_capture_equal_to_the_previous_version_stops_being_one_and_comes_back(
    two_version_archive, tmp_path, page_server
):
    db, config, url = two_version_archive
    ruled = write_config(tmp_path, page_server, db, discard=(".editor-note",))

    # Dry run: says what would change, writes nothing.
    before = db.read_bytes()
    out = ok("reextract", "--config", ruled, "--dry-run")
    assert "1 would change, 0 versions added, 1 removed" in out
    assert "article 1: 2 -> 1 versions (+0 -1)" in out and "nothing was written" in out
    assert db.read_bytes() == before

    # The rule hides the note: the second capture equals the first version, no longer a version.
    out = ok("reextract", "--config", ruled)
    assert "1 changed, 0 versions added, 1 removed" in out
    counts = assert_consistent(db)
    with Archive(db) as archive:
        article = archive.article(url)
        assert article["version_count"] == 1
        (v1,) = archive.versions(article["id"])
        assert "Updated at" not in v1["text"] and "winter storms" in v1["text"]
        assert v1["extractor_version"] == EXTRACTOR_VERSION
        assert [c["outcome"] for c in archive.captures(article["id"])] == ["new-version"] + [
            "unchanged"
        ] * 2
        # What the old extractor read is kept, with the run that replaced it.
        superseded = list(archive.db.query("select * from superseded_versions order by version"))
        assert [s["version"] for s in superseded] == [1, 2]
        assert "Updated at 11:00" in superseded[1]["text"]
        run = archive.reextract_runs(1)[0]
        assert (run["status"], run["articles_done"], run["versions_removed"]) == ("done", 1, 1)
    assert counts["captures"] == 3

    # Without the rule the note is read again: the capture that differs is a version again,
    # its change kind and summary computed anew.
    out = ok("reextract", "--config", config, "--article", url)
    assert "1 changed, 1 versions added, 0 removed" in out
    assert_consistent(db)
    with Archive(db) as archive:
        versions = archive.versions(archive.article(url)["id"])
        assert [v["version"] for v in versions] == [1, 2]
        assert "Updated at 11:00" in versions[1]["text"]
        assert versions[1]["change_kind"] in ("typo", "rewording", "addition", "removal")
        summary = json.loads(versions[1]["change_summary"])
        assert summary["words_added"] == versions[1]["words_added"] > 0


def test_since_keeps_older_versions_and_bad_input_is_one_line(two_version_archive):
    db, config, url = two_version_archive
    before = history_of(db, url)
    ok("reextract", "--config", config, "--since", "2000-01-01", "--site", "gazette")
    with Archive(db) as archive:  # both versions were in range: rebuilt, the same history
        assert archive.db.execute("select count(*) from superseded_versions").fetchone()[0] == 2
    assert history_of(db, url) == before
    out = ok("reextract", "--config", config, "--since", "2999-01-01")
    assert out.startswith("0 articles re-read")
    with Archive(db) as archive:  # nothing was captured since then: nothing replaced
        assert archive.db.execute("select count(*) from superseded_versions").fetchone()[0] == 2

    result = invoke("reextract", "--config", config, "--since", "last tuesday")
    assert result.exit_code == 2 and "--since" in result.output
    result = invoke("reextract", "--config", config, "--article", "999")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def history_of(db: Path, url: str) -> list[tuple]:
    with Archive(db, readonly=True) as archive:
        return [
            (v["version"], v["captured_at"], v["title"], v["text"], v["change_kind"])
            for v in archive.versions(archive.article(url)["id"])
        ]


def demo_config(tmp_path: Path, db: Path, discard: tuple[str, ...]) -> Path:
    with Archive(db, readonly=True) as archive:
        host_port = archive.db.execute("select url from articles limit 1").fetchone()[0]
    host_port = host_port.split("/")[2]
    text = demo_config_text(f"http://{host_port}", host_port, db)
    text += f"extract = {{ discard_selectors = {json.dumps(list(discard))} }}\n"
    path = tmp_path / f"config-{db.stem}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def history(db: Path) -> dict[str, list[tuple[str, str, str]]]:
    with Archive(db, readonly=True) as archive:
        return {
            a["url"]: [(v["captured_at"], v["title"], v["text"]) for v in archive.versions(a["id"])]
            for a in archive.db.query("select * from articles order by id")
        }


def test_sigkill_mid_reextract_then_the_next_run_continues(demo_db, tmp_path):
    reference = tmp_path / "reference.db"
    shutil.copy(demo_db, reference)
    with Archive(reference) as archive, ThreadPoolExecutor(2) as pool:
        rules = ExtractRules(discard_selectors=("blockquote", "h2"))
        reextract(archive, rules_for=lambda site: rules, executor=pool)
    expected = history(reference)
    assert expected != history(demo_db)  # the rule changes what the pages say

    killed_mid_run = False
    for attempt in range(4):
        db = tmp_path / f"killed-{attempt}.db"
        shutil.copy(demo_db, db)
        config = demo_config(tmp_path, db, ("blockquote", "h2"))
        proc = subprocess.Popen(
            [*NEWSARCHIVE, "reextract", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert wait_for_line(proc, b"reextract: ", timeout=60), "no progress shown"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=10)
            proc.stderr.close()
        assert_consistent(db)
        conn = sqlite3.connect(db)
        run = conn.execute(
            "select status, articles_done, articles_total from reextract_runs"
        ).fetchone()
        done_ids = {r[0] for r in conn.execute("select article_id from reextract_done")}
        conn.close()
        if run[0] != "running":
            continue  # it finished before the kill landed: try again on a fresh copy
        killed_mid_run = True
        assert 0 < run[1] < run[2]
        # Every article is all new (done) or all old: never half replaced.
        now, old = history(db), history(demo_db)
        with Archive(db, readonly=True) as archive:
            urls = {i: archive.article(i)["url"] for i in done_ids}
        for url, versions in now.items():
            if url in urls.values():
                assert versions == expected[url]
            else:
                assert versions == old[url]

        resumed = CliRunner().invoke(
            cli, ["reextract", "--config", str(config)], catch_exceptions=False
        )
        assert resumed.exit_code == 0, resumed.output
        assert f"{run[1]} of {run[2]} articles already done" in resumed.stderr
        assert "(resumed run 1)" in resumed.stdout
        assert_consistent(db)
        assert history(db) == expected
        with Archive(db, readonly=True) as archive:
            runs = archive.reextract_runs(5)
            assert [(r["id"], r["status"], r["articles_done"]) for r in runs] == [
                (1, "done", run[2])
            ]
        break
    assert killed_mid_run, "every run finished before SIGKILL could interrupt it"


def test_the_same_extractor_changes_nothing_and_progress_is_shown(demo_db, tmp_path):
    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    config = demo_config(tmp_path, db, ())

    def rerun() -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*NEWSARCHIVE, "reextract", "--config", str(config), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "reextract: " in done.stderr and "articles" in done.stderr
        return done

    # The first rebuild decides as a crawl would today: a version stored before one of its
    # blocks was learnt as the site's boilerplate (the demo's in-body promotion) loses it,
    # and that is all it changes.
    rerun()
    with Archive(db, readonly=True) as archive:
        known = {
            r["fingerprint"]
            for r in archive.db.query(
                "select fingerprint from block_counts where articles >= ?",
                [archive.boilerplate.min_articles],
            )
        }
    cleaned = {
        url: [(at, title, strip_boilerplate(text, known)) for at, title, text in versions]
        for url, versions in history(demo_db).items()
    }
    rebuilt = history(db)
    assert rebuilt == cleaned
    # The same extractor and rules again: nothing changes, and the output says so.
    assert " 0 changed, 0 versions added, 0 removed" in rerun().stdout
    assert history(db) == rebuilt
