"""The fetcher's connections (scraper.fetch.connections) against real loopback servers: reused
per origin, bounded in number, never reused once the server closed them; and no state carried
from one request to the next (no cookie jar)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from loopback import LoopbackServer

from scraper.fetch.client import Fetcher, FetchSettings


class Counted(LoopbackServer):
    """A keep-alive server that knows which connection each request came on and how many
    connections are open; ``/bye`` answers and then closes the connection without saying so
    (no ``Connection: close``), as servers do when their keep-alive time runs out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.peers: list[int] = []  # the client port of each request
        self.cookies: list[str | None] = []  # the Cookie header of each request
        self.open = 0
        self.most_open = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with outer.lock:
                    outer.open += 1
                    outer.most_open = max(outer.most_open, outer.open)

            def finish(self) -> None:
                with outer.lock:
                    outer.open -= 1
                super().finish()

            def do_GET(self) -> None:
                with outer.lock:
                    outer.peers.append(self.client_address[1])
                    outer.cookies.append(self.headers.get("Cookie"))
                body = b"<html><body><p>page</p></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", "visitor=42; Path=/")
                self.end_headers()
                self.wfile.write(body)
                if self.path == "/bye":
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def servers() -> Iterator[list[Counted]]:
    started = [Counted() for _ in range(3)]
    yield started
    for server in started:
        server.close()


def settings(servers: list[Counted], global_concurrency: int = 4) -> FetchSettings:
    return FetchSettings(
        allow_hosts=frozenset(s.host_port for s in servers),
        per_host_delay=0.0,
        obey_robots=False,
        retries=0,  # a reused dead connection would fail the fetch: none may be reused
        total_timeout=5,
        global_concurrency=global_concurrency,
    )


async def test_one_connection_per_origin_is_reused(servers: list[Counted]):
    async with Fetcher(settings(servers)) as fetcher:
        for _ in range(3):
            for server in servers[:2]:
                assert (await fetcher.fetch(server.base + "/page")).status == 200
    for server in servers[:2]:
        assert len(server.peers) == 3
        assert len(set(server.peers)) == 1


async def test_idle_connections_beyond_the_bound_are_closed(servers: list[Counted]):
    # global_concurrency 1: at most two connections in all, whatever the number of origins.
    async with Fetcher(settings(servers, global_concurrency=1)) as fetcher:
        for _ in range(4):
            for server in servers:
                assert (await fetcher.fetch(server.base + "/page")).status == 200
        time.sleep(0.1)  # the servers see the closed connections go
        assert sum(server.open for server in servers) <= 2
    assert all(len(server.peers) == 4 for server in servers)


async def test_a_connection_the_server_closed_is_not_reused(servers: list[Counted]):
    server = servers[0]
    async with Fetcher(settings(servers)) as fetcher:
        for _ in range(3):
            assert (await fetcher.fetch(server.base + "/bye")).status == 200
            time.sleep(0.05)  # the server's close reaches the client's socket
    assert len(set(server.peers)) == 3


async def test_requests_carry_no_cookies_from_earlier_responses(servers: list[Counted]):
    server = servers[0]
    async with Fetcher(settings(servers)) as fetcher:
        for _ in range(2):
            result = await fetcher.fetch(server.base + "/page")
            assert ("Set-Cookie", "visitor=42; Path=/") in result.headers
            assert "cookie" not in {name.lower() for name, _ in result.request_headers}
    assert server.cookies == [None, None]
