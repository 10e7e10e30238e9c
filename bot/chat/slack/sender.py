"""SlackSender: the core's ChatSender for Slack — chat.postMessage, paced, and never twice.

Crash safety: the outbox records a delivery before sending and marks it sent after, so a crash in
between means the delivery is sent again on restart. Every post therefore carries its delivery key
in message metadata, and before posting a key this process has not itself seen succeed (or fail
in a way that proves nothing was posted) the sender reads the channel's recent history for it: if
the message is there, its `ts` is returned instead of posting again. A digest split into several
messages uses part keys `key#1`, `key#2`…, so a half-sent digest resumes with the missing parts.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.blocks import SlackPost, render
from bot.chat.slack.errors import NETWORK_ERRORS, delivery_error, is_definite
from bot.chat.slack.history import find_posted, item_of_message, metadata
from bot.chat.slack.pacing import ChannelPacer
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage
from bot.core.models import Channel

log = logging.getLogger("watchbot.slack")


class _Lru(OrderedDict[str, str]):
    """A bounded map: the process only needs to remember recent keys."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class SlackSender:
    """Renders core messages as Block Kit and posts them with a bot token."""

    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        pacer: ChannelPacer | None = None,
        wall_clock: Callable[[], float] = time.time,
        lookback_s: float = 3 * 86400.0,
        memory: int = 10_000,
    ) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        self._wall = wall_clock
        self.lookback_s = lookback_s  # how far back history is searched for an earlier post
        self._posted = _Lru(memory)  # key → ts, posted (or found) by this process
        self._unposted = _Lru(memory)  # keys whose last attempt certainly posted nothing
        self._alerts = _Lru(memory)  # "channel ts" → item id, for reactions
        self._bot_id: str | None = None
        self._identified = False

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str | None:
        """Post `message` to the channel (several posts for a long digest); returns the first
        message's ts. Raises DeliveryError (permanent or retryable) and TypeError for a message
        type without a renderer."""
        posts = render(message)
        target = channel.target
        if not target:
            raise DeliveryError(f"{channel.ref} has no Slack channel ID", permanent=True)
        keys = (
            [idempotency_key]
            if len(posts) == 1
            else [f"{idempotency_key}#{n}" for n in range(1, len(posts) + 1)]
        )
        extra: dict[str, str | int] = {}
        if isinstance(message, AlertMessage):
            extra = {"kind": "alert", "item_id": message.line.item_id}
        unknown = [k for k in keys if k not in self._posted and k not in self._unposted]
        found: dict[str, str] = {}
        if unknown:
            found = await find_posted(
                self.client,
                target,
                unknown,
                oldest=self._wall() - self.lookback_s,
                bot_id=await self._whoami(target),
            )
            if found:
                log.info(
                    "slack.already_posted",
                    extra={"channel": channel.ref, "key": idempotency_key, "parts": len(found)},
                )
        first: str | None = None
        for n, (post, key) in enumerate(zip(posts, keys, strict=True), 1):
            ts = self._posted.get(key) or found.get(key)
            if ts is None:
                parts: dict[str, str | int] = (
                    {"part": n, "parts": len(posts)} if len(posts) > 1 else {}
                )
                ts = await self._post(target, post, key, {**extra, **parts})
            self._posted.put(key, ts)
            first = first or ts
        if first is not None and isinstance(message, AlertMessage):
            self._alerts.put(f"{target} {first}", str(message.line.item_id))
        return first

    async def item_for_message(self, channel_id: str, ts: str) -> int | None:
        """The item an alert message is about, from memory or from the message's metadata."""
        known = self._alerts.get(f"{channel_id} {ts}")
        if known is not None:
            return int(known)
        try:
            bot_id = await self._whoami(channel_id)
        except DeliveryError:
            bot_id = None
        return await item_of_message(self.client, channel_id, ts, bot_id=bot_id)

    async def _post(
        self, target: str, post: SlackPost, key: str, extra: dict[str, str | int]
    ) -> str:
        async with self.pacer.slot(target):
            try:
                resp = await self.client.chat_postMessage(
                    channel=target, metadata=metadata(key, **extra), **post.payload()
                )
            except SlackApiError as exc:
                self._note_failure(key, exc)
                raise delivery_error(exc, "chat.postMessage", target) from exc
            except NETWORK_ERRORS as exc:
                self._note_failure(key, exc)
                raise delivery_error(exc, "chat.postMessage", target) from exc
        self._unposted.pop(key, None)
        return str(resp.get("ts"))

    def _note_failure(self, key: str, exc: BaseException) -> None:
        # A clear refusal means nothing was posted: the retry need not search history. A timeout
        # or a 5xx may hide a post that went through, so the retry searches.
        if is_definite(exc):
            self._unposted.put(key, "")
        else:
            self._unposted.pop(key, None)

    async def _whoami(self, target: str) -> str | None:
        """Our bot id (auth.test, asked once), to ignore other apps' look-alike metadata."""
        if not self._identified:
            try:
                resp = await self.client.auth_test()
            except SlackApiError as exc:
                raise delivery_error(exc, "auth.test", target) from exc
            except NETWORK_ERRORS as exc:
                raise delivery_error(exc, "auth.test", target) from exc
            bot_id = resp.get("bot_id")
            self._bot_id = str(bot_id) if bot_id else None
            self._identified = True
        return self._bot_id
