"""A local HTTP server on 127.0.0.1 that serves canned feed responses, for fetcher tests.

Every route is a `Canned` response: a body with a status and headers, optional ETag/Last-Modified
validators (answered with 304), or a stream (slow drip, endless, oversized) produced chunk by
chunk. Helpers build the usual cases: redirects and loops, gzip bombs, HTML, JSON, 429, 500.
Requests are recorded so tests can check what the client sent.

    async with FeedServer() as server:
        url = server.serve("/feed.xml", RSS, etag='"v1"')
"""

from __future__ import annotations

import asyncio
import functools
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

RSS_TYPE = "application/rss+xml; charset=utf-8"

MINIMAL_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test feed</title><link>https://example.org/</link>
<item><title>Security guarantees for Ukraine discussed</title>
<link>https://example.org/news/1</link><guid>urn:test:1</guid>
<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>
</channel></rss>
"""


@dataclass
class Canned:
    """One canned response."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    stream: Callable[[], Iterator[bytes]] | None = None  # chunks written one by one
    interval: float = 0.0  # pause between streamed chunks (slow drip)
    delay: float = 0.0  # pause before answering at all


@dataclass(frozen=True)
class Recorded:
    """A request the server received."""

    path: str
    headers: dict[str, str]


@functools.cache
def gzip_bomb(decompressed_size: int = 50_000_000) -> bytes:
    """A gzip stream of `decompressed_size` zero bytes (about 1000x smaller on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    block = bytes(1_000_000)
    parts = []
    remaining = decompressed_size
    while remaining > 0:
        parts.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


class FeedServer:
    """The server; `start()`/`close()` or use as an async context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.routes: dict[str, Canned] = {}
        self.requests: list[Recorded] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free port of `host`."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown timeout: drip handlers may still be sleeping when a test ends.
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        return self.base_url + path

    # -- building routes ---------------------------------------------------------------------

    def add(self, path: str, canned: Canned) -> str:
        """Serve `canned` at `path`; returns the absolute URL."""
        self.routes[path] = canned
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes = MINIMAL_RSS,
        *,
        content_type: str = RSS_TYPE,
        status: int = 200,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """A plain response (a feed by default)."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        return self.add(
            path, Canned(body, status, all_headers, etag=etag, last_modified=last_modified)
        )

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        """A redirect to `to` (absolute, or relative to let the client resolve it)."""
        return self.add(path, Canned(status=status, headers={"Location": to}))

    def redirect_chain(self, prefix: str, hops: int, final: str) -> str:
        """`prefix`0 → `prefix`1 → ... → `final`: `hops` redirects in a row."""
        for i in range(hops):
            target = f"{prefix}{i + 1}" if i + 1 < hops else final
            self.redirect(f"{prefix}{i}", target)
        return self.url(f"{prefix}0")

    def redirect_loop(self, a: str, b: str) -> str:
        """`a` → `b` → `a` ..."""
        self.redirect(a, b)
        self.redirect(b, a)
        return self.url(a)

    def gzip(self, path: str, body: bytes, *, content_type: str = RSS_TYPE) -> str:
        """`body` sent gzip-compressed with Content-Encoding: gzip."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        packed = compressor.compress(body) + compressor.flush()
        headers = {"Content-Type": content_type, "Content-Encoding": "gzip"}
        return self.add(path, Canned(packed, headers=headers))

    def gzip_bomb(self, path: str, decompressed_size: int = 50_000_000) -> str:
        """A small gzip body that expands to `decompressed_size` bytes."""
        headers = {"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"}
        return self.add(path, Canned(gzip_bomb(decompressed_size), headers=headers))

    def oversized(self, path: str, size: int, *, declare_length: bool = False) -> str:
        """`size` bytes streamed in 64 KiB chunks, with or without a Content-Length."""
        chunk = b"x" * 65536

        def chunks() -> Iterator[bytes]:
            remaining = size
            while remaining > 0:
                yield chunk[: min(remaining, len(chunk))]
                remaining -= len(chunk)

        headers = {"Content-Type": RSS_TYPE}
        if declare_length:
            headers["Content-Length"] = str(size)
        return self.add(path, Canned(headers=headers, stream=chunks))

    def slow_drip(self, path: str, body: bytes = MINIMAL_RSS, *, interval: float = 0.2) -> str:
        """`body` one byte at a time, `interval` seconds apart."""
        return self.add(
            path,
            Canned(
                headers={"Content-Type": RSS_TYPE},
                stream=lambda: (body[i : i + 1] for i in range(len(body))),
                interval=interval,
            ),
        )

    def slow(self, path: str, delay: float, body: bytes = MINIMAL_RSS) -> str:
        """`body` after `delay` seconds of silence."""
        return self.add(path, Canned(body, headers={"Content-Type": RSS_TYPE}, delay=delay))

    def html(self, path: str) -> str:
        """An HTML page where a feed was expected."""
        page = b"<!DOCTYPE html>\n<html><head><title>News</title></head><body>Hi</body></html>\n"
        return self.serve(path, page, content_type="text/html; charset=utf-8")

    def json(self, path: str) -> str:
        """A JSON document where a feed was expected."""
        return self.serve(path, b'{"items": []}', content_type="application/json")

    def too_many_requests(self, path: str, retry_after: str = "120", status: int = 429) -> str:
        """429 (or 503) with a Retry-After header."""
        return self.serve(
            path,
            b"slow down",
            status=status,
            content_type="text/plain",
            headers={"Retry-After": retry_after},
        )

    def error(self, path: str, status: int = 500) -> str:
        """An error status with a small HTML body."""
        return self.serve(path, b"<h1>error</h1>", status=status, content_type="text/html")

    # -- serving ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.requests.append(Recorded(path, dict(request.headers)))
        canned = self.routes.get(path) or self.routes.get(request.path)
        if canned is None:
            return web.Response(status=404, text="no such route")
        self.in_flight[path] = self.in_flight.get(path, 0) + 1
        self.max_in_flight[path] = max(self.max_in_flight.get(path, 0), self.in_flight[path])
        try:
            return await self._answer(request, canned)
        finally:
            self.in_flight[path] -= 1

    async def _answer(self, request: web.Request, canned: Canned) -> web.StreamResponse:
        if canned.delay:
            await asyncio.sleep(canned.delay)
        validators = {}
        if canned.etag:
            validators["ETag"] = canned.etag
        if canned.last_modified:
            validators["Last-Modified"] = canned.last_modified
        etag_match = canned.etag and request.headers.get("If-None-Match") == canned.etag
        date_match = (
            canned.last_modified
            and request.headers.get("If-Modified-Since") == canned.last_modified
        )
        if etag_match or date_match:
            return web.Response(status=304, headers=validators)
        headers = {**canned.headers, **validators}
        if canned.stream is None:
            return web.Response(status=canned.status, body=canned.body, headers=headers)
        response = web.StreamResponse(status=canned.status, headers=headers)
        await response.prepare(request)
        try:
            for chunk in canned.stream():
                await response.write(chunk)
                if canned.interval:
                    await asyncio.sleep(canned.interval)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client gave up (deadline, size cap): that is the point of these routes
        return response


class FakeResolver(AbstractResolver):
    """DNS from a dict: host name → addresses. Unknown names fail like a real NXDOMAIN."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        return None
