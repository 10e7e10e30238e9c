"""👍/👎 reactions on alerts the bot posted → feedback on that item's classification.

Raw reaction events (guild reactions intent only) carry the message id but not its content, and
the Store has no lookup by message id. So the bot fetches the message (needs Read Message
History), reads the item number from the alert's footer, and the core accepts the reaction only
when that item's alert delivery to this channel was recorded with exactly this message id.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.chat.discord.embeds import ALERT_FOOTER
from bot.core.models import Feedback
from bot.core.ports import FeedbackSink

log = logging.getLogger("watchbot.discord")
VERDICTS = {"👍": "good", "👎": "bad"}
_ITEM = re.compile(re.escape(ALERT_FOOTER.split("{")[0]) + r"(\d+)")


def verdict_of(emoji: discord.PartialEmoji) -> str | None:
    """`good` for 👍, `bad` for 👎 (any skin tone), None for anything else."""
    if emoji.id is not None:
        return None  # a custom emoji
    base = emoji.name.rstrip("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff\ufe0f")
    return VERDICTS.get(base)


def item_of(message: discord.Message) -> int | None:
    """The item number in an alert embed's footer, or None."""
    for embed in message.embeds:
        m = _ITEM.search(embed.footer.text or "")
        if m:
            return int(m.group(1))
    return None


class ReactionFeedback:
    """Handles `raw_reaction_add` events for the adapter."""

    def __init__(self, client: discord.Client, feedback: FeedbackSink) -> None:
        self.client = client
        self.feedback = feedback

    async def on_reaction(self, event: discord.RawReactionActionEvent) -> int | None:
        """Record feedback for a 👍/👎 on one of our alerts; returns the item id or None."""
        me = self.client.user
        verdict = verdict_of(event.emoji)
        if me is None or verdict is None or event.user_id == me.id:
            return None
        if event.message_author_id is not None and event.message_author_id != me.id:
            return None  # not a message the bot posted
        channel = self.client.get_partial_messageable(event.channel_id, guild_id=event.guild_id)
        try:
            message = await channel.fetch_message(event.message_id)
        except discord.HTTPException as exc:
            log.warning(
                "discord.reaction_lookup_failed",
                extra={"channel": f"discord:{event.channel_id}", "error": str(exc)},
            )
            return None
        item_id = item_of(message) if message.author.id == me.id else None
        ref = f"discord:{event.channel_id}"
        if item_id is None:
            return None
        feedback = Feedback(item_id, verdict, str(event.user_id), ref)  # type: ignore[arg-type]
        if not self.feedback.record_on_alert(feedback, str(event.message_id)):
            return None
        log.info(
            "discord.feedback",
            extra={"item": item_id, "verdict": verdict, "channel": ref, "user": event.user_id},
        )
        return item_id
