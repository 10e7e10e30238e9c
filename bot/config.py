"""Configuration: one TOML file plus the environment → one validated, typed Settings object.

The environment wins over the file. Every problem becomes a ConfigError whose one-line message names
the file, the key and what is wrong; nothing here prints a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.errors import CommandError, ConfigError
from bot.core.filters import MAX_RULES, parse_rule
from bot.core.models import TOPICS, normalise_tags
from bot.patterns import install as install_regex_engine

# Filter rules are parsed from here on (the file, then commands and stored rows): RE2 compiles them.
install_regex_engine()

DEFAULT_CONFIG = Path("config/watchbot.toml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.I)
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> float:
    """Seconds from `90`, `"30s"`, `"15m"`, `"6h"`, `"7d"`; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 15m, 6h or 30s")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not a duration such as 15m, 6h or 30s")
        seconds = float(m.group(1)) * _UNIT_S[(m.group(2) or "s").lower()]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def check_timezone(name: str) -> str:
    """The IANA name if it exists; ValueError naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Kyiv)"
        ) from None
    return name


def check_cron(expr: str, timezone: str = "UTC") -> str:
    """A five-field crontab expression if APScheduler accepts it; ValueError otherwise."""
    if len(expr.split()) != 5:
        raise ValueError(
            f"invalid cron expression {expr!r}: expected 5 fields (min hour day month weekday)"
        )
    try:
        CronTrigger.from_crontab(expr, timezone=ZoneInfo(timezone))
    except (ValueError, KeyError) as exc:
        raise ValueError(f"invalid cron expression {expr!r}: {exc}") from None
    return expr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(_Strict):
    url: str = "sqlite:///data/watchbot.db"


class HttpConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    timeout: Duration = 20.0
    connect_timeout: Duration = 10.0
    max_bytes: int = Field(default=5_000_000, ge=10_000, le=200_000_000)
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=32, ge=1, le=1000)
    per_host: int = Field(default=2, ge=1, le=64)
    user_agent: str = "Watchbot/0.1 (+https://github.com/watchbot/watchbot; feed alerts)"
    allow_private_networks: bool = False


class PollingConfig(_Strict):
    default_interval: Duration = 900.0
    min_interval: Duration = 60.0
    max_backoff: Duration = 6 * 3600.0
    disable_after: int = Field(default=20, ge=1, le=1000)
    max_entries: int = Field(default=1000, ge=1, le=100_000)
    # Worker processes that parse, normalise and classify beside the event loop; 0: none.
    parse_workers: int = Field(default=0, ge=0, le=64)
    tick: Duration = 5.0  # how often due feeds are looked for (the daemon's poll tick)


class ClusterConfig(_Strict):
    """Several replicas on one PostgreSQL database (leases, claims, one chat leader)."""

    replica_id: str = ""  # "": host name and process id; set it for a stable id across restarts
    lease_ttl: Duration = 120.0  # a dead replica's leased feeds and claimed deliveries lapse after
    leader_check: Duration = 10.0  # how often a replica tries to become (or stay) the chat leader


class ClassifierConfig(_Strict):
    model: str = (
        "auto"  # "auto": the shipped trained model if present, else rules; or "rules"; or a path
    )
    thresholds: dict[str, float] = Field(default_factory=lambda: {"guarantees": 0.5, "troops": 0.5})

    @field_validator("thresholds")
    @classmethod
    def _known_topics(cls, v: dict[str, float]) -> dict[str, float]:
        for topic, value in v.items():
            if topic not in TOPICS:
                raise ValueError(f"unknown topic {topic!r} (topics: {', '.join(TOPICS)})")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold for {topic} must be between 0 and 1")
        return {**{"guarantees": 0.5, "troops": 0.5}, **v}


class SeedsConfig(_Strict):
    enabled: bool = True
    path: str = "seeds"
    interval: Duration = 300.0
    name: str = "Seed corpus"


class DeliveryConfig(_Strict):
    flush_interval: Duration = 5.0
    max_alert_age: Duration = 6 * 3600.0
    digest_max_stories: int = Field(default=30, ge=1, le=1000)  # per topic; the rest is counted


class FeedConfig(_Strict):
    url: str
    name: str = ""
    interval: Duration | None = None
    fulltext: bool = False
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for tag in v:
            if not tag.strip() or len(tag) > 64:
                raise ValueError(f"tag {tag!r} must be 1-64 characters")
        return list(normalise_tags(v))

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v


class DigestConfig(_Strict):
    cron: str | None = "0 8 * * *"
    timezone: str = "UTC"
    at_start: bool = False  # also send a digest right after the first poll at start-up

    @model_validator(mode="after")
    def _valid(self) -> DigestConfig:
        check_timezone(self.timezone)
        if self.cron is not None:
            check_cron(self.cron, self.timezone)
        return self


def check_filter(text: str) -> str:
    """A filter rule as `/watch filter add` takes it, if it parses; ValueError saying why."""
    try:
        parse_rule(text)
    except CommandError as exc:
        raise ValueError(str(exc)) from None
    return text


FilterText = Annotated[str, AfterValidator(check_filter)]


class ChannelConfig(_Strict):
    name: str
    platform: Literal["console", "slack", "discord"]
    target: str = ""
    topics: list[str] = Field(default_factory=lambda: list(TOPICS))
    alerts: bool = True
    alert_threshold: float = Field(default=0.75, ge=0.0, le=1.0)
    digest: DigestConfig = DigestConfig()
    webhook_env: str | None = None  # Discord webhook mode: the env var that holds the URL
    # Include/exclude rules on top of the classifier, as `/watch filter add` takes them.
    filters: list[FilterText] = Field(default_factory=list, max_length=MAX_RULES)
    # Stories per topic in this channel's digests; unset: delivery.digest_max_stories.
    digest_max_stories: int | None = Field(default=None, ge=1, le=1000)

    @field_validator("topics")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if t not in TOPICS]
        if bad or not v:
            raise ValueError(f"unknown topic(s) {bad} (topics: {', '.join(TOPICS)})")
        return v

    @model_validator(mode="after")
    def _target(self) -> ChannelConfig:
        if self.platform != "console" and not self.target and not self.webhook_env:
            raise ValueError(
                f"a {self.platform} channel needs a target (channel ID) or webhook_env"
            )
        return self

    @property
    def ref(self) -> str:
        """The channel reference used across the core, e.g. `slack:C0123`."""
        return f"{self.platform}:{self.target or self.name}"


class SlackConfig(_Strict):
    admins: list[str] = Field(default_factory=list)  # user IDs allowed admin commands


class DiscordConfig(_Strict):
    guild_ids: list[int] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list)


class Secrets(BaseSettings):
    """Tokens from the environment only; never in the file, never in logs (SecretStr hides them)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    discord_token: SecretStr | None = None
    watchbot_slack_api_url: str | None = None
    watchbot_discord_api_url: str | None = None


class Settings(_Strict):
    """The whole validated configuration."""

    storage: StorageConfig = StorageConfig()
    http: HttpConfig = HttpConfig()
    polling: PollingConfig = PollingConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    seeds: SeedsConfig = SeedsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    cluster: ClusterConfig = ClusterConfig()
    feeds: list[FeedConfig] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    slack: SlackConfig = SlackConfig()
    discord: DiscordConfig = DiscordConfig()
    secrets: Secrets = Field(default_factory=Secrets, exclude=True)
    source_path: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        names = [c.name for c in self.channels]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"channel names must be unique; repeated: {', '.join(sorted(dup))}")
        urls = [f.url for f in self.feeds]
        dup = {u for u in urls if urls.count(u) > 1}
        if dup:
            raise ValueError(f"feed URLs must be unique; repeated: {', '.join(sorted(dup))}")
        return self


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("function-after", "function-before") and not str(part).startswith(
            ("function-", "constrained-")
        ):
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _env_overrides(data: dict[str, Any]) -> dict[str, Any]:
    env = os.environ
    if env.get("WATCHBOT_DATABASE_URL"):
        data.setdefault("storage", {})["url"] = env["WATCHBOT_DATABASE_URL"]
    if env.get("WATCHBOT_HTTP_HOST"):
        data.setdefault("http", {})["host"] = env["WATCHBOT_HTTP_HOST"]
    if env.get("WATCHBOT_HTTP_PORT"):
        data.setdefault("http", {})["port"] = env["WATCHBOT_HTTP_PORT"]
    if env.get("WATCHBOT_REPLICA_ID"):
        data.setdefault("cluster", {})["replica_id"] = env["WATCHBOT_REPLICA_ID"]
    return data


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate the configuration; the file is `path`, $WATCHBOT_CONFIG or the default."""
    file = Path(path or os.environ.get("WATCHBOT_CONFIG") or DEFAULT_CONFIG)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: file not found (set WATCHBOT_CONFIG or pass --config)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    data = _env_overrides(data)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"{file}: {_location(first['loc'])}: {msg}{more}") from None
    return settings.model_copy(update={"source_path": str(file)})
