"""Shared pieces of the hostile suite: the canaries (its figures are printed by tests/conftest.py)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.hostile.corpus import CANARY_FEED


@dataclass
class Canary:
    """A URL and a file that hold a feed; any request to the URL is recorded."""

    url: str
    path: Path
    hits: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    path = tmp_path_factory.mktemp("canary") / "canary.xml"
    path.write_bytes(CANARY_FEED)
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(CANARY_FEED)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Canary(f"http://127.0.0.1:{server.server_address[1]}/canary.xml", path, hits)
    finally:
        server.shutdown()
        server.server_close()
