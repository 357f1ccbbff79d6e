"""progress updates by when they were posted

The digest lists the updates posted since the last one: it reads them along created_at.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:33:24.065146
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_updates_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_updates_created_at")
