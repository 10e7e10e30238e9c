"""Slack Web API failures → the core's DeliveryError: retry later, retry after N s, or give up.

Rate limits honour `Retry-After`; HTTP 5xx, timeouts and connection errors are retried with the
dispatcher's backoff; errors no retry can fix (unknown channel, revoked token, a message Slack will
never accept) are permanent and say what to do. Unknown error codes are retried: the dispatcher
gives up after its maximum number of attempts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.errors import DeliveryError

# Exceptions that mean "Slack did not (clearly) answer": retry.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    aiohttp.ClientError,
    OSError,
    SlackClientError,
)

RATE_LIMITED = frozenset({"ratelimited", "rate_limited", "message_limit_exceeded"})
# A thread reply whose parent message is gone (deleted): post in the channel instead.
THREAD_GONE = frozenset({"thread_not_found", "message_not_found"})


class ThreadGone(Exception):
    """The parent of a thread no longer exists, so nothing can be read from or posted into it.

    Not a DeliveryError: the sender catches it and goes to the channel instead.
    """

    def __init__(self, thread_ts: str) -> None:
        super().__init__(f"thread {thread_ts} not found")
        self.thread_ts = thread_ts


_TOKEN = "check SLACK_BOT_TOKEN, or reinstall the app and copy its new Bot User OAuth Token"
_BUG = "Watchbot built a message Slack will not accept; please report this as a bug"
_POLICY = "a workspace setting forbids the bot to post there"
PERMANENT: dict[str, str] = {
    "channel_not_found": "Slack channel {channel} not found: check the channel ID in the config "
    "(it starts with C or G) or whether the channel was deleted",
    "not_in_channel": "the bot is not a member of {channel}: invite it there with "
    "`/invite @Watchbot`",
    "is_archived": "Slack channel {channel} is archived: unarchive it or remove it from the config",
    "invalid_auth": f"Slack rejected the bot token: {_TOKEN}",
    "not_authed": "no Slack bot token was sent: set SLACK_BOT_TOKEN",
    "account_inactive": f"the bot user or its workspace is deactivated: {_TOKEN}",
    "token_revoked": f"the bot token was revoked (the app was removed?): {_TOKEN}",
    "token_expired": f"the bot token expired: {_TOKEN}",
    "not_allowed_token_type": "this needs a bot token (xoxb-…) in SLACK_BOT_TOKEN",
    "team_access_not_granted": f"the token has no access to this workspace: {_TOKEN}",
    "missing_scope": "the Slack app lacks a scope ({needed}): add the scopes listed in "
    "config/slack-manifest.yml and reinstall the app",
    "no_permission": "the Slack app lacks a permission: reinstall it from config/slack-manifest.yml",
    "access_denied": "Slack denied access to {channel}",
    "ekm_access_denied": _POLICY,
    "restricted_action": _POLICY,
    "restricted_action_read_only_channel": "{channel} is read-only for the bot",
    "restricted_action_thread_only_channel": "{channel} only accepts thread replies",
    "msg_too_long": _BUG,
    "msg_blocks_too_long": _BUG,
    "invalid_blocks": _BUG,
    "invalid_blocks_format": _BUG,
    "invalid_arguments": _BUG,
    "invalid_arg_name": _BUG,
    "invalid_metadata_format": _BUG,
    "invalid_metadata_schema": _BUG,
    "metadata_too_large": _BUG,
    "no_text": _BUG,
    "too_many_attachments": _BUG,
    "markdown_text_conflict": _BUG,
    "enterprise_is_restricted": "this Slack method is not allowed on an Enterprise org token",
    "two_factor_setup_required": "the workspace requires two-factor setup for this token",
    "file_uploads_disabled": "the workspace does not allow file uploads, so charts cannot be "
    "posted: ask a workspace admin to allow them",
}


def error_code(exc: SlackApiError) -> str:
    """The `error` field of a failed Web API response ("" when there is none)."""
    data = getattr(exc.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, Mapping) else ""


def _status(exc: SlackApiError) -> int:
    resp: Any = exc.response
    status = getattr(resp, "status_code", None) or getattr(resp, "status", None)
    return int(status) if isinstance(status, int) else 0


def _retry_after(exc: SlackApiError) -> float | None:
    headers: Any = getattr(exc.response, "headers", None) or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    try:
        value = float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and value >= 0 else None


def is_definite(exc: BaseException) -> bool:
    """True when Slack answered and certainly did not post (429, or an ok:false below 500)."""
    return isinstance(exc, SlackApiError) and 0 < _status(exc) < 500


def delivery_error(exc: BaseException, method: str, channel: str) -> DeliveryError:
    """The DeliveryError for a failed Web API call, with a message saying what to do."""
    if not isinstance(exc, SlackApiError):
        if isinstance(exc, TimeoutError):
            return DeliveryError(f"Slack did not answer {method} in time; will retry")
        return DeliveryError(
            f"could not reach Slack for {method} ({type(exc).__name__}); will retry"
        )
    status, code = _status(exc), error_code(exc)
    if status == 429 or code in RATE_LIMITED:
        wait = _retry_after(exc)
        after = f"; retrying after {wait:g} s" if wait is not None else ""
        return DeliveryError(
            f"Slack rate-limited {method} for {channel} ({code or 'HTTP 429'}){after}",
            retry_after=wait,
        )
    if status >= 500:
        return DeliveryError(f"Slack answered HTTP {status} to {method}; will retry")
    if code in PERMANENT:
        data: Any = getattr(exc.response, "data", None) or {}
        needed = str(data.get("needed") or "see the manifest") if isinstance(data, Mapping) else ""
        hint = PERMANENT[code].format(channel=channel, needed=needed)
        return DeliveryError(f"{method} failed with {code}: {hint}", permanent=True)
    return DeliveryError(f"Slack refused {method} ({code or f'HTTP {status}'}); will retry")


def method_of(exc: SlackApiError, default: str) -> str:
    """The Web API method a failed call went to (`files.completeUploadExternal`…), from its URL:
    one sdk helper (files_upload_v2) makes several calls and any of them may be the one failing."""
    url = str(getattr(exc.response, "api_url", "") or "")
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return name if "." in name else default
