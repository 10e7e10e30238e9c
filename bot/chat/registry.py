"""Which chat adapters run: each platform whose credentials are in the environment.

A platform's library (slack_bolt, discord.py, aiohttp's web server) is imported only when its
adapter is built: `watchbot ingest` and the other one-shot commands without chat credentials
load none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.chat.base import ChatAdapter, ChatPorts, ChatSettings  # aiohttp.web: see above


def build_adapters(settings: ChatSettings, ports: ChatPorts) -> list[ChatAdapter]:
    """Slack when SLACK_BOT_TOKEN is set; Discord when DISCORD_TOKEN is set or a channel posts
    through a webhook. The console needs no adapter beyond its sender."""
    adapters: list[ChatAdapter] = []
    secrets = settings.secrets
    if secrets.slack_bot_token is not None:
        from bot.chat.slack.adapter import create as create_slack

        adapters.append(create_slack(settings, ports.commands, ports.feedback, clock=ports.clock))
    uses_webhooks = any(c.platform == "discord" and c.webhook_env for c in settings.channels)
    if secrets.discord_token is not None or uses_webhooks:
        from bot.chat.discord.adapter import create as create_discord

        adapters.append(create_discord(settings, ports))
    return adapters
