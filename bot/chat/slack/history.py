"""Reading our own posts back from a channel's history, by their message metadata.

Every message the sender posts carries metadata `{"event_type": "watchbot_delivery",
"event_payload": {"key": <idempotency key>, ...}}` (plus `item_id` for alerts). Reading it back
answers two questions without any extra table: "was this delivery already posted before a crash?"
and "which item is this alert about?" (for 👍/👎 reactions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.errors import NETWORK_ERRORS, delivery_error, error_code

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
    max_pages: int = 5,
    page_size: int = 200,
) -> dict[str, str]:
    """Map each of `keys` already posted in `channel` since `oldest` (epoch s) to its `ts`.

    A channel whose history the bot cannot read (not a member: it posts through
    chat:write.public) cannot be checked, so nothing is found and a warning is logged.
    Other failures raise DeliveryError, so the delivery is retried rather than posted blind.
    """
    wanted = set(keys)
    found: dict[str, str] = {}
    cursor: str | None = None
    for _ in range(max_pages):
        try:
            resp = await client.conversations_history(
                channel=channel,
                oldest=f"{oldest:.6f}",
                limit=page_size,
                include_all_metadata=True,
                cursor=cursor,
            )
        except SlackApiError as exc:
            if error_code(exc) in UNREADABLE:
                log.warning(
                    "slack.history_unreadable",
                    extra={"channel": channel, "error": error_code(exc)},
                )
                return found
            raise delivery_error(exc, "conversations.history", channel) from exc
        except NETWORK_ERRORS as exc:
            raise delivery_error(exc, "conversations.history", channel) from exc
        for message in resp.get("messages") or []:
            payload = payload_of(message, bot_id)
            key = payload.get("key") if payload else None
            if isinstance(key, str) and key in wanted and key not in found:
                found[key] = str(message.get("ts"))
        if len(found) == len(wanted):
            break
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not resp.get("has_more") or not cursor:
            break
    return found


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
