"""What ``PRAGMA synchronous = FULL`` costs the archive's writes, against NORMAL in the same run.

In WAL mode NORMAL syncs the WAL only at checkpoints, so a power cut can roll back transactions
that had already committed; FULL syncs the WAL at every commit, so a committed capture survives.
Every ``Archive.record`` is one transaction: this measures records per second both ways, on the
same disk, alternating rounds, with a fresh archive file per round.

    python bench/durability.py --records 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.models import CaptureIn, ContentIn
from archive.store import Archive

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PAGE = b"<html><body><article><p>" + b"Some words of a news article. " * 300 + b"</p></article>"


def one_round(folder: Path, mode: str, records: int) -> float:
    """Records per second with ``synchronous = mode``."""
    db = folder / f"bench-{mode}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with Archive(db) as archive:
        archive.db.execute(f"PRAGMA synchronous = {mode}")
        started = time.perf_counter()
        for n in range(records):
            at = T0 + timedelta(seconds=n)
            url = f"https://news.example/{n % 200}"
            text = f"Story {n % 200}, edit {n // 200}. " + "Body text of the article. " * 50
            archive.record(
                CaptureIn(
                    url=url, site="bench", fetched_at=at, status_code=200, raw=PAGE + b"%d" % n
                ),
                ContentIn(title=f"Story {n % 200}", text=text, extractor_version="bench"),
            )
        return records / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (a real disk)")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for _ in range(args.rounds):
            for mode in rates:
                rates[mode].append(one_round(Path(tmp), mode, args.records))
    reference = statistics.median(rates["NORMAL"])
    print(f"{args.records} records per round, median of {args.rounds} rounds\n")
    print("| synchronous | records/s | ms/record | vs NORMAL |")
    print("| --- | ---: | ---: | ---: |")
    for mode, values in rates.items():
        rate = statistics.median(values)
        print(f"| {mode} | {rate:.0f} | {1000 / rate:.2f} | {rate / reference:.2f}x |")


if __name__ == "__main__":
    main()
