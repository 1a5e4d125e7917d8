"""Article text from the state a script-rendered page ships as JSON.

Single-page apps (Next.js `__NEXT_DATA__`, `application/json` islands, `window.__STATE__ = {...}`)
send the article as data and build the markup in the browser; without scripting, the parsed page
holds a skeleton. Only consulted when the markup gave (almost) nothing, so ordinary pages pay
nothing: the scripts are found in the raw page by regex, not in the tree.

May import: the other :mod:`scraper.extract` modules.
"""

from __future__ import annotations

import json
import re
from typing import Any

_DATA_OPENING = re.compile(
    r"id\s*=\s*[\"']?__NEXT_DATA__|type\s*=\s*[\"']?application/json", re.IGNORECASE
)
_STATE_ASSIGNMENT = re.compile(r"^\s*window\.(?:__[A-Z0-9_]+__|[A-Za-z_]*[Ss]tate)\s*=\s*")
_MAX_SCRIPTS = 300
_OPEN = re.compile(r"<script\b", re.IGNORECASE)
_CLOSE = re.compile(r"</script", re.IGNORECASE)
# Keys under which CMSs keep the body (compared lowercased, without "_" and "-").
_BODY_KEYS = frozenset(
    {
        "articlebody",
        "body",
        "bodytext",
        "bodyhtml",
        "content",
        "contenthtml",
        "text",
        "html",
        "story",
        "storybody",
        "articletext",
        "blocks",
        "paragraphs",
        "contentelements",
    }
)
_ITEM_KEYS = ("text", "content", "html", "body", "value")
MAX_STATE_CHARS = 5_000_000
_MAX_VISITS = 200_000
_MIN_BODY = 200


def body_from_state(page: str) -> str | None:
    """The longest article-like body found in the page's JSON state, or None."""
    best: str | None = None
    for raw in _state_texts(page):
        if not raw.strip() or len(raw) > MAX_STATE_CHARS:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        found = _longest_body(data)
        if found and (best is None or len(found) > len(best)):
            best = found
    return best


def _state_texts(page: str) -> list[str]:
    """JSON texts of data scripts and `window.__STATE__ = {...}` assignments.

    Scanned with str.find (linear; a regex with a lazy body would rescan the rest of the page
    for every unclosed <script>).
    """
    texts: list[str] = []
    pos = 0
    for _ in range(_MAX_SCRIPTS):
        start = _OPEN.search(page, pos)
        if start is None:
            break
        open_end = page.find(">", start.end())
        close = _CLOSE.search(page, open_end) if open_end != -1 else None
        if close is None:
            break
        opening = page[start.start() : open_end]
        content = page[open_end + 1 : close.start()]
        if _DATA_OPENING.search(opening):
            texts.append(content)
        else:
            assignment = _STATE_ASSIGNMENT.match(content)
            if assignment:
                texts.append(content[assignment.end() :].strip().rstrip(";"))
        pos = close.end()
    return texts


def _norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _longest_body(data: Any) -> str | None:
    best: str | None = None
    visits = 0
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and visits < _MAX_VISITS:
        key, value = stack.pop()
        visits += 1
        candidate: str | None = None
        if isinstance(value, dict):
            stack.extend((str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            if _norm_key(key) in _BODY_KEYS:
                candidate = _join_items(value)
            stack.extend((key, v) for v in value if isinstance(v, dict | list))
        elif isinstance(value, str) and _norm_key(key) in _BODY_KEYS:
            candidate = value
        if (
            candidate
            and len(candidate) >= _MIN_BODY
            and (best is None or len(candidate) > len(best))
        ):
            best = candidate
    return best


def _join_items(items: list[Any]) -> str:
    """A body stored as a list of blocks: strings, or objects with a text field."""
    paragraphs = []
    for item in items:
        if isinstance(item, str):
            paragraphs.append(item)
        elif isinstance(item, dict):
            for field in _ITEM_KEYS:
                text = item.get(field)
                if isinstance(text, str) and text.strip():
                    paragraphs.append(text)
                    break
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())
