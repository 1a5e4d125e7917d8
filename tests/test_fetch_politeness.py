"""Politeness inside the shared Fetcher: per-host in-flight limit and delay, global bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import quote

import pytest
from hostile_server import HostileServer, VirtualClock

from scraper.fetch.client import Fetcher, FetchSettings


@pytest.fixture
def servers() -> Iterator[list[HostileServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(HostileServer()) for _ in range(4)]


def settings(servers: list[HostileServer], **overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "allow_hosts": frozenset(s.host_port for s in servers),
        "per_host_delay": 0.0,
        "obey_robots": False,
        "total_timeout": 5.0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


async def test_one_request_in_flight_per_host_by_default(servers: list[HostileServer]):
    server = servers[0]
    async with Fetcher(settings(servers)) as fetcher:
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch(server.url(f"/slow?n={i}")) for i in range(4)))
        elapsed = time.monotonic() - started
    assert server.max_inflight == 1
    assert elapsed >= 4 * 0.2 - 0.05


async def test_per_host_concurrency_setting(servers: list[HostileServer]):
    server = servers[0]
    async with Fetcher(settings(servers, per_host_concurrency=2)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(server.url(f"/slow?n={i}")) for i in range(6)))
    assert server.max_inflight == 2


async def test_hosts_are_fetched_concurrently(servers: list[HostileServer]):
    async with Fetcher(settings(servers)) as fetcher:
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch(s.url("/slow?seconds=0.4")) for s in servers))
        elapsed = time.monotonic() - started
    assert elapsed < 0.4 * 2  # four hosts in parallel, not one after another


async def test_global_concurrency_bound(servers: list[HostileServer]):
    async with Fetcher(settings(servers, global_concurrency=2)) as fetcher:
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch(s.url("/slow?seconds=0.3")) for s in servers))
        elapsed = time.monotonic() - started
    assert 0.6 - 0.05 <= elapsed < 1.2  # two waves of two


async def test_per_host_delay_spaces_request_starts(servers: list[HostileServer]):
    server, other = servers[0], servers[1]
    clock = VirtualClock()
    async with Fetcher(
        settings(servers, per_host_delay=0.3), clock=clock, sleep=clock.sleep
    ) as fetcher:
        await asyncio.gather(
            *(fetcher.fetch(server.url(f"/ok?n={i}")) for i in range(3)),
            fetcher.fetch(other.url("/ok")),
        )
    assert len(server.hits) == 3 and len(other.hits) == 1
    # The second and third request to the host each waited out the delay after the one
    # before; the other host's request was not held back by it (no third wait).
    assert clock.sleeps == [pytest.approx(0.3), pytest.approx(0.3)]


async def test_no_delay_when_politeness_is_off(servers: list[HostileServer]):
    server = servers[0]
    clock = VirtualClock()
    async with Fetcher(
        settings(servers, per_host_concurrency=8), clock=clock, sleep=clock.sleep
    ) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(server.url(f"/ok?n={i}")) for i in range(20))
        )
    assert all(r.status == 200 for r in results) and len(server.hits) == 20
    assert clock.sleeps == []  # no request waited for another: no delay, no pause


def redirect(source: HostileServer, target: str) -> str:
    return source.url(f"/redirect-to?target={quote(target, safe='')}")


async def test_redirects_to_another_host_wait_their_turn_there(servers: list[HostileServer]):
    """Feed proxies and shorteners redirecting to one news site do not flood it."""
    site, proxies = servers[0], servers[1:]
    async with Fetcher(settings(servers)) as fetcher:
        results = await asyncio.gather(
            fetcher.fetch(site.url("/slow?n=direct")),
            *(fetcher.fetch(redirect(p, site.url(f"/slow?n={i}"))) for i, p in enumerate(proxies)),
        )
    assert all(r.status == 200 for r in results)
    assert len([hit for hit in site.hits if hit.path == "/slow"]) == 4
    assert site.max_inflight == 1


async def test_redirect_target_gets_its_hosts_delay(servers: list[HostileServer]):
    site, proxy = servers[0], servers[1]
    clock = VirtualClock()
    async with Fetcher(
        settings(servers, per_host_delay=0.3), clock=clock, sleep=clock.sleep
    ) as fetcher:
        await asyncio.gather(
            fetcher.fetch(site.url("/ok?n=direct")),
            fetcher.fetch(redirect(proxy, site.url("/ok?n=redirected"))),
        )
    assert len(site.hits) == 2
    # Whichever reached the site second waited the site's delay; the proxy's hop did not.
    assert clock.sleeps == [pytest.approx(0.3)]


async def test_redirects_in_opposite_directions_do_not_deadlock(servers: list[HostileServer]):
    a, b = servers[0], servers[1]
    async with Fetcher(settings(servers, total_timeout=3.0)) as fetcher:
        started = time.monotonic()
        results = await asyncio.gather(
            *(fetcher.fetch(redirect(a, b.url(f"/slow?n={i}"))) for i in range(3)),
            *(fetcher.fetch(redirect(b, a.url(f"/slow?n={i}"))) for i in range(3)),
        )
        elapsed = time.monotonic() - started
    assert [r.status for r in results] == [200] * 6
    assert elapsed < 2.0
