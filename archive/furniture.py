"""Page furniture that changes without an edit: counters and relative times in short lines.

The second line of defence after extraction. When an extractor lets a line such as
"Comments (51)", "1,234 views", "12 min read" or "LIVE · Updated 5 minutes ago" into the text,
the line changes on every crawl although nobody edited the article. :func:`mask_line` replaces
such counters and relative times by a placeholder in *short* lines only, and the version
decision (:mod:`archive.versions`) compares masked texts: a line that differs from the previous
version only there does not make a version by itself.

What is never masked, so real edits still make versions: numbers in sentences ("3 killed" ->
"4 killed", "voted 212 to 198"), any number not attached to a counter word ("Comments",
"views", "likes", "replies", "reactions", "shares" in "Shares (12)"...) or a relative-time or
reading-time phrase, and every line longer than :data:`SHORT_LINE_WORDS` words (the furniture
an extractor keeps by mistake is a line of its own, not part of a paragraph).

Pure: strings in, strings out. May import: nothing of the project.
"""

from __future__ import annotations

import re

#: Lines of at most this many words are checked for counters and relative times.
SHORT_LINE_WORDS = 20

PLACEHOLDER = "\u2026#"  # never produced by normalization of real text

_NUMBER = r"\d[\d,.\u202f\u00a0']*\s*[kKmM]?\+?(?!\s*%)"  # a count, never a percentage
_COUNTED = r"comments?|views?|likes?|replies|repl(?:y|ies)|reactions?|responses?|readers?|reads"
_STAMPED = r"(?:last\s+)?(?:updated|published|posted|edited|modified)(?:\s+on)?:?"
_UNITS = (
    r"s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|months?|"
    r"y|yrs?|years?"
)

_TIMES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # relative times: "5 minutes ago", "an hour ago", "3h ago", "just now", with the verb
        # before them ("Published 3 hours ago" becomes "Updated 5 minutes ago" at an edit,
        # which is the edit's version already, not a second change of its own)
        rf"\b(?:{_STAMPED}\s+)?(?:{_NUMBER}|an?|one)\s*(?:{_UNITS})\.?\s+ago\b",
        rf"\b(?:{_STAMPED}\s+)?just now\b",
        # reading, listening or watching time: "12 min read", "4-minute read"
        rf"\b{_NUMBER}\s*-?\s*(?:min(?:ute)?s?|m)\.?\s+(?:read|listen|watch)\b",
    )
)
_COUNTERS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # a counter after its word: "Comments (51)", "Views: 1,234", "Shares [12]"
        rf"\b(?:{_COUNTED}|shares?)\s*(?:\(\s*{_NUMBER}\s*\)|\[\s*{_NUMBER}\s*\]|:\s*{_NUMBER})",
        # a counter before its word: "51 comments", "1.2k views"
        rf"(?<![\w.,]){_NUMBER}\s+(?:{_COUNTED})\b",
    )
)


_WORD = re.compile(r"\w+")


def is_short(line: str) -> bool:
    """A line of at most :data:`SHORT_LINE_WORDS` words (a byline or a counter, not a paragraph)."""
    return len(_WORD.findall(line)) <= SHORT_LINE_WORDS


def mask_line(line: str) -> str:
    """*line* with its counters and relative times replaced by a placeholder, if it is short.

    >>> mask_line("Comments (51) · 1,234 views")
    '…#comments · …#views'
    """
    if not is_short(line):
        return line
    for pattern in _TIMES:
        line = pattern.sub(PLACEHOLDER, line)
    for pattern in _COUNTERS:
        line = pattern.sub(_counter, line)
    return line


def _counter(match: re.Match[str]) -> str:
    # Keep the counter's word, so "Comments (51)" and "Reactions (51)" still differ.
    words = re.findall(r"[^\W\d]+", match.group(0))
    return PLACEHOLDER + (words[-1].lower() if words else "")


def mask_text(text: str) -> str:
    """Every paragraph of *text* (blank-line separated) through :func:`mask_line`."""
    return "\n\n".join(mask_line(p) for p in text.split("\n\n"))
