"""Versioning fidelity: real crawls of the demo site, scored against the site's own truth.

Run: ``python bench/versioning.py [--ticks 48] [--step 30] [--seed 1]``.

The bundled demo site (:mod:`scraper.demo.site`) knows every editorial edit it made and when:
corrections, typo fixes, changed numbers, headlines, appended updates, rewordings, new posts of
its live blogs, and moves to a new URL. Its pages carry what must never make a version: teasers
that rotate on every request, counters ("Comments (51)", "1,234 views"), relative times
("Updated 5 minutes ago"), a mobile template whose paragraphs are ``div`` elements and live
blogs whose header says "LIVE · Updated N minutes ago".

Each tick runs one real crawl (discovery, the default re-check policy, fetch, extract, record)
and moves the site's clock ``--step`` minutes on. Then every stored version is checked:

- **versions without an edit**: a version whose article had no edit since the version before;
- **edits caught**: of the edits the crawl could see (the article was checked after them), those
  whose first check afterwards made a version that holds the edit's text;
- **articles found**: the site's public articles that have an archive article, and
  **duplicates**: site articles that ended up as more than one archive article;
- **moves joined**: of the moves the crawl saw, those that left one history holding both URLs
  with a ``moved`` event. A move by redirect is seen once the crawl meets the new URL (its feed
  guid or shortlink ties it, or the old URL's redirect); a move by the page's own address
  (the old URL still answers, its canonical link or ``og:url`` naming the new one) once the
  crawl re-checks the old URL after it;
- **stopped by each defence**: captures whose extracted text differed from the version before
  (the naive rule would have stored them) that the archive did not store, by what made them
  equal: counters and relative times masked (:mod:`archive.furniture`), the site's learnt
  boilerplate left out (:mod:`archive.boilerplate`), or both together. The magazine layout puts
  "N min read · Updated N minutes ago" and the site's promotion inside its article body, where
  the extractor rightly keeps them, so both defences have work to do.

The reference in the same run is the site's truth (what a perfect archive holds) and the naive
rule (a version whenever the extracted text differs at all, counted from the same captures by
re-extracting their raw pages), so the table shows what the versioning rules add.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.boilerplate import strip_boilerplate  # noqa: E402
from archive.furniture import mask_text  # noqa: E402
from archive.store import Archive  # noqa: E402
from archive.versions import content_hash, normalize_line, normalize_text  # noqa: E402
from scraper.crawl.cycle import crawl_site, run_extract  # noqa: E402
from scraper.crawl.service import boilerplate_rules  # noqa: E402
from scraper.demo.run import DEMO_START, demo_config  # noqa: E402
from scraper.demo.site import DemoArticleState, DemoEvent, DemoSite  # noqa: E402
from scraper.extract import Article, ExtractRules  # noqa: E402
from scraper.fetch.client import Fetcher  # noqa: E402

#: The change kinds a version made by one demo edit may get (``archive.diff``'s kinds).
EXPECTED_KIND = {
    "correction": {"correction"},  # the weekday of the first paragraph
    "number": {"correction"},  # "3" -> "4"
    "typo": {"typo"},  # a misspelling fixed
    "headline": {"headline"},
    "update": {"addition"},  # an "Update: ..." paragraph appended
    # phrases swapped, sentences reordered, or (a one-sentence paragraph) a sentence appended
    "reword": {"wording", "addition"},
    "post": {"live-update"},
}


@dataclass
class Figures:
    """What one run stored, against the site's truth."""

    ticks: int = 0
    seconds: float = 0.0
    articles_public: int = 0
    articles_found: int = 0
    duplicates: int = 0
    versions: int = 0
    versions_naive: int = 0
    spurious: int = 0
    spurious_naive: int = 0
    edits: int = 0  # edits the site made (to public articles, by the end)
    edits_observable: int = 0  # ... that a check of the article came after
    edits_caught: int = 0
    moves: int = 0
    moves_observed: int = 0
    moves_joined: int = 0
    moves_by_identity: int = 0  # joined when the new URL was seen first (guid, shortlink)
    moves_by: Counter = field(default_factory=Counter)  # joined moves by the old URL's alias kind
    moves_made_by: Counter = field(default_factory=Counter)  # observed moves by how the site moved
    stopped_masked: int = 0  # would-be versions stopped by masking counters and relative times
    stopped_blocks: int = 0  # ... by leaving the site's learnt boilerplate out
    stopped_both: int = 0  # ... only by the two together
    by_template: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_edit_kind: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    missed: list[str] = field(default_factory=list)
    spurious_examples: list[str] = field(default_factory=list)
    unjoined: list[str] = field(default_factory=list)
    kinds_checked: int = 0  # versions made by exactly one edit
    kinds_right: int = 0
    wrong_kinds: list[str] = field(default_factory=list)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def run(
    *,
    ticks: int,
    step: timedelta,
    seed: int = 1,
    db_path: Path | None = None,
    naive: bool = True,
) -> Figures:
    """Crawl the demo site *ticks* times, *step* apart on its clock, and score the archive
    (with the naive rule's figures too unless *naive* is false: they re-extract every page)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = db_path or Path(tmp) / "versioning.db"
        with DemoSite(start=DEMO_START, seed=seed) as site:
            config = demo_config(site.base_url, site.host_port, db)
            began = time.perf_counter()
            asyncio.run(_crawl(site, config, ticks, step))
            seconds = time.perf_counter() - began
            with Archive(db) as archive:
                figures = score(
                    site,
                    archive,
                    crawled_until=site.now - step,
                    naive=naive,
                    rules=config.sites[0].rules,
                )
        figures.ticks, figures.seconds = ticks, seconds
        return figures


async def _crawl(site: DemoSite, config, ticks: int, step: timedelta) -> None:
    fetcher = Fetcher(config.crawl.fetch_settings())
    try:
        with Archive(config.db_path, boilerplate=boilerplate_rules(config)) as archive:
            for _ in range(ticks):
                for site_conf in config.sites:
                    await crawl_site(site_conf, archive, fetcher, now=lambda: site.now)
                site.advance(step)
    finally:
        await fetcher.aclose()


def _truth_by_url(site: DemoSite) -> dict[str, int]:
    urls: dict[str, int] = {}
    for event in site.events():
        if event.kind == "published":
            urls[event.url] = event.article_id
        elif event.kind == "moved" and event.location:
            urls[event.location] = event.article_id
    return urls


def _evidence(before: DemoArticleState, after: DemoArticleState) -> tuple[list[str], list[str]]:
    """Text an archive must show after an edit, and text it must no longer show."""
    old = {normalize_line(b.text) for b in before.content.blocks}
    new = {normalize_line(b.text) for b in after.content.blocks}
    present = sorted(new - old)
    absent = sorted(old - new)
    return present, absent


def score(
    site: DemoSite,
    archive: Archive,
    *,
    crawled_until: datetime,
    naive: bool = True,
    rules: ExtractRules | None = None,
) -> Figures:
    """Compare what *archive* holds with what *site* did (its last crawl at *crawled_until*)."""
    figures = Figures()
    by_url = _truth_by_url(site)
    truth = {a.id: a for a in site.articles() if a.robots_allowed}
    events = [e for e in site.events() if e.article_id in truth and e.at <= crawled_until]
    figures.articles_public = sum(1 for a in truth.values() if a.published <= crawled_until)

    # archive article -> site article, through its URL and every alias
    urls_of: dict[int, set[str]] = defaultdict(set)
    for row in archive.db.query("select id, url from articles"):
        urls_of[row["id"]].add(row["url"])
    for row in archive.db.query("select url, article_id from article_urls"):
        urls_of[row["article_id"]].add(row["url"])
    owners: dict[int, list[int]] = defaultdict(list)
    truth_of: dict[int, int] = {}
    for article_id, urls in urls_of.items():
        ids = {by_url[u] for u in urls if u in by_url and by_url[u] in truth}
        if len(ids) == 1:
            (tid,) = ids
            truth_of[article_id] = tid
            owners[tid].append(article_id)
    figures.articles_found = sum(1 for tid in truth if owners.get(tid))
    figures.duplicates = sum(1 for tid in truth if len(owners.get(tid, ())) > 1)

    edits_of: dict[int, list[DemoEvent]] = defaultdict(list)
    for e in events:
        if e.kind == "edit":
            edits_of[e.article_id].append(e)
    figures.edits = sum(len(v) for v in edits_of.values())
    known = {
        r["fingerprint"]
        for r in archive.db.query(
            "select fingerprint from block_counts where articles >= ?",
            [archive.boilerplate.min_articles or 10**9],
        )
    }

    for article_id, tid in truth_of.items():
        template = truth[tid].template
        tally = figures.by_template[template]
        versions = archive.versions(article_id)
        figures.versions += len(versions)
        tally["versions"] += len(versions)
        times = [_time(v["captured_at"]) for v in versions]
        for previous, version, at in zip(versions, versions[1:], times[1:], strict=False):
            since = _time(previous["captured_at"])
            if not any(since < e.at <= at for e in edits_of[tid]):
                figures.spurious += 1
                tally["spurious"] += 1
                if len(figures.spurious_examples) < 8:
                    figures.spurious_examples.append(
                        f"{template} #{tid} v{version['version']} ({version['change_kind']})"
                    )
        captures = [
            c
            for c in archive.captures(article_id)
            if c["outcome"] in ("new-version", "unchanged", "not-modified")
        ]
        if naive:
            naive_versions, naive_spurious = _naive(
                archive, captures, edits_of[tid], rules, figures, known
            )
            figures.versions_naive += naive_versions
            figures.spurious_naive += naive_spurious
        for e in edits_of[tid]:
            after = [c for c in captures if _time(c["fetched_at"]) >= e.at]
            if not after:
                continue
            figures.edits_observable += 1
            tally["edits"] += 1
            figures.by_edit_kind[e.detail]["edits"] += 1
            first = after[0]
            caught = first["outcome"] == "new-version" and _holds(site, archive, first, tid, e)
            if caught:
                alone = [
                    o
                    for o in edits_of[tid]
                    if _previous_version_at(versions, first) < o.at
                    and o.at <= _time(first["fetched_at"])
                ]
                if len(alone) == 1 and e.detail in EXPECTED_KIND:
                    version = archive._one(
                        "select change_kind from versions where id = ?", [first["version_id"]]
                    )
                    first_version = version is not None and version["change_kind"] == "first"
                    figures.kinds_checked += not first_version
                    if first_version:
                        pass
                    elif version and version["change_kind"] in EXPECTED_KIND[e.detail]:
                        figures.kinds_right += 1
                    elif len(figures.wrong_kinds) < 8:
                        got = version["change_kind"] if version else None
                        figures.wrong_kinds.append(f"{template} #{tid} {e.detail} -> {got}")
                figures.edits_caught += 1
                tally["caught"] += 1
                figures.by_edit_kind[e.detail]["caught"] += 1
            elif len(figures.missed) < 12:
                figures.missed.append(
                    f"{template} #{tid} {e.detail} at {e.at:%H:%M} ({first['outcome']})"
                )

    for e in events:
        if e.kind != "moved" or e.location is None:
            continue
        figures.moves += 1
        holders = [aid for aid in owners.get(e.article_id, ())]
        if not holders:
            continue
        seen_new = any(e.location in urls_of[a] for a in holders)
        if not seen_new:
            continue  # the crawl never saw the new URL (nor the redirect): nothing to join
        if e.detail != "301" and not _rechecked(archive, e.url, e.at):
            continue  # only the old URL's page names the new address: not re-checked yet
        figures.moves_observed += 1
        figures.moves_made_by[e.detail] += 1
        moved = [
            a
            for a in holders
            if e.url in urls_of[a]
            and e.location in urls_of[a]
            and any(ev["kind"] == "moved" for ev in archive.events(a))
        ]
        if len(holders) == 1 and moved:
            figures.moves_joined += 1
            kind = archive._one("select kind from article_urls where url = ?", [e.url])
            figures.moves_by_identity += bool(kind and kind["kind"] == "identity")
            figures.moves_by[kind["kind"] if kind else "?"] += 1
        else:
            figures.unjoined.append(f"#{e.article_id} {e.url} -> {e.location}")
    return figures


def _rechecked(archive: Archive, url: str, since: datetime) -> bool:
    """Whether the crawl fetched *url* itself (not a URL joined to it) at or after *since*."""
    rows = archive.db.query(
        "select fetched_at from captures where coalesce(final_url, url) = ? or requested_url = ?",
        [url, url],
    )
    return any(_time(r["fetched_at"]) >= since for r in rows)


def _previous_version_at(versions: list[dict], capture: dict) -> datetime:
    """When the version before the one *capture* made was captured."""
    earlier = [v for v in versions if v["id"] != capture["version_id"]]
    before = [_time(v["captured_at"]) for v in earlier if v["captured_at"] < capture["fetched_at"]]
    return (
        max(before) if before else datetime.min.replace(tzinfo=_time(capture["fetched_at"]).tzinfo)
    )


def _holds(site: DemoSite, archive: Archive, capture: dict, tid: int, edit: DemoEvent) -> bool:
    """Whether the version made at *capture* shows *edit* (its text still on the page then)."""
    version = archive._one("select * from versions where id = ?", [capture["version_id"]])
    if version is None:
        return False
    at = _time(capture["fetched_at"])
    before = site.article_at(tid, edit.at - timedelta(seconds=1))
    after = site.article_at(tid, edit.at)
    then = site.article_at(tid, at)
    title_edit = after.title != before.title and then.title == after.title
    if title_edit and normalize_line(version["title"]) != normalize_line(after.title):
        return False
    present, absent = _evidence(before, after)
    shown = {normalize_line(b.text) for b in then.content.blocks}
    text = normalize_line(version["text"])
    for fragment in present:
        if fragment in shown and fragment not in text:
            return False
    # a removed paragraph must be gone as a paragraph (it may live on inside a longer one)
    paragraphs = {normalize_line(p) for p in version["text"].split("\n\n")}
    return not any(fragment not in shown and fragment in paragraphs for fragment in absent)


def _naive(
    archive: Archive,
    captures: list[dict],
    edits: list[DemoEvent],
    rules: ExtractRules | None,
    figures: Figures,
    known: set[str],
) -> tuple[int, int]:
    """Versions (and versions without an edit) of the rule "any change of the extracted text",
    from the same captures' raw pages; and, into *figures*, the would-be versions each defence
    stopped (a capture the archive kept as unchanged whose text differs from the one that made
    the version before)."""
    versions = spurious = 0
    last_hash = last_at = None
    reference: tuple[str, str] | None = None  # title, text of the capture of the latest version
    for c in captures:
        if c["raw_page_id"] is None:
            continue
        raw = archive.raw_page(c["raw_page_id"]).decode("utf-8", "replace")
        article = run_extract(raw, c["final_url"] or c["url"], rules)
        if not isinstance(article, Article):
            continue
        title, text = normalize_line(article.title), normalize_text(article.text)
        digest = content_hash(title, text)
        if c["outcome"] == "new-version":
            reference = (title, text)
        elif c["outcome"] == "unchanged" and reference is not None:
            _attribute(figures, reference, (title, text), known)
        at = _time(c["fetched_at"])
        if digest != last_hash:
            versions += 1
            if last_at is not None and not any(last_at < e.at <= at for e in edits):
                spurious += 1
            last_hash, last_at = digest, at
    return versions, spurious


def _attribute(
    figures: Figures, old: tuple[str, str], new: tuple[str, str], known: set[str]
) -> None:
    """Count a capture kept as unchanged under the defence that made it equal to the version
    before it (nothing when the extracted text was the same anyway)."""
    if content_hash(*old) == content_hash(*new):
        return

    def key(page: tuple[str, str], *, mask: bool, strip: bool) -> str:
        text = strip_boilerplate(page[1], known) if strip else page[1]
        return content_hash(page[0], mask_text(text) if mask else text)

    if key(old, mask=True, strip=False) == key(new, mask=True, strip=False):
        figures.stopped_masked += 1
    elif key(old, mask=False, strip=True) == key(new, mask=False, strip=True):
        figures.stopped_blocks += 1
    else:
        figures.stopped_both += 1


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def print_report(f: Figures) -> None:
    print(
        f"demo site, {f.ticks} crawls {f.seconds:.1f} s; reference: the site's truth "
        "and the naive rule (a version whenever the extracted text differs)\n"
    )
    print("| measure | site truth | naive rule | newsarchive | newsarchive / truth |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| versions stored | - | {f.versions_naive} | {f.versions} | - |")
    print(f"| versions without an edit | 0 | {f.spurious_naive} | {f.spurious} | - |")
    print(
        f"| edits caught | {f.edits_observable} | - | {f.edits_caught} | "
        f"{_pct(f.edits_caught, f.edits_observable)} |"
    )
    print(
        f"| articles found | {f.articles_public} | - | {f.articles_found} | "
        f"{_pct(f.articles_found, f.articles_public)} |"
    )
    print(f"| articles stored twice | 0 | - | {f.duplicates} | - |")
    print(
        f"| change kind right (versions of one edit) | {f.kinds_checked} | - | {f.kinds_right} | "
        f"{_pct(f.kinds_right, f.kinds_checked)} |"
    )
    print(
        f"| moves joined | {f.moves_observed} | - | {f.moves_joined} | "
        f"{_pct(f.moves_joined, f.moves_observed)} |"
    )
    print(
        f"| would-be versions stopped: counters and relative times masked | - | - | "
        f"{f.stopped_masked} | - |"
    )
    print(
        f"| would-be versions stopped: learnt site boilerplate | - | - | {f.stopped_blocks} | - |"
    )
    print(f"| would-be versions stopped: both together | - | - | {f.stopped_both} | - |")
    made = ", ".join(f"{k} {v}" for k, v in sorted(f.moves_made_by.items())) or "none"
    joined = ", ".join(f"{k} {v}" for k, v in sorted(f.moves_by.items())) or "none"
    print(
        f"\n({f.edits} edits made, {f.moves} moves; the rest came after the crawl's last check;"
        f" moves seen by how the site made them: {made}; joined by: {joined})"
    )
    print("\n| template | versions | without an edit | edits seen | caught |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, t in sorted(f.by_template.items()):
        print(f"| {name} | {t['versions']} | {t['spurious']} | {t['edits']} | {t['caught']} |")
    print("\n| edit kind | edits seen | caught |")
    print("| --- | ---: | ---: |")
    for name, t in sorted(f.by_edit_kind.items()):
        print(f"| {name} | {t['edits']} | {t['caught']} |")
    for title, items in (
        ("versions without an edit", f.spurious_examples),
        ("edits missed", f.missed),
        ("moves not joined", f.unjoined),
        ("change kinds not the edit's", f.wrong_kinds),
    ):
        if items:
            print(f"\n{title}:")
            for item in items:
                print("  " + item)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=48, help="crawls (default 48)")
    parser.add_argument("--step", type=int, default=30, help="site minutes per crawl")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = run(ticks=args.ticks, step=timedelta(minutes=args.step), seed=args.seed)
    print_report(figures)
    ok = (
        figures.spurious == 0
        and figures.edits_caught == figures.edits_observable
        and figures.moves_joined == figures.moves_observed
        and figures.duplicates == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
