"""robots.txt: parsing, RFC 9309 error handling, caching, and the fetcher obeying it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from hostile_server import (
    HostileServer,
    Request,
    VirtualClock,
    respond,
    robots_silent,
    robots_text,
)

from scraper.fetch.client import ConnectFailed, Fetcher, FetchSettings, RobotsDisallowed
from scraper.fetch.robots import (
    RobotsCache,
    RobotsResponse,
    origin_of,
    parse_robots,
    rules_for_response,
    user_agent_token,
)

UA = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"

ROBOTS = """\
User-agent: newsarchive
Disallow: /private/
Allow: /private/ok
Crawl-delay: 0.4

User-agent: *
Disallow: /

Sitemap: https://example.com/sitemap.xml
Sitemap: https://example.com/news-sitemap.xml
"""


def test_parse_rules_for_our_agent():
    rules = parse_robots(ROBOTS.encode())
    assert rules.kind == "parsed"
    assert rules.can_fetch("https://example.com/news/a", UA)
    assert not rules.can_fetch("https://example.com/private/a", UA)
    assert rules.can_fetch("https://example.com/private/ok", UA)
    assert not rules.can_fetch("https://example.com/news/a", "OtherBot/2.0")
    assert rules.crawl_delay(UA) == 0.4
    assert rules.sitemaps == (
        "https://example.com/sitemap.xml",
        "https://example.com/news-sitemap.xml",
    )


def test_bom_and_crlf():
    body = b"\xef\xbb\xbf" + ROBOTS.replace("\n", "\r\n").encode()
    rules = parse_robots(body)
    assert not rules.can_fetch("https://example.com/private/a", UA)
    assert rules.can_fetch("https://example.com/news/a", UA)
    assert rules.crawl_delay(UA) == 0.4


def test_garbage_robots_allows_everything():
    rules = parse_robots(b"\x00\xff<html>not robots</html>")
    assert rules.can_fetch("https://example.com/anything", UA)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(200, "parsed"), (404, "allow-all"), (401, "allow-all"), (410, "allow-all")]
    + [(429, "disallow-all"), (500, "disallow-all"), (503, "disallow-all"), (None, "disallow-all")],
)
def test_rfc9309_status_mapping(status: int | None, kind: str):
    assert rules_for_response(RobotsResponse(status, b"User-agent: *\nDisallow:")).kind == kind


def test_helpers():
    assert user_agent_token(UA) == "newsarchive"
    assert origin_of("HTTPS://News.Example:8443/a/b?c") == "https://news.example:8443"


class FakeRobots:
    def __init__(self, response: RobotsResponse) -> None:
        self.response = response
        self.calls: list[str] = []

    async def __call__(self, url: str) -> RobotsResponse:
        self.calls.append(url)
        await asyncio.sleep(0.01)
        return self.response


async def test_cache_fetches_once_per_origin_and_expires():
    now = [1000.0]
    fake = FakeRobots(RobotsResponse(200, ROBOTS.encode()))
    cache = RobotsCache(fake, ttl=60, error_ttl=5, clock=lambda: now[0])
    await asyncio.gather(*(cache.rules(f"https://a.example/p{i}") for i in range(5)))
    await cache.rules("https://b.example/")
    assert fake.calls == ["https://a.example/robots.txt", "https://b.example/robots.txt"]
    now[0] += 59
    await cache.rules("https://a.example/x")
    assert len(fake.calls) == 2
    now[0] += 2
    await cache.rules("https://a.example/x")
    assert len(fake.calls) == 3


async def test_unreachable_robots_is_cached_briefly():
    now = [0.0]
    fake = FakeRobots(RobotsResponse(503))
    cache = RobotsCache(fake, ttl=3600, error_ttl=5, clock=lambda: now[0])
    assert (await cache.rules("https://a.example/")).kind == "disallow-all"
    fake.response = RobotsResponse(200, b"User-agent: *\nDisallow:\n")
    now[0] += 4
    assert (await cache.rules("https://a.example/")).kind == "disallow-all"
    now[0] += 2
    assert (await cache.rules("https://a.example/")).kind == "parsed"


# --- the fetcher obeying robots.txt against real local servers ------------------------------


def polite(server: HostileServer, **overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "allow_hosts": frozenset({server.host_port}),
        "per_host_delay": 0.0,
        "obey_robots": True,
        "total_timeout": 1.5,
        "retries": 0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def robots_server() -> Iterator[HostileServer]:
    body = ROBOTS.replace("\n", "\r\n").encode()
    with HostileServer({"/robots.txt": robots_text(b"\xef\xbb\xbf" + body)}) as server:
        yield server


async def test_disallowed_url_is_not_fetched(robots_server: HostileServer):
    async with Fetcher(polite(robots_server)) as fetcher:
        with pytest.raises(RobotsDisallowed) as caught:
            await fetcher.fetch(robots_server.url("/private/secret"))
        assert caught.value.reason == "robots"
        allowed = await fetcher.fetch(robots_server.url("/ok"))
        assert allowed.status == 200
    assert robots_server.paths() == ["/robots.txt", "/ok"]  # fetched once, cached


async def test_crawl_delay_spaces_requests():
    """Three concurrent fetches to one host leave at least the robots Crawl-delay (0.4 s)
    between them, measured on the fetcher's injected clock when each request arrives."""
    clock = VirtualClock()
    arrived: list[float] = []

    async def ok(req: Request, w: object, s: HostileServer) -> None:
        arrived.append(clock.now)
        await respond(w, 200, b"<html><body>ok</body></html>", "text/html")  # type: ignore[arg-type]

    body = b"\xef\xbb\xbf" + ROBOTS.replace("\n", "\r\n").encode()
    with HostileServer({"/robots.txt": robots_text(body), "/ok": ok}) as server:
        async with Fetcher(polite(server), clock=clock, sleep=clock.sleep) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url(f"/ok?n={i}")) for i in range(3)))
    assert len(arrived) == 3
    gaps = [b - a for a, b in zip(arrived, arrived[1:], strict=False)]
    assert all(gap >= 0.4 - 1e-9 for gap in gaps), gaps


async def test_sitemaps_from_robots(robots_server: HostileServer):
    async with Fetcher(polite(robots_server, obey_robots=False)) as fetcher:
        sitemaps = await fetcher.sitemaps_from_robots(robots_server.url("/anything"))
        again = await fetcher.sitemaps_from_robots(robots_server.url("/other"))
    assert (
        sitemaps
        == again
        == [
            "https://example.com/sitemap.xml",
            "https://example.com/news-sitemap.xml",
        ]
    )
    assert robots_server.paths() == ["/robots.txt"]


async def test_robots_404_allows_everything():
    with HostileServer() as server:  # the default robots.txt route is a 404
        async with Fetcher(polite(server)) as fetcher:
            result = await fetcher.fetch(server.url("/ok"))
        assert result.status == 200


async def test_robots_5xx_disallows_until_it_recovers():
    state = {"status": 500}

    async def flaky_robots(req: Request, w: object, s: HostileServer) -> None:
        await respond(w, state["status"], b"User-agent: *\nDisallow:\n", "text/plain")  # type: ignore[arg-type]

    with HostileServer({"/robots.txt": flaky_robots}) as server:
        clock = VirtualClock()
        settings = polite(server, robots_error_ttl=300)
        async with Fetcher(settings, clock=clock, sleep=clock.sleep) as fetcher:
            with pytest.raises(RobotsDisallowed):
                await fetcher.fetch(server.url("/ok"))
            state["status"] = 200
            clock.now += 299
            with pytest.raises(RobotsDisallowed):  # still cached as unreachable
                await fetcher.fetch(server.url("/ok"))
            clock.now += 2
            result = await fetcher.fetch(server.url("/ok"))
        assert result.status == 200
        assert server.paths() == ["/robots.txt", "/robots.txt", "/ok"]


async def test_robots_timeout_disallows_within_the_deadline():
    with HostileServer({"/robots.txt": robots_silent}) as server:
        started = time.monotonic()
        async with Fetcher(polite(server, total_timeout=0.8)) as fetcher:
            with pytest.raises(RobotsDisallowed):
                await fetcher.fetch(server.url("/ok"))
        assert time.monotonic() - started < 2.0
        assert "/ok" not in server.paths()


async def test_host_that_does_not_answer_is_a_connect_failure_not_robots():
    """No robots.txt rule refused anything: the capture must say the host is down."""
    with HostileServer() as gone:
        port = gone.port
    settings = FetchSettings(
        allow_hosts=frozenset({f"127.0.0.1:{port}"}),
        per_host_delay=0.0,
        total_timeout=1.5,
        retries=0,
    )
    async with Fetcher(settings) as fetcher:
        for _ in range(2):  # the second answer comes from the cached "unreachable"
            with pytest.raises(ConnectFailed) as caught:
                await fetcher.fetch(f"http://127.0.0.1:{port}/news/story")
            assert caught.value.reason == "connect"
            assert "robots.txt unreachable" in str(caught.value)


async def test_robots_of_a_redirect_target_is_checked():
    forbidding = "User-agent: *\nDisallow: /ok\n"
    with HostileServer({"/robots.txt": robots_text(forbidding)}) as other:
        with HostileServer() as first:
            settings = polite(first, allow_hosts=frozenset({first.host_port, other.host_port}))
            async with Fetcher(settings) as fetcher:
                with pytest.raises(RobotsDisallowed):
                    await fetcher.fetch(first.url(f"/redirect-to?target={other.url('/ok')}"))
        assert other.paths() == ["/robots.txt"]


async def test_obey_robots_off_skips_robots_entirely(robots_server: HostileServer):
    async with Fetcher(polite(robots_server, obey_robots=False)) as fetcher:
        result = await fetcher.fetch(robots_server.url("/private/secret"))
    assert result.status == 404
    assert robots_server.paths() == ["/private/secret"]


async def test_huge_robots_is_read_up_to_500_kib():
    body = "User-agent: *\nDisallow: /private/\n" + "# padding\n" * 200_000 + "Disallow: /ok\n"
    with HostileServer({"/robots.txt": robots_text(body)}) as server:
        async with Fetcher(polite(server)) as fetcher:
            with pytest.raises(RobotsDisallowed):
                await fetcher.fetch(server.url("/private/x"))
            result = await fetcher.fetch(server.url("/ok"))  # that rule is past 500 KiB
        assert result.status == 200


async def test_redirect_into_a_disallowed_path_is_stopped(robots_server: HostileServer):
    async with Fetcher(polite(robots_server)) as fetcher:
        with pytest.raises(RobotsDisallowed):
            await fetcher.fetch(robots_server.url("/redirect-to?target=/private/secret"))
    assert "/private/secret" not in robots_server.paths()


def test_disallow_all_says_why():
    from scraper.fetch.robots import RobotsResponse, rules_for_response

    unreachable = rules_for_response(RobotsResponse(None, error="connect: refused"))
    assert unreachable.kind == "disallow-all"
    assert unreachable.cause == "robots.txt unreachable: connect: refused"
    assert rules_for_response(RobotsResponse(503)).cause == "robots.txt answered HTTP 503"
    assert rules_for_response(RobotsResponse(404)).cause is None
