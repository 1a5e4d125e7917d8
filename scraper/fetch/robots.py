"""robots.txt rules per origin, through protego, with RFC 9309 error handling and expiry.

What a robots.txt fetch means (RFC 9309, section 2.3.1):

- 2xx: parse it (a UTF-8 BOM and CRLF line ends are fine; only the first 500 KiB is read);
- 4xx ("unavailable"): no rules, everything is allowed;
- 5xx, 429, timeouts, connection failures ("unreachable"): everything is disallowed, and the
  answer is cached only briefly so the host is tried again once it recovers.

This module does no networking: the fetcher hands ``RobotsCache`` a coroutine that downloads a
robots.txt and reports a ``RobotsResponse``, so the rules are tested with plain strings.

May import: no other scraper module.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

__all__ = [
    "RobotsCache",
    "RobotsResponse",
    "RobotsRules",
    "origin_of",
    "parse_robots",
    "rules_for_response",
    "user_agent_token",
]

MAX_ROBOTS_BYTES = 500 * 1024


@dataclass(frozen=True)
class RobotsResponse:
    """What fetching ``/robots.txt`` produced: a status and body, or no response at all."""

    status: int | None  # None: unreachable (timeout, connection error, protocol error)
    body: bytes = b""
    error: str | None = None  # why it was unreachable, for messages
    error_reason: str | None = None  # the fetch error's reason ("connect", "timeout", ...)


@dataclass(frozen=True)
class RobotsRules:
    """The rules for one origin, as decided from one robots.txt fetch."""

    kind: str  # "parsed", "allow-all" (4xx) or "disallow-all" (5xx, unreachable)
    parser: Protego | None = field(default=None, compare=False, repr=False)
    sitemaps: tuple[str, ...] = ()
    cause: str | None = field(default=None, compare=False)  # why "disallow-all"
    error_reason: str | None = field(default=None, compare=False)  # when unreachable

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if self.kind == "allow-all":
            return True
        if self.kind == "disallow-all" or self.parser is None:
            return False
        if urlsplit(url).path in ("/robots.txt", ""):
            return True
        return bool(self.parser.can_fetch(url, user_agent_token(user_agent)))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent_token(user_agent))
        return float(delay) if delay is not None else None


ALLOW_ALL = RobotsRules("allow-all")


def user_agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``newsarchive/0.1 (...)`` ->
    ``newsarchive`` (RFC 9309 matches on the token, case-insensitively)."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token or user_agent


def origin_of(url: str) -> str:
    """``scheme://host[:port]``: robots.txt applies per scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower().rsplit('@', 1)[-1]}"


def parse_robots(body: bytes) -> RobotsRules:
    """Parse a robots.txt body (bytes as served)."""
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    parser = Protego.parse(text)
    return RobotsRules("parsed", parser, tuple(parser.sitemaps))


def rules_for_response(response: RobotsResponse) -> RobotsRules:
    """RFC 9309's mapping from a fetch outcome to rules."""
    status = response.status
    if status is None:
        return RobotsRules(
            "disallow-all",
            cause=f"robots.txt unreachable: {response.error}",
            error_reason=response.error_reason,
        )
    if status == 429 or status >= 500:
        return RobotsRules("disallow-all", cause=f"robots.txt answered HTTP {status}")
    if 200 <= status < 300:
        return parse_robots(response.body)
    # 3xx left over after redirects were followed, and 4xx: no usable robots.txt.
    return ALLOW_ALL


@dataclass
class _Entry:
    rules: RobotsRules
    expires: float


class RobotsCache:
    """Rules per origin, fetched once (concurrent callers share one fetch) and kept for ``ttl``.

    ``error_ttl`` is how long a "disallow all" from an unreachable robots.txt is kept: short, so
    a host that recovers is crawled again soon.
    """

    def __init__(
        self,
        fetch_robots: Callable[[str], Awaitable[RobotsResponse]],
        *,
        ttl: float = 3600.0,
        error_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_robots = fetch_robots
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def cached(self, origin: str) -> RobotsRules | None:
        """The unexpired rules for *origin*, without fetching."""
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > self._clock():
            return entry.rules
        return None

    async def rules(self, url: str) -> RobotsRules:
        """The rules that apply to *url*, fetching ``/robots.txt`` when not cached."""
        origin = origin_of(url)
        rules = self.cached(origin)
        if rules is not None:
            return rules
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self.cached(origin)
            if rules is not None:
                return rules
            response = await self._fetch_robots(origin + "/robots.txt")
            rules = rules_for_response(response)
            ttl = self._error_ttl if rules.kind == "disallow-all" else self._ttl
            self._entries[origin] = _Entry(rules, self._clock() + ttl)
            return rules
