"""Feed tags: folders of an imported OPML file or `tags = [...]` in the config.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Tags group feeds the way a feed reader's folders do, so per-channel filters can scope to them and
an OPML export can write the folders back. Stored as a JSON list of strings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the tags column; existing feeds have none."""
    op.add_column("feeds", sa.Column("tags", sa.Text(), server_default="[]", nullable=False))


def downgrade() -> None:
    """Drop it (plain ALTER TABLE, as 0006 does, so SQLite keeps the table's constraints)."""
    op.execute("ALTER TABLE feeds DROP COLUMN tags")
