"""The archive lock, held by real second processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scraper.crawl.lock import ArchiveBusy, ArchiveLock, LockError, lock_path, read_holder

# The holder takes the lock, says so, then holds it until its stdin closes (or 30 s pass, so a
# test that dies cannot leave it behind).
HOLDER = """
import signal, sys
from scraper.crawl.lock import ArchiveLock
signal.alarm(30)
lock = ArchiveLock(sys.argv[1], command=sys.argv[2]).acquire()
print("locked", flush=True)
sys.stdin.read()
lock.release()
print("released", flush=True)
"""


@contextmanager
def holder(db_path: Path, command: str = "run") -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_lock_file_sits_beside_the_archive(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "archive.db") == tmp_path / "archive.db.lock"


def test_acquire_and_release_in_one_process(db_path: Path) -> None:
    lock = ArchiveLock(db_path)
    assert read_holder(db_path) is None
    lock.acquire()
    assert lock.held
    holder_info = read_holder(db_path)
    assert holder_info is not None
    assert holder_info.pid == os.getpid()
    assert holder_info.command == "run"
    lock.release()
    assert not lock.held
    assert read_holder(db_path) is None
    lock.release()  # twice is harmless
    with ArchiveLock(db_path) as again:
        assert again.held


def test_second_lock_in_the_same_process_is_refused(db_path: Path) -> None:
    with (
        ArchiveLock(db_path, command="run"),
        pytest.raises(ArchiveBusy, match=f"pid {os.getpid()}"),
    ):
        ArchiveLock(db_path, command="crawl").acquire()


def test_acquiring_twice_with_one_object_is_an_error(db_path: Path) -> None:
    lock = ArchiveLock(db_path).acquire()
    try:
        with pytest.raises(LockError, match="already held"):
            lock.acquire()
    finally:
        lock.release()


def test_run_is_refused_at_once_while_another_process_holds_it(db_path: Path) -> None:
    with holder(db_path, "run") as proc:
        started = time.monotonic()
        with pytest.raises(ArchiveBusy) as caught:
            ArchiveLock(db_path, command="run").acquire(wait=None)
        assert time.monotonic() - started < 1.0
        message = str(caught.value)
        assert message.startswith(f"{db_path} is in use by newsarchive run (pid {proc.pid}, since ")
        assert message.endswith("); stop it first or use a different --db")
        assert caught.value.holder is not None
        assert caught.value.holder.pid == proc.pid
        seen = read_holder(db_path)
        assert seen is not None
        assert (seen.pid, seen.command) == (proc.pid, "run")


def test_crawl_waits_then_is_refused(db_path: Path) -> None:
    with holder(db_path, "run") as proc:
        started = time.monotonic()
        with pytest.raises(ArchiveBusy, match=f"newsarchive run \\(pid {proc.pid}"):
            ArchiveLock(db_path, command="crawl").acquire(wait=0.6)
        assert 0.55 <= time.monotonic() - started < 3.0


def test_crawl_gets_the_lock_when_the_holder_lets_go_while_it_waits(db_path: Path) -> None:
    with holder(db_path, "run") as proc:
        assert proc.stdin is not None
        timer = threading.Timer(0.4, proc.stdin.close)
        timer.start()
        try:
            started = time.monotonic()
            lock = ArchiveLock(db_path, command="crawl").acquire(wait=10)
            waited = time.monotonic() - started
        finally:
            timer.cancel()
        assert 0.3 <= waited < 5.0
        assert proc.wait(timeout=10) == 0
        seen = read_holder(db_path)
        assert seen is not None
        assert (seen.pid, seen.command) == (os.getpid(), "crawl")
        lock.release()


def test_a_killed_holder_frees_the_lock(db_path: Path) -> None:
    with holder(db_path, "run") as proc:
        with pytest.raises(ArchiveBusy):
            ArchiveLock(db_path).acquire()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # The dead holder's details are still in the file, but the kernel dropped its lock.
        assert lock_path(db_path).read_text() != ""
        assert read_holder(db_path) is None
        with ArchiveLock(db_path).acquire() as lock:
            assert lock.held


def test_a_holder_in_a_child_process_is_refused_by_the_parent_and_vice_versa(
    db_path: Path,
) -> None:
    with ArchiveLock(db_path, command="run"):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\n"
                "from scraper.crawl.lock import ArchiveLock, ArchiveBusy\n"
                "try:\n"
                "    ArchiveLock(sys.argv[1], command='run').acquire()\n"
                "except ArchiveBusy as exc:\n"
                "    print(exc)\n"
                "    sys.exit(3)\n",
                str(db_path),
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 3
    assert f"newsarchive run (pid {os.getpid()}" in result.stdout


def test_negative_wait_is_rejected(db_path: Path) -> None:
    with pytest.raises(ValueError, match="wait"):
        ArchiveLock(db_path).acquire(wait=-1)


def test_an_unwritable_place_gives_a_lock_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LockError, match="cannot open lock file"):
        ArchiveLock(blocker / "archive.db").acquire()


def test_the_lock_object_is_reusable_after_release(db_path: Path) -> None:
    lock = ArchiveLock(db_path)
    for _ in range(3):
        lock.acquire()
        lock.release()
    assert read_holder(db_path) is None


async def test_acquire_async_waits_without_blocking_the_loop(db_path: Path) -> None:
    import asyncio

    holder_lock = ArchiveLock(db_path, command="run").acquire()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, holder_lock.release)
    try:
        lock = await ArchiveLock(db_path, command="crawl").acquire_async(wait=10)
    finally:
        ticker.cancel()
    assert ticks >= 10  # the loop kept running while we waited
    assert lock.held
    lock.release()


async def test_acquire_async_refuses_and_can_be_cancelled(db_path: Path) -> None:
    import asyncio

    with holder(db_path, "run") as proc:
        with pytest.raises(ArchiveBusy, match=f"pid {proc.pid}"):
            await ArchiveLock(db_path).acquire_async(wait=0.3)
        waiter = ArchiveLock(db_path)
        task = asyncio.create_task(waiter.acquire_async(wait=30))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not waiter.held
    # Nothing of the cancelled wait lingers: the lock is free once the holder is gone.
    with ArchiveLock(db_path).acquire() as lock:
        assert lock.held
