"""Follow-up deliveries: a later source of a story, sent with the story's first alert.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Widens the CHECK constraint on deliveries.kind with 'followup'. PostgreSQL swaps the constraint
in place; SQLite cannot alter a constraint, so the table is rebuilt in batch mode, which keeps
the reflected status constraint, unique key and index. The kind lists are spelled out here (not
imported) so that this revision never changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_deliveries_kind"
WITH_FOLLOWUPS = "kind IN ('alert', 'followup', 'digest', 'notice')"
WITHOUT = "kind IN ('alert', 'digest', 'notice')"


def _replace_kind_check(condition: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("deliveries", recreate="always") as batch:
            batch.drop_constraint(op.f(NAME), type_="check")
            batch.create_check_constraint(op.f(NAME), condition)
    else:
        op.drop_constraint(op.f(NAME), "deliveries", type_="check")
        op.create_check_constraint(op.f(NAME), "deliveries", condition)


def upgrade() -> None:
    """Allow follow-up deliveries."""
    _replace_kind_check(WITH_FOLLOWUPS)


def downgrade() -> None:
    """Drop follow-ups (they cannot be expressed before this revision), then narrow the check."""
    op.execute("DELETE FROM deliveries WHERE kind = 'followup'")
    _replace_kind_check(WITHOUT)
