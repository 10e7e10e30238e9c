"""HttpFetcher: the Fetcher port over aiohttp — conditional GET within hard limits.

Every fetch is bounded: a total deadline that covers connecting, every redirect hop and the body
(a server dripping one byte a second cannot hold a worker), a cap on the decoded body size (gzip
bombs included), a redirect budget, and global and per-host concurrency. Every hop goes through
the SSRF guard. Any failure becomes a FeedError whose message says what happened to whom.
"""

from __future__ import annotations

import asyncio
import http
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING

from yarl import URL

from bot.core.clock import SystemClock
from bot.core.errors import FeedError
from bot.core.ports import Clock, FetchResult
from bot.ingest.guard import AddressPolicy, check_url
from bot.ingest.limits import HttpLimits

# aiohttp is imported by the methods that fetch: building an HttpFetcher (every command does)
# costs nothing until the first fetch, and `watchbot ingest` of local files never makes one.
if TYPE_CHECKING:
    import aiohttp
    from aiohttp.abc import AbstractResolver
    from multidict import CIMultiDictProxy

    from bot.ingest.resolver import GuardedResolver

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers the rest of the pipeline uses: caching validators, polling hints, the document's base.
# Content-Encoding and Content-Length are left out on purpose: the body handed on is decoded.
KEPT_HEADERS = (
    "content-type",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "age",
    "date",
    "retry-after",
    "content-location",
    "content-language",
)
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
CHUNK = 64 * 1024


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _kept_headers(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    return {name: headers[name] for name in KEPT_HEADERS if name in headers}


def _seconds(value: float) -> str:
    return f"{value:g} s"


class HttpFetcher:
    """Fetcher port implementation; one lazily created aiohttp session shared by all fetches.

    Use as `async with HttpFetcher(limits) as fetcher:` or call `close()`. `resolver` replaces
    the DNS resolver (tests inject fakes); the SSRF guard always wraps it. `clock` is used for
    Retry-After dates.
    """

    def __init__(
        self,
        limits: HttpLimits | None = None,
        *,
        resolver: AbstractResolver | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._limits = limits or HttpLimits()
        self._policy = AddressPolicy.from_limits(self._limits)
        self._inner_resolver = resolver
        self._clock: Clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None
        # Created with the session: asyncio primitives bind to the loop that first uses them.
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @property
    def limits(self) -> HttpLimits:
        """The limits this fetcher enforces."""
        return self._limits

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections; a later fetch opens a new session."""
        session, resolver = self._session, self._resolver
        self._session = self._resolver = self._global = None
        self._hosts.clear()
        if session is not None:
            await session.close()
        if resolver is not None:
            await resolver.close()

    def _ensure_session(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        if self._session is None or self._session.closed or self._global is None:
            import aiohttp

            from bot.ingest.resolver import GuardedResolver

            limits = self._limits
            self._resolver = GuardedResolver(self._policy, self._inner_resolver)
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                limit=limits.concurrency,
                limit_per_host=limits.per_host,
                ttl_dns_cache=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # The total deadline is ours (asyncio.timeout); aiohttp only bounds the connect.
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=limits.connect_timeout_s),
                headers={
                    "User-Agent": limits.user_agent,
                    "Accept": ACCEPT,
                    "Accept-Encoding": "gzip, deflate",
                },
                # Environment proxies would resolve names themselves, out of the guard's sight.
                trust_env=False,
                auto_decompress=True,
            )
            self._global = asyncio.Semaphore(limits.concurrency)
        return self._session, self._global

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        """At most `per_host` requests to one host at a time; idle entries are dropped."""
        semaphore, users = self._hosts.get(host) or (asyncio.Semaphore(self._limits.per_host), 0)
        self._hosts[host] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            current = self._hosts.get(host)
            if current is not None and current[0] is semaphore:  # close() may have reset it
                if current[1] <= 1:
                    del self._hosts[host]
                else:
                    self._hosts[host] = (semaphore, current[1] - 1)

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Conditional GET of `url`: FetchResult with status 200 (body) or 304 (not modified).

        Raises FeedError for everything else: refused by the guard, network failure, timeout,
        HTTP error status (retry_after set from Retry-After on 429/503), oversized body,
        redirect loops and redirect chains longer than `max_redirects`.
        """
        current = check_url(url, self._policy)
        session, global_slots = self._ensure_session()
        request_headers: dict[str, str] = {}
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        # Waiting for a free slot is not the server's fault: the deadline covers network time
        # only, shared by all hops.
        budget = self._limits.total_timeout_s
        seen = [str(current)]
        loop = asyncio.get_running_loop()
        async with global_slots:
            for _hop in range(self._limits.max_redirects + 1):
                host = current.host or ""
                async with self._host_slot(host):
                    started = loop.time()
                    outcome = await self._guarded_hop(session, current, request_headers, budget)
                    budget -= loop.time() - started
                if isinstance(outcome, FetchResult):
                    return outcome
                target = check_url(outcome, self._policy)
                if str(target) in seen:
                    chain = " → ".join([*seen[seen.index(str(target)) :], str(target)])
                    raise FeedError(f"redirect loop: {chain}")
                seen.append(str(target))
                current = target
        raise FeedError(
            f"too many redirects (more than {self._limits.max_redirects}) starting at {url}"
        )

    async def _guarded_hop(
        self, session: aiohttp.ClientSession, url: URL, headers: dict[str, str], budget: float
    ) -> FetchResult | URL:
        """One request under the remaining deadline, with failures translated to FeedError."""
        import aiohttp

        host = url.host or str(url)
        try:
            async with asyncio.timeout(max(budget, 0.0)):
                return await self._hop(session, url, headers)
        except FeedError:
            raise
        except aiohttp.ClientError as exc:  # before TimeoutError: aiohttp's timeouts are both
            raise self._network_error(exc, url) from exc
        except TimeoutError as exc:
            raise FeedError(
                f"timed out after {_seconds(self._limits.total_timeout_s)} fetching {host}"
            ) from exc
        except OSError as exc:
            raise FeedError(f"network error talking to {host}: {exc.strerror or exc}") from exc

    async def _hop(
        self, session: aiohttp.ClientSession, url: URL, headers: dict[str, str]
    ) -> FetchResult | URL:
        """One request: a result, or the URL a redirect points to."""
        host = url.host or str(url)
        async with session.get(url, headers=headers, allow_redirects=False) as resp:
            status = resp.status
            if status in REDIRECT_STATUSES:
                location = resp.headers.get("Location")
                if not location:
                    raise FeedError(f"HTTP {status} redirect without a Location header from {host}")
                try:
                    return url.join(URL(location))
                except ValueError as exc:
                    raise FeedError(f"invalid redirect Location {location!r} from {host}") from exc
            kept = _kept_headers(resp.headers)
            if status == 304:
                return FetchResult(url=str(url), status=304, headers=kept)
            if 200 <= status < 300:
                body = await self._read_capped(resp, host)
                # The port knows 200 and 304; any other 2xx carries a body all the same.
                return FetchResult(url=str(url), status=200, body=body, headers=kept)
            raise self._http_error(status, resp.reason, host, resp.headers)

    async def _read_capped(self, resp: aiohttp.ClientResponse, host: str) -> bytes:
        """The decoded body, aborting as soon as it grows past `max_bytes`."""
        limit = self._limits.max_bytes
        too_large = FeedError(f"response larger than {limit} bytes from {host}")
        declared = resp.content_length
        if declared is not None and declared > limit and "Content-Encoding" not in resp.headers:
            raise too_large  # say no before reading a byte
        chunks: list[bytes] = []
        size = 0
        # aiohttp decompresses as it streams: these chunks are decoded bytes, so a bomb is
        # stopped after max_bytes of output, whatever its compressed size.
        async for chunk in resp.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _http_error(
        self, status: int, reason: str | None, host: str, headers: CIMultiDictProxy[str]
    ) -> FeedError:
        try:
            phrase = reason or http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "error"
        message = f"HTTP {status} {phrase} from {host}"
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(headers.get("Retry-After"), self._clock.now())
            if retry_after is not None:
                message += f" (retry after {retry_after:.0f} s)"
        elif not 400 <= status < 600:
            message = f"unexpected HTTP {status} {phrase} from {host}"
        # 410 Gone is the server saying the feed will never come back.
        return FeedError(message, retry_after=retry_after, permanent=status == 410)

    def _network_error(self, exc: aiohttp.ClientError, url: URL) -> FeedError:
        import aiohttp

        host = url.host or str(url)
        where = f"{host}:{url.port}" if url.port else host
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            wait = _seconds(self._limits.connect_timeout_s)
            return FeedError(f"connection to {where} timed out after {wait}")
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return FeedError(f"DNS lookup failed for {host}")
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return FeedError(f"TLS certificate of {host} is not valid: {exc.certificate_error}")
        if isinstance(exc, aiohttp.ClientSSLError):
            return FeedError(f"TLS handshake with {host} failed: {exc.os_error}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            error = exc.os_error
            if isinstance(error, ConnectionRefusedError):
                return FeedError(f"connection refused by {where}")
            if isinstance(error, socket.gaierror):
                return FeedError(f"DNS lookup failed for {host}")
            return FeedError(f"could not connect to {where}: {error.strerror or error}")
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return FeedError(f"{host} closed the connection before the response was complete")
        if isinstance(exc, aiohttp.ClientPayloadError):
            return FeedError(f"response body from {host} was cut off or badly encoded")
        if isinstance(exc, aiohttp.InvalidURL):
            return FeedError(f"invalid URL {url}: {exc}", permanent=True)
        if isinstance(exc, aiohttp.ClientResponseError):
            return FeedError(f"invalid HTTP response from {host}: {exc.message}")
        return FeedError(f"network error talking to {host}: {exc}")
