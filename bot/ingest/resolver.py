"""GuardedResolver: the SSRF guard inside aiohttp's connector (see guard.py for the policy).

A module of its own so that aiohttp, which it subclasses, is imported only where a fetch happens.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.ingest.guard import AddressPolicy, refused


class GuardedResolver(AbstractResolver):
    """Resolves through `inner`, then refuses the whole answer if any address is not allowed.

    Refusing rather than filtering keeps the outcome explicit: a name with one private address
    among public ones is a misconfiguration or an attack, and the error says which.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._owns_inner = inner is None
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The inner resolver's answer, checked address by address."""
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise OSError(f"DNS lookup for {host} returned no addresses")
        for result in results:
            try:
                reason = self._policy.refusal(result["host"])
            except ValueError:
                reason = "not an IP address"
            if reason:
                raise refused(f"{host} resolves to {result['host']}, {reason}")
        return results

    async def close(self) -> None:
        """Close the inner resolver if this guard created it."""
        if self._owns_inner:
            await self._inner.close()
