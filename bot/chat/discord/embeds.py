"""Discord rendering of the core's messages: one renderer per message type, embeds throughout.

Every renderer returns a list of `Rendered` messages (only digests may need several). An unknown
message type is a bug and raises TypeError. Feed text is escaped with `text.escape_feed`; times
are Discord timestamps (`<t:…:f>`), shown in each reader's own time zone. Charts travel as
`Rendered.files` (uploaded by the sender) and are shown inside the last embed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import discord

from bot.chat.discord.files import inline_image
from bot.chat.discord.split import (
    LIMITS,
    EmbedDraft,
    FieldsDraft,
    SectionText,
    pack,
    pack_lines,
)
from bot.chat.discord.text import clip, escape_feed, escape_reply, fit, safe_url
from bot.chat.markdown import when
from bot.core.messages import (
    AlertMessage,
    Attachment,
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

TOPIC_COLOURS: dict[str, int] = {"guarantees": 0x3B82F6, "troops": 0xD97706}
NEUTRAL = 0x64748B
ERROR = 0xDC2626
NOTICE = 0xF59E0B
ALERT_FOOTER = "Watchbot alert · item #{item_id} · react 👍 or 👎 to rate it"
ALSO_REPORTED = "Also reported by"
WHO_MOVED = "Who moved"
MOVES_FIELD = "Changes of stance, newest first"

# Raw feed text is cut to these lengths before escaping so one digest item always fits an embed.
_TITLE_RAW, _SOURCE_RAW, _REASON_RAW, _URL_MAX = 200, 80, 300, 600
# ... and so one "who moved" line always fits an embed field (1024).
_SPEAKER_RAW, _STANCE_RAW = 120, 80


@dataclass(frozen=True, slots=True)
class Rendered:
    """One Discord message: optional text, its embeds, whether only the caller sees it, and
    the files to upload with it."""

    content: str | None
    embeds: tuple[discord.Embed, ...]
    ephemeral: bool = False
    item_ids: tuple[int, ...] = ()  # the items it shows, in order (alerts and digests)
    files: tuple[Attachment, ...] = ()  # charts; the sender turns them into discord.File


def colour_of(topics: tuple[str, ...]) -> int:
    """The colour of an item's first topic; neutral when it has none."""
    return TOPIC_COLOURS.get(topics[0], NEUTRAL) if topics else NEUTRAL


def stamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp tag such as `<t:1700000000:f>`."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def topic_badges(line: ItemLine) -> str:
    """`Troop deployment · 0.91`, or `unclassified`."""
    if not line.topics:
        return "unclassified"
    names = ", ".join(TOPIC_TITLES.get(t, t) for t in line.topics)
    return f"{names} · {line.score:.2f}"


def render_alert(message: AlertMessage) -> list[Rendered]:
    """One embed: linked title, reason, outlet, topics, time and item number; colour by topic."""
    line = message.line
    embed = discord.Embed(
        title=fit(line.title, LIMITS.title),
        url=safe_url(line.url, _URL_MAX),
        description=f"**Why:** {fit(line.reason, 1000)}" if line.reason else None,
        colour=colour_of(line.topics),
        timestamp=line.published_at,
    )
    embed.add_field(name="Outlet", value=fit(line.source, LIMITS.field_value) or "—")
    embed.add_field(name="Topics", value=topic_badges(line))
    embed.add_field(name="Published", value=stamp(line.published_at))
    if line.also:
        embed.add_field(name=ALSO_REPORTED, value=outlets(line.also), inline=False)
    embed.set_footer(text=ALERT_FOOTER.format(item_id=line.item_id))
    topic = TOPIC_TITLES.get(line.topics[0], "News") if line.topics else "News"
    return [Rendered(f"🔔 **{topic}** alert", (embed,), False, (line.item_id,))]


def outlets(sources: tuple[str, ...], limit: int = LIMITS.field_value) -> str:
    """Outlet names, escaped and comma-separated; when they do not fit in `limit`, as many as
    fit whole followed by `and N more` (an outlet name is never cut in two)."""
    names = [_short(s, _SOURCE_RAW) for s in sources if s.strip()]
    for kept in range(len(names), 0, -1):
        rest = len(names) - kept
        text = ", ".join(names[:kept]) + (f" and {rest} more" if rest else "")
        if len(text) <= limit:
            return text
    return f"{len(names)} outlets" if names else "—"


def render_followup(message: FollowUpMessage) -> list[Rendered]:
    """A later source of a story: the story's first alert again, now listing every source.

    The sender edits the first alert's message to these embeds (its content line stays); the
    content here is shown only when that message has gone and this is posted as a new one.
    """
    [alert] = render_alert(message.story)
    source = _short(message.line.source, _SOURCE_RAW) or "another outlet"
    content = f"↪️ Also reported by **{source}** (item `#{message.line.item_id}`)"
    shown = (message.story.line.item_id, message.line.item_id)
    return [Rendered(clip(content, LIMITS.content), alert.embeds, False, shown)]


def _short(raw: str, limit: int) -> str:
    """Feed text cut to `limit` raw characters, then escaped (at most about twice as long)."""
    raw = " ".join(raw.split())
    return escape_feed(raw if len(raw) <= limit else raw[: limit - 1].rstrip() + "…")


def item_block(n: int, line: ItemLine) -> str:
    """One digest item: number, linked title and item tag; outlet, time, score; the reason."""
    title = _short(line.title, _TITLE_RAW)
    url = safe_url(line.url, _URL_MAX)
    head = f"[{title}]({url})" if url else f"**{title}**"
    meta = f"{_short(line.source, _SOURCE_RAW)} · {stamp(line.published_at)}"
    if line.topics:
        meta += f" · {line.score:.2f}"
    out = [f"**{n}.** {head} · `#{line.item_id}`", meta]
    if line.reason:
        out.append(f"> {_short(line.reason, _REASON_RAW)}")
    return "\n".join(out)


def move_line(move: StanceChange) -> str:
    """One "who moved" line: speaker, topic, the previous stance and when, the new one and
    when (dates in each reader's time zone), the item that reported it."""
    speaker = _short(move.speaker, _SPEAKER_RAW) or "someone"
    topic = escape_feed(TOPIC_TITLES.get(move.topic, move.topic))
    now = f"**{_short(move.stance, _STANCE_RAW)}** ({stamp(move.said_at, 'd')})"
    if move.previous:
        before = _short(move.previous, _STANCE_RAW)
        if move.previous_at is not None:
            before += f" ({stamp(move.previous_at, 'd')})"
        change = f"{before} → {now}"
    else:
        change = f"{now}, first on record"
    return clip(f"**{speaker}** on {topic}: {change} · `#{move.item_id}`", LIMITS.field_value)


def moves_drafts(
    moves: tuple[StanceChange, ...], *, budget: int, embeds: int, cut: bool
) -> list[FieldsDraft] | None:
    """The "who moved" embed(s) within `budget` characters and `embeds` embeds: every move,
    or (with `cut`) as many as fit followed by `… and N more`; None when they do not all fit
    and `cut` is off."""
    lines = [move_line(m) for m in moves]
    title = f"{WHO_MOVED} ({len(lines)})"

    def fit_lines(shown: list[str]) -> list[FieldsDraft]:
        return pack_lines(
            title, NEUTRAL, shown, first_name=MOVES_FIELD, budget=budget, embeds=embeds
        )

    drafts = fit_lines(lines)
    kept = sum(len(d.lines) for d in drafts)
    if kept == len(lines):
        return drafts
    if not cut:
        return None
    while kept >= 0:  # make room for the count of the moves left out
        shown = [*lines[:kept], f"… and {len(lines) - kept} more"]
        drafts = fit_lines(shown)
        if sum(len(d.lines) for d in drafts) == len(shown):
            return drafts
        kept -= 1
    return []  # not even the count fits: cannot happen within one message


def render_digest(digest: DigestMessage) -> list[Rendered]:
    """Embeds per topic section, split across messages within Discord's limits.

    The first message carries the header (title, item count, window); every message ends with
    a footer `part i/n`. Items keep their order; none is cut or repeated. A weekly digest's
    "who moved" follows the items in the last message, as fields of whole lines (in a message
    of its own when the last one has no room left), then its chart: uploaded with the last
    message and shown inside its last embed.
    """
    sections = [
        SectionText(
            title=f"{s.title} ({len(s.lines)})",
            colour=TOPIC_COLOURS.get(s.topic, NEUTRAL),
            blocks=[item_block(n, line) for n, line in enumerate(s.lines, 1)],
        )
        for s in digest.sections
    ]
    ids = [[line.item_id for line in s.lines] for s in digest.sections]
    window = (
        f"{when(digest.window_start, digest.timezone)} → {when(digest.window_end, digest.timezone)}"
    )
    footer = "Watchbot digest · part {i}/{n} · " + window
    if digest.left_out:
        footer += f" · {digest.left_out_note} (/watch search)"
    reserve = len(footer.format(i=99, n=99))
    packed = pack(sections, footer_reserve=reserve) or [
        [EmbedDraft("Nothing new", NEUTRAL, ["No matching items in this window."])]
    ]
    parts: list[list[EmbedDraft | FieldsDraft]] = [[*m] for m in packed]
    if digest.moves:
        last = parts[-1]
        moves = moves_drafts(
            digest.moves,
            budget=LIMITS.total - reserve - sum(d.size() for d in last),
            embeds=LIMITS.embeds - len(last),
            cut=False,
        )
        if moves:
            last.extend(moves)
        else:
            own = moves_drafts(
                digest.moves, budget=LIMITS.total - reserve, embeds=LIMITS.embeds, cut=True
            )
            if own:
                parts.append([*own])
    since = stamp(digest.window_start) if digest.window_start else "the beginning"
    header = clip(
        f"📰 **{escape_feed(digest.title)}** — {digest.item_count} item(s), "
        f"{since} → {stamp(digest.window_end)}",
        LIMITS.content,
    )
    queue = [i for section in ids for i in section]
    out: list[Rendered] = []
    for index, drafts in enumerate(parts, 1):
        drafts[-1].footer = footer.format(i=index, n=len(parts))
        # Items only (the empty placeholder has no ids left; "who moved" shows none).
        count = sum(len(d.blocks) for d in drafts if isinstance(d, EmbedDraft))
        shown, queue = tuple(queue[:count]), queue[count:]
        out.append(
            Rendered(
                header if index == 1 else None,
                tuple(_embed(d) for d in drafts),
                digest.ephemeral,
                shown,
            )
        )
    if digest.attachments:
        last_part = out[-1]
        inline_image(last_part.embeds[-1], digest.attachments)
        out[-1] = replace(last_part, files=digest.attachments)
    return out


def _embed(draft: EmbedDraft | FieldsDraft) -> discord.Embed:
    if isinstance(draft, FieldsDraft):
        embed = discord.Embed(title=draft.title, colour=draft.colour)
        for name, value in draft.values:
            embed.add_field(name=name, value=value, inline=False)
    else:
        embed = discord.Embed(title=draft.title, description=draft.description, colour=draft.colour)
    if draft.footer:
        embed.set_footer(text=draft.footer)
    return embed


def render_text(reply: TextReply) -> list[Rendered]:
    """The title line and body lines as one embed description."""
    body = "\n".join(escape_reply(t) for t in (reply.text, *reply.lines))
    embed = discord.Embed(description=clip(body, LIMITS.description), colour=NEUTRAL)
    return [Rendered(None, (embed,), reply.ephemeral, files=reply.attachments)]


def render_error(reply: ErrorReply) -> list[Rendered]:
    """What was wrong and what to do, in red, only to the caller."""
    embed = discord.Embed(
        description=clip("⚠️ " + escape_reply(reply.text), LIMITS.description), colour=ERROR
    )
    return [Rendered(None, (embed,), True)]


def render_notice(notice: NoticeMessage) -> list[Rendered]:
    """An operational notice for the whole channel."""
    embed = discord.Embed(
        description=clip("⚠️ " + escape_reply(notice.text), LIMITS.description), colour=NOTICE
    )
    return [Rendered(None, (embed,), False)]


def _cell(value: str) -> str:
    # Inside a code block nothing renders; only a backtick could close it early.
    return " ".join(value.replace("`", "ˋ").split())


def table_text(table: TableReply, budget: int) -> str:
    """Aligned rows in a code block, with as many rows as fit in `budget` characters."""
    rows = [tuple(_cell(c) for c in r) for r in table.rows]
    head = [tuple(_cell(c) for c in table.headers)] if table.headers else []
    if not rows:
        return "(nothing)"
    kept = len(rows)
    last = table.keep == "last"
    while True:
        shown = head + (rows[len(rows) - kept :] if last else rows[:kept])
        widths = [max(len(r[i]) for r in shown if i < len(r)) for i in range(len(shown[0]))]
        lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in shown]
        cut = len(rows) - kept
        block = "```\n" + "\n".join(lines) + "\n```"
        if not cut:
            text = block
        elif last:
            text = f"… {cut} earlier row(s) not shown\n" + block
        else:
            text = block + f"\n… and {cut} more"
        if len(text) <= budget or kept == 0:
            return text if len(text) <= budget else clip(text, budget)
        kept -= 1


def render_table(table: TableReply) -> list[Rendered]:
    """Title, the rows as an aligned code block (cut to fit with a count), then the footer;
    a chart (`status chart`) is uploaded with it and shown below."""
    footer = clip(escape_reply(table.footer), 1500) if table.footer else ""
    budget = LIMITS.description - len(footer) - 2
    description = table_text(table, budget) + (f"\n\n{footer}" if footer else "")
    embed = discord.Embed(
        title=fit(table.title, LIMITS.title, escape_reply) or None,
        description=description,
        colour=NEUTRAL,
    )
    inline_image(embed, table.attachments)  # `status chart`: the chart below the table
    return [Rendered(None, (embed,), table.ephemeral, files=table.attachments)]


RENDERERS: dict[type, Callable[[object], list[Rendered]]] = {
    AlertMessage: render_alert,  # type: ignore[dict-item]
    FollowUpMessage: render_followup,  # type: ignore[dict-item]
    DigestMessage: render_digest,  # type: ignore[dict-item]
    TextReply: render_text,  # type: ignore[dict-item]
    ErrorReply: render_error,  # type: ignore[dict-item]
    NoticeMessage: render_notice,  # type: ignore[dict-item]
    TableReply: render_table,  # type: ignore[dict-item]
}


def render(message: object) -> list[Rendered]:
    """Discord messages for any core message; an unknown type is a bug and raises TypeError."""
    renderer = RENDERERS.get(type(message))
    if renderer is None:
        raise TypeError(f"no Discord renderer for {type(message).__name__}")
    return renderer(message)
