"""Every command has useful help, is documented in the README, and fails with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.models import CaptureIn, ContentIn
from archive.store import Archive
from scraper.cli import cli

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = sorted(cli.commands)
T0 = "2026-11-01T12:00:00+00:00"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(
        cli, list(args), input=input, catch_exceptions=False, prog_name="newsarchive"
    )


def test_the_expected_commands_exist():
    assert set(COMMANDS) >= {
        "archive",
        "crawl",
        "run",
        "status",
        "history",
        "diff",
        "show",
        "changes",
        "search",
        "extract",
        "export",
        "serve",
        "demo",
    }


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert "Usage: newsarchive " + name in result.output
    # A real description, not just the usage line.
    assert len(cli.commands[name].help or "") > 30


@pytest.mark.parametrize("name", COMMANDS)
def test_readme_documents_every_command(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"newsarchive {name}" in readme


@pytest.fixture
def small_archive(db_path):
    from datetime import UTC, datetime, timedelta

    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    url = "https://news.example/2026/11/01/story/"
    with Archive(db_path) as archive:
        text1 = "The council met on Monday.\n\nIt voted to close the library."
        text2 = "The council met on Tuesday.\n\nIt voted to close the library."
        for minutes, text in ((0, text1), (15, text1), (30, text2)):
            archive.record(
                CaptureIn(
                    url=url,
                    site="example",
                    fetched_at=at + timedelta(minutes=minutes),
                    status_code=200,
                    raw=text.encode(),
                ),
                ContentIn(
                    title="Council votes",
                    text=text,
                    extractor_version="t",
                    authors=("Jo Reporter",),
                    published=T0,
                ),
            )
    return url


def test_reading_commands_on_an_archive(db_path, small_archive):
    db = str(db_path)
    out = invoke("history", small_archive, "--db", db).output
    assert "3 captures, 2 versions" in out and "correction" in out  # Monday -> Tuesday
    history = json.loads(invoke("history", "1", "--db", db, "--json").output)
    assert [v["version"] for v in history["versions"]] == [1, 2]

    out = invoke("diff", small_archive, "--db", db, "--no-color").output
    assert "[-Monday.-]" in out or "[-Monday-]" in out
    out = invoke("diff", small_archive, "1", "2", "--db", db, "--format", "unified").output
    assert "Tuesday" in out
    html = invoke("diff", small_archive, "--db", db, "--format", "side-by-side").output
    assert "<del>" in html and "<ins>" in html

    out = invoke("show", small_archive, "--version", "1", "--db", db).output
    assert out.startswith("Council votes") and "Monday" in out and "by Jo Reporter" in out

    lines = invoke("export", "--db", db).output.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["version"], r["byline"]) for r in rows] == [(1, "Jo Reporter"), (2, "Jo Reporter")]
    csv_out = invoke("export", "--db", db, "--format", "csv").output
    assert csv_out.splitlines()[0].startswith("url,")

    out = invoke("search", "Tuesday", "--db", db).output
    assert "v2" in out
    out = invoke("changes", "--since", "36500d", "--db", db).output
    assert "Council votes" in out and "v2" in out
    out = invoke("status", "--db", db, "--config", "/nonexistent/config.toml").output
    assert "1 articles, 2 versions, 3 captures" in out


def test_clear_errors(db_path, small_archive, tmp_path):
    db = str(db_path)
    result = invoke("history", "https://nowhere.example/x", "--db", db)
    assert result.exit_code == 1 and "no article" in result.output
    result = invoke("diff", small_archive, "1", "7", "--db", db)
    assert result.exit_code == 1 and "no version 7" in result.output
    result = invoke("history", "1", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1 and "no such archive" in result.output
    result = invoke("changes", "--since", "soon", "--db", db)
    assert result.exit_code == 2 and "--since" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[crawl]\nper_host_delay = "fast"\n')
    result = invoke("crawl", "--config", str(bad))
    assert result.exit_code == 1 and "per_host_delay" in result.output
    result = invoke("crawl", "--config", str(tmp_path / "absent.toml"))
    assert result.exit_code == 1 and "no such configuration file" in result.output
    result = invoke("extract", str(tmp_path / "absent.html"))
    assert result.exit_code == 1 and "no such file" in result.output


def test_diff_and_search_output_reads_well(db_path, small_archive):
    db = str(db_path)
    out = invoke("diff", small_archive, "--db", db, "--format", "unified").output
    lines = out.splitlines()
    assert lines[0].startswith("--- version 1  2026-11-01T12:00:00")
    assert lines[1].startswith("+++ version 2  2026-11-01T12:30:00")
    assert sum(line.startswith("--- ") for line in lines) == 1  # one header, not two
    out = invoke("diff", small_archive, "2", "2", "--db", db).output
    assert out == "both sides are version 2: nothing to compare\n"

    # a snippet that spans two paragraphs is printed on one line
    out = invoke("search", "Tuesday library", "--db", db).output.splitlines()
    assert len(out) == 3
    assert "[Tuesday]. It voted to close the [library]" in out[2]

    result = invoke("search", '" (', "--db", db)
    assert result.exit_code == 2 and "nothing to search for" in result.output


def test_diff_colours_only_on_a_terminal_or_when_asked(db_path, small_archive):
    db = str(db_path)
    plain = invoke("diff", small_archive, "--db", db).output  # CliRunner is not a terminal
    assert "\x1b[" not in plain and "[-Monday" in plain
    coloured = invoke("diff", small_archive, "--db", db, "--color").output
    assert "\x1b[" in coloured and "[-Monday" not in coloured and "Tuesday" in coloured


def test_changes_by_site(db_path, small_archive):
    db = str(db_path)
    out = invoke("changes", "--since", "36500d", "--site", "example", "--db", db).output
    assert "Council votes" in out and "v2" in out
    result = invoke("changes", "--since", "36500d", "--site", "elsewhere", "--db", db)
    assert result.exit_code == 2
    assert "Council votes" not in result.output and "unknown site 'elsewhere'" in result.output


def test_archived_text_cannot_drive_the_terminal(db_path):
    """A scraped page's control characters (an OSC title change, BEL, CR) are not printed."""
    from datetime import UTC, datetime

    hostile = "Pwned\x1b]0;owned\x07 title\r"
    with Archive(db_path) as archive:
        archive.record(
            CaptureIn(
                url="https://news.example/x/",
                site="example",
                fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
                status_code=200,
            ),
            ContentIn(title=hostile, text="Ring \x07 the bell.\r", extractor_version="t"),
        )
    db = str(db_path)
    for args in (
        ("show", "1"),
        ("history", "1"),
        ("search", "bell"),
        ("changes", "--since", "36500d"),
    ):
        out = invoke(*args, "--db", db).output
        assert not set(out) & {"\x1b", "\x07", "\r"}, (args, out)
    assert "Pwned\ufffd]0;owned\ufffd title" in invoke("show", "1", "--db", db).output


def test_history_without_versions_says_why(db_path):
    from datetime import UTC, datetime

    with Archive(db_path) as archive:
        archive.record(
            CaptureIn(
                url="https://news.example/slow/",
                site="example",
                fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
                outcome="error",
                reason="timeout",
                error="no complete response within 30 s",
            )
        )
    out = invoke("history", "1", "--db", str(db_path)).output
    assert out.splitlines()[-1] == (
        "no version yet; last capture 2026-11-01T00:00:00+00:00: "
        "error (timeout: no complete response within 30 s)"
    )


@pytest.mark.parametrize("ref", ["99999999999999999999999", "²", "0"])
def test_odd_article_ids_are_not_found(db_path, small_archive, ref):
    for command in ("history", "diff", "show"):
        result = invoke(command, ref, "--db", str(db_path))
        assert result.exit_code == 1, result.output
        assert f"no article {ref!r}" in result.output


def test_huge_numbers_are_refused_or_mean_everything(db_path, small_archive):
    db, huge = str(db_path), "99999999999999999999999"
    for args in (("search", "council", "--limit", huge), ("status", "--limit", huge)):
        result = invoke(*args, "--db", db, "--config", "/nonexistent/config.toml")
        assert result.exit_code == 2 and "--limit" in result.output
    result = invoke("demo", "--crawls", huge, "--db", db)
    assert result.exit_code == 2 and "--crawls" in result.output
    out = invoke("changes", "--since", f"{huge}d", "--db", db).output
    assert "Council votes" in out  # further back than the calendar: every change


@pytest.mark.parametrize("number", ["99999999999999999999999", "0", "-7"])
def test_odd_version_numbers_are_not_found(db_path, small_archive, number):
    result = invoke("show", small_archive, "--version", number, "--db", str(db_path))
    assert result.exit_code == 1 and "version" in result.output
    result = invoke("diff", small_archive, "--from", number, "--to", "2", "--db", str(db_path))
    assert result.exit_code == 1 and f"no version {number}" in result.output


def test_extract_command_on_a_file(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Storm hits coast | Daily</title></head><body><nav>Home News</nav>"
        "<article><h1>Storm hits coast</h1>"
        + "".join(
            f"<p>Paragraph {i} of the storm story, with enough words to count as text "
            f"for any extractor that looks at density.</p>"
            for i in range(6)
        )
        + "</article><footer>Copyright Daily</footer></body></html>",
        encoding="utf-8",
    )
    data = json.loads(invoke("extract", str(page), "--url", "https://daily.example/storm").output)
    assert data["title"] == "Storm hits coast"
    assert "Paragraph 5 of the storm story" in data["text"]
    assert "Copyright" not in data["text"]
    text = invoke("extract", str(page), "--format", "text").output
    assert text.startswith("Storm hits coast\n\nParagraph 0")
    html = invoke("extract", str(page), "--format", "html").output
    assert "<p>Paragraph 5 of the storm story" in html and "Copyright" not in html
    markdown = invoke("extract", str(page), "--format", "markdown").output
    assert "Paragraph 0 of the storm story" in markdown and "<p>" not in markdown
    explained = json.loads(invoke("extract", str(page), "--explain").output)
    assert explained["method"]
