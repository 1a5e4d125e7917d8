"""Fetcher throughput and CPU per page against a plain httpx loop, in the same run.

A server process answers on 100 loopback hosts (127.0.0.2 ... 127.0.0.101, one port) with a
real-sized article page (~100 KB of HTML, served gzip-compressed, keep-alive). The client process
fetches the same interleaved URL list three ways:

- ``httpx``: a plain ``httpx.AsyncClient`` loop (``get`` + ``.text``), N concurrent workers;
- ``fetcher-fast``: ``Fetcher`` with politeness off (``per_host_delay=0``, no robots) and the
  same global concurrency: this is the cost of the safety machinery (address guard, bounded
  decoding, deadline, charset, sniffing);
- ``fetcher-polite``: ``Fetcher`` with the default politeness (1 s per host, robots.txt), which
  is bounded by the delay, not by the CPU.

CPU is the client process's CPU time (``time.process_time``); the server runs elsewhere.

    python bench/fetch.py [--pages 3000] [--concurrency 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from scraper.fetch.client import Fetcher, FetchSettings

HOSTS = [f"127.0.0.{i}" for i in range(2, 102)]
WORDS = [
    "the",
    "government",
    "announced",
    "minister",
    "said",
    "election",
    "vote",
    "city",
    "council",
    "report",
    "police",
    "court",
    "market",
    "economy",
    "prices",
    "energy",
    "climate",
    "school",
    "hospital",
    "workers",
    "union",
    "strike",
    "football",
    "match",
    "season",
    "club",
    "coach",
    "players",
    "fans",
    "weather",
    "storm",
    "flood",
    "rescue",
    "officials",
    "spokesperson",
    "statement",
    "according",
    "sources",
    "investigation",
    "budget",
    "tax",
    "reform",
    "parliament",
    "opposition",
    "party",
    "leader",
]


def make_page(size: int = 100_000, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    head = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Council approves "
        "budget after long debate</title><link rel='stylesheet' href='/s.css'></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header><article>"
        "<h1>Council approves budget after long debate</h1>"
    )
    parts = [head]
    total = len(head)
    while total < size - 200:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90)))
        paragraph = f"<p>{words.capitalize()}.</p>\n"
        parts.append(paragraph)
        total += len(paragraph)
    parts.append("</article><footer>© News</footer></body></html>")
    return "".join(parts).encode()


# --- server (its own process) ---------------------------------------------------------------


def _serve(port_queue: multiprocessing.Queue, page: bytes) -> None:
    body = gzip.compress(page, compresslevel=6)
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    robots = b"User-agent: *\nAllow: /\n"
    robots_response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
        + str(len(robots)).encode()
        + b"\r\n\r\n"
        + robots
    )

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                is_robots = request.startswith(b"GET /robots.txt ")
                writer.write(robots_response if is_robots else response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        first = await asyncio.start_server(connection, HOSTS[0], 0, backlog=1024)
        port = first.sockets[0].getsockname()[1]
        servers = [first]
        for host in HOSTS[1:]:
            servers.append(await asyncio.start_server(connection, host, port, backlog=1024))
        port_queue.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- clients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    name: str
    pages: int
    ok: int
    wall: float
    cpu: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / self.pages


async def _workers(urls: list[str], concurrency: int, one: Callable[[str], Awaitable[bool]]) -> int:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    ok = 0

    async def worker() -> None:
        nonlocal ok
        while not queue.empty():
            url = queue.get_nowait()
            success = await one(url)
            ok += success

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok


async def run_httpx(urls: list[str], concurrency: int) -> int:
    limits = httpx.Limits(
        max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2
    )
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def one(url: str) -> bool:
            response = await client.get(url)
            return response.status_code == 200 and len(response.text) > 90_000

        return await _workers(urls, concurrency, one)


async def run_fetcher(urls: list[str], concurrency: int, settings: FetchSettings) -> int:
    async with Fetcher(settings) as fetcher:

        async def one(url: str) -> bool:
            result = await fetcher.fetch(url)
            return result.status == 200 and result.text is not None and len(result.text) > 90_000

        # Politeness is inside the fetcher: hand it everything at once, as the crawler does.
        workers = concurrency if settings.per_host_delay == 0 else len(urls)
        return await _workers(urls, workers, one)


def measure(name: str, job: Callable[[], Awaitable[int]], pages: int) -> Run:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    ok = asyncio.run(job())
    return Run(name, pages, ok, time.perf_counter() - wall0, time.process_time() - cpu0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--polite-pages", type=int, default=300, help="3 per host by default")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    page = make_page()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(ports, page), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    try:
        urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/article/{i}" for i in range(args.pages)]
        polite_urls = urls[: args.polite_pages]
        allow = frozenset(f"{host}:{port}" for host in HOSTS)
        fast = FetchSettings(
            allow_hosts=allow,
            per_host_delay=0.0,
            obey_robots=False,
            global_concurrency=args.concurrency,
        )
        polite = FetchSettings(allow_hosts=allow, global_concurrency=args.concurrency)
        print(f"page: {len(page)} bytes, {len(gzip.compress(page))} gzipped; port {port}")

        runs: dict[str, list[Run]] = {"httpx": [], "fetcher-fast": []}
        measure("warm-up", lambda: run_httpx(urls[:200], args.concurrency), 200)
        for _ in range(args.rounds):
            runs["httpx"].append(
                measure("httpx", lambda: run_httpx(urls, args.concurrency), len(urls))
            )
            runs["fetcher-fast"].append(
                measure(
                    "fetcher-fast",
                    lambda: run_fetcher(urls, args.concurrency, fast),
                    len(urls),
                )
            )
        runs["fetcher-polite"] = [
            measure(
                "fetcher-polite",
                lambda: run_fetcher(polite_urls, args.concurrency, polite),
                len(polite_urls),
            )
        ]
    finally:
        server.terminate()
        server.join(5)

    print()
    print("| client | pages | ok | pages/s (median) | CPU ms/page (median) | wall s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    medians: dict[str, tuple[float, float]] = {}
    for name, results in runs.items():
        rate = statistics.median(r.pages_per_s for r in results)
        cpu = statistics.median(r.cpu_ms_per_page for r in results)
        wall = statistics.median(r.wall for r in results)
        medians[name] = (rate, cpu)
        ok = min(r.ok for r in results)
        print(f"| {name} | {results[0].pages} | {ok} | {rate:.0f} | {cpu:.2f} | {wall:.2f} |")
    base_rate, base_cpu = medians["httpx"]
    rate, cpu = medians["fetcher-fast"]
    print()
    print(
        f"fetcher-fast vs httpx: throughput {100 * (rate - base_rate) / base_rate:+.1f}%, "
        f"CPU per page {100 * (cpu - base_cpu) / base_cpu:+.1f}%"
    )


if __name__ == "__main__":
    main()
