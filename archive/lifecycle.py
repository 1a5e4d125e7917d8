"""What happens to an article after publication, as a small state machine (pure).

An article is ``new`` until its first successful fetch, then ``live``. A 404/410 makes it
``gone``; a redirect to a home or section page makes it ``soft-404``; repeated fetch errors make
it ``failing``; a later successful fetch revives it. Each change of state is an event, so the
history shows what happened instead of silence. A permanent redirect is no state: the archive
renames the article to its new URL (a ``moved`` event, written by the rename), and it stays live.

May import: the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

FAILING_AFTER = 3
CONTENT_OUTCOMES = frozenset({"new-version", "unchanged", "not-modified"})
DOWN_STATUSES = frozenset({"gone", "soft-404", "failing"})


@dataclass(frozen=True)
class Transition:
    status: str
    error_streak: int
    event: str | None = None


def transition(
    status: str,
    outcome: str,
    *,
    reason: str | None = None,
    error_streak: int = 0,
    failing_after: int = FAILING_AFTER,
) -> Transition:
    """The article's next status after a capture with *outcome* (and its *reason*)."""
    if outcome in CONTENT_OUTCOMES:
        event = "revived" if status in DOWN_STATUSES else None
        return Transition("live", 0, event)
    if outcome == "gone":
        new = "soft-404" if reason == "soft-404" else "gone"
        return Transition(new, 0, None if status == new else new)
    if outcome == "error":
        streak = error_streak + 1
        if streak >= failing_after and status != "failing":
            return Transition("failing", streak, "failing")
        return Transition(status, streak, None)
    return Transition(status, error_streak, None)
