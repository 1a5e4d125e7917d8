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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
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
# Year first, with dashes, dots or slashes ("2025-12-17", "2025.12.17", "2025/12/17").
_ISO_DAY = re.compile(r"\b((?:19|20)\d{2})([-./])(\d{1,2})\2(\d{1,2})\b")
# Day and month in figures before the year ("13/11/2025", "11/13/2025", "13.11.2025").
_NUMERIC_DAY = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2((?:19|20)\d{2})\b")
# <meta> names and properties that give the first publication, most specific first: Open
# Graph, then the names CMSs, Dublin Core, citation and analytics tags use for the same fact.
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "article.published",
    "article:published_date",
    "published_time",
    "datepublished",
    "date_published",
    "date-published",
    "publication_date",
    "publication-date",
    "publish_date",
    "publish-date",
    "publishdate",
    "pubdate",
    "pub_date",
    "published",
    "citation_publication_date",
    "citation_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "datecreated",
    "dateposted",
    "date",
    "dc.date",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
)
_DATE_HOLDERS = ".byline, .dateline, .date, .post-date, .entry-date, .published, .timestamp"
_DATE_NAMED = '[class*="date" i], [class*="publish" i], [class*="posted" i], [id*="date" i]'
_DATELINE_AFTER = 400
_BYLINE_AFTER = 1_000
# A byline is a short line of its own, not a sentence of the story: "By" opens it, or
# follows a few words ("Words and pictures by") or a separator ("5 min read | By ...").
_BYLINE_LINE = 160
_BYLINE_LEAD_WORDS = 4
_BYLINE_SEPARATORS = re.compile(r"[|·•—–]| - ")
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
    declared_urls = (
        url,
        _attr(found["link"][0], "href") if found["link"] else None,
        meta.get("og:url"),
    )
    art = _main_entity(ld.get("articles", []), declared_urls) or ld.get("article", {})

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
    title = _visible_headline(found["h1"], references, site_name, _host_name(url))

    near = _Headline(found["h1"], title)
    declared = (
        art.get("datePublished"),
        *(meta.get(key) for key in _PUBLISHED_META),
        art.get("dateCreated"),
        page.get("datePublished"),
    )
    # schema.org and Open Graph dates are ISO 8601; one written out in words ("Nov 05, 2025")
    # comes from a hand-made template (often the site's last rebuild), so a date the page
    # shows beside its headline comes before it.
    published = _first_date(
        *(_machine_date(v) for v in declared),
        lambda: _time_element(tree, "datePublished"),
        lambda: _byline_date(tree),
        lambda: near.dateline,
        lambda: _byline_date(tree, _DATE_NAMED, 12),
        *declared,
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
    published = _shown_date(published, modified, near)

    # People first: an organisation named as the author (the publisher, a brand) is kept
    # only when no person is named anywhere, in structured data or in the visible byline.
    # Sources in order of trust; the first that names a person who is not the publisher wins.
    ids = ld.get("ids", {})
    articles = [art] + [a for a in ld.get("articles", []) if a is not art] if art else []
    publishers = {
        _letters(n) for n in (site_name, _name_of(art.get("publisher"), ids), _host_label(url)) if n
    }
    sources: list[Callable[[], tuple[str, ...]]] = [
        *(lambda a=a: _names(a.get("author"), ids) for a in articles),
        lambda: _split_authors(meta.get("author")),
        lambda: _split_authors(_non_url(meta.get("article:author"))),
        lambda: _split_authors(meta.get("parsely-author")),
        lambda: _split_authors(meta.get("sailthru.author")),
        lambda: _split_authors(meta.get("dc.creator")),
        lambda: _split_authors(_labelled(meta, _WRITTEN_BY_LABELS)),
        lambda: _byline_authors(tree),
        lambda: _byline_near_headline(near),
        lambda: _byline_authors(tree, _LOOSE_BYLINE_SELECTORS, loose=True),
        lambda: _written_by_anywhere(tree),
    ]
    organisations = _clean_authors(_names(art.get("author"), ids, organisations=True))
    people: tuple[str, ...] = ()
    for source in sources:
        named = _clean_authors(source())
        people = tuple(a for a in named if _letters(a) not in publishers)
        organisations = organisations or tuple(a for a in named if a not in people)
        if people:
            break
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


# twitter:labelN / twitter:dataN pairs (WordPress SEO plugins) that name the writer.
_WRITTEN_BY_LABELS = frozenset({"written by", "author", "geschrieben von", "écrit par"})


def _labelled(meta: _MetaTags, labels: frozenset[str]) -> str | None:
    """The twitter:dataN whose twitter:labelN is one of `labels`."""
    for n in range(1, 5):
        label = meta.get(f"twitter:label{n}")
        if label and label.casefold().strip(" :") in labels:
            return meta.get(f"twitter:data{n}")
    return None


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
        if kinds & _ARTICLE_TYPES:
            found.setdefault("article", obj)
            found.setdefault("articles", []).append(obj)
        elif "page" not in found and kinds & _PAGE_TYPES:
            found["page"] = obj
    return found


def _main_entity(articles: list[dict[str, Any]], urls: Iterable[str | None]) -> dict[str, Any]:
    """Of several article objects (a page's JSON-LD may describe related stories too), the
    one whose url, @id or mainEntityOfPage is this page's address; none when none says so."""
    if len(articles) < 2:
        return {}
    wanted = {_url_key(u) for u in urls if u}
    wanted.discard("")
    for obj in articles:
        main = obj.get("mainEntityOfPage")
        if isinstance(main, dict):
            main = main.get("@id") or main.get("url")
        for value in (obj.get("url"), obj.get("@id"), main):
            if isinstance(value, str) and _url_key(value) in wanted:
                return obj
    return {}


def _url_key(value: str) -> str:
    """An address without scheme, "www.", fragment, query or trailing slash: the same page
    written by two templates compares equal."""
    key = value.strip().split("#", 1)[0].split("?", 1)[0]
    key = re.sub(r"^(?:https?:)?//(?:www\.)?", "", key, flags=re.IGNORECASE)
    return key.rstrip("/").casefold() if "/" in key or "." in key else ""


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
    h1_nodes: list[LexborNode],
    references: tuple[str, ...],
    site_name: str | None,
    host: str | None = None,
) -> str | None:
    """The on-page headline: the <h1> that agrees with the page's declared titles, else the
    page's one headline <h1> when it is about the same thing, else a declared title."""
    # The site's name is no evidence: an <h1> holding only the blog's name agrees with a
    # "Blog name: Post title" <title> word for word, yet it is not the headline. The host
    # ("janedoe.example") is a site name too when the page declares none.
    site_words = set(_norm_words(site_name)) if site_name else set()
    brand = site_words | (set(_norm_words(host)) if host else set())
    ref_words = [set(_norm_words(r)) - site_words for r in references]
    best: tuple[float, str] | None = None
    h1s = [_unescape(_heading_text(node)) for node in h1_nodes[:20] if not _is_logo(node)]
    h1s = [h for h in h1s if h and not (brand and set(_norm_words(h)) <= brand)]
    for text in h1s:
        words = _norm_words(text)
        if not words:
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
    lone = _lone_headline(h1s, ref_words)
    if lone:
        return lone
    for declared in references:
        cleaned = _strip_site_suffix(declared, site_name or host)
        if cleaned:
            return cleaned
    return h1s[0] if h1s else None


# Words too common to show that two titles are about the same thing.
_TITLE_STOP_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "from",
        "by",
        "at",
        "is",
        "are",
        "was",
        "be",
        "how",
        "what",
        "why",
        "when",
        "who",
        "your",
        "you",
        "our",
        "we",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "best",
        "top",
        "new",
        "guide",
        "vs",
        "more",
        "about",
        "into",
    ]
)


def _lone_headline(h1s: list[str], ref_words: list[set[str]]) -> str | None:
    """The page's single <h1> when the declared titles were rewritten for search results or
    sharing ("Top 10 trends to watch" on the page, "Trends for 2026 - Site" in <title>): the
    reader sees the <h1>. It must share a content word with a declared title (a lone <h1>
    that is a promotion or a newsletter box shares none) and read like a headline."""
    if len(set(h1s)) != 1:
        return None
    text = h1s[0]
    words = _norm_words(text)
    if not 2 <= len(words) <= 30:
        return None
    content = {w for w in words if len(w) > 2 and w not in _TITLE_STOP_WORDS}
    refs = [r for r in ref_words if r]
    if refs and not any(content & r for r in refs):
        return None
    return text


_LOGO = re.compile(r"logo|brand|site-?title|site-?name", re.I)


def _is_logo(node: LexborNode) -> bool:
    """An <h1> that holds the site's logo or name (themes put the site title in an <h1> in
    the banner): its class or id, or a close ancestor's, says so, or the banner holds it."""
    current: LexborNode | None = node
    for _ in range(4):
        if current is None or current.tag in ("body", "html"):
            return False
        attrs = current.attributes
        if attrs.get("role") == "banner":
            return True
        names = " ".join(filter(None, (attrs.get("class"), attrs.get("id"))))
        if names and _LOGO.search(names):
            return True
        current = current.parent
    return False


_BREAKS = frozenset({"br", "div", "p", "li", "hr"})


def _heading_text(node: LexborNode) -> str:
    """A heading's text with a space where a line break or block splits it ("WEEKEND<br>CODING"
    reads "WEEKEND CODING", not "WEEKENDCODING"); inline markup joins as written."""
    pieces: list[str] = []
    for item in node.traverse(include_text=True):
        if item.tag == "-text":
            parent = item.parent
            if parent is None or parent.tag not in _INVISIBLE_TAGS:
                pieces.append(item.text_content or "")
        elif item.tag in _BREAKS:
            pieces.append(" ")
    return _squash("".join(pieces))


def _unescape(text: str) -> str:
    """Entities escaped twice by the CMS ("&amp;#x26;" in the source reads "&#x26;")."""
    return html_lib.unescape(text) if "&" in text and ";" in text else text


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    title = _squash(title)
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        # "janedoe.example Notes on Gardening": the site's name written before or after the headline
        # with no separator at all.
        name = _squash(site_name).casefold() if site_name else ""
        folded = title.casefold()
        if name and folded != name:
            if folded.startswith(name + " "):
                return title[len(name) :].strip()
            if folded.endswith(" " + name):
                return title[: -len(name)].strip()
        return title
    site_words = set(_norm_words(site_name)) if site_name else set()
    kept = [p for p in parts if not site_words or set(_norm_words(p)) - site_words]
    if len(kept) < len(parts):
        return " - ".join(kept) if kept else title
    # Unknown site name: the longest part is the headline, the short ones are branding.
    return max(parts, key=len)


def _time_element(tree: LexborHTMLParser, prop: str) -> str | None:
    """A microdata date (`itemprop=datePublished`), else the first `<time pubdate>` or
    `<time datetime>` that belongs to the article, not to a teaser of another story or a
    comment (a list of related stories puts a dated <time> in every card)."""
    for node in tree.css(f'[itemprop="{prop}"]')[:5]:
        if _elsewhere(node):
            continue
        value = node.attributes.get("datetime") or node.attributes.get("content")
        value = value or _squash(node.text())
        if value:
            return value
    if prop == "datePublished":
        # One query for both lists: every <time pubdate> first, then every <time datetime>.
        times = tree.css("time")
        timed = [n for n in times if "pubdate" in n.attributes]
        timed += [n for n in times if "datetime" in n.attributes]
        for node in timed[:8]:
            value = node.attributes.get("datetime")
            if value and not _elsewhere(node):
                return value
    return None


# Class and id words of blocks that date something other than the article.
_ELSEWHERE = re.compile(
    r"comment|related|teaser|card|recommend|promo|more-stories|read-next|sidebar", re.I
)


def _elsewhere(node: LexborNode) -> bool:
    """Inside a link, navigation or an aside, or a block named for comments or other stories:
    a date there is not the article's."""
    return _near_ancestor(node, _ELSEWHERE, _ELSEWHERE_TAGS)


_ELSEWHERE_TAGS = frozenset({"a", "nav", "aside"})


def _near_ancestor(
    node: LexborNode, names: re.Pattern[str], tags: frozenset[str] = frozenset()
) -> bool:
    """Is *node*, or one of its eight nearest ancestors below ``<body>``, one of *tags* or an
    element whose class or id matches *names*? Eight levels reach the teaser, card or comment
    a line sits in without reaching the page's layout wrappers."""
    current: LexborNode | None = node
    for _ in range(8):
        if current is None or current.tag in ("body", "html"):
            return False
        if current.tag in tags:
            return True
        attrs = current.attributes
        found = " ".join(filter(None, (attrs.get("class"), attrs.get("id"))))
        if found and names.search(found):
            return True
        current = current.parent
    return False


def _byline_date(tree: LexborHTMLParser, selector: str = "", limit: int = 5) -> str | None:
    """A date written out in a byline or dateline ("By Ana Lima | March 5, 2024"), in the
    usual class names, or (late, with a `selector` for them) in any block whose class names
    a date or the publication ("article-date", "post-info__item--type-date")."""
    for node in tree.css(selector or _DATE_HOLDERS)[:limit]:
        text = _squash(node.text())[:200]
        found = _written_date(text) if text else None
        if found and not _elsewhere(node):
            return found
    return None


def _written_date(text: str) -> str | None:
    """The first date written out in a text: "2024-03-05" (or with dots or slashes),
    "March 5, 2024", "5 March 2024", or day and month in figures when only one reading is
    a calendar date ("13/11/2025" is the 13th of November; "05/03/2024" is left alone).

    A date labelled "Updated" (or "Modified", "Reviewed") is the first publication only when
    the text gives no other: "Updated June 5, 2025 | Published March 1, 2024" is March 1."""
    if not _YEAR.search(text):
        return None  # cheap: most texts beside a headline hold no year at all
    found = sorted(_written_dates(text))
    for start, value in found:
        label = _DATE_LABEL.findall(text[max(0, start - _LABEL_REACH) : start].casefold())
        if not label or not label[-1].startswith(_LATER_LABELS):
            return value
    return found[0][1] if found else None


_DATE_LABEL = re.compile(r"updat|modif|review|revis|edit|publi|post|writ|creat")
_LATER_LABELS = ("updat", "modif", "review", "revis", "edit")
_LABEL_REACH = 30


def _written_dates(text: str) -> Iterator[tuple[int, str]]:
    """(position, ISO date) of every date written in a text (the first few of each form)."""
    for pattern in (_ISO_DAY, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR, _NUMERIC_DAY):
        for n, match in enumerate(pattern.finditer(text)):
            if n >= 4:
                break
            if pattern is _ISO_DAY:
                year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
            elif pattern is _NUMERIC_DAY:
                first, second = int(match.group(1)), int(match.group(3))
                year = int(match.group(4))
                if first > 12 >= second:
                    day, month = first, second
                elif second > 12 >= first:
                    day, month = second, first
                else:
                    continue  # ambiguous: 05/03 is March in Lisbon and May in Boston
            else:
                parts = match.groupdict()
                year, month = int(parts["year"]), _MONTHS[parts["month"][:3].lower()]
                day = int(parts["day"])
            if 1 <= month <= 12 and 1 <= day <= 31:
                yield match.start(), f"{year:04d}-{month:02d}-{day:02d}"


def _shown_date(published: str | None, modified: str | None, near: _Headline) -> str | None:
    """The article's date is the one its page shows beside the headline, when it shows one.

    A reader dates a story by its dateline; structured data often says otherwise: a first
    publication years before the page's rewrite ("Updated March 5, 2025" is all it shows),
    or a CMS's import date. Kept at full precision when a structured date (published or
    modified) names the same day; the structured dates stand alone when no date is shown.
    Measured on modern-web's dated articles: even half 0.891 -> 0.943 (16 right, 6 wrong
    more), the held-out odd half 0.863 -> 0.893; taking the modified date only when it is
    the shown one gained less on both halves (0.922 / 0.873)."""
    shown = near.dateline
    if not shown or (published and published[:10] == shown):
        return published
    same = next((d for d in (published, modified) if d and d[:10] == shown), None)
    return same or shown


class _Headline:
    """The visible headline's <h1> and the text around it, each found once per page: the
    dateline and the byline look in the same places."""

    def __init__(self, h1_nodes: list[LexborNode], title: str | None) -> None:
        self._h1 = h1_nodes
        self._title = title
        self._node: LexborNode | None = None
        self._texts: dict[tuple[bool, int], str] = {}

    @property
    def node(self) -> LexborNode | None:
        """The <h1> holding the headline, else the first <h1>; None without one."""
        if self._node is None and self._h1:
            wanted = _squash(self._title) if self._title else None
            self._node = next(
                (n for n in self._h1 if wanted and _unescape(_heading_text(n)) == wanted),
                self._h1[0],
            )
        return self._node

    def beside(self, *, forward: bool, limit: int) -> str:
        """`_text_beside` of the headline (call only when there is one)."""
        key = (forward, limit)
        text = self._texts.get(key)
        if text is None:
            node = self.node
            assert node is not None
            text = self._texts[key] = _text_beside(node, forward=forward, limit=limit)
        return text

    @cached_property
    def dateline(self) -> str | None:
        """A date written just above or below the visible headline ("Published on July 18,
        2025", "December 17, 2025 - 8 min read"): where pages without structured dates show
        it. Read once: the date chain and :func:`_shown_date` both ask."""
        if self.node is None:
            return None
        found = _written_date(self.beside(forward=True, limit=_DATELINE_AFTER))
        if found:
            return found
        before = self.beside(forward=False, limit=_DATELINE_BEFORE)
        return _written_date(before[-_DATELINE_BEFORE:])


def _text_beside(node: LexborNode, *, forward: bool, limit: int) -> str:
    """About `limit` characters of visible text just after (or before) a node, one line per
    block: a name never runs on into the next block ("Ana Lima" / "Tech Writer")."""
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
            text = _squash_lines("".join(_leading_texts(sibling, limit - size)))
        else:
            text = _squash_lines(sibling.text(separator="\n"))
        if text:
            pieces.append(text)
            size += len(text) + 1
    return "\n".join(pieces if forward else reversed(pieces))


# Elements that run inside a line of text; any other element starts a new line.
_INLINE_TAGS = frozenset(
    {"a", "span", "b", "strong", "em", "i", "u", "small", "time", "abbr", "font", "sup", "sub"}
)


def _leading_texts(node: LexborNode, limit: int) -> list[str]:
    """The first text nodes of a subtree, about `limit` characters (a sibling after the
    headline may be the whole article: its full text would be copied for 400 characters),
    each after a newline when it starts a block and a space when it runs on inline."""
    out: list[str] = []
    size = 0
    for item in node.traverse(include_text=True):
        if item.tag != "-text":
            continue
        parent = item.parent
        if parent is not None and parent.tag in _INVISIBLE_TAGS:
            continue
        text = item.text_content or ""
        inline = parent is not None and parent.tag in _INLINE_TAGS
        out.append((" " if inline else "\n") + text)
        size += len(text)
        if size >= limit:
            break
    return out


def _squash_lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


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
#
# Each selector comes with a test of one element that answers as the selector does: the page
# is queried once with all of them (one pass over the tree instead of one per selector) and
# the elements each selector would have found are taken from that list, in page order.
_HTML_SPACE = re.compile(r"[ \t\n\f\r]+")


def _class_list(node: LexborNode) -> list[str]:
    return _HTML_SPACE.split(node.attributes.get("class") or "")


def _has_class(*names: str) -> Callable[[LexborNode], bool]:
    wanted = frozenset(names)
    return lambda node: not wanted.isdisjoint(_class_list(node))


def _class_holds(*parts: str, fold: bool = False) -> Callable[[LexborNode], bool]:
    def test(node: LexborNode) -> bool:
        value = node.attributes.get("class") or ""
        value = value.lower() if fold else value
        return all(part in value for part in parts)

    return test


def _named_author(node: LexborNode) -> bool:
    if node.attributes.get("itemprop") != "name":
        return False
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.attributes.get("itemprop") == "author":
            return True
        ancestor = ancestor.parent
    return False


def _author_link(node: LexborNode) -> bool:
    href = node.attributes.get("href") or ""
    return node.tag == "a" and ("/author/" in href or "/authors/" in href)


_Selectors = tuple[tuple[str, Callable[[LexborNode], bool]], ...]
_BYLINE_SELECTORS: _Selectors = (
    ('[itemprop="author"] [itemprop="name"]', _named_author),
    ('[itemprop="author"]', lambda node: node.attributes.get("itemprop") == "author"),
    ('[rel="author"]', lambda node: node.attributes.get("rel") == "author"),
    (
        ".byline__name, .author-name, .byline-name, .author__name",
        _has_class("byline__name", "author-name", "byline-name", "author__name"),
    ),
    ('[class*="author"][class*="name"]', _class_holds("author", "name")),
    (
        ".byline, .article-byline, .post-author, .story-byline",
        _has_class("byline", "article-byline", "post-author", "story-byline"),
    ),
    ('a[href*="/author/"], a[href*="/authors/"]', _author_link),
)
# Late, looser: any element whose class mentions a byline or an author ("c-byline",
# "article-author", "authorBox"), then a "Written by NAME" line anywhere in the page.
_LOOSE_BYLINE_SELECTORS: _Selectors = (
    ('[class*="byline" i]', _class_holds("byline", fold=True)),
    ('[class*="author" i]', _class_holds("author", fold=True)),
)


def _select_each(
    tree: LexborHTMLParser, selectors: _Selectors, limit: int
) -> Iterator[list[LexborNode]]:
    """The first `limit` elements each selector finds, selector by selector, from one query."""
    found: list[LexborNode] = []
    seen: set[int] = set()
    for node in tree.css(", ".join(selector for selector, _ in selectors)):
        if node.mem_id not in seen:  # an element several selectors find comes once per each
            seen.add(node.mem_id)
            found.append(node)
    for _, matches in selectors:
        nodes: list[LexborNode] = []
        for node in found:
            if matches(node):
                nodes.append(node)
                if len(nodes) >= limit:
                    break
        yield nodes


_OTHER_CONTENT = re.compile(r"comment|related|teaser|recommend|more-stories|read-next", re.I)


def _in_other_content(node: LexborNode) -> bool:
    """Inside a block named for comments, related stories or teasers."""
    return _near_ancestor(node, _OTHER_CONTENT)


_WRITTEN_BY = re.compile(
    r"(?i:written by|authored by|words by)\s*:?\s+"
    r"(?P<names>[^\W\d_][\w.'’-]+(?:[^\S\n]+[^\W\d_][\w.'’-]+){0,3}"
    r"(?:\s*(?:,|&|\b(?:and|et|und|y|e|en)\b)\s*[^\W\d_][\w.'’-]+(?:[^\S\n]+[^\W\d_][\w.'’-]+){0,3})*)"
)


_WRITTEN_BY_CUE = re.compile(r"(?i:written|authored|words) by")


def _has_written_by_cue(text: str) -> bool:
    """Whether `_WRITTEN_BY_CUE` matches anywhere in a long text. Every match holds " by",
    so the pattern is tried only in a window around each " by" (a literal found fast),
    not at every character of the page's text."""
    at = text.find(" by")
    while at >= 0:
        if _WRITTEN_BY_CUE.search(text, max(0, at - 8), at + 3):
            return True
        at = text.find(" by", at + 1)
    return False


def _written_by_anywhere(tree: LexborHTMLParser) -> tuple[str, ...]:
    """An explicit "Written by NAME" line anywhere outside comments (an author box at the
    end of the story): the phrase names the writer wherever it stands."""
    body = tree.body
    if body is None:
        return ()
    # Every text node is a piece of the body's text, so a cue found in none of the text at
    # once is in no node: one C-level pass spares walking every node of most pages.
    if not _has_written_by_cue(body.text()):
        return ()
    for item in body.traverse(include_text=True):
        if item.tag != "-text" or "by" not in (raw := item.text_content or ""):
            continue
        if not _WRITTEN_BY_CUE.search(raw):
            continue
        node = item.parent  # the phrase's element: "Written by <a>NAME</a>" is one line
        if node is None or node.tag in _INVISIBLE_TAGS or _in_other_content(node):
            continue
        text = _squash(node.text())
        match = _WRITTEN_BY.search(text) if len(text) <= _BYLINE_LINE else None
        names = _names_in_byline(match.group("names")) if match else ()
        if names:
            return names
    return ()


# "By Ana Lima", "Written by: Ana Lima and Rui Costa", "Posted by ana_l on ...", and the
# same line opening in French, German, Spanish or Portuguese and Dutch ("Par", "Von", ...).
_BY_LINE = re.compile(
    r"(?:^|\s)(?:By|BY|by|(?i:written by|posted by|words by)|Author|Par|Von|Por|Door)\s*:?\s+"
    r"(?P<names>[A-Z\w][\w.'’-]*(?:[^\S\n]+(?:[\w.'’-]+)){0,5}"
    r"(?:\s*(?:,|&|\b(?:and|et|und|y|e|en)\b)\s*[^\W\d_][\w.'’-]+(?:[^\S\n]+[^\W\d_][\w.'’-]+){0,3})*)"
)
_NAME_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "bin", "al", "dos"}
)
_NAME_CHARS = re.compile(r"^[^\W\d_][\w.'’-]*$")


def _is_name_word(word: str) -> bool:
    """A capitalised word in any script's letters ("Émilie", "Łukasz", "O'Neil") or a
    particle of a surname ("van", "de")."""
    if word in _NAME_PARTICLES:
        return True
    return word[:1].isupper() and bool(_NAME_CHARS.match(word))


def _byline_authors(
    tree: LexborHTMLParser, selectors: _Selectors = (), *, loose: bool = False
) -> tuple[str, ...]:
    """Names in the first byline element found. `loose` selectors (any class that mentions
    a byline or an author) skip elements inside comments and other stories' teasers."""
    for nodes in _select_each(tree, selectors or _BYLINE_SELECTORS, 3):
        for node in nodes:
            if node.tag == "meta":  # microdata in attributes: <meta itemprop="name" content>
                named = _split_authors(node.attributes.get("content"))
                names = tuple(n for n in named if _looks_like_name(n))
                if names:
                    return names
                continue
            text = _squash(node.text())
            if not text or len(text) > 120:
                continue
            if loose and _in_other_content(node):
                continue
            # Line by line: "Joakim Edin" / "Research & Development" is a name and a role.
            for line in _squash_lines("".join(_leading_texts(node, 200))).split("\n"):
                names = tuple(n for n in _split_authors(line) if _looks_like_name(n))
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
    return all(_is_name_word(w) for w in words) and value.casefold() not in _NOT_NAMES


_NOT_NAMES = frozenset(
    {"author", "authors", "admin", "staff", "editor", "by", "posted", "written", "share", "home"}
    | {"january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december"}
)


def _byline_near_headline(headline: _Headline) -> tuple[str, ...]:
    """A "By NAME" line just below (or above) the headline. A "Reviewed by" or "Updated by"
    name counts only when no line names the writer; a photo credit never does."""
    if headline.node is None:
        return ()
    fallback: tuple[str, ...] = ()
    for text in (
        headline.beside(forward=True, limit=_BYLINE_AFTER),
        headline.beside(forward=False, limit=_DATELINE_BEFORE)[-_DATELINE_BEFORE:],
    ):
        for match in _BY_LINE.finditer(text):
            before = text[max(0, match.start() - 40) : match.start() + 1].split()
            credit = before[-1].casefold().strip(":") if before else ""
            if credit in _CREDIT_WORDS:
                continue  # "Photo by NAME": not the author
            line_start = text.rfind("\n", 0, match.start() + 1) + 1
            line_end = text.find("\n", match.end())
            lead = _BYLINE_SEPARATORS.split(text[line_start : match.start() + 1])[-1]
            if (line_end if line_end >= 0 else len(text)) - line_start > _BYLINE_LINE or len(
                lead.split()
            ) > _BYLINE_LEAD_WORDS:
                continue  # "a study by Ana Lima found...": prose, not a byline
            names = _names_in_byline(match.group("names"))
            if names and credit in _SECONDARY_CREDITS:
                fallback = fallback or names
            elif names:
                return names
    return fallback


def _names_in_byline(text: str) -> tuple[str, ...]:
    names = []
    for name in _split_authors(text):
        # Stop at the first word that is not part of a name ("Ana Lima Published").
        kept = []
        for word in name.split():
            if not _is_name_word(word) or word.casefold() in _STOP_WORDS:
                break
            kept.append(word)
        candidate = " ".join(kept)
        if candidate and _looks_like_name(candidate):
            names.append(candidate)
    return tuple(names)


# Words before "by" that make the name someone other than the author: credits for the
# pictures and sponsors, and (used only when nothing else names the writer) the editors.
_CREDIT_WORDS = frozenset(
    {"photo", "photos", "photograph", "photography", "image", "images", "picture", "video"}
    | {"illustration", "graphic", "graphics", "artwork", "map", "courtesy", "credit"}
    | {"sponsored", "presented", "powered", "supported", "designed", "made", "hosted"}
)
_SECONDARY_CREDITS = frozenset(
    {"reviewed", "edited", "updated", "fact-checked", "checked", "translated", "produced"}
)
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


def _host_name(url: str | None) -> str | None:
    """The host without "www." ("janedoe.example"): a personal site's name is often just that."""
    if not url:
        return None
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


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


# Degrees and certifications written after a name: "MD", "PSP", "Ph.D.", "E-RYT".
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}(?:-[A-Z]{2,6})?|(?:[A-Z][a-z]?\.){1,3})$")


def _is_credentials(name: str) -> bool:
    words = name.split()
    return bool(words) and len(words) <= 3 and all(_CREDENTIAL.match(w) for w in words)


def _clean_authors(names: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for name in names:
        name = _BY_PREFIX.sub("", name).strip(" ,;|-–—")
        if not name or "@" in name or "://" in name or len(name) > 80:
            continue
        if kept and (_is_role(name) or _is_credentials(name)):
            continue  # "Ana Lima, Senior Editor", "Ana Lima, MD, PSP": not a second author
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


def _machine_date(value: Any) -> str | None:
    """A date written for machines (ISO 8601, RFC 2822), not one written out in words."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return normalize_date(value, written=False) if isinstance(value, str) else None


def normalize_date(value: str | None, *, written: bool = True) -> str | None:
    """ISO 8601 for a date found in a page; with its offset when the page gives one.
    With `written`, dates written out in words or figures ("July 17, 2025") are read too."""
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
            # Written out ("July 17, 2025", "Dec 18, 2025", "13/11/2025 09:21"): the
            # calendar date alone, as the page writes it.
            return _written_date(value) if written else None
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
