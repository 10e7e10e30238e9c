"""Renderers: one per message type, golden outputs, escaping, limits, unknown types."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.discord.embeds import Rendered, render
from bot.core.commands_help import help_reply
from bot.core.messages import (
    AlertMessage,
    DigestMessage,
    DigestSection,
    ErrorReply,
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
    return [
        {
            "content": p.content,
            "embeds": [e.to_dict() for e in p.embeds],
            "ephemeral": p.ephemeral,
            "item_ids": list(p.item_ids),
        }
        for p in parts
    ]


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
