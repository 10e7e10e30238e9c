"""DiscordSender: posts rendered messages as the bot into a channel, or through a webhook.

A channel with `webhook_env` posts through the webhook whose URL that variable holds (no bot
needed); any other channel posts as the bot into the channel whose id is `channel.target`.

Idempotency: bot messages carry a nonce derived from the delivery key with `enforce_nonce`, so
when a send succeeded but we crashed before recording it, the resend returns the message Discord
already has (Discord remembers nonces for a few minutes). Each part of a multi-message digest has
its own key (`key#2`…), and parts already sent by this process are not sent again when a later
part fails. Webhooks have no nonce: a crash between Discord's answer and our record can repeat
a message there.

A follow-up (a later source of a story) edits the story's first alert so its embed lists every
source: an edit is naturally idempotent, a resend applies the same edit. When that message has
gone, the follow-up is posted as a new message instead (bot: with the key's nonce).

Charts go out as file uploads with their message (multipart/form-data); each attempt builds fresh
discord.File objects, and the part carrying them keeps its nonce like any other.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp
import discord

from bot.chat.discord.api import fail_fast, fail_fast_trace
from bot.chat.discord.client import MAX_RATE_LIMIT_WAIT_S, BotSession
from bot.chat.discord.embeds import Rendered, render
from bot.chat.discord.errors import cannot_edit, translate
from bot.chat.discord.files import to_files
from bot.chat.discord.webhooks import WebhookRef, webhook_from_env
from bot.core.errors import DeliveryError
from bot.core.messages import FollowUpMessage
from bot.core.models import Channel

log = logging.getLogger("watchbot.discord")
NO_MENTIONS = discord.AllowedMentions.none()
_REMEMBERED_PARTS = 2000
T = TypeVar("T")


def nonce_for(key: str) -> str:
    """A 25-character nonce (Discord's maximum) that is the same for the same key."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def part_key(key: str, index: int) -> str:
    """The idempotency key of part `index` (0-based) of a message; part 0 keeps the key."""
    return key if index == 0 else f"{key}#{index + 1}"


class DiscordSender:
    """ChatSender for `discord:` channels."""

    platform = "discord"

    def __init__(
        self,
        bot: BotSession | None,
        *,
        environ: Mapping[str, str],
        api_host: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.bot = bot
        self.environ = environ
        self.api_host = api_host  # host[:port] of WATCHBOT_DISCORD_API_URL, allowed for webhooks
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._sent: OrderedDict[str, str] = OrderedDict()

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str | None:
        """Render and post `message`; returns the id of the first Discord message (for a
        follow-up: the edited alert's id, or the new message's when that alert has gone)."""
        if isinstance(message, FollowUpMessage):
            return await self.follow_up(channel, message, idempotency_key=idempotency_key)
        parts = render(message)
        ids: list[str] = []
        for index, part in enumerate(parts):
            key = part_key(idempotency_key, index)
            known = self._sent.get(key)
            if known is None:
                known = await self.post(channel, part, nonce=nonce_for(key))
                self._remember(key, known)
            ids.append(known)
        log.info(
            "discord.sent",
            extra={"channel": channel.ref, "messages": len(ids), "message_id": ids[0]},
        )
        return ids[0] if ids else None

    async def follow_up(
        self, channel: Channel, message: FollowUpMessage, *, idempotency_key: str
    ) -> str:
        """Edit the story's first alert to list every source; post anew if it has gone.

        Nothing is remembered: re-applying the edit is harmless, and the fallback post carries
        the key's nonce, so a resend after a crash returns the message already posted.
        """
        [part] = render(message)
        edited = await self.edit(channel, message.parent_id, part)
        if edited is not None:
            log.info("discord.edited", extra={"channel": channel.ref, "message_id": edited})
            return edited
        log.info(
            "discord.followup_posted_anew",
            extra={"channel": channel.ref, "parent": message.parent_id},
        )
        return await self.post(channel, part, nonce=nonce_for(idempotency_key))

    async def edit(self, channel: Channel, message_id: str, part: Rendered) -> str | None:
        """Replace the embeds of a message posted to `channel` (its content line stays).

        Returns its id, or None when there is nothing we can edit: the message was deleted, is
        not ours, or `message_id` is no Discord id. Other failures: DeliveryError.
        """
        if not message_id.isdigit():
            return None
        if channel.webhook_env:
            hook = webhook_from_env(channel.webhook_env, self.environ, extra_host=self.api_host)
            call = self._edit_webhook(hook, int(message_id), part)
            return await self._guarded(call, f"the webhook in {hook.env}")
        channel_id = self._channel_id(channel)
        call = self._edit_bot(channel_id, int(message_id), part)
        return await self._guarded(call, f"channel {channel_id}")

    async def post(self, channel: Channel, part: Rendered, *, nonce: str) -> str:
        """Post one rendered message; DeliveryError on any failure."""
        if channel.webhook_env:
            hook = webhook_from_env(channel.webhook_env, self.environ, extra_host=self.api_host)
            where = f"the webhook in {hook.env}"
            return await self._guarded(self._post_webhook(hook, part), where)
        channel_id = self._channel_id(channel)
        return await self._guarded(self._post_bot(channel_id, part, nonce), f"channel {channel_id}")

    async def _guarded(self, call: Coroutine[Any, Any, T], where: str) -> T:
        """Await one request with the time limit and fail-fast hooks; failures → DeliveryError."""
        try:
            with fail_fast():
                async with asyncio.timeout(self.timeout_s):
                    return await call
        except DeliveryError:
            raise
        except Exception as exc:
            raise translate(exc, where) from exc

    def _channel_id(self, channel: Channel) -> int:
        target = channel.target
        if not target.isdigit():
            raise DeliveryError(
                f"{channel.ref}: a Discord channel target must be the channel ID "
                "(Developer Mode → right-click the channel → Copy Channel ID) or set webhook_env",
                permanent=True,
            )
        return int(target)

    async def _client(self, channel_id: int) -> discord.Client:
        if self.bot is None:
            raise DeliveryError(
                f"channel {channel_id} posts as the bot but DISCORD_TOKEN is not set; "
                "set it, or give the channel a webhook_env",
                permanent=True,
            )
        return await self.bot.ensure_login()

    async def _post_bot(self, channel_id: int, part: Rendered, nonce: str) -> str:
        client = await self._client(channel_id)
        target = client.get_partial_messageable(channel_id)
        sent = await target.send(
            content=part.content,
            embeds=list(part.embeds),
            files=to_files(part.files) or discord.utils.MISSING,
            allowed_mentions=NO_MENTIONS,
            nonce=nonce,  # discord.py adds enforce_nonce=true to every nonce it sends
        )
        return str(sent.id)

    async def _edit_bot(self, channel_id: int, message_id: int, part: Rendered) -> str | None:
        client = await self._client(channel_id)
        message = client.get_partial_messageable(channel_id).get_partial_message(message_id)
        return await _edited(message.edit(embeds=list(part.embeds), allowed_mentions=NO_MENTIONS))

    def _webhook(self, hook: WebhookRef) -> discord.Webhook:
        return discord.Webhook.partial(hook.id, hook.token, session=self._http())

    async def _post_webhook(self, hook: WebhookRef, part: Rendered) -> str:
        sent = await self._webhook(hook).send(
            content=part.content or discord.utils.MISSING,
            embeds=list(part.embeds),
            files=to_files(part.files) or discord.utils.MISSING,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )
        return str(sent.id)

    async def _edit_webhook(self, hook: WebhookRef, message_id: int, part: Rendered) -> str | None:
        webhook = self._webhook(hook)
        return await _edited(
            webhook.edit_message(message_id, embeds=list(part.embeds), allowed_mentions=NO_MENTIONS)
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                trace_configs=[fail_fast_trace(MAX_RATE_LIMIT_WAIT_S)],
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )
        return self._session

    def _remember(self, key: str, message_id: str) -> None:
        self._sent[key] = message_id
        while len(self._sent) > _REMEMBERED_PARTS:
            self._sent.popitem(last=False)

    async def aclose(self) -> None:
        """Close the webhook HTTP session (the bot session belongs to the adapter)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


async def _edited(edit: Awaitable[discord.Message]) -> str | None:
    """The id of the message `edit` edits; None when Discord says it cannot be edited (gone, or
    not ours). Other failures propagate, for `translate`."""
    try:
        edited = await edit
    except discord.HTTPException as exc:
        if cannot_edit(exc):
            return None
        raise
    return str(edited.id)
