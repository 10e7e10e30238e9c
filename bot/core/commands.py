"""The `/watch` command layer, implemented once: parse → act → a neutral reply.

This module is the registry and the dispatch; the commands live in query_commands (anyone),
admin_commands (set-up) and filter_commands (a channel's filters and digest cap). Slack, Discord
and the console only translate their events into `execute(text, ctx)` and render the reply. User
mistakes come back as ErrorReply with what was wrong and what to do; bugs raise.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

from bot.core import admin_commands, filter_commands, query_commands
from bot.core.command_context import CommandContext, Services, admin_refusal
from bot.core.commands_help import COMMANDS, help_reply, usage
from bot.core.errors import CommandError, FeedError, WatchbotError
from bot.core.messages import ErrorReply, Message, TextReply

__all__ = ["ADMIN_COMMANDS", "CommandContext", "CommandRouter", "Services", "needs_admin"]

Handler = Callable[[list[str], CommandContext, Services], Awaitable[Message]]

ADMIN_COMMANDS = frozenset({"subscribe", "unsubscribe", "alerts", "feed", "digest-cap"})

HANDLERS: dict[str, Handler] = {
    "help": query_commands.help_,
    "digest": query_commands.digest,
    "feeds": query_commands.feeds,
    "search": query_commands.search,
    "why": query_commands.why,
    "status": query_commands.status,
    "timeline": query_commands.timeline,
    "feedback": query_commands.feedback,
    "subscribe": admin_commands.subscribe,
    "unsubscribe": admin_commands.unsubscribe,
    "alerts": admin_commands.alerts,
    "feed": admin_commands.feed,
    "digest-cap": filter_commands.digest_cap,
}
# Commands that read their line as typed, not split into shell words (a /REGEX/ keeps its
# backslashes and quotes): they get the text after their name.
RAW_HANDLERS: dict[str, Callable[[str, CommandContext, Services], Awaitable[Message]]] = {
    "filter": filter_commands.filter_,
}


def needs_admin(text: str) -> bool:
    """Whether this command line changes the set-up, so the adapter must know if the caller is
    an admin (Slack asks its API, which is worth skipping for everyone else's commands)."""
    words = text.split(maxsplit=1)
    if not words:
        return False
    name = words[0].lower()
    if name == "filter":
        return filter_commands.filter_verb(words[1] if len(words) > 1 else "") in (
            filter_commands.FILTER_ADMIN_VERBS
        )
    return name in ADMIN_COMMANDS


class CommandRouter:
    """Executes command lines for a channel and a user."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def execute(self, text: str, ctx: CommandContext) -> Message:
        """Run one command line (without the `/watch` prefix) and return the reply."""
        head, _, raw_rest = text.strip().partition(" ")
        if head.lower() in RAW_HANDLERS:
            name = head.lower()
            if raw_rest.strip().lower() == "help":
                return TextReply(usage(name))
            if needs_admin(text) and not ctx.is_admin:
                return ErrorReply(admin_refusal(f"{name} {raw_rest.split()[0].lower()}"))
            return await self._run(name, RAW_HANDLERS[name](raw_rest, ctx, self.s))
        try:
            args = shlex.split(text)
        except ValueError as exc:
            return ErrorReply(f"could not read the command ({exc}); check the quotes")
        if not args:
            return help_reply()
        name, rest = args[0].lower(), args[1:]
        if name not in COMMANDS:
            return ErrorReply(f"unknown command “{args[0]}”. Try `help`.")
        if needs_admin(text) and not ctx.is_admin:
            return ErrorReply(admin_refusal(name))
        if rest[:1] == ["help"]:
            return TextReply(usage(name))
        return await self._run(name, HANDLERS[name](rest, ctx, self.s))

    async def _run(self, name: str, work: Awaitable[Message]) -> Message:
        """Await a command; the errors users can act on become replies, bugs propagate."""
        try:
            return await work
        except CommandError as exc:
            return ErrorReply(f"{exc}\nUsage: {usage(name)}")
        except FeedError as exc:
            return ErrorReply(str(exc))
        except WatchbotError as exc:
            return ErrorReply(f"{name} failed: {exc}")
