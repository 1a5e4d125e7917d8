"""Every benchmark page's extraction, written to a file, to prove a change leaves output alone.

    python bench/extract_snapshot.py OUT.jsonl [--html] [--compare BEFORE.jsonl]

Each line holds one page of every dataset under ../shared/bench/extraction/: its id and every
`Article` field (text, metadata, method, posts; with `--html` also the clean HTML and
Markdown), or the `ExtractionError` reason. `--compare` lists the pages whose line differs
from an earlier snapshot and which fields changed; it exits 1 when any did. A speed-up keeps
every line; a quality change shows where it moved output before the benchmark scores it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT.parent / "shared" / "bench" / "extraction"


def pages(root: Path) -> list[tuple[str, str, str]]:
    """(set/id, url, html) of every page, in a fixed order."""
    out = []
    for folder in sorted(p for p in root.iterdir() if (p / "ground-truth.json").exists()):
        truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
        for key in sorted(truth):
            with gzip.open(folder / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as f:
                out.append((f"{folder.name}/{key}", truth[key].get("url") or "", f.read()))
    return out


def snapshot(root: Path, with_html: bool) -> dict[str, dict[str, object]]:
    sys.path.insert(0, str(ROOT))
    from scraper.extract import ExtractionError, extract

    lines: dict[str, dict[str, object]] = {}
    for key, url, html in pages(root):
        try:
            article = extract(html, url, with_html=with_html)
        except ExtractionError as exc:
            lines[key] = {"error": exc.reason}
            continue
        row = dict(article.__dict__)
        row["posts"] = [post.__dict__ for post in article.posts]
        lines[key] = row
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--html", action="store_true", help="also the clean HTML and Markdown")
    parser.add_argument("--compare", type=Path, help="an earlier snapshot to diff against")
    parser.add_argument("--root", type=Path, default=DATA_ROOT)
    args = parser.parse_args(argv)
    lines = snapshot(args.root, args.html)
    with args.out.open("w", encoding="utf-8") as f:
        for key, row in lines.items():
            f.write(json.dumps({"id": key, **row}, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(lines)} pages written to {args.out}")
    if args.compare is None:
        return 0
    before = {}
    with args.compare.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            before[row.pop("id")] = row
    changed = 0
    for key, row in lines.items():
        old = before.get(key)
        now = json.loads(json.dumps(row, ensure_ascii=False))  # as read back from the file
        if old != now:
            changed += 1
            fields = sorted(
                k for k in set(now) | set(old or {}) if (old or {}).get(k) != now.get(k)
            )
            print(f"  {key}: {', '.join(fields)}")
    print(f"{changed} of {len(lines)} pages differ from {args.compare}")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
