"""The small interface every chat platform adapter offers to the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from bot.core.ports import ChatSender

WebExtension = Callable[[web.Application], None]


class ChatAdapter(Protocol):
    """One chat platform: its outbound sender, optional web routes, and its connection lifecycle.

    `start()` connects (Socket Mode, the Discord gateway...) and returns once connected or when the
    platform needs no connection; `stop()` disconnects. Neither contains business logic: inbound
    events become `app.commands.execute(...)` calls, outbound messages go through `sender`.
    """

    platform: str
    sender: ChatSender

    def web_extensions(self) -> list[WebExtension]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
