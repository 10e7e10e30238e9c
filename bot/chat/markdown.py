"""Markdown rendering of the core's messages, for the console channel and command output."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.core.messages import (
    AlertMessage,
    Attachment,
    DigestMessage,
    ErrorReply,
    FollowUpMessage,
    ItemLine,
    Message,
    NoticeMessage,
    TableReply,
    TextReply,
)
from bot.core.models import TOPIC_TITLES

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def escape(text: str) -> str:
    """Escape Markdown syntax in feed text so titles cannot become links or formatting."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def link_target(url: str) -> str | None:
    """`url` as a Markdown link destination: http(s) only, and percent-encoded so that spaces,
    brackets and parentheses in it cannot end the link early and start another one."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def when(moment: datetime | None, tz: str = "UTC") -> str:
    """`24 Feb 2025 14:05 UTC` in the given time zone; "the beginning" for no time."""
    if moment is None:
        return "the beginning"
    local = moment.astimezone(ZoneInfo(tz))
    return local.strftime("%d %b %Y %H:%M ") + (local.tzname() or tz)


def badges(topics: tuple[str, ...]) -> str:
    """Topic badges such as `[Troop deployment]`."""
    return " ".join(f"[{TOPIC_TITLES.get(t, t)}]" for t in topics)


def item_markdown(line: ItemLine, tz: str = "UTC") -> list[str]:
    """The lines of one item: linked headline, source and time, badges and score, the reason."""
    title = escape(line.title)
    target = link_target(line.url) if line.url else None
    head = f"[{title}]({target})" if target else f"**{title}**"
    meta = f"{escape(line.source)} · {when(line.published_at, tz)} · #{line.item_id}"
    if line.topics:
        meta += f" · {badges(line.topics)} {line.score:.2f}"
    out = [head, f"  {meta}"]
    if line.reason:
        out.append(f"  Why: {escape(line.reason)}")
    if line.also:
        out.append(f"  Also reported by: {escape(', '.join(line.also))}")
    return out


def attachment_lines(attachments: tuple[Attachment, ...]) -> list[str]:
    """One line per attachment: where the console wrote it (a code span, to copy), or its name."""
    return [
        f"📈 {escape(a.title or a.filename)}: `{(a.path or a.filename).replace('`', '')}`"
        for a in attachments
    ]


def render(message: Message) -> str:
    """Markdown for any core message; an unknown type is a bug and raises TypeError."""
    match message:
        case AlertMessage(line=line):
            body = item_markdown(line)
            return "\n".join([f"🔔 Alert {badges(line.topics)}", *body])
        case FollowUpMessage(line=line, story=story):
            head = f"↳ Also reported, story of #{story.line.item_id} “{escape(story.line.title)}”"
            return "\n".join([head, *item_markdown(line)])
        case DigestMessage():
            return render_digest(message)
        case NoticeMessage(text=text):
            return f"⚠️ {text}"
        case TextReply(text=text, lines=lines):
            return "\n".join([text, *lines])
        case ErrorReply(text=text):
            return f"Error: {text}"
        case TableReply():
            return render_table(message)
    raise TypeError(f"no Markdown renderer for {type(message).__name__}")


def render_digest(digest: DigestMessage) -> str:
    """A digest with a header, one section per topic and a footer with the window."""
    tz = digest.timezone
    stories = f" in {digest.story_count} stories" if digest.story_count != digest.item_count else ""
    out = [f"# {escape(digest.title)} — {digest.item_count} item(s){stories}", ""]
    for section in digest.sections:
        out.append(f"## {section.title} ({len(section.lines)})")
        for n, line in enumerate(section.lines, 1):
            first, *rest = item_markdown(line, tz)
            out.append(f"{n}. {first}")
            out.extend(f"  {r}" for r in rest)
        out.append("")
    if digest.moves:
        out.append(f"## Who moved ({len(digest.moves)})")
        for m in digest.moves:
            before = (
                f"{m.previous} ({when(m.previous_at, tz)[:11]}) → " if m.previous else "first: "
            )
            out.append(
                f"- {escape(m.speaker)}, {TOPIC_TITLES.get(m.topic, m.topic)}: {before}"
                f"**{m.stance}** ({when(m.said_at, tz)[:11]}) · #{m.item_id}"
            )
        out.append("")
    out.extend(attachment_lines(digest.attachments))
    if digest.left_out:
        out.append(f"_{digest.left_out_note} (`search QUERY`)._")
    out.append(f"_Window: {when(digest.window_start, tz)} → {when(digest.window_end, tz)}_")
    return "\n".join(out)


def render_table(table: TableReply) -> str:
    """A plain-text table with aligned columns."""
    rows = [table.headers, *table.rows] if table.headers else list(table.rows)
    if not rows:
        return "\n".join(filter(None, [table.title, "(nothing)", table.footer]))
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    extra = attachment_lines(table.attachments)
    return "\n".join(filter(None, [table.title, *lines, table.footer, *extra]))
