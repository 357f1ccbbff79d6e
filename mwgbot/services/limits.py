"""Fair limits over the database, so they hold across instances. Services flush; the caller's
unit of work commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import CommandCountRow, ProposalRow
from mwgbot.domain import limits as rules
from mwgbot.domain.limits import OpenProposal
from mwgbot.domain.proposals import State
from mwgbot.services import members
from mwgbot.services.policy import Policy

# Counts older than this are of no use to the per-minute limit.
COUNT_RETENTION = timedelta(minutes=5)


def open_proposals_of(session: Session, group_key: str, proposer_id: str) -> list[OpenProposal]:
    """The member's open proposals in one group (the limit is per group)."""
    rows = session.execute(
        select(ProposalRow.number, ProposalRow.title, ProposalRow.closes_at)
        .where(
            ProposalRow.group_key == group_key,
            ProposalRow.proposer_id == proposer_id,
            ProposalRow.state == State.OPEN.value,
        )
        .order_by(ProposalRow.closes_at, ProposalRow.number)
    ).all()
    return [OpenProposal(number, title, closes_at) for number, title, closes_at in rows]


def check_open_limit(session: Session, policy: Policy, proposer_id: str, now: datetime) -> None:
    """Refuse a proposal that would take the member past MWG_MAX_OPEN_PER_MEMBER.

    The member's row is written first: on PostgreSQL that locks it until commit, so two
    proposals of one member at once are counted one after the other (SQLite's writers take
    turns anyway). Proposing marks the member as active in any case.
    """
    if proposer_id in policy.moderators:
        return
    members.touch(session, proposer_id, now)
    rules.check_open_limit(
        proposer_id,
        open_proposals_of(session, policy.key, proposer_id),
        policy.max_open_per_member,
        policy.moderators,
    )


def count_command(session: Session, user_id: str, now: datetime) -> int:
    """Count one `/mwg` command of this member; how many they sent this minute, this one too."""
    return queries.increment(
        session,
        CommandCountRow,
        {"user_id": user_id, "minute": rules.minute_of(now)},
        column="count",
    )


def prune_command_counts(session: Session, now: datetime) -> None:
    session.execute(delete(CommandCountRow).where(CommandCountRow.minute < now - COUNT_RETENTION))
