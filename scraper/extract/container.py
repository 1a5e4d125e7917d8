"""Cleaning the parsed page and choosing the container that holds the article.

The choice is an explicit chain, and every step says why it won or lost (for --explain):
a site rule from config.toml, then the CMS/theme body containers of `extract_rules`, checked
against paragraph-density scoring (Readability's idea: paragraphs vote for their ancestors),
then the whole body as a fallback.

May import: the other :mod:`scraper.extract` modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract import rules as rules
from scraper.extract.text import ELLIPSES, describe, inside_region, link_density

_MIN_PARAGRAPH = 25
_ESCAPED_MARKUP = re.compile(r"^<(?:img|picture|source|iframe|video|a|div|span|p)\b", re.I)
_MAX_SCORED = 5_000
_MAX_PEERS = 400
_MERGE_LEVELS = 8
_TRUSTED_CHARS = 400
_BLOCKS = frozenset(
    {"p", "div", "table", "ul", "ol", "section", "article", "blockquote", "pre", "h2", "h3"}
)


@dataclass
class Candidate:
    """A possible article container and how it was found."""

    nodes: list[LexborNode]
    method: str
    label: str
    score: float
    text_chars: int
    specific: bool = False  # found by a CMS/theme body rule, not a generic container

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "node": self.label,
            "score": round(self.score, 2),
            "paragraph_chars": self.text_chars,
        }


@dataclass
class Choice:
    """The winning container plus everything considered on the way."""

    winner: Candidate | None
    considered: list[Candidate] = field(default_factory=list)
    core: LexborNode | None = None
    notes: list[str] = field(default_factory=list)
    headline: LexborNode | None = None


def clean(tree: LexborHTMLParser, discard_selectors: tuple[str, ...], notes: list[str]) -> None:
    """Remove what can never be article text, in place, before any scoring."""
    # One traversal; children before parents so no removed node is touched again.
    for node in reversed(tree.css(rules.STRIP_SELECTOR)):
        node.decompose()
    body = tree.body
    if body is None:
        return
    # With scripting off, <noscript> content is parsed as markup; an unclosed one swallows the
    # rest of the page. Small ones (tracking pixels, "enable JavaScript") go; big ones are kept.
    for node in reversed(body.css("noscript")):
        text = node.text(strip=True)
        # Lazy-loading scripts put escaped markup in <noscript> ("&lt;img src=...&gt;"): it
        # reads as tags in the text, never as article text.
        if len(text) < 200 or _ESCAPED_MARKUP.match(text):
            node.decompose()
        else:
            notes.append("kept a large <noscript> (probably unclosed)")
            node.unwrap()
    for selector in discard_selectors:
        for node in reversed(body.css(selector)):
            node.decompose()
    total = -1
    for node in reversed(body.css(rules.HIDDEN_SELECTOR)):
        attrs = node.attributes
        style = attrs.get("style")
        shown = style is not None and not rules.HIDDEN_STYLE.search(style)
        if shown and "hidden" not in attrs:
            continue
        if _folded(attrs):
            continue
        chars = len(node.text(strip=True))
        # An empty one goes without measuring the page (removing it changes no length).
        if chars and total < 0:
            total = len(body.text(strip=True))
        if chars and chars > total / 2:
            notes.append(f"kept hidden {describe(node)}: it holds most of the page text")
            continue
        node.decompose()
    for node in reversed(body.css(rules.LAYOUT_TAGS)):
        if node.css_first("article, [itemprop=articleBody], main") is None:
            node.decompose()


def _folded(attrs: dict[str, str | None]) -> bool:
    """A tab panel, accordion or collapsible section (rules.FOLDED): hidden until a click."""
    if attrs.get("role") == "tabpanel":
        return True
    words = rules.role_words(attrs.get("class"), attrs.get("id"))
    return bool(words) and rules.FOLDED.search(words) is not None


def _paragraph_score(text: str) -> float:
    length = len(text)
    commas = text.count(",")
    if not text.isascii():  # Arabic and CJK commas
        commas += text.count("،") + text.count("，") + text.count("、")
    return 1.0 + commas + min(length / 100, 3.0)


def _class_weight(node: LexborNode) -> float:
    attrs = node.attributes
    words = rules.role_words(attrs.get("class"), attrs.get("id"))
    if not words:
        return 0.0
    weight = 0.0
    if rules.BAD_CLASS.search(words):
        weight -= 25
    if rules.GOOD_CLASS.search(words):
        weight += 25
    return weight


def paragraph_chars(node: LexborNode) -> int:
    """Characters in the paragraph-like blocks of a subtree (a cheap text-mass measure)."""
    total = 0
    for p in node.css("p, pre, h2, h3, li, blockquote"):
        text = p.text(strip=True)
        if len(text) >= _MIN_PARAGRAPH and not text.endswith(ELLIPSES):
            total += len(text)
    if total == 0:
        total = len(node.text(strip=True)) // 3
    return total


def density_candidates(body: LexborNode, limit: int = 5) -> list[Candidate]:
    """Score ancestors of paragraphs; return the best few containers."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    paras = [(p, p.parent) for p in body.css("p, pre, td, blockquote")[:_MAX_SCORED]]
    for div in body.css("div")[:_MAX_SCORED]:
        if len(div.text(deep=False, strip=True)) >= 80:
            # Text straight in a div: a paragraph when the div has no blocks of its own,
            # otherwise a container whose loose text counts for itself.
            holder = div if any(c.tag in _BLOCKS for c in div.iter()) else div.parent
            paras.append((div, holder))
    for p, ancestor in paras:
        text = p.text(strip=True) if ancestor is not p else p.text(deep=False, strip=True)
        if len(text) < _MIN_PARAGRAPH or text.endswith(ELLIPSES):
            continue
        score = _paragraph_score(text)
        level = 0
        while ancestor is not None and level < 3:
            if ancestor.tag in ("html", "-document"):
                break
            key = ancestor.mem_id
            if key not in nodes:
                nodes[key] = ancestor
                scores[key] = _class_weight(ancestor)
            scores[key] += score / (1 if level == 0 else 2 if level == 1 else level * 3)
            ancestor = ancestor.parent
            level += 1
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)[: limit + 2]
    out = []
    seen: dict[int, bool] = {}
    for key in ranked:
        node = nodes[key]
        if _inside_boilerplate(node, seen):
            continue
        final = scores[key] * (1 - link_density(node))
        out.append(Candidate([node], "density", describe(node), final, 0))
    out.sort(key=lambda c: c.score, reverse=True)
    return out[:limit]


#: A dialog (a cookie-consent or sign-up modal over the page) is never the article, however
#: much prose its settings hold.
_DIALOG_ROLES = frozenset({"dialog", "alertdialog"})


def _inside_boilerplate(node: LexborNode, seen: dict[int, bool]) -> bool:
    """Is the node within a comment thread, share bar, related box...? (Long comments score.)

    `seen` caches the answer per ancestor: the candidates of one page share most of them.
    """
    path: list[int] = []
    ancestor: LexborNode | None = node
    found = False
    while ancestor is not None and ancestor.tag not in ("body", "html"):
        key = ancestor.mem_id
        if key in seen:
            found = seen[key]
            break
        path.append(key)
        attrs = ancestor.attributes
        if attrs.get("role") in _DIALOG_ROLES:
            found = True
            break
        words = rules.role_words(attrs.get("class"), attrs.get("id"))
        if words and rules.NEGATIVE.search(words) in rules.ALWAYS_DISCARD:
            found = True
            break
        ancestor = ancestor.parent
    for key in path:
        seen[key] = found
    return found


def _elsewhere(node: LexborNode, seen: dict[int, bool] | None = None) -> bool:
    """Is the node inside a comment thread or a block of other stories?"""
    return inside_region(node, rules.ELSEWHERE_WORDS, seen)


def outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """The nodes not inside another of them, each once and in document order.

    Lexbor returns a node once per selector of a comma group that matches it
    (".entry-content, .post-content" on one div is two results): without de-duplication the
    body comes out twice.
    """
    unique: dict[int, LexborNode] = {}
    for node in nodes:
        unique.setdefault(node.mem_id, node)
    if len(unique) < len(nodes):
        nodes = _document_order(list(unique.values()))
    ids = set(unique)
    kept = []
    for node in nodes:
        parent = node.parent
        nested = False
        while parent is not None:
            if parent.mem_id in ids:
                nested = True
                break
            parent = parent.parent
        if not nested:
            kept.append(node)
    return kept


def _document_order(nodes: list[LexborNode]) -> list[LexborNode]:
    """Nodes sorted as they appear in the page (results of a comma group come per selector)."""
    if len(nodes) < 2:
        return nodes
    root = nodes[0]
    while root.parent is not None:
        root = root.parent
    wanted = {n.mem_id for n in nodes}
    order = {}
    for index, node in enumerate(root.traverse()):
        if node.mem_id in wanted:
            order[node.mem_id] = index
            if len(order) == len(wanted):
                break
    return sorted(nodes, key=lambda n: order.get(n.mem_id, 0))


def protected_ids(core: LexborNode | None) -> frozenset[int]:
    """Ids of the core block and its ancestors: wrappers, whatever their class names say."""
    ids = set()
    node = core
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return frozenset(ids)


def _contains(outer: LexborNode, inner: LexborNode) -> bool:
    node: LexborNode | None = inner
    target = outer.mem_id
    while node is not None:
        if node.mem_id == target:
            return True
        node = node.parent
    return False


def headline_node(body: LexborNode, title: str | None) -> LexborNode | None:
    """The visible <h1> that carries the page's headline, if there is one."""
    if not title:
        return None
    wanted = " ".join(title.split())
    for node in body.css("h1")[:20]:
        if " ".join(node.text().split()) == wanted:
            return node
    return None


def _not_boilerplate(node: LexborNode) -> bool:
    attrs = node.attributes
    words = rules.role_words(attrs.get("class"), attrs.get("id")).replace("_", "-")
    return not rules.NEGATIVE.search(words) or bool(rules.STRONG_POSITIVE.search(words))


def selector_candidate(body: LexborNode, headline: LexborNode | None = None) -> Candidate | None:
    """The first body-container rule that matches a node with real text.

    For generic rules (a teaser card is an <article> too) the match holding the headline wins
    over a bigger one; otherwise the biggest.
    """
    elsewhere: dict[int, bool] = {}  # per ancestor: inside other stories or comments
    for index, selector in enumerate(rules.BODY_SELECTORS):
        matches = [
            n
            for n in body.css(selector)
            if n.tag not in ("body", "html")
            and _not_boilerplate(n)
            and not _elsewhere(n, elsewhere)
        ]
        if not matches:
            continue
        matches = outermost(matches)
        sized = [(paragraph_chars(n), n) for n in matches]
        best = max(size for size, _ in sized)
        if best < 200:
            continue
        # Bodies split by ads, embeds or paywall markers are several containers of one rule.
        if index >= rules.GENERIC_FROM:
            with_headline = [
                n
                for size, n in sized
                if headline is not None and size >= 200 and _contains(n, headline)
            ]
            kept = with_headline[-1:] or _post_stream(sized, best)
        else:
            kept = [n for size, n in sized if size >= min(best * 0.15, 200)]
        ids = {n.mem_id for n in kept}
        total = sum(size for size, n in sized if n.mem_id in ids)
        label = selector if len(kept) == 1 else f"{selector} (x{len(kept)})"
        return Candidate(
            kept,
            "article",
            f"{label} -> {describe(kept[0])}",
            float(total),
            total,
            specific=index < rules.GENERIC_FROM,
        )
    return None


#: A forum thread or a Q&A page: a generic container rule (".post", "article") matches one
#: block per post, none holding the headline. At least this many posts of one kind (tag and
#: classes), each with prose and few links, that hold together this many times the biggest
#: one's text, are the page's main content: the stream, not its longest post.
STREAM_MIN_POSTS = 3
STREAM_GAIN = 2.0
_STREAM_POST_CHARS = 80


def _post_stream(sized: list[tuple[int, LexborNode]], best: int) -> list[LexborNode]:
    """The posts of a thread when the matches are one, else the biggest match alone."""
    biggest = [n for size, n in sized if size == best][:1]
    kinds: dict[tuple[str, str], list[tuple[int, LexborNode]]] = {}
    for size, node in sized:
        if size >= _STREAM_POST_CHARS:
            kinds.setdefault(_kind(node), []).append((size, node))
    posts = kinds.get(_kind(biggest[0]), [])
    if len(posts) < STREAM_MIN_POSTS or sum(size for size, _ in posts) < STREAM_GAIN * best:
        return biggest
    kept = [n for _, n in posts if link_density(n) < 0.3]
    return kept if len(kept) >= STREAM_MIN_POSTS else biggest


def _kind(node: LexborNode) -> tuple[str, str]:
    """Tag and classes: what repeated blocks of one template share (ids differ per post)."""
    return node.tag or "", " ".join(sorted((node.attributes.get("class") or "").split()))


def choose(body: LexborNode, body_selector: str | None, title: str | None = None) -> Choice:
    """Pick the article container: site rule, body-container rules, density, fallback."""
    choice = Choice(None)
    if body_selector:
        matches = outermost(body.css(body_selector))
        if matches:
            size = sum(paragraph_chars(n) for n in matches)
            cand = Candidate(matches, "site-rule", body_selector, float(size), size)
            choice.considered.append(cand)
            choice.winner = cand
            return choice
        choice.notes.append(f"site rule {body_selector!r} matched nothing")

    choice.headline = headline_node(body, title)
    selected = selector_candidate(body, choice.headline)
    if selected is not None and selected.specific and selected.text_chars >= _TRUSTED_CHARS:
        # A CMS body container with real text is trusted: the rest of the page is not scored
        # at all (inside it, wrappers are still protected by their share of the text).
        choice.winner = selected
        choice.considered.append(selected)
        choice.notes.append("trusted body container")
        return choice
    dense = density_candidates(body)
    top = dense[0] if dense else None
    if top is not None:
        top.text_chars = paragraph_chars(top.nodes[0])
    if selected is not None:
        choice.considered.append(selected)
    choice.considered.extend(dense)

    if selected is not None and top is not None:
        top_node = top.nodes[0]
        if any(_contains(n, top_node) for n in selected.nodes):
            choice.notes.append("body container holds the densest block")
            choice.winner = selected
        elif selected.text_chars >= 0.5 * top.text_chars:
            choice.notes.append("body container holds at least half the densest block's text")
            choice.winner = selected
        else:
            choice.notes.append("densest block has much more text than the body container")
            choice.winner = top
    elif selected is not None:
        choice.notes.append("body container rule matched; no dense block to check it against")
        choice.winner = selected
    else:
        if top is not None:
            choice.notes.append("no body container rule matched real text: the densest block")
        choice.winner = top

    # The densest block is never pruned as boilerplate, nor is anything that wraps it.
    if (
        top is not None
        and choice.winner is not None
        and any(_contains(n, top.nodes[0]) for n in choice.winner.nodes)
    ):
        choice.core = top.nodes[0]
    if choice.winner is top and top is not None:
        merged = _merge_repeated(top, body)
        if merged is not None:
            choice.notes.append(f"the body is split into repeated blocks: {merged.label}")
            choice.winner = merged
        else:
            choice.winner = _widen(top)
    if choice.winner is None:
        choice.winner = Candidate([body], "fallback", "body", 0.0, paragraph_chars(body))
        choice.considered.append(choice.winner)
    return choice


def _merge_repeated(top: Candidate, body: LexborNode) -> Candidate | None:
    """Page builders split one body into many blocks of one kind (a text module per
    paragraph group, with headings and tables in modules of their own): when blocks with the
    densest block's tag and class hold much more prose together than it does alone, the
    article is their closest common ancestor whose text is not mostly links."""
    node = top.nodes[0]
    cls = node.attributes.get("class")
    if not cls or '"' in cls or "\\" in cls:
        return None
    peers = [
        (size, n)
        for n in body.css(f'{node.tag}[class="{cls}"]')[:_MAX_PEERS]
        if (size := paragraph_chars(n)) >= 100 and link_density(n) < 0.3
    ]
    own = paragraph_chars(node)
    total = sum(size for size, _ in peers)
    if len(peers) < 3 or total < 2 * own:
        return None
    best: LexborNode | None = None
    covered = own
    ancestor = node.parent
    for _ in range(_MERGE_LEVELS):
        if ancestor is None or ancestor.tag in ("body", "html"):
            break
        inside = sum(size for size, peer in peers if _contains(ancestor, peer))
        if inside > covered and link_density(ancestor) < 0.35:
            best, covered = ancestor, inside
        if inside >= 0.9 * total:
            break
        ancestor = ancestor.parent
    if best is None or covered < 2 * own:
        return None
    chars = paragraph_chars(best)
    return Candidate(
        [best],
        "density",
        f"{describe(best)} (holds {len(peers)} x {describe(node)})",
        top.score,
        chars,
    )


def _widen(top: Candidate) -> Candidate:
    """Readability's sibling merge: paragraphs split across sibling containers belong together."""
    node = top.nodes[0]
    parent = node.parent
    if parent is None or parent.tag in ("body", "html"):
        return top
    threshold = max(10.0, top.score * 0.2)
    kept: list[LexborNode] = []
    for sibling in parent.iter():
        if sibling.mem_id == node.mem_id:
            kept.append(sibling)
            continue
        text = sibling.text(strip=True)
        if len(text) < _MIN_PARAGRAPH:
            continue
        density = link_density(sibling, len(text))
        # A <p>, or a div that is itself a paragraph (its text straight inside it).
        paragraph_like = sibling.tag == "p" or (
            sibling.tag == "div" and len(sibling.text(deep=False, strip=True)) >= len(text) * 0.5
        )
        if (
            paragraph_like
            and (
                (len(text) > 80 and density < 0.25)
                or (density == 0 and text.rstrip()[-1:] in ".!?")
            )
            or paragraph_chars(sibling) * (1 - density) / 30 >= threshold
            and density < 0.3
        ):
            kept.append(sibling)
    if len(kept) > 1:
        return Candidate(
            kept, "density", top.label + f" (+{len(kept) - 1} siblings)", top.score, top.text_chars
        )
    return top


def selector_for(body: LexborNode, node: LexborNode) -> str | None:
    """A CSS selector that picks this node on this page (for --explain's body_selector hint):
    its id, else its tag and classes, when that matches it alone (or only its nested kin)."""
    if node.tag in ("body", "html"):
        return None  # a site rule selects inside the body, never the body itself
    attrs = node.attributes
    ident = attrs.get("id")
    if ident and re.fullmatch(r"[A-Za-z][\w-]*", ident):
        return f"#{ident}"
    classes = [
        c for c in (attrs.get("class") or "").split() if re.fullmatch(r"-?[A-Za-z_][\w-]*", c)
    ]
    tag = node.tag or ""
    for count in range(1, min(len(classes), 3) + 1):
        selector = tag + "".join(f".{c}" for c in classes[:count])
        if len(outermost(body.css(selector))) == 1:
            return selector
    if tag in ("article", "main") and len(body.css(tag)) == 1:
        return tag
    return None
