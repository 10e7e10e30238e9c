"""Running a `/watch` interaction through the core: context, acknowledgement, reply.

Long commands are acknowledged with `defer()` (type 5) before the core works, and the reply is
sent as follow-up messages; quick ones answer directly (type 4). Errors and replies the core marks
ephemeral are shown only to the caller.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
from collections.abc import Collection
from dataclasses import replace
from typing import Any

import discord

from bot.chat.discord.embeds import Rendered, render
from bot.chat.discord.files import to_files
from bot.core.commands import CommandContext, needs_admin
from bot.core.feedlist import MAX_FILE_BYTES
from bot.core.messages import ErrorReply, Message
from bot.core.models import Upload
from bot.core.ports import CommandExecutor

log = logging.getLogger("watchbot.discord")
NO_MENTIONS = discord.AllowedMentions.none()


def command_line(*words: str | int | float | None) -> str:
    """A command line for the core: given words quoted, missing ones left out."""
    return " ".join(shlex.quote(str(w)) for w in words if w is not None and w != "")


def is_admin(interaction: discord.Interaction, admins: Collection[str]) -> bool:
    """Manage Server (or Administrator) in this channel, or a user id listed in the config.

    The permissions are those Discord computed for the member and sent with the interaction;
    Discord cannot attach default permissions to subcommands, so this is the real check.
    """
    perms = interaction.permissions
    return perms.manage_guild or perms.administrator or str(interaction.user.id) in admins


def context_for(interaction: discord.Interaction, admins: Collection[str]) -> CommandContext:
    """The core's command context: `discord:<channel id>`, `#name`, the user id, admin or not."""
    channel_id = interaction.channel_id
    name = getattr(interaction.channel, "name", None)
    return CommandContext(
        channel_ref=f"discord:{channel_id}",
        channel_name=f"#{name}" if name else f"channel {channel_id}",
        user=str(interaction.user.id),
        is_admin=is_admin(interaction, admins),
    )


async def read_attachment(attachment: discord.Attachment) -> Upload | ErrorReply:
    """The bytes of a file option (from Discord's CDN), or why they could not be had; a file
    over the import limit is refused from its announced size, before any download."""
    if attachment.size > MAX_FILE_BYTES:
        return ErrorReply(
            f"{attachment.filename} is {attachment.size:,} bytes, over the limit of "
            f"{MAX_FILE_BYTES:,} for a feed list; nothing was imported"
        )
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        return ErrorReply(
            f"{attachment.filename} could not be downloaded from Discord ({exc.status}); "
            "attach it again"
        )
    return Upload(attachment.filename, data[: MAX_FILE_BYTES + 1])


class CommandRunner:
    """Executes command lines for interactions and sends the rendered reply."""

    def __init__(self, router: CommandExecutor, admins: Collection[str]) -> None:
        self.router = router
        self.admins = frozenset(admins)

    async def run(
        self,
        interaction: discord.Interaction,
        line: str,
        *,
        defer: bool = True,
        public: bool = False,
        attachment: discord.Attachment | None = None,
    ) -> None:
        """Run `line` for the caller; `public` says whether a deferred reply is for everyone;
        `attachment` is a file option's file (`feed import`), read after the defer."""
        ctx = context_for(interaction, self.admins)
        name = line.split(" ", 1)[0]
        if needs_admin(line) and not ctx.is_admin:
            defer = False  # the refusal needs no work: answer at once, only to the caller
        if defer:
            await interaction.response.defer(ephemeral=not public, thinking=True)
        log.info(
            "discord.command",
            extra={"command": name, "channel": ctx.channel_ref, "user": ctx.user},
        )
        reply: Message | None = None
        if attachment is not None and ctx.is_admin:
            upload = await read_attachment(attachment)
            if isinstance(upload, ErrorReply):
                reply = upload
            else:
                ctx = replace(ctx, upload=upload)
        if reply is None:
            reply = await self.router.execute(line, ctx)
        await self.respond(interaction, render(reply), deferred_public=public if defer else None)

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """Answer with an error only the caller sees (bad option combinations)."""
        await self.respond(interaction, render(ErrorReply(text)), deferred_public=None)

    async def respond(
        self,
        interaction: discord.Interaction,
        parts: list[Rendered],
        *,
        deferred_public: bool | None,
    ) -> None:
        """Send the parts: as the response, or as follow-ups after a defer; files go with
        their part (both accept multipart uploads).

        After a defer the first follow-up replaces the "thinking…" message and keeps its
        visibility; when the reply wants the other one (an error after a public defer), the
        placeholder is deleted and the reply sent as a fresh follow-up.
        """
        for index, part in enumerate(parts):
            kwargs: dict[str, Any] = {
                "embeds": list(part.embeds),
                "allowed_mentions": NO_MENTIONS,
                "ephemeral": part.ephemeral,
            }
            if part.content:
                kwargs["content"] = part.content
            if part.files:  # a chart (`status chart`, a weekly digest): uploaded with the reply
                kwargs["files"] = to_files(part.files)
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs)
                continue
            if index == 0 and deferred_public is not None and part.ephemeral == deferred_public:
                await interaction.delete_original_response()
            await interaction.followup.send(**kwargs, wait=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """A bug or a Discord failure while handling a command: log it, tell the caller."""
        log.error(
            "discord.command_failed",
            exc_info=error,
            extra={"channel": f"discord:{interaction.channel_id}"},
        )
        text = "Watchbot failed to run that command; the error is in its log."
        # The interaction may have expired; the log has the cause either way.
        with contextlib.suppress(discord.HTTPException):
            await self.respond(interaction, render(ErrorReply(text)), deferred_public=None)
