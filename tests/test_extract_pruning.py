"""Pruning inside the article container: what goes, and the look-alikes that must stay."""

from __future__ import annotations

from scraper.extract import explain, extract

P1 = (
    "The council voted on Monday night to close the library for six months, after engineers "
    "found that the roof over the reading room could no longer carry the snow of a hard winter."
)
P2 = (
    "Repairs will cost about 2.4 million, most of it from a state grant, and the children's "
    "section will move to the community hall on Bridge Street while the work is under way."
)
P3 = (
    "Librarians said the move would be hard on older readers, many of whom walk to the "
    "building, but that the mobile library would add two stops near the retirement homes."
)


def _page(inner: str) -> str:
    return (
        "<html><body><div class='entry-content'>"
        f"<p>{P1}</p>{inner}<p>{P2}</p><p>{P3}</p>"
        "</div></body></html>"
    )


def test_link_cluster_inside_a_paragraph_is_dropped() -> None:
    card = (
        "<span class='person-card'><a href='/p/1'>Dana Reyes</a><a href='/a/1'>Council backs "
        "new cycle lanes</a> <a href='/a/2'>Budget vote delayed again</a></span>"
    )
    page = _page(f"<p>Councillor <a href='/p/1'>Dana Reyes</a>{card} voted against it.</p>")
    text = extract(page).text
    assert "Councillor Dana Reyes voted against it." in text
    assert "cycle lanes" not in text


def test_read_more_lines_and_teasers_are_dropped() -> None:
    inner = (
        "<p><strong>Read more:</strong> <a href='/x'>Library fines abolished</a></p>"
        "<ul><li><a href='/y'>Roof repairs at the town hall run over budget again</a> The town "
        "hall roof, repaired only last year, is leaking again and the contractor...</li></ul>"
    )
    text = extract(_page(inner)).text
    assert "Library fines" not in text
    assert "town hall" not in text
    assert text == "\n\n".join([P1, P2, P3])


def test_comment_thread_bigger_than_the_article_is_dropped() -> None:
    comment = (
        "<div class='commentBody'><p>"
        + ("I have been a member for forty years. " * 8)
        + "</p></div>"
    )
    page = (
        f"<html><body><main><p>{P1}</p><p>{P2}</p>"
        f"<section id='userComments'>{comment * 4}</section></main></body></html>"
    )
    report = explain(page)
    assert "forty years" not in extract(page).text
    assert any("comments" in d["reason"] for d in report["discarded"])


def test_layout_wrappers_with_boilerplate_names_are_kept() -> None:
    page = (
        "<html><body><div class='content-with-sidebar-wrap'><div class='widget-area-main'>"
        f"<p>{P1}</p><p>{P2}</p><p>{P3}</p></div></div>"
        "<div class='sidebar'><p>Opening hours and a map of all branches of the library.</p>"
        "</div></body></html>"
    )
    assert extract(page).text == "\n\n".join([P1, P2, P3])


def test_quoted_posts_tables_and_subheadings_stay() -> None:
    inner = (
        "<h2 class='subheadline'>What happens next</h2>"
        "<blockquote class='twitter-tweet'><p>The library will reopen in the spring, we "
        "promise.</p></blockquote>"
        "<table><tr><td><a href='/b/1'>Main branch</a></td><td>closed</td></tr>"
        "<tr><td><a href='/b/2'>East branch</a></td><td>open</td></tr></table>"
    )
    text = extract(_page(inner)).text
    assert "What happens next" in text
    assert "reopen in the spring" in text
    assert "Main branch\n\nclosed" in text


def test_camel_case_boilerplate_classes_are_recognised() -> None:
    inner = (
        "<div class='relatedArticles'><h3>More on this</h3><p>Five other libraries that "
        "closed for repairs last year and what became of them afterwards.</p></div>"
    )
    assert "Five other libraries" not in extract(_page(inner)).text


def test_headline_goes_but_later_h1_subheadings_stay() -> None:
    page = (
        "<html><head><title>Library to close for repairs | Town Post</title></head><body>"
        "<article><h1>Library to close for repairs</h1>"
        f"<p>{P1}</p><h1>What the engineers found</h1><p>{P2}</p>"
        "<p class='repeat'>Library to close for repairs</p></article></body></html>"
    )
    article = extract(page)
    assert article.title == "Library to close for repairs"
    assert article.text == "\n\n".join([P1, "What the engineers found", P2])


def test_a_page_that_is_not_one_article_gives_its_whole_main_content() -> None:
    # A service page: one small block matches a body rule (".post"), while most of the page's
    # prose sits in sections no rule names. The small block alone would lose most of the page.
    sections = "".join(
        f"<section><h2>Service {i}</h2><p>We repair roofs, gutters and chimneys across the "
        f"county, with a written quote within {i + 2} days and a ten-year guarantee on the "
        "work, materials included, whatever the weather in the meantime.</p></section>"
        for i in range(8)
    )
    page = (
        "<html><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        "<div class='post'><p>Our family business has served the valley since 1962, and many "
        "of our customers have stayed with us for three generations, through every storm and "
        "every winter; we still answer the phone ourselves, six days a week.</p></div>"
        f"{sections}<footer><a href='/privacy'>Privacy</a></footer></body></html>"
    )
    article = extract(page)
    assert article.method == "page"
    assert "since 1962" in article.text
    assert all(f"within {i + 2} days" in article.text for i in range(8))
    assert "Privacy" not in article.text
    report = explain(page)
    assert report["method"] == "page"
    assert "fifth" in report["why"]
    assert sum(c["won"] for c in report["candidates"]) == 1


def test_a_forum_thread_is_its_stream_of_posts_not_its_longest_post() -> None:
    posts = "".join(
        f"<article class='message' id='post-{i}'><div class='message-body'><p>Post {i}: "
        + ("I replaced the valve myself last spring, and it has held ever since. " * (i + 2))
        + "</p></div></article>"
        for i in range(4)
    )
    page = (
        "<html><body><header><h1>Replacing a boiler valve</h1></header>"
        f"<div class='thread'>{posts}</div>"
        "<article class='teaser'><a href='/t/2'>Another thread about radiators</a></article>"
        "</body></html>"
    )
    text = extract(page).text
    assert all(f"Post {i}:" in text for i in range(4))
    assert "Another thread" not in text


def test_a_listing_page_keeps_its_lists_of_linked_items() -> None:
    # A category page: its content is lists of links to items, which an article's pruning
    # drops as link lists; the one short paragraph alone would be a fifth of the page's text.
    items = "".join(
        f"<li><a href='/lang/{i}'>Programming language number {i} with a long name</a></li>"
        for i in range(30)
    )
    page = (
        "<html><body><nav class='menu'><a href='/'>Home</a> <a href='/help'>Help</a></nav>"
        "<main><p>This category lists individual programming languages, from the oldest to "
        "the newest, each with its own page.</p>"
        f"<div id='pages'><ul>{items}</ul></div></main>"
        "<footer><a href='/terms'>Terms of use</a></footer></body></html>"
    )
    article = extract(page)
    assert article.method == "page"
    assert "This category lists" in article.text
    assert all(f"number {i} with" in article.text for i in range(30))
    assert "Terms of use" not in article.text


def test_hidden_text_goes_but_aria_hidden_and_folded_sections_stay() -> None:
    # display:none and [hidden] blocks are not shown; aria-hidden only hides from screen
    # readers, and a tab panel or accordion is the page's own content folded until a click.
    inner = (
        "<div style='display: none'><p>A hidden promotional banner nobody sees on the page.</p></div>"
        "<div hidden><p>Another block the page keeps out of sight entirely.</p></div>"
        "<div aria-hidden='true'><p>Opening hours are nine to five on weekdays.</p></div>"
        "<div class='tab-pane' style='display:none'><p>Specifications: oak, 80 by 40 cm.</p></div>"
        "<div role='tabpanel' hidden><p>Care: wipe clean with a damp cloth.</p></div>"
        "<div class='accordion-body' style='display:none'><p>Delivery within ten days.</p></div>"
        "<div class='faq-answer' hidden><p>Returns are free for thirty days.</p></div>"
    )
    text = extract(_page(inner)).text
    assert "promotional banner" not in text
    assert "out of sight" not in text
    for shown in (
        "Opening hours",
        "Specifications: oak",
        "Care: wipe",
        "Delivery within",
        "Returns are",
    ):
        assert shown in text


def test_a_consent_dialog_is_never_the_article() -> None:
    # A cookie-consent modal holds more prose than a short story's page: as the densest
    # block it would win, as part of a whole page pruned it would lead the text.
    settings = " ".join(
        f"<p>We process your data for purpose {n}, to deliver content, measure its delivery "
        f"and extract insights about our website, as our partners do for purpose {n}.</p>"
        for n in range(12)
    )
    dialog = f"<div role='dialog' aria-modal='true'><div class='ot-pc'>{settings}</div></div>"
    story = f"<div class='story-wrap'><h1>Library closes</h1><p>{P1}</p><p>{P2}</p></div>"
    for role in ("dialog", "alertdialog"):
        page = f"<html><body>{story}{dialog.replace('dialog', role, 1)}</body></html>"
        text = extract(page).text
        assert P1 in text and P2 in text
        assert "We process your data" not in text
