from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.urls import BadURL, host_of, is_http_url, normalize_url


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
