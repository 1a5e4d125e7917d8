"""Article metadata from the page head, JSON-LD and visible markup.

Publishers describe the same facts in several places of varying reliability, so every field is
read from an ordered list of sources (structured data first, visible markup last) and the first
usable value wins. Everything here is pure: it reads a parsed tree and returns plain values.

May import: the other :mod:`scraper.extract` modules.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

# schema.org types whose objects describe the article itself.
_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "socialmediaposting",
        "posting",
        "report",
        "satiricalarticle",
    }
)
_PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage"})

_QUERY = 'meta[content], title, link[rel="canonical"], script[type="application/ld+json"], h1'
_MAX_JSONLD_CHARS = 2_000_000
_MAX_JSONLD_OBJECTS = 2_000
_WORD = re.compile(r"\w+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door|av|af)\s*[:\s]\s*", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bi\b)\s*", re.IGNORECASE
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_MONTH_DAY_YEAR = re.compile(
    _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})", re.IGNORECASE
)
_DAY_MONTH_YEAR = re.compile(
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d{2})",
    re.IGNORECASE,
)
_ISO_DAY = re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b")
_DATE_HOLDERS = ".byline, .dateline, .date, .post-date, .entry-date, .published, .timestamp"
_DATELINE_AFTER = 400
_BYLINE_AFTER = 1_000
_YEAR = re.compile(r"(?:19|20)\d\d")
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "-comment"})
_DATELINE_BEFORE = 200
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?!\d)")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+")


@dataclass(frozen=True)
class Metadata:
    """Everything known about the page apart from its main text."""

    title: str | None = None
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
    article_body: str | None = None
    headline_candidates: tuple[str, ...] = ()
    live: bool = False  # JSON-LD says LiveBlogPosting
    # The live blog's posts as JSON-LD lists them (liveBlogUpdate): (time, text) pairs.
    live_updates: tuple[tuple[str | None, str], ...] = ()


def read_metadata(tree: LexborHTMLParser, url: str | None = None) -> Metadata:
    """Collect metadata from a parsed page (call before the tree is cleaned)."""
    # One traversal for everything the head (and the misparsed head) can hold.
    found: dict[str, list[LexborNode]] = {
        "meta": [],
        "title": [],
        "link": [],
        "script": [],
        "h1": [],
    }
    for node in tree.css(_QUERY):
        found[node.tag or ""].append(node)
    meta = _meta_tags(found["meta"])
    ld = _jsonld_article(found["script"])
    page = ld.get("page", {})
    art = ld.get("article", {})

    headline = _first_str(art.get("headline"), art.get("name"))
    og_title = meta.get("og:title") or meta.get("twitter:title")
    html_title = _text(found["title"][0]) if found["title"] else None
    site_name = _first_str(
        meta.get("og:site_name"),
        _name_of(art.get("publisher"), ld.get("ids", {})),
        meta.get("application-name"),
    )
    # Some CMSs escape titles twice ("&amp;amp;" in the source reads "&amp;").
    references = tuple(
        html_lib.unescape(t) if "&" in t else t for t in (headline, og_title, html_title) if t
    )
    title = _visible_headline(found["h1"], references, site_name)

    published = _first_date(
        art.get("datePublished"),
        meta.get("article:published_time"),
        meta.get("og:article:published_time"),
        meta.get("datepublished"),
        meta.get("date"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("publish-date"),
        meta.get("dc.date.issued"),
        meta.get("dc.date"),
        meta.get("dcterms.created"),
        meta.get("sailthru.date"),
        meta.get("parsely-pub-date"),
        art.get("dateCreated"),
        page.get("datePublished"),
        lambda: _time_element(tree, "datePublished"),
        lambda: _byline_date(tree),
        lambda: _dateline_near_headline(tree, found["h1"], title),
        lambda: _url_date(url),
    )
    modified = _first_date(
        art.get("dateModified"),
        meta.get("article:modified_time"),
        meta.get("og:updated_time"),
        meta.get("datemodified"),
        meta.get("last-modified"),
        meta.get("dcterms.modified"),
        page.get("dateModified"),
        lambda: _time_element(tree, "dateModified"),
    )

    # People first: an organisation named as the author (the publisher, a brand) is kept
    # only when no person is named anywhere, in structured data or in the visible byline.
    ids = ld.get("ids", {})
    organisations = _clean_authors(_names(art.get("author"), ids, organisations=True))
    authors = _clean_authors(
        _names(art.get("author"), ids)
        or _split_authors(meta.get("author"))
        or _split_authors(_non_url(meta.get("article:author")))
        or _split_authors(meta.get("parsely-author"))
        or _split_authors(meta.get("sailthru.author"))
        or _byline_authors(tree)
        or _byline_near_headline(found["h1"], title)
    )
    publishers = {
        _letters(n) for n in (site_name, _name_of(art.get("publisher"), ids), _host_label(url)) if n
    }
    people = tuple(a for a in authors if _letters(a) not in publishers)
    if len(people) < len(authors):  # the publisher named as author: look for a person
        organisations = organisations or tuple(a for a in authors if a not in people)
        people = people or _clean_authors(
            _byline_authors(tree) or _byline_near_headline(found["h1"], title)
        )
        people = tuple(a for a in people if _letters(a) not in publishers)
    authors = people or organisations

    canonical = _attr(found["link"][0], "href") if found["link"] else None
    canonical = canonical or meta.get("og:url")
    if canonical and url and not re.match(r"^[a-z][a-z0-9+.-]*:", canonical, re.IGNORECASE):
        from urllib.parse import urljoin

        canonical = urljoin(url, canonical)

    language = (
        _attr(tree.root, "lang")
        or meta.get("content-language")
        or _first_str(art.get("inLanguage"))
        or _locale_language(meta.get("og:locale"))
    )
    section = _first_str(art.get("articleSection"), meta.get("article:section"))
    tags = _dedupe(
        _keywords(art.get("keywords"))
        or tuple(meta.get_all("article:tag"))
        or _keywords(meta.get("news_keywords"))
        or _keywords(meta.get("keywords"))
    )
    description = _first_str(
        meta.get("og:description"), meta.get("description"), art.get("description")
    )
    image = _first_str(
        meta.get("og:image"),
        meta.get("og:image:url"),
        meta.get("twitter:image"),
        _image_url(art.get("image"), ld.get("ids", {})),
        _first_str(art.get("thumbnailUrl")),
    )
    body = art.get("articleBody")
    return Metadata(
        title=title,
        authors=authors,
        published=published,
        modified=modified,
        canonical_url=canonical,
        language=language.strip() if language else None,
        site_name=site_name,
        description=_squash(description) if description else None,
        image=image,
        section=section,
        tags=tags,
        article_body=body if isinstance(body, str) and body.strip() else None,
        headline_candidates=references,
        live="liveblogposting" in _types(art) if art else False,
        live_updates=_live_updates(art.get("liveBlogUpdate"), ids) if art else (),
    )


def _live_updates(value: Any, ids: dict[str, Any]) -> tuple[tuple[str | None, str], ...]:
    """A LiveBlogPosting's liveBlogUpdate items as (time, text), in the order given."""
    items = value if isinstance(value, list) else [value] if value else []
    out: list[tuple[str | None, str]] = []
    for item in items[:2_000]:
        item = _resolve(item, ids)
        if not isinstance(item, dict):
            continue
        parts = [_first_str(item.get("headline")), _first_str(item.get("articleBody"))]
        text = "\n\n".join(p for p in parts if p)
        if text:
            when = _first_date(item.get("datePublished"), item.get("dateCreated"))
            out.append((when, text))
    return tuple(out)


# --- head <meta> -------------------------------------------------------------------------


class _MetaTags:
    """Multi-valued, case-insensitive view of the page's <meta> tags."""

    def __init__(self) -> None:
        self._values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self._values.setdefault(key.lower(), []).append(value)

    def get(self, key: str) -> str | None:
        values = self._values.get(key)
        return values[0] if values else None

    def get_all(self, key: str) -> list[str]:
        return self._values.get(key, [])


def _meta_tags(nodes: list[LexborNode]) -> _MetaTags:
    # The whole tree, not <head>: with scripting off, a tracking <noscript><img> in <head>
    # closes it, and every <meta> after that is parsed into <body>.
    tags = _MetaTags()
    for node in nodes:
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        key = key or attrs.get("http-equiv")
        content = attrs.get("content")
        if key and content and content.strip():
            tags.add(key.strip(), content.strip())
    return tags


# --- JSON-LD -----------------------------------------------------------------------------


def _jsonld_objects(scripts: list[LexborNode]) -> Iterator[dict[str, Any]]:
    budget = _MAX_JSONLD_OBJECTS
    for script in scripts:
        raw = script.text(deep=True)
        if not raw or len(raw) > _MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack and budget > 0:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                budget -= 1
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))
                main = item.get("mainEntity")
                if isinstance(main, dict | list):
                    stack.append(main)
                yield item


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)}


def _jsonld_article(scripts: list[LexborNode]) -> dict[str, Any]:
    """The first article-like and page-like objects, plus an @id index for references."""
    found: dict[str, Any] = {"ids": {}}
    for obj in _jsonld_objects(scripts):
        ident = obj.get("@id")
        if isinstance(ident, str):
            found["ids"].setdefault(ident, obj)
        kinds = _types(obj)
        if "article" not in found and kinds & _ARTICLE_TYPES:
            found["article"] = obj
        elif "page" not in found and kinds & _PAGE_TYPES:
            found["page"] = obj
    return found


def _resolve(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in ids:
        return ids[value["@id"]]
    return value


def _names(
    value: Any, ids: dict[str, Any], *, organisations: bool | None = False
) -> tuple[str, ...]:
    """Names of schema.org objects: people (and plain strings) by default, only
    organisations with organisations=True, all of them with None."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        item = _resolve(item, ids)
        if isinstance(item, str):
            if not organisations:
                names.extend(_split_authors(item))
        elif isinstance(item, dict):
            is_org = bool(_types(item) & {"organization", "brand", "newsmediaorganization"})
            if organisations is not None and is_org != organisations:
                continue
            name = item.get("name")
            if isinstance(name, list):
                name = next((n for n in name if isinstance(n, str)), None)
            if isinstance(name, str):
                names.extend(_split_authors(name))
    return tuple(names)


def _name_of(value: Any, ids: dict[str, Any]) -> str | None:
    names = _names(value, ids, organisations=None)
    return names[0] if names else None


def _image_url(value: Any, ids: dict[str, Any]) -> str | None:
    value = _resolve(value[0] if isinstance(value, list) and value else value, ids)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _first_str(value.get("url"), value.get("contentUrl"))
    return None


def _keywords(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(k.strip() for k in value.split(",") if k.strip())
    if isinstance(value, list):
        return tuple(k.strip() for k in value if isinstance(k, str) and k.strip())
    return ()


# --- visible markup ----------------------------------------------------------------------


def _norm_words(text: str) -> list[str]:
    return _WORD.findall(text.translate(_QUOTES).casefold())


def _visible_headline(
    h1_nodes: list[LexborNode], references: tuple[str, ...], site_name: str | None
) -> str | None:
    """The on-page headline: the <h1> that agrees with the page's declared titles."""
    # The site's name is no evidence: an <h1> holding only the blog's name agrees with a
    # "Blog name: Post title" <title> word for word, yet it is not the headline.
    site_words = set(_norm_words(site_name)) if site_name else set()
    ref_words = [set(_norm_words(r)) - site_words for r in references]
    best: tuple[float, str] | None = None
    h1s = [_squash(node.text()) for node in h1_nodes[:20]]
    h1s = [h for h in h1s if h]
    for text in h1s:
        words = _norm_words(text)
        if not words or (site_words and set(words) <= site_words):
            continue
        for ref in ref_words:
            if not ref:
                continue
            score = sum(1 for w in words if w in ref) / max(len(words), 1)
            coverage = len(ref & set(words)) / len(ref)
            total = score + 0.5 * coverage
            if score >= 0.8 and coverage >= 0.5 and (best is None or total > best[0]):
                best = (total, text)
    if best:
        return best[1]
    for declared in references:
        cleaned = _strip_site_suffix(declared, site_name)
        if cleaned:
            return cleaned
    return h1s[0] if h1s else None


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    title = _squash(title)
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_words = set(_norm_words(site_name)) if site_name else set()
    kept = [p for p in parts if not site_words or set(_norm_words(p)) - site_words]
    if len(kept) < len(parts):
        return " - ".join(kept) if kept else title
    # Unknown site name: the longest part is the headline, the short ones are branding.
    return max(parts, key=len)


def _time_element(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f'[itemprop="{prop}"]')
    if node is not None:
        value = node.attributes.get("datetime") or node.attributes.get("content")
        if value:
            return value
        text = _squash(node.text())
        if text:
            return text
    if prop == "datePublished":
        for node in tree.css("time[datetime]")[:3]:
            parent_text = " ".join(
                filter(None, (node.attributes.get("class"), node.attributes.get("pubdate")))
            )
            if "comment" in parent_text.lower():
                continue
            value = node.attributes.get("datetime")
            if value:
                return value
    return None


def _byline_date(tree: LexborHTMLParser) -> str | None:
    """A date written out in a byline or dateline ("By Ana Lima | March 5, 2024")."""
    for node in tree.css(_DATE_HOLDERS)[:5]:
        text = _squash(node.text())[:200]
        match = _ISO_DAY.search(text)
        if match:
            return match.group(0)
        match = _MONTH_DAY_YEAR.search(text) or _DAY_MONTH_YEAR.search(text)
        if match:
            parts = match.groupdict()
            month = _MONTHS[parts["month"][:3].lower()]
            return f"{parts['year']}-{month:02d}-{int(parts['day']):02d}"
    return None


def _written_date(text: str) -> str | None:
    """The first date written out in a text: ISO, "March 5, 2024" or "5 March 2024"."""
    if not _YEAR.search(text):
        return None  # cheap: most texts beside a headline hold no year at all
    found = [
        m
        for m in (_ISO_DAY.search(text), _MONTH_DAY_YEAR.search(text), _DAY_MONTH_YEAR.search(text))
        if m
    ]
    if not found:
        return None
    match = min(found, key=lambda m: m.start())
    if match.re is _ISO_DAY:
        return match.group(0)
    parts = match.groupdict()
    month = _MONTHS[parts["month"][:3].lower()]
    day = int(parts["day"])
    if not 1 <= day <= 31:
        return None
    return f"{parts['year']}-{month:02d}-{day:02d}"


def _dateline_near_headline(
    tree: LexborHTMLParser, h1_nodes: list[LexborNode], title: str | None
) -> str | None:
    """A date written just above or below the visible headline ("Published on July 18,
    2025", "December 17, 2025 - 8 min read"): where pages without structured dates show it."""
    if not h1_nodes:
        return None
    wanted = _squash(title) if title else None
    headline = next((n for n in h1_nodes if wanted and _squash(n.text()) == wanted), h1_nodes[0])
    after = _text_beside(headline, forward=True, limit=_DATELINE_AFTER)
    before = _text_beside(headline, forward=False, limit=_DATELINE_BEFORE)
    return _written_date(after) or _written_date(before[-_DATELINE_BEFORE:])


def _text_beside(node: LexborNode, *, forward: bool, limit: int) -> str:
    """About `limit` characters of visible text just after (or before) a node."""
    pieces: list[str] = []
    size = 0
    current: LexborNode | None = node
    steps = 0
    while current is not None and size < limit and steps < 200:
        steps += 1
        sibling = current.next if forward else current.prev
        if sibling is None:
            current = current.parent
            if current is not None and current.tag in ("body", "html"):
                break
            continue
        current = sibling
        if sibling.tag in _INVISIBLE_TAGS:
            continue
        if sibling.tag == "-text":
            text = _squash(sibling.text_content)
        elif forward:
            text = _squash(" ".join(_leading_texts(sibling, limit - size)))
        else:
            text = _squash(sibling.text(separator=" "))
        if text:
            pieces.append(text)
            size += len(text) + 1
    return " ".join(pieces if forward else reversed(pieces))


def _leading_texts(node: LexborNode, limit: int) -> list[str]:
    """The first text nodes of a subtree, about `limit` characters (a sibling after the
    headline may be the whole article: its full text would be copied for 400 characters)."""
    out: list[str] = []
    size = 0
    for item in node.traverse(include_text=True):
        if item.tag != "-text":
            continue
        parent = item.parent
        if parent is not None and parent.tag in _INVISIBLE_TAGS:
            continue
        text = item.text_content or ""
        out.append(text)
        size += len(text)
        if size >= limit:
            break
    return out


def _url_date(url: str | None) -> str | None:
    """A date in the article's URL path (/2025/09/04/slug, /2025-09-04-slug)."""
    if not url:
        return None
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


# Visible bylines, most explicit first: microdata, rel=author, an element whose class names
# an author's name (".author-name", ".post-hero__author__name"), a byline block, then a link
# to the site's author page ("/author/ana-lima").
_BYLINE_SELECTORS = (
    '[itemprop="author"] [itemprop="name"]',
    '[itemprop="author"]',
    '[rel="author"]',
    ".byline__name, .author-name, .byline-name, .author__name",
    '[class*="author"][class*="name"]',
    ".byline, .article-byline, .post-author, .story-byline",
    'a[href*="/author/"], a[href*="/authors/"]',
)
# "By Ana Lima", "Written by: Ana Lima and Rui Costa", "Posted by ana_l on ..."
_BY_LINE = re.compile(
    r"(?:^|\s)(?:By|BY|by|(?i:written by|posted by|words by)|Author)\s*:?\s+"
    r"(?P<names>[A-Z\w][\w.'’-]*(?:\s+(?:[\w.'’-]+)){0,3}"
    r"(?:\s*(?:,|&|\band\b)\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})*)"
)
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.'’-]*|van|von|de|der|den|da|di|du|la|le|del|bin|al)$")


def _byline_authors(tree: LexborHTMLParser) -> tuple[str, ...]:
    for selector in _BYLINE_SELECTORS:
        for node in tree.css(selector)[:3]:
            text = _squash(node.text())
            if not text or len(text) > 120:
                continue
            names = tuple(n for n in _split_authors(text) if _looks_like_name(n))
            if names:
                return names
    return ()


def _looks_like_name(value: str) -> bool:
    """A person's or handle's name: one to five words, no sentence, no date."""
    words = value.split()
    if not 1 <= len(words) <= 5 or any(ch.isdigit() for ch in value):
        return False
    if len(words) == 1:
        return len(value) >= 3 and value.casefold() not in _NOT_NAMES
    return all(_NAME_WORD.match(w) for w in words) and value.casefold() not in _NOT_NAMES


_NOT_NAMES = frozenset(
    {"author", "authors", "admin", "staff", "editor", "by", "posted", "written", "share", "home"}
    | {"january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december"}
)


def _byline_near_headline(h1_nodes: list[LexborNode], title: str | None) -> tuple[str, ...]:
    """A "By NAME" line just below (or above) the headline."""
    if not h1_nodes:
        return ()
    wanted = _squash(title) if title else None
    headline = next((n for n in h1_nodes if wanted and _squash(n.text()) == wanted), h1_nodes[0])
    for text in (
        _text_beside(headline, forward=True, limit=_BYLINE_AFTER),
        _text_beside(headline, forward=False, limit=_DATELINE_BEFORE)[-_DATELINE_BEFORE:],
    ):
        match = _BY_LINE.search(text)
        if match:
            names = []
            for name in _split_authors(match.group("names")):
                words = name.split()
                # Stop at the first word that is not part of a name ("Ana Lima Published").
                kept = []
                for word in words:
                    if not _NAME_WORD.match(word) or word.casefold() in _STOP_WORDS:
                        break
                    kept.append(word)
                candidate = " ".join(kept)
                if candidate and _looks_like_name(candidate):
                    names.append(candidate)
            if names:
                return tuple(names)
    return ()


_STOP_WORDS = frozenset(
    {"published", "updated", "posted", "on", "in", "at", "last", "reviewed", "edited", "and"}
)


# --- value cleaning ----------------------------------------------------------------------


def _squash(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _text(node: LexborNode | None) -> str | None:
    return _squash(node.text()) or None if node is not None else None


def _attr(node: LexborNode | None, name: str) -> str | None:
    if node is None:
        return None
    value = node.attributes.get(name)
    return value.strip() if value and value.strip() else None


def _first_str(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, str) and value.strip():
            return _squash(value)
    return None


def _non_url(value: str | None) -> str | None:
    if value and re.match(r"^(?:https?:)?//", value):
        return None
    return value


def _locale_language(locale: str | None) -> str | None:
    return locale.replace("_", "-") if locale else None


def _split_authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    value = _BY_PREFIX.sub("", _squash(value))
    return tuple(p for p in (_squash(x) for x in _AUTHOR_SPLIT.split(value)) if p)


def _letters(value: str) -> str:
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def _host_label(url: str | None) -> str | None:
    """The site's own name in its host ("usatoday" in www.usatoday.com)."""
    if not url:
        return None
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").split(".")
    host = [h for h in host if h not in ("www", "m", "amp", "blog", "news")]
    return host[-2] if len(host) >= 2 else None


# Job titles and degrees written after a name in a byline ("Ana Lima, Senior Editor").
_ROLE_WORDS = frozenset(
    ["ceo", "cto", "cfo", "coo", "founder", "co-founder", "president", "director", "editor"]
    + ["writer", "reporter", "correspondent", "contributor", "columnist", "expert"]
    + ["attorney", "lawyer", "dietitian", "nutritionist", "phd", "ph.d.", "md", "rn", "rd"]
    + ["ms", "msc", "mba", "cpa", "manager", "head", "chief", "senior", "sr.", "jr.", "lead"]
    + ["analyst", "consultant", "specialist", "officer", "professor", "dr.", "staff", "team"]
)


def _is_role(name: str) -> bool:
    words = [w.casefold().strip(",.") for w in name.split()]
    return any(w in _ROLE_WORDS or w + "." in _ROLE_WORDS for w in words) and len(words) <= 6


def _clean_authors(names: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for name in names:
        name = _BY_PREFIX.sub("", name).strip(" ,;|-–—")
        if not name or "@" in name or "://" in name or len(name) > 80:
            continue
        if kept and _is_role(name):
            continue  # "Ana Lima, Senior Editor": the title is not a second author
        if len(name.split()) > 6 or any(ch.isdigit() for ch in name):
            continue
        kept.append(name)
    return _dedupe(kept)


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)


def normalize_date(value: str | None) -> str | None:
    """ISO 8601 for a date found in a page; with its offset when the page gives one."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 64:
        return None
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        parsed = None
    if parsed is None:
        match = re.match(
            r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2}))?)?", candidate
        )
        if match and not re.search(r"[+-]\d{2}:?\d{2}$", candidate[10:]):
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            try:
                parsed = datetime(y, mo, d, h, mi, s)
            except ValueError:
                parsed = None
            if parsed and not match.group(4):
                return parsed.date().isoformat()
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if not 1990 <= parsed.year <= 2100:
        return None
    if ":" not in candidate and parsed.tzinfo is None and not parsed.hour and not parsed.minute:
        return parsed.date().isoformat()  # the page gave a date, not a time
    return parsed.isoformat()


def _first_date(*values: Any) -> str | None:
    """The first value that parses as a date; callables are only called when reached."""
    for value in values:
        if callable(value):
            value = value()
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str):
            normalized = normalize_date(value)
            if normalized:
                return normalized
    return None
