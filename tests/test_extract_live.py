"""Live blogs: the whole stream of timed posts is the article, header furniture never is.

The pages are written here, in the layouts live blogs use: posts as sibling blocks with their
own <time>, newest first, under a header with a "LIVE" badge, an "Updated N minutes ago" line
and counters; with and without JSON-LD LiveBlogPosting.
"""

from __future__ import annotations

import json

from scraper.extract import LivePost, extract

LONG = (
    "The river crested at 6.2 metres just after noon, the highest level recorded since the "
    "embankments were rebuilt, and the council has opened two more rest centres for families "
    "who left the lower town overnight; volunteers are taking sandbags to the bridge streets."
)


def live_page(
    posts: list[tuple[str, str]],
    *,
    jsonld: bool = True,
    updated: str = "Updated 5 minutes ago",
    comments: int = 51,
    stream_class: str = "live-stream",
) -> str:
    ld = (
        '<script type="application/ld+json">'
        + json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "LiveBlogPosting",
                "headline": "Floods live: river crests in the lower town",
                "datePublished": "2026-03-02T08:00:00+00:00",
                "author": {"@type": "Person", "name": "Ines Duarte"},
            }
        )
        + "</script>"
        if jsonld
        else ""
    )
    stream = "".join(
        f'<article class="live-post" id="post-{len(posts) - i}">'
        f'<time datetime="{when}">{when[11:16]}</time>'
        f'<div class="live-post-body"><p>{text}</p></div>'
        '<div class="live-post-share"><a href="#share">Share</a></div></article>'
        for i, (when, text) in enumerate(posts)
    )
    return (
        f"<html><head><title>Floods live: river crests in the lower town</title>{ld}</head>"
        '<body class="live"><header class="masthead"><a href="/">Valley Post</a>'
        '<nav><a href="/news">News</a> <a href="/sport">Sport</a></nav></header><main>'
        '<div class="live-blog">'
        f'<div class="live-header"><span class="live-badge">LIVE</span> &middot; {updated}</div>'
        '<h1 class="headline">Floods live: river crests in the lower town</h1>'
        '<p class="byline">By <a rel="author" href="/authors/ines">Ines Duarte</a> &middot; '
        f'<a class="comment-count" href="#comments">Comments ({comments})</a></p>'
        '<div class="live-intro"><p>Follow the latest on the floods in the lower town, where '
        "hundreds of homes were evacuated overnight as the river rose.</p></div>"
        f'<div class="{stream_class}">{stream}</div></div>'
        '<aside class="latest"><h2>Latest news</h2><ul><li><a href="/a">Council budget '
        "approved after a long night</a></li></ul></aside></main>"
        "<footer>About &copy; Valley Post</footer></body></html>"
    )


POSTS = [
    ("2026-03-02T12:40:00+00:00", LONG),
    ("2026-03-02T10:15:00+00:00", "Schools in the lower town will stay closed on Tuesday."),
    ("2026-03-02T08:00:00+00:00", "Good morning: the river is still rising at the old bridge."),
]
INTRO = (
    "Follow the latest on the floods in the lower town, where hundreds of homes were "
    "evacuated overnight as the river rose."
)


def test_one_long_post_does_not_hide_the_others() -> None:
    article = extract(live_page(POSTS), "https://valley.example/live/floods")
    assert article.kind == "live"
    assert article.method == "live"
    assert article.text == "\n\n".join([INTRO] + [text for _, text in POSTS])
    assert article.posts == tuple(
        LivePost(when, text, f"post-{3 - i}") for i, (when, text) in enumerate(POSTS)
    )


def test_header_furniture_is_never_text() -> None:
    texts = {
        extract(live_page(POSTS, updated=updated, comments=comments)).text
        for updated, comments in [
            ("Updated 5 minutes ago", 51),
            ("Updated 1 hour ago", 53),
            ("Updated 12 min ago", 7),
        ]
    }
    assert len(texts) == 1
    text = texts.pop()
    for furniture in ("LIVE", "Updated", "Comments", "Share", "Latest news", "Valley Post"):
        assert furniture not in text


def test_a_new_post_and_a_typo_fix_change_the_text() -> None:
    before = extract(live_page(POSTS))
    newer = [("2026-03-02T13:05:00+00:00", "The bridge has reopened to pedestrians.")] + POSTS
    after = extract(live_page(newer))
    assert after.text.count("\n\n") == before.text.count("\n\n") + 1
    assert len(after.posts) == len(before.posts) + 1
    assert after.posts[0].time == "2026-03-02T13:05:00+00:00"
    typo = [(POSTS[0][0], POSTS[0][1].replace("sandbags", "sandbgas"))] + POSTS[1:]
    assert extract(live_page(typo)).text != before.text


def test_markup_alone_shows_a_live_blog() -> None:
    article = extract(live_page(POSTS, jsonld=False))
    assert article.kind == "live"
    assert len(article.posts) == 3


def test_timed_posts_without_a_live_marker_are_not_a_live_blog() -> None:
    # A forum thread or a news list also repeats timed blocks: without JSON-LD and without a
    # "live" name, the page stays an ordinary article.
    page = live_page(POSTS, jsonld=False, stream_class="thread").replace(
        'class="live', 'class="page'
    )
    article = extract(page)
    assert article.kind == "article"
    assert article.posts == ()


def test_posts_from_jsonld_when_the_markup_has_no_stream() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": "Budget day live",
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "datePublished": "2026-03-04T12:30:00Z",
                "articleBody": "The speech is over.",
            },
            {
                "@type": "BlogPosting",
                "datePublished": "2026-03-04T11:00:00Z",
                "articleBody": "The chancellor is on her feet.",
            },
        ],
    }
    page = (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>'
        "<body><h1>Budget day live</h1><div class='story'><p>" + LONG + "</p></div></body></html>"
    )
    article = extract(page)
    assert article.kind == "live"
    assert [p.text for p in article.posts] == [
        "The speech is over.",
        "The chancellor is on her feet.",
    ]
    assert article.posts[0].time == "2026-03-04T12:30:00+00:00"


def test_an_ordinary_article_is_not_live() -> None:
    page = (
        "<html><body><article><h1>Council budget approved</h1>"
        f"<p>{LONG}</p><p>{LONG}</p></article></body></html>"
    )
    article = extract(page)
    assert article.kind == "article"
    assert article.posts == ()
