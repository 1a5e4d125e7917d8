"""The ``crawls`` rows: a crawl started, finished, or closed after its writer was killed.

May import: :mod:`archive.store.reads`, :mod:`archive.models`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from archive.models import CrawlCounts, utc_iso
from archive.store.reads import Reads


class Crawls(Reads):
    """Writes and reads of crawl rows."""

    # ------------------------------------------------------------------ crawls

    def start_crawl(self, site: str, started: datetime) -> int:
        """The crawl's row, committed at once even inside a batch of writes: the crawl is on
        the disk (``running``) before any of its captures, whatever happens to them."""
        with self._writing():
            crawl_id = self._insert(
                "crawls", {"site": site, "started": utc_iso(started), "status": "running"}
            )
        self.commit_batch()
        return crawl_id

    def finish_crawl(
        self, crawl_id: int, finished: datetime, counts: CrawlCounts, status: str = "done"
    ) -> None:
        row = asdict(counts)
        row["errors_by_kind"] = json.dumps(row["errors_by_kind"], sort_keys=True)
        with self._writing():
            self.db.table("crawls").update(
                crawl_id, {**row, "finished": utc_iso(finished), "status": status}
            )

    def close_interrupted_crawls(self) -> list[int]:
        """Mark crawls left ``running`` by a process that died as ``interrupted``.

        Call it only while holding the archive lock: then no crawl of this archive can be
        running, so a ``running`` row is the trace of a kill, a crash or a power cut. Its
        figures are rebuilt from the captures it recorded (every capture is whole), and it is
        finished at its last capture. Returns the ids of the crawls closed.
        """
        with self._writing():
            stale = [
                r["id"] for r in self.db.query("select id from crawls where status = 'running'")
            ]
            for crawl_id in stale:
                self._close_interrupted(crawl_id)
        return stale

    def _close_interrupted(self, crawl_id: int) -> None:
        counts, last = self._counted(crawl_id)
        crawl = self._one("select started from crawls where id = ?", [crawl_id])
        row = asdict(counts)
        row["errors_by_kind"] = json.dumps(row["errors_by_kind"], sort_keys=True)
        for name in ("discovered", "new_articles"):  # not in the captures: kept as they were
            del row[name]
        self.db.table("crawls").update(
            crawl_id,
            {
                **row,
                "status": "interrupted",
                "finished": last or (crawl["started"] if crawl else None),
            },
        )

    def crawl_counts(self, crawl_id: int) -> CrawlCounts:
        """The crawl's figures as its stored captures give them (``discovered`` and
        ``new_articles`` are not in captures: 0). The figures of a crawl that a storage error
        ended, when the error took the open batch of writes with it."""
        return self._counted(crawl_id)[0]

    def _counted(self, crawl_id: int) -> tuple[CrawlCounts, str | None]:
        rows = list(
            self.db.query(
                "select outcome, reason, count(*) as n, max(fetched_at) as last from captures "
                "where crawl_id = ? group by outcome, reason",
                [crawl_id],
            )
        )
        by_outcome: dict[str, int] = {}
        by_reason: dict[str, int] = {}
        for r in rows:
            by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + r["n"]
            if r["reason"]:
                by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["n"]
        counts = CrawlCounts(
            fetched=sum(by_outcome.values()),
            new_versions=by_outcome.get("new-version", 0),
            unchanged=by_outcome.get("unchanged", 0),
            not_modified=by_outcome.get("not-modified", 0),
            skipped=by_outcome.get("skipped", 0),
            errors=by_outcome.get("error", 0) + by_outcome.get("gone", 0),
            errors_by_kind=by_reason,
        )
        return counts, max((r["last"] for r in rows), default=None)

    def crawls(self, limit: int = 10) -> list[dict]:
        return list(self.db.query("select * from crawls order by id desc limit ?", [limit]))

    def last_crawl_starts(self) -> dict[str, datetime]:
        """When the last crawl of each site started, by site name (for the schedule's next run)."""
        rows = self.db.query("select site, max(started) as started from crawls group by site")
        return {r["site"]: datetime.fromisoformat(r["started"]) for r in rows}
