"""Limits and network policy for fetching feeds over HTTP, and how much of an entry is read."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.normalise import MAX_BODY_CHARS, MAX_TITLE_CHARS

DEFAULT_USER_AGENT = "Watchbot/0.1 (+https://github.com/watchbot/watchbot; feed alerts)"

# The normaliser keeps 500 characters of a title and reads 20 000 of a body; what the parsers hand
# it is cut well above that (so markup cannot starve it of text), and a 4 MB title then costs no
# more than a long one: every cleaning step copies its text.
RAW_TITLE_CHARS = 20 * MAX_TITLE_CHARS
RAW_TEXT_CHARS = 10 * MAX_BODY_CHARS


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """How long, how much and how many: every bound the fetcher enforces, in one value.

    `max_bytes` counts the body *after* gzip/deflate decoding, so a small compressed bomb is
    stopped as surely as a large plain body. `allowed_networks` lists CIDRs (e.g. "10.1.2.3/32")
    that may be fetched even when `allow_private_networks` is false: one intranet feed host
    without opening the whole private address space.
    """

    total_timeout_s: float = 20.0
    connect_timeout_s: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = 32
    per_host: int = 2
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A zero or negative bound would silently disable a defence; refuse it at construction.
        positive = ("total_timeout_s", "connect_timeout_s", "max_bytes", "concurrency", "per_host")
        for name in positive:
            value = getattr(self, name)
            if value <= 0:
                raise ValueError(f"HttpLimits.{name} must be positive, got {value!r}")
        if self.max_redirects < 0:
            raise ValueError(f"HttpLimits.max_redirects must be >= 0, got {self.max_redirects!r}")
