"""How fast ``newsarchive --help`` answers, against a bare Python start in the same run.

Each command runs in a fresh process (as a user types it), alternating, *rounds* times; the
table gives the median and best wall-clock times and the ratio to ``python -c pass``. The
commands import only what they run (httpx, Datasette, selectolax, sqlite-utils... are imported
inside the commands), so ``--help`` costs click and the command modules.

    python bench/cli_startup.py --rounds 30
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass (reference)": [sys.executable, "-c", "pass"],
    "newsarchive --help": [sys.executable, "-m", "scraper.cli", "--help"],
    "newsarchive crawl --help": [sys.executable, "-m", "scraper.cli", "crawl", "--help"],
    "import every command's libraries": [
        sys.executable,
        "-c",
        "import scraper.crawl.service, scraper.crawl.schedule, archive.datasette.serve, "
        "scraper.extract, scraper.fetch.client",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, command in CASES.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    reference = statistics.median(times["python -c pass (reference)"])
    print(f"{'command':<36} {'median s':>9} {'best s':>8} {'× python':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<36} {median:>9.3f} {min(values):>8.3f} {median / reference:>9.1f}")


if __name__ == "__main__":
    main()
