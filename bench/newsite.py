"""A local news site for the crawl benchmarks: real pages on many loopback hosts, in its own process.

The pages are the extraction benchmark's real news pages (../shared/bench/extraction/modern-web,
about 250 KB of HTML each), served gzip-compressed with keep-alive from ``hosts`` loopback
addresses (127.0.0.2, 127.0.0.3, ...; one port). Each host has ``/feed.xml`` (RSS of its
articles) and ``/robots.txt``; article ``i`` is ``/news/<i>/`` on host ``i % hosts``.

Options, for the benchmark that needs them:

- ``churn``: every response carries freshly random boilerplate (a most-read list, a nonce in a
  script, ad slot ids), as news sites do; the body is gzipped per response then.
- ``edit_every``: article ``i`` changes text (one paragraph gets a sentence) at crawl ``n``
  when ``(i + n) % edit_every == 0``; the crawl number is set by ``GET /_crawl/<n>``.
- ``etags``: responses carry an ETag and answer ``If-None-Match`` with 304 when it matches
  (switched at run time by ``GET /_etags/0`` or ``/_etags/1``).

Used by bench/crawl.py and bench/storage.py; test code never imports it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import multiprocessing
import random
import re
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "extraction"
WORDS = [
    "council",
    "budget",
    "minister",
    "election",
    "storm",
    "court",
    "market",
    "school",
    "hospital",
    "strike",
    "club",
    "season",
    "police",
    "report",
    "energy",
    "prices",
    "workers",
    "union",
    "vote",
    "city",
    "flood",
    "rescue",
    "officials",
    "parliament",
]


def real_pages(limit: int) -> list[bytes]:
    """Up to *limit* real news pages, decompressed, in a stable order."""
    files = sorted((SHARED / "modern-web" / "html").glob("*.html.gz"))[:limit]
    return [gzip.decompress(f.read_bytes()) for f in files]


@dataclass(frozen=True)
class SiteOptions:
    pages: int = 500
    hosts: int = 20
    churn: bool = False
    edit_every: int = 0
    etags: bool = False


def host(i: int) -> str:
    return f"127.0.0.{2 + i}"


def _churn(rng: random.Random) -> bytes:
    items = "".join(
        f'<li><a href="/news/{rng.randrange(10**7)}/">{" ".join(rng.choices(WORDS, k=9))}</a>'
        f'<span class="ago">{rng.randrange(60)} min ago</span></li>'
        for _ in range(10)
    )
    return (
        f'<script>window.__nonce="{rng.getrandbits(128):032x}";window.__ts={rng.getrandbits(40)};'
        f'</script><aside class="most-read"><ol>{items}</ol></aside>'
        f'<div class="ad" id="ad-{rng.getrandbits(32):x}" data-slot="{rng.getrandbits(24)}"></div>'
    ).encode()


_BODY_END = re.compile(rb"</body>", re.IGNORECASE)
_FIRST_P_END = re.compile(rb"</p>", re.IGNORECASE)


def _page(pages: list[bytes], i: int, crawl: int, options: SiteOptions) -> bytes:
    body = pages[i % len(pages)]
    if options.edit_every:
        edits = sum(1 for n in range(1, crawl + 1) if (i + n) % options.edit_every == 0)
        if edits:
            sentence = f" Updated {edits} time(s): the council said more.".encode()
            body = _FIRST_P_END.sub(sentence + b"</p>", body, count=1)
    return body


def _serve(queue: multiprocessing.Queue, options: SiteOptions) -> None:
    pages = real_pages(options.pages)
    n = max(options.pages, 1)
    state = {"crawl": 0, "etags": int(options.etags)}
    gz_cache: dict[tuple[int, int], tuple[bytes, str]] = {}
    rng = random.Random(11)
    robots = b"User-agent: *\nAllow: /\n"

    def feed(h: int, port: int) -> bytes:
        items = "".join(
            f"<item><title>Story {i}</title><link>http://{host(h)}:{port}/news/{i}/</link>"
            f"<guid>{i}</guid></item>"
            for i in range(h, n, options.hosts)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site {h}</title>'
            f"<link>http://{host(h)}:{port}/</link>{items}</channel></rss>"
        ).encode()

    def response(status: str, ctype: str, body: bytes, extra: str = "", gz: bool = False) -> bytes:
        head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        if gz:
            head += "Content-Encoding: gzip\r\n"
        return (head + extra + "\r\n").encode() + body

    def article(i: int, if_none_match: str | None) -> bytes:
        crawl = state["crawl"]
        # Without edits a page is one of the real pages whatever its number: one copy each, so
        # the server stays small however many articles it serves (20,000 in the memory run).
        key = (i, crawl) if options.edit_every else (i % len(pages), 0)
        if options.churn:
            page = _page(pages, i, crawl, options)
            page = _BODY_END.sub(_churn(rng) + b"</body>", page, count=1)
            page = page.replace(b"<body", _churn(rng) + b"<body", 1)
            body, etag = gzip.compress(page, 6), '"c' + str(rng.getrandbits(32)) + '"'
        else:
            if key not in gz_cache:
                page = _page(pages, i, crawl, options)
                gz_cache[key] = (gzip.compress(page, 6), '"' + hashlib.md5(page).hexdigest() + '"')
            body, etag = gz_cache[key]
        if state["etags"]:
            if if_none_match == etag:
                return response("304 Not Modified", "text/html", b"", f"ETag: {etag}\r\n")
            return response(
                "200 OK", "text/html; charset=utf-8", body, f"ETag: {etag}\r\n", gz=True
            )
        return response("200 OK", "text/html; charset=utf-8", body, gz=True)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        h = int(writer.get_extra_info("sockname")[0].rsplit(".", 1)[1]) - 2
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                line = request.split(b"\r\n", 1)[0].decode("latin-1")
                path = line.split(" ")[1] if " " in line else "/"
                inm = None
                for header in request.split(b"\r\n")[1:]:
                    if header.lower().startswith(b"if-none-match:"):
                        inm = header.split(b":", 1)[1].strip().decode("latin-1")
                if path == "/robots.txt":
                    out = response("200 OK", "text/plain", robots)
                elif path == "/feed.xml":
                    out = response("200 OK", "application/rss+xml", feed(h, port))
                elif path.startswith(("/_crawl/", "/_etags/")):
                    state[path.split("/")[1][1:]] = int(path.rsplit("/", 1)[1])
                    out = response("200 OK", "text/plain", b"ok")
                elif m := re.fullmatch(r"/news/(\d+)/", path):
                    out = article(int(m.group(1)), inm)
                else:
                    out = response("404 Not Found", "text/plain", b"no")
                writer.write(out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        first = await asyncio.start_server(connection, host(0), 0, backlog=2048)
        port = first.sockets[0].getsockname()[1]
        servers = [first]
        for h in range(1, options.hosts):
            servers.append(await asyncio.start_server(connection, host(h), port, backlog=2048))
        queue.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


class NewsSite:
    """The site's server process; ``with NewsSite(options) as site: site.port``."""

    def __init__(self, options: SiteOptions) -> None:
        self.options = options
        self.port = 0
        self._process: multiprocessing.Process | None = None

    def __enter__(self) -> NewsSite:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        self._process = ctx.Process(target=_serve, args=(queue, self.options), daemon=True)
        self._process.start()
        self.port = queue.get(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()

    def feeds(self) -> list[str]:
        return [f"http://{host(h)}:{self.port}/feed.xml" for h in range(self.options.hosts)]

    def article_urls(self) -> list[str]:
        return [
            f"http://{host(i % self.options.hosts)}:{self.port}/news/{i}/"
            for i in range(self.options.pages)
        ]

    def allow_hosts(self) -> list[str]:
        return [f"{host(h)}:{self.port}" for h in range(self.options.hosts)]

    def set_crawl(self, n: int) -> None:
        self._control(f"/_crawl/{n}")

    def set_etags(self, on: bool) -> None:
        self._control(f"/_etags/{int(on)}")

    def _control(self, path: str) -> None:
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(f"http://{host(0)}:{self.port}{path}", timeout=10).read()
