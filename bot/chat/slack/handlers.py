"""slack-bolt listeners: `/watch` → the core's command router; 👍/👎 on an alert → feedback.

Acknowledge first, then work: the command is acknowledged inside Slack's three seconds (with a
short "Working…" for the commands that may take a while), then the router runs and the reply goes
back through the command's `response_url`. A reply's files (the chart of `status chart`) cannot
go through `response_url`: they are uploaded to the command's channel after the text. No business
logic lives here.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.chat.slack.admins import AdminCheck
from bot.chat.slack.blocks import SlackPost, context, render, section
from bot.chat.slack.errors import error_code
from bot.chat.slack.files import attachments_of
from bot.chat.slack.sender import SlackSender
from bot.chat.slack.uploads import newest_shared_file
from bot.core.commands import CommandContext, needs_admin
from bot.core.errors import CommandError, DeliveryError, WatchbotError
from bot.core.feedlist import MAX_FILE_BYTES
from bot.core.messages import ErrorReply, Message
from bot.core.models import Feedback
from bot.core.ports import Clock, CommandExecutor, FeedbackSink

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger("watchbot.slack")

COMMAND = "/watch"
SLOW_COMMANDS = frozenset({"digest", "feed", "search", "status"})
WORKING = "Working on it…"
MAX_RESPONSES = 5  # Slack accepts five messages per response_url
VERDICTS: dict[str, Literal["good", "bad"]] = {
    "+1": "good",
    "thumbsup": "good",
    "-1": "bad",
    "thumbsdown": "bad",
}
_NO_CHANNEL_NAME = frozenset({"directmessage", "privategroup", "mpdm"})


def channel_label(command: dict[str, Any]) -> str:
    """`#name` for a channel, else its ID (DMs and some private channels have no usable name)."""
    name = str(command.get("channel_name") or "")
    if name and name not in _NO_CHANNEL_NAME and not name.startswith("mpdm-"):
        return f"#{name}"
    return str(command.get("channel_id") or "this conversation")


def limit_responses(posts: list[SlackPost]) -> list[SlackPost]:
    """At most five posts; when more are needed, the last one says what was left out."""
    if len(posts) <= MAX_RESPONSES:
        return posts
    kept = posts[: MAX_RESPONSES - 1]
    left = len(posts) - len(kept)
    note = SlackPost(
        text=f"{left} more message(s) not shown",
        blocks=(
            section(f"… {left} more message(s) not shown: Slack allows five replies to a command."),
            context("Ask for one topic or a shorter window, e.g. `/watch digest troops 24h`."),
        ),
        ephemeral=posts[-1].ephemeral,
    )
    return [*kept, note]


def _upload_failed(exc: DeliveryError, command: dict[str, Any]) -> str:
    """What the caller is told when the chart could not be posted in their channel."""
    cause = exc.__cause__
    code = error_code(cause) if isinstance(cause, SlackApiError) else ""
    where = channel_label(command)
    if code == "not_in_channel":
        return (
            f"The chart could not be posted in {where}: Watchbot is not a member of it. "
            "Invite it with `/invite @Watchbot` and ask again."
        )
    return f"The chart could not be posted in {where}: {exc}"


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SlackHandlers:
    """The listeners registered on the bolt app."""

    def __init__(
        self,
        commands: CommandExecutor,
        feedback: FeedbackSink,
        sender: SlackSender,
        admins: AdminCheck,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or _WallClock()
        self.commands = commands
        self.feedback = feedback
        self.sender = sender
        self.admins = admins

    def register(self, bolt: AsyncApp) -> None:
        """Attach the `/watch` command and the reaction listener."""
        bolt.command(COMMAND)(self.on_command)
        bolt.event("reaction_added")(self.on_reaction)

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """Ack at once, run the command line through the core, answer via response_url."""
        text = str(command.get("text") or "").strip()
        name = text.split(maxsplit=1)[0].lower() if text else ""
        if name in SLOW_COMMANDS:
            await ack(text=WORKING, response_type="ephemeral")
        else:
            await ack()
        user = str(command.get("user_id") or "")
        channel_ref = f"slack:{command.get('channel_id') or ''}"
        reply: Message
        try:
            is_admin = needs_admin(text) and await self.admins.is_admin(user)
            ctx = CommandContext(
                channel_ref=channel_ref,
                channel_name=channel_label(command),
                user=user,
                is_admin=is_admin,
            )
            if is_admin and text.lower().split()[:2] == ["feed", "import"]:
                # The file was shared in the conversation beforehand (bot.chat.slack.uploads).
                upload = await newest_shared_file(
                    self.sender.client,
                    str(command.get("channel_id") or ""),
                    user,
                    now_ts=self.clock.now().timestamp(),
                    max_bytes=MAX_FILE_BYTES,
                )
                ctx = replace(ctx, upload=upload)
            reply = await self.commands.execute(text, ctx)
        except CommandError as exc:  # the shared file could not be found or fetched
            reply = ErrorReply(str(exc))
        except Exception:
            # A bug: the caller still gets an answer; the traceback goes to the log.
            log.exception("slack.command_crashed", extra={"command": name, "channel": channel_ref})
            reply = ErrorReply(
                "Watchbot hit an internal error running that command; it was logged."
            )
        log.info(
            "slack.command",
            extra={"command": name or "help", "channel": channel_ref, "user": user},
        )
        if await self._respond(respond, reply, channel_ref):
            await self._share_files(respond, reply, command)

    async def _share_files(
        self, respond: AsyncRespond, reply: Message, command: dict[str, Any]
    ) -> None:
        """Upload the reply's files to the command's channel; say why to the caller if not."""
        attachments = attachments_of(reply)
        channel_id = str(command.get("channel_id") or "")
        if not attachments or not channel_id:
            return
        channel_ref = f"slack:{channel_id}"
        try:
            await self.sender.share_files(channel_id, attachments)
        except DeliveryError as exc:
            log.warning(
                "slack.command_upload_failed", extra={"channel": channel_ref, "error": str(exc)}
            )
            await self._respond(respond, ErrorReply(_upload_failed(exc, command)), channel_ref)

    async def _respond(self, respond: AsyncRespond, reply: Message, channel_ref: str) -> bool:
        """Send the reply through response_url; False when Slack did not take every part."""
        for post in limit_responses(render(reply)):
            kind = "ephemeral" if post.ephemeral else "in_channel"
            try:
                resp = await respond(response_type=kind, **post.payload())
            except Exception as exc:  # network trouble, or no response_url in the payload
                log.warning(
                    "slack.respond_failed",
                    extra={"channel": channel_ref, "error": type(exc).__name__},
                )
                return False
            if resp.status_code != 200:
                log.warning(
                    "slack.respond_failed",
                    extra={
                        "channel": channel_ref,
                        "status": resp.status_code,
                        "body": resp.body[:200],
                    },
                )
                return False
        return True

    async def on_reaction(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """👍/👎 (any skin tone) on one of our alerts: store feedback on that item."""
        reaction = str(event.get("reaction") or "").split("::", 1)[0]
        verdict = VERDICTS.get(reaction)
        item = event.get("item") or {}
        if verdict is None or not isinstance(item, dict) or item.get("type") != "message":
            return
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        user = str(event.get("user") or "")
        if not channel or not ts or not user:
            return
        author, bot_user = event.get("item_user"), context.bot_user_id
        if author and bot_user and author != bot_user:
            return  # a reaction on someone else's message
        item_id = await self.sender.item_for_message(channel, ts)
        if item_id is None:
            return
        try:
            self.feedback.record(Feedback(item_id, verdict, user, f"slack:{channel}"))
        except WatchbotError as exc:
            log.warning("slack.feedback_failed", extra={"item": item_id, "error": str(exc)})
            return
        log.info(
            "slack.feedback",
            extra={"item": item_id, "verdict": verdict, "channel": f"slack:{channel}"},
        )
