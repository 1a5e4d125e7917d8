"""A hostile HTTP server on 127.0.0.1 for fetcher tests: one route per way a server can hurt us.

It speaks HTTP/1.1 by hand over raw sockets (asyncio streams in a background thread), so it can
do what no well-behaved framework would: drip bytes, never finish headers, lie about lengths,
reset connections, serve decompression bombs generated on the fly.

Use it as a context manager::

    with HostileServer() as server:
        server.url("/drip")          # http://127.0.0.1:<port>/drip
        server.host_port             # "127.0.0.1:<port>", for FetchSettings.allow_hosts
        server.hits                  # every request received, in order

``routes`` overrides or adds handlers (``robots.txt`` variants are made with ``robots_text``,
``robots_status`` and ``robots_silent``). A server built with ``record_only=True`` answers
nothing useful and only records hits: the sentinel for "no request reached this port".
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from urllib.parse import parse_qs, urlsplit

import brotli

MiB = 1024 * 1024
HANDLER_LIFETIME = 20.0  # no handler outlives this, even if the client never hangs up

PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Hostile news</title></head>"
    "<body><article><h1>Élection à Zürich</h1><p>Le résultat a été annoncé — « enfin ».</p>"
    "</article></body></html>"
)


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]
    received: float = field(default_factory=time.monotonic)  # comparable across threads

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query).items()}


Handler = Callable[[Request, asyncio.StreamWriter, "HostileServer"], Awaitable[None]]


# --- building blocks ----------------------------------------------------------------------------


def head(status: int, headers: dict[str, str] | list[tuple[str, str]] | None = None) -> bytes:
    reasons = {200: "OK", 301: "Moved", 302: "Found", 304: "Not Modified", 404: "Not Found"}
    lines = [f"HTTP/1.1 {status} {reasons.get(status, 'Status')}"]
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    lines += [f"{k}: {v}" for k, v in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def respond(
    writer: asyncio.StreamWriter,
    status: int = 200,
    body: bytes = b"",
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    all_headers = {"Content-Length": str(len(body)), "Connection": "close"}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    writer.write(head(status, all_headers) + body)
    await writer.drain()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@cache
def gzip_bomb() -> bytes:
    """16 MiB of zeros in about 16 KB."""
    return gzip.compress(b"\0" * 16 * MiB, compresslevel=9)


@cache
def brotli_bomb() -> bytes:
    """64 MiB of zeros in about 100 bytes."""
    return brotli.compress(b"\0" * 64 * MiB, quality=5)


@cache
def deflate_bomb() -> bytes:
    return zlib.compress(b"\0" * 16 * MiB, 9)


@cache
def gzip_member() -> bytes:
    """One gzip member of 1 MiB of spaces: repeated forever it is an endless valid gzip body."""
    return gzip.compress(b" " * MiB, compresslevel=9)


# --- routes ---------------------------------------------------------------------------------


async def ok(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=PAGE.encode("utf-8"))


async def slow(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    """Answers after ``?seconds=`` (default 0.2), tracking how many requests overlap."""
    with s.lock:
        s.inflight += 1
        s.max_inflight = max(s.max_inflight, s.inflight)
    try:
        await asyncio.sleep(float(req.query.get("seconds", "0.2")))
    finally:
        with s.lock:
            s.inflight -= 1
    await ok(req, w, s)


async def echo_headers(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=json.dumps(req.headers).encode(), content_type="application/json")


async def not_found(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, 404, b"<html><body><p>no such page</p></body></html>")


async def gzip_bomb_route(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=gzip_bomb(), headers={"Content-Encoding": "gzip"})


async def brotli_bomb_route(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=brotli_bomb(), headers={"Content-Encoding": "br"})


async def deflate_bomb_route(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=deflate_bomb(), headers={"Content-Encoding": "deflate"})


async def double_gzip_bomb(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    body = gzip.compress(gzip_bomb())
    await respond(w, body=body, headers={"Content-Encoding": "gzip, gzip"})


async def gzip_endless(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    member = gzip_member()
    while True:
        w.write(member)
        await w.drain()


async def gzip_gzip(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    body = gzip.compress(gzip.compress(PAGE.encode()))
    await respond(w, body=body, headers={"Content-Encoding": "gzip, gzip"})


async def gzip_br(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    body = brotli.compress(gzip.compress(PAGE.encode()))
    await respond(w, body=body, headers={"Content-Encoding": "gzip, br"})


def large_page() -> bytes:
    """A 300 KB page whose bytes vary, so decoders must cross many output chunks."""
    rows = "".join(
        f"<p>Paragraph {i}: {'lorem ipsum dolor ' * (i % 7 + 1)}</p>" for i in range(4000)
    )
    return f"<!doctype html><html><body>{rows}</body></html>".encode()


def encode(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        return brotli.compress(body)
    raise ValueError(coding)


@cache
def large_encoded_body(codings: tuple[str, ...]) -> bytes:
    """Encoded once: brotli at its best quality takes seconds on a loaded machine, more than
    the deadline the fetch runs under."""
    body = large_page()
    for coding in codings:
        body = encode(body, coding)
    return body


async def large_encoded(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    """``?coding=gzip,br`` applies gzip then br, sent in small writes to split the stream."""
    codings = [c for c in req.query.get("coding", "").split(",") if c]
    body = large_encoded_body(tuple(codings))
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
    if codings:
        headers["Content-Encoding"] = ", ".join(codings)
    w.write(head(200, headers))
    for start in range(0, len(body), 1000):
        w.write(body[start : start + 1000])
        await w.drain()


async def three_encodings(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    body = gzip.compress(gzip.compress(gzip.compress(PAGE.encode())))
    await respond(w, body=body, headers={"Content-Encoding": "gzip, gzip, gzip"})


async def raw_deflate(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = compressor.compress(PAGE.encode()) + compressor.flush()
    await respond(w, body=body, headers={"Content-Encoding": "deflate"})


async def bad_gzip(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(
        w, body=b"\x1f\x8b\x08\x00garbage-not-deflate" * 10, headers={"Content-Encoding": "gzip"}
    )


async def truncated_gzip(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    body = gzip.compress(PAGE.encode() * 20)[:-30]
    await respond(w, body=body, headers={"Content-Encoding": "gzip"})


async def unknown_encoding(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=b"whatever", headers={"Content-Encoding": "x-custom"})


async def endless(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}))
    chunk = b"<p>" + b"a" * 65536 + b"</p>"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while True:
        w.write(frame)
        await w.drain()


async def huge_content_length(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Content-Length": str(10**12)}))
    while True:
        w.write(b"a" * 65536)
        await w.drain()


async def drip(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Content-Length": "100000"}))
    while True:
        w.write(b"a")
        await w.drain()
        await asyncio.sleep(0.05)


async def slow_headers(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(b"HTTP/1.1 200 OK\r\n")
    i = 0
    while True:
        w.write(f"X-Drip-{i}: x\r\n".encode())
        await w.drain()
        i += 1
        await asyncio.sleep(0.05)


async def silent(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await asyncio.sleep(HANDLER_LIFETIME)


async def bad_chunking(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}))
    w.write(b"5\r\n<html\r\nzz-not-hex\r\nmore\r\n0\r\n\r\n")
    await w.drain()


async def truncated(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Content-Length": "1000"}) + b"<html>only")
    await w.drain()
    w.close()


async def reset_mid_body(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(head(200, {"Content-Type": "text/html", "Content-Length": "100000"}) + b"<html>" * 100)
    await w.drain()
    await asyncio.sleep(0.05)
    reset(w)


async def reset_before_response(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    reset(w)


async def huge_headers(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    headers = [("Content-Type", "text/html"), ("Content-Length", "2")]
    headers += [(f"X-Filler-{i}", "y" * 1000) for i in range(300)]
    w.write(head(200, headers) + b"ok")
    await w.drain()


async def malformed_headers(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis line has no colon\r\n\r\nok")
    await w.drain()


async def bad_status_line(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    w.write(b"HTTP/1.1 two hundred\r\nContent-Length: 2\r\n\r\nok")
    await w.drain()


async def redirect_to(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    status = int(req.query.get("status", "302"))
    await respond(w, status, b"", headers={"Location": req.query["target"]})


async def redirect_loop_a(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, 302, headers={"Location": "/redirect-loop-b"})


async def redirect_loop_b(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, 301, headers={"Location": s.url("/redirect-loop-a")})


async def redirect_chain(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    left = int(req.path.rsplit("/", 1)[1])
    target = "/ok" if left <= 0 else f"/redirect-chain/{left - 1}"
    await respond(w, 301 if left % 2 else 308, headers={"Location": target})


async def redirect_no_location(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, 302, b"<html><body>moved, somewhere</body></html>")


async def redirect_empty_location(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, 301, b"<html><body>moved</body></html>", headers={"Location": " "})


async def nul_in_html(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=PAGE.replace("<h1>", "<h1>\x00", 1).encode("utf-8"))


async def pdf_as_html(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")


async def png_as_html(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))


async def pdf(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=b"%PDF-1.4\n", content_type="application/pdf")


FEED = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    b"<item><link>http://example.com/a</link></item></channel></rss>"
)


async def feed(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=FEED, content_type="application/rss+xml")


async def feed_as_html(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=FEED, content_type="text/html")


async def no_content_type(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await respond(w, body=PAGE.encode(), content_type=None)


async def wrong_charset(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    html = PAGE.replace("charset='utf-8'", "charset='windows-1252'")
    await respond(w, body=html.encode("cp1252"), content_type="text/html; charset=utf-8")


async def latin1_label(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    html = "<html><body><p>Prix: 20 € – “cité”</p></body></html>"
    await respond(w, body=html.encode("cp1252"), content_type="text/html; charset=ISO-8859-1")


def _count(s: HostileServer, req: Request) -> int:
    key = req.target
    with s.lock:
        s.counters[key] = s.counters.get(key, 0) + 1
        return s.counters[key]


async def flaky_429(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    if _count(s, req) == 1:
        await respond(w, 429, b"slow down", headers={"Retry-After": req.query.get("after", "1")})
    else:
        await ok(req, w, s)


async def flaky_503_date(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    if _count(s, req) == 1:
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
        await respond(w, 503, b"busy", headers={"Retry-After": when})
    else:
        await ok(req, w, s)


async def always_503(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    _count(s, req)
    await respond(w, 503, b"<html><body>down</body></html>")


async def huge_retry_after(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    _count(s, req)
    await respond(w, 429, b"later", headers={"Retry-After": "86400"})


async def flaky_reset(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    if _count(s, req) == 1:
        reset(w)
    else:
        await ok(req, w, s)


async def flaky_status(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    """The first request gets ``?status=``, the next ones the page."""
    if _count(s, req) == 1:
        await respond(w, int(req.query.get("status", "500")), b"<html><body>error</body></html>")
    else:
        await ok(req, w, s)


async def flaky_stall(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    """The first request gets no answer for ``?seconds=``, the next ones the page."""
    if _count(s, req) == 1:
        await asyncio.sleep(float(req.query.get("seconds", "1")))
    else:
        await ok(req, w, s)


async def conditional(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    etag, modified = '"v1"', "Wed, 25 Nov 2026 10:00:00 GMT"
    if req.headers.get("if-none-match") == etag or req.headers.get("if-modified-since") == modified:
        w.write(head(304, {"ETag": etag, "Connection": "close"}))
        await w.drain()
        return
    await respond(w, body=PAGE.encode(), headers={"ETag": etag, "Last-Modified": modified})


def robots_text(text: str | bytes, status: int = 200) -> Handler:
    body = text.encode() if isinstance(text, str) else text

    async def handler(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
        await respond(w, status, body, content_type="text/plain")

    return handler


def robots_status(status: int) -> Handler:
    return robots_text(b"", status)


async def robots_silent(req: Request, w: asyncio.StreamWriter, s: HostileServer) -> None:
    await asyncio.sleep(HANDLER_LIFETIME)


def default_routes() -> dict[str, Handler]:
    return {
        "/ok": ok,
        "/slow": slow,
        "/headers": echo_headers,
        "/robots.txt": not_found,
        "/gzip-bomb": gzip_bomb_route,
        "/brotli-bomb": brotli_bomb_route,
        "/deflate-bomb": deflate_bomb_route,
        "/double-gzip-bomb": double_gzip_bomb,
        "/gzip-endless": gzip_endless,
        "/gzip-gzip": gzip_gzip,
        "/gzip-br": gzip_br,
        "/three-encodings": three_encodings,
        "/large-encoded": large_encoded,
        "/raw-deflate": raw_deflate,
        "/bad-gzip": bad_gzip,
        "/truncated-gzip": truncated_gzip,
        "/unknown-encoding": unknown_encoding,
        "/endless": endless,
        "/huge-content-length": huge_content_length,
        "/drip": drip,
        "/slow-headers": slow_headers,
        "/silent": silent,
        "/bad-chunking": bad_chunking,
        "/truncated": truncated,
        "/reset": reset_mid_body,
        "/reset-before-response": reset_before_response,
        "/huge-headers": huge_headers,
        "/malformed-headers": malformed_headers,
        "/bad-status-line": bad_status_line,
        "/redirect-to": redirect_to,
        "/redirect-loop-a": redirect_loop_a,
        "/redirect-loop-b": redirect_loop_b,
        "/redirect-chain/": redirect_chain,
        "/redirect-no-location": redirect_no_location,
        "/redirect-empty-location": redirect_empty_location,
        "/nul-in-html": nul_in_html,
        "/pdf-as-html": pdf_as_html,
        "/png-as-html": png_as_html,
        "/pdf": pdf,
        "/feed": feed,
        "/feed-as-html": feed_as_html,
        "/no-content-type": no_content_type,
        "/wrong-charset": wrong_charset,
        "/latin1": latin1_label,
        "/flaky-429": flaky_429,
        "/flaky-503-date": flaky_503_date,
        "/always-503": always_503,
        "/huge-retry-after": huge_retry_after,
        "/flaky-reset": flaky_reset,
        "/flaky-status": flaky_status,
        "/flaky-stall": flaky_stall,
        "/conditional": conditional,
    }


# --- the server -----------------------------------------------------------------------------


@dataclass
class HostileServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    record_only: bool = False
    host: str = "127.0.0.1"
    port: int = 0
    hits: list[Request] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    inflight: int = 0
    max_inflight: int = 0

    def __post_init__(self) -> None:
        self._table = {**default_routes(), **self.routes}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hostile-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("hostile server did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop_event.wait()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _route(self, path: str) -> Handler | None:
        if path in self._table:
            return self._table[path]
        prefixes = [p for p in self._table if p.endswith("/") and path.startswith(p)]
        return self._table[max(prefixes, key=len)] if prefixes else None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(HANDLER_LIFETIME):
                request = await _read_request(reader)
                if request is None:
                    return
                with self.lock:
                    self.hits.append(request)
                handler = None if self.record_only else self._route(request.path)
                await (handler or not_found)(request, writer, self)
        except (
            ConnectionError,
            TimeoutError,
            asyncio.CancelledError,  # the server is stopping; this task is ours to end
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return Request(method, target, headers)


class VirtualClock:
    """A monotonic clock that moves only when the fetcher sleeps on it (``Fetcher(clock=...,
    sleep=clock.sleep)``): delays are checked by what was slept, never waited for."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
