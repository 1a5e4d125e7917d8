"""Pages in hand: what a process's crawls hold from a fetch to its record, bounded in number and bytes.

A fetched page is held until its extraction and record are done, and with many sites crawled
at once fetching runs ahead of the extraction workers: pages pile up waiting for them. A bound
on their number (``global_concurrency`` places) keeps the memory flat on average, but not its
peak: the same 64 places hold 25 MB of ordinary pages or 300 MB when a site's 5 MB pages come
together. So the places are also bounded by bytes, one budget shared by every crawl of the
process:

- a check takes a place before its fetch; while its page's size is unknown the place counts
  as its fair share of the budget (``max_bytes / places``), and once the page is fetched as
  its size (:meth:`Place.hold`);
- a place is given only when the places held plus one more share fit the budget, or when no
  page at all is held (a page larger than the whole budget still gets through, alone);
- waiting checks get their places in the order they asked.

So the bytes of pages in hand stay under the budget but for the pages still being fetched
when it filled (each can end larger than its share, up to the page cap): a burst of large
pages stops further fetches until the workers have caught up, instead of stacking up.

May import: the standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

MiB = 1024 * 1024

#: Bytes of fetched pages one crawl process holds at most (besides the pages being fetched).
#: 32 MiB is 80 pages of the benchmarks' 400 KB average, more than the default
#: ``global_concurrency`` fetches in flight plus a queue for the workers need, and 6 of their
#: largest (5 MB) pages.
DEFAULT_MAX_BYTES = 32 * MiB


class Place:
    """One check's place: counted as its share until :meth:`hold` says what the page weighs."""

    def __init__(self, pages: PagesInHand, charge: int) -> None:
        self._pages = pages
        self.charge = charge

    def hold(self, size: int) -> None:
        """The fetched page is *size* bytes: the place counts that much from now on."""
        self._pages._recharge(self, max(0, size))


class PagesInHand:
    """At most *places* pages in hand and, as far as their sizes are known, *max_bytes*."""

    def __init__(self, places: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.places = max(1, places)
        self.max_bytes = max(1, max_bytes)
        self.share = max(1, self.max_bytes // self.places)
        self.taken = 0  # places held
        self.held = 0  # bytes they count for
        self._waiters: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def place(self) -> AsyncIterator[Place]:
        """Wait for a place; it is given back when the block ends (recorded, failed or
        cancelled)."""
        await self._take()
        place = Place(self, self.share)
        try:
            yield place
        finally:
            self.taken -= 1
            self.held -= place.charge
            self._wake()

    def _room(self) -> bool:
        if self.taken >= self.places:
            return False
        return self.taken == 0 or self.held + self.share <= self.max_bytes

    def _admit(self) -> None:
        self.taken += 1
        self.held += self.share

    async def _take(self) -> None:
        if not self._waiters and self._room():
            self._admit()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # given a place, then cancelled
                self.taken -= 1
                self.held -= self.share
                self._wake()
            else:
                with contextlib.suppress(ValueError):  # _wake may have dropped it already
                    self._waiters.remove(waiter)
            raise

    def _recharge(self, place: Place, size: int) -> None:
        self.held += size - place.charge
        place.charge = size
        self._wake()

    def _wake(self) -> None:
        """Give places to the waiters, first come first served, while there is room."""
        while self._waiters and self._room():
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._admit()
                waiter.set_result(None)
