"""`watchbot run` against a local newsroom and fake Slack and Discord APIs: config, environment,
start, and a read-only look at its database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chat.discord.fake_discord import CHANNEL_ID
from tests.chat.discord.fake_discord import TOKEN as DISCORD_TOKEN
from tests.chat.slack.fake_slack import BOT_TOKEN as SLACK_TOKEN
from tests.crash.fakechat import CrashDiscord, CrashSlack
from tests.hostile.runner import clean_env, free_port, watchbot

SLACK_CHANNEL = "C0CRASH"
SLACK_REF = f"slack:{SLACK_CHANNEL}"
DISCORD_REF = f"discord:{CHANNEL_ID}"


def write_config(folder: Path, feeds: dict[str, str]) -> Path:
    """Feeds polled on every tick, both chat channels alerting, no digest during the test."""
    listed = "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{url}"\ninterval = "1s"\n'
        for name, url in feeds.items()
    )
    path = folder / "watchbot.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{folder / "w.db"}"
[http]
allow_private_networks = true
timeout = "5s"
[polling]
min_interval = "1s"
[classifier]
model = "rules"
[seeds]
enabled = false
[delivery]
flush_interval = "1s"
{listed}
[[channels]]
name = "slack-desk"
platform = "slack"
target = "{SLACK_CHANNEL}"
alert_threshold = 0.5
digest = {{ cron = "0 3 1 1 *" }}

[[channels]]
name = "discord-desk"
platform = "discord"
target = "{CHANNEL_ID}"
alert_threshold = 0.5
digest = {{ cron = "0 3 1 1 *" }}
""",
        encoding="utf-8",
    )
    return path


def environment(slack: CrashSlack, discord: CrashDiscord) -> dict[str, str]:
    """Tokens the fakes accept and their addresses; a free port for the bot's web server."""
    return clean_env(
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET="crash-test-signing-secret",
        WATCHBOT_SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=DISCORD_TOKEN,
        WATCHBOT_DISCORD_API_URL=discord.url,
        WATCHBOT_HTTP_PORT=str(free_port()),
    )


async def start(config: Path, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`watchbot run`, its stderr appended to `log`."""
    with log.open("a") as err:
        return await asyncio.create_subprocess_exec(
            *watchbot(),
            "run",
            "-c",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            cwd=config.parent,
            env=env,
        )


@dataclass(frozen=True)
class Snapshot:
    """What the database holds."""

    items: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    classified: set[int]


def snapshot(db: Path) -> Snapshot:
    """Read the database without taking part in its writes (a read-only connection)."""
    if not db.exists():
        return Snapshot([], [], set())
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            conn.row_factory = sqlite3.Row
            items = [dict(r) for r in conn.execute("select id, guid, silent, title from items")]
            deliveries = [
                dict(r) | {"item_ids": json.loads(r["item_ids"] or "[]")}
                for r in conn.execute(
                    "select id, channel_ref, kind, dedupe_key, status, item_ids, attempts "
                    "from deliveries"
                )
            ]
            classified = {r[0] for r in conn.execute("select item_id from classifications")}
    except sqlite3.OperationalError:  # the schema is not there yet
        return Snapshot([], [], set())
    return Snapshot(items, deliveries, classified)
