"""Search and canned-query latency on a year-sized archive, against raw FTS5 in the same run.

The archive is generated into the project's exact schema (``Archive`` runs the migrations, so
the triggers that keep ``versions_fts`` and ``latest_fts`` are the real ones) with bulk inserts:
50,000 articles, 200,000 versions, 500,000 captures by default. The text is real: paragraphs of
the extraction benchmark's ground truth (../shared/bench/extraction/modern-web), shuffled into
articles; each later version edits, adds or drops a paragraph, as newsrooms do. A made-up word
goes into 40 articles (the rare word).

Measured, each query ``--repeat`` times: p50 and p95 of the wall time and p50 of the CPU time
the process spent on it (in ms; on a busy machine the wall time adds the wait for a core):

- ``cli``: ``Archive.search`` as ``newsarchive search`` calls it (latest text; 20 hits
  with snippets), and with ``all_versions=True``;
- ``datasette versions`` / ``latest_versions``: ``?_search=`` on the tables' HTML pages;
- ``plugin page``: the plugin's ``/-/search?q=`` page;
- every canned query (JSON), and the due-articles query;
- the reference: raw FTS5 ranking every match (``order by rank limit 20`` on ``versions_fts``).

    python bench/search.py [--articles 50000] [--versions 200000] [--repeat 20] [--db PATH]

The archive is kept at --db (default /tmp/newsarchive-bench-search.db) and reused while it
exists (generating it takes 8-11 minutes); --fresh rebuilds it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.datasette.metadata import CANNED_QUERIES
from archive.search import fts_match
from archive.store import Archive
from archive.versions import content_hash

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "extraction"
RARE = "quetzalcoatlid"
T0 = datetime(2025, 12, 1, tzinfo=UTC)


def paragraphs() -> list[str]:
    truth = json.loads((SHARED / "modern-web" / "ground-truth.json").read_text("utf-8"))
    out = []
    for item in truth.values():
        for para in (item.get("articleBody") or "").split("\n"):
            para = " ".join(para.split())
            if 80 <= len(para) <= 1200:
                out.append(para)
    return out


def generate(path: Path, n_articles: int, n_versions: int, captures_per_version: float) -> None:
    rng = random.Random(13)
    paras = paragraphs()
    titles = [p[:90].rsplit(" ", 1)[0] for p in paras]
    with Archive(path) as archive:
        db = archive.db
        conn = db.conn
        # Versions per article: at least one, the rest spread with a long tail.
        # Most articles get a few edits; a hot twentieth (live stories) gets many more.
        counts = [1] * n_articles
        hot = rng.sample(range(n_articles), max(1, n_articles // 20))
        extra = n_versions - n_articles
        while extra > 0:
            i = rng.choice(hot) if rng.random() < 0.3 else rng.randrange(n_articles)
            if counts[i] < 60:
                counts[i] += 1
                extra -= 1
        rare = set(rng.sample(range(n_articles), 40))
        sites = [f"site{i}" for i in range(20)]
        conn.execute("begin")
        crawl_rows = [
            (i + 1, sites[i % 20], (T0 + timedelta(hours=i)).isoformat(), "done")
            for i in range(2000)
        ]
        conn.executemany(
            "insert into crawls (id, site, started, status) values (?, ?, ?, ?)", crawl_rows
        )
        version_id = capture_id = 0
        article_rows, version_rows, capture_rows = [], [], []

        def flush() -> None:
            conn.executemany(
                "insert into articles (id, url, site, status, title, first_seen, last_checked,"
                " last_changed, next_check, version_count, capture_count) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                article_rows,
            )
            conn.executemany(
                "insert into captures (id, article_id, crawl_id, url, fetched_at, status_code,"
                " outcome, bytes, version_id) values (?, ?, ?, ?, ?, 200, ?, 120000, ?)",
                capture_rows,
            )
            conn.executemany(
                "insert into versions (id, article_id, version, captured_at, capture_id, title,"
                " text, text_hash, word_count, change_kind, words_added, words_removed,"
                " title_changed, extractor_version, method) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1.0.0', 'article')",
                version_rows,
            )
            article_rows.clear()
            version_rows.clear()
            capture_rows.clear()

        for a in range(n_articles):
            article_id = a + 1
            born = T0 + timedelta(minutes=a * 10)
            body = rng.sample(paras, rng.randint(5, 10))
            if a in rare:
                body[0] = body[0] + f" The {RARE} was mentioned."
            title = rng.choice(titles)
            at = born
            for number in range(1, counts[a] + 1):
                kind = "first"
                title_changed = 0
                if number > 1:
                    at += timedelta(hours=rng.randint(1, 48))
                    edit = rng.random()
                    if edit < 0.5:
                        body[rng.randrange(len(body))] = rng.choice(paras)
                        kind = "rewording"
                    elif edit < 0.8 and len(body) < 16:
                        body.append(rng.choice(paras))
                        kind = "addition"
                    elif len(body) > 3:
                        body.pop(rng.randrange(len(body)))
                        kind = "removal"
                    if rng.random() < 0.15:
                        title = rng.choice(titles)
                        title_changed = 1
                        kind = "headline"
                text = "\n\n".join(body)
                # Captures of this version: the first saw it, the rest found it unchanged.
                n_caps = max(1, round(rng.expovariate(1 / captures_per_version)))
                first_capture = capture_id + 1
                for k in range(n_caps):
                    capture_id += 1
                    capture_rows.append(
                        (
                            capture_id,
                            article_id,
                            rng.randint(1, 2000),
                            f"https://news{a % 20}.example/a/{article_id}",
                            (at + timedelta(minutes=30 * k)).isoformat(),
                            "new-version" if k == 0 else "unchanged",
                            None,
                        )
                    )
                version_id += 1
                version_rows.append(
                    (
                        version_id,
                        article_id,
                        number,
                        at.isoformat(),
                        first_capture,
                        title,
                        text,
                        content_hash(title, text),
                        len(text.split()),
                        kind,
                        rng.randint(0, 40) if number > 1 else 0,
                        rng.randint(0, 40) if number > 1 else 0,
                        title_changed,
                    )
                )
            status = rng.choices(["live", "gone", "soft-404", "moved"], [0.94, 0.03, 0.02, 0.01])[0]
            article_rows.append(
                (
                    article_id,
                    f"https://news{a % 20}.example/a/{article_id}",
                    sites[a % 20],
                    status,
                    title,
                    born.isoformat(),
                    at.isoformat(),
                    at.isoformat(),
                    None if status == "moved" else (at + timedelta(days=2)).isoformat(),
                    counts[a],
                    capture_id - first_capture + 1,
                )
            )
            if len(version_rows) >= 5000:
                flush()
        flush()
        conn.execute("commit")
        # No ANALYZE: archives in use never run it, so the plans measured are theirs.


def read_through(path: Path) -> None:
    """Read *path* once, so that the first queries measured do not read it from disk."""
    with path.open("rb") as f:
        while f.read(1 << 20):
            pass


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """p50 and p95 of the wall time, and p50 of the process's CPU time, in ms.

    The CPU time is the work a query costs whatever else the machine runs (the SQL threads
    of Datasette included); on a busy machine the wall time is that work plus the wait for a
    core, so both are printed."""
    fn()  # warm the page cache and the statement cache
    samples, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return summary(samples, cpu)


def summary(samples: list[float], cpu: list[float]) -> tuple[float, float, float]:
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return statistics.median(samples), p95, statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--versions", type=int, default=200_000)
    parser.add_argument("--captures-per-version", type=float, default=2.5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsarchive-bench-search.db"))
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    if args.fresh or not args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        t0 = time.perf_counter()
        generate(args.db, args.articles, args.versions, args.captures_per_version)
        print(f"generated {args.db} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    with Archive(args.db) as archive:  # migrations of an older bench archive
        counts = archive.counts()
    print(
        f"archive: {counts['articles']:,} articles, {counts['versions']:,} versions, "
        f"{counts['captures']:,} captures, {args.db.stat().st_size / 1e9:.2f} GB"
    )
    t0 = time.perf_counter()
    read_through(args.db)
    from datasette import __version__ as datasette_version

    print(
        f"read the file once into the OS cache in {time.perf_counter() - t0:.1f} s "
        f"(a served archive's pages are in memory); load average {load()}; "
        f"Datasette {datasette_version}\n"
    )

    queries = {
        "rare word": RARE,
        "common word": "the",
        "phrase": '"according to"',
        "prefix": "govern*",
    }
    rows: list[tuple[str, str, float, float, float]] = []
    with Archive(args.db, readonly=True) as archive:
        db = archive.db
        for label, q in queries.items():
            match = fts_match(q)
            n_latest = db.execute(
                "select count(*) from latest_fts where latest_fts match ?", [match]
            ).fetchone()[0]
            n_all = db.execute(
                "select count(*) from versions_fts where versions_fts match ?", [match]
            ).fetchone()[0]
            print(f"{label:<12} {q!r}: {n_latest:,} latest texts, {n_all:,} versions match")

            def reference(match=match):
                db.execute(
                    "select rowid, snippet(versions_fts, -1, '[', ']', '…', 16) from versions_fts "
                    "where versions_fts match ? order by rank limit 20",
                    [match],
                ).fetchall()

            rows.append((label, "reference: raw FTS5 rank + snippet", *timed(reference, 5)))
            rows.append((label, "cli search", *timed(lambda q=q: archive.search(q), args.repeat)))
            rows.append(
                (
                    label,
                    "cli search --all-versions",
                    *timed(lambda q=q: archive.search(q, all_versions=True), args.repeat),
                )
            )
        rows += asyncio.run(datasette_rows(args.db, queries, args.repeat))
        due_at = (T0 + timedelta(days=400)).isoformat()
        rows.append(
            (
                "-",
                "due articles (site0)",
                *timed(
                    lambda: archive.due_articles("site0", datetime.fromisoformat(due_at), 500),
                    args.repeat,
                ),
            )
        )
    print(f"\nload average at the end: {load()}")
    reference = {label: p95 for label, what, _, p95, _ in rows if what.startswith("reference")}
    print(
        f"{'query':<12} {'what':<44} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'p95/ref':>8}"
        "  < 50 ms"
    )
    for label, what, p50, p95, cpu in rows:
        ratio = f"{p95 / reference[label]:.3f}" if label in reference else "-"
        ok = "" if what.startswith("reference") else ("yes" if p95 < 50 else "NO")
        print(f"{label:<12} {what:<44} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {ratio:>8}  {ok}")
    return 0


async def datasette_rows(path: Path, queries: dict[str, str], repeat: int) -> list:
    from urllib.parse import quote

    from archive.datasette.serve import make_datasette

    ds = make_datasette(path)
    name = path.stem
    rows: list[tuple[str, str, float, float, float]] = []

    async def timed_get(url: str) -> tuple[float, float, float]:
        for _ in range(3):  # warm-up: a first query may still meet pages not yet in memory
            response = await ds.client.get(url)
            if response.status_code == 200:
                break
        if response.status_code != 200:
            print(f"FAILED {url}: {response.status_code} {response.text[:200]}", file=sys.stderr)
            return float("inf"), float("inf"), float("inf")
        samples, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            response = await ds.client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            if response.status_code != 200:
                print(f"FAILED {url}: {response.status_code}", file=sys.stderr)
                return float("inf"), float("inf"), float("inf")
        return summary(samples, cpu)

    for label, q in queries.items():
        for table in ("versions", "latest_versions"):
            rows.append(
                (
                    label,
                    f"datasette {table}?_search=",
                    *await timed_get(f"/{name}/{table}?_search={quote(q)}"),
                )
            )
        rows.append(
            (label, "plugin page /-/search", *await timed_get(f"/{name}/-/search?q={quote(q)}"))
        )
        rows.append(
            (
                label,
                "canned search",
                *await timed_get(f"/{name}/search.json?q={quote(q)}&_shape=array"),
            )
        )
        rows.append(
            (
                label,
                "canned first_version_with_phrase",
                *await timed_get(
                    f"/{name}/first_version_with_phrase.json?phrase={quote(q.strip(chr(34)))}"
                    "&_shape=array"
                ),
            )
        )
    for query in CANNED_QUERIES:
        if query in ("search", "first_version_with_phrase"):
            continue
        rows.append(("-", f"canned {query}", *await timed_get(f"/{name}/{query}.json")))
    for table in ("versions", "latest_versions", "articles", "captures"):
        rows.append(("-", f"datasette {table} (no search)", *await timed_get(f"/{name}/{table}")))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
