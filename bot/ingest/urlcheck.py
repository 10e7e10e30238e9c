"""Vets feed URLs that users add through commands, before they are stored."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from bot.core.errors import FeedError
from bot.ingest.guard import AddressPolicy, check_url
from bot.ingest.limits import HttpLimits

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver


class GuardUrlChecker:
    """Scheme, credentials and literal-address checks, then DNS: a name that resolves to a
    forbidden address is refused with the reason. A name that does not resolve now is accepted —
    the fetcher checks again on every connection, so nothing slips through later."""

    def __init__(self, limits: HttpLimits, resolver: AbstractResolver | None = None) -> None:
        self.policy = AddressPolicy.from_limits(limits)
        self.resolver = resolver

    async def check(self, url: str) -> None:
        """Raise FeedError naming why `url` may not be watched."""
        parsed = check_url(url, self.policy)
        host = parsed.host or ""
        try:
            ipaddress.ip_address(host)
            return  # literal addresses were fully checked by check_url
        except ValueError:
            pass
        from bot.ingest.resolver import GuardedResolver  # aiohttp: only when a name is looked up

        guard = GuardedResolver(self.policy, self.resolver)
        try:
            await guard.resolve(host, parsed.port or 0)
        except FeedError:
            raise
        except OSError:
            return
        finally:
            await guard.close()
