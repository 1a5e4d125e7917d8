"""WARC in: HTTP responses read from WARC files made by any tool, damaged records set aside.

Files from wget (``--warc-file``), warcio, pywb or Browsertrix differ in small ways: gzip per
record, one gzip stream for the whole file, or none; request records before or after their
response; ``Concurrent-To`` pointing either way; bodies with their ``Content-Encoding`` and
chunked transfer coding left in. warcio parses them all; this module adds what an importer
needs on top:

- **Two passes.** :meth:`WarcSource.scan` reads every record once and yields a small
  :class:`HttpRecord` per HTTP response or revisit (no body), so a caller can sort captures by
  time across files; :meth:`WarcSource.load` then reads one record's body at its offset.
  Memory holds one body at a time.
- **Damage is reported, never half-read.** A record whose block is shorter than its
  ``Content-Length`` (a truncated download), whose digest does not match, or that does not
  parse becomes a :class:`WarcProblem`; reading resumes at the next record start found in the
  file (the next gzip member, or the next ``WARC/1.x`` line).

May import: :mod:`archive.models`; warcio.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import tempfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

GZIP_MAGIC = b"\x1f\x8b"
_READ = 64 * 1024
_RECENT_REQUESTS = 256  # request records kept while waiting for their response


@dataclass(frozen=True)
class WarcProblem:
    """A record that was skipped, and why."""

    file: str
    offset: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}: record at offset {self.offset}: {self.message}"


@dataclass(frozen=True)
class HttpRecord:
    """A ``response`` or ``revisit`` record with an HTTP(S) target, without its body."""

    file: str
    offset: int
    kind: str  # "response" or "revisit"
    uri: str
    date: datetime
    status: int
    location: str | None  # the Location header of a redirect
    content_type: str | None
    request_offset: int | None  # the matching request record, when there is one
    refers_to_uri: str | None = None  # revisits
    refers_to_date: datetime | None = None


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP response read from a WARC, body decoded (chunked and Content-Encoding)."""

    uri: str
    date: datetime
    status: int
    protocol: str
    headers: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None for a revisit (the body is the referred record's)
    kind: str
    refers_to_uri: str | None = None
    refers_to_date: datetime | None = None


def parse_warc_date(value: str | None) -> datetime | None:
    """``2026-11-26T06:00:00Z`` (seconds or finer; WARC/1.0 and 1.1) -> aware UTC datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _is_single_stream_gzip(path: Path) -> bool:
    """True for a WARC compressed as one gzip stream (``gzip file.warc``), not per record.

    A gzip member of a per-record file holds one record; a second record start inside the
    first member means the whole file is one stream.
    """
    with open(path, "rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            return False
        raw.seek(0)
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        carry = b""
        try:
            while not decompressor.eof:
                chunk = raw.read(_READ)
                if not chunk:
                    return False
                data = decompressor.decompress(chunk)
                while decompressor.unconsumed_tail and not decompressor.eof:
                    data += decompressor.decompress(decompressor.unconsumed_tail)
                window = carry + data
                if window.find(b"\nWARC/1.", 1) >= 0:
                    return True
                carry = window[-16:]
        except zlib.error:
            return False  # damaged: scanned (and reported) as it is
    return False


class WarcSource:
    """One WARC file, opened for the two passes (use as a context manager)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(path)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.read_path = self.path

    def __enter__(self) -> WarcSource:
        if _is_single_stream_gzip(self.path):
            # Offsets inside one gzip stream cannot be sought: read a decompressed copy.
            self._tmp = tempfile.TemporaryDirectory(prefix="newsarchive-warc-")
            self.read_path = Path(self._tmp.name) / "whole.warc"
            try:
                with gzip.open(self.path, "rb") as src, open(self.read_path, "wb") as dst:
                    shutil.copyfileobj(src, dst, _READ)
            except (EOFError, OSError, zlib.error):
                pass  # a truncated stream: what was decompressed is scanned, the tail reported
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    # ------------------------------------------------------------------ pass 1

    def scan(self) -> Iterator[HttpRecord | WarcProblem]:
        """Every HTTP response and revisit record, in file order; problems in between."""
        size = os.path.getsize(self.read_path)
        with open(self.read_path, "rb") as raw:
            head = raw.read(8)
            gzipped = head[:2] == GZIP_MAGIC
            if not gzipped and not head.startswith(b"WARC/"):
                yield WarcProblem(self.name, 0, f"not a WARC file (it starts with {head!r})")
                return
            offset = 0
            while offset < size:
                raw.seek(offset)
                resume = None
                try:
                    for item, end in self._records(raw, offset):
                        yield item
                        offset = end
                    return
                except (
                    ArchiveLoadFailed,
                    StatusAndHeadersParserException,
                    EOFError,
                    zlib.error,
                    ValueError,
                    OSError,
                ) as exc:
                    resume = self._next_start(raw, offset + 1, gzipped)
                    where = f"skipped to offset {resume}" if resume < size else "end of file"
                    yield WarcProblem(self.name, offset, f"{_describe(exc)}; {where}")
                    offset = resume

    def _records(
        self, raw: IO[bytes], start: int
    ) -> Iterator[tuple[HttpRecord | WarcProblem, int]]:
        iterator = ArchiveIterator(raw, check_digests=True)
        requests: OrderedDict[str, tuple[int, str]] = OrderedDict()
        last_request: tuple[int, str] | None = None
        for record in iterator:
            offset = iterator.offset
            kind = record.rec_type
            headers = record.rec_headers
            uri = headers.get_header("WARC-Target-URI") or ""
            problem = _drain(record)
            with contextlib.redirect_stderr(io.StringIO()) as said:
                # warcio writes a warning there when no blank line ends the record.
                end = iterator.get_record_offset() + iterator.get_record_length()
            if problem is None and "not followed by newline" in said.getvalue():
                problem = "the record does not end where its Content-Length says"
            if problem is not None:
                yield WarcProblem(self.name, offset, problem), end
                continue
            if kind == "request":
                record_id = headers.get_header("WARC-Record-ID") or ""
                last_request = (offset, uri)
                requests[record_id] = (offset, headers.get_header("WARC-Concurrent-To") or "")
                while len(requests) > _RECENT_REQUESTS:
                    requests.popitem(last=False)
                continue
            if kind not in ("response", "revisit") or not uri.startswith(("http:", "https:")):
                continue
            http = record.http_headers
            date = parse_warc_date(headers.get_header("WARC-Date"))
            if http is None or date is None:
                yield WarcProblem(self.name, offset, "no HTTP headers or no valid WARC-Date"), end
                continue
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                yield WarcProblem(self.name, offset, "unreadable HTTP status line"), end
                continue
            record_id = headers.get_header("WARC-Record-ID") or ""
            request_offset = _pair_request(
                requests, record_id, headers.get_header("WARC-Concurrent-To"), last_request, uri
            )
            yield (
                HttpRecord(
                    file=self.name,
                    offset=offset,
                    kind=kind,
                    uri=uri,
                    date=date,
                    status=status,
                    location=http.get_header("Location"),
                    content_type=http.get_header("Content-Type"),
                    request_offset=request_offset,
                    refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI"),
                    refers_to_date=parse_warc_date(headers.get_header("WARC-Refers-To-Date")),
                ),
                end,
            )

    def _next_start(self, raw: IO[bytes], start: int, gzipped: bool) -> int:
        """The offset of the next record start after *start*, or the file size."""
        needle = GZIP_MAGIC + b"\x08" if gzipped else b"\nWARC/1."
        raw.seek(start)
        carry = b""
        position = start
        while True:
            chunk = raw.read(_READ)
            if not chunk:
                return os.path.getsize(self.read_path)
            data = carry + chunk
            found = data.find(needle)
            if found >= 0:
                at = position - len(carry) + found
                return at if gzipped else at + 1
            carry = data[-(len(needle) - 1) :]
            position += len(chunk)

    # ------------------------------------------------------------------ pass 2

    def load(self, entry: HttpRecord, max_bytes: int) -> HttpExchange | WarcProblem:
        """The record of *entry* with its body (at most *max_bytes* decoded bytes)."""
        with open(self.read_path, "rb") as raw:
            request_headers: tuple[tuple[str, str], ...] = ()
            if entry.request_offset is not None:
                raw.seek(entry.request_offset)
                try:
                    request = next(iter(ArchiveIterator(raw)))
                    if request.http_headers is not None:
                        request_headers = tuple(request.http_headers.headers)
                except (ArchiveLoadFailed, StopIteration, EOFError, zlib.error, ValueError):
                    request_headers = ()
            raw.seek(entry.offset)
            try:
                record = next(iter(ArchiveIterator(raw)))
                http = record.http_headers
                body = None
                if entry.kind == "response":
                    body = record.content_stream().read(max_bytes + 1)
                    if len(body) > max_bytes:
                        return WarcProblem(
                            self.name, entry.offset, f"body larger than {max_bytes} bytes"
                        )
            except (
                ArchiveLoadFailed,
                StopIteration,
                EOFError,
                zlib.error,
                ValueError,
                OSError,
            ) as exc:
                return WarcProblem(self.name, entry.offset, _describe(exc))
            except Exception as exc:  # a decoder's own error (brotli) on a damaged body
                return WarcProblem(self.name, entry.offset, f"cannot decode the body ({exc})")
        assert http is not None
        return HttpExchange(
            uri=entry.uri,
            date=entry.date,
            status=entry.status,
            protocol=http.protocol or "HTTP/1.1",
            headers=tuple((str(k), str(v)) for k, v in http.headers),
            request_headers=request_headers,
            body=body,
            kind=entry.kind,
            refers_to_uri=entry.refers_to_uri,
            refers_to_date=entry.refers_to_date,
        )


def _drain(record: Any) -> str | None:
    """Read the record to its end; a problem when its block is short or its digest is wrong."""
    read = 0
    while True:
        chunk = record.raw_stream.read(_READ)
        if not chunk:
            break
        read += len(chunk)
    if record.length is not None and record.http_headers is not None:
        expected = int(record.length) - int(record.http_headers.total_len or 0)
        if read < expected:
            return f"truncated: {read} of {expected} body bytes present"
    elif record.length is not None and read < int(record.length):
        return f"truncated: {read} of {record.length} bytes present"
    checker = getattr(record, "digest_checker", None)
    if checker is not None and checker.passed is False and checker.problems:
        return "digest mismatch (" + "; ".join(str(p) for p in checker.problems) + ")"
    return None


def _pair_request(
    requests: OrderedDict[str, tuple[int, str]],
    response_id: str,
    concurrent_to: str | None,
    last_request: tuple[int, str] | None,
    uri: str,
) -> int | None:
    """The request record of a response: ``Concurrent-To`` either way, else the one before it."""
    if concurrent_to and concurrent_to in requests:
        return requests[concurrent_to][0]
    for offset, points_to in requests.values():
        if points_to == response_id:
            return offset
    if last_request is not None and last_request[1] == uri:
        return last_request[0]
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated (the file ends inside the record)"
    if isinstance(exc, zlib.error):
        return f"damaged gzip data ({exc})"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"malformed record ({text})"
