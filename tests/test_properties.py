"""Property tests: what users type never raises anything but our own validation errors."""

from __future__ import annotations

import asyncio
import socket
import tempfile
from pathlib import Path

from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.classify.rules import RuleClassifier
from bot.config import load_settings
from bot.core.commands import CommandContext, CommandRouter, Services
from bot.core.digest import DigestService
from bot.core.errors import ConfigError
from bot.core.messages import ALL_MESSAGE_TYPES
from bot.cron import CronSchedules
from bot.ingest.limits import HttpLimits
from bot.ingest.urlcheck import GuardUrlChecker
from bot.store.sql import SqlStore
from tests.fakes import FakeClock


class NoDns(AbstractResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError("no DNS in tests")

    async def close(self) -> None:
        return None


_STORE = SqlStore("sqlite:///:memory:")
_CLOCK = FakeClock()
ROUTER = CommandRouter(
    Services(
        store=_STORE,
        clock=_CLOCK,
        digests=DigestService(_STORE, _CLOCK),
        classifier=RuleClassifier(),
        schedules=CronSchedules(),
        url_checker=GuardUrlChecker(HttpLimits(), resolver=NoDns()),
    )
)
WORDS = st.sampled_from(
    [
        "help",
        "digest",
        "subscribe",
        "unsubscribe",
        "alerts",
        "feeds",
        "feed",
        "add",
        "remove",
        "search",
        "why",
        "status",
        "feedback",
        "daily",
        "weekly",
        "cron",
        "on",
        "off",
        "troops",
        "guarantees",
        "all",
        "here",
        "7d",
        "24h",
        "08:30",
        "mon",
        "Europe/Kyiv",
        "0.8",
        "-1",
        "#12",
        "good",
        "bad",
        '"',
        "'",
        "http://10.0.0.1/x",
        "https://example.org/rss",
        "99999999999999999",
    ]
)
LINES = st.one_of(
    st.text(max_size=80), st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=7).map(" ".join)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=LINES, admin=st.booleans())
def test_command_parser_only_answers_with_replies(line: str, admin: bool) -> None:
    ctx = CommandContext("console:p", "p", "u", is_admin=admin)
    reply = asyncio.run(ROUTER.execute(line, ctx))
    assert isinstance(reply, ALL_MESSAGE_TYPES)


TOML_VALUES = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.booleans().map(lambda b: str(b).lower()),
    st.text(max_size=20).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(['"15m"', '"0 8 * * *"', '"Europe/Kyiv"', "[]", '["troops"]', "{}", "1.5"]),
)
KEYS = st.sampled_from(
    [
        "storage.url",
        "http.port",
        "http.timeout",
        "http.max_bytes",
        "polling.default_interval",
        "polling.disable_after",
        "classifier.model",
        "seeds.path",
        "seeds.enabled",
        "delivery.max_alert_age",
        "nonsense.key",
        "http.colour",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(KEYS, TOML_VALUES), max_size=6),
    channel=st.lists(
        st.tuples(
            st.sampled_from(
                ["platform", "target", "topics", "alert_threshold", "alerts", "digest"]
            ),
            TOML_VALUES,
        ),
        max_size=4,
    ),
    junk=st.text(max_size=40),
)
def test_config_loader_only_raises_config_errors(
    pairs: list[tuple[str, str]], channel: list[tuple[str, str]], junk: str
) -> None:
    sections: dict[str, list[str]] = {}
    for key, value in pairs:
        section, name = key.split(".")
        sections.setdefault(section, []).append(f"{name} = {value}")
    text = "".join(
        f"[{s}]\n" + "\n".join(dict.fromkeys(lines)) + "\n" for s, lines in sections.items()
    )
    if channel:
        body = "\n".join(dict.fromkeys(f"{k} = {v}" for k, v in dict(channel).items()))
        text += f'[[channels]]\nname = "c"\n{body}\n'
    for content in (text, text + junk):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "w.toml"
            path.write_text(content, encoding="utf-8")
            try:
                load_settings(path)
            except ConfigError as exc:
                assert "\n" not in str(exc) and str(exc).startswith(str(path))
