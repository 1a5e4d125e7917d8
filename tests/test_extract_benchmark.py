"""Regression gate: extraction quality on the ScrapingHub article benchmark (181 pages).

Quality only (no timing: that is bench/extraction.py's job). The floor sits a little under the
figure the extractor achieves, so a change that loses accuracy fails here, not in production.
The metric is the dataset's own, implemented once in bench/extraction.py.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from conftest import BENCH_DIR, ROOT, need_shared

from scraper.extract import ExtractionError, extract

F1_FLOOR = 0.978
PRECISION_FLOOR = 0.970
RECALL_FLOOR = 0.982


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_extraction", ROOT / "bench" / "extraction.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_extraction"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_metric_matches_the_dataset_definition() -> None:
    bench = _bench_module()
    truth = {"a": "one two three four five", "b": "alpha beta gamma delta", "c": "x y z w v"}
    predicted = {"a": "one two three four five", "b": "", "c": "x y z w q"}
    scores = bench.evaluate(truth, predicted)
    # a: perfect. b: nothing predicted, left out of precision, recall 0. c: 1 of 2 shingles.
    assert scores.precision == pytest.approx((1.0 + 0.5) / 2)
    assert scores.recall == pytest.approx((1.0 + 0.0 + 0.5) / 3)
    assert scores.accuracy == pytest.approx(1 / 3)


@pytest.mark.benchmark_data
def test_extraction_quality_stays_above_the_floor() -> None:
    dataset = need_shared(BENCH_DIR)
    bench = _bench_module()
    pages = bench.load_dataset(dataset)
    assert len(pages) == 181
    predicted = {}
    for page in pages:
        try:
            predicted[page.key] = extract(page.html, page.url).text
        except ExtractionError:
            predicted[page.key] = ""
    scores = bench.evaluate({p.key: p.truth for p in pages}, predicted)
    assert scores.f1 >= F1_FLOOR, scores
    assert scores.precision >= PRECISION_FLOOR, scores
    assert scores.recall >= RECALL_FLOOR, scores
