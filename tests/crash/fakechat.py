"""The chat fakes of the adapter suites, with a hook on every accepted post for killing the bot.

They dedupe exactly what the platforms do and nothing more: Slack nothing at all (our sender
reads the channel history before a resend); Discord a repeated nonce sent with `enforce_nonce`,
remembered for a few minutes only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.chat.discord.fake_discord import FakeDiscord
from tests.chat.slack.fake_slack import FakeSlack

NONCE_WINDOW_S = 300.0  # Discord: "a few minutes"


class CrashSlack(FakeSlack):
    """FakeSlack calling `on_post` after recording each chat.postMessage, before answering."""

    def __init__(self) -> None:
        super().__init__()
        self.on_post: Callable[[], None] | None = None

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_postMessage(args)
        if self.on_post is not None:
            self.on_post()
        return answer

    def keys(self) -> Counter[str]:
        """How many times each delivery key was posted."""
        return Counter(str(p["metadata"]["event_payload"]["key"]) for p in self.posts)

    def history_reads(self) -> int:
        return sum(1 for method, _ in self.calls if method == "conversations.history")


class CrashDiscord(FakeDiscord):
    """FakeDiscord whose nonces expire, calling `on_post` after each accepted channel post."""

    def __init__(self) -> None:
        super().__init__()
        self.on_post: Callable[[], None] | None = None
        self.nonce_times: dict[tuple[int, str], float] = {}
        self.replays = 0  # posts answered with the message an earlier post of that nonce made

    async def _post_message(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        for key, at in list(self.nonce_times.items()):
            if now - at > NONCE_WINDOW_S:
                self.nonces.pop(key, None)
                del self.nonce_times[key]
        before = len(self.posts)
        answer = await super()._post_message(request)
        if answer.status == 200:
            if len(self.posts) == before:
                self.replays += 1
            else:
                payload = self.posts[-1]
                self.nonce_times.setdefault(
                    (int(request.match_info["channel"]), str(payload.get("nonce"))), now
                )
                if self.on_post is not None:
                    self.on_post()
        return answer

    def nonces_posted(self) -> Counter[str]:
        """How many messages each nonce created."""
        return Counter(str(p.get("nonce")) for p in self.posts)
