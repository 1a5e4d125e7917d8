"""The crawl process's allocator: freed page buffers go back to the system.

A crawl allocates and frees a few hundred kilobytes per page (the fetched body, its decoded
text, the pickles sent to the extraction workers), from several threads. glibc's malloc raises
its mmap threshold each time such a buffer is freed, so later ones come from the heap, and
every thread gets its own arena: the heap fragments and the process's resident memory climbs
to the high-water mark of pages in hand and stays there. A fixed 128 KiB threshold (every page
buffer is its own mapping, unmapped when freed) and two arenas keep it near what is in use
(bench/crawl.py's memory run: the peak drops by about a third).

May import: the standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util

#: glibc's mallopt parameters (malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024
ARENAS = 2


def release_freed_pages() -> bool:
    """Tune glibc's malloc as above; False where the C library is not glibc (nothing done)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            mallopt(_M_ARENA_MAX, ARENAS)
        )
    return False
