"""Checks on rendered messages: every link is http(s) and cannot be broken out of; no mention
that would ping anyone survives. One function per renderer."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.chat.discord.embeds import render as render_discord
from bot.chat.markdown import render as render_markdown
from bot.chat.slack.blocks import render as render_slack
from bot.core.messages import Message

_MD_LINK = re.compile(r"(?<!\\)\]\(([^)]*)\)")
_SLACK_LINK = re.compile(r"<([^<>|]*)\|")
_UNSAFE_IN_URL = re.compile(r"[\s()\[\]<>\"\\|]")
_UNSAFE_IN_SLACK_URL = re.compile(r"[\s<>|]")  # what would end `<url|label>` early
_SLACK_PINGS = ("<!channel", "<!here", "<!everyone", "<@", "<#")


def _safe_target(url: str, unsafe: re.Pattern[str] = _UNSAFE_IN_URL) -> bool:
    return url.lower().startswith(("http://", "https://")) and not unsafe.search(url)


def markdown_problems(text: str) -> list[str]:
    """Markdown link destinations that are not plain http(s) URLs."""
    return [t for t in _MD_LINK.findall(text) if not _safe_target(t)]


def check_markdown(message: Message) -> str:
    text = render_markdown(message)
    assert markdown_problems(text) == [], text
    return text


def check_slack(message: Message) -> str:
    dumped = json.dumps([post.payload() for post in render_slack(message)], ensure_ascii=False)
    # `<!date^…|fallback>` is Slack's date formatting, written by the renderer itself.
    targets = [t for t in _SLACK_LINK.findall(dumped) if not t.startswith("!date^")]
    assert all(_safe_target(t, _UNSAFE_IN_SLACK_URL) for t in targets), targets
    assert not any(ping in dumped for ping in _SLACK_PINGS), dumped
    for scheme in ("javascript:", "data:", "vbscript:", "file:"):
        assert f"<{scheme}" not in dumped.lower(), dumped
    return dumped


def check_discord(message: Message) -> str:
    parts = render_discord(message)
    embeds: list[dict[str, Any]] = [e.to_dict() for p in parts for e in p.embeds]  # type: ignore[misc]
    texts = [p.content or "" for p in parts]
    for embed in embeds:
        if "url" in embed:
            assert _safe_target(embed["url"]), embed["url"]
    dumped = json.dumps({"texts": texts, "embeds": embeds}, ensure_ascii=False)
    for text in [*texts, *_strings(embeds)]:
        assert markdown_problems(text) == [], text
    assert "@everyone" not in dumped and "@here" not in dumped, dumped
    return dumped


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def check_all(message: Message) -> None:
    """Render `message` for the console, Slack and Discord and check each."""
    check_markdown(message)
    check_slack(message)
    check_discord(message)
