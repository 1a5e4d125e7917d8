"""Main-content extraction: the article text and metadata of a news page.

`extract` is a pure function (no I/O, no shared state), so a crawl can run it in a process pool.
The steps, each in its own module:

    bounds check  ->  decode bytes  ->  parse (selectolax / Lexbor)
        ->  metadata.read_metadata   (before cleaning: JSON-LD lives in <script>)
        ->  container.clean / choose     (site rule, body containers, density, fallback)
        ->  text.render              (prune boilerplate, paragraphs)
        ->  JSON-LD articleBody when the page's markup holds only a teaser
        ->  extract_state: the JSON state of a script-rendered page whose markup is a skeleton

Bounds exist because a page is untrusted input: the HTML parser is quadratic in nesting depth
and in attributes per tag, so both are checked (cheaply) before parsing.

May import: the other :mod:`scraper.extract` modules, :mod:`scraper.config`,
:mod:`scraper.charset`.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import sub
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.charset import decode_html
from scraper.config import ExtractRules
from scraper.extract import container as extract_dom
from scraper.extract import live
from scraper.extract import state as extract_state
from scraper.extract import text as extract_text
from scraper.extract.live import LivePost
from scraper.extract.metadata import Metadata, normalize_date, read_metadata
from scraper.extract.text import Block, Discard, RenderOptions

EXTRACTOR_VERSION = "1.5.0"

MAX_INPUT_CHARS = 16_000_000
MAX_TAGS = 400_000
MAX_DEPTH = 2_000
MAX_ATTRIBUTES = 1_000
#: Formatting elements (<b>, <i>, <font>...) left open at once. The HTML parser re-opens every
#: open one at each new block (the "reconstruct the active formatting elements" step), so a
#: page of a few thousand distinct unclosed <b>/<i> grows the tree quadratically: 2,000 of them
#: took 5 s and 390 MB, 4,000 about 2 GiB. Real pages leave a handful open.
MAX_OPEN_FORMATTING = 400
_SAFE_TAG_COUNT = 3_000
_SKELETON_CHARS = 300  # less text than this: look for the article in the page's JSON state


@dataclass(frozen=True)
class Article:
    """One page's article. `text` is paragraphs separated by a blank line (headings, list
    items, quotes and table cells are paragraphs too); `method` names the rule that won:
    "site-rule", "article" (a body container), "density", "json-ld", "script-data" or
    "fallback", "page" (the whole page pruned: not one article with a clear container, such as
    a forum thread or a product page), or "live" (the stream of a live blog). `html` and `markdown` are filled only
    when asked for (`with_html=True`); `encoding` only when the input was bytes.

    `kind` is "live" for a live blog (JSON-LD LiveBlogPosting, or a stream of timed posts in
    the markup), else "article". For a live blog `text` is the intro and every post in page
    order (header furniture such as "LIVE", "Updated 5 minutes ago" or counters is never
    text), and `posts` holds each post with its own time and id, in page order (usually
    newest first): a new post is a new `LivePost`, an edit changes one post's text."""

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
    kind: str = "article"
    posts: tuple[LivePost, ...] = ()
    html: str | None = None
    markdown: str | None = None
    encoding: str | None = None


class ExtractionError(Exception):
    """The page could not be extracted within its bounds.

    `reason`: "too-large", "too-deep", "too-many-elements", "bad-input", "decoding" or
    "no-content".
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Pickled with its reason, so it crosses a process pool's pipe whole.
        return (type(self), (self.reason, str(self)))


def extract(
    html: str | bytes,
    url: str | None = None,
    rules: ExtractRules | None = None,
    *,
    with_html: bool = False,
) -> Article:
    """Extract the article of one page.

    Raises ExtractionError (see its `reason`s) instead of returning a half result.
    """
    return _run(html, url, rules or ExtractRules(), with_html=with_html, trace=None)


def explain(html: str | bytes, url: str | None = None, rules: ExtractRules | None = None) -> dict:
    """Why `extract` returns what it returns: method, candidates, discards (JSON-serializable)."""
    trace = _Trace()
    try:
        article = _run(html, url, rules or ExtractRules(), with_html=False, trace=trace)
    except ExtractionError as exc:
        return {"error": {"reason": exc.reason, "message": str(exc)}, **trace.as_dict()}
    summary = {
        key: value
        for key, value in article.__dict__.items()
        if key not in ("text", "html", "markdown")
    }
    summary["authors"] = list(article.authors)
    summary["tags"] = list(article.tags)
    summary["posts"] = [post.__dict__ for post in article.posts]
    summary["text_chars"] = len(article.text)
    summary["paragraphs"] = article.text.count("\n\n") + 1 if article.text else 0
    _measure_site_rules(html, url, rules or ExtractRules(), article, trace.candidates)
    return {"extractor_version": EXTRACTOR_VERSION, "article": summary, **trace.as_dict()}


def _measure_site_rules(
    html: str | bytes,
    url: str | None,
    rules: ExtractRules,
    article: Article,
    candidates: list[dict[str, object]],
) -> None:
    """What each candidate's `body_selector` would give: the page extracted again with that
    site rule (the whole pipeline, so the figure is what `--body-selector` really changes)."""
    now = _text_chars(article.text)
    for row in candidates:
        selector = row.get("body_selector")
        if not isinstance(selector, str):
            continue
        try:
            text = _run(
                html, url, replace(rules, body_selector=selector), with_html=False, trace=None
            ).text
        except ExtractionError:
            text = ""
        gives = _text_chars(text)
        row["body_selector_chars"] = gives
        row["body_selector_change"] = gives - now


def _text_chars(text: str) -> int:
    """Characters of article text, paragraph breaks not counted."""
    return len(text) - 2 * text.count("\n\n")


class _Trace:
    def __init__(self) -> None:
        self.method: str | None = None
        self.candidates: list[dict[str, object]] = []
        self.winner: str | None = None
        self.why: str | None = None
        self.discarded: list[Discard] = []
        self.notes: list[str] = []

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "winner": self.winner,
            "why": self.why,
            "candidates": self.candidates,
            "discarded": [d.__dict__ for d in self.discarded],
            "notes": self.notes,
        }


# --- input ---------------------------------------------------------------------------------

_WORDS = re.compile(r"\w+")
_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6]|ul|li|strong|em|a)\b", re.IGNORECASE)
_LONG_TAG_CHARS = 16_000
_LONG_TAG = re.compile(r"<[A-Za-z][^<>]{16000,}>?")
_ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_BLOCK_NAMES = [
    "div",
    "section",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "header",
    "main",
    "nav",
    "ol",
    "ul",
    "form",
    "table",
    "pre",
    "address",
    "menu",
    "dialog",
    "hgroup",
    "summary",
]


def _tag_scan(names: list[str]) -> re.Pattern[str]:
    """A regex finding the start and end tags of *names* (group 1 is "/" for an end tag).

    Case is folded by character classes ("[dD][iI][vV]"), with a lookahead on the first
    letter and one-letter names in one class: IGNORECASE makes these scans 40% slower on
    250 KB pages, the lookahead makes them 20% faster."""
    singles = "".join(n for n in names if len(n) == 1)
    alternatives = [f"[{singles}{singles.upper()}]"] if singles else []
    alternatives += ["".join(f"[{c}{c.upper()}]" for c in n) for n in names if len(n) > 1]
    firsts = "".join(sorted({n[0] + n[0].upper() for n in names}))
    return re.compile(rf"<(/?)(?=[{firsts}])(?:{'|'.join(alternatives)})[\s/>]")


_BLOCK_TAG = _tag_scan(_BLOCK_NAMES)


def _bound(page: str) -> str:
    """Reject or repair input that would make the parser slow; cheap for ordinary pages."""
    if len(page) > MAX_INPUT_CHARS:
        raise ExtractionError(
            "too-large", f"page has {len(page)} characters (max {MAX_INPUT_CHARS})"
        )
    tags = page.count("<")
    if tags > MAX_TAGS:
        raise ExtractionError("too-many-elements", f"page has {tags} tags (max {MAX_TAGS})")
    _check_formatting_depth(page, tags)
    if _has_long_tag(page):
        page = _LONG_TAG.sub(_trim_attributes, page)
    if tags > _SAFE_TAG_COUNT:
        depth = max(accumulate(map(_STEP.__getitem__, _BLOCK_TAG.findall(page))), default=0)
        if depth > MAX_DEPTH:
            raise ExtractionError("too-deep", f"page nests {depth} levels deep (max {MAX_DEPTH})")
    return page


_FORMATTING_TAG = _tag_scan(
    [
        "a",
        "b",
        "i",
        "u",
        "s",
        "big",
        "code",
        "em",
        "font",
        "nobr",
        "small",
        "strike",
        "strong",
        "tt",
    ]
)


def _check_formatting_depth(page: str, tags: int) -> None:
    """Refuse pages that leave absurdly many formatting elements open (see MAX_OPEN_FORMATTING).

    A regex pass over the tags, linear and cheap; the depth is opens minus closes, never
    below zero (a stray close ends nothing), which is what the parser's list of active
    formatting elements grows with. Computed without a Python loop: with S the running sum
    of +1/-1, the depth floored at zero is S minus the lowest S so far (or zero).
    """
    if tags <= MAX_OPEN_FORMATTING:  # the page's count of "<": an upper bound
        return
    found = _FORMATTING_TAG.findall(page)
    if len(found) <= MAX_OPEN_FORMATTING:
        return
    sums = list(accumulate(map(_STEP.__getitem__, found)))
    lows = accumulate(sums, min, initial=0)
    next(lows)  # the floor before the first tag
    deepest = max(map(sub, sums, lows))
    if deepest > MAX_OPEN_FORMATTING:
        raise ExtractionError(
            "too-deep",
            f"page leaves {deepest} formatting elements (<b>, <i>...) open at once "
            f"(max {MAX_OPEN_FORMATTING})",
        )


_STEP = {"": 1, "/": -1}


def _has_long_tag(page: str) -> bool:
    """Is there a tag long enough to carry thousands of attributes? Cheap for normal pages.

    Such a tag is "<", a letter and 16,000 characters without "<" or ">": that run covers a
    whole window of this stride, so only windows without an angle bracket are looked at, and
    for each the run around it is measured (inline scripts and JSON have long runs too).
    """
    step = _LONG_TAG_CHARS // 2
    start, size = 0, len(page)
    while start < size:
        end = min(start + step, size)
        if page.find("<", start, end) != -1 or page.find(">", start, end) != -1:
            start = end
            continue
        left = max(page.rfind("<", 0, start), page.rfind(">", 0, start))
        lt, gt = page.find("<", end), page.find(">", end)
        right = min(x for x in (lt, gt, size) if x != -1)
        if (
            left != -1
            and page[left] == "<"
            and page[left + 1 : left + 2].isascii()
            and page[left + 1 : left + 2].isalpha()
            and right - left - 1 >= _LONG_TAG_CHARS + 1
        ):
            return True
        start = right + 1
    return False


def _trim_attributes(match: re.Match[str]) -> str:
    tag = match.group(0)
    name_end = 1
    while name_end < len(tag) and not tag[name_end].isspace() and tag[name_end] not in "/>":
        name_end += 1
    attributes = _ATTRIBUTE.findall(tag, name_end, len(tag) - (1 if tag.endswith(">") else 0))
    if len(attributes) <= MAX_ATTRIBUTES:
        return tag
    kept = " ".join(name + value for name, value in attributes[:MAX_ATTRIBUTES])
    return f"{tag[:name_end]} {kept}>"


# --- the pipeline --------------------------------------------------------------------------


def _run(
    page: str | bytes,
    url: str | None,
    rules: ExtractRules,
    *,
    with_html: bool,
    trace: _Trace | None,
) -> Article:
    encoding = None
    if isinstance(page, bytes | bytearray):
        if len(page) > MAX_INPUT_CHARS * 2:
            raise ExtractionError("too-large", f"page has {len(page)} bytes")
        # BOM, <meta charset>, then detection: the fetcher's decoding, shared.
        try:
            page, encoding = decode_html(bytes(page))
        except (LookupError, UnicodeError, ValueError) as exc:
            raise ExtractionError("decoding", f"cannot decode the page: {exc}") from exc
    elif not isinstance(page, str):
        raise ExtractionError("bad-input", f"expected str or bytes, got {type(page).__name__}")
    page = _bound(page)

    tree = LexborHTMLParser(page)
    meta = read_metadata(tree, url)
    notes: list[str] = trace.notes if trace is not None else []
    extract_dom.clean(tree, rules.discard_selectors, notes)
    body = tree.body
    if body is None:
        raise ExtractionError("no-content", "page has no body")

    choice = extract_dom.choose(body, rules.body_selector, meta.title)
    notes.extend(choice.notes)
    winner = choice.winner
    assert winner is not None
    protected = extract_dom.protected_ids(choice.core)
    stream = None if rules.body_selector else live.find_stream(body, meta.live)
    if stream is not None:
        # The stream of posts is the article, with the intro between headline and stream.
        root = live.article_root(stream, choice.headline)
        protected = extract_dom.protected_ids(stream.container) | {p.mem_id for p in stream.posts}
        winner = extract_dom.Candidate(
            [root],
            "live",
            f"live blog: {len(stream.posts)} posts in {extract_text.describe(stream.container)}",
            float(len(stream.posts)),
            extract_dom.paragraph_chars(root),
        )
        choice.considered.insert(0, winner)
        notes.append(f"live blog: {len(stream.posts)} timed posts; the whole stream is the text")
    title_words = extract_text.norm_words(meta.title) if meta.title else ()
    options = RenderOptions(
        title_words=title_words,
        trace=trace.discarded if trace is not None else None,
        protected=protected,
    )
    blocks = extract_text.render(winner.nodes, options)
    posts = _live_posts(stream, meta, options)
    method = winner.method
    if not blocks:
        # Everything was judged boilerplate (a page-wide wrapper named "ad-body", say): the
        # container's text unpruned beats no text.
        notes.append("pruning left nothing; container kept whole")
        blocks = extract_text.render(
            winner.nodes, RenderOptions(title_words=title_words, prune=False)
        )
        method = "fallback"
    if method in ("article", "density"):
        blocks, method, winner = _widen_to_page(body, blocks, method, winner, options, notes)
        if method == "page":
            choice.considered.insert(0, winner)
    blocks, method = _prefer_jsonld_body(blocks, method, meta, notes)
    if sum(len(b.text) for b in blocks) < _SKELETON_CHARS:
        blocks, method = _prefer_state_body(page, blocks, method, notes)

    if trace is not None:
        trace.method = method
        trace.candidates = _explain_candidates(body, choice, winner)
        trace.winner = winner.label
        trace.why = _why(choice, winner, method, notes)

    text = extract_text.to_text(blocks)
    if not text:
        raise ExtractionError("no-content", "no article text found")
    return Article(
        url=url,
        title=meta.title or "",
        text=text,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        canonical_url=meta.canonical_url,
        language=meta.language,
        site_name=meta.site_name,
        description=meta.description,
        image=meta.image,
        section=meta.section,
        tags=meta.tags,
        method=method,
        kind="live" if posts or meta.live else "article",
        posts=posts,
        html=extract_text.to_html(blocks) if with_html else None,
        markdown=extract_text.to_markdown(blocks) if with_html else None,
        encoding=encoding,
    )


#: The chosen container gives less than this share of the pruned page's text: the page is not
#: one article with a clear body (a forum thread, a product or service page, a listing), and
#: the whole page pruned of boilerplate is its main content (trafilatura's fallback idea).
#: The same share is then checked against the page's text with its link blocks kept: on a
#: listing, collection or portal page the lists of linked items are the content, and a
#: container (or the pruned page) holding under a fifth of that text is not.
WIDEN_BELOW = 0.2


def _widen_to_page(
    body: LexborNode,
    blocks: list[Block],
    method: str,
    winner: extract_dom.Candidate,
    options: RenderOptions,
    notes: list[str],
) -> tuple[list[Block], str, extract_dom.Candidate]:
    """The whole body (pruned) instead of a container that holds a small part of its text."""
    found = sum(len(b.text) for b in blocks)
    # The body's raw text bounds what pruning keeps of it: most pages stop here, unrendered.
    # Its text unstripped is longer still, and cheaper to copy (one buffer, not a string per
    # text node): when the container passes against that, it passes against the stripped.
    raw_chars = len(body.text())
    if found >= WIDEN_BELOW * raw_chars or found >= WIDEN_BELOW * len(body.text(strip=True)):
        return blocks, method, winner
    what = f"the {method} container"
    for links in (True, False):
        if found >= WIDEN_BELOW * raw_chars:
            break  # a render keeps at most the body's raw text: this one could not win
        wide = extract_text.render([body], replace(options, links=links))
        wide_chars = sum(len(b.text) for b in wide)
        if found >= WIDEN_BELOW * wide_chars:
            continue
        kept = "its link blocks kept" if not links else "pruned"
        notes.append(
            f"{what} holds {found} of the page's {wide_chars} chars of text ({kept}):"
            " the whole body is the main content"
        )
        blocks, method, found, what = wide, "page", wide_chars, "the pruned page"
        winner = extract_dom.Candidate([body], "page", "body", 0.0, wide_chars)
    return blocks, method, winner


def _why(
    choice: extract_dom.Choice, winner: extract_dom.Candidate, method: str, notes: list[str]
) -> str:
    """One sentence on why the winner won (for --explain)."""
    if method != winner.method:
        return f"{winner.method} container chosen, then: {notes[-1] if notes else method}"
    reasons = {
        "site-rule": "the site's body_selector from config.toml matched",
        "live": "the page is a live blog: its stream of timed posts is the article",
        "fallback": "no container rule matched real text: the whole body",
        "page": "the best container held under a fifth of the page's text: the whole body",
    }
    if method in reasons:
        return reasons[method]
    decided = [n for n in choice.notes if "container" in n or "densest" in n or "split" in n]
    return "; ".join(decided) or f"the best {method} candidate"


def _explain_candidates(
    body: LexborNode,
    choice: extract_dom.Choice,
    winner: extract_dom.Candidate,
) -> list[dict[str, object]]:
    """Every candidate with its measured size, and what `--body-selector` would give.

    For each candidate: a selector that picks it on this page (what it gives as a site rule
    is measured afterwards by running the pipeline with it). Only computed for --explain.
    """
    out: list[dict[str, object]] = []
    seen: set[int] = set()
    for cand in choice.considered:
        key = cand.nodes[0].mem_id
        if key in seen:
            continue
        seen.add(key)
        row = cand.as_dict()
        row["paragraph_chars"] = sum(extract_dom.paragraph_chars(n) for n in cand.nodes)
        row["text_chars"] = sum(len(n.text(strip=True)) for n in cand.nodes)
        row["won"] = cand is winner or key == winner.nodes[0].mem_id
        selector = extract_dom.selector_for(body, cand.nodes[0])
        if selector:
            row["body_selector"] = selector  # measured by _measure_site_rules
        out.append(row)
    return out


def _live_posts(
    stream: live.Stream | None, meta: Metadata, options: RenderOptions
) -> tuple[LivePost, ...]:
    """Each post of a live blog with its time: from the markup's stream, else from the
    JSON-LD liveBlogUpdate list."""
    if stream is not None:
        quiet = RenderOptions(
            title_words=options.title_words, protected=options.protected, prune=options.prune
        )
        posts = []
        for node in stream.posts:
            text = extract_text.to_text(extract_text.render([node], quiet))
            if text:
                raw = live.post_time(node)
                posts.append(LivePost(normalize_date(raw) or raw, text, node.attributes.get("id")))
        return tuple(posts)
    if meta.live:
        return tuple(LivePost(when, text) for when, text in meta.live_updates)
    return ()


def _text_blocks(body: str) -> list[Block]:
    """Blocks of a body given as text or, when it carries markup, as HTML."""
    if _MARKUP.search(body):
        fragment = LexborHTMLParser(f"<body>{body}</body>").body
        if fragment is not None:
            return extract_text.render([fragment], RenderOptions(prune=False))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", body)]
    return [Block("p", p) for p in paragraphs if p]


def _prefer_state_body(
    page: str, blocks: list[Block], method: str, notes: list[str]
) -> tuple[list[Block], str]:
    """A script-rendered page: the markup is a skeleton, the article is in its JSON state."""
    body = extract_state.body_from_state(page)
    found = sum(len(b.text) for b in blocks)
    if body is None or len(body) < 2 * found:
        return blocks, method
    notes.append(f"markup holds {found} chars; the page's JSON state holds the article")
    return _text_blocks(body), "script-data"


def _prefer_jsonld_body(
    blocks: list[Block], method: str, meta: Metadata, notes: list[str]
) -> tuple[list[Block], str]:
    """Paywalled or script-rendered pages carry the full text only in JSON-LD articleBody."""
    body = meta.article_body
    if not body or method in ("site-rule", "live"):
        return blocks, method
    if "&" in body:  # some CMSs escape the body's HTML once more inside the JSON
        body = html_lib.unescape(body)
    found = sum(len(b.text) for b in blocks)
    if len(body) < 1.3 * found + 100:
        return blocks, method
    # Only when the page's own text is (mostly) the start of the structured body: some sites
    # put a summary or an unrelated text in articleBody.
    body_words = set(_WORDS.findall(body.casefold()))
    page_words = _WORDS.findall(" ".join(b.text for b in blocks)[:50_000].casefold())
    shared = sum(1 for w in page_words if w in body_words) / max(len(page_words), 1)
    if shared >= 0.6:
        notes.append(
            f"JSON-LD articleBody ({len(body)} chars) is longer than the page text ({found})"
        )
        return _text_blocks(body), "json-ld"  # as text, or as HTML when it carries markup
    return blocks, method
