"""Block Kit rendering of the core's messages: one renderer per message type.

Every renderer returns one or more `SlackPost`s (a digest may need several messages, see
split.py). All feed text is escaped (mrkdwn.escape) so a hostile title cannot mention `@channel`, a
user or fake a link; posts carry a short, escaped `text` fallback for notifications and screen
readers. An unknown message type is a bug and raises TypeError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.chat.markdown import render_table as markdown_table
from bot.chat.slack.mrkdwn import badges, clip, date, escape, link, one_line
from bot.chat.slack.split import LIMITS, DigestPart, pack_lines, split_digest
from bot.core.messages import (
    AlertMessage,
    DigestMessage,
    ErrorReply,
    FollowUpMessage,
    ItemLine,
    NoticeMessage,
    StanceChange,
    TableReply,
    TextReply,
)
from bot.core.models import TOPIC_TITLES

Block = dict[str, Any]
MAX_TEXT_SECTIONS = 45  # a reply longer than this is cut with a note, well below 50 blocks
MAX_MOVES_CHARS = 4000  # the "who moved" section's share of a message


@dataclass(frozen=True, slots=True)
class SlackPost:
    """One Slack message: blocks, the plain fallback text, and who may see it (for replies)."""

    text: str
    blocks: tuple[Block, ...]
    ephemeral: bool = False

    def payload(self) -> dict[str, Any]:
        """Arguments for chat.postMessage / response_url, link unfurling off."""
        return {
            "text": self.text,
            "blocks": list(self.blocks),
            "unfurl_links": False,
            "unfurl_media": False,
        }


def section(text: str) -> Block:
    """A mrkdwn section; callers keep `text` within 3,000 characters."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    """A context block (small grey text) with one mrkdwn element per text."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def header(text: str) -> Block:
    """A header block; plain text (never parsed for mentions), cut to Slack's 150 characters."""
    text = one_line(text) or "Watchbot"
    limit = LIMITS.max_header_chars
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def item_text(line: ItemLine, tz: str = "UTC") -> str:
    """One item as mrkdwn: linked headline; outlet, time, id, badges and score; the reason.

    Each field is clipped so the whole stays far below a section's 3,000 characters.
    """
    meta = [
        clip(one_line(line.source), 120) or "unknown outlet",
        date(line.published_at, tz),
        f"#{line.item_id}",
    ]
    if line.topics:
        meta.append(f"{badges(line.topics)} {line.score:.2f}")
    if line.folded:
        meta.append(f"+{len(line.folded)} related")
    out = f"*{link(line.url, line.title)}*\n" + " · ".join(meta)
    if line.also:
        out += "\n_Also reported by_ " + clip(", ".join(one_line(a) for a in line.also), 300)
    if line.reason:
        out += "\n_Why:_ " + clip(one_line(line.reason), 500)
    return out


def move_text(move: StanceChange, tz: str = "UTC") -> str:
    """One "who moved" line: speaker, topic, new stance, the previous one, when, which item."""
    topic = TOPIC_TITLES.get(move.topic, move.topic)
    was = (
        f"was {clip(one_line(move.previous), 80)} ({date(move.previous_at, tz)})"
        if move.previous
        else "first on record"
    )
    return (
        f"*{clip(one_line(move.speaker), 120)}* on {escape(topic)}: "
        f"{clip(one_line(move.stance), 80)} — {was} · {date(move.said_at, tz)} · #{move.item_id}"
    )


def moves_blocks(digest: DigestMessage) -> list[Block]:
    """The "who moved" section of a weekly digest (empty when there are no moves)."""
    if not digest.moves:
        return []
    lines = [move_text(m, digest.timezone) for m in digest.moves]
    kept: list[str] = []
    for line in lines:  # keep the section well inside one message
        if sum(len(k) + 1 for k in kept) + len(line) > MAX_MOVES_CHARS:
            break
        kept.append(line)
    if len(kept) < len(lines):
        kept.append(f"… and {len(lines) - len(kept)} more")
    return [section("*Who moved*"), *_sections(kept)]


def chart_blocks(digest: DigestMessage) -> list[Block]:
    """A line naming each chart, which the sender uploads right after the digest (in its thread;
    for a `/watch digest` reply, into the channel)."""
    return [
        context(f"📈 {clip(one_line(a.title or a.filename), 200)}: chart posted with this digest")
        for a in digest.attachments
    ]


# --- one renderer per message type ----------------------------------------------------------


def render_alert(alert: AlertMessage) -> list[SlackPost]:
    """Headline linked to the source; outlet and time; topic badges; the one-line reason."""
    line = alert.line
    source = clip(one_line(line.source), 120) or "unknown outlet"
    blocks: list[Block] = [
        section(f"🔔 *{link(line.url, line.title)}*"),
        context(
            f"*{source}* · {date(line.published_at)}",
            f"{badges(line.topics) or 'no topic'} · score {line.score:.2f} · item #{line.item_id}",
        ),
    ]
    notes = []
    if line.reason:
        notes.append("_Why:_ " + clip(one_line(line.reason), 500))
    if line.also:
        notes.append("_Also reported by_ " + clip(", ".join(one_line(a) for a in line.also), 300))
    if notes:
        blocks.append(context(*notes))
    text = f"🔔 Alert: {clip(one_line(line.title), 300)} ({source})"
    return [SlackPost(text=text, blocks=tuple(blocks))]


def render_followup(followup: FollowUpMessage) -> list[SlackPost]:
    """A later source of a story, compact: it is posted as a reply under the story's first alert,
    which already shows the headline, badges and score."""
    line = followup.line
    source = clip(one_line(line.source), 120) or "unknown outlet"
    meta = f"{date(line.published_at)} · item #{line.item_id}"
    if line.reason:
        meta += " · _Why:_ " + clip(one_line(line.reason), 500)
    blocks = (
        section(f"↪️ Also reported by *{source}*: {link(line.url, line.title)}"),
        context(meta),
    )
    text = f"Also reported by {source}: {clip(one_line(line.title), 300)}"
    return [SlackPost(text=text, blocks=blocks)]


def render_digest(digest: DigestMessage) -> list[SlackPost]:
    """A header, a heading per topic with its items, and a footer with the window, split into
    as many messages as Slack's limits require (the header and footer repeat on every part)."""
    tz = digest.timezone
    last = moves_blocks(digest) + chart_blocks(digest)  # closes the last part
    tail = (len(last), sum(len(t) for b in last for t in _block_texts(b)))
    parts = split_digest(digest, lambda line: len(item_text(line, tz)), tail=tail)
    per_topic = {s.topic: sum(1 + len(line.folded) for line in s.lines) for s in digest.sections}
    total = digest.item_count  # counted once: it walks every line, and a digest has many parts
    return [_digest_part(digest, part, per_topic, total, last) for part in parts]


def _block_texts(block: Block) -> list[str]:
    if block["type"] == "context":
        return [e["text"] for e in block["elements"]]
    return [block["text"]["text"]]


def _digest_part(
    digest: DigestMessage,
    part: DigestPart,
    per_topic: dict[str, int],
    total: int,
    last: list[Block],
) -> SlackPost:
    tz = digest.timezone
    label = digest.title if part.total == 1 else f"{digest.title} ({part.number}/{part.total})"
    blocks: list[Block] = [header(label)]
    for run in part.sections:
        count = per_topic.get(run.section.topic, len(run.section.lines))
        heading = f"*{escape(run.section.title)}* · {count} item{'s' if count != 1 else ''}"
        blocks.append(section(heading + (" (continued)" if run.continued else "")))
        blocks.extend(section(item_text(line, tz)) for line in run.section.lines)
    footer = (
        f"Window: {date(digest.window_start, tz)} → {date(digest.window_end, tz)}"
        f" · {total} item{'s' if total != 1 else ''}"
    )
    if digest.left_out:
        footer += f" · {digest.left_out_note} (`/watch search`)"
    if part.total > 1:
        footer += f" · part {part.number} of {part.total}"
    if total == 0:
        blocks.append(section("No matching items in this window."))
    if part.number == part.total:
        blocks.extend(last)
    blocks.append(context(footer))
    text = f"{escape(one_line(label))}: {total} item(s)"
    return SlackPost(text=text, blocks=tuple(blocks), ephemeral=digest.ephemeral)


def render_text_reply(reply: TextReply) -> list[SlackPost]:
    """A command's answer: the title line (bold when there are body lines) and its lines."""
    title = escape(reply.text)
    lines = [f"*{title}*" if reply.lines else title, *(escape(line) for line in reply.lines)]
    blocks = _sections(lines)
    return [
        SlackPost(text=clip(one_line(reply.text), 300), blocks=blocks, ephemeral=reply.ephemeral)
    ]


def render_error(reply: ErrorReply) -> list[SlackPost]:
    """What was wrong and what to do; only ever shown to the caller."""
    blocks = _sections(
        [
            f"⚠️ {escape(line)}" if i == 0 else escape(line)
            for i, line in enumerate(reply.text.splitlines() or [""])
        ]
    )
    return [SlackPost(text=clip(one_line(reply.text), 300), blocks=blocks, ephemeral=True)]


def render_notice(notice: NoticeMessage) -> list[SlackPost]:
    """An operational notice to a channel (a feed disabled, a delivery failing)."""
    blocks = _sections([f"⚠️ *Watchbot:* {escape(notice.text)}"])
    return [SlackPost(text=f"Watchbot: {clip(one_line(notice.text), 300)}", blocks=blocks)]


def render_table(table: TableReply) -> list[SlackPost]:
    """The title, the rows as aligned monospace text, and the footer."""
    out: list[Block] = [section(f"*{escape(table.title)}*")] if table.title else []
    if table.rows:
        aligned = render_table_text(table).splitlines()
        fence = LIMITS.max_section_chars - 8
        out.extend(
            section(f"```\n{chunk}\n```")
            for chunk in pack_lines([escape(r) for r in aligned], fence)
        )
    else:
        out.append(section("_(nothing)_"))
    if table.footer:
        out.extend(_sections([escape(line) for line in table.footer.splitlines()]))
    blocks = _cap(out)
    text = clip(one_line(table.title) or "Watchbot", 300)
    return [SlackPost(text=text, blocks=blocks, ephemeral=table.ephemeral)]


def render_table_text(table: TableReply) -> str:
    """Aligned rows (with headers) of a table, without its title and footer."""
    return markdown_table(replace(table, title="", footer=""))


def _sections(lines: list[str]) -> tuple[Block, ...]:
    return _cap([section(chunk) for chunk in pack_lines(lines, LIMITS.max_section_chars)])


def _cap(blocks: list[Block]) -> tuple[Block, ...]:
    if len(blocks) <= MAX_TEXT_SECTIONS:
        return tuple(blocks)
    cut = len(blocks) - MAX_TEXT_SECTIONS + 1
    return (*blocks[: MAX_TEXT_SECTIONS - 1], context(f"… {cut} more block(s) not shown"))


RENDERERS: dict[type, Callable[[Any], list[SlackPost]]] = {
    AlertMessage: render_alert,
    FollowUpMessage: render_followup,
    DigestMessage: render_digest,
    NoticeMessage: render_notice,
    TextReply: render_text_reply,
    ErrorReply: render_error,
    TableReply: render_table,
}


def render(message: object) -> list[SlackPost]:
    """The Slack messages for any core message; an unknown type is a bug and raises TypeError."""
    renderer = RENDERERS.get(type(message))
    if renderer is None:
        raise TypeError(f"no Slack renderer for {type(message).__name__}")
    return renderer(message)
