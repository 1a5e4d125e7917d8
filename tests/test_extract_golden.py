"""Golden pages: realistic layouts with the text and metadata a perfect extractor returns.

Each ``tests/pages/NAME.html`` has a ``NAME.json`` beside it: the expected fields, the exact
text, and ``absent``: boilerplate strings that must not leak into the text. The pages are
written for these tests (WordPress theme, broadsheet with rails, live blog, in-article "Read
more" boxes, right-to-left Arabic in windows-1256, paywalls with and without JSON-LD).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.extract import extract

PAGES = Path(__file__).parent / "pages"
NAMES = sorted(p.stem for p in PAGES.glob("*.html"))
FIELDS = (
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "section",
    "tags",
    "canonical_url",
    "method",
    "encoding",
)


def test_golden_pages_exist() -> None:
    assert len(NAMES) >= 6
    assert all((PAGES / f"{name}.json").exists() for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_golden_page(name: str) -> None:
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    article = extract((PAGES / f"{name}.html").read_bytes(), expected["url"])
    assert article.text == expected["text"]
    for field in FIELDS:
        if field in expected:
            value = getattr(article, field)
            if isinstance(value, tuple):
                value = list(value)
            assert value == expected[field], field
    leaked = [s for s in expected["absent"] if s in article.text]
    assert leaked == []
