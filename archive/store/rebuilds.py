"""Re-extraction's reads and writes: the pages to re-read, runs, and one article's rebuild.

A plan (:func:`archive.rebuild.plan_versions`, with the store's own new-version decision) is
made and written by :meth:`Rebuilds.rebuild_article` in one transaction: the versions it replaces are copied to ``superseded_versions`` (nothing an
older extractor read is lost), the captures' outcomes and links are rewritten, the article's
counters follow, and the ``reextract_done`` row that makes a killed run resumable is written in
the same transaction. An article's history is all old or all new, never half of each.

May import: :mod:`archive.store.writes`, :mod:`archive.rebuild`, :mod:`archive.models`,
:mod:`archive.versions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.models import ContentIn, utc_iso
from archive.rebuild import REREAD_OUTCOMES, Page, Plan, Reading, plan_versions
from archive.store.writes import Writes
from archive.versions import normalize_line


@dataclass(frozen=True)
class Run:
    """A re-extraction run: resumed when one with the same scope was left unfinished."""

    id: int
    resumed: bool
    done: frozenset[int]  # articles already rebuilt by this run


class Rebuilds(Writes):
    """Reads and writes of a re-extraction."""

    def reextract_article_ids(
        self, *, site: str | None = None, since: datetime | None = None, article: int | None = None
    ) -> list[int]:
        """Articles with at least one page to re-read, in the scope given, by id."""
        sql = (
            "select distinct c.article_id as id from captures c join articles a "
            "on a.id = c.article_id where c.raw_page_id is not null "
            f"and c.outcome in ({', '.join('?' * len(REREAD_OUTCOMES))})"
        )
        params: list[Any] = list(REREAD_OUTCOMES)
        if site is not None:
            sql += " and a.site = ?"
            params.append(site)
        if since is not None:
            sql += " and c.fetched_at >= ?"
            params.append(utc_iso(since))
        if article is not None:
            sql += " and a.id = ?"
            params.append(article)
        return [r["id"] for r in self.db.query(sql + " order by c.article_id", params)]

    def reextract_pages(self, article_id: int, since: datetime | None = None) -> list[Page]:
        """The article's re-readable captures (captured since *since*), in capture order."""
        sql = (
            "select id, raw_page_id, url, requested_url, final_url, content_type, fetched_at "
            "from captures where article_id = ? and raw_page_id is not null "
            f"and outcome in ({', '.join('?' * len(REREAD_OUTCOMES))})"
        )
        params: list[Any] = [article_id, *REREAD_OUTCOMES]
        if since is not None:
            sql += " and fetched_at >= ?"
            params.append(utc_iso(since))
        return [
            Page(
                capture_id=r["id"],
                raw_page_id=r["raw_page_id"],
                url=r["final_url"] or r["requested_url"] or r["url"],
                content_type=r["content_type"],
                captured_at=r["fetched_at"],
            )
            for r in self.db.query(sql + " order by fetched_at, id", params)
        ]

    def start_reextract(
        self,
        extractor_version: str,
        *,
        site: str | None,
        since: datetime | None,
        article: int | None,
        total: int,
        now: datetime,
    ) -> Run:
        """Resume the unfinished run with this scope and extractor, or start a new one."""
        since_s = utc_iso(since) if since else None
        with self._writing():
            row = self._one(
                "select id from reextract_runs where status = 'running' "
                "and extractor_version = ? and site is ? and since is ? and article_id is ? "
                "order by id desc limit 1",
                [extractor_version, site, since_s, article],
            )
            if row is not None:
                run_id = int(row["id"])
                done = frozenset(
                    r["article_id"]
                    for r in self.db.query(
                        "select article_id from reextract_done where run_id = ?", [run_id]
                    )
                )
                self.db.table("reextract_runs").update(run_id, {"articles_total": total})
                return Run(run_id, True, done)
            run_id = self._insert(
                "reextract_runs",
                {
                    "started": utc_iso(now),
                    "status": "running",
                    "extractor_version": extractor_version,
                    "site": site,
                    "since": since_s,
                    "article_id": article,
                    "articles_total": total,
                    "articles_done": 0,
                    "versions_added": 0,
                    "versions_removed": 0,
                },
            )
        return Run(run_id, False, frozenset())

    def finish_reextract(self, run_id: int, now: datetime) -> None:
        with self._writing():
            self.db.table("reextract_runs").update(
                run_id, {"status": "done", "finished": utc_iso(now)}
            )

    def reextract_runs(self, limit: int = 10) -> list[dict]:
        return list(self.db.query("select * from reextract_runs order by id desc limit ?", [limit]))

    def plan_rebuild(
        self,
        article_id: int,
        pages: Sequence[Page],
        readings: Sequence[Reading],
        since: datetime | None = None,
        *,
        learn: bool = False,
    ) -> Plan:
        """The article's history from *readings*, decided as :meth:`record` decides."""
        site = self.article(article_id)["site"]

        def decide(latest: dict[str, Any] | None, content: ContentIn, at: str) -> Any:
            return self._decide(site, article_id, content, latest, at, learn=learn)

        return plan_versions(article_id, self.versions(article_id), pages, readings, since, decide)

    def rebuild_article(
        self,
        article_id: int,
        pages: Sequence[Page],
        readings: Sequence[Reading],
        run_id: int,
        since: datetime | None = None,
    ) -> Plan:
        """Plan and write the article's rebuilt history in one transaction; returns the plan."""
        with self._writing():
            plan = self.plan_rebuild(article_id, pages, readings, since, learn=True)
            self._apply_rebuild(plan, run_id, since)
        return plan

    def _apply_rebuild(self, plan: Plan, run_id: int, since: datetime | None = None) -> None:
        """Replace the article's versions in the rebuilt range by the plan's, atomically."""
        article_id = plan.article_id
        cut = utc_iso(since) if since else ""
        with self._writing():
            old = list(
                self.db.query(
                    "select * from versions where article_id = ? and captured_at >= ? "
                    "order by version",
                    [article_id, cut],
                )
            )
            for v in old:
                self.db.table("superseded_versions").insert(
                    {**v, "superseded_by_run": run_id}, alter=True
                )
            ids = [v["id"] for v in old]
            if ids:
                marks = ", ".join("?" * len(ids))
                self.db.execute(
                    f"update captures set version_id = null where version_id in ({marks})", ids
                )
                self.db.execute(f"delete from versions where id in ({marks})", ids)
            previous = self._one(
                "select * from versions where article_id = ? order by version desc limit 1",
                [article_id],
            )
            number = previous["version"] if previous else 0
            version_of: dict[int, int] = {}
            for planned in plan.versions:
                number += 1
                version_id = self._insert_version(
                    article_id,
                    number,
                    planned.captured_at,
                    planned.capture_id,
                    planned.content,
                    planned.text_hash,
                    previous,
                )
                version_of[planned.capture_id] = version_id
                previous = {
                    "title": normalize_line(planned.content.title),
                    "text": self.db.table("versions").get(version_id)["text"],
                }
            for reading in plan.readings:
                update: dict[str, Any]
                if reading.content is None:
                    update = {
                        "outcome": "error",
                        "reason": "extract-failed",
                        "error": reading.error,
                    }
                else:
                    outcome = "new-version" if reading.capture_id in version_of else "unchanged"
                    update = {"outcome": outcome, "reason": None, "error": None}
                update["version_id"] = version_of.get(reading.capture_id)
                self.db.table("captures").update(reading.capture_id, update)
            self._rebuilt_article(article_id, number)
            self.db.execute(
                "insert into reextract_done (run_id, article_id, changed) values (?, ?, ?)",
                [run_id, article_id, int(plan.changed)],
            )
            self.db.execute(
                "update reextract_runs set articles_done = articles_done + 1, "
                "versions_added = versions_added + ?, versions_removed = versions_removed + ? "
                "where id = ?",
                [len(plan.added), len(plan.removed), run_id],
            )

    def _rebuilt_article(self, article_id: int, count: int) -> None:
        latest = self._one(
            "select * from versions where article_id = ? order by version desc limit 1",
            [article_id],
        )
        updates: dict[str, Any] = {"version_count": count}
        if latest is not None:
            updates.update(title=latest["title"], last_changed=latest["captured_at"])
            if latest["published"]:
                updates["published"] = latest["published"]
        self.db.table("articles").update(article_id, updates)
