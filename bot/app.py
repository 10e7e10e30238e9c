"""Composition root: the one module that knows every concrete class and wires them together."""

from __future__ import annotations

import logging
import os
import socket
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from bot import metrics
from bot.analysis.charts import MatplotlibCharts
from bot.analysis.stances import RuleStanceExtractor
from bot.analysis.stories import MinHashStoryClusterer
from bot.chat.console import ConsoleSender
from bot.classify.loader import load_classifier
from bot.config import ChannelConfig, Settings
from bot.core.analysis import AnalysisStep
from bot.core.clock import SystemClock
from bot.core.commands import CommandRouter, Services
from bot.core.decide import PollPolicy
from bot.core.digest import DigestService
from bot.core.dispatch import Dispatcher, DispatchPolicy, DispatchReport
from bot.core.feedback import FeedbackDesk
from bot.core.filters import parse_rule
from bot.core.models import Channel, FeedSpec
from bot.core.pipeline import CycleReport, Poller
from bot.core.ports import (
    AnalysisStore,
    ChatPorts,
    ChatSender,
    Classifier,
    Clock,
    Fetcher,
    Progress,
    Source,
    StanceExtractor,
    Store,
)
from bot.cron import CronSchedules
from bot.ingest.article import TrafilaturaReader
from bot.ingest.fetch import HttpFetcher
from bot.ingest.httpsource import HttpSource
from bot.ingest.limits import HttpLimits
from bot.ingest.localfiles import LocalSource
from bot.ingest.opml import OpmlCodec
from bot.ingest.parse import FeedparserParser
from bot.ingest.urlcheck import GuardUrlChecker
from bot.leader import Leadership, SoleLeader, leadership_for
from bot.store.leases import ClaimedOutbox
from bot.store.sql import SqlStore
from bot.workers import ProcessOffload, pooled_classify

if TYPE_CHECKING:
    from bot.chat.base import ChatAdapter  # aiohttp.web: loaded only where an adapter runs

log = logging.getLogger("watchbot.app")


def channel_from_config(cfg: ChannelConfig) -> Channel:
    """The core's Channel for a configured channel."""
    return Channel(
        ref=cfg.ref,
        name=cfg.name,
        topics=tuple(cfg.topics),
        digest_cron=cfg.digest.cron,
        timezone=cfg.digest.timezone,
        alerts=cfg.alerts,
        threshold=cfg.alert_threshold,
        webhook_env=cfg.webhook_env,
        filters=tuple(parse_rule(text) for text in cfg.filters),
        digest_max_stories=cfg.digest_max_stories,
    )


def feed_specs(settings: Settings) -> list[FeedSpec]:
    """Configured feeds plus the seed corpus as a local feed."""
    default = int(settings.polling.default_interval)
    specs = [
        FeedSpec(
            url=f.url,
            name=f.name or f.url,
            poll_interval_s=int(f.interval or default),
            fulltext=f.fulltext,
            tags=tuple(f.tags),
        )
        for f in settings.feeds
    ]
    if settings.seeds.enabled:
        specs.append(
            FeedSpec(
                url=f"local:{settings.seeds.path}",
                name=settings.seeds.name,
                poll_interval_s=int(settings.seeds.interval),
                kind="local",
            )
        )
    return specs


def http_limits(settings: Settings) -> HttpLimits:
    """Fetch limits from the [http] section."""
    h = settings.http
    return HttpLimits(
        total_timeout_s=h.timeout,
        connect_timeout_s=h.connect_timeout,
        max_bytes=h.max_bytes,
        max_redirects=h.max_redirects,
        concurrency=h.concurrency,
        per_host=h.per_host,
        user_agent=h.user_agent,
        allow_private_networks=h.allow_private_networks,
    )


def charts_dir(settings: Settings) -> Path:
    """Where charts are written for the console: `charts/` beside a SQLite file, else data/."""
    url = settings.storage.url.split("?", 1)[0]
    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        return Path(url.removeprefix("sqlite:///")).expanduser().parent / "charts"
    return Path("data") / "charts"


@dataclass
class App:
    """Everything `watchbot` runs, wired; built by `build_app`."""

    settings: Settings
    store: Store
    clock: Clock
    classifier: Classifier
    poller: Poller
    dispatcher: Dispatcher
    digests: DigestService
    senders: dict[str, ChatSender]
    fetcher: Fetcher
    commands: CommandRouter
    executor: Executor | None = None
    adapters: list[ChatAdapter] = field(default_factory=list)
    analysis: AnalysisStore | None = None  # stories and statements, when the store keeps them
    stances: StanceExtractor | None = None
    leader: Leadership = field(default_factory=SoleLeader)  # who runs chat and sends
    replica_id: str = ""

    def chat_ports(self) -> ChatPorts:
        """All a chat adapter may use of the app: the command router, feedback, suggestions."""
        return ChatPorts(
            commands=self.commands,
            feedback=FeedbackDesk(self.store, self.clock),
            catalogue=self.store,
            clock=self.clock,
        )

    def sync_config(self) -> None:
        """Write configured feeds and channels into the store (the file wins for what it sets)."""
        self.store.sync_feeds(feed_specs(self.settings), self.clock.now())
        self.store.sync_channels([channel_from_config(c) for c in self.settings.channels])

    async def poll(
        self, *, feed_ids: list[int] | None = None, progress: Progress | None = None
    ) -> CycleReport:
        """One poll cycle (due feeds, or exactly `feed_ids`), with metrics; `progress` shows it."""
        report = await self.poller.poll_due(feed_ids=feed_ids, progress=progress)
        for r in report.results:
            outcome = "error" if r.error else ("not_modified" if r.not_modified else "ok")
            metrics.POLLS.labels(outcome=outcome).inc()
        metrics.ITEMS.inc(report.new_items)
        metrics.LAST_CYCLE.set(self.clock.now().timestamp())
        return report

    async def flush(self) -> DispatchReport:
        """Send due deliveries, with metrics."""
        report = await self.dispatcher.flush()
        for result in ("sent", "retried", "failed", "folded"):
            metrics.DELIVERIES.labels(result=result).inc(getattr(report, result))
        stats = self.store.stats()
        metrics.PENDING.set(stats.pending_deliveries)
        metrics.FEEDS_FAILING.set(sum(1 for f in self.store.list_feeds() if f.last_error))
        return report

    async def aclose(self) -> None:
        """Release chat connections, network sessions, worker processes and the database."""
        for adapter in self.adapters:
            await adapter.stop()  # safe twice: `run` stops them first
        close = getattr(self.fetcher, "close", None)
        if close is not None:
            await close()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        await self.leader.close()
        self.store.close()


def build_app(
    settings: Settings,
    *,
    store: Store | None = None,
    fetcher: Fetcher | None = None,
    clock: Clock | None = None,
    classifier: Classifier | None = None,
    senders: dict[str, ChatSender] | None = None,
    stdout: TextIO | None = None,
) -> App:
    """Wire the app from settings; tests pass their own store, fetcher, clock or senders."""
    clock = clock or SystemClock()
    store = store or SqlStore(settings.storage.url)
    fetcher = fetcher or HttpFetcher(http_limits(settings))
    parser = FeedparserParser(max_entries=settings.polling.max_entries)
    workers = settings.polling.parse_workers
    executor = ProcessPoolExecutor(max_workers=workers) if workers > 0 else None
    classifier = classifier or load_classifier(
        settings.classifier.model, settings.classifier.thresholds
    )
    sources: dict[str, Source] = {
        "rss": HttpSource(fetcher, parser, executor),
        "local": LocalSource(parser),
    }
    policy = PollPolicy(
        min_interval_s=int(settings.polling.min_interval),
        max_backoff_s=int(settings.polling.max_backoff),
        disable_after=settings.polling.disable_after,
        max_entries=settings.polling.max_entries,
    )
    # Several replicas on PostgreSQL: each leases the due feeds it polls and claims the deliveries
    # it sends. SQLite has one process: a restart there picks up at once what was in flight.
    cluster = settings.cluster
    replica_id = cluster.replica_id or f"{socket.gethostname()}:{os.getpid()}"
    shared_db = settings.storage.url.startswith("postgresql") or bool(cluster.replica_id)
    connect_chat = senders is None
    if senders is None:
        senders = {"console": ConsoleSender(stdout)}
    outbox = (
        cast(Store, ClaimedOutbox(store, replica_id, cluster.lease_ttl)) if shared_db else store
    )
    # Stories, stances and charts need a store that keeps them (SqlStore does).
    analysis_store = store if isinstance(store, AnalysisStore) else None
    dispatcher = Dispatcher(
        outbox,
        senders,
        clock,
        DispatchPolicy(max_alert_age=timedelta(seconds=settings.delivery.max_alert_age)),
        stories=analysis_store,
    )
    stances = RuleStanceExtractor() if analysis_store is not None else None
    analysis = (
        AnalysisStep(analysis_store, MinHashStoryClusterer(analysis_store), stances)
        if analysis_store is not None
        else None
    )
    digests = DigestService(
        store,
        clock,
        analysis=analysis_store,
        charts=MatplotlibCharts(charts_dir(settings)),
        max_per_topic=settings.delivery.digest_max_stories,
    )
    commands = CommandRouter(
        Services(
            store=store,
            clock=clock,
            digests=digests,
            classifier=classifier,
            schedules=CronSchedules(),
            url_checker=GuardUrlChecker(http_limits(settings)),
            feed_lists=OpmlCodec(),
            default_interval_s=int(settings.polling.default_interval),
            analysis=analysis_store,
            stances=stances,
        )
    )
    app = App(
        settings=settings,
        store=store,
        clock=clock,
        classifier=classifier,
        poller=Poller(
            store,
            sources,
            classifier,
            clock,
            policy=policy,
            concurrency=settings.http.concurrency,
            articles=TrafilaturaReader(fetcher),
            analysis=analysis,
            offload=ProcessOffload(executor) if executor is not None else None,
            classify_offload=(
                pooled_classify(
                    executor,
                    classifier,
                    settings.classifier.model,
                    settings.classifier.thresholds,
                )
                if executor is not None
                else None
            ),
            lease_owner=replica_id if shared_db else None,
            lease_ttl_s=cluster.lease_ttl,
        ),
        dispatcher=dispatcher,
        digests=digests,
        senders=senders,
        fetcher=fetcher,
        commands=commands,
        executor=executor,
        analysis=analysis_store,
        stances=stances,
        leader=leadership_for(settings.storage.url),
        replica_id=replica_id,
    )
    if connect_chat:
        from bot.chat.registry import build_adapters

        app.adapters = build_adapters(settings, app.chat_ports())
        for adapter in app.adapters:
            senders[adapter.platform] = adapter.sender  # the dispatcher shares this dict
    return app
