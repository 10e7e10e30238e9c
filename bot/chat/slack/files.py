"""Chart uploads: a message's attachments shared through Slack's external upload flow.

slack_sdk's `files_upload_v2` makes three calls — files.getUploadURLExternal, a POST of the bytes to
the upload URL it returns, files.completeUploadExternal to share the file in a channel or thread —
and any of them may fail; the failure maps to a DeliveryError like a post's (429 waits for its
Retry-After, 5xx and network trouble retry, a missing scope or membership is permanent).
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.errors import (
    NETWORK_ERRORS,
    THREAD_GONE,
    ThreadGone,
    delivery_error,
    error_code,
    method_of,
)
from bot.core.errors import DeliveryError
from bot.core.messages import Attachment, DigestMessage, TableReply, TextReply

UPLOAD = "files.upload"  # how a failure is named when Slack did not say which call it was


def attachments_of(message: object) -> tuple[Attachment, ...]:
    """The files a core message carries (a weekly digest's chart, `status chart`, the OPML
    file of `feed export`)."""
    if isinstance(message, DigestMessage | TableReply | TextReply):
        return message.attachments
    return ()


def title_of(attachment: Attachment) -> str:
    """The title Slack shows above the file (and the name it is found by after a crash)."""
    return attachment.title or attachment.filename


def file_keys(key: str, count: int) -> list[str]:
    """Part keys of a delivery's files: `key#file`, or `key#file1`, `key#file2`… for several."""
    if count == 1:
        return [f"{key}#file"]
    return [f"{key}#file{n}" for n in range(1, count + 1)]


async def share(
    client: AsyncWebClient, channel: str, attachment: Attachment, *, thread_ts: str | None = None
) -> str:
    """Upload `attachment` and share it in `channel`, under `thread_ts` when given; returns the
    file id. Raises ThreadGone when that thread's parent was deleted, else DeliveryError."""
    try:
        resp = await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            file=attachment.data,
            filename=attachment.filename,
            title=title_of(attachment),
            alt_txt=title_of(attachment)[:1000],  # read aloud by screen readers; Slack's limit
        )
    except SlackApiError as exc:
        if thread_ts is not None and error_code(exc) in THREAD_GONE:
            raise ThreadGone(thread_ts) from exc
        raise delivery_error(exc, method_of(exc, UPLOAD), channel) from exc
    except SlackRequestError as exc:  # the upload URL refused the bytes (not an API error)
        raise DeliveryError(
            f"Slack refused the file {attachment.filename}: {exc}; will retry"
        ) from exc
    except NETWORK_ERRORS as exc:
        raise delivery_error(exc, UPLOAD, channel) from exc
    file = resp.get("file") or {}
    # Slack always names the file; "?" only keeps a shared file from looking unshared.
    return str(file.get("id") or "?") if isinstance(file, dict) else "?"
