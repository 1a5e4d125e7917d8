"""The ``requests`` rows: work handed to the running service (``newsarchive run``).

While ``run`` holds the archive, ``archive URL`` and ``crawl`` cannot take the lock; they
write a request here (one short transaction, the only write a process without the lock makes)
and wait: the service picks pending requests up within a second, runs them with its own archive
and fetcher, and writes the answer into the row.

May import: :mod:`archive.store.reads`, :mod:`archive.models`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from archive.models import utc_iso
from archive.store.reads import Reads

REQUEST_KINDS = ("archive", "crawl")


class Requests(Reads):
    """Submitting, taking and answering requests."""

    def submit_request(self, kind: str, payload: dict[str, Any], now: datetime) -> int:
        if kind not in REQUEST_KINDS:
            raise ValueError(f"unknown request kind {kind!r}")
        with self._writing():
            return self._insert(
                "requests",
                {
                    "kind": kind,
                    "payload": json.dumps(payload),
                    "requested": utc_iso(now),
                    "status": "pending",
                },
            )

    def pending_requests(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from requests where status = 'pending' order by id"))

    def start_request(self, request_id: int, now: datetime) -> bool:
        """Mark a pending request running; False when someone else took it (or it is gone)."""
        with self._writing():
            cursor = self.db.execute(
                "update requests set status = 'running', started = ? "
                "where id = ? and status = 'pending'",
                [utc_iso(now), request_id],
            )
            return cursor.rowcount == 1

    def answer_request(
        self,
        request_id: int,
        now: datetime,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        with self._writing():
            self.db.execute(
                "update requests set status = ?, answered = ?, result = ?, error = ? where id = ?",
                [
                    "failed" if error else "done",
                    utc_iso(now),
                    json.dumps(result) if result is not None else None,
                    error,
                    request_id,
                ],
            )

    def request_row(self, request_id: int) -> dict[str, Any] | None:
        for row in self.db.query("select * from requests where id = ?", [request_id]):
            return row
        return None
