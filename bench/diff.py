"""Time diffing a long live blog with scattered edits.

Run: ``python bench/diff.py``. Prints the time to diff and summarize a ~20,000-word text with
edits, insertions, removals and a moved paragraph spread across it; the goal is well under a
second. Timing lives here, not in the test suite, so tests stay about behaviour.
"""

from __future__ import annotations

import random
import time

from archive.diff import diff_versions, render_html, render_json, summarize_diff

WORDS = [
    "the",
    "council",
    "mayor",
    "bridge",
    "repairs",
    "ferry",
    "residents",
    "engineers",
    "minister",
    "police",
    "said",
    "would",
    "update",
    "live",
    "minute",
    "statement",
    "election",
    "vote",
    "result",
    "storm",
    "flood",
    "rescue",
    "team",
    "players",
    "match",
    "goal",
    "half",
    "market",
    "shares",
    "price",
    "rates",
    "bank",
    "inflation",
    "report",
    "officials",
    "confirmed",
]


def live_blog(rng: random.Random, words: int = 20_000) -> list[str]:
    paragraphs, total = [], 0
    while total < words:
        n = rng.randint(15, 60)
        stamp = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        paragraphs.append(stamp + " " + " ".join(rng.choice(WORDS) for _ in range(n)) + ".")
        total += n + 1
    return paragraphs


def scattered_edits(rng: random.Random, paragraphs: list[str]) -> list[str]:
    edited = list(paragraphs)
    for index in rng.sample(range(len(edited)), 25):
        words = edited[index].split(" ")
        words[rng.randrange(len(words))] = rng.choice(WORDS).upper()
        edited[index] = " ".join(words)
    for _ in range(5):
        edited.insert(rng.randrange(len(edited)), "Breaking: " + " ".join(rng.sample(WORDS, 20)))
    for _ in range(3):
        del edited[rng.randrange(len(edited))]
    edited.insert(0, edited.pop(len(edited) // 2))  # a paragraph moved to the top
    return edited


def main() -> None:
    rng = random.Random(20261126)
    old_paras = live_blog(rng)
    new_paras = scattered_edits(rng, old_paras)
    old, new = "\n\n".join(old_paras), "\n\n".join(new_paras)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        diff = diff_versions(old, new, old_title="Live: updates", new_title="Live: updates")
        summary = summarize_diff(diff)
        runs.append(time.perf_counter() - start)
    start = time.perf_counter()
    render_html(diff)
    render_json(diff)
    render_time = time.perf_counter() - start
    print(
        f"{len(old.split())} words, {len(old_paras)} paragraphs -> {summary.kind}: "
        f"+{summary.words_added}/-{summary.words_removed} words, "
        f"{summary.paragraphs_edited} edited, {summary.paragraphs_added} added, "
        f"{summary.paragraphs_removed} removed, {summary.paragraphs_moved} moved"
    )
    print(f"diff + summary: best {min(runs) * 1000:.1f} ms, worst {max(runs) * 1000:.1f} ms")
    print(f"render html + json: {render_time * 1000:.1f} ms")

    # The same text as one unbroken paragraph (a page whose extractor lost the blank lines),
    # and a complete rewrite: the slow paths of word matching.
    for label, a, b in (
        ("one 20k-word paragraph, scattered edits", " ".join(old_paras), " ".join(new_paras)),
        ("complete rewrite", old, "\n\n".join(live_blog(rng))),
    ):
        start = time.perf_counter()
        kind = summarize_diff(diff_versions(a, b)).kind
        print(f"{label}: {(time.perf_counter() - start) * 1000:.1f} ms ({kind})")


if __name__ == "__main__":
    main()
