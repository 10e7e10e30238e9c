"""The bot's own small web server: /healthz, /metrics (and later Slack's HTTP endpoint)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core.errors import StorageError
from bot.core.ports import Store
from bot.metrics import REGISTRY

log = logging.getLogger("watchbot.web")

Extension = Callable[[web.Application], None]


def make_web_app(store: Store, *, extensions: list[Extension] | None = None) -> web.Application:
    """The aiohttp application; `extensions` add routes (e.g. the Slack adapter's endpoint)."""
    app = web.Application(client_max_size=1_000_000)

    async def healthz(_: web.Request) -> web.Response:
        try:
            stats = store.stats()
        except StorageError as exc:
            return web.json_response({"status": "error", "database": str(exc)}, status=503)
        return web.json_response(
            {
                "status": "ok",
                "items": stats.items,
                "feeds": stats.feeds,
                "pending_deliveries": stats.pending_deliveries,
                "last_poll_at": stats.last_poll_at.isoformat() if stats.last_poll_at else None,
            }
        )

    async def metrics(_: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for extend in extensions or []:
        extend(app)
    return app


class WebServer:
    """Runs the web application on host:port until stopped."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (useful when port is 0)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site, "_server", None)
        port = self.port
        if sockets is not None and getattr(sockets, "sockets", None):
            port = sockets.sockets[0].getsockname()[1]
        log.info("web.listening", extra={"host": self.host, "port": port})
        return int(port)

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
