"""Renderers: one per message type, golden outputs, escaping, limits, unknown types."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.discord.embeds import RENDERERS, Rendered, outlets, render
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


def test_an_unknown_message_type_is_a_bug() -> None:
    with pytest.raises(TypeError, match="no Discord renderer for str"):
        render("hello")
