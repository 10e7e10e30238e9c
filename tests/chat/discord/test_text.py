"""Escaping feed and reply text for Discord, clipping, link checks."""

from __future__ import annotations

import pytest

from bot.chat.discord.text import clip, escape_feed, escape_reply, fit, safe_url


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("@everyone look", "@\u200beveryone look"),
        ("@here", "@\u200bhere"),
        ("<@&123> role", "\\<@&123> role"),
        ("<@123456789012345678>", "\\<@\u200b123456789012345678>"),
        ("<#123> <t:1700000000:R> </watch:1>", "\\<#123> \\<t:1700000000:R> \\</watch:1>"),
        (
            "**bold** _it_ ~~s~~ ||spoiler|| `code`",
            "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`",
        ),
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        ("a] (x) [b", "a\\] (x) \\[b"),
        ("back\\slash", "back\\\\slash"),
        ("multi\nline\ttext", "multi line text"),
        ("> quote", "\\> quote"),
    ],
)
def test_escape_feed(raw: str, escaped: str) -> None:
    assert escape_feed(raw) == escaped


def test_escape_reply_keeps_code_spans() -> None:
    assert escape_reply("run `why 12` *now*\n@here") == "run `why 12` \\*now\\*\n@\u200bhere"


def test_clip_never_leaves_a_dangling_escape() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 4) == "abc…"
    assert clip("ab\\*cd", 4) == "ab…"


def test_fit_cuts_raw_text_before_escaping() -> None:
    out = fit("*" * 300, 256)
    assert len(out) <= 256 and out.endswith("…") and not out.endswith("\\…")
    assert fit("short", 256) == "short"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("http://example.org/x)y", "http://example.org/x%29y"),
        ("javascript:alert(1)", None),
        ("https:///nohost", None),
        ("", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected
