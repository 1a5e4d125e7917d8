"""The pages a crawl process holds: bounded in number and in bytes (scraper.crawl.budget)."""

from __future__ import annotations

import asyncio
import contextlib

from scraper.crawl.budget import PagesInHand


async def settle() -> None:
    """Let every task that can run do so (no timing: a fixed number of loop turns)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_full_byte_budget_holds_back_the_next_fetch_until_a_page_is_recorded():
    pages = PagesInHand(places=8, max_bytes=1000)  # a share of 125 bytes a place
    order: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(pages.place())
        first.hold(900)  # a large page fetched: one more share does not fit

        async def check(name: str) -> None:
            async with pages.place() as place:
                order.append(name)
                place.hold(100)
                await asyncio.sleep(0)

        waiting = asyncio.create_task(check("second"))
        await settle()
        assert order == [] and pages.taken == 1  # held back, though 7 places are free
        await stack.aclose()  # the large page is recorded: its bytes are given back
        await waiting
    assert order == ["second"] and pages.taken == 0 and pages.held == 0


async def test_places_are_bounded_by_number_and_given_in_order():
    pages = PagesInHand(places=2, max_bytes=10**9)
    got: list[int] = []
    release = asyncio.Event()

    async def check(i: int) -> None:
        async with pages.place() as place:
            place.hold(10)
            got.append(i)
            await release.wait()

    tasks = [asyncio.create_task(check(i)) for i in range(5)]
    await settle()
    assert got == [0, 1] and pages.taken == 2
    release.set()
    await asyncio.gather(*tasks)
    assert got == [0, 1, 2, 3, 4] and pages.taken == 0 and pages.held == 0


async def test_a_page_larger_than_the_budget_gets_through_alone():
    pages = PagesInHand(places=4, max_bytes=100)
    async with pages.place() as place:
        place.hold(5000)  # over the whole budget: nothing else is let in meanwhile
        other = asyncio.create_task(_take_and_leave(pages))
        await settle()
        assert not other.done()
    await other
    assert pages.taken == 0 and pages.held == 0


async def test_a_cancelled_wait_gives_nothing_away():
    pages = PagesInHand(places=1, max_bytes=100)
    async with pages.place():
        waiter = asyncio.create_task(_take_and_leave(pages))
        await settle()
        waiter.cancel()
        await settle()
    assert waiter.cancelled() and pages.taken == 0 and pages.held == 0
    await _take_and_leave(pages)  # the place is free again


async def _take_and_leave(pages: PagesInHand) -> None:
    async with pages.place():
        pass
