"""An article's history as Markdown, for people: the versions, what changed, the events.

The first version is given in full; each later one as its change summary and a paragraph diff
against the one before (a ``diff`` code block). Archived text comes from scraped pages: outside
code blocks it is escaped (HTML special characters and Markdown markup), and every code fence
is longer than any run of backticks inside it, so no archived text can become markup.

May import: :mod:`archive.diff`'s own modules.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from archive.diff.algorithm import diff_versions
from archive.diff.render_text import render_unified

_MARKUP = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
_LIST_START = re.compile(r"^(\d+)\.")


def escape_markdown(text: str) -> str:
    """*text* shown literally by any Markdown renderer (CommonMark, GitHub's)."""
    escaped = _MARKUP.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))
    return _LIST_START.sub(r"\1\\.", escaped)


def _fence(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def render_history_markdown(
    article: dict[str, Any],
    versions: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    *,
    captures: int,
) -> Iterator[str]:
    """Markdown blocks (join them with blank lines) for *article*'s history."""
    title = article.get("title") or article["url"]
    yield f"# {escape_markdown(title)}"
    yield (
        f"<{html.escape(article['url'])}>  \n"
        f"Site {escape_markdown(article['site'])}, status {escape_markdown(article['status'])}; "
        f"{len(versions)} versions from {captures} captures, first seen {article['first_seen']}."
    )
    if versions or events:
        rows = [
            "| version | captured at | change | words +/- | title |",
            "| --- | --- | --- | --- | --- |",
        ]
        timeline: list[tuple[str, str]] = []
        for v in versions:
            words = (
                f"+{v['words_added'] or 0} / -{v['words_removed'] or 0}" if v["version"] > 1 else ""
            )
            timeline.append(
                (
                    v["captured_at"],
                    f"| {v['version']} | {v['captured_at']} | {v['change_kind'] or ''} | {words} "
                    f"| {escape_markdown(v['title'] or '')} |",
                )
            )
        for e in events:
            timeline.append(
                (
                    e["at"],
                    f"| | {e['at']} | event: {escape_markdown(e['kind'])} | "
                    f"| {escape_markdown(e['detail'] or '')} |",
                )
            )
        rows += [line for _, line in sorted(timeline, key=lambda item: item[0])]
        yield "\n".join(rows)
    previous = None
    for v in versions:
        byline = f" by {escape_markdown(v['byline'])}" if v.get("byline") else ""
        yield (
            f"## Version {v['version']}: {v['change_kind'] or 'first'}, {v['captured_at']}\n\n"
            f"**{escape_markdown(v['title'] or '')}**{byline}"
            + (
                f"  \nExtractor {escape_markdown(v['extractor_version'])}"
                if v.get("extractor_version")
                else ""
            )
        )
        if previous is None:
            yield "\n\n".join(
                escape_markdown(p) for p in (v["text"] or "").split("\n\n") if p.strip()
            )
        else:
            diff = diff_versions(
                previous["text"] or "",
                v["text"] or "",
                old_title=previous["title"],
                new_title=v["title"],
            )
            unified = render_unified(
                diff,
                0,
                old_label=f"version {previous['version']}",
                new_label=f"version {v['version']}",
            )
            yield _fence(unified, "diff")
        previous = v
