"""The archive's errors: one base class, a few kinds a caller can tell apart.

May import: the standard library only.
"""

from __future__ import annotations


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
