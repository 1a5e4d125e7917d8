"""The diff algorithm: paragraphs aligned first, then words compared inside changed paragraphs.

Readers ask "what changed?", so the diff follows the shape of the article: paragraphs (separated
by a blank line, ``"\\n\\n"``) are aligned first, then words are compared inside the paragraphs
that changed. A paragraph that left one place and reappeared at another is reported as a move
rather than as a deletion plus an unrelated addition. Besides the readable blocks, a
:class:`~archive.diff.model.Diff` carries flat character operations with offsets into both
texts; :func:`apply_ops` turns the old text into the new one with them, which is what the
property tests check and what JSON consumers can rely on. Pure: strings in, frozen values out.

May import: :mod:`archive.diff.model` (and the standard library).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from archive.diff.model import PARAGRAPH_SEPARATOR, Block, Diff, DiffError, Op, OpTag

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
        match = next((c for c in candidates if c not in taken), None)
        if match is None:
            leftovers.append((i, text))
        else:
            moves[i] = match
            taken.add(match)
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
