"""agenda topics and meeting notes

Topics members put on a meeting's agenda, numbered per meeting, and the links to a meeting's
notes and recording. Both are per group (group_key), after 0004 made the groups.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:59:00.294011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mwgbot.db.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agenda_topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_key", sa.String(length=16), nullable=False),
        sa.Column("meeting_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=32), nullable=True),
        sa.Column("carried_from", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("carried_from_number", sa.Integer(), nullable=True),
        sa.Column("carried_to", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_topics")),
        sa.UniqueConstraint(
            "group_key",
            "meeting_at",
            "number",
            name=op.f("uq_agenda_topics_group_key_meeting_at_number"),
        ),
    )
    with op.batch_alter_table("agenda_topics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agenda_topics_group_key_added_by", ["group_key", "added_by"], unique=False
        )

    op.create_table(
        "meeting_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_key", sa.String(length=16), nullable=False),
        sa.Column("meeting_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_notes")),
    )
    with op.batch_alter_table("meeting_notes", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_notes_added_by", ["added_by"], unique=False)
        batch_op.create_index(
            "ix_meeting_notes_group_key_added_at", ["group_key", "added_at"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_notes_group_key_meeting_at", ["group_key", "meeting_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_notes_group_key_meeting_at")
        batch_op.drop_index("ix_meeting_notes_group_key_added_at")
        batch_op.drop_index("ix_meeting_notes_added_by")

    op.drop_table("meeting_notes")
    with op.batch_alter_table("agenda_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_topics_group_key_added_by")

    op.drop_table("agenda_topics")
