"""Progress display of `newsarchive crawl`: a live line on terminals, periodic lines otherwise."""

from __future__ import annotations

import io

from scraper.config import Site
from scraper.crawl.service import PlainProgress, TerminalProgress


def test_terminal_progress_redraws_one_line_per_update():
    out = io.StringIO()
    display = TerminalProgress(
        [
            Site("alpha", feeds=("https://a.example/f",)),
            Site("beta", feeds=("https://b.example/f",)),
        ],
        stream=out,
    )
    alpha, beta = display.for_site("alpha"), display.for_site("beta")
    alpha("discovered", {"site": "alpha", "found": 4, "new": 4})
    alpha("checked", {"url": "u", "outcome": "new-version", "done": 1, "total": 4})
    beta("checked", {"url": "u", "outcome": "unchanged", "done": 2, "total": 2})
    display.close()
    frames = out.getvalue().split("\r\x1b[K")[1:]
    assert len(frames) == 3
    assert frames[1].startswith("alpha █████░░░░░░░░░░░░░░░ 1/4")
    assert "beta: discovering" in frames[1]
    assert frames[2].rstrip("\n").endswith("beta ████████████████████ 2/2")


def test_plain_progress_prints_periodic_lines():
    out = io.StringIO()
    display = PlainProgress(stream=out, every=3600)
    display("discovered", {"site": "alpha", "found": 3, "new": 2})
    for done in (1, 2, 3):
        display("checked", {"url": f"u{done}", "outcome": "unchanged", "done": done, "total": 3})
    lines = out.getvalue().splitlines()
    # The discovery line, then only the last check (the others fall inside the period).
    assert lines == ["alpha: discovered 3 URLs, 2 new", "checked 3/3 (last: unchanged u3)"]
