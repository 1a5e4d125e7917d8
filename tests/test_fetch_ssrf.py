"""The SSRF guard: public-address policy, allow_hosts, and DNS rebinding with a fake resolver."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import httpcore
import pytest
from hostile_server import HostileServer

from scraper.fetch.client import Fetcher, FetchSettings, SSRFBlocked
from scraper.fetch.netguard import AddressBlocked, GuardedBackend, StaticResolver, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.10.20.30",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2001:db8::1",
        "not-an-address",
    ],
)
def test_non_public_addresses(address: str):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses(address: str):
    assert is_public_address(address)


class RebindingResolver:
    """Answers a public address first and loopback afterwards, like a rebinding DNS server."""

    def __init__(self, answers: list[list[str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the socket layer: records where it was asked to connect, connects nowhere."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, **kwargs: object
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        raise httpcore.ConnectError("recording backend never connects")


async def test_rebinding_resolver_is_asked_once_and_the_checked_address_is_used():
    resolver = RebindingResolver([["93.184.216.34"], ["127.0.0.1"]])
    inner = RecordingBackend()
    backend = GuardedBackend(resolver, (), inner=inner)
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("rebind.example", 80, timeout=1.0)
    assert resolver.calls == ["rebind.example"]
    assert inner.connects == [("93.184.216.34", 80)]
    # the next connection resolves again, gets loopback, and is refused before any socket
    with pytest.raises(AddressBlocked):
        await backend.connect_tcp("rebind.example", 80, timeout=1.0)
    assert resolver.calls == ["rebind.example", "rebind.example"]
    assert inner.connects == [("93.184.216.34", 80)]


async def test_one_private_answer_among_public_ones_blocks_the_host():
    inner = RecordingBackend()
    backend = GuardedBackend(RebindingResolver([["93.184.216.34", "10.0.0.7"]]), (), inner=inner)
    with pytest.raises(AddressBlocked):
        await backend.connect_tcp("mixed.example", 443)
    assert inner.connects == []


async def test_ip_literals_skip_the_resolver():
    resolver = RebindingResolver([["93.184.216.34"]])
    backend = GuardedBackend(resolver, (), inner=RecordingBackend())
    with pytest.raises(AddressBlocked):
        await backend.connect_tcp("169.254.169.254", 80)
    assert resolver.calls == []


async def test_allow_hosts_is_exact_host_and_port():
    backend = GuardedBackend(StaticResolver({"news.test": ["127.0.0.1"]}), ["news.test:8080"])
    assert await backend.addresses("news.test", 8080) == ["127.0.0.1"]
    with pytest.raises(AddressBlocked):
        await backend.addresses("news.test", 8081)
    assert backend.allowed("NEWS.test", 8080)
    assert not backend.allowed("news.test.evil", 8080)


@pytest.fixture
def sentinel() -> Iterator[HostileServer]:
    with HostileServer(record_only=True) as server:
        yield server


async def test_fetcher_rebinding_end_to_end(sentinel: HostileServer):
    """A name that resolved public once and now points at a local port is never connected to."""
    resolver = RebindingResolver([["127.0.0.1"]])
    settings = FetchSettings(per_host_delay=0, obey_robots=False, total_timeout=1.5, retries=0)
    async with Fetcher(settings, resolver=resolver) as fetcher:
        with pytest.raises(SSRFBlocked) as caught:
            await fetcher.fetch(f"http://rebind.example:{sentinel.port}/")
    assert caught.value.reason == "ssrf-blocked"
    assert resolver.calls == ["rebind.example"]
    assert sentinel.hits == []


async def test_named_host_opted_in_by_allow_hosts():
    with HostileServer() as server:
        resolver = StaticResolver({"news.test": ["127.0.0.1"]})
        settings = FetchSettings(
            per_host_delay=0,
            obey_robots=False,
            total_timeout=1.5,
            allow_hosts=frozenset({f"news.test:{server.port}"}),
        )
        async with Fetcher(settings, resolver=resolver) as fetcher:
            result = await fetcher.fetch(f"http://news.test:{server.port}/ok")
        assert result.status == 200
        assert server.hits[-1].headers["host"] == f"news.test:{server.port}"
        assert result.remote_address == "127.0.0.1"


async def test_robots_fetch_for_a_blocked_host_is_blocked_too(sentinel: HostileServer):
    """With robots on, even the robots.txt request must not reach an unlisted local port."""
    settings = FetchSettings(per_host_delay=0, obey_robots=True, total_timeout=1.5, retries=0)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(SSRFBlocked):
            await fetcher.fetch(sentinel.url("/article"))
        with pytest.raises(SSRFBlocked):
            await fetcher.sitemaps_from_robots(sentinel.url("/"))
    assert sentinel.hits == []
