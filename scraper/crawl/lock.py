"""An exclusive lock on an archive, so two writers never share one SQLite file.

SQLite itself would serialize two processes' transactions, but two crawls of the same archive
would still step on each other: both pick the same due articles, both fetch them (twice the
requests to the publisher), and the ``crawls`` figures stop meaning anything. So a writer
(``newsarchive run``, ``crawl`` or ``archive``) takes this lock first; the holder may also
close the crawls a killed writer left ``running``, since none can be running but its own.

Why ``fcntl.flock`` on a side file ``<db>.lock`` rather than a pid file: the kernel releases a
flock when the process dies, however it dies (SIGKILL, OOM, power loss on reboot), so there is
no stale lock to clean up and no pid-reuse guessing. The holder writes its pid, its command and
its start time into the file only so that the refusal message can say who holds it.

The lock file is never deleted: unlinking it while another process waits on the same inode
would let a third process lock a fresh file, and two writers would each believe they hold it.

May import: the standard library only.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["ArchiveBusy", "ArchiveLock", "LockError", "LockHolder", "lock_path", "read_holder"]

#: How long ``acquire(wait=None)`` keeps trying: long enough to ride over a
#: ``read_holder`` probe from ``newsarchive status``, short enough to feel immediate.
_IMMEDIATE = 0.25
_POLL = 0.05


class LockError(Exception):
    """The lock file cannot be created, opened or locked (permissions, missing disk...)."""


class ArchiveBusy(LockError):
    """Another process holds the archive's lock; the message says which one."""

    def __init__(self, db_path: Path, holder: LockHolder | None) -> None:
        self.db_path = db_path
        self.holder = holder
        if holder is None:
            who = "another newsarchive process"
        else:
            who = f"newsarchive {holder.command} (pid {holder.pid}, since {holder.since})"
        super().__init__(f"{db_path} is in use by {who}; stop it first or use a different --db")


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as the holder wrote it into the lock file."""

    pid: int
    command: str
    since: str  # ISO 8601 UTC
    host: str


def lock_path(db_path: str | Path) -> Path:
    """The lock file beside the archive: ``archive.db`` -> ``archive.db.lock``."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


def _parse_holder(data: bytes) -> LockHolder | None:
    try:
        info = json.loads(data.decode("utf-8"))
        return LockHolder(
            pid=int(info["pid"]),
            command=str(info["command"]),
            since=str(info["since"]),
            host=str(info.get("host", "")),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None  # empty (released) or being written right now


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"cannot open lock file {path}: {exc.strerror or exc}") from exc


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise LockError(f"cannot lock: {exc.strerror or exc}") from exc
    return True


def _read_all(fd: int) -> bytes:
    return os.pread(fd, 4096, 0)


def read_holder(db_path: str | Path) -> LockHolder | None:
    """Who holds *db_path*'s lock right now, or None when nobody does (for ``status``).

    It probes with a brief shared lock: a lock file left by a killed process still holds the
    dead holder's details, and only the kernel knows whether the lock is really held.
    """
    path = lock_path(db_path)
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _try_flock(fd, fcntl.LOCK_SH):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        holder = _parse_holder(_read_all(fd))
        return holder or LockHolder(pid=0, command="unknown", since="unknown", host="")
    finally:
        os.close(fd)


class ArchiveLock:
    """An exclusive, crash-safe lock on the archive at *db_path*.

    Use as ``with ArchiveLock(db, command="crawl").acquire(wait=30): ...`` or call
    :meth:`acquire` and :meth:`release`. The lock is per open file, so a second ``ArchiveLock``
    on the same archive is refused even inside the same process.
    """

    def __init__(self, db_path: str | Path, *, command: str = "run") -> None:
        self.db_path = Path(db_path)
        self.path = lock_path(self.db_path)
        self.command = command
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float | None = None) -> ArchiveLock:
        """Take the lock, or raise :class:`ArchiveBusy` naming the holder.

        *wait* is how many seconds to keep trying while another process holds it (``crawl``
        waits for a ``run`` to finish its cycle); None or 0 refuses at once (``run``).
        """
        fd, deadline = self._start(wait)
        try:
            while not _try_flock(fd, fcntl.LOCK_EX):
                self._check_deadline(fd, deadline)
                time.sleep(_POLL)
        except BaseException:
            os.close(fd)
            raise
        return self._won(fd)

    async def acquire_async(self, wait: float | None = None) -> ArchiveLock:
        """:meth:`acquire` for a running event loop: waiting does not block the loop."""
        fd, deadline = self._start(wait)
        try:
            while not _try_flock(fd, fcntl.LOCK_EX):
                self._check_deadline(fd, deadline)
                await asyncio.sleep(_POLL)
        except BaseException:  # cancelled while waiting: leave nothing behind
            os.close(fd)
            raise
        return self._won(fd)

    def _start(self, wait: float | None) -> tuple[int, float]:
        if self._fd is not None:
            raise LockError(f"{self.path} is already held by this lock object")
        if wait is not None and wait < 0:
            raise ValueError(f"wait must be None or >= 0 seconds, got {wait!r}")
        return _open(self.path), time.monotonic() + max(wait or 0.0, _IMMEDIATE)

    def _check_deadline(self, fd: int, deadline: float) -> None:
        if time.monotonic() >= deadline:
            raise ArchiveBusy(self.db_path, _parse_holder(_read_all(fd)))

    def _won(self, fd: int) -> ArchiveLock:
        info = {
            "pid": os.getpid(),
            "command": self.command,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        except OSError as exc:
            os.close(fd)  # closing the descriptor also drops the lock
            raise LockError(f"cannot write lock file {self.path}: {exc.strerror or exc}") from exc
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock; safe to call twice. The file stays (see the module docstring)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # the details would otherwise name a process that let go
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> ArchiveLock:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # a forgotten lock must not outlive its object
        if getattr(self, "_fd", None) is not None:
            self.release()
