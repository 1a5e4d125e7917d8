"""When to look at an article again (pure).

News articles change most in their first hours: corrections, updates to a developing story,
a new headline. Later they rarely change, and checking them costs the publisher a request each
time. So the interval between checks grows with the article's age, in tiers, like NewsDiffs:

======================  ==============
age of the article      check every
======================  ==============
< 3 hours               15 minutes
< 1 day                 1 hour
< 7 days                3 hours
< 30 days               1 day
< ``max_age`` (90 days) ``max_interval`` (1 week)
older                   never
======================  ==============

Two signals adjust when the next check falls:

- an article that stayed unchanged for ``backoff_after`` checks in a row is checked less often
  (the interval is multiplied by ``backoff_factor`` per further unchanged check), but never
  less often than the next tier would check it, so back-off cannot skip a whole age tier;
- (not here) a feed or sitemap saying the article was modified after our last check pulls the
  pending check forward to now: the archive does that when discovery reports the article
  (``Archive.add_candidates``), since it holds the last check's time.

The age is measured from ``born``: the published time when known, else the first time the
archive saw the URL. All datetimes must be timezone-aware.

May import: :mod:`scraper.config` (the policy's values live there).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scraper.config import DEFAULT_TIERS, PolicyError, RecheckPolicy, Tier

__all__ = ["DEFAULT_TIERS", "PolicyError", "RecheckPolicy", "Tier", "interval_for", "next_check"]


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise PolicyError(f"{name} must be a timezone-aware datetime, got {value!r}")


def interval_for(
    policy: RecheckPolicy, age: timedelta, unchanged_streak: int = 0
) -> timedelta | None:
    """The wait before the next check of an article of this *age*; None once past max_age.

    Non-decreasing in *age* and in *unchanged_streak*.
    """
    if age < timedelta(0):  # published "in the future": clock skew, treat as brand new
        age = timedelta(0)
    if age >= policy.max_age:
        return None
    for index, tier in enumerate(policy.tiers):
        if age < tier.younger_than:
            base = tier.every
            cap = (
                policy.tiers[index + 1].every
                if index + 1 < len(policy.tiers)
                else policy.max_interval
            )
            break
    else:
        return policy.max_interval
    extra = unchanged_streak - policy.backoff_after + 1
    if extra <= 0:
        return base
    # Grow by the factor per unchanged check without overflowing on huge streaks.
    seconds = base.total_seconds()
    cap_seconds = cap.total_seconds()
    for _ in range(extra):
        seconds *= policy.backoff_factor
        if seconds >= cap_seconds:
            return cap
    return timedelta(seconds=seconds)


def next_check(
    policy: RecheckPolicy,
    *,
    born: datetime,
    now: datetime,
    unchanged_streak: int = 0,
    last_checked: datetime | None = None,
) -> datetime | None:
    """When to check the article next (never before *now*); None means never again.

    ``born`` is the published time, or when the archive first saw the article.
    The interval counts from ``last_checked`` (from *now* when never checked), so a backlog
    computed late still lands on the right time, clamped to *now*. A check that would fall at
    or past ``born + max_age`` is not scheduled: the article is retired (None).
    """
    _aware("born", born)
    _aware("now", now)
    _aware("last_checked", last_checked)
    if unchanged_streak < 0:
        raise PolicyError(f"unchanged_streak must not be negative, got {unchanged_streak}")
    age = now - born
    interval = interval_for(policy, age, unchanged_streak)
    if interval is None:
        return None
    start = last_checked if last_checked is not None and last_checked <= now else now
    due = max(start + interval, now)
    if due >= min(born, now) + policy.max_age:
        return None
    return due
