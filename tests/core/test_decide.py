from datetime import UTC, datetime, timedelta

from bot.core.decide import (
    PollPolicy,
    backoff_after_failure,
    next_poll_after_success,
    plan_entries,
    unique_in_document,
)
from bot.core.models import Candidate, StoredRef

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def cand(guid: str, url: str = "", title: str = "t", h: str | None = None) -> Candidate:
    return Candidate(
        guid=guid,
        url=url,
        title=title,
        summary="",
        published_at=NOW,
        published_known=True,
        content_hash=h or guid,
        source="s",
    )


def ref(c: Candidate, item_id: int = 1, feed_id: int = 1, **kw: object) -> StoredRef:
    data = {
        "id": item_id,
        "guid": c.guid,
        "url": c.url,
        "title": c.title,
        "summary": c.summary,
        "published_at": c.published_at,
        "content_hash": c.content_hash,
        "feed_id": feed_id,
    }
    data.update(kw)
    return StoredRef(**data)  # type: ignore[arg-type]


def test_repeats_inside_one_document_are_dropped() -> None:
    kept, dropped = unique_in_document(
        [cand("a"), cand("a"), cand("b", url="https://x/1"), cand("c", url="http://x/1")]
    )
    assert [c.guid for c in kept] == ["a", "b"] and dropped == 2


def test_plan_new_edited_unchanged_and_other_feed() -> None:
    a, b, c, d = cand("a"), cand("b", title="new title"), cand("c"), cand("d")
    plan = plan_entries(
        1, [a, b, c, d], [None, ref(b, 2, title="old"), ref(c, 3), ref(d, 4, feed_id=9)]
    )
    assert plan.new == [a]
    assert plan.updates == [(2, b)]
    assert plan.unchanged == 2


def test_backoff_grows_and_honours_retry_after() -> None:
    policy = PollPolicy(jitter_fraction=0.0, max_backoff_s=3600)
    waits = [backoff_after_failure(1, 300, n, NOW, policy) - NOW for n in (1, 2, 3, 10)]
    assert waits == [
        timedelta(seconds=300),
        timedelta(seconds=600),
        timedelta(seconds=1200),
        timedelta(seconds=3600),
    ]
    later = backoff_after_failure(1, 300, 1, NOW, policy, retry_after_s=7200)
    assert later - NOW == timedelta(seconds=7200)


def test_success_keeps_the_cadence_from_when_the_poll_was_due() -> None:
    policy = PollPolicy(jitter_fraction=0.1, min_interval_s=1)
    due = NOW - timedelta(seconds=0.4)  # the tick came late and the fetch took a while
    assert next_poll_after_success(7, 60, NOW, policy, due=due) == due + timedelta(seconds=60)
    # A first poll, or one more than an interval late, sets the phase: now + interval + jitter.
    first = next_poll_after_success(7, 60, NOW, policy)
    assert timedelta(seconds=60) <= first - NOW <= timedelta(seconds=66)
    late = NOW - timedelta(seconds=40)  # more than half an interval behind
    assert next_poll_after_success(7, 60, NOW, policy, due=late) == first


def test_success_respects_max_age_and_min_interval() -> None:
    policy = PollPolicy(jitter_fraction=0.0, min_interval_s=60)
    assert next_poll_after_success(1, 10, NOW, policy) - NOW == timedelta(seconds=60)
    assert next_poll_after_success(1, 300, NOW, policy, max_age_s=900) - NOW == timedelta(
        seconds=900
    )
