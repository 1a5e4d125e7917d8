from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.crawl.policy import PolicyError, RecheckPolicy, Tier, interval_for, next_check

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = RecheckPolicy()


def wait(age: timedelta, **kwargs: object) -> timedelta | None:
    due = next_check(POLICY, born=NOW - age, now=NOW, **kwargs)  # type: ignore[arg-type]
    return None if due is None else due - NOW


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), timedelta(minutes=15)),
        (timedelta(hours=2, minutes=59), timedelta(minutes=15)),
        (timedelta(hours=3), timedelta(hours=1)),
        (timedelta(hours=23), timedelta(hours=1)),
        (timedelta(days=1), timedelta(hours=3)),
        (timedelta(days=6, hours=23), timedelta(hours=3)),
        (timedelta(days=7), timedelta(days=1)),
        (timedelta(days=29), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=7)),
        (timedelta(days=82), timedelta(days=7)),
    ],
)
def test_default_tiers_like_newsdiffs(age: timedelta, expected: timedelta) -> None:
    assert wait(age) == expected


def test_retired_past_max_age() -> None:
    assert wait(timedelta(days=90)) is None
    assert wait(timedelta(days=400)) is None
    # The weekly check that would land beyond 90 days is not scheduled either.
    assert wait(timedelta(days=84)) is None


def test_published_in_the_future_counts_as_brand_new() -> None:
    assert wait(-timedelta(hours=5)) == timedelta(minutes=15)


def test_unchanged_articles_back_off_up_to_the_next_tier() -> None:
    young = timedelta(hours=1)
    assert wait(young, unchanged_streak=2) == timedelta(minutes=15)
    assert wait(young, unchanged_streak=3) == timedelta(minutes=30)
    assert wait(young, unchanged_streak=4) == timedelta(hours=1)
    assert wait(young, unchanged_streak=50) == timedelta(hours=1)  # capped by the < 1 day tier
    old = timedelta(days=40)
    assert wait(old, unchanged_streak=10_000) == timedelta(days=7)  # capped by max_interval


def test_interval_counts_from_last_check_but_never_before_now() -> None:
    born = NOW - timedelta(hours=1)
    recent = NOW - timedelta(minutes=10)
    assert next_check(POLICY, born=born, now=NOW, last_checked=recent) == recent + timedelta(
        minutes=15
    )
    overdue = NOW - timedelta(hours=2)
    assert next_check(POLICY, born=born, now=NOW, last_checked=overdue) == NOW


def test_custom_tiers() -> None:
    policy = RecheckPolicy(
        tiers=(Tier(timedelta(hours=1), timedelta(minutes=5)),),
        max_age=timedelta(days=2),
        max_interval=timedelta(hours=6),
    )
    assert interval_for(policy, timedelta(minutes=30)) == timedelta(minutes=5)
    assert interval_for(policy, timedelta(hours=3)) == timedelta(hours=6)
    assert interval_for(policy, timedelta(days=2)) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "tiers": (
                    Tier(timedelta(days=1), timedelta(hours=1)),
                    Tier(timedelta(hours=3), timedelta(hours=2)),
                )
            },
            "younger_than must grow",
        ),
        (
            {
                "tiers": (
                    Tier(timedelta(hours=3), timedelta(hours=1)),
                    Tier(timedelta(days=1), timedelta(minutes=5)),
                )
            },
            "every must not shrink",
        ),
        ({"tiers": (Tier(timedelta(hours=3), timedelta(0)),)}, "must be positive"),
        ({"max_age": timedelta(0)}, "max_age must be positive"),
        ({"max_interval": timedelta(hours=1)}, "max_interval"),
        ({"backoff_factor": 0.5}, "backoff_factor"),
        ({"backoff_after": 0}, "backoff_after"),
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        RecheckPolicy(**kwargs)  # type: ignore[arg-type]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(PolicyError, match="timezone-aware"):
        next_check(POLICY, born=datetime(2026, 1, 1), now=NOW)
    with pytest.raises(PolicyError, match="unchanged_streak"):
        next_check(POLICY, born=NOW, now=NOW, unchanged_streak=-1)


_ages = st.integers(min_value=-3600, max_value=200 * 86400).map(lambda s: timedelta(seconds=s))
_streaks = st.integers(min_value=0, max_value=60)


def _key(due: datetime | None) -> datetime:
    return datetime.max.replace(tzinfo=UTC) if due is None else due


@given(_ages, _ages, _streaks)
def test_monotone_in_age(a: timedelta, b: timedelta, streak: int) -> None:
    younger, older = sorted((a, b))
    first = next_check(POLICY, born=NOW - younger, now=NOW, unchanged_streak=streak)
    second = next_check(POLICY, born=NOW - older, now=NOW, unchanged_streak=streak)
    assert _key(first) <= _key(second)


@given(_ages, _streaks, _streaks)
def test_monotone_in_unchanged_streak(age: timedelta, s1: int, s2: int) -> None:
    low, high = sorted((s1, s2))
    first = next_check(POLICY, born=NOW - age, now=NOW, unchanged_streak=low)
    second = next_check(POLICY, born=NOW - age, now=NOW, unchanged_streak=high)
    assert _key(first) <= _key(second)


@given(
    _ages,
    _streaks,
    st.none() | st.integers(-10 * 86400, 86400).map(lambda s: NOW + timedelta(seconds=s)),
)
def test_never_before_now_and_never_past_max_age(
    age: timedelta,
    streak: int,
    last_checked: datetime | None,
) -> None:
    born = NOW - age
    due = next_check(
        POLICY,
        born=born,
        now=NOW,
        unchanged_streak=streak,
        last_checked=last_checked,
    )
    if age >= POLICY.max_age:
        assert due is None
    if due is not None:
        assert due >= NOW
        assert due < min(born, NOW) + POLICY.max_age
        assert due - NOW <= POLICY.max_interval
