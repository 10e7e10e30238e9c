"""Per-channel filters and digest cap.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

`filters` holds a channel's include/exclude rules (bot.core.filters) as a JSON list, applied on
top of the classifier to its alerts and digests; `digest_max_stories` caps the stories per topic
in its digests, NULL meaning the configured default (delivery.digest_max_stories).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add both columns; existing channels have no filters and the default cap."""
    op.add_column("channels", sa.Column("filters", sa.Text(), server_default="[]", nullable=False))
    op.add_column("channels", sa.Column("digest_max_stories", sa.Integer()))


def downgrade() -> None:
    """Drop them (plain ALTER TABLE, as 0006 does, so SQLite keeps the table's constraints)."""
    op.execute("ALTER TABLE channels DROP COLUMN digest_max_stories")
    op.execute("ALTER TABLE channels DROP COLUMN filters")
