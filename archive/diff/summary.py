"""Change summaries: what kind of edit turned one version into the next, in faceted numbers.

The store calls :func:`summarize_change` when it writes a version, so change kinds can be
filtered in SQL without diffing at read time.

May import: :mod:`archive.diff.model`, :mod:`archive.diff.algorithm`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, get_args

from archive.diff.algorithm import count_words, diff_versions, split_paragraphs
from archive.diff.model import Diff, Op

ChangeKind = Literal[
    "first",
    "typo",
    "correction",
    "wording",
    "addition",
    "removal",
    "headline",
    "rewrite",
    "live-update",
    "unchanged",
]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)


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


# A small edit (typo, correction, wording) adds and removes at most this many words each and
# no paragraph. A typo changes a word by at most _TYPO_MAX_CHARS characters ("cadidates" ->
# "candidates", "teh" -> "the"), and never a fact: a number, a date or a name.
_SMALL_MAX_WORDS = 4
_TYPO_MAX_WORDS = 2
_TYPO_MAX_CHARS = 2

# Dates written in lower case too (capitalized ones are caught as names; "may" and "march"
# are left out: as verbs they are wording).
_WEEKDAYS_MONTHS = frozenset(
    (
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("today", "yesterday", "tomorrow", "tonight"),
        *("january", "february", "april", "june", "july", "august", "september"),
        *("october", "november", "december", "jan", "feb", "apr", "jun", "jul", "aug"),
        *("sep", "sept", "oct", "nov", "dec"),
    )
)
_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE_END = re.compile(r"(?:^|[.!?…:][\"”’)\]]*|\n)\s*$")


def _is_fact(word: str, sentence_start: bool) -> bool:
    """A token a correction of fact changes: a number, a weekday or month, or a name (a
    capitalized word that does not merely start a sentence)."""
    if any(c.isdigit() for c in word) or word.casefold() in _WEEKDAYS_MONTHS:
        return True
    return word[:1].isupper() and not sentence_start


def _misspelling(op: Op, diff: Diff) -> bool:
    """Whether *op* fixes (or makes) a misspelling: each side at most two words, differing by
    a couple of letters, or a doubled word ("the the") dropped."""
    old, new = op.old_text, op.new_text
    if count_words(old) > _TYPO_MAX_WORDS or count_words(new) > _TYPO_MAX_WORDS:
        return False
    if _char_edits(old.casefold(), new.casefold()) <= _TYPO_MAX_CHARS:
        return True
    # a doubled word: the word removed (or added) is also the word beside it
    gone, text, start, end = (
        (old, diff.old_text, op.old_start, op.old_end)
        if not new.strip()
        else (new, diff.new_text, op.new_start, op.new_end)
        if not old.strip()
        else ("", "", 0, 0)
    )
    word = gone.strip().casefold()
    if not word or count_words(word) != 1:
        return False
    before = _TOKEN.findall(text[:start].casefold())[-1:]
    after = _TOKEN.findall(text[end:].casefold())[:1]
    return word in before or word in after


def _facts(text: str, start: int, context: str) -> bool:
    """Whether the changed *text* (at *start* in *context*) touches a fact."""
    for match in _TOKEN.finditer(text):
        at = start + match.start()
        if _is_fact(match.group(0), bool(_SENTENCE_END.search(context[:at]))):
            return True
    return False


def _char_edits(old: str, new: str) -> int:
    """Characters changed between two short strings (only typos need the exact figure)."""
    if len(old) + len(new) > 4 * _TYPO_MAX_CHARS + 40:
        return max(len(old), len(new))
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def summarize_diff(diff: Diff, *, live: bool = False) -> ChangeSummary:
    """Count what changed in *diff* and name the kind of edit (see :func:`summarize_change`)."""
    added = removed = edited = moved = 0
    words_added = words_removed = 0
    equal_words = 0
    char_edits = 0
    changes: list[Op] = []
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
                    changes.append(w)
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
    if live and added:
        return make("live-update")
    total = old_words + new_words
    similarity = 2 * equal_words / total if total else 1.0
    pure_addition = words_added > 0 and words_removed <= max(1, words_added // 10) and not removed
    pure_removal = words_removed > 0 and words_added <= max(1, words_removed // 10) and not added
    small = (
        not added
        and not removed
        and not moved
        and words_added <= _SMALL_MAX_WORDS
        and words_removed <= _SMALL_MAX_WORDS
    )
    if similarity < 0.5 and not pure_addition and not pure_removal:
        return make("rewrite")
    if title_changed:
        return make("headline")
    if small and changes:
        facts = any(
            _facts(w.old_text, w.old_start, diff.old_text)
            or _facts(w.new_text, w.new_start, diff.new_text)
            for w in changes
        )
        if facts:
            return make("correction")
        typo = all(_misspelling(w, diff) for w in changes)
        return make("typo" if typo else "wording")
    if pure_addition and (added or words_added > _SMALL_MAX_WORDS):
        return make("addition")
    if pure_removal and (removed or words_removed > _SMALL_MAX_WORDS):
        return make("removal")
    return make("wording")


def summarize_change(
    old_title: str | None,
    old_text: str | None,
    new_title: str,
    new_text: str,
    *,
    live: bool = False,
    words: int | None = None,
) -> ChangeSummary:
    """Summarize the edit from one version to the next; ``old_text=None`` means a first version;
    *live* says the article is a live blog (its new posts are ``live-update``); *words* is
    ``count_words(new_text)`` when the caller counted already.

    The kinds a newsroom uses, checked in this order:

    - ``first``: there is no previous version.
    - ``unchanged``: same title and text (the store normally records no version then).
    - ``live-update``: a live blog got a new post (paragraphs added), whatever else changed.
    - ``rewrite``: less than half of the words survive, and it is not a plain addition/removal.
    - ``headline``: the title changed (with at most a moderate text edit).
    - For a small edit inside paragraphs (at most four words out and four in, no paragraph
      added, removed or moved):
      ``correction`` when a fact changed: a number ("3 killed" -> "4 killed"), a date
      ("Tuesday" -> "Monday", "June" -> "July") or a name (a capitalized word not starting a
      sentence, "Smith" -> "Smyth");
      ``typo`` when a misspelling was fixed: each changed word differs by at most two letters
      ("cadidates" -> "candidates", "teh" -> "the", a doubled word dropped);
      ``wording`` otherwise: a changed word or phrase ("could" -> "might").
    - ``addition`` / ``removal``: text only added (or only removed), beyond a few words.
    - ``wording``: everything else — edits inside paragraphs, moves, mixed changes.
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
            words_added=count_words(new_text) if words is None else words,
            words_removed=0,
        )
    diff = diff_versions(old_text, new_text, old_title=old_title, new_title=new_title)
    return summarize_diff(diff, live=live)
