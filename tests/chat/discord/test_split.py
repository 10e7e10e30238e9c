"""Packing digest items into Discord messages: limits respected, every item once, in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.discord.split import LIMITS, SectionText, pack, within_limits


def blocks_of(messages: list[list]) -> list[str]:  # type: ignore[type-arg]
    return [b for m in messages for e in m for b in e.blocks]


@given(
    sizes=st.lists(st.lists(st.integers(1, 1800), max_size=60), min_size=1, max_size=4),
    reserve=st.integers(0, 200),
)
@settings(max_examples=150, deadline=None)
def test_every_block_lands_once_in_order_within_limits(
    sizes: list[list[int]], reserve: int
) -> None:
    sections = [
        SectionText(
            f"Section {s}", 0x123456, [f"{s}.{n}:" + "x" * size for n, size in enumerate(row)]
        )
        for s, row in enumerate(sizes)
    ]
    messages = pack(sections, footer_reserve=reserve)

    assert blocks_of(messages) == [b for s in sections for b in s.blocks]
    for message in messages:
        assert within_limits(message)
        assert sum(e.size() for e in message) + reserve <= LIMITS.total


def test_sections_continue_under_a_continued_title() -> None:
    section = SectionText("Troop deployment (30)", 1, ["y" * 1000] * 30)
    messages = pack([section])
    titles = [e.title for m in messages for e in m]
    assert titles[0] == "Troop deployment (30)"
    assert set(titles[1:]) == {"Troop deployment (30) (cont.)"}
    assert len(messages) > 1


def test_an_item_too_large_for_any_message_is_a_bug() -> None:
    with pytest.raises(ValueError, match="cannot fit"):
        pack([SectionText("S", 1, ["z" * 5000])])


def test_no_sections_no_messages() -> None:
    assert pack([]) == []
