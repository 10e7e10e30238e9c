"""Packing digest items into Discord messages: limits respected, every item once, in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.discord.split import LIMITS, SectionText, pack, pack_lines, within_limits


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


@given(
    sizes=st.lists(st.integers(1, 1024), max_size=120),
    budget=st.integers(0, 6000),
    embeds=st.integers(1, 10),
)
@settings(max_examples=150, deadline=None)
def test_lines_fill_fields_whole_in_order_within_limits(
    sizes: list[int], budget: int, embeds: int
) -> None:
    lines = [f"{n}:" + "x" * max(size - len(f"{n}:"), 0) for n, size in enumerate(sizes)]
    drafts = pack_lines("Who moved (9)", 1, lines, first_name="First", budget=budget, embeds=embeds)

    placed = [line for d in drafts for line in d.lines]
    assert placed == lines[: len(placed)]  # a prefix, in order, no line cut
    assert len(drafts) <= embeds and sum(d.size() for d in drafts) <= budget
    for d in drafts:
        assert 0 < len(d.fields) <= LIMITS.fields
        assert all(0 < len(value) <= LIMITS.field_value for _, value in d.values)
    if drafts:
        assert drafts[0].values[0][0] == "First" and drafts[0].title == "Who moved (9)"
        assert all(d.title == "Who moved (9) (cont.)" for d in drafts[1:])
    if budget == 6000 and embeds == 10 and sum(sizes) <= 4000:
        assert placed == lines  # a few thousand characters always fit an empty message


def test_lines_fill_one_field_before_the_next() -> None:
    [draft] = pack_lines("T", 1, ["a" * 500] * 3, first_name="N", budget=6000, embeds=1)
    assert [(name, len(value)) for name, value in draft.values] == [("N", 1001), ("\u200b", 500)]


def test_a_line_too_long_for_a_field_is_a_bug() -> None:
    with pytest.raises(ValueError, match="cannot fit an embed field"):
        pack_lines("T", 1, ["z" * 1025], first_name="N", budget=6000, embeds=10)
