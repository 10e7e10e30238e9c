"""SSRF through the command users type: `watchbot command "feed add URL"` as a process refuses
every forbidden address with a one-line message naming the reason, and stores nothing. The
`http.allow_private_networks` switch is proved both ways against a loopback feed server, and the
fetcher checks again at poll time (a feed stored while the switch was on is refused once it is
off)."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.hostile.runner import FIGURES, Run, run, watchbot, write_config
from tests.ingest.feedserver import MINIMAL_RSS, FeedServer

# The first test waits for the module fixture, which runs every process (two at a time).
pytestmark = pytest.mark.timeout(900)
HINT = "(set http.allow_private_networks = true to watch intranet feeds)"
NOT_CANONICAL = "is not a canonical IP address or a host name"
NOT_FETCHED = "URLs are not fetched, only http:// and https:// feeds"
CREDENTIALS = "URLs with a user name or password are not fetched"

# URL → what the refusal must say.
FORBIDDEN = {
    "http://127.0.0.1/feed.xml": f"127.0.0.1 is a loopback address {HINT}",
    "http://127.1/feed.xml": f"127.1 {NOT_CANONICAL}",
    "http://2130706433/feed.xml": f"2130706433 {NOT_CANONICAL}",
    "http://0x7f000001/feed.xml": f"0x7f000001 {NOT_CANONICAL}",
    "http://0177.0.0.1/feed.xml": f"0177.0.0.1 {NOT_CANONICAL}",
    "http://[::1]/feed.xml": f"::1 is a loopback address {HINT}",
    "http://[::ffff:127.0.0.1]/feed.xml": "a loopback address (IPv4 127.0.0.1 embedded in an IPv6",
    "http://[::ffff:169.254.169.254]/": "is the cloud metadata endpoint (IPv4 169.254.169.254 emb",
    "http://[64:ff9b::7f00:1]/": "a loopback address (IPv4 127.0.0.1 embedded in an IPv6 address)",
    "http://[2002:7f00:1::]/": "a loopback address (IPv4 127.0.0.1 embedded in an IPv6 address)",
    "http://localhost:8080/feed.xml": f"localhost resolves to 127.0.0.1, a loopback address {HINT}",
    "http://10.0.0.1/feed.xml": f"10.0.0.1 is a private address {HINT}",
    "http://172.16.5.4/feed.xml": f"172.16.5.4 is a private address {HINT}",
    "http://192.168.1.1/feed.xml": f"192.168.1.1 is a private address {HINT}",
    "http://[fd00::1]/feed.xml": f"fd00::1 is a private address {HINT}",
    "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is the cloud metadata endpoint",
    "http://[fd00:ec2::254]/latest/": "fd00:ec2::254 is the cloud metadata endpoint",
    "http://169.254.1.1/feed.xml": f"169.254.1.1 is a link-local address {HINT}",
    "http://[fe80::1]/feed.xml": f"fe80::1 is a link-local address {HINT}",
    "http://100.64.0.1/feed.xml": f"100.64.0.1 is a shared (CGNAT) address {HINT}",
    "http://224.0.0.1/feed.xml": "224.0.0.1 is a multicast address",
    "http://[ff02::1]/feed.xml": "ff02::1 is a multicast address",
    "http://240.0.0.1/feed.xml": "240.0.0.1 is a reserved address",
    "http://255.255.255.255/feed.xml": "255.255.255.255 is a reserved address",
    "http://0.0.0.0/feed.xml": "0.0.0.0 is an unspecified address",
    "http://[::]/feed.xml": ":: is an unspecified address",
    "file:///etc/passwd": f"file: {NOT_FETCHED}",
    "ftp://example.com/feed.xml": f"ftp: {NOT_FETCHED}",
    "gopher://example.com/_GET": f"gopher: {NOT_FETCHED}",
    "javascript:alert(1)": f"javascript: {NOT_FETCHED}",
    "data:text/xml,<rss/>": f"data: {NOT_FETCHED}",
    "http://user:secret@example.com/feed.xml": CREDENTIALS,
    "https://token@example.com/feed.xml": CREDENTIALS,
}


def stored_feeds(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "w.db") as db:
        return [url for (url,) in db.execute("select url from feeds")]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, Path]]:
    """Each forbidden URL added by its own process, with its own database."""
    root = tmp_path_factory.mktemp("ssrf")

    def one(number_and_url: tuple[int, str]) -> tuple[Run, Path]:
        number, url = number_and_url
        folder = root / f"u{number}"
        config = write_config(folder)
        result = run([*watchbot(), "command", "-c", str(config), f"feed add {url}"], cwd=folder)
        FIGURES.tried("SSRF URLs (feed add CLI)", url)
        FIGURES.measured(f"feed add {url}", result)
        return result, folder

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(one, enumerate(FORBIDDEN))
        return dict(zip(FORBIDDEN, done, strict=True))


@pytest.mark.parametrize("url", list(FORBIDDEN))
def test_feed_add_refuses_forbidden_address(
    url: str, refusals: dict[str, tuple[Run, Path]]
) -> None:
    result, folder = refusals[url]
    assert result.code == 1, result.describe()
    assert result.seconds < 30, result.describe()  # no DNS or connect hang (most take ~4 s)
    assert "Traceback" not in result.stderr, result.describe()
    assert result.stderr.strip() == result.errors[0], result.describe()  # one line, nothing else
    assert result.errors[0].startswith("watchbot: refused: "), result.describe()
    assert FORBIDDEN[url] in result.errors[0], result.describe()
    assert stored_feeds(folder) == []


async def test_allow_private_networks_switch_on_and_off(tmp_path: Path) -> None:
    async with FeedServer() as server:
        url = server.serve("/feed.xml", MINIMAL_RSS)

        def cli(folder: Path, *args: str) -> Run:
            return run([*watchbot(), *args, "-c", str(folder / "watchbot.toml")], cwd=folder)

        async def in_thread(folder: Path, *args: str) -> Run:
            return await asyncio.to_thread(cli, folder, *args)

        # Off (the default): refused, naming the switch.
        off = tmp_path / "off"
        write_config(off)
        refused = await in_thread(off, "command", f"feed add {url}")
        assert refused.code == 1, refused.describe()
        assert refused.errors == [f"watchbot: refused: 127.0.0.1 is a loopback address {HINT}"]
        assert server.requests == []

        # On: the loopback feed is added and polled.
        on = tmp_path / "on"
        write_config(on, "[http]\nallow_private_networks = true\n")
        added = await in_thread(on, "command", f"feed add {url} Intranet")
        assert added.code == 0, added.describe()
        assert "Added feed #1 “Intranet”" in added.stdout
        polled = await in_thread(on, "poll")
        assert polled.code == 0, polled.describe()
        assert "1 new item(s), 0 feed error(s)" in polled.stderr, polled.describe()
        assert len(server.requests) == 1

        # Switched off again: the stored feed is refused when it is fetched, not only when added.
        write_config(on)
        again = await in_thread(on, "poll")
        assert "#1 Intranet: error: refused: 127.0.0.1 is a loopback address" in again.stderr, (
            again.describe()
        )
        assert len(server.requests) == 1
        for name, result in (("off", refused), ("on", added), ("poll", polled)):
            FIGURES.measured(f"allow_private_networks {name}", result)
