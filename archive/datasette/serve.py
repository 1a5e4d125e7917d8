"""Serving an archive: a Datasette instance for one archive file, and the server loop.

What ``newsarchive serve`` runs; tests build their instance with :func:`make_datasette`.

May import: Datasette, uvicorn, the standard library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasette.app import Datasette


class ArchiveServeError(Exception):
    """The archive cannot be served (missing file, not an archive)."""


def make_datasette(db_path: str | Path, **kwargs: Any) -> Datasette:
    """A Datasette instance serving the archive at *db_path* read-only, with this plugin.

    The file is opened as a mutable database, which Datasette reads with ``mode=ro``: safe
    while a crawl writes to it. Keyword arguments go to :class:`~datasette.app.Datasette`.
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    path = Path(db_path)
    if not path.is_file():
        raise ArchiveServeError(f"{path}: no such archive (run a crawl first)")
    if kwargs.get("immutables"):
        raise ArchiveServeError("a live archive must not be served as immutable")
    _register(pm)
    settings = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 500, **kwargs.pop("settings", {})}
    return Datasette([str(path)], settings=settings, **kwargs)


def _register(pm) -> None:
    """Make sure the plugin is loaded even where the entry point is not installed."""
    import archive.datasette as plugin

    if not pm.is_registered(plugin) and pm.get_plugin("newsarchive") is None:
        pm.register(plugin, name="newsarchive")


def serve_archive(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    open_browser: bool = False,
    **kwargs: Any,
) -> None:
    """Serve the archive with Datasette until interrupted (what ``newsarchive serve`` runs)."""
    import threading
    import webbrowser

    import uvicorn

    ds = make_datasette(db_path, **kwargs)
    if open_browser:
        url = f"http://{host}:{port}/"
        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
