"""A process pool whose workers a page cannot take down with it: a time and memory bound each.

``concurrent.futures.ProcessPoolExecutor`` cannot stop one task: a page that makes the parser
spin or grow keeps its worker (and the crawl waiting on it) forever, and a worker killed by the
kernel breaks the whole pool. Here every worker runs one task at a time under
``RLIMIT_AS`` (an allocation past the bound is a ``MemoryError`` in the worker, never the
machine's memory), and the thread that hands it work waits at most ``timeout`` seconds: past
that the worker is killed and replaced, and the task's future fails with :class:`WorkerTimeout`.
A worker that dies (a crash in C code, the OOM killer) fails its task with :class:`WorkerDied`
and is replaced too; the other tasks carry on.

It is a ``concurrent.futures.Executor``, so ``loop.run_in_executor(pool, fn, ...)`` keeps the
event loop free while a worker runs. A worker is a fresh interpreter (``python -m
scraper.crawl.pool``) that imports only the extractor: it never inherits the parent's threads
or open archive, never re-imports the parent's main module (as ``spawn`` and ``forkserver``
do), and is ready in about 0.3 s; the workers start with the pool, while the crawl discovers.

May import: the standard library only (callers pass the functions to run).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing.connection
import os
import pickle
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

#: Seconds one task may take before its worker is killed. Extraction of a real 250 KB page
#: takes about 10 ms; a hundred times the slowest page of the benchmarks is still under this.
DEFAULT_TIMEOUT = 20.0
#: Address space of one worker. A worker idles at about 150 MiB of address space (much of it
#: mapped, not resident); the largest legal page (16 M characters) parses within this.
DEFAULT_MEMORY_LIMIT = 1536 * 1024 * 1024
#: Seconds a new worker may take to start (import the extractor) before it counts as dead.
STARTUP_TIMEOUT = 60.0
#: Modules every worker imports before it says it is ready.
PRELOAD = ("scraper.crawl.extraction",)


class WorkerError(Exception):
    """A task's worker did not return a result."""


class WorkerTimeout(WorkerError, TimeoutError):
    """The task ran past the pool's timeout; its worker was killed and replaced."""


class WorkerDied(WorkerError):
    """The task's worker died (killed by a signal, crashed in C code) and was replaced."""


class WorkerMemoryError(WorkerError, MemoryError):
    """The task hit the worker's memory bound."""


def _worker_main(conn: multiprocessing.connection.Connection, memory_limit: int | None) -> None:
    """Run tasks from *conn* one at a time, sending back ``(ok, value)`` for each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, args, kwargs = task
        try:
            reply: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except MemoryError:
            reply = (False, WorkerMemoryError("the task ran out of its worker's memory bound"))
        except BaseException as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except MemoryError:
            conn.send((False, WorkerMemoryError("the result did not fit the memory bound")))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send((False, WorkerError(f"result cannot be sent back: {exc!r}")))


def main(argv: list[str]) -> None:
    """A worker process: ``python -m scraper.crawl.pool FD MEMORY_LIMIT PRELOAD...``.

    The parent's ``sys.path`` comes first on the pipe, so the tasks' functions import as they
    do in the parent.
    """
    conn = multiprocessing.connection.Connection(int(argv[0]))
    sys.path[:] = conn.recv()
    for name in argv[2:]:
        importlib.import_module(name)
    conn.send("ready")  # the task's time limit starts after the imports
    _worker_main(conn, int(argv[1]) or None)


class _Worker:
    """One worker process (a fresh interpreter, so it inherits no thread, lock or archive) and
    the socket to it."""

    def __init__(self, memory_limit: int | None, preload: tuple[str, ...]) -> None:
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scraper.crawl.pool",
                    str(child.fileno()),
                    str(memory_limit or 0),
                    *preload,
                ],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            child.close()
        self.conn = multiprocessing.connection.Connection(parent.detach())
        self.conn.send(list(sys.path))
        self.ready = False

    def wait_ready(self) -> bool:
        """Wait for the worker's imports (once); False when it died or hung starting."""
        if not self.ready:
            try:
                self.ready = self.conn.poll(STARTUP_TIMEOUT) and self.conn.recv() == "ready"
            except (EOFError, OSError):
                return False
        return self.ready

    def alive(self) -> bool:
        return self.process.poll() is None

    def exitcode(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(1)
        return None

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()
        self.conn.close()


class BoundedProcessPool(Executor):
    """``workers`` processes, each task bounded by ``timeout`` seconds and ``memory_limit`` bytes."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        preload: tuple[str, ...] = PRELOAD,
    ) -> None:
        self.size = max(1, workers or len(os.sched_getaffinity(0)))
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.preload = preload
        self._tasks: queue.SimpleQueue[tuple[Future, Callable, tuple, dict] | None] = (
            queue.SimpleQueue()
        )
        self._closed = False
        self._lock = threading.Lock()
        self.replaced = 0  # workers killed or found dead and started again
        self._threads = [
            threading.Thread(target=self._serve, name=f"pool-slot-{i}", daemon=True)
            for i in range(self.size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            future: Future = Future()
            self._tasks.put((future, fn, args, kwargs))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._tasks.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            for _ in self._threads:
                self._tasks.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def _serve(self) -> None:
        """One slot: a worker process and the thread that feeds it, one task at a time."""
        worker: _Worker | None = None
        try:
            # Started at once, not at the first task: the crawl discovers meanwhile.
            with contextlib.suppress(Exception):  # a failure shows again at the first task
                worker = _Worker(self.memory_limit, self.preload)
            while True:
                item = self._tasks.get()
                if item is None:
                    return
                future, fn, args, kwargs = item
                if not future.set_running_or_notify_cancel():
                    continue
                if worker is None or not worker.alive():
                    if worker is not None:
                        worker.kill()
                        self.replaced += 1
                    try:
                        worker = _Worker(self.memory_limit, self.preload)
                    except Exception as exc:
                        worker = None
                        future.set_exception(WorkerDied(f"cannot start a worker: {exc}"))
                        continue
                worker = self._run(worker, future, fn, args, kwargs)
        finally:
            if worker is not None:
                worker.stop()

    def _run(
        self, worker: _Worker, future: Future, fn: Callable, args: tuple, kwargs: dict
    ) -> _Worker | None:
        """Run one task on *worker*; returns the worker to keep (None when it had to go)."""
        if not worker.wait_ready():
            worker.kill()
            self.replaced += 1
            future.set_exception(WorkerDied("the worker did not start"))
            return None
        try:
            worker.conn.send((fn, args, kwargs))
        except (BrokenPipeError, ConnectionResetError, EOFError):
            worker.kill()
            self.replaced += 1
            future.set_exception(WorkerDied("the worker was gone before the task started"))
            return None
        except Exception as exc:  # the task itself cannot be pickled
            future.set_exception(exc)
            return worker
        if not worker.conn.poll(self.timeout):
            worker.kill()
            self.replaced += 1
            future.set_exception(
                WorkerTimeout(f"the task took more than {self.timeout:g} s; its worker was killed")
            )
            return None
        try:
            ok, value = worker.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            code = worker.exitcode()
            worker.kill()
            self.replaced += 1
            future.set_exception(WorkerDied(f"the worker died (exit code {code})"))
            return None
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
        return worker


if __name__ == "__main__":
    # Through the module's import, so the errors the worker sends back pickle under their
    # real name (scraper.crawl.pool.WorkerMemoryError), not __main__'s.
    from scraper.crawl.pool import main as _main

    _main(sys.argv[1:])
