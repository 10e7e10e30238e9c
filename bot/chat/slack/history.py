"""Reading our own posts back from a channel's history, by their message metadata.

Every message the sender posts carries metadata `{"event_type": "watchbot_delivery",
"event_payload": {"key": <idempotency key>, ...}}` (plus `item_id` for alerts). Reading it back
answers two questions without any extra table: "was this delivery already posted before a crash?"
and "which item is this alert about?" (for 👍/👎 reactions). Thread replies (follow-ups, charts
under a digest) are read back with conversations.replies; uploaded files carry no metadata and
are recognised by name and title instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.chat.slack.errors import (
    NETWORK_ERRORS,
    THREAD_GONE,
    ThreadGone,
    delivery_error,
    error_code,
)

log = logging.getLogger("watchbot.slack")

EVENT_TYPE = "watchbot_delivery"
UNREADABLE = frozenset({"not_in_channel", "channel_not_found"})


def metadata(key: str, **extra: str | int) -> dict[str, Any]:
    """The metadata attached to a post delivering `key`."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key, **extra}}


def payload_of(message: Mapping[str, Any], bot_id: str | None = None) -> Mapping[str, Any] | None:
    """Our metadata payload on a history message; None for anyone else's message."""
    md = message.get("metadata")
    if not isinstance(md, Mapping) or md.get("event_type") != EVENT_TYPE:
        return None
    if bot_id and message.get("bot_id") and message.get("bot_id") != bot_id:
        return None  # another app (or another install) using the same event type
    payload = md.get("event_payload")
    return payload if isinstance(payload, Mapping) else None


async def find_posted(
    client: AsyncWebClient,
    channel: str,
    keys: Iterable[str],
    *,
    oldest: float,
    bot_id: str | None = None,
    thread_ts: str | None = None,
    max_pages: int = 5,
    page_size: int = 200,
) -> dict[str, str]:
    """Map each of `keys` already posted in `channel` since `oldest` (epoch s) to its `ts`.

    With `thread_ts`, the thread under that message is searched instead (conversations.history
    never returns thread replies); ThreadGone when its parent was deleted. A channel whose
    history the bot cannot read (not a member: it posts through chat:write.public) cannot be
    checked, so nothing is found and a warning is logged. Other failures raise DeliveryError, so
    the delivery is retried rather than posted blind.
    """

    def match(message: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        payload = payload_of(message, bot_id)
        key = payload.get("key") if payload else None
        if isinstance(key, str):
            yield key, str(message.get("ts"))

    return await _scan(
        client,
        channel,
        set(keys),
        match,
        thread_ts=thread_ts,
        oldest=oldest,
        max_pages=max_pages,
        page_size=page_size,
    )


async def find_files(
    client: AsyncWebClient,
    channel: str,
    wanted: Mapping[str, tuple[str, str]],
    *,
    oldest: float,
    bot_user: str | None = None,
    bot_id: str | None = None,
    thread_ts: str | None = None,
    max_pages: int = 5,
    page_size: int = 200,
) -> dict[str, str]:
    """Map each key of `wanted` (key → (filename, title)) to the id of a file with that name and
    title that the bot already shared in the thread (or, without `thread_ts`, the channel).

    Files carry no message metadata, so name and title stand in for the delivery key; inside
    one digest's thread they are unique. Errors as for `find_posted`.
    """
    by_name = {name: key for key, name in wanted.items()}

    def match(message: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        for file in message.get("files") or []:
            if not isinstance(file, Mapping) or not _shared_by_us(message, file, bot_user, bot_id):
                continue
            key = by_name.get((str(file.get("name") or ""), str(file.get("title") or "")))
            if key is not None and file.get("id"):
                yield key, str(file["id"])

    return await _scan(
        client,
        channel,
        set(wanted),
        match,
        thread_ts=thread_ts,
        oldest=oldest,
        max_pages=max_pages,
        page_size=page_size,
    )


def _shared_by_us(
    message: Mapping[str, Any],
    file: Mapping[str, Any],
    bot_user: str | None,
    bot_id: str | None,
) -> bool:
    # A file a bot shares shows the bot *user* as its owner; the message may also carry bot_id.
    if bot_user is None and bot_id is None:
        return True  # auth.test told us nothing: a same-named file in this thread is ours
    owner = file.get("user") or message.get("user")
    return (bot_user is not None and owner == bot_user) or (
        bot_id is not None and message.get("bot_id") == bot_id
    )


async def _scan(
    client: AsyncWebClient,
    channel: str,
    wanted: set[str],
    match: Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]],
    *,
    thread_ts: str | None,
    oldest: float,
    max_pages: int,
    page_size: int,
) -> dict[str, str]:
    """Page through the channel's history (or one thread) until every wanted key is matched."""
    method = "conversations.history" if thread_ts is None else "conversations.replies"
    found: dict[str, str] = {}
    cursor: str | None = None
    for _ in range(max_pages):
        try:
            resp = await _page(client, channel, thread_ts, oldest, page_size, cursor)
        except SlackApiError as exc:
            code = error_code(exc)
            if code in UNREADABLE:
                log.warning("slack.history_unreadable", extra={"channel": channel, "error": code})
                return found
            if thread_ts is not None and code in THREAD_GONE:
                raise ThreadGone(thread_ts) from exc
            raise delivery_error(exc, method, channel) from exc
        except NETWORK_ERRORS as exc:
            raise delivery_error(exc, method, channel) from exc
        for message in resp.get("messages") or []:
            for key, value in match(message):
                if key in wanted:
                    found.setdefault(key, value)
        if len(found) == len(wanted):
            break
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not resp.get("has_more") or not cursor:
            break
    return found


async def _page(
    client: AsyncWebClient,
    channel: str,
    thread_ts: str | None,
    oldest: float,
    limit: int,
    cursor: str | None,
) -> AsyncSlackResponse:
    if thread_ts is None:
        return await client.conversations_history(
            channel=channel,
            oldest=f"{oldest:.6f}",
            limit=limit,
            include_all_metadata=True,
            cursor=cursor,
        )
    # A thread is short and every reply in it is relevant: no `oldest` (it would also hide
    # a parent older than the lookback, which Slack returns first).
    return await client.conversations_replies(
        channel=channel, ts=thread_ts, limit=limit, include_all_metadata=True, cursor=cursor
    )


async def item_of_message(
    client: AsyncWebClient, channel: str, ts: str, *, bot_id: str | None = None
) -> int | None:
    """The item id an alert message (channel, ts) was about; None for any other message."""
    try:
        resp = await client.conversations_history(
            channel=channel,
            latest=ts,
            oldest=ts,
            inclusive=True,
            limit=1,
            include_all_metadata=True,
        )
    except SlackApiError as exc:
        log.warning(
            "slack.reaction_lookup_failed", extra={"channel": channel, "error": error_code(exc)}
        )
        return None
    except NETWORK_ERRORS as exc:
        log.warning(
            "slack.reaction_lookup_failed", extra={"channel": channel, "error": type(exc).__name__}
        )
        return None
    for message in resp.get("messages") or []:
        if message.get("ts") != ts:
            continue
        payload = payload_of(message, bot_id)
        item = payload.get("item_id") if payload else None
        if isinstance(item, int) and not isinstance(item, bool):
            return item
        if isinstance(item, str) and item.isdigit():
            return int(item)
    return None
