"""A Slack-shaped fake on 127.0.0.1: the Web API methods Watchbot calls, response_url endpoints
and a Socket Mode websocket. It records what it receives and can be told to fail."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-1-test-app-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Failure:
    """One scripted failure of a method: after `after` successes, answer `kind` `times` times."""

    kind: str  # "429" | "500" | "error" | "hang"
    times: int = 1
    after: int = 0
    error: str = "channel_not_found"
    headers: dict[str, str] = field(default_factory=lambda: {"Retry-After": "30"})
    delay: float = 1.0


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


class FakeSlack:
    """Start with `async with FakeSlack() as fake:`; point the client at `fake.api_url`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []  # chat.postMessage arguments + "ts"
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every Web API call, in order
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url name, body)
        self.users: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.socket_received: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._last_ts = 0.0

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- scripting and inspection --------------------------------------------------------

    def fail(self, method: str, kind: str, **kw: Any) -> None:
        """Make `method` fail; see Failure for the options."""
        self.failures.setdefault(method, []).append(Failure(kind, **kw))

    def add_user(self, user_id: str, *, admin: bool = False, owner: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": user_id.lower(),
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
        }

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]

    @staticmethod
    async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds (the bot finishes work after acknowledging)."""
        try:
            async with asyncio.timeout(within):
                while not predicate():  # noqa: ASYNC110 - may watch the store, which signals nothing
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError("timed out waiting for the fake Slack to see it") from None

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push an envelope to every connected Socket Mode client."""
        await self.wait_for(lambda: bool(self._sockets))
        for ws in self._sockets:
            await ws.send_str(json.dumps(envelope))

    # --- handlers ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        self.calls.append((method, args))
        auth = request.headers.get("Authorization", "")
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if auth != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failure = self._next_failure(method)
        if failure is not None and failure.kind != "hang":
            return self._failure_response(failure)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        body = handler(args)
        if failure is not None:  # "hang": the work is done, the answer comes too late
            await asyncio.sleep(failure.delay)
        return web.json_response(body)

    def _next_failure(self, method: str) -> Failure | None:
        queue = self.failures.get(method) or []
        if not queue:
            return None
        head = queue[0]
        if head.after > 0:
            head.after -= 1
            return None
        head.times -= 1
        if head.times <= 0:
            queue.pop(0)
        return head

    @staticmethod
    def _failure_response(failure: Failure) -> web.Response:
        if failure.kind == "429":
            return web.Response(status=429, headers=failure.headers)
        if failure.kind == "500":
            return web.Response(status=500, text="upstream broke", content_type="text/plain")
        return web.json_response({"ok": False, "error": failure.error})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://watchbot-test.slack.com/",
            "team": "Watchbot Test",
            "user": "watchbot",
            "team_id": "T111",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self._last_ts = max(time.time(), self._last_ts + 0.000001)  # unique, rising, like Slack's
        ts = f"{self._last_ts:.6f}"
        self.posts.append({**args, "ts": ts})
        message = {"type": "message", "text": args.get("text", ""), "ts": ts, "bot_id": BOT_ID}
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or 1e12)
        inclusive = _truthy(args.get("inclusive", "0"))
        with_metadata = _truthy(args.get("include_all_metadata", "0"))
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        found = []
        for post in reversed(self.posts):  # newest first, as Slack answers
            t = float(post["ts"])
            inside = oldest <= t <= latest if inclusive else oldest < t < latest
            if post.get("channel") != channel or not inside:
                continue
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": BOT_ID,
                "user": BOT_USER,
                "text": post.get("text", ""),
                "ts": post["ts"],
            }
            if with_metadata and post.get("metadata"):
                message["metadata"] = post["metadata"]
            found.append(message)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["name"], await request.json()))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_received.append(json.loads(msg.data))
        self._sockets.remove(ws)
        return ws
