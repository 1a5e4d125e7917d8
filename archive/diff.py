"""Diffs between two versions of an article, and a one-line verdict on what kind of edit it was.

Readers ask "what changed?", so the diff follows the shape of the article: paragraphs (separated
by a blank line, ``"\\n\\n"``) are aligned first, then words are compared inside the paragraphs
that changed. Unchanged paragraphs can be collapsed by the renderers, and a paragraph that left
one place and reappeared at another is reported as a move rather than as a deletion plus an
unrelated addition.

Everything here is pure: strings in, frozen values or strings out. Besides the readable blocks,
a :class:`Diff` carries flat character operations (:attr:`Diff.ops`) with offsets into both
texts; :func:`apply_ops` turns the old text into the new one with them, which is what the
property tests check and what JSON consumers can rely on.

All renderers that produce HTML escape every piece of archived text: it comes from scraped
pages and is untrusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

PARAGRAPH_SEPARATOR = "\n\n"

# Words (with inner apostrophes), runs of whitespace, or single punctuation marks. Every
# character of a text belongs to exactly one token, so tokens always join back to the text.
_TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*|\s+|[^\w\s]")
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE_RE = re.compile(r"[^.!?]*(?:[.!?]+\s*|$)")

# Replaced paragraphs pair up when their word similarity reaches this; below it, the old one
# counts as removed and the new one as added.
EDIT_SIMILARITY = 0.5
# A removed and an added paragraph this similar are one paragraph that moved.
MOVE_SIMILARITY = 0.8
# Pairwise similarity is computed only for blocks of replaced paragraphs up to this many pairs;
# larger blocks (a rewritten live blog) fall back to pairing by position, to stay fast.
_MAX_PAIRING_CELLS = 2500
_MAX_MOVE_CELLS = 10000
# Word-level matching compares token lists up to this product of lengths directly (about a
# 500-word paragraph against another); longer pairs are aligned by sentence first.
_MAX_WORD_CELLS = 1_000_000

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

OpTag = Literal["equal", "insert", "delete", "replace"]
BlockKind = Literal["equal", "edited", "added", "removed", "moved-out", "moved-in"]


class DiffError(ValueError):
    """An argument to a diff function or renderer is not usable (e.g. an unknown mode)."""


@dataclass(frozen=True)
class Op:
    """One operation: ``old[old_start:old_end]`` becomes ``new[new_start:new_end]``.

    Offsets are character offsets into the whole old and new texts (or titles, for
    :attr:`Diff.title_ops`), so an op can be located in either version without the other.
    """

    tag: OpTag
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_text: str
    new_text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Block:
    """One aligned paragraph (or a paragraph present on one side only).

    ``old_index``/``new_index`` are 0-based paragraph numbers; for a move, both are set: the
    ``moved-out`` block sits at the old position and names the new one, ``moved-in`` the reverse.
    ``words`` holds word-level ops (offsets into the whole texts) for edited paragraphs and for
    moved paragraphs that were also edited.
    """

    kind: BlockKind
    old_index: int | None
    new_index: int | None
    old_text: str
    new_text: str
    old_start: int | None = None
    new_start: int | None = None
    words: tuple[Op, ...] = ()

    @property
    def changed(self) -> bool:
        return self.kind != "equal"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [w.to_dict() for w in self.words]
        return data


@dataclass(frozen=True)
class Diff:
    """The paragraph-aligned difference between two versions of an article."""

    old_text: str
    new_text: str
    blocks: tuple[Block, ...]
    ops: tuple[Op, ...]
    old_title: str | None = None
    new_title: str | None = None
    title_ops: tuple[Op, ...] = field(default=())

    @property
    def title_changed(self) -> bool:
        return (
            self.old_title is not None
            and self.new_title is not None
            and self.old_title != self.new_title
        )

    @property
    def text_changed(self) -> bool:
        return self.old_text != self.new_text

    @property
    def changed(self) -> bool:
        return self.text_changed or self.title_changed


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


# --------------------------------------------------------------------------------------------
# tokenizing


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of *text*; ``"\\n\\n".join`` of the result gives *text* back exactly.

    The empty text has no paragraphs (rather than one empty one), so a first version diffs as
    pure additions.
    """
    return text.split(PARAGRAPH_SEPARATOR) if text else []


def tokenize(text: str) -> list[str]:
    """Words, whitespace runs and punctuation marks; they join back to *text*."""
    return _TOKEN_RE.findall(text)


def count_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _word_set(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD_RE.findall(text))


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient over word sets: cheap enough to compute for every candidate pair."""
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


# --------------------------------------------------------------------------------------------
# segments: (old piece, new piece) pairs whose concatenations give the old and the new text


class _Segments:
    """Collects aligned pieces and turns them into contiguous ops with offsets."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, str]] = []

    def add(self, old: str, new: str) -> None:
        if old or new:
            self.pieces.append((old, new))

    def ops(self) -> tuple[Op, ...]:
        result: list[Op] = []
        old_pos = new_pos = 0
        pending_old: list[str] = []
        pending_new: list[str] = []
        pending_start = (0, 0)

        def flush_change() -> None:
            nonlocal pending_old, pending_new
            old = "".join(pending_old)
            new = "".join(pending_new)
            if old or new:
                tag: OpTag = "replace" if old and new else ("delete" if old else "insert")
                o0, n0 = pending_start
                result.append(Op(tag, o0, o0 + len(old), n0, n0 + len(new), old, new))
            pending_old, pending_new = [], []

        equal_run: list[str] = []
        equal_start = (0, 0)

        def flush_equal() -> None:
            nonlocal equal_run
            text = "".join(equal_run)
            if text:
                o0, n0 = equal_start
                result.append(Op("equal", o0, o0 + len(text), n0, n0 + len(text), text, text))
            equal_run = []

        for old, new in self.pieces:
            if old == new:
                if not equal_run:
                    flush_change()
                    equal_start = (old_pos, new_pos)
                equal_run.append(old)
            else:
                if not pending_old and not pending_new:
                    flush_equal()
                    pending_start = (old_pos, new_pos)
                pending_old.append(old)
                pending_new.append(new)
            old_pos += len(old)
            new_pos += len(new)
        flush_equal()
        flush_change()
        return tuple(result)


def _sentences(text: str) -> list[str]:
    """Sentence-sized chunks of *text* that join back to it exactly."""
    return [chunk for chunk in _SENTENCE_RE.findall(text) if chunk]


def _token_pieces(old: str, new: str) -> list[tuple[str, str]]:
    """Aligned (old, new) pieces at word level, bounded in cost for very long paragraphs.

    Token matching is roughly quadratic, so a paragraph pair above :data:`_MAX_WORD_CELLS` is
    first aligned by sentence and only the replaced sentence runs are compared word by word;
    a run that is still too large is reported as one replacement.
    """
    a, b = tokenize(old), tokenize(new)
    sa, sb = _sentences(old), _sentences(new)
    if len(a) * len(b) <= _MAX_WORD_CELLS or len(sa) <= 1 or len(sb) <= 1:
        # Without sentences to anchor on, let difflib ignore very common tokens: coarser, but
        # it keeps a huge unpunctuated paragraph from taking minutes.
        junk = len(a) * len(b) > _MAX_WORD_CELLS
        matcher = SequenceMatcher(None, a, b, autojunk=junk)
        return [
            ("".join(a[i1:i2]), "".join(b[j1:j2])) for _, i1, i2, j1, j2 in matcher.get_opcodes()
        ]
    pieces: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, sa, sb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        o, n = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        if tag == "equal" or not o or not n:
            pieces.append((o, n))
        elif len(o) + len(n) < len(old) + len(new):
            pieces.extend(_token_pieces(o, n))
        else:
            pieces.append((o, n))
    return pieces


def _word_ops(old: str, new: str, old_offset: int, new_offset: int) -> tuple[Op, ...]:
    """Word-level ops between two paragraphs, with offsets shifted into the whole texts.

    A change separated from the next change only by whitespace is merged with it, so a
    rewritten phrase reads as one replacement instead of a comb of one-word edits.
    """
    pieces = _token_pieces(old, new)
    merged: list[tuple[str, str]] = []
    for idx, (o, n) in enumerate(pieces):
        is_gap = (
            o == n
            and o.isspace()
            and 0 < idx < len(pieces) - 1
            and pieces[idx - 1][0] != pieces[idx - 1][1]
            and pieces[idx + 1][0] != pieces[idx + 1][1]
        )
        if is_gap or (o != n and merged and merged[-1][0] != merged[-1][1]):
            po, pn = merged.pop()
            merged.append((po + o, pn + n))
        else:
            merged.append((o, n))
    segments = _Segments()
    for o, n in merged:
        segments.add(o, n)
    return tuple(
        Op(
            op.tag,
            op.old_start + old_offset,
            op.old_end + old_offset,
            op.new_start + new_offset,
            op.new_end + new_offset,
            op.old_text,
            op.new_text,
        )
        for op in segments.ops()
    )


def apply_ops(old: str, ops: Iterable[Op]) -> str:
    """Rebuild the new text from the old one and a diff's ops.

    Equal ops are checked against *old*, so ops from a different base text fail loudly instead
    of producing a plausible-looking wrong text.
    """
    out: list[str] = []
    pos = 0
    for op in ops:
        if op.old_start != pos:
            raise DiffError(f"op at {op.old_start} does not continue from offset {pos}")
        piece = old[op.old_start : op.old_end]
        if piece != op.old_text:
            raise DiffError(f"op at {op.old_start} does not match the old text")
        out.append(op.new_text)
        pos = op.old_end
    if pos != len(old):
        raise DiffError(f"ops end at offset {pos}, the old text at {len(old)}")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# paragraph alignment


def _pair_replaced(old: Sequence[str], new: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Align two runs of replaced paragraphs: monotonic pairs of similar ones, the rest alone.

    A small dynamic programme maximises total similarity of the pairs (each pair at least
    :data:`EDIT_SIMILARITY`). The result lists (old, new) index pairs in reading order, with
    ``None`` on the missing side for removals and additions.
    """
    m, n = len(old), len(new)
    if m * n > _MAX_PAIRING_CELLS:
        sims_fn = None
    else:
        old_sets = [_word_set(p) for p in old]
        new_sets = [_word_set(p) for p in new]
        sims_fn = [[_similarity(old_sets[i], new_sets[j]) for j in range(n)] for i in range(m)]

    if sims_fn is None:
        # Too big to score every pair: pair by position where similar enough.
        result: list[tuple[int | None, int | None]] = []
        for k in range(max(m, n)):
            if k < m and k < n:
                if _similarity(_word_set(old[k]), _word_set(new[k])) >= EDIT_SIMILARITY:
                    result.append((k, k))
                else:
                    result.append((k, None))
                    result.append((None, k))
            elif k < m:
                result.append((k, None))
            else:
                result.append((None, k))
        return result

    score = [[0.0] * (n + 1) for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            s = sims_fn[i][j]
            if s >= EDIT_SIMILARITY:
                best = max(best, score[i + 1][j + 1] + s)
            score[i][j] = best
    result = []
    i = j = 0
    while i < m and j < n:
        s = sims_fn[i][j]
        if s >= EDIT_SIMILARITY and score[i][j] == score[i + 1][j + 1] + s:
            result.append((i, j))
            i += 1
            j += 1
        elif score[i][j] == score[i + 1][j]:
            result.append((i, None))
            i += 1
        else:
            result.append((None, j))
            j += 1
    result.extend((k, None) for k in range(i, m))
    result.extend((None, k) for k in range(j, n))
    return result


def _find_moves(
    removed: Sequence[tuple[int, str]], added: Sequence[tuple[int, str]]
) -> dict[int, int]:
    """Map old paragraph index -> new index for removed paragraphs that reappear elsewhere."""
    moves: dict[int, int] = {}
    by_text: dict[str, list[int]] = {}
    for j, text in added:
        if text.strip():
            by_text.setdefault(" ".join(text.split()), []).append(j)
    taken: set[int] = set()
    leftovers: list[tuple[int, str]] = []
    for i, text in removed:
        candidates = by_text.get(" ".join(text.split()), []) if text.strip() else []
        j = next((c for c in candidates if c not in taken), None)
        if j is None:
            leftovers.append((i, text))
        else:
            moves[i] = j
            taken.add(j)
    rest = [(j, t) for j, t in added if j not in taken and t.strip()]
    leftovers = [(i, t) for i, t in leftovers if t.strip()]
    if leftovers and rest and len(leftovers) * len(rest) <= _MAX_MOVE_CELLS:
        rest_sets = [(j, _word_set(t)) for j, t in rest]
        for i, text in leftovers:
            words = _word_set(text)
            if len(words) < 4:  # too short to tell a move from a coincidence
                continue
            best_j, best_s = None, MOVE_SIMILARITY
            for j, ws in rest_sets:
                if j in taken:
                    continue
                s = _similarity(words, ws)
                if s >= best_s:
                    best_j, best_s = j, s
            if best_j is not None:
                moves[i] = best_j
                taken.add(best_j)
    return moves


def diff_versions(
    old_text: str,
    new_text: str,
    *,
    old_title: str | None = None,
    new_title: str | None = None,
) -> Diff:
    """Paragraph-aligned diff of two article texts (and, optionally, their titles)."""
    if not isinstance(old_text, str) or not isinstance(new_text, str):
        raise DiffError("texts to diff must be str")
    old_paras = split_paragraphs(old_text)
    new_paras = split_paragraphs(new_text)
    old_starts = _starts(old_paras)
    new_starts = _starts(new_paras)

    # 1. align paragraphs; pair up replaced ones by similarity
    aligned: list[tuple[int | None, int | None]] = []
    matcher = SequenceMatcher(None, old_paras, new_paras, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            aligned.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        elif tag == "delete":
            aligned.extend((i, None) for i in range(i1, i2))
        elif tag == "insert":
            aligned.extend((None, j) for j in range(j1, j2))
        else:
            for pi, pj in _pair_replaced(old_paras[i1:i2], new_paras[j1:j2]):
                aligned.append((None if pi is None else i1 + pi, None if pj is None else j1 + pj))

    # 2. recognise moves among the unpaired paragraphs
    removed = [(i, old_paras[i]) for i, j in aligned if j is None and i is not None]
    added = [(j, new_paras[j]) for i, j in aligned if i is None and j is not None]
    moves = _find_moves(removed, added) if removed and added else {}
    moved_in = {j: i for i, j in moves.items()}

    # 3. blocks, and the flat ops built from the same pieces
    blocks: list[Block] = []
    segments = _Segments()
    old_seen = new_seen = False

    def separators(old_side: bool, new_side: bool) -> None:
        nonlocal old_seen, new_seen
        sep_old = PARAGRAPH_SEPARATOR if old_side and old_seen else ""
        sep_new = PARAGRAPH_SEPARATOR if new_side and new_seen else ""
        segments.add(sep_old, sep_new)
        old_seen = old_seen or old_side
        new_seen = new_seen or new_side

    for i, j in aligned:
        if i is not None and j is not None:
            o, n = old_paras[i], new_paras[j]
            separators(True, True)
            if o == n:
                blocks.append(Block("equal", i, j, o, n, old_starts[i], new_starts[j]))
                segments.add(o, n)
            else:
                words = _word_ops(o, n, old_starts[i], new_starts[j])
                blocks.append(Block("edited", i, j, o, n, old_starts[i], new_starts[j], words))
                for w in words:
                    segments.add(w.old_text, w.new_text)
        elif i is not None:
            o = old_paras[i]
            separators(True, False)
            segments.add(o, "")
            if i in moves:
                j2 = moves[i]
                blocks.append(Block("moved-out", i, j2, o, new_paras[j2], old_starts[i], None))
            else:
                blocks.append(Block("removed", i, None, o, "", old_starts[i], None))
        elif j is not None:
            n = new_paras[j]
            separators(False, True)
            segments.add("", n)
            if j in moved_in:
                i2 = moved_in[j]
                o = old_paras[i2]
                words = _word_ops(o, n, old_starts[i2], new_starts[j]) if o != n else ()
                blocks.append(Block("moved-in", i2, j, o, n, old_starts[i2], new_starts[j], words))
            else:
                blocks.append(Block("added", None, j, "", n, None, new_starts[j]))

    title_ops: tuple[Op, ...] = ()
    if old_title is not None and new_title is not None and old_title != new_title:
        title_ops = _word_ops(old_title, new_title, 0, 0)
    return Diff(
        old_text=old_text,
        new_text=new_text,
        blocks=tuple(blocks),
        ops=segments.ops(),
        old_title=old_title,
        new_title=new_title,
        title_ops=title_ops,
    )


def _starts(paragraphs: Sequence[str]) -> list[int]:
    starts, pos = [], 0
    for p in paragraphs:
        starts.append(pos)
        pos += len(p) + len(PARAGRAPH_SEPARATOR)
    return starts


# --------------------------------------------------------------------------------------------
# change summaries

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


# --------------------------------------------------------------------------------------------
# renderers

# Control characters other than newline and tab could drive the terminal (scraped text is
# untrusted), so terminal renderers show them as U+FFFD.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_DIM = "\x1b[2m"
_STRIKE = "\x1b[9m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def _clean(text: str) -> str:
    return _CONTROL_RE.sub("\ufffd", text)


def _consumes(block: Block) -> tuple[bool, bool]:
    """Whether *block* stands at a position in the old / new paragraph sequence."""
    return (
        block.kind in ("equal", "edited", "removed", "moved-out"),
        block.kind in ("equal", "edited", "added", "moved-in"),
    )


def _runs(diff: Diff, context: int | None) -> list[tuple[str, list[int]]]:
    """Group block indexes into ``("show", [...])`` and ``("skip", [...])`` runs.

    Unchanged paragraphs further than *context* paragraphs from any change are skipped;
    ``context=None`` shows everything.
    """
    n = len(diff.blocks)
    if context is None:
        return [("show", list(range(n)))] if n else []
    if context < 0:
        raise DiffError("context must be >= 0 or None")
    show = [False] * n
    for k, block in enumerate(diff.blocks):
        if block.changed:
            for x in range(max(0, k - context), min(n, k + context + 1)):
                show[x] = True
    runs: list[tuple[str, list[int]]] = []
    for k in range(n):
        label = "show" if show[k] else "skip"
        if runs and runs[-1][0] == label:
            runs[-1][1].append(k)
        else:
            runs.append((label, [k]))
    return runs


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_unified(
    diff: Diff, context: int = 1, *, old_label: str = "before", new_label: str = "after"
) -> str:
    """A unified diff by paragraph, like ``diff -u`` with paragraphs in place of lines.

    Hunk headers count paragraphs (1-based). Each paragraph is one ``-``/``+``/`` `` entry; its
    own line breaks continue with the same prefix. Moves are annotated in brackets. The labels
    go on the ``---``/``+++`` lines, where ``diff -u`` puts file names and dates.
    """
    out = [f"--- {_clean(old_label)}", f"+++ {_clean(new_label)}"]
    if diff.title_changed:
        out.append(f"-# {_clean(diff.old_title or '')}")
        out.append(f"+# {_clean(diff.new_title or '')}")
    if not diff.text_changed:
        return "\n".join(out) + "\n"
    old_pos = [0] * (len(diff.blocks) + 1)
    new_pos = [0] * (len(diff.blocks) + 1)
    for k, block in enumerate(diff.blocks):
        takes_old, takes_new = _consumes(block)
        old_pos[k + 1] = old_pos[k] + takes_old
        new_pos[k + 1] = new_pos[k] + takes_new

    def entry(prefix: str, text: str, note: str = "") -> None:
        lines = _clean(text).split("\n")
        if note:
            lines[-1] += f"  [{note}]"
        out.extend(prefix + line for line in lines)

    for label, indexes in _runs(diff, context):
        if label == "skip":
            continue
        first, last = indexes[0], indexes[-1] + 1
        old_count = old_pos[last] - old_pos[first]
        new_count = new_pos[last] - new_pos[first]
        old_start = old_pos[first] + (1 if old_count else 0)
        new_start = new_pos[first] + (1 if new_count else 0)
        out.append(f"@@ -{old_start},{old_count} +{new_start},{new_count} @@")
        for k in indexes:
            b = diff.blocks[k]
            if b.kind == "equal":
                entry(" ", b.old_text)
            elif b.kind == "edited":
                entry("-", b.old_text)
                entry("+", b.new_text)
            elif b.kind == "removed":
                entry("-", b.old_text)
            elif b.kind == "added":
                entry("+", b.new_text)
            elif b.kind == "moved-out":
                entry("-", b.old_text, f"moved to ¶{(b.new_index or 0) + 1}")
            else:
                entry("+", b.new_text, f"moved from ¶{(b.old_index or 0) + 1}")
    return "\n".join(out) + "\n"


def _inline_words(words: Sequence[Op], color: bool) -> str:
    parts = []
    for w in words:
        old, new = _clean(w.old_text), _clean(w.new_text)
        if w.tag == "equal":
            parts.append(old)
            continue
        if old:
            parts.append(f"{_RED}{_STRIKE}{old}{_RESET}" if color else f"[-{old}-]")
        if new:
            parts.append(f"{_GREEN}{new}{_RESET}" if color else f"{{+{new}+}}")
    return "".join(parts)


def _whole(text: str, tag: OpTag) -> tuple[Op, ...]:
    return (Op(tag, 0, 0, 0, 0, text if tag == "delete" else "", text if tag == "insert" else ""),)


def render_inline(diff: Diff, color: bool = False, context: int | None = 1) -> str:
    """The new version with word-level changes marked inside it, for a terminal.

    With ``color=True`` removed words are red and struck through, added words green (ANSI);
    otherwise they read ``[-removed-]{+added+}`` as in ``git diff --word-diff``. Unchanged
    paragraphs beyond *context* of a change collapse into one line.
    """

    def note(text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if color else text

    out: list[str] = []
    if diff.title_changed:
        title = _inline_words(diff.title_ops, color)
        out.append(f"{_BOLD}{title}{_RESET}" if color else f"# {title}")
    for label, indexes in _runs(diff, context):
        if label == "skip":
            out.append(note(f"[… {_plural(len(indexes), 'unchanged paragraph')} …]"))
            continue
        for k in indexes:
            b = diff.blocks[k]
            if b.kind == "equal":
                out.append(_clean(b.new_text))
            elif b.kind == "edited":
                out.append(_inline_words(b.words, color))
            elif b.kind == "added":
                out.append(_inline_words(_whole(b.new_text, "insert"), color))
            elif b.kind == "removed":
                out.append(_inline_words(_whole(b.old_text, "delete"), color))
            elif b.kind == "moved-out":
                out.append(note(f"[¶{(b.old_index or 0) + 1} moved to ¶{(b.new_index or 0) + 1}]"))
            else:
                body = _inline_words(b.words, color) if b.words else _clean(b.new_text)
                out.append(f"{body} " + note(f"[moved from ¶{(b.old_index or 0) + 1}]"))
    return "\n\n".join(out) + "\n"


def render_json(diff: Diff) -> dict[str, Any]:
    """A JSON-serializable description: ops with offsets, blocks, and the change summary.

    ``ops`` cover both texts contiguously: equal ops carry only offsets, the others also the
    removed (``old_text``) and inserted (``new_text``) strings, so a consumer holding the old
    text can rebuild the new one.
    """

    def op_dict(op: Op) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": op.tag,
            "old_start": op.old_start,
            "old_end": op.old_end,
            "new_start": op.new_start,
            "new_end": op.new_end,
        }
        if op.tag != "equal":
            data["old_text"] = op.old_text
            data["new_text"] = op.new_text
        return data

    blocks = []
    for b in diff.blocks:
        item: dict[str, Any] = {
            "kind": b.kind,
            "old_index": b.old_index,
            "new_index": b.new_index,
            "old_start": b.old_start,
            "new_start": b.new_start,
        }
        if b.kind in ("edited", "moved-in") and b.words:
            item["words"] = [op_dict(w) for w in b.words]
        blocks.append(item)
    return {
        "old_title": diff.old_title,
        "new_title": diff.new_title,
        "title_changed": diff.title_changed,
        "title_ops": [op_dict(o) for o in diff.title_ops],
        "summary": summarize_diff(diff).to_dict(),
        "ops": [op_dict(o) for o in diff.ops],
        "blocks": blocks,
    }


HtmlMode = Literal["side-by-side", "inline"]


def _esc(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def _html_words(words: Sequence[Op], side: Literal["old", "new", "both"]) -> str:
    parts = []
    for w in words:
        if w.tag == "equal":
            parts.append(_esc(w.new_text))
            continue
        if w.old_text and side in ("old", "both"):
            parts.append(f"<del>{_esc(w.old_text)}</del>")
        if w.new_text and side in ("new", "both"):
            parts.append(f"<ins>{_esc(w.new_text)}</ins>")
    return "".join(parts)


def render_html(
    diff: Diff,
    mode: HtmlMode = "side-by-side",
    *,
    context: int | None = 1,
    old_label: str = "Before",
    new_label: str = "After",
) -> str:
    """An HTML fragment: changed words in ``<del>``/``<ins>``, unchanged runs in ``<details>``.

    Every piece of archived text (and the labels) goes through :func:`html.escape`; nothing
    from the archive reaches the page as markup. Class names start with ``na-`` for styling.
    """
    if mode not in ("side-by-side", "inline"):
        raise DiffError(f"unknown HTML diff mode {mode!r}: use 'side-by-side' or 'inline'")
    side_by_side = mode == "side-by-side"
    out: list[str] = [f'<div class="na-diff na-{mode}">']
    if diff.title_changed:
        if side_by_side:
            out.append(
                '<div class="na-title-change"><span class="na-old">'
                f'{_html_words(diff.title_ops, "old")}</span> → <span class="na-new">'
                f"{_html_words(diff.title_ops, 'new')}</span></div>"
            )
        else:
            out.append(f'<div class="na-title-change">{_html_words(diff.title_ops, "both")}</div>')
    if side_by_side:
        out.append(
            '<table class="na-table"><thead><tr>'
            f'<th class="na-old">{_esc(old_label)}</th><th class="na-new">{_esc(new_label)}</th>'
            "</tr></thead><tbody>"
        )

    def row(kind: str, old_html: str, new_html: str, old_no: int | None, new_no: int | None):
        old_attr = f' data-paragraph="{old_no + 1}"' if old_no is not None else ""
        new_attr = f' data-paragraph="{new_no + 1}"' if new_no is not None else ""
        return (
            f'<tr class="na-{kind}"><td class="na-old"{old_attr}>{old_html}</td>'
            f'<td class="na-new"{new_attr}>{new_html}</td></tr>'
        )

    def para(kind: str, body: str, note: str = "") -> str:
        extra = f' <span class="na-note">{_esc(note)}</span>' if note else ""
        return f'<p class="na-para na-{kind}">{body}{extra}</p>'

    def block_html(b: Block) -> str:
        moved_to = f"moved to ¶{(b.new_index or 0) + 1}"
        moved_from = f"moved from ¶{(b.old_index or 0) + 1}"
        if side_by_side:
            if b.kind == "equal":
                return row("equal", _esc(b.old_text), _esc(b.new_text), b.old_index, b.new_index)
            if b.kind == "edited":
                return row(
                    "edited",
                    _html_words(b.words, "old"),
                    _html_words(b.words, "new"),
                    b.old_index,
                    b.new_index,
                )
            if b.kind == "added":
                return row("added", "", f"<ins>{_esc(b.new_text)}</ins>", None, b.new_index)
            if b.kind == "removed":
                return row("removed", f"<del>{_esc(b.old_text)}</del>", "", b.old_index, None)
            if b.kind == "moved-out":
                note = f' <span class="na-note">{_esc(moved_to)}</span>'
                return row(
                    "moved-out", f"<del>{_esc(b.old_text)}</del>{note}", "", b.old_index, None
                )
            new_html = _html_words(b.words, "new") if b.words else _esc(b.new_text)
            note = f' <span class="na-note">{_esc(moved_from)}</span>'
            return row("moved-in", "", f"{new_html}{note}", None, b.new_index)
        if b.kind == "equal":
            return para("equal", _esc(b.new_text))
        if b.kind == "edited":
            return para("edited", _html_words(b.words, "both"))
        if b.kind == "added":
            return para("added", f"<ins>{_esc(b.new_text)}</ins>")
        if b.kind == "removed":
            return para("removed", f"<del>{_esc(b.old_text)}</del>")
        if b.kind == "moved-out":
            return para("moved-out", f"<del>{_esc(b.old_text)}</del>", moved_to)
        body = _html_words(b.words, "both") if b.words else _esc(b.new_text)
        return para("moved-in", body, moved_from)

    for label, indexes in _runs(diff, context):
        blocks_html = "".join(block_html(diff.blocks[k]) for k in indexes)
        if label == "show":
            out.append(blocks_html)
            continue
        summary = _esc(_plural(len(indexes), "unchanged paragraph"))
        if side_by_side:
            out.append(
                f'<tr class="na-collapsed"><td colspan="2"><details><summary>{summary}</summary>'
                f'<table class="na-table na-inner"><tbody>{blocks_html}</tbody></table>'
                "</details></td></tr>"
            )
        else:
            out.append(
                f'<details class="na-collapsed"><summary>{summary}</summary>{blocks_html}</details>'
            )
    if side_by_side:
        out.append("</tbody></table>")
    if not diff.changed:
        out.append('<p class="na-no-change">No changes.</p>')
    out.append("</div>")
    return "\n".join(out)
