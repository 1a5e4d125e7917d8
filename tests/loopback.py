"""The HTTP servers tests start for the crawler: a free port on 127.0.0.1, a daemon thread.

Test modules define their own request handlers (what each page answers); this class starts
and stops the server around them so every such server binds only the loopback address and
shuts down promptly."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """Serve *handler* on 127.0.0.1 until :meth:`close`; ``base`` is its ``http://`` origin."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.host_port = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.host_port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
