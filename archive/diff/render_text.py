"""Terminal renderers: a unified diff by paragraph, and the new text with changed words marked.

Control characters in the archived text are shown as U+FFFD (scraped text is untrusted).

May import: :mod:`archive.diff.model`, :mod:`archive.diff.layout`.
"""

from __future__ import annotations

from collections.abc import Sequence

from archive.diff.layout import clean_control, consumes, plural, runs
from archive.diff.model import Diff, Op, OpTag

_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_DIM = "\x1b[2m"
_STRIKE = "\x1b[9m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def render_unified(
    diff: Diff, context: int = 1, *, old_label: str = "before", new_label: str = "after"
) -> str:
    """A unified diff by paragraph, like ``diff -u`` with paragraphs in place of lines.

    Hunk headers count paragraphs (1-based). Each paragraph is one ``-``/``+``/`` `` entry; its
    own line breaks continue with the same prefix. Moves are annotated in brackets. The labels
    go on the ``---``/``+++`` lines, where ``diff -u`` puts file names and dates.
    """
    out = [f"--- {clean_control(old_label)}", f"+++ {clean_control(new_label)}"]
    if diff.title_changed:
        out.append(f"-# {clean_control(diff.old_title or '')}")
        out.append(f"+# {clean_control(diff.new_title or '')}")
    if not diff.text_changed:
        return "\n".join(out) + "\n"
    old_pos = [0] * (len(diff.blocks) + 1)
    new_pos = [0] * (len(diff.blocks) + 1)
    for k, block in enumerate(diff.blocks):
        takes_old, takes_new = consumes(block)
        old_pos[k + 1] = old_pos[k] + takes_old
        new_pos[k + 1] = new_pos[k] + takes_new

    def entry(prefix: str, text: str, note: str = "") -> None:
        lines = clean_control(text).split("\n")
        if note:
            lines[-1] += f"  [{note}]"
        out.extend(prefix + line for line in lines)

    for label, indexes in runs(diff, context):
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
        old, new = clean_control(w.old_text), clean_control(w.new_text)
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
    for label, indexes in runs(diff, context):
        if label == "skip":
            out.append(note(f"[… {plural(len(indexes), 'unchanged paragraph')} …]"))
            continue
        for k in indexes:
            b = diff.blocks[k]
            if b.kind == "equal":
                out.append(clean_control(b.new_text))
            elif b.kind == "edited":
                out.append(_inline_words(b.words, color))
            elif b.kind == "added":
                out.append(_inline_words(_whole(b.new_text, "insert"), color))
            elif b.kind == "removed":
                out.append(_inline_words(_whole(b.old_text, "delete"), color))
            elif b.kind == "moved-out":
                out.append(note(f"[¶{(b.old_index or 0) + 1} moved to ¶{(b.new_index or 0) + 1}]"))
            else:
                body = _inline_words(b.words, color) if b.words else clean_control(b.new_text)
                out.append(f"{body} " + note(f"[moved from ¶{(b.old_index or 0) + 1}]"))
    return "\n\n".join(out) + "\n"
