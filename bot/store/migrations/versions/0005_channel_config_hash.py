"""Channel config fingerprints: a chat command's change outlives a restart.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

`channels.config_hash` is the fingerprint of a configured channel's entry in the config file as
last applied. At start the file's entry overwrites the row only when that fingerprint changed
(an admin edited the file); otherwise what `/watch subscribe`, `alerts` or `unsubscribe` set is
kept. Rows from before this revision have none, so the file applies once more, as it did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the fingerprint column."""
    op.add_column("channels", sa.Column("config_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop it (plain ALTER TABLE, as 0003 does, so SQLite keeps the table's constraints)."""
    op.execute("ALTER TABLE channels DROP COLUMN config_hash")
