"""Channels and the delivery outbox: idempotent recording, digests, retries, failures."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import get_args

import pytest

from bot.core.errors import StorageError
from bot.core.filters import FilterRule, parse_rule
from bot.core.models import Channel, DeliveryKind, DeliveryStatus, PendingDelivery
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, at


def pending(key: str, channel: str = "slack:C1", items: tuple[int, ...] = ()) -> PendingDelivery:
    return PendingDelivery(channel, "alert", key, items, {"text": key})


def test_record_deliveries_is_idempotent_by_dedupe_key(store: SqlStore) -> None:
    first = store.record_deliveries([pending("a"), pending("b"), pending("a")], T0)
    again = store.record_deliveries([pending("a"), pending("c")], at(1))

    assert len(first) == 2 and len(again) == 1
    due = store.due_deliveries(at(1))
    assert [d.dedupe_key for d in due] == ["a", "b", "c"]
    assert [d.id for d in due] == [*first, *again]
    assert due[0].payload == {"text": "a"} and due[0].created_at == T0
    assert (due[0].status, due[0].attempts, due[0].next_attempt_at) == ("pending", 0, None)


def test_record_digest_moves_last_digest_at_once(store: SqlStore) -> None:
    store.save_channel(Channel("slack:C1", "news"))
    digest = PendingDelivery("slack:C1", "digest", "digest:slack:C1:2024-06-01", (1, 2))

    first = store.record_digest(digest, "slack:C1", at(60), at(61))
    again = store.record_digest(digest, "slack:C1", at(120), at(121))

    assert first is not None and again is None
    channel = store.get_channel("slack:C1")
    assert channel is not None and channel.last_digest_at == at(60)
    [delivery] = store.due_deliveries(at(200))
    assert (delivery.kind, delivery.item_ids, delivery.created_at) == ("digest", [1, 2], at(61))


def test_record_digest_for_an_unknown_channel_records_nothing(store: SqlStore) -> None:
    digest = PendingDelivery("slack:NOPE", "digest", "digest:nope")
    with pytest.raises(StorageError, match="slack:NOPE"):
        store.record_digest(digest, "slack:NOPE", at(60), at(61))
    assert store.due_deliveries(at(100)) == []


def test_retry_sent_failed_and_folded(store: SqlStore) -> None:
    a, b, c, d = store.record_deliveries([pending(k) for k in "abcd"], T0)

    store.mark_retry(a, "HTTP 502", at(10))
    assert [x.id for x in store.due_deliveries(at(5))] == [b, c, d]
    [retried, *_] = store.due_deliveries(at(10))
    assert (retried.id, retried.attempts, retried.error) == (a, 1, "HTTP 502")
    assert retried.next_attempt_at == at(10)

    store.mark_sent(a, at(11), external_id="1718.0001")
    store.mark_failed(b, "channel_not_found", at(12))
    store.mark_failed(c, "token revoked", at(13))
    store.mark_folded(d, at(14))

    assert store.due_deliveries(at(100)) == []
    failed = store.failed_deliveries()
    assert [(x.id, x.error, x.attempts) for x in failed] == [
        (c, "token revoked", 1),
        (b, "channel_not_found", 1),
    ]
    assert [x.id for x in store.failed_deliveries(limit=1)] == [c]
    stats = store.stats()
    assert (stats.pending_deliveries, stats.failed_deliveries) == (0, 2)


def test_mark_sent_records_the_platform_id(store: SqlStore) -> None:
    [a] = store.record_deliveries([pending("a", items=(7,))], T0)
    store.mark_retry(a, "timeout", at(1))
    store.mark_sent(a, at(2), external_id="msg-1")
    [sent] = store.deliveries_for_item(7)
    assert (sent.status, sent.sent_at, sent.external_id, sent.attempts, sent.error) == (
        "sent",
        at(2),
        "msg-1",
        2,
        None,
    )


@pytest.mark.parametrize("kind", get_args(DeliveryKind))
def test_every_delivery_kind_and_status_can_be_stored(store: SqlStore, kind: DeliveryKind) -> None:
    ids = store.record_deliveries(
        [PendingDelivery("slack:C1", kind, f"{kind}:{n}") for n in range(4)], T0
    )
    store.mark_sent(ids[1], T0)
    store.mark_failed(ids[2], "x", T0)
    store.mark_folded(ids[3], T0)
    assert [d.kind for d in store.due_deliveries(T0)] == [kind]
    assert set(get_args(DeliveryStatus)) == {"pending", "sent", "failed", "folded"}


def test_marking_an_unknown_delivery_raises(store: SqlStore) -> None:
    with pytest.raises(StorageError, match="no delivery with id 404"):
        store.mark_sent(404, T0)


def test_deliveries_for_item_matches_whole_ids_only(store: SqlStore) -> None:
    ids = store.record_deliveries(
        [
            pending("one", items=(1,)),
            pending("eleven", items=(11,)),
            pending("digest", items=(2, 1, 3)),
            pending("digest-end", items=(21, 31, 1)),
            pending("other", items=(21, 12, 10)),
        ],
        T0,
    )
    assert [d.dedupe_key for d in store.deliveries_for_item(1)] == ["one", "digest", "digest-end"]
    assert [d.id for d in store.deliveries_for_item(12)] == [ids[4]]
    assert store.deliveries_for_item(4) == []


def test_deliveries_for_item_finds_alerts_followups_and_digests_by_whole_id(
    store: SqlStore,
) -> None:
    """Alerts and follow-ups are found by their one item, digests by any item they list; an id
    that is a prefix, suffix or substring of another (1, 12, 121, 112, 211) is never confused."""
    recorded: list[tuple[str, DeliveryKind, tuple[int, ...]]] = [
        ("alert-1", "alert", (1,)),
        ("alert-12", "alert", (12,)),
        ("alert-121", "alert", (121,)),
        ("followup-1", "followup", (1,)),
        ("followup-112", "followup", (112,)),
        ("alert-21", "alert", (21,)),
        ("digest-12-1-3", "digest", (12, 1, 3)),
        ("digest-21-121-211", "digest", (21, 121, 211)),
        ("digest-2-11-1", "digest", (2, 11, 1)),
        ("digest-1", "digest", (1,)),
        ("digest-11-13", "digest", (11, 13)),
        ("notice", "notice", ()),
    ]
    store.record_deliveries(
        [PendingDelivery("discord:9", kind, key, items) for key, kind, items in recorded], T0
    )

    def found(item_id: int) -> list[str]:
        got = store.deliveries_for_item(item_id)
        assert [d.id for d in got] == sorted(d.id for d in got)  # oldest first
        return [d.dedupe_key for d in got]

    assert found(1) == ["alert-1", "followup-1", "digest-12-1-3", "digest-2-11-1", "digest-1"]
    assert found(12) == ["alert-12", "digest-12-1-3"]
    assert found(121) == ["alert-121", "digest-21-121-211"]
    assert found(21) == ["alert-21", "digest-21-121-211"]
    assert found(11) == ["digest-2-11-1", "digest-11-13"]
    assert found(112) == ["followup-112"]
    assert found(211) == ["digest-21-121-211"]
    assert found(2) == ["digest-2-11-1"]
    assert found(13) == ["digest-11-13"]
    assert found(3) == ["digest-12-1-3"]
    for absent in (0, 4, 111, 1211, 2111, 1121):
        assert found(absent) == []
    # Alerts and follow-ups alone, from the index: the same, less the digests.
    for item_id in (1, 2, 11, 12, 21, 112, 121, 211, 4):
        alone = [d.dedupe_key for d in store.alerts_for_item(item_id)]
        assert alone == [k for k in found(item_id) if not k.startswith("digest")], item_id


def test_sync_channels_config_wins_but_keeps_last_digest_at(store: SqlStore) -> None:
    store.sync_channels([Channel("slack:C1", "news", threshold=0.8), Channel("console:main", "c")])
    store.save_channel(
        Channel("slack:C1", "news", threshold=0.5, subscribed=False, last_digest_at=at(30))
    )
    store.save_channel(Channel("discord:9", "added by command", topics=("troops",)))

    store.sync_channels(
        [Channel("slack:C1", "renamed", threshold=0.9, digest_cron=None, timezone="Europe/Kyiv")]
    )

    channels = {c.ref: c for c in store.list_channels()}
    assert sorted(channels) == ["console:main", "discord:9", "slack:C1"]
    c1 = channels["slack:C1"]
    assert (c1.name, c1.threshold, c1.digest_cron, c1.timezone) == (
        "renamed",
        0.9,
        None,
        "Europe/Kyiv",
    )
    assert c1.subscribed and c1.last_digest_at == at(30)
    assert channels["discord:9"].topics == ("troops",)
    assert store.get_channel("slack:NOPE") is None


def test_sync_channels_keeps_chat_changes_while_the_config_entry_is_unchanged(
    store: SqlStore,
) -> None:
    configured = Channel("slack:C1", "news", threshold=0.8, digest_cron="0 8 * * *")
    store.sync_channels([configured])
    # `/watch alerts off`, then `/watch unsubscribe`, then a restart with the same file.
    store.save_channel(dataclasses.replace(configured, alerts=False, subscribed=False))
    store.sync_channels([configured])
    kept = store.get_channel("slack:C1")
    assert kept is not None and (kept.alerts, kept.subscribed) == (False, False)
    # The admin edits the channel's entry in the file: the file wins again.
    store.sync_channels([dataclasses.replace(configured, threshold=0.7)])
    edited = store.get_channel("slack:C1")
    assert edited is not None
    assert (edited.alerts, edited.subscribed, edited.threshold) == (True, True, 0.7)


def test_save_channel_round_trips_every_field(store: SqlStore) -> None:
    channel = Channel(
        ref="discord:987654",
        name="alerts",
        topics=("troops",),
        digest_cron="30 7 * * 1-5",
        timezone="Europe/Kyiv",
        alerts=False,
        threshold=0.65,
        last_digest_at=at(5),
        subscribed=False,
        webhook_env="DISCORD_WEBHOOK_ALERTS",
        filters=(
            parse_rule(r'exclude /\bop-ed\b|"opinion"/ in:title tag:"Eastern Europe"'),
            parse_rule("include Żołnierze ВІЙСЬКА feed:https://kyiv.example/rss"),
        ),
        digest_max_stories=7,
    )
    store.save_channel(channel)
    assert store.get_channel("discord:987654") == channel
    assert channel.platform == "discord"


def test_concurrent_writers_record_each_key_once(store: SqlStore) -> None:
    """Threads sharing the store (as asyncio.to_thread would) neither lock up nor duplicate."""
    keys = [f"k{n}" for n in range(40)]

    def record(offset: int) -> list[int]:
        mine = keys[offset:] + keys[:offset]  # every thread records every key, in its own order
        return [i for k in mine for i in store.record_deliveries([pending(k)], T0)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        inserted = [i for ids in pool.map(record, (0, 10, 20, 30)) for i in ids]

    assert len(inserted) == len(set(inserted)) == 40
    assert sorted(d.dedupe_key for d in store.due_deliveries(T0, limit=100)) == sorted(keys)


def test_filters_and_digest_cap_sync_from_config_and_keep_chat_changes(store: SqlStore) -> None:
    configured = Channel("slack:C1", "news", filters=(FilterRule("exclude", "sport"),))
    store.sync_channels([configured])
    # `/watch filter add ...` and `/watch digest-cap 5`, then a restart with the same file.
    chat = dataclasses.replace(
        configured,
        filters=(*configured.filters, FilterRule("include", "troops?", regex=True)),
        digest_max_stories=5,
    )
    store.save_channel(chat)
    store.sync_channels([configured])
    assert store.get_channel("slack:C1") == chat
    # The file's filters change: the file wins, the cap goes back to the file's (the default).
    edited = dataclasses.replace(configured, filters=(FilterRule("exclude", "podcast"),))
    store.sync_channels([edited])
    assert store.get_channel("slack:C1") == edited


def test_a_channel_without_filters_keeps_the_fingerprint_it_had_before_them() -> None:
    """Upgrading must not make every unchanged config entry look edited (it would overwrite
    what chat commands set): the new fields count only once they are set."""
    from bot.store.deliveries import config_hash

    plain = Channel("slack:C1", "news", threshold=0.8)
    assert (
        config_hash(plain)
        == (
            "64bc8b6657806d7a857e2146356befdbad62bcc57ea043e119fc80902966deba"  # as computed before 0011
        )
    )
    assert config_hash(dataclasses.replace(plain, digest_max_stories=3)) != config_hash(plain)
