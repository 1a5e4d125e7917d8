"""The SSRF guard: which addresses the fetcher may connect to, checked at connect time.

The check lives in an httpcore network backend, the one place where sockets are opened. The
backend resolves the host once, refuses the connection when any resolved address is not public,
and then connects to exactly the addresses it checked. There is no second DNS lookup that a
rebinding DNS server could answer differently, and every redirect hop, retry and new pooled
connection goes through the same door.

``allow_hosts`` holds exact ``host:port`` strings (``127.0.0.1:8000``, ``news.test:8080``) that
may resolve to private addresses: the tests and the bundled demo site run on loopback.

May import: :mod:`scraper.fetch.connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import httpcore
import httpx

from scraper.fetch.connections import LeanConnectionPool

__all__ = [
    "AddressBlocked",
    "GuardedBackend",
    "Resolver",
    "StaticResolver",
    "SystemResolver",
    "guarded_transport",
    "is_public_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class AddressBlocked(Exception):
    """A host resolved to an address the fetcher must not connect to."""

    def __init__(self, host: str, port: int, address: str | None, why: str) -> None:
        if address is not None and why == NOT_PUBLIC:
            super().__init__(blocked_message(host, port, address))
        else:
            super().__init__(f"{host}:{port} -> {address or '?'}: {why}")
        self.host = host
        self.port = port
        self.address = address
        self.why = why


NOT_PUBLIC = "not a public address"


def address_class(address: str | IPAddress) -> str:
    """What kind of non-public address *address* is, in words a user can look up."""
    ip = _parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        return "unparsable"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        if ip.teredo is not None:
            return "Teredo IPv6"
        if ip in _NAT64 or ip in _NAT64_LOCAL or ip in _SIX_TO_FOUR:
            return "IPv6-embedded non-public IPv4"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (cloud metadata)"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT (100.64.0.0/10)"
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"):
        return "unique-local IPv6"
    if ip.is_private:
        return "private network"
    if ip.is_reserved:
        return "reserved"
    return "non-public"


def blocked_message(host: str, port: int, address: str) -> str:
    """The refusal a user reads: the address class and the setting that allows it."""
    return (
        f"{host} resolves to {address}, a {address_class(address)} address: refused (SSRF "
        f'guard); to fetch it on purpose, add "{host}:{port}" to allow_hosts under [crawl] in '
        "config.toml"
    )


class Resolver(Protocol):
    """Turns a host name into IP address strings; injectable so tests can fake DNS."""

    async def resolve(self, host: str, port: int) -> Sequence[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), run off the event loop."""

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        addresses: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            if address not in addresses:
                addresses.append(address)
        return addresses


class StaticResolver:
    """A fixed host -> addresses table, falling back to another resolver (or failing)."""

    def __init__(
        self, table: Mapping[str, Sequence[str]], fallback: Resolver | None = None
    ) -> None:
        self._table = {host.lower(): list(addrs) for host, addrs in table.items()}
        self._fallback = fallback

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        if host.lower() in self._table:
            return self._table[host.lower()]
        if self._fallback is None:
            raise OSError(f"unknown host {host!r}")
        return await self._fallback.resolve(host, port)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_public_address(address: str | IPAddress) -> bool:
    """True for a globally routable unicast address.

    Refuses loopback, private, link-local (169.254.169.254 cloud metadata included), CGNAT
    100.64.0.0/10, unique-local fc00::/7, 0.0.0.0/::, multicast, reserved and documentation
    ranges, and IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) unless the
    embedded address is itself public (mapped addresses are refused outright: they are only
    ever a way to smuggle an IPv4 target past an IPv6 check).
    """
    ip = _parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return False
        if ip in _NAT64 or ip in _NAT64_LOCAL:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
            return is_public_address(ip.sixtofour)
        if ip.teredo is not None:
            return False
    elif ip in _CGNAT:
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that resolves once, checks every address, and connects to it."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        allow_hosts: Iterable[str] = (),
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver if resolver is not None else SystemResolver()
        self._allow = frozenset(h.lower() for h in allow_hosts)
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()
        # stream -> the address it was connected to; asking the socket costs more per response
        self._peers: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()

    def peer_of(self, stream: object) -> str | None:
        """The checked address a connection (httpcore network stream) was opened to."""
        if stream is None:
            return None
        try:
            return self._peers.get(stream)
        except TypeError:  # not weak-referenceable: not one of ours
            return None

    def allowed(self, host: str, port: int) -> bool:
        """Whether ``host:port`` was opted in to private addresses."""
        host = host.lower()
        if ":" in host and not host.startswith("["):
            return f"[{host}]:{port}" in self._allow or f"{host}:{port}" in self._allow
        return f"{host}:{port}" in self._allow

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve *host* once and return its addresses, or raise AddressBlocked."""
        literal = _parse_ip(host)
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = list(await self._resolver.resolve(host, port))
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
            if not found:
                raise httpcore.ConnectError(f"cannot resolve {host!r}: no addresses")
        if self.allowed(host, port):
            return found
        for address in found:
            # One bad address refuses the host: a round-robin of public and private answers is
            # exactly what a rebinding attack looks like.
            if not is_public_address(address):
                raise AddressBlocked(host, port, address, NOT_PUBLIC)
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last_error: Exception | None = None
        for address in await self.addresses(host, port):
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            with contextlib.suppress(TypeError):
                self._peers[stream] = address
            return stream
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressBlocked(path, 0, None, "unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context, built once a process: loading the CA bundle takes tens of
    milliseconds, and each ``newsarchive crawl`` (or bench run) opens a new fetcher."""
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, exception mapping) over a guarded pool."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        # httpx offers no public way to pass a network backend; its transport only wraps
        # ``self._pool``, so we build that pool ourselves.
        self._pool = LeanConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


def guarded_transport(backend: GuardedBackend, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """An httpx transport whose every connection goes through *backend*."""
    return _GuardedTransport(backend, limits)
