"""The archive: one SQLite file; this package is the only code that writes SQL.

Schema changes are code (``sqlite_utils.Migrations``); every logical write happens inside
``db.atomic()`` so a crash or a kill mid-crawl leaves either all of a capture or none of it. The
file is in WAL mode so Datasette (or ``newsarchive history``) can read while a crawl writes.

Layout, after the git-history idea of a latest-state table beside a version table:

- ``articles``: one row per canonical URL, its latest state (status, title, next check...);
- ``article_urls``: other URLs of the same article (aliases, old URLs after a move);
- ``versions``: one row per distinct editorial version (normalized title + text hash);
- ``captures``: one row per fetch attempt, whatever happened;
- ``raw_pages``: every distinct fetched body, zstd-compressed, de-duplicated by SHA-256, kept so
  the archive can be re-extracted and exported as WARC;
- ``events``: lifecycle changes (gone, moved, soft-404, failing, revived);
- ``crawls``: one row per crawl cycle.
The package, one job a file: ``schema`` (migrations), ``connection`` (opening, checks, the
transaction helper), ``reads`` (named queries), ``writes`` (candidates, ``record``, renames and
merges), ``crawls`` (crawl rows), ``forget`` (dropping an article), ``exports`` (streams for
exports and WARC, import look-ups), ``rebuilds`` (re-extraction runs and an article's rebuild),
``requests`` (work handed to the running service), ``errors``. :class:`Archive` puts them together.

May import: :mod:`archive.models`, :mod:`archive.versions`, :mod:`archive.lifecycle`,
:mod:`archive.diff` and its own modules; never :mod:`scraper`.
"""

from __future__ import annotations

from archive.store.crawls import Crawls
from archive.store.errors import (
    ArchiveError,
    ArchiveReplaced,
    ArchiveWriteError,
    ArticleNotFound,
    DamagedArchive,
    NotAnArchive,
    VersionNotFound,
)
from archive.store.exports import Exports
from archive.store.forget import ArticleHasVersions, Forget, Forgotten
from archive.store.reads import as_row_id
from archive.store.rebuilds import Rebuilds, Run
from archive.store.requests import Requests
from archive.store.schema import CORE_TABLES, migrations

__all__ = [
    "CORE_TABLES",
    "Archive",
    "ArchiveError",
    "ArchiveReplaced",
    "ArchiveWriteError",
    "ArticleHasVersions",
    "Forgotten",
    "ArticleNotFound",
    "DamagedArchive",
    "NotAnArchive",
    "Run",
    "VersionNotFound",
    "as_row_id",
    "migrations",
]


class Archive(Rebuilds, Exports, Crawls, Forget, Requests):
    """An open archive file. One ``Archive`` per process writes; any number may read."""
