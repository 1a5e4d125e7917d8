"""WARC out: every capture of the archive as WARC/1.1 records, with a CDXJ index beside them.

WARC is the web-archiving world's own format (ISO 28500): pywb, Browsertrix, wget and the
Internet Archive's tools read it. Each capture that got an HTTP response becomes a ``request``
record (the headers the crawler sent) and a ``response`` record (the status line and headers as
received, then the body), written by warcio; redirect hops come first, one ``response`` each.

The archive keeps the *decoded* body (after ``Content-Encoding``), so a response record carries
exactly those bytes: ``Content-Encoding`` and ``Transfer-Encoding`` are dropped, ``Content-Length``
is the stored length, and the record's ``Newsarchive-Body`` header says what was changed and
what the original values were. A body the archive did not keep (a 404, a page that was not HTML)
is an empty block marked ``WARC-Truncated: unspecified``; redirect hops, of which the archive
keeps the status and the target only, are marked as such. Nothing is passed off as fetched.

A body already written for an earlier capture (the same raw page) becomes a ``revisit`` record
(profile *identical-payload-digest*) that refers to that capture. Payload digests are the raw
page's SHA-256 (``sha256:`` + base32), so they are known without reading the body again.

Everything streams: captures come from one cursor, bodies are read one at a time, and the index
is sorted in a temporary SQLite file, so memory stays flat whatever the archive's size. The
output appears under its name only when complete.

May import: :mod:`archive.store`; warcio and surt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from surt import surt
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from archive.store import Archive

#: Hop-by-hop and encoding headers that no longer describe the stored body.
_DROPPED = frozenset({"content-encoding", "transfer-encoding"})
BODY_HEADER = "Newsarchive-Body"
WARC_VERSION = "1.1"


class WarcExportError(Exception):
    """The export could not be written (bad output path, full disk)."""


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    path: Path
    index_path: Path
    captures: int  # captures exported
    responses: int  # response records with their body
    revisits: int  # revisit records (a body already in the file)
    redirects: int  # redirect hops
    without_response: int  # captures in scope that never got an HTTP response (not exportable)
    size: int  # bytes of the WARC file


def payload_digest(sha256_hex: str) -> str:
    """The WARC digest (``sha256:`` + base32) of a body whose SHA-256 is *sha256_hex*."""
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def index_path_for(path: Path) -> Path:
    """``OUT.warc.gz`` -> ``OUT.cdxj`` (beside it)."""
    name = path.name
    for suffix in (".warc.gz", ".warc", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".cdxj")


def warc_date(moment: str) -> str:
    """An archive timestamp (ISO 8601 UTC) as a WARC-Date: ``2026-11-26T06:00:00Z``."""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cdx_timestamp(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _status_line(protocol: str | None, status: int) -> tuple[str, str]:
    """(protocol, "status reason"): HTTP/2 and /3 are written as HTTP/1.1, as WARC tools expect."""
    from http import HTTPStatus

    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    proto = protocol if protocol and protocol.upper().startswith("HTTP/1") else "HTTP/1.1"
    return proto.upper(), f"{status} {reason}"


def _warc_headers(kind: str, date: str, **extra: str) -> dict[str, str]:
    """WARC headers in the usual order: type, id and date first."""
    return {
        "WARC-Type": kind,
        "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
        "WARC-Date": date,
        **extra,
    }


def _pairs(value: str | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in json.loads(value)] if value else []


def _header(pairs: list[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key.lower() == name:
            return value
    return None


def _media_type(pairs: list[tuple[str, str]]) -> str:
    kind = _header(pairs, "content-type") or "unknown"
    return kind.split(";")[0].strip().lower() or "unknown"


def _response_headers(
    row: dict[str, Any], body_len: int | None
) -> tuple[list[tuple[str, str]], str]:
    """The headers of a stored response, adjusted to the stored body, and what was changed."""
    original = _pairs(row["response_headers"])
    kept = [
        (k, v) for k, v in original if k.lower() not in _DROPPED and k.lower() != "content-length"
    ]
    notes = []
    encoding = _header(original, "content-encoding")
    length = _header(original, "content-length")
    transfer = _header(original, "transfer-encoding")
    if body_len is None:
        notes.append("not stored")
        if length is not None:
            kept.append(("Content-Length", "0"))
            notes.append(f"Content-Length was {length}")
    else:
        notes.append("decoded body as stored" if encoding else "body as received")
        kept.append(("Content-Length", str(body_len)))
        if encoding:
            notes.append(f"Content-Encoding {encoding} removed")
        if length is not None and length != str(body_len):
            notes.append(f"Content-Length was {length}")
    if transfer:
        notes.append(f"Transfer-Encoding {transfer} removed")
    return kept, "; ".join(notes)


class _Index:
    """CDXJ lines collected in a temporary SQLite file and written sorted (flat memory)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="newsarchive-cdxj-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "index.db"))
        self.db.execute("create table lines (key text, ts text, n integer, json text)")
        self.n = 0

    def add(self, url: str, moment: str, fields: dict[str, str]) -> None:
        self.n += 1
        self.db.execute(
            "insert into lines values (?, ?, ?, ?)",
            [surt(url), _cdx_timestamp(moment), self.n, json.dumps({"url": url, **fields})],
        )

    def write(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for key, ts, _n, fields in self.db.execute("select * from lines order by key, ts, n"):
                out.write(f"{key} {ts} {fields}\n")

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()


class _Counter:
    """A write-only file wrapper that knows its offset (records' offsets for the index)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.offset += len(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


class _Exporter:
    def __init__(
        self, archive: Archive, out: _Counter, filename: str, gzip: bool, index: _Index
    ) -> None:
        self.archive = archive
        self.out = out
        self.filename = filename
        self.writer = WARCWriter(out, gzip=gzip, warc_version=WARC_VERSION)
        self.index = index

    def write(self, record: Any, url: str | None, moment: str | None, **fields: str) -> str:
        start = self.out.offset
        self.writer.write_record(record)
        if url is not None and moment is not None:
            self.index.add(
                url,
                moment,
                {
                    **fields,
                    "length": str(self.out.offset - start),
                    "offset": str(start),
                    "filename": self.filename,
                },
            )
        return str(record.rec_headers.get_header("WARC-Record-ID"))

    def warcinfo(self, software: str, scope: str) -> None:
        info = {
            "software": software,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": (
                "newsarchive captures. Response bodies are stored decoded (after "
                "Content-Encoding); see each record's Newsarchive-Body header. " + scope
            ),
        }
        self.write(self.writer.create_warcinfo_record(self.filename, info), None, None)

    def redirects(self, row: dict[str, Any]) -> int:
        hops = json.loads(row["redirects"]) if row.get("redirects") else []
        url = row["requested_url"] or row["url"]
        date = warc_date(row["fetched_at"])
        for status, location in hops:
            proto, line = _status_line(row["http_version"], int(status))
            headers = StatusAndHeaders(
                line, [("Location", location), ("Content-Length", "0")], protocol=proto
            )
            record = self.writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(b""),
                length=0,
                http_headers=headers,
                warc_headers_dict=_warc_headers(
                    "response",
                    date,
                    **{
                        BODY_HEADER: "redirect hop: status and Location as fetched; "
                        "its other headers were not kept"
                    },
                ),
            )
            self.write(
                record,
                url,
                row["fetched_at"],
                mime="unknown",
                status=str(status),
                digest=str(record.rec_headers.get_header("WARC-Payload-Digest")),
                redirect=location,
            )
            url = location
        return len(hops)

    def capture(self, row: dict[str, Any], site: str | None, since: datetime | None) -> str:
        """Write one capture's records; returns "response" or "revisit"."""
        uri = row["final_url"] or row["requested_url"] or row["url"]
        date = warc_date(row["fetched_at"])
        status = int(row["status_code"])
        proto, line = _status_line(row["http_version"], status)
        raw_id = row["raw_page_id"]
        body: bytes | None = None
        refers: dict | None = None
        if raw_id is not None:
            first = self.archive.first_capture_of_page(raw_id, site=site, since=since)
            if first is not None and first["id"] != row["id"]:
                refers = first
            else:
                body = self.archive.raw_page(raw_id)
        body_len = len(body) if body is not None else (row["raw_size"] if refers else None)
        pairs, note = _response_headers(row, body_len)
        if status == 304 and body_len is None:
            note = "no body (304 Not Modified)"
            pairs = [(k, v) for k, v in pairs if k.lower() != "content-length"]
        http_headers = StatusAndHeaders(line, pairs, protocol=proto)
        kind = "revisit" if refers is not None else "response"
        warc_headers = _warc_headers(kind, date, **{BODY_HEADER: note})
        response_id = warc_headers["WARC-Record-ID"]
        if row["http_version"] and not row["http_version"].upper().startswith("HTTP/1"):
            warc_headers["WARC-Protocol"] = row["http_version"].lower().replace("http/", "h")
        mime = _media_type(pairs)

        request_pairs = _pairs(row["request_headers"])
        if request_pairs:
            parts = urlsplit(uri)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request = self.writer.create_warc_record(
                uri,
                "request",
                payload=BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(
                    f"GET {target} {proto}", request_pairs, is_http_request=True
                ),
                warc_headers_dict=_warc_headers(
                    "request", date, **{"WARC-Concurrent-To": response_id}
                ),
            )
            self.write(request, None, None)

        if refers is not None:
            digest = payload_digest(row["raw_sha256"])
            record = self.writer.create_revisit_record(
                uri,
                digest,
                refers["final_url"] or refers["requested_url"] or refers["url"],
                warc_date(refers["fetched_at"]),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            fields = {"mime": "warc/revisit", "status": str(status)}
        else:
            data = body if body is not None else b""
            if body is None and status != 304:
                warc_headers["WARC-Truncated"] = "unspecified"
            sha = row["raw_sha256"] if body is not None else hashlib.sha256(data).hexdigest()
            digest = payload_digest(sha)
            warc_headers["WARC-Payload-Digest"] = digest
            record = self.writer.create_warc_record(
                uri,
                "response",
                payload=BytesIO(data),
                length=len(data),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            fields = {"mime": mime, "status": str(status)}
        self.write(record, uri, row["fetched_at"], **fields, digest=digest)
        return kind


def export_warc(
    archive: Archive,
    path: Path,
    *,
    site: str | None = None,
    since: datetime | None = None,
    software: str = "newsarchive",
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Write the captures in scope to the WARC file *path* (gzip per record for ``.gz``)."""
    path = Path(path)
    index_path = index_path_for(path)
    gzip = path.name.endswith(".gz")
    scope = " ".join(
        part
        for part in (
            f"Site: {site}." if site else "",
            f"Captures since {since.isoformat()}." if since else "",
        )
        if part
    )
    try:
        folder = path.parent if str(path.parent) else Path(".")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise WarcExportError(f"{path}: cannot write there ({exc.strerror or exc})") from exc
    tmp = Path(tmp_name)
    index = _Index()
    counts = {"captures": 0, "response": 0, "revisit": 0, "redirects": 0}
    try:
        with os.fdopen(fd, "wb") as raw:
            out = _Counter(raw)
            exporter = _Exporter(archive, out, path.name, gzip, index)
            exporter.warcinfo(software, scope)
            for row in archive.export_captures(site=site, since=since):
                counts["redirects"] += exporter.redirects(row)
                counts[exporter.capture(row, site, since)] += 1
                counts["captures"] += 1
                if progress and counts["captures"] % 100 == 0:
                    progress(counts["captures"])
            size = out.offset
        index_tmp = index_path.with_name(f".{index_path.name}.tmp")
        index.write(index_tmp)
        os.replace(tmp, path)
        os.replace(index_tmp, index_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WarcExportError(f"{path}: cannot write the export ({exc.strerror or exc})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        index.close()
    in_scope = archive.count_captures(site=site, since=since)
    return ExportReport(
        path=path,
        index_path=index_path,
        captures=counts["captures"],
        responses=counts["response"],
        revisits=counts["revisit"],
        redirects=counts["redirects"],
        without_response=in_scope - counts["captures"],
        size=size,
    )


def iter_cdxj(path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(SURT key, timestamp, fields) per line of a CDXJ index."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            key, ts, fields = line.rstrip("\n").split(" ", 2)
            yield key, ts, json.loads(fields)
