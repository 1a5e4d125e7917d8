"""The HTTP client (contract stub; the fetcher is built on this interface)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MiB = 1024 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves; defaults are the polite ones."""

    user_agent: str = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * MiB
    max_redirects: int = 10
    retries: int = 3
    backoff_base: float = 1.0
    retry_after_cap: float = 120.0
    per_host_delay: float = 1.0
    per_host_concurrency: int = 1
    global_concurrency: int = 16
    obey_robots: bool = True
    robots_ttl: float = 3600.0
    allow_hosts: frozenset[str] = field(default_factory=frozenset)  # exact "host:port"


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    body: bytes
    text: str | None
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


class FetchError(Exception):
    """Base of every fetch failure; ``reason`` is machine readable."""

    reason = "fetch-error"
