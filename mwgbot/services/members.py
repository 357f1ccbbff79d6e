"""Members: anyone who has taken part. Services flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union, update
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import GroupMemberRow, MemberRow, ProposalRow, SignupRow
from mwgbot.domain.proposals import State

# Initiatives a member can log time on and an example may quote: open, escalated or active.
LIVE = (State.OPEN.value, State.ESCALATED.value, State.ADOPTED.value)


def _first_seen(user_id: str, now: datetime) -> dict[str, object]:
    """A member's row as first seen now (an upsert keeps the columns already set)."""
    return {
        "user_id": user_id,
        "organization": None,
        "updated_at": now,
        "first_seen_at": now,
        "last_active_at": now,
    }


def touch(session: Session, user_id: str, now: datetime) -> None:
    """Record that a member took part now: first seen once, last active every time."""
    queries.upsert(session, MemberRow, _first_seen(user_id, now), update=("last_active_at",))


def record_channel_join(session: Session, group_key: str, user_id: str, now: datetime) -> bool:
    """A member joined the group's channel now; False for a user already known to be a bot."""
    known = session.get(MemberRow, user_id)
    if known is not None and known.is_bot:
        return False
    queries.upsert(session, MemberRow, _first_seen(user_id, now), update=("last_active_at",))
    queries.upsert(
        session,
        GroupMemberRow,
        {"group_key": group_key, "user_id": user_id, "joined_channel_at": now},
        update=("joined_channel_at",),
    )
    return True


def mark_welcomed(session: Session, group_key: str, user_id: str, now: datetime) -> None:
    """The group's one welcome was queued now (the outbox row's dedupe key keeps it one)."""
    session.execute(
        update(GroupMemberRow)
        .where(
            GroupMemberRow.group_key == group_key,
            GroupMemberRow.user_id == user_id,
            GroupMemberRow.welcomed_at.is_(None),
        )
        .values(welcomed_at=now)
    )


def mark_bot(session: Session, user_id: str) -> None:
    session.execute(update(MemberRow).where(MemberRow.user_id == user_id).values(is_bot=True))


def joined_channel_since(
    session: Session, group_key: str, since: datetime | None, before: datetime | None = None
) -> list[str]:
    """Members (not bots) who joined the group's channel at or after ``since`` (and before
    ``before``, if given), in the order they joined."""
    joined = GroupMemberRow.joined_channel_at
    statement = (
        select(GroupMemberRow.user_id)
        .join(MemberRow, MemberRow.user_id == GroupMemberRow.user_id)
        .where(
            GroupMemberRow.group_key == group_key,
            joined.is_not(None),
            MemberRow.is_bot.is_(False),
        )
    )
    if since is not None:
        statement = statement.where(joined >= since)
    if before is not None:
        statement = statement.where(joined < before)
    return list(session.scalars(statement.order_by(joined, GroupMemberRow.user_id)).all())


def latest_initiative(session: Session, group_key: str, user_id: str) -> int | None:
    """The newest open, escalated or active proposal of the group the member proposed or
    joined, if any: one query, each half read by its own index."""
    involved = union(
        select(ProposalRow.number).where(
            ProposalRow.group_key == group_key, ProposalRow.proposer_id == user_id
        ),
        select(SignupRow.proposal_number).where(
            SignupRow.group_key == group_key, SignupRow.user_id == user_id
        ),
    )
    return session.scalar(
        select(func.max(ProposalRow.number)).where(
            ProposalRow.group_key == group_key,
            ProposalRow.state.in_(LIVE),
            ProposalRow.number.in_(involved),
        )
    )
