"""Queries shared by the services: loading snapshots, idempotent inserts, claiming rows."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mwgbot.db.models import (
    Base,
    GroupRow,
    MemberRow,
    ObjectionRow,
    ProposalRow,
    ProposalUpdateRow,
    SignupRow,
)
from mwgbot.domain.proposals import (
    LISTED,
    Decision,
    Objection,
    Participant,
    ProgressUpdate,
    ProposalSnapshot,
    Stage,
    State,
    Verdict,
    distinct_organizations,
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


def has_joined(session: Session, group_key: str, number: int, user_id: str) -> bool:
    statement = select(SignupRow.id).where(
        SignupRow.group_key == group_key,
        SignupRow.proposal_number == number,
        SignupRow.user_id == user_id,
    )
    return session.scalar(statement) is not None


def objector_ids(session: Session, group_key: str, numbers: Iterable[int]) -> dict[int, list[str]]:
    """Every member objecting to each of the group's proposals (all of them: who may decide
    depends on it)."""
    wanted = list(numbers)
    found: dict[int, list[str]] = {n: [] for n in wanted}
    if not wanted:
        return found
    for number, user_id in session.execute(
        select(ObjectionRow.proposal_number, ObjectionRow.user_id).where(
            ObjectionRow.group_key == group_key, ObjectionRow.proposal_number.in_(wanted)
        )
    ):
        found[number].append(user_id)
    return found


def take_number(session: Session, group_key: str) -> int:
    """The group's next proposal number. The UPDATE holds the group's row until commit, so
    two proposals made at once in one group never share a number; the row is made on first
    use. A proposal stored by other means (an import, a restore) is never numbered over: the
    group's highest number is read along the primary key, one index probe."""
    highest = (
        select(func.coalesce(func.max(ProposalRow.number), 0))
        .where(ProposalRow.group_key == group_key)
        .scalar_subquery()
    )
    statement = (
        update(GroupRow)
        .where(GroupRow.key == group_key)
        .values(
            next_number=case((highest > GroupRow.next_number, highest), else_=GroupRow.next_number)
            + 1
        )
        .returning(GroupRow.next_number)
    )
    number = session.execute(statement).scalar_one_or_none()
    if number is None:
        ensure_groups(session, [group_key])
        number = session.execute(statement).scalar_one()
    return int(number)


def ensure_groups(session: Session, keys: Iterable[str]) -> None:
    """A `groups` row for each of these keys (numbering from the highest number it has)."""
    for key in keys:
        highest = session.scalar(
            select(func.coalesce(func.max(ProposalRow.number), 0)).where(
                ProposalRow.group_key == key
            )
        )
        insert_ignoring_duplicates(session, GroupRow, {"key": key, "next_number": highest or 0})


def get_proposal(session: Session, group_key: str, number: int) -> ProposalRow | None:
    return session.get(ProposalRow, (group_key, number))


def lock_proposal(session: Session, group_key: str, number: int) -> ProposalRow | None:
    """Load a proposal for change, as committed now; on PostgreSQL locked until commit."""
    statement = (
        select(ProposalRow)
        .where(ProposalRow.group_key == group_key, ProposalRow.number == number)
        .with_for_update(of=ProposalRow)
        .execution_options(populate_existing=True)
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


def latest_updates(
    session: Session, group_key: str, numbers: Iterable[int]
) -> dict[int, ProgressUpdate]:
    """The newest progress note of each of these proposals that has one; one query."""
    wanted = set(numbers)
    if not wanted:
        return {}
    newest = (
        select(func.max(ProposalUpdateRow.id))
        .where(
            ProposalUpdateRow.group_key == group_key, ProposalUpdateRow.proposal_number.in_(wanted)
        )
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

    `latest_update` saves a query when the caller read it already.
    """
    known = None if latest_update is _UNREAD else {row.number: latest_update}
    return snapshots(session, [row], known)[0]


def snapshots(
    session: Session,
    rows: Sequence[ProposalRow],
    latest: dict[int, ProgressUpdate | None] | None = None,
) -> list[ProposalSnapshot]:
    """Snapshots of several proposals in a fixed handful of queries, however many they are and
    however many joined: the first `LISTED` joiners and objections of each, the counts and
    the organizations engaged computed in SQL."""
    if not rows:
        return []
    keys = list(dict.fromkeys(row.group_key for row in rows))
    if len(keys) > 1:
        # Rows of several groups (the Home tab): each group's in its own handful of queries.
        by_group = {
            key: snapshots(session, [row for row in rows if row.group_key == key], latest)
            for key in keys
        }
        found = {(s.group_key, s.number): s for group in by_group.values() for s in group}
        return [found[(row.group_key, row.number)] for row in rows]
    group_key = keys[0]
    numbers = [row.number for row in rows]
    joiners, joiner_counts = _first_listed(session, SignupRow, group_key, numbers)
    objections, objection_counts = _first_listed(session, ObjectionRow, group_key, numbers)
    proposer_orgs = organizations(session, {row.proposer_id for row in rows})
    joiner_orgs = _joiner_organizations(session, group_key, numbers)
    updates: dict[int, ProgressUpdate | None] = dict(latest or {})
    missing = [n for n in numbers if n not in updates]
    updates.update(latest_updates(session, group_key, missing))
    return [
        _snapshot(
            row,
            proposer_orgs.get(row.proposer_id),
            joiners.get(row.number, []),
            objections.get(row.number, []),
            joiner_counts.get(row.number, 0),
            objection_counts.get(row.number, 0),
            joiner_orgs.get(row.number, []),
            updates.get(row.number),
        )
        for row in rows
    ]


def _first_listed(
    session: Session,
    model: type[SignupRow] | type[ObjectionRow],
    group_key: str,
    numbers: Sequence[int],
) -> tuple[dict[int, list[Any]], dict[int, int]]:
    """The first `LISTED` rows of each proposal, in the order they came, with organizations;
    and how many each has in all (counted in the same query)."""
    table: Any = model.__table__
    reason = [table.c.reason] if model is ObjectionRow else []
    ranked = (
        select(
            table.c.proposal_number,
            table.c.user_id,
            MemberRow.organization,
            *reason,
            func.row_number()
            .over(partition_by=table.c.proposal_number, order_by=table.c.id)
            .label("place"),
            func.count().over(partition_by=table.c.proposal_number).label("total"),
        )
        .outerjoin(MemberRow, MemberRow.user_id == table.c.user_id)
        .where(table.c.group_key == group_key, table.c.proposal_number.in_(numbers))
        .subquery()
    )
    found: dict[int, list[Any]] = {}
    totals: dict[int, int] = {}
    for row in session.execute(
        select(ranked)
        .where(ranked.c.place <= LISTED)
        .order_by(ranked.c.proposal_number, ranked.c.place)
    ):
        if model is ObjectionRow:
            item: Any = Objection(row.user_id, row.reason, row.organization)
        else:
            item = Participant(row.user_id, row.organization)
        found.setdefault(row.proposal_number, []).append(item)
        totals[row.proposal_number] = int(row.total)
    return found, totals


def _joiner_organizations(
    session: Session, group_key: str, numbers: Sequence[int]
) -> dict[int, list[str]]:
    """Each proposal's joiners' organizations, once each, in the order they first joined."""
    first_joined = func.min(SignupRow.id)
    rows = session.execute(
        select(SignupRow.proposal_number, MemberRow.organization, first_joined)
        .join(MemberRow, MemberRow.user_id == SignupRow.user_id)
        .where(
            SignupRow.group_key == group_key,
            SignupRow.proposal_number.in_(numbers),
            MemberRow.organization.is_not(None),
        )
        .group_by(SignupRow.proposal_number, MemberRow.organization)
        .order_by(SignupRow.proposal_number, first_joined)
    )
    found: dict[int, list[str]] = {}
    for number, organization, _first in rows:
        if organization:
            found.setdefault(number, []).append(organization)
    return found


def organization_counts(session: Session, group_key: str, numbers: Sequence[int]) -> dict[int, int]:
    """How many organizations each proposal engages (its proposer's and its joiners')."""
    if not numbers:
        return {}
    joiners = _joiner_organizations(session, group_key, numbers)
    proposers: dict[int, str | None] = {
        number: organization
        for number, organization in session.execute(
            select(ProposalRow.number, MemberRow.organization)
            .join(MemberRow, MemberRow.user_id == ProposalRow.proposer_id)
            .where(ProposalRow.group_key == group_key, ProposalRow.number.in_(numbers))
        )
    }
    return {
        n: len(distinct_organizations([proposers.get(n), *joiners.get(n, [])])) for n in numbers
    }


def _snapshot(
    row: ProposalRow,
    proposer_organization: str | None,
    joiners: list[Participant],
    objections: list[Objection],
    joiner_count: int,
    objection_count: int,
    joiner_organizations: list[str],
    latest_update: ProgressUpdate | None,
) -> ProposalSnapshot:
    decision = None
    if row.decided_by and row.verdict and row.decided_at:
        decision = Decision(
            moderator_id=row.decided_by,
            verdict=Verdict(row.verdict),
            note=row.decision_note or "",
            decided_at=row.decided_at,
        )
    return ProposalSnapshot(
        group_key=row.group_key,
        number=row.number,
        title=row.title,
        description=row.description,
        proposer_id=row.proposer_id,
        proposer_organization=proposer_organization,
        created_at=row.created_at,
        closes_at=row.closes_at,
        state=State(row.state),
        stages=parse_stages(row.stages),
        collects_leads=row.collects_leads,
        cobranded=row.cobranded,
        joiners=tuple(joiners),
        objections=tuple(objections),
        closed_at=row.closed_at,
        decision=decision,
        # Settled with no one deciding: the last objection was withdrawn after the close.
        consensus_found_at=row.decided_at if row.decided_by is None else None,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        first_proposal=row.first_proposal,
        last_activity_at=row.last_activity_at,
        latest_update=latest_update,
        finished_at=row.finished_at,
        finished_by=row.finished_by,
        delivery_link=row.delivery_link,
        finish_note=row.finish_note,
        withdrawn_by=row.withdrawn_by,
        joiner_count=joiner_count,
        objection_count=objection_count,
        organization_names=distinct_organizations([proposer_organization, *joiner_organizations]),
    )
