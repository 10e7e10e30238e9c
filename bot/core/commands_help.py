"""Usage and help text of every `/watch` command, in one place for all platforms."""

from __future__ import annotations

from bot.core.messages import TextReply

# name → (usage, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "help": ("help [COMMAND]", "this list, or the usage of one command"),
    "digest": (
        "digest [TOPIC] [24h|7d|2w] [--all|N] [here]",
        "a digest now (only to you; `here` posts it in the channel; --all or N: lift the cap)",
    ),
    "subscribe": (
        'subscribe [TOPICS] [daily HH:MM | weekly DAY HH:MM | cron "m h dom mon dow"] [ZONE]',
        "digests and alerts for this channel (admins)",
    ),
    "unsubscribe": ("unsubscribe", "stop this channel's digests and alerts (admins)"),
    "alerts": ("alerts on|off [THRESHOLD]", "immediate alerts for strong matches (admins)"),
    "feeds": ("feeds", "watched feeds with their health"),
    "feed": (
        "feed add URL [NAME] | feed remove ID | feed import [--dry-run] | feed export",
        "add or remove feeds; import or export an OPML feed list (admins)",
    ),
    "filter": (
        "filter add include|exclude WORDS|/REGEX/ [in:title|in:text] [tag:TAG] [feed:NAME-or-URL]"
        " | filter list | filter remove N | filter clear",
        "what this channel gets beyond the classifier (add, remove, clear: admins)",
    ),
    "digest-cap": (
        "digest-cap N|default",
        "at most N stories a topic in this channel's digests (admins)",
    ),
    "search": ("search QUERY", "full-text search over stored items, newest first"),
    "why": ("why ITEM", "why an item matched, and why it was or was not delivered here"),
    "status": (
        "status [chart]",
        "feeds, last poll, outbox, next digests, model version (`chart`: items per day)",
    ),
    "timeline": (
        "timeline [ACTOR or COUNTRY] [TOPIC]",
        "who said what on troops and guarantees, dated (e.g. `timeline Macron troops`)",
    ),
    "feedback": (
        "feedback ITEM good|bad [TOPIC]",
        "correct the classifier; it learns on retraining",
    ),
}


def usage(name: str) -> str:
    """`/watch <usage>` of one command."""
    return f"/watch {COMMANDS[name][0]}"


def help_reply(name: str | None = None) -> TextReply:
    """All commands with their usage, or one command's usage."""
    if name is not None and name in COMMANDS:
        return TextReply(usage(name), (COMMANDS[name][1],))
    lines = tuple(f"/watch {u} — {d}" for u, d in COMMANDS.values())
    return TextReply("Watchbot commands (TOPIC: guarantees, troops or all)", lines)
