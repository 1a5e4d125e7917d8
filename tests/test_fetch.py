"""The fetcher against a hostile local server: every scenario ends fast, bounded and typed."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from hostile_server import (
    HostileServer,
    brotli_bomb,
    deflate_bomb,
    gzip_bomb,
    gzip_member,
    large_encoded_body,
    large_page,
)
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from scraper.config import MiB
from scraper.fetch.client import (
    BadScheme,
    DecodingFailed,
    Fetcher,
    FetchError,
    FetchSettings,
    FetchTimeout,
    InvalidURL,
    ProtocolFault,
    RedirectLoop,
    RedirectNoLocation,
    SSRFBlocked,
    TooLarge,
    TooManyRedirects,
    looks_like_html,
    parse_retry_after,
)

TOTAL = 1.5  # seconds: the deadline every hostile test runs under
SLACK = 1.0  # scheduling slack on top of the deadline


@pytest.fixture(scope="module")
def sentinel() -> Iterator[HostileServer]:
    """A port nothing may ever reach: it is never in allow_hosts."""
    with HostileServer(record_only=True) as server:
        yield server


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    for make in (gzip_bomb, brotli_bomb, deflate_bomb, gzip_member):
        make()  # build the bombs before any memory is measured
    with HostileServer() as hostile:
        yield hostile


@pytest.fixture(autouse=True)
def nothing_reaches_the_sentinel(sentinel: HostileServer) -> Iterator[None]:
    yield
    assert sentinel.hits == []


def settings(server: HostileServer, **overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "allow_hosts": frozenset({server.host_port}),
        "per_host_delay": 0.0,
        "obey_robots": False,
        "total_timeout": TOTAL,
        "max_bytes": MiB,
        "retries": 2,
        "backoff_base": 0.01,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


async def fetch_error(server: HostileServer, path: str, **overrides: object) -> FetchError:
    started = time.monotonic()
    async with Fetcher(settings(server, **overrides)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(server.url(path))
    assert time.monotonic() - started < TOTAL + SLACK
    return caught.value


async def test_plain_page(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/ok"))
    assert result.status == 200
    assert result.is_html
    assert result.encoding == "utf-8"
    assert result.text is not None and "Élection à Zürich" in result.text
    assert result.final_url == result.url == server.url("/ok")
    assert result.redirects == ()
    assert result.http_version == "HTTP/1.1"
    assert result.remote_address == "127.0.0.1"
    assert result.elapsed < 1
    assert ("content-type", "text/html; charset=utf-8") in [
        (k.lower(), v) for k, v in result.headers
    ]


async def test_user_agent_and_headers_sent(server: HostileServer):
    ua = "newsarchive-test/1.0 (+https://example.org/contact)"
    async with Fetcher(settings(server, user_agent=ua)) as fetcher:
        result = await fetcher.fetch(server.url("/headers"))
    sent = dict((k.lower(), v) for k, v in result.request_headers)
    assert sent["user-agent"] == ua
    assert sent["accept-encoding"] == "gzip, deflate, br"
    assert server.hits[-1].headers["user-agent"] == ua
    assert not result.is_html and result.text is None  # JSON is not HTML


@pytest.mark.parametrize(
    "path",
    ["/gzip-bomb", "/brotli-bomb", "/deflate-bomb", "/double-gzip-bomb", "/gzip-endless"],
)
async def test_decompression_bombs_stop_at_the_limit(server: HostileServer, path: str):
    tracemalloc.start()
    try:
        error = await fetch_error(server, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, TooLarge)
    assert error.reason == "too-large"
    assert peak < 8 * MiB  # the bombs expand to 16-64 MiB; we never hold more than a few


@pytest.mark.parametrize("path", ["/endless", "/huge-content-length"])
async def test_endless_bodies_are_too_large(server: HostileServer, path: str):
    error = await fetch_error(server, path)
    assert isinstance(error, TooLarge)


@pytest.mark.parametrize("path", ["/gzip-gzip", "/gzip-br", "/raw-deflate"])
async def test_stacked_and_raw_encodings_decode(server: HostileServer, path: str):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url(path))
    assert result.text is not None and "Élection à Zürich" in result.text


@pytest.mark.parametrize("coding", ["", "gzip", "deflate", "br", "gzip,br", "deflate,gzip"])
async def test_large_bodies_decode_exactly(server: HostileServer, coding: str):
    large_encoded_body(tuple(c for c in coding.split(",") if c))  # built before the clock runs
    # This test is about decoding, not deadlines: a generous deadline keeps a loaded machine
    # from turning a slow decode into a timeout.
    async with Fetcher(settings(server, total_timeout=15.0)) as fetcher:
        result = await fetcher.fetch(server.url(f"/large-encoded?coding={coding}"))
    assert result.body == large_page()
    assert result.text == large_page().decode()


@pytest.mark.parametrize(
    "path", ["/three-encodings", "/bad-gzip", "/truncated-gzip", "/unknown-encoding"]
)
async def test_bad_encodings_are_decoding_errors(server: HostileServer, path: str):
    error = await fetch_error(server, path)
    assert isinstance(error, DecodingFailed)
    assert error.reason == "decoding"


@pytest.mark.parametrize("path", ["/drip", "/slow-headers", "/silent"])
async def test_total_deadline_covers_dripping_and_stalled_servers(server: HostileServer, path: str):
    started = time.monotonic()
    # The per-read timeout is longer than the deadline: only the total deadline can end these.
    error = await fetch_error(server, path, read_timeout=30.0, retries=0)
    assert isinstance(error, FetchTimeout)
    assert error.reason == "timeout"
    assert TOTAL - 0.1 <= time.monotonic() - started < TOTAL + SLACK


@pytest.mark.parametrize(
    "path",
    [
        "/bad-chunking",
        "/truncated",
        "/reset",
        "/reset-before-response",
        "/huge-headers",
        "/malformed-headers",
        "/bad-status-line",
    ],
)
async def test_protocol_faults(server: HostileServer, path: str):
    error = await fetch_error(server, path)
    assert isinstance(error, ProtocolFault)
    assert error.reason == "protocol"


async def test_redirect_chain_is_followed_and_recorded(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/redirect-chain/3"))
    assert result.status == 200
    assert result.final_url == server.url("/ok")
    assert [status for status, _ in result.redirects] == [301, 308, 301, 308]
    assert result.redirects[-1][1] == server.url("/ok")
    assert result.permanent_redirect


async def test_temporary_redirect_is_not_permanent(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/redirect-to?target=/ok&status=302"))
    assert result.final_url == server.url("/ok")
    assert result.redirects == ((302, server.url("/ok")),)
    assert not result.permanent_redirect


async def test_redirect_loop(server: HostileServer):
    error = await fetch_error(server, "/redirect-loop-a")
    assert isinstance(error, RedirectLoop)
    assert error.reason == "redirect-loop"


async def test_too_many_redirects(server: HostileServer):
    before = len(server.hits)
    error = await fetch_error(server, "/redirect-chain/12", max_redirects=5)
    assert isinstance(error, TooManyRedirects)
    assert error.reason == "too-many-redirects"
    # the first request and five followed hops; the sixth Location is refused unvisited
    assert [hit.path for hit in server.hits[before:]] == [
        f"/redirect-chain/{n}" for n in range(12, 6, -1)
    ]


@pytest.mark.parametrize("path", ["/redirect-no-location", "/redirect-empty-location"])
async def test_redirect_without_location_is_a_failed_fetch(server: HostileServer, path: str):
    # The 302 body is the server's "moved" stub: taking it as the page made it version 1.
    error = await fetch_error(server, path)
    assert isinstance(error, RedirectNoLocation)
    assert error.reason == "redirect-no-location"


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/"]
)
async def test_redirect_to_other_schemes_is_refused(server: HostileServer, target: str):
    error = await fetch_error(server, f"/redirect-to?target={target}")
    assert isinstance(error, BadScheme)
    assert error.reason == "bad-scheme"


async def test_redirect_to_unlisted_local_port_never_connects(
    server: HostileServer, sentinel: HostileServer
):
    error = await fetch_error(server, f"/redirect-to?target={sentinel.url('/steal')}")
    assert isinstance(error, SSRFBlocked)
    assert error.reason == "ssrf-blocked"
    assert sentinel.hits == []


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:80/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://localhost:9/",
        "http://2130706433/",
        "http://127.1/",
        "http://0x7f.0.0.1/",
    ],
)
async def test_redirect_to_private_addresses_is_blocked(server: HostileServer, target: str):
    error = await fetch_error(server, f"/redirect-to?target={target}")
    assert isinstance(error, SSRFBlocked)


async def test_unlisted_port_is_blocked_up_front(sentinel: HostileServer, server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        with pytest.raises(SSRFBlocked):
            await fetcher.fetch(sentinel.url("/"))
    assert sentinel.hits == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "data:,x"])
async def test_non_http_urls_are_refused(server: HostileServer, url: str):
    async with Fetcher(settings(server)) as fetcher:
        with pytest.raises(BadScheme):
            await fetcher.fetch(url)


@pytest.mark.parametrize("url", ["http://exa mple.com/", "http://[::1/", "http://a:99999/"])
async def test_invalid_url(server: HostileServer, url: str):
    async with Fetcher(settings(server)) as fetcher:
        with pytest.raises(InvalidURL) as caught:
            await fetcher.fetch(url)
    assert caught.value.reason == "bad-url"


class CountingResolver:
    """Records every host name looked up: the tricks below must never reach DNS."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return ["93.184.216.34"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}\\@example.com/",
        "http://example.com\\@127.0.0.1:{port}/",
        "http://user:secret@127.0.0.1:{port}/ok",
        "http://127.0.0.1:{port}@example.com/",
    ],
)
async def test_backslash_and_credential_tricks_are_refused_before_any_lookup(
    server: HostileServer, url: str
):
    resolver = CountingResolver()
    before = len(server.hits)
    async with Fetcher(settings(server), resolver=resolver) as fetcher:
        with pytest.raises(InvalidURL):
            await fetcher.fetch(url.format(port=server.port))
    assert resolver.calls == [] and len(server.hits) == before


@pytest.mark.parametrize(
    "location",
    ["/\\example.com/x", "\\\\example.com/x", "http://u:p@example.com/", "http://a\\@example.com/"],
)
async def test_redirect_tricks_are_refused_before_any_lookup(server: HostileServer, location: str):
    resolver = CountingResolver()
    async with Fetcher(settings(server), resolver=resolver) as fetcher:
        with pytest.raises(InvalidURL):
            await fetcher.fetch(server.url("/redirect-to?" + urlencode({"target": location})))
    assert resolver.calls == []


def test_the_normalizer_and_the_client_read_one_host():
    from scraper.fetch.client import _check_url
    from scraper.urls import normalize_url

    for text in ("http://0x7f.1:8080/a", "http://faß.de/", "HTTP://Example.COM./x\\y"):
        assert _check_url(text, text).raw_host.decode() == urlsplit(normalize_url(text)).hostname


@pytest.mark.parametrize(
    ("path", "is_html"),
    [
        ("/pdf-as-html", False),
        ("/png-as-html", False),
        ("/pdf", False),
        ("/feed", False),
        ("/feed-as-html", False),
        ("/no-content-type", True),
        ("/nul-in-html", True),
    ],
)
async def test_content_type_by_header_and_sniffing(server: HostileServer, path: str, is_html: bool):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url(path))
    assert result.is_html is is_html
    if not is_html:
        assert result.text is None and result.encoding is None
        assert result.body  # the bytes are kept for feeds and sitemaps
    else:
        assert result.text is not None and "Zürich" in result.text


async def test_wrong_charset_header_is_corrected_by_meta(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/wrong-charset"))
    assert result.encoding == "windows-1252"
    assert result.text is not None and "Élection à Zürich" in result.text
    assert "\ufffd" not in result.text


async def test_latin1_label_is_windows_1252(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/latin1"))
    assert result.text is not None and "20 € – “cité”" in result.text


class Sleeps:
    """An injected sleep that records and only yields: retry tests never really wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_429_retry_after_seconds(server: HostileServer):
    sleeps = Sleeps()
    async with Fetcher(settings(server, total_timeout=10.0), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/flaky-429?key=seconds&after=7"))
    assert result.status == 200
    assert result.attempts == 2
    assert sleeps.waits == [7.0]


async def test_503_retry_after_http_date(server: HostileServer):
    sleeps = Sleeps()
    async with Fetcher(settings(server, total_timeout=10.0), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/flaky-503-date?key=date"))
    assert result.status == 200
    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 3.0


async def test_retry_after_is_capped(server: HostileServer):
    sleeps = Sleeps()
    overrides = {"total_timeout": 10.0, "retry_after_cap": 2.0, "retries": 1}
    async with Fetcher(settings(server, **overrides), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/huge-retry-after?key=cap"))
    assert result.status == 429
    assert sleeps.waits == [2.0]
    assert server.counters["/huge-retry-after?key=cap"] == 2


async def test_retry_after_beyond_the_deadline_gives_up_at_once(server: HostileServer):
    sleeps = Sleeps()
    async with Fetcher(settings(server), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/huge-retry-after?key=deadline"))
    assert result.status == 429 and result.attempts == 1
    assert sleeps.waits == []


async def test_persistent_503_is_returned_after_bounded_retries(server: HostileServer):
    sleeps = Sleeps()
    overrides = {"total_timeout": 10.0, "retries": 3, "backoff_base": 0.5}
    async with Fetcher(settings(server, **overrides), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/always-503?key=persistent"))
    assert result.status == 503
    assert result.attempts == 4
    assert server.counters["/always-503?key=persistent"] == 4
    # exponential with jitter: base * 2**n scaled by 0.5..1
    assert len(sleeps.waits) == 3
    for n, wait in enumerate(sleeps.waits):
        assert 0.5 * 0.5 * 2**n <= wait <= 0.5 * 2**n


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried(server: HostileServer, status: int):
    sleeps = Sleeps()
    async with Fetcher(settings(server, total_timeout=10.0), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url(f"/flaky-status?status={status}"))
    assert (result.status, result.attempts, len(sleeps.waits)) == (200, 2, 1)


@pytest.mark.parametrize("status", [400, 403, 410, 501])
async def test_other_statuses_are_not_retried(server: HostileServer, status: int):
    sleeps = Sleeps()
    async with Fetcher(settings(server, total_timeout=10.0), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url(f"/flaky-status?status={status}"))
    assert (result.status, result.attempts, sleeps.waits) == (status, 1, [])


async def test_read_timeout_is_retried(server: HostileServer):
    sleeps = Sleeps()
    overrides = {"read_timeout": 0.3, "total_timeout": 5.0}
    async with Fetcher(settings(server, **overrides), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(server.url("/flaky-stall?seconds=1"))
    assert (result.status, result.attempts, len(sleeps.waits)) == (200, 2, 1)


async def test_connection_reset_is_retried(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/flaky-reset?key=reset"))
    assert result.status == 200 and result.attempts == 2


async def test_connection_refused_is_retried_then_typed(server: HostileServer):
    sleeps = Sleeps()
    with HostileServer() as gone:
        port = gone.port
    url = f"http://127.0.0.1:{port}/"
    overrides = {"allow_hosts": frozenset({f"127.0.0.1:{port}"}), "retries": 2}
    async with Fetcher(settings(server, **overrides), sleep=sleeps) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.reason == "connect"
    assert len(sleeps.waits) == 2


async def test_conditional_get_returns_304(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        first = await fetcher.fetch(server.url("/conditional"))
        assert first.status == 200 and first.etag == '"v1"'
        again = await fetcher.fetch(
            server.url("/conditional"), etag=first.etag, last_modified=first.last_modified
        )
    assert again.status == 304
    assert again.body == b"" and again.text is None and not again.is_html
    sent = server.hits[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == first.last_modified


async def test_404_is_a_result_not_an_error(server: HostileServer):
    async with Fetcher(settings(server)) as fetcher:
        result = await fetcher.fetch(server.url("/no-such-page"))
    assert result.status == 404 and result.attempts == 1


def test_parse_retry_after():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, 1, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Thu, 26 Nov 2026 01:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 26 Nov 2026 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_looks_like_html():
    assert looks_like_html("text/html; charset=utf-8", b"<!doctype html><p>x")
    assert looks_like_html("application/xhtml+xml", b"<?xml version='1.0'?><html>")
    assert not looks_like_html("text/html", b"%PDF-1.7")
    assert not looks_like_html("text/html", b"GIF89a\x01\x00")
    # WHATWG: a declared text/html page is HTML unless it is a feed; NULs do not change that
    assert looks_like_html("text/html", b"<html>\x00\x00\x00")
    assert looks_like_html("text/html", b"<p>caf\x00e</p>" + b"x" * 2000)
    assert not looks_like_html("text/html", b"<?xml version='1.0'?><!-- c --><rss version='2.0'>")
    assert not looks_like_html("text/html", b"\n<!DOCTYPE x><feed xmlns='w3.org/2005/Atom'>")
    assert not looks_like_html("text/html", b"<urlset xmlns='x'><url><loc>")
    assert looks_like_html("text/html", b"<?xml version='1.0'?><html><p>rss</p>")
    assert not looks_like_html(None, b"<htmlx>")  # a pattern needs a space or '>' after it
    assert looks_like_html("", b"\xef\xbb\xbf<P>x")
    assert not looks_like_html("application/pdf", b"<html>")
    assert not looks_like_html("text/plain", b"<html>")
    assert looks_like_html(None, b"\n  <!DOCTYPE html>")
    assert not looks_like_html(None, b"just text")


async def test_default_retries_make_at_most_three_requests_in_all(server: HostileServer):
    from pathlib import Path

    from scraper.config import load_config

    shipped = load_config(Path(__file__).resolve().parent.parent / "config.toml")
    defaults = {"retries": FetchSettings().retries, "total_timeout": 10.0}
    assert shipped.crawl.retries == FetchSettings().retries
    async with Fetcher(settings(server, **defaults), sleep=Sleeps()) as fetcher:
        result = await fetcher.fetch(server.url("/always-503?key=default-retries"))
    assert result.status == 503 and result.attempts == 3
    assert server.counters["/always-503?key=default-retries"] == 3


def test_defaults_are_polite_and_bounded():
    defaults = FetchSettings()
    assert defaults.max_bytes == 10 * MiB
    assert defaults.total_timeout == 30.0
    assert defaults.per_host_delay == 1.0 and defaults.per_host_concurrency == 1
    assert defaults.obey_robots
    assert defaults.max_redirects == 10
    assert "+http" in defaults.user_agent  # a contact URL in the User-Agent
    assert defaults.allow_hosts == frozenset()


@pytest.mark.parametrize("limit_output", [True, False])
def test_brotli_stage_is_bounded_with_and_without_output_limits(limit_output: bool):
    """brotli 1.2 caps output per call; older bindings get small input slices instead."""
    import brotli

    from scraper.fetch.client import _BrotliStage, _Full

    page = b"<p>" + b"news " * 20_000 + b"</p>"
    stage = _BrotliStage(limit_output=limit_output)
    assert stage.feed(brotli.compress(page), room=MiB) == page
    assert stage.finish() == b""

    bomb = _BrotliStage(limit_output=limit_output)
    with pytest.raises(_Full):
        bomb.feed(brotli_bomb(), room=MiB)


@given(
    data=st.binary(max_size=200_000) | st.text(max_size=20_000).map(str.encode),
    codings=st.lists(st.sampled_from(["gzip", "deflate", "br"]), max_size=2),
    cut=st.integers(min_value=1, max_value=5000),
)
@hypothesis_settings(max_examples=60, deadline=None)
def test_body_decoder_round_trips_any_split(data: bytes, codings: list[str], cut: int):
    """Whatever the codings and however the stream is cut, the decoded bytes come back exact."""
    import brotli

    from scraper.fetch.client import _BodyDecoder

    encoded = data
    for coding in codings:
        if coding == "gzip":
            encoded = gzip.compress(encoded)
        elif coding == "deflate":
            encoded = zlib.compress(encoded)
        else:
            encoded = brotli.compress(encoded)
    decoder = _BodyDecoder(codings, limit=MiB)
    for start in range(0, len(encoded), cut):
        decoder.feed(encoded[start : start + cut])
    assert decoder.finish() == data
