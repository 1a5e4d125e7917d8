"""Forgetting an article: every row about it goes, so a URL archived by mistake (or one that
never could be archived) leaves no trace.

May import: :mod:`archive.store.reads`, :mod:`archive.store.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.store.errors import ArchiveError
from archive.store.reads import Reads


class ArticleHasVersions(ArchiveError):
    """Forgetting an archived article needs saying so: its versions would be lost."""


@dataclass(frozen=True)
class Forgotten:
    """What :meth:`Forget.forget` removed."""

    article_id: int
    url: str
    versions: int
    captures: int
    raw_pages: int


class Forget(Reads):
    """Drop one article with its versions, captures, events, aliases and unshared raw pages."""

    def forget(self, article_id: int, *, with_versions: bool = False) -> Forgotten:
        article = self.article(article_id)
        versions = self.db.execute(
            "select count(*) from versions where article_id = ?", [article_id]
        ).fetchone()[0]
        if versions and not with_versions:
            raise ArticleHasVersions(
                f"article {article_id} has {versions} version(s); forgetting it deletes them "
                "(say so with --with-versions)"
            )
        with self._writing():
            # Deltas first: a keyframe goes only once no remaining delta is based on it.
            pages = [
                r[0]
                for r in self.db.execute(
                    "select distinct c.raw_page_id, p.base_id is null from captures c "
                    "join raw_pages p on p.id = c.raw_page_id where c.article_id = ? "
                    "order by 2, 1",
                    [article_id],
                )
            ]
            captures = self.db.execute(
                "select count(*) from captures where article_id = ?", [article_id]
            ).fetchone()[0]
            self.db.execute(
                "update captures set version_id = null where article_id = ?", [article_id]
            )
            for table in (
                "events",
                "versions",
                "captures",
                "article_urls",
                "site_blocks",
                "article_keys",
            ):
                if self.db.table(table).exists():
                    self.db.execute(f"delete from {table} where article_id = ?", [article_id])
            self.db.execute("delete from articles where id = ?", [article_id])
            removed = 0
            for page in pages:
                in_use = self.db.execute(
                    "select 1 from captures where raw_page_id = ? "
                    "union all select 1 from raw_pages where base_id = ? limit 1",
                    [page, page],
                ).fetchone()
                if not in_use:
                    self.db.execute("delete from raw_pages where id = ?", [page])
                    removed += 1
        return Forgotten(article_id, article["url"], versions, captures, removed)
