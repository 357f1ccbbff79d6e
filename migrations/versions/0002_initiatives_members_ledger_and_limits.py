"""initiatives, members, ledger and limits

Initiatives after adoption (updates, delivered or dropped), members (when first and last seen,
the welcome, the display-name cache), time entries, the activity ledger, pseudonyms of forgotten
members, per-minute command counts, and the indexes the Home tab and the limits read by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:20:45.965649
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mwgbot.db.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("proposal_number", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_actor_id", ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_activity_proposal_number_id", ["proposal_number", "id"], unique=False
        )

    op.create_table(
        "command_counts",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("minute", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "minute", name=op.f("pk_command_counts")),
    )
    op.create_table(
        "former_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("forgotten_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_members")),
    )
    op.create_table(
        "proposal_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_number"],
            ["proposals.number"],
            name=op.f("fk_proposal_updates_proposal_number_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_updates")),
    )
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposal_updates_proposal_number_id", ["proposal_number", "id"], unique=False
        )

    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("proposal_number", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("created_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_number"],
            ["proposals.number"],
            name=op.f("fk_time_entries_proposal_number_proposals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index("ix_time_entries_proposal_number", ["proposal_number"], unique=False)
        batch_op.create_index(
            "ix_time_entries_user_id_worked_on", ["user_id", "worked_on"], unique=False
        )
        batch_op.create_index("ix_time_entries_worked_on", ["worked_on"], unique=False)

    # Members known before this revision were last seen setting their organization.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_seen_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_active_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "joined_channel_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("welcomed_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "display_name_checked_at",
                mwgbot.db.models.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index("ix_members_joined_channel_at", ["joined_channel_at"], unique=False)
    op.execute("UPDATE members SET first_seen_at = updated_at, last_active_at = updated_at")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column(
            "first_seen_at",
            existing_type=mwgbot.db.models.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.alter_column(
            "last_active_at",
            existing_type=mwgbot.db.models.UTCDateTime(timezone=True),
            nullable=False,
        )

    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index("ix_objections_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_proposal", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "last_activity_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("finished_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("finished_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("delivery_link", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("finish_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reactions_checked_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            "ix_proposals_proposer_id_state", ["proposer_id", "state"], unique=False
        )
    op.execute(
        "UPDATE proposals SET first_proposal = TRUE WHERE number IN "
        "(SELECT MIN(number) FROM proposals GROUP BY proposer_id)"
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.alter_column("first_proposal", existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_index("ix_signups_user_id", ["user_id"], unique=False)

    # --- members who are bots (the welcome, issue 9) ---
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_bot", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("is_bot", existing_type=sa.Boolean(), server_default=None)

    # --- Initiatives after adoption (issue 8) ---------------------------------------------
    # Active initiatives are read by how long they have been quiet, delivered and dropped ones
    # by when they ended. Initiatives adopted before this revision were last active when
    # they were adopted (the moderator's decision, else the close).
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposals_state_last_activity_at", ["state", "last_activity_at"], unique=False
        )
        batch_op.create_index(
            "ix_proposals_state_finished_at", ["state", "finished_at"], unique=False
        )
    op.execute(
        "UPDATE proposals SET last_activity_at = COALESCE(decided_at, closed_at) "
        "WHERE state = 'adopted' AND last_activity_at IS NULL"
    )

    # --- History-bounded reads (issue 11) -------------------------------------------------
    # Outcomes since a meeting or a digest, the latest of each kind, and proposals new since
    # a digest, by state and instant.
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index("ix_proposals_state_closed_at", ["state", "closed_at"], unique=False)
        batch_op.create_index(
            "ix_proposals_state_decided_at", ["state", "decided_at"], unique=False
        )
        batch_op.create_index("ix_proposals_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_proposals_card_stale",
            ["number"],
            unique=False,
            sqlite_where=sa.text("card_revision > card_synced_revision"),
            postgresql_where=sa.text("card_revision > card_synced_revision"),
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_kind_sent_at", ["kind", "sent_at"], unique=False)
        batch_op.create_index("ix_outbox_kind_created_at", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    # --- History-bounded reads (issue 11) -------------------------------------------------
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_kind_created_at")
        batch_op.drop_index("ix_outbox_kind_sent_at")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_card_stale")
        batch_op.drop_index("ix_proposals_created_at")
        batch_op.drop_index("ix_proposals_state_decided_at")
        batch_op.drop_index("ix_proposals_state_closed_at")

    # --- Initiatives after adoption (issue 8) ---------------------------------------------
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_state_finished_at")
        batch_op.drop_index("ix_proposals_state_last_activity_at")

    # --- members who are bots (the welcome, issue 9) ---
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("is_bot")

    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_index("ix_signups_user_id")

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_proposer_id_state")
        batch_op.drop_column("reactions_checked_at")
        batch_op.drop_column("finish_note")
        batch_op.drop_column("delivery_link")
        batch_op.drop_column("finished_by")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("first_proposal")

    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index("ix_objections_user_id")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_joined_channel_at")
        batch_op.drop_column("display_name_checked_at")
        batch_op.drop_column("display_name")
        batch_op.drop_column("welcomed_at")
        batch_op.drop_column("joined_channel_at")
        batch_op.drop_column("last_active_at")
        batch_op.drop_column("first_seen_at")

    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_time_entries_worked_on")
        batch_op.drop_index("ix_time_entries_user_id_worked_on")
        batch_op.drop_index("ix_time_entries_proposal_number")

    op.drop_table("time_entries")
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_updates_proposal_number_id")

    op.drop_table("proposal_updates")
    op.drop_table("former_members")
    op.drop_table("command_counts")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_proposal_number_id")
        batch_op.drop_index("ix_activity_actor_id")

    op.drop_table("activity")
