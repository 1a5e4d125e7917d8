"""Tasks for the pool tests, in a module of their own: a worker imports it to run them, and it
imports nothing heavy, so the time a task takes is the task's own."""

from __future__ import annotations

import os
import signal
import time


def spin(seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "done"


def allocate(mebibytes: int) -> int:
    block = bytearray(mebibytes * 1024 * 1024)
    return len(block)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def worker_pid() -> int:
    return os.getpid()
