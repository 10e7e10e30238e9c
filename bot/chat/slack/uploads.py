"""Files users give the bot on Slack: the OPML file of `/watch feed import`.

Slash commands cannot carry files, so the user first shares the file in the conversation (drag
it in; the bot must be a member) and then runs `/watch feed import` there. The bot asks
files.list for the newest `.opml`/`.xml` file that user shared in that conversation within the
last hour and downloads its `url_private_download` with the bot token (scope `files:read`).
The token is sent only to Slack's own hosts or to the configured Web API host, and a file larger
than the import limit is refused from its listed size before any download.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.errors import NETWORK_ERRORS, error_code
from bot.core.errors import CommandError
from bot.core.models import Upload

LOOKBACK_S = 3600  # how recent the shared file must be
SUFFIXES = (".opml", ".xml")
DOWNLOAD_TIMEOUT_S = 30
SLACK_HOSTS = ("slack.com", "slack-edge.com")


def _trusted(url: str, api_base: str) -> bool:
    """Slack's own https hosts, or the Web API's host (a test double, an enterprise proxy)."""
    parts, api = urlsplit(url), urlsplit(api_base)
    host = (parts.hostname or "").lower()
    if (
        parts.scheme == api.scheme
        and host == (api.hostname or "").lower()
        and parts.port == api.port
    ):
        return True
    return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in SLACK_HOSTS)


async def newest_shared_file(
    client: AsyncWebClient, channel: str, user: str, *, now_ts: float, max_bytes: int
) -> Upload:
    """The newest feed list `user` shared in `channel` in the last hour, downloaded.

    CommandError with what to do when there is none, it is too large, or Slack refuses.
    """
    try:
        resp = await client.files_list(
            channel=channel, user=user, ts_from=str(int(now_ts - LOOKBACK_S)), count=20
        )
    except SlackApiError as exc:
        code = error_code(exc)
        if code == "missing_scope":
            raise CommandError(
                "Watchbot cannot read shared files: its Slack app lacks the files:read scope. "
                "Update the app from config/slack-manifest.yml and reinstall it."
            ) from None
        raise CommandError(f"Slack refused to list the shared files ({code}); try again") from None
    except NETWORK_ERRORS:
        raise CommandError(
            "Slack could not be reached to find the shared file; try again"
        ) from None
    files = [f for f in resp.get("files") or [] if _is_feed_list(f)]
    if not files:
        raise CommandError(
            "No .opml file shared by you here in the last hour. Drag the OPML file into this "
            "conversation (Watchbot must be a member), then run `/watch feed import` again."
        )
    chosen = max(files, key=lambda f: float(f.get("created") or 0))
    name = str(chosen.get("name") or "feeds.opml")
    size = int(chosen.get("size") or 0)
    if size > max_bytes:
        raise CommandError(
            f"{name} is {size:,} bytes, over the limit of {max_bytes:,} for a feed list; "
            "nothing was imported"
        )
    url = str(chosen.get("url_private_download") or chosen.get("url_private") or "")
    if not url or not _trusted(url, client.base_url):
        raise CommandError(f"Slack gave no download address for {name} that Watchbot trusts")
    return Upload(name, await _download(url, client.token or "", name, max_bytes))


def _is_feed_list(f: Any) -> bool:
    return isinstance(f, dict) and str(f.get("name") or "").lower().endswith(SUFFIXES)


async def _download(url: str, token: str, name: str, max_bytes: int) -> bytes:
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(
                url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False
            ) as resp,
        ):
            if resp.status != 200:
                raise CommandError(f"Slack answered {resp.status} for {name}; share it again")
            data = bytearray()
            # One byte over the limit is enough for the parser to refuse it by its size.
            async for chunk in resp.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    break
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError):
        raise CommandError(f"{name} could not be downloaded from Slack; try again") from None
