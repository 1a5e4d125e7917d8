"""Article-body extraction benchmark: newsarchive against trafilatura and readability-lxml.

    python bench/extraction.py [DATASET_DIR] [--only newsarchive] [--worst 10] [--repeat 3]

DATASET_DIR defaults to ../shared/bench/extraction/scrapinghub (181 news pages with a human
ground truth). The metric is the dataset's own (upstream evaluate.py): 4-token shingles of
`\\w+` tokens, per-page TP/FP/FN normalised to sum to 1, precision averaged over pages that
produced something, recall over pages with ground truth, F1 of the two means; accuracy is the
share of pages whose token sequence equals the ground truth.

Timing is one process, parse included, per page; the median and p90 are over pages. The
comparison extractors are optional: when one is not installed it is reported as skipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = ROOT.parent / "shared" / "bench" / "extraction" / "scrapinghub"
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


# --- the metric (upstream evaluate.py) --------------------------------------------------------


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def shingle_match(true: str, pred: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page."""
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0
    for key in t.keys() | p.keys():
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    accuracy: float


def evaluate(truth: dict[str, str], predicted: dict[str, str]) -> Scores:
    """Scores over pages, exactly as the dataset README defines them."""
    matches = [shingle_match(truth[key], predicted.get(key, "")) for key in truth]
    precisions = [tp / (tp + fp) for tp, fp, _ in matches if tp + fp > 0]
    recalls = [tp / (tp + fn) for tp, _, fn in matches if tp + fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = statistics.mean(
        float(tokenize(truth[key]) == tokenize(predicted.get(key, ""))) for key in truth
    )
    return Scores(precision, recall, f1, accuracy)


def page_f1(true: str, pred: str) -> float:
    tp, fp, fn = shingle_match(true, pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# --- the dataset -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: str
    truth: str


def load_dataset(path: Path) -> list[Page]:
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        with gzip.open(path / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        pages.append(Page(key, truth[key]["url"], html, truth[key]["articleBody"] or ""))
    return pages


# --- the extractors --------------------------------------------------------------------------


def _newsarchive() -> Callable[[str, str], str]:
    from scraper.extract import ExtractionError, extract

    def run(html: str, url: str) -> str:
        try:
            return extract(html, url).text
        except ExtractionError:
            return ""

    return run


def _trafilatura(**options: object) -> Callable[[str, str], str]:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, **options) or ""

    return run


def _readability() -> Callable[[str, str], str]:
    from readability import Document
    from selectolax.lexbor import LexborHTMLParser

    def run(html: str, url: str) -> str:
        summary = Document(html, url=url).summary(html_partial=True)
        tree = LexborHTMLParser(summary)
        blocks = tree.css("p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, td")
        if not blocks:
            return tree.text(separator=" ")
        return "\n\n".join(" ".join(b.text().split()) for b in blocks)

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[str, str], str]]] = {
    "newsarchive": _newsarchive,
    "trafilatura (include_comments=False)": lambda: _trafilatura(include_comments=False),
    "trafilatura (defaults)": lambda: _trafilatura(),
    "readability-lxml": _readability,
}


@dataclass(frozen=True)
class Run:
    name: str
    scores: Scores
    median_ms: float
    p90_ms: float
    predictions: dict[str, str]


def run_extractor(name: str, fn: Callable[[str, str], str], pages: list[Page], repeat: int) -> Run:
    predictions: dict[str, str] = {}
    times: list[float] = []
    for page in pages:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            text = fn(page.html, page.url)
            best = min(best, time.perf_counter() - start)
        predictions[page.key] = text
        times.append(best * 1000)
    truth = {p.key: p.truth for p in pages}
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return Run(name, evaluate(truth, predictions), statistics.median(times), p90, predictions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--only", action="append", help="run only these extractors")
    parser.add_argument("--repeat", type=int, default=1, help="timing: best of N runs per page")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages")
    args = parser.parse_args(argv)
    if not (args.dataset / "ground-truth.json").exists():
        print(f"dataset not found: {args.dataset}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    pages = load_dataset(args.dataset)
    print(f"dataset: {args.dataset} ({len(pages)} pages)")

    runs: list[Run] = []
    for name, factory in EXTRACTORS.items():
        if args.only and not any(o in name for o in args.only):
            continue
        try:
            fn = factory()
        except ImportError as exc:
            print(f"skipped {name}: not installed ({exc.name})")
            continue
        fn(pages[0].html, pages[0].url)  # warm-up: imports, caches
        runs.append(run_extractor(name, fn, pages, args.repeat))

    print()
    print("| extractor | precision | recall | F1 | accuracy | median ms/page | p90 ms/page |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        s = r.scores
        print(
            f"| {r.name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.accuracy:.3f}"
            f" | {r.median_ms:.2f} | {r.p90_ms:.2f} |"
        )
    ours = next((r for r in runs if r.name == "newsarchive"), None)
    print()
    if ours is not None:
        for r in runs:
            if r is not ours:
                print(
                    f"speed: newsarchive is {r.median_ms / ours.median_ms:.1f}x faster than {r.name} (median)"
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")

    if ours is not None and args.worst:
        truth = {p.key: p for p in pages}
        ranked = sorted(
            ours.predictions, key=lambda k: page_f1(truth[k].truth, ours.predictions[k])
        )
        print()
        print(f"worst {args.worst} pages for newsarchive:")
        for key in ranked[: args.worst]:
            tp, fp, fn = shingle_match(truth[key].truth, ours.predictions[key])
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            print(f"  {key[:12]} P={p:.2f} R={r:.2f} {truth[key].url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
