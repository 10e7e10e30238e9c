"""HttpFetcher against a live local server: caching, limits, redirects, errors, SSRF guard."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import FeedError
from bot.ingest.fetch import HttpFetcher, parse_retry_after
from bot.ingest.limits import DEFAULT_USER_AGENT, HttpLimits

from .feedserver import MINIMAL_RSS, FakeResolver, FeedServer

LAST_MODIFIED = "Mon, 03 Mar 2025 10:00:00 GMT"


class FixedClock:
    """A clock stopped at one instant (tests/fakes.py pulls in chat modules; not needed here)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def private_ok(**overrides: object) -> HttpLimits:
    """Limits that let the fetcher reach 127.0.0.1, with short deadlines for tests."""
    values: dict[str, object] = {
        "total_timeout_s": 5.0,
        "connect_timeout_s": 2.0,
        "allow_private_networks": True,
    }
    values.update(overrides)
    return HttpLimits(**values)  # type: ignore[arg-type]


async def fetch_error(fetcher: HttpFetcher, url: str) -> FeedError:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(url)
    return caught.value


# -- success and conditional GET ------------------------------------------------------------


async def test_200_then_304_with_etag(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.serve(
        "/feed.xml",
        etag='"v1"',
        last_modified=LAST_MODIFIED,
        headers={"Cache-Control": "max-age=300"},
    )
    first = await fetcher.fetch(url)
    assert first.status == 200 and not first.not_modified
    assert first.body == MINIMAL_RSS
    assert first.url == url
    assert first.headers["etag"] == '"v1"'
    assert first.headers["last-modified"] == LAST_MODIFIED
    assert first.headers["cache-control"] == "max-age=300"
    assert first.headers["content-type"].startswith("application/rss+xml")
    assert all(name == name.lower() for name in first.headers)

    second = await fetcher.fetch(url, etag=first.headers["etag"])
    assert second.status == 304 and second.not_modified and second.body == b""
    assert feed_server.requests[-1].headers["If-None-Match"] == '"v1"'


async def test_304_from_last_modified_alone(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.serve("/feed.xml", last_modified=LAST_MODIFIED)
    result = await fetcher.fetch(url, last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert feed_server.requests[-1].headers["If-Modified-Since"] == LAST_MODIFIED
    assert "If-None-Match" not in feed_server.requests[-1].headers


async def test_request_headers(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    await fetcher.fetch(feed_server.serve("/feed.xml"))
    sent = feed_server.requests[-1].headers
    assert sent["User-Agent"] == DEFAULT_USER_AGENT
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "application/rss+xml" in sent["Accept"]


async def test_gzip_body_is_decoded(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    result = await fetcher.fetch(feed_server.gzip("/feed.xml", MINIMAL_RSS))
    assert result.body == MINIMAL_RSS
    assert "content-encoding" not in result.headers  # the body handed on is already decoded


async def test_content_location_passed_on(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.serve("/feed.xml", headers={"Content-Location": "/canonical.xml"})
    assert (await fetcher.fetch(url)).headers["content-location"] == "/canonical.xml"


# -- limits ---------------------------------------------------------------------------------


async def test_slow_drip_hits_the_total_deadline(feed_server: FeedServer) -> None:
    url = feed_server.slow_drip("/drip.xml", interval=0.2)  # ~70 s for the whole body
    async with HttpFetcher(private_ok(total_timeout_s=1.0)) as fetcher:
        started = time.monotonic()
        error = await fetch_error(fetcher, url)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert str(error) == "timed out after 1 s fetching 127.0.0.1"
    assert not error.permanent


async def test_silent_server_hits_the_deadline(feed_server: FeedServer) -> None:
    url = feed_server.slow("/silent.xml", delay=10)
    async with HttpFetcher(private_ok(total_timeout_s=0.5)) as fetcher:
        error = await fetch_error(fetcher, url)
    assert "timed out after 0.5 s" in str(error)


@pytest.mark.parametrize("declare_length", [False, True])
async def test_size_cap_on_plain_body(feed_server: FeedServer, declare_length: bool) -> None:
    url = feed_server.oversized("/big.xml", 3_000_000, declare_length=declare_length)
    async with HttpFetcher(private_ok(max_bytes=1_000_000)) as fetcher:
        error = await fetch_error(fetcher, url)
    assert str(error) == "response larger than 1000000 bytes from 127.0.0.1"


async def test_size_cap_counts_decompressed_bytes(feed_server: FeedServer) -> None:
    url = feed_server.gzip_bomb("/bomb.xml", 50_000_000)  # ~50 KB on the wire
    async with HttpFetcher(private_ok(max_bytes=1_000_000)) as fetcher:
        error = await fetch_error(fetcher, url)
    assert str(error) == "response larger than 1000000 bytes from 127.0.0.1"


async def test_body_at_the_cap_is_accepted(feed_server: FeedServer) -> None:
    url = feed_server.oversized("/exact.xml", 100_000)
    async with HttpFetcher(private_ok(max_bytes=100_000)) as fetcher:
        assert len((await fetcher.fetch(url)).body) == 100_000


async def test_per_host_concurrency(feed_server: FeedServer) -> None:
    url = feed_server.slow("/slow.xml", delay=0.2)
    async with HttpFetcher(private_ok(per_host=2)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(6)))
    assert all(r.status == 200 for r in results)
    assert feed_server.max_in_flight["/slow.xml"] == 2


async def test_global_concurrency(feed_server: FeedServer) -> None:
    url = feed_server.slow("/slow.xml", delay=0.2)
    async with HttpFetcher(private_ok(concurrency=1, per_host=4)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(url) for _ in range(3)))
    assert feed_server.max_in_flight["/slow.xml"] == 1


def test_limits_refuse_disabling_a_bound() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        HttpLimits(max_bytes=0)
    with pytest.raises(ValueError, match="max_redirects"):
        HttpLimits(max_redirects=-1)


# -- redirects ------------------------------------------------------------------------------


async def test_redirects_are_followed(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    final = feed_server.serve("/feed.xml")
    url = feed_server.redirect("/old", "/feed.xml", status=301)  # relative Location
    result = await fetcher.fetch(url)
    assert result.status == 200 and result.url == final


async def test_redirect_loop(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    error = await fetch_error(fetcher, feed_server.redirect_loop("/a", "/b"))
    base = feed_server.base_url
    assert str(error) == f"redirect loop: {base}/a → {base}/b → {base}/a"


async def test_too_many_redirects(feed_server: FeedServer) -> None:
    feed_server.serve("/feed.xml")
    url = feed_server.redirect_chain("/r", 4, "/feed.xml")
    async with HttpFetcher(private_ok(max_redirects=3)) as fetcher:
        error = await fetch_error(fetcher, url)
    assert str(error) == f"too many redirects (more than 3) starting at {url}"
    async with HttpFetcher(private_ok(max_redirects=4)) as fetcher:
        assert (await fetcher.fetch(url)).url == feed_server.url("/feed.xml")


async def test_redirect_without_location(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.serve("/odd", b"", status=302)
    error = await fetch_error(fetcher, url)
    assert str(error) == "HTTP 302 redirect without a Location header from 127.0.0.1"


# -- HTTP errors ----------------------------------------------------------------------------


async def test_429_retry_after_seconds(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    error = await fetch_error(fetcher, feed_server.too_many_requests("/busy", "120"))
    assert error.retry_after == 120.0
    assert str(error) == "HTTP 429 Too Many Requests from 127.0.0.1 (retry after 120 s)"
    assert not error.permanent


async def test_503_retry_after_http_date(feed_server: FeedServer) -> None:
    clock = FixedClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    url = feed_server.too_many_requests("/down", "Sat, 01 Mar 2025 09:05:00 GMT", status=503)
    async with HttpFetcher(private_ok(), clock=clock) as fetcher:
        error = await fetch_error(fetcher, url)
    assert error.retry_after == 300.0
    assert str(error).startswith("HTTP 503 Service Unavailable from 127.0.0.1")


@pytest.mark.parametrize(
    ("status", "message", "permanent"),
    [
        (404, "HTTP 404 Not Found from 127.0.0.1", False),
        (500, "HTTP 500 Internal Server Error from 127.0.0.1", False),
        (410, "HTTP 410 Gone from 127.0.0.1", True),
        (403, "HTTP 403 Forbidden from 127.0.0.1", False),
    ],
)
async def test_error_statuses(
    feed_server: FeedServer, fetcher: HttpFetcher, status: int, message: str, permanent: bool
) -> None:
    error = await fetch_error(fetcher, feed_server.error(f"/e{status}", status))
    assert str(error) == message
    assert error.permanent is permanent
    assert error.retry_after is None


async def test_html_and_json_bodies_are_fetched_as_is(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    # Deciding that a body is not a feed is the parser's job; the fetcher only transports it.
    html = await fetcher.fetch(feed_server.html("/page"))
    assert html.headers["content-type"].startswith("text/html")
    assert (await fetcher.fetch(feed_server.json("/api"))).body == b'{"items": []}'


def test_parse_retry_after() -> None:
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(" 0 ", now) == 0.0
    later = now + timedelta(minutes=2)
    assert parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"), now) == 120.0
    assert parse_retry_after("Fri, 28 Feb 2025 09:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


# -- network failures -----------------------------------------------------------------------


async def test_connection_refused(fetcher: HttpFetcher) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await fetch_error(fetcher, f"http://127.0.0.1:{port}/feed.xml")
    assert str(error) == f"connection refused by 127.0.0.1:{port}"


async def test_dns_failure() -> None:
    resolver = FakeResolver({})
    async with HttpFetcher(private_ok(), resolver=resolver) as fetcher:
        error = await fetch_error(fetcher, "http://nowhere.test/feed.xml")
    assert str(error) == "DNS lookup failed for nowhere.test"
    assert resolver.asked == ["nowhere.test"]


async def test_fetcher_reopens_after_close(feed_server: FeedServer) -> None:
    fetcher = HttpFetcher(private_ok())
    url = feed_server.serve("/feed.xml")
    assert (await fetcher.fetch(url)).status == 200
    await fetcher.close()
    assert (await fetcher.fetch(url)).status == 200
    await fetcher.close()
