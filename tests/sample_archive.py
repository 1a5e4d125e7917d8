"""Small archives for the search, Datasette and browser tests, built through the store API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.models import CaptureIn, ContentIn
from archive.store import Archive

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

BRIDGE_URL = "https://news.example/2026/11/20/bridge-closure/"
BRIDGE_V1 = (
    "The council voted on Tuesday to close the old bridge for repairs.",
    "Engineers found cracks in two of the main supports last spring.",
    "The mayor said the closure would last at least six months.",
    "Residents will be able to use a ferry service during the works.",
)
BRIDGE_V2 = (
    "The council voted on Tuesday to close the old bridge for repairs.",
    "Engineers found cracks in two of the main supports last spring.",
    "The mayor said the closure would last at least nine months.",
    "Residents will be able to use a ferry service during the works.",
    "Update: the ferry will be free for pensioners.",
)
BRIDGE_TITLE_V1 = "Council closes old bridge"
BRIDGE_TITLE_V2 = "Old bridge to close for nine months"

MARKET_URL = "https://other.example/markets/rates-steady/"
MARKET_TEXT = (
    "The central bank held interest rates steady on Thursday.",
    'Analysts had expected the pause <script>alert("x")</script> after two cuts.',
)
MARKET_TITLE = "Rates held <b>steady</b>"


def capture(url: str, site: str, at: datetime) -> CaptureIn:
    return CaptureIn(url=url, site=site, fetched_at=at, status_code=200, raw=b"<html></html>")


def content(title: str, paragraphs: tuple[str, ...]) -> ContentIn:
    return ContentIn(
        title=title,
        text="\n\n".join(paragraphs),
        extractor_version="test",
        authors=("Ann Writer",),
        published="2026-11-20T08:00:00+00:00",
    )


def build(path: Path) -> Path:
    """An archive with an edited article (two versions, headline changed) and an unedited one."""
    with Archive(path) as archive:
        archive.record(capture(BRIDGE_URL, "local", T0), content(BRIDGE_TITLE_V1, BRIDGE_V1))
        archive.record(
            capture(BRIDGE_URL, "local", T0 + timedelta(hours=1)),
            content(BRIDGE_TITLE_V1, BRIDGE_V1),
        )
        archive.record(
            capture(BRIDGE_URL, "local", T0 + timedelta(hours=2)),
            content(BRIDGE_TITLE_V2, BRIDGE_V2),
        )
        archive.record(
            capture(MARKET_URL, "other", T0 + timedelta(minutes=30)),
            content(MARKET_TITLE, MARKET_TEXT),
        )
    return path


def fleet_word(i: int) -> str:
    """The word only article *i* of :func:`build_fleet` has."""
    return f"vessel{i:03d}"


def fleet_url(i: int) -> str:
    return f"https://harbour.example/ferries/{i}/"


def build_fleet(path: Path, n: int) -> Path:
    """*n* one-version articles about ferries, oldest first, each naming a word no other
    article has (:func:`fleet_word`): enough rows for pages and snippets to be told apart."""
    with Archive(path) as archive:
        for i in range(n):
            archive.record(
                capture(fleet_url(i), "harbour", T0 + timedelta(minutes=i)),
                content(
                    f"Timetable {i}",
                    (
                        f"The harbour ferries named {fleet_word(i)} sail at dawn.",
                        "Tickets are sold on board.",
                    ),
                ),
            )
    return path
