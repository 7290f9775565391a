"""A Healthchecks stand-in on loopback for the heartbeat tests (``pings`` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "0f4c5f2e-7d1b-4c2a-9e55-3b8f1d2c6a77"


class PingServer:
    """A Healthchecks stand-in: records each request path; ``status`` is the answer,
    ``gate`` (when set) holds every answer until it is opened."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.status = 200
        self.gate: threading.Event | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if owner.gate is not None:
                    owner.gate.wait(10)
                owner.paths.append(self.path)
                self.send_response(owner.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *_args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/ping/{TOKEN}"

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def pings() -> Iterator[PingServer]:
    server = PingServer()
    yield server
    server.close()
