"""Splitting digests (and long replies) within Slack's limits, every item exactly once."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.slack.blocks import SlackPost, render
from bot.chat.slack.split import LIMITS, pack_lines, split_digest
from bot.core.messages import DigestMessage, DigestSection, ItemLine
from tests.chat.slack.test_blocks import texts

WHEN = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ITEM_URL = re.compile(r"<https://news\.example/(\d+)\|")


def item(n: int, title_len: int = 60) -> ItemLine:
    title = (f"Story {n} " + "word & <tag> " * 100)[:title_len]
    return ItemLine(
        item_id=n,
        title=title,
        url=f"https://news.example/{n}",
        source=f"Outlet {n % 9}",
        published_at=WHEN - timedelta(minutes=n),
        topics=("troops",) if n % 3 else ("guarantees", "troops"),
        score=0.8,
        reason=f"reason {n} " + "r" * (n % 150),
    )


def digest_of(lines_per_topic: dict[str, list[ItemLine]]) -> DigestMessage:
    return DigestMessage(
        title="Watchbot digest for #news",
        window_start=WHEN - timedelta(days=1),
        window_end=WHEN,
        sections=tuple(DigestSection(t, tuple(ls)) for t, ls in lines_per_topic.items()),
    )


def check_valid(post: SlackPost) -> None:
    """A message Slack accepts: block count, section and header lengths, cumulative text."""
    assert len(post.blocks) <= LIMITS.max_blocks
    for block in post.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= LIMITS.max_header_chars
        for text in texts(block):
            assert len(text) <= LIMITS.max_section_chars
    assert sum(len(t) for t in texts(post.blocks)) <= 12_000
    assert len(post.text) <= 3000


def item_ids(posts: list[SlackPost]) -> Counter[int]:
    return Counter(int(m) for p in posts for t in texts(p.blocks) for m in ITEM_URL.findall(t))


def test_200_items_become_several_valid_messages_each_item_once() -> None:
    lines = [item(n, title_len=40 + (n * 37) % 400) for n in range(1, 201)]
    digest = digest_of({"guarantees": lines[:70], "troops": lines[70:]})
    posts = render(digest)
    assert len(posts) >= 4
    for post in posts:
        check_valid(post)
    assert item_ids(posts) == Counter(range(1, 201))
    # Each part repeats the header; the topic that spans a cut says so.
    assert [p.blocks[0]["text"]["text"] for p in posts][1].endswith(f"(2/{len(posts)})")
    headings = [t for p in posts for t in texts(p.blocks) if t.startswith("*Troop deployment*")]
    assert headings[0] == "*Troop deployment* · 130 items"
    assert all(h.endswith("(continued)") for h in headings[1:])
    # Deterministic: the sender's per-part keys depend on it.
    assert render(digest) == posts


def test_parts_are_cut_between_items_and_keep_order() -> None:
    lines = [item(n) for n in range(1, 121)]
    parts = split_digest(digest_of({"troops": lines}), lambda line: 250)
    flat = [line.item_id for p in parts for s in p.sections for line in s.section.lines]
    assert flat == list(range(1, 121))
    assert all(p.total == len(parts) for p in parts)
    assert [p.number for p in parts] == list(range(1, len(parts) + 1))


def test_empty_digest_is_one_part() -> None:
    posts = render(digest_of({}))
    assert len(posts) == 1 and "No matching items" in str(posts[0].blocks)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=900), min_size=0, max_size=260),
    st.integers(min_value=0, max_value=260),
)
def test_any_digest_splits_validly(title_lens: list[int], cut: int) -> None:
    lines = [item(n, t) for n, t in enumerate(title_lens, 1)]
    posts = render(digest_of({"guarantees": lines[:cut], "troops": lines[cut:]}))
    for post in posts:
        check_valid(post)
    assert item_ids(posts) == Counter(range(1, len(lines) + 1))


def test_pack_lines_breaks_between_lines_only() -> None:
    chunks = pack_lines([f"line {n:03d}" for n in range(100)], 50)
    assert all(len(c) <= 50 for c in chunks)
    assert "\n".join(chunks).split("\n") == [f"line {n:03d}" for n in range(100)]
    (long_one,) = pack_lines(["x&amp;" * 20], 30)
    assert len(long_one) <= 30 and long_one.endswith("…") and "&am…" not in long_one
