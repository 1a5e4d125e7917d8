"""The HTML renderer: an escaped fragment, side by side or inline, unchanged runs folded.

Every piece of archived text goes through :func:`html.escape`: it comes from scraped pages.

May import: :mod:`archive.diff.model`, :mod:`archive.diff.layout`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

from archive.diff.layout import plural, runs
from archive.diff.model import Block, Diff, DiffError, Op

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

    for label, indexes in runs(diff, context):
        blocks_html = "".join(block_html(diff.blocks[k]) for k in indexes)
        if label == "show":
            out.append(blocks_html)
            continue
        summary = _esc(plural(len(indexes), "unchanged paragraph"))
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
