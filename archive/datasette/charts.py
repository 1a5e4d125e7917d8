"""Server-rendered SVG pictures: an article's versions on a time line, a site's edits per day.

Plain SVG strings inline in the page: no JavaScript, they scale with the page (``viewBox``)
and every label is escaped (titles come from scraped pages). Pure functions over plain values,
tested with strings.

May import: :mod:`archive.datasette.dates`, the standard library, markupsafe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from archive.datasette import dates

# One colour per change kind; kinds not listed (new ones) are grey.
KIND_COLOURS = {
    "first": "#2563eb",
    "typo": "#a3a3a3",
    "wording": "#f59e0b",
    "rewording": "#f59e0b",
    "correction": "#dc2626",
    "addition": "#16a34a",
    "removal": "#9333ea",
    "headline": "#0891b2",
    "rewrite": "#be123c",
    "live-update": "#0d9488",
}
OTHER_COLOUR = "#6b7280"


@dataclass(frozen=True)
class TimelinePoint:
    """One version on the time line."""

    version: int
    captured_at: str
    change_kind: str
    words_changed: int
    href: str


def _x(at: float, start: float, span: float, left: float, width: float) -> float:
    return left + (width * (at - start) / span if span > 0 else width / 2)


def versions_timeline(points: Sequence[TimelinePoint], *, width: int = 720) -> Markup:
    """The versions along a time axis: a dot per version, its area growing with the words
    changed, its colour the change kind; each dot links to the version."""
    if not points:
        return Markup("")
    parsed = [dates.parse(p.captured_at) for p in points]
    stamps = [d.timestamp() if d else 0.0 for d in parsed]
    start, end = min(stamps), max(stamps)
    span = end - start
    height, left, right, axis_y = 96, 24, 24, 56
    inner = width - left - right
    most = max((p.words_changed for p in points), default=0) or 1
    parts = [
        f'<svg class="na-timeline" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMid meet" xmlns="http://www.w3.org/2000/svg">',
        "<title>When the versions were captured; larger dots changed more words</title>",
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" '
        'stroke="#9ca3af" stroke-width="1"/>',
    ]
    for edge, stamp, anchor in ((left, start, "start"), (width - right, end, "end")):
        label = dates.readable(points[stamps.index(stamp)].captured_at)
        parts.append(
            f'<text x="{edge}" y="{height - 8}" font-size="12" fill="#4b5563" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    for point, stamp in zip(points, stamps, strict=True):
        x = _x(stamp, start, span, left, inner)
        radius = 5 + 13 * (point.words_changed / most) ** 0.5 if point.version > 1 else 6
        colour = KIND_COLOURS.get(point.change_kind, OTHER_COLOUR)
        tip = f"v{point.version} · {dates.readable(point.captured_at)} · {point.change_kind}" + (
            f" · {point.words_changed} words changed" if point.version > 1 else ""
        )
        parts.append(
            f'<a href="{escape(point.href)}" class="na-timeline-point">'
            f"<title>{escape(tip)}</title>"
            f'<circle cx="{x:.1f}" cy="{axis_y}" r="{radius:.1f}" fill="{colour}" '
            'fill-opacity="0.8" stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{axis_y - radius - 4:.1f}" font-size="11" fill="#111827" '
            f'text-anchor="middle">v{point.version}</text></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def fill_days(
    counts: dict[str, int], *, last: int = 30, at_least: int = 7
) -> list[tuple[str, int]]:
    """Per-day counts up to the latest day with an edit, zeros included: the days since the
    first edit, at least *at_least* and at most *last* of them."""
    if not counts:
        return []
    newest = max(date.fromisoformat(d) for d in counts)
    first = min(date.fromisoformat(d) for d in counts)
    oldest = min(first, newest - timedelta(days=at_least - 1))
    oldest = max(oldest, newest - timedelta(days=last - 1))
    days = []
    current = oldest
    while current <= newest:
        key = current.isoformat()
        days.append((key, counts.get(key, 0)))
        current += timedelta(days=1)
    return days


def edits_per_day(days: Sequence[tuple[str, int]], *, width: int = 720) -> Markup:
    """A bar per day, its height the number of edits (versions after the first) that day."""
    if not days:
        return Markup("")
    height, left, bottom, top = 140, 32, 28, 16
    inner_h = height - bottom - top
    most = max(n for _, n in days) or 1
    slot = (width - left - 8) / len(days)
    bar = min(36.0, max(2.0, slot * 0.75))
    parts = [
        f'<svg class="na-edits-per-day" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        "<title>Edits per day</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" '
        'stroke="#9ca3af"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="11" fill="#4b5563" '
        f'text-anchor="end">{most}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" font-size="11" fill="#4b5563" '
        'text-anchor="end">0</text>',
    ]
    label_every = max(1, len(days) // 6)
    for i, (day, count) in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        h = inner_h * count / most
        y = height - bottom - h
        label = dates.readable(day)
        parts.append(
            f'<rect class="na-day" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#2563eb" data-day="{day}" data-count="{count}">'
            f"<title>{escape(label)}: {count} edit{'' if count == 1 else 's'}</title></rect>"
        )
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 10}" font-size="11" fill="#4b5563" '
                f'text-anchor="middle">{escape(label[:-5])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
