"""Article-body extraction benchmark: newsarchive against trafilatura and readability-lxml.

    python bench/extraction.py [--set NAME] [--ids even|odd|all] [--quick] [--worst N]
                               [--repeat N] [--only NAME] [--root DIR]

Every dataset under ../shared/bench/extraction/ (a folder with ground-truth.json and html/) is
scored in the same run by every extractor: newsarchive, trafilatura (include_comments=False)
and readability-lxml. The metric is the datasets' own (upstream evaluate.py of the ScrapingHub
set): 4-token shingles of `\\w+` tokens, per-page TP/FP/FN normalised to sum to 1, precision
averaged over pages that produced something, recall over pages with ground truth, F1 of the two
means; accuracy is the share of pages whose token sequence equals the ground truth.

Sets that carry `page_type` (modern-web) are also scored per page type, on article pages alone,
on their even and odd ids (the extractor is developed on the even half; the odd half is held
out), by their `with`/`without` snippets (share of must-have sentences found, share of
boilerplate sentences absent), and by metadata (title, author, publish date of article pages,
see `metadata_right`). The share of article pages under per-page F1 0.8 is the tail.

Timing is one process, parse included, per page; the extractors take turns page by page (so
they meet the same load on a shared machine); the median is over pages, and the ratio is
against trafilatura measured in the same run. `--quick` runs newsarchive alone (for iteration);
`--worst N` lists the worst pages, never from a held-out (odd) half.
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
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT.parent / "shared" / "bench" / "extraction"
DEFAULT_DATASET = DATA_ROOT / "scrapinghub"
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
TAIL_F1 = 0.8
REFERENCE = "trafilatura"


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
    accuracy = (
        statistics.mean(
            float(tokenize(truth[key]) == tokenize(predicted.get(key, ""))) for key in truth
        )
        if truth
        else 0.0
    )
    return Scores(precision, recall, f1, accuracy)


def page_f1(true: str, pred: str) -> float:
    tp, fp, fn = shingle_match(true, pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _ws(text: str) -> str:
    return " ".join(text.split())


def snippet_scores(pages: Iterable[Page], predicted: dict[str, str]) -> tuple[float, float]:
    """(share of `with` snippets found, share of `without` snippets absent), over snippets.

    A snippet is found when its whitespace-normalised text is a substring of the output's.
    """
    found = wanted = absent = unwanted = 0
    for page in pages:
        text = _ws(predicted.get(page.key, ""))
        for snippet in page.with_:
            wanted += 1
            found += _ws(snippet) in text
        for snippet in page.without:
            unwanted += 1
            absent += _ws(snippet) not in text
    return (found / wanted if wanted else 1.0, absent / unwanted if unwanted else 1.0)


# --- metadata: what counts as right ------------------------------------------------------------

_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\|)\s*", re.IGNORECASE)
# Letters after a name: degrees and certifications ("MS, RD", "Ph.D.", "E-RYT 200").
_CREDENTIAL = re.compile(r"^(?:[A-Z][A-Za-z]?\.?){1,4}\.?$|^[A-Z]{2,6}(?:-[A-Z]{2,6})?$|^\d+$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _title_words(text: str) -> str:
    return " ".join(_TOKEN.findall(_fold(text)))


def title_right(truth: str, predicted: str | None) -> bool:
    """Equal after normalising case, accents and punctuation, or one contains the other
    (a site suffix kept, a kicker dropped) while covering most of the other's words."""
    if not predicted:
        return False
    t, p = _title_words(truth), _title_words(predicted)
    if not t or not p:
        return False
    if t == p:
        return True
    shorter, longer = sorted((t, p), key=len)
    return f" {shorter} " in f" {longer} " and len(shorter) >= 0.5 * len(longer)


def _names(value: str) -> list[frozenset[str]]:
    names = []
    for part in _NAME_SPLIT.split(value.strip()):
        words = part.split()
        if names and all(_CREDENTIAL.match(w.strip(".,")) for w in words):
            continue  # "Ana Lima, MS, RD": degrees, not names
        tokens = frozenset(_TOKEN.findall(_fold(" ".join(words))))
        tokens = frozenset(t for t in tokens if t not in {"by", "and"})
        if tokens:
            names.append(tokens)
    return names


def author_right(truth: str, predicted: Iterable[str]) -> bool:
    """The byline's first name is found, and every predicted name is one of the byline's.

    Names match ignoring case, accents, word order and degrees ("MS, RD"); one name's words
    may contain the other's (a middle name, a "Dr."). The truth's later comma parts are often
    job titles ("Ana Lima, Shipping Expert"), so they may be predicted but need not be.
    """
    want = _names(truth)
    got = [n for p in predicted for n in _names(p)]
    if not want or not got:
        return False

    def same(a: frozenset[str], b: frozenset[str]) -> bool:
        return a <= b or b <= a

    return any(same(want[0], g) for g in got) and all(any(same(g, w) for w in want) for g in got)


def date_right(truth: str, predicted: str | None) -> bool:
    """The same calendar date as written by the page (its own offset, not UTC)."""
    return bool(predicted) and str(predicted)[:10] == truth[:10]


@dataclass(frozen=True)
class Meta:
    title: str | None
    authors: tuple[str, ...]
    date: str | None


def metadata_scores(pages: list[Page], got: dict[str, Meta]) -> dict[str, tuple[float, int]]:
    """Share of pages right per field, over the pages whose ground truth has that field."""
    out: dict[str, tuple[float, int]] = {}
    checks: dict[str, Callable[[Page, Meta], bool]] = {
        "title": lambda p, m: title_right(p.title or "", m.title),
        "author": lambda p, m: author_right(p.author or "", m.authors),
        "date": lambda p, m: date_right(p.date or "", m.date),
    }
    for name, check in checks.items():
        relevant = [p for p in pages if getattr(p, name)]
        right = sum(check(p, got.get(p.key, Meta(None, (), None))) for p in relevant)
        out[name] = (right / len(relevant) if relevant else 0.0, len(relevant))
    return out


# --- the datasets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: str
    truth: str
    page_type: str | None = None
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    date: str | None = None

    @property
    def half(self) -> str:
        """Even or odd by the numeric id (sets with hash ids count as even)."""
        return "odd" if self.key.isdigit() and int(self.key) % 2 else "even"


def load_dataset(path: Path, keep: Callable[[str], bool] | None = None) -> list[Page]:
    """The pages of a dataset folder (only those whose id `keep` accepts, when given)."""
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        if keep is not None and not keep(key):
            continue
        row = truth[key]
        with gzip.open(path / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        pages.append(
            Page(
                key,
                row.get("url") or "",
                html,
                row.get("articleBody") or "",
                page_type=row.get("page_type"),
                with_=tuple(row.get("with") or ()),
                without=tuple(row.get("without") or ()),
                title=row.get("title") or None,
                author=row.get("author") or None,
                date=row.get("publish_date") or None,
            )
        )
    return pages


def dataset_dirs(root: Path = DATA_ROOT) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "ground-truth.json").exists())


def select(pages: list[Page], ids: str) -> list[Page]:
    return pages if ids == "all" else [p for p in pages if p.half == ids]


# --- the extractors --------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    text: str
    meta: Meta | None = None


def _newsarchive() -> Callable[[str, str], Output]:
    from scraper.extract import ExtractionError, extract

    def run(html: str, url: str) -> Output:
        try:
            a = extract(html, url)
        except ExtractionError:
            return Output("", Meta(None, (), None))
        return Output(a.text, Meta(a.title, a.authors, a.published))

    return run


def _trafilatura() -> Callable[[str, str], Output]:
    import trafilatura

    def run(html: str, url: str) -> Output:
        return Output(trafilatura.extract(html, url=url, include_comments=False) or "")

    return run


def trafilatura_metadata(html: str, url: str) -> Meta:
    """trafilatura's own metadata (untimed: its text call above is the timed reference)."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, as_dict=False
    )
    if doc is None:
        return Meta(None, (), None)
    author = getattr(doc, "author", None) or ""
    authors = tuple(a.strip() for a in author.split(";") if a.strip())
    return Meta(getattr(doc, "title", None), authors, getattr(doc, "date", None))


def _readability() -> Callable[[str, str], Output]:
    from readability import Document
    from selectolax.lexbor import LexborHTMLParser

    def run(html: str, url: str) -> Output:
        summary = Document(html, url=url).summary(html_partial=True)
        tree = LexborHTMLParser(summary)
        blocks = tree.css("p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, td")
        if not blocks:
            return Output(tree.text(separator=" "))
        return Output("\n\n".join(" ".join(b.text().split()) for b in blocks))

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[str, str], Output]]] = {
    "newsarchive": _newsarchive,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
}
LABELS = {"trafilatura": "trafilatura (include_comments=False)"}


@dataclass
class Run:
    name: str
    predictions: dict[str, str]
    meta: dict[str, Meta]
    ms: dict[str, float]

    def median_ms(self, pages: list[Page]) -> float:
        return statistics.median(self.ms[p.key] for p in pages) if pages else 0.0


def run_extractor(
    name: str, fn: Callable[[str, str], Output], pages: list[Page], repeat: int
) -> Run:
    run = Run(name, {}, {}, {})
    for page in pages:
        best = float("inf")
        out = Output("")
        for _ in range(repeat):
            start = time.perf_counter()
            out = fn(page.html, page.url)
            best = min(best, time.perf_counter() - start)
        run.predictions[page.key] = out.text
        if out.meta is not None:
            run.meta[page.key] = out.meta
        run.ms[page.key] = best * 1000
    return run


def run_interleaved(
    factories: dict[str, Callable[[str, str], Output]], pages: list[Page], repeat: int
) -> list[Run]:
    """Every extractor on each page in turn, so all of them meet the same machine load (on a
    shared machine, extractors run one after the other can see loads that differ by 4x)."""
    runs = {name: Run(name, {}, {}, {}) for name in factories}
    for fn in factories.values():
        fn(pages[0].html, pages[0].url)  # warm-up: imports, caches
    for page in pages:
        for name, fn in factories.items():
            one = run_extractor(name, fn, [page], repeat)
            runs[name].predictions.update(one.predictions)
            runs[name].meta.update(one.meta)
            runs[name].ms.update(one.ms)
    return list(runs.values())


# --- reporting -------------------------------------------------------------------------------


@dataclass
class Group:
    name: str
    pages: list[Page]
    snippets: bool = False
    tail: bool = False


def groups_of(name: str, pages: list[Page]) -> list[Group]:
    if not any(p.page_type for p in pages):
        return [Group(name, pages)]
    articles = [p for p in pages if p.page_type == "article"]
    groups = [
        Group(f"{name} (all)", pages, snippets=True),
        Group(f"{name} articles", articles, snippets=True, tail=True),
    ]
    for half in ("even", "odd"):
        part = [p for p in pages if p.half == half]
        if part:
            groups.append(Group(f"{name} {half} ids", part, snippets=True))
            groups.append(
                Group(
                    f"{name} {half} articles",
                    [p for p in part if p.page_type == "article"],
                    snippets=True,
                    tail=True,
                )
            )
    for kind in sorted({p.page_type for p in pages if p.page_type and p.page_type != "article"}):
        groups.append(Group(f"{name} {kind}", [p for p in pages if p.page_type == kind]))
    return [g for g in groups if g.pages]


def tail_share(pages: list[Page], predicted: dict[str, str]) -> float:
    if not pages:
        return 0.0
    return sum(page_f1(p.truth, predicted.get(p.key, "")) < TAIL_F1 for p in pages) / len(pages)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def add(self, line: str = "") -> None:
        self.lines.append(line)
        print(line, flush=True)


def report_set(name: str, pages: list[Page], runs: list[Run], out: Report) -> None:
    ref = next((r for r in runs if r.name == REFERENCE), None)
    out.add()
    out.add(f"### {name} ({len(pages)} pages)")
    out.add()
    out.add(
        "| pages | n | extractor | precision | recall | F1 | accuracy | with found"
        " | without absent | F1<0.8 |"
    )
    out.add("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group in groups_of(name, pages):
        truth = {p.key: p.truth for p in group.pages}
        for r in runs:
            s = evaluate(truth, r.predictions)
            with_found, without_absent = (
                snippet_scores(group.pages, r.predictions) if group.snippets else (None, None)
            )
            tail = tail_share(group.pages, r.predictions) if group.tail else None
            out.add(
                f"| {group.name} | {len(group.pages)} | {LABELS.get(r.name, r.name)}"
                f" | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.accuracy:.3f}"
                f" | {_opt(with_found)} | {_opt(without_absent)} | {_opt(tail, pct=True)} |"
            )
    out.add()
    out.add("| extractor | median ms/page | p90 ms/page | time vs trafilatura |")
    out.add("| --- | ---: | ---: | ---: |")
    for r in runs:
        times = sorted(r.ms[p.key] for p in pages)
        p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
        ratio = (
            f"1/{ref.median_ms(pages) / r.median_ms(pages):.1f}"
            if ref is not None and r.median_ms(pages)
            else "-"
        )
        out.add(
            f"| {LABELS.get(r.name, r.name)} | {r.median_ms(pages):.2f} | {p90:.2f} | {ratio} |"
        )


def _opt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if pct else f"{value:.3f}"


def report_metadata(
    name: str, pages: list[Page], metas: dict[str, dict[str, Meta]], out: Report
) -> None:
    articles = [p for p in pages if p.page_type == "article"]
    if not articles or not any(p.title or p.author or p.date for p in articles):
        return
    out.add()
    out.add(f"Metadata, {name} article pages (share right over pages whose truth has the field):")
    out.add()
    out.add("| pages | extractor | title | author | date |")
    out.add("| --- | --- | ---: | ---: | ---: |")
    halves = [("articles", articles)] + [
        (f"{h} articles", [p for p in articles if p.half == h]) for h in ("even", "odd")
    ]
    for label, part in halves:
        if not part:
            continue
        for extractor, got in metas.items():
            m = metadata_scores(part, got)
            cells = " | ".join(f"{m[k][0]:.3f} (n={m[k][1]})" for k in ("title", "author", "date"))
            out.add(f"| {label} | {extractor} | {cells} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DATA_ROOT, help="folder of datasets")
    parser.add_argument("--set", action="append", help="score only these datasets (by name)")
    parser.add_argument(
        "--ids", choices=("all", "even", "odd"), default="all", help="only this half of the ids"
    )
    parser.add_argument("--quick", action="store_true", help="newsarchive alone, no reference")
    parser.add_argument("--only", action="append", help="run only these extractors")
    parser.add_argument("--repeat", type=int, default=1, help="timing: best of N runs per page")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst (even) pages")
    parser.add_argument("--no-metadata", action="store_true", help="skip trafilatura metadata")
    args = parser.parse_args(argv)
    if not args.root.exists():
        print(f"datasets not found: {args.root}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    names = ["newsarchive"] if args.quick else list(EXTRACTORS)
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    factories: dict[str, Callable[[str, str], Output]] = {}
    for name in names:
        try:
            factories[name] = EXTRACTORS[name]()
        except ImportError as exc:
            print(f"skipped {name}: not installed ({exc.name})")

    out = Report()
    for path in dataset_dirs(args.root):
        if args.set and path.name not in args.set:
            continue
        pages = select(load_dataset(path), args.ids)
        if not pages:
            continue
        runs = run_interleaved(factories, pages, args.repeat)
        report_set(path.name, pages, runs, out)
        metas = {r.name: r.meta for r in runs if r.meta}
        if "trafilatura" in factories and not args.no_metadata:
            articles = [p for p in pages if p.page_type == "article"]
            metas["trafilatura"] = {p.key: trafilatura_metadata(p.html, p.url) for p in articles}
        report_metadata(path.name, pages, metas, out)
        ours = next((r for r in runs if r.name == "newsarchive"), None)
        if ours is not None and args.worst:
            visible = [p for p in pages if p.half == "even"]  # the odd half stays unseen
            ranked = sorted(visible, key=lambda p: page_f1(p.truth, ours.predictions[p.key]))
            out.add()
            out.add(f"worst {args.worst} {path.name} pages for newsarchive (even ids only):")
            for page in ranked[: args.worst]:
                tp, fp, fn = shingle_match(page.truth, ours.predictions[page.key])
                p = tp / (tp + fp) if tp + fp else 0.0
                r = tp / (tp + fn) if tp + fn else 0.0
                out.add(f"  {page.key[:12]} {page.page_type or ''} P={p:.2f} R={r:.2f} {page.url}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.add()
    out.add(f"peak RSS of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
