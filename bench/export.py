"""Memory of the exports over growing archives: streamed exports stay flat.

Run: ``python bench/export.py`` (``--sizes 1000,4000`` to choose the archive sizes, in
articles of two versions each). For each size it builds an archive with real ``Archive.record``
calls (distinct pages of ~6 KB, two versions per article), then runs each export in a child
process and reads the child's peak resident memory (``wait4``). The reference, measured in the
same run, is ``--format json``: one JSON document, which holds every row in memory. A streamed
export's peak should not grow with the archive (ratio large/small ~ 1.0) while the
reference's grows with it.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.models import CaptureIn, ContentIn
from archive.store import Archive

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = [
    "council",
    "mayor",
    "bridge",
    "ferry",
    "repairs",
    "residents",
    "engineers",
    "minister",
    "storm",
    "flood",
    "vote",
]

EXPORTS = {
    "json (reference)": ["--format", "json"],
    "jsonl versions": ["--format", "jsonl"],
    "csv versions": ["--format", "csv"],
    "jsonl articles": ["--format", "jsonl", "--what", "articles"],
    "warc": ["--format", "warc"],
}


def paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(60)) + "."


def build(db: Path, articles: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with Archive(db) as archive:
        for n in range(articles):
            url = f"https://news.example/2026/11/{n % 28 + 1:02d}/story-{n}/"
            text = "\n\n".join(paragraph(rng) for _ in range(8))
            for k in range(2):
                if k:
                    text += "\n\n" + paragraph(rng)
                body = (
                    f"<html><body><article><h1>Story {n}</h1>"
                    + "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
                    + "</article></body></html>"
                ).encode()
                archive.record(
                    CaptureIn(
                        url=url,
                        site="news",
                        fetched_at=T0 + timedelta(minutes=n, hours=k),
                        status_code=200,
                        content_type="text/html; charset=utf-8",
                        size=len(body),
                        http_version="HTTP/1.1",
                        request_headers=(("Host", "news.example"),),
                        response_headers=(("Content-Type", "text/html; charset=utf-8"),),
                        raw=body,
                    ),
                    ContentIn(f"Story {n}", text, "bench"),
                )


def peak_rss_mib(args: list[str], out: Path) -> tuple[float, float]:
    """(peak resident MiB, seconds) of one export run in a child process."""
    cmd = [sys.executable, "-c", "from scraper.cli import main; main()", "export", *args]
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen([*cmd, "-o", str(out)], stdout=null, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"export failed: {' '.join(args)}: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000", help="articles per archive, two sizes")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in EXPORTS}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            db = Path(tmp) / f"a{size}.db"
            started = time.perf_counter()
            build(db, size)
            mib = db.stat().st_size / 2**20
            print(
                f"built {size} articles / {2 * size} versions ({mib:.0f} MiB) "
                f"in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
            for name, args in EXPORTS.items():
                suffix = ".warc.gz" if name == "warc" else ".out"
                out = Path(tmp) / f"out-{size}{suffix}"
                results[name].append(peak_rss_mib([*args, "--db", str(db)], out))
                out.unlink()
    small, large = sizes[0], sizes[-1]
    print(f"\npeak resident memory of `newsarchive export`, {small} vs {large} articles")
    print(
        f"{'export':<18} {'MiB @' + str(small):>10} {'MiB @' + str(large):>10} {'growth':>7} "
        f"{'vs json @' + str(large):>12} {'s @' + str(large):>8}"
    )
    reference = results["json (reference)"][-1][0]
    for name, runs in results.items():
        (m1, _t1), (m2, t2) = runs[0], runs[-1]
        print(
            f"{name:<18} {m1:>10.1f} {m2:>10.1f} {m2 / m1:>6.2f}x {m2 / reference:>11.2f}x "
            f"{t2:>8.2f}"
        )


if __name__ == "__main__":
    main()
