"""Main-content extraction (contract stub; the extractor is built on this interface)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractRules:
    body_selector: str | None = None
    discard_selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    url: str | None
    title: str
    text: str
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    method: str = "fallback"
    html: str | None = None


class ExtractionError(Exception):
    """The page could not be extracted within its bounds."""


def extract(html: str | bytes, url: str | None = None, rules: ExtractRules | None = None) -> Article:
    raise NotImplementedError
