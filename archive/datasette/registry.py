"""Which databases of a Datasette instance are news archives, and who may view them.

May import: Datasette (through the objects passed in), the standard library.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

log = logging.getLogger(__name__)

# Names of the databases that are archives, per Datasette instance (found at startup).
_archives: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


async def is_archive(datasette: Any, name: str) -> bool:
    if name.startswith("_"):
        return False
    try:
        tables = set(await datasette.get_database(name).table_names())
    except Exception:  # a damaged or unreadable file is just "not an archive"
        return False
    return {"articles", "versions", "versions_fts"} <= tables


def archive_names(datasette: Any) -> list[str]:
    known = _archives.get(datasette)
    if known is not None:
        return sorted(n for n in known if n in datasette.databases)
    # Before startup has run: assume every user database is one.
    return [n for n in datasette.databases if not n.startswith("_")]


def is_archive_name(datasette: Any, name: str | None) -> bool:
    """Whether *name* is an archive database: :func:`archive_names` as one set lookup, for
    hooks Datasette calls for every cell of a page."""
    if name is None:
        return False
    known = _archives.get(datasette)
    if known is not None:
        return name in known and name in datasette.databases
    return not name.startswith("_") and name in datasette.databases


async def find_archives(datasette: Any) -> list[str]:
    """Look at every database once (at startup) and remember the archives."""
    names = set()
    for name in list(datasette.databases):
        if await is_archive(datasette, name):
            names.add(name)
            if not datasette.get_database(name).is_mutable:
                log.warning(
                    "archive %r is served as immutable: only do that with a copy that "
                    "no crawl writes to any more",
                    name,
                )
    _archives[datasette] = names
    return sorted(names)


async def ensure_can_view(datasette: Any, actor: Any, database: str) -> None:
    """Raise Forbidden unless *actor* may view *database* (1.0 and 0.65 permission APIs)."""
    if hasattr(datasette, "ensure_permission"):  # Datasette 1.0
        from datasette.resources import DatabaseResource

        await datasette.ensure_permission(
            action="view-database", resource=DatabaseResource(database=database), actor=actor
        )
    else:
        await datasette.ensure_permissions(actor, [("view-database", database), "view-instance"])
