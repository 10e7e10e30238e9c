"""The update pipeline: due feeds → read → normalise → decide → classify → store (one transaction)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from bot.core.analysis import AnalysisStep, TextReading, item_text
from bot.core.decide import (
    PollPolicy,
    backoff_after_failure,
    cache_max_age,
    newest,
    next_poll_after_success,
    plan_entries,
    unique_in_document,
)
from bot.core.errors import FeedError
from bot.core.filters import subject_of
from bot.core.models import Candidate, Channel, Classification, Feed, ParsedEntry, PendingDelivery
from bot.core.normalise import MAX_BODY_CHARS, normalise
from bot.core.notices import feed_notices
from bot.core.ports import (
    ArticleReader,
    Classifier,
    ClassifyOffload,
    Clock,
    FeedOutcome,
    NewItem,
    Offload,
    Progress,
    Source,
    Store,
    UpdateItem,
)
from bot.core.routing import alert_deliveries
from bot.core.silence import RHYTHM_ITEMS, may_be_silent, silence_notices, silent_rhythm

log = logging.getLogger("watchbot.pipeline")

# Documents with fewer entries are normalised in the event loop: shipping them costs more.
OFFLOAD_MIN_ENTRIES = 8
T = TypeVar("T")


@dataclass(slots=True)
class FeedResult:
    """What one poll of one feed did; `error` is set when it failed."""

    feed_id: int
    name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    alerts: int = 0
    error: str | None = None
    disabled: bool = False


@dataclass(slots=True)
class CycleReport:
    """All feeds polled in one cycle."""

    results: list[FeedResult] = field(default_factory=list)

    @property
    def new_items(self) -> int:
        """Items stored for the first time in this cycle."""
        return sum(r.new for r in self.results)

    @property
    def failures(self) -> list[FeedResult]:
        """Feeds whose poll failed."""
        return [r for r in self.results if r.error]


class Poller:
    """Polls due feeds. Per-feed failures of a known kind become that feed's result; bugs raise."""

    def __init__(
        self,
        store: Store,
        sources: dict[str, Source],
        classifier: Classifier,
        clock: Clock,
        *,
        policy: PollPolicy | None = None,
        concurrency: int = 32,
        articles: ArticleReader | None = None,
        analysis: AnalysisStep | None = None,
        offload: Offload | None = None,
        classify_offload: ClassifyOffload | None = None,
        lease_owner: str | None = None,
        lease_ttl_s: float = 120.0,
    ) -> None:
        self.store = store
        self.sources = sources
        self.classifier = classifier
        self.clock = clock
        self.policy = policy or PollPolicy()
        self._limit = asyncio.Semaphore(concurrency)
        self.articles = articles
        self.analysis = analysis  # stories and stances; None: every new item stands alone
        # Throughput: normalising and classifying may run in a process pool beside the loop.
        self.offload = offload
        self._classify = _ClassifyBatcher(classify_offload or self._classify_here)
        # Several replicas: with an owner, due feeds are leased so that each is polled once.
        self.lease_owner = lease_owner
        self.lease_ttl_s = lease_ttl_s
        self.lease_batch = 2 * concurrency

    async def poll_due(
        self, *, feed_ids: Sequence[int] | None = None, progress: Progress | None = None
    ) -> CycleReport:
        """Poll every feed that is due now (or exactly `feed_ids`, due or not).

        With a lease owner, due feeds are leased in batches as polling slots free up, so several
        replicas sharing the database split them between them. `progress` counts the new items
        classified, its total growing as feeds are read.
        """
        now = self.clock.now()
        channels = self.store.list_channels()
        cycle = _Cycle(progress)
        if progress is not None:
            progress.start(0, "items")
        try:
            if feed_ids is None and self.lease_owner is not None:
                results = await self._poll_leased(self.lease_owner, channels, cycle)
            else:
                if feed_ids is None:
                    feeds = self.store.due_feeds(now)
                else:
                    wanted = set(feed_ids)
                    feeds = [
                        f for f in self.store.list_feeds() if f.id in wanted and not f.disabled
                    ]
                results = list(
                    await asyncio.gather(*(self._guarded(f, channels, cycle) for f in feeds))
                )
        finally:
            cycle.flush(self.store)
            if progress is not None:
                progress.close()
        return CycleReport(results=results)

    async def _poll_leased(
        self, owner: str, channels: Sequence[Channel], cycle: _Cycle
    ) -> list[FeedResult]:
        """Lease due feeds as slots free up (half a batch at least) until none is left, or a
        cycle's worth (`due_feeds`' limit) was leased: a cycle ends even when feeds keep coming due.

        Leases of polls still running are renewed every third of their time to live, so that a
        short time to live (a dead replica's feeds come back soon) does not cut a slow poll short.
        """
        results: list[FeedResult] = []
        running: set[asyncio.Task[FeedResult]] = set()
        more = True
        budget = 1000
        renew_every = self.lease_ttl_s / 3
        renewed = asyncio.get_running_loop().time()
        try:
            while True:
                room = self.lease_batch - len(running)
                if more and room >= self.lease_batch // 2:
                    cycle.flush(self.store)  # release what was polled before leasing more
                    now = self.clock.now()
                    want = min(room, budget)
                    feeds = self.store.lease_due_feeds(owner, now, self.lease_ttl_s, want)
                    budget -= len(feeds)
                    more = len(feeds) == want and budget > 0
                    running |= {
                        asyncio.create_task(self._guarded(f, channels, cycle)) for f in feeds
                    }
                if not running:
                    return results
                done, running = await asyncio.wait(
                    running, timeout=renew_every, return_when=asyncio.FIRST_COMPLETED
                )
                results += [task.result() for task in done]
                if running and asyncio.get_running_loop().time() - renewed >= renew_every:
                    self.store.renew_leases(owner, self.clock.now(), self.lease_ttl_s)
                    renewed = asyncio.get_running_loop().time()
        finally:
            for task in running:
                task.cancel()

    async def _guarded(
        self, feed: Feed, channels: Sequence[Channel], cycle: _Cycle | None = None
    ) -> FeedResult:
        async with self._limit:
            return await self.poll_feed(feed, channels, cycle)

    async def poll_feed(
        self, feed: Feed, channels: Sequence[Channel], cycle: _Cycle | None = None
    ) -> FeedResult:
        """Read one feed and store what is new; a FeedError is recorded as the feed's failure.

        Within a cycle, a 304's outcome is written with the cycle's others (one transaction).
        """
        result = FeedResult(feed_id=feed.id, name=feed.name)
        source = self.sources.get(feed.kind)
        if source is None:
            raise KeyError(f"no source for feed kind {feed.kind!r}")
        try:
            read = await source.read(feed)
        except FeedError as exc:
            return self._record_failure(feed, channels, result, exc)
        now = self.clock.now()
        next_at = next_poll_after_success(
            feed.id,
            feed.poll_interval_s,
            now,
            self.policy,
            max_age_s=cache_max_age(read.cache_control),
            due=feed.next_poll_at if feed.primed and not feed.consecutive_failures else None,
        )
        note = None  # a 304 keeps the note of the document it confirms; a new read replaces it
        if read.feed is not None:
            note = (read.feed.bozo_reason or "")[:500] if read.feed.bozo else ""
        outcome = FeedOutcome(
            feed_id=feed.id,
            polled_at=now,
            next_poll_at=next_at,
            ok=True,
            etag=read.etag,
            last_modified=read.last_modified,
            primed=True,
            note=note,
        )
        if read.feed is None:
            result.not_modified = True
            if self._announce_silence(feed, channels, now):
                self.store.record_outcome(dataclasses.replace(outcome, silenced=True))
            elif cycle is not None:
                cycle.add(outcome, self.store)
            else:
                self.store.record_outcome(outcome)
            return result
        prepare = functools.partial(
            prepare_candidates,
            read.feed.entries,
            feed_url=read.base_url or feed.url,
            source=feed.name or read.feed.title or feed.url,
            now=now,
            max_entries=self.policy.max_entries,
        )
        if self.offload is not None and len(read.feed.entries) >= OFFLOAD_MIN_ENTRIES:
            candidates = await self.offload(prepare)
        else:
            candidates = prepare()
        plan = plan_entries(feed.id, candidates, self.store.find_matches(feed.id, candidates))
        silent = not feed.primed
        if feed.fulltext and self.articles is not None and not silent:
            plan.new[:] = await self._with_full_text(plan.new)
        classifications = await self._classify_counted(
            [(c.title, c.text) for c in plan.new], cycle.progress if cycle is not None else None
        )
        readings = await self._read_in_pool(plan.new, classifications)
        # Other polls were stored while this one waited: drop what they stored meanwhile (the
        # same story syndicated), so that deciding and storing act on the same state; and a
        # first poll of a feed that another poll primed meanwhile (a lease that lapsed) is not
        # a first poll any more.
        still_new = self.store.find_matches(feed.id, plan.new) if plan.new else []
        if silent and plan.new:
            fresh = self.store.get_feed(feed.id)
            silent = fresh is None or not fresh.primed
        kept = [k for k, match in enumerate(still_new) if match is None]
        new_items = [
            NewItem(
                feed_id=feed.id,
                candidate=plan.new[k],
                classification=classifications[k],
                silent=silent,
            )
            for k in kept
        ]
        if new_items:
            outcome = dataclasses.replace(outcome, new_items=True)
        elif self._announce_silence(feed, channels, now):
            outcome = dataclasses.replace(outcome, silenced=True)
        deliveries = [
            alert_deliveries(
                n.classification,
                channels,
                silent=silent,
                subject=subject_of(
                    n.candidate.title, n.candidate.summary, n.candidate.source, feed
                ),
            )
            for n in new_items
        ]
        # A later source of a known story alerts no channel the story already alerted.
        prepared = (
            self.analysis.prepare(
                new_items, None if readings is None else [readings[k] for k in kept]
            )
            if self.analysis
            else None
        )
        if self.analysis is not None and prepared is not None:
            deliveries = self.analysis.without_repeats(prepared, deliveries)
        self.store.apply_poll(
            outcome,
            new_items,
            [UpdateItem(item_id=i, candidate=c) for i, c in plan.updates],
            deliveries,
        )
        if self.analysis is not None and prepared is not None:
            self.analysis.record(feed.id, prepared, now)
        result.new = len(new_items)
        result.updated = len(plan.updates)
        result.unchanged = plan.unchanged + len(plan.new) - len(new_items)
        result.alerts = sum(len(d) for d in deliveries)
        if read.feed.bozo:
            log.info("feed.recovered", extra={"feed": feed.name, "reason": read.feed.bozo_reason})
        log.info(
            "feed.polled",
            extra={
                "feed": feed.name,
                "new": result.new,
                "updated": result.updated,
                "silent": silent,
                "alerts": result.alerts,
                "later_sources": prepared.later_sources if prepared else 0,
            },
        )
        return result

    async def _classify_here(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        return self.classifier.classify_many(docs)

    async def _classify_counted(
        self, docs: Sequence[tuple[str, str]], progress: Progress | None
    ) -> list[Classification]:
        """Classify a feed's new items in chunks of the batcher's size, counting each chunk done.

        A large document (a folder of thousands of articles) is then several batches: they run
        on several workers at once when there is a pool, and the progress moves as they finish.
        """
        if progress is not None:
            progress.expect(len(docs))
        size = self._classify.max_docs

        async def chunk(part: Sequence[tuple[str, str]]) -> list[Classification]:
            done = await self._classify(part)
            if progress is not None:
                progress.advance(len(part))
            return done

        return [c for done in await asyncio.gather(*map(chunk, _chunks(docs, size))) for c in done]

    async def _read_in_pool(
        self, candidates: Sequence[Candidate], classifications: Sequence[Classification]
    ) -> list[TextReading] | None:
        """Fingerprints and statements of a large batch, read in the process pool beside the
        classifier (in chunks, so that every worker takes a share); None without a pool or
        analysis, and for a few items: then `AnalysisStep.prepare` reads them here."""
        if self.analysis is None or self.offload is None:
            return None
        if len(candidates) < OFFLOAD_MIN_ENTRIES:
            return None
        texts = list(map(item_text, candidates, classifications))
        reader, parts = self.analysis.reader, _chunks(texts, self._classify.max_docs)
        done = await asyncio.gather(*(self.offload(functools.partial(reader, p)) for p in parts))
        return [reading for part in done for reading in part]

    async def _with_full_text(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Candidates whose body is their article's extracted text, when it is longer."""
        reader = self.articles
        assert reader is not None

        async def one(c: Candidate) -> Candidate:
            text = await reader.read_article(c.url) if c.url else None
            if text and len(text) > len(c.text):
                return dataclasses.replace(c, body=text[:MAX_BODY_CHARS])
            return c

        return list(await asyncio.gather(*(one(c) for c in candidates)))

    def _announce_silence(self, feed: Feed, channels: Sequence[Channel], now: datetime) -> bool:
        """Record the notices when a feed that answers has gone silent for far longer than its
        rhythm; True when it did (the caller marks the feed with the poll's outcome). Notices
        come first: should the process die before the mark, re-recording them is a no-op."""
        if not may_be_silent(feed, now):
            return False
        usual = silent_rhythm(feed, self.store.publication_times(feed.id, RHYTHM_ITEMS), now)
        if usual is None:
            return False
        notices = silence_notices(feed, channels, usual, now)
        self.store.record_deliveries(notices, now)
        log.warning("feed.silent", extra={"feed": feed.name, "last_new_at": str(feed.last_new_at)})
        return True

    def _record_failure(
        self, feed: Feed, channels: Sequence[Channel], result: FeedResult, exc: FeedError
    ) -> FeedResult:
        now = self.clock.now()
        failures = feed.consecutive_failures + 1
        disable = (exc.permanent and failures >= 3) or failures >= self.policy.disable_after
        outcome = FeedOutcome(
            feed_id=feed.id,
            polled_at=now,
            next_poll_at=backoff_after_failure(
                feed.id,
                feed.poll_interval_s,
                failures,
                now,
                self.policy,
                retry_after_s=exc.retry_after,
            ),
            ok=False,
            error=str(exc),
            consecutive_failures=failures,
            disabled=disable,
            primed=feed.primed,
        )
        result.error = str(exc)
        result.disabled = disable
        if disable:
            notices = disabled_notices(feed, channels, str(exc), failures, now)
            self.store.record_outcome(outcome)
            self.store.record_deliveries(notices, now)
            log.warning("feed.disabled", extra={"feed": feed.name, "error": str(exc)})
        else:
            self.store.record_outcome(outcome)
            log.warning(
                "feed.failed",
                extra={
                    "feed": feed.name,
                    "error": str(exc),
                    "failures": failures,
                    "next_poll_at": outcome.next_poll_at.isoformat(),
                },
            )
        return result


def prepare_candidates(
    entries: Sequence[ParsedEntry], *, feed_url: str, source: str, now: datetime, max_entries: int
) -> list[Candidate]:
    """A document's entries as candidates: normalised, newest `max_entries`, repeats dropped.

    Pure and picklable, so that a process pool can run it beside the event loop.
    """
    candidates = [normalise(e, feed_url=feed_url, source=source, now=now) for e in entries]
    kept, _repeats = unique_in_document(newest(candidates, max_entries))
    return kept


class _Cycle:
    """Outcomes of one cycle's 304s, written together: one transaction instead of hundreds."""

    def __init__(self, progress: Progress | None = None, batch: int = 200) -> None:
        self.batch = batch
        self.outcomes: list[FeedOutcome] = []
        self.progress = progress  # the cycle's, when someone watches it

    def add(self, outcome: FeedOutcome, store: Store) -> None:
        self.outcomes.append(outcome)
        if len(self.outcomes) >= self.batch:
            self.flush(store)

    def flush(self, store: Store) -> None:
        outcomes, self.outcomes = self.outcomes, []
        store.record_outcomes(outcomes)


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` in consecutive slices of `size` (the last may be shorter)."""
    return [items[k : k + size] for k in range(0, len(items), size)]


class _ClassifyBatcher:
    """One classify_many for the new items of all feeds polled at about the same time.

    Concurrent polls queue their documents; a batch goes when it holds `max_docs` documents or
    `linger_s` after its first one arrived. Fewer, larger calls suit spaCy's batching, and with a
    process pool behind `classify` several batches run on several cores at once.
    """

    def __init__(
        self,
        classify: Callable[[Sequence[tuple[str, str]]], Awaitable[list[Classification]]],
        *,
        max_docs: int = 256,
        linger_s: float = 0.005,
    ) -> None:
        self.classify = classify
        self.max_docs = max_docs
        self.linger_s = linger_s
        self._queued: list[tuple[Sequence[tuple[str, str]], asyncio.Future[list[Classification]]]]
        self._queued = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        if not docs:
            return []
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Classification]] = loop.create_future()
        self._queued.append((docs, future))
        self._size += len(docs)
        if self._size >= self.max_docs:
            self._send()
        elif self._timer is None:
            self._timer = loop.call_later(self.linger_s, self._send)
        return await future

    def _send(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._queued, self._size = self._queued, [], 0
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(
        self, batch: list[tuple[Sequence[tuple[str, str]], asyncio.Future[list[Classification]]]]
    ) -> None:
        try:
            results = await self.classify([doc for docs, _ in batch for doc in docs])
        except BaseException as exc:  # a bug or a cancellation: every waiting poll sees it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        start = 0
        for docs, future in batch:
            if not future.done():
                future.set_result(results[start : start + len(docs)])
            start += len(docs)


def disabled_notices(
    feed: Feed, channels: Sequence[Channel], error: str, failures: int, now: datetime
) -> list[PendingDelivery]:
    """One notice per subscribed channel that a feed was disabled, keyed so it is sent once."""
    text = (
        f"Feed #{feed.id} “{feed.name}” was disabled after {failures} failed polls "
        f"(last error: {error}). Fix it and re-add it with `/watch feed add {feed.url}`."
    )
    return feed_notices(feed, channels, "disabled", now, text)
