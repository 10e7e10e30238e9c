"""SlackSender: the core's ChatSender for Slack — chat.postMessage, paced, and never twice.

Crash safety: the outbox records a delivery before sending and marks it sent after, so a crash in
between means the delivery is sent again on restart. Every post therefore carries its delivery key
in message metadata, and before posting a key this process has not itself seen succeed (or fail
in a way that proves nothing was posted) the sender reads the channel's recent history for it: if
the message is there, its `ts` is returned instead of posting again. A digest split into several
messages uses part keys `key#1`, `key#2`…, so a half-sent digest resumes with the missing parts.

A follow-up (a later source of a story) is a reply in the thread of the story's first alert; its
check reads that thread (conversations.replies), and when the alert was deleted it goes to the
channel instead. Attachments (charts) are uploaded after the message, into its thread, with part
keys `key#file`; a file carries no metadata, so the check looks for its name and title there.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.blocks import SlackPost, render
from bot.chat.slack.errors import (
    NETWORK_ERRORS,
    THREAD_GONE,
    ThreadGone,
    delivery_error,
    error_code,
    is_definite,
)
from bot.chat.slack.files import attachments_of, file_keys, share, title_of
from bot.chat.slack.history import find_files, find_posted, item_of_message, metadata
from bot.chat.slack.pacing import ChannelPacer
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage, Attachment, FollowUpMessage
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
        self._bot_user: str | None = None  # the bot's user id: the owner of files it shares
        self._identified = False

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str | None:
        """Post `message` to the channel (several posts for a long digest, then its files in the
        first post's thread; a follow-up in its alert's thread); returns the first message's ts.
        Raises DeliveryError (permanent or retryable) and TypeError for a message type without
        a renderer."""
        posts = render(message)
        target = channel.target
        if not target:
            raise DeliveryError(f"{channel.ref} has no Slack channel ID", permanent=True)
        if isinstance(message, FollowUpMessage):
            (post,) = posts
            return await self._send_followup(channel, post, message, idempotency_key)
        first = await self._send_posts(channel, posts, idempotency_key, _extra(message))
        if first is not None and isinstance(message, AlertMessage):
            self._alerts.put(f"{target} {first}", str(message.line.item_id))
        attachments = attachments_of(message)
        if first is not None and attachments:
            await self._send_files(channel, attachments, idempotency_key, thread=first)
        return first

    async def share_files(self, channel_id: str, attachments: Sequence[Attachment]) -> None:
        """Upload files to a channel for a command's reply (response_url cannot carry files).

        No crash check: a command is answered once, by the process that received it.
        """
        for attachment in attachments:
            async with self.pacer.slot(channel_id):
                await share(self.client, channel_id, attachment)

    async def _send_posts(
        self, channel: Channel, posts: list[SlackPost], key: str, extra: dict[str, str | int]
    ) -> str | None:
        target = channel.target
        keys = [key] if len(posts) == 1 else [f"{key}#{n}" for n in range(1, len(posts) + 1)]
        unknown = [k for k in keys if self._unknown(k)]
        found = await self._find_posts(target, unknown, None) if unknown else {}
        if found:
            log.info(
                "slack.already_posted",
                extra={"channel": channel.ref, "key": key, "parts": len(found)},
            )
        first: str | None = None
        for n, (post, part_key) in enumerate(zip(posts, keys, strict=True), 1):
            ts = self._posted.get(part_key) or found.get(part_key)
            if ts is None:
                parts: dict[str, str | int] = (
                    {"part": n, "parts": len(posts)} if len(posts) > 1 else {}
                )
                ts = await self._post(target, post, part_key, {**extra, **parts})
            self._posted.put(part_key, ts)
            first = first or ts
        return first

    async def _send_followup(
        self, channel: Channel, post: SlackPost, message: FollowUpMessage, key: str
    ) -> str:
        target = channel.target
        known = self._posted.get(key)
        if known is not None:
            return known
        thread: str | None = message.parent_id or None
        if key not in self._unposted:
            found, thread = await self._search(
                target, thread, lambda t: self._find_posts(target, [key], t)
            )
            if key in found:
                log.info("slack.already_posted", extra={"channel": channel.ref, "key": key})
                self._posted.put(key, found[key])
                return found[key]
        extra: dict[str, str | int] = {"kind": "followup", "item_id": message.line.item_id}
        try:
            ts = await self._post(target, post, key, extra, thread_ts=thread)
        except ThreadGone:
            # The first alert was deleted: the later source still reaches the channel.
            log.info("slack.thread_gone", extra={"channel": channel.ref, "key": key})
            ts = await self._post(target, post, key, extra)
        self._posted.put(key, ts)
        return ts

    async def _send_files(
        self, channel: Channel, attachments: Sequence[Attachment], key: str, *, thread: str
    ) -> None:
        target = channel.target
        keys = file_keys(key, len(attachments))
        wanted = {
            k: (a.filename, title_of(a))
            for k, a in zip(keys, attachments, strict=True)
            if self._unknown(k)
        }
        found: dict[str, str] = {}
        where: str | None = thread
        if wanted:
            found, where = await self._search(
                target, thread, lambda t: self._find_files(target, wanted, t)
            )
            if found:
                log.info("slack.already_uploaded", extra={"channel": channel.ref, "key": key})
        for file_key, attachment in zip(keys, attachments, strict=True):
            file_id = self._posted.get(file_key) or found.get(file_key)
            if file_id is None:
                try:
                    file_id = await self._upload(target, attachment, file_key, where)
                except ThreadGone:
                    log.info("slack.thread_gone", extra={"channel": channel.ref, "key": file_key})
                    where = None
                    file_id = await self._upload(target, attachment, file_key, None)
            self._posted.put(file_key, file_id)

    def _unknown(self, key: str) -> bool:
        """A key this process has neither delivered nor seen certainly fail: check Slack first."""
        return key not in self._posted and key not in self._unposted

    async def _search(
        self,
        target: str,
        thread: str | None,
        search: Callable[[str | None], Awaitable[dict[str, str]]],
    ) -> tuple[dict[str, str], str | None]:
        """Run `search` in the thread, or in the channel when there is none or its parent was
        deleted (an earlier attempt then posted in the channel); returns what was found and
        where to post: the thread, or None for the channel."""
        if thread is not None:
            try:
                return await search(thread), thread
            except ThreadGone:
                log.info("slack.thread_gone", extra={"channel": target, "thread_ts": thread})
        return await search(None), None

    async def _find_posts(
        self, target: str, keys: Iterable[str], thread: str | None
    ) -> dict[str, str]:
        return await find_posted(
            self.client,
            target,
            keys,
            oldest=self._wall() - self.lookback_s,
            bot_id=await self._whoami(target),
            thread_ts=thread,
        )

    async def _find_files(
        self, target: str, wanted: Mapping[str, tuple[str, str]], thread: str | None
    ) -> dict[str, str]:
        bot_id = await self._whoami(target)
        return await find_files(
            self.client,
            target,
            wanted,
            oldest=self._wall() - self.lookback_s,
            bot_user=self._bot_user,
            bot_id=bot_id,
            thread_ts=thread,
        )

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
        self,
        target: str,
        post: SlackPost,
        key: str,
        extra: dict[str, str | int],
        *,
        thread_ts: str | None = None,
    ) -> str:
        """chat.postMessage (a thread reply with `thread_ts`, never broadcast to the channel);
        ThreadGone when Slack says the thread's parent is gone."""
        async with self.pacer.slot(target):
            try:
                resp = await self.client.chat_postMessage(
                    channel=target,
                    thread_ts=thread_ts,  # None: dropped by the sdk; reply_broadcast stays off
                    metadata=metadata(key, **extra),
                    **post.payload(),
                )
            except SlackApiError as exc:
                self._note_failure(key, exc)
                if thread_ts and error_code(exc) in THREAD_GONE:
                    raise ThreadGone(thread_ts) from exc
                raise delivery_error(exc, "chat.postMessage", target) from exc
            except NETWORK_ERRORS as exc:
                self._note_failure(key, exc)
                raise delivery_error(exc, "chat.postMessage", target) from exc
        self._unposted.pop(key, None)
        posted = resp.get("message") or {}
        if thread_ts and isinstance(posted, dict) and not posted.get("thread_ts"):
            # Slack has been seen to post a reply to a just-deleted parent as a top-level
            # message instead of refusing it: it is in the channel, where the check finds it.
            log.info("slack.unthreaded", extra={"channel": target, "key": key})
        return str(resp.get("ts"))

    async def _upload(
        self, target: str, attachment: Attachment, key: str, thread: str | None
    ) -> str:
        async with self.pacer.slot(target):  # a shared file is a message: same posting rate
            try:
                file_id = await share(self.client, target, attachment, thread_ts=thread)
            except ThreadGone:
                self._unposted.put(key, "")
                raise
            except DeliveryError as exc:
                self._note_failure(key, exc.__cause__ or exc)
                raise
        self._unposted.pop(key, None)
        return file_id

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
            bot_id, user_id = resp.get("bot_id"), resp.get("user_id")
            self._bot_id = str(bot_id) if bot_id else None
            self._bot_user = str(user_id) if user_id else None
            self._identified = True
        return self._bot_id


def _extra(message: object) -> dict[str, str | int]:
    """Metadata beyond the key: an alert's item, which 👍/👎 reactions are feedback on."""
    if isinstance(message, AlertMessage):
        return {"kind": "alert", "item_id": message.line.item_id}
    return {}
