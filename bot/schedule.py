"""APScheduler wiring. It decides nothing: it ticks and calls the app's core functions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from bot.core.errors import WatchbotError
from bot.core.ports import Progress
from bot.leader import SoleLeader

log = logging.getLogger("watchbot.schedule")


class Daemon:
    """Polls due feeds on a tick, flushes the outbox, fires each channel's digest cron.

    Jobs never overlap themselves, late runs coalesce, and a stop waits for jobs in flight so no
    write is cut in half. Every replica polls (leases split the feeds) and records digests (their
    dedupe key keeps one per slot); only the leader runs the chat connections and sends.
    """

    def __init__(
        self, app: App, *, tick_s: float | None = None, first_progress: Progress | None = None
    ) -> None:
        self.app = app
        # The first cycle after a start can be long (every item of every feed is new): shown.
        self.first_progress = first_progress
        self.tick_s = tick_s if tick_s is not None else app.settings.polling.tick
        self._chat_running = False
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._in_flight: set[asyncio.Task[object]] = set()
        self._flush_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.cycles = 0

    async def _guard(
        self, name: str, job: Callable[[], Awaitable[object]], *, draining: bool = False
    ) -> None:
        if self._stopping and not draining:
            return
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await job()
        except (
            WatchbotError
        ) as exc:  # known failure (database busy, platform down): next tick retries
            log.warning("job.failed", extra={"job": name, "error": str(exc)})
        except Exception:  # a bug: log it loudly, keep the daemon alive for the other jobs
            log.exception("job.crashed", extra={"job": name})
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def poll_tick(self) -> None:
        """Poll what is due, then send what that produced."""
        await self._guard("poll", self._poll_and_flush)

    async def _poll_and_flush(self) -> None:
        progress = self.first_progress if self.cycles == 0 else None
        report = await self.app.poll(progress=progress)
        self.cycles += 1
        if report.results:
            self._flush_soon()

    def _flush_soon(self) -> None:
        """Send in the background unless a send is under way. Sending is paced and retried
        (Slack allows about one message a second per channel), so a poll that produced many
        alerts must not hold up the next poll; the dispatcher's own lock keeps flushes apart."""
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._guard("flush", self._send))

    async def _send(self) -> None:
        """Send due deliveries if this replica leads; the others leave them to it."""
        if self.app.leader.is_leader:
            await self.app.flush()

    async def flush_tick(self) -> None:
        """Send due deliveries (retries included)."""
        await self._guard("flush", self._send)

    async def leader_tick(self) -> None:
        """Try to become (or stay) the leader; start or stop the chat connections to match."""
        await self._guard("leader", self._lead)

    async def _lead(self) -> None:
        leading = await self.app.leader.check()
        if leading and not self._chat_running:
            self._chat_running = True
            for adapter in self.app.adapters:
                await adapter.start()
        elif not leading and self._chat_running:
            await self._stop_chat()

    async def _stop_chat(self) -> None:
        self._chat_running = False
        for adapter in self.app.adapters:
            await adapter.stop()

    async def digest_tick(self, channel_ref: str) -> None:
        """Record this slot's digest for a channel and send it."""

        async def fire() -> None:
            slot = self.app.clock.now().replace(second=0, microsecond=0)
            if self.app.digests.record(channel_ref, slot) is not None:
                await self._send()

        await self._guard(f"digest:{channel_ref}", fire)

    def _schedule(self) -> None:
        settings = self.app.settings
        self.scheduler.add_job(
            self.poll_tick,
            IntervalTrigger(seconds=self.tick_s),
            id="poll",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(
            self.flush_tick,
            IntervalTrigger(seconds=settings.delivery.flush_interval),
            id="flush",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
        )
        if not isinstance(self.app.leader, SoleLeader):
            self.scheduler.add_job(
                self.leader_tick,
                IntervalTrigger(seconds=settings.cluster.leader_check),
                id="leader",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=60,
            )
        self.scheduler.add_job(
            self.reconcile_digests,
            IntervalTrigger(seconds=60),
            id="reconcile",
            max_instances=1,
            coalesce=True,
        )
        self.reconcile_digests()

    def reconcile_digests(self) -> None:
        """One cron job per subscribed channel, following `subscribe`/`unsubscribe` commands."""
        wanted = {
            f"digest:{c.ref}:{c.digest_cron}:{c.timezone}": c
            for c in self.app.store.list_channels()
            if c.subscribed and c.digest_cron
        }
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()
        for job_id, ch in wanted.items():
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(
                    self.digest_tick,
                    CronTrigger.from_crontab(ch.digest_cron or "", timezone=ZoneInfo(ch.timezone)),
                    args=[ch.ref],
                    id=job_id,
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=3600,
                )

    async def start_digests(self) -> None:
        """Digests of channels configured with `at_start`, after the first poll (by the leader:
        replicas starting together send one)."""
        if not self.app.leader.is_leader:
            return
        for ch in self.app.settings.channels:
            if ch.digest.at_start:
                await self.digest_tick(ch.ref)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then drain jobs in flight."""
        self.app.sync_config()
        await self._lead()  # a chat connection that cannot start stops the daemon, as before
        await self._guard("first-poll", self._poll_and_flush)
        await self.start_digests()
        self._schedule()
        self.scheduler.start()
        log.info(
            "daemon.started",
            extra={
                "feeds": len(self.app.store.list_feeds()),
                "channels": len(self.app.settings.channels),
                "replica": self.app.replica_id,
                "leader": self.app.leader.is_leader,
            },
        )
        await stop.wait()
        self._stopping = True  # jobs that fire from now on return at once
        # Drain before shutting the scheduler down: its shutdown cancels the jobs in flight.
        if self._in_flight:
            log.info("daemon.draining", extra={"jobs": len(self._in_flight)})
            await asyncio.wait(set(self._in_flight), timeout=30)
        # What the drained polls recorded is sent before exit, not left for the next start.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._guard("flush", self._send, draining=True), timeout=30)
        self.scheduler.shutdown(wait=False)
        if self._chat_running:
            await self._stop_chat()
        log.info("daemon.stopped")
