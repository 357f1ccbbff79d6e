"""Typed SQLAlchemy 2.0 models. The schema itself is built only by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which keeps no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


GROUP_KEY_LENGTH = 16


def _proposal_fk(ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    """A child row's (group_key, proposal_number) points at its proposal."""
    return ForeignKeyConstraint(
        ["group_key", "proposal_number"],
        ["proposals.group_key", "proposals.number"],
        ondelete=ondelete,
    )


class GroupRow(Base):
    """One row per working group: its proposals' numbers are taken from `next_number` with
    `UPDATE … SET next_number = next_number + 1 … RETURNING`, so the row is the group's lock."""

    __tablename__ = "groups"

    key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer, default=0)


class GroupMemberRow(Base):
    """A member in one group: when they (last) joined its channel, when its one welcome was
    queued for them."""

    __tablename__ = "group_members"

    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    joined_channel_at: Mapped[datetime | None]
    welcomed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_group_members_group_key_joined_channel_at", "group_key", "joined_channel_at"),
        Index("ix_group_members_user_id", "user_id"),
    )


class ProposalRow(Base):
    __tablename__ = "proposals"

    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    proposer_id: Mapped[str] = mapped_column(String(32))
    stages: Mapped[str] = mapped_column(String(200), default="")
    collects_leads: Mapped[bool] = mapped_column(Boolean, default=False)
    cobranded: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    verdict: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(32))
    # Where the card lives once posted; updates and thread replies need it.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # Card updates are coalesced: bump `card_revision` on change, sync when it moved.
    card_revision: Mapped[int] = mapped_column(Integer, default=0)
    card_synced_revision: Mapped[int] = mapped_column(Integer, default=0)
    card_synced_at: Mapped[datetime | None]
    # The proposer's first proposal: its card says so (new members are valued).
    first_proposal: Mapped[bool] = mapped_column(Boolean, default=False)
    # After adoption: the latest update or new join, for nudging quiet initiatives.
    last_activity_at: Mapped[datetime | None]
    # Delivered or dropped: when, by whom, the link (delivered) and the note or reason.
    finished_at: Mapped[datetime | None]
    finished_by: Mapped[str | None] = mapped_column(String(32))
    delivery_link: Mapped[str | None] = mapped_column(Text)
    finish_note: Mapped[str | None] = mapped_column(Text)
    # When the card's reactions were last read back from Slack (reconciliation).
    reactions_checked_at: Mapped[datetime | None]

    signups: Mapped[list[SignupRow]] = relationship(
        back_populates="proposal", order_by="SignupRow.id", cascade="all, delete-orphan"
    )
    objections: Mapped[list[ObjectionRow]] = relationship(
        back_populates="proposal", order_by="ObjectionRow.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_proposals_state_closes_at", "state", "closes_at"),
        Index("ix_proposals_message_ts", "message_ts"),
        Index("ix_proposals_proposer_id_state", "proposer_id", "state"),
        # Initiatives after adoption: active ones by how long they have been quiet, delivered
        # and dropped ones by when they ended (digests, agendas, `/mwg list`).
        Index("ix_proposals_state_last_activity_at", "state", "last_activity_at"),
        Index("ix_proposals_state_finished_at", "state", "finished_at"),
        # Outcomes since a meeting or a digest (closed or decided after it), the latest ones
        # of each kind, proposals new since a digest: read by state and instant, so years of
        # history are never scanned or sorted.
        Index("ix_proposals_state_closed_at", "state", "closed_at"),
        Index("ix_proposals_state_decided_at", "state", "decided_at"),
        Index("ix_proposals_created_at", "created_at"),
        # Cards to update: a partial index of just the stale ones, read every second by the
        # delivery, so the settled history is never walked.
        Index(
            "ix_proposals_card_stale",
            "group_key",
            "number",
            sqlite_where=text("card_revision > card_synced_revision"),
            postgresql_where=text("card_revision > card_synced_revision"),
        ),
    )


class SignupRow(Base):
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))
    proposal_number: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(32))
    joined_at: Mapped[datetime]

    proposal: Mapped[ProposalRow] = relationship(back_populates="signups")

    __table_args__ = (
        _proposal_fk(),
        UniqueConstraint("group_key", "proposal_number", "user_id"),
        Index("ix_signups_user_id", "user_id"),
    )


class ObjectionRow(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))
    proposal_number: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    made_at: Mapped[datetime]

    proposal: Mapped[ProposalRow] = relationship(back_populates="objections")

    __table_args__ = (
        _proposal_fk(),
        UniqueConstraint("group_key", "proposal_number", "user_id"),
        Index("ix_objections_user_id", "user_id"),
    )


class ReactionMarkRow(Base):
    """The newest reaction event seen per member, card and meaning (join/object).

    Slack may deliver add and remove out of order; comparing event times makes the
    end state independent of arrival order.
    """

    __tablename__ = "reaction_marks"

    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), primary_key=True)
    proposal_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meaning: Mapped[str] = mapped_column(String(8), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean)
    event_time_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (_proposal_fk(),)


class ProcessedEventRow(Base):
    """One row per Slack `event_id`: a retried delivery finds it and changes nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class MemberRow(Base):
    """Anyone who has taken part: proposed, joined, objected, logged time, set an organization,
    or joined the channel."""

    __tablename__ = "members"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    last_active_at: Mapped[datetime]
    # Slack display name, cached from users.info for exports.
    display_name: Mapped[str | None] = mapped_column(String(100))
    display_name_checked_at: Mapped[datetime | None]
    # A bot user (users.info said so when a DM was due): never welcomed, never named as new.
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)


class ProposalUpdateRow(Base):
    """A progress note on a proposal or initiative (`/mwg update`)."""

    __tablename__ = "proposal_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))
    proposal_number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        _proposal_fk(),
        Index(
            "ix_proposal_updates_group_key_proposal_number_id",
            "group_key",
            "proposal_number",
            "id",
        ),
        # The digest reads the updates posted since the last one.
        Index("ix_proposal_updates_created_at", "created_at"),
    )


class TimeEntryRow(Base):
    """Time a member gave, self-reported (`/mwg log`)."""

    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # An entry belongs to a group even without a proposal.
    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))
    user_id: Mapped[str] = mapped_column(String(32))
    # Proposals are never deleted, so the entry's proposal always exists.
    proposal_number: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(Text)
    worked_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_time_entries_user_id_worked_on", "user_id", "worked_on"),
        Index("ix_time_entries_worked_on", "worked_on"),
        _proposal_fk(ondelete=None),
        Index("ix_time_entries_group_key_proposal_number", "group_key", "proposal_number"),
    )


class ActivityRow(Base):
    """The append-only ledger: one row per change, written in the change's unit of work.

    Never updated, except to replace a forgotten member's ID by their pseudonym. The proposal
    number is a plain column, not a foreign key: the record outlives anything it mentions.
    """

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(32))
    # The group of every group row; none for a member's own rows (`/mwg org`, forget-me).
    group_key: Mapped[str | None] = mapped_column(String(GROUP_KEY_LENGTH))
    proposal_number: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_activity_group_key_proposal_number_id", "group_key", "proposal_number", "id"),
        Index("ix_activity_actor_id", "actor_id"),
    )


class FormerMemberRow(Base):
    """One row per member who asked to be forgotten; the ID names their pseudonym
    ("former member 3"). Nothing here links it back to the Slack user."""

    __tablename__ = "former_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    forgotten_at: Mapped[datetime]


class CommandCountRow(Base):
    """`/mwg` commands per member per minute, counted in the database so that the limit holds
    across instances."""

    __tablename__ = "command_counts"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class OutboxRow(Base):
    """A message to post, kept until Slack has it: the database is the schedule."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The group the message belongs to; '' for workspace-wide messages.
    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), default="")
    # Unique per group and notice that must exist once ("close:3", "reminder:<meeting>/<lead>").
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    proposal_number: Mapped[int | None] = mapped_column(Integer)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An attempt whose result is unknown (timeout, crash): check Slack before posting again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    available_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        _proposal_fk(),
        UniqueConstraint("group_key", "dedupe_key"),
        Index("ix_outbox_state_available_at", "state", "available_at"),
        # Pruning old answers and threads, and finding the last digest, by kind and time.
        Index("ix_outbox_kind_sent_at", "kind", "sent_at"),
        Index("ix_outbox_kind_created_at", "kind", "created_at"),
    )


class MeetingSkipRow(Base):
    __tablename__ = "meeting_skips"

    group_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH), primary_key=True)
    meeting_date: Mapped[date] = mapped_column(Date, primary_key=True)
    skipped_by: Mapped[str] = mapped_column(String(32))
    skipped_at: Mapped[datetime]


class CanvasPageRow(Base):
    """One group's page, its channel canvas (MWG_CANVAS): where it is and how current.

    Every change to what the page shows bumps `revision` (the ledger does, once per unit of
    work); the delivery edits the canvas while `revision` is ahead of `synced_revision`, at
    most once per gap, claimed with a lease so that two instances never edit it at once, and
    `refresh_at` redraws it when time alone changes it (a meeting begins, a decision ages out).
    `off_reason`: Slack refused the canvas for a reason only an admin can fix (the plan, a
    permission); the page is off until the next start, which clears it.
    """

    __tablename__ = "canvas_pages"

    group_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    canvas_id: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    synced_revision: Mapped[int] = mapped_column(Integer, default=0)
    edited_at: Mapped[datetime | None]
    refresh_at: Mapped[datetime | None]
    next_try_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    off_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)


class AgendaTopicRow(Base):
    """A topic a member put on a meeting's agenda (`/mwg agenda add`), numbered per meeting.

    A removed topic keeps its row (``removed_at``), so numbers are never reused; a carried one
    stays on its meeting (``carried_to``) and a new row on the next meeting says where it came
    from (``carried_from``, ``carried_from_number``)."""

    __tablename__ = "agenda_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(16))
    meeting_at: Mapped[datetime]
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(32))
    carried_from: Mapped[datetime | None]
    carried_from_number: Mapped[int | None] = mapped_column(Integer)
    carried_to: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("group_key", "meeting_at", "number"),
        Index("ix_agenda_topics_group_key_added_by", "group_key", "added_by"),
    )


class MeetingNoteRow(Base):
    """A link to a meeting's notes or recording (`/mwg notes`), with an optional summary."""

    __tablename__ = "meeting_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(16))
    meeting_at: Mapped[datetime]
    link: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_meeting_notes_group_key_meeting_at", "group_key", "meeting_at"),
        # The digest reads the notes added since the last one.
        Index("ix_meeting_notes_group_key_added_at", "group_key", "added_at"),
        Index("ix_meeting_notes_added_by", "added_by"),
    )
