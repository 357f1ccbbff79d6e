"""Queries shared by the services: loading snapshots, idempotent inserts, claiming rows."""

from __future__ import annotations

import functools
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

# The statements below are built once per dialect and table and executed with their values
# as parameters: building a statement costs several times what running it does, and these
# run on every reaction before Slack gets its acknowledgement.


def _dialect_insert(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL


@functools.cache
def _insert_ignoring_statement(dialect: str, model: type[Base]) -> Any:
    statement = _dialect_insert(dialect, model.__table__)
    # RETURNING tells inserted from skipped on every driver; rowcount does not.
    primary_key = next(iter(statement.table.primary_key.columns))
    return statement.on_conflict_do_nothing().returning(primary_key)


@functools.cache
def _upsert_statement(
    dialect: str, model: type[Base], update: tuple[str, ...], version: str | None
) -> Any:
    statement = _dialect_insert(dialect, model.__table__)
    table = statement.table
    keys = list(table.primary_key.columns)
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in update},
        where=None if version is None else table.c[version] <= statement.excluded[version],
    ).returning(keys[0])


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted.

    A unique constraint, not a prior SELECT, decides: two instances racing insert once.
    """
    connection = session.connection()
    statement = _insert_ignoring_statement(connection.dialect.name, model)
    return connection.execute(statement, values).first() is not None


def upsert(
    session: Session, model: type[Base], values: dict[str, Any], *, update: Sequence[str]
) -> None:
    """INSERT, or on a primary-key conflict set the `update` columns to the new values; one
    statement, so two instances racing end with one row."""
    connection = session.connection()
    statement = _upsert_statement(connection.dialect.name, model, tuple(update), None)
    connection.execute(statement, values)


def upsert_if_newer(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    *,
    version: str,
    update: Sequence[str],
) -> bool:
    """INSERT, or UPDATE the `update` columns where the stored `version` is not newer; one
    statement. True when the row was written (inserted, or updated), False when a newer
    version stood."""
    connection = session.connection()
    statement = _upsert_statement(connection.dialect.name, model, tuple(update), version)
    return connection.execute(statement, values).first() is not None


@functools.cache
def _increment_statement(dialect: str, model: type[Base], column: str) -> Any:
    statement = _dialect_insert(dialect, model.__table__)
    table = statement.table
    return statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={column: table.c[column] + 1},
    ).returning(table.c[column])


def increment(session: Session, model: type[Base], key: dict[str, Any], *, column: str) -> int:
    """Add one to a counter row (created at 1), atomically; the new count.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING, so instances counting at once never
    lose an increment (SQLite 3.35+ and PostgreSQL).
    """
    connection = session.connection()
    statement = _increment_statement(connection.dialect.name, model, column)
    return int(connection.execute(statement, {**key, column: 1}).scalar_one())


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
        first_proposal=row.first_proposal,
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
