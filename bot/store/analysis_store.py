"""The AnalysisStore port on SQLAlchemy Core: story fingerprints and membership, statements and
the per-topic daily counts of charts. Mixed into SqlStore; same transactions and errors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.models import Delivery
from bot.core.ports import ItemAnalysis, StanceKind, Statement, StoryDoc, StoryMember
from bot.store import rows
from bot.store.base import SqlBase
from bot.store.dml import rows_where_in
from bot.store.schema import classifications, deliveries, items, stances, story_fingerprints

if TYPE_CHECKING:
    from bot.core.ports import AnalysisStore


def _insert_ignore_many(
    conn: Connection, table: Table, values: Sequence[dict[str, Any]], conflict: Sequence[str]
) -> None:
    """Insert rows, skipping those whose unique key `conflict` exists (both dialects)."""
    if not values:
        return
    insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=list(conflict)), list(values))


class AnalysisStoreMixin(SqlBase):
    """Story, statement and chart queries of SqlStore."""

    def story_docs(
        self, start: datetime, end: datetime, limit: int | None = 5000
    ) -> list[StoryDoc]:
        """Fingerprinted items published in [start, end], newest first, at most `limit`."""
        stmt = (
            _story_docs()
            .where(items.c.published_at >= start, items.c.published_at <= end)
            .order_by(items.c.published_at.desc(), items.c.id.desc())
            .limit(limit)
        )
        with self._read("listing story fingerprints") as conn:
            return [_story_doc(r) for r in conn.execute(stmt).mappings()]

    def story_docs_after(self, item_id: int, also: Sequence[int] = ()) -> list[StoryDoc]:
        """Fingerprinted items of id above `item_id`, or among `also`, by id: what the story
        index has not read yet (stored since, by this replica or another)."""
        stmt = _story_docs().where(items.c.id > item_id).order_by(items.c.id)
        with self._read("reading new story fingerprints") as conn:
            found = [_story_doc(r) for r in conn.execute(stmt).mappings()]
            if also:
                found += map(_story_doc, rows_where_in(conn, _story_docs(), items.c.id, list(also)))
        return found

    def last_story_doc_id(self) -> int:
        """The highest id of a fingerprinted item (0 when there is none)."""
        with self._read("reading the last story fingerprint") as conn:
            return int(conn.execute(select(func.max(story_fingerprints.c.item_id))).scalar() or 0)

    def record_analysis(self, feed_id: int, records: Sequence[ItemAnalysis], now: datetime) -> None:
        """Write fingerprints, stories and statements of a poll's new items, in one transaction.

        Items are found by feed and guid; the story of an item is kept once set, and a record
        for an item that is not stored (its insert was skipped) is ignored.
        """
        with self._write(f"recording the analysis of feed {feed_id}") as conn:
            found = rows_where_in(
                conn,
                select(items.c.id, items.c.guid).where(items.c.feed_id == feed_id),
                items.c.guid,
                [r.guid for r in records],
            )
            ids: dict[str, int] = {row["guid"]: row["id"] for row in found}
            fingerprints: list[dict[str, Any]] = []
            stories: list[dict[str, Any]] = []
            statements: list[dict[str, Any]] = []
            for record in records:
                item_id = ids.get(record.guid)
                if item_id is None:
                    continue
                fingerprints.append(
                    {"item_id": item_id, "fingerprint": record.fingerprint, "created_at": now}
                )
                story = record.story_id or ids.get(record.story_lead or record.guid, item_id)
                stories.append({"b_id": item_id, "b_story": story})
                statements.extend(
                    _statement_values(s, item_id, record.extractor_version, now)
                    for s in record.statements
                )
            if stories:  # one executemany for the poll, not a statement per item
                conn.execute(
                    update(items)
                    .where(items.c.id == bindparam("b_id"), items.c.story_id.is_(None))
                    .values(story_id=bindparam("b_story")),
                    stories,
                )
            _insert_ignore_many(conn, story_fingerprints, fingerprints, ("item_id",))
            _insert_ignore_many(
                conn, stances, statements, ("item_id", "speaker", "topic", "stance")
            )

    def story_of(self, item_ids: Sequence[int]) -> dict[int, int]:
        """The story of each of `item_ids` that has one."""
        with self._read("reading stories of items") as conn:
            found = rows_where_in(
                conn, select(items.c.id, items.c.story_id), items.c.id, list(item_ids)
            )
        return {r["id"]: r["story_id"] for r in found if r["story_id"] is not None}

    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[StoryMember]]:
        """The items of each story, first published first."""
        stmt = select(items.c.id, items.c.story_id, items.c.source, items.c.published_at)
        with self._read("reading story members") as conn:
            found = rows_where_in(conn, stmt, items.c.story_id, list(story_ids))
        members: dict[int, list[StoryMember]] = defaultdict(list)
        for r in sorted(found, key=lambda r: (r["published_at"], r["id"])):
            members[r["story_id"]].append(
                StoryMember(r["id"], r["story_id"], r["source"], r["published_at"])
            )
        return dict(members)

    def story_alerts(self, story_ids: Sequence[int]) -> dict[int, list[Delivery]]:
        """The alert deliveries (any status) of each story's items, oldest first."""
        stmt = (
            select(items.c.story_id, deliveries)
            .join(items, items.c.id == deliveries.c.item_id)
            .where(deliveries.c.kind == "alert")
        )
        with self._read("reading the alerts of stories") as conn:
            found = rows_where_in(conn, stmt, items.c.story_id, list(story_ids))
        alerts: dict[int, list[Delivery]] = defaultdict(list)
        for r in sorted(found, key=lambda r: r["id"]):
            alerts[r["story_id"]].append(rows.delivery_from_row(r))
        return dict(alerts)

    def statements(
        self,
        *,
        speakers: Sequence[str] | None = None,
        countries: Sequence[str] | None = None,
        topic: str | None = None,
        seen_after: datetime | None = None,
        seen_until: datetime | None = None,
        limit: int = 500,
    ) -> list[Statement]:
        """Stored statements, oldest first: by speaker (or the leader a spokesperson spoke for)
        or country, topic, and when their item was first seen (after, until]."""
        stmt = select(stances).join(items, items.c.id == stances.c.item_id)
        who = []
        if speakers:
            who += [stances.c.speaker.in_(list(speakers)), stances.c.on_behalf_of.in_(speakers)]
        if countries:
            who.append(stances.c.country.in_(list(countries)))
        if speakers is not None or countries is not None:
            stmt = stmt.where(_any(who))
        if topic is not None:
            stmt = stmt.where(stances.c.topic == topic)
        if seen_after is not None:
            stmt = stmt.where(items.c.first_seen_at > seen_after)
        if seen_until is not None:
            stmt = stmt.where(items.c.first_seen_at <= seen_until)
        # The newest `limit`, returned oldest first: a timeline reads forward.
        stmt = stmt.order_by(stances.c.said_at.desc(), stances.c.id.desc()).limit(limit)
        with self._read("listing statements") as conn:
            found = list(conn.execute(stmt).mappings())
        return [_statement_from_row(r) for r in reversed(found)]

    def daily_topic_counts(self, start: datetime, end: datetime) -> dict[str, dict[date, int]]:
        """Per topic, how many items positive for it were published on each day of [start, end]."""
        stmt = (
            select(items.c.published_at, classifications.c.topic)
            .join(classifications, classifications.c.item_id == items.c.id)
            .where(
                classifications.c.positive == true(),
                items.c.published_at >= start,
                items.c.published_at <= end,
            )
        )
        counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        with self._read("counting items per day") as conn:
            for published_at, topic in conn.execute(stmt):
                counts[topic][published_at.date()] += 1
        return {t: dict(days) for t, days in counts.items()}


def _story_docs() -> Any:
    """Items joined with their fingerprints: what a StoryDoc is read from."""
    return select(
        items.c.id, items.c.story_id, items.c.published_at, story_fingerprints.c.fingerprint
    ).join(story_fingerprints, story_fingerprints.c.item_id == items.c.id)


def _story_doc(r: RowMapping) -> StoryDoc:
    return StoryDoc(r["published_at"], r["fingerprint"], r["id"], r["story_id"])


def _any(conditions: list[Any]) -> Any:
    return or_(*conditions) if conditions else false()


def _statement_values(s: Statement, item_id: int, version: str, now: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "speaker": s.speaker,
        "country": s.country,
        "on_behalf_of": s.on_behalf_of,
        "via": s.via,
        "stance": s.stance,
        "topic": s.topic,
        "sentence": s.sentence,
        "said_at": s.said_at,
        "extractor_version": version,
        "created_at": now,
    }


def _statement_from_row(r: Any) -> Statement:
    return Statement(
        speaker=r["speaker"],
        stance=cast(StanceKind, r["stance"]),
        topic=r["topic"],
        sentence=r["sentence"],
        said_at=r["said_at"],
        item_id=r["item_id"],
        country=r["country"],
        on_behalf_of=r["on_behalf_of"],
        via=r["via"],
    )


if TYPE_CHECKING:

    def _conforms(store: AnalysisStoreMixin) -> AnalysisStore:
        return store
