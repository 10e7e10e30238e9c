"""Stories and stances: story fingerprints, attributed statements, an index on items.story_id.

Revision ID: 0002
Revises: 0001
Create Date: 2025-09-10

`items.story_id` exists since 0001; it now holds the id of the story's first item and is indexed
for "also reported by" lookups. Types are spelled out here (not imported) so that this revision
never changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite by bot.store.types.UtcDateTime


def upgrade() -> None:
    """Create the two tables and the story index."""
    op.create_index(op.f("ix_items_story_id"), "items", ["story_id"])

    op.create_table(
        "story_fingerprints",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_story_fingerprints_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_story_fingerprints")),
    )

    op.create_table(
        "stances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), server_default="", nullable=False),
        sa.Column("on_behalf_of", sa.Text(), server_default="", nullable=False),
        sa.Column("via", sa.Text(), server_default="", nullable=False),
        sa.Column("stance", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("said_at", TS, nullable=False),
        sa.Column("extractor_version", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "stance IN ('supports', 'conditional', 'opposes', 'rules_out', 'keeps_open')",
            name=op.f("ck_stances_stance"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_stances_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stances")),
        sa.UniqueConstraint(
            "item_id",
            "speaker",
            "topic",
            "stance",
            name=op.f("uq_stances_item_id_speaker_topic_stance"),
        ),
    )
    op.create_index(op.f("ix_stances_item_id"), "stances", ["item_id"])
    op.create_index(op.f("ix_stances_speaker"), "stances", ["speaker"])
    op.create_index(op.f("ix_stances_said_at"), "stances", ["said_at"])


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.drop_table("stances")
    op.drop_table("story_fingerprints")
    op.drop_index(op.f("ix_items_story_id"), table_name="items")
