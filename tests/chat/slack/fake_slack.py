"""A Slack-shaped fake on 127.0.0.1: the Web API methods Watchbot calls, response_url endpoints,
the file upload URL and a Socket Mode websocket. It keeps channels' messages with their threads
the way Slack answers for them (history without thread replies; a thread's replies after its
parent), records what it receives and can be told to fail."""

from __future__ import annotations

import asyncio
import json
import mimetypes
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


@dataclass
class SharedFile:
    """A file uploaded through the external upload flow and shared by files.completeUploadExternal."""

    id: str
    filename: str
    title: str
    data: bytes = field(repr=False)
    channel: str | None  # None: uploaded but shared nowhere
    thread_ts: str | None
    alt_txt: str = ""


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _page(found: list[dict[str, Any]], args: dict[str, Any], default: int) -> dict[str, Any]:
    """One page of `found`, with Slack's cursor fields."""
    limit = int(args.get("limit") or default)
    start = int(args.get("cursor") or 0)
    more = start + limit < len(found)
    return {
        "ok": True,
        "messages": found[start : start + limit],
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


class FakeSlack:
    """Start with `async with FakeSlack() as fake:`; point the client at `fake.api_url`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []  # chat.postMessage arguments + "ts"
        self.messages: list[dict[str, Any]] = []  # every message in every channel, oldest first
        self.files: list[SharedFile] = []  # files shared by files.completeUploadExternal
        self.user_files: list[dict[str, Any]] = []  # files users shared (files.list objects)
        self.downloads: list[tuple[str, str]] = []  # (file id, Authorization) of each download
        self.uploads: dict[str, bytes] = {}  # file id → bytes POSTed to its upload URL
        self._upload_slots: dict[str, dict[str, Any]] = {}  # from files.getUploadURLExternal
        self.outside: set[str] = set()  # channels the bot is not a member of
        # Slack has been seen both to refuse a reply to a deleted parent (thread_not_found) and
        # to post it as a top-level message instead; True plays the second.
        self.unthread_orphans = False
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
        app.router.add_post("/upload/{file_id}", self._upload_url)
        app.router.add_get("/files-pri/{file_id}/{name}", self._download)
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

    def delete(self, channel: str, ts: str) -> None:
        """Delete a message, as a user would: a parent with replies leaves a tombstone."""
        message = self._find(channel, ts)
        assert message is not None, f"no message {ts} in {channel}"
        message["deleted"] = True

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies under `ts` (without the parent), oldest first."""
        return [m for m in self._live(channel) if m.get("thread_ts") == ts and m["ts"] != ts]

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """The channel's messages outside threads, oldest first."""
        return [m for m in self._live(channel) if m.get("thread_ts", m["ts"]) == m["ts"]]

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

    def _next_ts(self) -> str:
        self._last_ts = max(time.time(), self._last_ts + 0.000001)  # unique, rising, like Slack's
        return f"{self._last_ts:.6f}"

    def _find(self, channel: Any, ts: Any) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None)

    def _live(self, channel: Any) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["channel"] == channel and not m.get("deleted")]

    def _parent(self, channel: Any, thread_ts: Any) -> tuple[dict[str, Any] | None, str | None]:
        """The parent a reply goes under, or (None, error) when there is no such thread."""
        parent = self._find(channel, thread_ts)
        if parent is None or (parent.get("deleted") and not self.thread(channel, thread_ts)):
            return None, "thread_not_found"
        return parent, None

    def _add_message(
        self, channel: Any, thread_ts: str | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new message (a reply when `thread_ts`) and return it."""
        message: dict[str, Any] = {"type": "message", "ts": self._next_ts(), **fields}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
            parent = self._find(channel, thread_ts)
            assert parent is not None
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        self.messages.append({**message, "channel": channel})
        return message

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, thread_ts = args.get("channel"), args.get("thread_ts") or None
        if thread_ts is not None and self._parent(channel, thread_ts)[0] is None:
            if not self.unthread_orphans:
                return {"ok": False, "error": "thread_not_found"}
            thread_ts = None
        fields: dict[str, Any] = {
            "subtype": "bot_message",
            "bot_id": BOT_ID,
            "user": BOT_USER,
            "text": args.get("text", ""),
        }
        if args.get("metadata"):
            fields["metadata"] = args["metadata"]
        message = self._add_message(channel, thread_ts, fields)
        self.posts.append({**args, "ts": message["ts"]})
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    @staticmethod
    def _as_listed(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        out = {k: v for k, v in message.items() if k not in ("channel", "deleted", "metadata")}
        if message.get("deleted"):
            out = {
                "type": "message",
                "subtype": "tombstone",
                "ts": message["ts"],
                "text": "This message was deleted.",
                "thread_ts": message.get("thread_ts"),
            }
        elif with_metadata and message.get("metadata"):
            out["metadata"] = message["metadata"]
        return out

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or 1e12)
        inclusive = _truthy(args.get("inclusive", "0"))
        with_metadata = _truthy(args.get("include_all_metadata", "0"))
        found = []
        for message in reversed(self.top_level(channel)):  # newest first, as Slack answers
            t = float(message["ts"])
            if oldest <= t <= latest if inclusive else oldest < t < latest:
                found.append(self._as_listed(message, with_metadata))
        return _page(found, args, 100)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        parent, error = self._parent(channel, ts)
        if parent is None:
            return {"ok": False, "error": error}
        with_metadata = _truthy(args.get("include_all_metadata", "0"))
        thread = [parent, *self.thread(channel, ts)]  # the parent first, then oldest first
        return _page([self._as_listed(m, with_metadata) for m in thread], args, 1000)

    # --- files: the external upload flow ------------------------------------------------

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self._upload_slots) + 1:08d}"
        self._upload_slots[file_id] = {
            "filename": str(args["filename"]),
            "length": int(args["length"]),
            "alt_txt": str(args.get("alt_txt") or ""),
        }
        url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
        return {"ok": True, "upload_url": url, "file_id": file_id}

    async def _upload_url(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.calls.append(("upload", {"file_id": file_id, "bytes": len(data)}))
        failure = self._next_failure("upload")
        if failure is not None:
            return web.Response(status=500 if failure.kind == "500" else 400, text="failed")
        slot = self._upload_slots.get(file_id)
        if slot is None or slot["length"] != len(data):
            return web.Response(status=400, text="length mismatch", content_type="text/plain")
        self.uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(str(args.get("files") or "[]"))
        channel = args.get("channel_id") or None
        thread_ts = args.get("thread_ts") or None
        if any(f.get("id") not in self.uploads for f in files) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        if channel is not None and channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}  # chat:write.public covers no files
        if thread_ts is not None and self._parent(channel, thread_ts)[0] is None:
            return {"ok": False, "error": "thread_not_found"}
        shared = [self._share(f, channel, thread_ts) for f in files]
        if channel is not None:
            fields = {
                "user": BOT_USER,
                "text": args.get("initial_comment") or "",
                "upload": True,
                "files": [self._file_object(f) for f in shared],
            }
            self._add_message(channel, thread_ts, fields)
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in shared]}

    def _share(self, f: dict[str, Any], channel: str | None, thread_ts: str | None) -> SharedFile:
        slot = self._upload_slots[f["id"]]
        shared = SharedFile(
            id=f["id"],
            filename=slot["filename"],
            title=str(f.get("title") or slot["filename"]),
            data=self.uploads[f["id"]],
            channel=channel,
            thread_ts=thread_ts,
            alt_txt=slot["alt_txt"],
        )
        self.files.append(shared)
        return shared

    @staticmethod
    def _file_object(f: SharedFile) -> dict[str, Any]:
        """A file as messages in history show it."""
        return {
            "id": f.id,
            "name": f.filename,
            "title": f.title,
            "mimetype": mimetypes.guess_type(f.filename)[0] or "application/octet-stream",
            "size": len(f.data),
            "user": BOT_USER,
            "mode": "hosted",
        }

    # --- files users share (files.list, url_private_download) --------------------------

    def user_shares(
        self, channel: str, user: str, name: str, data: bytes, *, created: float
    ) -> dict[str, Any]:
        """A user drags a file into `channel`; returns its file object as files.list shows it."""
        file_id = f"FU{len(self.user_files) + 1:07d}"
        obj = {
            "id": file_id,
            "created": int(created),
            "timestamp": int(created),
            "name": name,
            "title": name,
            "mimetype": "text/x-opml",
            "filetype": "xml",
            "user": user,
            "size": len(data),
            "mode": "hosted",
            "channels": [channel],
            "url_private": f"http://127.0.0.1:{self.port}/files-pri/{file_id}/{name}",
            "url_private_download": f"http://127.0.0.1:{self.port}/files-pri/{file_id}/{name}",
        }
        self.user_files.append({**obj, "_data": data})
        self._add_message(channel, None, {"user": user, "text": "", "files": [obj]})
        return obj

    def _files_list(self, args: dict[str, Any]) -> dict[str, Any]:
        found = [
            {k: v for k, v in f.items() if not k.startswith("_")}
            for f in reversed(self.user_files)  # newest first, as Slack lists them
            if (not args.get("channel") or args["channel"] in f["channels"])
            and (not args.get("user") or args["user"] == f["user"])
            and f["created"] >= int(args.get("ts_from") or 0)
        ]
        count = int(args.get("count") or 100)
        return {
            "ok": True,
            "files": found[:count],
            "paging": {"count": count, "total": len(found), "page": 1, "pages": 1},
        }

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        auth = request.headers.get("Authorization", "")
        self.downloads.append((file_id, auth))
        if auth != f"Bearer {BOT_TOKEN}":  # Slack redirects to its login page instead
            raise web.HTTPFound("https://slack.com/signin")
        found = next((f for f in self.user_files if f["id"] == file_id), None)
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found["_data"], content_type="application/octet-stream")

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
