"""Metadata: JSON-LD (@graph, arrays, @id references), meta tags, visible markup, dates."""

from __future__ import annotations

import json

import pytest

from scraper.extract import extract
from scraper.extract.metadata import normalize_date

BODY = (
    "<p>The museum reopened on Saturday after a two-year renovation that cost more than "
    "the building itself did in 1911, according to the city's own accounts.</p>"
) * 3


def _page(head: str, body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}<article>{BODY}</article></body></html>"


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_jsonld_graph_with_author_reference_and_keywords() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Person", "@id": "#p1", "name": "Ines Duarte"},
            {"@type": "Organization", "@id": "#org", "name": "Gazeta do Porto"},
            {
                "@type": "NewsArticle",
                "headline": "Museum reopens",
                "author": [{"@id": "#p1"}, {"@type": "Person", "name": "Rui Lopes"}],
                "publisher": {"@id": "#org"},
                "datePublished": "2024-06-01T09:00:00Z",
                "dateModified": "2024-06-01T10:30:00.000+01:00",
                "keywords": ["museums", "culture"],
                "articleSection": ["Culture", "Porto"],
                "inLanguage": "pt-PT",
                "image": [{"@type": "ImageObject", "url": "https://img.example/m.jpg"}],
            },
        ],
    }
    article = extract(_page(_ld(graph), "<h1>Museum reopens</h1>"))
    assert article.title == "Museum reopens"
    assert article.authors == ("Ines Duarte", "Rui Lopes")
    assert article.site_name == "Gazeta do Porto"
    assert article.published == "2024-06-01T09:00:00+00:00"
    assert article.modified == "2024-06-01T10:30:00+01:00"
    assert article.tags == ("museums", "culture")
    assert article.section == "Culture"
    assert article.language == "pt-PT"
    assert article.image == "https://img.example/m.jpg"


def test_top_level_jsonld_array_and_broken_jsonld_are_tolerated() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", broken</script>' + _ld(
        [
            {"@type": "BreadcrumbList"},
            {
                "@type": "BlogPosting",
                "headline": "Museum reopens",
                "author": "By Ana Sousa and Joel Reis",
            },
        ]
    )
    article = extract(_page(head))
    assert article.authors == ("Ana Sousa", "Joel Reis")
    assert article.title == "Museum reopens"


def test_visible_headline_beats_title_with_site_suffix() -> None:
    head = (
        "<title>Museum reopens after renovation | Porto Daily</title>"
        '<meta property="og:title" content="Museum reopens after renovation | Porto Daily">'
        '<meta property="og:site_name" content="Porto Daily">'
    )
    article = extract(_page(head, "<h1>Museum reopens after renovation</h1>"))
    assert article.title == "Museum reopens after renovation"
    # Without an <h1>, the declared title minus the site name.
    assert extract(_page(head)).title == "Museum reopens after renovation"


def test_meta_tags_after_a_head_noscript_are_still_read() -> None:
    # With scripting off, <noscript><img> closes <head>: later metas land in <body>.
    head = (
        '<noscript><img src="https://pixel.example/p.gif"></noscript>'
        '<meta property="article:published_time" content="2024-02-03T04:05:06+02:00">'
        '<meta name="author" content="Lea Vogt">'
        '<link rel="canonical" href="/kultur/museum">'
    )
    article = extract(_page(head), url="https://zeitung.example/a?utm=1")
    assert article.published == "2024-02-03T04:05:06+02:00"
    assert article.authors == ("Lea Vogt",)
    assert article.canonical_url == "https://zeitung.example/kultur/museum"


def test_byline_and_time_element_when_nothing_is_declared() -> None:
    body = (
        '<div class="byline">By <a rel="author" href="/a/1">Mara Ilic</a></div>'
        '<time datetime="2023-11-05T18:20:00-05:00">Nov 5</time>'
    )
    article = extract(_page("<title>Museum</title>", body))
    assert article.authors == ("Mara Ilic",)
    assert article.published == "2023-11-05T18:20:00-05:00"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-14T07:30:00+01:00", "2024-05-14T07:30:00+01:00"),
        ("2024-05-14T07:30:00Z", "2024-05-14T07:30:00+00:00"),
        ("2024-05-14T07:30:00.123Z", "2024-05-14T07:30:00.123000+00:00"),
        ("2024-05-14", "2024-05-14"),
        ("20240514", "2024-05-14"),
        ("2024-05-14 07:30", "2024-05-14T07:30:00"),
        ("Tue, 14 May 2024 07:30:00 +0200", "2024-05-14T07:30:00+02:00"),
        ("yesterday", None),
        ("", None),
        ("1066-10-14", None),
    ],
)
def test_normalize_date(raw: str, expected: str | None) -> None:
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ('<p class="byline">By Ana Lima | March 5, 2024</p>', "2024-03-05"),
        ('<div class="dateline">Lisbon, 5th Mar. 2024</div>', "2024-03-05"),
        ('<span class="date">Posted 2023-12-31</span>', "2023-12-31"),
    ],
)
def test_date_written_in_a_byline(byline: str, expected: str) -> None:
    assert extract(_page("<title>Museum</title>", byline)).published == expected
