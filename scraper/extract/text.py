"""Turn the chosen article container into paragraphs, pruning boilerplate on the way.

One iterative walk does both jobs: an element judged to be boilerplate is skipped with its whole
subtree (never decomposed, so no node object outlives its memory), and kept text is gathered
into blocks. Blocks carry their kind, so the same walk yields text, clean HTML and Markdown.
Iterative, not recursive: pages nest 100k elements deep.

May import: the other :mod:`scraper.extract` modules.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from scraper.extract import rules as rules

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s")
_PIECE = 65_536
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_KIND_OF_TAG = {
    "h1": "h2",
    "h2": "h2",
    "h3": "h3",
    "h4": "h4",
    "h5": "h4",
    "h6": "h4",
    "li": "li",
    "dt": "li",
    "dd": "li",
    "blockquote": "quote",
    "pre": "pre",
    "td": "cell",
    "th": "cell",
}
_LIST_TAGS = frozenset({"ul", "ol", "dl", "menu"})
_CONTAINER_TAGS = frozenset({"div", "section", "table", "aside", "header", "footer", "form"})
# Phrasing elements are never judged on their own: their block decides (and it is cheaper).
_INLINE_TAGS = frozenset(
    {
        "a",
        "b",
        "i",
        "em",
        "strong",
        "u",
        "s",
        "sup",
        "sub",
        "small",
        "abbr",
        "cite",
        "code",
        "mark",
        "q",
        "time",
        "font",
        "wbr",
        "img",
        "picture",
        "source",
        "bdi",
        "bdo",
        "kbd",
        "var",
    }
)
_BOILERPLATE_ROLES = frozenset(
    {"navigation", "complementary", "banner", "contentinfo", "dialog", "alertdialog", "alert"}
)
_TEASER_TAGS = frozenset({"li", "article", "div"})
ELLIPSES = ("...", "…", "[…]", "[...]", "…)")
_INVISIBLE = ("\u00ad", "\u200b", "\u2060", "\ufeff")
_JOINERS = "\u200c\u200d \u00a0"  # joiners are kept inside text (emoji, Persian), not alone
_NEVER_DISCARD = frozenset({"html", "body", "main"})
# The lowest share of linked text that makes a block boilerplate (a short link block).
_LOWEST_LINK_SHARE = 0.35
_MAX_BLOCKS = 20_000


@dataclass(frozen=True)
class Block:
    """One paragraph of output: its kind ("p", "h2".."h4", "li", "quote", "pre", "cell")."""

    kind: str
    text: str


@dataclass
class Discard:
    """Why a subtree was left out (collected only for --explain)."""

    node: str
    reason: str
    chars: int


@dataclass
class RenderOptions:
    title_words: tuple[str, ...] = ()
    trace: list[Discard] | None = None
    prune: bool = True
    protected: frozenset[int] = field(default_factory=frozenset)
    links: bool = True  # judge blocks by their share of linked text (off: only names judge)


def collapse(text: str) -> str:
    """Inline whitespace collapsed to single spaces.

    split/join is fastest for paragraphs, but on a 10 MB one-line page it (and re.sub) would
    build millions of small string objects; long text is collapsed in 64 KB pieces cut at
    whitespace, which keeps memory flat.
    """
    if len(text) < _PIECE:
        return " ".join(text.split())
    pieces: list[str] = []
    pos, end_of_text = 0, len(text)
    while pos < end_of_text:
        end = min(pos + _PIECE, end_of_text)
        if end < end_of_text:
            space = _SPACE.search(text, end)
            end = space.start() if space else end_of_text
        piece = " ".join(text[pos:end].split())
        if piece:
            pieces.append(piece)
        pos = end
    return " ".join(pieces)


def describe(node: LexborNode) -> str:
    """A short CSS-like label for a node: tag#id.class1.class2."""
    attrs = node.attributes
    label = node.tag or "?"
    if attrs.get("id"):
        label += "#" + (attrs.get("id") or "")[:40]
    classes = (attrs.get("class") or "").split()
    if classes:
        label += "." + ".".join(classes[:4])
    return label


def norm_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.translate(_QUOTES).casefold()))


def link_density(node: LexborNode, text_len: int | None = None) -> float:
    if text_len is None:
        text_len = len(node.text(strip=True))
    if text_len == 0:
        return 0.0
    return min(linked_chars(node) / text_len, 1.0)


def linked_chars(node: LexborNode) -> int:
    """Characters of text inside the node's links."""
    return sum(len(a.text(strip=True)) for a in node.css("a"))


def inside_region(
    node: LexborNode, region_words: frozenset[str], seen: dict[int, bool] | None = None
) -> bool:
    """Is *node* inside an ancestor whose class or id names one of *region_words* (a comment
    thread, a block of other stories)? Only the boilerplate words of the names count.

    `seen` caches the answer per ancestor for one set of words: the many matches of one
    query (every teaser card of a page) climb through the same wrappers."""
    path: list[int] = []
    found = False
    ancestor = node.parent
    while ancestor is not None and ancestor.tag not in ("body", "html"):
        if seen is not None:
            key = ancestor.mem_id
            known = seen.get(key)
            if known is not None:
                found = known
                break
            path.append(key)
        attrs = ancestor.attributes
        words = rules.role_words(attrs.get("class"), attrs.get("id"))
        if words and rules.NEGATIVE.find_all(words) & region_words:
            found = True
            break
        ancestor = ancestor.parent
    if seen is not None:
        for key in path:
            seen[key] = found
    return found


def boilerplate_words(node: LexborNode, cls: str | None, ident: str | None) -> frozenset[str]:
    """The boilerplate words of a class/id (empty when none, or when a container name
    also matches); an id that spells the element's own text ("how-to-share-a-file" on that
    heading or section) is an anchor, not a role."""
    found, kept = _named_words(cls, ident)
    if not found:
        # The words of the class alone are among these: no word, with or without the id.
        return found
    if ident and _is_slug_of_text(ident, node):
        return _named_words(cls, None)[1]
    return kept


_NAMED: dict[tuple[str | None, str | None], tuple[frozenset[str], frozenset[str]]] = {}


def _named_words(cls: str | None, ident: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """The boilerplate words of a class and id, and the same but none when a container name
    also matches; cached per value pair (a page repeats a few hundred of them on thousands of
    elements)."""
    key = (cls, ident)
    pair = _NAMED.get(key)
    if pair is None:
        words = rules.role_words(cls, ident).replace("_", "-")
        found = rules.NEGATIVE.find_all(words)
        strong = bool(found) and rules.STRONG_POSITIVE.search(words) is not None
        pair = (found, frozenset() if strong else found)
        if len(_NAMED) >= 50_000:
            _NAMED.clear()
        _NAMED[key] = pair
    return pair


def _is_slug_of_text(ident: str, node: LexborNode) -> bool:
    tokens = [t for t in re.split(r"[-_\s]+", ident.casefold()) if t and not t.isdigit()]
    if len(tokens) < 2:
        return False
    start = set(_WORD.findall(node.text()[:400].casefold()))
    return sum(t in start for t in tokens) >= 0.66 * len(tokens)


def holds_prose(node: LexborNode, text: str) -> bool:
    """Long, mostly unlinked text with at least one real paragraph: an article section."""
    if len(text) < rules.PROSE_MIN_CHARS or link_density(node, len(text)) >= 0.2:
        return False
    for block in node.css("p, div, li, blockquote, span"):
        own = block.text(strip=True)
        if (
            len(own) >= rules.PROSE_PARAGRAPH
            and not own.endswith(ELLIPSES)
            and (
                block.tag in ("p", "li", "blockquote")
                or len(block.text(deep=False, strip=True)) >= 0.5 * len(own)
            )
        ):
            return True
    return False


def _is_title(node: LexborNode, title_words: tuple[str, ...]) -> bool:
    return norm_words(node.text()) == title_words


_FURNITURE: dict[str, bool] = {}


def _is_furniture(text: str) -> bool:
    """A short block that is page furniture (rules.FURNITURE_TEXT) or a dateline; cached per
    text: menus, share bars and labels repeat within a page, across a site's pages and in
    the second render of a page's body."""
    found = _FURNITURE.get(text)
    if found is None:
        found = bool(rules.FURNITURE_TEXT.match(text)) or _is_dateline(text)
        if len(_FURNITURE) >= 50_000:
            _FURNITURE.clear()
        _FURNITURE[text] = found
    return found


def _is_dateline(text: str) -> bool:
    if not rules.DATELINE.search(text):
        return False
    sentence = text.endswith((".", "!", "?")) and len(text.split()) >= 8
    return not sentence


def _holds_link(node: LexborNode) -> bool:
    """Whether a small subtree (a short paragraph) holds an <a>: walked in Python, since a
    CSS query costs more to set up than a short paragraph's few nodes take to visit."""
    return any(item.tag == "a" for item in node.traverse())


def _is_teaser(node: LexborNode, text: str) -> bool:
    """A link to another story followed by a cut-off excerpt ("... the index r...")."""
    if not text.endswith(ELLIPSES) or len(text) > 1500:
        return False
    link = node.css_first("a")
    return link is not None and len(link.text(strip=True)) >= 15


class _RootSize:
    """Characters of the article container, measured only if a rule needs it (it copies
    the whole text)."""

    def __init__(self, roots: list[LexborNode]) -> None:
        self._roots = roots
        self._chars: int | None = None
        self._layout: dict[str, int] | None = None
        # Linked characters of the blocks judged so far (an upper bound for their children).
        self.linked: dict[int, int] = {}

    @property
    def chars(self) -> int:
        if self._chars is None:
            self._chars = sum(len(root.text(strip=True)) for root in self._roots)
        return self._chars

    def is_layout_word(self, words: frozenset[str]) -> bool:
        """Do blocks named by one of these words hold most of the container's text?"""
        if self._layout is None:
            self._layout = self._measure_words()
        return any(self._layout.get(w, 0) > 0.5 * self.chars for w in words)

    def _measure_words(self) -> dict[str, int]:
        # Outermost named blocks per word, so nested ones are not counted twice.
        chars: dict[str, int] = {}
        inside: dict[str, list[LexborNode]] = {}
        # A page repeats a few hundred class values over thousands of elements.
        words_of: dict[str | None, frozenset[str]] = {}
        for root in self._roots:
            for node in root.css("[class]"):
                cls = node.attributes.get("class")
                named = words_of.get(cls)
                if named is None:
                    named = words_of[cls] = rules.NEGATIVE.find_all(rules.role_words(cls))
                for word in named:
                    outer = inside.setdefault(word, [])
                    if outer and _within(node, outer[-1]):
                        continue
                    outer.append(node)
                    chars[word] = chars.get(word, 0) + len(node.text(strip=True))
        return chars


def _within(node: LexborNode, outer: LexborNode) -> bool:
    parent = node.parent
    target = outer.mem_id
    while parent is not None:
        if parent.mem_id == target:
            return True
        parent = parent.parent
    return False


#: The tags `discard_reason` judges even without attributes (by their links, text or
#: content); any other element without a class, id or role is kept unjudged.
_JUDGED_TAGS = frozenset(
    {"figcaption", "header", "p"} | _LIST_TAGS | _CONTAINER_TAGS | _TEASER_TAGS
)


def discard_reason(
    node: LexborNode, tag: str, root: _RootSize, by_links: bool = True
) -> str | None:
    """Why this element is boilerplate, or None to keep it."""
    if tag in _NEVER_DISCARD:
        return None
    if tag == "figcaption":
        return "caption"
    if tag == "header" and node.css_first("h1") is not None:
        return "article header (headline, byline)"
    text: str | None = None
    attrs = node.attributes
    cls, ident = attrs.get("class"), attrs.get("id")
    if cls or ident:
        found = boilerplate_words(node, cls, ident)
        if found:
            word = min(found)
            if found & rules.THREAD_WORDS:
                return f"boilerplate class/id ({word})"
            text = node.text(strip=True)
            # A name is a weak signal: a block of long, unlinked prose is article text
            # whatever its class says ("newsletter-post", "product-widget", "share-economy"),
            # unless several boilerplate words agree ("widget cta"). A wrapper holding most
            # of the article is layout, whatever its name; so is a word that names most of
            # the container's blocks (a page builder that calls every block a "widget").
            if (
                (len(found) > 1 or not holds_prose(node, text))
                and (found & rules.ALWAYS_DISCARD or len(text) <= root.chars * 0.5)
                and not (len(text) >= 200 and root.is_layout_word(found))
            ):
                return f"boilerplate class/id ({word})"
    role = attrs.get("role")
    if role in _BOILERPLATE_ROLES:
        return f"role={role}"
    if not by_links:
        return None
    if tag == "span" and cls:
        # A cluster of links tucked inside running text: a hover card or a tag strip.
        links = node.css("a")
        if len(links) >= 3 and link_density(node) > 0.7:
            return "link cluster inside text"
        return None
    if tag == "p":
        # Only a short paragraph can be a lone link ("Read more: ..."); measure text first.
        text = node.text(strip=True) if text is None else text
        if len(text) >= 200 or not _holds_link(node):
            return None
        if rules.READ_MORE_PREFIX.match(text):
            return "link to another story (read more)"
        density = link_density(node, len(text))
        return f"link paragraph (density {density:.2f})" if density > 0.8 else None
    checks_links = tag in _LIST_TAGS or tag in _CONTAINER_TAGS
    if not checks_links:
        if tag not in _TEASER_TAGS:
            return None
        # Only a teaser remains to check, and it ends with an ellipsis: text first (an <li>'s
        # is short), the link query only then.
        text = node.text(strip=True) if text is None else text
        if _is_teaser(node, text):
            return "teaser (linked headline + truncated excerpt)"
        return None
    # Linked text inside a block is at most its parent's: when the parent's linked text is
    # known (measured, or bounded by its own parent), a child whose text is much longer
    # cannot be a link block, and the link query and its sum are skipped.
    parent = node.parent
    bound = root.linked.get(parent.mem_id) if parent is not None else None
    key = node.mem_id
    if bound == 0:
        root.linked[key] = 0
        return None
    if bound is None and node.css_first("a") is None:
        root.linked[key] = 0
        return None
    if text is None:
        text = node.text(strip=True)
    if tag in _TEASER_TAGS and text.endswith(ELLIPSES):
        if bound is not None and node.css_first("a") is None:
            root.linked[key] = 0
            return None
        if _is_teaser(node, text):
            return "teaser (linked headline + truncated excerpt)"
    if not text:
        return None
    text_len = len(text)
    if bound is not None and bound <= _LOWEST_LINK_SHARE * text_len:
        root.linked[key] = bound
        return None
    linked = linked_chars(node)
    root.linked[key] = linked
    density = min(linked / text_len, 1.0)
    if tag in _LIST_TAGS:
        if density > 0.5:
            return f"link list (density {density:.2f})"
    elif tag == "table":
        # Data tables link their first column; navigation tables are links throughout.
        if density > 0.8:
            return f"link table (density {density:.2f})"
    elif density > 0.6 or (density > 0.35 and text_len < 300):
        return f"link block (density {density:.2f})"
    return None


def render(roots: list[LexborNode], options: RenderOptions) -> list[Block]:
    """Walk the roots in document order and return the kept paragraphs."""
    blocks: list[Block] = []
    parts: list[str] = []
    kinds: list[str] = []
    trace = options.trace
    title_words = options.title_words
    # The headline repeated as a block (a styled <p>, a <h2>): only short blocks can be it.
    title_chars = sum(len(word) + 1 for word in title_words)

    def flush() -> None:
        if not parts:
            return
        text = collapse("".join(parts))
        parts.clear()
        if not text:
            return
        if not text.isascii():
            # Soft hyphens, zero-width spaces and word joiners are invisible hyphenation and
            # layout hints; a block of only invisible joiners is an empty spacer paragraph.
            for char in _INVISIBLE:
                if char in text:
                    text = text.replace(char, "")
            text = text.strip()
            if not text or not text.strip(_JOINERS):
                return
        kind = kinds[-1] if kinds else "p"
        if len(text) < 80 and _is_furniture(text):
            if trace is not None:
                trace.append(
                    Discard(node=f"text {text[:40]!r}", reason="furniture", chars=len(text))
                )
            return
        if (
            title_words
            and abs(len(text) - title_chars) <= title_chars // 3 + 3
            and norm_words(text) == title_words
        ):
            if trace is not None:
                trace.append(
                    Discard(node=f"heading {text[:40]!r}", reason="title", chars=len(text))
                )
            return
        blocks.append(Block(kind, text))

    # Stack items: a node to enter, or a string marking the end of a block of that kind.
    stack: list[LexborNode | str] = list(reversed(roots))
    root_size = _RootSize(roots)
    first = True
    # Looked up once: the loop visits every node of the container.
    skip_tags, block_tags, inline_tags = rules.SKIP_TAGS, rules.BLOCK_TAGS, _INLINE_TAGS
    judged_tags = _JUDGED_TAGS
    prune, protected, by_links = options.prune, options.protected, options.links
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if parts:
                flush()
            kinds.pop()
            continue
        tag = item.tag
        if tag == "-text":
            parts.append(item.text_content or "")
            continue
        if tag is None or tag[0] == "-" or tag in skip_tags:
            continue
        if (
            prune
            and not first
            and tag not in inline_tags
            and (tag in judged_tags or item.attributes)
            and item.mem_id not in protected
        ):
            reason = discard_reason(item, tag, root_size, by_links)
            if reason is not None:
                if trace is not None:
                    trace.append(
                        Discard(
                            node=describe(item), reason=reason, chars=len(item.text(strip=True))
                        )
                    )
                continue
        first = False
        if tag in block_tags:
            if parts:
                flush()
            if tag in ("br", "hr"):
                continue
            if tag == "h1" and title_words and (not blocks or _is_title(item, title_words)):
                # The headline (kept in `title`); later <h1>s are the page's subheadings.
                if trace is not None:
                    trace.append(Discard(node=describe(item), reason="headline", chars=0))
                continue
            if len(blocks) > _MAX_BLOCKS:
                break
            kinds.append(
                _KIND_OF_TAG.get(
                    tag, kinds[-1] if kinds and tag not in ("div", "section", "article") else "p"
                )
            )
            stack.append(tag)
        children = list(item.iter(include_text=True))
        children.reverse()
        stack.extend(children)
    flush()
    return blocks


def to_text(blocks: list[Block]) -> str:
    return "\n\n".join(block.text for block in blocks)


def to_html(blocks: list[Block]) -> str:
    """Sanitised article HTML: only our own tags, all text escaped, no attributes."""
    out: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "li" and not in_list:
            out.append("<ul>")
            in_list = True
        elif block.kind != "li" and in_list:
            out.append("</ul>")
            in_list = False
        tag = {"quote": "blockquote", "cell": "p"}.get(block.kind, block.kind)
        out.append(f"<{tag}>{html_lib.escape(block.text, quote=False)}</{tag}>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def to_markdown(blocks: list[Block]) -> str:
    prefix = {"h2": "## ", "h3": "### ", "h4": "#### ", "li": "- ", "quote": "> "}
    out = []
    for block in blocks:
        if block.kind == "pre":
            out.append("```\n" + block.text + "\n```")
        else:
            out.append(prefix.get(block.kind, "") + block.text)
    return "\n\n".join(out)
