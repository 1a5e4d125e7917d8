"""The JSON renderer: ops with offsets, blocks and the change summary, for programs.

May import: :mod:`archive.diff.model`, :mod:`archive.diff.summary`.
"""

from __future__ import annotations

from typing import Any

from archive.diff.model import Diff, Op
from archive.diff.summary import summarize_diff


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
