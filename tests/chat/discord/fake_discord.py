"""A Discord-shaped fake: REST API and gateway on 127.0.0.1, recording what the bot sends.

It answers the way discord.py expects Discord to: JSON with `Content-Type: application/json`
exactly (anything else is treated as text), a `Via` header (without it discord.py takes a 429 for
a Cloudflare ban), message objects shaped like the documented example, nonces honoured with
`enforce_nonce`. Messages with files arrive as multipart/form-data (`payload_json` plus
`files[n]` parts) and are recorded in `uploads`; `attachment://name` embed images resolve to the
uploaded file as Discord does. Bot and webhook messages can be edited (PATCH); an unknown id is
404 Unknown Message (10008). Failures are scripted per kind of request with `fail_next`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes import SHARED

FIXTURES = SHARED / "fixtures" / "chat"
APP_ID = 775799577604522054
BOT_ID = 809850198683418695
GUILD_ID = 290926798626357999
CHANNEL_ID = 645027906669510667
TOKEN = "fake-bot-token"  # what the bot must send as `Authorization: Bot …`
_FILE_FIELD = re.compile(r"files\[\d+\]")
UNKNOWN_MESSAGE = {"message": "Unknown Message", "code": 10008}


def fixture_json(name: str) -> Any:
    """A JSON fixture from the shared chat fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_http(name: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, headers and JSON body of a documented `< `-prefixed HTTP transcript."""
    lines = [line.removeprefix("< ") for line in (FIXTURES / name).read_text().splitlines()]
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    body_start = 1
    for n, line in enumerate(lines[1:], 1):
        if line.startswith("{"):
            body_start = n
            break
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    return status, headers, json.loads("\n".join(lines[body_start:]))


@dataclass
class Failure:
    """A scripted answer instead of success."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Upload:
    """One file received in a `files[n]` part, and the message it came with."""

    where: str  # "channel", "webhook", "followup", "callback" or "edit"
    message_id: str
    form_field: str  # e.g. "files[0]"
    filename: str
    data: bytes = field(repr=False)


@dataclass
class Received:
    """A request body as Discord reads it: the JSON payload and the files sent with it."""

    payload: dict[str, Any]
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (field, name, bytes)


def not_found(code: int, message: str) -> Failure:
    """A Discord 404 with a JSON error code."""
    return Failure(404, {"message": message, "code": code})


def forbidden(code: int, message: str) -> Failure:
    """A Discord 403 with a JSON error code."""
    return Failure(403, {"message": message, "code": code})


def server_error(status: int = 500) -> Failure:
    """A 5xx with Discord's usual JSON body."""
    return Failure(status, {"message": "500: Internal Server Error", "code": 0})


def rate_limited(name: str, retry_after: float | None = None) -> Failure:
    """A 429 from a shared fixture, optionally with a shorter `retry_after` in the body."""
    status, headers, body = fixture_http(name)
    if retry_after is not None:
        body = {**body, "retry_after": retry_after}
        headers = {**headers, "Retry-After": str(max(1, round(retry_after)))}
    return Failure(status, body, headers)


class FakeDiscord:
    """The fake's state; `app` is the aiohttp application serving it."""

    def __init__(self) -> None:
        self.url = ""  # set once listening: http://127.0.0.1:PORT
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.auth_headers: list[str | None] = []
        self.posts: list[dict[str, Any]] = []  # channel message payloads accepted (new messages)
        self.post_ids: list[str] = []  # the message id created for each of `posts`
        self.messages: dict[int, dict[str, Any]] = {}  # id → message object
        self.nonces: dict[tuple[int, str], dict[str, Any]] = {}
        self.webhook_posts: list[dict[str, Any]] = []  # webhook executions (not follow-ups)
        self.callbacks: list[dict[str, Any]] = []  # interaction responses
        self.followups: list[dict[str, Any]] = []
        self.deleted_originals: list[str] = []
        self.uploads: list[Upload] = []
        self.edits: list[tuple[str, dict[str, Any]]] = []  # (message id, payload) applied
        self.synced: list[tuple[str, list[dict[str, Any]]]] = []  # (path, commands)
        self.identify: dict[str, Any] | None = None
        self.failures: dict[str, list[Failure | None]] = {"channel": [], "webhook": [], "edit": []}
        self.interactions: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # token → traffic
        self.cdn: dict[str, bytes] = {}  # attachment id → bytes users attached
        self.cdn_gets: list[str] = []  # attachment ids downloaded
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._seq = itertools.count(2)
        self._changed = asyncio.Condition()
        self.app = self._build()

    # --- scripting and waiting ---------------------------------------------------------

    def fail_next(self, kind: str, *failures: Failure | None) -> None:
        """Answer the next `kind` requests ("channel" posts, "webhook" executions or "edit"s of
        either) so; None lets that request succeed."""
        self.failures[kind].extend(failures)

    def delete_message(self, message_id: str) -> None:
        """A message deleted in Discord (by a moderator, say): later edits get 10008."""
        del self.messages[int(message_id)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds after something reached the fake."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH event to the connected bot."""
        self._events.put_nowait({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # --- responses ---------------------------------------------------------------------

    @staticmethod
    def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        """JSON exactly as Discord labels it: `application/json`, no charset."""
        return web.Response(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "Via": "1.1 google", **(headers or {})},
        )

    def _failure(self, kind: str) -> web.Response | None:
        if not self.failures[kind]:
            return None
        f = self.failures[kind].pop(0)
        if f is None:
            return None
        return self.json(f.body or {}, f.status, f.headers)

    def user(self) -> dict[str, Any]:
        return {
            "id": str(BOT_ID),
            "username": "Watchbot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }

    def message(self, channel_id: int, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """A message object shaped like the documented example, holding `payload`'s content."""
        msg = copy.deepcopy(fixture_json("discord_message_object_example_docs.json"))
        msg.update(
            id=str(next(self._ids)),
            channel_id=str(channel_id),
            content=payload.get("content") or "",
            embeds=copy.deepcopy(payload.get("embeds") or []),
            attachments=[],
            reactions=[],
            author=self.user(),
            **extra,
        )
        if "nonce" in payload:
            msg["nonce"] = payload["nonce"]
        self.messages[int(msg["id"])] = msg
        return msg

    def attach(self, msg: dict[str, Any], received: Received, where: str) -> None:
        """Store the files of a request on its message as Discord does: attachment objects,
        and `attachment://name` embed images pointing at them."""
        payload = received.payload
        listed = payload.get("attachments") or (payload.get("data") or {}).get("attachments") or []
        described = {str(a.get("id")): a.get("description") for a in listed}
        for name, filename, data in received.files:
            self.uploads.append(Upload(where, msg["id"], name, filename, data))
            url = (
                f"https://cdn.discordapp.com/attachments/{msg['channel_id']}/{msg['id']}/{filename}"
            )
            msg["attachments"].append(
                {
                    "id": str(next(self._ids)),
                    "filename": filename,
                    "description": described.get(name.removeprefix("files[").rstrip("]")),
                    "size": len(data),
                    "url": url,
                    "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                    "content_type": "image/png" if data[:4] == b"\x89PNG" else None,
                }
            )
        urls = {f"attachment://{a['filename']}": a["url"] for a in msg["attachments"]}
        for embed in msg["embeds"]:
            image = embed.get("image") or {}
            if image.get("url") in urls:
                image["url"] = urls[image["url"]]

    async def received(self, request: web.Request) -> Received:
        """The JSON body, or a multipart body's `payload_json` and `files[n]` parts."""
        if not request.content_type.startswith("multipart/"):
            return Received(await request.json())
        reader = await request.multipart()
        out = Received({})
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader), "nested multipart is not Discord's format"
            if part.name == "payload_json":
                out.payload = json.loads(await part.text())
            elif part.name and _FILE_FIELD.fullmatch(part.name):
                out.files.append((part.name, part.filename or "", bytes(await part.read())))
            else:
                raise web.HTTPBadRequest(text=f"unexpected form field {part.name!r}")
        return out

    # --- routes --------------------------------------------------------------------------

    def _build(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        base = "/api/v10"
        r.add_get(f"{base}/users/@me", self._me)
        r.add_get(f"{base}/oauth2/applications/@me", self._application)
        r.add_get(f"{base}/gateway/bot", self._gateway_bot)
        r.add_get("/gateway", self._gateway)
        r.add_put(f"{base}/applications/{{app}}/commands", self._sync)
        r.add_put(f"{base}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        r.add_post(f"{base}/channels/{{channel}}/messages", self._post_message)
        r.add_get(f"{base}/channels/{{channel}}/messages/{{message}}", self._get_message)
        r.add_patch(f"{base}/channels/{{channel}}/messages/{{message}}", self._edit_message)
        r.add_post(f"{base}/webhooks/{{id}}/{{token}}", self._execute_webhook)
        r.add_patch(f"{base}/webhooks/{{id}}/{{token}}/messages/{{message}}", self._edit_hooked)
        r.add_delete(f"{base}/webhooks/{{id}}/{{token}}/messages/@original", self._delete_original)
        r.add_post(f"{base}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_get("/attachments/{channel}/{id}/{name}", self._cdn)
        return app

    def attachment(self, filename: str, data: bytes, *, size: int | None = None) -> dict[str, Any]:
        """A file a user attached to a command: its attachment object (for `resolved`), with
        the bytes served at its CDN URL on the fake."""
        attachment_id = str(next(self._ids))
        self.cdn[attachment_id] = data
        url = f"{self.url}/attachments/{CHANNEL_ID}/{attachment_id}/{filename}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": "text/x-opml; charset=utf-8",
            "ephemeral": True,
        }

    async def _cdn(self, request: web.Request) -> web.Response:
        attachment_id = request.match_info["id"]
        self.cdn_gets.append(attachment_id)
        if attachment_id not in self.cdn:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.cdn[attachment_id], content_type="application/octet-stream")

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        self.auth_headers.append(request.headers.get("Authorization"))
        try:
            return await handler(request)
        finally:
            await self._notify()

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {TOKEN}":
            return self.json({"message": "401: Unauthorized", "code": 0}, 401)
        return self.json(self.user())

    async def _application(self, request: web.Request) -> web.Response:
        return self.json(
            {
                "id": str(APP_ID),
                "name": "Watchbot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self.user(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return self.json(
            {
                "url": self.url.replace("http://", "ws://") + "/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        commands = await request.json()
        self.synced.append((request.path, commands))
        guild = request.match_info.get("guild")
        out = [
            {
                **c,
                "id": str(next(self._ids)),
                "application_id": str(APP_ID),
                "version": "1",
                **({"guild_id": guild} if guild else {}),
            }
            for c in commands
        ]
        return self.json(out)

    async def _post_message(self, request: web.Request) -> web.Response:
        failure = self._failure("channel")
        if failure is not None:
            return failure
        channel = int(request.match_info["channel"])
        received = await self.received(request)
        payload = received.payload
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce") and (channel, nonce) in self.nonces:
            return self.json(self.nonces[(channel, nonce)])  # Discord returns the first message
        self.posts.append(payload)
        msg = self.message(channel, payload)
        self.attach(msg, received, "channel")
        self.post_ids.append(msg["id"])
        if nonce is not None:
            self.nonces[(channel, nonce)] = msg
        return self.json(msg)

    async def _get_message(self, request: web.Request) -> web.Response:
        msg = self.messages.get(int(request.match_info["message"]))
        if msg is None:
            return self.json({"message": "Unknown Message", "code": 10008}, 404)
        return self.json(msg)

    async def _edit_message(self, request: web.Request) -> web.Response:
        failure = self._failure("edit")
        if failure is not None:
            return failure
        msg = self.messages.get(int(request.match_info["message"]))
        if msg is None or msg["channel_id"] != request.match_info["channel"]:
            return self.json(UNKNOWN_MESSAGE, 404)
        if msg.get("webhook_id") or msg["author"]["id"] != str(BOT_ID):
            return self.json(
                {"message": "Cannot edit a message authored by another user", "code": 50005}, 403
            )
        return self.json(await self._apply_edit(request, msg))

    async def _edit_hooked(self, request: web.Request) -> web.Response:
        failure = self._failure("edit")
        if failure is not None:
            return failure
        ref = request.match_info["message"]
        msg = self.messages.get(int(ref)) if ref.isdigit() else None
        if msg is None or msg.get("webhook_id") != request.match_info["id"]:
            return self.json(UNKNOWN_MESSAGE, 404)  # a webhook edits only its own messages
        return self.json(await self._apply_edit(request, msg))

    async def _apply_edit(self, request: web.Request, msg: dict[str, Any]) -> dict[str, Any]:
        """PATCH semantics: the fields sent replace the message's, the others stay."""
        received = await self.received(request)
        payload = received.payload
        self.edits.append((msg["id"], payload))
        for key in ("content", "embeds"):
            if key in payload:
                msg[key] = copy.deepcopy(payload[key]) if payload[key] is not None else None
        if "attachments" in payload:  # kept attachments are listed by id, new ones by index
            kept = {str(a.get("id")) for a in payload["attachments"]}
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in kept]
        self.attach(msg, received, "edit")
        msg["edited_timestamp"] = "2025-03-01T09:30:00.000000+00:00"
        return msg

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        hook = int(request.match_info["id"])
        if hook != APP_ID:
            failure = self._failure("webhook")
            if failure is not None:
                return failure
        received = await self.received(request)
        payload = received.payload
        if hook == APP_ID:  # interaction follow-up
            self.followups.append(payload)
            self._traffic(request, "followup", payload)
        else:
            self.webhook_posts.append(payload)
        msg = self.message(CHANNEL_ID, payload, webhook_id=str(hook))
        self.attach(msg, received, "followup" if hook == APP_ID else "webhook")
        if request.query.get("wait") in ("true", "1", "True"):
            return self.json(msg)
        return web.Response(status=204, headers={"Via": "1.1 google"})

    def _traffic(self, request: web.Request, kind: str, payload: dict[str, Any]) -> None:
        self.interactions.setdefault(request.match_info["token"], []).append((kind, payload))

    async def _delete_original(self, request: web.Request) -> web.Response:
        self.deleted_originals.append(request.match_info["token"])
        self._traffic(request, "delete", {})
        return web.Response(status=204, headers={"Via": "1.1 google"})

    async def _callback(self, request: web.Request) -> web.Response:
        received = await self.received(request)
        payload = received.payload
        self.callbacks.append(payload)
        self._traffic(request, "callback", payload)
        kind = payload["type"]
        data = payload.get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & 64)
        result: dict[str, Any] = {
            "interaction": {
                "id": request.match_info["id"],
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            },
            "resource": {"type": kind},
        }
        if kind == 4:
            msg = self.message(CHANNEL_ID, data)
            self.attach(msg, received, "callback")
            result["interaction"]["response_message_id"] = msg["id"]
            result["resource"]["message"] = msg
        return self.json(result)

    # --- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))

        async def writer() -> None:
            while True:
                await ws.send_str(json.dumps(await self._events.get()))

        pump = asyncio.create_task(writer())
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    break
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif message["op"] == 2:
                    self.identify = message["d"]
                    await ws.send_str(
                        json.dumps({"op": 0, "t": "READY", "s": 1, "d": self.ready()})
                    )
                    await self._notify()
        finally:
            pump.cancel()
        return ws

    def ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.user(),
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.url.replace("http://", "ws://") + "/gateway",
            "application": {"id": str(APP_ID), "flags": 0},
        }


async def serve(fake: FakeDiscord) -> web.AppRunner:
    """Serve the fake on 127.0.0.1 at a free port; sets `fake.url`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(fake.app, shutdown_timeout=0.2, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return runner


def shared_fixtures_present() -> bool:
    """False when /work/shared (the fixtures' home) is absent."""
    return Path(FIXTURES).is_dir()
