"""The Discord adapter: the sender, the `/watch` commands and the gateway connection.

With DISCORD_TOKEN, `start()` logs in, syncs the commands (to the configured guilds, which is
instant, or globally, which Discord may take up to an hour to show) and runs the gateway in a
background task for interactions and reactions. Without a token only webhook channels work and
nothing connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.chat.base import ChatPorts, DiscordSettings, WebExtension
from bot.chat.discord.api import install_redaction, use_api_base
from bot.chat.discord.client import BotSession, build_client
from bot.chat.discord.commands import Suggestions, build_watch_group
from bot.chat.discord.interactions import CommandRunner
from bot.chat.discord.reactions import ReactionFeedback
from bot.chat.discord.sender import DiscordSender
from bot.chat.discord.webhooks import api_host, webhook_from_env
from bot.core.errors import ConfigError, DeliveryError
from bot.core.ports import ChatSender

if TYPE_CHECKING:
    from bot.config import DiscordConfig

log = logging.getLogger("watchbot.discord")


class DiscordAdapter:
    """ChatAdapter for Discord."""

    platform = "discord"

    def __init__(
        self,
        ports: ChatPorts,
        config: DiscordConfig,
        *,
        token: str | None,
        api_url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        install_redaction()
        use_api_base(api_url)
        self.ports = ports
        self.admins = frozenset(config.admins)
        self.guild_ids = list(config.guild_ids)
        self.bot = BotSession(build_client(), token, custom_api=bool(api_url)) if token else None
        self.discord_sender = DiscordSender(
            self.bot, environ=os.environ if environ is None else environ, api_host=api_host(api_url)
        )
        self.sender: ChatSender = self.discord_sender  # the protocol's attribute is invariant
        self.tree: app_commands.CommandTree[discord.Client] | None = None
        self.feedback: ReactionFeedback | None = None
        self._gateway: asyncio.Task[None] | None = None
        if self.bot is not None:
            self._wire(self.bot.client)

    def _wire(self, client: discord.Client) -> None:
        runner = CommandRunner(self.ports.commands, self.admins)
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        tree.add_command(build_watch_group(runner, Suggestions(self.ports.catalogue)))
        tree.error(runner.on_error)
        self.tree = tree
        self.feedback = ReactionFeedback(client, self.ports.feedback)
        feedback = self.feedback

        async def on_raw_reaction_add(event: discord.RawReactionActionEvent) -> None:
            await feedback.on_reaction(event)

        client.event(on_raw_reaction_add)

    def web_extensions(self) -> list[WebExtension]:
        """Discord needs no inbound HTTP: interactions arrive over the gateway."""
        return []

    async def start(self) -> None:
        """Log in, sync commands and connect the gateway in the background (bot mode only)."""
        if self.bot is None:
            log.info("discord.webhook_only")
            return
        try:
            await self.bot.ensure_login()
        except discord.LoginFailure:
            raise ConfigError(
                "Discord rejected DISCORD_TOKEN; copy the bot token again from the Developer "
                "Portal (your application → Bot → Reset Token)"
            ) from None
        except (discord.HTTPException, OSError) as exc:
            raise ConfigError(f"cannot log in to Discord: {exc}") from None
        await self.sync_commands()
        self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")

    async def sync_commands(self) -> None:
        """Register `/watch` with Discord: per configured guild (instant) or globally."""
        assert self.tree is not None
        try:
            if self.guild_ids:
                for gid in self.guild_ids:
                    guild = discord.Object(id=gid)
                    self.tree.copy_global_to(guild=guild)
                    await self.tree.sync(guild=guild)
            else:
                await self.tree.sync()
        except discord.HTTPException as exc:
            # Typically 50001: the bot was invited without the applications.commands scope, or
            # is not in that guild. Deliveries still work, so report and go on.
            log.error(
                "discord.sync_failed",
                extra={
                    "error": str(exc),
                    "hint": "re-invite the bot with the bot and applications.commands scopes",
                },
            )
            return
        log.info(
            "discord.commands_synced",
            extra={"scope": "guilds" if self.guild_ids else "global", "guilds": self.guild_ids},
        )

    async def _run_gateway(self) -> None:
        assert self.bot is not None
        try:
            await self.bot.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the gateway gave up (bad intents, revoked token...)
            log.error("discord.gateway_stopped", exc_info=exc, extra={"error": repr(exc)})

    async def stop(self) -> None:
        """Close the gateway and HTTP sessions; safe to call twice."""
        if self.bot is not None:
            await self.bot.close()
        if self._gateway is not None:
            self._gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gateway
            self._gateway = None
        await self.discord_sender.aclose()


def create(settings: DiscordSettings, ports: ChatPorts) -> DiscordAdapter:
    """The adapter for these settings; warns about webhook channels it cannot use."""
    secrets = settings.secrets
    token = secrets.discord_token.get_secret_value() if secrets.discord_token else None
    adapter = DiscordAdapter(
        ports, settings.discord, token=token, api_url=secrets.watchbot_discord_api_url
    )
    _check_webhooks(settings, adapter.discord_sender)
    return adapter


def _check_webhooks(settings: DiscordSettings, sender: DiscordSender) -> None:
    for channel in settings.channels:
        if channel.platform != "discord" or not channel.webhook_env:
            continue
        try:
            webhook_from_env(channel.webhook_env, sender.environ, extra_host=sender.api_host)
        except DeliveryError as exc:
            log.warning(
                "discord.webhook_unusable", extra={"channel": channel.name, "error": str(exc)}
            )
