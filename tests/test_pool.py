"""The bounded extraction pool: a page cannot take more than its time and memory, nor stop a crawl.

Real worker processes throughout: a task that spins, one that allocates past the bound and one
that kills its own process, each followed by an ordinary task on the same pool.
"""

from __future__ import annotations

import pytest
from pool_tasks import allocate, die, spin, worker_pid
from test_crawl import PARAS, T0, Clock, article_page, make_config, serve_feed

from archive.store import Archive
from scraper.crawl.pool import BoundedProcessPool, WorkerDied, WorkerMemoryError, WorkerTimeout
from scraper.crawl.service import crawl_once
from scraper.extract import ExtractionError, extract


@pytest.fixture
def pool():
    with BoundedProcessPool(1, timeout=2.0, memory_limit=512 * 1024 * 1024) as p:
        yield p


def test_a_task_past_the_timeout_kills_its_worker_and_the_next_task_runs(pool):
    first = pool.submit(worker_pid).result()
    with pytest.raises(WorkerTimeout):
        pool.submit(spin, 600).result(timeout=60)
    second = pool.submit(worker_pid).result(timeout=60)
    assert second != first and pool.replaced == 1
    assert pool.submit(spin, 0).result(timeout=60) == "done"


def test_an_allocation_past_the_memory_bound_fails_that_task_only(pool):
    with pytest.raises(WorkerMemoryError):
        pool.submit(allocate, 2048).result(timeout=60)
    assert pool.submit(allocate, 16).result(timeout=60) == 16 * 1024 * 1024


def test_a_worker_that_dies_is_replaced(pool):
    with pytest.raises(WorkerDied):
        pool.submit(die).result(timeout=60)
    assert pool.submit(spin, 0).result(timeout=60) == "done"


def test_an_extraction_error_crosses_the_pool_with_its_reason(pool):
    with pytest.raises(ExtractionError) as caught:
        pool.submit(extract, "<html><body></body></html>", "http://example.org/").result(60)
    assert caught.value.reason == "no-content"


def nesting_bomb(pairs: int = 2_000) -> str:
    """Distinct unclosed <b>/<i> pairs: the parser re-opens every one at each new paragraph."""
    body = "".join(f"<p><b class=b{k}><i class=i{k}>word " for k in range(pairs))
    return f"<html><head><title>Bomb</title></head><body><article>{body}</article></body></html>"


def test_the_pre_scan_refuses_absurd_nesting_with_a_typed_reason():
    with pytest.raises(ExtractionError) as caught:
        extract(nesting_bomb(), "http://example.org/bomb")
    assert caught.value.reason == "too-deep"
    # A page with a few unclosed formatting tags is a page like many others.
    ordinary = article_page("Fine", PARAS, published=T0).replace("<p>", "<p><b>", 3)
    assert "city council" in extract(ordinary, "http://example.org/fine").text


async def test_a_nesting_bomb_under_crawl_fails_with_its_reason_and_the_rest_is_archived(
    page_server, tmp_path
):
    server = page_server
    paths = ["/news/bomb/", "/news/one/", "/news/two/"]
    serve_feed(server, paths)
    server.html("/news/bomb/", nesting_bomb(4_000))
    server.html("/news/one/", article_page("One", PARAS, published=T0))
    server.html("/news/two/", article_page("Two", PARAS[:3], published=T0))
    config = make_config(server, tmp_path)
    (report,) = await crawl_once(config, config.db_path, config.sites, now=Clock())
    assert report.counts.new_versions == 2
    assert report.counts.errors_by_kind == {"extract-failed": 1}
    with Archive(config.db_path, readonly=True) as archive:
        bomb = archive.article(f"{server.base}/news/bomb/")
        (capture,) = archive.captures(bomb["id"])
        assert capture["reason"] == "extract-failed"
        assert capture["error"].startswith("too-deep:")
        assert capture["raw_page_id"] is not None  # kept for a later re-extraction
        for path in paths[1:]:
            assert archive.article(f"{server.base}{path}")["version_count"] == 1
