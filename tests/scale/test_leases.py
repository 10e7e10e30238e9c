"""Leases on feeds, claims on deliveries, one digest per slot: on SQLite and on PostgreSQL.

Two SqlStore objects on one database stand for two replicas; the concurrent tests run them in
threads, so on PostgreSQL `FOR UPDATE SKIP LOCKED` is what keeps their answers apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TypeVar

import pytest

from bot.core.digest import DigestService
from bot.core.models import Channel, PendingDelivery
from bot.store.leases import ClaimedOutbox
from bot.store.sql import SqlStore
from tests.fakes import FakeClock
from tests.store.store_builders import T0, add_feed, alert, at, candidate, outcome, poll

T = TypeVar("T")


@pytest.fixture
def other(db_url: str, store: SqlStore) -> Iterator[SqlStore]:
    """A second replica's store on the same database (`store` migrated it first)."""
    s = SqlStore(db_url, migrate=False)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def pg_pair(pg_url: str) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two replicas' stores on one PostgreSQL schema (SQLite has a single writing process)."""
    first = SqlStore(pg_url)
    second = SqlStore(pg_url, migrate=False)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def together(*jobs: Callable[[], T]) -> list[T]:
    """Run the jobs in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[T | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def test_leases_split_due_feeds_and_lapse(store: SqlStore, other: SqlStore) -> None:
    feeds = [add_feed(store, f"f{i}") for i in range(10)]
    mine = store.lease_due_feeds("a", T0, 60, limit=4)
    theirs = other.lease_due_feeds("b", T0, 60, limit=100)
    assert [f.id for f in mine] == feeds[:4]  # most overdue first, then by id
    assert [f.id for f in theirs] == feeds[4:]
    assert other.lease_due_feeds("b", T0, 60) == []  # its own are in flight: not twice
    assert store.lease_due_feeds("c", at(0.5), 60) == []
    # "a" died: a minute later its leases are anyone's.
    assert [f.id for f in other.lease_due_feeds("b", at(1), 60)] == feeds


def test_recording_a_poll_releases_its_lease(store: SqlStore, other: SqlStore) -> None:
    a, b = add_feed(store, "a"), add_feed(store, "b")
    store.lease_due_feeds("r1", T0, 600)
    store.record_outcome(outcome(a, T0, next_poll_at=at(1)))
    store.record_outcomes([outcome(b, T0, next_poll_at=at(2))])
    # Not due before its time, whoever asks; then free for any replica at once.
    assert other.lease_due_feeds("r2", at(0.5), 600) == []
    assert [f.id for f in other.lease_due_feeds("r2", at(1), 600)] == [a]
    assert [f.id for f in other.lease_due_feeds("r2", at(2), 600)] == [b]  # a: r2 holds it


def test_concurrent_leases_never_overlap(pg_pair: tuple[SqlStore, SqlStore]) -> None:
    store, other = pg_pair
    feeds = {add_feed(store, f"f{i}") for i in range(120)}

    def drain(s: SqlStore, owner: str) -> list[int]:
        got: list[int] = []
        while batch := s.lease_due_feeds(owner, T0, 600, limit=7):
            got += [f.id for f in batch]
            s.record_outcomes([outcome(f.id, T0, next_poll_at=at(60)) for f in batch])
        return got

    first, second = together(lambda: drain(store, "a"), lambda: drain(other, "b"))
    assert set(first).isdisjoint(second)
    assert set(first) | set(second) == feeds


def test_claims_split_deliveries_and_lapse(store: SqlStore, other: SqlStore) -> None:
    ids = store.record_deliveries(
        [PendingDelivery("slack:C1", "notice", f"n{i}", payload={"text": "x"}) for i in range(6)],
        T0,
    )
    mine = store.claim_deliveries("a", T0, 60, limit=4)
    theirs = other.claim_deliveries("b", T0, 60)
    assert [d.id for d in mine] == ids[:4] and [d.id for d in theirs] == ids[4:]
    store.mark_sent(ids[0], T0)
    assert store.claim_deliveries("a", at(0.5), 60) == []  # in flight: not twice, even to "a"
    # "a" died: after the claim's minute, "b" sends what "a" never did; a sent one never again.
    assert [d.id for d in other.claim_deliveries("b", at(2), 60)] == ids[1:]


def test_a_retry_gives_back_the_channels_other_claims(store: SqlStore, other: SqlStore) -> None:
    outbox = ClaimedOutbox(store, "a", 600)
    notices = [PendingDelivery(f"slack:C{i % 2}", "notice", f"n{i}") for i in range(4)]
    ids = store.record_deliveries(notices, T0)
    assert [d.id for d in outbox.due_deliveries(T0)] == ids
    outbox.mark_retry(ids[0], "HTTP 500", at(1))  # C0 stops for the round: n2 is free again
    assert [d.id for d in other.claim_deliveries("b", T0, 600)] == [ids[2]]
    assert [d.id for d in other.claim_deliveries("b", at(2), 600)] == [ids[0]]


def test_concurrent_claims_never_overlap(pg_pair: tuple[SqlStore, SqlStore]) -> None:
    store, other = pg_pair
    keys = [PendingDelivery("slack:C1", "notice", f"n{i}") for i in range(150)]
    ids = store.record_deliveries(keys, T0)

    def drain(s: SqlStore, owner: str) -> list[int]:
        got: list[int] = []
        while batch := s.claim_deliveries(owner, T0, 600, limit=9):
            for d in batch:
                s.mark_sent(d.id, T0)
            got += [d.id for d in batch]
        return got

    first, second = together(lambda: drain(store, "a"), lambda: drain(other, "b"))
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == sorted(ids)


def test_one_digest_per_channel_and_slot_across_replicas(
    pg_pair: tuple[SqlStore, SqlStore],
) -> None:
    """Every replica's cron fires the slot; the dedupe key lets one digest through."""
    store, other = pg_pair
    ref = "console:desk"
    store.sync_channels([Channel(ref, "desk", digest_cron="0 8 * * *")])
    feed = add_feed(store)
    poll(store, feed, [], polled_at=T0)
    poll(store, feed, [candidate("g1"), candidate("g2")], polled_at=at(1), deliveries=[alert()])
    clock = FakeClock(T0 + timedelta(hours=1))
    slot = clock.now().replace(second=0, microsecond=0)
    recorded = together(
        *(
            (lambda s=s: DigestService(s, clock).record(ref, slot))  # type: ignore[misc]
            for s in (store, other, store, other)
        )
    )
    assert len([r for r in recorded if r is not None]) == 1
    digests = [d for d in store.claim_deliveries("x", clock.now(), 60) if d.kind == "digest"]
    assert [d.dedupe_key for d in digests] == [f"digest:{ref}:{slot:%Y-%m-%dT%H:%M}"]
    # The next slot is a new digest, with only what came since.
    later = clock.advance(hours=24).replace(second=0, microsecond=0)
    assert DigestService(other, clock).record(ref, later) is None  # nothing new since
