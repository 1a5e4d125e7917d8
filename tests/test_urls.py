from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.urls import BadURL, BadURLScheme, host_of, is_http_url, normalize_url, parse_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/A/b", "http://example.com/A/b"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://example.com:443/x", "http://example.com:443/x"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=X&gclid=Y",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?mc_cid=1&mc_eid=2&UTM_Campaign=3", "https://example.com/a"),
        (
            "https://www.bbc.com/news/articles/c1?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.com/news/articles/c1",
        ),
        ("https://bücher.example/Straße", "https://xn--bcher-kva.example/Stra%C3%9Fe"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("https://example.com/Mixed/Case/Path", "https://example.com/Mixed/Case/Path"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_aliases_collapse_to_one_url() -> None:
    aliases = [
        "HTTPS://WWW.Example.com:443/news/story?b=2&a=1&utm_source=twitter#comments",
        "https://www.example.com/news/story?a=1&b=2",
        "https://www.example.com/news/story?fbclid=abc&a=1&b=2",
    ]
    assert len({normalize_url(u) for u in aliases}) == 1


def test_relative_url_resolved_against_base() -> None:
    base = "https://example.com/news/world/index.html"
    assert normalize_url("../politics/x?utm_term=a", base) == "https://example.com/news/politics/x"
    assert normalize_url("//cdn.example.com/a", base) == "https://cdn.example.com/a"
    assert normalize_url("/abs", base) == "https://example.com/abs"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "not a url",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "ftp://example.com/file",
        "http://",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://a..b/",
        "http://example.com/\x00",
        "//example.com/no-scheme",
        "http://" + "a" * 10_000 + ".com/",
    ],
)
def test_garbage_raises_bad_url(garbage: str) -> None:
    with pytest.raises(BadURL):
        normalize_url(garbage)
    assert not is_http_url(garbage)


def test_bad_url_is_a_value_error_and_rejects_non_strings() -> None:
    assert issubclass(BadURL, ValueError)
    with pytest.raises(BadURL, match="expected a URL string"):
        normalize_url(42)  # type: ignore[arg-type]
    assert not is_http_url(None)


def test_is_http_url_and_host_of() -> None:
    assert is_http_url("https://example.com/a")
    assert host_of("HTTPS://News.Example.COM:8443/a?b=1") == "news.example.com"
    assert host_of("https://bücher.example/") == "xn--bcher-kva.example"
    with pytest.raises(BadURL):
        host_of("mailto:x@example.com")


_segments = st.text(alphabet="abcXYZ019-_.~%é ", min_size=0, max_size=8)
_urls = st.builds(
    lambda scheme, host, port, path, query, frag: (
        f"{scheme}://{host}{port}/{'/'.join(path)}?{'&'.join(f'{k}={v}' for k, v in query)}#{frag}"
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.sampled_from(["example.com", "EXAMPLE.com", "news.example.org", "bücher.example"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(_segments, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "utm_source", "fbclid", "id", "Q"]), _segments),
        max_size=4,
    ),
    _segments,
)


@given(_urls)
def test_normalize_is_idempotent_and_drops_tracking(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert "#" not in once
    assert "utm_source=" not in once and "fbclid=" not in once
    assert once.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # credentials never reach the archive
        ("http://user:secret@example.com/a", "http://example.com/a"),
        ("https://user@example.com:8443/a", "https://example.com:8443/a"),
        # "example.com@" is a user name: the host is the one after the "@"
        ("http://example.com@other.example/a", "http://other.example/a"),
        # UTS-46 (WHATWG), not IDNA 2003: ß is kept, not folded to ss
        ("http://faß.de/", "http://xn--fa-hia.de/"),
        ("http://FASS.de/", "http://fass.de/"),
        ("http://ＥＸＡＭＰＬＥ.com/", "http://example.com/"),
        # WHATWG IPv4 parsing: one host, one spelling
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        # session ids: path parameters, ASP.NET segments, query parameters
        ("http://example.com/a;jsessionid=0123ABC?id=1", "http://example.com/a?id=1"),
        ("http://example.com/a;JSESSIONID=x/b", "http://example.com/a/b"),
        (
            "http://example.com/(S(lit3py55t21z5v55vlm25s55))/page.aspx",
            "http://example.com/page.aspx",
        ),
        ("http://example.com/(X(1)S(abc123))/a/b", "http://example.com/a/b"),
        ("http://example.com/a?PHPSESSID=9f8e7d6c5b4a&id=2", "http://example.com/a?id=2"),
        ("http://example.com/a?ASPSESSIONIDQQ=KJH&x=1", "http://example.com/a?x=1"),
        (
            "http://example.com/viewtopic?t=5&sid=0123456789abcdef0123",
            "http://example.com/viewtopic?t=5",
        ),
        # a short or structured sid is a story id, kept
        (
            "http://example.com/article.pl?sid=04/09/22/1234212",
            "http://example.com/article.pl?sid=04%2F09%2F22%2F1234212",
        ),
        ("http://example.com/a?sid=42", "http://example.com/a?sid=42"),
    ],
)
def test_whatwg_normalization(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected


def test_a_session_trap_adds_no_article() -> None:
    """A site writing a fresh session id into each link gives one URL, crawl after crawl."""
    seen = {
        normalize_url(f"https://example.com/news/story;jsessionid={token}?PHPSESSID={token}")
        for token in ("A1B2C3D4E5F6A7B8", "FFEE0011223344556677", "0000000000000000")
    }
    assert seen == {"https://example.com/news/story"}


@pytest.mark.parametrize(
    "trick",
    [
        "http://127.0.0.1:8080\\@example.com/",
        "http://example.com\\@127.0.0.1/",
        "http:\\\\example.com/",
        "http:/\\example.com/",
        "https://example.com\\.evil.example/",
    ],
)
def test_backslash_tricks_are_refused(trick: str) -> None:
    with pytest.raises(BadURL, match="backslash"):
        normalize_url(trick)


@pytest.mark.parametrize(
    "location", ["\\\\evil.example/x", "/\\evil.example/x", "\\/evil.example/"]
)
def test_backslash_tricks_are_refused_in_relative_links(location: str) -> None:
    with pytest.raises(BadURL, match="backslash"):
        normalize_url(location, "https://example.com/news/")


def test_backslash_later_in_the_path_is_a_slash_as_in_browsers() -> None:
    assert normalize_url("https://example.com/a\\b") == "https://example.com/a/b"


def test_parse_url_reports_credentials_and_one_host() -> None:
    parsed = parse_url("HTTP://u:p@Example.COM:80/a/../b?q=1#frag")
    assert parsed.has_credentials
    assert (parsed.scheme, parsed.host, parsed.port, parsed.path, parsed.query) == (
        "http",
        "example.com",
        None,
        "/b",
        "q=1",
    )
    assert "#" not in parsed.href
    with pytest.raises(BadURLScheme):
        parse_url("ftp://example.com/")
