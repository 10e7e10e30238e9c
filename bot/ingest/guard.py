"""SSRF guard: which URLs and which IP addresses the fetcher may talk to.

Two checks, both needed. `check_url` runs on every URL before a request (the feed URL and each
redirect target): scheme, credentials, port and literal IP hosts. `GuardedResolver`
(resolver.py) sits inside aiohttp's connector and vets every address DNS returns with
`AddressPolicy.refusal`, so the address actually connected to is the one that was checked (no
time-of-check/time-of-use gap, DNS rebinding included). aiohttp does not call the resolver for
literal IPs, which is why `check_url` checks those itself. This module does not import aiohttp:
commands that never fetch do not pay for it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from yarl import URL

from bot.core.errors import FeedError
from bot.ingest.limits import HttpLimits

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
PRIVATE_HINT = "set http.allow_private_networks = true to watch intranet feeds"
# No feed lives on a cloud metadata endpoint, and reaching one leaks credentials: refused even when
# private networks are allowed (an explicit `allowed_networks` entry still wins).
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # not "private" to ipaddress, yet not public
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv6 addresses that a NAT64 gateway maps to IPv4
# Legacy numeric hosts that resolvers map to addresses: 2130706433, 0x7f.1, 127.1, 0177.0.0.1.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}\.?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which IP addresses may be connected to."""

    allow_private_networks: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_limits(cls, limits: HttpLimits) -> AddressPolicy:
        """The policy configured in `limits`; ValueError names a malformed CIDR."""
        networks = []
        for cidr in limits.allowed_networks:
            try:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"http.allowed_networks: {cidr!r} is not a network: {exc}"
                ) from exc
        return cls(limits.allow_private_networks, tuple(networks))

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why `address` must not be connected to ("a private address"...), or None if it may."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        embedded = _embedded_ipv4(ip)
        # An IPv6 address that carries an IPv4 one (mapped, 6to4, NAT64) reaches that IPv4 host:
        # judge the host it reaches.
        judged = embedded or ip
        if any(a in net for a in (ip, judged) for net in self.allowed_networks):
            return None
        found = _classify(judged)
        if found is None:
            return None
        what, overridable = found
        if embedded is not None:
            what += f" (IPv4 {embedded} embedded in an IPv6 address)"
        if overridable and self.allow_private_networks:
            return None
        return what + (f" ({PRIVATE_HINT})" if overridable else "")


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _classify(ip: IPAddress) -> tuple[str, bool] | None:
    """(description, may allow_private_networks lift it) for a non-public address, else None."""
    plain = ipaddress.ip_address(str(ip).split("%", 1)[0])  # scope ids do not change the class
    if plain in METADATA_ADDRESSES:
        return "the cloud metadata endpoint", False
    if plain.is_unspecified:
        return "an unspecified address", False
    if plain.is_multicast:
        return "a multicast address", False
    if plain.is_loopback:
        return "a loopback address", True
    if plain.is_link_local:
        return "a link-local address", True
    if isinstance(plain, ipaddress.IPv4Address) and plain in _CGNAT:
        return "a shared (CGNAT) address", True
    if plain.is_reserved:
        return "a reserved address", False
    if plain.is_private:
        return "a private address", True
    if not plain.is_global:
        return "a non-public address", True
    return None


def refused(message: str) -> FeedError:
    """The FeedError for a URL or address the policy forbids."""
    # A policy refusal does not go away by retrying: permanent, so the feed is not hammered.
    return FeedError(f"refused: {message}", permanent=True)


def check_url(url: str | URL, policy: AddressPolicy | None = None) -> URL:
    """Parse `url` and vet what can be vetted before DNS; returns the parsed URL.

    Raises FeedError(permanent=True) naming the reason: not http(s), credentials in the URL, no
    host, a bad port, or a literal IP address the policy refuses.
    """
    policy = policy or AddressPolicy()
    try:
        parsed = url if isinstance(url, URL) else URL(url.strip())
        port = parsed.port
    except (ValueError, TypeError) as exc:
        raise FeedError(f"invalid URL {str(url)!r}: {exc}", permanent=True) from exc
    if not parsed.scheme:
        raise FeedError(
            f"invalid URL {str(url)!r}: it is not absolute (no http:// or https://)", permanent=True
        )
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise refused(f"{scheme}: URLs are not fetched, only http:// and https:// feeds")
    if parsed.user is not None or parsed.password is not None:
        raise refused(
            "URLs with a user name or password are not fetched (they would be sent along every "
            "redirect and written to logs)"
        )
    host = parsed.host
    if not host:
        raise FeedError(f"invalid URL {str(url)!r}: it has no host name", permanent=True)
    if port is not None and not 0 < port < 65536:
        raise FeedError(f"invalid URL {str(url)!r}: port {port} is out of range", permanent=True)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        reason = policy.refusal(literal)
        if reason:
            raise refused(f"{host} is {reason}")
    elif _NUMERIC_HOST.match(host):
        # Resolvers expand these to addresses ("127.1" is 127.0.0.1); no real feed host looks so.
        raise refused(f"{host} is not a canonical IP address or a host name")
    return parsed
