"""The console channel: Markdown on stdout. Needs no account; also the test harness's output."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.chat.markdown import render
from bot.core.models import Channel


class ConsoleSender:
    """Writes each message, rendered as Markdown, to a stream (stdout by default)."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str | None:
        """Print the message with a separator line; returns the key as the message id."""
        text = render(message)  # type: ignore[arg-type]
        out = self.stream or sys.stdout
        out.write(f"\n──── {channel.name} ────\n{text}\n")
        out.flush()
        return idempotency_key
