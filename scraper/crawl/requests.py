"""Requests to the running service: ``archive URL`` and ``crawl`` while ``run`` holds the
archive.

The asking command writes a row into the archive's ``requests`` table and polls it; the
service (:func:`serve_requests`, a task of ``run``) takes pending rows within
:data:`POLL` seconds, runs them with its own archive and fetcher (the one writer), and writes
the answer. A request that the service never takes (it stopped) fails with a clear message
after the asker's patience.

May import: :mod:`scraper.crawl.cycle`, :mod:`scraper.config`, :mod:`scraper.urls`,
:mod:`scraper.logs`, :mod:`archive`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.store import Archive
from scraper import logs
from scraper import urls as urlmod
from scraper.crawl.cycle import ArticleChecker, crawl_site, utcnow

log = logging.getLogger("newsarchive.service")
POLL = 0.25  # seconds between looks at the requests table (both sides)


class RequestFailed(Exception):
    """The service answered the request with an error, or never took it."""


# --------------------------------------------------------------------------------- the service


async def run_request(service: Any, row: dict[str, Any]) -> Any:
    """Run one request with the service's archive and fetcher; the JSON-able result."""
    payload = json.loads(row["payload"])
    config = service.config
    if row["kind"] == "archive":
        out = []
        for url in payload["urls"]:
            site = payload.get("site")
            configured = config.site_for(url) if site is None else None
            checker = ArticleChecker(
                service.archive,
                service.fetcher,
                site=site or (configured.name if configured else urlmod.host_of(url)),
                rules=configured.rules if configured else None,
                policy=configured.policy if configured else None,
                now=utcnow,
                executor=service.crawl_options.get("executor"),
            )
            recorded, reason = await checker.check(url)
            error = None
            if reason:
                found = service.archive.db.execute(
                    "select error from captures where id = ?", [recorded.capture_id]
                ).fetchone()
                error = found[0] if found else None
            out.append(
                {
                    "url": url,
                    "outcome": recorded.outcome,
                    "version": recorded.version,
                    "article_id": recorded.article_id,
                    "reason": reason,
                    "error": error,
                }
            )
        return out
    if row["kind"] == "crawl":
        names = payload.get("sites") or [s.name for s in config.sites]
        sites = [config.site(name) for name in names]
        reports = await asyncio.gather(
            *(
                crawl_site(
                    site,
                    service.archive,
                    service.fetcher,
                    now=utcnow,
                    check_all=bool(payload.get("check_all")),
                    max_articles=None
                    if payload.get("check_all")
                    else service.crawl_options.get("max_articles"),
                    concurrency=service.crawl_options.get("concurrency", 16),
                    executor=service.crawl_options.get("executor"),
                )
                for site in sites
            )
        )
        return [
            {"fields": r.fields(), "summary": r.summary(), "source_errors": r.source_errors}
            for r in reports
        ]
    raise ValueError(f"unknown request kind {row['kind']!r}")


async def serve_requests(service: Any, stop: asyncio.Event) -> None:
    """Take and run pending requests until *stop* is set (a task of ``run``)."""
    while not stop.is_set():
        for row in service.archive.pending_requests():
            if stop.is_set() or not service.archive.start_request(row["id"], utcnow()):
                continue
            logs.event(log, logging.INFO, "request", id=row["id"], kind=row["kind"])
            try:
                result = await run_request(service, row)
            except asyncio.CancelledError:
                service.archive.answer_request(
                    row["id"], utcnow(), error="the service stopped before it finished"
                )
                raise
            except Exception as exc:  # a request's failure must not stop the service
                service.archive.answer_request(
                    row["id"], utcnow(), error=f"{type(exc).__name__}: {exc}"
                )
            else:
                service.archive.answer_request(row["id"], utcnow(), result=result)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL)


# --------------------------------------------------------------------------------- the asker


def ask_service(
    db_path: Path,
    kind: str,
    payload: dict[str, Any],
    *,
    take_within: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = utcnow,
) -> Any:
    """Hand a request to the running service and wait for its answer (the result)."""
    with Archive(db_path) as archive:
        request_id = archive.submit_request(kind, payload, now())
        deadline = clock() + take_within
        while True:
            row = archive.request_row(request_id)
            if row is None:
                raise RequestFailed(f"request {request_id} disappeared")
            if row["status"] == "done":
                return json.loads(row["result"]) if row["result"] else None
            if row["status"] == "failed":
                raise RequestFailed(row["error"] or "the service could not run the request")
            if row["status"] == "pending" and clock() > deadline:
                archive.answer_request(
                    request_id, now(), error="not taken: the service did not answer"
                )
                raise RequestFailed(
                    f"newsarchive run did not take the request within {take_within:g} s "
                    "(is it still running? see `newsarchive status`)"
                )
            sleep(POLL)
