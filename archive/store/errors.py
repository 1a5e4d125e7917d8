"""The archive's errors: one base class, a few kinds a caller can tell apart.

May import: the standard library only.
"""

from __future__ import annotations

import sqlite3


class ArchiveError(Exception):
    """Base class of the archive's errors."""


class ArticleNotFound(ArchiveError):
    """No article has that id or URL."""


class VersionNotFound(ArchiveError):
    """The article has no version with that number."""


class NotAnArchive(ArchiveError):
    """The file exists but is not a newsarchive database (or is damaged)."""


class ArchiveWriteError(ArchiveError):
    """SQLite refused a write (disk full, read-only file or folder, I/O error); nothing of it
    was kept, the archive holds what it held before."""


class ArchiveReplaced(ArchiveWriteError):
    """The archive's file was deleted, or another file put in its place (a backup restored with
    ``mv``), while this process had it open. Writing on would put captures into an unlinked file
    (lost), or pair the new file with the old one's ``-wal`` (damaged for good): nothing more is
    written, and the writer should stop."""


#: What a read raises when it meets a damaged page of the file after it was opened (writes turn
#: it into :class:`NotAnArchive`). It is SQLite's own error, named here so that callers catch it
#: without importing sqlite3 or knowing the archive is SQLite.
DamagedArchive = sqlite3.DatabaseError
