"""Pure decisions of the update pipeline: which entries are new or edited, and when to poll next."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import Candidate, StoredRef
from bot.core.normalise import url_key


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How polling reacts to servers and failures."""

    min_interval_s: int = 60
    max_backoff_s: int = 6 * 3600
    disable_after: int = 20  # consecutive failures before a feed is disabled and announced
    jitter_fraction: float = 0.1
    max_entries: int = 1000  # newest entries kept from one document; the rest are ignored


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """What to do with a document's candidates: store these, update those, ignore the rest."""

    new: list[Candidate]
    updates: list[tuple[int, Candidate]]
    unchanged: int


def unique_in_document(candidates: Sequence[Candidate]) -> tuple[list[Candidate], int]:
    """Drop repeats inside one document (same guid, URL or content); the first occurrence wins."""
    seen: set[str] = set()
    kept: list[Candidate] = []
    for cand in candidates:
        keys = {"g:" + cand.guid, "h:" + cand.content_hash}
        if cand.url:
            keys.add("u:" + url_key(cand.url))
        if keys & seen:
            continue
        seen |= keys
        kept.append(cand)
    return kept, len(candidates) - len(kept)


def newest(candidates: Sequence[Candidate], limit: int) -> list[Candidate]:
    """At most `limit` candidates, newest first when the document is too long."""
    if len(candidates) <= limit:
        return list(candidates)
    return sorted(candidates, key=lambda c: c.published_at, reverse=True)[:limit]


def _edited(old: StoredRef, new: Candidate) -> bool:
    return (
        old.title != new.title
        or old.summary != new.summary
        or (new.url != "" and old.url != new.url)
        or (old.content_hash != new.content_hash)
        or (new.published_known and old.published_at != new.published_at)
    )


def plan_entries(
    feed_id: int, candidates: Sequence[Candidate], matches: Sequence[StoredRef | None]
) -> EntryPlan:
    """Compare a document's candidates with their stored matches.

    A candidate that matches nothing is new. One that matches an item of this feed and differs is an
    upstream edit (new date, tracking parameters, http→https): update in place, never alert again.
    A match from another feed is the same story syndicated elsewhere: nothing to do.
    """
    new: list[Candidate] = []
    updates: list[tuple[int, Candidate]] = []
    unchanged = 0
    for cand, match in zip(candidates, matches, strict=True):
        if match is None:
            new.append(cand)
        elif match.feed_id == feed_id and _edited(match, cand):
            updates.append((match.id, cand))
        else:
            unchanged += 1
    return EntryPlan(new=new, updates=updates, unchanged=unchanged)


def _jitter(feed_id: int, seconds: float, fraction: float) -> float:
    """Deterministic per-feed jitter so feeds added together do not poll in lockstep."""
    digest = hashlib.sha1(str(feed_id).encode()).digest()
    unit = digest[0] / 255.0  # 0..1
    return seconds * fraction * unit


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)


def cache_max_age(cache_control: str | None) -> int | None:
    """Seconds from a Cache-Control max-age directive, if any."""
    if not cache_control:
        return None
    m = _MAX_AGE.search(cache_control)
    return int(m.group(1)) if m else None


def next_poll_after_success(
    feed_id: int,
    interval_s: int,
    now: datetime,
    policy: PollPolicy,
    *,
    max_age_s: int | None = None,
    due: datetime | None = None,
) -> datetime:
    """Next poll: the feed's interval (at least the server's max-age, capped at a day) after
    `due`, when this poll was due, so the feed keeps its cadence however long the fetch and
    the wait for a tick took — but never sooner than half an interval from `now`, so a late
    poll is not followed by a hurried one. Without `due` (a first poll), or when the feed fell
    that far behind, it counts from `now` plus the feed's own jitter, which sets its phase so
    that feeds added together do not poll in lockstep."""
    wait = max(interval_s, policy.min_interval_s)
    if max_age_s is not None:
        wait = max(wait, min(max_age_s, 24 * 3600))
    if due is not None and due + timedelta(seconds=wait) >= now + timedelta(seconds=wait / 2):
        return due + timedelta(seconds=wait)
    return now + timedelta(seconds=wait + _jitter(feed_id, wait, policy.jitter_fraction))


def backoff_after_failure(
    feed_id: int,
    interval_s: int,
    failures: int,
    now: datetime,
    policy: PollPolicy,
    *,
    retry_after_s: float | None = None,
) -> datetime:
    """Exponential backoff from the poll interval, capped; never sooner than the server's Retry-After."""
    base = max(interval_s, policy.min_interval_s)
    wait = min(base * (2 ** max(0, failures - 1)), max(policy.max_backoff_s, base))
    if retry_after_s is not None:
        wait = max(wait, min(retry_after_s, 24 * 3600))
    return now + timedelta(seconds=wait + _jitter(feed_id, wait, policy.jitter_fraction))
