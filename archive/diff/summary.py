"""Change summaries: what kind of edit turned one version into the next, in faceted numbers.

The store calls :func:`summarize_change` when it writes a version, so change kinds can be
filtered in SQL without diffing at read time.

May import: :mod:`archive.diff.model`, :mod:`archive.diff.algorithm`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from archive.diff.algorithm import count_words, diff_versions, split_paragraphs
from archive.diff.model import Diff

ChangeKind = Literal[
    "first", "typo", "rewording", "addition", "removal", "headline", "rewrite", "unchanged"
]
CHANGE_KINDS: tuple[str, ...] = (
    "first",
    "typo",
    "rewording",
    "addition",
    "removal",
    "headline",
    "rewrite",
    "unchanged",
)


@dataclass(frozen=True)
class ChangeSummary:
    """What kind of edit turned one version into the next, in numbers a table can facet on."""

    kind: ChangeKind
    title_changed: bool
    paragraphs_added: int
    paragraphs_removed: int
    paragraphs_edited: int
    paragraphs_moved: int
    words_added: int
    words_removed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeSummary:
        """Rebuild a summary stored as JSON; unknown keys are ignored for forward compatibility."""
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in names})


# A typo-level correction swaps a single word (a misspelling, a wrong weekday or figure), or
# touches at most two words on each side and this many characters in all.
_TYPO_MAX_WORDS = 2
_TYPO_MAX_CHARS = 4


def _char_edits(old: str, new: str) -> int:
    """Characters changed between two short strings (only typos need the exact figure)."""
    if len(old) + len(new) > 4 * _TYPO_MAX_CHARS + 40:
        return max(len(old), len(new))
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def summarize_diff(diff: Diff) -> ChangeSummary:
    """Count what changed in *diff* and name the kind of edit (see :func:`summarize_change`)."""
    added = removed = edited = moved = 0
    words_added = words_removed = 0
    equal_words = 0
    char_edits = 0
    for block in diff.blocks:
        if block.kind == "equal":
            equal_words += count_words(block.old_text)
        elif block.kind == "added":
            if block.new_text.strip():
                added += 1
            words_added += count_words(block.new_text)
        elif block.kind == "removed":
            if block.old_text.strip():
                removed += 1
            words_removed += count_words(block.old_text)
        elif block.kind in ("edited", "moved-in"):
            if block.kind == "edited":
                edited += 1
            else:
                moved += 1
            for w in block.words:
                if w.tag == "equal":
                    equal_words += count_words(w.old_text)
                else:
                    words_added += count_words(w.new_text)
                    words_removed += count_words(w.old_text)
                    char_edits += _char_edits(w.old_text, w.new_text)
            if block.kind == "moved-in" and not block.words:
                equal_words += count_words(block.new_text)
    old_words = count_words(diff.old_text)
    new_words = count_words(diff.new_text)
    title_changed = diff.title_changed

    def make(kind: ChangeKind) -> ChangeSummary:
        return ChangeSummary(
            kind=kind,
            title_changed=title_changed,
            paragraphs_added=added,
            paragraphs_removed=removed,
            paragraphs_edited=edited,
            paragraphs_moved=moved,
            words_added=words_added,
            words_removed=words_removed,
        )

    if not diff.text_changed:
        return make("headline" if title_changed else "unchanged")
    total = old_words + new_words
    similarity = 2 * equal_words / total if total else 1.0
    pure_addition = words_added > 0 and words_removed <= max(1, words_added // 10) and not removed
    pure_removal = words_removed > 0 and words_added <= max(1, words_removed // 10) and not added
    one_word = words_added <= 1 and words_removed <= 1
    small = (
        not added
        and not removed
        and words_added <= _TYPO_MAX_WORDS
        and words_removed <= _TYPO_MAX_WORDS
        and (one_word or char_edits <= _TYPO_MAX_CHARS)
    )
    if similarity < 0.5 and not pure_addition and not pure_removal:
        return make("rewrite")
    if title_changed:
        return make("headline")
    if small and not moved:
        return make("typo")
    if pure_addition and (added or words_added > _TYPO_MAX_WORDS):
        return make("addition")
    if pure_removal and (removed or words_removed > _TYPO_MAX_WORDS):
        return make("removal")
    return make("rewording")


def summarize_change(
    old_title: str | None, old_text: str | None, new_title: str, new_text: str
) -> ChangeSummary:
    """Summarize the edit from one version to the next; ``old_text=None`` means a first version.

    The kinds, checked in this order:

    - ``first``: there is no previous version.
    - ``unchanged``: same title and text (the store normally records no version then).
    - ``rewrite``: less than half of the words survive, and it is not a plain addition/removal.
    - ``headline``: the title changed (with at most a moderate text edit).
    - ``typo``: one word swapped, or a few characters in at most two words; no paragraph added
      or removed.
    - ``addition`` / ``removal``: text only added (or only removed), beyond a couple of words.
    - ``rewording``: everything else — edits inside paragraphs, moves, mixed changes.
    """
    if old_text is None:
        paragraphs = [p for p in split_paragraphs(new_text) if p.strip()]
        return ChangeSummary(
            kind="first",
            title_changed=False,
            paragraphs_added=len(paragraphs),
            paragraphs_removed=0,
            paragraphs_edited=0,
            paragraphs_moved=0,
            words_added=count_words(new_text),
            words_removed=0,
        )
    diff = diff_versions(old_text, new_text, old_title=old_title, new_title=new_title)
    return summarize_diff(diff)
