"""The Slack adapter: wires slack-bolt (async) to the app, in Socket Mode or HTTP mode.

Socket Mode (SLACK_APP_TOKEN set) opens an outbound websocket — nothing to expose, works behind
NAT. HTTP mode serves `POST /slack/events` on the bot's own web server; slack-bolt verifies each
request's signature with SLACK_SIGNING_SECRET. `WATCHBOT_SLACK_API_URL` points every Web API call
(bolt's auth.test included) at another base URL: a corporate proxy, or the tests' fake Slack.
`AsyncApp.start()` is never used: it would open its own server on 0.0.0.0.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.base import SlackSettings, WebExtension
from bot.chat.slack.admins import AdminCheck
from bot.chat.slack.errors import NETWORK_ERRORS, PERMANENT, error_code
from bot.chat.slack.handlers import SlackHandlers
from bot.chat.slack.pacing import ChannelPacer
from bot.chat.slack.sender import SlackSender
from bot.core.errors import ConfigError
from bot.core.ports import ChatSender, Clock, CommandExecutor, FeedbackSink

log = logging.getLogger("watchbot.slack")

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"


def api_base_url(value: str | None) -> str:
    """The Web API base URL, ending with `/`; ConfigError for anything but http(s)."""
    url = (value or DEFAULT_API_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"WATCHBOT_SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, "
            f"not {value!r}"
        )
    return url if url.endswith("/") else url + "/"


def _bolt_logger() -> logging.Logger:
    # Bolt logs rejected requests' bodies at INFO; keep its chatter to warnings and above.
    logger = logging.getLogger("watchbot.slack.bolt")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def _invalid() -> web.Response:
    """What slack-bolt answers to a request without a valid signature."""
    return web.json_response({"error": "invalid request"}, status=401)


class SlackAdapter:
    """Slack's side of the bot: the sender, the HTTP route or the Socket Mode connection."""

    platform = "slack"

    def __init__(
        self,
        bolt: AsyncApp,
        sender: SlackSender,
        client: AsyncWebClient,
        *,
        app_token: str | None,
        signing_secret: str,
        connect_timeout_s: float = 20.0,
    ) -> None:
        self.bolt = bolt
        self.sender: ChatSender = sender
        self.slack_sender = sender
        self.client = client
        self._app_token = app_token
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.connect_timeout_s = connect_timeout_s
        self.socket_handler: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    @property
    def socket_mode(self) -> bool:
        """True when the adapter connects out through Socket Mode."""
        return self._app_token is not None

    def web_extensions(self) -> list[WebExtension]:
        """`POST /slack/events` in HTTP mode; nothing in Socket Mode."""
        return [] if self.socket_mode else [self.install_routes]

    def install_routes(self, web_app: web.Application) -> None:
        """Add the events and commands endpoint to the bot's web application."""
        web_app.router.add_post(EVENTS_PATH, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Hand a Slack request to bolt (which verifies the signature and acks)."""
        stamp = request.headers.get("X-Slack-Request-Timestamp", "0")
        if not (
            stamp.isascii() and stamp.isdigit()
        ):  # bolt's verifier would raise on it (HTTP 500)
            return _invalid()
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:  # invalid JSON or not UTF-8: bolt cannot even parse it
            return await self._malformed(request)
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    async def _malformed(self, request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp", "0")
        signature = request.headers.get("X-Slack-Signature", "")
        if self._verifier is None or not self._verifier.is_valid(raw, stamp, signature):
            return _invalid()
        log.warning("slack.malformed_request", extra={"bytes": len(raw)})
        return web.json_response({"error": "malformed request body"}, status=400)

    async def start(self) -> None:
        """Check the bot token once, then (Socket Mode) open the websocket."""
        await self._check_token()
        if self.socket_mode:
            await self._start_socket_mode()

    async def stop(self) -> None:
        """Close the Socket Mode connection (HTTP mode has nothing to close)."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self.socket_handler is not None:
            await self.socket_handler.close_async()  # type: ignore[no-untyped-call]
            self.socket_handler = None

    async def _check_token(self) -> None:
        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            code = error_code(exc)
            if code in PERMANENT:
                raise ConfigError(
                    f"Slack refused the bot token ({code}): check SLACK_BOT_TOKEN"
                ) from None
            log.warning("slack.auth_test_failed", extra={"error": code or "unknown"})
            return
        except NETWORK_ERRORS as exc:
            log.warning("slack.auth_test_failed", extra={"error": type(exc).__name__})
            return
        log.info(
            "slack.authenticated",
            extra={
                "team": resp.get("team"),
                "bot": resp.get("user"),
                "socket_mode": self.socket_mode,
            },
        )

    async def _start_socket_mode(self) -> None:
        # Created here, inside the running loop: the Socket Mode client starts tasks on creation.
        handler = AsyncSocketModeHandler(
            self.bolt, app_token=self._app_token, web_client=self.client, logger=_bolt_logger()
        )
        self.socket_handler = handler
        try:
            # Asked here rather than inside connect(), which retries a bad token forever.
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as exc:
            await self.stop()
            raise ConfigError(
                f"Slack Socket Mode refused SLACK_APP_TOKEN ({error_code(exc) or 'error'}): it must "
                "be an app-level token (xapp-…) with connections:write, and Socket Mode must be "
                "enabled in the app's settings"
            ) from None
        except NETWORK_ERRORS as exc:
            log.warning("slack.socket_mode_unreachable", extra={"error": type(exc).__name__})
        self._connecting = asyncio.ensure_future(
            handler.connect_async()  # type: ignore[no-untyped-call]
        )
        try:
            await asyncio.wait_for(asyncio.shield(self._connecting), self.connect_timeout_s)
        except TimeoutError:
            log.warning("slack.socket_mode_connecting", extra={"after_s": self.connect_timeout_s})
            return
        log.info("slack.connected", extra={"mode": "socket"})


def create(
    settings: SlackSettings,
    commands: CommandExecutor,
    feedback: FeedbackSink,
    *,
    pacer: ChannelPacer | None = None,
    connect_timeout_s: float = 20.0,
    clock: Clock | None = None,
) -> SlackAdapter:
    """Build the Slack adapter from the settings (tokens come from the environment); `/watch`
    runs through `commands`, 👍/👎 on alerts go to `feedback`."""
    secrets = settings.secrets
    if secrets.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the app's Bot User OAuth Token")
    token = secrets.slack_bot_token.get_secret_value()
    app_token = secrets.slack_app_token.get_secret_value() if secrets.slack_app_token else None
    signing = (
        secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else ""
    )
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
            "(Basic Information → App-Level Tokens, scope connections:write)"
        )
    if app_token is None and not signing:
        raise ConfigError(
            "Slack HTTP mode needs SLACK_SIGNING_SECRET (the app's Basic Information → App "
            f"Credentials → Signing Secret) to verify requests to POST {EVENTS_PATH}; "
            "or set SLACK_APP_TOKEN to use Socket Mode instead"
        )
    base_url = api_base_url(secrets.watchbot_slack_api_url)
    client = AsyncWebClient(token=token, base_url=base_url, logger=_bolt_logger())
    # The sender's client never retries on its own: a blind retry of chat.postMessage could post
    # twice; the outbox retries instead, after checking history.
    send_client = AsyncWebClient(
        token=token, base_url=base_url, timeout=30, retry_handlers=[], logger=_bolt_logger()
    )
    sender = SlackSender(send_client, pacer=pacer)
    bolt = AsyncApp(client=client, signing_secret=signing, logger=_bolt_logger())
    admins = AdminCheck(client, settings.slack.admins)
    SlackHandlers(commands, feedback, sender, admins, clock=clock).register(bolt)
    return SlackAdapter(
        bolt,
        sender,
        client,
        app_token=app_token,
        signing_secret=signing,
        connect_timeout_s=connect_timeout_s,
    )
