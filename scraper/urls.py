"""URL parsing and normalization, in one place, one way: the WHATWG URL Standard.

Every URL the crawler stores, compares or fetches is parsed here, by the same WHATWG parser
browsers use (ada, through ``ada-url``), so the normalizer and the fetcher can never read one
text as two different hosts: ``http://127.0.0.1:8080\\@example.com/`` is host 127.0.0.1 to a
browser and was example.com to an RFC 3986 parser. :func:`parse_url` refuses such texts outright
(a backslash where the authority starts or ends), before anything resolves a host name.

:func:`normalize_url` makes the same article reached by ``HTTP://Example.com:80/a?utm_source=rss#top``
and ``http://example.com/a`` one row in the archive, not two. The path keeps its case (servers
treat ``/A`` and ``/a`` as different pages); everything that cannot change the page served is
made canonical:

- scheme and host lowercased, host mapped per UTS-46 (WHATWG "domain to ASCII", not the IDNA
  2003 of Python's codec: ``faß.de`` is ``xn--fa-hia.de``, never ``fass.de``), IPv4 numbers in
  any notation written dotted-decimal, trailing dot of the host dropped;
- credentials (``user:password@``) dropped: they must never end up in the archive, and the
  fetcher refuses a URL that carries them (:func:`parse_url` reports them);
- default ports dropped, an empty path becomes ``/``, dot segments resolved;
- the fragment dropped (it never reaches the server);
- tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid`` ... see :data:`TRACKING_PARAMS`);
- session ids dropped (``;jsessionid=`` path parameters, ASP.NET ``/(S(...))/`` segments,
  ``PHPSESSID``, ``sid`` holding a token ... see :data:`SESSION_PARAMS`): a site that writes a
  new session id into every link would otherwise add every article again on every crawl;
- the remaining query parameters sorted and percent-encoding made uniform
  (``w3lib.url.canonicalize_url``).

Only ``http`` and ``https`` URLs are accepted; anything else raises :class:`BadURL`.

May import: the standard library, ``ada_url``, ``w3lib``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ada_url
from w3lib.url import canonicalize_url

__all__ = [
    "BadURL",
    "BadURLScheme",
    "ParsedURL",
    "SESSION_PARAMS",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "host_of",
    "is_http_url",
    "normalize_url",
    "parse_url",
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

#: Query parameters that carry a session id: the same page under a new name on every visit.
SESSION_PARAMS = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "sessionid",
        "session_id",
        "sessid",
        "cfid",
        "cftoken",
        "zenid",
        "oscsid",
        "xtcsid",
    }
)
#: ``sid`` is a session id in phpBB and many shops, but a story id elsewhere (``sid=04/09/22/1``):
#: it is dropped only when its value looks like a token (long, letters and digits only).
_TOKEN_PARAMS = frozenset({"sid", "s_id"})
_TOKEN = re.compile(r"^[0-9A-Za-z_-]{16,}$")
# ";jsessionid=..." (Java servlets) and ";phpsessid=..." path parameters, up to the next "/".
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/]*", re.IGNORECASE)
# ASP.NET cookieless sessions: a path segment "(S(abc))" or "(X(1)S(abc))".
_ASPNET_SESSION = re.compile(r"/\((?:[A-Za-z]\([0-9A-Za-z_-]*\))+\)(?=/|$)")

# Characters that never belong in a URL typed or scraped by anyone meaning well.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_URL_LENGTH = 8192
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")
_IPV6 = re.compile(r"^\[[0-9a-f:.]+\]$")


class BadURL(ValueError):
    """The text is not an absolute http(s) URL that can be fetched."""


class BadURLScheme(BadURL):
    """The URL parses, but its scheme is not http or https."""


@dataclass(frozen=True)
class ParsedURL:
    """One URL as the WHATWG parser reads it (no fragment)."""

    href: str  # serialized, without the fragment; credentials still in it when present
    scheme: str  # "http" or "https"
    host: str  # lowercase ASCII; IPv6 in brackets
    port: int | None  # None for the scheme's default port
    path: str  # percent-encoded, dot segments resolved, at least "/"
    query: str  # without the "?"; "" when none
    has_credentials: bool  # a user name or password was given (user:password@)


def _backslash_trick(text: str) -> bool:
    """A backslash where the authority starts or ends: parsers disagree on the host.

    WHATWG reads ``\\`` as ``/`` in http(s) URLs, RFC 3986 parsers as an ordinary character,
    so ``http://a.com\\@b.com/`` is a.com to one and b.com to the other, and a Location of
    ``/\\evil.com`` is another host to a browser. Backslashes later in the path are harmless.
    """
    match = _SCHEME.match(text)
    rest = text[match.end() :] if match else text
    lead = len(rest) - len(rest.lstrip("/\\"))
    if "\\" in rest[:lead]:
        return True
    has_authority = (match is not None and match.group(1).lower() in DEFAULT_PORTS) or lead >= 2
    if not has_authority:
        return False
    authority = re.match(r"[^/\\?#]*", rest[lead:])
    end = lead + (authority.end() if authority else 0)
    return rest[end : end + 1] == "\\"


def _check_host(host: str, text: str) -> str:
    host = host.rstrip(".")
    if not host:
        raise BadURL(f"no host in URL: {text[:200]!r}")
    if host.startswith("["):
        if not _IPV6.match(host):
            raise BadURL(f"invalid IPv6 host {host!r} in URL: {text[:200]!r}")
        return host
    if len(host) > 253 or not _HOST.match(host):
        raise BadURL(f"invalid host name {host!r} in URL: {text[:200]!r}")
    return host


def parse_url(url: str, base: str | None = None) -> ParsedURL:
    """Parse *url* (resolved against *base* when relative) the WHATWG way, or raise BadURL.

    Refused: non-strings, control characters, over 8 KiB, backslash tricks (see
    :func:`_backslash_trick`), what the WHATWG parser refuses (bad host, port over 65535),
    port 0, non-http(s) schemes (:class:`BadURLScheme`), hosts that are not DNS names or IPs.
    """
    if not isinstance(url, str):
        raise BadURL(f"expected a URL string, got {type(url).__name__}")
    text = url.strip(" \t\n\r\x0c")
    if not text:
        raise BadURL("empty URL")
    if len(text) > _MAX_URL_LENGTH:
        raise BadURL(f"URL longer than {_MAX_URL_LENGTH} characters")
    if _CONTROL.search(text):
        raise BadURL(f"control character in URL: {text[:200]!r}")
    if _backslash_trick(text):
        raise BadURL(f"backslash in the authority of URL: {text[:200]!r}")
    if base is not None and (not isinstance(base, str) or _CONTROL.search(base)):
        raise BadURL(f"bad base URL: {base!r}")
    scheme_match = _SCHEME.match(text)
    if base is None and scheme_match is None:
        raise BadURL(f"not an absolute URL: {text[:200]!r}")
    if scheme_match and scheme_match.group(1).lower() not in DEFAULT_PORTS:
        raise BadURLScheme(f"not an http or https URL: {text[:200]!r}")
    try:
        if scheme_match is None and base is not None:
            parsed = ada_url.URL(text, base.strip())
        else:  # an absolute URL: the base plays no part (and may be empty)
            parsed = ada_url.URL(text)
    except ValueError as exc:
        raise BadURL(f"unparsable URL {text[:200]!r}") from exc
    scheme = parsed.protocol.rstrip(":")
    if scheme not in DEFAULT_PORTS:
        raise BadURLScheme(f"not an http or https URL: {text[:200]!r}")
    if parsed.port == "0":
        raise BadURL(f"port 0 in URL: {text[:200]!r}")
    host = _check_host(parsed.hostname, text)
    if host != parsed.hostname:  # a trailing dot: the same host, written once
        parsed.hostname = host
    href = parsed.href
    if parsed.hash:
        parsed.hash = ""
        href = parsed.href
    return ParsedURL(
        href=href,
        scheme=scheme,
        host=host,
        port=int(parsed.port) if parsed.port else None,
        path=parsed.pathname or "/",
        query=parsed.search[1:],
        has_credentials=bool(parsed.username or parsed.password),
    )


def _is_tracking(name: str) -> bool:
    key = name.strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _is_session(name: str, value: str) -> bool:
    key = name.strip().lower()
    if key in SESSION_PARAMS or key.startswith("aspsessionid"):
        return True
    return key in _TOKEN_PARAMS and bool(_TOKEN.match(value))


def _clean_query(query: str) -> str:
    # Work on the raw "k=v" pieces so that values are not re-encoded here; canonicalize_url
    # does the single, uniform re-encoding afterwards.
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        name = name.replace("+", " ")
        if not (_is_tracking(name) or _is_session(name, value)):
            kept.append(piece)
    return "&".join(kept)


def _clean_path(path: str) -> str:
    path = _ASPNET_SESSION.sub("", _PATH_SESSION.sub("", path))
    return path or "/"


def normalize_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of *url* (resolved against *base* when relative).

    Idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.
    Raises :class:`BadURL` when the result is not an absolute http(s) URL.
    """
    parsed = parse_url(url, base)
    netloc = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    query = _clean_query(parsed.query)
    rebuilt = f"{parsed.scheme}://{netloc}{_clean_path(parsed.path)}"
    if query:
        rebuilt += f"?{query}"
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except (ValueError, UnicodeError) as exc:
        raise BadURL(f"cannot normalize URL {rebuilt[:200]!r}: {exc}") from exc


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
    """The lowercase, ASCII (UTS-46) host of *url*, without port (politeness is per host)."""
    return parse_url(url).host
