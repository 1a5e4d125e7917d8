"""WARC out and in: real archives of the demo site, warcio's reader, pywb's replay, wget's WARCs.

pywb (the package from PyPI) is started by the test on 127.0.0.1 with collections built by its
own ``wb-manager``; wget is Debian's, run against the demo site served on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.models import CaptureIn, ContentIn
from archive.store import Archive
from archive.warc_out import iter_cdxj
from scraper.cli import cli
from scraper.demo.run import DEMO_START, demo_config_text
from scraper.demo.site import DemoSite
from scraper.extract import extract

T1 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


def base_of(db: Path) -> str:
    with Archive(db, readonly=True) as archive:
        url = archive.db.execute("select url from articles limit 1").fetchone()[0]
    return "/".join(url.split("/")[:3])


def config_for(tmp_path: Path, base: str, db: Path) -> Path:
    path = tmp_path / f"config-{db.stem}.toml"
    path.write_text(demo_config_text(base, base.split("/")[2], db), encoding="utf-8")
    return path


def histories(db: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Per article URL with versions: (captured at, title, text) of each version."""
    with Archive(db, readonly=True) as archive:
        return {
            a["url"]: [(v["captured_at"], v["title"], v["text"]) for v in archive.versions(a["id"])]
            for a in archive.db.query("select * from articles where version_count > 0")
        }


def records(path: Path) -> list:
    """(type, WARC headers, HTTP headers, body) of every record, digests checked."""
    out = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            body = record.content_stream().read()
            out.append((record.rec_type, record.rec_headers, record.http_headers, body))
    return out


def with_a_repeated_page(db: Path) -> str:
    """Two captures of one page with byte-identical bodies (a revisit in WARC terms)."""
    url = "https://daily.example/2026/11/26/same-story/"
    body = (
        b"<html><head><title>Same story</title></head><body><article><h1>Same story</h1>"
        b"<p>The ferry timetable stays the same through the winter, the operator said.</p>"
        b"<p>Passengers had asked for an earlier sailing on weekdays.</p></article></body></html>"
    )
    with Archive(db) as archive:
        for moment in (T1, T1 + timedelta(hours=1)):
            archive.record(
                CaptureIn(
                    url=url,
                    site="daily",
                    fetched_at=moment,
                    status_code=200,
                    content_type="text/html",
                    size=len(body),
                    http_version="HTTP/1.1",
                    request_headers=(("Host", "daily.example"), ("User-Agent", "test")),
                    response_headers=(("Content-Type", "text/html"), ("Content-Length", "999")),
                    raw=body,
                ),
                ContentIn("Same story", "The ferry timetable stays the same.", "test"),
            )
    return url


def test_export_holds_every_capture_as_fetched(demo_db, tmp_path):
    db = tmp_path / "archive.db"
    shutil.copy(demo_db, db)
    same = with_a_repeated_page(db)
    out = tmp_path / "out.warc.gz"
    summary = ok("export", "--db", str(db), "--format", "warc", "-o", str(out))
    assert "revisits" in summary and (tmp_path / "out.cdxj").exists()

    recs = records(out)
    assert recs[0][0] == "warcinfo" and recs[0][1].protocol == "WARC/1.1"
    assert b"decoded" in recs[0][3]
    responses = {
        r[1].get_header("WARC-Record-ID"): r for r in recs if r[0] in ("response", "revisit")
    }
    requests = [r for r in recs if r[0] == "request"]
    assert requests and all(r[1].get_header("WARC-Concurrent-To") in responses for r in requests)

    with Archive(db, readonly=True) as archive:
        captures = list(archive.db.query("select * from captures where status_code is not null"))
        pages = {
            (c["final_url"] or c["url"], c["fetched_at"]): archive.raw_page(c["raw_page_id"])
            for c in captures
            if c["raw_page_id"]
        }
    exported = {}
    for kind, warc, http, body in recs:
        if kind != "response" or warc.get_header("Newsarchive-Body", "").startswith("redirect"):
            continue
        when = datetime.fromisoformat(warc.get_header("WARC-Date").replace("Z", "+00:00"))
        exported[(warc.get_header("WARC-Target-URI"), when.isoformat())] = (warc, http, body)
    # Every page the archive kept is in the file, byte for byte, with honest headers.
    for key, raw in pages.items():
        if key[0] == same and key[1] != T1.isoformat():
            continue  # the repeat is a revisit
        warc, http, body = exported[key]
        assert body == raw
        assert http.get_header("Content-Encoding") is None
        assert http.get_header("Content-Length") == str(len(raw))
        assert warc.get_header("WARC-Payload-Digest").startswith("sha256:")
    gzipped = [w for w, _h, _b in exported.values() if "gzip" in w.get_header("Newsarchive-Body")]
    assert gzipped and "Content-Encoding gzip removed" in gzipped[0].get_header("Newsarchive-Body")
    # 404s and 304s are there too, without a body the archive never kept.
    statuses = {h.get_statuscode() for _w, h, _b in exported.values()}
    assert {"200", "304", "404"} <= statuses
    # The moved article's redirect hop.
    hops = [r for r in recs if r[0] == "response" and r[2].get_statuscode() in ("301", "308")]
    assert hops and hops[0][2].get_header("Location")
    # The identical body is a revisit pointing at the first capture.
    (revisit,) = [r for r in recs if r[0] == "revisit"]
    assert revisit[1].get_header("WARC-Refers-To-Target-URI") == same
    assert revisit[1].get_header("WARC-Refers-To-Date") == "2026-11-26T09:00:00Z"

    # The CDXJ index: sorted, and each line points at its record.
    lines = list(iter_cdxj(tmp_path / "out.cdxj"))
    assert [(k, t) for k, t, _f in lines] == sorted((k, t) for k, t, _f in lines)
    assert len(lines) == sum(1 for r in recs if r[0] in ("response", "revisit"))
    with open(out, "rb") as stream:
        for _key, ts, fields in lines[:20]:
            stream.seek(int(fields["offset"]))
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
            assert (
                record.rec_headers.get_header("WARC-Date")
                .replace("-", "")
                .replace(":", "")
                .replace("T", "")[:14]
                == ts
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pywb_root(tmp_path) -> Path:
    root = tmp_path / "pywb"
    root.mkdir()
    return root


def wb_manager(root: Path, *commands: list[str]) -> None:
    """Run pywb's ``wb-manager`` commands (one process for all: pywb takes a while to import)."""
    script = "import sys, json\nfrom pywb.manager.manager import main\n"
    script += "for args in json.loads(sys.argv[1]):\n    main(args)\n"
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def wayback(pywb_root) -> Iterator[str]:
    """Yields a function that starts pywb on 127.0.0.1 once the collections are built."""
    procs: list[subprocess.Popen] = []

    def start() -> str:
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from pywb.apps.cli import wayback; wayback()",
                "-p",
                str(port),
                "-b",
                "127.0.0.1",
            ],
            cwd=pywb_root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/", timeout=1)
                return base
            except httpx.TransportError:
                assert proc.poll() is None, "pywb exited"
                time.sleep(0.2)
        raise AssertionError("pywb did not start")

    yield start  # type: ignore[misc]
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_pywb_replays_the_export(demo_db, tmp_path, pywb_root, wayback):
    db = tmp_path / "archive.db"
    shutil.copy(demo_db, db)
    same = with_a_repeated_page(db)
    out = tmp_path / "news.warc.gz"
    ok("export", "--db", str(db), "--format", "warc", "-o", str(out))

    # One collection indexed by pywb itself, one served from our CDXJ index.
    wb_manager(pywb_root, ["init", "indexed"], ["add", "indexed", str(out)], ["init", "ours"])
    shutil.copy(out, pywb_root / "collections" / "ours" / "archive" / out.name)
    shutil.copy(
        tmp_path / "news.cdxj", pywb_root / "collections" / "ours" / "indexes" / "index.cdxj"
    )
    base = wayback()

    with Archive(db, readonly=True) as archive:
        edited = archive.db.execute(
            "select id, url from articles where version_count > 1 order by id limit 1"
        ).fetchone()
        article_id, url = edited
        captures = [
            c
            for c in archive.captures(article_id)
            if c["raw_page_id"] and c["version_id"] and not c["final_url"]
        ]
        pages = [(c["fetched_at"], archive.raw_page(c["raw_page_id"])) for c in captures]
        versions = archive.versions(article_id)
        repeat = archive.captures(archive.article(same)["id"])
        repeat_body = archive.raw_page(repeat[0]["raw_page_id"])
    assert len(pages) >= 2 and pages[0][1] != pages[1][1]

    def stamp(moment: str) -> str:
        return datetime.fromisoformat(moment).strftime("%Y%m%d%H%M%S")

    with httpx.Client(timeout=20) as client:
        for collection in ("indexed", "ours"):
            for (moment, body), version in zip(pages, versions, strict=False):
                # id_: the stored page exactly, as at its capture time.
                got = client.get(f"{base}/{collection}/{stamp(moment)}id_/{url}")
                assert got.status_code == 200
                assert got.content == body
                # The ordinary replay (links rewritten) shows that version's text.
                shown = client.get(f"{base}/{collection}/{stamp(moment)}mp_/{url}")
                assert shown.status_code == 200
                first_paragraph = version["text"].split("\n\n")[0]
                assert first_paragraph[:60] in shown.text.replace("&#x27;", "'").replace(
                    "&#39;", "'"
                )
            # The revisit (an identical body an hour later) replays the same page.
            later = stamp(repeat[1]["fetched_at"])
            got = client.get(f"{base}/{collection}/{later}id_/{same}")
            assert got.status_code == 200 and got.content == repeat_body


def test_round_trip_export_then_import_into_a_fresh_archive(demo_db, tmp_path):
    out = tmp_path / "demo.warc.gz"
    ok("export", "--db", str(demo_db), "--format", "warc", "-o", str(out))
    fresh = tmp_path / "fresh.db"
    config = config_for(tmp_path, base_of(demo_db), fresh)
    summary = ok("import-warc", str(out), "--config", str(config))
    assert "0 damaged records skipped" in summary
    assert histories(fresh) == histories(demo_db)
    with Archive(fresh, readonly=True) as archive, Archive(demo_db, readonly=True) as original:
        # Moves and lifecycle events came along: the same article states.
        states = "select url, status, version_count from articles where version_count > 0"
        assert sorted(archive.db.query(states), key=str) == sorted(
            original.db.query(states), key=str
        )
        counts = archive.counts()
    again = ok("import-warc", str(out), "--config", str(config))
    assert "0 captures imported" in again
    with Archive(fresh, readonly=True) as archive:
        assert archive.counts() == counts


@pytest.fixture
def live_demo() -> Iterator[DemoSite]:
    with DemoSite(start=DEMO_START) as site:
        site.start()
        yield site


def wget_warc(site: DemoSite, where: Path, name: str, *extra: str) -> Path:
    done = subprocess.run(
        [
            "wget",
            "--no-verbose",
            "--recursive",
            "--level=1",
            "--tries=1",
            "--timeout=10",
            f"--warc-file={where / name}",
            "--directory-prefix",
            str(where / f"{name}-files"),
            *extra,
            site.base_url + "/world/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 8), done.stderr  # 8: some link answered 404 (gone articles)
    files = list(where.glob(f"{name}.warc*"))
    assert len(files) == 1
    return files[0]


def test_wget_warcs_import_as_if_crawled(live_demo, tmp_path):
    compressed = wget_warc(live_demo, tmp_path, "wget-gz")
    plain = wget_warc(live_demo, tmp_path, "wget-plain", "--no-warc-compression")
    assert compressed.name.endswith(".warc.gz") and plain.name.endswith(".warc")

    results = []
    for warc in (compressed, plain):
        db = tmp_path / f"{warc.stem.split('.')[0]}.db"
        config = config_for(tmp_path, live_demo.base_url, db)
        summary = ok("import-warc", str(warc), "--config", str(config))
        assert "not article pages of the sites" in summary
        again = ok("import-warc", str(warc), "--config", str(config))
        assert "0 captures imported" in again
        results.append(histories(db))

    # Fetched a moment apart: the same articles and texts, their own capture times.
    def texts(history: dict) -> dict:
        return {url: [v[1:] for v in versions] for url, versions in history.items()}

    assert texts(results[0]) == texts(results[1])

    # The articles are the demo's articles that /world/ links to, each read as the extractor
    # reads the live page.
    world = [a for a in live_demo.articles() if a.section == "world" and a.robots_allowed]
    imported = results[0]
    assert {a.url for a in world if a.status == "live"} <= set(imported)
    for article in world:
        if article.url in imported:
            (version,) = imported[article.url]
            page = httpx.get(article.url, timeout=10).text
            assert version[2] == extract(page, article.url).text


def test_damaged_records_are_reported_and_skipped(demo_db, tmp_path):
    plain = tmp_path / "demo.warc"
    ok("export", "--db", str(demo_db), "--format", "warc", "-o", str(plain))
    data = plain.read_bytes()
    base = base_of(demo_db)

    # A record cut short at the end (an interrupted download), one whose bytes were damaged in
    # the middle, and one gzip stream for the whole file.
    starts = [i for i in range(len(data)) if data.startswith(b"WARC/1.1\r\nWARC-Type: response", i)]
    # Responses whose body the archive kept (the header says so before the HTTP block).
    pages = [i for i in starts if b"Newsarchive-Body: decoded" in data[i : data.index(b"HTTP/", i)]]
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: data.index(b"HTTP/", starts[-1]) + 20])  # inside the last record
    middle = pages[len(pages) // 2]
    body_at = data.index(b"<html", middle)
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(data[:body_at] + b"X" * 40 + data[body_at + 40 :])
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(data))

    reference = tmp_path / "reference.db"
    ok("import-warc", str(plain), "--config", str(config_for(tmp_path, base, reference)))
    expected = histories(reference)

    db = tmp_path / "whole.db"
    ok("import-warc", str(whole), "--config", str(config_for(tmp_path, base, db)))
    assert histories(db) == expected

    for name, path in (("cut", cut), ("damaged", damaged)):
        db = tmp_path / f"{name}.db"
        result = invoke("import-warc", str(path), "--config", str(config_for(tmp_path, base, db)))
        assert result.exit_code == 1  # the truth: not everything could be imported
        assert "Traceback" not in result.output
        skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
        assert len(skipped) == 1, result.stderr
        assert ("truncated" if name == "cut" else "digest mismatch") in skipped[0]
        got = histories(db)
        # Nothing partial: every version imported is one of the reference's, whole.
        assert got and len(got) <= len(expected)
        for url, versions in got.items():
            assert set(versions) <= set(expected[url])
        with Archive(db, readonly=True) as archive:
            n = archive.counts()["captures"]
        with Archive(reference, readonly=True) as archive:
            assert n == archive.counts()["captures"] - 1


def test_export_refuses_bad_output_and_import_bad_files(demo_db, tmp_path):
    result = invoke("export", "--db", str(demo_db), "--format", "warc")
    assert result.exit_code == 2 and "needs -o" in result.output
    result = invoke(
        "export", "--db", str(demo_db), "--format", "warc", "-o", str(tmp_path / "no" / "x.warc")
    )
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not a WARC file\n" * 10)
    db = tmp_path / "j.db"
    result = invoke(
        "import-warc", str(junk), "--config", str(config_for(tmp_path, base_of(demo_db), db))
    )
    assert (
        result.exit_code == 1 and "skipped: " in result.stderr and "Traceback" not in result.output
    )
    assert "0 captures imported" in result.stdout
