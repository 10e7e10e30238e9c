"""Block Kit renderers: one per message type, escaping, limits, golden files."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.slack.blocks import RENDERERS, SlackPost, render
from bot.chat.slack.mrkdwn import clip, escape, link, safe_url
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

DATA = Path(__file__).parent / "golden"  # not data/: .gitignore ignores every data/ folder
WHEN = datetime(2025, 2, 24, 14, 5, tzinfo=UTC)
HOSTILE = "<!channel> & <@U123|x> <http://evil|click>"


def line(n: int = 1, **kw: Any) -> ItemLine:
    values: dict[str, Any] = {
        "item_id": n,
        "title": f"Leaders agree security guarantees for Ukraine ({n})",
        "url": f"https://news.example/story/{n}",
        "source": "Example News",
        "published_at": WHEN,
        "topics": ("guarantees",),
        "score": 0.91,
        "reason": "“security guarantees” near “Ukraine” in the headline",
    }
    values.update(kw)
    return ItemLine(**values)


def texts(blocks: Any) -> list[str]:
    """Every text string anywhere in a block tree."""
    if isinstance(blocks, dict):
        out = [blocks["text"]] if isinstance(blocks.get("text"), str) else []
        return out + [
            t for k, v in blocks.items() if k != "text" or not isinstance(v, str) for t in texts(v)
        ]
    if isinstance(blocks, list | tuple):
        return [t for b in blocks for t in texts(b)]
    return []


def all_text(post: SlackPost) -> str:
    return "\n".join([post.text, *texts(post.blocks)])


def golden(name: str, posts: list[SlackPost]) -> None:
    data = [p.payload() | {"ephemeral": p.ephemeral} for p in posts]
    path = DATA / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert data == json.loads(path.read_text())


def test_every_message_type_has_exactly_one_renderer() -> None:
    assert set(RENDERERS) == set(ALL_MESSAGE_TYPES)


def test_unknown_type_fails_loudly() -> None:
    with pytest.raises(TypeError, match="no Slack renderer for str"):
        render("hello")


def test_alert_golden() -> None:
    posts = render(AlertMessage(line()))
    golden("alert.json", posts)
    (post,) = posts
    assert post.blocks[0]["text"]["text"].startswith(
        "🔔 *<https://news.example/story/1|Leaders agree"
    )
    assert "`Security guarantees`" in all_text(post)
    assert "Example News" in all_text(post)
    assert post.payload()["unfurl_links"] is False and post.payload()["unfurl_media"] is False


def test_alert_without_url_is_plain_title() -> None:
    (post,) = render(AlertMessage(line(url="")))
    assert (
        post.blocks[0]["text"]["text"] == "🔔 *Leaders agree security guarantees for Ukraine (1)*"
    )
    (post,) = render(AlertMessage(line(url="javascript:alert(1)")))
    assert "<javascript" not in all_text(post)


def test_digest_golden_small() -> None:
    digest = DigestMessage(
        title="Watchbot digest for #news",
        window_start=WHEN - timedelta(days=1),
        window_end=WHEN,
        sections=(
            DigestSection("guarantees", (line(1), line(2, url=""))),
            DigestSection("troops", (line(3, topics=("troops",), title="Troops & tanks"),)),
        ),
        timezone="Europe/Kyiv",
    )
    posts = render(digest)
    golden("digest_small.json", posts)
    (post,) = posts
    kinds = [b["type"] for b in post.blocks]
    assert kinds[0] == "header" and kinds[-1] == "context"
    assert kinds.count("section") == 2 + 3  # two topic headings, three items
    footer = post.blocks[-1]["elements"][0]["text"]
    assert footer.startswith("Window: <!date^") and "3 items" in footer
    assert "Troops &amp; tanks" in all_text(post)


def test_weekly_digest_with_stories_and_moves_golden() -> None:
    moves = (
        StanceChange(
            "Keir Starmer", "troops", "supports", WHEN, 3, "open to", WHEN - timedelta(days=6)
        ),
        StanceChange(HOSTILE, "guarantees", "opposes", WHEN, 4),
    )
    digest = DigestMessage(
        title="Weekly digest for #news",
        window_start=WHEN - timedelta(days=7),
        window_end=WHEN,
        sections=(
            DigestSection(
                "troops", (line(3, topics=("troops",), also=("Reuters", "AP <b>"), folded=(8, 9)),)
            ),
        ),
        moves=moves,
    )
    posts = render(digest)
    golden("digest_weekly.json", posts)
    (post,) = posts
    text = all_text(post)
    assert "+2 related" in text and "_Also reported by_ Reuters, AP &lt;b&gt;" in text
    assert "*Troop deployment* · 3 items" in text  # folded story members count
    assert post.blocks[-3]["text"]["text"] == "*Who moved*"
    assert "*Keir Starmer* on Troop deployment: supports — was open to (" in text
    assert "first on record" in text and "<!channel>" not in text


def test_moves_that_do_not_fit_get_a_part_of_their_own() -> None:
    lines = tuple(line(n, title="T" * 400, reason="R" * 400) for n in range(1, 12))
    moves = tuple(
        StanceChange(f"Speaker {n}", "troops", "s" * 70, WHEN, n, "p" * 70, WHEN) for n in range(60)
    )
    posts = render(DigestMessage("D", None, WHEN, (DigestSection("troops", lines),), moves=moves))
    assert len(posts) >= 2
    assert "*Who moved*" in all_text(posts[-1]) and all(
        "*Who moved*" not in all_text(p) for p in posts[:-1]
    )
    assert "… and " in all_text(posts[-1])
    for post in posts:
        assert sum(len(t) for t in texts(post.blocks)) <= 12_000 and len(post.blocks) <= 50


@pytest.mark.parametrize(
    "message",
    [
        AlertMessage(
            line(
                title=HOSTILE,
                source=HOSTILE,
                reason=HOSTILE,
                also=(HOSTILE,),
                url="https://x.example/a?b=1&c=<2>",
            )
        ),
        DigestMessage(
            title="Digest",
            window_start=None,
            window_end=WHEN,
            sections=(
                DigestSection("troops", (line(title=HOSTILE, source=HOSTILE, reason=HOSTILE),)),
            ),
        ),
        FollowUpMessage(
            line(title=HOSTILE, source=HOSTILE, reason=HOSTILE, url="https://x.example/?a=<b>"),
            AlertMessage(line(also=(HOSTILE,))),
            "1740405900.000100",
        ),
        NoticeMessage(HOSTILE),
        TextReply(HOSTILE, (HOSTILE,)),
        ErrorReply(HOSTILE),
        TableReply(HOSTILE, ((HOSTILE, "x"),), ("a", "b"), footer=HOSTILE),
    ],
    ids=lambda m: type(m).__name__,
)
def test_hostile_text_is_inert(message: object) -> None:
    for post in render(message):
        text = all_text(post)
        assert "&lt;!channel&gt; &amp; &lt;@U123|x&gt; &lt;http://evil|click&gt;" in text
        # No control sequence other than our own links and dates survives.
        for seq in re.findall(r"<([^>]*)>", text):
            assert seq.startswith(("!date^", "https://news.example/", "https://x.example/")), seq
        assert "<!channel>" not in text and "<@U123" not in text and "<http://evil" not in text


def followup(**kw: Any) -> FollowUpMessage:
    later = line(2, source="Later Wire", **kw)
    return FollowUpMessage(later, AlertMessage(line(1, also=("Later Wire",))), "1740405900.000100")


def test_followup_golden_is_compact() -> None:
    posts = render(followup())
    golden("followup.json", posts)
    (post,) = posts
    assert [b["type"] for b in post.blocks] == ["section", "context"]
    assert post.blocks[0]["text"]["text"] == (
        "↪️ Also reported by *Later Wire*: "
        "<https://news.example/story/2|Leaders agree security guarantees for Ukraine (2)>"
    )
    meta = post.blocks[1]["elements"][0]["text"]
    assert meta.startswith("<!date^1740405900^") and "item #2" in meta and "_Why:_" in meta
    assert (
        post.text
        == "Also reported by Later Wire: Leaders agree security guarantees for Ukraine (2)"
    )
    assert post.ephemeral is False and post.payload()["unfurl_links"] is False


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "data:text/html,<b>x</b>"])
def test_followup_with_an_unsafe_link_shows_the_title_as_text(url: str) -> None:
    (post,) = render(followup(url=url, title="Troops & <tanks>"))
    head = post.blocks[0]["text"]["text"]
    assert head == "↪️ Also reported by *Later Wire*: Troops &amp; &lt;tanks&gt;"
    assert "javascript" not in all_text(post) and "data:" not in all_text(post)


def test_digest_with_a_chart_names_it_in_the_last_part() -> None:
    chart = Attachment("chart.png", b"\x89PNG", title="Items per day <by topic>")
    lines = tuple(line(n, title="T" * 400, reason="R" * 400) for n in range(1, 40))
    digest = DigestMessage("D", None, WHEN, (DigestSection("troops", lines),), attachments=(chart,))
    posts = render(digest)
    assert len(posts) >= 2
    note = "📈 Items per day &lt;by topic&gt;: chart posted with this digest"
    assert note in all_text(posts[-1])
    assert all(note not in all_text(p) for p in posts[:-1])
    assert posts[-1].blocks[-1]["elements"][0]["text"].startswith("Window:")  # footer stays last


def test_link_url_is_escaped_and_pipe_safe() -> None:
    assert (
        safe_url("https://a.example/?q=1&r=<2>|x y")
        == "https://a.example/?q=1&amp;r=&lt;2&gt;%7Cx%20y"
    )
    assert link("https://a.example/", "A | B > C") == "<https://a.example/|A | B &gt; C>"
    assert safe_url("ftp://a.example/") is None
    assert safe_url("https://a.example/" + "&" * 500) is None  # too long once escaped


def test_clip_never_cuts_an_entity() -> None:
    assert escape("a&b<c>") == "a&amp;b&lt;c&gt;"
    out = clip("x" * 8 + "&&&&", 12)
    assert len(out) <= 12 and out.endswith("…") and not re.search(r"&[a-z]*…$", out)


def test_long_fields_keep_item_block_small() -> None:
    huge = line(
        title="T&" * 2000,
        source="S<" * 500,
        reason="R>" * 2000,
        url="https://a.example/" + "a" * 900,
    )
    (post,) = render(AlertMessage(huge))
    digest = DigestMessage("D", None, WHEN, (DigestSection("guarantees", (huge,)),))
    for p in [post, *render(digest)]:
        for block in p.blocks:
            for text in texts(block):
                assert len(text) <= 3000


def test_replies_respect_ephemeral_flags() -> None:
    assert render(TextReply("hi"))[0].ephemeral is True
    assert render(TextReply("hi", ephemeral=False))[0].ephemeral is False
    assert render(ErrorReply("no"))[0].ephemeral is True
    assert render(NoticeMessage("n"))[0].ephemeral is False


def test_table_is_monospace_with_footer() -> None:
    table = TableReply(
        "Feeds",
        (("1", "BBC", "ok"), ("2", "Reuters", "failing (3×)")),
        ("id", "name", "health"),
        footer="Outbox: 0 pending",
    )
    (post,) = render(table)
    assert post.blocks[0]["text"]["text"] == "*Feeds*"
    code = post.blocks[1]["text"]["text"]
    assert code.startswith("```\nid  name     health\n1   BBC      ok")
    assert post.blocks[-1]["text"]["text"] == "Outbox: 0 pending"
    (empty,) = render(TableReply("Feeds", ()))
    assert "(nothing)" in all_text(empty)


def test_huge_text_reply_stays_within_limits() -> None:
    reply = TextReply("Results", tuple(f"line {n} " + "x" * 200 for n in range(2000)))
    (post,) = render(reply)
    assert len(post.blocks) <= 50
    assert all(len(t) <= 3000 for t in texts(post.blocks))
    assert "more block(s) not shown" in all_text(post)
