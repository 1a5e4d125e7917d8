"""The version decision's second line of defence: counters and relative times in short lines,
and site boilerplate learnt from many articles; real edits to numbers still make versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.boilerplate import BoilerplateRules, fingerprint, learnable, strip_boilerplate
from archive.furniture import mask_line, mask_text
from archive.models import CaptureIn, ContentIn
from archive.store import Archive
from archive.versions import editorial_before, same_version

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
STORY = (
    "Rescue teams reached the village of Halden on Tuesday after two days of heavy rain, "
    "officials said, and three people were taken to hospital with minor injuries.\n\n"
    "The regional authority said the road into the valley would stay closed until the water "
    "level falls, which forecasters expect by the weekend."
)


def capture(url: str, minutes: int = 0, site: str = "example") -> CaptureIn:
    return CaptureIn(
        url=url, site=site, fetched_at=T0 + timedelta(minutes=minutes), status_code=200
    )


def content(text: str, title: str = "Floods in Halden") -> ContentIn:
    return ContentIn(title=title, text=text, extractor_version="t1")


# --- counters and relative times (pure) --------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Comments (51)", "Comments (53)"),
        ("51 comments", "53 comments"),
        ("Updated 5 minutes ago", "Updated 2 hours ago"),
        ("LIVE · Updated 5 minutes ago", "LIVE · Updated 1 hour ago"),
        ("12 min read", "13 min read"),
        ("4-minute read", "5-minute read"),
        ("1,234 views", "1,301 views"),
        ("Views: 1.2k", "Views: 1.3k"),
        ("Comments (51) · 1,234 views", "Comments (60) · 2,001 views"),
        (
            "By Ann Writer · 26 November 2026 · Updated 5 minutes ago",
            "By Ann Writer · 26 November 2026 · Updated 7 minutes ago",
        ),
        ("Posted just now", "Posted 3 minutes ago"),
    ],
)
def test_a_counter_or_a_relative_time_alone_is_no_edit(old: str, new: str) -> None:
    assert mask_line(old) == mask_line(new)
    assert same_version("T", STORY + "\n\n" + old, "T", STORY + "\n\n" + new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("3 killed in Halden flood", "4 killed in Halden flood"),
        ("Parliament voted 212 to 198", "Parliament voted 214 to 198"),
        ("Shares: 3% lower", "Shares: 4% lower"),
        ("Comments (51)", "Reactions (51)"),
        ("Updated 5 minutes ago", "Corrected 5 minutes ago"),
        ("The 3 min read", "The 3 min readers"),
        # a counter word inside a long sentence is text, not furniture
        (
            "The council said it had received 51 comments from residents about the plan before "
            "the deadline on Friday and would publish all of them next week.",
            "The council said it had received 53 comments from residents about the plan before "
            "the deadline on Friday and would publish all of them next week.",
        ),
    ],
)
def test_a_real_edit_to_a_number_or_a_word_is_an_edit(old: str, new: str) -> None:
    assert not same_version("T", STORY + "\n\n" + old, "T", STORY + "\n\n" + new)


def test_numbers_inside_paragraphs_are_never_masked() -> None:
    edited = STORY.replace("three people", "four people").replace("two days", "3 days")
    assert mask_text(STORY) == STORY
    assert not same_version("T", STORY, "T", edited)
    assert not same_version("Floods: 3 dead", STORY, "Floods: 4 dead", STORY)


# --- the decision in the store -----------------------------------------------------------------


def test_counters_in_the_text_make_no_version_but_a_number_in_a_sentence_does(db_path) -> None:
    url = "https://news.example/2026/11/01/floods"
    with Archive(db_path) as archive:
        assert archive.record(capture(url), content(STORY + "\n\nComments (51)")).version == 1
        for minutes, counter in ((30, "Comments (53)"), (60, "Comments (60)")):
            rec = archive.record(capture(url, minutes), content(STORY + "\n\n" + counter))
            assert rec.outcome == "unchanged"
        edited = STORY.replace("three people", "four people")
        rec = archive.record(capture(url, 90), content(edited + "\n\nComments (61)"))
        assert (rec.outcome, rec.version) == ("new-version", 2)
        latest = archive.version(rec.article_id, -1)
        assert "four people" in latest["text"] and latest["text"].endswith("Comments (61)")
        assert archive.article(url)["unchanged_streak"] == 0


# --- site boilerplate learning ------------------------------------------------------------------


def test_fingerprints_ignore_case_spacing_and_counters() -> None:
    assert fingerprint("Comments (51)") == fingerprint("comments  (53)")
    assert fingerprint("Read more:  5 things") == fingerprint("read more 5 things")
    # a figure is text: two paragraphs that differ in one stay two blocks
    assert fingerprint("3 killed in the flood") != fingerprint("4 killed in the flood")
    assert fingerprint("Sign up for our newsletter") != fingerprint("Sign up for our podcast")
    rules = BoilerplateRules(min_articles=3, max_words=5)
    long = "one two three four five six"
    assert learnable(["Sign up now", long, "sign up  NOW"], rules) == [fingerprint("Sign up now")]
    text = "Para one.\n\nSign up now\n\nPara two."
    assert strip_boilerplate(text, {fingerprint("Sign up now")}) == "Para one.\n\nPara two."
    assert strip_boilerplate(text, set()) == text


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        BoilerplateRules(min_articles=1)
    with pytest.raises(ValueError):
        BoilerplateRules(max_words=0)
    assert not BoilerplateRules(min_articles=0).enabled


def story(n: int) -> str:
    return f"Story number {n} is about its own subject, with facts nobody else reports.\n\n" + (
        f"A second paragraph of story {n}, as long as any real paragraph would be in a report."
    )


PROMO = "Sign up for the morning briefing"


def test_a_block_seen_on_many_articles_becomes_boilerplate_for_its_site(db_path) -> None:
    rules = BoilerplateRules(min_articles=3)
    with Archive(db_path, boilerplate=rules) as archive:
        urls = [f"https://news.example/2026/11/01/story-{n}" for n in range(5)]
        for n, url in enumerate(urls[:3]):
            archive.record(capture(url), content(f"{story(n)}\n\n{PROMO}", title=f"Story {n}"))
        # seen on three articles: the fourth article's first version is stored without it
        rec = archive.record(capture(urls[3]), content(f"{story(3)}\n\n{PROMO}", "Story 3"))
        assert archive.version(rec.article_id, 1)["text"] == story(3)
        # an article stored with the block before it was known: the block leaving the page
        # (or coming back) is no edit
        first = archive.article(urls[0])["id"]
        assert PROMO in archive.version(first, 1)["text"]
        rec = archive.record(capture(urls[0], 30), content(story(0), title="Story 0"))
        assert rec.outcome == "unchanged"
        # another site has not learnt it
        other = "https://other.example/a"
        rec = archive.record(capture(other, site="other"), content(f"{story(9)}\n\n{PROMO}", "S"))
        assert PROMO in archive.version(rec.article_id, 1)["text"]
        # what was learnt is in the archive, for people to look at
        row = archive._one(
            "select * from block_counts where site = 'example' and sample = ?", [PROMO]
        )
        assert row is not None and row["articles"] == 4


def test_a_rotating_teaser_stops_making_versions_once_learnt(db_path) -> None:
    """Teasers of other articles rotate on every page; each is on many articles' pages."""
    rules = BoilerplateRules(min_articles=3)
    teasers = [f"Latest: headline number {k} of the day" for k in range(4)]
    with Archive(db_path, boilerplate=rules) as archive:
        urls = [f"https://news.example/2026/11/01/s-{n}" for n in range(4)]
        versions = 0
        for tick in range(6):
            for n, url in enumerate(urls):
                teaser = teasers[(tick + n) % len(teasers)]
                text = f"{story(n)}\n\n{teaser}"
                rec = archive.record(capture(url, tick * 30), content(text, title=f"S{n}"))
                versions += rec.outcome == "new-version"
        later = sum(
            archive.article(u)["version_count"] for u in urls
        )  # the first rounds made versions while the teasers were still unknown...
        assert versions == later
        before = later
        for tick in range(6, 10):  # ...and once known, none at all
            for n, url in enumerate(urls):
                text = f"{story(n)}\n\n{teasers[(tick + n) % len(teasers)]}"
                archive.record(capture(url, tick * 30), content(text, title=f"S{n}"))
        assert sum(archive.article(u)["version_count"] for u in urls) == before
        # and a real edit still makes one
        edited = story(0).replace("its own subject", "a new subject") + "\n\n" + teasers[0]
        rec = archive.record(capture(urls[0], 400), content(edited, title="S0"))
        assert rec.outcome == "new-version"
        assert teasers[0] not in archive.version(rec.article_id, -1)["text"]


def test_long_paragraphs_repeated_across_articles_stay_text(db_path) -> None:
    background = (
        "The conflict began three years ago when talks between the two governments broke "
        "down over the border, and since then more than a dozen rounds of negotiations have "
        "been held in four different capitals without an agreement on the main questions."
    )
    with Archive(db_path, boilerplate=BoilerplateRules(min_articles=2)) as archive:
        for n in range(4):
            url = f"https://news.example/2026/11/01/talks-{n}"
            rec = archive.record(capture(url), content(f"{story(n)}\n\n{background}", f"T{n}"))
            assert background in archive.version(rec.article_id, 1)["text"]


def test_learning_off(db_path) -> None:
    with Archive(db_path, boilerplate=BoilerplateRules(min_articles=0)) as archive:
        for n in range(5):
            url = f"https://news.example/2026/11/01/off-{n}"
            rec = archive.record(capture(url), content(f"{story(n)}\n\n{PROMO}", f"T{n}"))
            assert PROMO in archive.version(rec.article_id, 1)["text"]
        assert archive.db["block_counts"].count == 0


# --- the change kind names the editor's change, not the furniture beside it ------------------


def test_a_version_is_named_for_its_edit_whatever_the_furniture_did(db_path) -> None:
    """ "3 killed" -> "4 killed" while the reading line went from "5 minutes ago" to "1 hour
    ago" and a learnt promotion left the page: a correction, with the edit's words only."""
    rules = BoilerplateRules(min_articles=2)
    crash = (
        "Police said 3 people were killed when a lorry left the coast road near Halden on "
        "Tuesday night, and the road stayed closed until the morning."
    )
    with Archive(db_path, boilerplate=rules) as archive:
        url = "https://news.example/2026/11/01/crash"
        before = f"4 min read · Published 5 minutes ago\n\n{crash}\n\n{PROMO}\n\n{STORY}"
        archive.record(capture(url), content(before, title="Crash"))
        assert PROMO in archive.version(archive.article(url)["id"], 1)["text"]
        other = "https://news.example/2026/11/01/other"  # the promotion is learnt from it
        archive.record(capture(other), content(f"{story(1)}\n\n{PROMO}", title="S1"))
        after = f"4 min read · Published 1 hour ago\n\n{crash.replace('3 people', '4 people')}"
        rec = archive.record(capture(url, 60), content(f"{after}\n\n{STORY}", "Crash"))
        assert rec.outcome == "new-version"
        version = archive.version(rec.article_id, 2)
        assert version["change_kind"] == "correction"
        assert (version["words_added"], version["words_removed"]) == (1, 1)
        assert PROMO not in version["text"] and "Published 1 hour ago" in version["text"]


def test_editorial_before_aligns_furniture_and_drops_known_blocks() -> None:
    old = f"12 min read · Updated 5 minutes ago\n\n{STORY}\n\n{PROMO}"
    new = f"12 min read · Updated 2 hours ago\n\n{STORY}"
    assert editorial_before(old, new, {fingerprint(PROMO)}) == new
    # a line whose words changed keeps its own wording
    assert editorial_before("Comments (5) closed", "Comments (9) open") == "Comments (5) closed"
