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


# --- titles ------------------------------------------------------------------------------


def test_the_one_headline_beats_a_title_rewritten_for_search() -> None:
    # SEO plugins rewrite <title> and og:title; the reader sees the page's single <h1>.
    head = (
        "<title>Museum Renovation Costs For 2026 - Porto Daily</title>"
        '<meta property="og:title" content="Museum Renovation Costs For 2026 - Porto Daily">'
        '<meta property="og:site_name" content="Porto Daily">'
    )
    body = "<header><h1>What the museum renovation really cost the city</h1></header>"
    assert extract(_page(head, body)).title == "What the museum renovation really cost the city"


def test_a_lone_h1_about_something_else_is_not_the_headline() -> None:
    head = "<title>Museum reopens after renovation | Porto Daily</title>"
    body = "<aside><h1>A message from our editor-in-chief:</h1></aside>"
    assert extract(_page(head, body)).title == "Museum reopens after renovation"


def test_headline_line_breaks_and_entities_escaped_twice() -> None:
    head = "<title>Weekend Coding Agent &amp; Friends | Focus</title>"
    body = "<h1>WEEKEND<br>CODING AGENT &amp;#x26; FRIENDS</h1>"
    assert extract(_page(head, body)).title == "WEEKEND CODING AGENT & FRIENDS"


def test_site_named_by_its_host_is_neither_headline_nor_title_prefix() -> None:
    head = "<title>janedoe.example Notes on Gardening</title>"
    body = "<div><h1>janedoe.example</h1></div>"
    page = _page(head, body)
    assert extract(page, url="https://janedoe.example/archives/2025/12/16/x.html").title == (
        "Notes on Gardening"
    )


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("July 17, 2025", "2025-07-17"),
        ("Dec 18, 2025", "2025-12-18"),
        ("13/11/2025 09:21:40", "2025-11-13"),  # day first: only one reading is a date
        ("11/13/2025", "2025-11-13"),  # month first
        ("05/03/2024", None),  # March or May: left alone
        ("2025.12.17", "2025-12-17"),
    ],
)
def test_dates_written_out_in_words_or_figures(raw: str, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_publication_date_meta_names_beyond_open_graph() -> None:
    head = '<title>Museum</title><meta name="published" content="July 17, 2025">'
    assert extract(_page(head)).published == "2025-07-17"
    head = '<title>Museum</title><meta name="citation_publication_date" content="2021/03/09">'
    assert extract(_page(head)).published == "2021-03-09"


def test_dotted_date_in_the_dateline_under_the_headline() -> None:
    body = "<h1>Museum reopens</h1><p><span>Essay - Published: 2025.12.17 | </span></p>"
    assert extract(_page("<title>Museum reopens</title>", body)).published == "2025-12-17"


def test_the_date_the_page_shows_beside_its_headline_is_the_articles_date() -> None:
    # A reader dates a story by its dateline: it beats structured data written in words (a
    # template's text) and ISO 8601 values naming another day (an import or first-draft
    # date); a structured value naming the shown day is kept with its time and offset.
    body = "<h1>Museum reopens</h1><p>January 31, 2024 · 4 min read</p>"
    for declared, expected in (
        ("Nov 05, 2025", "2024-01-31"),
        ("2025-11-05", "2024-01-31"),
        ("2024-01-31T09:30:00+01:00", "2024-01-31T09:30:00+01:00"),
    ):
        head = "<title>Museum reopens</title>" + _ld(
            {"@type": "BlogPosting", "headline": "Museum reopens", "datePublished": declared}
        )
        assert extract(_page(head, body)).published == expected
    # With nothing visible, the written-out value is still better than nothing.
    head = "<title>Museum</title>" + _ld({"@type": "Article", "datePublished": "Nov 05, 2025"})
    assert extract(_page(head)).published == "2025-11-05"


def test_a_page_showing_only_its_update_is_dated_by_it() -> None:
    # The page was rewritten and shows only the rewrite's date: that is the article's date,
    # and the structured dateModified names it with its time.
    ld = _ld(
        {
            "@type": "Article",
            "headline": "Museum reopens",
            "datePublished": "2020-05-13T20:03:25+00:00",
            "dateModified": "2025-01-02T15:06:08+00:00",
        }
    )
    body = "<h1>Museum reopens</h1><p>Updated January 2, 2025</p><p>The museum reopened.</p>"
    article = extract(_page("<title>Museum reopens</title>" + ld, body))
    assert (article.published, article.modified) == (
        "2025-01-02T15:06:08+00:00",
        "2025-01-02T15:06:08+00:00",
    )
    # Shown nowhere: the first publication, as structured data gives it.
    article = extract(_page("<title>Museum reopens</title>" + ld))
    assert article.published == "2020-05-13T20:03:25+00:00"


def test_time_elements_of_teasers_and_comments_are_not_the_articles() -> None:
    body = (
        '<ul class="related-cards"><li><a href="/b"><time datetime="2025-10-23">23 Oct</time>'
        "Other story</a></li></ul>"
        '<div class="comment"><time datetime="2025-12-01">1 Dec</time></div>'
        '<p class="meta"><time datetime="2024-02-01T08:00:00+01:00">1 Feb 2024</time></p>'
    )
    assert extract(_page("<title>Museum</title>", body)).published == "2024-02-01T08:00:00+01:00"


# --- bylines -----------------------------------------------------------------------------


def _near_headline(after: str) -> str:
    return _page("<title>Museum reopens</title>", f"<h1>Museum reopens</h1>{after}")


def test_photo_credits_and_prose_are_not_bylines() -> None:
    article = extract(
        _near_headline(
            "<figure><figcaption>Photo by Solen Feyissa on Unsplash</figcaption></figure>"
            "<p>Officials said a study commissioned by Ana Lima in 2021 had warned about the"
            " cost of the building, which the council approved anyway after a long debate.</p>"
        )
    )
    assert article.authors == ()
    article = extract(_near_headline("<p>Photo by Solen Feyissa</p><p>By Rui Costa</p>"))
    assert article.authors == ("Rui Costa",)


def test_a_byline_name_stops_at_the_end_of_its_block() -> None:
    article = extract(
        _near_headline("<div><p>Articles by Juliette</p><p>DevOps &amp; Cloud</p></div>")
    )
    assert article.authors == ("Juliette",)


def test_reviewed_by_counts_only_when_no_writer_is_named() -> None:
    reviewed = "<p>Reviewed by Justin Mese, Trial Attorney, on December 9, 2024.</p>"
    assert extract(_near_headline(reviewed)).authors == ("Justin Mese",)
    assert extract(_near_headline("<p>By Ana Lima</p>" + reviewed)).authors == ("Ana Lima",)


def test_degrees_after_a_name_are_not_authors() -> None:
    head = "<title>Museum</title>" + _ld(
        {"@type": "Article", "author": {"@type": "Person", "name": "Jeffrey A. Slotnick, CPP, PSP"}}
    )
    assert extract(_page(head)).authors == ("Jeffrey A. Slotnick",)


def test_a_later_article_object_names_the_writer_when_the_first_names_the_publisher() -> None:
    head = (
        '<meta property="og:site_name" content="USA TODAY">'
        + _ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": ", USA TODAY"}})
        + _ld({"@type": "NewsArticle", "author": [{"name": "Brian Truitt"}]})
    )
    assert extract(_page(head)).authors == ("Brian Truitt",)


def test_written_by_label_of_seo_plugins() -> None:
    head = (
        '<title>Museum</title><meta name="twitter:label1" content="Written by">'
        '<meta name="twitter:data1" content="Ines Duarte">'
        '<meta name="twitter:label2" content="Est. reading time">'
        '<meta name="twitter:data2" content="4 minutes">'
    )
    assert extract(_page(head)).authors == ("Ines Duarte",)


def test_a_date_labelled_updated_is_published_only_when_nothing_else_is_written() -> None:
    both = "<h1>Museum reopens</h1><p>Updated June 5, 2025 | Published March 1, 2024</p>"
    assert extract(_page("<title>Museum reopens</title>", both)).published == "2024-03-01"
    only = "<h1>Museum reopens</h1><p>Last updated: June 5, 2025</p>"
    assert extract(_page("<title>Museum reopens</title>", only)).published == "2025-06-05"


def test_any_block_named_for_the_date_when_nothing_else_dates_the_page() -> None:
    body = (
        '<div class="related"><span class="card-date">1 May 2025</span></div>'
        '<div class="post-info__item--type-date">On 8 Oct 2022</div>'
    )
    assert extract(_page("<title>Museum</title>", body)).published == "2022-10-08"


def test_loose_byline_classes_skip_comment_authors() -> None:
    body = (
        '<div class="comments"><span class="comment-author">Zed Quill</span></div>'
        '<div class="articleAuthorBox"><span>Ines Duarte</span></div>'
    )
    assert extract(_page("<title>Museum</title>", body)).authors == ("Ines Duarte",)


def test_written_by_anywhere_outside_comments() -> None:
    box = '<footer><p>Written by <a href="/team/jc">John Crenshaw</a></p></footer>'
    comment = '<div id="comments"><p>Written by Zed Quill on Monday</p></div>'
    page = _page("<title>Museum</title>", "<main></main>")
    assert extract(page.replace("</body>", comment + box + "</body>")).authors == ("John Crenshaw",)


def test_an_h1_holding_the_sites_logo_is_not_the_headline() -> None:
    head = "<title>The Agency: machine learning in Georgia</title>"
    body = (
        '<header id="masthead"><div role="banner"><h1 id="gt-logo">'
        '<a href="/">Georgia Institute of Technology</a></h1></div></header>'
    )
    assert extract(_page(head, body)).title == "The Agency: machine learning in Georgia"


def test_a_byline_block_reads_line_by_line() -> None:
    body = (
        '<div class="post_author-name"><div>Joakim Edin</div>'
        "<div>Research &amp; Development</div></div>"
    )
    assert extract(_page("<title>Museum</title>", body)).authors == ("Joakim Edin",)


def test_names_in_any_script_and_microdata_names_in_attributes() -> None:
    body = "<h1>Museum reopens</h1><p>Par Émilie Dubois et Łukasz Żak</p>"
    article = extract(_page("<title>Museum reopens</title>", body))
    assert article.authors == ("Émilie Dubois", "Łukasz Żak")
    body = (
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<meta itemprop="name" content="Ines Duarte"></div>'
    )
    assert extract(_page("<title>Museum</title>", body)).authors == ("Ines Duarte",)


def test_the_main_entity_among_several_article_objects() -> None:
    # JSON-LD that describes related stories too: the object whose address is this page's.
    related = {
        "@type": "NewsArticle",
        "url": "https://news.example/other-story",
        "headline": "Other story",
        "datePublished": "2021-01-01",
        "author": {"@type": "Person", "name": "Zed Quill"},
    }
    this = {
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@id": "https://www.news.example/museum/"},
        "headline": "Museum reopens",
        "datePublished": "2024-06-01",
        "author": {"@type": "Person", "name": "Ines Duarte"},
    }
    article = extract(_page(_ld([related, this])), url="https://news.example/museum")
    assert (article.published, article.authors) == ("2024-06-01", ("Ines Duarte",))
    # No object names this page: the first one, as before.
    assert extract(_page(_ld([related, this]))).published == "2021-01-01"
