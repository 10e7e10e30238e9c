"""Deliveries of one item carry it in an indexed column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

An alert or follow-up is about one item; finding the alerts of a story's items went through
`deliveries.item_ids` (JSON text) with a LIKE scan of the whole outbox per item, which made
story handling grow with the square of a story's size. `deliveries.item_id` holds the item of a
single-item delivery, indexed; rows from before are filled from `item_ids`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add, fill and index the column."""
    op.add_column("deliveries", sa.Column("item_id", sa.Integer(), nullable=True))
    # "[123]" → 123, for deliveries that carry exactly one item.
    op.execute(
        "UPDATE deliveries SET item_id = CAST(SUBSTR(item_ids, 2, LENGTH(item_ids) - 2) AS INTEGER) "
        "WHERE item_ids LIKE '[%]' AND item_ids NOT LIKE '%,%' AND LENGTH(item_ids) > 2"
    )
    op.create_index(op.f("ix_deliveries_item_id"), "deliveries", ["item_id"])


def downgrade() -> None:
    """Drop the index and the column (plain ALTER TABLE, so SQLite keeps the constraints)."""
    op.drop_index(op.f("ix_deliveries_item_id"), table_name="deliveries")
    op.execute("ALTER TABLE deliveries DROP COLUMN item_id")
