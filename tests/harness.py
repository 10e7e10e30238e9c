"""The console harness: the real app on a SQLite file, a fake clock and a recording sender."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.config import Settings
from bot.store.sql import SqlStore
from tests.fakes import REPO, FakeClock, RecordingSender

DESK = [{"name": "desk", "platform": "console"}]


@asynccontextmanager
async def console_app(
    db: Path,
    config: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    poll: bool = True,
) -> AsyncIterator[App]:
    """The app built from `config` (default: the shipped seeds and one console channel "desk")
    on the SQLite file `db`, its config synced and, when `poll`, every feed polled once."""
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db}"},
            "seeds": {"path": str(REPO / "seeds")},
            "channels": DESK,
            **(config or {}),
        }
    )
    app = build_app(
        settings,
        store=SqlStore(settings.storage.url),
        clock=FakeClock(now) if now else FakeClock(),
        senders={"console": RecordingSender()},
    )
    try:
        app.sync_config()
        if poll:
            await app.poll(feed_ids=[f.id for f in app.store.list_feeds()])
        yield app
    finally:
        await app.aclose()


def cli_config(folder: Path) -> Path:
    """A config file for `python -m bot` in a subprocess: a SQLite file in `folder`, no seeds,
    the rule classifier (no model to load) and one console channel "desk"."""
    path = folder / "watchbot.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{folder / "cli.db"}"
[seeds]
enabled = false
[classifier]
model = "rules"
[[channels]]
name = "desk"
platform = "console"
"""
    )
    return path
