"""URL normalization, in one place.

Every URL the crawler stores or compares goes through :func:`normalize_url`, so that the same
article reached by ``HTTP://Example.com:80/a?utm_source=rss#top`` and ``http://example.com/a``
is one row in the archive, not two. The path keeps its case (servers treat ``/A`` and ``/a`` as
different pages); everything that cannot change the page served is made canonical:

- scheme and host lowercased, host IDNA-encoded, trailing dot of the host dropped;
- default ports (80 for http, 443 for https) dropped, an empty path becomes ``/``;
- the fragment dropped (it never reaches the server);
- tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid`` ... see :data:`TRACKING_PARAMS`);
- the remaining query parameters sorted and percent-encoding made uniform
  (``w3lib.url.canonicalize_url``), dot segments resolved.

Only ``http`` and ``https`` URLs are accepted; anything else raises :class:`BadURL`.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = [
    "BadURL",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "host_of",
    "is_http_url",
    "normalize_url",
]

DEFAULT_PORTS = {"http": 80, "https": 443}

#: Query parameters that identify a campaign, a click or a mailing, never the page itself.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wickedid",
        "li_fat_id",
        "s_cid",
        "cmpid",
        "cmp",
        "ocid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "sr_share",
        "spm",
    }
)

#: Prefixes of tracking parameter families (Google Analytics ``utm_*``, AT Internet ``at_*``
#: used by the BBC's feeds, Piwik/Matomo ``pk_*`` and ``mtm_*``).
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")

# Characters that never belong in a URL typed or scraped by anyone meaning well.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_URL_LENGTH = 8192
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")
_IPV6 = re.compile(r"^\[[0-9a-f:.]+(?:%[0-9a-z]+)?\]$")


class BadURL(ValueError):
    """The text is not an absolute http(s) URL that can be fetched."""


def _is_tracking(name: str) -> bool:
    key = name.strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _strip_tracking(query: str) -> str:
    # Work on the raw "k=v" pieces so that values are not re-encoded here; canonicalize_url
    # does the single, uniform re-encoding afterwards.
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name = piece.split("=", 1)[0]
        if not _is_tracking(name.replace("+", " ")):
            kept.append(piece)
    return "&".join(kept)


def _idna_host(host: str, url: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise BadURL(f"no host in URL: {url!r}")
    if host.startswith("["):  # IPv6 literal, keep as is
        if not _IPV6.match(host):
            raise BadURL(f"invalid IPv6 host {host!r} in URL: {url!r}")
        return host
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadURL(f"invalid host name {host!r} in URL: {url!r}") from exc
    if len(encoded) > 253 or not _HOST.match(encoded):
        raise BadURL(f"invalid host name {host!r} in URL: {url!r}")
    return encoded


def normalize_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of *url* (resolved against *base* when relative).

    Idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.
    Raises :class:`BadURL` when the result is not an absolute http(s) URL.
    """
    if not isinstance(url, str):
        raise BadURL(f"expected a URL string, got {type(url).__name__}")
    text = url.strip()
    if not text:
        raise BadURL("empty URL")
    if len(text) > _MAX_URL_LENGTH:
        raise BadURL(f"URL longer than {_MAX_URL_LENGTH} characters")
    if _CONTROL.search(text):
        raise BadURL(f"control character in URL: {text[:200]!r}")
    if base is not None and not _ABSOLUTE.match(text):
        if not isinstance(base, str) or _CONTROL.search(base):
            raise BadURL(f"bad base URL: {base!r}")
        try:
            text = urljoin(base.strip(), text)
        except ValueError as exc:
            raise BadURL(f"cannot resolve {url!r} against {base!r}: {exc}") from exc
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"unparsable URL {text[:200]!r}: {exc}") from exc
    if port == 0:
        raise BadURL(f"port 0 in URL: {text[:200]!r}")
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(f"not an http or https URL: {text[:200]!r}")
    hostname = parts.hostname or ""
    if ":" in hostname:  # urlsplit strips the brackets of IPv6 literals
        hostname = f"[{hostname}]"
    host = _idna_host(hostname, text)
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    rebuilt = urlunsplit((scheme, netloc, parts.path or "/", _strip_tracking(parts.query), ""))
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except (ValueError, UnicodeError) as exc:
        raise BadURL(f"cannot normalize URL {text[:200]!r}: {exc}") from exc


def is_http_url(url: object) -> bool:
    """True when *url* is an absolute http(s) URL with a host (no exception, ever)."""
    if not isinstance(url, str):
        return False
    try:
        normalize_url(url)
    except BadURL:
        return False
    return True


def host_of(url: str) -> str:
    """The lowercase, IDNA-encoded host of *url*, without port (politeness is per host)."""
    normalized = normalize_url(url)
    host = urlsplit(normalized).hostname
    if not host:  # pragma: no cover - normalize_url guarantees a host
        raise BadURL(f"no host in URL: {url!r}")
    return host
