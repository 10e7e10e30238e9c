"""Feed silence: when a feed last brought something new, and when its silence was announced.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05

A feed that still answers but has published nothing for much longer than its usual rhythm is
announced once in the channels; `silent_since` records that announcement so a restart does not
repeat it, and is cleared when the feed publishes again. `last_new_at` lets the poll path skip
the rhythm query for every feed that published recently; existing feeds take it from their items.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add both columns; backfill last_new_at from each feed's newest stored item."""
    op.add_column("feeds", sa.Column("last_new_at", sa.DateTime(timezone=True)))
    op.add_column("feeds", sa.Column("silent_since", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE feeds SET last_new_at = "
        "(SELECT MAX(items.first_seen_at) FROM items WHERE items.feed_id = feeds.id)"
    )


def downgrade() -> None:
    """Drop them (plain ALTER TABLE, as 0006 does, so SQLite keeps the table's constraints)."""
    op.execute("ALTER TABLE feeds DROP COLUMN silent_since")
    op.execute("ALTER TABLE feeds DROP COLUMN last_new_at")
