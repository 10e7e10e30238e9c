"""Attacks that only exist over HTTP: bombs, oversized and dripping bodies, redirects, statuses.

`install(server)` adds them to a FeedServer and returns what each must end as;
`install_slow(server)` adds the two that only a deadline stops. They are measured against `LIMITS`
and `SLOW_LIMITS` (a 2 s deadline keeps those short).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

from bot.ingest.limits import HttpLimits
from bot.ingest.prolog import ENTITIES_REFUSED
from tests.hostile.corpus import billion_laughs, rss
from tests.ingest.feedserver import RSS_TYPE, Canned, FeedServer

# The shipped deadline (20 s): feeds parsed and classified in the same cycle hold the event loop
# for seconds at a time, which a 2 s deadline would charge to the fetches in flight.
LIMITS = HttpLimits(allow_private_networks=True)
SLOW_LIMITS = HttpLimits(total_timeout_s=2.0, connect_timeout_s=2.0, allow_private_networks=True)
TOO_LARGE = f"response larger than {LIMITS.max_bytes} bytes"


@dataclass(frozen=True)
class Attack:
    """A route on the server and the fragment of the feed error it must produce."""

    name: str
    url: str
    refused: str


@functools.cache
def deflate_bomb(size: int = 60_000_000) -> bytes:
    """A zlib ("deflate") stream of `size` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 15)
    block = bytes(1_000_000)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, packer.flush()])


def gzipped(body: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()


def install(server: FeedServer) -> list[Attack]:
    """Add every network attack to `server`."""
    gzip_headers = {"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"}
    deflate_headers = {"Content-Type": RSS_TYPE, "Content-Encoding": "deflate"}
    return [
        Attack("gzip-bomb", server.gzip_bomb("/net/gzip-bomb", 60_000_000), TOO_LARGE),
        Attack(
            "deflate-bomb",
            server.add("/net/deflate-bomb", Canned(deflate_bomb(), headers=deflate_headers)),
            TOO_LARGE,
        ),
        Attack(
            "gzipped-billion-laughs",
            server.add("/net/gzip-laughs", Canned(gzipped(billion_laughs()), headers=gzip_headers)),
            ENTITIES_REFUSED,
        ),
        Attack(
            "corrupt-gzip",
            server.add(
                "/net/corrupt-gzip", Canned(b"\x1f\x8bnot gzip at all", headers=gzip_headers)
            ),
            "badly encoded",
        ),
        Attack("oversized-streamed", server.oversized("/net/big", 8_000_000), TOO_LARGE),
        Attack(
            "oversized-declared",
            server.oversized("/net/big-declared", 8_000_000, declare_length=True),
            TOO_LARGE,
        ),
        Attack(
            "redirect-loop", server.redirect_loop("/net/loop-a", "/net/loop-b"), "redirect loop"
        ),
        Attack(
            "redirect-chain",
            server.redirect_chain("/net/chain", 12, "/net/never"),
            "too many redirects",
        ),
        Attack(
            "redirect-to-file",
            server.redirect("/net/to-file", "file:///etc/passwd"),
            "refused: file: URLs are not fetched",
        ),
        Attack(
            "redirect-to-metadata",
            server.redirect("/net/to-metadata", "http://169.254.169.254/latest/meta-data/"),
            "the cloud metadata endpoint",
        ),
        Attack(
            "redirect-to-credentials",
            server.redirect("/net/to-creds", "http://user:secret@127.0.0.1/feed.xml"),
            "user name or password",
        ),
        Attack("html-instead", server.html("/net/html"), "not a feed: the server returned an HTML"),
        Attack("json-instead", server.json("/net/json"), "not a feed: JSON document"),
        Attack("rate-limited", server.too_many_requests("/net/429", "3600"), "HTTP 429"),
        Attack("server-error", server.error("/net/500"), "HTTP 500"),
    ]


def install_slow(server: FeedServer) -> list[Attack]:
    """A body dripped a byte at a time (~90 s in all) and a server that never answers."""
    drip_body = rss("<item><title>Troops</title></item>" * 50).encode()
    return [
        Attack(
            "slow-drip",
            server.slow_drip("/net/drip", drip_body, interval=0.05),
            "timed out after 2 s",
        ),
        Attack("silent-server", server.slow("/net/silent", delay=30), "timed out after 2 s"),
    ]
