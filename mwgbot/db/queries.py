"""Queries shared by the services: loading snapshots, idempotent inserts, claiming rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from mwgbot.db.models import Base, MemberRow, ProposalRow, ProposalUpdateRow
from mwgbot.domain.proposals import (
    Decision,
    Objection,
    Participant,
    ProgressUpdate,
    ProposalSnapshot,
    Stage,
    State,
    Verdict,
)


def _dialect_insert(session: Session, model: type[Base]) -> Any:
    dialect = session.get_bind().dialect.name
    table: Any = model.__table__
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted.

    A unique constraint, not a prior SELECT, decides: two instances racing insert once.
    """
    statement = _dialect_insert(session, model)
    # RETURNING tells inserted from skipped on every driver; rowcount does not.
    primary_key = next(iter(statement.table.primary_key.columns))
    statement = statement.values(**values).on_conflict_do_nothing().returning(primary_key)
    return session.connection().execute(statement).first() is not None


def upsert(
    session: Session, model: type[Base], values: dict[str, Any], *, update: dict[str, Any]
) -> None:
    """INSERT, or on a primary-key conflict UPDATE the given columns; one statement, so two
    instances racing end with one row."""
    statement = _dialect_insert(session, model)
    keys = list(statement.table.primary_key.columns)
    statement = statement.values(**values).on_conflict_do_update(index_elements=keys, set_=update)
    session.connection().execute(statement)


def lock_proposal(session: Session, number: int) -> ProposalRow | None:
    """Load a proposal for change; on PostgreSQL the row is locked until commit."""
    statement = (
        select(ProposalRow)
        .where(ProposalRow.number == number)
        .options(selectinload(ProposalRow.signups), selectinload(ProposalRow.objections))
        .with_for_update(of=ProposalRow)
    )
    return session.scalars(statement).one_or_none()


def proposal_by_message(session: Session, channel_id: str, message_ts: str) -> ProposalRow | None:
    statement = (
        select(ProposalRow)
        .where(ProposalRow.message_ts == message_ts, ProposalRow.channel_id == channel_id)
        .with_for_update(of=ProposalRow)
    )
    return session.scalars(statement).one_or_none()


def organizations(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(MemberRow.user_id, MemberRow.organization).where(MemberRow.user_id.in_(ids))
    )
    return {user_id: org for user_id, org in rows if org}


def parse_stages(text: str) -> tuple[Stage, ...]:
    return tuple(Stage(s) for s in text.split(",") if s)


def format_stages(stages: Sequence[Stage]) -> str:
    return ",".join(s.value for s in stages)


def latest_updates(session: Session, numbers: Iterable[int]) -> dict[int, ProgressUpdate]:
    """The newest progress note of each of these proposals that has one; one query."""
    wanted = set(numbers)
    if not wanted:
        return {}
    newest = (
        select(func.max(ProposalUpdateRow.id))
        .where(ProposalUpdateRow.proposal_number.in_(wanted))
        .group_by(ProposalUpdateRow.proposal_number)
    )
    rows = session.scalars(select(ProposalUpdateRow).where(ProposalUpdateRow.id.in_(newest)))
    return {
        row.proposal_number: ProgressUpdate(row.author_id, row.text, row.created_at) for row in rows
    }


_UNREAD: Any = object()


def snapshot(
    session: Session, row: ProposalRow, latest_update: ProgressUpdate | None = _UNREAD
) -> ProposalSnapshot:
    """A frozen picture of one proposal, for builders and answers.

    `latest_update` saves a query when the caller read it already (see `load_snapshots`).
    """
    if latest_update is _UNREAD:
        latest_update = latest_updates(session, [row.number]).get(row.number)
    users = [row.proposer_id, *(s.user_id for s in row.signups)]
    users += [o.user_id for o in row.objections]
    orgs = organizations(session, users)
    decision = None
    if row.decided_by and row.verdict and row.decided_at:
        decision = Decision(
            moderator_id=row.decided_by,
            verdict=Verdict(row.verdict),
            note=row.decision_note or "",
            decided_at=row.decided_at,
        )
    return ProposalSnapshot(
        number=row.number,
        title=row.title,
        description=row.description,
        proposer_id=row.proposer_id,
        proposer_organization=orgs.get(row.proposer_id),
        created_at=row.created_at,
        closes_at=row.closes_at,
        state=State(row.state),
        stages=parse_stages(row.stages),
        collects_leads=row.collects_leads,
        cobranded=row.cobranded,
        joiners=tuple(Participant(s.user_id, orgs.get(s.user_id)) for s in row.signups),
        objections=tuple(
            Objection(o.user_id, o.reason, orgs.get(o.user_id)) for o in row.objections
        ),
        closed_at=row.closed_at,
        decision=decision,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        last_activity_at=row.last_activity_at,
        latest_update=latest_update,
        finished_at=row.finished_at,
        finished_by=row.finished_by,
        delivery_link=row.delivery_link,
        finish_note=row.finish_note,
    )


def load_snapshots(
    session: Session, *, states: Iterable[State] | None = None, since: datetime | None = None
) -> list[ProposalSnapshot]:
    statement = select(ProposalRow).options(
        selectinload(ProposalRow.signups), selectinload(ProposalRow.objections)
    )
    if states is not None:
        statement = statement.where(ProposalRow.state.in_([s.value for s in states]))
    if since is not None:
        statement = statement.where(ProposalRow.created_at > since)
    rows = session.scalars(statement.order_by(ProposalRow.number)).all()
    return snapshots(session, rows)


def snapshots(session: Session, rows: Sequence[ProposalRow]) -> list[ProposalSnapshot]:
    """Snapshots of several proposals, their latest updates read in one query."""
    latest = latest_updates(session, [row.number for row in rows])
    return [snapshot(session, row, latest.get(row.number)) for row in rows]
