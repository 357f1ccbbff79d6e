"""the group's page: one channel canvas row per group

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mwgbot.db.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canvas_pages",
        sa.Column("group_key", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("canvas_id", sa.String(length=32), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("synced_revision", sa.Integer(), nullable=False),
        sa.Column("edited_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_try_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("off_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("group_key", name=op.f("pk_canvas_pages")),
    )


def downgrade() -> None:
    op.drop_table("canvas_pages")
