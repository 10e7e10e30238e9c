"""Feed notes: what a successful read recovered from or left out, shown in `/watch feeds`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

A feed can be read and still not be whole: an oversized feed keeps its newest entries, a
malformed one is recovered by the lenient parser. `feeds.last_note` keeps that reason until the
next successful read of a changed document, so it is visible, not only logged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the note column."""
    op.add_column("feeds", sa.Column("last_note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop it (plain ALTER TABLE, as 0003 does, so SQLite keeps the table's constraints)."""
    op.execute("ALTER TABLE feeds DROP COLUMN last_note")
