"""The SSRF guard: URL checks, address classes, and refusals on every hop of a real fetch."""

from __future__ import annotations

import pytest

from bot.core.errors import FeedError
from bot.ingest.fetch import HttpFetcher
from bot.ingest.guard import PRIVATE_HINT, AddressPolicy, check_url
from bot.ingest.limits import HttpLimits

from .feedserver import FakeResolver, FeedServer

STRICT = AddressPolicy()
LENIENT = AddressPolicy(allow_private_networks=True)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "the cloud metadata endpoint"),
        ("fd00:ec2::254", "the cloud metadata endpoint"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("100.64.0.1", "a shared (CGNAT) address"),
        ("fc00::1", "a private address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("::ffff:10.0.0.5", "a private address (IPv4 10.0.0.5 embedded in an IPv6 address)"),
        ("::ffff:127.0.0.1", "a loopback address (IPv4 127.0.0.1 embedded in an IPv6 address)"),
        ("64:ff9b::a00:5", "a private address (IPv4 10.0.0.5 embedded in an IPv6 address)"),
        ("2002:a00:5::1", "a private address (IPv4 10.0.0.5 embedded in an IPv6 address)"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refusal = STRICT.refusal(address)
    assert refusal is not None
    assert refusal.startswith(reason)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert STRICT.refusal(address) is None


def test_hint_names_the_setting_only_when_it_would_help() -> None:
    assert STRICT.refusal("10.0.0.5") == f"a private address ({PRIVATE_HINT})"
    assert STRICT.refusal("224.0.0.1") == "a multicast address"


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "::1", "100.64.0.1", "169.254.1.1"])
def test_allow_private_networks_opens_private_ranges(address: str) -> None:
    assert LENIENT.refusal(address) is None


@pytest.mark.parametrize("address", ["169.254.169.254", "0.0.0.0", "224.0.0.1"])
def test_some_addresses_stay_refused_even_when_private_allowed(address: str) -> None:
    assert LENIENT.refusal(address) is not None


def test_allowed_networks_open_exactly_those() -> None:
    policy = AddressPolicy.from_limits(HttpLimits(allowed_networks=("10.1.2.3/32",)))
    assert policy.refusal("10.1.2.3") is None
    assert policy.refusal("10.1.2.4") is not None
    with pytest.raises(ValueError, match="allowed_networks"):
        AddressPolicy.from_limits(HttpLimits(allowed_networks=("intranet",)))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "file:///etc/passwd",
            "refused: file: URLs are not fetched, only http:// and https:// feeds",
        ),
        ("ftp://example.org/feed.xml", "refused: ftp: URLs are not fetched"),
        ("gopher://example.org:70/1", "refused: gopher: URLs are not fetched"),
        ("javascript:alert(1)", "refused: javascript: URLs are not fetched"),
        ("https://user:secret@example.org/feed", "refused: URLs with a user name or password"),
        (
            "http://10.0.0.5/feed",
            "refused: 10.0.0.5 is a private address (set http.allow_private_"
            "networks = true to watch intranet feeds)",
        ),
        ("http://[::1]:8080/feed", "refused: ::1 is a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is the cloud metadata endpoint",
        ),
        ("http://2130706433/", "refused: 2130706433 is not a canonical IP address"),
        ("http://127.1/", "refused: 127.1 is not a canonical IP address"),
        ("http://0x7f.0.0.1/", "refused: 0x7f.0.0.1 is not a canonical IP address"),
        ("example.org/feed.xml", "invalid URL 'example.org/feed.xml': it is not absolute"),
        ("http:///feed.xml", "invalid URL 'http:///feed.xml': it has no host name"),
    ],
)
def test_check_url_refusals(url: str, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        check_url(url, STRICT)
    assert str(caught.value).startswith(message)
    assert caught.value.permanent


def test_check_url_accepts_public_and_returns_parsed() -> None:
    parsed = check_url("https://Example.ORG/feeds/rss.xml?x=1")
    assert parsed.host == "example.org" and parsed.path == "/feeds/rss.xml"
    assert check_url("http://10.0.0.5/feed", LENIENT).host == "10.0.0.5"


# -- the guard inside real fetches ----------------------------------------------------------


async def test_loopback_refused_unless_allowed(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml")
    async with HttpFetcher(HttpLimits()) as fetcher:
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(url)
    assert str(caught.value) == f"refused: 127.0.0.1 is a loopback address ({PRIVATE_HINT})"
    assert caught.value.permanent
    assert feed_server.requests == []  # refused before any connection
    async with HttpFetcher(HttpLimits(allow_private_networks=True)) as fetcher:
        assert (await fetcher.fetch(url)).status == 200


async def test_hostname_resolving_to_private_address_is_refused() -> None:
    resolver = FakeResolver({"intranet.test": ["10.0.0.5"]})
    async with HttpFetcher(HttpLimits(), resolver=resolver) as fetcher:
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch("http://intranet.test/feed.xml")
    assert str(caught.value) == (
        f"refused: intranet.test resolves to 10.0.0.5, a private address ({PRIVATE_HINT})"
    )
    assert resolver.asked == ["intranet.test"]


async def test_one_bad_address_among_good_ones_refuses_the_name() -> None:
    resolver = FakeResolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]})
    async with HttpFetcher(HttpLimits(), resolver=resolver) as fetcher:
        with pytest.raises(FeedError, match=r"mixed\.test resolves to 127\.0\.0\.1, a loopback"):
            await fetcher.fetch("http://mixed.test/feed.xml")


async def test_guard_connects_to_the_checked_address(feed_server: FeedServer) -> None:
    # feeds.test resolves to the loopback server, which allowed_networks opens on its own.
    feed_server.serve("/feed.xml")
    resolver = FakeResolver({"feeds.test": ["127.0.0.1"]})
    limits = HttpLimits(allowed_networks=("127.0.0.1/32",))
    async with HttpFetcher(limits, resolver=resolver) as fetcher:
        result = await fetcher.fetch(f"http://feeds.test:{feed_server.port}/feed.xml")
    assert result.status == 200
    assert feed_server.requests[-1].headers["Host"] == f"feeds.test:{feed_server.port}"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is the cloud metadata endpoint",
        ),
        (
            "http://intranet.test/feed.xml",
            f"refused: intranet.test resolves to 10.0.0.5, a private address ({PRIVATE_HINT})",
        ),
        ("file:///etc/passwd", "refused: file: URLs are not fetched"),
    ],
)
async def test_redirect_hops_are_checked(
    feed_server: FeedServer, target: str, message: str
) -> None:
    url = feed_server.redirect("/moved", target)
    resolver = FakeResolver({"intranet.test": ["10.0.0.5"]})
    limits = HttpLimits(allowed_networks=("127.0.0.1/32",))  # the first hop is allowed
    async with HttpFetcher(limits, resolver=resolver) as fetcher:
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(url)
    assert str(caught.value).startswith(message)
    assert [r.path for r in feed_server.requests] == ["/moved"]


async def test_metadata_endpoint_refused_even_with_private_allowed(feed_server: FeedServer) -> None:
    url = feed_server.redirect("/moved", "http://169.254.169.254/latest/meta-data/")
    async with HttpFetcher(HttpLimits(allow_private_networks=True)) as fetcher:
        with pytest.raises(FeedError, match="cloud metadata endpoint"):
            await fetcher.fetch(url)
