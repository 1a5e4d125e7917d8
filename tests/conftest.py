"""Shared fixtures.

Data under ``../shared`` (the seed page, the extraction benchmark) is read by a path relative to
the repository root. A user's clone has no ``../shared``: tests that need it skip with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_DIR = SHARED / "fixtures" / "seed-page"
BENCH_DIR = SHARED / "bench" / "extraction" / "scrapinghub"


def need_shared(path: Path) -> Path:
    """Return *path*, or skip the test when ``../shared`` is not beside this checkout."""
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared is only beside the repository in CI and dev")
    return path


@pytest.fixture
def seed_dir() -> Path:
    return need_shared(SEED_DIR)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


class PageServer(LoopbackServer):
    """A real HTTP server on 127.0.0.1 serving pages the test sets and changes.

    ``pages[path] = (status, headers, body)``; every request is logged in ``requests``.
    """

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler

        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: paths that answer 304 when If-None-Match names their ETag, as real servers do
        self.validating: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                server.requests.append((self.path, dict(self.headers)))
                status, headers, body = server.pages.get(
                    self.path, (404, {"Content-Type": "text/plain"}, b"not found")
                )
                etag = headers.get("ETag")
                if (
                    self.path in server.validating
                    and etag
                    and self.headers["If-None-Match"] == etag
                ):
                    status, headers, body = 304, {"ETag": etag}, b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def html(self, path: str, body: str | bytes, status: int = 200, **headers: str) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[path] = (status, {"Content-Type": "text/html; charset=utf-8", **headers}, data)
        return self.base + path


@pytest.fixture
def page_server():
    server = PageServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo site crawled six times (every 30 minutes of its clock, every article each time).

    Shared by the tests of re-extraction, WARC and exports: copy it before writing to it.
    """
    from demo_archive import crawl_demo

    db = tmp_path_factory.mktemp("demo") / "demo.db"
    crawl_demo(db, crawls=6, check_all=True)
    return db
