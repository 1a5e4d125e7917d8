"""The HTTP client: polite to sites, safe for this machine, never stuck on a hostile response.

``Fetcher.fetch(url)`` returns a ``FetchResult`` for every HTTP status (after retrying 429 and
5xx) and raises a ``FetchError`` for everything else. Each error's ``reason`` is the machine
readable word the crawl stores in the capture row::

    FetchError                      (base; .reason, .url)
     ├── RobotsDisallowed           robots             robots.txt disallows the URL
     ├── InvalidURL                 bad-url            unparsable URL or Location, no host
     ├── BadScheme                  bad-scheme         not http(s), on any hop
     ├── SSRFBlocked                ssrf-blocked       host resolves to a non-public address
     ├── TooLarge                   too-large          decoded body over max_bytes
     ├── FetchTimeout               timeout            total deadline or per-read timeout
     ├── ConnectFailed              connect            DNS failure, refused, unreachable
     │                                                 (for the robots.txt request too)
     ├── ProtocolFault              protocol           truncated body, bad chunking, reset,
     │                                                 malformed or huge headers
     ├── DecodingFailed             decoding           bad gzip/deflate/br, >2 encodings
     └── RedirectError
          ├── RedirectLoop          redirect-loop      a hop revisits an earlier URL
          ├── TooManyRedirects      too-many-redirects more than max_redirects hops
          └── RedirectNoLocation    redirect-no-location  a 3xx redirect status without Location

Why the fetcher does by hand what httpx would do for it:

- redirects are followed here, so every hop gets the scheme check, the robots check and (in
  ``scraper.fetch.netguard``, at connect time) the address check;
- bodies are read raw and decompressed here with output-bounded decompressors, because httpx's
  decoders have no output limit (a 53 KB brotli body expands to 4 GiB in one read);
- one ``asyncio.timeout`` covers all hops and all retry attempts, because httpx timeouts are per
  read and a server dripping one byte per second never trips them.

May import: the other :mod:`scraper.fetch` modules, :mod:`scraper.config`,
:mod:`scraper.charset`, :mod:`scraper.urls`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import importlib.machinery
import importlib.util
import random
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
import sniffio

from scraper.charset import decode_html
from scraper.config import FetchSettings
from scraper.fetch.netguard import AddressBlocked, GuardedBackend, Resolver, guarded_transport
from scraper.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsResponse, origin_of
from scraper.fetch.sniff import looks_like_html
from scraper.urls import BadURL, BadURLScheme, parse_url


def _google_brotli() -> Any:
    """Google's Brotli binding, even when ``brotlipy`` shadows it.

    pywb (a test dependency) installs brotlipy, whose ``brotli`` package hides Brotli's
    ``brotli.py`` and whose extension registers itself as ``_brotli`` too; neither has the
    ``process(output_buffer_limit=...)`` and ``is_finished()`` this module bounds output with.
    So the extension is loaded from its file, found on ``sys.path`` like any import.
    """
    spec = importlib.machinery.PathFinder.find_spec("_brotli")
    if spec is None or spec.loader is None:
        import brotli

        return brotli
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


brotli = _google_brotli()

__all__ = [
    "BadScheme",
    "ConnectFailed",
    "DecodingFailed",
    "FetchError",
    "FetchResult",
    "FetchSettings",
    "FetchTimeout",
    "Fetcher",
    "InvalidURL",
    "ProtocolFault",
    "RedirectError",
    "RedirectLoop",
    "RedirectNoLocation",
    "RobotsDisallowed",
    "SSRFBlocked",
    "TooLarge",
    "TooManyRedirects",
    "looks_like_html",
    "parse_retry_after",
]


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ENCODINGS = 2
DECODE_CHUNK = 64 * 1024
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    body: bytes
    text: str | None  # the body as text when it is HTML (and the fetch decoded it), else None
    encoding: str | None
    content_type: str | None
    is_html: bool
    redirects: tuple[tuple[int, str], ...]
    permanent_redirect: bool
    fetched_at: datetime
    elapsed: float
    http_version: str
    etag: str | None
    last_modified: str | None
    attempts: int = 1  # requests made for the final hop (1 + retries)
    remote_address: str | None = None  # the IP address the final response came from
    truncated: bool = False  # fetch(truncate=True) cut the body at max_bytes


# --- errors -----------------------------------------------------------------------------------


class FetchError(Exception):
    """Base of every fetch failure; ``reason`` is machine readable."""

    reason = "fetch-error"

    def __init__(self, message: str = "", *, url: str | None = None) -> None:
        super().__init__(message or self.reason)
        self.url = url


class RobotsDisallowed(FetchError):
    """robots.txt disallows this URL, or answered 429/5xx or timed out (which disallows all)."""

    reason = "robots"


class InvalidURL(FetchError):
    """The URL or a Location header cannot be parsed or has no host."""

    reason = "bad-url"


class BadScheme(FetchError):
    """The URL or a redirect target is not http or https."""

    reason = "bad-scheme"


class SSRFBlocked(FetchError):
    """The host resolves to a loopback, private, link-local or otherwise non-public address."""

    reason = "ssrf-blocked"


class TooLarge(FetchError):
    """The decoded body exceeds ``max_bytes``."""

    reason = "too-large"


class FetchTimeout(FetchError):
    """The total deadline (or a connect/read timeout) ran out."""

    reason = "timeout"


class ConnectFailed(FetchError):
    """The host could not be resolved or connected to."""

    reason = "connect"


class ProtocolFault(FetchError):
    """The server broke HTTP: truncated body, bad chunking, reset, malformed or huge headers."""

    reason = "protocol"
    transient = False  # True for resets and early closes, which are retried


class DecodingFailed(FetchError):
    """The Content-Encoding is unknown, stacked too deep, or the compressed data is corrupt."""

    reason = "decoding"


class RedirectError(FetchError):
    """Redirects that cannot be followed to the end."""

    reason = "redirect"


class RedirectLoop(RedirectError):
    """A redirect leads back to a URL already visited in this fetch."""

    reason = "redirect-loop"


class TooManyRedirects(RedirectError):
    """More than ``max_redirects`` hops."""

    reason = "too-many-redirects"


class RedirectNoLocation(RedirectError):
    """A 301/302/303/307/308 without a usable ``Location``: the page is elsewhere, nobody says
    where. Its body is the server's "moved" stub, never the article, so it is a failure."""

    reason = "redirect-no-location"


def _translate(exc: Exception, url: str) -> FetchError:
    """The one place where httpx/httpcore and guard errors become FetchErrors."""
    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, AddressBlocked):
        return SSRFBlocked(str(exc), url=url)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return FetchTimeout(f"{type(exc).__name__}: {exc}", url=url)
    if isinstance(exc, httpx.ConnectError):
        return ConnectFailed(str(exc) or "connection failed", url=url)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return BadScheme(str(exc), url=url)
    if isinstance(exc, httpx.InvalidURL):
        return InvalidURL(str(exc), url=url)
    if isinstance(exc, httpx.HTTPError):
        fault = ProtocolFault(f"{type(exc).__name__}: {exc}".rstrip(": "), url=url)
        # A reset or a close before any response is a network hiccup worth another attempt.
        fault.transient = isinstance(exc, httpx.NetworkError) or (
            "without sending a response" in str(exc)
        )
        return fault
    raise exc


def _is_retryable_error(exc: FetchError) -> bool:
    """Transient network faults are retried; a server that speaks broken HTTP is not."""
    return isinstance(exc, ConnectFailed | FetchTimeout) or getattr(exc, "transient", False)


# --- bounded decompression --------------------------------------------------------------------


class _Full(Exception):
    """A decoding stage produced more than it was allowed to.

    ``tail`` is the part of the last output that still fitted in the body's bound (a streamed
    body hands it to its sink before the reading stops)."""

    def __init__(self, tail: bytes = b"") -> None:
        super().__init__()
        self.tail = tail


class _ZlibStage:
    """gzip or deflate, never producing more than the room it is given."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._obj: zlib._Decompress | None = None
        self._pending = b""
        self._fed = False

    def _start(self, data: bytes) -> zlib._Decompress:
        if self._coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" should be zlib-wrapped (RFC 9110) but many servers send raw deflate.
        wrapped = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        if not data:
            return b""
        self._fed = True
        if self._obj is None:
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return b""
            self._pending = b""
            self._obj = self._start(data)
        parts: list[bytes] = []
        size = 0
        obj = self._obj
        while True:
            chunk = obj.decompress(data, DECODE_CHUNK)
            parts.append(chunk)
            size += len(chunk)
            if size > room:
                raise _Full
            data = obj.unconsumed_tail
            if obj.eof:
                rest = obj.unused_data
                # Concatenated gzip members are one valid gzip body; other trailing bytes are
                # ignored, as browsers do.
                if self._coding == "gzip" and rest[:2] == b"\x1f\x8b":
                    obj = self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    continue
                break
            # A full chunk may mean zlib holds more output for input it already took.
            if not data and len(chunk) < DECODE_CHUNK:
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def finish(self) -> bytes:
        if not self._fed:
            return b""
        if self._obj is None or not self._obj.eof:
            raise zlib.error(f"truncated {self._coding} stream")
        return b""


@cache
def _brotli_limits_output() -> bool:
    """Whether this brotli binding can cap output per call (``output_buffer_limit``, 1.2+)."""
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return False
    return True


class _BrotliStage:
    """br, never producing (much) more than the room it is given.

    With brotli 1.2+ the decompressor caps each call's output. Older bindings cannot, so the
    input is fed in slices small enough that one slice cannot expand to more than a few MiB.
    """

    SLICE = 32  # bytes of input per call without output limiting: < 2 MiB out at brotli's max ratio

    def __init__(self, limit_output: bool | None = None) -> None:
        self._obj = brotli.Decompressor()
        self._fed = False
        self._limit_output = _brotli_limits_output() if limit_output is None else limit_output

    def feed(self, data: bytes, room: int) -> bytes:
        if not data:
            return b""
        self._fed = True
        parts: list[bytes] = []
        size = 0
        if self._limit_output:
            chunk = self._obj.process(data, output_buffer_limit=DECODE_CHUNK)
            # Drain until a call yields nothing: output can still be pending even when
            # can_accept_more_data() already says True.
            while chunk:
                parts.append(chunk)
                size += len(chunk)
                if size > room or self._obj.is_finished():
                    break
                chunk = self._obj.process(b"", output_buffer_limit=DECODE_CHUNK)
        else:
            view = memoryview(data)
            for start in range(0, len(data), self.SLICE):
                chunk = self._obj.process(bytes(view[start : start + self.SLICE]))
                parts.append(chunk)
                size += len(chunk)
                if size > room:
                    break
        if size > room:
            raise _Full
        return b"".join(parts)

    def finish(self) -> bytes:
        if self._fed and not self._obj.is_finished():
            raise brotli.error("truncated br stream")
        return b""


_Stage = _ZlibStage | _BrotliStage


def _content_codings(headers: httpx.Headers) -> list[str]:
    codings: list[str] = []
    for value in headers.get_list("content-encoding"):
        for coding in value.split(","):
            coding = coding.strip().lower()
            if coding and coding != "identity":
                codings.append("gzip" if coding == "x-gzip" else coding)
    return codings


class _BodyDecoder:
    """Raw response bytes in, decoded bytes out, at most ``limit`` bytes at every stage.

    With *keep* false the decoded bytes are only returned by :meth:`feed`, never collected: a
    streamed body goes to its sink and is not held in memory.
    """

    def __init__(self, codings: list[str], limit: int, *, keep: bool = True) -> None:
        if len(codings) > MAX_ENCODINGS:
            raise DecodingFailed(f"{len(codings)} stacked content encodings: {codings}")
        stages: list[_Stage] = []
        for coding in reversed(codings):  # the last listed encoding was applied last
            if coding in ("gzip", "deflate"):
                stages.append(_ZlibStage(coding))
            elif coding == "br":
                stages.append(_BrotliStage())
            else:
                raise DecodingFailed(f"unsupported content encoding {coding!r}")
        self._stages = stages
        self._produced = [0] * len(stages)
        self._limit = limit
        self._keep = keep
        self._parts: list[bytes] = []
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        """Decode *data* and return what it decoded to; raises _Full when a stage (or the body)
        would exceed the limit, with the part of the body that still fitted as its ``tail``."""
        try:
            for i, stage in enumerate(self._stages):
                data = stage.feed(data, self._limit - self._produced[i])
                self._produced[i] += len(data)
        except (zlib.error, brotli.error) as exc:
            raise DecodingFailed(f"corrupt compressed body: {exc}") from exc
        if data:
            self.size += len(data)
            if self.size > self._limit:
                data = data[: len(data) - (self.size - self._limit)]
                if self._keep:
                    self._parts.append(data)
                raise _Full(data)
            if self._keep:
                self._parts.append(data)
        return data

    def finish(self) -> bytes:
        try:
            for stage in self._stages:
                stage.finish()
        except (zlib.error, brotli.error) as exc:
            raise DecodingFailed(str(exc)) from exc
        return self.body()

    def body(self) -> bytes:
        return b"".join(self._parts)


# --- retries -------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


# --- politeness --------------------------------------------------------------------------------

#: ``asyncio.sleep`` and ``time.monotonic`` unless a test injects its own.
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
#: Takes a streamed body's decoded chunks as they arrive; answers True once it has read enough.
Sink = Callable[[bytes], Awaitable[bool]]


class _HostGate:
    """One host's share: ``concurrency`` requests in flight, starts spaced by ``delay``.

    Time comes from the fetcher's ``clock`` and ``sleep`` (the event loop's by default), so
    tests check the spacing on a virtual clock instead of measuring the wall clock.
    """

    def __init__(self, concurrency: int, clock: Clock, sleep: Sleep) -> None:
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._next_start = 0.0
        self._clock = clock
        self._sleep = sleep

    @asynccontextmanager
    async def slot(self, delay: float) -> AsyncIterator[None]:
        async with self._semaphore:
            if delay > 0:
                now = self._clock()
                start = max(now, self._next_start)
                self._next_start = start + delay
                if start > now:
                    await self._sleep(start - now)
            yield


# --- the fetcher -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    """One request/response exchange, body already decoded."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    request_headers: httpx.Headers
    body: bytes
    http_version: str
    location: str | None
    attempts: int
    remote_address: str | None
    truncated: bool = False


class _Run:
    """The clock of one fetch: it starts when the first request gets its host's slot."""

    def __init__(self, limit: int = 0, truncate: bool = False, sink: Sink | None = None) -> None:
        self.limit = limit  # bytes of decoded body at most
        self.truncate = truncate  # cut a longer body there instead of refusing it
        self.sink = sink  # where a 200 body goes, chunk by chunk, instead of FetchResult.body
        self.streamed = False  # the sink has had part of a body: no retry may feed it again
        self.fetched_at = datetime.now(UTC)
        self.started = time.monotonic()
        self.deadline: float | None = None  # event loop time

    def begin(self, total_timeout: float) -> None:
        self.fetched_at = datetime.now(UTC)
        self.started = time.monotonic()
        self.deadline = asyncio.get_running_loop().time() + total_timeout


class Fetcher:
    """One Fetcher is shared by all concurrent site crawls: politeness state lives here."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        """*sleep* waits out retries and per-host delays; *clock* (seconds, monotonic) spaces
        the delays and ages the robots.txt cache. The total deadline always runs on the event
        loop's own clock: it bounds real network time."""
        self.settings = settings
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._backend = GuardedBackend(resolver, settings.allow_hosts)
        # At most one connection per in-flight fetch and per robots.txt download (one semaphore
        # each). A small pool also matters for speed: httpcore scans every pooled connection on
        # each request.
        connections = 2 * max(1, settings.global_concurrency)
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=10.0,
        )
        # Requests go straight to httpx's transport: AsyncClient.send adds an auth flow, a
        # redirect loop, event hooks and a cookie jar (http.cookiejar: a fifth of a 304
        # exchange's CPU) that the fetcher does not use. It keeps no cookies: every request is
        # stateless, so a capture does not depend on what was fetched before it.
        self._transport = guarded_transport(self._backend, limits)
        self._headers: list[tuple[bytes, bytes]] = [
            (b"Connection", b"keep-alive"),
            (b"User-Agent", settings.user_agent.encode("ascii")),
            (b"Accept", ACCEPT.encode("ascii")),
            (b"Accept-Encoding", ACCEPT_ENCODING.encode("ascii")),
        ]
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.total_timeout,
        )
        self._extensions = {"timeout": timeout.as_dict()}
        self._global = asyncio.Semaphore(max(1, settings.global_concurrency))
        self._robots_slots = asyncio.Semaphore(max(1, settings.global_concurrency))
        self._gates: dict[str, _HostGate] = {}
        self._robots = RobotsCache(
            self._download_robots,
            ttl=settings.robots_ttl,
            error_ttl=settings.robots_error_ttl,
            clock=self._clock,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    # -- public ---------------------------------------------------------------------------

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
        sink: Sink | None = None,
        decode: bool = True,
    ) -> FetchResult:
        """GET *url* politely and safely; see the module docstring for the outcomes.

        *max_bytes* replaces the settings' page cap for this fetch (a sitemap may be 50 MB);
        with *truncate* a longer body is cut there (``FetchResult.truncated``) instead of being
        refused as ``too-large``: the reading stops at the cap, the rest is never downloaded.

        With *sink*, the decoded body of a 200 response is handed to ``await sink(chunk)`` as it
        arrives instead of being collected (``FetchResult.body`` is then empty), so a parser reads
        a huge feed or sitemap as a stream with bounded memory. When the sink answers True it has
        read enough: the reading stops there (``truncated``), the rest is never downloaded. Other
        statuses' bodies are read as usual. Once the sink has had part of a body, a failure is
        raised, never retried: a retry would hand it the same bytes twice.

        With *decode* false an HTML body is not decoded to text (``text`` and ``encoding`` are
        None, ``is_html`` still says what it is): the crawl has its extraction workers decode
        it, so its own process holds a page as bytes only, never as a second, often two to
        four times larger ``str``.
        """
        with _declared_asyncio():
            return await self._fetch(url, etag, last_modified, max_bytes, truncate, sink, decode)

    async def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int | None,
        truncate: bool,
        sink: Sink | None,
        decode: bool,
    ) -> FetchResult:
        settings = self.settings
        target = _check_url(url, url)
        delay = await self._host_delay(target, url)
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        run = _Run(max_bytes or settings.max_bytes, truncate, sink)
        try:
            hops, final = await self._follow(url, target, delay, conditional, run)
        except TimeoutError as exc:
            raise FetchTimeout(
                f"no complete response within {settings.total_timeout:g} s", url=url
            ) from exc
        elapsed = time.monotonic() - run.started
        return _result(url, final, hops, run.fetched_at, elapsed, decode)

    async def sitemaps_from_robots(self, url: str) -> list[str]:
        """The ``Sitemap:`` URLs of the robots.txt for *url*'s host (cached like the rules)."""
        with _declared_asyncio():
            target = _check_url(url, url)
            rules = await self._robots.rules(str(target))
            return list(rules.sitemaps)

    # -- politeness -------------------------------------------------------------------------

    def _gate(self, url: httpx.URL) -> _HostGate:
        key = f"{url.host}:{url.port or _default_port(url.scheme)}"
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(
                self.settings.per_host_concurrency, self._clock, self._sleep
            )
        return gate

    async def _robots_delay(self, target: httpx.URL, url: str) -> float:
        """Raise RobotsDisallowed or return the host's Crawl-delay (0 when none)."""
        rules = await self._robots.rules(str(target))
        if not rules.can_fetch(str(target), self.settings.user_agent):
            if rules.error_reason == "connect":
                # Nobody answers at all (no such host, refused): robots.txt refuses nothing, the
                # host is down, and the capture must say so for the article to count as failing.
                raise ConnectFailed(f"{target.host} unreachable ({rules.cause})", url=url)
            because = f" ({rules.cause})" if rules.cause else ""
            raise RobotsDisallowed(f"robots.txt disallows {target}{because}", url=url)
        crawl_delay = rules.crawl_delay(self.settings.user_agent) or 0.0
        return min(crawl_delay, self.settings.max_crawl_delay)

    async def _host_delay(self, target: httpx.URL, url: str) -> float:
        """The pause before a request to *target*'s host; raises RobotsDisallowed."""
        delay = self.settings.per_host_delay
        if self.settings.obey_robots:
            delay = max(delay, await self._robots_delay(target, url))
        return delay

    async def _download_robots(self, robots_url: str) -> RobotsResponse:
        origin = origin_of(robots_url)
        async with self._robots_slots:
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    current = _check_url(robots_url, robots_url)
                    for _ in range(6):  # RFC 9309: follow at least five redirects
                        hop = await self._exchange(current, {}, MAX_ROBOTS_BYTES, truncate=True)
                        if hop.status not in REDIRECT_STATUSES or hop.location is None:
                            return RobotsResponse(hop.status, hop.body)
                        current = _resolve_location(current, hop.location, robots_url)
                    return RobotsResponse(404)
            except (SSRFBlocked, BadScheme, InvalidURL) as exc:
                if exc.url is None or origin_of(exc.url) == origin:
                    raise  # the host itself is off limits; say so rather than "robots"
                return RobotsResponse(404)  # a robots.txt redirected somewhere unusable
            except FetchError as exc:
                return RobotsResponse(None, error=f"{exc.reason}: {exc}", error_reason=exc.reason)
            except TimeoutError:
                return RobotsResponse(None, error="timeout", error_reason="timeout")

    # -- redirects and retries --------------------------------------------------------------

    async def _follow(
        self,
        url: str,
        target: httpx.URL,
        delay: float,
        conditional: dict[str, str],
        run: _Run,
    ) -> tuple[list[tuple[int, str]], _Hop]:
        settings = self.settings
        hops: list[tuple[int, str]] = []
        seen = {_visit_key(target)}
        current = target
        while True:
            hop = await self._hop(current, delay, conditional, run)
            if hop.status not in REDIRECT_STATUSES:
                return hops, hop
            if hop.location is None:
                raise RedirectNoLocation(
                    f"{hop.status} redirect without a Location header from {current}", url=url
                )
            nxt = _resolve_location(current, hop.location, url)
            hops.append((hop.status, str(nxt)))
            if len(hops) > settings.max_redirects:
                raise TooManyRedirects(f"more than {settings.max_redirects} redirects", url=url)
            key = _visit_key(nxt)
            if key in seen:
                raise RedirectLoop(f"redirect back to {nxt}", url=url)
            seen.add(key)
            async with asyncio.timeout_at(run.deadline):
                # every hop, same host or not (robots rules are cached per host)
                delay = await self._host_delay(nxt, str(nxt))
            current = nxt
            # Validators belong to the URL they were stored for: a redirect target's 304 would
            # say "same as the old URL's copy" and hide the move, so later hops ask for the page.
            conditional = {}

    async def _hop(
        self, url: httpx.URL, delay: float, conditional: dict[str, str], run: _Run
    ) -> _Hop:
        """One hop (with its retries) inside its own host's politeness slot.

        Each hop takes the slot of the host it goes to, so a redirect from a feed proxy or a
        shortener to a news site waits its turn there like any other request; no fetch ever
        holds two hosts' slots, so hops in opposite directions cannot deadlock. The total
        deadline starts with the first hop and covers every later one, waits included.
        """
        if run.deadline is None:
            async with self._gate(url).slot(delay), self._global:
                run.begin(self.settings.total_timeout)
                async with asyncio.timeout_at(run.deadline):
                    return await self._with_retries(url, conditional, run)
        async with asyncio.timeout_at(run.deadline):
            async with self._gate(url).slot(delay), self._global:
                return await self._with_retries(url, conditional, run)

    async def _with_retries(self, url: httpx.URL, conditional: dict[str, str], run: _Run) -> _Hop:
        settings = self.settings
        started = run.started
        attempt = 0
        while True:
            attempt += 1
            last = attempt > settings.retries
            try:
                hop = await self._exchange(
                    url, conditional, run.limit, truncate=run.truncate, run=run
                )
            except FetchError as exc:
                if last or not _is_retryable_error(exc) or run.streamed:
                    raise
                wait = self._backoff(attempt)
                if not self._fits(wait, started):
                    raise
            else:
                if last or hop.status not in RETRY_STATUSES:
                    return _with_attempts(hop, attempt)
                retry_after = parse_retry_after(hop.headers.get("retry-after"))
                if retry_after is not None:
                    wait = min(retry_after, settings.retry_after_cap)
                else:
                    wait = self._backoff(attempt)
                if not self._fits(wait, started):
                    return _with_attempts(hop, attempt)
            await self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2**(n-1), capped, times 0.5..1."""
        base = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return base * random.uniform(0.5, 1.0)

    def _fits(self, wait: float, started: float) -> bool:
        """Whether sleeping *wait* still leaves room for one more attempt before the deadline."""
        remaining = self.settings.total_timeout - (time.monotonic() - started)
        return wait < remaining * 0.9

    # -- one exchange ----------------------------------------------------------------------

    async def _exchange(
        self,
        url: httpx.URL,
        extra: dict[str, str],
        limit: int,
        *,
        truncate: bool = False,
        run: _Run | None = None,
    ) -> _Hop:
        """One request; the body is read (bounded) unless the response is a redirect.

        A 200 body goes to the *run*'s sink when it has one."""
        headers = self._headers
        if extra:
            headers = headers + [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()
            ]
        try:
            request = httpx.Request("GET", url, headers=headers, extensions=self._extensions)
            response = await self._transport.handle_async_request(request)
        except (httpx.HTTPError, AddressBlocked, TimeoutError) as exc:
            raise _translate(exc, str(url)) from exc
        try:
            peer = self._backend.peer_of(response.extensions.get("network_stream"))
            location = response.headers.get("location", "").strip() or None
            cut = False
            if response.status_code in REDIRECT_STATUSES or response.status_code == 304:
                body = b""
            else:
                streamed = run if run is not None and run.sink is not None else None
                if response.status_code != 200:
                    streamed = None
                body, cut = await self._read_body(response, url, limit, truncate, streamed)
            return _Hop(
                url=url,
                status=response.status_code,
                headers=response.headers,
                request_headers=request.headers,
                body=body,
                http_version=response.http_version,
                location=location,
                attempts=1,
                remote_address=peer,
                truncated=cut,
            )
        except (httpx.HTTPError, AddressBlocked) as exc:
            raise _translate(exc, str(url)) from exc
        finally:
            await response.aclose()

    async def _read_body(
        self,
        response: httpx.Response,
        url: httpx.URL,
        limit: int,
        truncate: bool,
        streamed: _Run | None = None,
    ) -> tuple[bytes, bool]:
        """The decoded body, and whether it was cut at *limit* (only with *truncate*) or its
        sink had read enough. With *streamed*, the body goes to that run's sink instead."""
        codings = _content_codings(response.headers)
        declared = response.headers.get("content-length", "")
        if not codings and declared.isdigit() and int(declared) > limit and not truncate:
            raise TooLarge(f"Content-Length {declared} > {limit} bytes", url=str(url))
        decoder: _BodyDecoder | None = None
        try:
            decoder = _BodyDecoder(codings, limit, keep=streamed is None)
            async for chunk in response.aiter_raw():
                data = decoder.feed(chunk)
                if streamed is not None and data and await _give(streamed, data):
                    return b"", True
            return decoder.finish(), False  # empty when streamed: the sink has it all
        except _Full as full:
            if streamed is not None and full.tail:
                await _give(streamed, full.tail)
            if truncate and decoder is not None:
                return decoder.body(), True
            raise TooLarge(f"decoded body over {limit} bytes", url=str(url)) from None
        except DecodingFailed as exc:
            exc.url = str(url)
            raise


# --- helpers -----------------------------------------------------------------------------------


@contextmanager
def _declared_asyncio() -> Iterator[None]:
    """sniffio told that this is asyncio while the block runs, then told nothing again.

    httpcore and anyio ask sniffio which event loop runs on every lock, event, cancel scope and
    read timeout; with no answer declared, sniffio works it out each time by asking asyncio for
    the current task (about 8 % of a 304 re-check's CPU in the crawl). The fetcher runs only on
    asyncio (its deadline is an ``asyncio.timeout``), so the declared answer is the true one;
    tasks started inside the block inherit it with their context.
    """
    token = sniffio.current_async_library_cvar.set("asyncio")
    try:
        yield
    finally:
        sniffio.current_async_library_cvar.reset(token)


async def _give(run: _Run, data: bytes) -> bool:
    """Hand *data* to the run's sink; True when it has read enough."""
    assert run.sink is not None
    run.streamed = True
    return await run.sink(data)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _check_url(raw: str | httpx.URL, original: str, base: httpx.URL | None = None) -> httpx.URL:
    """*raw* parsed the one WHATWG way (:func:`scraper.urls.parse_url`), as an httpx URL.

    Credentials and backslash tricks are refused here, before any host is resolved; httpx gets
    the WHATWG serialization, and must read the same host from it (else the URL is refused).
    """
    text = str(raw)
    try:
        parsed = parse_url(text, str(base) if base is not None else None)
    except BadURLScheme as exc:
        raise BadScheme(f"not http(s): {text[:200]}", url=text) from exc
    except BadURL as exc:
        raise InvalidURL(str(exc), url=original) from exc
    if parsed.has_credentials:
        raise InvalidURL(f"credentials (user:password@) in URL {text[:200]!r}", url=original)
    try:
        url = httpx.URL(parsed.href)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidURL(f"invalid URL {text[:200]!r}: {exc}", url=original) from exc
    if url.scheme not in ("http", "https"):  # pragma: no cover - parse_url checked it
        raise BadScheme(f"scheme {url.scheme!r} is not http(s): {text[:200]}", url=original)
    if url.raw_host.decode("ascii", "replace") != parsed.host.strip("[]"):
        raise InvalidURL(f"ambiguous host in URL {text[:200]!r}", url=original)
    return url


def _resolve_location(current: httpx.URL, location: str, original: str) -> httpx.URL:
    return _check_url(location, original, base=current)


def _visit_key(url: httpx.URL) -> str:
    return str(url)  # fragments were dropped by _check_url


def _with_attempts(hop: _Hop, attempts: int) -> _Hop:
    return dataclasses.replace(hop, attempts=attempts)


def _pairs(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw)


def _result(
    url: str,
    hop: _Hop,
    hops: list[tuple[int, str]],
    fetched_at: datetime,
    elapsed: float,
    decode: bool = True,
) -> FetchResult:
    content_type = hop.headers.get("content-type")
    is_html = hop.status != 304 and looks_like_html(content_type, hop.body)
    text, encoding = decode_html(hop.body, content_type) if is_html and decode else (None, None)
    return FetchResult(
        url=url,
        final_url=str(hop.url),
        status=hop.status,
        headers=_pairs(hop.headers),
        request_headers=_pairs(hop.request_headers),
        body=hop.body,
        text=text,
        encoding=encoding,
        content_type=content_type,
        is_html=is_html,
        redirects=tuple(hops),
        permanent_redirect=bool(hops) and all(status in (301, 308) for status, _ in hops),
        fetched_at=fetched_at,
        elapsed=elapsed,
        http_version=hop.http_version,
        etag=hop.headers.get("etag"),
        last_modified=hop.headers.get("last-modified"),
        attempts=hop.attempts,
        remote_address=hop.remote_address,
        truncated=hop.truncated,
    )
