"""The seed page: exact text and metadata, and stability under boilerplate changes.

The archive records a new version whenever the extracted text changes, so the text must ignore
rotating teasers, new comments and sidebar edits, and must follow every edit of the body.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scraper.extract import Article, extract

URL = "https://www.iranfocus.com/en/blog/the-meks-role-in-the-iran-iraq-war/"


@pytest.fixture
def seed(seed_dir: Path) -> tuple[str, dict]:
    page = (seed_dir / "page.html").read_text(encoding="utf-8")
    expected = json.loads((seed_dir / "expected.json").read_text(encoding="utf-8"))
    return page, expected


def _extract(page: str) -> Article:
    return extract(page, URL)


def test_seed_text_and_title_are_exact(seed: tuple[str, dict]) -> None:
    page, expected = seed
    article = _extract(page)
    assert article.title == expected["title"]
    assert article.text == expected["text"]
    assert article.method == "article"


def test_seed_text_has_no_boilerplate(seed: tuple[str, dict]) -> None:
    page, expected = seed
    text = _extract(page).text
    leaked = [s for s in expected["boilerplate_samples"] if s in text]
    assert leaked == []


def test_seed_metadata(seed: tuple[str, dict]) -> None:
    page, expected = seed
    article = _extract(page)
    assert article.authors == ("Jubin Katiraie",)
    assert article.published == expected["published"]
    assert article.modified == "2018-09-24T11:41:57+00:00"
    assert article.canonical_url == URL
    assert article.site_name == "Iran Focus"
    assert article.language == "en-US"
    assert article.section == "Blog"
    assert article.tags == ("Camp Ashraf", "Iran-Iraq war", "MEK", "NLA")
    assert article.image and article.image.endswith("mek-nla-1988.jpg")


def test_seed_bytes_input_gives_the_same_article(seed: tuple[str, dict]) -> None:
    page, expected = seed
    article = extract(page.encode("utf-8"), URL)
    assert article.text == expected["text"]
    assert article.encoding is not None and article.encoding.replace("_", "-").startswith("utf")


def test_rotating_teasers_do_not_change_the_text(seed: tuple[str, dict]) -> None:
    page, expected = seed
    rotated = (
        page.replace(
            "Fabricated Statistics in Iran&#8217;s Economy", "Bread Prices Double in Tehran"
        )
        .replace("EU Sanctions on Iran Are Not Enough", "A Quiet Week at the Border Crossings")
        .replace("Latest news", "Breaking now")
        .replace("Must read", "Editor's picks")
    )
    assert rotated != page
    assert _extract(rotated).text == expected["text"]


def test_new_comment_does_not_change_the_text(seed: tuple[str, dict]) -> None:
    page, expected = seed
    comment = (
        '<ol class="comment-list"><li class="comment even thread-even depth-1" id="li-comment-9">'
        '<article><footer><div class="comment-author">Sara K.</div></footer>'
        '<div class="comment-content"><p>I have read every article on this subject and this '
        "one is by far the most complete account of the war years, thank you.</p></div>"
        "</article></li>"
    )
    changed = page.replace('<ol class="comment-list">', comment, 1)
    assert changed != page
    assert _extract(changed).text == expected["text"]


def test_sidebar_change_does_not_change_the_text(seed: tuple[str, dict]) -> None:
    page, expected = seed
    start = page.index('<div class="td_block_wrap td_block_social_counter')
    widget = (
        '<div class="td_block_wrap td_flex_block_1"><div class="td-block-title-wrap">'
        '<h4 class="td-block-title"><span>Most popular</span></h4></div>'
        "<p>A long teaser paragraph about something else entirely, written to look like an "
        "excerpt of another story, with commas, clauses, and enough words to score.</p></div>"
    )
    changed = page[:start] + widget + page[start:]
    changed = changed.replace("61,203", "61,977")
    assert _extract(changed).text == expected["text"]


def test_one_word_body_edit_changes_the_text_by_that_word(seed: tuple[str, dict]) -> None:
    page, expected = seed
    changed = page.replace("small patch of barren land", "small patch of arid land", 1)
    assert changed != page
    text = _extract(changed).text
    assert text != expected["text"]
    assert text == expected["text"].replace("barren land", "arid land")
    removed = set(re.findall(r"\w+", expected["text"])) - set(re.findall(r"\w+", text))
    assert removed == {"barren"}
