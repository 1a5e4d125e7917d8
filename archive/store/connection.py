"""Opening an archive file: checks before anything is written, WAL, migrations, typed errors.

:class:`Connection` is the base of :class:`archive.store.Archive`: it owns the SQLite connection
and the one helper every write goes through (:meth:`Connection._writing`, a transaction whose
storage errors become :class:`ArchiveError` values).

May import: :mod:`archive.store.errors`, :mod:`archive.store.schema`, :mod:`archive.boilerplate`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Self

import sqlite_utils
import zstandard

from archive.boilerplate import BoilerplateRules
from archive.store.errors import ArchiveError, ArchiveReplaced, ArchiveWriteError, NotAnArchive
from archive.store.schema import CORE_TABLES, apply_migrations, is_unfinished

#: Writes grouped in one transaction by :meth:`Connection.batched_writes` at most, and the age
#: of a batch at which it is committed: one sync (``synchronous = FULL``) per batch instead of
#: one per capture, and what a kill can lose is bounded by both.
BATCH_RECORDS = 100
BATCH_SECONDS = 1.0


def _file_identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino)


class Connection:
    """An open archive file. One writer per process; any number of readers."""

    def __init__(
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        boilerplate: BoilerplateRules | None = None,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.boilerplate = boilerplate or BoilerplateRules()
        self._depth = 0  # logical writes open (nested _writing blocks)
        self._batching = 0  # batched_writes blocks open
        #: The batches of :meth:`batched_writes`: writes and seconds at most.
        self.batch_records = BATCH_RECORDS
        self.batch_seconds = BATCH_SECONDS
        self._batch_started: float | None = None  # monotonic time of the open batch's BEGIN
        self._batch_writes = 0
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no such archive (run a crawl first)")
            self.db = sqlite_utils.Database(self._connect_readonly())
            self._check()
            return
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(
                f"{self.path}: cannot create the folder {folder} ({exc.strerror or exc})"
            ) from exc
        if not os.access(folder, os.W_OK | os.X_OK):
            # WAL mode keeps <db>-wal and <db>-shm beside the file: the folder must be writable.
            raise ArchiveWriteError(
                f"{self.path}: the folder {folder} is read-only; the archive needs to write "
                f"{self.path.name}-wal and {self.path.name}-shm beside it"
            )
        try:
            self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._identity = _file_identity(self.path)
            self._check()  # before anything is written: someone else's file stays untouched
            self.db.enable_wal()
            # FULL: WAL synced at every commit, so a committed capture survives a power cut
            # (NORMAL could roll back the last ones). It costs one fsync per record, about 7 ms
            # here (bench/durability.py), far below a polite crawl's pace.
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            apply_migrations(self.db)  # one transaction: a kill leaves no half-made archive
        except sqlite3.OperationalError as exc:  # read-only file, locked, disk full...
            raise ArchiveWriteError(
                f"{self.path}: cannot open the archive for writing ({exc})"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: not a newsarchive database ({exc})") from exc
        self._zstd = zstandard.ZstdCompressor(level=6)

    def _connect_readonly(self) -> sqlite3.Connection:
        """A read-only connection; ``immutable`` only where no writer can exist.

        A WAL database needs its ``-shm`` file even to be read. In a read-only folder where no
        ``-wal`` file exists, no process can be writing the archive (it could not create the
        WAL), so reading it as immutable is safe; anywhere else readers must see live writes.
        """
        uri = f"file:{self.path}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError:
            wal = self.path.with_name(self.path.name + "-wal")
            if os.access(self.path.parent, os.W_OK) or wal.exists():
                return conn  # the real problem shows in _check
            conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30)
        except sqlite3.DatabaseError:
            pass  # not a database: _check says so
        return conn

    def _check(self) -> None:
        try:
            names = set(self.db.table_names())
        except sqlite3.OperationalError as exc:
            raise ArchiveError(f"{self.path}: cannot read the archive ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: not a SQLite database, or damaged ({exc})") from exc
        if not names and not self.readonly:
            return  # a new (or empty) file: the migrations make it an archive
        if is_unfinished(self.db):
            if not self.readonly:
                return  # a creation cut short (kill, full disk): the migrations start it anew
            raise NotAnArchive(
                f"{self.path}: a new archive whose creation was interrupted; any writing "
                "command (crawl, run) completes it"
            )
        missing = CORE_TABLES - names
        if not names:
            raise NotAnArchive(
                f"{self.path}: an empty database (an archive not created yet, or not a "
                "newsarchive archive)"
            )
        if missing == CORE_TABLES:
            raise NotAnArchive(f"{self.path}: a SQLite database, but not a newsarchive archive")
        if missing:
            raise NotAnArchive(
                f"{self.path}: not a newsarchive archive (no {', '.join(sorted(missing))} table)"
            )

    def check_file(self) -> None:
        """Raise :class:`ArchiveReplaced` when the path no longer names the file opened.

        SQLite keeps writing through its open descriptor whatever happens to the name, and
        finds ``-wal`` and ``-shm`` by name: a deleted archive would swallow every later capture,
        a replaced one would meet the old file's WAL. One ``stat`` (device and inode) before each
        write transaction and each crawl is the whole cost.
        """
        if self.readonly or self.db.conn.in_transaction:
            return  # readers write nothing; inside a transaction the check was made at BEGIN
        try:
            now = _file_identity(self.path)
        except FileNotFoundError:
            now = None
        if now != self._identity:
            what = "deleted" if now is None else "replaced by another file"
            raise ArchiveReplaced(
                f"{self.path}: the archive file was {what} while this process had it open; "
                "nothing more was written to it. Start again to write to the file now there"
            )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; SQLite's storage errors become :class:`ArchiveError` values.

        ``db.atomic()`` rolls the transaction back on any error, so a failed write (a full
        disk, a file made read-only) leaves the archive as it was before it. Each outermost
        transaction first checks the file is still the one opened (:meth:`check_file`).

        Inside :meth:`batched_writes` an outermost write is a savepoint of the batch's
        transaction instead: it is still all or nothing, and the batch commits once it holds
        ``BATCH_RECORDS`` writes or is ``BATCH_SECONDS`` old.
        """
        outermost = self._depth == 0
        with self._translated():
            self.check_file()
            if outermost and self._batching and not self.db.conn.in_transaction:
                self.db.conn.execute("BEGIN")
                self._batch_started, self._batch_writes = time.monotonic(), 0
            self._depth += 1
            try:
                with self.db.atomic():
                    yield
            finally:
                self._depth -= 1
            if outermost and self._batch_started is not None:
                self._batch_writes += 1
                self.commit_batch(only_if_due=True)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug, not the storage
        except sqlite3.OperationalError as exc:
            raise ArchiveWriteError(f"{self.path}: cannot write to the archive ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path}: the archive is damaged ({exc})") from exc

    @contextlib.contextmanager
    def batched_writes(self) -> Iterator[None]:
        """Group the writes made inside it (by any caller of this connection) into batches: one
        transaction, so one sync to disk, per :attr:`batch_records` writes or
        :attr:`batch_seconds`, whichever first.

        Every write stays atomic (a savepoint each), and readers see the batch when it commits.
        What a kill, a power cut or a storage error (SQLite rolls a whole transaction back on a
        full disk) can lose grows from the write in flight to the open batch: its captures were
        not committed, so their articles are still due and the next crawl fetches them again.
        Call :meth:`commit_batch` from a timer so a batch is never older
        than *seconds* while no write comes (the crawl does). Blocks may nest (concurrent
        crawls); the batch is committed when the last one ends.
        """
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            if not self._batching:
                self.commit_batch()

    def commit_batch(self, *, only_if_due: bool = False) -> None:
        """Commit the open batch (with *only_if_due*: when it is full or old enough)."""
        if self._batch_started is None or self._depth:
            return
        if not self.db.conn.in_transaction:  # an error rolled it back already
            self._batch_started = None
            return
        if only_if_due and (
            self._batch_writes < self.batch_records
            and time.monotonic() - self._batch_started < self.batch_seconds
        ):
            return
        self._batch_started = None
        with self._translated():
            try:
                self.db.conn.execute("COMMIT")
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes (a move and the capture that saw it) into one transaction.

        Writes inside it nest as savepoints; storage errors are typed as in every write. Never
        hold it across an ``await``: every crawl of the process writes through this connection.
        """
        return self._writing()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert *row* into *table* (inside the caller's transaction); the new row's id."""
        pk = self.db.table(table).insert(row).last_pk
        assert pk is not None, "an insert into a rowid table always has a last_pk"
        return int(pk)

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        for row in self.db.query(sql, params):
            return row
        return None
