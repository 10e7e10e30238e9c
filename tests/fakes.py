"""Test doubles for the outside world: a settable clock and a recording chat sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.chat.markdown import render
from bot.core.errors import DeliveryError
from bot.core.models import Channel

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


class RecordingSender:
    """A chat sender that records rendered messages and can be told to fail."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.messages: list[tuple[str, str, str]] = []  # (channel ref, key, markdown)
        self.fail_with: DeliveryError | None = None

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str | None:
        if self.fail_with is not None:
            raise self.fail_with
        self.messages.append((channel.ref, idempotency_key, render(message)))  # type: ignore[arg-type]
        return f"m{len(self.messages)}"
