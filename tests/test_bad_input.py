"""Bad input gets one clear line naming the problem, a non-zero exit, and loses nothing.

Through the CLI: configuration files with each kind of mistake, files that are not archives
(or are damaged) given as ``--db``, an archive in a read-only folder, and an archive held by a
running ``newsarchive run``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.models import CaptureIn, ContentIn
from archive.store import Archive
from scraper.cli import cli
from scraper.crawl.lock import ArchiveLock, read_holder
from scraper.demo.run import demo_config_text
from scraper.demo.site import DemoSite

NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]

GOOD_CRAWL = '[crawl]\nuser_agent = "newsarchive-test/0.1 (+https://example.org/contact)"\n'
GOOD_SITE = '[[sites]]\nname = "daily"\nfeeds = ["https://daily.example/feed.xml"]\n'


def invoke(*args: str):
    # catch_exceptions=False: an exception escaping the command (a traceback) fails the test.
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="newsarchive")


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code in (1, 2), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# --------------------------------------------------------------------------- config.toml


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            GOOD_CRAWL.replace("]\n", "]\nretries = 'three'\n", 1) + GOOD_SITE,
            "crawl.retries",
            "expected an integer",
        ),
        (
            GOOD_CRAWL + GOOD_SITE + "feed = ['https://daily.example/rss']\n",
            "sites[0].feed",
            "unknown key (did you mean 'feeds'?)",
        ),
        (GOOD_CRAWL + "[archiv]\ndb = 'a.db'\n" + GOOD_SITE, "archiv", "unknown key"),
        (
            GOOD_CRAWL + GOOD_SITE + "include = ['(unclosed']\n",
            "sites[0].include[0]",
            "invalid regular expression",
        ),
        (
            GOOD_CRAWL + GOOD_SITE + "schedule = { every = 'soon' }\n",
            "sites[0].schedule.every",
            "expected a duration",
        ),
        (
            GOOD_CRAWL.replace("]\n", "]\nper_host_delay = '1 sec'\n", 1) + GOOD_SITE,
            "crawl.per_host_delay",
            "duration",
        ),
        (
            GOOD_CRAWL.replace("]\n", "]\nmax_page_size = 'huge'\n", 1) + GOOD_SITE,
            "crawl.max_page_size",
            "expected a size",
        ),
        (
            GOOD_CRAWL + "[[sites]]\nname = 'daily'\nfeeds = ['ftp://daily.example/feed']\n",
            "sites[0].feeds[0]",
            "expected a URL",
        ),
        (
            GOOD_CRAWL + "[[sites]]\nfeeds = ['https://daily.example/feed.xml']\n",
            "sites[0].name",
            "missing",
        ),
        (GOOD_CRAWL + "[[sites]]\nname = 'daily'\n", "sites[0]", "has no source"),
        (GOOD_CRAWL, "[[sites]]", "no [[sites]] to crawl"),
        (GOOD_CRAWL + "sites = 'daily'\n", "crawl.sites", "unknown key"),
        ("[crawl\nretries = 3\n", "invalid TOML", "line 1"),
        ("\ufeff[crawl]\nretries = 1\n[crawl]\n", "invalid TOML", "line 3"),
        (
            GOOD_CRAWL.replace("newsarchive-test", "nachrichtenarchiv-prüfung") + GOOD_SITE,
            "crawl.user_agent",
            "must be ASCII",
        ),
        (
            GOOD_CRAWL + GOOD_SITE + "tags = " + "[" * 600 + "]" * 600 + "\n",
            "",
            "nested too deeply",
        ),
        (
            GOOD_CRAWL + GOOD_SITE + "x = " + "{a = " * 600 + "1" + "}" * 600 + "\n",
            "",
            "too deeply",
        ),
    ],
    ids=[
        "wrong-type",
        "unknown-site-key",
        "unknown-table",
        "bad-regex",
        "bad-duration",
        "bad-seconds",
        "bad-size",
        "bad-url",
        "site-without-name",
        "site-without-source",
        "missing-sites",
        "sites-in-the-wrong-table",
        "bad-toml-syntax",
        "duplicate-table",
        "non-ascii-user-agent",
        "arrays-nested-600-deep",
        "tables-nested-600-deep",
    ],
)
@pytest.mark.parametrize("command", ["crawl", "run"])
def test_a_bad_config_is_refused_in_one_line_naming_the_key(tmp_path, command, text, key, problem):
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    db = tmp_path / "archive.db"
    result = invoke(command, "--config", str(config), "--db", str(db))
    assert_one_line_error(result, str(config), key, problem)
    assert not db.exists()  # refused before anything was created


def test_a_config_that_is_not_utf8_or_not_a_file(tmp_path):
    config = tmp_path / "latin1.toml"
    config.write_bytes(GOOD_CRAWL.encode() + b"# caf\xe9\n")
    assert_one_line_error(invoke("crawl", "--config", str(config)), str(config), "not UTF-8")
    result = invoke("crawl", "--config", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output


# --------------------------------------------------------------------------- --db files

READING = [
    ("status",),
    ("history", "1"),
    ("diff", "1"),
    ("show", "1"),
    ("changes", "--since", "3650d"),
    ("search", "council"),
    ("export",),
    # An address this host does not have: should the check ever be skipped, Datasette fails
    # to bind at once instead of serving forever.
    ("serve", "--host", "192.0.2.1", "--port", "8001"),
]
WRITING = [("archive", "https://daily.example/2026/11/01/story/")]


def junk(path: Path) -> None:
    path.write_bytes(b"these are not the bytes of a SQLite file\n" * 200)


def empty(path: Path) -> None:
    path.write_bytes(b"")


def foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("create table notes (id integer primary key, body text)")
    conn.execute("insert into notes (body) values ('keep me')")
    conn.commit()
    conn.close()


def lookalike(path: Path) -> None:
    """Another program's database that happens to have an ``articles`` table."""
    conn = sqlite3.connect(path)
    conn.execute("create table articles (slug text, body text)")
    conn.execute("insert into articles values ('a', 'keep me')")
    conn.commit()
    conn.close()


def council_archive(path: Path) -> None:
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    with Archive(path) as archive:
        for i in range(3):
            text = f"The council met on day {i}.\n\n" + "It voted to close the library. " * 40
            archive.record(
                CaptureIn(
                    url="https://daily.example/2026/11/01/story/",
                    site="daily",
                    fetched_at=at + timedelta(hours=i),
                    status_code=200,
                    raw=text.encode(),
                ),
                ContentIn(title="Council votes", text=text, extractor_version="t"),
            )
        archive.db.execute("pragma wal_checkpoint(truncate)")


def damaged(path: Path) -> None:
    """A real archive whose versions and captures pages were overwritten on disk."""
    council_archive(path)
    conn = sqlite3.connect(path)
    page_size = conn.execute("pragma page_size").fetchone()[0]
    roots = [
        r[0]
        for r in conn.execute(
            "select rootpage from sqlite_master where name in ('versions', 'captures')"
        )
    ]
    conn.close()
    with open(path, "r+b") as f:
        for root in roots:
            f.seek((root - 1) * page_size)
            f.write(b"\xa5" * page_size)


BAD_FILES = {
    "junk": (junk, "not a SQLite database"),
    "empty": (empty, "not a newsarchive archive"),
    "foreign": (foreign, "not a newsarchive archive"),
    "lookalike": (lookalike, "not a newsarchive archive"),
    "damaged": (damaged, "database disk image is malformed"),
}


#: Where a bad file is acceptable: a 0-byte file is a new SQLite database to write an archive
#: into; ``status`` and ``serve`` read only the schema and counts of a damaged archive (a full
#: check of every page would cost as much as reading the whole archive).
FINE = {("archive", "empty"), ("status", "damaged"), ("serve", "damaged")}
CASES = [
    (args, kind)
    for args in READING + WRITING
    for kind in sorted(BAD_FILES)
    if (args[0], kind) not in FINE
]


@pytest.mark.parametrize(("args", "kind"), CASES, ids=[f"{a[0]}-{k}" for a, k in CASES])
def test_a_file_that_is_not_an_archive_is_refused_in_one_line(tmp_path, args, kind):
    make, problem = BAD_FILES[kind]
    db = tmp_path / f"{kind}.db"
    make(db)
    before = db.read_bytes()
    result = invoke(*args, "--db", str(db), "--config", str(tmp_path / "none.toml"))
    assert_one_line_error(result, str(db), problem)
    assert db.read_bytes() == before  # nothing written into someone else's file
    # A reader of a (WAL) archive may leave its -wal and -shm files, a writer its lock file;
    # nothing else appears.
    expected = {f"{db.name}-wal", f"{db.name}-shm"} if kind == "damaged" else set()
    if args in WRITING:
        expected.add(f"{db.name}.lock")
    assert {p.name for p in tmp_path.iterdir()} - expected == {db.name}


def test_the_crawl_command_refuses_a_foreign_database(tmp_path):
    db = tmp_path / "notes.db"
    foreign(db)
    config = tmp_path / "config.toml"
    config.write_text(GOOD_CRAWL + GOOD_SITE, encoding="utf-8")
    before = db.read_bytes()
    result = invoke("crawl", "--config", str(config), "--db", str(db), "--no-progress")
    assert_one_line_error(result, str(db), "not a newsarchive archive")
    assert db.read_bytes() == before


# --------------------------------------------------------------------------- read-only folder


def _without_permission_override() -> None:
    """Root ignores file permissions; the child drops that power (CAP_DAC_*) before exec."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def read_only_folder(tmp_path) -> Iterator[Path]:
    """A folder holding an archive, that the CLI's process may read but not write."""
    folder = tmp_path / "ro"
    folder.mkdir()
    council_archive(folder / "archive.db")
    ArchiveLock(folder / "archive.db", command="crawl").acquire().release()  # as a crawl leaves it
    folder.chmod(0o555)
    probe = subprocess.run(
        ["touch", str(folder / "probe")], preexec_fn=_without_permission_override
    )
    if probe.returncode == 0:
        folder.chmod(0o755)
        pytest.skip("this process can write to a read-only folder (no way to drop privileges)")
    yield folder
    folder.chmod(0o755)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSARCHIVE, *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
        preexec_fn=_without_permission_override,
    )


def test_an_archive_in_a_read_only_folder(read_only_folder):
    db = read_only_folder / "archive.db"
    before = db.read_bytes()
    cwd = read_only_folder.parent
    # Reading works: nobody can be writing to it (no -wal file, and none can be created).
    out = run_cli("history", "1", "--db", str(db), cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert "3 captures, 3 versions" in out.stdout
    out = run_cli("search", "council", "--db", str(db), cwd=cwd)
    assert out.returncode == 0 and "Council votes" in out.stdout, out.stderr

    # Writing is refused in one line that names the folder. The archive was crawled before
    # (its lock file, never deleted, is there): the archive itself says why.
    config = read_only_folder.parent / "config.toml"
    config.write_text(GOOD_CRAWL + GOOD_SITE, encoding="utf-8")
    folder_message = [
        f"Error: {db}: the folder {read_only_folder} is read-only; the archive needs to "
        f"write {db.name}-wal and {db.name}-shm beside it"
    ]
    for args in (
        ("archive", "https://daily.example/x/", "--db", str(db)),
        ("crawl", "--config", str(config), "--db", str(db), "--no-progress"),
    ):
        out = run_cli(*args, cwd=cwd)
        assert out.returncode == 1, out.stderr
        assert out.stderr.strip().splitlines() == folder_message
    # A new archive there cannot even get its lock file.
    for new in (read_only_folder / "new.db", read_only_folder / "sub" / "new.db"):
        out = run_cli("archive", "https://daily.example/x/", "--db", str(new), cwd=cwd)
        assert out.returncode == 1, out.stderr
        assert out.stderr.strip().splitlines() == [
            f"Error: cannot open lock file {new}.lock: Permission denied"
        ]
    assert db.read_bytes() == before
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["archive.db", "archive.db.lock"]


# --------------------------------------------------------------------------- a running `run`


def schema_committed(db: Path) -> bool:
    """Whether the archive's schema is there (a new archive is made in one transaction)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return False
    try:
        return conn.execute("select count(*) from sqlite_master").fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


@pytest.fixture
def running_service(tmp_path) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    with DemoSite(start=start) as site:
        site.advance(timedelta(days=1))
        base = site.start()
        db = tmp_path / "archive.db"
        config = tmp_path / "config.toml"
        config.write_text(
            demo_config_text(base, site.host_port, db, per_host_delay=0.05, retries=0),
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [*NEWSARCHIVE, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while read_holder(db) is None or not schema_committed(db):
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "run never took the lock"
                time.sleep(0.05)
            yield proc, db, config
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            proc.stderr.close()


def test_an_archive_held_by_a_running_run(running_service):
    proc, db, config = running_service
    holder = f"{db} is in use by newsarchive run (pid {proc.pid}, since "
    result = invoke("run", "--config", str(config))
    assert holder in assert_one_line_error(result)
    # (`crawl` and `archive` hand their work to the running service: tests/test_requests.py)
    # Reading while it writes is fine, and says who writes.
    status = invoke("status", "--config", str(config))
    assert status.exit_code == 0, status.output
    assert f"`newsarchive run` is running (pid {proc.pid}" in status.output

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped_by=SIGTERM" in err and "Traceback" not in err
    assert read_holder(db) is None
    with Archive(db, readonly=True) as archive:
        assert archive.db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert {c["status"] for c in archive.crawls()} <= {"done", "cancelled"}


# --------------------------------------------------------------------------- demo --db


@pytest.mark.parametrize("make", [council_archive, foreign, junk], ids=lambda f: f.__name__)
def test_the_demo_never_deletes_a_file_that_is_not_a_demo_archive(tmp_path, make):
    db = tmp_path / "archive.db"
    make(db)
    before = db.read_bytes()
    result = invoke("demo", "--db", str(db), "--crawls", "1")
    assert_one_line_error(result, str(db), "not deleting it")
    assert db.read_bytes() == before


def test_the_demo_never_deletes_an_archive_in_use(tmp_path):
    from scraper.crawl.lock import ArchiveLock

    db = tmp_path / "demo.db"
    db.write_bytes(b"")
    with ArchiveLock(db, command="run"):
        result = invoke("demo", "--db", str(db), "--crawls", "1")
    assert_one_line_error(result, f"{db} is in use by newsarchive run", "not deleting it")
    assert db.exists()


@pytest.mark.parametrize("option", ["--body-selector", "--discard"])
def test_extract_refuses_a_bad_selector_naming_it(tmp_path, option):
    page = tmp_path / "page.html"
    page.write_text("<html><body><article><p>Some text.</p></article></body></html>")
    result = invoke("extract", str(page), option, "p[")
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': invalid CSS selector 'p['" in result.output


@pytest.mark.parametrize(
    ("command", "option"),
    [("crawl", "--wait"), ("archive", "--wait"), ("run", "--grace"), ("run", "--max-crawls")],
)
def test_a_negative_number_option_is_a_usage_error_naming_it(tmp_path, command, option):
    config = tmp_path / "config.toml"
    config.write_text(GOOD_CRAWL + GOOD_SITE, encoding="utf-8")
    args = [command, "--config", str(config), option, "-1"]
    if command == "archive":
        args.insert(1, "https://daily.example/x/")
    result = invoke(*args)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert not (tmp_path / "archive.db").exists()


def test_export_never_writes_over_the_archive(tmp_path, monkeypatch):
    db = tmp_path / "archive.db"
    council_archive(db)
    before = db.read_bytes()
    monkeypatch.chdir(tmp_path)
    for output in (str(db), "archive.db", "./archive.db-wal"):
        result = invoke("export", "--db", str(db), "-o", output)
        assert_one_line_error(result, f"{output} is the archive itself")
    assert db.read_bytes() == before
    out = tmp_path / "versions.jsonl"
    assert invoke("export", "--db", str(db), "-o", str(out)).exit_code == 0
    assert len(out.read_text().splitlines()) == 3


@pytest.mark.parametrize("port", ["99999", "0", "-1", "65536", "eighty"])
def test_serve_refuses_a_port_out_of_range_as_a_usage_error(tmp_path, port):
    db = tmp_path / "archive.db"
    Archive(db).close()
    result = invoke("serve", "--db", str(db), "--port", port)
    assert result.exit_code == 2
    assert "--port" in result.output and "Traceback" not in result.output


def test_changes_for_an_unknown_site_says_so(tmp_path):
    db = tmp_path / "archive.db"
    t0 = datetime.now(UTC) - timedelta(hours=1)
    with Archive(db) as archive:
        archive.record(
            CaptureIn(url="https://daily.example/a", site="daily", fetched_at=t0, raw=b"<p>x"),
            ContentIn(title="A", text="Some words.", extractor_version="t"),
        )
    result = invoke("changes", "--db", str(db), "--site", "NO-SUCH-SITE")
    assert result.exit_code == 2
    assert "unknown site 'NO-SUCH-SITE'" in result.output and "daily" in result.output
    assert invoke("changes", "--db", str(db), "--site", "daily").exit_code == 0


@pytest.mark.parametrize(("option", "value"), [("--port", "99999"), ("--host", "x" * 300)])
def test_serve_refuses_bad_listen_options_naming_them(tmp_path, option, value):
    db = tmp_path / "archive.db"
    Archive(db).close()
    result = invoke("serve", "--db", str(db), option, value)
    assert result.exit_code == 2 and option in result.output


@pytest.mark.parametrize("name", ["bad\x00name.db", "x" * 5000 + ".db"])
@pytest.mark.parametrize("command", ["status", "history", "changes", "search", "export"])
def test_file_names_the_os_refuses_are_usage_errors(tmp_path, command, name):
    args = [command, "--db", name] + (["1"] if command in ("history", "search") else [])
    result = invoke(*args)
    assert result.exit_code == 2 and "--db" in result.output
    assert invoke(command, "--config", name, *args[3:]).exit_code == 2
