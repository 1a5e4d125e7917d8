"""What a new user meets: init, the demo's port and config, forget, extract on a binary file,
the SSRF refusal, and a --help that imports nothing heavy."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.models import CaptureIn
from archive.store import Archive
from scraper.cli import cli
from scraper.cli.extracting import binary_kind
from scraper.config import load_config
from scraper.fetch.netguard import address_class

ROOT = Path(__file__).resolve().parent.parent
NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="newsarchive")


# -- init ------------------------------------------------------------------------------------------


def test_init_writes_a_commented_starter_config(tmp_path):
    result = invoke("init", str(tmp_path / "news"))
    assert result.exit_code == 0, result.output
    written = tmp_path / "news" / "config.toml"
    text = written.read_text(encoding="utf-8")
    assert text.count("\n#") > 20 and "[[sites]]" in text and "allow_hosts" in text
    config = load_config(written)  # a valid configuration as written
    assert config.sites and config.db_path == tmp_path / "news" / "archive.db"
    again = invoke("init", str(tmp_path / "news"))
    assert again.exit_code == 1 and "already exists" in again.output
    assert invoke("init", str(tmp_path / "news"), "--force").exit_code == 0


def test_the_starter_config_is_the_project_config():
    from scraper.cli.setup import starter_text

    assert starter_text() == (ROOT / "config.toml").read_text(encoding="utf-8")


def test_a_missing_config_points_to_init(tmp_path):
    result = invoke("crawl", "--config", str(tmp_path / "none.toml"))
    assert result.exit_code == 1 and "newsarchive init" in result.output


# -- demo ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_serves_on_the_port_asked_and_prints_its_config(tmp_path):
    port = free_port()
    result = invoke("demo", "--db", str(tmp_path / "demo.db"), "--crawls", "1", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert f"Demo news site on http://127.0.0.1:{port}" in result.output
    assert "The configuration the demo crawls with" in result.output
    assert f'    allow_hosts = ["127.0.0.1:{port}"]' in result.output
    assert '    name = "demo-news"' in result.output


def test_demo_on_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke("demo", "--db", str(tmp_path / "demo.db"), "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot serve the demo site on 127.0.0.1:{port}" in result.output


# -- failed archives and forget ------------------------------------------------------------------


def test_archive_of_a_private_address_names_its_class_and_allow_hosts(tmp_path, page_server):
    db = tmp_path / "a.db"
    result = invoke(
        "archive",
        "--db",
        str(db),
        "--config",
        str(tmp_path / "no.toml"),
        f"{page_server.base}/story",
    )
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert "[ssrf-blocked]" in line and "a loopback address" in line
    assert f'add "{page_server.host_port}" to allow_hosts under [crawl]' in line
    assert "newsarchive forget 1" in line
    history = invoke("history", "1", "--db", str(db), "--config", str(tmp_path / "no.toml"))
    assert "no version yet" in history.output and "loopback" in history.output


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private network"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("100.64.0.1", "carrier-grade NAT (100.64.0.0/10)"),
        ("fd00::1", "unique-local IPv6"),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_address_classes(address, kind):
    assert address_class(address) == kind


def archive_with_a_failed_and_an_archived_article(db: Path) -> None:
    from datetime import UTC, datetime

    import sample_archive

    sample_archive.build(db)
    with Archive(db) as archive:
        archive.record(
            CaptureIn(
                url="https://news.example/broken/",
                site="local",
                fetched_at=datetime(2026, 11, 21, tzinfo=UTC),
                outcome="error",
                reason="timeout",
                error="read timed out",
                raw=b"<html>partial</html>",
            )
        )


def test_forget_drops_an_article_that_failed(tmp_path):
    db = tmp_path / "a.db"
    archive_with_a_failed_and_an_archived_article(db)
    with Archive(db, readonly=True) as archive:
        before = archive.counts()
        failed = archive.find_article("https://news.example/broken/")["id"]
    result = invoke("forget", "https://news.example/broken/", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"forgot article {failed}" in result.output and "1 capture(s)" in result.output
    with Archive(db, readonly=True) as archive:
        after = archive.counts()
        assert archive.find_article("https://news.example/broken/") is None
    assert after["articles"] == before["articles"] - 1
    assert after["captures"] == before["captures"] - 1
    assert after["versions"] == before["versions"]


def test_forget_keeps_versions_unless_told(tmp_path):
    db = tmp_path / "a.db"
    archive_with_a_failed_and_an_archived_article(db)
    refused = invoke("forget", "1", "--db", str(db))
    assert refused.exit_code == 1 and "--with-versions" in refused.output
    done = invoke("forget", "1", "--db", str(db), "--with-versions")
    assert done.exit_code == 0 and "2 version(s), 3 capture(s)" in done.output
    with Archive(db, readonly=True) as archive:
        assert archive.search("pensioners", 10) == []  # gone from the index too
        assert (
            archive.db.execute(
                "select count(*) from raw_pages where id not in (select raw_page_id from captures "
                "where raw_page_id is not null)"
            ).fetchone()[0]
            == 0
        )
    assert invoke("forget", "999", "--db", str(db)).exit_code == 1


# -- extract on a binary file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 ...", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (bytes(range(256)) * 40, "binary data"),
        ("<html><p>Grüße</p></html>".encode("utf-16"), None),
        ("<html><p>Grüße</p></html>".encode(), None),
    ],
)
def test_binary_kind(data, kind):
    assert binary_kind(data) == kind


def test_extract_refuses_a_binary_file(tmp_path):
    pdf = tmp_path / "story.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 400)
    result = invoke("extract", str(pdf))
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {pdf}: a PDF document, not an HTML page: nothing to extract (give the page's HTML)"
    )


# -- a fast --help -----------------------------------------------------------------------------------


def test_importing_the_cli_imports_no_heavy_library():
    code = (
        "import sys, json, scraper.cli; "
        "print(json.dumps(sorted(m for m in ('httpx', 'datasette', 'selectolax', 'apscheduler', "
        "'sqlite_utils', 'feedparser', 'zstandard', 'charset_normalizer', 'w3lib', 'asyncio') "
        "if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    help_text = subprocess.run(
        [*NEWSARCHIVE, "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("archive", "crawl", "forget", "init", "serve"):
        assert f"  {name} " in help_text
