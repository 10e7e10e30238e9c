"""One exception hierarchy for everything Watchbot reports to a user or operator."""

from __future__ import annotations


class WatchbotError(Exception):
    """Base of every error Watchbot raises on purpose; its message is meant for people."""


class ConfigError(WatchbotError):
    """The configuration file or environment is invalid."""


class FeedError(WatchbotError):
    """A feed could not be fetched or used. `retry_after` carries the server's wish, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class ParseError(FeedError):
    """A fetched document is not a usable feed (empty, truncated, hostile, HTML, JSON...)."""


class StorageError(WatchbotError):
    """The database refused an operation or is unreachable."""


class CommandError(WatchbotError):
    """A chat or console command had bad arguments or is not allowed; the message says what to do."""


class DeliveryError(WatchbotError):
    """A chat platform refused or failed a message.

    `permanent` errors (unknown channel, revoked token) are not retried; others are retried after
    `retry_after` seconds when the platform said so, else with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
