"""bench/versioning.py on a small run: real crawls of the demo site against its own truth.

Ten crawls, half an hour apart on the site's clock, cover every class the benchmark measures: a
mobile template with div paragraphs and counters, a magazine layout whose body holds a reading
line ("4 min read · Updated 5 minutes ago") and the site's promotion, a live blog getting posts,
typo, number, correction, headline, update and reword edits, a move whose new URL the feeds list
before the old one is re-checked, and moves made by the page's canonical link or ``og:url``
alone. The targets are the product's promise, not floors.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from types import ModuleType

from conftest import ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_versioning", ROOT / "bench" / "versioning.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_versioning"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_no_version_without_an_edit_every_edit_caught_every_move_joined(tmp_path) -> None:
    figures = _bench().run(ticks=10, step=timedelta(minutes=30), db_path=tmp_path / "v.db")
    # the run saw every class it is meant to
    assert {"mobile", "magazine", "live"} <= set(figures.by_template)
    assert figures.moves_made_by["canonical"] >= 1 and figures.moves_made_by["og:url"] >= 1
    kinds = {k for k, t in figures.by_edit_kind.items() if t["edits"]}
    assert {"post", "typo", "number", "correction", "headline", "update", "reword"} <= kinds
    assert figures.moves_observed >= 1 and figures.edits_observable >= 15
    # and held the promise
    assert figures.spurious == 0, figures.spurious_examples
    assert figures.edits_caught == figures.edits_observable, figures.missed
    assert figures.moves_joined == figures.moves_observed, figures.unjoined
    assert figures.moves_by_identity >= 1  # the new URL was seen first and joined
    assert figures.moves_by["canonical"] >= 2  # by the canonical link, by og:url
    # the naive rule would have stored versions without an edit; each defence stopped some
    assert figures.spurious_naive > 0 and figures.versions_naive > figures.versions
    assert figures.stopped_masked >= 1 and figures.stopped_blocks >= 1
    assert figures.duplicates == 0
    assert figures.articles_found == figures.articles_public
    # each version made by one edit is named for that edit (typo, correction, live-update...)
    assert figures.kinds_checked >= 10
    assert figures.kinds_right == figures.kinds_checked, figures.wrong_kinds
