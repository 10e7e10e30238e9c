"""Delivery claims: which replica is sending a delivery, and until when its claim holds.

Revision ID: 0003
Revises: 0002
Create Date: 2025-09-12

Several replicas may share one PostgreSQL database. Feeds already carry a lease (lease_owner,
lease_expires_at, since 0001); deliveries get the same pair so that a delivery is sent by the one
replica that claimed it, and a dead replica's claims lapse. Types are spelled out here (not
imported) so that this revision never changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite by bot.store.types.UtcDateTime


def upgrade() -> None:
    """Add the claim columns to deliveries."""
    op.add_column("deliveries", sa.Column("claimed_by", sa.Text(), nullable=True))
    op.add_column("deliveries", sa.Column("claim_expires_at", TS, nullable=True))


def downgrade() -> None:
    """Drop the claim columns (plain ALTER TABLE: SQLite 3.35+ has DROP COLUMN, and a batch
    rebuild would lose the table's CHECK constraints)."""
    op.execute("ALTER TABLE deliveries DROP COLUMN claim_expires_at")
    op.execute("ALTER TABLE deliveries DROP COLUMN claimed_by")
