"""What the renderers share: which blocks to show around changes, which fold away.

May import: :mod:`archive.diff.model`.
"""

from __future__ import annotations

import re

from archive.diff.model import Block, Diff, DiffError

# Control characters other than newline and tab could drive the terminal (scraped text is
# untrusted), so terminal renderers show them as U+FFFD.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_control(text: str) -> str:
    return _CONTROL_RE.sub("\ufffd", text)


def consumes(block: Block) -> tuple[bool, bool]:
    """Whether *block* stands at a position in the old / new paragraph sequence."""
    return (
        block.kind in ("equal", "edited", "removed", "moved-out"),
        block.kind in ("equal", "edited", "added", "moved-in"),
    )


def runs(diff: Diff, context: int | None) -> list[tuple[str, list[int]]]:
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


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
