"""The values a diff is made of: character ops with offsets, aligned paragraph blocks, the diff.

May import: the standard library only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PARAGRAPH_SEPARATOR = "\n\n"

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
