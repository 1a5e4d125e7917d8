"""The fetcher's connection pool: httpcore's, with a bookkeeping pass that stays cheap.

httpcore runs ``_assign_requests_to_connections`` each time a request enters or leaves the
pool. Its pass is quadratic in the pooled connections (for every idle connection it counts all
of them again) and asks the operating system whether every idle socket became readable (a
``getpeername`` and a ``poll`` each). The crawl keeps up to ``2 * global_concurrency``
connections to many hosts, most of them idle while their pages are extracted, so in the crawl
(64 places, 128 connections) that pass cost more CPU than the HTTP exchange itself:
3 million ``is_idle`` calls and 40,000 socket polls for 400 pages (bench/RESULTS.md, "Scale").

:class:`LeanConnectionPool` keeps httpcore's rules and changes only their cost:

- idle connections are counted once per pass (the keep-alive bound as httpcore means it);
- a queued request finds a connection to its origin through a dict, not a scan per request,
  and a connection handed to one request is not offered to a second one in the same pass;
- the socket of an idle connection is polled when the connection is about to be reused (a
  server that closed it is noticed then, as before, and the connection is dropped), and all
  idle sockets at most once per :data:`SWEEP_EVERY` seconds (expired keep-alives closed).

May import: no other scraper module.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore

__all__ = ["SWEEP_EVERY", "LeanConnectionPool"]

#: Seconds between the passes that poll every idle connection (keep-alive expiry, closed by
#: the server); in between, a connection is polled only when it is about to be reused.
SWEEP_EVERY = 1.0


def _key(origin: httpcore.Origin | None) -> tuple[bytes, bytes, int] | None:
    """A dict key for an origin (httpcore's ``Origin`` compares equal but does not hash)."""
    if origin is None:
        return None
    return (origin.scheme, origin.host, origin.port)


def _origin_of(connection: Any) -> httpcore.Origin | None:
    """The origin a pooled connection serves (httpcore's ``AsyncHTTPConnection._origin``)."""
    return getattr(connection, "_origin", None)


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with a linear assignment pass (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        now = time.monotonic()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_EVERY
        kept: list[httpcore.AsyncConnectionInterface] = []
        idle: list[httpcore.AsyncConnectionInterface] = []
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.is_idle():
                full = len(idle) >= self._max_keepalive_connections
                if full or (sweep and connection.has_expired()):
                    closing.append(connection)
                    continue
                idle.append(connection)
            kept.append(connection)
        self._connections = kept

        queued = [request for request in self._requests if request.is_queued()]
        if not queued:
            return closing
        available: dict[
            tuple[bytes, bytes, int] | None, list[httpcore.AsyncConnectionInterface]
        ] = {}
        for connection in kept:
            if connection.is_available():
                available.setdefault(_key(_origin_of(connection)), []).append(connection)
        taken: set[int] = set()
        for pool_request in queued:
            origin = pool_request.request.url.origin
            reused = self._reusable(origin, available.get(_key(origin)), closing, taken)
            if reused is not None:
                connection = reused
            else:
                if len(self._connections) >= self._max_connections:
                    victim = next((c for c in idle if id(c) not in taken), None)
                    if victim is None:
                        continue  # the request waits for a connection to be freed
                    taken.add(id(victim))
                    self._connections.remove(victim)
                    closing.append(victim)
                connection = self.create_connection(origin)
                self._connections.append(connection)
            taken.add(id(connection))
            pool_request.assign_to_connection(connection)
        return closing

    def _reusable(
        self,
        origin: httpcore.Origin,
        candidates: list[httpcore.AsyncConnectionInterface] | None,
        closing: list[httpcore.AsyncConnectionInterface],
        taken: set[int],
    ) -> httpcore.AsyncConnectionInterface | None:
        """An idle connection to the request's origin that the server has not closed."""
        while candidates:
            connection = candidates.pop(0)
            if id(connection) in taken or not connection.can_handle_request(origin):
                continue
            if connection.has_expired():  # keep-alive over, or closed by the server
                taken.add(id(connection))
                self._connections.remove(connection)
                closing.append(connection)
                continue
            return connection
        return None
