"""Timestamps as people read them: ``20 Nov 2026, 09:00 UTC``.

The archive stores ISO 8601 UTC strings and the JSON API keeps them; only HTML shows this
form, inside ``<time datetime="…">`` so the exact value is one hover (or one parse) away.

May import: the standard library, markupsafe.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from markupsafe import Markup, escape

# Columns that hold timestamps, whatever the table or query.
TIMESTAMP_COLUMNS = frozenset(
    {
        "captured_at",
        "fetched_at",
        "first_seen",
        "last_checked",
        "last_changed",
        "next_check",
        "published",
        "modified",
        "started",
        "finished",
        "at",
        "removed_at",
        "requested",
        "answered",
    }
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse(value: object) -> datetime | None:
    """*value* as a datetime when it is an ISO 8601 string, else None."""
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed


def readable(value: object) -> str:
    """``20 Nov 2026, 09:00 UTC`` (the offset the value carries; a date alone stays a date)."""
    parsed = parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    return _readable(str(value), parsed)


def _readable(value: str, parsed: datetime) -> str:
    if len(value.strip()) == 10:  # a date without a time
        return f"{parsed.day} {parsed:%b %Y}"
    if parsed.tzinfo is not None and parsed.utcoffset() == UTC.utcoffset(None):
        zone = "UTC"
    elif parsed.tzinfo is not None:
        zone = parsed.strftime("%z")
        zone = f"UTC{zone[:3]}:{zone[3:]}"
    else:
        zone = ""
    return f"{parsed.day} {parsed:%b %Y, %H:%M} {zone}".rstrip()


def time_html(value: object) -> Markup:
    """``<time datetime="ISO" title="ISO">readable</time>``, or the value escaped."""
    parsed = parse(value)
    if parsed is None:
        return escape("" if value is None else value)
    return time_element(value, parsed)


def time_element(value: object, parsed: datetime) -> Markup:
    """:func:`time_html` of a *value* already parsed (table cells parse each once)."""
    iso = escape(value)
    return Markup(
        f'<time datetime="{iso}" title="{iso}">{escape(_readable(str(value), parsed))}</time>'
    )


def day(value: object) -> str | None:
    """The UTC calendar day of a timestamp, ``2026-11-20``."""
    parsed = parse(value)
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date().isoformat()
