"""The small interfaces between the app and the chat platform adapters.

An adapter gets only what it uses: the settings it reads (`SlackSettings`, `DiscordSettings`) and
the core's ports it calls (`bot.core.ports.ChatPorts`). It never sees the composition root, so it cannot reach
the poller, the dispatcher or the store behind the core's back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.core.ports import ChatPorts, ChatSender

__all__ = ["ChatAdapter", "ChatPorts", "ChatSettings", "DiscordSettings", "SlackSettings"]

if TYPE_CHECKING:
    from bot.config import ChannelConfig, DiscordConfig, Secrets, SlackConfig

WebExtension = Callable[[web.Application], None]


class ChatAdapter(Protocol):
    """One chat platform: its outbound sender, optional web routes, and its connection lifecycle.

    `start()` connects (Socket Mode, the Discord gateway...) and returns once connected or when the
    platform needs no connection; `stop()` disconnects. Neither contains business logic: inbound
    events become `commands.execute(...)` calls, outbound messages go through `sender`.
    """

    platform: str
    sender: ChatSender

    def web_extensions(self) -> list[WebExtension]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SlackSettings(Protocol):
    """The configuration the Slack adapter reads: its tokens and its admin list."""

    @property
    def secrets(self) -> Secrets: ...

    @property
    def slack(self) -> SlackConfig: ...


class DiscordSettings(Protocol):
    """The configuration the Discord adapter reads: token, guilds, admins, webhook channels."""

    @property
    def secrets(self) -> Secrets: ...

    @property
    def discord(self) -> DiscordConfig: ...

    @property
    def channels(self) -> Sequence[ChannelConfig]: ...


class ChatSettings(SlackSettings, DiscordSettings, Protocol):
    """The configuration that decides which adapters run (and that they read)."""
