"""Diffs between two versions of an article, and a one-line verdict on what kind of edit it was.

``model`` holds the values (ops, blocks, the diff), ``algorithm`` aligns paragraphs and words,
``summary`` names the kind of edit, ``layout`` decides what the renderers fold, and
``render_text``, ``render_json`` and ``render_html`` turn a diff into output. Everything is
pure: strings in, frozen values or strings out. The names below are the package's interface;
``from archive.diff import diff_versions`` and the like keep working.

May import: its own modules and the standard library (nothing else of archive, never scraper).
"""

from archive.diff.algorithm import (
    EDIT_SIMILARITY,
    MOVE_SIMILARITY,
    apply_ops,
    count_words,
    diff_versions,
    split_paragraphs,
    tokenize,
)
from archive.diff.model import PARAGRAPH_SEPARATOR, Block, BlockKind, Diff, DiffError, Op, OpTag
from archive.diff.render_html import HtmlMode, render_html
from archive.diff.render_json import render_json
from archive.diff.render_text import render_inline, render_unified
from archive.diff.summary import (
    CHANGE_KINDS,
    ChangeKind,
    ChangeSummary,
    summarize_change,
    summarize_diff,
)

__all__ = [
    "CHANGE_KINDS",
    "EDIT_SIMILARITY",
    "MOVE_SIMILARITY",
    "PARAGRAPH_SEPARATOR",
    "Block",
    "BlockKind",
    "ChangeKind",
    "ChangeSummary",
    "Diff",
    "DiffError",
    "HtmlMode",
    "Op",
    "OpTag",
    "apply_ops",
    "count_words",
    "diff_versions",
    "render_html",
    "render_inline",
    "render_json",
    "render_unified",
    "split_paragraphs",
    "summarize_change",
    "summarize_diff",
    "tokenize",
]
