"""Renderers: one per message type, golden outputs, escaping, limits, unknown types."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.discord.embeds import MOVES_FIELD, RENDERERS, Rendered, move_line, outlets, render
from bot.chat.discord.split import LIMITS
from bot.core.commands_help import help_reply
from bot.core.messages import (
    ALL_MESSAGE_TYPES,
    AlertMessage,
    Attachment,
    DigestMessage,
    DigestSection,
    ErrorReply,
    FollowUpMessage,
    ItemLine,
    NoticeMessage,
    StanceChange,
    TableReply,
    TextReply,
)

GOLDEN = Path(__file__).parent / "golden"
T = datetime(2025, 2, 24, 14, 5, tzinfo=UTC)


def line(item_id: int, title: str, url: str = "https://example.org/a", **kw: Any) -> ItemLine:
    values: dict[str, Any] = {
        "source": "Example Wire",
        "published_at": T,
        "topics": ("troops",),
        "score": 0.91,
        "reason": "names a reassurance force for Ukraine",
    }
    values.update(kw)
    return ItemLine(item_id=item_id, title=title, url=url, **values)


def as_json(parts: list[Rendered]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in parts:
        out.append(
            {
                "content": p.content,
                "embeds": [e.to_dict() for e in p.embeds],
                "ephemeral": p.ephemeral,
                "item_ids": list(p.item_ids),
            }
        )
        if p.files:  # older goldens predate files: listed only where there are some
            out[-1]["files"] = [f.filename for f in p.files]
    return out


CHART = Attachment("topics 2025/02.png", b"\x89PNG fake", "image/png", "Items per day by topic")


def check_golden(name: str, parts: list[Rendered]) -> None:
    """Compare with golden/<name>.json; WATCHBOT_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / f"{name}.json"
    got = as_json(parts)
    if os.environ.get("WATCHBOT_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


def test_alert_golden() -> None:
    check_golden("alert", render(AlertMessage(line(12, "Allies weigh a *reassurance* force"))))


def test_digest_golden() -> None:
    digest = DigestMessage(
        title="Watchbot digest for #news",
        window_start=T - timedelta(days=1),
        window_end=T,
        sections=(
            DigestSection("guarantees", (line(1, "Security pact signed", topics=("guarantees",)),)),
            DigestSection("troops", (line(2, "Brigade to deploy", url=""), line(3, "Base opens"))),
        ),
        timezone="Europe/Kyiv",
    )
    check_golden("digest", render(digest))


HOSTILE = "@everyone <@&1> **x** [y](https://evil.example) `z`"


def test_weekly_digest_with_moves_golden() -> None:
    moves = (
        StanceChange("Keir Starmer", "troops", "supports", T, 3, "open_to", T - timedelta(days=6)),
        StanceChange(HOSTILE, "guarantees", "opposes", T - timedelta(days=1), 4),
    )
    digest = DigestMessage(
        title="Weekly digest for #news",
        window_start=T - timedelta(days=7),
        window_end=T,
        sections=(DigestSection("troops", (line(3, "Base opens"),)),),
        timezone="Europe/Kyiv",
        moves=moves,
        attachments=(CHART,),
    )
    parts = render(digest)
    check_golden("digest_weekly", parts)
    [part] = parts
    items, moved = part.embeds
    assert part.item_ids == (3,) and items.footer.text is None
    assert moved.title == "Who moved (2)" and moved.description is None
    assert str(moved.footer.text).startswith("Watchbot digest · part 1/1 · ")
    assert moved.image.url == "attachment://topics_2025_02.png"  # the chart below the moves
    [field] = moved.fields
    assert field.name == MOVES_FIELD and not field.inline
    assert field.value == "\n".join(move_line(m) for m in moves)
    assert "**Keir Starmer** on Troop deployment: open\\_to (<t:" in field.value
    assert ") → **supports** (<t:1740405900:d>) · `#3`" in field.value
    assert "@\u200beveryone \\<@&1> \\*\\*x\\*\\* \\[y\\]" in field.value
    assert "`z`" not in field.value and ", first on record · `#4`" in field.value


def embed_chars(embed: Any) -> int:
    """What one embed counts towards Discord's 6000 characters per message."""
    fields = sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return (
        len(embed.title or "")
        + len(embed.description or "")
        + fields
        + len(embed.footer.text or "")
    )


def assert_within_limits(part: Rendered) -> None:
    assert 1 <= len(part.embeds) <= LIMITS.embeds
    assert sum(embed_chars(e) for e in part.embeds) <= LIMITS.total
    for e in part.embeds:
        assert len(e.fields) <= LIMITS.fields and len(e.title or "") <= LIMITS.title
        assert all(len(f.value or "") <= LIMITS.field_value for f in e.fields)
        assert all(0 < len(f.name or "") <= LIMITS.field_name for f in e.fields)


def move_lines(parts: list[Rendered]) -> list[str]:
    return [
        text
        for p in parts
        for e in p.embeds
        for f in e.fields
        for text in (f.value or "").split("\n")
    ]


def many_moves(count: int) -> tuple[StanceChange, ...]:
    return tuple(
        StanceChange(f"Speaker {n} " + "s" * 100, "troops", "x" * 70, T, n, "p" * 70, T)
        for n in range(count)
    )


def test_moves_fill_fields_of_whole_lines_in_the_last_message() -> None:
    moves = many_moves(12)  # about 4000 characters: several fields, one message
    digest = DigestMessage("W", None, T, (DigestSection("troops", (line(1, "T"),)),), moves=moves)
    [part] = render(digest)
    assert_within_limits(part)
    [_, moved] = part.embeds
    assert len(moved.fields) > 1 and moved.fields[0].name == MOVES_FIELD
    assert {f.name for f in moved.fields[1:]} == {"\u200b"}
    assert move_lines([part]) == [move_line(m) for m in moves]  # all, in order, none cut


def test_moves_that_do_not_fit_get_a_message_of_their_own() -> None:
    lines = tuple(line(n, f"Item {n} " + "x" * 180, reason="r" * 290) for n in range(1, 11))
    moves = many_moves(12)
    digest = DigestMessage(
        "W", None, T, (DigestSection("troops", lines),), moves=moves, attachments=(CHART,)
    )
    parts = render(digest)
    for p in parts:
        assert_within_limits(p)
    *items, last = parts
    assert items and all(not e.fields for p in items for e in p.embeds)
    assert [e.title for e in last.embeds] == ["Who moved (12)"] and last.item_ids == ()
    assert [i for p in parts for i in p.item_ids] == list(range(1, 11))
    assert move_lines(parts) == [move_line(m) for m in moves]
    footers = [p.embeds[-1].footer.text for p in parts]
    assert [str(f).split(" · ")[1] for f in footers] == [
        f"part {i}/{len(parts)}" for i in range(1, len(parts) + 1)
    ]
    assert [p.files for p in parts] == [()] * len(items) + [(CHART,)]
    assert last.embeds[-1].image.url == "attachment://topics_2025_02.png"


def test_moves_beyond_one_message_are_counted_not_cut() -> None:
    moves = many_moves(200)
    parts = render(DigestMessage("W", None, T, (), moves=moves))
    for p in parts:
        assert_within_limits(p)
    assert [e.title for e in parts[0].embeds] == ["Nothing new"]
    *shown, more = move_lines(parts)
    assert shown == [move_line(m) for m in moves[: len(shown)]] and len(shown) > 10
    assert more == f"… and {200 - len(shown)} more"
    titles = [e.title for p in parts for e in p.embeds if e.fields]
    assert titles[0] == "Who moved (200)" and set(titles[1:]) <= {"Who moved (200) (cont.)"}


def test_a_move_line_always_fits_a_field() -> None:
    worst = StanceChange("<@&1>" * 400, "troops", "*" * 500, T, 1, "_" * 500, T)
    assert len(move_line(worst)) <= LIMITS.field_value


def test_followup_golden() -> None:
    first = line(12, "Allies weigh a *reassurance* force", also=("Daily Paper", "Kyiv <@&1> Post"))
    later = line(15, "Reassurance force: allies weigh it", source="Kyiv <@&1> Post")
    check_golden("followup", render(FollowUpMessage(later, AlertMessage(first), "1234")))


def test_every_core_message_type_has_a_renderer() -> None:
    assert set(RENDERERS) == set(ALL_MESSAGE_TYPES)


def test_also_reported_by_fits_a_field_and_cuts_at_whole_outlets() -> None:
    many = tuple(f"Outlet number {n} with a **long** name" for n in range(60))
    text = outlets(many)
    assert len(text) <= LIMITS.field_value and text.endswith(" more")
    shown = text.rsplit(" and ", 1)[0].split(", ")
    assert shown == [f"Outlet number {n} with a \\*\\*long\\*\\* name" for n in range(len(shown))]
    assert text.endswith(f" and {60 - len(shown)} more")
    [part] = render(AlertMessage(line(1, "T", also=many)))
    [field] = [f for f in part.embeds[0].fields if f.name == "Also reported by"]
    assert field.value == text and not field.inline
    [plain] = render(AlertMessage(line(1, "T")))
    assert [f.name for f in plain.embeds[0].fields] == ["Outlet", "Topics", "Published"]


def test_digest_chart_goes_with_the_last_part_only() -> None:
    lines = tuple(line(n, f"Item {n} " + "x" * 180, reason="r" * 290) for n in range(60))
    digest = DigestMessage(
        title="Weekly",
        window_start=T - timedelta(days=7),
        window_end=T,
        sections=(DigestSection("troops", lines),),
        attachments=(CHART,),
    )
    parts = render(digest)
    assert len(parts) > 1
    assert [p.files for p in parts] == [()] * (len(parts) - 1) + [(CHART,)]
    images = [e.image.url for p in parts for e in p.embeds]
    assert images == [None] * (len(images) - 1) + ["attachment://topics_2025_02.png"]


def test_table_with_a_chart_shows_it_below_the_rows() -> None:
    [part] = render(TableReply(title="Watchbot status", rows=(("a", "b"),), attachments=(CHART,)))
    assert part.files == (CHART,) and part.ephemeral
    assert part.embeds[0].image.url == "attachment://topics_2025_02.png"


def test_table_golden() -> None:
    table = TableReply(
        title="Feeds",
        headers=("id", "name", "health"),
        rows=(("1", "BBC `world`", "ok"), ("2", "Reuters", "failing (3×)")),
        footer="`why ITEM` explains one.",
    )
    check_golden("table", render(table))


def test_help_golden() -> None:
    check_golden("help", render(help_reply()))


def test_alert_without_a_safe_link_or_reason() -> None:
    for url in ("", "javascript:alert(1)", "ftp://example.org/x", "https://" + "a" * 2000):
        [part] = render(AlertMessage(line(1, "T", url=url, reason="", topics=())))
        [embed] = part.embeds
        assert embed.url is None and embed.description is None
        assert embed.colour is not None and embed.colour.value == 0x64748B


def test_replies_keep_code_spans_and_escape_the_rest() -> None:
    [part] = render(
        TextReply("Try `digest 7d` for *more* @everyone", ("a_b <@&123456789012345678>",))
    )
    description = part.embeds[0].description or ""
    assert description == (
        "Try `digest 7d` for \\*more\\* @\u200beveryone\na\\_b \\<@\u200b&123456789012345678>"
    )
    assert part.ephemeral


def test_error_and_notice_visibility() -> None:
    [error] = render(ErrorReply("no item #9"))
    [notice] = render(NoticeMessage("feed BBC disabled"))
    assert error.ephemeral and not notice.ephemeral
    assert (error.embeds[0].description or "").startswith("⚠️ no item #9")


def test_long_table_is_cut_with_a_count_and_fits() -> None:
    rows = tuple((str(n), "x" * 80, "ok") for n in range(200))
    [part] = render(TableReply(title="Search: x", rows=rows, headers=("id", "title", "h")))
    description = part.embeds[0].description or ""
    assert len(description) <= 4096
    assert description.count("```") == 2 and "… and " in description


def test_a_chronological_table_keeps_its_newest_rows() -> None:
    rows = tuple((f"2025-01-{n % 28 + 1:02d}", f"row{n:03d}", "y" * 80) for n in range(200))
    [part] = render(TableReply(title="Timeline: x", rows=rows, keep="last"))
    description = part.embeds[0].description or ""
    assert len(description) <= 4096 and "row199" in description and "row000" not in description
    assert description.startswith("… ") and "earlier row(s) not shown" in description


def test_an_unknown_message_type_is_a_bug() -> None:
    with pytest.raises(TypeError, match="no Discord renderer for str"):
        render("hello")
