"""Table definitions (SQLAlchemy Core). The Alembic migrations create them; this is what code uses.

`tests/store/test_store_migrations.py` compares this metadata with a migrated database, so a change
here without a migration (or the reverse) fails the suite.
"""

from __future__ import annotations

from typing import Any, get_args

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from bot.core.models import DeliveryKind, DeliveryStatus, FeedKind
from bot.core.ports import StanceKind
from bot.store.types import JsonText, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _one_of(column: str, literal: Any) -> str:
    """A CHECK expression limiting `column` to the values of a Literal type."""
    values = ", ".join(f"'{v}'" for v in get_args(literal))
    return f"{column} IN ({values})"


feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False, server_default="rss"),
    Column("poll_interval_s", Integer, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_error", Text),
    Column("last_note", Text),  # what the last successful read recovered from or left out
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_poll_at", UtcDateTime, index=True),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("primed", Boolean, nullable=False, server_default=false()),
    Column("added_by", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("fulltext", Boolean, nullable=False, server_default=false()),
    Column("tags", Text, nullable=False, server_default="[]"),  # JSON list of strings
    # Silence (bot.core.silence): when the feed last brought a new item; when its silence was
    # announced (NULL: not silent, or not announced yet).
    Column("last_new_at", UtcDateTime),
    Column("silent_since", UtcDateTime),
    # Leases let several replicas share the polling (bot.store.leases).
    Column("lease_owner", Text),
    Column("lease_expires_at", UtcDateTime),
    CheckConstraint(_one_of("kind", FeedKind), name="kind"),
    CheckConstraint("poll_interval_s > 0", name="poll_interval_positive"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    # Items outlive their feed: removing a feed sets this to NULL instead of deleting its history.
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=False, index=True),
    Column("published_known", Boolean, nullable=False, server_default=true()),
    Column("first_seen_at", UtcDateTime, nullable=False, index=True),
    Column("updated_at", UtcDateTime),
    Column("source", Text, nullable=False),
    Column("content_hash", Text, nullable=False, index=True),
    Column("silent", Boolean, nullable=False, server_default=false()),
    Column("duplicate_of", Integer),
    Column("story_id", Integer, index=True),  # the story's first item (bot.core.analysis)
    UniqueConstraint("feed_id", "guid"),
    # Never reuse an id: delivery dedupe keys embed item ids.
    sqlite_autoincrement=True,
)

classifications = Table(
    "classifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("positive", Boolean, nullable=False),
    Column("reasons", JsonText, nullable=False),
    Column("model_version", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id", "topic"),
    Index("ix_classifications_topic_positive", "topic", "positive"),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("topics", JsonText, nullable=False),
    Column("digest_cron", Text),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    Column("alerts", Boolean, nullable=False, server_default=true()),
    Column("threshold", Float, nullable=False),
    Column("last_digest_at", UtcDateTime),
    Column("subscribed", Boolean, nullable=False, server_default=true()),
    Column("webhook_env", Text),
    Column("filters", JsonText, nullable=False, server_default="[]"),  # bot.core.filters rules
    Column("digest_max_stories", Integer),  # NULL: delivery.digest_max_stories
    # Fingerprint of the config file's entry as last applied (bot.store.deliveries).
    Column("config_hash", Text),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel_ref", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dedupe_key", Text, nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("item_ids", JsonText, nullable=False),
    Column("payload", JsonText, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    # Last status change (retry, sent, failed, folded): what "newest failure" is ordered by.
    Column("updated_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("error", Text),
    Column("external_id", Text),
    # The replica sending it, and until when that claim holds (bot.store.leases).
    Column("claimed_by", Text),
    Column("claim_expires_at", UtcDateTime),
    # The item of a single-item delivery (alerts, follow-ups), to find a story's alerts.
    Column("item_id", Integer, index=True),
    CheckConstraint(_one_of("kind", DeliveryKind), name="kind"),
    CheckConstraint(_one_of("status", DeliveryStatus), name="status"),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("topic", String(64)),
    Column("verdict", String(8), nullable=False),
    Column("user", Text, nullable=False),
    Column("channel_ref", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("verdict IN ('good', 'bad')", name="verdict"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)


# Story clustering's fingerprint of an item (MinHash signature and actors, see bot.analysis).
story_fingerprints = Table(
    "story_fingerprints",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Attributed statements on the topics: who said what, when (bot.analysis.stances).
stances = Table(
    "stances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("speaker", Text, nullable=False, index=True),
    Column("country", Text, nullable=False, server_default=""),
    Column("on_behalf_of", Text, nullable=False, server_default=""),
    Column("via", Text, nullable=False, server_default=""),
    Column("stance", String(16), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("sentence", Text, nullable=False),
    Column("said_at", UtcDateTime, nullable=False, index=True),
    Column("extractor_version", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id", "speaker", "topic", "stance"),
    CheckConstraint(_one_of("stance", StanceKind), name="stance"),
)


def is_search_object(name: str | None) -> bool:
    """True for the full-text objects the migrations add per dialect outside `metadata`.

    That is the FTS5 table ``items_fts`` with its shadow tables on SQLite and the GIN index
    ``ix_items_fts`` on PostgreSQL.
    """
    return name is not None and (name.startswith("items_fts") or name == "ix_items_fts")
